//! What the workload controllers share (pkg/controller/controller_utils.go):
//! `IsPodActive`, `ControllerExpectations` (a sync never acts twice on one unobserved
//! change), `GetPodFromTemplate`, `ActivePodsWithRanks` (which pods a scale-down deletes
//! first) and the slow-start batches of `slowStartBatch` (replicaset.go).

use crate::api::meta::{OwnerReference, OwnerRefs, Text, Time};
use crate::api::pod::{Pod, PodTemplateSpec};
use crate::engine::SimTime;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet};

pub const POD_DELETION_COST: &str = "controller.kubernetes.io/pod-deletion-cost";
/// SlowStartInitialBatchSize.
pub const SLOW_START_INITIAL_BATCH_SIZE: usize = 1;

/// IsPodActive: not terminal and not being deleted.
pub fn is_pod_active(p: &Pod) -> bool {
    !p.is_terminal() && p.metadata.rare.deletion_timestamp.is_none()
}

/// A controller reference (`controller: true`, `blockOwnerDeletion: true`).
pub fn controller_ref(api_version: &str, kind: &str, name: &str, uid: &str) -> OwnerReference {
    OwnerReference {
        api_version: api_version.into(),
        kind: kind.into(),
        name: name.into(),
        uid: uid.into(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }
}

/// GetPodFromTemplate: labels, annotations, finalizers and spec from the template, the
/// controller reference, and generateName `<prefix>`; the namespace is the controller's
/// own, and the generateName and the owner list are the caller's, shared by the pods
/// of one batch.
pub fn pod_from_template(template: &PodTemplateSpec, namespace: &Text, generate_name: &Text, owners: &OwnerRefs) -> Pod {
    let mut p = Pod::default();
    p.metadata.generate_name = generate_name.clone();
    p.metadata.namespace = namespace.clone();
    p.metadata.labels = template.metadata.labels.clone();
    p.metadata.annotations = template.metadata.annotations.clone();
    if !template.metadata.finalizers().is_empty() {
        *p.metadata.finalizers_mut() = template.metadata.finalizers().to_vec();
    }
    p.metadata.owner_references = owners.clone();
    p.spec = template.spec.clone();
    p
}

/// getPatch of the DaemonSet and StatefulSet controllers: the template a
/// ControllerRevision records, to be restored whole
/// (`{"spec":{"template":{…,"$patch":"replace"}}}`).
pub fn template_patch(template: &PodTemplateSpec) -> serde_json::Value {
    let mut t = serde_json::to_value(template).expect("a pod template serializes");
    if let serde_json::Value::Object(m) = &mut t {
        m.insert("$patch".into(), serde_json::Value::from("replace"));
    }
    serde_json::json!({ "spec": { "template": t } })
}

/// ControllerExpectations for one controller key: creations it still expects to see,
/// and the uids of pods whose deletion it still expects to see.
#[derive(Default, Debug, Clone)]
pub struct Expectations {
    pub adds: i64,
    pub deletes: BTreeSet<String>,
}

/// ControllerExpectations, by key.
#[derive(Debug)]
pub struct ControllerExpectations<K: Ord> {
    by_key: BTreeMap<K, Expectations>,
}

impl<K: Ord + Clone> Default for ControllerExpectations<K> {
    fn default() -> Self {
        ControllerExpectations { by_key: BTreeMap::new() }
    }
}

impl<K: Ord + Clone> ControllerExpectations<K> {
    /// SatisfiedExpectations: nothing still expected (or no record at all).
    pub fn satisfied(&self, key: &K) -> bool {
        self.by_key.get(key).is_none_or(|e| e.adds <= 0 && e.deletes.is_empty())
    }
    /// ExpectCreations.
    pub fn expect_creations(&mut self, key: K, adds: usize) {
        self.by_key.insert(key, Expectations { adds: adds as i64, deletes: BTreeSet::new() });
    }
    /// SetExpectations: creations and deletions together (the DaemonSet controller's
    /// syncNodes).
    pub fn set(&mut self, key: K, adds: usize, uids: BTreeSet<String>) {
        self.by_key.insert(key, Expectations { adds: adds as i64, deletes: uids });
    }
    /// ExpectDeletions (by uid: UIDTrackingControllerExpectations).
    pub fn expect_deletions(&mut self, key: K, uids: BTreeSet<String>) {
        self.by_key.insert(key, Expectations { adds: 0, deletes: uids });
    }
    /// Deletions expected on top of what is already expected (creations in flight stay
    /// expected).
    pub fn add_deletions(&mut self, key: K, uids: BTreeSet<String>) {
        self.by_key.entry(key).or_default().deletes.extend(uids);
    }
    /// CreationObserved (also: a create that failed or was skipped will never be seen).
    pub fn creation_observed(&mut self, key: &K) {
        self.lower_adds(key, 1);
    }
    pub fn lower_adds(&mut self, key: &K, n: i64) {
        if let Some(e) = self.by_key.get_mut(key) {
            e.adds -= n;
        }
    }
    /// DeletionObserved.
    pub fn deletion_observed(&mut self, key: &K, uid: &str) {
        if let Some(e) = self.by_key.get_mut(key) {
            e.deletes.remove(uid);
        }
    }
    /// DeleteExpectations (the controller's object is gone).
    pub fn delete(&mut self, key: &K) {
        self.by_key.remove(key);
    }
}

/// A slowStartBatch in progress: `remaining` creations not yet sent, the current batch
/// size and how many of it are unanswered. Upstream runs the batches inside one sync;
/// ksim sends each batch when every create of the previous one has been answered.
#[derive(Debug)]
pub struct SlowStart {
    pub remaining: usize,
    pub batch: usize,
    pub in_flight: usize,
    pub failed: bool,
}

impl SlowStart {
    /// The first batch of `n` creations (min(n, SlowStartInitialBatchSize)).
    pub fn begin(n: usize) -> (Self, usize) {
        let batch = n.min(SLOW_START_INITIAL_BATCH_SIZE);
        (SlowStart { remaining: n - batch, batch, in_flight: batch, failed: false }, batch)
    }

    /// One create was answered. Returns the size of the next batch to send now (0: wait
    /// for the rest of this one, or done — see `done`).
    pub fn answered(&mut self, ok: bool) -> usize {
        assert!(self.in_flight > 0, "slowStartBatch: an answer for a create that was not sent");
        self.in_flight -= 1;
        self.failed |= !ok;
        if self.in_flight > 0 || self.failed || self.remaining == 0 {
            return 0;
        }
        let batch = (self.batch * 2).min(self.remaining);
        self.batch = batch;
        self.remaining -= batch;
        self.in_flight = batch;
        batch
    }

    /// Whether every batch was answered (or a failure stopped the rest).
    pub fn done(&self) -> bool {
        self.in_flight == 0 && (self.failed || self.remaining == 0)
    }
}

/// getPodsToDelete: rank each pod by how many related pods share its node, then sort by
/// ActivePodsWithRanks.Less and take the first `n`.
pub fn pods_to_delete<'a>(active: &[&'a Pod], related: &[&Pod], n: usize, now: SimTime) -> Vec<&'a Pod> {
    let mut on_node: BTreeMap<&str, i64> = BTreeMap::new();
    let rel: &[&Pod] = if related.is_empty() { active } else { related };
    for p in rel {
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

/// When the pod became Ready (the Ready condition's lastTransitionTime), if it is.
pub fn ready_time(p: &Pod) -> Option<Time> {
    p.condition("Ready").filter(|c| c.status == "True").and_then(|c| c.last_transition_time.get())
}

/// podutil.IsPodAvailable: Ready, and for longer than minReadySeconds (the Ready
/// condition's lastTransitionTime + minReadySeconds strictly before now).
pub fn is_pod_available(p: &Pod, min_ready_seconds: i32, now: SimTime) -> bool {
    if !p.is_ready() {
        return false;
    }
    let min_ready_ms = u64::try_from(min_ready_seconds).unwrap_or(0) * 1000;
    min_ready_ms == 0 || ready_time(p).is_some_and(|t| t.0.as_ms() + min_ready_ms < now.as_ms())
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::rc::Rc;

    fn pod(name: &str, node: &str, phase: &'static str, ready: bool, created_s: u64) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.uid = format!("uid-{name}").into();
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

    #[test]
    fn slow_start_doubles_and_stops_at_a_failure() {
        let (mut s, first) = SlowStart::begin(10);
        assert_eq!(first, 1);
        assert_eq!(s.answered(true), 2);
        assert_eq!(s.answered(true), 0, "one of two answered");
        assert_eq!(s.answered(true), 4);
        for _ in 0..3 {
            assert_eq!(s.answered(true), 0);
        }
        assert_eq!(s.answered(true), 3, "1 + 2 + 4 sent, 3 left");
        assert_eq!(s.answered(false), 0);
        assert!(!s.done());
        s.answered(true);
        s.answered(true);
        assert!(s.done() && s.failed);
        assert_eq!(s.remaining, 0);
        let (mut f, _) = SlowStart::begin(5);
        assert_eq!(f.answered(false), 0);
        assert!(f.done() && f.remaining == 4, "a failure skips the other 4");
    }
}

/// The deletes of one sync still unanswered (RealPodControl.DeletePod calls).
#[derive(Debug, Default)]
pub struct Deletes {
    pub in_flight: usize,
    pub failed: bool,
}

impl Deletes {
    pub fn new(n: usize) -> Self {
        Deletes { in_flight: n, failed: false }
    }

    /// One more answer; Some(whether any failed) once all are in.
    pub fn answered(&mut self, failed: bool, what: &str) -> Option<bool> {
        assert!(self.in_flight > 0, "{what} deletions: an answer for a delete that was not sent");
        self.in_flight -= 1;
        self.failed |= failed;
        (self.in_flight == 0).then_some(self.failed)
    }
}

/// RealPodControl.DeletePod's answer for `owner`'s pod: the expectation is observed
/// whatever happened (a refused or NotFound delete will never be seen), and the event
/// recorded (SuccessfulDelete, or FailedDelete with the apiserver's words; none for a
/// pod already gone). Err(the apiserver's message) when the delete was refused.
pub fn pod_delete_answered<K: Ord + Clone>(
    expectations: &mut ControllerExpectations<K>,
    key: &K,
    uid: &str,
    owner: Option<&std::rc::Rc<crate::api::Object>>,
    pod: &str,
    resp: &crate::apiserver::Response,
    ctx: &mut super::ControllerCtx,
) -> Result<(), String> {
    use crate::apiserver::Response;
    match resp {
        Response::Error(st) if st.reason == "NotFound" => {
            expectations.deletion_observed(key, uid);
            Ok(())
        }
        Response::Error(st) => {
            if let Some(o) = owner {
                ctx.event(o, "Warning", "FailedDelete", &format!("Error deleting: {}", st.message));
            }
            expectations.deletion_observed(key, uid);
            Err(st.message.clone())
        }
        _ => {
            if let Some(o) = owner {
                ctx.event(o, "Normal", "SuccessfulDelete", &format!("Deleted pod: {pod}"));
            }
            Ok(())
        }
    }
}

/// RealPodControl.CreatePods' answer for `owner`'s create: SuccessfulCreate once the
/// apiserver has stored the pod (its expectation is observed when the informer sees it),
/// FailedCreate with the apiserver's words otherwise, and the expectation observed at
/// once since the pod will never be seen. A terminating namespace refuses every create
/// with nothing to report or retry (the create closures of manageReplicas and
/// syncNodes return nil for it). Err(the apiserver's message) when the create failed.
pub fn pod_create_answered<K: Ord + Clone>(
    expectations: &mut ControllerExpectations<K>,
    key: &K,
    owner: Option<&std::rc::Rc<crate::api::Object>>,
    resp: &crate::apiserver::Response,
    ctx: &mut super::ControllerCtx,
) -> Result<(), String> {
    use crate::apiserver::{Response, NAMESPACE_TERMINATING_CAUSE};
    match resp {
        Response::Object(pod) => {
            if let Some(o) = owner {
                ctx.event(o, "Normal", "SuccessfulCreate", &format!("Created pod: {}", pod.meta().name));
            }
            Ok(())
        }
        Response::Error(st) if st.cause == Some(NAMESPACE_TERMINATING_CAUSE) => {
            expectations.creation_observed(key);
            Ok(())
        }
        Response::Error(st) => {
            if let Some(o) = owner {
                ctx.event(o, "Warning", "FailedCreate", &format!("Error creating: {}", st.message));
            }
            expectations.creation_observed(key);
            Err(st.message.clone())
        }
        Response::List(..) | Response::PodMetrics(_) => Ok(()),
    }
}
