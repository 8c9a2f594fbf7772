//! `hpa-replicas-within-bounds`: the HorizontalPodAutoscaler controller writes a target's
//! scale only with a count between the HPA's minReplicas and maxReplicas: the count out
//! of range is clamped to the bound it crosses, and every normalization clamps to [min,
//! max] in the direction it moves (pkg/controller/podautoscaler/horizontal.go:
//! reconcileAutoscaler's out-of-range branches, convertDesiredReplicasWithRules,
//! convertDesiredReplicasWithBehaviorRate). The bounds are the HPA's as the controller
//! read them, so a scale write is judged against every version of the HPA's spec the
//! store held from a reconcile's reach back (the cache's lag and the reconcile's round
//! trips) to the write. The rate its behavior policies allow is not judged here (the
//! policies' arithmetic is tested against upstream's examples in
//! controller_manager/podautoscaler/tests.rs).

use super::{Violation, CONTROLLER_MANAGER};
use crate::api::Object;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::BTreeMap;

pub const HPA_WITHIN_BOUNDS: &str = "hpa-replicas-within-bounds";

/// An HPA spec version: when it stopped being current (None: still is), its target
/// (kind, name) and its bounds.
type Version = (Option<SimTime>, (String, String), i32, i32);

#[derive(Default)]
pub struct AutoscalingChecker {
    /// Per HPA (namespace, name): its spec versions, oldest first.
    versions: BTreeMap<(String, String), Vec<Version>>,
}

impl AutoscalingChecker {
    /// A write: an HPA's (its bounds), or a scale write by kube-controller-manager.
    /// `reach`: how far back a reconcile's read of the HPA may be from its scale write.
    pub fn on_write(&mut self, w: &WatchEvent, verb: &str, by: &str, time: SimTime, reach: SimDuration, event: &str) -> Option<Violation> {
        let m = w.object.meta();
        if let Object::HorizontalPodAutoscaler(h) = &*w.object {
            let key = (m.namespace.clone(), m.name.clone());
            let list = self.versions.entry(key).or_default();
            if let Some(last) = list.last_mut() {
                last.0.get_or_insert(time);
            }
            // Versions older than any reconcile could still hold are forgotten.
            list.retain(|v| v.0.is_none_or(|end| end + reach >= time));
            if w.type_ != WatchEventType::Deleted {
                let r = &h.spec.scale_target_ref;
                list.push((None, (r.kind.clone(), r.name.clone()), h.spec.min_replicas.unwrap_or(1), h.spec.max_replicas));
            }
            return None;
        }
        if verb != "scale" || by != CONTROLLER_MANAGER {
            return None;
        }
        let replicas = match &*w.object {
            Object::Deployment(d) => d.replicas(),
            Object::ReplicaSet(r) => r.spec.replicas.unwrap_or(1),
            Object::StatefulSet(s) => s.spec.replicas.unwrap_or(1),
            Object::ReplicationController(r) => r.spec.replicas.unwrap_or(1),
            _ => return None,
        };
        let kind = w.object.kind();
        let target = (kind.name().to_string(), m.name.clone());
        for ((ns, name), list) in &self.versions {
            if *ns != m.namespace {
                continue;
            }
            let live: Vec<&Version> = list.iter().filter(|v| v.1 == target && v.0.is_none_or(|end| end + reach >= time)).collect();
            if live.is_empty() {
                continue;
            }
            if live.iter().any(|v| v.2 <= replicas && replicas <= v.3) {
                return None;
            }
            let bounds: Vec<String> = live.iter().map(|v| format!("[{}, {}]", v.2, v.3)).collect();
            return Some(Violation {
                invariant: HPA_WITHIN_BOUNDS,
                time,
                event: event.to_string(),
                objects: vec![format!("horizontalpodautoscaler/{ns}/{name}"), format!("{}/{}/{}", kind.resource(), m.namespace, m.name)],
                message: format!("scaled to {replicas} outside the HPA's bounds {}", bounds.join(" or ")),
            });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::etcd::Store;

    fn obj(y: &str) -> Object {
        if y.contains("HorizontalPodAutoscaler") {
            Object::HorizontalPodAutoscaler(Box::new(serde_json::from_str(y).unwrap()))
        } else {
            Object::Deployment(Box::new(serde_json::from_str(y).unwrap()))
        }
    }

    fn hpa(min: i32, max: i32) -> Object {
        obj(&format!(
            r#"{{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{{"name":"h","namespace":"default"}},"spec":{{"scaleTargetRef":{{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}},"minReplicas":{min},"maxReplicas":{max}}}}}"#
        ))
    }

    fn deployment(replicas: i32) -> Object {
        obj(&format!(
            r#"{{"apiVersion":"apps/v1","kind":"Deployment","metadata":{{"name":"web","namespace":"default"}},"spec":{{"replicas":{replicas},"selector":{{"matchLabels":{{"a":"b"}}}},"template":{{"metadata":{{"labels":{{"a":"b"}}}},"spec":{{"containers":[{{"name":"c","image":"i"}}]}}}}}}}}"#
        ))
    }

    #[test]
    fn a_scale_outside_the_bounds_is_caught_and_a_recent_edit_is_allowed() {
        let mut store = Store::new(Default::default());
        let mut c = AutoscalingChecker::default();
        let reach = SimDuration::from_ms(50);
        let mut put = |c: &mut AutoscalingChecker, o: Object, verb: &str, by: &str, t: u64| {
            let exists = store.get(&o.key()).is_some();
            let ev = if exists { store.update(o, SimTime(t)) } else { store.create(o, SimTime(t)) }.unwrap();
            c.on_write(&ev, verb, by, SimTime(t), reach, "test")
        };
        assert!(put(&mut c, hpa(1, 5), "create", "timeline", 0).is_none());
        assert!(put(&mut c, deployment(1), "create", "timeline", 1).is_none());
        assert!(put(&mut c, deployment(5), "scale", CONTROLLER_MANAGER, 100).is_none());
        // kubectl may scale anywhere; the HPA may not.
        assert!(put(&mut c, deployment(9), "scale", "timeline", 200).is_none());
        let v = put(&mut c, deployment(6), "scale", CONTROLLER_MANAGER, 300).expect("6 is above max 5");
        assert_eq!(v.invariant, HPA_WITHIN_BOUNDS);
        // max raised to 8 at 400 and lowered to 6 at 420: a write at 430 may come from a
        // reconcile that read either.
        put(&mut c, hpa(1, 8), "update", "timeline", 400);
        put(&mut c, hpa(1, 6), "update", "timeline", 420);
        assert!(put(&mut c, deployment(8), "scale", CONTROLLER_MANAGER, 430).is_none());
        // Long after, only the current bounds hold.
        assert!(put(&mut c, deployment(8), "scale", CONTROLLER_MANAGER, 1000).is_some());
    }
}
