#!/usr/bin/env bash
# Prints ksim's performance figures (benchmarks, not tests: these machines are shared
# and noisy). Usage: scripts/bench.sh [--full]   (--full adds the 5,000-node,
# 150,000-pod density run, about a minute and 2 GiB, and one Deployment of 100,000
# replicas).
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/big-deployment.sh
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
echo "== rollout: 100 Deployments of 300 on 1,000 nodes, a new image on all at once"
$ksim bench rollout --nodes 1000 --replicas 30000 --deployments 100

# One Deployment of N replicas (scripts/lib/big-deployment.sh).
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
sizes="10000 40000"
[[ "${1:-}" == "--full" ]] && sizes="$sizes 100000"
for n in $sizes; do
  big_deployment "$n" >"$tmp/d$n.yaml"
  echo "== one Deployment of $n replicas (wall, peak RSS; the run's summary)"
  if [[ -x /usr/bin/time ]]; then
    /usr/bin/time -f "%e s wall, %M KB peak RSS" $ksim run "$tmp/d$n.yaml" --max-lines 0 2>&1 | grep -E "events|KB"
  else
    echo "(GNU time is not installed — apt-get install time — so no peak RSS)"
    time $ksim run "$tmp/d$n.yaml" --max-lines 0 | grep -E "events"
  fi
done

echo "== criterion: event queue, kind, name and uid lookups, the store's Events, the event log's Lease lines, a kubelet's event caches, a whole scenario, and an idle 500-node cluster's 10 minutes"
cargo bench -p ksim-benches --bench engine -- --noplot
