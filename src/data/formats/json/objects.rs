//! Records that are JSON objects (NDJSON lines, array elements, API results): gathering their
//! keys as columns, and pulling the requested columns' values out of each record.
//!
//! Exports repeat the same keys in the same order on every record, so each key's column is
//! decided once per position and then confirmed with a byte comparison, instead of being
//! decoded and hashed on every record.

use std::borrow::Cow;

use polars::prelude::PlHashMap;

use super::skim::{cell, members, unescape, Flaw, Kind, SkimError};
use crate::data::issues::{IssueLog, Location, Severity};
use crate::data::source::{clean_header, Cell, Extracted, Request, Source, SourceMeta};
use crate::data::table::columns::feeds_table;
use crate::data::table::schema::TableKind;
use crate::data::values::is_missing;

/// A key as a column name: most keys need no cleaning.
pub fn clean_key(k: &str) -> Cow<'_, str> {
    if k.starts_with('\u{feff}') || k.trim() != k || k.ends_with(']') {
        Cow::Owned(clean_header(k))
    } else {
        Cow::Borrowed(k)
    }
}

/// What a key is to the reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    Skip,
    Column(usize),
    /// A key whose object value's members are also read as `parent.member` columns (Graph's
    /// nested fields); itself a column too, when it feeds the table.
    Parent(Option<usize>),
}

/// Objects whose members are columns of their own, as `parent.member`: Graph sign-ins nest the
/// result code and the country (`status.errorCode`, `location.countryOrRegion`).
const PARENTS: &[&str] = &["status", "location"];

fn is_parent(name: &str) -> bool {
    PARENTS.contains(&name)
}

/// Decides, per raw key, what it is; remembers the decision per key position.
#[derive(Default)]
struct PositionCache {
    slots: Vec<(Vec<u8>, Slot)>,
}

impl PositionCache {
    #[inline]
    fn get(&mut self, position: usize, raw: &[u8], decide: impl FnOnce() -> Slot) -> Slot {
        if let Some((key, slot)) = self.slots.get(position) {
            if key.as_slice() == raw {
                return *slot;
            }
        }
        let slot = decide();
        if position < self.slots.len() {
            self.slots[position] = (raw.to_vec(), slot);
        } else if position == self.slots.len() {
            self.slots.push((raw.to_vec(), slot));
        }
        slot
    }
}

/// The keys of the records seen, as columns in first-seen order (only those that can feed
/// `hint`'s table, when the table is known), and keys repeated within one record.
pub struct KeyColumns {
    pub headers: Vec<String>,
    index: PlHashMap<String, usize>,
    hint: Option<TableKind>,
    cache: PositionCache,
    /// Per column, the last record that had it (to find repeated keys).
    stamp: Vec<u64>,
    record: u64,
    gather: bool,
}

impl KeyColumns {
    pub fn new(hint: Option<TableKind>) -> Self {
        KeyColumns {
            headers: Vec::new(),
            index: PlHashMap::default(),
            hint,
            cache: PositionCache::default(),
            stamp: Vec::new(),
            record: 0,
            gather: true,
        }
    }

    /// Whether keys are gathered at all (not for records of a table nobody reads).
    pub fn gathering(mut self, gather: bool) -> Self {
        self.gather = gather;
        self
    }

    pub fn gathers(&self) -> bool {
        self.gather
    }

    /// The column a (cleaned) key name is, added on first sight if it can feed the table.
    fn column(&mut self, name: &str) -> Option<usize> {
        if self.hint.is_some_and(|t| !feeds_table(t, name)) {
            return None;
        }
        if let Some(&c) = self.index.get(name) {
            return Some(c);
        }
        self.index.insert(name.to_string(), self.headers.len());
        self.headers.push(name.to_string());
        Some(self.headers.len() - 1)
    }

    /// Walks the object at `start`, adding its keys; returns its end and the columns it holds
    /// more than once.
    pub fn scan(&mut self, b: &[u8], start: usize) -> Result<(usize, Vec<usize>), SkimError> {
        self.record += 1;
        let mut seen = Vec::new();
        let mut nested: Vec<(String, &[u8])> = Vec::new();
        let mut position = 0;
        let mut cache = std::mem::take(&mut self.cache);
        let end = members(b, start, |m| {
            let slot = cache.get(position, m.key, || {
                let (key, _) = unescape(m.key, m.key_escaped);
                let name = clean_key(&key);
                let column = self.column(&name);
                if is_parent(&name) {
                    return Slot::Parent(column);
                }
                column.map_or(Slot::Skip, Slot::Column)
            });
            position += 1;
            match slot {
                Slot::Column(c) => seen.push(c),
                Slot::Parent(c) => {
                    seen.extend(c);
                    if m.value.first() == Some(&b'{') {
                        let (key, _) = unescape(m.key, m.key_escaped);
                        nested.push((key.into_owned(), m.value));
                    }
                }
                Slot::Skip => {}
            }
        });
        self.cache = cache;
        let end = end?;
        for (parent, value) in nested {
            let mut names = Vec::new();
            let _ = members(value, 0, |m| {
                let (key, _) = unescape(m.key, m.key_escaped);
                names.push(format!("{parent}.{}", clean_key(&key)));
            });
            for n in names {
                if let Some(c) = self.column(&n) {
                    seen.push(c);
                }
            }
        }
        let record = self.record;
        let mut repeated = Vec::new();
        for c in seen {
            if c >= self.stamp.len() {
                self.stamp.resize(c + 1, 0);
            }
            if self.stamp[c] == record {
                repeated.push(c);
            }
            self.stamp[c] = record;
        }
        Ok((end, repeated))
    }

    /// Adds a column declared by the file (an API response's schema) before any record.
    pub fn declare(&mut self, name: &str) {
        if !self.index.contains_key(name) {
            self.index.insert(name.to_string(), self.headers.len());
            self.headers.push(name.to_string());
        }
    }

    /// Adds another piece's columns after these (pieces of one file, in order).
    pub fn merge(&mut self, other: KeyColumns) {
        self.gather &= other.gather;
        for h in other.headers {
            if !self.index.contains_key(&h) {
                self.index.insert(h.clone(), self.headers.len());
                self.headers.push(h);
            }
        }
    }
}

/// Pulls the wanted columns' values out of records whose columns are `headers`.
pub struct Capture<'h> {
    index: PlHashMap<&'h str, usize>,
    wanted: Vec<bool>,
    cache: PositionCache,
    /// Whether any wanted column is a nested `parent.member`.
    nested: bool,
    /// When set, keys that are not among the headers (and could feed the table, if one is
    /// given) are kept in `new_keys`, in first-seen order: headers taken from a file's head
    /// are then checked against the whole file.
    track: Option<Option<TableKind>>,
    pub new_keys: Vec<String>,
    /// Wanted columns the last object held more than once.
    pub repeated: Vec<usize>,
}

impl<'h> Capture<'h> {
    pub fn new(headers: &'h [String], request: &Request) -> Self {
        let mut wanted = vec![false; headers.len()];
        for &i in request.columns.iter().flatten() {
            wanted[i] = true;
        }
        let nested = headers
            .iter()
            .zip(&wanted)
            .any(|(h, w)| *w && h.split_once('.').is_some_and(|(p, _)| is_parent(p)));
        Capture {
            index: headers
                .iter()
                .enumerate()
                .map(|(i, h)| (h.as_str(), i))
                .collect(),
            wanted,
            cache: PositionCache::default(),
            nested,
            track: None,
            new_keys: Vec::new(),
            repeated: Vec::new(),
        }
    }

    /// Keeps the keys not among the headers that could feed `hint`'s table (any, without one).
    pub fn tracking(mut self, hint: Option<TableKind>) -> Self {
        self.track = Some(hint);
        self
    }

    /// The object at `start`: each wanted column's value (the last, for a repeated key) into
    /// `values`, which must be all `None` and as long as the headers. Returns the object's end.
    #[inline]
    pub fn object<'a>(
        &mut self,
        b: &'a [u8],
        start: usize,
        values: &mut [Option<(&'a [u8], Kind)>],
    ) -> Result<usize, SkimError> {
        let mut position = 0;
        let (index, wanted, nested, track) = (&self.index, &self.wanted, self.nested, self.track);
        let new_keys = &mut self.new_keys;
        let repeated = &mut self.repeated;
        repeated.clear();
        members(b, start, |m| {
            let slot = self.cache.get(position, m.key, || {
                let (key, _) = unescape(m.key, m.key_escaped);
                let name = clean_key(&key);
                let found = index.get(name.as_ref()).copied();
                if let (None, Some(hint)) = (found, track) {
                    if hint.is_none_or(|t| feeds_table(t, &name))
                        && !new_keys.iter().any(|k| k == name.as_ref())
                    {
                        new_keys.push(name.to_string());
                    }
                }
                let column = found.filter(|&c| wanted[c]);
                if nested && is_parent(&name) {
                    return Slot::Parent(column);
                }
                column.map_or(Slot::Skip, Slot::Column)
            });
            position += 1;
            match slot {
                Slot::Column(c) => {
                    if values[c].is_some() {
                        repeated.push(c);
                    }
                    values[c] = Some((m.value, m.kind));
                }
                Slot::Parent(column) => {
                    if let Some(c) = column {
                        values[c] = Some((m.value, m.kind));
                    }
                    if m.value.first() != Some(&b'{') {
                        return;
                    }
                    let (parent, _) = unescape(m.key, m.key_escaped);
                    let _ = members(m.value, 0, |child| {
                        let (key, _) = unescape(child.key, child.key_escaped);
                        let name = format!("{parent}.{}", clean_key(&key));
                        if let Some(&c) = index.get(name.as_str()) {
                            if wanted[c] {
                                values[c] = Some((child.value, child.kind));
                            }
                        }
                    });
                }
                Slot::Skip => {}
            }
        })
    }
}

/// One request's cell from a record's captured values: the first non-missing of its columns,
/// with a warning for each value that was not clean JSON.
fn request_cell<'a>(
    values: &[Option<(&'a [u8], Kind)>],
    req: &[usize],
    meta: &SourceMeta,
    table: &str,
    at: Location,
    log: &mut IssueLog,
) -> Cell<'a> {
    for &i in req {
        let Some((raw, kind)) = values[i] else {
            continue;
        };
        let (text, flaw) = cell(raw, kind);
        if let Some(f) = flaw {
            report_flaw(meta, table, at, &meta.headers[i], f, log);
        }
        if let Some(t) = text.filter(|t| !is_missing(t)) {
            return Some(t);
        }
    }
    None
}

/// Whether reading a captured value could give a warning (invalid UTF-8, an escape that may be
/// bad, a bare word, a nested value): such a record has every cell read, filtered or not, so
/// that it says what it would say unfiltered.
fn may_warn(values: &[Option<(&[u8], Kind)>], utf8: bool) -> bool {
    values.iter().flatten().any(|(raw, kind)| match kind {
        Kind::String => !utf8 || !clean_escapes(raw),
        Kind::Nested => true,
        Kind::Token => !matches!(*raw, b"true" | b"false" | b"null") && !is_plain_number(raw),
    })
}

/// Whether every escape in a string's raw text is one JSON defines and reads without a flaw:
/// `\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, or `\u` with four hex digits outside the
/// surrogates (a surrogate pair is left to the careful path). Windows paths escape every
/// backslash, and such a record need not have every cell read.
fn clean_escapes(raw: &[u8]) -> bool {
    let mut i = 0;
    while let Some(k) = memchr::memchr(b'\\', &raw[i..]) {
        let at = i + k;
        match raw.get(at + 1) {
            Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => i = at + 2,
            Some(b'u') => {
                let hex = raw
                    .get(at + 2..at + 6)
                    .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                    .and_then(|h| u32::from_str_radix(std::str::from_utf8(h).ok()?, 16).ok());
                match hex {
                    Some(unit) if !(0xD800..0xE000).contains(&unit) => i = at + 6,
                    _ => return false,
                }
            }
            _ => return false,
        }
    }
    true
}

/// Digits with an optional sign (what ports and counts are written as).
fn is_plain_number(raw: &[u8]) -> bool {
    let digits = raw.strip_prefix(b"-").unwrap_or(raw);
    !digits.is_empty() && digits.iter().all(u8::is_ascii_digit)
}

/// Adds one record (its wanted values captured in `values`, which this clears) to `out`: the
/// filter's cells are read first, and the others only for a record it keeps. `utf8` says the
/// record's text is valid UTF-8.
#[allow(clippy::too_many_arguments)]
pub fn add_record<'a>(
    out: &mut Extracted<'a>,
    values: &mut [Option<(&'a [u8], Kind)>],
    utf8: bool,
    request: &Request,
    row: &mut [Option<Cell<'a>>],
    meta: &SourceMeta,
    position: u64,
    log: &mut IssueLog,
) {
    let at = meta.addressing.at(position);
    let table = request.table;
    let fill = |r: usize, row: &mut [Option<Cell<'a>>], log: &mut IssueLog| {
        if row[r].is_none() {
            row[r] = Some(request_cell(
                values,
                &request.columns[r],
                meta,
                table,
                at,
                log,
            ));
        }
    };
    if let Some(f) = request.filter {
        let every = if may_warn(values, utf8) { row.len() } else { 0 };
        for r in f.needed().chain(0..every) {
            fill(r, row, log);
        }
        if let Some(time) = f.skip(row) {
            out.skipped.add(time);
            row.iter_mut().for_each(|c| *c = None);
            values.iter_mut().for_each(|v| *v = None);
            return;
        }
    }
    for r in 0..row.len() {
        fill(r, row, log);
    }
    out.push_row(row, position, None);
    values.iter_mut().for_each(|v| *v = None);
}

/// A record that read when the file was first walked and not now: rejected and said.
pub fn unreadable(
    out: &mut Extracted,
    meta: &SourceMeta,
    table: &str,
    position: u64,
    log: &mut IssueLog,
) {
    out.rejected += 1;
    let msg = "record could not be read again; skipped".to_string();
    log.push(
        "bad-json",
        meta.issue(
            table,
            Some(meta.addressing.at(position)),
            None,
            Severity::Error,
            msg,
        ),
    );
}

fn report_flaw(
    meta: &SourceMeta,
    table: &str,
    at: Location,
    column: &str,
    flaw: Flaw,
    log: &mut IssueLog,
) {
    let (kind, msg) = match flaw {
        Flaw::Utf8 => (
            "invalid-utf8",
            "invalid UTF-8, read with U+FFFD replacement characters",
        ),
        Flaw::NotJson => ("bad-json-value", "not a valid JSON value; read as its text"),
    };
    log.push(
        kind,
        meta.issue(
            table,
            Some(at),
            Some(column),
            Severity::Warning,
            msg.to_string(),
        ),
    );
}

/// Where one object record is in a document.
#[derive(Debug, Clone, Copy)]
pub struct ObjectSpan {
    /// Its line (or row, for API results) for messages.
    pub position: u64,
    pub start: usize,
}

/// Object records of a JSON document (array elements, API results), read in place.
pub struct ObjectsSource {
    pub meta: SourceMeta,
    pub bytes: std::sync::Arc<Vec<u8>>,
    pub spans: Vec<ObjectSpan>,
}

impl Source for ObjectsSource {
    fn meta(&self) -> &SourceMeta {
        &self.meta
    }

    fn extract(&self, request: &Request, log: &mut IssueLog) -> Extracted<'_> {
        let b = self.bytes.as_slice();
        let mut capture = Capture::new(&self.meta.headers, request);
        let mut values = vec![None; self.meta.headers.len()];
        let mut row = vec![None; request.columns.len()];
        let mut out = Extracted::empty(request.columns.len());
        let utf8 = b.is_ascii() || std::str::from_utf8(b).is_ok();
        for span in &self.spans {
            // Spans were checked when the document was read: never expected, but never silent.
            if capture.object(b, span.start, &mut values).is_err() {
                values.iter_mut().for_each(|v| *v = None);
                unreadable(&mut out, &self.meta, request.table, span.position, log);
                continue;
            }
            let (meta, position) = (&self.meta, span.position);
            add_record(
                &mut out,
                &mut values,
                utf8,
                request,
                &mut row,
                meta,
                position,
                log,
            );
        }
        out
    }
}

#[cfg(test)]
mod escape_tests {
    #[test]
    fn clean_escapes_are_those_that_read_without_a_flaw() {
        for (raw, clean) in [
            (&br"C:\\Windows\\tor.exe"[..], true),
            (br#"say \"hi\" \/ \n\t\r\b\f"#, true),
            (br"\u00e9 and \u20AC", true),
            (br"\x41", false),
            (br"\u12", false),
            (br"\ud83d\ude00", false),
            (br"ends in \", false),
            (b"plain", true),
        ] {
            assert_eq!(
                super::clean_escapes(raw),
                clean,
                "{}",
                String::from_utf8_lossy(raw)
            );
            // Wherever this says clean, the careful path reads it without a flaw.
            if clean {
                assert_eq!(
                    crate::data::formats::json::skim::unescape(raw, true).1,
                    None
                );
            }
        }
    }
}
