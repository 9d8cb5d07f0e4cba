//! Log Analytics API rows: arrays of values aligned with the table's declared columns.

use std::sync::Arc;

use super::objects::{add_record, unreadable, ObjectSpan};
use super::skim::{elements, Kind};
use crate::data::issues::IssueLog;
use crate::data::source::{Extracted, Request, Source, SourceMeta};

/// Positional rows of a document, read in place (each row was checked to hold one value per
/// column when the document was read).
pub struct RowsSource {
    pub meta: SourceMeta,
    pub bytes: Arc<Vec<u8>>,
    pub rows: Vec<ObjectSpan>,
}

impl Source for RowsSource {
    fn meta(&self) -> &SourceMeta {
        &self.meta
    }

    fn extract(&self, request: &Request, log: &mut IssueLog) -> Extracted<'_> {
        let b = self.bytes.as_slice();
        let width = self.meta.headers.len();
        let mut wanted = vec![false; width];
        for &i in request.columns.iter().flatten() {
            wanted[i] = true;
        }
        let mut values: Vec<Option<(&[u8], Kind)>> = vec![None; width];
        let mut row = vec![None; request.columns.len()];
        let mut out = Extracted::empty(request.columns.len());
        let utf8 = b.is_ascii() || std::str::from_utf8(b).is_ok();
        for span in &self.rows {
            let mut i = 0;
            let walked = elements(b, span.start, |v, kind| {
                if i < width && wanted[i] {
                    values[i] = Some((v, kind));
                }
                i += 1;
            });
            if walked.is_err() {
                // Checked when the document was read: never expected, but never silent.
                values.iter_mut().for_each(|v| *v = None);
                unreadable(&mut out, &self.meta, request.table, span.position, log);
                continue;
            }
            let (meta, position) = (&self.meta, span.position);
            add_record(
                &mut out,
                &mut values,
                utf8,
                request,
                &mut row,
                meta,
                position,
                log,
            );
        }
        out
    }
}
