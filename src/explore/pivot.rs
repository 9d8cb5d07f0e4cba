//! Frequency tables over findings: for each value of an entity, how many findings, how many
//! distinct counterparts (IPs per user, users per IP, ...), first and last seen.

use std::collections::{HashMap, HashSet};

use super::rows::FindingRow;
use crate::kql::time::Nanos;

/// What a pivot groups findings by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PivotKey {
    User,
    Ip,
    Device,
    DetectionType,
    App,
    Location,
    Process,
    RemotePort,
}

impl PivotKey {
    pub const ALL: [PivotKey; 8] = [
        PivotKey::User,
        PivotKey::Ip,
        PivotKey::Device,
        PivotKey::DetectionType,
        PivotKey::App,
        PivotKey::Location,
        PivotKey::Process,
        PivotKey::RemotePort,
    ];

    pub fn label(self) -> &'static str {
        match self {
            PivotKey::User => "User",
            PivotKey::Ip => "IP",
            PivotKey::Device => "Device",
            PivotKey::DetectionType => "DetectionType",
            PivotKey::App => "App",
            PivotKey::Location => "Location",
            PivotKey::Process => "Process",
            PivotKey::RemotePort => "RemotePort",
        }
    }

    /// The entity whose distinct values are counted beside each value of this key.
    pub fn counterpart(self) -> PivotKey {
        match self {
            PivotKey::User => PivotKey::Ip,
            PivotKey::Ip | PivotKey::DetectionType | PivotKey::App | PivotKey::Location => {
                PivotKey::User
            }
            PivotKey::Device => PivotKey::User,
            PivotKey::Process | PivotKey::RemotePort => PivotKey::Device,
        }
    }

    pub fn next(self) -> PivotKey {
        let i = PivotKey::ALL.iter().position(|k| *k == self).unwrap_or(0);
        PivotKey::ALL[(i + 1) % PivotKey::ALL.len()]
    }

    /// The finding's value for this key; `""` when it has none (a sign-in has no device).
    pub fn value(self, row: &FindingRow) -> &str {
        match self {
            PivotKey::User => &row.user,
            PivotKey::Ip => &row.ip,
            PivotKey::Device => &row.device,
            PivotKey::DetectionType => row.kind.name(),
            PivotKey::App => row.get("AppDisplayName"),
            PivotKey::Location => row.get("Location"),
            PivotKey::Process => {
                let f = row.get("FileName");
                if f.is_empty() {
                    row.get("InitiatingProcessFileName")
                } else {
                    f
                }
            }
            PivotKey::RemotePort => row.get("RemotePort"),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PivotEntry {
    pub value: String,
    pub count: usize,
    /// Distinct values of [`PivotKey::counterpart`] among these findings.
    pub distinct: usize,
    pub first: Nanos,
    pub last: Nanos,
}

/// The pivot of the given rows by `key`, most findings first (ties by value).
pub fn pivot(rows: &[FindingRow], visible: &[usize], key: PivotKey) -> Vec<PivotEntry> {
    struct Acc<'a> {
        count: usize,
        others: HashSet<&'a str>,
        first: Nanos,
        last: Nanos,
    }
    let other = key.counterpart();
    let mut groups: HashMap<&str, Acc> = HashMap::new();
    for &i in visible {
        let row = &rows[i];
        let v = key.value(row);
        if v.is_empty() {
            continue;
        }
        let acc = groups.entry(v).or_insert(Acc {
            count: 0,
            others: HashSet::new(),
            first: row.time,
            last: row.time,
        });
        acc.count += 1;
        let o = other.value(row);
        if !o.is_empty() {
            acc.others.insert(o);
        }
        acc.first = acc.first.min(row.time);
        acc.last = acc.last.max(row.time);
    }
    let mut out: Vec<PivotEntry> = groups
        .into_iter()
        .map(|(v, a)| PivotEntry {
            value: v.to_string(),
            count: a.count,
            distinct: a.others.len(),
            first: a.first,
            last: a.last,
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}
