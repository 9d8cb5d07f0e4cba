//! Problems found while reading exports. Every bad row or value is counted; the first few of
//! each kind are kept verbatim so that a million bad rows give a readable report, not a flood.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// Where in a file something was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Location {
    /// 1-based line of the file (CSV, NDJSON, JSON arrays).
    Line(u64),
    /// 1-based row of a table without lines (Parquet, API responses).
    Row(u64),
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::Line(n) => write!(f, "line {n}"),
            Location::Row(n) => write!(f, "row {n}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Severity {
    /// The value or row was kept (possibly as empty) and the run goes on.
    Warning,
    /// The row, file or table could not be used.
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Issue {
    pub severity: Severity,
    pub file: String,
    pub table: Option<String>,
    pub location: Option<Location>,
    pub column: Option<String>,
    pub message: String,
}

impl Issue {
    /// An error about a whole file (no line, table or column).
    pub fn file_error(file: &str, message: impl Into<String>) -> Issue {
        Issue {
            severity: Severity::Error,
            file: file.to_string(),
            table: None,
            location: None,
            column: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for Issue {
    /// One line: `error: FILE: line 12: table T, column C: message`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let level = match self.severity {
            Severity::Warning => "warning",
            Severity::Error => "error",
        };
        write!(f, "{level}: {}", self.file)?;
        if let Some(loc) = self.location {
            write!(f, ": {loc}")?;
        }
        match (&self.table, &self.column) {
            (Some(t), Some(c)) => write!(f, ": table {t}, column {c}")?,
            (Some(t), None) => write!(f, ": table {t}")?,
            (None, Some(c)) => write!(f, ": column {c}")?,
            (None, None) => {}
        }
        write!(f, ": {}", self.message)
    }
}

/// How many issues of one kind (file, column, severity, kind) are kept word for word.
pub const KEPT_PER_KIND: usize = 5;

/// A kind of issue: a literal where the code names it, owned when read back from a cache.
pub type Kind = Cow<'static, str>;

/// The key issues are capped by: file, column, severity, kind.
pub type KindKey = (String, Option<String>, Severity, Kind);

/// Collects issues; counts all of them, keeps the first [`KEPT_PER_KIND`] of each kind.
#[derive(Debug, Default, Clone, PartialEq, Serialize, Deserialize)]
pub struct IssueLog {
    kept: Vec<(Kind, Issue)>,
    counts: Vec<(KindKey, usize)>,
}

impl IssueLog {
    /// Records an issue; `kind` groups alike issues (e.g. "bad-datetime") for the cap.
    pub fn push(&mut self, kind: &'static str, issue: Issue) {
        let key: KindKey = (
            issue.file.clone(),
            issue.column.clone(),
            issue.severity,
            Cow::Borrowed(kind),
        );
        let count = self.count_mut(&key);
        *count += 1;
        if *count <= KEPT_PER_KIND {
            self.kept.push((Cow::Borrowed(kind), issue));
        }
    }

    fn count_mut(&mut self, key: &KindKey) -> &mut usize {
        let at = match self.counts.binary_search_by(|(k, _)| k.cmp(key)) {
            Ok(at) => at,
            Err(at) => {
                self.counts.insert(at, (key.clone(), 0));
                at
            }
        };
        &mut self.counts[at].1
    }

    fn count(&self, key: &KindKey) -> usize {
        self.counts
            .binary_search_by(|(k, _)| k.cmp(key))
            .map_or(0, |at| self.counts[at].1)
    }

    /// Adds another log after this one, keeping the cap per kind as if both had been one log.
    pub fn extend(&mut self, other: IssueLog) {
        // Issues kept by `other` are the first of their kind there; keep them while this log's
        // cap for the kind has room.
        let mut room: BTreeMap<KindKey, usize> = BTreeMap::new();
        for (key, n) in &other.counts {
            let have = self.count(key);
            room.insert(key.clone(), KEPT_PER_KIND.saturating_sub(have).min(*n));
        }
        for (kind, issue) in other.kept {
            let key: KindKey = (
                issue.file.clone(),
                issue.column.clone(),
                issue.severity,
                kind.clone(),
            );
            if let Some(r) = room.get_mut(&key) {
                if *r > 0 {
                    *r -= 1;
                    self.kept.push((kind, issue));
                }
            }
        }
        for (key, n) in other.counts {
            *self.count_mut(&key) += n;
        }
    }

    pub fn kept(&self) -> impl Iterator<Item = &Issue> {
        self.kept.iter().map(|(_, i)| i)
    }

    pub fn total(&self) -> usize {
        self.counts.iter().map(|(_, n)| n).sum()
    }

    pub fn errors(&self) -> usize {
        self.counts
            .iter()
            .filter(|(k, _)| k.2 == Severity::Error)
            .map(|(_, n)| n)
            .sum()
    }

    /// The report: kept issues, then one line per kind whose count exceeded the cap.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.kept().map(|i| i.to_string()).collect();
        for ((file, column, _, kind), n) in &self.counts {
            if *n > KEPT_PER_KIND {
                let col = column
                    .as_deref()
                    .map(|c| format!(" in column {c}"))
                    .unwrap_or_default();
                out.push(format!(
                    "note: {file}: {} more {kind} issue(s){col} not shown ({n} in all)",
                    n - KEPT_PER_KIND
                ));
            }
        }
        out
    }
}
