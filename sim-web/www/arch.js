// The architecture view: the control plane made visible beside the nodes. Boxes for
// kubectl (the timeline's commands), kube-apiserver, etcd (its revision, keys by kind),
// kube-scheduler (activeQ, backoffQ, unschedulablePods, its last cycle),
// kube-controller-manager (one lane per controller that has had work: its workqueue) and,
// per node, its kubelet, kube-proxy and container runtime — the first NODES_SHOWN nodes by
// name, the others together in one "N more nodes" box.
//
// Every write of the event log is drawn as it happens on the timeline: a request from
// its writer to the apiserver, the apiserver's write to etcd, etcd's answer, then the
// apiserver's answer to the writer and a watch event to each component that watches the
// kind (the wasm side says which: sim-web/src/arch.rs). Each hop is a message element
// flying for STAGE_MS of wall time, whatever the playback speed — slowed down to be
// followed. At scale they are aggregated: a batch of many writes becomes one message per
// (hop, from, to) with a count, and at most MAX_IN_FLIGHT fly at once (a badge counts the
// others). Clicking a message shows its log record(s).
//
// Test contract: each box carries data-component (`kubectl`, `apiserver`, `etcd`,
// `scheduler`, `controller-manager`, `kubelet/NODE`, `kube-proxy/NODE`,
// `container-runtime/NODE`, `more-nodes`, or another writer's name); each message in
// flight data-message-from, data-message-to (box names) and data-message-kind
// (`request`, `response`, `watch`), and data-message-object (`Pod default/NAME`) when it
// stands for one object's writes.
import { format_duration } from './pkg/sim_web.js';
import { t, tr } from './i18n.js';

const STAGE_MS = 550; // one hop's flight (wall clock)
const MAX_IN_FLIGHT = 200;
const PER_RECORD = 60; // a batch that makes up to this many messages gets one per write and hop
const NODES_SHOWN = 8;
const SPAWN_EVERY_MS = 90; // while playing, writes are gathered into batches this often
const MAX_RECORDS = 150; // writes asked for per batch (the rest are counted)
const STATE_EVERY_MS = 120; // the boxes' contents, while playing

function div(cls, attrs = {}) {
  const e = document.createElement('div');
  e.className = cls;
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  return e;
}

const objectOf = (r) => `${r.kind} ${r.ns ? `${r.ns}/` : ''}${r.name}`;

/** The box a log record's writer is drawn as. */
function writerOf(by) {
  if (by === 'timeline' || by === 'kubectl') return 'kubectl';
  if (by === 'apiserver') return null;
  return by;
}

export class Arch {
  constructor(root, cluster) {
    Object.assign(this, { root, cluster });
    this.open = false;
    this.board = root.querySelector('.arch-board');
    this.layer = root.querySelector('.arch-msgs');
    this.lines = root.querySelector('.arch-lines');
    this.badge = root.querySelector('.arch-badge');
    this.popup = root.querySelector('.arch-popup');
    this.extra = root.querySelector('.arch-extra');
    this.nodesEl = root.querySelector('.arch-nodes');
    this.reset();
    this.layer.addEventListener('click', (e) => {
      const m = e.target.closest('.msg');
      if (m) this.show(m);
    });
    // A message under the pointer stops, so that it can be clicked.
    this.layer.addEventListener('mouseover', (e) => e.target.closest('.msg')?.anim?.pause());
    this.layer.addEventListener('mouseout', (e) => e.target.closest('.msg')?.anim?.play());
    this.popup.querySelector('.close').addEventListener('click', () => (this.popup.hidden = true));
    new ResizeObserver(() => (this.dirty = true)).observe(this.board);
  }

  reset() {
    this.hops = []; // waiting to fly: {at, from, to, kind, recs, label}
    this.flying = 0;
    this.skipped = { writes: 0, msgs: 0, at: 0 }; // what was not drawn lately
    this.spawnFrom = null;
    this.lastSpawn = 0;
    this.lastState = 0;
    this.shownNodes = [];
    this.shown = new Set();
    this.allNodes = [];
    this.nodeKey = '';
    this.dirty = true;
    this.pos = new Map();
    this.clear();
    this.nodesEl.replaceChildren();
    this.extra.replaceChildren();
    this.popup.hidden = true;
    this.sim = null;
  }

  setOpen(on) {
    this.open = on;
    this.root.hidden = !on;
    document.body.classList.toggle('arch-open', on);
    this.dirty = true;
    if (!on) this.clear();
  }

  /** Whether no message flies or waits to. */
  idle() {
    return this.hops.length === 0 && this.flying === 0;
  }

  /** Drops every message (a jump on the timeline). */
  clear() {
    this.hops = [];
    for (const m of this.layer.querySelectorAll('.msg')) {
      m.anim?.cancel();
      m.remove();
    }
    this.flying = 0;
  }

  /** The node boxes: the first NODES_SHOWN nodes by name, and one for the rest. */
  syncNodes() {
    if (this.cluster.nodes.size === this.allNodes.length) return; // nodes are never taken off the cluster view
    const names = [...this.cluster.nodes.keys()].sort();
    const key = names.join('\n');
    if (key === this.nodeKey) return;
    this.nodeKey = key;
    this.allNodes = names;
    this.shownNodes = names.slice(0, NODES_SHOWN);
    this.shown = new Set(this.shownNodes);
    const cards = this.shownNodes.map((n) => {
      const card = div('arch-node', { 'data-arch-node': n });
      const title = div('arch-node-name');
      title.textContent = n;
      const kubelet = div('comp small', { 'data-component': `kubelet/${n}` });
      kubelet.innerHTML = '<b>kubelet</b><span class="v"></span>';
      const proxy = div('comp small', { 'data-component': `kube-proxy/${n}` });
      proxy.innerHTML = '<b>kube-proxy</b><span class="v"></span>';
      tr(proxy.querySelector('.v'), 'arch-proxy');
      const runtime = div('comp small', { 'data-component': `container-runtime/${n}` });
      runtime.innerHTML = '<b>containerd</b><span class="v"></span>';
      runtime.title = t('arch-runtime');
      card.append(title, kubelet, proxy, runtime);
      return card;
    });
    const rest = names.length - this.shownNodes.length;
    if (rest > 0) {
      const more = div('arch-node more comp', { 'data-component': 'more-nodes', 'data-i18n-title': 'arch-more-nodes-title' });
      more.title = t('arch-more-nodes-title');
      tr(more, 'arch-more-nodes', rest);
      cards.push(more);
    }
    this.nodesEl.replaceChildren(...cards);
    this.dirty = true;
  }

  /** The box drawn for a component (per-node components of hidden nodes: more-nodes). */
  box(c) {
    const slash = c.indexOf('/');
    if (slash > 0) {
      const kind = c.slice(0, slash);
      if (kind === 'kubelet' || kind === 'kube-proxy' || kind === 'container-runtime') return this.shown.has(c.slice(slash + 1)) ? c : 'more-nodes';
    }
    if (!this.pos.has(c) && !this.board.querySelector(`[data-component="${CSS.escape(c)}"]`)) {
      // Another writer (cluster-autoscaler, …): a box of its own, made when first seen.
      const b = div('comp', { 'data-component': c });
      b.innerHTML = '<b></b>';
      b.firstChild.textContent = c;
      this.extra.append(b);
      this.dirty = true;
      this.layout();
    }
    return c;
  }

  /** Box centres, relative to the board (read once per layout change). */
  layout() {
    if (!this.dirty) return;
    this.dirty = false;
    const base = this.board.getBoundingClientRect();
    this.pos = new Map();
    for (const el of this.board.querySelectorAll('[data-component]')) {
      const r = el.getBoundingClientRect();
      this.pos.set(el.dataset.component, { x: r.left - base.left + r.width / 2, y: r.top - base.top + r.height / 2 });
    }
    // Faint lines: every component talks to the apiserver only.
    const api = this.pos.get('apiserver');
    const svg = [];
    if (api) {
      for (const [c, p] of this.pos) {
        if (c !== 'apiserver' && !c.startsWith('container-runtime/')) svg.push(`<line x1="${api.x}" y1="${api.y}" x2="${p.x}" y2="${p.y}"/>`);
        if (c.startsWith('kubelet/')) {
          const rt = this.pos.get(`container-runtime/${c.slice(8)}`);
          if (rt) svg.push(`<line class="cri" x1="${p.x}" y1="${p.y}" x2="${rt.x}" y2="${rt.y}"/>`);
        }
      }
    }
    this.lines.setAttribute('width', String(this.board.scrollWidth));
    this.lines.setAttribute('height', String(this.board.scrollHeight));
    this.lines.innerHTML = svg.join('');
  }

  /** The moment `t` is shown (after `prev`): the boxes, and the writes since `prev`. */
  update(sim, t, prev, { playing, force = false } = {}) {
    if (!this.open) return;
    this.sim = sim;
    this.syncNodes();
    const now = performance.now();
    if (force || !playing || now - this.lastState >= STATE_EVERY_MS) {
      this.lastState = now;
      this.state(JSON.parse(sim.arch_state(t)));
    }
    if (prev === null || t < prev || t - prev > 60_000) {
      // A jump: what was on its way belongs to another moment.
      this.clear();
      this.spawnFrom = null;
    } else if (t > prev) {
      this.spawnFrom ??= prev;
      if (!playing || now - this.lastSpawn >= SPAWN_EVERY_MS) {
        this.lastSpawn = now;
        const from = this.spawnFrom;
        this.spawnFrom = null;
        this.spawn(JSON.parse(sim.arch_messages(from, t, MAX_RECORDS)), now);
      }
    }
    this.pump();
  }

  /** Writes the boxes' contents. */
  state(s) {
    const q = (sel) => this.board.querySelector(sel);
    const set = (el, text) => {
      if (el && el.textContent !== text) el.textContent = text;
    };
    const a = s.action;
    const kubectl = q('[data-component="kubectl"] .v');
    if (a) tr(kubectl, 'arch-last-action', `${format_duration(a.t)} ${a.change.action ?? ''}`);
    else set(kubectl, '');
    tr(q('[data-component="apiserver"] .v'), 'arch-writes', s.recentWrites);
    tr(q('[data-component="etcd"] .rev'), 'arch-revision', s.rev);
    const keys = s.keys.sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1));
    set(q('[data-component="etcd"] .keys'), keys.map(([k, n]) => `${k} ${n}`).join(' · '));
    const sc = s.sched;
    set(q('.q-active'), String(sc.active));
    set(q('.q-backoff'), String(sc.backoff));
    set(q('.q-unsched'), String(sc.unschedulable));
    const last = q('[data-component="scheduler"] .last');
    if (sc.last) {
      const l = sc.last;
      const what = l.verb === 'bind' ? t('arch-cycle-bound', l.name, l.change.node ?? '') : t('arch-cycle-failed', (l.change.object ?? '').replace(/^Pod\//, ''));
      tr(last, 'arch-cycle', `${format_duration(l.t)} ${what}`);
    } else set(last, '');
    const cm = q('[data-component="controller-manager"]');
    tr(cm.querySelector('.v'), 'arch-lanes', s.controllers.length, s.controllerCount);
    const lanes = cm.querySelector('.lanes');
    const rows = s.controllers.map((c) => {
      const row = div(`lane${c.queued + c.delayed > 0 ? ' busy' : ''}`, { 'data-controller': c.name });
      const name = document.createElement('b');
      name.textContent = c.name;
      const v = document.createElement('span');
      tr(v, 'arch-lane', c.queued, c.delayed, format_duration(c.since));
      row.append(name, v);
      return row;
    });
    const sig = s.controllers.map((c) => `${c.name}${c.queued}/${c.delayed}@${c.since}`).join() + this.cmLang;
    if (sig !== this.cmSig) {
      this.cmSig = sig;
      lanes.replaceChildren(...rows);
    }
    const w = s.cmWrite;
    const lw = cm.querySelector('.last');
    if (w) tr(lw, 'arch-last-write', `${format_duration(w.t)} ${w.verb} ${objectOf(w)}`);
    else set(lw, '');
    // Node components: what the cluster view knows of each shown node.
    for (const n of this.shownNodes) {
      const v = this.cluster.nodes.get(n);
      let pods = 0;
      let running = 0;
      for (const id of this.cluster.byNode.get(n) || []) {
        const p = this.cluster.pods.get(id)?.p;
        if (!p) continue;
        pods++;
        if (p.phase === 'Running') running++;
      }
      const kv = q(`[data-component="kubelet/${CSS.escape(n)}"] .v`);
      if (kv) tr(kv, 'arch-pods', pods);
      const kb = q(`[data-component="kubelet/${CSS.escape(n)}"]`);
      if (kb && v) kb.dataset.ready = v.n.ready;
      const rv = q(`[data-component="container-runtime/${CSS.escape(n)}"] .v`);
      if (rv) tr(rv, 'arch-running', running);
    }
  }

  /** Turns a batch of writes into hops, in four stages. */
  spawn(batch, now) {
    const recs = batch.records;
    if (batch.total > recs.length) this.skip('writes', batch.total - recs.length, now);
    if (!recs.length) return;
    this.layout();
    let groups = this.hopsOf(recs, now, true);
    if (groups.size > PER_RECORD) groups = this.hopsOf(recs, now, false);
    for (const g of groups.values()) this.hops.push(g);
    this.hops.sort((a, b) => a.at - b.at);
  }

  /** A batch's messages: one per write and hop (`perRecord`), or one per hop and pair of boxes. */
  hopsOf(recs, now, perRecord) {
    const groups = new Map();
    const add = (stage, from, to, kind, r, label) => {
      const f = this.box(from);
      const tt = this.box(to);
      if (f === tt) return;
      const key = `${perRecord ? r.i : ''}|${stage}|${f}|${tt}|${kind}`;
      let g = groups.get(key);
      if (!g) {
        g = { at: now + stage * STAGE_MS, from: f, to: tt, kind, recs: [], label, n: 0 };
        groups.set(key, g);
      }
      g.n++;
      if (g.recs.length < 20) g.recs.push(r);
    };
    for (const r of recs) {
      const w = writerOf(r.by);
      const verb = `${r.verb} ${r.kind}`;
      if (w) add(0, w, 'apiserver', 'request', r, verb);
      add(1, 'apiserver', 'etcd', 'request', r, r.event === 'DELETED' ? `DELETE ${r.key}` : `PUT ${r.key}`);
      add(2, 'etcd', 'apiserver', 'response', r, `rev ${r.rev}`);
      if (w) add(3, 'apiserver', w, 'response', r, 'OK');
      for (const c of r.watch) {
        if (c === 'kube-proxy') for (const n of this.allNodes) add(3, 'apiserver', `kube-proxy/${n}`, 'watch', r, `${r.event} ${r.kind}`);
        else add(3, 'apiserver', c, 'watch', r, `${r.event} ${r.kind}`);
      }
      for (const n of r.kubelets) add(3, 'apiserver', `kubelet/${n}`, 'watch', r, `${r.event} ${r.kind}`);
      if (perRecord && groups.size > PER_RECORD) break;
    }
    return groups;
  }

  /** Counts what was not drawn (the counts start again after 3 s without any). */
  skip(what, n, now) {
    if (now - this.skipped.at > 3000) this.skipped = { writes: 0, msgs: 0, at: now };
    this.skipped[what] += n;
    this.skipped.at = now;
  }

  /** Starts the hops whose time has come; keeps itself going while any is left. */
  pump() {
    if (this.pumping) return;
    this.pumping = true;
    const step = () => {
      this.pumping = false;
      if (!this.open) return;
      const now = performance.now();
      this.layout();
      let i = 0;
      while (i < this.hops.length && this.hops[i].at <= now) i++;
      const due = this.hops.splice(0, i);
      for (const h of due) {
        if (this.flying >= MAX_IN_FLIGHT) this.skip('msgs', h.n, now);
        else this.fly(h);
      }
      this.drawBadge(now);
      if (this.hops.length || this.flying) {
        this.pumping = true;
        requestAnimationFrame(step);
      }
    };
    requestAnimationFrame(step);
  }

  fly(h) {
    const a = this.pos.get(h.from);
    const b = this.pos.get(h.to);
    if (!a || !b) return;
    const m = div(`msg ${h.kind}`, { 'data-message-from': h.from, 'data-message-to': h.to, 'data-message-kind': h.kind });
    const objects = new Set(h.recs.map(objectOf));
    if (objects.size === 1 && h.n === h.recs.length) m.dataset.messageObject = [...objects][0];
    m.dataset.messageRecords = h.recs.map((r) => r.i).join(' ');
    if (h.n > 1) {
      m.dataset.messageCount = String(h.n);
      const c = document.createElement('b');
      c.textContent = `×${h.n}`;
      m.append(c);
    } else if (this.flying < 24) {
      const l = document.createElement('span');
      l.textContent = h.label;
      m.append(l);
    }
    this.layer.append(m);
    this.flying++;
    m.anim = m.animate([{ transform: `translate(${a.x}px, ${a.y}px)` }, { transform: `translate(${b.x}px, ${b.y}px)` }], {
      duration: STAGE_MS,
      easing: 'ease-in-out',
    });
    m.anim.onfinish = () => {
      m.remove();
      this.flying--;
    };
    m.hop = h;
  }

  drawBadge(now) {
    const sk = now - this.skipped.at > 3000 ? { writes: 0, msgs: 0 } : this.skipped;
    const parts = [];
    if (this.flying) parts.push(t('arch-in-flight', this.flying));
    if (sk.writes) parts.push(t('arch-skipped-writes', sk.writes.toLocaleString(), MAX_RECORDS));
    if (sk.msgs) parts.push(t('arch-skipped', sk.msgs.toLocaleString(), MAX_IN_FLIGHT));
    const text = parts.join(' · ');
    if (this.badge.textContent !== text) this.badge.textContent = text;
    this.badge.dataset.inFlight = String(this.flying);
  }

  /** A clicked message: its log record(s). */
  show(m) {
    const h = m.hop;
    if (!h || !this.sim) return;
    const kind = t(h.kind === 'watch' ? 'arch-watch' : h.kind === 'request' ? 'arch-request' : 'arch-response');
    const body = this.popup.querySelector('.body');
    const head = document.createElement('h3');
    head.textContent = t('arch-popup-title', kind, h.from, h.to);
    const items = h.recs.slice(0, 5).map((r) => {
      const rec = JSON.parse(this.sim.record(r.i));
      const box = document.createElement('div');
      const p = document.createElement('p');
      p.textContent = t('arch-popup-record', rec.i, format_duration(rec.t), rec.rev);
      const pre = document.createElement('pre');
      pre.textContent = JSON.stringify(rec, null, 1);
      box.append(p, pre);
      return box;
    });
    if (h.n > items.length) {
      const more = document.createElement('p');
      more.textContent = t('arch-popup-more', h.n - items.length);
      items.push(more);
    }
    body.replaceChildren(head, ...items);
    this.popup.hidden = false;
    this.popup.dataset.records = h.recs.map((r) => r.i).join(' ');
  }

  /** The language changed: words written from values are written again. */
  relabel() {
    this.cmLang = (this.cmLang || '') + '*';
    this.popup.hidden = true;
    for (const el of this.board.querySelectorAll('[data-component^="container-runtime/"]')) el.title = t('arch-runtime');
  }
}
