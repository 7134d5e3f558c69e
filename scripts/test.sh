#!/usr/bin/env bash
# The test command: unit and CLI tests, then the real-container chaos tier.
# Chaos tests boot real two-node clusters; they run one at a time (2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
cargo test --workspace --features chaos -- --test-threads=1
