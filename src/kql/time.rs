//! `now()` and `ago()` anchoring. Kusto evaluates `now()` once per query, so a run fixes one
//! instant and every `ago(d)` is that instant minus `d`, compared strictly (`>`).

use polars::prelude::*;

/// Nanoseconds since the Unix epoch, UTC. Kusto's resolution is 100 ns; loaders floor to it.
pub type Nanos = i64;

pub const NANOS_PER_SECOND: i64 = 1_000_000_000;
pub const MINUTE: Nanos = 60 * NANOS_PER_SECOND;
pub const HOUR: Nanos = 60 * MINUTE;
pub const DAY: Nanos = 24 * HOUR;

/// `ago(d)` for a fixed `now`.
pub fn ago(now: Nanos, duration: Nanos) -> Nanos {
    now.saturating_sub(duration)
}

/// `expr > bound` on a datetime column; nulls stay null and are dropped by `filter`.
pub fn after(expr: Expr, bound: Nanos) -> Expr {
    expr.cast(DataType::Int64).gt(lit(bound))
}

/// A duration as a Kusto timespan literal in its largest whole unit: `14d`, `1h`, `15m`, `90s`.
pub fn format_duration(d: Nanos) -> String {
    for (unit, size) in [
        ("d", DAY),
        ("h", HOUR),
        ("m", MINUTE),
        ("s", NANOS_PER_SECOND),
    ] {
        if d != 0 && d % size == 0 {
            return format!("{}{unit}", d / size);
        }
    }
    format!("{}ms", d / 1_000_000)
}

/// Parses a Kusto-style timespan literal such as `90m`, `12h`, `7d`, `30s`, `1.5h`.
pub fn parse_duration(text: &str) -> Option<Nanos> {
    let text = text.trim();
    let split = text.find(|c: char| c.is_ascii_alphabetic())?;
    let (number, unit) = text.split_at(split);
    let number: f64 = number.parse().ok()?;
    let unit_nanos = match unit {
        "d" => DAY,
        "h" => HOUR,
        "m" => MINUTE,
        "s" => NANOS_PER_SECOND,
        "ms" => 1_000_000,
        _ => return None,
    };
    if !number.is_finite() || number < 0.0 {
        return None;
    }
    let nanos = number * unit_nanos as f64;
    (nanos < i64::MAX as f64).then_some(nanos as i64)
}
