//! Rule 000 as data: how Sentinel schedules it, when it alerts, what its alerts carry and how they
//! group into incidents. The settings come from the rule's own YAML (`rule-000.yaml`, the seed's
//! text word for word), or from a tenant's deployed copy (`--rule FILE.yaml`) whose query must be
//! rule 000's: proxyhunt replays this rule, not any KQL.

use std::path::Path;

use serde::Deserialize;

use crate::kql::time::{Nanos, DAY, HOUR, MINUTE, NANOS_PER_SECOND};
use crate::tuning::kql::RULE_000;

/// The rule's YAML as the seed gives it.
pub const RULE_000_YAML: &str = include_str!("rule-000.yaml");

#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    #[error("rule file {file}: {reason}")]
    Read { file: String, reason: String },
    #[error("rule file {file}: not a rule YAML: {message}")]
    Yaml { file: String, message: String },
    #[error("rule file {file}: {field}: {message}")]
    Setting {
        file: String,
        field: &'static str,
        message: String,
    },
    #[error("rule file {file}: its query is not rule 000's query (with or without proxyhunt's `where not(...)` tuning clauses); proxyhunt replays rule 000 only. First difference near: {near}")]
    OtherQuery { file: String, near: String },
}

/// `triggerOperator` (R7).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Trigger {
    GreaterThan,
    LessThan,
    Equal,
    NotEqual,
}

impl Trigger {
    pub fn fires(self, count: usize, threshold: i64) -> bool {
        let count = count as i64;
        match self {
            Trigger::GreaterThan => count > threshold,
            Trigger::LessThan => count < threshold,
            Trigger::Equal => count == threshold,
            Trigger::NotEqual => count != threshold,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Trigger::GreaterThan => "GreaterThan",
            Trigger::LessThan => "LessThan",
            Trigger::Equal => "Equal",
            Trigger::NotEqual => "NotEqual",
        }
    }
}

/// `eventGroupingSettings.aggregationKind` (R9, R10).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventGrouping {
    SingleAlert,
    AlertPerResult,
}

/// `matchingMethod` (R19).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    AnyAlert,
    AllEntities,
    Selected,
}

/// One entity mapping: an entity type and its identifiers, each from a result column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityMapping {
    pub entity_type: String,
    pub fields: Vec<(String, String)>,
}

/// The settings of the rule that change what a replay gives.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: String,
    pub name: String,
    pub description: String,
    pub severity: String,
    pub frequency: Nanos,
    pub period: Nanos,
    pub trigger: Trigger,
    pub threshold: i64,
    pub tactics: Vec<String>,
    pub techniques: Vec<String>,
    pub entities: Vec<EntityMapping>,
    /// Custom detail key → result column, in the file's order (R13 spends its budget key by
    /// key in this order).
    pub custom_details: Vec<(String, String)>,
    pub name_format: Option<String>,
    pub description_format: Option<String>,
    pub grouping: EventGrouping,
    pub create_incident: bool,
    pub incident_grouping: bool,
    pub reopen_closed: bool,
    pub lookback: Nanos,
    pub matching: Matching,
    pub group_by_entities: Vec<String>,
    pub group_by_alert_details: Vec<String>,
    pub group_by_custom_details: Vec<String>,
    /// R24: `suppressionEnabled` and `suppressionDuration`.
    pub suppression: Option<Nanos>,
    /// The `where not(...)` tuning clauses a deployed query carried (informational: the replay
    /// applies tuning from `--tuning`).
    pub tuned_query: bool,
    /// The rule's query as the file gives it: an alert's "Query" (R11, S16).
    pub query: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: Option<String>,
    name: Option<String>,
    description: Option<String>,
    severity: Option<String>,
    query_frequency: Option<String>,
    query_period: Option<String>,
    trigger_operator: Option<String>,
    trigger_threshold: Option<i64>,
    #[serde(default)]
    tactics: Vec<String>,
    #[serde(default)]
    relevant_techniques: Vec<String>,
    query: Option<String>,
    #[serde(default)]
    entity_mappings: Vec<RawEntityMapping>,
    #[serde(default)]
    custom_details: indexmap::IndexMap<String, String>,
    alert_details_override: Option<RawOverride>,
    event_grouping_settings: Option<RawEventGrouping>,
    incident_configuration: Option<RawIncidents>,
    suppression_enabled: Option<bool>,
    suppression_duration: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEntityMapping {
    entity_type: String,
    #[serde(default)]
    field_mappings: Vec<RawFieldMapping>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawFieldMapping {
    identifier: String,
    column_name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawOverride {
    alert_display_name_format: Option<String>,
    alert_description_format: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawEventGrouping {
    aggregation_kind: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawIncidents {
    create_incident: Option<bool>,
    grouping_configuration: Option<RawGrouping>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawGrouping {
    enabled: Option<bool>,
    reopen_closed_incident: Option<bool>,
    lookback_duration: Option<String>,
    matching_method: Option<String>,
    #[serde(default)]
    group_by_entities: Vec<String>,
    #[serde(default)]
    group_by_alert_details: Vec<String>,
    #[serde(default)]
    group_by_custom_details: Vec<String>,
}

/// A duration as rules write them: `15m`, `1h`, `5d` (the YAML), or ISO 8601 `PT5H`, `P1D`,
/// `PT1H30M` (incident lookback, suppression).
pub fn parse_duration(text: &str) -> Option<Nanos> {
    let t = text.trim();
    if let Some(iso) = t.strip_prefix('P').or_else(|| t.strip_prefix('p')) {
        let mut total: Nanos = 0;
        let mut number = String::new();
        let mut in_time = false;
        for c in iso.chars() {
            match c.to_ascii_uppercase() {
                'T' => in_time = true,
                '0'..='9' => number.push(c),
                unit => {
                    let n: i64 = number.parse().ok()?;
                    number.clear();
                    let scale = match (unit, in_time) {
                        ('D', false) => DAY,
                        ('W', false) => 7 * DAY,
                        ('H', true) => HOUR,
                        ('M', true) => MINUTE,
                        ('S', true) => NANOS_PER_SECOND,
                        _ => return None,
                    };
                    total = total.checked_add(n.checked_mul(scale)?)?;
                }
            }
        }
        return (number.is_empty() && total > 0).then_some(total);
    }
    crate::kql::time::parse_duration(t).filter(|&d| d > 0)
}

/// Rule 000 as the seed defines it.
pub fn rule_000() -> Rule {
    parse_rule("rule-000.yaml (the seed)", RULE_000_YAML).expect("the seed's rule parses")
}

/// A deployed copy of the rule, read from a file.
pub fn load_rule(path: &Path) -> Result<Rule, RuleError> {
    let file = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|e| RuleError::Read {
        file: file.clone(),
        reason: crate::data::discover::os_error(&e),
    })?;
    parse_rule(&file, &text)
}

/// Parses a rule YAML; every setting Sentinel would default is defaulted as Sentinel does
/// (`sentinel-replay.md`: SingleAlert R9, no suppression R24, incidents off without
/// `incidentConfiguration`).
pub fn parse_rule(file: &str, text: &str) -> Result<Rule, RuleError> {
    let raw: RawRule = serde_saphyr::from_str(text).map_err(|e| RuleError::Yaml {
        file: file.to_string(),
        message: crate::text::escape_unsafe(&e.to_string()),
    })?;
    let setting = |field: &'static str, message: String| RuleError::Setting {
        file: file.to_string(),
        field,
        message,
    };
    let query = raw
        .query
        .ok_or_else(|| setting("query", "missing".into()))?;
    let tuned_query = check_query(file, &query)?;
    let duration = |field: &'static str, v: Option<String>, default: Option<Nanos>| match v {
        Some(text) => parse_duration(&text).ok_or_else(|| {
            setting(
                field,
                format!("{text:?} is not a duration (15m, 1h, 14d, PT5H)"),
            )
        }),
        None => default.ok_or_else(|| setting(field, "missing".into())),
    };
    let frequency = duration("queryFrequency", raw.query_frequency, None)?;
    let period = duration("queryPeriod", raw.query_period, None)?;
    // R2: each 5 minutes to 14 days, the frequency no longer than the period.
    for (field, d) in [("queryFrequency", frequency), ("queryPeriod", period)] {
        if !(5 * MINUTE..=14 * DAY).contains(&d) {
            return Err(setting(
                field,
                "must be between 5 minutes and 14 days".into(),
            ));
        }
    }
    if frequency > period {
        return Err(setting(
            "queryFrequency",
            "must not be longer than queryPeriod".into(),
        ));
    }
    let trigger = match raw
        .trigger_operator
        .as_deref()
        .map(str::to_ascii_lowercase)
        .as_deref()
    {
        Some("gt" | "greaterthan") | None => Trigger::GreaterThan,
        Some("lt" | "lessthan") => Trigger::LessThan,
        Some("eq" | "equal") => Trigger::Equal,
        Some("ne" | "notequal") => Trigger::NotEqual,
        Some(other) => {
            return Err(setting(
                "triggerOperator",
                format!("{other:?}: use gt, lt, eq or ne"),
            ))
        }
    };
    let grouping = match raw
        .event_grouping_settings
        .and_then(|g| g.aggregation_kind)
        .as_deref()
    {
        None | Some("SingleAlert") => EventGrouping::SingleAlert,
        Some("AlertPerResult") => EventGrouping::AlertPerResult,
        Some(other) => {
            return Err(setting(
                "eventGroupingSettings.aggregationKind",
                format!("{other:?}: use SingleAlert or AlertPerResult"),
            ))
        }
    };
    let incidents = raw.incident_configuration;
    let create_incident = incidents
        .as_ref()
        .and_then(|i| i.create_incident)
        .unwrap_or(false);
    let g = incidents.and_then(|i| i.grouping_configuration);
    let (incident_grouping, reopen_closed, lookback, matching, by_entities, by_details, by_custom) =
        match g {
            Some(g) => {
                let matching = match g.matching_method.as_deref() {
                    None | Some("AnyAlert") => Matching::AnyAlert,
                    Some("AllEntities") => Matching::AllEntities,
                    Some("Selected") => Matching::Selected,
                    Some(other) => {
                        return Err(setting(
                            "matchingMethod",
                            format!("{other:?}: use AnyAlert, AllEntities or Selected"),
                        ))
                    }
                };
                let lookback = duration("lookbackDuration", g.lookback_duration, Some(5 * HOUR))?;
                // R18: 5 minutes to 7 days.
                if !(5 * MINUTE..=7 * DAY).contains(&lookback) {
                    return Err(setting(
                        "lookbackDuration",
                        "must be between 5 minutes and 7 days".into(),
                    ));
                }
                (
                    g.enabled.unwrap_or(false),
                    g.reopen_closed_incident.unwrap_or(false),
                    lookback,
                    matching,
                    g.group_by_entities,
                    g.group_by_alert_details,
                    g.group_by_custom_details,
                )
            }
            None => (
                false,
                false,
                5 * HOUR,
                Matching::AnyAlert,
                vec![],
                vec![],
                vec![],
            ),
        };
    let suppression = if raw.suppression_enabled.unwrap_or(false) {
        let d = duration(
            "suppressionDuration",
            raw.suppression_duration,
            Some(5 * HOUR),
        )?;
        // R24: up to 24 hours.
        if !(1..=DAY).contains(&d) {
            return Err(setting(
                "suppressionDuration",
                "must be more than 0 and at most 24 hours".into(),
            ));
        }
        Some(d)
    } else {
        None
    };
    let (name_format, description_format) = match raw.alert_details_override {
        Some(o) => (o.alert_display_name_format, o.alert_description_format),
        None => (None, None),
    };
    Ok(Rule {
        id: raw.id.unwrap_or_default(),
        name: raw.name.ok_or_else(|| setting("name", "missing".into()))?,
        // As the YAML gives it: a `|` block keeps its final line break, and so does the
        // description an alert falls back to (R11).
        description: raw.description.unwrap_or_default(),
        severity: raw.severity.unwrap_or_else(|| "Medium".into()),
        frequency,
        period,
        trigger,
        threshold: raw.trigger_threshold.unwrap_or(0),
        tactics: raw.tactics,
        techniques: raw.relevant_techniques,
        entities: raw
            .entity_mappings
            .into_iter()
            .map(|m| EntityMapping {
                entity_type: m.entity_type,
                fields: m
                    .field_mappings
                    .into_iter()
                    .map(|f| (f.identifier, f.column_name))
                    .collect(),
            })
            .collect(),
        custom_details: raw.custom_details.into_iter().collect(),
        name_format,
        description_format,
        grouping,
        create_incident,
        incident_grouping,
        reopen_closed,
        lookback,
        matching,
        group_by_entities: by_entities,
        group_by_alert_details: by_details,
        group_by_custom_details: by_custom,
        suppression,
        tuned_query,
        query,
    })
}

/// Whether `query` is rule 000's, with or without proxyhunt's tuning clauses (`// proxyhunt`
/// comment lines, and one-line `| where not(...)` clauses as `proxyhunt kql` writes them,
/// between the `project` and the `order by`); `Ok(true)` when it carries such clauses.
fn check_query(file: &str, query: &str) -> Result<bool, RuleError> {
    let mut tuned = false;
    let mut kept: Vec<&str> = Vec::new();
    let mut after_project = false;
    for line in query.lines() {
        let t = line.trim();
        if t.starts_with("| project") {
            after_project = true;
        }
        if t.starts_with("| order by") {
            after_project = false;
        }
        let ours = t.starts_with("// proxyhunt")
            || (after_project && t.starts_with("| where not(") && one_clause(t));
        tuned |= ours;
        if !ours {
            kept.push(line);
        }
    }
    let words =
        |text: &str| -> Vec<String> { text.split_whitespace().map(str::to_string).collect() };
    let (got, want) = (words(&kept.join("\n")), words(RULE_000));
    if got == want {
        return Ok(tuned);
    }
    let at = got
        .iter()
        .zip(&want)
        .position(|(a, b)| a != b)
        .unwrap_or(got.len().min(want.len()));
    let near = got
        .get(at.saturating_sub(2)..(at + 3).min(got.len()))
        .map(|w| w.join(" "))
        .unwrap_or_default();
    Err(RuleError::OtherQuery {
        file: file.to_string(),
        near: crate::text::quote_value(&near, 80),
    })
}

/// Whether a `| where not(...)` line is that one clause and nothing more: its parentheses
/// (outside string literals) close at the line's end, and no `|` stands outside a literal.
fn one_clause(line: &str) -> bool {
    let body = &line["| where not".len()..];
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut escaped = false;
    for (i, c) in body.char_indices() {
        match quote {
            Some(q) => {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == q {
                    quote = None;
                }
            }
            None => match c {
                '"' | '\'' => quote = Some(c),
                '(' => depth += 1,
                ')' => {
                    depth -= 1;
                    if depth == 0 {
                        return body[i + 1..].trim().is_empty();
                    }
                }
                '|' => return false,
                _ => {}
            },
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_is_read_as_sentinel_would_run_it() {
        let r = rule_000();
        assert_eq!(r.frequency, 15 * MINUTE);
        assert_eq!(r.period, HOUR);
        assert_eq!(r.trigger, Trigger::GreaterThan);
        assert_eq!(r.threshold, 0);
        assert_eq!(r.severity, "High");
        assert_eq!(r.grouping, EventGrouping::SingleAlert);
        assert!(r.create_incident && r.incident_grouping && !r.reopen_closed);
        assert_eq!(r.lookback, 5 * HOUR);
        assert_eq!(r.matching, Matching::AnyAlert);
        assert_eq!(r.group_by_entities, ["Account", "IP"]);
        assert_eq!(r.suppression, None);
        assert_eq!(
            r.entities,
            vec![
                EntityMapping {
                    entity_type: "Account".into(),
                    fields: vec![("FullName".into(), "UserPrincipalName".into())]
                },
                EntityMapping {
                    entity_type: "IP".into(),
                    fields: vec![("Address".into(), "IPAddress".into())]
                },
            ]
        );
        assert_eq!(r.custom_details.len(), 3);
        assert_eq!(
            r.name_format.as_deref(),
            Some("TOR/Proxy Sign-In - {{UserPrincipalName}} from anonymized IP {{IPAddress}}")
        );
        assert_eq!(
            r.tactics.join(","),
            "DefenseEvasion,CredentialAccess,CommandAndControl"
        );
        assert!(!r.tuned_query);
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("15m"), Some(15 * MINUTE));
        assert_eq!(parse_duration("14d"), Some(14 * DAY));
        assert_eq!(parse_duration("PT5H"), Some(5 * HOUR));
        assert_eq!(parse_duration("PT1H30M"), Some(90 * MINUTE));
        assert_eq!(parse_duration("P1D"), Some(DAY));
        assert_eq!(parse_duration("5"), None);
        assert_eq!(parse_duration("0m"), None);
        assert_eq!(parse_duration("PT"), None);
        assert_eq!(parse_duration("1y"), None);
    }

    #[test]
    fn settings_outside_sentinels_ranges_are_refused() {
        // R2: frequency and period 5 minutes to 14 days, frequency no longer than period;
        // R18: incident lookback 5 minutes to 7 days; R24: suppression at most 24 hours.
        let cases = [
            (
                "queryFrequency: 15m",
                "queryFrequency: 4m",
                "queryFrequency",
            ),
            ("queryPeriod: 1h", "queryPeriod: 15d", "queryPeriod"),
            ("queryPeriod: 1h", "queryPeriod: 10m", "queryFrequency"),
            (
                "lookbackDuration: PT5H",
                "lookbackDuration: P8D",
                "lookbackDuration",
            ),
            (
                "lookbackDuration: PT5H",
                "lookbackDuration: PT4M",
                "lookbackDuration",
            ),
        ];
        for (from, to, field) in cases {
            let text = RULE_000_YAML.replace(from, to);
            assert_ne!(text, RULE_000_YAML, "{from} is in the seed");
            let err = parse_rule("v.yaml", &text).unwrap_err().to_string();
            assert!(err.contains(field), "{to}: {err}");
        }
        let suppressed =
            format!("{RULE_000_YAML}\nsuppressionEnabled: true\nsuppressionDuration: PT25H\n");
        let err = parse_rule("v.yaml", &suppressed).unwrap_err().to_string();
        assert!(err.contains("suppressionDuration"), "{err}");
        let ok = suppressed.replace("PT25H", "PT24H");
        assert_eq!(parse_rule("v.yaml", &ok).unwrap().suppression, Some(DAY));
        let days = RULE_000_YAML.replace("lookbackDuration: PT5H", "lookbackDuration: P7D");
        assert_eq!(parse_rule("v.yaml", &days).unwrap().lookback, 7 * DAY);
    }

    #[test]
    fn a_deployed_variant_is_read_and_another_query_refused() {
        let variant = RULE_000_YAML
            .replace("queryFrequency: 15m", "queryFrequency: 1h")
            .replace("queryPeriod: 1h", "queryPeriod: 14d")
            .replace("lookbackDuration: PT5H", "lookbackDuration: P1D")
            .replace("matchingMethod: AnyAlert", "matchingMethod: AllEntities")
            .replace(
                "  | order by TimeGenerated desc",
                "  // proxyhunt: filter x\n  | where not(UserPrincipalName in~ (\"a\"))\n  | order by TimeGenerated desc",
            );
        let r = parse_rule("v.yaml", &variant).unwrap();
        assert_eq!((r.frequency, r.period, r.lookback), (HOUR, 14 * DAY, DAY));
        assert_eq!(r.matching, Matching::AllEntities);
        assert!(r.tuned_query);
        // A second condition smuggled behind a clause is another query.
        for smuggled in [
            "  | where not(UserPrincipalName in~ (\"a\")) | where ResultType != 0\n",
            "  | where not(UserPrincipalName in~ (\"a)\"))) or true\n",
        ] {
            let other = RULE_000_YAML.replace(
                "  | order by TimeGenerated desc",
                &format!("{smuggled}  | order by TimeGenerated desc"),
            );
            let e = parse_rule("s.yaml", &other).unwrap_err().to_string();
            assert!(e.contains("not rule 000's query"), "{smuggled}: {e}");
        }
        let other = RULE_000_YAML.replace("ago(1h)", "ago(2h)");
        let e = parse_rule("o.yaml", &other).unwrap_err().to_string();
        assert!(
            e.contains("o.yaml") && e.contains("not rule 000's query") && e.contains("ago(2h)"),
            "{e}"
        );
        let bad = RULE_000_YAML.replace("queryFrequency: 15m", "queryFrequency: 2h");
        let e = parse_rule("b.yaml", &bad).unwrap_err().to_string();
        assert!(
            e.contains("queryFrequency") && e.contains("queryPeriod"),
            "{e}"
        );
        let e = parse_rule("n.yaml", "name: [").unwrap_err().to_string();
        assert!(e.contains("n.yaml") && e.contains("not a rule YAML"), "{e}");
    }
}
