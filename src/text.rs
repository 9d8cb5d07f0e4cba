//! Making attacker-controlled text safe to show. Log values (command lines, user agents, URLs)
//! are chosen by whoever generated the event: a raw ESC could drive the analyst's terminal and a
//! bidi override could make `exe.txt` read as `txt.exe`. Every such character is rendered as a
//! visible escape instead.

/// Whether a character must not reach a terminal raw.
pub fn is_unsafe_char(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{061C}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Escapes control characters and bidi controls as `\n`, `\t`, `\x1b`, `\u{202e}`.
pub fn escape_unsafe(text: &str) -> String {
    if !text.chars().any(is_unsafe_char) {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_unsafe_char(c) => {
                out.push_str(&format!("\\x{:02x}", c as u32))
            }
            c if is_unsafe_char(c) => out.push_str(&format!("\\u{{{:04x}}}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

/// A value quoted for a one-line message: escaped, and cut to `max` characters.
pub fn quote_value(text: &str, max: usize) -> String {
    let escaped = escape_unsafe(text);
    if escaped.chars().count() <= max {
        format!("\"{escaped}\"")
    } else {
        let cut: String = escaped.chars().take(max).collect();
        format!("\"{cut}…\"")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_controls_and_bidi() {
        assert_eq!(
            escape_unsafe("a\x1b[31mb\x07\r\n"),
            "a\\x1b[31mb\\x07\\r\\n"
        );
        assert_eq!(escape_unsafe("evil\u{202E}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(escape_unsafe("\u{9b}x"), "\\u{009b}x");
        assert_eq!(escape_unsafe("plain é"), "plain é");
        assert_eq!(quote_value("abcdef", 3), "\"abc…\"");
    }
}
