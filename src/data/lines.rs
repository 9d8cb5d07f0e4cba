//! NDJSON / JSONL without a JSON value tree: two passes over the file's bytes, each on every
//! core. The first checks every line and gathers the keys (the columns, in first-seen order); the
//! second, on extraction, reads only the requested keys' values, borrowing strings from the file.
//! A bad line is reported in the first pass and skipped, as before.

use std::borrow::Cow;
use std::fmt;

use polars::prelude::{PlHashMap, PlHashSet};
use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::Value;

use super::columns::feeds_table;
use super::cores::{map_on_cores, pieces};
use super::issues::{Issue, IssueLog, Location, Severity};
use super::raw::{
    clean_header, value_text, Addressing, Cell, ExtractFilter, Extracted, RawBody, RawSource,
};
use super::schema::TableKind;
use super::values::is_missing;

/// One object line of the file.
#[derive(Debug, Clone, Copy)]
pub struct LineSpan {
    pub line: u64,
    pub start: usize,
    pub end: usize,
    /// Not valid UTF-8: read with replacement characters (and reported).
    pub lossy: bool,
}

/// A string that borrows from the input when it has no escapes.
struct CowStr<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for CowStr<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CowStr<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v.to_string())))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(CowStr(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A key as a column name: most keys need no cleaning.
fn clean_key(k: &str) -> Cow<'_, str> {
    if k.starts_with('\u{feff}') || k.trim() != k || k.ends_with(']') {
        Cow::Owned(clean_header(k))
    } else {
        Cow::Borrowed(k)
    }
}

/// The keys of an object line (values are checked, not kept).
struct Keys;

impl<'de> Visitor<'de> for Keys {
    type Value = Vec<CowStr<'de>>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut keys = Vec::new();
        while let Some(k) = map.next_key::<CowStr<'de>>()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(k);
        }
        Ok(keys)
    }
}

/// The values of the wanted columns of an object line, by column index (the last of a repeated
/// key wins, as it does in a JSON object).
struct Capture<'w> {
    index: &'w PlHashMap<String, usize>,
    wanted: &'w [bool],
}

impl<'de> Visitor<'de> for Capture<'_> {
    type Value = Vec<(usize, &'de RawValue)>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        while let Some(k) = map.next_key::<CowStr<'de>>()? {
            match self.index.get(clean_key(&k.0).as_ref()) {
                Some(&i) if self.wanted[i] => out.push((i, map.next_value::<&RawValue>()?)),
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(out)
    }
}

/// A value's cell text, as [`value_text`] gives it for a parsed value.
fn raw_text(raw: &RawValue) -> Option<Cow<'_, str>> {
    let t = raw.get();
    match t.as_bytes().first() {
        Some(b'"') => match serde_json::from_str::<&str>(t) {
            Ok(s) => Some(Cow::Borrowed(s)),
            Err(_) => serde_json::from_str::<String>(t).ok().map(Cow::Owned),
        },
        Some(b'n') => None,
        Some(b't') => Some(Cow::Borrowed("true")),
        Some(b'f') => Some(Cow::Borrowed("false")),
        _ => {
            let v: Value = serde_json::from_str(t).ok()?;
            value_text(&v).map(|c| Cow::Owned(c.into_owned()))
        }
    }
}

/// Where each of `parts` pieces of `bytes` starts: just after a newline (JSON text cannot hold
/// a raw newline, so every line is whole in one piece), with the lines before it.
fn line_splits(bytes: &[u8], parts: usize) -> Vec<(usize, u64)> {
    let mut splits = vec![(0, 0)];
    let step = bytes.len() / parts.max(1);
    for k in 1..parts {
        let from = (k * step).max(splits.last().map_or(0, |s| s.0));
        let Some(nl) = memchr::memchr(b'\n', &bytes[from..]) else {
            break;
        };
        let at = from + nl + 1;
        if at >= bytes.len() {
            break;
        }
        let before = splits.last().expect("one split").1
            + memchr::memchr_iter(b'\n', &bytes[splits.last().expect("one split").0..at]).count()
                as u64;
        splits.push((at, before));
    }
    splits
}

/// Runs `work` on every piece of `bytes` on every core; results in piece order.
fn in_pieces<T: Send>(bytes: &[u8], work: impl Fn(usize, &[u8], u64) -> T + Sync) -> Vec<T> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    let parts = if bytes.len() >= 8 << 20 { threads } else { 1 };
    let splits = line_splits(bytes, parts);
    map_on_cores(
        &pieces(&splits, bytes.len()),
        |&(start, end, lines_before)| work(start, &bytes[start..end], lines_before),
    )
}

/// What the first pass found in one piece.
#[derive(Default)]
struct Scan {
    keys: Vec<String>,
    spans: Vec<LineSpan>,
    rejected: usize,
    log: IssueLog,
}

fn file_issue(file: &str, line: u64, msg: String) -> Issue {
    Issue {
        location: Some(Location::Line(line)),
        ..Issue::file_error(file, msg)
    }
}

/// The first pass: every line checked, the keys gathered. `owned` is the file; its text starts
/// at `start`.
pub fn read_lines(
    name: &str,
    path: &str,
    owned: Vec<u8>,
    start: usize,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> RawSource {
    let bytes = &owned[start..];
    let scans = in_pieces(bytes, |offset, piece, lines_before| {
        let mut scan = Scan::default();
        // Every line repeats the same keys: each raw key is decided once.
        let mut decided: PlHashSet<String> = PlHashSet::default();
        let mut seen: PlHashSet<String> = PlHashSet::default();
        let mut add_keys = |keys: Vec<CowStr>, scan: &mut Scan| {
            for k in keys {
                if decided.contains(k.0.as_ref()) {
                    continue;
                }
                decided.insert(k.0.to_string());
                let column = clean_key(&k.0);
                if hint.is_some_and(|t| !feeds_table(t, &column)) || seen.contains(column.as_ref())
                {
                    continue;
                }
                seen.insert(column.to_string());
                scan.keys.push(column.into_owned());
            }
        };
        let mut at = 0;
        for (i, raw_line) in piece.split(|&b| b == b'\n').enumerate() {
            let line = lines_before + i as u64 + 1;
            let line_start = at;
            at += raw_line.len() + 1;
            let raw_line = raw_line.strip_suffix(b"\r").unwrap_or(raw_line);
            if raw_line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let span = |lossy| LineSpan {
                line,
                start: start + offset + line_start,
                end: start + offset + line_start + raw_line.len(),
                lossy,
            };
            // Checked here: skipping a value does not check its text.
            let valid = raw_line.is_ascii() || std::str::from_utf8(raw_line).is_ok();
            if valid {
                let mut de = serde_json::Deserializer::from_slice(raw_line);
                if let Ok(keys) = de.deserialize_map(Keys).and_then(|k| de.end().map(|_| k)) {
                    add_keys(keys, &mut scan);
                    scan.spans.push(span(false));
                    continue;
                }
            } else {
                let text = String::from_utf8_lossy(raw_line);
                let msg = "invalid UTF-8, read with U+FFFD replacement characters".to_string();
                scan.log.push(
                    "invalid-utf8",
                    Issue {
                        severity: Severity::Warning,
                        ..file_issue(name, line, msg)
                    },
                );
                let mut de = serde_json::Deserializer::from_str(&text);
                if let Ok(keys) = de.deserialize_map(Keys).and_then(|k| de.end().map(|_| k)) {
                    let keys = keys
                        .into_iter()
                        .map(|k| CowStr(Cow::Owned(k.0.into_owned())))
                        .collect();
                    add_keys(keys, &mut scan);
                    scan.spans.push(span(true));
                    continue;
                }
            }
            scan.rejected += 1;
            // Said as the value-tree reader said it: valid JSON of another kind, or where the
            // text stops being JSON (the first error of reading the raw line).
            let parsed = match serde_json::from_slice::<Value>(raw_line) {
                Err(e) if !valid => {
                    serde_json::from_str::<Value>(&String::from_utf8_lossy(raw_line)).map_err(|_| e)
                }
                other => other,
            };
            let msg = match parsed {
                Ok(_) => "line is JSON but not an object; skipped".to_string(),
                Err(e) => format!("invalid JSON at column {} ({e}); line skipped", e.column()),
            };
            scan.log.push("bad-json", file_issue(name, line, msg));
        }
        scan
    });
    let mut headers: Vec<String> = Vec::new();
    let mut index: PlHashMap<String, usize> = PlHashMap::default();
    let mut spans = Vec::new();
    let mut rejected = 0;
    for scan in scans {
        for k in scan.keys {
            if !index.contains_key(&k) {
                index.insert(k.clone(), headers.len());
                headers.push(k);
            }
        }
        spans.extend(scan.spans);
        rejected += scan.rejected;
        log.extend(scan.log);
    }
    RawSource {
        name: name.to_string(),
        path: path.to_string(),
        format: "ndjson",
        headers,
        addressing: Addressing::Lines,
        body: RawBody::Lines {
            bytes: owned,
            lines: spans,
        },
        rejected,
    }
}

impl RawSource {
    /// The second pass: the requested columns of every object line, filtered.
    pub(super) fn extract_lines<'a>(
        &'a self,
        bytes: &'a [u8],
        lines: &[LineSpan],
        requests: &[Vec<usize>],
        filter: Option<&ExtractFilter>,
    ) -> Extracted<'a> {
        let index: PlHashMap<String, usize> = self
            .headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.clone(), i))
            .collect();
        let mut wanted = vec![false; self.headers.len()];
        for &i in requests.iter().flatten() {
            wanted[i] = true;
        }
        let capture = || Capture {
            index: &index,
            wanted: &wanted,
        };
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let parts = if lines.len() >= 100_000 { threads } else { 1 };
        let chunk = lines.len().div_ceil(parts.max(1)).max(1);
        let chunks: Vec<&[LineSpan]> = lines.chunks(chunk).collect();
        let pieces = map_on_cores(&chunks, |&piece| {
            let mut out = Extracted::empty(requests.len());
            let mut values: Vec<Option<Cell<'a>>> = vec![None; self.headers.len()];
            let mut row: Vec<Option<Cell<'a>>> = vec![None; requests.len()];
            for span in piece {
                let text = &bytes[span.start..span.end];
                let captured: Vec<(usize, Cell<'a>)> = if span.lossy {
                    let owned = String::from_utf8_lossy(text).into_owned();
                    let mut de = serde_json::Deserializer::from_str(&owned);
                    de.deserialize_map(capture())
                        .map(|v| {
                            v.into_iter()
                                .map(|(i, r)| (i, raw_text(r).map(|c| Cow::Owned(c.into_owned()))))
                                .collect()
                        })
                        .unwrap_or_default()
                } else {
                    let mut de = serde_json::Deserializer::from_slice(text);
                    de.deserialize_map(capture())
                        .map(|v| v.into_iter().map(|(i, r)| (i, raw_text(r))).collect())
                        .unwrap_or_default()
                };
                values.iter_mut().for_each(|v| *v = None);
                for (i, cell) in captured {
                    values[i] = Some(cell);
                }
                for (slot, req) in row.iter_mut().zip(requests) {
                    *slot = Some(
                        req.iter()
                            .filter_map(|&i| values[i].as_ref()?.as_ref())
                            .find(|s| !is_missing(s))
                            .cloned(),
                    );
                }
                if let Some(time) = filter.and_then(|f| f.skip(&row)) {
                    out.skipped.add(time);
                    continue;
                }
                for (column, slot) in out.columns.iter_mut().zip(row.iter_mut()) {
                    column.push(slot.take().flatten());
                }
                out.positions.push(span.line);
            }
            out
        });
        let mut out = Extracted::empty(requests.len());
        for p in pieces {
            out.append(p);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

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
                row.insert(k, value_text(&v).map(|c| c.into_owned()));
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
        let source = read_lines("t.ndjson", "t.ndjson", text.to_vec(), 0, None, &mut log);
        let (headers, rows) = reference(text);
        assert_eq!(source.headers, headers);
        let requests: Vec<Vec<usize>> = (0..headers.len()).map(|i| vec![i]).collect();
        let RawBody::Lines { bytes, lines } = &source.body else {
            panic!("lines")
        };
        let got = source.extract_lines(bytes, lines, &requests, None);
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
        assert_eq!(source.rejected, 3, "{:?}", log.lines());
        let lines = log.lines().join("\n");
        assert!(
            lines.contains("line 4: line is JSON but not an object"),
            "{lines}"
        );
        assert!(
            lines.contains("line 7: invalid JSON at column 2"),
            "{lines}"
        );
        assert!(lines.contains("line 6: invalid UTF-8"), "{lines}");
        assert!(lines.contains("line 9: invalid JSON"), "{lines}");
    }
}
