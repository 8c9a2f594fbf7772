//! The Deployment controller (pkg/controller/deployment/deployment_controller.go):
//! syncDeployment claims the Deployment's ReplicaSets (adopting matching orphans,
//! releasing those that no longer match), then — deleted: status only; paused or a
//! scaling event: `sync` (proportional scaling); else the strategy's rollout
//! (`rolling.rs`, `recreate.rs`) — and reports progress (`progress.rs`).
//!
//! Upstream's client calls are synchronous inside a sync; ksim's go through the apiserver
//! and are answered later, so a Deployment stays "processing" (not synced again; changes
//! meanwhile mark it dirty) until every write of its sync is answered, as upstream's
//! worker is busy until its calls return. Writes carry the resourceVersion the sync read,
//! so a stale read conflicts as it would upstream; a failed write requeues the Deployment
//! through the rate limiter. Events (`ScalingReplicaSet` "Scaled up replica set NAME from
//! 0 to 3", `ReplicaSetCreateError`) are recorded when the answer arrives.

pub mod progress;
pub mod recreate;
pub mod rolling;
pub mod sync;
#[cfg(test)]
mod tests;
pub mod util;

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::deployment::Deployment;
use crate::api::pod::Pod;
use crate::api::replica_set::ReplicaSet;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response, NAMESPACE_TERMINATING_CAUSE};
use crate::engine::SimDuration;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, VecDeque};
pub use sync::{compute_hash, fnv32a};
use sync::{Plan, Write};
pub use util::{resolve_fenceposts, DESIRED_REPLICAS, MAX_REPLICAS, POD_TEMPLATE_HASH, REVISION};

/// A write of a sync, waiting for its answer.
#[derive(Clone, Debug)]
struct Pending {
    deployment: NsName,
    what: PendingWhat,
}

#[derive(Clone, Debug)]
enum PendingWhat {
    Create { replicas: i32 },
    Scale(Option<(&'static str, i32, i32)>),
    Delete,
    Status,
}

/// The writes of one Deployment's sync still unanswered.
#[derive(Debug, Default)]
struct Flight {
    unanswered: usize,
    failed: bool,
}

pub struct DeploymentController {
    queue: WorkQueue<NsName>,
    pending: BTreeMap<ObjectKey, VecDeque<Pending>>,
    flights: BTreeMap<NsName, Flight>,
}

impl Default for DeploymentController {
    fn default() -> Self {
        DeploymentController { queue: WorkQueue::new(Order::Fifo), pending: BTreeMap::new(), flights: BTreeMap::new() }
    }
}

fn key_of(o: &Object) -> NsName {
    (o.meta().namespace.to_string(), o.meta().name.to_string())
}

impl Controller for DeploymentController {
    type Key = NsName;
    const NAME: &'static str = "deployment-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::Pod)
    }

    /// addDeployment/updateDeployment/deleteDeployment, addReplicaSet/updateReplicaSet/
    /// deleteReplicaSet (the owner, or for an orphan every Deployment that selects it),
    /// and deletePod (a Recreate rollout waits for the old pods to be gone).
    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::Deployment(_) => self.queue.add(key_of(&ev.object)),
            Object::ReplicaSet(rs) => {
                self.enqueue_rs_owner(inf, rs);
                if let Some(prev) = ev.prev.as_ref().and_then(|o| o.as_replica_set()) {
                    if prev.metadata.controller_ref() != rs.metadata.controller_ref() || prev.metadata.labels != rs.metadata.labels {
                        self.enqueue_rs_owner(inf, prev);
                    }
                }
            }
            Object::Pod(p) if ev.type_ == WatchEventType::Deleted => {
                if let Some(d) = deployment_of_pod(inf, p).filter(|d| util::is_recreate(d)) {
                    self.queue.add((d.metadata.namespace.to_string(), d.metadata.name.to_string()));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::Deployment, &key.0, &key.1).cloned() else { return Synced::Done };
        let d = obj.as_deployment().expect("deployment");
        let plan = plan_sync(inf, d, ctx.now_time());
        if let Some(after) = plan.requeue_after_ms {
            ctx.requeue_after(&mut self.queue, key.clone(), SimDuration::from_ms(after));
        }
        if plan.requeue_rate_limited {
            ctx.requeue_rate_limited(&mut self.queue, key.clone());
        }
        if plan.writes.is_empty() {
            return Synced::Done;
        }
        self.send(key, &obj, plan.writes, ctx);
        if self.flights.get(key).is_some_and(|f| f.unanswered > 0) {
            Synced::Processing
        } else {
            Synced::Done
        }
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        let key = req.key();
        let Some(p) = self.pending.get_mut(&key).and_then(VecDeque::pop_front) else { return };
        if self.pending.get(&key).is_some_and(VecDeque::is_empty) {
            self.pending.remove(&key);
        }
        let failed = self.answered(inf, &p, req, resp, ctx);
        let flight = self.flights.get_mut(&p.deployment).expect("a flight for every pending write");
        assert!(flight.unanswered > 0, "deployment writes: an answer for a write that was not sent");
        flight.unanswered -= 1;
        flight.failed |= failed;
        if flight.unanswered == 0 {
            let failed = flight.failed;
            self.flights.remove(&p.deployment);
            if failed {
                ctx.requeue_rate_limited(&mut self.queue, p.deployment.clone());
            } else {
                self.queue.forget(&p.deployment);
            }
            self.queue.done(&p.deployment);
        }
    }
}

/// The Deployment that owns the ReplicaSet that owns `p`.
fn deployment_of_pod<'a>(inf: &'a SharedInformers, p: &Pod) -> Option<&'a Deployment> {
    let r = p.metadata.controller_ref().filter(|r| r.kind == "ReplicaSet")?;
    let rs = inf.get(&Kind::ReplicaSet, &p.metadata.namespace, &r.name)?.as_replica_set()?;
    let d = rs.metadata.controller_ref().filter(|r| r.kind == "Deployment")?;
    inf.get(&Kind::Deployment, &p.metadata.namespace, &d.name)?.as_deployment()
}

impl DeploymentController {
    fn enqueue_rs_owner(&mut self, inf: &SharedInformers, rs: &ReplicaSet) {
        let ns = &rs.metadata.namespace;
        match rs.metadata.controller_ref() {
            Some(r) if r.kind == "Deployment" => self.queue.add((ns.to_string(), r.name.clone())),
            Some(_) => {}
            // getDeploymentsForReplicaSet: every Deployment whose selector matches an orphan.
            None => {
                for d in inf.list_ns(&Kind::Deployment, ns).filter_map(|o| o.as_deployment()) {
                    if d.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(&rs.metadata.labels)) {
                        self.queue.add((ns.to_string(), d.metadata.name.to_string()));
                    }
                }
            }
        }
    }

    /// Sends a sync's writes, each answered back here.
    fn send(&mut self, key: &NsName, obj: &Object, writes: Vec<Write>, ctx: &mut ControllerCtx) {
        for w in writes {
            let (req, what) = match w {
                Write::Event { type_, reason, message } => {
                    ctx.event(obj, type_, reason, &message);
                    continue;
                }
                Write::CreateReplicaSet(rs) => {
                    let replicas = rs.replicas();
                    (Request::Create(Object::ReplicaSet(Box::new(rs))), PendingWhat::Create { replicas })
                }
                Write::UpdateReplicaSet { rs, scaled } => (Request::Update(Object::ReplicaSet(Box::new(rs))), PendingWhat::Scale(scaled)),
                Write::DeleteReplicaSet(rs) => (
                    Request::Delete {
                        key: Box::new(ObjectKey::new(Kind::ReplicaSet, &rs.metadata.namespace, &rs.metadata.name)),
                        grace_period_seconds: None,
                        uid: Some(rs.metadata.uid.to_string()),
                    },
                    PendingWhat::Delete,
                ),
                Write::UpdateStatus(d) => (Request::UpdateStatus(Object::Deployment(d)), PendingWhat::Status),
            };
            self.pending.entry(req.key()).or_default().push_back(Pending { deployment: key.clone(), what });
            self.flights.entry(key.clone()).or_default().unanswered += 1;
            ctx.request_reply(req);
        }
    }

    /// Records what an answer means; returns whether the write failed.
    fn answered(&mut self, inf: &SharedInformers, p: &Pending, req: &Request, resp: &Response, ctx: &mut ControllerCtx) -> bool {
        let Some(d_obj) = inf.get(&Kind::Deployment, &p.deployment.0, &p.deployment.1).cloned() else { return false };
        match (&p.what, resp) {
            (PendingWhat::Create { replicas }, Response::Object(rs)) => {
                if *replicas > 0 {
                    ctx.event(&d_obj, "Normal", "ScalingReplicaSet", &format!("Scaled up replica set {} from 0 to {replicas}", rs.meta().name));
                }
                false
            }
            (PendingWhat::Create { .. }, Response::Error(st)) => {
                let Request::Create(Object::ReplicaSet(want)) = req else { return true };
                self.create_failed(inf, &d_obj, want, st, ctx)
            }
            (PendingWhat::Scale(Some((op, from, to))), Response::Object(rs)) => {
                ctx.event(&d_obj, "Normal", "ScalingReplicaSet", &format!("Scaled {op} replica set {} from {from} to {to}", rs.meta().name));
                false
            }
            (PendingWhat::Delete, Response::Error(st)) => st.reason != "NotFound",
            (_, Response::Error(_)) => true,
            _ => false,
        }
    }

    /// getNewReplicaSet's error cases: AlreadyExists is fine when it is this Deployment's
    /// ReplicaSet for this template, else a hash collision (collisionCount + 1); a
    /// terminating namespace is quiet; any other error is ReplicaSetCreateError.
    fn create_failed(&mut self, inf: &SharedInformers, d_obj: &Object, want: &ReplicaSet, st: &crate::apiserver::Status, ctx: &mut ControllerCtx) -> bool {
        let d = d_obj.as_deployment().expect("deployment");
        if st.reason == "AlreadyExists" {
            let existing = inf.get(&Kind::ReplicaSet, &want.metadata.namespace, &want.metadata.name).and_then(|o| o.as_replica_set());
            let ours = existing.is_some_and(|rs| {
                rs.metadata.controller_ref().is_some_and(|r| r.uid == d.metadata.uid) && util::equal_ignore_hash(&d.spec.template, &rs.spec.template)
            });
            if ours {
                return false;
            }
            let mut nd = d.clone();
            *nd.status.collision_count.get_or_insert(0) += 1;
            ctx.request(Request::UpdateStatus(Object::Deployment(Box::new(nd))));
            return true;
        }
        if st.cause == Some(NAMESPACE_TERMINATING_CAUSE) {
            return true;
        }
        let msg = format!("Failed to create new replica set {:?}: {}", want.metadata.name, st.message);
        if util::has_progress_deadline(d) {
            let mut nd = d.clone();
            let c = util::new_condition(util::PROGRESSING, "False", util::FAILED_RS_CREATE_REASON, msg.clone(), ctx.now_time());
            util::set_condition(&mut nd.status, c);
            ctx.request(Request::UpdateStatus(Object::Deployment(Box::new(nd))));
        }
        ctx.event(d_obj, "Warning", util::FAILED_RS_CREATE_REASON, &msg);
        true
    }
}

/// getReplicaSetsForDeployment (ClaimReplicaSets): the ReplicaSets this Deployment
/// controls, adopting matching orphans and releasing those that no longer match.
fn claim_replica_sets(inf: &SharedInformers, p: &mut Plan) -> Vec<ReplicaSet> {
    let d = &p.d;
    let selector = d.spec.selector.clone().unwrap_or_default();
    let mut out = Vec::new();
    for rs in inf.list_ns(&Kind::ReplicaSet, &d.metadata.namespace).filter_map(|o| o.as_replica_set()) {
        match rs.metadata.controller_ref() {
            Some(r) if r.uid == d.metadata.uid => {
                if selector.matches(&rs.metadata.labels) {
                    out.push(rs.clone());
                } else if d.metadata.rare.deletion_timestamp.is_none() {
                    let mut released = rs.clone();
                    released.metadata.owner_references.retain(|o| o.uid != d.metadata.uid);
                    p.writes.push(Write::UpdateReplicaSet { rs: released, scaled: None });
                }
            }
            None if d.metadata.rare.deletion_timestamp.is_none() && !selector.is_empty() && selector.matches(&rs.metadata.labels) => {
                let mut adopted = rs.clone();
                adopted.metadata.owner_references.push(crate::controller_manager::controller_utils::controller_ref(
                    "apps/v1",
                    "Deployment",
                    &d.metadata.name,
                    &d.metadata.uid,
                ));
                out.push(adopted.clone());
                p.writes.push(Write::UpdateReplicaSet { rs: adopted, scaled: None });
            }
            _ => {}
        }
    }
    out
}

/// getPodMapForDeployment: the pods that match the Deployment's selector, grouped by the
/// ReplicaSet of `rs_list` that controls them (every ReplicaSet has an entry).
fn pod_map_for_deployment(inf: &SharedInformers, d: &Deployment, rs_list: &[ReplicaSet]) -> recreate::PodMap {
    let selector = d.spec.selector.clone().unwrap_or_default();
    let mut map = recreate::PodMap::new();
    for rs in rs_list {
        let dependents = inf.dependents_of(&rs.metadata.uid);
        let pods = dependents.iter().filter_map(|o| o.as_pod());
        let owned = pods.filter(|pod| pod.metadata.controller_ref().is_some_and(|r| r.uid == rs.metadata.uid) && selector.matches(&pod.metadata.labels));
        map.insert(rs.metadata.uid.to_string(), owned.cloned().collect());
    }
    map
}

/// syncDeployment: what one sync of `d` writes.
pub fn plan_sync(inf: &SharedInformers, d: &Deployment, now: crate::api::meta::Time) -> Plan {
    let mut p = Plan::new(d.clone(), now);
    if d.spec.selector.as_ref().is_none_or(|s| s.is_empty()) {
        p.writes.push(Write::Event {
            type_: "Warning",
            reason: "SelectingAll",
            message: "This deployment is selecting all pods. A non-empty selector is required.".into(),
        });
        if p.d.status.observed_generation < p.d.metadata.rare.generation {
            p.d.status.observed_generation = p.d.metadata.rare.generation;
            p.writes.push(Write::UpdateStatus(Box::new(p.d.clone())));
        }
        return p;
    }
    let rs_list = claim_replica_sets(inf, &mut p);
    if d.metadata.rare.deletion_timestamp.is_some() {
        let (new, old) = sync::get_all_replica_sets_and_sync_revision(&mut p, &rs_list, false);
        let mut all = old;
        all.extend(new.clone());
        sync::sync_deployment_status(&mut p, &all, new.as_ref());
        return p;
    }
    sync::check_paused_conditions(&mut p);
    if d.spec.paused == Some(true) || sync::is_scaling_event(&mut p, &rs_list) {
        sync::sync(&mut p, &rs_list);
        return p;
    }
    if util::is_recreate(d) {
        let pod_map = pod_map_for_deployment(inf, d, &rs_list);
        recreate::rollout_recreate(&mut p, &rs_list, &pod_map);
    } else {
        rolling::rollout_rolling(&mut p, &rs_list);
    }
    p
}
