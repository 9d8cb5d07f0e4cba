#!/usr/bin/env bash
# proxyhunt vs DuckDB, side by side, in one run, on the same files.
#   bash tools/bench/vs_duckdb.sh            # both generators, 1M and 5M rows per event table
#   GENS=wide SIZES="200000" FORMATS="csv" RUNS=1 bash tools/bench/vs_duckdb.sh   # a quick run
# Two data sets, from two generators that share no code:
#   proxyhunt  `proxyhunt generate` (CSV), converted to typed Parquet and NDJSON by DuckDB;
#   wide       tools/bench/gen_wide.py: DuckDB writes every format itself, with every column the
#              real exports have (60-70 per table) in a shuffled order, long command lines, many
#              users, its own hit rates; format `streaming` is the Defender streaming API's
#              PT1H.json blob folders. Its files are removed after each format's rows
#              (KEEP=1 keeps them): the 5M NDJSON alone is about 25 GB.
# Runs `proxyhunt hunt` and the same detections as SQL in DuckDB (installed into a throw-away venv,
# 2 threads like the machine), checks that both find the same number of findings per type, and
# prints wall time, input MB/s, peak RSS and the proxyhunt/DuckDB ratio. Each side runs RUNS times
# (default 3), alternating; the median wall time is shown, with that run's RSS. Format `cache` is
# the CSV read through `--cache` after one unmeasured run that fills it (DuckDB reads the CSV).
set -euo pipefail
trap 'echo "vs_duckdb.sh: failed at line $LINENO" >&2' ERR
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
WORK=${WORK:-/tmp/proxyhunt-bench}
GENS=${GENS:-"proxyhunt wide"}
SIZES=${SIZES:-"1000000 5000000"}
FORMATS=${FORMATS:-"csv cache parquet ndjson streaming"}
RUNS=${RUNS:-3}
KEEP=${KEEP:-0}
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

# Makes the files of generator $1, $2 rows, format $3 in directory $4 (if not there yet).
make_set() {
  local gen=$1 n=$2 fmt=$3 dir=$4
  [ -f "$dir/.done" ] && return
  rm -rf "$dir"; mkdir -p "$dir"
  if [ "$gen" = wide ]; then
    "$PY" "$ROOT/tools/bench/gen_wide.py" "$dir" "$n" "$fmt" "$NOW"
  elif [ "$fmt" = csv ]; then
    "$PH" generate --out "$dir" --signins "$n" --process "$n" --network "$n" --ti 100000 --seed 1 --format csv > /dev/null
    rm -f "$dir/expected.json"
  else
    make_set "$gen" "$n" csv "$(dirname "$dir")/csv"
    for T in AADNonInteractiveUserSignInLogs ThreatIntelIndicators DeviceProcessEvents DeviceNetworkEvents; do
      opt=$([ "$fmt" = parquet ] && echo "(FORMAT parquet)" || echo "(FORMAT json)")
      "$PY" -c "import duckdb; duckdb.sql('SET enable_progress_bar=false'); duckdb.sql(\"COPY (SELECT * FROM read_csv('$(dirname "$dir")/csv/$T.csv')) TO '$dir/$T.$fmt' $opt\")"
    done
  fi
  touch "$dir/.done"
}

printf "%-9s %-9s %-8s %8s | %9s %8s %8s | %9s %8s | %6s | %s\n" data rows format MB "ph s" "ph MB/s" "ph RSS" "duck s" "duck RSS" ratio "same findings"
for G in $GENS; do
for N in $SIZES; do
  for F in $FORMATS; do
    SRC=$F; EXTRA=()
    [ "$F" = cache ] && SRC=csv
    # Streaming-API blobs come from the second generator only.
    [ "$F" = streaming ] && [ "$G" != wide ] && continue
    D="$WORK/$G-$N/$SRC"
    make_set "$G" "$N" "$SRC" "$D"
    if [ "$F" = cache ]; then
      rm -rf "$WORK/cache/$G-$N"; EXTRA=(--cache "$WORK/cache/$G-$N")
      "$PH" hunt "$D" "${EXTRA[@]}" --now "$NOW" --format ndjson --out - > /dev/null 2>&1
    fi
    MB=$(du -sm "$D" | cut -f1)
    PHT=(); DKT=()
    for R in $(seq "$RUNS"); do
      /usr/bin/time -v "$PH" hunt "$D" "${EXTRA[@]}" --now "$NOW" --format ndjson --out - > /dev/null 2> "$WORK/ph.$R.err" || true
      PHT+=("$(wall "$WORK/ph.$R.err") $R")
      /usr/bin/time -v "$PY" "$ROOT/tools/bench/duckdb_hunt.py" "$D" "$SRC" "$NOW" > "$WORK/duck.out" 2> "$WORK/duck.$R.err"
      DKT+=("$(wall "$WORK/duck.$R.err") $R")
    done
    # The median run of each side (by wall time).
    PR=$(printf "%s\n" "${PHT[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p" | cut -d' ' -f2)
    DR=$(printf "%s\n" "${DKT[@]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p" | cut -d' ' -f2)
    cp "$WORK/ph.$PR.err" "$WORK/ph.err"; cp "$WORK/duck.$DR.err" "$WORK/duck.err"
    PHC=$(grep -o 'finding(s): .*' "$WORK/ph.err" | head -1 || true)
    SAME=$("$PY" - "$WORK/duck.out" "$PHC" <<'PYEOF'
import json, sys
duck = json.load(open(sys.argv[1]))["counts"]
try:
    ph = dict((k, int(v)) for k, v in (p.strip().rsplit(" ", 1) for p in sys.argv[2].split(": ", 1)[1].split(",")))
except (IndexError, ValueError):
    ph = sys.argv[2] or "no summary"
print("yes" if ph == duck else "NO ph=%s duck=%s" % (ph, duck))
PYEOF
)
    PS=$(wall "$WORK/ph.err"); DS=$(wall "$WORK/duck.err")
    RATIO=$( [ "$SAME" = yes ] && awk -v a="$PS" -v b="$DS" 'BEGIN{printf "%.2f", a/b}' || echo "n/a")
    printf "%-9s %-9s %-8s %8s | %9s %8.1f %7sM | %9s %7sM | %6s | %s\n" "$G" "$N" "$F" "$MB" "$PS" "$(awk -v m="$MB" -v s="$PS" 'BEGIN{print m/s}')" "$(peak "$WORK/ph.err")" "$DS" "$(peak "$WORK/duck.err")" "$RATIO" "$SAME"
    # The wide CSV is kept for the cache row that follows it, and no longer.
    if [ "$G" = wide ] && [ "$KEEP" != 1 ] && [ "$F" != csv ]; then rm -rf "$D" "$WORK/cache/$G-$N"; fi
  done
  if [ "$G" = wide ] && [ "$KEEP" != 1 ]; then rm -rf "$WORK/$G-$N" "$WORK/cache/$G-$N"; fi
done
done
