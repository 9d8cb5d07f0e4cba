//! Excel workbooks: the Defender portal's advanced hunting "Export" writes the results table as
//! an `.xlsx` workbook (one sheet, a header row, one row per result). The first sheet is read
//! with calamine and every cell rendered as the text the other readers hand to normalisation.
//!
//! A datetime may arrive as an Excel date cell (a serial day number, 1900 or 1904 date system)
//! or as text. Date cells keep milliseconds at most (Excel's resolution; calamine rounds the
//! serial number to the millisecond) and are rendered RFC 3339 UTC; text is kept as written,
//! for the shared datetime parsing.

pub mod source;

use std::fmt;
use std::fs::File;
use std::io::{BufReader, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use calamine::{Data, Reader, Xlsx};
use thiserror::Error;

use crate::data::issues::{Issue, Location, Severity};
use crate::data::values::format_datetime;
use crate::text::{escape_unsafe, quote_value};

/// The first sheet of a workbook, every cell as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    /// The header row's cells (an empty header cell is `""`).
    pub headers: Vec<String>,
    /// The data rows: the 1-based sheet row (the header row is 1 when it is the sheet's first
    /// row) and one cell per header, `None` when empty. Rows with no value are left out.
    pub rows: Vec<(u64, Vec<Option<String>>)>,
}

/// A cell that was read as empty, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CellWarning {
    /// 1-based sheet row.
    pub row: u64,
    pub column: String,
    pub message: String,
}

impl CellWarning {
    /// The warning as a loader issue about `file` (and `table`, once known).
    pub fn to_issue(&self, file: &str, table: Option<&str>) -> Issue {
        Issue {
            severity: Severity::Warning,
            file: file.to_string(),
            table: table.map(str::to_string),
            location: Some(Location::Row(self.row)),
            column: Some(self.column.clone()),
            message: self.message.clone(),
        }
    }
}

impl fmt::Display for CellWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}, column {}: {}",
            self.row,
            escape_unsafe(&self.column),
            self.message
        )
    }
}

/// Why a workbook cannot be read. Each message names the file.
#[derive(Debug, Error)]
pub enum XlsxError {
    #[error("{}: cannot read the file: {source}", show(.file))]
    Io {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("{}: not an Excel workbook (.xlsx files are zip archives; this one is not){hint}", show(.file))]
    NotXlsx { file: PathBuf, hint: String },
    #[error(
        "{}: the workbook is encrypted (password-protected): open it in Excel, remove the \
         password (File > Info > Protect Workbook > Encrypt with Password) and save it again",
        show(.file)
    )]
    Encrypted { file: PathBuf },
    #[error(
        "{}: an Excel 97-2003 workbook (.xls), not .xlsx: open it in Excel and save it as .xlsx \
         or CSV",
        show(.file)
    )]
    LegacyXls { file: PathBuf },
    #[error("{}: the workbook has no sheet", show(.file))]
    NoSheet { file: PathBuf },
    #[error("{}: the first sheet {} is empty (no header row)", show(.file), quote_value(.sheet, 60))]
    EmptySheet { file: PathBuf, sheet: String },
    #[error("{}: cannot read the workbook: {reason}", show(.file))]
    Unreadable { file: PathBuf, reason: String },
}

fn show(path: &Path) -> String {
    escape_unsafe(&path.display().to_string())
}

/// Reads the first sheet of the workbook at `path`.
pub fn read_first_sheet(path: &Path) -> Result<(Sheet, Vec<CellWarning>), XlsxError> {
    let file = File::open(path).map_err(|source| XlsxError::Io {
        file: path.to_path_buf(),
        source,
    })?;
    read_first_sheet_from(BufReader::new(file), path)
}

/// Reads the first sheet of a workbook from `reader`; `file` names it in messages.
pub fn read_first_sheet_from<R: Read + Seek>(
    mut reader: R,
    file: &Path,
) -> Result<(Sheet, Vec<CellWarning>), XlsxError> {
    let io = |source| XlsxError::Io {
        file: file.to_path_buf(),
        source,
    };
    let mut magic = [0u8; 8];
    let n = read_up_to(&mut reader, &mut magic).map_err(io)?;
    reader.seek(SeekFrom::Start(0)).map_err(io)?;
    let magic = &magic[..n];
    if magic.starts_with(&CFB_MAGIC) {
        return Err(compound_file(reader, file).map_err(io)?);
    }
    if !magic.starts_with(b"PK") {
        return Err(XlsxError::NotXlsx {
            file: file.to_path_buf(),
            hint: not_zip_hint(magic),
        });
    }
    let unreadable = |e: calamine::XlsxError| XlsxError::Unreadable {
        file: file.to_path_buf(),
        reason: escape_unsafe(&e.to_string()),
    };
    let mut workbook = Xlsx::new(reader).map_err(unreadable)?;
    let Some(name) = workbook.sheet_names().first().cloned() else {
        return Err(XlsxError::NoSheet {
            file: file.to_path_buf(),
        });
    };
    let range = workbook.worksheet_range(&name).map_err(unreadable)?;
    let Some((first_row, _)) = range.start() else {
        return Err(XlsxError::EmptySheet {
            file: file.to_path_buf(),
            sheet: name,
        });
    };
    let mut rows = range.rows();
    let Some(header) = rows.next() else {
        return Err(XlsxError::EmptySheet {
            file: file.to_path_buf(),
            sheet: name,
        });
    };
    let mut warnings = Vec::new();
    let header_row = u64::from(first_row) + 1;
    let headers: Vec<String> = header
        .iter()
        .enumerate()
        .map(|(i, cell)| {
            cell_text(cell, header_row, &format!("#{}", i + 1), &mut warnings).unwrap_or_default()
        })
        .collect();
    let mut data = Vec::new();
    for (i, cells) in rows.enumerate() {
        let row = header_row + 1 + i as u64;
        let values: Vec<Option<String>> = cells
            .iter()
            .zip(&headers)
            .map(|(cell, column)| cell_text(cell, row, column, &mut warnings))
            .collect();
        if values.iter().any(Option::is_some) {
            data.push((row, values));
        }
    }
    Ok((
        Sheet {
            name,
            headers,
            rows: data,
        },
        warnings,
    ))
}

fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The OLE compound file signature: legacy `.xls`, and also encrypted `.xlsx` (Office stores
/// an encrypted workbook as an `EncryptedPackage` stream inside a compound file).
const CFB_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];

fn compound_file(mut reader: impl Read, file: &Path) -> std::io::Result<XlsxError> {
    let mut bytes = Vec::new();
    reader.read_to_end(&mut bytes)?;
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    let encrypted = bytes.windows(name.len()).any(|w| w == name.as_slice());
    Ok(if encrypted {
        XlsxError::Encrypted {
            file: file.to_path_buf(),
        }
    } else {
        XlsxError::LegacyXls {
            file: file.to_path_buf(),
        }
    })
}

/// What a file that is not a zip archive looks like, to say what to do with it.
fn not_zip_hint(magic: &[u8]) -> String {
    let text = magic.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(magic);
    if magic.starts_with(&[0x1f, 0x8b]) {
        "; it is gzip-compressed".to_string()
    } else if text.first().is_some_and(|b| *b == b'{' || *b == b'[') {
        "; it looks like JSON: name it .json".to_string()
    } else if !text.is_empty()
        && text
            .iter()
            .all(|b| b.is_ascii_graphic() || b.is_ascii_whitespace())
    {
        "; it looks like text (CSV?): name it .csv".to_string()
    } else {
        String::new()
    }
}

/// A cell as the loader's text; an error cell is `None` with a warning.
fn cell_text(
    cell: &Data,
    row: u64,
    column: &str,
    warnings: &mut Vec<CellWarning>,
) -> Option<String> {
    let mut warn = |message: String| {
        warnings.push(CellWarning {
            row,
            column: column.to_string(),
            message,
        })
    };
    match cell {
        Data::Empty => None,
        Data::String(s) if s.is_empty() => None,
        Data::String(s) => Some(s.clone()),
        Data::Int(i) => Some(i.to_string()),
        // Rust prints whole floats without `.0` (9050.0 → "9050").
        Data::Float(f) => Some(f.to_string()),
        Data::Bool(b) => Some(b.to_string()),
        Data::DateTimeIso(s) | Data::DurationIso(s) => Some(s.clone()),
        Data::DateTime(dt) if dt.is_duration() => match dt.as_duration() {
            Some(d) => Some(format_timespan(d.num_milliseconds())),
            None => {
                warn(format!(
                    "duration cell {} is out of range: read as empty",
                    dt.as_f64()
                ));
                None
            }
        },
        Data::DateTime(dt) => {
            let nanos = dt
                .as_datetime()
                .and_then(|t| t.and_utc().timestamp_nanos_opt());
            match nanos {
                Some(n) => Some(format_datetime(n - n.rem_euclid(100))),
                None => {
                    warn(format!(
                        "date cell {} is outside the dates a datetime can hold: read as empty",
                        dt.as_f64()
                    ));
                    None
                }
            }
        }
        Data::Error(e) => {
            warn(format!("error cell {e}: read as empty"));
            None
        }
    }
}

/// Milliseconds as a Kusto timespan: `[-][d.]hh:mm:ss[.fff]`.
fn format_timespan(millis: i64) -> String {
    let sign = if millis < 0 { "-" } else { "" };
    let m = millis.unsigned_abs();
    let (days, rest) = (m / 86_400_000, m % 86_400_000);
    let (h, rest) = (rest / 3_600_000, rest % 3_600_000);
    let (min, rest) = (rest / 60_000, rest % 60_000);
    let (s, ms) = (rest / 1000, rest % 1000);
    let mut text = String::from(sign);
    if days > 0 {
        text.push_str(&format!("{days}."));
    }
    text.push_str(&format!("{h:02}:{min:02}:{s:02}"));
    if ms > 0 {
        text.push_str(&format!(".{ms:03}"));
    }
    text
}

#[cfg(test)]
mod tests;
