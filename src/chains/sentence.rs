//! The plain words of a chain's summary: times as a responder reads them, lists kept short.

use super::build::Item;
use crate::kql::time::Nanos;

/// How a chain's times are written: `09:02` when the chain lies within one UTC day (named once
/// at the start), `05-11 21:40` when it spans days.
pub(super) struct Clock {
    day: Option<String>,
}

impl Clock {
    pub fn for_items<'a>(items: impl Iterator<Item = &'a Item>) -> Self {
        let days: std::collections::BTreeSet<String> =
            items.map(|i| stamp(i.time)[..10].to_string()).collect();
        Self {
            day: (days.len() == 1).then(|| days.into_iter().next().unwrap_or_default()),
        }
    }

    /// Written before the sentence: the day, when there is one.
    pub fn prefix(&self) -> String {
        self.day
            .as_ref()
            .map_or(String::new(), |d| format!("{d} (UTC): "))
    }

    pub fn at(&self, t: Nanos) -> String {
        let s = stamp(t);
        match self.day {
            Some(_) => s[11..16].to_string(),
            None => format!("{} {}", &s[5..10], &s[11..16]),
        }
    }
}

/// `YYYY-MM-DDTHH:MM:SS...`, always at least 16 characters.
fn stamp(t: Nanos) -> String {
    let s = crate::data::values::format_datetime(t);
    if s.len() >= 16 {
        s
    } else {
        format!("{s:0<16}")
    }
}

/// `carol's`; a name ending in `s` gets only the apostrophe.
pub(super) fn possessive(name: &str) -> String {
    if name.ends_with('s') {
        format!("{name}'")
    } else {
        format!("{name}'s")
    }
}

/// The distinct addresses of `items`, at most three named.
pub(super) fn list_ips(items: &[&Item]) -> String {
    let mut seen: Vec<&str> = Vec::new();
    for i in items {
        if !i.ip.is_empty() && !seen.contains(&i.ip.as_str()) {
            seen.push(&i.ip);
        }
    }
    join_limited(seen.into_iter(), 3)
}

/// At most `limit` values joined with `, `, then "and N more".
pub(super) fn join_limited<'a>(values: impl Iterator<Item = &'a str>, limit: usize) -> String {
    let all: Vec<&str> = values.collect();
    if all.len() <= limit {
        return all.join(", ");
    }
    format!("{} and {} more", all[..limit].join(", "), all.len() - limit)
}
