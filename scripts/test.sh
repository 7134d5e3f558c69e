#!/usr/bin/env bash
# The test command: unit and CLI tests, then the real-container chaos tier.
# Chaos tests boot real two-node clusters. `cargo test` runs them on as many threads as the machine
# has cores; every boot takes one of the machine's cluster slots first (harness/src/slots.rs:
# HACHAOS_JOBS, default 3), so no more clusters than that are ever up at once, across every
# hachaos process on the machine. HACHAOS_JOBS=1 gives the old one-at-a-time behaviour.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
cargo test --workspace --features chaos
