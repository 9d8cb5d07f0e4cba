//! Damaged and odd files lose only what is damaged, and say so (issue "never a silent wrong
//! answer", point 3, 4 and 9): each case asserts the message, the exit code of `check`, and that
//! the good rows were kept.

mod common;

use std::io::Write;
use std::path::Path;

use common::*;
use proxyhunt::data::load::{load, LoadOptions};
use proxyhunt::data::schema::TableKind;

const HEADER: &str = "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine";

/// A process event (one `tor.exe` launch: a ProxyToolLaunch finding) at minute `n`.
fn event(n: usize) -> serde_json::Value {
    serde_json::json!({
        "Timestamp": format!("2026-05-12T09:{:02}:00Z", n % 60),
        "DeviceName": format!("ws{n}"),
        "AccountName": "alice",
        "FileName": "tor.exe",
        "ProcessCommandLine": format!("tor.exe --row {n}"),
        "InitiatingProcessFileName": "cmd.exe",
        "InitiatingProcessCommandLine": "cmd.exe",
    })
}

fn csv_rows(n: usize) -> String {
    let mut text = String::from(HEADER);
    text.push('\n');
    for i in 0..n {
        text.push_str(&format!(
            "2026-05-12T09:{:02}:00Z,ws{i},alice,tor.exe,tor.exe --row {i},cmd.exe,cmd.exe\n",
            i % 60
        ));
    }
    text
}

fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// `check` on one file: exit code and output.
fn check(path: &Path) -> (i32, String) {
    let (code, out, err) = run(&["check", path.to_str().unwrap()]);
    (code, out + &err)
}

fn rows(dir: &Path) -> usize {
    load_dir(dir).rows(TableKind::DeviceProcess)
}

#[test]
fn cr_only_csv_is_read() {
    let dir = tempfile::tempdir().unwrap();
    let text = csv_rows(20).replace('\n', "\r");
    let p = write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    assert_eq!(rows(dir.path()), 20);
    let (code, out) = check(&p);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("20 loaded, 0 rejected"), "{out}");
}

#[test]
fn concatenated_documents_are_all_read_and_trailing_text_is_said() {
    let dir = tempfile::tempdir().unwrap();
    let a: Vec<_> = (0..5).map(event).collect();
    let b: Vec<_> = (5..12).map(event).collect();
    let text = format!(
        "{}\n{}\n",
        serde_json::to_string_pretty(&a).unwrap(),
        serde_json::to_string(&b).unwrap()
    );
    let p = write(dir.path(), "DeviceProcessEvents.json", text.as_bytes());
    assert_eq!(rows(dir.path()), 12);
    assert_eq!(check(&p).0, 0);
    let lines = text.lines().count();
    let broken = format!("{text}this is not JSON\n");
    let p = write(dir.path(), "DeviceProcessEvents.json", broken.as_bytes());
    assert_eq!(rows(dir.path()), 12);
    let (code, out) = check(&p);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!(
            "line {}: text after the JSON document is not JSON",
            lines + 1
        )),
        "{out}"
    );
}

#[test]
fn a_broken_array_element_costs_only_that_element() {
    let dir = tempfile::tempdir().unwrap();
    let all: Vec<_> = (0..6).map(event).collect();
    let mut text = serde_json::to_string_pretty(&all).unwrap();
    // Element 3 loses the colon after a key: the structure breaks there.
    let at = text
        .match_indices("\"DeviceName\": \"ws2\"")
        .next()
        .unwrap()
        .0;
    text.replace_range(at..at + 14, "\"DeviceName\" \"");
    let element_start = text[..at].rfind('{').unwrap();
    let line = text[..element_start].matches('\n').count() + 1;
    let p = write(dir.path(), "DeviceProcessEvents.json", text.as_bytes());
    let ds = load_dir(dir.path());
    assert_eq!(
        ds.rows(TableKind::DeviceProcess),
        5,
        "{:?}",
        ds.issues.lines()
    );
    let (code, out) = check(&p);
    assert_eq!(code, 2);
    assert!(out.contains("5 loaded, 1 rejected"), "{out}");
    let msg = out
        .lines()
        .find(|l| l.contains("invalid JSON in array element 3"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(msg.contains(&format!("line {line}:")), "{line}: {msg}");
}

#[test]
fn bad_values_cost_nothing_where_nobody_reads_them() {
    let dir = tempfile::tempdir().unwrap();
    let deep = format!("{}1{}", "[".repeat(5000), "]".repeat(5000));
    let mut text = String::from("[\n");
    for i in 0..4 {
        let e = serde_json::to_string(&event(i)).unwrap();
        let junk = match i {
            0 => "\"Junk\": 0x10".to_string(),
            1 => "\"Big\": 1e400, \"NotANumber\": NaN".to_string(),
            2 => format!("\"Deep\": {deep}"),
            _ => "\"Bytes\": \"a\u{1}b\"".to_string(),
        };
        text.push_str(&format!(
            "{}, {junk}}}{}\n",
            &e[..e.len() - 1],
            if i < 3 { "," } else { "" }
        ));
    }
    text.push(']');
    let mut bytes = text.into_bytes();
    // An invalid UTF-8 byte in a column the detections do not read.
    let at = bytes.windows(4).position(|w| w == b"a\x01b\"").unwrap();
    bytes[at + 1] = 0xff;
    let p = write(dir.path(), "DeviceProcessEvents.json", &bytes);
    let ds = load_dir(dir.path());
    assert_eq!(
        ds.rows(TableKind::DeviceProcess),
        4,
        "{:?}",
        ds.issues.lines()
    );
    assert_eq!(ds.issues.total(), 0, "{:?}", ds.issues.lines());
    assert_eq!(check(&p).0, 0);
}

#[test]
fn bad_values_in_read_columns_are_read_as_text_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"{\"Timestamp\":\"2026-05-12T09:00:00Z\",\"DeviceName\":\"ws1\",\"RemoteIP\":\"1.2.3.4\",\"RemotePort\":0x10,\"RemoteIPType\":\"Public\"}\n{\"Timestamp\":\"2026-05-12T09:01:00Z\",\"DeviceName\":\"ws\xff2\",\"RemoteIP\":\"1.2.3.5\",\"RemotePort\":9001,\"RemoteIPType\":\"Public\"}\n".to_vec();
    bytes.extend_from_slice(b"");
    let p = write(dir.path(), "DeviceNetworkEvents.ndjson", &bytes);
    let ds = load_dir(dir.path());
    assert_eq!(ds.rows(TableKind::DeviceNetwork), 2);
    let lines = ds.issues.lines().join("\n");
    assert!(
        lines.contains("line 1: table DeviceNetworkEvents, column RemotePort: not a valid JSON value; read as its text"),
        "{lines}"
    );
    assert!(
        lines.contains("line 1: table DeviceNetworkEvents, column RemotePort: cannot read \"0x10\" as an integer; read as empty"),
        "{lines}"
    );
    assert!(
        lines.contains(
            "line 2: table DeviceNetworkEvents, column DeviceName: invalid UTF-8, read with U+FFFD"
        ),
        "{lines}"
    );
    let names = ds.tables[&TableKind::DeviceNetwork]
        .column("DeviceName")
        .unwrap()
        .str()
        .unwrap()
        .get(1)
        .unwrap()
        .to_string();
    assert_eq!(names, "ws\u{FFFD}2");
    // Warnings only: the file was read in full.
    assert_eq!(check(&p).0, 0);
}

#[test]
fn damaged_gzip_keeps_what_came_before_and_says_where() {
    let plain = csv_rows(3000);
    let whole = gz(plain.as_bytes());
    let cases: Vec<(&str, Vec<u8>, bool)> = vec![
        ("truncated", whole[..whole.len() / 2].to_vec(), true),
        ("no trailer", whole[..whole.len() - 8].to_vec(), true),
        (
            "trailing garbage",
            [whole.clone(), b"garbage!".to_vec()].concat(),
            false,
        ),
        (
            "zero padding",
            [whole.clone(), vec![0u8; 1024]].concat(),
            false,
        ),
    ];
    for (label, bytes, loses) in cases {
        let dir = tempfile::tempdir().unwrap();
        let p = write(dir.path(), "DeviceProcessEvents.csv.gz", &bytes);
        let n = rows(dir.path());
        let (code, out) = check(&p);
        if loses {
            assert!(n > 0 && n <= 3000, "{label}: {n} rows");
            assert!(
                out.contains("gzip data damaged at compressed byte"),
                "{label}: {out}"
            );
            assert_eq!(code, 2, "{label}: {out}");
        } else {
            assert_eq!(n, 3000, "{label}");
            assert!(out.contains("ignored"), "{label}: {out}");
            assert_eq!(code, 0, "{label}: {out}");
        }
        // Every row decompressed before the damage is a row of the original, in order.
        let ds = load_dir(dir.path());
        let lines = ds.tables[&TableKind::DeviceProcess]
            .column("ProcessCommandLine")
            .unwrap()
            .str()
            .unwrap()
            .iter()
            .enumerate()
            .all(|(i, v)| v == Some(format!("tor.exe --row {i}").as_str()));
        assert!(lines, "{label}");
    }
    // Damaged and large enough to be streamed in blocks.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "DeviceProcessEvents.csv.gz",
        &whole[..whole.len() - 8],
    );
    let options = LoadOptions {
        block_bytes: Some(4096),
        ..LoadOptions::default()
    };
    let ds = load(&[dir.path().to_path_buf()], &options);
    assert_eq!(ds.rows(TableKind::DeviceProcess), 3000);
    assert!(ds.issues.lines().join("\n").contains("gzip data damaged"));
}

#[test]
fn repeated_names_are_said_with_the_one_read() {
    let dir = tempfile::tempdir().unwrap();
    let csv = format!("{HEADER},DeviceName\n2026-05-12T09:00:00Z,ws1,alice,tor.exe,tor.exe,cmd.exe,cmd.exe,other\n");
    let p = write(dir.path(), "DeviceProcessEvents.csv", csv.as_bytes());
    let (code, out) = check(&p);
    assert_eq!(code, 0);
    assert!(
        out.contains("column \"DeviceName\" appears 2 times (columns 2, 8); the first (column 2) is read, the others are ignored"),
        "{out}"
    );
    let dir = tempfile::tempdir().unwrap();
    let line = r#"{"Timestamp":"2026-05-12T09:00:00Z","DeviceName":"first","FileName":"tor.exe","ProcessCommandLine":"x","DeviceName":"last"}"#;
    let p = write(dir.path(), "DeviceProcessEvents.ndjson", line.as_bytes());
    let (_, out) = check(&p);
    assert!(
        out.contains("line 1: key \"DeviceName\" appears more than once in this record; the last value is read"),
        "{out}"
    );
    let ds = load_dir(dir.path());
    let name = ds.tables[&TableKind::DeviceProcess]
        .column("DeviceName")
        .unwrap()
        .str()
        .unwrap()
        .get(0)
        .map(str::to_string);
    assert_eq!(name.as_deref(), Some("last"));
}

#[cfg(unix)]
#[test]
fn links_pipes_and_devices() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir(root.join("exports")).unwrap();
    write(
        &root.join("exports"),
        "DeviceProcessEvents.csv",
        csv_rows(3).as_bytes(),
    );
    // A loop back to the top, a second link to the same file, a dangling link, a FIFO.
    std::os::unix::fs::symlink(root, root.join("exports/loop")).unwrap();
    std::os::unix::fs::symlink(
        root.join("exports/DeviceProcessEvents.csv"),
        root.join("exports/again.csv"),
    )
    .unwrap();
    std::os::unix::fs::symlink(root.join("nowhere"), root.join("exports/dangling.csv")).unwrap();
    let fifo = root.join("exports/pipe.csv");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    let started = std::time::Instant::now();
    let (_, out) = check(root);
    assert!(
        started.elapsed().as_secs() < 30,
        "a link loop must not hang the walk"
    );
    assert_eq!(rows(root), 3, "the file once, not once per link");
    assert!(out.contains("a link that leads nowhere"), "{out}");
    if made {
        assert!(
            out.contains("a pipe (FIFO) inside a directory; skipped"),
            "{out}"
        );
    }
    // A device given explicitly is refused; standard input is read.
    let (code, _, err) = run(&["check", "/dev/zero"]);
    assert_ne!(code, 0);
    assert!(err.contains("/dev/zero") || err.is_empty(), "{err}");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_proxyhunt"))
        .args(["check", "--table", "DeviceProcessEvents=-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(csv_rows(4).as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("4 loaded, 0 rejected"), "{text}");
}

#[test]
fn a_record_larger_than_the_bound_is_skipped_and_said() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = csv_rows(5);
    text.push_str(&"x".repeat(3_000_000));
    text.push('\n');
    text.push_str(&csv_rows(3)[HEADER.len() + 1..].replace("--row", "--after"));
    write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let options = LoadOptions {
        block_bytes: Some(64 * 1024),
        max_record_bytes: Some(1 << 20),
        ..LoadOptions::default()
    };
    let ds = load(&[dir.path().to_path_buf()], &options);
    assert_eq!(
        ds.rows(TableKind::DeviceProcess),
        8,
        "{:?}",
        ds.issues.lines()
    );
    let lines = ds.issues.lines().join("\n");
    assert!(
        lines.contains(
            "line 7: a record of 3000001 bytes, longer than the 1 MiB proxyhunt holds; skipped"
        ),
        "{lines}"
    );
    assert_eq!(ds.files[0].rows_rejected, 1);
}

#[test]
fn datetimes_outside_the_range_keep_their_order() {
    let dir = tempfile::tempdir().unwrap();
    let ti = serde_json::json!([
        {"TimeGenerated": "2026-05-12T08:00:00Z", "IsActive": true, "ValidUntil": "0001-01-01T00:00:00Z",
         "Tags": "tor", "Pattern": "[ipv4-addr:value = '203.0.113.1']", "Id": "unset"},
        {"TimeGenerated": "2026-05-12T08:00:00Z", "IsActive": true, "ValidUntil": "9999-12-31T23:59:59Z",
         "Tags": "tor", "Pattern": "[ipv4-addr:value = '203.0.113.2']", "Id": "never"},
    ]);
    write(
        dir.path(),
        "ThreatIntelIndicators.json",
        ti.to_string().as_bytes(),
    );
    let signins = "TimeGenerated,UserPrincipalName,AppDisplayName,IPAddress,Location,ResultType,ConditionalAccessStatus,AuthenticationRequirement,CorrelationId,UniqueTokenIdentifier\n\
        2026-05-12T09:00:00Z,a@x.com,app,203.0.113.1,US,0,success,single,c1,u1\n\
        2026-05-12T09:00:00Z,b@x.com,app,203.0.113.2,US,0,success,single,c2,u2\n";
    write(
        dir.path(),
        "AADNonInteractiveUserSignInLogs.csv",
        signins.as_bytes(),
    );
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["hunt", d]);
    assert_eq!(code, 0, "{err}");
    // 0001-01-01 is before now(): expired. 9999-12-31 never expires.
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("203.0.113.2"), "{out}");
    assert!(
        err.contains(
            "is before 1677-2262, the range proxyhunt holds; read as earlier than every event"
        ),
        "{err}"
    );
}

#[test]
fn an_ndjson_record_larger_than_the_bound_costs_only_itself() {
    // The long line starts inside the head read ahead to tell the format, and in a later block:
    // the lines before and after it are kept, and it is said at its own line.
    let dir = tempfile::tempdir().unwrap();
    for before in [10, 5000] {
        let mut text = String::new();
        for i in 0..before {
            text.push_str(&event(i).to_string());
            text.push('\n');
        }
        text.push_str(&format!("{{\"Pad\":\"{}\"}}\n", "x".repeat(3_000_000)));
        for i in 0..3 {
            text.push_str(&event(before + i).to_string());
            text.push('\n');
        }
        let sub = dir.path().join(format!("b{before}"));
        std::fs::create_dir(&sub).unwrap();
        write(&sub, "DeviceProcessEvents.ndjson", text.as_bytes());
        let options = LoadOptions {
            block_bytes: Some(64 * 1024),
            max_record_bytes: Some(1 << 20),
            ..LoadOptions::default()
        };
        let ds = load(std::slice::from_ref(&sub), &options);
        assert_eq!(
            ds.rows(TableKind::DeviceProcess),
            before + 3,
            "{:?}",
            ds.issues.lines()
        );
        let lines = ds.issues.lines().join("\n");
        assert!(
            lines.contains(&format!(
                "line {}: a record of 3000011 bytes, longer than the 1 MiB proxyhunt holds; skipped",
                before + 1
            )),
            "{lines}"
        );
        assert_eq!(ds.files[0].rows_rejected, 1);
    }
}

#[test]
fn event_times_outside_the_range_are_said_and_never_become_now() {
    // A row no detection can match (notepad.exe) dated 9999: a hunt's row filter must not turn it
    // away unsaid, and it must not become `now()`, which would put every real event outside the
    // rule's window.
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{HEADER}\n9999-12-31T00:00:00Z,ws1,alice,notepad.exe,notepad.exe x.txt,explorer.exe,explorer.exe\n\
         2026-05-12T09:00:00Z,ws2,alice,tor.exe,tor.exe -f torrc,cmd.exe,cmd.exe\n"
    );
    write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["hunt", d, "--lookback", "rule"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        err.contains("DeviceProcessEvents.csv")
            && err.contains("line 2")
            && err.contains("1677-2262"),
        "{err}"
    );
    assert!(err.contains("now() = 2026-05-12T09:00:00Z"), "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    assert!(out.contains("tor.exe -f torrc"), "{out}");
}
