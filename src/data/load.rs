//! Loading a set of paths (or the embedded sample) into one typed frame per table, with a
//! report for every file. Files of one table are concatenated in path order; duplicate rows
//! are kept, as Kusto keeps them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::issues::{Issue, IssueLog};
use super::normalize::normalize;
use super::read::read_bytes;
use super::recognise::{recognise, table_from_file_name, RecognisedBy};
use super::sample;
use super::schema::{TableKind, SOURCE_FILE_COLUMN};
use crate::kql::time::Nanos;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// What `check` says about one file (or one table inside a file).
#[derive(Debug, Clone)]
pub struct FileReport {
    pub name: String,
    pub format: &'static str,
    /// The table and how it was recognised; `None` with `not_recognised` otherwise.
    pub table: Option<(TableKind, RecognisedBy)>,
    pub not_recognised: Option<String>,
    /// The file could not be read at all (empty, not decompressible, not parseable).
    pub unreadable: bool,
    /// Recognised, but missing columns the detections test.
    pub unusable: Option<String>,
    pub rows_loaded: usize,
    pub rows_rejected: usize,
    pub time_range: Option<(Nanos, Nanos)>,
    pub missing_output: Vec<&'static str>,
    pub unparseable: Vec<(&'static str, usize)>,
    pub notes: Vec<String>,
}

impl FileReport {
    fn new(name: &str, format: &'static str) -> Self {
        Self {
            name: name.to_string(),
            format,
            table: None,
            not_recognised: None,
            unreadable: false,
            unusable: None,
            rows_loaded: 0,
            rows_rejected: 0,
            time_range: None,
            missing_output: Vec::new(),
            unparseable: Vec::new(),
            notes: Vec::new(),
        }
    }
}

/// A table that had files, none of them usable.
#[derive(Debug, Clone)]
pub struct UnusableTable {
    pub table: TableKind,
    pub reason: String,
}

/// Everything loaded for a run.
#[derive(Default)]
pub struct Dataset {
    pub tables: BTreeMap<TableKind, DataFrame>,
    pub unusable: Vec<UnusableTable>,
    pub files: Vec<FileReport>,
    /// Display names of the files, indexed by the frames' `_SourceFile` column.
    pub file_names: Vec<String>,
    pub issues: IssueLog,
    pub is_sample: bool,
}

impl Dataset {
    pub fn rows(&self, table: TableKind) -> usize {
        self.tables.get(&table).map_or(0, DataFrame::height)
    }
}

/// Where to read from.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--table NAME=PATH`: files at or under PATH are read as NAME.
    pub forced: Vec<(TableKind, PathBuf)>,
}

/// Lists the files under the given paths, recursively and in a stable order.
pub fn discover(paths: &[PathBuf], log: &mut IssueLog) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for p in paths {
        walk(p, &mut out, log);
    }
    out
}

fn walk(path: &Path, out: &mut Vec<PathBuf>, log: &mut IssueLog) {
    let display = path.display().to_string();
    match std::fs::metadata(path) {
        Ok(m) if m.is_dir() => match std::fs::read_dir(path) {
            Ok(entries) => {
                let mut children: Vec<PathBuf> =
                    entries.filter_map(|e| e.ok().map(|e| e.path())).collect();
                children.sort();
                for c in children {
                    let hidden = c
                        .file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with('.'));
                    if !hidden {
                        walk(&c, out, log);
                    }
                }
            }
            Err(e) => log.push(
                "unreadable",
                Issue::file_error(&display, format!("cannot list directory: {e}")),
            ),
        },
        Ok(_) => out.push(path.to_path_buf()),
        Err(e) => log.push(
            "unreadable",
            Issue::file_error(&display, format!("cannot open: {e}")),
        ),
    }
}

fn forced_table(path: &Path, options: &LoadOptions) -> Option<TableKind> {
    options
        .forced
        .iter()
        .find(|(_, p)| path.starts_with(p))
        .map(|(t, _)| *t)
}

/// Loads files from disk; an empty `paths` loads the embedded sample data.
pub fn load(paths: &[PathBuf], options: &LoadOptions) -> Dataset {
    load_with_progress(paths, options, &mut |_| {})
}

/// [`load`], telling `progress` which file it is reading (for the console's status line).
/// Files are read and parsed on every core at once; results are merged in path order, so the
/// outcome does not depend on which thread finished first.
pub fn load_with_progress(
    paths: &[PathBuf],
    options: &LoadOptions,
    progress: &mut (dyn FnMut(String) + Send),
) -> Dataset {
    if paths.is_empty() {
        progress("reading the embedded sample data".into());
        return load_sample();
    }
    let mut ds = Dataset::default();
    let files = discover(paths, &mut ds.issues);
    let total = files.len();
    let next = AtomicUsize::new(0);
    let progress = Mutex::new(progress);
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(total.max(1));
    let mut outcomes: Vec<(usize, FileOutcome)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let n = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(n) else { break };
                        let display = file.display().to_string();
                        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
                        if let Ok(mut p) = progress.lock() {
                            p(format!(
                                "reading {display} ({:.1} MB, file {} of {total})",
                                size as f64 / 1e6,
                                n + 1
                            ));
                        }
                        let outcome = match std::fs::read(file) {
                            Ok(bytes) => read_file(&display, &bytes, forced_table(file, options)),
                            Err(e) => {
                                FileOutcome::unreadable(&display, format!("cannot read: {e}"))
                            }
                        };
                        done.push((n, outcome));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    outcomes.sort_by_key(|(n, _)| *n);
    let mut parts = BTreeMap::new();
    for (_, outcome) in outcomes {
        merge(&mut ds, &mut parts, outcome);
    }
    finish(ds, parts)
}

/// Loads the sample dataset compiled into the binary.
pub fn load_sample() -> Dataset {
    let mut ds = Dataset {
        is_sample: true,
        ..Dataset::default()
    };
    let mut parts = BTreeMap::new();
    for (name, bytes) in sample::FILES {
        let outcome = read_file(&format!("sample-data/{name}"), bytes, None);
        merge(&mut ds, &mut parts, outcome);
    }
    finish(ds, parts)
}

/// What one file gave: its reports, its typed frames (with file-local source indices), the
/// display names of its sources, and its issues.
struct FileOutcome {
    reports: Vec<FileReport>,
    frames: Vec<(TableKind, DataFrame)>,
    names: Vec<String>,
    issues: IssueLog,
}

impl FileOutcome {
    fn unreadable(display: &str, message: String) -> FileOutcome {
        let mut issues = IssueLog::default();
        issues.push("unreadable", Issue::file_error(display, message));
        let mut report = FileReport::new(display, "?");
        report.unreadable = true;
        FileOutcome {
            reports: vec![report],
            frames: Vec::new(),
            names: Vec::new(),
            issues,
        }
    }
}

/// Reads, recognises and normalises one file. Pure: safe to run on any thread.
fn read_file(display: &str, bytes: &[u8], forced: Option<TableKind>) -> FileOutcome {
    let mut out = FileOutcome {
        reports: Vec::new(),
        frames: Vec::new(),
        names: Vec::new(),
        issues: IssueLog::default(),
    };
    let hint = forced.or_else(|| table_from_file_name(display));
    let sources = read_bytes(display, display, bytes, hint, &mut out.issues);
    if sources.is_empty() {
        let mut report = FileReport::new(display, "?");
        report.unreadable = out.issues.errors() > 0;
        report.not_recognised = Some("nothing could be read".into());
        out.reports.push(report);
        return out;
    }
    for source in sources {
        let mut report = FileReport::new(&source.name, source.format);
        match recognise(&source, forced) {
            Err(why) => report.not_recognised = Some(why),
            Ok((table, by)) => {
                report.table = Some((table, by));
                let local = out.names.len() as u32;
                out.names.push(source.name.clone());
                match normalize(&source, table, local, &mut out.issues) {
                    Err(unusable) => {
                        let msg = unusable.to_string();
                        let issue = Issue {
                            table: Some(table.name().into()),
                            ..Issue::file_error(&source.name, msg.clone())
                        };
                        out.issues.push("unusable", issue);
                        report.unusable = Some(msg);
                    }
                    Ok(n) => {
                        report.rows_loaded = n.frame.height();
                        report.rows_rejected = n.rows_rejected;
                        report.time_range = n.time_range;
                        report.missing_output = n.missing_output;
                        report.unparseable = n.unparseable;
                        report.notes = n.notes;
                        out.frames.push((table, n.frame));
                    }
                }
            }
        }
        out.reports.push(report);
    }
    out
}

/// Adds one file's outcome to the dataset, turning its local source indices into global ones.
fn merge(ds: &mut Dataset, parts: &mut BTreeMap<TableKind, Vec<DataFrame>>, outcome: FileOutcome) {
    let base = ds.file_names.len() as u32;
    ds.file_names.extend(outcome.names);
    ds.files.extend(outcome.reports);
    ds.issues.extend(outcome.issues);
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

fn finish(mut ds: Dataset, parts: BTreeMap<TableKind, Vec<DataFrame>>) -> Dataset {
    for (table, frames) in parts {
        let mut iter = frames.into_iter();
        let Some(mut acc) = iter.next() else { continue };
        for f in iter {
            if let Err(e) = acc.vstack_mut(&f) {
                ds.unusable.push(UnusableTable {
                    table,
                    reason: format!("cannot concatenate files: {e}"),
                });
            }
        }
        acc.rechunk_mut();
        ds.tables.insert(table, acc);
    }
    for table in TableKind::ALL {
        let had_files = ds
            .files
            .iter()
            .any(|f| f.table.is_some_and(|(t, _)| t == table));
        if had_files && !ds.tables.contains_key(&table) {
            let reasons: Vec<String> = ds
                .files
                .iter()
                .filter(|f| f.table.is_some_and(|(t, _)| t == table))
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
