//! The detections' conditions: each derivation agrees with the others, and the definitions are
//! the seed queries' words.

use std::collections::HashSet;

use polars::prelude::*;

use super::anonymized_signin::SUCCESSFUL_SIGNIN;
use super::condition::{Condition, List};
use super::multihop_proxy::{
    self, network_reason, process_reason, KNOWN_PROXY_TOOLS, PROXY_TOOL_LAUNCH, SSH_FILE_NAMES,
    SSH_MULTI_HOP_PROXY, SSH_PROXY_ARGS, SUSPICIOUS_PROXY_ARGS, TOR_PORTS, TOR_PORT_CONNECTION,
};
use super::prefilter::{network_filter, process_filter};
use super::registry::DetectionType;
use crate::tuning::kql::{QUERY_004, RULE_000};

/// What the Polars expression says for each row of `df` (null counts as false: `where` drops
/// it).
fn by_expr(condition: &Condition, df: &DataFrame) -> Vec<bool> {
    let out = df
        .clone()
        .lazy()
        .select([condition.to_expr().alias("holds")])
        .collect()
        .expect("the expression evaluates");
    out.column("holds")
        .expect("column")
        .bool()
        .expect("boolean")
        .iter()
        .map(|v| v == Some(true))
        .collect()
}

/// What the row test says for each row of cells.
fn by_row_test(condition: &Condition, columns: &[&str], rows: &[Vec<Option<&str>>]) -> Vec<bool> {
    let (reads, test) = condition.row_test();
    rows.iter()
        .map(|row| {
            let cells: Vec<Option<&str>> = reads
                .iter()
                .map(|c| row[columns.iter().position(|n| n == c).expect("a column")])
                .collect();
            test(&cells)
        })
        .collect()
}

/// A string column as the loader types it: a missing cell is `""`, anything else as read.
fn typed_strings<'a>(name: &str, cells: impl Iterator<Item = Option<&'a str>>) -> Column {
    let values: Vec<&str> = cells.map(|c| c.unwrap_or("")).collect();
    Column::new(name.into(), values)
}

/// Asserts that the row test and the expression agree on every row, and returns the answers.
fn agree(
    what: &str,
    condition: &Condition,
    df: &DataFrame,
    columns: &[&str],
    rows: &[Vec<Option<&str>>],
) -> Vec<bool> {
    let expr = by_expr(condition, df);
    let row = by_row_test(condition, columns, rows);
    for (i, cells) in rows.iter().enumerate() {
        // Necessary: whatever the expression keeps, the row test keeps; here, exactly equal.
        assert_eq!(
            row[i], expr[i],
            "{what}: row test {} vs expression {} on {cells:?}",
            row[i], expr[i]
        );
    }
    expr
}

/// A cell as read: `None` where the row has none.
type Cell = Option<&'static str>;

/// (FileName, ProcessCommandLine, ProxyToolLaunch, SSHMultiHopProxy)
const PROCESS_ROWS: &[(Cell, Cell, bool, bool)] = &[
    (Some("tor.exe"), Some("tor.exe -f torrc"), true, false),
    (Some(r"C:\x\TOR.EXE"), Some(""), true, false),
    (Some("mytor.exe"), Some("mytor.exe"), false, false),
    (
        Some("proxychains4"),
        Some("proxychains4 -q curl"),
        false,
        false,
    ),
    (
        Some("bash"),
        Some("/tmp/test_proxychains.conf"),
        true,
        false,
    ),
    (Some("éproxychains"), None, true, false),
    (Some("microsocks"), Some("microsocks -p 1080"), true, false),
    (
        Some("curl.exe"),
        Some("curl --socks5-hostname h"),
        true,
        false,
    ),
    (Some("curl.exe"), Some("curl socks5h://h"), false, false),
    (Some("cmd.exe"), Some("docker run -d nginx"), true, false),
    (Some("cmd.exe"), Some("gcc -DDEBUG x.c"), false, false),
    (Some("cmd.exe"), Some("x -o ProxyCommand=y"), true, false),
    (Some("cmd.exe"), Some("x -oProxyCommand=y"), false, false),
    (Some("ssh"), Some("ssh -D 1080 host"), true, true),
    (Some("ssh.exe"), Some("ssh -J jump host"), false, true),
    (Some("SSH.EXE"), Some("ssh -w 0:0 host"), false, true),
    (Some("Plink.exe"), Some("plink -D 1080 host"), true, true),
    (Some("ssh"), Some("ssh -o ProxyJump=jump host"), true, true),
    (Some("ssh"), Some("ssh -J"), false, false),
    (Some("ssh"), Some("ssh host"), false, false),
    (Some("ssh"), None, false, false),
    (Some("ssh2"), Some("ssh -J jump host"), false, false),
    (Some(" ssh"), Some("ssh -J jump host"), false, false),
    (Some("\u{017F}sh"), Some("ssh -J jump host"), false, false),
    (None, Some("proxychains curl x"), true, false),
    (None, Some("-J host"), false, false),
    (None, None, false, false),
    (Some("null"), Some("null"), false, false),
    (Some("\u{212A}ubectl"), Some("\u{017F}ocks5"), false, false),
];

#[test]
fn process_conditions_row_test_equals_expression() {
    let columns = ["FileName", "ProcessCommandLine"];
    let rows: Vec<Vec<Option<&str>>> = PROCESS_ROWS.iter().map(|r| vec![r.0, r.1]).collect();
    let df = DataFrame::new_infer_height(vec![
        typed_strings("FileName", PROCESS_ROWS.iter().map(|r| r.0)),
        typed_strings("ProcessCommandLine", PROCESS_ROWS.iter().map(|r| r.1)),
    ])
    .expect("frame");
    let leaves = [
        Condition::has_any("FileName", List::inline(KNOWN_PROXY_TOOLS)),
        Condition::has_any("ProcessCommandLine", List::inline(SUSPICIOUS_PROXY_ARGS)),
        Condition::in_ci("FileName", List::inline(SSH_FILE_NAMES)),
        Condition::has_any("ProcessCommandLine", List::inline(SSH_PROXY_ARGS)),
    ];
    for leaf in &leaves {
        agree(&leaf.kql(), leaf, &df, &columns, &rows);
    }
    let ptl = agree("ProxyToolLaunch", &PROXY_TOOL_LAUNCH, &df, &columns, &rows);
    let ssh = agree(
        "SSHMultiHopProxy",
        &SSH_MULTI_HOP_PROXY,
        &df,
        &columns,
        &rows,
    );
    for (i, r) in PROCESS_ROWS.iter().enumerate() {
        assert_eq!((ptl[i], ssh[i]), (r.2, r.3), "{r:?}");
    }
    // hunt's process filter is the two legs' `or`, on the same cells.
    let filter = process_filter();
    assert_eq!(filter.columns, columns);
    for (i, cells) in rows.iter().enumerate() {
        assert_eq!((filter.keep)(cells), ptl[i] || ssh[i], "{cells:?}");
    }
}

/// (RemotePort as read, RemotePort as the loader types it, RemoteIPType as read, TorPortConnection)
const NETWORK_ROWS: &[(Cell, Option<i64>, Cell, bool)] = &[
    (Some("9050"), Some(9050), Some("Public"), true),
    (Some("9001"), Some(9001), Some("Public"), true),
    (Some("9151"), Some(9151), Some("Public"), true),
    (Some("9050.0"), Some(9050), Some("Public"), true),
    (Some(" 9050 "), Some(9050), Some("Public"), true),
    (Some("9050"), Some(9050), Some("public"), false),
    (Some("9050"), Some(9050), Some(" Public"), false),
    (Some("9050"), Some(9050), Some("Private"), false),
    (Some("9050"), Some(9050), None, false),
    (Some("9152"), Some(9152), Some("Public"), false),
    (Some("443"), Some(443), Some("Public"), false),
    (Some("-9050"), Some(-9050), Some("Public"), false),
    (None, None, Some("Public"), false),
    (Some("null"), None, Some("Public"), false),
    (Some("NULL"), None, Some("Public"), false),
    // Unreadable: typed as null (and the row is kept whatever the test says, see data::row_filter).
    (Some("9050.5"), None, Some("Public"), false),
    (Some("tor"), None, Some("Public"), false),
];

#[test]
fn network_condition_row_test_equals_expression() {
    let columns = ["RemotePort", "RemoteIPType"];
    let rows: Vec<Vec<Option<&str>>> = NETWORK_ROWS.iter().map(|r| vec![r.0, r.2]).collect();
    let ports: Vec<Option<i64>> = NETWORK_ROWS.iter().map(|r| r.1).collect();
    let df = DataFrame::new_infer_height(vec![
        Column::new("RemotePort".into(), ports),
        typed_strings("RemoteIPType", NETWORK_ROWS.iter().map(|r| r.2)),
    ])
    .expect("frame");
    for leaf in TOR_PORT_CONNECTION.where_clauses() {
        agree(&leaf.kql(), leaf, &df, &columns, &rows);
    }
    let tor = agree(
        "TorPortConnection",
        &TOR_PORT_CONNECTION,
        &df,
        &columns,
        &rows,
    );
    for (i, r) in NETWORK_ROWS.iter().enumerate() {
        assert_eq!(tor[i], r.3, "{r:?}");
    }
    let filter = network_filter();
    assert_eq!(filter.columns, columns);
    for (i, cells) in rows.iter().enumerate() {
        assert_eq!((filter.keep)(cells), tor[i], "{cells:?}");
    }
}

#[test]
fn signin_conditions_row_test_equals_expression() {
    // (ResultType as read, a success)
    let results: &[(Option<&str>, bool)] = &[
        (Some("0"), true),
        (Some("00"), false),
        (Some(" 0"), false),
        (Some("0 "), false),
        (Some("50126"), false),
        (Some("null"), false),
        (None, false),
    ];
    let rows: Vec<Vec<Option<&str>>> = results.iter().map(|r| vec![r.0]).collect();
    let df = DataFrame::new_infer_height(vec![typed_strings(
        "ResultType",
        results.iter().map(|r| r.0),
    )])
    .expect("frame");
    let ok = agree(
        "ResultType",
        &SUCCESSFUL_SIGNIN,
        &df,
        &["ResultType"],
        &rows,
    );
    assert_eq!(ok, results.iter().map(|r| r.1).collect::<Vec<_>>());

    // The join's side of the sign-in filter: IPAddress among a set, compared as it is.
    let addresses: &[(Option<&str>, bool)] = &[
        (Some("1.2.3.4"), true),
        (Some(" 1.2.3.4"), false),
        (Some("1.2.3.40"), false),
        (Some(""), false),
        (None, false),
    ];
    let set: HashSet<String> = ["1.2.3.4".to_string()].into();
    let among = Condition::in_set("IPAddress", "addresses", set);
    let rows: Vec<Vec<Option<&str>>> = addresses.iter().map(|r| vec![r.0]).collect();
    let df = DataFrame::new_infer_height(vec![typed_strings(
        "IPAddress",
        addresses.iter().map(|r| r.0),
    )])
    .expect("frame");
    let ok = agree("IPAddress in set", &among, &df, &["IPAddress"], &rows);
    assert_eq!(ok, addresses.iter().map(|r| r.1).collect::<Vec<_>>());
}

fn words(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Each leg's `where` lines, rendered from its condition, are the seed's, in its place (after
/// the leg's table and time window, before its `extend`), and its named lists are the seed's
/// `let` lines.
#[test]
fn conditions_are_the_seed_queries_words() {
    let seed = words(QUERY_004);
    let legs = [
        (
            "ProxyProcesses",
            "DeviceProcessEvents",
            DetectionType::ProxyToolLaunch,
        ),
        (
            "TorConnections",
            "DeviceNetworkEvents",
            DetectionType::TorPortConnection,
        ),
        (
            "SSHProxyChain",
            "DeviceProcessEvents",
            DetectionType::SshMultiHopProxy,
        ),
    ];
    let mut lets = Vec::new();
    for (name, table, kind) in legs {
        let condition = multihop_proxy::condition(kind).expect("a query-004 leg");
        let wheres: String = condition
            .where_clauses()
            .iter()
            .map(|c| format!(" | where {}", c.kql()))
            .collect();
        let expected = words(&format!(
            "let {name} = {table} | where Timestamp > ago(24h){wheres} \
             | extend DetectionType = \"{}\"",
            kind.name()
        ));
        assert!(seed.contains(&expected), "not in the seed: {expected}");
        lets.extend(condition.lets());
    }
    let mut seed_lets: Vec<String> = QUERY_004
        .lines()
        .filter(|l| l.starts_with("let ") && l.contains("dynamic("))
        .map(words)
        .collect();
    lets.sort();
    seed_lets.sort();
    assert_eq!(lets, seed_lets);
    assert_eq!(
        multihop_proxy::condition(DetectionType::AnonymizedSignIn).map(|c| c.kql()),
        None
    );

    let expected = words(&format!(
        "AADNonInteractiveUserSignInLogs | where TimeGenerated > ago(1h) | where {} \
         | join kind=inner TorExitIPs",
        SUCCESSFUL_SIGNIN.kql()
    ));
    assert!(words(RULE_000).contains(&expected), "{expected}");
    assert_eq!(SUCCESSFUL_SIGNIN.kql(), "ResultType == 0");
}

/// A filter's identity spells its lists out, so that a changed list is a different filter to
/// the cache.
#[test]
fn identities_spell_the_lists_out() {
    assert_eq!(
        network_filter().identity,
        "query-004 network leg: RemotePort in (9001, 9030, 9040, 9050, 9051, 9150, 9151) \
         and RemoteIPType == \"Public\""
    );
    let process = process_filter().identity;
    for entry in KNOWN_PROXY_TOOLS
        .iter()
        .chain(SUSPICIOUS_PROXY_ARGS)
        .chain(SSH_FILE_NAMES)
        .chain(SSH_PROXY_ARGS)
    {
        assert!(process.contains(&format!("\"{entry}\"")), "{entry}");
    }
    assert!(!process.contains("KnownProxyTools"));
    assert_eq!(TOR_PORTS.len(), 7);
}

/// The reasons come from the same matchers, in the words findings have always used.
#[test]
fn reasons_name_the_entry_that_matched() {
    let cases = [
        (
            DetectionType::ProxyToolLaunch,
            "tor.exe",
            "tor.exe -f torrc",
            "FileName has \"tor.exe\" at offset 0",
        ),
        (
            DetectionType::ProxyToolLaunch,
            "curl.exe",
            "curl --socks5-hostname h",
            "ProcessCommandLine has \"socks5\" at offset 7",
        ),
        (
            DetectionType::ProxyToolLaunch,
            "ssh",
            "ssh -o ProxyJump=j -D 1080",
            "ProcessCommandLine has \"ProxyJump\" at offset 7",
        ),
        (
            DetectionType::SshMultiHopProxy,
            "SSH.EXE",
            "ssh -J jump host",
            "FileName in~ \"ssh.exe\"; ProcessCommandLine has \"-J \" at offset 4",
        ),
        (
            DetectionType::SshMultiHopProxy,
            "Plink.exe",
            "plink -D 1080 host",
            "FileName in~ \"plink.exe\"; ProcessCommandLine has \"-D \" at offset 6",
        ),
    ];
    for (kind, file, command, expected) in cases {
        assert_eq!(process_reason(kind, file, command), expected);
    }
    assert_eq!(
        network_reason(Some(9050)),
        "RemotePort 9050 in TorPorts; RemoteIPType == \"Public\""
    );
    assert_eq!(
        network_reason(None),
        "RemotePort ? in TorPorts; RemoteIPType == \"Public\""
    );
}

#[test]
fn schema_marks_every_column_a_condition_tests_as_needed() {
    // The schema's `Filter` marks decide which tables can serve a detection (`check`, "not
    // run"); they must name every column the conditions read, or a table missing one would be
    // reported usable and give no findings silently.
    use crate::data::table::schema::{Need, TableKind};
    let legs: [(&Condition, TableKind); 4] = [
        (&PROXY_TOOL_LAUNCH, TableKind::DeviceProcess),
        (&SSH_MULTI_HOP_PROXY, TableKind::DeviceProcess),
        (&TOR_PORT_CONNECTION, TableKind::DeviceNetwork),
        (&SUCCESSFUL_SIGNIN, TableKind::SignIn),
    ];
    for (condition, table) in legs {
        let (columns, _) = condition.row_test();
        for column in columns {
            let spec = table
                .columns()
                .iter()
                .find(|s| s.name == column)
                .unwrap_or_else(|| panic!("{column} is not a column of {}", table.name()));
            assert!(
                matches!(spec.need, Need::Filter),
                "{}.{column} is tested by a condition but not marked Filter",
                table.name()
            );
        }
    }
    // The sign-in side's join key and the indicator columns the rule's `where`s read.
    for (table, column) in [
        (TableKind::SignIn, "IPAddress"),
        (TableKind::ThreatIntel, "IsActive"),
        (TableKind::ThreatIntel, "Tags"),
        (TableKind::ThreatIntel, "Pattern"),
        (TableKind::ThreatIntel, "ValidUntil"),
        (TableKind::ThreatIntel, "TimeGenerated"),
    ] {
        let spec = table.columns().iter().find(|s| s.name == column).unwrap();
        assert!(matches!(spec.need, Need::Filter), "{column}");
    }
}
