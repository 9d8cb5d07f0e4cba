//! Which files the `_delta_log` folder holds, and which checkpoint to start from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::*;

/// What the `_delta_log` folder holds.
#[derive(Debug, Default)]
pub(super) struct Listing {
    /// Versions of the JSON commits, ascending.
    pub(super) commits: Vec<i64>,
    /// Classic single-file checkpoints, by version.
    pub(super) classic: BTreeMap<i64, PathBuf>,
    /// Multi-part checkpoint parts: (version, part count) → part number → file.
    pub(super) parts: BTreeMap<(i64, u32), BTreeMap<u32, PathBuf>>,
    /// Versions of UUID-named (V2) checkpoints, which are not read here.
    pub(super) uuid_named: Vec<i64>,
}

pub(super) fn list_log(table: &Path, log_dir: &Path) -> Result<Listing, DeltaError> {
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
pub(super) enum LogName {
    Commit(i64),
    Classic(i64),
    Part { version: i64, part: u32, of: u32 },
    UuidCheckpoint(i64),
}

/// Recognises the log's file names; anything else (`_last_checkpoint`, `.crc`, log
/// compactions, temporary files) is not needed to rebuild the snapshot.
pub(super) fn parse_log_name(name: &str) -> Option<LogName> {
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
pub(super) struct Checkpoint {
    pub(super) version: i64,
    pub(super) parts: Vec<PathBuf>,
}

/// The `_last_checkpoint` hint: only its part count is used, to prefer the part set it names
/// when two writers left different ones for the same version. The listing decides which
/// checkpoint is newest, since `_last_checkpoint` may lag behind.
#[derive(Debug, Deserialize)]
pub(super) struct LastCheckpoint {
    pub(super) version: i64,
    pub(super) parts: Option<u32>,
}

pub(super) fn choose_checkpoint(log_dir: &Path, listing: &Listing) -> Option<Checkpoint> {
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
pub(super) fn check_commits(
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
