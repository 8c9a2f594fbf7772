// Native vs wasm without a browser: node loads the very module the page uses
// (sim-web/dist/pkg), checks the pinned float bits, and runs every bundled scenario; the
// event log must equal, byte for byte, what the native `ksim run --log` writes for the
// same file and seed.
// Run: node --test sim-web/tests/wasm-node.mjs (after scripts/build-web.sh).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ksim, tempDir } from './harness.mjs';
import { initSync, Ksim, check_float_bits } from '../dist/pkg/sim_web.js';

initSync({ module: readFileSync(join(ROOT, 'sim-web', 'dist', 'pkg', 'sim_web_bg.wasm')) });
const dir = tempDir('ksim-wasm-');

// The float transcendentals ksim's decisions use (libm's log: PodTopologySpread's weights,
// the fault plan's exponential gaps) give, in wasm, the bits pinned natively
// (sim-core/src/engine/math.rs PINNED_LN, e.g. ln 3 = 0x3FF193EA7AAD030A).
test('wasm float bits = the pinned native bits', () => {
  assert.equal(check_float_bits(), '');
});

for (const f of readdirSync(join(ROOT, 'scenarios')).filter((f) => f.endsWith('.yaml')).sort()) {
  const seeds = f === 'big-cluster.yaml' ? [NaN] : [NaN, 1, 4242];
  for (const seed of seeds) {
    test(`${f} seed ${Number.isNaN(seed) ? '(its own)' : seed}: wasm log = native log`, () => {
      const path = join(ROOT, 'scenarios', f);
      const sim = Ksim.load(f, readFileSync(path, 'utf8'), seed);
      while (!sim.advance(50_000));
      const log = join(dir, `${f}.${seed}.jsonl`);
      const args = ['run', path, '--max-lines', '0', '--log', log];
      if (!Number.isNaN(seed)) args.push('--seed', String(seed));
      const out = ksim(args, { ok: [0, 1] });
      const native = readFileSync(log, 'utf8');
      const wasm = sim.log_jsonl();
      assert.ok(native.length > 1000, 'a real log');
      assert.ok(wasm === native, `${f}: the logs differ (wasm ${wasm.length} bytes, native ${native.length})`);
      assert.equal(`sha256:${sim.fingerprint()}`, out.match(/^fingerprint: (sha256:[0-9a-f]{64})$/m)[1]);
      sim.free();
    });
  }
}
