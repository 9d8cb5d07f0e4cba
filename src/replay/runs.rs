//! The scheduled runs (R1–R6): at each query time T the rule is the detection evaluated on the
//! tables as they stood at T: `now()` is T, no row newer than T exists yet (R5), and the threat
//! intel is judged at T too (R4), so indicators that arrive or expire between runs change what a
//! run finds.
//!
//! A run is not a full detection over every row. The rows that can ever join are found once:
//! successful sign-ins from an address some anonymiser indicator names, and those indicators.
//! Each run then evaluates the detection's own plan ([`anonymized_signins`], one definition)
//! on its 1-hour slice of those sign-ins and the indicators that exist at T: a week of runs over
//! a million sign-ins costs one scan and 672 small joins.

use std::collections::HashSet;

use polars::prelude::*;

use crate::data::dictionary::decoded;
use crate::data::load::Dataset;
use crate::data::schema::TableKind;
use crate::detect::anonymized_signin::{anonymized_signins, anonymizer_indicators};
use crate::detect::findings::{finalise, to_union};
use crate::detect::prefilter::rule_signins;
use crate::explore::{finding_rows, FindingRow};
use crate::export::{json_records, FindingRecord};
use crate::kql::time::{Nanos, HOUR};

/// Which rows a run's query sees (R6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableScope {
    /// The KQL's own filters only (sign-ins 1 h, threat intel 30 d), as `hunt --lookback rule`.
    Query,
    /// Every table cut to the query period `[T - period, T]`, as Sentinel's query timespan
    /// would (the open question R6).
    Period,
}

impl TableScope {
    pub fn name(self) -> &'static str {
        match self {
            TableScope::Query => "query",
            TableScope::Period => "period",
        }
    }
}

/// One result row of a run: the finding as `hunt` would give it at T.
#[derive(Debug, Clone)]
pub struct ResultRow {
    pub row: FindingRow,
    pub record: FindingRecord,
    /// The sign-in it came from (`SourceFile:SourceLine`): the same event in every run.
    pub event: String,
}

/// One scheduled run.
#[derive(Debug, Clone)]
pub struct Run {
    pub time: Nanos,
    /// The query period's window, `[T - period, T]` ("Query Start/End Time UTC").
    pub window: (Nanos, Nanos),
    /// The query's rows, newest first (R11, R27: ties broken by the full record).
    pub rows: Vec<ResultRow>,
}

/// The query times `first_run + k * frequency` (k ≥ 0) within `[from, to]`, both ends
/// inclusive (R1).
pub fn schedule(first_run: Nanos, frequency: Nanos, from: Nanos, to: Nanos) -> Vec<Nanos> {
    let mut out = Vec::new();
    if frequency <= 0 || to < from {
        return out;
    }
    // The first k with first_run + k * frequency >= from.
    let k0 = if from > first_run {
        (from - first_run + frequency - 1) / frequency
    } else {
        0
    };
    let mut t = first_run.saturating_add(k0.saturating_mul(frequency));
    while t <= to {
        out.push(t);
        t = match t.checked_add(frequency) {
            Some(next) => next,
            None => break,
        };
    }
    out
}

/// The rows of the tables that any run can join: found once for the whole replay.
pub struct Candidates {
    /// Successful sign-ins from an address an anonymiser indicator names, by time ascending.
    signins: DataFrame,
    times: Vec<Nanos>,
    /// Those indicators (every state: each run judges them at its own T).
    indicators: DataFrame,
    file_names: Vec<String>,
}

impl Candidates {
    /// `None` when either table is missing.
    pub fn of(ds: &Dataset) -> PolarsResult<Option<Candidates>> {
        let (Some(signins), Some(ti)) = (
            ds.tables.get(&TableKind::SignIn),
            ds.tables.get(&TableKind::ThreatIntel),
        ) else {
            return Ok(None);
        };
        let indicators = anonymizer_indicators(ti.clone().lazy()).collect()?;
        let named: HashSet<String> = indicators
            .column("NetworkIP")?
            .str()?
            .iter()
            .flatten()
            .map(str::to_string)
            .collect();
        // The candidates are the rows the rule's own row filter keeps (a success from an
        // address an anonymiser indicator names, whatever its dates): what `replay` and the
        // console load. Text held as dictionaries is read as text, the tested columns first,
        // then only the candidate rows.
        let candidate = rule_signins(named);
        let (columns, _) = candidate.row_test();
        let tested = decoded(signins.select(columns)?)?;
        let keep = tested
            .lazy()
            .select([candidate.to_expr().alias("keep")])
            .collect()?;
        let keep = keep.column("keep")?.bool()?.clone();
        let signins = decoded(signins.filter(&keep)?)?.sort(
            ["TimeGenerated"],
            SortMultipleOptions::default().with_maintain_order(true),
        )?;
        let times: Vec<Nanos> = signins
            .column("TimeGenerated")?
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|t| t.unwrap_or(Nanos::MIN))
            .collect();
        // Only indicators for an address some candidate sign-in comes from can join.
        let used: HashSet<&str> = signins
            .column("IPAddress")?
            .str()?
            .iter()
            .flatten()
            .collect();
        let mask: BooleanChunked = indicators
            .column("NetworkIP")?
            .str()?
            .iter()
            .map(|ip| Some(ip.is_some_and(|ip| used.contains(ip))))
            .collect();
        let indicators = indicators.filter(&mask)?.drop("NetworkIP")?;
        Ok(Some(Candidates {
            signins,
            times,
            indicators,
            file_names: ds.file_names.clone(),
        }))
    }

    /// Candidate sign-ins (the rule's own filters are applied again by its plan).
    pub fn signin_count(&self) -> usize {
        self.signins.height()
    }

    /// The run at `t`: the rule's plan on the sign-ins of `(t - 1h, t]` and the indicators
    /// ingested by `t`, both also cut to `[t - period, t]` under [`TableScope::Period`].
    pub fn run(&self, t: Nanos, period: Nanos, scope: TableScope) -> PolarsResult<Run> {
        let window = (t.saturating_sub(period), t);
        // `TimeGenerated > ago(1h)` (strict), and nothing after T (R5).
        let mut lo = self.times.partition_point(|&x| x <= t.saturating_sub(HOUR));
        if scope == TableScope::Period {
            lo = lo.max(self.times.partition_point(|&x| x < window.0));
        }
        let hi = self.times.partition_point(|&x| x <= t);
        let mut rows = Vec::new();
        if lo < hi {
            let slice = self.signins.slice(lo as i64, hi - lo);
            let ti_time = col("TimeGenerated").cast(DataType::Int64);
            let mut exists = ti_time.clone().lt_eq(lit(t));
            if scope == TableScope::Period {
                exists = exists.and(ti_time.gt_eq(lit(window.0)));
            }
            let ti = self.indicators.clone().lazy().filter(exists);
            let leg = anonymized_signins(slice.lazy(), ti, t, Some(t.saturating_sub(HOUR)));
            let present = leg.clone().collect_schema()?;
            let names: Vec<&str> = present.iter_names().map(|n| n.as_str()).collect();
            let union = to_union(leg, &names).collect()?;
            let findings = finalise(union, &self.file_names)?;
            let found = finding_rows(&findings)?;
            let records = json_records(&findings)?;
            rows = found
                .into_iter()
                .zip(records)
                .map(|(row, record)| {
                    let event = row.source();
                    ResultRow { row, record, event }
                })
                .collect();
            // `order by TimeGenerated desc`; ties by the full record (R27).
            rows.sort_by(|a, b| {
                b.row.time.cmp(&a.row.time).then_with(|| {
                    let text = |r: &ResultRow| r.record.to_json().to_string();
                    text(a).cmp(&text(b))
                })
            });
        }
        Ok(Run {
            time: t,
            window,
            rows,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kql::time::MINUTE;

    #[test]
    fn schedule_is_anchored_and_inclusive() {
        let m = MINUTE;
        assert_eq!(
            schedule(0, 15 * m, 0, 45 * m),
            vec![0, 15 * m, 30 * m, 45 * m]
        );
        // The phase comes from the first run, not from `from`.
        assert_eq!(
            schedule(5 * m, 15 * m, 10 * m, 40 * m),
            vec![20 * m, 35 * m]
        );
        // A first run after `from`: runs start there.
        assert_eq!(schedule(30 * m, 15 * m, 0, 50 * m), vec![30 * m, 45 * m]);
        assert!(schedule(0, 15 * m, 10, 5).is_empty());
    }
}
