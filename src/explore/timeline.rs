//! A histogram of findings over time, for the console's timeline: analysts read shape faster
//! than numbers.

use super::rows::FindingRow;
use crate::kql::time::Nanos;

/// Counts of the given rows in `buckets` equal slices of [first, last] finding time; also
/// returns that span. Empty when there are no rows.
pub fn histogram(
    rows: &[FindingRow],
    visible: &[usize],
    buckets: usize,
) -> (Vec<u64>, Option<(Nanos, Nanos)>) {
    let times: Vec<Nanos> = visible.iter().map(|&i| rows[i].time).collect();
    let (Some(&lo), Some(&hi)) = (times.iter().min(), times.iter().max()) else {
        return (Vec::new(), None);
    };
    let buckets = buckets.max(1);
    let mut counts = vec![0u64; buckets];
    let span = (hi - lo).max(1) as i128;
    for t in times {
        let b = ((t - lo) as i128 * buckets as i128 / (span + 1)) as usize;
        counts[b.min(buckets - 1)] += 1;
    }
    (counts, Some((lo, hi)))
}
