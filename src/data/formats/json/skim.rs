//! A lenient, allocation-free walk over JSON text, for reading the few columns a table needs out
//! of wide, messy records at the speed of the bytes.
//!
//! Only the structure is checked: objects, arrays, strings, and where each value ends. What is
//! inside a value is looked at only when the value is needed ([`cell`]): a bad number, a stray
//! byte or invalid UTF-8 in a column nobody reads costs nothing, and in a needed column it is
//! read as text and reported, instead of losing the record. Nesting depth is counted, not
//! recursed, so a deeply nested value cannot exhaust the stack.

use std::borrow::Cow;

use memchr::memchr2;
use serde_json::Value;

/// Where the walk could not go on, and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SkimError {
    /// Byte offset in the text walked.
    pub at: usize,
    pub what: &'static str,
}

/// What kind of value a member holds, by its first byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    String,
    Nested,
    /// A literal, a number, or a bare token that is neither (read as text when needed).
    Token,
}

/// One member of an object: the key's raw bytes (between the quotes), and the value's span.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub key: &'a [u8],
    /// The key holds backslash escapes.
    pub key_escaped: bool,
    pub value: &'a [u8],
    pub kind: Kind,
}

fn fail<T>(at: usize, what: &'static str) -> Result<T, SkimError> {
    Err(SkimError { at, what })
}

/// The first byte at or after `i` that is not JSON whitespace.
#[inline]
pub fn ws(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

/// `b[i]` is an opening quote: the index after the closing quote, and whether the string holds
/// escapes.
#[inline]
pub fn string_end(b: &[u8], i: usize) -> Result<(usize, bool), SkimError> {
    let mut j = i + 1;
    let mut escaped = false;
    loop {
        let Some(k) = memchr2(b'"', b'\\', &b[j.min(b.len())..]) else {
            return fail(b.len(), "string never closed");
        };
        let p = j + k;
        if b[p] == b'"' {
            return Ok((p + 1, escaped));
        }
        escaped = true;
        j = p + 2;
    }
}

/// `b[i]` opens an object or array: the index after its matching close. Brackets of either kind
/// are counted together; strings are skipped whole.
fn nested_end(b: &[u8], i: usize) -> Result<usize, SkimError> {
    let mut depth = 0usize;
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b'"' => {
                j = string_end(b, j)?.0;
                continue;
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => {
                depth -= 1;
                if depth == 0 {
                    return Ok(j + 1);
                }
            }
            _ => {}
        }
        j += 1;
    }
    fail(b.len(), "object or array never closed")
}

/// A token (literal, number or bare word) at `i`: where it ends. A quote or an opening bracket
/// inside is no bare word but broken structure (`x[1, 2]`), which the caller must not read on
/// from as if it were values.
#[inline]
fn token_end(b: &[u8], i: usize) -> Result<usize, SkimError> {
    let mut j = i;
    while j < b.len() {
        match b[j] {
            b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' => break,
            b'"' | b'{' | b'[' => return fail(j, "unexpected character in a value"),
            _ => j += 1,
        }
    }
    Ok(j)
}

/// The value starting at `i` (no whitespace before it): its end and kind.
#[inline]
pub fn value_end(b: &[u8], i: usize) -> Result<(usize, Kind), SkimError> {
    match b.get(i) {
        Some(b'"') => Ok((string_end(b, i)?.0, Kind::String)),
        Some(b'{' | b'[') => Ok((nested_end(b, i)?, Kind::Nested)),
        Some(b',' | b'}' | b']') | None => fail(i, "value missing"),
        Some(_) => Ok((token_end(b, i)?, Kind::Token)),
    }
}

/// Walks the object at `i` (`b[i]` must be `{`), handing each member to `member`; returns the
/// index after the closing brace.
#[inline]
pub fn members<'a>(
    b: &'a [u8],
    i: usize,
    mut member: impl FnMut(Member<'a>),
) -> Result<usize, SkimError> {
    if b.get(i) != Some(&b'{') {
        return fail(i, "not an object");
    }
    let mut j = ws(b, i + 1);
    if b.get(j) == Some(&b'}') {
        return Ok(j + 1);
    }
    loop {
        if b.get(j) != Some(&b'"') {
            return fail(j, "expected a key in quotes");
        }
        let (key_end, key_escaped) = string_end(b, j)?;
        let key = &b[j + 1..key_end - 1];
        j = ws(b, key_end);
        if b.get(j) != Some(&b':') {
            return fail(j, "expected ':' after a key");
        }
        j = ws(b, j + 1);
        let (end, kind) = value_end(b, j)?;
        member(Member {
            key,
            key_escaped,
            value: &b[j..end],
            kind,
        });
        j = ws(b, end);
        match b.get(j) {
            Some(b',') => j = ws(b, j + 1),
            Some(b'}') => return Ok(j + 1),
            _ => return fail(j, "expected ',' or '}' after a value"),
        }
    }
}

/// Walks the array at `i` (`b[i]` must be `[`), handing each element's span and kind to
/// `element`; returns the index after the closing bracket.
pub fn elements<'a>(
    b: &'a [u8],
    i: usize,
    mut element: impl FnMut(&'a [u8], Kind),
) -> Result<usize, SkimError> {
    if b.get(i) != Some(&b'[') {
        return fail(i, "not an array");
    }
    let mut j = ws(b, i + 1);
    if b.get(j) == Some(&b']') {
        return Ok(j + 1);
    }
    loop {
        let (end, kind) = value_end(b, j)?;
        element(&b[j..end], kind);
        j = ws(b, end);
        match b.get(j) {
            Some(b',') => j = ws(b, j + 1),
            Some(b']') => return Ok(j + 1),
            _ => return fail(j, "expected ',' or ']' after a value"),
        }
    }
}

/// What was wrong with a needed value, though it was read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flaw {
    /// Invalid UTF-8 or a lone surrogate escape: read with U+FFFD.
    Utf8,
    /// A bad escape, a bare word, a malformed number or nested value: read as its raw text.
    NotJson,
}

/// A string's content (the bytes between its quotes) as text, escapes undone.
pub fn unescape(raw: &[u8], escaped: bool) -> (Cow<'_, str>, Option<Flaw>) {
    if !escaped {
        return match std::str::from_utf8(raw) {
            Ok(s) => (Cow::Borrowed(s), None),
            Err(_) => (String::from_utf8_lossy(raw), Some(Flaw::Utf8)),
        };
    }
    let mut out: Vec<u8> = Vec::with_capacity(raw.len());
    let mut flaw = None;
    let mut i = 0;
    while i < raw.len() {
        // The run up to the next backslash, copied whole.
        let next = memchr::memchr(b'\\', &raw[i..]).map_or(raw.len(), |k| i + k);
        out.extend_from_slice(&raw[i..next]);
        i = next;
        if i >= raw.len() {
            break;
        }
        let Some(&e) = raw.get(i + 1) else {
            out.push(b'\\');
            flaw = Some(Flaw::NotJson);
            break;
        };
        i += 2;
        let simple = match e {
            b'"' => Some(b'"'),
            b'\\' => Some(b'\\'),
            b'/' => Some(b'/'),
            b'b' => Some(8),
            b'f' => Some(12),
            b'n' => Some(b'\n'),
            b'r' => Some(b'\r'),
            b't' => Some(b'\t'),
            _ => None,
        };
        if let Some(s) = simple {
            out.push(s);
            continue;
        }
        if e != b'u' {
            // Not an escape JSON knows: keep it as written.
            out.extend_from_slice(&[b'\\', e]);
            flaw = Some(Flaw::NotJson);
            continue;
        }
        let Some(unit) = hex4(raw, i) else {
            out.extend_from_slice(b"\\u");
            flaw = Some(Flaw::NotJson);
            continue;
        };
        i += 4;
        let code = if (0xD800..0xDC00).contains(&unit) {
            let low = (raw.get(i) == Some(&b'\\') && raw.get(i + 1) == Some(&b'u'))
                .then(|| hex4(raw, i + 2))
                .flatten()
                .filter(|l| (0xDC00..0xE000).contains(l));
            match low {
                Some(l) => {
                    i += 6;
                    0x10000 + ((unit - 0xD800) << 10) + (l - 0xDC00)
                }
                None => {
                    flaw = Some(Flaw::Utf8);
                    0xFFFD
                }
            }
        } else if (0xDC00..0xE000).contains(&unit) {
            flaw = Some(Flaw::Utf8);
            0xFFFD
        } else {
            unit
        };
        let ch = char::from_u32(code).unwrap_or('\u{FFFD}');
        let mut buf = [0u8; 4];
        out.extend_from_slice(ch.encode_utf8(&mut buf).as_bytes());
    }
    match String::from_utf8(out) {
        Ok(s) => (Cow::Owned(s), flaw),
        Err(e) => (
            Cow::Owned(String::from_utf8_lossy(e.as_bytes()).into_owned()),
            Some(Flaw::Utf8),
        ),
    }
}

fn hex4(raw: &[u8], i: usize) -> Option<u32> {
    let digits = raw.get(i..i + 4)?;
    let text = std::str::from_utf8(digits).ok()?;
    u32::from_str_radix(text, 16).ok()
}

/// A value as cell text, as Kusto shows it: strings unescaped, `null` missing, numbers and
/// booleans as JSON writes them, nested values as compact JSON text.
pub fn cell(value: &[u8], kind: Kind) -> (Option<Cow<'_, str>>, Option<Flaw>) {
    match kind {
        Kind::String => {
            let inner = &value[1..value.len() - 1];
            let escaped = memchr::memchr(b'\\', inner).is_some();
            let (text, flaw) = unescape(inner, escaped);
            (Some(text), flaw)
        }
        Kind::Token => token_cell(value),
        Kind::Nested => match serde_json::from_slice::<Value>(value) {
            Ok(v) => (Some(Cow::Owned(v.to_string())), None),
            Err(_) => (
                Some(Cow::Owned(String::from_utf8_lossy(value).into_owned())),
                Some(Flaw::NotJson),
            ),
        },
    }
}

/// A literal or number; a bare word is kept as text and flagged.
fn token_cell(value: &[u8]) -> (Option<Cow<'_, str>>, Option<Flaw>) {
    match value {
        b"null" => return (None, None),
        b"true" => return (Some(Cow::Borrowed("true")), None),
        b"false" => return (Some(Cow::Borrowed("false")), None),
        _ => {}
    }
    let plain_int = {
        let digits = value.strip_prefix(b"-").unwrap_or(value);
        !digits.is_empty()
            && digits.len() <= 18
            && digits.iter().all(u8::is_ascii_digit)
            && (digits[0] != b'0' || digits.len() == 1)
            && value != b"-0"
    };
    if plain_int {
        // ASCII digits: valid UTF-8.
        let text = std::str::from_utf8(value).unwrap_or_default();
        return (Some(Cow::Borrowed(text)), None);
    }
    if is_json_number(value) {
        if let Ok(v) = serde_json::from_slice::<Value>(value) {
            return (Some(Cow::Owned(v.to_string())), None);
        }
        // Valid JSON, out of f64's range (1e400): kept as written.
        return (Some(String::from_utf8_lossy(value)), None);
    }
    (Some(String::from_utf8_lossy(value)), Some(Flaw::NotJson))
}

/// Whether a token is a number as JSON's grammar writes it.
fn is_json_number(t: &[u8]) -> bool {
    let mut i = usize::from(t.first() == Some(&b'-'));
    let int_start = i;
    while i < t.len() && t[i].is_ascii_digit() {
        i += 1;
    }
    let int = &t[int_start..i];
    if int.is_empty() || (int.len() > 1 && int[0] == b'0') {
        return false;
    }
    if t.get(i) == Some(&b'.') {
        i += 1;
        let s = i;
        while i < t.len() && t[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    if matches!(t.get(i), Some(b'e' | b'E')) {
        i += 1;
        if matches!(t.get(i), Some(b'+' | b'-')) {
            i += 1;
        }
        let s = i;
        while i < t.len() && t[i].is_ascii_digit() {
            i += 1;
        }
        if i == s {
            return false;
        }
    }
    i == t.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn walk(text: &str) -> Result<Vec<(String, String)>, SkimError> {
        let b = text.as_bytes();
        let mut out = Vec::new();
        let end = members(b, ws(b, 0), |m| {
            let (k, _) = unescape(m.key, m.key_escaped);
            let (v, _) = cell(m.value, m.kind);
            out.push((
                k.into_owned(),
                v.map_or("<null>".into(), |v| v.into_owned()),
            ));
        })?;
        assert_eq!(ws(b, end), b.len(), "{text}");
        Ok(out)
    }

    #[test]
    fn cells_as_the_value_tree_gives_them() {
        let cases: &[(&str, Option<&str>)] = &[
            (r#""plain""#, Some("plain")),
            (r#""esc \"q\" \u00e9 \n""#, Some("esc \"q\" é \n")),
            (r#""\ud83d\ude00""#, Some("😀")),
            ("null", None),
            ("true", Some("true")),
            ("false", Some("false")),
            ("9050", Some("9050")),
            ("-12", Some("-12")),
            ("0", Some("0")),
            ("9050.0", Some("9050.0")),
            ("1e3", Some("1000.0")),
            ("12345678901234567890", Some("12345678901234567890")),
            ("-0", None),
            (r#"[1,{"k":"v"}]"#, Some(r#"[1,{"k":"v"}]"#)),
            (
                r#"{ "b" : [ true , null ] , "a" : 1 }"#,
                Some(r#"{"b":[true,null],"a":1}"#),
            ),
        ];
        for (text, want) in cases {
            let b = text.as_bytes();
            let (end, kind) = value_end(b, 0).unwrap();
            assert_eq!(end, b.len(), "{text}");
            let (got, flaw) = cell(b, kind);
            assert_eq!(flaw, None, "{text}");
            let tree = serde_json::from_str::<Value>(text).unwrap();
            let reference = match &tree {
                Value::Null => None,
                Value::String(s) => Some(s.clone()),
                v => Some(v.to_string()),
            };
            assert_eq!(got.map(|c| c.into_owned()), reference, "{text}");
            if let Some(w) = want {
                assert_eq!(reference.as_deref(), Some(*w), "{text}");
            }
        }
    }

    #[test]
    fn bad_values_are_read_as_text_and_flagged() {
        for (text, want, flaw) in [
            ("0x10", "0x10", Flaw::NotJson),
            ("NaN", "NaN", Flaw::NotJson),
            ("01", "01", Flaw::NotJson),
            (r#""a\qb""#, "a\\qb", Flaw::NotJson),
            (r#""lone \ud800 x""#, "lone \u{FFFD} x", Flaw::Utf8),
        ] {
            let b = text.as_bytes();
            let (end, kind) = value_end(b, 0).unwrap();
            assert_eq!(end, b.len());
            let (got, f) = cell(b, kind);
            assert_eq!(got.as_deref(), Some(want), "{text}");
            assert_eq!(f, Some(flaw), "{text}");
        }
        let (got, f) = cell(b"\"bad \xff byte\"", Kind::String);
        assert_eq!(got.as_deref(), Some("bad \u{FFFD} byte"));
        assert_eq!(f, Some(Flaw::Utf8));
        // Out of f64's range, yet JSON: kept as written, not flagged.
        assert_eq!(cell(b"1e400", Kind::Token).0.as_deref(), Some("1e400"));
    }

    #[test]
    fn objects_walk_and_fail_where_the_structure_breaks() {
        assert_eq!(
            walk(r#"{"a":"x","b":1,"c":{"d":[1,2,{"e":"}"}]},"f":0x10}"#).unwrap(),
            vec![
                ("a".into(), "x".into()),
                ("b".into(), "1".into()),
                ("c".into(), r#"{"d":[1,2,{"e":"}"}]}"#.into()),
                ("f".into(), "0x10".into()),
            ]
        );
        assert_eq!(walk("{}").unwrap(), vec![]);
        let deep = format!(
            "{{\"x\":{}1{},\"y\":2}}",
            "[".repeat(10_000),
            "]".repeat(10_000)
        );
        assert_eq!(walk(&deep).unwrap()[1], ("y".into(), "2".into()));
        for bad in [
            r#"{"a":"x""#,
            r#"{"a" "x"}"#,
            r#"{"a":"x" "b":1}"#,
            r#"{"a":}"#,
            r#"{a:1}"#,
            r#"{"a":"never closed}"#,
            r#"{"a":[1,2}"#,
        ] {
            assert!(walk(bad).is_err(), "{bad}");
        }
    }
}
