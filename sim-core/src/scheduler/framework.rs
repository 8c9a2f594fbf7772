//! The scheduling framework's data: the per-pod precomputation (PodInfo), the node-info
//! snapshot (NodeInfo, kept incrementally like the scheduler cache), and plugin statuses.

use crate::api::affinity::PodAffinityTerm;
use crate::api::meta::{LabelSelector, LabelSelectorRequirement, Labels, Text};
use crate::api::node::{Node, Taint};
use crate::api::pod::{Pod, Toleration};
use crate::api::Object;
use std::cell::{Cell, RefCell};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// kube-scheduler's defaults for containers without requests, used in scoring
/// (pkg/scheduler/util/pod_resources.go).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;
pub const MAX_NODE_SCORE: i64 = 100;

/// A scored resource's name, resolved once (so scoring a node compares no strings).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ResourceName {
    Cpu,
    Memory,
    Other(String),
}

impl From<&str> for ResourceName {
    fn from(s: &str) -> Self {
        match s {
            "cpu" => ResourceName::Cpu,
            "memory" => ResourceName::Memory,
            o => ResourceName::Other(o.to_string()),
        }
    }
}

/// The default scored resources: cpu and memory, weight 1 each.
pub fn default_scored_resources() -> Vec<(ResourceName, i64)> {
    vec![(ResourceName::Cpu, 1), (ResourceName::Memory, 1)]
}

/// A pod (anti-)affinity term with its namespaces resolved (framework.AffinityTerm):
/// `namespaces` defaults to the pod's own namespace when neither namespaces nor a
/// namespaceSelector is given; `matchLabelKeys` / `mismatchLabelKeys` are merged into
/// the selector with the pod's own label values.
#[derive(Clone, Debug)]
pub struct AffinityTerm {
    pub namespaces: Vec<String>,
    pub namespace_selector: Option<LabelSelector>,
    /// `None`: a term without a labelSelector matches no pod.
    pub selector: Option<LabelSelector>,
    pub topology_key: String,
    pub weight: i32,
}

impl AffinityTerm {
    fn new(t: &PodAffinityTerm, weight: i32, pod: &Pod) -> Self {
        let mut namespaces = t.namespaces.clone();
        if namespaces.is_empty() && t.namespace_selector.is_none() {
            namespaces.push(pod.metadata.namespace.to_string());
        }
        namespaces.sort();
        namespaces.dedup();
        let selector = t.label_selector.clone().map(|mut sel| {
            for (keys, op) in [(&t.match_label_keys, "In"), (&t.mismatch_label_keys, "NotIn")] {
                for k in keys {
                    if let Some(v) = pod.metadata.labels.get(k) {
                        sel.match_expressions.push(LabelSelectorRequirement { key: k.clone(), operator: op.into(), values: vec![v.clone()] });
                    }
                }
            }
            sel
        });
        AffinityTerm { namespaces, namespace_selector: t.namespace_selector.clone(), selector, topology_key: t.topology_key.clone(), weight }
    }

    /// AffinityTerm.Matches: the pod's namespace is listed or selected, and its labels match.
    pub fn matches(&self, pod: &Pod, ns_labels: Option<&Labels>) -> bool {
        let ns_ok = self.namespaces.iter().any(|n| *n == pod.metadata.namespace)
            || self.namespace_selector.as_ref().is_some_and(|s| ns_labels.map_or(s.is_empty(), |l| s.matches(l)));
        ns_ok && self.selector.as_ref().is_some_and(|s| s.matches(&pod.metadata.labels))
    }
}

/// A host port a container asks for (framework.HostPortInfo's key).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HostPort {
    pub ip: String,
    pub protocol: String,
    pub port: i32,
}

impl HostPort {
    /// Two host ports conflict on the same protocol and port when either binds 0.0.0.0
    /// or both bind the same address.
    pub fn conflicts(&self, other: &HostPort) -> bool {
        self.port == other.port && self.protocol == other.protocol && (self.ip == other.ip || self.ip == "0.0.0.0" || other.ip == "0.0.0.0")
    }
}

/// What the scheduler precomputes for a pod (framework.PodInfo): its requests, ports,
/// images and (anti-)affinity terms.
#[derive(Clone, Debug)]
pub struct PodInfo {
    /// Always an `Object::Pod`.
    pub object: Rc<Object>,
    pub priority: i32,
    pub milli_cpu: i64,
    pub memory: i64,
    /// Requests with the scoring defaults for containers that request nothing.
    pub non_zero_milli_cpu: i64,
    pub non_zero_memory: i64,
    /// Other requested resources (extended resources, ephemeral-storage), by name.
    pub scalar: Vec<(String, i64)>,
    /// The host ports and (anti-)affinity terms, boxed when the pod has any (most have
    /// none): the scheduler keeps one PodInfo a pod and copies it at each status update,
    /// and five empty vectors were 120 of its 200 bytes.
    pub(crate) terms: Option<Box<PodTerms>>,
    pub terminating: bool,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<PodInfo>() == 80);

/// A pod's host ports and (anti-)affinity terms (`PodInfo::terms`).
#[derive(Clone, Debug, Default)]
pub struct PodTerms {
    pub host_ports: Vec<HostPort>,
    pub required_affinity: Vec<AffinityTerm>,
    pub required_anti_affinity: Vec<AffinityTerm>,
    pub preferred_affinity: Vec<AffinityTerm>,
    pub preferred_anti_affinity: Vec<AffinityTerm>,
}

impl PodTerms {
    fn is_empty(&self) -> bool {
        let PodTerms { host_ports, required_affinity, required_anti_affinity, preferred_affinity, preferred_anti_affinity } = self;
        host_ports.is_empty()
            && required_affinity.is_empty()
            && required_anti_affinity.is_empty()
            && preferred_affinity.is_empty()
            && preferred_anti_affinity.is_empty()
    }
}

/// The terms of a pod that has none.
static NO_TERMS: PodTerms = PodTerms {
    host_ports: Vec::new(),
    required_affinity: Vec::new(),
    required_anti_affinity: Vec::new(),
    preferred_affinity: Vec::new(),
    preferred_anti_affinity: Vec::new(),
};

impl PodInfo {
    pub fn new(object: Rc<Object>) -> Self {
        let pod = object.as_pod().expect("PodInfo of a Pod");
        let r = pod.spec.requests();
        let (nz_cpu, nz_mem) = non_zero_requests(&pod.spec);
        let mut scalar: Vec<(String, i64)> = Vec::new();
        let mut add = |name: &str, v: i64, max: bool| match scalar.iter_mut().find(|(n, _)| n == name) {
            Some((_, x)) => *x = if max { (*x).max(v) } else { x.saturating_add(v) },
            None => scalar.push((name.to_string(), v)),
        };
        for c in pod.spec.containers.iter() {
            for (name, q) in &c.resources.requests {
                if name != "cpu" && name != "memory" {
                    add(name, q.value(), false);
                }
            }
        }
        for c in &pod.spec.init_containers {
            for (name, q) in &c.resources.requests {
                if name != "cpu" && name != "memory" {
                    add(name, q.value(), true);
                }
            }
        }
        if let Some(o) = &pod.spec.overhead {
            for (name, q) in o {
                if name != "cpu" && name != "memory" {
                    add(name, q.value(), false);
                }
            }
        }
        scalar.sort();
        let host_ports = host_port_specs(pod)
            .map(|(p, port)| {
                let ip = p.host_ip.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "0.0.0.0".into());
                HostPort { ip, protocol: p.protocol.clone().filter(|s| !s.is_empty()).unwrap_or_else(|| "TCP".into()), port }
            })
            .collect();
        let (mut ra, mut raa, mut pa, mut paa) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        if let Some(a) = &pod.spec.affinity {
            if let Some(x) = &a.pod_affinity {
                ra = x.required.iter().map(|t| AffinityTerm::new(t, 1, pod)).collect();
                pa = x.preferred.iter().map(|w| AffinityTerm::new(&w.pod_affinity_term, w.weight, pod)).collect();
            }
            if let Some(x) = &a.pod_anti_affinity {
                raa = x.required.iter().map(|t| AffinityTerm::new(t, 1, pod)).collect();
                paa = x.preferred.iter().map(|w| AffinityTerm::new(&w.pod_affinity_term, w.weight, pod)).collect();
            }
        }
        let terms = PodTerms { host_ports, required_affinity: ra, required_anti_affinity: raa, preferred_affinity: pa, preferred_anti_affinity: paa };
        PodInfo {
            priority: pod.spec.priority.unwrap_or(0),
            milli_cpu: r.milli_cpu,
            memory: r.memory,
            non_zero_milli_cpu: nz_cpu,
            non_zero_memory: nz_mem,
            scalar,
            terms: (!terms.is_empty()).then(|| Box::new(terms)),
            terminating: pod.metadata.rare.deletion_timestamp.is_some(),
            object,
        }
    }
    fn terms(&self) -> &PodTerms {
        self.terms.as_deref().unwrap_or(&NO_TERMS)
    }
    /// The terms to change (tests).
    #[cfg(test)]
    pub fn terms_mut(&mut self) -> &mut PodTerms {
        self.terms.get_or_insert_default()
    }
    pub fn host_ports(&self) -> &[HostPort] {
        &self.terms().host_ports
    }
    pub fn required_affinity(&self) -> &[AffinityTerm] {
        &self.terms().required_affinity
    }
    pub fn required_anti_affinity(&self) -> &[AffinityTerm] {
        &self.terms().required_anti_affinity
    }
    pub fn preferred_affinity(&self) -> &[AffinityTerm] {
        &self.terms().preferred_affinity
    }
    pub fn preferred_anti_affinity(&self) -> &[AffinityTerm] {
        &self.terms().preferred_anti_affinity
    }
    pub fn pod(&self) -> &Pod {
        self.object.as_pod().expect("PodInfo of a Pod")
    }
    pub fn uid(&self) -> &str {
        &self.pod().metadata.uid
    }
    pub fn tolerations(&self) -> &[Toleration] {
        &self.pod().spec.tolerations
    }
    /// A pod of one container requesting `milli_cpu` and `memory` (0: not requested),
    /// through [`PodInfo::new`], so the non-zero requests are upstream's (for tests).
    pub fn with_requests(milli_cpu: i64, memory: i64) -> Self {
        use crate::api::pod::Container;
        use crate::api::quantity::Quantity;
        let mut c = Container { name: "c".into(), ..Default::default() };
        if milli_cpu > 0 {
            c.resources.requests.insert("cpu".into(), Quantity::parse(&format!("{milli_cpu}m")).expect("cpu quantity"));
        }
        if memory > 0 {
            c.resources.requests.insert("memory".into(), Quantity::parse(&memory.to_string()).expect("memory quantity"));
        }
        let mut pod = Pod::default();
        Rc::make_mut(&mut pod.spec).containers = Rc::new(vec![c]);
        PodInfo::new(Rc::new(Object::Pod(Box::new(pod))))
    }
}

/// resourcehelper.PodRequests of cpu and memory with NonMissingContainerRequests =
/// {100m, 200Mi}, as the resource scorers compute a pod's request
/// (noderesources/resource_allocation.go calculatePodResourceRequest): a container (init
/// or regular) that requests nothing of cpu (memory) counts as 100m (200Mi); regular
/// containers and restartable init containers (sidecars) are summed, an init container
/// adds to the sidecars started before it, the largest of those wins, and the pod
/// overhead is added. A pod with no containers requests nothing.
fn non_zero_requests(spec: &crate::api::pod::PodSpec) -> (i64, i64) {
    use crate::api::pod::Container;
    // Requests default to limits at the apiserver; read them the same way PodSpec::requests does.
    let get = |c: &Container, r: &str, milli: bool, default: i64| {
        c.resources.requests.get(r).or_else(|| c.resources.limits.get(r)).map_or(default, |q| if milli { q.milli_value() } else { q.value() })
    };
    let (mut cpu, mut mem) = (0i64, 0i64);
    for c in spec.containers.iter() {
        cpu = cpu.saturating_add(get(c, "cpu", true, DEFAULT_MILLI_CPU_REQUEST));
        mem = mem.saturating_add(get(c, "memory", false, DEFAULT_MEMORY_REQUEST));
    }
    let (mut sidecar_cpu, mut sidecar_mem, mut init_cpu, mut init_mem) = (0i64, 0i64, 0i64, 0i64);
    for c in &spec.init_containers {
        let (ic, im) = (get(c, "cpu", true, DEFAULT_MILLI_CPU_REQUEST), get(c, "memory", false, DEFAULT_MEMORY_REQUEST));
        if c.restart_policy.as_deref() == Some("Always") {
            sidecar_cpu = sidecar_cpu.saturating_add(ic);
            sidecar_mem = sidecar_mem.saturating_add(im);
            init_cpu = init_cpu.max(sidecar_cpu);
            init_mem = init_mem.max(sidecar_mem);
        } else {
            init_cpu = init_cpu.max(sidecar_cpu.saturating_add(ic));
            init_mem = init_mem.max(sidecar_mem.saturating_add(im));
        }
    }
    cpu = cpu.saturating_add(sidecar_cpu).max(init_cpu);
    mem = mem.saturating_add(sidecar_mem).max(init_mem);
    if let Some(o) = &spec.overhead {
        cpu = cpu.saturating_add(o.get("cpu").map_or(0, |q| q.milli_value()));
        mem = mem.saturating_add(o.get("memory").map_or(0, |q| q.value()));
    }
    (cpu, mem)
}

/// One node of the snapshot (framework.NodeInfo), kept incrementally like the
/// scheduler cache: allocatable, what its pods request, its pods, ports and images.
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub name: Text,
    pub alloc_milli_cpu: i64,
    pub alloc_memory: i64,
    pub alloc_pods: i64,
    /// Other allocatable resources (extended resources, ephemeral-storage), sorted.
    pub alloc_scalar: Vec<(String, i64)>,
    pub requested_milli_cpu: i64,
    pub requested_memory: i64,
    pub non_zero_milli_cpu: i64,
    pub non_zero_memory: i64,
    pub requested_scalar: Vec<(String, i64)>,
    pub pod_count: i64,
    pub pods: Vec<Rc<PodInfo>>,
    /// How many of `pods` have terms that score other pods.
    pub pods_with_scoring_affinity: usize,
    pub used_ports: Vec<HostPort>,
    /// Image names (as listed in status.images) → size in bytes, in `image_order`. The
    /// scheduler makes each name the one copy its `image_nodes` holds (`set_images`), so
    /// that ImageLocality finds a pod's image on a node by its address.
    pub images: Vec<(Rc<str>, i64)>,
    pub taints: Vec<Taint>,
    pub labels: crate::api::meta::Labels,
    pub unschedulable: bool,
    pub present: bool,
}

/// A memoized (NodeResourcesFit, NodeResourcesBalancedAllocation) pair and its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ResourceScores {
    pub key: (i64, i64, i64, i64, usize),
    pub fit: i64,
    pub balanced: i64,
}

/// Per-node memos, kept beside the nodes (compact, so a cycle over hundreds of nodes
/// stays in cache) and cleared by the scheduler whenever a node or its pods change:
/// - the last pod spec (under a profile) that passed every filter, used only when no
///   filter looks at other pods (PodTopologySpread and InterPodAffinity skipped,
///   nothing nominated) — pods of one template then filter each unchanged node once;
/// - the last NodeResourcesFit and BalancedAllocation scores for a request signature.
///
/// The spec's address is the key; the spec itself is kept alive in `specs`, so the
/// address cannot be reused while the memo stands.
#[derive(Default)]
pub struct NodeMemos {
    /// Off: every cycle computes everything (tests compare the two).
    pub disabled: bool,
    filter: Vec<Cell<(usize, usize)>>,
    specs: RefCell<Vec<Option<Rc<crate::api::pod::PodSpec>>>>,
    scores: Vec<Cell<Option<ResourceScores>>>,
}

impl NodeMemos {
    /// Node `ni` changed (or appeared): forget what was known about it.
    pub fn invalidate(&mut self, ni: usize) {
        if self.filter.len() <= ni {
            self.filter.resize_with(ni + 1, Default::default);
            self.scores.resize_with(ni + 1, Default::default);
            self.specs.get_mut().resize(ni + 1, None);
        }
        self.filter[ni].set((0, 0));
        self.scores[ni].set(None);
        self.specs.get_mut()[ni] = None;
    }
    pub fn filter_passed(&self, ni: usize, spec: &Rc<crate::api::pod::PodSpec>, profile: usize) -> bool {
        self.filter.get(ni).is_some_and(|c| c.get() == (Rc::as_ptr(spec) as usize, profile))
    }
    pub fn set_filter_passed(&self, ni: usize, spec: &Rc<crate::api::pod::PodSpec>, profile: usize) {
        if let Some(c) = self.filter.get(ni) {
            c.set((Rc::as_ptr(spec) as usize, profile));
            self.specs.borrow_mut()[ni] = Some(spec.clone());
        }
    }
    pub fn scores(&self, ni: usize, key: (i64, i64, i64, i64, usize)) -> Option<(i64, i64)> {
        self.scores.get(ni).and_then(|c| c.get()).filter(|r| r.key == key).map(|r| (r.fit, r.balanced))
    }
    pub fn set_scores(&self, ni: usize, r: ResourceScores) {
        if let Some(c) = self.scores.get(ni) {
            c.set(Some(r));
        }
    }
}

impl NodeInfo {
    pub fn set_node(&mut self, node: &Node) {
        let a = &node.status.allocatable;
        self.name = node.metadata.name.clone();
        self.alloc_milli_cpu = a.get("cpu").map_or(0, |q| q.milli_value());
        self.alloc_memory = a.get("memory").map_or(0, |q| q.value());
        self.alloc_pods = a.get("pods").map_or(0, |q| q.value());
        self.alloc_scalar = a.iter().filter(|(k, _)| !["cpu", "memory", "pods"].contains(&k.as_str())).map(|(k, q)| (k.clone(), q.value())).collect();
        self.taints = node.spec.taints.clone();
        self.labels = (*node.metadata.labels).clone();
        self.unschedulable = node.spec.unschedulable;
        self.images = node.status.images.iter().flat_map(|i| i.names.iter().map(move |n| (Rc::from(n.as_str()), i.size_bytes.unwrap_or(0)))).collect();
        // ImageStates is keyed by name: a name listed twice is one image of this node.
        // Sorted by length first (`image_order`), so that a lookup compares lengths
        // before it reads any name.
        self.images.sort_by(|a, b| image_order(&a.0, &b.0).then(a.1.cmp(&b.1)));
        self.images.dedup_by(|a, b| a.0 == b.0);
        self.present = true;
    }

    pub fn allocatable_scalar(&self, name: &str) -> i64 {
        self.alloc_scalar.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v)
    }
    pub fn requested_scalar(&self, name: &str) -> i64 {
        self.requested_scalar.iter().find(|(n, _)| n == name).map_or(0, |(_, v)| *v)
    }

    /// NodeInfo.update: a pod's requests added (+1) or taken away (−1). A pod is only
    /// removed with the info it was added with, so nothing here can go below zero (upstream
    /// does not clamp either).
    fn account(&mut self, p: &PodInfo, sign: i64) {
        self.requested_milli_cpu += sign * p.milli_cpu;
        self.requested_memory += sign * p.memory;
        self.non_zero_milli_cpu += sign * p.non_zero_milli_cpu;
        self.non_zero_memory += sign * p.non_zero_memory;
        self.pod_count += sign;
        assert!(
            self.requested_milli_cpu >= 0 && self.requested_memory >= 0 && self.non_zero_milli_cpu >= 0 && self.non_zero_memory >= 0 && self.pod_count >= 0,
            "NodeInfo requested never negative (node {:?}, pod {:?})",
            self.name,
            p.pod().metadata.name
        );
        for (name, v) in &p.scalar {
            match self.requested_scalar.iter_mut().find(|(n, _)| n == name) {
                Some((_, x)) => *x += sign * v,
                None => self.requested_scalar.push((name.clone(), sign * v)),
            }
        }
        assert!(self.requested_scalar.iter().all(|(_, x)| *x >= 0), "NodeInfo requested never negative (node {:?}, scalar resources)", self.name);
        if p.has_scoring_affinity() {
            self.pods_with_scoring_affinity =
                self.pods_with_scoring_affinity.checked_add_signed(sign as isize).expect("NodeInfo pods with scoring affinity never negative");
        }
    }

    pub fn add_pod(&mut self, p: Rc<PodInfo>) {
        self.account(&p, 1);
        self.used_ports.extend(p.host_ports().iter().cloned());
        self.pods.push(p);
    }

    /// Removes the pod with this uid; returns whether it was there.
    pub fn remove_pod(&mut self, uid: &str) -> bool {
        let Some(i) = self.pods.iter().position(|p| p.uid() == uid) else { return false };
        let p = self.pods.remove(i);
        self.account(&p, -1);
        for hp in p.host_ports() {
            if let Some(j) = self.used_ports.iter().position(|u| u == hp) {
                self.used_ports.remove(j);
            }
        }
        true
    }

    /// Swaps in a newer info of the same pod (same requests, labels and terms): no
    /// accounting changes. `old` is the info the cache holds for it, found by pointer
    /// (the cache shares one `Rc` with this list), so no uid is compared on the way.
    pub fn replace_pod(&mut self, old: &Rc<PodInfo>, p: Rc<PodInfo>) {
        let slot = self.pods.iter().position(|x| Rc::ptr_eq(x, old)).or_else(|| self.pods.iter().position(|x| x.uid() == p.uid()));
        if let Some(i) = slot {
            self.pods[i] = p;
        }
    }
}

/// The cluster as one scheduling cycle sees it (the scheduler cache's snapshot).
pub struct Snapshot<'a> {
    pub nodes: &'a [NodeInfo],
    /// Indices of the present nodes, in list order.
    pub order: &'a [usize],
    pub ns_labels: &'a BTreeMap<String, Labels>,
    /// Image name → on how many nodes it is present (ImageStateSummary.NumNodes).
    pub image_nodes: &'a BTreeMap<Rc<str>, usize>,
    /// Label key → on how many present nodes it is set (see `label_key_counts`).
    pub label_keys: &'a BTreeMap<String, usize>,
    pub counts: &'a MatchCounts,
    pub affinity: &'a AffinityIndex,
    pub memos: &'a NodeMemos,
    /// Whether any node has a PreferNoSchedule taint (else TaintToleration scores alike).
    pub any_prefer_no_schedule: bool,
}

/// Label key → on how many of the present nodes (`order`) it is set: what the scheduler
/// keeps up to date as nodes come, change and go.
/// The container ports of `pod` that ask for a host port, with that port (what
/// `PodInfo::host_ports` is made of: the app containers' ports with a hostPort above 0).
pub fn host_port_specs(pod: &crate::api::pod::Pod) -> impl Iterator<Item = (&crate::api::pod::ContainerPort, i32)> {
    pod.spec.containers.iter().flat_map(|c| c.ports.iter()).filter_map(|p| Some((p, p.host_port.filter(|&h| h > 0)?)))
}

/// The order of a node's image names: by length, then as strings (any total order
/// serves a lookup; this one settles most comparisons without reading the names).
pub fn image_order(a: &str, b: &str) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| a.cmp(b))
}

pub fn label_key_counts(nodes: &[NodeInfo], order: &[usize]) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for &i in order {
        for k in nodes[i].labels.keys() {
            *m.entry(k.clone()).or_default() += 1;
        }
    }
    m
}

impl Snapshot<'_> {
    pub fn ns_labels(&self, ns: &str) -> Option<&Labels> {
        self.ns_labels.get(ns)
    }
}

/// Per node, how many pods of a namespace match a selector — the live ones (not
/// terminating) for PodTopologySpread's countPodsMatchSelector, all of them for
/// InterPodAffinity (`with_terminating`) — cached per (namespace, selector) and
/// kept up to date as pods come and go, so a cycle costs O(nodes), not O(pods). Entries
/// are indexed by one of their selector's (key, value) pairs so that a pod arriving
/// touches only the entries it may match.
#[derive(Default)]
pub struct MatchCounts {
    inner: RefCell<CountsInner>,
}

#[derive(Default)]
struct CountsInner {
    entries: Vec<CountEntry>,
    /// (`selector_hash` of an entry, its id): a cycle finds its entries without making
    /// a key of strings (it made three strings and joined them, two constraints a pod).
    by_selector: BTreeSet<(u64, usize)>,
    /// Pivot key → pivot value → ids (looked up with the pod's labels as they are).
    by_pivot: BTreeMap<String, BTreeMap<String, Vec<usize>>>,
    unpivoted: Vec<usize>,
}

/// The hash (std's SipHash with its fixed keys: the same in every run) of what makes an
/// entry: two entries of equal (namespace, selector, with_terminating) have one hash;
/// the entries of a hash are then compared whole.
fn selector_hash(ns: &str, selector: &LabelSelector, with_terminating: bool) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    (ns, selector, with_terminating).hash(&mut h);
    h.finish()
}

struct CountEntry {
    namespace: String,
    selector: LabelSelector,
    /// InterPodAffinity counts terminating pods too; PodTopologySpread does not.
    with_terminating: bool,
    per_node: PerNode,
}

/// `MatchCounts` borrowed (`MatchCounts::read`).
pub struct CountsRef<'a>(std::cell::Ref<'a, CountsInner>);

impl CountsRef<'_> {
    /// The count of entry `id` on node `node`.
    #[inline]
    pub fn get(&self, id: usize, node: usize) -> i64 {
        self.column(id).get(node)
    }

    /// Entry `id`'s counts, node by node.
    #[inline]
    pub fn column(&self, id: usize) -> Column<'_> {
        Column(self.0.entries.get(id).map(|e| &e.per_node))
    }
}

/// One entry's counts (`CountsRef::column`): 0 where it has none (and everywhere for
/// `Column::default()`, no entry).
#[derive(Default)]
pub struct Column<'a>(Option<&'a PerNode>);

impl Column<'_> {
    #[inline]
    pub fn get(&self, node: usize) -> i64 {
        self.0.and_then(|p| p.get(node)).map_or(0, i64::from)
    }
}

/// An entry's count on each node, a byte each until one exceeds 255 (then four): most
/// selectors match a few pods a node, and an entry spans every node of the cluster (a
/// density run of 5,000 nodes kept 1,500 of them, 30 MB as `u32`s).
enum PerNode {
    Narrow(Vec<u8>),
    Wide(Vec<u32>),
}

impl PerNode {
    fn new(counts: Vec<u32>) -> Self {
        if counts.iter().all(|&c| c <= u32::from(u8::MAX)) {
            PerNode::Narrow(counts.into_iter().map(|c| c as u8).collect())
        } else {
            PerNode::Wide(counts)
        }
    }

    fn get(&self, node: usize) -> Option<u32> {
        match self {
            PerNode::Narrow(v) => v.get(node).map(|&c| u32::from(c)),
            PerNode::Wide(v) => v.get(node).copied(),
        }
    }

    /// Sets the count of `node` (the vector grown with zeros to reach it).
    fn set(&mut self, node: usize, n: u32) {
        if let PerNode::Narrow(v) = self {
            match u8::try_from(n) {
                Ok(b) => {
                    if v.len() <= node {
                        v.resize(node + 1, 0);
                    }
                    v[node] = b;
                    return;
                }
                Err(_) => *self = PerNode::Wide(v.iter().map(|&c| u32::from(c)).collect()),
            }
        }
        if let PerNode::Wide(v) = self {
            if v.len() <= node {
                v.resize(node + 1, 0);
            }
            v[node] = n;
        }
    }
}

/// More selectors than this and the cache starts over (memory guard).
const MAX_COUNT_ENTRIES: usize = 4096;

fn counts_pod(ns: &str, selector: &LabelSelector, with_terminating: bool, p: &PodInfo) -> bool {
    (with_terminating || !p.terminating) && p.pod().metadata.namespace == ns && selector.matches(&p.pod().metadata.labels)
}

/// A (key, value) every matching pod must carry, if the selector has one.
fn pivot(selector: &LabelSelector) -> Option<(String, String)> {
    if let Some((k, v)) = selector.match_labels.iter().next() {
        return Some((k.clone(), v.clone()));
    }
    selector.match_expressions.iter().find(|r| r.operator == "In" && r.values.len() == 1).map(|r| (r.key.clone(), r.values[0].clone()))
}

impl MatchCounts {
    /// The id of the (namespace, selector) entry, built on first use. Ids stay valid
    /// until `trim`, which the scheduler calls between cycles only.
    pub fn resolve(&self, nodes: &[NodeInfo], ns: &str, selector: &LabelSelector, with_terminating: bool) -> usize {
        let mut inner = self.inner.borrow_mut();
        let hash = selector_hash(ns, selector, with_terminating);
        let same = |e: &CountEntry| e.with_terminating == with_terminating && e.namespace == ns && e.selector == *selector;
        if let Some(&(_, i)) = inner.by_selector.range((hash, 0)..=(hash, usize::MAX)).find(|(_, i)| same(&inner.entries[*i])) {
            return i;
        }
        let per_node = PerNode::new(nodes.iter().map(|n| n.pods.iter().filter(|p| counts_pod(ns, selector, with_terminating, p)).count() as u32).collect());
        let id = inner.entries.len();
        inner.entries.push(CountEntry { namespace: ns.to_string(), selector: selector.clone(), with_terminating, per_node });
        inner.by_selector.insert((hash, id));
        match pivot(selector) {
            Some((k, v)) => inner.by_pivot.entry(k).or_default().entry(v).or_default().push(id),
            None => inner.unpivoted.push(id),
        }
        id
    }

    /// The count of entry `id` on node `node`.
    pub fn get(&self, id: usize, node: usize) -> i64 {
        self.read().get(id, node)
    }

    /// The counts, borrowed once for a loop over the nodes (`get` borrows them at each
    /// call: ~10 instructions a node of a cycle's scores).
    pub fn read(&self) -> CountsRef<'_> {
        CountsRef(self.inner.borrow())
    }

    /// Starts over when too many selectors are cached (memory guard).
    pub fn trim(&self) {
        let mut inner = self.inner.borrow_mut();
        if inner.entries.len() > MAX_COUNT_ENTRIES {
            *inner = CountsInner::default();
        }
    }

    /// A pod joined (+1) or left (−1) a node.
    pub fn on_pod(&self, node: usize, p: &PodInfo, sign: i64) {
        let mut guard = self.inner.borrow_mut();
        let inner = &mut *guard;
        if inner.entries.is_empty() {
            return;
        }
        let labels = &p.pod().metadata.labels;
        // Each entry is under one pivot or none, and a pod's label keys are distinct: an
        // entry is counted once (in any order: each entry's count is its own).
        let CountsInner { entries, by_pivot, unpivoted, .. } = inner;
        let pivoted = labels.iter().filter_map(|(k, v)| by_pivot.get(k)?.get(v)).flatten();
        for &id in unpivoted.iter().chain(pivoted) {
            let e = &mut entries[id];
            if counts_pod(&e.namespace, &e.selector, e.with_terminating, p) {
                let n = i64::from(e.per_node.get(node).unwrap_or(0)) + sign;
                // Every pod is counted when added and uncounted when removed, with the same info.
                assert!(n >= 0, "MatchCounts never negative (node {node}, selector {:?})", e.selector.to_selector_string());
                e.per_node.set(node, n as u32);
            }
        }
    }
}

/// The cluster-wide pod affinity bookkeeping of the scheduler cache: how many pods
/// have which kind of terms, and the existing pods' required anti-affinity terms,
/// deduplicated (pods of one template share them) with the number of pods per topology
/// value, so InterPodAffinity's PreFilter costs O(distinct terms), not O(pods).
#[derive(Default)]
pub struct AffinityIndex {
    /// Pods with terms that score other pods (required affinity, preferred terms).
    pub pods_with_scoring_affinity: usize,
    pub pods_with_required_anti_affinity: usize,
    pub anti_terms: BTreeMap<String, (AffinityTerm, BTreeMap<String, i64>)>,
}

impl AffinityTerm {
    fn key(&self) -> String {
        format!("{:?}|{:?}|{:?}|{}", self.namespaces, self.namespace_selector, self.selector, self.topology_key)
    }
}

impl PodInfo {
    /// Whether this pod's terms take part in scoring other pods.
    pub fn has_scoring_affinity(&self) -> bool {
        !(self.required_affinity().is_empty() && self.preferred_affinity().is_empty() && self.preferred_anti_affinity().is_empty())
    }
}

impl AffinityIndex {
    /// A pod joined (+1) or left (−1) `node`. A pod leaves with the info it joined with and
    /// the node's labels it joined under (a label change rebuilds the index), so no count
    /// can go below zero.
    pub fn on_pod(&mut self, p: &PodInfo, node: &NodeInfo, sign: i64) {
        let add = |x: &mut usize, cond: bool, what: &str| {
            if cond {
                *x = x.checked_add_signed(sign as isize).unwrap_or_else(|| panic!("AffinityIndex {what} never negative"));
            }
        };
        add(&mut self.pods_with_scoring_affinity, p.has_scoring_affinity(), "pods with scoring affinity");
        add(&mut self.pods_with_required_anti_affinity, !p.required_anti_affinity().is_empty(), "pods with required anti-affinity");
        for t in p.required_anti_affinity() {
            let Some(v) = node.labels.get(&t.topology_key) else { continue };
            let key = t.key();
            let entry = self.anti_terms.entry(key.clone()).or_insert_with(|| (t.clone(), BTreeMap::new()));
            let c = entry.1.entry(v.clone()).or_insert(0);
            *c += sign;
            assert!(*c >= 0, "AffinityIndex anti-affinity term count never negative ({key} at {v})");
            if *c == 0 {
                entry.1.remove(v);
                if entry.1.is_empty() {
                    self.anti_terms.remove(&key);
                }
            }
        }
    }

    /// After node labels changed: recount from the nodes.
    pub fn rebuild(&mut self, nodes: &[NodeInfo], order: &[usize]) {
        *self = AffinityIndex::default();
        for &ni in order {
            for p in &nodes[ni].pods {
                self.on_pod(p, &nodes[ni], 1);
            }
        }
    }
}

/// A filter plugin's verdict on one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub plugin: &'static str,
    pub reasons: Vec<String>,
    /// UnschedulableAndUnresolvable (preemption cannot help) vs Unschedulable.
    pub unresolvable: bool,
}

impl Status {
    pub fn unschedulable(plugin: &'static str, reasons: Vec<String>) -> Self {
        Status { plugin, reasons, unresolvable: false }
    }
    pub fn unresolvable(plugin: &'static str, reason: String) -> Self {
        Status { plugin, reasons: vec![reason], unresolvable: true }
    }
}

/// FitError.Error(): `0/N nodes are available: <count> <reason>, ….` with the
/// "<count> <reason>" strings sorted as Go's sort.Strings does (byte order).
pub fn fit_error_message(num_all_nodes: usize, statuses: &[Status]) -> String {
    if num_all_nodes == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    let mut hist: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for s in statuses {
        for r in &s.reasons {
            *hist.entry(r.as_str()).or_default() += 1;
        }
    }
    let mut parts: Vec<String> = hist.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    let mut msg = format!("0/{num_all_nodes} nodes are available:");
    if !parts.is_empty() {
        msg.push(' ');
        msg.push_str(&parts.join(", "));
        msg.push('.');
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A node's count past 255 widens the entry's counts, every node's kept; counts built
    /// past 255 start wide; a node beyond the vector counts 0 until set.
    #[test]
    fn per_node_counts_widen_past_a_byte() {
        let mut c = PerNode::new(vec![3, 255]);
        assert!(matches!(c, PerNode::Narrow(_)));
        c.set(4, 7);
        assert_eq!((0..6).map(|n| c.get(n).unwrap_or(0)).collect::<Vec<_>>(), [3, 255, 0, 0, 7, 0]);
        c.set(1, 256);
        assert!(matches!(c, PerNode::Wide(_)));
        assert_eq!((0..6).map(|n| c.get(n).unwrap_or(0)).collect::<Vec<_>>(), [3, 256, 0, 0, 7, 0]);
        c.set(1, 0);
        assert_eq!(c.get(1), Some(0));
        assert!(matches!(PerNode::new(vec![0, 300]), PerNode::Wide(_)));
        assert_eq!(PerNode::new(vec![0, 300]).get(1), Some(300));
    }

    #[test]
    fn fit_error_sorts_reason_strings_like_go() {
        let st = |r: &str| Status::unschedulable("NodeResourcesFit", vec![r.to_string()]);
        let msg = fit_error_message(2, &[st("Insufficient cpu"), st("Insufficient cpu")]);
        assert_eq!(msg, "0/2 nodes are available: 2 Insufficient cpu.");
        // upstream TestFitError-style: counts sort as strings ("10 …" before "2 …").
        let mut many: Vec<Status> = (0..10).map(|_| st("Insufficient memory")).collect();
        many.push(Status::unresolvable("TaintToleration", "node(s) had untolerated taint {dedicated: gpu}".into()));
        many.push(Status::unresolvable("TaintToleration", "node(s) had untolerated taint {dedicated: gpu}".into()));
        assert_eq!(fit_error_message(12, &many), "0/12 nodes are available: 10 Insufficient memory, 2 node(s) had untolerated taint {dedicated: gpu}.");
        assert_eq!(fit_error_message(0, &[]), "no nodes available to schedule pods");
    }

    fn labelled_pod(name: &str) -> PodInfo {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.uid = name.into();
        p.metadata.namespace = "default".into();
        p.metadata.labels.insert("app".into(), "web".into());
        PodInfo::new(Rc::new(Object::Pod(Box::new(p))))
    }

    /// An entry is found again by an equal (namespace, selector, with_terminating), not
    /// by one that differs in any of them; a pod is counted in the entries it matches.
    #[test]
    fn match_counts_find_their_entries_again() {
        let nodes = vec![NodeInfo { name: "n".into(), present: true, ..Default::default() }];
        let counts = MatchCounts::default();
        let web = LabelSelector { match_labels: [("app".to_string(), "web".to_string())].into(), ..Default::default() };
        let db = LabelSelector { match_labels: [("app".to_string(), "db".to_string())].into(), ..Default::default() };
        let id = counts.resolve(&nodes, "default", &web, false);
        assert_eq!(counts.resolve(&nodes, "default", &web.clone(), false), id);
        let others =
            [counts.resolve(&nodes, "other", &web, false), counts.resolve(&nodes, "default", &web, true), counts.resolve(&nodes, "default", &db, false)];
        assert!(others.iter().all(|o| *o != id) && others[0] != others[1] && others[1] != others[2]);
        counts.on_pod(0, &labelled_pod("p"), 1);
        assert_eq!([id, others[0], others[1], others[2]].map(|i| counts.get(i, 0)), [1, 0, 1, 0]);
    }

    /// Uncounting a pod that was never counted is a bookkeeping bug, not a count to clamp.
    #[test]
    #[should_panic(expected = "MatchCounts never negative")]
    fn match_counts_refuse_to_go_negative() {
        let nodes = vec![NodeInfo { name: "n".into(), present: true, ..Default::default() }];
        let counts = MatchCounts::default();
        let sel = LabelSelector { match_labels: [("app".to_string(), "web".to_string())].into(), ..Default::default() };
        counts.resolve(&nodes, "default", &sel, false);
        counts.on_pod(0, &labelled_pod("p"), -1);
    }

    #[test]
    #[should_panic(expected = "NodeInfo requested never negative")]
    fn node_info_refuses_to_go_negative() {
        let mut n = NodeInfo { name: "n".into(), present: true, ..Default::default() };
        let p = PodInfo::with_requests(100, 0);
        n.account(&p, -1);
    }

    /// schedutil.GetNonzeroRequests: a container that does not request cpu (memory) counts
    /// as 100m (200Mi) when scoring; a request that is set is kept as it is.
    #[test]
    fn test_pods_get_upstreams_non_zero_requests() {
        let p = PodInfo::with_requests(0, 0);
        assert_eq!((p.milli_cpu, p.memory, p.non_zero_milli_cpu, p.non_zero_memory), (0, 0, DEFAULT_MILLI_CPU_REQUEST, DEFAULT_MEMORY_REQUEST));
        let p = PodInfo::with_requests(250, 0);
        assert_eq!((p.milli_cpu, p.non_zero_milli_cpu, p.non_zero_memory), (250, 250, DEFAULT_MEMORY_REQUEST));
        let p = PodInfo::with_requests(3000, 5000);
        assert_eq!((p.non_zero_milli_cpu, p.non_zero_memory), (3000, 5000));
    }
}
