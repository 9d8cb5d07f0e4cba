#!/usr/bin/env bash
# What chains and the beyond-the-rule checks add to a hunt, on the same files in one run:
# `hunt`, `hunt --beyond` and `chains --beyond`, RUNS times each (alternating), median wall time
# and that run's peak RSS.
#   bash tools/bench/beyond.sh DIR           # e.g. /tmp/proxyhunt-bench/proxyhunt-5000000/csv
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
DIR=${1:?usage: beyond.sh DIR}
RUNS=${RUNS:-3}
NOW=${NOW:-2026-05-12T10:00:00Z}
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/proxyhunt/target}"
(cd "$ROOT" && cargo build --release --locked --quiet)
PH="$CARGO_TARGET_DIR/release/proxyhunt"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
wall() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; printf "%.2f", s}' "$1"; }
peak() { awk '/Maximum resident/ {printf "%.0f", $6/1024}' "$1"; }
declare -A TIMES
for R in $(seq "$RUNS"); do
  for V in hunt beyond chains; do
    case $V in
      hunt) ARGS=(hunt "$DIR") ;;
      beyond) ARGS=(hunt "$DIR" --beyond) ;;
      chains) ARGS=(chains "$DIR" --beyond) ;;
    esac
    /usr/bin/time -v "$PH" "${ARGS[@]}" --now "$NOW" --format ndjson --out - > "$TMP/$V.out" 2> "$TMP/$V.$R.err" || true
    TIMES[$V]+="$(wall "$TMP/$V.$R.err") $R $(peak "$TMP/$V.$R.err")"$'\n'
  done
done
printf "%-8s %8s %8s %9s\n" run "s" "RSS MB" "vs hunt"
BASE=""
for V in hunt beyond chains; do
  MED=$(printf "%s" "${TIMES[$V]}" | sort -n | sed -n "$(( (RUNS + 1) / 2 ))p")
  S=$(echo "$MED" | cut -d' ' -f1); M=$(echo "$MED" | cut -d' ' -f3)
  [ -z "$BASE" ] && BASE=$S
  printf "%-8s %8s %8s %8.0f%%\n" "$V" "$S" "$M" "$(echo "($S / $BASE - 1) * 100" | bc -l)"
done
grep -h "beyond the rule:" "$TMP"/beyond.1.err || true
grep -h "chain(s):" "$TMP"/chains.1.err || true
