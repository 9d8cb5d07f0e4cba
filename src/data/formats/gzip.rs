//! Gzip, read the way `gzip -dc` reads it: every member in turn, and when the data is damaged
//! (cut short, corrupt, followed by garbage or zero padding) everything decompressed before the
//! damage is kept and the damage is reported with its byte offset, instead of losing the file.

use std::io::{self, BufRead, Read};

use flate2::{Crc, Decompress, FlushDecompress, Status};

/// Whether bytes start like a gzip member.
pub fn is_gzip(head: &[u8]) -> bool {
    head.starts_with(&[0x1f, 0x8b])
}

/// What went wrong after the data that was read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Damage {
    /// The compressed data stops or breaks at `offset`: what came before is kept, the rest of
    /// the member is lost.
    Broken { offset: u64, why: String },
    /// Bytes after the last member that are not gzip (`zeros`: only zero padding); ignored.
    Trailing {
        offset: u64,
        bytes: u64,
        zeros: bool,
    },
}

impl Damage {
    /// Whether rows may have been lost (otherwise only ignored bytes).
    pub fn loses_data(&self) -> bool {
        matches!(self, Damage::Broken { .. })
    }

    pub fn message(&self) -> String {
        match self {
            Damage::Broken { offset, why } => format!(
                "gzip data damaged at compressed byte {offset} ({why}); the records decompressed before it are kept, the rest is lost"
            ),
            Damage::Trailing {
                offset,
                bytes,
                zeros: true,
            } => format!("{bytes} zero byte(s) of padding after the gzip data at byte {offset}; ignored"),
            Damage::Trailing { offset, bytes, .. } => format!(
                "{bytes} byte(s) after the gzip data at byte {offset} are not gzip; ignored"
            ),
        }
    }
}

/// Where the reader is in the stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// Before a member's header (the first, or one after a trailer).
    Header,
    Body,
    Trailer,
    Done,
}

/// Decompresses every member of a gzip stream. A read error of the underlying input is
/// returned as an error; damage to the gzip data ends the stream and is kept in
/// [`GzipReader::damage`]. Members are inflated here (with flate2's raw deflate), so that the
/// bytes inflated up to the damage are all handed out: a decoder that fails inside a read
/// would drop what that read had written.
pub struct GzipReader<R: BufRead> {
    input: R,
    /// Compressed bytes taken so far.
    taken: u64,
    part: Part,
    inflate: Decompress,
    crc: Crc,
    damage: Option<Damage>,
}

impl<R: BufRead> GzipReader<R> {
    pub fn new(input: R) -> Self {
        GzipReader {
            input,
            taken: 0,
            part: Part::Header,
            inflate: Decompress::new(false),
            crc: Crc::new(),
            damage: None,
        }
    }

    /// The damage met so far (final once a read returned 0).
    pub fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    fn broken(&mut self, why: impl Into<String>) {
        self.damage = Some(Damage::Broken {
            offset: self.taken,
            why: why.into(),
        });
        self.part = Part::Done;
    }

    /// The next `n` header or trailer bytes, or `None` when the input ends first.
    fn take(&mut self, n: usize) -> io::Result<Option<Vec<u8>>> {
        let mut out = Vec::with_capacity(n);
        while out.len() < n {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(None);
            }
            let k = buf.len().min(n - out.len());
            out.extend_from_slice(&buf[..k]);
            self.input.consume(k);
            self.taken += k as u64;
        }
        Ok(Some(out))
    }

    /// Bytes up to and including a zero byte (a header's file name or comment).
    fn skip_zero_terminated(&mut self) -> io::Result<bool> {
        loop {
            let buf = self.input.fill_buf()?;
            if buf.is_empty() {
                return Ok(false);
            }
            match memchr::memchr(0, buf) {
                Some(i) => {
                    self.input.consume(i + 1);
                    self.taken += i as u64 + 1;
                    return Ok(true);
                }
                None => {
                    let n = buf.len();
                    self.input.consume(n);
                    self.taken += n as u64;
                }
            }
        }
    }

    /// Reads a member's header; at the end of the input or before what is not gzip, ends.
    fn header(&mut self) -> io::Result<()> {
        let head = self.input.fill_buf()?;
        if head.is_empty() {
            self.part = Part::Done;
            return Ok(());
        }
        // (A lone first magic byte may be all the buffer holds yet.)
        if !(is_gzip(head) || head == [0x1f]) {
            let at = self.taken;
            // Not gzip: count it (and whether it is all zeros), then stop.
            let mut bytes = 0u64;
            let mut zeros = true;
            loop {
                let buf = self.input.fill_buf()?;
                if buf.is_empty() {
                    break;
                }
                zeros &= buf.iter().all(|&b| b == 0);
                let n = buf.len();
                bytes += n as u64;
                self.input.consume(n);
            }
            self.taken += bytes;
            self.damage = Some(Damage::Trailing {
                offset: at,
                bytes,
                zeros,
            });
            self.part = Part::Done;
            return Ok(());
        }
        let Some(fixed) = self.take(10)? else {
            self.broken("cut short in a member's header");
            return Ok(());
        };
        if fixed[2] != 8 {
            self.broken(format!("compression method {} is not deflate", fixed[2]));
            return Ok(());
        }
        let flags = fixed[3];
        if flags & 4 != 0 {
            let Some(len) = self.take(2)? else {
                self.broken("cut short in a member's header");
                return Ok(());
            };
            let len = u16::from_le_bytes([len[0], len[1]]) as usize;
            if self.take(len)?.is_none() {
                self.broken("cut short in a member's header");
                return Ok(());
            }
        }
        for bit in [8, 16] {
            if flags & bit != 0 && !self.skip_zero_terminated()? {
                self.broken("cut short in a member's header");
                return Ok(());
            }
        }
        if flags & 2 != 0 && self.take(2)?.is_none() {
            self.broken("cut short in a member's header");
            return Ok(());
        }
        self.inflate.reset(false);
        self.crc.reset();
        self.part = Part::Body;
        Ok(())
    }

    fn trailer(&mut self) -> io::Result<()> {
        let Some(t) = self.take(8)? else {
            self.broken("cut short before the member's checksum");
            return Ok(());
        };
        let crc = u32::from_le_bytes([t[0], t[1], t[2], t[3]]);
        let size = u32::from_le_bytes([t[4], t[5], t[6], t[7]]);
        if crc != self.crc.sum() || size != self.crc.amount() {
            self.broken("checksum does not match: the data may be corrupt");
            return Ok(());
        }
        self.part = Part::Header;
        Ok(())
    }
}

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            match self.part {
                Part::Done => return Ok(0),
                Part::Header => self.header()?,
                Part::Trailer => self.trailer()?,
                Part::Body => {
                    let data = self.input.fill_buf()?;
                    if data.is_empty() {
                        self.broken("cut short");
                        return Ok(0);
                    }
                    let (before_in, before_out) =
                        (self.inflate.total_in(), self.inflate.total_out());
                    let status = self.inflate.decompress(data, buf, FlushDecompress::None);
                    let consumed = (self.inflate.total_in() - before_in) as usize;
                    let written = (self.inflate.total_out() - before_out) as usize;
                    self.input.consume(consumed);
                    self.taken += consumed as u64;
                    self.crc.update(&buf[..written]);
                    match status {
                        Ok(Status::StreamEnd) => self.part = Part::Trailer,
                        Ok(_) => {}
                        Err(e) => self.broken(format!("corrupt deflate data: {e}")),
                    }
                    if written > 0 {
                        return Ok(written);
                    }
                }
            }
        }
    }
}

/// Decompresses a whole gzip buffer, keeping what precedes any damage.
pub fn decompress(bytes: &[u8]) -> (Vec<u8>, Option<Damage>) {
    let mut reader = GzipReader::new(bytes);
    let mut out = Vec::with_capacity(bytes.len().saturating_mul(4));
    // Reading from memory cannot fail other than through the data, which ends the stream.
    let _ = reader.read_to_end(&mut out);
    let damage = reader.damage.take();
    (out, damage)
}

#[cfg(test)]
mod tests {
    use super::*;
    use flate2::write::GzEncoder;
    use flate2::Compression;
    use std::io::Write;

    fn gz(text: &[u8]) -> Vec<u8> {
        let mut e = GzEncoder::new(Vec::new(), Compression::default());
        e.write_all(text).unwrap();
        e.finish().unwrap()
    }

    fn text(n: usize) -> Vec<u8> {
        (0..n)
            .map(|i| format!("row {i},some text that repeats a little {}\n", i % 7))
            .collect::<String>()
            .into_bytes()
    }

    #[test]
    fn whole_members_in_sequence() {
        let (a, b) = (text(100), text(50));
        let mut both = gz(&a);
        both.extend(gz(&b));
        let (out, damage) = decompress(&both);
        assert_eq!(damage, None);
        assert_eq!(out, [a, b].concat());
    }

    #[test]
    fn cut_short_keeps_the_head() {
        let plain = text(20_000);
        let full = gz(&plain);
        for cut in [full.len() - 4, full.len() - 9, full.len() / 2, 200] {
            let (out, damage) = decompress(&full[..cut]);
            assert!(plain.starts_with(&out), "cut {cut}");
            assert!(!out.is_empty() || cut < 300, "cut {cut}: nothing kept");
            match damage {
                Some(Damage::Broken { offset, .. }) => assert!(offset <= cut as u64),
                other => panic!("cut {cut}: {other:?}"),
            }
        }
        // Missing only the trailer (CRC and size): every byte of the data is there.
        let (out, damage) = decompress(&full[..full.len() - 8]);
        assert_eq!(out, plain);
        assert!(damage.is_some_and(|d| d.loses_data()));
    }

    #[test]
    fn trailing_garbage_and_zero_padding_are_ignored_and_said() {
        let plain = text(300);
        let mut padded = gz(&plain);
        let at = padded.len() as u64;
        padded.extend([0u8; 512]);
        let (out, damage) = decompress(&padded);
        assert_eq!(out, plain);
        assert_eq!(
            damage,
            Some(Damage::Trailing {
                offset: at,
                bytes: 512,
                zeros: true
            })
        );
        let mut garbage = gz(&plain);
        garbage.extend(b"garbage after the end");
        let (out, damage) = decompress(&garbage);
        assert_eq!(out, plain);
        assert!(matches!(
            damage,
            Some(Damage::Trailing { zeros: false, .. })
        ));
        assert!(!damage.unwrap().loses_data());
    }

    /// However the caller reads (one byte at a time, or a large buffer), the same bytes come
    /// out before damage: nothing inflated is dropped with the error.
    #[test]
    fn what_was_inflated_before_damage_is_all_handed_out() {
        let plain = text(20_000);
        let mut bad = gz(&plain);
        let mid = bad.len() / 3;
        for b in &mut bad[mid..mid + 8] {
            *b ^= 0xa5;
        }
        let (whole, _) = decompress(&bad);
        let mut reader = GzipReader::new(bad.as_slice());
        let mut one = Vec::new();
        let mut byte = [0u8; 1];
        while reader.read(&mut byte).unwrap() == 1 {
            one.push(byte[0]);
        }
        assert_eq!(one, whole);
        assert!(reader.damage().is_some());
    }

    #[test]
    fn headers_with_names_and_comments() {
        let plain = text(50);
        let mut e = flate2::GzBuilder::new()
            .filename("x.csv")
            .comment("made by a test")
            .extra(vec![1, 2, 3])
            .write(Vec::new(), Compression::default());
        e.write_all(&plain).unwrap();
        let bytes = e.finish().unwrap();
        assert_eq!(decompress(&bytes), (plain, None));
    }

    #[test]
    fn corrupt_data_keeps_what_came_before() {
        let plain = text(20_000);
        let mut bad = gz(&plain);
        let mid = bad.len() / 2;
        for b in &mut bad[mid..mid + 16] {
            *b ^= 0x5a;
        }
        let (out, damage) = decompress(&bad);
        assert!(matches!(damage, Some(Damage::Broken { .. })), "{damage:?}");
        // Deflate may emit garbage before it notices; what it emitted up to a point is right.
        let good = out.iter().zip(&plain).take_while(|(a, b)| a == b).count();
        assert!(good > 1000, "{good}");
    }
}
