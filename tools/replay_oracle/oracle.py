#!/usr/bin/env python3
"""Independent reference for `proxyhunt replay`: rule 000 run as Microsoft Sentinel would run it.

Written from ../shared/sentinel-replay.md (R1-R27), ../shared/kql-semantics.md, DESIGN.md, issue 12,
the README's replay / tuning sections and the seed rule. It shares no code with proxyhunt (Rust);
it borrows only the table readers, `has` and time parsing of tools/kql_oracle.py (another
independent Python reference).

    python3 tools/replay_oracle/oracle.py DIR [--from T] [--to T] [--first-run T] [--now T]
        [--table-scope query|period] [--tuning FILE] [--rule FILE.yaml] [--delay 5m]
        [--lookback-exclusive] > oracle.json

Output: {"untuned": {"runs", "alerts", "incidents", "summary"}, "tuned": {...}, "incident_diff": [...]}
("tuned" and "incident_diff" only with --tuning). Times: RFC 3339, 7 fraction digits, Z.
"""
import argparse
import bisect
import datetime as dt
import ipaddress
import json
import os
import re
import sys
import tomllib

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import kql_oracle as ko  # noqa: E402  (readers, has, parse_time; independent of proxyhunt)

TICK = 1
SEC = 10_000_000
MIN = 60 * SEC
HOUR = 60 * MIN
DAY = 24 * HOUR
SEED = os.path.join(HERE, "..", "..", "..", "shared", "seeds", "000_a3b1b1419e51600a.txt")
if not os.path.exists(SEED):
    SEED = "/work/shared/seeds/000_a3b1b1419e51600a.txt"

PROJECT = ["TimeGenerated", "UserPrincipalName", "AppDisplayName", "IPAddress", "Location", "AnonymizationType",
           "ConditionalAccessStatus", "AuthenticationRequirement", "CorrelationId", "UniqueTokenIdentifier"]
TI_TAGS = ["tor", "proxy", "anonymizer", "vpn", "anonymity"]
EXTRACT_RE = re.compile(r"ipv4-addr:value = '([^']+)'")


# ----------------------------------------------------------------------------------------------
# time helpers

def fmt7(ticks):
    """RFC 3339 with exactly 7 fraction digits and Z (issue 12)."""
    secs, rem = divmod(ticks, SEC)
    base = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(seconds=secs)
    return base.strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % rem


def parse_duration(s):
    """`15m`, `1h`, `14d`, `30s`, or ISO 8601 `PT5H`, `P1D`, `PT1H30M`; returns ticks."""
    s = str(s).strip()
    m = re.fullmatch(r"(\d+)\s*([smhd])", s)
    if m:
        return int(m.group(1)) * {"s": SEC, "m": MIN, "h": HOUR, "d": DAY}[m.group(2)]
    m = re.fullmatch(r"P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?)?", s.upper())
    if m and s.upper() != "P":
        d, h, mi, se = (int(x or 0) for x in m.groups())
        return d * DAY + h * HOUR + mi * MIN + se * SEC
    raise SystemExit("oracle: bad duration %r" % s)


def parse_instant(s):
    t = ko.parse_time(s)
    if t is None:
        raise SystemExit("oracle: bad time %r" % s)
    return t


# ----------------------------------------------------------------------------------------------
# a small YAML subset reader (mappings, lists, block scalars, quoted and flow scalars): enough for
# the seed rule and deployed variants of it. The stdlib has no YAML.

def _yaml_scalar(s):
    s = s.strip()
    if s.startswith('"'):
        return json.loads(s)
    if s.startswith("'"):
        return s[1:-1].replace("''", "'")
    s = re.sub(r"\s+#.*$", "", s)
    if s.startswith("[") and s.endswith("]"):
        inner = s[1:-1].strip()
        return [] if not inner else [_yaml_scalar(x) for x in inner.split(",")]
    if s in ("true", "True", "TRUE"):
        return True
    if s in ("false", "False", "FALSE"):
        return False
    if s in ("null", "~", ""):
        return None
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    return s


def parse_yaml(text):
    raw = text.replace("\r\n", "\n").split("\n")
    lines = [(len(l) - len(l.lstrip(" ")), l.strip(), l) for l in raw]

    def skip(i):
        while i < len(lines) and (not lines[i][1] or lines[i][1].startswith("#")):
            i += 1
        return i

    def block_scalar(i, parent_indent, style):
        body = []
        block_indent = None
        while i < len(lines):
            ind, content, rawl = lines[i]
            if content and ind <= parent_indent:
                break
            if content and block_indent is None:
                block_indent = ind
            body.append(rawl)
            i += 1
        body = [b[block_indent:] if block_indent is not None else "" for b in body]
        while body and not body[-1].strip():
            body.pop()
        text_ = "\n".join(body)
        if style.startswith(">"):
            text_ = re.sub(r"(?<!\n)\n(?!\n)", " ", text_)
        if not style.endswith("-"):
            text_ += "\n"  # clip chomping: one final line break
        return text_, i

    def node(i, ind):
        i = skip(i)
        if i >= len(lines):
            return None, i
        if lines[i][1].startswith("- ") or lines[i][1] == "-":
            return seq(i, lines[i][0])
        return mapping(i, lines[i][0], None)

    def mapping(i, ind, first):
        out = {}
        while True:
            if first is not None:
                content, first = first, None
            else:
                i = skip(i)
                if i >= len(lines) or lines[i][0] != ind or lines[i][1].startswith("- "):
                    break
                content = lines[i][1]
                i += 1
            m = re.match(r"([^:]+?):(?:\s+(.*))?$", content)
            if not m:
                raise SystemExit("oracle: YAML line not understood: %r" % content)
            key, rest = m.group(1).strip().strip('"'), (m.group(2) or "").strip()
            if rest[:1] in ("|", ">"):
                out[key], i = block_scalar(i, ind, rest)
            elif rest == "" or rest.startswith("#"):
                j = skip(i)
                if j < len(lines) and (lines[j][0] > ind or (lines[j][0] == ind and lines[j][1].startswith("- "))):
                    out[key], i = node(j, lines[j][0])
                else:
                    out[key] = None
            else:
                out[key] = _yaml_scalar(rest)
        return out, i

    def seq(i, ind):
        out = []
        while True:
            i = skip(i)
            if i >= len(lines) or lines[i][0] != ind or not (lines[i][1].startswith("- ") or lines[i][1] == "-"):
                break
            content = lines[i][1][1:].strip()
            i += 1
            if not content:
                v, i = node(i, ind + 1)
            elif re.match(r"[^\"'\[][^:]*:(\s|$)", content):
                v, i = mapping(i, ind + 2, content)
            else:
                v = _yaml_scalar(content)
            out.append(v)
        return out, i

    v, _ = node(0, 0)
    return v


def load_rule(path):
    text = open(path, encoding="utf-8-sig").read()
    if path == SEED or not re.match(r"\s*[A-Za-z_]+:", text):
        # the seed wraps the YAML in page text: take from `id:` to the first column-0 line that is
        # neither a key nor a list item ("Explanation").
        lines = text.split("\n")
        start = next(i for i, l in enumerate(lines) if l.startswith("id:"))
        end = start + 1
        while end < len(lines):
            l = lines[end]
            if l and not l[0].isspace() and not re.match(r"[A-Za-z_]+:", l) and not l.startswith("- "):
                break
            end += 1
        text = "\n".join(lines[start:end])
    return parse_yaml(text)


class Rule:
    def __init__(self, y):
        self.y = y
        self.id = y.get("id", "")
        self.name = y.get("name", "")
        self.description = y.get("description", "") or ""
        self.severity = y.get("severity", "Medium")
        self.freq = parse_duration(y["queryFrequency"])
        self.period = parse_duration(y["queryPeriod"])
        self.trigger_op = str(y.get("triggerOperator", "gt"))
        self.trigger_threshold = int(y.get("triggerThreshold", 0))
        self.tactics = y.get("tactics") or []
        self.techniques = y.get("relevantTechniques") or []
        self.mappings = []  # (entity type, [(identifier, column)])
        for m in y.get("entityMappings") or []:
            self.mappings.append((m["entityType"], [(f["identifier"], f["columnName"]) for f in m["fieldMappings"]]))
        self.custom = list((y.get("customDetails") or {}).items())
        ado = y.get("alertDetailsOverride") or {}
        self.name_fmt = ado.get("alertDisplayNameFormat")
        self.desc_fmt = ado.get("alertDescriptionFormat")
        egs = y.get("eventGroupingSettings") or {}
        self.grouping = egs.get("aggregationKind", "SingleAlert")  # R9 default SingleAlert
        self.suppression = bool(y.get("suppressionEnabled", False))  # R24
        self.suppression_duration = parse_duration(y.get("suppressionDuration", "PT5H"))
        ic = y.get("incidentConfiguration") or {}
        self.create_incident = bool(ic.get("createIncident", True))
        gc = ic.get("groupingConfiguration") or {}
        self.group_enabled = bool(gc.get("enabled", False))
        self.reopen = bool(gc.get("reopenClosedIncident", False))
        self.lookback = parse_duration(gc.get("lookbackDuration", "PT5H"))
        self.matching = gc.get("matchingMethod", "AllEntities")
        self.group_entities = gc.get("groupByEntities") or []
        self.group_details = gc.get("groupByAlertDetails") or []
        self.group_custom = gc.get("groupByCustomDetails") or []

    def fires(self, n):
        """R7: the trigger compares one run's row count with the threshold."""
        op, th = self.trigger_op.lower(), self.trigger_threshold
        return {"gt": n > th, "greaterthan": n > th, "lt": n < th, "lessthan": n < th,
                "eq": n == th, "equal": n == th, "ne": n != th, "notequal": n != th}[op]


# ----------------------------------------------------------------------------------------------
# inputs

class Event:
    __slots__ = ("key", "t", "rec", "ip")

    def __init__(self, key, t, rec):
        self.key, self.t, self.rec, self.ip = key, t, rec, rec["IPAddress"]


def load(dirpath):
    signins, ti = [], []
    files = []
    for root, _, fs in os.walk(dirpath):
        for f in fs:
            files.append(os.path.join(root, f))
    for path in sorted(files):
        t = ko.table_of(os.path.basename(path))
        if t == "signin":
            for n, r in enumerate(ko.load_rows(path)):
                signins.append(((os.path.relpath(path, dirpath), n), r))
        elif t == "ti":
            ti.extend(ko.load_rows(path))
    return signins, ti


class Data:
    def __init__(self, signins, ti):
        self.oldest_signin = None
        self.newest = None
        self.events = []  # candidate events: successful sign-ins, sorted by time
        for key, r in signins:
            t = ko.parse_time(r.get("TimeGenerated", r.get("CreatedDateTime")))
            if t is None:
                continue
            self.oldest_signin = t if self.oldest_signin is None else min(self.oldest_signin, t)
            self.newest = t if self.newest is None else max(self.newest, t)
            if ko.text(r.get("ResultType")) != "0":  # kql-semantics: ResultType == 0 read as == "0"
                continue
            rec = {c: ko.text(r.get(c)) for c in PROJECT if c not in ("TimeGenerated", "AnonymizationType")}
            self.events.append(Event(key, t, rec))
        self.events.sort(key=lambda e: (e.t, e.key))
        self.times = [e.t for e in self.events]
        # threat intel: the row-local tests once; the time tests per run (R4)
        self.ti = []  # (TimeGenerated, ValidUntil, ip, tags)
        for r in ti:
            tg = ko.parse_time(r.get("TimeGenerated"))
            if tg is None:
                continue
            if ko.boolean(r.get("IsActive")) is not True:
                continue
            tags, pattern = ko.text(r.get("Tags")), ko.text(r.get("Pattern"))
            if not ko.has_any(tags, TI_TAGS) or not ko.has(pattern, "ipv4-addr:value"):
                continue
            m = EXTRACT_RE.search(pattern)
            ip = m.group(1) if m else ""
            if not ip:
                continue
            self.ti.append((tg, ko.parse_time(r.get("ValidUntil")), ip, tags))


# ----------------------------------------------------------------------------------------------
# tuning (README "False-positive tuning"; R25)

def _fold(s):
    return ko.lower_ascii(s)


def _glob_re(p):
    out = []
    for c in p:
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c.isascii() and c.isalpha():
            out.append("[%s%s]" % (c.lower(), c.upper()))
        else:
            out.append(re.escape(c))
    return re.compile("(?s)^(?:" + "".join(out) + ")$")


def _as_list(v):
    return v if isinstance(v, list) else [v]


class Condition:
    def __init__(self, w):
        self.fields = _as_list(w["field"])
        self.neg = bool(w.get("not", False))
        cs = bool(w.get("case_sensitive", False))
        if "equals" in w or "in" in w:
            vals = [str(x) for x in _as_list(w["equals"] if "equals" in w else w["in"])]
            if cs:
                s = set(vals)
                self.m = lambda v: v in s
            else:
                s = {_fold(x) for x in vals}
                self.m = lambda v: _fold(v) in s
        elif "glob" in w:
            pats = [_glob_re(p) for p in _as_list(w["glob"])]
            self.m = lambda v: any(p.match(v) for p in pats)
        elif "regex" in w:
            pats = [re.compile(p) for p in _as_list(w["regex"])]
            self.m = lambda v: any(p.search(v) for p in pats)
        elif "has" in w:
            terms = [str(x) for x in _as_list(w["has"])]
            self.m = lambda v: ko.has_any(v, terms)
        elif "cidr" in w:
            nets = [ipaddress.ip_network(c, strict=False) for c in _as_list(w["cidr"])]

            def m(v):
                try:
                    a = ipaddress.ip_address(v)
                except ValueError:
                    return False
                return any(a.version == n.version and a in n for n in nets)
            self.m = m
        elif "ports" in w:
            ports = set(int(p) for p in _as_list(w["ports"]))
            self.m = lambda v: v.isdigit() and int(v) in ports
        else:
            raise SystemExit("oracle: condition without matcher: %r" % w)

    def holds(self, rec):
        hit = any(self.m(_field(rec, f)) for f in self.fields)
        return not hit if self.neg else hit


def _field(rec, f):
    if f == "DetectionType":
        return "AnonymizedSignIn"
    if f == "IP":
        return rec["IPAddress"]
    if f == "User":
        return _fold(rec["UserPrincipalName"])
    if f == "AnonymizationType":
        return json.dumps(rec["AnonymizationType"], separators=(",", ":"), ensure_ascii=False)
    if f == "TimeGenerated":
        return fmt7(rec["_t"])
    v = rec.get(f)
    return v if isinstance(v, str) else ""


class Filter:
    def __init__(self, f):
        self.id = f["id"]
        self.enabled = bool(f.get("enabled", True))
        self.types = _as_list(f.get("detection_types", []))
        exp = f.get("expires")
        if isinstance(exp, str):
            exp = dt.date.fromisoformat(exp)
        self.expires = None
        if exp is not None:
            self.expires = ko.to_ticks(dt.datetime(exp.year, exp.month, exp.day, tzinfo=dt.timezone.utc), None)
        self.conds = [Condition(w) for w in _as_list(f.get("when", []))]

    def active_at(self, T):
        # R25 [CHOICE]: a filter with `expires` applies to runs dated before that day.
        return self.enabled and "AnonymizedSignIn" in self.types and (self.expires is None or T < self.expires)

    def matches(self, rec):
        return bool(self.conds) and all(c.holds(rec) for c in self.conds)


def load_tuning(path):
    with open(path, "rb") as fh:
        raw = fh.read()
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    doc = tomllib.loads(raw.decode("utf-8"))
    return [Filter(f) for f in doc.get("filter", [])]


# ----------------------------------------------------------------------------------------------
# one run (R1-R6)

def run_query(data, T, rule, scope):
    """The rule's KQL evaluated at query_now = T on the rows that exist at T (R4, R5, R6)."""
    cut = T - rule.period  # R6 period scope: every table cut to [T - queryPeriod, T]
    sets = {}
    for tg, vu, ip, tags in data.ti:
        if tg > T:  # R5: not ingested yet
            continue
        if scope == "period" and tg < cut:
            continue
        if not tg > T - 30 * DAY:  # where TimeGenerated > ago(30d), strict
            continue
        if not (vu is None or vu > T):  # isempty(ValidUntil) or ValidUntil > now()
            continue
        sets.setdefault(ip, set()).add(tags)  # make_set(Tags) by NetworkIP
    lo = T - HOUR  # the KQL's own `TimeGenerated > ago(1h)`
    i = bisect.bisect_right(data.times, lo)
    j = bisect.bisect_right(data.times, T)  # R5 cap (and R4 inclusive upper bound)
    rows = []
    for e in data.events[i:j]:
        if scope == "period" and e.t < cut:
            continue
        s = sets.get(e.ip)
        if s is None:
            continue
        rec = dict(e.rec)
        rec["_t"] = e.t
        rec["_key"] = e.key
        rec["AnonymizationType"] = sorted(s)
        rows.append(rec)
    # `order by TimeGenerated desc`; R27 ties broken by the full record (projected columns in
    # projection order, ascending), then by source position for exact duplicates.
    rows.sort(key=lambda r: (-r["_t"],) + tuple(_col_text(r, c) for c in PROJECT[1:]) + (r["_key"],))
    return rows


def _col_text(rec, c):
    v = rec.get(c)
    if c == "AnonymizationType":
        return json.dumps(v, separators=(",", ":"), ensure_ascii=False)
    return v


# ----------------------------------------------------------------------------------------------
# alerts (R9-R16)

QUERY_TIME = fmt7  # R15 / S16; issue 12: RFC 3339 with 7 fraction digits


def utf8_cut(s, limit):
    """R11 [CHOICE]: text over a limit is truncated at a UTF-8 boundary."""
    b = s.encode("utf-8")
    if len(b) <= limit:
        return s
    return b[:limit].decode("utf-8", errors="ignore")


def fill(fmt, row, default):
    """R11: placeholders from the first row; an empty referenced value reverts the whole field."""
    if fmt is None or row is None:
        return default
    out = []
    pos = 0
    for m in re.finditer(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}", fmt):
        v = _value_text(row, m.group(1))
        if v == "":
            return default
        out.append(fmt[pos:m.start()])
        out.append(v)
        pos = m.end()
    out.append(fmt[pos:])
    return "".join(out)


def _value_text(row, col):
    if col == "TimeGenerated":
        return fmt7(row["_t"])
    if col == "AnonymizationType":
        return json.dumps(row["AnonymizationType"], separators=(",", ":"), ensure_ascii=False)
    v = row.get(col)
    return v if isinstance(v, str) else ""


def entities(rows, rule):
    """R12: rows in result order, mappings in rule order; empty identifiers make no entity; exact
    duplicates merged; 500 // mappings per mapping; added one by one while the compact JSON array
    stays within 64 KB, then everything not yet added is dropped."""
    per = 500 // max(1, len(rule.mappings))
    out, seen, count = [], set(), [0] * len(rule.mappings)
    size = 2  # "[]"
    for r in rows:
        for k, (etype, fields) in enumerate(rule.mappings):
            ent = {"Type": etype.lower()}
            for ident, col in fields:
                v = _value_text(r, col)
                if v != "":
                    ent[ident] = v
            if len(ent) == 1:
                continue
            key = json.dumps(ent, separators=(",", ":"), ensure_ascii=False)
            if key in seen:
                continue
            if count[k] >= per:
                continue
            add = len(key.encode("utf-8")) + (1 if out else 0)
            if size + add > 64 * 1024:
                return out
            seen.add(key)
            out.append(ent)
            size += add
            count[k] += 1
    return out


def custom_details(rows, rule):
    """R13: per key (rule order) the distinct non-empty values in result order, at most 50; all
    values together at most 2 KB (UTF-8 bytes of the values); the first value that would pass 2 KB
    ends its key (the next key may still add smaller values)."""
    out, total = {}, 0
    for key, col in rule.custom:
        vals, seen = [], set()
        for r in rows:
            v = _value_text(r, col)
            if v == "" or v in seen:
                continue
            if len(vals) >= 50:
                break
            n = len(v.encode("utf-8"))
            if total + n > 2048:
                break
            seen.add(v)
            vals.append(v)
            total += n
        out[key] = vals  # R13 "each key holds an array": a key with no value is an empty array
    return out


def event_record(r):
    rec = {"DetectionType": "AnonymizedSignIn", "TimeGenerated": fmt7(r["_t"])}
    for c in PROJECT[1:]:
        rec[c] = r[c]
    rec["_key"] = list(r["_key"])
    return rec


def make_alert(rule, T, n, rows, count, delay, per_result):
    first = rows[0] if rows else None
    name = utf8_cut(fill(rule.name_fmt, first, rule.name), 256)  # R11 limits: 256 bytes
    desc = utf8_cut(fill(rule.desc_fmt, first, rule.description), 5 * 1024)  # 5 KB
    if rows:
        start, end = min(r["_t"] for r in rows), max(r["_t"] for r in rows)  # R15
    else:
        start, end = T - rule.period, T  # R7/R15 choice: no rows -> window bounds
    created = T + delay  # R3, R15
    ext = {
        "Query Start Time UTC": QUERY_TIME(T - rule.period),
        "Query End Time UTC": QUERY_TIME(T),
        "Query Period": rule.y.get("queryPeriod"),
        "Trigger Operator": rule.trigger_op,
        "Trigger Threshold": rule.trigger_threshold,
        "Search Query Results Overall Count": count,
        "Analytic Rule Ids": rule.id,
        "Analytic Rule Name": rule.name,
        "Event Grouping": rule.grouping,
        "Custom Details": custom_details(rows, rule),
    }
    return {
        "SystemAlertId": "%s:%s:%d" % (rule.id, fmt7(T), n),  # R27
        "QueryTime": fmt7(T),
        "AlertName": name,
        "Description": desc,
        "AlertSeverity": rule.severity,  # R14
        "Tactics": ",".join(rule.tactics),
        "Techniques": rule.techniques,
        "ProductName": "Azure Sentinel",  # R16
        "ProviderName": "ASI Scheduled Alerts",
        "VendorName": "Microsoft",
        "AlertType": rule.id,
        "StartTime": fmt7(start),
        "EndTime": fmt7(end),
        "TimeGenerated": fmt7(created),
        "ProcessingEndTime": fmt7(created),
        "Entities": entities(rows, rule),
        "ExtendedProperties": ext,
        "Events": [event_record(r) for r in rows],
        "_created": created,
        "_start": start,
        "_end": end,
        "_per_result": per_result,
        "_rows": rows,
    }


def run_alerts(rule, T, rows, delay):
    """R7 trigger, R9 SingleAlert, R10 AlertPerResult with the 150 cap."""
    n = len(rows)
    if not rule.fires(n):
        return []
    if rule.grouping == "AlertPerResult" and rows:
        if n <= 150:  # R10 choice: exactly 150 rows -> 150 alerts
            return [make_alert(rule, T, k, [r], n, delay, True) for k, r in enumerate(rows)]
        alerts = [make_alert(rule, T, k, [r], n, delay, True) for k, r in enumerate(rows[:149])]
        alerts.append(make_alert(rule, T, 149, rows, n, delay, False))  # the 150th sums up all
        return alerts
    return [make_alert(rule, T, 0, rows, n, delay, False)]


# ----------------------------------------------------------------------------------------------
# incidents (R17-R23)

def match_key(rule, alert):
    if rule.matching == "AnyAlert":  # R19: groupBy* ignored
        return ()
    ents = alert["Entities"]
    if rule.matching == "AllEntities":  # R20
        return frozenset(json.dumps(e, sort_keys=True) for e in ents)
    sel = {t.lower() for t in rule.group_entities}
    k_ents = frozenset(json.dumps(e, sort_keys=True) for e in ents if e["Type"] in sel)
    k_det = tuple((d, alert["AlertName"] if d == "DisplayName" else alert["AlertSeverity"]) for d in rule.group_details)
    cd = alert["ExtendedProperties"]["Custom Details"]
    k_cd = tuple((c, tuple(cd.get(c, []))) for c in rule.group_custom)
    return (k_ents, k_det, k_cd)


def incidents(rule, alerts, exclusive=False):
    if not rule.create_incident:
        return []
    incs = []
    for a in alerts:  # in creation order (runs in time order, alerts of a run in result order)
        target, full = None, None
        if rule.group_enabled:
            key = match_key(rule, a)
            for inc in reversed(incs):
                age = a["_created"] - inc["_first"]
                inside = age < rule.lookback if exclusive else age <= rule.lookback  # R18 inclusive
                if inc["_key"] == key and inside:
                    if len(inc["AlertIds"]) < 150:  # R21 cap
                        target = inc
                        break
                    full = full or inc
        if target is None:  # R23 (and R21: an overflow incident starts its own window)
            # R21: the overflow incident has "the same incident details as the original"
            src = {"Title": full["Title"], "Description": full["Description"], "Severity": full["Severity"]} if full else \
                {"Title": a["AlertName"], "Description": a["Description"], "Severity": a["AlertSeverity"]}
            target = {"IncidentNumber": len(incs) + 1, "Title": src["Title"], "Description": src["Description"],
                      "Severity": src["Severity"], "Status": "New", "CreatedTime": a["TimeGenerated"],
                      "AlertIds": [], "_first": a["_created"], "_key": match_key(rule, a) if rule.group_enabled else None,
                      "_fa": a["_start"], "_la": a["_end"], "_alerts": []}
            incs.append(target)
        target["AlertIds"].append(a["SystemAlertId"])
        target["_alerts"].append(a)
        target["_fa"] = min(target["_fa"], a["_start"])
        target["_la"] = max(target["_la"], a["_end"])
    for inc in incs:
        inc["FirstActivityTime"] = fmt7(inc["_fa"])
        inc["LastActivityTime"] = fmt7(inc["_la"])
        inc["AlertCount"] = len(inc["AlertIds"])
    return incs


# ----------------------------------------------------------------------------------------------
# a whole replay

def schedule(first_run, start, end, freq):
    """R1: T_k = first_run + k*freq, k >= 0, kept when start <= T_k <= end."""
    k = 0
    if first_run < start:
        k = -(-(start - first_run) // freq)
    out = []
    while True:
        T = first_run + k * freq
        if T > end:
            return out
        if T >= start:
            out.append(T)
        k += 1


def replay(data, rule, times, scope, filters, delay, exclusive):
    runs, alerts, suppressed_rows = [], [], {}
    last_alert_T = None
    for T in times:
        if rule.suppression and last_alert_T is not None and T < last_alert_T + rule.suppression_duration:
            runs.append({"QueryTime": fmt7(T), "WindowStart": fmt7(T - rule.period), "WindowEnd": fmt7(T),
                         "ResultCount": 0, "Fired": False, "Skipped": True})
            continue
        rows = run_query(data, T, rule, scope)
        if filters is not None:
            kept, gone = [], []
            for r in rows:
                by = [f.id for f in filters if f.active_at(T) and f.matches(r)]
                (gone if by else kept).append(r)
                if by:
                    r["_by"] = by
            suppressed_rows[T] = gone
            rows = kept
        new = run_alerts(rule, T, rows, delay)
        runs.append({"QueryTime": fmt7(T), "WindowStart": fmt7(T - rule.period), "WindowEnd": fmt7(T),
                     "ResultCount": len(rows), "Fired": bool(new)})
        if new:
            last_alert_T = T
        alerts.extend(new)
    incs = incidents(rule, alerts, exclusive)
    appearances = {}
    for a in alerts:
        for r in a["_rows"]:
            appearances[r["_key"]] = appearances.get(r["_key"], 0) + 1
    summary = {
        "runs": len(runs),
        "runs_fired": sum(1 for r in runs if r["Fired"]),
        "alerts": len(alerts),
        "incidents": len(incs),
        "distinct_events": len(appearances),
        "event_appearances": sum(appearances.values()),
        "max_alerts_per_event": max(appearances.values(), default=0),
    }
    return {"runs": runs, "alerts": alerts, "incidents": incs, "summary": summary, "_suppressed": suppressed_rows}


def incident_diff(rule, base_untuned, tuned, supp):
    """R25: for each untuned incident, what the tuning suppresses and where its survivors went.

    Readings (the spec names the outcome, not the bookkeeping):
    - an untuned alert's counterpart is the tuned alert of the same run (SingleAlert), or of the
      same run and row (AlertPerResult), or the same run's summary alert (R10); an alert without a
      counterpart is suppressed, whether its rows were filtered or the tuning changed what R10
      or R24 make of the run;
    - an event appearance is gone when a filter removed its row at that run, or its alert is gone;
    - `removed`: every appearance gone ("every event gone"); `unchanged`: none gone and every
      alert kept; `reduced` otherwise;
    - the tuned incidents listed hold the counterparts of its kept alerts."""
    where = {}
    for inc in tuned["incidents"]:
        for a in inc["_alerts"]:
            ident = (a["QueryTime"], a["_rows"][0]["_key"] if a["_per_result"] else None)
            where[ident] = inc["IncidentNumber"]
    out = []
    for inc in base_untuned["incidents"]:
        sup_events, sup_alerts, by, held = set(), 0, set(), set()
        gone_app, all_app = 0, 0
        for a in inc["_alerts"]:
            T = parse_instant(a["QueryTime"])
            filtered = {r["_key"]: r.get("_by", []) for r in supp.get(T, [])}
            ident = (a["QueryTime"], a["_rows"][0]["_key"] if a["_per_result"] else None)
            kept = ident in where
            if kept:
                held.add(where[ident])
            else:
                sup_alerts += 1
            for r in a["_rows"]:
                all_app += 1
                if r["_key"] in filtered:
                    sup_events.add(r["_key"])
                    by.update(filtered[r["_key"]])
                if r["_key"] in filtered or not kept:
                    gone_app += 1
        if all_app and gone_app == all_app:
            status = "removed"
        elif gone_app == 0 and sup_alerts == 0:
            status = "unchanged"
        else:
            status = "reduced"
        out.append({"IncidentNumber": inc["IncidentNumber"], "Status": status,
                    "SuppressedEvents": len(sup_events), "GoneEventAppearances": gone_app,
                    "SuppressedAlerts": sup_alerts, "AlertCount": inc["AlertCount"],
                    "SuppressedBy": sorted(by), "TunedIncidents": sorted(held)})
    return out


def public(rep):
    def clean(d):
        return {k: v for k, v in d.items() if not k.startswith("_")}
    alerts = []
    for a in rep["alerts"]:
        c = clean(a)
        c["Events"] = [{k: v for k, v in e.items()} for e in a["Events"]]
        alerts.append(c)
    return {"runs": rep["runs"], "alerts": alerts, "incidents": [clean(i) for i in rep["incidents"]],
            "summary": rep["summary"]}


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--from", dest="start")
    ap.add_argument("--to", dest="end")
    ap.add_argument("--first-run")
    ap.add_argument("--now")
    ap.add_argument("--table-scope", choices=["query", "period"], default="query")
    ap.add_argument("--tuning")
    ap.add_argument("--rule")
    ap.add_argument("--delay", default="5m")
    ap.add_argument("--lookback-exclusive", action="store_true")
    ap.add_argument("--out")
    # the other readings of two spellings the spec leaves open, to isolate other differences:
    ap.add_argument("--sentinel-query-times", action="store_true",
                    help="write Query Start/End Time UTC as S16 shows them (`YYYY-MM-DD HH:MM:SSZ`, seconds)")
    ap.add_argument("--strip-description", action="store_true",
                    help="drop the final line break of the YAML `description: |` block (R11 default text)")
    a = ap.parse_args(argv)
    rule = Rule(load_rule(a.rule or SEED))
    global QUERY_TIME
    if a.sentinel_query_times:
        QUERY_TIME = lambda t: fmt7(t - t % SEC)[:19].replace("T", " ") + "Z"
    if a.strip_description:
        rule.description = rule.description.rstrip("\n")
    signins, ti = load(a.dir)
    data = Data(signins, ti)
    if data.oldest_signin is None:
        raise SystemExit("oracle: no sign-in with a time")
    # --now latest = the newest event (sign-in tables only here; TI excluded) ; --to defaults to it,
    # --from to the oldest sign-in, --first-run to --from (R1).
    now = parse_instant(a.now) if a.now and a.now != "latest" else data.newest
    end = parse_instant(a.end) if a.end else now
    start = parse_instant(a.start) if a.start else data.oldest_signin
    first = parse_instant(a.first_run) if a.first_run else start
    times = schedule(first, start, end, rule.freq)
    delay = parse_duration(a.delay)
    base = replay(data, rule, times, a.table_scope, None, delay, a.lookback_exclusive)
    out = {"untuned": public(base)}
    if a.tuning:
        filters = load_tuning(a.tuning)
        tuned = replay(data, rule, times, a.table_scope, filters, delay, a.lookback_exclusive)
        out["tuned"] = public(tuned)
        out["incident_diff"] = incident_diff(rule, base, tuned, tuned["_suppressed"])
    text_ = json.dumps(out, ensure_ascii=False, indent=1)
    if a.out:
        with open(a.out, "w", encoding="utf-8") as fh:
            fh.write(text_)
    else:
        sys.stdout.write(text_ + "\n")


if __name__ == "__main__":
    main()
