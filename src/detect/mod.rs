//! The detections: rule 000 (anonymized sign-ins) and query 004 (multi-hop proxy), as Polars
//! lazy plans that return exactly the rows Kusto would, plus the registry and findings schema.

pub mod anonymized_signin;
pub mod condition;
pub mod findings;
pub mod multihop_proxy;
pub mod prefilter;
pub mod registry;
pub mod run;

#[cfg(test)]
mod tests;

pub use registry::{DetectionId, DetectionType};
pub use run::{
    hunt, hunt_beyond, BeyondCounts, HuntOptions, HuntResult, Lookback, NotRun, NowSpec,
};
