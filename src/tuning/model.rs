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
        rows.iter()
            .map(|r| {
                self.filters
                    .iter()
                    .filter(|f| self.active(f) && f.matches(r))
                    .map(|f| f.id.clone())
                    .collect()
            })
            .collect()
    }
}

/// Per filter: how many findings it suppresses, and how many only it suppresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterImpact {
    pub id: String,
    pub active: bool,
    pub suppressed: usize,
    pub only_this: usize,
}

pub fn impact(tuning: &Tuning, suppressed_by: &[Vec<String>]) -> Vec<FilterImpact> {
    tuning
        .filters
        .iter()
        .map(|f| FilterImpact {
            id: f.id.clone(),
            active: tuning.active(f),
            suppressed: suppressed_by.iter().filter(|s| s.contains(&f.id)).count(),
            only_this: suppressed_by
                .iter()
                .filter(|s| s.len() == 1 && s[0] == f.id)
                .count(),
        })
        .collect()
}
