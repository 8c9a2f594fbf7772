// The charts under the timeline: pods by phase, pods waiting for a node, CPU requested
// per node, and (with spec.traffic) each client's success rate — the series `ksim plot
// --what …` draws, sampled by the same function while the run is computed (wasm:
// Ksim.charts()). Inline SVG, one polyline per series; a cursor follows the timeline and
// the readout under each chart gives the values of the sample at or before it.
// Test contract: each chart carries data-chart (pods-by-phase, pending, allocation,
// traffic); its cursor data-chart-cursor with data-t (the page's moment, ms); its readout
// data-at (the sample's moment) and one [data-series][data-value] per series.
import { format_duration } from './pkg/sim_web.js';
import { t, tr } from './i18n.js';

const W = 400;
const H = 60;
const PERCENT = new Set(['allocation', 'traffic']);
const TITLES = { 'pods-by-phase': 'chart-pods-by-phase', pending: 'chart-pending', allocation: 'chart-allocation', traffic: 'chart-traffic' };
const PHASE_COLOURS = { Pending: '#d97706', Running: '#16a34a', Succeeded: '#2563eb', Failed: '#dc2626', 'pending pods': '#d97706' };
const SVG = 'http://www.w3.org/2000/svg';

const colour = (name, i) => PHASE_COLOURS[name] || `hsl(${Math.round((i * 137.508 + 200) % 360)} 65% 45%)`;
const fmt = (v) => (Number.isInteger(v) ? String(v) : v.toFixed(1));

export class Charts {
  constructor(root, onSeek) {
    Object.assign(this, { root, onSeek });
    this.reset();
  }

  reset() {
    this.root.replaceChildren();
    this.charts = new Map(); // what → {fig, svg, cursor, readout, series, max, caption}
    this.taken = -1;
    this.data = null;
    this.t = 0;
    this.at = -1;
  }

  /** Reads the samples taken so far (only when there are new ones) and redraws. */
  load(sim) {
    const taken = sim.chart_samples();
    if (taken === this.taken) return;
    this.taken = taken;
    this.data = JSON.parse(sim.charts());
    for (const what of Object.keys(TITLES)) if (this.data.charts[what]) this.draw(what, this.data.charts[what]);
    this.at = -1;
    this.cursor(this.t);
  }

  chart(what) {
    let c = this.charts.get(what);
    if (c) return c;
    const fig = document.createElement('figure');
    fig.className = 'chart';
    fig.dataset.chart = what;
    const caption = document.createElement('figcaption');
    const title = document.createElement('span');
    tr(title, TITLES[what]);
    const top = document.createElement('span');
    top.className = 'top';
    caption.append(title, top);
    const svg = document.createElementNS(SVG, 'svg');
    svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
    svg.setAttribute('preserveAspectRatio', 'none');
    const lines = document.createElementNS(SVG, 'g');
    const cursor = document.createElementNS(SVG, 'line');
    cursor.setAttribute('y1', '0');
    cursor.setAttribute('y2', String(H));
    cursor.setAttribute('class', 'cursor');
    cursor.setAttribute('data-chart-cursor', '');
    svg.append(lines, cursor);
    // Clicking a chart moves the timeline there.
    svg.addEventListener('click', (e) => {
      const r = svg.getBoundingClientRect();
      if (this.data) this.onSeek(Math.round(((e.clientX - r.left) / r.width) * this.data.end));
    });
    const readout = document.createElement('div');
    readout.className = 'readout';
    fig.append(caption, svg, readout);
    this.root.append(fig);
    c = { fig, svg, lines, cursor, readout, top, title };
    this.charts.set(what, c);
    return c;
  }

  draw(what, series) {
    const c = this.chart(what);
    const end = this.data.end;
    const names = Object.keys(series);
    if (what === 'pods-by-phase') names.sort((a, b) => ['Pending', 'Running', 'Succeeded', 'Failed'].indexOf(a) - ['Pending', 'Running', 'Succeeded', 'Failed'].indexOf(b));
    let max = PERCENT.has(what) ? 100 : 1;
    for (const n of names) for (const [, v] of series[n]) max = Math.max(max, v);
    if (!PERCENT.has(what)) max = Math.ceil(max * 1.1);
    c.max = max;
    c.series = names.map((n, i) => ({ name: n, points: series[n], colour: colour(n, i) }));
    c.lines.replaceChildren(
      ...c.series.map((s) => {
        const pl = document.createElementNS(SVG, 'polyline');
        pl.setAttribute('points', s.points.map(([x, v]) => `${((x / end) * W).toFixed(1)},${(H - (v / max) * (H - 2) - 1).toFixed(1)}`).join(' '));
        pl.setAttribute('stroke', s.colour);
        pl.setAttribute('data-series', s.name);
        return pl;
      }),
    );
    c.top.textContent = PERCENT.has(what) ? ` ≤ ${fmt(max)}%` : ` ≤ ${fmt(max)}`;
    if (what === 'allocation') {
      const total = this.nodeTotal ?? names.length;
      if (total > names.length) tr(c.title, 'chart-allocation-some', names.length, total);
      else tr(c.title, 'chart-allocation');
    }
    c.readout.replaceChildren(
      ...c.series.map((s) => {
        const e = document.createElement('span');
        e.dataset.series = s.name;
        const dot = document.createElement('i');
        dot.style.background = s.colour;
        const label = document.createElement('span');
        if (s.name === 'pending pods') tr(label, 'chart-pending-series');
        else label.textContent = s.name;
        const val = document.createElement('b');
        e.append(dot, label, ' ', val);
        s.el = e;
        s.val = val;
        return e;
      }),
    );
  }

  /** How many nodes there are (the allocation chart draws the first 20). */
  setNodeTotal(n) {
    this.nodeTotal = n;
  }

  /** Moves every cursor to `tm`; the readouts show the sample at or before it. */
  cursor(tm) {
    this.t = tm;
    if (!this.data) return;
    const end = this.data.end;
    const x = ((Math.min(tm, end) / end) * W).toFixed(2);
    for (const c of this.charts.values()) {
      c.cursor.setAttribute('x1', x);
      c.cursor.setAttribute('x2', x);
      c.cursor.setAttribute('data-t', String(tm));
    }
    // The sample at or before tm: moment(i) = floor(end·i/samples).
    const n = this.data.samples;
    let i = Math.min(n, Math.floor((tm * n) / end) + 1);
    while (i > 0 && Math.floor((end * i) / n) > tm) i--;
    const at = Math.floor((end * i) / n);
    if (at === this.at || i >= this.data.taken) return;
    this.at = at;
    for (const c of this.charts.values()) {
      c.readout.dataset.at = String(at);
      for (const s of c.series || []) {
        const p = s.points.find((q) => q[0] === at);
        const v = p ? p[1] : null;
        s.el.dataset.value = v === null ? '' : String(v);
        s.val.textContent = v === null ? '–' : `${fmt(v)}${PERCENT.has(c.fig.dataset.chart) ? '%' : ''}`;
      }
      c.readout.title = t('chart-at', format_duration(at));
    }
  }

  relabel() {
    this.at = -1;
    this.cursor(this.t);
  }
}
