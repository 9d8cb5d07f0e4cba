//! How a condition matches a field: equality or membership (ASCII case-insensitive unless asked),
//! glob, regex, KQL `has`, CIDR ranges, port numbers.

use std::net::IpAddr;

use regex::Regex;

use crate::kql::has::HasAny;

#[derive(Debug, Clone)]
pub enum Matcher {
    /// Whole-value equality with any of the values.
    Equals {
        values: Vec<String>,
        case_sensitive: bool,
    },
    /// Shell-style patterns (`*`, `?`), ASCII case-insensitive, compiled to one anchored regex
    /// ([`glob_regex`]) that the KQL form uses word for word.
    Glob {
        patterns: Vec<String>,
        regex: Regex,
    },
    Regex(Regex),
    /// KQL `has_any` (term-aligned, ASCII case-insensitive).
    Has(HasAny),
    /// IPv4 and IPv6 networks. A value must be an address as it is (no spaces): Kusto's
    /// `ipv4_is_in_any_range` gives null for anything else, and the KQL form counts that as no
    /// match. An IPv4 address is never in an IPv6 network here, whatever the network.
    Cidr(Vec<Cidr>),
    /// Port numbers, compared as numbers (the `RemotePort` column only).
    Ports(Vec<u16>),
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    pub addr: IpAddr,
    pub prefix: u8,
}

impl Cidr {
    /// Parses `10.0.0.0/8`, `2001:db8::/32`, or a bare address (a /32 or /128).
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.trim().split_once('/') {
            Some((a, p)) => (a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?),
            None => {
                let a = text.trim().parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    pub fn contains(&self, ip: &IpAddr) -> bool {
        fn bits(ip: &IpAddr) -> (u128, u32) {
            match ip {
                IpAddr::V4(v) => (u128::from(u32::from(*v)), 32),
                IpAddr::V6(v) => (u128::from(*v), 128),
            }
        }
        let ((net, width), (addr, w2)) = (bits(&self.addr), bits(ip));
        if width != w2 {
            return false;
        }
        if self.prefix == 0 {
            return true;
        }
        let shift = width - u32::from(self.prefix);
        (net >> shift) == (addr >> shift)
    }
}

/// One glob as regex source: `*` any run of characters (line breaks too), `?` one character,
/// ASCII letters as `[aA]` classes and everything else literal. The classes fold ASCII case
/// only, as `=~` and `has` do; `(?i)` would fold Unicode too (the Kelvin sign would match `k`).
pub fn glob_to_regex(pattern: &str) -> String {
    let mut out = String::new();
    for c in pattern.chars() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            c if c.is_ascii_alphabetic() => {
                out.push('[');
                out.push(c.to_ascii_lowercase());
                out.push(c.to_ascii_uppercase());
                out.push(']');
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

/// Globs as one anchored regex, the same text in Rust and in KQL's `matches regex`.
pub fn glob_regex(patterns: &[String]) -> String {
    let alternatives: Vec<String> = patterns.iter().map(|p| glob_to_regex(p)).collect();
    format!("(?s)^(?:{})$", alternatives.join("|"))
}

impl Matcher {
    pub fn glob(patterns: Vec<String>) -> Result<Matcher, regex::Error> {
        let regex = Regex::new(&glob_regex(&patterns))?;
        Ok(Matcher::Glob { patterns, regex })
    }

    pub fn matches(&self, value: &str) -> bool {
        match self {
            Matcher::Equals {
                values,
                case_sensitive: true,
            } => values.iter().any(|v| v == value),
            Matcher::Equals {
                values,
                case_sensitive: false,
            } => values.iter().any(|v| v.eq_ignore_ascii_case(value)),
            Matcher::Glob { regex, .. } | Matcher::Regex(regex) => regex.is_match(value),
            Matcher::Has(any) => any.is_match(value),
            Matcher::Cidr(nets) => value
                .parse::<IpAddr>()
                .is_ok_and(|ip| nets.iter().any(|n| n.contains(&ip))),
            Matcher::Ports(ports) => crate::data::values::parse_int(value)
                .is_some_and(|p| ports.iter().any(|&q| i64::from(q) == p)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cidr_and_glob() {
        let net = Cidr::parse("203.0.113.0/24").unwrap();
        assert!(net.contains(&"203.0.113.10".parse().unwrap()));
        assert!(!net.contains(&"203.0.114.10".parse().unwrap()));
        assert!(!net.contains(&"::1".parse().unwrap()));
        assert!(Cidr::parse("2001:db8::/32")
            .unwrap()
            .contains(&"2001:db8::5".parse().unwrap()));
        assert_eq!(Cidr::parse("10.0.0.0/33"), None);
        assert_eq!(Cidr::parse("nope"), None);
        let g = Matcher::glob(vec!["lab-*".into(), "*.pentest.local".into()]).unwrap();
        assert!(g.matches("LAB-PT01.contoso.com"));
        assert!(g.matches("kali.pentest.local"));
        assert!(!g.matches("fin-lab-01"));
        let m = Matcher::Equals {
            values: vec!["Docker".into()],
            case_sensitive: false,
        };
        assert!(m.matches("docker") && !m.matches("docker.exe"));
        assert!(
            Matcher::Ports(vec![9050]).matches("9050") && !Matcher::Ports(vec![9050]).matches("")
        );
    }
}
