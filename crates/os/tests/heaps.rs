//! What a worker thread frees goes back to the system (its own process: `keep_heaps_lean` must come before any
//! other thread allocates, which a test harness's threads already have; `harness = false`).

/// The process's anonymous resident memory (Linux).
fn rss_anon_kib() -> Option<u64> {
    std::fs::read_to_string("/proc/self/status")
        .ok()?
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn main() {
    if !gjj_os::keep_heaps_lean() {
        println!("heaps: nothing to test on this platform");
        return;
    }
    // The import's pattern: a worker thread (one of tokio's, alive after the import) fills 16 MiB in blocks under
    // the mmap threshold, then a small block above them; it frees the big ones, then the small one, its thread
    // cache for that size already full. malloc_trim first merges the small block with the free memory below it
    // and the heap's top, then gives back the top of the main heap only: in a thread's own arena (glibc's default)
    // the 16 MiB stayed resident.
    let (freed, done) = (std::sync::mpsc::channel(), std::sync::mpsc::channel::<()>());
    let worker = std::thread::spawn(move || {
        let small = || std::hint::black_box(Box::new([1u8; 24]));
        let cached: Vec<_> = (0..7).map(|_| small()).collect();
        let blocks: Vec<Vec<u8>> = (0..256).map(|i| vec![(i % 251) as u8 + 1; 64 * 1024]).collect();
        let pin = small();
        drop(cached);
        drop(blocks);
        drop(pin);
        freed.0.send(()).ok();
        done.1.recv().ok();
    });
    freed.1.recv().ok();
    let before = rss_anon_kib().unwrap_or(0);
    gjj_os::release_free_memory();
    let after = rss_anon_kib().unwrap_or(u64::MAX);
    done.0.send(()).ok();
    worker.join().ok();
    assert!(
        after < 8 * 1024,
        "16 MiB a worker thread freed stayed resident: {before} KiB anonymous before the trim, {after} KiB after"
    );
    println!(
        "heaps: a worker's 16 MiB went back ({before} KiB anonymous before the trim, {after} KiB after)"
    );
}
