#!/usr/bin/env bash
# The wide sweep of `ksim check`: every bundled scenario over 1,000 seeds (big-cluster
# over 100) and the harsher fault plans of scripts/sweeps/ over 2,000 seeds each, every
# invariant on. Prints, per sweep, runs, events, violations, wall time and peak RSS, and
# exits 1 if any run broke an invariant. Not part of scripts/test.sh (it takes a while).
# Usage: scripts/sweep.sh [SEEDS_BUNDLED] [SEEDS_HARSH]   (defaults 1000 and 2000)
set -euo pipefail
cd "$(dirname "$0")/.."
bundled=${1:-1000}
harsh=${2:-2000}
if [[ ! -x /usr/bin/time ]]; then
  echo "== installing GNU time (peak RSS of a sweep)"
  apt-get install -y -q time >/dev/null
fi
cargo build --release -q -p sim-cli
k=target/release/ksim
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
failed=0
printf '%-52s %7s %13s %10s %9s %10s\n' sweep runs events violations wall "peak RSS"
sweep() {
  local file=$1 seeds=$2
  if ! /usr/bin/time -f "%e %M" -o "$tmp.time" $k check "$file" --seeds "$seeds" -o json >"$tmp"; then
    failed=1
  fi
  python3 - "$file" "$tmp" "$tmp.time" <<'PY'
import json, sys
f, out, t = sys.argv[1:4]
j = json.load(open(out))
wall, kb = open(t).read().split()[-2:]
print(f"{f:<52} {j['runs']:>7,} {j['events']:>13,} {j['violations']:>10} {float(wall):>8.1f}s {int(kb) / 1024:>8.0f} MB")
for v in j.get("failures", [])[:5]:
    print("   ", v)
PY
}
for f in scenarios/*.yaml; do
  if [[ $f == scenarios/big-cluster.yaml ]]; then sweep "$f" $(( bundled >= 10 ? bundled / 10 : 1 )); else sweep "$f" "$bundled"; fi
done
for f in scripts/sweeps/*.yaml; do sweep "$f" "$harsh"; done
exit $failed
