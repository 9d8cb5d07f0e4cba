//! Finding a table's columns among an export's headers.
//!
//! Exports of `union` queries split a column by type (`AdditionalFields_string` /
//! `AdditionalFields_dynamic`, `ReportId_long` / `ReportId_string`); those are read together,
//! first non-empty value wins. Names are matched exactly first, then ignoring ASCII case (API
//! shapes sometimes use camelCase); every non-exact match is reported.

use super::schema::ColumnSpec;

/// The type suffixes Kusto appends when a `union` meets one column name with several types.
const TYPE_SUFFIXES: &[&str] = &[
    "string", "dynamic", "long", "int", "real", "bool", "datetime", "guid", "timespan", "decimal",
];

/// Where a column's values come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnSource {
    /// Header indices to coalesce, in order.
    pub indices: Vec<usize>,
    /// Set when the column was not found under its own name exactly, saying how it was found.
    pub note: Option<String>,
    /// Set when a header it is read from appears more than once: which one is read.
    pub duplicate: Option<String>,
}

pub(crate) fn is_variant(header: &str, name: &str, ignore_case: bool) -> bool {
    let Some((base, suffix)) = header.rsplit_once('_') else {
        return false;
    };
    let same = if ignore_case {
        base.eq_ignore_ascii_case(name)
    } else {
        base == name
    };
    same && TYPE_SUFFIXES.iter().any(|s| s.eq_ignore_ascii_case(suffix))
}

fn find(headers: &[String], name: &str, ignore_case: bool) -> Vec<usize> {
    let same = |h: &str| {
        if ignore_case {
            h.eq_ignore_ascii_case(name)
        } else {
            h == name
        }
    };
    let exact = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| same(h))
        .map(|(i, _)| i);
    let variants = headers
        .iter()
        .enumerate()
        .filter(|(_, h)| is_variant(h, name, ignore_case))
        .map(|(i, _)| i);
    exact.chain(variants).collect()
}

/// Looks a single name up; `None` when the export does not have it in any spelling. A header
/// that appears more than once is read from its first place only, and said.
pub fn locate(headers: &[String], name: &str) -> Option<ColumnSource> {
    for ignore_case in [false, true] {
        let found = find(headers, name, ignore_case);
        if found.is_empty() {
            continue;
        }
        let mut indices: Vec<usize> = Vec::new();
        let mut duplicate = None;
        for &i in &found {
            let same: Vec<usize> = (0..headers.len())
                .filter(|&k| headers[k] == headers[i])
                .collect();
            if same[0] != i {
                continue;
            }
            if same.len() > 1 {
                let at: Vec<String> = same.iter().map(|k| (k + 1).to_string()).collect();
                duplicate = Some(format!(
                    "column {:?} appears {} times (columns {}); the first (column {}) is read, the others are ignored",
                    headers[i],
                    same.len(),
                    at.join(", "),
                    i + 1
                ));
            }
            indices.push(i);
        }
        let used: Vec<&str> = indices.iter().map(|&i| headers[i].as_str()).collect();
        let note = (used != [name]).then(|| format!("{name} read from {}", used.join(" + ")));
        return Some(ColumnSource {
            indices,
            note,
            duplicate,
        });
    }
    None
}

/// Looks a table column up, trying its fallbacks (e.g. `CreatedDateTime` for `TimeGenerated`).
pub fn resolve(headers: &[String], spec: &ColumnSpec) -> Option<ColumnSource> {
    // A nested member the shape maps (Graph's `location.countryOrRegion`) comes before a
    // case-insensitive match, which would take the whole `location` object.
    if find(headers, spec.name, false).is_empty() {
        let nested = spec
            .fallbacks
            .iter()
            .filter(|fb| fb.contains('.') && !find(headers, fb, false).is_empty());
        if let Some(found) = nested.filter_map(|fb| fallback(headers, spec, fb)).next() {
            return Some(found);
        }
    }
    if let Some(found) = locate(headers, spec.name) {
        return Some(found);
    }
    spec.fallbacks
        .iter()
        .find_map(|fb| fallback(headers, spec, fb))
}

/// `spec` read from its fallback `fb`, noted as such.
fn fallback(headers: &[String], spec: &ColumnSpec, fb: &str) -> Option<ColumnSource> {
    locate(headers, fb).map(|found| ColumnSource {
        note: Some(format!(
            "no {} column; using {} instead",
            spec.name,
            found
                .indices
                .iter()
                .map(|&i| headers[i].as_str())
                .collect::<Vec<_>>()
                .join(" + ")
        )),
        indices: found.indices,
        duplicate: found.duplicate,
    })
}

/// Whether an export column could feed one of the table's columns (itself, a fallback, or a
/// typed variant, in any case). Readers of wide JSON use it to keep only what will be read.
pub fn feeds_table(table: super::schema::TableKind, header: &str) -> bool {
    table.columns().iter().any(|spec| {
        std::iter::once(spec.name)
            .chain(spec.fallbacks.iter().copied())
            .any(|name| header.eq_ignore_ascii_case(name) || is_variant(header, name, true))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn exact_variant_and_case() {
        let headers = h(&[
            "DeviceDetail_dynamic",
            "DeviceDetail_string",
            "ipAddress",
            "Tags",
            "Tags_x",
        ]);
        assert_eq!(
            locate(&headers, "Tags"),
            Some(ColumnSource {
                indices: vec![3],
                note: None,
                duplicate: None
            })
        );
        let dd = locate(&headers, "DeviceDetail").expect("found");
        assert_eq!(dd.indices, vec![0, 1]);
        assert!(dd.note.is_some());
        assert_eq!(
            locate(&headers, "IPAddress").map(|c| c.indices),
            Some(vec![2])
        );
        assert_eq!(locate(&headers, "Location"), None);
    }
}
