#!/usr/bin/env bash
# The nightly tier (not run by CI, .ci/run): the known-bug pack (faults/sets/known-bugs.txt) on
# every built-in release, one cluster at a time, as one qualification per pair of releases. Each known-bug scenario checks the outcome its release is expected to have (present where
# `known_bug.present_on` lists the release, fixed elsewhere); a run whose release behaves
# otherwise fails, and `qualify` reports it as `new`.
#
# Time on 2 cores: ~1 min per run; 2 pairs x 2 releases x 2 scenarios = 8 runs, plus the three
# images if they are not cached (built concurrently); then the exploration (30 min of schedules,
# plus shrinking and repeats of whatever it finds).
#
# Usage: scripts/nightly.sh [release...]   (default: pg15-pgpool43 pg17-pgpool46 pg18-pgpool47)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
cargo build --quiet --bin hachaos
hachaos=target/debug/hachaos
releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(pg15-pgpool43 pg17-pgpool46 pg18-pgpool47)
mapfile -t pack < <(sed 's/#.*//; /^[[:space:]]*$/d; s/^[[:space:]]*//; s/[[:space:]]*$//; s#^#faults/#' faults/sets/known-bugs.txt)

args=()
for r in "${releases[@]}"; do args+=(--release "$r"); done
"$hachaos" image build "${args[@]}" >/dev/null

# Per release pair (oldest first): every pack scenario on both, then the report's known-bug
# table (present / fixed / absent / new / unknown on the newer release) and each release's workarounds. A run that
# does not behave as its scenario declares for its release fails (exit 1).
status=0
for ((i = 1; i < ${#releases[@]}; i++)); do
  echo "nightly: ${releases[i - 1]} -> ${releases[i]} (load $(cut -d' ' -f1-3 /proc/loadavg))"
  "$hachaos" qualify --baseline "${releases[i - 1]}" --candidate "${releases[i]}" "${pack[@]}" || status=1
done

# Reproducers the explorer found (faults/sets/explored.txt): each states what pgpool does under
# the unsafe setting it exposes, so a change of that behaviour shows here.
echo "nightly: explored reproducers (load $(cut -d' ' -f1-3 /proc/loadavg))"
"$hachaos" run faults/sets/explored.txt --jobs 1 --keep-going || status=1

# Exploration (docs/explore.md): seeded random fault schedules on the default release for
# HACHAOS_EXPLORE_DURATION (default 30m), one cluster at a time; a new seed each night (the date),
# printed and in exploration.json, so any night can be replayed. A schedule that breaks an
# invariant is written as a scenario file, shrunk, and its minimal scenario re-run; exit 1 then.
seed="${HACHAOS_EXPLORE_SEED:-$(date -u +%Y%m%d)}"
echo "nightly: explore seed $seed for ${HACHAOS_EXPLORE_DURATION:-30m} (load $(cut -d' ' -f1-3 /proc/loadavg))"
"$hachaos" explore --seed "$seed" --duration "${HACHAOS_EXPLORE_DURATION:-30m}" --jobs 1 \
  --shrink-runs 8 --repeat 3 --release pg17-pgpool46 || status=1
exit $status
