//! `daemonset-one-pod-per-node`: the DaemonSet controller creates a pod for a node only
//! when it counts none of the DaemonSet's pods there (pkg/controller/daemon/
//! daemon_controller.go, podsShouldBeOnNode: `shouldRun && len(daemonPods) == 0`), where
//! its pods on a node are all it claimed except finished pods already being deleted
//! (getNodesToDaemonPods) and what it no longer claims (a pod whose labels left the
//! selector). Under maxSurge (update.go rollingUpdate, and podsShouldBeOnNode's surge
//! branch) it counts only pods neither being deleted nor finished, and adds one updated
//! pod beside an old one: one other such pod at the moment of the create. Its own creates
//! it awaits through expectations, so a pod of the DaemonSet in the store is one it has
//! seen or is awaiting: the store never shows fewer of them than the controller counted.
//! The guarantee checked: when the controller manager creates a DaemonSet's pod for a
//! node, the store holds no other pod of that DaemonSet for the node that the controller
//! counts (one, under surge). Surge is allowed when the DaemonSet allowed it within the
//! time a sync may take after the controller read it (a slow-start run and the watch
//! latency), since the user may turn it off while a sync is under way. Pods created by
//! anyone else and adopted are not bound by it (the next sync deletes the extras).

use super::Violation;
use crate::api::daemon_set::DaemonSet;
use crate::api::pod::Pod;
use crate::api::Kind;
use crate::controller_manager::daemon_set::util::{allows_surge, get_target_node_name};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};

pub const DAEMONSET_ONE_PER_NODE: &str = "daemonset-one-pod-per-node";

type Key = (String, String);

#[derive(Default)]
pub struct DaemonSetChecker {
    /// Per (DaemonSet uid, node): the pods of the DaemonSet the controller counts there.
    on_node: BTreeMap<(String, String), BTreeSet<Key>>,
    /// Where each counted pod is.
    slot: BTreeMap<Key, (String, String)>,
    /// Per DaemonSet uid: None while it allows surge, Some(t) once it stopped at t.
    surge: BTreeMap<String, Option<SimTime>>,
}

impl DaemonSetChecker {
    /// A DaemonSet write.
    pub fn on_daemon_set(&mut self, ds: &DaemonSet, deleted: bool, time: SimTime) {
        let uid = ds.metadata.uid.clone();
        if deleted {
            self.surge.remove(uid.as_str());
        } else if allows_surge(ds) {
            self.surge.insert(uid.to_string(), None);
        } else if let Some(s @ None) = self.surge.get_mut(uid.as_str()) {
            *s = Some(time);
        }
    }

    /// A pod write; `by_controller_manager` when the controller manager made it.
    #[allow(clippy::too_many_arguments)]
    pub fn on_pod(
        &mut self,
        w: &WatchEvent,
        p: &Pod,
        by_controller_manager: bool,
        store: &crate::etcd::Store,
        lag: SimDuration,
        time: SimTime,
        event: &str,
    ) -> Option<Violation> {
        let key = (p.metadata.namespace.to_string(), p.metadata.name.to_string());
        if let Some(old) = self.slot.remove(&key) {
            if let Some(set) = self.on_node.get_mut(&old) {
                set.remove(&key);
                if set.is_empty() {
                    self.on_node.remove(&old);
                }
            }
        }
        let owner = p.metadata.controller_ref().filter(|r| r.kind == "DaemonSet")?;
        let counted = w.type_ != WatchEventType::Deleted && !(p.is_terminal() && p.metadata.rare.deletion_timestamp.is_some());
        let node = get_target_node_name(p).ok()?;
        if !counted {
            return None;
        }
        let slot = (owner.uid.clone(), node.clone());
        let set = self.on_node.entry(slot.clone()).or_default();
        set.insert(key.clone());
        self.slot.insert(key, slot);
        if w.type_ != WatchEventType::Added || !by_controller_manager {
            return None;
        }
        let surge = match self.surge.get(&owner.uid) {
            Some(None) => true,
            Some(Some(stopped)) => time.since(*stopped) <= lag,
            None => false,
        };
        let ds = store.get_parts(&Kind::DaemonSet, &p.metadata.namespace, &owner.name).and_then(|o| o.as_daemon_set()).filter(|d| d.metadata.uid == owner.uid);
        // The pods the controller counts on the node: claimed (its selector still selects
        // them) and, under surge, neither being deleted nor finished.
        let others: Vec<String> = set
            .iter()
            .filter(|k| k.1 != p.metadata.name)
            .filter(|k| {
                let Some(o) = store.get_parts(&Kind::Pod, &k.0, &k.1).and_then(|o| o.as_pod()) else { return false };
                let claimed = ds.is_none_or(|d| d.spec.selector.as_ref().is_some_and(|s| s.matches(&o.metadata.labels)));
                claimed && !(surge && (o.metadata.rare.deletion_timestamp.is_some() || o.is_terminal()))
            })
            .map(|k| format!("pod/{}/{}", k.0, k.1))
            .collect();
        let allowed = usize::from(surge);
        (others.len() > allowed).then(|| {
            let mut objects = vec![
                format!("daemonset/{}/{}", p.metadata.namespace, owner.name),
                format!("node/{node}"),
                format!("pod/{}/{}", p.metadata.namespace, p.metadata.name),
            ];
            let n = others.len();
            objects.extend(others);
            Violation {
                invariant: DAEMONSET_ONE_PER_NODE,
                time,
                event: event.to_string(),
                objects,
                message: format!(
                    "a pod created for node {node} where the DaemonSet already has {n} (at most {allowed}{})",
                    if surge { " with maxSurge" } else { "" }
                ),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::daemon_set::{DaemonSet, RollingUpdateDaemonSet};
    use crate::api::meta::{IntOrString, OwnerReference, Time};
    use crate::api::Object;
    use crate::etcd::{HistoryLimits, Store};
    use crate::invariants::{Checker, CONTROLLER_MANAGER};
    use crate::scenario::model::Latency;
    use std::rc::Rc;

    fn ds(surge: i32) -> Object {
        let mut d = DaemonSet::default();
        d.metadata.name = "agent".into();
        d.metadata.namespace = "default".into();
        d.metadata.uid = "ds-uid".into();
        d.spec.selector =
            Some(crate::api::meta::LabelSelector { match_labels: [("app".to_string(), "agent".to_string())].into_iter().collect(), match_expressions: vec![] });
        d.spec.update_strategy.type_ = "RollingUpdate".into();
        d.spec.update_strategy.rolling_update =
            Some(RollingUpdateDaemonSet { max_unavailable: Some(IntOrString::Int(i32::from(surge == 0))), max_surge: Some(IntOrString::Int(surge)) });
        Object::DaemonSet(Box::new(d))
    }

    fn pod(name: &str, node: &str) -> Object {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        *p.metadata.owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "DaemonSet".into(),
            name: "agent".into(),
            uid: "ds-uid".into(),
            controller: Some(true),
            block_owner_deletion: None,
        }];
        p.metadata.labels.insert("app".into(), "agent".into());
        Rc::make_mut(&mut p.spec).node_name = node.into();
        p.status.phase = "Running".into();
        Object::Pod(Box::new(p))
    }

    fn write(s: &mut Store, c: &mut Checker, o: Object, by: &str) {
        let t = SimTime(1);
        let ev = if s.get(&o.key()).is_some() { s.update(o, t) } else { s.create(o, t) }.unwrap();
        let verb = if ev.type_ == WatchEventType::Added { "create" } else { "update" };
        c.on_write(&ev, verb, by, s, t, "test");
    }

    fn fired(c: &Checker) -> usize {
        c.violations.iter().filter(|v| v.invariant == DAEMONSET_ONE_PER_NODE).count()
    }

    /// A second pod for a node where the DaemonSet has one fires; a pod on another node,
    /// one created beside a failed pod being deleted, and one a user made (adopted and
    /// deleted by the next sync) do not.
    #[test]
    fn a_second_pod_for_a_node_fires_unless_the_first_is_finished_and_going() {
        let (mut s, mut c) = (Store::new(HistoryLimits::default()), Checker::new(Latency::default()));
        write(&mut s, &mut c, ds(0), "test");
        write(&mut s, &mut c, pod("a1", "n1"), CONTROLLER_MANAGER);
        write(&mut s, &mut c, pod("a2", "n2"), CONTROLLER_MANAGER);
        write(&mut s, &mut c, pod("user", "n2"), "kubectl");
        assert_eq!(fired(&c), 0, "{:?}", c.violations);
        let mut failed = pod("a1", "n1");
        if let Object::Pod(p) = &mut failed {
            p.status.phase = "Failed".into();
            p.metadata.rare.deletion_timestamp = Some(Time(SimTime(1)));
        }
        write(&mut s, &mut c, failed, "kubelet/n1");
        write(&mut s, &mut c, pod("a3", "n1"), CONTROLLER_MANAGER);
        assert_eq!(fired(&c), 0, "the failed pod being deleted is not counted: {:?}", c.violations);
        write(&mut s, &mut c, pod("a4", "n1"), CONTROLLER_MANAGER);
        assert_eq!(fired(&c), 1);
        assert!(c.violations[0].objects.contains(&"pod/default/a3".to_string()), "{:?}", c.violations[0]);
    }

    /// With maxSurge the replacement is created beside the old pod; a third is a bug —
    /// unless the one between is being deleted (the surge branch of podsShouldBeOnNode
    /// and findUpdatedPodsOnNode skip deleting pods).
    #[test]
    fn surge_allows_one_replacement_beside_the_old_pod() {
        let (mut s, mut c) = (Store::new(HistoryLimits::default()), Checker::new(Latency::default()));
        write(&mut s, &mut c, ds(1), "test");
        write(&mut s, &mut c, pod("old", "n1"), CONTROLLER_MANAGER);
        write(&mut s, &mut c, pod("new", "n1"), CONTROLLER_MANAGER);
        assert_eq!(fired(&c), 0);
        let mut going = pod("new", "n1");
        going.meta_mut().rare.deletion_timestamp = Some(Time(SimTime(1)));
        write(&mut s, &mut c, going, "kubectl");
        write(&mut s, &mut c, pod("new2", "n1"), CONTROLLER_MANAGER);
        assert_eq!(fired(&c), 0, "the deleting pod is not counted under surge: {:?}", c.violations);
        write(&mut s, &mut c, pod("third", "n1"), CONTROLLER_MANAGER);
        assert_eq!(fired(&c), 1);
    }

    /// Surge turned off while a sync that read it on is under way: its create still
    /// lands; long after, it is a bug. A pod whose labels left the selector is not the
    /// controller's any more (ClaimPods) and is not counted.
    #[test]
    fn surge_ends_with_the_syncs_that_saw_it_and_relabelled_pods_do_not_count() {
        let (mut s, mut c) = (Store::new(HistoryLimits::default()), Checker::new(Latency::default()));
        write(&mut s, &mut c, ds(1), "test");
        write(&mut s, &mut c, pod("old", "n1"), CONTROLLER_MANAGER);
        write(&mut s, &mut c, ds(0), "kubectl");
        write(&mut s, &mut c, pod("new", "n1"), CONTROLLER_MANAGER);
        assert_eq!(fired(&c), 0, "a sync that read surge on: {:?}", c.violations);
        let mut away = pod("loner", "n2");
        away.meta_mut().labels.insert("app".into(), "other".into());
        write(&mut s, &mut c, away, "kubectl");
        write(&mut s, &mut c, pod("a2", "n2"), CONTROLLER_MANAGER);
        assert_eq!(fired(&c), 0, "the relabelled pod is not claimed: {:?}", c.violations);
        let later = SimTime(10_000);
        let ev = s.create(pod("late", "n1"), later).unwrap();
        c.on_write(&ev, "create", CONTROLLER_MANAGER, &s, later, "test");
        assert_eq!(fired(&c), 1, "10 s after surge was turned off");
    }
}
