//! The tuning file (TOML). A file that is not UTF-8 or not TOML at all is an error: the run
//! must not go on as if there were no tuning. Inside a good file, each `[[filter]]` is read on
//! its own: one with an unknown key, a wrongly typed value, a bad regex or CIDR, an unknown
//! field or detection type, a port outside 0-65535 or an empty list is reported with file and
//! line and left out, and the other filters load.

use std::path::Path;

use serde::Deserialize;
use toml::de::{DeTable, DeValue, ValueDeserializer};
use toml::Spanned;

use super::compile::compile_filter;
use super::model::Filter;
use super::raw::RawFilter;
use crate::text::escape_unsafe;

/// A problem in a tuning file that costs one filter (or one top-level key), with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuningIssue {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TuningIssue {
    /// File names and messages quote the file's text: control and bidi characters are escaped.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let file = escape_unsafe(&self.file);
        let message = escape_unsafe(&self.message);
        match self.line {
            Some(l) => write!(f, "{file}: line {l}: {message}"),
            None => write!(f, "{file}: {message}"),
        }
    }
}

/// A tuning file that cannot be used at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TuningError {
    /// The OS error is part of the message, not a source, so that it is printed once.
    #[error("tuning file {}: {reason}", escape_unsafe(file))]
    Read { file: String, reason: String },
    #[error(
        "tuning file {}: line {line}: not UTF-8 text (byte {offset}); save it as UTF-8",
        escape_unsafe(file)
    )]
    NotUtf8 {
        file: String,
        line: usize,
        offset: usize,
    },
    #[error(
        "tuning file {}: line {line}: not a TOML file: {}",
        escape_unsafe(file),
        escape_unsafe(message)
    )]
    NotToml {
        file: String,
        line: usize,
        message: String,
    },
}

/// The 1-based line of a byte offset, counted from the start of the file.
pub fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

/// The dotted key whose value holds `offset` (`when.field`), to say which key a message is about.
/// Containers are searched whatever their spans: an array of tables made by `[[filter.when]]`
/// headers has no span around its tables.
fn key_at(table: &DeTable, offset: usize) -> Option<String> {
    fn in_value(v: &Spanned<DeValue>, offset: usize) -> Option<String> {
        match v.get_ref() {
            DeValue::Table(t) => key_at(t, offset),
            DeValue::Array(items) => items.iter().find_map(|i| in_value(i, offset)),
            _ => None,
        }
    }
    table.iter().find_map(|(k, v)| match in_value(v, offset) {
        Some(inner) => Some(format!("{}.{inner}", k.get_ref())),
        None => v.span().contains(&offset).then(|| k.get_ref().to_string()),
    })
}

/// The id a filter names, if it names one, for messages about a filter that did not load.
fn id_of(table: &DeTable) -> Option<String> {
    table
        .iter()
        .find(|(k, _)| k.get_ref() == "id")
        .and_then(|(_, v)| v.get_ref().as_str().map(str::to_string))
}

/// Reads one `[[filter]]`; problems come back as issues, each with its line.
fn read_filter(
    name: &str,
    text: &str,
    item: Spanned<DeValue>,
    issues: &mut Vec<TuningIssue>,
) -> Option<Filter> {
    let at = item.span().start;
    let line = line_of(text, at);
    let issue = |offset: usize, message: String| TuningIssue {
        file: name.to_string(),
        line: Some(line_of(text, offset)),
        message,
    };
    let DeValue::Table(table) = item.get_ref() else {
        issues.push(issue(
            at,
            format!(
                "filter must be a [[filter]] table, not {}; left out",
                item.get_ref().type_str()
            ),
        ));
        return None;
    };
    let who = match id_of(table) {
        Some(id) => format!("filter {id:?}"),
        None => format!("the filter at line {line}"),
    };
    let keys = table.clone();
    let raw = match RawFilter::deserialize(ValueDeserializer::from(item)) {
        Ok(raw) => raw,
        Err(e) => {
            let offset = e.span().map_or(at, |s| s.start);
            let key = key_at(&keys, offset)
                .map(|k| format!("{k}: "))
                .unwrap_or_default();
            issues.push(issue(
                offset,
                format!("{who} left out: {key}{}", e.message()),
            ));
            return None;
        }
    };
    match compile_filter(raw, at, format!("{name}:{line}")) {
        Ok(f) => Some(f),
        Err(problems) => {
            for p in problems {
                issues.push(issue(p.offset, format!("{who} left out: {}", p.message)));
            }
            None
        }
    }
}

/// Parses a tuning file's text; `name` is used in messages. Errors: not TOML at all. Problems
/// that cost one filter come back with the filters that loaded.
pub fn parse_tuning(
    name: &str,
    text: &str,
) -> Result<(Vec<Filter>, Vec<TuningIssue>), TuningError> {
    // A byte-order mark holds no line break: lines and messages are the same without it.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let doc = DeTable::parse(text).map_err(|e| TuningError::NotToml {
        file: name.to_string(),
        line: line_of(text, e.span().map_or(0, |s| s.start)),
        message: e.message().trim_end().replace('\n', "; "),
    })?;
    let mut filters: Vec<Filter> = Vec::new();
    let mut issues = Vec::new();
    let mut found = false;
    for (key, value) in doc.into_inner() {
        let line = line_of(text, key.span().start);
        if key.get_ref() != "filter" {
            issues.push(TuningIssue {
                file: name.to_string(),
                line: Some(line),
                message: format!(
                    "unknown key {:?} left out; a tuning file holds [[filter]] tables",
                    key.get_ref()
                ),
            });
            continue;
        }
        found = true;
        let items = match value.into_inner() {
            DeValue::Array(items) => items,
            other => {
                issues.push(TuningIssue {
                    file: name.to_string(),
                    line: Some(line),
                    message: format!(
                        "filter must be [[filter]] tables, not {}; left out",
                        other.type_str()
                    ),
                });
                continue;
            }
        };
        for item in items {
            let at = item.span().start;
            let Some(f) = read_filter(name, text, item, &mut issues) else {
                continue;
            };
            if filters.iter().any(|g| g.id == f.id) {
                issues.push(TuningIssue {
                    file: name.to_string(),
                    line: Some(line_of(text, at)),
                    message: format!("filter id {:?} used twice; the second is left out", f.id),
                });
                continue;
            }
            filters.push(f);
        }
    }
    if !found {
        issues.push(TuningIssue {
            file: name.to_string(),
            line: None,
            message: "no [[filter]] table: nothing to apply".into(),
        });
    }
    Ok((filters, issues))
}

/// Reads a tuning file's text, which must be UTF-8 (a leading byte-order mark is kept, and
/// [`parse_tuning`] skips it).
pub fn read_tuning_text(path: &Path) -> Result<String, TuningError> {
    let file = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| TuningError::Read {
        file: file.clone(),
        reason: crate::data::discover::os_error(&e),
    })?;
    String::from_utf8(bytes).map_err(|e| {
        let offset = e.utf8_error().valid_up_to();
        let line = 1 + e.as_bytes()[..offset]
            .iter()
            .filter(|&&b| b == b'\n')
            .count();
        TuningError::NotUtf8 { file, line, offset }
    })
}

/// Reads and parses a tuning file.
pub fn load_tuning_file(path: &Path) -> Result<(Vec<Filter>, Vec<TuningIssue>), TuningError> {
    let text = read_tuning_text(path)?;
    parse_tuning(&path.display().to_string(), &text)
}
