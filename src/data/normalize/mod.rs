//! Turning a recognised source into a typed frame with the table's canonical columns.
//!
//! Strings are never null (Kusto has no null string: a missing value is `""`); datetimes,
//! booleans and integers are null when missing, and reported when present but unreadable. A row
//! without a readable event time cannot be placed in any window and is rejected, with its line.
//!
//! A [`Plan`] is made once per source from its headers (which columns feed which, what is
//! missing); every piece of the source (the whole of it, or each block of a large file) is then
//! typed with it.

mod convert;

use polars::prelude::*;

use super::dictionary::Dictionaries;
use super::issues::IssueLog;
use super::pool;
use super::row_filter::{widen, RowFilter, Skipped};
use super::source::{Cell, ExtractFilter, Extracted, Readable, Request, Source, SourceMeta};
use super::table::columns::resolve;
use super::table::schema::{
    ColType, ColumnSpec, ColumnsOf, Need, TableKind, SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN,
};
use super::values::Datetimes;
use crate::kql::time::Nanos;
use convert::{convert_any, Where};
use std::sync::Arc;

/// A file's rows as a typed table, with what `check` reports about it.
pub struct Normalized {
    pub frame: DataFrame,
    pub rows_rejected: usize,
    /// Rows a filter left out.
    pub skipped: Skipped,
    /// Event times of every readable row, filtered out or not.
    pub time_range: Option<(Nanos, Nanos)>,
    /// Per column: how many present values could not be parsed.
    pub unparseable: Vec<(&'static str, usize)>,
}

/// Pieces merged at once when they are small (see [`Pieces`]).
const MERGE_PIECES: usize = 64;
/// Pieces averaging fewer rows than this are merged: their string buffers (at least 8 KB a
/// column, Polars' first block) would outweigh their rows.
const SMALL_PIECE_ROWS: usize = 512;

/// A source's typed pieces in file order. A streamed file gives one per block, and a filtered
/// read keeps a few rows of each: held as they are, thousands of them cost more than their rows
/// (every string column of a piece holds at least 8 KB), so small ones are merged, every
/// [`MERGE_PIECES`], into one piece with buffers of their size.
#[derive(Default)]
pub struct Pieces {
    done: Vec<Normalized>,
    pending: Vec<Normalized>,
    pending_rows: usize,
}

impl Pieces {
    pub fn push(&mut self, piece: Normalized) {
        self.pending_rows += piece.frame.height();
        self.pending.push(piece);
        if self.pending.len() >= MERGE_PIECES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.pending.len() > 1 && self.pending_rows < self.pending.len() * SMALL_PIECE_ROWS {
            let pending = std::mem::take(&mut self.pending);
            self.done.push(merged(pending));
        } else {
            self.done.append(&mut self.pending);
        }
        self.pending_rows = 0;
    }

    /// Every piece, in file order.
    pub fn into_vec(mut self) -> Vec<Normalized> {
        self.flush();
        self.done
    }
}

/// Pieces of one source as one: rows stacked in order, strings copied into buffers of their
/// size, counts added up.
fn merged(pieces: Vec<Normalized>) -> Normalized {
    let frames: Vec<DataFrame> = pieces.iter().map(|p| p.frame.clone()).collect();
    let (stacked, errors) = super::compact::stack(frames);
    // Pieces of one source share a schema.
    debug_assert!(
        errors.is_empty(),
        "pieces of one source with different schemas"
    );
    let mut iter = pieces.into_iter();
    let mut out = iter.next().expect("pieces to merge");
    out.frame = stacked.unwrap_or_default();
    for p in iter {
        out.rows_rejected += p.rows_rejected;
        out.skipped.merge(p.skipped);
        out.time_range = widen(out.time_range, p.time_range);
        for (column, bad) in p.unparseable {
            match out.unparseable.iter_mut().find(|(c, _)| *c == column) {
                Some((_, total)) => *total += bad,
                None => out.unparseable.push((column, bad)),
            }
        }
    }
    out.frame = crate::data::compact::compact_strings(std::mem::take(&mut out.frame));
    out
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

/// How a source's headers feed a table's columns, and the rows to leave out.
pub struct Plan<'f> {
    pub table: TableKind,
    /// Per table column, the header indices to coalesce.
    pub requests: Vec<Vec<usize>>,
    /// Output columns the source lacks (shown empty in findings).
    pub missing_output: Vec<&'static str>,
    /// How columns were found when not under their own name.
    pub notes: Vec<String>,
    /// Columns read from a header that appears more than once (to be said as warnings).
    pub duplicates: Vec<(&'static str, String)>,
    /// How the source's datetimes are read.
    pub datetimes: Datetimes,
    /// Per table column, whether it is left out (held as one empty value, not read).
    left_out: Vec<bool>,
    /// Per table column, the dictionary it is held in (see [`super::dictionary`]).
    dictionary: Vec<Option<Arc<Categories>>>,
    filter: Option<&'f RowFilter>,
}

impl<'f> Plan<'f> {
    /// Resolves `table`'s columns among `headers`; `Err` when a column the detections test is
    /// missing. With a `filter`, rows that fail it are counted and left out (see
    /// [`super::row_filter`]).
    pub fn new(
        headers: &[String],
        table: TableKind,
        filter: Option<&'f RowFilter>,
    ) -> Result<Plan<'f>, Unusable> {
        let specs = table.columns();
        let resolved: Vec<_> = specs.iter().map(|s| resolve(headers, s)).collect();
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
        let duplicates = specs
            .iter()
            .zip(&resolved)
            .filter_map(|(spec, r)| Some((spec.name, r.as_ref()?.duplicate.clone()?)))
            .collect();
        let requests = resolved
            .iter()
            .map(|r| r.as_ref().map(|r| r.indices.clone()).unwrap_or_default())
            .collect();
        Ok(Plan {
            table,
            requests,
            missing_output,
            notes,
            duplicates,
            datetimes: Datetimes::Standard,
            left_out: vec![false; specs.len()],
            dictionary: vec![None; specs.len()],
            filter,
        })
    }

    /// Reads only `columns` (and the event time); the others are held as one empty value
    /// for every row, which costs nothing per row.
    pub fn keep_only(&mut self, columns: &[&str]) {
        for (i, _) in left_out(self.table, columns) {
            self.left_out[i] = true;
            self.requests[i].clear();
        }
    }

    /// Holds the text columns among `columns` as dictionaries, piece by piece as they are
    /// typed (a load never holds them all as text at once).
    pub fn hold_as_dictionaries(&mut self, dictionaries: &Dictionaries) {
        for (i, spec) in self.table.columns().iter().enumerate() {
            if spec.ty == ColType::Str {
                self.dictionary[i] = dictionaries.of(self.table, spec.name).cloned();
            }
        }
    }

    /// The plan's row filter, resolved to its requests (`None`: every row is kept).
    pub fn extract_filter(&self) -> Option<ExtractFilter<'f>> {
        self.filter
            .and_then(|f| extract_filter(self.table.columns(), f, self.datetimes))
    }

    /// What to ask a source for, with `filter` (from [`Plan::extract_filter`]).
    pub fn request<'r>(&'r self, filter: Option<&'r ExtractFilter<'r>>) -> Request<'r> {
        Request {
            columns: &self.requests,
            filter,
            table: self.table.name(),
        }
    }

    /// Whether a column is read from a nested member (`status.errorCode`): the source is a
    /// Graph API shape whose fields were mapped to the table's columns.
    pub fn maps_nested(&self, headers: &[String]) -> bool {
        self.requests
            .iter()
            .flatten()
            .any(|&i| headers[i].contains('.'))
    }

    /// The requests of the table's datetime columns (to tell their format from their values).
    pub fn datetime_requests(&self) -> Vec<&[usize]> {
        self.table
            .columns()
            .iter()
            .zip(&self.requests)
            .filter(|(spec, _)| spec.ty == ColType::DateTime)
            .map(|(_, r)| r.as_slice())
            .collect()
    }
}

/// A row filter resolved to the table's column positions (`None` if it reads a column the
/// table does not have: the rows are then all kept).
fn extract_filter<'f>(
    specs: &[ColumnSpec],
    f: &'f RowFilter,
    datetimes: Datetimes,
) -> Option<ExtractFilter<'f>> {
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
            let readable = match s.ty {
                ColType::Str => return None,
                ColType::DateTime => Readable::DateTime(datetimes),
                ColType::Bool => Readable::Bool,
                ColType::Int => Readable::Int,
            };
            Some((i, readable))
        })
        .collect();
    Some(ExtractFilter {
        time: 0,
        columns,
        keep: &*f.keep,
        checked,
        datetimes,
        expr: f.expr.as_ref(),
        names: f.columns.clone(),
    })
}

/// Tables at least this tall have their columns converted in parallel.
const PARALLEL_ROWS: usize = 50_000;

/// A column left out of a load: one empty value (`""` for a string, as Kusto has no null
/// string; null otherwise) standing for every row.
fn empty_column(spec: &ColumnSpec, height: usize) -> Column {
    let name = PlSmallStr::from_static(spec.name);
    let scalar = match spec.ty {
        ColType::Str => Scalar::new(DataType::String, AnyValue::StringOwned("".into())),
        ColType::DateTime => Scalar::null(DataType::Datetime(TimeUnit::Nanoseconds, None)),
        ColType::Bool => Scalar::null(DataType::Boolean),
        ColType::Int => Scalar::null(DataType::Int64),
    };
    Column::new_scalar(name, scalar, height)
}

/// Types one piece of `source` with `plan`; `file_index` is the source's index among the
/// file's sources (the frames' `_SourceFile`).
pub fn normalize(
    source: &dyn Source,
    plan: &Plan,
    file_index: u32,
    log: &mut IssueLog,
) -> Normalized {
    let filter = plan.extract_filter();
    let request = plan.request(filter.as_ref());
    let extracted = source.extract(&request, log);
    type_extracted(source.meta(), plan, extracted, file_index, log)
}

/// Types rows already pulled out of a source (see [`normalize`]).
pub fn type_extracted(
    meta: &SourceMeta,
    plan: &Plan,
    extracted: Extracted,
    file_index: u32,
    log: &mut IssueLog,
) -> Normalized {
    let table = plan.table;
    let specs = table.columns();
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
        if plan.left_out[ci] {
            return (empty_column(spec, height), 0, column_log);
        }
        let at = Where {
            meta,
            table,
            datetimes: plan.datetimes,
            mostly_kept: skipped.rows <= height,
        };
        let (mut c, bad) =
            convert_any(&at, spec, ci == 0, cells, typed, positions, &mut column_log);
        if let Some(cats) = &plan.dictionary[ci] {
            c = super::dictionary::encode(c, cats);
        }
        (c, bad, column_log)
    };
    let converted: Vec<(Column, usize, IssueLog)> = if height >= PARALLEL_ROWS {
        let work: Vec<std::sync::Mutex<Option<_>>> = work
            .into_iter()
            .map(|w| std::sync::Mutex::new(Some(w)))
            .collect();
        pool::map(&work, |w| {
            let item = w.lock().ok().and_then(|mut w| w.take());
            convert(item.expect("each column is converted once"))
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
    finish(
        columns,
        extracted.positions,
        extracted.rejected,
        skipped,
        unparseable,
        file_index,
        height,
    )
}

/// The columns of `table` (with their positions) a load of only `columns` leaves out: every
/// column but those and the event time.
fn left_out<'c>(
    table: TableKind,
    columns: &'c [&str],
) -> impl Iterator<Item = (usize, &'static ColumnSpec)> + 'c {
    table
        .columns()
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(_, spec)| !columns.contains(&spec.name))
}

/// A frame typed whole before (a cache entry) held as a load asks: the columns `only` leaves
/// out as one empty value, the text columns `dictionaries` holds as dictionaries.
pub fn held_as_read(
    table: TableKind,
    mut frame: DataFrame,
    only: Option<ColumnsOf>,
    dictionaries: Option<&Dictionaries>,
) -> DataFrame {
    if let Some(only) = only {
        let height = frame.height();
        for (_, spec) in left_out(table, &only(table)) {
            if frame.column(spec.name).is_ok() {
                let _ = frame.with_column(empty_column(spec, height));
            }
        }
    }
    match dictionaries {
        Some(d) => d.encode_frame(table, frame),
        None => frame,
    }
}

/// Adds the source columns, drops the rows without an event time, and measures what is left.
#[allow(clippy::too_many_arguments)]
fn finish(
    mut columns: Vec<Column>,
    positions: Vec<u64>,
    rejected: usize,
    skipped: Skipped,
    unparseable: Vec<(&'static str, usize)>,
    file_index: u32,
    height: usize,
) -> Normalized {
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
        positions.iter().map(|&p| p as i64).collect::<Vec<_>>(),
    ));
    let frame = DataFrame::new(height, columns).expect("columns of equal length");
    let rejected_here = keep.iter().filter(|k| !**k).count();
    let frame = if rejected_here > 0 {
        let mask: BooleanChunked = keep.into_iter().map(Some).collect();
        frame.filter(&mask).expect("mask matches height")
    } else {
        frame
    };
    Normalized {
        frame,
        rows_rejected: rejected + rejected_here,
        skipped,
        time_range: widen(time_range, skipped.times),
        unparseable,
    }
}
