//! The envelopes of API responses, read as they are walked: Graph / Defender hunting
//! `{"schema", "results"}`, Event Hubs `{"records"}` and Log Analytics `{"tables": [{"columns",
//! "rows"}]}`.

use super::super::skim::{elements, members};
use super::*;

impl Document<'_> {
    pub(super) fn results(&mut self, format: &'static str) -> &mut Records {
        let hint = self.hint;
        self.results
            .get_or_insert_with(|| Records::new(hint, format, Addressing::Rows))
    }

    /// Declares the columns of a `schema` array (`[{"name": ...}, ...]`).
    pub(super) fn declare(&mut self, at: usize) {
        let b = self.b;
        let records = self.results("hunting-api");
        let _ = elements(b, at, |v, kind| {
            if kind == Kind::Nested && v.first() == Some(&b'{') {
                let _ = members(v, 0, |m| {
                    if is_key(m.key, "name") {
                        if let (Some(n), _) = skim::cell(m.value, m.kind) {
                            records.keys.declare(&clean_header(&n));
                        }
                    }
                });
            }
        });
    }

    /// `results` (with its `schema`) or an OData `value` array: object records by row number.
    pub(super) fn results_of(
        &mut self,
        at: usize,
        schema: Option<usize>,
        format: &'static str,
    ) -> Option<usize> {
        let b = self.b;
        if let Some(s) = schema {
            self.declare(s);
        }
        let before = self.results(format).spans.len() as u64;
        let (end, lost) = self.each(at, Items::Results, b'{', &mut |doc, j, line, n| {
            let row = before + n;
            if b.get(j) != Some(&b'{') {
                let (end, _) = value_end(b, j)?;
                doc.results(format).rejected += 1;
                let msg = "result is not an object; skipped".to_string();
                doc.say("bad-json", Location::Row(row), Severity::Error, msg);
                return Ok(end);
            }
            let _ = line;
            let records = doc.results(format);
            let (end, repeated) = records.keys.scan(b, j)?;
            records.spans.push(ObjectSpan {
                position: row,
                start: j,
            });
            let names = repeated
                .iter()
                .map(|&c| records.keys.headers[c].clone())
                .collect();
            doc.repeated(names, format!("result {row}"), Location::Row(row));
            Ok(end)
        });
        self.results(format).rejected += lost;
        end
    }

    /// One streaming-API record at `at`: its row to its category's columns.
    pub(super) fn envelope(&mut self, at: usize, line: u64, n: u64) -> Result<usize, SkimError> {
        let b = self.b;
        let (category, props, end) = envelope::parts(b, at)?;
        let (Some(category), Some(props)) = (category, props) else {
            self.envelopes_rejected += 1;
            let msg = format!(
                "record {n} is not a streaming-API record (an object with category and properties); skipped"
            );
            self.say("bad-json", Location::Line(line), Severity::Error, msg);
            return Ok(end);
        };
        let k = match self.envelopes.iter().position(|(c, _, _)| *c == category) {
            Some(k) => k,
            None => {
                let table = TableKind::from_name(envelope::table_name(&category));
                let keys = KeyColumns::new(table).gathering(table.is_some());
                self.envelopes
                    .push((category.into_owned(), keys, Vec::new()));
                self.envelopes.len() - 1
            }
        };
        let (_, keys, spans) = &mut self.envelopes[k];
        let repeated = if keys.gathers() {
            keys.scan(b, props)?.1
        } else {
            Vec::new()
        };
        spans.push(ObjectSpan {
            position: line,
            start: props,
        });
        let names = repeated.iter().map(|&c| keys.headers[c].clone()).collect();
        self.repeated(names, format!("record {n}"), Location::Line(line));
        Ok(end)
    }

    /// Event Hubs `{"records": [...]}`: streaming-API records, split by category.
    pub(super) fn envelopes_of(&mut self, at: usize) -> Option<usize> {
        let (end, lost) = self.each(at, Items::Records, b'{', &mut |doc, j, line, n| {
            doc.envelope(j, line, n)
        });
        self.envelopes_rejected += lost;
        end
    }

    /// Log Analytics `tables`: each a source of positional rows, read as walked.
    pub(super) fn tables_of(&mut self, at: usize) -> Option<usize> {
        let (end, _) = self.each(at, Items::Elements, b'{', &mut |doc, j, _, n| {
            // A table that ended early has said why (its rows' walk did).
            doc.table(j, n).ok_or(SkimError {
                at: doc.b.len(),
                what: SAID,
            })
        });
        end
    }

    /// One Log Analytics table object at `at` (the `n`th); `None` when the text ends in it.
    pub(super) fn table(&mut self, at: usize, n: u64) -> Option<usize> {
        let b = self.b;
        let mut table = Table {
            label: format!("table {}", n - 1),
            columns: Vec::new(),
            rows: Vec::new(),
            rejected: 0,
        };
        let mut j = ws(b, at + 1);
        let mut complete = None;
        if b.get(j) == Some(&b'}') {
            complete = Some(j + 1);
        }
        while complete.is_none() {
            let Some((key_end, _)) = (b.get(j) == Some(&b'"'))
                .then(|| skim::string_end(b, j).ok())
                .flatten()
            else {
                break;
            };
            let key = &b[j + 1..key_end - 1];
            let v = ws(b, key_end);
            if b.get(v) != Some(&b':') {
                break;
            }
            let v = ws(b, v + 1);
            let end = if is_key(key, "rows") && b.get(v) == Some(&b'[') {
                let (end, lost) = self.rows_of(v, &mut table);
                table.rejected += lost;
                end
            } else {
                match value_end(b, v) {
                    Ok((e, kind)) => {
                        if is_key(key, "name") {
                            if let (Some(l), _) = skim::cell(&b[v..e], kind) {
                                table.label = l.into_owned();
                            }
                        } else if is_key(key, "columns") {
                            table.columns = columns(&b[v..e]);
                        }
                        Some(e)
                    }
                    Err(_) => None,
                }
            };
            let Some(end) = end else { break };
            j = ws(b, end);
            match b.get(j) {
                Some(b',') => j = ws(b, j + 1),
                Some(b'}') => complete = Some(j + 1),
                _ => break,
            }
        }
        self.tables.push(table);
        complete
    }

    /// A table's `rows`: each an array of one value per column.
    pub(super) fn rows_of(&mut self, at: usize, table: &mut Table) -> (Option<usize>, usize) {
        let b = self.b;
        let width = table.columns.len();
        self.each(at, Items::Rows, b'[', &mut |doc, j, _, n| {
            if b.get(j) != Some(&b'[') {
                let (end, _) = value_end(b, j)?;
                table.rejected += 1;
                doc.say(
                    "bad-json",
                    Location::Row(n),
                    Severity::Error,
                    "row is not an array; skipped".into(),
                );
                return Ok(end);
            }
            let mut count = 0;
            let end = elements(b, j, |_, _| count += 1)?;
            if count != width {
                table.rejected += 1;
                let msg = format!("expected {width} values, found {count}; row skipped");
                doc.say("ragged", Location::Row(n), Severity::Error, msg);
            } else {
                table.rows.push(ObjectSpan {
                    position: n,
                    start: j,
                });
            }
            Ok(end)
        })
    }
}

/// A table's declared column names (`[{"name", "type"}]` or `["name", ...]`).
fn columns(v: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let _ = elements(v, 0, |c, kind| match kind {
        Kind::Nested if c[0] == b'{' => {
            let mut name = String::new();
            let _ = members(c, 0, |cm| {
                if is_key(cm.key, "name") {
                    if let (Some(n), _) = skim::cell(cm.value, cm.kind) {
                        name = clean_header(&n);
                    }
                }
            });
            out.push(name);
        }
        Kind::String => out.push(
            skim::cell(c, kind)
                .0
                .map(|n| clean_header(&n))
                .unwrap_or_default(),
        ),
        _ => out.push(String::new()),
    });
    out
}
