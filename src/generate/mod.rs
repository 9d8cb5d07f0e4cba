//! `proxyhunt generate`: large, realistic, deterministic exports for benchmarks, with true
//! positives planted at stated rates among background noise that by construction matches
//! nothing, so the findings count is known before the run.

mod rng;

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::data::values::format_datetime;
use crate::detect::multihop_proxy::TOR_PORTS;
use crate::kql::time::{Nanos, DAY};
use rng::Rng;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GenFormat {
    Csv,
    Ndjson,
}

#[derive(Debug, Clone)]
pub struct GenOptions {
    pub signins: u64,
    pub process: u64,
    pub network: u64,
    pub ti: u64,
    pub seed: u64,
    pub format: GenFormat,
    /// Multiplies the planted rates below (1.0 for the stated rates; more to test the console
    /// with many findings).
    pub hit_scale: f64,
}

/// Planted rates: the share of events that are true positives.
pub const SIGNIN_TOR_RATE: f64 = 0.001;
pub const PROCESS_HIT_RATE: f64 = 0.002;
pub const NETWORK_HIT_RATE: f64 = 0.002;

/// The newest event; everything lies in the 7 days before it.
pub const ANCHOR: &str = "2026-05-12T10:00:00Z";

/// Counts per DetectionType under `--lookback all` (and the anchor as `now`).
#[derive(Debug, Default, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Expected {
    #[serde(rename = "AnonymizedSignIn")]
    pub anonymized_sign_in: u64,
    #[serde(rename = "ProxyToolLaunch")]
    pub proxy_tool_launch: u64,
    #[serde(rename = "TorPortConnection")]
    pub tor_port_connection: u64,
    #[serde(rename = "SSHMultiHopProxy")]
    pub ssh_multi_hop_proxy: u64,
}

const USERS: u64 = 5000;
const APPS: &[&str] = &[
    "Microsoft Office",
    "Microsoft Teams",
    "Office 365 Exchange Online",
    "Microsoft Graph",
    "OneDrive SyncEngine",
    "Microsoft Authentication Broker",
    "Azure Portal",
    "SharePoint Online",
    "Outlook Mobile",
    "Windows Sign In",
];
const COUNTRIES: &[&str] = &[
    "GB", "US", "DE", "FR", "NL", "IE", "ES", "IT", "SE", "PL", "IN", "JP", "BR", "CA", "AU",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36 Edg/124.0",
    "Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17531; Pro)",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 8 Build/AP1A.240405.002)",
];
/// Background command lines: none matches any list of query 004 (checked by a test).
const BENIGN: &[(&str, &str)] = &[
    ("chrome.exe", "\"C:\\Program Files\\Google\\Chrome\\Application\\chrome.exe\" --type=renderer --lang=en-GB --field-trial-handle=1234"),
    ("svchost.exe", "C:\\Windows\\system32\\svchost.exe -k netsvcs -p -s Schedule"),
    ("powershell.exe", "powershell.exe -NoProfile -ExecutionPolicy Bypass -File C:\\ops\\inventory.ps1"),
    ("OUTLOOK.EXE", "\"C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE\" /recycle"),
    ("git.exe", "git.exe fetch --all --prune"),
    ("python3", "python3 -m pip install --upgrade requests"),
    ("gcc", "gcc -DNDEBUG -O2 -c main.c -o main.o"),
    ("bash", "bash -c 'tar -czf /backup/home.tgz /home'"),
    ("msedge.exe", "\"C:\\Program Files (x86)\\Microsoft\\Edge\\Application\\msedge.exe\" --single-argument https://intranet"),
    ("cmd.exe", "cmd.exe /c dir C:\\Users\\Public"),
];
/// Planted process hits: (FileName, command line, ProxyToolLaunch?, SSHMultiHopProxy?).
const PLANTED: &[(&str, &str, bool, bool)] = &[
    (
        "tor.exe",
        "C:\\ProgramData\\svc\\tor.exe -f C:\\ProgramData\\svc\\torrc",
        true,
        false,
    ),
    (
        "ssh.exe",
        "ssh.exe -D 1080 -N admin@jump.example.net",
        true,
        true,
    ),
    (
        "ssh",
        "ssh -J bastion.example.net admin@db01.internal",
        false,
        true,
    ),
    (
        "docker",
        "docker run -d --rm -p 8080:80 nginx:1.25",
        true,
        false,
    ),
    (
        "curl.exe",
        "curl.exe --socks5-hostname 127.0.0.1:9050 http://example.onion/",
        true,
        false,
    ),
    (
        "proxychains4",
        "proxychains4 -f /tmp/test_proxychains.conf nmap -sT 10.0.0.5",
        true,
        false,
    ),
    (
        "plink.exe",
        "plink.exe -D 9090 -batch admin@jump.example.net",
        true,
        true,
    ),
];

fn anchor() -> Nanos {
    crate::data::values::parse_datetime(ANCHOR).unwrap_or(0)
}

fn event_time(rng: &mut Rng) -> Nanos {
    anchor() - (rng.below((7 * DAY / 100) as u64) as i64) * 100
}

/// Addresses of anonymisers (in threat intel): 100.64.x.y would be private, so use 185.220.x.y.
fn anon_ip(i: u64) -> String {
    format!("185.220.{}.{}", 100 + (i / 250) % 100, 1 + i % 250)
}

/// Background addresses: never in threat intel.
fn background_ip(rng: &mut Rng) -> String {
    format!(
        "{}.{}.{}.{}",
        rng.pick(&[20u64, 40, 52, 86, 92, 104, 151]),
        rng.below(256),
        rng.below(256),
        1 + rng.below(254)
    )
}

fn guid(rng: &mut Rng) -> String {
    format!(
        "{}-{}-{}-{}-{}",
        rng.hex(8),
        rng.hex(4),
        rng.hex(4),
        rng.hex(4),
        rng.hex(12)
    )
}

/// Writes rows as CSV or NDJSON.
struct Sink {
    out: BufWriter<File>,
    format: GenFormat,
    columns: Vec<&'static str>,
}

impl Sink {
    fn create(
        dir: &Path,
        table: &str,
        format: GenFormat,
        columns: &[&'static str],
    ) -> std::io::Result<Sink> {
        let ext = match format {
            GenFormat::Csv => "csv",
            GenFormat::Ndjson => "ndjson",
        };
        let mut out =
            BufWriter::with_capacity(1 << 20, File::create(dir.join(format!("{table}.{ext}")))?);
        if format == GenFormat::Csv {
            writeln!(out, "{}", columns.join(","))?;
        }
        Ok(Sink {
            out,
            format,
            columns: columns.to_vec(),
        })
    }

    fn row(&mut self, values: &Map<String, Value>) -> std::io::Result<()> {
        match self.format {
            GenFormat::Ndjson => {
                serde_json::to_writer(&mut self.out, values)?;
                self.out.write_all(b"\n")
            }
            GenFormat::Csv => {
                let cells: Vec<String> = self
                    .columns
                    .iter()
                    .map(|c| {
                        let text = match values.get(*c) {
                            None | Some(Value::Null) => String::new(),
                            Some(Value::String(s)) => s.clone(),
                            Some(v) => v.to_string(),
                        };
                        if text.contains([',', '"', '\n', '\r']) {
                            format!("\"{}\"", text.replace('"', "\"\""))
                        } else {
                            text
                        }
                    })
                    .collect();
                writeln!(self.out, "{}", cells.join(","))
            }
        }
    }
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

/// Writes the four tables into `dir` and returns the findings count planted.
pub fn generate(dir: &Path, options: &GenOptions) -> std::io::Result<Expected> {
    std::fs::create_dir_all(dir)?;
    let mut rng = Rng::new(options.seed);
    let mut expected = Expected::default();
    let anon_pool = 200u64.min(options.ti.max(1));

    let mut ti = Sink::create(
        dir,
        "ThreatIntelIndicators",
        options.format,
        &[
            "TimeGenerated",
            "Id",
            "Tags",
            "Pattern",
            "IsActive",
            "ValidUntil",
            "Confidence",
        ],
    )?;
    for i in 0..options.ti {
        let fresh = format_datetime(anchor() - (1 + rng.below(28) as i64) * DAY);
        let until = format_datetime(anchor() + 30 * DAY);
        let (ip, tags) = if i < anon_pool {
            (
                anon_ip(i),
                *rng.pick(&["tor", "tor,exit", "anonymizer", "proxy", "vpn"]),
            )
        } else {
            (
                format!(
                    "194.{}.{}.{}",
                    26 + rng.below(10),
                    rng.below(256),
                    1 + rng.below(254)
                ),
                *rng.pick(&["malware", "c2", "phishing", "botnet"]),
            )
        };
        ti.row(&object(json!({"TimeGenerated": fresh, "Id": format!("indicator--{}", guid(&mut rng)), "Tags": tags,
            "Pattern": format!("[ipv4-addr:value = '{ip}']"), "IsActive": true, "ValidUntil": until, "Confidence": 80})))?;
    }
    ti.out.flush()?;

    let mut si = Sink::create(
        dir,
        "AADNonInteractiveUserSignInLogs",
        options.format,
        &[
            "TimeGenerated",
            "UserPrincipalName",
            "AppDisplayName",
            "IPAddress",
            "Location",
            "ResultType",
            "ConditionalAccessStatus",
            "AuthenticationRequirement",
            "CorrelationId",
            "UniqueTokenIdentifier",
            "UserAgent",
            "DeviceDetail",
            "LocationDetails",
            "IsInteractive",
        ],
    )?;
    for _ in 0..options.signins {
        let planted = options.ti > 0 && rng.chance(SIGNIN_TOR_RATE * options.hit_scale);
        let ip = if planted {
            anon_ip(rng.below(anon_pool))
        } else {
            background_ip(&mut rng)
        };
        let result = if rng.chance(0.9) {
            "0"
        } else {
            *rng.pick(&["50126", "50074", "70044", "50140"])
        };
        if planted && result == "0" {
            expected.anonymized_sign_in += 1;
        }
        let country = *rng.pick(COUNTRIES);
        si.row(&object(json!({
            "TimeGenerated": format_datetime(event_time(&mut rng)),
            "UserPrincipalName": format!("user{}@contoso.com", rng.below(USERS)),
            "AppDisplayName": rng.pick(APPS), "IPAddress": ip, "Location": country, "ResultType": result,
            "ConditionalAccessStatus": rng.pick(&["success", "notApplied", "failure"]),
            "AuthenticationRequirement": rng.pick(&["singleFactorAuthentication", "multiFactorAuthentication"]),
            "CorrelationId": guid(&mut rng), "UniqueTokenIdentifier": rng.hex(22), "UserAgent": rng.pick(AGENTS),
            "DeviceDetail": json!({"deviceId": "", "operatingSystem": rng.pick(&["Windows 10", "Windows 11", "MacOs", "Ios", "Android"])}).to_string(),
            "LocationDetails": json!({"countryOrRegion": country, "city": ""}).to_string(),
            "IsInteractive": "false",
        })))?;
    }
    si.out.flush()?;

    let process_cols = [
        "Timestamp",
        "DeviceName",
        "AccountName",
        "AccountDomain",
        "FileName",
        "FolderPath",
        "ProcessCommandLine",
        "InitiatingProcessFileName",
        "InitiatingProcessCommandLine",
        "ProcessId",
    ];
    let mut pr = Sink::create(dir, "DeviceProcessEvents", options.format, &process_cols)?;
    for _ in 0..options.process {
        let (file, cmd) = if rng.chance(PROCESS_HIT_RATE * options.hit_scale) {
            let (f, c, ptl, ssh) = *rng.pick(PLANTED);
            expected.proxy_tool_launch += u64::from(ptl);
            expected.ssh_multi_hop_proxy += u64::from(ssh);
            (f, c)
        } else {
            *rng.pick(BENIGN)
        };
        pr.row(&object(json!({
            "Timestamp": format_datetime(event_time(&mut rng)), "DeviceName": format!("ws-{:05}.contoso.com", rng.below(2000)),
            "AccountName": format!("user{}", rng.below(USERS)), "AccountDomain": "contoso", "FileName": file,
            "FolderPath": format!("C:\\Windows\\System32\\{file}"), "ProcessCommandLine": cmd,
            "InitiatingProcessFileName": "explorer.exe", "InitiatingProcessCommandLine": "C:\\Windows\\Explorer.EXE",
            "ProcessId": 1000 + rng.below(60000),
        })))?;
    }
    pr.out.flush()?;

    let net_cols = [
        "Timestamp",
        "DeviceName",
        "ActionType",
        "RemoteIP",
        "RemotePort",
        "RemoteUrl",
        "RemoteIPType",
        "LocalIP",
        "LocalPort",
        "Protocol",
        "InitiatingProcessFileName",
        "InitiatingProcessCommandLine",
        "InitiatingProcessAccountName",
    ];
    let mut nw = Sink::create(dir, "DeviceNetworkEvents", options.format, &net_cols)?;
    for _ in 0..options.network {
        let hit = rng.chance(NETWORK_HIT_RATE * options.hit_scale);
        let (port, kind) = if hit {
            (*rng.pick(TOR_PORTS), "Public")
        } else if rng.chance(0.01) {
            (*rng.pick(TOR_PORTS), *rng.pick(&["Private", "Loopback"]))
        } else {
            (*rng.pick(&[443i64, 443, 443, 80, 53, 8443, 3389]), "Public")
        };
        expected.tor_port_connection += u64::from(hit);
        nw.row(&object(json!({
            "Timestamp": format_datetime(event_time(&mut rng)), "DeviceName": format!("ws-{:05}.contoso.com", rng.below(2000)),
            "ActionType": "ConnectionSuccess", "RemoteIP": background_ip(&mut rng), "RemotePort": port,
            "RemoteUrl": rng.pick(&["", "www.bing.com", "login.microsoftonline.com", "outlook.office365.com"]),
            "RemoteIPType": kind, "LocalIP": format!("10.1.{}.{}", rng.below(256), 1 + rng.below(254)),
            "LocalPort": 49152 + rng.below(16000), "Protocol": "Tcp",
            "InitiatingProcessFileName": if hit { "tor.exe" } else { "chrome.exe" },
            "InitiatingProcessCommandLine": if hit { "tor.exe -f torrc" } else { "chrome.exe --type=utility" },
            "InitiatingProcessAccountName": format!("user{}", rng.below(USERS)),
        })))?;
    }
    nw.out.flush()?;
    std::fs::write(
        dir.join("expected.json"),
        serde_json::to_string_pretty(&expected)? + "\n",
    )?;
    Ok(expected)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detect::condition::Condition;
    use crate::detect::multihop_proxy::{PROXY_TOOL_LAUNCH, SSH_MULTI_HOP_PROXY};

    #[test]
    fn background_commands_match_nothing_and_planted_ones_match_as_labelled() {
        let holds = |leg: &Condition, f: &str, c: &str| {
            leg.holds(&|column| match column {
                "FileName" => Some(f),
                "ProcessCommandLine" => Some(c),
                _ => None,
            })
        };
        let ptl = |f: &str, c: &str| holds(&PROXY_TOOL_LAUNCH, f, c);
        let ssh = |f: &str, c: &str| holds(&SSH_MULTI_HOP_PROXY, f, c);
        for (f, c) in BENIGN {
            assert!(!ptl(f, c) && !ssh(f, c), "{f} {c}");
        }
        for (f, c, p, s) in PLANTED {
            assert_eq!((ptl(f, c), ssh(f, c)), (*p, *s), "{f} {c}");
        }
    }
}
