//! Every exit code of the README's table, and the embedded sample read only on request.

mod common;

use common::*;

const PROC_HEADER: &str = "Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine,InitiatingProcessFileName,InitiatingProcessCommandLine\n";

fn proc_row(time: &str, cmd: &str) -> String {
    format!("{time},ws1,alice,ssh.exe,\"{cmd}\",cmd.exe,cmd.exe\n")
}

fn good_proc(dir: &std::path::Path) -> std::path::PathBuf {
    let text = format!(
        "{PROC_HEADER}{}",
        proc_row("2026-05-12T09:00:00Z", "ssh -D 1080 host")
    );
    write(dir, "DeviceProcessEvents.csv", text.as_bytes())
}

#[test]
fn success_is_0() {
    let dir = tempfile::tempdir().unwrap();
    let p = good_proc(dir.path());
    let (code, out, err) = run(&["hunt", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    // ssh with -D: a ProxyToolLaunch and an SSHMultiHopProxy.
    assert_eq!(out.lines().count(), 2, "{out}");
    assert!(!err.contains("sample"), "{err}");
}

#[test]
fn usage_errors_are_1_and_help_is_0() {
    let (code, _, err) = run(&["hunt", "--bogus"]);
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("unexpected argument '--bogus'"), "{err}");
    let (code, _, err) = run(&["hunt", "--sample", "some/path"]);
    assert_eq!(code, 1, "--sample with a PATH: {err}");
    assert!(err.contains("cannot be used with"), "{err}");
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 1, "{err}");
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("Exit codes:"), "{out}");
    let (code, out, _) = run(&["hunt", "--help"]);
    assert_eq!(code, 0);
    assert!(out.contains("--sample"), "{out}");
    let (code, out, _) = run(&["--version"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("proxyhunt "), "{out}");
}

#[test]
fn no_input_is_1_and_never_the_sample() {
    for command in ["hunt", "check"] {
        let (code, out, err) = run(&[command]);
        assert_eq!(code, 1, "{command}: {err}");
        assert!(out.is_empty(), "{command}: nothing hunted: {out}");
        assert!(
            err.contains(&format!("{command}: no input"))
                && err.contains("PATH")
                && err.contains("--sample"),
            "{err}"
        );
    }
    // With --sample, the sample, marked as such.
    let (code, out, err) = run(&["hunt", "--sample"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 79);
    assert!(err.contains("reading the embedded sample data"), "{err}");
    let (code, out, _) = run(&["check", "--sample"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("(embedded sample data)"), "{out}");
}

#[test]
fn table_paths_are_read_not_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    // Columns of both device tables: only --table says which.
    let p = write(
        dir.path(),
        "export.ndjson",
        br#"{"Timestamp":"2026-05-12T09:00:00Z","DeviceName":"ws1","AccountName":"a","FileName":"tor.exe","ProcessCommandLine":"tor.exe","RemoteIP":"","RemotePort":null}
"#,
    );
    let forced = format!("DeviceProcessEvents={}", p.display());
    let (code, out, err) = run(&["hunt", "--table", &forced]);
    assert_eq!(code, 0, "{err}");
    assert!(!err.contains("sample"), "{err}");
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 1, "{out}");
    assert!(lines[0].contains("\"FileName\":\"tor.exe\""), "{out}");
    // Given twice (PATH and --table), read once.
    let (code, out, _) = run(&["hunt", p.to_str().unwrap(), "--table", &forced]);
    assert_eq!(code, 0);
    assert_eq!(out.lines().count(), 1, "{out}");
    // The directory and --table for a file in it: the file once, as the table.
    let d = dir.path().to_str().unwrap();
    let (code, out, err) = run(&["hunt", d, "--table", &forced]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1, "{out}");
    let (code, out, _) = run(&["check", "--table", &forced]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("DeviceProcessEvents (by --table)"), "{out}");
    assert!(!out.contains("embedded sample"), "{out}");
}

#[test]
fn an_empty_directory_is_not_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = run(&["hunt", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("nothing recognisable") && err.contains("0 file(s) looked at"),
        "{err}"
    );
    assert!(!err.contains("sample"), "{err}");
}

#[test]
fn an_unreadable_input_is_2_and_the_rest_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    good_proc(dir.path());
    // A gzip header, then garbage.
    write(
        dir.path(),
        "DeviceNetworkEvents.csv.gz",
        b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03garbage that is not deflate",
    );
    let (code, out, err) = run(&["hunt", dir.path().to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("input(s) could not be read") && err.contains("DeviceNetworkEvents.csv.gz"),
        "{err}"
    );
    assert_eq!(
        out.lines().count(),
        2,
        "the process findings are kept: {out}"
    );
    // A PATH that does not exist is an input not read.
    let good = dir.path().join("DeviceProcessEvents.csv");
    let missing = dir.path().join("missing.csv");
    let (code, out, err) = run(&["hunt", good.to_str().unwrap(), missing.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.contains("could not be read") && err.contains("missing.csv"),
        "{err}"
    );
    assert_eq!(out.lines().count(), 2, "{out}");
}

#[test]
fn every_row_rejected_is_2() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "{PROC_HEADER}{}{}",
        proc_row("yesterday", "ssh -D 1080 host"),
        proc_row("noon", "ssh -J a b")
    );
    let p = write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let (code, out, err) = run(&["hunt", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("every row of DeviceProcessEvents was rejected (2 row(s) in 1 file(s))"),
        "{err}"
    );
    // One good row among bad ones is not "every row".
    let text = format!("{text}{}", proc_row("2026-05-12T09:00:00Z", "ssh -J a b"));
    let p = write(dir.path(), "DeviceProcessEvents.csv", text.as_bytes());
    let (code, out, err) = run(&["hunt", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(out.lines().count(), 1);
}

#[test]
fn a_requested_detection_that_cannot_run_is_2() {
    let dir = tempfile::tempdir().unwrap();
    let p = good_proc(dir.path());
    let (code, out, err) = run(&[
        "hunt",
        p.to_str().unwrap(),
        "--detection",
        "anonymized-signin",
    ]);
    assert_eq!(code, 2, "{err}");
    assert!(out.is_empty());
    assert!(err.contains("not run: AnonymizedSignIn"), "{err}");
}

#[test]
fn check_is_2_when_nothing_is_recognised_and_0_on_the_sample() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(dir.path(), "notes.txt", b"hello\n");
    let (code, out, _) = run(&["check", p.to_str().unwrap()]);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("Nothing recognised"), "{out}");
    let (code, out, _) = run(&["check", "--sample"]);
    assert_eq!(code, 0, "{out}");
}
