//! `cargo bench --bench console`: the console on a large export. Measures the time to first
//! findings (what the worker does before the table appears: the rows that can match, detect,
//! rows), the time to every event (for go hunt), and the latency of pivots, drill-downs, tuning
//! switches, find and sort through the same `update` the keys drive, with the built-in catalog;
//! and the rule's replay.
//! Input: PROXYHUNT_BENCH_DIR (an export), else a generated one of PROXYHUNT_BENCH_SIGNINS
//! (default 1,000,000) sign-ins and a tenth as many device events, with the planted rates
//! multiplied by PROXYHUNT_BENCH_HIT_SCALE (default 1). PROXYHUNT_BENCH_SKIP_ALL skips loading
//! every event.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use proxyhunt::data::load::{load, LoadOptions};
use proxyhunt::detect::prefilter::load_for_hunt;
use proxyhunt::detect::HuntOptions;
use proxyhunt::explore::context::{context_events, every_event_options, Entity};
use proxyhunt::generate::{generate, GenFormat, GenOptions};
use proxyhunt::kql::time::HOUR;
use proxyhunt::tui::state::{Focus, State};
use proxyhunt::tui::update::update;
use proxyhunt::tui::worker::loaded_from;
use proxyhunt::tui::{view, Action};
use proxyhunt::tuning::TuningSource;
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

/// Resident memory now and at its peak so far (Linux; empty elsewhere).
fn memory() -> String {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
            .map_or("?".to_string(), |kb| format!("{} MB", kb / 1024))
    };
    format!(
        "RSS {} (peak {}; anonymous {}, file {})",
        field("VmRSS:"),
        field("VmHWM:"),
        field("RssAnon:"),
        field("RssFile:")
    )
}

/// The time from a key's action to its frame: `update` and the draw of the whole screen on a
/// 120x40 `TestBackend`, as the console's loop does after a key.
fn time_actions(
    label: &str,
    state: &mut State,
    term: &mut Terminal<TestBackend>,
    setup: &[Action],
    action: Action,
    undo: &[Action],
) {
    let mut samples = Vec::new();
    for _ in 0..50 {
        for a in setup {
            update(state, a.clone());
        }
        term.draw(|f| view::draw(f, state)).expect("draw");
        let start = Instant::now();
        update(state, action.clone());
        term.draw(|f| view::draw(f, state)).expect("draw");
        samples.push(start.elapsed());
        for a in undo {
            update(state, a.clone());
        }
    }
    print_latency(label, &mut samples);
}

fn print_latency(label: &str, samples: &mut [Duration]) {
    let p50 = percentile(samples, 0.5);
    let p95 = percentile(samples, 0.95);
    println!(
        "{label:<40} p50 {:>8.3} ms   p95 {:>8.3} ms",
        p50.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
}

/// The export to open: `PROXYHUNT_BENCH_DIR` if set (e.g. the scale benchmark's 5M-row set),
/// else one generated here.
fn export_dir() -> (PathBuf, Option<tempfile::TempDir>) {
    if let Some(dir) = std::env::var_os("PROXYHUNT_BENCH_DIR") {
        return (PathBuf::from(dir), None);
    }
    let env = |name: &str, default: f64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse::<f64>().ok())
            .unwrap_or(default)
    };
    let signins = env("PROXYHUNT_BENCH_SIGNINS", 1_000_000.0) as u64;
    let hit_scale = env("PROXYHUNT_BENCH_HIT_SCALE", 1.0);
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let options = GenOptions {
        signins,
        process: signins / 10,
        network: signins / 10,
        ti: 10_000,
        seed: 1,
        format: GenFormat::Csv,
        hit_scale,
    };
    let expected = generate(dir.path(), &options).expect("generate");
    println!(
        "generated {signins} sign-ins + {} process + {} network + 10000 TI (hit scale {hit_scale}) in {:.1}s; expected {expected:?}",
        signins / 10,
        signins / 10,
        t.elapsed().as_secs_f64()
    );
    (dir.path().to_path_buf(), Some(dir))
}

fn main() {
    proxyhunt::allocator::configure();
    let (dir, _keep) = export_dir();
    let bytes: u64 = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("export: {} ({:.0} MB)", dir.display(), bytes as f64 / 1e6);
    let paths = [dir.clone()];
    let hunt_options = HuntOptions::default();

    // What the console's worker does: the rows that can match first, then every event.
    let t = Instant::now();
    let ds = load_for_hunt(
        &paths,
        &LoadOptions::default(),
        &hunt_options.detections,
        &mut |_| {},
    );
    let t_load = t.elapsed();
    let mut loaded = loaded_from(
        ds,
        &hunt_options,
        "window all events".into(),
        &TuningSource::Builtin,
    )
    .expect("hunt");
    let t_first = t.elapsed();
    println!(
        "time to first findings: {:.2}s (load {:.2}s, detect + rows {:.2}s), {} findings",
        t_first.as_secs_f64(),
        t_load.as_secs_f64(),
        (t_first - t_load).as_secs_f64(),
        loaded.rows.len()
    );
    println!("  memory after first findings: {}", memory());
    let every_event = every_event_options(&LoadOptions::default(), &loaded.rows);
    // As the worker sends it: every event follows.
    loaded.complete = std::env::var_os("PROXYHUNT_BENCH_SKIP_ALL").is_some();
    let mut state = State::new(false, "window all events".into(), false);
    state.set_loaded(loaded);
    if std::env::var_os("PROXYHUNT_BENCH_SKIP_ALL").is_none() {
        let t = Instant::now();
        let all = load(&paths, &every_event);
        proxyhunt::data::pool::release_memory();
        let kept: Vec<String> = all
            .tables
            .keys()
            .map(|t| format!("{} {} of {}", t.name(), all.rows(*t), all.rows_read(*t)))
            .collect();
        println!(
            "then every event (for go hunt): {:.2}s more; rows of the findings' entities kept: {}",
            t.elapsed().as_secs_f64(),
            kept.join(", ")
        );
        state.set_all_events(Arc::new(all));
        println!("  memory with every event: {}", memory());
        // Go hunt (the worker's context request, off the UI thread) from the first findings'
        // user, IP and device, an hour either side.
        let dataset = state.dataset.clone().expect("every event is in");
        let mut samples = Vec::new();
        for row in state.rows.iter().take(20) {
            for entity in [
                Entity::User(row.user.clone()),
                Entity::Ip(row.ip.clone()),
                Entity::Device(row.device.clone()),
            ] {
                let start = Instant::now();
                context_events(&dataset, &entity, row.time, HOUR).expect("go hunt");
                samples.push(start.elapsed());
            }
        }
        print_latency("go hunt (worker, +-1 h)", &mut samples);
        // The rule's replay (the worker's, on the load the findings came from), untuned.
        let start = Instant::now();
        let hunted = state.hunted.clone().expect("the findings are in");
        let replays =
            proxyhunt::replay::both::replay_both(&hunted, &Default::default()).expect("replay");
        println!(
            "replay of rule 000 (worker): {:.2}s, {} alerts",
            start.elapsed().as_secs_f64(),
            replays.map_or(0, |r| r.untuned.alerts.len())
        );
        println!("  memory after the replay: {}", memory());
    }

    println!(
        "key to frame (update + draw at 120x40) at {} findings:",
        state.rows.len()
    );
    let mut term = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    let t = &mut term;
    time_actions(
        "move down one row (j)",
        &mut state,
        t,
        &[],
        Action::Down,
        &[],
    );
    time_actions("page down", &mut state, t, &[], Action::PageDown, &[]);
    time_actions(
        "pivot: next key",
        &mut state,
        t,
        &[],
        Action::PivotNext,
        &[],
    );
    time_actions(
        "drill-down from the pivot (Enter)",
        &mut state,
        t,
        &[Action::FocusNext],
        Action::Select,
        &[Action::Back, Action::FocusPrev],
    );
    time_actions(
        "pop drill-down (Esc)",
        &mut state,
        t,
        &[Action::FocusNext, Action::Select],
        Action::Back,
        &[Action::FocusPrev],
    );
    time_actions(
        "exclude a value (x)",
        &mut state,
        t,
        &[],
        Action::Exclude,
        &[Action::Back],
    );
    time_actions(
        "sort by next column (s)",
        &mut state,
        t,
        &[],
        Action::SortNext,
        &[],
    );
    time_actions(
        "tuning: switch a filter (t, Space)",
        &mut state,
        t,
        &[Action::OpenTuning],
        Action::ToggleFilter,
        &[Action::Back],
    );
    state.focus = Focus::Findings;
    time_actions(
        "find: type one character",
        &mut state,
        t,
        &[Action::StartFind],
        Action::Input('a'),
        &[Action::Back],
    );
}
