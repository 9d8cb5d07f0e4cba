//! The command-line and export contracts: formats, atomic no-clobber writes, CSV formula
//! neutralisation, --detection, --table, exit codes.

mod common;

use common::*;

const FORMULA_PROC: &str = "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n\
2026-05-12T09:00:00.1234567Z,ws1,a,tor.exe,\"=cmd|' /C calc'!A0\",@SUM(1),-x\n";

fn formula_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "DeviceProcessEvents.csv",
        FORMULA_PROC.as_bytes(),
    );
    dir
}

#[test]
fn csv_neutralises_formulas_unless_raw() {
    let dir = formula_dir();
    let out = dir.path().join("findings.csv");
    let (code, _, err) = run(&[
        "hunt",
        dir.path().join("DeviceProcessEvents.csv").to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&out).unwrap();
    let row = text.lines().nth(1).unwrap();
    assert!(
        row.contains("'=cmd|' /C calc'!A0") && row.contains("'@SUM(1)") && row.contains("'-x"),
        "{row}"
    );
    assert!(row.contains("2026-05-12T09:00:00.1234567Z"), "{row}");
    let (_, raw, _) = run(&[
        "hunt",
        dir.path().join("DeviceProcessEvents.csv").to_str().unwrap(),
        "--format",
        "csv",
        "--csv-raw",
    ]);
    assert!(
        raw.lines()
            .nth(1)
            .unwrap()
            .contains(",=cmd|' /C calc'!A0,@SUM(1),-x,"),
        "{raw}"
    );
    assert!(
        text.starts_with("DetectionType,TimeGenerated,UserPrincipalName,"),
        "{text}"
    );
}

#[test]
fn existing_output_is_kept_without_force() {
    let dir = formula_dir();
    let input = dir.path().join("DeviceProcessEvents.csv");
    let out = write(dir.path(), "out.ndjson", b"precious\n");
    let (code, _, err) = run(&[
        "hunt",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("already exists; use --force"), "{err}");
    assert_eq!(std::fs::read_to_string(&out).unwrap(), "precious\n");
    let (code, _, _) = run(&[
        "hunt",
        input.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 0);
    assert!(std::fs::read_to_string(&out)
        .unwrap()
        .starts_with("{\"DetectionType\":\"ProxyToolLaunch\""));
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "no temporary file left behind");
}

#[test]
fn json_and_parquet_outputs() {
    let dir = tempfile::tempdir().unwrap();
    let (code, json, _) = run(&["hunt", "--sample", "--lookback", "rule", "--format", "json"]);
    assert_eq!(code, 0);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 41);
    let first = v[0].as_object().unwrap();
    let keys: Vec<&str> = first.keys().map(String::as_str).take(3).collect();
    assert_eq!(
        keys,
        ["DetectionType", "TimeGenerated", "UserPrincipalName"],
        "KQL column order"
    );

    let pq = dir.path().join("f.parquet");
    let (code, _, _) = run(&[
        "hunt",
        "--sample",
        "--lookback",
        "rule",
        "--out",
        pq.to_str().unwrap(),
    ]);
    assert_eq!(code, 0);
    use polars::prelude::*;
    let df = ParquetReader::new(std::fs::File::open(&pq).unwrap())
        .finish()
        .unwrap();
    assert_eq!(df.height(), 41);
    assert_eq!(df.column("RemotePort").unwrap().dtype(), &DataType::Int64);
}

#[test]
fn detection_selection_and_exit_codes() {
    let (code, out, _) = run(&["hunt", "--sample", "--detection", "multihop-proxy"]);
    assert_eq!(code, 0);
    assert!(!out.contains("AnonymizedSignIn") && out.contains("SSHMultiHopProxy"));
    let (code, _, err) = run(&["hunt", "--sample", "--detection", "nope"]);
    assert_eq!(code, 1);
    assert!(err.contains("--detection: unknown \"nope\""), "{err}");
    let (code, _, err) = run(&["hunt", "--sample", "--now", "soon"]);
    assert_eq!(code, 1);
    assert!(err.contains("--now: cannot read \"soon\""), "{err}");
    let (code, _, err) = run(&["hunt", "--sample", "--lookback", "fortnight"]);
    assert_eq!(code, 1);
    assert!(err.contains("--lookback"), "{err}");
    // An explicitly requested detection whose table is absent fails the run.
    let dir = formula_dir();
    let (code, _, err) = run(&[
        "hunt",
        dir.path().to_str().unwrap(),
        "--detection",
        "anonymized-signin",
    ]);
    assert_eq!(code, 2);
    assert!(
        err.contains("not run: AnonymizedSignIn: no AADNonInteractiveUserSignInLogs table loaded"),
        "{err}"
    );
    // By default an absent table only means that leg did not run.
    let (code, _, err) = run(&["hunt", dir.path().to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("not run: TorPortConnection"));
}

#[test]
fn table_option_forces_a_file() {
    let dir = tempfile::tempdir().unwrap();
    // Columns of both device tables: refused by column matching, accepted with --table.
    let p = write(dir.path(), "export.ndjson", br#"{"Timestamp":"2026-05-12T09:00:00Z","DeviceName":"ws1","AccountName":"a","FileName":"tor.exe","ProcessCommandLine":"tor.exe","RemoteIP":"","RemotePort":null}
"#);
    let (_, out, _) = run(&["check", p.to_str().unwrap()]);
    assert!(out.contains("several tables"), "{out}");
    let forced = format!("DeviceProcessEvents={}", p.display());
    let (code, out, _) = run(&["check", p.to_str().unwrap(), "--table", &forced]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("DeviceProcessEvents (by --table)"), "{out}");
    let (code, out, _) = run(&["hunt", p.to_str().unwrap(), "--table", &forced]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1);
    let (code, _, err) = run(&["check", p.to_str().unwrap(), "--table", "Nope=x"]);
    assert_eq!(code, 1);
    assert!(err.contains("--table"), "{err}");
}

#[test]
fn console_without_a_terminal_points_to_hunt() {
    // Test processes have no terminal on stdout: the console explains itself instead of drawing.
    let (code, out, err) = run(&[]);
    assert_eq!(code, 1);
    assert!(out.is_empty());
    assert!(
        err.contains("the console needs a terminal") && err.contains("proxyhunt hunt"),
        "{err}"
    );
}

#[test]
fn check_on_the_sample() {
    let (code, out, _) = run(&["check", "--sample"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("(embedded sample data)"));
    assert!(
        out.contains("AnonymizedSignIn   anonymized-signin   can run"),
        "{out}"
    );
}

#[test]
fn generated_data_gives_exactly_the_planted_findings() {
    let dir = tempfile::tempdir().unwrap();
    for format in ["csv", "ndjson"] {
        let d = dir.path().join(format);
        let (code, out, err) = run(&[
            "generate",
            "--out",
            d.to_str().unwrap(),
            "--signins",
            "60000",
            "--process",
            "20000",
            "--network",
            "20000",
            "--ti",
            "500",
            "--seed",
            "7",
            "--format",
            format,
        ]);
        assert_eq!(code, 0, "{err}");
        let expected: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
        let (code, findings, err) = run(&["hunt", d.to_str().unwrap()]);
        assert_eq!(code, 0, "{err}");
        for (kind, n) in expected.as_object().unwrap() {
            let got = findings
                .lines()
                .filter(|l| l.contains(&format!("\"DetectionType\":\"{kind}\"")))
                .count() as u64;
            assert_eq!(got, n.as_u64().unwrap(), "{format} {kind}");
            assert!(got > 0, "{format}: some {kind} planted");
        }
    }
}

#[test]
fn replay_alerts_are_shaped_like_security_alert() {
    let (code, out, err) = common::run(&["replay", "--sample", "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    let doc: serde_json::Value = serde_json::from_str(&out).unwrap();
    let alerts = doc["untuned"]["alerts"].as_array().unwrap();
    assert!(!alerts.is_empty());
    for alert in alerts {
        for field in [
            "AlertName",
            "Description",
            "AlertSeverity",
            "Tactics",
            "Techniques",
            "ProviderName",
            "StartTime",
            "EndTime",
            "TimeGenerated",
            "Entities",
        ] {
            assert!(alert.get(field).is_some(), "{field} in {alert}");
        }
        let ext = &alert["ExtendedProperties"];
        let end = ext["Query End Time UTC"].as_str().unwrap();
        assert!(ext["Query Start Time UTC"].is_string());
        assert!(ext["Search Query Results Overall Count"].is_string());
        assert!(ext["Custom Details"].is_object());
        // The query Sentinel would link to: the rule's, evaluated at the run's time.
        let query = ext["Query"].as_str().unwrap();
        assert!(query.starts_with("set query_now = datetime("), "{query}");
        assert!(query.contains("ThreatIntelIndicators"), "{query}");
        assert!(query.contains(&end[..10]), "{query} at {end}");
        assert!(
            ext.get("OriginalQuery").is_none(),
            "SingleAlert has no OriginalQuery"
        );
    }
}

#[test]
fn replay_says_an_expired_filter_still_applies_before_its_expiry() {
    let tuning = repo().join("sample-data/tuning.toml");
    let (code, _, err) = run(&["replay", "--sample", "--tuning", tuning.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains(
            "expired on 2026-04-01; the replay applies it to the runs dated before that day"
        ),
        "{err}"
    );
    assert!(!err.contains("it is off"), "{err}");
    let (_, _, hunt_err) = run(&["hunt", "--sample", "--tuning", tuning.to_str().unwrap()]);
    assert!(
        hunt_err.contains("expired on 2026-04-01; it is off"),
        "{hunt_err}"
    );
}
