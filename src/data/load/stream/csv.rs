//! A large CSV file, streamed: the header and first block, then every other block on the pool
//! while the next is read.

use std::io;
use std::path::Path;

use super::super::datetimes::{decide, settle, settle_later};
use super::super::input::FileInput;
use super::super::outcome::FileOutcome;
use super::super::reading::{
    report_cut_short, report_of, report_oversized, type_sources, typing, Reading, Typing,
};
use crate::data::formats::blocks::{Blocks, Boundary};
use crate::data::formats::csv::{self, tokenizer::newline_of, CsvSource};
use crate::data::issues::{Issue, IssueLog};
use crate::data::normalize::{normalize, Pieces};
use crate::data::source::Source;

/// A large CSV file: the header and first block, then every other block on the pool while the
/// next is read.
pub fn stream_csv(
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
        let ((pieces, log), error) = blocks.fold_in_order(
            |bytes, line| {
                let block = CsvSource::block(&layout, bytes, line);
                let mut log = IssueLog::default();
                let n = normalize(&block, &plan, local, &mut log);
                ((n, log), block.into_bytes())
            },
            (Pieces::default(), IssueLog::default()),
            |(pieces, all), (n, log)| {
                pieces.push(n);
                all.extend(log);
            },
        );
        for n in pieces.into_vec() {
            out.add(table, &mut report, n);
        }
        out.issues.extend(log);
        report_cut_short(display, error, &mut out);
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
