//! Storage guarantees:
//!
//! - `volume-bound-once`: a volume is bound to one claim. The PV controller binds by
//!   writing the volume's claimRef first, conditional on the version it read, and the
//!   claim's volumeName and `Bound` phase only once that write has succeeded (pv_controller.go
//!   bind; syncBoundClaim writes `Lost`, never `Bound`, for a claim whose volume names
//!   another). So whenever the controller manager writes a claim `Bound` to a volume, the
//!   volume's claimRef names that claim (its uid). (Two claims can be `Bound` to one volume
//!   for a moment upstream too, when an admin re-points the volume's claimRef: that is
//!   not checked.)
//! - `rwo-attached-once`: a volume whose access modes are all ReadWriteOnce or
//!   ReadWriteOncePod is attached to at most one node: the attach/detach reconciler does
//!   not attach such a volume while its actual state of the world has it attached
//!   elsewhere (reconciler.go attachDesiredVolumes: IsMultiAttachAllowed and
//!   GetNodesForAttachedVolume), and a detach leaves that state only once the detach is
//!   done. Counted over VolumeAttachments with `status.attached`.

use super::Violation;
use crate::api::storage::{PersistentVolumeClaim, VolumeAttachment};
use crate::api::Kind;
use crate::engine::SimTime;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};

pub const VOLUME_BOUND_ONCE: &str = "volume-bound-once";
pub const RWO_ATTACHED_ONCE: &str = "rwo-attached-once";

#[derive(Default)]
pub struct StorageChecker {
    /// Volume → nodes it is attached to (by attachment name → node).
    attached: BTreeMap<String, BTreeMap<String, String>>,
}

impl StorageChecker {
    /// A claim written: by the controller manager, `Bound` to a volume that names another
    /// claim is a violation.
    pub fn on_claim(
        &mut self,
        w: &WatchEvent,
        c: &PersistentVolumeClaim,
        by_controller_manager: bool,
        store: &crate::etcd::Store,
        time: SimTime,
        event: &str,
    ) -> Option<Violation> {
        if !by_controller_manager || w.type_ == WatchEventType::Deleted || c.status.phase != "Bound" || c.spec.volume_name.is_empty() {
            return None;
        }
        let v = &c.spec.volume_name;
        let pv = store.get_parts(&Kind::PersistentVolume, "", v).and_then(|o| o.as_pv())?;
        let holder = pv.spec.claim_ref.as_ref().map(|r| (r.namespace.clone(), r.name.clone(), r.uid.clone()));
        if holder.as_ref().is_some_and(|(_, _, uid)| *uid == c.metadata.uid) {
            return None;
        }
        let other = holder.map_or("no claim".to_string(), |(ns, n, _)| format!("persistentvolumeclaim/{ns}/{n}"));
        Some(Violation {
            invariant: VOLUME_BOUND_ONCE,
            time,
            event: event.to_string(),
            objects: vec![format!("persistentvolume/{v}"), format!("persistentvolumeclaim/{}/{}", c.metadata.namespace, c.metadata.name)],
            message: format!("claim written Bound to volume {v}, which is bound to {other}"),
        })
    }

    pub fn on_attachment(&mut self, w: &WatchEvent, a: &VolumeAttachment, store: &crate::etcd::Store, time: SimTime, event: &str) -> Option<Violation> {
        let pv = a.spec.source.persistent_volume_name.clone()?;
        let nodes = self.attached.entry(pv.clone()).or_default();
        nodes.remove(a.metadata.name.as_str());
        if w.type_ != WatchEventType::Deleted && a.status.attached {
            nodes.insert(a.metadata.name.to_string(), a.spec.node_name.clone());
        }
        let distinct: BTreeSet<&String> = nodes.values().collect();
        if distinct.len() <= 1 {
            if nodes.is_empty() {
                self.attached.remove(&pv);
            }
            return None;
        }
        let exclusive = store.get_parts(&Kind::PersistentVolume, "", &pv).and_then(|o| o.as_pv()).is_some_and(|v| v.exclusive_to_one_node());
        exclusive.then(|| Violation {
            invariant: RWO_ATTACHED_ONCE,
            time,
            event: event.to_string(),
            objects: std::iter::once(format!("persistentvolume/{pv}")).chain(distinct.iter().map(|n| format!("node/{n}"))).collect(),
            message: format!("a ReadWriteOnce volume attached to {} nodes", distinct.len()),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Object;
    use std::rc::Rc;

    fn ev(t: WatchEventType, o: Object) -> WatchEvent {
        WatchEvent { type_: t, object: Rc::new(o), prev: None, revision: 1, time: SimTime::ZERO }
    }

    fn claim(name: &str, volume: &str) -> PersistentVolumeClaim {
        let mut c = PersistentVolumeClaim::default();
        c.metadata.name = name.into();
        c.metadata.namespace = "default".into();
        c.spec.volume_name = volume.into();
        c.status.phase = "Bound".into();
        c
    }

    /// A claim the controller manager writes Bound to a volume whose claimRef names
    /// another claim fires; the right claim, or a user's write, does not.
    #[test]
    fn a_claim_bound_to_another_claims_volume_fires() {
        let mut store = crate::etcd::Store::default();
        let mut pv = crate::api::storage::PersistentVolume::default();
        pv.metadata.name = "pv-1".into();
        pv.spec.claim_ref =
            Some(crate::api::endpoints::ObjectReference { namespace: "default".into(), name: "a".into(), uid: "uid-a".into(), ..Default::default() });
        store.create(Object::PersistentVolume(Box::new(pv)), SimTime::ZERO).unwrap();
        let mut s = StorageChecker::default();
        let mut a = claim("a", "pv-1");
        a.metadata.uid = "uid-a".into();
        assert!(s.on_claim(&ev(WatchEventType::Modified, Object::PersistentVolumeClaim(Box::new(a.clone()))), &a, true, &store, SimTime::ZERO, "e").is_none());
        let mut b = claim("b", "pv-1");
        b.metadata.uid = "uid-b".into();
        assert!(s.on_claim(&ev(WatchEventType::Modified, Object::PersistentVolumeClaim(Box::new(b.clone()))), &b, false, &store, SimTime::ZERO, "e").is_none());
        let v =
            s.on_claim(&ev(WatchEventType::Modified, Object::PersistentVolumeClaim(Box::new(b.clone()))), &b, true, &store, SimTime::ZERO, "e").expect("fires");
        assert_eq!(v.invariant, VOLUME_BOUND_ONCE);
    }

    /// A ReadWriteOnce volume attached on two nodes fires; a ReadWriteMany one does not.
    #[test]
    fn a_rwo_volume_attached_twice_fires() {
        for (modes, fires) in [(vec!["ReadWriteOnce"], true), (vec!["ReadWriteMany"], false)] {
            let mut store = crate::etcd::Store::default();
            let mut pv = crate::api::storage::PersistentVolume::default();
            pv.metadata.name = "pv-1".into();
            pv.spec.access_modes = modes.iter().map(|m| m.to_string()).collect();
            store.create(Object::PersistentVolume(Box::new(pv)), SimTime::ZERO).unwrap();
            let mut s = StorageChecker::default();
            let va = |name: &str, node: &str| {
                let mut a = VolumeAttachment::default();
                a.metadata.name = name.into();
                a.spec.node_name = node.into();
                a.spec.source.persistent_volume_name = Some("pv-1".into());
                a.status.attached = true;
                a
            };
            let a = va("csi-a", "n1");
            assert!(s.on_attachment(&ev(WatchEventType::Added, Object::VolumeAttachment(Box::new(a.clone()))), &a, &store, SimTime::ZERO, "e").is_none());
            let b = va("csi-b", "n2");
            let v = s.on_attachment(&ev(WatchEventType::Added, Object::VolumeAttachment(Box::new(b.clone()))), &b, &store, SimTime::ZERO, "e");
            assert_eq!(v.is_some(), fires);
        }
    }
}
