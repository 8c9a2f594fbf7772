//! The Deployment controller's rollout guarantees, checked against what it could have
//! seen (upstream pkg/controller/deployment):
//! - `deployment-within-surge`: after any write of the controller manager to a
//!   Deployment's ReplicaSet, their spec.replicas add up to at most replicas + maxSurge
//!   of the Deployment it read (NewRSNewReplicas caps a scale-up at maxTotalPods; scale()
//!   caps proportional scaling at allowedSize). It is a bound on what the controller asks
//!   for; pods still terminating are not counted, as upstream does not count them.
//! - `deployment-availability-floor`: in a RollingUpdate, the old replicas a sync takes
//!   away (all its scale-downs land together, one request latency after the sync read its
//!   cache) are at most what reconcileOldReplicaSets allows from the ReplicaSet statuses
//!   the controller had then: nothing unless maxScaledDown = allPods − minAvailable −
//!   newUnavailable is positive, then up to min(maxScaledDown, unavailable old replicas)
//!   (cleanupUnhealthyReplicas) plus the available replicas above minAvailable
//!   (scaleDownOldReplicaSetsForRollingUpdate); and from the new ReplicaSet only what it
//!   has above replicas (reconcileNewReplicaSet). Availability lost to failures (a node
//!   dying, a pod crashing) is outside the controller's control and not judged; scaling
//!   events (the replica annotations change) and Recreate are not bound by it.

use super::Violation;
use crate::api::Object;
use crate::controller_manager::deployment::{compute_hash, DESIRED_REPLICAS, POD_TEMPLATE_HASH};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, VecDeque};

pub const DEPLOYMENT_SURGE: &str = "deployment-within-surge";
pub const DEPLOYMENT_FLOOR: &str = "deployment-availability-floor";

/// What the controller manager was shown of one ReplicaSet.
#[derive(Clone, Debug, PartialEq, Eq)]
struct RsView {
    owner: String,
    /// Its pod-template-hash label.
    hash: String,
    replicas: i32,
    available: i32,
}

/// What it was shown of one Deployment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct DView {
    replicas: i32,
    max_surge: i32,
    max_unavailable: i32,
    rolling: bool,
    /// The pod-template-hash of its template (its new ReplicaSet carries it).
    hash: String,
}

/// A short history of deliveries: (time, value), the newest last.
#[derive(Debug)]
struct History<T> {
    entries: VecDeque<(SimTime, Option<T>)>,
}

impl<T> Default for History<T> {
    fn default() -> Self {
        History { entries: VecDeque::new() }
    }
}

impl<T: Clone + PartialEq> History<T> {
    /// Records a delivery, keeping what a view `keep` back can still need.
    fn push(&mut self, t: SimTime, v: Option<T>, keep: SimDuration) {
        if self.entries.back().is_some_and(|(_, last)| *last == v) {
            return;
        }
        self.entries.push_back((t, v));
        let start = SimTime(t.as_ms().saturating_sub(keep.as_ms()));
        while self.entries.len() > 1 && self.entries[1].0 < start {
            self.entries.pop_front();
        }
    }

    /// The value as of `at`: delivered before it (`inclusive` false) or at or before it.
    fn at(&self, at: SimTime, inclusive: bool) -> Option<T> {
        self.entries.iter().rev().find(|(t, _)| if inclusive { *t <= at } else { *t < at }).and_then(|(_, v)| v.clone())
    }
}

#[derive(Default)]
pub struct DeploymentChecker {
    rs: BTreeMap<String, History<RsView>>,
    d: BTreeMap<String, History<DView>>,
    /// Per Deployment: the time of the writes being summed, and the replicas they took
    /// away from its old ReplicaSets and from the new one so far.
    taken: BTreeMap<String, (SimTime, i64, i64)>,
}

fn d_view(d: &crate::api::deployment::Deployment) -> DView {
    use crate::controller_manager::deployment::util::{is_rolling_update, max_surge, max_unavailable};
    DView {
        replicas: d.replicas(),
        max_surge: max_surge(d),
        max_unavailable: max_unavailable(d),
        rolling: is_rolling_update(d),
        hash: compute_hash(&d.spec.template, d.status.collision_count),
    }
}

/// What one sync may take from (old ReplicaSets, the new one) in a RollingUpdate.
fn allowance((d, rss): &(DView, Vec<RsView>)) -> (i64, i64) {
    if !d.rolling {
        return (i64::MAX, i64::MAX);
    }
    let new = rss.iter().find(|r| r.hash == d.hash);
    let (new_spec, new_avail) = new.map_or((0, 0), |r| (i64::from(r.replicas), i64::from(r.available)));
    let all_pods: i64 = rss.iter().map(|r| i64::from(r.replicas)).sum();
    let available: i64 = rss.iter().map(|r| i64::from(r.available)).sum();
    let min_available = i64::from(d.replicas) - i64::from(d.max_unavailable);
    let max_scaled_down = all_pods - min_available - (new_spec - new_avail);
    let old_unhealthy: i64 = rss.iter().filter(|r| r.hash != d.hash).map(|r| i64::from((r.replicas - r.available).max(0))).sum();
    let old = if max_scaled_down <= 0 { 0 } else { max_scaled_down.min(old_unhealthy) + (available - min_available).max(0) };
    (old, (new_spec - i64::from(d.replicas)).max(0))
}

impl DeploymentChecker {
    /// A watch event delivered to the controller manager.
    pub fn on_delivery(&mut self, ev: &WatchEvent, time: SimTime, keep: SimDuration) {
        let gone = ev.type_ == WatchEventType::Deleted;
        match &*ev.object {
            Object::ReplicaSet(rs) => {
                let owner = rs.metadata.controller_ref().filter(|r| r.kind == "Deployment").map(|r| r.uid.clone());
                let hash = rs.metadata.labels.get(POD_TEMPLATE_HASH).cloned().unwrap_or_default();
                let v = owner.filter(|_| !gone).map(|owner| RsView { owner, hash, replicas: rs.replicas(), available: rs.status.available_replicas });
                self.rs.entry(rs.metadata.uid.to_string()).or_default().push(time, v, keep);
            }
            Object::Deployment(d) => {
                let v = (!gone).then(|| d_view(d));
                self.d.entry(d.metadata.uid.to_string()).or_default().push(time, v, keep);
            }
            _ => {}
        }
    }

    /// The Deployment and its ReplicaSets as the controller manager had them at `at`.
    fn view(&self, d_uid: &str, at: SimTime, inclusive: bool) -> Option<(DView, Vec<RsView>)> {
        let d = self.d.get(d_uid)?.at(at, inclusive)?;
        let rss = self.rs.values().filter_map(|h| h.at(at, inclusive)).filter(|v| v.owner == d_uid).collect();
        Some((d, rss))
    }

    /// A ReplicaSet write; `by_controller_manager` when the controller manager made it.
    #[allow(clippy::too_many_arguments)]
    pub fn on_write(
        &mut self,
        w: &WatchEvent,
        by_controller_manager: bool,
        store: &crate::etcd::Store,
        time: SimTime,
        request_latency: SimDuration,
        event: &str,
        out: &mut Vec<Violation>,
    ) {
        let Some(rs) = w.object.as_replica_set() else { return };
        if !by_controller_manager || w.type_ == WatchEventType::Deleted {
            return;
        }
        let Some(owner) = rs.metadata.controller_ref().filter(|r| r.kind == "Deployment") else { return };
        let decided = SimTime(time.as_ms().saturating_sub(request_latency.as_ms()));
        let views: Vec<(DView, Vec<RsView>)> = [false, true].iter().filter_map(|inc| self.view(&owner.uid, decided, *inc)).collect();
        if views.is_empty() {
            return; // not shown this Deployment yet: nothing to hold the controller to
        }
        let name = format!("deployment/{}/{}", rs.metadata.namespace, owner.name);
        let total: i64 = store
            .list(&crate::api::Kind::ReplicaSet)
            .filter_map(|o| o.as_replica_set())
            .filter(|r| r.metadata.rare.deletion_timestamp.is_none() && r.metadata.controller_ref().is_some_and(|c| c.uid == owner.uid))
            .map(|r| i64::from(r.replicas()))
            .sum();
        let max_total = views.iter().map(|(d, _)| i64::from(d.replicas) + i64::from(d.max_surge)).max().unwrap_or(0);
        if total > max_total {
            out.push(Violation {
                invariant: DEPLOYMENT_SURGE,
                time,
                event: event.to_string(),
                objects: vec![name.clone(), format!("replicaset/{}/{}", rs.metadata.namespace, rs.metadata.name)],
                message: format!("its ReplicaSets ask for {total} replicas, above replicas + maxSurge = {max_total}"),
            });
        }
        let Some(prev) = w.prev.as_ref().and_then(|o| o.as_replica_set()) else { return };
        let scaling_event = prev.metadata.annotations.get(DESIRED_REPLICAS) != rs.metadata.annotations.get(DESIRED_REPLICAS);
        let down = i64::from(prev.replicas()) - i64::from(rs.replicas());
        if down <= 0 || scaling_event {
            return;
        }
        let is_new = views.iter().all(|(d, _)| rs.metadata.labels.get(POD_TEMPLATE_HASH) == Some(&d.hash));
        let entry = self.taken.entry(owner.uid.clone()).or_insert((time, 0, 0));
        if entry.0 != time {
            *entry = (time, 0, 0);
        }
        if is_new {
            entry.2 += down;
        } else {
            entry.1 += down;
        }
        let (taken_old, taken_new) = (entry.1, entry.2);
        let (allowed_old, allowed_new) = views.iter().map(allowance).fold((0, 0), |a, b| (a.0.max(b.0), a.1.max(b.1)));
        if taken_old > allowed_old || taken_new > allowed_new {
            out.push(Violation {
                invariant: DEPLOYMENT_FLOOR,
                time,
                event: event.to_string(),
                objects: vec![name, format!("replicaset/{}/{}", rs.metadata.namespace, rs.metadata.name)],
                message: format!(
                    "one sync took {taken_old} replicas from old ReplicaSets and {taken_new} from the new one; reconcileOldReplicaSets allows {allowed_old} and {allowed_new} from the statuses it had"
                ),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::deployment::{Deployment, DeploymentStrategy, RollingUpdateDeployment};
    use crate::api::meta::{IntOrString, OwnerReference};
    use crate::api::replica_set::ReplicaSet;
    use crate::etcd::{HistoryLimits, Store};
    use crate::invariants::{Checker, CONTROLLER_MANAGER};
    use crate::scenario::model::Latency;

    fn deployment(replicas: i32, image: &str) -> Deployment {
        let mut d = Deployment::default();
        d.metadata.name = "web".into();
        d.metadata.namespace = "default".into();
        d.metadata.uid = "d-uid".into();
        d.spec.replicas = Some(replicas);
        d.spec.strategy = Some(DeploymentStrategy {
            type_: "RollingUpdate".into(),
            rolling_update: Some(RollingUpdateDeployment { max_surge: Some(IntOrString::Int(1)), max_unavailable: Some(IntOrString::Int(0)) }),
        });
        d.spec.template.metadata.labels.insert("app".into(), "web".into());
        std::rc::Rc::make_mut(&mut d.spec.template.spec).containers =
            std::rc::Rc::new(vec![crate::api::pod::Container { name: "web".into(), image: image.into(), ..Default::default() }]);
        d
    }

    fn rs(name: &str, uid: &str, hash: &str, replicas: i32, available: i32, desired: i32) -> Object {
        let mut r = ReplicaSet::default();
        r.metadata.name = name.into();
        r.metadata.namespace = "default".into();
        r.metadata.uid = uid.into();
        r.metadata.labels.insert(POD_TEMPLATE_HASH.into(), hash.into());
        r.metadata.annotations.insert(DESIRED_REPLICAS.into(), desired.to_string());
        *r.metadata.owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "Deployment".into(),
            name: "web".into(),
            uid: "d-uid".into(),
            controller: Some(true),
            block_owner_deletion: None,
        }];
        r.spec.replicas = Some(replicas);
        r.status.available_replicas = available;
        Object::ReplicaSet(Box::new(r))
    }

    struct World {
        store: Store,
        c: Checker,
        seq: u64,
    }

    impl World {
        fn new() -> Self {
            World { store: Store::new(HistoryLimits::default()), c: Checker::new(Latency::default()), seq: 0 }
        }
        /// A write by `by` at `t`; shown to the controller manager one watch latency later.
        fn write(&mut self, o: Object, by: &str, t: u64) {
            let exists = self.store.get(&o.key()).is_some();
            let ev = if exists { self.store.update(o, SimTime(t)) } else { self.store.create(o, SimTime(t)) }.unwrap();
            self.c.on_write(&ev, "update", by, &self.store, SimTime(t), "test");
            self.seq += 1;
            self.c.on_delivery(CONTROLLER_MANAGER, self.seq, &ev, SimTime(t + 1), "delivery");
        }
        fn found(&self) -> Vec<&'static str> {
            self.c.violations.iter().map(|v| v.invariant).collect()
        }
    }

    /// maxSurge 1, maxUnavailable 0, 4 replicas (rolling_test.go's shape): the new
    /// ReplicaSet may go to 1 while the old one has 4 (5 = 4 + 1), not to 2.
    #[test]
    fn a_scale_up_past_max_surge_is_caught() {
        let mut w = World::new();
        let d = deployment(4, "nginx:2");
        let new_hash = compute_hash(&d.spec.template, None);
        w.write(Object::Deployment(Box::new(d)), "timeline", 0);
        w.write(rs("web-old", "old", "oldhash", 4, 4, 4), CONTROLLER_MANAGER, 0);
        w.write(rs("web-new", "new", &new_hash, 1, 0, 4), CONTROLLER_MANAGER, 10);
        assert!(w.found().is_empty(), "{:?}", w.c.violations);
        w.write(rs("web-new", "new", &new_hash, 2, 0, 4), CONTROLLER_MANAGER, 20);
        assert_eq!(w.found(), [DEPLOYMENT_SURGE]);
        assert!(w.c.violations[0].message.contains("ask for 6 replicas, above replicas + maxSurge = 5"), "{}", w.c.violations[0].message);
    }

    /// With maxUnavailable 0, an old ReplicaSet may lose a replica only once a new one is
    /// available (maxScaledDown = allPods − minAvailable − newUnavailable).
    #[test]
    fn a_scale_down_below_the_floor_is_caught_and_one_within_it_is_not() {
        let mut w = World::new();
        let d = deployment(4, "nginx:2");
        let new_hash = compute_hash(&d.spec.template, None);
        w.write(Object::Deployment(Box::new(d)), "timeline", 0);
        w.write(rs("web-old", "old", "oldhash", 4, 4, 4), CONTROLLER_MANAGER, 0);
        w.write(rs("web-new", "new", &new_hash, 1, 0, 4), CONTROLLER_MANAGER, 10);
        // The new pod is not available yet: allPods 5 − minAvailable 4 − newUnavailable 1 = 0.
        w.write(rs("web-old", "old", "oldhash", 3, 4, 4), CONTROLLER_MANAGER, 20);
        assert_eq!(w.found(), [DEPLOYMENT_FLOOR]);
        // Once it is (status 1 available), one old replica may go.
        let mut w = World::new();
        let d = deployment(4, "nginx:2");
        w.write(Object::Deployment(Box::new(d)), "timeline", 0);
        w.write(rs("web-old", "old", "oldhash", 4, 4, 4), CONTROLLER_MANAGER, 0);
        w.write(rs("web-new", "new", &new_hash, 1, 1, 4), "replicaset status", 10);
        w.write(rs("web-old", "old", "oldhash", 3, 4, 4), CONTROLLER_MANAGER, 20);
        assert!(w.found().is_empty(), "{:?}", w.c.violations);
        // A scale-down by someone else (kubectl scale on the ReplicaSet) is not the controller's.
        w.write(rs("web-old", "old", "oldhash", 0, 4, 4), "timeline", 30);
        assert!(w.found().is_empty());
    }
}
