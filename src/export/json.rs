//! JSON text that is safe on a terminal and exact for a reader. serde_json escapes only C0
//! controls, `"` and `\`; a log value's DEL, C1 controls (U+009B is a one-byte CSI) and bidi
//! overrides would reach a terminal raw through `hunt | less -R` or `cat findings.ndjson`. They
//! are written as `\uXXXX` escapes instead, which any JSON reader turns back into the same
//! string.

use std::io::{self, Write};

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter, Serializer};
use serde_json::Value;

use crate::text::is_unsafe_char;

/// A formatter that escapes [`is_unsafe_char`] characters inside strings and otherwise
/// formats as `F` does.
struct SafeStrings<F>(F);

impl<F: Formatter> Formatter for SafeStrings<F> {
    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        let mut start = 0;
        for (at, c) in fragment.char_indices() {
            if is_unsafe_char(c) {
                writer.write_all(&fragment.as_bytes()[start..at])?;
                // Every such character is in the Basic Multilingual Plane: one escape each.
                write!(writer, "\\u{:04x}", c as u32)?;
                start = at + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    // The layout methods a pretty formatter overrides are passed on.
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as one line of JSON (no newline).
pub fn write_compact<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let mut ser = Serializer::with_formatter(out, SafeStrings(CompactFormatter));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// Writes `value` as indented JSON (no final newline).
pub fn write_pretty<T: Serialize + ?Sized>(out: &mut dyn Write, value: &T) -> io::Result<()> {
    let mut ser = Serializer::with_formatter(out, SafeStrings(PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(io::Error::from)
}

/// Writes each record as one line of JSON.
pub fn write_lines<T: Serialize>(
    out: &mut dyn Write,
    records: impl IntoIterator<Item = T>,
) -> io::Result<()> {
    for record in records {
        write_compact(out, &record)?;
        out.write_all(b"\n")?;
    }
    Ok(())
}

/// Writes the records `records()` gives as one indented JSON array and a final newline; each
/// is made as it is written, never all at once.
pub fn write_array<T, I>(out: &mut dyn Write, records: impl Fn() -> I) -> io::Result<()>
where
    T: Serialize,
    I: Iterator<Item = T>,
{
    struct Seq<F>(F);
    impl<T: Serialize, I: Iterator<Item = T>, F: Fn() -> I> Serialize for Seq<F> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.collect_seq((self.0)())
        }
    }
    write_pretty(out, &Seq(records))?;
    out.write_all(b"\n")
}

/// `value` as one line of JSON text, for callers that want a string.
pub fn to_compact_string(value: &Value) -> String {
    let mut buf = Vec::new();
    // Writing to a Vec cannot fail, and the output of a `Value` is UTF-8.
    let _ = write_compact(&mut buf, value);
    String::from_utf8_lossy(&buf).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOSTILE: &str = "a\u{1b}[31mb\u{9b}c\u{202e}d\r\n\t\u{7f}e\u{2066}\"\\é";

    #[test]
    fn hostile_strings_are_escaped_and_read_back_exactly() {
        let v = serde_json::json!({"k": HOSTILE, "list": [HOSTILE]});
        for text in [to_compact_string(&v), {
            let mut b = Vec::new();
            write_pretty(&mut b, &v).unwrap();
            String::from_utf8(b).unwrap()
        }] {
            assert!(
                !text
                    .chars()
                    .any(|c| is_unsafe_char(c) && c != '\n' && c != ' '),
                "{text:?}"
            );
            assert!(
                text.contains("\\u009b") && text.contains("\\u202e"),
                "{text}"
            );
            assert!(
                text.contains("\\u007f") && text.contains("\\u2066"),
                "{text}"
            );
            assert!(text.contains('é'), "other text stays as it is: {text}");
            let back: Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
        let compact = to_compact_string(&v);
        assert!(!compact.contains('\n'));
    }
}
