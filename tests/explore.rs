//! Pivots, drill-downs, find, sort and entity context on the sample findings.

mod common;

use common::*;
use proxyhunt::data::load::load_sample;
use proxyhunt::detect::{hunt, Lookback};
use proxyhunt::explore::*;
use proxyhunt::kql::time::HOUR;

fn rows() -> (proxyhunt::data::load::Dataset, Vec<FindingRow>) {
    let ds = load_sample();
    let result = hunt(&ds, &options(Lookback::All, None)).unwrap();
    let rows = finding_rows(&result.findings).unwrap();
    (ds, rows)
}

#[test]
fn pivot_by_user_counts_and_counterparts() {
    let (_, rows) = rows();
    let all: Vec<usize> = (0..rows.len()).collect();
    let users = pivot(&rows, &all, PivotKey::User);
    assert!(
        users.windows(2).all(|w| w[0].count >= w[1].count),
        "sorted by count"
    );
    let carol = users.iter().find(|e| e.value == "carol").expect("carol");
    // carol: replays from two Tor exits, plus any VPN-egress sign-ins of hers.
    assert!(carol.distinct >= 2, "{carol:?}");
    assert_eq!(
        users.iter().map(|e| e.count).sum::<usize>(),
        rows.iter().filter(|r| !r.user.is_empty()).count()
    );
    let types = pivot(&rows, &all, PivotKey::DetectionType);
    assert_eq!(types.len(), 4);
    assert!(types.iter().all(|e| e.first <= e.last));
}

#[test]
fn users_meet_across_tables() {
    let (_, rows) = rows();
    // bob signs in as bob@contoso.com and runs tor.exe as contoso\bob: one User.
    let bob_kinds: std::collections::BTreeSet<_> = rows
        .iter()
        .filter(|r| r.user == "bob")
        .map(|r| r.kind.name())
        .collect();
    assert!(
        bob_kinds.contains("ProxyToolLaunch") && bob_kinds.contains("TorPortConnection"),
        "{bob_kinds:?}"
    );
}

#[test]
fn drill_downs_stack_and_exclude() {
    let (_, rows) = rows();
    let carol = DrillDown {
        key: PivotKey::User,
        value: "carol".into(),
        exclude: false,
    };
    let only_carol = visible_rows(&rows, std::slice::from_ref(&carol), "");
    assert!(!only_carol.is_empty() && only_carol.iter().all(|&i| rows[i].user == "carol"));
    let tor1 = DrillDown {
        key: PivotKey::Ip,
        value: "185.220.101.47".into(),
        exclude: true,
    };
    let carol_not_tor1 = visible_rows(&rows, &[carol.clone(), tor1.clone()], "");
    assert!(carol_not_tor1.len() < only_carol.len());
    assert!(carol_not_tor1
        .iter()
        .all(|&i| rows[i].ip != "185.220.101.47"));
    assert_eq!(tor1.label(), "IP!=185.220.101.47");
    let found = visible_rows(&rows, &[], "BASTION");
    assert!(
        !found.is_empty()
            && found.iter().all(|&i| rows[i]
                .fields
                .iter()
                .any(|(_, v)| v.to_lowercase().contains("bastion")))
    );
}

#[test]
fn sorting_by_columns() {
    let (_, rows) = rows();
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    sort_rows(&rows, &mut idx, SortColumn::User, false);
    assert!(idx.windows(2).all(|w| rows[w[0]].user <= rows[w[1]].user));
    sort_rows(&rows, &mut idx, SortColumn::Time, true);
    assert!(idx.windows(2).all(|w| rows[w[0]].time >= rows[w[1]].time));
}

#[test]
fn context_of_an_ip_shows_sign_ins_and_indicators() {
    let (ds, rows) = rows();
    let f = rows.iter().find(|r| r.ip == "185.220.101.47").unwrap();
    let events = context_events(&ds, &Entity::Ip(f.ip.clone()), f.time, HOUR).unwrap();
    assert!(events
        .iter()
        .any(|e| e.table == proxyhunt::data::schema::TableKind::SignIn
            && e.summary.contains("ResultType=0")));
    assert!(events.iter().any(
        |e| e.table == proxyhunt::data::schema::TableKind::ThreatIntel
            && e.summary.contains("Tags=tor")
    ));
    assert!(events.iter().all(|e| e.source.starts_with("sample-data/")));
}

#[test]
fn context_of_a_device_shows_non_detection_events() {
    let (ds, rows) = rows();
    let f = rows
        .iter()
        .find(|r| r.device == "fin-ws12.contoso.com")
        .unwrap();
    let events = context_events(&ds, &Entity::Device(f.device.clone()), f.time, HOUR).unwrap();
    // The connections to Tor relays are there, and so is the curl with socks5h that no leg matched.
    assert!(
        events.iter().any(|e| e.summary.contains("socks5h://")),
        "{events:?}"
    );
    assert!(events.windows(2).all(|w| w[0].time <= w[1].time));
}
