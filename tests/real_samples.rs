//! The loaders on real exports written by others (`../shared/real-samples`), when present.

mod common;

use std::path::PathBuf;

use common::*;
use proxyhunt::data::recognise::RecognisedBy;
use proxyhunt::data::schema::TableKind;

fn samples() -> Option<PathBuf> {
    let dir = repo().join("../shared/real-samples");
    if dir.is_dir() {
        Some(dir)
    } else {
        eprintln!("skipped: {} not found", dir.display());
        None
    }
}

#[test]
fn check_reads_every_real_sample() {
    let Some(dir) = samples() else { return };
    let ds = load_dir(&dir);
    assert_eq!(ds.issues.errors(), 0, "{:?}", ds.issues.lines());
    let find = |name: &str| {
        ds.files
            .iter()
            .find(|f| f.name.ends_with(name))
            .unwrap_or_else(|| panic!("{name} reported"))
    };

    let signin = find("sign-in_adelete.csv");
    assert_eq!(
        signin.table,
        Some((TableKind::SignIn, RecognisedBy::Columns))
    );
    assert_eq!(signin.rows_loaded, 56);
    assert_eq!(signin.rows_rejected, 0);
    assert!(
        signin
            .notes
            .iter()
            .any(|n| n.contains("no TimeGenerated column; using CreatedDateTime")),
        "{:?}",
        signin.notes
    );
    assert!(signin.time_range.is_some());

    let proc_ = find("DeviceProcessEvents_msticpy.csv");
    assert_eq!(
        proc_.table,
        Some((TableKind::DeviceProcess, RecognisedBy::FileName))
    );
    assert_eq!(proc_.rows_loaded, 200);

    for other in [
        "AADAuditEvents.json",
        "Microsoft365DefenderEvents.json",
        "log-analytics-api-response.json",
        "tor-exit-nodes_2024-02-27.lst",
    ] {
        let f = find(other);
        assert!(f.table.is_none(), "{other} is none of the four tables");
        assert!(f.not_recognised.is_some(), "{other} says why");
    }
    let union = find("Microsoft365DefenderEvents.json");
    assert!(union
        .not_recognised
        .as_ref()
        .unwrap()
        .contains("several tables"));

    let (code, out, _) = run(&["check", dir.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
}

#[test]
fn real_sign_ins_keep_their_values() {
    let Some(dir) = samples() else { return };
    let ds = load_dir(&dir.join("sign-in_adelete.csv"));
    let df = &ds.tables[&TableKind::SignIn];
    let ips = df.column("IPAddress").unwrap().str().unwrap().clone();
    assert_eq!(ips.get(0), Some("175.45.176.99"));
    // `4/28/2021, 2:08:45.221 PM` from the `CreatedDateTime [UTC]` column.
    let t = df
        .column("TimeGenerated")
        .unwrap()
        .cast(&polars::prelude::DataType::Int64)
        .unwrap();
    let first = t.i64().unwrap().get(0).unwrap();
    assert_eq!(
        proxyhunt::data::values::format_datetime(first),
        "2021-04-28T14:08:45.221Z"
    );
}
