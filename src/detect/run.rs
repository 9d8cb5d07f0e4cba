//! Running the selected detections over a loaded dataset: one `now()` for the whole run, the
//! event window, the legs whose tables are present, and the union of their findings.

use polars::prelude::*;

use super::findings::{finalise, to_union};
use super::registry::{DetectionId, DetectionType};
use super::{anonymized_signin, multihop_proxy};
use crate::beyond::{beyond_legs, BeyondOptions, BeyondType};
use crate::data::dictionary::as_text;
use crate::data::load::Dataset;
use crate::data::schema::TableKind;
use crate::data::values::LATEST;
use crate::kql::time::{ago, Nanos, DAY, HOUR};

/// The instant `now()` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NowSpec {
    /// The newest event time across the loaded sign-in and device tables.
    Latest,
    At(Nanos),
}

/// Which events the detections see.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookback {
    /// Every loaded event.
    All,
    /// The rule's own windows: sign-ins `> ago(1h)`, device events `> ago(24h)`.
    Rule,
    /// Events newer than `now` minus this.
    Duration(Nanos),
}

#[derive(Debug, Clone)]
pub struct HuntOptions {
    pub now: NowSpec,
    pub lookback: Lookback,
    pub detections: Vec<DetectionId>,
}

impl Default for HuntOptions {
    fn default() -> Self {
        Self {
            now: NowSpec::Latest,
            lookback: Lookback::All,
            detections: DetectionId::ALL.to_vec(),
        }
    }
}

/// A finding type that did not run, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotRun {
    pub kind: DetectionType,
    pub reason: String,
}

pub struct HuntResult {
    pub findings: DataFrame,
    pub now: Nanos,
    /// How `now` was chosen, for the run summary.
    pub now_source: String,
    pub ran: Vec<DetectionType>,
    pub not_run: Vec<NotRun>,
    /// With `--beyond`: findings per beyond-the-rule check and type (the findings themselves
    /// follow the exact ones in `findings`).
    pub beyond: Option<BeyondCounts>,
}

/// How many findings each beyond-the-rule check and type gave.
#[derive(Debug, Clone, Default)]
pub struct BeyondCounts {
    pub by_check: std::collections::BTreeMap<&'static str, usize>,
    pub by_type: std::collections::BTreeMap<BeyondType, usize>,
}

/// The newest event time across the event tables, if any event was loaded (rows a filter left
/// out count: they were read). Times past 2262 (held as the latest instant, each said with its
/// file and line) are left out: a `9999-12-31` typed into a timestamp is no event's time, and as
/// `now()` it would put every real event outside the rule's window.
pub fn latest_event(ds: &Dataset) -> Option<Nanos> {
    let typed = ds
        .tables
        .iter()
        .filter(|(t, _)| t.is_event_table())
        .filter_map(|(t, df)| {
            let times = df
                .column(t.time_column())
                .ok()?
                .cast(&DataType::Int64)
                .ok()?;
            let times = times.i64().ok()?;
            match times.max() {
                Some(LATEST) => times.iter().flatten().filter(|&n| n != LATEST).max(),
                other => other,
            }
        });
    let skipped = ds
        .skipped
        .iter()
        .filter(|(t, _)| t.is_event_table())
        .filter_map(|(_, s)| s.times.map(|(_, hi)| hi));
    typed.chain(skipped).max()
}

fn resolve_now(ds: &Dataset, spec: NowSpec) -> (Nanos, String) {
    match spec {
        NowSpec::At(t) => (t, "--now".into()),
        NowSpec::Latest => match latest_event(ds) {
            Some(t) => (t, "newest event (--now latest)".into()),
            None => {
                let wall = chrono::Utc::now().timestamp_nanos_opt().unwrap_or(0);
                (
                    wall - wall.rem_euclid(100),
                    "clock (no events loaded)".into(),
                )
            }
        },
    }
}

/// The lower bound of the event window for a table, `None` for no bound.
pub fn window_start(lookback: Lookback, table: TableKind, now: Nanos) -> Option<Nanos> {
    match lookback {
        Lookback::All => None,
        Lookback::Duration(d) => Some(ago(now, d)),
        Lookback::Rule => Some(ago(
            now,
            if table == TableKind::SignIn {
                HOUR
            } else {
                DAY
            },
        )),
    }
}

/// Why a finding type cannot run on this dataset (a table it reads is absent or unusable), or
/// `None` if it can. `check` and `hunt` both say it this way.
pub fn cannot_run(ds: &Dataset, kind: DetectionType) -> Option<String> {
    let missing = kind.tables().iter().find(|t| !ds.tables.contains_key(t))?;
    Some(match ds.unusable.iter().find(|u| u.table == *missing) {
        Some(u) => format!("{} unusable: {}", missing.name(), u.reason),
        None => format!("no {} table loaded", missing.name()),
    })
}

/// Runs the detections. Legs whose tables are absent are listed in `not_run`.
pub fn hunt(ds: &Dataset, options: &HuntOptions) -> PolarsResult<HuntResult> {
    hunt_beyond(ds, options, None)
}

/// [`hunt`], and with `beyond` the beyond-the-rule findings after the exact ones (the exact
/// findings are the same frame, row for row, as without).
pub fn hunt_beyond(
    ds: &Dataset,
    options: &HuntOptions,
    beyond: Option<&BeyondOptions>,
) -> PolarsResult<HuntResult> {
    let (now, now_source) = resolve_now(ds, options.now);
    let mut legs: Vec<LazyFrame> = Vec::new();
    let mut ran = Vec::new();
    let mut not_run = Vec::new();
    let kinds: Vec<DetectionType> = options
        .detections
        .iter()
        .flat_map(|d| d.types().iter().copied())
        .collect();
    for kind in kinds {
        if let Some(reason) = cannot_run(ds, kind) {
            not_run.push(NotRun { kind, reason });
            continue;
        }
        let frame = |t: TableKind| as_text(&ds.tables[&t]);
        let since = |t: TableKind| window_start(options.lookback, t, now);
        let leg = match kind {
            DetectionType::AnonymizedSignIn => anonymized_signin::anonymized_signins(
                frame(TableKind::SignIn),
                frame(TableKind::ThreatIntel),
                now,
                since(TableKind::SignIn),
            ),
            DetectionType::ProxyToolLaunch => multihop_proxy::proxy_tool_launch(
                frame(TableKind::DeviceProcess),
                since(TableKind::DeviceProcess),
            ),
            DetectionType::TorPortConnection => multihop_proxy::tor_port_connection(
                frame(TableKind::DeviceNetwork),
                since(TableKind::DeviceNetwork),
            ),
            DetectionType::SshMultiHopProxy => multihop_proxy::ssh_multi_hop_proxy(
                frame(TableKind::DeviceProcess),
                since(TableKind::DeviceProcess),
            ),
        };
        let present = leg.clone().collect_schema()?;
        let names: Vec<&str> = present.iter_names().map(|n| n.as_str()).collect();
        legs.push(to_union(leg, &names));
        ran.push(kind);
    }
    let findings = if legs.is_empty() {
        empty_findings(&ds.file_names)?
    } else {
        let union = concat(
            legs,
            UnionArgs {
                parallel: true,
                rechunk: true,
                ..UnionArgs::default()
            },
        )?
        .collect()?;
        finalise(union, &ds.file_names)?
    };
    let (findings, beyond) = match beyond {
        None => (findings, None),
        Some(b) => {
            let since = |t: TableKind| window_start(options.lookback, t, now);
            let found = beyond_legs(ds, b, now, &since)?;
            let mut all = findings;
            if !found.legs.is_empty() {
                let union = concat(found.legs, UnionArgs::default())?.collect()?;
                all.vstack_mut(&finalise(union, &ds.file_names)?)?;
            }
            let counts = BeyondCounts {
                by_check: found.by_check,
                by_type: found.by_type,
            };
            (all, Some(counts))
        }
    };
    Ok(HuntResult {
        findings,
        now,
        now_source,
        ran,
        not_run,
        beyond,
    })
}

fn empty_findings(file_names: &[String]) -> PolarsResult<DataFrame> {
    let columns = super::findings::contract_columns();
    let empty = DataFrame::empty_with_schema(&Schema::from_iter(
        columns.into_iter().map(|(n, t)| Field::new(n.into(), t)),
    ));
    let leg = empty.lazy().with_columns([
        lit(NULL).cast(DataType::String).alias("_Account"),
        lit(NULL).cast(DataType::Int64).alias("_Indicators"),
        lit(NULL).cast(DataType::String).alias("_Reason"),
        lit(NULL)
            .cast(DataType::UInt32)
            .alias(crate::data::schema::SOURCE_FILE_COLUMN),
        lit(NULL)
            .cast(DataType::Int64)
            .alias(crate::data::schema::SOURCE_LINE_COLUMN),
    ]);
    finalise(leg.collect()?, file_names)
}
