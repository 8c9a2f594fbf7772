// ksim in the browser: loads a scenario into the wasm simulator, runs it to the end in
// slices (the page stays responsive), and shows the cluster at the timeline's moment.
// URL: ?scenario=NAME&seed=N&t=DURATION&play=1&arch=1&lang=ko. Test contract:
// window.ksim (below).
import init, { Ksim, format_duration, parse_duration } from './pkg/sim_web.js';
import { Cluster } from './cluster.js';
import { EventLog, Detail, Editor } from './panels.js';
import { Arch } from './arch.js';
import { Charts } from './charts.js';
import { i18n, t, tr, translate } from './i18n.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const app = {
  sim: null, // the wasm Ksim of the loaded scenario
  name: params.get('scenario') || 'node-crash',
  t: 0, // the moment shown, ms
  playing: false,
  arch: false, // the architecture view is open
  cluster: new Cluster($('nodes'), $('pending'), $('pending-count'), $('pending-reasons'), $('links'), (kind, ns, name) => select(kind, ns, name)),
  selected: null,
  playFrom: null, // with &play=1&t=…: the moment to start from, once computed
  generation: 0, // bumps on each load, so a stale run loop stops
};
const log = new EventLog($('log'), $('log-all'), (t) => seek(t));
const detail = new Detail($('detail'), (kind, ns, name) => select(kind, ns, name));
const editor = new Editor($('editor'), $('yaml'), $('gutter'), $('errors'));
const arch = new Arch($('arch'), app.cluster);
const charts = new Charts($('charts'), (t) => {
  setPlaying(false);
  seek(t);
});

// The lessons (lessons.json, from `ksim lesson list -o json`); the page's language and
// every word it shows are in i18n.js.
const lessons = { list: [], current: null };

function showLesson() {
  const lang = i18n.lang;
  translate();
  const picker = $('lesson');
  picker.replaceChildren(new Option(t('none'), ''));
  for (const l of lessons.list) picker.append(new Option(`${l.order}. ${l.title[lang]}`, l.name));
  const l = lessons.current;
  picker.value = l ? l.name : '';
  $('lesson-panel').hidden = !l;
  if (!l) return;
  $('lesson-panel').dataset.lesson = l.name;
  $('lesson-title').textContent = `${l.order}. ${l.title[lang]}`;
  $('lesson-concept').textContent = l.concept[lang];
  $('lesson-look').textContent = l.look[lang];
  $('lesson-question').textContent = l.question[lang];
  $('lesson-answer').textContent = l.answer[lang];
  $('lesson-try').textContent = l.try.map((t) => t.replace('FILE', `scenarios/${l.scenario}.yaml`)).join('   ·   ');
}

async function openLesson(name) {
  lessons.current = lessons.list.find((l) => l.name === name) || null;
  $('lesson-answer-box').open = false;
  showLesson();
  if (lessons.current) await loadBundled(lessons.current.scenario, NaN, null, false);
}

// The contract the browser tests rely on.
window.ksim = {
  lessons: () => lessons.list.map((l) => ({ name: l.name, scenario: l.scenario, title: l.title[i18n.lang] })),
  lesson: (name) => openLesson(name),
  setLang: (lang) => setLang(lang),
  lang: () => i18n.lang,
  arch: (on = true) => setArch(on),
  archIdle: () => arch.idle(), // no message of the architecture view flying or waiting to
  ready: false,
  error: null,
  interactiveMs: null, // performance.now() at the frame that draws the first state (input works from then)
  fingerprint: () => (app.sim && app.sim.done() ? app.sim.fingerprint() : null),
  time: () => app.t,
  endMs: () => (app.sim ? app.sim.end_ms() : 0),
  seek: (ms) => seek(ms),
  play: (on = true) => setPlaying(on),
  // Where the main thread's time goes (the bench prints it): seek in wasm + JSON,
  // drawing the cluster, the architecture view and the charts, the log and detail panels.
  stats: { seeks: 0, wasmMs: 0, drawMs: 0, archMs: 0, panelsMs: 0 },
};

/** The status line: a word of i18n.js and its values. */
function setStatus(key, ...args) {
  tr($('status'), key, ...args);
}

/** The scenario picker's first entry, in the page's language. */
function scenarioOptions() {
  const first = $('scenario').options[0];
  if (first && first.value === '') first.text = t('your-yaml');
}

function setLang(lang) {
  i18n.lang = lang === 'ko' ? 'ko' : 'en';
  $('lang').value = i18n.lang;
  showLesson();
  scenarioOptions();
  app.cluster.relabel();
  arch.relabel();
  charts.relabel();
  if (app.sim) {
    if (app.selected) detail.show(app.sim, app.selected, false, app.t);
    log.show(app.sim, app.t, false);
    arch.update(app.sim, app.t, app.t, { playing: false, force: true });
  }
  writeUrl();
}

function setArch(on) {
  app.arch = on;
  $('arch-toggle').setAttribute('aria-pressed', String(on));
  arch.setOpen(on);
  if (app.sim) arch.update(app.sim, app.t, null, { playing: app.playing, force: true });
  writeUrl();
}

// Draws the moment `t` (clamped to what has been computed).
function seek(t, { all = false, fromUser = true, jump = false } = {}) {
  const sim = app.sim;
  if (!sim) return;
  const t0 = performance.now();
  const delta = JSON.parse(sim.seek(Math.max(0, t), all));
  const t1 = performance.now();
  // Animate small steps forward (playing, dragging ahead); jumps just redraw.
  const animate = !all && delta.t >= app.t && delta.t - app.t <= 20_000;
  const prev = all || jump ? null : app.t;
  app.t = delta.t;
  app.cluster.apply(delta, { animate });
  $('scrub').value = String(app.t);
  $('clock').textContent = format_duration(app.t);
  const t2 = performance.now();
  arch.update(sim, app.t, prev, { playing: app.playing });
  charts.cursor(app.t);
  const t3 = performance.now();
  log.show(sim, app.t, app.playing);
  if (app.selected) detail.show(sim, app.selected, app.playing, app.t);
  if (fromUser) writeUrl();
  const st = window.ksim.stats;
  st.seeks++;
  st.wasmMs += t1 - t0;
  st.drawMs += t2 - t1;
  st.archMs += t3 - t2;
  st.panelsMs += performance.now() - t3;
}

let urlTimer = 0;
function writeUrl() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    if (!app.sim) return;
    const p = new URLSearchParams();
    if (lessons.current && lessons.current.scenario === app.name) p.set('lesson', lessons.current.name);
    else if (app.name) p.set('scenario', app.name);
    if (i18n.lang === 'ko') p.set('lang', 'ko');
    if (app.arch) p.set('arch', '1');
    p.set('seed', String(app.sim.seed()));
    p.set('t', format_duration(app.t));
    history.replaceState(null, '', `?${p}`);
  }, 200);
}

function select(kind, ns, name) {
  app.selected = kind ? { kind, ns, name } : null;
  app.cluster.select(app.selected);
  if (app.selected) detail.show(app.sim, app.selected, false, app.t);
}

// Runs the simulation to its end in ~12 ms slices, drawing progress.
async function runToEnd(gen) {
  const sim = app.sim;
  let batch = 2000;
  let lastCharts = 0;
  while (!sim.done()) {
    const start = performance.now();
    sim.advance(batch);
    const took = performance.now() - start;
    batch = Math.max(200, Math.min(200000, Math.round((batch * 12) / Math.max(took, 0.5))));
    const horizon = sim.horizon_ms();
    $('computed').style.width = `${(100 * horizon) / sim.end_ms()}%`;
    setStatus('computing', format_duration(horizon), format_duration(sim.end_ms()));
    if (start - lastCharts > 400) {
      lastCharts = start;
      charts.setNodeTotal(app.cluster.nodes.size);
      charts.load(sim);
    }
    await new Promise((r) => setTimeout(r, 0));
    if (gen !== app.generation) return false;
  }
  $('computed').style.width = '100%';
  charts.setNodeTotal(app.cluster.nodes.size);
  charts.load(sim);
  return true;
}

function drawMarkers() {
  const end = app.sim.end_ms() || 1;
  const box = $('markers');
  box.replaceChildren();
  for (const m of JSON.parse(app.sim.markers())) {
    const el = document.createElement('button');
    el.className = 'marker';
    el.style.left = `${(100 * m.t) / end}%`;
    el.title = `${format_duration(m.t)}: ${m.action}`; // the scenario's own words
    el.addEventListener('click', () => seek(m.t));
    box.append(el);
  }
}

// Loads YAML text and runs it; `target` is the moment to show once done (null: the end).
async function start(fileName, text, seed, target, play) {
  const gen = ++app.generation;
  setPlaying(false);
  window.ksim.ready = false;
  window.ksim.error = null;
  if (app.sim) app.sim.free();
  app.sim = null;
  let sim;
  try {
    sim = Ksim.load(fileName, text, seed);
  } catch (e) {
    const err = JSON.parse(String(e));
    window.ksim.error = err;
    editor.open(text);
    editor.showErrors(err.problems);
    setStatus('yaml-errors');
    return;
  }
  editor.showErrors([]);
  app.sim = sim;
  $('seed').value = String(sim.seed());
  $('scrub').max = String(sim.end_ms());
  $('fingerprint').textContent = '';
  app.cluster.reset();
  arch.reset();
  charts.reset();
  detail.reset();
  sim.advance(1); // bootstrap: nodes registered, the first writes
  seek(0, { all: true, fromUser: false });
  // Interactive: the first state is drawn on the next frame, and the run goes on in
  // short slices between input events.
  requestAnimationFrame(() => (window.ksim.interactiveMs ??= performance.now()));
  if (play) {
    app.playFrom = target || 0; // playing starts there once it is computed
    setPlaying(true);
  }
  if (!(await runToEnd(gen))) return;
  drawMarkers();
  $('fingerprint').textContent = `sha256:${sim.fingerprint().slice(0, 16)}…`;
  $('fingerprint').dataset.full = sim.fingerprint();
  setStatus('events-count', sim.events_processed().toLocaleString(i18n.lang === 'ko' ? 'ko' : 'en'));
  if (!app.playing) seek(target === null ? sim.end_ms() : target, { fromUser: false, jump: true });
  window.ksim.ready = true;
}

// Playback: simulated time advances `speed`× wall time, one draw per animation frame.
let lastFrame = 0;
function frame(now) {
  if (!app.playing || !app.sim) return;
  const dt = Math.min(100, now - lastFrame);
  lastFrame = now;
  if (app.playFrom !== null) {
    if (app.sim.horizon_ms() >= Math.min(app.playFrom, app.sim.end_ms())) {
      seek(app.playFrom, { fromUser: false, jump: true });
      app.playFrom = null;
    }
    requestAnimationFrame(frame);
    return;
  }
  const speed = Number($('speed').value);
  const next = Math.min(app.t + dt * speed, app.sim.horizon_ms());
  if (next >= app.sim.end_ms()) {
    seek(app.sim.end_ms());
    setPlaying(false);
    return;
  }
  if (next > app.t) seek(next, { fromUser: false });
  requestAnimationFrame(frame);
}

function setPlaying(on) {
  app.playing = on && !!app.sim;
  if (!app.playing) app.playFrom = null;
  $('play').textContent = app.playing ? '⏸' : '▶';
  if (app.playing) {
    if (app.t >= app.sim.end_ms()) seek(0);
    lastFrame = performance.now();
    requestAnimationFrame(frame);
  } else if (app.sim) {
    writeUrl();
    log.show(app.sim, app.t, false);
  }
}

function stepNext() {
  if (!app.sim) return;
  const t = app.sim.next_event_ms(app.t);
  if (t >= 0 && t <= app.sim.horizon_ms()) seek(t);
}

async function loadBundled(name, seed, target, play) {
  app.name = name;
  $('scenario').value = name;
  const res = await fetch(`scenarios/${encodeURIComponent(name)}.yaml`);
  if (!res.ok) {
    setStatus('no-scenario', name);
    window.ksim.error = { problems: [{ file: name, line: 1, col: 1, message: `no bundled scenario ${name}` }] };
    return;
  }
  const text = await res.text();
  editor.setText(text);
  await start(`${name}.yaml`, text, seed, target, play);
}

function wire() {
  $('scrub').addEventListener('input', () => {
    setPlaying(false);
    seek(Number($('scrub').value));
  });
  $('play').addEventListener('click', () => setPlaying(!app.playing));
  $('next').addEventListener('click', stepNext);
  $('scenario').addEventListener('change', () => {
    lessons.current = null;
    $('lesson').value = '';
    showLesson();
    loadBundled($('scenario').value, NaN, null, false);
  });
  $('lesson').addEventListener('change', () => openLesson($('lesson').value));
  $('lang').addEventListener('change', () => setLang($('lang').value));
  $('arch-toggle').addEventListener('click', () => setArch(!app.arch));
  $('apply-seed').addEventListener('click', () => {
    const seed = $('seed').value === '' ? NaN : Number($('seed').value);
    if (app.name) loadBundled(app.name, seed, null, false);
    else start('my-scenario.yaml', editor.text(), seed, null, false);
  });
  $('edit').addEventListener('click', () => editor.open());
  $('close-editor').addEventListener('click', () => editor.close());
  $('run-yaml').addEventListener('click', () => {
    app.name = '';
    $('scenario').value = '';
    const seed = $('seed').value === '' ? NaN : Number($('seed').value);
    start('my-scenario.yaml', editor.text(), seed, null, false);
  });
  $('upload').addEventListener('change', async () => {
    const f = $('upload').files[0];
    if (f) editor.setText(await f.text());
  });
  document.addEventListener('keydown', (e) => {
    if (e.target instanceof HTMLTextAreaElement || e.target instanceof HTMLInputElement) return;
    if (e.key === ' ') {
      e.preventDefault();
      setPlaying(!app.playing);
    } else if (e.key === 'ArrowRight') stepNext();
    else if (e.key === 'Escape') select(null);
  });
}

async function main() {
  await init();
  wire();
  const lres = await fetch('lessons.json');
  lessons.list = lres.ok ? await lres.json() : [];
  $('lang').value = i18n.lang;
  showLesson();
  const list = await (await fetch('scenarios/index.json')).json();
  const picker = $('scenario');
  picker.append(new Option(t('your-yaml'), ''));
  for (const s of list) picker.append(new Option(s.name, s.name));
  const about = (n) => list.find((s) => s.name === n)?.about || '';
  picker.addEventListener('change', () => ($('about').textContent = about(picker.value)));
  $('about').textContent = about(app.name);
  const seed = params.has('seed') ? Number(params.get('seed')) : NaN;
  const at = params.has('t') ? parse_duration(params.get('t')) : -1;
  const play = params.get('play') === '1';
  if (params.get('arch') === '1') setArch(true);
  if (params.has('lesson')) await openLesson(params.get('lesson'));
  else await loadBundled(app.name, seed, at >= 0 ? at : play ? 0 : null, play);
}

main().catch((e) => {
  console.error(e);
  setStatus('error', String(e));
  window.ksim.error = { problems: [{ file: '', line: 1, col: 1, message: String(e) }] };
});
