//! `proxyhunt replay`: rule 000's scheduled runs over the data, the alerts and incidents Sentinel
//! would have raised, and (with `--tuning`) which of them the tuning removes.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Result};
use serde_json::{json, Value};

use crate::data::load::{load_sample, Dataset, LoadOptions};
use crate::data::schema::TableKind;
use crate::detect::prefilter::load_for_hunt;
use crate::detect::DetectionId;
use crate::export::{check_destination, write_with, Destination, Links};
use crate::kql::time::{format_duration, Nanos};
use crate::replay::both::signin_span;
use crate::replay::both::Replays;
use crate::replay::output::{diff_json, replay_json, time7};
use crate::replay::rule::Rule;
use crate::replay::runs::TableScope;
use crate::replay::{replay, Replay, ReplayOptions, Summary};
use crate::text::escape_unsafe;
use crate::tuning::{load_tuning_with, TuningSource};

use super::inputs::Inputs;
use super::summary::{write_issues, write_tuning_issues};

/// Everything a replay needs.
pub struct ReplayRequest {
    pub inputs: Inputs,
    pub load_options: LoadOptions,
    pub rule: Rule,
    /// `None`: the newest sign-in.
    pub now: Option<Nanos>,
    pub from: Option<Nanos>,
    pub to: Option<Nanos>,
    pub first_run: Option<Nanos>,
    pub scope: TableScope,
    pub delay: Nanos,
    pub incidents: crate::replay::incidents::IncidentOptions,
    pub tuning: TuningSource,
    pub ndjson: bool,
    pub out: Option<PathBuf>,
    pub force: bool,
}

fn summary_lines(label: &str, s: &Summary, err: &mut dyn Write) -> std::io::Result<()> {
    writeln!(
        err,
        "proxyhunt: replay{label}: {} run(s), {} fired{}; {} alert(s), {} incident(s); {} distinct event(s) alerted, {} event-in-alert appearance(s) (at most {} alert(s) per event)",
        s.runs,
        s.runs_fired,
        if s.runs_suppressed > 0 {
            format!(", {} skipped by suppression", s.runs_suppressed)
        } else {
            String::new()
        },
        s.alerts,
        s.incidents,
        s.events,
        s.appearances,
        s.most_appearances
    )
}

/// Runs a replay; returns whether it could (the sign-in and threat-intel tables were there).
pub fn run_replay(
    request: &ReplayRequest,
    stdout: &mut dyn Write,
    stderr: &mut dyn Write,
) -> Result<bool> {
    // R25: a filter applies to the runs dated before its expiry, whatever today is.
    let (tuning, tuning_issues) = load_tuning_with(
        &request.tuning,
        "the replay applies it to the runs dated before that day",
    )?;
    let tuned = !tuning.filters.is_empty();
    if let Some(out) = &request.out {
        let protected: Vec<PathBuf> = match &request.inputs {
            Inputs::Paths(p) => p.clone(),
            Inputs::Sample => Vec::new(),
        };
        check_destination(&Destination {
            path: out,
            force: request.force,
            links: Links::Refuse,
            inputs: &protected,
        })?;
    }
    // Sign-ins that can never join an indicator are not typed (the rule's own row filter).
    let ds = match &request.inputs {
        Inputs::Paths(p) => load_for_hunt(
            p,
            &request.load_options,
            &[DetectionId::AnonymizedSignin],
            &mut |_| {},
        ),
        Inputs::Sample => load_sample(),
    };
    if ds.is_sample {
        writeln!(stderr, "proxyhunt: reading the embedded sample data")?;
    }
    write_issues(&ds, stderr)?;
    write_tuning_issues(&tuning_issues, stderr)?;
    for table in [TableKind::SignIn, TableKind::ThreatIntel] {
        if !ds.tables.contains_key(&table) {
            writeln!(
                stderr,
                "proxyhunt: cannot replay: no usable {} table (exit 2)",
                table.name()
            )?;
            return Ok(false);
        }
    }
    let Some((first, last)) = signin_span(&ds) else {
        writeln!(
            stderr,
            "proxyhunt: cannot replay: no sign-in has a time (exit 2)"
        )?;
        return Ok(false);
    };
    let to = request.to.or(request.now).unwrap_or(last);
    let from = request.from.unwrap_or(first);
    if to < from {
        bail!("--from {} is after --to {}", time7(from), time7(to));
    }
    let options = ReplayOptions {
        from,
        to,
        first_run: request.first_run.unwrap_or(from),
        scope: request.scope,
        delay: request.delay,
        incidents: request.incidents,
    };
    let rule = &request.rule;
    writeln!(
        stderr,
        "proxyhunt: replaying \"{}\" every {} over the last {}, from {} to {} (first run {}, table scope {})",
        escape_unsafe(&rule.name),
        format_duration(rule.frequency),
        format_duration(rule.period),
        time7(from),
        time7(to),
        time7(options.first_run),
        request.scope.name()
    )?;
    if rule.tuned_query {
        writeln!(
            stderr,
            "proxyhunt: the rule's query carries proxyhunt tuning clauses; the replay applies filters from --tuning only (give the tuning file they came from to replay it tuned)"
        )?;
    }
    let replays = Replays::of(&ds, rule.clone(), &options, tuned.then_some(&tuning))?;
    let untuned = &replays.untuned;
    summary_lines("", &untuned.summary(), stderr)?;
    scope_note(&ds, rule, &options, untuned, stderr)?;
    if let Some(t) = &replays.tuned {
        summary_lines(" (tuned)", &t.summary(), stderr)?;
        writeln!(
            stderr,
            "proxyhunt: tuning removes {} of {} incident(s) and reduces {} (the tuned replay has {})",
            replays.incidents_with("removed"),
            replays.diff.len(),
            replays.incidents_with("reduced"),
            t.incidents.len()
        )?;
    }
    let mut body: Vec<u8> = Vec::new();
    if request.ndjson {
        let mut sides = vec![("untuned", untuned)];
        if let Some(t) = &replays.tuned {
            sides.push(("tuned", t));
        }
        for (label, side) in sides {
            let Value::Object(doc) = replay_json(rule, side) else {
                continue;
            };
            if let Some(Value::Array(alerts)) = doc.get("alerts") {
                for alert in alerts {
                    let mut alert = alert.clone();
                    if tuned {
                        alert["Replay"] = json!(label);
                    }
                    crate::export::json::write_compact(&mut body, &alert)?;
                    body.push(b'\n');
                }
            }
        }
    } else {
        let mut doc = json!({ "untuned": replay_json(rule, untuned) });
        if let Some(t) = &replays.tuned {
            doc["tuned"] = replay_json(rule, t);
            doc["incident_diff"] = diff_json(&replays.diff);
        }
        crate::export::json::write_pretty(&mut body, &doc)?;
        body.push(b'\n');
    }
    match &request.out {
        Some(path) if path.as_os_str() != "-" => {
            let protected: Vec<PathBuf> = match &request.inputs {
                Inputs::Paths(p) => p.clone(),
                Inputs::Sample => Vec::new(),
            };
            let dest = Destination {
                path,
                force: request.force,
                links: Links::Refuse,
                inputs: &protected,
            };
            let gzip = path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
            write_with(&dest, gzip, &mut |w| {
                w.write_all(&body)
                    .map_err(|error| crate::export::ExportError::Io {
                        path: path.clone(),
                        error,
                    })
            })?;
            writeln!(
                stderr,
                "proxyhunt: wrote the replay to {}",
                escape_unsafe(&path.display().to_string())
            )?;
        }
        _ => stdout.write_all(&body)?,
    }
    Ok(true)
}

/// R6: when cutting every table to the query period would change the counts, says so, with the
/// fix Microsoft's own TI rules use.
fn scope_note(
    ds: &Dataset,
    rule: &Rule,
    options: &ReplayOptions,
    replayed: &Replay,
    err: &mut dyn Write,
) -> Result<()> {
    let other = match options.scope {
        TableScope::Query => TableScope::Period,
        TableScope::Period => TableScope::Query,
    };
    let alt = replay(
        ds,
        rule,
        &ReplayOptions {
            scope: other,
            ..options.clone()
        },
        None,
    )?;
    let (a, b) = (replayed.summary(), alt.summary());
    if (a.alerts, a.incidents) != (b.alerts, b.incidents) {
        writeln!(
            err,
            "proxyhunt: table scope matters here: {} scope gives {} alert(s) in {} incident(s), {} scope {} in {}. If Sentinel cuts every table to the rule's {} query period (R6), rule 000 only matches indicators ingested in that window; Microsoft's own TI rules set queryPeriod to 14d and keep the sign-in window at 1h inside the query (`proxyhunt kql --period-fix` prints that variant)",
            options.scope.name(),
            a.alerts,
            a.incidents,
            other.name(),
            b.alerts,
            b.incidents,
            format_duration(rule.period)
        )?;
    }
    Ok(())
}
