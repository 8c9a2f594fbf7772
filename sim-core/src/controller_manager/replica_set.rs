//! The ReplicaSet controller (pkg/controller/replicaset): claim pods (adopt matching
//! orphans, release non-matching ones), converge the active pods to spec.replicas —
//! creating at most 500 per sync (burstReplicas) and deleting in upstream's
//! ActivePodsWithRanks order — with expectations so a sync never acts twice on the
//! same unobserved change, and report status.
//! Creations go out in slow-start batches (1, 2, 4, …): each batch is sent when every
//! create of the previous one has been answered, and a failure stops the rest
//! (controller.slowStartBatch). Difference: ksim records one `SuccessfulCreate` event
//! per batch rather than one per pod.

use super::{ControllerManager, NsName};
use crate::api::meta::{OwnerReference, Time};
use crate::api::pod::Pod;
use crate::api::replica_set::ReplicaSet;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub const BURST_REPLICAS: usize = 500;
pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
const COMPONENT: &str = "replicaset-controller";

#[derive(Default, Debug)]
struct Expectations {
    adds: i64,
    deletes: BTreeSet<String>,
}

/// A scale-up in progress (slowStartBatch).
#[derive(Debug)]
struct SlowStart {
    remaining: usize,
    batch: usize,
    in_flight: usize,
    failed: bool,
}

#[derive(Default)]
pub struct ReplicaSetController {
    expectations: BTreeMap<NsName, Expectations>,
    slow_start: BTreeMap<NsName, SlowStart>,
}

pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

impl ReplicaSetController {
    /// Lowers expectations as creations and deletions are observed.
    pub fn observe_pod(&mut self, ev: &WatchEvent) {
        let Some(p) = ev.object.as_pod() else { return };
        let Some(r) = p.metadata.controller_ref() else { return };
        let key = (p.metadata.namespace.clone(), r.name.clone());
        let Some(e) = self.expectations.get_mut(&key) else { return };
        if ev.type_ == WatchEventType::Added {
            e.adds -= 1;
        }
        if ev.type_ == WatchEventType::Deleted || p.metadata.deletion_timestamp.is_some() {
            e.deletes.remove(&p.metadata.uid);
        }
    }

    pub fn creation_failed(&mut self, ns: &str, rs: &str) {
        if let Some(e) = self.expectations.get_mut(&(ns.to_string(), rs.to_string())) {
            e.adds -= 1;
        }
    }

    fn satisfied(&self, key: &NsName) -> bool {
        self.expectations.get(key).is_none_or(|e| e.adds <= 0 && e.deletes.is_empty())
    }
}

/// IsPodActive: not terminal and not being deleted.
pub fn is_active(p: &Pod) -> bool {
    !p.is_terminal() && p.metadata.deletion_timestamp.is_none()
}

pub fn controller_ref(rs: &ReplicaSet) -> OwnerReference {
    OwnerReference {
        api_version: "apps/v1".into(),
        kind: "ReplicaSet".into(),
        name: rs.metadata.name.clone(),
        uid: rs.metadata.uid.clone(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

pub fn sync(cm: &mut ControllerManager, key: &NsName, ctx: &mut Ctx) {
    let Some(obj) = cm.informer.get(&Kind::ReplicaSet, &key.0, &key.1).cloned() else {
        cm.replica_sets.expectations.remove(key);
        return;
    };
    let rs = obj.as_replica_set().expect("rs");
    let Some(selector) = rs.spec.selector.clone() else { return };
    let mut owned: Vec<Rc<Object>> = Vec::new();
    // Claim: owned pods that still match stay; those that do not are released.
    for o in cm.dependents_of(&rs.metadata.uid) {
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
        let orphans: Vec<Rc<Object>> = cm
            .orphan_pods(&key.0)
            .into_iter()
            .filter(|o| o.as_pod().is_some_and(|p| p.metadata.controller_ref().is_none() && is_active(p) && selector.matches(&p.metadata.labels)))
            .collect();
        for o in orphans {
            let mut np = o.as_pod().expect("pod").clone();
            np.metadata.owner_references.push(controller_ref(rs));
            ctx.request(Request::Update(Object::Pod(np)));
            owned.push(o);
        }
    }
    let active: Vec<&Pod> = owned.iter().filter_map(|o| o.as_pod()).filter(|p| is_active(p)).collect();
    if cm.replica_sets.satisfied(key) && rs.metadata.deletion_timestamp.is_none() {
        manage_replicas(cm, rs, &obj, &active, ctx);
    }
    update_status(cm, rs, &active, ctx);
}

fn manage_replicas(cm: &mut ControllerManager, rs: &ReplicaSet, obj: &Object, active: &[&Pod], ctx: &mut Ctx) {
    let key = (rs.metadata.namespace.clone(), rs.metadata.name.clone());
    let want = rs.replicas().max(0) as usize;
    if active.len() < want {
        let n = (want - active.len()).min(BURST_REPLICAS);
        cm.replica_sets.expectations.insert(key.clone(), Expectations { adds: n as i64, deletes: BTreeSet::new() });
        let batch = n.min(SLOW_START_INITIAL_BATCH_SIZE);
        cm.replica_sets.slow_start.insert(key, SlowStart { remaining: n - batch, batch, in_flight: batch, failed: false });
        send_batch(cm, rs, obj, batch, ctx);
    } else if active.len() > want {
        let n = (active.len() - want).min(BURST_REPLICAS);
        let related = related_pods(cm, rs);
        let victims = pods_to_delete(active, &related, n, ctx.now);
        let uids: BTreeSet<String> = victims.iter().map(|p| p.metadata.uid.clone()).collect();
        cm.replica_sets.expectations.insert(key, Expectations { adds: 0, deletes: uids });
        for p in &victims {
            ctx.request(Request::Delete {
                key: ObjectKey::new(Kind::Pod, &p.metadata.namespace, &p.metadata.name),
                grace_period_seconds: None,
                uid: Some(p.metadata.uid.clone()),
            });
        }
        for p in victims {
            cm.event(obj, "Normal", "SuccessfulDelete", &format!("Deleted pod: {}", p.metadata.name), COMPONENT, ctx);
        }
    }
}

fn send_batch(cm: &mut ControllerManager, rs: &ReplicaSet, obj: &Object, n: usize, ctx: &mut Ctx) {
    for _ in 0..n {
        ctx.request(Request::Create(Object::Pod(pod_from_template(rs))));
    }
    let msg = if n == 1 { "Created pod".to_string() } else { format!("Created {n} pods") };
    cm.event(obj, "Normal", "SuccessfulCreate", &msg, COMPONENT, ctx);
}

/// A create of `rs`'s was answered: send the next slow-start batch when this one is done.
pub fn create_answered(cm: &mut ControllerManager, ns: &str, rs_name: &str, ok: bool, ctx: &mut Ctx) {
    let key = (ns.to_string(), rs_name.to_string());
    if !ok {
        cm.replica_sets.creation_failed(ns, rs_name);
    }
    let Some(ss) = cm.replica_sets.slow_start.get_mut(&key) else { return };
    ss.in_flight = ss.in_flight.saturating_sub(1);
    ss.failed |= !ok;
    if ss.in_flight > 0 {
        return;
    }
    let obj = cm.informer.get(&Kind::ReplicaSet, ns, rs_name).cloned();
    let live = obj.as_ref().and_then(|o| o.as_replica_set()).filter(|r| r.metadata.deletion_timestamp.is_none());
    match live {
        Some(rs) if !ss.failed && ss.remaining > 0 => {
            let batch = (ss.batch * 2).min(ss.remaining);
            ss.batch = batch;
            ss.remaining -= batch;
            ss.in_flight = batch;
            let rs = rs.clone();
            send_batch(cm, &rs, obj.as_deref().expect("rs"), batch, ctx);
        }
        _ => {
            // Done, or stopped by a failure: the skipped creations will never be observed.
            let skipped = ss.remaining as i64;
            cm.replica_sets.slow_start.remove(&key);
            if let Some(e) = cm.replica_sets.expectations.get_mut(&key) {
                e.adds -= skipped;
            }
            cm.rs_queue.insert(key);
        }
    }
}

/// GetPodFromTemplate: labels, annotations and spec from the template, the controller
/// reference, and generateName `<rs>-`.
pub fn pod_from_template(rs: &ReplicaSet) -> Pod {
    let t = &rs.spec.template;
    let mut p = Pod::default();
    p.metadata.generate_name = format!("{}-", rs.metadata.name);
    p.metadata.namespace = rs.metadata.namespace.clone();
    p.metadata.labels = t.metadata.labels.clone();
    p.metadata.annotations = t.metadata.annotations.clone();
    p.metadata.finalizers = t.metadata.finalizers.clone();
    p.metadata.owner_references = vec![controller_ref(rs)];
    p.spec = t.spec.clone();
    p
}

/// Active pods of every ReplicaSet with the same controller (e.g. all of a Deployment's).
fn related_pods(cm: &ControllerManager, rs: &ReplicaSet) -> Vec<Rc<Object>> {
    let Some(owner) = rs.metadata.controller_ref() else { return Vec::new() };
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for sib in cm.dependents_of(&owner.uid) {
        let Some(s) = sib.as_replica_set() else { continue };
        for p in cm.dependents_of(&s.metadata.uid) {
            if p.as_pod().is_some_and(is_active) && seen.insert(p.meta().uid.clone()) {
                out.push(p);
            }
        }
    }
    out
}

/// getPodsToDelete: rank by related pods on the same node, then sort by
/// ActivePodsWithRanks.Less and take the first `n`.
pub fn pods_to_delete<'a>(active: &[&'a Pod], related: &[Rc<Object>], n: usize, now: SimTime) -> Vec<&'a Pod> {
    let mut on_node: BTreeMap<&str, i64> = BTreeMap::new();
    let rel: Vec<&Pod> = if related.is_empty() { active.to_vec() } else { related.iter().filter_map(|o| o.as_pod()).collect() };
    for p in &rel {
        *on_node.entry(p.spec.node_name.as_str()).or_default() += 1;
    }
    let mut ranked: Vec<(&Pod, i64)> = active.iter().map(|p| (*p, on_node.get(p.spec.node_name.as_str()).copied().unwrap_or(0))).collect();
    ranked.sort_by(|a, b| compare_for_deletion(a.0, a.1, b.0, b.1, now));
    ranked.into_iter().take(n).map(|(p, _)| p).collect()
}

fn phase_ordinal(p: &Pod) -> u8 {
    match &*p.status.phase {
        "Pending" => 0,
        "Unknown" => 1,
        "Running" => 2,
        _ => 3,
    }
}

fn deletion_cost(p: &Pod) -> i64 {
    p.metadata.annotations.get(POD_DELETION_COST).and_then(|v| v.parse::<i32>().ok()).map_or(0, i64::from)
}

fn ready_time(p: &Pod) -> Option<Time> {
    p.condition("Ready").filter(|c| c.status == "True").and_then(|c| c.last_transition_time)
}

/// floor(log2(now − t)) in nanoseconds, −1 when not in the past (logarithmicRankDiff).
fn log_rank(t: Time, now: SimTime) -> i64 {
    let d_ns = now.as_ms().saturating_sub(t.0.as_ms()) as u128 * 1_000_000;
    if d_ns == 0 {
        -1
    } else {
        127 - i64::from(d_ns.leading_zeros())
    }
}

/// Compares two times as upstream does for "newer first": logarithmic buckets, then uid.
fn newer_first(a: Option<Time>, b: Option<Time>, pa: &Pod, pb: &Pod, now: SimTime) -> Ordering {
    match (a, b) {
        (Some(a), Some(b)) => {
            let diff = log_rank(a, now) - log_rank(b, now);
            if diff == 0 {
                pa.metadata.uid.cmp(&pb.metadata.uid)
            } else if diff < 0 {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        }
        // afterOrZero: a zero time counts as the newest.
        (None, Some(_)) => Ordering::Less,
        (Some(_), None) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    }
}

/// ActivePodsWithRanks.Less as an Ordering (Less = delete first).
pub fn compare_for_deletion(a: &Pod, rank_a: i64, b: &Pod, rank_b: i64, now: SimTime) -> Ordering {
    let assigned = |p: &Pod| !p.spec.node_name.is_empty();
    assigned(a)
        .cmp(&assigned(b))
        .then_with(|| phase_ordinal(a).cmp(&phase_ordinal(b)))
        .then_with(|| a.is_ready().cmp(&b.is_ready()))
        .then_with(|| deletion_cost(a).cmp(&deletion_cost(b)))
        .then_with(|| rank_b.cmp(&rank_a))
        .then_with(|| if a.is_ready() && b.is_ready() { newer_first(ready_time(a), ready_time(b), a, b, now) } else { Ordering::Equal })
        .then_with(|| max_restarts(b).cmp(&max_restarts(a)))
        .then_with(|| newer_first(a.metadata.creation_timestamp, b.metadata.creation_timestamp, a, b, now))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

fn max_restarts(p: &Pod) -> i32 {
    p.status.container_statuses.iter().map(|c| c.restart_count).max().unwrap_or(0)
}

fn update_status(cm: &mut ControllerManager, rs: &ReplicaSet, active: &[&Pod], ctx: &mut Ctx) {
    let min_ready = rs.spec.min_ready_seconds.unwrap_or(0).max(0) as u64;
    let template_labels = &rs.spec.template.metadata.labels;
    let mut st = rs.status.clone();
    st.replicas = active.len() as i32;
    st.fully_labeled_replicas = active.iter().filter(|p| template_labels.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v))).count() as i32;
    st.ready_replicas = active.iter().filter(|p| p.is_ready()).count() as i32;
    st.available_replicas = active.iter().filter(|p| ready_time(p).is_some_and(|t| ctx.now.since(t.0).as_ms() >= min_ready * 1000)).count() as i32;
    st.observed_generation = rs.metadata.generation;
    // Pods ready but not yet available: look again when the first becomes available.
    let next = active.iter().filter_map(|p| ready_time(p)).map(|t| t.0.as_ms() + min_ready * 1000).filter(|at| *at > ctx.now.as_ms()).min();
    if let Some(at) = next {
        cm.requeue_after(
            super::Requeue::ReplicaSet((rs.metadata.namespace.clone(), rs.metadata.name.clone())),
            SimDuration::from_ms(at - ctx.now.as_ms()),
            ctx,
        );
    }
    if st != rs.status {
        let mut n = rs.clone();
        n.status = st;
        n.metadata.resource_version.0 = 0;
        ctx.request(Request::UpdateStatus(Object::ReplicaSet(Box::new(n))));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, node: &str, phase: &'static str, ready: bool, created_s: u64) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.uid = format!("uid-{name}");
        p.metadata.creation_timestamp = Some(Time(SimTime::from_secs(created_s)));
        Rc::make_mut(&mut p.spec).node_name = node.into();
        p.status.phase = phase.into();
        if ready {
            p.set_condition("Ready", "True", "", "", Time(SimTime::from_secs(created_s + 1)));
        }
        p
    }

    /// After upstream controller_utils_test.go TestSortingActivePodsWithRanks: unassigned <
    /// pending < running-not-ready < ready; then doubled-up nodes first; then newer.
    #[test]
    fn deletion_order_follows_active_pods_with_ranks() {
        let now = SimTime::from_secs(10_000);
        let unassigned = pod("a-unassigned", "", "Pending", false, 5);
        let pending = pod("b-pending", "n1", "Pending", false, 5);
        let not_ready = pod("c-notready", "n1", "Running", false, 5);
        let ready_alone = pod("d-ready-alone", "n2", "Running", true, 5);
        let ready_doubled = pod("e-ready-doubled", "n3", "Running", true, 5);
        let ready_doubled2 = pod("f-ready-doubled", "n3", "Running", true, 5);
        let mut with_cost = pod("g-cost", "n4", "Running", true, 5);
        with_cost.metadata.annotations.insert(POD_DELETION_COST.into(), "-10".into());
        let active = vec![&ready_alone, &ready_doubled, &pending, &with_cost, &unassigned, &not_ready, &ready_doubled2];
        let order: Vec<&str> = pods_to_delete(&active, &[], 7, now).iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(order, ["a-unassigned", "b-pending", "c-notready", "g-cost", "e-ready-doubled", "f-ready-doubled", "d-ready-alone"]);
    }

    #[test]
    fn newer_pods_go_first_in_log_buckets() {
        let now = SimTime::from_secs(100_000);
        let old = pod("old", "n1", "Running", true, 10);
        let new = pod("new", "n2", "Running", true, 90_000);
        let order: Vec<&str> = pods_to_delete(&[&old, &new], &[], 1, now).iter().map(|p| p.metadata.name.as_str()).collect();
        assert_eq!(order, ["new"]);
    }
}
