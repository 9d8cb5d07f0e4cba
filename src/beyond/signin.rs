//! `AnonymizedSignIn+`: successful sign-ins the rule does not find, from an address that a live
//! anonymiser indicator names in a form the rule's `extract` cannot read, or that a Tor exit
//! list names. The indicator conditions other than the pattern (active, tagged, 30 days, not
//! expired at `now()`) are the rule's own.

use std::collections::{BTreeSet, HashSet};
use std::net::IpAddr;
use std::sync::Arc;

use polars::prelude::*;

use super::indicators::{
    masked, networks_in_pattern, parse_address, parse_network, ExitList, Network, PatternForm,
};
use super::{reason, union_shape, with_reason, BeyondType};
use crate::data::row_filter::RowFilter;
use crate::detect::anonymized_signin::{
    anonymizer_tagged, live_at, tor_exit_ips, ANONYMIZER_TAGS, SUCCESSFUL_SIGNIN,
};
use crate::detect::findings::named_leg_columns;
use crate::kql::expr::has_any;
use crate::kql::time::{after, ago, Nanos, DAY};

/// The tag a Tor exit list gives its addresses in `AnonymizationType`.
pub const EXIT_LIST_TAG: &str = "tor-exit-list";

/// An indicator's address or range, with its tags and pattern (for the reason).
#[derive(Debug, Clone)]
struct Named {
    network: Network,
    tags: Arc<str>,
    pattern: Arc<str>,
}

/// The addresses and ranges of a set of indicators, looked up by address: a `--beyond` hunt
/// asks for every successful sign-in, so a lookup is one hash probe per prefix length the
/// ranges use, however many ranges there are.
#[derive(Debug, Default)]
struct Networks {
    hosts: PlHashMap<IpAddr, Vec<Named>>,
    ranges: Vec<Named>,
    /// Positions in `ranges` by the network's masked base and prefix.
    range_index: PlHashMap<(IpAddr, u8), Vec<usize>>,
    /// The prefix lengths `ranges` use, per family (IPv4 first).
    prefixes: [BTreeSet<u8>; 2],
}

impl Networks {
    fn add(&mut self, named: Named) {
        match named.network.host() {
            Some(ip) => self.hosts.entry(ip).or_default().push(named),
            None => {
                let Network { base, prefix, .. } = named.network;
                self.range_index
                    .entry((masked(base, prefix), prefix))
                    .or_default()
                    .push(self.ranges.len());
                self.prefixes[usize::from(base.is_ipv6())].insert(prefix);
                self.ranges.push(named);
            }
        }
    }

    /// The addresses of legacy `ThreatIntelligenceIndicator` rows, from each address column.
    fn add_legacy(&mut self, legacy: &DataFrame) -> PolarsResult<()> {
        let text =
            |name: &str| -> PolarsResult<StringChunked> { Ok(legacy.column(name)?.str()?.clone()) };
        let tags = text("Tags")?;
        let kinds = text("ThreatType")?;
        for column in LEGACY_ADDRESSES {
            let values = text(column)?;
            for (i, v) in values.iter().enumerate() {
                let Some((base, prefix)) = v.and_then(parse_network) else {
                    continue;
                };
                let said = [tags.get(i), kinds.get(i)]
                    .into_iter()
                    .flatten()
                    .filter(|t| !t.is_empty())
                    .collect::<Vec<_>>()
                    .join(" | ");
                self.add(Named {
                    network: Network {
                        base,
                        prefix,
                        form: PatternForm::Legacy,
                    },
                    tags: said.into(),
                    pattern: format!("{column} = {}", v.unwrap_or("")).into(),
                });
            }
        }
        Ok(())
    }

    fn of(ti: &DataFrame) -> PolarsResult<Self> {
        let mut out = Networks::default();
        let patterns = ti.column("Pattern")?.str()?;
        let tags = ti.column("Tags")?.str()?;
        for (p, t) in patterns.iter().zip(tags.iter()) {
            let Some(p) = p else { continue };
            let (pattern, tags): (Arc<str>, Arc<str>) = (p.into(), t.unwrap_or("").into());
            for network in networks_in_pattern(p) {
                out.add(Named {
                    network,
                    tags: tags.clone(),
                    pattern: pattern.clone(),
                });
            }
        }
        Ok(out)
    }

    /// The indicators naming `ip`: its own, then the ranges holding it in the order they were
    /// added.
    fn matching(&self, ip: IpAddr) -> impl Iterator<Item = &Named> {
        let hosts = self.hosts.get(&ip).into_iter().flatten();
        let mut in_ranges: Vec<usize> = self.ranges_holding(ip).collect();
        in_ranges.sort_unstable();
        hosts.chain(in_ranges.into_iter().map(|i| &self.ranges[i]))
    }

    fn ranges_holding(&self, ip: IpAddr) -> impl Iterator<Item = usize> + '_ {
        self.prefixes[usize::from(ip.is_ipv6())]
            .iter()
            .filter_map(move |&p| self.range_index.get(&(masked(ip, p), p)))
            .flatten()
            .copied()
    }

    fn holds(&self, ip: IpAddr) -> bool {
        self.hosts.contains_key(&ip) || self.ranges_holding(ip).next().is_some()
    }
}

/// The sign-ins found beyond the rule.
pub struct BeyondSignins {
    pub rows: DataFrame,
    /// Per row, the checks that hold.
    pub checks: Vec<Vec<&'static str>>,
    reasons: Vec<String>,
    tags: Vec<Vec<String>>,
}

impl BeyondSignins {
    /// The findings as a leg in the union's shape.
    pub fn leg(&self) -> PolarsResult<LazyFrame> {
        let mut df = with_reason(self.rows.clone(), self.reasons.clone())?;
        let tags: ListChunked = self
            .tags
            .iter()
            .map(|t| Some(Series::new("".into(), t)))
            .collect();
        df.with_column(tags.with_name("AnonymizationType".into()).into_column())?;
        let kind = BeyondType::AnonymizedSignIn;
        let leg = df.lazy().select(named_leg_columns(
            kind.name(),
            kind.base(),
            "UserPrincipalName",
            &["_Reason"],
        ));
        union_shape(leg)
    }
}

/// The legacy table's address columns.
const LEGACY_ADDRESSES: [&str; 3] = ["NetworkIP", "NetworkSourceIP", "NetworkDestinationIP"];

/// Legacy `ThreatType` values that name an anonymiser besides the rule's tags (Microsoft's
/// enumeration files Tor under `Darknet`; exports also say `Anonymization`).
const LEGACY_THREAT_TYPES: &[&str] = &[
    "tor",
    "proxy",
    "anonymizer",
    "anonymization",
    "vpn",
    "anonymity",
    "darknet",
];

/// Legacy rows as the rule would judge an indicator apart from its dates: active, and tagged
/// (`Tags`) or typed (`ThreatType`) as an anonymiser.
fn legacy_anonymisers(legacy: LazyFrame) -> LazyFrame {
    legacy.filter(col("Active").eq(lit(true)).and(
        has_any(col("Tags"), ANONYMIZER_TAGS).or(has_any(col("ThreatType"), LEGACY_THREAT_TYPES)),
    ))
}

/// The rule's dates applied to the legacy table: `TimeGenerated > ago(30d)`, and
/// `ExpirationDateTime` empty or after `now()`.
fn legacy_live(legacy: &DataFrame, now: Nanos) -> PolarsResult<DataFrame> {
    legacy_anonymisers(legacy.clone().lazy())
        .filter(after(col("TimeGenerated"), ago(now, 30 * DAY)))
        .filter(
            col("ExpirationDateTime")
                .is_null()
                .or(after(col("ExpirationDateTime"), now)),
        )
        .collect()
}

/// The addresses the rule's `TorExitIPs` holds at `now`, as the strings it joins on.
fn exact_addresses(ti: &DataFrame, now: Nanos) -> PolarsResult<HashSet<String>> {
    let ips = tor_exit_ips(ti.clone().lazy(), now)
        .select([col("NetworkIP")])
        .collect()?;
    Ok(ips
        .column("NetworkIP")?
        .str()?
        .iter()
        .flatten()
        .map(str::to_string)
        .collect())
}

/// Successful sign-ins of `rows` (already in the event window) beyond the rule at `now`.
pub fn beyond_signins(
    rows: LazyFrame,
    ti: Option<&DataFrame>,
    legacy: Option<&DataFrame>,
    now: Nanos,
    exit_list: Option<&ExitList>,
) -> PolarsResult<BeyondSignins> {
    let successes = SUCCESSFUL_SIGNIN.filter(rows).collect()?;
    let (exact, mut networks) = match ti {
        Some(ti) => {
            let live = live_at(anonymizer_tagged(ti.clone().lazy()), now).collect()?;
            (exact_addresses(ti, now)?, Networks::of(&live)?)
        }
        None => (HashSet::new(), Networks::default()),
    };
    if let Some(legacy) = legacy {
        networks.add_legacy(&legacy_live(legacy, now)?)?;
    }
    let mut taken: Vec<IdxSize> = Vec::new();
    let (mut checks, mut reasons, mut tags) = (Vec::new(), Vec::new(), Vec::new());
    let ips = successes.column("IPAddress")?.str()?;
    for (i, raw) in ips.iter().enumerate() {
        let raw = raw.unwrap_or("");
        if exact.contains(raw) {
            continue;
        }
        let Some(ip) = parse_address(raw) else {
            continue;
        };
        let mut forms: BTreeSet<PatternForm> = BTreeSet::new();
        let mut these_tags: BTreeSet<String> = BTreeSet::new();
        let mut patterns: BTreeSet<&str> = BTreeSet::new();
        for n in networks.matching(ip) {
            forms.insert(n.network.form);
            these_tags.insert(n.tags.to_string());
            patterns.insert(&n.pattern);
        }
        if exit_list.is_some_and(|l| l.addresses.contains(&ip)) {
            forms.insert(PatternForm::ExitList);
            these_tags.insert(EXIT_LIST_TAG.to_string());
        }
        if forms.is_empty() {
            continue;
        }
        let mut why = reason(forms.iter().map(|f| (f.check_name(), f.why())));
        if !patterns.is_empty() {
            let shown: Vec<&str> = patterns.iter().take(3).copied().collect();
            why.push_str(&format!(" (indicator pattern: {})", shown.join(" | ")));
        }
        taken.push(i as IdxSize);
        checks.push(forms.iter().map(|f| f.check_name()).collect());
        reasons.push(why);
        tags.push(these_tags.into_iter().collect());
    }
    let rows = successes.take(&IdxCa::from_vec("".into(), taken))?;
    Ok(BeyondSignins {
        rows,
        checks,
        reasons,
        tags,
    })
}

/// The sign-in row filter of a `--beyond` hunt: the rule's own filter, or a success from an
/// address some anonymiser indicator names in any form (whatever its dates: `now()` is not known
/// until every event is read) or the exit list names.
pub fn beyond_signin_filter(
    exact: RowFilter,
    ti: Option<&DataFrame>,
    legacy: Option<&DataFrame>,
    exit_list: Option<Arc<ExitList>>,
) -> RowFilter {
    let mut networks = ti
        .and_then(|ti| anonymizer_tagged(ti.clone().lazy()).collect().ok())
        .and_then(|tagged| Networks::of(&tagged).ok())
        .unwrap_or_default();
    if let Some(rows) = legacy.and_then(|l| legacy_anonymisers(l.clone().lazy()).collect().ok()) {
        // Unreadable legacy rows only cost the filter its savings: they add no address.
        let _ = networks.add_legacy(&rows);
    }
    let success = SUCCESSFUL_SIGNIN.clone();
    let identity = format!(
        "{} + beyond: {} host(s), {} range(s), exit list {}",
        exact.identity,
        networks.hosts.len(),
        networks.ranges.len(),
        exit_list.as_ref().map_or(0, |l| l.addresses.len())
    );
    let identity = format!("{identity} #{:x}", digest(&networks, exit_list.as_deref()));
    exact.or(
        identity,
        ["ResultType", "IPAddress"],
        move |[result, address]| {
            if !success.holds(&|_| result) {
                return false;
            }
            let Some(ip) = address.and_then(parse_address) else {
                return false;
            };
            networks.holds(ip)
                || exit_list
                    .as_ref()
                    .is_some_and(|l| l.addresses.contains(&ip))
        },
    )
}

/// A digest of the addresses a filter keeps, for the cache's identity.
fn digest(networks: &Networks, exit_list: Option<&ExitList>) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut all: Vec<String> = networks
        .hosts
        .keys()
        .map(|ip| ip.to_string())
        .chain(
            networks
                .ranges
                .iter()
                .map(|n| format!("{}/{}", n.network.base, n.network.prefix)),
        )
        .chain(
            exit_list
                .into_iter()
                .flat_map(|l| l.addresses.iter().map(|ip| format!("list {ip}"))),
        )
        .collect();
    all.sort();
    let mut h = std::collections::hash_map::DefaultHasher::new();
    all.hash(&mut h);
    h.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(network: &str) -> Named {
        let (base, prefix) = network.split_once('/').unwrap();
        Named {
            network: Network {
                base: base.parse().unwrap(),
                prefix: prefix.parse().unwrap(),
                form: PatternForm::Cidr,
            },
            tags: "tor".into(),
            pattern: network.into(),
        }
    }

    /// The indexed lookup finds exactly the indicators, in the order, that testing each one
    /// finds, for ranges of many lengths, nested and overlapping, in both families.
    #[test]
    fn lookup_by_prefix_finds_what_testing_every_range_finds() {
        let indicators = [
            "185.220.101.0/24",
            "185.220.0.0/16",
            "185.220.101.47/32",
            "185.220.101.46/31",
            "10.0.0.0/8",
            "0.0.0.0/0",
            "185.220.101.0/24",
            "2001:db8::/32",
            "2001:db8:1::/48",
            "2001:db8:1::5/128",
            "::/0",
        ];
        let mut networks = Networks::default();
        let all: Vec<Named> = indicators.iter().map(|n| named(n)).collect();
        for n in &all {
            networks.add(n.clone());
        }
        let addresses = [
            "185.220.101.47",
            "185.220.101.46",
            "185.220.101.1",
            "185.220.5.5",
            "185.221.0.1",
            "10.255.0.1",
            "2001:db8:1::5",
            "2001:db8:1::6",
            "2001:db8:2::1",
            "2001:db9::1",
        ];
        for a in addresses {
            let ip: IpAddr = a.parse().unwrap();
            let got: Vec<&str> = networks.matching(ip).map(|n| &*n.pattern).collect();
            let hosts = all
                .iter()
                .filter(|n| n.network.host() == Some(ip))
                .map(|n| &*n.pattern);
            let ranges = all
                .iter()
                .filter(|n| n.network.host().is_none() && n.network.contains(ip))
                .map(|n| &*n.pattern);
            let want: Vec<&str> = hosts.chain(ranges).collect();
            assert_eq!(got, want, "{a}");
            assert_eq!(networks.holds(ip), !want.is_empty(), "{a}");
            assert!(!want.is_empty(), "{a}: every address here is in a /0");
        }
        // Without the /0 ranges, an address outside every range is held by none.
        let mut narrow = Networks::default();
        for n in all.iter().filter(|n| n.network.prefix != 0) {
            narrow.add(n.clone());
        }
        for a in ["185.221.0.1", "2001:db9::1", "11.0.0.1"] {
            assert!(!narrow.holds(a.parse().unwrap()), "{a}");
        }
        assert!(narrow.holds("10.1.2.3".parse().unwrap()));
    }
}
