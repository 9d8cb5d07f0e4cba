#!/usr/bin/env bash
# proxyhunt vs DuckDB, side by side, on the same generated exports (issue: scale).
#   bash tools/bench/vs_duckdb.sh            # sizes 1M and 5M rows per event table
#   SIZES="200000" FORMATS="csv cache" RUNS=5 bash tools/bench/vs_duckdb.sh
# Generates with `proxyhunt generate` (CSV), converts to typed Parquet and NDJSON with DuckDB, runs
# `proxyhunt hunt` and the same detections as SQL in DuckDB (installed into a throw-away venv),
# checks that both find the same number of findings per type, and prints wall time, input MB/s,
# peak RSS and the proxyhunt/DuckDB ratio. Each side runs RUNS times (default 3), alternating; the
# median wall time is shown, with that run's RSS. Format `cache` is the CSV read through
# `--cache` after one unmeasured run that fills it (DuckDB reads the CSV). Needs ~12 GB of free
# disk for the 5M set, about 8 GB more for its NDJSON, and about 10 GB of memory for that row.
set -euo pipefail
trap 'echo "vs_duckdb.sh: failed at line $LINENO" >&2' ERR
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/proxyhunt-bench}
SIZES=${SIZES:-"1000000 5000000"}
FORMATS=${FORMATS:-"csv cache parquet ndjson"}
RUNS=${RUNS:-3}
NOW=2026-05-12T10:00:00Z
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/proxyhunt/target}"
mkdir -p "$WORK"
(cd "$ROOT" && cargo build --release --locked --quiet)
PH="$CARGO_TARGET_DIR/release/proxyhunt"
if ! "$WORK/venv/bin/python" -c "import duckdb, pytz" 2>/dev/null; then
  python3 -m venv "$WORK/venv"
  "$WORK/venv/bin/pip" install --quiet duckdb pytz
fi
PY="$WORK/venv/bin/python"

peak() { awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$1"; }
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$1"; }

printf "%-9s %-8s %8s | %9s %8s %8s | %9s %8s | %6s | %s\n" rows format MB "ph s" "ph MB/s" "ph RSS" "duck s" "duck RSS" ratio "same findings"
for N in $SIZES; do
  D="$WORK/$N"
  if [ ! -f "$D/csv/expected.json" ]; then
    "$PH" generate --out "$D/csv" --signins "$N" --process "$N" --network "$N" --ti 100000 --seed 1 --format csv > /dev/null
  fi
  for F in $FORMATS; do
    SRC=$F; EXTRA=()
    if [ "$F" = cache ]; then
      SRC=csv; EXTRA=(--cache "$WORK/cache/$N")
      "$PH" hunt "$D/csv" "${EXTRA[@]}" --now "$NOW" --format ndjson --out - > /dev/null 2>&1
    fi
    if [ "$SRC" != csv ] && [ ! -d "$D/$SRC" ]; then
      mkdir -p "$D/$SRC"
      for T in AADNonInteractiveUserSignInLogs ThreatIntelIndicators DeviceProcessEvents DeviceNetworkEvents; do
        opt=$([ "$SRC" = parquet ] && echo "(FORMAT parquet)" || echo "(FORMAT json)")
        "$PY" -c "import duckdb; duckdb.sql('SET enable_progress_bar=false'); duckdb.sql(\"COPY (SELECT * FROM read_csv('$D/csv/$T.csv')) TO '$D/$SRC/$T.$SRC' $opt\")"
      done
    fi
    MB=$(du -sm --exclude=expected.json "$D/$SRC" | cut -f1)
    PHT=(); DKT=()
    for R in $(seq "$RUNS"); do
      /usr/bin/time -v "$PH" hunt "$D/$SRC" "${EXTRA[@]}" --now "$NOW" --format ndjson --out - > /dev/null 2> "$WORK/ph.$R.err"
      PHT+=("$(wall "$WORK/ph.$R.err") $R")
      /usr/bin/time -v "$PY" "$ROOT/tools/bench/duckdb_hunt.py" "$D/$SRC" "$SRC" "$NOW" > "$WORK/duck.out" 2> "$WORK/duck.$R.err"
      DKT+=("$(wall "$WORK/duck.$R.err") $R")
    done
    # The median run of each side (by wall time).
    PR=$(printf "%s\n" "${PHT[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p" | cut -d' ' -f2)
    DR=$(printf "%s\n" "${DKT[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p" | cut -d' ' -f2)
    cp "$WORK/ph.$PR.err" "$WORK/ph.err"; cp "$WORK/duck.$DR.err" "$WORK/duck.err"
    PHC=$(grep -o 'finding(s): .*' "$WORK/ph.err" | head -1)
    SAME=$("$PY" - "$WORK/duck.out" "$PHC" <<'PYEOF'
import json, sys
duck = json.load(open(sys.argv[1]))["counts"]
ph = dict((k, int(v)) for k, v in (p.strip().rsplit(" ", 1) for p in sys.argv[2].split(": ", 1)[1].split(",")))
print("yes" if ph == duck else "NO ph=%s duck=%s" % (ph, duck))
PYEOF
)
    PS=$(wall "$WORK/ph.err"); DS=$(wall "$WORK/duck.err")
    RATIO=$( [ "$SAME" = yes ] && awk -v a="$PS" -v b="$DS" 'BEGIN{printf "%.2f", a/b}' || echo "n/a")
    printf "%-9s %-8s %8s | %9s %8.1f %7sM | %9s %7sM | %6s | %s\n" "$N" "$F" "$MB" "$PS" "$(awk -v m="$MB" -v s="$PS" 'BEGIN{print m/s}')" "$(peak "$WORK/ph.err")" "$DS" "$(peak "$WORK/duck.err")" "$RATIO" "$SAME"
  done
done
