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
        return Err(ExportError::Encode(
            "go hunt's events are written as .csv, .ndjson or .json".into(),
        ));
    }
    let dest = Destination {
        path,
        force,
        links: Links::Refuse,
        inputs,
    };
    let rows: Vec<[String; 8]> = events
        .iter()
        .map(|e| {
            // The entities the event names, as go hunt compares them.
            let entity = |want: fn(&Entity) -> Option<&String>| {
                e.entities
                    .iter()
                    .find_map(want)
                    .cloned()
                    .unwrap_or_default()
            };
            [
                e.table.name().to_string(),
                e.time.map(format_datetime).unwrap_or_default(),
                entity(|x| match x {
                    Entity::User(v) => Some(v),
                    _ => None,
                }),
                entity(|x| match x {
                    Entity::Ip(v) => Some(v),
                    _ => None,
                }),
                entity(|x| match x {
                    Entity::Device(v) => Some(v),
                    _ => None,
                }),
                e.summary.clone(),
                e.source.clone(),
                e.repeats.to_string(),
            ]
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
                for row in &rows {
                    let cells: Vec<String> = row.iter().map(|c| quote(&neutralise(c))).collect();
                    writeln!(out, "{}", cells.join(",")).map_err(io)?;
                }
            }
            _ => {
                let records: Vec<serde_json::Value> = rows
                    .iter()
                    .map(|r| {
                        let mut record = serde_json::Map::new();
                        for (name, value) in COLUMNS.iter().zip(r).take(7) {
                            record.insert(name.to_string(), json!(value));
                        }
                        record.insert("Repeats".into(), json!(r[7].parse::<u64>().unwrap_or(1)));
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
