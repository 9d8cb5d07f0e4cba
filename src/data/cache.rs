//! `--cache DIR`: a Parquet copy of each parsed export, so that reopening it skips parsing.
//!
//! An entry is one file's outcome: its typed frames (one Parquet file each, the frames exactly
//! as loading made them, `_SourceLine` included) and a JSON sidecar with what `check` reports and
//! every issue, so that a run from the cache says and finds exactly what a run from the export
//! does. Entries are keyed by the export's path, size and modification time (and the format
//! below): a changed export is parsed again. The sidecar is written last, by rename, so a
//! half-written entry is never read.
//!
//! A filtered run (`hunt`) also keeps, per frame, the rows its filter kept and what it turned
//! away, under the filter's identity (for sign-ins that includes the threat-intel addresses): the
//! next run with the same filter reads only those rows.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};

use polars::prelude::*;
use serde::{Deserialize, Serialize};

use super::formats::parquet::read_frame;
use super::issues::IssueLog;
use super::report::FileReport;
use super::row_filter::{RowFilter, Skipped};
use super::table::schema::TableKind;

/// Bumped whenever frames or sidecars change shape: older entries are then parsed again.
const FORMAT: u32 = 4;

/// What identifies an export's content without reading it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
struct Identity {
    format: u32,
    version: String,
    path: String,
    size: u64,
    modified_ns: u128,
    forced: Option<String>,
}

/// A report as `check` has it, and the Parquet file holding its frame (if it has one).
#[derive(Debug, Clone, Serialize, Deserialize)]
struct ReportRecord {
    report: FileReport,
    frame: Option<String>,
}

/// The rows of a report's frame that a filter keeps, kept once a run has asked for them: a
/// later run with the same filter reads only these.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Subset {
    report: usize,
    filter: String,
    file: String,
    skipped: Skipped,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Sidecar {
    identity: Identity,
    reports: Vec<ReportRecord>,
    names: Vec<String>,
    issues: IssueLog,
    subsets: Vec<Subset>,
}

/// One cached export, read back.
pub struct Entry {
    dir: PathBuf,
    key: String,
    sidecar: Sidecar,
}

/// A frame of an entry as a run wants it: filtered or whole.
pub struct CachedFrame {
    pub table: TableKind,
    pub frame: DataFrame,
    pub skipped: Skipped,
}

fn identity(path: &Path, forced: Option<TableKind>) -> Option<Identity> {
    let meta = std::fs::metadata(path).ok()?;
    let modified = meta
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(Identity {
        format: FORMAT,
        version: env!("CARGO_PKG_VERSION").to_string(),
        path: std::fs::canonicalize(path).ok()?.display().to_string(),
        size: meta.len(),
        modified_ns: modified.as_nanos(),
        forced: forced.map(|t| t.name().to_string()),
    })
}

fn key(identity: &Identity) -> String {
    let mut h = DefaultHasher::new();
    identity.hash(&mut h);
    format!("{:016x}", h.finish())
}

impl Entry {
    /// The cached outcome of `path`, if there is a current one.
    pub fn find(dir: &Path, path: &Path, forced: Option<TableKind>) -> Option<Entry> {
        let identity = identity(path, forced)?;
        let key = key(&identity);
        let text = std::fs::read(dir.join(format!("{key}.json"))).ok()?;
        let sidecar: Sidecar = serde_json::from_slice(&text).ok()?;
        (sidecar.identity == identity).then(|| Entry {
            dir: dir.to_path_buf(),
            key,
            sidecar,
        })
    }

    /// The tables the export holds.
    pub fn tables(&self) -> impl Iterator<Item = TableKind> + '_ {
        self.sidecar
            .reports
            .iter()
            .filter_map(|r| r.report.table_kind())
    }

    pub fn names(&self) -> &[String] {
        &self.sidecar.names
    }

    pub fn issues(&self) -> &IssueLog {
        &self.sidecar.issues
    }

    /// The reports, with the frames each has (filtered by `filter_for` its table, if it gives
    /// one). `None` when a frame cannot be read: the export is then parsed again.
    pub fn load(
        &self,
        filter_for: &dyn Fn(TableKind) -> Option<RowFilter>,
    ) -> Option<Vec<(FileReport, Option<CachedFrame>)>> {
        let mut out = Vec::new();
        let mut new_subsets = Vec::new();
        for (i, r) in self.sidecar.reports.iter().enumerate() {
            let mut report = r.report.clone();
            let kind = report.table_kind();
            let frame = match (&r.frame, kind) {
                (Some(file), Some(table)) => {
                    let filter = filter_for(table);
                    let (frame, skipped) =
                        self.frame(i, file, table, filter.as_ref(), &mut new_subsets)?;
                    report.rows_loaded = frame.height();
                    report.rows_skipped = skipped.rows;
                    Some(CachedFrame {
                        table,
                        frame,
                        skipped,
                    })
                }
                _ => None,
            };
            out.push((report, frame));
        }
        if !new_subsets.is_empty() {
            let mut sidecar = self.sidecar.clone();
            sidecar.subsets.extend(new_subsets);
            // Only saves later work: a failure here changes nothing of this run.
            let _ = write_sidecar(&self.dir, &self.key, &sidecar);
        }
        Some(out)
    }

    /// Report `i`'s frame, from `file`: whole, or the rows `filter` keeps (from its kept subset
    /// if a run kept one; else filtered now, and the subset kept in `new_subsets`).
    fn frame(
        &self,
        i: usize,
        file: &str,
        table: TableKind,
        filter: Option<&RowFilter>,
        new_subsets: &mut Vec<Subset>,
    ) -> Option<(DataFrame, Skipped)> {
        let Some(f) = filter else {
            return read_frame(&self.dir.join(file), table, None).ok();
        };
        if let Some(s) = self.subset(i, &f.identity) {
            let (frame, _) = read_frame(&self.dir.join(&s.file), table, None).ok()?;
            return Some((frame, s.skipped));
        }
        let (frame, skipped) = read_frame(&self.dir.join(file), table, Some(f)).ok()?;
        let name = format!("{}-{i}-{}.parquet", self.key, hashed(&f.identity));
        if write_parquet(&self.dir, &name, &frame).is_ok() {
            new_subsets.push(Subset {
                report: i,
                filter: f.identity.clone(),
                file: name,
                skipped,
            });
        }
        Some((frame, skipped))
    }

    fn subset(&self, report: usize, filter: &str) -> Option<&Subset> {
        self.sidecar
            .subsets
            .iter()
            .find(|s| s.report == report && s.filter == filter)
    }
}

fn hashed(text: &str) -> String {
    let mut h = DefaultHasher::new();
    text.hash(&mut h);
    format!("{:016x}", h.finish())
}

/// Writes a frame as `dir/name`, by rename from a temporary file.
fn write_parquet(dir: &Path, name: &str, frame: &DataFrame) -> std::io::Result<()> {
    let tmp = dir.join(format!("{name}.tmp"));
    let mut df = frame.clone();
    // LZ4 decompresses several times faster than the default zstd, and reading back is what
    // the cache is for.
    ParquetWriter::new(std::fs::File::create(&tmp)?)
        .with_compression(ParquetCompression::Lz4Raw)
        .finish(&mut df)
        .map_err(std::io::Error::other)?;
    std::fs::rename(&tmp, dir.join(name))
}

/// Writes the sidecar last, by rename: its presence says the entry is whole.
fn write_sidecar(dir: &Path, key: &str, sidecar: &Sidecar) -> std::io::Result<()> {
    let tmp = dir.join(format!("{key}.json.tmp"));
    std::fs::write(&tmp, serde_json::to_vec(sidecar)?)?;
    std::fs::rename(&tmp, dir.join(format!("{key}.json")))
}

/// Writes an export's whole outcome (`frames[i]` belongs to `reports[i]`) to the cache, and
/// returns the entry (`None` when the export cannot be identified, so cannot be cached).
pub fn store(
    dir: &Path,
    path: &Path,
    forced: Option<TableKind>,
    reports: &[FileReport],
    frames: &[Option<&DataFrame>],
    names: &[String],
    issues: &IssueLog,
) -> std::io::Result<Option<Entry>> {
    let Some(identity) = identity(path, forced) else {
        return Ok(None);
    };
    std::fs::create_dir_all(dir)?;
    let key = key(&identity);
    let mut records = Vec::new();
    for (n, (r, frame)) in reports.iter().zip(frames).enumerate() {
        let file = match frame {
            Some(df) => {
                let name = format!("{key}-{n}.parquet");
                write_parquet(dir, &name, df)?;
                Some(name)
            }
            None => None,
        };
        records.push(ReportRecord {
            report: r.clone(),
            frame: file,
        });
    }
    let sidecar = Sidecar {
        identity,
        reports: records,
        names: names.to_vec(),
        issues: issues.clone(),
        subsets: Vec::new(),
    };
    write_sidecar(dir, &key, &sidecar)?;
    Ok(Some(Entry {
        dir: dir.to_path_buf(),
        key,
        sidecar,
    }))
}
