//! Rule 000, "Non-Interactive Sign-In via TOR or Anonymous Proxy".
//!
//! ```kusto
//! let TorExitIPs = ThreatIntelIndicators
//!     | where TimeGenerated > ago(30d)
//!     | where IsActive == true
//!     | where isempty(ValidUntil) or ValidUntil > now()
//!     | where Tags has_any ("tor", "proxy", "anonymizer", "vpn", "anonymity")
//!     | where Pattern has "ipv4-addr:value"
//!     | extend NetworkIP = extract(@"ipv4-addr:value = '([^']+)'", 1, Pattern)
//!     | where isnotempty(NetworkIP)
//!     | summarize AnonymizationType = make_set(Tags) by NetworkIP;
//! AADNonInteractiveUserSignInLogs
//! | where TimeGenerated > ago(1h)
//! | where ResultType == 0
//! | join kind=inner TorExitIPs on $left.IPAddress == $right.NetworkIP
//! | project TimeGenerated, UserPrincipalName, AppDisplayName, IPAddress, Location,
//!     AnonymizationType, ConditionalAccessStatus, AuthenticationRequirement, CorrelationId,
//!     UniqueTokenIdentifier
//! | order by TimeGenerated desc
//! ```
//! The threat-intel window (30 days, `ValidUntil`) is the rule's own and is kept whatever the
//! event window; `ResultType == 0` is read as the string `"0"` (see the README).

use std::sync::LazyLock;

use polars::prelude::*;
use regex::Regex;

use super::condition::{Condition, Literal};
use super::findings::{leg_columns, within};
use super::registry::DetectionType;
use crate::kql::expr::{extract, has, has_any};
use crate::kql::time::{after, ago, Nanos, DAY};

pub const ANONYMIZER_TAGS: &[&str] = &["tor", "proxy", "anonymizer", "vpn", "anonymity"];
pub const IPV4_PATTERN_TERM: &str = "ipv4-addr:value";
pub const NETWORK_IP_REGEX: &str = r"ipv4-addr:value = '([^']+)'";

/// The sign-in side's own `where` (before the join with `TorExitIPs`): a success. The plan and
/// `hunt`'s row filter ([`super::prefilter`]) both derive from it.
pub static SUCCESSFUL_SIGNIN: LazyLock<Condition> =
    LazyLock::new(|| Condition::eq("ResultType", Literal::Int(0)));

/// The rule's indicator filters on the indicator itself (active, tagged as an anonymiser),
/// before any reading of its pattern: what the beyond-the-rule checks read patterns from.
pub fn anonymizer_tagged(ti: LazyFrame) -> LazyFrame {
    ti.filter(col("IsActive").eq(lit(true)))
        .filter(has_any(col("Tags"), ANONYMIZER_TAGS))
}

/// The rule's `TimeGenerated > ago(30d)` and `isempty(ValidUntil) or ValidUntil > now()`.
pub fn live_at(ti: LazyFrame, now: Nanos) -> LazyFrame {
    ti.filter(after(col("TimeGenerated"), ago(now, 30 * DAY)))
        .filter(
            col("ValidUntil")
                .is_null()
                .or(after(col("ValidUntil"), now)),
        )
}

/// The rule's indicator filters that do not depend on `now()`, with the extracted `NetworkIP`.
pub fn anonymizer_indicators(ti: LazyFrame) -> LazyFrame {
    let regex = Regex::new(NETWORK_IP_REGEX).expect("the rule's regex compiles");
    anonymizer_tagged(ti)
        .filter(has(col("Pattern"), IPV4_PATTERN_TERM))
        .with_column(extract(col("Pattern"), regex, 1).alias("NetworkIP"))
        .filter(col("NetworkIP").neq(lit("")))
}

/// The indicator rows that survive the rule's filters, each with its extracted `NetworkIP`
/// (before `summarize`): what the detail pane lists as "the indicators that matched". The
/// filters are the rule's; their order does not change which rows pass, nor their order.
pub fn live_indicators(ti: LazyFrame, now: Nanos) -> LazyFrame {
    live_at(anonymizer_indicators(ti), now)
}

/// `TorExitIPs`: active anonymiser indicators, one row per address with its distinct tags.
pub fn tor_exit_ips(ti: LazyFrame, now: Nanos) -> LazyFrame {
    live_indicators(ti, now)
        // make_set's order is undefined in Kusto; sorting first makes the set sorted.
        .sort(
            ["Tags"],
            SortMultipleOptions::default().with_maintain_order(true),
        )
        .group_by([col("NetworkIP")])
        .agg([
            col("Tags").unique_stable().alias("AnonymizationType"),
            len().cast(DataType::Int64).alias("_Indicators"),
        ])
}

/// The rule: successful sign-ins from those addresses, every matching pair kept.
pub fn anonymized_signins(
    signins: LazyFrame,
    ti: LazyFrame,
    now: Nanos,
    since: Option<Nanos>,
) -> LazyFrame {
    let exprs = leg_columns(
        DetectionType::AnonymizedSignIn,
        "UserPrincipalName",
        &["_Indicators"],
    );
    SUCCESSFUL_SIGNIN
        .filter(within(signins, "TimeGenerated", since))
        .inner_join(tor_exit_ips(ti, now), col("IPAddress"), col("NetworkIP"))
        .select(exprs)
}

/// Why a sign-in finding fired: how many live indicator rows name the address, and their tags.
pub fn reason(tags: &[String], indicators: Option<i64>) -> String {
    let n = indicators.unwrap_or(0);
    format!(
        "IPAddress matches {n} active threat-intel indicator row(s) tagged: {}",
        tags.join(" | ")
    )
}
