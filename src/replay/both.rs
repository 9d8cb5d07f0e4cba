//! The replay the console shows: rule 000 as the seed deploys it, over the span of the sign-ins
//! read, untuned and with the console's tuning as it stands (filters switched on or off there).

use polars::prelude::*;

use super::rule::EventGrouping;
use super::rule::{rule_000, Rule};
use super::runs::TableScope;
use super::{incident_diff, replay, IncidentDiff, Replay, ReplayOptions, DEFAULT_DELAY};
use crate::data::load::Dataset;
use crate::data::schema::TableKind;
use crate::kql::time::Nanos;
use crate::tuning::Tuning;

/// An untuned replay and, when a filter is on, the tuned one and what tuning did to each
/// untuned incident.
#[derive(Debug, Clone)]
pub struct Replays {
    pub rule: Rule,
    pub untuned: Replay,
    pub tuned: Option<Replay>,
    pub diff: Vec<IncidentDiff>,
}

impl Replays {
    /// Replays `rule` over `ds` untuned and, with `tuning`, tuned, with what the tuning did to
    /// each untuned incident (R25): what `replay` and the console both show.
    pub fn of(
        ds: &Dataset,
        rule: Rule,
        options: &ReplayOptions,
        tuning: Option<&Tuning>,
    ) -> PolarsResult<Replays> {
        let untuned = replay(ds, &rule, options, None)?;
        let tuned = tuning
            .map(|t| replay(ds, &rule, options, Some(t)))
            .transpose()?;
        let diff = tuned.as_ref().map_or_else(Vec::new, |t| {
            let per_result = rule.grouping == EventGrouping::AlertPerResult;
            incident_diff(&untuned, t, per_result)
        });
        Ok(Replays {
            rule,
            untuned,
            tuned,
            diff,
        })
    }

    /// The replay the tuning leaves (the untuned one without tuning).
    pub fn effective(&self) -> &Replay {
        self.tuned.as_ref().unwrap_or(&self.untuned)
    }

    /// Untuned incidents whose diff status is `status` (`removed`, `reduced`, `unchanged`).
    pub fn incidents_with(&self, status: &str) -> usize {
        self.diff.iter().filter(|d| d.status == status).count()
    }
}

/// The span of the sign-ins read (rows a filter left out count: they were read).
pub fn signin_span(ds: &Dataset) -> Option<(Nanos, Nanos)> {
    let typed = ds.tables.get(&TableKind::SignIn).and_then(|df| {
        let t = df
            .column("TimeGenerated")
            .ok()?
            .cast(&DataType::Int64)
            .ok()?;
        let t = t.i64().ok()?;
        Some((t.min()?, t.max()?))
    });
    let skipped = ds.skipped.get(&TableKind::SignIn).and_then(|s| s.times);
    crate::data::row_filter::widen(typed, skipped)
}

/// Replays rule 000 over the sign-ins' span with `replay`'s defaults (first run at the first
/// sign-in, query scope, 5-minute delay); `Ok(None)` when the sign-in or threat-intel table is
/// missing or no sign-in has a time.
pub fn replay_both(ds: &Dataset, tuning: &Tuning) -> PolarsResult<Option<Replays>> {
    if !ds.tables.contains_key(&TableKind::SignIn)
        || !ds.tables.contains_key(&TableKind::ThreatIntel)
    {
        return Ok(None);
    }
    let Some((from, to)) = signin_span(ds) else {
        return Ok(None);
    };
    let options = ReplayOptions {
        from,
        to,
        first_run: from,
        scope: TableScope::Query,
        delay: DEFAULT_DELAY,
        incidents: Default::default(),
    };
    // A filter that expired by today still applies to the runs before its expiry (R25).
    let tuning = tuning.filters.iter().any(|f| f.enabled).then_some(tuning);
    Replays::of(ds, rule_000(), &options, tuning).map(Some)
}
