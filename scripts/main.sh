#!/usr/bin/env bash
# The main job on the built-in default: build the node image if needed, boot the two-node
# PostgreSQL 17 + pgpool-II 4.6 cluster, run the seed's case (the primary's host is shut down),
# judge it, and tear everything down. The run directory (run.json, junit.xml, timeline.html,
# logs/) is printed at the end; `reports/primary-shutdown/latest` points at it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/prereqs.sh
cargo build --quiet --bin hachaos
exec target/debug/hachaos run faults/primary-shutdown.yaml "$@"
