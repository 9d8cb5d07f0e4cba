//! Proposing an exclusion from a finding: candidate conditions from its fields, a preview of what
//! the filter would hide across all loaded findings (by detection and by user, with warnings), and
//! the TOML block that saves it.

use std::collections::{BTreeMap, BTreeSet};

use super::matcher::Matcher;
use super::model::{Condition, Filter};
use crate::detect::DetectionType;
use crate::explore::FindingRow;

/// A condition the analyst may pick, with how it is shown and written.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub label: String,
    pub field: &'static str,
    /// `equals` or `has`.
    pub op: &'static str,
    pub value: String,
    pub chosen: bool,
}

impl Candidate {
    pub fn condition(&self) -> Condition {
        let matcher = match self.op {
            "has" => Matcher::Has(crate::kql::has::HasAny::new(&[self.value.as_str()])),
            "glob" => Matcher::glob(vec![self.value.clone()]).unwrap_or_else(|_| Matcher::Equals {
                values: vec![self.value.clone()],
                case_sensitive: false,
            }),
            _ => Matcher::Equals {
                values: vec![self.value.clone()],
                case_sensitive: false,
            },
        };
        Condition {
            fields: vec![self.field.to_string()],
            matcher,
            negate: false,
        }
    }
}

/// The fields an exclusion can be built from, most specific first; device and process are
/// chosen by default for device findings, the address for sign-ins.
pub fn candidates(row: &FindingRow) -> Vec<Candidate> {
    let mut out = Vec::new();
    let mut add = |field: &'static str, op: &'static str, value: &str, chosen: bool| {
        if !value.is_empty() {
            out.push(Candidate {
                // Shown through the console's one escaping (`\x1b`, `\u{202e}`), not Rust's.
                label: format!("{field} {op} \"{value}\""),
                field,
                op,
                value: value.to_string(),
                chosen,
            });
        }
    };
    match row.kind {
        DetectionType::AnonymizedSignIn => {
            add("IPAddress", "equals", row.get("IPAddress"), true);
            add("User", "equals", &row.user, false);
            add("AppDisplayName", "equals", row.get("AppDisplayName"), false);
        }
        DetectionType::TorPortConnection => {
            add("DeviceName", "equals", row.get("DeviceName"), true);
            add(
                "InitiatingProcessFileName",
                "equals",
                row.get("InitiatingProcessFileName"),
                true,
            );
            add("RemoteIP", "equals", row.get("RemoteIP"), false);
            add("User", "equals", &row.user, false);
        }
        _ => {
            add("DeviceName", "equals", row.get("DeviceName"), true);
            add("FileName", "equals", row.get("FileName"), true);
            add("User", "equals", &row.user, false);
            add(
                "ProcessCommandLine",
                "glob",
                &command_pattern(row.get("ProcessCommandLine")),
                false,
            );
            add(
                "ProcessCommandLine",
                "equals",
                row.get("ProcessCommandLine"),
                false,
            );
            add(
                "InitiatingProcessFileName",
                "equals",
                row.get("InitiatingProcessFileName"),
                false,
            );
        }
    }
    out
}

/// A command-line pattern: the program and its first argument, then anything (`docker run*`),
/// with glob characters in the text made literal-safe by dropping them.
pub fn command_pattern(cmd: &str) -> String {
    let words: Vec<&str> = cmd.split_whitespace().take(2).collect();
    if words.is_empty() {
        return String::new();
    }
    let head: String = words
        .join(" ")
        .chars()
        .filter(|c| !matches!(c, '*' | '?'))
        .collect();
    format!("{head}*")
}

/// What a filter would hide across the loaded findings.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Preview {
    pub total: usize,
    pub by_type: BTreeMap<&'static str, usize>,
    pub users: BTreeSet<String>,
    /// Hidden AnonymizedSignIn findings whose tags include a `tor` term.
    pub tor_sign_ins: usize,
    /// Hidden findings whose user or device also has findings of another detection type:
    /// links of a chain (a Tor sign-in and tor.exe on the user's laptop) the exclusion cuts.
    pub chained: usize,
    /// One of them, said: `bob (also ProxyToolLaunch)`.
    pub chain_example: Option<String>,
}

/// How many distinct users make a filter too broad to save without a second look.
pub const MANY_USERS: usize = 3;

impl Preview {
    pub fn warnings(&self) -> Vec<String> {
        let mut w = Vec::new();
        if self.users.len() >= MANY_USERS {
            w.push(format!("hides findings of {} users", self.users.len()));
        }
        if self.tor_sign_ins > 0 {
            w.push(format!(
                "hides {} AnonymizedSignIn finding(s) tagged tor",
                self.tor_sign_ins
            ));
        }
        if self.chained > 0 {
            w.push(format!(
                "hides {} finding(s) whose user or device has findings of another type{}",
                self.chained,
                self.chain_example
                    .as_deref()
                    .map_or(String::new(), |e| format!(", e.g. {e}"))
            ));
        }
        w
    }
}

pub fn preview(rows: &[FindingRow], filter: &Filter) -> Preview {
    use std::collections::HashMap;
    // The detection types each user and each device has findings of.
    let mut kinds: HashMap<(bool, &str), BTreeSet<&'static str>> = HashMap::new();
    for r in rows {
        for (is_device, value) in [(false, r.user.as_str()), (true, r.device.as_str())] {
            if !value.is_empty() {
                kinds
                    .entry((is_device, value))
                    .or_default()
                    .insert(r.kind.name());
            }
        }
    }
    let mut p = Preview::default();
    for r in rows.iter().filter(|r| filter.matches(r)) {
        let other = [(false, r.user.as_str()), (true, r.device.as_str())]
            .into_iter()
            .filter(|(_, v)| !v.is_empty())
            .find_map(|key| {
                let others: Vec<&str> = kinds[&key]
                    .iter()
                    .copied()
                    .filter(|k| *k != r.kind.name())
                    .collect();
                (!others.is_empty()).then(|| format!("{} (also {})", key.1, others.join(", ")))
            });
        if let Some(example) = other {
            p.chained += 1;
            p.chain_example.get_or_insert(example);
        }
        p.total += 1;
        *p.by_type.entry(r.kind.name()).or_insert(0) += 1;
        if !r.user.is_empty() {
            p.users.insert(r.user.clone());
        }
        if r.kind == DetectionType::AnonymizedSignIn
            && crate::kql::has::has(r.get("AnonymizationType"), "tor")
        {
            p.tor_sign_ins += 1;
        }
    }
    p
}

/// The filter made of the chosen candidates, scoped to the finding's type.
pub fn proposed_filter(row: &FindingRow, chosen: &[Candidate], id: &str, today: &str) -> Filter {
    Filter {
        id: id.to_string(),
        title: format!("Exclusion created from a finding ({})", row.kind.name()),
        reason: "created in the proxyhunt console; say why before committing the file".into(),
        detection_types: vec![row.kind],
        enabled: true,
        owner: None,
        created: Some(today.to_string()),
        // An exclusion is reviewed again: it lapses unless someone extends it.
        expires: days_after(today, EXPIRY_DAYS),
        conditions: chosen.iter().map(Candidate::condition).collect(),
        needs_site_values: None,
        origin: "console".into(),
    }
}

/// Days from its creation after which a console exclusion expires.
pub const EXPIRY_DAYS: i64 = 90;

/// The day `days` after `day` (both `YYYY-MM-DD`); `None` when `day` is not a date.
pub fn days_after(day: &str, days: i64) -> Option<String> {
    let d = chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d").ok()?;
    Some(
        (d + chrono::Duration::days(days))
            .format("%Y-%m-%d")
            .to_string(),
    )
}

/// A TOML date for a `YYYY-MM-DD` day (a string when it is not one), as the catalog writes
/// `created` and `expires`.
fn toml_day(day: &str) -> String {
    match chrono::NaiveDate::parse_from_str(day, "%Y-%m-%d") {
        Ok(d) if d.format("%Y-%m-%d").to_string() == day => day.to_string(),
        _ => toml_string(day),
    }
}

/// A TOML string for `s` that keeps its value exactly and shows no control or bidi character
/// raw: the file is read by people (in reviews, in a terminal), and values come from logs.
fn toml_string(s: &str) -> String {
    let encoded = toml::Value::String(s.to_string()).to_string();
    if !encoded.chars().any(crate::text::is_unsafe_char) {
        return encoded;
    }
    // A basic string, where `\uXXXX` escapes are read back as the character.
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if crate::text::is_unsafe_char(c) => {
                out.push_str(&format!("\\u{:04X}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The `[[filter]]` block for a proposal, ready to append to a tuning file.
pub fn filter_block(filter: &Filter, chosen: &[Candidate]) -> String {
    let types: Vec<String> = filter
        .detection_types
        .iter()
        .map(|t| toml_string(t.name()))
        .collect();
    let mut out = format!(
        "\n[[filter]]\nid = {}\ntitle = {}\nreason = {}\ndetection_types = [{}]\nenabled = true\n",
        toml_string(&filter.id),
        toml_string(&filter.title),
        toml_string(&filter.reason),
        types.join(", "),
    );
    if let Some(owner) = &filter.owner {
        out.push_str(&format!("owner = {}\n", toml_string(owner)));
    }
    if let Some(created) = &filter.created {
        out.push_str(&format!("created = {}\n", toml_day(created)));
    }
    if let Some(expires) = &filter.expires {
        out.push_str(&format!("expires = {}\n", toml_day(expires)));
    }
    for c in chosen {
        out.push_str(&format!(
            "  [[filter.when]]\n  field = {}\n  {} = {}\n",
            toml_string(c.field),
            c.op,
            toml_string(&c.value)
        ));
    }
    out
}

#[cfg(test)]
mod toml_string_tests {
    #[test]
    fn hostile_values_are_escaped_and_read_back_exactly() {
        for value in [
            "plain",
            "quote \" and \\ backslash",
            "evil\n| take 0\n//",
            "exe.\u{202e}txt",
            "csi \u{9b}31m and esc \u{1b}[2J and bel \u{7}",
        ] {
            let text = super::toml_string(value);
            assert!(!text.chars().any(crate::text::is_unsafe_char), "{text:?}");
            let parsed: toml::Table = toml::from_str(&format!("v = {text}")).unwrap();
            assert_eq!(parsed["v"].as_str(), Some(value), "{text}");
        }
    }
}
