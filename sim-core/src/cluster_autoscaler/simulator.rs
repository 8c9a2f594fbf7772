//! The autoscaler's view of the cluster for its simulations (cluster-autoscaler's
//! simulator/clustersnapshot and simulator/predicatechecker): the scheduler framework's
//! filter plugins run against a snapshot of nodes and pods that the autoscaler edits —
//! pending pods placed, template nodes added, a candidate's pods moved — so that a
//! pod's topology spread and inter-pod (anti-)affinity see every pod placed so far.
//!
//! The filters are the default profile's in its order: NodeUnschedulable, NodeName,
//! TaintToleration, NodeAffinity, NodePorts, NodeResourcesFit, PodTopologySpread,
//! InterPodAffinity (the volume filters are left out: ksim's autoscaler does not
//! simulate volumes). A check gives the first failing plugin's reasons, as
//! CheckPredicates does.

use crate::api::meta::Labels;
use crate::scheduler::framework::{AffinityIndex, MatchCounts, NodeInfo, NodeMemos, PodInfo, Snapshot};
use crate::scheduler::plugins::{
    inter_pod_affinity, node_affinity, node_name, node_ports, node_resources_fit, node_unschedulable, pod_topology_spread, taint_toleration,
};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The snapshot: nodes with their pods and the scheduler's cluster-wide indexes, kept
/// up to date as the simulation adds and removes pods.
pub struct SimCluster {
    nodes: Vec<NodeInfo>,
    order: Vec<usize>,
    ns_labels: BTreeMap<String, Labels>,
    image_nodes: BTreeMap<std::rc::Rc<str>, usize>,
    label_keys: BTreeMap<String, usize>,
    counts: MatchCounts,
    affinity: AffinityIndex,
    memos: NodeMemos,
}

/// A pod's PreFilter results, computed once per placement attempt.
pub struct PreStates {
    spread: Option<pod_topology_spread::PreFilterState>,
    affinity: Option<inter_pod_affinity::PreFilterState>,
}

impl SimCluster {
    pub fn new(nodes: Vec<NodeInfo>, ns_labels: BTreeMap<String, Labels>) -> Self {
        let mut c = SimCluster {
            nodes: Vec::with_capacity(nodes.len()),
            order: Vec::with_capacity(nodes.len()),
            ns_labels,
            image_nodes: BTreeMap::new(),
            label_keys: BTreeMap::new(),
            counts: MatchCounts::default(),
            affinity: AffinityIndex::default(),
            memos: NodeMemos::default(),
        };
        c.memos.disabled = true;
        for n in nodes {
            c.add_node(n);
        }
        c
    }

    /// A copy to try things on (the snapshot's Fork).
    pub fn fork(&self) -> Self {
        SimCluster::new(self.nodes.clone(), self.ns_labels.clone())
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, i: usize) -> &NodeInfo {
        &self.nodes[i]
    }

    /// A node and its pods join the snapshot; its index.
    pub fn add_node(&mut self, mut n: NodeInfo) -> usize {
        let i = self.nodes.len();
        let pods = std::mem::take(&mut n.pods);
        // NodeInfo keeps its pods' sums: start it empty and add them one by one.
        let mut empty = NodeInfo { pods: Vec::new(), ..n };
        empty.requested_milli_cpu = 0;
        empty.requested_memory = 0;
        empty.non_zero_milli_cpu = 0;
        empty.non_zero_memory = 0;
        empty.requested_scalar.clear();
        empty.pod_count = 0;
        empty.pods_with_scoring_affinity = 0;
        empty.used_ports.clear();
        for k in empty.labels.keys() {
            *self.label_keys.entry(k.clone()).or_default() += 1;
        }
        for (name, _) in &empty.images {
            *self.image_nodes.entry(name.clone()).or_default() += 1;
        }
        self.nodes.push(empty);
        self.order.push(i);
        self.memos.invalidate(i);
        for p in pods {
            self.add_pod(i, p);
        }
        i
    }

    /// Takes back the last node added (the pods it came with go with it).
    pub fn pop_empty_node(&mut self) {
        let Some(n) = self.nodes.pop() else { return };
        for p in &n.pods {
            self.counts.on_pod(self.nodes.len(), p, -1);
            self.affinity.on_pod(p, &n, -1);
        }
        self.order.pop();
        for k in n.labels.keys() {
            if let Some(c) = self.label_keys.get_mut(k) {
                *c -= 1;
                if *c == 0 {
                    self.label_keys.remove(k);
                }
            }
        }
        for (name, _) in &n.images {
            if let Some(c) = self.image_nodes.get_mut(name) {
                *c -= 1;
                if *c == 0 {
                    self.image_nodes.remove(name);
                }
            }
        }
    }

    pub fn add_pod(&mut self, i: usize, p: Rc<PodInfo>) {
        self.counts.on_pod(i, &p, 1);
        self.affinity.on_pod(&p, &self.nodes[i], 1);
        self.nodes[i].add_pod(p);
    }

    /// Takes a pod off its node; the pod, if it was there.
    pub fn remove_pod(&mut self, i: usize, uid: &str) -> Option<Rc<PodInfo>> {
        let p = self.nodes[i].pods.iter().find(|p| p.uid() == uid)?.clone();
        self.nodes[i].remove_pod(uid);
        self.counts.on_pod(i, &p, -1);
        self.affinity.on_pod(&p, &self.nodes[i], -1);
        Some(p)
    }

    fn snap(&self) -> Snapshot<'_> {
        Snapshot {
            nodes: &self.nodes,
            order: &self.order,
            ns_labels: &self.ns_labels,
            image_nodes: &self.image_nodes,
            label_keys: &self.label_keys,
            counts: &self.counts,
            affinity: &self.affinity,
            memos: &self.memos,
            any_prefer_no_schedule: false,
        }
    }

    /// PodTopologySpread's and InterPodAffinity's PreFilter for `pod` over the snapshot
    /// as it is now (its own hard constraints: the system defaults are soft).
    pub fn pre(&self, pod: &PodInfo) -> PreStates {
        let snap = self.snap();
        let (cs, _) = pod_topology_spread::constraints(pod, true, &[], None);
        PreStates { spread: pod_topology_spread::pre_filter(pod, &snap, cs), affinity: inter_pod_affinity::pre_filter(pod, &snap) }
    }

    /// CheckPredicates: the first failing filter's reasons for `pod` on node `i`, or None.
    pub fn check(&self, pod: &PodInfo, i: usize, pre: &PreStates) -> Option<Vec<String>> {
        let node = &self.nodes[i];
        let fit = node_resources_fit::FitArgs::default();
        node_unschedulable::filter(pod, node)
            .or_else(|| node_name::filter(pod, node))
            .or_else(|| taint_toleration::filter(pod, node))
            .or_else(|| node_affinity::filter(pod, node))
            .or_else(|| node_ports::filter(pod, node))
            .or_else(|| node_resources_fit::filter(pod, node, &fit))
            .or_else(|| pre.spread.as_ref().and_then(|s| pod_topology_spread::filter(s, pod, node)))
            .or_else(|| pre.affinity.as_ref().and_then(|s| inter_pod_affinity::filter(s, pod, node, &self.snap())))
            .map(|s| s.reasons)
    }

    /// The first of `candidates` (in their order) where `pod` passes every filter.
    pub fn first_fit(&self, pod: &PodInfo, candidates: impl IntoIterator<Item = usize>) -> Option<usize> {
        let pre = self.pre(pod);
        candidates.into_iter().find(|&i| self.check(pod, i, &pre).is_none())
    }
}
