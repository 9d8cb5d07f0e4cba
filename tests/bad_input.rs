//! Bad input: each case gives a one-line message naming file, line and column, the good rows of
//! the same file are kept, and the exit code follows the contract (check: 2 when a file could not
//! be read in full; hunt: 2 only when a detection's table is unusable).

mod common;

use common::*;
use proxyhunt::data::schema::TableKind;

const PROC_HEADER: &str = "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n";

fn proc_row(t: &str, cmd: &str) -> String {
    format!("{t},ws1,alice,ssh.exe,\"{cmd}\",cmd.exe,cmd.exe\n")
}

fn tmp() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn line_with<'a>(text: &'a str, needle: &str) -> &'a str {
    text.lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("no line with {needle:?} in:\n{text}"))
}

#[test]
fn truncated_csv_keeps_the_rows_before_the_cut() {
    let dir = tmp();
    let mut text = String::from(PROC_HEADER);
    text.push_str(&proc_row("2026-05-12T09:00:00Z", "ssh -D 1080 host"));
    text.push_str(&proc_row("2026-05-12T09:01:00Z", "ssh -J bastion host"));
    text.push_str("2026-05-12T09:02:00Z,ws1,alice,ssh.exe,\"ssh -D 9 cut");
    let p = write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let ds = load_dir(dir.path());
    assert_eq!(ds.rows(TableKind::DeviceProcess), 2);
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    let msg = line_with(&out, "never closed");
    assert!(
        msg.contains("DeviceProcessEvents.csv: line 4: table DeviceProcessEvents"),
        "{msg}"
    );
    assert!(out.contains("2 loaded, 1 rejected"), "{out}");
    let (code, stdout, _) = run(&["hunt", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(
        stdout.lines().count(),
        3,
        "ProxyToolLaunch + 2 SSHMultiHopProxy: {stdout}"
    );
}

#[test]
fn ragged_csv_row_is_reported_and_skipped() {
    let dir = tmp();
    let mut text = String::from(PROC_HEADER);
    text.push_str(&proc_row("2026-05-12T09:00:00Z", "ssh -D 1080 host"));
    text.push_str("2026-05-12T09:01:00Z,ws1,alice\n");
    text.push_str(&proc_row("2026-05-12T09:02:00Z", "ssh -J bastion host"));
    let p = write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    let msg = line_with(&out, "expected 7 fields, found 3");
    assert!(msg.contains("line 3"), "{msg}");
    assert!(out.contains("2 loaded, 1 rejected"), "{out}");
}

#[test]
fn malformed_ndjson_line_is_skipped_and_the_rest_kept() {
    let dir = tmp();
    let good = r#"{"Timestamp":"2026-05-12T09:00:00Z","DeviceName":"ws1","RemoteIP":"1.2.3.4","RemotePort":9001,"RemoteIPType":"Public","RemoteUrl":"","InitiatingProcessFileName":"tor.exe","InitiatingProcessCommandLine":"tor.exe"}"#;
    let text =
        format!("{good}\n{{\"Timestamp\": \"2026-05-12T09:01:00Z\", \"DeviceName\": \n{good}\n");
    let p = write(dir.path(), "DeviceNetworkEvents.ndjson", text.as_bytes());
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    let msg = line_with(&out, "invalid JSON");
    assert!(msg.contains("DeviceNetworkEvents.ndjson: line 2"), "{msg}");
    assert!(out.contains("2 loaded, 1 rejected"), "{out}");
    let (code, stdout, _) = run(&["hunt", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 2);
}

#[test]
fn truncated_json_array_keeps_its_head() {
    let dir = tmp();
    let text = "[\n  {\"Timestamp\":\"2026-05-12T09:00:00Z\",\"DeviceName\":\"ws1\",\"AccountName\":\"a\",\"FileName\":\"tor.exe\",\"ProcessCommandLine\":\"tor.exe\"},\n  {\"Timestamp\":\"2026-05-12T09:01:00Z\",\"DeviceName\":\"ws1\",\"Acc";
    let p = write(dir.path(), "DeviceProcessEvents.json", text.as_bytes());
    let ds = load_dir(dir.path());
    assert_eq!(ds.rows(TableKind::DeviceProcess), 1);
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    let msg = line_with(&out, "invalid JSON in array element 2");
    assert!(msg.contains("line 3"), "{msg}");
}

#[test]
fn missing_required_column_makes_only_that_detection_not_run() {
    let dir = tmp();
    // The process table lacks ProcessCommandLine; the network table is fine.
    write(
        dir.path(),
        "DeviceProcessEvents.csv",
        b"Timestamp,DeviceName,AccountName,FileName\n2026-05-12T09:00:00Z,ws1,a,tor.exe\n",
    );
    write(
        dir.path(),
        "DeviceNetworkEvents.csv",
        b"Timestamp,DeviceName,RemoteIP,RemotePort,RemoteIPType,RemoteUrl,InitiatingProcessFileName,InitiatingProcessCommandLine\n2026-05-12T09:00:00Z,ws1,1.2.3.4,9050,Public,,tor.exe,tor.exe\n",
    );
    let d = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["hunt", d]);
    assert_eq!(code, 2, "{stderr}");
    let msg = line_with(&stderr, "missing column(s)");
    assert!(msg.contains("DeviceProcessEvents.csv: table DeviceProcessEvents: missing column(s) the detections test: ProcessCommandLine"), "{msg}");
    assert!(stderr.contains("not run: ProxyToolLaunch"), "{stderr}");
    assert_eq!(
        stdout.lines().count(),
        1,
        "the TorPortConnection finding is still written"
    );
    let (code, out, _) = run(&["check", d]);
    assert_eq!(code, 2);
    assert!(out.contains("UNUSABLE"), "{out}");
}

#[test]
fn invalid_utf8_is_replaced_reported_and_kept() {
    let dir = tmp();
    let mut bytes = PROC_HEADER.as_bytes().to_vec();
    bytes.extend_from_slice(
        b"2026-05-12T09:00:00Z,ws1,al\xffice,ssh.exe,\"ssh -D 1 h\",cmd.exe,cmd.exe\n",
    );
    bytes.extend_from_slice(proc_row("2026-05-12T09:01:00Z", "ssh -J b h").as_bytes());
    let p = write(dir.path(), "DeviceProcessEvents.csv", &bytes);
    let ds = load_dir(dir.path());
    assert_eq!(ds.rows(TableKind::DeviceProcess), 2);
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0, "a replaced character is a warning: {out}");
    let msg = line_with(&out, "invalid UTF-8");
    assert!(
        msg.contains("line 2: table DeviceProcessEvents, column AccountName"),
        "{msg}"
    );
    let (_, stdout, _) = run(&["hunt", p.to_str().unwrap()]);
    assert!(stdout.contains("al\u{fffd}ice"), "{stdout}");
}

#[test]
fn unparseable_datetime_rejects_the_row_and_names_it() {
    let dir = tmp();
    let mut text = String::from(PROC_HEADER);
    text.push_str(&proc_row("2026-05-12T09:00:00Z", "ssh -D 1080 host"));
    text.push_str(&proc_row("yesterday at noon", "ssh -J b h"));
    text.push_str(&proc_row("", "ssh -J c h"));
    let p = write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    let msg = line_with(&out, "cannot read \"yesterday at noon\" as a datetime");
    assert!(
        msg.contains("line 3: table DeviceProcessEvents, column Timestamp"),
        "{msg}"
    );
    let msg = line_with(&out, "no event time");
    assert!(msg.contains("line 4"), "{msg}");
    assert!(out.contains("1 loaded, 2 rejected"), "{out}");
    let (code, stdout, _) = run(&["hunt", p.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(stdout.lines().count(), 2);
}

#[test]
fn unparseable_secondary_values_are_warnings() {
    let dir = tmp();
    let text = "Timestamp,DeviceName,RemoteIP,RemotePort,RemoteIPType\n2026-05-12T09:00:00Z,ws1,1.2.3.4,ninety,Public\n2026-05-12T09:00:01Z,ws1,1.2.3.4,9001,Public\n";
    let p = write(dir.path(), "DeviceNetworkEvents.csv", text.as_bytes());
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    let msg = line_with(&out, "cannot read \"ninety\" as an integer");
    assert!(
        msg.starts_with("warning:")
            && msg.contains("line 2: table DeviceNetworkEvents, column RemotePort"),
        "{msg}"
    );
    assert!(out.contains("2 loaded, 0 rejected"));
    assert!(
        out.contains("missing  InitiatingProcessFileName, InitiatingProcessCommandLine, RemoteUrl"),
        "{out}"
    );
}

#[test]
fn empty_file_is_reported() {
    let dir = tmp();
    let p = write(dir.path(), "DeviceProcessEvents.csv", b"");
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(line_with(&out, "file is empty").contains("DeviceProcessEvents.csv"));
}

#[test]
fn directory_with_nothing_recognisable() {
    let dir = tmp();
    write(dir.path(), "notes.txt", b"hello\nworld\n");
    write(dir.path(), "other.csv", b"a,b\n1,2\n");
    let d = dir.path().to_str().unwrap();
    let (code, stdout, stderr) = run(&["hunt", d]);
    assert_eq!(code, 2);
    assert!(stdout.is_empty());
    assert!(
        line_with(&stderr, "nothing recognisable").contains("2 file(s) looked at"),
        "{stderr}"
    );
    let (code, out, _) = run(&["check", d]);
    assert_eq!(code, 2, "both files were read; neither is a table: {out}");
    assert!(out.contains("not one of the four tables"));
    assert!(
        out.contains("Nothing recognised: no file is one of the tables the detections read (2 file(s) looked at)"),
        "{out}"
    );
}

#[test]
fn missing_path_is_an_error() {
    let (code, out, _) = run(&["check", "/nonexistent/proxyhunt-input"]);
    assert_eq!(code, 2);
    assert!(
        out.contains("/nonexistent/proxyhunt-input: cannot open"),
        "{out}"
    );
}

#[test]
fn control_characters_in_names_and_values_never_reach_the_terminal() {
    let dir = tmp();
    let text = "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine\n\x1b]0;pwned\x07,ws1,a,ssh.exe,x\n";
    let p = write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let (_, out, _) = run(&["check", p.to_str().unwrap()]);
    assert!(!out.contains('\x1b') && !out.contains('\x07'), "{out:?}");
    assert!(out.contains("\\x1b]0;pwned\\x07"), "{out}");
}
