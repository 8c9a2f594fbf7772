//! `hpa-replicas-within-bounds`: the HorizontalPodAutoscaler controller writes a target's
//! scale only with a count between the HPA's minReplicas and maxReplicas: the count out
//! of range is clamped to the bound it crosses, and every normalization clamps to [min,
//! max] in the direction it moves (pkg/controller/podautoscaler/horizontal.go:
//! reconcileAutoscaler's out-of-range branches, convertDesiredReplicasWithRules,
//! convertDesiredReplicasWithBehaviorRate). The bounds are the HPA's as the controller
//! read them, so a scale write is judged against every version of the HPA's spec the
//! store held from a reconcile's reach back (the cache's lag and the reconcile's round
//! trips) to the write.
//!
//! `hpa-scales-within-rate`: nor faster than its rate rules allow — with a `behavior`,
//! convertDesiredReplicasWithBehaviorRate's limits (calculateScaleUpLimitWithScalingRules,
//! calculateScaleDownLimitWithBehaviors: each policy's count at the start of its period,
//! from the HPA's own scale changes within it, selectPolicy Max/Min/Disabled); without
//! one, convertDesiredReplicasWithRules' max(2 × current, 4) for a scale-up. Recomputed
//! here from the scale writes the checker saw land, each change counted in or out of a
//! period the way that allows more (the controller's clock runs ahead of the writes by
//! up to a reconcile's reach); not judged: a count out of [min, max] (clamped without
//! the rate) or one another hand changed within that reach (the controller's view of
//! the scale may lag it). Upstream keeps those changes in the controller's memory, so the
//! guarantee holds within one kube-controller-manager's lifetime (a restart or a leader
//! change forgets them and may scale faster); ksim's controller manager never restarts.
//!
//! `node-group-within-bounds`: the Cluster Autoscaler asks for a machine only while its
//! group's size is below max (ScaleUp caps the binpacking estimate at MaxSize −
//! TargetSize; a group at its max is skipped, `max node group size reached`), and
//! deletes one only while the group is above min (the planner skips a group at
//! `size − deletionsInProgress <= min`; the GCE and AWS providers' DeleteNodes refuse
//! `min size reached`, and ksim's cloud does the same; removeOldUnregisteredNodes keeps
//! a machine that would cross it). The size is counted by the simulation — the pool's
//! machines, registered or booting — not by the autoscaler's own bookkeeping. A group that starts outside its bounds is not a
//! violation: the autoscaler only never moves it further out.
//!
//! `autoscaler-deletes-drained-nodes`: the Cluster Autoscaler deletes a Node only once
//! the pods that had to move are gone: DrainNode evicts them and waits until each is
//! deleted (core/scaledown/actuation/drain.go), and an empty node had none. Left on it
//! may be DaemonSet and mirror pods (drain skips them) and pods in a terminal phase. A
//! pod bound after the autoscaler could have seen it is not judged: the scheduler may
//! bind on a view older than the ToBeDeleted taint, and upstream deletes such a node too
//! — so a pod counts only if it was bound one request latency or more before the taint
//! was written (the autoscaler reads the cluster, then taints; without a taint, before
//! the delete).

use super::{Violation, CONTROLLER_MANAGER};
use crate::api::horizontal_pod_autoscaler::Behavior;
use crate::api::Object;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::BTreeMap;

pub const HPA_WITHIN_BOUNDS: &str = "hpa-replicas-within-bounds";
pub const HPA_WITHIN_RATE: &str = "hpa-scales-within-rate";
pub const NODE_GROUP_WITHIN_BOUNDS: &str = "node-group-within-bounds";
pub const AUTOSCALER_DELETES_DRAINED: &str = "autoscaler-deletes-drained-nodes";
/// The Cluster Autoscaler's client name.
pub const CLUSTER_AUTOSCALER: &str = "cluster-autoscaler";

/// A Cluster Autoscaler machine request for `pool` (bounds `[min, max]`) that had
/// `machines` machines before it: a machine added (`add`) or deleted.
pub fn node_group_change(pool: &str, min: u32, max: u32, machines: u32, add: bool, time: SimTime, event: &str) -> Option<Violation> {
    let (after, bad) = if add { (machines + 1, machines + 1 > max) } else { (machines.saturating_sub(1), machines <= min) };
    bad.then(|| Violation {
        invariant: NODE_GROUP_WITHIN_BOUNDS,
        time,
        event: event.to_string(),
        objects: vec![format!("nodegroup/{pool}")],
        message: format!("the Cluster Autoscaler {} a machine: {machines} → {after}, outside [{min}, {max}]", if add { "added" } else { "deleted" }),
    })
}

/// When a pod was bound: its PodScheduled condition's transition, or its creation for a
/// pod created with its node.
fn bound_at(p: &crate::api::pod::Pod) -> SimTime {
    p.status
        .conditions
        .iter()
        .find(|c| c.type_ == "PodScheduled" && c.status == "True")
        .and_then(|c| c.last_transition_time.get())
        .or(p.metadata.creation_timestamp)
        .map_or(SimTime::ZERO, |t| t.0)
}

/// A Node the Cluster Autoscaler deleted: the pods still on it that had to move.
pub fn deleted_node(node: &str, tainted: Option<SimTime>, request: SimDuration, store: &crate::etcd::Store, time: SimTime, event: &str) -> Option<Violation> {
    let cutoff = tainted.unwrap_or(time);
    let seen = |t: SimTime| t.as_ms() + request.as_ms() <= cutoff.as_ms();
    let left: Vec<String> = store
        .list(&crate::api::Kind::Pod)
        .filter_map(|o| o.as_pod())
        .filter(|p| {
            p.spec.node_name == node
                && !p.is_terminal()
                && !p.metadata.annotations.contains_key("kubernetes.io/config.mirror")
                && p.metadata.controller_ref().is_none_or(|r| r.kind != "DaemonSet")
                && seen(bound_at(p))
        })
        .map(|p| format!("pod/{}/{}", p.metadata.namespace, p.metadata.name))
        .collect();
    (!left.is_empty()).then(|| Violation {
        invariant: AUTOSCALER_DELETES_DRAINED,
        time,
        event: event.to_string(),
        message: format!("the Cluster Autoscaler deleted node {node} with {} pod(s) not drained", left.len()),
        objects: std::iter::once(format!("node/{node}")).chain(left).collect(),
    })
}

/// An HPA spec version: when it stopped being current (None: still is), its target
/// (kind, name), its bounds and its behavior.
struct Version {
    end: Option<SimTime>,
    target: (String, String),
    min: i32,
    max: i32,
    behavior: Option<std::rc::Rc<Behavior>>,
}

/// An HPA's scale changes as the checker saw them land: (when, by how much).
#[derive(Default)]
struct History {
    ups: Vec<(SimTime, i32)>,
    downs: Vec<(SimTime, i32)>,
}

#[derive(Default)]
pub struct AutoscalingChecker {
    /// Per HPA (namespace, name): its spec versions, oldest first.
    versions: BTreeMap<(String, String), Vec<Version>>,
    /// Per HPA: its scale changes within the longest policy period.
    history: BTreeMap<(String, String), History>,
    /// Per target (namespace, kind, name): when another hand last changed its replicas.
    touched: BTreeMap<(String, String, String), SimTime>,
    /// Nodes carrying the Cluster Autoscaler's ToBeDeleted taint, since when.
    tainted: BTreeMap<String, SimTime>,
}

/// The longest period a scaling policy may have (validation: 1800 s).
const LONGEST_PERIOD: SimDuration = SimDuration::from_secs(1800);

fn replicas_of(o: &Object) -> Option<i32> {
    Some(match o {
        Object::Deployment(d) => d.replicas(),
        Object::ReplicaSet(r) => r.spec.replicas.unwrap_or(1),
        Object::StatefulSet(s) => s.spec.replicas.unwrap_or(1),
        Object::ReplicationController(r) => r.spec.replicas.unwrap_or(1),
        _ => return None,
    })
}

/// The changes within `period` before `now`: `wide` counts one landed up to `reach`
/// later than the controller's own clock would put it (the write lags the reconcile),
/// otherwise only those that certainly fall within.
fn changes(events: &[(SimTime, i32)], period: i32, now: SimTime, reach: SimDuration, wide: bool) -> i32 {
    let p = SimDuration::from_secs(period.max(0) as u64);
    events.iter().filter(|(t, _)| if wide { *t + p + reach > now } else { *t + p > now + reach }).map(|(_, c)| *c).fold(0, i32::saturating_add)
}

/// Whether a scale from `c` to `n` at `now` keeps to the rate a version's behavior
/// allows, given the HPA's earlier changes: Err with the limit if not. Each count is
/// taken the way that gives the larger allowance (the controller's clock runs up to
/// `reach` ahead of the writes the checker sees).
fn within_rate(v: &Version, c: i32, n: i32, h: &History, now: SimTime, reach: SimDuration) -> Result<(), i32> {
    // Out of range: reconcileAutoscaler clamps without the rate.
    if c < v.min || c > v.max || n == c {
        return Ok(());
    }
    let Some(b) = &v.behavior else {
        // convertDesiredReplicasWithRules: max(scaleUpLimitFactor × current, scaleUpLimitMinimum).
        let limit = (2 * c).max(4);
        return if n > limit { Err(limit) } else { Ok(()) };
    };
    if n > c {
        let rules = b.scale_up.clone().unwrap_or_default();
        let select = rules.select_policy.as_deref().unwrap_or("Max");
        let mut limit = if select == "Min" { i32::MAX } else { i32::MIN };
        if select == "Disabled" {
            limit = c;
        } else {
            for p in rules.policies.as_deref().unwrap_or_default() {
                let start = c - changes(&h.ups, p.period_seconds, now, reach, false) + changes(&h.downs, p.period_seconds, now, reach, true);
                let proposed = if p.type_ == "Pods" { start.saturating_add(p.value) } else { (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as i32 };
                limit = if select == "Min" { limit.min(proposed) } else { limit.max(proposed) };
            }
        }
        let limit = limit.max(c);
        if n > limit {
            return Err(limit);
        }
    } else {
        let rules = b.scale_down.clone().unwrap_or_default();
        let select = rules.select_policy.as_deref().unwrap_or("Max");
        let mut limit = if select == "Min" { i32::MIN } else { i32::MAX };
        if select == "Disabled" {
            limit = c;
        } else {
            for p in rules.policies.as_deref().unwrap_or_default() {
                let start = c - changes(&h.ups, p.period_seconds, now, reach, true) + changes(&h.downs, p.period_seconds, now, reach, false);
                let proposed = if p.type_ == "Pods" { start.saturating_sub(p.value) } else { (start as f64 * (1.0 - p.value as f64 / 100.0)) as i32 };
                limit = if select == "Min" { limit.max(proposed) } else { limit.min(proposed) };
            }
        }
        let limit = limit.min(c).max(v.min);
        if n < limit {
            return Err(limit);
        }
    }
    Ok(())
}

impl AutoscalingChecker {
    /// A write: an HPA's (its bounds), or a scale write by kube-controller-manager.
    /// `reach`: how far back a reconcile's read of the HPA may be from its scale write.
    #[allow(clippy::too_many_arguments)]
    pub fn on_write(
        &mut self,
        w: &WatchEvent,
        verb: &str,
        by: &str,
        time: SimTime,
        reach: SimDuration,
        request: SimDuration,
        store: &crate::etcd::Store,
        event: &str,
    ) -> Option<Violation> {
        let m = w.object.meta();
        if let Object::Node(n) = &*w.object {
            let deleted = w.type_ == WatchEventType::Deleted;
            let was = if deleted || !n.spec.taints.iter().any(|t| t.key == crate::cluster_autoscaler::TO_BE_DELETED_TAINT) {
                self.tainted.remove(m.name.as_str())
            } else {
                self.tainted.entry(m.name.to_string()).or_insert(time);
                None
            };
            if deleted && by == CLUSTER_AUTOSCALER {
                return deleted_node(&m.name, was, request, store, time, event);
            }
            return None;
        }
        if let Object::HorizontalPodAutoscaler(h) = &*w.object {
            let key = (m.namespace.to_string(), m.name.to_string());
            let list = self.versions.entry(key.clone()).or_default();
            if let Some(last) = list.last_mut() {
                last.end.get_or_insert(time);
            }
            // Versions older than any reconcile could still hold are forgotten.
            list.retain(|v| v.end.is_none_or(|end| end + reach >= time));
            if w.type_ == WatchEventType::Deleted {
                // reconcileKey finds it gone: its scale events are forgotten.
                self.history.remove(&key);
            } else {
                let r = &h.spec.scale_target_ref;
                list.push(Version {
                    end: None,
                    target: (r.kind.clone(), r.name.clone()),
                    min: h.spec.min_replicas.unwrap_or(1),
                    max: h.spec.max_replicas,
                    behavior: h.spec.behavior.clone().map(std::rc::Rc::new),
                });
            }
            return None;
        }
        if self.versions.is_empty() {
            return None;
        }
        let replicas = replicas_of(&w.object)?;
        let kind = w.object.kind();
        let prev = w.prev.as_deref().and_then(replicas_of);
        if verb != "scale" || by != CONTROLLER_MANAGER {
            // Another hand's change: the HPA's view of the scale may lag it.
            if prev.is_some_and(|p| p != replicas) {
                self.touched.insert((m.namespace.to_string(), kind.name().to_string(), m.name.to_string()), time);
            }
            return None;
        }
        let target = (kind.name().to_string(), m.name.to_string());
        let touched = self.touched.get(&(m.namespace.to_string(), target.0.clone(), target.1.to_string())).is_some_and(|t| *t + reach >= time);
        for ((ns, name), list) in &self.versions {
            if *ns != m.namespace {
                continue;
            }
            let live: Vec<&Version> = list.iter().filter(|v| v.target == target && v.end.is_none_or(|end| end + reach >= time)).collect();
            if live.is_empty() {
                continue;
            }
            let objects = vec![format!("horizontalpodautoscaler/{ns}/{name}"), format!("{}/{}/{}", kind.resource(), m.namespace, m.name)];
            if !live.iter().any(|v| v.min <= replicas && replicas <= v.max) {
                let bounds: Vec<String> = live.iter().map(|v| format!("[{}, {}]", v.min, v.max)).collect();
                return Some(Violation {
                    invariant: HPA_WITHIN_BOUNDS,
                    time,
                    event: event.to_string(),
                    objects,
                    message: format!("scaled to {replicas} outside the HPA's bounds {}", bounds.join(" or ")),
                });
            }
            let key = (ns.clone(), name.clone());
            let h = self.history.entry(key).or_default();
            let c = prev?;
            let verdict = if touched {
                Ok(())
            } else {
                live.iter()
                    .map(|v| within_rate(v, c, replicas, h, time, reach))
                    .find(|r| r.is_ok())
                    .unwrap_or_else(|| within_rate(live[0], c, replicas, h, time, reach))
            };
            // storeScaleEvent: with a behavior only.
            if live.last().is_some_and(|v| v.behavior.is_some()) {
                if replicas > c {
                    h.ups.push((time, replicas - c));
                } else if replicas < c {
                    h.downs.push((time, c - replicas));
                }
            }
            h.ups.retain(|(t, _)| *t + LONGEST_PERIOD + reach > time);
            h.downs.retain(|(t, _)| *t + LONGEST_PERIOD + reach > time);
            if let Err(limit) = verdict {
                return Some(Violation {
                    invariant: HPA_WITHIN_RATE,
                    time,
                    event: event.to_string(),
                    objects,
                    message: format!("scaled {c} → {replicas}, past the {limit} its behavior allows now"),
                });
            }
            return None;
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

    fn hpa_with(behavior: &str) -> Object {
        obj(&format!(
            r#"{{"apiVersion":"autoscaling/v2","kind":"HorizontalPodAutoscaler","metadata":{{"name":"h","namespace":"default"}},"spec":{{"scaleTargetRef":{{"apiVersion":"apps/v1","kind":"Deployment","name":"web"}},"minReplicas":1,"maxReplicas":20,"behavior":{behavior}}}}}"#
        ))
    }

    /// The policies' arithmetic, from upstream's formulas: with scaleUp `1 pod per 60 s`,
    /// a second scale-up 15 s after the first may not add (start = 2 − 1 = 1, limit 2),
    /// one exactly 60 s after may (getReplicasChangePerPeriod counts events strictly
    /// within the period); scaleDown `50 % per 60 s` from 10 allows 5 (int(10 × 0.5)),
    /// not 4; without a behavior a scale-up may reach max(2 × 1, 4) = 4, not 5.
    #[test]
    fn a_scale_faster_than_the_behavior_allows_is_caught() {
        let reach = SimDuration::from_ms(50);
        let run = |hpa: Object, steps: &[(i32, &str, u64)]| -> Vec<Option<&'static str>> {
            let mut store = Store::new(Default::default());
            let mut c = AutoscalingChecker::default();
            let mut out = Vec::new();
            let mut put = |c: &mut AutoscalingChecker, o: Object, verb: &str, by: &str, t: u64| {
                let exists = store.get(&o.key()).is_some();
                let ev = if exists { store.update(o, SimTime(t)) } else { store.create(o, SimTime(t)) }.unwrap();
                c.on_write(&ev, verb, by, SimTime(t), reach, SimDuration::from_ms(1), &Store::new(Default::default()), "test").map(|v| v.invariant)
            };
            put(&mut c, hpa, "create", "timeline", 0);
            for (n, by, t) in steps {
                let verb = if *by == CONTROLLER_MANAGER { "scale" } else { "update" };
                out.push(put(&mut c, deployment(*n), verb, by, *t));
            }
            out
        };
        let up = r#"{"scaleUp":{"selectPolicy":"Max","stabilizationWindowSeconds":0,"policies":[{"type":"Pods","value":1,"periodSeconds":60}]},"scaleDown":{"selectPolicy":"Max","policies":[{"type":"Percent","value":50,"periodSeconds":60}]}}"#;
        let cm = CONTROLLER_MANAGER;
        assert_eq!(run(hpa_with(up), &[(1, "timeline", 1), (2, cm, 100_000), (3, cm, 115_000)]), [None, None, Some(HPA_WITHIN_RATE)]);
        assert_eq!(run(hpa_with(up), &[(1, "timeline", 1), (2, cm, 100_000), (3, cm, 160_000)]), [None, None, None]);
        assert_eq!(run(hpa_with(up), &[(10, "timeline", 1), (4, cm, 100_000)]), [None, Some(HPA_WITHIN_RATE)]);
        assert_eq!(run(hpa_with(up), &[(10, "timeline", 1), (5, cm, 100_000)]), [None, None]);
        // kubectl scaled it just before: the controller may have read either count.
        assert_eq!(
            run(hpa_with(up), &[(1, "timeline", 1), (2, cm, 100_000), (2, "timeline", 114_990), (3, cm, 115_000)]),
            [None, None, None, Some(HPA_WITHIN_RATE)]
        );
        assert_eq!(run(hpa_with(up), &[(1, "timeline", 1), (9, "timeline", 114_990), (12, cm, 115_000)]), [None, None, None]);
        assert_eq!(run(hpa(1, 20), &[(1, "timeline", 1), (5, cm, 100_000)]), [None, Some(HPA_WITHIN_RATE)]);
        assert_eq!(run(hpa(1, 20), &[(1, "timeline", 1), (4, cm, 100_000)]), [None, None]);
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
            c.on_write(&ev, verb, by, SimTime(t), reach, SimDuration::from_ms(1), &Store::new(Default::default()), "test")
        };
        assert!(put(&mut c, hpa(1, 5), "create", "timeline", 0).is_none());
        assert!(put(&mut c, deployment(1), "create", "timeline", 1).is_none());
        assert!(put(&mut c, deployment(4), "scale", CONTROLLER_MANAGER, 100).is_none());
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

    #[test]
    fn a_group_taken_past_its_bounds_is_caught_and_one_born_outside_is_not() {
        let t = SimTime(1);
        // [1, 3]: a third machine is fine, a fourth is not; the last one stays.
        assert!(node_group_change("w", 1, 3, 2, true, t, "e").is_none());
        assert_eq!(node_group_change("w", 1, 3, 3, true, t, "e").unwrap().invariant, NODE_GROUP_WITHIN_BOUNDS);
        assert!(node_group_change("w", 1, 3, 2, false, t, "e").is_none());
        assert!(node_group_change("w", 1, 3, 1, false, t, "e").is_some());
        // A pool that started at 5 above max 3 may shrink (unneeded nodes go) but not grow.
        assert!(node_group_change("w", 1, 3, 5, false, t, "e").is_none());
        assert!(node_group_change("w", 1, 3, 5, true, t, "e").is_some());
    }

    fn pod_on(name: &str, node: &str, bound: u64, owner: Option<&str>, phase: &str) -> Object {
        let owner =
            owner.map_or(String::new(), |k| format!(r#","ownerReferences":[{{"apiVersion":"apps/v1","kind":"{k}","name":"o","uid":"u","controller":true}}]"#));
        let mut o: Object = Object::Pod(
            serde_json::from_str(&format!(
                r#"{{"apiVersion":"v1","kind":"Pod","metadata":{{"name":"{name}","namespace":"default"{owner}}},"spec":{{"nodeName":"{node}","containers":[{{"name":"c","image":"i"}}]}},"status":{{"phase":"{phase}"}}}}"#
            ))
            .unwrap(),
        );
        if let Object::Pod(p) = &mut o {
            p.status.conditions.push(crate::api::pod::PodCondition {
                type_: "PodScheduled".into(),
                status: "True".into(),
                last_transition_time: crate::api::meta::Time(SimTime(bound)).into(),
                ..Default::default()
            });
        }
        o
    }

    fn node(tainted: bool) -> Object {
        let taints = if tainted { r#","taints":[{"key":"ToBeDeletedByClusterAutoscaler","value":"1","effect":"NoSchedule"}]"# } else { "" };
        Object::Node(Box::new(
            serde_json::from_str(&format!(r#"{{"apiVersion":"v1","kind":"Node","metadata":{{"name":"n1"}},"spec":{{"podCIDR":"10.0.0.0/24"{taints}}}}}"#))
                .unwrap(),
        ))
    }

    #[test]
    fn a_node_deleted_with_pods_that_had_to_move_is_caught() {
        let mut store = Store::new(Default::default());
        let mut c = AutoscalingChecker::default();
        let (reach, req) = (SimDuration::from_ms(50), SimDuration::from_ms(1));
        for o in [
            pod_on("web", "n1", 100, Some("ReplicaSet"), "Running"),
            pod_on("ds", "n1", 100, Some("DaemonSet"), "Running"),
            pod_on("done", "n1", 100, None, "Succeeded"),
        ] {
            store.create(o, SimTime(100)).unwrap();
        }
        // A pod bound after the autoscaler could see it (after taint − one latency) is not judged.
        store.create(pod_on("late", "n1", 1000, None, "Running"), SimTime(1000)).unwrap();
        store.create(node(false), SimTime(1)).unwrap();
        let ev = store.update(node(true), SimTime(1000)).unwrap();
        assert!(c.on_write(&ev, "update", CLUSTER_AUTOSCALER, SimTime(1000), reach, req, &store, "e").is_none());
        let ev = store.delete(&node(false).key(), None, SimTime(2000)).unwrap();
        let v = c.on_write(&ev, "delete", CLUSTER_AUTOSCALER, SimTime(2000), reach, req, &store, "e").expect("web was not drained");
        assert_eq!(v.invariant, AUTOSCALER_DELETES_DRAINED);
        assert_eq!(v.objects, ["node/n1", "pod/default/web"]);
        // The same delete by another hand (kubectl, a timeline removal) is not the autoscaler's.
        store.create(node(false), SimTime(3000)).unwrap();
        let ev = store.delete(&node(false).key(), None, SimTime(3001)).unwrap();
        assert!(c.on_write(&ev, "delete", "timeline", SimTime(3001), reach, req, &store, "e").is_none());
        // Once web and late are gone, the autoscaler's delete is fine.
        store.delete(&pod_on("web", "n1", 0, None, "Running").key(), None, SimTime(3500)).unwrap();
        store.delete(&pod_on("late", "n1", 0, None, "Running").key(), None, SimTime(3501)).unwrap();
        store.create(node(true), SimTime(4000)).unwrap();
        let ev = store.delete(&node(false).key(), None, SimTime(4001)).unwrap();
        assert!(c.on_write(&ev, "delete", CLUSTER_AUTOSCALER, SimTime(4001), reach, req, &store, "e").is_none());
    }
}
