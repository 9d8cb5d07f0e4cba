//! Turning one column's cells into its Kusto type, reporting the values that cannot be read.

use polars::prelude::*;

use crate::data::formats::parquet::{column_text, datetime_nanos};
use crate::data::issues::{Issue, IssueLog, Severity};
use crate::data::source::{Cell, SourceMeta};
use crate::data::table::schema::{ColType, ColumnSpec, TableKind};
use crate::data::values::{
    is_clamped, is_missing, is_null_text, parse_bool, parse_int, Datetimes, EARLIEST,
};
use crate::text::quote_value;

/// The source and table a column belongs to, for messages, and how its datetimes are read.
pub(super) struct Where<'a> {
    pub meta: &'a SourceMeta,
    pub table: TableKind,
    pub datetimes: Datetimes,
}

fn type_name(ty: ColType) -> &'static str {
    match ty {
        ColType::Str => "a string",
        ColType::DateTime => "a datetime",
        ColType::Bool => "a bool",
        ColType::Int => "an integer",
    }
}

/// Converts one column's text cells into its Kusto type, reporting unreadable values. Returns
/// the column and how many present values could not be read.
pub(super) fn convert_column(
    at: &Where,
    spec: &ColumnSpec,
    is_time: bool,
    cells: &[Cell],
    positions: &[u64],
    log: &mut IssueLog,
) -> (Column, usize) {
    let mut bad = 0usize;
    let issue = |row: usize, column: &str, severity: Severity, message: String| Issue {
        severity,
        file: at.meta.name.clone(),
        table: Some(at.table.name().into()),
        location: Some(at.meta.addressing.at(positions[row])),
        column: Some(column.into()),
        message,
    };
    let mut report = |row: usize, text: &str, log: &mut IssueLog| {
        bad += 1;
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
        log.push("bad-value", issue(row, spec.name, severity, msg));
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
            let ca: Int64Chunked = cells
                .iter()
                .enumerate()
                .map(|(row, c)| {
                    let Some(text) = c.as_deref().filter(|t| !is_null_text(t)) else {
                        if is_time {
                            log.push(
                                "missing-time",
                                issue(
                                    row,
                                    spec.name,
                                    Severity::Error,
                                    "no event time; row skipped".into(),
                                ),
                            );
                        }
                        return None;
                    };
                    let parsed = at.datetimes.parse(text);
                    match parsed {
                        None => report(row, text, log),
                        Some(t) if is_clamped(t) => {
                            let (side, held) = if t == EARLIEST {
                                ("before", "earlier than every event")
                            } else {
                                ("after", "later than every event")
                            };
                            let msg = format!(
                                "{} is {side} 1677-2262, the range proxyhunt holds; read as {held} (its order is kept)",
                                quote_value(text, 40)
                            );
                            log.push("out-of-range", issue(row, spec.name, Severity::Warning, msg));
                        }
                        Some(_) => {}
                    }
                    parsed
                })
                .collect();
            ca.with_name(name)
                .into_column()
                .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
                .expect("i64 casts to datetime")
        }
        ColType::Bool => {
            let ca: BooleanChunked = parse_cells(cells, parse_bool, &mut report, log)
                .into_iter()
                .collect();
            ca.with_name(name).into_column()
        }
        ColType::Int => {
            let ca: Int64Chunked = parse_cells(cells, parse_int, &mut report, log)
                .into_iter()
                .collect();
            ca.with_name(name).into_column()
        }
    };
    (column, bad)
}

/// A source column already typed as the table wants it, cast to the canonical type; `None` when
/// it must go through text (a string holding datetimes, say).
fn use_typed(spec: &ColumnSpec, col: &Column) -> Option<Column> {
    let name = PlSmallStr::from_static(spec.name);
    let out = match (spec.ty, col.dtype()) {
        (ColType::Str, DataType::String) => {
            let ca: StringChunked = col
                .str()
                .ok()?
                .iter()
                .map(|v| Some(v.filter(|s| !is_missing(s)).unwrap_or("")))
                .collect();
            ca.into_column()
        }
        (ColType::DateTime, DataType::Datetime(_, _)) => {
            // Floored to Kusto's 100 ns tick, as text datetimes are.
            let ca: Int64Chunked = datetime_nanos(col)?
                .ok()?
                .into_iter()
                .map(|v| v.map(|n| n - n.rem_euclid(100)))
                .collect();
            ca.into_column()
                .cast(&DataType::Datetime(TimeUnit::Nanoseconds, None))
                .ok()?
        }
        (ColType::Bool, DataType::Boolean) => col.clone(),
        (ColType::Int, dt) if dt.is_integer() => col.cast(&DataType::Int64).ok()?,
        _ => return None,
    };
    Some(out.with_name(name))
}

/// Converts a column from the source's typed column when it can, else from text.
#[allow(clippy::too_many_arguments)]
pub(super) fn convert_any(
    at: &Where,
    spec: &ColumnSpec,
    is_time: bool,
    cells: Vec<Cell>,
    typed: Option<Column>,
    positions: &[u64],
    log: &mut IssueLog,
) -> (Column, usize) {
    let Some(col) = typed else {
        return convert_column(at, spec, is_time, &cells, positions, log);
    };
    if let Some(direct) = use_typed(spec, &col) {
        if is_time {
            let nulls = direct.is_null();
            for (row, null) in nulls.iter().enumerate() {
                if null == Some(true) {
                    let issue = Issue {
                        severity: Severity::Error,
                        file: at.meta.name.clone(),
                        table: Some(at.table.name().into()),
                        location: Some(at.meta.addressing.at(positions[row])),
                        column: Some(spec.name.into()),
                        message: "no event time; row skipped".into(),
                    };
                    log.push("missing-time", issue);
                }
            }
        }
        return (direct, 0);
    }
    let text: Vec<Cell> = match column_text(&col) {
        Ok(v) => v
            .into_iter()
            .map(|c| c.map(std::borrow::Cow::Owned))
            .collect(),
        Err(_) => vec![None; positions.len()],
    };
    convert_column(at, spec, is_time, &text, positions, log)
}

/// Parses every present cell with `parse`, reporting the ones it cannot read.
fn parse_cells<T>(
    cells: &[Cell],
    parse: fn(&str) -> Option<T>,
    report: &mut dyn FnMut(usize, &str, &mut IssueLog),
    log: &mut IssueLog,
) -> Vec<Option<T>> {
    cells
        .iter()
        .enumerate()
        .map(|(row, c)| {
            let text = c.as_deref().filter(|t| !is_null_text(t))?;
            let parsed = parse(text);
            if parsed.is_none() {
                report(row, text, log);
            }
            parsed
        })
        .collect()
}
