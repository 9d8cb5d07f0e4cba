//! Reading a large file block by block, each block a run of whole records (CSV records, or
//! NDJSON lines), so that memory holds a few blocks rather than the file, and blocks are parsed
//! on every core while the next is read.

use std::io::{self, Read};
use std::sync::{Arc, Mutex};

use super::csv::tokenizer::RecordEnds;
use crate::data::pool;

/// Blocks hold at least this many bytes (and whole records).
pub const BLOCK_BYTES: usize = 8 << 20;

/// A record longer than this is skipped (and reported) rather than held in memory whole.
pub const MAX_RECORD_BYTES: usize = 256 << 20;

/// A record that was too long to hold: the line it starts on, and its length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oversized {
    pub line: u64,
    pub bytes: u64,
}

/// Where records end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// CSV: a `newline` byte outside quotes.
    Csv { newline: u8 },
    /// NDJSON: any `\n` (JSON text holds no raw newline).
    Lines,
}

/// The part of an input not yet handed out.
pub struct Blocks<R: Read> {
    input: R,
    /// Bytes read past the last block's end: the start of the next record.
    carry: Vec<u8>,
    /// The file line the carry starts on.
    line: u64,
    done: bool,
    block: usize,
    boundary: Boundary,
    /// Buffers handed back by the parsers: reusing them spares the kernel from mapping and
    /// zeroing fresh pages for every block (which cost more than reading the file).
    spare: Arc<Mutex<Vec<Vec<u8>>>>,
    max_record: usize,
    oversized: Vec<Oversized>,
}

impl<R: Read> Blocks<R> {
    /// Blocks of at least `block` bytes, from the start of `input` (line 1).
    pub fn new(input: R, block: usize, boundary: Boundary) -> Self {
        Blocks {
            input,
            carry: Vec::new(),
            line: 1,
            done: false,
            block: block.max(1),
            boundary,
            spare: Arc::default(),
            max_record: MAX_RECORD_BYTES,
            oversized: Vec::new(),
        }
    }

    /// Records longer than `bytes` are skipped (tests use a small bound).
    pub fn with_max_record(mut self, bytes: usize) -> Self {
        self.max_record = bytes.max(1);
        self
    }

    /// The records skipped for their length so far.
    pub fn oversized(&self) -> &[Oversized] {
        &self.oversized
    }

    /// Bytes already read from the input (to tell its format), which come first.
    pub fn with_prefix(mut self, prefix: Vec<u8>) -> Self {
        self.carry = prefix;
        self
    }

    /// The same input with another boundary (once the first block told which newline a CSV
    /// file uses).
    pub fn set_boundary(&mut self, boundary: Boundary) {
        self.boundary = boundary;
    }

    /// The input, once read to its end (a gzip reader, to ask it about damage).
    pub fn input(&self) -> &R {
        &self.input
    }

    /// Hands a block's buffer back for reuse.
    pub fn recycle(&self, buf: Vec<u8>) {
        recycle(&self.spare, buf);
    }

    /// The next run of whole records and the file line it starts on; `None` at the end.
    pub fn next_block(&mut self) -> io::Result<Option<(Vec<u8>, u64)>> {
        if self.done && self.carry.is_empty() {
            return Ok(None);
        }
        let mut buf = self
            .spare
            .lock()
            .ok()
            .and_then(|mut s| s.pop())
            .unwrap_or_default();
        buf.clear();
        buf.reserve(self.carry.len() + self.block);
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut csv_ends = match self.boundary {
            Boundary::Csv { newline } => Some(RecordEnds::with_newline(newline)),
            Boundary::Lines => None,
        };
        // How much of `buf` has been searched for a record end: nothing yet, since the carry may
        // hold whole records (a prefix read ahead to tell the format).
        let mut scanned = 0;
        loop {
            if !self.done {
                // Never more than one byte past the bound without looking for a record end, so
                // no record longer than the bound is ever held whole.
                let want = self
                    .block
                    .min((self.max_record + 1).saturating_sub(buf.len()));
                if want > 0 {
                    buf.reserve(want);
                    let got = (&mut self.input).take(want as u64).read_to_end(&mut buf)?;
                    if got == 0 {
                        self.done = true;
                    }
                }
            }
            if self.done {
                let line = self.line;
                self.line += newlines(&buf, self.boundary);
                return Ok((!buf.is_empty()).then_some((buf, line)));
            }
            let last = match csv_ends.as_mut() {
                Some(ends) => {
                    let mut last = None;
                    ends.scan(&buf, |end, newlines| {
                        last = Some((end, newlines));
                        true
                    });
                    last
                }
                None => memchr::memrchr(b'\n', &buf[scanned..])
                    .map(|i| scanned + i + 1)
                    .map(|end| (end, newlines(&buf[..end], Boundary::Lines))),
            };
            scanned = buf.len();
            if let Some((at, newlines)) = last {
                self.carry.extend_from_slice(&buf[at..]);
                buf.truncate(at);
                let line = self.line;
                self.line += newlines;
                return Ok(Some((buf, line)));
            }
            // One record longer than a block: read on, up to the bound.
            if buf.len() > self.max_record {
                self.skip_record(&mut buf)?;
                scanned = 0;
                if let Boundary::Csv { newline } = self.boundary {
                    csv_ends = Some(RecordEnds::with_newline(newline));
                }
                if self.done && buf.is_empty() {
                    return Ok(None);
                }
            }
        }
    }

    /// Drops the record `buf` holds (longer than the bound) and the rest of it up to its line's
    /// end, keeping what follows. A CSV record is taken to end at the next newline (its quotes
    /// can no longer be trusted).
    fn skip_record(&mut self, buf: &mut Vec<u8>) -> io::Result<()> {
        let newline = match self.boundary {
            Boundary::Csv { newline } => newline,
            Boundary::Lines => b'\n',
        };
        let line = self.line;
        let mut dropped = buf.len() as u64;
        buf.clear();
        let mut chunk = vec![0u8; 1 << 16];
        loop {
            let got = self.input.read(&mut chunk)?;
            if got == 0 {
                self.done = true;
                break;
            }
            if let Some(i) = memchr::memchr(newline, &chunk[..got]) {
                dropped += i as u64 + 1;
                buf.extend_from_slice(&chunk[i + 1..got]);
                break;
            }
            dropped += got as u64;
        }
        self.oversized.push(Oversized {
            line,
            bytes: dropped,
        });
        self.line += 1;
        Ok(())
    }

    /// Runs `work` on every remaining block, on the pool while this thread reads the next, and
    /// returns the results in file order. `work` hands the block's buffer back for reuse. Stops
    /// at a read error, returned with the results before it.
    pub fn map_in_order<T: Send>(
        &mut self,
        work: impl Fn(Vec<u8>, u64) -> (T, Vec<u8>) + Sync + Send,
    ) -> (Vec<T>, Option<io::Error>)
    where
        R: Send,
    {
        self.fold_in_order(work, Vec::new(), |all, r| all.push(r))
    }

    /// [`Blocks::map_in_order`], handing each result to `fold` in file order as soon as it can,
    /// so that a long file's results need not all be held before they are combined.
    pub fn fold_in_order<T: Send, A: Send>(
        &mut self,
        work: impl Fn(Vec<u8>, u64) -> (T, Vec<u8>) + Sync + Send,
        acc: A,
        fold: impl FnMut(&mut A, T) + Send,
    ) -> (A, Option<io::Error>)
    where
        R: Send,
    {
        let mut error = None;
        let spare = Arc::clone(&self.spare);
        let acc = pool::stream_fold(
            || match self.next_block() {
                Ok(block) => block,
                Err(e) => {
                    error = Some(e);
                    None
                }
            },
            |(bytes, line)| {
                let (result, buffer) = work(bytes, line);
                recycle(&spare, buffer);
                result
            },
            pool::threads() + 1,
            acc,
            fold,
        );
        (acc, error)
    }
}

fn recycle(spare: &Mutex<Vec<Vec<u8>>>, buf: Vec<u8>) {
    if let Ok(mut spare) = spare.lock() {
        if spare.len() < pool::threads() {
            spare.push(buf);
        }
    }
}

fn newlines(bytes: &[u8], boundary: Boundary) -> u64 {
    let byte = match boundary {
        Boundary::Csv { newline } => newline,
        Boundary::Lines => b'\n',
    };
    memchr::memchr_iter(byte, bytes).count() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rebuild(text: &[u8], block: usize, boundary: Boundary) {
        let mut blocks = Blocks::new(text, block, boundary);
        let mut whole = Vec::new();
        let mut line = 1;
        while let Some((b, starts)) = blocks.next_block().unwrap() {
            assert_eq!(starts, line, "block {block}");
            if let Boundary::Csv { .. } = boundary {
                assert_eq!(whole.iter().filter(|&&c| c == b'"').count() % 2, 0);
            }
            if !whole.is_empty() {
                assert_eq!(whole.last(), Some(&b'\n'));
            }
            line += memchr::memchr_iter(b'\n', &b).count() as u64;
            whole.extend(b);
        }
        assert_eq!(whole, text, "block {block}");
    }

    #[test]
    fn blocks_are_whole_records_that_rebuild_the_file() {
        let mut text = String::from("a,b\n");
        for i in 0..500 {
            if i % 3 == 0 {
                text.push_str(&format!("{i},\"multi\nline \"\"{i}\"\"\"\n"));
            } else {
                text.push_str(&format!("{i},plain\n"));
            }
        }
        text.push_str("last,\"no newline\"");
        for block in [1, 7, 64, 1000, 1 << 20] {
            rebuild(text.as_bytes(), block, Boundary::Csv { newline: b'\n' });
        }
        let lines: String = (0..300).map(|i| format!("{{\"n\":{i}}}\n")).collect();
        for block in [1, 5, 100, 1 << 20] {
            rebuild(lines.as_bytes(), block, Boundary::Lines);
        }
    }

    #[test]
    fn a_record_over_the_bound_is_skipped_and_said() {
        let mut text = b"a,b\n1,2\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 5000));
        text.extend(b"\n3,4\n5,6\n");
        for boundary in [Boundary::Csv { newline: b'\n' }, Boundary::Lines] {
            let mut blocks = Blocks::new(text.as_slice(), 100, boundary).with_max_record(1000);
            let mut kept = Vec::new();
            let mut lines = Vec::new();
            while let Some((b, line)) = blocks.next_block().unwrap() {
                lines.push(line);
                kept.extend(b);
            }
            assert_eq!(kept, b"a,b\n1,2\n3,4\n5,6\n", "{boundary:?}");
            assert_eq!(
                blocks.oversized(),
                &[Oversized {
                    line: 3,
                    bytes: 5001
                }]
            );
            assert_eq!(lines.last(), Some(&4), "{boundary:?}: {lines:?}");
        }
    }

    #[test]
    fn a_prefix_of_whole_records_is_kept_before_a_record_over_the_bound() {
        // The head read ahead to tell the format holds whole lines and the start of a long one:
        // the lines before it are kept, and the long one is said at its own line.
        let mut text = Vec::new();
        for i in 0..10 {
            text.extend(format!("{{\"n\":{i}}}\n").bytes());
        }
        let head_len = text.len() + 50;
        text.extend(std::iter::repeat_n(b'x', 5000));
        text.extend(b"\n{\"n\":10}\n");
        let (head, rest) = text.split_at(head_len);
        let mut blocks = Blocks::new(rest, 64, Boundary::Lines)
            .with_prefix(head.to_vec())
            .with_max_record(1000);
        let mut kept = Vec::new();
        while let Some((b, _)) = blocks.next_block().unwrap() {
            kept.extend(b);
        }
        let lines: Vec<&[u8]> = kept
            .split(|&c| c == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), 11, "{}", String::from_utf8_lossy(&kept));
        assert_eq!(blocks.oversized()[0].line, 11);
    }

    #[test]
    fn no_record_over_the_bound_is_held_whatever_the_block() {
        // Records just over the bound, ending anywhere in a block read: each is skipped.
        for over in [1, 7, 63, 64, 65, 200] {
            let mut text = b"{}\n".to_vec();
            text.extend(std::iter::repeat_n(b'x', 1000 + over));
            text.extend(b"\n{}\n");
            let mut blocks =
                Blocks::new(text.as_slice(), 64, Boundary::Lines).with_max_record(1000);
            let mut kept = Vec::new();
            while let Some((b, _)) = blocks.next_block().unwrap() {
                kept.extend(b);
            }
            assert_eq!(kept, b"{}\n{}\n", "over by {over}");
            assert_eq!(blocks.oversized().len(), 1, "over by {over}");
        }
    }

    #[test]
    fn map_in_order_gives_every_block_in_order() {
        let lines: String = (0..5000).map(|i| format!("line {i}\n")).collect();
        let mut blocks = Blocks::new(lines.as_bytes(), 100, Boundary::Lines);
        let (parts, error) = blocks.map_in_order(|bytes, line| ((line, bytes.clone()), bytes));
        assert!(error.is_none());
        let mut whole = Vec::new();
        let mut expect_line = 1;
        for (line, bytes) in parts {
            assert_eq!(line, expect_line);
            expect_line += memchr::memchr_iter(b'\n', &bytes).count() as u64;
            whole.extend(bytes);
        }
        assert_eq!(whole, lines.as_bytes());
    }
}
