//! Golden findings on the sample data. The expected files come from tools/kql_oracle.py, an
//! independent transcription of kql-semantics.md, so these tests compare two implementations.

mod common;

use common::*;
use proxyhunt::data::load::load_sample;
use proxyhunt::detect::{hunt, Lookback};

fn check_golden(lookback: Lookback, golden: &str) {
    let ds = load_sample();
    assert_eq!(
        ds.issues.total(),
        0,
        "sample data loads cleanly: {:?}",
        ds.issues.lines()
    );
    let got = canonical(contract_records(&ds, &options(lookback, None)));
    let want = canonical(read_ndjson(&repo().join("tests/golden").join(golden)));
    assert_eq!(got.len(), want.len(), "finding count");
    for (g, w) in got.iter().zip(&want) {
        assert_eq!(g, w);
    }
}

#[test]
fn sample_rule_window_matches_oracle() {
    check_golden(Lookback::Rule, "sample-rule.ndjson");
}

#[test]
fn sample_all_events_matches_oracle() {
    check_golden(Lookback::All, "sample-all.ndjson");
}

#[test]
fn sample_has_every_detection_type_and_newest_first() {
    let ds = load_sample();
    let result = hunt(&ds, &options(Lookback::Rule, None)).expect("hunt");
    let kinds = result
        .findings
        .column("DetectionType")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    for k in [
        "AnonymizedSignIn",
        "ProxyToolLaunch",
        "TorPortConnection",
        "SSHMultiHopProxy",
    ] {
        assert!(kinds.iter().any(|v| v == Some(k)), "{k} present");
    }
    let records = proxyhunt::export::json_records(&result.findings).unwrap();
    let times: Vec<String> = records
        .iter()
        .map(|r| {
            let v = r
                .fields
                .iter()
                .find(|(k, _)| *k == "TimeGenerated" || *k == "Timestamp")
                .unwrap();
            v.1.as_str().unwrap().to_string()
        })
        .collect();
    let parsed: Vec<i64> = times
        .iter()
        .map(|t| proxyhunt::data::values::parse_datetime(t).unwrap())
        .collect();
    assert!(parsed.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // The ssh -D launch is both a ProxyToolLaunch and an SSHMultiHopProxy (union keeps both).
    let dash_d: Vec<_> = records
        .iter()
        .filter(|r| {
            r.fields.iter().any(|(k, v)| {
                *k == "ProcessCommandLine" && v == "ssh -D 1080 -N oscar@bastion.contoso.com"
            })
        })
        .map(|r| r.fields[0].1.as_str().unwrap().to_string())
        .collect();
    assert_eq!(dash_d.len(), 2, "{dash_d:?}");
}

#[test]
fn explicit_now_moves_the_rule_window() {
    let ds = load_sample();
    let signins_before = |records: &[serde_json::Value], t: &str| {
        records
            .iter()
            .filter(|r| r["TimeGenerated"].as_str().is_some_and(|g| g < t))
            .count()
    };
    // At the sample's own now (10:00), the rule's hour holds only the last hour's replays.
    let latest = contract_records(&ds, &options(Lookback::Rule, Some("2026-05-12T10:00:00Z")));
    assert_eq!(signins_before(&latest, "2026-05-12T09:00:00Z"), 0);
    // A day earlier, carol's replays of the previous morning are in the window, and so is every
    // later event: `> ago(1h)` has no upper bound, as in Kusto.
    let day_before = contract_records(&ds, &options(Lookback::Rule, Some("2026-05-11T14:30:00Z")));
    assert!(signins_before(&day_before, "2026-05-12T09:00:00Z") > 0);
    assert!(day_before.iter().any(|r| r["TimeGenerated"]
        .as_str()
        .is_some_and(|g| g > "2026-05-12T09:00:00Z")));
}
