//! What every reader of one file shares: how to read it ([`Reading`]), what each of its sources
//! is to the run (recognised, deferred, unusable, typed), its report, and typing sources that are
//! read whole.

use super::datetimes::{decide, settle};
use super::outcome::FileOutcome;
use crate::data::formats::blocks::Oversized;
use crate::data::issues::{Issue, IssueLog};
use crate::data::normalize::{normalize, Plan};
use crate::data::report::FileReport;
use crate::data::row_filter::RowFilters;
use crate::data::source::{Source, SourceMeta};
use crate::data::table::recognise::{recognise, RecognisedBy};
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
    /// The load's dictionaries (see [`super::LoadOptions::dictionary_columns`]).
    pub dictionaries: Option<&'a crate::data::dictionary::Dictionaries>,
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
            dictionaries: None,
        }
    }
}

/// Bytes read ahead to tell a streamed file's format.
pub(super) const HEAD_BYTES: usize = 1 << 20;

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
    // The legacy threat-intel table serves only `--beyond`: a run that keeps none of its rows
    // does not read it at all (no rows typed, nothing said of its rows), only names it.
    let set_aside = reading
        .filters
        .now
        .get(&table)
        .is_some_and(|f| f.keeps_nothing());
    if table == TableKind::LegacyThreatIntel && set_aside {
        return Typing::NotRecognised(format!(
            "the legacy ThreatIntelligenceIndicator table; {}",
            crate::data::table::recognise::LEGACY_NOTE
        ));
    }
    match Plan::new(&meta.headers, table, reading.filters.now.get(&table)) {
        Err(unusable) => Typing::Unusable(table, by, unusable.to_string()),
        Ok(mut plan) => {
            if let Some(columns) = reading.only_columns {
                plan.keep_only(&columns(table));
            }
            if let Some(dictionaries) = reading.dictionaries {
                plan.hold_as_dictionaries(dictionaries);
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
pub(super) fn type_sources(
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

/// Says that a streamed file could not be read past some point (what came before is kept).
pub(super) fn report_cut_short(
    display: &str,
    error: Option<std::io::Error>,
    out: &mut FileOutcome,
) {
    if let Some(e) = error {
        let msg = format!(
            "cannot read on: {}; the rest of the file skipped",
            crate::data::discover::os_error(&e)
        );
        out.issues
            .push("unreadable", Issue::file_error(display, msg));
    }
}

/// Reads up to `bytes` of `input` ahead (to tell what the file holds) and the length of its
/// byte-order mark.
pub(super) fn read_head(
    input: &mut impl std::io::Read,
    bytes: usize,
) -> std::io::Result<(Vec<u8>, usize)> {
    use std::io::Read;
    let mut head = Vec::with_capacity(bytes);
    input.take(bytes as u64).read_to_end(&mut head)?;
    let bom = if head.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    };
    Ok((head, bom))
}
