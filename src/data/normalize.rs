//! Turning a recognised source into a typed frame with the table's canonical columns.
//!
//! Strings are never null (Kusto has no null string: a missing value is `""`); datetimes,
//! booleans and integers are null when missing, and reported when present but unreadable. A row
//! without a readable event time cannot be placed in any window and is rejected, with its line.

use polars::prelude::*;

use super::columns::resolve;
use super::issues::{Issue, IssueLog, Severity};
use super::keep::{widen, RowFilter, Skipped};
use super::parquet::{column_text, datetime_nanos};
use super::raw::{Cell, ExtractFilter, RawSource, Readable};
use super::schema::{ColType, ColumnSpec, Need, TableKind, SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN};
use super::values::{is_missing, is_null_text, parse_bool, parse_datetime, parse_int};
use crate::kql::time::Nanos;
use crate::text::quote_value;

/// A file's rows as a typed table, with what `check` reports about it.
pub struct Normalized {
    pub frame: DataFrame,
    pub rows_rejected: usize,
    /// Rows a filter left out.
    pub skipped: Skipped,
    /// Event times of every readable row, filtered out or not.
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

fn type_name(ty: ColType) -> &'static str {
    match ty {
        ColType::Str => "a string",
        ColType::DateTime => "a datetime",
        ColType::Bool => "a bool",
        ColType::Int => "an integer",
    }
}

/// Tables at least this tall have their columns converted in parallel.
const PARALLEL_ROWS: usize = 50_000;

/// Converts one column's text cells into its Kusto type, reporting unreadable values. Returns
/// the column and how many present values could not be read.
fn convert_column(
    source: &RawSource,
    table: TableKind,
    spec: &ColumnSpec,
    is_time: bool,
    cells: &[Cell],
    positions: &[u64],
    log: &mut IssueLog,
) -> (Column, usize) {
    let mut bad = 0usize;
    let issue = |row: usize, column: &str, severity: Severity, message: String| Issue {
        severity,
        file: source.name.clone(),
        table: Some(table.name().into()),
        location: Some(source.addressing.at(positions[row])),
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
                    let parsed = parse_datetime(text);
                    if parsed.is_none() {
                        report(row, text, log);
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
fn convert_any(
    source: &RawSource,
    table: TableKind,
    spec: &ColumnSpec,
    is_time: bool,
    cells: Vec<Cell>,
    typed: Option<Column>,
    positions: &[u64],
    log: &mut IssueLog,
) -> (Column, usize) {
    let Some(col) = typed else {
        return convert_column(source, table, spec, is_time, &cells, positions, log);
    };
    if let Some(direct) = use_typed(spec, &col) {
        if is_time {
            let nulls = direct.is_null();
            for (row, null) in nulls.iter().enumerate() {
                if null == Some(true) {
                    let issue = Issue {
                        severity: Severity::Error,
                        file: source.name.clone(),
                        table: Some(table.name().into()),
                        location: Some(source.addressing.at(positions[row])),
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
    convert_column(source, table, spec, is_time, &text, positions, log)
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

/// Types `source` as `table`. With a `filter`, rows that fail it are counted and left out (see
/// [`super::keep`]).
pub fn normalize(
    source: &RawSource,
    table: TableKind,
    file_index: u32,
    filter: Option<&RowFilter>,
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

    let filter = filter.and_then(|f| {
        let columns = f
            .columns
            .iter()
            .map(|name| specs.iter().position(|s| s.name == *name))
            .collect::<Option<Vec<usize>>>()?;
        let checked = specs
            .iter()
            .enumerate()
            .skip(1)
            .filter_map(|(i, s)| {
                let readable: Readable = match s.ty {
                    ColType::Str => return None,
                    ColType::DateTime => |t| parse_datetime(t).is_some(),
                    ColType::Bool => |t| parse_bool(t).is_some(),
                    ColType::Int => |t| parse_int(t).is_some(),
                };
                Some((i, readable))
            })
            .collect();
        Some(ExtractFilter {
            time: 0,
            columns,
            keep: &*f.keep,
            checked,
        })
    });
    let extracted = source.extract(&requests, filter.as_ref(), table.name(), log);
    let skipped = extracted.skipped;
    let height = extracted.positions.len();
    let positions = &extracted.positions;
    let mut typed = extracted.typed;
    typed.resize(specs.len(), None);
    let work: Vec<(usize, &ColumnSpec, Vec<Cell>, Option<Column>)> = specs
        .iter()
        .zip(extracted.columns)
        .zip(typed)
        .enumerate()
        .map(|(ci, ((spec, cells), typed))| (ci, spec, cells, typed))
        .collect();
    // Columns are independent: convert them on every core when the table is large. Logs are
    // merged in column order, as a single pass would write them.
    let convert = |(ci, spec, cells, typed): (usize, &ColumnSpec, Vec<Cell>, Option<Column>)| {
        let mut column_log = IssueLog::default();
        let (c, bad) = convert_any(
            source,
            table,
            spec,
            ci == 0,
            cells,
            typed,
            positions,
            &mut column_log,
        );
        (c, bad, column_log)
    };
    let converted: Vec<(Column, usize, IssueLog)> = if height >= PARALLEL_ROWS {
        std::thread::scope(|scope| {
            let handles: Vec<_> = work
                .into_iter()
                .map(|item| scope.spawn(move || convert(item)))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("column conversion does not panic"))
                .collect()
        })
    } else {
        work.into_iter().map(convert).collect()
    };
    let mut columns: Vec<Column> = Vec::with_capacity(specs.len() + 2);
    let mut unparseable = Vec::new();
    for (spec, (column, bad, column_log)) in specs.iter().zip(converted) {
        log.extend(column_log);
        if bad > 0 {
            unparseable.push((spec.name, bad));
        }
        columns.push(column);
    }
    // A row without a readable event time can never pass a window: it is rejected.
    let times = columns[0]
        .cast(&DataType::Int64)
        .expect("datetime casts to i64");
    let times = times.i64().expect("just cast");
    let keep: Vec<bool> = times.iter().map(|t| t.is_some()).collect();
    let time_range = times.min().zip(times.max());
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
        skipped,
        time_range: widen(time_range, skipped.times),
        missing_output,
        unparseable,
        notes,
    })
}
