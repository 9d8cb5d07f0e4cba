//! False-positive filters: named, documented, scoped to detection types, switchable, and made of
//! conditions that must all hold (AND). A finding is suppressed when any enabled filter matches.

use super::matcher::Matcher;
use crate::detect::DetectionType;
use crate::explore::FindingRow;

#[derive(Debug, Clone)]
pub struct Condition {
    /// Finding fields: contract columns (`DeviceName`, `ProcessCommandLine`, ...) or extras
    /// (`User`, `Device`, `IP`). The matcher must match one of them.
    pub fields: Vec<String>,
    pub matcher: Matcher,
    /// The condition holds when the matcher does not match.
    pub negate: bool,
}

impl Condition {
    pub fn holds(&self, row: &FindingRow) -> bool {
        self.fields.iter().any(|f| self.matcher.matches(row.get(f))) != self.negate
    }
}

#[derive(Debug, Clone)]
pub struct Filter {
    pub id: String,
    pub title: String,
    pub reason: String,
    pub detection_types: Vec<DetectionType>,
    pub enabled: bool,
    pub owner: Option<String>,
    pub created: Option<String>,
    /// `YYYY-MM-DD`; on and after that day the filter is off.
    pub expires: Option<String>,
    pub conditions: Vec<Condition>,
    /// Set when the filter's values are examples that each site must replace.
    pub needs_site_values: Option<String>,
    /// Where the filter is defined (file and line), for messages.
    pub origin: String,
}

impl Filter {
    /// Whether the filter has expired on `today` (`YYYY-MM-DD`).
    pub fn expired(&self, today: &str) -> bool {
        self.expires.as_deref().is_some_and(|e| e <= today)
    }

    /// Whether the filter, if on, suppresses this finding.
    pub fn matches(&self, row: &FindingRow) -> bool {
        self.detection_types.contains(&row.kind)
            && !self.conditions.is_empty()
            && self.conditions.iter().all(|c| c.holds(row))
    }
}

/// A set of filters and which of them are on.
#[derive(Debug, Clone, Default)]
pub struct Tuning {
    pub filters: Vec<Filter>,
    /// The day expiry is judged against (`YYYY-MM-DD`, UTC).
    pub today: String,
}

impl Tuning {
    pub fn active(&self, filter: &Filter) -> bool {
        filter.enabled && !filter.expired(&self.today)
    }

    /// For each row, the ids of the active filters that suppress it (empty: kept).
    pub fn evaluate(&self, rows: &[FindingRow]) -> Vec<Vec<String>> {
        self.assess(rows).0
    }

    /// [`Tuning::evaluate`] and each filter's [`FilterImpact`], every filter tested once per row.
    pub fn assess(&self, rows: &[FindingRow]) -> (Vec<Vec<String>>, Vec<FilterImpact>) {
        self.assess_matched(&self.match_rows(rows, 0), rows.len())
    }

    /// Which rows each filter from `from` on matches, whether it is on or not. Switching a
    /// filter does not change this, so the console computes it once per filter.
    pub fn match_rows(&self, rows: &[FindingRow], from: usize) -> Vec<Vec<bool>> {
        self.filters
            .iter()
            .skip(from)
            .map(|f| rows.iter().map(|r| f.matches(r)).collect())
            .collect()
    }

    /// [`Tuning::assess`] from each filter's matches (as [`Tuning::match_rows`] gives them).
    pub fn assess_matched(
        &self,
        matched: &[Vec<bool>],
        rows: usize,
    ) -> (Vec<Vec<String>>, Vec<FilterImpact>) {
        let mut impact: Vec<FilterImpact> = self
            .filters
            .iter()
            .map(|f| FilterImpact {
                id: f.id.clone(),
                active: self.active(f),
                matched: 0,
                suppressed: 0,
                only_this: 0,
            })
            .collect();
        let mut suppressed_by = Vec::with_capacity(rows);
        for r in 0..rows {
            let mut by = Vec::new();
            let mut last = 0;
            for (i, f) in self.filters.iter().enumerate() {
                if matched.get(i).is_some_and(|m| m[r]) {
                    impact[i].matched += 1;
                    if impact[i].active {
                        impact[i].suppressed += 1;
                        by.push(f.id.clone());
                        last = i;
                    }
                }
            }
            if by.len() == 1 {
                impact[last].only_this += 1;
            }
            suppressed_by.push(by);
        }
        (suppressed_by, impact)
    }
}

/// Per filter: how many findings it matches (on or not), how many it suppresses, and how many
/// only it suppresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterImpact {
    pub id: String,
    pub active: bool,
    pub matched: usize,
    pub suppressed: usize,
    pub only_this: usize,
}
