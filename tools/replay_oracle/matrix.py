#!/usr/bin/env python3
"""Generates held-out data for several seeds and runs compare.py over a matrix of options.

    python3 tools/replay_oracle/matrix.py WORKDIR [--seeds 1,2,3] [--rows 3000] [--bin PATH] [-- extra compare args]

Prints one line per (seed, options): SAME, or the number of differences and the first kinds;
the full compare output for a mismatch is kept in WORKDIR/seed<N>/<k>.txt. Exit 1 on any mismatch.
"""
import argparse
import datetime as dt
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def at(S, hours):
    t = dt.datetime.strptime(S[:19], "%Y-%m-%dT%H:%M:%S").replace(tzinfo=dt.timezone.utc) + dt.timedelta(hours=hours)
    return t.strftime("%Y-%m-%dT%H:%M:%S") + S[19:]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("workdir")
    ap.add_argument("--seeds", default="1,2,3")
    ap.add_argument("--rows", type=int, default=3000)
    ap.add_argument("--bin")
    a, extra = ap.parse_known_args()
    bad = 0
    for seed in [int(s) for s in a.seeds.split(",")]:
        out = os.path.join(a.workdir, "seed%d" % seed)
        subprocess.run([sys.executable, os.path.join(HERE, "gen.py"), out, "--seed", str(seed), "--rows", str(a.rows)],
                       check=True)
        S = json.load(open(os.path.join(out, "plan.json")))["S"]
        f = lambda n: os.path.join(out, n)  # noqa: E731
        combos = [
            [],
            ["--table-scope", "period"],
            ["--tuning", f("tuning-a.toml")],
            ["--tuning", f("tuning-b.toml")],
            ["--table-scope", "period", "--tuning", f("tuning-a.toml")],
            ["--rule", f("rule-alertperresult.yaml")],
            ["--rule", f("rule-alertperresult.yaml"), "--tuning", f("tuning-a.toml")],
            ["--rule", f("rule-allentities.yaml"), "--tuning", f("tuning-b.toml")],
            ["--lookback-exclusive", "--tuning", f("tuning-a.toml")],
            ["--from", at(S, 20), "--to", at(S, 47), "--first-run", at(S, -3.123)],
            ["--first-run", at(S, 0.1)[:19] + "Z", "--delay", "2m"],
            ["--now", at(S, 40)],
            ["--to", at(S, 34), "--tuning", f("tuning-a.toml")],
            ["--rule", f("rule-lt.yaml")],
            ["--rule", f("rule-suppress-selected.yaml"), "--tuning", f("tuning-a.toml")],
            ["--rule", f("rule-selected-cd.yaml")],
            ["--rule", f("rule-nogrouping.yaml"), "--tuning", f("tuning-a.toml")],
            # known R25 ambiguities (see the report): alert identity under AlertPerResult and `lt`
            ["--rule", f("rule-alertperresult.yaml"), "--tuning", f("tuning-b.toml")],
            ["--rule", f("rule-lt.yaml"), "--tuning", f("tuning-b.toml")],
        ]
        for k, opts in enumerate(combos):
            cmd = [sys.executable, os.path.join(HERE, "compare.py"), os.path.join(out, "data"), "--keep",
                   os.path.join(out, "cmp%d" % k)] + opts + extra + (["--bin", a.bin] if a.bin else [])
            p = subprocess.run(cmd, capture_output=True, text=True)
            open(os.path.join(out, "%d.txt" % k), "w").write(p.stdout + p.stderr)
            label = " ".join(o if not o.startswith(out) else os.path.basename(o) for o in opts) or "(defaults)"
            if p.returncode == 0:
                print("seed %d  %-70s SAME" % (seed, label))
            else:
                bad += 1
                kinds = [l.strip() for l in p.stdout.splitlines() if l.strip().startswith("*")][:4]
                print("seed %d  %-70s DIFF (%s)\n      %s" % (seed, label, os.path.join(out, "%d.txt" % k), "\n      ".join(kinds) or p.stdout[-500:]))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
