//! Kusto-compatible operators: the string tests (`has`, `has_any`, `in~`), `extract`, and the
//! `now()`/`ago()` anchoring, as plain functions and as Polars expressions.

pub mod expr;
pub mod has;
pub mod time;

#[cfg(test)]
mod tests;
