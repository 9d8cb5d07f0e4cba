//! The row filters of a `hunt`: for each table, a necessary condition for a row to reach a
//! finding of the selected detections, tested on the cell text as it is read, so that millions
//! of rows that cannot match are never typed (see [`crate::data::row_filter`]).
//!
//! Each is the detections' own [`Condition`] on the columns it reads, with nothing narrowed,
//! derived as a row test ([`Condition::row_filter`]): the same compiled matchers as the plans.

use std::collections::HashSet;
use std::sync::Arc;

use polars::prelude::*;

use super::anonymized_signin::{anonymizer_indicators, SUCCESSFUL_SIGNIN};
use super::condition::Condition;
use super::multihop_proxy::{PROXY_TOOL_LAUNCH, SSH_MULTI_HOP_PROXY, TOR_PORT_CONNECTION};
use super::registry::DetectionId;
use std::path::PathBuf;

use crate::beyond::process::beyond_process_filter;
use crate::beyond::signin::beyond_signin_filter;
use crate::beyond::BeyondOptions;
use crate::data::load::{load_with_progress, Dataset, LoadOptions};
use crate::data::row_filter::{BuildFilter, Loaded, RowFilter, RowFilters};
use crate::data::schema::TableKind;

/// Query 004's process legs: a proxy tool or argument, or ssh with a forwarding argument.
pub fn process_filter() -> RowFilter {
    Condition::any([PROXY_TOOL_LAUNCH.clone(), SSH_MULTI_HOP_PROXY.clone()])
        .row_filter("query-004 process legs")
}

/// Query 004's network leg: a Tor port on a public address. (A port that cannot be read at all
/// keeps its row whatever the test says: see [`crate::data::row_filter`].)
pub fn network_filter() -> RowFilter {
    TOR_PORT_CONNECTION.row_filter("query-004 network leg")
}

/// The addresses some anonymiser indicator of `ti` names, whatever its dates: `now()` is not
/// known until every event is read.
fn anonymiser_addresses(ti: Option<&DataFrame>) -> HashSet<String> {
    ti.and_then(|ti| {
        let ips = anonymizer_indicators(ti.clone().lazy())
            .select([col("NetworkIP")])
            .collect()
            .ok()?;
        let ips = ips.column("NetworkIP").ok()?.str().ok()?.clone();
        Some(ips.iter().flatten().map(str::to_string).collect())
    })
    .unwrap_or_default()
}

/// Rule 000's sign-ins: a success from an address some anonymiser indicator names. The join
/// with `TorExitIPs` becomes `IPAddress` in the set of those addresses, which are part of the
/// filter's identity.
pub fn signin_filter(ti: Option<&DataFrame>) -> RowFilter {
    rule_signins(anonymiser_addresses(ti)).row_filter("rule-000 sign-ins")
}

/// The sign-ins rule 000 can ever join: a success from one of `addresses` (those an anonymiser
/// indicator names, whatever its dates). The replay's candidates and `hunt`'s row filter.
pub fn rule_signins(addresses: HashSet<String>) -> Condition {
    Condition::all([
        SUCCESSFUL_SIGNIN.clone(),
        Condition::in_set("IPAddress", "addresses", addresses),
    ])
}

/// The filters for a hunt running `detections`: tables no selected detection reads keep no rows
/// (their event times still count towards `now()`); threat intel is kept whole.
pub(crate) fn hunt_filters(
    detections: &[DetectionId],
    beyond: Option<&BeyondOptions>,
) -> RowFilters {
    let mut filters = RowFilters::default();
    if detections.contains(&DetectionId::MultihopProxy) {
        let process = match beyond {
            Some(_) => beyond_process_filter(process_filter()),
            None => process_filter(),
        };
        filters.now.insert(TableKind::DeviceProcess, process);
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
        let build: Arc<BuildFilter> = match beyond {
            Some(b) => {
                let list = b.exit_list.clone();
                Arc::new(move |loaded: &Loaded| {
                    let ti = loaded(TableKind::ThreatIntel);
                    let legacy = loaded(TableKind::LegacyThreatIntel);
                    let exact = signin_filter(ti.as_ref());
                    beyond_signin_filter(exact, ti.as_ref(), legacy.as_ref(), list.clone())
                })
            }
            None => {
                Arc::new(|loaded: &Loaded| signin_filter(loaded(TableKind::ThreatIntel).as_ref()))
            }
        };
        filters.deferred.push((TableKind::SignIn, build));
    } else {
        filters.now.insert(TableKind::SignIn, RowFilter::none());
    }
    // The legacy threat-intel table serves the beyond-the-rule checks only.
    if beyond.is_none() || !detections.contains(&DetectionId::AnonymizedSignin) {
        filters
            .now
            .insert(TableKind::LegacyThreatIntel, RowFilter::none());
    }
    filters
}

/// Loads `paths` for a run of `detections`: the one way `hunt`, the console and the benches
/// load. Only the rows that can become one of their findings are typed; every other row is
/// read, counted and timed (see [`crate::data::row_filter`]), so the findings, `now()` and every
/// message are those of loading everything.
pub fn load_for_hunt(
    paths: &[PathBuf],
    options: &LoadOptions,
    detections: &[DetectionId],
    progress: &mut (dyn FnMut(String) + Send),
) -> Dataset {
    load_for_hunt_beyond(paths, options, detections, None, progress)
}

/// [`load_for_hunt`] keeping, with `beyond`, also the rows a beyond-the-rule check can find.
pub fn load_for_hunt_beyond(
    paths: &[PathBuf],
    options: &LoadOptions,
    detections: &[DetectionId],
    beyond: Option<&BeyondOptions>,
    progress: &mut (dyn FnMut(String) + Send),
) -> Dataset {
    let options = LoadOptions {
        filters: hunt_filters(detections, beyond),
        ..options.clone()
    };
    load_with_progress(paths, &options, progress)
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
        let filter = signin_filter(Some(&c));
        assert_eq!(filter.columns, ["ResultType", "IPAddress"]);
        let keep = filter.keep;
        assert!(keep(&[Some("0"), Some("1.2.3.4")]));
        assert!(!keep(&[Some("0"), Some("5.6.7.8")]));
        assert!(!keep(&[Some("50126"), Some("1.2.3.4")]));
        assert!(!keep(&[Some("0"), None]));
    }
}
