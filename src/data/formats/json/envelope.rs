//! Defender streaming-API records: `{"time", "tenantId", "operationName": "Publish",
//! "category": "AdvancedHunting-DeviceProcessEvents", "properties": {...the row...}}`, one per
//! line in Storage blobs (`PT1H.json`), or in `{"records": [...]}` from Event Hubs. The table is
//! the category's name after `AdvancedHunting-`; the row is `properties`.

use std::borrow::Cow;

use super::objects::KeyColumns;
use super::skim::{cell, members, ws, Kind, SkimError};
use crate::data::table::schema::TableKind;

const PREFIX: &str = "AdvancedHunting-";

/// The table a category names (`AdvancedHunting-DeviceProcessEvents` → `DeviceProcessEvents`).
pub fn table_name(category: &str) -> &str {
    category.strip_prefix(PREFIX).unwrap_or(category)
}

/// An envelope's category, where its `properties` object starts, and where the envelope ends.
pub type Parts<'a> = (Option<Cow<'a, str>>, Option<usize>, usize);

/// The parts of an envelope object at `start`.
pub fn parts(b: &[u8], start: usize) -> Result<Parts<'_>, SkimError> {
    let mut category = None;
    let mut properties = None;
    let end = members(b, start, |m| match m.key {
        b"category" if m.kind == Kind::String => category = cell(m.value, m.kind).0,
        b"properties" if m.kind == Kind::Nested && m.value.first() == Some(&b'{') => {
            properties = Some(m.value.as_ptr() as usize - b.as_ptr() as usize)
        }
        _ => {}
    })?;
    Ok((category, properties, end))
}

/// Whether a line is an envelope: an object with a string `category` and an object
/// `properties`.
pub fn is_envelope_line(text: &[u8]) -> bool {
    let start = ws(text, 0);
    matches!(parts(text, start), Ok((Some(_), Some(_), _)))
}

fn not_envelope(at: usize) -> SkimError {
    SkimError {
        at,
        what: "not an object",
    }
}

/// Walks an envelope line: its row's keys go to its category's columns (added on first sight).
/// Returns the line's end, the row's repeated columns, and which category it was.
pub fn scan_envelope(
    text: &[u8],
    categories: &mut Vec<(String, KeyColumns, usize)>,
) -> Result<(usize, Vec<usize>, Option<usize>), SkimError> {
    let start = ws(text, 0);
    let (category, properties, end) = parts(text, start)?;
    let (Some(category), Some(properties)) = (category, properties) else {
        return Err(not_envelope(start));
    };
    let k = match categories.iter().position(|(c, _, _)| *c == category) {
        Some(k) => k,
        None => {
            let table = TableKind::from_name(table_name(&category));
            // A table proxyhunt does not read: its records are counted, its keys not gathered.
            let keys = KeyColumns::new(table).gathering(table.is_some());
            categories.push((category.into_owned(), keys, 0));
            categories.len() - 1
        }
    };
    categories[k].2 += 1;
    let keys = &mut categories[k].1;
    let repeated = if keys.gathers() {
        keys.scan(text, properties)?.1
    } else {
        Vec::new()
    };
    Ok((end, repeated, Some(k)))
}

/// Where an envelope line's row is, for the category a source holds.
pub enum RowOf {
    /// The row (`properties`) starts here.
    Row(usize),
    /// A record of another category.
    Other,
    /// Not a well-formed envelope (rejected when the file was first read).
    Bad,
}

pub fn row_of(text: &[u8], category: &str) -> RowOf {
    let start = ws(text, 0);
    match parts(text, start) {
        Ok((Some(c), Some(p), end)) if ws(text, end) == text.len() => {
            if c == category {
                RowOf::Row(p)
            } else {
                RowOf::Other
            }
        }
        _ => RowOf::Bad,
    }
}
