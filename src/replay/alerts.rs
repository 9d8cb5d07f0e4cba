//! From a run's rows to alerts, as Sentinel builds them (R7–R16): the trigger, one alert per run
//! (or per result), the name and description filled from the first row, the entities and the
//! custom details with their limits, and the alert's times.

use serde_json::{json, Map, Value};

use super::rule::{EventGrouping, Rule};
use super::runs::{ResultRow, Run};
use crate::kql::time::Nanos;

/// R10: alerts per run under AlertPerResult; the last one sums up the rest.
pub const MAX_ALERTS_PER_RUN: usize = 150;
/// R11: AlertName's limit in bytes, and the description's.
pub const NAME_BYTES: usize = 256;
pub const DESCRIPTION_BYTES: usize = 5 * 1024;
/// R12: entities per alert, shared equally across the mappings; the Entities field's size.
pub const MAX_ENTITIES: usize = 500;
pub const ENTITIES_BYTES: usize = 64 * 1024;
/// R13: values per custom detail, and all custom details' size together.
pub const DETAIL_VALUES: usize = 50;
pub const DETAILS_BYTES: usize = 2 * 1024;

/// One alert, shaped like Sentinel's `SecurityAlert` row.
#[derive(Debug, Clone)]
pub struct Alert {
    /// `<ruleId>:<T>:<n>` (R27).
    pub id: String,
    pub run: Nanos,
    pub name: String,
    pub description: String,
    pub severity: String,
    /// `TimeGenerated` / `ProcessingEndTime`: T plus the delay (R3, R15).
    pub created: Nanos,
    pub start: Nanos,
    pub end: Nanos,
    /// Compact `{"Type": ..., identifier: value}` objects, in the order they were added.
    pub entities: Vec<Value>,
    pub custom_details: Vec<(String, Vec<String>)>,
    /// "Search Query Results Overall Count": the run's rows.
    pub overall_count: usize,
    /// Indices of the run's rows this alert carries.
    pub events: Vec<usize>,
}

/// A row's value for a column, as text: strings as they are, arrays (AnonymizationType) as
/// compact JSON, nothing as empty.
pub fn value_of(row: &ResultRow, column: &str) -> String {
    match row.record.fields.iter().find(|(k, _)| *k == column) {
        Some((_, Value::String(s))) => s.clone(),
        Some((_, Value::Null)) | None => String::new(),
        Some((_, v)) => v.to_string(),
    }
}

/// Cuts `text` to at most `bytes` bytes, at a character boundary.
fn cut(text: &str, bytes: usize) -> String {
    if text.len() <= bytes {
        return text.to_string();
    }
    let mut end = bytes;
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[..end].to_string()
}

/// `format` with each `{{Column}}` filled from `row`; `None` when a referenced value is empty
/// (R11: the whole field reverts to the rule's default) or there is no row.
pub fn fill(format: &str, row: Option<&ResultRow>) -> Option<String> {
    let mut out = String::new();
    let mut rest = format;
    while let Some(open) = rest.find("{{") {
        // An opening with no close is text, as written.
        let Some(close) = rest[open..].find("}}").map(|c| c + open) else {
            break;
        };
        out.push_str(&rest[..open]);
        let column = rest[open + 2..close].trim();
        let value = value_of(row?, column);
        if value.is_empty() {
            return None;
        }
        out.push_str(&value);
        rest = &rest[close + 2..];
    }
    out.push_str(rest);
    Some(out)
}

/// The entities of `rows` (R12): rows in result order, mappings in rule order, empty identifiers
/// skipped, identical entities merged, at most [`MAX_ENTITIES`] shared across the mappings, and
/// added until the field would pass [`ENTITIES_BYTES`].
pub fn entities(rule: &Rule, rows: &[&ResultRow]) -> Vec<Value> {
    let per_mapping = MAX_ENTITIES / rule.entities.len().max(1);
    let mut counts = vec![0usize; rule.entities.len()];
    let mut out: Vec<Value> = Vec::new();
    let mut size = 2; // `[]`
    for row in rows {
        for (m, mapping) in rule.entities.iter().enumerate() {
            let mut entity = Map::new();
            entity.insert(
                "Type".into(),
                json!(mapping.entity_type.to_ascii_lowercase()),
            );
            let mut any = false;
            for (identifier, column) in &mapping.fields {
                let v = value_of(row, column);
                if !v.is_empty() {
                    entity.insert(identifier.clone(), json!(v));
                    any = true;
                }
            }
            let entity = Value::Object(entity);
            if !any || counts[m] >= per_mapping || out.contains(&entity) {
                continue;
            }
            let bytes = entity.to_string().len() + usize::from(!out.is_empty());
            if size + bytes > ENTITIES_BYTES {
                return out;
            }
            size += bytes;
            counts[m] += 1;
            out.push(entity);
        }
    }
    out
}

/// The custom details of `rows` (R13): per key in the rule's order, the distinct non-empty values
/// in result order, at most [`DETAIL_VALUES`]; the first value that would take all details past
/// [`DETAILS_BYTES`] ends its key.
pub fn custom_details(rule: &Rule, rows: &[&ResultRow]) -> Vec<(String, Vec<String>)> {
    let mut size = 0;
    let mut out = Vec::new();
    for (key, column) in &rule.custom_details {
        let mut values: Vec<String> = Vec::new();
        for row in rows {
            let v = value_of(row, column);
            if v.is_empty() || values.contains(&v) {
                continue;
            }
            if values.len() >= DETAIL_VALUES || size + v.len() > DETAILS_BYTES {
                break;
            }
            size += v.len();
            values.push(v);
        }
        out.push((key.clone(), values));
    }
    out
}

/// The alerts of one run that fired (R7–R16); none when it did not.
pub fn alerts_of(rule: &Rule, run: &Run, delay: Nanos) -> Vec<Alert> {
    if !rule.trigger.fires(run.rows.len(), rule.threshold) {
        return Vec::new();
    }
    let all: Vec<usize> = (0..run.rows.len()).collect();
    let groups: Vec<Vec<usize>> = match rule.grouping {
        // A trigger that fires on no rows (lt, eq, ne) raises one alert with no events (R7).
        _ if all.is_empty() => vec![all],
        EventGrouping::SingleAlert => vec![all],
        EventGrouping::AlertPerResult if run.rows.len() <= MAX_ALERTS_PER_RUN => {
            all.iter().map(|&i| vec![i]).collect()
        }
        // More than 150: the first 149 each, the 150th sums up the whole set (R10).
        EventGrouping::AlertPerResult => {
            let mut g: Vec<Vec<usize>> = (0..MAX_ALERTS_PER_RUN - 1).map(|i| vec![i]).collect();
            g.push(all);
            g
        }
    };
    groups
        .into_iter()
        .enumerate()
        .map(|(n, events)| alert(rule, run, delay, n, events))
        .collect()
}

fn alert(rule: &Rule, run: &Run, delay: Nanos, n: usize, events: Vec<usize>) -> Alert {
    let rows: Vec<&ResultRow> = events.iter().map(|&i| &run.rows[i]).collect();
    let first = rows.first().copied();
    let name = rule
        .name_format
        .as_deref()
        .and_then(|f| fill(f, first))
        .unwrap_or_else(|| rule.name.clone());
    let description = rule
        .description_format
        .as_deref()
        .and_then(|f| fill(f, first))
        .unwrap_or_else(|| rule.description.clone());
    let times = rows.iter().map(|r| r.row.time);
    let (start, end) = match (times.clone().min(), times.max()) {
        (Some(lo), Some(hi)) => (lo, hi),
        _ => run.window,
    };
    Alert {
        id: format!(
            "{}:{}:{n}",
            rule.id,
            crate::data::values::format_datetime(run.time)
        ),
        run: run.time,
        name: cut(&name, NAME_BYTES),
        description: cut(&description, DESCRIPTION_BYTES),
        severity: rule.severity.clone(),
        created: run.time.saturating_add(delay),
        start,
        end,
        entities: entities(rule, &rows),
        custom_details: custom_details(rule, &rows),
        overall_count: run.rows.len(),
        events,
    }
}
