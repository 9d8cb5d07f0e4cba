#!/usr/bin/env python3
"""A held-out corpus of damaged and hostile inputs for proxyhunt, generated and run.

Generates (deterministically, from --seed, into a temporary directory) several hundred damaged
and hostile input files from clean base tables, runs `proxyhunt check` and `proxyhunt hunt` on
each with a timeout, and reports per damage kind: panics, hangs, raw control or bidi characters
that reach a terminal or stderr, unneutralised CSV formula cells, and rows lost silently.

The oracle: every base row is planted so that it makes exactly one finding, with its id
(`RID00042Z`) in a projected column (for threat intel: the sign-in row of the same index, whose
address only that indicator names). The runner knows the byte span of every row in the file it
wrote, so for damage that touches part of a file it knows which rows were untouched: those must
all be found by `hunt`. Every row that is lost must be accounted for by an error naming the file
(or by `check` counting it as loaded, for damage that changed a value rather than broke a row).

Standard library only; Parquet and xlsx files are written by a second Python that has pyarrow
and openpyxl (--writer-python, default: this Python if it has them, else
/tmp/venv-corpus/bin/python, else those formats are skipped).

Usage: tools/corpus/run.py [--bin PATH] [--seed N] [--jobs N] [--timeout S] [--only REGEX]
                           [--failures DIR] [--keep DIR] [--list] [--no-pty]
Exit status: 0 when no failure, 1 when some case failed, 2 on a usage or setup error.
"""

import argparse
import concurrent.futures as futures
import csv
import gzip
import io
import json
import os
import random
import re
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import threading
import time
import unicodedata
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "sample-data"
NOW = "2026-05-13T00:00:00Z"
ROWS = 36  # base rows per table

SIGNIN = "AADNonInteractiveUserSignInLogs"
TI = "ThreatIntelIndicators"
PROC = "DeviceProcessEvents"
NET = "DeviceNetworkEvents"
TABLES = [SIGNIN, TI, PROC, NET]

# Columns no detection tests and no finding shows: damage to their values must cost nothing.
UNNEEDED = {
    SIGNIN: ["TenantId", "SourceSystem", "UserDisplayName", "ResultDescription", "Type"],
    TI: ["SourceSystem", "ObservableKey", "ObservableValue"],
    PROC: ["DeviceId", "ActionType", "FolderPath"],
    NET: ["ActionType", "LocalIP", "Protocol"],
}
UNNEEDED_NUMBER = {
    SIGNIN: "ProcessingTimeInMilliseconds",
    TI: "Confidence",
    PROC: "ProcessId",
    NET: "LocalPort",
}
UNNEEDED_NESTED = {SIGNIN: "DeviceDetail", TI: "Data", PROC: "AdditionalFields", NET: "AdditionalFields"}

# Attacker-controlled values planted in projected columns.
HOSTILE = [
    "\x1b[31mRED\x1b[0m",
    "\x1b]0;pwned\x07title",
    "\u009b31mC1-CSI",
    "\u202eexe.txt",
    "\u2066isolate\u2069",
    "=cmd|' /C calc'!A0",
    "+SUM(1,2)",
    "-2+3",
    "@SUM(A1:A2)",
    'evil"\n| take 0\n//',
    "\x07bell",
    "tab\there",
    "\u0085next-line",
    "\x7fdel",
    "\u200fRLM",
    "\rCARRIAGE",
    "\u0090DCS",
]
HOSTILE_COLUMNS = {
    SIGNIN: ["UserPrincipalName", "AppDisplayName", "Location", "UniqueTokenIdentifier"],
    TI: ["Tags"],
    PROC: ["AccountName", "InitiatingProcessCommandLine", "DeviceName", "InitiatingProcessFileName"],
    NET: ["DeviceName", "RemoteUrl", "InitiatingProcessFileName"],
}
ID_RE = re.compile(r"RID(\d{5})Z")


def rid(i):
    return f"RID{i:05d}Z"


# ---------------------------------------------------------------------------------------------
# Base rows: taken from sample-data/, each changed so that it makes one finding with its id.


def iso(day, minute, frac=""):
    return f"2026-05-{day:02d}T{minute // 60:02d}:{minute % 60:02d}:00{frac}Z"


def signin_ip(i):
    return f"100.64.{i // 200}.{i % 200 + 1}"


def load_samples():
    with open(SAMPLE / f"{SIGNIN}.csv", encoding="utf-8-sig", newline="") as f:
        signins = list(csv.DictReader(f))
    procs = [json.loads(l) for l in open(SAMPLE / f"{PROC}.ndjson", encoding="utf-8") if l.strip()]
    la = json.load(open(SAMPLE / f"{NET}.json", encoding="utf-8"))["tables"][0]
    names = [c["name"] for c in la["columns"]]
    nets = [dict(zip(names, r)) for r in la["rows"]]
    tis = json.load(open(SAMPLE / f"{TI}.json", encoding="utf-8"))
    return signins, tis, procs, nets


def dynamic(row, name):
    for k in (f"{name}_dynamic", f"{name}_string"):
        v = row.pop(k, "")
        if v:
            try:
                return json.loads(v)
            except ValueError:
                return v
    return None


def hostile_for(rng, table, row, i):
    cols = HOSTILE_COLUMNS[table]
    col = cols[i % len(cols)]
    h = HOSTILE[i % len(HOSTILE)]
    if table == TI:
        row["Tags"] = f"tor {h}"
    elif col in ("UserPrincipalName",):
        row[col] = f"{h}@contoso.com" if i % 2 else f"{h}"
    else:
        row[col] = h


def base_rows(rng, samples, table, first, n):
    """n rows of `table` with ids first..first+n-1, as ordered dicts of plain JSON values."""
    signins, tis, procs, nets = samples
    out = []
    for k in range(n):
        i = first + k
        minute = (i * 7) % 1400
        if table == SIGNIN:
            src = dict(rng.choice(signins))
            src.pop("TimeGenerated [UTC]", None)
            dev = dynamic(src, "DeviceDetail")
            loc = dynamic(src, "LocationDetails")
            row = {
                "TenantId": src["TenantId"],
                "SourceSystem": src["SourceSystem"],
                "TimeGenerated": iso(12, minute, ".1234567"),
                "UserPrincipalName": src["UserPrincipalName"],
                "UserDisplayName": src["UserDisplayName"],
                "AppDisplayName": src["AppDisplayName"],
                "IPAddress": signin_ip(i),
                "Location": src["Location"],
                "ResultType": 0,
                "ResultDescription": src["ResultDescription"],
                "ConditionalAccessStatus": src["ConditionalAccessStatus"],
                "AuthenticationRequirement": src["AuthenticationRequirement"],
                "CorrelationId": rid(i),
                "UniqueTokenIdentifier": src["UniqueTokenIdentifier"],
                "UserAgent": src["UserAgent"],
                "IsInteractive": False,
                "ProcessingTimeInMilliseconds": 40 + i,
                "DeviceDetail": dev if dev is not None else {"deviceId": ""},
                "LocationDetails": loc if loc is not None else {"city": ""},
                "Type": SIGNIN,
            }
        elif table == TI:
            row = dict(rng.choice(tis))
            ip = signin_ip(i)
            row.update(
                {
                    "TimeGenerated": iso(10, minute, ".0000005"),
                    "Id": f"indicator--{rid(i)}",
                    "Tags": "tor",
                    "Pattern": f"[ipv4-addr:value = '{ip}']",
                    "ObservableKey": "ipv4-addr:value",
                    "ObservableValue": ip,
                    "IsActive": True,
                    "ValidUntil": "2026-06-30T00:00:00.0000000Z",
                    "Confidence": 50 + i % 50,
                }
            )
        elif table == PROC:
            row = dict(rng.choice(procs))
            row.update(
                {
                    "Timestamp": iso(12, minute, ".0000003"),
                    "TimeGenerated": iso(12, minute, ".0000004"),
                    "FileName": "curl.exe",
                    "ProcessCommandLine": f"proxychains curl http://{rid(i)}.example/",
                    "ProcessId": 1000 + i,
                }
            )
            row["AdditionalFields"] = {"note": "unused", "n": i}
        else:
            row = dict(rng.choice(nets))
            row.update(
                {
                    "Timestamp": iso(12, minute, ".0000002"),
                    "TimeGenerated": iso(12, minute, ".0000001"),
                    "RemoteIP": f"185.220.{i // 250}.{i % 250 + 1}",
                    "RemotePort": 9001,
                    "RemoteIPType": "Public",
                    "InitiatingProcessCommandLine": f"tor.exe -f torrc {rid(i)}",
                    "LocalPort": 50000 + i,
                }
            )
            row["AdditionalFields"] = {"note": "unused", "n": i}
        hostile_for(rng, table, row, i)
        out.append(row)
    return out


def column_types(table, rows):
    """Log Analytics column types of a table's rows."""
    types = {}
    for name in rows[0]:
        v = rows[0][name]
        if name in ("TimeGenerated", "Timestamp", "ValidUntil", "ValidFrom"):
            types[name] = "datetime"
        elif isinstance(v, bool):
            types[name] = "bool"
        elif isinstance(v, int):
            types[name] = "long"
        elif isinstance(v, (dict, list)):
            types[name] = "dynamic"
        else:
            types[name] = "string"
    return types


# ---------------------------------------------------------------------------------------------
# Writers. Each gives the file's bytes and, per row, the byte span of its text (without its line
# end or separator) and the spans of its cells' values; `head` is where the first row starts.


class Layout:
    def __init__(self):
        self.buf = bytearray()
        self.rows = []  # (start, end)
        self.cells = []  # per row: {column: (start, end)} of the value's text
        self.head = 0

    def put(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8", "surrogatepass")
        self.buf += data

    def at(self):
        return len(self.buf)


def csv_cell(v):
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (dict, list)):
        v = json.dumps(v, ensure_ascii=False)
    s = str(v)
    if any(c in s for c in ',"\r\n') or s != s.strip():
        return '"' + s.replace('"', '""') + '"'
    return s


def write_csv(table, rows, newline="\r\n", bom=False):
    L = Layout()
    if bom:
        L.put(b"\xef\xbb\xbf")
    cols = list(rows[0])
    L.put(",".join(cols) + newline)
    L.head = L.at()
    for r in rows:
        start = L.at()
        cells = {}
        for k, c in enumerate(cols):
            if k:
                L.put(",")
            text = csv_cell(r.get(c))
            s = L.at()
            L.put(text)
            q = 1 if text.startswith('"') else 0
            cells[c] = (s + q, L.at() - q)
        L.rows.append((start, L.at()))
        L.cells.append(cells)
        L.put(newline)
    return L


def json_object(L, r):
    """Writes one object; returns its cells."""
    cells = {}
    L.put("{")
    for k, (c, v) in enumerate(r.items()):
        if k:
            L.put(", ")
        L.put(json.dumps(c) + ": ")
        s = L.at()
        L.put(json.dumps(v, ensure_ascii=False))
        q = 1 if isinstance(v, str) else 0
        cells[c] = (s + q, L.at() - q)
    L.put("}")
    return cells


def write_ndjson(table, rows):
    L = Layout()
    for r in rows:
        start = L.at()
        L.cells.append(json_object(L, r))
        L.rows.append((start, L.at()))
        L.put("\n")
    return L


def write_array(table, rows):
    L = Layout()
    L.put("[\n  ")
    L.head = L.at()
    for k, r in enumerate(rows):
        if k:
            L.put(",\n  ")
        start = L.at()
        L.cells.append(json_object(L, r))
        L.rows.append((start, L.at()))
    L.put("\n]\n")
    return L


def write_la(table, rows, compact=False):
    """A Log Analytics API response; one row per line, or (`compact`) all on one line as the API
    sends it."""
    nl = "" if compact else "\n"
    L = Layout()
    types = column_types(table, rows)
    cols = [{"name": c, "type": t} for c, t in types.items()]
    L.put('{"tables": [{"name": "PrimaryResult", "columns": ' + json.dumps(cols) + ', "rows": [' + nl)
    L.head = L.at()
    for k, r in enumerate(rows):
        if k:
            L.put("," + (nl or " "))
        start = L.at()
        L.put("[")
        cells = {}
        for j, c in enumerate(types):
            if j:
                L.put(", ")
            v = r.get(c)
            if isinstance(v, (dict, list)):
                v = json.dumps(v)  # the API gives dynamic values as JSON text
            s = L.at()
            L.put(json.dumps(v, ensure_ascii=False))
            q = 1 if isinstance(v, str) else 0
            cells[c] = (s + q, L.at() - q)
        L.put("]")
        L.rows.append((start, L.at()))
        L.cells.append(cells)
    L.put(nl + "]}]}\n")
    return L


def write_hunting(table, rows, upper=True, compact=False):
    nl = "" if compact else "\n"
    L = Layout()
    types = column_types(table, rows)
    if upper:
        schema = [{"Name": c, "Type": t.capitalize()} for c, t in types.items()]
        L.put('{"Schema": ' + json.dumps(schema) + ', "Results": [' + nl)
    else:
        schema = [{"name": c, "type": t} for c, t in types.items()]
        L.put('{"schema": ' + json.dumps(schema) + ', "results": [' + nl)
    L.head = L.at()
    for k, r in enumerate(rows):
        if k:
            L.put("," + (nl or " "))
        start = L.at()
        L.cells.append(json_object(L, r))
        L.rows.append((start, L.at()))
    L.put(nl + "]}\n")
    return L


def envelope_prefix(table, i):
    return (
        '{"time": "' + iso(12, i % 1400) + '", "tenantId": "4f1c6f6a-0000-4000-8000-c0a7e5000001", '
        '"operationName": "Publish", "category": "AdvancedHunting-' + table + '", "properties": '
    )


def write_streaming(table, rows):
    """Storage blob PT1H.json: one streaming-API envelope per line."""
    L = Layout()
    for k, r in enumerate(rows):
        start = L.at()
        L.put(envelope_prefix(table, k))
        L.cells.append(json_object(L, r))
        L.put("}")
        L.rows.append((start, L.at()))
        L.put("\n")
    return L


def write_eventhubs(table, rows):
    """Event Hubs batch: {"records": [envelope, ...]}."""
    L = Layout()
    L.put('{"records": [\n')
    L.head = L.at()
    for k, r in enumerate(rows):
        if k:
            L.put(",\n")
        start = L.at()
        L.put(envelope_prefix(table, k))
        L.cells.append(json_object(L, r))
        L.put("}")
        L.rows.append((start, L.at()))
    L.put("\n]}\n")
    return L


TEXT_FORMATS = {
    "csv": (write_csv, ".csv"),
    "ndjson": (write_ndjson, ".ndjson"),
    "json": (write_array, ".json"),
    "la-api": (write_la, ".json"),
    "la-api-1line": (lambda t, r: write_la(t, r, compact=True), ".json"),
    "hunting": (write_hunting, ".json"),
    "hunting-1line": (lambda t, r: write_hunting(t, r, upper=False, compact=True), ".json"),
    "pt1h": (write_streaming, ".json"),
    "eventhubs": (write_eventhubs, ".json"),
}
BINARY_FORMATS = {"parquet": ".parquet", "xlsx": ".xlsx"}


def formats_of(table):
    out = ["csv", "ndjson", "json", "la-api", "la-api-1line", "hunting", "hunting-1line"]
    if table in (PROC, NET):
        out += ["pt1h", "eventhubs"]
    return out


def signin_csv_rows(rows):
    """The portal's CSV: `TimeGenerated [UTC]` in its own datetime format, split dynamic columns."""
    out = []
    for r in rows:
        r = dict(r)
        t = r.pop("TimeGenerated")
        hh, mm = int(t[11:13]), int(t[14:16])
        ampm = "AM" if hh < 12 else "PM"
        h12 = hh % 12 or 12
        portal = f"5/{int(t[8:10])}/2026, {h12}:{mm:02d}:00.123 {ampm}"
        n = {"TenantId": r.pop("TenantId"), "SourceSystem": r.pop("SourceSystem"), "TimeGenerated [UTC]": portal}
        for k, v in r.items():
            if k in ("DeviceDetail", "LocationDetails"):
                n[f"{k}_dynamic"] = json.dumps(v, indent=2) if v is not None else ""
                n[f"{k}_string"] = ""
            else:
                n[k] = v
        out.append(n)
    return out


def write_text(table, fmt, rows):
    if fmt == "csv" and table == SIGNIN:
        rows = signin_csv_rows(rows)
    return TEXT_FORMATS[fmt][0](table, rows)


# ---------------------------------------------------------------------------------------------
# Parquet and xlsx, written by a Python that has pyarrow and openpyxl (this file, run with
# --write-binary SPEC).


def write_binary(spec_path):
    spec = json.load(open(spec_path, encoding="utf-8"))
    for item in spec:
        rows, types, path = item["rows"], item["types"], item["path"]
        if item["format"] == "parquet":
            import datetime

            import pyarrow as pa
            import pyarrow.parquet as pq

            arrays, fields = [], []
            for c, t in types.items():
                vals = [r.get(c) for r in rows]
                if t == "datetime":
                    ty = pa.timestamp("ns", tz="UTC")
                    vals = [
                        datetime.datetime.fromisoformat(v[:26] + "+00:00") if v else None
                        for v in vals
                    ]
                elif t == "bool":
                    ty = pa.bool_()
                elif t == "long":
                    ty = pa.int64()
                else:
                    ty = pa.string()
                    vals = [
                        json.dumps(v) if isinstance(v, (dict, list)) else (None if v is None else str(v))
                        for v in vals
                    ]
                arrays.append(pa.array(vals, type=ty))
                fields.append(pa.field(c, ty))
            pq.write_table(pa.Table.from_arrays(arrays, schema=pa.schema(fields)), path, row_group_size=8)
        else:
            import openpyxl
            from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

            wb = openpyxl.Workbook()
            ws = wb.active
            ws.title = item["table"][:31]
            ws.append(list(types))
            for r in rows:
                vals = []
                for c in types:
                    v = r.get(c)
                    if isinstance(v, (dict, list)):
                        v = json.dumps(v)
                    if isinstance(v, str):
                        v = ILLEGAL_CHARACTERS_RE.sub("?", v)
                    vals.append(v)
                ws.append(vals)
            wb.save(path)


def find_writer_python(given):
    cands = [given] if given else [sys.executable, "/tmp/venv-corpus/bin/python"]
    for py in cands:
        if py and Path(py).exists():
            r = subprocess.run([py, "-c", "import pyarrow, openpyxl"], capture_output=True)
            if r.returncode == 0:
                return py
    return None


# ---------------------------------------------------------------------------------------------
# Cases.


class Case:
    """One input set: files to write, what to pass, and what must come out."""

    def __init__(self, name, kind, table, fmt, gz=False):
        self.name = name
        self.kind = kind
        self.table = table
        self.fmt = fmt
        self.gz = gz
        self.files = {}  # relative name -> bytes
        self.args = None  # input arguments (relative to the case's input dir); default: files
        self.setup = None  # callable(input_dir) for special files (FIFOs, links, devices)
        self.feeder = None  # (relative FIFO name, bytes): written while the commands run
        self.stdin = None  # bytes for standard input
        self.base = set()  # ids of the rows in the damaged file(s)
        self.touched = set()  # ids the damage touched (may be lost, with a message)
        self.expect_msg = None  # a message that must appear (regex)
        self.expect_rc = None  # exit codes `hunt` may give
        self.names = []  # names a message about the input must carry
        self.note = ""  # what was done, for the failure report

    def companion(self):
        return {SIGNIN: TI, TI: SIGNIN}.get(self.table)


def gz(data, mtime=0):
    return gzip.compress(data, mtime=mtime)


def row_at(L, off, insert=False):
    """Rows an edit at byte `off` touches: the row holding it, both neighbours of a separator,
    every row when it is in the header, none after the last row."""
    if off < L.head:
        return set(range(len(L.rows)))
    for k, (s, e) in enumerate(L.rows):
        if s <= off < e or (insert and off == e):
            return {k}
        if off < s:
            return {k - 1, k} if k else {k}
    if L.rows and off < L.rows[-1][1] + 3 and not insert:
        return {len(L.rows) - 1}
    return set()


def tail_from(L, k):
    return set(range(k, len(L.rows)))


def rows_after(L, cut):
    """Rows that do not end before `cut` (a truncation there loses them)."""
    if cut < L.head:
        return set(range(len(L.rows)))
    return {k for k, (s, e) in enumerate(L.rows) if e > cut}


def replace(b, s, e, new):
    return bytes(b[:s]) + new + bytes(b[e:])


def good_prefix(plain, damaged_gz):
    """How many leading bytes of `plain` decompress intact from `damaged_gz`, as `gzip -dc`
    would get them (member after member, stopping at the damage)."""
    out = bytearray()
    data = damaged_gz
    while data:
        d = zlib.decompressobj(wbits=31)
        try:
            for i in range(0, len(data), 64):
                out += d.decompress(data[i:i + 64])
                if d.eof:
                    break
        except zlib.error:
            break
        if not d.eof:
            break
        data = d.unused_data
        if not data.startswith(b"\x1f\x8b"):
            break
    n = 0
    for a, b in zip(out, plain):
        if a != b:
            break
        n += 1
    return n


BAD_UTF8 = [b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xe2\x82"]
NUMBERS = [b"1e400", b"-1e400", b"0x10", b"NaN", b"Infinity", b"123456789012345678901234567890",
           b"1.0e-400", b"-0", b"01", b"+5", b".5"]
JSON_FORMATS = {"ndjson", "json", "la-api", "la-api-1line", "hunting", "hunting-1line", "pt1h", "eventhubs"}
DUP_MSG = r"more than once|duplicate|repeated|twice|\d+ times"
OBJECT_FORMATS = {"ndjson", "json", "hunting", "hunting-1line", "pt1h", "eventhubs"}
LINE_FORMATS = {"ndjson", "pt1h"}


def id_column(table):
    return {SIGNIN: "CorrelationId", TI: "Pattern", PROC: "ProcessCommandLine",
            NET: "InitiatingProcessCommandLine"}[table]


def cell_of(L, k, col):
    cells = L.cells[k]
    if col not in cells and col == "TimeGenerated":
        col = "TimeGenerated [UTC]"
    if col not in cells:
        for c in cells:
            if c.startswith(col):
                return cells[c]
    return cells[col]


class Maker:
    """Builds the cases from the base tables, deterministically from a seed."""

    def __init__(self, seed, binary_ok):
        self.rng = random.Random(seed)
        self.seed = seed
        self.binary_ok = binary_ok
        self.samples = load_samples()
        self.cases = []
        self.binary_specs = []  # (case, relname, table, format, rows)
        self.anon = random.Random(f"{seed}-anon")
        self.rows = {t: base_rows(random.Random(f"{seed}-{t}"), self.samples, t, 0, ROWS) for t in TABLES}
        self.rows2 = {t: base_rows(random.Random(f"{seed}-{t}-2"), self.samples, t, ROWS, ROWS) for t in TABLES}

    def new(self, kind, table, fmt, gzipped=False, variant=""):
        name = f"{len(self.cases):04d}-{table[:6]}-{fmt}{'-gz' if gzipped else ''}-{kind}{variant}"
        c = Case(name, kind, table, fmt, gzipped)
        self.cases.append(c)
        return c

    def file_name(self, table, fmt, gzipped):
        ext = TEXT_FORMATS[fmt][1] if fmt in TEXT_FORMATS else BINARY_FORMATS[fmt]
        if fmt == "pt1h":
            return f"{table}/PT1H.json" + (".gz" if gzipped else "")
        return f"{table}{ext}" + (".gz" if gzipped else "")

    def put(self, c, data, touched_rows, ids, rel=None):
        """The case's damaged file: `data` plain (gzipped if the case is), its rows' ids. A
        quarter of the files are named `export-N` so that their table is recognised by their
        columns (the JSON readers then gather every key) rather than by their name."""
        if rel is None and c.fmt in TEXT_FORMATS and self.anon.random() < 0.25:
            c.name += "-anon"
            rel = f"export-{len(self.cases)}{TEXT_FORMATS[c.fmt][1]}" + (".gz" if c.gz else "")
        rel = rel or self.file_name(c.table, c.fmt, c.gz)
        c.files[rel] = gz(data) if c.gz else data
        c.base |= {i for i in ids if i is not None}
        c.touched |= {ids[k] for k in touched_rows if ids[k] is not None}
        c.names.append(rel)
        return c

    # -- text formats ---------------------------------------------------------------------------

    def text_cases(self, table, fmt):
        rng = self.rng
        rows = self.rows[table]
        ids = list(range(len(rows)))
        L = write_text(table, fmt, rows)
        B = bytes(L.buf)
        n = len(L.rows)

        def case(kind, data, touched, variant="", note="", gzipped=None):
            gzipped = (rng.random() < 0.3) if gzipped is None else gzipped
            c = self.new(kind, table, fmt, gzipped, variant)
            c.note = note or kind
            return self.put(c, data, touched, ids)

        case("clean", B, set(), gzipped=False)
        case("clean", B, set(), gzipped=True)
        for v in range(2):
            cut = rng.randrange(1, len(B))
            case("truncate", B[:cut], rows_after(L, cut), f"@{cut}", f"cut at byte {cut}")
        for v in range(2):
            k = rng.randrange(n)
            s, e = L.rows[k]
            off = rng.randrange(s, e)
            bit = 1 << rng.randrange(8)
            new = B[off] ^ bit
            touched = row_at(L, off)
            if fmt == "csv" and (B[off] == 0x22 or new == 0x22 or new in (0x0a, 0x0d)):
                touched |= tail_from(L, min(touched))
            case("bitflip", replace(B, off, off + 1, bytes([new])), touched, f"@{off}",
                 f"byte {off} 0x{B[off]:02x} -> 0x{new:02x}")
        for label, ins in [("nul", b"\x00"), ("ff", b"\xff"), ("badutf8", rng.choice(BAD_UTF8[1:])),
                           ("lone-cr", b"\r")]:
            off = rng.randrange(L.head, len(B))
            touched = row_at(L, off, insert=True)
            case(f"insert-{label}", replace(B, off, off, ins), touched, f"@{off}",
                 f"{ins!r} inserted at byte {off}")
        # Bad bytes inside a value no detection needs: the row must be kept.
        for label, ins in [("badutf8", rng.choice(BAD_UTF8)), ("nul", b"\x00"), ("c1-raw", b"\x9b")]:
            k = rng.randrange(n)
            s, e = cell_of(L, k, UNNEEDED[table][rng.randrange(len(UNNEEDED[table]))])
            off = rng.randrange(s, e + 1)
            touched = {k} if (label == "nul" and fmt in JSON_FORMATS) else set()
            case(f"value-{label}", replace(B, off, off, ins), touched, f"@{off}",
                 f"{ins!r} inside an unneeded value of row {k}")
        # Line ends.
        if fmt in ("csv",) or fmt in LINE_FORMATS:
            cr = B.replace(b"\r\n", b"\n").replace(b"\n", b"\r")
            case("cr-only", cr, set() if fmt == "csv" else set(ids), note="every line end a lone CR")
            lines = B.replace(b"\r\n", b"\n").split(b"\n")
            mixed = b"".join(l + (b"\r\n" if i % 2 else b"\n") for i, l in enumerate(lines[:-1])) + lines[-1]
            case("mixed-eol", mixed, set(), note="LF and CRLF alternate")
        else:
            case("cr-only", B.replace(b"\n", b"\r"), set(), note="every line end a lone CR")
        # Quotes.
        if fmt == "csv":
            quoted = [(k, c) for k in range(n) for c, (s, e) in L.cells[k].items()
                      if B[s - 1:s] == b'"' and B[e:e + 1] == b'"']
            k, col = rng.choice(quoted)
            s, e = L.cells[k][col]
            case("quote-missing", replace(B, e, e + 1, b""), tail_from(L, k), note=f"closing quote of row {k} {col} removed")
            off = rng.randrange(s, e + 1)
            case("quote-dup", replace(B, off, off, b'"'), tail_from(L, k), note=f"extra quote in row {k} {col}")
            k = rng.randrange(n)
            unq = [c for c, (s, e) in L.cells[k].items() if B[s - 1:s] != b'"' and e > s]
            col = rng.choice(unq)
            s, e = L.cells[k][col]
            case("quote-open", replace(B, s, s, b'"'), tail_from(L, k), note=f"quote opens unquoted row {k} {col}")
        else:
            k = rng.randrange(n)
            col = rng.choice([c for c, (s, e) in L.cells[k].items() if B[s - 1:s] == b'"'])
            s, e = L.cells[k][col]
            case("quote-missing", replace(B, e, e + 1, b""), {k}, note=f"closing quote of row {k} {col} removed")
        # Ragged rows.
        if fmt == "csv":
            k = rng.randrange(n)
            s, e = L.rows[k]
            case("ragged-long", replace(B, e, e, b",extra,cells"), {k}, note=f"row {k} two cells too many")
            k = rng.randrange(n)
            s, e = L.rows[k]
            last = max(L.cells[k].values())
            case("ragged-short", replace(B, last[0] - (1 if B[last[0] - 1:last[0]] == b'"' else 0) - 1, e, b""),
                 {k}, note=f"row {k} last cell removed")
        elif fmt.startswith("la-api"):
            k = rng.randrange(n)
            s, e = L.rows[k]
            case("ragged-long", replace(B, e - 1, e - 1, b', "extra"'), {k}, note=f"row {k} one value too many")
        # Huge values, deep nesting and odd numbers in columns no detection needs.
        k = rng.randrange(n)
        s, e = cell_of(L, k, UNNEEDED[table][0])
        case("huge-field", replace(B, s, e, b"A" * (3 << 20) + "\u202e\x1b[2J".encode()), set(),
             note=f"3 MiB value in unneeded column of row {k}")
        if fmt in JSON_FORMATS:
            col = UNNEEDED_NESTED[table] if not fmt.startswith("la-api") else UNNEEDED[table][0]
            k = rng.randrange(n)
            s, e = cell_of(L, k, col)
            if B[s - 1:s] == b'"':
                s, e = s - 1, e + 1
            depth = rng.choice([2000, 100000])
            case("deep-nesting", replace(B, s, e, b"[" * depth + b"]" * depth), set(), f"{depth}",
                 f"unneeded {col} of row {k} nested {depth} deep")
            k = rng.randrange(n)
            s, e = cell_of(L, k, id_column(table))
            case("deep-nesting-needed", replace(B, s - 1, e + 1, b'{"a":' * 5000 + b"1" + b"}" * 5000), {k},
                 note=f"needed {id_column(table)} of row {k} nested")
            for v in range(2):
                k = rng.randrange(n)
                s, e = cell_of(L, k, UNNEEDED_NUMBER[table])
                num = rng.choice(NUMBERS)
                case("number-unneeded", replace(B, s, e, num), set(), f"-{num.decode()}",
                     f"unneeded {UNNEEDED_NUMBER[table]} of row {k} = {num.decode()}")
        if table == NET:
            k = rng.randrange(n)
            s, e = cell_of(L, k, "RemotePort")
            num = rng.choice(NUMBERS)
            case("number-needed", replace(B, s, e, num), {k}, f"-{num.decode()}",
                 f"RemotePort of row {k} = {num.decode()}")
        # Duplicates.
        idc = id_column(table)
        if fmt in OBJECT_FORMATS:
            k = rng.randrange(n)
            s, e = cell_of(L, k, idc)
            key = f'"{idc}": '.encode()
            ks = B.rfind(key, 0, s)
            decoy = b'"[ipv4-addr:value = \'0.0.0.0\']"' if table == TI else b'"decoy value"'
            c = case("dup-key", replace(B, ks, ks, key + decoy + b", "), {k},
                     note=f"row {k}: {idc} given twice (decoy first)")
            c.expect_msg = DUP_MSG
        elif fmt == "csv":
            cols = list(L.cells[0])
            header = B[:L.head]
            dup = UNNEEDED[table][1]
            new_header = header.replace(f",{dup},".encode(), f",{idc},".encode(), 1)
            c = case("dup-header", new_header + B[L.head:], set(ids), note=f"header {dup} renamed {idc}")
            c.expect_msg = DUP_MSG
        elif fmt.startswith("la-api"):
            dup = UNNEEDED[table][1]
            new = B.replace(f'{{"name": "{dup}"'.encode(), f'{{"name": "{idc}"'.encode(), 1)
            c = case("dup-header", new, set(ids), note=f"column {dup} renamed {idc}")
            c.expect_msg = DUP_MSG
        # BOMs.
        bom = b"\xef\xbb\xbf"
        case("bom-start", bom + B, set(), note="BOM at the start")
        case("bom-double", bom + bom + B, set(ids), note="two BOMs at the start")
        k = rng.randrange(1, n)
        s, e = L.rows[k]
        case("bom-row", replace(B, s, s, bom), {k}, note=f"BOM before row {k}")
        # Concatenated documents, trailing garbage.
        rows2 = self.rows2[table]
        L2 = write_text(table, fmt, rows2)
        B2 = bytes(L2.buf)
        ids2 = list(range(ROWS, 2 * ROWS))
        c = case("concat", B + B2, set(), note="a second document (other ids) after the first")
        c.base |= set(ids2)
        c = case("concat-bom", B + bom + B2, set(), note="a second document starting with a BOM")
        c.base |= set(ids2)
        c.touched |= set(ids2)
        if fmt in ("json", "la-api", "la-api-1line", "hunting", "hunting-1line", "eventhubs"):
            joined = B.rstrip() + B2
            c = case("concat-tight", joined, set(), note="two documents with nothing between")
            c.base |= set(ids2)
            other = write_text(table, "json" if fmt.startswith("la-api") else "la-api", rows2)
            c = case("concat-mixed", B + bytes(other.buf), set(), note="a document of another kind after the first")
            c.base |= set(ids2)
        case("trailing-garbage", B + b"\x00\xff<html>garbage\x1b[2J\n", set(), note="garbage after the data")

    def gzip_cases(self, table, fmt, B, L, ids):
        """Damage to the gzip data of a clean file."""
        rng = self.rng
        Z = gz(B)
        every = set(range(len(ids)))

        def case(kind, data, variant="", note=""):
            c = self.new(kind, table, fmt, True, variant)
            c.note = note
            if L is None:
                touched = set() if kind in ("gz-zeropad", "gz-garbage", "gz-multimember") else every
            else:
                touched = rows_after(L, good_prefix(B, data))
            rel = self.file_name(table, fmt, True)
            c.files[rel] = data
            c.names.append(rel)
            c.base |= {i for i in ids if i is not None}
            c.touched |= {ids[k] for k in touched if ids[k] is not None}
            return c

        for v in range(2):
            cut = rng.randrange(10, len(Z))
            case("gz-truncate", Z[:cut], f"@{cut}", f"gzip cut at byte {cut} of {len(Z)}")
        case("gz-notrailer", Z[:-8], note="the 8-byte trailer removed")
        case("gz-zeropad", Z + b"\x00" * 4096, note="4096 zero bytes after the member")
        case("gz-garbage", Z + b"garbage\xff\x1b[2J" * 20, note="garbage after the member")
        for v in range(2):
            off = rng.randrange(12, len(Z) - 8)
            bit = 1 << rng.randrange(8)
            case("gz-bitflip", replace(Z, off, off + 1, bytes([Z[off] ^ bit])), f"@{off}",
                 f"compressed byte {off} flipped (bit {bit})")
        if L is not None:
            k = len(L.rows) // 2
            split = L.rows[k][0]
            case("gz-multimember", gz(B[:split]) + gz(B[split:]), note=f"two members, split before row {k}")
            m2 = gz(B[split:])
            case("gz-member2-cut", gz(B[:split]) + m2[: len(m2) // 2], note="second member cut in half")
        else:
            half = len(B) // 2
            case("gz-multimember", gz(B[:half]) + gz(B[half:]), note="two members")

    # -- binary formats -------------------------------------------------------------------------

    def binary_cases(self, table, fmt):
        """Parquet and xlsx: written later by the writer Python, damaged then."""
        rng = self.rng
        ids = list(range(ROWS))
        kinds = [("clean", None), ("clean", "gz"), ("truncate", "cut"), ("truncate", "cut"),
                 ("bitflip", "flip"), ("bitflip", "flip"), ("bitflip", "flip"),
                 ("trailing-garbage", "garbage"), ("gz-truncate", "gzcut")]
        if fmt == "xlsx":
            kinds += [("zip-entry-damage", "entry")]
        for kind, how in kinds:
            c = self.new(kind, table, fmt, how in ("gz", "gzcut"))
            c.base = set(ids)
            if kind != "clean" and not (kind == "trailing-garbage" and fmt == "xlsx"):
                c.touched = set(ids)
            c.damage = (how, rng.random(), rng.randrange(8))
            c.note = kind
            rel = self.file_name(table, fmt, c.gz)
            c.names.append(rel)
            self.binary_specs.append((c, rel, table, fmt))

    def damage_binary(self, c, rel, data):
        how, x, bit = c.damage
        if how == "cut":
            cut = int(len(data) * x)
            c.note = f"cut at byte {cut} of {len(data)}"
            data = data[:cut]
        elif how == "flip":
            off = int(len(data) * x)
            c.note = f"byte {off} of {len(data)} flipped (bit {1 << bit})"
            data = replace(data, off, off + 1, bytes([data[off] ^ (1 << bit)]))
        elif how == "garbage":
            c.note = "garbage after the file"
            data = data + b"garbage\x1b[2J\xff" * 10
        elif how == "gz":
            data = gz(data)
        elif how == "gzcut":
            z = gz(data)
            cut = int(len(z) * x)
            c.note = f"gzip cut at byte {cut} of {len(z)}"
            data = z[:cut]
        elif how == "entry":
            i = data.find(b"xl/worksheets/sheet1.xml")
            off = i + 60 + int(200 * x) if i >= 0 else len(data) // 2
            off = min(off, len(data) - 1)
            c.note = f"byte {off} (in the first sheet's entry) flipped"
            data = replace(data, off, off + 1, bytes([data[off] ^ 0xFF]))
        c.files[rel] = data

    # -- whole files and odd paths --------------------------------------------------------------

    def empty_cases(self):
        header = write_csv(PROC, self.rows[PROC][:1])
        for label, rel, data in [
            ("zero-bytes", f"{PROC}.csv", b""),
            ("whitespace", f"{PROC}.ndjson", b"  \n\n\t\n"),
            ("bom-only", f"{PROC}.csv", b"\xef\xbb\xbf"),
            ("empty-array", f"{PROC}.json", b"[]\n"),
            ("empty-object", f"{PROC}.json", b"{}\n"),
            ("header-only", f"{PROC}.csv", bytes(header.buf[:header.head])),
            ("gz-of-empty", f"{PROC}.csv.gz", gz(b"")),
            ("gz-header-only", f"{PROC}.csv.gz", gz(b"")[:10]),
            ("no-tables", f"{PROC}.json", b'{"tables": []}'),
            ("nul-only", f"{PROC}.csv", b"\x00" * 64),
        ]:
            c = self.new("empty", PROC, rel.split(".", 1)[1], False, f"-{label}")
            c.files[rel] = data
            c.names.append(rel)
            if label == "header-only":
                c.expect_rc = {0, 2}  # a valid export of a quiet period
            else:
                c.expect_msg = r"."
                c.expect_rc = {2}
            c.note = label

    def clean_bytes(self, table, fmt="csv"):
        return bytes(write_text(table, fmt, self.rows[table]).buf)

    def path_cases(self):
        ids = set(range(ROWS))
        proc = self.clean_bytes(PROC)
        # A directory with a FIFO, a device, a link loop, a dangling link and a second link to the
        # file: each real file once, nothing that is not a file read, no hang.
        c = self.new("dir-odd-entries", PROC, "csv")
        c.files[f"d/{PROC}.csv"] = proc
        c.args = ["d"]
        c.base = set(ids)
        c.names = ["d/"]

        def setup(d):
            os.mkfifo(d / "d" / "pipe.csv")
            os.symlink(".", d / "d" / "loop")
            os.symlink("sub2", d / "d" / "sub1")
            os.symlink("sub1", d / "d" / "sub2")
            os.symlink("missing.csv", d / "d" / "dangling.csv")
            os.symlink(f"{PROC}.csv", d / "d" / "again.csv")
            os.mkdir(d / "d" / "deep")
            os.symlink("../..", d / "d" / "deep" / "up")
            try:
                os.mknod(d / "d" / "zero.csv", stat.S_IFCHR | 0o666, os.makedev(1, 5))
            except OSError:
                pass
        c.setup = setup
        c.note = "FIFO, /dev/zero node, link loops, dangling link, second link to the file"
        # The same file given twice, and by a link.
        c = self.new("same-file-twice", PROC, "csv")
        c.files[f"{PROC}.csv"] = proc
        c.args = [f"{PROC}.csv", f"./{PROC}.csv", "link.csv", "."]
        c.setup = lambda d: os.symlink(f"{PROC}.csv", d / "link.csv")
        c.base = set(ids)
        c.names = [f"{PROC}.csv"]
        c.note = "one file by four paths"
        # An explicit FIFO with a writer.
        c = self.new("fifo-explicit", PROC, "csv")
        c.args = [f"{PROC}.csv"]
        c.feeder = (f"{PROC}.csv", proc)
        c.base = set(ids)
        c.names = [f"{PROC}.csv"]
        c.note = "a named pipe given as PATH, fed the clean CSV"
        c = self.new("fifo-explicit-gz", PROC, "ndjson")
        c.args = ["feed"]
        c.feeder = ("feed", gz(self.clean_bytes(PROC, "ndjson")))
        c.base = set(ids)
        c.names = ["feed"]
        c.note = "a named pipe without extension, fed gzipped NDJSON"
        # Standard input.
        for fmt in ("csv", "ndjson", "json"):
            c = self.new("stdin", PROC, fmt)
            c.args = ["-"]
            c.stdin = self.clean_bytes(PROC, fmt)
            c.base = set(ids)
            c.names = ["(standard input)"]
            c.note = f"`-` with {fmt} on standard input"
        # A character device given explicitly: refused, not read for ever.
        c = self.new("device-explicit", PROC, "-")
        c.args = ["/dev/zero"]
        c.names = ["/dev/zero"]
        c.expect_msg = r"."
        c.expect_rc = {1, 2}
        c.note = "/dev/zero as PATH"
        # A link loop given explicitly.
        c = self.new("link-loop-explicit", PROC, "-")
        c.args = ["a.csv"]
        c.setup = lambda d: (os.symlink("b.csv", d / "a.csv"), os.symlink("a.csv", d / "b.csv"))
        c.names = ["a.csv"]
        c.expect_msg = r"."
        c.expect_rc = {1, 2}
        c.note = "a.csv -> b.csv -> a.csv"
        # A directory holding only a FIFO nobody writes.
        c = self.new("dir-only-fifo", PROC, "-")
        c.args = ["d"]
        c.setup = lambda d: (os.mkdir(d / "d"), os.mkfifo(d / "d" / f"{PROC}.csv"))
        c.names = ["d"]
        c.expect_rc = {1, 2}
        c.note = "a directory whose only entry is a FIFO with no writer"

    def name_cases(self):
        """Hostile file names, each with a damaged row so that a message names the file."""
        rng = self.rng
        for label, mark in [("esc", "\x1b[31m"), ("bel", "\x07"), ("rlo", "\u202e"), ("csi-c1", "\u009b"),
                            ("newline", "\n"), ("osc", "\x1b]0;x\x07")]:
            for fmt in ("csv", "ndjson"):
                rows = self.rows[PROC]
                L = write_text(PROC, fmt, rows)
                B = bytes(L.buf)
                k = rng.randrange(len(rows))
                s, e = L.rows[k]
                bad = replace(B, s, s + 1, b"#") if fmt == "ndjson" else replace(B, e, e, b",x,y")
                c = self.new("hostile-name", PROC, fmt, False, f"-{label}")
                rel = f"{PROC}{mark}evil.{fmt}"
                c.files[rel] = bad
                c.base = set(range(len(rows)))
                c.touched = {k}
                c.names = [rel]
                c.note = f"file name holds {mark!r}; row {k} broken"

    def large_cases(self):
        """Files larger than a read block (16 MiB plain, 4 MiB gzipped): the streamed readers,
        with damage in a later block. Filler rows make no finding; their random DeviceId keeps
        the gzipped file large too."""
        rng = self.rng
        table = PROC
        planted = self.rows[table]
        fill = random.Random(f"{self.seed}-filler")
        for fmt in ("csv", "ndjson", "pt1h"):
            def filler():
                r = dict(planted[0])
                r.update({"FileName": "notepad.exe", "ProcessCommandLine": "notepad.exe report.txt",
                          "AccountName": "filler", "InitiatingProcessCommandLine": "explorer.exe",
                          "DeviceName": "ws-filler", "InitiatingProcessFileName": "explorer.exe",
                          "DeviceId": "%0480x" % fill.getrandbits(1920)})
                return r
            probe = write_text(table, fmt, [filler() for _ in range(50)])
            total = (18 << 20) * 50 // len(probe.buf)
            spacing = total // (len(planted) + 1)
            rows, ids = [], []
            for j in range(total):
                k = j // spacing
                if j % spacing == spacing // 2 and k < len(planted):
                    rows.append(planted[k])
                    ids.append(k)
                else:
                    rows.append(filler())
                    ids.append(None)
            L = write_text(table, fmt, rows)
            B = bytes(L.buf)
            n = len(L.rows)
            later = [j for j in range(n) if L.rows[j][0] > (17 << 20)]

            def case(kind, data, touched, note, gzipped=False, raw=None):
                c = self.new(kind, table, fmt + "-large", gzipped)
                c.note = note + f" ({len(B) >> 20} MiB file)"
                rel = self.file_name(table, fmt, gzipped)
                c.files[rel] = raw if raw is not None else (gz(data) if gzipped else data)
                c.names.append(rel)
                c.base |= {i for i in ids if i is not None}
                c.touched |= {ids[j] for j in touched if ids[j] is not None}
                return c

            case("clean", B, set(), "clean")
            case("clean", B, set(), "clean, gzipped", gzipped=True)
            cut = rng.randrange(17 << 20, len(B))
            case("truncate", B[:cut], rows_after(L, cut), f"cut at byte {cut}")
            j = rng.choice(later)
            s, e = L.rows[j]
            off = rng.randrange(s, e)
            case("insert-nul", replace(B, off, off, b"\x00"), row_at(L, off, insert=True), f"NUL at byte {off}")
            j = rng.choice(later)
            s, e = cell_of(L, j, "FolderPath")
            case("value-badutf8", replace(B, s + 1, s + 1, b"\xff\xfe"), set(), f"invalid UTF-8 in row {j}'s FolderPath")
            case("bom-start", b"\xef\xbb\xbf" + B, set(), "BOM at the start")
            if fmt == "csv":
                case("cr-only", B.replace(b"\r\n", b"\n").replace(b"\n", b"\r"), set(), "every line end a lone CR")
                half = L.rows[later[0]][0]
                case("mixed-eol", B[:half] + B[half:].replace(b"\r\n", b"\n"), set(),
                     f"CRLF line ends up to byte {half}, LF after")
                j = rng.choice(later)
                s, e = L.rows[j]
                case("ragged-long", replace(B, e, e, b",x,y"), {j}, f"row {j} two cells too many")
                s, e = cell_of(L, j, "FolderPath")
                case("quote-open", replace(B, s, s, b'"'), tail_from(L, j), f"quote opens row {j}'s FolderPath")
            else:
                case("cr-only", B.replace(b"\n", b"\r"), set(range(n)), "every line end a lone CR")
            Z = gz(B)
            for kind, data, note in [
                ("gz-truncate", Z[: rng.randrange(len(Z) // 2, len(Z))], "gzip cut"),
                ("gz-bitflip", None, "a compressed byte flipped"),
                ("gz-garbage", Z + b"garbage" * 100, "garbage after the member"),
            ]:
                if data is None:
                    off = rng.randrange(len(Z) // 2, len(Z) - 8)
                    data = replace(Z, off, off + 1, bytes([Z[off] ^ 0x10]))
                    note += f" at {off} of {len(Z)}"
                case(kind, None, rows_after(L, good_prefix(B, data)), note, gzipped=True, raw=data)

    def message_cases(self):
        """Hostile text that reaches messages: bad values quoted in errors, column names, a
        streaming-API category, in every text format that can carry them."""
        rng = self.rng
        evil = "\x1b[2J\x1b]0;pwned\x07\u202e\u009b31m"
        for fmt in ("csv", "ndjson", "json", "la-api-1line", "hunting-1line", "pt1h"):
            for label in ("bad-time", "bad-port", "odd-key"):
                table = NET if label == "bad-port" else PROC
                rows = [dict(r) for r in self.rows[table]]
                k = rng.randrange(len(rows))
                touched = set()
                if label == "bad-time":
                    rows[k]["Timestamp"] = evil + "yesterday"
                    touched = {k}
                elif label == "bad-port":
                    rows[k]["RemotePort"] = evil + "9001"
                    touched = {k}
                else:
                    for r in rows:
                        r[evil + "Column"] = "x"
                        r[evil + "Column "] = "y"  # the same name once the portal suffix rules trim it?
                c = self.new("hostile-message", table, fmt, False, f"-{label}")
                L = write_text(table, fmt, rows)
                B = bytes(L.buf)
                if label == "odd-key" and fmt in OBJECT_FORMATS:
                    # A key given twice in one row, so that the duplicate message names it.
                    s0, e0 = L.rows[k]
                    key = json.dumps(evil + "Column").encode()
                    B = replace(B, s0 + 1, s0 + 1, key + b': "z", ')
                c.note = f"{label}: {evil!r} in row {k}"
                self.put(c, B, touched, list(range(len(rows))))
        # A streaming-API category nobody reads, with hostile text.
        c = self.new("hostile-message", PROC, "pt1h", False, "-category")
        L = write_text(PROC, "pt1h", self.rows[PROC])
        B = bytes(L.buf) + (envelope_prefix("x", 0).replace('AdvancedHunting-x', "AdvancedHunting-" + json.dumps(evil)[1:-1])
                            + '{"a": 1}}\n').encode()
        c.note = "a record whose category holds control characters"
        self.put(c, B, set(), list(range(ROWS)))

    def build(self):
        for table in TABLES:
            for fmt in formats_of(table):
                self.text_cases(table, fmt)
            for fmt in ("csv", "ndjson", "json", "la-api"):
                L = write_text(table, fmt, self.rows[table])
                self.gzip_cases(table, fmt, bytes(L.buf), L, list(range(ROWS)))
            if self.binary_ok:
                for fmt in ("parquet", "xlsx"):
                    self.binary_cases(table, fmt)
        self.message_cases()
        self.large_cases()
        self.empty_cases()
        self.path_cases()
        self.name_cases()
        return self.cases


# ---------------------------------------------------------------------------------------------
# Running.


def is_unsafe(ch):
    o = ord(ch)
    if 0xDC80 <= o <= 0xDCFF:  # a raw byte that is not UTF-8 (surrogateescape)
        return True
    return unicodedata.category(ch) == "Cc" or ch in "\u200e\u200f\u061c" or 0x202A <= o <= 0x202E or 0x2066 <= o <= 0x2069


def escape(text):
    """What src/text.rs escape_unsafe makes of a name."""
    out = []
    for ch in text:
        if ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif is_unsafe(ch) and ord(ch) < 0x80:
            out.append(f"\\x{ord(ch):02x}")
        elif is_unsafe(ch):
            out.append(f"\\u{{{ord(ch):04x}}}")
        else:
            out.append(ch)
    return "".join(out)


def leaks(data, allow="\n"):
    """Unsafe characters in output bytes, as (position, repr)."""
    text = data.decode("utf-8", "surrogateescape")
    found = []
    for i, ch in enumerate(text):
        if ch in allow:
            continue
        if ch == "\r" and "\r\n" in allow and text[i + 1:i + 2] == "\n":
            continue
        if is_unsafe(ch):
            found.append((i, repr(ch), text[max(0, i - 40):i + 20]))
    return found


class Run:
    def __init__(self, argv, rc, out, err, secs, timed_out):
        self.argv, self.rc, self.out, self.err, self.secs, self.timed_out = argv, rc, out, err, secs, timed_out

    def panicked(self):
        return (not self.timed_out) and (
            b"panicked" in self.err or b"panicked" in self.out or self.rc == 101 or self.rc < 0 or self.rc >= 128
        )


def execute(argv, cwd, timeout, stdin=None, feeder=None):
    """Runs a command in its own process group; kills the group on timeout."""
    fed = None
    if feeder:
        fifo, data = feeder
        fifo = cwd / fifo
        if not fifo.exists():
            os.mkfifo(fifo)

        def feed():
            try:
                fd = os.open(fifo, os.O_WRONLY)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
            except OSError:
                pass
        fed = threading.Thread(target=feed, daemon=True)
        fed.start()
    t0 = time.monotonic()
    p = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
                         env=dict(os.environ, NO_COLOR="1", TERM="xterm", RUST_BACKTRACE="1"))
    timed_out = False
    try:
        out, err = p.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
    if fed is not None and fed.is_alive():
        # Unblock a writer nobody read from.
        try:
            fd = os.open(cwd / feeder[0], os.O_RDONLY | os.O_NONBLOCK)
            os.close(fd)
        except OSError:
            pass
        fed.join(1)
    return Run(argv, p.returncode, out, err, time.monotonic() - t0, timed_out)


def pty_available():
    if not shutil.which("script"):
        return False
    r = subprocess.run(["script", "-qc", "echo ok", "/dev/null"], capture_output=True, stdin=subprocess.DEVNULL)
    return r.returncode == 0 and b"ok" in r.stdout


class Result:
    def __init__(self, case):
        self.case = case
        self.runs = {}
        self.failures = []  # (class, detail)
        self.notes = []
        self.found = {}

    def fail(self, cls, detail):
        self.failures.append((cls, detail))


def found_ids(records):
    counts = {}
    for rec in records:
        seen = set()
        for v in rec.values():
            for m in ID_RE.finditer(v if isinstance(v, str) else json.dumps(v)):
                seen.add(int(m.group(1)))
        for i in seen:
            counts[i] = counts.get(i, 0) + 1
    return counts


def check_counts(text):
    loaded = rejected = 0
    for m in re.finditer(r"rows\s+(\d+) loaded, (\d+) rejected", text):
        loaded += int(m.group(1))
        rejected += int(m.group(2))
    return loaded, rejected


def run_case(case, work, bin_path, timeout, use_pty, companions):
    res = Result(case)
    d = work / case.name
    d.mkdir(parents=True)
    for rel, data in case.files.items():
        p = d / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data)
    if case.setup:
        case.setup(d)
    inputs = case.args if case.args is not None else list(case.files)
    comp = companions.get(case.companion()) if case.companion() else None
    hunt_inputs = inputs + ([str(comp)] if comp else [])
    feeder = case.feeder
    hunt = [str(bin_path), "hunt", *hunt_inputs, "--now", NOW]
    runs = {
        "check": [str(bin_path), "check", *inputs],
        "hunt-json": hunt + ["--format", "json"],
        "hunt-ndjson": hunt,
        "hunt-csv": hunt + ["--format", "csv", "--out", str(d / "out" / "findings.csv")],
    }
    (d / "out").mkdir()
    for label, argv in runs.items():
        res.runs[label] = execute(argv, d, timeout, case.stdin, feeder)
    if use_pty:
        cmd = " ".join(shlex.quote(a) for a in hunt + ["--format", "csv"])
        if case.stdin is not None:
            stdin_file = d / "out" / "stdin.bin"
            stdin_file.write_bytes(case.stdin)
            cmd += " < " + shlex.quote(str(stdin_file))
        res.runs["hunt-csv-tty"] = execute(["script", "-qec", cmd, "/dev/null"], d, timeout, None, feeder)
    judge(res, d)
    return res


def judge(res, d):
    c = res.case
    runs = res.runs
    for label, r in runs.items():
        if r.timed_out:
            res.fail("hang", f"{label}: no end after {r.secs:.0f} s")
        elif r.panicked():
            line = next((l for l in r.err.decode("utf-8", "replace").splitlines() if "panicked" in l), "")
            res.fail("panic", f"{label}: exit {r.rc} {escape(line)[:300]}")
    # Terminal safety: stderr and check's report always; hunt JSON on stdout; CSV on a terminal.
    for label, r in runs.items():
        if label == "hunt-csv-tty":
            found = leaks(r.out, allow="\n\r\n")
            lines = r.out.decode("utf-8", "replace").splitlines()
            if any(l.lstrip('"').startswith("| take 0") for l in lines):
                found.append((0, "raw newline from a value", "| take 0"))
            where = "terminal (CSV via script)"
        else:
            found = leaks(r.err)
            where = f"{label} stderr"
            if label == "check":
                found += leaks(r.out)
                where += "/stdout"
        if label in ("hunt-json", "hunt-ndjson"):
            out_leaks = leaks(r.out)
            if out_leaks:
                res.fail("raw-char", f"{label} stdout: {len(out_leaks)} raw char(s), first {out_leaks[0][1]} in {out_leaks[0][2]!r}")
        if found:
            res.fail("raw-char", f"{where}: {len(found)} raw char(s), first {found[0][1]} in {found[0][2]!r}")
    # CSV formula cells in the file.
    out_csv = d / "out" / "findings.csv"
    if out_csv.exists():
        text = out_csv.read_bytes().decode("utf-8", "replace")
        bad = [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row
               if cell[:1] in ("=", "+", "-", "@", "\t", "\r")]
        if bad:
            res.fail("formula", f"{len(bad)} CSV cell(s) not neutralised, first {bad[0][:40]!r}")
    # Rows.
    hj = runs["hunt-json"]
    records = []
    if not hj.timed_out and hj.out.strip():
        try:
            records = json.loads(hj.out)
        except ValueError as e:
            res.fail("bad-output", f"hunt --format json stdout is not JSON: {e}")
    counts = found_ids(records)
    res.found = counts
    found = {i for i in counts if i in c.base}
    messages = "\n".join(r.err.decode("utf-8", "replace") for r in runs.values()) + runs["check"].out.decode("utf-8", "replace")
    names = [escape(n.rstrip("/")) for n in c.names]
    named = [l for l in messages.splitlines()
             if re.match(r"\s*(proxyhunt: )?(error|warning)", l) and any(n and n in l for n in names)]
    # An error names the file; so does a warning that says what it skipped (records of a
    # streaming-API category proxyhunt does not read: a damaged category name lands there).
    errors = [l for l in named if re.match(r"\s*(proxyhunt: )?error", l) or "skipped" in l] + [
        l for l in messages.splitlines()
        if re.match(r"proxyhunt: (nothing recognisable|.*could not be read|every row of)", l)
        and any(n and n in l for n in names)]
    loaded, rejected = check_counts(runs["check"].out.decode("utf-8", "replace"))
    res.loaded, res.rejected = loaded, rejected
    missing = c.base - found
    untouched_lost = (c.base - c.touched) - found
    explained = max(0, loaded - len(found))
    if untouched_lost:
        how = "reported" if errors else "silent"
        res.fail(f"untouched-lost-{how}", f"{len(untouched_lost)} untouched row(s) missing: {sorted(untouched_lost)[:12]}"
                 + (f"; first error: {errors[0][:200]}" if errors else ""))
    if missing and len(missing) > explained and not errors:
        res.fail("silent-loss", f"{len(missing)} row(s) missing, check loaded {loaded} rejected {rejected}, no error names the file")
    dups = {i: n for i, n in counts.items() if n > 1}
    if dups and not c.touched:  # damaged data may decode into a copy of another row
        res.fail("duplicate-rows", f"{len(dups)} row(s) found more than once, e.g. {sorted(dups.items())[:5]}")
    if c.expect_msg:
        hunt_err = runs["hunt-json"].err.decode("utf-8", "replace")
        said = [l for l in hunt_err.splitlines() if any(n and n in l for n in names)]
        if not re.search(c.expect_msg, "\n".join(said) if c.expect_msg != "." else messages, re.I):
            by_check = re.search(c.expect_msg, runs["check"].out.decode("utf-8", "replace"), re.I)
            res.fail("unreported", f"hunt's stderr has no message matching /{c.expect_msg}/ naming {names}"
                     + ("; `check` notes it" if by_check else "; `check` does not either"))
    if c.expect_rc and hj.rc not in c.expect_rc and not hj.timed_out:
        res.fail("exit-code", f"hunt exit {hj.rc}, expected one of {sorted(c.expect_rc)}")
    if missing and hj.rc == 0 and errors:
        res.notes.append("exit0-loss")


# ---------------------------------------------------------------------------------------------
# Report.


CLASSES = ["panic", "hang", "raw-char", "formula", "silent-loss", "untouched-lost-silent",
           "untouched-lost-reported", "duplicate-rows", "unreported", "exit-code", "bad-output"]
SHORT = {"panic": "panic", "hang": "hang", "raw-char": "raw", "formula": "formula",
         "silent-loss": "silent", "untouched-lost-silent": "untouched(silent)",
         "untouched-lost-reported": "untouched(rep)", "duplicate-rows": "dups",
         "unreported": "unreported", "exit-code": "exit", "bad-output": "badout", "exit0-loss": "(exit0)"}
COLUMNS = CLASSES + ["exit0-loss"]


def summary(results, out):
    kinds = {}
    for r in results:
        k = r.case.kind
        row = kinds.setdefault(k, {"files": 0, **{c: 0 for c in COLUMNS}})
        row["files"] += 1
        for cls in {f[0] for f in r.failures}:
            row[cls] += 1
        row["exit0-loss"] = row.get("exit0-loss", 0) + ("exit0-loss" in r.notes)
    heads = ["kind", "files"] + [SHORT[c] for c in COLUMNS]
    width = max(len(k) for k in kinds) if kinds else 4
    out.write(f"{heads[0]:<{width}} " + " ".join(f"{h:>{max(5, len(h))}}" for h in heads[1:]) + "\n")
    total = {"files": 0, **{c: 0 for c in COLUMNS}}
    for k in sorted(kinds):
        row = kinds[k]
        for key in total:
            total[key] += row[key]
        out.write(f"{k:<{width}} " + " ".join(f"{row[key]:>{max(5, len(SHORT.get(key, key)))}}"
                                           for key in ["files"] + COLUMNS) + "\n")
    out.write(f"{'TOTAL':<{width}} " + " ".join(f"{total[key]:>{max(5, len(SHORT.get(key, key)))}}"
                                               for key in ["files"] + COLUMNS) + "\n")
    # The same failures by format, plain and gzipped.
    by = {}
    for r in results:
        key = r.case.fmt + (" gz" if r.case.gz else "")
        row = by.setdefault(key, [0, 0])
        row[0] += 1
        row[1] += bool(r.failures)
    out.write("\nformat              files failed\n")
    for key in sorted(by):
        out.write(f"{key:<19} {by[key][0]:>5} {by[key][1]:>6}\n")
    return total


def keep_failure(res, work, dest):
    c = res.case
    target = dest / c.name
    if target.exists():
        shutil.rmtree(target)
    src = work / c.name
    shutil.copytree(src, target / "case", symlinks=True, ignore=lambda d, names: [
        n for n in names if stat.S_ISFIFO(os.lstat(os.path.join(d, n)).st_mode)
        or stat.S_ISCHR(os.lstat(os.path.join(d, n)).st_mode)])
    with open(target / "result.txt", "w", encoding="utf-8") as f:
        f.write(f"case     {c.name}\nkind     {c.kind}\ntable    {c.table}\nformat   {c.fmt}{' (gzip)' if c.gz else ''}\n")
        f.write(f"damage   {escape(c.note)}\nbase ids {len(c.base)}; touched {sorted(c.touched)}\n")
        f.write(f"found    {sorted(res.found)}\ncheck    {res.loaded} loaded, {res.rejected} rejected\n")
        for cls, detail in res.failures:
            f.write(f"FAIL     {cls}: {escape(detail)}\n")
        for label, r in res.runs.items():
            f.write(f"\n--- {label}: exit {r.rc}{' (timeout)' if r.timed_out else ''} in {r.secs:.2f}s\n")
            f.write("$ (cd case && " + " ".join(shlex.quote(a) for a in r.argv) + ")\n")
            f.write("stderr:\n" + escape(r.err.decode("utf-8", "replace"))[:4000].replace("\\n", "\n") + "\n")
            if label == "check":
                f.write("stdout:\n" + escape(r.out.decode("utf-8", "replace"))[:4000].replace("\\n", "\n") + "\n")
    if c.setup or c.feeder or c.stdin is not None:
        with open(target / "setup.txt", "w", encoding="utf-8") as f:
            f.write("This case also needs (see run.py, path_cases/name_cases): " + escape(c.note) + "\n")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", default="/tmp/ph-corpus-bin", help="the proxyhunt binary (default %(default)s)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per command (default %(default)s)")
    ap.add_argument("--only", help="run only cases whose name matches this regex")
    ap.add_argument("--failures", default="corpus-failures", help="where failing cases are copied (default %(default)s)")
    ap.add_argument("--keep", help="generate into this directory and keep it (default: a temporary one)")
    ap.add_argument("--writer-python", help="a Python with pyarrow and openpyxl for Parquet and xlsx")
    ap.add_argument("--list", action="store_true", help="list the cases and exit")
    ap.add_argument("--no-pty", action="store_true", help="do not run hunt on a pseudo-terminal")
    ap.add_argument("--write-binary", help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.write_binary:
        write_binary(a.write_binary)
        return 0
    bin_path = Path(a.bin).resolve()
    if not a.list and not os.access(bin_path, os.X_OK):
        print(f"run.py: no proxyhunt binary at {bin_path} (give --bin)", file=sys.stderr)
        return 2
    writer = find_writer_python(a.writer_python)
    if writer is None:
        print("run.py: no Python with pyarrow and openpyxl: Parquet and xlsx cases skipped "
              "(python3 -m venv /tmp/venv-corpus && /tmp/venv-corpus/bin/pip install pyarrow openpyxl)",
              file=sys.stderr)
    maker = Maker(a.seed, writer is not None)
    cases = maker.build()
    if a.only:
        rx = re.compile(a.only)
        keep = {id(c) for c in cases if rx.search(c.name)}
    else:
        keep = {id(c) for c in cases}
    if a.list:
        for c in cases:
            if id(c) in keep:
                print(f"{c.name}  {escape(c.note)}")
        return 0
    work = Path(a.keep) if a.keep else Path(tempfile.mkdtemp(prefix="ph-corpus-"))
    if a.keep and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    try:
        # Parquet and xlsx bases, written by the writer Python, then damaged.
        if maker.binary_specs:
            spec, targets = [], {}
            for c, rel, table, fmt in maker.binary_specs:
                key = (table, fmt)
                if key not in targets:
                    path = work / "binary" / f"{table}.{fmt}"
                    path.parent.mkdir(parents=True, exist_ok=True)
                    rows = maker.rows[table]
                    spec.append({"format": fmt, "table": table, "path": str(path), "rows": rows,
                                 "types": column_types(table, rows)})
                    targets[key] = path
            (work / "binary" / "spec.json").write_text(json.dumps(spec), encoding="utf-8")
            subprocess.run([writer, __file__, "--write-binary", str(work / "binary" / "spec.json")], check=True)
            for c, rel, table, fmt in maker.binary_specs:
                maker.damage_binary(c, rel, targets[(table, fmt)].read_bytes())
        # Companions: the clean other half of the sign-in rule, for every id.
        companions = {}
        for t in (SIGNIN, TI):
            p = work / "companions" / f"{t}.csv"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(bytes(write_text(t, "csv", maker.rows[t] + maker.rows2[t]).buf))
            companions[t] = p
        use_pty = not a.no_pty and pty_available()
        if not use_pty:
            print("run.py: no pseudo-terminal (`script`): CSV on a terminal not checked", file=sys.stderr)
        todo = [c for c in cases if id(c) in keep]
        print(f"{len(todo)} case(s) in {work} against {bin_path}", file=sys.stderr)
        t0 = time.monotonic()
        results = []
        with futures.ThreadPoolExecutor(max_workers=a.jobs) as pool:
            jobs = [pool.submit(run_case, c, work / "cases", bin_path, a.timeout, use_pty, companions) for c in todo]
            for n, j in enumerate(futures.as_completed(jobs), 1):
                results.append(j.result())
                if n % 50 == 0:
                    print(f"  {n}/{len(todo)} ({time.monotonic() - t0:.0f} s)", file=sys.stderr)
        results.sort(key=lambda r: r.case.name)
        failed = [r for r in results if r.failures]
        dest = Path(a.failures)
        if failed:
            dest.mkdir(parents=True, exist_ok=True)
            for r in failed:
                keep_failure(r, work / "cases", dest)
        print()
        total = summary(results, sys.stdout)
        print(f"\n{len(results)} case(s), {len(failed)} failed, in {time.monotonic() - t0:.0f} s"
              + (f"; failing inputs and outputs in {dest}/" if failed else ""))
        if failed:
            print("\nFailures:")
            for r in failed:
                for cls, detail in r.failures:
                    print(f"  {r.case.name}: {cls}: {escape(detail)[:400]}")
                print(f"      damage: {escape(r.case.note)[:200]}")
        print("\n(exit0): cases where rows were lost with an error message but `hunt` exited 0 "
              "(a note, not a failure: the README's exit 2 names whole-file damage)")
        return 1 if failed else 0
    finally:
        if not a.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
