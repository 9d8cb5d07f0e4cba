//! Frequency tables over findings: for each value of an entity, how many findings, how many
//! distinct counterparts (IPs per user, users per IP, ...), first and last seen.

use super::index::{RowIndex, NO_VALUE};
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

/// The pivot of the given rows by `key`, most findings first (ties by value). Counts value ids
/// from the index; distinct counterparts are the distinct (value, counterpart) id pairs.
pub fn pivot(
    rows: &[FindingRow],
    index: &RowIndex,
    visible: &[usize],
    key: PivotKey,
) -> Vec<PivotEntry> {
    let (ids, values) = index.ids(key);
    let (others, _) = index.ids(key.counterpart());
    let mut count = vec![0usize; values.len()];
    let mut first = vec![Nanos::MAX; values.len()];
    let mut last = vec![Nanos::MIN; values.len()];
    let mut pairs: Vec<u64> = Vec::with_capacity(visible.len());
    for &i in visible {
        let id = ids[i];
        if id == NO_VALUE {
            continue;
        }
        let g = id as usize;
        count[g] += 1;
        first[g] = first[g].min(rows[i].time);
        last[g] = last[g].max(rows[i].time);
        if others[i] != NO_VALUE {
            pairs.push(u64::from(id) << 32 | u64::from(others[i]));
        }
    }
    pairs.sort_unstable();
    pairs.dedup();
    let mut distinct = vec![0usize; values.len()];
    for p in pairs {
        distinct[(p >> 32) as usize] += 1;
    }
    let mut out: Vec<PivotEntry> = (0..values.len())
        .filter(|&g| count[g] > 0)
        .map(|g| PivotEntry {
            value: values[g].clone(),
            count: count[g],
            distinct: distinct[g],
            first: first[g],
            last: last[g],
        })
        .collect();
    out.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.value.cmp(&b.value)));
    out
}
