//! Replaying rule 000 as Microsoft Sentinel runs it (`../shared/sentinel-replay.md`, rules
//! R1–R27): its scheduled runs over the data, the alerts they raise and the incidents those
//! group into; with tuning, the same replay tuned and what the tuning removes. UI-free.

pub mod alerts;
pub mod both;
pub mod incidents;
pub mod output;
pub mod rule;
pub mod runs;
#[cfg(test)]
mod tests;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use polars::prelude::PolarsResult;

use crate::data::load::Dataset;
use crate::kql::time::{Nanos, MINUTE};
use crate::tuning::Tuning;
use alerts::{alerts_of, Alert};
use incidents::{incidents, Incident, IncidentOptions};
use rule::Rule;
use runs::{schedule, Candidates, Run, TableScope};

/// R3: alerts are stamped this long after their scheduled time.
pub const DEFAULT_DELAY: Nanos = 5 * MINUTE;

/// What to replay.
#[derive(Debug, Clone)]
pub struct ReplayOptions {
    pub from: Nanos,
    pub to: Nanos,
    /// R1: the schedule's phase.
    pub first_run: Nanos,
    pub scope: TableScope,
    pub delay: Nanos,
    pub incidents: IncidentOptions,
}

/// One run's outcome.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub run: Run,
    pub fired: bool,
    /// R24: skipped because an alert of this rule was raised less than the suppression ago.
    pub suppressed: bool,
    /// Per row of `run`, the filters that suppressed it at T (tuned replays only).
    pub suppressed_by: Vec<Vec<String>>,
}

/// A replay's runs, alerts and incidents.
#[derive(Debug, Clone)]
pub struct Replay {
    pub runs: Vec<RunOutcome>,
    pub alerts: Vec<Alert>,
    /// Per alert, its run's index in `runs`.
    pub alert_run: Vec<usize>,
    pub incidents: Vec<Incident>,
}

/// Counts for the summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub runs: usize,
    pub runs_fired: usize,
    pub runs_suppressed: usize,
    pub alerts: usize,
    pub incidents: usize,
    /// Distinct events (sign-ins) carried by at least one alert.
    pub events: usize,
    /// Event-in-alert appearances: with 1 h / 15 m an event is in up to four alerts (R8).
    pub appearances: usize,
    pub most_appearances: usize,
}

impl Replay {
    pub fn summary(&self) -> Summary {
        let mut per_event: HashMap<&str, usize> = HashMap::new();
        for (a, alert) in self.alerts.iter().enumerate() {
            let run = &self.runs[self.alert_run[a]].run;
            for &e in &alert.events {
                *per_event.entry(run.rows[e].event.as_str()).or_default() += 1;
            }
        }
        Summary {
            runs: self.runs.len(),
            runs_fired: self.runs.iter().filter(|r| r.fired).count(),
            runs_suppressed: self.runs.iter().filter(|r| r.suppressed).count(),
            alerts: self.alerts.len(),
            incidents: self.incidents.len(),
            events: per_event.len(),
            appearances: per_event.values().sum(),
            most_appearances: per_event.values().copied().max().unwrap_or(0),
        }
    }
}

/// The day (`YYYY-MM-DD`) an instant falls on, for filter expiry (R25: a filter with `expires`
/// applies to runs dated before it).
fn day_of(t: Nanos) -> String {
    crate::data::values::format_datetime(t)[..10].to_string()
}

/// Replays the rule over `ds`, untuned (`tuning` `None`) or tuned.
pub fn replay(
    ds: &Dataset,
    rule: &Rule,
    options: &ReplayOptions,
    tuning: Option<&Tuning>,
) -> PolarsResult<Replay> {
    let candidates = Candidates::of(ds)?;
    let mut out = Replay {
        runs: Vec::new(),
        alerts: Vec::new(),
        alert_run: Vec::new(),
        incidents: Vec::new(),
    };
    let mut last_alert: Option<Nanos> = None;
    for t in schedule(options.first_run, rule.frequency, options.from, options.to) {
        let suppressed = match (rule.suppression, last_alert) {
            (Some(d), Some(last)) => t < last.saturating_add(d),
            _ => false,
        };
        let mut run = match (&candidates, suppressed) {
            (Some(c), false) => c.run(t, rule.period, options.scope)?,
            _ => Run {
                time: t,
                window: (t.saturating_sub(rule.period), t),
                rows: Vec::new(),
            },
        };
        let mut suppressed_by = Vec::new();
        if let Some(tuning) = tuning {
            let rows: Vec<_> = run.rows.iter().map(|r| r.row.clone()).collect();
            let matched = tuning.match_rows(&rows, 0);
            let day = day_of(t);
            let active: Vec<bool> = tuning
                .filters
                .iter()
                .map(|f| f.enabled && f.expires.as_deref().is_none_or(|e| day.as_str() < e))
                .collect();
            let by: Vec<Vec<String>> = (0..rows.len())
                .map(|r| {
                    tuning
                        .filters
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| active[*i] && matched[*i][r])
                        .map(|(_, f)| f.id.clone())
                        .collect()
                })
                .collect();
            // The clauses remove rows before the trigger, the naming and the entities (R25).
            let mut keep = by.iter().map(Vec::is_empty);
            run.rows.retain(|_| keep.next().unwrap_or(true));
            suppressed_by = by;
        }
        let fired_alerts = if suppressed {
            Vec::new()
        } else {
            alerts_of(rule, &run, options.delay)
        };
        let fired = !fired_alerts.is_empty();
        if fired {
            last_alert = Some(t);
        }
        let index = out.runs.len();
        for a in fired_alerts {
            out.alerts.push(a);
            out.alert_run.push(index);
        }
        out.runs.push(RunOutcome {
            run,
            fired,
            suppressed,
            suppressed_by,
        });
    }
    out.incidents = incidents(
        rule,
        &out.alerts,
        options.incidents,
        options.to.saturating_add(options.delay),
    );
    Ok(out)
}

/// What tuning did to one untuned incident (R25).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncidentDiff {
    pub incident: usize,
    /// `removed` (every event suppressed), `reduced` or `unchanged`.
    pub status: &'static str,
    pub events: usize,
    pub suppressed_events: usize,
    pub alerts: usize,
    /// Its alerts whose run no longer alerts tuned.
    pub suppressed_alerts: usize,
    pub filters: Vec<String>,
    /// The tuned incidents that hold what is left of it.
    pub tuned_incidents: Vec<usize>,
}

/// Which alert of a run an alert is, the same in the untuned and the tuned replay: the run's
/// alert (SingleAlert), or under AlertPerResult the alert of one row, or the run's summing-up
/// alert (R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum AlertKey<'a> {
    Run(Nanos),
    Row(Nanos, &'a str),
    Summary(Nanos),
}

fn alert_key<'a>(replay: &'a Replay, a: usize, per_result: bool) -> AlertKey<'a> {
    let alert = &replay.alerts[a];
    match (per_result, alert.events.as_slice()) {
        (false, _) => AlertKey::Run(alert.run),
        (true, [e]) => {
            let run = &replay.runs[replay.alert_run[a]].run;
            AlertKey::Row(alert.run, run.rows[*e].event.as_str())
        }
        (true, _) => AlertKey::Summary(alert.run),
    }
}

/// For every untuned incident, what the tuned replay left of it (R25). An alert survives when
/// the tuned replay raised the same alert (see [`AlertKey`]); an event is suppressed when the
/// tuning removed it from every run of the incident that carried it; an incident is `removed`
/// when every event of it is suppressed (or every alert of it is gone).
pub fn incident_diff(untuned: &Replay, tuned: &Replay, per_result: bool) -> Vec<IncidentDiff> {
    // Per alert identity, the tuned incident holding it.
    let mut tuned_alerts: HashMap<AlertKey, usize> = HashMap::new();
    for inc in &tuned.incidents {
        for &a in &inc.alerts {
            tuned_alerts.insert(alert_key(tuned, a, per_result), inc.number);
        }
    }
    // A tuned run's `suppressed_by` is per row of the run before its suppressed rows were
    // removed: the untuned replay's rows of the same run, in the same order.
    let mut suppressed_at: HashMap<(Nanos, &str), &Vec<String>> = HashMap::new();
    for (r, u) in tuned.runs.iter().zip(&untuned.runs) {
        for (row, by) in u.run.rows.iter().zip(&r.suppressed_by) {
            if !by.is_empty() {
                suppressed_at.insert((r.run.time, row.event.as_str()), by);
            }
        }
    }
    untuned
        .incidents
        .iter()
        .map(|inc| {
            let mut events: BTreeMap<&str, bool> = BTreeMap::new();
            let mut filters: BTreeSet<String> = BTreeSet::new();
            let mut tuned_incidents: BTreeSet<usize> = BTreeSet::new();
            let mut suppressed_alerts = 0;
            for &a in &inc.alerts {
                let alert = &untuned.alerts[a];
                let run = &untuned.runs[untuned.alert_run[a]].run;
                for &e in &alert.events {
                    let event = run.rows[e].event.as_str();
                    let gone = match suppressed_at.get(&(alert.run, event)) {
                        Some(by) => {
                            filters.extend(by.iter().cloned());
                            true
                        }
                        None => false,
                    };
                    // Suppressed only if suppressed in every alert of the incident it is in.
                    let entry = events.entry(event).or_insert(true);
                    *entry &= gone;
                }
                match tuned_alerts.get(&alert_key(untuned, a, per_result)) {
                    Some(&number) => {
                        tuned_incidents.insert(number);
                    }
                    None => suppressed_alerts += 1,
                }
            }
            let suppressed_events = events.values().filter(|g| **g).count();
            let every_event = !events.is_empty() && suppressed_events == events.len();
            let status = if every_event || suppressed_alerts == inc.alerts.len() {
                "removed"
            } else if suppressed_events > 0 || suppressed_alerts > 0 {
                "reduced"
            } else {
                "unchanged"
            };
            IncidentDiff {
                incident: inc.number,
                status,
                events: events.len(),
                suppressed_events,
                alerts: inc.alerts.len(),
                suppressed_alerts,
                filters: filters.into_iter().collect(),
                tuned_incidents: tuned_incidents.into_iter().collect(),
            }
        })
        .collect()
}
