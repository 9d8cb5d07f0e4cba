#!/usr/bin/env python3
"""An independent reference for the two detections, written from kql-semantics.md alone.

It shares no code with proxyhunt: its own readers (csv module, json), its own datetime parsing,
and `has` as a direct transcription of the term-aligned rule. The golden files in tests/golden/
are its output on sample-data/, and proxyhunt's findings must equal them row for row.

    python3 tools/kql_oracle.py sample-data --lookback rule > tests/golden/sample-rule.ndjson

Only the contract columns (DetectionType + the KQL's projection) are written; rows are sorted on
the full record so that ties in time compare deterministically.
"""
import argparse
import csv
import datetime as dt
import gzip
import io
import json
import os
import re
import sys

csv.field_size_limit(1 << 30)
ALNUM = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")


def lower_ascii(s):
    return "".join(chr(ord(c) + 32) if "A" <= c <= "Z" else c for c in s)


def has(lhs, rhs):
    if not rhs:
        return False
    l, r = lower_ascii(lhs), lower_ascii(rhs)
    start = 0
    while True:
        i = l.find(r, start)
        if i < 0:
            return False
        j = i + len(r)
        ok_left = rhs[0] not in ALNUM or i == 0 or lhs[i - 1] not in ALNUM
        ok_right = rhs[-1] not in ALNUM or j == len(lhs) or lhs[j] not in ALNUM
        if ok_left and ok_right:
            return True
        start = i + 1


def has_any(lhs, terms):
    return any(has(lhs, t) for t in terms)


def parse_time(s):
    """Returns 100 ns ticks since the epoch, or None."""
    if s is None:
        return None
    s = str(s).strip()
    if not s or s == "None":
        return None
    m = re.fullmatch(r"(\d{1,2})/(\d{1,2})/(\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)? ?([AaPp][Mm])?", s)
    if m:
        mo, d, y, h, mi, sec, frac, ampm = m.groups()
        h = int(h)
        if ampm:
            h = h % 12 + (12 if ampm.upper() == "PM" else 0)
        base = dt.datetime(int(y), int(mo), int(d), h, int(mi), int(sec or 0), tzinfo=dt.timezone.utc)
        return to_ticks(base, frac)
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:?\d{2})?", s)
    if not m:
        return None
    y, mo, d, h, mi, sec, frac, zone = m.groups()
    base = dt.datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(sec or 0), tzinfo=dt.timezone.utc)
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        zh, zm = int(zone[1:3]), int(zone[-2:])
        base -= sign * dt.timedelta(hours=zh, minutes=zm)
    return to_ticks(base, frac)


def to_ticks(base, frac):
    ticks = int((base - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)).total_seconds()) * 10_000_000
    if frac:
        ticks += int((frac + "0000000")[:7])
    return ticks


def fmt_time(ticks):
    secs, rem = divmod(ticks, 10_000_000)
    base = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=secs)
    text = base.strftime("%Y-%m-%dT%H:%M:%S")
    if rem:
        text += "." + ("%07d" % rem).rstrip("0")
    return text + "Z"


def text(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        return json.dumps(v, separators=(",", ":"))
    return str(v)


def load_rows(path):
    raw = open(path, "rb").read()
    if raw[:2] == b"\x1f\x8b":
        raw = gzip.decompress(raw)
    s = raw.decode("utf-8-sig")
    if path.endswith(".csv") or path.endswith(".csv.gz"):
        reader = csv.reader(io.StringIO(s, newline=""))
        header = [re.sub(r" \[[^\]]*\]$", "", h.strip()) for h in next(reader)]
        return [dict(zip(header, r)) for r in reader if len(r) == len(header)]
    stripped = s.lstrip()
    if stripped.startswith("["):
        return json.loads(s)
    if stripped.startswith("{"):
        try:
            doc = json.loads(s)
        except json.JSONDecodeError:
            doc = None
        if isinstance(doc, dict) and "tables" in doc:
            t = doc["tables"][0]
            names = [c["name"] for c in t["columns"]]
            return [dict(zip(names, r)) for r in t["rows"]]
        if isinstance(doc, dict):
            return [doc]
        return [json.loads(l) for l in s.splitlines() if l.strip()]
    raise SystemExit("oracle: cannot read %s" % path)


def table_of(path):
    name = os.path.basename(path).lower()
    for table, names in [("signin", ["aadnoninteractiveusersigninlogs", "signinlogs"]), ("ti", ["threatintelindicators"]),
                         ("proc", ["deviceprocessevents"]), ("net", ["devicenetworkevents"])]:
        if any(re.match(re.escape(n) + r"($|[^a-z0-9])", name) for n in names):
            return table
    return None


def boolean(v):
    if isinstance(v, bool):
        return v
    s = text(v).strip().lower()
    return True if s in ("true", "1") else False if s in ("false", "0") else None


def integer(v):
    if v is None or isinstance(v, bool):
        return None
    try:
        f = float(text(v))
    except ValueError:
        return None
    return int(f) if f == int(f) else None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--lookback", choices=["rule", "all"], default="all")
    ap.add_argument("--now", default=None)
    args = ap.parse_args()
    tables = {"signin": [], "ti": [], "proc": [], "net": []}
    for root, _, files in os.walk(args.dir):
        for f in sorted(files):
            t = table_of(f)
            if t:
                tables[t].extend(load_rows(os.path.join(root, f)))
    sign_time = lambda r: parse_time(r.get("TimeGenerated", r.get("CreatedDateTime")))
    dev_time = lambda r: parse_time(r.get("Timestamp", r.get("TimeGenerated")))
    if args.now:
        now = parse_time(args.now)
    else:
        times = [sign_time(r) for r in tables["signin"]] + [dev_time(r) for r in tables["proc"] + tables["net"]]
        now = max(t for t in times if t is not None)
    H = 3600 * 10_000_000
    rule = args.lookback == "rule"
    out = []

    # rule 000
    sets = {}
    for r in tables["ti"]:
        tg, vu = parse_time(r.get("TimeGenerated")), parse_time(r.get("ValidUntil"))
        if tg is None or not tg > now - 30 * 24 * H:
            continue
        if boolean(r.get("IsActive")) is not True:
            continue
        if not (vu is None or vu > now):
            continue
        tags, pattern = text(r.get("Tags")), text(r.get("Pattern"))
        if not has_any(tags, ["tor", "proxy", "anonymizer", "vpn", "anonymity"]) or not has(pattern, "ipv4-addr:value"):
            continue
        m = re.search(r"ipv4-addr:value = '([^']+)'", pattern)
        ip = m.group(1) if m else ""
        if ip:
            sets.setdefault(ip, set()).add(tags)
    for r in tables["signin"]:
        t = sign_time(r)
        if t is None or (rule and not t > now - H):
            continue
        if text(r.get("ResultType")) != "0":
            continue
        ip = text(r.get("IPAddress"))
        if ip in sets:
            rec = {"DetectionType": "AnonymizedSignIn", "TimeGenerated": fmt_time(t)}
            for c in ["UserPrincipalName", "AppDisplayName", "IPAddress", "Location"]:
                rec[c] = text(r.get(c))
            rec["AnonymizationType"] = sorted(sets[ip])
            for c in ["ConditionalAccessStatus", "AuthenticationRequirement", "CorrelationId", "UniqueTokenIdentifier"]:
                rec[c] = text(r.get(c))
            out.append(rec)

    # query 004
    tools = ["tor.exe", "tor2web", "proxychains", "proxifier.exe", "3proxy.exe", "srelay.exe", "microsocks", "redsocks"]
    args_ = ["proxychains", "socks5", "socks4", "tor2web", "-D ", "DynamicForward", "ProxyJump", "-o ProxyCommand"]
    ssh_args = ["-D ", "-w ", "ProxyJump", "-J ", "-o ProxyCommand", "DynamicForward"]
    pcols = ["DeviceName", "AccountName", "FileName", "ProcessCommandLine", "InitiatingProcessFileName", "InitiatingProcessCommandLine"]
    for r in tables["proc"]:
        t = dev_time(r)
        if t is None or (rule and not t > now - 24 * H):
            continue
        fn, cmd = text(r.get("FileName")), text(r.get("ProcessCommandLine"))
        base = {"Timestamp": fmt_time(t)}
        base.update({c: text(r.get(c)) for c in pcols})
        if has_any(fn, tools) or has_any(cmd, args_):
            out.append({"DetectionType": "ProxyToolLaunch", **base})
        if lower_ascii(fn) in ("ssh.exe", "ssh", "plink.exe") and has_any(cmd, ssh_args):
            out.append({"DetectionType": "SSHMultiHopProxy", **base})
    for r in tables["net"]:
        t = dev_time(r)
        if t is None or (rule and not t > now - 24 * H):
            continue
        port = integer(r.get("RemotePort"))
        if port in (9001, 9030, 9040, 9050, 9051, 9150, 9151) and text(r.get("RemoteIPType")) == "Public":
            rec = {"DetectionType": "TorPortConnection", "Timestamp": fmt_time(t)}
            for c in ["DeviceName", "InitiatingProcessFileName", "InitiatingProcessCommandLine", "RemoteIP"]:
                rec[c] = text(r.get(c))
            rec["RemotePort"] = port
            rec["RemoteUrl"] = text(r.get("RemoteUrl"))
            out.append(rec)

    out.sort(key=lambda r: json.dumps(r, sort_keys=True))
    for r in out:
        sys.stdout.write(json.dumps(r, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    main()
