//! The PersistentVolume controller (pkg/controller/volume/persistentvolume/
//! pv_controller.go and pv_controller_base.go): binds claims to volumes and keeps both
//! phases true.
//!
//! - syncClaim: a claim without `pv.kubernetes.io/bind-completed` goes to
//!   syncUnboundClaim — without a volume name, the best match (index.go findByClaim:
//!   the access-mode group with the fewest modes, then the smallest volume that is large
//!   enough, of the claim's class and selector) is bound; with none, a claim of a
//!   WaitForFirstConsumer class waits for the scheduler (`WaitForFirstConsumer` /
//!   `WaitForPodScheduled` events), one with a class is provisioned (provisionClaim: the
//!   storage-provisioner annotations and `ExternalProvisioning`, or `ProvisioningFailed`
//!   when the class does not exist), one without a class gets `FailedBinding` "no
//!   persistent volumes available for this claim and no storage class is set"; with a
//!   volume name, that volume is bound if it fits (`VolumeMismatch` "Cannot bind to
//!   requested volume …: requested PV is too small" otherwise) and is not another
//!   claim's (`FailedBinding` "volume … already bound to a different claim."). A bound
//!   claim whose volume is gone or taken is `Lost` (`ClaimLost`, `ClaimMisbound`).
//! - bind: the volume's claimRef (and `bound-by-controller`), its phase Bound, the
//!   claim's volumeName, `bound-by-controller` and `bind-completed`, then its phase,
//!   access modes and capacity (the volume's), in upstream's order.
//! - syncVolume: a volume without a claim is Available; one whose claim is gone is
//!   Released and reclaimed (reclaimVolume): Retain keeps it Released; Delete leaves a
//!   provisioned volume to its provisioner (`external_provisioner.rs`), deletes a
//!   hostPath under /tmp as the in-tree deleter does and fails others
//!   (`VolumeFailedDelete`); Recycle scrubs an nfs or hostPath volume and makes it
//!   Available again (`VolumeRecycled`).
//! - the periodic resync (pvClaimBinderSyncPeriod, 15 s) syncs every claim and volume,
//!   which is why a waiting claim's events repeat (`x4 over 45s`).
//! - assignDefaultStorageClass: a claim created without a class before a default class
//!   existed gets it once one does (the retroactive default, GA in v1.28).
//!
//! Requests go out in the order upstream's synchronous client makes them; ksim does not
//! wait for each answer (they are applied in order), and resyncs repair a write lost to
//! a conflict.

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::endpoints::ObjectReference;
use crate::api::storage::{
    find_best_match_for_claim, is_volume_bound_to_claim, PersistentVolume, PersistentVolumeClaim, StorageClass, ANN_BETA_STORAGE_PROVISIONER,
    ANN_BIND_COMPLETED, ANN_BOUND_BY_CONTROLLER, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE, ANN_STORAGE_PROVISIONER,
};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::SimDuration;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::BTreeMap;

/// pvClaimBinderSyncPeriod's default (--pvclaimbinder-sync-period).
pub const RESYNC_PERIOD: SimDuration = SimDuration::from_secs(15);

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Claim(String, String),
    Volume(String),
}

pub struct PersistentVolumeController {
    queue: WorkQueue<Key>,
    resync_armed: bool,
    /// Volumes whose claimRef write is in flight → the claim's uid (upstream's volume
    /// cache holds its own writes: no other claim takes these meanwhile).
    binding: BTreeMap<String, String>,
    /// Claims whose volumeName write is in flight → the volume.
    claiming: BTreeMap<(String, String), String>,
}

impl Default for PersistentVolumeController {
    fn default() -> Self {
        PersistentVolumeController { queue: WorkQueue::new(Order::Fifo), resync_armed: false, binding: BTreeMap::new(), claiming: BTreeMap::new() }
    }
}

fn claim_of<'a>(inf: &'a SharedInformers, ns: &str, name: &str) -> Option<&'a PersistentVolumeClaim> {
    inf.get(&Kind::PersistentVolumeClaim, ns, name).and_then(|o| o.as_pvc())
}

fn volume_of<'a>(inf: &'a SharedInformers, name: &str) -> Option<&'a PersistentVolume> {
    inf.get(&Kind::PersistentVolume, "", name).and_then(|o| o.as_pv())
}

fn class_of<'a>(inf: &'a SharedInformers, name: &str) -> Option<&'a StorageClass> {
    if name.is_empty() {
        return None;
    }
    inf.get(&Kind::StorageClass, "", name).and_then(|o| o.as_storage_class())
}

/// IsDelayBindingMode: the claim's class exists and waits for the first consumer.
pub fn is_delay_binding(inf: &SharedInformers, claim: &PersistentVolumeClaim) -> bool {
    class_of(inf, claim.class()).is_some_and(|c| c.wait_for_first_consumer())
}

/// The reference a bound volume keeps to its claim (reference.GetReference).
pub fn claim_ref(claim: &PersistentVolumeClaim) -> ObjectReference {
    ObjectReference {
        kind: "PersistentVolumeClaim".into(),
        namespace: claim.metadata.namespace.to_string(),
        name: claim.metadata.name.to_string(),
        uid: claim.metadata.uid.to_string(),
        api_version: "v1".into(),
        resource_version: claim.metadata.resource_version.0.to_string(),
        field_path: String::new(),
    }
}

/// checkVolumeSatisfyClaim (the user pre-bound a claim to a volume): its error words.
fn check_volume_satisfy_claim(v: &PersistentVolume, c: &PersistentVolumeClaim) -> Result<(), String> {
    if v.metadata.rare.deletion_timestamp.is_some() {
        return Err(format!("the volume is marked for deletion {:?}", v.metadata.name));
    }
    let requested = c.request().cloned().unwrap_or_default();
    if v.storage().cloned().unwrap_or_default() < requested {
        return Err("requested PV is too small".into());
    }
    if v.class() != c.class() {
        return Err("storageClassName does not match".into());
    }
    if v.volume_mode() != c.volume_mode() {
        return Err("incompatible volumeMode".into());
    }
    if !crate::api::storage::check_access_modes(c, v) {
        return Err("incompatible accessMode".into());
    }
    Ok(())
}

impl PersistentVolumeController {
    fn arm_resync(&mut self, ctx: &mut ControllerCtx) {
        if !self.resync_armed {
            self.resync_armed = true;
            ctx.tick_after(RESYNC_PERIOD);
        }
    }

    /// updateClaimStatus: the phase; bound, the volume's access modes and capacity;
    /// unbound, none.
    fn update_claim_status(&self, claim: &PersistentVolumeClaim, phase: &str, volume: Option<&PersistentVolume>, ctx: &mut ControllerCtx) {
        let mut c = claim.clone();
        c.status.phase = phase.into();
        match volume {
            Some(v) => {
                c.status.access_modes = v.spec.access_modes.clone();
                if claim.status.phase != phase || c.status.capacity.is_empty() {
                    c.status.capacity = v.spec.capacity.clone();
                }
            }
            None => {
                c.status.access_modes.clear();
                c.status.capacity.clear();
            }
        }
        if c.status != claim.status {
            c.metadata.resource_version.0 = 0;
            ctx.request(Request::UpdateStatus(Object::PersistentVolumeClaim(Box::new(c))));
        }
    }

    /// updateClaimStatusWithEvent: the event only when the phase changes.
    fn claim_phase_with_event(&self, claim: &PersistentVolumeClaim, phase: &str, reason: &str, msg: &str, ctx: &mut ControllerCtx) {
        if claim.status.phase != phase {
            ctx.event(&Object::PersistentVolumeClaim(Box::new(claim.clone())), "Warning", reason.to_string(), msg);
        }
        self.update_claim_status(claim, phase, None, ctx);
    }

    fn update_volume_phase(&self, v: &PersistentVolume, phase: &str, message: &str, ctx: &mut ControllerCtx) {
        if v.status.phase == phase && v.status.message == message {
            return;
        }
        let mut nv = v.clone();
        nv.status.phase = phase.into();
        nv.status.message = message.into();
        nv.metadata.resource_version.0 = 0;
        ctx.request(Request::UpdateStatus(Object::PersistentVolume(Box::new(nv))));
    }

    /// bind: volume (claimRef — conditional on the version read —, then phase), and
    /// only once that write has succeeded, the claim (volumeName and annotations, then
    /// status). A conflict requeues the claim, as upstream's error return does.
    fn bind(&mut self, v: &PersistentVolume, claim: &PersistentVolumeClaim, ctx: &mut ControllerCtx) {
        // bindVolumeToClaim (GetBindVolumeToClaim).
        let should_set_bound_by_controller = !is_volume_bound_to_claim(v, claim);
        let want_ref =
            v.spec.claim_ref.as_ref().is_none_or(|r| r.uid != claim.metadata.uid || r.name != claim.metadata.name || r.namespace != claim.metadata.namespace);
        let mut bound_v = v.clone();
        if want_ref {
            bound_v.spec.claim_ref = Some(claim_ref(claim));
        }
        if should_set_bound_by_controller && !bound_v.metadata.annotations.contains_key(ANN_BOUND_BY_CONTROLLER) {
            bound_v.metadata.annotations.insert(ANN_BOUND_BY_CONTROLLER.into(), "yes".into());
        }
        if bound_v != *v {
            self.binding.insert(v.metadata.name.to_string(), claim.metadata.uid.to_string());
            ctx.request_reply(Request::Update(Object::PersistentVolume(Box::new(bound_v))));
            return;
        }
        self.bind_claim(v, claim, ctx);
    }

    /// bind's second half, the volume's claimRef in place.
    fn bind_claim(&mut self, v: &PersistentVolume, claim: &PersistentVolumeClaim, ctx: &mut ControllerCtx) {
        if v.spec.claim_ref.as_ref().is_none_or(|r| r.uid != claim.metadata.uid) {
            return; // the volume is not (or no longer) this claim's
        }
        self.update_volume_phase(v, "Bound", "", ctx);
        // bindClaimToVolume.
        let mut c = claim.clone();
        if c.spec.volume_name != v.metadata.name {
            c.spec.volume_name = v.metadata.name.to_string();
            c.metadata.annotations.entry(ANN_BOUND_BY_CONTROLLER.into()).or_insert_with(|| "yes".into());
        }
        c.metadata.annotations.entry(ANN_BIND_COMPLETED.into()).or_insert_with(|| "yes".into());
        if c.spec != claim.spec || c.metadata.annotations != claim.metadata.annotations {
            self.claiming.insert((c.metadata.namespace.to_string(), c.metadata.name.to_string()), v.metadata.name.to_string());
            ctx.request_reply(Request::Update(Object::PersistentVolumeClaim(Box::new(c))));
            return;
        }
        self.update_claim_status(&c, "Bound", Some(v), ctx);
    }

    fn sync_claim(&mut self, inf: &SharedInformers, claim: &PersistentVolumeClaim, ctx: &mut ControllerCtx) {
        if claim.metadata.annotations.contains_key(ANN_BIND_COMPLETED) {
            self.sync_bound_claim(inf, claim, ctx);
        } else {
            self.sync_unbound_claim(inf, claim, ctx);
        }
    }

    fn sync_unbound_claim(&mut self, inf: &SharedInformers, claim: &PersistentVolumeClaim, ctx: &mut ControllerCtx) {
        let as_obj = || Object::PersistentVolumeClaim(Box::new(claim.clone()));
        if claim.spec.volume_name.is_empty() {
            let delay = is_delay_binding(inf, claim);
            let vols: Vec<&PersistentVolume> = inf.list(&Kind::PersistentVolume).filter_map(|o| o.as_pv()).collect();
            let taken = |name: &str| self.binding.get(name).is_some_and(|uid| *uid != claim.metadata.uid);
            if let Some(v) = find_best_match_for_claim(claim, &vols, None, &taken, delay) {
                self.bind(v, claim, ctx);
                return;
            }
            // assignDefaultStorageClass: only a claim that never named a class.
            if claim.spec.storage_class_name.is_none() && !claim.metadata.annotations.contains_key(crate::api::storage::ANN_BETA_STORAGE_CLASS) {
                if let Some(d) = crate::api::storage::default_class(inf.list(&Kind::StorageClass).filter_map(|o| o.as_storage_class())) {
                    let mut c = claim.clone();
                    c.spec.storage_class_name = Some(d.metadata.name.to_string());
                    ctx.request_reply(Request::Update(Object::PersistentVolumeClaim(Box::new(c))));
                    return;
                }
            }
            if delay && !claim.metadata.annotations.contains_key(ANN_SELECTED_NODE) {
                // emitEventForUnboundDelayBindingClaim.
                let mut pods: Vec<&str> = inf
                    .list_ns(&Kind::Pod, &claim.metadata.namespace)
                    .filter_map(|o| o.as_pod())
                    .filter(|p| p.spec.node_name.is_empty() && !p.is_terminal())
                    .filter(|p| crate::api::storage::pod_claims(p.spec.volumes.as_deref()).iter().any(|(_, c)| *c == claim.metadata.name))
                    .map(|p| p.metadata.name.as_str())
                    .collect();
                pods.sort_unstable();
                let (reason, msg) = match pods.len() {
                    0 => ("WaitForFirstConsumer", "waiting for first consumer to be created before binding".to_string()),
                    1 => ("WaitForPodScheduled", format!("waiting for pod {} to be scheduled", pods[0])),
                    _ => ("WaitForPodScheduled", format!("waiting for pods {} to be scheduled", pods.join(","))),
                };
                ctx.event(&as_obj(), "Normal", reason, &msg);
            } else if !claim.class().is_empty() {
                self.provision_claim(inf, claim, ctx);
                return;
            } else {
                ctx.event(&as_obj(), "Normal", "FailedBinding", "no persistent volumes available for this claim and no storage class is set");
            }
            self.update_claim_status(claim, "Pending", None, ctx);
            return;
        }
        let Some(v) = volume_of(inf, &claim.spec.volume_name) else {
            // The user asked for a volume that does not exist (yet).
            self.update_claim_status(claim, "Pending", None, ctx);
            return;
        };
        if v.spec.claim_ref.is_none() {
            match check_volume_satisfy_claim(v, claim) {
                Err(e) => {
                    ctx.event(&as_obj(), "Warning", "VolumeMismatch", &format!("Cannot bind to requested volume {:?}: {e}", v.metadata.name));
                    self.update_claim_status(claim, "Pending", None, ctx);
                }
                Ok(()) => self.bind(v, claim, ctx),
            }
        } else if is_volume_bound_to_claim(v, claim) {
            self.bind(v, claim, ctx);
        } else if !claim.metadata.annotations.contains_key(ANN_BOUND_BY_CONTROLLER) {
            ctx.event(&as_obj(), "Warning", "FailedBinding", &format!("volume {:?} already bound to a different claim.", v.metadata.name));
            self.update_claim_status(claim, "Pending", None, ctx);
        }
        // Otherwise upstream returns an error ("invalid binding … volume already claimed")
        // and the next resync retries.
    }

    fn sync_bound_claim(&mut self, inf: &SharedInformers, claim: &PersistentVolumeClaim, ctx: &mut ControllerCtx) {
        if claim.spec.volume_name.is_empty() {
            self.claim_phase_with_event(claim, "Lost", "ClaimLost", "Bound claim has lost reference to PersistentVolume. Data on the volume is lost!", ctx);
            return;
        }
        let Some(v) = volume_of(inf, &claim.spec.volume_name) else {
            self.claim_phase_with_event(claim, "Lost", "ClaimLost", "Bound claim has lost its PersistentVolume. Data on the volume is lost!", ctx);
            return;
        };
        match &v.spec.claim_ref {
            None => self.bind(v, claim, ctx),
            Some(r) if r.uid == claim.metadata.uid => self.bind(v, claim, ctx),
            Some(_) => {
                self.claim_phase_with_event(claim, "Lost", "ClaimMisbound", "Two claims are bound to the same volume, this one is bound incorrectly", ctx)
            }
        }
    }

    /// provisionClaim for an external provisioner (every provisioner ksim knows: the
    /// in-tree ones have moved to CSI): the storage-provisioner annotations tell the
    /// provisioner to start, with the `ExternalProvisioning` event.
    fn provision_claim(&mut self, inf: &SharedInformers, claim: &PersistentVolumeClaim, ctx: &mut ControllerCtx) {
        let as_obj = || Object::PersistentVolumeClaim(Box::new(claim.clone()));
        let Some(class) = class_of(inf, claim.class()) else {
            ctx.event(&as_obj(), "Warning", "ProvisioningFailed", &format!("storageclass.storage.k8s.io {:?} not found", claim.class()));
            return;
        };
        let provisioner = &class.provisioner;
        if provisioner == crate::api::storage::NOT_SUPPORTED_PROVISIONER {
            // FindProvisionablePluginByName finds no plugin of that name.
            ctx.event(&as_obj(), "Warning", "ProvisioningFailed", &format!("no volume plugin matched name: {provisioner}"));
            return;
        }
        let ann = &claim.metadata.annotations;
        if ann.get(ANN_STORAGE_PROVISIONER) != Some(provisioner) || ann.get(ANN_BETA_STORAGE_PROVISIONER) != Some(provisioner) {
            let mut c = claim.clone();
            c.metadata.annotations.insert(ANN_BETA_STORAGE_PROVISIONER.into(), provisioner.clone());
            c.metadata.annotations.insert(ANN_STORAGE_PROVISIONER.into(), provisioner.clone());
            ctx.request_reply(Request::Update(Object::PersistentVolumeClaim(Box::new(c))));
        }
        let msg = format!(
            "Waiting for a volume to be created either by the external provisioner '{provisioner}' or manually by the system administrator. If volume creation is delayed, please verify that the provisioner is running and correctly registered."
        );
        ctx.event(&as_obj(), "Normal", "ExternalProvisioning", &msg);
    }

    fn sync_volume(&mut self, inf: &SharedInformers, v: &PersistentVolume, ctx: &mut ControllerCtx) {
        let Some(r) = &v.spec.claim_ref else {
            self.update_volume_phase(v, "Available", "", ctx);
            return;
        };
        if r.uid.is_empty() {
            // Pre-bound, waiting for its claim: the claim's sync binds it.
            self.update_volume_phase(v, "Available", "", ctx);
            if claim_of(inf, &r.namespace, &r.name).is_some() {
                self.queue.add(Key::Claim(r.namespace.clone(), r.name.clone()));
            }
            return;
        }
        let claim = claim_of(inf, &r.namespace, &r.name).filter(|c| c.metadata.uid == r.uid);
        match claim {
            None => {
                if v.status.phase != "Released" && v.status.phase != "Failed" {
                    self.update_volume_phase(v, "Released", "", ctx);
                }
                self.reclaim_volume(v, ctx);
            }
            Some(c) if c.spec.volume_name.is_empty() => {
                // Bound volume, pending claim: the claim's sync finishes the binding.
                self.queue.add(Key::Claim(c.metadata.namespace.to_string(), c.metadata.name.to_string()));
            }
            Some(c) if c.spec.volume_name == v.metadata.name => self.update_volume_phase(v, "Bound", "", ctx),
            Some(_) => {
                if v.metadata.annotations.contains_key(ANN_DYNAMICALLY_PROVISIONED) && v.reclaim_policy() == "Delete" {
                    if v.status.phase != "Released" && v.status.phase != "Failed" {
                        self.update_volume_phase(v, "Released", "", ctx);
                    }
                    self.reclaim_volume(v, ctx);
                } else if v.metadata.annotations.contains_key(ANN_BOUND_BY_CONTROLLER) {
                    // unbindVolume: back to the pool.
                    let mut nv = v.clone();
                    nv.spec.claim_ref = None;
                    nv.metadata.annotations.remove(ANN_BOUND_BY_CONTROLLER);
                    ctx.request_reply(Request::Update(Object::PersistentVolume(Box::new(nv.clone()))));
                    self.update_volume_phase(&nv, "Available", "", ctx);
                } else {
                    // Pre-bound by the user: keep the claimRef, forget its uid.
                    let mut nv = v.clone();
                    if let Some(r) = nv.spec.claim_ref.as_mut() {
                        r.uid.clear();
                    }
                    ctx.request_reply(Request::Update(Object::PersistentVolume(Box::new(nv.clone()))));
                    self.update_volume_phase(&nv, "Available", "", ctx);
                }
            }
        }
    }

    /// reclaimVolume.
    fn reclaim_volume(&mut self, v: &PersistentVolume, ctx: &mut ControllerCtx) {
        if v.metadata.rare.deletion_timestamp.is_some() {
            return;
        }
        let obj = || Object::PersistentVolume(Box::new(v.clone()));
        match v.reclaim_policy() {
            "Retain" => {}
            "Delete" => {
                if v.metadata.annotations.contains_key(ANN_DYNAMICALLY_PROVISIONED) {
                    // Deleted by its (external) provisioner: external_provisioner.rs.
                    return;
                }
                if let Some(path) = v.spec.host_path.as_deref().and_then(|h| h.get("path")).and_then(|p| p.as_str()) {
                    // The in-tree hostPath deleter (host_path.go Delete).
                    let tmp = path.strip_prefix("/tmp/").is_some_and(|rest| !rest.is_empty());
                    if tmp {
                        ctx.request(Request::Delete {
                            key: Box::new(ObjectKey::new(Kind::PersistentVolume, "", &v.metadata.name)),
                            grace_period_seconds: None,
                            uid: Some(v.metadata.uid.to_string()),
                        });
                        return;
                    }
                    let msg = format!("host_path deleter only supports /tmp/.+ but received provided {path}");
                    if v.status.phase != "Failed" {
                        ctx.event(&obj(), "Warning", "VolumeFailedDelete", &msg);
                    }
                    self.update_volume_phase(v, "Failed", &msg, ctx);
                    return;
                }
                let msg = format!("error getting deleter volume plugin for volume {:?}: no deletable volume plugin matched", v.metadata.name);
                if v.status.phase != "Failed" {
                    ctx.event(&obj(), "Warning", "VolumeFailedDelete", &msg);
                }
                self.update_volume_phase(v, "Failed", &msg, ctx);
            }
            "Recycle" => {
                // recycleVolumeOperation: nfs and hostPath have a recycler; it scrubs the
                // volume and makes it Available again.
                if v.spec.nfs.is_some() || v.spec.host_path.is_some() {
                    ctx.event(&obj(), "Normal", "VolumeRecycled", "Volume recycled");
                    let mut nv = v.clone();
                    nv.spec.claim_ref = None;
                    nv.metadata.annotations.remove(ANN_BOUND_BY_CONTROLLER);
                    ctx.request_reply(Request::Update(Object::PersistentVolume(Box::new(nv.clone()))));
                    self.update_volume_phase(&nv, "Available", "", ctx);
                } else if v.status.phase != "Failed" {
                    ctx.event(&obj(), "Warning", "VolumeFailedRecycle", "No recycler plugin found for the volume!");
                    self.update_volume_phase(v, "Failed", "No recycler plugin found for the volume!", ctx);
                }
            }
            _ => {
                if v.status.phase != "Failed" {
                    ctx.event(&obj(), "Warning", "VolumeUnknownReclaimPolicy", "Volume has unrecognized PersistentVolumeReclaimPolicy");
                }
                self.update_volume_phase(v, "Failed", "", ctx);
            }
        }
    }
}

impl Controller for PersistentVolumeController {
    type Key = Key;
    const NAME: &'static str = "persistentvolume-controller";

    fn queue(&mut self) -> &mut WorkQueue<Key> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::PersistentVolume | Kind::PersistentVolumeClaim | Kind::StorageClass | Kind::Pod)
    }

    /// The volume and claim informers' handlers; a deleted claim's volume is synced (to
    /// be released), a deleted volume's claim (to be lost). Pods are only read.
    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::PersistentVolumeClaim(c) => {
                if ev.type_ == WatchEventType::Deleted {
                    if let Some(v) = volume_of(inf, &c.spec.volume_name) {
                        self.queue.add(Key::Volume(v.metadata.name.to_string()));
                    }
                    // A volume bound to it by claimRef only.
                    for o in inf.list(&Kind::PersistentVolume) {
                        if let Some(v) = o.as_pv() {
                            if v.spec.claim_ref.as_ref().is_some_and(|r| r.uid == c.metadata.uid && !r.uid.is_empty()) {
                                self.queue.add(Key::Volume(v.metadata.name.to_string()));
                            }
                        }
                    }
                } else {
                    self.queue.add(Key::Claim(c.metadata.namespace.to_string(), c.metadata.name.to_string()));
                }
                self.arm_resync(ctx);
            }
            Object::PersistentVolume(v) => {
                if ev.type_ == WatchEventType::Deleted {
                    if let Some(r) = &v.spec.claim_ref {
                        self.queue.add(Key::Claim(r.namespace.to_string(), r.name.clone()));
                    }
                } else {
                    self.queue.add(Key::Volume(v.metadata.name.to_string()));
                }
                self.arm_resync(ctx);
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &Key, ctx: &mut ControllerCtx) -> Synced {
        match key {
            Key::Claim(ns, name) => {
                if let Some(c) = claim_of(inf, ns, name) {
                    if c.metadata.rare.deletion_timestamp.is_none() || !c.spec.volume_name.is_empty() {
                        let c = c.clone();
                        self.sync_claim(inf, &c, ctx);
                    }
                }
            }
            Key::Volume(name) => {
                if let Some(v) = volume_of(inf, name) {
                    let v = v.clone();
                    self.sync_volume(inf, &v, ctx);
                }
            }
        }
        Synced::Done
    }

    /// A conditional write's answer: a bound volume goes on to its claim, a bound claim
    /// to its status; a refusal (a conflict with a newer version) requeues.
    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        match (req, resp) {
            // The claim the write named (its claimRef), once the volume says so.
            (Request::Update(Object::PersistentVolume(v)), Response::Object(o)) if self.binding.remove(v.metadata.name.as_str()).is_some() => {
                let nv = o.as_pv().cloned();
                let r = nv.as_ref().and_then(|x| x.spec.claim_ref.clone());
                let c = r.as_ref().and_then(|r| claim_of(inf, &r.namespace, &r.name)).filter(|c| r.as_ref().is_some_and(|r| r.uid == c.metadata.uid)).cloned();
                if let (Some(nv), Some(c)) = (nv, c) {
                    self.bind_claim(&nv, &c, ctx);
                }
            }
            (Request::Update(Object::PersistentVolumeClaim(c)), Response::Object(o)) => {
                let k = (c.metadata.namespace.to_string(), c.metadata.name.to_string());
                if let Some(vname) = self.claiming.remove(&k) {
                    if let (Some(nc), Some(v)) = (o.as_pvc().cloned(), volume_of(inf, &vname).cloned()) {
                        self.update_claim_status(&nc, "Bound", Some(&v), ctx);
                    }
                }
            }
            (Request::Update(Object::PersistentVolume(v)), Response::Error(_)) => {
                if self.binding.remove(v.metadata.name.as_str()).is_some() {
                    if let Some(r) = &v.spec.claim_ref {
                        ctx.requeue_rate_limited(&mut self.queue, Key::Claim(r.namespace.clone(), r.name.clone()));
                    }
                }
                ctx.requeue_rate_limited(&mut self.queue, Key::Volume(v.metadata.name.to_string()));
            }
            (Request::Update(Object::PersistentVolumeClaim(c)), Response::Error(_)) => {
                self.claiming.remove(&(c.metadata.namespace.to_string(), c.metadata.name.to_string()));
                ctx.requeue_rate_limited(&mut self.queue, Key::Claim(c.metadata.namespace.to_string(), c.metadata.name.to_string()));
            }
            _ => {}
        }
    }

    /// The periodic resync: every claim and volume, while there are any.
    fn on_tick(&mut self, inf: &SharedInformers, ctx: &mut ControllerCtx) {
        self.resync_armed = false;
        let mut any = false;
        for o in inf.list(&Kind::PersistentVolumeClaim) {
            let m = o.meta();
            self.queue.add(Key::Claim(m.namespace.to_string(), m.name.to_string()));
            any = true;
        }
        for o in inf.list(&Kind::PersistentVolume) {
            self.queue.add(Key::Volume(o.meta().name.to_string()));
            any = true;
        }
        if any {
            self.arm_resync(ctx);
        }
    }
}
