//! Walking JSON documents in place: arrays of records, API responses, OData pages, Event Hubs
//! batches, one document after another; what they hold becomes sources.
//!
//! Every array of records (a top-level array, `rows`, `results`, `value`, `records`) is walked
//! element by element by one walker: a broken element is reported with its line and index, and
//! reading goes on at the next element that reads; the text ending inside an array keeps what
//! came before. A response is read as it is walked, so a response cut short keeps its rows.

use std::sync::Arc;

mod responses;

use super::objects::{KeyColumns, ObjectSpan, ObjectsSource};
use super::rows::RowsSource;
use super::skim::{self, value_end, ws, Kind, SkimError};
use super::{envelope, is_key};
use crate::data::issues::{Issue, IssueLog, Location, Severity};
use crate::data::source::{clean_header, Addressing, Source, SourceMeta};
use crate::data::table::schema::TableKind;

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64
}

/// Line numbers of offsets met in increasing order, counted incrementally.
struct Lines<'a> {
    bytes: &'a [u8],
    at: usize,
    line: u64,
}

impl Lines<'_> {
    fn of(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        if offset < self.at {
            return line_of(self.bytes, offset);
        }
        self.line += memchr::memchr_iter(b'\n', &self.bytes[self.at..offset]).count() as u64;
        self.at = offset;
        self.line
    }
}

fn issue(file: &str, at: Option<Location>, severity: Severity, msg: String) -> Issue {
    Issue {
        severity,
        location: at,
        ..Issue::file_error(file, msg)
    }
}

/// Object records gathered across the documents of a file.
struct Records {
    keys: KeyColumns,
    spans: Vec<ObjectSpan>,
    rejected: usize,
    addressing: Addressing,
    format: &'static str,
}

impl Records {
    fn new(hint: Option<TableKind>, format: &'static str, addressing: Addressing) -> Self {
        Records {
            keys: KeyColumns::new(hint),
            spans: Vec::new(),
            rejected: 0,
            addressing,
            format,
        }
    }
}

/// A Log Analytics table: its label, columns, rows and rejected rows.
struct Table {
    label: String,
    columns: Vec<String>,
    rows: Vec<ObjectSpan>,
    rejected: usize,
}

/// What reads one element of an array: given its start, line and 1-based index, its end.
type Element<'e, 'a> =
    dyn FnMut(&mut Document<'a>, usize, u64, u64) -> Result<usize, SkimError> + 'e;

/// An element's failure that its own walk has already reported.
const SAID: &str = "said";

/// What kind of array is walked, for messages and positions.
#[derive(Clone, Copy)]
enum Items {
    /// A top-level array of records: "array element N", by line.
    Elements,
    /// API results / OData values: "result N", by row.
    Results,
    /// Log Analytics rows: "row N", by row.
    Rows,
    /// Event Hubs records: "record N", by line.
    Records,
}

impl Items {
    fn noun(self) -> &'static str {
        match self {
            Items::Elements => "array element",
            Items::Results => "result",
            Items::Rows => "row",
            Items::Records => "record",
        }
    }

    /// Where element `n` at `line` is, in messages.
    fn at(self, n: u64, line: u64) -> Location {
        match self {
            Items::Elements | Items::Records => Location::Line(line),
            Items::Results | Items::Rows => Location::Row(n),
        }
    }
}

/// What the documents of one file hold, as they are read.
struct Document<'a> {
    name: &'a str,
    b: &'a [u8],
    lines: Lines<'a>,
    hint: Option<TableKind>,
    log: &'a mut IssueLog,
    /// Records of arrays and single objects.
    objects: Option<Records>,
    /// API results and OData pages.
    results: Option<Records>,
    /// Streaming-API records, by category.
    envelopes: Vec<(String, KeyColumns, Vec<ObjectSpan>)>,
    /// Envelope records that were not streaming-API records.
    envelopes_rejected: usize,
    tables: Vec<Table>,
}

/// Reads every document of `bytes` (a file's text after any BOM, whose first document starts at
/// `first`) into sources.
pub(super) fn read(
    name: &str,
    path: &str,
    bytes: &Arc<Vec<u8>>,
    first: usize,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Vec<Box<dyn Source>> {
    let mut doc = Document {
        name,
        b: bytes,
        lines: Lines {
            bytes,
            at: 0,
            line: 1,
        },
        hint,
        log,
        objects: None,
        results: None,
        envelopes: Vec::new(),
        envelopes_rejected: 0,
        tables: Vec::new(),
    };
    doc.read_all(first);
    doc.into_sources(path, bytes)
}

/// Where the next element of an array starts after a broken one at `from`: an `open` (`{` or
/// `[`) after a comma, opening a value that reads to its end and is followed by `,` or `]`. (The
/// broken element's own closing bracket may be what broke, so it is not looked for.)
fn resync(b: &[u8], from: usize, open: u8) -> Option<usize> {
    let mut at = from;
    while let Some(k) = memchr::memchr(b',', &b[at.min(b.len())..]) {
        let comma = at + k;
        at = comma + 1;
        let next = ws(b, comma + 1);
        if b.get(next) != Some(&open) {
            continue;
        }
        if let Ok((stop, _)) = value_end(b, next) {
            if matches!(b.get(ws(b, stop)), Some(b',' | b']')) {
                return Some(next);
            }
        }
    }
    None
}

impl<'a> Document<'a> {
    /// Every document of the file, one after another.
    fn read_all(&mut self, mut at: usize) {
        let b = self.b;
        loop {
            // `cat a.json b.json` where b.json starts with a byte order mark.
            if b[at.min(b.len())..].starts_with(b"\xEF\xBB\xBF") {
                at = ws(b, at + 3);
            }
            let end = match b.get(at) {
                Some(b'[') => self.array(at),
                Some(b'{') => self.object(at),
                None => return,
                Some(_) => {
                    let line = self.lines.of(at);
                    let msg =
                        "text after the JSON document is not JSON; the rest of the file is ignored"
                            .to_string();
                    self.log.push(
                        "bad-json",
                        issue(self.name, Some(Location::Line(line)), Severity::Error, msg),
                    );
                    return;
                }
            };
            match end {
                Some(end) => at = ws(b, end),
                None => return,
            }
        }
    }

    fn say(&mut self, kind: &'static str, at: Location, severity: Severity, msg: String) {
        self.log
            .push(kind, issue(self.name, Some(at), severity, msg));
    }

    /// Walks the array at `at`, handing each element to `element` (its start, line and
    /// 1-based index; it returns the element's end). A broken element is reported and the
    /// walk goes on at the next element that reads. Returns the array's end and how many
    /// elements were lost; `None` for the end when the text ends inside the array.
    fn each(
        &mut self,
        at: usize,
        items: Items,
        open: u8,
        element: &mut Element<'_, 'a>,
    ) -> (Option<usize>, usize) {
        let b = self.b;
        let noun = items.noun();
        let mut lost = 0;
        let mut j = ws(b, at + 1);
        if b.get(j) == Some(&b']') {
            return (Some(j + 1), 0);
        }
        let mut n = 0u64;
        loop {
            n += 1;
            let line = self.lines.of(j);
            let walked = element(self, j, line, n);
            if let Ok(end) = walked {
                let next = ws(b, end);
                match b.get(next) {
                    Some(b',') => {
                        j = ws(b, next + 1);
                        continue;
                    }
                    Some(b']') => return (Some(next + 1), lost),
                    None => {
                        let msg = format!(
                            "the text ends inside the array after {noun} {n} (file cut short?); the {noun}s before are kept"
                        );
                        let end_line = self.lines.of(b.len());
                        self.say("truncated", Location::Line(end_line), Severity::Error, msg);
                        return (None, lost);
                    }
                    // Something after the element: it is not the element's fault.
                    Some(_) => {}
                }
            } else {
                lost += 1;
            }
            // Read on from inside a broken element (the next element may lie in what a lost
            // quote made look like its string), but after an element that was read.
            let from = match &walked {
                Ok(end) => *end,
                Err(_) => j + 1,
            };
            let said = walked.as_ref().err().is_some_and(|e| e.what == SAID);
            let next = if said { None } else { resync(b, from, open) };
            if said {
                return (None, lost);
            }
            let Some(next) = next else {
                let cut = walked.err().is_some_and(|e| e.at >= b.len());
                let msg = if cut {
                    format!("invalid JSON in {noun} {n} (the file ends inside it: cut short?); it is skipped, the {noun}s before it are kept")
                } else {
                    format!("invalid JSON in {noun} {n}; it and the rest of the array are skipped, the {noun}s before it are kept")
                };
                self.say("truncated", items.at(n, line), Severity::Error, msg);
                return (None, lost);
            };
            let to = self.lines.of(next);
            let msg = format!(
                "invalid JSON in {noun} {n}; the text up to line {to} is skipped, the {noun}s after it are read"
            );
            self.say("bad-json", items.at(n, line), Severity::Error, msg);
            j = next;
        }
    }

    fn objects(&mut self) -> &mut Records {
        let hint = self.hint;
        self.objects
            .get_or_insert_with(|| Records::new(hint, "json", Addressing::Lines))
    }

    /// A top-level array of records; returns where it ends (`None`: the file ends inside it).
    fn array(&mut self, at: usize) -> Option<usize> {
        self.objects();
        let (end, lost) = self.each(at, Items::Elements, b'{', &mut |doc, j, line, n| {
            doc.record(j, line, n)
        });
        self.objects().rejected += lost;
        end
    }

    /// Records `repeated` columns of `keys` as warnings for the record at `at`.
    fn repeated(&mut self, names: Vec<String>, what: String, at: Location) {
        for name in names {
            let msg =
                format!("key {name:?} appears more than once in {what}; the last value is read");
            self.say("duplicate-key", at, Severity::Warning, msg);
        }
    }

    /// One element of a top-level array: an object record.
    fn record(&mut self, j: usize, line: u64, n: u64) -> Result<usize, SkimError> {
        let b = self.b;
        if b.get(j) != Some(&b'{') {
            let (end, _) = value_end(b, j)?;
            self.objects().rejected += 1;
            let msg = format!("array element {n} is not an object; skipped");
            self.say("bad-json", Location::Line(line), Severity::Error, msg);
            return Ok(end);
        }
        let records = self.objects();
        let (end, repeated) = records.keys.scan(b, j)?;
        records.spans.push(ObjectSpan {
            position: line,
            start: j,
        });
        let names = repeated
            .iter()
            .map(|&c| records.keys.headers[c].clone())
            .collect();
        self.repeated(names, format!("array element {n}"), Location::Line(line));
        Ok(end)
    }

    /// A top-level object: a response envelope (its arrays read as they are walked), a
    /// streaming-API record, or one record.
    fn object(&mut self, at: usize) -> Option<usize> {
        let b = self.b;
        let mut schema = None;
        let mut response = false;
        let mut j = ws(b, at + 1);
        if b.get(j) == Some(&b'}') {
            return Some(j + 1);
        }
        let broken = |doc: &mut Self, e: SkimError| {
            let line = doc.lines.of(at);
            let detail = if e.at >= b.len() {
                "cut short".to_string()
            } else {
                format!("{} at line {}", e.what, line_of(b, e.at))
            };
            let msg = format!("invalid JSON document ({detail}); the rest of the file is skipped");
            doc.say("bad-json", Location::Line(line), Severity::Error, msg);
            None
        };
        loop {
            if b.get(j) != Some(&b'"') {
                return broken(
                    self,
                    SkimError {
                        at: j,
                        what: "expected a key in quotes",
                    },
                );
            }
            let key_end = match skim::string_end(b, j) {
                Ok((e, _)) => e,
                Err(e) => return broken(self, e),
            };
            let key = &b[j + 1..key_end - 1];
            let v = ws(b, key_end);
            if b.get(v) != Some(&b':') {
                return broken(
                    self,
                    SkimError {
                        at: v,
                        what: "expected ':' after a key",
                    },
                );
            }
            let v = ws(b, v + 1);
            let array = b.get(v) == Some(&b'[');
            let end = if array && is_key(key, "tables") {
                response = true;
                self.tables_of(v)
            } else if array && is_key(key, "records") {
                response = true;
                self.envelopes_of(v)
            } else if array && (is_key(key, "results") || is_key(key, "value")) {
                response = true;
                let format = if is_key(key, "value") {
                    "odata"
                } else {
                    "hunting-api"
                };
                self.results_of(v, schema.take(), format)
            } else {
                if array && is_key(key, "schema") {
                    schema = Some(v);
                }
                match value_end(b, v) {
                    Ok((e, _)) => Some(e),
                    Err(e) => return broken(self, e),
                }
            };
            // The document ended inside one of its arrays: that was said, what came before kept.
            let end = end?;
            j = ws(b, end);
            match b.get(j) {
                Some(b',') => j = ws(b, j + 1),
                Some(b'}') => break,
                None if response => {
                    let line = self.lines.of(b.len());
                    let msg = "the response ends before its closing brace (file cut short?); what came before is kept".to_string();
                    self.say("truncated", Location::Line(line), Severity::Error, msg);
                    return None;
                }
                _ => {
                    return broken(
                        self,
                        SkimError {
                            at: j,
                            what: "expected ',' or '}' after a value",
                        },
                    )
                }
            }
        }
        let end = j + 1;
        if response {
            // A schema after the results still declares the columns.
            if let Some(s) = schema {
                self.declare(s);
            }
            return Some(end);
        }
        let line = self.lines.of(at);
        if let Ok((Some(_), Some(_), _)) = envelope::parts(b, at) {
            // A streaming-API record printed on its own (`jq .` of a PT1H.json line).
            if let Err(e) = self.envelope(at, line, 1) {
                self.envelopes_rejected += 1;
                let msg = format!("record is not readable ({}); skipped", e.what);
                self.say("bad-json", Location::Line(line), Severity::Error, msg);
            }
            return Some(end);
        }
        let records = self.objects();
        let scanned = records.keys.scan(b, at);
        records.spans.push(ObjectSpan {
            position: line,
            start: at,
        });
        if let Ok((_, repeated)) = scanned {
            let names = repeated
                .iter()
                .map(|&c| self.objects().keys.headers[c].clone())
                .collect();
            self.repeated(names, "this record".into(), Location::Line(line));
        }
        Some(end)
    }

    /// The sources the documents hold, in the order of their kinds.
    fn into_sources(self, path: &str, bytes: &Arc<Vec<u8>>) -> Vec<Box<dyn Source>> {
        let name = self.name;
        let many = usize::from(self.objects.is_some())
            + usize::from(self.results.is_some())
            + self.envelopes.len()
            + self.tables.len()
            > 1;
        let label = |l: &str| {
            if many {
                format!("{name}#{l}")
            } else {
                name.to_string()
            }
        };
        let mut out: Vec<Box<dyn Source>> = Vec::new();
        for (records, l) in [(self.objects, "records"), (self.results, "results")] {
            if let Some(r) = records {
                let mut meta = SourceMeta::new(&label(l), path, r.format, r.addressing);
                meta.headers = r.keys.headers;
                meta.rejected = r.rejected;
                out.push(Box::new(ObjectsSource {
                    meta,
                    bytes: Arc::clone(bytes),
                    spans: r.spans,
                }));
            }
        }
        for (k, (category, keys, spans)) in self.envelopes.into_iter().enumerate() {
            let table = envelope::table_name(&category);
            let mut meta = SourceMeta::new(&label(table), path, "streaming-api", Addressing::Lines);
            meta.headers = keys.headers;
            meta.table_hint = TableKind::from_name(table);
            meta.category = Some(table.to_string());
            meta.rejected = if k == 0 { self.envelopes_rejected } else { 0 };
            out.push(Box::new(ObjectsSource {
                meta,
                bytes: Arc::clone(bytes),
                spans,
            }));
        }
        for t in self.tables {
            let mut meta = SourceMeta::new(
                &label(&t.label),
                path,
                "log-analytics-api",
                Addressing::Rows,
            );
            meta.headers = t.columns;
            meta.rejected = t.rejected;
            out.push(Box::new(RowsSource {
                meta,
                bytes: Arc::clone(bytes),
                rows: t.rows,
            }));
        }
        out
    }
}
