#!/usr/bin/env bash
# Prints the web demo's figures: compressed wasm size, time to interactive, and frames
# per second while big-cluster plays in headless chromium (requestAnimationFrame).
# Usage: scripts/bench-web.sh   (KSIM_BENCH_SECONDS=N to play longer than 5 s)
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build-web.sh >/dev/null
cargo build --release -q -p sim-cli
node sim-web/tests/bench.mjs
