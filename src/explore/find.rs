//! What the find prompt understands: text anywhere in a finding's record except its Reason
//! (whose words, "indicator" or "tor", would match nearly everything), and terms scoped to a
//! field: `user:bob` and `ip:203.0.113.1` (equal, ignoring case), `cmd~socks` (contains).

use super::rows::{FindingRow, FIELD_END};
use crate::detect::findings::normalise_user;

/// One term of a find.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    /// Lower-case text anywhere but the Reason.
    Anywhere(String),
    /// A field (any of `fields`) equal to the lower-case value.
    Equals(&'static str, Vec<&'static str>, String),
    /// A field (any of `fields`) containing the lower-case value.
    Contains(&'static str, Vec<&'static str>, String),
}

/// A parsed find: every term must hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Find {
    terms: Vec<Term>,
}

/// Short names for the fields analysts scope by; any column name works too.
const ALIASES: &[(&str, &[&str])] = &[
    ("user", &["User"]),
    ("ip", &["IP"]),
    ("device", &["Device"]),
    (
        "cmd",
        &["ProcessCommandLine", "InitiatingProcessCommandLine"],
    ),
    ("file", &["FileName", "InitiatingProcessFileName"]),
    ("type", &["DetectionType"]),
    ("app", &["AppDisplayName"]),
    ("upn", &["UserPrincipalName"]),
    ("port", &["RemotePort"]),
    ("url", &["RemoteUrl"]),
];

/// The fields a scope name stands for: an alias, or a column of the findings (any case).
fn fields_of(name: &str) -> Option<(&'static str, Vec<&'static str>)> {
    let lower = name.to_lowercase();
    if let Some((alias, fields)) = ALIASES.iter().find(|(a, _)| *a == lower) {
        return Some((alias, fields.to_vec()));
    }
    let contract = crate::detect::findings::contract_columns();
    let columns = contract.iter().map(|(c, _)| *c);
    columns
        .chain(crate::detect::findings::EXTRA_COLUMNS.iter().copied())
        .find(|c| c.eq_ignore_ascii_case(name))
        .map(|c| (c, vec![c]))
}

impl Find {
    /// `text` as typed. Words of the form `name:value` or `name~value` whose name is a field
    /// scope the finding; the rest is one text (spaces kept, as typed) to find anywhere.
    pub fn parse(text: &str) -> Find {
        let mut terms = Vec::new();
        let mut rest: Vec<&str> = Vec::new();
        for word in text.split(' ') {
            let scoped = word.find([':', '~']).and_then(|at| {
                let (name, value) = (&word[..at], &word[at + 1..]);
                let (label, fields) = fields_of(name).filter(|_| !value.is_empty())?;
                let value = value.to_lowercase();
                Some(if word.as_bytes()[at] == b':' {
                    // A user is compared as pivots compare users (alice@contoso.com = alice).
                    let value = if label == "user" {
                        normalise_user(&value)
                    } else {
                        value
                    };
                    Term::Equals(label, fields, value)
                } else {
                    Term::Contains(label, fields, value)
                })
            });
            match scoped {
                Some(term) => terms.push(term),
                None => rest.push(word),
            }
        }
        let rest = rest.join(" ");
        let rest = if terms.is_empty() {
            rest
        } else {
            rest.trim().to_string()
        };
        if !rest.is_empty() {
            terms.push(Term::Anywhere(rest.to_lowercase()));
        }
        Find { terms }
    }

    pub fn matches(&self, row: &FindingRow) -> bool {
        self.terms.iter().all(|t| match t {
            Term::Anywhere(needle) => anywhere(row, needle),
            Term::Equals(_, fields, v) => fields.iter().any(|f| row.get(f).to_lowercase() == *v),
            Term::Contains(_, fields, v) => fields
                .iter()
                .any(|f| row.get(f).to_lowercase().contains(v.as_str())),
        })
    }

    /// How the breadcrumb shows it: `user:bob cmd~socks "tor"`.
    pub fn label(&self) -> String {
        self.terms
            .iter()
            .map(|t| match t {
                Term::Anywhere(s) => format!("\"{s}\""),
                Term::Equals(name, _, v) => format!("{name}:{v}"),
                Term::Contains(name, _, v) => format!("{name}~{v}"),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// Whether some field of the row but its Reason contains `needle` (lower-case).
fn anywhere(row: &FindingRow, needle: &str) -> bool {
    if needle.contains(FIELD_END) {
        // Cannot be typed; kept exact all the same.
        return row
            .fields
            .iter()
            .any(|(k, v)| *k != "Reason" && v.to_lowercase().contains(needle));
    }
    row.search.contains(needle)
}
