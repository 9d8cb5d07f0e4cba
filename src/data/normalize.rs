//! Turning a recognised source into a typed frame with the table's canonical columns.
//!
//! Strings are never null (Kusto has no null string: a missing value is `""`); datetimes,
//! booleans and integers are null when missing, and reported when present but unreadable. A row
//! without a readable event time cannot be placed in any window and is rejected, with its line.

use polars::prelude::*;

use super::columns::resolve;
use super::issues::{Issue, IssueLog, Severity};
use super::raw::RawSource;
use super::schema::{ColType, Need, TableKind, SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN};
use super::values::{parse_bool, parse_datetime, parse_int};
use crate::kql::time::Nanos;
use crate::text::quote_value;

/// A file's rows as a typed table, with what `check` reports about it.
pub struct Normalized {
    pub frame: DataFrame,
    pub rows_rejected: usize,
    pub time_range: Option<(Nanos, Nanos)>,
    /// Output columns the file lacks (shown empty in findings).
    pub missing_output: Vec<&'static str>,
    /// Per column: how many present values could not be parsed.
    pub unparseable: Vec<(&'static str, usize)>,
    /// How columns were found when not under their own name.
    pub notes: Vec<String>,
}

/// Why a recognised file cannot serve its table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unusable {
    pub missing_filter: Vec<&'static str>,
}

impl std::fmt::Display for Unusable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "missing column(s) the detections test: {}",
            self.missing_filter.join(", ")
        )
    }
}

/// `null` / `NULL` written as text by some tools: missing in a typed column. In a string column
/// it stays text, since a string column cannot tell it from a value.
fn is_null_text(text: &str) -> bool {
    text.eq_ignore_ascii_case("null")
}

fn type_name(ty: ColType) -> &'static str {
    match ty {
        ColType::Str => "a string",
        ColType::DateTime => "a datetime",
        ColType::Bool => "a bool",
        ColType::Int => "an integer",
    }
}

pub fn normalize(
    source: &RawSource,
    table: TableKind,
    file_index: u32,
    log: &mut IssueLog,
) -> Result<Normalized, Unusable> {
    let specs = table.columns();
    let resolved: Vec<_> = specs.iter().map(|s| resolve(&source.headers, s)).collect();
    let missing_filter: Vec<&'static str> = specs
        .iter()
        .zip(&resolved)
        .filter(|(s, r)| s.need == Need::Filter && r.is_none())
        .map(|(s, _)| s.name)
        .collect();
    if !missing_filter.is_empty() {
        return Err(Unusable { missing_filter });
    }
    let missing_output = specs
        .iter()
        .zip(&resolved)
        .filter(|(s, r)| s.need == Need::Output && r.is_none())
        .map(|(s, _)| s.name)
        .collect();
    let notes = resolved
        .iter()
        .flatten()
        .filter_map(|r| r.note.clone())
        .collect();
    let requests: Vec<Vec<usize>> = resolved
        .iter()
        .map(|r| r.as_ref().map(|r| r.indices.clone()).unwrap_or_default())
        .collect();

    let extracted = source.extract(&requests, table.name(), log);
    let height = extracted.positions.len();
    let mut keep = vec![true; height];
    let mut columns: Vec<Column> = Vec::with_capacity(specs.len() + 2);
    let mut unparseable = Vec::new();
    let mut time_range: Option<(Nanos, Nanos)> = None;

    for (ci, (spec, cells)) in specs.iter().zip(extracted.columns).enumerate() {
        let is_time = ci == 0;
        let mut bad = 0usize;
        let mut report = |row: usize, text: &str, log: &mut IssueLog| {
            bad += 1;
            let at = source.addressing.at(extracted.positions[row]);
            let (severity, consequence) = if is_time {
                (Severity::Error, "row skipped")
            } else {
                (Severity::Warning, "read as empty")
            };
            let msg = format!(
                "cannot read {} as {}; {consequence}",
                quote_value(text, 60),
                type_name(spec.ty)
            );
            log.push(
                "bad-value",
                Issue {
                    severity,
                    file: source.name.clone(),
                    table: Some(table.name().into()),
                    location: Some(at),
                    column: Some(spec.name.into()),
                    message: msg,
                },
            );
        };
        let name = PlSmallStr::from_static(spec.name);
        let column = match spec.ty {
            ColType::Str => {
                let ca: StringChunked = cells
                    .iter()
                    .map(|c| Some(c.as_deref().unwrap_or("")))
                    .collect();
                ca.with_name(name).into_column()
            }
            ColType::DateTime => {
                let values: Vec<Option<i64>> = cells
                    .iter()
                    .enumerate()
                    .map(|(row, c)| {
                        let Some(text) = c.as_deref().filter(|t| !is_null_text(t)) else {
                            if is_time {
                                let at = source.addressing.at(extracted.positions[row]);
                                let msg = "no event time; row skipped".to_string();
                                log.push(
                                    "missing-time",
                                    Issue {
                                        severity: Severity::Error,
                                        file: source.name.clone(),
                                        table: Some(table.name().into()),
                                        location: Some(at),
                                        column: Some(spec.name.into()),
                                        message: msg,
                                    },
                                );
                            }
                            return None;
                        };
                        let parsed = parse_datetime(text);
                        if parsed.is_none() {
                            report(row, text, log);
                        }
                        parsed
                    })
                    .collect();
                if is_time {
                    for (row, v) in values.iter().enumerate() {
                        match v {
                            Some(t) => {
                                time_range = Some(
                                    time_range
                                        .map_or((*t, *t), |(lo, hi)| (lo.min(*t), hi.max(*t))),
                                );
                            }
                            None => keep[row] = false,
                        }
                    }
                }
                let ca: Int64Chunked = values.into_iter().collect();
                ca.with_name(name)
                    .into_column()
                    .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
                    .expect("i64 casts to datetime")
            }
            ColType::Bool => {
                let ca: BooleanChunked = cells
                    .iter()
                    .enumerate()
                    .map(|(row, c)| {
                        let text = c.as_deref().filter(|t| !is_null_text(t))?;
                        let parsed = parse_bool(text);
                        if parsed.is_none() {
                            report(row, text, log);
                        }
                        parsed
                    })
                    .collect();
                ca.with_name(name).into_column()
            }
            ColType::Int => {
                let ca: Int64Chunked = cells
                    .iter()
                    .enumerate()
                    .map(|(row, c)| {
                        let text = c.as_deref().filter(|t| !is_null_text(t))?;
                        let parsed = parse_int(text);
                        if parsed.is_none() {
                            report(row, text, log);
                        }
                        parsed
                    })
                    .collect();
                ca.with_name(name).into_column()
            }
        };
        if bad > 0 {
            unparseable.push((spec.name, bad));
        }
        columns.push(column);
    }
    columns.push(Column::new(
        SOURCE_FILE_COLUMN.into(),
        vec![file_index; height],
    ));
    columns.push(Column::new(
        SOURCE_LINE_COLUMN.into(),
        extracted
            .positions
            .iter()
            .map(|&p| p as i64)
            .collect::<Vec<_>>(),
    ));

    let frame = DataFrame::new(height, columns).expect("columns of equal length");
    let rejected_here = keep.iter().filter(|k| !**k).count();
    let frame = if rejected_here > 0 {
        let mask: BooleanChunked = keep.into_iter().map(Some).collect();
        frame.filter(&mask).expect("mask matches height")
    } else {
        frame
    };
    Ok(Normalized {
        frame,
        rows_rejected: extracted.rejected + source.rejected + rejected_here,
        time_range,
        missing_output,
        unparseable,
        notes,
    })
}
