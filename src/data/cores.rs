//! Running independent pieces of work on every core.

use std::sync::atomic::{AtomicUsize, Ordering};

/// `work` on each item, on as many threads as there are cores (each takes the next item when
/// done with one); results in item order, whichever thread finished first.
pub fn map_on_cores<T: Sync, R: Send>(items: &[T], work: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len().max(1));
    let mut done: Vec<(usize, R)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(k) else { break };
                        mine.push((k, work(item)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("work on a core does not panic"))
            .collect()
    });
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, r)| r).collect()
}

/// Pieces `(start, end, lines before start)` of a body of `len` bytes cut at `splits` (each
/// a start offset and the lines before it), for [`map_on_cores`].
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
    #[test]
    fn results_come_in_item_order() {
        let items: Vec<u64> = (0..1000).collect();
        let out = super::map_on_cores(&items, |i| i * 2);
        assert_eq!(out, items.iter().map(|i| i * 2).collect::<Vec<_>>());
    }
}
