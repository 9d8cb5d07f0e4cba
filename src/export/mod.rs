//! Writing findings: csv, json, ndjson, parquet, per the export contract in DESIGN.md.
//! Files are written to a temporary sibling and moved into place, so a reader never sees half a
//! file, and an existing file is kept unless the caller asks to overwrite it.

mod atomic;
mod csv;
mod records;

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use thiserror::Error;

pub use atomic::write_atomically;
pub use records::{json_records, FindingRecord};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    Parquet,
}

impl Format {
    pub fn from_name(name: &str) -> Option<Format> {
        match name.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "json" => Some(Format::Json),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            "parquet" => Some(Format::Parquet),
            _ => None,
        }
    }

    /// The format an output path's extension implies.
    pub fn from_path(path: &Path) -> Option<Format> {
        Format::from_name(path.extension()?.to_str()?)
    }
}

/// How CSV cells that a spreadsheet would run as formulas are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsvSafety {
    /// Prefix cells starting with `=`, `+`, `-`, `@`, tab or CR with `'` (the default).
    Neutralise,
    /// Write cells exactly as they are (`--csv-raw`).
    Raw,
}

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("{0} already exists; use --force to overwrite it")]
    Exists(PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot encode findings: {0}")]
    Polars(#[from] PolarsError),
}

/// Encodes findings in a format into a writer.
pub fn encode(
    findings: &DataFrame,
    format: Format,
    safety: CsvSafety,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    let io = |source| ExportError::Io {
        path: PathBuf::from("-"),
        source,
    };
    match format {
        Format::Ndjson => {
            for record in json_records(findings)? {
                serde_json::to_writer(&mut *out, &record.to_json()).map_err(|e| io(e.into()))?;
                out.write_all(b"\n").map_err(io)?;
            }
        }
        Format::Json => {
            let all: Vec<serde_json::Value> = json_records(findings)?
                .iter()
                .map(FindingRecord::to_json)
                .collect();
            serde_json::to_writer_pretty(&mut *out, &all).map_err(|e| io(e.into()))?;
            out.write_all(b"\n").map_err(io)?;
        }
        Format::Csv => csv::write_csv(findings, safety, out).map_err(io)?,
        Format::Parquet => {
            let mut df = findings.clone();
            let mut buf = Vec::new();
            ParquetWriter::new(&mut buf).finish(&mut df)?;
            out.write_all(&buf).map_err(io)?;
        }
    }
    Ok(())
}

/// Writes findings to a file atomically; refuses to overwrite unless `force`.
pub fn write_file(
    findings: &DataFrame,
    format: Format,
    safety: CsvSafety,
    path: &Path,
    force: bool,
) -> Result<(), ExportError> {
    let mut buf = Vec::new();
    encode(findings, format, safety, &mut buf)?;
    write_atomically(path, &buf, force)
}
