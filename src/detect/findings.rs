//! The unified findings frame: one row per finding, the union of every type's projected
//! columns (empty where a type has none, as Kusto's `union` leaves them), plus normalised
//! entities, the reason it fired and where the event came from.

use polars::prelude::*;

use super::registry::DetectionType;
use super::{anonymized_signin, multihop_proxy};
use crate::data::schema::{SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN};

/// Every contract column, in export order, with its type.
pub fn contract_columns() -> Vec<(&'static str, DataType)> {
    let mut out: Vec<(&'static str, DataType)> = vec![("DetectionType", DataType::String)];
    for t in DetectionType::ALL {
        for c in t.projected() {
            if !out.iter().any(|(n, _)| n == c) {
                out.push((c, column_type(c)));
            }
        }
    }
    out
}

/// Columns added to the contract's: normalised entities, the reason, the source row.
pub const EXTRA_COLUMNS: &[&str] = &["User", "Device", "IP", "Reason", "SourceFile", "SourceLine"];

/// The type of a contract column.
pub fn column_type(name: &str) -> DataType {
    match name {
        "TimeGenerated" | "Timestamp" => DataType::Datetime(TimeUnit::Nanoseconds, None),
        "AnonymizationType" => DataType::List(Box::new(DataType::String)),
        "RemotePort" => DataType::Int64,
        _ => DataType::String,
    }
}

/// Internal columns the legs carry until the findings are finalised.
const INTERNAL: &[(&str, DataType)] = &[
    ("_Account", DataType::String),
    ("_Indicators", DataType::Int64),
    // A finding's reason given by its leg (the beyond-the-rule checks); the rule's own legs
    // leave it empty and the reason is derived in `finalise`.
    ("_Reason", DataType::String),
    (SOURCE_FILE_COLUMN, DataType::UInt32),
    (SOURCE_LINE_COLUMN, DataType::Int64),
];

/// What every leg selects: its DetectionType, the KQL's projected columns, the column that
/// names its account (as `_Account`), any `extra` internal columns, and where the row came from.
pub fn leg_columns(kind: DetectionType, account: &str, extra: &[&str]) -> Vec<Expr> {
    named_leg_columns(kind.name(), kind, account, extra)
}

/// [`leg_columns`] under another `DetectionType` value (`name`), with `kind`'s projection.
pub fn named_leg_columns(
    name: &str,
    kind: DetectionType,
    account: &str,
    extra: &[&str],
) -> Vec<Expr> {
    let mut exprs: Vec<Expr> = vec![lit(name).alias("DetectionType")];
    exprs.extend(kind.projected().iter().map(|c| col(*c)));
    exprs.push(col(account).alias("_Account"));
    exprs.extend(extra.iter().map(|c| col(*c)));
    exprs.extend([col(SOURCE_FILE_COLUMN), col(SOURCE_LINE_COLUMN)]);
    exprs
}

/// The event window: rows whose `time` is after `since` (all rows without a bound).
pub fn within(lf: LazyFrame, time: &str, since: Option<crate::kql::time::Nanos>) -> LazyFrame {
    match since {
        Some(bound) => lf.filter(crate::kql::time::after(col(time), bound)),
        None => lf,
    }
}

/// Brings a leg to the union schema: its own columns, typed nulls for the others.
pub fn to_union(leg: LazyFrame, present: &[&str]) -> LazyFrame {
    let all = contract_columns();
    let exprs: Vec<Expr> = all
        .iter()
        .map(|(n, t)| (*n, t.clone()))
        .chain(INTERNAL.iter().map(|(n, t)| (*n, t.clone())))
        .map(|(name, dtype)| {
            if present.contains(&name) {
                col(name).cast(dtype)
            } else {
                lit(NULL).cast(dtype).alias(name)
            }
        })
        .collect();
    leg.select(exprs)
}

/// A user as the same person across tables: `alice@contoso.com`, `CONTOSO\alice` and `Alice`
/// all become `alice` (ASCII lower case, domain and UPN suffix dropped).
pub fn normalise_user(account: &str) -> String {
    let local = account.rsplit('\\').next().unwrap_or(account);
    let local = local.split('@').next().unwrap_or(local);
    local.to_ascii_lowercase()
}

/// A device name compared without case.
pub fn normalise_device(device: &str) -> String {
    device.to_ascii_lowercase()
}

fn str_values(df: &DataFrame, name: &str) -> PolarsResult<Vec<String>> {
    Ok(df
        .column(name)?
        .str()?
        .iter()
        .map(|v| v.unwrap_or("").to_string())
        .collect())
}

/// Adds the extra columns, drops the internal ones and sorts newest first (ties broken by
/// type, then source file and line, so that output is reproducible).
pub fn finalise(df: DataFrame, file_names: &[String]) -> PolarsResult<DataFrame> {
    let n = df.height();
    let kinds = str_values(&df, "DetectionType")?;
    let account = str_values(&df, "_Account")?;
    let device = str_values(&df, "DeviceName")?;
    let ip_addr = str_values(&df, "IPAddress")?;
    let remote_ip = str_values(&df, "RemoteIP")?;
    let file_name = str_values(&df, "FileName")?;
    let cmd = str_values(&df, "ProcessCommandLine")?;
    let port: Vec<Option<i64>> = df.column("RemotePort")?.i64()?.iter().collect();
    let indicators: Vec<Option<i64>> = df.column("_Indicators")?.i64()?.iter().collect();
    let given_reason = df.column("_Reason")?.str()?.clone();
    let tags = df.column("AnonymizationType")?.list()?.clone();
    let src_file: Vec<Option<u32>> = df.column(SOURCE_FILE_COLUMN)?.u32()?.iter().collect();

    let mut user = Vec::with_capacity(n);
    let mut dev = Vec::with_capacity(n);
    let mut ip = Vec::with_capacity(n);
    let mut reason = Vec::with_capacity(n);
    let mut source_file = Vec::with_capacity(n);
    for i in 0..n {
        // A beyond-the-rule type (`AnonymizedSignIn+`) takes its entities as its base type does.
        let kind = DetectionType::from_name(kinds[i].trim_end_matches('+'));
        user.push(normalise_user(&account[i]));
        dev.push(normalise_device(&device[i]));
        let (this_ip, why) = match kind {
            Some(DetectionType::AnonymizedSignIn) => {
                let t: Vec<String> = tags
                    .get_as_series(i)
                    .and_then(|s| {
                        s.str()
                            .ok()
                            .map(|ca| ca.iter().flatten().map(str::to_string).collect())
                    })
                    .unwrap_or_default();
                (
                    ip_addr[i].clone(),
                    anonymized_signin::reason(&t, indicators[i]),
                )
            }
            Some(DetectionType::TorPortConnection) => (
                remote_ip[i].clone(),
                multihop_proxy::network_reason(port[i]),
            ),
            Some(k) => (
                String::new(),
                multihop_proxy::process_reason(k, &file_name[i], &cmd[i]),
            ),
            None => (String::new(), String::new()),
        };
        ip.push(this_ip);
        reason.push(match given_reason.get(i) {
            Some(given) => given.to_string(),
            None => why,
        });
        source_file.push(
            src_file[i]
                .and_then(|f| file_names.get(f as usize))
                .cloned()
                .unwrap_or_default(),
        );
    }
    let time = finding_times(&df)?
        .into_iter()
        .collect::<Int64Chunked>()
        .with_name("_Time".into());

    let mut df = df;
    df.with_column(Column::new("User".into(), user))?;
    df.with_column(Column::new("Device".into(), dev))?;
    df.with_column(Column::new("IP".into(), ip))?;
    df.with_column(Column::new("Reason".into(), reason))?;
    df.with_column(Column::new("SourceFile".into(), source_file))?;
    df.with_column(
        df.column(SOURCE_LINE_COLUMN)?
            .clone()
            .with_name("SourceLine".into()),
    )?;
    df.with_column(time.into_column())?;
    let sorted = df.sort(
        ["_Time", "DetectionType", "SourceFile", "SourceLine"],
        SortMultipleOptions::default()
            .with_order_descending_multi([true, false, false, false])
            .with_maintain_order(true),
    )?;
    let keep: Vec<String> = contract_columns()
        .iter()
        .map(|(c, _)| c.to_string())
        .chain(EXTRA_COLUMNS.iter().map(|c| c.to_string()))
        .collect();
    sorted.select(keep)
}

/// Each finding's event time (`TimeGenerated` or `Timestamp`) in nanoseconds, in frame order.
pub fn finding_times(findings: &DataFrame) -> PolarsResult<Vec<Option<i64>>> {
    let a = findings.column("TimeGenerated")?.cast(&DataType::Int64)?;
    let b = findings.column("Timestamp")?.cast(&DataType::Int64)?;
    Ok(a.i64()?
        .iter()
        .zip(b.i64()?.iter())
        .map(|(x, y)| x.or(y))
        .collect())
}
