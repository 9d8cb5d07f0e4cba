//! Go hunt's events written to a file: the raw events around a finding, for a ticket or a
//! colleague, with the care findings get (CSV cells a spreadsheet would run are neutralised,
//! nothing overwritten without asking, never an input). CSV or JSON: the events are lines of
//! text, not typed columns.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::json;

use super::atomic::{write_with, Destination, Links};
use super::csv::{neutralise, quote};
use super::{json, ExportError, Format, OutputSpec};
use crate::data::values::format_datetime;
use crate::explore::{ContextEvent, Entity};

const COLUMNS: [&str; 8] = [
    "Table", "Time", "User", "IP", "Device", "Event", "Source", "Repeats",
];

/// Writes `events` to `path` in the format its name says (`.csv`, `.ndjson`/`.jsonl`,
/// `.json`, each optionally `.gz`; no extension is CSV); refuses Parquet and unknown names.
pub fn write_events(
    events: &[ContextEvent],
    path: &Path,
    force: bool,
    inputs: &[PathBuf],
) -> Result<(), ExportError> {
    let spec = OutputSpec::for_path(Some(path), None, Format::Csv)?;
    if spec.format == Format::Parquet {
        return Err(ExportError::NotFor {
            path: path.to_path_buf(),
            what: "go hunt's events are written as .csv, .ndjson or .json, not Parquet",
        });
    }
    let dest = Destination {
        path,
        force,
        links: Links::Refuse,
        inputs,
    };
    // Per event its text cells (every column but Repeats) and its repeats.
    let rows: Vec<([String; 7], usize)> = events
        .iter()
        .map(|e| {
            // The first user, address and device the event names, as go hunt compares them.
            let mut named: [String; 3] = Default::default();
            for entity in &e.entities {
                let (slot, value) = match entity {
                    Entity::User(v) => (0, v),
                    Entity::Ip(v) => (1, v),
                    Entity::Device(v) => (2, v),
                };
                if named[slot].is_empty() {
                    named[slot] = value.clone();
                }
            }
            let [user, ip, device] = named;
            let cells = [
                e.table.name().to_string(),
                e.time.map(format_datetime).unwrap_or_default(),
                user,
                ip,
                device,
                e.summary.clone(),
                e.source.clone(),
            ];
            (cells, e.repeats)
        })
        .collect();
    let io = |error| ExportError::Io {
        path: path.to_path_buf(),
        error,
    };
    write_with(&dest, spec.gzip, &mut |out: &mut dyn Write| {
        match spec.format {
            Format::Csv => {
                writeln!(out, "{}", COLUMNS.join(",")).map_err(io)?;
                for (cells, repeats) in &rows {
                    let cells: Vec<String> = cells.iter().map(|c| quote(&neutralise(c))).collect();
                    writeln!(out, "{},{repeats}", cells.join(",")).map_err(io)?;
                }
            }
            _ => {
                let records: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|(cells, repeats)| {
                        let mut record: serde_json::Map<String, serde_json::Value> = COLUMNS
                            .iter()
                            .zip(cells)
                            .map(|(name, value)| (name.to_string(), json!(value)))
                            .collect();
                        record.insert("Repeats".into(), json!(repeats));
                        serde_json::Value::Object(record)
                    })
                    .collect();
                if spec.format == Format::Json {
                    json::write_pretty(out, &serde_json::Value::Array(records)).map_err(io)?;
                    out.write_all(b"\n").map_err(io)?;
                } else {
                    for r in &records {
                        json::write_compact(out, r).map_err(io)?;
                        out.write_all(b"\n").map_err(io)?;
                    }
                }
            }
        }
        Ok(())
    })
}
