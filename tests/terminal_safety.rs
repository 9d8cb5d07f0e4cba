//! Log- and file-controlled text outside the console: JSON escapes control and bidi characters
//! exactly (`\uXXXX`), CSV to a terminal escapes them as the console does, CSV to a file keeps
//! values exact, and messages on stderr never carry them raw.

mod common;

use std::path::Path;

use common::*;
use proxyhunt::export::{encode_to, CsvSafety, Format, Sink};
use proxyhunt::text::is_unsafe_char;

/// A command line with ESC sequences (OSC title, CSI), a C1 CSI, a bidi override, CR/LF, tab
/// and DEL.
const HOSTILE: &str =
    "ssh -J jump \u{1b}]0;pwned\u{7} \u{9b}31m \u{202e}txt.exe\r\nline2\t\u{7f}\u{2066}end";

fn hostile_exports(dir: &Path) -> std::path::PathBuf {
    let row = serde_json::json!({
        "Timestamp": "2026-05-12T09:00:00Z",
        "DeviceName": "ws1",
        "AccountName": "alice",
        "FileName": "ssh.exe",
        "ProcessCommandLine": HOSTILE,
        "InitiatingProcessFileName": "cmd.exe",
        "InitiatingProcessCommandLine": "cmd.exe \u{9b}2J",
    });
    write(
        dir,
        "DeviceProcessEvents.ndjson",
        format!("{row}\n").as_bytes(),
    )
}

/// Characters that must not reach a terminal raw (line ends allowed where named).
fn raw_unsafe(text: &str, allow_newline: bool) -> Vec<char> {
    text.chars()
        .filter(|&c| is_unsafe_char(c) && !(allow_newline && c == '\n'))
        .collect()
}

#[test]
fn ndjson_and_json_escape_and_read_back_exactly() {
    let dir = tempfile::tempdir().unwrap();
    let p = hostile_exports(dir.path());
    let (code, out, err) = run(&["hunt", p.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(raw_unsafe(&out, true), Vec::<char>::new(), "{out:?}");
    assert_eq!(
        out.lines().count(),
        1,
        "CR/LF inside a value stay escaped: {out:?}"
    );
    assert!(
        out.contains("\\u001b]0;pwned\\u0007") && out.contains("\\u009b31m"),
        "{out}"
    );
    assert!(
        out.contains("\\u202etxt.exe\\r\\nline2\\t\\u007f\\u2066end"),
        "{out}"
    );
    let v: serde_json::Value = serde_json::from_str(out.trim_end()).unwrap();
    assert_eq!(v["ProcessCommandLine"], HOSTILE);
    assert_eq!(v["InitiatingProcessCommandLine"], "cmd.exe \u{9b}2J");

    let (code, out, err) = run(&["hunt", p.to_str().unwrap(), "--format", "json"]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(raw_unsafe(&out, true), Vec::<char>::new(), "{out:?}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(v[0]["ProcessCommandLine"], HOSTILE);

    // The same bytes in a file: JSON escapes lose nothing.
    let f = dir.path().join("f.ndjson");
    let (code, _, _) = run(&["hunt", p.to_str().unwrap(), "--out", f.to_str().unwrap()]);
    assert_eq!(code, 0);
    let text = std::fs::read_to_string(&f).unwrap();
    assert_eq!(raw_unsafe(&text, true), Vec::<char>::new());
    let v: serde_json::Value = serde_json::from_str(text.trim_end()).unwrap();
    assert_eq!(v["ProcessCommandLine"], HOSTILE);
}

#[test]
fn csv_to_a_file_is_exact_and_to_a_terminal_is_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let p = hostile_exports(dir.path());
    let f = dir.path().join("f.csv");
    let (code, _, err) = run(&["hunt", p.to_str().unwrap(), "--out", f.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let text = std::fs::read_to_string(&f).unwrap();
    assert!(
        text.contains(&format!("\"{HOSTILE}\"")),
        "exact in a file: {text:?}"
    );

    // For a terminal (what `hunt --format csv` writes when stdout is one).
    let ds = load_dir(dir.path());
    let result =
        proxyhunt::detect::hunt(&ds, &options(proxyhunt::detect::Lookback::All, None)).unwrap();
    let mut buf = Vec::new();
    encode_to(
        &result.findings,
        Format::Csv,
        CsvSafety::Neutralise,
        Sink::Terminal,
        &mut buf,
    )
    .unwrap();
    let shown = String::from_utf8(buf).unwrap();
    assert_eq!(raw_unsafe(&shown, true), Vec::<char>::new(), "{shown:?}");
    assert_eq!(shown.lines().count(), 2, "one header, one row: {shown}");
    assert!(
        shown.contains("ssh -J jump \\x1b]0;pwned\\x07 \\u{009b}31m \\u{202e}txt.exe\\r\\nline2\\t\\x7f\\u{2066}end"),
        "{shown}"
    );
}

#[test]
fn csv_on_a_real_terminal_is_escaped() {
    // `script` gives the command a pseudo-terminal; without util-linux this test cannot run.
    if std::process::Command::new("script")
        .arg("--version")
        .output()
        .is_err()
    {
        eprintln!("script(1) not found: CSV on a pseudo-terminal not tested here");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let p = hostile_exports(dir.path());
    // Standard output on the terminal, and the terminal named as the output file.
    for out_flag in ["", " --out /dev/tty 2>/dev/null"] {
        let command = format!(
            "{} hunt {} --format csv{out_flag}",
            env!("CARGO_BIN_EXE_proxyhunt"),
            p.display()
        );
        let out = std::process::Command::new("script")
            .args(["-qec", &command, "/dev/null"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        // The terminal turns each line end into CR LF; nothing else may be a control.
        let body = text.replace("\r\n", "\n");
        assert_eq!(
            raw_unsafe(&body, true),
            Vec::<char>::new(),
            "{out_flag}: {text:?}"
        );
        assert!(body.contains("\\x1b]0;pwned\\x07"), "{out_flag}: {text:?}");
    }
}

#[test]
fn messages_on_stderr_are_escaped() {
    let dir = tempfile::tempdir().unwrap();
    // A hostile file name with a bad row (named in the error line), and a hostile output name.
    let name = "DeviceProcessEvents\u{1b}[2J\u{202e}.csv";
    write(
        dir.path(),
        name,
        b"Timestamp,DeviceName,AccountName,FileName,ProcessCommandLine\nnever,ws1,a,ssh.exe,ssh -D 1 h\n2026-05-12T09:00:00Z,ws1,a,ssh.exe,ssh -D 1 h\n",
    );
    let out = dir.path().join("out\u{9b}.csv");
    let tuning = write(
        dir.path(),
        "t.toml",
        "[[filter]]\nid = \"x\\u001b[2J\"\ntitle = \"t\\u202e\"\nreason = \"r\\u009b\"\ndetection_types = [\"SSHMultiHopProxy\"]\n  [[filter.when]]\n  field = \"DeviceName\"\n  equals = \"nomatch\"\n"
            .as_bytes(),
    );
    let (code, _, err) = run(&[
        "hunt",
        dir.path().to_str().unwrap(),
        "--format",
        "csv",
        "--out",
        out.to_str().unwrap(),
        "--tuning",
        tuning.to_str().unwrap(),
    ]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(raw_unsafe(&err, true), Vec::<char>::new(), "{err:?}");
    assert!(
        err.contains("DeviceProcessEvents\\x1b[2J\\u{202e}.csv"),
        "{err}"
    );
    assert!(err.contains("out\\u{009b}.csv"), "{err}");

    // An error message naming a hostile path.
    let bad = dir.path().join("no\u{1b}dir/f.csv");
    let (code, _, err) = run(&["hunt", "--sample", "--out", bad.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(raw_unsafe(&err, true), Vec::<char>::new(), "{err:?}");
    assert!(err.contains("no\\x1bdir"), "{err}");

    // kql with the same tuning file prints nothing raw either.
    let (code, kql, err) = run(&["kql", "--tuning", tuning.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    assert_eq!(raw_unsafe(&kql, true), Vec::<char>::new(), "{kql:?}");
    assert_eq!(raw_unsafe(&err, true), Vec::<char>::new(), "{err:?}");
}
