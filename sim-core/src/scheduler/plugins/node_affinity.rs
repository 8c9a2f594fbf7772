//! NodeAffinity (plugins/nodeaffinity), filter part: a node must match the pod's
//! `nodeSelector` (every label) and, if set, one of the terms of
//! `requiredDuringSchedulingIgnoredDuringExecution`. Score: the sum of the weights of
//! the preferred terms the node matches (normalized by the highest).

use crate::scheduler::framework::{NodeInfo, PodInfo, Status};

pub const NAME: &str = "NodeAffinity";
pub const ERR_REASON_POD: &str = "node(s) didn't match Pod's node affinity/selector";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    if matches_required(pod, node) {
        None
    } else {
        Some(Status::unresolvable(NAME, ERR_REASON_POD.into()))
    }
}

/// GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required terms.
pub fn matches_required(pod: &PodInfo, node: &NodeInfo) -> bool {
    let spec = &pod.pod().spec;
    let selector_ok = spec.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v));
    let required_ok = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| na.required.as_ref())
        .is_none_or(|req| req.matches(&node.labels, &node.name));
    selector_ok && required_ok
}

pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let Some(na) = pod.pod().spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()) else { return 0 };
    na.preferred.iter().filter(|p| p.weight != 0 && p.preference.matches(&node.labels, &node.name)).map(|p| i64::from(p.weight)).sum()
}
