//! Sorting the visible findings by a column.

use std::cmp::Ordering;

use super::index::RowIndex;
use super::rows::FindingRow;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortColumn {
    Time,
    Type,
    User,
    Device,
    Ip,
    Summary,
}

impl SortColumn {
    pub const ALL: [SortColumn; 6] = [
        SortColumn::Time,
        SortColumn::Type,
        SortColumn::User,
        SortColumn::Device,
        SortColumn::Ip,
        SortColumn::Summary,
    ];

    pub fn label(self) -> &'static str {
        match self {
            SortColumn::Time => "Time",
            SortColumn::Type => "Type",
            SortColumn::User => "User",
            SortColumn::Device => "Device",
            SortColumn::Ip => "IP",
            SortColumn::Summary => "Summary",
        }
    }

    pub fn next(self) -> SortColumn {
        let i = SortColumn::ALL.iter().position(|c| *c == self).unwrap_or(0);
        SortColumn::ALL[(i + 1) % SortColumn::ALL.len()]
    }
}

impl SortColumn {
    /// The order of two rows by this column.
    pub fn compare(self, ra: &FindingRow, rb: &FindingRow) -> Ordering {
        match self {
            SortColumn::Time => ra.time.cmp(&rb.time),
            SortColumn::Type => ra.kind.name().cmp(rb.kind.name()),
            SortColumn::User => ra.user.cmp(&rb.user),
            SortColumn::Device => ra.device.cmp(&rb.device),
            SortColumn::Ip => ra.ip.cmp(&rb.ip),
            SortColumn::Summary => ra.summary.cmp(&rb.summary),
        }
    }
}

/// Sorts indices by the column (stable, so equal keys keep their newest-first order), comparing
/// the index's precomputed ranks.
pub fn sort_rows(index: &RowIndex, indices: &mut [usize], column: SortColumn, descending: bool) {
    let ranks = index.ranks(column);
    if descending {
        indices.sort_by_key(|&i| std::cmp::Reverse(ranks[i]));
    } else {
        indices.sort_by_key(|&i| ranks[i]);
    }
}
