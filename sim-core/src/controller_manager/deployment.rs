//! The Deployment controller (pkg/controller/deployment), first cut: it owns
//! ReplicaSets named `<deployment>-<pod-template-hash>`, keeps the one matching the
//! current template at spec.replicas and scales the others to zero, and reports status
//! and the Available / Progressing conditions. (Rolling updates that honour maxSurge
//! and maxUnavailable come with their own issue.)
//!
//! The hash is FNV-32a over the template, printed in decimal and mapped through
//! SafeEncodeString as upstream does; upstream hashes Go's spew dump of the struct,
//! ksim hashes its canonical JSON, so hash values differ from a real cluster's.

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::deployment::{Deployment, DeploymentCondition};
use crate::api::meta::{OwnerReference, Time};
use crate::api::pod::PodTemplateSpec;
use crate::api::replica_set::{ReplicaSet, ReplicaSetSpec};
use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::etcd::WatchEvent;
use std::rc::Rc;

pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";

/// rand.SafeEncodeString's alphabet.
const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

pub fn fnv32a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in data {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

/// controller.ComputeHash.
pub fn compute_hash(template: &PodTemplateSpec, collision_count: Option<i32>) -> String {
    let mut bytes = serde_json::to_vec(template).unwrap_or_default();
    if let Some(c) = collision_count {
        bytes.extend_from_slice(&(c as u32).to_le_bytes());
        bytes.extend_from_slice(&[0, 0, 0, 0]);
    }
    fnv32a(&bytes).to_string().bytes().map(|b| ALPHANUMS[(b as usize) % ALPHANUMS.len()] as char).collect()
}

fn template_without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    t.metadata.labels.remove(POD_TEMPLATE_HASH);
    t
}

/// maxSurge (rounded up) and maxUnavailable (rounded down); both 0 → maxUnavailable 1.
pub fn resolve_fenceposts(d: &Deployment) -> (i32, i32) {
    let replicas = d.replicas();
    let ru = d.spec.strategy.as_ref().and_then(|s| s.rolling_update.as_ref());
    let surge = ru.and_then(|r| r.max_surge.as_ref()).map_or(Ok(0), |v| v.scaled_value(replicas, true)).unwrap_or(0);
    let unavail = ru.and_then(|r| r.max_unavailable.as_ref()).map_or(Ok(0), |v| v.scaled_value(replicas, false)).unwrap_or(0);
    if surge == 0 && unavail == 0 {
        (0, 1)
    } else {
        (surge, unavail)
    }
}

pub struct DeploymentController {
    queue: WorkQueue<NsName>,
}

impl Default for DeploymentController {
    fn default() -> Self {
        DeploymentController { queue: WorkQueue::new(Order::Fifo) }
    }
}

impl Controller for DeploymentController {
    type Key = NsName;
    const NAME: &'static str = "deployment-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Deployment | Kind::ReplicaSet)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        let m = ev.object.meta();
        match &*ev.object {
            Object::Deployment(_) => self.queue.add((m.namespace.clone(), m.name.clone())),
            Object::ReplicaSet(rs) => {
                if let Some(r) = rs.metadata.controller_ref().filter(|r| r.kind == "Deployment") {
                    self.queue.add((m.namespace.clone(), r.name.clone()));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        sync(inf, key, ctx);
        Synced::Pending
    }
}

fn sync(inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) {
    let Some(obj) = inf.get(&Kind::Deployment, &key.0, &key.1).cloned() else { return };
    let d = obj.as_deployment().expect("deployment");
    if d.metadata.deletion_timestamp.is_some() {
        return;
    }
    let owned: Vec<Rc<Object>> = inf
        .dependents_of(&d.metadata.uid)
        .into_iter()
        .filter(|o| o.as_replica_set().is_some_and(|rs| rs.metadata.controller_ref().map(|r| &r.uid) == Some(&d.metadata.uid)))
        .collect();
    let want = template_without_hash(&d.spec.template);
    let new_rs = owned.iter().filter_map(|o| o.as_replica_set()).find(|rs| template_without_hash(&rs.spec.template) == want);
    let replicas = d.replicas();
    let (surge, _) = resolve_fenceposts(d);
    let max_revision = owned.iter().filter_map(|o| o.meta().annotations.get(REVISION)).filter_map(|r| r.parse::<i64>().ok()).max().unwrap_or(0);
    match new_rs {
        None => {
            let rs = new_replica_set(d, replicas, surge, max_revision + 1);
            let msg = format!("Scaled up replica set {} from 0 to {replicas}", rs.metadata.name);
            ctx.request(Request::Create(Object::ReplicaSet(Box::new(rs))));
            ctx.event(&obj, "Normal", "ScalingReplicaSet", &msg);
        }
        Some(rs) if rs.replicas() != replicas => {
            let mut n = rs.clone();
            let from = rs.replicas();
            n.spec.replicas = Some(replicas);
            n.metadata.annotations.insert(DESIRED_REPLICAS.into(), replicas.to_string());
            n.metadata.annotations.insert(MAX_REPLICAS.into(), replicas.saturating_add(surge).to_string());
            ctx.request(Request::Update(Object::ReplicaSet(Box::new(n))));
            let dir = if replicas > from { "up" } else { "down" };
            ctx.event(&obj, "Normal", "ScalingReplicaSet", &format!("Scaled {dir} replica set {} from {from} to {replicas}", rs.metadata.name));
        }
        Some(_) => {}
    }
    let new_name = new_rs.map(|rs| rs.metadata.name.clone());
    for o in &owned {
        let rs = o.as_replica_set().expect("rs");
        if Some(&rs.metadata.name) != new_name.as_ref() && rs.replicas() > 0 {
            let mut n = rs.clone();
            n.spec.replicas = Some(0);
            ctx.request(Request::Update(Object::ReplicaSet(Box::new(n))));
            ctx.event(&obj, "Normal", "ScalingReplicaSet", &format!("Scaled down replica set {} from {} to 0", rs.metadata.name, rs.replicas()));
        }
    }
    update_status(d, &owned, new_rs, ctx);
}

fn new_replica_set(d: &Deployment, replicas: i32, surge: i32, revision: i64) -> ReplicaSet {
    let hash = compute_hash(&d.spec.template, d.status.collision_count);
    let mut template = d.spec.template.clone();
    template.metadata.labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
    let mut selector = d.spec.selector.clone().unwrap_or_default();
    selector.match_labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
    let mut rs = ReplicaSet::default();
    rs.metadata.name = format!("{}-{hash}", d.metadata.name);
    rs.metadata.namespace = d.metadata.namespace.clone();
    rs.metadata.labels = template.metadata.labels.clone();
    for (k, v) in &d.metadata.annotations {
        if k != "kubectl.kubernetes.io/last-applied-configuration" && k != REVISION {
            rs.metadata.annotations.insert(k.clone(), v.clone());
        }
    }
    rs.metadata.annotations.insert(REVISION.into(), revision.to_string());
    rs.metadata.annotations.insert(DESIRED_REPLICAS.into(), replicas.to_string());
    rs.metadata.annotations.insert(MAX_REPLICAS.into(), replicas.saturating_add(surge).to_string());
    rs.metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.metadata.name.clone(),
        uid: d.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }];
    rs.spec = ReplicaSetSpec { replicas: Some(replicas), min_ready_seconds: d.spec.min_ready_seconds, selector: Some(selector), template };
    rs
}

fn set_condition(conds: &mut Vec<DeploymentCondition>, type_: &str, status: &str, reason: &str, message: String, now: Time) {
    if let Some(c) = conds.iter().find(|c| c.type_ == type_) {
        if c.status == status && c.reason == reason && c.message == message {
            return;
        }
    }
    let transition = conds.iter().find(|c| c.type_ == type_ && c.status == status).and_then(|c| c.last_transition_time).unwrap_or(now);
    conds.retain(|c| c.type_ != type_);
    conds.push(DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        last_update_time: Some(now),
        last_transition_time: Some(transition),
        reason: reason.into(),
        message,
    });
}

fn update_status(d: &Deployment, owned: &[Rc<Object>], new_rs: Option<&ReplicaSet>, ctx: &mut ControllerCtx) {
    let rss: Vec<&ReplicaSet> = owned.iter().filter_map(|o| o.as_replica_set()).collect();
    let mut st = d.status.clone();
    st.observed_generation = d.metadata.generation;
    st.replicas = rss.iter().map(|r| r.status.replicas).sum();
    st.updated_replicas = new_rs.map_or(0, |r| r.status.replicas);
    st.ready_replicas = rss.iter().map(|r| r.status.ready_replicas).sum();
    st.available_replicas = rss.iter().map(|r| r.status.available_replicas).sum();
    let total: i32 = rss.iter().map(|r| r.replicas()).sum();
    st.unavailable_replicas = (total - st.available_replicas).max(0);
    let (_, max_unavailable) = resolve_fenceposts(d);
    let now = ctx.now_time();
    if st.available_replicas >= d.replicas() - max_unavailable {
        set_condition(&mut st.conditions, "Available", "True", "MinimumReplicasAvailable", "Deployment has minimum availability.".into(), now);
    } else {
        set_condition(&mut st.conditions, "Available", "False", "MinimumReplicasUnavailable", "Deployment does not have minimum availability.".into(), now);
    }
    if let Some(rs) = new_rs {
        let complete = st.updated_replicas == d.replicas() && st.replicas == d.replicas() && st.available_replicas == d.replicas();
        if complete {
            set_condition(
                &mut st.conditions,
                "Progressing",
                "True",
                "NewReplicaSetAvailable",
                format!("ReplicaSet {:?} has successfully progressed.", rs.metadata.name),
                now,
            );
        } else {
            set_condition(&mut st.conditions, "Progressing", "True", "ReplicaSetUpdated", format!("ReplicaSet {:?} is progressing.", rs.metadata.name), now);
        }
    }
    if st != d.status {
        let mut n = d.clone();
        n.status = st;
        n.metadata.resource_version.0 = 0;
        ctx.request(Request::UpdateStatus(Object::Deployment(Box::new(n))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_use_the_safe_alphabet_of_digits() {
        let h = compute_hash(&PodTemplateSpec::default(), None);
        assert!(!h.is_empty() && h.len() <= 10);
        assert!(h.chars().all(|c| "456789bcdf".contains(c)), "{h}");
        assert_ne!(h, compute_hash(&PodTemplateSpec::default(), Some(1)));
        assert_eq!(fnv32a(b""), 0x811c9dc5);
        assert_eq!(fnv32a(b"a"), 0xe40c292c);
    }

    #[test]
    fn fenceposts_round_like_upstream() {
        let mut d = Deployment::default();
        d.spec.replicas = Some(10);
        let mut o = Object::Deployment(Box::new(d));
        crate::apiserver::defaults::apply(&mut o);
        let Object::Deployment(d) = o else { unreachable!() };
        assert_eq!(resolve_fenceposts(&d), (3, 2));
        let mut one = d.clone();
        one.spec.replicas = Some(1);
        assert_eq!(resolve_fenceposts(&one), (1, 0));
    }
}
