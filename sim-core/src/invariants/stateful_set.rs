//! `statefulset-ordered-ready` (pkg/controller/statefulset/stateful_set_control.go
//! processReplica): with the OrderedReady policy the controller processes the replicas in
//! ordinal order and stops at the first one that is not created, terminating, or not
//! Running and Ready (and available) — so it creates `<set>-k` only when every lower
//! ordinal's pod is Running and Ready in its view. Its view lags the store by a watch
//! and its own round trip, so the check is: when the controller manager creates pod k
//! of an OrderedReady StatefulSet, each lower ordinal has a pod that is Running and
//! Ready, or was within `lag` before.
//!
//! (At most one pod per identity needs no checker: a StatefulSet's pods have fixed
//! names, and the apiserver holds one object per name — the controller waits for the
//! old pod object to be gone before it creates the new one.)

use super::Violation;
use crate::api::pod::Pod;
use crate::api::stateful_set::{parent_and_ordinal, StatefulSet};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::BTreeMap;

pub const STATEFULSET_ORDERED: &str = "statefulset-ordered-ready";

#[derive(Default)]
pub struct StatefulSetChecker {
    /// Per StatefulSet uid: (OrderedReady, first ordinal).
    sets: BTreeMap<String, (bool, i32)>,
    /// Per (set uid, ordinal): Running and Ready now, and when it last was.
    ready: BTreeMap<(String, i32), (bool, SimTime)>,
}

impl StatefulSetChecker {
    pub fn on_set(&mut self, s: &StatefulSet, deleted: bool) {
        if deleted {
            self.sets.remove(s.metadata.uid.as_str());
            self.ready.retain(|(u, _), _| *u != s.metadata.uid);
        } else {
            self.sets.insert(s.metadata.uid.to_string(), (!s.parallel(), s.start_ordinal()));
        }
    }

    pub fn on_pod(&mut self, w: &WatchEvent, p: &Pod, by_controller_manager: bool, lag: SimDuration, time: SimTime, event: &str) -> Option<Violation> {
        let owner = p.metadata.controller_ref().filter(|r| r.kind == "StatefulSet")?;
        let (_, ord) = parent_and_ordinal(&p.metadata.name)?;
        let &(monotonic, start) = self.sets.get(&owner.uid)?;
        let ready = w.type_ != WatchEventType::Deleted && p.status.phase == "Running" && p.is_ready() && p.metadata.rare.deletion_timestamp.is_none();
        let slot = self.ready.entry((owner.uid.clone(), ord)).or_insert((false, SimTime::ZERO));
        if slot.0 || ready {
            slot.1 = time;
        }
        slot.0 = ready;
        if !(monotonic && by_controller_manager && w.type_ == WatchEventType::Added) {
            return None;
        }
        let behind = (start..ord).find(|j| !self.ready.get(&(owner.uid.clone(), *j)).is_some_and(|(now, at)| *now || *at + lag >= time))?;
        Some(Violation {
            invariant: STATEFULSET_ORDERED,
            time,
            event: event.to_string(),
            objects: vec![format!("pod/{}/{}", p.metadata.namespace, p.metadata.name), format!("statefulset/{}/{}", p.metadata.namespace, owner.name)],
            message: format!("created while {}-{behind} is not Running and Ready", owner.name),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Object;
    use std::rc::Rc;

    fn pod(name: &str, ready: bool) -> Pod {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default", "uid": format!("{name}-uid"),
                "ownerReferences": [{"apiVersion": "apps/v1", "kind": "StatefulSet", "name": "web", "uid": "set-uid", "controller": true}]},
            "spec": {"containers": [{"name": "c", "image": "nginx"}]}
        }))
        .unwrap();
        if ready {
            p.status.phase = "Running".into();
            p.set_condition("Ready", "True", "", "", crate::api::meta::Time(SimTime::ZERO));
        }
        p
    }

    fn ev(t: WatchEventType, p: &Pod) -> WatchEvent {
        WatchEvent { type_: t, object: Rc::new(Object::Pod(Box::new(p.clone()))), prev: None, revision: 1, time: SimTime::ZERO }
    }

    #[test]
    fn creating_past_a_pod_that_is_not_ready_fires() {
        let mut c = StatefulSetChecker::default();
        let mut set = StatefulSet::default();
        set.metadata.uid = "set-uid".into();
        c.on_set(&set, false);
        let lag = SimDuration::from_ms(10);
        let t = SimTime::from_secs;
        assert!(c.on_pod(&ev(WatchEventType::Added, &pod("web-0", false)), &pod("web-0", false), true, lag, t(1), "e").is_none());
        let v = c.on_pod(&ev(WatchEventType::Added, &pod("web-1", false)), &pod("web-1", false), true, lag, t(2), "e").expect("fires");
        assert_eq!(v.invariant, STATEFULSET_ORDERED);
        assert_eq!(v.message, "created while web-0 is not Running and Ready");
        c.on_pod(&ev(WatchEventType::Modified, &pod("web-0", true)), &pod("web-0", true), false, lag, t(3), "e");
        assert!(c.on_pod(&ev(WatchEventType::Added, &pod("web-1", false)), &pod("web-1", false), true, lag, t(4), "e").is_none());
    }
}
