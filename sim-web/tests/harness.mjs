// Shared by the browser tests and the measurements: the native `ksim` binary (the
// reference every figure is compared with; $KSIM, or target/release/ksim), `ksim web` serving sim-web/dist on a free
// port, and headless Debian chromium through playwright-core (never a downloaded browser).
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const KSIM = process.env.KSIM || join(ROOT, 'target', 'release', 'ksim');
export const CHROMIUM = '/usr/bin/chromium';

/**
 * A fresh directory under the system's temporary one, removed when the test process
 * exits normally (not when a signal kills it). A failure to remove it does not fail the
 * run.
 */
export function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  process.on('exit', () => {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Left behind: a temporary directory, not a test result.
    }
  });
  return dir;
}

/** Runs the native CLI; returns stdout (throws on exit codes other than those allowed). */
export function ksim(args, { ok = [0] } = {}) {
  try {
    return execFileSync(KSIM, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    if (ok.includes(e.status)) return `${e.stdout}${e.stderr}`;
    throw new Error(`ksim ${args.join(' ')} exited ${e.status}: ${e.stderr}`);
  }
}

/** The fingerprint `ksim run` prints (hex, without `sha256:`). */
export function cliFingerprint(file, seed) {
  const out = ksim(['run', file, '--seed', String(seed), '--max-lines', '0'], { ok: [0, 1] });
  const m = out.match(/^fingerprint: sha256:([0-9a-f]{64})$/m);
  if (!m) throw new Error(`no fingerprint in ksim run ${file}:\n${out}`);
  return m[1];
}

/** `ksim get pods -A --at T -o json` as {"ns/name": {node, phase}}. */
export function cliPods(file, seed, atMs) {
  const out = ksim(['get', 'pods', file, '--at', `${atMs}ms`, '--seed', String(seed), '-A', '-o', 'json']);
  const pods = {};
  for (const p of JSON.parse(out).items) pods[`${p.metadata.namespace}/${p.metadata.name}`] = { node: p.spec.nodeName || '', phase: p.status.phase };
  return pods;
}

/** Starts `ksim web --port 0`; resolves to {url, stop()}. */
export function serve() {
  return new Promise((resolve, reject) => {
    const child = spawn(KSIM, ['web', '--port', '0', '--dir', join(ROOT, 'sim-web', 'dist')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = out.match(/http:\/\/127\.0\.0\.1:\d+\//);
      if (m) resolve({ url: m[0], stop: () => child.kill() });
    });
    child.on('exit', (code) => reject(new Error(`ksim web exited ${code}: ${out}`)));
  });
}

/** Headless chromium with the flags ../shared/WASM.md lists; playwright gives each
 * launch a fresh temporary profile (its own --user-data-dir). */
export async function browser() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage',
    ],
  });
}

/** Opens `query` and waits for window.ksim.ready (or a load error). */
export async function open(page, base, query, timeout = 120_000) {
  await page.goto(`${base}${query}`);
  await page.waitForFunction(() => window.ksim && (window.ksim.ready || window.ksim.error), null, { timeout, polling: 50 });
  const err = await page.evaluate(() => window.ksim.error);
  if (err) throw new Error(`page error for ${query}: ${JSON.stringify(err)}`);
}

/** The pods the page shows: {"ns/name": {node, phase}}. */
export async function pagePods(page) {
  return page.$$eval('[data-pod]', (els) => Object.fromEntries(els.map((e) => [e.dataset.pod, { node: e.dataset.node, phase: e.dataset.phase }])));
}
