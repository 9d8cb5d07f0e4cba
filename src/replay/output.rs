//! A replay as JSON, shaped like Sentinel's tables: runs, `SecurityAlert` rows (with their
//! events), `SecurityIncident` rows, and the summary. Times are RFC 3339 with 7 fraction digits.

use serde_json::{json, Map, Value};

use super::alerts::Alert;
use super::rule::Rule;
use super::{IncidentDiff, Replay, Summary};
use crate::kql::time::Nanos;

/// `2026-05-12T10:15:00.0000000Z`: Kusto's tick, always 7 digits.
pub fn time7(t: Nanos) -> String {
    let base = crate::data::values::format_datetime(t - t.rem_euclid(1_000_000_000));
    let ticks = t.rem_euclid(1_000_000_000) / 100;
    format!("{}.{ticks:07}Z", base.trim_end_matches('Z'))
}

/// The "Query Start/End Time UTC" form Sentinel writes (`2022-02-02 14:00:56Z`).
fn query_time(t: Nanos) -> String {
    let text = crate::data::values::format_datetime(t - t.rem_euclid(1_000_000_000));
    text.replacen('T', " ", 1)
}

/// A replay (one side of it: untuned or tuned) as `{"runs", "alerts", "incidents", "summary"}`.
pub fn replay_json(rule: &Rule, replay: &Replay) -> Value {
    let runs: Vec<Value> = replay
        .runs
        .iter()
        .map(|r| {
            json!({
                "QueryTime": time7(r.run.time),
                "WindowStart": time7(r.run.window.0),
                "WindowEnd": time7(r.run.window.1),
                "ResultCount": r.run.rows.len(),
                "Fired": r.fired,
                "SkippedBySuppression": r.suppressed,
            })
        })
        .collect();
    let alerts: Vec<Value> = replay
        .alerts
        .iter()
        .zip(&replay.alert_run)
        .map(|(a, &r)| alert_json(rule, a, &replay.runs[r].run.rows))
        .collect();
    let incidents: Vec<Value> = replay
        .incidents
        .iter()
        .map(|inc| {
            json!({
                "IncidentNumber": inc.number,
                "Title": inc.title,
                "Description": inc.description,
                "Severity": inc.severity,
                "Status": if inc.closed.is_some() { "Closed" } else { "New" },
                "CreatedTime": time7(inc.created),
                "FirstActivityTime": time7(inc.first_activity),
                "LastActivityTime": time7(inc.last_activity),
                "AlertIds": inc.alerts.iter().map(|&a| replay.alerts[a].id.clone()).collect::<Vec<_>>(),
                "AlertCount": inc.alerts.len(),
            })
        })
        .collect();
    json!({
        "runs": runs,
        "alerts": alerts,
        "incidents": incidents,
        "summary": summary_json(&replay.summary()),
    })
}

pub fn summary_json(s: &Summary) -> Value {
    json!({
        "runs": s.runs,
        "runs_fired": s.runs_fired,
        "runs_skipped_by_suppression": s.runs_suppressed,
        "alerts": s.alerts,
        "incidents": s.incidents,
        "distinct_events_alerted": s.events,
        "event_alert_appearances": s.appearances,
        "most_alerts_per_event": s.most_appearances,
    })
}

/// One alert as a `SecurityAlert` row, with the findings it carried as `Events`.
pub fn alert_json(rule: &Rule, a: &Alert, rows: &[super::runs::ResultRow]) -> Value {
    let mut details = Map::new();
    for (k, v) in &a.custom_details {
        details.insert(k.clone(), json!(v));
    }
    let grouping = match rule.grouping {
        super::rule::EventGrouping::SingleAlert => "SingleAlert",
        super::rule::EventGrouping::AlertPerResult => "AlertPerResult",
    };
    // Sentinel sets `query_now` to the run's time above the rule's query (S16); under
    // AlertPerResult the rule's own query is kept as OriginalQuery (R10).
    let query = format!(
        "set query_now = datetime({});\n{}",
        time7(a.run),
        rule.query.trim_end()
    );
    let mut extended = json!({
        "Query": query,
        "Query Start Time UTC": query_time(a.run.saturating_sub(rule.period)),
        "Query End Time UTC": query_time(a.run),
        "Query Period": crate::kql::time::format_duration(rule.period),
        "Trigger Operator": rule.trigger.name(),
        "Trigger Threshold": rule.threshold.to_string(),
        "Search Query Results Overall Count": a.overall_count.to_string(),
        "Analytic Rule Ids": format!("[\"{}\"]", rule.id),
        "Analytic Rule Name": rule.name,
        "Event Grouping": grouping,
        "Custom Details": Value::Object(details),
    });
    if matches!(rule.grouping, super::rule::EventGrouping::AlertPerResult) {
        extended["OriginalQuery"] = json!(rule.query.trim_end());
    }
    json!({
        "SystemAlertId": a.id,
        "AlertName": a.name,
        "Description": a.description,
        "AlertSeverity": a.severity,
        "Tactics": rule.tactics.join(","),
        "Techniques": rule.techniques.join(","),
        "ProviderName": "ASI Scheduled Alerts",
        "ProductName": "Azure Sentinel",
        "VendorName": "Microsoft",
        "AlertType": rule.id,
        "StartTime": time7(a.start),
        "EndTime": time7(a.end),
        "TimeGenerated": time7(a.created),
        "ProcessingEndTime": time7(a.created),
        "Entities": a.entities,
        "ExtendedProperties": extended,
        "Events": a.events.iter().map(|&e| rows[e].record.to_json()).collect::<Vec<_>>(),
    })
}

pub fn diff_json(diff: &[IncidentDiff]) -> Value {
    Value::Array(
        diff.iter()
            .map(|d| {
                json!({
                    "IncidentNumber": d.incident,
                    "Status": d.status,
                    "Events": d.events,
                    "SuppressedEvents": d.suppressed_events,
                    "Alerts": d.alerts,
                    "SuppressedAlerts": d.suppressed_alerts,
                    "Filters": d.filters,
                    "TunedIncidents": d.tuned_incidents,
                })
            })
            .collect(),
    )
}
