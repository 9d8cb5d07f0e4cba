//! Loading a set of paths (or the embedded sample) into one typed frame per table, with a
//! report for every file. Files of one table are concatenated in path order; duplicate rows
//! are kept, as Kusto keeps them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use polars::prelude::*;

use super::blocks::{CsvBlocks, BLOCK_BYTES};
use super::cache::{store, Entry};
use super::cores::map_on_cores;
use super::issues::{Issue, IssueLog, Severity};
use super::keep::{widen, RowFilters, Skipped};
use super::normalize::normalize;
use super::normalize::Normalized;
use super::raw::{RawBody, RawSource};
use super::read::read_bytes;
use super::read::{is_plain_csv, read_parquet_file};
use std::io::{Read, Seek};

use super::recognise::{recognise, table_from_file_name, RecognisedBy};
use super::sample;
use super::schema::{TableKind, SOURCE_FILE_COLUMN};
use crate::kql::time::Nanos;
use std::sync::Mutex;

/// What `check` says about one file (or one table inside a file).
#[derive(Debug, Clone)]
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
    /// Rows a run's filter left out: read, timed, not typed (see [`super::keep`]).
    pub rows_skipped: usize,
    pub time_range: Option<(Nanos, Nanos)>,
    pub missing_output: Vec<&'static str>,
    pub unparseable: Vec<(&'static str, usize)>,
    pub notes: Vec<String>,
}

impl FileReport {
    fn new(name: &str, format: &str) -> Self {
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

/// Where to read from.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--table NAME=PATH`: files at or under PATH are read as NAME.
    pub forced: Vec<(TableKind, PathBuf)>,
    /// Rows to leave out as they are read (a `hunt` needs only rows that can match).
    pub filters: RowFilters,
    /// Plain CSV files larger than this are read in blocks of this size (default
    /// [`BLOCK_BYTES`]).
    pub block_bytes: Option<usize>,
    /// `--cache DIR`: read exports parsed before from their Parquet copies there, and keep a
    /// copy of the others (see [`super::cache`]).
    pub cache: Option<PathBuf>,
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
    let progress = Mutex::new(progress);
    let all: Vec<usize> = (0..files.len()).collect();
    let filters = &options.filters;
    let mut outcomes = read_files(&files, &all, options, filters, true, &progress);
    // Files of a table whose filter waits on another table are read again once that one is in.
    let deferred: Vec<usize> = outcomes
        .iter()
        .filter(|(_, o)| o.deferred)
        .map(|(n, _)| *n)
        .collect();
    if !deferred.is_empty() {
        let mut resolved = RowFilters {
            now: filters.now.clone(),
            deferred: Vec::new(),
        };
        for (table, after, build) in &filters.deferred {
            let frames: Vec<&DataFrame> = outcomes
                .iter()
                .flat_map(|(_, o)| &o.frames)
                .filter(|(t, _)| t == after)
                .map(|(_, f)| f)
                .collect();
            let joined = concat_frames(&frames);
            resolved.now.insert(*table, build(joined.as_ref()));
        }
        outcomes.retain(|(_, o)| !o.deferred);
        outcomes.extend(read_files(
            &files, &deferred, options, &resolved, false, &progress,
        ));
    }
    outcomes.sort_by_key(|(n, _)| *n);
    let mut parts = BTreeMap::new();
    for (_, outcome) in outcomes {
        merge(&mut ds, &mut parts, outcome);
    }
    finish(ds, parts)
}

/// The frames stacked into one, for building a filter (`None` when there are none).
fn concat_frames(frames: &[&DataFrame]) -> Option<DataFrame> {
    let (first, rest) = frames.split_first()?;
    let mut acc = (*first).clone();
    for f in rest {
        acc.vstack_mut(f).ok()?;
    }
    Some(acc)
}

/// Reads `files[n]` for each `n` of `which` on every core, tagged with `n`.
fn read_files(
    files: &[PathBuf],
    which: &[usize],
    options: &LoadOptions,
    filters: &RowFilters,
    may_defer: bool,
    progress: &Mutex<&mut (dyn FnMut(String) + Send)>,
) -> Vec<(usize, FileOutcome)> {
    let total = files.len();
    map_on_cores(which, |&n| {
        let file = &files[n];
        let display = file.display().to_string();
        let reading = Reading {
            forced: forced_table(file, options),
            filters,
            may_defer,
        };
        // A file its name (or `--table`) says holds a deferred table is not read until then.
        if reading.defers(reading.forced.or_else(|| table_from_file_name(&display))) {
            return (n, FileOutcome::deferred());
        }
        let size = std::fs::metadata(file).map(|m| m.len()).unwrap_or(0);
        if let Ok(mut p) = progress.lock() {
            p(format!(
                "reading {display} ({:.1} MB, file {} of {total})",
                size as f64 / 1e6,
                n + 1
            ));
        }
        let block = options.block_bytes.unwrap_or(BLOCK_BYTES);
        let outcome = match &options.cache {
            Some(dir) => read_cached(dir, file, &display, size, block, &reading),
            None => read_path(file, &display, size, block, &reading),
        };
        let outcome = outcome
            .unwrap_or_else(|e| FileOutcome::unreadable(&display, format!("cannot read: {e}")));
        (n, outcome)
    })
}

/// Loads the sample dataset compiled into the binary.
pub fn load_sample() -> Dataset {
    let mut ds = Dataset {
        is_sample: true,
        ..Dataset::default()
    };
    let mut parts = BTreeMap::new();
    for (name, bytes) in sample::FILES {
        let reading = Reading {
            forced: None,
            filters: &RowFilters::default(),
            may_defer: false,
        };
        let outcome = read_file(
            &format!("sample-data/{name}"),
            bytes.to_vec(),
            None,
            &reading,
        );
        merge(&mut ds, &mut parts, outcome);
    }
    finish(ds, parts)
}

/// What one file gave: its reports, its typed frames (with file-local source indices), the
/// display names of its sources, and its issues.
struct FileOutcome {
    reports: Vec<FileReport>,
    frames: Vec<(TableKind, DataFrame)>,
    /// For each frame, the report (the source) it belongs to.
    frame_report: Vec<usize>,
    skipped: Vec<(TableKind, Skipped)>,
    names: Vec<String>,
    issues: IssueLog,
    /// Holds a table whose filter waits on another: to be read again (nothing else is kept).
    deferred: bool,
}

/// How to read one file.
struct Reading<'a> {
    /// The table `--table` says the file holds.
    forced: Option<TableKind>,
    filters: &'a RowFilters,
    /// Whether to give up on a file holding a deferred table (the first pass).
    may_defer: bool,
}

impl FileOutcome {
    fn empty() -> FileOutcome {
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
    fn deferred() -> FileOutcome {
        FileOutcome {
            deferred: true,
            ..FileOutcome::empty()
        }
    }

    fn unreadable(display: &str, message: String) -> FileOutcome {
        let mut out = FileOutcome::empty();
        out.issues
            .push("unreadable", Issue::file_error(display, message));
        let mut report = FileReport::new(display, "?");
        report.unreadable = true;
        out.reports.push(report);
        out
    }

    /// Each report's frame, its pieces stacked (`None` for a report without one).
    fn frames_by_report(&self) -> Vec<Option<DataFrame>> {
        (0..self.reports.len())
            .map(|r| {
                let mut pieces = self
                    .frames
                    .iter()
                    .zip(&self.frame_report)
                    .filter(|(_, of)| **of == r)
                    .map(|((_, f), _)| f);
                let mut acc = pieces.next()?.clone();
                for f in pieces {
                    acc.vstack_mut(f).ok()?;
                }
                Some(acc)
            })
            .collect()
    }
}

impl Reading<'_> {
    /// Whether a file holding `table` waits for the second pass.
    fn defers(&self, table: Option<TableKind>) -> bool {
        self.may_defer && table.is_some_and(|t| self.filters.is_deferred(t))
    }
}

/// Reads one file through the cache: from its entry if it has a current one; else parses it
/// whole, keeps it, and reads it back as any later run will (so both runs give the same).
fn read_cached(
    dir: &Path,
    file: &Path,
    display: &str,
    size: u64,
    block: usize,
    reading: &Reading,
) -> std::io::Result<FileOutcome> {
    if let Some(out) = Entry::find(dir, file, reading.forced).and_then(|e| from_entry(&e, reading))
    {
        return Ok(out);
    }
    let whole = Reading {
        forced: reading.forced,
        filters: &RowFilters::default(),
        may_defer: false,
    };
    let mut outcome = read_path(file, display, size, block, &whole)?;
    let frames = outcome.frames_by_report();
    let frames: Vec<Option<&DataFrame>> = frames.iter().map(Option::as_ref).collect();
    let stored = store(
        dir,
        file,
        reading.forced,
        &outcome.reports,
        &frames,
        &outcome.names,
        &outcome.issues,
    );
    match stored {
        Ok(entry) => {
            if let Some(out) = entry.and_then(|e| from_entry(&e, reading)) {
                return Ok(out);
            }
        }
        Err(e) => {
            let msg = format!("cannot keep a copy in {}: {e}", dir.display());
            outcome.issues.push(
                "cache",
                Issue {
                    severity: Severity::Warning,
                    ..Issue::file_error(display, msg)
                },
            );
        }
    }
    // The filters only save work: the whole outcome gives the same findings.
    Ok(outcome)
}

/// A file's outcome from its cache entry, filtered as `reading` asks; `None` if the entry
/// cannot be read.
fn from_entry(entry: &Entry, reading: &Reading) -> Option<FileOutcome> {
    if entry.tables().any(|t| reading.defers(Some(t))) {
        return Some(FileOutcome::deferred());
    }
    let mut out = FileOutcome::empty();
    let loaded = entry.load(&|t| reading.filters.now.get(&t).cloned())?;
    out.names = entry.names().to_vec();
    out.issues = entry.issues().clone();
    for (i, (report, frame)) in loaded.into_iter().enumerate() {
        if let Some(f) = frame {
            if f.skipped.rows > 0 {
                out.skipped.push((f.table, f.skipped));
            }
            out.frames.push((f.table, f.frame));
            out.frame_report.push(i);
        }
        out.reports.push(report);
    }
    Some(out)
}

/// Reads one file from disk: plain CSV larger than a block in blocks, anything else whole.
fn read_path(
    file: &Path,
    display: &str,
    size: u64,
    block: usize,
    reading: &Reading,
) -> std::io::Result<FileOutcome> {
    let mut handle = std::fs::File::open(file)?;
    let mut head = Vec::with_capacity(8);
    (&mut handle).take(8).read_to_end(&mut head)?;
    handle.seek(std::io::SeekFrom::Start(0))?;
    if head.starts_with(b"PAR1") {
        // Mapped by Polars rather than read into memory.
        let mut out = FileOutcome::empty();
        let sources = read_parquet_file(display, file, &mut out.issues)
            .into_iter()
            .collect();
        return Ok(from_sources(display, sources, None, reading, out));
    }
    if size > block as u64 && is_plain_csv(display, &head) {
        let (first, rest) = CsvBlocks::open(handle, block)?;
        return Ok(read_file(display, first, Some(rest), reading));
    }
    let mut bytes = Vec::with_capacity(size as usize);
    handle.read_to_end(&mut bytes)?;
    Ok(read_file(display, bytes, None, reading))
}

/// Reads, recognises and normalises one file (whose later blocks are in `rest`, when it is
/// read in blocks). Pure: safe to run on any thread.
fn read_file(
    display: &str,
    bytes: Vec<u8>,
    rest: Option<CsvBlocks>,
    reading: &Reading,
) -> FileOutcome {
    let mut out = FileOutcome::empty();
    let hint = reading.forced.or_else(|| table_from_file_name(display));
    let sources = read_bytes(display, display, bytes, hint, &mut out.issues);
    from_sources(display, sources, rest, reading, out)
}

/// Recognises and normalises a file's sources into `out`.
fn from_sources(
    display: &str,
    sources: Vec<RawSource>,
    mut rest: Option<CsvBlocks>,
    reading: &Reading,
    mut out: FileOutcome,
) -> FileOutcome {
    let forced = reading.forced;
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
            Ok((table, _)) if reading.defers(Some(table)) => return FileOutcome::deferred(),
            Ok((table, by)) => {
                report.table = Some((table, by));
                let local = out.names.len() as u32;
                out.names.push(source.name.clone());
                let filter = reading.filters.now.get(&table);
                let continued = |bytes: Vec<u8>, line: u64| RawSource {
                    body: RawBody::Csv {
                        bytes,
                        body_start: 0,
                        body_line: line,
                        split: false,
                    },
                    name: source.name.clone(),
                    path: source.path.clone(),
                    headers: source.headers.clone(),
                    format: source.format,
                    addressing: source.addressing,
                    rejected: 0,
                };
                let first = normalize(&source, table, local, filter, &mut out.issues);
                match first {
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
                        report.missing_output = n.missing_output.clone();
                        report.notes = n.notes.clone();
                        out.add(table, &mut report, n);
                        // Later blocks have the same header: they cannot be unusable.
                        if let Some(blocks) = rest.as_mut() {
                            let (pieces, error) = blocks.map_in_order(|bytes, line| {
                                let block = continued(bytes, line);
                                let mut log = IssueLog::default();
                                let n = normalize(&block, table, local, filter, &mut log).ok();
                                let RawBody::Csv { bytes, .. } = block.body else {
                                    unreachable!("a block is CSV")
                                };
                                ((n, log), bytes)
                            });
                            for (n, log) in pieces {
                                if let Some(n) = n {
                                    out.add(table, &mut report, n);
                                }
                                out.issues.extend(log);
                            }
                            if let Some(e) = error {
                                let msg =
                                    format!("cannot read on: {e}; the rest of the file skipped");
                                out.issues
                                    .push("unreadable", Issue::file_error(display, msg));
                            }
                        }
                        rest = None;
                    }
                }
            }
        }
        out.reports.push(report);
    }
    out
}

impl FileOutcome {
    /// Adds one normalised piece (a source, or a block of one) to the outcome and its report.
    fn add(&mut self, table: TableKind, report: &mut FileReport, n: Normalized) {
        report.rows_loaded += n.frame.height();
        report.rows_rejected += n.rows_rejected;
        report.rows_skipped += n.skipped.rows;
        report.time_range = widen(report.time_range, n.time_range);
        for (column, bad) in n.unparseable {
            match report.unparseable.iter_mut().find(|(c, _)| *c == column) {
                Some((_, total)) => *total += bad,
                None => report.unparseable.push((column, bad)),
            }
        }
        if n.skipped.rows > 0 {
            self.skipped.push((table, n.skipped));
        }
        // The report being filled is pushed after its pieces.
        let of = self.reports.len();
        if n.frame.height() > 0 || !self.frame_report.contains(&of) {
            self.frames.push((table, n.frame));
            self.frame_report.push(of);
        }
    }
}

/// Adds one file's outcome to the dataset, turning its local source indices into global ones.
fn merge(ds: &mut Dataset, parts: &mut BTreeMap<TableKind, Vec<DataFrame>>, outcome: FileOutcome) {
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
