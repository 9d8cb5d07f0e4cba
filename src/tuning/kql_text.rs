//! Text that goes into generated KQL: string literals and comments. Filter ids, titles and
//! values come from tuning files and from findings (an exclusion proposed from a hostile log
//! line), so none of them may end a literal or a comment early.
//!
//! Kusto's lexer (Kusto.Language `TokenParser`) ends a quoted string at `\r` or `\n`, and a `//`
//! comment at `\r`, `\n`, U+2028 or U+2029. Inside a double-quoted literal, `\"`, `\\`, `\n`,
//! `\r`, `\t` and `\uXXXX` are escapes (the docs name the first four; Kusto.Language decodes all
//! of them in `KustoFacts.GetStringLiteralValue`).

use crate::text::{escape_unsafe, is_unsafe_char};

/// Characters that a literal writes as an escape: controls (C0, DEL, C1), bidi controls, and
/// the Unicode line and paragraph separators.
fn escaped_in_literal(c: char) -> bool {
    is_unsafe_char(c) || matches!(c, '\u{2028}' | '\u{2029}')
}

/// `s` as a double-quoted KQL string literal whose value is exactly `s`, on one line, with no
/// raw control or bidi character.
pub fn string_literal(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if escaped_in_literal(c) => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// A `//` comment holding `text` on one line: line breaks become spaces, and other control and
/// bidi characters are shown as escapes (as on a terminal).
pub fn comment(text: &str) -> String {
    let one_line: String = text
        .chars()
        .map(|c| match c {
            '\r' | '\n' | '\u{2028}' | '\u{2029}' => ' ',
            c => c,
        })
        .collect();
    format!("// {}", escape_unsafe(&one_line))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_quotes_breaks_controls_and_bidi() {
        assert_eq!(string_literal("plain"), "\"plain\"");
        assert_eq!(
            string_literal("evil\"\n| take 0\n//"),
            "\"evil\\\"\\n| take 0\\n//\""
        );
        assert_eq!(string_literal("a\\b"), "\"a\\\\b\"");
        assert_eq!(
            string_literal("\r\t\x1b\u{9b}\u{202e}\u{2028}\u{2029}\u{7f}"),
            "\"\\r\\t\\u001b\\u009b\\u202e\\u2028\\u2029\\u007f\""
        );
        assert_eq!(string_literal("José 🙂"), "\"José 🙂\"");
    }

    #[test]
    fn comments_stay_on_one_line() {
        assert_eq!(
            comment("evil\n| take 0\r\n//\u{2028}x\u{2029}y"),
            "// evil | take 0  // x y"
        );
        assert_eq!(comment("a\u{202e}b\x1b"), "// a\\u{202e}b\\x1b");
        for c in comment("x\n\r\u{2028}\u{2029}\u{85}\x0b\x0c").chars() {
            assert!(!c.is_control() && c != '\u{2028}' && c != '\u{2029}');
        }
    }
}
