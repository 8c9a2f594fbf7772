//! The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): claim pods
//! (adopt matching orphans, release non-matching ones), converge the active pods to
//! spec.replicas — creating at most 500 per sync (burstReplicas) and deleting in
//! upstream's ActivePodsWithRanks order — with expectations so a sync never acts twice
//! on the same unobserved change, and report status.
//! Creations go out in slow-start batches (1, 2, 4, …): each batch is sent when every
//! create of the previous one has been answered, and a failure stops the rest
//! (controller.slowStartBatch). Difference: ksim records one `SuccessfulCreate` event
//! per batch rather than one per pod.

use super::controller_utils::{self, is_pod_active, ready_time, ControllerExpectations, SlowStart};
use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::meta::OwnerReference;
use crate::api::pod::Pod;
use crate::api::replica_set::ReplicaSet;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::SimDuration;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub const BURST_REPLICAS: usize = 500;
pub use controller_utils::POD_DELETION_COST;

pub struct ReplicaSetController {
    queue: WorkQueue<NsName>,
    expectations: ControllerExpectations<NsName>,
    slow_start: BTreeMap<NsName, SlowStart>,
}

impl Default for ReplicaSetController {
    fn default() -> Self {
        ReplicaSetController { queue: WorkQueue::without_bucket(Order::Sorted), expectations: Default::default(), slow_start: BTreeMap::new() }
    }
}

pub fn controller_ref(rs: &ReplicaSet) -> OwnerReference {
    controller_utils::controller_ref("apps/v1", "ReplicaSet", &rs.metadata.name, &rs.metadata.uid)
}

/// GetPodFromTemplate for a ReplicaSet: generateName `<rs>-`.
pub fn pod_from_template(rs: &ReplicaSet) -> Pod {
    controller_utils::pod_from_template(&rs.spec.template, &rs.metadata.namespace, format!("{}-", rs.metadata.name), controller_ref(rs))
}

impl Controller for ReplicaSetController {
    type Key = NsName;
    const NAME: &'static str = "replicaset-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Pod | Kind::ReplicaSet)
    }

    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        let m = ev.object.meta();
        match &*ev.object {
            Object::ReplicaSet(_) => self.queue.add((m.namespace.clone(), m.name.clone())),
            Object::Pod(p) => {
                self.observe_pod(ev, p);
                self.enqueue_pod_owner(inf, p);
                if let Some(prev) = ev.prev.as_ref().and_then(|o| o.as_pod()) {
                    if prev.metadata.labels != p.metadata.labels {
                        self.enqueue_pod_owner(inf, prev);
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::ReplicaSet, &key.0, &key.1).cloned() else {
            self.expectations.delete(key);
            return Synced::Pending;
        };
        let rs = obj.as_replica_set().expect("rs");
        let Some(selector) = rs.spec.selector.clone() else { return Synced::Pending };
        let mut owned: Vec<Rc<Object>> = Vec::new();
        // Claim: owned pods that still match stay; those that do not are released.
        for o in inf.dependents_of(&rs.metadata.uid) {
            let Some(p) = o.as_pod() else { continue };
            if p.metadata.controller_ref().map(|r| &r.uid) != Some(&rs.metadata.uid) {
                continue;
            }
            if selector.matches(&p.metadata.labels) {
                owned.push(o.clone());
            } else if rs.metadata.deletion_timestamp.is_none() {
                let mut np = p.clone();
                np.metadata.owner_references.retain(|r| r.uid != rs.metadata.uid);
                np.metadata.resource_version.0 = 0;
                ctx.request(Request::Update(Object::Pod(np)));
            }
        }
        // Adopt matching active orphans.
        if rs.metadata.deletion_timestamp.is_none() && !selector.is_empty() {
            let orphans: Vec<Rc<Object>> = inf
                .orphan_pods(&key.0)
                .into_iter()
                .filter(|o| o.as_pod().is_some_and(|p| p.metadata.controller_ref().is_none() && is_pod_active(p) && selector.matches(&p.metadata.labels)))
                .collect();
            for o in orphans {
                let mut np = o.as_pod().expect("pod").clone();
                np.metadata.owner_references.push(controller_ref(rs));
                ctx.request(Request::Update(Object::Pod(np)));
                owned.push(o);
            }
        }
        let active: Vec<&Pod> = owned.iter().filter_map(|o| o.as_pod()).filter(|p| is_pod_active(p)).collect();
        if self.expectations.satisfied(key) && rs.metadata.deletion_timestamp.is_none() {
            self.manage_replicas(inf, rs, &obj, &active, ctx);
        }
        self.update_status(rs, &active, ctx);
        Synced::Pending
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        let Request::Create(Object::Pod(p)) = req else { return };
        // A failed create will never be observed: the expectation is lowered.
        let Some(r) = p.metadata.controller_ref().filter(|r| r.kind == "ReplicaSet") else { return };
        let key = (p.metadata.namespace.clone(), r.name.clone());
        self.create_answered(inf, &key, resp.is_ok(), ctx);
        if resp.is_ok() {
            self.queue.forget(&key);
        } else {
            ctx.requeue_rate_limited(&mut self.queue, key);
        }
    }
}

impl ReplicaSetController {
    /// Lowers expectations as creations and deletions are observed.
    fn observe_pod(&mut self, ev: &WatchEvent, p: &Pod) {
        let Some(r) = p.metadata.controller_ref() else { return };
        let key = (p.metadata.namespace.clone(), r.name.clone());
        if ev.type_ == WatchEventType::Added {
            self.expectations.creation_observed(&key);
        }
        if ev.type_ == WatchEventType::Deleted || p.metadata.deletion_timestamp.is_some() {
            self.expectations.deletion_observed(&key, &p.metadata.uid);
        }
    }

    fn enqueue_pod_owner(&mut self, inf: &SharedInformers, p: &Pod) {
        match p.metadata.controller_ref() {
            Some(r) if r.kind == "ReplicaSet" => self.queue.add((p.metadata.namespace.clone(), r.name.clone())),
            Some(_) => {}
            None => {
                // An orphan: every ReplicaSet in the namespace whose selector matches may adopt it.
                let ns = &p.metadata.namespace;
                for rs in inf.list_ns(&Kind::ReplicaSet, ns).filter_map(|o| o.as_replica_set()) {
                    if rs.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(&p.metadata.labels)) {
                        self.queue.add((ns.clone(), rs.metadata.name.clone()));
                    }
                }
            }
        }
    }

    fn manage_replicas(&mut self, inf: &SharedInformers, rs: &ReplicaSet, obj: &Object, active: &[&Pod], ctx: &mut ControllerCtx) {
        let key = (rs.metadata.namespace.clone(), rs.metadata.name.clone());
        let want = rs.replicas().max(0) as usize;
        if active.len() < want {
            let n = (want - active.len()).min(BURST_REPLICAS);
            self.expectations.expect_creations(key.clone(), n);
            let (ss, batch) = SlowStart::begin(n);
            self.slow_start.insert(key, ss);
            send_batch(rs, obj, batch, ctx);
        } else if active.len() > want {
            let n = (active.len() - want).min(BURST_REPLICAS);
            let related = related_pods(inf, rs);
            let related: Vec<&Pod> = related.iter().filter_map(|o| o.as_pod()).collect();
            let victims = controller_utils::pods_to_delete(active, &related, n, ctx.now());
            let uids: BTreeSet<String> = victims.iter().map(|p| p.metadata.uid.clone()).collect();
            self.expectations.expect_deletions(key, uids);
            for p in &victims {
                ctx.request(Request::Delete {
                    key: ObjectKey::new(Kind::Pod, &p.metadata.namespace, &p.metadata.name),
                    grace_period_seconds: None,
                    uid: Some(p.metadata.uid.clone()),
                });
            }
            for p in victims {
                ctx.event(obj, "Normal", "SuccessfulDelete", &format!("Deleted pod: {}", p.metadata.name));
            }
        }
    }

    /// A create of `key`'s was answered: send the next slow-start batch when this one is done.
    fn create_answered(&mut self, inf: &SharedInformers, key: &NsName, ok: bool, ctx: &mut ControllerCtx) {
        if !ok {
            self.expectations.creation_observed(key);
        }
        let Some(ss) = self.slow_start.get_mut(key) else { return };
        let next = ss.answered(ok);
        let obj = inf.get(&Kind::ReplicaSet, &key.0, &key.1).cloned();
        let live = obj.as_ref().and_then(|o| o.as_replica_set()).filter(|r| r.metadata.deletion_timestamp.is_none());
        if next > 0 {
            if let Some(rs) = live {
                send_batch(rs, obj.as_deref().expect("rs"), next, ctx);
                return;
            }
            // The ReplicaSet is gone or going: the batch just granted is not sent.
            ss.in_flight = 0;
            ss.remaining += next;
            ss.failed = true;
        }
        if ss.done() {
            // Done, or stopped by a failure: the skipped creations will never be observed.
            let skipped = ss.remaining as i64;
            self.slow_start.remove(key);
            self.expectations.lower_adds(key, skipped);
            self.queue.add(key.clone());
        }
    }

    fn update_status(&mut self, rs: &ReplicaSet, active: &[&Pod], ctx: &mut ControllerCtx) {
        let min_ready = rs.spec.min_ready_seconds.unwrap_or(0).max(0) as u64;
        let template_labels = &rs.spec.template.metadata.labels;
        let mut st = rs.status.clone();
        st.replicas = active.len() as i32;
        st.fully_labeled_replicas = active.iter().filter(|p| template_labels.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v))).count() as i32;
        st.ready_replicas = active.iter().filter(|p| p.is_ready()).count() as i32;
        st.available_replicas = active.iter().filter(|p| ready_time(p).is_some_and(|t| ctx.now().since(t.0).as_ms() >= min_ready * 1000)).count() as i32;
        st.observed_generation = rs.metadata.generation;
        // Pods ready but not yet available: look again when the first becomes available.
        let now = ctx.now().as_ms();
        let next = active.iter().filter_map(|p| ready_time(p)).map(|t| t.0.as_ms() + min_ready * 1000).filter(|at| *at > now).min();
        if let Some(at) = next {
            ctx.requeue_after(&mut self.queue, (rs.metadata.namespace.clone(), rs.metadata.name.clone()), SimDuration::from_ms(at - now));
        }
        if st != rs.status {
            let mut n = rs.clone();
            n.status = st;
            n.metadata.resource_version.0 = 0;
            ctx.request(Request::UpdateStatus(Object::ReplicaSet(Box::new(n))));
        }
    }
}

fn send_batch(rs: &ReplicaSet, obj: &Object, n: usize, ctx: &mut ControllerCtx) {
    for _ in 0..n {
        ctx.request_reply(Request::Create(Object::Pod(pod_from_template(rs))));
    }
    let msg = if n == 1 { "Created pod".to_string() } else { format!("Created {n} pods") };
    ctx.event(obj, "Normal", "SuccessfulCreate", &msg);
}

/// Active pods of every ReplicaSet with the same controller (e.g. all of a Deployment's).
fn related_pods(inf: &SharedInformers, rs: &ReplicaSet) -> Vec<Rc<Object>> {
    let Some(owner) = rs.metadata.controller_ref() else { return Vec::new() };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for sib in inf.dependents_of(&owner.uid) {
        let Some(s) = sib.as_replica_set() else { continue };
        for p in inf.dependents_of(&s.metadata.uid) {
            if p.as_pod().is_some_and(is_pod_active) && seen.insert(p.meta().uid.clone()) {
                out.push(p);
            }
        }
    }
    out
}
