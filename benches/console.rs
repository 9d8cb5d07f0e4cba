//! `cargo bench --bench console`: the console on a large generated export. Measures the time to
//! first findings (load + detect + rows, what the worker does before the table appears) and the
//! latency of pivots, drill-downs, find and sort through the same `update` the keys drive.
//! Sizes: PROXYHUNT_BENCH_SIGNINS (default 1,000,000) sign-ins, a tenth as many device events.

use std::time::{Duration, Instant};

use proxyhunt::data::load::{load, LoadOptions};
use proxyhunt::detect::HuntOptions;
use proxyhunt::generate::{generate, GenFormat, GenOptions};
use proxyhunt::tui::state::{Focus, State};
use proxyhunt::tui::update::update;
use proxyhunt::tui::worker::loaded_from;
use proxyhunt::tui::Action;
use proxyhunt::tuning::TuningSource;

fn percentile(samples: &mut [Duration], p: f64) -> Duration {
    samples.sort();
    samples[((samples.len() - 1) as f64 * p).round() as usize]
}

fn time_actions(label: &str, state: &mut State, setup: &[Action], action: Action, undo: &[Action]) {
    let mut samples = Vec::new();
    for _ in 0..50 {
        for a in setup {
            update(state, a.clone());
        }
        let start = Instant::now();
        update(state, action.clone());
        samples.push(start.elapsed());
        for a in undo {
            update(state, a.clone());
        }
    }
    let p50 = percentile(&mut samples, 0.5);
    let p95 = percentile(&mut samples, 0.95);
    println!(
        "{label:<40} p50 {:>8.3} ms   p95 {:>8.3} ms",
        p50.as_secs_f64() * 1e3,
        p95.as_secs_f64() * 1e3
    );
}

fn main() {
    let signins: u64 = std::env::var("PROXYHUNT_BENCH_SIGNINS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    let t = Instant::now();
    let options = GenOptions {
        signins,
        process: signins / 10,
        network: signins / 10,
        ti: 10_000,
        seed: 1,
        format: GenFormat::Csv,
    };
    let expected = generate(dir.path(), &options).expect("generate");
    let bytes: u64 = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok()?.metadata().ok())
        .map(|m| m.len())
        .sum();
    println!("generated {signins} sign-ins + {} process + {} network + 10000 TI ({:.0} MB) in {:.1}s; expected {expected:?}",
        signins / 10, signins / 10, bytes as f64 / 1e6, t.elapsed().as_secs_f64());

    let t = Instant::now();
    let ds = load(&[dir.path().to_path_buf()], &LoadOptions::default());
    let t_load = t.elapsed();
    let loaded = loaded_from(
        ds,
        &HuntOptions::default(),
        "window all events".into(),
        &TuningSource::None,
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

    let mut state = State::new(false, "window all events".into(), false);
    state.set_loaded(loaded);
    time_actions("pivot: next key", &mut state, &[], Action::PivotNext, &[]);
    time_actions(
        "drill-down from the pivot (Enter)",
        &mut state,
        &[Action::FocusNext],
        Action::Select,
        &[Action::Back, Action::FocusPrev],
    );
    time_actions(
        "pop drill-down (Esc)",
        &mut state,
        &[Action::FocusNext, Action::Select],
        Action::Back,
        &[Action::FocusPrev],
    );
    time_actions(
        "exclude a value (x)",
        &mut state,
        &[],
        Action::Exclude,
        &[Action::Back],
    );
    time_actions(
        "sort by next column (s)",
        &mut state,
        &[],
        Action::SortNext,
        &[],
    );
    state.focus = Focus::Findings;
    time_actions(
        "find: type one character",
        &mut state,
        &[Action::StartFind],
        Action::Input('a'),
        &[Action::Back],
    );
}
