//! NDJSON (and streaming-API records) in one streamed pass: the file's head says what its
//! sources and columns are, every block is then walked once on the pool (each line checked,
//! reported if bad, its wanted values typed into its source), and keys met after the head are
//! checked against what the head said. If they would have changed which columns are read (a
//! rare file whose head does not speak for it), the file is read again in two passes, the
//! first gathering every key.

use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::Arc;

use super::super::input::FileInput;
use super::super::outcome::FileOutcome;
use super::super::reading::{
    read_head, report_cut_short, report_of, report_oversized, source_name, typing, Reading, Typing,
    HEAD_BYTES as TWO_PASS_HEAD_BYTES,
};
use crate::data::formats::blocks::{Blocks, Boundary};
use crate::data::formats::json::ndjson::walk::{walk, Target, Walked};
use crate::data::formats::json::ndjson::{self, line_splits};
use crate::data::formats::json::ndjson::{NdjsonSource, Scan};
use crate::data::issues::IssueLog;
use crate::data::normalize::normalize;
use crate::data::normalize::{type_extracted, Normalized, Pieces, Plan};
use crate::data::pool;
use crate::data::report::FileReport;
use crate::data::source::SourceMeta;
use crate::data::table::recognise::table_from_file_name;
use crate::data::table::schema::TableKind;

/// Where the text is.
pub enum Text<'b> {
    File(&'b Path),
    /// Already in memory (and decompressed).
    Memory(&'b [u8]),
}

enum Input<'b> {
    File(FileInput),
    Memory(Cursor<&'b [u8]>),
}

impl Read for Input<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            Input::File(f) => f.read(buf),
            Input::Memory(m) => m.read(buf),
        }
    }
}

impl Input<'_> {
    fn report_damage(&self, name: &str, log: &mut IssueLog) {
        if let Input::File(f) = self {
            f.report_damage(name, log);
        }
    }
}

impl<'b> Text<'b> {
    fn open(&self) -> io::Result<Input<'b>> {
        Ok(match self {
            Text::File(p) => Input::File(FileInput::open(p)?),
            Text::Memory(b) => Input::Memory(Cursor::new(b)),
        })
    }
}

/// Bytes of the head that say what the file's sources and columns are.
const HEAD_BYTES: usize = 256 << 10;

/// A source that can be typed: its table, plan, meta, streaming-API category, and index among
/// the file's sources.
struct Ready<'f> {
    table: TableKind,
    plan: Plan<'f>,
    meta: SourceMeta,
    category: Option<String>,
    local: u32,
}

/// What the one pass gave per block: each source's typed piece, the messages, what was met.
struct Piece {
    typed: Vec<Option<Normalized>>,
    log: IssueLog,
    new_keys: Vec<Vec<String>>,
    other_categories: Vec<(String, usize)>,
    rejected: usize,
}

/// What the blocks gave, combined in file order as they come.
struct Folded {
    /// Per source, its typed pieces.
    by_source: Vec<Pieces>,
    log: IssueLog,
    /// Per live source, keys met that the head did not hold.
    new_keys: Vec<Vec<String>>,
    /// Streaming-API categories met.
    others: Vec<String>,
    rejected: usize,
}

impl Folded {
    fn new(sources: usize, targets: usize) -> Folded {
        Folded {
            by_source: (0..sources).map(|_| Pieces::default()).collect(),
            log: IssueLog::default(),
            new_keys: vec![Vec::new(); targets],
            others: Vec::new(),
            rejected: 0,
        }
    }

    fn add(&mut self, p: Piece) {
        for (k, n) in p.typed.into_iter().enumerate() {
            if let Some(n) = n {
                self.by_source[k].push(n);
            }
        }
        self.log.extend(p.log);
        for (mine, theirs) in self.new_keys.iter_mut().zip(p.new_keys) {
            for k in theirs {
                if !mine.contains(&k) {
                    mine.push(k);
                }
            }
        }
        for (c, _) in p.other_categories {
            if !self.others.contains(&c) {
                self.others.push(c);
            }
        }
        self.rejected += p.rejected;
    }
}

/// Reads an NDJSON text; `None` when its head did not speak for it (the caller reads it in
/// two passes then).
pub fn read_ndjson(
    text: Text,
    display: &str,
    reading: &Reading,
) -> io::Result<Option<FileOutcome>> {
    let mut out = FileOutcome::empty();
    let hint = reading.forced.or_else(|| table_from_file_name(display));
    let mut input = text.open()?;
    let (head, bom) = read_head(&mut input, HEAD_BYTES)?;
    // The head's complete lines (all of it, when the text is shorter).
    let whole = head.len() < HEAD_BYTES;
    let cut = if whole {
        head.len()
    } else {
        memchr::memrchr(b'\n', &head).map_or(head.len(), |i| i + 1)
    };
    let head_text = &head[bom.min(cut)..cut];
    let envelopes = ndjson::holds_envelopes(head_text);
    let provisional = ndjson::scan(display, head_text, 1, hint, envelopes);
    let mut sources = ndjson::sources_of(display, display, Arc::default(), provisional, envelopes);
    let mut reports: Vec<FileReport> = Vec::new();
    let mut ready: Vec<Option<Ready>> = Vec::new();
    for source in &mut sources {
        // Lines that are no record are counted by the walk.
        source.meta.rejected = 0;
        let meta = &source.meta;
        let typing = typing(meta, reading);
        if let Typing::Deferred = typing {
            return Ok(Some(FileOutcome::deferred()));
        }
        let (report, plan) = report_of(meta, typing, &mut out);
        reports.push(report);
        ready.push(plan.map(|(table, plan)| {
            let local = out.names.len() as u32;
            out.names.push(source_name(meta, &plan));
            Ready {
                table,
                plan,
                meta: meta.clone(),
                category: source.category.clone(),
                local,
            }
        }));
    }
    let live: Vec<&Ready> = ready.iter().flatten().collect();
    let filters: Vec<_> = live.iter().map(|r| r.plan.extract_filter()).collect();
    let targets: Vec<Target> = live
        .iter()
        .zip(&filters)
        .map(|(r, f)| Target {
            meta: &r.meta,
            request: r.plan.request(f.as_ref()),
            category: r.category.as_deref(),
            table: Some(r.table),
        })
        .collect();
    let mut blocks = Blocks::new(input, reading.block, Boundary::Lines)
        .with_prefix(head)
        .with_max_record(reading.max_record);
    let (folded, error) = blocks.fold_in_order(
        |bytes, line| {
            let text = if line == 1 {
                &bytes[bom.min(bytes.len())..]
            } else {
                &bytes[..]
            };
            let parts = if text.len() >= 8 << 20 {
                pool::threads()
            } else {
                1
            };
            let splits = line_splits(text, parts);
            let walked = pool::map(&pool::pieces(&splits, text.len()), |&(s, e, before)| {
                walk(display, &text[s..e], line + before, envelopes, &targets)
            });
            let mut all = Walked::empty(targets.len());
            for w in walked {
                all.append(w);
            }
            let mut log = all.log;
            let mut typed: Vec<Option<Normalized>> = Vec::new();
            let mut extracted = all.extracted.into_iter();
            for r in &ready {
                typed.push(r.as_ref().map(|r| {
                    let ex = extracted.next().expect("one per live source");
                    type_extracted(&r.meta, &r.plan, ex, r.local, &mut log)
                }));
            }
            let piece = Piece {
                typed,
                log,
                new_keys: all.new_keys,
                other_categories: all.other_categories,
                rejected: all.rejected,
            };
            (piece, bytes)
        },
        Folded::new(ready.len(), targets.len()),
        Folded::add,
    );
    if let Some(e) = error {
        return Err(e);
    }
    // Did the head speak for the whole file?
    let Folded {
        by_source,
        log,
        new_keys,
        others,
        rejected,
    } = folded;
    let known_categories: Vec<&str> = sources
        .iter()
        .filter_map(|s| s.category.as_deref())
        .collect();
    if others
        .iter()
        .any(|c| !known_categories.contains(&c.as_str()))
    {
        return Ok(None);
    }
    for (r, keys) in live.iter().zip(&new_keys) {
        if !keys.is_empty() && !same_reading(r, keys, reading) {
            return Ok(None);
        }
    }
    blocks.input().report_damage(display, &mut out.issues);
    let oversized = blocks.oversized().to_vec();
    out.issues.extend(log);
    for (k, ((mut report, r), pieces)) in reports.into_iter().zip(&ready).zip(by_source).enumerate()
    {
        let pieces = pieces.into_vec();
        if k == 0 {
            report.rows_rejected += rejected;
            report_oversized(
                display,
                &oversized,
                reading.max_record,
                &mut report,
                &mut out.issues,
            );
        }
        if let Some(r) = r {
            for n in pieces {
                out.add(r.table, &mut report, n);
            }
        }
        out.reports.push(report);
    }
    Ok(Some(out))
}

/// Whether a source's columns would be read from the same headers with `new` keys added to
/// its own: the same table, and every column from the same named headers.
fn same_reading(r: &Ready, new: &[String], reading: &Reading) -> bool {
    let mut meta = r.meta.clone();
    meta.headers.extend(new.iter().cloned());
    let Typing::Ready(table, _, plan) = typing(&meta, reading) else {
        return false;
    };
    let names = |plan: &Plan, headers: &[String]| -> Vec<Vec<String>> {
        plan.requests
            .iter()
            .map(|req| req.iter().map(|&i| headers[i].clone()).collect())
            .collect()
    };
    table == r.table && names(&plan, &meta.headers) == names(&r.plan, &r.meta.headers)
}

/// A source of a streamed NDJSON file that can be typed: its table, plan, meta, streaming-API
/// category and index among the file's sources.
type Streamed<'f> = (TableKind, Plan<'f>, SourceMeta, Option<String>, u32);

/// A large NDJSON file, in two streamed passes: the first checks every line and gathers the
/// keys; the second, once the sources are recognised, types every block on the pool.
pub fn stream_ndjson(file: &Path, display: &str, reading: &Reading) -> io::Result<FileOutcome> {
    let mut out = FileOutcome::empty();
    let hint = reading.forced.or_else(|| table_from_file_name(display));
    let mut input = FileInput::open(file)?;
    let (head, bom) = read_head(&mut input, TWO_PASS_HEAD_BYTES)?;
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
        let ((by_source, log), error) = blocks.fold_in_order(
            |mut bytes, line| {
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
            },
            (
                (0..ready.len())
                    .map(|_| Pieces::default())
                    .collect::<Vec<_>>(),
                IssueLog::default(),
            ),
            |(by_source, all), (typed, log): (Vec<Option<Normalized>>, IssueLog)| {
                for (k, n) in typed.into_iter().enumerate() {
                    if let Some(n) = n {
                        by_source[k].push(n);
                    }
                }
                all.extend(log);
            },
        );
        out.issues.extend(log);
        report_cut_short(display, error, &mut out);
        for ((mut report, r), pieces) in reports.into_iter().zip(&ready).zip(by_source) {
            if let Some((table, ..)) = r {
                for n in pieces.into_vec() {
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
