//! The one thread pool. Loading runs on Polars' own rayon pool, so that Polars calls made from
//! inside a loading task (decoding Parquet, building frames) reuse its threads instead of
//! multiplying them, and nested parallel work (files, then blocks of a file, then columns) is
//! scheduled by one work-stealing pool rather than by threads spawned at each level.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use polars_core::runtime::THREAD_POOL;
use rayon::prelude::*;

/// Runs `op` inside the pool (a no-op when already there).
pub fn install<R: Send>(op: impl FnOnce() -> R + Send) -> R {
    if rayon::current_thread_index().is_some() && THREAD_POOL.current_thread_index().is_some() {
        op()
    } else {
        THREAD_POOL.install(op)
    }
}

/// Gives memory freed by a load back to the system, on every pool thread and on this one: the
/// allocator keeps what a thread freed for that thread's next allocation, and a pool thread
/// that goes idle after a load would hold it for as long as it idles.
pub fn release_memory() {
    THREAD_POOL.broadcast(|_| crate::allocator::release_freed());
    crate::allocator::release_freed();
}

/// How many threads the pool has.
pub fn threads() -> usize {
    THREAD_POOL.current_num_threads()
}

/// `work` on each item, on the pool; results in item order.
pub fn map<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync + Send) -> Vec<R> {
    if items.len() < 2 {
        return items.iter().map(work).collect();
    }
    install(|| items.par_iter().map(work).collect())
}

/// `work` on each item `next` produces, on the pool, with at most `in_flight` items produced
/// and not yet done, while this thread produces the next one (reading a file's next block, say).
/// Results come in production order. While it waits for room, this thread runs the stream's
/// own pending work, so a pool thread waiting here never starves the pool.
pub fn stream<T: Send, R: Send>(
    next: impl FnMut() -> Option<T> + Send,
    work: impl Fn(T) -> R + Sync + Send,
    in_flight: usize,
) -> Vec<R> {
    stream_fold(next, work, in_flight, Vec::new(), |all: &mut Vec<R>, r| {
        all.push(r)
    })
}

/// [`stream`], handing each result to `fold` in production order as soon as it and those
/// before it are done, so that results need not all be held at once.
pub fn stream_fold<T: Send, R: Send, A: Send>(
    mut next: impl FnMut() -> Option<T> + Send,
    work: impl Fn(T) -> R + Sync + Send,
    in_flight: usize,
    mut acc: A,
    mut fold: impl FnMut(&mut A, R) + Send,
) -> A {
    let running = AtomicUsize::new(0);
    let done: Mutex<BTreeMap<usize, R>> = Mutex::new(BTreeMap::new());
    let mut folded = 0;
    // Folds the results that are next in order.
    let mut drain = |acc: &mut A, folded: &mut usize| {
        let ready: Vec<R> = match done.lock() {
            Ok(mut d) => {
                let mut out = Vec::new();
                while let Some(r) = d.remove(folded) {
                    out.push(r);
                    *folded += 1;
                }
                out
            }
            Err(_) => Vec::new(),
        };
        for r in ready {
            fold(acc, r);
        }
    };
    install(|| {
        rayon::scope(|scope| {
            let mut index = 0;
            while let Some(item) = next() {
                // Wait for room by running this stream's own pending work (its tasks sit in this
                // thread's queue), never work stolen from elsewhere: that might be another
                // file's whole read, which would hold this stream up until it ends.
                while running.load(Ordering::Acquire) >= in_flight.max(1) {
                    match rayon::yield_local() {
                        Some(rayon::Yield::Executed) => {}
                        _ => std::thread::sleep(std::time::Duration::from_micros(50)),
                    }
                }
                drain(&mut acc, &mut folded);
                running.fetch_add(1, Ordering::AcqRel);
                let (running, done, work) = (&running, &done, &work);
                let at = index;
                scope.spawn(move |_| {
                    let result = work(item);
                    if let Ok(mut d) = done.lock() {
                        d.insert(at, result);
                    }
                    running.fetch_sub(1, Ordering::AcqRel);
                });
                index += 1;
            }
        })
    });
    drain(&mut acc, &mut folded);
    acc
}

/// Pieces `(start, end, lines before start)` of a body of `len` bytes cut at `splits` (each
/// a start offset and the lines before it), for [`map`].
pub fn pieces(splits: &[(usize, u64)], len: usize) -> Vec<(usize, usize, u64)> {
    splits
        .iter()
        .enumerate()
        .map(|(k, &(start, lines_before))| {
            let end = splits.get(k + 1).map_or(len, |s| s.0);
            (start, end, lines_before)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn results_come_in_item_order() {
        let items: Vec<u64> = (0..1000).collect();
        let out = map(&items, |i| i * 2);
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }

    #[test]
    fn stream_keeps_production_order_and_nests() {
        let mut n = 0u64;
        let out = stream(
            || {
                n += 1;
                (n <= 200).then_some(n)
            },
            |i| {
                // Nested parallel work inside a streamed task must not deadlock.
                let inner: Vec<u64> = (0..10).collect();
                i * 1000 + map(&inner, |x| *x).iter().sum::<u64>()
            },
            2,
        );
        assert_eq!(out.len(), 200);
        assert!(out
            .iter()
            .enumerate()
            .all(|(k, v)| *v == (k as u64 + 1) * 1000 + 45));
        // Streams inside streams (files on the pool, blocks of each file streamed).
        let files: Vec<u64> = (0..4).collect();
        let nested = map(&files, |f| {
            let mut k = 0;
            stream(
                || {
                    k += 1;
                    (k <= 50).then_some(k)
                },
                |b| b + f,
                1,
            )
            .len()
        });
        assert_eq!(nested, vec![50; 4]);
    }
}
