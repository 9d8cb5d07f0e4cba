//! A file's content before it is matched to a table: its column names and a way to pull the
//! projected columns out as text, each row with its line (or row number) for error reports.

use std::borrow::Cow;

use polars::prelude::*;
use serde_json::Value;

use super::cores::{map_on_cores, pieces};
use super::csv::{field_bytes, is_blank, CsvError, FieldSpan, Record, RecordEnds, Records};
use super::issues::{Issue, IssueLog, Location, Severity};
use super::keep::{KeepFn, Skipped};
use super::lines::LineSpan;
use super::parquet::Input;
use super::values::{is_missing, is_null_text, parse_datetime};
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

pub enum RawBody {
    /// CSV text (BOM stripped) and where the records after the header begin.
    Csv {
        bytes: Vec<u8>,
        body_start: usize,
        body_line: u64,
        /// Whether a large body may be split across threads (not when the caller already runs
        /// one block per thread).
        split: bool,
    },
    /// Rows of JSON values, aligned with the headers, each with its line or row number.
    Rows(Vec<(u64, Vec<Value>)>),
    /// A Parquet file, read column by column on extraction: in memory, or on disk.
    Parquet(Vec<u8>),
    ParquetFile(std::path::PathBuf),
    /// NDJSON: the file, and where each object line is (see [`super::lines`]).
    Lines {
        bytes: Vec<u8>,
        lines: Vec<LineSpan>,
    },
}

/// One table-shaped piece of a file (an API response may hold several).
pub struct RawSource {
    /// The display name: the file, plus the sub-table name where the file holds several.
    pub name: String,
    /// The file's own path, as given (for `--table` and table-by-name matching).
    pub path: String,
    pub format: &'static str,
    pub headers: Vec<String>,
    pub addressing: Addressing,
    pub body: RawBody,
    /// Rows the reader could not parse at all (already reported in the issue log).
    pub rejected: usize,
}

/// A cell's text: borrowed from the file where it can be, owned where it had to be rebuilt
/// (doubled quotes, invalid UTF-8, JSON numbers, Parquet values).
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

/// Whether a cell's text can be read as its column's type.
pub type Readable = fn(&str) -> bool;

/// A [`RowFilter`](super::keep::RowFilter) resolved to request indices.
pub struct ExtractFilter<'f> {
    /// The request holding the event time.
    pub time: usize,
    /// The requests the test reads, in its order.
    pub columns: Vec<usize>,
    pub keep: &'f KeepFn,
    /// Typed requests with their parsers: a row with a value one cannot read is kept, so that
    /// the value is reported as without a filter.
    pub checked: Vec<(usize, Readable)>,
}

impl ExtractFilter<'_> {
    /// The event time of a row to skip; `None` keeps it. `row` holds at least the filter's cells.
    pub(super) fn skip(&self, row: &[Option<Cell>]) -> Option<Nanos> {
        let text = |r: usize| row[r].as_ref().and_then(|c| c.as_deref());
        let time = text(self.time)
            .filter(|t| !is_null_text(t))
            .and_then(parse_datetime)?;
        self.turns_away(&text).then_some(time)
    }

    /// Whether the test turns a row with a readable event time away: no typed value of it is
    /// unreadable, and the test fails. `text` gives a request's cell (`None` where missing, or
    /// where the source already holds it typed).
    pub fn turns_away<'t>(&self, text: &dyn Fn(usize) -> Option<&'t str>) -> bool {
        let unreadable = |&(r, readable): &(usize, Readable)| {
            text(r).is_some_and(|t| !is_null_text(t) && !readable(t))
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

impl<'a> Extracted<'a> {
    pub(super) fn empty(width: usize) -> Self {
        Extracted {
            columns: vec![Vec::new(); width],
            typed: Vec::new(),
            positions: Vec::new(),
            rejected: 0,
            skipped: Skipped::default(),
        }
    }

    pub(super) fn append(&mut self, other: Extracted<'a>) {
        for (mine, theirs) in self.columns.iter_mut().zip(other.columns) {
            mine.extend(theirs);
        }
        self.positions.extend(other.positions);
        self.rejected += other.rejected;
        self.skipped.merge(other.skipped);
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

/// Turns a JSON value into cell text as Kusto would show it; dynamic values become JSON text.
pub fn value_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(Cow::Borrowed(s.as_str())),
        Value::Bool(b) => Some(Cow::Owned(b.to_string())),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// CSV bodies larger than this are split across threads.
const PARALLEL_CSV_BYTES: usize = 8 << 20;

/// Split points for parsing `body` in `parts` pieces: offsets just after a newline that lies
/// outside any quoted field (so every piece starts on a record), with the line each starts on.
fn record_splits(body: &[u8], parts: usize) -> Vec<(usize, u64)> {
    let mut splits = vec![(0usize, 0u64)];
    if parts < 2 {
        return splits;
    }
    let step = body.len() / parts;
    let mut target = step;
    RecordEnds::default().scan(body, |end, newlines| {
        if end >= target && end < body.len() {
            splits.push((end, newlines));
            target = end + step;
        }
        splits.len() < parts
    });
    splits
}

impl RawSource {
    /// Reads the requested columns. Each request is a list of header indices to coalesce
    /// (first non-missing value wins), e.g. `X_string` then `X_dynamic`; an empty list gives an
    /// all-missing column.
    pub fn extract(
        &self,
        requests: &[Vec<usize>],
        filter: Option<&ExtractFilter>,
        table: &str,
        log: &mut IssueLog,
    ) -> Extracted<'_> {
        match &self.body {
            RawBody::Csv {
                bytes,
                body_start,
                body_line,
                split,
            } => {
                // A large body is parsed in record-aligned pieces on every core; pieces are
                // joined in order, so rows, lines and messages are exactly as one pass gives.
                let body = &bytes[*body_start..];
                let parts = if *split && body.len() >= PARALLEL_CSV_BYTES {
                    std::thread::available_parallelism().map_or(1, |n| n.get())
                } else {
                    1
                };
                self.extract_csv_in(body, *body_line, requests, filter, table, log, parts)
            }
            RawBody::Rows(rows) => {
                let mut out = Extracted::empty(requests.len());
                let mut cells: Vec<Option<Cell>> = vec![None; requests.len()];
                for (position, row) in rows {
                    for (slot, req) in cells.iter_mut().zip(requests) {
                        *slot = Some(
                            req.iter()
                                .filter_map(|&i| row.get(i).and_then(value_text))
                                .find(|s| !is_missing(s)),
                        );
                    }
                    if let Some(time) = filter.and_then(|f| f.skip(&cells)) {
                        out.skipped.add(time);
                        continue;
                    }
                    for (column, slot) in out.columns.iter_mut().zip(cells.iter_mut()) {
                        column.push(slot.take().flatten());
                    }
                    out.positions.push(*position);
                }
                out
            }
            RawBody::Parquet(bytes) => {
                self.extract_parquet(Input::Bytes(bytes), requests, filter, table, log)
            }
            RawBody::ParquetFile(path) => {
                self.extract_parquet(Input::File(path), requests, filter, table, log)
            }
            RawBody::Lines { bytes, lines } => self.extract_lines(bytes, lines, requests, filter),
        }
    }

    pub(super) fn issue(
        &self,
        table: &str,
        at: Option<Location>,
        column: Option<&str>,
        sev: Severity,
        msg: String,
    ) -> Issue {
        Issue {
            severity: sev,
            file: self.name.clone(),
            table: Some(table.to_string()),
            location: at,
            column: column.map(str::to_string),
            message: msg,
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn extract_csv_in<'a>(
        &'a self,
        body: &'a [u8],
        body_line: u64,
        requests: &[Vec<usize>],
        filter: Option<&ExtractFilter>,
        table: &str,
        log: &mut IssueLog,
        parts: usize,
    ) -> Extracted<'a> {
        let splits = record_splits(body, parts);
        if splits.len() == 1 {
            return self.extract_csv_piece(body, body_line, requests, filter, table, log);
        }
        let parsed = map_on_cores(
            &pieces(&splits, body.len()),
            |&(start, end, lines_before)| {
                let mut piece_log = IssueLog::default();
                let e = self.extract_csv_piece(
                    &body[start..end],
                    body_line + lines_before,
                    requests,
                    filter,
                    table,
                    &mut piece_log,
                );
                (e, piece_log)
            },
        );
        let mut out = Extracted::empty(requests.len());
        for (e, piece_log) in parsed {
            out.append(e);
            log.extend(piece_log);
        }
        out
    }

    /// One record-aligned piece of a CSV body, whose first line is `first_line` of the file.
    fn extract_csv_piece<'a>(
        &self,
        body: &'a [u8],
        first_line: u64,
        requests: &[Vec<usize>],
        filter: Option<&ExtractFilter>,
        table: &str,
        log: &mut IssueLog,
    ) -> Extracted<'a> {
        let mut out = Extracted::empty(requests.len());
        let mut row: Vec<Option<Cell<'a>>> = vec![None; requests.len()];
        let valid_utf8 = body.is_ascii() || std::str::from_utf8(body).is_ok();
        let mut records = Records::new(body);
        let mut rec = Record::default();
        let width = self.headers.len();
        loop {
            match records.next_into(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(CsvError::UnterminatedQuote { line }) => {
                    out.rejected += 1;
                    let at = Location::Line(line + first_line - 1);
                    let msg = "quoted field never closed (file cut short?); this row and the rest of the file skipped".to_string();
                    log.push(
                        "truncated",
                        self.issue(table, Some(at), None, Severity::Error, msg),
                    );
                    records.resync();
                    continue;
                }
            }
            let line = rec.line + first_line - 1;
            if is_blank(body, &rec) && width > 1 {
                continue;
            }
            if rec.fields.len() != width {
                out.rejected += 1;
                let msg = format!(
                    "expected {width} fields, found {}; row skipped",
                    rec.fields.len()
                );
                log.push(
                    "ragged",
                    self.issue(
                        table,
                        Some(Location::Line(line)),
                        None,
                        Severity::Error,
                        msg,
                    ),
                );
                continue;
            }
            let cell = |req: usize, log: &mut IssueLog| {
                self.csv_cell(body, &rec.fields, &requests[req], line, table, log)
            };
            if let Some(f) = filter {
                // The filter's cells first: most rows stop there. Where the text holds invalid
                // UTF-8, every cell is read first, so that each is reported as without a filter.
                let every = 0..if valid_utf8 { 0 } else { row.len() };
                let checked = f.checked.iter().map(|c| c.0);
                for r in f
                    .columns
                    .iter()
                    .copied()
                    .chain([f.time])
                    .chain(checked)
                    .chain(every)
                {
                    if row[r].is_none() {
                        row[r] = Some(cell(r, log));
                    }
                }
                if let Some(time) = f.skip(&row) {
                    out.skipped.add(time);
                    row.iter_mut().for_each(|c| *c = None);
                    continue;
                }
            }
            for (r, (column, slot)) in out.columns.iter_mut().zip(row.iter_mut()).enumerate() {
                let value = match slot.take() {
                    Some(v) => v,
                    None => cell(r, log),
                };
                column.push(value);
            }
            out.positions.push(line);
        }
        out
    }

    /// One requested cell of a CSV record: the first non-missing of the request's columns.
    fn csv_cell<'a>(
        &self,
        body: &'a [u8],
        fields: &[FieldSpan],
        request: &[usize],
        line: u64,
        table: &str,
        log: &mut IssueLog,
    ) -> Cell<'a> {
        for &i in request {
            let text: Cow<'a, str> = match field_bytes(body, fields[i]) {
                Cow::Borrowed(b) => match std::str::from_utf8(b) {
                    Ok(s) => Cow::Borrowed(s),
                    Err(_) => self.lossy(b, line, i, table, log),
                },
                Cow::Owned(v) => match String::from_utf8(v) {
                    Ok(s) => Cow::Owned(s),
                    Err(e) => self.lossy(e.as_bytes(), line, i, table, log),
                },
            };
            if !is_missing(&text) {
                return Some(text);
            }
        }
        None
    }

    /// Invalid UTF-8: read with replacement characters, and say so.
    fn lossy<'a>(
        &self,
        bytes: &[u8],
        line: u64,
        header: usize,
        table: &str,
        log: &mut IssueLog,
    ) -> Cow<'a, str> {
        let msg = "invalid UTF-8, read with U+FFFD replacement characters".to_string();
        log.push(
            "invalid-utf8",
            self.issue(
                table,
                Some(Location::Line(line)),
                Some(&self.headers[header]),
                Severity::Warning,
                msg,
            ),
        );
        Cow::Owned(String::from_utf8_lossy(bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> RawSource {
        let bytes = text.as_bytes().to_vec();
        let body_start = text.find('\n').map_or(text.len(), |i| i + 1);
        RawSource {
            name: "t.csv".into(),
            path: "t.csv".into(),
            format: "csv",
            headers: vec!["a".into(), "b".into(), "c".into()],
            addressing: Addressing::Lines,
            body: RawBody::Csv {
                bytes,
                body_start,
                body_line: 2,
                split: true,
            },
            rejected: 0,
        }
    }

    #[test]
    fn splits_never_fall_inside_quoted_newlines() {
        let body = b"1,\"x\ny\nz\",3\n4,5,6\n7,\"p\nq\",9\n";
        for parts in 1..8 {
            let splits = record_splits(body, parts);
            for &(at, _) in &splits[1..] {
                let before = &body[..at];
                assert_eq!(
                    before.iter().filter(|&&b| b == b'"').count() % 2,
                    0,
                    "{parts}: split at {at}"
                );
                assert_eq!(before.last(), Some(&b'\n'));
            }
        }
    }

    #[test]
    fn pieces_give_exactly_what_one_pass_gives() {
        let mut text = String::from("a,b,c\n");
        for i in 0..300 {
            match i % 7 {
                0 => text.push_str(&format!("{i},\"multi\nline {i}\",\"q\"\"q\"\n")),
                3 => text.push_str(&format!("{i},ragged\n")),
                5 => text.push_str(&format!("{i},,\r\n")),
                _ => text.push_str(&format!("{i},b{i},c{i}\n")),
            }
        }
        text.push_str("999,\"cut");
        let src = source(&text);
        let RawBody::Csv {
            bytes, body_start, ..
        } = &src.body
        else {
            unreachable!()
        };
        let body = &bytes[*body_start..];
        let requests = vec![vec![0], vec![1], vec![2]];
        let mut one_log = IssueLog::default();
        let one = src.extract_csv_in(body, 2, &requests, None, "T", &mut one_log, 1);
        for parts in [2, 3, 5, 16] {
            let mut log = IssueLog::default();
            let many = src.extract_csv_in(body, 2, &requests, None, "T", &mut log, parts);
            assert_eq!(many.columns, one.columns, "{parts} parts");
            assert_eq!(many.positions, one.positions);
            assert_eq!(many.rejected, one.rejected);
            assert_eq!(log.lines(), one_log.lines());
        }
        assert_eq!(one.rejected, 300 / 7 + 1 + 1);
    }
}
