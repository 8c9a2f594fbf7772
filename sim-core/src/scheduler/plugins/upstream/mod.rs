//! kube-scheduler's own plugin test tables (pkg/scheduler/framework/plugins/*/…_test.go),
//! ported case by case. Every expected value is upstream's: each case cites its test
//! function and case name; a case ksim cannot express says why and is left out. Inputs
//! are built as upstream's `st.MakePod()` / `st.MakeNode()` build them, then go through
//! ksim's own paths (PodInfo::new, NodeInfo::set_node, the scheduler's cache updates).

mod default_preemption;
mod image_locality;
mod inter_pod_affinity;
mod node_affinity;
mod node_name;
mod node_resources;
mod node_unschedulable;
mod pod_topology_spread;
mod taint_toleration;

use crate::api::affinity::{
    Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm, PodAffinity, PodAffinityTerm, TopologySpreadConstraint,
};
use crate::api::meta::{LabelSelector, LabelSelectorRequirement, Labels, Time};
use crate::api::node::{ContainerImage, Node, Taint};
use crate::api::pod::{Container, Pod, PodSpec, Toleration};
use crate::api::quantity::Quantity;
use crate::api::Object;
use crate::engine::SimTime;
use crate::scheduler::framework::{AffinityIndex, MatchCounts, NodeInfo, NodeMemos, PodInfo, Snapshot, Status};
use std::collections::BTreeMap;
use std::rc::Rc;

/// st.MakePod(): a pod in namespace "default" (upstream's tests use "", the same for
/// every namespace rule), uid = name, no containers.
pub fn pod(name: &str) -> PodBuilder {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.uid = name.into();
    p.metadata.namespace = "default".into();
    PodBuilder(p)
}

pub struct PodBuilder(Pod);

impl PodBuilder {
    fn spec(&mut self) -> &mut PodSpec {
        Rc::make_mut(&mut self.0.spec)
    }
    pub fn ns(mut self, ns: &str) -> Self {
        self.0.metadata.namespace = ns.into();
        self
    }
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0.metadata.labels.insert(k.into(), v.into());
        self
    }
    pub fn node(mut self, n: &str) -> Self {
        self.spec().node_name = n.into();
        self
    }
    pub fn priority(mut self, p: i32) -> Self {
        self.spec().priority = Some(p);
        self
    }
    /// .Container(name): a container that requests nothing.
    pub fn container(self) -> Self {
        self.req(&[])
    }
    /// .Req(map): one more container with these requests.
    pub fn req(mut self, reqs: &[(&str, &str)]) -> Self {
        let n = self.0.spec.containers.len();
        let mut c = Container { name: format!("c{n}"), ..Default::default() };
        for (r, q) in reqs {
            c.resources.requests.insert(r.to_string(), Quantity::parse(q).expect("quantity"));
        }
        Rc::make_mut(&mut self.spec().containers).push(c);
        self
    }
    pub fn image(mut self, image: &str) -> Self {
        let n = self.0.spec.containers.len();
        Rc::make_mut(&mut self.spec().containers).push(Container { name: format!("c{n}"), image: image.into(), ..Default::default() });
        self
    }
    pub fn init_image(mut self, image: &str) -> Self {
        let n = self.0.spec.init_containers.len();
        self.spec().init_containers.push(Container { name: format!("i{n}"), image: image.into(), ..Default::default() });
        self
    }
    pub fn toleration(mut self, key: &str, op: &str, value: &str, effect: &str) -> Self {
        self.spec().tolerations.push(Toleration { key: key.into(), operator: op.into(), value: value.into(), effect: effect.into(), toleration_seconds: None });
        self
    }
    pub fn node_selector(mut self, k: &str, v: &str) -> Self {
        self.spec().node_selector.insert(k.into(), v.into());
        self
    }
    fn affinity(&mut self) -> &mut Affinity {
        self.spec().affinity.get_or_insert_with(Default::default)
    }
    /// Affinity{NodeAffinity{}}: neither required nor preferred terms.
    pub fn empty_node_affinity(mut self) -> Self {
        self.affinity().node_affinity = Some(NodeAffinity::default());
        self
    }
    pub fn required_node_affinity(mut self, terms: Vec<NodeSelectorTerm>) -> Self {
        let na = self.affinity().node_affinity.get_or_insert_with(NodeAffinity::default);
        na.required = Some(NodeSelector { node_selector_terms: terms });
        self
    }
    pub fn preferred_node_affinity(mut self, weight: i32, term: NodeSelectorTerm) -> Self {
        let na = self.affinity().node_affinity.get_or_insert_with(NodeAffinity::default);
        na.preferred.push(crate::api::affinity::PreferredSchedulingTerm { weight, preference: term });
        self
    }
    /// A required pod affinity term.
    pub fn affinity_term(mut self, t: PodAffinityTerm) -> Self {
        self.affinity().pod_affinity.get_or_insert_with(PodAffinity::default).required.push(t);
        self
    }
    /// A required pod anti-affinity term.
    pub fn anti_affinity_term(mut self, t: PodAffinityTerm) -> Self {
        self.affinity().pod_anti_affinity.get_or_insert_with(PodAffinity::default).required.push(t);
        self
    }
    pub fn spread(mut self, c: TopologySpreadConstraint) -> Self {
        self.spec().topology_spread_constraints.push(c);
        self
    }
    /// Status.startTime, in ms (upstream's tests use ns since the epoch: only the order matters).
    pub fn start_time(mut self, ms: u64) -> Self {
        self.0.status.start_time = Time(SimTime(ms)).into();
        self
    }
    pub fn terminating(mut self) -> Self {
        self.0.metadata.rare.deletion_timestamp = Some(Time(SimTime(0)));
        self
    }
    pub fn obj(self) -> Pod {
        self.0
    }
    pub fn info(self) -> PodInfo {
        PodInfo::new(Rc::new(Object::Pod(Box::new(self.0))))
    }
}

/// A label selector requirement, as in st.MakeLabelSelector() / metav1.
pub fn req(key: &str, op: &str, values: &[&str]) -> LabelSelectorRequirement {
    LabelSelectorRequirement { key: key.into(), operator: op.into(), values: values.iter().map(|v| v.to_string()).collect() }
}

pub fn selector(reqs: Vec<LabelSelectorRequirement>) -> LabelSelector {
    LabelSelector { match_expressions: reqs, ..Default::default() }
}

pub fn match_labels(pairs: &[(&str, &str)]) -> LabelSelector {
    LabelSelector { match_labels: labels(pairs), ..Default::default() }
}

pub fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// A pod (anti-)affinity term: PodAffinityIn / NotIn / Exists of st.MakePod().
pub fn term(sel: LabelSelector, topology_key: &str) -> PodAffinityTerm {
    PodAffinityTerm { label_selector: Some(sel), topology_key: topology_key.into(), ..Default::default() }
}

/// A node selector requirement.
pub fn nreq(key: &str, op: &str, values: &[&str]) -> NodeSelectorRequirement {
    NodeSelectorRequirement { key: key.into(), operator: op.into(), values: values.iter().map(|v| v.to_string()).collect() }
}

pub fn expressions(reqs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
    NodeSelectorTerm { match_expressions: reqs, match_fields: Vec::new() }
}

pub fn fields(reqs: Vec<NodeSelectorRequirement>) -> NodeSelectorTerm {
    NodeSelectorTerm { match_expressions: Vec::new(), match_fields: reqs }
}

/// st.SpreadConstraint(maxSkew, key, whenUnsatisfiable, selector, minDomains,
/// nodeAffinityPolicy, nodeTaintsPolicy, matchLabelKeys).
pub fn constraint(
    max_skew: i32,
    key: &str,
    when: &str,
    sel: Option<LabelSelector>,
    min_domains: Option<i32>,
    affinity_policy: Option<&str>,
    taints_policy: Option<&str>,
) -> TopologySpreadConstraint {
    TopologySpreadConstraint {
        max_skew,
        topology_key: key.into(),
        when_unsatisfiable: when.into(),
        label_selector: sel,
        min_domains,
        node_affinity_policy: affinity_policy.map(String::from),
        node_taints_policy: taints_policy.map(String::from),
        match_label_keys: Vec::new(),
    }
}

/// st.MakeNode().
pub fn node(name: &str) -> NodeBuilder {
    let mut n = Node::default();
    n.metadata.name = name.into();
    NodeBuilder(n)
}

pub struct NodeBuilder(Node);

impl NodeBuilder {
    pub fn label(mut self, k: &str, v: &str) -> Self {
        self.0.metadata.labels.insert(k.into(), v.into());
        self
    }
    pub fn taint(mut self, key: &str, value: &str, effect: &str) -> Self {
        self.0.spec.taints.push(Taint { key: key.into(), value: value.into(), effect: effect.into(), time_added: None });
        self
    }
    pub fn unschedulable(mut self) -> Self {
        self.0.spec.unschedulable = true;
        self
    }
    /// .Capacity(map): capacity = allocatable = the map, with pods 32 unless given.
    pub fn capacity(mut self, res: &[(&str, &str)]) -> Self {
        let mut list = BTreeMap::new();
        list.insert("pods".to_string(), Quantity::parse("32").expect("quantity"));
        for (r, q) in res {
            list.insert(r.to_string(), Quantity::parse(q).expect("quantity"));
        }
        self.0.status.capacity = list.clone().into();
        self.0.status.allocatable = list.into();
        self
    }
    pub fn image(mut self, names: &[&str], size_bytes: i64) -> Self {
        self.0.status.images.push(ContainerImage { names: names.iter().map(|n| n.to_string()).collect(), size_bytes: Some(size_bytes) });
        self
    }
    pub fn obj(self) -> Node {
        self.0
    }
    pub fn info(self) -> NodeInfo {
        let mut ni = NodeInfo::default();
        ni.set_node(&self.0);
        ni
    }
}

/// cache.NewSnapshot(pods, nodes): the nodes with their pods placed by spec.nodeName,
/// kept as the scheduler keeps them (NodeInfo::add_pod, MatchCounts, AffinityIndex,
/// image spread), plus namespace labels.
pub struct Cluster {
    pub nodes: Vec<NodeInfo>,
    pub order: Vec<usize>,
    pub ns_labels: BTreeMap<String, Labels>,
    pub image_nodes: BTreeMap<Rc<str>, usize>,
    pub label_keys: BTreeMap<String, usize>,
    pub counts: MatchCounts,
    pub affinity: AffinityIndex,
    pub memos: NodeMemos,
}

impl Cluster {
    pub fn new(nodes: Vec<Node>, pods: Vec<Pod>) -> Cluster {
        let nodes: Vec<NodeInfo> = nodes
            .iter()
            .map(|n| {
                let mut ni = NodeInfo::default();
                ni.set_node(n);
                ni
            })
            .collect();
        let mut c = Cluster {
            order: (0..nodes.len()).collect(),
            nodes,
            ns_labels: BTreeMap::new(),
            image_nodes: BTreeMap::new(),
            label_keys: BTreeMap::new(),
            counts: MatchCounts::default(),
            affinity: AffinityIndex::default(),
            memos: NodeMemos::default(),
        };
        for ni in &c.nodes {
            for (name, _) in &ni.images {
                *c.image_nodes.entry(name.clone()).or_default() += 1;
            }
        }
        c.label_keys = crate::scheduler::framework::label_key_counts(&c.nodes, &c.order);
        for p in pods {
            let ni = c.index(&p.spec.node_name);
            c.add(ni, Rc::new(PodInfo::new(Rc::new(Object::Pod(Box::new(p))))));
        }
        c
    }
    /// The scheduler's node_add_pod.
    pub fn add(&mut self, ni: usize, info: Rc<PodInfo>) {
        self.counts.on_pod(ni, &info, 1);
        self.affinity.on_pod(&info, &self.nodes[ni], 1);
        self.nodes[ni].add_pod(info);
    }
    pub fn namespace(mut self, name: &str, l: &[(&str, &str)]) -> Cluster {
        self.ns_labels.insert(name.into(), labels(l));
        self
    }
    pub fn index(&self, name: &str) -> usize {
        self.nodes.iter().position(|n| n.name == name).unwrap_or_else(|| panic!("no node {name}"))
    }
    pub fn snap(&self) -> Snapshot<'_> {
        Snapshot {
            nodes: &self.nodes,
            order: &self.order,
            ns_labels: &self.ns_labels,
            image_nodes: &self.image_nodes,
            label_keys: &self.label_keys,
            counts: &self.counts,
            affinity: &self.affinity,
            memos: &self.memos,
            any_prefer_no_schedule: self.nodes.iter().any(|n| n.taints.iter().any(|t| t.effect == "PreferNoSchedule")),
        }
    }
}

/// A filter verdict as upstream's tests state it: Success, Unschedulable (U) or
/// UnschedulableAndUnresolvable (X).
pub fn code(st: &Option<Status>) -> char {
    match st {
        None => 'S',
        Some(s) if s.unresolvable => 'X',
        Some(_) => 'U',
    }
}
