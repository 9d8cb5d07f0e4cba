//! Everything loaded for a run: one typed frame per table, and what was said about the files.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;

use super::issues::IssueLog;
use super::report::{FileReport, UnusableTable};
use super::row_filter::Skipped;
use super::table::schema::TableKind;

#[derive(Default)]
pub struct Dataset {
    pub tables: BTreeMap<TableKind, DataFrame>,
    pub unusable: Vec<UnusableTable>,
    pub files: Vec<FileReport>,
    /// Display names of the files, indexed by the frames' `_SourceFile` column.
    pub file_names: Vec<String>,
    pub issues: IssueLog,
    pub is_sample: bool,
    /// Per table, the rows a filter left out of `tables`.
    pub skipped: BTreeMap<TableKind, Skipped>,
}

impl Dataset {
    /// Rows typed into the table's frame.
    pub fn rows(&self, table: TableKind) -> usize {
        self.tables.get(&table).map_or(0, DataFrame::height)
    }

    /// Rows read for the table, including those a filter left out.
    pub fn rows_read(&self, table: TableKind) -> usize {
        self.rows(table) + self.skipped.get(&table).map_or(0, |s| s.rows)
    }
}
