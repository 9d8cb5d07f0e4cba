//! A histogram of findings over time, for the console's timeline: analysts read shape faster
//! than numbers.

use crate::kql::time::Nanos;

/// Counts of `times` (sorted ascending) in `buckets` equal slices of [first, last]; also
/// returns that span. Empty when there are no times. Each bucket's edge is found by binary
/// search, so a frame's timeline costs the width of the screen, not the number of findings.
pub fn histogram(times: &[Nanos], buckets: usize) -> (Vec<u64>, Option<(Nanos, Nanos)>) {
    let (Some(&lo), Some(&hi)) = (times.first(), times.last()) else {
        return (Vec::new(), None);
    };
    let buckets = buckets.max(1);
    let span = (hi - lo).max(1) as i128;
    // Time t falls in bucket floor((t - lo) * buckets / (span + 1)): the rows before bucket
    // k's end are those with (t - lo) * buckets < (k + 1) * (span + 1).
    let mut counts = Vec::with_capacity(buckets);
    let mut before = 0;
    for k in 0..buckets {
        let end = if k + 1 == buckets {
            times.len()
        } else {
            let limit = (k as i128 + 1) * (span + 1);
            times.partition_point(|&t| ((t - lo) as i128) * (buckets as i128) < limit)
        };
        counts.push((end - before) as u64);
        before = end;
    }
    (counts, Some((lo, hi)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bucket of each time, counted one by one: what the binary search must equal.
    fn by_hand(times: &[Nanos], buckets: usize) -> Vec<u64> {
        let (lo, hi) = (times[0], times[times.len() - 1]);
        let span = (hi - lo).max(1) as i128;
        let mut counts = vec![0u64; buckets];
        for &t in times {
            let b = ((t - lo) as i128 * buckets as i128 / (span + 1)) as usize;
            counts[b.min(buckets - 1)] += 1;
        }
        counts
    }

    #[test]
    fn buckets_equal_counting_each_time() {
        let cases: Vec<Vec<Nanos>> = vec![
            vec![5],
            vec![5, 5, 5],
            vec![0, 1],
            vec![-10, -3, 0, 0, 7, 9, 100],
            (0..1000).map(|i| i * i * 37 % 9973).collect(),
            vec![i64::MIN / 4, 0, i64::MAX / 4],
        ];
        for mut times in cases {
            times.sort_unstable();
            for buckets in [1, 2, 3, 7, 78, 200] {
                let (counts, span) = histogram(&times, buckets);
                assert_eq!(counts, by_hand(&times, buckets), "{times:?} in {buckets}");
                assert_eq!(span, Some((times[0], times[times.len() - 1])));
            }
        }
        assert_eq!(histogram(&[], 10), (Vec::new(), None));
    }
}
