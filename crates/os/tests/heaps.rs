//! What the process frees goes back to the system. Its own process, the scenarios one after another
//! (`harness = false`): they measure the whole process's memory, and `keep_heaps_lean` must come before any other
//! thread allocates, which a test harness's threads already have.

const GLIBC: bool = cfg!(all(target_os = "linux", target_env = "gnu"));

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
    let tuned = gjj_os::keep_heaps_lean();
    assert_eq!(tuned, GLIBC);
    if !tuned {
        assert!(!gjj_os::release_free_memory());
        println!("heaps: nothing to give back on this platform");
        return;
    }
    freed_pages_go_back_to_the_system();
    what_a_worker_thread_freed_goes_back();
    a_big_block_goes_back_when_freed_even_after_another_was();
}

fn what_a_worker_thread_freed_goes_back() {
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

fn a_big_block_goes_back_when_freed_even_after_another_was() {
    // Untuned, freeing the first block would raise glibc's mmap threshold past 8 MiB: the second would come from a
    // heap and, below the raised trim threshold, stay resident once freed.
    let block = || std::hint::black_box(vec![7u8; 8 * 1024 * 1024]);
    drop(block());
    let second = block();
    let with = rss_anon_kib().unwrap_or(0);
    drop(second);
    let without = rss_anon_kib().unwrap_or(u64::MAX);
    assert!(
        with >= without + 6 * 1024,
        "anonymous memory {with} KiB with the second block, {without} KiB after it was freed"
    );
    println!("heaps: a second 8 MiB block went back when freed ({with} KiB → {without} KiB)");
}

fn freed_pages_go_back_to_the_system() {
    // 64 MiB written in 64 KiB blocks (under glibc's mmap threshold: they come from the heap); a block allocated
    // after them keeps the heap's top in use, so glibc gives nothing back by itself when they are freed. (4 KiB:
    // too big for glibc's caches of small freed blocks, so it comes from the top, above the others.)
    let blocks: Vec<Vec<u8>> = (0..1024).map(|i| vec![(i % 251) as u8 + 1; 64 * 1024]).collect();
    let keep = std::hint::black_box(Box::new([1u8; 4096]));
    drop(blocks);
    let before = rss_anon_kib().unwrap_or(0);
    let released = gjj_os::release_free_memory();
    let after = rss_anon_kib().unwrap_or(u64::MAX);
    assert_eq!(keep[0], 1);
    assert!(released, "glibc gave nothing back after 64 MiB were freed");
    assert!(
        before >= after + 32 * 1024,
        "anonymous memory {before} KiB before, {after} KiB after: less than 32 MiB went back"
    );
    println!("heaps: 64 MiB freed below a live block went back ({before} KiB → {after} KiB)");
}
