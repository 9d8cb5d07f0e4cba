//! False-positive tuning: the filter model, the built-in catalog, the TOML file, evaluation and
//! impact, and the KQL `where not(...)` clauses that carry a tuned rule back to Sentinel.

pub mod apply;
pub mod compile;
pub mod file;
pub mod kql;
pub mod kql_text;
pub mod matcher;
pub mod model;
pub mod proposal;
pub mod raw;
pub mod save;

pub use apply::{apply_tuning, Tuned, SUPPRESSED_BY};
pub use file::{load_tuning_file, parse_tuning, TuningError, TuningIssue};
pub use model::{Filter, FilterImpact, Tuning};

/// The built-in catalog, as TOML (what `proxyhunt catalog` prints).
pub const CATALOG: &str = include_str!("catalog.toml");

/// The built-in catalog's filters.
pub fn builtin_filters() -> Vec<Filter> {
    match parse_tuning("builtin catalog", CATALOG) {
        Ok((filters, issues)) => {
            debug_assert!(issues.is_empty(), "{issues:?}");
            filters
        }
        Err(e) => {
            debug_assert!(false, "{e}");
            Vec::new()
        }
    }
}

/// Today's date (UTC), against which `expires` is judged.
pub fn today() -> String {
    chrono::Utc::now().format("%Y-%m-%d").to_string()
}

/// Where tuning comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TuningSource {
    /// No filters: exactly Kusto's results (the default).
    None,
    /// The built-in catalog with its default switches.
    Builtin,
    File(std::path::PathBuf),
}

/// Loads tuning. A file that cannot be read, is not UTF-8 or is not TOML is an error; problems
/// that cost one filter come back as lines to report (the run goes on without those filters).
pub fn load_tuning(source: &TuningSource) -> Result<(Tuning, Vec<TuningIssue>), TuningError> {
    load_tuning_with(source, "it is off")
}

/// [`load_tuning`], saying of an expired filter what the caller does with it (`replay` still
/// applies it to the runs before its expiry).
pub fn load_tuning_with(
    source: &TuningSource,
    expired_note: &str,
) -> Result<(Tuning, Vec<TuningIssue>), TuningError> {
    let (filters, mut issues) = match source {
        TuningSource::None => (Vec::new(), Vec::new()),
        TuningSource::Builtin => (builtin_filters(), Vec::new()),
        TuningSource::File(path) => load_tuning_file(path)?,
    };
    let tuning = Tuning {
        filters,
        today: today(),
    };
    for f in &tuning.filters {
        if f.enabled && f.expired(&tuning.today) {
            issues.push(TuningIssue {
                file: f.origin.clone(),
                line: None,
                message: format!(
                    "filter {:?} expired on {}; {expired_note}",
                    f.id,
                    f.expires.as_deref().unwrap_or("")
                ),
            });
        }
    }
    Ok((tuning, issues))
}
