//! Finding chains from the findings frame: who, which device, which address, and when.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::ops::Range;

use polars::prelude::*;

use super::census::DeviceCensus;
use super::sentence::{join_limited, list_ips, possessive, Clock};
use super::{Chain, ChainKind};
use crate::detect::findings::finding_times;
use crate::detect::DetectionType;
use crate::kql::time::{Nanos, HOUR, MINUTE};

/// How close in time findings must be to join a chain.
#[derive(Debug, Clone, Copy)]
pub struct ChainWindows {
    /// A Tor-port connection at most this long after a proxy tool launch on the same device.
    pub tool_to_port: Nanos,
    /// Tor or a proxy tool on a device of the user's at most this long before or after one of
    /// their anonymised sign-ins makes it likely the user.
    pub own_device: Nanos,
    /// An anonymised sign-in at most this long after the user's SSH multi-hop launch.
    pub ssh_to_signin: Nanos,
    /// A sign-in at most this long before or after a device's connection to its address.
    pub org_peer: Nanos,
}

impl Default for ChainWindows {
    fn default() -> Self {
        Self {
            tool_to_port: 10 * MINUTE,
            own_device: 24 * HOUR,
            ssh_to_signin: HOUR,
            org_peer: 24 * HOUR,
        }
    }
}

/// One finding as chains see it.
#[derive(Debug, Clone)]
pub(super) struct Item {
    pub row: usize,
    pub base: DetectionType,
    pub time: Nanos,
    pub user: String,
    pub device: String,
    pub ip: String,
    pub port: Option<i64>,
    pub file_name: String,
    /// For sign-ins, how strongly the indicators' tags say anonymiser: 2 Tor, 1 proxy or
    /// anonymiser, 0 VPN only (an organisation's own VPN egress is a known false positive).
    pub strength: u8,
}

/// How strongly a sign-in's tags (`AnonymizationType`) say anonymiser.
fn strength(tags: &[String]) -> u8 {
    let lower: Vec<String> = tags.iter().map(|t| t.to_ascii_lowercase()).collect();
    if lower.iter().any(|t| t.contains("tor")) {
        2
    } else if lower
        .iter()
        .any(|t| t.contains("proxy") || t.contains("anonym"))
    {
        1
    } else {
        0
    }
}

fn items(findings: &DataFrame) -> PolarsResult<Vec<Item>> {
    let text =
        |name: &str| -> PolarsResult<StringChunked> { Ok(findings.column(name)?.str()?.clone()) };
    let (kinds, users, devices, ips, files) = (
        text("DetectionType")?,
        text("User")?,
        text("Device")?,
        text("IP")?,
        text("FileName")?,
    );
    let ports = findings.column("RemotePort")?.cast(&DataType::Int64)?;
    let ports = ports.i64()?;
    let times = finding_times(findings)?;
    let tags = findings.column("AnonymizationType")?.list()?.clone();
    let mut out = Vec::with_capacity(findings.height());
    for (row, time) in times.into_iter().enumerate() {
        let kind = kinds.get(row).unwrap_or("").trim_end_matches('+');
        let (Some(base), Some(time)) = (DetectionType::from_name(kind), time) else {
            continue;
        };
        out.push(Item {
            row,
            base,
            time,
            user: users.get(row).unwrap_or("").to_string(),
            device: devices.get(row).unwrap_or("").to_string(),
            ip: ips.get(row).unwrap_or("").to_string(),
            port: ports.get(row),
            file_name: files.get(row).unwrap_or("").to_string(),
            strength: tags
                .get_as_series(row)
                .and_then(|s| {
                    s.str().ok().map(|t| {
                        strength(&t.iter().flatten().map(str::to_string).collect::<Vec<_>>())
                    })
                })
                .unwrap_or(0),
        });
    }
    out.sort_by_key(|i| (i.time, i.row));
    Ok(out)
}

/// Whether some item of `sorted` (by time) lies within `window` of `t`: a binary search, so
/// that joins stay near linear however many findings there are.
fn any_near(sorted: &[&Item], t: Nanos, window: Nanos) -> bool {
    let i = sorted.partition_point(|x| x.time < t);
    // Distances as unsigned: times may lie anywhere from 1677 to 2262 (no overflow).
    let close = |x: &Item| x.time.abs_diff(t) <= window.unsigned_abs();
    (i < sorted.len() && close(sorted[i])) || (i > 0 && close(sorted[i - 1]))
}

/// The positions of the items of `sorted` (by time) in `[from, to]`.
fn span(sorted: &[&Item], from: Nanos, to: Nanos) -> Range<usize> {
    let lo = sorted.partition_point(|x| x.time < from);
    let hi = sorted.partition_point(|x| x.time <= to);
    lo..hi.max(lo)
}

/// The items of `sorted` (by time) in `[from, to]`.
fn between<'s, 'a>(sorted: &'s [&'a Item], from: Nanos, to: Nanos) -> &'s [&'a Item] {
    &sorted[span(sorted, from, to)]
}

/// How many Tor findings of other devices a stolen-token sentence looks at, at most.
const OTHERS_LOOKED_AT: usize = 1000;

/// Items grouped by a key, each group in time order (the input is).
fn group_by<'a>(items: &[&'a Item], key: fn(&Item) -> &str) -> HashMap<String, Vec<&'a Item>> {
    let mut out: HashMap<String, Vec<&'a Item>> = HashMap::new();
    for i in items {
        out.entry(key(i).to_string()).or_default().push(i);
    }
    out
}

/// Every chain in the findings, user chains first (ranked), then the others newest first.
pub fn chains(findings: &DataFrame, windows: ChainWindows) -> PolarsResult<Vec<Chain>> {
    chains_listed(findings, None, windows)
}

/// [`chains`] where only the rows `listed` holds (those tuning did not suppress) are listed:
/// the sign-ins a user chain is about, and at least one finding of every other chain. Device
/// findings are evidence whatever the tuning says: a filter that hides trent's Tor Browser
/// must not turn his own Tor sign-in into the stolen-token story.
pub fn chains_listed(
    findings: &DataFrame,
    listed: Option<&[bool]>,
    windows: ChainWindows,
) -> PolarsResult<Vec<Chain>> {
    let all = items(findings)?;
    let is_listed = |i: &Item| listed.is_none_or(|l| l.get(i.row).copied().unwrap_or(true));
    let signins: Vec<&Item> = all
        .iter()
        .filter(|i| i.base == DetectionType::AnonymizedSignIn && is_listed(i))
        .collect();
    let device_items: Vec<&Item> = all
        .iter()
        .filter(|i| i.base != DetectionType::AnonymizedSignIn && !i.device.is_empty())
        .collect();
    let tor_items: Vec<&Item> = device_items
        .iter()
        .copied()
        .filter(|i| {
            matches!(
                i.base,
                DetectionType::ProxyToolLaunch | DetectionType::TorPortConnection
            )
        })
        .collect();
    // A device is a user's when a device finding on it names the user.
    let mut owned: HashMap<&str, BTreeSet<&str>> = HashMap::new();
    for d in &device_items {
        if !d.user.is_empty() {
            owned.entry(&d.user).or_default().insert(&d.device);
        }
    }
    let mut ranked = user_chains(&signins, &tor_items, &owned, windows);
    rank(&mut ranked);
    let mut user_chains: Vec<Chain> = ranked.into_iter().map(|(c, _, _)| c).collect();
    let mut others = Vec::new();
    others.extend(tool_then_port(&device_items, windows));
    others.extend(ssh_then_signin(&device_items, &signins, windows));
    others.extend(org_tor_peer(&tor_items, &signins, windows));
    let listed_rows: HashSet<usize> = all.iter().filter(|i| is_listed(i)).map(|i| i.row).collect();
    others.retain(|c| c.findings.iter().any(|r| listed_rows.contains(r)));
    others.sort_by(|a, b| {
        b.last
            .cmp(&a.last)
            .then(a.kind.cmp(&b.kind))
            .then(a.findings.cmp(&b.findings))
    });
    user_chains.extend(others);
    Ok(user_chains)
}

fn chain(kind: ChainKind, members: &[&Item], summary: String) -> Chain {
    let mut rows: Vec<(Nanos, usize)> = members.iter().map(|i| (i.time, i.row)).collect();
    rows.sort();
    rows.dedup();
    let distinct = |f: fn(&Item) -> &str| -> String {
        let mut seen: Vec<&str> = Vec::new();
        for m in members {
            let v = f(m);
            if !v.is_empty() && !seen.contains(&v) {
                seen.push(v);
            }
        }
        seen.join(", ")
    };
    Chain {
        kind,
        rank: None,
        user: distinct(|i| &i.user),
        device: distinct(|i| &i.device),
        ip: distinct(|i| &i.ip),
        first: rows.first().map_or(0, |r| r.0),
        last: rows.last().map_or(0, |r| r.0),
        findings: rows.into_iter().map(|r| r.1).collect(),
        summary,
    }
}

/// Per user with anonymised sign-ins: with or without Tor on a device of theirs around them;
/// each with its strongest sign-in tag and its number of sign-ins, for the ranking.
fn user_chains(
    signins: &[&Item],
    tor_items: &[&Item],
    owned: &HashMap<&str, BTreeSet<&str>>,
    windows: ChainWindows,
) -> Vec<(Chain, u8, usize)> {
    let mut by_user: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for s in signins {
        by_user.entry(&s.user).or_default().push(s);
    }
    let tor_by_device = group_by(tor_items, |i| &i.device);
    let mut census = DeviceCensus::new(tor_items);
    let w = windows.own_device;
    let mut out = Vec::new();
    for (user, signed_in) in by_user {
        let mut on_their_devices: Vec<&Item> = owned
            .get(user)
            .into_iter()
            .flatten()
            .filter_map(|d| tor_by_device.get(*d))
            .flatten()
            .copied()
            .collect();
        on_their_devices.sort_by_key(|i| (i.time, i.row));
        // Each sign-in on its own: one with Tor on a device of the user's around it is likely
        // the user; one without is the stolen-token story, even if Tor ran days before.
        let (with, without): (Vec<&Item>, Vec<&Item>) = signed_in
            .iter()
            .partition(|s| any_near(&on_their_devices, s.time, w));
        for mine in [with, without] {
            if mine.is_empty() {
                continue;
            }
            let top = mine.iter().map(|s| s.strength).max().unwrap_or(0);
            let own: Vec<&Item> = on_their_devices
                .iter()
                .filter(|d| any_near(&mine, d.time, w))
                .copied()
                .collect();
            let clock = Clock::for_items(mine.iter().chain(own.iter()).copied());
            let when = if mine.len() == 1 {
                format!("at {}", clock.at(mine[0].time))
            } else {
                format!(
                    "{} times from {} to {}",
                    mine.len(),
                    clock.at(mine[0].time),
                    clock.at(mine[mine.len() - 1].time)
                )
            };
            let signed = format!(
                "{user} signed in through an anonymiser ({}) {when}",
                list_ips(&mine)
            );
            if own.is_empty() {
                // Devices (none of them the user's) with Tor around the sign-ins: each sign-in's
                // window, from where the last one ended, looked up in the time-sorted findings.
                // A sentence needs no exact census: at most OTHERS_LOOKED_AT findings are looked
                // at per user (thousands of users times every Tor finding of a day was most of a
                // chains run on 5M-row data).
                let mut windows_looked_at: Vec<Range<usize>> = Vec::new();
                let mut looked_at = 0;
                let mut covered = Nanos::MIN;
                for s in &mine {
                    let from = s.time.saturating_sub(w).max(covered);
                    let to = s.time.saturating_add(w);
                    if from <= to && looked_at < OTHERS_LOOKED_AT {
                        let found = span(tor_items, from, to);
                        let take = found.len().min(OTHERS_LOOKED_AT - looked_at);
                        looked_at += take;
                        windows_looked_at.push(found.start..found.start + take);
                        covered = to.saturating_add(1);
                    }
                }
                let (other_devices, one_other) = census.distinct(&windows_looked_at);
                let at_least = if looked_at >= OTHERS_LOOKED_AT {
                    "at least "
                } else {
                    ""
                };
                let elsewhere = match other_devices {
                    0 => String::new(),
                    1 if at_least.is_empty() => format!(
                        " (one did on {}, not {})",
                        one_other.unwrap_or(""),
                        possessive(user)
                    ),
                    n => format!(
                        " ({at_least}{n} devices did, none of them {})",
                        possessive(user)
                    ),
                };
                let summary = format!(
                "{}{}; no device of {} ran Tor or a proxy tool within {} h{elsewhere}: somebody else may hold {} token",
                clock.prefix(),
                signed,
                possessive(user),
                windows.own_device / HOUR,
                possessive(user)
            );
                let c = chain(ChainKind::SignInWithoutOwnTor, &mine, summary);
                out.push((c, top, mine.len()));
            } else {
                let first_tool = &own[0];
                let summary = format!(
                    "{}{} {} at {}; {}: likely {} own use",
                    clock.prefix(),
                    possessive_device(user, &first_tool.device),
                    what_happened(first_tool),
                    clock.at(first_tool.time),
                    signed,
                    possessive(user)
                );
                let members: Vec<&Item> = mine.iter().chain(own.iter()).copied().collect();
                let mut c = chain(ChainKind::SignInWithOwnTor, &members, summary);
                // The chain is the user's, whoever ran the tool on their device.
                c.user = user.to_string();
                out.push((c, top, mine.len()));
            }
        }
    }
    out
}

fn possessive_device(user: &str, device: &str) -> String {
    format!("{} device {device}", possessive(user))
}

/// What a device finding shows, in a few words: `ran tor.exe`, `connected to Tor port 9001`.
fn what_happened(item: &Item) -> String {
    match item.base {
        DetectionType::TorPortConnection => format!(
            "connected to Tor port {}",
            item.port.map_or("?".into(), |p| p.to_string())
        ),
        _ => format!("ran {}", what_ran(item)),
    }
}

/// The program a process finding launched.
fn what_ran(item: &Item) -> String {
    if item.file_name.is_empty() {
        "a proxy tool".into()
    } else {
        item.file_name.clone()
    }
}

/// Users first: the stolen-token story, then likely the user; within each, Tor before proxies
/// before VPN only, then more sign-ins, then the most recent.
fn rank(chains: &mut [(Chain, u8, usize)]) {
    chains.sort_by(|(a, sa, na), (b, sb, nb)| {
        a.kind
            .cmp(&b.kind)
            .then(sb.cmp(sa))
            .then(nb.cmp(na))
            .then(b.last.cmp(&a.last))
            .then(a.user.cmp(&b.user))
    });
    for (i, (c, _, _)) in chains.iter_mut().enumerate() {
        c.rank = Some(i + 1);
    }
}

/// One device: a proxy tool launch, then Tor-port connections within minutes of it.
fn tool_then_port(device_items: &[&Item], windows: ChainWindows) -> Vec<Chain> {
    let mut by_device: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for d in device_items {
        by_device.entry(&d.device).or_default().push(d);
    }
    let mut out = Vec::new();
    for (device, items) in by_device {
        // Each connection joins the latest launch at or before it, within the window.
        let launches: Vec<&Item> = items
            .iter()
            .copied()
            .filter(|l| l.base == DetectionType::ProxyToolLaunch)
            .collect();
        let mut groups: BTreeMap<usize, Vec<&Item>> = BTreeMap::new();
        for c in items
            .iter()
            .filter(|i| i.base == DetectionType::TorPortConnection)
        {
            let before = launches.partition_point(|l| l.time <= c.time);
            let launch = before
                .checked_sub(1)
                .map(|i| launches[i])
                .filter(|l| c.time.abs_diff(l.time) <= windows.tool_to_port.unsigned_abs());
            if let Some(l) = launch {
                groups.entry(l.row).or_insert_with(|| vec![l]).push(c);
            }
        }
        for members in groups.into_values() {
            let clock = Clock::for_items(members.iter().copied());
            let launch = members[0];
            let ports: Vec<String> = members[1..]
                .iter()
                .map(|c| {
                    format!(
                        "{} ({}) at {}",
                        c.port.map_or("?".into(), |p| p.to_string()),
                        c.ip,
                        clock.at(c.time)
                    )
                })
                .collect();
            let who = if launch.user.is_empty() {
                String::new()
            } else {
                format!(" as {}", launch.user)
            };
            let summary = format!(
                "{}{device} ran {}{who} at {} and connected to Tor port {}",
                clock.prefix(),
                what_ran(launch),
                clock.at(launch.time),
                join_limited(ports.iter().map(String::as_str), 4)
            );
            out.push(chain(ChainKind::ToolThenTorPort, &members, summary));
        }
    }
    out
}

/// One user: an SSH multi-hop launch, then anonymised sign-ins within the window after it.
/// SSH multi-hop launches and the anonymised sign-ins after them.
type LaunchesAndSignIns<'a> = (Vec<&'a Item>, Vec<&'a Item>);

fn ssh_then_signin(device_items: &[&Item], signins: &[&Item], windows: ChainWindows) -> Vec<Chain> {
    let by_user = group_by(signins, |i| &i.user);
    // Launches that lead to the same sign-ins make one chain, not one each.
    let mut groups: BTreeMap<(String, Vec<usize>), LaunchesAndSignIns> = BTreeMap::new();
    for h in device_items
        .iter()
        .filter(|i| i.base == DetectionType::SshMultiHopProxy && !i.user.is_empty())
    {
        let Some(theirs) = by_user.get(&h.user) else {
            continue;
        };
        let after = between(theirs, h.time, h.time.saturating_add(windows.ssh_to_signin));
        if after.is_empty() {
            continue;
        }
        let key = (h.user.clone(), after.iter().map(|s| s.row).collect());
        let group = groups
            .entry(key)
            .or_insert_with(|| (Vec::new(), after.to_vec()));
        group.0.push(h);
    }
    let mut out = Vec::new();
    for (launches, after) in groups.into_values() {
        let h = launches[0];
        let members: Vec<&Item> = launches.iter().chain(after.iter()).copied().collect();
        let clock = Clock::for_items(members.iter().copied());
        let more = match launches.len() {
            1 => String::new(),
            n => format!(" (and {} more launch(es))", n - 1),
        };
        let summary = format!(
            "{}{} launched ssh with a multi-hop proxy on {} at {}{more}; {} signed in through an anonymiser ({}) at {}",
            clock.prefix(),
            h.user,
            h.device,
            clock.at(h.time),
            h.user,
            list_ips(&after),
            clock.at(after[0].time)
        );
        out.push(chain(ChainKind::SshHopThenSignIn, &members, summary));
    }
    out
}

/// A sign-in from an address a device of the organisation connected to on a Tor port.
fn org_tor_peer(tor_items: &[&Item], signins: &[&Item], windows: ChainWindows) -> Vec<Chain> {
    let mut by_ip: BTreeMap<&str, Vec<&Item>> = BTreeMap::new();
    for c in tor_items
        .iter()
        .filter(|i| i.base == DetectionType::TorPortConnection && !i.ip.is_empty())
    {
        by_ip.entry(&c.ip).or_default().push(c);
    }
    let signins_by_ip = group_by(signins, |i| &i.ip);
    let mut out = Vec::new();
    for (ip, conns) in by_ip {
        let Some(candidates) = signins_by_ip.get(ip) else {
            continue;
        };
        let from: Vec<&Item> = candidates
            .iter()
            .filter(|s| any_near(&conns, s.time, windows.org_peer))
            .copied()
            .collect();
        if from.is_empty() {
            continue;
        }
        let used: Vec<&Item> = conns
            .iter()
            .filter(|c| any_near(&from, c.time, windows.org_peer))
            .copied()
            .collect();
        let members: Vec<&Item> = used.iter().chain(from.iter()).copied().collect();
        let clock = Clock::for_items(members.iter().copied());
        let users: BTreeSet<&str> = from.iter().map(|s| s.user.as_str()).collect();
        let summary = format!(
            "{}{} connected to {ip} on Tor port {} at {}; {} signed in from {ip} at {}",
            clock.prefix(),
            used[0].device,
            used[0].port.map_or("?".into(), |p| p.to_string()),
            clock.at(used[0].time),
            join_limited(users.iter().copied(), 3),
            clock.at(from[0].time)
        );
        out.push(chain(ChainKind::SignInFromOrgTorPeer, &members, summary));
    }
    out
}
