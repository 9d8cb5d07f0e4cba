//! Reading a checkpoint's actions with Polars.

use std::collections::HashMap;
use std::fs::File;
use std::path::Path;

use polars::prelude::{ArrowDataType, DataFrame, ParquetReader, SerReader, Series};

use super::actions::*;
use super::*;
use crate::text::escape_unsafe;

/// The checkpoint columns read; `sidecar` and `checkpointMetadata` only mark a V2 checkpoint.
pub(super) const CHECKPOINT_COLUMNS: &[&str] = &[
    "add",
    "metaData",
    "protocol",
    "sidecar",
    "checkpointMetadata",
];

pub(super) fn read_checkpoint(
    table: &Path,
    file: &Path,
    state: &mut State,
) -> Result<(), DeltaError> {
    let fail = |reason: String| DeltaError::Checkpoint {
        table: table.to_path_buf(),
        file: file.to_path_buf(),
        reason,
    };
    let handle = File::open(file).map_err(|source| DeltaError::Io {
        table: table.to_path_buf(),
        path: file.to_path_buf(),
        source,
    })?;
    let mut reader = ParquetReader::new(handle);
    let schema = reader
        .schema()
        .map_err(|e| fail(format!("not a readable Parquet file: {e}")))?;
    let mut columns = Vec::new();
    for &name in CHECKPOINT_COLUMNS {
        if let Some(field) = schema.get(name) {
            check_readable(name, &field.dtype).map_err(&fail)?;
            columns.push(name.to_string());
        }
    }
    if columns.is_empty() {
        return Err(fail(
            "it has none of the add, metaData and protocol columns".into(),
        ));
    }
    let df = reader
        .with_columns(Some(columns))
        .finish()
        .map_err(|e| fail(format!("cannot read it: {e}")))?;
    let v2 = ["sidecar", "checkpointMetadata"]
        .iter()
        .filter_map(|c| df.column(c).ok())
        .any(|c| c.null_count() < c.len());
    if v2 {
        return Err(DeltaError::Unsupported {
            table: table.to_path_buf(),
            feature: "a V2 checkpoint (sidecar files)".to_string(),
            why: "export the table to Parquet or CSV".to_string(),
        });
    }
    checkpoint_actions(&df, state).map_err(fail)
}

/// Refuses a checkpoint column whose type the Polars build here cannot convert (it would
/// panic): Delta writers only produce the types listed, nested in structs, lists and maps.
pub(super) fn check_readable(path: &str, dtype: &ArrowDataType) -> Result<(), String> {
    use ArrowDataType as A;
    match dtype {
        A::Null
        | A::Boolean
        | A::Int8
        | A::Int16
        | A::Int32
        | A::Int64
        | A::UInt8
        | A::UInt16
        | A::UInt32
        | A::UInt64
        | A::Float32
        | A::Float64
        | A::Date32
        | A::Binary
        | A::LargeBinary
        | A::BinaryView
        | A::FixedSizeBinary(_)
        | A::Utf8
        | A::LargeUtf8
        | A::Utf8View => Ok(()),
        // Without Polars' `timezones` feature a zone name is kept as is, never parsed.
        A::Timestamp(_, _) => Ok(()),
        A::Decimal(p, _) | A::Decimal32(p, _) | A::Decimal64(p, _) if *p <= 38 => Ok(()),
        A::List(f) | A::LargeList(f) | A::Map(f, _) => {
            check_readable(&format!("{path}.{}", f.name), &f.dtype)
        }
        A::Struct(fields) => fields
            .iter()
            .try_for_each(|f| check_readable(&format!("{path}.{}", f.name), &f.dtype)),
        other => Err(format!(
            "column {} has the Parquet type {other:?}, which proxyhunt cannot read",
            escape_unsafe(path)
        )),
    }
}

/// Fields of one struct column, by name; absent fields read as null.
pub(super) struct StructColumn {
    pub(super) fields: HashMap<String, Series>,
}

impl StructColumn {
    pub(super) fn of(df: &DataFrame, name: &str) -> Result<Option<StructColumn>, String> {
        let Ok(column) = df.column(name) else {
            return Ok(None);
        };
        let series = column.as_materialized_series();
        let st = series
            .struct_()
            .map_err(|_| format!("column {name} is not a struct"))?;
        let fields = st
            .fields_as_series()
            .into_iter()
            .map(|s| (s.name().to_string(), s))
            .collect();
        Ok(Some(StructColumn { fields }))
    }

    pub(super) fn field(&self, name: &str) -> Option<&Series> {
        self.fields.get(name)
    }

    pub(super) fn string(&self, name: &str, row: usize) -> Result<Option<String>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let ca = s.str().map_err(|_| format!("{name} is not text"))?;
        Ok(ca.get(row).map(str::to_string))
    }

    pub(super) fn int(&self, name: &str, row: usize) -> Result<Option<i64>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let s = s
            .cast(&polars::prelude::DataType::Int64)
            .map_err(|_| format!("{name} is not an integer"))?;
        let ca = s.i64().map_err(|_| format!("{name} is not an integer"))?;
        Ok(ca.get(row))
    }

    pub(super) fn is_null(&self, name: &str, row: usize) -> bool {
        self.field(name)
            .is_none_or(|s| s.is_null().get(row).unwrap_or(true))
    }

    /// A `map<string,string>` (read by Polars as a list of key/value structs).
    pub(super) fn map(
        &self,
        name: &str,
        row: usize,
    ) -> Result<Option<HashMap<String, Option<String>>>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let list = s.list().map_err(|_| format!("{name} is not a map"))?;
        let Some(entries) = list.get_as_series(row) else {
            return Ok(None);
        };
        let st = entries
            .struct_()
            .map_err(|_| format!("{name} is not a map of key/value pairs"))?;
        let kv = st.fields_as_series();
        let (Some(keys), Some(values)) = (kv.first(), kv.get(1)) else {
            return Err(format!("{name} is not a map of key/value pairs"));
        };
        let keys = keys
            .str()
            .map_err(|_| format!("{name} keys are not text"))?;
        let values = values
            .str()
            .map_err(|_| format!("{name} values are not text"))?;
        let mut map = HashMap::new();
        for (k, v) in keys.iter().zip(values.iter()) {
            if let Some(k) = k {
                map.insert(k.to_string(), v.map(str::to_string));
            }
        }
        Ok(Some(map))
    }

    pub(super) fn strings(&self, name: &str, row: usize) -> Result<Option<Vec<String>>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let list = s.list().map_err(|_| format!("{name} is not a list"))?;
        let Some(items) = list.get_as_series(row) else {
            return Ok(None);
        };
        let items = items
            .str()
            .map_err(|_| format!("{name} items are not text"))?;
        Ok(Some(items.iter().flatten().map(str::to_string).collect()))
    }

    pub(super) fn nested(&self, name: &str) -> Result<Option<StructColumn>, String> {
        let Some(s) = self.field(name) else {
            return Ok(None);
        };
        let st = s.struct_().map_err(|_| format!("{name} is not a struct"))?;
        let fields = st
            .fields_as_series()
            .into_iter()
            .map(|s| (s.name().to_string(), s))
            .collect();
        Ok(Some(StructColumn { fields }))
    }
}

/// The checkpoint's actions into `state`. Its `remove` rows are tombstones kept for VACUUM,
/// not part of the snapshot, and are not read.
pub(super) fn checkpoint_actions(df: &DataFrame, state: &mut State) -> Result<(), String> {
    let rows = df.height();
    if let Some(add) = StructColumn::of(df, "add")? {
        let dv = add.nested("deletionVector")?;
        for row in 0..rows {
            let Some(path) = add.string("path", row)? else {
                continue;
            };
            let partition_values = add.map("partitionValues", row)?.unwrap_or_default();
            let deletion_vector = match &dv {
                Some(dv) if !add.is_null("deletionVector", row) => Some(DeletionVector {
                    storage_type: dv.string("storageType", row)?.unwrap_or_default(),
                    path_or_inline_dv: dv.string("pathOrInlineDv", row)?.unwrap_or_default(),
                    offset: dv.int("offset", row)?,
                }),
                _ => None,
            };
            state.add(AddAction {
                path,
                partition_values,
                deletion_vector,
            });
        }
    }
    if let Some(meta) = StructColumn::of(df, "metaData")? {
        let format = meta.nested("format")?;
        for row in 0..rows {
            if meta.is_null("schemaString", row) && meta.is_null("partitionColumns", row) {
                continue;
            }
            let provider = match &format {
                Some(f) => f.string("provider", row)?.unwrap_or_default(),
                None => String::new(),
            };
            state.meta_data = Some(MetaData {
                format: Format { provider },
                schema_string: meta.string("schemaString", row)?.unwrap_or_default(),
                partition_columns: meta.strings("partitionColumns", row)?.unwrap_or_default(),
                configuration: meta.map("configuration", row)?.unwrap_or_default(),
            });
        }
    }
    if let Some(protocol) = StructColumn::of(df, "protocol")? {
        for row in 0..rows {
            let Some(min_reader_version) = protocol.int("minReaderVersion", row)? else {
                continue;
            };
            state.protocol = Some(Protocol {
                min_reader_version,
                reader_features: protocol.strings("readerFeatures", row)?,
            });
        }
    }
    Ok(())
}
