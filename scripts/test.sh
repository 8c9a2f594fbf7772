#!/usr/bin/env bash
# Runs every check CI runs: formatting, clippy (warnings are errors) and all tests.
# Usage: scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo not found: install Rust (https://rustup.rs) first" >&2
  exit 1
fi
for comp in rustfmt clippy; do
  if ! cargo "${comp/rustfmt/fmt}" --version >/dev/null 2>&1; then
    echo "installing $comp"
    rustup component add "$comp"
  fi
done

# The corpus tests need ../shared/corpus beside the checkout; without it they are skipped
# explicitly, and say so here.
if [ ! -d ../shared/corpus/kubernetes-website ]; then
  echo "warning: ../shared/corpus/kubernetes-website not found: the corpus tests are SKIPPED (KSIM_SKIP_CORPUS=1)" >&2
  export KSIM_SKIP_CORPUS=1
fi

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy --all-targets -- -D warnings"
cargo clippy --all-targets -- -D warnings
echo "== cargo test"
cargo test

# The browser demo (sim-web): build the site (installing what is missing), then compare
# it with the native binary — big-cluster's expectations and invariants, wasm vs native
# event logs in node, and the page in headless chromium. The native reference is the
# debug ksim `cargo test` just built (a release build would add ~4 minutes to CI for
# ~30 s of faster runs; an optimised and an unoptimised build must agree anyway).
export KSIM="$PWD/target/debug/ksim"
echo "== scripts/build-web.sh"
scripts/build-web.sh
echo "== ksim run scenarios/big-cluster.yaml --check"
if ! out=$("$KSIM" run scenarios/big-cluster.yaml --check --max-lines 0 2>&1); then
  echo "$out" | grep -v '^[a-z]*-[0-9a-z]*-[0-9a-z]* ' >&2
  exit 1
fi
echo "$out" | grep -E '^(  [0-9]+ passed|invariants|fingerprint)'
echo "== node --test sim-web/tests/wasm-node.mjs (wasm vs native event logs)"
node --test --test-reporter=spec sim-web/tests/wasm-node.mjs
echo "== node --test sim-web/tests/browser.mjs (headless chromium)"
node --test --test-reporter=spec sim-web/tests/browser.mjs
echo "== screenshots: target/web-screenshot.png, target/web-screenshot-big-cluster.png"
