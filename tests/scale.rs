//! The paths that make large exports fast must not change a single result: a file read in
//! blocks gives the same tables as read whole, and `hunt`'s filtered load (only rows that can
//! match are typed) gives the same findings, `now()` and messages as loading everything.

mod common;

use std::io::Write;
use std::path::Path;

use polars::prelude::*;
use proxyhunt::data::load::{load, Dataset, LoadOptions};
use proxyhunt::detect::prefilter::load_for_hunt;
use proxyhunt::detect::{hunt, DetectionId, HuntOptions};
use proxyhunt::generate::{generate, GenFormat, GenOptions};

/// A generated export plus messy rows: a multi-line cell, an unreadable time, an unreadable port,
/// a ragged row, invalid UTF-8, hits among them.
fn messy_export(dir: &Path, format: GenFormat) {
    let options = GenOptions {
        signins: 6_000,
        process: 6_000,
        network: 6_000,
        ti: 400,
        seed: 11,
        format,
        hit_scale: 1.0,
    };
    generate(dir, &options).expect("generates");
    if format != GenFormat::Csv {
        return;
    }
    let append = |name: &str, rows: &[&[u8]]| {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(dir.join(name))
            .expect("generated file");
        for r in rows {
            f.write_all(r).unwrap();
        }
    };
    append(
        "DeviceNetworkEvents.csv",
        &[
            b"2026-05-12T09:00:00Z,ws-1,ConnectionSuccess,5.6.7.8,90x50,,Public,10.0.0.1,1,Tcp,tor.exe,\"tor.exe\nmulti line\",bob\n",
            b"not a time,ws-1,ConnectionSuccess,5.6.7.8,9050,,Public,10.0.0.1,1,Tcp,tor.exe,tor.exe,bob\n",
            b"2026-05-12T09:00:01Z,ws-1,ConnectionSuccess,5.6.7.8,9050.0,,Public,10.0.0.1,1,Tcp,tor\xff.exe,tor.exe,bob\n",
            b"2026-05-12T09:00:02Z,ws-1,ragged\n",
            b"2026-05-12T09:00:03Z,ws-1,ConnectionSuccess,5.6.7.8,null,,Public,10.0.0.1,1,Tcp,x,\"q \"\"quoted\"\"\",bob\n",
        ],
    );
    append(
        "DeviceProcessEvents.csv",
        &[b"2026-05-12T09:10:00Z,ws-2,bob,CONTOSO,ssh.exe,C:\\x,\"ssh -D 1080\nhost\",cmd.exe,cmd,12\n"],
    );
}

fn frames_equal(a: &Dataset, b: &Dataset) {
    assert_eq!(a.skipped, b.skipped);
    assert_eq!(
        a.tables.keys().collect::<Vec<_>>(),
        b.tables.keys().collect::<Vec<_>>()
    );
    for (t, df) in &a.tables {
        assert!(df.equals_missing(&b.tables[t]), "{t}: frames differ");
    }
}

fn findings(ds: &Dataset) -> (DataFrame, i64) {
    let result = hunt(ds, &HuntOptions::default()).expect("hunt runs");
    (result.findings, result.now)
}

fn check_equivalence(format: GenFormat) {
    let dir = tempfile::tempdir().unwrap();
    messy_export(dir.path(), format);
    let paths = [dir.path().to_path_buf()];
    let whole = load(&paths, &LoadOptions::default());
    let small_blocks = LoadOptions {
        block_bytes: Some(64 << 10),
        ..LoadOptions::default()
    };
    let blocks = load(&paths, &small_blocks);
    frames_equal(&whole, &blocks);
    assert_eq!(whole.issues.lines(), blocks.issues.lines());
    assert_eq!(whole.issues.total(), blocks.issues.total());

    let (expected, now) = findings(&whole);
    assert!(expected.height() > 20, "the export has findings");
    for detections in [
        DetectionId::ALL.to_vec(),
        vec![DetectionId::AnonymizedSignin],
        vec![DetectionId::MultihopProxy],
    ] {
        let filtered = load_for_hunt(&paths, &small_blocks, &detections, &mut |_| {});
        let hunt_options = HuntOptions {
            detections: detections.clone(),
            ..HuntOptions::default()
        };
        let all = hunt(&whole, &hunt_options).unwrap();
        let got = hunt(&filtered, &hunt_options).unwrap();
        assert_eq!(got.now, now, "{detections:?}: now() from every row");
        assert!(
            got.findings.equals_missing(&all.findings),
            "{detections:?}: findings differ"
        );
        assert_eq!(filtered.issues.lines(), whole.issues.lines());
        let skipped: usize = filtered.skipped.values().map(|s| s.rows).sum();
        assert!(skipped > 10_000, "{detections:?}: rows were left out");
        for t in whole.tables.keys() {
            assert_eq!(filtered.rows_read(*t), whole.rows(*t), "{t}");
        }
        for (a, b) in filtered.files.iter().zip(&whole.files) {
            assert_eq!(a.time_range, b.time_range, "{}", a.name);
            assert_eq!(a.rows_rejected, b.rows_rejected, "{}", a.name);
            assert_eq!(a.unparseable, b.unparseable, "{}", a.name);
        }
    }
}

#[test]
fn csv_blocks_and_filters_change_nothing() {
    check_equivalence(GenFormat::Csv);
}

#[test]
fn ndjson_filters_change_nothing() {
    check_equivalence(GenFormat::Ndjson);
}

/// Writes each table of `ds` as Parquet: typed as loaded, or every column as text with a few
/// ports that cannot be read; in row groups of `group_rows` (Polars' default when `None`).
fn write_parquet(ds: &Dataset, dir: &Path, as_text: bool, group_rows: Option<usize>) {
    for (t, df) in &ds.tables {
        let mut df = df.clone();
        if as_text {
            let names: Vec<String> = df
                .get_column_names()
                .iter()
                .map(|s| s.to_string())
                .collect();
            for name in names {
                let text = df.column(&name).unwrap().cast(&DataType::String).unwrap();
                let text: StringChunked = text
                    .str()
                    .unwrap()
                    .iter()
                    .enumerate()
                    .map(|(i, v)| {
                        if name == "RemotePort" && i % 997 == 0 {
                            Some("port?".to_string())
                        } else {
                            v.map(str::to_string)
                        }
                    })
                    .collect();
                df.with_column(text.with_name(name.as_str().into()).into_column())
                    .unwrap();
            }
        }
        let f = std::fs::File::create(dir.join(format!("{}.parquet", t.name()))).unwrap();
        ParquetWriter::new(f)
            .with_row_group_size(group_rows)
            .finish(&mut df)
            .unwrap();
    }
}

#[test]
fn parquet_filters_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    messy_export(dir.path(), GenFormat::Csv);
    let csv = load(&[dir.path().to_path_buf()], &LoadOptions::default());
    // Small row groups: slices of many groups, some where the filter keeps nothing, whose other
    // columns are decoded for the kept rows only.
    for (as_text, group_rows) in [(false, None), (true, None), (true, Some(1000))] {
        let out = tempfile::tempdir().unwrap();
        write_parquet(&csv, out.path(), as_text, group_rows);
        let paths = [out.path().to_path_buf()];
        let whole = load(&paths, &LoadOptions::default());
        let filtered = load_for_hunt(
            &paths,
            &LoadOptions::default(),
            &DetectionId::ALL,
            &mut |_| {},
        );
        let (want, now) = findings(&whole);
        let (got, got_now) = findings(&filtered);
        assert!(want.height() > 20);
        assert_eq!(got_now, now, "as text: {as_text}");
        assert!(got.equals_missing(&want), "as text: {as_text}");
        assert_eq!(filtered.issues.lines(), whole.issues.lines());
        if as_text {
            assert!(whole.issues.lines().iter().any(|l| l.contains("port?")));
        }
        let skipped: usize = filtered.skipped.values().map(|s| s.rows).sum();
        assert!(skipped > 10_000, "as text: {as_text}: rows were left out");
    }
}

/// What `check` says of each file. Rows read are loaded plus skipped: which rows a filtered load
/// keeps typed may differ (a cached value already typed needs no keeping to be reported).
fn reports(ds: &Dataset) -> Vec<String> {
    ds.files
        .iter()
        .map(|f| {
            format!(
                "{} {} {:?} {} {} {:?} {:?} {:?} {:?} {:?}",
                f.name,
                f.format,
                f.table,
                f.rows_loaded + f.rows_skipped,
                f.rows_rejected,
                f.time_range,
                f.missing_output,
                f.unparseable,
                f.notes,
                f.unusable
            )
        })
        .collect()
}

#[test]
fn cache_gives_what_the_export_gives() {
    let dir = tempfile::tempdir().unwrap();
    messy_export(dir.path(), GenFormat::Csv);
    let cache = tempfile::tempdir().unwrap();
    let paths = [dir.path().to_path_buf()];
    let plain = LoadOptions::default();
    let cached = LoadOptions {
        cache: Some(cache.path().to_path_buf()),
        ..LoadOptions::default()
    };
    let hunt_load = |o: &LoadOptions| load_for_hunt(&paths, o, &DetectionId::ALL, &mut |_| {});
    let whole = load(&paths, &plain);
    let whole_filtered = hunt_load(&plain);
    // The first run parses and keeps a copy; the next ones read the copy.
    for run in 0..2 {
        let ds = load(&paths, &cached);
        frames_equal(&whole, &ds);
        assert_eq!(ds.issues.lines(), whole.issues.lines(), "run {run}");
        assert_eq!(reports(&ds), reports(&whole), "run {run}");
        assert_eq!(ds.file_names, whole.file_names);
        let ds = hunt_load(&cached);
        let (got, now) = findings(&ds);
        let (want, want_now) = findings(&whole);
        assert_eq!(now, want_now);
        assert!(got.equals_missing(&want), "run {run}: findings differ");
        assert_eq!(reports(&ds), reports(&whole_filtered), "run {run}");
        let times = |d: &Dataset| d.skipped.values().map(|s| s.times).collect::<Vec<_>>();
        assert_eq!(times(&ds), times(&whole_filtered));
    }
    let names: Vec<String> = std::fs::read_dir(cache.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.len() >= 8,
        "a sidecar and a frame per export: {names:?}"
    );
    // The filtered runs kept what their filters kept (`KEY-REPORT-FILTER.parquet`), and the
    // second run above read those.
    let subsets = names
        .iter()
        .filter(|n| n.ends_with(".parquet") && n.matches('-').count() == 2)
        .count();
    assert_eq!(subsets, 3, "a kept subset per filtered table: {names:?}");

    // A changed export is parsed again.
    let process = dir.path().join("DeviceProcessEvents.csv");
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&process)
        .unwrap();
    f.write_all(b"2026-05-12T09:59:00Z,ws-9,eve,CONTOSO,tor.exe,C:\\\\t,tor.exe,cmd.exe,cmd,1\n")
        .unwrap();
    drop(f);
    let fresh = load(&paths, &plain);
    let again = hunt_load(&cached);
    let (got, _) = findings(&again);
    let (want, _) = findings(&fresh);
    assert!(got.equals_missing(&want));
    assert_eq!(want.height(), findings(&whole).0.height() + 1);
}

/// Whole and filtered loads of `paths` give the same findings, `now()`, messages and reports
/// (`options` sets block sizes).
fn filtered_equals_whole(paths: &[std::path::PathBuf], options: &LoadOptions, label: &str) {
    let whole = load(paths, options);
    let filtered = load_for_hunt(paths, options, &DetectionId::ALL, &mut |_| {});
    let (want, now) = findings(&whole);
    let (got, got_now) = findings(&filtered);
    assert!(want.height() > 20, "{label}: the export has findings");
    assert_eq!(got_now, now, "{label}: now() from every row");
    assert!(got.equals_missing(&want), "{label}: findings differ");
    assert_eq!(filtered.issues.lines(), whole.issues.lines(), "{label}");
    assert_eq!(reports(&filtered), reports(&whole), "{label}");
    let skipped: usize = filtered.skipped.values().map(|s| s.rows).sum();
    assert!(skipped > 1_000, "{label}: rows were left out");
}

/// The generated NDJSON export rewritten in the other JSON shapes, with a few broken records.
fn json_shapes(ndjson: &Path, out: &Path) -> Vec<(&'static str, std::path::PathBuf)> {
    let tables = [
        "AADNonInteractiveUserSignInLogs",
        "ThreatIntelIndicators",
        "DeviceProcessEvents",
        "DeviceNetworkEvents",
    ];
    let lines = |t: &str| -> Vec<String> {
        std::fs::read_to_string(ndjson.join(format!("{t}.ndjson")))
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let mut shapes = Vec::new();
    // Arrays, one per table, with a broken element and a bad value no detection reads.
    let arrays = out.join("arrays");
    std::fs::create_dir_all(&arrays).unwrap();
    for t in tables {
        let mut rows = lines(t);
        if t == "DeviceProcessEvents" {
            rows.insert(
                100,
                "{\"Timestamp\": \"2026-05-12T09:00:00Z\" \"broken\": 1}".into(),
            );
            let last = rows.len() - 1;
            rows[last] = format!("{}, \"Junk\": 0x10}}", &rows[last][..rows[last].len() - 1]);
        }
        let text = format!("[\n{}\n]\n", rows.join(",\n"));
        std::fs::write(arrays.join(format!("{t}.json")), text).unwrap();
    }
    shapes.push(("json arrays", arrays));
    // Streaming-API blobs: both device tables mixed in one file, plus the other two as NDJSON.
    let blobs = out.join("streaming");
    std::fs::create_dir_all(&blobs).unwrap();
    let mut records = Vec::new();
    for t in ["DeviceProcessEvents", "DeviceNetworkEvents"] {
        for l in lines(t) {
            records.push(format!(
                "{{\"time\":\"x\",\"category\":\"AdvancedHunting-{t}\",\"properties\":{l}}}"
            ));
        }
    }
    records.insert(7, "{\"time\": \"x\", \"category\": ".into());
    std::fs::write(blobs.join("PT1H.json"), records.join("\n") + "\n").unwrap();
    for t in ["AADNonInteractiveUserSignInLogs", "ThreatIntelIndicators"] {
        std::fs::copy(
            ndjson.join(format!("{t}.ndjson")),
            blobs.join(format!("{t}.ndjson")),
        )
        .unwrap();
    }
    shapes.push(("streaming api", blobs));
    // Event Hubs batches of the same records.
    let hubs = out.join("eventhubs");
    std::fs::create_dir_all(&hubs).unwrap();
    let good: Vec<&String> = records.iter().filter(|r| r.ends_with('}')).collect();
    let batches: Vec<String> = good
        .chunks(500)
        .map(|c| {
            format!(
                "{{\"records\":[{}]}}",
                c.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(",")
            )
        })
        .collect();
    std::fs::write(hubs.join("capture.json"), batches.join("\n")).unwrap();
    for t in ["AADNonInteractiveUserSignInLogs", "ThreatIntelIndicators"] {
        std::fs::copy(
            ndjson.join(format!("{t}.ndjson")),
            hubs.join(format!("{t}.ndjson")),
        )
        .unwrap();
    }
    shapes.push(("event hubs", hubs));
    shapes
}

#[test]
fn every_json_shape_filters_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    messy_export(dir.path(), GenFormat::Ndjson);
    let out = tempfile::tempdir().unwrap();
    for (label, path) in json_shapes(dir.path(), out.path()) {
        filtered_equals_whole(std::slice::from_ref(&path), &LoadOptions::default(), label);
        // Large files are streamed in blocks: the same again.
        let blocks = LoadOptions {
            block_bytes: Some(64 << 10),
            ..LoadOptions::default()
        };
        filtered_equals_whole(std::slice::from_ref(&path), &blocks, label);
        let whole = load(std::slice::from_ref(&path), &LoadOptions::default());
        let streamed = load(&[path], &blocks);
        frames_equal(&whole, &streamed);
        assert_eq!(whole.issues.lines(), streamed.issues.lines(), "{label}");
    }
}

#[test]
fn delta_and_excel_filters_change_nothing() {
    let repo = common::repo();
    for fixture in [
        "device_process",
        "network_partitioned",
        "multipart_checkpoint",
    ] {
        let dir = tempfile::tempdir().unwrap();
        copy_dir(
            &repo.join("tests/fixtures/delta").join(fixture),
            &dir.path().join("t"),
        );
        let paths = [dir.path().to_path_buf()];
        let whole = load(&paths, &LoadOptions::default());
        let filtered = load_for_hunt(
            &paths,
            &LoadOptions::default(),
            &DetectionId::ALL,
            &mut |_| {},
        );
        let options = HuntOptions {
            now: proxyhunt::detect::NowSpec::At(
                proxyhunt::data::values::parse_datetime("2024-03-03T00:00:00Z").unwrap(),
            ),
            ..HuntOptions::default()
        };
        let a = hunt(&whole, &options).unwrap();
        let b = hunt(&filtered, &options).unwrap();
        assert!(a.findings.height() > 0, "{fixture}");
        assert!(a.findings.equals_missing(&b.findings), "{fixture}");
        assert_eq!(whole.issues.lines(), filtered.issues.lines(), "{fixture}");
    }
    for name in [
        "DeviceProcessEvents_dates.xlsx",
        "DeviceProcessEvents_text.xlsx",
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::copy(
            repo.join("tests/fixtures/xlsx").join(name),
            dir.path().join(name),
        )
        .unwrap();
        let paths = [dir.path().to_path_buf()];
        let whole = load(&paths, &LoadOptions::default());
        let filtered = load_for_hunt(
            &paths,
            &LoadOptions::default(),
            &DetectionId::ALL,
            &mut |_| {},
        );
        let (a, _) = findings(&whole);
        let (b, _) = findings(&filtered);
        assert!(a.height() > 0, "{name}");
        assert!(a.equals_missing(&b), "{name}");
        assert_eq!(whole.issues.lines(), filtered.issues.lines(), "{name}");
    }
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
fn keys_first_met_after_the_head_are_read() {
    // NDJSON is read in one pass with the columns its first MiB names; a key first met later
    // (here RemoteUrl, and a case variant of RemotePort) must still be read, as a second pass.
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..30_000 {
        let late = i >= 20_000;
        let port = if late { "RemotePort" } else { "remoteport" };
        let url = if late {
            format!(",\"RemoteUrl\":\"relay{i}.example\"")
        } else {
            String::new()
        };
        text.push_str(&format!(
            "{{\"Timestamp\":\"2026-05-12T09:{:02}:00Z\",\"DeviceName\":\"ws{i}\",\"RemoteIP\":\"1.2.3.4\",\"{port}\":{},\"RemoteIPType\":\"Public\",\"InitiatingProcessFileName\":\"tor.exe\",\"InitiatingProcessCommandLine\":\"tor.exe --padding {}\"{url}}}\n",
            i % 60,
            if i % 2 == 0 { 9001 } else { 443 },
            "x".repeat(40)
        ));
    }
    assert!(text.len() > 2 << 20, "the late keys lie past the head");
    std::fs::write(dir.path().join("DeviceNetworkEvents.ndjson"), &text).unwrap();
    let paths = [dir.path().to_path_buf()];
    for block in [None, Some(64 << 10)] {
        let options = LoadOptions {
            block_bytes: block,
            ..LoadOptions::default()
        };
        let ds = load(&paths, &options);
        let df = &ds.tables[&proxyhunt::data::schema::TableKind::DeviceNetwork];
        assert_eq!(df.height(), 30_000, "{block:?}");
        let urls = df.column("RemoteUrl").unwrap().str().unwrap().clone();
        assert_eq!(urls.get(29_999), Some("relay29999.example"), "{block:?}");
        assert_eq!(urls.get(0), Some(""), "{block:?}");
        let ports = df.column("RemotePort").unwrap().i64().unwrap().clone();
        // Exact `RemotePort` wins over `remoteport` once both are there (as for any export).
        assert_eq!(ports.get(29_998), Some(9001), "{block:?}");
        filtered_equals_whole(&paths, &options, "late keys");
    }
}
