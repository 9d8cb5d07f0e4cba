//! What `check` says about one file (or one table inside a file), and about tables that had
//! files but none usable. Serialisable, so that the cache keeps it as it is.

use serde::{Deserialize, Serialize};

use super::table::recognise::RecognisedBy;
use super::table::schema::TableKind;
use crate::kql::time::Nanos;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileReport {
    pub name: String,
    pub format: String,
    /// The table and how it was recognised; `None` with `not_recognised` otherwise.
    pub table: Option<(TableKind, RecognisedBy)>,
    pub not_recognised: Option<String>,
    /// The file could not be read at all (empty, not decompressible, not parseable).
    pub unreadable: bool,
    /// Recognised, but missing columns the detections test.
    pub unusable: Option<String>,
    pub rows_loaded: usize,
    pub rows_rejected: usize,
    /// Rows a run's filter left out: read, timed, not typed (see [`super::row_filter`]).
    pub rows_skipped: usize,
    pub time_range: Option<(Nanos, Nanos)>,
    /// Output columns the file lacks (shown empty in findings).
    pub missing_output: Vec<String>,
    /// Per column: how many present values could not be read.
    pub unparseable: Vec<(String, usize)>,
    /// How the file was read where that is worth saying (columns found under other names, a
    /// datetime format inferred, ...).
    pub notes: Vec<String>,
}

impl FileReport {
    pub fn new(name: &str, format: &str) -> Self {
        Self {
            name: name.to_string(),
            format: format.to_string(),
            table: None,
            not_recognised: None,
            unreadable: false,
            unusable: None,
            rows_loaded: 0,
            rows_rejected: 0,
            rows_skipped: 0,
            time_range: None,
            missing_output: Vec::new(),
            unparseable: Vec::new(),
            notes: Vec::new(),
        }
    }

    /// The table the report is about, if recognised.
    pub fn table_kind(&self) -> Option<TableKind> {
        self.table.map(|(t, _)| t)
    }
}

/// A table that had files, none of them usable.
#[derive(Debug, Clone)]
pub struct UnusableTable {
    pub table: TableKind,
    pub reason: String,
}
