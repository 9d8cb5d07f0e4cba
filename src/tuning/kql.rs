//! Carrying a tuned rule back to Sentinel: each active filter becomes a `| where not(...)`
//! clause added to the seed KQL in the right place (after the sign-in rule's `project`, after the
//! right leg's `project` in the multi-hop query). The seed text is otherwise unchanged.
//!
//! The tuned rule must keep in Sentinel exactly the rows `hunt --tuning` keeps. So every clause
//! is never null (Kusto's `where` drops a row whose condition is null, and `not(null)` is null):
//! functions that give null on input they cannot convert are wrapped in `coalesce(..., false)`.
//! Each matcher's KQL form is the one with the same answer as its Rust form on every value (the
//! table test in `tests/tuning.rs`). A field whose value is the same on every row of a leg (a
//! column the type does not have, or DetectionType) is decided here, as the Rust matcher
//! decides it. A filter that cannot be said exactly in KQL (the normalised `User`, proxyhunt's
//! own columns, datetimes) is listed in a comment, never silently dropped or approximated.
//! Every value is a KQL string literal and every comment one sanitised line
//! ([`super::kql_text`]).

use std::net::{IpAddr, Ipv6Addr};

use super::kql_text::{comment, string_literal};
use super::matcher::{glob_regex, Cidr, Matcher};
use super::model::{Condition, Filter, Tuning};
use crate::detect::DetectionType;

/// The seed queries, word for word.
pub const RULE_000: &str = include_str!("rule-000.kql");
pub const QUERY_004: &str = include_str!("query-004.kql");

fn list(values: &[String]) -> String {
    values
        .iter()
        .map(|v| string_literal(v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A condition (or part of one) in KQL: an expression that is never null, or a constant where
/// the value is known for every row of the leg.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kql {
    Const(bool),
    /// Never null, and safe to join with `and` / `or` without brackets.
    Expr(String),
}

/// Where a finding field's value comes from in one leg of the query.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Source {
    /// A string column, as it is, or in ASCII lower case (`Device` is `DeviceName` so).
    Text { column: &'static str, lower: bool },
    /// An int column (`RemotePort`); its text in proxyhunt is the number in decimal.
    Int(&'static str),
    /// The same value on every row of the leg: a column the type does not have (`""`), or the
    /// DetectionType.
    Constant(String),
}

/// Where `field` comes from for findings of `kind`, or why it cannot be said in KQL.
fn source(field: &str, kind: DetectionType) -> Result<Source, String> {
    let projected = |c: &'static str| kind.projected().contains(&c);
    match field {
        "DetectionType" => Ok(Source::Constant(kind.name().to_string())),
        "Device" if projected("DeviceName") => Ok(Source::Text {
            column: "DeviceName",
            lower: true,
        }),
        "IP" => match kind {
            DetectionType::AnonymizedSignIn => Ok(Source::Text {
                column: "IPAddress",
                lower: false,
            }),
            DetectionType::TorPortConnection => Ok(Source::Text {
                column: "RemoteIP",
                lower: false,
            }),
            _ => Ok(Source::Constant(String::new())),
        },
        "Device" => Ok(Source::Constant(String::new())),
        "User" => Err("User is normalised by proxyhunt (no KQL column holds it)".into()),
        "Reason" | "SourceFile" | "SourceLine" => {
            Err(format!("{field} is proxyhunt's own column, not Sentinel's"))
        }
        "TimeGenerated" | "Timestamp" | "AnonymizationType"
            if kind.projected().contains(&field) =>
        {
            Err(format!(
                "{field} is not text in KQL, and its text form differs from proxyhunt's"
            ))
        }
        "RemotePort" if projected("RemotePort") => Ok(Source::Int("RemotePort")),
        other => match kind.projected().iter().find(|c| **c == other) {
            Some(c) => Ok(Source::Text {
                column: c,
                lower: false,
            }),
            None => Ok(Source::Constant(String::new())),
        },
    }
}

/// Whether `net` holds any address of `block`, or `block` any of `net`.
fn overlaps(net: &Cidr, block: &Cidr) -> bool {
    let shorter = if net.prefix <= block.prefix {
        net
    } else {
        block
    };
    let longer = if net.prefix <= block.prefix {
        block
    } else {
        net
    };
    shorter.contains(&longer.addr)
}

/// Whether an IPv6 range may hold an IPv4 address in Kusto's eyes: the IPv4-mapped
/// (`::ffff:0:0/96`) and IPv4-compatible (`::/96`) blocks.
fn may_hold_ipv4(net: &Cidr) -> bool {
    [
        Cidr {
            addr: IpAddr::V6(Ipv6Addr::new(0, 0, 0, 0, 0, 0xffff, 0, 0)),
            prefix: 96,
        },
        Cidr {
            addr: IpAddr::V6(Ipv6Addr::UNSPECIFIED),
            prefix: 96,
        },
    ]
    .iter()
    .any(|block| overlaps(net, block))
}

/// The matcher on one column, in KQL.
fn matcher_kql(src: &Source, m: &Matcher) -> Result<Kql, String> {
    let (subject, lower) = match src {
        Source::Constant(v) => return Ok(Kql::Const(m.matches(v))),
        Source::Text { column, lower } => (column.to_string(), *lower),
        Source::Int(column) => {
            if let Matcher::Ports(ports) = m {
                let ports: Vec<String> = ports.iter().map(u16::to_string).collect();
                // A null port makes `in` null, and `not(null)` would drop the row.
                return Ok(Kql::Expr(format!(
                    "coalesce({column} in ({}), false)",
                    ports.join(", ")
                )));
            }
            (format!("tostring({column})"), false)
        }
    };
    Ok(Kql::Expr(match m {
        Matcher::Equals {
            values,
            case_sensitive,
        } => {
            // `Device` is DeviceName in ASCII lower case: a value with an ASCII capital never
            // equals it, and the others equal it exactly when DeviceName =~ the value.
            let values: Vec<String> = if lower && *case_sensitive {
                values
                    .iter()
                    .filter(|v| !v.chars().any(|c| c.is_ascii_uppercase()))
                    .cloned()
                    .collect()
            } else {
                values.clone()
            };
            let case_sensitive = *case_sensitive && !lower;
            match (values.len(), case_sensitive) {
                (0, _) => return Ok(Kql::Const(false)),
                (1, false) => format!("{subject} =~ {}", string_literal(&values[0])),
                (1, true) => format!("{subject} == {}", string_literal(&values[0])),
                (_, false) => format!("{subject} in~ ({})", list(&values)),
                (_, true) => format!("{subject} in ({})", list(&values)),
            }
        }
        Matcher::Glob { patterns, .. } => format!(
            "{subject} matches regex {}",
            string_literal(&glob_regex(patterns))
        ),
        Matcher::Regex(_) if lower => {
            return Err(
                "a regex on Device (DeviceName in ASCII lower case) has no exact KQL form".into(),
            )
        }
        Matcher::Regex(r) => format!("{subject} matches regex {}", string_literal(r.as_str())),
        Matcher::Has(any) => format!("{subject} has_any ({})", list(any.terms())),
        Matcher::Cidr(nets) => cidr_kql(&subject, nets),
        Matcher::Ports(_) => {
            return Err(format!(
                "ports on {subject}, which is not a port column, has no exact KQL form"
            ))
        }
    }))
}

/// CIDR ranges, each family through its Kusto function. The functions give null for a value
/// that is not an address of their family, and `coalesce(..., false)` makes that "no match", as
/// in proxyhunt. An IPv4 value is kept out of IPv6 ranges that Kusto may see it in.
fn cidr_kql(subject: &str, nets: &[Cidr]) -> String {
    let (v4, v6): (Vec<&Cidr>, Vec<&Cidr>) = nets.iter().partition(|n| n.addr.is_ipv4());
    let text = |ns: &[&Cidr]| -> Vec<String> {
        ns.iter()
            .map(|n| format!("{}/{}", n.addr, n.prefix))
            .collect()
    };
    let mut parts = Vec::new();
    if !v4.is_empty() {
        parts.push(format!(
            "coalesce(ipv4_is_in_any_range({subject}, dynamic([{}])), false)",
            list(&text(&v4))
        ));
    }
    if !v6.is_empty() {
        let test = format!(
            "coalesce(ipv6_is_in_any_range({subject}, dynamic([{}])), false)",
            list(&text(&v6))
        );
        parts.push(if v6.iter().any(|n| may_hold_ipv4(n)) {
            format!("({test} and not(coalesce(ipv4_is_in_range({subject}, \"0.0.0.0/0\"), false)))")
        } else {
            test
        });
    }
    if parts.len() == 1 {
        parts.remove(0)
    } else {
        format!("({})", parts.join(" or "))
    }
}

/// A condition for findings of `kind`: the matcher on any of its fields, maybe negated.
pub fn condition_kql(c: &Condition, kind: DetectionType) -> Result<Kql, String> {
    let mut parts = Vec::new();
    for field in &c.fields {
        match matcher_kql(&source(field, kind)?, &c.matcher)? {
            Kql::Const(true) => {
                parts.clear();
                parts.push(Kql::Const(true));
                break;
            }
            Kql::Const(false) => {}
            e => parts.push(e),
        }
    }
    let any = match parts.len() {
        0 => Kql::Const(false),
        1 => parts.remove(0),
        _ => Kql::Expr(format!(
            "({})",
            parts
                .iter()
                .map(|p| match p {
                    Kql::Expr(e) => e.as_str(),
                    Kql::Const(_) => unreachable!("constants are folded above"),
                })
                .collect::<Vec<_>>()
                .join(" or ")
        )),
    };
    Ok(match (any, c.negate) {
        (Kql::Const(b), negate) => Kql::Const(b != negate),
        (e, false) => e,
        (Kql::Expr(e), true) => Kql::Expr(format!("not({e})")),
    })
}

/// The `| where not(...)` clause of a filter for one finding type, with its comment line;
/// `None` when the filter matches no finding of that type.
pub fn filter_clause(f: &Filter, kind: DetectionType) -> Result<Option<String>, String> {
    let mut conds = Vec::new();
    for c in &f.conditions {
        match condition_kql(c, kind)? {
            Kql::Const(false) => return Ok(None),
            Kql::Const(true) => {}
            Kql::Expr(e) => conds.push(e),
        }
    }
    let test = if conds.is_empty() {
        "true".to_string()
    } else {
        conds.join(" and ")
    };
    // The comment goes on its own line: a trailing comment would swallow the leg's `;`.
    Ok(Some(format!(
        "{}\n| where not({test})",
        comment(&format!("proxyhunt filter {}: {}", f.id, f.title))
    )))
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
            Ok(Some(c)) => out.push(c),
            Ok(None) => {}
            Err(why) => skipped.push(comment(&format!(
                "proxyhunt: filter {} not applied to {}: {why}",
                f.id,
                kind.name()
            ))),
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

/// Rule 000 made to work where Sentinel cuts every table to the rule's query period (R6 in
/// `sentinel-replay.md`): deployed with `queryPeriod: 14d`, it reads 14 days of threat intel (the
/// most a query period allows; Microsoft's own TI rules do the same), while the sign-ins keep
/// their 1-hour window inside the query.
pub fn period_fix(kql: &str) -> String {
    let note = "// Rule 000, for a query period that bounds every table (sentinel-replay.md R6):\n\
                // deploy with queryFrequency: 15m and queryPeriod: 14d. Threat intel is read over\n\
                // 14 days (ago(30d) cannot reach past the query period); sign-ins stay at 1 hour.\n";
    let fixed = kql.replacen("TimeGenerated > ago(30d)", "TimeGenerated > ago(14d)", 1);
    format!("{note}{fixed}")
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
