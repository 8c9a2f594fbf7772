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
    let spec = &pod.pod().spec;
    let selector_ok = spec.node_selector.iter().all(|(k, v)| node.labels.get(k) == Some(v));
    let required_ok = spec
        .affinity
        .as_ref()
        .and_then(|a| a.node_affinity.as_ref())
        .and_then(|na| na.required.as_ref())
        .is_none_or(|req| req.node_selector_terms.iter().any(|t| term_parses(t) && t.matches(&node.labels, &node.name)));
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
