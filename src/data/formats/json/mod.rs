//! JSON exports: NDJSON / JSONL ([`ndjson`]), and documents: arrays of objects, Log Analytics
//! API responses (`{"tables":[{"columns","rows"}]}`), Graph / Defender hunting responses
//! (`{"schema","results"}`), OData pages (`{"value":[...]}`), Event Hubs batches of
//! streaming-API records (`{"records":[...]}`), a single object, or several of these one after
//! another (`cat a.json b.json`). Nothing builds a value tree: documents are walked in place
//! ([`skim`]) and records read like NDJSON lines ([`objects`]). A broken record costs that
//! record, reported with its line and element index; the records after it are kept.

mod document;
pub mod envelope;
pub mod ndjson;
pub mod objects;
pub mod rows;
pub mod skim;

use std::sync::Arc;

use skim::{members, ws};

use crate::data::issues::{Issue, IssueLog};
use crate::data::source::Source;
use crate::data::table::schema::TableKind;

/// Envelope keys that make a top-level object a response rather than a record.
pub(super) const RESPONSE_KEYS: &[&str] = &["tables", "results", "value", "records"];

pub(super) fn is_key(key: &[u8], name: &str) -> bool {
    key.eq_ignore_ascii_case(name.as_bytes())
}

/// Whether text starting with an object is one object per line (NDJSON) rather than one or
/// more documents: the first object ends on its first line, is no response envelope, and more
/// text follows on a later line.
fn is_ndjson(b: &[u8], start: usize) -> bool {
    let mut response = false;
    let Ok(end) = members(b, start, |m| {
        response |= RESPONSE_KEYS.iter().any(|k| is_key(m.key, k));
    }) else {
        // A broken first object: NDJSON (which reports that line and goes on) when the next
        // line is an object of its own; a document broken further on, otherwise.
        let Some(nl) = memchr::memchr(b'\n', &b[start..]).map(|i| start + i) else {
            return false;
        };
        let next = ws(b, nl + 1);
        let line_end = memchr::memchr(b'\n', &b[next.min(b.len())..]).map_or(b.len(), |i| next + i);
        let line = &b[..line_end];
        return line.get(next) == Some(&b'{')
            && members(line, next, |_| {}).is_ok_and(|e| ws(line, e) == line.len());
    };
    if response || memchr::memchr(b'\n', &b[start..end]).is_some() {
        return false;
    }
    let next = ws(b, end);
    next < b.len() && memchr::memchr(b'\n', &b[end..next]).is_some()
}

/// Whether text (after any BOM) is NDJSON rather than JSON documents.
pub fn starts_ndjson(text: &[u8]) -> bool {
    let first = ws(text, 0);
    text.get(first) == Some(&b'{') && is_ndjson(text, first)
}

/// Opens a JSON file: NDJSON, or one or more documents. `owned` is the file; its text starts at
/// `start` (after a BOM).
pub fn open_document(
    name: &str,
    path: &str,
    owned: Vec<u8>,
    start: usize,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Vec<Box<dyn Source>> {
    let text = &owned[start..];
    let first = ws(text, 0);
    match text.get(first) {
        Some(b'{') if is_ndjson(text, first) => {
            return ndjson::open(name, path, owned, start, hint, log)
        }
        Some(b'[' | b'{') => {}
        _ => {
            log.push(
                "bad-json",
                Issue::file_error(name, "not JSON: expected '[' or '{' at the start"),
            );
            return Vec::new();
        }
    }
    let mut bytes = owned;
    if start > 0 {
        bytes.drain(..start);
    }
    let bytes = Arc::new(bytes);
    document::read(name, path, &bytes, first, hint, log)
}
