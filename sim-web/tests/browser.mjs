// Browser tests of the web demo: headless Debian chromium (playwright-core) on the site
// `ksim web` serves from sim-web/dist. Every expectation comes from the native `ksim`
// binary at test time — no fingerprint or pod list is written down here.
// Run: node --test sim-web/tests/browser.mjs   (after scripts/build-web.sh and
// cargo build --release -p sim-cli, or with KSIM=path/to/ksim; scripts/test.sh does all
// of it with the debug build).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, ksim, tempDir, cliFingerprint, cliPods, serve, browser, open, pagePods } from './harness.mjs';

const SCENARIOS = readdirSync(join(ROOT, 'scenarios'))
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.replace(/\.yaml$/, ''))
  .sort();
const file = (name) => `scenarios/${name}.yaml`;
const OTHER_SEED = 4242;
// A seed from the URL is checked on three scenarios only: wasm-node.mjs already compares
// the wasm and native event logs of every bundled scenario at seed 4242 (and 1), byte
// for byte, and each page load costs seconds of CI time.
const OTHER_SEED_SCENARIOS = SCENARIOS.filter((n) => n !== 'big-cluster').slice(0, 3);

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
  if (OTHER_SEED_SCENARIOS.includes(name)) {
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
  const dir = tempDir('ksim-web-');
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
  // Attached, not "visible": a line between chips on one row has a bounding box of height 0,
  // which Playwright does not count as visible.
  await page.locator('#links line.transient').first().waitFor({ state: 'attached', timeout: 10_000 });
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

/** Every message element the architecture view adds from now on: {from, to, kind, records}. */
async function recordMessages() {
  await page.evaluate(() => {
    window.__msgs = [];
    new MutationObserver((muts) => {
      for (const m of muts) {
        for (const n of m.addedNodes) {
          const d = n.dataset;
          if (d && d.messageFrom) window.__msgs.push({ from: d.messageFrom, to: d.messageTo, kind: d.messageKind, records: d.messageRecords.split(' ') });
        }
      }
    }).observe(document.querySelector('.arch-msgs'), { childList: true });
  });
}

test('architecture view: playing through a bind draws scheduler → apiserver, apiserver → etcd, then a watch to the kubelet of the pod’s node', async () => {
  const name = 'hello-deployment';
  const dir = tempDir('ksim-web-');
  ksim(['run', file(name), '--max-lines', '0', '--log', join(dir, 'log.jsonl')], { ok: [0, 1] });
  // The page's log is the native one, byte for byte (wasm-node.mjs): record i is line i.
  const records = readFileSync(join(dir, 'log.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const i = records.findIndex((r) => r.verb === 'bind' && r.kind === 'Pod');
  const bind = records[i];
  const node = JSON.parse(ksim(['get', 'pod', bind.name, file(name), '-n', bind.ns, '-o', 'json'])).spec.nodeName;
  assert.ok(node, `ksim says ${bind.name} is bound`);
  await open(page, srv.url, `?scenario=${name}&t=${bind.t - 1}ms&arch=1`);
  for (const c of ['kubectl', 'apiserver', 'etcd', 'scheduler', 'controller-manager', `kubelet/${node}`, `kube-proxy/${node}`, `container-runtime/${node}`]) {
    assert.equal(await page.locator(`#arch [data-component="${c}"]`).count(), 1, `one box for ${c}`);
  }
  await recordMessages();
  await page.selectOption('#speed', '1');
  await page.evaluate(() => window.ksim.play(true));
  await page.waitForFunction((t) => window.ksim.time() > t, bind.t + 30, { polling: 20 });
  await page.evaluate(() => window.ksim.play(false));
  // Clicking a message in flight shows its log record.
  const msg = page.locator(`.arch-msgs .msg[data-message-records~="${i}"]`).first();
  await msg.waitFor({ timeout: 5000 });
  await msg.dispatchEvent('click');
  assert.equal(await page.$eval('.arch-popup', (e) => e.hidden), false);
  const popup = await page.$eval('.arch-popup', (e) => e.textContent);
  assert.ok(popup.includes(`"verb": "bind"`) && popup.includes(`"name": "${bind.name}"`), popup);
  await page.waitForFunction(() => window.ksim.archIdle(), null, { polling: 50, timeout: 10_000 });
  const drawn = (await page.evaluate(() => window.__msgs)).filter((m) => m.records.includes(String(i)));
  const want = [
    ['scheduler', 'apiserver', 'request'],
    ['apiserver', 'etcd', 'request'],
    ['apiserver', `kubelet/${node}`, 'watch'],
  ];
  let k = 0;
  for (const m of drawn) if (k < want.length && m.from === want[k][0] && m.to === want[k][1] && m.kind === want[k][2]) k++;
  assert.equal(k, want.length, `the bind of ${bind.name} to ${node}, drawn in order: ${JSON.stringify(drawn)}`);
});

/** Opens the explain panel of pod `pod` at the page's moment; returns {node → feasible} and the chosen node. */
async function pageExplain(pod) {
  await page.click(`[data-pod="default/${pod}"]`);
  await page.click('#detail .explain-open');
  await page.locator('#detail [data-explain-node]').first().waitFor({ timeout: 60_000 });
  const rows = await page.$$eval('#detail [data-explain-node]', (els) => els.map((e) => [e.dataset.explainNode, e.dataset.feasible === 'true']));
  const chosen = await page.$$eval('#detail tr.chosen[data-explain-node]', (els) => els.map((e) => e.dataset.explainNode));
  return { feasible: Object.fromEntries(rows), chosen: chosen[0] ?? null };
}

test('explain panel: each node’s verdict is the one of ksim explain pod/NAME FILE --at T -o json', async () => {
  const cliExplain = (name, pod, at) => JSON.parse(ksim(['explain', `pod/${pod}`, file(name), '--at', at, '-o', 'json']));
  const verdicts = (ex) => Object.fromEntries(ex.nodes.map((n) => [n.name, n.feasible]));
  // A pending pod: every node filtered out.
  let name = 'insufficient-capacity';
  let at = '20s';
  const waiting = JSON.parse(ksim(['get', 'pods', file(name), '--at', at, '-o', 'json'])).items.find((p) => !p.spec.nodeName);
  let want = cliExplain(name, waiting.metadata.name, at);
  await open(page, srv.url, `?scenario=${name}&t=${at}`);
  let got = await pageExplain(waiting.metadata.name);
  assert.deepEqual(got, { feasible: verdicts(want), chosen: want.node });
  // A placed pod, some nodes filtered out and some scored: the first such pod.
  name = 'taints-tolerations';
  at = '1m';
  const placed = JSON.parse(ksim(['get', 'pods', file(name), '--at', at, '-o', 'json'])).items.filter((p) => p.spec.nodeName);
  let pod = null;
  for (const p of placed) {
    want = cliExplain(name, p.metadata.name, at);
    const v = Object.values(verdicts(want));
    if (v.includes(true) && v.includes(false)) {
      pod = p.metadata.name;
      break;
    }
  }
  assert.ok(pod, `${name}: a placed pod with nodes filtered out`);
  await open(page, srv.url, `?scenario=${name}&t=${at}`);
  got = await pageExplain(pod);
  assert.deepEqual(got, { feasible: verdicts(want), chosen: want.node });
  assert.equal(await page.locator('#detail .heat i').count(), want.nodes.length, 'one heat cell per node');
  assert.equal(await page.locator('#detail table.explain-scores tbody tr').count(), want.nodes.filter((n) => n.feasible && n.scores.length).length);
});

test('charts: every cursor follows the timeline; pods by phase at a sample are ksim get pods --at that moment', async () => {
  const PHASES = ['Pending', 'Running', 'Succeeded', 'Failed'];
  let name = 'indexed-job';
  await open(page, srv.url, `?scenario=${name}&t=0s`);
  assert.deepEqual(await page.$$eval('[data-chart]', (els) => els.map((e) => e.dataset.chart)), ['pods-by-phase', 'pending', 'allocation']);
  const seen = new Set();
  for (const f of [0.04, 0.17, 0.5]) {
    const t = await drag(f);
    const cursors = await page.$$eval('[data-chart-cursor]', (els) => els.map((e) => Number(e.dataset.t)));
    assert.deepEqual(cursors, [t, t, t], 'each cursor is at the page’s moment');
    const readout = await page.$eval('[data-chart="pods-by-phase"] .readout', (e) => ({
      at: Number(e.dataset.at),
      values: Object.fromEntries([...e.querySelectorAll('[data-series]')].map((s) => [s.dataset.series, Number(s.dataset.value)])),
    }));
    assert.ok(readout.at <= t && t - readout.at < 1000, `the sample at or before ${t}: ${readout.at}`);
    const pods = JSON.parse(ksim(['get', 'pods', file(name), '--at', `${readout.at}ms`, '-A', '-o', 'json'])).items;
    const want = Object.fromEntries(PHASES.map((ph) => [ph, pods.filter((p) => p.status.phase === ph).length]));
    assert.deepEqual(readout.values, want, `pods by phase at ${readout.at} ms`);
    seen.add(JSON.stringify(want));
  }
  assert.ok(seen.size >= 2, 'the phases changed between the moments');
  // With traffic, a fourth chart; clicking a chart moves the timeline.
  name = 'kube-proxy-window';
  await open(page, srv.url, `?scenario=${name}&t=0s`);
  assert.deepEqual(await page.$$eval('[data-chart]', (els) => els.map((e) => e.dataset.chart)), ['pods-by-phase', 'pending', 'allocation', 'traffic']);
  const box = await page.locator('[data-chart="traffic"] svg').boundingBox();
  await page.mouse.click(box.x + box.width * 0.6, box.y + box.height / 2);
  const t = await page.evaluate(() => window.ksim.time());
  assert.ok(Math.abs(t - 0.6 * (await page.evaluate(() => window.ksim.endMs()))) < 2000, `clicked at 60%: ${t}`);
  assert.deepEqual(await page.$$eval('[data-chart-cursor]', (els) => els.map((e) => Number(e.dataset.t))), [t, t, t, t]);
});

test('language: in Korean, no data-i18n element shows its English text', async () => {
  await open(page, srv.url, '?scenario=node-crash&t=7m30s&arch=1');
  await pageExplain((await page.$eval('.node [data-pod]', (e) => e.dataset.pod)).split('/')[1]);
  const { WORDS } = await page.evaluate(async () => ({ WORDS: (await import('./i18n.js')).WORDS }));
  assert.deepEqual(Object.keys(WORDS.ko).sort(), Object.keys(WORDS.en).sort(), 'every word in both languages');
  const shown = () =>
    page.$$eval('[data-i18n], [data-i18n-title]', (els) =>
      els.map((e) => ({ key: e.dataset.i18n, title: e.dataset.i18nTitle, args: JSON.parse(e.dataset.i18nArgs || '[]'), text: e.textContent, tip: e.title })),
    );
  const fill = (w, args) => w.replace(/\{(\d+)\}/g, (_, n) => String(args[Number(n)] ?? ''));
  const english = await shown();
  assert.ok(english.length > 80, `the page marks its words (${english.length})`);
  for (const e of english) if (e.key) assert.equal(e.text, fill(WORDS.en[e.key], e.args), `English ${e.key}`);
  await page.selectOption('#lang', 'ko');
  assert.equal(await page.$eval('html', (e) => e.lang), 'ko');
  for (const e of await shown()) {
    if (e.key) {
      assert.ok(e.text.trim(), `${e.key} is not empty`);
      assert.notEqual(e.text, fill(WORDS.en[e.key], e.args), `${e.key} is in Korean: ${e.text}`);
      assert.equal(e.text, fill(WORDS.ko[e.key], e.args), `${e.key}`);
    }
    if (e.title) assert.notEqual(e.tip, WORDS.en[e.title], `the tooltip ${e.title} is in Korean`);
  }
  const url = new URL(await page.evaluate(() => new Promise((r) => setTimeout(() => r(location.href), 300))));
  assert.equal(url.searchParams.get('lang'), 'ko', 'the URL keeps the language');
  await page.selectOption('#lang', 'en');
});
