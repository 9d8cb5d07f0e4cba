//! Addresses an analyst reads in a threat-intel pattern that rule 000's `extract` cannot:
//! `ipv6-addr` patterns, CIDR ranges, `network-traffic` references, and values spelled with
//! spaces, zero padding, upper case or no spaces around `=`. Also plain Tor exit lists (one
//! address per line, as the Tor Project publishes them).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;
use std::sync::LazyLock;

use regex::Regex;

/// How an indicator names an address, for the finding's reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum PatternForm {
    Ipv6,
    Cidr,
    NetworkTraffic,
    /// An IPv4 value the rule would read differently or not at all: spaces inside the quotes,
    /// zero padding, an upper-case pattern, no spaces around `=`.
    Spelling,
    /// An address after the first of a pattern that names several (`[...] OR [...]`): the
    /// rule's extract reads the first match only.
    LaterObservable,
    /// A line of a Tor exit list.
    ExitList,
    /// A row of the legacy `ThreatIntelligenceIndicator` table.
    Legacy,
}

/// The sign-in checks, in report order.
pub const SIGNIN_FORMS: &[PatternForm] = &[
    PatternForm::Ipv6,
    PatternForm::Cidr,
    PatternForm::NetworkTraffic,
    PatternForm::Spelling,
    PatternForm::LaterObservable,
    PatternForm::ExitList,
    PatternForm::Legacy,
];

impl PatternForm {
    pub fn check_name(self) -> &'static str {
        match self {
            PatternForm::Ipv6 => "ti-ipv6",
            PatternForm::Cidr => "ti-cidr",
            PatternForm::NetworkTraffic => "ti-network-traffic",
            PatternForm::Spelling => "ti-spelling",
            PatternForm::LaterObservable => "ti-later-observable",
            PatternForm::ExitList => "tor-exit-list",
            PatternForm::Legacy => "legacy-ti",
        }
    }

    pub fn why(self) -> &'static str {
        match self {
            PatternForm::Ipv6 => {
                "an ipv6-addr pattern names it; the rule keeps only patterns that have \
                 \"ipv4-addr:value\""
            }
            PatternForm::Cidr => {
                "a CIDR range holds it; the rule joins the extracted text (\"a.b.c.0/24\") to the \
                 address as a string, which never equals one"
            }
            PatternForm::NetworkTraffic => {
                "a network-traffic pattern names it; the rule's extract reads only \
                 ipv4-addr:value = '...'"
            }
            PatternForm::Spelling => {
                "the pattern or the sign-in spells the address with spaces, zero padding, upper \
                 case or no spaces around '=', which the rule's case-sensitive extract and exact \
                 string join do not read as the same address"
            }
            PatternForm::LaterObservable => {
                "the pattern names several addresses and this is not the first; the rule's \
                 extract returns the first match only"
            }
            PatternForm::ExitList => "the Tor exit list given with --tor-list names it",
            PatternForm::Legacy => {
                "an active anonymiser indicator of the legacy ThreatIntelligenceIndicator table \
                 names it (NetworkIP, NetworkSourceIP or NetworkDestinationIP); the rule reads \
                 only ThreatIntelIndicators"
            }
        }
    }
}

/// An address or range an indicator (or list line) names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub base: IpAddr,
    pub prefix: u8,
    pub form: PatternForm,
}

impl Network {
    pub fn contains(&self, ip: IpAddr) -> bool {
        self.base.is_ipv4() == ip.is_ipv4()
            && masked(self.base, self.prefix) == masked(ip, self.prefix)
    }

    /// The single address, when the network is one.
    pub fn host(&self) -> Option<IpAddr> {
        let full = if self.base.is_ipv4() { 32 } else { 128 };
        (self.prefix == full).then_some(self.base)
    }
}

/// `ip` with every bit after the first `prefix` cleared: the network of that length holding it.
pub fn masked(ip: IpAddr, prefix: u8) -> IpAddr {
    match ip {
        IpAddr::V4(a) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V4((u32::from(a) & mask).into())
        }
        IpAddr::V6(a) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
            IpAddr::V6((u128::from(a) & mask).into())
        }
    }
}

static OBSERVABLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(ipv4-addr|ipv6-addr|network-traffic\s*:\s*(?:src|dst)_ref)\s*[:.]\s*value\s*=\s*'([^']*)'",
    )
    .expect("the pattern regex compiles")
});

/// Every address or range `pattern` names, read as an analyst would.
pub fn networks_in_pattern(pattern: &str) -> Vec<Network> {
    OBSERVABLE
        .captures_iter(pattern)
        .enumerate()
        .filter_map(|(n, c)| {
            let kind = c.get(1)?.as_str().to_ascii_lowercase();
            let (base, prefix) = parse_network(c.get(2)?.as_str())?;
            let form = if kind.starts_with("network-traffic") {
                PatternForm::NetworkTraffic
            } else if kind == "ipv6-addr" || base.is_ipv6() {
                PatternForm::Ipv6
            } else if prefix < 32 || c.get(2)?.as_str().contains('/') {
                PatternForm::Cidr
            } else if n > 0 {
                PatternForm::LaterObservable
            } else {
                PatternForm::Spelling
            };
            Some(Network { base, prefix, form })
        })
        .collect()
}

/// `a.b.c.d`, `a.b.c.d/n`, an IPv6 address with an optional `/n`; IPv4 octets may carry zero
/// padding (`185.220.101.047` is read in decimal, as an analyst reads it); spaces around are
/// ignored.
pub fn parse_network(text: &str) -> Option<(IpAddr, u8)> {
    let text = text.trim();
    let (addr, prefix) = match text.split_once('/') {
        Some((a, p)) => (a.trim(), Some(p.trim().parse::<u8>().ok()?)),
        None => (text, None),
    };
    let ip = parse_address(addr)?;
    let full = if ip.is_ipv4() { 32 } else { 128 };
    let prefix = prefix.unwrap_or(full);
    (prefix <= full).then_some((ip, prefix))
}

/// An address as an analyst reads it: IPv4 with zero-padded octets, IPv6, and IPv4-mapped
/// IPv6 (`::ffff:1.2.3.4`) as the IPv4 address it is.
pub fn parse_address(text: &str) -> Option<IpAddr> {
    let text = text.trim();
    if text.contains(':') {
        let v6 = text.parse::<Ipv6Addr>().ok()?;
        return Some(match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        });
    }
    // Four decimal octets of one to three digits each, zero padding allowed; one pass over the
    // bytes (a `--beyond` hunt reads every successful sign-in's address).
    let mut out = [0u8; 4];
    let (mut octet, mut value, mut digits) = (0, 0u16, 0);
    for &b in text.as_bytes() {
        match b {
            b'0'..=b'9' if digits < 3 => {
                value = value * 10 + u16::from(b - b'0');
                digits += 1;
            }
            b'.' if digits > 0 && octet < 3 => {
                out[octet] = u8::try_from(value).ok()?;
                (octet, value, digits) = (octet + 1, 0, 0);
            }
            _ => return None,
        }
    }
    if octet != 3 || digits == 0 {
        return None;
    }
    out[3] = u8::try_from(value).ok()?;
    Some(IpAddr::V4(Ipv4Addr::from(out)))
}

/// A Tor exit list: its addresses, and the lines that could not be read (1-based line, text).
#[derive(Debug, Default)]
pub struct ExitList {
    pub name: String,
    pub addresses: std::collections::HashSet<IpAddr>,
    pub unreadable: Vec<(usize, String)>,
}

/// Reads a Tor exit list: one address per line (the Tor Project's bulk exit list), or the
/// `exit-addresses` document's `ExitAddress a.b.c.d date time` lines (its other lines are
/// skipped). `#` comments and blank lines are skipped; any other line is said.
pub fn read_exit_list(path: &Path) -> std::io::Result<ExitList> {
    let bytes = std::fs::read(path)?;
    let text = String::from_utf8_lossy(&bytes);
    let mut list = ExitList {
        name: path.display().to_string(),
        ..ExitList::default()
    };
    for (i, line) in text.lines().enumerate() {
        let line = line.trim().trim_start_matches('\u{feff}');
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_ascii_whitespace();
        let first = fields.next().unwrap_or("");
        let address = match first {
            "ExitAddress" => fields.next().unwrap_or(""),
            "ExitNode" | "Published" | "LastStatus" => continue,
            _ => first,
        };
        match parse_address(address) {
            Some(ip) => {
                list.addresses.insert(ip);
            }
            None => list
                .unreadable
                .push((i + 1, line.chars().take(80).collect())),
        }
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    /// The dotted-quad reading as it was written before the one-pass parser: split on dots.
    fn split_reading(text: &str) -> Option<IpAddr> {
        let mut out = [0u8; 4];
        let mut parts = text.split('.');
        for slot in &mut out {
            let o = parts.next()?;
            if o.is_empty() || o.len() > 3 || !o.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            *slot = o.parse().ok()?;
        }
        parts
            .next()
            .is_none()
            .then(|| IpAddr::V4(Ipv4Addr::from(out)))
    }

    #[test]
    fn addresses_are_read_with_zero_padding_and_nothing_looser() {
        let cases = [
            ("185.220.101.47", Some("185.220.101.47")),
            (" 185.220.101.047 ", Some("185.220.101.47")),
            ("000.0.00.1", Some("0.0.0.1")),
            ("255.255.255.255", Some("255.255.255.255")),
            ("::ffff:185.220.101.47", Some("185.220.101.47")),
            ("2001:db8::1", Some("2001:db8::1")),
            ("256.1.1.1", None),
            ("1.2.3", None),
            ("1.2.3.4.5", None),
            ("1..2.3", None),
            ("1.2.3.4.", None),
            (".1.2.3", None),
            ("1234.1.1.1", None),
            ("0001.1.1.1", None),
            ("+1.2.3.4", None),
            ("1.2.3.4a", None),
            ("1.2.3.-4", None),
            ("", None),
            ("١.٢.٣.٤", None),
        ];
        for (text, want) in cases {
            assert_eq!(parse_address(text), want.map(ip), "{text:?}");
        }
        // Every short string over the bytes that matter reads as the split reading did.
        let alphabet = [
            "0", "1", "9", "25", "255", "256", "007", "1000", ".", "", "x", "+",
        ];
        for a in alphabet {
            for b in alphabet {
                for c in alphabet {
                    for d in ["0", "1", "255", "256", ".", "x"] {
                        let text = format!("{a}.{b}{c}.{d}.{c}");
                        assert_eq!(parse_address(&text), split_reading(&text), "{text:?}");
                        let text = format!("{a}{b}.{c}{d}");
                        assert_eq!(parse_address(&text), split_reading(&text), "{text:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn patterns_are_read_as_an_analyst_reads_them() {
        let cases: &[(&str, Option<(&str, PatternForm)>)] = &[
            (
                "[ipv6-addr:value = '2a0b:f4c2::24']",
                Some(("2a0b:f4c2::24", PatternForm::Ipv6)),
            ),
            (
                "[ipv4-addr:value = '185.220.101.0/24']",
                Some(("185.220.101.9", PatternForm::Cidr)),
            ),
            (
                "[ipv4-addr:value = '185.220.101.47/32']",
                Some(("185.220.101.47", PatternForm::Cidr)),
            ),
            (
                "[network-traffic:dst_ref.value = '45.66.33.45']",
                Some(("45.66.33.45", PatternForm::NetworkTraffic)),
            ),
            (
                "[ipv4-addr:value = ' 185.220.101.47 ']",
                Some(("185.220.101.47", PatternForm::Spelling)),
            ),
            (
                "[ipv4-addr:value = '185.220.101.047']",
                Some(("185.220.101.47", PatternForm::Spelling)),
            ),
            (
                "[IPV4-ADDR:VALUE = '162.247.74.7']",
                Some(("162.247.74.7", PatternForm::Spelling)),
            ),
            (
                "[ipv4-addr:value='109.70.100.1']",
                Some(("109.70.100.1", PatternForm::Spelling)),
            ),
            (
                "[ipv4-addr:value = '::ffff:1.2.3.4']",
                Some(("1.2.3.4", PatternForm::Spelling)),
            ),
        ];
        for (pattern, want) in cases {
            let got = networks_in_pattern(pattern);
            let (addr, form) = want.unwrap();
            assert_eq!(got.len(), 1, "{pattern}");
            assert!(got[0].contains(ip(addr)), "{pattern} holds {addr}");
            assert_eq!(got[0].form, form, "{pattern}");
        }
        // Near misses: a range that does not hold it, a domain, a hash, an octet over 255,
        // a prefix too long, a value that is no address.
        assert!(
            !networks_in_pattern("[ipv4-addr:value = '185.220.101.0/24']")[0]
                .contains(ip("185.220.102.1"))
        );
        for pattern in [
            "[domain-name:value = 'tor.example']",
            "[file:hashes.'SHA-256' = 'ab']",
            "[ipv4-addr:value = '185.220.101.256']",
            "[ipv4-addr:value = '10.0.0.0/33']",
            "[ipv4-addr:value = 'not an ip']",
            "[ipv4-addr:value = '1.2.3']",
        ] {
            assert!(networks_in_pattern(pattern).is_empty(), "{pattern}");
        }
        // Several observables in one pattern: the rule reads the first only.
        let two = networks_in_pattern(
            "[ipv4-addr:value = '1.2.3.4'] OR [ipv6-addr:value = '2001:db8::1']",
        );
        assert_eq!(two.len(), 2);
        let two = networks_in_pattern(
            "[ipv4-addr:value = '1.1.1.1'] OR [ipv4-addr:value = '185.220.101.47']",
        );
        let forms: Vec<PatternForm> = two.iter().map(|n| n.form).collect();
        assert_eq!(forms, [PatternForm::Spelling, PatternForm::LaterObservable]);
    }

    #[test]
    fn exit_lists_in_both_of_the_tor_projects_shapes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("exits.lst");
        std::fs::write(
            &path,
            "# comment\n185.220.101.47\r\n\n2a0b:f4c2::24\nExitNode 0011\nExitAddress 204.8.96.133 2024-02-27 10:00:00\nnot-an-address\n",
        )
        .unwrap();
        let list = read_exit_list(&path).unwrap();
        for a in ["185.220.101.47", "2a0b:f4c2::24", "204.8.96.133"] {
            assert!(list.addresses.contains(&ip(a)), "{a}");
        }
        assert_eq!(list.addresses.len(), 3);
        assert_eq!(list.unreadable, vec![(7, "not-an-address".to_string())]);
    }
}
