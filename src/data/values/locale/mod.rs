//! Datetimes written in a browser's locale. The Log Analytics portal's "Export to CSV" writes
//! each datetime the way the grid shows it, formatted by the browser's `Intl` with the
//! browser's language: en-US `4/28/2021, 2:08:45.221 PM`, ja-JP `2020/10/16 0:00:01.403`,
//! en-GB `16/10/2020, 00:00:01.403`, de-DE `16.10.2020, 00:00:01,403`, fi-FI
//! `16.10.2020 klo 0.00.01,403`, ko-KR `2020. 10. 16. PM 2:08:45.221`. The values are UTC (the
//! header says ` [UTC]`).
//!
//! Day-first and month-first files look alike until a day above 12 shows up, so the format is
//! decided per file from all its values ([`infer`]): a day above 12 settles the order; a file
//! whose every value fits both orders is [`Inference::Ambiguous`], and the caller asks for
//! `--date-order`. Nothing here guesses.

use std::fmt;
use std::str::FromStr;

use thiserror::Error;

use crate::data::values::{is_missing, is_null_text, parse_datetime};
use crate::kql::time::Nanos;
use crate::text::quote_value;

mod describe;
mod scan;

use scan::*;

/// The order of the numeric fields of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateOrder {
    /// 2020/10/16 (ja-JP, zh-CN, ko-KR, hu-HU, en-CA).
    Ymd,
    /// 10/16/2020 (en-US).
    Mdy,
    /// 16/10/2020 (most of the world).
    Dmy,
}

impl DateOrder {
    /// The option value that names this order (`--date-order dmy`).
    pub fn option_text(self) -> &'static str {
        match self {
            DateOrder::Ymd => "ymd",
            DateOrder::Mdy => "mdy",
            DateOrder::Dmy => "dmy",
        }
    }

    fn word(self) -> &'static str {
        match self {
            DateOrder::Ymd => "year-first",
            DateOrder::Mdy => "month-first",
            DateOrder::Dmy => "day-first",
        }
    }
}

/// An option value that is not a date order.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown date order {}: use mdy, dmy or ymd", quote_value(.0, 20))]
pub struct DateOrderError(pub String);

impl FromStr for DateOrder {
    type Err = DateOrderError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text.trim().to_ascii_lowercase().as_str() {
            "ymd" => Ok(DateOrder::Ymd),
            "mdy" => Ok(DateOrder::Mdy),
            "dmy" => Ok(DateOrder::Dmy),
            _ => Err(DateOrderError(text.to_string())),
        }
    }
}

/// What separates the fields of a date.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DateSep {
    /// `16/10/2020`, `2020/10/16`.
    Slash,
    /// `16.10.2020`.
    Dot,
    /// `16-10-2020` (nl-NL), `2020-10-16, 2:08 p.m.` (en-CA).
    Dash,
    /// `16. 10. 2020` (cs-CZ, sk-SK, hr-HR) and `2020. 10. 16.` (ko-KR, hu-HU); a trailing dot
    /// is allowed.
    DotSpace,
}

impl DateSep {
    fn text(self) -> &'static str {
        match self {
            DateSep::Slash => "/",
            DateSep::Dot => ".",
            DateSep::Dash => "-",
            DateSep::DotSpace => ". ",
        }
    }
}

/// What separates hours, minutes and seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TimeSep {
    /// `14:08:45`.
    Colon,
    /// `14.08.45` (fi-FI, da-DK, id-ID).
    Dot,
}

/// 24-hour or 12-hour clock (with an AM/PM marker in any of the spellings browsers write:
/// `AM`, `am`, `a.m.`, `午前`, `上午`, `오전`, `π.μ.`, before or after the time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Clock {
    H24,
    H12,
}

/// The decimal separator of fractional seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Decimal {
    Point,
    Comma,
}

/// The time part of a locale datetime.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeFormat {
    pub sep: TimeSep,
    pub clock: Clock,
    /// `None` when no value carried a fraction of a second.
    pub decimal: Option<Decimal>,
}

/// A datetime format written by a browser's locale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct LocalFormat {
    pub order: DateOrder,
    pub date_sep: DateSep,
    /// `None` when the values are dates alone.
    pub time: Option<TimeFormat>,
}

/// The datetime format of one file's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DatetimeFormat {
    /// ISO 8601 / RFC 3339, as [`parse_datetime`] reads it (also sv-SE and lt-LT
    /// `2020-10-16 0:00:01,403`).
    Iso,
    /// A browser locale's numeric format.
    Local(LocalFormat),
}

impl DatetimeFormat {
    /// Reads `text` in this format as UTC nanoseconds, floored to Kusto's 100 ns tick; `None`
    /// for text in another format or an impossible date or time.
    pub fn parse(&self, text: &str) -> Option<Nanos> {
        match self {
            DatetimeFormat::Iso => {
                if text.contains('/') {
                    None
                } else {
                    parse_datetime(text)
                }
            }
            DatetimeFormat::Local(format) => {
                let scanned = scan(text)?;
                if !format.accepts(&scanned) {
                    return None;
                }
                scanned.nanos(format.order)
            }
        }
    }

    /// A description for `check`, e.g. `day-first d.m.y H:M:S,f (de-DE, nb-NO, pl-PL, …)`.
    pub fn describe(&self) -> String {
        match self {
            DatetimeFormat::Iso => "ISO 8601 (2021-04-28T14:08:45.221Z)".to_string(),
            DatetimeFormat::Local(f) => f.describe(),
        }
    }
}

impl fmt::Display for DatetimeFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.describe())
    }
}

/// The layout of one value: everything but the day/month order and the decimal separator,
/// which later values may settle.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    Iso,
    Local {
        year_first: bool,
        date_sep: DateSep,
        time: Option<(TimeSep, Clock)>,
    },
}

/// The result of looking at all datetime values of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Inference {
    /// No value to decide from (every value empty).
    NoValues,
    /// One format fits the file.
    Known {
        format: DatetimeFormat,
        /// The first value that settled the day/month order (a day above 12), if the order
        /// needed settling and the values settled it.
        settled_by: Option<String>,
        /// Values that fit no format, and the first of them; the caller reports them as bad
        /// cells.
        unreadable: usize,
        first_unreadable: Option<String>,
    },
    /// Every value fits both day-first and month-first.
    Ambiguous {
        /// The day-first and the month-first reading.
        formats: [DatetimeFormat; 2],
        example: String,
    },
    /// No value fits a known datetime format.
    Unrecognised { example: String },
    /// The values are in more than one format (or disagree on day/month order).
    Mixed { first: String, second: String },
    /// The `--date-order` given does not fit the values.
    Contradicted { order: DateOrder, example: String },
}

impl Inference {
    /// The format to parse the file with, when one was decided.
    pub fn format(&self) -> Option<DatetimeFormat> {
        match self {
            Inference::Known { format, .. } => Some(*format),
            _ => None,
        }
    }
}

impl fmt::Display for Inference {
    /// What `check` says; for a refusal, what to do.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let q = |s: &str| quote_value(s, 60);
        match self {
            Inference::NoValues => write!(f, "no datetime values to tell the format from"),
            Inference::Known {
                format,
                settled_by,
                unreadable,
                first_unreadable,
            } => {
                write!(f, "datetimes read as {}", format.describe())?;
                if let Some(v) = settled_by {
                    write!(f, "; day/month order settled by {}", q(v))?;
                }
                if let Some(v) = first_unreadable {
                    write!(
                        f,
                        "; {unreadable} value(s) in no datetime format, first {}",
                        q(v)
                    )?;
                }
                Ok(())
            }
            Inference::Ambiguous { example, .. } => write!(
                f,
                "every datetime fits both day-first and month-first (no day above 12, e.g. {}); \
                 say which with --date-order dmy or --date-order mdy",
                q(example)
            ),
            Inference::Unrecognised { example } => {
                write!(
                    f,
                    "datetimes in no format proxyhunt reads, e.g. {}",
                    q(example)
                )?;
                if looks_buddhist(example) {
                    write!(
                        f,
                        " (a year such as 2563 is the Thai Buddhist calendar: export from a \
                         browser set to a Gregorian locale)"
                    )?;
                }
                Ok(())
            }
            Inference::Mixed { first, second } => write!(
                f,
                "datetimes in more than one format: {} and {}",
                q(first),
                q(second)
            ),
            Inference::Contradicted { order, example } => write!(
                f,
                "--date-order {} does not fit the datetimes, e.g. {}",
                order.option_text(),
                q(example)
            ),
        }
    }
}

fn looks_buddhist(text: &str) -> bool {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|s| s.len() == 4)
        .filter_map(|s| s.parse::<u32>().ok())
        .any(|y| BUDDHIST_YEARS.contains(&y))
}

/// Decides the datetime format of one file from its values (see [`infer_with_order`]).
pub fn infer<'a>(samples: impl Iterator<Item = &'a str>) -> Inference {
    infer_with_order(samples, None)
}

/// Decides the datetime format of one file from its values; `order` is the user's
/// `--date-order`, which settles a day/month ambiguity and must fit every value. Empty and
/// null values are skipped.
pub fn infer_with_order<'a>(
    samples: impl Iterator<Item = &'a str>,
    order: Option<DateOrder>,
) -> Inference {
    let mut layout: Option<(Layout, String)> = None;
    let mut decimal: Option<Decimal> = None;
    let mut decimal_example = String::new();
    // Which orders every value so far fits, and the values that ruled one out.
    let (mut mdy, mut dmy) = (true, true);
    let (mut mdy_only, mut dmy_only): (Option<String>, Option<String>) = (None, None);
    let mut unreadable = 0usize;
    let mut first_unreadable: Option<String> = None;
    for raw in samples {
        let text = raw.trim();
        if is_missing(text) || is_null_text(text) {
            continue;
        }
        let (this, scanned) = if !text.contains('/') && parse_datetime(text).is_some() {
            (Layout::Iso, None)
        } else if let Some(s) = scan(text) {
            let fits_any = if s.year_first {
                s.fits(DateOrder::Ymd)
            } else {
                s.fits(DateOrder::Mdy) || s.fits(DateOrder::Dmy)
            };
            if !fits_any {
                unreadable += 1;
                first_unreadable.get_or_insert_with(|| text.to_string());
                continue;
            }
            let l = Layout::Local {
                year_first: s.year_first,
                date_sep: s.date_sep,
                time: s.time.map(|t| (t.sep, t.clock())),
            };
            (l, Some(s))
        } else {
            unreadable += 1;
            first_unreadable.get_or_insert_with(|| text.to_string());
            continue;
        };
        match &layout {
            None => layout = Some((this, text.to_string())),
            Some((l, first)) if *l != this => {
                return Inference::Mixed {
                    first: first.clone(),
                    second: text.to_string(),
                };
            }
            Some(_) => {}
        }
        let Some(s) = scanned else { continue };
        if let Some(d) = s.time.and_then(|t| t.decimal) {
            match decimal {
                None => {
                    decimal = Some(d);
                    decimal_example = text.to_string();
                }
                Some(x) if x != d => {
                    return Inference::Mixed {
                        first: decimal_example,
                        second: text.to_string(),
                    };
                }
                Some(_) => {}
            }
        }
        if !s.year_first {
            let (m, d) = (s.fits(DateOrder::Mdy), s.fits(DateOrder::Dmy));
            if m && !d {
                dmy = false;
                mdy_only.get_or_insert_with(|| text.to_string());
            }
            if d && !m {
                mdy = false;
                dmy_only.get_or_insert_with(|| text.to_string());
            }
            if !mdy && !dmy {
                return Inference::Mixed {
                    first: dmy_only.unwrap_or_default(),
                    second: mdy_only.unwrap_or_default(),
                };
            }
        }
    }
    let Some((layout, example)) = layout else {
        return match first_unreadable {
            Some(example) => Inference::Unrecognised { example },
            None => Inference::NoValues,
        };
    };
    let known = |format: DatetimeFormat, settled_by: Option<String>| Inference::Known {
        format,
        settled_by,
        unreadable,
        first_unreadable: first_unreadable.clone(),
    };
    let Layout::Local {
        year_first,
        date_sep,
        time,
    } = layout
    else {
        if let Some(o) = order.filter(|o| *o != DateOrder::Ymd) {
            return Inference::Contradicted { order: o, example };
        }
        return known(DatetimeFormat::Iso, None);
    };
    let local = |order: DateOrder| {
        DatetimeFormat::Local(LocalFormat {
            order,
            date_sep,
            time: time.map(|(sep, clock)| TimeFormat {
                sep,
                clock,
                decimal,
            }),
        })
    };
    if year_first {
        return match order {
            Some(o) if o != DateOrder::Ymd => Inference::Contradicted { order: o, example },
            _ => known(local(DateOrder::Ymd), None),
        };
    }
    match order {
        Some(DateOrder::Ymd) => Inference::Contradicted {
            order: DateOrder::Ymd,
            example,
        },
        Some(DateOrder::Mdy) if !mdy => Inference::Contradicted {
            order: DateOrder::Mdy,
            example: dmy_only.unwrap_or(example),
        },
        Some(DateOrder::Dmy) if !dmy => Inference::Contradicted {
            order: DateOrder::Dmy,
            example: mdy_only.unwrap_or(example),
        },
        Some(o) => known(local(o), None),
        None => match (mdy, dmy) {
            (true, true) => Inference::Ambiguous {
                formats: [local(DateOrder::Dmy), local(DateOrder::Mdy)],
                example,
            },
            (true, false) => known(local(DateOrder::Mdy), mdy_only),
            _ => known(local(DateOrder::Dmy), dmy_only),
        },
    }
}

#[cfg(test)]
mod tests;
