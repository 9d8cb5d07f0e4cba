//! Kusto operators as Polars expressions, so that detections stay lazy plans.
//!
//! Each wrapper compiles its pattern once and applies a plain Rust function per row; the Kusto
//! semantics live in [`super::has`] and are tested there as tables.

use std::collections::HashSet;
use std::sync::Arc;

use polars::prelude::*;
use regex::Regex;

use super::has::{in_ci, HasAny};

fn bool_field(_: &Schema, f: &Field) -> PolarsResult<Field> {
    Ok(Field::new(f.name().clone(), DataType::Boolean))
}

fn string_field(_: &Schema, f: &Field) -> PolarsResult<Field> {
    Ok(Field::new(f.name().clone(), DataType::String))
}

/// `expr has_any (terms)`. A null string (never produced by the loaders) does not match.
pub fn has_any(expr: Expr, terms: &[&str]) -> Expr {
    has_any_with(expr, Arc::new(HasAny::new(terms)))
}

/// `expr has_any (terms)` with the terms already compiled (shared with a row filter).
pub fn has_any_with(expr: Expr, matcher: Arc<HasAny>) -> Expr {
    expr.map(
        move |c: Column| {
            let ca = c.str()?;
            let out: BooleanChunked = ca
                .iter()
                .map(|v| Some(v.is_some_and(|s| matcher.is_match(s))))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        bool_field,
    )
}

/// `expr has rhs`.
pub fn has(expr: Expr, rhs: &str) -> Expr {
    has_any(expr, &[rhs])
}

/// `expr in~ (list)`: ASCII case-insensitive whole-string membership.
pub fn in_ci_expr<S: AsRef<str>>(expr: Expr, list: &[S]) -> Expr {
    let list: Arc<Vec<String>> = Arc::new(list.iter().map(|s| s.as_ref().to_string()).collect());
    expr.map(
        move |c: Column| {
            let ca = c.str()?;
            let out: BooleanChunked = ca
                .iter()
                .map(|v| Some(v.is_some_and(|s| in_ci(s, &list).is_some())))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        bool_field,
    )
}

/// `expr in (values)` on a string column: case-sensitive whole-string membership in a set
/// known at run time.
pub fn in_set(expr: Expr, values: Arc<HashSet<String>>) -> Expr {
    expr.map(
        move |c: Column| {
            let ca = c.str()?;
            let out: BooleanChunked = ca
                .iter()
                .map(|v| Some(v.is_some_and(|s| values.contains(s))))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        bool_field,
    )
}

/// `extract(regex, group, expr)`: the first match's capture group, or `""` when there is none.
pub fn extract(expr: Expr, regex: Regex, group: usize) -> Expr {
    let regex = Arc::new(regex);
    expr.map(
        move |c: Column| {
            let ca = c.str()?;
            let out: StringChunked = ca
                .iter()
                .map(|v| {
                    let captured = v
                        .and_then(|s| regex.captures(s))
                        .and_then(|caps| caps.get(group))
                        .map_or("", |m| m.as_str());
                    Some(captured)
                })
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        string_field,
    )
}

/// `expr in (ints)` for an integer column: numeric equality; a null never matches (it stays null
/// and `where` drops it).
pub fn in_ints(expr: Expr, values: &[i64]) -> Expr {
    values
        .iter()
        .map(|v| expr.clone().eq(lit(*v)))
        .reduce(|a, b| a.or(b))
        .unwrap_or_else(|| lit(false))
}
