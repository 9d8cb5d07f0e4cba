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

use std::collections::{BTreeMap, HashMap};
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use polars::prelude::{ArrowDataType, DataFrame, ParquetReader, SerReader, Series};
use serde::Deserialize;
use thiserror::Error;

use crate::text::{escape_unsafe, quote_value};

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

/// What the `_delta_log` folder holds.
#[derive(Debug, Default)]
struct Listing {
    /// Versions of the JSON commits, ascending.
    commits: Vec<i64>,
    /// Classic single-file checkpoints, by version.
    classic: BTreeMap<i64, PathBuf>,
    /// Multi-part checkpoint parts: (version, part count) → part number → file.
    parts: BTreeMap<(i64, u32), BTreeMap<u32, PathBuf>>,
    /// Versions of UUID-named (V2) checkpoints, which are not read here.
    uuid_named: Vec<i64>,
}

fn list_log(table: &Path, log_dir: &Path) -> Result<Listing, DeltaError> {
    let io = |source| DeltaError::Io {
        table: table.to_path_buf(),
        path: log_dir.to_path_buf(),
        source,
    };
    let mut listing = Listing::default();
    for entry in std::fs::read_dir(log_dir).map_err(io)? {
        let entry = entry.map_err(io)?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        match parse_log_name(name) {
            Some(LogName::Commit(v)) => listing.commits.push(v),
            Some(LogName::Classic(v)) => {
                listing.classic.insert(v, entry.path());
            }
            Some(LogName::Part { version, part, of }) => {
                listing
                    .parts
                    .entry((version, of))
                    .or_default()
                    .insert(part, entry.path());
            }
            Some(LogName::UuidCheckpoint(v)) => listing.uuid_named.push(v),
            None => {}
        }
    }
    listing.commits.sort_unstable();
    Ok(listing)
}

#[derive(Debug, PartialEq, Eq)]
enum LogName {
    Commit(i64),
    Classic(i64),
    Part { version: i64, part: u32, of: u32 },
    UuidCheckpoint(i64),
}

/// Recognises the log's file names; anything else (`_last_checkpoint`, `.crc`, log
/// compactions, temporary files) is not needed to rebuild the snapshot.
fn parse_log_name(name: &str) -> Option<LogName> {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let (version, rest) = name.split_at_checked(20)?;
    if !digits(version, 20) {
        return None;
    }
    let version: i64 = version.parse().ok()?;
    if rest == ".json" {
        return Some(LogName::Commit(version));
    }
    let rest = rest.strip_prefix(".checkpoint.")?;
    if rest == "parquet" {
        return Some(LogName::Classic(version));
    }
    if let Some(parts) = rest.strip_suffix(".parquet") {
        if let Some((part, of)) = parts.split_once('.') {
            if digits(part, 10) && digits(of, 10) {
                return Some(LogName::Part {
                    version,
                    part: part.parse().ok()?,
                    of: of.parse().ok()?,
                });
            }
        }
    }
    let uuid = rest
        .strip_suffix(".parquet")
        .or_else(|| rest.strip_suffix(".json"))?;
    (uuid.len() == 36 && uuid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-'))
        .then_some(LogName::UuidCheckpoint(version))
}

/// A complete checkpoint: its version and its files (one, or every part in order).
#[derive(Debug)]
struct Checkpoint {
    version: i64,
    parts: Vec<PathBuf>,
}

/// The `_last_checkpoint` hint: only its part count is used, to prefer the part set it names
/// when two writers left different ones for the same version. The listing decides which
/// checkpoint is newest, since `_last_checkpoint` may lag behind.
#[derive(Debug, Deserialize)]
struct LastCheckpoint {
    version: i64,
    parts: Option<u32>,
}

fn choose_checkpoint(log_dir: &Path, listing: &Listing) -> Option<Checkpoint> {
    let hint: Option<LastCheckpoint> = std::fs::read(log_dir.join("_last_checkpoint"))
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    let mut complete: BTreeMap<i64, Vec<(u32, Vec<PathBuf>)>> = BTreeMap::new();
    for (&v, path) in &listing.classic {
        complete.entry(v).or_default().push((1, vec![path.clone()]));
    }
    for (&(v, of), parts) in &listing.parts {
        // A multi-part checkpoint with a missing part is an unfinished write: ignore it.
        let whole =
            of > 1 && parts.len() == of as usize && (1..=of).all(|p| parts.contains_key(&p));
        if whole {
            complete
                .entry(v)
                .or_default()
                .push((of, parts.values().cloned().collect()));
        }
    }
    let (&version, candidates) = complete.iter().next_back()?;
    let wanted = hint
        .filter(|h| h.version == version)
        .map_or(1, |h| h.parts.unwrap_or(1));
    let parts = candidates
        .iter()
        .find(|(of, _)| *of == wanted)
        .or_else(|| candidates.first())
        .map(|(_, files)| files.clone())?;
    Some(Checkpoint { version, parts })
}

/// Every commit after the checkpoint must be there, in sequence: a gap means the state cannot be
/// rebuilt, and guessing would give a silently wrong file list.
fn check_commits(
    table: &Path,
    listing: &Listing,
    checkpoint: Option<&Checkpoint>,
    first: i64,
    last: i64,
) -> Result<(), DeltaError> {
    let have: std::collections::BTreeSet<i64> = listing
        .commits
        .iter()
        .copied()
        .filter(|&v| v >= first)
        .collect();
    let Some(missing) = (first..=last).find(|v| !have.contains(v)) else {
        return Ok(());
    };
    let detail = match (checkpoint, listing.commits.first()) {
        (None, Some(&oldest)) if missing == 0 => {
            let mut d = format!(
                "the log starts at version {oldest} and has no checkpoint to stand for the \
                 versions before it (they were cleaned up, or not copied)"
            );
            if !listing.uuid_named.is_empty() {
                d.push_str("; it has UUID-named (V2) checkpoints, which proxyhunt does not read");
            }
            d
        }
        (Some(cp), _) => format!(
            "commit {missing:020}.json is missing (the newest checkpoint is version {}, the \
             newest commit version {last})",
            cp.version
        ),
        (None, _) => {
            format!("commit {missing:020}.json is missing (the log goes up to version {last})")
        }
    };
    Err(DeltaError::MissingCommit {
        table: table.to_path_buf(),
        detail,
    })
}

/// The log actions that decide the snapshot; all others (commitInfo, txn, cdc,
/// domainMetadata) are ignored.
#[derive(Debug, Default, Deserialize)]
struct Action {
    add: Option<AddAction>,
    remove: Option<RemoveAction>,
    #[serde(rename = "metaData")]
    meta_data: Option<MetaData>,
    protocol: Option<Protocol>,
}

#[derive(Debug, Clone, Deserialize)]
struct AddAction {
    path: String,
    #[serde(rename = "partitionValues", default)]
    partition_values: HashMap<String, Option<String>>,
    #[serde(rename = "deletionVector")]
    deletion_vector: Option<DeletionVector>,
}

#[derive(Debug, Clone, Deserialize)]
struct RemoveAction {
    path: String,
    #[serde(rename = "deletionVector")]
    deletion_vector: Option<DeletionVector>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
struct DeletionVector {
    #[serde(rename = "storageType")]
    storage_type: String,
    #[serde(rename = "pathOrInlineDv")]
    path_or_inline_dv: String,
    offset: Option<i64>,
}

impl DeletionVector {
    /// The protocol's `uniqueId`, which with the path identifies a logical file.
    fn unique_id(&self) -> String {
        match self.offset {
            Some(o) => format!("{}{}@{o}", self.storage_type, self.path_or_inline_dv),
            None => format!("{}{}", self.storage_type, self.path_or_inline_dv),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
struct MetaData {
    #[serde(default)]
    format: Format,
    #[serde(rename = "schemaString", default)]
    schema_string: String,
    #[serde(rename = "partitionColumns", default)]
    partition_columns: Vec<String>,
    #[serde(default)]
    configuration: HashMap<String, Option<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
struct Format {
    #[serde(default)]
    provider: String,
}

#[derive(Debug, Clone, Deserialize)]
struct Protocol {
    #[serde(rename = "minReaderVersion")]
    min_reader_version: i64,
    #[serde(rename = "readerFeatures")]
    reader_features: Option<Vec<String>>,
}

/// A live logical file: its decoded path and deletion vector id.
#[derive(Debug, Clone)]
struct Live {
    add: AddAction,
    dv_id: Option<String>,
}

#[derive(Debug, Default)]
struct State {
    protocol: Option<Protocol>,
    meta_data: Option<MetaData>,
    /// Live files by the path as the log spells it (URI-encoded).
    files: HashMap<String, Live>,
}

impl State {
    fn add(&mut self, add: AddAction) {
        let dv_id = add.deletion_vector.as_ref().map(DeletionVector::unique_id);
        self.files.insert(add.path.clone(), Live { add, dv_id });
    }

    fn remove(&mut self, remove: &RemoveAction) {
        let dv_id = remove
            .deletion_vector
            .as_ref()
            .map(DeletionVector::unique_id);
        if self
            .files
            .get(&remove.path)
            .is_some_and(|live| live.dv_id == dv_id)
        {
            self.files.remove(&remove.path);
        }
    }

    /// Actions inside one commit are unordered: its removes apply before its adds, so that a
    /// commit replacing a file's deletion vector (remove old, add new) keeps the new one.
    fn apply_commit(&mut self, actions: Vec<Action>) {
        let mut adds = Vec::new();
        for action in actions {
            if let Some(p) = action.protocol {
                self.protocol = Some(p);
            }
            if let Some(m) = action.meta_data {
                self.meta_data = Some(m);
            }
            if let Some(r) = &action.remove {
                self.remove(r);
            }
            if let Some(a) = action.add {
                adds.push(a);
            }
        }
        for add in adds {
            self.add(add);
        }
    }

    fn finish(self, table: &Path, version: i64) -> Result<DeltaSnapshot, DeltaError> {
        let corrupt = |reason: &str| DeltaError::Corrupt {
            table: table.to_path_buf(),
            reason: reason.to_string(),
        };
        let unsupported = |feature: String, why: &str| DeltaError::Unsupported {
            table: table.to_path_buf(),
            feature,
            why: why.to_string(),
        };
        let protocol = self
            .protocol
            .ok_or_else(|| corrupt("the log has no protocol action"))?;
        let meta = self
            .meta_data
            .ok_or_else(|| corrupt("the log has no metaData action"))?;
        if protocol.min_reader_version > MAX_READER_VERSION {
            return Err(unsupported(
                format!("Delta reader version {}", protocol.min_reader_version),
                "proxyhunt reads Delta reader versions 1 to 3; export the table to Parquet or CSV",
            ));
        }
        let features = protocol.reader_features.unwrap_or_default();
        let unknown: Vec<&str> = features
            .iter()
            .map(String::as_str)
            .filter(|f| !KNOWN_READER_FEATURES.contains(f))
            .collect();
        if !unknown.is_empty() {
            let names = unknown
                .iter()
                .map(|f| quote_value(f, 40))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(unsupported(
                format!("the reader feature(s) {names}"),
                "reading the table correctly needs them; export the table to Parquet or CSV",
            ));
        }
        let mode = meta
            .configuration
            .get("delta.columnMapping.mode")
            .cloned()
            .flatten()
            .unwrap_or_default();
        if !mode.is_empty() && !mode.eq_ignore_ascii_case("none") {
            return Err(unsupported(
                format!(
                    "column mapping (delta.columnMapping.mode = {})",
                    quote_value(&mode, 20)
                ),
                "its data files name columns by physical names or ids (such as col-5f42…), not by \
                 the table's column names; export the table to Parquet or CSV (for example with \
                 Spark: spark.read.table(…).write.parquet(…))",
            ));
        }
        if !meta.format.provider.is_empty() && !meta.format.provider.eq_ignore_ascii_case("parquet")
        {
            return Err(unsupported(
                format!(
                    "data files in format {}",
                    quote_value(&meta.format.provider, 20)
                ),
                "Delta tables proxyhunt reads store Parquet data files",
            ));
        }

        let mut files = Vec::with_capacity(self.files.len());
        for live in self.files.into_values() {
            if live.add.deletion_vector.is_some() {
                return Err(unsupported(
                    "deletion vectors".to_string(),
                    &format!(
                        "rows deleted by DELETE, UPDATE or MERGE are only marked in a deletion \
                         vector, and {} still holds them; purge them first (Databricks / Fabric: \
                         REORG TABLE … APPLY (PURGE)) or export the table to Parquet or CSV",
                        quote_value(&live.add.path, 80)
                    ),
                ));
            }
            let path = resolve_path(table, &live.add.path)?;
            if !path.is_file() {
                return Err(corrupt(&format!(
                    "the live data file {} is missing (removed by VACUUM, or not copied)",
                    quote_value(&live.add.path, 120)
                )));
            }
            let mut partition_values = Vec::with_capacity(meta.partition_columns.len());
            for column in &meta.partition_columns {
                let Some(value) = live.add.partition_values.get(column) else {
                    return Err(corrupt(&format!(
                        "{} has no value for partition column {}",
                        quote_value(&live.add.path, 120),
                        quote_value(column, 60)
                    )));
                };
                // An empty string is the protocol's spelling of a null partition value.
                let value = value.clone().filter(|v| !v.is_empty());
                partition_values.push((column.clone(), value));
            }
            files.push(DeltaFile {
                path,
                partition_values,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(DeltaSnapshot {
            version,
            files,
            partition_columns: meta.partition_columns,
            schema_string: meta.schema_string,
        })
    }
}

/// A log path is a URI: relative to the table folder, or absolute (`file:` only; files in
/// cloud storage are not on this machine).
fn resolve_path(table: &Path, uri: &str) -> Result<PathBuf, DeltaError> {
    let corrupt = |reason: String| DeltaError::Corrupt {
        table: table.to_path_buf(),
        reason,
    };
    let scheme_end = uri.find(':').filter(|&i| {
        i > 1
            && uri[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if let Some(end) = scheme_end {
        let scheme = &uri[..end];
        if !scheme.eq_ignore_ascii_case("file") {
            return Err(DeltaError::Unsupported {
                table: table.to_path_buf(),
                feature: format!("data files outside the table folder ({scheme}:…)"),
                why: format!(
                    "{} is not a local file (a shallow clone?); copy the files and export the \
                     table to Parquet or CSV",
                    quote_value(uri, 120)
                ),
            });
        }
        let rest = &uri[end + 1..];
        let rest = rest.strip_prefix("//").map_or(rest, |r| {
            // file://host/path: only an empty host or localhost is this machine.
            let slash = r.find('/').unwrap_or(r.len());
            let host = &r[..slash];
            if host.is_empty() || host.eq_ignore_ascii_case("localhost") {
                &r[slash..]
            } else {
                r
            }
        });
        let decoded = percent_decode(rest)
            .ok_or_else(|| corrupt(format!("bad %-escape in path {}", quote_value(uri, 120))))?;
        if !decoded.starts_with('/') {
            return Err(corrupt(format!(
                "unusable file URI {}",
                quote_value(uri, 120)
            )));
        }
        return Ok(PathBuf::from(decoded));
    }
    let decoded = percent_decode(uri)
        .ok_or_else(|| corrupt(format!("bad %-escape in path {}", quote_value(uri, 120))))?;
    let relative = Path::new(&decoded);
    let escapes = relative.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if escapes || decoded.is_empty() {
        return Err(corrupt(format!(
            "data file path {} leaves the table folder",
            quote_value(uri, 120)
        )));
    }
    Ok(table.join(relative))
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

fn read_commit(table: &Path, file: &Path) -> Result<Vec<Action>, DeltaError> {
    let io = |source| DeltaError::Io {
        table: table.to_path_buf(),
        path: file.to_path_buf(),
        source,
    };
    let reader = BufReader::new(File::open(file).map_err(io)?);
    let mut actions = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let action: Action =
            serde_json::from_str(&line).map_err(|e| DeltaError::CorruptCommit {
                table: table.to_path_buf(),
                file: file.to_path_buf(),
                line: i + 1,
                reason: format!("not a Delta action: {e}"),
            })?;
        actions.push(action);
    }
    Ok(actions)
}

/// The checkpoint columns read; `sidecar` and `checkpointMetadata` only mark a V2 checkpoint.
const CHECKPOINT_COLUMNS: &[&str] = &[
    "add",
    "metaData",
    "protocol",
    "sidecar",
    "checkpointMetadata",
];

fn read_checkpoint(table: &Path, file: &Path, state: &mut State) -> Result<(), DeltaError> {
    let fail = |reason: String| DeltaError::Checkpoint {
        table: table.to_path_buf(),
        file: file.to_path_buf(),
        reason,
    };
    let handle = File::open(file).map_err(|source| DeltaError::Io {
        table: table.to_path_buf(),
        path: file.to_path_buf(),
        source,
    })?;
    let mut reader = ParquetReader::new(handle);
    let schema = reader
        .schema()
        .map_err(|e| fail(format!("not a readable Parquet file: {e}")))?;
    let mut columns = Vec::new();
    for &name in CHECKPOINT_COLUMNS {
        if let Some(field) = schema.get(name) {
            check_readable(name, &field.dtype).map_err(&fail)?;
            columns.push(name.to_string());
        }
    }
    if columns.is_empty() {
        return Err(fail(
            "it has none of the add, metaData and protocol columns".into(),
        ));
    }
    let df = reader
        .with_columns(Some(columns))
        .finish()
        .map_err(|e| fail(format!("cannot read it: {e}")))?;
    let v2 = ["sidecar", "checkpointMetadata"]
        .iter()
        .filter_map(|c| df.column(c).ok())
        .any(|c| c.null_count() < c.len());
    if v2 {
        return Err(DeltaError::Unsupported {
            table: table.to_path_buf(),
            feature: "a V2 checkpoint (sidecar files)".to_string(),
            why: "export the table to Parquet or CSV".to_string(),
        });
    }
    checkpoint_actions(&df, state).map_err(fail)
}

/// Refuses a checkpoint column whose type the Polars build here cannot convert (it would
/// panic): Delta writers only produce the types listed, nested in structs, lists and maps.
fn check_readable(path: &str, dtype: &ArrowDataType) -> Result<(), String> {
    use ArrowDataType as A;
    match dtype {
        A::Null
        | A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Date32
        | A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::FixedSizeBinary(_)
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View => Ok(()),
        // Without Polars' `timezones` feature a zone name is kept as is, never parsed.
        A::Timestamp(_, _) => Ok(()),
        A::Decimal(p, _) | A::Decimal32(p, _) | A::Decimal64(p, _) if *p <= 38 => Ok(()),
        A::List(f) | A::LargeList(f) | A::Map(f, _) => {
            check_readable(&format!("{path}.{}", f.name), &f.dtype)
        }
        A::Struct(fields) => fields
            .iter()
            .try_for_each(|f| check_readable(&format!("{path}.{}", f.name), &f.dtype)),
        other => Err(format!(
            "column {} has the Parquet type {other:?}, which proxyhunt cannot read",
            escape_unsafe(path)
        )),
    }
}

/// Fields of one struct column, by name; absent fields read as null.
struct StructColumn {
    fields: HashMap<String, Series>,
}

impl StructColumn {
    fn of(df: &DataFrame, name: &str) -> Result<Option<StructColumn>, String> {
        let Ok(column) = df.column(name) else {
            return Ok(None);
        };
        let series = column.as_materialized_series();
        let st = series
            .struct_()
            .map_err(|_| format!("column {name} is not a struct"))?;
        let fields = st
            .fields_as_series()
            .into_iter()
            .map(|s| (s.name().to_string(), s))
            .collect();
        Ok(Some(StructColumn { fields }))
    }

    fn field(&self, name: &str) -> Option<&Series> {
        self.fields.get(name)
    }

    fn string(&self, name: &str, row: usize) -> Result<Option<String>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let ca = s.str().map_err(|_| format!("{name} is not text"))?;
        Ok(ca.get(row).map(str::to_string))
    }

    fn int(&self, name: &str, row: usize) -> Result<Option<i64>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let s = s
            .cast(&polars::prelude::DataType::Int64)
            .map_err(|_| format!("{name} is not an integer"))?;
        let ca = s.i64().map_err(|_| format!("{name} is not an integer"))?;
        Ok(ca.get(row))
    }

    fn is_null(&self, name: &str, row: usize) -> bool {
        self.field(name)
            .is_none_or(|s| s.is_null().get(row).unwrap_or(true))
    }

    /// A `map<string,string>` (read by Polars as a list of key/value structs).
    fn map(
        &self,
        name: &str,
        row: usize,
    ) -> Result<Option<HashMap<String, Option<String>>>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let list = s.list().map_err(|_| format!("{name} is not a map"))?;
        let Some(entries) = list.get_as_series(row) else {
            return Ok(None);
        };
        let st = entries
            .struct_()
            .map_err(|_| format!("{name} is not a map of key/value pairs"))?;
        let kv = st.fields_as_series();
        let (Some(keys), Some(values)) = (kv.first(), kv.get(1)) else {
            return Err(format!("{name} is not a map of key/value pairs"));
        };
        let keys = keys
            .str()
            .map_err(|_| format!("{name} keys are not text"))?;
        let values = values
            .str()
            .map_err(|_| format!("{name} values are not text"))?;
        let mut map = HashMap::new();
        for (k, v) in keys.iter().zip(values.iter()) {
            if let Some(k) = k {
                map.insert(k.to_string(), v.map(str::to_string));
            }
        }
        Ok(Some(map))
    }

    fn strings(&self, name: &str, row: usize) -> Result<Option<Vec<String>>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let list = s.list().map_err(|_| format!("{name} is not a list"))?;
        let Some(items) = list.get_as_series(row) else {
            return Ok(None);
        };
        let items = items
            .str()
            .map_err(|_| format!("{name} items are not text"))?;
        Ok(Some(items.iter().flatten().map(str::to_string).collect()))
    }

    fn nested(&self, name: &str) -> Result<Option<StructColumn>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let st = s.struct_().map_err(|_| format!("{name} is not a struct"))?;
        let fields = st
            .fields_as_series()
            .into_iter()
            .map(|s| (s.name().to_string(), s))
            .collect();
        Ok(Some(StructColumn { fields }))
    }
}

/// The checkpoint's actions into `state`. Its `remove` rows are tombstones kept for VACUUM,
/// not part of the snapshot, and are not read.
fn checkpoint_actions(df: &DataFrame, state: &mut State) -> Result<(), String> {
    let rows = df.height();
    if let Some(add) = StructColumn::of(df, "add")? {
        let dv = add.nested("deletionVector")?;
        for row in 0..rows {
            let Some(path) = add.string("path", row)? else {
                continue;
            };
            let partition_values = add.map("partitionValues", row)?.unwrap_or_default();
            let deletion_vector = match &dv {
                Some(dv) if !add.is_null("deletionVector", row) => Some(DeletionVector {
                    storage_type: dv.string("storageType", row)?.unwrap_or_default(),
                    path_or_inline_dv: dv.string("pathOrInlineDv", row)?.unwrap_or_default(),
                    offset: dv.int("offset", row)?,
                }),
                _ => None,
            };
            state.add(AddAction {
                path,
                partition_values,
                deletion_vector,
            });
        }
    }
    if let Some(meta) = StructColumn::of(df, "metaData")? {
        let format = meta.nested("format")?;
        for row in 0..rows {
            if meta.is_null("schemaString", row) && meta.is_null("partitionColumns", row) {
                continue;
            }
            let provider = match &format {
                Some(f) => f.string("provider", row)?.unwrap_or_default(),
                None => String::new(),
            };
            state.meta_data = Some(MetaData {
                format: Format { provider },
                schema_string: meta.string("schemaString", row)?.unwrap_or_default(),
                partition_columns: meta.strings("partitionColumns", row)?.unwrap_or_default(),
                configuration: meta.map("configuration", row)?.unwrap_or_default(),
            });
        }
    }
    if let Some(protocol) = StructColumn::of(df, "protocol")? {
        for row in 0..rows {
            let Some(min_reader_version) = protocol.int("minReaderVersion", row)? else {
                continue;
            };
            state.protocol = Some(Protocol {
                min_reader_version,
                reader_features: protocol.strings("readerFeatures", row)?,
            });
        }
    }
    Ok(())
}

pub mod source;

#[cfg(test)]
mod tests;
