//! Findings as records: each carries `DetectionType`, its type's projected columns (named and
//! ordered as in the KQL), then the extra columns.

use polars::prelude::*;
use serde_json::{Map, Value};

use crate::data::values::format_datetime;
use crate::detect::findings::{contract_columns, EXTRA_COLUMNS};
use crate::detect::DetectionType;

/// One finding's values, in export order.
#[derive(Debug, Clone, PartialEq)]
pub struct FindingRecord {
    pub fields: Vec<(&'static str, Value)>,
}

impl FindingRecord {
    pub fn to_json(&self) -> Value {
        let mut map = Map::new();
        for (k, v) in &self.fields {
            map.insert((*k).to_string(), v.clone());
        }
        Value::Object(map)
    }
}

/// A column's values as JSON: datetimes as RFC 3339 `Z` strings, lists as arrays.
pub fn column_json(column: &Column) -> PolarsResult<Vec<Value>> {
    let n = column.len();
    Ok(match column.dtype() {
        DataType::Datetime(_, _) => column
            .cast(&DataType::Int64)?
            .i64()?
            .iter()
            .map(|v| v.map_or(Value::Null, |t| Value::String(format_datetime(t))))
            .collect(),
        DataType::Int64 => column
            .i64()?
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect(),
        DataType::String => column
            .str()?
            .iter()
            .map(|v| v.map_or(Value::Null, Value::from))
            .collect(),
        DataType::List(_) => {
            let ca = column.list()?;
            (0..n)
                .map(|i| match ca.get_as_series(i) {
                    Some(s) => match s.str() {
                        Ok(strs) => Value::Array(strs.iter().flatten().map(Value::from).collect()),
                        Err(_) => Value::Null,
                    },
                    None => Value::Null,
                })
                .collect()
        }
        other => {
            let text = column.cast(&DataType::String)?;
            let _ = other;
            text.str()?
                .iter()
                .map(|v| v.map_or(Value::Null, Value::from))
                .collect()
        }
    })
}

/// Every export column's name, in export order, with its values as JSON.
pub fn export_columns(findings: &DataFrame) -> PolarsResult<(Vec<&'static str>, Vec<Vec<Value>>)> {
    let suppressed = findings.column(crate::tuning::SUPPRESSED_BY).is_ok();
    let names: Vec<&'static str> = contract_columns()
        .into_iter()
        .map(|(n, _)| n)
        .chain(EXTRA_COLUMNS.iter().copied())
        .chain(suppressed.then_some(crate::tuning::SUPPRESSED_BY))
        .collect();
    let values = names
        .iter()
        .map(|n| findings.column(n).and_then(column_json))
        .collect::<PolarsResult<_>>()?;
    Ok((names, values))
}

/// Every finding as a record with only its type's columns and the extras.
pub fn json_records(findings: &DataFrame) -> PolarsResult<Vec<FindingRecord>> {
    let (names, values) = export_columns(findings)?;
    let index = |name: &str| names.iter().position(|n| *n == name);
    let kind_col = index("DetectionType").unwrap_or(0);
    let mut out = Vec::with_capacity(findings.height());
    for (row, kind_value) in values[kind_col].iter().enumerate() {
        // A beyond-the-rule type (`AnonymizedSignIn+`) has its base type's columns.
        let kind = kind_value
            .as_str()
            .and_then(|k| DetectionType::from_name(k.trim_end_matches('+')));
        let mut fields = vec![("DetectionType", kind_value.clone())];
        if let Some(kind) = kind {
            for c in kind.projected() {
                if let Some(i) = index(c) {
                    fields.push((names[i], values[i][row].clone()));
                }
            }
        }
        for c in EXTRA_COLUMNS.iter().chain([&crate::tuning::SUPPRESSED_BY]) {
            if let Some(i) = index(c) {
                fields.push((names[i], values[i][row].clone()));
            }
        }
        out.push(FindingRecord { fields });
    }
    Ok(out)
}

/// Every row of any frame as a JSON object of all its columns, in the frame's order.
pub fn table_records(frame: &DataFrame) -> PolarsResult<Vec<Value>> {
    let names: Vec<String> = frame
        .get_column_names()
        .into_iter()
        .map(|n| n.to_string())
        .collect();
    let columns = frame
        .columns()
        .iter()
        .map(column_json)
        .collect::<PolarsResult<Vec<_>>>()?;
    Ok((0..frame.height())
        .map(|row| {
            let mut map = Map::new();
            for (name, values) in names.iter().zip(&columns) {
                map.insert(name.clone(), values[row].clone());
            }
            Value::Object(map)
        })
        .collect())
}
