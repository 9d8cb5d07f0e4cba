//! A Delta table as one [`Source`]: the live Parquet files its log lists, each with its
//! partition values as columns, read one after another. Rows are numbered across the table,
//! file after file in the order the snapshot lists them.

use std::borrow::Cow;
use std::path::Path;

use polars::prelude::{Column, DataType};

use super::{snapshot, DeltaSnapshot};
use crate::data::formats::parquet::{self, column_text, ParquetSource};
use crate::data::issues::{Issue, IssueLog};
use crate::data::source::{Addressing, Extracted, Request, Source, SourceMeta};

/// The live files of a Delta table.
pub struct DeltaSource {
    meta: SourceMeta,
    parts: Vec<ParquetSource>,
}

/// Opens the Delta table in `dir`, as its log describes it now. A log proxyhunt cannot follow
/// (deletion vectors, column mapping, a missing commit...) refuses the table: its files are
/// never read without the log, since they may hold removed rows.
pub fn open(dir: &Path, display: &str, log: &mut IssueLog) -> Option<DeltaSource> {
    let DeltaSnapshot { version, files, .. } = match snapshot(dir) {
        Ok(s) => s,
        Err(e) => {
            log.push(
                "unreadable",
                Issue::file_error(display, format!("Delta table not read: {e}")),
            );
            return None;
        }
    };
    let mut parts = Vec::new();
    let mut headers: Vec<String> = Vec::new();
    for f in files {
        let name = format!("{display} (Delta version {version})");
        let Some(part) = parquet::open_file(&name, &f.path, log) else {
            continue;
        };
        let part = part.with_constants(f.partition_values);
        for h in &part.meta().headers {
            if !headers.contains(h) {
                headers.push(h.clone());
            }
        }
        parts.push(part);
    }
    let mut meta = SourceMeta::new(
        &format!(
            "{display} (Delta version {version}, {} file(s))",
            parts.len()
        ),
        &dir.display().to_string(),
        "delta",
        Addressing::Rows,
    );
    meta.headers = headers;
    Some(DeltaSource { meta, parts })
}

impl Source for DeltaSource {
    fn meta(&self) -> &SourceMeta {
        &self.meta
    }

    fn extract(&self, request: &Request, log: &mut IssueLog) -> Extracted<'_> {
        let width = request.columns.len();
        let mut got: Vec<Extracted> = Vec::new();
        let mut before = 0u64;
        for part in &self.parts {
            let own = &part.meta().headers;
            // The table's header indices as this file's (a file may lack newer columns).
            let columns: Vec<Vec<usize>> = request
                .columns
                .iter()
                .map(|req| {
                    req.iter()
                        .filter_map(|&i| own.iter().position(|h| *h == self.meta.headers[i]))
                        .collect()
                })
                .collect();
            let mapped = Request {
                columns: &columns,
                filter: request.filter,
                table: request.table,
            };
            let mut e = part.extract(&mapped, log);
            e.positions.iter_mut().for_each(|p| *p += before);
            e.typed.resize(width, None);
            before += part.rows() as u64;
            got.push(e);
        }
        // A request stays typed only when every file holds it typed alike; else the typed
        // files' values become text, as the others'.
        let mut typed: Vec<Option<Column>> = vec![None; width];
        for (r, slot) in typed.iter_mut().enumerate() {
            let dtypes: Vec<Option<DataType>> = got
                .iter()
                .map(|e| e.typed[r].as_ref().map(|c| c.dtype().clone()))
                .collect();
            let same = dtypes.first().cloned().flatten().is_some()
                && dtypes.iter().all(|d| *d == dtypes[0]);
            if same {
                let mut acc: Option<Column> = None;
                for e in &mut got {
                    let Some(c) = e.typed[r].take() else { continue };
                    acc = Some(match acc {
                        None => c,
                        Some(mut a) => {
                            let _ = a.append(&c);
                            a
                        }
                    });
                }
                *slot = acc;
            } else {
                for e in &mut got {
                    if let Some(c) = e.typed[r].take() {
                        let text = column_text(&c).unwrap_or_default();
                        e.columns[r] = text.into_iter().map(|v| v.map(Cow::Owned)).collect();
                    }
                }
            }
        }
        let mut out = Extracted::empty(width);
        for e in got {
            out.append(e);
        }
        out.typed = typed;
        out
    }
}
