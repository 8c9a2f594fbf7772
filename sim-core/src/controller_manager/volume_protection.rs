//! The storage-object-in-use protection controllers (pkg/controller/volume/pvcprotection/
//! pvc_protection_controller.go and pvprotection/pv_protection_controller.go): a claim
//! being deleted keeps its `kubernetes.io/pvc-protection` finalizer — STATUS
//! `Terminating` — while a scheduled pod names it (a completed Job's pod included, until
//! that pod object is deleted), and loses it once none does; a volume being deleted keeps `kubernetes.io/pv-protection` while it
//! is Bound.

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::storage::{pod_claims, PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER};
use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::etcd::WatchEvent;

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Claim(String, String),
    Volume(String),
}

pub struct VolumeProtectionController {
    queue: WorkQueue<Key>,
}

impl Default for VolumeProtectionController {
    fn default() -> Self {
        VolumeProtectionController { queue: WorkQueue::new(Order::Fifo) }
    }
}

/// podUsesPVC over the namespace's pods: scheduled and naming the claim — a finished
/// pod too, until its object is gone (only ephemeral volumes are excused for a pod
/// that has shut down).
fn claim_in_use(inf: &SharedInformers, ns: &str, name: &str) -> bool {
    inf.list_ns(&Kind::Pod, ns)
        .filter_map(|o| o.as_pod())
        .any(|p| !p.spec.node_name.is_empty() && pod_claims(p.spec.volumes.as_deref()).iter().any(|(_, c)| c == name))
}

impl Controller for VolumeProtectionController {
    type Key = Key;
    const NAME: &'static str = "pvc-protection-controller";

    fn queue(&mut self) -> &mut WorkQueue<Key> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::PersistentVolume | Kind::PersistentVolumeClaim | Kind::Pod)
    }

    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::PersistentVolumeClaim(c) if c.metadata.rare.deletion_timestamp.is_some() => {
                self.queue.add(Key::Claim(c.metadata.namespace.to_string(), c.metadata.name.to_string()));
            }
            Object::PersistentVolume(v) if v.metadata.rare.deletion_timestamp.is_some() => self.queue.add(Key::Volume(v.metadata.name.to_string())),
            // podAddedDeletedUpdated: the claims of a pod that went or finished.
            Object::Pod(p) => {
                let ns = &p.metadata.namespace;
                for (_, c) in pod_claims(p.spec.volumes.as_deref()) {
                    if inf.get(&Kind::PersistentVolumeClaim, ns, &c).is_some_and(|o| o.meta().rare.deletion_timestamp.is_some()) {
                        self.queue.add(Key::Claim(ns.to_string(), c));
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &Key, ctx: &mut ControllerCtx) -> Synced {
        match key {
            Key::Claim(ns, name) => {
                let Some(c) = inf.get(&Kind::PersistentVolumeClaim, ns, name).and_then(|o| o.as_pvc()) else { return Synced::Done };
                if c.metadata.rare.deletion_timestamp.is_none() || !c.metadata.finalizers().iter().any(|f| f == PVC_PROTECTION_FINALIZER) {
                    return Synced::Done;
                }
                if claim_in_use(inf, ns, name) {
                    return Synced::Done; // "Keeping PVC because it is being used"
                }
                let mut nc = c.clone();
                nc.metadata.finalizers_mut().retain(|f| f != PVC_PROTECTION_FINALIZER);
                ctx.request_reply(Request::Update(Object::PersistentVolumeClaim(Box::new(nc))));
            }
            Key::Volume(name) => {
                let Some(v) = inf.get(&Kind::PersistentVolume, "", name).and_then(|o| o.as_pv()) else { return Synced::Done };
                if v.metadata.rare.deletion_timestamp.is_none()
                    || v.status.phase == "Bound"
                    || !v.metadata.finalizers().iter().any(|f| f == PV_PROTECTION_FINALIZER)
                {
                    return Synced::Done;
                }
                let mut nv = v.clone();
                nv.metadata.finalizers_mut().retain(|f| f != PV_PROTECTION_FINALIZER);
                ctx.request_reply(Request::Update(Object::PersistentVolume(Box::new(nv))));
            }
        }
        Synced::Done
    }

    /// A conflict (the object changed since it was read) is tried again.
    fn on_response(&mut self, _inf: &SharedInformers, req: &Request, resp: &crate::apiserver::Response, ctx: &mut ControllerCtx) {
        if let crate::apiserver::Response::Error(st) = resp {
            if st.reason == "NotFound" {
                return;
            }
            match req {
                Request::Update(Object::PersistentVolumeClaim(c)) => {
                    ctx.requeue_rate_limited(&mut self.queue, Key::Claim(c.metadata.namespace.to_string(), c.metadata.name.to_string()))
                }
                Request::Update(Object::PersistentVolume(v)) => ctx.requeue_rate_limited(&mut self.queue, Key::Volume(v.metadata.name.to_string())),
                _ => {}
            }
        }
    }
}
