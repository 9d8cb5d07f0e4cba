//! Text shared by `check` and `hunt`: problems, tables and what can run. Every name or value
//! that came from a file goes through [`escape_unsafe`].

use std::io::{self, Write};

use crate::data::load::Dataset;
use crate::data::schema::TableKind;
use crate::data::values::format_datetime;
use crate::detect::run::cannot_run;
use crate::detect::DetectionType;
use crate::text::escape_unsafe;

/// Prints the issue log, one line each, escaped.
pub fn write_issues(ds: &Dataset, out: &mut dyn Write) -> io::Result<()> {
    for line in ds.issues.lines() {
        writeln!(out, "{}", escape_unsafe(&line))?;
    }
    Ok(())
}

/// Whether a missing table is missing because its files were broken (not merely absent).
pub fn table_unusable(ds: &Dataset, table: TableKind) -> bool {
    ds.unusable.iter().any(|u| u.table == table)
}

pub fn write_tables(ds: &Dataset, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Tables")?;
    for t in TableKind::ALL {
        let files = ds
            .files
            .iter()
            .filter(|f| f.table.is_some_and(|(k, _)| k == t))
            .count();
        if t == TableKind::LegacyThreatIntel {
            // Named only when a file held it, with what it is read for.
            if files == 0 {
                continue;
            }
            writeln!(
                out,
                "  {:<33} {} row(s) from {files} file(s): {}",
                t.name(),
                ds.rows(t),
                crate::data::table::recognise::LEGACY_NOTE
            )?;
            continue;
        }
        match ds.tables.get(&t) {
            Some(df) => writeln!(
                out,
                "  {:<33} {:>9} rows from {files} file(s)",
                t.name(),
                df.height()
            )?,
            None if table_unusable(ds, t) => writeln!(out, "  {:<33} unusable", t.name())?,
            None => writeln!(out, "  {:<33} not loaded", t.name())?,
        }
    }
    Ok(())
}

pub fn write_detections(ds: &Dataset, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "Detections")?;
    for kind in DetectionType::ALL {
        let id = kind.detection().id();
        match cannot_run(ds, kind) {
            None => writeln!(out, "  {:<18} {:<19} can run", kind.name(), id)?,
            Some(why) => writeln!(
                out,
                "  {:<18} {:<19} cannot run: {}",
                kind.name(),
                id,
                escape_unsafe(&why)
            )?,
        }
    }
    Ok(())
}

pub fn time_range(range: Option<(i64, i64)>) -> String {
    match range {
        Some((lo, hi)) => format!("{} .. {}", format_datetime(lo), format_datetime(hi)),
        None => "none".into(),
    }
}

/// Prints what a tuning file said about its filters, one line each, escaped.
pub fn write_tuning_issues(
    issues: &[crate::tuning::TuningIssue],
    out: &mut dyn Write,
) -> io::Result<()> {
    for issue in issues {
        writeln!(
            out,
            "proxyhunt: tuning: {}",
            escape_unsafe(&issue.to_string())
        )?;
    }
    Ok(())
}
