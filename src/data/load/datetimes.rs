//! How a portal CSV's datetimes are read: the format its values say (see
//! [`crate::data::values::locale`]), the user's `--date-order`, and the portal's en-US default.

use std::io;
use std::path::Path;

use super::input::FileInput;
use super::outcome::FileOutcome;
use crate::data::formats::blocks::{Blocks, Boundary};
use crate::data::formats::csv::{self, CsvSource};
use crate::data::issues::Issue;
use crate::data::normalize::Plan;
use crate::data::report::FileReport;
use crate::data::source::{Source, SourceMeta};
use crate::data::table::schema::TableKind;
use crate::data::values::locale::{infer_with_order, DateOrder, DatetimeFormat, Inference};
use crate::data::values::{is_missing, is_null_text, parse_datetime, Datetimes};

/// What a portal CSV's datetime values say about their format.
pub(super) enum Decision {
    Use(Datetimes, Option<String>),
    /// Every value fits day-first and month-first alike.
    Ambiguous(Inference),
    Refuse(String),
}

pub(super) fn decide(values: &[String], order: Option<DateOrder>) -> Decision {
    let inference = infer_with_order(values.iter().map(String::as_str), order);
    match &inference {
        Inference::Known {
            format: DatetimeFormat::Local(f),
            ..
        } => Decision::Use(Datetimes::Locale(*f), Some(inference.to_string())),
        Inference::Ambiguous { .. } => Decision::Ambiguous(inference),
        Inference::Contradicted { .. } => Decision::Refuse(inference.to_string()),
        // ISO and the en-US portal form together are what the standard parser reads.
        Inference::Mixed { .. }
            if values.iter().all(|v| {
                let v = v.trim();
                is_missing(v) || is_null_text(v) || parse_datetime(v).is_some()
            }) =>
        {
            Decision::Use(Datetimes::Standard, None)
        }
        Inference::Mixed { .. } => Decision::Refuse(inference.to_string()),
        // ISO, or nothing to go by: every value is read (and any unreadable one reported).
        _ => Decision::Use(Datetimes::Standard, None),
    }
}

/// Whether an ambiguous file looks like the Log Analytics portal's en-US export
/// (`4/28/2021, 2:08:45.221 PM`): month-first is then read, and said, since it is the portal's
/// default language and proxyhunt has always read that form so.
pub(super) fn en_us_default(inference: &Inference) -> Option<(Datetimes, String)> {
    let Inference::Ambiguous { formats, example } = inference else {
        return None;
    };
    let mdy = formats.iter().find_map(|f| match f {
        DatetimeFormat::Local(l) if l.order == DateOrder::Mdy => Some(*l),
        _ => None,
    })?;
    let upper = example.trim_end().ends_with("AM") || example.trim_end().ends_with("PM");
    let comma = example.contains(", ");
    (upper && comma).then(|| {
        let note = format!(
            "datetimes read as {} since no day is above 12 (e.g. {example:?}): the portal's en-US form; if the export came from a day-first browser, give --date-order dmy",
            DatetimeFormat::Local(mdy).describe()
        );
        (Datetimes::Locale(mdy), note)
    })
}

/// Sets how a source's datetimes are read, from a decision on its values (and, when those are
/// ambiguous, on the rest of the file, from `later`); says so in the report. `false`: the
/// source is refused (its report and message say why).
#[allow(clippy::too_many_arguments)]
pub(super) fn settle(
    decided: Option<Decision>,
    later: Option<&dyn Fn() -> io::Result<Option<Decision>>>,
    plan: &mut Plan,
    table: TableKind,
    meta: &SourceMeta,
    report: &mut FileReport,
    out: &mut FileOutcome,
) -> bool {
    let mut decided = match decided {
        None => return true,
        Some(d) => d,
    };
    if let (Decision::Ambiguous(_), Some(later)) = (&decided, later) {
        if let Ok(Some(d)) = later() {
            decided = d;
        }
    }
    let refusal = match decided {
        Decision::Use(datetimes, note) => {
            plan.datetimes = datetimes;
            report.notes.extend(note);
            return true;
        }
        Decision::Ambiguous(inference) => match en_us_default(&inference) {
            Some((datetimes, note)) => {
                plan.datetimes = datetimes;
                report.notes.push(note);
                return true;
            }
            None => inference.to_string(),
        },
        Decision::Refuse(why) => why,
    };
    let msg = format!("cannot tell how to read its datetimes: {refusal}");
    out.issues.push(
        "datetime-format",
        Issue {
            table: Some(table.name().into()),
            ..Issue::file_error(&meta.name, msg.clone())
        },
    );
    report.unusable = Some(msg);
    false
}

/// For a large portal CSV whose first block left day/month open: the first later block that
/// settles it (`None` if none does).
pub(super) fn settle_later(
    file: &Path,
    newline: u8,
    block: usize,
    layout: &csv::Layout,
    requests: &[&[usize]],
) -> io::Result<Option<Decision>> {
    let mut blocks = Blocks::new(FileInput::open(file)?, block, Boundary::Csv { newline });
    let _header_block = blocks.next_block()?;
    while let Some((bytes, line)) = blocks.next_block()? {
        let values = CsvSource::block(layout, bytes, line)
            .datetime_text(requests)
            .unwrap_or_default();
        match decide(&values, None) {
            Decision::Ambiguous(_) => continue,
            d => return Ok(Some(d)),
        }
    }
    Ok(None)
}
