//! Reading one file into a [`FileOutcome`]: opening it (mapped Parquet, streamed blocks for
//! large CSV and NDJSON, gzip on the way), recognising each of its sources, and typing them.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;
use std::sync::Arc;

use super::datetimes::{decide, settle, settle_later};
use super::ndjson::{read_ndjson, Text};
use super::outcome::FileOutcome;
use crate::data::discover::{os_error, Input, InputKind};
use crate::data::formats::blocks::{Blocks, Boundary, Oversized};
use crate::data::formats::csv::{self, tokenizer::newline_of, CsvSource};
use crate::data::formats::gzip::{self, is_gzip, GzipReader};
use crate::data::formats::json::ndjson::{self, NdjsonSource, Scan};
use crate::data::formats::json::starts_ndjson;
use crate::data::formats::{self, delta, parquet, report_damage, sniff, Format};
use crate::data::issues::{Issue, IssueLog};
use crate::data::normalize::{normalize, Normalized, Plan};
use crate::data::report::FileReport;
use crate::data::row_filter::RowFilters;
use crate::data::source::{Source, SourceMeta};
use crate::data::table::recognise::{recognise, table_from_file_name, RecognisedBy};
use crate::data::table::schema::TableKind;
use crate::data::values::locale::DateOrder;

/// How to read one file.
pub struct Reading<'a> {
    /// The table `--table` says the file holds.
    pub forced: Option<TableKind>,
    pub filters: &'a RowFilters,
    /// Whether to give up on a file holding a deferred table (the first pass).
    pub may_defer: bool,
    /// Large CSV and NDJSON files are read in blocks of this many bytes.
    pub block: usize,
    /// `--date-order`: how to read day/month in portal CSV datetimes the values leave open.
    pub date_order: Option<DateOrder>,
    /// Records longer than this are skipped.
    pub max_record: usize,
    /// Only these columns of each table are read (see [`super::LoadOptions::only_columns`]).
    pub only_columns: Option<super::ColumnsOf>,
}

impl Reading<'_> {
    /// Whether a file holding `table` waits for the second pass.
    pub fn defers(&self, table: Option<TableKind>) -> bool {
        self.may_defer && table.is_some_and(|t| self.filters.is_deferred(t))
    }

    /// The same reading without filters (what the cache keeps).
    pub fn whole(&self) -> Reading<'static> {
        static NONE: std::sync::LazyLock<RowFilters> =
            std::sync::LazyLock::new(RowFilters::default);
        Reading {
            forced: self.forced,
            filters: &NONE,
            may_defer: false,
            block: self.block,
            date_order: self.date_order,
            max_record: self.max_record,
            // What the cache keeps is every column.
            only_columns: None,
        }
    }
}

/// Bytes read ahead to tell a streamed file's format.
const HEAD_BYTES: usize = 1 << 20;

/// A file's bytes as they are read: plain, or decompressed.
pub(super) enum FileInput {
    Plain(BufReader<File>),
    Gzip(Box<GzipReader<BufReader<File>>>),
}

impl FileInput {
    pub(super) fn open(path: &Path) -> io::Result<FileInput> {
        let mut file = BufReader::with_capacity(1 << 16, File::open(path)?);
        let gz = {
            use std::io::BufRead;
            is_gzip(file.fill_buf()?)
        };
        Ok(if gz {
            FileInput::Gzip(Box::new(GzipReader::new(file)))
        } else {
            FileInput::Plain(file)
        })
    }

    pub(super) fn report_damage(&self, name: &str, log: &mut IssueLog) {
        if let FileInput::Gzip(g) = self {
            if let Some(d) = g.damage() {
                report_damage(name, d, log);
            }
        }
    }
}

impl Read for FileInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            FileInput::Plain(r) => r.read(buf),
            FileInput::Gzip(r) => r.read(buf),
        }
    }
}

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

/// Reports the records a streamed file had to skip for their length.
pub(super) fn report_oversized(
    display: &str,
    oversized: &[Oversized],
    bound: usize,
    report: &mut FileReport,
    log: &mut IssueLog,
) {
    for o in oversized {
        report.rows_rejected += 1;
        let msg = format!(
            "a record of {} bytes, longer than the {} MiB proxyhunt holds; skipped",
            o.bytes,
            bound >> 20
        );
        log.push(
            "oversized",
            Issue {
                location: Some(crate::data::issues::Location::Line(o.line)),
                ..Issue::file_error(display, msg)
            },
        );
    }
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

/// What a source is to the run: which table, and how its rows are typed.
pub(super) enum Typing<'f> {
    Deferred,
    NotRecognised(String),
    Unusable(TableKind, RecognisedBy, String),
    Ready(TableKind, RecognisedBy, Plan<'f>),
}

pub(super) fn typing<'f>(meta: &SourceMeta, reading: &Reading<'f>) -> Typing<'f> {
    let recognised = match (reading.forced, meta.table_hint, &meta.category) {
        (None, Some(t), _) => Ok((t, RecognisedBy::Category)),
        (None, None, Some(category)) => Err(format!(
            "streaming-API records of {category}: not one of the four tables proxyhunt reads; skipped"
        )),
        (forced, ..) => recognise(&meta.path, &meta.headers, forced),
    };
    let (table, by) = match recognised {
        Err(why) => return Typing::NotRecognised(why),
        Ok(found) => found,
    };
    if reading.defers(Some(table)) {
        return Typing::Deferred;
    }
    match Plan::new(&meta.headers, table, reading.filters.now.get(&table)) {
        Err(unusable) => Typing::Unusable(table, by, unusable.to_string()),
        Ok(mut plan) => {
            if let Some(columns) = reading.only_columns {
                plan.keep_only(&columns(table));
            }
            Typing::Ready(table, by, plan)
        }
    }
}

/// A report for a source, filled as far as its typing goes; the plan when it can be typed.
pub(super) fn report_of<'f>(
    meta: &SourceMeta,
    typing: Typing<'f>,
    out: &mut FileOutcome,
) -> (FileReport, Option<(TableKind, Plan<'f>)>) {
    let mut report = FileReport::new(&meta.name, meta.format);
    match typing {
        Typing::Deferred => unreachable!("deferred files are not reported"),
        Typing::NotRecognised(why) => {
            // Records skipped for their category are said wherever messages go, not only in
            // `check`: a damaged category name would otherwise lose its record unseen.
            if meta.category.is_some() {
                let issue = Issue {
                    severity: crate::data::issues::Severity::Warning,
                    ..Issue::file_error(&meta.name, why.clone())
                };
                out.issues.push("other-category", issue);
            }
            report.not_recognised = Some(why);
        }
        Typing::Unusable(table, by, msg) => {
            report.table = Some((table, by));
            let issue = Issue {
                table: Some(table.name().into()),
                ..Issue::file_error(&meta.name, msg.clone())
            };
            out.issues.push("unusable", issue);
            report.unusable = Some(msg);
        }
        Typing::Ready(table, by, plan) => {
            report.table = Some((table, by));
            for (column, msg) in &plan.duplicates {
                let issue = Issue {
                    severity: crate::data::issues::Severity::Warning,
                    table: Some(table.name().into()),
                    column: Some(column.to_string()),
                    ..Issue::file_error(&meta.name, msg.clone())
                };
                out.issues.push("duplicate-column", issue);
            }
            report.rows_rejected = meta.rejected;
            report.missing_output = plan.missing_output.iter().map(|c| c.to_string()).collect();
            report.notes = plan.notes.clone();
            return (report, Some((table, plan)));
        }
    }
    (report, None)
}

/// A source's name in findings' `SourceFile`: marked when its columns were mapped from
/// another shape (Graph sign-ins), so a finding never passes for a row of the table itself.
pub(super) fn source_name(meta: &SourceMeta, plan: &Plan) -> String {
    if plan.maps_nested(&meta.headers) {
        format!("{} (Graph sign-ins, columns mapped)", meta.name)
    } else {
        meta.name.clone()
    }
}

/// Recognises and types a file's sources into `out`.
fn type_sources(
    display: &str,
    sources: Vec<Box<dyn Source>>,
    reading: &Reading,
    mut out: FileOutcome,
) -> FileOutcome {
    if sources.is_empty() {
        let mut report = FileReport::new(display, "?");
        report.unreadable = out.issues.errors() > 0;
        report.not_recognised = Some("nothing could be read".into());
        out.reports.push(report);
        return out;
    }
    for source in sources {
        let meta = source.meta();
        let typing = typing(meta, reading);
        if let Typing::Deferred = typing {
            return FileOutcome::deferred();
        }
        let (mut report, ready) = report_of(meta, typing, &mut out);
        if let Some((table, mut plan)) = ready {
            let values = source.datetime_text(&plan.datetime_requests());
            let decided = values.map(|v| decide(&v, reading.date_order));
            if !settle(decided, None, &mut plan, table, meta, &mut report, &mut out) {
                out.reports.push(report);
                continue;
            }
            let local = out.names.len() as u32;
            out.names.push(source_name(meta, &plan));
            let n = normalize(source.as_ref(), &plan, local, &mut out.issues);
            out.add(table, &mut report, n);
        }
        out.reports.push(report);
    }
    out
}

/// A large CSV file: the header and first block, then every other block on the pool while the
/// next is read.
fn stream_csv(
    file: &Path,
    display: &str,
    input: FileInput,
    head: Vec<u8>,
    reading: &Reading,
) -> io::Result<FileOutcome> {
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let newline = newline_of(&head[bom..]);
    let mut blocks = Blocks::new(input, reading.block, Boundary::Csv { newline })
        .with_prefix(head)
        .with_max_record(reading.max_record);
    let mut out = FileOutcome::empty();
    let Some((first, _)) = blocks.next_block()? else {
        out.issues
            .push("empty", Issue::file_error(display, "file is empty"));
        return Ok(type_sources(display, Vec::new(), reading, out));
    };
    let Some(source) = csv::open(display, display, first, bom, &mut out.issues) else {
        return Ok(type_sources(display, Vec::new(), reading, out));
    };
    let typing = typing(&source.meta, reading);
    if let Typing::Deferred = typing {
        return Ok(FileOutcome::deferred());
    }
    let (mut report, ready) = report_of(&source.meta, typing, &mut out);
    let ready = match ready {
        Some((table, mut plan)) => {
            let owned: Vec<Vec<usize>> = plan
                .datetime_requests()
                .iter()
                .map(|r| r.to_vec())
                .collect();
            let requests: Vec<&[usize]> = owned.iter().map(Vec::as_slice).collect();
            let values = source.datetime_text(&requests).unwrap_or_default();
            let first = decide(&values, reading.date_order);
            let later = || settle_later(file, newline, reading.block, &source.layout(), &requests);
            let usable = settle(
                Some(first),
                Some(&later),
                &mut plan,
                table,
                &source.meta,
                &mut report,
                &mut out,
            );
            usable.then_some((table, plan))
        }
        None => None,
    };
    if let Some((table, plan)) = ready {
        let local = out.names.len() as u32;
        out.names.push(source.meta.name.clone());
        let n = normalize(&source, &plan, local, &mut out.issues);
        out.add(table, &mut report, n);
        // Later blocks have the same header: they cannot be unusable.
        let layout = source.layout();
        let (pieces, error) = blocks.map_in_order(|bytes, line| {
            let block = CsvSource::block(&layout, bytes, line);
            let mut log = IssueLog::default();
            let n = normalize(&block, &plan, local, &mut log);
            ((n, log), block.into_bytes())
        });
        for (n, log) in pieces {
            out.add(table, &mut report, n);
            out.issues.extend(log);
        }
        if let Some(e) = error {
            let msg = format!(
                "cannot read on: {}; the rest of the file skipped",
                os_error(&e)
            );
            out.issues
                .push("unreadable", Issue::file_error(display, msg));
        }
    }
    blocks.input().report_damage(display, &mut out.issues);
    report_oversized(
        display,
        blocks.oversized(),
        reading.max_record,
        &mut report,
        &mut out.issues,
    );
    out.reports.push(report);
    Ok(out)
}

/// A source of a streamed NDJSON file that can be typed: its table, plan, meta, streaming-API
/// category and index among the file's sources.
type Streamed<'f> = (TableKind, Plan<'f>, SourceMeta, Option<String>, u32);

/// A large NDJSON file, in two streamed passes: the first checks every line and gathers the
/// keys; the second, once the sources are recognised, types every block on the pool.
fn stream_ndjson(file: &Path, display: &str, reading: &Reading) -> io::Result<FileOutcome> {
    let mut out = FileOutcome::empty();
    let hint = reading.forced.or_else(|| table_from_file_name(display));
    let mut input = FileInput::open(file)?;
    let mut head = Vec::with_capacity(HEAD_BYTES);
    (&mut input)
        .take(HEAD_BYTES as u64)
        .read_to_end(&mut head)?;
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    let envelopes = ndjson::holds_envelopes(&head[bom..]);
    let mut blocks = Blocks::new(input, reading.block, Boundary::Lines)
        .with_prefix(head)
        .with_max_record(reading.max_record);
    let (scans, error) = blocks.map_in_order(|bytes, line| {
        let text = if line == 1 { &bytes[bom..] } else { &bytes[..] };
        let scan = ndjson::scan(display, text, line, hint, envelopes);
        (scan, bytes)
    });
    if let Some(e) = error {
        return Err(e);
    }
    blocks.input().report_damage(display, &mut out.issues);
    let oversized = blocks.oversized().to_vec();
    let mut scan = Scan::empty(hint);
    for s in scans {
        scan.merge(s);
    }
    out.issues.extend(std::mem::take(&mut scan.log));
    let sources = ndjson::sources_of(display, display, Arc::default(), scan, envelopes);
    // Recognise every source; plans for those that can be typed.
    let mut reports = Vec::new();
    let mut ready: Vec<Option<Streamed>> = Vec::new();
    for source in &sources {
        let meta = &source.meta;
        let typing = typing(meta, reading);
        if let Typing::Deferred = typing {
            return Ok(FileOutcome::deferred());
        }
        let (mut report, plan) = report_of(meta, typing, &mut out);
        if reports.is_empty() {
            report_oversized(
                display,
                &oversized,
                reading.max_record,
                &mut report,
                &mut out.issues,
            );
        }
        reports.push(report);
        ready.push(plan.map(|(table, plan)| {
            let local = out.names.len() as u32;
            out.names.push(meta.name.clone());
            (table, plan, meta.clone(), source.category.clone(), local)
        }));
    }
    if ready.iter().any(Option::is_some) {
        let input = FileInput::open(file)?;
        let mut blocks =
            Blocks::new(input, reading.block, Boundary::Lines).with_max_record(reading.max_record);
        let (pieces, error) = blocks.map_in_order(|mut bytes, line| {
            if line == 1 && bom > 0 {
                bytes.drain(..bom);
            }
            let shared = Arc::new(bytes);
            let mut log = IssueLog::default();
            let typed: Vec<Option<Normalized>> = ready
                .iter()
                .map(|r| {
                    let (_, plan, meta, category, local) = r.as_ref()?;
                    let source = NdjsonSource {
                        meta: meta.clone(),
                        bytes: Arc::clone(&shared),
                        first_line: line,
                        category: category.clone(),
                    };
                    Some(normalize(&source, plan, *local, &mut log))
                })
                .collect();
            let bytes = Arc::try_unwrap(shared).unwrap_or_default();
            ((typed, log), bytes)
        });
        let mut by_source: Vec<Vec<Normalized>> = (0..ready.len()).map(|_| Vec::new()).collect();
        for (typed, log) in pieces {
            for (k, n) in typed.into_iter().enumerate() {
                if let Some(n) = n {
                    by_source[k].push(n);
                }
            }
            out.issues.extend(log);
        }
        if let Some(e) = error {
            let msg = format!(
                "cannot read on: {}; the rest of the file skipped",
                os_error(&e)
            );
            out.issues
                .push("unreadable", Issue::file_error(display, msg));
        }
        for ((mut report, r), pieces) in reports.into_iter().zip(&ready).zip(by_source) {
            if let Some((table, ..)) = r {
                for n in pieces {
                    out.add(*table, &mut report, n);
                }
            }
            out.reports.push(report);
        }
    } else {
        out.reports.extend(reports);
    }
    Ok(out)
}
