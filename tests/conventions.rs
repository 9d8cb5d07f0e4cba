//! Conventions of the command line: completions, a man page, examples and exit codes in
//! --help, unknown commands reported as such, messages that name the file and say the OS
//! error once.

mod common;

use common::*;

#[test]
fn completions_for_each_shell() {
    for (shell, mark) in [
        ("bash", "complete -F _proxyhunt"),
        ("zsh", "#compdef proxyhunt"),
        ("fish", "complete -c proxyhunt"),
        ("elvish", "proxyhunt"),
        ("powershell", "proxyhunt"),
    ] {
        let (code, out, err) = run(&["completions", shell]);
        assert_eq!(code, 0, "{shell}: {err}");
        assert!(out.contains(mark), "{shell}: {out}");
        for word in ["hunt", "check", "sample", "lookback"] {
            assert!(out.contains(word), "{shell} completes {word}");
        }
    }
    let (code, _, err) = run(&["completions", "tcsh"]);
    assert_eq!(code, 1);
    assert!(err.contains("invalid value 'tcsh'"), "{err}");
    let (code, _, err) = run(&["completions"]);
    assert_eq!(code, 1, "{err}");
}

#[test]
fn man_page() {
    let (code, out, err) = run(&["man"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains(".TH proxyhunt 1"), "{out}");
    for text in ["hunt", "check", "completions", "Exit codes", "\\-\\-sample"] {
        assert!(out.contains(text), "the man page has {text}: {out}");
    }
}

#[test]
fn help_has_examples_and_exit_codes() {
    let (code, out, _) = run(&["--help"]);
    assert_eq!(code, 0);
    assert!(
        out.contains("Examples:") && out.contains("proxyhunt hunt --sample"),
        "{out}"
    );
    assert!(
        out.contains("Exit codes:") && out.contains("2  hunt:"),
        "{out}"
    );
    for command in ["hunt", "check"] {
        let (code, out, _) = run(&[command, "--help"]);
        assert_eq!(code, 0);
        assert!(out.contains("Exit codes:"), "{command}: {out}");
    }
}

#[test]
fn an_unknown_command_is_reported_as_such() {
    for args in [
        &["completion", "bash"][..],
        &["hunts"][..],
        &["chek", "x.csv"][..],
    ] {
        let (code, out, err) = run(args);
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(out.is_empty());
        assert!(
            err.contains(&format!("unknown command or missing file '{}'", args[0])),
            "{err}"
        );
        assert!(
            err.contains("hunt, chains, check, generate, replay, kql, catalog, completions, man"),
            "{err}"
        );
    }
    // A bare word that is a folder is a PATH for the console (which needs a terminal here).
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("exports")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_proxyhunt"))
        .arg("exports")
        .current_dir(dir.path())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1));
    assert!(err.contains("the console needs a terminal"), "{err}");
}

#[test]
fn messages_name_the_file_and_say_the_os_error_once() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("missing.toml");
    let m = missing.to_str().unwrap();
    for args in [
        vec!["kql", "--tuning", m],
        vec!["hunt", "--sample", "--tuning", m],
    ] {
        let (code, _, err) = run(&args);
        assert_eq!(code, 1, "{args:?}: {err}");
        let line = err.lines().find(|l| l.contains("error:")).unwrap_or("");
        assert!(line.contains(m), "{args:?}: {err}");
        assert_eq!(
            line.matches("No such file or directory").count(),
            1,
            "{args:?}: {line}"
        );
    }
    // A tuning file that is not UTF-8 is named.
    let latin1 = write(dir.path(), "latin1.toml", b"# caf\xe9\n");
    let (_, _, err) = run(&["kql", "--tuning", latin1.to_str().unwrap()]);
    assert!(err.contains("latin1.toml"), "{err}");
}
