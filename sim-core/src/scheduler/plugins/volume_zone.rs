//! VolumeZone (pkg/scheduler/framework/plugins/volumezone/volume_zone.go): a bound
//! claim's volume labelled with a zone or region (topology.kubernetes.io/zone|region or
//! the deprecated failure-domain.beta.kubernetes.io labels; several values joined by
//! "__") admits only nodes whose label holds one of them: "node(s) had no available
//! volume zone" (UnschedulableAndUnresolvable). Unbound claims are VolumeBinding's.

use super::super::framework::{NodeInfo, Status};
use std::rc::Rc;

pub const NAME: &str = "VolumeZone";
pub const ERR_REASON_CONFLICT: &str = "node(s) had no available volume zone";
const TOPOLOGY_LABELS: [&str; 4] =
    ["topology.kubernetes.io/zone", "topology.kubernetes.io/region", "failure-domain.beta.kubernetes.io/zone", "failure-domain.beta.kubernetes.io/region"];

/// PreFilter: the (label, allowed values) pairs of the pod's bound volumes; None when
/// there are none (Skip).
pub fn pre_filter(bound: &[Option<Rc<crate::api::Object>>]) -> Option<Vec<(&'static str, Vec<String>)>> {
    let mut out = Vec::new();
    for pv in bound.iter().flatten().filter_map(|o| o.as_pv()) {
        for k in TOPOLOGY_LABELS {
            if let Some(v) = pv.metadata.labels.get(k) {
                out.push((k, v.split("__").map(String::from).collect()));
            }
        }
    }
    (!out.is_empty()).then_some(out)
}

pub fn filter(terms: &[(&'static str, Vec<String>)], node: &NodeInfo) -> Option<Status> {
    // A node with none of the topology labels is not constrained.
    if !TOPOLOGY_LABELS.iter().any(|k| node.labels.contains_key(*k)) {
        return None;
    }
    for (k, values) in terms {
        let v = node.labels.get(*k).map(String::as_str).unwrap_or("");
        if !values.iter().any(|x| x == v) {
            return Some(Status::unresolvable(NAME, ERR_REASON_CONFLICT.into()));
        }
    }
    None
}
