//! `proxyhunt check`: what each file was recognised as and whether the detections can run.

use crate::data::schema::TableKind;
use std::io::{self, Write};

use crate::data::load::{Dataset, FileReport};
use crate::text::escape_unsafe;

use super::summary::{time_range, write_detections, write_issues, write_tables};

fn write_file(f: &FileReport, out: &mut dyn Write) -> io::Result<()> {
    writeln!(out, "{}", escape_unsafe(&f.name))?;
    match (&f.table, &f.not_recognised) {
        (Some((t, by)), _) => writeln!(
            out,
            "  table    {} ({}), {}",
            t.name(),
            by.describe(),
            f.format
        )?,
        (None, Some(why)) => {
            writeln!(out, "  table    none: {}", escape_unsafe(why))?;
            return Ok(());
        }
        (None, None) => writeln!(out, "  table    none")?,
    }
    if let Some(why) = &f.unusable {
        writeln!(out, "  UNUSABLE {}", escape_unsafe(why))?;
        return Ok(());
    }
    writeln!(
        out,
        "  rows     {} loaded, {} rejected",
        f.rows_loaded, f.rows_rejected
    )?;
    let time_col = f.table.map_or("", |(t, _)| t.time_column());
    writeln!(out, "  time     {} ({time_col})", time_range(f.time_range))?;
    if !f.missing_output.is_empty() {
        writeln!(
            out,
            "  missing  {} (findings show them empty)",
            f.missing_output.join(", ")
        )?;
    }
    for (col, n) in &f.unparseable {
        writeln!(out, "  bad      {col}: {n} value(s) unreadable")?;
    }
    for note in &f.notes {
        writeln!(out, "  note     {}", escape_unsafe(note))?;
    }
    Ok(())
}

/// Writes the report; returns whether some file was recognised and every file could be read.
pub fn write_check(ds: &Dataset, out: &mut dyn Write) -> io::Result<bool> {
    if ds.is_sample {
        writeln!(out, "(embedded sample data)")?;
    }
    for f in &ds.files {
        write_file(f, out)?;
    }
    writeln!(out)?;
    write_tables(ds, out)?;
    write_detections(ds, out)?;
    let problems = ds.issues.lines();
    if !problems.is_empty() {
        writeln!(out, "Problems ({} in all)", ds.issues.total())?;
        write_issues(ds, out)?;
    }
    // The legacy threat-intel table alone serves no detection (only `--beyond`).
    let recognised = ds.files.iter().any(|f| {
        f.table
            .is_some_and(|(t, _)| t != TableKind::LegacyThreatIntel)
    });
    if !recognised {
        writeln!(
            out,
            "Nothing recognised: no file is one of the tables the detections read ({} file(s) looked at)",
            ds.files.len()
        )?;
    }
    // Any error (an unreadable or unusable file, a rejected row) makes the check fail, and so
    // does finding no table at all; warnings (a value read as empty) do not.
    Ok(recognised && ds.issues.errors() == 0)
}
