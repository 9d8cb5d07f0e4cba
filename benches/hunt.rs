//! `cargo bench --bench hunt`: load + detect + encode on the embedded sample, and on the sample
//! replicated into a larger export set, reporting the median of several runs and throughput.
//! A plain harness (no timing assertions): the figures go in the README.

use std::path::Path;
use std::time::{Duration, Instant};

use proxyhunt::data::load::{load, load_sample, LoadOptions};
use proxyhunt::detect::{hunt, HuntOptions, Lookback};
use proxyhunt::export::{encode, CsvSafety, Format};

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn measure(label: &str, runs: usize, bytes: u64, unit: &str, mut f: impl FnMut() -> usize) {
    let _ = f(); // warm-up
    let mut times = Vec::with_capacity(runs);
    let mut findings = 0;
    for _ in 0..runs {
        let start = Instant::now();
        findings = f();
        times.push(start.elapsed());
    }
    let m = median(times);
    let mbps = bytes as f64 / 1e6 / m.as_secs_f64();
    println!(
        "{label:<48} median {:>9.2} ms  {mbps:>7.1} MB/s  ({findings} {unit}, {runs} runs)",
        m.as_secs_f64() * 1e3
    );
}

fn sample_bytes() -> u64 {
    proxyhunt::data::sample::FILES
        .iter()
        .map(|(_, b)| b.len() as u64)
        .sum()
}

/// Writes `copies` copies of each sample file (a table split over many files, as portal exports are).
fn replicate(dir: &Path, copies: usize) -> u64 {
    let mut total = 0;
    for (name, bytes) in proxyhunt::data::sample::FILES {
        let (stem, ext) = name.split_once('.').expect("sample names have extensions");
        for i in 0..copies {
            std::fs::write(dir.join(format!("{stem}_part{i:04}.{ext}")), bytes).expect("write");
            total += bytes.len() as u64;
        }
    }
    total
}

fn run_all(ds: &proxyhunt::data::load::Dataset, lookback: Lookback) -> usize {
    let result = hunt(
        ds,
        &HuntOptions {
            lookback,
            ..HuntOptions::default()
        },
    )
    .expect("hunt");
    let mut out = Vec::new();
    encode(
        &result.findings,
        Format::Ndjson,
        CsvSafety::Neutralise,
        &mut out,
    )
    .expect("encode");
    result.findings.height()
}

fn main() {
    proxyhunt::allocator::configure();
    let bytes = sample_bytes();
    measure("sample: load (embedded)", 30, bytes, "files", || {
        load_sample().files.len()
    });
    let ds = load_sample();
    measure(
        "sample: detect + ndjson, --lookback all",
        30,
        bytes,
        "findings",
        || run_all(&ds, Lookback::All),
    );
    measure(
        "sample: load + detect + ndjson, --lookback rule",
        30,
        bytes,
        "findings",
        || run_all(&load_sample(), Lookback::Rule),
    );

    let copies: usize = std::env::var("PROXYHUNT_BENCH_COPIES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let dir = tempfile::tempdir().expect("temp dir");
    let total = replicate(dir.path(), copies);
    let paths = [dir.path().to_path_buf()];
    let rows = {
        let ds = load(&paths, &LoadOptions::default());
        proxyhunt::data::schema::TableKind::ALL
            .iter()
            .map(|t| ds.rows(*t))
            .sum::<usize>()
    };
    println!(
        "replicated: {copies} copies of each sample file, {:.1} MB, {rows} rows",
        total as f64 / 1e6
    );
    measure("replicated: load", 5, total, "files", || {
        load(&paths, &LoadOptions::default()).files.len()
    });
    let ds = load(&paths, &LoadOptions::default());
    measure(
        "replicated: detect + ndjson, --lookback all",
        5,
        total,
        "findings",
        || run_all(&ds, Lookback::All),
    );
    measure(
        "replicated: load + detect + ndjson, --lookback all",
        5,
        total,
        "findings",
        || run_all(&load(&paths, &LoadOptions::default()), Lookback::All),
    );
}
