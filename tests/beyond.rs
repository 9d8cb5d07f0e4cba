//! Coverage beyond the rule and chains: tables of small cases for each beyond-the-rule sign-in
//! check (near misses included), the `--beyond` output after the exact findings unchanged, and
//! golden files for `hunt --beyond` and `chains` on the sample data.

mod common;

use common::*;
use proxyhunt::beyond::BeyondOptions;
use proxyhunt::data::load::LoadOptions;
use proxyhunt::detect::prefilter::load_for_hunt_beyond;
use proxyhunt::detect::{hunt_beyond, DetectionId, Lookback};
use serde_json::{json, Value};

const NOW: &str = "2026-05-12T10:00:00Z";

fn indicator(tags: &str, pattern: &str, extra: Value) -> Value {
    let mut base = json!({
        "TimeGenerated": "2026-05-11T10:00:00Z", "IsActive": true, "ValidUntil": "",
        "Tags": tags, "Pattern": pattern, "Id": "i"
    });
    base.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    base
}

fn signin(user: &str, ip: &str, result: &str) -> Value {
    json!({
        "TimeGenerated": "2026-05-12T09:30:00Z", "UserPrincipalName": user, "AppDisplayName": "Graph",
        "IPAddress": ip, "Location": "DE", "ResultType": result, "ConditionalAccessStatus": "notApplied",
        "AuthenticationRequirement": "singleFactorAuthentication", "CorrelationId": "c", "UniqueTokenIdentifier": "u"
    })
}

/// `(DetectionType, user, Reason)` of every finding of a `--beyond` hunt over the tables, loaded
/// as `hunt` loads them (with the beyond row filters) and whole: both must agree.
fn beyond_findings(
    indicators: &[Value],
    signins: &[Value],
    exit_list: Option<&str>,
) -> Vec<(String, String, String)> {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "ThreatIntelIndicators.ndjson",
        &ndjson(indicators),
    );
    write(
        dir.path(),
        "AADNonInteractiveUserSignInLogs.ndjson",
        &ndjson(signins),
    );
    let exit_list = exit_list.map(|text| {
        let path = write(dir.path(), "exits.lst.txt", text.as_bytes());
        let list = proxyhunt::beyond::indicators::read_exit_list(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        std::sync::Arc::new(list)
    });
    let beyond = BeyondOptions { exit_list };
    let mut opts = options(Lookback::All, Some(NOW));
    opts.detections = vec![DetectionId::AnonymizedSignin];
    let run = |ds: &proxyhunt::data::load::Dataset| {
        let result = hunt_beyond(ds, &opts, Some(&beyond)).unwrap();
        let f = &result.findings;
        let col = |n: &str| f.column(n).unwrap().str().unwrap().clone();
        let (k, u, r) = (col("DetectionType"), col("User"), col("Reason"));
        (0..f.height())
            .map(|i| {
                (
                    k.get(i).unwrap().to_string(),
                    u.get(i).unwrap().to_string(),
                    r.get(i).unwrap().to_string(),
                )
            })
            .collect::<Vec<_>>()
    };
    let whole = run(&load_dir(dir.path()));
    let filtered = load_for_hunt_beyond(
        &[dir.path().to_path_buf()],
        &LoadOptions::default(),
        &[DetectionId::AnonymizedSignin],
        Some(&beyond),
        &mut |_| {},
    );
    assert_eq!(run(&filtered), whole, "filtered load");
    // The same tables as typed Parquet: the beyond filters' Polars form is pushed into the read.
    let typed = tempfile::tempdir().unwrap();
    for (table, df) in &load_dir(dir.path()).tables {
        let path = typed.path().join(format!("{}.parquet", table.name()));
        let mut df = df.drop_many([
            proxyhunt::data::schema::SOURCE_FILE_COLUMN,
            proxyhunt::data::schema::SOURCE_LINE_COLUMN,
        ]);
        polars::prelude::ParquetWriter::new(std::fs::File::create(path).unwrap())
            .finish(&mut df)
            .unwrap();
    }
    let pushed = load_for_hunt_beyond(
        &[typed.path().to_path_buf()],
        &LoadOptions::default(),
        &[DetectionId::AnonymizedSignin],
        Some(&beyond),
        &mut |_| {},
    );
    assert_eq!(run(&pushed), whole, "typed Parquet, filtered load");
    whole
}

/// The check names a finding's reason gives (`BeyondRule: a: ...; b: ...`), or `exact`.
fn checks(reason: &str) -> String {
    match reason.strip_prefix("BeyondRule: ") {
        None => "exact".into(),
        Some(rest) => rest
            .split("; ")
            .filter_map(|part| part.split(':').next())
            .filter(|name| {
                ["ti-", "tor-", "legacy-"]
                    .iter()
                    .any(|p| name.starts_with(p))
            })
            .collect::<Vec<_>>()
            .join("+"),
    }
}

#[test]
fn sign_ins_from_addresses_the_rules_extract_cannot_read() {
    // (what, indicator tags, pattern, indicator extra fields, sign-in address, result, want)
    let cases: &[(&str, &str, &str, Value, &str, &str, &str)] = &[
        (
            "ipv6",
            "tor",
            "[ipv6-addr:value = '2a0b:f4c2::1']",
            json!({}),
            "2a0b:f4c2::1",
            "0",
            "AnonymizedSignIn+ ti-ipv6",
        ),
        (
            "ipv6 written another way",
            "tor",
            "[ipv6-addr:value = '2A0B:F4C2:0:0::1']",
            json!({}),
            "2a0b:f4c2::1",
            "0",
            "AnonymizedSignIn+ ti-ipv6",
        ),
        (
            "cidr",
            "tor",
            "[ipv4-addr:value = '185.220.103.0/24']",
            json!({}),
            "185.220.103.7",
            "0",
            "AnonymizedSignIn+ ti-cidr",
        ),
        (
            "network-traffic",
            "proxy",
            "[network-traffic:dst_ref.value = '45.66.33.45']",
            json!({}),
            "45.66.33.45",
            "0",
            "AnonymizedSignIn+ ti-network-traffic",
        ),
        (
            "upper-case pattern",
            "tor",
            "[IPV4-ADDR:VALUE = '162.247.74.7']",
            json!({}),
            "162.247.74.7",
            "0",
            "AnonymizedSignIn+ ti-spelling",
        ),
        (
            "no spaces around =",
            "tor",
            "[ipv4-addr:value='109.70.100.1']",
            json!({}),
            "109.70.100.1",
            "0",
            "AnonymizedSignIn+ ti-spelling",
        ),
        (
            "zero padding",
            "tor",
            "[ipv4-addr:value = '185.220.101.047']",
            json!({}),
            "185.220.101.47",
            "0",
            "AnonymizedSignIn+ ti-spelling",
        ),
        (
            "the second address of a pattern",
            "tor",
            "[ipv4-addr:value = '1.1.1.1'] OR [ipv4-addr:value = '185.220.101.47']",
            json!({}),
            "185.220.101.47",
            "0",
            "AnonymizedSignIn+ ti-later-observable",
        ),
        (
            "the sign-in's leading space",
            "tor",
            "[ipv4-addr:value = '185.220.101.47']",
            json!({}),
            " 185.220.101.47",
            "0",
            "AnonymizedSignIn+ ti-spelling",
        ),
        // The rule finds these itself: exact, never beyond.
        (
            "exact",
            "tor",
            "[ipv4-addr:value = '185.220.101.47']",
            json!({}),
            "185.220.101.47",
            "0",
            "AnonymizedSignIn exact",
        ),
        // Near misses: the rule's other indicator conditions hold beyond it too.
        (
            "near miss: failed sign-in",
            "tor",
            "[ipv6-addr:value = '2a0b:f4c2::1']",
            json!({}),
            "2a0b:f4c2::1",
            "50126",
            "none",
        ),
        (
            "near miss: inactive",
            "tor",
            "[ipv6-addr:value = '2a0b:f4c2::1']",
            json!({"IsActive": false}),
            "2a0b:f4c2::1",
            "0",
            "none",
        ),
        (
            "near miss: expired",
            "tor",
            "[ipv6-addr:value = '2a0b:f4c2::1']",
            json!({"ValidUntil": "2026-05-12T09:00:00Z"}),
            "2a0b:f4c2::1",
            "0",
            "none",
        ),
        (
            "near miss: older than 30 days",
            "tor",
            "[ipv6-addr:value = '2a0b:f4c2::1']",
            json!({"TimeGenerated": "2026-04-12T09:00:00Z"}),
            "2a0b:f4c2::1",
            "0",
            "none",
        ),
        (
            "near miss: not an anonymiser tag",
            "malware",
            "[ipv6-addr:value = '2a0b:f4c2::1']",
            json!({}),
            "2a0b:f4c2::1",
            "0",
            "none",
        ),
        (
            "near miss: outside the range",
            "tor",
            "[ipv4-addr:value = '185.220.103.0/24']",
            json!({}),
            "185.220.104.7",
            "0",
            "none",
        ),
        (
            "near miss: a domain",
            "proxy",
            "[domain-name:value = 'evil.example']",
            json!({}),
            "evil.example",
            "0",
            "none",
        ),
    ];
    for (what, tags, pattern, extra, ip, result, want) in cases {
        let found = beyond_findings(
            &[indicator(tags, pattern, extra.clone())],
            &[signin("carol@contoso.com", ip, result)],
            None,
        );
        let got = match found.as_slice() {
            [] => "none".to_string(),
            [(kind, user, reason)] => {
                assert_eq!(user, "carol", "{what}");
                format!("{kind} {}", checks(reason))
            }
            more => panic!("{what}: {more:?}"),
        };
        assert_eq!(&got, want, "{what}");
    }
}

#[test]
fn sign_ins_from_a_tor_exit_list() {
    let list = "# Tor exits\n185.220.101.47\n2a0b:f4c2::24\nExitAddress 204.8.96.133 2024-02-27 10:00:00\n";
    let signins = [
        signin("a@x", "204.8.96.133", "0"),
        signin("b@x", "2a0b:f4c2::24", "0"),
        // The rule's own finding stays exact; a failed sign-in and an address not listed stay out.
        signin("c@x", "185.220.101.47", "0"),
        signin("d@x", "204.8.96.133", "50126"),
        signin("e@x", "204.8.96.134", "0"),
    ];
    let ti = [indicator(
        "tor",
        "[ipv4-addr:value = '185.220.101.47']",
        json!({}),
    )];
    let mut found = beyond_findings(&ti, &signins, Some(list));
    found.sort();
    let got: Vec<(String, String, String)> = found
        .into_iter()
        .map(|(k, u, r)| (k, u, checks(&r)))
        .collect();
    let want = [
        ("AnonymizedSignIn", "c", "exact"),
        ("AnonymizedSignIn+", "a", "tor-exit-list"),
        ("AnonymizedSignIn+", "b", "tor-exit-list"),
    ];
    let want: Vec<(String, String, String)> = want
        .iter()
        .map(|(k, u, c)| (k.to_string(), u.to_string(), c.to_string()))
        .collect();
    assert_eq!(got, want);
}

fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// `hunt` without `--beyond` writes what it always wrote; `--beyond` writes exactly that, then
/// its own findings, each labelled. On the files (the filtered load) and the embedded sample.
#[test]
fn hunt_without_beyond_is_unchanged_and_beyond_only_adds_after_it() {
    let sample = repo().join("sample-data");
    let sample = sample.to_str().unwrap();
    for format in ["ndjson", "csv"] {
        for source in [vec!["--sample"], vec![sample]] {
            let mut plain_args = vec!["hunt", "--format", format, "--now", NOW];
            plain_args.extend(&source);
            let (code, plain, _) = run(&plain_args);
            assert_eq!(code, 0);
            let mut beyond_args = plain_args.clone();
            beyond_args.push("--beyond");
            let (code, beyond, err) = run(&beyond_args);
            assert_eq!(code, 0, "{err}");
            assert!(
                beyond.starts_with(&plain),
                "{format} {source:?}: exact findings first, unchanged"
            );
            let added = &beyond[plain.len()..];
            assert!(!added.is_empty(), "the sample has findings beyond the rule");
            for line in lines(added) {
                assert!(
                    line.contains("AnonymizedSignIn+")
                        || line.contains("ProxyToolLaunch+")
                        || line.contains("SSHMultiHopProxy+"),
                    "{line}"
                );
                assert!(line.contains("BeyondRule: "), "{line}");
            }
            assert!(err.contains("proxyhunt: beyond the rule: "), "{err}");
        }
    }
}

/// Tuning applies to beyond-the-rule findings as to their base type; the exact findings are
/// what a tuned hunt without --beyond writes.
#[test]
fn tuning_applies_to_beyond_findings_too() {
    let tuning = repo().join("sample-data/tuning.toml");
    let tuning = tuning.to_str().unwrap();
    let args = ["hunt", "--sample", "--tuning", tuning, "--format", "ndjson"];
    let (code, plain, err) = run(&args);
    assert_eq!(code, 0, "{err}");
    let mut with_beyond = args.to_vec();
    with_beyond.push("--beyond");
    let (code, beyond, err) = run(&with_beyond);
    assert_eq!(code, 0, "{err}");
    assert!(beyond.starts_with(&plain), "{err}");
    assert!(lines(&beyond[plain.len()..])
        .iter()
        .all(|l| l.contains("BeyondRule: ")));
}

fn golden(name: &str) -> String {
    std::fs::read_to_string(repo().join("tests/golden").join(name)).expect("golden file")
}

/// Regenerate with the commands in the README ("Golden files") after reviewing the change.
#[test]
fn sample_beyond_and_chains_match_their_golden_files() {
    let (code, beyond, err) = run(&["hunt", "--sample", "--beyond", "--format", "ndjson"]);
    assert_eq!(code, 0, "{err}");
    let added: Vec<&str> = lines(&beyond)
        .into_iter()
        .filter(|l| l.contains("BeyondRule: "))
        .collect();
    assert_eq!(added, lines(&golden("sample-beyond.ndjson")));
    let (code, chains, err) = run(&["chains", "--sample", "--beyond", "--format", "ndjson"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(lines(&chains), lines(&golden("sample-chains.ndjson")));
}

/// The sample's story: carol (no Tor on her devices) first, trent (Tor Browser) likely himself,
/// the IPv6 exit and the CIDR range beyond the rule, an ncat relay.
#[test]
fn the_sample_tells_the_chain_story() {
    let (_, out, err) = run(&["chains", "--sample", "--beyond", "--format", "ndjson"]);
    let chains: Vec<Value> = lines(&out)
        .into_iter()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let first = &chains[0];
    assert_eq!(first["Rank"], json!(1));
    assert_eq!(first["User"], json!("carol"));
    assert_eq!(first["ChainKind"], json!("SignInWithoutOwnTor"));
    let trent = chains.iter().find(|c| c["User"] == json!("trent")).unwrap();
    assert_eq!(trent["ChainKind"], json!("SignInWithOwnTor"));
    assert!(trent["Device"].as_str().unwrap().contains("ws-09"));
    for kind in ["ToolThenTorPort", "SignInFromOrgTorPeer"] {
        assert!(
            chains.iter().any(|c| c["ChainKind"] == json!(kind)),
            "{kind}"
        );
    }
    assert!(err.contains("rank 1: carol (likely stolen token)"), "{err}");
    let (_, beyond, err) = run(&["hunt", "--sample", "--beyond", "--format", "ndjson"]);
    for check in [
        "ti-ipv6",
        "ti-cidr",
        "netcat-relay",
        "proxychains-variant",
        "ssh-forward-variant",
    ] {
        assert!(beyond.contains(&format!("{check}: ")), "{check}");
        assert!(!err.contains(&format!("{check} 0")), "{check}: {err}");
    }
}

/// A line of the exit list that is no address is said with its file and line; the rest is read.
#[test]
fn an_exit_list_line_that_is_no_address_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let list = write(dir.path(), "exits.lst", b"185.220.101.47\nnot-an-ip\n");
    let (code, _, err) = run(&[
        "hunt",
        "--sample",
        "--tor-list",
        list.to_str().unwrap(),
        "--format",
        "ndjson",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("exits.lst:2: not an address, skipped: not-an-ip"),
        "{err}"
    );
    let (code, _, err) = run(&["hunt", "--sample", "--tor-list", "/nonexistent/list"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("--tor-list: cannot read /nonexistent/list"),
        "{err}"
    );
}

fn legacy(ip: &str, extra: Value) -> Value {
    let mut base = json!({
        "TimeGenerated": "2026-05-11T10:00:00Z", "IndicatorId": "ind-1", "NetworkIP": ip,
        "Active": true, "ExpirationDateTime": "2026-06-11T10:00:00Z", "Tags": "", "ThreatType": "Proxy"
    });
    base.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    base
}

/// The legacy `ThreatIntelligenceIndicator` table, read for `--beyond` only, with the rule's own
/// conditions on its columns (Active, ExpirationDateTime, 30 days, an anonymiser).
#[test]
fn sign_ins_named_by_the_legacy_threat_intel_table() {
    let cases: &[(&str, Value, &str)] = &[
        ("proxy", json!({}), "AnonymizedSignIn+ legacy-ti"),
        (
            "tagged tor",
            json!({"ThreatType": "WatchList", "Tags": "[\"tor\"]"}),
            "AnonymizedSignIn+ legacy-ti",
        ),
        (
            "Darknet",
            json!({"ThreatType": "Darknet"}),
            "AnonymizedSignIn+ legacy-ti",
        ),
        (
            "a range",
            json!({"NetworkIP": "", "NetworkDestinationIP": "45.66.33.0/24"}),
            "AnonymizedSignIn+ legacy-ti",
        ),
        ("near miss: inactive", json!({"Active": false}), "none"),
        (
            "near miss: expired",
            json!({"ExpirationDateTime": "2026-05-12T09:00:00Z"}),
            "none",
        ),
        (
            "near miss: older than 30 days",
            json!({"TimeGenerated": "2026-04-12T09:00:00Z"}),
            "none",
        ),
        (
            "near miss: malware",
            json!({"ThreatType": "Malware"}),
            "none",
        ),
    ];
    for (what, extra, want) in cases {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            "ThreatIntelligenceIndicator.ndjson",
            &ndjson(&[legacy("45.66.33.45", extra.clone())]),
        );
        write(
            dir.path(),
            "AADNonInteractiveUserSignInLogs.ndjson",
            &ndjson(&[signin("carol@contoso.com", "45.66.33.45", "0")]),
        );
        let path = dir.path().to_str().unwrap();
        let (code, plain, err) = run(&["hunt", path, "--now", NOW, "--format", "ndjson"]);
        // Without --beyond: no finding (the rule reads ThreatIntelIndicators only).
        assert!(plain.is_empty(), "{what}: {plain}");
        assert!(code == 0 || code == 2, "{what}: {err}");
        let (_, out, err) = run(&["hunt", path, "--now", NOW, "--beyond", "--format", "ndjson"]);
        let got = match out.lines().collect::<Vec<_>>().as_slice() {
            [] => "none".to_string(),
            [line] => {
                let v: Value = serde_json::from_str(line).unwrap();
                format!(
                    "{} {}",
                    v["DetectionType"].as_str().unwrap(),
                    checks(v["Reason"].as_str().unwrap())
                )
            }
            more => panic!("{what}: {more:?}"),
        };
        assert_eq!(&got, want, "{what}: {err}");
    }
}
