//! The console driven through the same `Action`s the keys produce, rendered on ratatui's
//! `TestBackend` at 80x24 and 120x40, and compared with committed snapshots.

mod common;

use proxyhunt::data::load::{load_sample, Dataset};
use proxyhunt::detect::HuntOptions;
use proxyhunt::explore::context_events;
use proxyhunt::replay::both::replay_both;
use proxyhunt::tui::state::{ExclusionField, IncidentLevel, ReplayState};
use proxyhunt::tui::state::{Overlay, State};
use proxyhunt::tui::update::{update, Effect};
use proxyhunt::tui::worker::{loaded_from, Reply};
use proxyhunt::tui::{apply_reply, view, Action};
use proxyhunt::tuning::TuningSource;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn state_with(ds: Dataset, is_sample: bool, tuning: TuningSource) -> State {
    let mut state = State::new(is_sample, "window all events".into(), false);
    let mut loaded = loaded_from(
        ds,
        &HuntOptions::default(),
        "window all events".into(),
        &tuning,
    )
    .expect("loads");
    loaded.tuning.today = "2026-05-12".into();
    state.set_loaded(loaded);
    state
}

fn state_for(ds: Dataset, is_sample: bool) -> State {
    state_with(ds, is_sample, TuningSource::None)
}

fn sample_state() -> State {
    state_for(load_sample(), true)
}

/// Runs a replay synchronously, as the worker would.
fn run_replay(state: &mut State) {
    if let Some((ds, tuning, generation)) = state.begin_replay() {
        let result = replay_both(&ds, &tuning)
            .map(|r| r.map(Box::new))
            .map_err(|e| e.to_string());
        apply_reply(state, Reply::Replayed { generation, result });
    }
}

/// Applies actions; runs any context effect synchronously, as the worker would.
fn drive(state: &mut State, actions: &[Action]) {
    for a in actions {
        let effect = update(state, a.clone());
        if let Some(Effect::Replay) = effect {
            run_replay(state);
            continue;
        }
        if let Some(Effect::Context {
            entity,
            center,
            half_window,
        }) = effect
        {
            let ds = state.dataset.clone().unwrap();
            let events =
                context_events(&ds, &entity, center, half_window).map_err(|e| e.to_string());
            apply_reply(
                state,
                Reply::Context {
                    entity,
                    half_window,
                    events,
                },
            );
        }
    }
}

fn render(state: &State, w: u16, h: u16) -> String {
    let mut terminal = Terminal::new(TestBackend::new(w, h)).unwrap();
    terminal.draw(|f| view::draw(f, state)).unwrap();
    let buf = terminal.backend().buffer().clone();
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

fn snap(name: &str, state: &State) {
    insta::assert_snapshot!(format!("{name}_80x24"), render(state, 80, 24));
    insta::assert_snapshot!(format!("{name}_120x40"), render(state, 120, 40));
}

#[test]
fn main_view() {
    snap("main", &sample_state());
}

#[test]
fn drill_into_a_user_from_the_pivot() {
    let mut s = sample_state();
    drive(&mut s, &[Action::FocusNext, Action::Select]);
    assert_eq!(s.drills.len(), 1);
    assert!(s.visible.iter().all(|&i| s.rows[i].user == "carol"));
    snap("drill_carol", &s);
    drive(&mut s, &[Action::Back]);
    assert!(s.drills.is_empty());
    assert_eq!(s.visible.len(), s.rows.len());
}

#[test]
fn exclude_and_pivot_by_ip() {
    let mut s = sample_state();
    drive(
        &mut s,
        &[Action::PivotNext, Action::FocusNext, Action::Exclude],
    );
    assert_eq!(
        s.drills[0].label(),
        "IP!=203.0.113.10",
        "the VPN egress has the most findings"
    );
    snap("exclude_ip", &s);
}

#[test]
fn go_hunt_on_an_ip() {
    let mut s = sample_state();
    drive(&mut s, &[Action::PivotNext, Action::GoHunt]);
    let Overlay::Context(view) = &s.overlay else {
        panic!("context open")
    };
    assert!(view.events.as_ref().is_some_and(|e| !e.is_empty()));
    snap("go_hunt_ip", &s);
    drive(&mut s, &[Action::WidenContext]);
    let Overlay::Context(view) = &s.overlay else {
        panic!("context open")
    };
    assert_eq!(view.half_window, 2 * proxyhunt::kql::time::HOUR);
    let events = view.events.clone().unwrap();
    // Events that are findings are marked.
    let screen = render(&s, 120, 40);
    let marked = screen.lines().filter(|l| l.contains('◆')).count();
    let findings = events
        .iter()
        .filter(|e| s.finding_at.contains_key(&e.source))
        .count();
    assert!(findings > 0, "the address's sign-ins are findings");
    assert_eq!(marked, findings, "{screen}");
    // Repeated rows (the same indicator at every update) are one event ×N.
    assert!(events.iter().any(|e| e.repeats > 1), "{events:?}");
    let screen = render(&s, 120, 40);
    assert!(screen.contains("×"), "{screen}");
    // Enter opens the selected event in full; Esc goes back to the table, then closes.
    drive(&mut s, &[Action::Bottom, Action::Select]);
    let last = events.last().unwrap();
    let screen = render(&s, 120, 40);
    assert!(screen.contains(&last.source), "{screen}");
    assert!(screen.contains("Esc: back to the events"), "{screen}");
    drive(&mut s, &[Action::Back]);
    assert!(matches!(&s.overlay, Overlay::Context(v) if !v.open));
    // A window widened or narrowed for one go hunt does not stick to the next.
    drive(&mut s, &[Action::Back, Action::GoHunt]);
    let Overlay::Context(view) = &s.overlay else {
        panic!("context open")
    };
    assert_eq!(view.half_window, proxyhunt::kql::time::HOUR);
    drive(&mut s, &[Action::Back]);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn find_sort_and_detail() {
    let mut s = sample_state();
    drive(&mut s, &[Action::StartFind]);
    for c in "bastion".chars() {
        drive(&mut s, &[Action::Input(c)]);
    }
    drive(
        &mut s,
        &[
            Action::Submit,
            Action::SortNext,
            Action::Down,
            Action::Select,
        ],
    );
    assert_eq!(s.find, "bastion");
    assert_eq!(s.visible.len(), 8);
    snap("find_sort_detail", &s);
}

#[test]
fn help_overlay() {
    let mut s = sample_state();
    drive(&mut s, &[Action::ToggleHelp]);
    snap("help", &s);
    // Small screens: every entry is reachable by scrolling, the title says how many are below.
    let screen = render(&s, 60, 20);
    insta::assert_snapshot!("help_60x20", screen);
    assert!(screen.contains("more below"), "{screen}");
    drive(&mut s, &[Action::Resize(60, 20)]);
    drive(&mut s, &vec![Action::Down; 40]);
    let screen = render(&s, 60, 20);
    assert!(screen.contains("Prompts:"), "{screen}");
    assert!(
        screen.contains("who owns the exclusion"),
        "the last binding: {screen}"
    );
    // Keys under it never move the table; Esc gives back the main screen.
    assert_eq!(s.selected, 0);
    drive(&mut s, &[Action::Back]);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn export_prompt_returns_an_export_effect() {
    let mut s = sample_state();
    update(&mut s, Action::StartExport);
    for _ in 0..30 {
        update(&mut s, Action::DeleteChar);
    }
    for c in "out.csv!".chars() {
        update(&mut s, Action::Input(c));
    }
    let effect = update(&mut s, Action::Submit);
    assert!(
        matches!(effect, Some(Effect::Export { path, force: true }) if path == std::path::Path::new("out.csv"))
    );
}

#[test]
fn loading_screen_answers_quit_and_help() {
    let mut s = State::new(true, "window all events".into(), false);
    let screen = render(&s, 80, 24);
    assert!(screen.contains("loading"), "{screen}");
    update(&mut s, Action::Down);
    assert_eq!(
        s.message.as_deref(),
        Some("still loading: q quits, ? shows help")
    );
    update(&mut s, Action::ToggleHelp);
    assert!(render(&s, 80, 24).contains("Help"));
    update(&mut s, Action::Quit);
    assert!(s.quit);
}

#[test]
fn hostile_text_never_reaches_the_buffer_raw() {
    let dir = tempfile::tempdir().unwrap();
    let evil = "ssh -D 1080 \u{1b}[31mred\u{7} \r\u{202e}exe.txt \u{9b}2J host";
    let row = serde_json::json!({"Timestamp": "2026-05-12T09:00:00Z", "DeviceName": "ws\u{1b}]0;x\u{7}1", "AccountName": "a\u{202e}b",
        "FileName": "ssh.exe", "ProcessCommandLine": evil, "InitiatingProcessFileName": "cmd.exe", "InitiatingProcessCommandLine": "cmd\r\n.exe"});
    common::write(
        dir.path(),
        "DeviceProcessEvents.ndjson",
        format!("{row}\n").as_bytes(),
    );
    let ds = common::load_dir(dir.path());
    let mut s = state_for(ds, false);
    for actions in [
        vec![],
        vec![Action::Select],
        vec![Action::FocusNext],
        vec![Action::GoHunt],
        vec![Action::StartFind, Action::Input('\u{202e}')],
    ] {
        drive(&mut s, &actions);
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = render(&s, w, h);
            for bad in ['\u{1b}', '\u{7}', '\r', '\u{202e}', '\u{9b}'] {
                assert!(
                    !screen.contains(bad),
                    "{bad:?} reached the screen after {actions:?}:\n{screen}"
                );
            }
        }
    }
    assert!(render(&s, 120, 40).contains("\\x1b[31mred"));
    // The exclusion panel escapes as every pane does (not Rust's `\u{1b}`, no doubled `\\`).
    drive(
        &mut s,
        &[Action::Back, Action::Back, Action::ProposeExclusion],
    );
    let screen = render(&s, 120, 40);
    assert!(matches!(s.overlay, Overlay::Proposal(_)), "{screen}");
    assert!(screen.contains("\\x1b]0;x\\x07"), "{screen}");
    assert!(
        !screen.contains("\\u{1b}") && !screen.contains("\\\\"),
        "{screen}"
    );
}

#[test]
fn y_copies_the_value_and_shift_y_the_record() {
    let mut s = sample_state();
    let first = s.selected_row().unwrap().clone();
    let Some(Effect::Copy(v)) = update(&mut s, Action::CopyValue) else {
        panic!("a copy")
    };
    assert_eq!(v, first.user, "the finding's value of the pivot key (User)");
    let Some(Effect::Copy(record)) = update(&mut s, Action::CopyRecord) else {
        panic!("a copy")
    };
    let record: serde_json::Value = serde_json::from_str(&record).unwrap();
    assert_eq!(record["DetectionType"], first.kind.name());
    assert_eq!(record["User"], first.user.as_str());
    drive(&mut s, &[Action::FocusNext, Action::Down]);
    let Some(Effect::Copy(v)) = update(&mut s, Action::CopyValue) else {
        panic!("a copy")
    };
    assert_eq!(v, s.pivot[1].value, "the pivot row's value");
    assert!(
        render(&s, 80, 24).contains("[pivot]"),
        "the footer names the pane"
    );
}

#[test]
fn exported_view_equals_hunt_for_the_same_filter() {
    let mut s = sample_state();
    drive(&mut s, &[Action::FocusNext, Action::Select]); // drill into the top user (carol)
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("view.ndjson");
    let view = s.view_frame().unwrap().unwrap();
    proxyhunt::export::write_file(
        &view,
        proxyhunt::export::Format::Ndjson,
        proxyhunt::export::CsvSafety::Neutralise,
        &path,
        false,
    )
    .unwrap();
    let exported = std::fs::read_to_string(&path).unwrap();
    let (code, all, _) = common::run(&["hunt", "--sample"]);
    assert_eq!(code, 0);
    let carol: Vec<&str> = all
        .lines()
        .filter(|l| l.contains("\"User\":\"carol\""))
        .collect();
    assert_eq!(exported.lines().collect::<Vec<_>>(), carol);
}

fn tuned_sample(dir: &std::path::Path) -> (State, std::path::PathBuf) {
    let path = dir.join("tuning.toml");
    std::fs::copy(common::repo().join("sample-data/tuning.toml"), &path).unwrap();
    let mut s = state_with(load_sample(), true, TuningSource::File(path.clone()));
    // Stable origins for the snapshots: drop the temporary directory.
    let prefix = format!("{}/", dir.display());
    for f in &mut s.tuning.filters {
        f.origin = f.origin.replace(&prefix, "");
    }
    (s, path)
}

#[test]
fn tuning_panel_toggles_refilter_at_once() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = tuned_sample(dir.path());
    let before = s.visible.len();
    assert_eq!(before, s.rows.len() - s.suppressed_count());
    assert_eq!(s.suppressed_count(), 54);
    drive(&mut s, &[Action::OpenTuning]);
    s.tuning_path = "tuning.toml".into(); // a stable path for the snapshot
    snap("tuning_panel", &s);
    // The first filter is generic-dash-d (on): switching it off brings its 5 findings back.
    drive(&mut s, &[Action::ToggleFilter]);
    assert_eq!(s.visible.len(), before + 5);
    assert_eq!(
        s.message.as_deref(),
        Some("generic-dash-d off: matches 5 finding(s)")
    );
    drive(
        &mut s,
        &[Action::ToggleFilter, Action::ToggleShowSuppressed],
    );
    assert_eq!(s.visible.len(), s.rows.len(), "suppressed findings shown");
}

#[test]
fn exclusion_from_a_finding_previews_warns_and_saves_keeping_comments() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, path) = tuned_sample(dir.path());
    // The newest finding is carol's sign-in through a Tor exit.
    drive(&mut s, &[Action::ProposeExclusion]);
    let Overlay::Proposal(view) = &s.overlay else {
        panic!("proposal open")
    };
    assert_eq!(
        view.candidates[0].label,
        "IPAddress equals \"185.220.101.47\""
    );
    assert!(view.preview.total >= 6);
    assert!(
        view.preview
            .warnings()
            .iter()
            .any(|w| w.contains("tagged tor")),
        "{:?}",
        view.preview.warnings()
    );
    s.tuning_path = "tuning.toml".into(); // a stable path for the snapshot
    snap("proposal", &s);
    s.tuning_path = path.clone();
    // Narrow it to carol only: pick User as well.
    drive(&mut s, &[Action::ToggleCandidate(2)]);
    let Overlay::Proposal(view) = &s.overlay else {
        panic!()
    };
    assert_eq!(view.preview.users.len(), 1);
    let hidden = view.preview.total;
    let warned = !view.preview.warnings().is_empty();
    let before_text = std::fs::read_to_string(&path).unwrap();
    // Not without a reason: the file is reviewed.
    assert!(update(&mut s, Action::SaveExclusion).is_none());
    assert!(
        s.message.as_deref().unwrap().contains("say why"),
        "{:?}",
        s.message
    );
    type_into(
        &mut s,
        Action::EditExclusion(ExclusionField::Reason),
        "carol's travel VPN, \u{202e}ticket 42",
    );
    type_into(
        &mut s,
        Action::EditExclusion(ExclusionField::Owner),
        "soc-team",
    );
    type_into(
        &mut s,
        Action::EditExclusion(ExclusionField::Id),
        "carol-travel",
    );
    // Over a warning, the first Enter asks; the second saves.
    assert!(warned, "carol's Tor sign-ins are tagged tor");
    assert!(update(&mut s, Action::SaveExclusion).is_none());
    assert!(
        s.message
            .as_deref()
            .unwrap()
            .contains("Enter again saves it"),
        "{:?}",
        s.message
    );
    s.tuning_path = "tuning.toml".into(); // a stable path for the snapshot
    snap("proposal_confirm", &s);
    s.tuning_path = path.clone();
    let Some(Effect::SaveFilter {
        path: p,
        block,
        filter,
    }) = update(&mut s, Action::SaveExclusion)
    else {
        panic!("save effect")
    };
    assert_eq!(p, path);
    // TOML dates, an expiry 90 days on, the analyst's words (escaped).
    assert!(block.contains("created = 2026-05-12\n"), "{block}");
    assert!(block.contains("expires = 2026-08-10\n"), "{block}");
    assert!(block.contains("owner = \"soc-team\"\n"), "{block}");
    assert!(!block.contains('\u{202e}'), "{block}");
    let result = proxyhunt::tuning::save::append_filter(&p, &block).map_err(|e| e.to_string());
    let visible_before = s.visible.len();
    apply_reply(
        &mut s,
        Reply::Saved {
            path: p,
            block,
            filter,
            result,
        },
    );
    assert!(
        s.message
            .as_deref()
            .unwrap()
            .starts_with("saved exclusion carol-travel"),
        "{:?}",
        s.message
    );
    assert_eq!(s.visible.len(), visible_before - hidden);
    let after_text = std::fs::read_to_string(&path).unwrap();
    assert!(
        after_text.starts_with(&before_text),
        "the file's comments and layout are kept"
    );
    let (filters, issues) = proxyhunt::tuning::parse_tuning("t", &after_text).unwrap();
    assert!(issues.is_empty(), "{issues:?}");
    let saved = filters.last().unwrap();
    assert_eq!(saved.id, "carol-travel");
    assert_eq!(saved.reason, "carol's travel VPN, \u{202e}ticket 42");
    assert_eq!(saved.owner.as_deref(), Some("soc-team"));
    assert_eq!(saved.created.as_deref(), Some("2026-05-12"));
    assert_eq!(saved.expires.as_deref(), Some("2026-08-10"));

    // `u` takes it back: the file as it was, the findings back.
    let Some(Effect::UndoSave(undo)) = update(&mut s, Action::UndoExclusion) else {
        panic!("undo effect")
    };
    let result = proxyhunt::tuning::save::remove_appended(&undo.path, &undo.block)
        .map_err(|e| e.to_string());
    apply_reply(
        &mut s,
        Reply::Undone {
            saved: undo,
            result,
        },
    );
    assert_eq!(std::fs::read_to_string(&path).unwrap(), before_text);
    assert_eq!(s.visible.len(), visible_before);
    assert!(s.tuning.filters.iter().all(|f| f.id != "carol-travel"));
    assert!(
        update(&mut s, Action::UndoExclusion).is_none(),
        "nothing left to undo"
    );
}

/// Opens a prompt with `open` and types `text` into it (after clearing what it held).
fn type_into(s: &mut State, open: Action, text: &str) {
    drive(s, &[open]);
    for _ in 0..200 {
        update(s, Action::DeleteChar);
    }
    for c in text.chars() {
        update(s, Action::Input(c));
    }
    update(s, Action::Submit);
}

#[test]
fn an_exclusion_that_cuts_a_chain_across_detection_types_is_warned() {
    use proxyhunt::explore::FindingRow;
    use proxyhunt::tuning::proposal::{preview, proposed_filter};
    let s = sample_state();
    // A user with findings of two types: excluding one type's findings for them cuts the link.
    let kinds_of = |u: &str| {
        s.rows
            .iter()
            .filter(|r| r.user == u)
            .map(|r| r.kind)
            .collect::<std::collections::BTreeSet<_>>()
    };
    let row: &FindingRow = s
        .rows
        .iter()
        .find(|r| !r.user.is_empty() && kinds_of(&r.user).len() > 1)
        .expect("the sample has a user with findings of two types");
    let chosen: Vec<_> = proxyhunt::tuning::proposal::candidates(row)
        .into_iter()
        .filter(|c| c.field == "User")
        .map(|mut c| {
            c.chosen = true;
            c
        })
        .collect();
    assert!(!chosen.is_empty(), "a User condition is offered");
    let filter = proposed_filter(row, &chosen, "x", "2026-05-12");
    let p = preview(&s.rows, &filter);
    assert!(p.chained > 0);
    let warnings = p.warnings();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("has findings of another type") && w.contains(&row.user)),
        "{warnings:?}"
    );
}

#[test]
fn findings_come_first_and_go_hunt_waits_for_every_event() {
    use proxyhunt::data::load::{load, LoadOptions};
    use proxyhunt::detect::prefilter::load_for_hunt;
    let paths = [common::repo().join("sample-data")];
    let matching = load_for_hunt(
        &paths,
        &LoadOptions::default(),
        &HuntOptions::default().detections,
        &mut |_| {},
    );
    let all = load(&paths, &LoadOptions::default());
    let mut complete = state_for(load(&paths, &LoadOptions::default()), false);
    let mut s = State::new(false, "window all events".into(), false);
    let mut loaded = loaded_from(
        matching,
        &HuntOptions::default(),
        "window all events".into(),
        &TuningSource::None,
    )
    .expect("loads");
    loaded.complete = false;
    assert!(apply_reply(&mut s, Reply::Loaded(Box::new(loaded))).is_none());
    // The same findings, and the tables count every row read, before every event is in.
    assert_eq!(s.rows.len(), complete.rows.len());
    assert_eq!(s.tables, complete.tables);
    assert!(render(&s, 80, 24).contains("loading all events"));

    // Go hunt opens and waits; nothing is asked of the worker yet.
    drive(&mut s, &[Action::PivotNext]);
    drive(&mut complete, &[Action::PivotNext]);
    assert!(matches!(
        update(&mut s, Action::GoHunt),
        Some(Effect::Context { .. })
    ));
    assert!(render(&s, 80, 24).contains("waiting for every event"));

    // Every event arrives: the waiting request is handed back, and answers as on a full load.
    let Some(Effect::Context {
        entity,
        center,
        half_window,
    }) = apply_reply(&mut s, Reply::EventsLoaded(std::sync::Arc::new(all)))
    else {
        panic!("the waiting go hunt is released")
    };
    assert!(s.events_loading.is_none());
    let events = context_events(s.dataset.as_ref().unwrap(), &entity, center, half_window);
    apply_reply(
        &mut s,
        Reply::Context {
            entity,
            half_window,
            events: events.map_err(|e| e.to_string()),
        },
    );
    drive(&mut complete, &[Action::GoHunt]);
    let (Overlay::Context(got), Overlay::Context(want)) = (&s.overlay, &complete.overlay) else {
        panic!("both show go hunt")
    };
    assert_eq!(got.events, want.events);
    assert!(got.events.as_ref().is_some_and(|e| e.len() > 1));
}

/// 12,000 Tor-port connections from one account and a few values longer than their columns.
fn many_findings() -> State {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    for i in 0..12_000u32 {
        let (device, ip) = if i == 0 {
            (
                "a-device-name-longer-than-any-column.corp.contoso.com",
                "2001:db8:85a3::8a2e:370:7334",
            )
        } else {
            ("ws-01.contoso.com", "185.220.101.47")
        };
        let row = serde_json::json!({"Timestamp": format!("2026-05-12T{:02}:{:02}:{:02}Z", i / 3600 % 10, i / 60 % 60, i % 60),
            "DeviceName": device, "RemoteIP": ip, "RemotePort": 9001, "RemoteIPType": "Public",
            "InitiatingProcessAccountName": "svc-backup", "InitiatingProcessFileName": "tor.exe"});
        text.push_str(&format!("{row}\n"));
    }
    common::write(dir.path(), "DeviceNetworkEvents.ndjson", text.as_bytes());
    let mut s = state_for(common::load_dir(dir.path()), false);
    // Stable snapshots: the file's name without its temporary directory.
    for row in &mut s.rows {
        for (name, value) in &mut row.fields {
            if *name == "SourceFile" {
                *value = "DeviceNetworkEvents.ndjson".into();
            }
        }
    }
    s
}

#[test]
fn counts_are_never_cut_and_cut_text_says_so() {
    let mut s = many_findings();
    assert_eq!(s.rows.len(), 12_000);
    for (w, h) in [(80, 24), (120, 40), (60, 20)] {
        let screen = render(&s, w, h);
        assert!(
            screen.contains("12000"),
            "the pivot count at {w}x{h}:\n{screen}"
        );
    }
    snap("many_findings", &s);
    // The cut device and address end in `…`; widening the columns (as far as the summary
    // keeps 10 columns) shows the address whole.
    drive(&mut s, &[Action::Resize(120, 40), Action::Bottom]);
    let screen = render(&s, 120, 40);
    assert!(screen.contains("2001:db8:85a3:…"), "{screen}");
    assert!(screen.contains("a-device-name-longer-…"), "{screen}");
    // As far as the screen has room (the summary keeps 10 columns), and said past it.
    drive(&mut s, &vec![Action::WidenColumns; 3]);
    assert_eq!(s.widen, 10);
    let screen = render(&s, 120, 40);
    assert!(screen.contains("2001:db8:85a3::8a2e:370:…"), "{screen}");
    drive(&mut s, &[Action::WidenColumns]);
    assert_eq!(
        s.message.as_deref(),
        Some("the columns are as wide as this screen allows")
    );
    snap("many_findings_widened_bottom", &s);
    // A wider screen has room for the whole address.
    drive(&mut s, &[Action::Resize(160, 40)]);
    drive(&mut s, &vec![Action::WidenColumns; 2]);
    let screen = render(&s, 160, 40);
    assert!(screen.contains("2001:db8:85a3::8a2e:370:7334"), "{screen}");
    // `<` narrows from what shows, at once.
    drive(&mut s, &[Action::Resize(80, 24), Action::NarrowColumns]);
    assert!(s.widen < 8, "{}", s.widen);
    drive(&mut s, &vec![Action::NarrowColumns; 2]);
    assert_eq!(s.widen, 0);
    // On a narrow screen the columns add up to the pane: every cut says so.
    for (w, h) in [(60, 20), (50, 20), (40, 20)] {
        let screen = render(&s, w, h);
        let row = screen
            .lines()
            .find(|l| l.contains("TorPort"))
            .unwrap_or_else(|| panic!("a finding at {w}x{h}:\n{screen}"));
        assert!(!row.contains("185.220.101. "), "{row}");
        assert!(row.contains("185.220.101.47") || row.contains('…'), "{row}");
    }
}

#[test]
fn an_expired_filter_says_so_when_switched_and_in_the_panel() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = tuned_sample(dir.path());
    let today = s.tuning.today.clone();
    let expired = s
        .tuning
        .filters
        .iter()
        .position(|f| f.expired(&today))
        .expect("the sample tuning has an expired filter");
    let day = s.tuning.filters[expired].expires.clone().unwrap();
    drive(&mut s, &[Action::OpenTuning]);
    for _ in 0..expired {
        drive(&mut s, &[Action::Down]);
    }
    assert_eq!(s.overlay, Overlay::Tuning { selected: expired });
    let screen = render(&s, 120, 40);
    assert!(
        screen.contains(&format!("expired {day}: it suppresses nothing")),
        "{screen}"
    );
    let before = s.visible.len();
    for _ in 0..2 {
        drive(&mut s, &[Action::ToggleFilter]);
        let message = s.message.clone().unwrap();
        assert!(
            message.contains(&format!("expired {day}: it suppresses nothing")),
            "{message}"
        );
        assert_eq!(s.visible.len(), before, "an expired filter changes nothing");
    }
}

#[test]
fn shown_suppressed_findings_are_marked_named_and_exported_with_their_filters() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, _) = tuned_sample(dir.path());
    let hidden_view = s.view_frame().unwrap().unwrap();
    assert!(hidden_view.column("SuppressedBy").is_err());
    drive(
        &mut s,
        &[
            Action::OpenTuning,
            Action::ToggleShowSuppressed,
            Action::Back,
        ],
    );
    let at = s
        .visible
        .iter()
        .position(|&i| !s.suppressing(i).is_empty())
        .expect("a suppressed finding is shown");
    let ids = s.suppressing(s.visible[at]).join(",");
    for _ in 0..at {
        drive(&mut s, &[Action::Down]);
    }
    let screen = render(&s, 120, 40);
    assert!(screen.contains("[suppressed: "), "{screen}");
    assert!(screen.contains("Suppressed by: "), "{screen}");
    snap("suppressed_shown", &s);
    let view = s.view_frame().unwrap().unwrap();
    let by = view.column("SuppressedBy").unwrap().str().unwrap().clone();
    assert_eq!(by.get(at), Some(ids.as_str()));
    let marked = by
        .iter()
        .filter(|v| v.is_some_and(|v| !v.is_empty()))
        .count();
    assert_eq!(marked, s.suppressed_count());
}

#[test]
fn incidents_view_replays_the_rule_opens_down_to_a_finding_and_follows_tuning() {
    let dir = tempfile::tempdir().unwrap();
    let (mut s, path) = tuned_sample(dir.path());
    drive(&mut s, &[Action::OpenIncidents]);
    let ReplayState::Done(replays) = &s.replay else {
        panic!("the replay ran")
    };
    let untuned = replays.untuned.incidents.len();
    assert!(untuned > 0);
    // The same counts as `proxyhunt replay` with the same tuning.
    let (code, _, err) = common::run(&["replay", "--sample", "--tuning", path.to_str().unwrap()]);
    assert_eq!(code, 0, "{err}");
    let tuned = replays.tuned.as_ref().expect("the sample tuning is on");
    let removed = replays
        .diff
        .iter()
        .filter(|d| d.status == "removed")
        .count();
    assert!(
        err.contains(&format!(
            "tuning removes {removed} of {untuned} incident(s) and reduces {} (the tuned replay has {})",
            replays.diff.iter().filter(|d| d.status == "reduced").count(),
            tuned.incidents.len()
        )),
        "{err}"
    );
    let screen = render(&s, 120, 40);
    assert!(
        screen.contains(&format!(
            "tuning removes {removed} of {untuned} incident(s)"
        )),
        "{screen}"
    );
    // Each incident's line gives its own tuning status (the diff names incidents by number).
    for d in &replays.diff {
        let line = screen
            .lines()
            .find(|l| l.contains(&format!("│{:>5} ", d.incident)))
            .unwrap_or_else(|| panic!("incident {} listed:\n{screen}", d.incident));
        assert!(line.contains(d.status), "{line} should say {}", d.status);
    }
    snap("incidents", &s);

    // Down to an incident's alerts, an alert's events, and the event's finding.
    drive(&mut s, &[Action::Select]);
    let Overlay::Incidents(view) = &s.overlay else {
        panic!("still open")
    };
    assert_eq!(view.level, IncidentLevel::Alerts { incident: 0 });
    drive(&mut s, &[Action::Select]);
    let Overlay::Incidents(view) = s.overlay.clone() else {
        panic!("still open")
    };
    let IncidentLevel::Events { alert, .. } = view.level else {
        panic!("an alert's events: {:?}", view.level)
    };
    snap("incident_alert_events", &s);
    let ReplayState::Done(replays) = &s.replay else {
        panic!()
    };
    let u = &replays.untuned;
    let event = u.runs[u.alert_run[alert]].run.rows[u.alerts[alert].events[0]]
        .event
        .clone();
    // Back up and down again: Esc goes one level up at a time.
    drive(&mut s, &[Action::Back]);
    assert!(
        matches!(&s.overlay, Overlay::Incidents(v) if matches!(v.level, IncidentLevel::Alerts { .. }))
    );
    drive(&mut s, &[Action::Select, Action::Select]);
    match &s.overlay {
        Overlay::None => {
            let row = s.selected_row().unwrap();
            assert_eq!(row.source(), event);
        }
        _ => {
            // Not a finding in view: which filter suppresses it (and how to show it), or that
            // its indicator was not active at now().
            let message = s.message.clone().unwrap_or_default();
            let suppressed = s.rows.iter().enumerate().find(|(_, r)| r.source() == event);
            match suppressed {
                Some((i, _)) if !s.suppressing(i).is_empty() => assert_eq!(
                    message,
                    format!(
                        "that finding is suppressed by {}: t then v shows it",
                        s.suppressing(i).join(", ")
                    )
                ),
                _ => assert!(message.contains(&event), "{message}"),
            }
        }
    }

    // Switching every filter off: the incidents follow, with nothing removed.
    drive(&mut s, &[Action::Back, Action::Back, Action::Back]);
    assert_eq!(s.overlay, Overlay::None);
    drive(&mut s, &[Action::OpenTuning]);
    let today = s.tuning.today.clone();
    for i in 0..s.tuning.filters.len() {
        if s.tuning.filters[i].enabled && !s.tuning.filters[i].expired(&today) {
            drive(&mut s, &[Action::ToggleFilter]);
        }
        drive(&mut s, &[Action::Down]);
    }
    let ReplayState::Done(replays) = &s.replay else {
        panic!("replayed again after the switches")
    };
    // Only the filter that expired before the data is still on: it removes nothing.
    assert_eq!(replays.untuned.incidents.len(), untuned);
    assert_eq!(replays.effective().incidents.len(), untuned);
    assert!(replays.diff.iter().all(|d| d.status == "unchanged"));
    let screen = render(&s, 120, 40);
    assert!(screen.contains("Rule 000 replayed (i): "), "{screen}");
}

#[test]
fn go_hunt_events_export_as_csv_and_json() {
    let mut s = sample_state();
    drive(&mut s, &[Action::PivotNext, Action::GoHunt]);
    let Overlay::Context(view) = &s.overlay else {
        panic!("go hunt open")
    };
    let events = view.events.clone().unwrap();
    drive(&mut s, &[Action::StartExport]);
    assert_eq!(s.prompt.as_ref().unwrap().input, "proxyhunt-gohunt.csv");
    let dir = tempfile::tempdir().unwrap();
    for name in ["events.csv", "events.ndjson"] {
        let path = dir.path().join(name);
        drive(&mut s, &vec![Action::DeleteChar; 40]);
        for c in path.display().to_string().chars() {
            update(&mut s, Action::Input(c));
        }
        let Some(Effect::ExportEvents {
            path: p,
            force,
            events: got,
        }) = update(&mut s, Action::Submit)
        else {
            panic!("an events export")
        };
        assert_eq!(got, events);
        proxyhunt::export::events::write_events(&got, &p, force, &[]).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        if name.ends_with(".csv") {
            assert!(
                text.starts_with("Table,Time,User,IP,Device,Event,Source,Repeats\n"),
                "{text}"
            );
            assert_eq!(text.lines().count(), events.len() + 1);
        } else {
            let lines: Vec<serde_json::Value> = text
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect();
            assert_eq!(lines.len(), events.len());
            assert_eq!(lines[0]["Event"], events[0].summary.as_str());
            assert_eq!(lines[0]["Repeats"], events[0].repeats);
        }
        drive(&mut s, &[Action::StartExport]);
    }
    // A cell a spreadsheet would run is neutralised; Parquet is refused.
    let hostile = vec![proxyhunt::explore::ContextEvent {
        table: proxyhunt::data::schema::TableKind::DeviceProcess,
        time: None,
        summary: "=HYPERLINK(\"http://x\")".into(),
        source: "f:1".into(),
        repeats: 1,
        entities: Vec::new(),
    }];
    let path = dir.path().join("hostile.csv");
    proxyhunt::export::events::write_events(&hostile, &path, false, &[]).unwrap();
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("'=HYPERLINK"));
    let refused = proxyhunt::export::events::write_events(
        &hostile,
        &dir.path().join("x.parquet"),
        false,
        &[],
    );
    assert!(refused.is_err());
}

#[test]
fn go_hunt_follows_an_event_to_its_other_entity_and_back() {
    use proxyhunt::explore::Entity;
    let mut s = sample_state();
    drive(&mut s, &[Action::PivotNext, Action::GoHunt]);
    let Overlay::Context(first) = s.overlay.clone() else {
        panic!("go hunt open")
    };
    let Entity::Ip(ip) = &first.entity else {
        panic!("an IP go hunt: {:?}", first.entity)
    };
    let events = first.events.clone().unwrap();
    let at = events
        .iter()
        .position(|e| e.entities.iter().any(|x| matches!(x, Entity::User(_))))
        .expect("a sign-in from the address names its user");
    let user = events[at]
        .entities
        .iter()
        .find(|x| matches!(x, Entity::User(_)))
        .unwrap()
        .clone();
    assert!(events[at].entities.contains(&Entity::Ip(ip.clone())));
    for _ in 0..at {
        drive(&mut s, &[Action::Down]);
    }
    drive(&mut s, &[Action::GoHunt]);
    let Overlay::Context(second) = &s.overlay else {
        panic!("a go hunt of the user")
    };
    assert_eq!(second.entity, user);
    assert!(second.events.as_ref().is_some_and(|e| !e.is_empty()));
    // Esc comes back to the address's go hunt, as it was; then closes.
    drive(&mut s, &[Action::Back]);
    assert_eq!(s.overlay, Overlay::Context(first));
    drive(&mut s, &[Action::Back]);
    assert_eq!(s.overlay, Overlay::None);
}

#[test]
fn a_prompt_opened_with_a_value_is_replaced_by_typing_and_edited_by_backspace() {
    let mut s = sample_state();
    update(&mut s, Action::StartExport);
    for c in "out.ndjson".chars() {
        update(&mut s, Action::Input(c));
    }
    let Some(Effect::Export { path, .. }) = update(&mut s, Action::Submit) else {
        panic!("an export")
    };
    assert_eq!(path, std::path::Path::new("out.ndjson"));
    update(&mut s, Action::StartExport);
    update(&mut s, Action::DeleteChar);
    update(&mut s, Action::Input('v'));
    let Some(Effect::Export { path, .. }) = update(&mut s, Action::Submit) else {
        panic!("an export")
    };
    assert_eq!(
        path,
        std::path::Path::new("proxyhunt-view.csv"),
        "Backspace edits"
    );
}

#[test]
fn the_record_view_pages_by_the_screen() {
    let mut s = sample_state();
    drive(
        &mut s,
        &[Action::Resize(80, 24), Action::OpenRecord, Action::PageDown],
    );
    let Overlay::Record { scroll } = s.overlay else {
        panic!("the record is open")
    };
    let rows =
        proxyhunt::tui::view::detail::detail_rows(&s, ratatui::layout::Rect::new(0, 0, 80, 24));
    assert_eq!(scroll, 22.min(rows.saturating_sub(22)), "{rows} rows");
}

#[test]
fn chains_view_opens_at_the_findings_chain_and_back_to_the_finding() {
    let mut s = sample_state();
    // The newest finding is carol's Tor sign-in; `C` opens her chain, ranked first, on it.
    let first = s.visible[0];
    assert_eq!(s.rows[first].user, "carol");
    drive(&mut s, &[Action::OpenChains]);
    let Overlay::Chains(view) = s.overlay.clone() else {
        panic!("the Chains view opens: {:?}", s.overlay)
    };
    let chain = &s.chains[view.open.expect("at carol's chain")];
    assert_eq!(chain.rank, Some(1));
    assert_eq!(chain.user, "carol");
    assert_eq!(
        chain.findings[view.selected], first,
        "on the selected finding"
    );
    let screen = render(&s, 120, 40);
    assert!(
        screen.contains("SignInWithoutOwnTor (likely stolen token) carol"),
        "{screen}"
    );
    snap("chain_of_a_finding", &s);
    // Esc: the list, users ranked first; Enter opens trent's chain, Enter on a member selects it.
    drive(&mut s, &[Action::Back]);
    let Overlay::Chains(view) = s.overlay.clone() else {
        panic!("back to the list")
    };
    assert_eq!(view.open, None);
    snap("chains", &s);
    let trent = s.chains.iter().position(|c| c.user == "trent").unwrap();
    let Overlay::Chains(view) = &mut s.overlay else {
        panic!()
    };
    view.selected = trent;
    drive(&mut s, &[Action::Select, Action::Down, Action::Select]);
    assert_eq!(s.overlay, Overlay::None);
    let selected = s.visible[s.selected];
    assert_eq!(selected, s.chains[trent].findings[1]);
    // `C` again comes back to the chain it left.
    drive(&mut s, &[Action::OpenChains]);
    let Overlay::Chains(view) = &s.overlay else {
        panic!()
    };
    assert_eq!(view.open, Some(trent));
    drive(&mut s, &[Action::Back, Action::Back]);
    assert_eq!(s.overlay, Overlay::None);
}
