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
    /// Whether the piece kept at least half the rows read: its typed text columns are then
    /// taken as they are (holding at most twice their text). Of fewer rows kept, they are
    /// copied: their buffers can be slices of storage the whole read filled (measured: 57 MB
    /// held by 4,450 sign-ins of a 5M-row Parquet).
    pub mostly_kept: bool,
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
fn use_typed(spec: &ColumnSpec, col: &Column, mostly_kept: bool) -> Option<Column> {
    let name = PlSmallStr::from_static(spec.name);
    let out = match (spec.ty, col.dtype()) {
        (ColType::Str, DataType::String) => {
            let ca = col.str().ok()?;
            fn read_as(v: Option<&str>) -> &str {
                v.filter(|s| !is_missing(s)).unwrap_or("")
            }
            // Most columns read as they are: those are taken, not copied (a copy of 5M
            // command lines held beside them is 400 MB more at the load's peak).
            if mostly_kept
                && ca.null_count() == 0
                && ca.iter().all(|v| read_as(v) == v.unwrap_or(""))
            {
                col.clone()
            } else {
                let ca: StringChunked = ca.iter().map(|v| Some(read_as(v))).collect();
                ca.into_column()
            }
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
    if let Some(direct) = use_typed(spec, &col, at.mostly_kept) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn typed_text(values: &[Option<&str>], mostly_kept: bool) -> Vec<Option<String>> {
        let spec = TableKind::SignIn
            .columns()
            .iter()
            .find(|s| s.name == "UserPrincipalName")
            .unwrap();
        let col = Column::new("upn".into(), values);
        let out = use_typed(spec, &col, mostly_kept).unwrap();
        assert_eq!(out.name().as_str(), "UserPrincipalName");
        out.str()
            .unwrap()
            .iter()
            .map(|v| v.map(str::to_string))
            .collect()
    }

    #[test]
    fn typed_text_reads_missing_values_as_empty_whether_taken_or_copied() {
        let own = |v: &str| Some(v.to_string());
        for mostly_kept in [true, false] {
            assert_eq!(
                typed_text(&[Some("a@x"), None, Some("None"), Some("")], mostly_kept),
                [own("a@x"), own(""), own(""), own("")]
            );
            assert_eq!(
                typed_text(&[Some("a@x"), Some("b@x")], mostly_kept),
                [own("a@x"), own("b@x")]
            );
        }
    }
}
