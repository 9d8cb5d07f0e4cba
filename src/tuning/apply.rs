//! Applying tuning to a findings frame: drop what active filters suppress, or keep it with a
//! `SuppressedBy` column, and count each filter's impact.

use polars::prelude::*;

use super::model::{FilterImpact, Tuning};
use crate::explore::finding_rows;

/// The column that names the filters suppressing a finding (with `--show-suppressed`).
pub const SUPPRESSED_BY: &str = "SuppressedBy";

pub struct Tuned {
    pub findings: DataFrame,
    pub impact: Vec<FilterImpact>,
    /// Findings suppressed by at least one filter.
    pub suppressed: usize,
}

pub fn apply_tuning(
    findings: DataFrame,
    tuning: &Tuning,
    show_suppressed: bool,
) -> PolarsResult<Tuned> {
    let rows = finding_rows(&findings)?;
    let (by, impact) = tuning.assess(&rows);
    let suppressed = by.iter().filter(|s| !s.is_empty()).count();
    let findings = if show_suppressed {
        let mut df = findings;
        let col: Vec<String> = by.iter().map(|s| s.join(",")).collect();
        df.with_column(Column::new(SUPPRESSED_BY.into(), col))?;
        df
    } else {
        let mask: BooleanChunked = by.iter().map(|s| Some(s.is_empty())).collect();
        findings.filter(&mask)?
    };
    Ok(Tuned {
        findings,
        impact,
        suppressed,
    })
}
