//! Turning command-line text into typed options, with messages that say what was expected.

use std::path::PathBuf;

use thiserror::Error;

use crate::data::load::LoadOptions;
use crate::data::schema::TableKind;
use crate::data::values::locale::DateOrder;
use crate::data::values::parse_datetime;
use crate::detect::{DetectionId, HuntOptions, Lookback, NowSpec};
use crate::kql::time::parse_duration;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum OptionError {
    #[error(
        "--now: cannot read {0:?}; give an RFC 3339 time such as 2024-05-01T12:00:00Z, or `latest`"
    )]
    Now(String),
    #[error(
        "--lookback: cannot read {0:?}; give `all`, `rule`, or a duration such as 90m, 12h, 7d"
    )]
    Lookback(String),
    #[error("--detection: unknown {0:?}; known: anonymized-signin, multihop-proxy")]
    Detection(String),
    #[error("--table: cannot read {0:?}; give TABLE=PATH with TABLE one of AADNonInteractiveUserSignInLogs, SigninLogs, ThreatIntelIndicators, DeviceProcessEvents, DeviceNetworkEvents")]
    Table(String),
    #[error("--date-order: cannot read {0:?}; give dmy (day first), mdy (month first) or ymd")]
    DateOrder(String),
    #[error("--format: unknown {0:?}; give csv, json, ndjson or parquet")]
    Format(String),
}

pub fn parse_now(text: &str) -> Result<NowSpec, OptionError> {
    if text.eq_ignore_ascii_case("latest") {
        return Ok(NowSpec::Latest);
    }
    parse_datetime(text)
        .map(NowSpec::At)
        .ok_or_else(|| OptionError::Now(text.to_string()))
}

pub fn parse_lookback(text: &str) -> Result<Lookback, OptionError> {
    match text.to_ascii_lowercase().as_str() {
        "all" => Ok(Lookback::All),
        "rule" => Ok(Lookback::Rule),
        _ => parse_duration(text)
            .map(Lookback::Duration)
            .ok_or_else(|| OptionError::Lookback(text.to_string())),
    }
}

pub fn parse_detections(ids: &[String]) -> Result<Vec<DetectionId>, OptionError> {
    if ids.is_empty() {
        return Ok(DetectionId::ALL.to_vec());
    }
    let mut out = Vec::new();
    for id in ids {
        let d = DetectionId::from_id(id).ok_or_else(|| OptionError::Detection(id.clone()))?;
        if !out.contains(&d) {
            out.push(d);
        }
    }
    Ok(out)
}

/// `--table` specs and `--cache`, as the loader takes them.
pub fn load_options(
    specs: &[String],
    cache: &Option<PathBuf>,
    date_order: &Option<String>,
) -> Result<LoadOptions, OptionError> {
    let mut forced = Vec::new();
    for spec in specs {
        let (name, path) = spec
            .split_once('=')
            .ok_or_else(|| OptionError::Table(spec.clone()))?;
        let table =
            TableKind::from_name(name.trim()).ok_or_else(|| OptionError::Table(spec.clone()))?;
        forced.push((table, PathBuf::from(path)));
    }
    let date_order = date_order
        .as_deref()
        .map(|t| {
            t.parse::<DateOrder>()
                .map_err(|_| OptionError::DateOrder(t.to_string()))
        })
        .transpose()?;
    Ok(LoadOptions {
        forced,
        cache: cache.clone(),
        date_order,
        ..LoadOptions::default()
    })
}

pub fn hunt_options(
    now: &str,
    lookback: &str,
    detections: &[String],
) -> Result<HuntOptions, OptionError> {
    Ok(HuntOptions {
        now: parse_now(now)?,
        lookback: parse_lookback(lookback)?,
        detections: parse_detections(detections)?,
    })
}
