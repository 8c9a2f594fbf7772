// The cluster view: one card per node (status, CPU and memory requested vs
// allocatable), one chip per pod (coloured by owner; phase, readiness, IP), and the
// scheduling queue for pods not yet bound. Applies the deltas the wasm `seek` returns
// and animates what changed: bound (flies from the queue to its node), started, ready,
// terminating, and replacements (linked to the pod they replace).
import { t } from './i18n.js';

const FLIP_LIMIT = 60; // chips moved in one frame that get a flight; more just pop in
const ANIMATE_LIMIT = 400; // pods changed in one frame beyond which nothing is animated
// Effects started per frame: each running transform animation is a compositor layer,
// and thousands of them cost more than the frame.
const EFFECTS_PER_FRAME = 40;
// Short effects, played with the Web Animations API (no reflow to restart them).
const EFFECTS = {
  bind: [{ transform: 'translateY(-14px) scale(.4)', opacity: 0.2 }, { transform: 'none', opacity: 1 }],
  start: [{ transform: 'none' }, { transform: 'scale(1.6)' }, { transform: 'none' }],
  ready: [{ boxShadow: '0 0 0 4px #22c55e' }, { boxShadow: '0 0 0 0 transparent' }],
  term: [{ transform: 'none' }, { transform: 'rotate(20deg) scale(1.3)' }, { transform: 'none' }],
};

function fmtBytes(b) {
  if (b >= 2 ** 30) return `${(b / 2 ** 30).toFixed(b >= 10 * 2 ** 30 ? 0 : 1)}Gi`;
  return `${Math.round(b / 2 ** 20)}Mi`;
}

function shortName(p) {
  const parts = p.name.split('-');
  return parts.length > 2 ? parts.slice(-1)[0] : p.name;
}

export class Cluster {
  constructor(nodesEl, pendingEl, countEl, reasonsEl, linksEl, onSelect) {
    Object.assign(this, { nodesEl, pendingEl, countEl, reasonsEl, linksEl, onSelect });
    this.reset();
    // One click and one hover handler for every card and chip; tooltips are written
    // when hovered rather than on every change.
    for (const root of [nodesEl, pendingEl]) {
      root.addEventListener('click', (e) => this.clicked(e.target));
      root.addEventListener('mouseover', (e) => this.hovered(e.target));
    }
  }

  clicked(target) {
    const pod = target.closest('.pod');
    const v = pod && this.pods.get(Number(pod.dataset.id));
    if (v) return this.onSelect('pod', v.p.ns, v.p.name);
    const node = target.closest('.node');
    if (node) this.onSelect('node', '', node.dataset.node);
  }

  hovered(target) {
    const pod = target.closest('.pod');
    const v = pod && this.pods.get(Number(pod.dataset.id));
    if (v) {
      const p = v.p;
      pod.title = t(
        'pod-tip',
        `${p.ns}/${p.name}`,
        p.status,
        p.ready ? t('pod-tip-ready') : '',
        p.ip ? t('pod-tip-ip', p.ip) : '',
        p.node || t('no-node'),
        p.owner ? t('pod-tip-owner', p.owner) : '',
        p.replaces ? t('pod-tip-replaces', p.replaces) : '',
        p.reason ? `\n${p.reason}` : '',
      );
      return;
    }
    const card = target.closest('.node');
    const n = card && this.nodes.get(card.dataset.node)?.n;
    if (n && !target.closest('.meter')) {
      const labels = Object.entries(n.labels).map(([k, val]) => `  ${k}=${val}`).join('\n');
      card.title = t('node-tip', n.name, n.pool, n.status, labels, n.taints.join(', ') || t('no-taints'));
    }
  }

  reset() {
    this.pods = new Map(); // id → {p, el}
    this.nodes = new Map(); // name → {n, el, podsEl}
    this.byNode = new Map(); // node name → Set of pod ids bound to it
    this.nodesEl.replaceChildren();
    this.pendingEl.replaceChildren();
    this.selected = null;
    this.roomy = false;
    this.hues = new Map();
  }

  apply(delta, { animate }) {
    if (delta.nodes.length && this.nodes.size === 0) this.roomy = delta.nodes.length <= 24;
    document.body.classList.toggle('roomy', this.roomy);
    // Big deltas (thousands of pods created at once) just redraw: animating them all
    // would cost more than a frame.
    animate = animate && delta.pods.length + delta.removed.length <= ANIMATE_LIMIT;
    for (const n of delta.nodes) this.node(n);
    // Read every moving chip's place before any write, so the layout is computed once.
    const moves = [];
    if (animate) {
      for (const p of delta.pods) {
        const v = this.pods.get(p.id);
        if (v && v.p.node !== p.node && v.el.isConnected && moves.length < FLIP_LIMIT) moves.push({ el: v.el, from: v.el.getBoundingClientRect() });
      }
    }
    this.budget = EFFECTS_PER_FRAME - moves.length;
    const touched = new Set();
    const flying = new Set(moves.map((m) => m.el));
    for (const p of delta.pods) this.pod(p, animate, touched, flying);
    for (const id of delta.removed) this.remove(id, animate, touched);
    this.fly(moves);
    if (animate) this.announceReplacements(delta.pods);
    for (const name of touched) this.meters(name);
    this.countEl.textContent = `(${this.pendingEl.childElementCount})`;
    this.reasons();
    if (this.selected) this.drawLinks();
  }

  // Why the queued pods wait: the scheduler's FailedScheduling message, with a count.
  reasons() {
    const counts = new Map();
    for (const el of this.pendingEl.children) {
      const p = this.pods.get(Number(el.dataset.id))?.p;
      if (p && p.reason) counts.set(p.reason, (counts.get(p.reason) || 0) + 1);
    }
    const text = [...counts].map(([r, n]) => `${n} × ${r}`).join('\n');
    if (this.reasonsEl.textContent !== text) this.reasonsEl.textContent = text;
  }

  node(n) {
    let v = this.nodes.get(n.name);
    if (!v) {
      const el = document.createElement('div');
      el.className = 'node';
      el.dataset.node = n.name;
      el.innerHTML = `<div class="node-head"><span class="node-name"></span><span class="node-status"></span></div>
        <div class="meter cpu"><i></i></div><div class="meter mem"><i></i></div><div class="pods"></div>`;
      el.querySelector('.node-name').textContent = n.name;
      const [cpu, mem] = el.querySelectorAll('.meter');
      v = { el, podsEl: el.querySelector('.pods'), statusEl: el.querySelector('.node-status'), cpu, mem, n: null };
      this.nodes.set(n.name, v);
      this.nodesEl.append(el);
    }
    const old = v.n;
    v.n = n;
    if (old && old.status === n.status && old.taints.length === n.taints.length && old.cpu === n.cpu && old.mem === n.mem) return;
    v.el.dataset.status = n.ready;
    v.el.classList.toggle('tainted', n.taints.length > 0);
    v.statusEl.textContent = n.status;
    this.meters(n.name);
  }

  // Owners get hues a golden angle apart, in order of appearance.
  hue(owner) {
    if (!this.hues.has(owner)) this.hues.set(owner, Math.round((this.hues.size * 137.508 + 200) % 360));
    return this.hues.get(owner);
  }

  pod(p, animate, touched, flying) {
    let v = this.pods.get(p.id);
    const key = `${p.ns}/${p.name}`;
    if (!v) {
      const el = document.createElement('div');
      el.className = 'pod';
      el.dataset.pod = key;
      el.style.setProperty('--h', this.hue(p.owner || key));
      el.dataset.id = String(p.id);
      v = { el, p: null };
      this.pods.set(p.id, v);
      if (animate && (p.replaces || this.budget-- > 0)) {
        el.classList.add(p.replaces ? 'anim-replace' : 'anim-new');
        el.addEventListener('animationend', () => el.classList.remove('anim-new', 'anim-replace'), { once: true });
      }
    }
    const old = v.p;
    v.p = p;
    const el = v.el;
    if (!old || old.node !== p.node) el.dataset.node = p.node;
    if (!old || old.phase !== p.phase) el.dataset.phase = p.phase;
    if (!old || old.status !== p.status) el.dataset.status = p.status;
    el.classList.toggle('ready', p.ready);
    el.classList.toggle('terminating', p.terminating);
    el.classList.toggle('replacement', !!p.replaces);
    if (this.roomy) el.textContent = `${shortName(p)}${p.ip ? ` ${p.ip}` : ''}`;
    const parent = p.node ? this.nodes.get(p.node)?.podsEl : this.pendingEl;
    if (parent && el.parentElement !== parent) {
      parent.append(el);
      if (animate && old && p.node && !flying.has(el)) this.flash(el, 'bind');
    }
    if (animate && old) {
      if (old.status !== 'Running' && p.status === 'Running') this.flash(el, 'start');
      if (!old.ready && p.ready) this.flash(el, 'ready');
      if (!old.terminating && p.terminating) this.flash(el, 'term');
    }
    if (old && old.node !== p.node) this.byNode.get(old.node)?.delete(p.id);
    if (p.node) {
      if (!this.byNode.has(p.node)) this.byNode.set(p.node, new Set());
      this.byNode.get(p.node).add(p.id);
    }
    if (old && old.node) touched.add(old.node);
    if (p.node) touched.add(p.node);
  }

  remove(id, animate, touched) {
    const v = this.pods.get(id);
    if (!v) return;
    this.pods.delete(id);
    this.byNode.get(v.p.node)?.delete(id);
    if (v.p.node) touched.add(v.p.node);
    delete v.el.dataset.pod; // gone for the tests at once; the chip fades out
    if (animate && this.budget-- > 0) {
      v.el.classList.add('anim-gone');
      setTimeout(() => v.el.remove(), 400);
    } else v.el.remove();
  }

  flash(el, effect) {
    if (this.budget-- > 0) el.animate(EFFECTS[effect], { duration: 600, easing: 'ease-out' });
  }

  // FLIP: each moved chip starts where it was and glides to its new place (the new
  // places are read after every write: one more layout).
  fly(moves) {
    for (const m of moves) {
      const to = m.el.getBoundingClientRect();
      const dx = m.from.left - to.left;
      const dy = m.from.top - to.top;
      m.el.animate([{ transform: `translate(${dx}px, ${dy}px)` }, { transform: 'none' }], { duration: 450, easing: 'ease-out' });
    }
  }

  meters(name) {
    const v = this.nodes.get(name);
    if (!v) return;
    let cpu = 0;
    let mem = 0;
    for (const id of this.byNode.get(name) || []) {
      const p = this.pods.get(id)?.p;
      if (!p || p.phase === 'Succeeded' || p.phase === 'Failed') continue;
      cpu += p.cpu;
      mem += p.mem;
    }
    const n = v.n;
    const bar = (meter, used, cap, text) => {
      meter.firstChild.style.width = `${Math.min(100, cap ? (100 * used) / cap : 0)}%`;
      meter.title = text;
    };
    bar(v.cpu, cpu, n.cpu, t('cpu-meter', cpu, n.cpu));
    bar(v.mem, mem, n.mem, t('mem-meter', fmtBytes(mem), fmtBytes(n.mem)));
  }

  /** The language changed: the meters' tooltips are written again. */
  relabel() {
    for (const name of this.nodes.keys()) this.meters(name);
  }

  select(sel) {
    this.selected = sel;
    for (const el of document.querySelectorAll('.selected, .linked')) el.classList.remove('selected', 'linked');
    if (sel) {
      const q = sel.kind === 'node' ? `.node[data-node="${CSS.escape(sel.name)}"]` : `.pod[data-pod="${CSS.escape(`${sel.ns}/${sel.name}`)}"]`;
      document.querySelector(q)?.classList.add('selected');
    }
    this.drawLinks();
  }

  // A replacement that just appeared is joined for a moment to the pod it replaces.
  announceReplacements(pods) {
    for (const p of pods) {
      const v = this.pods.get(p.id);
      if (!p.replaces || !v.el.classList.contains('anim-replace')) continue;
      const line = this.line(v.el, document.querySelector(`.pod[data-pod="${CSS.escape(p.replaces)}"]`));
      if (!line) continue;
      line.classList.add('transient');
      setTimeout(() => line.remove(), 1500);
    }
  }

  line(a, b) {
    if (!a || !b) return null;
    const ra = a.getBoundingClientRect();
    const rb = b.getBoundingClientRect();
    const line = document.createElementNS('http://www.w3.org/2000/svg', 'line');
    line.setAttribute('x1', ra.left + ra.width / 2);
    line.setAttribute('y1', ra.top + ra.height / 2);
    line.setAttribute('x2', rb.left + rb.width / 2);
    line.setAttribute('y2', rb.top + rb.height / 2);
    this.linksEl.append(line);
    return line;
  }

  // A line from a replacement to the pod it replaces, for the selected pod.
  drawLinks() {
    for (const l of this.linksEl.querySelectorAll('line:not(.transient)')) l.remove();
    const sel = this.selected;
    if (!sel || sel.kind !== 'pod') return;
    const key = `${sel.ns}/${sel.name}`;
    const pairs = [];
    for (const [, v] of this.pods) {
      if (v.p.replaces && (key === `${v.p.ns}/${v.p.name}` || key === v.p.replaces)) pairs.push([v.el, v.p.replaces]);
    }
    for (const [el, oldKey] of pairs) {
      const other = document.querySelector(`.pod[data-pod="${CSS.escape(oldKey)}"]`);
      el.classList.add('linked');
      other?.classList.add('linked');
      this.line(el, other);
    }
  }
}
