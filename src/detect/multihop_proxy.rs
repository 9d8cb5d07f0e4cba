//! Query 004, "Detect Multi-hop Proxy": three legs over Defender tables, unioned.
//!
//! ```kusto
//! let TorPorts = dynamic([9001, 9030, 9040, 9050, 9051, 9150, 9151]);
//! let KnownProxyTools = dynamic(["tor.exe", "tor2web", "proxychains", "proxifier.exe", "3proxy.exe", "srelay.exe", "microsocks", "redsocks"]);
//! let SuspiciousProxyArgs = dynamic(["proxychains", "socks5", "socks4", "tor2web", "-D ", "DynamicForward", "ProxyJump", "-o ProxyCommand"]);
//! ProxyProcesses: DeviceProcessEvents | where Timestamp > ago(24h)
//!     | where FileName has_any (KnownProxyTools) or ProcessCommandLine has_any (SuspiciousProxyArgs)
//! TorConnections: DeviceNetworkEvents | where Timestamp > ago(24h)
//!     | where RemotePort in (TorPorts) | where RemoteIPType == "Public"
//! SSHProxyChain: DeviceProcessEvents | where Timestamp > ago(24h)
//!     | where FileName in~ ("ssh.exe", "ssh", "plink.exe")
//!     | where ProcessCommandLine has_any ("-D ", "-w ", "ProxyJump", "-J ", "-o ProxyCommand", "DynamicForward")
//! ProxyProcesses | union TorConnections | union SSHProxyChain | sort by Timestamp desc
//! ```
//! The lists below are the query's, word for word; `union` keeps duplicates, so an `ssh -D`
//! launch is both a ProxyToolLaunch and an SSHMultiHopProxy finding.

use std::sync::LazyLock;

use polars::prelude::*;

use super::findings::{leg_columns, within};
use super::registry::DetectionType;
use crate::kql::expr::{has_any, in_ci_expr, in_ints};
use crate::kql::has::{in_ci, HasAny};
use crate::kql::time::Nanos;

pub const TOR_PORTS: &[i64] = &[9001, 9030, 9040, 9050, 9051, 9150, 9151];
pub const KNOWN_PROXY_TOOLS: &[&str] = &[
    "tor.exe",
    "tor2web",
    "proxychains",
    "proxifier.exe",
    "3proxy.exe",
    "srelay.exe",
    "microsocks",
    "redsocks",
];
pub const SUSPICIOUS_PROXY_ARGS: &[&str] = &[
    "proxychains",
    "socks5",
    "socks4",
    "tor2web",
    "-D ",
    "DynamicForward",
    "ProxyJump",
    "-o ProxyCommand",
];
pub const SSH_FILE_NAMES: &[&str] = &["ssh.exe", "ssh", "plink.exe"];
pub const SSH_PROXY_ARGS: &[&str] = &[
    "-D ",
    "-w ",
    "ProxyJump",
    "-J ",
    "-o ProxyCommand",
    "DynamicForward",
];

fn process_projection(lf: LazyFrame, kind: DetectionType) -> LazyFrame {
    lf.select(leg_columns(kind, "AccountName", &[]))
}

/// Leg 1: known proxy tools by file name, or proxy arguments on the command line.
pub fn proxy_tool_launch(process: LazyFrame, since: Option<Nanos>) -> LazyFrame {
    let lf = within(process, "Timestamp", since).filter(
        has_any(col("FileName"), KNOWN_PROXY_TOOLS)
            .or(has_any(col("ProcessCommandLine"), SUSPICIOUS_PROXY_ARGS)),
    );
    process_projection(lf, DetectionType::ProxyToolLaunch)
}

/// Leg 2: connections to Tor's well-known ports on public addresses.
pub fn tor_port_connection(network: LazyFrame, since: Option<Nanos>) -> LazyFrame {
    let lf = within(network, "Timestamp", since)
        .filter(in_ints(col("RemotePort"), TOR_PORTS))
        .filter(col("RemoteIPType").eq(lit("Public")));
    lf.select(leg_columns(
        DetectionType::TorPortConnection,
        "InitiatingProcessAccountName",
        &[],
    ))
}

/// Leg 3: ssh / plink with dynamic forwarding, tunnels or jump hosts.
pub fn ssh_multi_hop_proxy(process: LazyFrame, since: Option<Nanos>) -> LazyFrame {
    let lf = within(process, "Timestamp", since)
        .filter(in_ci_expr(col("FileName"), SSH_FILE_NAMES))
        .filter(has_any(col("ProcessCommandLine"), SSH_PROXY_ARGS));
    process_projection(lf, DetectionType::SshMultiHopProxy)
}

/// The lists compiled once per process: reasons are written for every finding, and `hunt`'s
/// row filter ([`super::prefilter`]) tests every process event.
pub(crate) static TOOLS_MATCHER: LazyLock<HasAny> =
    LazyLock::new(|| HasAny::new(KNOWN_PROXY_TOOLS));
pub(crate) static ARGS_MATCHER: LazyLock<HasAny> =
    LazyLock::new(|| HasAny::new(SUSPICIOUS_PROXY_ARGS));
pub(crate) static SSH_ARGS_MATCHER: LazyLock<HasAny> =
    LazyLock::new(|| HasAny::new(SSH_PROXY_ARGS));

fn describe_has(column: &str, text: &str, matcher: &HasAny) -> Option<String> {
    let m = matcher.first_match(text)?;
    Some(format!(
        "{column} has \"{}\" at offset {}",
        matcher.terms()[m.term],
        m.offset
    ))
}

/// Why a process finding fired, naming the list entry, the column and the offset.
pub fn process_reason(kind: DetectionType, file_name: &str, command_line: &str) -> String {
    match kind {
        DetectionType::SshMultiHopProxy => {
            let name = in_ci(file_name, SSH_FILE_NAMES).map_or("?", |i| SSH_FILE_NAMES[i]);
            let args = describe_has("ProcessCommandLine", command_line, &SSH_ARGS_MATCHER)
                .unwrap_or_default();
            format!("FileName in~ \"{name}\"; {args}")
        }
        _ => describe_has("FileName", file_name, &TOOLS_MATCHER)
            .or_else(|| describe_has("ProcessCommandLine", command_line, &ARGS_MATCHER))
            .unwrap_or_default(),
    }
}

/// Why a Tor-port finding fired.
pub fn network_reason(port: Option<i64>) -> String {
    let port = port.map_or("?".to_string(), |p| p.to_string());
    format!("RemotePort {port} in TorPorts; RemoteIPType == \"Public\"")
}
