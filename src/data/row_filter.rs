//! Row filters applied while a file is read: a run that only wants findings need not type the
//! millions of rows that cannot become one.
//!
//! A [`RowFilter`] must be a *necessary* condition for a row to reach a finding, tested on the
//! same cell text the typed column would be built from, so that filtering never changes a result.
//! Rows it turns away are counted and their event times kept (the default `now()` is the newest
//! event of all rows, filtered or not). A row whose event time is missing or unreadable, or that
//! holds any typed value (a port, a flag, a date) that cannot be read, is always kept, so that it
//! is reported exactly as without a filter: filters change what is typed, never what is said.

use std::collections::BTreeMap;
use std::sync::Arc;

use polars::prelude::{
    col, lit, map_multiple, BooleanChunked, Column, DataFrame, DataType, Expr, Field, IntoColumn,
    PolarsError, PolarsResult, Schema, StringChunked,
};

use super::table::schema::TableKind;
use crate::kql::time::Nanos;

/// The test: the cells of [`RowFilter::columns`] for one row, `None` where missing.
pub type KeepFn = dyn Fn(&[Option<&str>]) -> bool + Send + Sync;

/// A necessary condition on one table's rows.
#[derive(Clone)]
pub struct RowFilter {
    /// What the test is, for the cache to keep its result under: two filters with the same
    /// identity must keep the same rows of any table.
    pub identity: String,
    /// Canonical column names the test reads, in the order it receives them.
    pub columns: Vec<&'static str>,
    pub keep: Arc<KeepFn>,
    /// The same test as a Polars expression over the canonical columns, typed: typed sources
    /// (Parquet) evaluate it where they read, so that only the rows it keeps are decoded.
    pub expr: Option<Expr>,
}

impl RowFilter {
    pub fn new(
        identity: impl Into<String>,
        columns: &[&'static str],
        keep: impl Fn(&[Option<&str>]) -> bool + Send + Sync + 'static,
    ) -> Self {
        Self {
            identity: identity.into(),
            columns: columns.to_vec(),
            keep: Arc::new(keep),
            expr: None,
        }
    }

    /// The test as a Polars expression too (it must keep exactly the rows `keep` keeps, on
    /// typed columns).
    pub fn with_expr(mut self, expr: Expr) -> Self {
        self.expr = Some(expr);
        self
    }

    /// Keeps no row (its times still count towards `now()`).
    pub fn none() -> Self {
        Self::new("none", &[], |_| false).with_expr(lit(false))
    }

    /// This filter, or `also` on the cells of `more` columns (added after this one's): the
    /// `--beyond` filters keep what the rule keeps and what a beyond check can find. When this
    /// filter has a Polars form, so has the result (`also` applied to each row's cells as text,
    /// as the text path reads a typed column), so that a typed Parquet file keeps its pushdown.
    pub fn or<const N: usize>(
        self,
        identity: String,
        more: [&'static str; N],
        also: impl Fn([Option<&str>; N]) -> bool + Send + Sync + 'static,
    ) -> RowFilter {
        let mut columns = self.columns.clone();
        for c in more {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
        let at: [usize; N] = more.map(|m| columns.iter().position(|c| *c == m).expect("added"));
        let width = self.columns.len();
        let keep = self.keep;
        let also = Arc::new(also);
        let expr = self
            .expr
            .map(|exact| exact.or(cells_expr(more, also.clone())));
        let filter = RowFilter::new(identity, &columns, move |cells: &[Option<&str>]| {
            keep(&cells[..width]) || also(at.map(|i| cells[i]))
        });
        match expr {
            Some(e) => filter.with_expr(e),
            None => filter,
        }
    }

    /// Whether this is [`RowFilter::none`].
    pub fn keeps_nothing(&self) -> bool {
        self.identity == "none"
    }
}

/// `test` on each row's cells of `columns` as text (a typed column cast to text, as the text
/// path reads it), as a Polars expression.
fn cells_expr<const N: usize>(
    columns: [&'static str; N],
    test: Arc<impl Fn([Option<&str>; N]) -> bool + Send + Sync + 'static>,
) -> Expr {
    let inputs: Vec<Expr> = columns.iter().map(|c| col(*c)).collect();
    map_multiple(
        move |cells: &mut [Column]| {
            let text: Vec<StringChunked> = cells
                .iter()
                .map(|c| Ok(c.cast(&DataType::String)?.str()?.rechunk().into_owned()))
                .collect::<PolarsResult<_>>()?;
            // One chunk each after `rechunk`: a cell is an array lookup.
            let arrays: Vec<_> = text.iter().flat_map(|t| t.downcast_iter()).collect();
            let rows = text.first().map_or(0, |t| t.len());
            if rows > 0 && arrays.len() != text.len() {
                return Err(PolarsError::ComputeError(
                    "a filter column in more than one chunk".into(),
                ));
            }
            let out: BooleanChunked = (0..rows)
                .map(|i| Some(test(std::array::from_fn(|k| arrays[k].get(i)))))
                .collect();
            Ok(out.with_name("keep".into()).into_column())
        },
        inputs,
        |_: &Schema, fields: &[Field]| {
            let name = fields.first().map_or("keep".into(), |f| f.name().clone());
            Ok(Field::new(name, DataType::Boolean))
        },
    )
}

/// The rows of a table loaded in the first pass (`None` when no file held it).
pub type Loaded<'a> = dyn Fn(TableKind) -> Option<DataFrame> + 'a;

/// Builds a table's filter once the other tables are loaded (sign-ins need the threat-intel
/// addresses).
pub type BuildFilter = dyn Fn(&Loaded) -> RowFilter + Send + Sync;

/// The filters of a run, by table. Tables without one are loaded whole.
#[derive(Clone, Default)]
pub struct RowFilters {
    pub now: BTreeMap<TableKind, RowFilter>,
    /// `(table, build)`: `table`'s files are read once every other table is loaded.
    pub deferred: Vec<(TableKind, Arc<BuildFilter>)>,
}

impl RowFilters {
    pub fn is_deferred(&self, table: TableKind) -> bool {
        self.deferred.iter().any(|(t, _)| *t == table)
    }
}

/// Rows a filter turned away: how many, and their event times' range.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Skipped {
    pub rows: usize,
    pub times: Option<(Nanos, Nanos)>,
}

impl Skipped {
    pub fn add(&mut self, time: Nanos) {
        self.rows += 1;
        self.times = Some(match self.times {
            Some((lo, hi)) => (lo.min(time), hi.max(time)),
            None => (time, time),
        });
    }

    pub fn merge(&mut self, other: Skipped) {
        self.rows += other.rows;
        self.times = widen(self.times, other.times);
    }
}

/// The smallest range holding both.
pub fn widen(a: Option<(Nanos, Nanos)>, b: Option<(Nanos, Nanos)>) -> Option<(Nanos, Nanos)> {
    match (a, b) {
        (Some((a0, a1)), Some((b0, b1))) => Some((a0.min(b0), a1.max(b1))),
        (x, None) | (None, x) => x,
    }
}

impl std::fmt::Debug for RowFilters {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let now: Vec<&str> = self.now.keys().map(|t| t.name()).collect();
        let later: Vec<&str> = self.deferred.iter().map(|(t, _)| t.name()).collect();
        write!(f, "RowFilters {{ now: {now:?}, deferred: {later:?} }}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use polars::prelude::{df, IntoLazy};

    /// The rows `filter`'s Polars form keeps of `frame`.
    fn kept_by_expr(frame: polars::prelude::DataFrame, filter: &RowFilter) -> Vec<bool> {
        let kept = frame
            .lazy()
            .select([filter.expr.clone().unwrap().alias("keep")])
            .collect()
            .unwrap();
        kept.column("keep")
            .unwrap()
            .bool()
            .unwrap()
            .iter()
            .map(|k| k == Some(true))
            .collect()
    }

    /// `or` keeps the same rows whether it tests the cells as text or runs as an expression on
    /// the typed columns, nulls and integers included; a filter without a Polars form gives
    /// none.
    #[test]
    fn or_keeps_the_same_rows_as_text_and_as_an_expression() {
        let exact =
            RowFilter::new("exact", &["A"], |c| c[0] == Some("x")).with_expr(col("A").eq(lit("x")));
        let also =
            |[b, a]: [Option<&str>; 2]| b == Some("7") || a.is_some_and(|a| a.ends_with('z'));
        let filter = exact.or("exact or".into(), ["B", "A"], also);
        assert_eq!(filter.columns, ["A", "B"]);
        let frame = df!(
            "A" => [Some("x"), Some("yz"), None, Some("q"), Some("q"), None],
            "B" => [Some(1i64), None, Some(7), Some(8), None, None],
        )
        .unwrap();
        let a = frame.column("A").unwrap().str().unwrap().clone();
        let b = frame.column("B").unwrap().cast(&DataType::String).unwrap();
        let b = b.str().unwrap();
        let by_text: Vec<bool> = (0..frame.height())
            .map(|i| (filter.keep)(&[a.get(i), b.get(i)]))
            .collect();
        assert_eq!(by_text, [true, true, true, false, false, false]);
        assert_eq!(kept_by_expr(frame, &filter), by_text);
        let plain =
            RowFilter::new("plain", &["A"], |_| true).or("plain or".into(), ["B"], |_| true);
        assert!(plain.expr.is_none());
    }
}
