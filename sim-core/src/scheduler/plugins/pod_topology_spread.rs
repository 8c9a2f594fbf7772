//! PodTopologySpread (plugins/podtopologyspread): spread matching pods evenly across
//! topology domains. Filter (DoNotSchedule): `count(domain) + self − min(count) ≤
//! maxSkew`, with domains taken from the nodes that pass nodeAffinityPolicy (default
//! Honor) and nodeTaintsPolicy (default Ignore), and min = 0 while fewer than
//! minDomains domains exist. Score (ScheduleAnyway, or the system default constraints
//! — hostname maxSkew 3, zone maxSkew 5 — for pods that set none and belong to a
//! Service or ReplicaSet): `Σ count × log(size + 2) + maxSkew − 1`, normalized so that
//! fewer matching pods score higher.

use super::{node_affinity, taint_toleration};
use crate::api::affinity::TopologySpreadConstraint;
use crate::api::meta::{LabelSelector, LabelSelectorRequirement};
use crate::scheduler::framework::{Column, NodeInfo, PodInfo, Snapshot, Status, MAX_NODE_SCORE};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub const NAME: &str = "PodTopologySpread";
pub const ERR_REASON_CONSTRAINTS_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints";
pub const ERR_REASON_NODE_LABEL_NOT_MATCH: &str = "node(s) didn't match pod topology spread constraints (missing required label)";
pub const LABEL_HOSTNAME: &str = "kubernetes.io/hostname";
pub const LABEL_ZONE: &str = "topology.kubernetes.io/zone";

/// A constraint with its selector resolved (topologySpreadConstraint).
#[derive(Clone, Debug)]
pub struct Constraint {
    pub max_skew: i64,
    pub topology_key: String,
    /// Shared: the default constraints of every pod of a Service or ReplicaSet take the
    /// scheduler's one copy of its default selector.
    pub selector: Rc<LabelSelector>,
    /// A nil labelSelector matches no pod.
    pub selects_nothing: bool,
    pub min_domains: i64,
    pub honor_node_affinity: bool,
    pub honor_node_taints: bool,
    /// The MatchCounts entry of (namespace, selector), resolved at PreFilter/PreScore.
    pub counts_id: Option<usize>,
}

impl Constraint {
    fn from_api(c: &TopologySpreadConstraint, pod: &PodInfo) -> Constraint {
        let labels = &pod.pod().metadata.labels;
        let mut selector = c.label_selector.clone().unwrap_or_default();
        for k in &c.match_label_keys {
            if let Some(v) = labels.get(k) {
                selector.match_expressions.push(LabelSelectorRequirement { key: k.clone(), operator: "In".into(), values: vec![v.clone()] });
            }
        }
        Constraint::with_selector(c, Rc::new(selector), c.label_selector.is_none())
    }

    /// `c` with `selector` as its resolved selector.
    fn with_selector(c: &TopologySpreadConstraint, selector: Rc<LabelSelector>, selects_nothing: bool) -> Constraint {
        Constraint {
            max_skew: i64::from(c.max_skew),
            topology_key: c.topology_key.clone(),
            selector,
            selects_nothing,
            min_domains: i64::from(c.min_domains.unwrap_or(1)),
            honor_node_affinity: c.node_affinity_policy.as_deref() != Some("Ignore"),
            honor_node_taints: c.node_taints_policy.as_deref() == Some("Honor"),
            counts_id: None,
        }
    }

    fn matches(&self, pod: &PodInfo) -> bool {
        !self.selects_nothing && self.selector.matches(&pod.pod().metadata.labels)
    }

    /// matchNodeInclusionPolicies.
    fn includes(&self, pod: &PodInfo, node: &NodeInfo) -> bool {
        (!self.honor_node_affinity || node_affinity::matches_required(pod, node)) && (!self.honor_node_taints || taint_toleration::filter(pod, node).is_none())
    }

    fn resolve(&mut self, snap: &Snapshot, ns: &str) {
        if !self.selects_nothing {
            self.counts_id = Some(snap.counts.resolve(snap.nodes, ns, &self.selector, false));
        }
    }

    /// countPodsMatchSelector on one node (live pods of the namespace).
    fn count(&self, snap: &Snapshot, ni: usize) -> i64 {
        self.counts_id.map_or(0, |id| snap.counts.get(id, ni))
    }
}

/// The system default constraints (DefaultingType System).
pub fn system_defaults() -> Vec<TopologySpreadConstraint> {
    [(3, LABEL_HOSTNAME), (5, LABEL_ZONE)]
        .into_iter()
        .map(|(skew, key)| TopologySpreadConstraint {
            max_skew: skew,
            topology_key: key.into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            ..Default::default()
        })
        .collect()
}

/// The pod's constraints of one kind (DoNotSchedule or ScheduleAnyway); a pod without
/// any gets the profile's defaults with the selector of its Services and ReplicaSets.
/// Returns the constraints and whether they are the pod's own.
pub fn constraints(pod: &PodInfo, hard: bool, defaults: &[TopologySpreadConstraint], default_selector: Option<&Rc<LabelSelector>>) -> (Vec<Constraint>, bool) {
    let want = if hard { "DoNotSchedule" } else { "ScheduleAnyway" };
    let own = &pod.pod().spec.topology_spread_constraints;
    if !own.is_empty() {
        return (own.iter().filter(|c| c.when_unsatisfiable == want).map(|c| Constraint::from_api(c, pod)).collect(), true);
    }
    let Some(sel) = default_selector.filter(|s| !s.is_empty()) else { return (Vec::new(), false) };
    // buildDefaultConstraints: each constraint's selector is the default selector (what
    // filterTopologySpreadConstraints made of its own is replaced).
    let cs = defaults.iter().filter(|c| c.when_unsatisfiable == want).map(|c| Constraint::with_selector(c, sel.clone(), false)).collect();
    (cs, false)
}

fn has_all_keys(node: &NodeInfo, cs: &[Constraint]) -> bool {
    cs.iter().all(|c| node.labels.contains_key(&c.topology_key))
}

/// PreFilter: per hard constraint, matching pods per domain value.
#[derive(Clone, Debug)]
pub struct PreFilterState {
    pub constraints: Vec<Constraint>,
    pub counts: Vec<BTreeMap<String, i64>>,
    /// minMatchNum per constraint: the smallest domain count, or 0 while there are
    /// fewer domains than minDomains.
    pub min_match: Vec<i64>,
}

impl PreFilterState {
    fn update_min_match(&mut self) {
        self.min_match = self
            .counts
            .iter()
            .zip(&self.constraints)
            .map(|(m, c)| if (m.len() as i64) < c.min_domains { 0 } else { m.values().copied().min().unwrap_or(0) })
            .collect();
    }
}

pub fn pre_filter(pod: &PodInfo, snap: &Snapshot, mut cs: Vec<Constraint>) -> Option<PreFilterState> {
    if cs.is_empty() {
        return None;
    }
    let ns = &pod.pod().metadata.namespace;
    cs.iter_mut().for_each(|c| c.resolve(snap, ns));
    let mut counts = vec![BTreeMap::<String, i64>::new(); cs.len()];
    for &ni in snap.order {
        let node = &snap.nodes[ni];
        if !has_all_keys(node, &cs) {
            continue;
        }
        for (i, c) in cs.iter().enumerate() {
            if !c.includes(pod, node) {
                continue;
            }
            let value = &node.labels[&c.topology_key];
            let n = c.count(snap, ni);
            match counts[i].get_mut(value.as_str()) {
                Some(x) => *x += n,
                None => {
                    counts[i].insert(value.clone(), n);
                }
            }
        }
    }
    let mut s = PreFilterState { constraints: cs, counts, min_match: Vec::new() };
    s.update_min_match();
    Some(s)
}

pub fn filter(state: &PreFilterState, pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    for (i, c) in state.constraints.iter().enumerate() {
        let Some(value) = node.labels.get(&c.topology_key) else {
            return Some(Status::unresolvable(NAME, ERR_REASON_NODE_LABEL_NOT_MATCH.into()));
        };
        let self_match = i64::from(c.matches(pod));
        let match_num = state.counts[i].get(value.as_str()).copied().unwrap_or(0);
        if match_num + self_match - state.min_match[i] > c.max_skew {
            return Some(Status::unschedulable(NAME, vec![ERR_REASON_CONSTRAINTS_NOT_MATCH.into()]));
        }
    }
    None
}

/// PreScore: counts per (non-hostname) domain among the filtered nodes, and each
/// constraint's normalizing weight log(domains + 2).
#[derive(Clone, Debug)]
pub struct PreScoreState {
    pub constraints: Vec<Constraint>,
    pub ignored: BTreeSet<usize>,
    pub pair_counts: Vec<BTreeMap<String, i64>>,
    pub weights: Vec<f64>,
    /// Per constraint, whether no node carries its topology key: every lookup of it
    /// would miss (a cluster without zones under the default constraints), so none is made.
    pub absent: Vec<bool>,
    /// Per constraint: its key is `kubernetes.io/hostname`, and whether every present
    /// node carries it (then `score_all` skips looking it up on each node).
    pub hostname: Vec<bool>,
    pub everywhere: Vec<bool>,
}

pub fn pre_score(pod: &PodInfo, snap: &Snapshot, filtered: &[usize], mut cs: Vec<Constraint>, require_all_topologies: bool) -> Option<PreScoreState> {
    if cs.is_empty() {
        return None;
    }
    let ns = &pod.pod().metadata.namespace;
    cs.iter_mut().for_each(|c| c.resolve(snap, ns));
    let absent: Vec<bool> = cs.iter().map(|c| !snap.label_keys.contains_key(&c.topology_key)).collect();
    let hostname: Vec<bool> = cs.iter().map(|c| c.topology_key == LABEL_HOSTNAME).collect();
    let everywhere: Vec<bool> = cs.iter().map(|c| snap.label_keys.get(&c.topology_key) == Some(&snap.order.len())).collect();
    let mut ignored = BTreeSet::new();
    let mut pair_counts = vec![BTreeMap::<String, i64>::new(); cs.len()];
    // The filtered nodes are walked for what they make: the ignored ones (a node
    // without every key, when all are required) and the domains of the constraints
    // that count by domain — none under the default constraints of a cluster without
    // zones (hostname, and a key no node carries), where the walk made nothing.
    let walk = require_all_topologies || (0..cs.len()).any(|i| !hostname[i] && !absent[i]);
    for &ni in if walk { filtered } else { &[] } {
        let node = &snap.nodes[ni];
        if require_all_topologies && (absent.contains(&true) || !has_all_keys(node, &cs)) {
            ignored.insert(ni);
            continue;
        }
        for (i, c) in cs.iter().enumerate() {
            if hostname[i] || absent[i] {
                continue;
            }
            if let Some(v) = node.labels.get(&c.topology_key) {
                pair_counts[i].entry(v.clone()).or_insert(0);
            }
        }
    }
    let weights = (0..cs.len())
        .map(|i| {
            let size = if hostname[i] { filtered.len() - ignored.len() } else { pair_counts[i].len() };
            crate::engine::math::ln((size + 2) as f64)
        })
        .collect();
    if pair_counts.iter().any(|m| !m.is_empty()) {
        for &ni in snap.order {
            let node = &snap.nodes[ni];
            if require_all_topologies && !has_all_keys(node, &cs) {
                continue;
            }
            for (i, c) in cs.iter().enumerate() {
                if hostname[i] || absent[i] || !c.includes(pod, node) {
                    continue;
                }
                let Some(v) = node.labels.get(&c.topology_key) else { continue };
                if let Some(x) = pair_counts[i].get_mut(v.as_str()) {
                    *x += c.count(snap, ni);
                }
            }
        }
    }
    Some(PreScoreState { constraints: cs, ignored, pair_counts, weights, absent, hostname, everywhere })
}

/// Score (scoreForCount summed over the constraints) of each node of `feasible`, into
/// `out` — the scheduler's hottest loop, some 500 nodes a pod at 5,000 nodes: what each
/// constraint needs of a node is settled once a cycle (`Term`), the counts borrowed
/// once, and the ignored nodes looked for only if there are any.
pub fn score_all(state: &PreScoreState, feasible: &[usize], snap: &Snapshot, out: &mut [i64]) {
    let counts = snap.counts.read();
    // The constraints a node can score for, in their order (the sum's order: the same
    // float result); those whose key no node carries add nothing.
    let terms: Vec<Term> = (state.constraints.iter().enumerate())
        .filter(|&(i, _)| !state.absent[i])
        .map(|(i, c)| Term {
            how: if state.hostname[i] { Count::Node(c.counts_id.map_or_else(Column::default, |id| counts.column(id))) } else { Count::Domain(i) },
            key: &c.topology_key,
            check: !(state.hostname[i] && state.everywhere[i]),
            weight: state.weights[i],
            skew: (c.max_skew - 1) as f64,
        })
        .collect();
    let some_ignored = !state.ignored.is_empty();
    for (o, &ni) in out.iter_mut().zip(feasible) {
        if some_ignored && state.ignored.contains(&ni) {
            *o = 0;
            continue;
        }
        let labels = &snap.nodes[ni].labels;
        let mut score = 0f64;
        for t in &terms {
            let cnt = match &t.how {
                Count::Node(column) => {
                    if t.check && !labels.contains_key(t.key) {
                        continue;
                    }
                    column.get(ni)
                }
                Count::Domain(i) => {
                    let Some(v) = labels.get(t.key) else { continue };
                    state.pair_counts[*i].get(v.as_str()).copied().unwrap_or(0)
                }
            };
            // scoreForCount
            score += cnt as f64 * t.weight + t.skew;
        }
        *o = crate::engine::math::round_i64(score);
    }
}

/// A constraint as `score_all` reads it for each node: a node without its key is not
/// scored for it (a hostname constraint looks only if some node lacks the key).
struct Term<'a> {
    how: Count<'a>,
    key: &'a str,
    check: bool,
    weight: f64,
    skew: f64,
}

enum Count<'a> {
    /// The matching pods on the node (hostname: a node is its own domain).
    Node(Column<'a>),
    /// The matching pods in the node's domain (`pair_counts[i]`).
    Domain(usize),
}

/// NormalizeScore: `100 × (max + min − s) / max` over the non-ignored nodes.
pub fn normalize(state: &PreScoreState, feasible: &[usize], scores: &mut [i64]) {
    let some_ignored = !state.ignored.is_empty();
    let mut min = i64::MAX;
    let mut max = 0i64;
    for (k, &ni) in feasible.iter().enumerate() {
        if some_ignored && state.ignored.contains(&ni) {
            continue;
        }
        min = min.min(scores[k]);
        max = max.max(scores[k]);
    }
    for (k, &ni) in feasible.iter().enumerate() {
        if some_ignored && state.ignored.contains(&ni) {
            scores[k] = 0;
        } else if max == 0 {
            scores[k] = MAX_NODE_SCORE;
        } else {
            scores[k] = MAX_NODE_SCORE * (max + min - scores[k]) / max;
        }
    }
}

/// PreFilterExtensions AddPod/RemovePod: a pod joining (+1) or leaving (−1) a node.
pub fn update_with_pod(s: &mut PreFilterState, incoming: &PodInfo, changed: &PodInfo, node: &NodeInfo, sign: i64) {
    if changed.pod().metadata.namespace != incoming.pod().metadata.namespace || !has_all_keys(node, &s.constraints) {
        return;
    }
    for (i, c) in s.constraints.iter().enumerate() {
        if !c.includes(incoming, node) || !c.matches(changed) {
            continue;
        }
        let v = &node.labels[&c.topology_key];
        *s.counts[i].entry(v.clone()).or_insert(0) += sign;
    }
    s.update_min_match();
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::LabelSelectorRequirement;
    use crate::api::pod::Pod;
    use crate::api::Object;
    use crate::scheduler::framework::{AffinityIndex, MatchCounts};
    use std::rc::Rc;

    fn pod(name: &str, labels: &[&str], spread: Vec<TopologySpreadConstraint>) -> PodInfo {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.uid = name.into();
        p.metadata.namespace = "default".into();
        for l in labels {
            p.metadata.labels.insert(l.to_string(), String::new());
        }
        std::rc::Rc::make_mut(&mut p.spec).topology_spread_constraints = spread;
        PodInfo::new(Rc::new(Object::Pod(Box::new(p))))
    }

    fn exists(key: &str) -> LabelSelector {
        LabelSelector { match_expressions: vec![LabelSelectorRequirement { key: key.into(), operator: "Exists".into(), values: vec![] }], ..Default::default() }
    }

    fn soft(skew: i32, key: &str, sel: LabelSelector) -> TopologySpreadConstraint {
        TopologySpreadConstraint {
            max_skew: skew,
            topology_key: key.into(),
            when_unsatisfiable: "ScheduleAnyway".into(),
            label_selector: Some(sel),
            ..Default::default()
        }
    }

    /// Nodes: (name, labels as "key=value"), existing pods: (node, labels).
    fn nodes(spec: &[(&str, &[&str])], pods: &[(&str, &[&str])]) -> Vec<NodeInfo> {
        spec.iter()
            .map(|(name, labels)| {
                let mut n = NodeInfo { name: (*name).into(), present: true, ..Default::default() };
                for l in labels.iter() {
                    let (k, v) = l.split_once('=').unwrap();
                    n.labels.insert(k.into(), v.into());
                }
                for (i, (on, pl)) in pods.iter().enumerate() {
                    if on == name {
                        n.add_pod(Rc::new(pod(&format!("{on}-{i}"), pl, vec![])));
                    }
                }
                n
            })
            .collect()
    }

    /// Runs PreScore, Score and NormalizeScore over the `filtered` nodes.
    fn scores(p: &PodInfo, all: &[NodeInfo], filtered: &[usize], default_selector: Option<&LabelSelector>) -> Vec<i64> {
        let default_selector = default_selector.map(|s| Rc::new(s.clone()));
        let order: Vec<usize> = (0..all.len()).collect();
        let (ns_labels, images, counts, affinity) = (Default::default(), Default::default(), MatchCounts::default(), AffinityIndex::default());
        let label_keys = crate::scheduler::framework::label_key_counts(all, &order);
        let snap = Snapshot {
            nodes: all,
            order: &order,
            ns_labels: &ns_labels,
            image_nodes: &images,
            label_keys: &label_keys,
            counts: &counts,
            affinity: &affinity,
            memos: &Default::default(),
            any_prefer_no_schedule: false,
        };
        let (cs, own) = constraints(p, false, &system_defaults(), default_selector.as_ref());
        let st = pre_score(p, &snap, filtered, cs, own).expect("constraints");
        let mut s = vec![0; filtered.len()];
        score_all(&st, filtered, &snap, &mut s);
        normalize(&st, filtered, &mut s);
        s
    }

    const HOST: &str = "kubernetes.io/hostname";

    /// podtopologyspread/scoring_test.go TestPodTopologySpreadScore.
    #[test]
    fn scores_match_upstream_cases() {
        let foo: &[&str] = &["foo"];

        // "one constraint on node, all 4 nodes are candidates, maxSkew=3": 4/3/2/1.
        let spec_ref: Vec<(&str, &[&str])> = vec![
            ("node-a", &["kubernetes.io/hostname=node-a"]),
            ("node-b", &["kubernetes.io/hostname=node-b"]),
            ("node-c", &["kubernetes.io/hostname=node-c"]),
            ("node-d", &["kubernetes.io/hostname=node-d"]),
        ];
        let mut existing = Vec::new();
        for (n, c) in [("node-a", 4), ("node-b", 3), ("node-c", 2), ("node-d", 1)] {
            existing.extend(std::iter::repeat_n((n, foo), c));
        }
        let all = nodes(&spec_ref, &existing);
        let p = pod("p", &["foo"], vec![soft(3, HOST, exists("foo"))]);
        assert_eq!(scores(&p, &all, &[0, 1, 2, 3], None), [44, 66, 77, 100]);

        // "system defaulting, nodes don't have zone, pods match service": same scores.
        let plain = pod("p", &["foo"], vec![]);
        let svc = LabelSelector { match_labels: [("foo".to_string(), String::new())].into_iter().collect(), ..Default::default() };
        assert_eq!(scores(&plain, &all, &[0, 1, 2, 3], Some(&svc)), [44, 66, 77, 100]);

        // "one constraint on node, 3 out of 4 nodes are candidates": 4/2/1/~3~.
        let spec_ref: Vec<(&str, &[&str])> = vec![
            ("node-a", &["kubernetes.io/hostname=node-a"]),
            ("node-b", &["kubernetes.io/hostname=node-b"]),
            ("node-x", &["kubernetes.io/hostname=node-x"]),
            ("node-y", &["kubernetes.io/hostname=node-y"]),
        ];
        let mut existing = Vec::new();
        for (n, c) in [("node-a", 4), ("node-b", 2), ("node-x", 1), ("node-y", 3)] {
            existing.extend(std::iter::repeat_n((n, foo), c));
        }
        let all = nodes(&spec_ref, &existing);
        let p = pod("p", &["foo"], vec![soft(1, HOST, exists("foo"))]);
        assert_eq!(scores(&p, &all, &[0, 1, 2], None), [33, 83, 100]);

        // "one constraint on node, 3 out of 4 nodes are candidates, one node doesn't match
        // topology key": 4/?2?/1/~3~ — node-b, without the hostname label, is ignored
        // (scores 0), and the others are looked up for the key.
        let unlabelled: Vec<(&str, &[&str])> = vec![
            ("node-a", &["kubernetes.io/hostname=node-a"]),
            ("node-b", &["n=node-b"]),
            ("node-x", &["kubernetes.io/hostname=node-x"]),
            ("node-y", &["kubernetes.io/hostname=node-y"]),
        ];
        let all = nodes(&unlabelled, &existing);
        assert_eq!(scores(&p, &all, &[0, 1, 2], None), [16, 0, 100]);

        // "one constraint on zone, 3 out of 4 nodes are candidates".
        let zoned: Vec<(&str, &[&str])> = vec![
            ("node-a", &["zone=zone1", "kubernetes.io/hostname=node-a"]),
            ("node-b", &["zone=zone1", "kubernetes.io/hostname=node-b"]),
            ("node-x", &["zone=zone2", "kubernetes.io/hostname=node-x"]),
            ("node-y", &["zone=zone2", "kubernetes.io/hostname=node-y"]),
        ];
        let all = nodes(&zoned, &existing);
        let p = pod("p", &["foo"], vec![soft(1, "zone", exists("foo"))]);
        assert_eq!(scores(&p, &all, &[0, 1, 2], None), [75, 75, 100]);

        // "two Constraints on zone and node, with different labelSelectors".
        let existing: Vec<(&str, &[&str])> = vec![("node-a", &["foo"]), ("node-b", &["foo", "bar"]), ("node-y", &["foo"]), ("node-y", &["bar"])];
        let all = nodes(&zoned, &existing);
        let p = pod("p", &["foo", "bar"], vec![soft(1, "zone", exists("foo")), soft(1, HOST, exists("bar"))]);
        assert_eq!(scores(&p, &all, &[0, 1, 2, 3], None), [60, 20, 100, 60]);
    }
}
