//! Snapshots of the delta-rs fixtures (tests/fixtures/delta, made by
//! tools/fixtures/make_delta.py) against what deltalake itself lists and reads, and the
//! refusals.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::{DataType, ParquetReader, SerReader};

use super::*;
use crate::data::values::format_datetime;

type Row = BTreeMap<String, Option<String>>;

/// Files with their partition values, as compared.
type FileList = Vec<(PathBuf, Vec<(String, Option<String>)>)>;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/delta")
        .join(name)
}

/// A scratch copy of a fixture table that a test may damage.
fn copy_fixture(name: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dest = tmp.path().join(name);
    copy_dir(&fixture(name), &dest);
    (tmp, dest)
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("read fixture dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), &target).expect("copy");
        }
    }
}

#[derive(serde::Deserialize)]
struct ExpectedFile {
    path: String,
    partition_values: BTreeMap<String, Option<String>>,
}

fn expected_files(name: &str) -> Vec<ExpectedFile> {
    let text = fs::read_to_string(fixture(name).join("expected_files.json")).expect("expected");
    serde_json::from_str(&text).expect("expected_files.json")
}

fn expected_rows(name: &str) -> Vec<Row> {
    let text = fs::read_to_string(fixture(name).join("expected_rows.ndjson")).expect("expected");
    let mut rows: Vec<Row> = text
        .lines()
        .map(|l| serde_json::from_str(l).expect("expected row"))
        .collect();
    rows.sort();
    rows
}

fn expected_version(name: &str) -> i64 {
    let text = fs::read_to_string(fixture(name).join("expected_version.txt")).expect("version");
    text.trim().parse().expect("version number")
}

/// The rows of the snapshot's files as text, partition values added as constant columns, the
/// way the loader will read them.
fn snapshot_rows(snap: &DeltaSnapshot) -> Vec<Row> {
    let mut rows = Vec::new();
    for file in &snap.files {
        let df = ParquetReader::new(fs::File::open(&file.path).expect("open data file"))
            .finish()
            .expect("read data file");
        for i in 0..df.height() {
            let mut row = Row::new();
            for column in df.columns() {
                let s = column.as_materialized_series();
                let value = match s.dtype() {
                    DataType::Datetime(unit, _) => {
                        let per = match unit {
                            polars::prelude::TimeUnit::Nanoseconds => 1,
                            polars::prelude::TimeUnit::Microseconds => 1_000,
                            polars::prelude::TimeUnit::Milliseconds => 1_000_000,
                        };
                        let ints = s.cast(&DataType::Int64).expect("cast");
                        ints.i64()
                            .expect("i64")
                            .get(i)
                            .map(|v| format_datetime(v * per))
                    }
                    _ => {
                        let text = s.cast(&DataType::String).expect("cast");
                        text.str().expect("str").get(i).map(str::to_string)
                    }
                };
                row.insert(s.name().to_string(), value);
            }
            for (name, value) in &file.partition_values {
                row.insert(name.clone(), value.clone());
            }
            rows.push(row);
        }
    }
    rows.sort();
    rows
}

fn assert_matches_deltalake(name: &str, snap: &DeltaSnapshot) {
    let table = std::path::absolute(fixture(name)).expect("absolute");
    let want: FileList = expected_files(name)
        .into_iter()
        .map(|f| {
            let values = snap
                .partition_columns
                .iter()
                .map(|c| (c.clone(), f.partition_values.get(c).cloned().flatten()))
                .collect();
            (table.join(&f.path), values)
        })
        .collect();
    let got: FileList = snap
        .files
        .iter()
        .map(|f| (f.path.clone(), f.partition_values.clone()))
        .collect();
    assert_eq!(got, want, "{name}: live files");
    assert_eq!(snap.version, expected_version(name), "{name}: version");
    assert_eq!(snapshot_rows(snap), expected_rows(name), "{name}: rows");
}

#[test]
fn compacted_and_deleted_table_lists_only_live_files() {
    let snap = snapshot(&fixture("device_process")).expect("snapshot");
    // Six data files on disk: three appends compacted by OPTIMIZE, the compacted file
    // rewritten by DELETE, the last append. Two are live.
    let on_disk = fs::read_dir(fixture("device_process"))
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".parquet"))
        })
        .count();
    assert_eq!(on_disk, 6);
    assert_eq!(snap.files.len(), 2);
    assert!(snap.partition_columns.is_empty());
    assert!(snap.schema_string.contains("\"ProcessCommandLine\""));
    assert_matches_deltalake("device_process", &snap);
    let rows = snapshot_rows(&snap);
    assert_eq!(rows.len(), 6);
    assert!(!rows
        .iter()
        .any(|r| r.get("FileName").cloned().flatten().as_deref() == Some("delete-me.exe")));
}

#[test]
fn partitioned_table_carries_partition_values() {
    let snap = snapshot(&fixture("network_partitioned")).expect("snapshot");
    assert_eq!(snap.partition_columns, vec!["RemoteIPType", "ActionDay"]);
    assert_matches_deltalake("network_partitioned", &snap);
    let escaped = snap
        .files
        .iter()
        .find(|f| f.partition_values[1].1.as_deref() == Some("2024-03-02 a/b%c"))
        .expect("the file of the partition value that needs escaping");
    // The log spells the path URI-encoded (%2520); on disk the folder is Hive-escaped (%20).
    assert!(escaped
        .path
        .to_string_lossy()
        .contains("ActionDay=2024-03-02%20a%2Fb%25c/"));
    assert!(snap
        .files
        .iter()
        .any(|f| f.partition_values[0] == ("RemoteIPType".to_string(), None)));
    assert!(!snap
        .files
        .iter()
        .any(|f| f.path.to_string_lossy().contains("RemoteIPType=Private")));
}

#[test]
fn multi_part_checkpoint_is_read() {
    let snap = snapshot(&fixture("multipart_checkpoint")).expect("snapshot");
    assert_matches_deltalake("multipart_checkpoint", &snap);
}

#[test]
fn checkpoint_stands_for_cleaned_up_commits() {
    let (_tmp, table) = copy_fixture("device_process");
    for v in 0..=4 {
        fs::remove_file(table.join(format!("_delta_log/{v:020}.json"))).expect("rm commit");
    }
    let snap = snapshot(&table).expect("snapshot from checkpoint + commit 5");
    let names: Vec<_> = snap.files.iter().map(|f| f.path.file_name()).collect();
    let want: Vec<_> = snapshot(&fixture("device_process"))
        .expect("snapshot")
        .files
        .iter()
        .map(|f| f.path.file_name().map(|n| n.to_os_string()))
        .collect();
    assert_eq!(
        names
            .iter()
            .map(|n| n.map(|n| n.to_os_string()))
            .collect::<Vec<_>>(),
        want
    );
    assert_eq!(snap.version, 5);
}

#[test]
fn without_checkpoint_the_json_commits_give_the_same_snapshot() {
    let (_tmp, table) = copy_fixture("network_partitioned");
    fs::remove_file(table.join("_delta_log/00000000000000000002.checkpoint.parquet")).expect("rm");
    fs::remove_file(table.join("_delta_log/_last_checkpoint")).expect("rm");
    let from_json = snapshot(&table).expect("snapshot");
    let from_checkpoint = snapshot(&fixture("network_partitioned")).expect("snapshot");
    let rel = |s: &DeltaSnapshot, root: &Path| -> FileList {
        s.files
            .iter()
            .map(|f| {
                let root = std::path::absolute(root).expect("abs");
                (
                    f.path.strip_prefix(&root).expect("inside").to_path_buf(),
                    f.partition_values.clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        rel(&from_json, &table),
        rel(&from_checkpoint, &fixture("network_partitioned"))
    );
    assert_eq!(from_json.version, 2);
}

#[test]
fn incomplete_multi_part_checkpoint_is_ignored() {
    let (_tmp, table) = copy_fixture("multipart_checkpoint");
    let part2 = "_delta_log/00000000000000000004.checkpoint.0000000002.0000000002.parquet";
    fs::remove_file(table.join(part2)).expect("rm part");
    // Commits 0..=5 are all there: the snapshot comes from them alone.
    let snap = snapshot(&table).expect("snapshot");
    assert_eq!(snap.files.len(), 2);
    // Without the early commits nothing can stand for them.
    fs::remove_file(table.join("_delta_log/00000000000000000000.json")).expect("rm");
    let err = snapshot(&table).expect_err("refused").to_string();
    let abs = std::path::absolute(&table).expect("abs");
    assert_eq!(
        err,
        format!(
            "Delta table {}: the log starts at version 1 and has no checkpoint to stand for the \
             versions before it (they were cleaned up, or not copied); the table's current state \
             cannot be rebuilt from its log",
            abs.display()
        )
    );
}

fn table_name(table: &Path) -> String {
    std::path::absolute(table)
        .expect("abs")
        .display()
        .to_string()
}

#[test]
fn refuses_deletion_vectors() {
    let table = fixture("deletion_vectors");
    let err = snapshot(&table).expect_err("refused");
    assert!(matches!(err, DeltaError::Unsupported { .. }));
    let log = fs::read_to_string(table.join("_delta_log/00000000000000000001.json")).expect("log");
    let path = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find_map(|a| {
            let add = a.get("add")?;
            add.get("deletionVector")?;
            add.get("path")?.as_str().map(str::to_string)
        })
        .expect("path of the add with a deletion vector");
    assert_eq!(
        err.to_string(),
        format!(
            "Delta table {} uses deletion vectors, which proxyhunt does not read: rows deleted by \
             DELETE, UPDATE or MERGE are only marked in a deletion vector, and \"{path}\" still \
             holds them; purge them first (Databricks / Fabric: REORG TABLE … APPLY (PURGE)) or \
             export the table to Parquet or CSV",
            table_name(&table)
        )
    );
}

#[test]
fn deletion_vector_feature_without_deletion_vectors_is_read() {
    let (_tmp, table) = copy_fixture("deletion_vectors");
    fs::remove_file(table.join("_delta_log/00000000000000000001.json")).expect("rm");
    let snap = snapshot(&table).expect("the feature alone changes nothing");
    assert_eq!(snap.files.len(), 1);
}

#[test]
fn refuses_column_mapping() {
    let table = fixture("column_mapping");
    let err = snapshot(&table).expect_err("refused");
    assert_eq!(
        err.to_string(),
        format!(
            "Delta table {} uses column mapping (delta.columnMapping.mode = \"name\"), which \
             proxyhunt does not read: its data files name columns by physical names or ids (such \
             as col-5f42…), not by the table's column names; export the table to Parquet or CSV \
             (for example with Spark: spark.read.table(…).write.parquet(…))",
            table_name(&table)
        )
    );
}

/// Rewrites the protocol action of a scratch copy's first commit.
fn with_protocol(name: &str, protocol: &str) -> (tempfile::TempDir, PathBuf) {
    let (tmp, table) = copy_fixture(name);
    for f in [
        "00000000000000000004.checkpoint.parquet",
        "_last_checkpoint",
    ] {
        let _ = fs::remove_file(table.join("_delta_log").join(f));
    }
    let commit = table.join("_delta_log/00000000000000000000.json");
    let text = fs::read_to_string(&commit).expect("commit");
    let edited: Vec<String> = text
        .lines()
        .map(|l| {
            if l.starts_with("{\"protocol\"") {
                protocol.to_string()
            } else {
                l.to_string()
            }
        })
        .collect();
    fs::write(&commit, edited.join("\n") + "\n").expect("write");
    (tmp, table)
}

#[test]
fn refuses_newer_reader_versions() {
    let (_tmp, table) = with_protocol(
        "device_process",
        r#"{"protocol":{"minReaderVersion":4,"minWriterVersion":7}}"#,
    );
    assert_eq!(
        snapshot(&table).expect_err("refused").to_string(),
        format!(
            "Delta table {} uses Delta reader version 4, which proxyhunt does not read: proxyhunt \
             reads Delta reader versions 1 to 3; export the table to Parquet or CSV",
            table_name(&table)
        )
    );
}

#[test]
fn refuses_unknown_reader_features() {
    let (_tmp, table) = with_protocol(
        "device_process",
        r#"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["timestampNtz","v2Checkpoint","x-future"],"writerFeatures":["timestampNtz","v2Checkpoint"]}}"#,
    );
    assert_eq!(
        snapshot(&table).expect_err("refused").to_string(),
        format!(
            "Delta table {} uses the reader feature(s) \"v2Checkpoint\", \"x-future\", which \
             proxyhunt does not read: reading the table correctly needs them; export the table \
             to Parquet or CSV",
            table_name(&table)
        )
    );
}

#[test]
fn known_reader_features_are_read() {
    let (_tmp, table) = with_protocol(
        "device_process",
        r#"{"protocol":{"minReaderVersion":3,"minWriterVersion":7,"readerFeatures":["timestampNtz","deletionVectors","vacuumProtocolCheck"],"writerFeatures":["timestampNtz"]}}"#,
    );
    assert_eq!(snapshot(&table).expect("snapshot").files.len(), 2);
}

#[test]
fn refuses_a_gap_in_the_commits() {
    let (_tmp, table) = copy_fixture("device_process");
    fs::remove_file(table.join("_delta_log/00000000000000000005.json")).expect("rm");
    fs::write(table.join("_delta_log/00000000000000000006.json"), "").expect("write");
    assert_eq!(
        snapshot(&table).expect_err("refused").to_string(),
        format!(
            "Delta table {}: commit 00000000000000000005.json is missing (the newest checkpoint \
             is version 4, the newest commit version 6); the table's current state cannot be \
             rebuilt from its log",
            table_name(&table)
        )
    );
    fs::remove_file(table.join("_delta_log/00000000000000000004.checkpoint.parquet")).expect("rm");
    fs::remove_file(table.join("_delta_log/00000000000000000002.json")).expect("rm");
    assert_eq!(
        snapshot(&table).expect_err("refused").to_string(),
        format!(
            "Delta table {}: commit 00000000000000000002.json is missing (the log goes up to \
             version 6); the table's current state cannot be rebuilt from its log",
            table_name(&table)
        )
    );
}

#[test]
fn refuses_a_corrupt_commit() {
    let (_tmp, table) = copy_fixture("device_process");
    let commit = table.join("_delta_log/00000000000000000005.json");
    let mut text = fs::read_to_string(&commit).expect("commit");
    // delta-rs ends a commit without a newline.
    let lines = text.lines().count();
    text.push_str("\n{\"add\":{\"path\":\n");
    fs::write(&commit, text).expect("write");
    let err = snapshot(&table).expect_err("refused");
    let DeltaError::CorruptCommit { line, .. } = &err else {
        panic!("not a corrupt commit: {err}");
    };
    assert_eq!(*line, lines + 1);
    assert!(err.to_string().starts_with(&format!(
        "Delta table {}: {}/_delta_log/00000000000000000005.json line {}: not a Delta action: ",
        table_name(&table),
        table_name(&table),
        lines + 1
    )));
}

#[test]
fn refuses_a_missing_live_data_file() {
    let (_tmp, table) = copy_fixture("device_process");
    let live = snapshot(&table).expect("snapshot").files[0].path.clone();
    fs::remove_file(&live).expect("rm");
    let name = live
        .file_name()
        .expect("name")
        .to_string_lossy()
        .to_string();
    assert_eq!(
        snapshot(&table).expect_err("refused").to_string(),
        format!(
            "Delta table {}: the live data file \"{name}\" is missing (removed by VACUUM, or not \
             copied)",
            table_name(&table)
        )
    );
}

#[test]
fn refuses_files_in_cloud_storage() {
    let (_tmp, table) = with_protocol(
        "device_process",
        r#"{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}"#,
    );
    let commit = table.join("_delta_log/00000000000000000005.json");
    let uri = "abfss://lake@acct.dfs.core.windows.net/t/part-0.parquet";
    let line = format!(
        "\n{{\"add\":{{\"path\":\"{uri}\",\"partitionValues\":{{}},\"size\":1,\"modificationTime\":0,\"dataChange\":true}}}}\n"
    );
    let mut text = fs::read_to_string(&commit).expect("commit");
    text.push_str(&line);
    fs::write(&commit, text).expect("write");
    assert_eq!(
        snapshot(&table).expect_err("refused").to_string(),
        format!(
            "Delta table {} uses data files outside the table folder (abfss:…), which proxyhunt \
             does not read: \"{uri}\" is not a local file (a shallow clone?); copy the files and \
             export the table to Parquet or CSV",
            table_name(&table)
        )
    );
}

#[test]
fn not_a_table_and_empty_log() {
    let tmp = tempfile::tempdir().expect("tempdir");
    assert!(!is_delta_table(tmp.path()));
    assert_eq!(
        snapshot(tmp.path()).expect_err("refused").to_string(),
        format!(
            "{}: not a Delta table (no _delta_log folder)",
            table_name(tmp.path())
        )
    );
    fs::create_dir(tmp.path().join("_delta_log")).expect("mkdir");
    fs::write(tmp.path().join("_delta_log/_last_checkpoint"), "{").expect("write");
    assert!(is_delta_table(tmp.path()));
    assert_eq!(
        snapshot(tmp.path()).expect_err("refused").to_string(),
        format!(
            "Delta table {}: the _delta_log folder holds no commit and no checkpoint",
            table_name(tmp.path())
        )
    );
}

#[test]
fn refuses_a_corrupt_checkpoint() {
    let (_tmp, table) = copy_fixture("device_process");
    let cp = table.join("_delta_log/00000000000000000004.checkpoint.parquet");
    fs::write(&cp, b"PAR1 not really").expect("write");
    let err = snapshot(&table).expect_err("refused").to_string();
    assert!(
        err.starts_with(&format!(
            "Delta table {}: checkpoint {}: not a readable Parquet file: ",
            table_name(&table),
            cp.display()
        )),
        "{err}"
    );
}

#[test]
fn log_names() {
    assert_eq!(
        parse_log_name("00000000000000000012.json"),
        Some(LogName::Commit(12))
    );
    assert_eq!(
        parse_log_name("00000000000000000012.checkpoint.parquet"),
        Some(LogName::Classic(12))
    );
    assert_eq!(
        parse_log_name("00000000000000000012.checkpoint.0000000002.0000000003.parquet"),
        Some(LogName::Part {
            version: 12,
            part: 2,
            of: 3
        })
    );
    assert_eq!(
        parse_log_name("00000000000000000012.checkpoint.80a083e8-7026-4e79-81be-64bd76c43a11.json"),
        Some(LogName::UuidCheckpoint(12))
    );
    for other in [
        "_last_checkpoint",
        "00000000000000000012.crc",
        "00000000000000000004.00000000000000000006.compacted.json",
        "0000000000000000012.json",
        ".00000000000000000012.json.tmp",
        "00000000000000000012.json.tmp",
    ] {
        assert_eq!(parse_log_name(other), None, "{other}");
    }
}

#[test]
fn paths_are_decoded_and_kept_inside_the_table() {
    let table = Path::new("/t");
    assert_eq!(
        resolve_path(table, "a%3Db/part%2520x.parquet").expect("ok"),
        PathBuf::from("/t/a=b/part%20x.parquet")
    );
    assert_eq!(
        resolve_path(table, "file:///data/x%20y.parquet").expect("ok"),
        PathBuf::from("/data/x y.parquet")
    );
    assert_eq!(
        resolve_path(table, "file:/data/x.parquet").expect("ok"),
        PathBuf::from("/data/x.parquet")
    );
    for bad in [
        "../x.parquet",
        "a/../../x.parquet",
        "x%zz.parquet",
        "x%2",
        "",
    ] {
        assert!(
            matches!(resolve_path(table, bad), Err(DeltaError::Corrupt { .. })),
            "{bad}"
        );
    }
    assert!(matches!(
        resolve_path(table, "s3://bucket/x.parquet"),
        Err(DeltaError::Unsupported { .. })
    ));
}

#[test]
fn typed_stats_in_the_checkpoint_are_read() {
    // Spark's writeStatsAsStruct adds stats_parsed / partitionValues_parsed with every Delta
    // type; the live files are those of the table it was made from.
    let with_stats = snapshot(&fixture("stats_parsed_checkpoint")).expect("snapshot");
    let plain = snapshot(&fixture("network_partitioned")).expect("snapshot");
    let rel = |s: &DeltaSnapshot, root: &Path| -> FileList {
        let root = std::path::absolute(root).expect("abs");
        s.files
            .iter()
            .map(|f| {
                (
                    f.path.strip_prefix(&root).expect("inside").to_path_buf(),
                    f.partition_values.clone(),
                )
            })
            .collect()
    };
    assert_eq!(
        rel(&with_stats, &fixture("stats_parsed_checkpoint")),
        rel(&plain, &fixture("network_partitioned"))
    );
}

#[test]
fn refuses_a_v2_checkpoint() {
    let table = fixture("v2_checkpoint");
    assert_eq!(
        snapshot(&table).expect_err("refused").to_string(),
        format!(
            "Delta table {} uses a V2 checkpoint (sidecar files), which proxyhunt does not read: \
             export the table to Parquet or CSV",
            table_name(&table)
        )
    );
}

#[test]
fn checkpoint_types_outside_the_polars_build_are_refused() {
    use polars::prelude::{ArrowDataType as A, ArrowField};
    let field = |name: &str, dtype: A| ArrowField::new(name.into(), dtype, true);
    let fine = A::Struct(vec![
        field("path", A::Utf8View),
        field(
            "stats_parsed",
            A::Struct(vec![
                field("b", A::Int8),
                field("dec", A::Decimal(38, 2)),
                field("date", A::Date32),
                field(
                    "ts",
                    A::Timestamp(
                        polars::prelude::ArrowTimeUnit::Microsecond,
                        Some("UTC".into()),
                    ),
                ),
                field("list", A::LargeList(Box::new(field("item", A::Float32)))),
            ]),
        ),
    ]);
    assert_eq!(check_readable("add", &fine), Ok(()));
    let half = A::Struct(vec![field(
        "stats_parsed",
        A::Struct(vec![field("h", A::Float16)]),
    )]);
    assert_eq!(
        check_readable("add", &half),
        Err(
            "column add.stats_parsed.h has the Parquet type Float16, which proxyhunt cannot read"
                .to_string()
        )
    );
    assert!(check_readable("add", &A::Decimal256(76, 0)).is_err());
}
