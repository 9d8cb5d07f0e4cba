//! Gzip, read the way `gzip -dc` reads it: every member in turn, and when the data is damaged
//! (cut short, corrupt, followed by garbage or zero padding) everything decompressed before the
//! damage is kept and the damage is reported with its byte offset, instead of losing the file.

use std::io::{self, BufRead, Read};

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

/// A counting wrapper: how many compressed bytes the decoder has taken.
struct Counted<R> {
    inner: R,
    taken: u64,
}

impl<R: BufRead> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.taken += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for Counted<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }
    fn consume(&mut self, amt: usize) {
        self.taken += amt as u64;
        self.inner.consume(amt);
    }
}

/// Decompresses every member of a gzip stream. A read error of the underlying input is
/// returned as an error; damage to the gzip data ends the stream and is kept in
/// [`GzipReader::damage`].
pub struct GzipReader<R: BufRead> {
    decoder: Option<flate2::bufread::GzDecoder<Counted<R>>>,
    damage: Option<Damage>,
}

impl<R: BufRead> GzipReader<R> {
    pub fn new(input: R) -> Self {
        let counted = Counted {
            inner: input,
            taken: 0,
        };
        GzipReader {
            decoder: Some(flate2::bufread::GzDecoder::new(counted)),
            damage: None,
        }
    }

    /// The damage met so far (final once a read returned 0).
    pub fn damage(&self) -> Option<&Damage> {
        self.damage.as_ref()
    }

    /// After a member ended: start the next one, or decide what the rest is.
    fn next_member(&mut self) -> io::Result<bool> {
        let Some(decoder) = self.decoder.take() else {
            return Ok(false);
        };
        let mut input = decoder.into_inner();
        let offset = input.taken;
        let head = input.fill_buf()?;
        if head.is_empty() {
            return Ok(false);
        }
        if is_gzip(head) {
            self.decoder = Some(flate2::bufread::GzDecoder::new(input));
            return Ok(true);
        }
        // Not gzip: count it (and whether it is all zeros), then stop.
        let mut bytes = 0u64;
        let mut zeros = true;
        loop {
            let buf = input.fill_buf()?;
            if buf.is_empty() {
                break;
            }
            zeros &= buf.iter().all(|&b| b == 0);
            let n = buf.len();
            bytes += n as u64;
            input.consume(n);
        }
        self.damage = Some(Damage::Trailing {
            offset,
            bytes,
            zeros,
        });
        Ok(false)
    }
}

impl<R: BufRead> Read for GzipReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        loop {
            let Some(decoder) = self.decoder.as_mut() else {
                return Ok(0);
            };
            match decoder.read(buf) {
                Ok(0) => {
                    if !self.next_member()? {
                        return Ok(0);
                    }
                }
                Ok(n) => return Ok(n),
                Err(e) if is_input_failure(&e) => return Err(e),
                Err(e) => {
                    let offset = decoder.get_ref().taken;
                    let why = match e.kind() {
                        io::ErrorKind::UnexpectedEof => "cut short".to_string(),
                        _ => e.to_string(),
                    };
                    self.damage = Some(Damage::Broken { offset, why });
                    self.decoder = None;
                    return Ok(0);
                }
            }
        }
    }
}

/// Errors of the input itself (a disk or pipe failure), as opposed to bad gzip data.
fn is_input_failure(e: &io::Error) -> bool {
    !matches!(
        e.kind(),
        io::ErrorKind::InvalidData | io::ErrorKind::InvalidInput | io::ErrorKind::UnexpectedEof
    )
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
