//! `replicaset-ready-counted-once`: a ReplicaSet's status.readyReplicas never counts more
//! pods than are owned by it, active and Ready — up to the controller's view lag.
//!
//! Upstream's guarantee: syncReplicaSet computes the status from its informer's pods
//! claimed by the ReplicaSet, filtered by `controller.FilterActivePods` (not Succeeded,
//! not Failed, no deletionTimestamp), and calculateStatus counts those whose Ready
//! condition is True (`podutil.IsPodReady`); the informer holds one entry per pod. So a
//! pod evicted from a partitioned node — Terminating, while its containers may still run
//! and a replacement is Ready elsewhere — is not counted beside its replacement. The
//! controller's view is a watch behind the store at its sync and its write lands a
//! request later: a pod whose standing changed within that lag may still be counted.

use super::Violation;
use crate::api::pod::Pod;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, VecDeque};

pub const REPLICASET_READY_ONCE: &str = "replicaset-ready-counted-once";

/// The controller uid a pod counts towards as ready, if it does: owned, active, Ready.
fn counted_for(p: &Pod) -> Option<&str> {
    let owner = p.metadata.controller_ref()?;
    let active = p.metadata.rare.deletion_timestamp.is_none() && !p.is_terminal();
    (active && p.is_ready()).then_some(owner.uid.as_str())
}

#[derive(Debug, Default)]
pub struct ReplicaSetReadyChecker {
    /// Controller uid → pods that count as ready for it now.
    ready: BTreeMap<String, i64>,
    /// Controller uid → when one of its pods stopped counting (the most recent last).
    dropped: BTreeMap<String, VecDeque<SimTime>>,
}

impl ReplicaSetReadyChecker {
    pub fn on_pod(&mut self, w: &WatchEvent, time: SimTime) {
        let before = w.prev.as_ref().and_then(|o| o.as_pod()).and_then(counted_for).map(str::to_string);
        let after = if w.type_ == WatchEventType::Deleted { None } else { w.object.as_pod().and_then(counted_for).map(str::to_string) };
        if before == after {
            return;
        }
        if let Some(u) = before {
            *self.ready.entry(u.clone()).or_default() -= 1;
            self.dropped.entry(u).or_default().push_back(time);
        }
        if let Some(u) = after {
            *self.ready.entry(u).or_default() += 1;
        }
    }

    /// A ReplicaSet (or ReplicationController) is gone: nothing to keep for it.
    pub fn forget(&mut self, uid: &str) {
        self.ready.remove(uid);
        self.dropped.remove(uid);
    }

    /// A ReplicaSet (or ReplicationController) status written by the controller manager
    /// at `time`, with `lag` the most its view may be behind.
    pub fn on_status(&mut self, uid: &str, object: String, ready_replicas: i32, time: SimTime, lag: SimDuration, event: &str) -> Option<Violation> {
        let now = self.ready.get(uid).copied().unwrap_or(0);
        let recent = match self.dropped.get_mut(uid) {
            Some(q) => {
                while q.front().is_some_and(|t| time.as_ms() > t.as_ms() + lag.as_ms()) {
                    q.pop_front();
                }
                q.len() as i64
            }
            None => 0,
        };
        (i64::from(ready_replicas) > now + recent).then(|| Violation {
            invariant: REPLICASET_READY_ONCE,
            time,
            event: event.to_string(),
            objects: vec![object],
            message: format!(
                "readyReplicas {ready_replicas}, but {now} owned pods are active and Ready ({recent} stopped being so within the controller's view lag)"
            ),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::{OwnerReference, Time};
    use crate::api::pod::PodCondition;
    use crate::api::Object;
    use std::rc::Rc;

    fn pod(name: &str, ready: bool, deleting: bool) -> Rc<Object> {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        *p.metadata.owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: "web".into(),
            uid: "rs-1".into(),
            controller: Some(true),
            block_owner_deletion: None,
        }];
        p.status.phase = "Running".into();
        p.status.conditions =
            thin_vec::thin_vec![PodCondition { type_: "Ready".into(), status: if ready { "True" } else { "False" }.into(), ..Default::default() }];
        if deleting {
            p.metadata.rare.deletion_timestamp = Some(Time(SimTime(1)));
        }
        Rc::new(Object::Pod(Box::new(p)))
    }

    fn write(c: &mut ReplicaSetReadyChecker, prev: Option<Rc<Object>>, obj: Rc<Object>, t: u64) {
        let type_ = if prev.is_some() { WatchEventType::Modified } else { WatchEventType::Added };
        c.on_pod(&WatchEvent { revision: 1, type_, object: obj, prev, time: SimTime(t) }, SimTime(t));
    }

    #[test]
    fn an_evicted_pod_is_not_counted_beside_its_replacement_once_the_lag_has_passed() {
        let mut c = ReplicaSetReadyChecker::default();
        let lag = SimDuration::from_ms(10);
        write(&mut c, None, pod("a", true, false), 0);
        write(&mut c, None, pod("b", true, false), 0);
        // a is evicted (Terminating), its replacement c becomes Ready.
        write(&mut c, Some(pod("a", true, false)), pod("a", true, true), 1000);
        write(&mut c, None, pod("c", true, false), 1500);
        // Within the lag of the eviction a status of 3 may still be a stale view …
        assert!(c.on_status("rs-1", "replicaset/default/web".into(), 3, SimTime(1005), lag, "e").is_none());
        // … later it counts the Terminating pod twice.
        let v = c.on_status("rs-1", "replicaset/default/web".into(), 3, SimTime(2000), lag, "e").expect("a violation");
        assert_eq!(v.message, "readyReplicas 3, but 2 owned pods are active and Ready (0 stopped being so within the controller's view lag)");
        assert!(c.on_status("rs-1", "replicaset/default/web".into(), 2, SimTime(2000), lag, "e").is_none());
    }
}
