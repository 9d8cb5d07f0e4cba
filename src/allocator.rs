//! The allocator every binary of the crate runs with, and how it gives memory back.
//!
//! Polars and the loaders allocate and free large buffers from several threads at once; with
//! the system allocator that churn was a third of a hunt's time, spent by the kernel mapping and
//! zeroing pages (`perf`: `clear_page_erms`, page faults). mimalloc keeps and reuses them. It is
//! declared here, in the library, so that the benchmarks measure what the `proxyhunt` binary runs.

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// How long (ms) freed memory is kept for reuse before it goes back to the system. mimalloc 3
/// keeps it a second: a hunt then holds a third more than it uses. A longer delay saves the
/// kernel's zeroing of pages that a slice frees and the next asks for again (`perf`:
/// `clear_page_erms`; Polars decompresses every Parquet page into a fresh buffer), but what is
/// kept counts as resident. Measured 2026-12-03 on 5M rows per table of the wide generator,
/// three runs each: 60-column Parquet 3.7 s at 308-319 MB with 10 ms, 3.1-3.3 s at 315-359 MB
/// with 30 ms (DuckDB: 4.2 s, 336 MB); CSV 13.4-14.5 s at 308-311 MB with 10 ms, 311-322 MB
/// with 30 ms at the same speed (DuckDB: 299 MB). Peak memory below DuckDB's comes first.
const PURGE_DELAY_MS: std::ffi::c_long = 10;

/// `mi_option_purge_delay` in `mimalloc.h`'s `mi_option_e` (the same in mimalloc 2 and 3;
/// `libmimalloc-sys` does not name it).
const MI_OPTION_PURGE_DELAY: libmimalloc_sys::mi_option_t = 15;

/// Sets the allocator's options. Call first thing in `main`, before other threads exist.
/// `MIMALLOC_PURGE_DELAY` in the environment (mimalloc's own variable) wins, for measuring.
pub fn configure() {
    if std::env::var_os("MIMALLOC_PURGE_DELAY").is_some() {
        return;
    }
    // SAFETY: mimalloc's option setter is not thread-safe; it runs before any thread is spawned.
    unsafe { libmimalloc_sys::mi_option_set(MI_OPTION_PURGE_DELAY, PURGE_DELAY_MS) };
}

/// The purge delay in effect (for the test that [`configure`] sets it).
// `c_long` is `i64` here, `i32` on Windows: the conversion is not useless everywhere.
#[allow(clippy::useless_conversion)]
pub fn purge_delay_ms() -> i64 {
    // SAFETY: reads an option.
    i64::from(unsafe { libmimalloc_sys::mi_option_get(MI_OPTION_PURGE_DELAY) })
}

/// Gives back to the system what this thread's heap freed and keeps for reuse (a thread that
/// goes idle after a load would otherwise hold it as long as it idles).
pub fn release_freed() {
    // SAFETY: collects the calling thread's own heap; safe from any thread at any time.
    unsafe { libmimalloc_sys::mi_collect(true) };
}

#[cfg(test)]
mod tests {
    #[test]
    #[allow(clippy::useless_conversion)]
    fn configure_sets_the_purge_delay() {
        // The option at that index is the purge delay: it holds mimalloc's default (1000 ms in
        // mimalloc 3, 10 in 2) until set, where its neighbours hold 0 or 1.
        let before = super::purge_delay_ms();
        assert!(before == 1000 || before == 10, "{before}");
        super::configure();
        assert_eq!(super::purge_delay_ms(), i64::from(super::PURGE_DELAY_MS));
    }
}
