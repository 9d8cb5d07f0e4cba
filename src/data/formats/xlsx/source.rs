//! A workbook's first sheet as a [`Source`].

use std::io::Cursor;
use std::path::Path;

use super::{read_first_sheet_from, Sheet};
use crate::data::issues::{Issue, IssueLog};
use crate::data::source::{Addressing, Extracted, Request, Source, SourceMeta};
use crate::data::values::is_missing;

/// The rows of a sheet, each cell already text.
pub struct XlsxSource {
    meta: SourceMeta,
    rows: Vec<(u64, Vec<Option<String>>)>,
}

/// Opens a workbook held in memory; its problems go to `log`.
pub fn open(name: &str, path: &str, bytes: Vec<u8>, log: &mut IssueLog) -> Option<XlsxSource> {
    match read_first_sheet_from(Cursor::new(bytes), Path::new(name)) {
        Err(e) => {
            // The error names the file; the issue does too.
            let text = e.to_string();
            let text = text
                .split_once(": ")
                .map_or(text.as_str(), |(_, rest)| rest)
                .to_string();
            log.push("unreadable", Issue::file_error(name, text));
            None
        }
        Ok((Sheet { headers, rows, .. }, warnings)) => {
            for w in warnings {
                log.push("xlsx-cell", w.to_issue(name, None));
            }
            let mut meta = SourceMeta::new(name, path, "xlsx", Addressing::Rows);
            meta.headers = headers
                .iter()
                .map(|h| crate::data::source::clean_header(h))
                .collect();
            Some(XlsxSource { meta, rows })
        }
    }
}

impl Source for XlsxSource {
    fn meta(&self) -> &SourceMeta {
        &self.meta
    }

    fn extract(&self, request: &Request, _log: &mut IssueLog) -> Extracted<'_> {
        let mut out = Extracted::empty(request.columns.len());
        let mut row = vec![None; request.columns.len()];
        for (position, cells) in &self.rows {
            for (slot, req) in row.iter_mut().zip(request.columns) {
                *slot = Some(
                    req.iter()
                        .filter_map(|&i| cells.get(i)?.as_deref())
                        .find(|s| !is_missing(s))
                        .map(std::borrow::Cow::Borrowed),
                );
            }
            out.push_row(&mut row, *position, request.filter);
        }
        out
    }

    fn datetime_text(&self, requests: &[&[usize]]) -> Option<Vec<String>> {
        // Text datetimes in a workbook may be in the browser's locale too.
        Some(
            self.rows
                .iter()
                .flat_map(|(_, cells)| {
                    requests.iter().filter_map(move |req| {
                        req.iter()
                            .filter_map(|&i| cells.get(i)?.clone())
                            .find(|s| !is_missing(s))
                    })
                })
                .collect(),
        )
    }
}
