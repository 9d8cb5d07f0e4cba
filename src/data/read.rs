//! Turning a file's bytes into [`RawSource`]s: decompression, format sniffing, and the CSV
//! header. Any failure is reported in the issue log and yields no source, never a panic.

use std::io::{Cursor, Read};

use flate2::read::MultiGzDecoder;
use polars::prelude::*;

use super::csv::{field_bytes, CsvError, Record, Records};
use super::issues::{Issue, IssueLog};
use super::json::read_json;
use super::lines::read_lines;
use super::parquet::parquet_headers;
use super::raw::{clean_header, Addressing, RawBody, RawSource};
use super::schema::TableKind;

/// The format a file is read as.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Csv,
    Json,
    Lines,
    Parquet,
}

/// The file name without compression and format extensions, lower-cased.
pub fn base_name(path: &str) -> (String, Option<&'static str>) {
    let file = path
        .rsplit(['/', '\\'])
        .next()
        .unwrap_or(path)
        .to_ascii_lowercase();
    let file = file.strip_suffix(".gz").unwrap_or(&file).to_string();
    for (ext, fmt) in [
        (".csv", "csv"),
        (".tsv", "csv"),
        (".json", "json"),
        (".ndjson", "ndjson"),
        (".jsonl", "ndjson"),
        (".parquet", "parquet"),
    ] {
        if let Some(stem) = file.strip_suffix(ext) {
            return (stem.to_string(), Some(fmt));
        }
    }
    (file, None)
}

/// The format a file is read as: by extension, else by content.
fn sniff(path: &str, bytes: &[u8]) -> Format {
    match base_name(path).1 {
        Some("csv") => Format::Csv,
        Some("json") => Format::Json,
        Some("ndjson") => Format::Lines,
        Some("parquet") => Format::Parquet,
        _ if bytes.starts_with(b"PAR1") => Format::Parquet,
        _ => match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
            Some(b'[' | b'{') => Format::Json,
            _ => Format::Csv,
        },
    }
}

/// Whether a file starting with `head` is plain (uncompressed) CSV, which can be read in blocks.
pub fn is_plain_csv(path: &str, head: &[u8]) -> bool {
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    !head.starts_with(&[0x1f, 0x8b]) && sniff(path, head) == Format::Csv
}

/// Reads one file's bytes (`name` for messages, `path` as given).
/// `hint` is the table the file is known to hold (by `--table` or its name): JSON readers then keep
/// only the keys that table reads.
pub fn read_bytes(
    name: &str,
    path: &str,
    bytes: Vec<u8>,
    hint: Option<TableKind>,
    log: &mut IssueLog,
) -> Vec<RawSource> {
    let mut owned = bytes;
    if owned.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::new();
        if let Err(e) = MultiGzDecoder::new(owned.as_slice()).read_to_end(&mut out) {
            log.push(
                "unreadable",
                Issue::file_error(name, format!("cannot decompress gzip: {e}")),
            );
            return Vec::new();
        }
        owned = out;
    }
    let bom = if owned.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let bytes = &owned[bom..];
    if bytes.iter().all(u8::is_ascii_whitespace) {
        log.push("empty", Issue::file_error(name, "file is empty"));
        return Vec::new();
    }
    let format = sniff(path, bytes);
    match format {
        Format::Csv => read_csv(name, path, owned, bom, log).into_iter().collect(),
        Format::Json => read_json(name, path, bytes, hint, log),
        Format::Lines => vec![read_lines(name, path, owned, bom, hint, log)],
        Format::Parquet => read_parquet(name, path, owned, log).into_iter().collect(),
    }
}

/// `owned` is the whole file; its text starts at `start` (after a BOM).
fn read_csv(
    name: &str,
    path: &str,
    owned: Vec<u8>,
    start: usize,
    log: &mut IssueLog,
) -> Option<RawSource> {
    let bytes = &owned[start..];
    let mut records = Records::new(bytes);
    let mut header = Record::default();
    match records.next_into(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            log.push("empty", Issue::file_error(name, "file is empty"));
            return None;
        }
        Err(CsvError::UnterminatedQuote { line }) => {
            log.push(
                "unreadable",
                Issue::file_error(
                    name,
                    format!("line {line}: header row has a quote that is never closed"),
                ),
            );
            return None;
        }
    }
    let headers = header
        .fields
        .iter()
        .map(|f| clean_header(&String::from_utf8_lossy(&field_bytes(bytes, *f))))
        .collect();
    let body_start = records.position();
    let body_line = line_at(bytes, body_start);
    Some(RawSource {
        name: name.to_string(),
        path: path.to_string(),
        format: "csv",
        headers,
        addressing: Addressing::Lines,
        body: RawBody::Csv {
            body_start: start + body_start,
            bytes: owned,
            body_line,
            split: true,
        },
        rejected: 0,
    })
}

fn line_at(bytes: &[u8], offset: usize) -> u64 {
    1 + memchr::memchr_iter(b'\n', &bytes[..offset]).count() as u64
}

fn read_parquet(name: &str, path: &str, bytes: Vec<u8>, log: &mut IssueLog) -> Option<RawSource> {
    let headers = parquet_headers(&mut ParquetReader::new(Cursor::new(bytes.as_slice())));
    parquet_source(name, path, headers, RawBody::Parquet(bytes), log)
}

/// A Parquet file on disk, left there for Polars to map.
pub fn read_parquet_file(
    name: &str,
    path: &std::path::Path,
    log: &mut IssueLog,
) -> Option<RawSource> {
    let headers = std::fs::File::open(path)
        .map_err(PolarsError::from)
        .and_then(|f| parquet_headers(&mut ParquetReader::new(f)));
    let body = RawBody::ParquetFile(path.to_path_buf());
    parquet_source(name, &path.display().to_string(), headers, body, log)
}

fn parquet_source(
    name: &str,
    path: &str,
    headers: PolarsResult<Vec<String>>,
    body: RawBody,
    log: &mut IssueLog,
) -> Option<RawSource> {
    let headers = match headers {
        Ok(s) => s,
        Err(e) => {
            log.push(
                "unreadable",
                Issue::file_error(name, format!("not a readable Parquet file: {e}")),
            );
            return None;
        }
    };
    Some(RawSource {
        name: name.to_string(),
        path: path.to_string(),
        format: "parquet",
        headers,
        addressing: Addressing::Rows,
        body,
        rejected: 0,
    })
}
