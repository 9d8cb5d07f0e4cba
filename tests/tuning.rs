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
    let (filters, issues) = parse_tuning("sample-data/tuning.toml", &text).unwrap();
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
    let (filters, issues) = parse_tuning("t.toml", text).unwrap();
    assert_eq!(
        filters.iter().map(|f| f.id.as_str()).collect::<Vec<_>>(),
        ["ok"]
    );
    let lines: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
    // Each problem is reported at the line of the value it is about, counted from line 1.
    assert_eq!(
        lines,
        [
            "t.toml: line 9: filter \"a\" left out: bad regex \"(unclosed\": unclosed group",
            "t.toml: line 18: filter \"b\" left out: bad CIDR \"10.0.0.0/40\"; expected e.g. 203.0.113.0/24 or 2001:db8::/32",
            "t.toml: line 24: filter \"c\" left out: unknown detection type \"NotAType\"; use AnonymizedSignIn, ProxyToolLaunch, TorPortConnection, SSHMultiHopProxy",
            "t.toml: line 26: filter \"c\" left out: unknown field \"Nope\"; use a findings column such as DeviceName, ProcessCommandLine, IPAddress, User",
        ]
    );

    let (_, issues) = parse_tuning("u.toml", "[[filter]]\nid = \"x\"\ntitle = \"t\"\nreason = \"r\"\ndetection_types = []\ncolour = \"red\"\n").unwrap();
    assert_eq!(issues.len(), 1);
    let msg = issues[0].to_string();
    assert!(
        msg.starts_with("u.toml: line 6:") && msg.contains("unknown field `colour`"),
        "{msg}"
    );
}

/// A tuning file with one good filter and one problem in each other filter; comments first, so
/// that line numbers are seen to count from the top of the file.
const MIXED: &str = r#"# A tuning file with one good filter and one problem per other filter.
# Lines are counted from the top of the file, comments included.

[[filter]]
id = "typo-key"
title = "t"
reason = "r"
detection_types = ["ProxyToolLaunch"]
colour = "red"
  [[filter.when]]
  field = "FileName"
  equals = "git"

[[filter]]
id = "wrong-type"
title = "t"
reason = "r"
detection_types = ["ProxyToolLaunch"]
enabled = "yes"
  [[filter.when]]
  field = "FileName"
  equals = "git"

[[filter]]
id = "field-number"
title = "t"
reason = "r"
detection_types = ["ProxyToolLaunch"]
  [[filter.when]]
  field = 5
  equals = "git"

[[filter]]
id = "port-range"
title = "t"
reason = "r"
detection_types = ["TorPortConnection"]
  [[filter.when]]
  field = "RemotePort"
  ports = [9050,
           70000]

[[filter]]
id = "empty-list"
title = "t"
reason = "r"
detection_types = ["ProxyToolLaunch"]
  [[filter.when]]
  field = "FileName"
  equals = []

[[filter]]
id = "docker"
title = "docker is not a proxy"
reason = "r"
detection_types = ["ProxyToolLaunch"]
  [[filter.when]]
  field = "FileName"
  equals = "docker"
"#;

/// Words of Rust's or serde's that must never reach a message about a tuning file.
const INTERNAL_WORDS: &[&str] = &[
    "OneOrMany",
    "untagged",
    "Raw",
    "Strings",
    "i64",
    "u16",
    "struct ",
    "sequence",
    "Spanned",
    "variant",
];

#[test]
fn one_bad_filter_is_left_out_and_the_others_apply() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "mixed.toml", MIXED.as_bytes());
    let name = file.display().to_string();
    let (code, out, err) = run(&["hunt", "--tuning", &name, "sample-data"]);
    assert_eq!(code, 0, "{err}");
    let expected = [
        "line 9: filter \"typo-key\" left out: unknown field `colour`, expected one of `id`, `title`, `reason`, `detection_types`, `enabled`, `owner`, `created`, `expires`, `site_values`, `when`",
        "line 19: filter \"wrong-type\" left out: enabled: invalid type: string \"yes\", expected a boolean",
        "line 30: filter \"field-number\" left out: when.field: invalid type: integer `5`, expected a string or a list of strings",
        "line 41: filter \"port-range\" left out: when.ports: port 70000 is outside 0-65535",
        "line 50: filter \"empty-list\" left out: equals is an empty list, which matches nothing",
    ];
    let reported: Vec<&str> = err.lines().filter(|l| l.contains("left out")).collect();
    assert_eq!(
        reported,
        expected
            .iter()
            .map(|e| format!("proxyhunt: tuning: {name}: {e}"))
            .collect::<Vec<_>>(),
        "{err}"
    );
    for word in INTERNAL_WORDS {
        assert!(!err.contains(word), "{word:?} in {err}");
    }
    // The good filter still applies: the sample's four `docker` launches are gone, nothing else.
    let (_, plain, _) = run(&["hunt", "sample-data"]);
    let docker = plain
        .lines()
        .filter(|l| l.contains("\"FileName\":\"docker\""))
        .count();
    assert_eq!(docker, 4);
    assert_eq!(out.lines().count(), plain.lines().count() - docker);
    assert!(!out.contains("\"FileName\":\"docker\""));
    assert!(
        err.contains("tuning: 4 finding(s) suppressed (removed)"),
        "{err}"
    );
}

#[test]
fn wrong_types_are_said_in_plain_words() {
    let head = "[[filter]]\nid = \"x\"\ntitle = \"t\"\nreason = \"r\"\n";
    let when = "  [[filter.when]]\n  field = \"FileName\"\n  equals = \"git\"\n";
    let cases = [
        (
            format!("{head}detection_types = \"ProxyToolLaunch\"\n{when}"),
            "line 5: filter \"x\" left out: detection_types: invalid type: string \"ProxyToolLaunch\", expected a list",
        ),
        (
            format!("{head}detection_types = [1]\n{when}"),
            "line 5: filter \"x\" left out: detection_types: invalid type: integer `1`, expected a string",
        ),
        (
            format!("{head}detection_types = []\n{when}"),
            "line 5: filter \"x\" left out: detection_types is an empty list, which matches nothing",
        ),
        (
            format!("{head}detection_types = [\"TorPortConnection\"]\n  [[filter.when]]\n  field = \"RemotePort\"\n  ports = [\"9050\"]\n"),
            "line 8: filter \"x\" left out: when.ports: invalid type: string \"9050\", expected a port number from 0 to 65535",
        ),
        (
            format!("{head}detection_types = [\"TorPortConnection\"]\n  [[filter.when]]\n  field = \"RemotePort\"\n  ports = [-1]\n"),
            "line 8: filter \"x\" left out: when.ports: port -1 is outside 0-65535",
        ),
        (
            format!("{head}detection_types = [\"ProxyToolLaunch\"]\n  [[filter.when]]\n  field = \"FileName\"\n  ports = [22]\n"),
            "line 7: filter \"x\" left out: ports applies to RemotePort only, not \"FileName\"; use equals for text",
        ),
        (
            format!("{head}detection_types = [\"ProxyToolLaunch\"]\nwhen = \"FileName\"\n"),
            "line 6: filter \"x\" left out: when: invalid type: string \"FileName\", expected a list",
        ),
        (
            format!("{head}detection_types = [\"ProxyToolLaunch\"]\nexpires = \"next year\"\n{when}"),
            "line 6: filter \"x\" left out: expires: \"next year\" is not a date such as 2026-12-31",
        ),
        (
            format!("{head}detection_types = [\"ProxyToolLaunch\"]\n  [[filter.when]]\n  field = \"FileName\"\n  glob = \"git*\"\n  case_sensitive = true\n"),
            "line 6: filter \"x\" left out: case_sensitive applies to equals and in only",
        ),
        (
            format!("{head}detection_types = [\"ProxyToolLaunch\"]\n  [[filter.when]]\n  field = []\n  equals = \"git\"\n"),
            "line 7: filter \"x\" left out: field is an empty list, which matches nothing",
        ),
        (
            "filter = 3\n".to_string(),
            "line 1: filter must be [[filter]] tables, not integer; left out",
        ),
    ];
    for (text, want) in cases {
        let (filters, issues) = parse_tuning("t.toml", &text).unwrap();
        assert!(filters.is_empty(), "{text}");
        let got: Vec<String> = issues.iter().map(ToString::to_string).collect();
        assert_eq!(got, [format!("t.toml: {want}")], "{text}");
        for word in INTERNAL_WORDS {
            assert!(!got[0].contains(word), "{word:?} in {}", got[0]);
        }
    }
    // A top-level key that is not `filter` costs nothing else.
    let (filters, issues) = parse_tuning(
        "t.toml",
        &format!("colour = 1\n{head}detection_types = [\"ProxyToolLaunch\"]\n{when}"),
    )
    .unwrap();
    assert_eq!(filters.len(), 1);
    assert_eq!(
        issues.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["t.toml: line 1: unknown key \"colour\" left out; a tuning file holds [[filter]] tables"]
    );
}

#[test]
fn a_tuning_file_that_is_not_toml_stops_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "broken.toml",
        b"# comment\n\n[[filter]\nid = \"x\"\n",
    );
    let name = file.display().to_string();
    for cmd in ["hunt", "kql"] {
        let mut args = vec![cmd, "--tuning", &name];
        if cmd == "hunt" {
            args.push("sample-data");
        }
        let (code, out, err) = run(&args);
        assert_eq!(code, 1, "{cmd}: {err}");
        assert!(out.is_empty(), "{cmd} printed results untuned: {out}");
        assert!(
            err.contains(&format!(
                "tuning file {name}: line 3: not a TOML file: unclosed array table, expected `]`"
            )),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn a_tuning_file_that_is_not_utf8_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(
        dir.path(),
        "latin1.toml",
        b"[[filter]]\nid = \"x\"\ntitle = \"caf\xe9\"\n",
    );
    let name = file.display().to_string();
    for cmd in ["hunt", "kql"] {
        let mut args = vec![cmd, "--tuning", &name];
        if cmd == "hunt" {
            args.push("sample-data");
        }
        let (code, out, err) = run(&args);
        assert_eq!(code, 1, "{cmd}: {err}");
        assert!(out.is_empty(), "{cmd}: {out}");
        assert!(
            err.contains(&format!(
                "tuning file {name}: line 3: not UTF-8 text (byte 32); save it as UTF-8"
            )),
            "{cmd}: {err}"
        );
    }
}

#[test]
fn a_missing_tuning_file_is_named_once() {
    let dir = tempfile::tempdir().unwrap();
    let name = dir.path().join("missing.toml").display().to_string();
    for cmd in ["kql", "hunt"] {
        let mut args = vec![cmd, "--tuning", &name];
        if cmd == "hunt" {
            args.push("sample-data");
        }
        let (code, out, err) = run(&args);
        assert_eq!(code, 1, "{cmd}: {err}");
        assert!(out.is_empty(), "{cmd}: {out}");
        assert!(
            err.contains(&format!("tuning file {name}: No such file or directory")),
            "{cmd}: {err}"
        );
        assert_eq!(err.matches("No such file or directory").count(), 1, "{err}");
        // The file is named once, with no OS error code.
        assert_eq!(err.matches(&name).count(), 1, "{err}");
        assert!(!err.contains("os error"), "{err}");
    }
}

#[test]
fn a_byte_order_mark_is_allowed_and_lines_still_count_from_one() {
    let text = "\u{feff}# saved by Notepad\n[[filter]]\nid = \"x\"\ntitle = \"t\"\nreason = \"r\"\ndetection_types = [\"Nope\"]\n";
    let (_, issues) = parse_tuning("bom.toml", text).unwrap();
    assert_eq!(
        issues.iter().map(ToString::to_string).collect::<Vec<_>>(),
        ["bom.toml: line 6: filter \"x\" left out: unknown detection type \"Nope\"; use AnonymizedSignIn, ProxyToolLaunch, TorPortConnection, SSHMultiHopProxy"]
    );
}

#[test]
fn tuning_messages_escape_control_and_bidi_characters() {
    let text = "[[filter]]\nid = \"evil\\u001b[2J\\u202e\"\ntitle = \"t\"\nreason = \"r\"\ndetection_types = [\"Nope\\n| take 0\"]\n";
    let (_, issues) = parse_tuning("t.toml", text).unwrap();
    let line = issues[0].to_string();
    assert!(
        !line.chars().any(|c| c.is_control() || c == '\u{202e}'),
        "{line:?}"
    );
    assert!(line.contains(r"evil\u{1b}[2J\u{202e}"), "{line}");
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
    assert_eq!(out.lines().count(), 79);
    assert!(
        err.contains(&format!(
            "tuning: {marked} finding(s) suppressed (marked in SuppressedBy)"
        )),
        "{marked} {err}"
    );
    let (_, kept, _) = run(&["hunt", "--sample", "--tuning", "sample-data/tuning.toml"]);
    assert_eq!(kept.lines().count(), 79 - marked);
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
    let (filters, issues) = parse_tuning("t.toml", &text).unwrap();
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
    let (parsed, issues) = parse_tuning("new.toml", &filter_block(&filter, &chosen)).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert_eq!(
        preview(&rows, &parsed[0]),
        p,
        "the saved filter hides what the preview showed"
    );
}

// ---- The tuned rule keeps in Sentinel exactly the rows `hunt --tuning` keeps ----

use proxyhunt::detect::DetectionType;
use proxyhunt::tuning::kql::filter_clause;
use proxyhunt::tuning::Filter;

/// One filter from a `[[filter.when]]` body, through the real loader.
fn filter_of(kind: DetectionType, when: &str) -> Filter {
    let text = format!(
        "[[filter]]\nid = \"t\"\ntitle = \"t\"\nreason = \"r\"\ndetection_types = [\"{}\"]\n  [[filter.when]]\n{when}\n",
        kind.name()
    );
    let (mut filters, issues) = parse_tuning("t.toml", &text).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    filters.remove(0)
}

/// A finding of `kind` whose Sentinel column `column` holds `value`, with the extras derived as
/// `hunt` derives them (`Device` is DeviceName in ASCII lower case, `IP` the leg's address).
fn finding(kind: DetectionType, column: &'static str, value: &str) -> FindingRow {
    let mut fields = vec![
        ("DetectionType", kind.name().to_string()),
        (column, value.to_string()),
    ];
    if column == "DeviceName" {
        fields.push(("Device", value.to_ascii_lowercase()));
    }
    if matches!(column, "IPAddress" | "RemoteIP") {
        fields.push(("IP", value.to_string()));
    }
    FindingRow {
        kind,
        time: 0,
        fields,
        user: String::new(),
        device: String::new(),
        ip: String::new(),
        summary: String::new(),
        search: String::new(),
    }
}

/// For each matcher kind: the filter, its KQL clause, and values of the Sentinel column with
/// whether the finding is suppressed. The expected answers are Kusto's (kql-semantics.md): `=~`,
/// `in~` and `has` fold ASCII case only, strings are never trimmed, `matches regex` is the Rust
/// regex engine, the IP range functions give null (guarded to "no match") on anything that is
/// not an address of their family, and `RemotePort` is an int. The test asserts that the Rust
/// matcher gives each answer and that the KQL text is exactly the one whose Kusto meaning is
/// argued in README's "False-positive tuning".
#[test]
fn each_matcher_has_the_same_answer_in_rust_and_in_its_kql_form() {
    use DetectionType::*;
    let kelvin = "\u{212A}";
    // (type, [[filter.when]] body, Sentinel column, KQL test, [(value, suppressed)])
    type Case = (
        DetectionType,
        &'static str,
        &'static str,
        &'static str,
        Vec<(String, bool)>,
    );
    let cases: Vec<Case> = vec![
        (
            ProxyToolLaunch,
            "  field = \"FileName\"\n  in = [\"Docker.EXE\", \"kubectl\"]",
            "FileName",
            r#"FileName in~ ("Docker.EXE", "kubectl")"#,
            vec![
                ("docker.exe".into(), true),
                ("DOCKER.exe".into(), true),
                ("KUBECTL".into(), true),
                ("docker.exe ".into(), false),
                (" docker.exe".into(), false),
                ("docker".into(), false),
                (format!("{kelvin}ubectl"), false),
                ("".into(), false),
            ],
        ),
        (
            ProxyToolLaunch,
            "  field = \"FileName\"\n  equals = [\"git\", \"Git.exe\"]\n  case_sensitive = true",
            "FileName",
            r#"FileName in ("git", "Git.exe")"#,
            vec![
                ("git".into(), true),
                ("GIT".into(), false),
                ("Git.exe".into(), true),
                ("git.exe".into(), false),
            ],
        ),
        (
            ProxyToolLaunch,
            "  field = \"Device\"\n  equals = [\"lab-01\", \"LAB-02\"]\n  case_sensitive = true",
            "DeviceName",
            r#"DeviceName =~ "lab-01""#,
            vec![
                ("lab-01".into(), true),
                ("LAB-01".into(), true),
                ("LAB-02".into(), false),
                ("lab-02".into(), false),
                ("LAB-01 ".into(), false),
            ],
        ),
        (
            TorPortConnection,
            "  field = \"Device\"\n  equals = \"LAB-01\"",
            "DeviceName",
            r#"DeviceName =~ "LAB-01""#,
            vec![
                ("lab-01".into(), true),
                ("Lab-01".into(), true),
                ("lab-1".into(), false),
            ],
        ),
        (
            SshMultiHopProxy,
            "  field = \"DeviceName\"\n  glob = [\"lab-*\", \"k?\"]",
            "DeviceName",
            r#"DeviceName matches regex "(?s)^(?:[lL][aA][bB]\\-.*|[kK].)$""#,
            vec![
                ("LAB-pt01.contoso.com".into(), true),
                ("lab-".into(), true),
                ("lab-x\ny".into(), true),
                ("xlab-1".into(), false),
                ("KA".into(), true),
                ("ké".into(), true),
                (format!("{kelvin}a"), false),
                ("kab".into(), false),
                ("k".into(), false),
            ],
        ),
        (
            ProxyToolLaunch,
            "  field = \"ProcessCommandLine\"\n  regex = 'bastion\\.contoso\\.com$'",
            "ProcessCommandLine",
            r#"ProcessCommandLine matches regex "bastion\\.contoso\\.com$""#,
            vec![
                ("ssh admin@bastion.contoso.com".into(), true),
                ("ssh BASTION.contoso.com".into(), false),
                ("bastion.contoso.com.evil".into(), false),
            ],
        ),
        (
            ProxyToolLaunch,
            "  field = \"ProcessCommandLine\"\n  has = [\"-D \", \"socks5\"]",
            "ProcessCommandLine",
            r#"ProcessCommandLine has_any ("-D ", "socks5")"#,
            vec![
                ("ssh -D 1080 host".into(), true),
                ("ssh -d 1080 host".into(), true),
                ("gcc -DDEBUG".into(), false),
                ("ssh -D".into(), false),
                ("curl socks5h://x".into(), false),
                ("curl --socks5-hostname x".into(), true),
            ],
        ),
        (
            AnonymizedSignIn,
            "  field = \"IPAddress\"\n  cidr = \"203.0.113.0/28\"",
            "IPAddress",
            r#"coalesce(ipv4_is_in_any_range(IPAddress, dynamic(["203.0.113.0/28"])), false)"#,
            vec![
                ("203.0.113.10".into(), true),
                ("203.0.113.16".into(), false),
                ("".into(), false),
                ("203.0.113.10 ".into(), false),
                (" 203.0.113.10".into(), false),
                ("::ffff:203.0.113.10".into(), false),
                ("2001:db8::1".into(), false),
                ("not an address".into(), false),
            ],
        ),
        (
            TorPortConnection,
            "  field = \"IP\"\n  cidr = \"2001:db8::/32\"",
            "RemoteIP",
            r#"coalesce(ipv6_is_in_any_range(RemoteIP, dynamic(["2001:db8::/32"])), false)"#,
            vec![
                ("2001:DB8::5".into(), true),
                ("2001:db8:ffff::1".into(), true),
                ("2001:db9::1".into(), false),
                ("203.0.113.10".into(), false),
                ("".into(), false),
            ],
        ),
        (
            TorPortConnection,
            "  field = \"RemoteIP\"\n  cidr = [\"10.0.0.0/8\", \"::/0\"]",
            "RemoteIP",
            r#"(coalesce(ipv4_is_in_any_range(RemoteIP, dynamic(["10.0.0.0/8"])), false) or (coalesce(ipv6_is_in_any_range(RemoteIP, dynamic(["::/0"])), false) and not(coalesce(ipv4_is_in_range(RemoteIP, "0.0.0.0/0"), false))))"#,
            vec![
                ("10.1.2.3".into(), true),
                ("11.1.1.1".into(), false),
                ("fe80::1".into(), true),
                ("::ffff:11.1.1.1".into(), true),
                ("x".into(), false),
            ],
        ),
        (
            TorPortConnection,
            "  field = \"RemotePort\"\n  ports = [9050, 0, 65535]",
            "RemotePort",
            "coalesce(RemotePort in (9050, 0, 65535), false)",
            vec![
                ("9050".into(), true),
                ("0".into(), true),
                ("65535".into(), true),
                ("9051".into(), false),
                ("".into(), false),
            ],
        ),
        (
            TorPortConnection,
            "  field = \"RemotePort\"\n  equals = \"9050\"",
            "RemotePort",
            r#"tostring(RemotePort) =~ "9050""#,
            vec![("9050".into(), true), ("".into(), false)],
        ),
        (
            ProxyToolLaunch,
            "  field = \"FileName\"\n  equals = \"git\"\n  not = true",
            "FileName",
            r#"not(FileName =~ "git")"#,
            vec![
                ("git".into(), false),
                ("GIT".into(), false),
                ("tar".into(), true),
            ],
        ),
        (
            // FileName is not a column of the network leg: it is "" there, which never
            // equals "vpnagent.exe", so only the other field is tested.
            TorPortConnection,
            "  field = [\"InitiatingProcessFileName\", \"FileName\"]\n  equals = \"vpnagent.exe\"",
            "InitiatingProcessFileName",
            r#"InitiatingProcessFileName =~ "vpnagent.exe""#,
            vec![("VPNAgent.exe".into(), true), ("vpnui.exe".into(), false)],
        ),
        (
            ProxyToolLaunch,
            "  field = [\"FileName\", \"InitiatingProcessFileName\"]\n  equals = \"x\"",
            "FileName",
            r#"(FileName =~ "x" or InitiatingProcessFileName =~ "x")"#,
            vec![("X".into(), true), ("y".into(), false)],
        ),
    ];
    for (kind, when, column, kql, values) in cases {
        let f = filter_of(kind, when);
        let clause = filter_clause(&f, kind).unwrap().unwrap();
        assert_eq!(
            clause,
            format!("// proxyhunt filter t: t\n| where not({kql})"),
            "{when}"
        );
        for (value, suppressed) in values {
            assert_eq!(
                f.matches(&finding(kind, column, &value)),
                suppressed,
                "{when} on {value:?}"
            );
        }
    }
}

#[test]
fn a_field_a_leg_does_not_have_is_decided_as_the_rust_matcher_decides_it() {
    use DetectionType::*;
    let any = finding(TorPortConnection, "RemoteIP", "203.0.113.10");
    // DetectionType is the same on every row of a leg.
    let f = filter_of(
        TorPortConnection,
        "  field = \"DetectionType\"\n  equals = \"TorPortConnection\"",
    );
    assert!(f.matches(&any));
    assert_eq!(
        filter_clause(&f, TorPortConnection).unwrap().unwrap(),
        "// proxyhunt filter t: t\n| where not(true)"
    );
    // FileName is "" in the network leg: `*` matches it, "x" does not.
    let f = filter_of(TorPortConnection, "  field = \"FileName\"\n  glob = \"*\"");
    assert!(f.matches(&any));
    assert_eq!(
        filter_clause(&f, TorPortConnection).unwrap().unwrap(),
        "// proxyhunt filter t: t\n| where not(true)"
    );
    let f = filter_of(
        TorPortConnection,
        "  field = \"FileName\"\n  equals = \"x\"",
    );
    assert!(!f.matches(&any));
    assert_eq!(filter_clause(&f, TorPortConnection).unwrap(), None);
    let f = filter_of(
        TorPortConnection,
        "  field = \"FileName\"\n  glob = \"*\"\n  not = true",
    );
    assert!(!f.matches(&any));
    assert_eq!(filter_clause(&f, TorPortConnection).unwrap(), None);
    // What has no exact KQL form is refused, never approximated.
    for (kind, when, why) in [
        (
            ProxyToolLaunch,
            "  field = \"User\"\n  equals = \"bob\"",
            "User is normalised",
        ),
        (
            ProxyToolLaunch,
            "  field = [\"FileName\", \"User\"]\n  equals = \"bob\"",
            "User is normalised",
        ),
        (
            ProxyToolLaunch,
            "  field = \"Device\"\n  regex = \"^lab\"",
            "a regex on Device",
        ),
        (
            ProxyToolLaunch,
            "  field = \"Timestamp\"\n  glob = \"2026-*\"",
            "Timestamp is not text in KQL",
        ),
        (
            AnonymizedSignIn,
            "  field = \"AnonymizationType\"\n  has = \"tor\"",
            "AnonymizationType is not text in KQL",
        ),
        (
            ProxyToolLaunch,
            "  field = \"SourceFile\"\n  equals = \"x.csv\"",
            "SourceFile is proxyhunt's own column",
        ),
    ] {
        let err = filter_clause(&filter_of(kind, when), kind).unwrap_err();
        assert!(err.starts_with(why), "{when}: {err}");
    }
}

// ---- Hostile ids, titles and values cannot change the tuned rule ----

/// The string literals of one KQL line, decoded by Kusto's rules, and the text outside them.
/// Panics on a literal that Kusto's lexer would end early or reject.
fn kql_literals(line: &str) -> (Vec<String>, String) {
    let mut values = Vec::new();
    let mut outside = String::new();
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '"' {
            outside.push(c);
            continue;
        }
        let mut value = String::new();
        loop {
            match chars.next() {
                None => panic!("unterminated literal in {line}"),
                Some('"') => break,
                Some('\\') => match chars.next() {
                    Some('"') => value.push('"'),
                    Some('\\') => value.push('\\'),
                    Some('n') => value.push('\n'),
                    Some('r') => value.push('\r'),
                    Some('t') => value.push('\t'),
                    Some('u') => {
                        let hex: String = (0..4).filter_map(|_| chars.next()).collect();
                        let code = u32::from_str_radix(&hex, 16).expect("four hex digits");
                        value.push(char::from_u32(code).expect("a character"));
                    }
                    other => panic!("escape {other:?} in {line}"),
                },
                Some(c) => {
                    assert!(
                        !c.is_control()
                            && !matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}'),
                        "raw {c:?} in a literal of {line}"
                    );
                    value.push(c)
                }
            }
        }
        values.push(value);
    }
    (values, outside)
}

/// Checks a tuned rule made from hostile input: no raw control or bidi character anywhere; the
/// added lines are comments and `| where not(...)` clauses only, whose removal gives back the
/// seed text; outside string literals the clauses hold nothing from the input; and `expected`
/// values are found, exact, inside literals.
fn assert_contained(kql: &str, expected: &[&str]) {
    for c in kql.chars() {
        assert!(
            c == '\n'
                || !(c.is_control()
                    || proxyhunt::text::is_unsafe_char(c)
                    || matches!(c, '\u{2028}' | '\u{2029}')),
            "raw {c:?} in the tuned rule"
        );
    }
    let re = regex::Regex::new(r"\n// proxyhunt filter [^\n]*\n\| where not\([^\n]*\)").unwrap();
    let skipped = regex::Regex::new(r"\n// proxyhunt: filter [^\n]*").unwrap();
    let stripped = skipped
        .replace_all(&re.replace_all(kql, ""), "")
        .to_string();
    let seed = format!(
        "// Rule 000: Non-Interactive Sign-In via TOR or Anonymous Proxy\n{}\n// Query 004: Detect Multi-hop Proxy\n{}",
        proxyhunt::tuning::kql::RULE_000,
        proxyhunt::tuning::kql::QUERY_004
    );
    assert_eq!(stripped.trim_end(), seed.trim_end());
    let mut found = Vec::new();
    for line in kql.lines().filter(|l| l.starts_with("| where not(")) {
        let (values, outside) = kql_literals(line);
        assert!(!outside.contains("take"), "{line}");
        found.extend(values);
    }
    for e in expected {
        assert!(
            found.iter().any(|v| v == e),
            "{e:?} not in a literal: {found:?}"
        );
    }
}

const HOSTILE: &str = "evil\n| take 0\n//";

#[test]
fn hostile_ids_titles_and_values_stay_inside_literals_and_comments() {
    let dir = tempfile::tempdir().unwrap();
    let toml = format!(
        r#"[[filter]]
id = {id}
title = {title}
reason = {title}
detection_types = ["ProxyToolLaunch", "AnonymizedSignIn"]
  [[filter.when]]
  field = "FileName"
  in = [{hostile}, {quote}, {ansi}, {bidi}]
  [[filter.when]]
  field = ["ProcessCommandLine", "AppDisplayName"]
  has = [{hostile}]
  [[filter.when]]
  field = "DeviceName"
  glob = {glob}

[[filter]]
id = {id2}
title = "normalised user"
reason = "r"
detection_types = ["ProxyToolLaunch"]
  [[filter.when]]
  field = "User"
  equals = {hostile}
"#,
        id = toml_str(HOSTILE),
        id2 = toml_str("evil2\r\n| take 0\u{2028}| take 0"),
        title = toml_str("t\u{202e}\r\n| take 0\u{2029}// x"),
        hostile = toml_str(HOSTILE),
        quote = toml_str("q\"uote\\\" | take 0 //"),
        ansi = toml_str("\u{1b}[31mred\u{9b}"),
        bidi = toml_str("exe.\u{202e}txt"),
        glob = toml_str("lab\n| take 0*"),
    );
    let file = write(dir.path(), "hostile.toml", toml.as_bytes());
    let (code, kql, err) = run(&["kql", "--tuning", &file.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    assert_contained(
        &kql,
        &[
            HOSTILE,
            "q\"uote\\\" | take 0 //",
            "\u{1b}[31mred\u{9b}",
            "exe.\u{202e}txt",
        ],
    );
    assert_eq!(
        kql.matches("// proxyhunt filter evil | take 0 //: t\\u{202e}")
            .count(),
        1,
        "{kql}"
    );
    assert!(kql
        .contains("// proxyhunt: filter evil2  | take 0 | take 0 not applied to ProxyToolLaunch"));
    // The clause lands in the leg it concerns, and the sign-in rule has no FileName: the
    // filter matches no sign-in there, so nothing is added.
    assert_eq!(kql.matches("| where not(").count(), 1);
    assert!(!err.chars().any(|c| c.is_control() && c != '\n'), "{err:?}");
}

fn toml_str(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

#[test]
fn an_exclusion_saved_from_a_hostile_finding_stays_inside_literals() {
    use proxyhunt::tuning::proposal::{candidates, filter_block, proposed_filter};
    use proxyhunt::tuning::save::append_filter;
    let mut row = finding(DetectionType::ProxyToolLaunch, "DeviceName", HOSTILE);
    row.fields.push(("FileName", "tor\u{202e}exe.\"\\".into()));
    row.fields.push((
        "ProcessCommandLine",
        "tor.exe \"a\\\" | take 0 //\n| take 0".into(),
    ));
    row.fields
        .push(("InitiatingProcessFileName", "\u{1b}]0;title\u{7}".into()));
    let chosen: Vec<_> = candidates(&row)
        .into_iter()
        .filter(|c| c.field != "User")
        .map(|mut c| {
            c.chosen = true;
            c
        })
        .collect();
    assert!(chosen.len() >= 4, "{chosen:?}");
    // Made today: it expires in 90 days, so `kql` (judged today) still applies it.
    let filter = proposed_filter(&row, &chosen, "exclusion-1", &proxyhunt::tuning::today());
    assert!(
        filter.matches(&row),
        "the exclusion hides the finding it was made from"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("saved.toml");
    append_filter(&path, &filter_block(&filter, &chosen)).unwrap();
    // The saved file gives back the same filter, value for value.
    let (saved, issues) =
        parse_tuning("saved.toml", &std::fs::read_to_string(&path).unwrap()).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    assert!(saved[0].matches(&row));
    let (code, kql, err) = run(&["kql", "--tuning", &path.display().to_string()]);
    assert_eq!(code, 0, "{err}");
    assert_contained(
        &kql,
        &[
            HOSTILE,
            "tor\u{202e}exe.\"\\",
            "tor.exe \"a\\\" | take 0 //\n| take 0",
            "\u{1b}]0;title\u{7}",
        ],
    );
    assert_eq!(kql.matches("| where not(").count(), 1, "{kql}");
}

#[test]
fn a_regex_that_matches_every_value_is_left_out() {
    let filter = |id: &str, regex: &str| {
        format!(
            "[[filter]]\nid = \"{id}\"\ntitle = \"t\"\nreason = \"r\"\ndetection_types = [\"ProxyToolLaunch\"]\n  [[filter.when]]\n  field = \"ProcessCommandLine\"\n  regex = '{regex}'\n\n"
        )
    };
    let text = [
        filter("empty", ""),
        filter("dot-star", ".*"),
        filter("optional", "x?"),
        filter("only-empty", "^$"),
        filter("socks", "socks"),
    ]
    .concat();
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "regex.toml", text.as_bytes());
    let (code, _, err) = run(&[
        "hunt",
        "--tuning",
        &file.display().to_string(),
        "sample-data",
    ]);
    assert_eq!(code, 0, "{err}");
    for (id, pattern) in [("empty", ""), ("dot-star", ".*"), ("optional", "x?")] {
        assert!(
            err.contains(&format!(
                "filter \"{id}\" left out: regex {pattern:?} matches every value"
            )),
            "{id}: {err}"
        );
    }
    for id in ["only-empty", "socks"] {
        assert!(!err.contains(&format!("\"{id}\" left out")), "{id}: {err}");
    }
}
