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

use polars::prelude::{lit, DataFrame, Expr};

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
    /// `--beyond` filters keep what the rule keeps and what a beyond check can find.
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
        RowFilter::new(identity, &columns, move |cells: &[Option<&str>]| {
            keep(&cells[..width]) || also(at.map(|i| cells[i]))
        })
    }

    /// Whether this is [`RowFilter::none`].
    pub fn keeps_nothing(&self) -> bool {
        self.identity == "none"
    }
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
