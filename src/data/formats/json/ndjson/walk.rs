//! One walk over NDJSON lines that checks each line, reports a bad one, and pulls the wanted
//! values of each record into the source (the streaming-API category) it belongs to. Headers
//! come from the file's head; keys met further on that are not among them are collected, so the
//! caller can tell whether the head spoke for the whole file.

use super::{bad_line, line_issue, lines};
use crate::data::formats::json::objects::{add_record, Capture};
use crate::data::formats::json::skim::{cell, string_end, value_end, ws, Kind, SkimError};
use crate::data::issues::{IssueLog, Severity};
use crate::data::source::{Extracted, Request, SourceMeta};
use crate::data::table::schema::TableKind;

/// A record's wanted value: its raw text and kind.
type Captured<'a> = Option<(&'a [u8], Kind)>;

/// A source a walk fills.
pub struct Target<'r> {
    pub meta: &'r SourceMeta,
    pub request: Request<'r>,
    /// The streaming-API category of its records (`None`: plain records).
    pub category: Option<&'r str>,
    /// The table, to keep only new keys that could feed it.
    pub table: Option<TableKind>,
}

/// What one walk over a text gave.
pub struct Walked<'a> {
    /// Per target, its rows.
    pub extracted: Vec<Extracted<'a>>,
    /// Per target, keys not among its headers, first-seen order.
    pub new_keys: Vec<Vec<String>>,
    /// Categories met that no target holds, with their record counts.
    pub other_categories: Vec<(String, usize)>,
    /// Lines that are no record.
    pub rejected: usize,
    pub log: IssueLog,
}

impl<'a> Walked<'a> {
    /// Nothing yet, for `targets` sources.
    pub fn empty(targets: usize) -> Self {
        Walked {
            extracted: (0..targets).map(|_| Extracted::empty(0)).collect(),
            new_keys: vec![Vec::new(); targets],
            other_categories: Vec::new(),
            rejected: 0,
            log: IssueLog::default(),
        }
    }

    /// Adds a later piece of the same text after this one.
    pub fn append(&mut self, other: Walked<'a>) {
        for (mine, theirs) in self.extracted.iter_mut().zip(other.extracted) {
            if mine.columns.is_empty() && mine.positions.is_empty() {
                *mine = theirs;
            } else {
                mine.append(theirs);
            }
        }
        for (mine, theirs) in self.new_keys.iter_mut().zip(other.new_keys) {
            for k in theirs {
                if !mine.contains(&k) {
                    mine.push(k);
                }
            }
        }
        for (c, n) in other.other_categories {
            match self.other_categories.iter_mut().find(|(k, _)| *k == c) {
                Some((_, m)) => *m += n,
                None => self.other_categories.push((c, n)),
            }
        }
        self.rejected += other.rejected;
        self.log.extend(other.log);
    }
}

/// Walks every line of `text` (whose first line is `first_line` of the file `name`).
pub fn walk<'a>(
    name: &str,
    text: &'a [u8],
    first_line: u64,
    envelopes: bool,
    targets: &[Target],
) -> Walked<'a> {
    let mut out = Walked::empty(targets.len());
    for (k, t) in targets.iter().enumerate() {
        out.extracted[k] = Extracted::empty(t.request.columns.len());
    }
    let mut captures: Vec<Capture> = targets
        .iter()
        .map(|t| Capture::new(&t.meta.headers, &t.request).tracking(t.table))
        .collect();
    let mut values: Vec<Vec<Captured<'a>>> = targets
        .iter()
        .map(|t| vec![None; t.meta.headers.len()])
        .collect();
    let mut rows: Vec<Vec<_>> = targets
        .iter()
        .map(|t| vec![None; t.request.columns.len()])
        .collect();
    // Checked once for the whole text; line by line only when it holds invalid UTF-8.
    let text_utf8 = text.is_ascii() || std::str::from_utf8(text).is_ok();
    for (line, start, end) in lines(text, first_line) {
        let record = &text[start..end];
        // Which target the line is for, and where its row starts.
        let routed: Result<Option<(usize, usize)>, SkimError> = if envelopes {
            match envelope(record, targets, &mut captures, &mut values) {
                Ok(Routed::Captured(k)) => Ok(Some((k, usize::MAX))),
                Ok(Routed::Other(category)) => {
                    match out
                        .other_categories
                        .iter_mut()
                        .find(|(c, _)| *c == category)
                    {
                        Some((_, n)) => *n += 1,
                        None => out.other_categories.push((category, 1)),
                    }
                    Ok(None)
                }
                Err(e) => Err(e),
            }
        } else if targets.is_empty() {
            // Nothing to fill: the line is still checked.
            crate::data::formats::json::skim::members(record, 0, |_| {}).and_then(|stop| {
                if ws(record, stop) == record.len() {
                    Ok(None)
                } else {
                    Err(SkimError {
                        at: stop,
                        what: "text after the object",
                    })
                }
            })
        } else {
            Ok(Some((0, 0)))
        };
        let walked = routed.and_then(|to| {
            let Some((k, row_start)) = to else {
                return Ok(None);
            };
            if row_start == usize::MAX {
                // An envelope's row, captured as its line was walked.
                return Ok(Some(k));
            }
            let stop = captures[k].object(record, row_start, &mut values[k])?;
            if !envelopes && ws(record, stop) != record.len() {
                return Err(SkimError {
                    at: stop,
                    what: "text after the object",
                });
            }
            Ok(Some(k))
        });
        match walked {
            Ok(None) => {}
            Ok(Some(k)) => {
                let t = &targets[k];
                for &c in &captures[k].repeated {
                    let msg = format!(
                        "key {:?} appears more than once in this record; the last value is read",
                        t.meta.headers[c]
                    );
                    out.log.push(
                        "duplicate-key",
                        line_issue(name, line, Severity::Warning, msg),
                    );
                }
                let utf8 = text_utf8 || std::str::from_utf8(record).is_ok();
                add_record(
                    &mut out.extracted[k],
                    &mut values[k],
                    utf8,
                    &t.request,
                    &mut rows[k],
                    t.meta,
                    line,
                    &mut out.log,
                );
            }
            Err(e) => {
                for v in &mut values {
                    v.iter_mut().for_each(|x| *x = None);
                }
                out.rejected += 1;
                let msg = bad_line(record, e, envelopes);
                out.log
                    .push("bad-json", line_issue(name, line, Severity::Error, msg));
            }
        }
    }
    for (k, c) in captures.into_iter().enumerate() {
        out.new_keys[k] = c.new_keys;
    }
    out
}

/// Where a streaming-API record went.
enum Routed {
    /// Its row was captured for target `k`.
    Captured(usize),
    /// A category no target holds.
    Other(String),
}

/// Walks one streaming-API record line once: its `category` routes it, and its `properties`
/// object is captured for that category's target as it is walked (not skipped first and walked
/// again).
fn envelope<'a>(
    record: &'a [u8],
    targets: &[Target],
    captures: &mut [Capture],
    values: &mut [Vec<Captured<'a>>],
) -> Result<Routed, SkimError> {
    let not_envelope = SkimError {
        at: 0,
        what: "not an object",
    };
    let target_of = |category: &str| targets.iter().position(|t| t.category == Some(category));
    let mut j = ws(record, 0);
    if record.get(j) != Some(&b'{') {
        return Err(not_envelope);
    }
    let mut category: Option<String> = None;
    let mut properties: Option<usize> = None;
    let mut captured: Option<usize> = None;
    j = ws(record, j + 1);
    if record.get(j) != Some(&b'}') {
        loop {
            if record.get(j) != Some(&b'"') {
                return Err(SkimError {
                    at: j,
                    what: "expected a key in quotes",
                });
            }
            let (key_end, _) = string_end(record, j)?;
            let key = &record[j + 1..key_end - 1];
            let mut v = ws(record, key_end);
            if record.get(v) != Some(&b':') {
                return Err(SkimError {
                    at: v,
                    what: "expected ':' after a key",
                });
            }
            v = ws(record, v + 1);
            let end = match key {
                b"properties" if record.get(v) == Some(&b'{') => {
                    match category.as_deref().and_then(target_of) {
                        Some(k) => {
                            captured = Some(k);
                            captures[k].object(record, v, &mut values[k])?
                        }
                        None => {
                            properties = Some(v);
                            value_end(record, v)?.0
                        }
                    }
                }
                b"category" => {
                    let (end, kind) = value_end(record, v)?;
                    if kind == Kind::String {
                        category = cell(&record[v..end], kind).0.map(|c| c.into_owned());
                    }
                    end
                }
                _ => value_end(record, v)?.0,
            };
            j = ws(record, end);
            match record.get(j) {
                Some(b',') => j = ws(record, j + 1),
                Some(b'}') => break,
                _ => {
                    return Err(SkimError {
                        at: j,
                        what: "expected ',' or '}' after a value",
                    })
                }
            }
        }
    }
    if ws(record, j + 1) != record.len() {
        return Err(SkimError {
            at: j + 1,
            what: "text after the object",
        });
    }
    match (category, captured, properties) {
        (Some(_), Some(k), _) => Ok(Routed::Captured(k)),
        // The properties came before the category: captured now.
        (Some(c), None, Some(p)) => match target_of(&c) {
            Some(k) => {
                captures[k].object(record, p, &mut values[k])?;
                Ok(Routed::Captured(k))
            }
            None => Ok(Routed::Other(c)),
        },
        _ => Err(not_envelope),
    }
}
