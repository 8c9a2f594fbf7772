// Browser tests of the web demo: headless Debian chromium (playwright-core) on the site
// `ksim web` serves from sim-web/dist. Every expectation comes from the native `ksim`
// binary at test time — no fingerprint or pod list is written down here.
// Run: node --test sim-web/tests/browser.mjs   (after scripts/build-web.sh and
// cargo build --release -p sim-cli, or with KSIM=path/to/ksim; scripts/test.sh does all
// of it with the debug build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, writeFileSync, mkdtempSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { ROOT, ksim, cliFingerprint, cliPods, serve, browser, open, pagePods } from './harness.mjs';

const SCENARIOS = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();
const file = (name) => `scenarios/${name}.yaml`;
const OTHER_SEED = 4242;

let srv;
let chrome;
let page;

before(async () => {
  srv = await serve();
  chrome = await browser();
  page = await chrome.newPage({ viewport: { width: 1400, height: 900 } });
  page.on('pageerror', (e) => console.error('page error:', e.message));
});

after(async () => {
  await chrome?.close();
  srv?.stop();
});

const seedOf = (name) => Number(ksim(['run', file(name), '--max-lines', '0'], { ok: [0, 1] }).match(/— seed (\d+),/)[1]);

/** Drags the timeline's handle to `fraction` of its width with the mouse; returns the page's time. */
async function drag(fraction) {
  const box = await page.locator('#scrub').boundingBox();
  const y = box.y + box.height / 2;
  const x0 = Number(await page.$eval('#scrub', (s) => s.value)) / Number(await page.$eval('#scrub', (s) => s.max));
  // Inputs of type range put the thumb's centre 8 px in from each end.
  const at = (f) => box.x + 8 + f * (box.width - 16);
  await page.mouse.move(at(x0), y);
  await page.mouse.down();
  await page.mouse.move(at((x0 + fraction) / 2), y, { steps: 4 });
  await page.mouse.move(at(fraction), y, { steps: 4 });
  await page.mouse.up();
  return page.evaluate(() => window.ksim.time());
}

async function expectPodsAt(name, seed, t) {
  const want = cliPods(file(name), seed, t);
  const got = await pagePods(page);
  assert.ok(Object.keys(want).length > 0, `${name} at ${t} ms has pods`);
  assert.deepEqual(got, want, `${name} seed ${seed}: pods at ${t} ms (page vs ksim get pods --at ${t}ms)`);
}

for (const name of SCENARIOS) {
  test(`${name}: run to the end in the browser, same fingerprint and final pods as ksim run`, async () => {
    const seed = seedOf(name);
    await open(page, srv.url, `?scenario=${name}`);
    assert.equal(await page.evaluate(() => window.ksim.fingerprint()), cliFingerprint(file(name), seed));
    const end = await page.evaluate(() => window.ksim.endMs());
    assert.equal(await page.evaluate(() => window.ksim.time()), end, 'without t the page shows the end');
    await expectPodsAt(name, seed, end);
    const nodes = await page.$$eval('[data-node].node', (els) => els.map((e) => e.dataset.node).sort());
    const cliNodes = JSON.parse(ksim(['get', 'nodes', file(name), '--at', `${end}ms`, '-o', 'json'])).items.map((n) => n.metadata.name).sort();
    assert.deepEqual(nodes, cliNodes, 'one card per node');
  });
  if (name !== 'big-cluster') {
    test(`${name}: another seed from the URL, same fingerprint as ksim run --seed`, async () => {
      await open(page, srv.url, `?scenario=${name}&seed=${OTHER_SEED}`);
      assert.equal(await page.evaluate(() => window.ksim.fingerprint()), cliFingerprint(file(name), OTHER_SEED));
      assert.equal(await page.$eval('#seed', (e) => e.value), String(OTHER_SEED));
    });
  }
}

test('node-crash: dragging the timeline shows exactly the pods of ksim get pods --at', async () => {
  const seed = 99;
  await open(page, srv.url, `?scenario=node-crash&seed=${seed}&t=0s`);
  const seen = new Set();
  for (const f of [0.003, 0.02, 0.09, 0.55, 0.3, 0.71, 0.8, 0.005, 0.97]) {
    const t = await drag(f);
    seen.add(t);
    await expectPodsAt('node-crash', seed, t);
    const url = new URL(await page.evaluate(() => new Promise((r) => setTimeout(() => r(location.href), 300))));
    assert.equal(url.searchParams.get('scenario'), 'node-crash');
    assert.equal(url.searchParams.get('seed'), String(seed));
    assert.ok(url.searchParams.get('t'), 'the URL holds the time');
  }
  assert.ok(seen.size >= 7, `the drags reached different moments: ${[...seen]}`);
});

test('big-cluster: dragging to moments of the crash and the scale-up matches ksim get pods --at', async () => {
  const seed = seedOf('big-cluster');
  await open(page, srv.url, '?scenario=big-cluster&t=0s');
  for (const f of [0.13, 0.25, 0.72]) {
    const t = await drag(f);
    await expectPodsAt('big-cluster', seed, t);
  }
  mkdirSync(join(ROOT, 'target'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'target', 'web-screenshot-big-cluster.png') });
});

test('a shared link opens at its moment: ?t=7m30s', async () => {
  await open(page, srv.url, '?scenario=node-crash&t=7m30s');
  assert.equal(await page.evaluate(() => window.ksim.time()), 450_000);
  assert.equal(await page.$eval('#clock', (e) => e.textContent), '7m30s');
  await expectPodsAt('node-crash', seedOf('node-crash'), 450_000);
  // worker-1 is down: its card says so, and its pods are gone from it by 7m30s.
  assert.equal(await page.$eval('.node[data-node="worker-1"]', (e) => e.dataset.status), 'Unknown');
});

test('step to the next event, and click a log line to jump to its moment', async () => {
  await open(page, srv.url, '?scenario=hello-deployment&t=0s');
  const t0 = await page.evaluate(() => window.ksim.time());
  await page.click('#next');
  const t1 = await page.evaluate(() => window.ksim.time());
  assert.ok(t1 > t0, `next moves forward (${t0} → ${t1})`);
  await page.click('#next');
  const t2 = await page.evaluate(() => window.ksim.time());
  assert.ok(t2 > t1);
  await page.evaluate(() => window.ksim.seek(4000));
  const lines = page.locator('#log li');
  const times = (await page.$$eval('#log li', (els) => els.map((e) => Number(e.dataset.t)))).filter((t) => t > 50);
  assert.ok(times.length >= 2, `log lines after the pods exist: ${times}`);
  const firstAfter = await page.$$eval('#log li', (els, t) => els.findIndex((e) => Number(e.dataset.t) === t), times[0]);
  for (const pick of [lines.last(), lines.nth(firstAfter)]) {
    const lineT = Number(await pick.getAttribute('data-t'));
    await pick.click();
    assert.equal(await page.evaluate(() => window.ksim.time()), lineT);
    await expectPodsAt('hello-deployment', seedOf('hello-deployment'), lineT);
  }
});

test('click a pod: its YAML, events and IP history; a replacement is linked to the pod it replaces', async () => {
  await open(page, srv.url, '?scenario=node-crash&t=7m30s');
  const replacement = page.locator('[data-pod].replacement').first();
  const key = await replacement.getAttribute('data-pod');
  await replacement.click();
  const detail = page.locator('#detail');
  await assert.doesNotReject(detail.locator('pre.yaml').waitFor());
  const yaml = await detail.locator('pre.yaml').textContent();
  assert.match(yaml, /kind: Pod/);
  assert.ok(yaml.includes(`name: ${key.split('/')[1]}`), 'the YAML is the clicked pod');
  const cli = JSON.parse(ksim(['get', 'pod', key.split('/')[1], file('node-crash'), '--at', '7m30s', '-o', 'json']));
  assert.ok((await detail.locator('.ips').textContent()).includes(cli.status.podIP), 'IP history has the pod IP');
  assert.match(await detail.locator('.events').textContent(), /Scheduled/);
  assert.match(await detail.locator('.link-note').textContent(), /replaces default\/web-/);
  assert.equal(await page.locator('[data-pod].linked').count(), 2, 'the pair is highlighted');
  assert.equal(await page.locator('#links line:not(.transient)').count(), 1, 'a line joins them');
  mkdirSync(join(ROOT, 'target'), { recursive: true });
  await page.screenshot({ path: join(ROOT, 'target', 'web-screenshot.png') });
  await page.click('.node[data-node="worker-2"] .node-head');
  assert.match(await detail.locator('pre.yaml').textContent(), /kind: Node/);
});

test('the editor shows a bad file\u2019s error at its line, as ksim run reports it', async () => {
  await open(page, srv.url, '?scenario=hello-deployment');
  const bad = [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata: {name: web}',
    'spec:',
    '  replicas: 2',
    '  selector: {matchLabels: {app: web}}',
    '  template:',
    '    metadata: {labels: {app: web}}',
    '    spec:',
    '      containers:',
    '      - name: web',
    '        image: nginx',
    '        resources: {requests: {cpu: lots}}',
    '',
  ].join('\n');
  const dir = mkdtempSync(join(tmpdir(), 'ksim-web-'));
  writeFileSync(join(dir, 'my-scenario.yaml'), bad);
  const cli = ksim(['run', join(dir, 'my-scenario.yaml')], { ok: [2] });
  const [, line, col] = cli.match(/my-scenario\.yaml:(\d+):(\d+):/);
  await page.click('#edit');
  // Uploading a file puts it in the editor.
  await page.setInputFiles('#upload', join(dir, 'my-scenario.yaml'));
  await page.waitForFunction((t) => document.getElementById('yaml').value === t, bad, { polling: 50 });
  await page.fill('#yaml', bad);
  await page.click('#run-yaml');
  const err = page.locator('#errors li.error').first();
  await err.waitFor();
  assert.equal(await err.getAttribute('data-line'), line);
  assert.equal(await err.getAttribute('data-col'), col);
  assert.ok((await err.textContent()).startsWith(`my-scenario.yaml:${line}:${col}:`), await err.textContent());
  assert.equal(await page.locator(`#gutter b[data-line="${line}"]`).count(), 1, 'the gutter marks the line');
  // Fixed, the same text runs with the CLI's fingerprint.
  const good = bad.replace('cpu: lots', 'cpu: 100m');
  writeFileSync(join(dir, 'my-scenario.yaml'), good);
  await page.fill('#yaml', good);
  await page.click('#run-yaml');
  await page.waitForFunction(() => window.ksim.ready, null, { polling: 50 });
  assert.equal(await page.locator('#errors li').count(), 0);
  const seed = Number(await page.$eval('#seed', (e) => e.value));
  assert.equal(await page.evaluate(() => window.ksim.fingerprint()), cliFingerprint(join(dir, 'my-scenario.yaml'), seed));
});

test('play=1 plays: the moment advances and the URL follows once paused', async () => {
  await open(page, srv.url, '?scenario=scale-up-down&t=10s&play=1');
  const a = await page.evaluate(() => window.ksim.time());
  assert.ok(a >= 10_000, `playing starts at t=10s (now ${a})`);
  await page.waitForFunction((a) => window.ksim.time() > a + 5000, a, { polling: 50 });
  await page.click('#play');
  const t = await page.evaluate(() => window.ksim.time());
  await expectPodsAt('scale-up-down', seedOf('scale-up-down'), t);
});

test('the scheduling queue shows why pods wait, in the scheduler\u2019s words', async () => {
  await open(page, srv.url, '?scenario=insufficient-capacity&t=20s');
  const cli = JSON.parse(ksim(['get', 'pods', file('insufficient-capacity'), '--at', '20s', '-o', 'json'])).items;
  const waiting = cli.filter((p) => !p.spec.nodeName);
  assert.ok(waiting.length > 0, 'pods wait at 20s');
  const reason = waiting[0].status.conditions.find((c) => c.type === 'PodScheduled').message;
  assert.equal(await page.locator('#pending [data-pod]').count(), waiting.length);
  assert.equal(await page.$eval('#pending-reasons', (e) => e.textContent), `${waiting.length} × ${reason}`);
});

test('playing through an eviction: the replacement appears joined to the pod it replaces', async () => {
  await open(page, srv.url, '?scenario=node-crash&t=6m44s');
  await page.selectOption('#speed', '1');
  await page.evaluate(() => window.ksim.play(true));
  await page.locator('#links line.transient').first().waitFor({ timeout: 10_000 });
  await page.evaluate(() => window.ksim.play(false));
  assert.ok((await page.evaluate(() => window.ksim.time())) > 405_000);
});

test('lessons: the menu lists ksim lesson list; a lesson opens its scenario and question, in English or Korean', async () => {
  const want = JSON.parse(ksim(['lesson', 'list', '-o', 'json']));
  await open(page, srv.url, '?scenario=node-crash');
  assert.equal(await page.$eval('#lesson-panel', (e) => e.hidden), true, 'no lesson, no panel');
  const listed = await page.evaluate(() => window.ksim.lessons());
  assert.deepEqual(listed.map((l) => l.name), want.map((l) => l.name));
  const l = want.find((x) => x.name === 'scheduler');
  await open(page, srv.url, '?lesson=scheduler');
  assert.equal(await page.$eval('#scenario', (e) => e.value), l.scenario);
  assert.equal(await page.evaluate(() => window.ksim.fingerprint()), cliFingerprint(file(l.scenario), seedOf(l.scenario)));
  assert.equal(await page.$eval('#lesson-panel', (e) => e.hidden), false);
  assert.equal(await page.$eval('#lesson', (e) => e.value), 'scheduler', 'the menu shows the open lesson');
  assert.equal(await page.$eval('#lesson-question', (e) => e.textContent), l.question.en);
  assert.equal(await page.$eval('#lesson-answer-box', (e) => e.open), false, 'the answer waits to be opened');
  await page.selectOption('#lang', 'ko');
  assert.equal(await page.$eval('#lesson-question', (e) => e.textContent), l.question.ko);
  assert.equal(await page.$eval('html', (e) => e.lang), 'ko');
  assert.equal(await page.$eval('[data-i18n="predict"]', (e) => e.textContent), '예측해 보기');
  // Another lesson from the menu loads its scenario.
  const k = want.find((x) => x.name === 'kubelet');
  await page.selectOption('#lesson', 'kubelet');
  await page.waitForFunction((s) => document.querySelector('#scenario').value === s && window.ksim.ready, k.scenario, { timeout: 120_000, polling: 50 });
  assert.equal(await page.$eval('#lesson-title', (e) => e.textContent), `${k.order}. ${k.title.ko}`);
  await page.selectOption('#lang', 'en');
});
