//! A file's content before it is matched to a table: its column names and a way to pull the
//! projected columns out as text, each row with its line (or row number) for error reports.

use polars::prelude::*;
use serde_json::Value;

use super::csv::{field_bytes, is_blank, CsvError, Record, Records};
use super::issues::{Issue, IssueLog, Location, Severity};
use super::values::{format_datetime, is_missing};

/// How a source's rows are addressed in messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Addressing {
    Lines,
    Rows,
}

impl Addressing {
    pub fn at(self, n: u64) -> Location {
        match self {
            Addressing::Lines => Location::Line(n),
            Addressing::Rows => Location::Row(n),
        }
    }
}

pub enum RawBody {
    /// CSV text (BOM stripped) and where the records after the header begin.
    Csv {
        bytes: Vec<u8>,
        body_start: usize,
        body_line: u64,
    },
    /// Rows of JSON values, aligned with the headers, each with its line or row number.
    Rows(Vec<(u64, Vec<Value>)>),
    /// A Parquet file, read column by column on extraction.
    Parquet(Vec<u8>),
}

/// One table-shaped piece of a file (an API response may hold several).
pub struct RawSource {
    /// The display name: the file, plus the sub-table name where the file holds several.
    pub name: String,
    /// The file's own path, as given (for `--table` and table-by-name matching).
    pub path: String,
    pub format: &'static str,
    pub headers: Vec<String>,
    pub addressing: Addressing,
    pub body: RawBody,
    /// Rows the reader could not parse at all (already reported in the issue log).
    pub rejected: usize,
}

/// The projected columns of a source as text, row-aligned.
pub struct Extracted {
    /// One vector per requested column; `None` is a missing value.
    pub columns: Vec<Vec<Option<String>>>,
    /// Line or row number of each row.
    pub positions: Vec<u64>,
    /// Rows that could not be read at all (reported in the issue log).
    pub rejected: usize,
}

/// Cleans an exported column name: the portal appends ` [UTC]` to datetimes; BOMs and stray
/// spaces happen.
pub fn clean_header(name: &str) -> String {
    let name = name.trim_start_matches('\u{feff}').trim();
    let name = match name.rfind(" [") {
        Some(i) if name.ends_with(']') => name[..i].trim_end(),
        _ => name,
    };
    name.to_string()
}

/// Turns a JSON value into cell text as Kusto would show it; dynamic values become JSON text.
pub fn value_text(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        other => Some(other.to_string()),
    }
}

impl RawSource {
    /// Reads the requested columns. Each request is a list of header indices to coalesce
    /// (first non-missing value wins), e.g. `X_string` then `X_dynamic`; an empty list gives an
    /// all-missing column.
    pub fn extract(&self, requests: &[Vec<usize>], table: &str, log: &mut IssueLog) -> Extracted {
        match &self.body {
            RawBody::Csv {
                bytes,
                body_start,
                body_line,
            } => self.extract_csv(bytes, *body_start, *body_line, requests, table, log),
            RawBody::Rows(rows) => {
                let mut columns = vec![Vec::with_capacity(rows.len()); requests.len()];
                let positions = rows.iter().map(|(p, _)| *p).collect();
                for (_, row) in rows {
                    for (out, req) in columns.iter_mut().zip(requests) {
                        out.push(
                            req.iter()
                                .filter_map(|&i| row.get(i).and_then(value_text))
                                .find(|s| !is_missing(s)),
                        );
                    }
                }
                Extracted {
                    columns,
                    positions,
                    rejected: 0,
                }
            }
            RawBody::Parquet(bytes) => self.extract_parquet(bytes, requests, table, log),
        }
    }

    fn issue(
        &self,
        table: &str,
        at: Option<Location>,
        column: Option<&str>,
        sev: Severity,
        msg: String,
    ) -> Issue {
        Issue {
            severity: sev,
            file: self.name.clone(),
            table: Some(table.to_string()),
            location: at,
            column: column.map(str::to_string),
            message: msg,
        }
    }

    fn extract_csv(
        &self,
        bytes: &[u8],
        body_start: usize,
        body_line: u64,
        requests: &[Vec<usize>],
        table: &str,
        log: &mut IssueLog,
    ) -> Extracted {
        let mut columns: Vec<Vec<Option<String>>> = vec![Vec::new(); requests.len()];
        let mut positions = Vec::new();
        let mut rejected = 0;
        let body = &bytes[body_start..];
        let mut records = Records::new(body);
        let mut rec = Record::default();
        let width = self.headers.len();
        loop {
            match records.next_into(&mut rec) {
                Ok(false) => break,
                Ok(true) => {}
                Err(CsvError::UnterminatedQuote { line }) => {
                    rejected += 1;
                    let at = Location::Line(line + body_line - 1);
                    let msg = "quoted field never closed (file cut short?); this row and the rest of the file skipped".to_string();
                    log.push(
                        "truncated",
                        self.issue(table, Some(at), None, Severity::Error, msg),
                    );
                    records.resync();
                    continue;
                }
            }
            let line = rec.line + body_line - 1;
            if is_blank(body, &rec) && width > 1 {
                continue;
            }
            if rec.fields.len() != width {
                rejected += 1;
                let msg = format!(
                    "expected {width} fields, found {}; row skipped",
                    rec.fields.len()
                );
                log.push(
                    "ragged",
                    self.issue(
                        table,
                        Some(Location::Line(line)),
                        None,
                        Severity::Error,
                        msg,
                    ),
                );
                continue;
            }
            for (out, req) in columns.iter_mut().zip(requests) {
                let mut value = None;
                for &i in req {
                    let raw = field_bytes(body, rec.fields[i]);
                    let text = match std::str::from_utf8(&raw) {
                        Ok(s) => s.to_string(),
                        Err(_) => {
                            let msg = "invalid UTF-8, read with U+FFFD replacement characters"
                                .to_string();
                            log.push(
                                "invalid-utf8",
                                self.issue(
                                    table,
                                    Some(Location::Line(line)),
                                    Some(&self.headers[i]),
                                    Severity::Warning,
                                    msg,
                                ),
                            );
                            String::from_utf8_lossy(&raw).into_owned()
                        }
                    };
                    if !is_missing(&text) {
                        value = Some(text);
                        break;
                    }
                }
                out.push(value);
            }
            positions.push(line);
        }
        Extracted {
            columns,
            positions,
            rejected,
        }
    }
}

impl RawSource {
    /// Reads only the requested Parquet columns, then renders them as text for the shared
    /// normalisation.
    fn extract_parquet(
        &self,
        bytes: &[u8],
        requests: &[Vec<usize>],
        table: &str,
        log: &mut IssueLog,
    ) -> Extracted {
        let mut wanted: Vec<String> = requests
            .iter()
            .flatten()
            .map(|&i| self.headers[i].clone())
            .collect();
        wanted.sort();
        wanted.dedup();
        let read = ParquetReader::new(std::io::Cursor::new(bytes))
            .with_columns(Some(wanted))
            .finish();
        match read {
            Ok(df) => extract_frame(&df, self, requests, table, log),
            Err(e) => {
                let msg = format!("cannot read Parquet data: {e}");
                log.push(
                    "unreadable",
                    self.issue(table, None, None, Severity::Error, msg),
                );
                Extracted {
                    columns: vec![Vec::new(); requests.len()],
                    positions: Vec::new(),
                    rejected: 0,
                }
            }
        }
    }
}

/// A Parquet column as text. Datetimes (any unit, with or without a zone) become RFC 3339 UTC
/// so that the shared parser reads them back exactly; everything else is cast to string.
fn column_text(col: &Column) -> PolarsResult<Vec<Option<String>>> {
    if let DataType::Datetime(unit, _) = col.dtype() {
        let per_unit: i64 = match unit {
            TimeUnit::Nanoseconds => 1,
            TimeUnit::Microseconds => 1_000,
            TimeUnit::Milliseconds => 1_000_000,
        };
        let physical = col.to_physical_repr();
        let values = physical.i64()?;
        return Ok(values
            .iter()
            .map(|v| v.map(|t| format_datetime(t.saturating_mul(per_unit))))
            .collect());
    }
    let text = col.cast(&DataType::String)?;
    Ok(text
        .str()?
        .iter()
        .map(|v| v.filter(|s| !is_missing(s)).map(str::to_string))
        .collect())
}

fn extract_frame(
    df: &DataFrame,
    source: &RawSource,
    requests: &[Vec<usize>],
    table: &str,
    log: &mut IssueLog,
) -> Extracted {
    let height = df.height();
    let mut columns = Vec::with_capacity(requests.len());
    for req in requests {
        let mut out: Vec<Option<String>> = vec![None; height];
        for &i in req {
            let name = &source.headers[i];
            let values = df.column(name).and_then(column_text);
            let values = match values {
                Ok(v) => v,
                Err(e) => {
                    let msg = format!("cannot read this column: {e}; read as empty");
                    log.push(
                        "unreadable-column",
                        source.issue(table, None, Some(name), Severity::Warning, msg),
                    );
                    continue;
                }
            };
            for (slot, v) in out.iter_mut().zip(values) {
                if slot.is_none() {
                    *slot = v;
                }
            }
        }
        columns.push(out);
    }
    Extracted {
        columns,
        positions: (1..=height as u64).collect(),
        rejected: 0,
    }
}
