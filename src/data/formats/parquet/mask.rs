//! The row filter's test on a slice's decoded filter columns: which rows it keeps, and the
//! event times of those it turns away.

use polars::prelude::*;

use super::{datetime_nanos, natively_typed};
use crate::data::row_filter::Skipped;
use crate::data::source::ExtractFilter;
use crate::data::values::{is_clamped, is_missing, is_null_text};

/// One request's column as text for testing rows: its source columns cast to text, in their
/// chunks as read (not concatenated: the rows are read in order); `None` where the source holds
/// it typed (a typed value is always readable) unless `typed_too`.
fn request_text(
    df: &DataFrame,
    headers: &[String],
    request: &[usize],
    typed_too: bool,
) -> PolarsResult<Option<Vec<StringChunked>>> {
    let mut out = Vec::new();
    for &i in request {
        let col = df.column(&headers[i])?;
        if !typed_too && col.dtype() != &DataType::String && natively_typed(col.dtype()) {
            return Ok(None);
        }
        out.push(col.cast(&DataType::String)?.str()?.clone());
    }
    Ok(Some(out))
}

/// Which rows the filter keeps, and what it turned away (see [`crate::data::row_filter`]).
/// Cells are read in place, row after row, from the columns as Polars decoded them: a copy of
/// each column per slice cost more in fresh pages than the test itself.
pub(super) fn filter_mask(
    df: &DataFrame,
    headers: &[String],
    requests: &[Vec<usize>],
    filter: &ExtractFilter,
) -> PolarsResult<(BooleanChunked, Skipped)> {
    let height = df.height();
    // The event time: typed (floored to Kusto's 100 ns tick, as normalisation does) or text.
    let time_request = &requests[filter.time];
    let typed_time = match time_request.as_slice() {
        [i] => datetime_nanos(df.column(&headers[*i])?).transpose()?,
        _ => None,
    };
    let time_text = match typed_time {
        Some(_) => Vec::new(),
        None => request_text(df, headers, time_request, true)?.unwrap_or_default(),
    };
    let mut times: Box<dyn Iterator<Item = Option<i64>> + '_> = match typed_time {
        Some(nanos) => Box::new(nanos.into_iter().map(|v| v.map(|n| n - n.rem_euclid(100)))),
        None => Box::new(RowCells::new(&time_text, height).map(|t| {
            t.filter(|t| !is_null_text(t))
                .and_then(|t| filter.datetimes.parse(t))
        })),
    };
    // Each request's source columns as text, read once in order (not a lookup per cell).
    let mut sources: Vec<(usize, Vec<StringChunked>)> = Vec::new();
    for &r in &filter.columns {
        if let Some(t) = request_text(df, headers, &requests[r], true)? {
            sources.push((r, t));
        }
    }
    for &(r, _) in &filter.checked {
        if let Some(t) = request_text(df, headers, &requests[r], false)? {
            sources.push((r, t));
        }
    }
    let mut cells: Vec<(usize, RowCells)> = sources
        .iter()
        .map(|(r, columns)| (*r, RowCells::new(columns, height)))
        .collect();
    let mut skipped = Skipped::default();
    let mut row_text: Vec<Option<&str>> = vec![None; requests.len()];
    let mask: BooleanChunked = (0..height)
        .map(|_| {
            // Every request's cursor moves on, whatever this row's time says. (A request with
            // no source here is never set: it stays `None`.)
            for (r, cells) in &mut cells {
                row_text[*r] = cells.next().flatten();
            }
            // No time, or one outside what a frame holds: kept, and said as without a filter.
            let Some(time) = times.next().flatten().filter(|t| !is_clamped(*t)) else {
                return true;
            };
            let away = filter.turns_away(&|r| row_text[r]);
            if away {
                skipped.add(time);
            }
            !away
        })
        .collect();
    Ok((mask, skipped))
}

/// A request's cells, row after row: the first of its source columns with a value in that row
/// (a missing column reads as no value in every row).
struct RowCells<'a> {
    columns: Vec<Box<dyn Iterator<Item = Option<&'a str>> + 'a>>,
    rows_left: usize,
}

impl<'a> RowCells<'a> {
    fn new(columns: &'a [StringChunked], height: usize) -> Self {
        RowCells {
            columns: columns
                .iter()
                .map(|c| Box::new(c.iter()) as Box<dyn Iterator<Item = Option<&'a str>> + 'a>)
                .collect(),
            rows_left: height,
        }
    }
}

impl<'a> Iterator for RowCells<'a> {
    type Item = Option<&'a str>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rows_left == 0 {
            return None;
        }
        self.rows_left -= 1;
        let mut cell = None;
        for column in &mut self.columns {
            let value = column.next().flatten();
            if cell.is_none() {
                cell = value.filter(|s| !is_missing(s));
            }
        }
        Some(cell)
    }
}
