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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::affinity::{Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
    use crate::api::pod::Pod;
    use crate::api::Object;
    use std::rc::Rc;

    fn fields(names: &[&str]) -> Vec<NodeSelectorRequirement> {
        names.iter().map(|n| NodeSelectorRequirement { key: "metadata.name".into(), operator: "In".into(), values: vec![n.to_string()] }).collect()
    }

    fn foo_in(v: &str) -> Vec<NodeSelectorRequirement> {
        vec![NodeSelectorRequirement { key: "foo".into(), operator: "In".into(), values: vec![v.into()] }]
    }

    fn pod(terms: Vec<NodeSelectorTerm>) -> PodInfo {
        let mut p = Pod::default();
        Rc::make_mut(&mut p.spec).affinity = Some(Affinity {
            node_affinity: Some(NodeAffinity { required: Some(NodeSelector { node_selector_terms: terms }), preferred: vec![] }),
            ..Default::default()
        });
        PodInfo::new(Rc::new(Object::Pod(p)))
    }

    fn node(name: &str, labels: &[(&str, &str)]) -> NodeInfo {
        let mut n = NodeInfo { name: name.into(), present: true, ..Default::default() };
        n.labels = labels.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        n
    }

    /// nodeaffinity/node_affinity_test.go TestNodeAffinity, the matchFields cases (the
    /// node affinity DaemonSet pods carry): matchFields In that matches / does not match
    /// the node; two terms, matchFields failing but matchExpressions matching (terms are
    /// ORed); one term with both (requirements are ANDed) failing and matching; two terms
    /// neither matching; two terms of node names; two conflicting name requirements in one
    /// term.
    #[test]
    fn match_fields_on_metadata_name() {
        let t = |f: Vec<NodeSelectorRequirement>, e: Vec<NodeSelectorRequirement>| NodeSelectorTerm { match_expressions: e, match_fields: f };
        let foo_bar = [("foo", "bar")];
        let cases: Vec<(&str, PodInfo, NodeInfo, bool)> = vec![
            ("matchFields In matches the node", pod(vec![t(fields(&["node_1"]), vec![])]), node("node_1", &[]), true),
            ("matchFields In does not match the node", pod(vec![t(fields(&["node_1"]), vec![])]), node("node_2", &[]), false),
            (
                "two terms: matchFields does not match, matchExpressions does",
                pod(vec![t(fields(&["node1", "node2"]), vec![]), t(vec![], foo_in("bar"))]),
                node("node2", &foo_bar),
                true,
            ),
            ("one term: matchFields does not match, matchExpressions does", pod(vec![t(fields(&["node1"]), foo_in("bar"))]), node("node2", &foo_bar), false),
            ("one term: both match", pod(vec![t(fields(&["node1"]), foo_in("bar"))]), node("node1", &foo_bar), true),
            ("two terms: neither matches", pod(vec![t(fields(&["node1"]), vec![]), t(vec![], foo_in("not-match-to-bar"))]), node("node2", &foo_bar), false),
            ("two terms of node names", pod(vec![t(fields(&["node1"]), vec![]), t(fields(&["node2"]), vec![])]), node("node2", &[]), true),
            ("two conflicting name requirements", pod(vec![t(fields(&["node1", "node2"]), vec![])]), node("node2", &foo_bar), false),
        ];
        for (name, p, n, fits) in cases {
            assert_eq!(filter(&p, &n).is_none(), fits, "{name}");
        }
    }
}
