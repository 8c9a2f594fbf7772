//! VolumeBinding (pkg/scheduler/framework/plugins/volumebinding: volume_binding.go and
//! binder.go).
//!
//! - PreFilter (podHasPVCs, GetPodVolumeClaims): a claim that does not exist, is Lost or
//!   is being deleted rejects the pod everywhere (UnschedulableAndUnresolvable, the
//!   lister's words `persistentvolumeclaim "data" not found`); so does an unbound claim
//!   that is not delay-binding ("pod has unbound immediate PersistentVolumeClaims": the
//!   PV controller binds those, and the pod is retried when it has). A pod without
//!   claims skips the plugin.
//! - Filter (FindPodVolumes): a bound claim's volume must accept the node by its node
//!   affinity ("node(s) had volume node affinity conflict"; a volume that does not exist:
//!   "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"); each
//!   unbound WaitForFirstConsumer claim — smallest request first — needs an Available
//!   volume that fits it on this node (FindMatchingVolume with the node, volumes chosen
//!   for earlier claims excluded) or a class that can provision here (a provisioner other
//!   than kubernetes.io/no-provisioner, allowedTopologies matching the node); a claim
//!   already given another node (`volume.kubernetes.io/selected-node`) fails at once.
//!   Otherwise "node(s) didn't find available persistent volumes to bind". Both
//!   UnschedulableAndUnresolvable.
//! - Reserve (AssumePodVolumes) and PreBind (BindPodVolumes) are the scheduler's
//!   (`scheduler/mod.rs`): the chosen volumes get their claimRef, the claims to provision
//!   the selected-node annotation, and the pod is bound only once every claim is bound,
//!   polled every second for up to bindTimeoutSeconds (600).

use super::super::framework::{NodeInfo, Status};
use crate::api::storage::{
    find_matching_volume, match_topology_selector_terms, NodeRef, PersistentVolume, PersistentVolumeClaim, StorageClass, ANN_SELECTED_NODE,
};
use crate::api::{Kind, Object};
use crate::client::Informer;
use std::rc::Rc;

pub const NAME: &str = "VolumeBinding";
pub const ERR_REASON_BIND_CONFLICT: &str = "node(s) didn't find available persistent volumes to bind";
pub const ERR_REASON_NODE_CONFLICT: &str = "node(s) had volume node affinity conflict";
pub const ERR_REASON_PV_NOT_EXIST: &str = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)";
/// VolumeBindingArgs.BindTimeoutSeconds' default.
pub const BIND_TIMEOUT_SECONDS: u64 = 600;

/// An unbound claim of a WaitForFirstConsumer class.
#[derive(Clone, Debug)]
pub struct DelayClaim {
    pub claim: Rc<Object>,
    /// The node chosen for it: its `volume.kubernetes.io/selected-node`, or the assume
    /// cache's (a pod in PreBind is binding it there), and whether it is being
    /// provisioned there (else a volume is being bound to it).
    pub selected: Option<(String, bool)>,
    pub class: Option<Rc<Object>>,
    /// The volumes of the claim's class (pvCache.ListPVs(storageClassName)).
    pub volumes: Vec<Rc<Object>>,
}

impl DelayClaim {
    pub fn pvc(&self) -> &PersistentVolumeClaim {
        self.claim.as_pvc().expect("a claim")
    }
    fn class(&self) -> Option<&StorageClass> {
        self.class.as_deref().and_then(|c| c.as_storage_class())
    }
}

/// What PreFilter found.
#[derive(Clone, Debug, Default)]
pub struct PreFilterState {
    /// The bound claims' volumes (None: the volume does not exist).
    pub bound: Vec<Option<Rc<Object>>>,
    /// Unbound delay-binding claims, smallest request first.
    pub delay: Vec<DelayClaim>,
}

/// The bindings FindPodVolumes chose for a node: volumes to bind (claim index into
/// `delay`, volume name) and claims to provision.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PodVolumes {
    pub static_bindings: Vec<(usize, String)>,
    pub provisions: Vec<usize>,
    /// Claims another pod's PreBind is binding on this node: only waited for.
    pub waits: Vec<usize>,
}

/// The claim assume cache's answer for (namespace, claim): the node chosen and whether
/// the claim is being provisioned there.
pub type AssumedNode<'a> = dyn Fn(&str, &str) -> Option<(String, bool)> + 'a;

/// PreFilter. `Err`: the UnschedulableAndUnresolvable message; `Ok(None)`: Skip.
/// `assumed` tells whether a volume is already promised to another claim (the assume
/// cache: the scheduler's own bindings not yet seen back from the apiserver).
pub fn pre_filter(
    pod: &crate::api::pod::Pod,
    inf: &Informer,
    assumed: &dyn Fn(&str) -> bool,
    assumed_node: &AssumedNode<'_>,
) -> Result<Option<PreFilterState>, String> {
    let claims = crate::api::storage::pod_claims(pod.spec.volumes.as_deref());
    if claims.is_empty() {
        return Ok(None);
    }
    let ns = &pod.metadata.namespace;
    let mut st = PreFilterState::default();
    let mut immediate_unbound = false;
    for (_, name) in &claims {
        let Some(o) = inf.get(&Kind::PersistentVolumeClaim, ns, name) else {
            return Err(format!("persistentvolumeclaim {name:?} not found"));
        };
        let c = o.as_pvc().expect("a claim");
        if c.status.phase == "Lost" {
            return Err(format!("persistentvolumeclaim {:?} bound to non-existent persistentvolume {:?}", c.metadata.name, c.spec.volume_name));
        }
        if c.metadata.rare.deletion_timestamp.is_some() {
            return Err(format!("persistentvolumeclaim {:?} is being deleted", c.metadata.name));
        }
        if c.fully_bound() {
            st.bound.push(inf.get(&Kind::PersistentVolume, "", &c.spec.volume_name).cloned());
            continue;
        }
        let class = inf.get(&Kind::StorageClass, "", c.class()).filter(|_| !c.class().is_empty()).cloned();
        let delay = class.as_deref().and_then(|o| o.as_storage_class()).is_some_and(|k| k.wait_for_first_consumer());
        if delay && c.spec.volume_name.is_empty() {
            let volumes = inf
                .list(&Kind::PersistentVolume)
                .filter(|v| v.as_pv().is_some_and(|v| v.class() == c.class() && !assumed(&v.metadata.name)))
                .cloned()
                .collect();
            let selected = assumed_node(ns, name).or_else(|| c.metadata.annotations.get(ANN_SELECTED_NODE).map(|n| (n.clone(), true)));
            st.delay.push(DelayClaim { claim: o.clone(), selected, class, volumes });
        } else {
            immediate_unbound = true;
        }
    }
    if immediate_unbound {
        return Err("pod has unbound immediate PersistentVolumeClaims".into());
    }
    // findMatchingVolumes sorts the claims by increasing request.
    st.delay.sort_by_key(|d| d.pvc().request().cloned().unwrap_or_default());
    Ok(Some(st))
}

/// FindPodVolumes for one node: the bindings, or the reasons it fails.
pub fn find_pod_volumes(st: &PreFilterState, node: &NodeInfo) -> Result<PodVolumes, Vec<&'static str>> {
    let mut reasons = Vec::new();
    // checkBoundClaims.
    let mut bound_ok = true;
    let mut pvs_found = true;
    for v in &st.bound {
        match v.as_deref().and_then(|o| o.as_pv()) {
            None => pvs_found = false,
            Some(pv) => {
                if !pv.fits_node(&node.labels, &node.name) {
                    bound_ok = false;
                }
            }
        }
    }
    let mut out = PodVolumes::default();
    let mut unbound_ok = true;
    let node_ref = NodeRef { name: &node.name, labels: &node.labels };
    let mut chosen: Vec<String> = Vec::new();
    for (i, d) in st.delay.iter().enumerate() {
        let c = d.pvc();
        if let Some((sel, provisioning)) = &d.selected {
            if *sel != node.name {
                unbound_ok = false;
                break;
            }
            // Chosen for this node: straight to provisioning (FindPodVolumes' fast path),
            // or a volume another pod's PreBind is binding to it — wait for that.
            if *provisioning {
                out.provisions.push(i);
            } else {
                out.waits.push(i);
            }
            continue;
        }
        let vols: Vec<&PersistentVolume> = d.volumes.iter().filter_map(|o| o.as_pv()).collect();
        if let Some(v) = find_matching_volume(c, &vols, Some(&node_ref), &|n| chosen.iter().any(|x| x == n), true) {
            chosen.push(v.metadata.name.to_string());
            out.static_bindings.push((i, v.metadata.name.to_string()));
            continue;
        }
        // checkVolumeProvisions.
        let can_provision = d.class().is_some_and(|k| {
            !k.provisioner.is_empty()
                && k.provisioner != crate::api::storage::NOT_SUPPORTED_PROVISIONER
                && match_topology_selector_terms(&k.allowed_topologies, &node.labels)
        });
        if !can_provision {
            unbound_ok = false;
            break;
        }
        out.provisions.push(i);
    }
    if !bound_ok {
        reasons.push(ERR_REASON_NODE_CONFLICT);
    }
    if !unbound_ok {
        reasons.push(ERR_REASON_BIND_CONFLICT);
    }
    if !pvs_found {
        reasons.push(ERR_REASON_PV_NOT_EXIST);
    }
    if reasons.is_empty() {
        Ok(out)
    } else {
        Err(reasons)
    }
}

/// Filter.
pub fn filter(st: &PreFilterState, node: &NodeInfo) -> Option<Status> {
    match find_pod_volumes(st, node) {
        Ok(_) => None,
        Err(reasons) => Some(Status { plugin: NAME, reasons: reasons.into_iter().map(String::from).collect(), unresolvable: true }),
    }
}
