//! What a locale format is called, and the browser languages known to write it.

use super::*;

impl LocalFormat {
    pub(super) fn describe(&self) -> String {
        let letters: [&str; 3] = match self.order {
            DateOrder::Ymd => ["y", "m", "d"],
            DateOrder::Mdy => ["m", "d", "y"],
            DateOrder::Dmy => ["d", "m", "y"],
        };
        let mut text = format!(
            "{} {}",
            self.order.word(),
            letters.join(self.date_sep.text())
        );
        if let Some(time) = self.time {
            let sep = match time.sep {
                TimeSep::Colon => ":",
                TimeSep::Dot => ".",
            };
            let hour = match time.clock {
                Clock::H24 => "H",
                Clock::H12 => "h",
            };
            text.push_str(&format!(" {hour}{sep}M{sep}S"));
            match time.decimal {
                Some(Decimal::Point) => text.push_str(".f"),
                Some(Decimal::Comma) => text.push_str(",f"),
                None => {}
            }
            if time.clock == Clock::H12 {
                text.push_str(" AM/PM");
            }
        }
        let locales = self.locales();
        if !locales.is_empty() {
            text.push_str(&format!(" ({})", locales.join(", ")));
        }
        text
    }

    /// Browser locales known to write this format (from `Intl.DateTimeFormat` with numeric
    /// date, time and milliseconds), for the description only.
    pub(super) fn locales(&self) -> Vec<&'static str> {
        use Clock::*;
        use DateOrder::*;
        use DateSep as D;
        use Decimal::*;
        use TimeSep as T;
        type Known = (
            DateOrder,
            DateSep,
            TimeSep,
            Clock,
            Decimal,
            &'static [&'static str],
        );
        const KNOWN: &[Known] = &[
            (Mdy, D::Slash, T::Colon, H12, Point, &["en-US"]),
            (Dmy, D::Slash, T::Colon, H24, Point, &["en-GB", "en-IE"]),
            (
                Dmy,
                D::Slash,
                T::Colon,
                H24,
                Comma,
                &["fr-FR", "es-ES", "it-IT", "pt-BR", "pt-PT"],
            ),
            (
                Dmy,
                D::Slash,
                T::Colon,
                H12,
                Point,
                &["en-AU", "en-IN", "en-NZ", "es-MX"],
            ),
            (Dmy, D::Slash, T::Colon, H12, Comma, &["el-GR"]),
            (Dmy, D::Slash, T::Dot, H24, Comma, &["id-ID"]),
            (
                Dmy,
                D::Dot,
                T::Colon,
                H24,
                Comma,
                &[
                    "de-DE", "nb-NO", "pl-PL", "ro-RO", "ru-RU", "tr-TR", "uk-UA",
                ],
            ),
            (Dmy, D::Dot, T::Colon, H24, Point, &["de-CH", "he-IL"]),
            (Dmy, D::Dot, T::Dot, H24, Comma, &["da-DK", "fi-FI"]),
            (Dmy, D::Dash, T::Colon, H24, Comma, &["nl-NL"]),
            (
                Dmy,
                D::DotSpace,
                T::Colon,
                H24,
                Comma,
                &["cs-CZ", "hr-HR", "sk-SK"],
            ),
            (Ymd, D::Slash, T::Colon, H24, Point, &["ja-JP", "zh-CN"]),
            (Ymd, D::Slash, T::Colon, H12, Point, &["zh-TW"]),
            (Ymd, D::Slash, T::Colon, H24, Comma, &["en-ZA"]),
            (Ymd, D::DotSpace, T::Colon, H12, Point, &["ko-KR"]),
            (Ymd, D::DotSpace, T::Colon, H24, Comma, &["hu-HU"]),
            (Ymd, D::Dash, T::Colon, H12, Point, &["en-CA"]),
        ];
        let Some(time) = self.time else {
            return Vec::new();
        };
        let mut out: Vec<&'static str> = KNOWN
            .iter()
            .filter(|(o, d, t, c, dec, _)| {
                *o == self.order
                    && *d == self.date_sep
                    && *t == time.sep
                    && *c == time.clock
                    && time.decimal.is_none_or(|x| x == *dec)
            })
            .flat_map(|k| k.5.iter().copied())
            .collect();
        out.sort_unstable();
        out.dedup();
        out
    }

    /// Whether a scanned value has this format's layout (digit counts, spaces, the comma after
    /// the date and the spelling of AM/PM may vary).
    pub(super) fn accepts(&self, v: &Scanned) -> bool {
        if v.date_sep != self.date_sep || v.year_first != (self.order == DateOrder::Ymd) {
            return false;
        }
        match (&v.time, self.time) {
            (None, None) => true,
            (None, Some(_)) | (Some(_), None) => false,
            (Some(t), Some(f)) => {
                t.sep == f.sep
                    && t.clock() == f.clock
                    && match (t.decimal, f.decimal) {
                        (Some(a), Some(b)) => a == b,
                        _ => true,
                    }
            }
        }
    }
}
