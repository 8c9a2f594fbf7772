//! A loaded scenario in the browser: the simulation run to its end in slices (so the
//! page stays responsive), and every store write kept as an `Rc` snapshot so that the
//! state at any moment `t` can be rebuilt exactly — the same objects `ksim get --at t`
//! lists, because both have applied every event at or before `t`.
//!
//! The run itself is sim-core's, untouched: the event log and fingerprint are the ones
//! `ksim run` prints for the same file and seed.

use crate::arch::History;
use crate::charts::Charts;
use crate::explain::Explainer;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::engine::{SimDuration, SimTime};
use sim_core::scenario::diagnostic;
use sim_core::scenario::yaml::Mark;
use sim_core::trace::Record;
use sim_core::{RunOptions, Scenario, Simulation, Source};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// The kinds the page shows; others (Leases, Namespaces, …) stay only in the event log.
fn tracked(kind: &str) -> bool {
    matches!(kind, "Pod" | "Node" | "Event" | "ReplicaSet" | "Deployment")
}

/// One store write of a tracked kind: the object after the event that wrote it
/// (`None` once deleted).
struct Change {
    t: u64,
    key: u32,
    obj: Option<Rc<Object>>,
}

/// Objects by key id at one moment.
pub type State = BTreeMap<u32, Rc<Object>>;

/// A state every `CHECKPOINT_EVERY` changes bounds the work of a backward seek.
pub const CHECKPOINT_EVERY: usize = 4096;

/// One diagnostic of a bad input, for the editor.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadProblem {
    pub file: String,
    pub line: u32,
    pub col: u32,
    pub message: String,
}

pub struct Session {
    pub name: String,
    pub seed: u64,
    sim: Simulation,
    end: SimTime,
    done: bool,
    records_seen: usize,
    keys: Vec<ObjectKey>,
    key_ids: BTreeMap<ObjectKey, u32>,
    changes: Vec<Change>,
    /// (number of changes folded, the state then).
    checkpoints: Vec<(usize, State)>,
    checkpoint_every: usize,
    /// The state shown: `changes[..cursor]` folded.
    cursor: usize,
    state: State,
    /// Records worth a line in the page's log (no Lease renewals, no empty changes).
    interesting: Vec<u32>,
    /// Pods lost with their node (evicted, or failed) waiting for a replacement, by owner.
    lost: BTreeMap<String, Vec<u32>>,
    /// Replacement pod → the pod it replaces.
    pub replaces: BTreeMap<u32, u32>,
    /// The scenario as loaded (with the seed), for the explain panel's second run.
    scenario: Scenario,
    /// What the architecture view shows, collected as the run goes.
    pub arch: History,
    /// The charts' samples, taken as the run goes.
    pub charts: Charts,
    explainer: Option<Explainer>,
}

fn no_files(_from: &str, rel: &str) -> Result<Source, String> {
    Err(format!("cannot read {rel}: the browser version reads no other files (paste the manifest inline)"))
}

/// Loads YAML text; errors carry file, line and column.
pub fn load(name: &str, text: &str) -> Result<Scenario, (Vec<LoadProblem>, String)> {
    let bytes = text.as_bytes();
    if bytes.len() > sim_core::scenario::yaml::MAX_INPUT_BYTES {
        let m = format!("file is {} bytes; ksim reads at most {}", bytes.len(), sim_core::scenario::yaml::MAX_INPUT_BYTES);
        let p = LoadProblem { file: name.into(), line: 1, col: 1, message: m.clone() };
        return Err((vec![p], diagnostic::render_plain(name, Mark::new(1, 1), &m)));
    }
    sim_core::load(&[Source { name: name.into(), text: text.into() }], &no_files).map_err(|e| {
        let problems = e
            .diagnostics
            .iter()
            .map(|d| LoadProblem { file: d.location.file.clone(), line: d.location.mark.line, col: d.location.mark.col, message: d.message.clone() })
            .collect();
        (problems, e.render())
    })
}

impl Session {
    /// A session for `scenario` with `seed` (the scenario's own when None).
    pub fn new(mut scenario: Scenario, seed: Option<u64>) -> Result<Session, String> {
        if let Some(s) = seed {
            scenario.seed = s;
        }
        let opts = RunOptions::for_scenario(&scenario);
        let sim = Simulation::new(&scenario, &opts)?;
        let charts = Charts::new(opts.limits.until.as_ms(), !scenario.traffic.is_empty());
        let mut s = Session {
            name: scenario.name.clone(),
            seed: scenario.seed,
            sim,
            end: opts.limits.until,
            done: false,
            records_seen: 0,
            keys: Vec::new(),
            key_ids: BTreeMap::new(),
            changes: Vec::new(),
            checkpoints: vec![(0, State::new())],
            checkpoint_every: CHECKPOINT_EVERY,
            cursor: 0,
            state: State::new(),
            interesting: Vec::new(),
            lost: BTreeMap::new(),
            replaces: BTreeMap::new(),
            scenario,
            arch: History::default(),
            charts,
            explainer: None,
        };
        s.ingest();
        Ok(s)
    }

    /// Checkpoints more often (tests); call before `advance`.
    pub fn set_checkpoint_every(&mut self, n: usize) {
        self.checkpoint_every = n.max(1);
    }

    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// Runs at most `max_events` more events; true once the run is over.
    pub fn advance(&mut self, max_events: u32) -> bool {
        for _ in 0..max_events {
            if self.done {
                break;
            }
            self.charts.sample_due(&self.sim, self.sim.next_time().map(|t| t.as_ms()));
            if !self.sim.step() {
                self.done = true;
                self.sim.run_until(self.end); // the clock ends at `until`, as `ksim run`'s
                self.charts.sample_due(&self.sim, None);
            }
            self.arch.after_step(&mut self.sim);
            self.ingest();
        }
        self.done
    }

    /// Runs to the end.
    pub fn run_to_end(&mut self) {
        while !self.advance(100_000) {}
    }

    pub fn done(&self) -> bool {
        self.done
    }

    pub fn end_ms(&self) -> u64 {
        self.end.as_ms()
    }

    /// Every moment at or before this is final (all its events are processed).
    pub fn horizon_ms(&self) -> u64 {
        if self.done {
            self.end.as_ms()
        } else {
            self.sim.now.as_ms().saturating_sub(1)
        }
    }

    /// The event log's hash so far (the whole run's once `done`).
    pub fn fingerprint(&self) -> String {
        self.sim.fingerprint()
    }

    pub fn events_processed(&self) -> u64 {
        self.sim.events_processed
    }

    pub fn records(&self) -> &[Record] {
        self.sim.trace.records()
    }

    pub fn jsonl(&self) -> String {
        self.sim.trace.to_jsonl()
    }

    /// The id of `key`, and whether it is new.
    fn key_id(&mut self, key: ObjectKey) -> (u32, bool) {
        if let Some(&id) = self.key_ids.get(&key) {
            return (id, false);
        }
        let id = self.keys.len() as u32;
        self.keys.push(key.clone());
        self.key_ids.insert(key, id);
        (id, true)
    }

    pub fn key(&self, id: u32) -> &ObjectKey {
        &self.keys[id as usize]
    }

    pub fn find(&self, kind: &Kind, ns: &str, name: &str) -> Option<u32> {
        self.key_ids.get(&ObjectKey::new(kind.clone(), ns, name)).copied()
    }

    /// Takes the trace records written since the last call.
    fn ingest(&mut self) {
        let n = self.sim.trace.records().len();
        for i in self.records_seen..n {
            let r = &self.sim.trace.records()[i];
            self.arch.on_record(i, r, &self.sim);
            let boring = r.kind == "Lease" || (r.change.is_empty() && r.verb != "delete");
            if !boring {
                self.interesting.push(i as u32);
            }
            if !tracked(&r.kind) {
                continue;
            }
            let Some(kind) = Kind::from_user(&r.kind) else { continue };
            let key = ObjectKey::new(kind, &r.ns, &r.name);
            let obj = self.sim.api.store.get(&key).cloned();
            let t = r.t;
            let (id, new) = self.key_id(key);
            self.note_replacement(id, new, obj.as_deref());
            self.changes.push(Change { t, key: id, obj });
            if self.changes.len().is_multiple_of(self.checkpoint_every) {
                let mut s = self.checkpoints.last().map(|c| c.1.clone()).unwrap_or_default();
                let from = self.checkpoints.last().map_or(0, |c| c.0);
                fold(&mut s, &self.changes[from..]);
                self.checkpoints.push((self.changes.len(), s));
            }
        }
        self.records_seen = n;
    }

    /// A pod lost to a node failure (evicted with its node unreachable, or failed) is
    /// replaced by the next pod its ReplicaSet creates.
    fn note_replacement(&mut self, id: u32, new: bool, obj: Option<&Object>) {
        let Some(p) = obj.and_then(Object::as_pod) else { return };
        let Some(r) = p.metadata.controller_ref() else { return };
        let owner = format!("{}/{}/{}", p.metadata.namespace, r.kind, r.name);
        if new {
            if let Some(q) = self.lost.get_mut(&owner).filter(|q| !q.is_empty()) {
                let old = q.remove(0);
                self.replaces.insert(id, old);
            }
        } else if p.is_terminal() || self.evicted(p) {
            let q = self.lost.entry(owner).or_default();
            if !q.contains(&id) && !self.replaces.values().any(|&v| v == id) {
                q.push(id);
            }
        }
    }

    /// Deleted while its node is not Ready: evicted by the node lifecycle controller.
    fn evicted(&self, p: &sim_core::api::pod::Pod) -> bool {
        if p.metadata.rare.deletion_timestamp.is_none() || p.spec.node_name.is_empty() {
            return false;
        }
        let node = self.sim.api.store.get_parts(&Kind::Node, "", &p.spec.node_name);
        node.and_then(|n| n.as_node()).is_some_and(|n| n.ready_status() != "True")
    }

    /// Moves the shown state to `t_ms` (clamped to the horizon); returns the key ids
    /// whose object may have changed.
    pub fn seek(&mut self, t_ms: u64) -> BTreeSet<u32> {
        let t = t_ms.min(self.horizon_ms());
        let target = self.changes.partition_point(|c| c.t <= t);
        let (lo, hi) = (self.cursor.min(target), self.cursor.max(target));
        let touched: BTreeSet<u32> = self.changes[lo..hi].iter().map(|c| c.key).collect();
        if target < self.cursor {
            let cp = self.checkpoints.partition_point(|c| c.0 <= target) - 1;
            self.state = self.checkpoints[cp].1.clone();
            self.cursor = self.checkpoints[cp].0;
        }
        fold(&mut self.state, &self.changes[self.cursor..target]);
        self.cursor = target;
        touched
    }

    /// Every key id present now.
    pub fn all_ids(&self) -> impl Iterator<Item = u32> + '_ {
        self.state.keys().copied()
    }

    pub fn get(&self, id: u32) -> Option<&Rc<Object>> {
        self.state.get(&id)
    }

    pub fn objects(&self) -> impl Iterator<Item = &Rc<Object>> {
        self.state.values()
    }

    /// Indices into `records()` of the log lines worth showing.
    pub fn interesting(&self) -> &[u32] {
        &self.interesting
    }

    /// The first interesting record strictly after `t_ms`.
    pub fn next_event_ms(&self, t_ms: u64) -> Option<u64> {
        let recs = self.records();
        let i = self.interesting.partition_point(|&i| recs[i as usize].t <= t_ms);
        self.interesting.get(i).map(|&i| recs[i as usize].t)
    }

    /// Every (t, value) at which the pod `id`'s IP changed, up to the shown moment.
    pub fn ip_history(&self, id: u32) -> Vec<(u64, String)> {
        let mut out: Vec<(u64, String)> = Vec::new();
        for c in self.changes[..self.cursor].iter().filter(|c| c.key == id) {
            let ip = c.obj.as_deref().and_then(Object::as_pod).map_or(String::new(), |p| p.status.pod_ip.to_string());
            if out.last().map_or(!ip.is_empty(), |l| l.1 != ip) {
                out.push((c.t, ip));
            }
        }
        out
    }

    /// Pods given an IP on node `name`, up to the shown moment: (t, pod key id, IP).
    pub fn node_ip_history(&self, name: &str) -> Vec<(u64, u32, String)> {
        let mut last: BTreeMap<u32, String> = BTreeMap::new();
        let mut out = Vec::new();
        for c in &self.changes[..self.cursor] {
            let Some(p) = c.obj.as_deref().and_then(Object::as_pod) else { continue };
            if p.spec.node_name != name || p.status.pod_ip.is_empty() {
                continue;
            }
            if last.get(&c.key).map(String::as_str) != Some(p.status.pod_ip.as_str()) {
                last.insert(c.key, p.status.pod_ip.to_string());
                out.push((c.t, c.key, p.status.pod_ip.to_string()));
            }
        }
        out
    }

    /// When the pod `id` was first written.
    pub fn first_seen_ms(&self, id: u32) -> Option<u64> {
        self.changes.iter().find(|c| c.key == id).map(|c| c.t)
    }

    /// Starts (or goes on with) the explain run of pod `ns/name` to `at_ms`.
    pub fn explain_start(&mut self, ns: &str, name: &str, at_ms: u64) -> Result<(), String> {
        match self.explainer.as_mut() {
            Some(e) if e.reaches(ns, name, at_ms) => e.at = at_ms,
            _ => self.explainer = Some(Explainer::new(&self.scenario, ns, name, at_ms)?),
        }
        Ok(())
    }

    /// Runs the explain run at most `max_events` further; true once it is at its moment
    /// (or when there is none).
    pub fn explain_advance(&mut self, max_events: u32) -> bool {
        self.explainer.as_mut().is_none_or(|e| e.advance(max_events))
    }

    /// The explanation (`ksim explain -o json`), or `{"error"}`; "null" before any start.
    pub fn explain_result(&self) -> String {
        let Some(e) = &self.explainer else { return "null".into() };
        let existed = self.find(&Kind::Pod, &e.ns, &e.name).and_then(|id| self.first_seen_ms(id)).is_some_and(|t| t <= e.at);
        e.result(&self.scenario, existed)
    }

    pub fn now_ms(&self) -> u64 {
        self.changes[..self.cursor].last().map_or(0, |c| c.t)
    }

    /// Formats a duration as the CLI does (`1m30s`).
    pub fn duration(ms: u64) -> String {
        SimDuration(ms).to_string()
    }
}

fn fold(state: &mut State, changes: &[Change]) {
    for c in changes {
        match &c.obj {
            Some(o) => {
                state.insert(c.key, o.clone());
            }
            None => {
                state.remove(&c.key);
            }
        }
    }
}
