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
//! launch is both a ProxyToolLaunch and an SSHMultiHopProxy finding. Each leg's `where` lines
//! are written once, as a [`Condition`]: the plans, `hunt`'s row filters
//! ([`super::prefilter`]) and the findings' reasons derive from it.

use std::sync::LazyLock;

use polars::prelude::*;

use super::condition::{Condition, List, Literal};
use super::findings::{leg_columns, within};
use super::registry::DetectionType;
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

/// Leg 1 (`ProxyProcesses`): known proxy tools by file name, or proxy arguments on the command
/// line.
pub static PROXY_TOOL_LAUNCH: LazyLock<Condition> = LazyLock::new(|| {
    Condition::any([
        Condition::has_any(
            "FileName",
            List::named("KnownProxyTools", KNOWN_PROXY_TOOLS),
        ),
        Condition::has_any(
            "ProcessCommandLine",
            List::named("SuspiciousProxyArgs", SUSPICIOUS_PROXY_ARGS),
        ),
    ])
});

/// Leg 2 (`TorConnections`): connections to Tor's well-known ports on public addresses.
pub static TOR_PORT_CONNECTION: LazyLock<Condition> = LazyLock::new(|| {
    Condition::all([
        Condition::in_ints("RemotePort", List::named("TorPorts", TOR_PORTS)),
        Condition::eq("RemoteIPType", Literal::Str("Public")),
    ])
});

/// Leg 3 (`SSHProxyChain`): ssh / plink with dynamic forwarding, tunnels or jump hosts.
pub static SSH_MULTI_HOP_PROXY: LazyLock<Condition> = LazyLock::new(|| {
    Condition::all([
        Condition::in_ci("FileName", List::inline(SSH_FILE_NAMES)),
        Condition::has_any("ProcessCommandLine", List::inline(SSH_PROXY_ARGS)),
    ])
});

/// The condition of a leg of this query (`None` for a type another detection produces).
pub fn condition(kind: DetectionType) -> Option<&'static Condition> {
    match kind {
        DetectionType::ProxyToolLaunch => Some(&PROXY_TOOL_LAUNCH),
        DetectionType::TorPortConnection => Some(&TOR_PORT_CONNECTION),
        DetectionType::SshMultiHopProxy => Some(&SSH_MULTI_HOP_PROXY),
        DetectionType::AnonymizedSignIn => None,
    }
}

fn process_projection(lf: LazyFrame, kind: DetectionType) -> LazyFrame {
    lf.select(leg_columns(kind, "AccountName", &[]))
}

/// Leg 1 as a plan.
pub fn proxy_tool_launch(process: LazyFrame, since: Option<Nanos>) -> LazyFrame {
    let lf = PROXY_TOOL_LAUNCH.filter(within(process, "Timestamp", since));
    process_projection(lf, DetectionType::ProxyToolLaunch)
}

/// Leg 2 as a plan.
pub fn tor_port_connection(network: LazyFrame, since: Option<Nanos>) -> LazyFrame {
    let lf = TOR_PORT_CONNECTION.filter(within(network, "Timestamp", since));
    lf.select(leg_columns(
        DetectionType::TorPortConnection,
        "InitiatingProcessAccountName",
        &[],
    ))
}

/// Leg 3 as a plan.
pub fn ssh_multi_hop_proxy(process: LazyFrame, since: Option<Nanos>) -> LazyFrame {
    let lf = SSH_MULTI_HOP_PROXY.filter(within(process, "Timestamp", since));
    process_projection(lf, DetectionType::SshMultiHopProxy)
}

/// Why a process finding fired, naming the list entry, the column and the offset.
pub fn process_reason(kind: DetectionType, file_name: &str, command_line: &str) -> String {
    let leg: &Condition = match kind {
        DetectionType::SshMultiHopProxy => &SSH_MULTI_HOP_PROXY,
        _ => &PROXY_TOOL_LAUNCH,
    };
    leg.reason(&|column| match column {
        "FileName" => Some(file_name),
        "ProcessCommandLine" => Some(command_line),
        _ => None,
    })
}

/// Why a Tor-port finding fired (`RemoteIPType` is not among the finding's columns; the leg
/// requires it to be `"Public"`).
pub fn network_reason(port: Option<i64>) -> String {
    let port = port.map(|p| p.to_string());
    TOR_PORT_CONNECTION.reason(&|column| match column {
        "RemotePort" => port.as_deref(),
        _ => None,
    })
}
