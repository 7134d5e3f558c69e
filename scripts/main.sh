#!/usr/bin/env bash
# The main job on the built-in default: build the node image if needed, boot the two-node
# cluster, show its status, and tear it down (logs land in reports/up/<run>/logs/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
cargo build --quiet --bin hachaos
bin=target/debug/hachaos
"$bin" image build
out=$("$bin" up --format json)
run=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["run"])')
trap '"$bin" down --run "$run" || "$bin" clean --run "$run"' EXIT
"$bin" status --run "$run"
