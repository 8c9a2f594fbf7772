//! The controller manager's shared informers (client-go `SharedInformerFactory`): one
//! watch-fed cache of the kinds its controllers read, and the indexers they share —
//! objects by uid, dependents by owner uid, pods by node, and controllerless active pods
//! by namespace (the adoption candidates). Controllers read it; only watch events
//! change it. An object's (kind, namespace, name) is made once and shared by the
//! indexers that hold it (`Rc`): a pod is in three.

use super::controller_utils::is_pod_active;
use crate::api::meta::{OwnerRefs, Text};
use crate::api::uid::{UidKey, UidTable};
use crate::api::{Kind, Object};
use crate::client::Informer;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub type NsName = (String, String);
/// (kind, namespace, name).
pub type ObjectRef = (Kind, Text, Text);

#[derive(Default)]
pub struct SharedInformers {
    pub informer: Informer,
    /// uid → (kind, namespace, name) of every cached object with a uid.
    /// Looked up at every write and never walked in order: a [`UidTable`] (every
    /// object, Events included).
    by_uid: UidTable<Rc<ObjectRef>>,
    /// owner uid → dependents.
    dependents: BTreeMap<UidKey, BTreeSet<Rc<ObjectRef>>>,
    /// node name → pods bound there (all of kind Pod: ordered by namespace and name).
    pods_by_node: BTreeMap<Text, BTreeSet<Rc<ObjectRef>>>,
    /// Active pods without a controller, by namespace.
    orphans: BTreeMap<Text, BTreeSet<Text>>,
}

/// What the indexers are built from: uid, owners, node, and whether an active orphan.
/// The uid and the owners as the shared values they are (`Text`, `OwnerRefs`): the
/// versions of an object share both, which then compare as one pointer, not as strings.
fn index_key(o: &Object) -> (&Text, &OwnerRefs, &str, bool) {
    let m = o.meta();
    match o.as_pod() {
        Some(p) => (&m.uid, &m.owner_references, &p.spec.node_name, is_pod_active(p)),
        None => (&m.uid, &m.owner_references, "", true),
    }
}

impl SharedInformers {
    /// Applies a watch event to the cache and the indexers.
    pub fn apply(&mut self, ev: &WatchEvent) {
        self.informer.apply(ev);
        self.index(ev);
    }

    fn index(&mut self, ev: &WatchEvent) {
        let deleted = ev.type_ == WatchEventType::Deleted;
        let obj = &ev.object;
        if let (false, Some(prev)) = (deleted, &ev.prev) {
            if index_key(prev) == index_key(obj) {
                return; // nothing the indexers depend on changed (most status updates)
            }
        }
        let m = obj.meta();
        let kind = obj.kind();
        let uid = UidKey::new(&m.uid);
        let (me, known) = match self.by_uid.get(&uid) {
            Some(r) if r.0 == kind && r.1 == m.namespace && r.2 == m.name => (r.clone(), true),
            _ => (Rc::new((kind, m.namespace.clone(), m.name.clone())), false),
        };
        // An index whose input is the same before and after (a live object's owners, a
        // pod's node — binding changes only that — or its orphan standing) is left as it
        // is: taking the entry out and putting it back changes nothing.
        let prev = ev.prev.as_deref();
        let pods = (prev.and_then(|p| p.as_pod()), obj.as_pod());
        let same_owners = !deleted && prev.is_some_and(|p| p.meta().owner_references == m.owner_references);
        let same_node = !deleted && matches!(pods, (Some(a), Some(b)) if a.spec.node_name == b.spec.node_name);
        let orphan = |p: &crate::api::pod::Pod| p.metadata.controller_ref().is_none() && is_pod_active(p);
        let same_orphan = !deleted && matches!(pods, (Some(a), Some(b)) if orphan(a) == orphan(b));
        if let Some(prev) = prev {
            if !same_owners {
                for r in &prev.meta().owner_references {
                    let owner = UidKey::new(&r.uid);
                    if let Some(s) = self.dependents.get_mut(&owner) {
                        s.remove(&me);
                        if s.is_empty() {
                            self.dependents.remove(&owner);
                        }
                    }
                }
            }
            if let Some(p) = prev.as_pod() {
                if !same_node {
                    if let Some(s) = self.pods_by_node.get_mut(&p.spec.node_name) {
                        s.remove(&me);
                        if s.is_empty() {
                            self.pods_by_node.remove(&p.spec.node_name);
                        }
                    }
                }
                if !same_orphan {
                    if let Some(s) = self.orphans.get_mut(&me.1) {
                        s.remove(&me.2);
                        if s.is_empty() {
                            self.orphans.remove(&me.1);
                        }
                    }
                }
            }
        }
        if deleted {
            self.by_uid.remove(&uid);
            return;
        }
        if !m.uid.is_empty() && !known {
            self.by_uid.insert(uid, me.clone());
        }
        if !same_owners {
            for r in &m.owner_references {
                self.dependents.entry(UidKey::new(&r.uid)).or_default().insert(me.clone());
            }
        }
        if let Some(p) = obj.as_pod() {
            if !p.spec.node_name.is_empty() && !same_node {
                self.pods_by_node.entry(p.spec.node_name.clone()).or_default().insert(me.clone());
            }
            if orphan(p) && !same_orphan {
                self.orphans.entry(me.1.clone()).or_default().insert(me.2.clone());
            }
        }
    }

    pub fn get(&self, kind: &Kind, namespace: &str, name: &str) -> Option<&Rc<Object>> {
        self.informer.get(kind, namespace, name)
    }

    pub fn list(&self, kind: &Kind) -> impl Iterator<Item = &Rc<Object>> {
        self.informer.list(kind)
    }

    pub fn list_ns<'a>(&'a self, kind: &Kind, namespace: &'a str) -> impl Iterator<Item = &'a Rc<Object>> {
        self.informer.list_ns(kind, namespace)
    }

    /// Pods bound to `node`.
    pub fn pods_on(&self, node: &str) -> Vec<Rc<Object>> {
        self.pods_by_node.get(node).map(|s| s.iter().filter_map(|r| self.get(&Kind::Pod, &r.1, &r.2).cloned()).collect()).unwrap_or_default()
    }

    /// Active pods without a controller in a namespace.
    pub fn orphan_pods(&self, ns: &str) -> Vec<Rc<Object>> {
        self.orphans.get(ns).map(|s| s.iter().filter_map(|n| self.get(&Kind::Pod, ns, n).cloned()).collect()).unwrap_or_default()
    }

    /// Names of the nodes that pods are bound to but that are not in the cache.
    pub fn missing_nodes_with_pods(&self) -> impl Iterator<Item = &str> {
        self.pods_by_node.iter().filter(|(n, pods)| !pods.is_empty() && self.get(&Kind::Node, "", n).is_none()).map(|(n, _)| n.as_str())
    }

    pub fn owner_exists(&self, uid: &str) -> bool {
        self.by_uid.contains_key(&UidKey::new(uid))
    }

    /// Objects that name `uid` among their owners, ordered by (kind, namespace, name).
    /// Each run of one kind and namespace (a Job's pods) is read as a walk along the
    /// cache's names (`Informer::get_ascending`), not a lookup each. A reference the
    /// cache does not hold is skipped.
    pub fn dependents_of(&self, uid: &str) -> Vec<Rc<Object>> {
        let Some(set) = self.dependents.get(&UidKey::new(uid)) else { return Vec::new() };
        let mut out = Vec::with_capacity(set.len());
        let mut refs = set.iter().peekable();
        while let Some(first) = refs.peek().copied() {
            // (The walk reads the whole run, held or not: the loop moves on past it.)
            let run = std::iter::from_fn(|| refs.next_if(|r| r.0 == first.0 && r.1 == first.1)).map(|r| r.2.as_str());
            self.informer.get_ascending(&first.0, &first.1, run, |o| out.push(o.clone()));
        }
        out
    }

    /// The references of the dependents of `uid`, without looking them up.
    pub fn dependent_refs(&self, uid: &str) -> impl Iterator<Item = &ObjectRef> {
        self.dependents.get(&UidKey::new(uid)).into_iter().flatten().map(|r| &**r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::ObjectMeta;
    use crate::api::pod::Pod;
    use proptest::prelude::*;

    /// A pod `p{i}` (uid `u{i}`) with an owner (none, rs-a, rs-b), a node ("", n1, n2)
    /// and a phase (Running or Succeeded).
    fn pod(i: u8, owner: u8, node: u8, done: bool) -> Object {
        let mut p = Pod::default();
        p.metadata.namespace = "default".into();
        p.metadata.name = format!("p{i}").into();
        p.metadata.uid = format!("u{i}").into();
        if owner > 0 {
            let rs = ["", "rs-a", "rs-b"][owner as usize];
            p.metadata.owner_references = vec![super::super::controller_utils::controller_ref("apps/v1", "ReplicaSet", rs, &format!("uid-{rs}"))].into();
        }
        Rc::make_mut(&mut p.spec).node_name = ["", "n1", "n2"][node as usize].into();
        p.status.phase = if done { "Succeeded".into() } else { "Running".into() };
        Object::Pod(Box::new(p))
    }

    fn added(s: &mut SharedInformers, rev: u64, o: Object) {
        s.apply(&WatchEvent { revision: rev, type_: WatchEventType::Added, object: Rc::new(o), prev: None, time: crate::engine::SimTime(0) });
    }

    /// An owner's dependents of two kinds and two namespaces come in (kind, namespace,
    /// name) order, each found; those the cache no longer holds (a relist without them)
    /// are passed over, whatever kind or namespace they are of.
    #[test]
    fn dependents_of_reads_each_run_and_passes_over_what_the_cache_lacks() {
        let mut s = SharedInformers::default();
        let owned =
            |o: &mut ObjectMeta| o.owner_references = vec![super::super::controller_utils::controller_ref("apps/v1", "ReplicaSet", "rs-a", "uid-rs-a")].into();
        let mut rev = 0;
        for (ns, name) in [("b", "p2"), ("a", "p9"), ("b", "p1"), ("a", "p10")] {
            let mut p = pod(0, 1, 1, false);
            let Object::Pod(pb) = &mut p else { unreachable!() };
            pb.metadata.namespace = ns.into();
            pb.metadata.name = name.into();
            pb.metadata.uid = format!("u-{ns}-{name}").into();
            rev += 1;
            added(&mut s, rev, p);
        }
        let mut cm = crate::api::config_map::ConfigMap::default();
        cm.metadata.namespace = "a".into();
        cm.metadata.name = "settings".into();
        cm.metadata.uid = "u-cm".into();
        owned(&mut cm.metadata);
        rev += 1;
        added(&mut s, rev, Object::ConfigMap(Box::new(cm)));
        let names = |s: &SharedInformers| {
            s.dependents_of("uid-rs-a").iter().map(|o| format!("{}/{}/{}", o.kind(), o.meta().namespace, o.meta().name)).collect::<Vec<_>>()
        };
        assert_eq!(names(&s), ["ConfigMap/a/settings", "Pod/a/p10", "Pod/a/p9", "Pod/b/p1", "Pod/b/p2"]);
        // The pods relisted without namespace "a"'s, then without any.
        let kept: Vec<Rc<Object>> = s.list(&Kind::Pod).filter(|o| o.meta().namespace == "b").cloned().collect();
        s.informer.replace(Kind::Pod, kept, rev);
        assert_eq!(names(&s), ["ConfigMap/a/settings", "Pod/b/p1", "Pod/b/p2"]);
        s.informer.replace(Kind::Pod, Vec::new(), rev);
        assert_eq!(names(&s), ["ConfigMap/a/settings"]);
    }

    fn indexes(s: &SharedInformers) -> String {
        format!("{:?}\n{:?}\n{:?}\n{:?}", s.by_uid, s.dependents, s.pods_by_node, s.orphans)
    }

    proptest! {
        /// The indexes after any sequence of adds, updates and deletes are those a fresh
        /// informer builds from the surviving objects alone: what an update leaves in
        /// place (owners, node or orphan standing unchanged) is what a rebuild would hold.
        #[test]
        fn indexes_match_a_rebuild(ops in proptest::collection::vec((0u8..3, 0u8..3, 0u8..3, any::<bool>(), 0u8..6), 0..60)) {
            let mut s = SharedInformers::default();
            let mut live: BTreeMap<u8, Rc<Object>> = BTreeMap::new();
            for (rev, (i, owner, node, done, what)) in (1u64..).zip(ops) {
                let prev = live.get(&i).cloned();
                let (type_, object) = if what == 0 && prev.is_some() {
                    live.remove(&i);
                    (WatchEventType::Deleted, prev.clone().expect("live"))
                } else {
                    let o = Rc::new(pod(i, owner, node, done));
                    live.insert(i, o.clone());
                    (if prev.is_some() { WatchEventType::Modified } else { WatchEventType::Added }, o)
                };
                s.apply(&WatchEvent { revision: rev, type_, object, prev, time: crate::engine::SimTime(0) });
            }
            let mut fresh = SharedInformers::default();
            for (k, o) in live.values().enumerate() {
                fresh.apply(&WatchEvent { revision: k as u64 + 1, type_: WatchEventType::Added, object: o.clone(), prev: None, time: crate::engine::SimTime(0) });
            }
            prop_assert_eq!(indexes(&s), indexes(&fresh));
        }
    }
}
