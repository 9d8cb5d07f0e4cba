//! Findings as plain rows for interactive use: every exported field as display text, plus the
//! normalised entities and a one-line summary. Built once per hunt; views index into them.

use polars::prelude::*;
use serde_json::Value;

use crate::detect::DetectionType;
use crate::export::json_records;
use crate::kql::time::Nanos;

#[derive(Debug, Clone, PartialEq)]
pub struct FindingRow {
    pub kind: DetectionType,
    pub time: Nanos,
    /// `DetectionType`, the type's projected columns, then the extras, as the export has them.
    pub fields: Vec<(&'static str, String)>,
    pub user: String,
    pub device: String,
    pub ip: String,
    pub summary: String,
    /// Every field's text but the Reason's, in lower case, each followed by [`FIELD_END`]: what
    /// find searches.
    pub search: String,
}

/// Ends each field in [`FindingRow::search`], so that a match never spans two fields (finding
/// text cannot hold it: it is typed, and control characters are not).
pub const FIELD_END: char = '\0';

impl FindingRow {
    /// Where the finding's event was read, `SourceFile:SourceLine`: the key that names the
    /// same event in a replay's runs, in go hunt (`ContextEvent::source`) and in the findings.
    pub fn source(&self) -> String {
        format!("{}:{}", self.get("SourceFile"), self.get("SourceLine"))
    }

    /// A field's text, `""` when the finding's type has no such column.
    pub fn get(&self, name: &str) -> &str {
        self.fields
            .iter()
            .find(|(k, _)| *k == name)
            .map_or("", |(_, v)| v.as_str())
    }
}

fn text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(text).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

fn summary(row: &FindingRow) -> String {
    match row.kind {
        DetectionType::AnonymizedSignIn => format!(
            "{} to {} from {} [{}]",
            row.get("UserPrincipalName"),
            row.get("AppDisplayName"),
            row.get("IPAddress"),
            row.get("AnonymizationType")
        ),
        DetectionType::TorPortConnection => format!(
            "{} -> {}:{} {}",
            row.get("InitiatingProcessFileName"),
            row.get("RemoteIP"),
            row.get("RemotePort"),
            row.get("RemoteUrl")
        ),
        _ => format!("{}: {}", row.get("FileName"), row.get("ProcessCommandLine")),
    }
}

/// Converts the findings frame (as [`crate::detect::hunt`] returns it) into rows, in its order.
pub fn finding_rows(findings: &DataFrame) -> PolarsResult<Vec<FindingRow>> {
    let times = crate::detect::findings::finding_times(findings)?;
    let records = json_records(findings)?;
    let mut out = Vec::with_capacity(records.len());
    for (record, time) in records.into_iter().zip(times) {
        // A beyond-the-rule type (`AnonymizedSignIn+`) is a row of its base type: tuning and
        // the console treat it as one (its DetectionType field keeps the `+`). Every row of the
        // frame is a row here, in order: tuning masks the frame with them.
        let kind = record.fields[0]
            .1
            .as_str()
            .and_then(|k| DetectionType::from_name(k.trim_end_matches('+')));
        let Some(kind) = kind else { continue };
        let fields: Vec<(&'static str, String)> =
            record.fields.iter().map(|(k, v)| (*k, text(v))).collect();
        let mut row = FindingRow {
            kind,
            time: time.unwrap_or(0),
            user: String::new(),
            device: String::new(),
            ip: String::new(),
            summary: String::new(),
            search: String::new(),
            fields,
        };
        // The Reason's words ("indicator", "tor") would match nearly every finding: find
        // searches the record.
        for (_, v) in row.fields.iter().filter(|(k, _)| *k != "Reason") {
            row.search.push_str(&v.to_lowercase());
            row.search.push(FIELD_END);
        }
        row.user = row.get("User").to_string();
        row.device = row.get("Device").to_string();
        row.ip = row.get("IP").to_string();
        row.summary = summary(&row);
        out.push(row);
    }
    Ok(out)
}
