//! An RFC 4180 record reader that knows where every record starts.
//!
//! Exports are messy (BOM, CRLF, newlines inside quoted JSON cells, truncated last rows), and
//! every bad row must be reported by line. Polars' CSV reader does not say which line a row came
//! from, so records are tokenised here; only the projected columns are turned into strings.

use std::borrow::Cow;

use memchr::{memchr, memchr2, memchr2_iter};

/// A field's byte range in the file, and whether it holds doubled quotes to undo.
#[derive(Debug, Clone, Copy)]
pub struct FieldSpan {
    start: usize,
    end: usize,
    escaped: bool,
}

/// One record: the line it starts on and its fields.
#[derive(Debug, Default)]
pub struct Record {
    pub line: u64,
    pub fields: Vec<FieldSpan>,
}

/// A structural problem in the CSV text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CsvError {
    /// A quoted field still open at the end of the file (the export was cut short).
    UnterminatedQuote { line: u64 },
}

/// Reads records one at a time, reusing the field buffer.
pub struct Records<'a> {
    bytes: &'a [u8],
    pos: usize,
    line: u64,
    /// The byte that ends a line: `\n` (LF or CRLF files), or `\r` (old Mac files).
    newline: u8,
}

impl<'a> Records<'a> {
    /// Starts at the beginning of `bytes` (after any BOM, which the caller strips), with lines
    /// ending in LF or CRLF.
    pub fn new(bytes: &'a [u8]) -> Self {
        Self::with_newline(bytes, b'\n')
    }

    /// Lines end in `newline` (`\r` for CR-only files).
    pub fn with_newline(bytes: &'a [u8], newline: u8) -> Self {
        Self {
            bytes,
            pos: 0,
            line: 1,
            newline,
        }
    }

    /// The byte offset where the next record begins.
    pub fn position(&self) -> usize {
        self.pos
    }

    /// Fills `rec` with the next record; `Ok(false)` at the end of the input.
    pub fn next_into(&mut self, rec: &mut Record) -> Result<bool, CsvError> {
        let b = self.bytes;
        if self.pos >= b.len() {
            return Ok(false);
        }
        rec.fields.clear();
        rec.line = self.line;
        loop {
            let nl = self.newline;
            let span = if b.get(self.pos) == Some(&b'"') {
                self.quoted_field(rec.line)?
            } else {
                let start = self.pos;
                let stop = field_end(b, start, nl);
                self.pos = stop;
                let mut end = stop;
                if nl == b'\n'
                    && end > start
                    && b[end - 1] == b'\r'
                    && (stop == b.len() || b[stop] == b'\n')
                {
                    end -= 1;
                }
                FieldSpan {
                    start,
                    end,
                    escaped: false,
                }
            };
            rec.fields.push(span);
            match b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(&c) if c == nl => {
                    self.pos += 1;
                    self.line += 1;
                    return Ok(true);
                }
                _ => return Ok(true),
            }
        }
    }

    fn quoted_field(&mut self, record_line: u64) -> Result<FieldSpan, CsvError> {
        let b = self.bytes;
        let start = self.pos + 1;
        let mut at = start;
        let mut escaped = false;
        let end = loop {
            let Some(q) = memchr(b'"', &b[at..]).map(|i| at + i) else {
                self.line += count_newlines(&b[at..], self.newline);
                self.pos = b.len();
                return Err(CsvError::UnterminatedQuote { line: record_line });
            };
            self.line += count_newlines(&b[at..q], self.newline);
            if b.get(q + 1) == Some(&b'"') {
                escaped = true;
                at = q + 2;
            } else {
                break q;
            }
        };
        // After the closing quote: tolerate stray text up to the delimiter, and CR before LF.
        let after = end + 1;
        let stop = field_end(b, after, self.newline);
        self.pos = stop;
        Ok(FieldSpan {
            start,
            end,
            escaped,
        })
    }

    /// Skips to the next line after an error, so that reading can go on.
    pub fn resync(&mut self) {
        self.pos = self.bytes.len();
    }
}

/// The first `,` or `newline` at or after `from`, or the end. Most fields are short, where a
/// word-at-a-time test beats setting up a vector search; long ones go on with `memchr2`.
fn field_end(b: &[u8], from: usize, newline: u8) -> usize {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let mut at = from;
    for _ in 0..4 {
        let Some(chunk) = b.get(at..at + 8) else {
            break;
        };
        let word = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let zero_byte = |x: u64| x.wrapping_sub(ONES) & !x & HIGHS;
        let hits = zero_byte(word ^ (ONES * u64::from(b',')))
            | zero_byte(word ^ (ONES * u64::from(newline)));
        if hits != 0 {
            return at + (hits.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    memchr2(b',', newline, &b[at..]).map_or(b.len(), |i| at + i)
}

fn count_newlines(bytes: &[u8], newline: u8) -> u64 {
    memchr::memchr_iter(newline, bytes).count() as u64
}

/// The byte that ends the lines of CSV text: `\r` when the first line ends in a CR that no LF
/// follows (old Mac exports), else `\n` (LF and CRLF).
pub fn newline_of(bytes: &[u8]) -> u8 {
    let mut quoted = false;
    for i in memchr::memchr3_iter(b'"', b'\n', b'\r', bytes) {
        match bytes[i] {
            b'"' => quoted = !quoted,
            _ if quoted => {}
            b'\r' if bytes.get(i + 1) != Some(&b'\n') => return b'\r',
            _ => return b'\n',
        }
    }
    b'\n'
}

/// Where records end, found by quote parity (a newline outside quotes ends a record), without
/// tokenising: how a body is cut into pieces or blocks that each start on a record. Exact for
/// well-formed CSV, which quotes every field holding a quote. It resumes where it stopped when
/// the buffer grows.
#[derive(Debug)]
pub struct RecordEnds {
    pos: usize,
    in_quotes: bool,
    newlines: u64,
    newline: u8,
}

impl Default for RecordEnds {
    fn default() -> Self {
        Self::with_newline(b'\n')
    }
}

impl RecordEnds {
    pub fn with_newline(newline: u8) -> Self {
        RecordEnds {
            pos: 0,
            in_quotes: false,
            newlines: 0,
            newline,
        }
    }

    /// Calls `at` with each record end past where the last call stopped, in `buf`: the offset
    /// just after its newline, and the newlines up to it. `at` returns whether to go on.
    pub fn scan(&mut self, buf: &[u8], mut at: impl FnMut(usize, u64) -> bool) {
        for i in memchr2_iter(b'"', self.newline, &buf[self.pos..]) {
            let i = self.pos + i;
            if buf[i] == b'"' {
                self.in_quotes = !self.in_quotes;
                continue;
            }
            self.newlines += 1;
            if !self.in_quotes && !at(i + 1, self.newlines) {
                self.pos = i + 1;
                return;
            }
        }
        self.pos = buf.len();
    }

    /// Newlines seen so far, inside quotes or not.
    pub fn newlines(&self) -> u64 {
        self.newlines
    }
}

/// The raw bytes of a field with doubled quotes undone.
pub fn field_bytes<'a>(bytes: &'a [u8], span: FieldSpan) -> Cow<'a, [u8]> {
    let raw = &bytes[span.start..span.end];
    if !span.escaped {
        return Cow::Borrowed(raw);
    }
    let mut out = Vec::with_capacity(raw.len());
    let mut i = 0;
    while i < raw.len() {
        out.push(raw[i]);
        i += if raw[i] == b'"' && raw.get(i + 1) == Some(&b'"') {
            2
        } else {
            1
        };
    }
    Cow::Owned(out)
}

/// Whether a record is a blank line (one empty field), which exports leave at the end.
pub fn is_blank(bytes: &[u8], rec: &Record) -> bool {
    rec.fields.len() == 1 && rec.fields[0].start == rec.fields[0].end && !bytes_quoted(bytes, rec)
}

fn bytes_quoted(bytes: &[u8], rec: &Record) -> bool {
    rec.fields[0].start > 0 && bytes[rec.fields[0].start - 1] == b'"'
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn field_end_finds_what_memchr2_finds() {
        let text = b"a,bb,\n,0123456789abcdef0123456789abcdef0123456789,x\xff\x80,\n\n,,tail";
        for from in 0..text.len() {
            let want = memchr2(b',', b'\n', &text[from..]).map_or(text.len(), |i| from + i);
            assert_eq!(field_end(text, from, b'\n'), want, "from {from}");
        }
        // Every byte value next to the delimiters, so that no borrow in the word test misleads.
        for v in 0..=255u8 {
            let t = [v, v, b',', v, v, v, v, v, v, v, b'\n', v];
            for from in 0..t.len() {
                let want = memchr2(b',', b'\n', &t[from..]).map_or(t.len(), |i| from + i);
                assert_eq!(field_end(&t, from, b'\n'), want, "byte {v} from {from}");
            }
        }
    }

    fn parse(text: &str) -> (Vec<(u64, Vec<String>)>, Option<CsvError>) {
        let mut r = Records::new(text.as_bytes());
        let mut rec = Record::default();
        let mut out = Vec::new();
        loop {
            match r.next_into(&mut rec) {
                Ok(true) => out.push((
                    rec.line,
                    rec.fields
                        .iter()
                        .map(|f| {
                            String::from_utf8(field_bytes(text.as_bytes(), *f).into_owned())
                                .unwrap()
                        })
                        .collect(),
                )),
                Ok(false) => return (out, None),
                Err(e) => return (out, Some(e)),
            }
        }
    }

    #[test]
    fn quoting_newlines_and_crlf() {
        let (recs, err) = parse("a,b\r\n1,\"x\r\ny\"\r\n\"q\"\"q\",\r\n3,4");
        assert_eq!(err, None);
        assert_eq!(
            recs,
            vec![
                (1, vec!["a".into(), "b".into()]),
                (2, vec!["1".into(), "x\r\ny".into()]),
                (4, vec!["q\"q".into(), "".into()]),
                (5, vec!["3".into(), "4".into()]),
            ]
        );
    }

    #[test]
    fn cr_only_lines() {
        let text = "a,b\r1,\"x\ry\"\r3,4\r";
        assert_eq!(newline_of(text.as_bytes()), b'\r');
        assert_eq!(newline_of(b"a,b\r\n1,2"), b'\n');
        assert_eq!(newline_of(b"\"a\rb\",c\n1,2"), b'\n');
        let mut r = Records::with_newline(text.as_bytes(), b'\r');
        let mut rec = Record::default();
        let mut rows = Vec::new();
        while r.next_into(&mut rec).unwrap() {
            let cells: Vec<String> = rec
                .fields
                .iter()
                .map(|f| String::from_utf8(field_bytes(text.as_bytes(), *f).into_owned()).unwrap())
                .collect();
            rows.push((rec.line, cells));
        }
        assert_eq!(
            rows,
            vec![
                (1, vec!["a".to_string(), "b".to_string()]),
                (2, vec!["1".to_string(), "x\ry".to_string()]),
                (4, vec!["3".to_string(), "4".to_string()]),
            ]
        );
    }

    #[test]
    fn unterminated_quote_is_reported_at_its_record() {
        let (recs, err) = parse("a,b\n1,2\n3,\"cut\nshort");
        assert_eq!(recs.len(), 2);
        assert_eq!(err, Some(CsvError::UnterminatedQuote { line: 3 }));
    }
}
