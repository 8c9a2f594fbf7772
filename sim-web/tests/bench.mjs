// Measurements of the web demo (figures, not pass/fail tests): the wasm's compressed
// size, time to interactive on load, the longest main-thread task while the run is
// computed, and frames per second while big-cluster plays — with the node view alone,
// then with the architecture view open beside it (`arch=1`: every write drawn as
// messages) — counted with requestAnimationFrame in headless /usr/bin/chromium.
// Run: scripts/bench-web.sh (builds what is missing first).
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { join } from 'node:path';
import { loadavg, cpus } from 'node:os';
import { ROOT, serve, browser } from './harness.mjs';

const SECONDS = Number(process.env.KSIM_BENCH_SECONDS || 5);
const wasm = readFileSync(join(ROOT, 'sim-web', 'dist', 'pkg', 'sim_web_bg.wasm'));
const glue = readFileSync(join(ROOT, 'sim-web', 'dist', 'pkg', 'sim_web.js'));
const mb = (n) => `${(n / 1e6).toFixed(2)} MB`;
console.log(`${cpus().length} cores, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine slows the figures)`);
console.log(`wasm: ${mb(wasm.length)} raw, ${mb(gzipSync(wasm, { level: 9 }).length)} gzip -9 (glue ${(gzipSync(glue).length / 1e3).toFixed(1)} kB gzip)`);

const srv = await serve();
const chrome = await browser();

async function load(query) {
  const page = await chrome.newPage({ viewport: { width: 1400, height: 900 } });
  await page.addInitScript(() => {
    window.__longest = 0;
    new PerformanceObserver((l) => {
      for (const e of l.getEntries()) window.__longest = Math.max(window.__longest, e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${srv.url}${query}`);
  await page.waitForFunction(() => window.ksim && window.ksim.interactiveMs !== null, null, { polling: 10 });
  const interactive = await page.evaluate(() => window.ksim.interactiveMs);
  await page.waitForFunction(() => window.ksim.ready, null, { polling: 50, timeout: 120_000 });
  const ready = await page.evaluate(() => performance.now());
  const longest = await page.evaluate(() => window.__longest);
  return { page, interactive, ready, longest };
}

async function fps(page, speed, from) {
  await page.selectOption('#speed', String(speed));
  await page.evaluate((t) => window.ksim.seek(t), from);
  await page.evaluate(() => Object.assign(window.ksim.stats, { seeks: 0, wasmMs: 0, drawMs: 0, archMs: 0, panelsMs: 0 }));
  const r = await page.evaluate(
    (seconds) =>
      new Promise((resolve) => {
        let frames = 0;
        let worst = 0;
        let last = performance.now();
        const start = last;
        window.ksim.play(true);
        const tick = (now) => {
          frames++;
          worst = Math.max(worst, now - last);
          last = now;
          if (now - start < seconds * 1000) requestAnimationFrame(tick);
          else {
            const t = window.ksim.time();
            window.ksim.play(false);
            resolve({ fps: (frames * 1000) / (now - start), worst, simT: t });
          }
        };
        requestAnimationFrame(tick);
      }),
    SECONDS,
  );
  r.stats = await page.evaluate(() => window.ksim.stats);
  return r;
}

for (const [name, arch] of [['node-crash', false], ['big-cluster', false], ['big-cluster', true]]) {
  const label = `${name}${arch ? ' (arch=1)' : ''}`;
  const r = await load(`?scenario=${name}${arch ? '&arch=1' : ''}`);
  console.log(
    `${label}: interactive ${r.interactive.toFixed(0)} ms after navigation start; whole run computed at ${r.ready.toFixed(0)} ms; ` +
      `longest main-thread task ${r.longest.toFixed(0)} ms`,
  );
  if (name === 'big-cluster') {
    for (const [speed, from] of [[30, 0], [120, 0], [30, 330_000]]) {
      const f = await fps(r.page, speed, from);
      const s = f.stats;
      const per = (x) => (x / Math.max(1, s.seeks)).toFixed(1);
      const inFlight = arch ? `; messages in flight at the end ${await r.page.$eval('.arch-badge', (b) => b.dataset.inFlight || '0')}` : '';
      console.log(
        `${label} playing at ${speed}× from ${from / 1000}s: ${f.fps.toFixed(1)} fps over ${SECONDS} s (slowest frame ${f.worst.toFixed(0)} ms, ` +
          `reached ${(f.simT / 1000).toFixed(1)} s; per frame: wasm seek ${per(s.wasmMs)} ms, cluster ${per(s.drawMs)} ms, ` +
          `architecture view and charts ${per(s.archMs)} ms, panels ${per(s.panelsMs)} ms${inFlight})`,
      );
    }
  }
  await r.page.close();
}
await chrome.close();
srv.stop();
