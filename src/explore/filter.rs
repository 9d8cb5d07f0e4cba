//! Narrowing the findings: stacked drill-downs (keep or exclude a pivot value) and a text find.

use super::find::Find;
use super::pivot::PivotKey;
use super::rows::FindingRow;

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

/// Indices of the rows that pass every drill-down and the find (see [`Find`]), in row order.
pub fn visible_rows(rows: &[FindingRow], drills: &[DrillDown], find: &str) -> Vec<usize> {
    let find = Find::parse(find);
    rows.iter()
        .enumerate()
        .filter(|(_, r)| drills.iter().all(|d| d.matches(r)) && find.matches(r))
        .map(|(i, _)| i)
        .collect()
}
