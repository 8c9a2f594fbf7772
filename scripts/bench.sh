#!/usr/bin/env bash
# Prints ksim's performance figures (benchmarks, not tests: these machines are shared
# and noisy). Usage: scripts/bench.sh [--full]   (--full adds the 5,000-node,
# 150,000-pod density run, about a minute and 2 GiB).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sim-cli
ksim=target/release/ksim

echo "== density: 100 nodes, 3,000 pods"
$ksim bench density --nodes 100 --pods 3000
echo "== density: 1,000 nodes, 30,000 pods"
$ksim bench density --nodes 1000 --pods 30000
if [[ "${1:-}" == "--full" ]]; then
  echo "== density: 5,000 nodes, 150,000 pods (the Kubernetes scalability limits)"
  $ksim bench density --nodes 5000 --pods 150000
fi
echo "== criterion: event queue and a whole scenario"
cargo bench -p ksim-benches --bench engine -- --noplot
