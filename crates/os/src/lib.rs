//! What std lacks from the operating system, each behind a safe function. The only `unsafe` is here.

/// Gives the allocator's free pages back to the system; true when it gave any.
///
/// glibc keeps what a program frees in its arenas (one per thread that allocated), and returns only the top of
/// each heap on its own: after a big import has freed its read buffers and shared strings, their pages stay
/// resident under the live data (about 9 MiB after a 100,000-row sheet). `malloc_trim(0)` releases every whole
/// free page of every arena. Call it once after such a burst, off the UI thread: it locks each arena in turn.
///
/// Elsewhere it does nothing and returns false: the Windows heap and macOS's allocator decommit free pages
/// themselves, and musl has no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn release_free_memory() -> bool {
    // SAFETY: malloc_trim takes no pointer and touches only glibc's own free lists, under each arena's lock.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// See the glibc version: nothing to do here.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn release_free_memory() -> bool {
    false
}

/// Blocks of this size and more get their own mapping, unmapped when freed.
pub const MMAP_THRESHOLD: usize = 256 * 1024;
/// A heap whose free top exceeds this gives it back when a block is freed.
pub const TRIM_THRESHOLD: usize = 1024 * 1024;

/// Sets glibc up for a long-lived process that holds a big sheet; true when glibc took it. Call it first thing in
/// `main`, before any other thread allocates.
///
/// - Fixed thresholds: by default glibc raises its mmap threshold to the size of the largest mapped block freed so
///   far (up to 32 MiB) and its trim threshold to twice that, so after one big import later big buffers come from
///   a heap, and a free top below the raised threshold stays resident.
/// - One heap for every thread: `malloc_trim` merges a thread heap's free blocks into its top and then gives back
///   the top of the main heap only, so what the import's worker thread freed could stay resident
///   (tests/heaps.rs reproduces it: 16 MiB). Threads then share the main heap's lock; the app's threads seldom
///   allocate at the same time.
///
/// Measured in the desktop app after a 100,000-row import: anonymous memory landed at 42.5 or 48.6 MiB from one
/// run to the next before; with the thresholds fixed, 39 MiB in most runs and still 45 in one of eight (the
/// worker's heap); with one heap, the same figure in every run, the import no slower.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub fn keep_heaps_lean() -> bool {
    let set = |param, value: usize| {
        let value = libc::c_int::try_from(value).unwrap_or(libc::c_int::MAX);
        // SAFETY: mallopt takes two integers and sets glibc's own parameters under its lock.
        unsafe { libc::mallopt(param, value) == 1 }
    };
    set(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD)
        & set(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD)
        & set(libc::M_ARENA_MAX, 1)
}

/// See the glibc version: other allocators do not hold freed pages this way.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub fn keep_heaps_lean() -> bool {
    false
}

#[cfg(test)]
mod tests {
    /// The tests measure the whole process's memory: one at a time.
    static ONE_AT_A_TIME: std::sync::Mutex<()> = std::sync::Mutex::new(());

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

    #[test]
    fn a_big_block_goes_back_when_freed_even_after_another_was() {
        let _one = ONE_AT_A_TIME.lock();
        let tuned = super::keep_heaps_lean();
        assert_eq!(tuned, cfg!(all(target_os = "linux", target_env = "gnu")));
        if !tuned {
            return;
        }
        // Untuned, freeing the first block would raise glibc's mmap threshold past 8 MiB: the second would come from
        // a heap and, below the raised trim threshold, stay resident once freed.
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
    }

    #[test]
    fn freed_pages_go_back_to_the_system() {
        let _one = ONE_AT_A_TIME.lock();
        // 64 MiB written in 64 KiB blocks (under glibc's mmap threshold: they come from the heap); a block allocated
        // after them keeps the heap's top in use, so glibc gives nothing back by itself when they are freed.
        let blocks: Vec<Vec<u8>> = (0..1024).map(|i| vec![(i % 251) as u8 + 1; 64 * 1024]).collect();
        let keep = Box::new([1u8; 16]);
        drop(blocks);
        let before = rss_anon_kib();
        let released = super::release_free_memory();
        let after = rss_anon_kib();
        assert_eq!(keep[0], 1);
        if cfg!(all(target_os = "linux", target_env = "gnu")) {
            assert!(released, "glibc gave nothing back after 64 MiB were freed");
            let (before, after) = (before.unwrap_or(0), after.unwrap_or(u64::MAX));
            assert!(
                before >= after + 32 * 1024,
                "anonymous memory {before} KiB before, {after} KiB after: less than 32 MiB went back"
            );
        } else {
            assert!(!released);
        }
    }
}
