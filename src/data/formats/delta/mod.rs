//! Delta tables (Sentinel data lake, Fabric and Databricks exports): the live data files of the
//! table's current snapshot, as its transaction log describes them.
//!
//! A Delta folder holds every data file ever written until VACUUM deletes them: OPTIMIZE
//! rewrites small files into one and DELETE rewrites the files holding deleted rows, but the old
//! files stay on disk. Reading every `*.parquet` counts those rows twice (or counts deleted
//! rows). Only the log says which files are live: the `add`/`remove` actions of the JSON commits
//! `_delta_log/NNN.json`, replayed in order on top of the newest checkpoint
//! (`NNN.checkpoint.parquet`, or its parts `NNN.checkpoint.o.p.parquet`).
//!
//! Partition columns are not stored in the data files: each [`DeltaFile`] carries its values,
//! which the caller adds as constant columns. Features that change what a data file means
//! (deletion vectors, column mapping, unknown reader features) are refused with
//! [`DeltaError::Unsupported`]; nothing here falls back to reading every file.

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::text::escape_unsafe;

mod actions;
mod checkpoint;
mod listing;

use actions::*;
use checkpoint::*;
use listing::*;

/// Highest Delta reader protocol version understood here (3 = table features).
const MAX_READER_VERSION: i64 = 3;

/// Reader features that do not change which rows the data files hold, or whose use is checked
/// where it matters (`deletionVectors` per live file, `columnMapping` by its mode).
const KNOWN_READER_FEATURES: &[&str] = &[
    "columnMapping",
    "deletionVectors",
    "timestampNtz",
    "vacuumProtocolCheck",
];

/// The table as its log describes it at its latest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaSnapshot {
    /// The table version the snapshot is at (the newest commit).
    pub version: i64,
    /// The live data files, sorted by path.
    pub files: Vec<DeltaFile>,
    /// Partition columns, in the table's order (their values are in [`DeltaFile`], not in the
    /// data files).
    pub partition_columns: Vec<String>,
    /// The table schema as Delta's JSON schema string (`metaData.schemaString`).
    pub schema_string: String,
}

/// One live data file of the snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeltaFile {
    /// Absolute path of the Parquet data file.
    pub path: PathBuf,
    /// The file's value for each partition column, in [`DeltaSnapshot::partition_columns`]
    /// order; `None` is a null partition value.
    pub partition_values: Vec<(String, Option<String>)>,
}

/// Why a Delta table cannot be read. Each message names the table folder.
#[derive(Debug, Error)]
pub enum DeltaError {
    #[error("Delta table {}: cannot read {}: {source}", show(.table), show(.path))]
    Io {
        table: PathBuf,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not a Delta table (no _delta_log folder)", show(.table))]
    NotDelta { table: PathBuf },
    #[error("Delta table {}: the _delta_log folder holds no commit and no checkpoint", show(.table))]
    EmptyLog { table: PathBuf },
    #[error("Delta table {}: {detail}; the table's current state cannot be rebuilt from its log", show(.table))]
    MissingCommit { table: PathBuf, detail: String },
    #[error("Delta table {}: {} line {line}: {reason}", show(.table), show(.file))]
    CorruptCommit {
        table: PathBuf,
        file: PathBuf,
        line: usize,
        reason: String,
    },
    #[error("Delta table {}: checkpoint {}: {reason}", show(.table), show(.file))]
    Checkpoint {
        table: PathBuf,
        file: PathBuf,
        reason: String,
    },
    #[error("Delta table {}: {reason}", show(.table))]
    Corrupt { table: PathBuf, reason: String },
    #[error("Delta table {} uses {feature}, which proxyhunt does not read: {why}", show(.table))]
    Unsupported {
        table: PathBuf,
        feature: String,
        why: String,
    },
}

fn show(path: &Path) -> String {
    escape_unsafe(&path.display().to_string())
}

/// Whether `dir` is the root of a Delta table (it holds a `_delta_log` folder).
pub fn is_delta_table(dir: &Path) -> bool {
    dir.join("_delta_log").is_dir()
}

/// Replays the log of the Delta table at `dir` and returns its current snapshot.
pub fn snapshot(dir: &Path) -> Result<DeltaSnapshot, DeltaError> {
    let table = std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf());
    if !is_delta_table(&table) {
        return Err(DeltaError::NotDelta { table });
    }
    let log_dir = table.join("_delta_log");
    let listing = list_log(&table, &log_dir)?;
    let checkpoint = choose_checkpoint(&log_dir, &listing);
    let latest_commit = listing.commits.last().copied();
    let version = match (latest_commit, &checkpoint) {
        (None, None) => return Err(DeltaError::EmptyLog { table }),
        (Some(c), Some(cp)) => c.max(cp.version),
        (Some(c), None) => c,
        (None, Some(cp)) => cp.version,
    };
    let first_commit = checkpoint.as_ref().map_or(0, |cp| cp.version + 1);
    check_commits(&table, &listing, checkpoint.as_ref(), first_commit, version)?;

    let mut state = State::default();
    if let Some(cp) = &checkpoint {
        for part in &cp.parts {
            read_checkpoint(&table, part, &mut state)?;
        }
    }
    for v in first_commit..=version {
        let file = log_dir.join(format!("{v:020}.json"));
        let actions = read_commit(&table, &file)?;
        state.apply_commit(actions);
    }
    state.finish(&table, version)
}

pub mod source;

#[cfg(test)]
mod tests;
