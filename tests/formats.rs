//! Every input format gives the same findings: the sample's device tables rewritten as CSV,
//! JSON array, NDJSON, Log Analytics API response, Graph hunting response, Parquet and gzip.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use proxyhunt::detect::Lookback;
use serde_json::{json, Map, Value};

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(repo().join("sample-data").join(name)).expect("sample file")
}

/// The sample process events (NDJSON) and network events (API response) as objects.
type Rows = Vec<Map<String, Value>>;

fn objects() -> (Rows, Rows) {
    let process = String::from_utf8(sample("DeviceProcessEvents.ndjson"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Map<String, Value>>(l).unwrap())
        .collect();
    let doc: Value = serde_json::from_slice(&sample("DeviceNetworkEvents.json")).unwrap();
    let t = &doc["tables"][0];
    let names: Vec<String> = t["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap().to_string())
        .collect();
    let network = t["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            names
                .iter()
                .cloned()
                .zip(r.as_array().unwrap().iter().cloned())
                .collect()
        })
        .collect();
    (process, network)
}

fn headers(rows: &[Map<String, Value>]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for r in rows {
        for k in r.keys() {
            if !out.contains(k) {
                out.push(k.clone());
            }
        }
    }
    out
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

fn to_csv(rows: &[Map<String, Value>], crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    let h = headers(rows);
    let quote = |s: &str| format!("\"{}\"", s.replace('"', "\"\""));
    let mut out = String::from("\u{feff}");
    out.push_str(
        &h.iter()
            .map(|c| {
                if c == "Timestamp" {
                    "Timestamp [UTC]".to_string()
                } else {
                    c.clone()
                }
            })
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push_str(eol);
    for r in rows {
        out.push_str(
            &h.iter()
                .map(|c| quote(&cell(r.get(c))))
                .collect::<Vec<_>>()
                .join(","),
        );
        out.push_str(eol);
    }
    out.into_bytes()
}

fn to_array(rows: &[Map<String, Value>]) -> Vec<u8> {
    serde_json::to_vec_pretty(rows).unwrap()
}

fn to_ndjson(rows: &[Map<String, Value>]) -> Vec<u8> {
    rows.iter()
        .map(|r| serde_json::to_string(r).unwrap() + "\r\n")
        .collect::<String>()
        .into_bytes()
}

fn to_api(rows: &[Map<String, Value>]) -> Vec<u8> {
    let h = headers(rows);
    let body: Vec<Value> = rows
        .iter()
        .map(|r| {
            Value::Array(
                h.iter()
                    .map(|c| r.get(c).cloned().unwrap_or(Value::Null))
                    .collect(),
            )
        })
        .collect();
    let cols: Vec<Value> = h
        .iter()
        .map(|c| json!({"name": c, "type": "string"}))
        .collect();
    serde_json::to_vec(
        &json!({"tables": [{"name": "PrimaryResult", "columns": cols, "rows": body}]}),
    )
    .unwrap()
}

fn to_hunting(rows: &[Map<String, Value>]) -> Vec<u8> {
    let h = headers(rows);
    let schema: Vec<Value> = h
        .iter()
        .map(|c| json!({"Name": c, "Type": "String"}))
        .collect();
    serde_json::to_vec(&json!({"@odata.context": "x", "Schema": schema, "Results": rows})).unwrap()
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

fn baseline() -> Vec<Value> {
    canonical(contract_records(
        &proxyhunt::data::load::load_sample(),
        &options(Lookback::All, None),
    ))
}

fn hunt_dir(dir: &Path) -> Vec<Value> {
    let ds = load_dir(dir);
    assert_eq!(ds.issues.errors(), 0, "{:?}", ds.issues.lines());
    canonical(contract_records(&ds, &options(Lookback::All, None)))
}

/// The sample's sign-ins and threat intel, plus the given device-table files.
fn variant(device_files: &[(&str, &[u8])]) -> Vec<Value> {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "AADNonInteractiveUserSignInLogs.csv",
        &sample("AADNonInteractiveUserSignInLogs.csv"),
    );
    write(
        dir.path(),
        "ThreatIntelIndicators.json",
        &sample("ThreatIntelIndicators.json"),
    );
    for (name, bytes) in device_files {
        write(dir.path(), name, bytes);
    }
    hunt_dir(dir.path())
}

#[test]
fn every_text_format_gives_the_same_findings() {
    let want = baseline();
    let (p, n) = objects();
    type File<'a> = (&'a str, Vec<u8>);
    let cases: Vec<(&str, File, File)> = vec![
        (
            "csv",
            ("DeviceProcessEvents.csv", to_csv(&p, true)),
            ("DeviceNetworkEvents.csv", to_csv(&n, false)),
        ),
        (
            "json array",
            ("DeviceProcessEvents.json", to_array(&p)),
            ("DeviceNetworkEvents.json", to_array(&n)),
        ),
        (
            "ndjson",
            ("DeviceProcessEvents.jsonl", to_ndjson(&p)),
            ("DeviceNetworkEvents.ndjson", to_ndjson(&n)),
        ),
        (
            "api",
            ("DeviceProcessEvents.json", to_api(&p)),
            ("DeviceNetworkEvents.json", to_api(&n)),
        ),
        (
            "hunting",
            ("DeviceProcessEvents.json", to_hunting(&p)),
            ("DeviceNetworkEvents.json", to_hunting(&n)),
        ),
        (
            "gzip",
            ("DeviceProcessEvents.csv.gz", gz(&to_csv(&p, true))),
            ("DeviceNetworkEvents.ndjson.gz", gz(&to_ndjson(&n))),
        ),
        (
            "split",
            ("DeviceProcessEvents_part1.json", to_array(&p[..100])),
            ("DeviceNetworkEvents.json", to_api(&n)),
        ),
    ];
    for (label, process, network) in cases {
        let mut files: Vec<(&str, &[u8])> = vec![(process.0, &process.1), (network.0, &network.1)];
        let second_part = to_ndjson(&p[100..]);
        if label == "split" {
            files.push(("DeviceProcessEvents_part2.ndjson", &second_part));
        }
        let got = variant(&files);
        assert_eq!(got, want, "format {label}");
    }
}

#[test]
fn parquet_gives_the_same_findings() {
    use polars::prelude::*;
    let want = baseline();
    let ds = proxyhunt::data::load::load_sample();
    let dir = tempfile::tempdir().unwrap();
    for (t, name) in [
        (
            proxyhunt::data::schema::TableKind::DeviceProcess,
            "DeviceProcessEvents.parquet",
        ),
        (
            proxyhunt::data::schema::TableKind::DeviceNetwork,
            "DeviceNetworkEvents.parquet",
        ),
        (
            proxyhunt::data::schema::TableKind::ThreatIntel,
            "ThreatIntelIndicators.parquet",
        ),
    ] {
        let mut df = ds.tables[&t].clone();
        let f = std::fs::File::create(dir.path().join(name)).unwrap();
        ParquetWriter::new(f).finish(&mut df).unwrap();
    }
    write(
        dir.path(),
        "AADNonInteractiveUserSignInLogs.csv",
        &sample("AADNonInteractiveUserSignInLogs.csv"),
    );
    assert_eq!(hunt_dir(dir.path()), want);
}

#[test]
fn parquet_datetimes_in_other_units_and_zones() {
    use polars::prelude::*;
    let want = baseline();
    let ds = proxyhunt::data::load::load_sample();
    let dir = tempfile::tempdir().unwrap();
    let mut df = ds.tables[&proxyhunt::data::schema::TableKind::DeviceProcess].clone();
    // Microsecond, zone-aware timestamps, as pyarrow and Spark write them. The sample's
    // 7-digit times lose their last digit here, so compare the findings on that table only.
    let ts = df
        .column("Timestamp")
        .unwrap()
        .cast(&DataType::Datetime(
            TimeUnit::Microseconds,
            Some(TimeZone::UTC),
        ))
        .unwrap();
    df.with_column(ts).unwrap();
    let f = std::fs::File::create(dir.path().join("DeviceProcessEvents.parquet")).unwrap();
    ParquetWriter::new(f).finish(&mut df).unwrap();
    let ds2 = load_dir(dir.path());
    assert_eq!(ds2.issues.total(), 0, "{:?}", ds2.issues.lines());
    let mut opts = options(Lookback::All, Some("2026-05-12T10:00:00Z"));
    opts.detections = vec![proxyhunt::detect::DetectionId::MultihopProxy];
    let got = contract_records(&ds2, &opts);
    let process_kinds = ["ProxyToolLaunch", "SSHMultiHopProxy"];
    let expected = want
        .iter()
        .filter(|r| process_kinds.contains(&r["DetectionType"].as_str().unwrap()))
        .count();
    assert_eq!(got.len(), expected);
    for r in &got {
        let t = r["Timestamp"].as_str().unwrap();
        assert!(
            t.ends_with('Z') && t.len() <= "2026-05-12T10:00:00.123456Z".len(),
            "{t}"
        );
    }
}

#[test]
fn duplicate_files_double_the_findings() {
    // Kusto keeps duplicate rows; so does concatenating two copies of an export.
    let dir = tempfile::tempdir().unwrap();
    let proc_ = sample("DeviceProcessEvents.ndjson");
    write(dir.path(), "DeviceProcessEvents_a.ndjson", &proc_);
    write(dir.path(), "DeviceProcessEvents_b.ndjson", &proc_);
    let ds = load_dir(dir.path());
    let mut opts = options(Lookback::All, None);
    opts.detections = vec![proxyhunt::detect::DetectionId::MultihopProxy];
    let doubled = contract_records(&ds, &opts);
    let single = baseline()
        .into_iter()
        .filter(|r| {
            r["DetectionType"] != "AnonymizedSignIn" && r["DetectionType"] != "TorPortConnection"
        })
        .count();
    assert_eq!(doubled.len(), 2 * single);
}

/// The rows as Defender streaming-API records of `table` (one JSON object per line, the row
/// in `properties`), as a Storage account blob (`PT1H.json`) holds them.
fn to_streaming(rows: &[Map<String, Value>], table: &str) -> Vec<String> {
    rows.iter()
        .map(|r| {
            serde_json::to_string(&json!({
                "time": r.get("Timestamp").cloned().unwrap_or(Value::Null),
                "tenantId": "00000000-0000-0000-0000-000000000000",
                "operationName": "Publish",
                "category": format!("AdvancedHunting-{table}"),
                "properties": r,
            }))
            .unwrap()
        })
        .collect()
}

fn cr_only(bytes: Vec<u8>) -> Vec<u8> {
    String::from_utf8(bytes)
        .unwrap()
        .replace("\r\n", "\r")
        .replace('\n', "\r")
        .into_bytes()
}

#[test]
fn more_shapes_give_the_same_findings() {
    let want = baseline();
    let (p, n) = objects();
    let concat = |a: Vec<u8>, b: Vec<u8>| [a, b"\n".to_vec(), b].concat();
    // PowerShell 5.1 `Export-Csv`: a #TYPE line, every field quoted, CRLF.
    let powershell = [
        b"#TYPE System.Management.Automation.PSCustomObject\r\n".to_vec(),
        to_csv(&p, true)[3..].to_vec(),
    ]
    .concat();
    type File<'a> = (&'a str, Vec<u8>);
    let cases: Vec<(&str, File, File)> = vec![
        (
            "cr-only csv",
            ("DeviceProcessEvents.csv", cr_only(to_csv(&p, false))),
            ("DeviceNetworkEvents.csv", cr_only(to_csv(&n, true))),
        ),
        (
            "powershell",
            ("DeviceProcessEvents.csv", powershell),
            ("DeviceNetworkEvents.csv", to_csv(&n, true)),
        ),
        (
            "concatenated documents",
            (
                "DeviceProcessEvents.json",
                concat(to_array(&p[..90]), to_array(&p[90..])),
            ),
            (
                "DeviceNetworkEvents.json",
                concat(to_api(&n[..100]), to_api(&n[100..])),
            ),
        ),
        (
            "odata pages",
            (
                "DeviceProcessEvents.json",
                concat(
                    serde_json::to_vec(&json!({"@odata.context": "x", "value": &p[..50]})).unwrap(),
                    serde_json::to_vec(&json!({"value": &p[50..]})).unwrap(),
                ),
            ),
            ("DeviceNetworkEvents.json", to_hunting(&n)),
        ),
    ];
    for (label, process, network) in cases {
        let files: Vec<(&str, &[u8])> = vec![(process.0, &process.1), (network.0, &network.1)];
        assert_eq!(variant(&files), want, "format {label}");
    }
}

#[test]
fn streaming_api_blobs_and_event_hubs_batches() {
    let want = baseline();
    let (p, n) = objects();
    let mut lines = to_streaming(&p, "DeviceProcessEvents");
    lines.extend(to_streaming(&n, "DeviceNetworkEvents"));
    // A table proxyhunt does not read, mixed in.
    lines.insert(
        3,
        r#"{"time":"2026-05-12T09:00:00Z","category":"AdvancedHunting-DeviceFileEvents","properties":{"FileName":"x.exe"}}"#.into(),
    );
    // A blob written into the folder layout the Storage account uses.
    let dir = tempfile::tempdir().unwrap();
    let blob = dir.path().join(
        "insights-logs-advancedhunting-deviceprocessevents/tenantId=0/y=2026/m=05/d=12/h=09/m=00",
    );
    std::fs::create_dir_all(&blob).unwrap();
    write(&blob, "PT1H.json", (lines.join("\n") + "\n").as_bytes());
    write(
        dir.path(),
        "AADNonInteractiveUserSignInLogs.csv",
        &sample("AADNonInteractiveUserSignInLogs.csv"),
    );
    write(
        dir.path(),
        "ThreatIntelIndicators.json",
        &sample("ThreatIntelIndicators.json"),
    );
    let ds = load_dir(dir.path());
    assert_eq!(ds.issues.errors(), 0, "{:?}", ds.issues.lines());
    assert_eq!(
        canonical(contract_records(&ds, &options(Lookback::All, None))),
        want
    );
    let names: Vec<&str> = ds.files.iter().map(|f| f.name.as_str()).collect();
    assert!(
        names
            .iter()
            .any(|n| n.ends_with("PT1H.json#DeviceFileEvents")),
        "{names:?}"
    );
    let unknown = ds
        .files
        .iter()
        .find(|f| f.name.ends_with("#DeviceFileEvents"))
        .unwrap();
    assert!(unknown.table.is_none());

    // Event Hubs: {"records": [...]} batches, one per line or pretty-printed.
    let records = |rows: &[String]| {
        let values: Vec<Value> = rows
            .iter()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        serde_json::to_vec(&json!({ "records": values })).unwrap()
    };
    let batches = [
        records(&lines[..120]),
        b"\n".to_vec(),
        records(&lines[120..]),
    ]
    .concat();
    let got = variant(&[("eventhub-capture.json", &batches)]);
    assert_eq!(got, want);
}

#[test]
fn graph_sign_ins_are_read_as_mapped_sign_ins() {
    // The sample's sign-ins as Graph's /auditLogs/signIns pages (tools/fixtures/make_graph_signins.py).
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "signIns.json",
        &std::fs::read(repo().join("tests/fixtures/graph/signIns.json")).unwrap(),
    );
    write(
        dir.path(),
        "ThreatIntelIndicators.json",
        &sample("ThreatIntelIndicators.json"),
    );
    let ds = load_dir(dir.path());
    assert_eq!(ds.issues.errors(), 0, "{:?}", ds.issues.lines());
    let report = ds
        .files
        .iter()
        .find(|f| f.name.ends_with("signIns.json"))
        .expect("the Graph file's report");
    assert_eq!(
        report.table.map(|(t, _)| t),
        Some(proxyhunt::data::schema::TableKind::SignIn)
    );
    let notes = report.notes.join("\n");
    for mapped in [
        "status.errorCode",
        "location.countryOrRegion",
        "createdDateTime",
    ] {
        assert!(notes.contains(mapped), "{notes}");
    }
    let mut opts = options(Lookback::All, Some("2026-05-12T10:00:00Z"));
    opts.detections = vec![proxyhunt::detect::DetectionId::AnonymizedSignin];
    let got = canonical(contract_records(&ds, &opts));
    let want: Vec<Value> = baseline()
        .into_iter()
        .filter(|r| r["DetectionType"] == "AnonymizedSignIn")
        .collect();
    assert!(!want.is_empty());
    assert_eq!(got, want);
    // Each finding says its row was mapped from Graph.
    let result = proxyhunt::detect::hunt(&ds, &opts).unwrap();
    let files = result
        .findings
        .column("SourceFile")
        .unwrap()
        .str()
        .unwrap()
        .clone();
    assert!(files
        .iter()
        .all(|f| f.is_some_and(|f| f.contains("Graph sign-ins, columns mapped"))));
}

/// Findings of the device table in `dir`, as records with their contract columns.
fn device_findings(dir: &Path) -> Vec<Value> {
    let ds = load_dir(dir);
    assert_eq!(ds.issues.errors(), 0, "{:?}", ds.issues.lines());
    let mut opts = options(Lookback::All, Some("2024-03-03T00:00:00Z"));
    opts.detections = vec![proxyhunt::detect::DetectionId::MultihopProxy];
    canonical(contract_records(&ds, &opts))
}

#[test]
fn delta_tables_give_the_rows_their_log_describes() {
    // Each fixture was written by delta-rs (tools/fixtures/make_delta.py), compacted or
    // deleted from, with what deltalake itself reads as expected_rows.ndjson.
    for (fixture, table) in [
        ("device_process", "DeviceProcessEvents"),
        ("multipart_checkpoint", "DeviceProcessEvents"),
        ("network_partitioned", "DeviceNetworkEvents"),
    ] {
        let src = repo().join("tests/fixtures/delta").join(fixture);
        let expected = tempfile::tempdir().unwrap();
        write(
            expected.path(),
            &format!("{table}.ndjson"),
            &std::fs::read(src.join("expected_rows.ndjson")).unwrap(),
        );
        let want = device_findings(expected.path());
        assert!(!want.is_empty(), "{fixture}");
        // The table folder itself (its files hold removed rows too), named like an export.
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join(table);
        copy_dir(&src, &copy);
        let got = device_findings(dir.path());
        assert_eq!(got, want, "{fixture}");
        let ds = load_dir(dir.path());
        assert_eq!(ds.files.len(), 1, "{fixture}: one report for the table");
        assert_eq!(ds.files[0].format, "delta");
    }
    // A log proxyhunt cannot follow refuses the table; its files are never read without it.
    let ds = load_dir(&repo().join("tests/fixtures/delta/deletion_vectors"));
    assert_eq!(ds.tables.len(), 0);
    let lines = ds.issues.lines().join("\n");
    assert!(
        lines.contains("Delta table not read") && lines.contains("deletion"),
        "{lines}"
    );
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let target = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &target);
        } else {
            std::fs::copy(e.path(), target).unwrap();
        }
    }
}

#[test]
fn defender_excel_exports_are_read_as_their_table() {
    let fixtures = repo().join("tests/fixtures/xlsx");
    let mut seen = Vec::new();
    for name in [
        "DeviceProcessEvents_dates.xlsx",
        "DeviceProcessEvents_text.xlsx",
    ] {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            name,
            &std::fs::read(fixtures.join(name)).unwrap(),
        );
        let ds = load_dir(dir.path());
        assert_eq!(
            ds.files[0].table.map(|(t, _)| t),
            Some(proxyhunt::data::schema::TableKind::DeviceProcess),
            "{name}: {:?}",
            ds.issues.lines()
        );
        let got = device_findings(dir.path());
        assert!(!got.is_empty(), "{name}");
        // Date cells keep milliseconds (Excel's resolution); the rest is the same.
        let keyed: Vec<(String, String, String)> = got
            .iter()
            .map(|r| {
                (
                    r["DetectionType"].as_str().unwrap().to_string(),
                    r["FileName"].as_str().unwrap().to_string(),
                    r["ProcessCommandLine"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        seen.push(keyed);
    }
    assert_eq!(seen[0], seen[1]);
    // A workbook that is not one says so.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "DeviceProcessEvents.xlsx",
        &std::fs::read(fixtures.join("encrypted.xlsx")).unwrap(),
    );
    let ds = load_dir(dir.path());
    let lines = ds.issues.lines().join("\n");
    assert!(lines.contains("encrypted"), "{lines}");
}

#[test]
fn portal_csv_in_every_browser_language() {
    // Made by tools/fixtures/make_locale_csv.js from the same four sign-ins: the first at
    // 2020-10-16T00:00:01.403Z, the newest at 2021-04-28T14:08:45.221Z.
    let fixtures = repo().join("tests/fixtures/locale_csv");
    let first = proxyhunt::data::values::parse_datetime("2020-10-03T13:05:09.010Z").unwrap();
    let last = proxyhunt::data::values::parse_datetime("2021-04-28T14:08:45.221Z").unwrap();
    for lang in [
        "de-DE", "en-GB", "en-US", "fi-FI", "fr-FR", "ja-JP", "ko-KR", "nl-NL", "zh-TW",
    ] {
        let name = format!("SigninLogs_{lang}.csv");
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            &name,
            &std::fs::read(fixtures.join(&name)).unwrap(),
        );
        let ds = load_dir(dir.path());
        assert_eq!(ds.issues.errors(), 0, "{lang}: {:?}", ds.issues.lines());
        let report = &ds.files[0];
        assert_eq!(report.rows_loaded, 4, "{lang}");
        let note = report.notes.join("\n");
        assert!(note.contains("datetimes read as"), "{lang}: {note}");
        let times = ds.tables[&proxyhunt::data::schema::TableKind::SignIn]
            .column("TimeGenerated")
            .unwrap()
            .cast(&polars::prelude::DataType::Int64)
            .unwrap();
        let times = times.i64().unwrap();
        use polars::prelude::ChunkAgg;
        assert_eq!(times.min(), Some(first), "{lang}");
        assert_eq!(times.max(), Some(last), "{lang}");
    }
    // Every day at most 12 and a 24-hour clock: refused, naming the option; then read with it.
    let name = "SigninLogs_en-GB_ambiguous.csv";
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        dir.path(),
        name,
        &std::fs::read(fixtures.join(name)).unwrap(),
    );
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("--date-order dmy"), "{out}");
    let (code, out, _) = run(&["check", "--date-order", "dmy", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("day-first"), "{out}");
}

/// The committed shapes (tools/fixtures/make_shapes.py): each read as its table, with exactly
/// the sample's findings; the shapes proxyhunt cannot read say what they are.
#[test]
fn committed_export_shapes() {
    let want = baseline();
    let shapes = repo().join("tests/fixtures/shapes");
    for (shape, extra) in [
        ("streaming", None),
        ("eventhubs", None),
        ("powershell", None),
        ("cr_only", Some("DeviceProcessEvents.ndjson")),
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(&shapes.join(shape), &dir.path().join(shape));
        for name in [
            "AADNonInteractiveUserSignInLogs.csv",
            "ThreatIntelIndicators.json",
        ]
        .into_iter()
        .chain(extra)
        {
            write(dir.path(), name, &sample(name));
        }
        assert_eq!(hunt_dir(dir.path()), want, "{shape}");
    }
    for (shape, says) in [
        ("adx_headerless", "includeHeaders"),
        (
            "legacy_ti",
            "proxyhunt reads this one only for `hunt --beyond`",
        ),
    ] {
        let (code, out, _) = run(&["check", shapes.join(shape).to_str().unwrap()]);
        assert_ne!(code, 0, "{shape}: {out}");
        assert!(out.contains(says), "{shape}: {out}");
    }
}
