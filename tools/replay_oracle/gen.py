#!/usr/bin/env python3
"""Held-out test data for `proxyhunt replay` (rule 000), built to hit sentinel-replay.md's edge cases.

    python3 tools/replay_oracle/gen.py OUTDIR --seed N [--rows N]

Writes
  OUTDIR/data/AADNonInteractiveUserSignInLogs.csv        ISO 8601 times with 7 fraction digits
  OUTDIR/data/AADNonInteractiveUserSignInLogs_part2.csv  portal-style CSV (BOM, CRLF, ` [UTC]`,
                                                          `M/D/YYYY, h:mm:ss.fff AM/PM`)
  OUTDIR/data/ThreatIntelIndicators.csv
  OUTDIR/tuning-a.toml, OUTDIR/tuning-b.toml             tuning files scoped to AnonymizedSignIn
  OUTDIR/rule-alertperresult.yaml                        rule 000 with AlertPerResult (R10, R21)
  OUTDIR/rule-allentities.yaml                           10m/2h, AllEntities, PT2H30M lookback
  OUTDIR/rule-lt.yaml                                    trigger `lt 3`: empty runs fire (R7)
  OUTDIR/rule-suppress-selected.yaml                     suppression 1h (R24), Selected on IP + name
  OUTDIR/rule-selected-cd.yaml                           Selected on the AnonymizationType detail
  OUTDIR/rule-nogrouping.yaml                            grouping off: one incident per alert (R17)
  OUTDIR/plan.json                                       start S, the episodes and their times

Everything is relative to S (the oldest sign-in, which is --from and --first-run by default), so
run times are S + k*15m. Episodes (hours after S; the ones from 27 on are shifted by a further
6 h so that more than 5 h without alerts separates them from the first ones):
  1-8   steady attacker: continuous firing over 5 h -> incident rollover at exactly +5 h (R18);
        ties in time (R27), empty and blank UPN first rows (R11), duplicates (R8 counts), a
        space-padded IP on both sides, ResultType "00"
  12-25 single sign-ins exactly on run times and on T-1h (R4), alerts exactly 5 h apart (R18),
        a run whose rows have no app or CA status (R13 keys without values)
  27-29 indicator arriving between runs and exactly at a run (R4-R5)
  29-31 indicator expiring exactly at a run, a second one 1 tick later (R4)
  31-33 indicator leaving the 30-day window exactly at a run (R4)
  34-36 >250 accounts and IPs in one run; long non-ASCII UPNs: 64 KB, 256 B name, 5 KB text (R12, R11)
  37-39 60 distinct app names, long app names, many tag sets (R13)
  40-42 indicators re-ingested inside the hour, one exactly at T-1h (R6 period scope)
  44-48 bursts of 150 and 151 results in one run (R10, and R21 under AlertPerResult)
  50-80 noise: random hits through the indicator pool, TI noise the rule must ignore
"""
import argparse
import csv
import datetime as dt
import io
import json
import os
import random

SEC = 10_000_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
SEED_RULE = "/work/shared/seeds/000_a3b1b1419e51600a.txt"

SIGNIN_COLS = ["TenantId", "SourceSystem", "TimeGenerated", "UserPrincipalName", "UserDisplayName", "AppDisplayName",
               "IPAddress", "Location", "ResultType", "ResultDescription", "ConditionalAccessStatus",
               "AuthenticationRequirement", "CorrelationId", "UniqueTokenIdentifier", "UserAgent", "IsInteractive",
               "DeviceDetail", "LocationDetails", "Type"]
TI_COLS = ["TimeGenerated", "Id", "SourceSystem", "Tags", "Pattern", "ObservableKey", "ObservableValue", "IsActive",
           "IsDeleted", "Confidence", "ValidFrom", "ValidUntil", "Data"]
APPS = ["Microsoft Office", "Microsoft Teams", "Office 365 Exchange Online", "Microsoft Graph", "OneDrive SyncEngine",
        "Microsoft Authentication Broker", "Azure Portal", "SharePoint Online"]
CA = ["notApplied", "success", "failure", " success", "Success"]
LOC = ["GB", "IE", "NL", "US", "DE", ""]


def iso(t):
    secs, rem = divmod(t, SEC)
    return (EPOCH + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % rem


def portal(t):
    secs, rem = divmod(t, SEC)
    d = EPOCH + dt.timedelta(seconds=secs)
    h12 = d.hour % 12 or 12
    return "%d/%d/%d, %d:%02d:%02d.%03d %s" % (d.month, d.day, d.year, h12, d.minute, d.second, rem // 10_000,
                                              "AM" if d.hour < 12 else "PM")


class Gen:
    def __init__(self, seed, rows):
        self.R = random.Random(seed)
        R = self.R
        base = dt.datetime(2026, 9, 14, tzinfo=dt.timezone.utc) + dt.timedelta(days=R.randrange(0, 40))
        self.S = int((base - EPOCH).total_seconds()) * SEC + R.randrange(0, 6 * HOUR // SEC) * SEC + R.randrange(SEC)
        self.rows = rows
        self.signins = []  # (t, dict, portal?)
        self.ti = []
        self.plan = {"S": iso(self.S), "episodes": {}}
        self.ipn = 0
        self.off = 0  # later episodes are shifted so that a gap of more than 5 h separates them

    def guid(self):
        R = self.R
        return "%08x-%04x-%04x-%04x-%012x" % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(16),
                                               R.getrandbits(16), R.getrandbits(48))

    def h(self, hours, minutes=0, ticks=0):
        return self.S + self.off + int(hours * HOUR) + int(minutes * MIN) + ticks

    def signin(self, t, upn, ip, app=None, result="0", ca=None, loc=None, portal_fmt=False, user_display=None):
        R = self.R
        r = {
            "TenantId": "7d1f2a9c-0000-4000-8000-5e7e11d00001", "SourceSystem": "Azure AD", "TimeGenerated": t,
            "UserPrincipalName": upn, "UserDisplayName": user_display if user_display is not None else upn.split("@")[0],
            "AppDisplayName": app if app is not None else R.choice(APPS), "IPAddress": ip,
            "Location": loc if loc is not None else R.choice(LOC), "ResultType": result,
            "ResultDescription": "" if result == "0" else "Invalid username or password.",
            "ConditionalAccessStatus": ca if ca is not None else R.choice(CA),
            "AuthenticationRequirement": R.choice(["singleFactorAuthentication", "multiFactorAuthentication"]),
            "CorrelationId": self.guid(), "UniqueTokenIdentifier": "%022x" % R.getrandbits(88),
            "UserAgent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64)", "IsInteractive": "false",
            "DeviceDetail": json.dumps({"deviceId": "", "operatingSystem": R.choice(["Windows 10", "MacOs"])}),
            "LocationDetails": json.dumps({"city": R.choice(["Leeds", "Dublin", "Utrecht"])}),
            "Type": "AADNonInteractiveUserSignInLogs",
        }
        self.signins.append((t, r, portal_fmt))
        return r

    def indicator(self, tg, ip, tags="tor", valid_until=None, active="true", pattern=None, key="ipv4-addr:value"):
        R = self.R
        r = {"TimeGenerated": tg, "Id": "indicator--" + self.guid(), "SourceSystem": "Generated feed", "Tags": tags,
             "Pattern": pattern if pattern is not None else "[ipv4-addr:value = '%s']" % ip,
             "ObservableKey": key, "ObservableValue": ip.strip(), "IsActive": active, "IsDeleted": "false",
             "Confidence": str(R.choice([50, 80, 100])), "ValidFrom": tg - DAY, "ValidUntil": valid_until,
             "Data": json.dumps({"type": "indicator", "pattern_type": "stix", "labels": [tags]})}
        self.ti.append(r)
        return r

    def new_ip(self):
        self.ipn += 1
        return "185.%d.%d.%d" % (220 + self.ipn // 60000, (self.ipn // 250) % 250, self.ipn % 250 + 1)

    def tor_ip(self, tags="tor", tg=None, valid_until=None):
        ip = self.new_ip()
        self.indicator(tg if tg is not None else self.S - 10 * DAY + self.R.randrange(DAY), ip, tags, valid_until)
        return ip

    # ------------------------------------------------------------------------------------------
    def build(self):
        R, S = self.R, self.S
        end = self.h(80, 7, 1234567)
        self.ep_steady()
        self.ep_boundaries()
        self.off = 6 * HOUR
        self.ep_ti_arrival()
        self.ep_ti_expiry()
        self.ep_ti_30d()
        self.ep_entities()
        self.ep_custom_details()
        self.ep_period_scope()
        self.ep_bursts()
        self.ep_noise(end)
        self.off = 0
        # background: the oldest (= --from) and the newest (= --to) sign-ins, and corporate noise
        self.signin(S, "first@contoso.com", "20.190.151.10", result="50074")
        self.signin(end, "last@contoso.com", "20.190.151.11")
        for _ in range(self.rows):
            t = S + 1 + R.randrange(end - S - 1)
            self.signin(t - t % 10_000, "user%d@contoso.com" % R.randrange(400), "20.190.%d.%d" % (R.randrange(140, 160), R.randrange(1, 250)),
                        result=R.choice(["0", "0", "0", "50074", "50126"]), portal_fmt=R.random() < 0.3)
        return self

    def ep_steady(self):
        R = self.R
        x1 = self.tor_ip("tor")
        x1b = self.tor_ip("Tor,exit")
        self.indicator(self.S - 3 * DAY, x1b, '["Tor","indicator"]')  # make_set keeps both strings
        self.indicator(self.S - 2 * DAY, x1b, "tor-exit")
        self.indicator(self.S - 2 * DAY, x1, "TOR")  # `tor` and `TOR` are two entries
        t = self.h(1, 3, 17)
        while t < self.h(8):
            self.signin(t, "carol@contoso.com", R.choice([x1, x1b]))
            t += R.randrange(9, 24) * MIN + R.randrange(SEC)
        # ties in time with different users; the full record decides the first row (R27)
        tie = self.h(2, 10, 5)
        for u in ["zed@contoso.com", "amy@contoso.com", "Amy@contoso.com"]:
            self.signin(tie, u, x1, app="Microsoft Graph", ca="success", loc="GB")
        # newest row of its run with an empty UPN (R11 fallback, R12 no entity) and a blank one
        self.signin(self.h(3, 14, 59 * SEC), "", x1)
        self.signin(self.h(4, 14, 59 * SEC), " ", x1b)
        # exact duplicate rows count as two events (kept as Kusto keeps them)
        d = self.signin(self.h(5, 7, 3), "dup@contoso.com", x1, app="Microsoft Teams")
        self.signins.append((d["TimeGenerated"], dict(d), False))
        # near misses: "00", a space-padded IP that matches no indicator, and one that does
        self.signin(self.h(6, 2), "near@contoso.com", x1, result="00")
        self.signin(self.h(6, 3), "near@contoso.com", " " + x1)
        pad = self.new_ip()
        self.indicator(self.S - 5 * DAY, pad, "anonymizer", pattern="[ipv4-addr:value = ' %s']" % pad)
        self.signin(self.h(6, 20), "padded@contoso.com", " " + pad)
        self.signin(self.h(6, 21), "padded@contoso.com", pad)  # no join: the indicator is " x"
        self.plan["episodes"]["steady"] = [iso(self.h(1)), iso(self.h(8))]

    def ep_boundaries(self):
        x2 = self.tor_ip("proxy")
        # exactly on run times: at T it is in runs T..T+45m, not in T+1h (strict `> ago(1h)`)
        self.signin(self.h(12), "bound@contoso.com", x2)
        # a single sign-in 1 tick after a run time: first seen by the next run (16:45)
        self.signin(self.h(16, 30, 1), "tick@contoso.com", x2)
        # first alert at 12:00 (+5m); the alert 5 h later (17:00) joins (inclusive), 17:15 starts anew
        self.signin(self.h(17), "bound@contoso.com", x2)
        # exactly 5 h after the incident that 17:15 starts: 22:15 joins, 22:30 does not; the next
        # episode's first alert (33:30 = 22:30 + 11 h) comes after a gap of more than 5 h
        self.signin(self.h(22, 15), "bound@contoso.com", x2)
        # a run whose every row has an empty AppDisplayName and ConditionalAccessStatus (R13)
        self.signin(self.h(25), "noapp@contoso.com", x2, app="", ca="")
        self.plan["episodes"]["boundaries"] = [iso(self.h(12)), iso(self.h(25, 45))]

    def ep_ti_arrival(self):
        x3, x3b = self.new_ip(), self.new_ip()
        self.indicator(self.h(27, 22), x3, "vpn")  # arrives between runs 27:15 and 27:30
        self.indicator(self.h(28), x3b, "anonymity")  # arrives exactly at run 28:00 (exists at T)
        self.indicator(self.h(28, 0, 1), x3b, "proxy")  # 1 tick after: first seen at 28:15
        self.indicator(self.h(90), x3, "tor")  # newer than every run: never exists (R5)
        t = self.h(26, 35)
        while t <= self.h(29):
            self.signin(t, "arrive@contoso.com", x3)
            self.signin(t + 7 * MIN, "arrive2@contoso.com", x3b)
            t += 10 * MIN
        self.plan["episodes"]["ti_arrival"] = [iso(self.h(26, 35)), iso(self.h(29, 45))]

    def ep_ti_expiry(self):
        x4 = self.new_ip()
        self.indicator(self.S - 4 * DAY, x4, "tor", valid_until=self.h(30))  # expired at 30:00 (not >)
        self.indicator(self.S - 4 * DAY, x4, "proxy", valid_until=self.h(30, 15, 1))  # still valid at 30:15
        x4b = self.new_ip()
        self.indicator(self.S - 4 * DAY, x4b, "vpn", active="false")
        self.indicator(self.S - 4 * DAY, x4b, "vpn", active="TRUE", valid_until=self.h(29, 40))
        self.indicator(self.S - 4 * DAY, x4b, "Anonymizer", active="1")
        t = self.h(29, 1)
        while t <= self.h(31):
            self.signin(t, "expire@contoso.com", x4)
            self.signin(t + 3 * MIN, "expire@contoso.com", x4b)
            t += 10 * MIN
        self.plan["episodes"]["ti_expiry"] = [iso(self.h(29)), iso(self.h(32))]

    def ep_ti_30d(self):
        x5 = self.new_ip()
        self.indicator(self.h(32) - 30 * DAY, x5, "tor")  # leaves `> ago(30d)` exactly at run 32:00
        self.indicator(self.h(32, 30) - 30 * DAY + 1, x5, "vpn")  # leaves at 32:45 (32:30 still sees it)
        t = self.h(31, 5)
        while t <= self.h(33):
            self.signin(t, "stale@contoso.com", x5)
            t += 9 * MIN
        self.plan["episodes"]["ti_30d"] = [iso(self.h(31)), iso(self.h(33, 45))]

    def ep_entities(self):
        R = self.R
        # 300 accounts x 300 IPs inside one quarter hour: 250 per mapping (R12)
        ips = [self.tor_ip(R.choice(["tor", "proxy", "vpn"])) for _ in range(300)]
        for k in range(300):
            self.signin(self.h(34, 1) + k * 2 * SEC, "acct%03d@contoso.com" % k, ips[k])
        # long UPNs: the Entities field passes 64 KB before 250 accounts (R12); the first row's name
        # passes 256 bytes with a 2-byte character across the cut (R11)
        for k in range(240):
            upn = "l%03d-" % k + "".join(R.choice("abcdefgh\u00e9\u00fc") for _ in range(R.randrange(150, 260))) + "@contoso.com"
            self.signin(self.h(35, 2) + k * 3 * SEC, upn, ips[k % 300])
        cut = "x" * 235 + "\u00e9" + "y" * 40 + "@contoso.com"  # name prefix 20 B + 235 B: é straddles 256
        self.signin(self.h(35, 14), cut, ips[0])
        # a 3000-byte UPN: the description (5 KB) is cut, the name too
        big = "".join(R.choice("ab\u00e9\u20ac") for _ in range(2400)) + "@contoso.com"
        self.signin(self.h(36, 29), big, ips[1])
        self.plan["episodes"]["entities"] = [iso(self.h(34)), iso(self.h(37, 30))]

    def ep_custom_details(self):
        R = self.R
        ips = [self.tor_ip(tags) for tags in ["tor", "proxy", "vpn", "TOR", "my.proxy", "vpn_provider", "tor exit"]]
        for k in range(60):  # 60 distinct short app names: 50 values per detail (R13)
            self.signin(self.h(37, 46) + k * 10 * SEC, "cd%02d@contoso.com" % (k % 7), ips[k % len(ips)],
                        app="App-%02d" % k, ca=R.choice(CA))
        for k in range(30):  # long app names: 2 KB of custom details (R13)
            self.signin(self.h(38, 50) + k * 10 * SEC, "cdl@contoso.com", ips[k % len(ips)],
                        app="Long application name %02d " % k + "\u00e9" * R.randrange(40, 90))
        self.plan["episodes"]["custom_details"] = [iso(self.h(37, 45)), iso(self.h(40))]

    def ep_period_scope(self):
        x6, x7 = self.new_ip(), self.new_ip()
        self.indicator(self.h(40, 5), x6, "tor")  # re-ingested inside the hour
        self.indicator(self.h(40, 30) - HOUR, x7, "proxy")  # exactly T-1h for run 40:30
        self.indicator(self.h(40, 45) - HOUR + 1, x7, "vpn")
        for m in (10, 20, 40, 55):
            self.signin(self.h(40, m), "period@contoso.com", x6)
            self.signin(self.h(40, m, 5), "period2@contoso.com", x7)
        self.signin(self.h(39, 59), "period2@contoso.com", x7)
        self.plan["episodes"]["period_scope"] = [iso(self.h(40)), iso(self.h(42))]

    def ep_bursts(self):
        R = self.R
        ips = [self.tor_ip("tor") for _ in range(5)]
        for k in range(150):  # exactly 150 results in runs 44:15..45:00
            self.signin(self.h(44, 0, 1) + k * 5 * SEC, "b150-%d@contoso.com" % (k % 40), R.choice(ips))
        for k in range(151):  # 151 results: 149 alerts + 1 summary under AlertPerResult (R10)
            self.signin(self.h(47, 0, 1) + k * 5 * SEC, "b151-%d@contoso.com" % (k % 40), R.choice(ips))
        self.plan["episodes"]["bursts"] = [iso(self.h(44)), iso(self.h(48, 15))]

    def ep_noise(self, end):
        R = self.R
        pool = [self.tor_ip(R.choice(["tor", "proxy", "vpn", "anonymizer", "Tor,exit", "tor-relay"]),
                            valid_until=R.choice([None, self.h(R.randrange(50, 100))])) for _ in range(12)]
        # indicators the rule must ignore, with sign-ins from their addresses
        ignored = []
        for tags, pattern in [("torrent", None), ("anonymizers", None), ("", None), ("tor", "[IPV4-ADDR:VALUE = '%s']"),
                              ("tor", "[ipv4-addr:value='%s']"), ("tor", "[ipv6-addr:value = '%s']"),
                              ("tor", "[url:value = '%s']"), ("socks", None)]:
            ip = self.new_ip()
            self.indicator(self.S - DAY, ip, tags, pattern=(pattern % ip) if pattern else None)
            ignored.append(ip)
        inactive = self.new_ip()
        self.indicator(self.S - DAY, inactive, "tor", active="false")
        self.indicator(self.S - DAY, inactive, "tor", active="")
        ignored.append(inactive)
        # first match only: an OR pattern gives its first address
        orip1, orip2 = self.new_ip(), self.new_ip()
        self.indicator(self.S - DAY, orip1, "proxy",
                       pattern="[ipv4-addr:value = '%s' OR ipv4-addr:value = '%s']" % (orip1, orip2))
        n = max(40, self.rows // 20)
        for _ in range(n):
            t = self.h(50) + R.randrange(end - self.h(50))
            t -= t % (5 * MIN if R.random() < 0.5 else 10_000)  # ms precision, or ties in time (R27)
            ip = R.choice(pool + ignored + [orip1, orip2])
            self.signin(t, R.choice(["n%d@contoso.com", "N%d@contoso.com", "n%d@Contoso.com"]) % R.randrange(30), ip,
                        app=R.choice(APPS + ["", "microsoft teams"]), portal_fmt=R.random() < 0.5)
        self.plan["episodes"]["noise"] = [iso(self.h(50)), iso(end)]

    # ------------------------------------------------------------------------------------------
    def write(self, out):
        R = self.R
        data = os.path.join(out, "data")
        os.makedirs(data, exist_ok=True)
        rows = list(self.signins)
        R.shuffle(rows)
        main = [r for r in rows if not r[2]]
        part2 = [r for r in rows if r[2]]
        with open(os.path.join(data, "AADNonInteractiveUserSignInLogs.csv"), "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(SIGNIN_COLS)
            for t, r, _ in main:
                w.writerow([iso(t) if c == "TimeGenerated" else r[c] for c in SIGNIN_COLS])
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\r\n")
        w.writerow([c + " [UTC]" if c == "TimeGenerated" else c for c in SIGNIN_COLS])
        for t, r, _ in part2:
            w.writerow([portal(t) if c == "TimeGenerated" else r[c] for c in SIGNIN_COLS])
        with open(os.path.join(data, "AADNonInteractiveUserSignInLogs_part2.csv"), "w", encoding="utf-8-sig", newline="") as fh:
            fh.write(buf.getvalue())
        ti = list(self.ti)
        R.shuffle(ti)
        with open(os.path.join(data, "ThreatIntelIndicators.csv"), "w", encoding="utf-8", newline="") as fh:
            w = csv.writer(fh, lineterminator="\n")
            w.writerow(TI_COLS)
            for r in ti:
                w.writerow([(iso(r[c]) if r[c] is not None else "") if c in ("TimeGenerated", "ValidFrom", "ValidUntil") else r[c]
                            for c in TI_COLS])
        self.write_tuning(out)
        self.write_rules(out)
        with open(os.path.join(out, "plan.json"), "w") as fh:
            json.dump(self.plan, fh, indent=1)

    def write_tuning(self, out):
        mid = (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=self.h(36) // 10)).date()
        past = (dt.datetime(1970, 1, 1) + dt.timedelta(microseconds=(self.S - 3 * DAY) // 10)).date()
        ips = sorted({r["IPAddress"] for _, r, _ in self.signins if r["IPAddress"].startswith("185.")})
        some = ips[len(ips) // 3]
        net = ".".join(some.split(".")[:3]) + ".0/28"
        a = f'''# generated for {iso(self.S)}: filters scoped to AnonymizedSignIn (R25)
[[filter]]
id = "vpn-egress"
title = "Our VPN egress"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "IPAddress"
  cidr = ["{net}", "2001:db8::/32"]

[[filter]]
id = "svc-scanner"
title = "Carol's red-team token (case-insensitive equals)"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "UserPrincipalName"
  equals = "CAROL@CONTOSO.COM"

[[filter]]
id = "lab-until-midway"
title = "Bound test accounts until {mid} (expires)"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
expires = {mid}
  [[filter.when]]
  field = ["UserPrincipalName", "AppDisplayName"]
  regex = "^(bound|expire|stale|acct0[0-4])"

[[filter]]
id = "graph-off"
title = "Disabled: Graph sign-ins"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = false
  [[filter.when]]
  field = "AppDisplayName"
  glob = ["*Graph"]

[[filter]]
id = "sync-has"
title = "has is term-aligned: SyncEngine is not sync"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "AppDisplayName"
  has = ["sync"]

[[filter]]
id = "arrive-not-gb"
title = "arrive accounts outside GB (not = true)"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "UserPrincipalName"
  glob = ["ARRIVE*@contoso.com"]
  [[filter.when]]
  field = "Location"
  in = ["GB"]
  not = true

[[filter]]
id = "device-only"
title = "Scoped to another detection"
reason = "generated"
detection_types = ["ProxyToolLaunch"]
enabled = true
  [[filter.when]]
  field = "DeviceName"
  glob = ["*"]
'''
        b = f'''# generated for {iso(self.S)}
[[filter]]
id = "expired-long-ago"
title = "Expired before the data"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
expires = "{past}"
  [[filter.when]]
  field = "IPAddress"
  cidr = ["0.0.0.0/0"]

[[filter]]
id = "bursts"
title = "Burst accounts (case-sensitive in)"
reason = "generated"
detection_types = ["AnonymizedSignIn", "ProxyToolLaunch"]
enabled = true
  [[filter.when]]
  field = "UserPrincipalName"
  in = ["b150-1@contoso.com", "b150-2@contoso.com", "B151-3@contoso.com", "b151-4@contoso.com"]
  case_sensitive = true

[[filter]]
id = "cd-apps"
title = "Custom-detail apps 00-29"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "AppDisplayName"
  glob = ["app-[0-2]?", "App-0?", "App-1?", "App-2?"]

[[filter]]
id = "steady-all"
title = "Everything carol and the boundary accounts did"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "UserPrincipalName"
  regex = "^carol@|^bound@|^(zed|amy|Amy|dup|padded)@"

[[filter]]
id = "single-ip"
title = "One noise address"
reason = "generated"
detection_types = ["AnonymizedSignIn"]
enabled = true
  [[filter.when]]
  field = "IP"
  cidr = ["{ips[-1]}/32"]
'''
        for name, text in (("tuning-a.toml", a), ("tuning-b.toml", b)):
            with open(os.path.join(out, name), "w", encoding="utf-8") as fh:
                fh.write(text)

    def write_rules(self, out):
        text = open(SEED_RULE, encoding="utf-8").read().split("\n")
        start = next(i for i, l in enumerate(text) if l.startswith("id:"))
        end = next(i for i in range(start + 1, len(text)) if text[i].startswith("Explanation"))
        yaml = "\n".join(text[start:end]).rstrip() + "\n"
        apr = yaml.replace("customDetails:", "eventGroupingSettings:\n  aggregationKind: AlertPerResult\ncustomDetails:")
        with open(os.path.join(out, "rule-alertperresult.yaml"), "w", encoding="utf-8") as fh:
            fh.write(apr)
        ae = (yaml.replace("queryFrequency: 15m", "queryFrequency: 10m").replace("queryPeriod: 1h", "queryPeriod: 2h")
              .replace("matchingMethod: AnyAlert", "matchingMethod: AllEntities")
              .replace("lookbackDuration: PT5H", "lookbackDuration: PT2H30M"))
        with open(os.path.join(out, "rule-allentities.yaml"), "w", encoding="utf-8") as fh:
            fh.write(ae)
        # R7: a `lt` trigger fires on empty runs (alerts without events, window times, default name)
        lt = yaml.replace("triggerOperator: gt", "triggerOperator: lt").replace("triggerThreshold: 0", "triggerThreshold: 3")
        with open(os.path.join(out, "rule-lt.yaml"), "w", encoding="utf-8") as fh:
            fh.write(lt)
        # R24: suppression for 1h; R19/R20: Selected matching on IP and the alert name
        sup = (yaml.replace("triggerOperator: gt", "suppressionEnabled: true\nsuppressionDuration: PT1H\ntriggerOperator: gt")
               .replace("matchingMethod: AnyAlert", "matchingMethod: Selected")
               .replace("groupByEntities:\n      - Account\n      - IP", "groupByEntities:\n      - IP")
               .replace("groupByAlertDetails: []", "groupByAlertDetails:\n      - DisplayName"))
        with open(os.path.join(out, "rule-suppress-selected.yaml"), "w", encoding="utf-8") as fh:
            fh.write(sup)
        # R19/R20: Selected on custom details, no incident grouping on another copy
        cdsel = (yaml.replace("matchingMethod: AnyAlert", "matchingMethod: Selected")
                 .replace("groupByEntities:\n      - Account\n      - IP", "groupByEntities: []")
                 .replace("groupByCustomDetails: []", "groupByCustomDetails:\n      - AnonymizationType"))
        with open(os.path.join(out, "rule-selected-cd.yaml"), "w", encoding="utf-8") as fh:
            fh.write(cdsel)
        nog = yaml.replace("    enabled: true\n    reopenClosedIncident", "    enabled: false\n    reopenClosedIncident")
        with open(os.path.join(out, "rule-nogrouping.yaml"), "w", encoding="utf-8") as fh:
            fh.write(nog)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--seed", type=int, required=True)
    ap.add_argument("--rows", type=int, default=3000, help="background sign-ins (noise hits scale with it)")
    a = ap.parse_args()
    Gen(a.seed, a.rows).build().write(a.outdir)


if __name__ == "__main__":
    main()
