//! Each chain kind as a table of small cases, near misses included.

use polars::prelude::*;

use super::{chains, ChainKind, ChainWindows};
use crate::kql::time::{Nanos, MINUTE};

/// A finding: type, minutes after 2026-05-12T00:00Z, user, device, address, port, file name.
type F<'a> = (
    &'a str,
    i64,
    &'a str,
    &'a str,
    &'a str,
    Option<i64>,
    &'a str,
);

const BASE: Nanos = 1_778_544_000_000_000_000; // 2026-05-12T00:00:00Z

fn frame(rows: &[F]) -> DataFrame {
    let n = rows.len();
    let signin = |k: &str| k.trim_end_matches('+') == "AnonymizedSignIn";
    let time = |r: &F| BASE + r.1 * MINUTE;
    let generated: Vec<Option<i64>> = rows.iter().map(|r| signin(r.0).then(|| time(r))).collect();
    let stamp: Vec<Option<i64>> = rows
        .iter()
        .map(|r| (!signin(r.0)).then(|| time(r)))
        .collect();
    let datetime = |name: &str, v: Vec<Option<i64>>| {
        Int64Chunked::new(name.into(), v)
            .into_datetime(TimeUnit::Nanoseconds, None)
            .into_column()
    };
    // Sign-ins from 203.0.113.0/24 are tagged `vpn` (an organisation's egress), others `tor`.
    let tags: ListChunked = rows
        .iter()
        .map(|r| {
            signin(r.0).then(|| {
                let tag = if r.4.starts_with("203.0.113.") {
                    "vpn"
                } else {
                    "tor"
                };
                Series::new("".into(), [tag])
            })
        })
        .collect();
    DataFrame::new(
        n,
        vec![
            tags.with_name("AnonymizationType".into()).into_column(),
            Column::new(
                "DetectionType".into(),
                rows.iter().map(|r| r.0).collect::<Vec<_>>(),
            ),
            datetime("TimeGenerated", generated),
            datetime("Timestamp", stamp),
            Column::new("User".into(), rows.iter().map(|r| r.2).collect::<Vec<_>>()),
            Column::new(
                "Device".into(),
                rows.iter().map(|r| r.3).collect::<Vec<_>>(),
            ),
            Column::new("IP".into(), rows.iter().map(|r| r.4).collect::<Vec<_>>()),
            Column::new(
                "RemotePort".into(),
                rows.iter().map(|r| r.5).collect::<Vec<_>>(),
            ),
            Column::new(
                "FileName".into(),
                rows.iter().map(|r| r.6).collect::<Vec<_>>(),
            ),
            Column::new("SourceFile".into(), vec!["f"; n]),
            Column::new("SourceLine".into(), (1..=n as i64).collect::<Vec<_>>()),
        ],
    )
    .unwrap()
}

/// The chains' kinds with their users and finding rows.
fn found(rows: &[F]) -> Vec<(ChainKind, String, Vec<usize>)> {
    chains(&frame(rows), ChainWindows::default())
        .unwrap()
        .into_iter()
        .map(|c| (c.kind, c.user, c.findings))
        .collect()
}

const SIGNIN: &str = "AnonymizedSignIn";
const TOOL: &str = "ProxyToolLaunch";
const PORT: &str = "TorPortConnection";
const SSH: &str = "SSHMultiHopProxy";

#[test]
fn a_tor_sign_in_without_tor_on_the_users_devices_is_the_stolen_token_story() {
    use ChainKind::*;
    // carol: two sign-ins, no device finding of hers; mallory's lab ran Tor (not carol's).
    let rows = [
        (SIGNIN, 60, "carol", "", "185.220.101.47", None, ""),
        (SIGNIN, 70, "carol", "", "185.220.101.47", None, ""),
        (TOOL, 65, "mallory", "lab-pt01", "", None, "tor.exe"),
    ];
    let got = found(&rows);
    assert_eq!(got[0], (SignInWithoutOwnTor, "carol".into(), vec![0, 1]));
    let c = &chains(&frame(&rows), ChainWindows::default()).unwrap()[0];
    assert_eq!(c.rank, Some(1));
    assert!(c.summary.contains("no device of carol's"), "{}", c.summary);
    assert!(
        c.summary.contains("one did on lab-pt01, not carol's"),
        "{}",
        c.summary
    );
}

#[test]
fn tor_on_the_users_own_device_around_the_sign_in_makes_it_likely_the_user() {
    use ChainKind::*;
    let cases: &[(&str, Vec<F>, ChainKind)] = &[
        (
            "Tor Browser 20 minutes before",
            vec![
                (TOOL, 0, "trent", "ws-09", "", None, "tor.exe"),
                (SIGNIN, 20, "trent", "", "204.8.96.133", None, ""),
            ],
            SignInWithOwnTor,
        ),
        (
            "a Tor-port connection of his, 23 hours after",
            vec![
                (SIGNIN, 0, "trent", "", "204.8.96.133", None, ""),
                (
                    PORT,
                    23 * 60,
                    "trent",
                    "ws-09",
                    "1.2.3.4",
                    Some(9001),
                    "tor.exe",
                ),
            ],
            SignInWithOwnTor,
        ),
        (
            "near miss: 25 hours apart",
            vec![
                (TOOL, 0, "trent", "ws-09", "", None, "tor.exe"),
                (SIGNIN, 25 * 60, "trent", "", "204.8.96.133", None, ""),
            ],
            SignInWithoutOwnTor,
        ),
        (
            "near miss: Tor on a device that is somebody else's",
            vec![
                (TOOL, 0, "bob", "fin-ws12", "", None, "tor.exe"),
                (SIGNIN, 10, "trent", "", "204.8.96.133", None, ""),
            ],
            SignInWithoutOwnTor,
        ),
        (
            "a device of his (another finding names him) where SYSTEM ran Tor",
            vec![
                (SSH, 0, "trent", "ws-09", "", None, "ssh.exe"),
                (TOOL, 5, "system", "ws-09", "", None, "tor.exe"),
                (SIGNIN, 200, "trent", "", "204.8.96.133", None, ""),
            ],
            SignInWithOwnTor,
        ),
        (
            "near miss: only an SSH hop on his device (no Tor, no proxy tool)",
            vec![
                (SSH, 0, "trent", "ws-09", "", None, "ssh.exe"),
                (SIGNIN, 200, "trent", "", "204.8.96.133", None, ""),
            ],
            SignInWithoutOwnTor,
        ),
    ];
    for (what, rows, want) in cases {
        let got = found(rows);
        let user = got.iter().find(|c| c.1 == "trent").expect(what);
        assert_eq!(user.0, *want, "{what}");
    }
}

#[test]
fn users_are_ranked_stolen_token_first_then_tor_before_vpn_then_by_sign_ins() {
    let rows = [
        (SIGNIN, 40, "judy", "", "203.0.113.10", None, ""),
        (SIGNIN, 41, "judy", "", "203.0.113.10", None, ""),
        (SIGNIN, 42, "judy", "", "203.0.113.10", None, ""),
        (TOOL, 0, "trent", "ws-09", "", None, "tor.exe"),
        (SIGNIN, 10, "trent", "", "a", None, ""),
        (SIGNIN, 11, "trent", "", "a", None, ""),
        (SIGNIN, 12, "trent", "", "a", None, ""),
        (SIGNIN, 20, "dave", "", "b", None, ""),
        (SIGNIN, 30, "carol", "", "c", None, ""),
        (SIGNIN, 31, "carol", "", "c", None, ""),
    ];
    let got = chains(&frame(&rows), ChainWindows::default()).unwrap();
    let order: Vec<(Option<usize>, &str)> = got.iter().map(|c| (c.rank, c.user.as_str())).collect();
    assert_eq!(
        order,
        [
            (Some(1), "carol"),
            (Some(2), "dave"),
            (Some(3), "judy"),
            (Some(4), "trent")
        ]
    );
}

#[test]
fn a_tool_then_a_tor_port_on_one_device_within_minutes() {
    use ChainKind::*;
    let rows = [
        (TOOL, 0, "bob", "fin-ws12", "", None, "tor.exe"),
        (
            PORT,
            1,
            "bob",
            "fin-ws12",
            "192.42.116.16",
            Some(9001),
            "tor.exe",
        ),
        (
            PORT,
            10,
            "bob",
            "fin-ws12",
            "171.25.193.9",
            Some(9030),
            "tor.exe",
        ),
        // near misses: too late, another device, a connection before any launch
        (
            PORT,
            11,
            "bob",
            "fin-ws12",
            "1.1.1.1",
            Some(9001),
            "tor.exe",
        ),
        (PORT, 2, "eve", "ws-02", "2.2.2.2", Some(9001), "tor.exe"),
        (
            PORT,
            -1,
            "bob",
            "fin-ws12",
            "3.3.3.3",
            Some(9001),
            "tor.exe",
        ),
    ];
    let got: Vec<_> = found(&rows)
        .into_iter()
        .filter(|c| c.0 == ToolThenTorPort)
        .collect();
    assert_eq!(got, vec![(ToolThenTorPort, "bob".into(), vec![0, 1, 2])]);
    let c = chains(&frame(&rows), ChainWindows::default()).unwrap();
    let c = c.iter().find(|c| c.kind == ToolThenTorPort).unwrap();
    assert_eq!(
        c.summary,
        "2026-05-12 (UTC): fin-ws12 ran tor.exe as bob at 00:00 and connected to Tor port 9001 (192.42.116.16) at 00:01, 9030 (171.25.193.9) at 00:10"
    );
}

#[test]
fn an_ssh_hop_then_an_anonymised_sign_in_of_the_same_user() {
    use ChainKind::*;
    let rows = [
        (SSH, 0, "oscar", "adm-ws01", "", None, "ssh.exe"),
        (SIGNIN, 60, "oscar", "", "198.51.100.23", None, ""),
        // A second launch leading to the same sign-in joins the same chain.
        (SSH, 0, "oscar", "adm-ws01", "", None, "ssh.exe"),
        // near misses: more than an hour later, before the hop, another user
        (SIGNIN, 61, "oscar", "", "198.51.100.24", None, ""),
        (SIGNIN, -1, "oscar", "", "198.51.100.25", None, ""),
        (SIGNIN, 30, "dave", "", "198.51.100.26", None, ""),
    ];
    let got: Vec<_> = found(&rows)
        .into_iter()
        .filter(|c| c.0 == SshHopThenSignIn)
        .collect();
    assert_eq!(got, vec![(SshHopThenSignIn, "oscar".into(), vec![0, 2, 1])]);
}

#[test]
fn a_sign_in_from_an_address_an_org_device_reached_on_a_tor_port() {
    use ChainKind::*;
    let rows = [
        (
            PORT,
            0,
            "bob",
            "fin-ws12",
            "45.66.33.45",
            Some(9001),
            "tor.exe",
        ),
        (SIGNIN, 7, "bob", "", "45.66.33.45", None, ""),
        // near misses: another address; the same address more than a day later
        (SIGNIN, 8, "carol", "", "45.66.33.46", None, ""),
        (PORT, 0, "eve", "ws-02", "9.9.9.9", Some(9001), "tor.exe"),
        (SIGNIN, 25 * 60, "carol", "", "9.9.9.9", None, ""),
    ];
    let got: Vec<_> = found(&rows)
        .into_iter()
        .filter(|c| c.0 == SignInFromOrgTorPeer)
        .collect();
    assert_eq!(got, vec![(SignInFromOrgTorPeer, "bob".into(), vec![0, 1])]);
}

#[test]
fn beyond_findings_join_chains_as_their_base_type() {
    use ChainKind::*;
    let rows = [
        ("ProxyToolLaunch+", 0, "ivan", "ws-12", "", None, "ncat.exe"),
        (
            "AnonymizedSignIn+",
            30,
            "ivan",
            "",
            "2a0b:f4c2::1",
            None,
            "",
        ),
    ];
    let got = found(&rows);
    assert_eq!(got[0], (SignInWithOwnTor, "ivan".into(), vec![0, 1]));
}

#[test]
fn each_sign_in_is_judged_on_its_own() {
    use ChainKind::*;
    // Tor on trent's device at 0, a Tor sign-in 10 minutes later (his own use), and one 47 hours
    // later from another exit with no Tor of his around it (the stolen-token story).
    let rows = [
        (TOOL, 0, "trent", "ws-09", "", None, "tor.exe"),
        (SIGNIN, 10, "trent", "", "204.8.96.133", None, ""),
        (SIGNIN, 47 * 60, "trent", "", "185.220.101.47", None, ""),
    ];
    let got: Vec<_> = found(&rows)
        .into_iter()
        .filter(|c| c.1 == "trent")
        .collect();
    assert_eq!(
        got,
        vec![
            (SignInWithoutOwnTor, "trent".into(), vec![2]),
            (SignInWithOwnTor, "trent".into(), vec![0, 1]),
        ]
    );
}

#[test]
fn tuning_lists_sign_ins_but_device_findings_stay_evidence() {
    use ChainKind::*;
    let rows = [
        (TOOL, 0, "trent", "ws-09", "", None, "tor.exe"),
        (SIGNIN, 10, "trent", "", "204.8.96.133", None, ""),
        (SIGNIN, 20, "judy", "", "203.0.113.10", None, ""),
    ];
    // A filter hides trent's Tor Browser and judy's VPN sign-in.
    let listed = [false, true, false];
    let got: Vec<(ChainKind, String)> =
        super::chains_listed(&frame(&rows), Some(&listed), ChainWindows::default())
            .unwrap()
            .into_iter()
            .map(|c| (c.kind, c.user))
            .collect();
    assert!(got.contains(&(SignInWithOwnTor, "trent".into())), "{got:?}");
    assert!(!got.iter().any(|c| c.1 == "judy"), "{got:?}");
}

#[test]
fn times_at_the_ends_of_the_range_neither_panic_nor_join() {
    use ChainKind::*;
    // 1746 and 2226: further apart than an i64 of nanoseconds holds.
    let year = 525_960;
    let rows = [
        (
            PORT,
            -280 * year,
            "bob",
            "ws-1",
            "45.66.33.45",
            Some(9001),
            "tor.exe",
        ),
        (SIGNIN, 200 * year, "carol", "", "45.66.33.45", None, ""),
    ];
    let got = found(&rows);
    assert!(!got.iter().any(|c| c.0 == SignInFromOrgTorPeer), "{got:?}");
}
