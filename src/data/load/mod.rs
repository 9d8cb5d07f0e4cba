//! Loading a set of paths (or the embedded sample) into one typed frame per table, with a
//! report for every file. Files are read on the pool, and merged in path order so the outcome
//! does not depend on which finished first. Files of one table are concatenated; duplicate rows
//! are kept, as Kusto keeps them.

mod datetimes;
mod file;
mod input;
mod outcome;
mod reading;
mod stream;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use polars::prelude::*;

pub use super::dataset::Dataset;
pub use super::report::{FileReport, UnusableTable};

use super::cache::{store, Entry};
use super::dictionary::Dictionaries;
use super::discover::{discover, Input, InputKind};
use super::formats::blocks::{BLOCK_BYTES, MAX_RECORD_BYTES};
use super::issues::{Issue, Severity};
use super::pool;
use super::row_filter::RowFilters;
use super::sample;
use super::table::recognise::table_from_file_name;
use super::table::schema::TableKind;
use super::values::locale::DateOrder;
use file::{read_bytes, read_input, read_path};
use outcome::{finish, merge, FileOutcome};
use reading::Reading;

pub use super::table::schema::ColumnsOf;

/// Where to read from.
#[derive(Debug, Clone, Default)]
pub struct LoadOptions {
    /// `--table NAME=PATH`: files at or under PATH are read as NAME.
    pub forced: Vec<(TableKind, PathBuf)>,
    /// Rows to leave out as they are read (a `hunt` needs only rows that can match).
    pub filters: RowFilters,
    /// Large CSV and NDJSON files are read in blocks of this size (default [`BLOCK_BYTES`]).
    pub block_bytes: Option<usize>,
    /// `--cache DIR`: read exports parsed before from their Parquet copies there, and keep a
    /// copy of the others (see [`super::cache`]).
    pub cache: Option<PathBuf>,
    /// `--date-order`: day/month order for portal CSV datetimes their values leave open.
    pub date_order: Option<DateOrder>,
    /// When set, only these columns of each table are read (and the event time); the others
    /// are held empty. The console's every-event load reads what go hunt shows.
    pub only_columns: Option<ColumnsOf>,
    /// When set, these text columns of each table are held as dictionaries (each distinct
    /// value once; see [`crate::data::dictionary`]): the console's every-event load.
    pub dictionary_columns: Option<ColumnsOf>,
    /// Records longer than this are skipped and reported (default
    /// [`MAX_RECORD_BYTES`](super::formats::blocks::MAX_RECORD_BYTES)).
    pub max_record_bytes: Option<usize>,
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
    let inputs = discover(paths, &mut ds.issues);
    let progress = Mutex::new(progress);
    let all: Vec<usize> = (0..inputs.len()).collect();
    let filters = &options.filters;
    let dictionaries = options.dictionary_columns.map(Dictionaries::new);
    let dictionaries = dictionaries.as_ref();
    let mut outcomes = read_inputs(
        &inputs,
        &all,
        options,
        (filters, dictionaries),
        true,
        &progress,
    );
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
        let loaded = |table: TableKind| {
            let frames: Vec<&DataFrame> = outcomes
                .iter()
                .flat_map(|(_, o)| &o.frames)
                .filter(|(t, _)| *t == table)
                .map(|(_, f)| f)
                .collect();
            concat_frames(&frames)
        };
        for (table, build) in &filters.deferred {
            resolved.now.insert(*table, build(&loaded));
        }
        outcomes.retain(|(_, o)| !o.deferred);
        outcomes.extend(read_inputs(
            &inputs,
            &deferred,
            options,
            (&resolved, dictionaries),
            false,
            &progress,
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
    crate::data::compact::stack_all(frames.iter().map(|f| (*f).clone()).collect())
}

/// Reads `inputs[n]` for each `n` of `which` on the pool, tagged with `n`.
fn read_inputs(
    inputs: &[Input],
    which: &[usize],
    options: &LoadOptions,
    (filters, dictionaries): (&RowFilters, Option<&Dictionaries>),
    may_defer: bool,
    progress: &Mutex<&mut (dyn FnMut(String) + Send)>,
) -> Vec<(usize, FileOutcome)> {
    let total = inputs.len();
    let read = |&n: &usize| {
        let input = &inputs[n];
        let display = input.display();
        let reading = Reading {
            forced: forced_table(&input.path, options),
            filters,
            may_defer,
            block: options.block_bytes.unwrap_or(BLOCK_BYTES),
            date_order: options.date_order,
            max_record: options.max_record_bytes.unwrap_or(MAX_RECORD_BYTES),
            only_columns: options.only_columns,
            dictionaries,
        };
        // A file its name (or `--table`) says holds a deferred table is not read until then.
        if reading.defers(reading.forced.or_else(|| table_from_file_name(&display))) {
            return (n, FileOutcome::deferred());
        }
        if let Ok(mut p) = progress.lock() {
            let size = std::fs::metadata(&input.path).map_or(0, |m| m.len());
            p(format!(
                "reading {display} ({:.1} MB, file {} of {total})",
                size as f64 / 1e6,
                n + 1
            ));
        }
        let outcome = match (&options.cache, &input.kind) {
            (Some(dir), InputKind::File) => read_cached(dir, &input.path, &display, &reading),
            _ => read_input(input, &reading),
        };
        (n, outcome)
    };
    // Polars reads a Parquet file (or a Delta table) on every core by itself: two at once would
    // only hold twice the memory. Those are read one after another, beside the others.
    let (columnar, other): (Vec<usize>, Vec<usize>) =
        which.iter().partition(|&&n| is_columnar(&inputs[n]));
    let (mut a, b) = pool::install(|| {
        rayon::join(
            || pool::map(&other, read),
            || columnar.iter().map(read).collect::<Vec<_>>(),
        )
    });
    a.extend(b);
    a
}

/// Whether an input is read by Polars' own parallel Parquet reader.
fn is_columnar(input: &Input) -> bool {
    input.kind == InputKind::Delta
        || (input.kind == InputKind::File
            && std::fs::File::open(&input.path)
                .and_then(|mut f| {
                    let mut head = [0u8; 4];
                    std::io::Read::read_exact(&mut f, &mut head).map(|_| head)
                })
                .is_ok_and(|h| &h == b"PAR1"))
}

/// Loads the sample dataset compiled into the binary.
pub fn load_sample() -> Dataset {
    let mut ds = Dataset {
        is_sample: true,
        ..Dataset::default()
    };
    let mut parts = BTreeMap::new();
    let none = RowFilters::default();
    for (name, bytes) in sample::FILES {
        let reading = Reading {
            forced: None,
            filters: &none,
            may_defer: false,
            block: BLOCK_BYTES,
            date_order: None,
            max_record: MAX_RECORD_BYTES,
            only_columns: None,
            dictionaries: None,
        };
        let outcome = read_bytes(&format!("sample-data/{name}"), bytes.to_vec(), &reading);
        merge(&mut ds, &mut parts, outcome);
    }
    finish(ds, parts)
}

/// Reads one file through the cache: from its entry if it has a current one; else parses it
/// whole, keeps it, and reads it back as any later run will (so both runs give the same).
fn read_cached(dir: &Path, file: &Path, display: &str, reading: &Reading) -> FileOutcome {
    if let Some(out) = Entry::find(dir, file, reading.forced).and_then(|e| from_entry(&e, reading))
    {
        return out;
    }
    let whole = reading.whole();
    let mut outcome = match read_path(file, display, &whole) {
        Ok(o) => o,
        Err(e) => {
            let msg = format!("cannot read: {}", super::discover::os_error(&e));
            return FileOutcome::unreadable(display, msg);
        }
    };
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
                return out;
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
    held_as_read(outcome, reading)
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
    Some(held_as_read(out, reading))
}

/// A file typed whole before (a cache entry, or a file parsed whole for one) held as the load
/// holds the others (columns left out, dictionaries), so that its frames stack with theirs.
fn held_as_read(mut outcome: FileOutcome, reading: &Reading) -> FileOutcome {
    for (table, frame) in &mut outcome.frames {
        *frame = crate::data::normalize::held_as_read(
            *table,
            std::mem::take(frame),
            reading.only_columns,
            reading.dictionaries,
        );
    }
    outcome
}
