//! Pivots, drill-downs, find, sort and entity context on the sample findings.

mod common;

use common::*;
use proxyhunt::data::load::load_sample;
use proxyhunt::detect::{hunt, Lookback};
use proxyhunt::explore::*;
use proxyhunt::kql::time::HOUR;

fn rows() -> (proxyhunt::data::load::Dataset, Vec<FindingRow>) {
    let ds = load_sample();
    let result = hunt(&ds, &options(Lookback::All, None)).unwrap();
    let rows = finding_rows(&result.findings).unwrap();
    (ds, rows)
}

#[test]
fn pivot_by_user_counts_and_counterparts() {
    let (_, rows) = rows();
    let all: Vec<usize> = (0..rows.len()).collect();
    let index = RowIndex::new(&rows);
    let users = pivot(&rows, &index, &all, PivotKey::User);
    assert!(
        users.windows(2).all(|w| w[0].count >= w[1].count),
        "sorted by count"
    );
    let carol = users.iter().find(|e| e.value == "carol").expect("carol");
    // carol: replays from two Tor exits, plus any VPN-egress sign-ins of hers.
    assert!(carol.distinct >= 2, "{carol:?}");
    assert_eq!(
        users.iter().map(|e| e.count).sum::<usize>(),
        rows.iter().filter(|r| !r.user.is_empty()).count()
    );
    let types = pivot(&rows, &index, &all, PivotKey::DetectionType);
    assert_eq!(types.len(), 4);
    assert!(types.iter().all(|e| e.first <= e.last));
}

#[test]
fn users_meet_across_tables() {
    let (_, rows) = rows();
    // bob signs in as bob@contoso.com and runs tor.exe as contoso\bob: one User.
    let bob_kinds: std::collections::BTreeSet<_> = rows
        .iter()
        .filter(|r| r.user == "bob")
        .map(|r| r.kind.name())
        .collect();
    assert!(
        bob_kinds.contains("ProxyToolLaunch") && bob_kinds.contains("TorPortConnection"),
        "{bob_kinds:?}"
    );
}

#[test]
fn drill_downs_stack_and_exclude() {
    let (_, rows) = rows();
    let carol = DrillDown {
        key: PivotKey::User,
        value: "carol".into(),
        exclude: false,
    };
    let only_carol = visible_rows(&rows, std::slice::from_ref(&carol), "");
    assert!(!only_carol.is_empty() && only_carol.iter().all(|&i| rows[i].user == "carol"));
    let tor1 = DrillDown {
        key: PivotKey::Ip,
        value: "185.220.101.47".into(),
        exclude: true,
    };
    let carol_not_tor1 = visible_rows(&rows, &[carol.clone(), tor1.clone()], "");
    assert!(carol_not_tor1.len() < only_carol.len());
    assert!(carol_not_tor1
        .iter()
        .all(|&i| rows[i].ip != "185.220.101.47"));
    assert_eq!(tor1.label(), "IP!=185.220.101.47");
    let found = visible_rows(&rows, &[], "BASTION");
    assert!(
        !found.is_empty()
            && found.iter().all(|&i| rows[i]
                .fields
                .iter()
                .any(|(_, v)| v.to_lowercase().contains("bastion")))
    );
}

#[test]
fn sorting_by_columns() {
    let (_, rows) = rows();
    let mut idx: Vec<usize> = (0..rows.len()).collect();
    let index = RowIndex::new(&rows);
    sort_rows(&index, &mut idx, SortColumn::User, false);
    assert!(idx.windows(2).all(|w| rows[w[0]].user <= rows[w[1]].user));
    sort_rows(&index, &mut idx, SortColumn::Time, true);
    assert!(idx.windows(2).all(|w| rows[w[0]].time >= rows[w[1]].time));
}

#[test]
fn context_of_an_ip_shows_sign_ins_and_indicators() {
    let (ds, rows) = rows();
    let f = rows.iter().find(|r| r.ip == "185.220.101.47").unwrap();
    let events = context_events(&ds, &Entity::Ip(f.ip.clone()), f.time, HOUR).unwrap();
    assert!(events
        .iter()
        .any(|e| e.table == proxyhunt::data::schema::TableKind::SignIn
            && e.summary.contains("ResultType=0")));
    assert!(events.iter().any(
        |e| e.table == proxyhunt::data::schema::TableKind::ThreatIntel
            && e.summary.contains("Tags=tor")
    ));
    assert!(events.iter().all(|e| e.source.starts_with("sample-data/")));
}

#[test]
fn context_of_a_device_shows_non_detection_events() {
    let (ds, rows) = rows();
    let f = rows
        .iter()
        .find(|r| r.device == "fin-ws12.contoso.com")
        .unwrap();
    let events = context_events(&ds, &Entity::Device(f.device.clone()), f.time, HOUR).unwrap();
    // The connections to Tor relays are there, and so is the curl with socks5h that no leg matched.
    assert!(
        events.iter().any(|e| e.summary.contains("socks5h://")),
        "{events:?}"
    );
    assert!(events.windows(2).all(|w| w[0].time <= w[1].time));
}

/// The pivot, sort and find the console uses (ids, ranks, a lower-case haystack) give what the
/// plain definitions give, on a generated export with thousands of findings.
#[test]
fn indexed_views_equal_the_plain_definitions() {
    use proxyhunt::generate::{generate, GenFormat, GenOptions};
    use std::collections::{HashMap, HashSet};
    let dir = tempfile::tempdir().unwrap();
    let options = GenOptions {
        signins: 20_000,
        process: 5_000,
        network: 5_000,
        ti: 300,
        seed: 5,
        format: GenFormat::Csv,
        hit_scale: 40.0,
    };
    generate(dir.path(), &options).unwrap();
    let ds = load_dir(dir.path());
    let result = hunt(&ds, &options_for_all()).unwrap();
    let rows = finding_rows(&result.findings).unwrap();
    assert!(rows.len() > 1_000, "{} findings", rows.len());
    let index = RowIndex::new(&rows);
    // Every other row, so that the views see a subset as after a drill-down.
    let visible: Vec<usize> = (0..rows.len()).step_by(2).collect();

    for key in PivotKey::ALL {
        let mut plain: HashMap<&str, (usize, HashSet<&str>, i64, i64)> = HashMap::new();
        for &i in &visible {
            let (r, v) = (&rows[i], key.value(&rows[i]));
            if v.is_empty() {
                continue;
            }
            let e = plain
                .entry(v)
                .or_insert((0, HashSet::new(), r.time, r.time));
            e.0 += 1;
            let o = key.counterpart().value(r);
            if !o.is_empty() {
                e.1.insert(o);
            }
            e.2 = e.2.min(r.time);
            e.3 = e.3.max(r.time);
        }
        let mut want: Vec<PivotEntry> = plain
            .into_iter()
            .map(|(v, (count, others, first, last))| PivotEntry {
                value: v.to_string(),
                count,
                distinct: others.len(),
                first,
                last,
            })
            .collect();
        want.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
        assert_eq!(pivot(&rows, &index, &visible, key), want, "{key:?}");
    }

    for column in SortColumn::ALL {
        for descending in [false, true] {
            let mut want = visible.clone();
            want.sort_by(|&a, &b| {
                let o = column.compare(&rows[a], &rows[b]);
                if descending {
                    o.reverse()
                } else {
                    o
                }
            });
            let mut got = visible.clone();
            sort_rows(&index, &mut got, column, descending);
            assert_eq!(got, want, "{column:?} descending {descending}");
        }
    }

    for needle in [
        "tor",
        "TOR.EXE",
        "-d ",
        "contoso.com",
        "9050",
        "é",
        "no such text",
    ] {
        let lower = needle.to_lowercase();
        // Every field but the Reason (its "indicator" would match "tor" everywhere).
        let want: Vec<usize> = (0..rows.len())
            .filter(|&i| {
                rows[i]
                    .fields
                    .iter()
                    .any(|(k, v)| *k != "Reason" && v.to_lowercase().contains(&lower))
            })
            .collect();
        assert_eq!(visible_rows(&rows, &[], needle), want, "{needle}");
    }
}

fn options_for_all() -> proxyhunt::detect::HuntOptions {
    options(Lookback::All, None)
}

#[test]
fn go_hunt_reads_the_same_from_its_lean_load() {
    // The console loads every event with only the columns go hunt reads and only the rows of
    // the findings' entities; what go hunt shows must be what a load of everything shows, for
    // every entity of every finding and of every pivot, in every format the filter is applied
    // differently (cells as read, typed Parquet columns).
    use proxyhunt::data::load::{load, LoadOptions};
    use proxyhunt::explore::context::every_event_options;
    let sample = common::repo().join("sample-data");
    let parquet = tempfile::tempdir().unwrap();
    let sample_ds = load(std::slice::from_ref(&sample), &LoadOptions::default());
    for (name, ds) in &sample_ds.tables {
        let df = ds.clone();
        let f =
            std::fs::File::create(parquet.path().join(format!("{}.parquet", name.name()))).unwrap();
        polars::prelude::ParquetWriter::new(f)
            .finish(&mut df.drop_many([
                proxyhunt::data::schema::SOURCE_FILE_COLUMN,
                proxyhunt::data::schema::SOURCE_LINE_COLUMN,
            ]))
            .unwrap();
    }
    let (_, rows) = rows();
    let all: Vec<usize> = (0..rows.len()).collect();
    let index = RowIndex::new(&rows);
    let mut entities: Vec<(Entity, i64)> = Vec::new();
    for f in &rows {
        entities.push((Entity::User(f.user.clone()), f.time));
        entities.push((Entity::Ip(f.ip.clone()), f.time));
        entities.push((Entity::Device(f.device.clone()), f.time));
    }
    for (key, make) in [
        (PivotKey::User, Entity::User as fn(String) -> Entity),
        (PivotKey::Ip, Entity::Ip),
        (PivotKey::Device, Entity::Device),
    ] {
        for e in pivot(&rows, &index, &all, key) {
            if !e.value.is_empty() {
                entities.push((make(e.value.clone()), e.last));
            }
        }
    }
    let cache = tempfile::tempdir().unwrap();
    let cached = LoadOptions {
        cache: Some(cache.path().to_path_buf()),
        ..LoadOptions::default()
    };
    // The sample as read, as Parquet, and twice through the cache (kept, then read back).
    let runs = [
        (sample.clone(), LoadOptions::default()),
        (parquet.path().to_path_buf(), LoadOptions::default()),
        (sample.clone(), cached.clone()),
        (sample, cached),
    ];
    for (dir, options) in runs {
        let paths = [dir.clone()];
        let full = load(&paths, &LoadOptions::default());
        let lean = load(&paths, &every_event_options(&options, &rows));
        let (mut checked, mut kept, mut read) = (0, 0, 0);
        for (entity, time) in &entities {
            let a = context_events(&full, entity, *time, HOUR).unwrap();
            let b = context_events(&lean, entity, *time, HOUR).unwrap();
            assert_eq!(a, b, "{}: {entity:?}", dir.display());
            checked += a.len();
        }
        for (table, df) in &lean.tables {
            kept += df.height();
            read += full.tables[table].height();
        }
        assert!(checked > 100, "{checked}");
        // The filter leaves rows out (else it tests nothing), and what go hunt shows is kept.
        assert!(kept < read, "{}: kept {kept} of {read}", dir.display());
    }
}

#[test]
fn lean_load_holds_entities_as_dictionaries() {
    // The console's every-event load holds the repeated entity columns as dictionaries (a
    // 4-byte code a row), addresses and command lines as text; go hunt reads the same from it
    // (go_hunt_reads_the_same_from_its_lean_load).
    use polars::prelude::DataType;
    use proxyhunt::data::load::{load, LoadOptions};
    use proxyhunt::data::schema::TableKind;
    use proxyhunt::explore::context::every_event_options;
    let (_, rows) = rows();
    let paths = [common::repo().join("sample-data")];
    let lean = load(&paths, &every_event_options(&LoadOptions::default(), &rows));
    let dtype = |table: TableKind, column: &str| {
        lean.tables[&table].column(column).unwrap().dtype().clone()
    };
    for (table, column) in [
        (TableKind::SignIn, "UserPrincipalName"),
        (TableKind::DeviceProcess, "DeviceName"),
        (TableKind::DeviceNetwork, "RemoteUrl"),
    ] {
        assert!(
            matches!(dtype(table, column), DataType::Categorical(..)),
            "{column}: {:?}",
            dtype(table, column)
        );
    }
    assert_eq!(dtype(TableKind::SignIn, "IPAddress"), DataType::String);
    assert_eq!(
        dtype(TableKind::DeviceProcess, "ProcessCommandLine"),
        DataType::String
    );
    // A column go hunt does not read is one empty value, not a value per row.
    let left_out = lean.tables[&TableKind::SignIn].column("UserAgent").unwrap();
    assert!(left_out.as_scalar_column().is_some());
}

#[test]
fn lean_load_through_a_cache_it_cannot_write_keeps_every_file() {
    // A file parsed whole because its copy could not be kept is held as the lean load holds
    // the others (dictionaries, left-out columns), so that the frames still stack.
    use polars::prelude::DataType;
    use proxyhunt::data::load::{load, LoadOptions};
    use proxyhunt::data::schema::TableKind;
    use proxyhunt::explore::context::every_event_options;
    let (_, rows) = rows();
    let paths = [common::repo().join("sample-data")];
    let dir = tempfile::tempdir().unwrap();
    let not_a_directory = dir.path().join("cache");
    std::fs::write(&not_a_directory, "a file").unwrap();
    let options = LoadOptions {
        cache: Some(not_a_directory),
        ..LoadOptions::default()
    };
    let full = load(&paths, &LoadOptions::default());
    let lean = load(&paths, &every_event_options(&options, &rows));
    assert!(lean.unusable.is_empty(), "{:?}", lean.unusable);
    assert!(format!("{:?}", lean.issues).contains("cannot keep a copy"));
    for table in [TableKind::SignIn, TableKind::DeviceProcess] {
        assert_eq!(
            lean.rows(table),
            full.rows(table),
            "{table:?}: every row, unfiltered"
        );
    }
    assert!(matches!(
        lean.tables[&TableKind::SignIn]
            .column("UserPrincipalName")
            .unwrap()
            .dtype(),
        DataType::Categorical(..)
    ));
    for f in rows.iter().take(20) {
        let entity = Entity::User(f.user.clone());
        assert_eq!(
            context_events(&full, &entity, f.time, HOUR).unwrap(),
            context_events(&lean, &entity, f.time, HOUR).unwrap()
        );
    }
}

#[test]
fn console_replays_what_replay_replays() {
    // The Incidents view replays rule 000 on the load the findings came from (the rule's
    // sign-ins with every column, threat intel whole), whatever the console's window: the
    // same alerts and incidents as a load of everything, untuned and tuned, a filter on a
    // column go hunt leaves out (AuthenticationRequirement) included.
    use proxyhunt::data::load::{load, LoadOptions};
    use proxyhunt::detect::prefilter::load_for_hunt;
    use proxyhunt::detect::DetectionId;
    use proxyhunt::replay::both::replay_both;
    use proxyhunt::tuning::{load_tuning, TuningSource};
    let paths = [common::repo().join("sample-data")];
    let full = load(&paths, &LoadOptions::default());
    let hunted = load_for_hunt(
        &paths,
        &LoadOptions::default(),
        &DetectionId::ALL,
        &mut |_| {},
    );
    assert!(
        hunted.rows(proxyhunt::data::schema::TableKind::SignIn)
            < full.rows(proxyhunt::data::schema::TableKind::SignIn)
    );
    let dir = tempfile::tempdir().unwrap();
    let single_factor = dir.path().join("single-factor.toml");
    std::fs::write(
        &single_factor,
        r#"
[[filter]]
id = "single-factor"
title = "Single-factor sign-ins"
reason = "test"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "AuthenticationRequirement"
  equals = "singleFactorAuthentication"
"#,
    )
    .unwrap();
    let sample = TuningSource::File(common::repo().join("sample-data/tuning.toml"));
    let shown = |r: &proxyhunt::replay::both::Replays| {
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}",
            r.untuned.summary(),
            r.effective().summary(),
            r.effective().incidents,
            r.diff
        )
    };
    for source in [
        TuningSource::None,
        TuningSource::Builtin,
        sample,
        TuningSource::File(single_factor),
    ] {
        let (tuning, _) = load_tuning(&source).unwrap();
        let a = replay_both(&full, &tuning).unwrap().unwrap();
        let b = replay_both(&hunted, &tuning).unwrap().unwrap();
        assert!(a.untuned.summary().alerts > 0);
        assert_eq!(shown(&a), shown(&b), "{source:?}");
        if matches!(&source, TuningSource::File(f) if f.ends_with("single-factor.toml")) {
            assert!(
                a.effective().summary().alerts < a.untuned.summary().alerts,
                "the filter removes alerts"
            );
        }
    }
}

#[test]
fn find_terms_scope_to_fields() {
    let ds = proxyhunt::data::load::load_sample();
    let result = proxyhunt::detect::hunt(&ds, &options(Lookback::All, None)).unwrap();
    let rows = proxyhunt::explore::finding_rows(&result.findings).unwrap();
    let count = |find: &str| visible_rows(&rows, &[], find).len();
    let by = |pred: &dyn Fn(&proxyhunt::explore::FindingRow) -> bool| {
        rows.iter().filter(|r| pred(r)).count()
    };
    // Plain text: anywhere but the Reason.
    assert_eq!(
        count("tor"),
        by(&|r| r
            .fields
            .iter()
            .any(|(k, v)| *k != "Reason" && v.to_lowercase().contains("tor")))
    );
    assert!(
        count("tor") < count(""),
        "the Reason's 'indicator' no longer matches"
    );
    // Scoped, equal (ignoring case; users as pivots see them).
    assert_eq!(count("user:carol"), by(&|r| r.user == "carol"));
    assert_eq!(count("user:CAROL@contoso.com"), by(&|r| r.user == "carol"));
    assert_eq!(
        count("ip:185.220.101.47"),
        by(&|r| r.ip == "185.220.101.47")
    );
    assert_eq!(count("ip:185.220.101.4"), 0, "ip: is exact, not a prefix");
    // Scoped, contains; any column name works, in any case.
    let cmd = |r: &proxyhunt::explore::FindingRow| {
        r.get("ProcessCommandLine").to_lowercase().contains("socks")
            || r.get("InitiatingProcessCommandLine")
                .to_lowercase()
                .contains("socks")
    };
    assert!(by(&cmd) > 0);
    assert_eq!(count("cmd~socks"), by(&cmd));
    assert_eq!(
        count("remoteport:9001"),
        by(&|r| r.get("RemotePort") == "9001")
    );
    // Terms combine; unknown scopes are text.
    assert_eq!(
        count("user:carol ip:185.220.101.47"),
        by(&|r| r.user == "carol" && r.ip == "185.220.101.47")
    );
    assert_eq!(count("nosuchfield:x"), 0);
    let find = proxyhunt::explore::find::Find::parse("user:bob cmd~SOCKS tor");
    assert_eq!(find.label(), "user:bob cmd~socks \"tor\"");
}
