//! kube-controller-manager: one process with a shared informer (pods, ReplicaSets,
//! Deployments, nodes, leases) and level-driven controllers fed by deduplicating
//! workqueues: replicaset, deployment, garbagecollector, nodelifecycle (with taint
//! eviction) and nodeipam. Reconcilers read the cache and emit API requests; they
//! never mutate the cache.

pub mod deployment;
pub mod garbage_collector;
pub mod node_ipam;
pub mod node_lifecycle;
pub mod pod_gc;
pub mod replica_set;

use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::client::{event_for, Ctx, Informer, Timer};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

type NsName = (String, String);

/// A key waiting to go back into a workqueue.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Requeue {
    ReplicaSet(NsName),
    Namespace(String),
}

/// How long a controller waits before it drains its queue (workers picking items up);
/// events arriving meanwhile coalesce, as they do in a real workqueue.
pub const SYNC_DELAY: SimDuration = SimDuration::from_ms(5);

pub struct ControllerManager {
    pub informer: Informer,
    /// uid → (kind, namespace, name) of every cached object with a uid.
    by_uid: BTreeMap<String, (Kind, String, String)>,
    /// owner uid → dependents (kind, namespace, name).
    dependents: BTreeMap<String, BTreeSet<(Kind, String, String)>>,
    /// node name → pods bound there.
    pods_by_node: BTreeMap<String, BTreeSet<NsName>>,
    /// Active pods without a controller, by namespace (candidates for adoption).
    orphans: BTreeMap<String, BTreeSet<String>>,
    rs_queue: BTreeSet<NsName>,
    deploy_queue: BTreeSet<NsName>,
    gc_queue: BTreeSet<(Kind, String, String)>,
    ns_queue: BTreeSet<String>,
    /// Keys put back later (workqueue AddAfter / AddRateLimited): (when, key).
    delayed: BTreeSet<(SimTime, Requeue)>,
    requeue_timer: Option<SimTime>,
    /// Consecutive failures per ReplicaSet (ItemExponentialFailureRateLimiter 5 ms … 1000 s).
    failures: BTreeMap<NsName, u32>,
    sync_scheduled: bool,
    pub replica_sets: replica_set::ReplicaSetController,
    pub node_lifecycle: node_lifecycle::NodeLifecycleController,
    pub node_ipam: node_ipam::NodeIpamController,
    pub pod_gc: pod_gc::PodGc,
    event_seq: u64,
}

impl ControllerManager {
    pub fn new(ipam: node_ipam::NodeIpamController) -> Self {
        ControllerManager {
            informer: Informer::default(),
            by_uid: BTreeMap::new(),
            dependents: BTreeMap::new(),
            pods_by_node: BTreeMap::new(),
            orphans: BTreeMap::new(),
            rs_queue: BTreeSet::new(),
            deploy_queue: BTreeSet::new(),
            gc_queue: BTreeSet::new(),
            ns_queue: BTreeSet::new(),
            delayed: BTreeSet::new(),
            requeue_timer: None,
            failures: BTreeMap::new(),
            sync_scheduled: false,
            replica_sets: replica_set::ReplicaSetController::default(),
            node_lifecycle: node_lifecycle::NodeLifecycleController::default(),
            node_ipam: ipam,
            pod_gc: pod_gc::PodGc::default(),
            event_seq: 0,
        }
    }

    pub fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Pod | Kind::ReplicaSet | Kind::Deployment | Kind::Node | Kind::Lease | Kind::Namespace)
    }

    /// workqueue.AddAfter.
    pub(crate) fn requeue_after(&mut self, key: Requeue, d: SimDuration, ctx: &mut Ctx) {
        let at = ctx.now + d;
        self.delayed.insert((at, key));
        if self.requeue_timer.is_none_or(|t| t > at) {
            self.requeue_timer = Some(at);
            ctx.after(d, Timer::ControllerRequeue);
        }
    }

    /// workqueue.AddRateLimited for a ReplicaSet that failed: 5 ms doubling to 1000 s.
    fn requeue_failed(&mut self, key: NsName, ctx: &mut Ctx) {
        let n = self.failures.entry(key.clone()).or_default();
        *n = n.saturating_add(1);
        let d = SimDuration::from_ms(5u64.saturating_mul(1u64 << (*n - 1).min(20)).min(1_000_000));
        self.requeue_after(Requeue::ReplicaSet(key), d, ctx);
    }

    fn index(&mut self, ev: &WatchEvent) {
        let deleted = ev.type_ == WatchEventType::Deleted;
        let obj = &ev.object;
        if let (false, Some(prev)) = (deleted, &ev.prev) {
            if Self::index_key(prev) == Self::index_key(obj) {
                return; // nothing the indices depend on changed (most status updates)
            }
        }
        let m = obj.meta();
        let me = (obj.kind(), m.namespace.clone(), m.name.clone());
        if let Some(prev) = &ev.prev {
            for r in &prev.meta().owner_references {
                if let Some(s) = self.dependents.get_mut(&r.uid) {
                    s.remove(&me);
                    if s.is_empty() {
                        self.dependents.remove(&r.uid);
                    }
                }
            }
            if let Some(p) = prev.as_pod() {
                if let Some(s) = self.pods_by_node.get_mut(&p.spec.node_name) {
                    s.remove(&(me.1.clone(), me.2.clone()));
                }
                if let Some(s) = self.orphans.get_mut(&me.1) {
                    s.remove(&me.2);
                }
            }
        }
        if deleted {
            self.by_uid.remove(&m.uid);
            return;
        }
        if !m.uid.is_empty() {
            self.by_uid.insert(m.uid.clone(), me.clone());
        }
        for r in &m.owner_references {
            self.dependents.entry(r.uid.clone()).or_default().insert(me.clone());
        }
        if let Some(p) = obj.as_pod() {
            if !p.spec.node_name.is_empty() {
                self.pods_by_node.entry(p.spec.node_name.clone()).or_default().insert((me.1.clone(), me.2.clone()));
            }
            if p.metadata.controller_ref().is_none() && replica_set::is_active(p) {
                self.orphans.entry(me.1.clone()).or_default().insert(me.2.clone());
            }
        }
    }

    /// What the indices are built from: uid, owners, node, and orphan-ness.
    fn index_key(o: &Object) -> (&str, &[crate::api::meta::OwnerReference], &str, bool) {
        let m = o.meta();
        match o.as_pod() {
            Some(p) => (&m.uid, &m.owner_references, &p.spec.node_name, replica_set::is_active(p)),
            None => (&m.uid, &m.owner_references, "", true),
        }
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        self.informer.apply(ev);
        self.index(ev);
        pod_gc::ensure_started(self, ctx);
        let deleted = ev.type_ == WatchEventType::Deleted;
        let obj = ev.object.clone();
        let m = obj.meta();
        match &*obj {
            Object::Pod(p) => {
                self.replica_sets.observe_pod(ev);
                self.enqueue_pod_owner(p, ctx);
                if let Some(prev) = ev.prev.as_ref().and_then(|o| o.as_pod()) {
                    if prev.metadata.labels != p.metadata.labels {
                        self.enqueue_pod_owner(prev, ctx);
                    }
                }
                if !deleted && !p.spec.node_name.is_empty() {
                    let node = self.informer.get(&Kind::Node, "", &p.spec.node_name).cloned();
                    self.node_lifecycle.process_pod(p, node.as_deref(), ctx);
                } else if deleted {
                    self.node_lifecycle.forget_pod(&p.metadata.namespace, &p.metadata.name);
                }
                self.enqueue_gc_if_orphaned(&obj);
            }
            Object::ReplicaSet(rs) => {
                self.rs_queue.insert((m.namespace.clone(), m.name.clone()));
                if let Some(r) = rs.metadata.controller_ref().filter(|r| r.kind == "Deployment") {
                    self.deploy_queue.insert((m.namespace.clone(), r.name.clone()));
                }
                if deleted {
                    self.enqueue_dependents(&m.uid);
                } else {
                    self.enqueue_gc_if_orphaned(&obj);
                }
            }
            Object::Deployment(_) => {
                self.deploy_queue.insert((m.namespace.clone(), m.name.clone()));
                if deleted {
                    self.enqueue_dependents(&m.uid);
                }
            }
            Object::Node(n) => {
                if deleted {
                    self.node_ipam.release(n);
                    self.node_lifecycle.forget_node(&n.metadata.name);
                } else {
                    self.node_ipam.observe(n, ctx);
                    self.node_lifecycle.observe_node(n, ctx);
                    let pods: Vec<Rc<Object>> = self.pods_on(&n.metadata.name);
                    for p in pods {
                        if let Some(p) = p.as_pod() {
                            self.node_lifecycle.process_pod(p, Some(&obj), ctx);
                        }
                    }
                }
            }
            Object::Lease(l) if !deleted => self.node_lifecycle.observe_lease(l, ctx),
            Object::Namespace(n) if !deleted && n.metadata.deletion_timestamp.is_some() => {
                self.ns_queue.insert(n.metadata.name.clone());
            }
            _ => {}
        }
        self.ensure_sync(ctx);
    }

    pub fn pods_on(&self, node: &str) -> Vec<Rc<Object>> {
        self.pods_by_node.get(node).map(|s| s.iter().filter_map(|(ns, n)| self.informer.get(&Kind::Pod, ns, n).cloned()).collect()).unwrap_or_default()
    }

    fn enqueue_pod_owner(&mut self, p: &crate::api::pod::Pod, _ctx: &mut Ctx) {
        match p.metadata.controller_ref() {
            Some(r) if r.kind == "ReplicaSet" => {
                self.rs_queue.insert((p.metadata.namespace.clone(), r.name.clone()));
            }
            Some(_) => {}
            None => {
                // An orphan: every ReplicaSet in the namespace whose selector matches may adopt it.
                let ns = p.metadata.namespace.clone();
                let matching: Vec<NsName> = self
                    .informer
                    .list_ns(&Kind::ReplicaSet, &ns)
                    .filter_map(|o| o.as_replica_set())
                    .filter(|rs| rs.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(&p.metadata.labels)))
                    .map(|rs| (ns.clone(), rs.metadata.name.clone()))
                    .collect();
                self.rs_queue.extend(matching);
            }
        }
    }

    fn enqueue_dependents(&mut self, uid: &str) {
        if let Some(deps) = self.dependents.get(uid) {
            self.gc_queue.extend(deps.iter().cloned());
        }
    }

    fn enqueue_gc_if_orphaned(&mut self, obj: &Object) {
        let m = obj.meta();
        if !m.owner_references.is_empty() && garbage_collector::all_owners_gone(self, obj) {
            self.gc_queue.insert((obj.kind(), m.namespace.clone(), m.name.clone()));
        }
    }

    fn ensure_sync(&mut self, ctx: &mut Ctx) {
        if !self.sync_scheduled && (!self.rs_queue.is_empty() || !self.deploy_queue.is_empty() || !self.gc_queue.is_empty() || !self.ns_queue.is_empty()) {
            self.sync_scheduled = true;
            ctx.after(SYNC_DELAY, Timer::ControllerSync);
        }
    }

    pub fn on_timer(&mut self, t: &Timer, ctx: &mut Ctx) {
        match t {
            Timer::ControllerSync => {
                self.sync_scheduled = false;
                for key in std::mem::take(&mut self.deploy_queue) {
                    deployment::sync(self, &key, ctx);
                }
                for key in std::mem::take(&mut self.rs_queue) {
                    replica_set::sync(self, &key, ctx);
                }
                for key in std::mem::take(&mut self.gc_queue) {
                    garbage_collector::sync(self, &key, ctx);
                }
                for ns in std::mem::take(&mut self.ns_queue) {
                    // The namespace controller: delete everything in it, then the namespace.
                    ctx.request(Request::DeleteNamespaceContent(ns));
                }
            }
            Timer::ControllerRequeue => {
                self.requeue_timer = None;
                while let Some(first) = self.delayed.iter().next().cloned() {
                    if first.0 > ctx.now {
                        break;
                    }
                    self.delayed.remove(&first);
                    match first.1 {
                        Requeue::ReplicaSet(k) => {
                            self.rs_queue.insert(k);
                        }
                        Requeue::Namespace(n) => {
                            self.ns_queue.insert(n);
                        }
                    }
                }
                if let Some((t, _)) = self.delayed.iter().next() {
                    self.requeue_timer = Some(*t);
                    ctx.after(t.since(ctx.now), Timer::ControllerRequeue);
                }
            }
            Timer::NodeMonitor => node_lifecycle::monitor(self, ctx),
            Timer::TaintEviction => node_lifecycle::evict_due(self, ctx),
            Timer::PodGc => pod_gc::run(self, ctx),
            _ => {}
        }
        self.ensure_sync(ctx);
    }

    pub fn on_response(&mut self, req: &Request, resp: &Response, ctx: &mut Ctx) {
        if let Request::DeleteNamespaceContent(ns) = req {
            match resp {
                Response::List(left, _) if left.is_empty() => {
                    ctx.request(Request::Delete { key: ObjectKey::new(Kind::Namespace, "", ns), grace_period_seconds: None, uid: None });
                }
                _ => self.requeue_after(Requeue::Namespace(ns.clone()), SimDuration::from_secs(5), ctx),
            }
        }
        if let Request::Create(Object::Pod(p)) = req {
            // A failed create will never be observed: the expectation is lowered.
            if let Some(r) = p.metadata.controller_ref().filter(|r| r.kind == "ReplicaSet") {
                let (ns, name) = (p.metadata.namespace.clone(), r.name.clone());
                replica_set::create_answered(self, &ns, &name, resp.is_ok(), ctx);
                if resp.is_ok() {
                    self.failures.remove(&(ns, name));
                } else {
                    self.requeue_failed((ns, name), ctx);
                }
            }
        }
        self.ensure_sync(ctx);
    }

    pub(crate) fn event(&mut self, obj: &Object, type_: &'static str, reason: &str, msg: &str, component: &'static str, ctx: &mut Ctx) {
        self.event_seq += 1;
        ctx.request(Request::Create(event_for(obj, type_, reason, msg, component, "", ctx.now, self.event_seq)));
    }

    /// Active pods without a controller in a namespace.
    pub(crate) fn orphan_pods(&self, ns: &str) -> Vec<Rc<Object>> {
        self.orphans.get(ns).map(|s| s.iter().filter_map(|n| self.informer.get(&Kind::Pod, ns, n).cloned()).collect()).unwrap_or_default()
    }

    pub(crate) fn owner_exists(&self, uid: &str) -> bool {
        self.by_uid.contains_key(uid)
    }

    pub(crate) fn dependents_of(&self, uid: &str) -> Vec<Rc<Object>> {
        self.dependents.get(uid).map(|s| s.iter().filter_map(|(k, ns, n)| self.informer.get(k, ns, n).cloned()).collect()).unwrap_or_default()
    }
}
