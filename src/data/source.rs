//! The reader interface. Every format (CSV, JSON document, NDJSON, Parquet, ...) turns a file
//! into one or more [`Source`]s: a table-shaped piece with its column names, from which the
//! loader pulls the columns a table needs, each row with its line (or row number) for reports.
//! What the rows mean (which table, which types) is decided outside the formats.

use std::borrow::Cow;

use polars::prelude::Column;

use super::issues::{Issue, IssueLog, Location, Severity};
use super::row_filter::{KeepFn, Skipped};
use super::values::{is_clamped, is_null_text, parse_bool, parse_int, Datetimes};
use crate::kql::time::Nanos;

/// How a source's rows are addressed in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    Lines,
    Rows,
}

impl Addressing {
    pub fn at(self, n: u64) -> Location {
        match self {
            Addressing::Lines => Location::Line(n),
            Addressing::Rows => Location::Row(n),
        }
    }
}

/// What a source is, independent of how its rows are stored.
#[derive(Debug, Clone)]
pub struct SourceMeta {
    /// The display name: the file, plus the sub-table name where the file holds several.
    pub name: String,
    /// The file's own path, as given (for `--table` and table-by-name matching).
    pub path: String,
    pub format: &'static str,
    pub headers: Vec<String>,
    pub addressing: Addressing,
    /// Rows the reader could not parse at all (already reported in the issue log).
    pub rejected: usize,
    /// The table the file itself names (a streaming-API `category`), when it does.
    pub table_hint: Option<super::table::schema::TableKind>,
    /// The table name a streaming-API `category` gives, known to proxyhunt or not.
    pub category: Option<String>,
}

impl SourceMeta {
    pub fn new(name: &str, path: &str, format: &'static str, addressing: Addressing) -> Self {
        SourceMeta {
            name: name.to_string(),
            path: path.to_string(),
            format,
            headers: Vec::new(),
            addressing,
            rejected: 0,
            table_hint: None,
            category: None,
        }
    }

    /// An issue about this source.
    pub fn issue(
        &self,
        table: &str,
        at: Option<Location>,
        column: Option<&str>,
        severity: Severity,
        message: String,
    ) -> Issue {
        Issue {
            severity,
            file: self.name.clone(),
            table: Some(table.to_string()),
            location: at,
            column: column.map(str::to_string),
            message,
        }
    }
}

/// What the loader asks of a source: for each requested column, the header indices to
/// coalesce (first non-missing value wins, e.g. `X_string` then `X_dynamic`; an empty list
/// gives an all-missing column), and the rows to leave out.
pub struct Request<'r> {
    pub columns: &'r [Vec<usize>],
    pub filter: Option<&'r ExtractFilter<'r>>,
    /// The table's name, for messages.
    pub table: &'r str,
}

/// A table-shaped piece of a file.
pub trait Source: Send + Sync {
    fn meta(&self) -> &SourceMeta;
    /// The requested columns as text (or typed, where the format holds them typed), row-aligned.
    fn extract(&self, request: &Request, log: &mut IssueLog) -> Extracted<'_>;
    /// The text of the given requests' cells (first non-missing of each), every row, for
    /// formats whose datetimes may be in a browser's locale (portal CSV exports); `None` for
    /// formats that never are.
    fn datetime_text(&self, _requests: &[&[usize]]) -> Option<Vec<String>> {
        None
    }
}

/// A cell's text: borrowed from the file where it can be, owned where it had to be rebuilt
/// (doubled quotes, escapes, invalid UTF-8, numbers, Parquet values).
pub type Cell<'a> = Option<Cow<'a, str>>;

/// The projected columns of a source as text, row-aligned.
pub struct Extracted<'a> {
    /// One vector per requested column; `None` is a missing value.
    pub columns: Vec<Vec<Cell<'a>>>,
    /// Per request, the column already typed by the source (Parquet), when it has one; its text
    /// cells are then left empty and the caller uses or converts this instead.
    pub typed: Vec<Option<Column>>,
    /// Line or row number of each row.
    pub positions: Vec<u64>,
    /// Rows that could not be read at all (reported in the issue log).
    pub rejected: usize,
    /// Rows the filter turned away.
    pub skipped: Skipped,
}

impl<'a> Extracted<'a> {
    pub fn empty(width: usize) -> Self {
        Extracted {
            columns: vec![Vec::new(); width],
            typed: Vec::new(),
            positions: Vec::new(),
            rejected: 0,
            skipped: Skipped::default(),
        }
    }

    pub fn append(&mut self, other: Extracted<'a>) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            mine.extend(theirs);
        }
        self.positions.extend(other.positions);
        self.rejected += other.rejected;
        self.skipped.merge(other.skipped);
    }

    /// Adds one row of cells (taken out of `row`), or counts it as skipped when the filter
    /// turns it away. `row` holds one cell per request.
    pub fn push_row(
        &mut self,
        row: &mut [Option<Cell<'a>>],
        position: u64,
        filter: Option<&ExtractFilter>,
    ) {
        if let Some(time) = filter.and_then(|f| f.skip(row)) {
            self.skipped.add(time);
            row.iter_mut().for_each(|c| *c = None);
            return;
        }
        for (column, slot) in self.columns.iter_mut().zip(row.iter_mut()) {
            column.push(slot.take().flatten());
        }
        self.positions.push(position);
    }

    /// The same rows with every cell owned, so that they outlive the bytes they came from.
    pub fn into_owned(self) -> Extracted<'static> {
        Extracted {
            columns: self
                .columns
                .into_iter()
                .map(|c| {
                    c.into_iter()
                        .map(|v| v.map(|s| Cow::Owned(s.into_owned())))
                        .collect()
                })
                .collect(),
            typed: self.typed,
            positions: self.positions,
            rejected: self.rejected,
            skipped: self.skipped,
        }
    }
}

/// A typed column's parser, to tell whether a cell's text can be read as its type.
#[derive(Debug, Clone, Copy)]
pub enum Readable {
    DateTime(Datetimes),
    Bool,
    Int,
}

impl Readable {
    pub fn reads(&self, text: &str) -> bool {
        match self {
            Readable::DateTime(d) => d.parse(text).is_some(),
            Readable::Bool => parse_bool(text).is_some(),
            Readable::Int => parse_int(text).is_some(),
        }
    }
}

/// A [`RowFilter`](super::row_filter::RowFilter) resolved to request indices.
pub struct ExtractFilter<'f> {
    /// The request holding the event time.
    pub time: usize,
    /// The requests the test reads, in its order.
    pub columns: Vec<usize>,
    pub keep: &'f KeepFn,
    /// Typed requests with their parsers: a row with a value one cannot read is kept, so that
    /// the value is reported as without a filter.
    pub checked: Vec<(usize, Readable)>,
    /// How the event time is read.
    pub datetimes: Datetimes,
    /// The test as a Polars expression over `names`, the canonical names of `columns`, for
    /// typed sources (see [`RowFilter::expr`](super::row_filter::RowFilter::expr)).
    pub expr: Option<&'f polars::prelude::Expr>,
    pub names: Vec<&'static str>,
}

impl ExtractFilter<'_> {
    /// The requests the test needs before it can decide: its columns, the time and the checked
    /// typed columns.
    pub fn needed(&self) -> impl Iterator<Item = usize> + '_ {
        self.columns
            .iter()
            .copied()
            .chain([self.time])
            .chain(self.checked.iter().map(|c| c.0))
    }

    /// The event time of a row to skip; `None` keeps it. `row` holds at least the filter's cells.
    /// A time outside what a frame holds keeps the row, so that it is said as without a filter.
    pub fn skip(&self, row: &[Option<Cell>]) -> Option<Nanos> {
        let text = |r: usize| row[r].as_ref().and_then(|c| c.as_deref());
        let time = text(self.time)
            .filter(|t| !is_null_text(t))
            .and_then(|t| self.datetimes.parse(t))
            .filter(|t| !is_clamped(*t))?;
        self.turns_away(&text).then_some(time)
    }

    /// Whether the test turns a row with a readable event time away: no typed value of it is
    /// unreadable, and the test fails. `text` gives a request's cell (`None` where missing, or
    /// where the source already holds it typed).
    pub fn turns_away<'t>(&self, text: &dyn Fn(usize) -> Option<&'t str>) -> bool {
        let unreadable = |(r, readable): &(usize, Readable)| {
            text(*r).is_some_and(|t| !is_null_text(t) && !readable.reads(t))
        };
        if self.checked.iter().any(unreadable) {
            return false;
        }
        let mut cells: [Option<&str>; 8] = [None; 8];
        for (slot, &r) in cells.iter_mut().zip(&self.columns) {
            *slot = text(r);
        }
        let n = self.columns.len().min(cells.len());
        !(self.keep)(&cells[..n])
    }
}

/// Cleans an exported column name: the portal appends ` [UTC]` to datetimes; BOMs and stray
/// spaces happen.
pub fn clean_header(name: &str) -> String {
    let name = name.trim_start_matches('\u{feff}').trim();
    let name = match name.rfind(" [") {
        Some(i) if name.ends_with(']') => name[..i].trim_end(),
        _ => name,
    };
    name.to_string()
}
