#!/usr/bin/env bash
# Does running clusters side by side change what is measured? Runs one scenario set (default: the
# qualification set) --repeat R times with --jobs 1 and again with --jobs N, then compares every
# scenario's phases (p50 / p95 / max) and verdicts between the two with `hachaos compare`
# (--threshold 0% --floor 0.5: a phase counts as changed when it is slower by 0.5 s or more), and
# lists every phase whose p50 moved by 0.5 s or more either way (faster counts too: parallel must
# not change what is measured, in either direction).
#
#   scripts/bench-parallel.sh [N] [R] [SET]        e.g. scripts/bench-parallel.sh 3 3
#
# Prints both suites' wall time, the load average before and after each (other work on the
# machine shifts timings too: quote it with every figure), and one comparison per scenario.
# Exit 0 when no scenario changed, 1 when one did.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-3}
R=${2:-3}
SET=${3:-faults/sets/qualify.txt}
FLOOR=0.5 # seconds: a p50 that moved this much either way, or got this much slower, changed
REPORTS=${REPORTS:-reports/bench-parallel}
export CARGO_TERM_COLOR=never NO_COLOR=1 HACHAOS_PLAIN=1
cargo build -q --bin hachaos
bin=target/debug/hachaos
[ -n "${CARGO_TARGET_DIR:-}" ] && bin="$CARGO_TARGET_DIR/debug/hachaos"

suite() { # jobs -> prints the suite directory
  local jobs=$1 before after start end dir
  before=$(cut -d' ' -f1-3 /proc/loadavg)
  start=$(date +%s)
  "$bin" run "$SET" --repeat "$R" --jobs "$jobs" --keep-going --reports-dir "$REPORTS/jobs$jobs" \
    >"$REPORTS/jobs$jobs.txt" 2>"$REPORTS/jobs$jobs.log" || true
  end=$(date +%s)
  after=$(cut -d' ' -f1-3 /proc/loadavg)
  dir=$(ls -td "$REPORTS/jobs$jobs"/suite/*/ | head -1)
  echo "jobs $jobs: $((end - start)) s wall, load average before $before, after $after: $dir" >&2
  echo "$dir"
}

mkdir -p "$REPORTS"
serial=$(suite 1)
parallel=$(suite "$N")
tail -n 3 "$REPORTS/jobs1.txt" "$REPORTS/jobs$N.txt"

changed=0
for release_dir in "$serial"runs/*/; do
  release=$(basename "$release_dir")
  for scenario_dir in "$release_dir"*/; do
    scenario=$(basename "$scenario_dir")
    other="$parallel/runs/$release/$scenario"
    echo
    echo "== $release / $scenario: --jobs 1 (old) against --jobs $N (new)"
    if [ ! -d "$other" ]; then
      echo "missing in the --jobs $N suite"
      changed=1
      continue
    fi
    "$bin" compare "$scenario_dir" "$other" --threshold 0% --floor "$FLOOR" || changed=1
    # The same comparison as JSON: a p50 that moved by the floor either way.
    moved=$("$bin" compare "$scenario_dir" "$other" --threshold 0% --floor "$FLOOR" --format json |
      FLOOR=$FLOOR python3 -c '
import json, os, sys
floor = float(os.environ["FLOOR"])
for m in json.load(sys.stdin)["measurements"]:
    d = m.get("delta_p50_s")
    if d is not None and abs(d) >= floor:
        print("%s p50 moved %+.2f s (%.2f -> %.2f)" % (m["kind"], d, m["old"]["p50"], m["new"]["p50"]))
' || true)
    if [ -n "$moved" ]; then
      echo "$moved" | sed "s|^|moved: $release / $scenario: |"
      changed=1
    fi
  done
done
echo
if [ "$changed" = 0 ]; then
  echo "bench-parallel: no phase p50 moved by $FLOOR s or more either way, and no verdict changed, with --jobs $N"
else
  echo "bench-parallel: something changed with --jobs $N (see above)"
fi
exit "$changed"
