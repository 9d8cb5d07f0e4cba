//! Reading one file into a [`FileOutcome`]: choosing how (mapped Parquet, a Delta table, a pipe
//! spooled to disk, large CSV and any NDJSON streamed, the rest whole) and handing its sources on
//! to be recognised and typed.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

use super::input::FileInput;
use super::outcome::FileOutcome;
use super::reading::{type_sources, Reading, HEAD_BYTES};
use super::stream::csv::stream_csv;
use super::stream::ndjson::{read_ndjson, stream_ndjson, Text};
use crate::data::discover::{os_error, Input, InputKind};
use crate::data::formats::gzip::{self, is_gzip};
use crate::data::formats::json::starts_ndjson;
use crate::data::formats::{self, delta, parquet, report_damage, sniff, Format};
use crate::data::source::Source;
use crate::data::table::recognise::table_from_file_name;

/// Reads one input; any failure becomes a reported, unreadable outcome.
pub fn read_input(input: &Input, reading: &Reading) -> FileOutcome {
    let display = input.display();
    let outcome = match input.kind {
        InputKind::File => read_path(&input.path, &display, reading),
        InputKind::Pipe => File::open(&input.path).and_then(|f| read_spooled(f, &display, reading)),
        InputKind::Stdin => read_spooled(io::stdin().lock(), &display, reading),
        InputKind::Delta => {
            let mut out = FileOutcome::empty();
            let sources = delta::source::open(&input.path, &display, &mut out.issues)
                .map(|s| Box::new(s) as Box<dyn Source>)
                .into_iter()
                .collect();
            Ok(type_sources(&display, sources, reading, out))
        }
    };
    outcome.unwrap_or_else(|e| {
        FileOutcome::unreadable(&display, format!("cannot read: {}", os_error(&e)))
    })
}

/// Reads a pipe: copied to a temporary file first (it can be read only once, and may be larger
/// than memory), then read as that file under the pipe's name.
fn read_spooled(mut input: impl Read, display: &str, reading: &Reading) -> io::Result<FileOutcome> {
    let mut spool = tempfile::NamedTempFile::new()?;
    io::copy(&mut input, spool.as_file_mut())?;
    read_path(spool.path(), display, reading)
}

/// Reads, recognises and types one file held in memory.
pub fn read_bytes(display: &str, bytes: Vec<u8>, reading: &Reading) -> FileOutcome {
    let mut out = FileOutcome::empty();
    let bytes = if is_gzip(&bytes) {
        let (plain, damage) = gzip::decompress(&bytes);
        if let Some(d) = &damage {
            report_damage(display, d, &mut out.issues);
        }
        plain
    } else {
        bytes
    };
    // NDJSON is read in one pass, as a large file is.
    let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
    let ndjson = match sniff(display, text) {
        Format::Ndjson => true,
        Format::Json => starts_ndjson(text),
        _ => false,
    };
    if ndjson {
        if let Ok(Some(mut read)) = read_ndjson(Text::Memory(&bytes), display, reading) {
            let mut issues = std::mem::take(&mut out.issues);
            issues.extend(read.issues);
            read.issues = issues;
            return read;
        }
    }
    let hint = reading.forced.or_else(|| table_from_file_name(display));
    let sources = formats::open(display, display, bytes, hint, &mut out.issues);
    type_sources(display, sources, reading, out)
}

/// Reads one file from disk: Parquet mapped, large CSV and NDJSON in blocks, the rest whole.
pub fn read_path(file: &Path, display: &str, reading: &Reading) -> io::Result<FileOutcome> {
    let size = std::fs::metadata(file)?.len();
    let mut handle = File::open(file)?;
    let mut head = Vec::with_capacity(8);
    (&mut handle).take(8).read_to_end(&mut head)?;
    if head.starts_with(b"PAR1") {
        let mut out = FileOutcome::empty();
        let sources = parquet::open_file(display, file, &mut out.issues)
            .map(|s| Box::new(s) as Box<dyn Source>)
            .into_iter()
            .collect();
        return Ok(type_sources(display, sources, reading, out));
    }
    let gz = is_gzip(&head);
    let large = if gz {
        size > (reading.block / 4) as u64
    } else {
        size > reading.block as u64
    };
    if large {
        let mut input = FileInput::open(file)?;
        let mut head = Vec::with_capacity(HEAD_BYTES);
        (&mut input)
            .take(HEAD_BYTES as u64)
            .read_to_end(&mut head)?;
        let text = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&head);
        match sniff(display, text) {
            Format::Csv => return stream_csv(file, display, input, head, reading),
            Format::Ndjson | Format::Json if starts_ndjson(text) => {
                return match read_ndjson(Text::File(file), display, reading)? {
                    Some(out) => Ok(out),
                    None => stream_ndjson(file, display, reading),
                };
            }
            _ => {
                // Documents are read whole.
                let mut bytes = head;
                input.read_to_end(&mut bytes)?;
                let mut out = FileOutcome::empty();
                input.report_damage(display, &mut out.issues);
                let hint = reading.forced.or_else(|| table_from_file_name(display));
                let sources = formats::open(display, display, bytes, hint, &mut out.issues);
                return Ok(type_sources(display, sources, reading, out));
            }
        }
    }
    let mut bytes = head;
    handle.read_to_end(&mut bytes)?;
    Ok(read_bytes(display, bytes, reading))
}
