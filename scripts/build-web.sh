#!/usr/bin/env bash
# Builds the browser demo into sim-web/dist/ (index.html, the modules, the wasm and its
# glue, every bundled scenario). Installs what is missing first — checking each piece:
# Debian's rustc-web (rustup cannot add the wasm target here), its std source, LLVM 22's
# wasm linker and chromium (for the tests); the `debian-web` rustup toolchain;
# wasm-bindgen-cli matching Cargo.lock; playwright-core (sim-web/package-lock.json).
# Usage: scripts/build-web.sh        then: ksim web   (or any static server)
set -euo pipefail
cd "$(dirname "$0")/.."

WASM_BINDGEN_VERSION=0.2.130 # = the `wasm-bindgen` pin in sim-web/Cargo.toml
SUDO=()
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null 2>&1; then SUDO=(sudo); fi

missing=()
for pkg in rustc-web cargo-web rust-web-src lld-22 chromium; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  echo "== apt-get install ${missing[*]}"
  "${SUDO[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${SUDO[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if ! rustup toolchain list | grep -q '^debian-web'; then
  echo "== rustup toolchain link debian-web /usr"
  rustup toolchain link debian-web /usr
fi
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  echo "== cargo install wasm-bindgen-cli $WASM_BINDGEN_VERSION (once per machine, ~7 min)"
  # Not --locked: its lock file wants a crate version the registry here lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
if [ ! -f sim-web/node_modules/playwright-core/package.json ]; then
  echo "== npm ci (playwright-core, for the browser tests)"
  (cd sim-web && npm ci --no-audit --no-fund --loglevel=error)
fi

echo "== cargo +debian-web build -p sim-web --target wasm32-unknown-unknown"
# The wasm build keeps the release profile's former settings (Cargo.toml): LTO was
# measured for the native binary only, and CI's time is budgeted.
CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  RUSTC_BOOTSTRAP=1 CARGO_TARGET_DIR=target/wasm cargo +debian-web build -p sim-web --lib --release \
  --target wasm32-unknown-unknown -Z build-std=std,panic_abort

dist=sim-web/dist
rm -rf "$dist"
mkdir -p "$dist/scenarios"
wasm-bindgen --target web --no-typescript --out-dir "$dist/pkg" target/wasm/wasm32-unknown-unknown/release/sim_web.wasm
cp sim-web/www/* "$dist/"
cp scenarios/*.yaml "$dist/scenarios/"
# The picker's list: name and the first comment line of each scenario.
{
  echo "["
  first=1
  for f in scenarios/*.yaml; do
    name=$(basename "$f" .yaml)
    about=$(grep -m1 '^#' "$f" | sed -e 's/^# *//' -e 's/\\/\\\\/g' -e 's/"/\\"/g' || true)
    [ $first = 1 ] || echo ","
    first=0
    printf '  {"name": "%s", "about": "%s"}' "$name" "$about"
  done
  echo
  echo "]"
} >"$dist/scenarios/index.json"
# The Lessons menu: every lesson's texts in both languages (ksim lesson list -o json).
ksim_bin=${KSIM:-}
if [ -z "$ksim_bin" ]; then
  cargo build -q -p sim-cli
  ksim_bin=target/debug/ksim
fi
"$ksim_bin" lesson list -o json >"$dist/lessons.json"
echo "== built $dist ($(du -sh "$dist" | cut -f1)); serve it with: ksim web"
