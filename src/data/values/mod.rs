//! Parsing the cell values that exports carry into Kusto's types.
//!
//! Exports spell the same value many ways: ISO 8601 with 0 to 9 fraction digits, `Z`, an offset
//! or no zone (UTC); the Log Analytics portal's `4/28/2021, 2:08:45.221 PM`; booleans as
//! `TRUE`/`false`/`1`; numbers as text. Each parser returns `None` for text it cannot read, and
//! the caller reports it with file, line and column.

pub mod locale;

use crate::kql::time::Nanos;

/// `null` / `NULL` written as text by some tools: missing in a typed column. In a string column
/// it stays text, since a string column cannot tell it from a value.
pub fn is_null_text(text: &str) -> bool {
    text.eq_ignore_ascii_case("null")
}

/// Text that means "no value" in every column type (the az CLI writes `None`).
pub fn is_missing(text: &str) -> bool {
    text.is_empty() || text == "None"
}

/// Parses a datetime into UTC nanoseconds, floored to Kusto's 100 ns tick.
pub fn parse_datetime(text: &str) -> Option<Nanos> {
    match parse_canonical(text.as_bytes()) {
        Some(nanos) => Some(nanos),
        None => parse_any_datetime(text),
    }
}

/// The shape Kusto, Defender and most exports write (`2026-05-12T09:59:59.1234567Z`), read at
/// fixed positions: most datetimes of a large export are this, and a hunt reads every row's.
/// It gives exactly what [`parse_any_datetime`] gives; anything else falls through to it.
fn parse_canonical(b: &[u8]) -> Option<Nanos> {
    if b.len() < 20
        || !matches!(b[b.len() - 1], b'Z' | b'z')
        || b[4] != b'-'
        || b[7] != b'-'
        || !matches!(b[10], b'T' | b't' | b' ')
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let digit = |i: usize| -> Option<u32> {
        let d = b[i].wrapping_sub(b'0');
        (d < 10).then_some(u32::from(d))
    };
    let two = |i: usize| Some(digit(i)? * 10 + digit(i + 1)?);
    let year = digit(0)? * 1000 + digit(1)? * 100 + digit(2)? * 10 + digit(3)?;
    let (month, day) = (two(5)?, two(8)?);
    let (hour, minute, second) = (two(11)?, two(14)?, two(17)?);
    let frac = match &b[19..b.len() - 1] {
        [] => 0,
        [b'.' | b',', digits @ ..]
            if !digits.is_empty() && digits.iter().all(u8::is_ascii_digit) =>
        {
            let kept = &digits[..digits.len().min(9)];
            let value = kept.iter().fold(0u32, |v, d| v * 10 + u32::from(d - b'0'));
            value * FRACTION_SCALE[kept.len()]
        }
        _ => return None,
    };
    let nanos = to_nanos(Date::new(year, month, day)?, hour, minute, second, frac)?;
    Some((nanos - nanos.rem_euclid(100)).clamp(EARLIEST, LATEST))
}

/// [`parse_datetime`] for every shape it reads.
fn parse_any_datetime(text: &str) -> Option<Nanos> {
    let text = text.trim();
    let nanos = if text.contains('/') {
        parse_portal_datetime(text)?
    } else {
        parse_iso_datetime(text)?
    };
    Some((nanos - nanos.rem_euclid(100)).clamp(EARLIEST, LATEST))
}

struct Cursor<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            bytes: text.as_bytes(),
            pos: 0,
        }
    }
    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.pos).copied()
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    /// Consumes `b` or fails the parse.
    fn expect(&mut self, b: u8) -> Option<()> {
        self.eat(b).then_some(())
    }
    /// Reads between `min` and `max` ASCII digits; returns the value and how many were read.
    fn digits(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
        let start = self.pos;
        let mut value: u32 = 0;
        while self.pos - start < max {
            match self.peek() {
                Some(b @ b'0'..=b'9') => {
                    value = value * 10 + u32::from(b - b'0');
                    self.pos += 1;
                }
                _ => break,
            }
        }
        let n = self.pos - start;
        (n >= min).then_some((value, n))
    }
    fn done(&self) -> bool {
        self.pos == self.bytes.len()
    }
}

/// The earliest and latest instants a frame holds (nanoseconds in an `i64`: 1677-09-21 to
/// 2262-04-11), on Kusto's 100 ns tick. A datetime outside is held as the nearer of these, so
/// that it keeps its order against every event: `0001-01-01` (.NET's "unset") is earlier than
/// all of them, `9999-12-31` ("never expires") later. [`is_clamped`] tells the caller to say so.
pub const EARLIEST: Nanos = i64::MIN - i64::MIN % 100 + 100;
pub const LATEST: Nanos = i64::MAX - i64::MAX % 100;

/// Whether a parsed datetime stands for one outside the range a frame holds.
pub fn is_clamped(nanos: Nanos) -> bool {
    nanos == EARLIEST || nanos == LATEST
}

/// A calendar date (year 0 to 9999, months and days checked as a calendar has them).
#[derive(Debug, Clone, Copy)]
struct Date {
    year: i64,
    month: u32,
    day: u32,
}

impl Date {
    fn new(year: u32, month: u32, day: u32) -> Option<Date> {
        let leap =
            year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400));
        let days = match month {
            1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
            4 | 6 | 9 | 11 => 30,
            2 if leap => 29,
            2 => 28,
            _ => return None,
        };
        (day >= 1 && day <= days).then_some(Date {
            year: i64::from(year),
            month,
            day,
        })
    }

    /// Days since 1970-01-01 (proleptic Gregorian; Howard Hinnant's `days_from_civil`).
    fn days(self) -> i64 {
        let y = if self.month <= 2 {
            self.year - 1
        } else {
            self.year
        };
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let m = i64::from(self.month);
        let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(self.day) - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }
}

/// The instant of a date and time in UTC, held as the nearer end of the frame's range when
/// outside it. Every time of every datetime column goes through here: plain arithmetic, no
/// calendar library.
fn to_nanos(date: Date, h: u32, m: u32, s: u32, frac_nanos: u32) -> Option<Nanos> {
    if h > 23 || m > 59 || s > 59 || frac_nanos >= 1_000_000_000 {
        return None;
    }
    let seconds = date.days() * 86_400 + i64::from(h * 3600 + m * 60 + s);
    let nanos = i128::from(seconds) * 1_000_000_000 + i128::from(frac_nanos);
    Some(match i64::try_from(nanos) {
        Ok(n) => n,
        Err(_) if nanos < 0 => EARLIEST,
        Err(_) => LATEST,
    })
}

/// Reads `.fffffffff` (1 to 9 digits; further digits are below Kusto's resolution and ignored).
fn fraction(c: &mut Cursor) -> Option<u32> {
    if !(c.eat(b'.') || c.eat(b',')) {
        return Some(0);
    }
    let (value, n) = c.digits(1, 9)?;
    while matches!(c.peek(), Some(b'0'..=b'9')) {
        c.pos += 1;
    }
    Some(value * FRACTION_SCALE[n])
}

/// Nanoseconds per unit of a fraction of `n` digits.
const FRACTION_SCALE: [u32; 10] = [
    1_000_000_000,
    100_000_000,
    10_000_000,
    1_000_000,
    100_000,
    10_000,
    1_000,
    100,
    10,
    1,
];

fn parse_iso_datetime(text: &str) -> Option<Nanos> {
    let mut c = Cursor::new(text);
    let (year, _) = c.digits(4, 4)?;
    c.expect(b'-')?;
    let (month, _) = c.digits(1, 2)?;
    c.expect(b'-')?;
    let (day, _) = c.digits(1, 2)?;
    let date = Date::new(year, month, day)?;
    if c.done() {
        return to_nanos(date, 0, 0, 0, 0);
    }
    if !(c.eat(b'T') || c.eat(b't') || c.eat(b' ')) {
        return None;
    }
    let (hour, _) = c.digits(1, 2)?;
    c.expect(b':')?;
    let (minute, _) = c.digits(2, 2)?;
    let (second, frac) = if c.eat(b':') {
        let (s, _) = c.digits(2, 2)?;
        (s, fraction(&mut c)?)
    } else {
        (0, 0)
    };
    let offset_seconds: i64 = match c.peek() {
        None => 0,
        Some(b'Z') | Some(b'z') => {
            c.pos += 1;
            0
        }
        Some(sign @ (b'+' | b'-')) => {
            c.pos += 1;
            let (oh, _) = c.digits(2, 2)?;
            let _ = c.eat(b':');
            let om = c.digits(2, 2).map_or(0, |(v, _)| v);
            let magnitude = i64::from(oh * 3600 + om * 60);
            if sign == b'+' {
                magnitude
            } else {
                -magnitude
            }
        }
        Some(_) => return None,
    };
    if !c.done() || hour > 23 {
        return None;
    }
    let local = to_nanos(date, hour, minute, second, frac)?;
    if is_clamped(local) {
        return Some(local);
    }
    Some(
        local
            .checked_sub(offset_seconds * 1_000_000_000)
            .unwrap_or(if offset_seconds > 0 { EARLIEST } else { LATEST }),
    )
}

/// `4/28/2021, 2:08:45.221 PM` (Log Analytics portal export), the comma optional.
fn parse_portal_datetime(text: &str) -> Option<Nanos> {
    let mut c = Cursor::new(text);
    let (month, _) = c.digits(1, 2)?;
    c.expect(b'/')?;
    let (day, _) = c.digits(1, 2)?;
    c.expect(b'/')?;
    let (year, _) = c.digits(4, 4)?;
    let date = Date::new(year, month, day)?;
    let _ = c.eat(b',');
    if !c.eat(b' ') {
        return None;
    }
    let (hour, _) = c.digits(1, 2)?;
    c.expect(b':')?;
    let (minute, _) = c.digits(2, 2)?;
    let (second, frac) = if c.eat(b':') {
        let (s, _) = c.digits(2, 2)?;
        (s, fraction(&mut c)?)
    } else {
        (0, 0)
    };
    let rest = text[c.pos..].trim_start();
    let hour = match rest.to_ascii_uppercase().as_str() {
        "AM" if (1..=12).contains(&hour) => hour % 12,
        "PM" if (1..=12).contains(&hour) => hour % 12 + 12,
        "" if hour < 24 => hour,
        _ => return None,
    };
    to_nanos(date, hour, minute, second, frac)
}

/// How one source's datetime text is read: the formats [`parse_datetime`] knows (ISO 8601 and
/// the en-US portal form), or the browser locale format inferred for a portal CSV export (see
/// [`locale`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Datetimes {
    #[default]
    Standard,
    Locale(locale::LocalFormat),
}

impl Datetimes {
    pub fn parse(&self, text: &str) -> Option<Nanos> {
        match self {
            Datetimes::Standard => parse_datetime(text),
            Datetimes::Locale(f) => locale::DatetimeFormat::Local(*f)
                .parse(text.trim())
                .map(|n| n.clamp(EARLIEST, LATEST)),
        }
    }
}

/// `true`/`false` in any case, `1`/`0`.
pub fn parse_bool(text: &str) -> Option<bool> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("true") || t == "1" {
        Some(true)
    } else if t.eq_ignore_ascii_case("false") || t == "0" {
        Some(false)
    } else {
        None
    }
}

/// An integer, also when written as text or as a float with no fraction (`"9050"`, `9050.0`).
pub fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Ok(v) = t.parse::<i64>() {
        return Some(v);
    }
    let f: f64 = t.parse().ok()?;
    (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e18).then_some(f as i64)
}

/// Formats UTC nanoseconds as RFC 3339 ending in `Z`, keeping every significant sub-second
/// digit (Kusto's 7 at most).
pub fn format_datetime(nanos: Nanos) -> String {
    let secs = nanos.div_euclid(1_000_000_000);
    let sub = nanos.rem_euclid(1_000_000_000) as u32;
    let Some(dt) = chrono::DateTime::from_timestamp(secs, 0) else {
        return nanos.to_string();
    };
    let base = dt.format("%Y-%m-%dT%H:%M:%S").to_string();
    if sub == 0 {
        return format!("{base}Z");
    }
    let digits = format!("{sub:09}");
    format!("{base}.{}Z", digits.trim_end_matches('0'))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fixed-position reader gives what the general one gives on every string it takes,
    /// near misses included (those it leaves to the general reader).
    #[test]
    fn the_canonical_shape_reads_as_the_general_reader_reads_it() {
        let cases = [
            "2026-05-12T09:59:59.1234567Z",
            "2026-05-12T09:59:59Z",
            "2026-05-12 09:59:59.1Z",
            "2026-05-12t09:59:59,123456789123z",
            "2024-02-29T23:59:59.9999999Z",
            "0001-01-01T00:00:00Z",
            "9999-12-31T23:59:59.9999999Z",
            "1677-09-21T00:12:43.145224191Z",
            "2262-04-11T23:47:16.854775807Z",
            // Near misses: the general reader decides (and refuses or reads them).
            "2023-02-29T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-05-12T24:00:00Z",
            "2026-05-12T23:60:00Z",
            "2026-05-12T23:59:60Z",
            "2026-05-12T09:59:59.Z",
            "2026-05-12T09:59:59.12a4Z",
            "2026-05-12T09:59:59+01:00",
            "2026-05-12T9:59:59Z",
            " 2026-05-12T09:59:59Z",
            "2026-05-12T09:59:59Z ",
            "2026-05-12X09:59:59Z",
            "２026-05-12T09:59:59Z",
        ];
        for text in cases {
            assert_eq!(parse_datetime(text), parse_any_datetime(text), "{text:?}");
        }
        // Every fraction length, and every digit position replaced by a non-digit.
        let base = "2026-05-12T09:59:59.123456789Z";
        for cut in 20..base.len() {
            let text = format!("{}Z", &base[..cut]);
            assert_eq!(parse_datetime(&text), parse_any_datetime(&text), "{text}");
        }
        for i in 0..base.len() {
            let mut bytes = base.as_bytes().to_vec();
            bytes[i] = b'x';
            let text = String::from_utf8(bytes).unwrap();
            assert_eq!(parse_datetime(&text), parse_any_datetime(&text), "{text}");
        }
    }

    fn iso(text: &str) -> Nanos {
        chrono::DateTime::parse_from_rfc3339(text)
            .expect("valid test datetime")
            .timestamp_nanos_opt()
            .expect("in range")
    }

    #[test]
    fn datetimes() {
        let cases: &[(&str, Option<&str>)] = &[
            ("2021-04-28T14:08:45Z", Some("2021-04-28T14:08:45Z")),
            ("2021-04-28T14:08:45.2Z", Some("2021-04-28T14:08:45.2Z")),
            (
                "2021-04-28T14:08:45.2213421Z",
                Some("2021-04-28T14:08:45.2213421Z"),
            ),
            (
                "2021-04-28T14:08:45.221342199Z",
                Some("2021-04-28T14:08:45.2213421Z"),
            ),
            (
                "2021-04-28T14:08:45.2213421+00:00",
                Some("2021-04-28T14:08:45.2213421Z"),
            ),
            ("2021-04-28T16:08:45+02:00", Some("2021-04-28T14:08:45Z")),
            ("2021-04-28T09:08:45-0500", Some("2021-04-28T14:08:45Z")),
            ("2021-04-28T14:08:45", Some("2021-04-28T14:08:45Z")),
            ("2021-04-28 14:08:45.5", Some("2021-04-28T14:08:45.5Z")),
            ("2021-04-28", Some("2021-04-28T00:00:00Z")),
            (
                "4/28/2021, 2:08:45.221 PM",
                Some("2021-04-28T14:08:45.221Z"),
            ),
            (
                "4/28/2021, 12:08:45.221 AM",
                Some("2021-04-28T00:08:45.221Z"),
            ),
            ("12/1/2021, 12:00:00 PM", Some("2021-12-01T12:00:00Z")),
            ("4/28/2021 2:08:45 pm", Some("2021-04-28T14:08:45Z")),
            ("4/28/2021, 13:08:45 PM", None),
            ("2021-02-30T00:00:00Z", None),
            ("2021-04-28T25:00:00Z", None),
            ("yesterday", None),
            ("2021-04-28T14:08:45Zjunk", None),
            ("", None),
        ];
        for (text, expected) in cases {
            assert_eq!(parse_datetime(text), expected.map(iso), "{text:?}");
        }
    }

    #[test]
    fn calendar_arithmetic_equals_chrono() {
        // Every day of years around the edges and leap rules, at a few times of day.
        for year in [
            0u32, 1, 4, 100, 1582, 1600, 1677, 1678, 1900, 1970, 2000, 2024, 2100, 2262, 2263, 9999,
        ] {
            for month in 1..=12u32 {
                for day in 1..=31u32 {
                    let ours = Date::new(year, month, day);
                    let theirs = chrono::NaiveDate::from_ymd_opt(year as i32, month, day);
                    assert_eq!(ours.is_some(), theirs.is_some(), "{year}-{month}-{day}");
                    let (Some(ours), Some(theirs)) = (ours, theirs) else {
                        continue;
                    };
                    for (h, m, s, f) in [(0, 0, 0, 0), (23, 59, 59, 999_999_900), (12, 30, 1, 5)] {
                        let dt = theirs.and_hms_nano_opt(h, m, s, f).unwrap().and_utc();
                        let want = dt.timestamp_nanos_opt().unwrap_or(if dt.timestamp() < 0 {
                            EARLIEST
                        } else {
                            LATEST
                        });
                        assert_eq!(
                            to_nanos(ours, h, m, s, f),
                            Some(want),
                            "{year}-{month}-{day}"
                        );
                    }
                }
            }
        }
        let d = Date::new(2024, 5, 1).unwrap();
        assert_eq!(to_nanos(d, 24, 0, 0, 0), None);
        assert_eq!(to_nanos(d, 0, 60, 0, 0), None);
        assert_eq!(to_nanos(d, 0, 0, 60, 0), None);
    }

    #[test]
    fn datetimes_outside_the_range_keep_their_order() {
        let unset = parse_datetime("0001-01-01T00:00:00Z").unwrap();
        let never = parse_datetime("9999-12-31T23:59:59.9999999Z").unwrap();
        assert_eq!((unset, never), (EARLIEST, LATEST));
        assert!(is_clamped(unset) && is_clamped(never));
        let in_range = [
            parse_datetime("1677-09-22T00:00:00Z").unwrap(),
            parse_datetime("2024-01-01T00:00:00Z").unwrap(),
            parse_datetime("2262-04-10T00:00:00Z").unwrap(),
        ];
        for t in in_range {
            assert!(unset < t && t < never && !is_clamped(t));
        }
        assert_eq!(parse_datetime("1/1/0001, 12:00:00 AM"), Some(EARLIEST));
        assert_eq!(
            parse_datetime("2262-04-11T23:00:00+05:00"),
            parse_datetime("2262-04-11T18:00:00Z")
        );
    }

    #[test]
    fn format_keeps_sub_second_digits() {
        assert_eq!(
            format_datetime(iso("2021-04-28T14:08:45Z")),
            "2021-04-28T14:08:45Z"
        );
        assert_eq!(
            format_datetime(iso("2021-04-28T14:08:45.2213421Z")),
            "2021-04-28T14:08:45.2213421Z"
        );
        assert_eq!(
            format_datetime(iso("2021-04-28T14:08:45.22Z")),
            "2021-04-28T14:08:45.22Z"
        );
    }

    #[test]
    fn bools_and_ints() {
        for (t, e) in [
            ("TRUE", Some(true)),
            ("false", Some(false)),
            ("1", Some(true)),
            ("0", Some(false)),
            ("yes", None),
            ("", None),
        ] {
            assert_eq!(parse_bool(t), e, "{t:?}");
        }
        for (t, e) in [
            ("9050", Some(9050)),
            ("9050.0", Some(9050)),
            ("9050.5", None),
            ("x", None),
            ("-1", Some(-1)),
        ] {
            assert_eq!(parse_int(t), e, "{t:?}");
        }
    }
}
