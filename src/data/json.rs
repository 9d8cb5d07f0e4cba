//! JSON exports: arrays of objects, NDJSON / JSONL, Log Analytics API responses
//! (`{"tables":[{"columns","rows"}]}`) and Graph / Defender hunting responses
//! (`{"schema","results"}`). A broken record is reported by line and the others are kept.

use std::collections::HashMap;

use serde_json::{Map, Value};

use super::columns::feeds_table;
use super::issues::{Issue, IssueLog, Location};
use super::lines::read_lines;
use super::raw::{clean_header, Addressing, RawBody, RawSource};
use super::schema::TableKind;

fn line_of(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset.min(bytes.len())]).count() as u64
}

fn file_issue(file: &str, at: Option<Location>, msg: String) -> Issue {
    Issue {
        location: at,
        ..Issue::file_error(file, msg)
    }
}

/// Collects objects into rows aligned on the union of their keys, in first-seen order.
#[derive(Default)]
struct ObjectRows {
    headers: Vec<String>,
    index: HashMap<String, usize>,
    rows: Vec<(u64, Vec<Value>)>,
    rejected: usize,
    /// When the table is known, only the keys it reads are kept.
    keep: Option<TableKind>,
}

impl ObjectRows {
    fn new(keep: Option<TableKind>) -> Self {
        ObjectRows {
            keep,
            ..ObjectRows::default()
        }
    }

    fn push(&mut self, position: u64, obj: Map<String, Value>) {
        let mut row = vec![Value::Null; self.headers.len()];
        for (k, v) in obj {
            let name = clean_header(&k);
            if self.keep.is_some_and(|t| !feeds_table(t, &name)) {
                continue;
            }
            let i = *self.index.entry(name.clone()).or_insert_with(|| {
                self.headers.push(name);
                self.headers.len() - 1
            });
            if i >= row.len() {
                row.resize(i + 1, Value::Null);
            }
            row[i] = v;
        }
        self.rows.push((position, row));
    }

    fn into_source(
        self,
        name: &str,
        path: &str,
        format: &'static str,
        addressing: Addressing,
    ) -> RawSource {
        let width = self.headers.len();
        let rows = self
            .rows
            .into_iter()
            .map(|(p, mut r)| {
                r.resize(width, Value::Null);
                (p, r)
            })
            .collect();
        RawSource {
            name: name.to_string(),
            path: path.to_string(),
            format,
            headers: self.headers,
            addressing,
            body: RawBody::Rows(rows),
            rejected: self.rejected,
        }
    }
}

/// Reads any JSON export shape. `text` has its BOM stripped.
pub fn read_json(
    name: &str,
    path: &str,
    bytes: &[u8],
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Vec<RawSource> {
    let start = bytes
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(bytes.len());
    match bytes.get(start) {
        Some(b'[') => vec![read_array(name, path, bytes, start, hint, log)],
        Some(b'{') => read_object_or_lines(name, path, bytes, hint, log),
        _ => {
            log.push(
                "bad-json",
                file_issue(
                    name,
                    None,
                    "not JSON: expected '[' or '{' at the start".into(),
                ),
            );
            Vec::new()
        }
    }
}

/// A JSON array of objects, read element by element so that a cut-off file keeps its head.
fn read_array(
    name: &str,
    path: &str,
    bytes: &[u8],
    start: usize,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> RawSource {
    let mut rows = ObjectRows::new(hint);
    let mut pos = start + 1;
    let mut line = line_of(bytes, pos);
    let mut counted_to = pos;
    let mut element = 0u64;
    loop {
        while pos < bytes.len() && (bytes[pos].is_ascii_whitespace() || bytes[pos] == b',') {
            pos += 1;
        }
        if pos >= bytes.len() {
            let at = Location::Line(line_of(bytes, bytes.len()));
            log.push(
                "truncated",
                file_issue(
                    name,
                    Some(at),
                    "JSON array never closed (file cut short?)".into(),
                ),
            );
            break;
        }
        if bytes[pos] == b']' {
            break;
        }
        line += memchr::memchr_iter(b'\n', &bytes[counted_to..pos]).count() as u64;
        counted_to = pos;
        element += 1;
        let mut stream = serde_json::Deserializer::from_slice(&bytes[pos..]).into_iter::<Value>();
        match stream.next() {
            Some(Ok(Value::Object(obj))) => {
                rows.push(line, obj);
                pos += stream.byte_offset();
            }
            Some(Ok(_)) => {
                pos += stream.byte_offset();
                rows.rejected += 1;
                let msg = format!("array element {element} is not an object; skipped");
                log.push(
                    "bad-json",
                    file_issue(name, Some(Location::Line(line)), msg),
                );
            }
            Some(Err(e)) => {
                let at = Location::Line(line + e.line() as u64 - 1);
                rows.rejected += 1;
                let msg = format!("invalid JSON in array element {element} ({e}); it and the rest of the file skipped");
                log.push("bad-json", file_issue(name, Some(at), msg));
                break;
            }
            None => break,
        }
    }
    rows.into_source(name, path, "json", Addressing::Lines)
}

/// One object (an API response, or a single record), or one object per line.
fn read_object_or_lines(
    name: &str,
    path: &str,
    bytes: &[u8],
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Vec<RawSource> {
    let mut stream = serde_json::Deserializer::from_slice(bytes).into_iter::<Value>();
    if let Some(Ok(Value::Object(obj))) = stream.next() {
        let rest = &bytes[stream.byte_offset()..];
        if rest.iter().all(u8::is_ascii_whitespace) {
            if let Some(sources) = read_response(name, path, &obj, hint, log) {
                return sources;
            }
            let mut rows = ObjectRows::new(hint);
            rows.push(1, obj);
            return vec![rows.into_source(name, path, "json", Addressing::Lines)];
        }
    }
    vec![read_lines(name, path, bytes.to_vec(), 0, hint, log)]
}

fn get_ci<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    obj.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map(|(_, v)| v)
}

/// The response envelopes: Log Analytics (`tables`), hunting (`schema`/`results`), OData (`value`).
fn read_response(
    name: &str,
    path: &str,
    obj: &Map<String, Value>,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Option<Vec<RawSource>> {
    if let Some(Value::Array(tables)) = get_ci(obj, "tables") {
        let many = tables.len() > 1;
        let sources = tables
            .iter()
            .enumerate()
            .filter_map(|(ti, t)| {
                let t = t.as_object()?;
                let label = get_ci(t, "name")
                    .and_then(Value::as_str)
                    .map_or(format!("table {ti}"), str::to_string);
                let display = if many {
                    format!("{name}#{label}")
                } else {
                    name.to_string()
                };
                Some(read_column_rows(&display, path, t, log))
            })
            .collect();
        return Some(sources);
    }
    if let Some(Value::Array(results)) = get_ci(obj, "results") {
        let mut rows = ObjectRows::new(hint);
        // Declared columns first, so an empty result still shows its schema.
        if let Some(Value::Array(schema)) = get_ci(obj, "schema") {
            for c in schema.iter().filter_map(Value::as_object) {
                if let Some(n) = get_ci(c, "name").and_then(Value::as_str) {
                    let n = clean_header(n);
                    rows.index.insert(n.clone(), rows.headers.len());
                    rows.headers.push(n);
                }
            }
        }
        for (i, r) in results.iter().enumerate() {
            match r {
                Value::Object(o) => rows.push(i as u64 + 1, o.clone()),
                _ => {
                    rows.rejected += 1;
                    let msg = "result is not an object; skipped".to_string();
                    log.push(
                        "bad-json",
                        file_issue(name, Some(Location::Row(i as u64 + 1)), msg),
                    );
                }
            }
        }
        return Some(vec![rows.into_source(
            name,
            path,
            "hunting-api",
            Addressing::Rows,
        )]);
    }
    if let Some(Value::Array(values)) = get_ci(obj, "value") {
        let mut rows = ObjectRows::new(hint);
        for (i, r) in values.iter().enumerate() {
            if let Value::Object(o) = r {
                rows.push(i as u64 + 1, o.clone());
            }
        }
        return Some(vec![rows.into_source(
            name,
            path,
            "odata",
            Addressing::Rows,
        )]);
    }
    None
}

fn read_column_rows(
    name: &str,
    path: &str,
    table: &Map<String, Value>,
    log: &mut IssueLog,
) -> RawSource {
    let headers: Vec<String> = match get_ci(table, "columns") {
        Some(Value::Array(cols)) => cols
            .iter()
            .map(|c| match c {
                Value::Object(o) => get_ci(o, "name")
                    .and_then(Value::as_str)
                    .map(clean_header)
                    .unwrap_or_default(),
                Value::String(s) => clean_header(s),
                _ => String::new(),
            })
            .collect(),
        _ => Vec::new(),
    };
    let mut rows = Vec::new();
    let mut rejected = 0;
    if let Some(Value::Array(raw_rows)) = get_ci(table, "rows") {
        for (i, r) in raw_rows.iter().enumerate() {
            let n = i as u64 + 1;
            match r {
                Value::Array(values) if values.len() == headers.len() => {
                    rows.push((n, values.clone()))
                }
                Value::Array(values) => {
                    rejected += 1;
                    let msg = format!(
                        "expected {} values, found {}; row skipped",
                        headers.len(),
                        values.len()
                    );
                    log.push("ragged", file_issue(name, Some(Location::Row(n)), msg));
                }
                _ => {
                    rejected += 1;
                    log.push(
                        "bad-json",
                        file_issue(
                            name,
                            Some(Location::Row(n)),
                            "row is not an array; skipped".into(),
                        ),
                    );
                }
            }
        }
    }
    RawSource {
        name: name.to_string(),
        path: path.to_string(),
        format: "log-analytics-api",
        headers,
        addressing: Addressing::Rows,
        body: RawBody::Rows(rows),
        rejected,
    }
}
