//! Writing findings: csv, json, ndjson, parquet, per the export contract in DESIGN.md, optionally
//! gzip-compressed. Files are written safely (see [`atomic`]): to a temporary sibling moved into
//! place, never over an existing file without `force`, never over an input, a link or a device.
//! JSON text escapes control and bidi characters (exactly, as `\uXXXX`); CSV bound for a
//! terminal escapes them as the console does, CSV for a file keeps values exact.

mod atomic;
mod csv;
pub mod events;
pub mod json;
mod parquet;
mod records;
mod target;

use std::io::Write;
use std::path::{Path, PathBuf};

use polars::prelude::*;
use thiserror::Error;

pub use atomic::{
    check_destination, remove_temporaries, write_atomically, write_with, Destination, Links,
};
pub use records::{json_records, FindingColumns, FindingRecord};
pub use target::OutputSpec;

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

    pub fn name(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
            Format::Parquet => "parquet",
        }
    }

    /// The format an output path's extension implies (`.gz` looked through).
    pub fn from_path(path: &Path) -> Option<Format> {
        let name = path.file_name()?.to_string_lossy().to_ascii_lowercase();
        let stem = name.strip_suffix(".gz").unwrap_or(&name);
        Format::from_name(Path::new(stem).extension()?.to_str()?)
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

/// Where encoded findings go: a file or pipe keeps values exact; a terminal gets CSV cells
/// with control and bidi characters escaped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    File,
    Terminal,
}

#[derive(Debug, Error)]
pub enum ExportError {
    #[error("{0} already exists; use --force to overwrite it")]
    Exists(PathBuf),
    #[error("{0} is a symbolic link; findings are never written through a link nor replace one (give the path it points to)")]
    Symlink(PathBuf),
    #[error("cannot write {0}: its folder is not a directory")]
    ParentNotADirectory(PathBuf),
    #[error("{0} is a directory; give a file name")]
    IsDirectory(PathBuf),
    #[error("{path} is a {kind}; findings go to a regular file, a FIFO or a character device")]
    NotAFile { path: PathBuf, kind: &'static str },
    #[error("{path} is also an input ({input}); it is never overwritten, even with --force")]
    IsInput { path: PathBuf, input: PathBuf },
    #[error("{0} changed while it was being opened (no longer a FIFO or device); nothing written")]
    Changed(PathBuf),
    #[error("{path}: the name says {named} but --format {given} was given; use a name ending in .{given} (or drop --format)")]
    FormatMismatch {
        path: PathBuf,
        named: &'static str,
        given: &'static str,
    },
    #[error("{path}: unknown extension {ext:?}; name the file {known}, or give --format")]
    UnknownExtension {
        path: PathBuf,
        ext: String,
        known: &'static str,
    },
    #[error("{path}: the extension {ext:?} names a format proxyhunt does not write; name the file {known}")]
    ClaimedExtension {
        path: PathBuf,
        ext: String,
        known: &'static str,
    },
    #[error(
        "{path}: cannot tell the format from the name; name the file {known}, or give --format"
    )]
    NoFormat { path: PathBuf, known: &'static str },
    /// `error` is in the message and deliberately not a `source`: printing the chain would
    /// repeat it.
    #[error("cannot write {path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error("{0} is a terminal; Parquet is not written to a terminal (give a file name)")]
    Terminal(PathBuf),
    #[error("cannot encode findings: {0}")]
    Encode(String),
    /// A format this writer does not give (go hunt's events as Parquet).
    #[error("{path}: {what}")]
    NotFor { path: PathBuf, what: &'static str },
}

impl From<PolarsError> for ExportError {
    fn from(e: PolarsError) -> Self {
        ExportError::Encode(e.to_string())
    }
}

fn encode_io(source: std::io::Error) -> ExportError {
    ExportError::Io {
        path: PathBuf::from("-"),
        error: source,
    }
}

/// Encodes findings in a format into a writer bound for a file or pipe.
pub fn encode(
    findings: &DataFrame,
    format: Format,
    safety: CsvSafety,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    encode_to(findings, format, safety, Sink::File, out)
}

/// Encodes findings for `sink`.
pub fn encode_to(
    findings: &DataFrame,
    format: Format,
    safety: CsvSafety,
    sink: Sink,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    encode_shaped(findings, Shape::Findings, format, safety, sink, out)
}

/// What a frame holds, which decides its columns in export.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Findings: each record has its type's projected columns, then the extras (the contract).
    Findings,
    /// Any other table (chains): every column, in the frame's order.
    Table,
}

/// Encodes a frame of `shape` for `sink`.
pub fn encode_shaped(
    frame: &DataFrame,
    shape: Shape,
    format: Format,
    safety: CsvSafety,
    sink: Sink,
    out: &mut dyn Write,
) -> Result<(), ExportError> {
    match (format, shape) {
        // Findings are written a record at a time: never the whole output as values at once.
        (Format::Ndjson, Shape::Findings) => {
            let columns = FindingColumns::new(frame)?;
            json::write_lines(out, columns.records()).map_err(encode_io)?
        }
        (Format::Json, Shape::Findings) => {
            let columns = FindingColumns::new(frame)?;
            json::write_array(out, || columns.records()).map_err(encode_io)?
        }
        (Format::Ndjson, Shape::Table) => {
            json::write_lines(out, records::table_records(frame)?).map_err(encode_io)?
        }
        (Format::Json, Shape::Table) => {
            let rows = records::table_records(frame)?;
            json::write_array(out, || rows.iter()).map_err(encode_io)?
        }
        (Format::Csv, Shape::Findings) => {
            csv::write_csv(frame, safety, sink, out).map_err(encode_io)?
        }
        (Format::Csv, Shape::Table) => {
            let (names, columns) = records::table_columns(frame)?;
            csv::write_columns(&names, &columns, frame.height(), safety, sink, out)
                .map_err(encode_io)?
        }
        (Format::Parquet, _) => parquet::write_parquet(frame, out)?,
    }
    Ok(())
}

/// Writes findings to a file (see [`atomic`]); refuses to overwrite unless `force`. The name
/// decides compression: `.gz` is gzip. Nothing is checked against inputs: see
/// [`write_findings`].
pub fn write_file(
    findings: &DataFrame,
    format: Format,
    safety: CsvSafety,
    path: &Path,
    force: bool,
) -> Result<(), ExportError> {
    write_findings(findings, format, safety, path, force, &[])
}

/// Whether `path` is a terminal (a character device that says it is one).
fn is_terminal_path(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::io::IsTerminal;
        use std::os::unix::fs::FileTypeExt;
        let device = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device());
        device
            && std::fs::OpenOptions::new()
                .write(true)
                .open(path)
                .is_ok_and(|f| f.is_terminal())
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        false
    }
}

/// [`write_file`], never overwriting a file at or under `inputs`.
pub fn write_findings(
    findings: &DataFrame,
    format: Format,
    safety: CsvSafety,
    path: &Path,
    force: bool,
    inputs: &[PathBuf],
) -> Result<(), ExportError> {
    write_shaped(
        findings,
        Shape::Findings,
        format,
        safety,
        path,
        force,
        inputs,
    )
}

/// [`write_findings`] for a frame of any [`Shape`].
pub fn write_shaped(
    findings: &DataFrame,
    shape: Shape,
    format: Format,
    safety: CsvSafety,
    path: &Path,
    force: bool,
    inputs: &[PathBuf],
) -> Result<(), ExportError> {
    let gzip = OutputSpec::for_path(Some(path), Some(format), format)?.gzip;
    let dest = Destination {
        path,
        force,
        links: Links::Refuse,
        inputs,
    };
    // A terminal named as a file (`--out /dev/tty`) gets what standard output on a terminal
    // gets: escaped text, and no Parquet.
    let sink = if is_terminal_path(path) {
        if format == Format::Parquet {
            return Err(ExportError::Terminal(path.to_path_buf()));
        }
        Sink::Terminal
    } else {
        Sink::File
    };
    write_with(&dest, gzip, &mut |w| {
        encode_shaped(findings, shape, format, safety, sink, w).map_err(|e| match e {
            ExportError::Io { error, .. } => ExportError::Io {
                path: path.to_path_buf(),
                error,
            },
            other => other,
        })
    })
}
