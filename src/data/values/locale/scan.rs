//! Reading one value's layout: its date and time parts, whatever the browser's locale wrote.

use chrono::NaiveDate;

use super::*;

/// One value taken apart; the day/month order is not yet decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Scanned {
    /// The date's fields as written, left to right.
    pub(super) fields: [u32; 3],
    pub(super) year_first: bool,
    pub(super) date_sep: DateSep,
    pub(super) time: Option<ScannedTime>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct ScannedTime {
    pub(super) hour: u32,
    pub(super) minute: u32,
    pub(super) second: u32,
    pub(super) nanos: u32,
    pub(super) sep: TimeSep,
    pub(super) pm: Option<bool>,
    pub(super) decimal: Option<Decimal>,
}

impl ScannedTime {
    pub(super) fn clock(&self) -> Clock {
        if self.pm.is_some() {
            Clock::H12
        } else {
            Clock::H24
        }
    }

    /// The 24-hour hour; `None` for an hour the clock does not have.
    pub(super) fn hour24(&self) -> Option<u32> {
        match self.pm {
            None => (self.hour < 24).then_some(self.hour),
            // 0 is allowed for locales whose 12-hour clock runs 0–11 (ja-JP h12: 午前0:05).
            Some(pm) if self.hour <= 12 => Some(self.hour % 12 + if pm { 12 } else { 0 }),
            Some(_) => None,
        }
    }
}

impl Scanned {
    /// (year, month, day) under `order`, if that order fits the value's layout.
    pub(super) fn ymd(&self, order: DateOrder) -> Option<(i32, u32, u32)> {
        let [a, b, c] = self.fields;
        let (y, m, d) = match (order, self.year_first) {
            (DateOrder::Ymd, true) => (a, b, c),
            (DateOrder::Mdy, false) => (c, a, b),
            (DateOrder::Dmy, false) => (c, b, a),
            _ => return None,
        };
        Some((i32::try_from(y).ok()?, m, d))
    }

    pub(super) fn date(&self, order: DateOrder) -> Option<NaiveDate> {
        let (y, m, d) = self.ymd(order)?;
        NaiveDate::from_ymd_opt(y, m, d)
    }

    pub(super) fn fits(&self, order: DateOrder) -> bool {
        self.date(order).is_some()
    }

    pub(super) fn nanos(&self, order: DateOrder) -> Option<Nanos> {
        let date = self.date(order)?;
        let (h, m, s, ns) = match &self.time {
            None => (0, 0, 0, 0),
            Some(t) => (t.hour24()?, t.minute, t.second, t.nanos),
        };
        let nanos = date
            .and_hms_nano_opt(h, m, s, ns)?
            .and_utc()
            .timestamp_nanos_opt()?;
        Some(nanos - nanos.rem_euclid(100))
    }
}

/// AM/PM markers as browsers write them, lower-cased for ASCII ones.
pub(super) const MARKERS: &[(&str, bool)] = &[
    ("a. m.", false),
    ("p. m.", true),
    ("a.m.", false),
    ("p.m.", true),
    ("am", false),
    ("pm", true),
    ("午前", false),
    ("午後", true),
    ("上午", false),
    ("下午", true),
    ("오전", false),
    ("오후", true),
    ("π.μ.", false),
    ("μ.μ.", true),
];

/// Reads a marker at the start of `text`: (is PM, bytes used).
pub(super) fn marker(text: &str) -> Option<(bool, usize)> {
    MARKERS.iter().find_map(|&(m, pm)| {
        let head = text.get(..m.len())?;
        head.eq_ignore_ascii_case(m).then_some((pm, m.len()))
    })
}

pub(super) struct Cursor<'a> {
    pub(super) text: &'a str,
    pub(super) pos: usize,
}

impl<'a> Cursor<'a> {
    pub(super) fn rest(&self) -> &'a str {
        &self.text[self.pos..]
    }
    pub(super) fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }
    pub(super) fn eat(&mut self, b: u8) -> bool {
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }
    pub(super) fn spaces(&mut self) -> usize {
        let start = self.pos;
        while self.peek() == Some(b' ') {
            self.pos += 1;
        }
        self.pos - start
    }
    /// Between `min` and `max` digits: (value, count).
    pub(super) fn digits(&mut self, min: usize, max: usize) -> Option<(u32, usize)> {
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
    pub(super) fn done(&self) -> bool {
        self.pos == self.text.len()
    }
}

/// Spaces of any width (browsers put U+202F before AM/PM and U+00A0 in places) become plain
/// spaces; direction marks (Intl adds them for some locales) are dropped.
pub(super) fn normalise(text: &str) -> String {
    text.trim()
        .chars()
        .filter(|c| !matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}'))
        .map(|c| {
            if matches!(c, '\u{00A0}' | '\u{2007}' | '\u{2009}' | '\u{202F}') {
                ' '
            } else {
                c
            }
        })
        .collect()
}

/// Years the Thai Buddhist calendar gives today's dates (2020 CE is 2563 BE); no security log
/// holds such Gregorian years, and reading them as such would shift every date by 543 years.
pub(super) const BUDDHIST_YEARS: std::ops::RangeInclusive<u32> = 2500..=2700;

/// Takes a locale datetime apart without deciding its day/month order.
pub(super) fn scan(text: &str) -> Option<Scanned> {
    let text = normalise(text);
    let mut c = Cursor {
        text: &text,
        pos: 0,
    };
    let (first, first_len) = c.digits(1, 4)?;
    let sep_byte = c.peek()?;
    let date_sep = match sep_byte {
        b'/' => DateSep::Slash,
        b'-' => DateSep::Dash,
        b'.' if c.rest().as_bytes().get(1) == Some(&b' ') => DateSep::DotSpace,
        b'.' => DateSep::Dot,
        _ => return None,
    };
    // A separator between date fields (for DotSpace: the dot and the spaces after it).
    let separator = |c: &mut Cursor| -> Option<()> {
        if !c.eat(sep_byte) || (date_sep == DateSep::DotSpace && c.spaces() == 0) {
            return None;
        }
        Some(())
    };
    separator(&mut c)?;
    let (second, _) = c.digits(1, 2)?;
    separator(&mut c)?;
    let (third, third_len) = c.digits(1, 4)?;
    if date_sep == DateSep::DotSpace {
        c.eat(b'.');
    }
    let year_first = match (first_len, third_len) {
        (4, 1..=2) => true,
        (1..=2, 4) => false,
        _ => return None,
    };
    let year = if year_first { first } else { third };
    if BUDDHIST_YEARS.contains(&year) {
        return None;
    }
    let mut scanned = Scanned {
        fields: [first, second, third],
        year_first,
        date_sep,
        time: None,
    };
    if c.done() {
        return Some(scanned);
    }
    c.eat(b',');
    if c.spaces() == 0 {
        return None;
    }
    if c.rest().starts_with("klo ") {
        c.pos += 4;
        c.spaces();
    }
    let mut pm = None;
    if let Some((is_pm, len)) = marker(c.rest()) {
        pm = Some(is_pm);
        c.pos += len;
        c.spaces();
    }
    let (hour, _) = c.digits(1, 2)?;
    let sep = match c.peek()? {
        b':' => TimeSep::Colon,
        b'.' => TimeSep::Dot,
        _ => return None,
    };
    c.pos += 1;
    let (minute, _) = c.digits(2, 2)?;
    let sep_byte = if sep == TimeSep::Colon { b':' } else { b'.' };
    let (mut second_v, mut nanos, mut decimal) = (0, 0, None);
    if c.eat(sep_byte) {
        second_v = c.digits(2, 2)?.0;
        let dec = match c.peek() {
            Some(b'.') if sep == TimeSep::Colon => Some(Decimal::Point),
            Some(b',') => Some(Decimal::Comma),
            _ => None,
        };
        if let Some(dec) = dec {
            c.pos += 1;
            let (value, n) = c.digits(1, 9)?;
            while matches!(c.peek(), Some(b'0'..=b'9')) {
                c.pos += 1;
            }
            nanos = value * 10u32.pow((9 - n) as u32);
            decimal = Some(dec);
        }
    }
    let had_space = c.spaces() > 0;
    if let Some((is_pm, len)) = marker(c.rest()) {
        if pm.is_some() {
            return None;
        }
        // ASCII markers follow a space (`2:08 PM`); CJK ones may be written close.
        let ascii = c.rest().as_bytes()[0].is_ascii();
        if ascii && !had_space {
            return None;
        }
        pm = Some(is_pm);
        c.pos += len;
    }
    if !c.done() || minute > 59 || second_v > 59 {
        return None;
    }
    scanned.time = Some(ScannedTime {
        hour,
        minute,
        second: second_v,
        nanos,
        sep,
        pm,
        decimal,
    });
    scanned.time.and_then(|t| t.hour24())?;
    Some(scanned)
}
