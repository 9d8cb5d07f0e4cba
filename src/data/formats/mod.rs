//! The formats exports come in, one module each, all behind [`Source`]: [`csv`], [`json`]
//! (documents and NDJSON), [`parquet`], [`xlsx`], and [`delta`] tables (folders of Parquet). This module decides a file's format (by extension,
//! else by content), undoes gzip ([`gzip`]), and opens the file's sources. Any failure is
//! reported in the issue log and yields no source, never a panic.

pub mod blocks;
pub mod csv;
pub mod delta;
pub mod gzip;
pub mod json;
pub mod parquet;
pub mod xlsx;

use super::file_name::base_name;
use super::issues::{Issue, IssueLog, Severity};
use super::source::Source;
use super::table::schema::TableKind;

/// The format a file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Ndjson,
    Parquet,
    Xlsx,
}

/// The format a file is read as: by extension, else by content (`head`: its first bytes, after
/// decompression).
pub fn sniff(path: &str, head: &[u8]) -> Format {
    match base_name(path).1 {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some("ndjson") => Format::Ndjson,
        Some("parquet") => Format::Parquet,
        Some("xlsx") => Format::Xlsx,
        _ if head.starts_with(b"PAR1") => Format::Parquet,
        _ => match head.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[' | b'{') => Format::Json,
            _ => Format::Csv,
        },
    }
}

/// Reports gzip damage: an error when records may be lost, a warning for ignored trailing bytes.
pub fn report_damage(name: &str, damage: &gzip::Damage, log: &mut IssueLog) {
    let severity = if damage.loses_data() {
        Severity::Error
    } else {
        Severity::Warning
    };
    log.push(
        "gzip",
        Issue {
            severity,
            ..Issue::file_error(name, damage.message())
        },
    );
}

/// Opens one file's bytes (`name` for messages, `path` as given). `hint` is the table the file
/// is known to hold (by `--table` or its name): JSON readers then keep only the keys that table
/// reads.
pub fn open(
    name: &str,
    path: &str,
    bytes: Vec<u8>,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Vec<Box<dyn Source>> {
    let mut owned = bytes;
    if gzip::is_gzip(&owned) {
        let (plain, damage) = gzip::decompress(&owned);
        if let Some(d) = &damage {
            report_damage(name, d, log);
        }
        if plain.is_empty() && damage.is_some() {
            return Vec::new();
        }
        owned = plain;
    }
    let bom = if owned.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let bytes = &owned[bom..];
    // A workbook is a zip archive: never text, whatever its name says.
    if base_name(path).1 == Some("xlsx")
        || bytes.starts_with(b"PK\x03\x04") && base_name(path).1.is_none()
    {
        return xlsx::source::open(name, path, owned, log)
            .map(|s| Box::new(s) as Box<dyn Source>)
            .into_iter()
            .collect();
    }
    if bytes.iter().all(u8::is_ascii_whitespace) {
        log.push("empty", Issue::file_error(name, "file is empty"));
        return Vec::new();
    }
    match sniff(path, bytes) {
        Format::Csv => csv::open(name, path, owned, bom, log)
            .map(|s| Box::new(s) as Box<dyn Source>)
            .into_iter()
            .collect(),
        Format::Json => json::open_document(name, path, owned, bom, hint, log),
        Format::Ndjson => json::ndjson::open(name, path, owned, bom, hint, log)
            .into_iter()
            .collect(),
        Format::Parquet => parquet::open_bytes(name, path, owned, log)
            .map(|s| Box::new(s) as Box<dyn Source>)
            .into_iter()
            .collect(),
        Format::Xlsx => xlsx::source::open(name, path, owned, log)
            .map(|s| Box::new(s) as Box<dyn Source>)
            .into_iter()
            .collect(),
    }
}
