//! NDJSON / JSONL: one object per line, read without a JSON value tree. A first walk checks
//! every line and gathers the keys (the columns, in first-seen order); extraction walks the lines
//! again and reads only the requested keys' values. Both run on every core, over the whole text
//! or one block of a large file at a time. A bad line is reported by the first walk and skipped.
//!
//! Lines may also be Defender streaming-API records (`{"time", "category":
//! "AdvancedHunting-<Table>", "properties": {...the table's columns...}}`): the file's first
//! record decides. Their rows are `properties`, split into one source per `category`.

pub mod walk;

use std::sync::Arc;

use super::envelope::{is_envelope_line, row_of, scan_envelope, RowOf};
use super::objects::{add_record, Capture, KeyColumns};
use super::skim::{ws, Kind, SkimError};
use crate::data::issues::{Issue, IssueLog, Location, Severity};
use crate::data::pool;
use crate::data::source::{Addressing, Extracted, Request, Source, SourceMeta};
use crate::data::table::schema::TableKind;

/// Every object line of a text, with the line it is on: `(line, start, end)`.
pub(super) fn lines(
    bytes: &[u8],
    first_line: u64,
) -> impl Iterator<Item = (u64, usize, usize)> + '_ {
    let mut at = 0;
    let mut line = first_line;
    std::iter::from_fn(move || loop {
        if at >= bytes.len() {
            return None;
        }
        let end = memchr::memchr(b'\n', &bytes[at..]).map_or(bytes.len(), |i| at + i);
        let start = at;
        let this = line;
        at = end + 1;
        line += 1;
        let mut stop = end;
        if stop > start && bytes[stop - 1] == b'\r' {
            stop -= 1;
        }
        let first = ws(&bytes[..stop], start);
        if first < stop {
            return Some((this, first, stop));
        }
    })
}

/// What the first walk found in a text.
pub struct Scan {
    /// Plain records: their columns.
    pub plain: KeyColumns,
    /// Streaming-API records, by category: their rows' columns and how many there are.
    pub envelopes: Vec<(String, KeyColumns, usize)>,
    pub rejected: usize,
    pub log: IssueLog,
}

impl Scan {
    pub fn empty(hint: Option<TableKind>) -> Self {
        Scan {
            plain: KeyColumns::new(hint),
            envelopes: Vec::new(),
            rejected: 0,
            log: IssueLog::default(),
        }
    }

    /// Adds a later piece's findings after these.
    pub fn merge(&mut self, other: Scan) {
        self.plain.merge(other.plain);
        for (category, keys, n) in other.envelopes {
            match self.envelopes.iter_mut().find(|(c, _, _)| *c == category) {
                Some((_, mine, count)) => {
                    mine.merge(keys);
                    *count += n;
                }
                None => self.envelopes.push((category, keys, n)),
            }
        }
        self.rejected += other.rejected;
        self.log.extend(other.log);
    }
}

pub(super) fn line_issue(name: &str, line: u64, severity: Severity, msg: String) -> Issue {
    Issue {
        severity,
        location: Some(Location::Line(line)),
        ..Issue::file_error(name, msg)
    }
}

/// Why a line is not a record, as a message: said as a JSON parser says it (where the text
/// stops being JSON), or that it is JSON of another kind.
pub(super) fn bad_line(text: &[u8], e: SkimError, envelopes: bool) -> String {
    let parsed = match serde_json::from_slice::<serde::de::IgnoredAny>(text) {
        Err(first) if std::str::from_utf8(text).is_err() => {
            serde_json::from_str::<serde::de::IgnoredAny>(&String::from_utf8_lossy(text))
                .map_err(|_| first)
        }
        other => other,
    };
    match parsed {
        Err(err) => {
            // serde_json ends its message with its own position ("at line 1 column 59"),
            // counted within the line: the column is said here, and the line by the caller.
            let text = err.to_string();
            let what = text
                .rfind(" at line ")
                .map_or(text.as_str(), |i| &text[..i]);
            format!(
                "invalid JSON at column {} ({what}); line skipped",
                err.column()
            )
        }
        Ok(_) if envelopes => {
            "line is not a streaming-API record (an object with category and properties); skipped"
                .to_string()
        }
        Ok(_) if e.what == "not an object" => "line is JSON but not an object; skipped".to_string(),
        Ok(_) => {
            let column = String::from_utf8_lossy(&text[..e.at.min(text.len())])
                .chars()
                .count()
                + 1;
            format!("invalid JSON at column {column} ({}); line skipped", e.what)
        }
    }
}

/// Whether a text's records are streaming-API envelopes: its first object line decides.
pub fn holds_envelopes(bytes: &[u8]) -> bool {
    lines(bytes, 1)
        .next()
        .is_some_and(|(_, start, end)| is_envelope_line(&bytes[start..end]))
}

/// Walks every line of `bytes` (whose first line is `first_line` of the file), on every core.
pub fn scan(
    name: &str,
    bytes: &[u8],
    first_line: u64,
    hint: Option<TableKind>,
    envelopes: bool,
) -> Scan {
    let parts = if bytes.len() >= 8 << 20 {
        pool::threads()
    } else {
        1
    };
    let splits = line_splits(bytes, parts);
    let scans = pool::map(
        &pool::pieces(&splits, bytes.len()),
        |&(start, end, before)| {
            scan_piece(
                name,
                &bytes[start..end],
                first_line + before,
                hint,
                envelopes,
            )
        },
    );
    let mut out = Scan::empty(hint);
    for s in scans {
        out.merge(s);
    }
    out
}

fn scan_piece(
    name: &str,
    bytes: &[u8],
    first_line: u64,
    hint: Option<TableKind>,
    envelopes: bool,
) -> Scan {
    let mut scan = Scan::empty(hint);
    for (line, start, end) in lines(bytes, first_line) {
        let text = &bytes[start..end];
        let walked = if envelopes {
            scan_envelope(text, &mut scan.envelopes)
        } else {
            scan.plain
                .scan(text, 0)
                .map(|(end, repeated)| (end, repeated, None))
        };
        match walked {
            Ok((stop, repeated, keys_of)) if ws(text, stop) == text.len() => {
                for c in repeated {
                    let keys = match keys_of {
                        Some(k) => &scan.envelopes[k].1,
                        None => &scan.plain,
                    };
                    let msg = format!(
                        "key {:?} appears more than once in this record; the last value is read",
                        keys.headers[c]
                    );
                    scan.log.push(
                        "duplicate-key",
                        line_issue(name, line, Severity::Warning, msg),
                    );
                }
            }
            Ok((stop, ..)) => {
                scan.rejected += 1;
                let e = SkimError {
                    at: stop,
                    what: "text after the object",
                };
                let msg = bad_line(text, e, envelopes);
                scan.log
                    .push("bad-json", line_issue(name, line, Severity::Error, msg));
            }
            Err(e) => {
                scan.rejected += 1;
                let msg = bad_line(text, e, envelopes);
                scan.log
                    .push("bad-json", line_issue(name, line, Severity::Error, msg));
            }
        }
    }
    scan
}

/// Where each of `parts` pieces of `bytes` starts: just after a newline, with the lines before it.
pub fn line_splits(bytes: &[u8], parts: usize) -> Vec<(usize, u64)> {
    let mut splits = vec![(0usize, 0u64)];
    let step = bytes.len() / parts.max(1);
    for k in 1..parts {
        let (last, before) = *splits.last().expect("one split");
        let from = (k * step).max(last);
        let Some(nl) = memchr::memchr(b'\n', &bytes[from..]) else {
            break;
        };
        let at = from + nl + 1;
        if at >= bytes.len() {
            break;
        }
        let lines = before + memchr::memchr_iter(b'\n', &bytes[last..at]).count() as u64;
        splits.push((at, lines));
    }
    splits
}

/// NDJSON text (a whole file, or one block of a large one) as a source: plain records, or the
/// streaming-API records of one category.
pub struct NdjsonSource {
    pub meta: SourceMeta,
    pub bytes: Arc<Vec<u8>>,
    pub first_line: u64,
    /// For streaming-API records, the category whose rows this source holds.
    pub category: Option<String>,
}

impl Source for NdjsonSource {
    fn meta(&self) -> &SourceMeta {
        &self.meta
    }

    fn extract(&self, request: &Request, log: &mut IssueLog) -> Extracted<'_> {
        let bytes = self.bytes.as_slice();
        let parts = if bytes.len() >= 8 << 20 {
            pool::threads()
        } else {
            1
        };
        let splits = line_splits(bytes, parts);
        let pieces = pool::map(
            &pool::pieces(&splits, bytes.len()),
            |&(start, end, before)| {
                let mut piece_log = IssueLog::default();
                let e = self.extract_piece(
                    &bytes[start..end],
                    self.first_line + before,
                    request,
                    &mut piece_log,
                );
                (e, piece_log)
            },
        );
        let mut out = Extracted::empty(request.columns.len());
        for (e, piece_log) in pieces {
            out.append(e);
            log.extend(piece_log);
        }
        out
    }
}

impl NdjsonSource {
    fn extract_piece<'a>(
        &'a self,
        bytes: &'a [u8],
        first_line: u64,
        request: &Request,
        log: &mut IssueLog,
    ) -> Extracted<'a> {
        let mut capture = Capture::new(&self.meta.headers, request);
        let mut values: Vec<Option<(&[u8], Kind)>> = vec![None; self.meta.headers.len()];
        let mut row = vec![None; request.columns.len()];
        let mut out = Extracted::empty(request.columns.len());
        for (line, start, end) in lines(bytes, first_line) {
            let text = &bytes[start..end];
            let read = match &self.category {
                None => capture
                    .object(text, 0, &mut values)
                    .is_ok_and(|end| ws(text, end) == text.len()),
                Some(category) => match row_of(text, category) {
                    RowOf::Row(row_start) => capture.object(text, row_start, &mut values).is_ok(),
                    RowOf::Bad => false,
                    RowOf::Other => continue,
                },
            };
            // Lines the first walk rejected (and reported) are skipped here.
            if !read {
                values.iter_mut().for_each(|v| *v = None);
                continue;
            }
            let utf8 = text.is_ascii() || std::str::from_utf8(text).is_ok();
            add_record(
                &mut out,
                &mut values,
                utf8,
                request,
                &mut row,
                &self.meta,
                line,
                log,
            );
        }
        out
    }
}

/// The sources of an NDJSON text read whole: one for plain records, or one per streaming-API
/// category.
pub fn open(
    name: &str,
    path: &str,
    owned: Vec<u8>,
    start: usize,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Vec<Box<dyn Source>> {
    let mut bytes = owned;
    if start > 0 {
        bytes.drain(..start);
    }
    let envelopes = holds_envelopes(&bytes);
    let mut scan = scan(name, &bytes, 1, hint, envelopes);
    log.extend(std::mem::take(&mut scan.log));
    sources_of(name, path, Arc::new(bytes), scan, envelopes)
        .into_iter()
        .map(|s| Box::new(s) as Box<dyn Source>)
        .collect()
}

/// The sources a scanned text holds (named `file#Table` when it holds several categories);
/// `bytes` is the text, or empty when it is streamed in blocks later.
pub fn sources_of(
    name: &str,
    path: &str,
    bytes: Arc<Vec<u8>>,
    scan: Scan,
    envelopes: bool,
) -> Vec<NdjsonSource> {
    if !envelopes {
        let mut meta = SourceMeta::new(name, path, "ndjson", Addressing::Lines);
        meta.headers = scan.plain.headers;
        meta.rejected = scan.rejected;
        return vec![NdjsonSource {
            meta,
            bytes,
            first_line: 1,
            category: None,
        }];
    }
    let many = scan.envelopes.len() > 1;
    let mut out = Vec::new();
    for (k, (category, keys, _)) in scan.envelopes.into_iter().enumerate() {
        let table = super::envelope::table_name(&category);
        let display = if many {
            format!("{name}#{table}")
        } else {
            name.to_string()
        };
        let mut meta = SourceMeta::new(&display, path, "streaming-api", Addressing::Lines);
        meta.headers = keys.headers;
        meta.table_hint = TableKind::from_name(table);
        meta.category = Some(table.to_string());
        // Lines that are no record at all are counted once, with the first category.
        meta.rejected = if k == 0 { scan.rejected } else { 0 };
        out.push(NdjsonSource {
            meta,
            bytes: Arc::clone(&bytes),
            first_line: 1,
            category: Some(category),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::source::clean_header;
    use crate::data::values::is_missing;
    use serde_json::Value;
    use std::collections::HashMap;

    fn value_text(v: &Value) -> Option<String> {
        match v {
            Value::Null => None,
            Value::String(s) => Some(s.clone()),
            other => Some(other.to_string()),
        }
    }

    /// An object line's number and every column's cell.
    type Row = (u64, Vec<Option<String>>);

    /// What the value-tree reader gave for each object line.
    fn reference(text: &[u8]) -> (Vec<String>, Vec<Row>) {
        let mut headers: Vec<String> = Vec::new();
        let mut rows = Vec::new();
        for (i, line) in text.split(|&b| b == b'\n').enumerate() {
            let line = String::from_utf8_lossy(line.strip_suffix(b"\r").unwrap_or(line));
            let Ok(Value::Object(obj)) = serde_json::from_str::<Value>(&line) else {
                continue;
            };
            let mut row: HashMap<String, Option<String>> = HashMap::new();
            for (k, v) in obj {
                let k = clean_header(&k);
                if !headers.contains(&k) {
                    headers.push(k.clone());
                }
                row.insert(k, value_text(&v));
            }
            rows.push((i as u64 + 1, row));
        }
        let rows = rows
            .into_iter()
            .map(|(n, mut r)| (n, headers.iter().map(|h| r.remove(h).flatten()).collect()))
            .collect();
        (headers, rows)
    }

    #[test]
    fn lines_give_what_the_value_tree_gave() {
        let text: &[u8] = b"{\"a\":\"x\",\"b\":1,\"c\":true}\r\n\
            \n\
            {\"b\":1e3,\"a\":\"esc \\\"q\\\" \\u00e9\",\"d\":[1,{\"k\":\"v\"}],\"c\":null}\n\
            [1,2]\n\
            {\"a\":1.0,\"a\":\"last wins\",\"e [UTC]\":\"2026-01-01\",\"\\ufeffb\":-0}\n\
            {\"a\": \"bad\xff utf8\", \"b\": 12345678901234567890}\n\
            not json\n\
            {\"d\":{\"x\":[true,false,null]},\"f\":\"\",\"g\":\"None\"}\n\
            {\"a\":\"cut\"";
        let mut log = IssueLog::default();
        let sources = open("t.ndjson", "t.ndjson", text.to_vec(), 0, None, &mut log);
        let source = &sources[0];
        let (headers, rows) = reference(text);
        assert_eq!(source.meta().headers, headers);
        let requests: Vec<Vec<usize>> = (0..headers.len()).map(|i| vec![i]).collect();
        let request = Request {
            columns: &requests,
            filter: None,
            table: "T",
        };
        let got = source.extract(&request, &mut log);
        assert_eq!(got.positions, rows.iter().map(|r| r.0).collect::<Vec<_>>());
        for (c, column) in got.columns.iter().enumerate() {
            let want: Vec<Option<String>> = rows
                .iter()
                .map(|r| r.1[c].clone().filter(|s| !is_missing(s)))
                .collect();
            let got: Vec<Option<String>> = column
                .iter()
                .map(|v| v.as_ref().map(|s| s.to_string()))
                .collect();
            assert_eq!(got, want, "column {}", headers[c]);
        }
        assert_eq!(source.meta().rejected, 3, "{:?}", log.lines());
        let lines = log.lines().join("\n");
        assert!(
            lines.contains("line 4: line is JSON but not an object"),
            "{lines}"
        );
        assert!(
            lines.contains("line 7: invalid JSON at column 2") && !lines.contains("at line 1"),
            "{lines}"
        );
        // Said per value, with its column, as CSV says it (the value-tree reader said it per line).
        assert!(
            lines.contains("line 6: table T, column a: invalid UTF-8"),
            "{lines}"
        );
        assert!(lines.contains("line 9: invalid JSON"), "{lines}");
    }
}
