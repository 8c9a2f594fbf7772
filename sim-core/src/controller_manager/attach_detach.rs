//! The attach/detach controller (pkg/controller/volume/attachdetach:
//! attach_detach_controller.go, reconciler/reconciler.go, the desired-state populator)
//! with the CSI attacher it drives (pkg/volume/csi/csi_attacher.go: a VolumeAttachment
//! `csi-<sha256(handle, driver, node)>`) and the driver's external-attacher sidecar
//! (kubernetes-csi/external-attacher: attaches, then sets `status.attached`).
//!
//! - Desired state: every volume of a pod that is on a node and not terminated
//!   (IsPodTerminated: Succeeded or Failed, or being deleted with no container running —
//!   a pod on a dead node is neither) whose claim is bound to an attachable volume (a CSI
//!   volume of a driver that needs attaching; hostPath and local volumes, kind's
//!   local-path among them, are not attached).
//! - Attach (attachDesiredVolumes): a volume whose access modes are all ReadWriteOnce or
//!   ReadWriteOncePod (IsMultiAttachAllowed false) that is attached elsewhere is not
//!   attached; each of the pods waiting for it gets, once, the Warning
//!   `FailedAttachVolume` "Multi-Attach error for volume "pvc-…" Volume is already used
//!   by pod(s) web-1" (the pods on the other node that still want it) or, when no pod
//!   there wants it any more, "… Volume is already exclusively attached to one node and
//!   can't be attached to another" (reportMultiAttachError). Otherwise the
//!   VolumeAttachment is created, attached after the class's attach delay, and each pod
//!   gets `SuccessfulAttachVolume` "AttachVolume.Attach succeeded for volume "pvc-…"".
//! - Detach: a volume attached where no pod wants it is detached (the VolumeAttachment
//!   deleted after the detach delay) once the node has unmounted it. A node whose kubelet
//!   is not posting status (Ready not True) cannot report the unmount
//!   (node.status.volumesInUse keeps its last value): the controller waits
//!   maxWaitForUnmountDuration, 6 minutes from the detach request, then force-detaches
//!   ("this volume is not safe to detach, but maxWaitForUnmountDuration expired, force
//!   detaching"); a node with the `node.kubernetes.io/out-of-service` taint is detached
//!   at once. A healthy node's kubelet unmounts as its pods stop, so its volumes detach
//!   without waiting.
//!
//! The attach and detach delays are the class's `ksim.dev/attach-delay` annotation (a Go
//! duration), 3 s when not given (a cloud disk's attach takes seconds).

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::pod::Pod;
use crate::api::storage::{attachment_name, PersistentVolume, VolumeAttachment};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::WatchEvent;
use std::collections::{BTreeMap, BTreeSet};

/// reconcilerMaxWaitForUnmountDuration.
pub const MAX_WAIT_FOR_UNMOUNT: SimDuration = SimDuration::from_secs(6 * 60);
pub const ANN_ATTACH_DELAY: &str = "ksim.dev/attach-delay";
pub const DEFAULT_ATTACH_DELAY: SimDuration = SimDuration::from_secs(3);
pub const TAINT_OUT_OF_SERVICE: &str = "node.kubernetes.io/out-of-service";
/// reconcilerLoopPeriod.
pub const RECONCILER_LOOP_PERIOD: SimDuration = SimDuration::from_ms(100);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Attaching(SimTime),
    Attached,
    Detaching(SimTime),
}

#[derive(Clone, Debug)]
struct Attachment {
    state: State,
    /// When the volume stopped being wanted on the node (SetDetachRequestTime).
    detach_requested: Option<SimTime>,
}

pub struct AttachDetachController {
    queue: WorkQueue<()>,
    /// (volume, node) → the actual state of the world.
    actual: BTreeMap<(String, String), Attachment>,
    /// (volume, node) pairs whose Multi-Attach error was reported.
    reported: BTreeSet<(String, String)>,
}

impl Default for AttachDetachController {
    fn default() -> Self {
        AttachDetachController { queue: WorkQueue::new(Order::Fifo), actual: BTreeMap::new(), reported: BTreeSet::new() }
    }
}

/// Whether the kubelet has given the pod's volumes up: IsPodTerminated.
pub fn pod_terminated(p: &Pod) -> bool {
    if p.is_terminal() {
        return true;
    }
    // notRunning: every status waiting or terminated.
    p.metadata.rare.deletion_timestamp.is_some()
        && p.status.container_statuses.iter().chain(p.status.init_container_statuses.iter()).all(|c| c.state.terminated.is_some() || c.state.waiting.is_some())
}

/// (volume, node) → the pods (namespace, name) that want it there.
type Desired = BTreeMap<(String, String), Vec<(String, String)>>;

/// The attachable volume a claim in `ns` is bound to.
pub fn attachable_volume(inf: &SharedInformers, ns: &str, claim: &str) -> Option<PersistentVolume> {
    let c = inf.get(&Kind::PersistentVolumeClaim, ns, claim)?.as_pvc()?;
    if c.spec.volume_name.is_empty() {
        return None;
    }
    let v = inf.get(&Kind::PersistentVolume, "", &c.spec.volume_name)?.as_pv()?;
    let (driver, _) = v.csi_handle()?;
    super::external_provisioner::attachable_provisioner(driver).then(|| v.clone())
}

fn attach_delay(inf: &SharedInformers, v: &PersistentVolume) -> SimDuration {
    inf.get(&Kind::StorageClass, "", v.class())
        .and_then(|o| o.as_storage_class())
        .and_then(|c| c.metadata.annotations.get(ANN_ATTACH_DELAY))
        .and_then(|d| SimDuration::parse(d).ok())
        .unwrap_or(DEFAULT_ATTACH_DELAY)
}

impl AttachDetachController {
    /// The desired state: (volume, node) → the pods (namespace, name) that want it.
    fn desired(inf: &SharedInformers) -> (Desired, BTreeMap<String, PersistentVolume>) {
        let mut out: Desired = BTreeMap::new();
        let mut vols = BTreeMap::new();
        for o in inf.list(&Kind::Pod) {
            let Some(p) = o.as_pod() else { continue };
            if p.spec.node_name.is_empty() || pod_terminated(p) {
                continue;
            }
            for (_, claim) in crate::api::storage::pod_claims(p.spec.volumes.as_deref()) {
                if let Some(v) = attachable_volume(inf, &p.metadata.namespace, &claim) {
                    out.entry((v.metadata.name.to_string(), p.spec.node_name.to_string()))
                        .or_default()
                        .push((p.metadata.namespace.to_string(), p.metadata.name.to_string()));
                    vols.insert(v.metadata.name.to_string(), v);
                }
            }
        }
        (out, vols)
    }

    fn event_on_pods(inf: &SharedInformers, pods: &[(String, String)], type_: &'static str, reason: &str, msg: &str, ctx: &mut ControllerCtx) {
        for (ns, name) in pods {
            if let Some(o) = inf.get(&Kind::Pod, ns, name).cloned() {
                ctx.event(&o, type_, reason.to_string(), msg);
            }
        }
    }

    fn node_healthy(inf: &SharedInformers, node: &str) -> bool {
        inf.get(&Kind::Node, "", node).and_then(|o| o.as_node()).is_some_and(|n| n.ready_status() == "True")
    }

    fn out_of_service(inf: &SharedInformers, node: &str) -> bool {
        inf.get(&Kind::Node, "", node)
            .and_then(|o| o.as_node())
            .is_some_and(|n| n.spec.taints.iter().any(|t| t.key == TAINT_OUT_OF_SERVICE && t.effect == "NoExecute"))
    }

    /// One pass of the reconciler: finish what is due, detach, then attach.
    fn reconcile(&mut self, inf: &SharedInformers, ctx: &mut ControllerCtx) {
        let now = ctx.now();
        let (desired, vols) = Self::desired(inf);
        let mut next: Option<SimTime> = None;
        let mut wake = |t: SimTime| {
            if next.is_none_or(|n| n > t) {
                next = Some(t);
            }
        };
        // Operations that completed.
        let keys: Vec<(String, String)> = self.actual.keys().cloned().collect();
        for k in &keys {
            let a = self.actual.get_mut(k).expect("key");
            match a.state {
                State::Attaching(t) if t <= now => {
                    let name = vols.get(&k.0).and_then(|v| v.csi_handle().map(|(d, h)| attachment_name(h, d, &k.1)));
                    let Some(va) = name.and_then(|n| inf.get(&Kind::VolumeAttachment, "", &n)).and_then(|o| o.as_volume_attachment()) else {
                        // The external-attacher works from the VolumeAttachment: not seen
                        // yet, look again at the reconciler's next loop (100 ms).
                        a.state = State::Attaching(now + RECONCILER_LOOP_PERIOD);
                        wake(now + RECONCILER_LOOP_PERIOD);
                        continue;
                    };
                    a.state = State::Attached;
                    let mut nv = va.clone();
                    nv.status.attached = true;
                    nv.metadata.resource_version.0 = 0;
                    ctx.request(Request::UpdateStatus(Object::VolumeAttachment(Box::new(nv))));
                    // Successful attach event on the pods scheduled there.
                    if let Some(pods) = desired.get(k) {
                        Self::event_on_pods(inf, pods, "Normal", "SuccessfulAttachVolume", &format!("AttachVolume.Attach succeeded for volume {:?}", k.0), ctx);
                    }
                }
                State::Attaching(t) => wake(t),
                State::Detaching(t) if t <= now => {
                    self.actual.remove(k);
                }
                State::Detaching(t) => wake(t),
                State::Attached => {}
            }
        }
        // Detach what is attached and not wanted.
        let keys: Vec<(String, String)> = self.actual.keys().cloned().collect();
        for k in &keys {
            let wanted = desired.contains_key(k);
            let a = self.actual.get_mut(k).expect("key");
            if wanted {
                a.detach_requested = None;
                continue;
            }
            if a.state != State::Attached {
                continue;
            }
            let requested = *a.detach_requested.get_or_insert(now);
            let mounted = !Self::node_healthy(inf, &k.1);
            let expired = now.since(requested) > MAX_WAIT_FOR_UNMOUNT;
            if mounted && !expired && !Self::out_of_service(inf, &k.1) {
                wake(requested + MAX_WAIT_FOR_UNMOUNT + SimDuration::from_ms(1));
                continue;
            }
            // DetachVolume: the VolumeAttachment is deleted; the external-attacher
            // detaches, then it is gone.
            let d = inf.get(&Kind::PersistentVolume, "", &k.0).and_then(|o| o.as_pv()).map(|v| attach_delay(inf, v)).unwrap_or(DEFAULT_ATTACH_DELAY);
            a.state = State::Detaching(now + d);
            wake(now + d);
            let va = inf
                .list(&Kind::VolumeAttachment)
                .filter_map(|o| o.as_volume_attachment())
                .find(|va| va.spec.node_name == k.1 && va.spec.source.persistent_volume_name.as_deref() == Some(k.0.as_str()))
                .map(|va| va.metadata.name.to_string());
            if let Some(name) = va {
                ctx.request(Request::Delete { key: Box::new(ObjectKey::new(Kind::VolumeAttachment, "", &name)), grace_period_seconds: None, uid: None });
            }
        }
        self.reported.retain(|k| desired.contains_key(k));
        // Attach what is wanted.
        for (k, pods) in &desired {
            if self.actual.get(k).is_some_and(|a| matches!(a.state, State::Attached | State::Attaching(_))) {
                continue;
            }
            if self.actual.get(k).is_some_and(|a| matches!(a.state, State::Detaching(_))) {
                continue; // detaching from this very node: attach again once it is done
            }
            let Some(v) = vols.get(&k.0) else { continue };
            // IsOperationPending(volumeName, "", ""): while the volume is being attached
            // or detached anywhere, an exclusive one waits silently (issue 93902's order:
            // the pending check before the attach state).
            let pending = self.actual.iter().any(|((pv, _), a)| *pv == k.0 && matches!(a.state, State::Attaching(_) | State::Detaching(_)));
            if v.exclusive_to_one_node() && pending {
                continue;
            }
            if v.exclusive_to_one_node() {
                let elsewhere: Vec<&String> = self.actual.keys().filter(|(pv, node)| *pv == k.0 && *node != k.1).map(|(_, n)| n).collect();
                if !elsewhere.is_empty() {
                    if self.reported.insert(k.clone()) {
                        // reportMultiAttachError: the pods on the other nodes that still
                        // want the volume, else the volume is only attached there.
                        let mut others: Vec<&(String, String)> =
                            desired.iter().filter(|((pv, node), _)| *pv == k.0 && elsewhere.contains(&node)).flat_map(|(_, ps)| ps.iter()).collect();
                        others.sort();
                        for (ns, name) in pods {
                            let local: Vec<&str> = others.iter().filter(|(ons, _)| ons == ns).map(|(_, n)| n.as_str()).collect();
                            let other_ns = others.len() - local.len();
                            let detail = if others.is_empty() {
                                "Volume is already exclusively attached to one node and can't be attached to another".to_string()
                            } else if local.is_empty() {
                                format!("Volume is already used by {other_ns} pod(s) in different namespaces")
                            } else if other_ns > 0 {
                                format!("Volume is already used by pod(s) {} and {other_ns} pod(s) in different namespaces", local.join(", "))
                            } else {
                                format!("Volume is already used by pod(s) {}", local.join(", "))
                            };
                            let msg = format!("Multi-Attach error for volume {:?} {detail}", k.0);
                            Self::event_on_pods(inf, &[(ns.clone(), name.clone())], "Warning", "FailedAttachVolume", &msg, ctx);
                        }
                    }
                    continue;
                }
            }
            // AttachVolume: the CSI attacher's VolumeAttachment.
            let Some((driver, handle)) = v.csi_handle() else { continue };
            let mut va = VolumeAttachment::default();
            va.metadata.name = attachment_name(handle, driver, &k.1).into();
            va.spec.attacher = driver.to_string();
            va.spec.node_name = k.1.clone();
            va.spec.source.persistent_volume_name = Some(k.0.clone());
            if inf.get(&Kind::VolumeAttachment, "", &va.metadata.name).is_none() {
                ctx.request(Request::Create(Object::VolumeAttachment(Box::new(va))));
            }
            let d = attach_delay(inf, v);
            self.actual.insert(k.clone(), Attachment { state: State::Attaching(now + d), detach_requested: None });
            wake(now + d);
        }
        if let Some(t) = next {
            ctx.requeue_after(&mut self.queue, (), t.since(now));
        }
    }
}

impl Controller for AttachDetachController {
    type Key = ();
    const NAME: &'static str = "attachdetach-controller";

    fn queue(&mut self) -> &mut WorkQueue<()> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Pod | Kind::PersistentVolumeClaim | Kind::PersistentVolume | Kind::Node | Kind::VolumeAttachment | Kind::StorageClass)
    }

    /// Pods with claims, claims, volumes and nodes change the desired state (a node's
    /// health decides whether its volumes can be detached).
    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        let relevant = match &*ev.object {
            Object::Pod(p) => {
                p.spec.volumes.as_deref().is_some_and(|v| v.as_array().is_some_and(|a| a.iter().any(|x| x.get("persistentVolumeClaim").is_some())))
            }
            Object::Node(n) => {
                !self.actual.is_empty()
                    && ev.prev.as_ref().and_then(|p| p.as_node()).is_none_or(|p| p.ready_status() != n.ready_status() || p.spec.taints != n.spec.taints)
            }
            Object::PersistentVolumeClaim(_) | Object::PersistentVolume(_) => true,
            _ => false,
        };
        if relevant {
            self.queue.add(());
        }
    }

    fn sync(&mut self, inf: &SharedInformers, _key: &(), ctx: &mut ControllerCtx) -> Synced {
        self.reconcile(inf, ctx);
        Synced::Done
    }
}
