//! The architecture view's data: the control plane's state at any moment and the
//! messages each log record stands for.
//!
//! A record of the event log is one store write by one client (`by`): a request from it
//! to the apiserver, the apiserver's write to etcd and etcd's answer, the apiserver's
//! answer back to it, and a watch event to each component that watches the kind — the
//! same fan-out `Simulation::fan_out` makes (`Scheduler::watches`,
//! `ControllerManager::watches`, `KubeProxy::watches`, and the kubelet of the node a pod
//! is or was bound to, or of the Node itself). sim-core's `trace/chrome.rs` reads the
//! log the same way (one writer thread per `by`, a flow from each write to etcd).
//!
//! What the log does not say is collected while the run goes on, after each event (a
//! history entry only when something changed, so memory follows activity): the
//! scheduler's activeQ/backoffQ/unschedulablePods sizes, each controller's workqueue,
//! the keys in etcd by kind, and which node each record's watch reaches.

use sim_core::api::Kind;
use sim_core::controller_manager::{Controller, ControllerManager};
use sim_core::proxy::KubeProxy;
use sim_core::scheduler::Scheduler;
use sim_core::trace::Record;
use sim_core::Simulation;
use std::collections::{BTreeMap, BTreeSet};

const NONE: u32 = u32::MAX;
const ADDED: u8 = 1;
const MODIFIED: u8 = 2;
const DELETED: u8 = 3;

/// A controller's lane: its name (kube-controller-manager's `--controllers` name, or the
/// add-on's), its workqueue's queued and delayed keys.
type Lane = (&'static str, u32, u32);

fn lane<C: Controller>(name: &'static str, c: &mut C) -> Lane {
    let q = c.queue();
    (name, q.len() as u32, q.waiting() as u32)
}

/// Every controller of the controller manager, in its table's order.
fn lanes(cm: &mut ControllerManager) -> [Lane; 25] {
    let c = &mut cm.controllers;
    [
        lane("podgc", &mut c.pod_gc),
        lane("nodeipam", &mut c.node_ipam),
        lane("nodelifecycle", &mut c.node_lifecycle),
        lane("taint-eviction", &mut c.taint_eviction),
        lane("deployment", &mut c.deployment),
        lane("replicaset", &mut c.replica_set),
        lane("garbagecollector", &mut c.garbage_collector),
        lane("namespace", &mut c.namespace),
        lane("disruption", &mut c.disruption),
        lane("daemonset", &mut c.daemon_set),
        lane("replicationcontroller", &mut c.replication),
        lane("endpointslice", &mut c.endpointslice),
        lane("endpoint", &mut c.endpoint),
        lane("metallb", &mut c.service_lb),
        lane("ingress-nginx", &mut c.ingress_nginx),
        lane("job", &mut c.job),
        lane("ttl-after-finished", &mut c.ttl_after_finished),
        lane("cronjob", &mut c.cronjob),
        lane("statefulset", &mut c.stateful_set),
        lane("persistentvolume-binder", &mut c.persistent_volume),
        lane("external-provisioner", &mut c.external_provisioner),
        lane("pvc-protection", &mut c.volume_protection),
        lane("attachdetach", &mut c.attach_detach),
        lane("resourcequota", &mut c.resource_quota),
        lane("horizontalpodautoscaling", &mut c.horizontal),
    ]
}

/// A kind's keys in etcd: the live ones, and the count's history.
#[derive(Default)]
struct KindKeys {
    live: BTreeSet<(String, String)>,
    counts: Vec<(u64, u32)>,
}

/// Appends `(t, v)` unless `v` is the last value; a second change at one `t` replaces it.
fn push_change<V: PartialEq + Copy>(h: &mut Vec<(u64, V)>, t: u64, v: V) {
    match h.last_mut() {
        Some(l) if l.1 == v => {}
        Some(l) if l.0 == t => l.1 = v,
        _ => h.push((t, v)),
    }
}

/// The value at `t` of a history (the latest entry at or before it) and when it was set.
fn at<V: Copy>(h: &[(u64, V)], t: u64) -> Option<(u64, V)> {
    let i = h.partition_point(|e| e.0 <= t);
    i.checked_sub(1).map(|i| h[i])
}

#[derive(Default)]
pub struct History {
    /// Per record: the nodes (ids) whose kubelet gets its watch event.
    routes: Vec<[u32; 2]>,
    /// Per record: its watch event's type (0: not a write).
    types: Vec<u8>,
    node_ids: BTreeMap<String, u32>,
    node_names: Vec<String>,
    /// The node each pod is bound to, by (namespace, name).
    pod_nodes: BTreeMap<(String, String), u32>,
    kinds: BTreeMap<String, KindKeys>,
    /// Indices of the records that are writes (a kind), and of the scheduler's attempts
    /// (binds, FailedScheduling), the timeline's actions and the controller manager's
    /// writes.
    writes: Vec<u32>,
    attempts: Vec<u32>,
    actions: Vec<u32>,
    cm_writes: Vec<u32>,
    /// activeQ, backoffQ, unschedulablePods.
    sched: Vec<(u64, [u32; 3])>,
    /// Per controller: (queued, delayed).
    ctrl: Vec<Vec<(u64, (u32, u32))>>,
    ctrl_names: Vec<&'static str>,
}

impl History {
    fn node_id(&mut self, name: &str) -> u32 {
        if name.is_empty() {
            return NONE;
        }
        if let Some(&id) = self.node_ids.get(name) {
            return id;
        }
        let id = self.node_names.len() as u32;
        self.node_names.push(name.to_string());
        self.node_ids.insert(name.to_string(), id);
        id
    }

    /// Record `i` (just written, the store as the event that wrote it left it).
    pub fn on_record(&mut self, i: usize, r: &Record, sim: &Simulation) {
        debug_assert_eq!(self.routes.len(), i);
        let mut route = [NONE, NONE];
        if r.kind.is_empty() {
            if r.verb == "timeline" {
                self.actions.push(i as u32);
            }
            self.routes.push(route);
            self.types.push(0);
            return;
        }
        self.writes.push(i as u32);
        match r.by.as_str() {
            "scheduler" if r.verb == "bind" || (r.kind == "Event" && r.get_str("reason") == Some("FailedScheduling")) => self.attempts.push(i as u32),
            "controller-manager" => self.cm_writes.push(i as u32),
            _ => {}
        }
        let kind = Kind::from_user(&r.kind);
        let present = match &kind {
            Some(k) => sim.api.store.get_parts(k, &r.ns, &r.name).is_some(),
            None => r.verb != "delete",
        };
        let keys = self.kinds.entry(r.kind.clone()).or_default();
        let changed = if present { keys.live.insert((r.ns.clone(), r.name.clone())) } else { keys.live.remove(&(r.ns.clone(), r.name.clone())) };
        if changed {
            let n = keys.live.len() as u32;
            push_change(&mut keys.counts, r.t, n);
        }
        self.types.push(match (changed, present) {
            (true, true) => ADDED,
            (true, false) => DELETED,
            _ => MODIFIED,
        });
        match r.kind.as_str() {
            "Pod" => {
                let key = (r.ns.clone(), r.name.clone());
                let prev = self.pod_nodes.get(&key).copied().unwrap_or(NONE);
                let obj = sim.api.store.get_parts(&Kind::Pod, &r.ns, &r.name).and_then(|o| o.as_pod().map(|p| p.spec.node_name.clone()));
                let cur = match obj {
                    Some(n) => self.node_id(&n),
                    None => prev,
                };
                if present && cur != NONE {
                    self.pod_nodes.insert(key, cur);
                } else {
                    self.pod_nodes.remove(&key);
                }
                route = [cur, if prev != cur { prev } else { NONE }];
            }
            "Node" => route[0] = self.node_id(&r.name),
            _ => {}
        }
        self.routes.push(route);
    }

    /// After each event: the scheduler's queue and the controllers' workqueues.
    pub fn after_step(&mut self, sim: &mut Simulation) {
        let t = sim.now.as_ms();
        let q = sim.scheduler.queue_sizes();
        push_change(&mut self.sched, t, [q[0] as u32, q[1] as u32, q[2] as u32]);
        let lanes = lanes(&mut sim.controller_manager);
        if self.ctrl.is_empty() {
            self.ctrl = vec![Vec::new(); lanes.len()];
            self.ctrl_names = lanes.iter().map(|l| l.0).collect();
        }
        for (h, l) in self.ctrl.iter_mut().zip(lanes) {
            if h.is_empty() && l.1 == 0 && l.2 == 0 {
                continue;
            }
            push_change(h, t, (l.1, l.2));
        }
    }

    /// Whose watch a write of `kind` reaches (besides the kubelets of its route).
    pub fn watchers(kind: &str) -> Vec<&'static str> {
        let Some(k) = Kind::from_user(kind) else { return Vec::new() };
        let mut v = Vec::new();
        if Scheduler::watches(&k) {
            v.push("scheduler");
        }
        if ControllerManager::watches(&k) {
            v.push("controller-manager");
        }
        if KubeProxy::watches(&k) {
            v.push("kube-proxy");
        }
        v
    }

    /// The kubelets (node names) a record's watch event reaches.
    pub fn route(&self, i: usize) -> impl Iterator<Item = &str> {
        self.routes.get(i).into_iter().flatten().filter(|&&n| n != NONE).map(|&n| self.node_names[n as usize].as_str())
    }

    /// The watch event type of record `i`'s write (`ADDED`, `MODIFIED`, `DELETED`).
    pub fn event_type(&self, i: usize) -> &'static str {
        match self.types.get(i) {
            Some(&ADDED) => "ADDED",
            Some(&DELETED) => "DELETED",
            Some(&MODIFIED) => "MODIFIED",
            _ => "",
        }
    }

    /// Indices of the writes in `(t0, t1]`.
    pub fn writes_between<'a>(&'a self, records: &[Record], t0: u64, t1: u64) -> &'a [u32] {
        let a = self.writes.partition_point(|&i| records[i as usize].t <= t0);
        let b = self.writes.partition_point(|&i| records[i as usize].t <= t1);
        &self.writes[a..b.max(a)]
    }

    /// The latest of `list` (record indices) at or before `t`.
    fn latest(list: &[u32], records: &[Record], t: u64) -> Option<usize> {
        let i = list.partition_point(|&i| records[i as usize].t <= t);
        i.checked_sub(1).map(|i| list[i] as usize)
    }

    pub fn last_attempt(&self, records: &[Record], t: u64) -> Option<usize> {
        Self::latest(&self.attempts, records, t)
    }

    pub fn last_action(&self, records: &[Record], t: u64) -> Option<usize> {
        Self::latest(&self.actions, records, t)
    }

    pub fn last_cm_write(&self, records: &[Record], t: u64) -> Option<usize> {
        Self::latest(&self.cm_writes, records, t)
    }

    /// Keys in etcd by kind at `t` (kinds with none left out).
    pub fn keys_at(&self, t: u64) -> Vec<(&str, u32)> {
        self.kinds.iter().filter_map(|(k, v)| at(&v.counts, t).map(|(_, n)| (k.as_str(), n))).filter(|e| e.1 > 0).collect()
    }

    pub fn sched_at(&self, t: u64) -> [u32; 3] {
        at(&self.sched, t).map_or([0; 3], |e| e.1)
    }

    /// Each controller that has had work so far (up to `t`): name, queued, delayed, and
    /// when its queue last changed.
    pub fn controllers_at(&self, t: u64) -> Vec<(&'static str, u32, u32, u64)> {
        self.ctrl.iter().zip(&self.ctrl_names).filter_map(|(h, &name)| at(h, t).map(|(when, (q, d))| (name, q, d, when))).collect()
    }

    /// How many controllers the manager runs.
    pub fn controller_count(&self) -> usize {
        self.ctrl_names.len()
    }
}
