//! Coverage beyond the rule: what the two detections as written cannot see on this data —
//! indicators their `extract` cannot read, Tor exits named by a plain exit list, and the proxy
//! launches query 004's own Atomic tests exercise but its lists do not name.
//!
//! These are never the Kusto-exact findings: they carry `DetectionType` values of their own
//! (`AnonymizedSignIn+`, ...), a reason that starts with `BeyondRule`, come after the exact
//! findings in every output, and only with `hunt --beyond`. A row the rule already finds is
//! never a beyond finding of the same type: each counts what the rule misses.

pub mod indicators;
pub mod process;
pub mod signin;

use std::collections::BTreeMap;
use std::sync::Arc;

use polars::prelude::*;

use crate::data::dictionary::as_text;
use crate::data::load::Dataset;
use crate::data::schema::TableKind;
use crate::detect::condition::Condition;
use crate::detect::findings::{named_leg_columns, to_union, within};
use crate::detect::multihop_proxy::{PROXY_TOOL_LAUNCH, SSH_MULTI_HOP_PROXY};
use crate::detect::DetectionType;
use crate::kql::time::Nanos;
use indicators::ExitList;
use process::{ProcessCells, PROCESS_CHECKS};

/// A beyond-the-rule finding type: a base detection type's shape under a name of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum BeyondType {
    AnonymizedSignIn,
    ProxyToolLaunch,
    SshMultiHopProxy,
}

impl BeyondType {
    pub const ALL: [BeyondType; 3] = [
        BeyondType::AnonymizedSignIn,
        BeyondType::ProxyToolLaunch,
        BeyondType::SshMultiHopProxy,
    ];

    /// The `DetectionType` value: the base type's name and `+`.
    pub fn name(self) -> &'static str {
        match self {
            BeyondType::AnonymizedSignIn => "AnonymizedSignIn+",
            BeyondType::ProxyToolLaunch => "ProxyToolLaunch+",
            BeyondType::SshMultiHopProxy => "SSHMultiHopProxy+",
        }
    }

    pub fn base(self) -> DetectionType {
        match self {
            BeyondType::AnonymizedSignIn => DetectionType::AnonymizedSignIn,
            BeyondType::ProxyToolLaunch => DetectionType::ProxyToolLaunch,
            BeyondType::SshMultiHopProxy => DetectionType::SshMultiHopProxy,
        }
    }
}

/// What a `--beyond` hunt reads besides the dataset.
#[derive(Debug, Clone, Default)]
pub struct BeyondOptions {
    /// `--tor-list FILE`, read.
    pub exit_list: Option<Arc<ExitList>>,
}

/// Beyond-the-rule findings and how many each check found.
pub struct BeyondResult {
    /// The legs, each in the union's shape (finalised with the exact findings' columns).
    pub legs: Vec<LazyFrame>,
    /// Findings per check name (a finding two checks hold counts for both).
    pub by_check: BTreeMap<&'static str, usize>,
    /// Findings per beyond type.
    pub by_type: BTreeMap<BeyondType, usize>,
}

/// Every check's name, in report order.
pub fn check_names() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = indicators::SIGNIN_FORMS
        .iter()
        .map(|f| f.check_name())
        .collect();
    names.extend(PROCESS_CHECKS.iter().map(|c| c.name));
    names
}

/// The beyond-the-rule findings on `ds` at `now`, each table's rows after `since(table)`.
pub fn beyond_legs(
    ds: &Dataset,
    options: &BeyondOptions,
    now: Nanos,
    since: &dyn Fn(TableKind) -> Option<Nanos>,
) -> PolarsResult<BeyondResult> {
    let mut result = BeyondResult {
        legs: Vec::new(),
        by_check: check_names().into_iter().map(|n| (n, 0)).collect(),
        by_type: BTreeMap::new(),
    };
    if let Some(signins) = ds.tables.get(&TableKind::SignIn) {
        let ti = ds.tables.get(&TableKind::ThreatIntel);
        let legacy = ds.tables.get(&TableKind::LegacyThreatIntel);
        let rows = within(as_text(signins), "TimeGenerated", since(TableKind::SignIn));
        let found = signin::beyond_signins(rows, ti, legacy, now, options.exit_list.as_deref())?;
        for checks in &found.checks {
            for c in checks {
                *result.by_check.entry(c).or_default() += 1;
            }
        }
        if found.rows.height() > 0 {
            result
                .by_type
                .insert(BeyondType::AnonymizedSignIn, found.rows.height());
            result.legs.push(found.leg()?);
        }
    }
    if let Some(process) = ds.tables.get(&TableKind::DeviceProcess) {
        let rows = within(
            as_text(process),
            "Timestamp",
            since(TableKind::DeviceProcess),
        )
        .collect()?;
        for kind in [BeyondType::ProxyToolLaunch, BeyondType::SshMultiHopProxy] {
            let (leg, n) = process_leg(&rows, kind, &mut result.by_check)?;
            if n > 0 {
                result.by_type.insert(kind, n);
                result.legs.push(leg);
            }
        }
    }
    Ok(result)
}

/// The rows of `process` that `kind`'s checks hold on and no exact process leg holds on,
/// as a leg, with how many.
fn process_leg(
    process: &DataFrame,
    kind: BeyondType,
    by_check: &mut BTreeMap<&'static str, usize>,
) -> PolarsResult<(LazyFrame, usize)> {
    let exact: [&Condition; 2] = [&PROXY_TOOL_LAUNCH, &SSH_MULTI_HOP_PROXY];
    let file = process.column("FileName")?.str()?.clone();
    let cmd = process.column("ProcessCommandLine")?.str()?.clone();
    let mut rows: Vec<IdxSize> = Vec::new();
    let mut reasons: Vec<String> = Vec::new();
    for (i, (f, c)) in file.iter().zip(cmd.iter()).enumerate() {
        let cells = ProcessCells::new(f.unwrap_or(""), c.unwrap_or(""));
        let hits: Vec<&process::ProcessCheck> = process::matching(&cells, kind).collect();
        if hits.is_empty() {
            continue;
        }
        let cell = |column: &'static str| match column {
            "FileName" => Some(cells.file_name),
            "ProcessCommandLine" => Some(cells.command_line),
            _ => None,
        };
        // A row any exact leg finds is no miss of the rule, whichever leg it is (an `autossh -D`
        // is an exact ProxyToolLaunch: not an SSHMultiHopProxy+ "miss").
        if exact.iter().any(|leg| leg.holds(&cell)) {
            continue;
        }
        for h in &hits {
            *by_check.entry(h.name).or_default() += 1;
        }
        rows.push(i as IdxSize);
        reasons.push(reason(hits.iter().map(|h| (h.name, h.why))));
    }
    let n = rows.len();
    let taken = process.take(&IdxCa::from_vec("".into(), rows))?;
    let leg = with_reason(taken, reasons)?
        .lazy()
        .select(named_leg_columns(
            kind.name(),
            kind.base(),
            "AccountName",
            &["_Reason"],
        ));
    Ok((union_shape(leg)?, n))
}

/// The reason of a beyond finding: `BeyondRule: name: why; name: why`.
pub fn reason<'a>(checks: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let parts: Vec<String> = checks.map(|(n, w)| format!("{n}: {w}")).collect();
    format!("BeyondRule: {}", parts.join("; "))
}

fn with_reason(mut df: DataFrame, reasons: Vec<String>) -> PolarsResult<DataFrame> {
    df.with_column(Column::new("_Reason".into(), reasons))?;
    Ok(df)
}

/// A leg brought to the union's shape.
fn union_shape(leg: LazyFrame) -> PolarsResult<LazyFrame> {
    let present = leg.clone().collect_schema()?;
    let names: Vec<&str> = present.iter_names().map(|n| n.as_str()).collect();
    Ok(to_union(leg, &names))
}
