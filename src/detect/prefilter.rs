//! The row filters of a `hunt`: for each table, a necessary condition for a row to reach a
//! finding of the selected detections, tested on the cell text as it is read, so that millions
//! of rows that cannot match are never typed (see [`crate::data::row_filter`]).
//!
//! Each test is the detection's own filter on the columns it reads, with nothing narrowed: the
//! `has_any` matchers are the ones the plans use.

use std::collections::HashSet;
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use polars::prelude::*;

use super::anonymized_signin::anonymizer_indicators;
use super::multihop_proxy::{
    ARGS_MATCHER, SSH_ARGS_MATCHER, SSH_FILE_NAMES, TOOLS_MATCHER, TOR_PORTS,
};
use super::registry::DetectionId;
use crate::data::row_filter::{RowFilter, RowFilters};
use crate::data::schema::TableKind;
use crate::data::values::{is_null_text, parse_int};
use crate::kql::has::in_ci;

/// Query 004's process legs: a proxy tool or argument, or ssh with a forwarding argument.
pub fn process_filter() -> RowFilter {
    RowFilter::new(
        "query-004 process legs v1",
        &["FileName", "ProcessCommandLine"],
        |cells| {
            let file = cells[0].unwrap_or("");
            let command = cells[1].unwrap_or("");
            TOOLS_MATCHER.is_match(file)
                || ARGS_MATCHER.is_match(command)
                || (in_ci(file, SSH_FILE_NAMES).is_some() && SSH_ARGS_MATCHER.is_match(command))
        },
    )
}

/// Query 004's network leg: a Tor port on a public address. (A port that cannot be read at all
/// keeps its row whatever the test says: see [`crate::data::row_filter`].)
pub fn network_filter() -> RowFilter {
    RowFilter::new(
        "query-004 network leg v1",
        &["RemotePort", "RemoteIPType"],
        |cells| {
            let port = cells[0].filter(|p| !is_null_text(p));
            port.and_then(parse_int)
                .is_some_and(|p| TOR_PORTS.contains(&p))
                && cells[1] == Some("Public")
        },
    )
}

/// Rule 000's sign-ins: a success from an address some anonymiser indicator names (whatever its
/// dates: `now()` is not known until every event is read).
pub fn signin_filter(ti: Option<&DataFrame>) -> RowFilter {
    let addresses: HashSet<String> = ti
        .and_then(|ti| {
            let ips = anonymizer_indicators(ti.clone().lazy())
                .select([col("NetworkIP")])
                .collect()
                .ok()?;
            let ips = ips.column("NetworkIP").ok()?.str().ok()?.clone();
            Some(ips.iter().flatten().map(str::to_string).collect())
        })
        .unwrap_or_default();
    // The addresses decide the rows kept: they are part of what the filter is.
    let mut sorted: Vec<&String> = addresses.iter().collect();
    sorted.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    sorted.hash(&mut h);
    let identity = format!(
        "rule-000 sign-ins v1, {} addresses {:016x}",
        sorted.len(),
        h.finish()
    );
    RowFilter::new(identity, &["IPAddress", "ResultType"], move |cells| {
        cells[1] == Some("0") && cells[0].is_some_and(|ip| addresses.contains(ip))
    })
}

/// The filters for a hunt running `detections`: tables no selected detection reads keep no rows
/// (their event times still count towards `now()`); threat intel is kept whole.
pub fn hunt_filters(detections: &[DetectionId]) -> RowFilters {
    let mut filters = RowFilters::default();
    if detections.contains(&DetectionId::MultihopProxy) {
        filters
            .now
            .insert(TableKind::DeviceProcess, process_filter());
        filters
            .now
            .insert(TableKind::DeviceNetwork, network_filter());
    } else {
        filters
            .now
            .insert(TableKind::DeviceProcess, RowFilter::none());
        filters
            .now
            .insert(TableKind::DeviceNetwork, RowFilter::none());
    }
    if detections.contains(&DetectionId::AnonymizedSignin) {
        filters.deferred.push((
            TableKind::SignIn,
            TableKind::ThreatIntel,
            Arc::new(signin_filter),
        ));
    } else {
        filters.now.insert(TableKind::SignIn, RowFilter::none());
    }
    filters
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ti(patterns: &[&str]) -> DataFrame {
        let n = patterns.len();
        df!(
            "TimeGenerated" => vec![0i64; n],
            "IsActive" => vec![true; n],
            "ValidUntil" => vec![None::<i64>; n],
            "Tags" => vec!["tor"; n],
            "Pattern" => patterns.to_vec(),
        )
        .unwrap()
    }

    /// The cache keeps a filter's rows under its identity: sign-in filters over different
    /// addresses must differ, over the same addresses must not.
    #[test]
    fn signin_identity_follows_the_addresses() {
        let a = ti(&[
            "[ipv4-addr:value = '1.2.3.4']",
            "[ipv4-addr:value = '5.6.7.8']",
        ]);
        let b = ti(&[
            "[ipv4-addr:value = '5.6.7.8']",
            "[ipv4-addr:value = '1.2.3.4']",
        ]);
        let c = ti(&["[ipv4-addr:value = '1.2.3.4']"]);
        let id = |t: &DataFrame| signin_filter(Some(t)).identity;
        assert_eq!(id(&a), id(&b));
        assert_ne!(id(&a), id(&c));
        assert_ne!(id(&a), signin_filter(None).identity);
        let keep = signin_filter(Some(&c)).keep;
        assert!(keep(&[Some("1.2.3.4"), Some("0")]));
        assert!(!keep(&[Some("5.6.7.8"), Some("0")]));
        assert!(!keep(&[Some("1.2.3.4"), Some("50126")]));
    }
}
