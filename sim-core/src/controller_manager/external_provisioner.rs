//! The external provisioners a cluster's StorageClasses name, as
//! sig-storage-lib-external-provisioner's ProvisionController runs them (controller.go
//! shouldProvision, provisionClaimOperation, shouldDelete, deleteVolumeOperation) — kind's
//! local-path-provisioner (`rancher.io/local-path`), minikube's storage-provisioner
//! (`k8s.io/minikube-hostpath`) and any CSI driver's external-provisioner sidecar.
//!
//! A claim is provisioned once the PV controller has annotated it with this provisioner
//! (`volume.kubernetes.io/storage-provisioner`) and, for a WaitForFirstConsumer class,
//! the scheduler has chosen its node (`volume.kubernetes.io/selected-node`). The
//! provisioner records `Provisioning` "External provisioner is provisioning volume for
//! claim "ns/name"", works for the class's provisioning delay, then creates the volume
//! `pvc-<claim uid>` pre-bound to the claim (claimRef with its uid, the class's reclaim
//! policy and mount options, `pv.kubernetes.io/provisioned-by`) and records
//! `ProvisioningSucceeded` "Successfully provisioned volume pvc-…"; the PV controller
//! then binds the two. A Released volume it provisioned, with reclaim policy Delete, is
//! deleted after the same delay.
//!
//! What each provisioner makes (ksim runs no storage; these decide topology and attach):
//! - `rancher.io/local-path`: a hostPath directory under /var/local-path-provisioner on
//!   the selected node, with node affinity to that node's hostname (local-path
//!   provisions only with a selected node: on an Immediate class it fails with
//!   "configuration error, no node was specified", as upstream's Provision does);
//! - `k8s.io/minikube-hostpath`: a hostPath directory under
//!   /tmp/hostpath-provisioner, no node affinity (minikube has one node);
//! - any other (a CSI driver): a `csi` volume, attachable, with node affinity to the zone
//!   (`topology.kubernetes.io/zone`) of the selected node, or for an Immediate class of a
//!   zone of the class's allowedTopologies, else of the nodes (picked from the claim's
//!   name, as ChooseZoneForVolume spreads a StatefulSet's claims); no zone labels, no
//!   affinity.
//!
//! The provisioning delay is the class's `ksim.dev/provisioning-delay` annotation (a Go
//! duration), 2 s when not given.

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::affinity::{NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
use crate::api::storage::{
    match_topology_selector_terms, PersistentVolume, PersistentVolumeClaim, StorageClass, VolumeNodeAffinity, ANN_DYNAMICALLY_PROVISIONED, ANN_SELECTED_NODE,
    ANN_STORAGE_PROVISIONER,
};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::BTreeMap;

pub const LOCAL_PATH: &str = "rancher.io/local-path";
pub const MINIKUBE_HOSTPATH: &str = "k8s.io/minikube-hostpath";
/// The StorageClass annotation for how long provisioning (and deletion) takes.
pub const ANN_PROVISIONING_DELAY: &str = "ksim.dev/provisioning-delay";
pub const DEFAULT_PROVISIONING_DELAY: SimDuration = SimDuration::from_secs(2);
/// sig-storage-lib-external-provisioner's DefaultFailedProvisionThreshold.
pub const FAILED_PROVISION_THRESHOLD: u32 = 15;
const ZONE: &str = "topology.kubernetes.io/zone";

/// Whether volumes of this provisioner go through the attach/detach controller (a CSI
/// driver's default `attachRequired: true`; hostPath directories are not attached).
pub fn attachable_provisioner(p: &str) -> bool {
    p != LOCAL_PATH && p != MINIKUBE_HOSTPATH && !p.starts_with("kubernetes.io/")
}

pub fn provisioning_delay(c: &StorageClass) -> SimDuration {
    c.metadata.annotations.get(ANN_PROVISIONING_DELAY).and_then(|d| SimDuration::parse(d).ok()).unwrap_or(DEFAULT_PROVISIONING_DELAY)
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
    Claim(String, String),
    Volume(String),
}

pub struct ExternalProvisioner {
    queue: WorkQueue<Key>,
    /// Claims being provisioned: (ns, name) → (uid, when done).
    provisioning: BTreeMap<NsName, (String, SimTime)>,
    /// Volumes being deleted: name → when done.
    deleting: BTreeMap<String, SimTime>,
    /// Failed provisionings per claim uid (the claim queue's requeue count).
    failures: BTreeMap<String, u32>,
    /// The provisioners' names as event sources (interned: a recorder is keyed by a
    /// static name; one per distinct provisioner of the scenario's classes).
    sources: BTreeMap<String, &'static str>,
}

impl Default for ExternalProvisioner {
    fn default() -> Self {
        ExternalProvisioner {
            queue: WorkQueue::new(Order::Fifo),
            provisioning: BTreeMap::new(),
            deleting: BTreeMap::new(),
            failures: BTreeMap::new(),
            sources: BTreeMap::new(),
        }
    }
}

fn selector_on(key: &str, value: &str) -> VolumeNodeAffinity {
    VolumeNodeAffinity {
        required: Some(NodeSelector {
            node_selector_terms: vec![NodeSelectorTerm {
                match_expressions: vec![NodeSelectorRequirement { key: key.into(), operator: "In".into(), values: vec![value.into()] }],
                match_fields: Vec::new(),
            }],
        }),
    }
}

/// A small stable hash of a name (FNV-1a), for picking a zone.
fn name_hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3))
}

impl ExternalProvisioner {
    fn source(&mut self, provisioner: &str) -> &'static str {
        if let Some(s) = self.sources.get(provisioner) {
            return s;
        }
        // Bounded by the number of distinct provisioners the scenario's classes name.
        let s: &'static str = Box::leak(provisioner.to_string().into_boxed_str());
        self.sources.insert(provisioner.to_string(), s);
        s
    }

    /// shouldProvision: annotated for a provisioner, not bound, its class's provisioner,
    /// and a node chosen when the class waits for one.
    fn wants<'a>(inf: &'a SharedInformers, c: &PersistentVolumeClaim) -> Option<&'a StorageClass> {
        if !c.spec.volume_name.is_empty() || c.metadata.rare.deletion_timestamp.is_some() {
            return None;
        }
        let p = c.metadata.annotations.get(ANN_STORAGE_PROVISIONER)?;
        let class = inf.get(&Kind::StorageClass, "", c.class()).and_then(|o| o.as_storage_class())?;
        if class.provisioner != *p {
            return None;
        }
        if class.wait_for_first_consumer() && !c.metadata.annotations.contains_key(ANN_SELECTED_NODE) {
            return None;
        }
        Some(class)
    }

    /// The volume for a claim, or the provisioner's error.
    fn make_volume(inf: &SharedInformers, c: &PersistentVolumeClaim, class: &StorageClass) -> Result<PersistentVolume, String> {
        let name = format!("pvc-{}", c.metadata.uid);
        let selected = c.metadata.annotations.get(ANN_SELECTED_NODE);
        let mut v = PersistentVolume::default();
        v.metadata.name = name.clone().into();
        v.metadata.annotations.insert(ANN_DYNAMICALLY_PROVISIONED.into(), class.provisioner.clone());
        if let Some(q) = c.request() {
            v.spec.capacity.insert("storage".into(), q.clone());
        }
        v.spec.access_modes = c.spec.access_modes.clone();
        v.spec.claim_ref = Some(super::persistent_volume::claim_ref(c));
        v.spec.persistent_volume_reclaim_policy = class.reclaim_policy().to_string();
        v.spec.storage_class_name = class.metadata.name.to_string();
        v.spec.mount_options = class.mount_options.clone();
        v.spec.volume_mode = c.spec.volume_mode.clone();
        let dir = format!("{name}_{}_{}", c.metadata.namespace, c.metadata.name);
        match class.provisioner.as_str() {
            LOCAL_PATH => {
                // local-path-provisioner's Provision refusals.
                if c.spec.access_modes.iter().any(|m| m != "ReadWriteOnce" && m != "ReadWriteOncePod") {
                    return Err("NodePath only supports ReadWriteOnce and ReadWriteOncePod (1.22+) access modes".into());
                }
                if c.volume_mode() == "Block" {
                    return Err(format!("{LOCAL_PATH} does not support block volume provisioning"));
                }
                if c.spec.selector.is_some() {
                    return Err("claim.Spec.Selector is not supported".into());
                }
                let Some(node) = selected else { return Err("configuration error, no node was specified".into()) };
                v.spec.host_path = Some(Box::new(serde_json::json!({"path": format!("/var/local-path-provisioner/{dir}"), "type": "DirectoryOrCreate"})));
                v.spec.node_affinity = Some(selector_on("kubernetes.io/hostname", node));
            }
            MINIKUBE_HOSTPATH => {
                v.spec.host_path =
                    Some(Box::new(serde_json::json!({"path": format!("/tmp/hostpath-provisioner/{}/{}", c.metadata.namespace, c.metadata.name), "type": ""})));
            }
            driver => {
                v.spec.csi = Some(Box::new(serde_json::json!({"driver": driver, "volumeHandle": format!("vol-{}", c.metadata.uid), "fsType": "ext4"})));
                let zone = match selected {
                    Some(node) => inf.get(&Kind::Node, "", node).and_then(|o| o.as_node()).and_then(|n| n.metadata.labels.get(ZONE).cloned()),
                    None => {
                        let mut zones: Vec<String> = inf
                            .list(&Kind::Node)
                            .filter_map(|o| o.as_node())
                            .filter(|n| match_topology_selector_terms(&class.allowed_topologies, &n.metadata.labels))
                            .filter_map(|n| n.metadata.labels.get(ZONE).cloned())
                            .collect();
                        zones.sort();
                        zones.dedup();
                        if zones.is_empty() {
                            None
                        } else {
                            let i = (name_hash(&c.metadata.name) % zones.len() as u64) as usize;
                            Some(zones[i].clone())
                        }
                    }
                };
                if let Some(z) = zone {
                    v.spec.node_affinity = Some(selector_on(ZONE, &z));
                }
            }
        }
        Ok(v)
    }
}

impl Controller for ExternalProvisioner {
    type Key = Key;
    const NAME: &'static str = "external-provisioner";

    fn queue(&mut self) -> &mut WorkQueue<Key> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::PersistentVolume | Kind::PersistentVolumeClaim | Kind::StorageClass | Kind::Node)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::PersistentVolumeClaim(c) => {
                let k = (c.metadata.namespace.to_string(), c.metadata.name.to_string());
                if ev.type_ == WatchEventType::Deleted {
                    self.provisioning.remove(&k);
                } else {
                    self.queue.add(Key::Claim(k.0, k.1.to_string()));
                }
            }
            Object::PersistentVolume(v) => {
                if ev.type_ == WatchEventType::Deleted {
                    self.deleting.remove(v.metadata.name.as_str());
                } else if v.metadata.annotations.contains_key(ANN_DYNAMICALLY_PROVISIONED) {
                    self.queue.add(Key::Volume(v.metadata.name.to_string()));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &Key, ctx: &mut ControllerCtx) -> Synced {
        let now = ctx.now();
        match key {
            Key::Claim(ns, name) => {
                let k = (ns.clone(), name.clone());
                let Some(c) = inf.get(&Kind::PersistentVolumeClaim, ns, name).and_then(|o| o.as_pvc()) else {
                    self.provisioning.remove(&k);
                    return Synced::Done;
                };
                let Some(class) = Self::wants(inf, c) else {
                    self.provisioning.remove(&k);
                    return Synced::Done;
                };
                // Already made (a retry after a lost answer): nothing to do.
                if inf.get(&Kind::PersistentVolume, "", &format!("pvc-{}", c.metadata.uid)).is_some() {
                    self.provisioning.remove(&k);
                    return Synced::Done;
                }
                let source = self.source(&class.provisioner);
                match self.provisioning.get(&k) {
                    Some((uid, at)) if *uid == c.metadata.uid => {
                        if *at > now {
                            let d = at.since(now);
                            ctx.requeue_after(&mut self.queue, key.clone(), d);
                            return Synced::Done;
                        }
                        let obj = Object::PersistentVolumeClaim(Box::new(c.clone()));
                        match Self::make_volume(inf, c, class) {
                            Ok(v) => {
                                // ProvisioningSucceeded once the volume is stored (on_response).
                                ctx.request_reply(Request::Create(Object::PersistentVolume(Box::new(v))));
                            }
                            Err(e) => {
                                ctx.event_as(
                                    &obj,
                                    "Warning",
                                    "ProvisioningFailed",
                                    &format!("failed to provision volume with StorageClass {:?}: {e}", class.metadata.name),
                                    source,
                                );
                                // The library's claim queue: AddRateLimited on its own
                                // limiter (15 s doubling to 1000 s), giving up after
                                // failedProvisionThreshold (15) failures. The errors ksim's
                                // provisioners return are ProvisioningFinished: the
                                // selected node stays.
                                self.provisioning.remove(&k);
                                let n = self.failures.entry(c.metadata.uid.to_string()).or_insert(0);
                                *n += 1;
                                if *n < FAILED_PROVISION_THRESHOLD {
                                    let d = SimDuration::from_secs(15u64.saturating_mul(1 << (*n - 1).min(10)).min(1000));
                                    ctx.requeue_after(&mut self.queue, key.clone(), d);
                                }
                                return Synced::Done;
                            }
                        }
                        self.provisioning.remove(&k);
                    }
                    _ => {
                        let d = provisioning_delay(class);
                        self.provisioning.insert(k, (c.metadata.uid.to_string(), now + d));
                        let obj = Object::PersistentVolumeClaim(Box::new(c.clone()));
                        ctx.event_as(&obj, "Normal", "Provisioning", &format!("External provisioner is provisioning volume for claim \"{ns}/{name}\""), source);
                        ctx.requeue_after(&mut self.queue, key.clone(), d);
                    }
                }
            }
            Key::Volume(name) => {
                let Some(v) = inf.get(&Kind::PersistentVolume, "", name).and_then(|o| o.as_pv()) else { return Synced::Done };
                // shouldDelete: Released, Delete, ours, not already going.
                let ours = v.metadata.annotations.get(ANN_DYNAMICALLY_PROVISIONED).is_some_and(|p| {
                    inf.list(&Kind::StorageClass).filter_map(|o| o.as_storage_class()).any(|c| c.provisioner == *p) || p == LOCAL_PATH || p == MINIKUBE_HOSTPATH
                });
                if !ours || v.status.phase != "Released" || v.reclaim_policy() != "Delete" || v.metadata.rare.deletion_timestamp.is_some() {
                    self.deleting.remove(name);
                    return Synced::Done;
                }
                match self.deleting.get(name) {
                    Some(at) if *at <= now => {
                        self.deleting.remove(name);
                        ctx.request(Request::Delete {
                            key: Box::new(ObjectKey::new(Kind::PersistentVolume, "", name)),
                            grace_period_seconds: None,
                            uid: Some(v.metadata.uid.to_string()),
                        });
                    }
                    Some(at) => {
                        let d = at.since(now);
                        ctx.requeue_after(&mut self.queue, key.clone(), d);
                    }
                    None => {
                        let class = inf.get(&Kind::StorageClass, "", v.class()).and_then(|o| o.as_storage_class());
                        let d = class.map(provisioning_delay).unwrap_or(DEFAULT_PROVISIONING_DELAY);
                        self.deleting.insert(name.clone(), now + d);
                        ctx.requeue_after(&mut self.queue, key.clone(), d);
                    }
                }
            }
        }
        Synced::Done
    }

    /// A stored volume is the claim's `ProvisioningSucceeded` (provisionClaimOperation,
    /// after StoreVolume); a refused write is tried again (a create refused because the
    /// volume exists is seen by the next sync).
    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        match (req, resp) {
            (Request::Create(Object::PersistentVolume(v)), Response::Object(_)) => {
                let Some(r) = &v.spec.claim_ref else { return };
                let Some(p) = v.metadata.annotations.get(ANN_DYNAMICALLY_PROVISIONED) else { return };
                let source = self.source(p);
                self.failures.remove(&r.uid);
                if let Some(c) = inf.get(&Kind::PersistentVolumeClaim, &r.namespace, &r.name).filter(|c| c.meta().uid == r.uid).cloned() {
                    ctx.event_as(&c, "Normal", "ProvisioningSucceeded", &format!("Successfully provisioned volume {}", v.metadata.name), source);
                }
            }
            (Request::Update(Object::PersistentVolumeClaim(c)), Response::Error(_)) => {
                ctx.requeue_rate_limited(&mut self.queue, Key::Claim(c.metadata.namespace.to_string(), c.metadata.name.to_string()));
            }
            _ => {}
        }
    }
}
