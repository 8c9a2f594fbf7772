#!/usr/bin/env bash
# Fuzzes ksim with cargo-fuzz (libFuzzer + AddressSanitizer). Not part of scripts/test.sh.
#
# Usage: scripts/fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  fuzzing time per target (default 300)
#   TARGET   load, run, scenario (default: all three)
#
#   load: arbitrary bytes -> scenario loader; must never panic.
#   run:  load -> a capped simulation (<= 2m, <= 20 nodes, <= 50 replicas, <= 200k
#         events) with invariant checks on; a panic or a violation is a finding.
#   scenario: structure-aware: the bytes drive `arbitrary` into a valid scenario (pools,
#         zones, taints, Deployments with spreading/anti-affinity/priorities, scales,
#         deletes, crashes, random fault plans, latencies) run with every invariant and
#         liveness check; KSIM_FUZZ_STATS=1 prints how many inputs reached the simulator.
#
# Only a stable toolchain is installed here: RUSTC_BOOTSTRAP=1 lets stable rustc take
# the -Zsanitizer=address flag cargo-fuzz passes (AddressSanitizer works that way).
# Seeds: scenarios/*.yaml and ../shared/corpus/kubernetes-website, copied into
# fuzz/corpus/<target>/ each run. Findings go to fuzz/artifacts/<target>/; reproduce one
# with   RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=fuzz/target cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...
# and minimize it with   ... cargo fuzz tmin TARGET fuzz/artifacts/TARGET/crash-...
# Exits 1 when a target left a crash, timeout, OOM or leak artifact.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

SECONDS_PER_TARGET=${1:-300}
if ! [[ $SECONDS_PER_TARGET =~ ^[0-9]+$ ]]; then
  echo "usage: scripts/fuzz.sh [SECONDS] [TARGET...]" >&2
  exit 2
fi
shift $(( $# > 0 ? 1 : 0 ))
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
  TARGETS=(load run scenario)
fi

export RUSTC_BOOTSTRAP=1
export CARGO_TARGET_DIR="$ROOT/fuzz/target"

if ! cargo fuzz --version >/dev/null 2>&1; then
  echo "== installing cargo-fuzz"
  cargo install cargo-fuzz
fi

# Seed corpus (not committed: fuzz/.gitignore ignores corpus/).
K8S="$ROOT/../shared/corpus/kubernetes-website"
for t in "${TARGETS[@]}"; do
  dir="$ROOT/fuzz/corpus/$t"
  mkdir -p "$dir" "$ROOT/fuzz/artifacts/$t"
  # The scenario target's inputs are bytes for `arbitrary`, not YAML: no YAML seeds.
  [ "$t" = scenario ] && continue
  cp "$ROOT"/scenarios/*.yaml "$dir/"
  if [ -d "$K8S" ]; then
    # Flatten (controllers/frontend.yaml -> k8s-controllers-frontend.yaml): names repeat across folders.
    while IFS= read -r -d '' f; do
      rel=${f#"$K8S"/}
      cp "$f" "$dir/k8s-${rel//\//-}"
    done < <(find "$K8S" -type f -print0)
  fi
done

echo "== cargo fuzz build (AddressSanitizer, release + debug assertions)"
(cd "$ROOT" && cargo fuzz build)

status=0
summary=()
for t in "${TARGETS[@]}"; do
  log="$ROOT/fuzz/artifacts/$t.log"
  before=$(find "$ROOT/fuzz/artifacts/$t" -maxdepth 1 -type f | wc -l)
  echo "== fuzzing $t for ${SECONDS_PER_TARGET}s (log: ${log#"$ROOT"/})"
  rc=0
  cargo fuzz run "$t" -- \
    -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=2048 -timeout=10 \
    -dict="$ROOT/fuzz/ksim.dict" -print_final_stats=1 >"$log" 2>&1 || rc=$?
  tail -n 5 "$log"
  runs=$(grep -oE '^Done [0-9]+ runs in [0-9]+ second' "$log" | tail -1 | awk '{print $2 " execs in " $5 "s"}' || true)
  [ -n "$runs" ] || runs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | awk '{print $2 " execs"}' || true)
  first=$(grep -oE 'INITED cov: [0-9]+ ft: [0-9]+' "$log" | head -1 | sed 's/INITED //' || true)
  last=$(grep -oE '^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$log" | tail -1 | sed -E 's/^#[0-9]+[[:space:]]+[A-Z]+[[:space:]]+//' || true)
  after=$(find "$ROOT/fuzz/artifacts/$t" -maxdepth 1 -type f | wc -l)
  line="$t: ${runs:-? execs}; start ${first:-?} -> end ${last:-?}; exit $rc"
  if [ "$rc" -ne 0 ] || [ "$after" -gt "$before" ]; then
    status=1
    line="$line; FINDING"
    grep -E "panicked at|ERROR: libFuzzer|SUMMARY:|Test unit written" "$log" | head -5 | sed 's/^/    /' || true
  fi
  summary+=("$line")
done

echo
echo "== summary (${SECONDS_PER_TARGET}s per target)"
printf '%s\n' "${summary[@]}"
arts=$(find "$ROOT/fuzz/artifacts" -mindepth 2 -maxdepth 2 -type f \( -name 'crash-*' -o -name 'timeout-*' -o -name 'oom-*' -o -name 'leak-*' -o -name 'slow-unit-*' \) 2>/dev/null | sort)
if [ -n "$arts" ]; then
  echo "artifacts:"
  echo "$arts" | sed "s|^$ROOT/|  |"
else
  echo "artifacts: none"
fi
exit $status
