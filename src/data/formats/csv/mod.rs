//! CSV exports: RFC 4180 with a header row, LF, CRLF or CR-only line ends, quoted cells that
//! span lines, a PowerShell 5.1 `#TYPE` line before the header. Records are tokenised here
//! ([`tokenizer`]) because every bad row must be reported by its line; large files are read in
//! blocks of whole records ([`blocks`]); only the requested columns become strings.

pub mod tokenizer;

use std::borrow::Cow;

use tokenizer::{
    field_bytes, is_blank, newline_of, CsvError, FieldSpan, Record, RecordEnds, Records,
};

use crate::data::issues::{Issue, IssueLog, Location, Severity};
use crate::data::pool;
use crate::data::source::{clean_header, Addressing, Cell, Extracted, Request, Source, SourceMeta};
use crate::data::values::is_missing;

/// CSV text: the header's names, and the records after it.
pub struct CsvSource {
    pub meta: SourceMeta,
    /// The text (a whole file, or one block of it).
    bytes: Vec<u8>,
    /// Where the records after the header begin, and the file line that is.
    body_start: usize,
    body_line: u64,
    /// Whether a large body may be split across threads (not when the caller already runs
    /// one block per thread).
    split: bool,
    newline: u8,
}

/// What a header row leaves for the blocks after it.
#[derive(Clone)]
pub struct Layout {
    pub meta: SourceMeta,
    pub newline: u8,
}

impl CsvSource {
    /// A later block of a file whose header `layout` came from; `line` is the file line the
    /// block starts on.
    pub fn block(layout: &Layout, bytes: Vec<u8>, line: u64) -> CsvSource {
        CsvSource {
            meta: layout.meta.clone(),
            bytes,
            body_start: 0,
            body_line: line,
            split: false,
            newline: layout.newline,
        }
    }

    pub fn layout(&self) -> Layout {
        Layout {
            meta: self.meta.clone(),
            newline: self.newline,
        }
    }

    /// The block's bytes back, for reuse.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

/// The `#TYPE System.Management.Automation.PSCustomObject` line Windows PowerShell 5.1's
/// `Export-Csv` writes before the header (without `-NoTypeInformation`).
fn powershell_type_line(bytes: &[u8], newline: u8) -> Option<usize> {
    if !bytes.starts_with(b"#TYPE ") {
        return None;
    }
    memchr::memchr(newline, bytes).map(|i| i + 1)
}

/// Reads the header of CSV text. `owned` is the whole file (or its first block); its text
/// starts at `start` (after a BOM).
pub fn open(
    name: &str,
    path: &str,
    owned: Vec<u8>,
    start: usize,
    log: &mut IssueLog,
) -> Option<CsvSource> {
    let text = &owned[start..];
    let newline = newline_of(text);
    let skipped = powershell_type_line(text, newline).unwrap_or(0);
    let bytes = &text[skipped..];
    let mut records = Records::with_newline(bytes, newline);
    let mut header = Record::default();
    let first_line = 1 + u64::from(skipped > 0);
    match records.next_into(&mut header) {
        Ok(true) => {}
        Ok(false) => {
            log.push("empty", Issue::file_error(name, "file is empty"));
            return None;
        }
        Err(CsvError::UnterminatedQuote { line }) => {
            let line = line + first_line - 1;
            log.push(
                "unreadable",
                Issue::file_error(
                    name,
                    format!("line {line}: header row has a quote that is never closed"),
                ),
            );
            return None;
        }
    }
    let mut meta = SourceMeta::new(name, path, "csv", Addressing::Lines);
    meta.headers = header
        .fields
        .iter()
        .map(|f| clean_header(&String::from_utf8_lossy(&field_bytes(bytes, *f))))
        .collect();
    let body_start = records.position();
    let body_line = first_line + count(bytes, body_start, newline);
    Some(CsvSource {
        meta,
        body_start: start + skipped + body_start,
        bytes: owned,
        body_line,
        split: true,
        newline,
    })
}

fn count(bytes: &[u8], upto: usize, newline: u8) -> u64 {
    memchr::memchr_iter(newline, &bytes[..upto]).count() as u64
}

/// CSV bodies larger than this are split across threads.
const PARALLEL_CSV_BYTES: usize = 8 << 20;

/// Split points for parsing `body` in `parts` pieces: offsets just after a newline that lies
/// outside any quoted field (so every piece starts on a record), with the line each starts on.
fn record_splits(body: &[u8], parts: usize, newline: u8) -> Vec<(usize, u64)> {
    let mut splits = vec![(0usize, 0u64)];
    if parts < 2 {
        return splits;
    }
    let step = body.len() / parts;
    let mut target = step;
    RecordEnds::with_newline(newline).scan(body, |end, newlines| {
        if end >= target && end < body.len() {
            splits.push((end, newlines));
            target = end + step;
        }
        splits.len() < parts
    });
    splits
}

impl Source for CsvSource {
    fn meta(&self) -> &SourceMeta {
        &self.meta
    }

    fn datetime_text(&self, requests: &[&[usize]]) -> Option<Vec<String>> {
        let columns: Vec<Vec<usize>> = requests.iter().map(|r| r.to_vec()).collect();
        let request = Request {
            columns: &columns,
            filter: None,
            table: "",
        };
        let mut log = IssueLog::default();
        let body = &self.bytes[self.body_start..];
        let got = self.extract_piece(body, self.body_line, &request, &mut log);
        Some(
            got.columns
                .into_iter()
                .flatten()
                .flatten()
                .map(|c| c.into_owned())
                .collect(),
        )
    }

    fn extract(&self, request: &Request, log: &mut IssueLog) -> Extracted<'_> {
        // A large body is parsed in record-aligned pieces on every core; pieces are joined in
        // order, so rows, lines and messages are exactly as one pass gives.
        let body = &self.bytes[self.body_start..];
        let parts = if self.split && body.len() >= PARALLEL_CSV_BYTES {
            pool::threads()
        } else {
            1
        };
        self.extract_in(body, self.body_line, request, log, parts)
    }
}

impl CsvSource {
    fn extract_in<'a>(
        &'a self,
        body: &'a [u8],
        body_line: u64,
        request: &Request,
        log: &mut IssueLog,
        parts: usize,
    ) -> Extracted<'a> {
        let splits = record_splits(body, parts, self.newline);
        if splits.len() == 1 {
            return self.extract_piece(body, body_line, request, log);
        }
        let parsed = pool::map(
            &pool::pieces(&splits, body.len()),
            |&(start, end, lines_before)| {
                let mut piece_log = IssueLog::default();
                let e = self.extract_piece(
                    &body[start..end],
                    body_line + lines_before,
                    request,
                    &mut piece_log,
                );
                (e, piece_log)
            },
        );
        let mut out = Extracted::empty(request.columns.len());
        for (e, piece_log) in parsed {
            out.append(e);
            log.extend(piece_log);
        }
        out
    }

    /// One record-aligned piece of a CSV body, whose first line is `first_line` of the file.
    fn extract_piece<'a>(
        &self,
        body: &'a [u8],
        first_line: u64,
        request: &Request,
        log: &mut IssueLog,
    ) -> Extracted<'a> {
        let requests = request.columns;
        let table = request.table;
        let mut out = Extracted::empty(requests.len());
        let mut row: Vec<Option<Cell<'a>>> = vec![None; requests.len()];
        let valid_utf8 = body.is_ascii() || std::str::from_utf8(body).is_ok();
        let mut records = Records::with_newline(body, self.newline);
        let mut rec = Record::default();
        let width = self.meta.headers.len();
        loop {
            match records.next_into(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(CsvError::UnterminatedQuote { line }) => {
                    out.rejected += 1;
                    let at = Location::Line(line + first_line - 1);
                    let msg = "quoted field never closed (file cut short?); this row and the rest of the file skipped".to_string();
                    log.push(
                        "truncated",
                        self.meta.issue(table, Some(at), None, Severity::Error, msg),
                    );
                    records.resync();
                    continue;
                }
            }
            let line = rec.line + first_line - 1;
            if is_blank(body, &rec) && width > 1 {
                continue;
            }
            if rec.fields.len() != width {
                out.rejected += 1;
                let msg = format!(
                    "expected {width} fields, found {}; row skipped",
                    rec.fields.len()
                );
                log.push(
                    "ragged",
                    self.meta.issue(
                        table,
                        Some(Location::Line(line)),
                        None,
                        Severity::Error,
                        msg,
                    ),
                );
                continue;
            }
            let cell = |req: usize, log: &mut IssueLog| {
                self.cell(body, &rec.fields, &requests[req], line, table, log)
            };
            if let Some(f) = request.filter {
                // The filter's cells first: most rows stop there. Where the text holds invalid
                // UTF-8, every cell is read first, so that each is reported as without a filter.
                let every = 0..if valid_utf8 { 0 } else { row.len() };
                for r in f.needed().chain(every) {
                    if row[r].is_none() {
                        row[r] = Some(cell(r, log));
                    }
                }
                if let Some(time) = f.skip(&row) {
                    out.skipped.add(time);
                    row.iter_mut().for_each(|c| *c = None);
                    continue;
                }
            }
            for (r, (column, slot)) in out.columns.iter_mut().zip(row.iter_mut()).enumerate() {
                let value = match slot.take() {
                    Some(v) => v,
                    None => cell(r, log),
                };
                column.push(value);
            }
            out.positions.push(line);
        }
        out
    }

    /// One requested cell of a CSV record: the first non-missing of the request's columns.
    fn cell<'a>(
        &self,
        body: &'a [u8],
        fields: &[FieldSpan],
        request: &[usize],
        line: u64,
        table: &str,
        log: &mut IssueLog,
    ) -> Cell<'a> {
        for &i in request {
            let text: Cow<'a, str> = match field_bytes(body, fields[i]) {
                Cow::Borrowed(b) => match std::str::from_utf8(b) {
                    Ok(s) => Cow::Borrowed(s),
                    Err(_) => self.lossy(b, line, i, table, log),
                },
                Cow::Owned(v) => match String::from_utf8(v) {
                    Ok(s) => Cow::Owned(s),
                    Err(e) => self.lossy(e.as_bytes(), line, i, table, log),
                },
            };
            if !is_missing(&text) {
                return Some(text);
            }
        }
        None
    }

    /// Invalid UTF-8: read with replacement characters, and say so.
    fn lossy<'a>(
        &self,
        bytes: &[u8],
        line: u64,
        header: usize,
        table: &str,
        log: &mut IssueLog,
    ) -> Cow<'a, str> {
        let msg = "invalid UTF-8, read with U+FFFD replacement characters".to_string();
        log.push(
            "invalid-utf8",
            self.meta.issue(
                table,
                Some(Location::Line(line)),
                Some(&self.meta.headers[header]),
                Severity::Warning,
                msg,
            ),
        );
        Cow::Owned(String::from_utf8_lossy(bytes).into_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(text: &str) -> CsvSource {
        let mut log = IssueLog::default();
        let mut s = open("t.csv", "t.csv", text.as_bytes().to_vec(), 0, &mut log).unwrap();
        s.meta.headers = vec!["a".into(), "b".into(), "c".into()];
        s
    }

    #[test]
    fn splits_never_fall_inside_quoted_newlines() {
        let body = b"1,\"x\ny\nz\",3\n4,5,6\n7,\"p\nq\",9\n";
        for parts in 1..8 {
            let splits = record_splits(body, parts, b'\n');
            for &(at, _) in &splits[1..] {
                let before = &body[..at];
                assert_eq!(
                    before.iter().filter(|&&b| b == b'"').count() % 2,
                    0,
                    "{parts}: split at {at}"
                );
                assert_eq!(before.last(), Some(&b'\n'));
            }
        }
    }

    #[test]
    fn pieces_give_exactly_what_one_pass_gives() {
        let mut text = String::from("a,b,c\n");
        for i in 0..300 {
            match i % 7 {
                0 => text.push_str(&format!("{i},\"multi\nline {i}\",\"q\"\"q\"\n")),
                3 => text.push_str(&format!("{i},ragged\n")),
                5 => text.push_str(&format!("{i},,\r\n")),
                _ => text.push_str(&format!("{i},b{i},c{i}\n")),
            }
        }
        text.push_str("999,\"cut");
        let src = source(&text);
        let body = &src.bytes[src.body_start..];
        let columns = vec![vec![0], vec![1], vec![2]];
        let request = Request {
            columns: &columns,
            filter: None,
            table: "T",
        };
        let mut one_log = IssueLog::default();
        let one = src.extract_in(body, 2, &request, &mut one_log, 1);
        for parts in [2, 3, 5, 16] {
            let mut log = IssueLog::default();
            let many = src.extract_in(body, 2, &request, &mut log, parts);
            assert_eq!(many.columns, one.columns, "{parts} parts");
            assert_eq!(many.positions, one.positions);
            assert_eq!(many.rejected, one.rejected);
            assert_eq!(log.lines(), one_log.lines());
        }
        assert_eq!(one.rejected, 300 / 7 + 1 + 1);
    }

    #[test]
    fn powershell_type_line_and_cr_only_files() {
        let mut log = IssueLog::default();
        let text =
            "#TYPE System.Management.Automation.PSCustomObject\r\n\"a\",\"b\"\r\n\"1\",\"2\"\r\n";
        let s = open("p.csv", "p.csv", text.as_bytes().to_vec(), 0, &mut log).unwrap();
        assert_eq!(s.meta.headers, vec!["a", "b"]);
        let columns = vec![vec![0], vec![1]];
        let request = Request {
            columns: &columns,
            filter: None,
            table: "T",
        };
        let got = s.extract(&request, &mut log);
        assert_eq!(got.positions, vec![3]);
        assert_eq!(got.columns[1], vec![Some(Cow::Borrowed("2"))]);
        let cr = "a,b\r1,\"x\ry\"\r3,4\r";
        let s = open("m.csv", "m.csv", cr.as_bytes().to_vec(), 0, &mut log).unwrap();
        assert_eq!(s.meta.headers, vec!["a", "b"]);
        let got = s.extract(&request, &mut log);
        assert_eq!(got.positions, vec![2, 4]);
        assert_eq!(
            got.columns[1],
            vec![Some(Cow::Borrowed("x\ry")), Some(Cow::Borrowed("4"))]
        );
        assert_eq!(log.total(), 0, "{:?}", log.lines());
    }
}
