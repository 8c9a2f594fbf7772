//! PersistentVolume and PersistentVolumeClaim (core/v1) and StorageClass
//! (storage.k8s.io/v1), as k8s.io/api/core/v1/types.go and storage/v1/types.go spell
//! them, with the helpers upstream shares between the PV controller, the scheduler and
//! kubectl: component-helpers/storage/volume/pv_helpers.go (GetPersistentVolumeClass,
//! GetPersistentVolumeClaimClass, IsVolumeBoundToClaim, CheckVolumeModeMismatches,
//! CheckAccessModes, FindMatchingVolume), pkg/volume/util/storageclass.go
//! (IsDefaultAnnotation, GetDefaultClass) and pkg/apis/core/helper (GetAccessModesAsString).
//!
//! A volume's source (hostPath, local, csi, nfs, the cloud disks …) is kept as given: ksim
//! runs no storage, it models who binds, provisions, attaches and mounts what, when.

use super::affinity::NodeSelector;
use super::endpoints::ObjectReference;
use super::meta::{LabelSelector, Labels, ObjectMeta, Time};
use super::pod::ResourceList;
use super::quantity::Quantity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

type Opaque = Option<Box<Value>>;

pub const ANN_BIND_COMPLETED: &str = "pv.kubernetes.io/bind-completed";
pub const ANN_BOUND_BY_CONTROLLER: &str = "pv.kubernetes.io/bound-by-controller";
pub const ANN_SELECTED_NODE: &str = "volume.kubernetes.io/selected-node";
pub const ANN_STORAGE_PROVISIONER: &str = "volume.kubernetes.io/storage-provisioner";
pub const ANN_BETA_STORAGE_PROVISIONER: &str = "volume.beta.kubernetes.io/storage-provisioner";
pub const ANN_DYNAMICALLY_PROVISIONED: &str = "pv.kubernetes.io/provisioned-by";
pub const ANN_BETA_STORAGE_CLASS: &str = "volume.beta.kubernetes.io/storage-class";
pub const ANN_DEFAULT_CLASS: &str = "storageclass.kubernetes.io/is-default-class";
pub const ANN_BETA_DEFAULT_CLASS: &str = "storageclass.beta.kubernetes.io/is-default-class";
pub const NOT_SUPPORTED_PROVISIONER: &str = "kubernetes.io/no-provisioner";
pub const PVC_PROTECTION_FINALIZER: &str = "kubernetes.io/pvc-protection";
pub const PV_PROTECTION_FINALIZER: &str = "kubernetes.io/pv-protection";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct StorageClass {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub provisioner: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub parameters: BTreeMap<String, String>,
    /// `Delete` when not given (SetDefaults_StorageClass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reclaim_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allow_volume_expansion: Option<bool>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_options: Vec<String>,
    /// `Immediate` when not given (SetDefaults_StorageClass).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_binding_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub allowed_topologies: Vec<TopologySelectorTerm>,
}

/// core/v1 TopologySelectorTerm: requirements ANDed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopologySelectorTerm {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_label_expressions: Vec<TopologySelectorLabelRequirement>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopologySelectorLabelRequirement {
    pub key: String,
    #[serde(default)]
    pub values: Vec<String>,
}

/// v1helper.MatchTopologySelectorTerms: no terms match every node; terms are ORed, a
/// term's requirements ANDed, a requirement met when the label's value is listed.
pub fn match_topology_selector_terms(terms: &[TopologySelectorTerm], labels: &Labels) -> bool {
    if terms.is_empty() {
        return true;
    }
    terms.iter().any(|t| t.match_label_expressions.iter().all(|r| labels.get(&r.key).is_some_and(|v| r.values.contains(v))))
}

impl StorageClass {
    pub fn reclaim_policy(&self) -> &str {
        self.reclaim_policy.as_deref().unwrap_or("Delete")
    }
    pub fn volume_binding_mode(&self) -> &str {
        self.volume_binding_mode.as_deref().unwrap_or("Immediate")
    }
    pub fn wait_for_first_consumer(&self) -> bool {
        self.volume_binding_mode() == "WaitForFirstConsumer"
    }
}

/// IsDefaultAnnotation: either annotation, exactly "true".
pub fn is_default_class(m: &ObjectMeta) -> bool {
    m.annotations.get(ANN_DEFAULT_CLASS).is_some_and(|v| v == "true") || m.annotations.get(ANN_BETA_DEFAULT_CLASS).is_some_and(|v| v == "true")
}

/// GetDefaultClass: of the classes marked default, the newest (then the first by name).
pub fn default_class<'a>(classes: impl Iterator<Item = &'a StorageClass>) -> Option<&'a StorageClass> {
    let mut best: Option<&StorageClass> = None;
    for c in classes.filter(|c| is_default_class(&c.metadata)) {
        best = match best {
            None => Some(c),
            Some(b) => {
                let (tc, tb) = (c.metadata.creation_timestamp, b.metadata.creation_timestamp);
                if tc > tb || (tc == tb && c.metadata.name < b.metadata.name) {
                    Some(c)
                } else {
                    Some(b)
                }
            }
        }
    }
    best
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersistentVolume {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PersistentVolumeSpec,
    #[serde(default)]
    pub status: PersistentVolumeStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersistentVolumeSpec {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity: ResourceList,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_modes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claim_ref: Option<ObjectReference>,
    /// `Retain` when not given (SetDefaults_PersistentVolume).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub persistent_volume_reclaim_policy: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub storage_class_name: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub mount_options: Vec<String>,
    /// `Filesystem` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_affinity: Option<VolumeNodeAffinity>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_attributes_class_name: Option<String>,
    // The volume sources: kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_path: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub csi: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nfs: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iscsi: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fc: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub aws_elastic_block_store: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gce_persistent_disk: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_disk: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub azure_file: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cephfs: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rbd: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cinder: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flex_volume: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub glusterfs: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub portworx_volume: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vsphere_volume: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeNodeAffinity {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<NodeSelector>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersistentVolumeStatus {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_phase_transition_time: Option<Time>,
}

impl PersistentVolume {
    /// GetPersistentVolumeClass: the beta annotation, else spec.storageClassName.
    pub fn class(&self) -> &str {
        match self.metadata.annotations.get(ANN_BETA_STORAGE_CLASS) {
            Some(c) => c,
            None => &self.spec.storage_class_name,
        }
    }
    pub fn storage(&self) -> Option<&Quantity> {
        self.spec.capacity.get("storage")
    }
    pub fn volume_mode(&self) -> &str {
        self.spec.volume_mode.as_deref().unwrap_or("Filesystem")
    }
    pub fn reclaim_policy(&self) -> &str {
        if self.spec.persistent_volume_reclaim_policy.is_empty() {
            "Retain"
        } else {
            &self.spec.persistent_volume_reclaim_policy
        }
    }
    /// CheckNodeAffinity: a volume without node affinity fits every node.
    pub fn fits_node(&self, labels: &Labels, node_name: &str) -> bool {
        match self.spec.node_affinity.as_ref().and_then(|a| a.required.as_ref()) {
            Some(sel) => sel.matches(labels, node_name),
            None => true,
        }
    }
    /// IsMultiAttachAllowed (pkg/volume/util): only a volume whose modes are all
    /// ReadWriteOnce/ReadWriteOncePod is exclusive to one node; no modes, no telling.
    pub fn exclusive_to_one_node(&self) -> bool {
        !self.spec.access_modes.is_empty() && !self.spec.access_modes.iter().any(|m| m == "ReadWriteMany" || m == "ReadOnlyMany")
    }
    /// The CSI driver of a `csi` volume.
    pub fn csi_driver(&self) -> Option<&str> {
        self.spec.csi.as_deref().and_then(|c| c.get("driver")).and_then(|d| d.as_str())
    }
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersistentVolumeClaim {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PersistentVolumeClaimSpec,
    #[serde(default)]
    pub status: PersistentVolumeClaimStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersistentVolumeClaimSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_modes: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    #[serde(default)]
    pub resources: VolumeResourceRequirements,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub volume_name: String,
    /// None: not given (the DefaultStorageClass admission fills it); `""`: no class.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub storage_class_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mode: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_source_ref: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_attributes_class_name: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeResourceRequirements {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: ResourceList,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: ResourceList,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PersistentVolumeClaimStatus {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub phase: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub access_modes: Vec<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub capacity: ResourceList,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conditions: Opaque,
}

impl PersistentVolumeClaim {
    /// GetPersistentVolumeClaimClass: the beta annotation, else spec.storageClassName,
    /// else "".
    pub fn class(&self) -> &str {
        if let Some(c) = self.metadata.annotations.get(ANN_BETA_STORAGE_CLASS) {
            return c;
        }
        self.spec.storage_class_name.as_deref().unwrap_or("")
    }
    /// PersistentVolumeClaimHasClass: a class was asked for (even "").
    pub fn has_class(&self) -> bool {
        self.metadata.annotations.contains_key(ANN_BETA_STORAGE_CLASS) || self.spec.storage_class_name.is_some()
    }
    pub fn request(&self) -> Option<&Quantity> {
        self.spec.resources.requests.get("storage")
    }
    pub fn volume_mode(&self) -> &str {
        self.spec.volume_mode.as_deref().unwrap_or("Filesystem")
    }
    /// The scheduler's isPVCFullyBound: a volume name and the bind-completed annotation.
    pub fn fully_bound(&self) -> bool {
        !self.spec.volume_name.is_empty() && self.metadata.annotations.contains_key(ANN_BIND_COMPLETED)
    }
}

/// IsVolumeBoundToClaim.
pub fn is_volume_bound_to_claim(pv: &PersistentVolume, claim: &PersistentVolumeClaim) -> bool {
    let Some(r) = &pv.spec.claim_ref else { return false };
    if claim.metadata.name != r.name || claim.metadata.namespace != r.namespace {
        return false;
    }
    r.uid.is_empty() || claim.metadata.uid == r.uid
}

/// CheckAccessModes: the volume offers every mode the claim asks for.
pub fn check_access_modes(claim: &PersistentVolumeClaim, pv: &PersistentVolume) -> bool {
    claim.spec.access_modes.iter().all(|m| pv.spec.access_modes.contains(m))
}

/// The node a FindMatchingVolume call checks volumes against (the scheduler's path).
pub struct NodeRef<'a> {
    pub name: &'a str,
    pub labels: &'a Labels,
}

/// FindMatchingVolume over `volumes` (already narrowed to the access-mode group the
/// caller is searching): a volume pre-bound to this claim wins (unless its node affinity
/// rules the node out: then nothing matches); otherwise the smallest Available volume of
/// the claim's class, size, mode, selector and (on the scheduler's path) node and access
/// modes. With `delay_binding` and no node (the PV controller on a WaitForFirstConsumer
/// claim), only a pre-bound volume is returned.
pub fn find_matching_volume<'a>(
    claim: &PersistentVolumeClaim,
    volumes: &[&'a PersistentVolume],
    node: Option<&NodeRef>,
    excluded: &dyn Fn(&str) -> bool,
    delay_binding: bool,
) -> Option<&'a PersistentVolume> {
    let requested = claim.request().cloned().unwrap_or_default();
    let class = claim.class();
    let mut smallest: Option<&PersistentVolume> = None;
    for &v in volumes {
        if excluded(&v.metadata.name) {
            continue;
        }
        if v.spec.claim_ref.is_some() && !is_volume_bound_to_claim(v, claim) {
            continue;
        }
        let qty = v.storage().cloned().unwrap_or_default();
        if qty < requested {
            continue;
        }
        if claim.volume_mode() != v.volume_mode() {
            continue;
        }
        if v.metadata.rare.deletion_timestamp.is_some() {
            continue;
        }
        let affinity_ok = node.is_none_or(|n| v.fits_node(n.labels, n.name));
        if is_volume_bound_to_claim(v, claim) {
            return if affinity_ok { Some(v) } else { None };
        }
        if node.is_none() && delay_binding {
            continue;
        }
        if v.status.phase != "Available" {
            continue;
        }
        if claim.spec.selector.as_ref().is_some_and(|s| !s.matches(&v.metadata.labels)) {
            continue;
        }
        if v.class() != class || !affinity_ok {
            continue;
        }
        if node.is_some() && !check_access_modes(claim, v) {
            continue;
        }
        if smallest.is_none_or(|s| s.storage().cloned().unwrap_or_default() > qty) {
            smallest = Some(v);
        }
    }
    smallest
}

/// persistentVolumeOrderedIndex.findByClaim: volumes grouped by their set of access
/// modes; the groups that hold every mode the claim asks for are searched fewest modes
/// first, and the first group with a match decides.
pub fn find_best_match_for_claim<'a>(
    claim: &PersistentVolumeClaim,
    volumes: &[&'a PersistentVolume],
    node: Option<&NodeRef>,
    excluded: &dyn Fn(&str) -> bool,
    delay_binding: bool,
) -> Option<&'a PersistentVolume> {
    let mut groups: BTreeMap<String, (usize, Vec<&'a PersistentVolume>)> = BTreeMap::new();
    for &v in volumes {
        let mut modes: Vec<&str> = v.spec.access_modes.iter().map(String::as_str).collect();
        modes.sort_unstable();
        modes.dedup();
        let n = modes.len();
        groups.entry(modes.join(",")).or_insert_with(|| (n, Vec::new())).1.push(v);
    }
    let mut candidates: Vec<(usize, &String, &Vec<&PersistentVolume>)> = groups
        .iter()
        .filter(|(_, (_, vs))| claim.spec.access_modes.iter().all(|m| vs[0].spec.access_modes.contains(m)))
        .map(|(k, (n, vs))| (*n, k, vs))
        .collect();
    // sort.Sort(byAccessModes): fewest modes first (stable among equals by key here).
    candidates.sort_by_key(|&(n, k, _)| (n, k.clone()));
    for (_, _, vs) in candidates {
        if let Some(v) = find_matching_volume(claim, vs, node, excluded, delay_binding) {
            return Some(v);
        }
    }
    None
}

/// GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order, duplicates dropped.
pub fn access_modes_string(modes: &[String]) -> String {
    let has = |m: &str| modes.iter().any(|x| x == m);
    let mut out = Vec::new();
    for (m, s) in [("ReadWriteOnce", "RWO"), ("ReadOnlyMany", "ROX"), ("ReadWriteMany", "RWX"), ("ReadWriteOncePod", "RWOP")] {
        if has(m) {
            out.push(s);
        }
    }
    out.join(",")
}

/// The claims a pod's volumes name (`persistentVolumeClaim.claimName`), by volume name.
pub fn pod_claims(volumes: Option<&Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for v in volumes.and_then(|v| v.as_array()).into_iter().flatten() {
        if let Some(c) = v.pointer("/persistentVolumeClaim/claimName").and_then(|c| c.as_str()) {
            out.push((v.get("name").and_then(|n| n.as_str()).unwrap_or_default().to_string(), c.to_string()));
        }
    }
    out
}

/// storage.k8s.io/v1 VolumeAttachment: a CSI volume attached (or to be) to a node. The
/// attach/detach controller creates it; the driver's external-attacher attaches and sets
/// `status.attached`.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeAttachment {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: VolumeAttachmentSpec,
    #[serde(default)]
    pub status: VolumeAttachmentStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeAttachmentSpec {
    #[serde(default)]
    pub attacher: String,
    #[serde(default)]
    pub source: VolumeAttachmentSource,
    #[serde(default)]
    pub node_name: String,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeAttachmentSource {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub persistent_volume_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inline_volume_spec: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeAttachmentStatus {
    #[serde(default)]
    pub attached: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub attachment_metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attach_error: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detach_error: Opaque,
}

/// The CSI attacher's getAttachmentName: `csi-` and the hex SHA-256 of volume handle,
/// driver and node.
pub fn attachment_name(volume_handle: &str, driver: &str, node: &str) -> String {
    use sha2::{Digest, Sha256};
    let h = Sha256::digest(format!("{volume_handle}{driver}{node}").as_bytes());
    let mut s = String::with_capacity(68);
    s.push_str("csi-");
    for b in h {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

impl PersistentVolume {
    /// The (driver, volume handle) of a CSI volume.
    pub fn csi_handle(&self) -> Option<(&str, &str)> {
        let c = self.spec.csi.as_deref()?;
        Some((c.get("driver")?.as_str()?, c.get("volumeHandle")?.as_str()?))
    }
}

/// storage.k8s.io/v1 CSINode: the CSI drivers registered on a node, with their attach
/// limits (the kubelet's CSI plugin manager writes it, named after the node).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CSINode {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: CSINodeSpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CSINodeSpec {
    #[serde(default)]
    pub drivers: Vec<CSINodeDriver>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CSINodeDriver {
    pub name: String,
    #[serde(rename = "nodeID", default)]
    pub node_id: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_keys: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocatable: Option<VolumeNodeResources>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VolumeNodeResources {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pv(name: &str, size: &str, modes: &[&str], class: &str) -> PersistentVolume {
        let mut v = PersistentVolume::default();
        v.metadata.name = name.into();
        v.spec.capacity.insert("storage".into(), Quantity::parse(size).unwrap());
        v.spec.access_modes = modes.iter().map(|m| m.to_string()).collect();
        v.spec.storage_class_name = class.into();
        v.status.phase = "Available".into();
        v
    }

    fn claim(size: &str, modes: &[&str], class: &str) -> PersistentVolumeClaim {
        let mut c = PersistentVolumeClaim::default();
        c.metadata.name = "c".into();
        c.metadata.namespace = "default".into();
        c.metadata.uid = "uid-c".into();
        c.spec.resources.requests.insert("storage".into(), Quantity::parse(size).unwrap());
        c.spec.access_modes = modes.iter().map(|m| m.to_string()).collect();
        c.spec.storage_class_name = Some(class.into());
        c
    }

    /// index_test.go TestMatchVolume's spirit: the smallest volume that is large enough,
    /// within the group with the fewest access modes (a larger exact-mode volume beats a
    /// smaller one with extra modes: "sort by the number of modes in each array with the
    /// fewest number of modes coming first").
    #[test]
    fn smallest_match_in_fewest_modes_group() {
        let a = pv("small", "1Gi", &["ReadWriteOnce"], "");
        let b = pv("right", "5Gi", &["ReadWriteOnce"], "");
        let c = pv("big", "10Gi", &["ReadWriteOnce"], "");
        let d = pv("many", "5Gi", &["ReadWriteOnce", "ReadOnlyMany"], "");
        let vols = [&a, &b, &c, &d];
        let none = |_: &str| false;
        assert_eq!(find_best_match_for_claim(&claim("3Gi", &["ReadWriteOnce"], ""), &vols, None, &none, false).unwrap().metadata.name, "right");
        assert_eq!(find_best_match_for_claim(&claim("6Gi", &["ReadWriteOnce"], ""), &vols, None, &none, false).unwrap().metadata.name, "big");
        assert_eq!(find_best_match_for_claim(&claim("3Gi", &["ReadOnlyMany"], ""), &vols, None, &none, false).unwrap().metadata.name, "many");
        // Class must be equal: a claim of class "" does not take a "manual" volume.
        let m = pv("manual", "5Gi", &["ReadWriteOnce"], "manual");
        assert!(find_best_match_for_claim(&claim("1Gi", &["ReadWriteOnce"], "x"), &[&m], None, &none, false).is_none());
        // A Bound or Released volume is not taken.
        let mut r = pv("released", "5Gi", &["ReadWriteOnce"], "");
        r.status.phase = "Released".into();
        assert!(find_best_match_for_claim(&claim("1Gi", &["ReadWriteOnce"], ""), &[&r], None, &none, false).is_none());
    }

    /// FindMatchingVolume: a volume pre-bound to the claim wins over a smaller one, even
    /// with delayBinding; without a pre-bound one, delayBinding on the controller's path
    /// (no node) matches nothing.
    #[test]
    fn prebound_and_delay_binding() {
        let small = pv("small", "1Gi", &["ReadWriteOnce"], "");
        let mut pre = pv("pre", "8Gi", &["ReadWriteOnce"], "");
        pre.spec.claim_ref = Some(ObjectReference { name: "c".into(), namespace: "default".into(), ..Default::default() });
        let none = |_: &str| false;
        let c = claim("1Gi", &["ReadWriteOnce"], "");
        assert_eq!(find_matching_volume(&c, &[&small, &pre], None, &none, true).unwrap().metadata.name, "pre");
        assert!(find_matching_volume(&c, &[&small], None, &none, true).is_none());
        assert_eq!(find_matching_volume(&c, &[&small], None, &none, false).unwrap().metadata.name, "small");
    }

    /// helpers_test.go TestGetAccessModesAsString.
    #[test]
    fn access_modes_in_kubectl_order() {
        let m = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(access_modes_string(&m(&["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany", "ReadWriteOnce"])), "RWO,ROX,RWX");
        assert_eq!(access_modes_string(&m(&["ReadWriteOncePod"])), "RWOP");
        assert_eq!(access_modes_string(&[]), "");
    }

    /// storageclass_test.go TestGetDefaultClass: the newest default wins; equal times
    /// go to the first name.
    #[test]
    fn newest_default_class() {
        let mk = |name: &str, t: u64, default: bool| {
            let mut c = StorageClass::default();
            c.metadata.name = name.into();
            c.metadata.creation_timestamp = Some(Time(crate::engine::SimTime::from_secs(t)));
            if default {
                c.metadata.annotations.insert(ANN_DEFAULT_CLASS.into(), "true".into());
            }
            c
        };
        let cs = [mk("a", 1, true), mk("b", 2, true), mk("c", 3, false)];
        assert_eq!(default_class(cs.iter()).unwrap().metadata.name, "b");
        let cs = [mk("z", 2, true), mk("y", 2, true)];
        assert_eq!(default_class(cs.iter()).unwrap().metadata.name, "y");
        assert!(default_class([mk("c", 3, false)].iter()).is_none());
    }
}
