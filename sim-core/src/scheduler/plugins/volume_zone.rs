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
        // "if we can't match the beta label, try to match pv's beta label with node's ga
        // label" (translateToGALabel).
        let v = node.labels.get(*k).or_else(|| node.labels.get(&to_ga(k)));
        if !v.is_some_and(|v| values.iter().any(|x| x == v)) {
            return Some(Status::unresolvable(NAME, ERR_REASON_CONFLICT.into()));
        }
    }
    None
}

/// translateToGALabel: the beta zone and region labels' GA names.
fn to_ga(k: &str) -> String {
    match k {
        "failure-domain.beta.kubernetes.io/zone" => "topology.kubernetes.io/zone".into(),
        "failure-domain.beta.kubernetes.io/region" => "topology.kubernetes.io/region".into(),
        other => other.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(labels: &[(&str, &str)]) -> NodeInfo {
        NodeInfo { name: "n".into(), labels: labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(), ..Default::default() }
    }

    /// volume_zone.go Filter: a node without topology labels passes; a beta-labelled
    /// volume matches a node's GA label; `__` joins several zones; a zone not listed is
    /// "node(s) had no available volume zone".
    #[test]
    fn zones_match_as_upstream() {
        let beta = vec![("failure-domain.beta.kubernetes.io/zone", vec!["us-west1-a".to_string(), "us-west1-b".to_string()])];
        assert!(filter(&beta, &node(&[])).is_none());
        assert!(filter(&beta, &node(&[("topology.kubernetes.io/zone", "us-west1-b")])).is_none());
        let st = filter(&beta, &node(&[("topology.kubernetes.io/zone", "us-west1-c")])).expect("conflict");
        assert_eq!(st.reasons, [ERR_REASON_CONFLICT]);
        let ga = vec![("topology.kubernetes.io/region", vec!["us-west1".to_string()])];
        assert!(filter(&ga, &node(&[("topology.kubernetes.io/zone", "us-west1-a")])).is_some(), "a node with a zone but no region label");
    }
}
