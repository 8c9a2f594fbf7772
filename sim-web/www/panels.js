// The side panels: the event log (synchronised with the timeline; click a line to jump
// there), the detail of a selected pod or node (YAML, events, IP history) and the YAML
// editor (errors shown at their line).
import { format_duration } from './pkg/sim_web.js';

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
  show(sim, t, playing) {
    this.t = t;
    const now = performance.now();
    if (playing && now - this.last < 250) return;
    this.last = now;
    const w = JSON.parse(sim.log_window(t, 60, 8, this.allBox.checked));
    const lines = w.lines;
    const first = w.at - lines.filter((l) => l.t <= t).length;
    this.listEl.replaceChildren(
      ...lines.map((l, k) => {
        const who = l.kind ? `${l.kind} ${l.ns ? `${l.ns}/` : ''}${l.name}` : '';
        const li = el(
          'li',
          { class: l.t <= t ? 'past' : 'future', title: `${describeChange(l.change)}\n(click to jump to ${format_duration(l.t)})`, 'data-t': String(l.t) },
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
  }

  show(sim, sel, playing) {
    const now = performance.now();
    if (playing && now - this.last < 500) return;
    this.last = now;
    const d = JSON.parse(sim.detail(sel.kind, sel.ns, sel.name));
    if (!d) return;
    const title = `${sel.kind === 'node' ? 'Node' : 'Pod'} ${sel.ns ? `${sel.ns}/` : ''}${sel.name}`;
    const link = (key) => {
      const [ns, name] = key.split('/');
      const a = el('a', { href: '#', textContent: key });
      a.addEventListener('click', (e) => {
        e.preventDefault();
        this.onSelect('pod', ns, name);
      });
      return a;
    };
    const parts = [el('h2', {}, title, d.exists ? '' : ' (gone at this moment)')];
    if (d.replaces) parts.push(el('p', { class: 'link-note' }, '↺ replaces ', link(d.replaces)));
    if (d.replacedBy) parts.push(el('p', { class: 'link-note' }, '↺ replaced by ', link(d.replacedBy)));
    const ipRows = d.ips.map((r) => el('li', {}, el('time', {}, format_duration(r.t)), ' ', r.pod ? link(r.pod) : '', ' ', r.ip || '(released)'));
    parts.push(el('h3', {}, sel.kind === 'node' ? 'Pod IPs handed out here' : 'IP history'), el('ul', { class: 'ips' }, ...(ipRows.length ? ipRows : [el('li', {}, 'none yet')])));
    const evRows = d.events.map((e) =>
      el('li', { class: e.type }, el('time', {}, format_duration(e.t)), ` ${e.type} ${e.reason}${e.count > 1 ? ` (×${e.count})` : ''}: ${e.message}`),
    );
    parts.push(el('h3', {}, 'Events'), el('ul', { class: 'events' }, ...(evRows.length ? evRows : [el('li', {}, 'none')])));
    parts.push(el('h3', {}, 'YAML'), el('pre', { class: 'yaml' }, d.yaml));
    const close = el('button', { type: 'button', class: 'close', textContent: '×', title: 'close (Esc)' });
    close.addEventListener('click', () => this.onSelect(null));
    this.box.replaceChildren(close, ...parts);
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
