//! One definition of a detection's conditions, and everything derived from it: the Polars
//! expression its lazy plan filters with, the row test a load applies to cell text before
//! typing (a [`RowFilter`]), the reason a finding gives, and the KQL the seed query writes.
//!
//! Before, each rule existed twice (as Polars expressions and as text closures) and only tests
//! kept the two equal. Here a condition is written once; its `has_any` lists are compiled into
//! one automaton each when it is built, and every derivation shares those automata.
//!
//! Conditions have no negation, so a null (a port that is missing or unreadable) is false in
//! every derivation, as `where` drops a row whose condition is null.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use polars::prelude::*;

use crate::data::row_filter::RowFilter;
use crate::data::values::{is_null_text, parse_int};
use crate::kql::expr::{has_any_with, in_ci_expr, in_ints, in_set};
use crate::kql::has::{in_ci, HasAny};

/// The most cells a row filter receives (the readers hand the test a fixed array).
pub const MAX_ROW_TEST_COLUMNS: usize = 8;

/// A list as the query writes it: declared once with `let Name = dynamic([...])`, or inline.
#[derive(Debug, Clone, Copy)]
pub struct List<T: 'static> {
    pub name: Option<&'static str>,
    pub values: &'static [T],
}

impl<T> List<T> {
    /// A list the query declares as `let name = dynamic([...])` and names in its `where`.
    pub const fn named(name: &'static str, values: &'static [T]) -> Self {
        Self {
            name: Some(name),
            values,
        }
    }

    /// A list the query spells out in its `where`.
    pub const fn inline(values: &'static [T]) -> Self {
        Self { name: None, values }
    }
}

/// The right-hand side of `==` against a string column, as the query writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Literal {
    Str(&'static str),
    /// A number compared with a string column (rule 000's `ResultType == 0`): equal when the
    /// text is the number's decimal form exactly (`"0"`, not `"00"`; see the README).
    Int(i64),
}

/// The test on one column.
#[derive(Debug, Clone)]
enum Op {
    /// `column has_any (list)`.
    HasAny {
        list: List<&'static str>,
        matcher: Arc<HasAny>,
    },
    /// `column in~ (list)`.
    InCi { list: List<&'static str> },
    /// `column in (list)` on an integer column.
    InInts { list: List<i64> },
    /// `column == literal` on a string column; `text` is the string the column must hold.
    Eq { literal: Literal, text: Arc<str> },
    /// `column in (set)`, case-sensitive, for a set known only at run time (the threat-intel
    /// addresses), named by `label` in KQL and by its size and digest in an identity.
    InSet {
        label: &'static str,
        values: Arc<HashSet<String>>,
        digest: u64,
    },
}

/// One test on one column.
#[derive(Debug, Clone)]
pub struct Test {
    column: &'static str,
    op: Op,
}

/// A detection's condition: tests on columns, combined with `and` / `or`.
#[derive(Debug, Clone)]
pub enum Condition {
    Test(Test),
    All(Vec<Condition>),
    Any(Vec<Condition>),
}

impl Condition {
    /// `column has_any (list)`; the list is compiled here, once.
    pub fn has_any(column: &'static str, list: List<&'static str>) -> Self {
        let matcher = Arc::new(HasAny::new(list.values));
        Self::test(column, Op::HasAny { list, matcher })
    }

    /// `column in~ (list)`.
    pub fn in_ci(column: &'static str, list: List<&'static str>) -> Self {
        Self::test(column, Op::InCi { list })
    }

    /// `column in (list)` on an integer column.
    pub fn in_ints(column: &'static str, list: List<i64>) -> Self {
        Self::test(column, Op::InInts { list })
    }

    /// `column == literal` on a string column.
    pub fn eq(column: &'static str, literal: Literal) -> Self {
        let text: Arc<str> = match literal {
            Literal::Str(s) => s.into(),
            Literal::Int(n) => n.to_string().into(),
        };
        Self::test(column, Op::Eq { literal, text })
    }

    /// `column in (values)`, case-sensitive, for a set known only at run time.
    pub fn in_set(column: &'static str, label: &'static str, values: HashSet<String>) -> Self {
        // The values decide the rows kept, so they are part of the identity: sorted, then hashed.
        let mut sorted: Vec<&String> = values.iter().collect();
        sorted.sort();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        sorted.hash(&mut h);
        let digest = h.finish();
        Self::test(
            column,
            Op::InSet {
                label,
                values: Arc::new(values),
                digest,
            },
        )
    }

    pub fn all(parts: impl IntoIterator<Item = Condition>) -> Self {
        Self::All(parts.into_iter().collect())
    }

    pub fn any(parts: impl IntoIterator<Item = Condition>) -> Self {
        Self::Any(parts.into_iter().collect())
    }

    fn test(column: &'static str, op: Op) -> Self {
        Self::Test(Test { column, op })
    }

    /// The condition as the query's `where` lines: the parts of a top-level `and` each on its
    /// own line (as the seeds write them), anything else as one.
    pub fn where_clauses(&self) -> &[Condition] {
        match self {
            Condition::All(parts) => parts,
            other => std::slice::from_ref(other),
        }
    }

    // ---- Polars ----

    /// The condition as a Polars boolean expression over the typed columns.
    pub fn to_expr(&self) -> Expr {
        match self {
            Condition::Test(t) => t.to_expr(),
            Condition::All(parts) => fold(parts, |a, b| a.and(b), true),
            Condition::Any(parts) => fold(parts, |a, b| a.or(b), false),
        }
    }

    /// `lf | where ...`, one filter per `where` line, as the query applies them.
    pub fn filter(&self, lf: LazyFrame) -> LazyFrame {
        self.where_clauses()
            .iter()
            .fold(lf, |lf, c| lf.filter(c.to_expr()))
    }

    // ---- Row test on cell text ----

    /// The condition as a test on one row's cell text as read (`None` for a missing cell): the
    /// columns it reads, in the order the test receives their cells, and the test. For every
    /// row it gives what [`Self::to_expr`] gives on the typed row: a missing string is `""`, an
    /// integer is read by [`parse_int`] (`null` text is missing; text that is neither is
    /// unreadable, which keeps the row whatever the test says: see [`crate::data::row_filter`]).
    pub fn row_test(
        &self,
    ) -> (
        Vec<&'static str>,
        impl Fn(&[Option<&str>]) -> bool + Send + Sync + 'static,
    ) {
        let mut columns = Vec::new();
        let compiled = Compiled::of(self, &mut columns);
        assert!(
            columns.len() <= MAX_ROW_TEST_COLUMNS,
            "a row test reads at most {MAX_ROW_TEST_COLUMNS} columns, this one {}",
            columns.len()
        );
        (columns, move |cells: &[Option<&str>]| compiled.holds(cells))
    }

    /// The condition as a [`RowFilter`], its identity `what` and the condition with every list
    /// spelled out (so that a changed list is a different filter to the cache).
    pub fn row_filter(&self, what: &str) -> RowFilter {
        let (columns, keep) = self.row_test();
        RowFilter::new(format!("{what}: {}", self.identity_kql()), &columns, keep)
            .with_expr(self.to_expr())
    }

    /// Whether the condition holds on a row whose cells `cell` gives by column name.
    pub fn holds<'a>(&self, cell: &dyn Fn(&'static str) -> Option<&'a str>) -> bool {
        match self {
            Condition::Test(t) => t.holds(cell(t.column)),
            Condition::All(parts) => parts.iter().all(|p| p.holds(cell)),
            Condition::Any(parts) => parts.iter().any(|p| p.holds(cell)),
        }
    }

    // ---- Reasons ----

    /// Why a row that passed the condition did: for `or`, the first part that holds; for
    /// `and`, every part, joined by `; `; for a list, the entry that matched (and, for
    /// `has_any`, where). Columns `cell` does not give count as missing.
    pub fn reason<'a>(&self, cell: &dyn Fn(&'static str) -> Option<&'a str>) -> String {
        match self {
            Condition::Test(t) => t.reason(cell(t.column)),
            Condition::All(parts) => parts
                .iter()
                .map(|p| p.reason(cell))
                .collect::<Vec<_>>()
                .join("; "),
            Condition::Any(parts) => parts
                .iter()
                .find(|p| p.holds(cell))
                .map(|p| p.reason(cell))
                .unwrap_or_default(),
        }
    }

    // ---- KQL ----

    /// The condition in KQL, lists by the name the query declares them under.
    pub fn kql(&self) -> String {
        self.render(Spelling::Query)
    }

    /// The condition in KQL with every list spelled out and a run-time set by its size and
    /// digest: what decides the rows it keeps.
    pub fn identity_kql(&self) -> String {
        self.render(Spelling::Identity)
    }

    /// The `let Name = dynamic([...]);` lines of the named lists, in the order they are used.
    pub fn lets(&self) -> Vec<String> {
        let mut out = Vec::new();
        self.collect_lets(&mut out);
        out
    }

    fn collect_lets(&self, out: &mut Vec<String>) {
        match self {
            Condition::Test(t) => {
                if let Some(line) = t.let_line() {
                    if !out.contains(&line) {
                        out.push(line);
                    }
                }
            }
            Condition::All(parts) | Condition::Any(parts) => {
                parts.iter().for_each(|p| p.collect_lets(out))
            }
        }
    }

    fn render(&self, spelling: Spelling) -> String {
        let joined = |parts: &[Condition], word: &str| {
            parts
                .iter()
                .map(|p| match p {
                    Condition::Test(_) => p.render(spelling),
                    _ => format!("({})", p.render(spelling)),
                })
                .collect::<Vec<_>>()
                .join(word)
        };
        match self {
            Condition::Test(t) => t.render(spelling),
            Condition::All(parts) => joined(parts, " and "),
            Condition::Any(parts) => joined(parts, " or "),
        }
    }
}

fn fold(parts: &[Condition], op: fn(Expr, Expr) -> Expr, empty: bool) -> Expr {
    parts
        .iter()
        .map(Condition::to_expr)
        .reduce(op)
        .unwrap_or_else(|| lit(empty))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spelling {
    Query,
    Identity,
}

impl Test {
    fn to_expr(&self) -> Expr {
        let c = col(self.column);
        match &self.op {
            Op::HasAny { matcher, .. } => has_any_with(c, matcher.clone()),
            Op::InCi { list } => in_ci_expr(c, list.values),
            Op::InInts { list } => in_ints(c, list.values),
            Op::Eq { text, .. } => c.eq(lit(text.to_string())),
            Op::InSet { values, .. } => in_set(c, values.clone()),
        }
    }

    /// The test on the cell's text as read. A missing string is `""`, as the typed column
    /// holds it; an integer is what the loader types it as.
    fn holds(&self, cell: Option<&str>) -> bool {
        match &self.op {
            Op::HasAny { matcher, .. } => matcher.is_match(cell.unwrap_or("")),
            Op::InCi { list } => in_ci(cell.unwrap_or(""), list.values).is_some(),
            Op::InInts { list } => read_int(cell).is_some_and(|v| list.values.contains(&v)),
            Op::Eq { text, .. } => cell.unwrap_or("") == &**text,
            Op::InSet { values, .. } => values.contains(cell.unwrap_or("")),
        }
    }

    fn reason(&self, cell: Option<&str>) -> String {
        let column = self.column;
        let text = cell.unwrap_or("");
        match &self.op {
            Op::HasAny { matcher, .. } => matcher
                .first_match(text)
                .map(|m| {
                    format!(
                        "{column} has \"{}\" at offset {}",
                        matcher.terms()[m.term],
                        m.offset
                    )
                })
                .unwrap_or_default(),
            Op::InCi { list } => {
                let entry = in_ci(text, list.values).map_or("?", |i| list.values[i]);
                format!("{column} in~ \"{entry}\"")
            }
            Op::InInts { list } => {
                let value = read_int(cell).map_or("?".to_string(), |v| v.to_string());
                let list = match list.name {
                    Some(name) => name.to_string(),
                    None => format!("({})", ints(list.values)),
                };
                format!("{column} {value} in {list}")
            }
            Op::Eq { .. } | Op::InSet { .. } => self.render(Spelling::Query),
        }
    }

    fn render(&self, spelling: Spelling) -> String {
        let column = self.column;
        let name = |name: Option<&str>| match spelling {
            Spelling::Query => name.map(str::to_string),
            Spelling::Identity => None,
        };
        match &self.op {
            Op::HasAny { list, .. } => format!(
                "{column} has_any ({})",
                name(list.name).unwrap_or_else(|| strings(list.values))
            ),
            Op::InCi { list } => format!(
                "{column} in~ ({})",
                name(list.name).unwrap_or_else(|| strings(list.values))
            ),
            Op::InInts { list } => format!(
                "{column} in ({})",
                name(list.name).unwrap_or_else(|| ints(list.values))
            ),
            Op::Eq { literal, .. } => match literal {
                Literal::Str(s) => format!("{column} == {}", quote(s)),
                Literal::Int(n) => format!("{column} == {n}"),
            },
            Op::InSet {
                label,
                values,
                digest,
            } => match spelling {
                Spelling::Query => format!("{column} in ({label})"),
                Spelling::Identity => {
                    format!("{column} in ({} {label} {digest:016x})", values.len())
                }
            },
        }
    }

    fn let_line(&self) -> Option<String> {
        let (name, values) = match &self.op {
            Op::HasAny { list, .. } | Op::InCi { list } => (list.name?, strings(list.values)),
            Op::InInts { list } => (list.name?, ints(list.values)),
            Op::Eq { .. } | Op::InSet { .. } => return None,
        };
        Some(format!("let {name} = dynamic([{values}]);"))
    }
}

/// An integer cell as the loader types it: `null` text and a missing cell are null, text
/// [`parse_int`] cannot read is null too (and keeps its row, see [`crate::data::row_filter`]).
fn read_int(cell: Option<&str>) -> Option<i64> {
    cell.filter(|t| !is_null_text(t)).and_then(parse_int)
}

/// A KQL string literal.
fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn strings(values: &[&str]) -> String {
    values
        .iter()
        .map(|v| quote(v))
        .collect::<Vec<_>>()
        .join(", ")
}

fn ints(values: &[i64]) -> String {
    values
        .iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A condition with each column replaced by its cell's index, for the row test: evaluated on
/// every row read, it allocates nothing.
enum Compiled {
    Test(usize, Test),
    All(Vec<Compiled>),
    Any(Vec<Compiled>),
}

impl Compiled {
    fn of(c: &Condition, columns: &mut Vec<&'static str>) -> Self {
        match c {
            Condition::Test(t) => {
                let index = match columns.iter().position(|n| *n == t.column) {
                    Some(i) => i,
                    None => {
                        columns.push(t.column);
                        columns.len() - 1
                    }
                };
                Compiled::Test(index, t.clone())
            }
            Condition::All(parts) => {
                Compiled::All(parts.iter().map(|p| Self::of(p, columns)).collect())
            }
            Condition::Any(parts) => {
                Compiled::Any(parts.iter().map(|p| Self::of(p, columns)).collect())
            }
        }
    }

    fn holds(&self, cells: &[Option<&str>]) -> bool {
        match self {
            Compiled::Test(i, t) => t.holds(cells.get(*i).copied().flatten()),
            Compiled::All(parts) => parts.iter().all(|p| p.holds(cells)),
            Compiled::Any(parts) => parts.iter().any(|p| p.holds(cells)),
        }
    }
}
