//! `cargo bench --bench replay`: rule 000 replayed over a week of sign-ins (672 runs), split into
//! the load (only sign-ins that can join an indicator are typed) and the replay itself, untuned
//! and with the built-in tuning. `PROXYHUNT_BENCH_DIR` points it at an export; otherwise it
//! generates 1M sign-ins (`PROXYHUNT_BENCH_SIGNINS`) and 100k indicators.

use std::path::PathBuf;
use std::time::Instant;

use proxyhunt::data::load::LoadOptions;
use proxyhunt::detect::prefilter::load_for_hunt;
use proxyhunt::detect::DetectionId;
use proxyhunt::generate::{generate, GenFormat, GenOptions, ANCHOR};
use proxyhunt::kql::time::DAY;
use proxyhunt::replay::incidents::IncidentOptions;
use proxyhunt::replay::rule::rule_000;
use proxyhunt::replay::runs::TableScope;
use proxyhunt::replay::{replay, ReplayOptions, DEFAULT_DELAY};
use proxyhunt::tuning::{load_tuning, TuningSource};

fn main() {
    proxyhunt::allocator::configure();
    let _keep;
    let dir = match std::env::var("PROXYHUNT_BENCH_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => {
            let signins = std::env::var("PROXYHUNT_BENCH_SIGNINS")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(1_000_000);
            let tmp = tempfile::tempdir().expect("temp dir");
            let t = Instant::now();
            generate(
                tmp.path(),
                &GenOptions {
                    signins,
                    process: 0,
                    network: 0,
                    ti: 100_000,
                    seed: 1,
                    format: GenFormat::Csv,
                    hit_scale: 1.0,
                },
            )
            .expect("generate");
            println!(
                "generated {signins} sign-ins and 100000 indicators in {:.1}s",
                t.elapsed().as_secs_f64()
            );
            let path = tmp.path().to_path_buf();
            _keep = tmp;
            path
        }
    };
    let t = Instant::now();
    let ds = load_for_hunt(
        &[dir],
        &LoadOptions::default(),
        &[DetectionId::AnonymizedSignin],
        &mut |_| {},
    );
    println!(
        "load: {:.2}s ({} sign-ins read, {} typed)",
        t.elapsed().as_secs_f64(),
        ds.rows_read(proxyhunt::data::schema::TableKind::SignIn),
        ds.rows(proxyhunt::data::schema::TableKind::SignIn)
    );
    let to = proxyhunt::data::values::parse_datetime(ANCHOR).expect("anchor");
    let options = ReplayOptions {
        from: to - 7 * DAY,
        to,
        first_run: to - 7 * DAY,
        scope: TableScope::Query,
        delay: DEFAULT_DELAY,
        incidents: IncidentOptions::default(),
    };
    let (tuning, _) = load_tuning(&TuningSource::Builtin).expect("catalog");
    for (label, tuning) in [("untuned", None), ("built-in tuning", Some(&tuning))] {
        let mut samples = Vec::new();
        let mut last = None;
        for _ in 0..5 {
            let t = Instant::now();
            let r = replay(&ds, &rule_000(), &options, tuning).expect("replay");
            samples.push(t.elapsed().as_secs_f64());
            last = Some(r.summary());
        }
        samples.sort_by(f64::total_cmp);
        println!(
            "replay ({label}): median {:.3}s of 5 (min {:.3}s); {:?}",
            samples[2],
            samples[0],
            last.expect("ran")
        );
    }
}
