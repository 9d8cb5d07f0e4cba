//! False-positive tuning: each built-in filter's golden effect on the sample, the file's error
//! reporting, `--show-suppressed` and its summary, and the tuned KQL.

mod common;

use std::collections::BTreeMap;

use common::*;
use proxyhunt::data::load::load_sample;
use proxyhunt::detect::{hunt, Lookback};
use proxyhunt::explore::{finding_rows, FindingRow};
use proxyhunt::tuning::{apply_tuning, parse_tuning, Tuning};

fn sample_rows() -> (polars::prelude::DataFrame, Vec<FindingRow>) {
    let result = hunt(&load_sample(), &options(Lookback::All, None)).unwrap();
    let rows = finding_rows(&result.findings).unwrap();
    (result.findings, rows)
}

fn sample_tuning() -> Tuning {
    let text = std::fs::read_to_string(repo().join("sample-data/tuning.toml")).unwrap();
    let (filters, issues) = parse_tuning("sample-data/tuning.toml", &text);
    assert!(issues.is_empty(), "{issues:?}");
    Tuning {
        filters,
        today: "2026-05-12".into(),
    }
}

/// Only `id` switched on.
fn only(id: &str) -> Tuning {
    let mut t = sample_tuning();
    for f in &mut t.filters {
        f.enabled = f.id == id;
    }
    t
}

/// The findings a filter removes, as (type, identifying text), sorted.
fn removed_by(id: &str) -> Vec<(String, String)> {
    let (_, rows) = sample_rows();
    let by = only(id).evaluate(&rows);
    let mut out: Vec<(String, String)> = rows
        .iter()
        .zip(by)
        .filter(|(_, b)| !b.is_empty())
        .map(|(r, _)| {
            (
                r.kind.name().to_string(),
                format!("{} {}", r.device, r.summary),
            )
        })
        .collect();
    out.sort();
    out
}

fn kinds(removed: &[(String, String)]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for (k, _) in removed {
        *m.entry(k.clone()).or_insert(0) += 1;
    }
    m
}

fn count(pairs: &[(&str, usize)]) -> BTreeMap<String, usize> {
    pairs.iter().map(|(k, n)| (k.to_string(), *n)).collect()
}

#[test]
fn generic_dash_d_removes_docker_and_git_only() {
    let r = removed_by("generic-dash-d");
    assert_eq!(kinds(&r), count(&[("ProxyToolLaunch", 5)]));
    assert_eq!(
        r.iter()
            .filter(|(_, s)| s.contains("docker run -d"))
            .count(),
        4
    );
    assert_eq!(
        r.iter().filter(|(_, s)| s.contains("git clean -d")).count(),
        1
    );
}

#[test]
fn tor_browser_removes_trents_launch_and_connection() {
    let r = removed_by("tor-browser");
    assert_eq!(
        kinds(&r),
        count(&[("ProxyToolLaunch", 1), ("TorPortConnection", 1)])
    );
    assert!(
        r.iter()
            .all(|(_, s)| s.starts_with("ws-09.contoso.com") && s.contains("tor.exe")),
        "{r:?}"
    );
}

#[test]
fn vpn_client_socks_removes_the_vpn_agent() {
    let r = removed_by("vpn-client-socks");
    assert_eq!(
        kinds(&r),
        count(&[("ProxyToolLaunch", 2), ("TorPortConnection", 2)])
    );
    assert!(r.iter().all(|(_, s)| s.contains("vpnagent.exe")));
}

#[test]
fn dev_proxy_tools_removes_proxifier() {
    let r = removed_by("dev-proxy-tools");
    assert_eq!(
        kinds(&r),
        count(&[("ProxyToolLaunch", 1), ("TorPortConnection", 1)])
    );
    assert!(r
        .iter()
        .all(|(_, s)| s.starts_with("dev-ws07.contoso.com") && s.contains("Proxifier.exe")));
}

#[test]
fn pentest_lab_removes_the_lab_hosts() {
    let r = removed_by("pentest-lab");
    assert_eq!(
        kinds(&r),
        count(&[("ProxyToolLaunch", 4), ("TorPortConnection", 1)])
    );
    assert!(r.iter().all(|(_, s)| s.starts_with("lab-")));
}

#[test]
fn ssh_bastion_removes_only_bastion_lines() {
    let r = removed_by("ssh-bastion");
    assert_eq!(
        kinds(&r),
        count(&[("ProxyToolLaunch", 3), ("SSHMultiHopProxy", 5)])
    );
    assert!(r.iter().all(|(_, s)| s.contains("bastion.contoso.com")));
    // `SSH.EXE -w 0:0 root@vpn-lab.internal` names no bastion and stays.
    let (_, rows) = sample_rows();
    let by = only("ssh-bastion").evaluate(&rows);
    assert!(rows
        .iter()
        .zip(&by)
        .any(|(r, b)| b.is_empty() && r.summary.contains("-w 0:0")));
}

#[test]
fn org_vpn_egress_removes_every_sign_in_through_it_and_nothing_else() {
    let r = removed_by("org-vpn-egress");
    let (_, rows) = sample_rows();
    let through_vpn = rows
        .iter()
        .filter(|r| r.get("IPAddress") == "203.0.113.10")
        .count();
    assert_eq!(kinds(&r), count(&[("AnonymizedSignIn", through_vpn)]));
    assert!(through_vpn >= 20);
}

#[test]
fn every_builtin_filter_has_a_golden_test_above() {
    let ids: Vec<String> = proxyhunt::tuning::builtin_filters()
        .into_iter()
        .map(|f| f.id)
        .collect();
    assert_eq!(
        ids,
        [
            "generic-dash-d",
            "tor-browser",
            "vpn-client-socks",
            "dev-proxy-tools",
            "pentest-lab",
            "ssh-bastion",
            "org-vpn-egress"
        ]
    );
}

#[test]
fn expired_filters_are_off() {
    let t = sample_tuning();
    let expired = t
        .filters
        .iter()
        .find(|f| f.id == "q1-migration-proxy")
        .unwrap();
    assert!(!t.active(expired));
    let later = Tuning {
        today: "2027-01-02".into(),
        ..sample_tuning()
    };
    let dev = later
        .filters
        .iter()
        .find(|f| f.id == "dev-proxy-tools")
        .unwrap();
    assert!(!later.active(dev), "expires 2027-01-01");
}

#[test]
fn file_errors_name_file_and_line() {
    let text = r#"
[[filter]]
id = "a"
title = "t"
reason = "r"
detection_types = ["ProxyToolLaunch"]
  [[filter.when]]
  field = "FileName"
  regex = "(unclosed"

[[filter]]
id = "b"
title = "t"
reason = "r"
detection_types = ["AnonymizedSignIn"]
  [[filter.when]]
  field = "IPAddress"
  cidr = ["10.0.0.0/40"]

[[filter]]
id = "c"
title = "t"
reason = "r"
detection_types = ["NotAType"]
  [[filter.when]]
  field = "Nope"
  equals = "x"

[[filter]]
id = "ok"
title = "t"
reason = "r"
detection_types = ["ProxyToolLaunch"]
  [[filter.when]]
  field = "FileName"
  equals = "tor.exe"
"#;
    let (filters, issues) = parse_tuning("t.toml", text);
    assert_eq!(
        filters.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["ok"]
    );
    let lines: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("t.toml: line 7: filter \"a\" left out: bad regex")),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l
                .starts_with("t.toml: line 16: filter \"b\" left out: bad CIDR \"10.0.0.0/40\"")),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(
            |l| l.starts_with("t.toml: line 20: filter \"c\" left out: unknown detection type")
        ),
        "{lines:?}"
    );
    assert!(
        lines.iter().any(|l| l.contains("unknown field \"Nope\"")),
        "{lines:?}"
    );

    let (_, issues) = parse_tuning("u.toml", "[[filter]]\nid = \"x\"\ntitle = \"t\"\nreason = \"r\"\ndetection_types = []\ncolour = \"red\"\n");
    assert_eq!(issues.len(), 1);
    let msg = issues[0].to_string();
    assert!(
        msg.starts_with("u.toml: line 6:") && msg.contains("unknown field `colour`"),
        "{msg}"
    );
}

#[test]
fn kql_command_prints_the_tuned_rules() {
    let (code, kql, err) = run(&["kql", "--tuning", "builtin"]);
    assert_eq!(code, 0, "{err}");
    assert!(kql.contains("// proxyhunt filter generic-dash-d"));
    assert_eq!(
        kql.matches("// proxyhunt filter").count(),
        1,
        "only the filter on by default"
    );
    let (code, plain, _) = run(&["kql"]);
    assert_eq!(code, 0);
    assert!(!plain.contains("proxyhunt filter") && plain.contains("| order by TimeGenerated desc"));
    let (code, catalog, _) = run(&["catalog"]);
    assert_eq!(code, 0);
    assert_eq!(catalog, proxyhunt::tuning::CATALOG);
}

#[test]
fn show_suppressed_agrees_with_the_summary() {
    let (code, out, err) = run(&[
        "hunt",
        "--sample",
        "--tuning",
        "sample-data/tuning.toml",
        "--show-suppressed",
    ]);
    assert_eq!(code, 0, "{err}");
    let marked = out
        .lines()
        .filter(|l| !l.contains("\"SuppressedBy\":\"\""))
        .count();
    assert_eq!(out.lines().count(), 76);
    assert!(
        err.contains(&format!(
            "tuning: {marked} finding(s) suppressed (marked in SuppressedBy)"
        )),
        "{marked} {err}"
    );
    let (_, kept, _) = run(&["hunt", "--sample", "--tuning", "sample-data/tuning.toml"]);
    assert_eq!(kept.lines().count(), 76 - marked);
    // Per filter, the summary's count equals the rows naming it.
    for line in err.lines().filter(|l| l.contains("] ")) {
        let id = line
            .split("] ")
            .nth(1)
            .unwrap()
            .split_whitespace()
            .next()
            .unwrap();
        let n: usize = line
            .split("suppressed")
            .nth(1)
            .unwrap()
            .split(',')
            .next()
            .unwrap()
            .trim()
            .parse()
            .unwrap();
        let named = out
            .lines()
            .filter(|l| {
                l.contains(&format!("\"SuppressedBy\":\"{id}")) || l.contains(&format!(",{id}"))
            })
            .count();
        assert_eq!(named, n, "{id}");
    }
}

#[test]
fn held_out_tuning_file_suppresses_exactly_its_matches() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "t.toml",
        br#"
[[filter]]
id = "carol-graph"
title = "carol's Graph app through Tor exit one"
reason = "test"
detection_types = ["AnonymizedSignIn"]
  [[filter.when]]
  field = "User"
  equals = "CAROL"
  [[filter.when]]
  field = "AppDisplayName"
  glob = "microsoft gr*"
  [[filter.when]]
  field = "IP"
  cidr = "185.220.101.0/24"

[[filter]]
id = "tor-ports-9001"
title = "port 9001 on fin-ws12"
reason = "test"
detection_types = ["TorPortConnection"]
  [[filter.when]]
  field = "RemotePort"
  ports = [9001]
  [[filter.when]]
  field = "DeviceName"
  regex = "^fin-ws\\d+\\."
"#,
    );
    let (findings, rows) = sample_rows();
    let expected = rows
        .iter()
        .filter(|r| {
            (r.kind.name() == "AnonymizedSignIn"
                && r.user == "carol"
                && r.get("AppDisplayName") == "Microsoft Graph"
                && r.ip.starts_with("185.220.101."))
                || (r.kind.name() == "TorPortConnection"
                    && r.get("RemotePort") == "9001"
                    && r.device.starts_with("fin-ws12."))
        })
        .count();
    let text = std::fs::read_to_string(&file).unwrap();
    let (filters, issues) = parse_tuning("t.toml", &text);
    assert!(issues.is_empty(), "{issues:?}");
    let tuned = apply_tuning(
        findings,
        &Tuning {
            filters,
            today: "2026-05-12".into(),
        },
        false,
    )
    .unwrap();
    assert!(expected > 0);
    assert_eq!(tuned.suppressed, expected);
    assert_eq!(tuned.findings.height(), rows.len() - expected);
}

#[test]
fn kql_for_the_sample_tuning_is_golden_and_keeps_the_seed_text() {
    // A fixed day, so that expiry dates in the sample file do not change the golden output.
    let kql = proxyhunt::tuning::kql::tuned_kql(&sample_tuning());
    let golden = std::fs::read_to_string(repo().join("tests/golden/tuned.kql")).unwrap();
    assert_eq!(kql, golden);
    // Removing the added clauses gives back the seed queries exactly.
    let re = regex::Regex::new(r"\n// proxyhunt filter [^\n]*\n\| where not\([^\n]*\)").unwrap();
    let stripped = re.replace_all(&kql, "");
    let expected = format!(
        "// Rule 000: Non-Interactive Sign-In via TOR or Anonymous Proxy\n{}\n// Query 004: Detect Multi-hop Proxy\n{}",
        proxyhunt::tuning::kql::RULE_000,
        proxyhunt::tuning::kql::QUERY_004
    );
    assert_eq!(stripped, expected);
    // Balanced brackets and quotes in every added clause.
    for clause in kql.lines().filter(|l| l.starts_with("| where not(")) {
        let mut depth = 0i32;
        let mut in_string = false;
        let mut escaped = false;
        for c in clause.chars() {
            match (in_string, c) {
                (true, '\\') if !escaped => {
                    escaped = true;
                    continue;
                }
                (true, '"') if !escaped => in_string = false,
                (false, '"') => in_string = true,
                (false, '(' | '[') => depth += 1,
                (false, ')' | ']') => depth -= 1,
                _ => {}
            }
            escaped = false;
            assert!(depth >= 0, "{clause}");
        }
        assert!(depth == 0 && !in_string, "{clause}");
    }
    // One clause per active filter and type; the expired one is absent.
    assert_eq!(kql.matches("// proxyhunt filter").count(), 11);
    assert!(!kql.contains("q1-migration-proxy"));
    assert!(kql.contains("ipv4_is_in_any_range(IPAddress, dynamic([\"203.0.113.0/28\"]))"));
}

#[test]
fn proposals_round_trip_through_the_file_format() {
    use proxyhunt::tuning::proposal::{candidates, filter_block, preview, proposed_filter};
    let (_, rows) = sample_rows();
    let docker = rows.iter().find(|r| r.get("FileName") == "docker").unwrap();
    let mut cands = candidates(docker);
    let labels: Vec<&str> = cands.iter().map(|c| c.label.as_str()).collect();
    assert!(
        labels.contains(&"ProcessCommandLine glob \"docker run*\""),
        "{labels:?}"
    );
    for c in &mut cands {
        c.chosen = c.label.starts_with("ProcessCommandLine glob");
    }
    let chosen: Vec<_> = cands.iter().filter(|c| c.chosen).cloned().collect();
    let filter = proposed_filter(docker, &chosen, "docker-run", "2026-05-12");
    let p = preview(&rows, &filter);
    assert_eq!(p.total, 4);
    assert!(p.warnings().is_empty());
    let (parsed, issues) = parse_tuning("new.toml", &filter_block(&filter, &chosen));
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(
        preview(&rows, &parsed[0]),
        p,
        "the saved filter hides what the preview showed"
    );
}
