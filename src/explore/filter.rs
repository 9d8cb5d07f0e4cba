//! Narrowing the findings: stacked drill-downs (keep or exclude a pivot value) and a text find.

use super::pivot::PivotKey;
use super::rows::{FindingRow, FIELD_END};

/// One step of a drill-down: keep (or, with `exclude`, drop) findings whose `key` is `value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DrillDown {
    pub key: PivotKey,
    pub value: String,
    pub exclude: bool,
}

impl DrillDown {
    pub fn matches(&self, row: &FindingRow) -> bool {
        (self.key.value(row) == self.value) != self.exclude
    }

    /// `User=carol` or `User!=carol`, for breadcrumbs.
    pub fn label(&self) -> String {
        format!(
            "{}{}{}",
            self.key.label(),
            if self.exclude { "!=" } else { "=" },
            self.value
        )
    }
}

/// Whether any field of the row contains `needle` (lower-case), ignoring case.
pub fn row_contains(row: &FindingRow, needle_lower: &str) -> bool {
    if needle_lower.contains(FIELD_END) {
        // Cannot be typed; kept exact all the same.
        return row
            .fields
            .iter()
            .any(|(_, v)| v.to_lowercase().contains(needle_lower));
    }
    needle_lower.is_empty() || row.search.contains(needle_lower)
}

/// Indices of the rows that pass every drill-down and the find text, in row order.
pub fn visible_rows(rows: &[FindingRow], drills: &[DrillDown], find: &str) -> Vec<usize> {
    let needle = find.to_lowercase();
    rows.iter()
        .enumerate()
        .filter(|(_, r)| drills.iter().all(|d| d.matches(r)) && row_contains(r, &needle))
        .map(|(i, _)| i)
        .collect()
}
