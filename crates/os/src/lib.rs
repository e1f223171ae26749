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
