//! From a filter as read ([`RawFilter`]) to one that runs ([`Filter`]): every check that TOML's
//! types cannot make (known fields and types, one matcher per condition, no empty list, regexes
//! and CIDRs that compile), each problem with the byte offset it is about.

use toml::Spanned;

use super::matcher::{Cidr, Matcher};
use super::model::{Condition, Filter};
use super::raw::{RawCondition, RawFilter};
use crate::detect::DetectionType;
use crate::kql::has::HasAny;

/// A problem in a filter, at a byte offset of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub offset: usize,
    pub message: String,
}

fn problem(offset: usize, message: impl Into<String>) -> Problem {
    Problem {
        offset,
        message: message.into(),
    }
}

/// The one finding column that holds a number: `ports` conditions apply to it only.
pub const PORT_FIELD: &str = "RemotePort";

/// Fields a condition may name: the contract columns and the extras.
pub fn known_field(name: &str) -> bool {
    crate::detect::findings::contract_columns()
        .iter()
        .any(|(c, _)| *c == name)
        || crate::detect::findings::EXTRA_COLUMNS.contains(&name)
}

/// A list key's values, refused when empty: an empty list matches nothing, which is never what
/// was meant.
fn non_empty<T>(key: &str, list: Spanned<T>, len: impl Fn(&T) -> usize) -> Result<T, Problem> {
    let at = list.span().start;
    let list = list.into_inner();
    if len(&list) == 0 {
        return Err(problem(
            at,
            format!("{key} is an empty list, which matches nothing"),
        ));
    }
    Ok(list)
}

fn compile_condition(spanned: Spanned<RawCondition>) -> Result<Condition, Problem> {
    let at = spanned.span().start;
    let raw = spanned.into_inner();
    let field_at = raw.field.span().start;
    let fields = non_empty("field", raw.field, |f| f.0.len())?.0;
    if let Some(bad) = fields.iter().find(|f| !known_field(f)) {
        return Err(problem(
            field_at,
            format!("unknown field {bad:?}; use a findings column such as DeviceName, ProcessCommandLine, IPAddress, User"),
        ));
    }
    let mut matchers: Vec<(&str, usize, Matcher)> = Vec::new();
    if let Some(v) = raw.equals {
        let at = v.span().start;
        let values = non_empty("equals", v, |v| v.0.len())?.0;
        matchers.push((
            "equals",
            at,
            Matcher::Equals {
                values,
                case_sensitive: raw.case_sensitive,
            },
        ));
    }
    if let Some(v) = raw.in_ {
        let at = v.span().start;
        let values = non_empty("in", v, |v| v.0.len())?.0;
        matchers.push((
            "in",
            at,
            Matcher::Equals {
                values: values.into_iter().map(|t| t.0).collect(),
                case_sensitive: raw.case_sensitive,
            },
        ));
    }
    if let Some(v) = raw.glob {
        let at = v.span().start;
        let patterns = non_empty("glob", v, |v| v.0.len())?.0;
        let m = Matcher::glob(patterns).map_err(|e| problem(at, format!("bad glob: {e}")))?;
        matchers.push(("glob", at, m));
    }
    if let Some(r) = raw.regex {
        let at = r.span().start;
        let r = r.into_inner().0;
        let re = regex::Regex::new(&r).map_err(|e| {
            // The regex crate's message draws a caret under the pattern on several lines; its
            // last line says what is wrong.
            let text = e.to_string();
            let why = text
                .lines()
                .last()
                .unwrap_or("")
                .trim_start_matches("error: ");
            problem(at, format!("bad regex {r:?}: {why}"))
        })?;
        // A pattern that matches the empty text and an arbitrary one (``, `.*`, `a?`) matches
        // every value: the filter would hide every finding it covers.
        if re.is_match("") && re.is_match("\u{1}proxyhunt any value\u{2}") {
            return Err(problem(
                at,
                format!("regex {r:?} matches every value (even an empty one); anchor it or make it require text"),
            ));
        }
        matchers.push(("regex", at, Matcher::Regex(re)));
    }
    if let Some(v) = raw.has {
        let at = v.span().start;
        let terms = non_empty("has", v, |v| v.0.len())?.0;
        if terms.iter().any(String::is_empty) {
            return Err(problem(at, "has: an empty term matches nothing"));
        }
        matchers.push(("has", at, Matcher::Has(HasAny::new(&terms))));
    }
    if let Some(v) = raw.cidr {
        let at = v.span().start;
        let nets = non_empty("cidr", v, |v| v.0.len())?
            .0
            .iter()
            .map(|c| {
                Cidr::parse(c).ok_or_else(|| {
                    problem(
                        at,
                        format!("bad CIDR {c:?}; expected e.g. 203.0.113.0/24 or 2001:db8::/32"),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        matchers.push(("cidr", at, Matcher::Cidr(nets)));
    }
    if let Some(p) = raw.ports {
        let at = p.span().start;
        let ports = non_empty("ports", p, |p| p.0.len())?.0;
        if let Some(bad) = fields.iter().find(|f| *f != PORT_FIELD) {
            return Err(problem(
                field_at,
                format!("ports applies to {PORT_FIELD} only, not {bad:?}; use equals for text"),
            ));
        }
        matchers.push((
            "ports",
            at,
            Matcher::Ports(ports.into_iter().map(|p| p.0).collect()),
        ));
    }
    if raw.case_sensitive
        && !matchers
            .iter()
            .any(|(k, _, _)| matches!(*k, "equals" | "in"))
    {
        return Err(problem(at, "case_sensitive applies to equals and in only"));
    }
    match matchers.len() {
        1 => Ok(Condition {
            fields,
            matcher: matchers.remove(0).2,
            negate: raw.not,
        }),
        0 => Err(problem(
            at,
            "condition needs one of equals, in, glob, regex, has, cidr, ports",
        )),
        _ => Err(problem(
            matchers[1].1,
            format!(
                "condition has more than one matcher ({}); split it",
                matchers
                    .iter()
                    .map(|(k, _, _)| *k)
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Compiles a filter that starts at byte `at`; `origin` says where it is, for messages.
pub fn compile_filter(raw: RawFilter, at: usize, origin: String) -> Result<Filter, Vec<Problem>> {
    let mut problems = Vec::new();
    let id = raw.id.0;
    if id.trim().is_empty() {
        problems.push(problem(at, "id is empty"));
    }
    let types_at = raw.detection_types.span().start;
    let mut types = Vec::new();
    match non_empty("detection_types", raw.detection_types, |t| t.0.len()) {
        Ok(names) => {
            for t in names.0 {
                match DetectionType::from_name(&t.0) {
                    Some(k) => types.push(k),
                    None => problems.push(problem(
                        types_at,
                        format!(
                            "unknown detection type {:?}; use {}",
                            t.0,
                            DetectionType::ALL.map(DetectionType::name).join(", ")
                        ),
                    )),
                }
            }
        }
        Err(p) => problems.push(p),
    }
    let mut conditions = Vec::new();
    for c in raw.when.map(|w| w.0).unwrap_or_default() {
        match compile_condition(c) {
            Ok(c) => conditions.push(c),
            Err(p) => problems.push(p),
        }
    }
    if conditions.is_empty() && problems.is_empty() {
        problems.push(problem(at, "no [[filter.when]] condition"));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    Ok(Filter {
        id,
        title: raw.title.0,
        reason: raw.reason.0,
        detection_types: types,
        enabled: raw.enabled,
        owner: raw.owner.map(|t| t.0),
        created: raw.created.map(|d| d.0),
        expires: raw.expires.map(|d| d.0),
        conditions,
        needs_site_values: raw.site_values.map(|t| t.0),
        origin,
    })
}
