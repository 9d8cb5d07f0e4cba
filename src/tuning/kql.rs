//! Carrying a tuned rule back to Sentinel: each active filter becomes a `| where not(...)`
//! clause added to the seed KQL in the right place (after the sign-in rule's `project`, after the
//! right leg's `project` in the multi-hop query). The seed text is otherwise unchanged. A filter
//! that cannot be said in KQL (a normalised `User`, a field a leg does not have) is listed in
//! comments, never silently dropped.

use super::matcher::Matcher;
use super::model::{Condition, Filter, Tuning};
use crate::detect::DetectionType;

/// The seed queries, word for word.
pub const RULE_000: &str = include_str!("rule-000.kql");
pub const QUERY_004: &str = include_str!("query-004.kql");

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| quote(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The KQL column a finding field is for this type, if the query has it at that point.
fn kql_field(field: &str, kind: DetectionType) -> Option<&'static str> {
    let mapped = match field {
        "IP" => match kind {
            DetectionType::AnonymizedSignIn => "IPAddress",
            DetectionType::TorPortConnection => "RemoteIP",
            _ => return None,
        },
        "Device" => "DeviceName",
        other => other,
    };
    kind.projected().iter().copied().find(|c| *c == mapped)
}

fn matcher_kql(column: &str, m: &Matcher) -> String {
    match m {
        Matcher::Equals {
            values,
            case_sensitive,
        } => match (values.len(), case_sensitive) {
            (1, false) => format!("{column} =~ {}", quote(&values[0])),
            (1, true) => format!("{column} == {}", quote(&values[0])),
            (_, false) => format!("{column} in~ ({})", list(values)),
            (_, true) => format!("{column} in ({})", list(values)),
        },
        Matcher::Glob { patterns, .. } => {
            let alternatives: Vec<String> = patterns
                .iter()
                .map(|p| super::matcher::glob_to_regex(p))
                .collect();
            format!(
                "{column} matches regex {}",
                quote(&format!("(?i){}", alternatives.join("|")))
            )
        }
        Matcher::Regex(r) => format!("{column} matches regex {}", quote(r.as_str())),
        Matcher::Has(any) => format!("{column} has_any ({})", list(any.terms())),
        Matcher::Cidr(nets) => {
            let (v4, v6): (Vec<_>, Vec<_>) = nets.iter().partition(|n| n.addr.is_ipv4());
            let text = |ns: &[&super::matcher::Cidr]| {
                ns.iter()
                    .map(|n| format!("{}/{}", n.addr, n.prefix))
                    .collect::<Vec<_>>()
            };
            let mut parts = Vec::new();
            if !v4.is_empty() {
                parts.push(format!(
                    "ipv4_is_in_any_range({column}, dynamic([{}]))",
                    list(&text(&v4))
                ));
            }
            if !v6.is_empty() {
                parts.push(format!(
                    "ipv6_is_in_any_range({column}, dynamic([{}]))",
                    list(&text(&v6))
                ));
            }
            parts.join(" or ")
        }
        Matcher::Ports(ports) => {
            format!(
                "{column} in ({})",
                ports
                    .iter()
                    .map(u16::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

fn condition_kql(c: &Condition, kind: DetectionType) -> Result<String, String> {
    let columns: Vec<&str> = c.fields.iter().filter_map(|f| kql_field(f, kind)).collect();
    if columns.is_empty() {
        return Err(format!(
            "field {} has no KQL column in the {} leg",
            c.fields.join("/"),
            kind.name()
        ));
    }
    let parts: Vec<String> = columns
        .iter()
        .map(|col| matcher_kql(col, &c.matcher))
        .collect();
    let any = if parts.len() == 1 {
        parts[0].clone()
    } else {
        format!("({})", parts.join(" or "))
    };
    Ok(if c.negate { format!("not({any})") } else { any })
}

/// The `| where not(...)` clause of a filter for one finding type.
pub fn filter_clause(f: &Filter, kind: DetectionType) -> Result<String, String> {
    let conds = f
        .conditions
        .iter()
        .map(|c| condition_kql(c, kind))
        .collect::<Result<Vec<_>, _>>()?;
    // The comment goes on its own line: a trailing comment would swallow the leg's `;`.
    Ok(format!(
        "// proxyhunt filter {}: {}\n| where not({})",
        f.id,
        f.title.replace('\n', " "),
        conds.join(" and ")
    ))
}

/// The clauses for one finding type, and the filters that could not be expressed.
fn clauses_for(tuning: &Tuning, kind: DetectionType, skipped: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    for f in tuning
        .filters
        .iter()
        .filter(|f| tuning.active(f) && f.detection_types.contains(&kind))
    {
        match filter_clause(f, kind) {
            Ok(c) => out.push(c),
            Err(why) => skipped.push(format!(
                "// proxyhunt: filter {} not applied to {}: {why}",
                f.id,
                kind.name()
            )),
        }
    }
    out
}

/// Inserts lines before the `;` that ends the `let NAME = ...` statement.
fn insert_in_leg(query: &str, leg: &str, lines: &[String]) -> String {
    if lines.is_empty() {
        return query.to_string();
    }
    let Some(start) = query.find(&format!("let {leg} =")) else {
        return query.to_string();
    };
    let Some(semi) = query[start..].find(';').map(|i| start + i) else {
        return query.to_string();
    };
    format!("{}\n{}{}", &query[..semi], lines.join("\n"), &query[semi..])
}

/// Both rules as runnable KQL with the active filters added.
pub fn tuned_kql(tuning: &Tuning) -> String {
    let mut skipped = Vec::new();
    let signin = clauses_for(tuning, DetectionType::AnonymizedSignIn, &mut skipped);
    let mut rule = RULE_000.to_string();
    if !signin.is_empty() {
        let at = rule
            .find("| order by TimeGenerated desc")
            .unwrap_or(rule.len());
        rule = format!("{}{}\n{}", &rule[..at], signin.join("\n"), &rule[at..]);
    }
    let mut query = QUERY_004.to_string();
    for (leg, kind) in [
        ("ProxyProcesses", DetectionType::ProxyToolLaunch),
        ("TorConnections", DetectionType::TorPortConnection),
        ("SSHProxyChain", DetectionType::SshMultiHopProxy),
    ] {
        let lines = clauses_for(tuning, kind, &mut skipped);
        query = insert_in_leg(&query, leg, &lines);
    }
    let mut out = String::new();
    out.push_str("// Rule 000: Non-Interactive Sign-In via TOR or Anonymous Proxy\n");
    out.push_str(&rule);
    out.push_str("\n// Query 004: Detect Multi-hop Proxy\n");
    out.push_str(&query);
    if !skipped.is_empty() {
        out.push('\n');
        out.push_str(&skipped.join("\n"));
        out.push('\n');
    }
    out
}
