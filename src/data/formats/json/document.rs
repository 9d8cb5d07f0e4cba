//! Walking JSON documents in place: arrays of records, API responses, OData pages, Event Hubs
//! batches, one document after another; what they hold becomes sources.

use std::sync::Arc;

use super::objects::{KeyColumns, ObjectSpan, ObjectsSource};
use super::rows::RowsSource;
use super::skim::{self, elements, members, ws, Kind, SkimError};
use super::{envelope, is_key, RESPONSE_KEYS};
use crate::data::issues::{Issue, IssueLog, Location, Severity};
use crate::data::source::{clean_header, Addressing, Source, SourceMeta};
use crate::data::table::schema::TableKind;

pub(super) fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64
}

/// Line numbers of offsets met in increasing order, counted incrementally.
pub(super) struct Lines<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) at: usize,
    pub(super) line: u64,
}

impl Lines<'_> {
    pub(super) fn of(&mut self, offset: usize) -> u64 {
        let offset = offset.min(self.bytes.len());
        if offset < self.at {
            return line_of(self.bytes, offset);
        }
        self.line += memchr::memchr_iter(b'\n', &self.bytes[self.at..offset]).count() as u64;
        self.at = offset;
        self.line
    }
}

pub(super) fn issue(file: &str, at: Option<Location>, severity: Severity, msg: String) -> Issue {
    Issue {
        severity,
        location: at,
        ..Issue::file_error(file, msg)
    }
}

/// Object records gathered across the documents of a file.
pub(super) struct Records {
    pub(super) keys: KeyColumns,
    pub(super) spans: Vec<ObjectSpan>,
    pub(super) rejected: usize,
    pub(super) addressing: Addressing,
    pub(super) format: &'static str,
}

impl Records {
    pub(super) fn new(
        hint: Option<TableKind>,
        format: &'static str,
        addressing: Addressing,
    ) -> Self {
        Records {
            keys: KeyColumns::new(hint),
            spans: Vec::new(),
            rejected: 0,
            addressing,
            format,
        }
    }
}

/// What the documents of one file hold, as they are read.
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

pub(super) struct Document<'a> {
    pub(super) name: &'a str,
    pub(super) b: &'a [u8],
    pub(super) lines: Lines<'a>,
    pub(super) hint: Option<TableKind>,
    pub(super) log: &'a mut IssueLog,
    /// Records of arrays and single objects.
    pub(super) objects: Option<Records>,
    /// API results and OData pages.
    pub(super) results: Option<Records>,
    /// Streaming-API records, by category.
    pub(super) envelopes: Vec<(String, KeyColumns, Vec<ObjectSpan>)>,
    /// Envelope records that were not streaming-API records.
    pub(super) envelopes_rejected: usize,
    /// Log Analytics tables: display label, columns, rows.
    pub(super) tables: Vec<(String, Vec<String>, Vec<ObjectSpan>, usize)>,
}

impl Document<'_> {
    /// Every document of the file, one after another.
    pub(super) fn read_all(&mut self, mut at: usize) {
        let b = self.b;
        loop {
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

    fn objects(&mut self) -> &mut Records {
        let hint = self.hint;
        self.objects
            .get_or_insert_with(|| Records::new(hint, "json", Addressing::Lines))
    }

    /// A top-level array of records; returns where it ends (`None`: the file ends inside it).
    fn array(&mut self, at: usize) -> Option<usize> {
        let b = self.b;
        let mut j = ws(b, at + 1);
        let mut element = 0u64;
        if b.get(j) == Some(&b']') {
            self.objects();
            return Some(j + 1);
        }
        loop {
            element += 1;
            let line = self.lines.of(j);
            match self.record(j, line, element) {
                Ok(end) => {
                    j = ws(b, end);
                    match b.get(j) {
                        Some(b',') => {
                            j = ws(b, j + 1);
                            continue;
                        }
                        Some(b']') => return Some(j + 1),
                        None => {
                            self.truncated(line, None);
                            return None;
                        }
                        Some(_) => {}
                    }
                }
                Err(e) if e.at >= b.len() && resync(b, j + 1).is_none() => {
                    self.objects().rejected += 1;
                    self.truncated(line, Some(element));
                    return None;
                }
                Err(_) => self.objects().rejected += 1,
            }
            // The element is broken: go on at the next record that reads.
            let Some(next) = resync(b, j + 1) else {
                self.truncated(line, Some(element));
                return None;
            };
            let to = self.lines.of(next);
            let msg = format!(
                "invalid JSON in array element {element}; the text up to line {to} is skipped, the elements after it are read"
            );
            self.log.push(
                "bad-json",
                issue(self.name, Some(Location::Line(line)), Severity::Error, msg),
            );
            j = next;
        }
    }

    /// The file ends inside the array: inside element `element` (at `line`), or after it.
    fn truncated(&mut self, line: u64, element: Option<u64>) {
        let (at, msg) = match element {
            Some(n) => (
                line,
                format!("invalid JSON in array element {n} (the file ends inside it: cut short?); it is skipped, the elements before it are kept"),
            ),
            None => (
                self.lines.of(self.b.len()),
                "JSON array never closed (file cut short?); the elements before the end are kept".to_string(),
            ),
        };
        self.log.push(
            "truncated",
            issue(self.name, Some(Location::Line(at)), Severity::Error, msg),
        );
    }

    /// One element of a top-level array: an object record, or a response.
    fn record(&mut self, j: usize, line: u64, element: u64) -> Result<usize, SkimError> {
        let b = self.b;
        match b.get(j) {
            Some(b'{') => {
                let records = self.objects();
                let (end, repeated) = records.keys.scan(b, j)?;
                records.spans.push(ObjectSpan {
                    position: line,
                    start: j,
                });
                let names: Vec<String> = repeated
                    .iter()
                    .map(|&c| records.keys.headers[c].clone())
                    .collect();
                for n in names {
                    let msg = format!(
                        "key {n:?} appears more than once in array element {element}; the last value is read"
                    );
                    self.log.push(
                        "duplicate-key",
                        issue(
                            self.name,
                            Some(Location::Line(line)),
                            Severity::Warning,
                            msg,
                        ),
                    );
                }
                Ok(end)
            }
            _ => {
                let (end, _) = skim::value_end(b, j)?;
                self.objects().rejected += 1;
                let msg = format!("array element {element} is not an object; skipped");
                self.log.push(
                    "bad-json",
                    issue(self.name, Some(Location::Line(line)), Severity::Error, msg),
                );
                Ok(end)
            }
        }
    }

    /// A top-level object: a response envelope, or one record.
    fn object(&mut self, at: usize) -> Option<usize> {
        let b = self.b;
        let mut found: Vec<(&str, usize, Kind)> = Vec::new();
        let mut schema = None;
        let walked = members(b, at, |m| {
            let start = m.value.as_ptr() as usize - b.as_ptr() as usize;
            for k in RESPONSE_KEYS {
                if is_key(m.key, k) && m.kind == Kind::Nested {
                    found.push((k, start, m.kind));
                }
            }
            if is_key(m.key, "schema") && m.value.first() == Some(&b'[') {
                schema = Some(start);
            }
        });
        let end = match walked {
            Ok(end) => end,
            Err(e) => {
                let line = self.lines.of(at);
                let detail = if e.at >= b.len() {
                    "cut short".to_string()
                } else {
                    format!("{} at line {}", e.what, line_of(b, e.at))
                };
                let msg =
                    format!("invalid JSON document ({detail}); the rest of the file is skipped");
                self.log.push(
                    "bad-json",
                    issue(self.name, Some(Location::Line(line)), Severity::Error, msg),
                );
                return None;
            }
        };
        match found.first() {
            Some(("tables", start, _)) => self.tables_of(*start),
            Some(("records", start, _)) => self.envelopes_of(*start),
            Some((key, start, _)) if b[*start] == b'[' => {
                let format = if *key == "value" {
                    "odata"
                } else {
                    "hunting-api"
                };
                self.results_of(*start, schema, format)
            }
            _ => {
                let line = self.lines.of(at);
                let records = self.objects();
                let _ = records.keys.scan(b, at);
                records.spans.push(ObjectSpan {
                    position: line,
                    start: at,
                });
            }
        }
        Some(end)
    }

    /// `results` (with its `schema`) or an OData `value` array: object records by row number.
    fn results_of(&mut self, start: usize, schema: Option<usize>, format: &'static str) {
        let b = self.b;
        let hint = self.hint;
        let name = self.name;
        let records = self
            .results
            .get_or_insert_with(|| Records::new(hint, format, Addressing::Rows));
        // Declared columns first, so an empty result still shows its schema.
        if let Some(s) = schema {
            let _ = elements(b, s, |v, kind| {
                if kind == Kind::Nested && v.first() == Some(&b'{') {
                    let _ = members(v, 0, |m| {
                        if is_key(m.key, "name") {
                            if let (Some(n), _) = skim::cell(m.value, m.kind) {
                                records.keys.declare(&clean_header(&n));
                            }
                        }
                    });
                }
            });
        }
        let mut row = records.spans.len() as u64;
        let mut bad: Vec<u64> = Vec::new();
        let walked = elements(b, start, |v, kind| {
            row += 1;
            let at = v.as_ptr() as usize - b.as_ptr() as usize;
            if kind == Kind::Nested && v[0] == b'{' && records.keys.scan(b, at).is_ok() {
                records.spans.push(ObjectSpan {
                    position: row,
                    start: at,
                });
            } else {
                records.rejected += 1;
                bad.push(row);
            }
        });
        if walked.is_err() {
            records.rejected += 1;
        }
        for r in bad {
            self.log.push(
                "bad-json",
                issue(
                    name,
                    Some(Location::Row(r)),
                    Severity::Error,
                    "result is not an object; skipped".into(),
                ),
            );
        }
    }

    /// Event Hubs `{"records": [...]}`: streaming-API records, split by category.
    fn envelopes_of(&mut self, start: usize) {
        let b = self.b;
        let mut bad = 0u64;
        let mut positions = Vec::new();
        let _ = elements(b, start, |v, _| {
            positions.push(v.as_ptr() as usize - b.as_ptr() as usize)
        });
        for at in positions {
            let line = self.lines.of(at);
            let Ok((Some(category), Some(props), _)) = envelope::parts(b, at) else {
                bad += 1;
                let msg = "record is not a streaming-API record (an object with category and properties); skipped".to_string();
                self.log.push(
                    "bad-json",
                    issue(self.name, Some(Location::Line(line)), Severity::Error, msg),
                );
                continue;
            };
            let k = match self.envelopes.iter().position(|(c, _, _)| *c == category) {
                Some(k) => k,
                None => {
                    let table = TableKind::from_name(envelope::table_name(&category));
                    let keys = KeyColumns::new(table).gathering(table.is_some());
                    self.envelopes
                        .push((category.into_owned(), keys, Vec::new()));
                    self.envelopes.len() - 1
                }
            };
            let (_, keys, spans) = &mut self.envelopes[k];
            if !keys.gathers() || keys.scan(b, props).is_ok() {
                spans.push(ObjectSpan {
                    position: line,
                    start: props,
                });
            }
        }
        self.envelopes_rejected += bad as usize;
    }

    /// Log Analytics `tables`: each a source of positional rows.
    fn tables_of(&mut self, start: usize) {
        let b = self.b;
        let mut tables = Vec::new();
        let _ = elements(b, start, |v, _| {
            tables.push(v.as_ptr() as usize - b.as_ptr() as usize)
        });
        for (ti, at) in tables.into_iter().enumerate() {
            let mut label = format!("table {ti}");
            let mut columns: Vec<String> = Vec::new();
            let mut rows_at = None;
            let _ = members(b, at, |m| {
                let vstart = m.value.as_ptr() as usize - b.as_ptr() as usize;
                if is_key(m.key, "name") {
                    if let (Some(n), _) = skim::cell(m.value, m.kind) {
                        label = n.into_owned();
                    }
                } else if is_key(m.key, "columns") {
                    let _ = elements(b, vstart, |c, kind| match kind {
                        Kind::Nested if c[0] == b'{' => {
                            let mut name = String::new();
                            let _ = members(c, 0, |cm| {
                                if is_key(cm.key, "name") {
                                    if let (Some(n), _) = skim::cell(cm.value, cm.kind) {
                                        name = clean_header(&n);
                                    }
                                }
                            });
                            columns.push(name);
                        }
                        Kind::String => columns.push(
                            skim::cell(c, kind)
                                .0
                                .map(|n| clean_header(&n))
                                .unwrap_or_default(),
                        ),
                        _ => columns.push(String::new()),
                    });
                } else if is_key(m.key, "rows") {
                    rows_at = Some(vstart);
                }
            });
            let mut spans = Vec::new();
            let mut rejected = 0;
            if let Some(r) = rows_at {
                let width = columns.len();
                let mut n = 0u64;
                let mut problems: Vec<(u64, String)> = Vec::new();
                let _ = elements(b, r, |row, kind| {
                    n += 1;
                    let at = row.as_ptr() as usize - b.as_ptr() as usize;
                    if kind != Kind::Nested || row[0] != b'[' {
                        rejected += 1;
                        problems.push((n, "row is not an array; skipped".into()));
                        return;
                    }
                    let mut count = 0;
                    let _ = elements(b, at, |_, _| count += 1);
                    if count != width {
                        rejected += 1;
                        problems.push((
                            n,
                            format!("expected {width} values, found {count}; row skipped"),
                        ));
                        return;
                    }
                    spans.push(ObjectSpan {
                        position: n,
                        start: at,
                    });
                });
                for (row, msg) in problems {
                    let kind = if msg.starts_with("expected") {
                        "ragged"
                    } else {
                        "bad-json"
                    };
                    self.log.push(
                        kind,
                        issue(self.name, Some(Location::Row(row)), Severity::Error, msg),
                    );
                }
            }
            self.tables.push((label, columns, spans, rejected));
        }
    }

    /// The sources the documents hold, in the order of their kinds.
    pub(super) fn into_sources(self, path: &str, bytes: &Arc<Vec<u8>>) -> Vec<Box<dyn Source>> {
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
        for (l, columns, rows, rejected) in self.tables {
            let mut meta = SourceMeta::new(&label(&l), path, "log-analytics-api", Addressing::Rows);
            meta.headers = columns;
            meta.rejected = rejected;
            out.push(Box::new(RowsSource {
                meta,
                bytes: Arc::clone(bytes),
                rows,
            }));
        }
        out
    }
}

/// Where the next record of an array starts after a broken one at `from`: a `{` that follows a
/// `}` and a comma and opens an object that reads to its end, followed by `,` or `]`.
pub(super) fn resync(b: &[u8], from: usize) -> Option<usize> {
    let mut at = from;
    while let Some(k) = memchr::memchr(b'}', &b[at.min(b.len())..]) {
        let close = at + k;
        at = close + 1;
        let comma = ws(b, close + 1);
        if b.get(comma) != Some(&b',') {
            continue;
        }
        let open = ws(b, comma + 1);
        if b.get(open) != Some(&b'{') {
            continue;
        }
        if let Ok(end) = members(b, open, |_| {}) {
            if matches!(b.get(ws(b, end)), Some(b',' | b']')) {
                return Some(open);
            }
        }
    }
    None
}
