#!/usr/bin/env python3
"""Runs `proxyhunt replay` and the independent oracle on the same data and options, and prints
the first differences. Exit 0 when they agree, 1 on a mismatch, 2 when a side failed to run.

    python3 tools/replay_oracle/compare.py DIR [--tuning F] [--rule F] [--from T] [--to T]
        [--first-run T] [--now T] [--table-scope query|period] [--bin PATH] [--max N] [--keep DIR]

What is compared (nothing the spec fixes is normalised):
  runs       QueryTime, window start/end, result count, fired                       (R1-R7)
  alerts     AlertName, Description, AlertSeverity, Tactics, Techniques, ProviderName, StartTime,
             EndTime, TimeGenerated, Entities (in order), ExtendedProperties "Query Start Time
             UTC", "Query End Time UTC", "Search Query Results Overall Count", "Custom Details"
             (in order), and the events (projected columns; event times compared as instants,
             since the spec fixes the 7-digit form only for replay's own fields)     (R9-R16)
  incidents  IncidentNumber, Title, Description, Severity, Status, CreatedTime, First/Last
             ActivityTime, AlertCount, and membership (AlertIds resolved to each side's alerts,
             compared by the alerts' run time and position in the run)          (R17-R23)
  summary    runs, fired, alerts, incidents, distinct events, appearances, max per event
  incident_diff  status, suppressed events / alerts, filters, tuned incidents        (R25)
Alert-id spelling (`<ruleId>:<T>:<n>`, R27) is reported once if it differs, not per alert.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, ".."))
import kql_oracle as ko  # noqa: E402

BIN = "/root/.cache/proxyhunt/target/debug/proxyhunt"
PROJECT = ["TimeGenerated", "UserPrincipalName", "AppDisplayName", "IPAddress", "Location", "AnonymizationType",
           "ConditionalAccessStatus", "AuthenticationRequirement", "CorrelationId", "UniqueTokenIdentifier"]
SUMMARY_KEYS = {  # oracle key -> candidate proxyhunt keys
    "runs": ["runs", "Runs"],
    "runs_fired": ["runs_fired", "RunsFired", "fired", "runsFired"],
    "alerts": ["alerts", "Alerts"],
    "incidents": ["incidents", "Incidents"],
    "distinct_events": ["distinct_events_alerted", "distinct_events"],
    "event_appearances": ["event_alert_appearances", "event_appearances"],
    "max_alerts_per_event": ["most_alerts_per_event", "max_alerts_per_event"],
}


def pick(d, names, default=None):
    for n in names:
        if isinstance(d, dict) and n in d:
            return d[n]
    return default


def ext(a):
    e = a.get("ExtendedProperties", {})
    if isinstance(e, str):
        e = json.loads(e)
    return e


def as_list(v):
    if v is None:
        return []
    if isinstance(v, list):
        return v
    s = str(v).strip()
    if s.startswith("["):
        return json.loads(s)
    return [x.strip() for x in s.split(",") if x.strip()]


def event_norm(e):
    out = {}
    for c in PROJECT:
        v = e.get(c)
        if c == "TimeGenerated":
            out[c] = ko.parse_time(v)
        elif c == "AnonymizationType":
            out[c] = json.loads(v) if isinstance(v, str) and v.startswith("[") else v
        else:
            out[c] = v
    return out


def alert_norm(a):
    e = ext(a)
    ents = a.get("Entities")
    if isinstance(ents, str):
        ents = json.loads(ents)
    cd = e.get("Custom Details")
    if isinstance(cd, str):
        cd = json.loads(cd)
    return {
        "AlertName": a.get("AlertName", a.get("DisplayName")),
        "Description": a.get("Description"),
        "AlertSeverity": a.get("AlertSeverity"),
        "Tactics": as_list(a.get("Tactics")),
        "Techniques": as_list(a.get("Techniques")),
        "ProviderName": a.get("ProviderName"),
        "StartTime": a.get("StartTime"),
        "EndTime": a.get("EndTime"),
        "TimeGenerated": a.get("TimeGenerated"),
        "Query Start Time UTC": e.get("Query Start Time UTC"),
        "Query End Time UTC": e.get("Query End Time UTC"),
        "Search Query Results Overall Count": str(e.get("Search Query Results Overall Count")),
        "Entities": ents,
        "Custom Details": cd,
        "Events": [event_norm(x) for x in pick(a, ["Events", "events"], [])],
    }


def alert_slots(alerts):
    """Alert id -> (creation time, position within its run), the identity both sides share."""
    slots, seen = {}, {}
    for a in alerts:
        t = ko.parse_time(a.get("TimeGenerated"))
        t = iso7(t) if t is not None else str(a.get("TimeGenerated"))
        n = seen.get(t, 0)
        seen[t] = n + 1
        slots[pick(a, ["SystemAlertId", "AlertId", "Id", "id"])] = (t, n)
    return slots


def iso7(t):
    import datetime as dt
    secs, rem = divmod(t, 10_000_000)
    return (dt.datetime(1970, 1, 1) + dt.timedelta(seconds=secs)).strftime("%Y-%m-%dT%H:%M:%S") + ".%07dZ" % rem


def inc_norm(i, slots):
    ids = as_list(i.get("AlertIds"))
    return {k: i.get(k) for k in ["IncidentNumber", "Title", "Description", "Severity", "Status", "CreatedTime",
                                  "FirstActivityTime", "LastActivityTime", "AlertCount"]} | {
        "Alerts": [slots.get(x, ("?unknown id", x)) for x in ids]}


def run_norm(r):
    return {"QueryTime": pick(r, ["QueryTime", "query_time"]),
            "WindowStart": pick(r, ["WindowStart", "window_start", "Start", "QueryStartTime", "Query Start Time UTC"]),
            "WindowEnd": pick(r, ["WindowEnd", "window_end", "End", "QueryEndTime", "Query End Time UTC"]),
            "ResultCount": pick(r, ["ResultCount", "result_count", "Results", "Count"]),
            "Fired": pick(r, ["Fired", "fired"])}


class Diff:
    def __init__(self, limit, ignore=()):
        self.limit, self.items, self.count, self.classes = limit, [], 0, {}
        self.ignore, self.ignored = list(ignore), {}

    def add(self, path, ph, orc):
        for ig in self.ignore:
            if ig in path:
                self.ignored[ig] = self.ignored.get(ig, 0) + 1
                return
        self.count += 1
        cls = re.sub(r"\[[^\]]*\]", "[]", path)
        n = self.classes.get(cls, (0, path, ph, orc))
        self.classes[cls] = (n[0] + 1,) + n[1:]
        if len(self.items) < self.limit:
            self.items.append((path, ph, orc))

    def cmp(self, path, ph, orc):
        if isinstance(ph, dict) and isinstance(orc, dict):
            for k in list(orc.keys()) + [k for k in ph if k not in orc]:
                if k not in ph:
                    self.add(path + "." + k, "<missing>", orc[k])
                elif k not in orc:
                    self.add(path + "." + k, ph[k], "<missing>")
                else:
                    self.cmp(path + "." + k, ph[k], orc[k])
        elif isinstance(ph, list) and isinstance(orc, list):
            if len(ph) != len(orc):
                self.add(path + ".length", len(ph), len(orc))
            for n, (x, y) in enumerate(zip(ph, orc)):
                before = self.count
                self.cmp("%s[%d]" % (path, n), x, y)
                if self.count - before > 20:  # one divergent element is enough detail
                    break
        elif ph != orc:
            self.add(path, ph, orc)


def short(v, n=300):
    s = json.dumps(v, ensure_ascii=False) if not isinstance(v, str) else repr(v)
    return s if len(s) <= n else s[:n] + "...(%d chars)" % len(s)


def compare_replay(d, tag, ph, orc):
    d.cmp(tag + ".summary", {k: pick(ph.get("summary", {}), v) for k, v in SUMMARY_KEYS.items()}, orc["summary"])
    d.cmp(tag + ".runs", [run_norm(r) for r in ph.get("runs", [])], [run_norm(r) for r in orc["runs"]])
    # alerts matched by (run time, position in run) so that one missing alert does not shift all
    pa, oa = ph.get("alerts", []), orc["alerts"]
    ps, os_ = alert_slots(pa), alert_slots(oa)
    pmap = {ps[pick(a, ["SystemAlertId", "AlertId", "Id", "id"])]: a for a in pa}
    omap = {os_[pick(a, ["SystemAlertId", "AlertId", "Id", "id"])]: a for a in oa}
    for slot in sorted(set(pmap) | set(omap), key=lambda s: (str(s[0]), s[1])):
        path = "%s.alerts[created %s #%d]" % (tag, slot[0], slot[1])
        if slot not in pmap:
            d.add(path, "<no alert>", "alert %r" % omap[slot].get("AlertName"))
        elif slot not in omap:
            d.add(path, "alert %r" % pmap[slot].get("AlertName"), "<no alert>")
        else:
            d.cmp(path, alert_norm(pmap[slot]), alert_norm(omap[slot]))
    d.cmp(tag + ".incidents", [inc_norm(i, ps) for i in ph.get("incidents", [])],
          [inc_norm(i, os_) for i in orc["incidents"]])
    ids = [pick(a, ["SystemAlertId", "AlertId", "Id", "id"]) for a in pa[:1]]
    return ids


def diff_norm(x):
    return {
        "IncidentNumber": pick(x, ["IncidentNumber", "incident", "Incident"]),
        "Status": pick(x, ["Status", "status"]),
        "SuppressedEvents": pick(x, ["SuppressedEvents", "suppressed_events", "EventsSuppressed"]),
        "SuppressedAlerts": pick(x, ["SuppressedAlerts", "suppressed_alerts", "AlertsSuppressed"]),
        "SuppressedBy": sorted(as_list(pick(x, ["SuppressedBy", "Filters", "filters", "suppressed_by"]))),
        "TunedIncidents": sorted(as_list(pick(x, ["TunedIncidents", "tuned_incidents", "HeldBy", "NowIn"]))),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("--bin", default=BIN)
    ap.add_argument("--max", type=int, default=25)
    ap.add_argument("--keep", help="write proxyhunt.json / oracle.json / stderr there")
    ap.add_argument("--ignore", action="append", default=[],
                    help="a kind of difference already reported (a substring of its path, e.g. 'Query Start Time UTC'):"
                         " counted apart, not listed, and not a mismatch on its own")
    ap.add_argument("--sentinel-query-times", action="store_true", help="oracle only: the other reading (see oracle.py)")
    ap.add_argument("--strip-description", action="store_true", help="oracle only: the other reading (see oracle.py)")
    known, passthrough = ap.parse_known_args()
    oracle_only = [f for f, on in (("--sentinel-query-times", known.sentinel_query_times),
                                   ("--strip-description", known.strip_description)) if on]
    out = known.keep or tempfile.mkdtemp(prefix="replay-compare-")
    os.makedirs(out, exist_ok=True)
    ph_json, or_json = os.path.join(out, "proxyhunt.json"), os.path.join(out, "oracle.json")
    for f in (ph_json, or_json):
        if os.path.exists(f):
            os.remove(f)
    cmd = [known.bin, "replay", known.dir, "--format", "json", "--out", ph_json] + passthrough
    p = subprocess.run(cmd, capture_output=True, text=True)
    open(os.path.join(out, "proxyhunt.stderr"), "w").write(p.stderr)
    if p.returncode != 0:
        print("proxyhunt failed (%d): %s\n%s" % (p.returncode, " ".join(cmd), p.stderr[-3000:]))
        return 2
    q = subprocess.run([sys.executable, os.path.join(HERE, "oracle.py"), known.dir, "--out", or_json] + passthrough + oracle_only,
                       capture_output=True, text=True)
    if q.returncode != 0:
        print("oracle failed: %s" % q.stderr[-3000:])
        return 2
    ph, orc = json.load(open(ph_json)), json.load(open(or_json))
    d = Diff(known.max, known.ignore)
    notes = []
    for tag in ["untuned", "tuned"]:
        if tag in orc or tag in ph:
            if tag not in ph or tag not in orc:
                d.add(tag, "present" if tag in ph else "<missing>", "present" if tag in orc else "<missing>")
                continue
            ids = compare_replay(d, tag, ph[tag], orc[tag])
            oids = [a["SystemAlertId"] for a in orc[tag]["alerts"][:1]]
            if ids and oids and ids != oids:
                notes.append("alert id spelling differs (R27 fixes only <ruleId>:<T>:<n>): proxyhunt %r, oracle %r" % (ids[0], oids[0]))
    if "incident_diff" in orc or "incident_diff" in ph:
        d.cmp("incident_diff", [diff_norm(x) for x in ph.get("incident_diff", [])],
              [diff_norm(x) for x in orc.get("incident_diff", [])])
    print("compare: %s %s" % (known.dir, " ".join(passthrough)))
    for k in ["untuned", "tuned"]:
        if k in orc:
            print("  oracle %s: %s" % (k, json.dumps(orc[k]["summary"])))
            if k in ph:
                print("  proxyhunt %s: %s" % (k, json.dumps(ph[k].get("summary"))))
    for n in sorted(set(notes)):
        print("  note: " + n)
    for ig, n in d.ignored.items():
        print("  ignored (--ignore %r): %d difference(s)" % (ig, n))
    if not d.count:
        print("  SAME")
        return 0
    print("  %d difference(s), by kind (count, first case):" % d.count)
    for cls, (n, path, a, b) in d.classes.items():
        print("  * %dx %s\n      e.g. %s\n      proxyhunt: %s\n      oracle:    %s" % (n, cls, path, short(a, 200), short(b, 200)))
    print("  the first %d:" % len(d.items))
    for path, a, b in d.items:
        print("  - %s\n      proxyhunt: %s\n      oracle:    %s" % (path, short(a), short(b)))
    print("  (outputs in %s)" % out)
    return 1


if __name__ == "__main__":
    sys.exit(main())
