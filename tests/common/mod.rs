//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use proxyhunt::data::load::{load, Dataset, LoadOptions};
use proxyhunt::detect::prefilter::load_for_hunt;
use proxyhunt::detect::{hunt, DetectionId, DetectionType, HuntOptions, Lookback, NowSpec};
use proxyhunt::export::json_records;
use serde_json::Value;

/// The contract projection of each finding (DetectionType + the KQL's columns), as JSON.
pub fn contract_records(ds: &Dataset, options: &HuntOptions) -> Vec<Value> {
    let result = hunt(ds, options).expect("hunt runs");
    json_records(&result.findings)
        .expect("records")
        .into_iter()
        .map(|r| {
            let kind = r.fields[0]
                .1
                .as_str()
                .and_then(DetectionType::from_name)
                .expect("known type");
            let mut map = serde_json::Map::new();
            for (k, v) in r.fields {
                if k == "DetectionType" || kind.projected().contains(&k) {
                    map.insert(k.to_string(), v);
                }
            }
            Value::Object(map)
        })
        .collect()
}

/// Sorts records on their canonical text so that multisets compare.
pub fn canonical(mut records: Vec<Value>) -> Vec<Value> {
    records.sort_by_key(|r| serde_json::to_string(r).expect("serialises"));
    records
}

pub fn read_ndjson(path: &Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .expect("golden file")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("golden line is JSON"))
        .collect()
}

pub fn options(lookback: Lookback, now: Option<&str>) -> HuntOptions {
    HuntOptions {
        now: now.map_or(NowSpec::Latest, |n| {
            NowSpec::At(proxyhunt::data::values::parse_datetime(n).expect("valid now"))
        }),
        lookback,
        ..HuntOptions::default()
    }
}

pub fn load_dir(dir: &Path) -> Dataset {
    load(&[dir.to_path_buf()], &LoadOptions::default())
}

/// Loads as `hunt` does: only the rows that can reach a finding of `detections` are typed.
pub fn load_dir_for_hunt(dir: &Path, detections: &[DetectionId]) -> Dataset {
    load_for_hunt(
        &[dir.to_path_buf()],
        &LoadOptions::default(),
        detections,
        &mut |_| {},
    )
}

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary; returns (exit code, stdout, stderr).
pub fn run(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_proxyhunt"))
        .args(args)
        .output()
        .expect("binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

pub fn write(dir: &Path, name: &str, content: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, content).expect("write test file");
    p
}

/// Rows as NDJSON file content.
pub fn ndjson(rows: &[Value]) -> Vec<u8> {
    rows.iter()
        .map(|r| r.to_string() + "\n")
        .collect::<String>()
        .into_bytes()
}
