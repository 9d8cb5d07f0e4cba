//! `proxyhunt hunt`: load, run the detections, write the findings, summarise on stderr.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::data::load::{load, Dataset, LoadOptions};
use crate::data::values::format_datetime;
use crate::detect::prefilter::hunt_filters;
use crate::detect::{hunt, HuntOptions, HuntResult, Lookback};
use crate::export::{encode, write_file, CsvSafety, Format};
use crate::text::escape_unsafe;
use crate::tuning::{apply_tuning, load_tuning, FilterImpact, Tuning, TuningSource};

use super::summary::{table_unusable, write_issues};

/// Everything a `hunt` run needs.
pub struct HuntRequest {
    pub paths: Vec<PathBuf>,
    pub load_options: LoadOptions,
    pub options: HuntOptions,
    /// Whether the user chose the detections (then a detection that cannot run fails the run).
    pub explicit: bool,
    pub tuning: TuningSource,
    pub show_suppressed: bool,
    pub output: Output,
}

/// One line per filter: on or off, how many findings it suppressed, how many only it did.
fn write_impact(
    tuning: &Tuning,
    impact: &[FilterImpact],
    suppressed: usize,
    shown: bool,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    let what = if shown {
        "marked in SuppressedBy"
    } else {
        "removed"
    };
    writeln!(
        err,
        "proxyhunt: tuning: {suppressed} finding(s) suppressed ({what})"
    )?;
    for (f, i) in tuning.filters.iter().zip(impact) {
        let state = if i.active {
            "on "
        } else if f.enabled {
            "expired"
        } else {
            "off"
        };
        writeln!(
            err,
            "proxyhunt: tuning: [{state}] {:<18} suppressed {:>5}, only by this filter {:>5}  {}",
            f.id, i.suppressed, i.only_this, f.title
        )?;
    }
    Ok(())
}

/// Where findings go.
#[derive(Debug, Clone)]
pub struct Output {
    pub format: Format,
    /// `None` = standard output.
    pub path: Option<PathBuf>,
    pub force: bool,
    pub csv: CsvSafety,
}

/// The outcome, for the exit code: whether a requested detection's table was unusable, or
/// nothing could run at all.
pub struct HuntOutcome {
    pub findings: usize,
    pub failed: bool,
}

/// The event window in words, for summaries and the console header.
pub fn window_text(lookback: Lookback) -> String {
    match lookback {
        Lookback::All => "all events".into(),
        Lookback::Rule => "rule (sign-ins > now-1h, device > now-24h)".into(),
        Lookback::Duration(d) => format!("events newer than now-{}s", d / 1_000_000_000),
    }
}

fn write_summary(
    ds: &Dataset,
    result: &HuntResult,
    lookback: Lookback,
    err: &mut dyn Write,
) -> std::io::Result<()> {
    if ds.is_sample {
        writeln!(err, "proxyhunt: reading the embedded sample data")?;
    }
    write_issues(ds, err)?;
    writeln!(
        err,
        "proxyhunt: now() = {} ({}); window: {}",
        format_datetime(result.now),
        result.now_source,
        window_text(lookback)
    )?;
    let counts: Vec<String> = result
        .ran
        .iter()
        .map(|k| {
            let n = result
                .findings
                .column("DetectionType")
                .ok()
                .and_then(|c| {
                    c.str()
                        .ok()
                        .map(|s| s.iter().filter(|v| *v == Some(k.name())).count())
                })
                .unwrap_or(0);
            format!("{} {n}", k.name())
        })
        .collect();
    writeln!(
        err,
        "proxyhunt: {} finding(s): {}",
        result.findings.height(),
        counts.join(", ")
    )?;
    for nr in &result.not_run {
        writeln!(
            err,
            "proxyhunt: not run: {}: {}",
            nr.kind.name(),
            escape_unsafe(&nr.reason)
        )?;
    }
    Ok(())
}

/// Runs a hunt end to end. `explicit` says whether the user chose the detections.
pub fn run_hunt(
    request: &HuntRequest,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<HuntOutcome> {
    let HuntRequest {
        paths,
        load_options,
        options,
        explicit,
        output,
        ..
    } = request;
    let explicit = *explicit;
    let (tuning, tuning_issues) =
        load_tuning(&request.tuning).context("reading the tuning file")?;
    // Only rows that can become findings are typed; the others are counted and timed.
    let load_options = LoadOptions {
        filters: hunt_filters(&options.detections),
        ..load_options.clone()
    };
    let ds = load(paths, &load_options);
    let mut result = hunt(&ds, options).context("running the detections")?;
    write_summary(&ds, &result, options.lookback, stderr)?;
    for issue in &tuning_issues {
        writeln!(
            stderr,
            "proxyhunt: tuning: {}",
            escape_unsafe(&issue.to_string())
        )?;
    }
    if !tuning.filters.is_empty() {
        let tuned = apply_tuning(result.findings, &tuning, request.show_suppressed)
            .context("applying tuning")?;
        result.findings = tuned.findings;
        write_impact(
            &tuning,
            &tuned.impact,
            tuned.suppressed,
            request.show_suppressed,
            stderr,
        )?;
    }

    if ds.tables.is_empty() {
        let where_ = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        writeln!(stderr, "proxyhunt: nothing recognisable in {}: no file is one of the four tables ({} file(s) looked at)", escape_unsafe(&where_), ds.files.len())?;
    }
    match &output.path {
        Some(path) if path.as_os_str() != "-" => {
            write_file(
                &result.findings,
                output.format,
                output.csv,
                path,
                output.force,
            )?;
            writeln!(
                stderr,
                "proxyhunt: wrote {} finding(s) to {}",
                result.findings.height(),
                path.display()
            )?;
        }
        _ => {
            if output.format == Format::Parquet && stdout_is_terminal() {
                bail!("refusing to write Parquet to a terminal; use --out FILE");
            }
            let mut buf = Vec::new();
            encode(&result.findings, output.format, output.csv, &mut buf)?;
            stdout.write_all(&buf)?;
            stdout.flush()?;
        }
    }
    let unusable = result
        .not_run
        .iter()
        .any(|nr| nr.kind.tables().iter().any(|t| table_unusable(&ds, *t)));
    let requested_missing = explicit && !result.not_run.is_empty();
    let failed = unusable || requested_missing || result.ran.is_empty();
    Ok(HuntOutcome {
        findings: result.findings.height(),
        failed,
    })
}

fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}
