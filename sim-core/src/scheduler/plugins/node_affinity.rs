//! NodeAffinity (plugins/nodeaffinity), filter part: a node must match the pod's
//! `nodeSelector` (every label) and, if set, one of the terms of
//! `requiredDuringSchedulingIgnoredDuringExecution` (a term the scheduler cannot parse,
//! e.g. with an invalid label value, matches no node). Score: the sum of the weights of
//! the preferred terms the node matches (normalized by the highest).

use crate::api::affinity::{NodeSelectorRequirement, NodeSelectorTerm};
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

/// GetRequiredNodeAffinity(pod).Match(node): nodeSelector and required terms, ORed;
/// a term that does not parse matches no node (LazyErrorNodeSelector.Match skips the
/// terms with parse errors).
pub fn matches_required(pod: &PodInfo, node: &NodeInfo) -> bool {
    matches_required_on(pod.pod(), &node.labels, &node.name)
}

/// `matches_required` against a node's labels and name, all it reads of the node.
pub fn matches_required_on(pod: &crate::api::pod::Pod, labels: &crate::api::meta::Labels, name: &str) -> bool {
    let spec = &pod.spec;
    let selector_ok = spec.node_selector.iter().all(|(k, v)| labels.get(k) == Some(v));
    let required_ok = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| na.required.as_ref())
        .is_none_or(|req| req.node_selector_terms.iter().any(|t| term_parses(t) && t.matches(labels, name)));
    selector_ok && required_ok
}

/// newNodeSelectorTerm without parse errors: every matchExpressions entry is a valid
/// labels.NewRequirement and every matchFields entry a one-value In/NotIn
/// (nodeSelectorRequirementsAsFieldSelector). The apiserver does not validate the values,
/// so a pod can carry a term the scheduler cannot parse.
fn term_parses(t: &NodeSelectorTerm) -> bool {
    t.match_expressions.iter().all(requirement_parses) && t.match_fields.iter().all(|r| matches!(r.operator.as_str(), "In" | "NotIn") && r.values.len() == 1)
}

/// labels.NewRequirement: a qualified-name key; In/NotIn need values, Exists/DoesNotExist
/// none, Gt/Lt exactly one integer; every value a valid label value.
fn requirement_parses(r: &NodeSelectorRequirement) -> bool {
    let values_ok = match r.operator.as_str() {
        "In" | "NotIn" => !r.values.is_empty(),
        "Exists" | "DoesNotExist" => r.values.is_empty(),
        "Gt" | "Lt" => r.values.len() == 1 && r.values[0].parse::<i64>().is_ok(),
        _ => false,
    };
    values_ok && qualified_name(&r.key) && r.values.iter().all(|v| v.is_empty() || label_name(v))
}

/// validation.IsQualifiedName: an optional DNS-1123 subdomain prefix and '/', then a name.
fn qualified_name(key: &str) -> bool {
    match key.split_once('/') {
        Some((prefix, name)) => crate::api::validation::dns1123_subdomain(prefix).is_empty() && label_name(name),
        None => label_name(key),
    }
}

/// A label value (or a qualified name's name part) that is not empty: at most 63
/// characters of `[A-Za-z0-9_.-]`, alphanumeric at both ends.
fn label_name(s: &str) -> bool {
    let b = s.as_bytes();
    let alnum = |c: &u8| c.is_ascii_alphanumeric();
    !b.is_empty() && b.len() <= 63 && alnum(&b[0]) && alnum(&b[b.len() - 1]) && b.iter().all(|c| alnum(c) || matches!(c, b'-' | b'_' | b'.'))
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
        PodInfo::new(Rc::new(Object::Pod(Box::new(p))))
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
