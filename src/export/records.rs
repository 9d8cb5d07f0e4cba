//! Findings as records: each carries `DetectionType`, its type's projected columns (named and
//! ordered as in the KQL), then the extra columns.

use polars::prelude::*;
use serde::ser::{Serialize, SerializeMap, Serializer};
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
        serde_json::to_value(self).expect("a record's keys are strings")
    }
}

/// The record as a JSON object of its fields, in order (their names are unique: see
/// [`FindingColumns`]).
impl Serialize for FindingRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.fields.len()))?;
        for (name, value) in &self.fields {
            map.serialize_entry(name, value)?;
        }
        map.end()
    }
}

/// Findings' export columns as JSON values, from which records are made one at a time (a
/// run's whole output as records at once held several copies of it: 150 MB for 36k findings).
pub struct FindingColumns {
    names: Vec<&'static str>,
    values: Vec<JsonColumn>,
    kind: Option<usize>,
    /// Per detection type, the columns of its records after `DetectionType`: its projected
    /// columns, then the extras, each once.
    by_kind: Vec<(DetectionType, Vec<usize>)>,
    /// The columns after `DetectionType` of a record of no known type: the extras.
    extras: Vec<usize>,
}

impl FindingColumns {
    pub fn new(findings: &DataFrame) -> PolarsResult<FindingColumns> {
        let (names, values) = export_columns(findings)?;
        let index = |name: &str| names.iter().position(|n| *n == name);
        let kind = index("DetectionType");
        let after_kind = |projected: &[&str]| -> Vec<usize> {
            let mut out: Vec<usize> = Vec::new();
            let extras = EXTRA_COLUMNS.iter().chain([&crate::tuning::SUPPRESSED_BY]);
            for i in projected.iter().chain(extras).filter_map(|c| index(c)) {
                if Some(i) != kind && !out.contains(&i) {
                    out.push(i);
                }
            }
            out
        };
        let by_kind = DetectionType::ALL
            .iter()
            .map(|&k| (k, after_kind(k.projected())))
            .collect();
        let extras = after_kind(&[]);
        Ok(FindingColumns {
            kind,
            names,
            values,
            by_kind,
            extras,
        })
    }

    pub fn len(&self) -> usize {
        self.values.first().map_or(0, JsonColumn::len)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every row's record, in order.
    pub fn records(&self) -> impl Iterator<Item = FindingRecord> + '_ {
        (0..self.len()).map(|row| self.record(row))
    }

    /// The record of row `row`: `DetectionType`, its type's projected columns, the extras.
    pub fn record(&self, row: usize) -> FindingRecord {
        let kind_value = self.values[self.kind.unwrap_or(0)].value(row);
        // A beyond-the-rule type (`AnonymizedSignIn+`) has its base type's columns.
        let kind = kind_value
            .as_str()
            .and_then(|k| DetectionType::from_name(k.trim_end_matches('+')));
        let mut fields = vec![("DetectionType", kind_value)];
        let columns = self
            .by_kind
            .iter()
            .find(|(k, _)| Some(*k) == kind)
            .map_or(&self.extras, |(_, c)| c);
        for &i in columns {
            fields.push((self.names[i], self.values[i].value(row)));
        }
        FindingRecord { fields }
    }
}

/// A column whose cells are taken as JSON one at a time: datetimes as RFC 3339 `Z` strings,
/// lists as arrays, other types as their text.
pub enum JsonColumn {
    Datetime(Int64Chunked),
    Int(Int64Chunked),
    Text(StringChunked),
    List(ListChunked),
}

impl JsonColumn {
    /// The column in one chunk, so that each cell is found at once (a findings frame is
    /// stacked from many pieces).
    pub fn new(column: &Column) -> PolarsResult<JsonColumn> {
        Ok(match column.dtype() {
            DataType::Datetime(_, _) => {
                JsonColumn::Datetime(column.cast(&DataType::Int64)?.i64()?.rechunk().into_owned())
            }
            DataType::Int64 => JsonColumn::Int(column.i64()?.rechunk().into_owned()),
            DataType::String => JsonColumn::Text(column.str()?.rechunk().into_owned()),
            DataType::List(_) => JsonColumn::List(column.list()?.rechunk().into_owned()),
            _ => JsonColumn::Text(
                column
                    .cast(&DataType::String)?
                    .str()?
                    .rechunk()
                    .into_owned(),
            ),
        })
    }

    pub(crate) fn len(&self) -> usize {
        match self {
            JsonColumn::Datetime(c) | JsonColumn::Int(c) => c.len(),
            JsonColumn::Text(c) => c.len(),
            JsonColumn::List(c) => c.len(),
        }
    }

    /// Row `row`'s cell; `row` must be below [`JsonColumn::len`].
    pub fn value(&self, row: usize) -> Value {
        match self {
            JsonColumn::Datetime(c) => c
                .get(row)
                .map_or(Value::Null, |t| Value::String(format_datetime(t))),
            JsonColumn::Int(c) => c.get(row).map_or(Value::Null, Value::from),
            JsonColumn::Text(c) => c.get(row).map_or(Value::Null, Value::from),
            JsonColumn::List(c) => match c.get_as_series(row) {
                Some(s) => match s.str() {
                    Ok(strs) => Value::Array(strs.iter().flatten().map(Value::from).collect()),
                    Err(_) => Value::Null,
                },
                None => Value::Null,
            },
        }
    }
}

/// Every export column's name, in export order, with its cells.
pub fn export_columns(findings: &DataFrame) -> PolarsResult<(Vec<&'static str>, Vec<JsonColumn>)> {
    let suppressed = findings.column(crate::tuning::SUPPRESSED_BY).is_ok();
    let names: Vec<&'static str> = contract_columns()
        .into_iter()
        .map(|(n, _)| n)
        .chain(EXTRA_COLUMNS.iter().copied())
        .chain(suppressed.then_some(crate::tuning::SUPPRESSED_BY))
        .collect();
    let values = names
        .iter()
        .map(|n| findings.column(n).and_then(JsonColumn::new))
        .collect::<PolarsResult<_>>()?;
    Ok((names, values))
}

/// Every finding as a record with only its type's columns and the extras.
pub fn json_records(findings: &DataFrame) -> PolarsResult<Vec<FindingRecord>> {
    Ok(FindingColumns::new(findings)?.records().collect())
}

/// Every column of any frame, named, in the frame's order, with its cells.
pub fn table_columns(frame: &DataFrame) -> PolarsResult<(Vec<&str>, Vec<JsonColumn>)> {
    let names = frame
        .get_column_names()
        .into_iter()
        .map(|n| n.as_str())
        .collect();
    let columns = frame
        .columns()
        .iter()
        .map(JsonColumn::new)
        .collect::<PolarsResult<_>>()?;
    Ok((names, columns))
}

/// Every row of any frame as a JSON object of all its columns, in the frame's order.
pub fn table_records(frame: &DataFrame) -> PolarsResult<Vec<Value>> {
    let (names, columns) = table_columns(frame)?;
    Ok((0..frame.height())
        .map(|row| {
            let map: Map<String, Value> = names
                .iter()
                .zip(&columns)
                .map(|(name, cells)| (name.to_string(), cells.value(row)))
                .collect();
            Value::Object(map)
        })
        .collect())
}
