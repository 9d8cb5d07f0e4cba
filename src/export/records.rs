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
        let mut map = Map::new();
        for (k, v) in &self.fields {
            map.insert((*k).to_string(), v.clone());
        }
        Value::Object(map)
    }
}

/// Written as [`FindingRecord::to_json`] would be, without building it: a name given twice
/// keeps its first place and its last value, as a JSON map's insert does.
impl Serialize for FindingRecord {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let fields = &self.fields;
        let first = |i: usize| !fields[..i].iter().any(|(k, _)| *k == fields[i].0);
        let mut map =
            serializer.serialize_map(Some((0..fields.len()).filter(|&i| first(i)).count()))?;
        for (i, (name, _)) in fields.iter().enumerate() {
            if first(i) {
                let value = fields.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v);
                map.serialize_entry(name, &value)?;
            }
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
    /// Per detection type, the columns of its records after `DetectionType`.
    by_kind: Vec<(DetectionType, Vec<usize>)>,
    extras: Vec<usize>,
}

impl FindingColumns {
    pub fn new(findings: &DataFrame) -> PolarsResult<FindingColumns> {
        let (names, values) = export_columns(findings)?;
        let index = |name: &str| names.iter().position(|n| *n == name);
        let by_kind = DetectionType::ALL
            .iter()
            .map(|&k| (k, k.projected().iter().filter_map(|c| index(c)).collect()))
            .collect();
        let extras = EXTRA_COLUMNS
            .iter()
            .chain([&crate::tuning::SUPPRESSED_BY])
            .filter_map(|c| index(c))
            .collect();
        Ok(FindingColumns {
            kind: index("DetectionType"),
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

    /// The record of row `row`: `DetectionType`, its type's projected columns, the extras.
    pub fn record(&self, row: usize) -> FindingRecord {
        let kind_value = self.values[self.kind.unwrap_or(0)].value(row);
        // A beyond-the-rule type (`AnonymizedSignIn+`) has its base type's columns.
        let kind = kind_value
            .as_str()
            .and_then(|k| DetectionType::from_name(k.trim_end_matches('+')));
        let mut fields = vec![("DetectionType", kind_value)];
        let projected = self
            .by_kind
            .iter()
            .find(|(k, _)| Some(*k) == kind)
            .map_or(&[][..], |(_, c)| c.as_slice());
        for &i in projected.iter().chain(&self.extras) {
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

/// A column's values as JSON (see [`JsonColumn`]).
pub fn column_json(column: &Column) -> PolarsResult<Vec<Value>> {
    let cells = JsonColumn::new(column)?;
    Ok((0..cells.len()).map(|row| cells.value(row)).collect())
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
    let columns = FindingColumns::new(findings)?;
    Ok((0..columns.len()).map(|row| columns.record(row)).collect())
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
