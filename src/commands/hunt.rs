//! `proxyhunt hunt`: load, run the detections, write the findings, summarise on stderr.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context, Result};

use crate::beyond::BeyondOptions;
use crate::chains::{chains_frame, chains_listed, Chain, ChainWindows};
use crate::data::issues::Severity;
use crate::data::load::{load_sample, Dataset, LoadOptions};
use crate::data::schema::TableKind;
use crate::data::values::format_datetime;
use crate::detect::prefilter::load_for_hunt_beyond;
use crate::detect::{hunt_beyond, BeyondCounts, HuntOptions, HuntResult, Lookback};
use crate::export::{
    check_destination, encode_shaped, write_shaped, CsvSafety, Destination, ExportError, Format,
    Links, Shape, Sink,
};
use crate::text::escape_unsafe;
use crate::tuning::{apply_tuning, load_tuning, FilterImpact, Tuning, TuningSource, SUPPRESSED_BY};

use super::inputs::Inputs;
use super::summary::{table_unusable, write_issues, write_tuning_issues};

/// Everything a `hunt` run needs.
pub struct HuntRequest {
    pub inputs: Inputs,
    pub load_options: LoadOptions,
    pub options: HuntOptions,
    /// Whether the user chose the detections (then a detection that cannot run fails the run).
    pub explicit: bool,
    pub tuning: TuningSource,
    pub show_suppressed: bool,
    pub output: Output,
    /// `--beyond` / `--tor-list`.
    pub beyond: Option<BeyondOptions>,
    pub produce: Produce,
}

/// What a run writes: the findings (`hunt`) or the chains built from them (`chains`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Produce {
    Findings,
    Chains,
}

impl Produce {
    pub fn command(self) -> &'static str {
        match self {
            Produce::Findings => "hunt",
            Produce::Chains => "chains",
        }
    }
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
            escape_unsafe(&f.id),
            i.suppressed,
            i.only_this,
            escape_unsafe(&f.title)
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

/// The outcome, for the exit code: `failed` when an input could not be read, every row of a
/// table was rejected, a requested detection's table was unusable, or nothing could run.
pub struct HuntOutcome {
    pub findings: usize,
    pub failed: bool,
}

/// Files that could not be read, or not in full: a file report marked unreadable, or an error
/// about a whole file (cannot open, cannot list a directory, cannot decompress, empty, cut
/// off), which the loader reports without a table, line or column.
pub fn unread_files(ds: &Dataset) -> Vec<String> {
    let mut names: Vec<String> = ds
        .files
        .iter()
        .filter(|f| f.unreadable)
        .map(|f| f.name.clone())
        .collect();
    let whole_file_errors = ds.issues.kept().filter(|i| {
        i.severity == Severity::Error
            && i.table.is_none()
            && i.location.is_none()
            && i.column.is_none()
    });
    for issue in whole_file_errors {
        if !names.contains(&issue.file) {
            names.push(issue.file.clone());
        }
    }
    names
}

/// Tables whose files gave rows, every one of them rejected: (table, rejected, files).
pub fn all_rows_rejected(ds: &Dataset) -> Vec<(TableKind, usize, usize)> {
    TableKind::ALL
        .into_iter()
        .filter_map(|t| {
            let files: Vec<_> = ds
                .files
                .iter()
                .filter(|f| f.table.is_some_and(|(k, _)| k == t))
                .collect();
            let kept: usize = files.iter().map(|f| f.rows_loaded + f.rows_skipped).sum();
            let rejected: usize = files.iter().map(|f| f.rows_rejected).sum();
            (kept == 0 && rejected > 0).then_some((t, rejected, files.len()))
        })
        .collect()
}

/// Says on `err` why the run fails on its inputs; returns whether it does.
/// At most this many files not recognised are named one by one in `hunt`'s summary.
const NOT_RECOGNISED_SHOWN: usize = 10;

/// Names the files (or sources) that are none of the four tables, and what they look like: a
/// hunt must not leave an analyst thinking a file was read. `check` lists every one.
fn write_not_recognised(ds: &Dataset, err: &mut dyn Write) -> std::io::Result<()> {
    let skipped: Vec<_> = ds
        .files
        .iter()
        .filter_map(|f| Some((&f.name, f.not_recognised.as_ref()?)))
        .filter(|(_, why)| why.as_str() != "nothing could be read")
        // Streaming-API records of other categories are said in the issue log already.
        .filter(|(_, why)| !why.starts_with("streaming-API records of"))
        .collect();
    for (name, why) in skipped.iter().take(NOT_RECOGNISED_SHOWN) {
        writeln!(
            err,
            "proxyhunt: {}: not read: {}",
            escape_unsafe(name),
            escape_unsafe(why)
        )?;
    }
    if skipped.len() > NOT_RECOGNISED_SHOWN {
        writeln!(
            err,
            "proxyhunt: and {} more file(s) not read as one of the four tables; `proxyhunt check` lists them",
            skipped.len() - NOT_RECOGNISED_SHOWN
        )?;
    }
    Ok(())
}

fn write_input_failures(ds: &Dataset, err: &mut dyn Write) -> std::io::Result<bool> {
    let unread = unread_files(ds);
    let rejected = all_rows_rejected(ds);
    if !unread.is_empty() {
        let names: Vec<String> = unread.iter().map(|n| escape_unsafe(n)).collect();
        writeln!(
            err,
            "proxyhunt: {} input(s) could not be read, or not in full: {}; the findings leave out what was not read (exit 2)",
            unread.len(),
            names.join(", ")
        )?;
    }
    for (table, n, files) in &rejected {
        writeln!(
            err,
            "proxyhunt: every row of {} was rejected ({n} row(s) in {files} file(s)); its detections found nothing because nothing was read (exit 2)",
            table.name()
        )?;
    }
    Ok(!unread.is_empty() || !rejected.is_empty())
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
    // The exact findings: those beyond the rule are counted on a line of their own.
    let beyond: usize = result
        .beyond
        .as_ref()
        .map_or(0, |b| b.by_type.values().sum());
    writeln!(
        err,
        "proxyhunt: {} finding(s): {}",
        result.findings.height() - beyond,
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

/// How many findings the rule as written misses on this data, per type and per check.
fn write_beyond(counts: &BeyondCounts, err: &mut dyn Write) -> std::io::Result<()> {
    let total: usize = counts.by_type.values().sum();
    let types: Vec<String> = crate::beyond::BeyondType::ALL
        .iter()
        .map(|t| {
            format!(
                "{} {}",
                t.name(),
                counts.by_type.get(t).copied().unwrap_or(0)
            )
        })
        .collect();
    writeln!(
        err,
        "proxyhunt: beyond the rule: {total} finding(s) the rules as written miss (after the exact findings): {}",
        types.join(", ")
    )?;
    let checks: Vec<String> = crate::beyond::check_names()
        .into_iter()
        .map(|c| format!("{c} {}", counts.by_check.get(c).copied().unwrap_or(0)))
        .collect();
    writeln!(
        err,
        "proxyhunt: beyond the rule, by check: {}",
        checks.join(", ")
    )
}

/// The chains in one line per kind, and the users in rank order.
fn write_chain_summary(chains: &[Chain], err: &mut dyn Write) -> std::io::Result<()> {
    let mut kinds: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for c in chains {
        *kinds.entry(c.kind.name()).or_default() += 1;
    }
    let counts: Vec<String> = kinds.iter().map(|(k, n)| format!("{k} {n}")).collect();
    writeln!(
        err,
        "proxyhunt: {} chain(s): {}",
        chains.len(),
        if counts.is_empty() {
            "none".to_string()
        } else {
            counts.join(", ")
        }
    )?;
    for c in chains.iter().filter(|c| c.rank.is_some()).take(10) {
        writeln!(
            err,
            "proxyhunt: rank {}: {} ({}): {} finding(s)",
            c.rank.unwrap_or(0),
            escape_unsafe(&c.user),
            c.kind.verdict(),
            c.findings.len()
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
        inputs,
        load_options,
        options,
        explicit,
        output,
        ..
    } = request;
    let explicit = *explicit;
    // The tuning error names its file.
    let (tuning, tuning_issues) = load_tuning(&request.tuning)?;
    let no_paths = Vec::new();
    let paths = match inputs {
        Inputs::Paths(p) => p,
        Inputs::Sample => &no_paths,
    };
    // The output is checked before the (maybe long) load: an existing file, a link or an input
    // is refused now rather than after the work.
    let mut protected = paths.clone();
    if let TuningSource::File(t) = &request.tuning {
        protected.push(t.clone());
    }
    let dest = output
        .path
        .as_deref()
        .filter(|p| p.as_os_str() != "-")
        .map(|path| Destination {
            path,
            force: output.force,
            links: Links::Refuse,
            inputs: &protected,
        });
    if let Some(dest) = &dest {
        check_destination(dest)?;
    }
    let ds = match inputs {
        Inputs::Paths(p) => load_for_hunt_beyond(
            p,
            load_options,
            &options.detections,
            request.beyond.as_ref(),
            &mut |_| {},
        ),
        Inputs::Sample => load_sample(),
    };
    let mut result =
        hunt_beyond(&ds, options, request.beyond.as_ref()).context("running the detections")?;
    write_summary(&ds, &result, options.lookback, stderr)?;
    if let Some(counts) = &result.beyond {
        write_beyond(counts, stderr)?;
    }
    write_tuning_issues(&tuning_issues, stderr)?;
    // Chains take every finding (device findings are evidence whatever the tuning hides, see
    // chains_listed) with what the tuning leaves: one tuning pass marks them.
    let for_chains = request.produce == Produce::Chains;
    let mut listed: Option<Vec<bool>> = None;
    if !tuning.filters.is_empty() {
        let tuned = apply_tuning(
            result.findings,
            &tuning,
            request.show_suppressed || for_chains,
        )
        .context("applying tuning")?;
        if for_chains {
            let by = tuned.findings.column(SUPPRESSED_BY)?.str()?.clone();
            listed = Some(by.iter().map(|v| v.is_none_or(str::is_empty)).collect());
        }
        result.findings = tuned.findings;
        write_impact(
            &tuning,
            &tuned.impact,
            tuned.suppressed,
            request.show_suppressed,
            stderr,
        )?;
    }

    write_not_recognised(&ds, stderr)?;
    if ds.tables.is_empty() {
        let where_ = paths
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", ");
        let recognised = ds.files.iter().filter(|f| f.table.is_some()).count();
        if recognised == 0 {
            writeln!(stderr, "proxyhunt: nothing recognisable in {}: no file is one of the four tables ({} file(s) looked at)", escape_unsafe(&where_), ds.files.len())?;
        } else {
            writeln!(stderr, "proxyhunt: no usable table in {}: {recognised} of {} file(s) recognised, none usable (see above; `proxyhunt check` says more)", escape_unsafe(&where_), ds.files.len())?;
        }
    }
    let inputs_failed = write_input_failures(&ds, stderr)?;
    let (frame, shape, what) = match request.produce {
        Produce::Findings => (result.findings.clone(), Shape::Findings, "finding(s)"),
        Produce::Chains => {
            let all = &result.findings;
            let chains = chains_listed(all, listed.as_deref(), ChainWindows::default())
                .context("building the chains")?;
            write_chain_summary(&chains, stderr)?;
            let frame = chains_frame(&chains, all).context("building the chains")?;
            (frame, Shape::Table, "chain(s)")
        }
    };
    match &dest {
        Some(dest) => {
            write_shaped(
                &frame,
                shape,
                output.format,
                output.csv,
                dest.path,
                output.force,
                &protected,
            )?;
            writeln!(
                stderr,
                "proxyhunt: wrote {} {what} to {}",
                frame.height(),
                escape_unsafe(&dest.path.display().to_string())
            )?;
        }
        None => {
            let terminal = stdout_is_terminal();
            if output.format == Format::Parquet && terminal {
                bail!("refusing to write Parquet to a terminal; use --out FILE");
            }
            let sink = if terminal { Sink::Terminal } else { Sink::File };
            // Written as encoded, through one buffer: the output is never held whole.
            let mut out = std::io::BufWriter::with_capacity(1 << 16, &mut *stdout);
            let written = encode_shaped(&frame, shape, output.format, output.csv, sink, &mut out);
            match written {
                Err(ExportError::Io { error, .. }) => Err(error),
                Err(other) => return Err(other.into()),
                Ok(()) => out.flush(),
            }
            .context("writing the findings to standard output")?;
        }
    }
    let unusable = result
        .not_run
        .iter()
        .any(|nr| nr.kind.tables().iter().any(|t| table_unusable(&ds, *t)));
    let requested_missing = explicit && !result.not_run.is_empty();
    if requested_missing {
        let names: Vec<&str> = result.not_run.iter().map(|nr| nr.kind.name()).collect();
        writeln!(
            stderr,
            "proxyhunt: {} asked for with --detection could not run (exit 2)",
            names.join(", ")
        )?;
    }
    let failed = inputs_failed || unusable || requested_missing || result.ran.is_empty();
    Ok(HuntOutcome {
        findings: result.findings.height(),
        failed,
    })
}

fn stdout_is_terminal() -> bool {
    use std::io::IsTerminal;
    std::io::stdout().is_terminal()
}
