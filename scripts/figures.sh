#!/usr/bin/env bash
# Measures every figure the README quotes and writes them into README.md between its
# `<!-- figures:begin -->` and `<!-- figures:end -->` markers (nothing there is typed by
# hand). Benchmarks, not tests: these machines are shared and noisy, so the figures say
# when and on what they were taken.
# Usage: scripts/figures.sh [--quick|--replay]   (--quick skips the 5,000-node density
# run, the 100,000-replica Deployment, the 10,000-hour idle run, the whole hour's replay
# and the browser figures: ~1 min instead of ~30; --replay measures only the trace replays and
# rewrites only their figures, between `<!-- replay-figures:begin -->` and `…:end -->`)
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/big-deployment.sh
quick=${1:-}
if [[ ! -x /usr/bin/time ]]; then
  echo "== installing GNU time (peak RSS of a run)"
  apt-get install -y -q time >/dev/null
fi
cargo build --release -q -p sim-cli
k=target/release/ksim
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# A run's wall time and peak RSS: "<seconds> <KB>" into $out/NAME.time, stdout to NAME.out.
timed() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$out/$name.time" "$@" >"$out/$name.out" 2>/dev/null || true
}

# The trace replays (the corpus beside the repository): the 2018 batch trace's first N jobs
# (each run a process of its own, so each peak RSS is its own), its first 200 jobs' report,
# and the whole GPU trace.
replays() {
  local c=../shared/corpus
  if [[ ! -d $c/alibaba-2018-sample ]]; then
    echo "(no $c/alibaba-2018-sample: replay figures skipped)"
    return
  fi
  for n in 200 1000; do
    $k bench replay --format alibaba-2018 --jobs "$n" -o json >"$out/replay-2018-$n.json"
  done
  # The whole hour: every job of the sample (~11 minutes here).
  [[ $quick == --quick ]] || $k bench replay --format alibaba-2018 -o json >"$out/replay-2018-all.json"
  # The whole hour in 16 shards: the first one (one job in 16 by arrival).
  [[ $quick == --quick ]] || $k bench replay --format alibaba-2018 --shard 0/16 -o json >"$out/replay-2018-shard.json"
  $k replay $c/alibaba-2018-sample --format alibaba-2018 --jobs 200 >"$out/replay-2018-report.txt"
  $k bench replay --format alibaba-gpu-2023 -o json >"$out/replay-gpu.json"
}

if [[ $quick == --replay ]]; then
  echo "== replay"
  replays
  python3 scripts/figures.py "$out" README.md "$(nproc)" --replay
  echo "README.md: replay figures written"
  exit 0
fi

echo "== density"
# Three runs of each size; the first also writes its run as a scenario, which `ksim run`
# then runs three times (the same workload through the scenario reader and `ksim run`).
for size in "100 3000" "1000 30000" "5000 150000"; do
  read -r n p <<<"$size"
  [[ $quick == --quick && $n == 5000 ]] && continue
  for r in 1 2 3; do
    emit=()
    [[ $r == 1 ]] && emit=(--emit-scenario "$out/density-$n.yaml")
    $k bench density --nodes "$n" --pods "$p" -o json "${emit[@]}" >"$out/density-$n-$r.json"
  done
  for r in 1 2 3; do timed "density-run-$n-$r" $k run "$out/density-$n.yaml" --max-lines 0; done
done

echo "== rollout"
$k bench rollout --nodes 1000 --replicas 30000 --deployments 100 -o json >"$out/rollout.json"

echo "== one Deployment of N replicas"
sizes="10000 40000"
[[ $quick == --quick ]] || sizes="$sizes 100000"
for n in $sizes; do
  big_deployment "$n" >"$out/deploy-$n.yaml"
  timed "deploy-$n" $k run "$out/deploy-$n.yaml" --max-lines 0
done

echo "== memory against simulated time"
idle=sim-cli/tests/data/idle.yaml
for u in 1h 100h; do timed "idle-$u" $k run $idle --until $u --max-lines 0; done
[[ $quick == --quick ]] || timed idle-10000h $k run $idle --until 10000h --max-lines 0
for u in 10m 100h; do timed "big-$u" $k run scenarios/big-cluster.yaml --until $u --max-lines 0; done

echo "== scheduler"
$k bench scheduler --nodes 5000 --pods 10000 -o json >"$out/sched-basic.json"
$k bench scheduler --nodes 5000 --pods 10000 --workload anti-affinity -o json >"$out/sched-anti.json"

echo "== traffic model"
$k bench traffic --rate 10000/s --duration 10m -o json >"$out/traffic.json"

echo "== replay"
replays

echo "== ksim check"
timed check-faults $k check scenarios/random-node-faults.yaml --seeds 200 -o json

if [[ $quick != --quick ]]; then
  echo "== browser"
  # Only its figures (stdout) go to the README; its builds and installs (stderr) do not.
  scripts/bench-web.sh >"$out/web.txt" 2>"$out/web.err" || { echo "(scripts/bench-web.sh failed: see its output)" >>"$out/web.txt"; cat "$out/web.err" >&2; }
fi

python3 scripts/figures.py "$out" README.md "$(nproc)" "$quick"
echo "README.md: figures written"
