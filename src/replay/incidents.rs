//! Alerts into incidents (R17–R23): with grouping on, an alert joins the open incident of this
//! rule that matches it and whose first alert is at most the lookback older; after that, or past
//! 150 alerts, a new incident starts.

use serde_json::Value;

use super::alerts::Alert;
use super::rule::{Matching, Rule};
use crate::kql::time::Nanos;

/// R21: alerts per incident; the next starts an incident of its own.
pub const MAX_ALERTS_PER_INCIDENT: usize = 150;

/// How incidents are grouped beyond the rule's own settings: the what-ifs of R18 and R22.
#[derive(Debug, Clone, Copy, Default)]
pub struct IncidentOptions {
    /// R18: the lookback's end is exclusive (an alert exactly at first + lookback starts a new
    /// incident).
    pub lookback_exclusive: bool,
    /// R22: every incident is closed this long after it was created.
    pub close_after: Option<Nanos>,
}

/// One incident, shaped like `SecurityIncident`.
#[derive(Debug, Clone)]
pub struct Incident {
    /// 1, 2, ... in creation order (R27).
    pub number: usize,
    pub title: String,
    pub description: String,
    pub severity: String,
    pub created: Nanos,
    pub first_activity: Nanos,
    pub last_activity: Nanos,
    /// Indices into the replay's alerts.
    pub alerts: Vec<usize>,
    /// When the what-if closed it, if it did by the end of the replay (and was not reopened).
    pub closed: Option<Nanos>,
    reopened: bool,
    key: Key,
}

/// What two alerts must share to be grouped (R19, R20): exact strings.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Key(Vec<String>);

fn key(rule: &Rule, alert: &Alert) -> Key {
    let entity_text = |wanted: Option<&[String]>| -> Vec<String> {
        let mut v: Vec<String> = alert
            .entities
            .iter()
            .filter(|e| {
                let t = e.get("Type").and_then(Value::as_str).unwrap_or("");
                wanted.is_none_or(|w| w.iter().any(|x| x.eq_ignore_ascii_case(t)))
            })
            .map(Value::to_string)
            .collect();
        v.sort();
        v.dedup();
        v
    };
    match rule.matching {
        Matching::AnyAlert => Key(Vec::new()),
        Matching::AllEntities => Key(entity_text(None)),
        Matching::Selected => {
            let mut k = entity_text(Some(&rule.group_by_entities));
            for d in &rule.group_by_alert_details {
                match d.as_str() {
                    "DisplayName" => k.push(format!("name={}", alert.name)),
                    "Severity" => k.push(format!("severity={}", alert.severity)),
                    other => k.push(format!("{other}=")),
                }
            }
            for c in &rule.group_by_custom_details {
                let values = alert
                    .custom_details
                    .iter()
                    .find(|(key, _)| key == c)
                    .map(|(_, v)| v.join("\u{1f}"))
                    .unwrap_or_default();
                k.push(format!("{c}={values}"));
            }
            Key(k)
        }
    }
}

/// Groups `alerts` (in creation order) into incidents; `end` is when the replay ends (a what-if
/// closing after it has not happened).
pub fn incidents(
    rule: &Rule,
    alerts: &[Alert],
    options: IncidentOptions,
    end: Nanos,
) -> Vec<Incident> {
    let mut out: Vec<Incident> = Vec::new();
    if !rule.create_incident {
        return out;
    }
    let mut order: Vec<usize> = (0..alerts.len()).collect();
    order.sort_by_key(|&i| (alerts[i].created, i));
    for i in order {
        let alert = &alerts[i];
        let k = key(rule, alert);
        let closed_at = |inc: &Incident| options.close_after.map(|d| inc.created.saturating_add(d));
        let joins = |inc: &Incident| {
            let limit = inc.created.saturating_add(rule.lookback);
            let within = if options.lookback_exclusive {
                alert.created < limit
            } else {
                alert.created <= limit
            };
            let open = closed_at(inc).is_none_or(|c| alert.created < c) || rule.reopen_closed;
            rule.incident_grouping
                && inc.key == k
                && within
                && open
                && inc.alerts.len() < MAX_ALERTS_PER_INCIDENT
        };
        if let Some(inc) = out.iter_mut().rev().find(|inc| joins(inc)) {
            // A closed incident that takes an alert is reopened (R22).
            if closed_at(inc).is_some_and(|c| alert.created >= c) {
                inc.reopened = true;
            }
            inc.alerts.push(i);
            inc.first_activity = inc.first_activity.min(alert.start);
            inc.last_activity = inc.last_activity.max(alert.end);
            continue;
        }
        // R21: past 150 alerts, a new incident "with the same incident details as the
        // original" (its lookback starts at its own first alert).
        let full = out.iter().rev().find(|inc| {
            inc.alerts.len() >= MAX_ALERTS_PER_INCIDENT
                && inc.key == k
                && alert.created <= inc.created.saturating_add(rule.lookback)
        });
        let (title, description, severity) = match full {
            Some(f) => (f.title.clone(), f.description.clone(), f.severity.clone()),
            None => (
                alert.name.clone(),
                alert.description.clone(),
                alert.severity.clone(),
            ),
        };
        out.push(Incident {
            number: out.len() + 1,
            title,
            description,
            severity,
            created: alert.created,
            first_activity: alert.start,
            last_activity: alert.end,
            alerts: vec![i],
            closed: None,
            reopened: false,
            key: k,
        });
    }
    // The what-if's closing times that fall within the replay.
    if let Some(d) = options.close_after {
        for inc in &mut out {
            let at = inc.created.saturating_add(d);
            if at <= end && !inc.reopened {
                inc.closed = Some(at);
            }
        }
    }
    out
}
