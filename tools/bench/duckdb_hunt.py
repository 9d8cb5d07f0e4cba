#!/usr/bin/env python3
"""The two detections as DuckDB SQL, for the side-by-side benchmark (tools/bench/vs_duckdb.sh).

`has` / `has_any` follow kql-semantics.md: a term must line up with term boundaries (runs of
ASCII letters and digits) at each end that is a letter or digit; ASCII case-insensitive. The
regexes are built here from the query's own lists. Prints {"seconds": ..., "counts": {...}}.

    python3 duckdb_hunt.py DIR csv|ndjson|parquet|streaming 2026-05-12T10:00:00Z

`streaming`: the device tables as Defender streaming-API blobs
(`insights-logs-advancedhunting-<table>/**/PT1H*.json`, the row in `properties`), sign-ins and
threat intel as NDJSON beside them (tools/bench/gen_wide.py writes that layout).
"""
import json
import re
import sys
import time

import duckdb

TOOLS = ["tor.exe", "tor2web", "proxychains", "proxifier.exe", "3proxy.exe", "srelay.exe", "microsocks", "redsocks"]
ARGS = ["proxychains", "socks5", "socks4", "tor2web", "-D ", "DynamicForward", "ProxyJump", "-o ProxyCommand"]
SSH_ARGS = ["-D ", "-w ", "ProxyJump", "-J ", "-o ProxyCommand", "DynamicForward"]
TAGS = ["tor", "proxy", "anonymizer", "vpn", "anonymity"]


def term_regex(term):
    def ci(c):
        return "[%s%s]" % (c.lower(), c.upper()) if c.isalpha() else re.escape(c)
    body = "".join(ci(c) for c in term)
    left = "(^|[^A-Za-z0-9])" if term[0].isalnum() else ""
    right = "($|[^A-Za-z0-9])" if term[-1].isalnum() else ""
    return left + body + right


def has_any(terms):
    return "|".join("(%s)" % term_regex(t) for t in terms)


def source(d, table, fmt, columns):
    if fmt == "streaming" and table.startswith("Device"):
        fields = ", ".join('"%s" VARCHAR' % c for c in columns)
        return ("(SELECT properties.* FROM read_json('%s/insights-logs-advancedhunting-%s/**/PT1H*.json', "
                "format='newline_delimited', columns={'properties': 'STRUCT(%s)'}))") % (d, table.lower(), fields)
    if fmt in ("ndjson", "streaming"):
        fields = ", ".join("'%s': 'VARCHAR'" % c for c in columns)
        return "read_json('%s/%s.ndjson', format='newline_delimited', columns={%s})" % (d, table, fields)
    if fmt == "csv":
        return "read_csv('%s/%s.csv', all_varchar=true, header=true)" % (d, table)
    return "read_parquet('%s/%s.parquet')" % (d, table)


def main():
    d, fmt, now = sys.argv[1], sys.argv[2], sys.argv[3]
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    cols = {
        "ThreatIntelIndicators": ["TimeGenerated", "Tags", "Pattern", "IsActive", "ValidUntil"],
        "AADNonInteractiveUserSignInLogs": ["TimeGenerated", "UserPrincipalName", "AppDisplayName", "IPAddress", "Location", "ResultType",
                                            "ConditionalAccessStatus", "AuthenticationRequirement", "CorrelationId", "UniqueTokenIdentifier"],
        "DeviceProcessEvents": ["Timestamp", "DeviceName", "AccountName", "FileName", "ProcessCommandLine", "InitiatingProcessFileName",
                                "InitiatingProcessCommandLine"],
        "DeviceNetworkEvents": ["Timestamp", "DeviceName", "InitiatingProcessFileName", "InitiatingProcessCommandLine", "RemoteIP",
                                "RemotePort", "RemoteUrl", "RemoteIPType"],
    }

    def src(table):
        return source(d, table, fmt, cols[table])

    start = time.perf_counter()
    now_sql = "TIMESTAMP '%s'" % now.replace("T", " ").rstrip("Z")
    tags_re, pat_re = has_any(TAGS), term_regex("ipv4-addr:value")
    con.execute(f"""
        CREATE TEMP TABLE tor AS
        SELECT NetworkIP, list_sort(list_distinct(list(Tags))) AS AnonymizationType FROM (
            SELECT Tags, regexp_extract(Pattern, 'ipv4-addr:value = ''([^'']+)''', 1) AS NetworkIP
            FROM {src('ThreatIntelIndicators')}
            WHERE CAST(TimeGenerated AS TIMESTAMP) > {now_sql} - INTERVAL 30 DAY
              AND lower(CAST(IsActive AS VARCHAR)) IN ('true', '1')
              AND (ValidUntil IS NULL OR CAST(ValidUntil AS VARCHAR) = '' OR CAST(ValidUntil AS TIMESTAMP) > {now_sql})
              AND regexp_matches(Tags, '{tags_re}') AND regexp_matches(Pattern, '{pat_re}')
        ) WHERE NetworkIP <> '' GROUP BY NetworkIP""")
    counts = {}
    counts["AnonymizedSignIn"] = len(con.execute(f"""
        SELECT s.TimeGenerated, s.UserPrincipalName, s.AppDisplayName, s.IPAddress, s.Location, t.AnonymizationType,
               s.ConditionalAccessStatus, s.AuthenticationRequirement, s.CorrelationId, s.UniqueTokenIdentifier
        FROM {src('AADNonInteractiveUserSignInLogs')} s JOIN tor t ON s.IPAddress = t.NetworkIP
        WHERE CAST(s.ResultType AS VARCHAR) = '0'""").fetchall())
    proc = src("DeviceProcessEvents")
    counts["ProxyToolLaunch"] = len(con.execute(f"""
        SELECT Timestamp, DeviceName, AccountName, FileName, ProcessCommandLine, InitiatingProcessFileName, InitiatingProcessCommandLine
        FROM {proc} WHERE regexp_matches(FileName, '{has_any(TOOLS)}') OR regexp_matches(ProcessCommandLine, '{has_any(ARGS)}')""").fetchall())
    counts["TorPortConnection"] = len(con.execute(f"""
        SELECT Timestamp, DeviceName, InitiatingProcessFileName, InitiatingProcessCommandLine, RemoteIP, RemotePort, RemoteUrl
        FROM {src('DeviceNetworkEvents')}
        WHERE TRY_CAST(TRY_CAST(RemotePort AS DOUBLE) AS BIGINT) IN (9001, 9030, 9040, 9050, 9051, 9150, 9151) AND RemoteIPType = 'Public'""").fetchall())
    counts["SSHMultiHopProxy"] = len(con.execute(f"""
        SELECT Timestamp, DeviceName, AccountName, FileName, ProcessCommandLine, InitiatingProcessFileName, InitiatingProcessCommandLine
        FROM {proc} WHERE lower(FileName) IN ('ssh.exe', 'ssh', 'plink.exe') AND regexp_matches(ProcessCommandLine, '{has_any(SSH_ARGS)}')""").fetchall())
    print(json.dumps({"seconds": time.perf_counter() - start, "counts": counts}))


if __name__ == "__main__":
    main()
