//! The examples of `kql-semantics.md`, one row each, plus our own edge cases.

use super::has::{has, has_at, in_ci, HasAny};
use super::time::parse_duration;

/// (lhs, rhs, expected) for `lhs has rhs`.
const HAS_CASES: &[(&str, &str, bool)] = &[
    // kql-semantics.md, one-term right-hand sides
    ("North America", "america", true),
    ("KustoExplorerQueryRun", "Explorer", false),
    ("Hello_World", "world", true),
    ("Hello_World", "hello", true),
    // kql-semantics.md, phrase rule
    (r"C:\x\TOR.EXE", "tor.exe", true),
    ("mytor.exe", "tor.exe", false),
    ("ssh -D 1080", "-D ", true),
    ("docker run -d nginx", "-D ", true),
    ("ssh -D", "-D ", false),
    ("gcc -DDEBUG", "-D ", false),
    ("-oProxyCommand=x", "-o ProxyCommand", false),
    ("proxychains4", "proxychains", false),
    ("/tmp/test_proxychains.conf", "proxychains", true),
    ("socks5h://x", "socks5", false),
    ("--socks5-hostname", "socks5", true),
    // non-ASCII letters separate terms
    ("éproxychains", "proxychains", true),
    ("proxychainsé", "proxychains", true),
    // ASCII-only folding: the Kelvin sign is not k, long s is not s
    ("\u{212A}ubectl", "kubectl", false),
    ("\u{017F}ocks5", "socks5", false),
    ("SOCKS5", "socks5", true),
    // every occurrence is tried, not only the first
    ("mytor.exe then tor.exe", "tor.exe", true),
    ("xproxychains proxychains", "proxychains", true),
    ("xproxychains proxychainsx", "proxychains", false),
    // right-hand side with a letter at one end only
    ("ssh -oProxyJump", "-o ProxyCommand", false),
    ("a -J host", "-J ", true),
    ("a-J host", "-J ", true),
    ("ssh -w 0:0 x", "-w ", true),
    ("ssh -w", "-w ", false),
    // threat-intel patterns
    ("[ipv4-addr:value = '1.2.3.4']", "ipv4-addr:value", true),
    ("[IPV4-ADDR:VALUE = '1.2.3.4']", "ipv4-addr:value", true),
    ("[ipv6-addr:value = '::1']", "ipv4-addr:value", false),
    ("[xipv4-addr:value = '1.2.3.4']", "ipv4-addr:value", false),
    ("[ipv4-addr:values = '1.2.3.4']", "ipv4-addr:value", false),
    // tags
    ("tor", "tor", true),
    ("tor,exit", "tor", true),
    ("[\"Tor\",\"indicator\"]", "tor", true),
    ("torproject", "tor", false),
    ("vpn-exit", "vpn", true),
    ("", "tor", false),
    ("tor", "", false),
];

#[test]
fn has_table() {
    for &(lhs, rhs, expected) in HAS_CASES {
        assert_eq!(has(lhs, rhs), expected, "{lhs:?} has {rhs:?}");
        let any = HasAny::new(&[rhs]);
        assert_eq!(any.is_match(lhs), expected, "{lhs:?} has_any ({rhs:?})");
        assert_eq!(
            any.first_match(lhs).is_some(),
            expected,
            "first_match {lhs:?} {rhs:?}"
        );
    }
}

#[test]
fn has_any_is_or_of_has() {
    let terms = crate::detect::multihop_proxy::SUSPICIOUS_PROXY_ARGS;
    let any = HasAny::new(terms);
    for &(lhs, _, _) in HAS_CASES {
        let expected = terms.iter().any(|t| has(lhs, t));
        assert_eq!(any.is_match(lhs), expected, "{lhs:?}");
    }
}

/// `has_any` against `has` term by term, on generated texts built from the terms' own pieces
/// in mixed case, with separators, repeats and overlaps around them: the fast start search
/// must find every term the plain search finds and no other.
#[test]
fn has_any_matches_has_on_generated_texts() {
    use crate::detect::multihop_proxy::{SSH_PROXY_ARGS, SUSPICIOUS_PROXY_ARGS};
    let lists: Vec<Vec<&str>> = vec![
        SUSPICIOUS_PROXY_ARGS.to_vec(),
        SSH_PROXY_ARGS.to_vec(),
        vec![
            "tor.exe",
            "tor2web",
            "proxychains",
            "proxifier.exe",
            "3proxy.exe",
        ],
        vec!["ab", "b", "aba", "-"],
        // Starts that overlap: a miss at one must not hide a find inside it ("ba-b").
        vec!["a-", "-b", "bab"],
        vec!["K", "\u{212a}x", "é"],
    ];
    // On a CPU with SIMD the start search is what runs (so this tests it, not the automaton).
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        assert!(HasAny::new(SUSPICIOUS_PROXY_ARGS).uses_start_search());
    }
    let pieces = [
        "-",
        " ",
        "D",
        "d",
        "-D ",
        "-d",
        "o",
        "-o ",
        "proxy",
        "PROXY",
        "Jump",
        "socks",
        "5",
        "4",
        "chains",
        "tor",
        "2web",
        "=",
        "\"",
        "\\",
        "a",
        "b",
        "K",
        "\u{212a}",
        "é",
        "x",
        "DynamicForward",
        "ProxyCommand",
        "-w ",
        "-J ",
        "\t",
        "ssh",
        ".exe",
    ];
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut next = |n: usize| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize % n
    };
    for terms in &lists {
        let any = HasAny::new(terms);
        for _ in 0..20_000 {
            let len = next(24);
            let text: String = (0..len).map(|_| pieces[next(pieces.len())]).collect();
            let expected = terms.iter().any(|t| has(&text, t));
            assert_eq!(any.is_match(&text), expected, "{text:?} has_any {terms:?}");
        }
    }
}

#[test]
fn has_any_reports_earliest_aligned_match() {
    let any = HasAny::new(&["tor.exe", "-D "]);
    let m = any
        .first_match("mytor.exe -D 1080 tor.exe")
        .expect("matches");
    assert_eq!((any.terms()[m.term].as_str(), m.offset), ("-D ", 10));
    assert_eq!(has_at("ssh -D 1080", "-D "), Some(4));
    assert_eq!(has_at("ssh -d x -D y", "-D "), Some(4));
}

#[test]
fn in_ci_is_ascii_case_insensitive_whole_string() {
    let list = ["ssh.exe", "ssh", "plink.exe"];
    assert_eq!(in_ci("SSH.EXE", &list), Some(0));
    assert_eq!(in_ci("Plink.exe", &list), Some(2));
    assert_eq!(in_ci("ssh2", &list), None);
    assert_eq!(in_ci(" ssh", &list), None);
    assert_eq!(in_ci("\u{017F}sh", &list), None);
}

#[test]
fn durations() {
    use super::time::{DAY, HOUR, MINUTE};
    assert_eq!(parse_duration("90m"), Some(90 * MINUTE));
    assert_eq!(parse_duration("12h"), Some(12 * HOUR));
    assert_eq!(parse_duration("7d"), Some(7 * DAY));
    assert_eq!(parse_duration("1.5h"), Some(90 * MINUTE));
    assert_eq!(parse_duration("7"), None);
    assert_eq!(parse_duration("7w"), None);
    assert_eq!(parse_duration("-1h"), None);
}
