//! InterPodAffinity (plugins/interpodaffinity). Filter: the pod's required affinity
//! terms need, in the node's domain of each, a pod that matches all of them (or, for the
//! first of a group, the pod matching its own terms while no pod in the cluster does); its required
//! anti-affinity terms need none; and no existing pod's required anti-affinity may
//! match the pod in the node's domain. Score: per domain, the weights of the pod's
//! preferred terms matched by existing pods (anti: subtracted), plus existing pods'
//! preferred terms and required affinity terms (hardPodAffinityWeight, default 1)
//! matched by the pod; min–max normalized.

use crate::scheduler::framework::{AffinityTerm, NodeInfo, PodInfo, Snapshot, Status, MAX_NODE_SCORE};
use std::collections::BTreeMap;

pub const NAME: &str = "InterPodAffinity";
pub const ERR_REASON_EXISTING_ANTI_AFFINITY: &str = "node(s) didn't satisfy existing pods anti-affinity rules";
pub const ERR_REASON_AFFINITY: &str = "node(s) didn't match pod affinity rules";
pub const ERR_REASON_ANTI_AFFINITY: &str = "node(s) didn't match pod anti-affinity rules";

/// topology key → value → count (nested so lookups need no allocation).
pub type TopologyCounts = BTreeMap<String, BTreeMap<String, i64>>;

fn add(m: &mut TopologyCounts, key: &str, value: &str, n: i64) {
    let inner = match m.get_mut(key) {
        Some(i) => i,
        None => m.entry(key.to_string()).or_default(),
    };
    match inner.get_mut(value) {
        Some(x) => *x += n,
        None => {
            inner.insert(value.to_string(), n);
        }
    }
}

fn get(m: &TopologyCounts, key: &str, value: &str) -> i64 {
    m.get(key).and_then(|i| i.get(value)).copied().unwrap_or(0)
}

#[derive(Clone, Debug, Default)]
pub struct PreFilterState {
    pub existing_anti_affinity: TopologyCounts,
    pub affinity: TopologyCounts,
    pub anti_affinity: TopologyCounts,
}

fn add_term_counts(counts: &mut TopologyCounts, terms: &[AffinityTerm], matches: impl Fn(&AffinityTerm) -> bool, node: &NodeInfo, v: i64) {
    for t in terms {
        if matches(t) {
            if let Some(val) = node.labels.get(&t.topology_key) {
                add(counts, &t.topology_key, val, v);
            }
        }
    }
}

/// PreFilter; `None` when the plugin has nothing to check for this pod.
pub fn pre_filter(pod: &PodInfo, snap: &Snapshot) -> Option<PreFilterState> {
    let has_own = !pod.required_affinity().is_empty() || !pod.required_anti_affinity().is_empty();
    if !has_own && snap.affinity.pods_with_required_anti_affinity == 0 {
        return None;
    }
    let incoming = pod.pod();
    let incoming_ns_labels = snap.ns_labels(&incoming.metadata.namespace);
    let mut s = PreFilterState::default();
    // getExistingAntiAffinityCounts, over the deduplicated terms of existing pods.
    for (term, per_value) in snap.affinity.anti_terms.values() {
        if term.matches(incoming, incoming_ns_labels) {
            for (v, c) in per_value {
                add(&mut s.existing_anti_affinity, &term.topology_key, v, *c);
            }
        }
    }
    // getIncomingAffinityAntiAffinityCounts.
    if has_own {
        count_affinity(&mut s.affinity, pod.required_affinity(), snap);
        count_matching(&mut s.anti_affinity, pod.required_anti_affinity(), snap);
    }
    Some(s)
}

/// updateWithAffinityTerms over the cluster: an existing pod counts only if it matches
/// every required affinity term (podMatchesAllAffinityTerms), and then once for each
/// term's topology pair. With one term this is the per-term count.
fn count_affinity(counts: &mut TopologyCounts, terms: &[AffinityTerm], snap: &Snapshot) {
    if terms.len() <= 1 {
        count_matching(counts, terms, snap);
        return;
    }
    if terms.iter().any(|t| t.selector.is_none()) {
        return; // a nil selector matches no pod, so no pod matches them all
    }
    for &ni in snap.order {
        let node = &snap.nodes[ni];
        let n = node.pods.iter().filter(|p| matches_all(terms, p.pod(), snap.ns_labels(&p.pod().metadata.namespace))).count() as i64;
        if n > 0 {
            for t in terms {
                if let Some(v) = node.labels.get(&t.topology_key) {
                    add(counts, &t.topology_key, v, n);
                }
            }
        }
    }
}

/// podMatchesAllAffinityTerms: false without terms.
fn matches_all(terms: &[AffinityTerm], pod: &crate::api::pod::Pod, ns_labels: Option<&crate::api::meta::Labels>) -> bool {
    !terms.is_empty() && terms.iter().all(|t| t.matches(pod, ns_labels))
}

/// For each term: the pods (terminating ones included) it matches, per topology value.
fn count_matching(counts: &mut TopologyCounts, terms: &[AffinityTerm], snap: &Snapshot) {
    for t in terms {
        let Some(sel) = &t.selector else { continue }; // a nil selector matches no pod
        if t.namespace_selector.is_some() {
            for &ni in snap.order {
                let node = &snap.nodes[ni];
                let Some(v) = node.labels.get(&t.topology_key) else { continue };
                let n = node.pods.iter().filter(|p| t.matches(p.pod(), snap.ns_labels(&p.pod().metadata.namespace))).count() as i64;
                if n > 0 {
                    add(counts, &t.topology_key, v, n);
                }
            }
            continue;
        }
        let ids: Vec<usize> = t.namespaces.iter().map(|ns| snap.counts.resolve(snap.nodes, ns, sel, true)).collect();
        for &ni in snap.order {
            let n: i64 = ids.iter().map(|&id| snap.counts.get(id, ni)).sum();
            if n == 0 {
                continue;
            }
            if let Some(v) = snap.nodes[ni].labels.get(&t.topology_key) {
                add(counts, &t.topology_key, v, n);
            }
        }
    }
}

pub fn filter(s: &PreFilterState, pod: &PodInfo, node: &NodeInfo, snap: &Snapshot) -> Option<Status> {
    // satisfyPodAffinity
    let mut pods_exist = true;
    for t in pod.required_affinity() {
        let Some(v) = node.labels.get(&t.topology_key) else {
            return Some(Status::unresolvable(NAME, ERR_REASON_AFFINITY.into()));
        };
        if get(&s.affinity, &t.topology_key, v) <= 0 {
            pods_exist = false;
        }
    }
    if !pods_exist {
        let p = pod.pod();
        let self_match = matches_all(pod.required_affinity(), p, snap.ns_labels(&p.metadata.namespace));
        if !(s.affinity.is_empty() && self_match) {
            return Some(Status::unresolvable(NAME, ERR_REASON_AFFINITY.into()));
        }
    }
    // satisfyPodAntiAffinity
    for t in pod.required_anti_affinity() {
        if let Some(v) = node.labels.get(&t.topology_key) {
            if get(&s.anti_affinity, &t.topology_key, v) > 0 {
                return Some(Status::unschedulable(NAME, vec![ERR_REASON_ANTI_AFFINITY.into()]));
            }
        }
    }
    // satisfyExistingPodsAntiAffinity
    if !s.existing_anti_affinity.is_empty() {
        for (k, v) in &node.labels {
            if get(&s.existing_anti_affinity, k, v) > 0 {
                return Some(Status::unschedulable(NAME, vec![ERR_REASON_EXISTING_ANTI_AFFINITY.into()]));
            }
        }
    }
    None
}

/// PreScore: topology key → value → score.
pub type PreScoreState = TopologyCounts;

pub fn pre_score(pod: &PodInfo, snap: &Snapshot, hard_pod_affinity_weight: i64) -> Option<PreScoreState> {
    let has_preferred = !pod.preferred_affinity().is_empty() || !pod.preferred_anti_affinity().is_empty();
    if !has_preferred && snap.affinity.pods_with_scoring_affinity == 0 {
        return None;
    }
    let incoming = pod.pod();
    let incoming_ns_labels = snap.ns_labels(&incoming.metadata.namespace);
    let mut scores = TopologyCounts::new();
    for &ni in snap.order {
        let node = &snap.nodes[ni];
        if node.labels.is_empty() || (!has_preferred && node.pods_with_scoring_affinity == 0) {
            continue;
        }
        for existing in &node.pods {
            if !has_preferred && !existing.has_scoring_affinity() {
                continue;
            }
            let ep = existing.pod();
            let ep_ns_labels = snap.ns_labels(&ep.metadata.namespace);
            // processExistingPod
            for (terms, sign) in [(pod.preferred_affinity(), 1), (pod.preferred_anti_affinity(), -1)] {
                for t in terms {
                    if t.matches(ep, ep_ns_labels) {
                        if let Some(v) = node.labels.get(&t.topology_key) {
                            add(&mut scores, &t.topology_key, v, i64::from(t.weight) * sign);
                        }
                    }
                }
            }
            if hard_pod_affinity_weight > 0 {
                for t in existing.required_affinity() {
                    if t.matches(incoming, incoming_ns_labels) {
                        if let Some(v) = node.labels.get(&t.topology_key) {
                            add(&mut scores, &t.topology_key, v, hard_pod_affinity_weight);
                        }
                    }
                }
            }
            for (terms, sign) in [(existing.preferred_affinity(), 1), (existing.preferred_anti_affinity(), -1)] {
                for t in terms {
                    if t.matches(incoming, incoming_ns_labels) {
                        if let Some(v) = node.labels.get(&t.topology_key) {
                            add(&mut scores, &t.topology_key, v, i64::from(t.weight) * sign);
                        }
                    }
                }
            }
        }
    }
    if scores.is_empty() {
        return None;
    }
    Some(scores)
}

pub fn score(s: &PreScoreState, node: &NodeInfo) -> i64 {
    let mut total = 0;
    for (k, values) in s {
        if let Some(v) = node.labels.get(k) {
            total += values.get(v).copied().unwrap_or(0);
        }
    }
    total
}

/// NormalizeScore: min–max scaling to 0..100 (all equal → 0).
pub fn normalize(scores: &mut [i64]) {
    let (Some(&min), Some(&max)) = (scores.iter().min(), scores.iter().max()) else { return };
    let diff = max - min;
    for s in scores.iter_mut() {
        let f = if diff > 0 { MAX_NODE_SCORE as f64 * ((*s - min) as f64 / diff as f64) } else { 0.0 };
        *s = f as i64;
    }
}

/// PreFilterExtensions AddPod/RemovePod (preFilterState.updateWithPod).
pub fn update_with_pod(s: &mut PreFilterState, incoming: &PodInfo, changed: &PodInfo, node: &NodeInfo, snap: &Snapshot, sign: i64) {
    let ip = incoming.pod();
    let cp = changed.pod();
    let ins = snap.ns_labels(&ip.metadata.namespace);
    let cns = snap.ns_labels(&cp.metadata.namespace);
    add_term_counts(&mut s.existing_anti_affinity, changed.required_anti_affinity(), |t| t.matches(ip, ins), node, sign);
    if matches_all(incoming.required_affinity(), cp, cns) {
        add_term_counts(&mut s.affinity, incoming.required_affinity(), |_| true, node, sign);
    }
    add_term_counts(&mut s.anti_affinity, incoming.required_anti_affinity(), |t| t.matches(cp, cns), node, sign);
    for m in [&mut s.existing_anti_affinity, &mut s.affinity, &mut s.anti_affinity] {
        for inner in m.values_mut() {
            inner.retain(|_, v| *v != 0);
        }
        m.retain(|_, inner| !inner.is_empty());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// scoring_test.go-style normalization: raw {0, 5, 10} → {0, 50, 100}; negative
    /// raw scores (anti-affinity) shift to the minimum.
    #[test]
    fn normalizes_min_max() {
        let mut s = vec![0, 5, 10];
        normalize(&mut s);
        assert_eq!(s, [0, 50, 100]);
        let mut s = vec![-5, 0, 5];
        normalize(&mut s);
        assert_eq!(s, [0, 50, 100]);
        let mut s = vec![3, 3];
        normalize(&mut s);
        assert_eq!(s, [0, 0]);
    }

    /// interpodaffinity/scoring_test.go TestPreferredAffinity, "Affinity: pod that
    /// matches topology key & pods in nodes will get high score comparing to others
    /// which doesn't match either pods in nodes or in topology key": a preferred affinity
    /// (weight 5) to security=S1 in the pod's region → node1 100, node2 0, node3 0.
    #[test]
    fn preferred_affinity_matches_upstream_case() {
        use crate::api::affinity::{Affinity, PodAffinity, PodAffinityTerm, WeightedPodAffinityTerm};
        use crate::api::meta::{LabelSelector, LabelSelectorRequirement};
        use crate::api::pod::Pod;
        use crate::api::Object;
        use crate::scheduler::framework::{AffinityIndex, MatchCounts};
        use std::rc::Rc;
        let mk = |name: &str, sec: &str| {
            let mut p = Pod::default();
            p.metadata.name = name.into();
            p.metadata.uid = name.into();
            p.metadata.namespace = "default".into();
            p.metadata.labels.insert("security".into(), sec.into());
            p
        };
        let mut incoming = mk("p", "S1");
        let sel = LabelSelector {
            match_expressions: vec![LabelSelectorRequirement { key: "security".into(), operator: "In".into(), values: vec!["S1".into()] }],
            ..Default::default()
        };
        Rc::make_mut(&mut incoming.spec).affinity = Some(Affinity {
            pod_affinity: Some(PodAffinity {
                required: vec![],
                preferred: vec![WeightedPodAffinityTerm {
                    weight: 5,
                    pod_affinity_term: PodAffinityTerm { label_selector: Some(sel), topology_key: "region".into(), ..Default::default() },
                }],
            }),
            ..Default::default()
        });
        let incoming = PodInfo::new(Rc::new(Object::Pod(Box::new(incoming))));
        let mut nodes: Vec<NodeInfo> = [("node1", "region", "China"), ("node2", "region", "India"), ("node3", "az", "az1")]
            .iter()
            .map(|(n, k, v)| {
                let mut ni = NodeInfo { name: (*n).into(), present: true, ..Default::default() };
                ni.labels.insert(k.to_string(), v.to_string());
                ni
            })
            .collect();
        for (i, sec) in ["S1", "S2", "S1"].iter().enumerate() {
            nodes[i].add_pod(Rc::new(PodInfo::new(Rc::new(Object::Pod(Box::new(mk(&format!("e{i}"), sec)))))));
        }
        let order = [0, 1, 2];
        let (ns_labels, images, counts, affinity) = (Default::default(), Default::default(), MatchCounts::default(), AffinityIndex::default());
        let label_keys = crate::scheduler::framework::label_key_counts(&nodes, &order);
        let snap = Snapshot {
            nodes: &nodes,
            order: &order,
            ns_labels: &ns_labels,
            image_nodes: &images,
            label_keys: &label_keys,
            counts: &counts,
            affinity: &affinity,
            memos: &Default::default(),
            any_prefer_no_schedule: false,
        };
        let st = pre_score(&incoming, &snap, 1).expect("preferred terms");
        let mut s: Vec<i64> = nodes.iter().map(|n| score(&st, n)).collect();
        normalize(&mut s);
        assert_eq!(s, [100, 0, 0]);
    }
}
