//! A file's bytes as they are read: plain, or decompressed on the way (gzip damage is reported,
//! not fatal).

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::Path;

use crate::data::formats::gzip::{is_gzip, GzipReader};
use crate::data::formats::report_damage;
use crate::data::issues::IssueLog;

/// A file's bytes as they are read: plain, or decompressed.
pub enum FileInput {
    Plain(BufReader<File>),
    Gzip(Box<GzipReader<BufReader<File>>>),
}

impl FileInput {
    pub fn open(path: &Path) -> io::Result<FileInput> {
        let mut file = BufReader::with_capacity(1 << 16, File::open(path)?);
        let gz = {
            use std::io::BufRead;
            is_gzip(file.fill_buf()?)
        };
        Ok(if gz {
            FileInput::Gzip(Box::new(GzipReader::new(file)))
        } else {
            FileInput::Plain(file)
        })
    }

    pub fn report_damage(&self, name: &str, log: &mut IssueLog) {
        if let FileInput::Gzip(g) = self {
            if let Some(d) = g.damage() {
                report_damage(name, d, log);
            }
        }
    }
}

impl Read for FileInput {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self {
            FileInput::Plain(r) => r.read(buf),
            FileInput::Gzip(r) => r.read(buf),
        }
    }
}
