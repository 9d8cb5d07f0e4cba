//! "Go hunt from an entity": the raw events of a user, IP or device across every loaded table
//! around a moment, so that an analyst sees what else happened, not only detection hits.

use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::sync::Arc;

use polars::prelude::*;
use regex::Regex;

use crate::data::load::{Dataset, LoadOptions};
use crate::data::row_filter::{RowFilter, RowFilters};
use crate::data::schema::{TableKind, SOURCE_FILE_COLUMN, SOURCE_LINE_COLUMN};
use crate::detect::anonymized_signin::NETWORK_IP_REGEX;
use crate::detect::findings::{normalise_device, normalise_user};
use crate::explore::rows::FindingRow;
use crate::kql::expr::extract;
use crate::kql::time::Nanos;

/// The entity to follow, in its normalised form (as findings' `User`, `IP`, `Device` hold it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entity {
    User(String),
    Ip(String),
    Device(String),
}

impl Entity {
    pub fn label(&self) -> String {
        match self {
            Entity::User(v) => format!("User={v}"),
            Entity::Ip(v) => format!("IP={v}"),
            Entity::Device(v) => format!("Device={v}"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContextEvent {
    pub table: TableKind,
    /// `None` for threat-intel rows, which are shown whatever their time.
    pub time: Option<Nanos>,
    pub summary: String,
    /// Where the first of them was read (`file:line`).
    pub source: String,
    /// How many rows said exactly this (the same indicator exported at every update): one
    /// event shown with `×N` instead of N lines.
    pub repeats: usize,
    /// The users, addresses and devices the event names (normalised as go hunt compares
    /// them): where a hunt can go next from it.
    pub entities: Vec<Entity>,
}

/// Merges events equal in table, time and summary (kept in their order; the first's source).
fn collapse(events: Vec<ContextEvent>) -> Vec<ContextEvent> {
    let mut out: Vec<ContextEvent> = Vec::with_capacity(events.len());
    let mut seen: HashMap<(TableKind, Option<Nanos>, String), usize> = HashMap::new();
    for e in events {
        let key = (e.table, e.time, e.summary.clone());
        match seen.get(&key) {
            Some(&at) => out[at].repeats += e.repeats,
            None => {
                seen.insert(key, out.len());
                out.push(e);
            }
        }
    }
    out
}

type Normaliser = fn(&str) -> String;

fn exact(s: &str) -> String {
    s.to_string()
}

/// Which column of which table holds the entity, and how it is normalised before comparing.
fn entity_columns(entity: &Entity) -> Vec<(TableKind, &'static str, Normaliser)> {
    match entity {
        Entity::User(_) => vec![
            (
                TableKind::SignIn,
                "UserPrincipalName",
                normalise_user as Normaliser,
            ),
            (TableKind::DeviceProcess, "AccountName", normalise_user),
            (
                TableKind::DeviceNetwork,
                "InitiatingProcessAccountName",
                normalise_user,
            ),
        ],
        Entity::Ip(_) => vec![
            (TableKind::SignIn, "IPAddress", exact as Normaliser),
            (TableKind::DeviceNetwork, "RemoteIP", exact),
        ],
        Entity::Device(_) => vec![
            (
                TableKind::DeviceProcess,
                "DeviceName",
                normalise_device as Normaliser,
            ),
            (TableKind::DeviceNetwork, "DeviceName", normalise_device),
        ],
    }
}

/// How the console loads every event for go hunt: as `load` says, with only the columns go
/// hunt reads, the repeated ones held as dictionaries, and only the rows of the entities it
/// can follow from `findings`.
pub fn every_event_options(load: &LoadOptions, findings: &[FindingRow]) -> LoadOptions {
    LoadOptions {
        only_columns: Some(go_hunt_columns),
        dictionary_columns: Some(go_hunt_dictionary_columns),
        filters: go_hunt_filters(findings),
        ..load.clone()
    }
}

/// The values go hunt can follow: those of the findings' users, IPs and devices (it starts
/// only from a finding or from a pivot over findings), without the empty value.
fn followable(findings: &[FindingRow]) -> [(Entity, HashSet<String>); 3] {
    let set = |get: fn(&FindingRow) -> &String| -> HashSet<String> {
        findings
            .iter()
            .map(get)
            .filter(|v| !v.is_empty())
            .cloned()
            .collect()
    };
    [
        (Entity::User(String::new()), set(|r| &r.user)),
        (Entity::Ip(String::new()), set(|r| &r.ip)),
        (Entity::Device(String::new()), set(|r| &r.device)),
    ]
}

/// Per table, a row filter keeping the rows where some entity column holds (normalised as go
/// hunt compares it) a value go hunt can follow from `findings`: a row it turns away is one no go
/// hunt from these findings would show. Threat intel is read whole (it is small, and go hunt
/// matches it through the rule's regex).
pub fn go_hunt_filters(findings: &[FindingRow]) -> RowFilters {
    let followable = followable(findings);
    let mut filters = RowFilters::default();
    for table in [
        TableKind::SignIn,
        TableKind::DeviceProcess,
        TableKind::DeviceNetwork,
    ] {
        let tests: Vec<(&'static str, Normaliser, Arc<HashSet<String>>)> = followable
            .iter()
            .flat_map(|(entity, values)| {
                let values = Arc::new(values.clone());
                entity_columns(entity)
                    .into_iter()
                    .filter(move |(t, _, _)| *t == table)
                    .map(move |(_, c, n)| (c, n, values.clone()))
            })
            .collect();
        let mut sorted: Vec<(&str, Vec<&String>)> = tests
            .iter()
            .map(|(c, _, v)| {
                let mut v: Vec<&String> = v.iter().collect();
                v.sort();
                (*c, v)
            })
            .collect();
        sorted.sort();
        let mut h = std::collections::hash_map::DefaultHasher::new();
        sorted.hash(&mut h);
        let identity = format!(
            "go hunt: {} ({:016x})",
            sorted
                .iter()
                .map(|(c, v)| format!("{c} in {} values", v.len()))
                .collect::<Vec<_>>()
                .join(" or "),
            h.finish()
        );
        let columns: Vec<&'static str> = tests.iter().map(|(c, _, _)| *c).collect();
        let expr = tests
            .iter()
            .map(|(c, n, v)| normalised_in(col(*c).cast(DataType::String), *n, v.clone()))
            .reduce(Expr::or)
            .unwrap_or(lit(false));
        let keep = move |cells: &[Option<&str>]| {
            tests
                .iter()
                .zip(cells)
                .any(|((_, n, v), cell)| cell.is_some_and(|s| v.contains(&n(s))))
        };
        filters.now.insert(
            table,
            RowFilter::new(identity, &columns, keep).with_expr(expr),
        );
    }
    filters
}

/// The columns of `table` go hunt reads: the entities it follows and what it shows of a row
/// (the console loads every event with only these, besides the event time).
pub fn go_hunt_columns(table: TableKind) -> Vec<&'static str> {
    if table == TableKind::ThreatIntel {
        return table.columns().iter().map(|c| c.name).collect();
    }
    let entities = [
        Entity::User(String::new()),
        Entity::Ip(String::new()),
        Entity::Device(String::new()),
    ];
    let mut out: Vec<&'static str> = entities
        .iter()
        .flat_map(entity_columns)
        .filter(|(t, _, _)| *t == table)
        .map(|(_, c, _)| c)
        .collect();
    out.extend(summary_parts(table).iter().map(|(_, c)| *c));
    out.sort_unstable();
    out.dedup();
    out
}

/// The columns of an event table go hunt holds as dictionaries: those naming users, devices,
/// apps, results, places and hosts, which repeat across millions of rows. Command lines and IP
/// addresses are held as text: they are often distinct, and a dictionary of distinct values
/// costs several times their text (measured: 535 MB for 5M nearly distinct addresses, against
/// about 150 MB as text). Threat intel is small and read whole, as text.
pub fn go_hunt_dictionary_columns(table: TableKind) -> Vec<&'static str> {
    if matches!(table, TableKind::ThreatIntel | TableKind::LegacyThreatIntel) {
        return Vec::new();
    }
    go_hunt_columns(table)
        .into_iter()
        .filter(|c| !["ProcessCommandLine", "IPAddress", "RemoteIP"].contains(c))
        .collect()
}

/// Whether `expr`'s value, normalised, is one of `wanted` (null never is): how go hunt and its
/// row filter compare a cell with the entities.
fn normalised_in(expr: Expr, normalise: Normaliser, wanted: Arc<HashSet<String>>) -> Expr {
    expr.map(
        move |c: Column| {
            // Read as text: the every-event load holds entity columns as dictionaries.
            let c = c.cast(&DataType::String)?;
            let out: BooleanChunked = c
                .str()?
                .iter()
                .map(|v| Some(v.is_some_and(|s| wanted.contains(&normalise(s)))))
                .collect();
            Ok(out.with_name(c.name().clone()).into_column())
        },
        |_, f| Ok(Field::new(f.name().clone(), DataType::Boolean)),
    )
}

/// The summary of a row: each (prefix, column) pair in turn.
fn summary_parts(table: TableKind) -> &'static [(&'static str, &'static str)] {
    match table {
        TableKind::SignIn => &[
            ("", "UserPrincipalName"),
            (" to ", "AppDisplayName"),
            (" from ", "IPAddress"),
            (" ResultType=", "ResultType"),
            (" ", "Location"),
        ],
        TableKind::DeviceProcess => &[
            ("", "DeviceName"),
            (" ", "AccountName"),
            (": ", "ProcessCommandLine"),
        ],
        TableKind::DeviceNetwork => &[
            ("", "DeviceName"),
            (" ", "InitiatingProcessFileName"),
            (" -> ", "RemoteIP"),
            (":", "RemotePort"),
            (" ", "RemoteUrl"),
            (" ", "RemoteIPType"),
        ],
        TableKind::ThreatIntel => &[
            ("indicator ", "Id"),
            (" Tags=", "Tags"),
            (" ", "Pattern"),
            (" active=", "IsActive"),
            (" until=", "ValidUntil"),
        ],
        TableKind::LegacyThreatIntel => &[
            ("legacy indicator ", "IndicatorId"),
            (" ", "NetworkIP"),
            (" Tags=", "Tags"),
            (" ThreatType=", "ThreatType"),
            (" active=", "Active"),
            (" expires=", "ExpirationDateTime"),
        ],
    }
}

/// The entities a row of `table` names, from its summary columns (`texts`, in `parts` order).
fn row_entities(
    table: TableKind,
    parts: &[(&str, &str)],
    texts: &[StringChunked],
    i: usize,
) -> Vec<Entity> {
    let kinds: [fn(String) -> Entity; 3] = [Entity::User, Entity::Ip, Entity::Device];
    let mut out = Vec::new();
    for make in kinds {
        for (t, column, normalise) in entity_columns(&make(String::new())) {
            let Some(at) = parts.iter().position(|(_, c)| *c == column) else {
                continue;
            };
            let value = texts[at].get(i).map(normalise).unwrap_or_default();
            if t == table && !value.is_empty() {
                out.push(make(value));
            }
        }
    }
    out
}

fn collect_events(
    lf: LazyFrame,
    table: TableKind,
    file_names: &[String],
    with_time: bool,
) -> PolarsResult<Vec<ContextEvent>> {
    let parts = summary_parts(table);
    let time = if with_time {
        col(table.time_column()).cast(DataType::Int64)
    } else {
        lit(NULL).cast(DataType::Int64)
    };
    let mut exprs = vec![
        time.alias("_t"),
        col(SOURCE_FILE_COLUMN),
        col(SOURCE_LINE_COLUMN),
    ];
    exprs.extend(parts.iter().map(|(_, c)| col(*c).cast(DataType::String)));
    let df = lf.select(exprs).collect()?;
    let times = df.column("_t")?.i64()?.clone();
    let files = df.column(SOURCE_FILE_COLUMN)?.u32()?.clone();
    let lines = df.column(SOURCE_LINE_COLUMN)?.i64()?.clone();
    let texts: Vec<StringChunked> = parts
        .iter()
        .map(|(_, c)| df.column(c).and_then(|c| c.str().cloned()))
        .collect::<PolarsResult<_>>()?;
    Ok((0..df.height())
        .map(|i| {
            let summary = parts
                .iter()
                .zip(&texts)
                .map(|((prefix, _), t)| format!("{prefix}{}", t.get(i).unwrap_or("")))
                .collect::<String>();
            ContextEvent {
                table,
                time: times.get(i),
                summary,
                repeats: 1,
                entities: row_entities(table, parts, &texts, i),
                source: format!(
                    "{}:{}",
                    files
                        .get(i)
                        .and_then(|f| file_names.get(f as usize))
                        .map_or("?", String::as_str),
                    lines.get(i).unwrap_or(0)
                ),
            }
        })
        .collect())
}

/// Events of `entity` within `half_window` of `center`, oldest first; for an IP, also the
/// threat-intel indicators that name it (whatever their time).
pub fn context_events(
    ds: &Dataset,
    entity: &Entity,
    center: Nanos,
    half_window: Nanos,
) -> PolarsResult<Vec<ContextEvent>> {
    let wanted = match entity {
        Entity::User(v) | Entity::Ip(v) | Entity::Device(v) => v.clone(),
    };
    let mut out = Vec::new();
    for (table, column, normalise) in entity_columns(entity) {
        let Some(df) = ds.tables.get(&table) else {
            continue;
        };
        let t = col(table.time_column()).cast(DataType::Int64);
        // The window first, on its own: the entity test (which normalises each value) then
        // sees only the window's rows.
        let in_window = df
            .clone()
            .lazy()
            .filter(
                t.clone()
                    .gt_eq(lit(center.saturating_sub(half_window)))
                    .and(t.lt_eq(lit(center.saturating_add(half_window)))),
            )
            .collect()?;
        let lf = in_window.lazy().filter(normalised_in(
            col(column),
            normalise,
            Arc::new(HashSet::from([wanted.clone()])),
        ));
        out.extend(collect_events(lf, table, &ds.file_names, true)?);
    }
    out.sort_by(|a, b| a.time.cmp(&b.time).then_with(|| a.source.cmp(&b.source)));
    if let (Entity::Ip(ip), Some(ti)) = (entity, ds.tables.get(&TableKind::ThreatIntel)) {
        let regex = Regex::new(NETWORK_IP_REGEX).expect("the rule's regex compiles");
        let lf = ti
            .clone()
            .lazy()
            .filter(extract(col("Pattern"), regex, 1).eq(lit(ip.as_str())));
        out.extend(collect_events(
            lf,
            TableKind::ThreatIntel,
            &ds.file_names,
            false,
        )?);
    }
    Ok(collapse(out))
}

/// The live threat-intel indicators (those passing the rule's filters at `now`) by address,
/// each as `Id Tags=… Pattern ValidUntil=…`: the "which indicators matched" of a sign-in finding.
pub fn indicators_by_ip(
    ds: &Dataset,
    now: Nanos,
) -> PolarsResult<std::collections::HashMap<String, Vec<String>>> {
    let mut out: std::collections::HashMap<String, Vec<String>> = std::collections::HashMap::new();
    let Some(ti) = ds.tables.get(&TableKind::ThreatIntel) else {
        return Ok(out);
    };
    let df = crate::detect::anonymized_signin::live_indicators(ti.clone().lazy(), now)
        .select([
            col("NetworkIP"),
            col("Id"),
            col("Tags"),
            col("Pattern"),
            col("ValidUntil").cast(DataType::Int64),
        ])
        .collect()?;
    let ip = df.column("NetworkIP")?.str()?.clone();
    let id = df.column("Id")?.str()?.clone();
    let tags = df.column("Tags")?.str()?.clone();
    let pattern = df.column("Pattern")?.str()?.clone();
    let until = df.column("ValidUntil")?.i64()?.clone();
    // Per address, each indicator line once with how many rows said it (the same indicator
    // exported at every update), in first-seen order.
    let mut counted: std::collections::HashMap<String, Vec<(String, usize)>> =
        std::collections::HashMap::new();
    for i in 0..df.height() {
        let until = until
            .get(i)
            .map_or("(none)".to_string(), crate::data::values::format_datetime);
        let line = format!(
            "{} Tags={} {} ValidUntil={until}",
            id.get(i).unwrap_or(""),
            tags.get(i).unwrap_or(""),
            pattern.get(i).unwrap_or("")
        );
        let lines = counted
            .entry(ip.get(i).unwrap_or("").to_string())
            .or_default();
        match lines.iter_mut().find(|(l, _)| *l == line) {
            Some((_, n)) => *n += 1,
            None => lines.push((line, 1)),
        }
    }
    for (address, lines) in counted {
        let lines = lines
            .into_iter()
            .map(|(line, n)| if n > 1 { format!("×{n} {line}") } else { line })
            .collect();
        out.insert(address, lines);
    }
    Ok(out)
}
