//! `--out`: safe as root (devices, FIFOs, links, inputs), the format the name says (gzip by
//! extension, unknown extensions refused), and Parquet that other tools read.

mod common;

use std::io::Read;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};

use common::*;

const PROC: &str = "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n\
2026-05-12T09:00:00Z,ws1,alice,ssh.exe,\"ssh -J jump host\",cmd.exe,cmd.exe\n";

fn exports() -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "DeviceProcessEvents.csv", PROC.as_bytes());
    (dir, p)
}

fn temporaries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains(".tmp"))
        .collect()
}

#[test]
fn a_character_device_is_written_to_never_replaced() {
    let (_dir, p) = exports();
    for force in [true, false] {
        let mut args = vec!["hunt", p.to_str().unwrap(), "--out", "/dev/null"];
        if force {
            args.push("--force");
        }
        let (code, _, err) = run(&args);
        assert_eq!(code, 0, "{err}");
        assert!(err.contains("wrote 1 finding(s) to /dev/null"), "{err}");
        let meta = std::fs::symlink_metadata("/dev/null").unwrap();
        assert!(
            meta.file_type().is_char_device(),
            "/dev/null is still a device"
        );
    }
}

#[test]
fn standard_output_is_written_as_encoded_and_a_failed_write_is_said() {
    // Findings to standard output go through a buffer as they are encoded; a write that fails
    // (here /dev/full: no space) is an error naming standard output, not a success.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proxyhunt"))
        .args(["hunt", "--sample", "--format", "ndjson"])
        .stdout(std::fs::File::create("/dev/full").unwrap())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("writing the findings to standard output"),
        "{stderr}"
    );
    let (code, stdout, _) = run(&["hunt", "--sample", "--format", "ndjson"]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 79);
}

#[test]
fn a_fifo_is_written_to_never_replaced() {
    let (dir, p) = exports();
    let fifo = dir.path().join("findings.ndjson");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let reader = {
        let fifo = fifo.clone();
        std::thread::spawn(move || {
            let mut text = String::new();
            std::fs::File::open(&fifo)
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            text
        })
    };
    let (code, _, err) = run(&[
        "hunt",
        p.to_str().unwrap(),
        "--out",
        fifo.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(code, 0, "{err}");
    let text = reader.join().unwrap();
    assert!(
        text.starts_with("{\"DetectionType\":\"SSHMultiHopProxy\""),
        "{text}"
    );
    assert!(std::fs::symlink_metadata(&fifo)
        .unwrap()
        .file_type()
        .is_fifo());
    assert!(temporaries(dir.path()).is_empty());
}

#[test]
fn a_symlink_is_refused_and_kept() {
    let (dir, p) = exports();
    let target = write(dir.path(), "precious.txt", b"keep me\n");
    let link = dir.path().join("findings.ndjson");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    for force in [true, false] {
        let mut args = vec!["hunt", p.to_str().unwrap(), "--out", link.to_str().unwrap()];
        if force {
            args.push("--force");
        }
        let (code, out, err) = run(&args);
        assert_eq!(code, 1, "{err}");
        assert!(out.is_empty());
        assert!(
            err.contains(&format!("{} is a symbolic link", link.display())),
            "{err}"
        );
        assert!(
            !err.contains("finding(s):"),
            "refused before loading anything: {err}"
        );
    }
    assert!(std::fs::symlink_metadata(&link)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(std::fs::read_to_string(&target).unwrap(), "keep me\n");
    assert!(temporaries(dir.path()).is_empty());
}

#[test]
fn an_input_is_never_overwritten() {
    let (dir, p) = exports();
    let d = dir.path().to_str().unwrap();
    // The input itself, a file under an input directory, a --table PATH, the tuning file.
    let tuning = write(dir.path(), "tuning.toml", b"");
    let forced = format!("DeviceProcessEvents={}", p.display());
    let cases: Vec<Vec<&str>> = vec![
        vec!["hunt", p.to_str().unwrap(), "--out", p.to_str().unwrap()],
        vec!["hunt", d, "--out", p.to_str().unwrap()],
        vec!["hunt", "--table", &forced, "--out", p.to_str().unwrap()],
        vec![
            "hunt",
            "--sample",
            "--tuning",
            tuning.to_str().unwrap(),
            "--out",
            tuning.to_str().unwrap(),
        ],
    ];
    for mut args in cases {
        args.extend(["--force", "--format", "csv"]);
        let (code, _, err) = run(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(
            err.contains("is also an input") && err.contains("never overwritten"),
            "{args:?}: {err}"
        );
    }
    assert_eq!(std::fs::read_to_string(&p).unwrap(), PROC);
    assert_eq!(std::fs::read_to_string(&tuning).unwrap(), "");
    assert!(temporaries(dir.path()).is_empty());
}

#[test]
fn missing_folder_and_directory_are_refused_before_the_work() {
    let (dir, p) = exports();
    let out = dir.path().join("no/such/folder/f.csv");
    let (code, _, err) = run(&["hunt", p.to_str().unwrap(), "--out", out.to_str().unwrap()]);
    assert_eq!(code, 1);
    let line = err.lines().find(|l| l.contains("error")).unwrap_or("");
    assert!(line.contains(&out.display().to_string()), "{err}");
    assert_eq!(
        line.matches("No such file or directory").count(),
        1,
        "the OS error once: {line}"
    );
    assert!(!err.contains("finding(s):"), "{err}");
    let (code, _, err) = run(&[
        "hunt",
        p.to_str().unwrap(),
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("is a directory"), "{err}");
}

#[test]
fn gzip_by_extension_and_unknown_extensions_refused() {
    let (dir, p) = exports();
    let gz = dir.path().join("f.csv.gz");
    let (code, _, err) = run(&["hunt", p.to_str().unwrap(), "--out", gz.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    assert!(text.starts_with("DetectionType,TimeGenerated,"), "{text}");
    assert_eq!(text.lines().count(), 2);

    let gz = dir.path().join("f.ndjson.gz");
    let (code, _, err) = run(&["hunt", p.to_str().unwrap(), "--out", gz.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(&gz).unwrap())
        .read_to_string(&mut text)
        .unwrap();
    let v: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    assert_eq!(v["DetectionType"], "SSHMultiHopProxy");

    let txt = dir.path().join("f.txt");
    let (code, _, err) = run(&["hunt", p.to_str().unwrap(), "--out", txt.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        err.contains("unknown extension \"txt\"") && err.contains("--format"),
        "{err}"
    );
    assert!(!txt.exists());
    // --format for a name that says nothing we know: allowed.
    let (code, _, err) = run(&[
        "hunt",
        p.to_str().unwrap(),
        "--out",
        txt.to_str().unwrap(),
        "--format",
        "csv",
    ]);
    assert_eq!(code, 0, "{err}");
    assert!(std::fs::read_to_string(&txt)
        .unwrap()
        .starts_with("DetectionType,"));
    // --format against the name: refused.
    let csv = dir.path().join("g.csv");
    let (code, _, err) = run(&[
        "hunt",
        p.to_str().unwrap(),
        "--out",
        csv.to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(code, 1);
    assert!(
        err.contains("the name says csv but --format json was given"),
        "{err}"
    );
    assert!(!csv.exists());
    let bare_gz = dir.path().join("f.gz");
    let (code, _, err) = run(&[
        "hunt",
        p.to_str().unwrap(),
        "--out",
        bare_gz.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert!(err.contains("cannot tell the format"), "{err}");
    assert!(temporaries(dir.path()).is_empty());
}

#[test]
fn parquet_has_plain_large_strings_and_utc_timestamps() {
    use polars::prelude::*;
    let dir = tempfile::tempdir().unwrap();
    let pq = dir.path().join("f.parquet");
    let (code, _, err) = run(&[
        "hunt",
        "--sample",
        "--lookback",
        "rule",
        "--out",
        pq.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    let mut reader = ParquetReader::new(std::fs::File::open(&pq).unwrap());
    // The Arrow schema stored in the file, as pyarrow and pandas read it (Polars' own reader
    // turns every string type into its view type, so it is decoded here directly).
    let metadata = reader.get_metadata().unwrap().clone();
    let encoded = metadata
        .key_value_metadata()
        .as_ref()
        .and_then(|kv| kv.iter().find(|k| k.key == "ARROW:schema"))
        .and_then(|k| k.value.clone())
        .expect("an Arrow schema in the footer");
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .unwrap();
    let ipc = if bytes[..4] == [255u8; 4] {
        &bytes[8..]
    } else {
        &bytes[..]
    };
    let (schema, ..) = polars_arrow::io::ipc::read::deserialize_schema(ipc).unwrap();
    let mut strings = 0;
    let mut times = 0;
    for field in schema.iter_values() {
        match &field.dtype {
            ArrowDataType::Utf8View | ArrowDataType::BinaryView => {
                panic!("{} is a view type", field.name)
            }
            ArrowDataType::LargeUtf8 => strings += 1,
            ArrowDataType::Timestamp(unit, tz) => {
                times += 1;
                assert_eq!(unit, &ArrowTimeUnit::Nanosecond, "{}", field.name);
                assert_eq!(tz.as_deref(), Some("UTC"), "{}", field.name);
            }
            ArrowDataType::LargeList(inner) => {
                assert_eq!(inner.dtype, ArrowDataType::LargeUtf8, "{}", field.name)
            }
            _ => {}
        }
    }
    assert!(strings > 10 && times == 2, "{schema:?}");
    assert!(
        matches!(
            schema.get("AnonymizationType").map(|f| &f.dtype),
            Some(ArrowDataType::LargeList(_))
        ),
        "{schema:?}"
    );
    // The Parquet logical type says UTC too (readers without the Arrow schema).
    let parquet_schema = format!("{:?}", metadata.schema());
    assert!(
        parquet_schema.contains("is_adjusted_to_utc: true")
            && !parquet_schema.contains("is_adjusted_to_utc: false"),
        "{parquet_schema}"
    );
    // And Polars reads it back: the same rows, the same instants.
    let df = reader.finish().unwrap();
    assert_eq!(df.height(), 41);
    assert_eq!(df.column("RemotePort").unwrap().dtype(), &DataType::Int64);
    assert_eq!(df.column("User").unwrap().dtype(), &DataType::String);
    let (_, json, _) = run(&["hunt", "--sample", "--lookback", "rule"]);
    let first: serde_json::Value = serde_json::from_str(json.lines().next().unwrap()).unwrap();
    let t = df.column("TimeGenerated").unwrap().get(0).unwrap();
    let t = match t {
        AnyValue::Datetime(ns, TimeUnit::Nanoseconds, _) => ns,
        other => panic!("{other:?}"),
    };
    let expected =
        proxyhunt::data::values::parse_datetime(first["TimeGenerated"].as_str().unwrap()).unwrap();
    assert_eq!(t, expected);
}
