//! Reading a large CSV file block by block, each block a run of whole records, so that memory
//! holds one block at a time rather than the file (a `hunt` keeps only the rows that can match).
//!
//! Blocks end after a newline outside any quoted field ([`RecordEnds`], as the parallel split of
//! a body in [`super::raw`]).

use std::fs::File;
use std::io::{self, Read};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::Mutex;

use super::csv::RecordEnds;

/// Blocks hold at least this many bytes (and whole records).
pub const BLOCK_BYTES: usize = 32 << 20;

/// The part of a file not yet handed out.
pub struct CsvBlocks {
    file: File,
    /// Bytes read past the last block's end: the start of the next record.
    carry: Vec<u8>,
    /// The file line the carry starts on.
    line: u64,
    done: bool,
    block: usize,
    /// Buffers handed back by the reader: reusing them spares the kernel from mapping and
    /// zeroing fresh pages for every block (which cost more than reading the file).
    spare: Vec<Vec<u8>>,
}

impl CsvBlocks {
    /// Reads the file's first block (header included) of at least `block` bytes; the rest
    /// follows with [`Self::next_block`].
    pub fn open(file: File, block: usize) -> io::Result<(Vec<u8>, CsvBlocks)> {
        let mut blocks = CsvBlocks {
            file,
            carry: Vec::new(),
            line: 1,
            done: false,
            block,
            spare: Vec::new(),
        };
        let first = blocks.next_block()?.map_or_else(Vec::new, |(b, _)| b);
        Ok((first, blocks))
    }

    /// Hands a block's buffer back for reuse.
    pub fn recycle(&mut self, buf: Vec<u8>) {
        if self.spare.len() < 4 {
            self.spare.push(buf);
        }
    }

    /// The next run of whole records and the file line it starts on; `None` at the end.
    pub fn next_block(&mut self) -> io::Result<Option<(Vec<u8>, u64)>> {
        if self.done && self.carry.is_empty() {
            return Ok(None);
        }
        let mut buf = self.spare.pop().unwrap_or_default();
        buf.clear();
        buf.reserve(self.carry.len() + self.block);
        buf.extend_from_slice(&self.carry);
        self.carry.clear();
        let mut ends = RecordEnds::default();
        let mut last = None;
        loop {
            if !self.done {
                buf.reserve(self.block);
                let got = (&mut self.file)
                    .take(self.block as u64)
                    .read_to_end(&mut buf)?;
                if got == 0 {
                    self.done = true;
                }
            }
            ends.scan(&buf, |end, newlines| {
                last = Some((end, newlines));
                true
            });
            match last {
                _ if self.done => {
                    let line = self.line;
                    self.line += ends.newlines();
                    return Ok((!buf.is_empty()).then_some((buf, line)));
                }
                Some((at, newlines)) => {
                    self.carry.extend_from_slice(&buf[at..]);
                    buf.truncate(at);
                    let line = self.line;
                    self.line += newlines;
                    return Ok(Some((buf, line)));
                }
                // One record longer than a block: read on.
                None => {}
            }
        }
    }
}

impl CsvBlocks {
    /// Runs `work` on every remaining block, one block per core while this thread reads the
    /// next, and returns the results in file order. `work` hands the block's buffer back for
    /// reuse. Stops at a read error, returned with the results before it.
    pub fn map_in_order<T: Send>(
        &mut self,
        work: impl Fn(Vec<u8>, u64) -> (T, Vec<u8>) + Sync,
    ) -> (Vec<T>, Option<io::Error>) {
        let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
        // A rendezvous: a block is read only when a worker takes the last one, so memory holds
        // a block per worker plus the one being read, not the file.
        let (job_tx, job_rx) = sync_channel::<(usize, Vec<u8>, u64)>(0);
        let job_rx = Mutex::new(job_rx);
        let (done_tx, done_rx) = channel::<(usize, T, Vec<u8>)>();
        let mut done: Vec<(usize, T)> = Vec::new();
        let mut error = None;
        std::thread::scope(|scope| {
            for _ in 0..workers {
                let done_tx = done_tx.clone();
                let (job_rx, work) = (&job_rx, &work);
                scope.spawn(move || loop {
                    let job = job_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((index, bytes, line))) = job else {
                        break;
                    };
                    let (result, buffer) = work(bytes, line);
                    if done_tx.send((index, result, buffer)).is_err() {
                        break;
                    }
                });
            }
            let mut next = 0;
            loop {
                for (index, result, buffer) in done_rx.try_iter() {
                    self.recycle(buffer);
                    done.push((index, result));
                }
                match self.next_block() {
                    Ok(Some((bytes, line))) => {
                        if job_tx.send((next, bytes, line)).is_err() {
                            break;
                        }
                        next += 1;
                    }
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            drop(job_tx);
        });
        drop(done_tx);
        done.extend(done_rx.try_iter().map(|(i, r, _)| (i, r)));
        done.sort_by_key(|(i, _)| *i);
        (done.into_iter().map(|(_, r)| r).collect(), error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

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
        let dir = std::env::temp_dir().join(format!("ph-blocks-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("t.csv");
        std::fs::File::create(&path)
            .unwrap()
            .write_all(text.as_bytes())
            .unwrap();
        for block in [1, 7, 64, 1000, 1 << 20] {
            let (first, mut rest) = CsvBlocks::open(File::open(&path).unwrap(), block).unwrap();
            let mut whole = first.clone();
            let mut line = 1 + memchr::memchr_iter(b'\n', &first).count() as u64;
            while let Some((b, starts)) = rest.next_block().unwrap() {
                assert_eq!(starts, line, "block {block}");
                let before = &whole[..];
                assert_eq!(before.iter().filter(|&&c| c == b'"').count() % 2, 0);
                assert_eq!(before.last(), Some(&b'\n'));
                line += memchr::memchr_iter(b'\n', &b).count() as u64;
                whole.extend(b);
            }
            assert_eq!(whole, text.as_bytes(), "block {block}");
        }
        std::fs::remove_dir_all(&dir).ok();
    }
}
