//! What one file gave, and how files' outcomes add up to a [`Dataset`].

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::data::compact::{stack, stack_all};
use crate::data::dataset::Dataset;
use crate::data::issues::{Issue, IssueLog};
use crate::data::normalize::Normalized;
use crate::data::report::{FileReport, UnusableTable};
use crate::data::row_filter::{widen, Skipped};
use crate::data::table::schema::{TableKind, SOURCE_FILE_COLUMN};

/// What one file gave: its reports, its typed frames (with file-local source indices), the
/// display names of its sources, and its issues.
pub struct FileOutcome {
    pub reports: Vec<FileReport>,
    pub frames: Vec<(TableKind, DataFrame)>,
    /// For each frame, the report (the source) it belongs to.
    pub frame_report: Vec<usize>,
    pub skipped: Vec<(TableKind, Skipped)>,
    pub names: Vec<String>,
    pub issues: IssueLog,
    /// Holds a table whose filter waits on another: to be read again (nothing else is kept).
    pub deferred: bool,
}

impl FileOutcome {
    pub fn empty() -> FileOutcome {
        FileOutcome {
            reports: Vec::new(),
            frames: Vec::new(),
            frame_report: Vec::new(),
            skipped: Vec::new(),
            names: Vec::new(),
            issues: IssueLog::default(),
            deferred: false,
        }
    }

    /// Holds a table whose filter waits on another: read again later, nothing kept now.
    pub fn deferred() -> FileOutcome {
        FileOutcome {
            deferred: true,
            ..FileOutcome::empty()
        }
    }

    pub fn unreadable(display: &str, message: String) -> FileOutcome {
        let mut out = FileOutcome::empty();
        out.issues
            .push("unreadable", Issue::file_error(display, message));
        let mut report = FileReport::new(display, "?");
        report.unreadable = true;
        out.reports.push(report);
        out
    }

    /// Each report's frame, its pieces stacked (`None` for a report without one).
    pub fn frames_by_report(&self) -> Vec<Option<DataFrame>> {
        (0..self.reports.len())
            .map(|r| {
                let pieces: Vec<DataFrame> = self
                    .frames
                    .iter()
                    .zip(&self.frame_report)
                    .filter(|(_, of)| **of == r)
                    .map(|((_, f), _)| f.clone())
                    .collect();
                stack_all(pieces)
            })
            .collect()
    }

    /// Adds one normalised piece (a source, or a block of one) to the outcome and to `report`,
    /// which is pushed after its pieces.
    pub fn add(&mut self, table: TableKind, report: &mut FileReport, n: Normalized) {
        report.rows_loaded += n.frame.height();
        report.rows_rejected += n.rows_rejected;
        report.rows_skipped += n.skipped.rows;
        report.time_range = widen(report.time_range, n.time_range);
        for (column, bad) in n.unparseable {
            match report.unparseable.iter_mut().find(|(c, _)| c == column) {
                Some((_, total)) => *total += bad,
                None => report.unparseable.push((column.to_string(), bad)),
            }
        }
        if n.skipped.rows > 0 {
            self.skipped.push((table, n.skipped));
        }
        let of = self.reports.len();
        if n.frame.height() > 0 || !self.frame_report.contains(&of) {
            self.frames.push((table, n.frame));
            self.frame_report.push(of);
        }
    }
}

/// Adds one file's outcome to the dataset, turning its local source indices into global ones.
pub fn merge(
    ds: &mut Dataset,
    parts: &mut BTreeMap<TableKind, Vec<DataFrame>>,
    outcome: FileOutcome,
) {
    let base = ds.file_names.len() as u32;
    ds.file_names.extend(outcome.names);
    ds.files.extend(outcome.reports);
    ds.issues.extend(outcome.issues);
    for (table, skipped) in outcome.skipped {
        ds.skipped.entry(table).or_default().merge(skipped);
    }
    for (table, mut frame) in outcome.frames {
        if base > 0 {
            if let Ok(local) = frame
                .column(SOURCE_FILE_COLUMN)
                .and_then(|c| c.u32().cloned())
            {
                let global: UInt32Chunked = local.apply_values(|i| i + base);
                let _ =
                    frame.with_column(global.with_name(SOURCE_FILE_COLUMN.into()).into_column());
            }
        }
        parts.entry(table).or_default().push(frame);
    }
}

/// Stacks each table's frames, and names the tables that had files but no usable one.
pub fn finish(mut ds: Dataset, parts: BTreeMap<TableKind, Vec<DataFrame>>) -> Dataset {
    for (table, frames) in parts {
        let (stacked, errors) = stack(frames);
        for e in errors {
            ds.unusable.push(UnusableTable {
                table,
                reason: format!("cannot concatenate files: {e}"),
            });
        }
        let Some(mut acc) = stacked else { continue };
        acc.rechunk_mut();
        ds.tables.insert(table, acc);
    }
    for table in TableKind::ALL {
        let had_files = ds.files.iter().any(|f| f.table_kind() == Some(table));
        if had_files && !ds.tables.contains_key(&table) {
            let reasons: Vec<String> = ds
                .files
                .iter()
                .filter(|f| f.table_kind() == Some(table))
                .filter_map(|f| f.unusable.as_ref().map(|u| format!("{}: {u}", f.name)))
                .collect();
            ds.unusable.push(UnusableTable {
                table,
                reason: reasons.join("; "),
            });
        }
    }
    ds
}
