//! The tuning file (TOML). Unknown keys, bad regexes or CIDRs, unknown detection types and
//! expired filters are reported with file and line; a bad filter is left out, the rest load.

use serde::Deserialize;
use toml::Spanned;

use super::matcher::{Cidr, Matcher};
use super::model::{Condition, Filter};
use crate::detect::DetectionType;
use crate::kql::has::HasAny;

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

impl OneOrMany {
    fn into_vec(self) -> Vec<String> {
        match self {
            OneOrMany::One(s) => vec![s],
            OneOrMany::Many(v) => v,
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    field: OneOrMany,
    equals: Option<OneOrMany>,
    #[serde(rename = "in")]
    in_: Option<Vec<String>>,
    glob: Option<OneOrMany>,
    regex: Option<String>,
    has: Option<OneOrMany>,
    cidr: Option<OneOrMany>,
    ports: Option<Vec<i64>>,
    #[serde(default)]
    case_sensitive: bool,
    #[serde(default)]
    not: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFilter {
    id: String,
    title: String,
    reason: String,
    detection_types: Vec<String>,
    #[serde(default = "yes")]
    enabled: bool,
    owner: Option<String>,
    created: Option<toml::Value>,
    expires: Option<toml::Value>,
    site_values: Option<String>,
    #[serde(default)]
    when: Vec<Spanned<RawCondition>>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    filter: Vec<Spanned<RawFilter>>,
}

/// A problem in a tuning file, with its line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TuningIssue {
    pub file: String,
    pub line: Option<usize>,
    pub message: String,
}

impl std::fmt::Display for TuningIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(l) => write!(f, "{}: line {l}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

fn line_of(text: &str, offset: usize) -> usize {
    1 + text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
}

fn date_text(v: Option<toml::Value>) -> Option<String> {
    v.map(|v| match v {
        toml::Value::String(s) => s,
        other => other.to_string(),
    })
}

/// Fields a condition may name: the contract columns and the extras.
pub fn known_field(name: &str) -> bool {
    crate::detect::findings::contract_columns()
        .iter()
        .any(|(c, _)| *c == name)
        || crate::detect::findings::EXTRA_COLUMNS.contains(&name)
}

fn compile_condition(raw: RawCondition) -> Result<Condition, String> {
    let fields = raw.field.into_vec();
    if let Some(bad) = fields.iter().find(|f| !known_field(f)) {
        return Err(format!("unknown field {bad:?}; use a findings column such as DeviceName, ProcessCommandLine, IPAddress, User"));
    }
    let mut matchers = Vec::new();
    if let Some(v) = raw.equals {
        matchers.push(Matcher::Equals {
            values: v.into_vec(),
            case_sensitive: raw.case_sensitive,
        });
    }
    if let Some(v) = raw.in_ {
        matchers.push(Matcher::Equals {
            values: v,
            case_sensitive: raw.case_sensitive,
        });
    }
    if let Some(v) = raw.glob {
        matchers.push(Matcher::glob(v.into_vec()).map_err(|e| format!("bad glob: {e}"))?);
    }
    if let Some(r) = raw.regex {
        matchers.push(Matcher::Regex(
            regex::Regex::new(&r).map_err(|e| format!("bad regex {r:?}: {e}"))?,
        ));
    }
    if let Some(v) = raw.has {
        let terms = v.into_vec();
        if terms.iter().any(String::is_empty) {
            return Err("has: empty term".into());
        }
        matchers.push(Matcher::Has(HasAny::new(&terms)));
    }
    if let Some(v) = raw.cidr {
        let nets = v
            .into_vec()
            .iter()
            .map(|c| {
                Cidr::parse(c).ok_or_else(|| {
                    format!("bad CIDR {c:?}; expected e.g. 203.0.113.0/24 or 2001:db8::/32")
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        matchers.push(Matcher::Cidr(nets));
    }
    if let Some(p) = raw.ports {
        matchers.push(Matcher::Ports(p));
    }
    match matchers.len() {
        1 => Ok(Condition {
            fields,
            matcher: matchers.remove(0),
            negate: raw.not,
        }),
        0 => Err("condition needs one of equals, in, glob, regex, has, cidr, ports".into()),
        _ => Err(
            "condition has more than one of equals, in, glob, regex, has, cidr, ports; split it"
                .into(),
        ),
    }
}

/// Parses a tuning file's text; `name` is used in messages.
pub fn parse_tuning(name: &str, text: &str) -> (Vec<Filter>, Vec<TuningIssue>) {
    let issue = |line: Option<usize>, message: String| TuningIssue {
        file: name.to_string(),
        line,
        message,
    };
    let raw: RawFile = match toml::from_str(text) {
        Ok(r) => r,
        Err(e) => {
            let line = e.span().map(|s| line_of(text, s.start));
            return (Vec::new(), vec![issue(line, e.message().to_string())]);
        }
    };
    let mut filters = Vec::new();
    let mut issues = Vec::new();
    for spanned in raw.filter {
        let line = line_of(text, spanned.span().start);
        let f = spanned.into_inner();
        let mut types = Vec::new();
        let mut ok = true;
        for t in &f.detection_types {
            match DetectionType::from_name(t) {
                Some(k) => types.push(k),
                None => {
                    issues.push(issue(
                        Some(line),
                        format!("filter {:?} left out: unknown detection type {t:?}", f.id),
                    ));
                    ok = false;
                }
            }
        }
        let mut conditions = Vec::new();
        for c in f.when {
            let cline = line_of(text, c.span().start);
            match compile_condition(c.into_inner()) {
                Ok(c) => conditions.push(c),
                Err(e) => {
                    issues.push(issue(
                        Some(cline),
                        format!("filter {:?} left out: {e}", f.id),
                    ));
                    ok = false;
                }
            }
        }
        if conditions.is_empty() && ok {
            issues.push(issue(
                Some(line),
                format!("filter {:?} left out: no [[filter.when]] condition", f.id),
            ));
            ok = false;
        }
        if filters.iter().any(|g: &Filter| g.id == f.id) {
            issues.push(issue(
                Some(line),
                format!("filter id {:?} used twice; the second is left out", f.id),
            ));
            ok = false;
        }
        if !ok {
            continue;
        }
        {
            filters.push(Filter {
                id: f.id,
                title: f.title,
                reason: f.reason,
                detection_types: types,
                enabled: f.enabled,
                owner: f.owner,
                created: date_text(f.created),
                expires: date_text(f.expires),
                conditions,
                needs_site_values: f.site_values,
                origin: format!("{name}:{line}"),
            });
        }
    }
    (filters, issues)
}
