// The side panels: the event log (synchronised with the timeline; click a line to jump
// there), the detail of a selected pod or node (YAML, events, IP history, and for a pod
// its scheduling explained as `ksim explain` explains it) and the YAML editor (errors
// shown at their line).
import { format_duration } from './pkg/sim_web.js';
import { t, tr } from './i18n.js';

function el(tag, attrs = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  e.append(...children);
  return e;
}

function describeChange(change) {
  return Object.entries(change)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

export class EventLog {
  constructor(listEl, allBox, onJump) {
    Object.assign(this, { listEl, allBox, onJump });
    this.last = 0;
    allBox.addEventListener('change', () => this.onJump(this.t));
  }

  // Shows the lines up to `t` (and a few after it, dimmed); throttled while playing.
  show(sim, tm, playing) {
    this.t = tm;
    const now = performance.now();
    if (playing && now - this.last < 250) return;
    this.last = now;
    const w = JSON.parse(sim.log_window(tm, 60, 8, this.allBox.checked));
    const lines = w.lines;
    const first = w.at - lines.filter((l) => l.t <= tm).length;
    this.listEl.replaceChildren(
      ...lines.map((l, k) => {
        const who = l.kind ? `${l.kind} ${l.ns ? `${l.ns}/` : ''}${l.name}` : '';
        const li = el(
          'li',
          { class: l.t <= tm ? 'past' : 'future', title: `${describeChange(l.change)}\n${t('log-jump', format_duration(l.t))}`, 'data-t': String(l.t) },
          el('time', {}, format_duration(l.t)),
          el('span', { class: 'by' }, l.by),
          el('span', { class: `verb ${l.verb}` }, l.verb),
          el('span', { class: 'who' }, who),
          el('span', { class: 'change' }, describeChange(l.change)),
        );
        if (first + k === w.at - 1) li.classList.add('current');
        li.addEventListener('click', () => this.onJump(l.t));
        return li;
      }),
    );
    this.listEl.querySelector('.current')?.scrollIntoView({ block: 'nearest' });
  }
}

export class Detail {
  constructor(box, onSelect) {
    Object.assign(this, { box, onSelect });
    this.last = 0;
    this.explain = null; // {key, ns, name, el, t (explained moment), running, sim}
  }

  /** A new run: what was explained belongs to the old one. */
  reset() {
    this.explain = null;
  }

  show(sim, sel, playing, tm) {
    this.playing = playing;
    const now = performance.now();
    if (playing && now - this.last < 500) return;
    this.last = now;
    this.sel = sel;
    const d = JSON.parse(sim.detail(sel.kind, sel.ns, sel.name));
    if (!d) return;
    const who = `${sel.ns ? `${sel.ns}/` : ''}${sel.name}`;
    const title = tr(el('span'), sel.kind === 'node' ? 'detail-node' : 'detail-pod', who);
    const link = (key) => {
      const [ns, name] = key.split('/');
      const a = el('a', { href: '#', textContent: key });
      a.addEventListener('click', (e) => {
        e.preventDefault();
        this.onSelect('pod', ns, name);
      });
      return a;
    };
    const parts = [el('h2', {}, title, d.exists ? '' : tr(el('span'), 'gone'))];
    if (d.replaces) parts.push(el('p', { class: 'link-note' }, tr(el('span'), 'replaces'), link(d.replaces)));
    if (d.replacedBy) parts.push(el('p', { class: 'link-note' }, tr(el('span'), 'replaced-by'), link(d.replacedBy)));
    if (sel.kind === 'pod' && d.exists) parts.push(this.explainSection(sim, sel, d, playing, tm));
    const ipRows = d.ips.map((r) => el('li', {}, el('time', {}, format_duration(r.t)), ' ', r.pod ? link(r.pod) : '', ' ', r.ip || tr(el('span'), 'released')));
    parts.push(tr(el('h3'), sel.kind === 'node' ? 'ips-node' : 'ips-pod'), el('ul', { class: 'ips' }, ...(ipRows.length ? ipRows : [tr(el('li'), 'none-yet')])));
    const evRows = d.events.map((e) =>
      el('li', { class: e.type }, el('time', {}, format_duration(e.t)), ` ${e.type} ${e.reason}${e.count > 1 ? ` (×${e.count})` : ''}: ${e.message}`),
    );
    parts.push(tr(el('h3'), 'events'), el('ul', { class: 'events' }, ...(evRows.length ? evRows : [tr(el('li'), 'no-events')])));
    parts.push(tr(el('h3'), 'yaml'), el('pre', { class: 'yaml' }, d.yaml));
    const close = el('button', { type: 'button', class: 'close', textContent: '×', title: t('close-esc') });
    close.dataset.i18nTitle = 'close-esc';
    close.addEventListener('click', () => this.onSelect(null));
    this.box.replaceChildren(close, ...parts);
  }

  // The pod's scheduling, as `ksim explain pod/NAME FILE --at T` gives it: a button for
  // the shown moment; once opened, it follows the timeline when it stops.
  explainSection(sim, sel, d, playing, tm) {
    const key = `${sel.ns}/${sel.name}`;
    let x = this.explain;
    if (!x || x.key !== key || x.sim !== sim) {
      x = this.explain = { key, ns: sel.ns, name: sel.name, el: el('section', { class: 'explain' }), t: null, running: false, sim, open: false };
    }
    const pending = d.phase === 'Pending' && !d.node;
    if (!x.open) {
      const b = tr(el('button', { type: 'button', class: 'explain-open' }), pending ? 'explain-button-pending' : 'explain-button', format_duration(tm));
      b.addEventListener('click', () => {
        x.open = true;
        this.runExplain(x, tm);
      });
      x.el.replaceChildren(b);
    } else if (x.t !== tm && !x.running) {
      if (playing) {
        const b = tr(el('button', { type: 'button', class: 'explain-stale' }), 'explain-stale', format_duration(x.t ?? 0), format_duration(tm));
        b.addEventListener('click', () => this.runExplain(x, this.tm));
        x.el.querySelector('.explain-stale')?.remove();
        x.el.prepend(b);
      } else this.runExplain(x, tm);
    }
    this.tm = tm;
    return x.el;
  }

  async runExplain(x, tm) {
    x.running = true;
    x.want = tm;
    const sim = x.sim;
    const note = tr(el('p', { class: 'hint explain-computing' }), 'explain-computing', format_duration(tm));
    x.el.querySelector('.explain-computing')?.remove();
    x.el.prepend(note);
    try {
      sim.explain_start(x.ns, x.name, tm);
      while (!sim.explain_advance(20_000)) {
        await new Promise((r) => setTimeout(r, 0));
        if (this.explain !== x) return;
      }
      x.t = tm;
      this.renderExplain(x, JSON.parse(sim.explain_result()));
    } catch (e) {
      if (this.explain === x) x.el.replaceChildren(el('p', { class: 'error' }, String(e)));
    } finally {
      x.running = false;
    }
    // The timeline moved on while it ran (and stopped): explain the new moment.
    if (this.explain === x && this.tm !== x.t && !this.playing) this.runExplain(x, this.tm);
  }

  renderExplain(x, ex) {
    const parts = [tr(el('h3'), 'explain-title')];
    x.el.dataset.explainAt = String(x.t);
    if (ex.error) {
      parts.push(el('p', { class: 'explain-error' }, ex.error));
      x.el.replaceChildren(...parts);
      return;
    }
    const when = format_duration(ex.timeMs);
    const verdict = ex.node
      ? tr(el('p', { class: 'verdict' }), 'explain-verdict-scheduled', when, ex.node)
      : ex.nominatedNode
        ? tr(el('p', { class: 'verdict' }), 'explain-verdict-nominated', when, ex.nominatedNode, ex.victims.join(', '))
        : tr(el('p', { class: 'verdict' }), 'explain-verdict-unschedulable', when);
    parts.push(verdict);
    if (ex.message) parts.push(tr(el('p', { class: 'small' }), 'explain-message', ex.message));
    const evaluated = tr(el('p', { class: 'small' }), 'explain-evaluated', ex.evaluatedNodes, ex.totalNodes);
    if (ex.evaluatedNodes < ex.totalNodes) evaluated.append(tr(el('span'), 'explain-sampled'));
    parts.push(evaluated);
    // The heat strip: one cell per node, its total score (grey: filtered out).
    const feasible = ex.nodes.filter((n) => n.feasible);
    const lo = Math.min(...feasible.map((n) => n.total));
    const hi = Math.max(...feasible.map((n) => n.total));
    const strip = el('div', { class: 'heat' });
    for (const n of ex.nodes) {
      const cell = el('i', { title: `${n.name}: ${n.feasible ? n.total : n.filter.map((f) => `${f.plugin}: ${f.reason}`).join(', ')}` });
      // Green for the best score, towards red for the worst feasible one.
      if (n.feasible) cell.style.background = `hsl(${hi === lo ? 120 : Math.round(10 + (110 * (n.total - lo)) / (hi - lo))} 70% 45%)`;
      if (n.name === ex.node) cell.className = 'chosen';
      strip.append(cell);
    }
    parts.push(tr(el('p', { class: 'small' }), 'explain-heat'), strip);
    // One row per node: the filter verdict, the total.
    const head = el('tr', {}, tr(el('th'), 'explain-node'), tr(el('th'), 'explain-result'), tr(el('th'), 'explain-total'));
    const rows = ex.nodes.map((n) => {
      const result = n.feasible
        ? tr(el('td'), n.name === ex.node ? 'explain-chosen' : 'explain-feasible')
        : el('td', {}, `${n.filter[0]?.plugin ?? ''}: ${n.filter.map((f) => f.reason).join(', ')}`);
      return el('tr', { 'data-explain-node': n.name, 'data-feasible': String(n.feasible), class: n.name === ex.node ? 'chosen' : n.feasible ? '' : 'filtered' },
        el('td', {}, n.name), result, el('td', {}, n.feasible ? String(n.total) : '-'));
    });
    parts.push(el('div', { class: 'explain-table' }, el('table', { class: 'explain-nodes' }, el('thead', {}, head), el('tbody', {}, ...rows))));
    // Scores: plugin by plugin, for the nodes that passed the filters.
    const scored = feasible.filter((n) => n.scores.length);
    if (scored.length) {
      const plugins = scored[0].scores.map((p) => p.plugin);
      const sh = el('tr', {}, tr(el('th'), 'explain-node'), ...plugins.map((p) => el('th', {}, p)), tr(el('th'), 'explain-total'));
      const srows = scored.map((n) =>
        el('tr', { class: n.name === ex.node ? 'chosen' : '' }, el('td', {}, n.name), ...n.scores.map((p) => el('td', { title: `${p.raw} → ${p.normalized} ×${p.weight} = ${p.weighted}` }, String(p.weighted))), el('td', {}, String(n.total))),
      );
      parts.push(tr(el('p', { class: 'small' }), 'explain-scores'), el('div', { class: 'explain-table' }, el('table', { class: 'explain-scores' }, el('thead', {}, sh), el('tbody', {}, ...srows))));
    } else if (ex.node) parts.push(tr(el('p', { class: 'small' }), 'explain-one'));
    x.el.replaceChildren(...parts);
  }
}

export class Editor {
  constructor(box, area, gutter, errors) {
    Object.assign(this, { box, area, gutter, errors });
    area.addEventListener('input', () => this.numbers());
    area.addEventListener('scroll', () => (gutter.scrollTop = area.scrollTop));
    this.bad = new Set();
  }

  text() {
    return this.area.value;
  }

  setText(t) {
    this.area.value = t;
    this.bad = new Set();
    this.numbers();
  }

  open(text) {
    if (text !== undefined) this.setText(text);
    this.box.hidden = false;
  }

  close() {
    this.box.hidden = true;
  }

  numbers() {
    const n = this.area.value.split('\n').length;
    const rows = [];
    for (let i = 1; i <= n; i++) rows.push(this.bad.has(i) ? `<b data-line="${i}">${i}</b>` : `${i}`);
    this.gutter.innerHTML = rows.join('\n');
  }

  // Lists the problems and marks their lines; the first one is scrolled into view.
  showErrors(problems) {
    this.bad = new Set(problems.map((p) => p.line));
    this.numbers();
    this.errors.replaceChildren(
      ...problems.map((p) => {
        const li = el('li', { class: 'error', 'data-line': String(p.line), 'data-col': String(p.col) }, `${p.file}:${p.line}:${p.col}: ${p.message}`);
        li.addEventListener('click', () => this.reveal(p.line, p.col));
        return li;
      }),
    );
    if (problems.length) this.reveal(problems[0].line, problems[0].col);
  }

  reveal(line, col) {
    const lines = this.area.value.split('\n');
    let pos = 0;
    for (let i = 0; i < line - 1 && i < lines.length; i++) pos += lines[i].length + 1;
    pos += Math.max(0, col - 1);
    this.area.focus();
    this.area.setSelectionRange(pos, pos + 1);
    const lh = parseFloat(getComputedStyle(this.area).lineHeight) || 16;
    this.area.scrollTop = Math.max(0, (line - 4) * lh);
  }
}
