//! The log's actions, replayed into the snapshot's live files.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::*;
use crate::text::quote_value;

/// The log actions that decide the snapshot; all others (commitInfo, txn, cdc,
/// domainMetadata) are ignored.
#[derive(Debug, Default, Deserialize)]
pub(super) struct Action {
    pub(super) add: Option<AddAction>,
    pub(super) remove: Option<RemoveAction>,
    #[serde(rename = "metaData")]
    pub(super) meta_data: Option<MetaData>,
    pub(super) protocol: Option<Protocol>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct AddAction {
    pub(super) path: String,
    #[serde(rename = "partitionValues", default)]
    pub(super) partition_values: HashMap<String, Option<String>>,
    #[serde(rename = "deletionVector")]
    pub(super) deletion_vector: Option<DeletionVector>,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct RemoveAction {
    pub(super) path: String,
    #[serde(rename = "deletionVector")]
    pub(super) deletion_vector: Option<DeletionVector>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub(super) struct DeletionVector {
    #[serde(rename = "storageType")]
    pub(super) storage_type: String,
    #[serde(rename = "pathOrInlineDv")]
    pub(super) path_or_inline_dv: String,
    pub(super) offset: Option<i64>,
}

impl DeletionVector {
    /// The protocol's `uniqueId`, which with the path identifies a logical file.
    pub(super) fn unique_id(&self) -> String {
        match self.offset {
            Some(o) => format!("{}{}@{o}", self.storage_type, self.path_or_inline_dv),
            None => format!("{}{}", self.storage_type, self.path_or_inline_dv),
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct MetaData {
    #[serde(default)]
    pub(super) format: Format,
    #[serde(rename = "schemaString", default)]
    pub(super) schema_string: String,
    #[serde(rename = "partitionColumns", default)]
    pub(super) partition_columns: Vec<String>,
    #[serde(default)]
    pub(super) configuration: HashMap<String, Option<String>>,
}

#[derive(Debug, Clone, Default, Deserialize)]
pub(super) struct Format {
    #[serde(default)]
    pub(super) provider: String,
}

#[derive(Debug, Clone, Deserialize)]
pub(super) struct Protocol {
    #[serde(rename = "minReaderVersion")]
    pub(super) min_reader_version: i64,
    #[serde(rename = "readerFeatures")]
    pub(super) reader_features: Option<Vec<String>>,
}

/// A live logical file: its decoded path and deletion vector id.
#[derive(Debug, Clone)]
pub(super) struct Live {
    pub(super) add: AddAction,
    pub(super) dv_id: Option<String>,
}

#[derive(Debug, Default)]
pub(super) struct State {
    pub(super) protocol: Option<Protocol>,
    pub(super) meta_data: Option<MetaData>,
    /// Live files by the path as the log spells it (URI-encoded).
    pub(super) files: HashMap<String, Live>,
}

impl State {
    pub(super) fn add(&mut self, add: AddAction) {
        let dv_id = add.deletion_vector.as_ref().map(DeletionVector::unique_id);
        self.files.insert(add.path.clone(), Live { add, dv_id });
    }

    pub(super) fn remove(&mut self, remove: &RemoveAction) {
        let dv_id = remove
            .deletion_vector
            .as_ref()
            .map(DeletionVector::unique_id);
        if self
            .files
            .get(&remove.path)
            .is_some_and(|live| live.dv_id == dv_id)
        {
            self.files.remove(&remove.path);
        }
    }

    /// Actions inside one commit are unordered: its removes apply before its adds, so that a
    /// commit replacing a file's deletion vector (remove old, add new) keeps the new one.
    pub(super) fn apply_commit(&mut self, actions: Vec<Action>) {
        let mut adds = Vec::new();
        for action in actions {
            if let Some(p) = action.protocol {
                self.protocol = Some(p);
            }
            if let Some(m) = action.meta_data {
                self.meta_data = Some(m);
            }
            if let Some(r) = &action.remove {
                self.remove(r);
            }
            if let Some(a) = action.add {
                adds.push(a);
            }
        }
        for add in adds {
            self.add(add);
        }
    }

    pub(super) fn finish(self, table: &Path, version: i64) -> Result<DeltaSnapshot, DeltaError> {
        let corrupt = |reason: &str| DeltaError::Corrupt {
            table: table.to_path_buf(),
            reason: reason.to_string(),
        };
        let unsupported = |feature: String, why: &str| DeltaError::Unsupported {
            table: table.to_path_buf(),
            feature,
            why: why.to_string(),
        };
        let protocol = self
            .protocol
            .ok_or_else(|| corrupt("the log has no protocol action"))?;
        let meta = self
            .meta_data
            .ok_or_else(|| corrupt("the log has no metaData action"))?;
        if protocol.min_reader_version > MAX_READER_VERSION {
            return Err(unsupported(
                format!("Delta reader version {}", protocol.min_reader_version),
                "proxyhunt reads Delta reader versions 1 to 3; export the table to Parquet or CSV",
            ));
        }
        let features = protocol.reader_features.unwrap_or_default();
        let unknown: Vec<&str> = features
            .iter()
            .map(String::as_str)
            .filter(|f| !KNOWN_READER_FEATURES.contains(f))
            .collect();
        if !unknown.is_empty() {
            let names = unknown
                .iter()
                .map(|f| quote_value(f, 40))
                .collect::<Vec<_>>()
                .join(", ");
            return Err(unsupported(
                format!("the reader feature(s) {names}"),
                "reading the table correctly needs them; export the table to Parquet or CSV",
            ));
        }
        let mode = meta
            .configuration
            .get("delta.columnMapping.mode")
            .cloned()
            .flatten()
            .unwrap_or_default();
        if !mode.is_empty() && !mode.eq_ignore_ascii_case("none") {
            return Err(unsupported(
                format!(
                    "column mapping (delta.columnMapping.mode = {})",
                    quote_value(&mode, 20)
                ),
                "its data files name columns by physical names or ids (such as col-5f42…), not by \
                 the table's column names; export the table to Parquet or CSV (for example with \
                 Spark: spark.read.table(…).write.parquet(…))",
            ));
        }
        if !meta.format.provider.is_empty() && !meta.format.provider.eq_ignore_ascii_case("parquet")
        {
            return Err(unsupported(
                format!(
                    "data files in format {}",
                    quote_value(&meta.format.provider, 20)
                ),
                "Delta tables proxyhunt reads store Parquet data files",
            ));
        }

        let mut files = Vec::with_capacity(self.files.len());
        for live in self.files.into_values() {
            if live.add.deletion_vector.is_some() {
                return Err(unsupported(
                    "deletion vectors".to_string(),
                    &format!(
                        "rows deleted by DELETE, UPDATE or MERGE are only marked in a deletion \
                         vector, and {} still holds them; purge them first (Databricks / Fabric: \
                         REORG TABLE … APPLY (PURGE)) or export the table to Parquet or CSV",
                        quote_value(&live.add.path, 80)
                    ),
                ));
            }
            let path = resolve_path(table, &live.add.path)?;
            if !path.is_file() {
                return Err(corrupt(&format!(
                    "the live data file {} is missing (removed by VACUUM, or not copied)",
                    quote_value(&live.add.path, 120)
                )));
            }
            let mut partition_values = Vec::with_capacity(meta.partition_columns.len());
            for column in &meta.partition_columns {
                let Some(value) = live.add.partition_values.get(column) else {
                    return Err(corrupt(&format!(
                        "{} has no value for partition column {}",
                        quote_value(&live.add.path, 120),
                        quote_value(column, 60)
                    )));
                };
                // An empty string is the protocol's spelling of a null partition value.
                let value = value.clone().filter(|v| !v.is_empty());
                partition_values.push((column.clone(), value));
            }
            files.push(DeltaFile {
                path,
                partition_values,
            });
        }
        files.sort_by(|a, b| a.path.cmp(&b.path));
        Ok(DeltaSnapshot {
            version,
            files,
            partition_columns: meta.partition_columns,
            schema_string: meta.schema_string,
        })
    }
}

/// A log path is a URI: relative to the table folder, or absolute (`file:` only; files in
/// cloud storage are not on this machine).
pub(super) fn resolve_path(table: &Path, uri: &str) -> Result<PathBuf, DeltaError> {
    let corrupt = |reason: String| DeltaError::Corrupt {
        table: table.to_path_buf(),
        reason,
    };
    let scheme_end = uri.find(':').filter(|&i| {
        i > 1
            && uri[..i]
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'))
    });
    if let Some(end) = scheme_end {
        let scheme = &uri[..end];
        if !scheme.eq_ignore_ascii_case("file") {
            return Err(DeltaError::Unsupported {
                table: table.to_path_buf(),
                feature: format!("data files outside the table folder ({scheme}:…)"),
                why: format!(
                    "{} is not a local file (a shallow clone?); copy the files and export the \
                     table to Parquet or CSV",
                    quote_value(uri, 120)
                ),
            });
        }
        let rest = &uri[end + 1..];
        let rest = rest.strip_prefix("//").map_or(rest, |r| {
            // file://host/path: only an empty host or localhost is this machine.
            let slash = r.find('/').unwrap_or(r.len());
            let host = &r[..slash];
            if host.is_empty() || host.eq_ignore_ascii_case("localhost") {
                &r[slash..]
            } else {
                r
            }
        });
        let decoded = percent_decode(rest)
            .ok_or_else(|| corrupt(format!("bad %-escape in path {}", quote_value(uri, 120))))?;
        if !decoded.starts_with('/') {
            return Err(corrupt(format!(
                "unusable file URI {}",
                quote_value(uri, 120)
            )));
        }
        return Ok(PathBuf::from(decoded));
    }
    let decoded = percent_decode(uri)
        .ok_or_else(|| corrupt(format!("bad %-escape in path {}", quote_value(uri, 120))))?;
    let relative = Path::new(&decoded);
    let escapes = relative.components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    if escapes || decoded.is_empty() {
        return Err(corrupt(format!(
            "data file path {} leaves the table folder",
            quote_value(uri, 120)
        )));
    }
    Ok(table.join(relative))
}

/// Decodes `%XX` escapes; `None` for a malformed escape or bytes that are not UTF-8.
pub(super) fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes.get(i + 1..i + 3)?;
            let hex = std::str::from_utf8(hex).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

pub(super) fn read_commit(table: &Path, file: &Path) -> Result<Vec<Action>, DeltaError> {
    let io = |source| DeltaError::Io {
        table: table.to_path_buf(),
        path: file.to_path_buf(),
        source,
    };
    let reader = BufReader::new(File::open(file).map_err(io)?);
    let mut actions = Vec::new();
    for (i, line) in reader.lines().enumerate() {
        let line = line.map_err(io)?;
        if line.trim().is_empty() {
            continue;
        }
        let action: Action =
            serde_json::from_str(&line).map_err(|e| DeltaError::CorruptCommit {
                table: table.to_path_buf(),
                file: file.to_path_buf(),
                line: i + 1,
                reason: format!("not a Delta action: {e}"),
            })?;
        actions.push(action);
    }
    Ok(actions)
}
