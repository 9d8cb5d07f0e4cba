//! Kusto semantics as tables of small cases: each row is one event (and, for sign-ins, one
//! indicator) and whether Kusto returns it. `now` is fixed so the strict `>` edges are exact.

mod common;

use common::*;
use proxyhunt::detect::{DetectionId, Lookback};
use serde_json::{json, Value};

const NOW: &str = "2026-05-12T10:00:00Z";

/// Runs one detection over the given tables and returns its contract records.
fn findings(
    tables: &[(&str, Vec<Value>)],
    detection: DetectionId,
    lookback: Lookback,
) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    for (name, rows) in tables {
        write(dir.path(), &format!("{name}.ndjson"), &ndjson(rows));
    }
    let ds = load_dir(dir.path());
    let mut opts = options(lookback, Some(NOW));
    opts.detections = vec![detection];
    let records = contract_records(&ds, &opts);
    // `hunt` types only the rows that can match: every case must come out the same that way,
    // with the same messages.
    let filtered = load_dir_for_hunt(dir.path(), &[detection]);
    assert_eq!(contract_records(&filtered, &opts), records, "filtered load");
    assert_eq!(filtered.issues.lines(), ds.issues.lines(), "filtered load");
    records
}

fn indicator(fields: Value) -> Value {
    let mut base = json!({
        "TimeGenerated": "2026-05-11T10:00:00Z", "IsActive": true, "ValidUntil": "",
        "Tags": "tor", "Pattern": "[ipv4-addr:value = '1.2.3.4']", "Id": "i1"
    });
    base.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    base
}

fn signin(fields: Value) -> Value {
    let mut base = json!({
        "TimeGenerated": "2026-05-12T09:30:00Z", "UserPrincipalName": "carol@contoso.com", "AppDisplayName": "Graph",
        "IPAddress": "1.2.3.4", "Location": "DE", "ResultType": "0", "ConditionalAccessStatus": "notApplied",
        "AuthenticationRequirement": "singleFactorAuthentication", "CorrelationId": "c1", "UniqueTokenIdentifier": "u1"
    });
    base.as_object_mut()
        .unwrap()
        .extend(fields.as_object().unwrap().clone());
    base
}

#[test]
fn threat_intel_filters() {
    let cases: Vec<(&str, Value, bool)> = vec![
        ("fresh tor indicator", json!({}), true),
        (
            "generated exactly 30d ago (strict >)",
            json!({"TimeGenerated": "2026-04-12T10:00:00Z"}),
            false,
        ),
        (
            "generated 30d ago less 100ns",
            json!({"TimeGenerated": "2026-04-12T10:00:00.0000001Z"}),
            true,
        ),
        ("valid until exactly now", json!({"ValidUntil": NOW}), false),
        (
            "valid until now + 100ns",
            json!({"ValidUntil": "2026-05-12T10:00:00.0000001Z"}),
            true,
        ),
        ("ValidUntil null", json!({"ValidUntil": null}), true),
        ("inactive", json!({"IsActive": false}), false),
        ("IsActive missing", json!({"IsActive": null}), false),
        ("IsActive TRUE text", json!({"IsActive": "TRUE"}), true),
        ("IsActive 1", json!({"IsActive": 1}), true),
        ("IsActive null as text", json!({"IsActive": "null"}), false),
        (
            "ValidUntil NULL as text",
            json!({"ValidUntil": "NULL"}),
            true,
        ),
        ("Tags Tor", json!({"Tags": "Tor"}), true),
        (
            "Tags JSON text",
            json!({"Tags": "[\"Tor\",\"indicator\"]"}),
            true,
        ),
        ("Tags torproject", json!({"Tags": "torproject"}), false),
        ("Tags proxying", json!({"Tags": "proxying"}), false),
        (
            "Tags vpn-commercial",
            json!({"Tags": "vpn-commercial"}),
            true,
        ),
        ("Tags anonymity", json!({"Tags": "anonymity"}), true),
        ("Tags anonymizer", json!({"Tags": "anonymizer"}), true),
        ("Tags malware", json!({"Tags": "malware"}), false),
        (
            "pattern upper case: has matches, extract does not",
            json!({"Pattern": "[IPV4-ADDR:VALUE = '1.2.3.4']"}),
            false,
        ),
        (
            "pattern without spaces",
            json!({"Pattern": "[ipv4-addr:value='1.2.3.4']"}),
            false,
        ),
        (
            "pattern ipv6",
            json!({"Pattern": "[ipv6-addr:value = '1.2.3.4']"}),
            false,
        ),
        (
            "pattern with empty value",
            json!({"Pattern": "[ipv4-addr:value = '']"}),
            false,
        ),
        (
            "first of two addresses",
            json!({"Pattern": "[ipv4-addr:value = '1.2.3.4' OR ipv4-addr:value = '5.6.7.8']"}),
            true,
        ),
        (
            "second of two addresses is not extracted",
            json!({"Pattern": "[ipv4-addr:value = '5.6.7.8' OR ipv4-addr:value = '1.2.3.4']"}),
            false,
        ),
        (
            "ObservableValue is not consulted",
            json!({"Pattern": "[ipv4-addr:value = '9.9.9.9']", "ObservableValue": "1.2.3.4"}),
            false,
        ),
    ];
    for (label, fields, expected) in cases {
        let got = findings(
            &[
                ("ThreatIntelIndicators", vec![indicator(fields)]),
                ("AADNonInteractiveUserSignInLogs", vec![signin(json!({}))]),
            ],
            DetectionId::AnonymizedSignin,
            Lookback::Rule,
        );
        assert_eq!(got.len(), usize::from(expected), "{label}: {got:?}");
    }
}

#[test]
fn sign_in_filters_and_join() {
    let cases: Vec<(&str, Value, Lookback, bool)> = vec![
        ("in the hour", json!({}), Lookback::Rule, true),
        (
            "exactly an hour ago (strict >)",
            json!({"TimeGenerated": "2026-05-12T09:00:00Z"}),
            Lookback::Rule,
            false,
        ),
        (
            "an hour ago less 100ns",
            json!({"TimeGenerated": "2026-05-12T09:00:00.0000001Z"}),
            Lookback::Rule,
            true,
        ),
        (
            "after now (no upper bound)",
            json!({"TimeGenerated": "2026-05-12T11:00:00Z"}),
            Lookback::Rule,
            true,
        ),
        (
            "two hours ago, rule window",
            json!({"TimeGenerated": "2026-05-12T08:00:00Z"}),
            Lookback::Rule,
            false,
        ),
        (
            "two hours ago, all events",
            json!({"TimeGenerated": "2026-05-12T08:00:00Z"}),
            Lookback::All,
            true,
        ),
        (
            "two hours ago, --lookback 3h",
            json!({"TimeGenerated": "2026-05-12T08:00:00Z"}),
            Lookback::Duration(3 * 3_600_000_000_000),
            true,
        ),
        (
            "ResultType number 0",
            json!({"ResultType": 0}),
            Lookback::Rule,
            true,
        ),
        (
            "ResultType 00",
            json!({"ResultType": "00"}),
            Lookback::Rule,
            false,
        ),
        (
            "ResultType 50126",
            json!({"ResultType": "50126"}),
            Lookback::Rule,
            false,
        ),
        (
            "ResultType with a space",
            json!({"ResultType": " 0"}),
            Lookback::Rule,
            false,
        ),
        (
            "IPAddress with a leading space",
            json!({"IPAddress": " 1.2.3.4"}),
            Lookback::Rule,
            false,
        ),
        (
            "another address",
            json!({"IPAddress": "1.2.3.40"}),
            Lookback::Rule,
            false,
        ),
        (
            "offset time",
            json!({"TimeGenerated": "2026-05-12T11:30:00+02:00"}),
            Lookback::Rule,
            true,
        ),
        (
            "portal time",
            json!({"TimeGenerated": "5/12/2026, 9:30:00.000 AM"}),
            Lookback::Rule,
            true,
        ),
    ];
    for (label, fields, lookback, expected) in cases {
        let got = findings(
            &[
                ("ThreatIntelIndicators", vec![indicator(json!({}))]),
                ("AADNonInteractiveUserSignInLogs", vec![signin(fields)]),
            ],
            DetectionId::AnonymizedSignin,
            lookback,
        );
        assert_eq!(got.len(), usize::from(expected), "{label}: {got:?}");
    }
}

#[test]
fn make_set_and_inner_join_multiplicity() {
    let ti = vec![
        indicator(json!({"Tags": "tor"})),
        indicator(json!({"Tags": "tor", "Id": "i2"})),
        indicator(json!({"Tags": "Tor"})),
        indicator(json!({"Tags": "proxy,tor"})),
        indicator(json!({"Tags": "malware"})),
    ];
    let signins = vec![signin(json!({})), signin(json!({"CorrelationId": "c2"}))];
    let got = findings(
        &[
            ("ThreatIntelIndicators", ti),
            ("AADNonInteractiveUserSignInLogs", signins),
        ],
        DetectionId::AnonymizedSignin,
        Lookback::All,
    );
    assert_eq!(
        got.len(),
        2,
        "one finding per sign-in: the TI side is summarised by address"
    );
    for f in &got {
        assert_eq!(
            f["AnonymizationType"],
            json!(["Tor", "proxy,tor", "tor"]),
            "distinct, exact, sorted"
        );
    }
    assert_eq!(
        got.iter()
            .map(|f| f["CorrelationId"].as_str().unwrap())
            .collect::<std::collections::BTreeSet<_>>(),
        ["c1", "c2"].into_iter().collect()
    );
}

fn process(file: &str, cmd: &str) -> Value {
    json!({"Timestamp": "2026-05-12T09:00:00Z", "DeviceName": "ws1", "AccountName": "a", "FileName": file,
           "ProcessCommandLine": cmd, "InitiatingProcessFileName": "cmd.exe", "InitiatingProcessCommandLine": "cmd.exe"})
}

#[test]
fn process_legs() {
    // (FileName, ProcessCommandLine, ProxyToolLaunch?, SSHMultiHopProxy?)
    let cases: &[(&str, &str, bool, bool)] = &[
        ("tor.exe", "tor.exe --SocksPort 9050", true, false),
        ("TOR.EXE", "x", true, false),
        ("mytor.exe", "mytor.exe", false, false),
        ("tor.exe.bak", "x", true, false),
        ("proxychains4", "proxychains4 -q curl x", false, false),
        (
            "proxychains4",
            "proxychains4 -f /tmp/test_proxychains.conf nmap",
            true,
            false,
        ),
        ("Proxifier.exe", "Proxifier.exe", true, false),
        ("privoxy.exe", "privoxy.exe config.txt", false, false),
        (
            "curl.exe",
            "curl --socks5-hostname 127.0.0.1:9050 x",
            true,
            false,
        ),
        (
            "curl.exe",
            "curl -x socks5h://127.0.0.1:9050 x",
            false,
            false,
        ),
        ("curl.exe", "curl -x SOCKS4://h x", true, false),
        ("docker", "docker run -d nginx", true, false),
        ("gcc", "gcc -DDEBUG main.c", false, false),
        ("ssh.exe", "ssh -D 1080 host", true, true),
        ("ssh", "ssh -J bastion host", false, true),
        ("SSH.EXE", "SSH.EXE -w 0:0 root@h", false, true),
        ("plink.exe", "plink.exe -D 9090 -batch h", true, true),
        ("ssh.exe", "ssh host -D", false, false),
        ("ssh.exe", "ssh -oProxyCommand=nc host", false, false),
        ("ssh.exe", "ssh -o ProxyCommand=nc host", true, true),
        ("ssh.exe", "ssh -o ProxyJump=b host", true, true),
        ("ssh.exe", "ssh -o DynamicForward=1080 host", true, true),
        ("ssh2", "ssh2 -J b host", false, false),
        ("autossh", "autossh -M 0 -D 1080 h", true, false),
        ("ssh.exe", "ssh \u{17F}ocks5 -J b", false, true),
        ("x.exe", "x \u{17F}ocks5", false, false),
        ("x.exe", "éproxychains", true, false),
    ];
    for &(file, cmd, ptl, ssh) in cases {
        let got = findings(
            &[("DeviceProcessEvents", vec![process(file, cmd)])],
            DetectionId::MultihopProxy,
            Lookback::Rule,
        );
        let kinds: Vec<&str> = got
            .iter()
            .map(|f| f["DetectionType"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds.contains(&"ProxyToolLaunch"),
            ptl,
            "{file} / {cmd}: {kinds:?}"
        );
        assert_eq!(
            kinds.contains(&"SSHMultiHopProxy"),
            ssh,
            "{file} / {cmd}: {kinds:?}"
        );
        assert_eq!(kinds.len(), usize::from(ptl) + usize::from(ssh));
    }
}

#[test]
fn network_leg() {
    let row = |port: Value, kind: &str| {
        json!({"Timestamp": "2026-05-12T09:00:00Z", "DeviceName": "ws1", "RemoteIP": "1.2.3.4", "RemotePort": port,
               "RemoteIPType": kind, "RemoteUrl": "", "InitiatingProcessFileName": "tor.exe", "InitiatingProcessCommandLine": "tor.exe"})
    };
    let cases: Vec<(Value, &str, bool)> = vec![
        (json!(9001), "Public", true),
        (json!(9030), "Public", true),
        (json!(9040), "Public", true),
        (json!(9050), "Public", true),
        (json!(9051), "Public", true),
        (json!(9150), "Public", true),
        (json!(9151), "Public", true),
        (json!(9052), "Public", false),
        (json!(443), "Public", false),
        (json!("9050"), "Public", true),
        (json!(9050.0), "Public", true),
        (json!(""), "Public", false),
        (json!(null), "Public", false),
        (json!(9050), "public", false),
        (json!(9050), " Public", false),
        (json!(9050), "Private", false),
        (json!(9050), "Loopback", false),
    ];
    for (port, kind, expected) in cases {
        let got = findings(
            &[("DeviceNetworkEvents", vec![row(port.clone(), kind)])],
            DetectionId::MultihopProxy,
            Lookback::Rule,
        );
        assert_eq!(got.len(), usize::from(expected), "{port} {kind:?}: {got:?}");
        if expected {
            assert!(got[0]["RemotePort"].is_i64(), "RemotePort is an integer");
        }
    }
}

#[test]
fn device_window_is_24_hours_strict() {
    let at = |t: &str| {
        let mut r = process("tor.exe", "tor.exe");
        r["Timestamp"] = json!(t);
        r
    };
    let rule = |t: &str| {
        findings(
            &[("DeviceProcessEvents", vec![at(t)])],
            DetectionId::MultihopProxy,
            Lookback::Rule,
        )
        .len()
    };
    assert_eq!(rule("2026-05-11T10:00:00Z"), 0);
    assert_eq!(rule("2026-05-11T10:00:00.0000001Z"), 1);
    // TimeGenerated stands in for a missing Timestamp (Sentinel exports carry both).
    let mut r = process("tor.exe", "tor.exe");
    r.as_object_mut().unwrap().remove("Timestamp");
    r["TimeGenerated"] = json!("2026-05-12T09:00:00Z");
    assert_eq!(
        findings(
            &[("DeviceProcessEvents", vec![r])],
            DetectionId::MultihopProxy,
            Lookback::Rule
        )
        .len(),
        1
    );
}
