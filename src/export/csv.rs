//! CSV findings: one header with every contract and extra column, arrays as JSON text, and
//! formula-looking cells neutralised so that opening the file in a spreadsheet runs nothing.

use std::io::{self, Write};

use polars::prelude::*;
use serde_json::Value;

use super::records::{export_columns, JsonColumn};
use super::{CsvSafety, Sink};
use crate::text::escape_unsafe;

/// Characters that make a spreadsheet read a cell as a formula (OWASP "CSV injection").
const FORMULA_STARTS: &[char] = &['=', '+', '-', '@', '\t', '\r'];

pub fn neutralise(cell: &str) -> String {
    if cell.starts_with(FORMULA_STARTS) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

pub(super) fn quote(cell: &str) -> String {
    if cell.contains([',', '"', '\n', '\r']) || cell.starts_with(' ') || cell.ends_with(' ') {
        format!("\"{}\"", cell.replace('"', "\"\""))
    } else {
        cell.to_string()
    }
}

fn cell_text(v: &Value) -> String {
    match v {
        Value::Null => String::new(),
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Writes the findings as CSV. For a terminal, control and bidi characters in cells are
/// escaped (`\x1b`, `\u{202e}`) after neutralising, so a cell can neither drive the terminal
/// nor span lines; for a file, cells are exact.
pub fn write_csv(
    findings: &DataFrame,
    safety: CsvSafety,
    sink: Sink,
    out: &mut dyn Write,
) -> io::Result<()> {
    let (names, columns) = export_columns(findings).map_err(io::Error::other)?;
    write_columns(&names, &columns, findings.height(), safety, sink, out)
}

/// Writes columns of JSON values as CSV: a header of `names`, then `rows` lines.
pub fn write_columns(
    names: &[&str],
    columns: &[JsonColumn],
    rows: usize,
    safety: CsvSafety,
    sink: Sink,
    out: &mut dyn Write,
) -> io::Result<()> {
    writeln!(out, "{}", names.join(","))?;
    for row in 0..rows {
        let line: Vec<String> = columns
            .iter()
            .map(|c| {
                let value = c.value(row);
                let text = cell_text(&value);
                let text = match safety {
                    CsvSafety::Neutralise if matches!(value, Value::String(_)) => neutralise(&text),
                    _ => text,
                };
                match sink {
                    Sink::Terminal => quote(&escape_unsafe(&text)),
                    Sink::File => quote(&text),
                }
            })
            .collect();
        writeln!(out, "{}", line.join(","))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_neutralised() {
        assert_eq!(neutralise("=HYPERLINK(\"x\")"), "'=HYPERLINK(\"x\")");
        assert_eq!(neutralise("-D 1080"), "'-D 1080");
        assert_eq!(neutralise("@SUM(A1)"), "'@SUM(A1)");
        assert_eq!(neutralise("\tx"), "'\tx");
        assert_eq!(neutralise("ssh -D 1080"), "ssh -D 1080");
        assert_eq!(quote("a,b"), "\"a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
    }
}
