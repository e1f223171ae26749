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

#[cfg(test)]
mod tests {
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
    fn freed_pages_go_back_to_the_system() {
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
