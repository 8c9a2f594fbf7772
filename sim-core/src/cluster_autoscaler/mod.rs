//! The Cluster Autoscaler (kubernetes/autoscaler cluster-autoscaler 1.31, static node
//! groups): node pools with `autoscaling: {min, max}` are its node groups, and every
//! scan interval (10 s) it runs StaticAutoscaler.RunOnce (core/static_autoscaler.go):
//!
//! **Scale-up.** The pending pods are those whose PodScheduled condition is False with
//! reason Unschedulable (kube_util.UnschedulablePods), not expendable (priority ≥ −10)
//! and not DaemonSet pods; those that would fit on a ready node or on a node already on
//! its way are set aside (podlistprocessor's filter out schedulable, first fit, each
//! placed pod taking its room). If the oldest remaining pod is younger than 2 s the loop
//! waits (unschedulablePodTimeBuffer). Each node group not at its max
//! (`max node group size reached`) gets a template node — the pool's shape, as a new
//! node registers, with the DaemonSet pods that would run there — and each pending pod
//! is checked against it with the scheduler's filters in the default profile's order
//! (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity, NodePorts,
//! NodeResourcesFit, PodTopologySpread, InterPodAffinity — over a snapshot of the
//! cluster, simulator.rs: their reasons are the scheduler's words); the pods that pass
//! are bin-packed onto copies of the template (each its own hostname), largest first (estimator/binpacking_estimator.go, scored by
//! cpu/allocatable + memory/allocatable), up to the group's max. The expanders pick one
//! option, a chain of filters ending in a random draw from the autoscaler's own stream
//! (expander/factory): `random` (upstream's default: no filter); `most-pods`;
//! `least-nodes`; `least-waste` (the least wasted cpu + memory fraction of the new
//! nodes' capacity); `priority` (the ConfigMap `cluster-autoscaler-priority-expander`,
//! `priority`'s doc below),
//! the group's target grows, and each new machine boots for the pool's
//! `provisioningDelay` (default 60 s, ksim's choice: clouds take about a minute) before
//! its kubelet registers it like any node joining. A group's size is its registered
//! nodes and its machines on their way; until they are Ready (for at most
//! max-node-provision-time, 15 minutes) template copies stand in for them, so pods that
//! wait for them ask for nothing more; a machine that never registers is given up then. The pods of the option get
//! `TriggeredScaleUp` (`pod triggered scale-up: [{pool 1->3 (max: 10)}]`); when no group
//! can take a pod, it gets `NotTriggerScaleUp` with the reasons counted by groups
//! (`pod didn't trigger scale-up: 1 Insufficient cpu, 1 max node group size reached`;
//! upstream's order is a Go map's, ksim's sorted). A loop that scaled up does not scale
//! down.
//!
//! **Scale-down.** A node of a group above its min is unneeded while its utilization —
//! the larger of its pods' cpu and memory requests over allocatable, DaemonSet and mirror
//! pods included (utilization.Calculate) — is below 0.5, and every pod on it could move:
//! a pod annotated `cluster-autoscaler.kubernetes.io/safe-to-evict: "true"` may always
//! move; otherwise no pod without a controller, no kube-system pod (not a DaemonSet's or
//! a mirror pod) without a PodDisruptionBudget, no pod annotated safe-to-evict `"false"`,
//! no pod with local storage (emptyDir, hostPath), no pod whose budget has no disruption
//! left (counting this loop's candidates), the node not annotated
//! `cluster-autoscaler.kubernetes.io/scale-down-disabled` (drainability rules, in
//! upstream's order; eligibility.go), and the pods that would move fit on the other nodes
//! (first fit, committed across candidates). Once a node has been unneeded for
//! 10 minutes (scale-down-unneeded-time), and not within 10 minutes of a scale-up
//! (scale-down-delay-after-add), the autoscaler takes it (one drain at a time,
//! max-drain-parallelism 1; empty nodes up to 10), keeping its group at or above min:
//! it taints it `ToBeDeletedByClusterAutoscaler=<unix time>:NoSchedule` (event
//! `ScaleDown` `marked the node as toBeDeleted/unschedulable`), evicts its pods through
//! the Eviction API once the store has the taint, so PodDisruptionBudgets hold
//! (`ScaleDown` `deleting pod for node scale down` on each; an eviction refused is tried
//! again each loop), and once only DaemonSet and mirror pods are left deletes the
//! machine and the Node (`ScaleDown` `nodes removed by cluster autoscaler`). Pods still
//! there after max-pod-eviction-time (2 minutes) and their grace period plus 30 s fail the
//! drain: `ScaleDownFailed`, the taint removed, the node left alone for 5 minutes. Its
//! Events pass its own spam filter: one per object and reason per 5 minutes.
//!
//! Differences: the status ConfigMap and its events (ScaledUpGroup, ScaleDown,
//! ScaleUpTimedOut on the ConfigMap) are not written, and a group whose machines did not
//! register is not backed off; pods are one equivalence group each; the volume filters
//! are left out; upstream evicts 5 s
//! after the taint and retries every 5 s, ksim on its 10 s loop.

use crate::api::node::{Node, Taint};
use crate::api::pod::Pod;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Eviction, Request};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::Store;
use crate::scenario::model::{Expander, NodePool};
use crate::scheduler::framework::{NodeInfo, PodInfo};
use crate::scheduler::plugins::{node_affinity, taint_toleration};
use simulator::SimCluster;

mod simulator;
use rand::Rng;
use std::collections::BTreeMap;
use std::rc::Rc;

/// How long a machine the autoscaler asks for takes to boot (ksim's default).
pub const DEFAULT_PROVISIONING_DELAY: SimDuration = SimDuration::from_secs(60);
/// --scan-interval.
pub const SCAN_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// --scale-down-unneeded-time.
pub const SCALE_DOWN_UNNEEDED_TIME: SimDuration = SimDuration::from_secs(600);
/// --scale-down-delay-after-add.
pub const SCALE_DOWN_DELAY_AFTER_ADD: SimDuration = SimDuration::from_secs(600);
/// --scale-down-utilization-threshold.
pub const UTILIZATION_THRESHOLD: f64 = 0.5;
/// unschedulablePodTimeBuffer.
const POD_TIME_BUFFER: SimDuration = SimDuration::from_secs(2);
/// --max-scale-down-parallelism (empty nodes at once).
const MAX_EMPTY_AT_ONCE: usize = 10;
pub const TO_BE_DELETED_TAINT: &str = "ToBeDeletedByClusterAutoscaler";
pub const SAFE_TO_EVICT: &str = "cluster-autoscaler.kubernetes.io/safe-to-evict";
pub const SCALE_DOWN_DISABLED: &str = "cluster-autoscaler.kubernetes.io/scale-down-disabled";
/// The priority expander's ConfigMap (priority.go PriorityConfigMapName), in kube-system.
pub const PRIORITY_CONFIG_MAP: &str = "cluster-autoscaler-priority-expander";

/// The priority expander's configuration: YAML of priority → regular expressions
/// (parsePrioritiesYAMLString), in upstream's words where it refuses one.
pub fn parse_priorities(text: &str) -> Result<Vec<(i64, Vec<regex_lite::Regex>)>, String> {
    if text.is_empty() {
        return Err(format!("priority configuration in {PRIORITY_CONFIG_MAP} configmap is empty; please provide valid configuration"));
    }
    let cant = |e: String| format!("Can't parse YAML with priorities in the configmap: {e}");
    let docs = crate::scenario::yaml::parse_documents(text).map_err(|e| cant(e.to_string()))?;
    let mut out = Vec::new();
    let Some(doc) = docs.first() else { return Ok(out) };
    let serde_json::Value::Object(m) = &doc.value else { return Err(cant("expected a map of priorities to lists of regular expressions".into())) };
    for (k, v) in m {
        let prio: i64 = k.parse().map_err(|_| cant(format!("cannot unmarshal !!str `{k}` into int")))?;
        let list: Vec<&str> = match v {
            serde_json::Value::Array(a) => {
                a.iter().map(|x| x.as_str().ok_or_else(|| cant(format!("cannot unmarshal {x} into string")))).collect::<Result<_, _>>()?
            }
            serde_json::Value::Null => Vec::new(),
            other => return Err(cant(format!("cannot unmarshal {other} into []string"))),
        };
        let mut res = Vec::new();
        for re in list {
            res.push(regex_lite::Regex::new(re).map_err(|e| format!("Can't compile regexp rule for priority {prio} and rule {re}: {e}"))?);
        }
        out.push((prio, res));
    }
    Ok(out)
}
/// The Events' source component.
pub const COMPONENT: &str = "cluster-autoscaler";
/// The label a node's pool is on (the kubelet's registration).
pub const POOL_LABEL: &str = "ksim.dev/pool";

/// A node group: a pool with `autoscaling`.
#[derive(Clone, Debug)]
pub struct Group {
    pub pool: NodePool,
    pub min: u32,
    pub max: u32,
    pub provisioning_delay: SimDuration,
    /// The group's target size (the cloud's desired capacity).
    pub target: u32,
    /// The next machine's number (`<pool>-<n>`).
    next: u32,
}

/// What a loop asks of the world.
#[derive(Debug)]
pub enum Act {
    /// An API request (Events, taints, evictions, the Node's delete).
    Request(Box<Request>),
    /// A machine of `pool` named `name` boots and registers after `after`.
    AddNode { pool: String, name: String, after: SimDuration },
    /// The machine of this node is deleted (the cloud's DeleteNodes).
    RemoveMachine(String),
}

pub struct ClusterAutoscaler {
    pub groups: Vec<Group>,
    expanders: Vec<Expander>,
    rng: rand_chacha::ChaCha8Rng,
    last_scale_up: Option<SimTime>,
    /// Nodes unneeded since.
    unneeded: BTreeMap<String, SimTime>,
    /// Nodes being deleted (tainted, drained): their group and when it began.
    deleting: BTreeMap<String, (usize, SimTime)>,
    /// Machines asked for and not registered yet: their group and when they were asked.
    booting: BTreeMap<String, (usize, SimTime)>,
    /// Nodes a drain failed on, not tried again until then (the 5-minute
    /// unremovable recheck).
    unremovable: BTreeMap<String, SimTime>,
    /// The autoscaler's event spam filter: one event per (object, reason) per 5 minutes.
    sent: BTreeMap<(String, String), SimTime>,
    /// client-go's aggregation and counting of the events that pass it.
    events: crate::client::events::EventCorrelator,
    seq: u64,
}

/// --max-node-provision-time: a machine not registered by then is given up.
pub const MAX_NODE_PROVISION_TIME: SimDuration = SimDuration::from_secs(900);
/// --max-pod-eviction-time: a drain whose pods are not gone by then fails.
pub const MAX_POD_EVICTION_TIME: SimDuration = SimDuration::from_secs(120);
/// The recheck of a node found unremovable (unremovableNodeRecheckTimeout).
const UNREMOVABLE_RECHECK: SimDuration = SimDuration::from_secs(300);
/// The event recorder's spam filter: one per (object, reason) per 5 minutes
/// (utils/kubernetes/factory.go defaultQPS 1/300, burst 1).
const EVENT_INTERVAL: SimDuration = SimDuration::from_secs(300);

/// cluster-autoscaler's NodeInfo of a node (the scheduler's, with its pods).
fn node_info(node: &Node, pods: &[Rc<Object>]) -> NodeInfo {
    let mut ni = NodeInfo::default();
    ni.set_node(node);
    for p in pods {
        ni.add_pod(Rc::new(PodInfo::new(p.clone())));
    }
    ni
}

/// A copy of a pod as the simulations place it: without its node (removal.go
/// findPlaceFor clears Spec.NodeName, or the NodeName filter would keep it where it is).
fn unbound(o: &Rc<Object>) -> Rc<PodInfo> {
    let mut copy = (**o).clone();
    if let Object::Pod(p) = &mut copy {
        if !p.spec.node_name.is_empty() {
            Rc::make_mut(&mut p.spec).node_name.clear();
        }
    }
    Rc::new(PodInfo::new(Rc::new(copy)))
}

/// The namespaces' labels, for the affinity terms' namespace selectors.
fn namespace_labels(store: &Store) -> BTreeMap<String, crate::api::meta::Labels> {
    store.list(&Kind::Namespace).map(|o| (o.meta().name.to_string(), (*o.meta().labels).clone())).collect()
}

fn is_daemon_set_pod(p: &Pod) -> bool {
    p.metadata.controller_ref().is_some_and(|r| r.kind == "DaemonSet")
}

fn is_mirror_pod(p: &Pod) -> bool {
    p.metadata.annotations.contains_key("kubernetes.io/config.mirror")
}

fn ready(n: &Node) -> bool {
    n.status.conditions.iter().any(|c| c.type_ == "Ready" && c.status == "True") && !n.spec.unschedulable
}

impl ClusterAutoscaler {
    /// None when no pool autoscales.
    pub fn new(pools: &[NodePool], expanders: Vec<Expander>, rng: rand_chacha::ChaCha8Rng) -> Option<Self> {
        let groups: Vec<Group> = pools
            .iter()
            .filter_map(|p| {
                let a = p.autoscaling?;
                Some(Group { pool: p.clone(), min: a.min, max: a.max, provisioning_delay: a.provisioning_delay, target: p.count, next: p.count + 1 })
            })
            .collect();
        (!groups.is_empty()).then(|| ClusterAutoscaler {
            groups,
            expanders,
            rng,
            last_scale_up: None,
            unneeded: BTreeMap::new(),
            deleting: BTreeMap::new(),
            booting: BTreeMap::new(),
            unremovable: BTreeMap::new(),
            sent: BTreeMap::new(),
            events: Default::default(),
            seq: 0,
        })
    }

    fn event(&mut self, obj: &Object, type_: &'static str, reason: impl Into<std::borrow::Cow<'static, str>>, message: &str, now: SimTime, out: &mut Vec<Act>) {
        let reason = reason.into();
        let key = (obj.meta().uid.to_string(), reason.to_string());
        if self.sent.get(&key).is_some_and(|t| *t + EVENT_INTERVAL > now) {
            return;
        }
        self.sent.insert(key, now);
        // Memory bounded by the cluster: entries older than the interval go.
        self.sent.retain(|_, t| *t + EVENT_INTERVAL > now);
        self.seq += 1;
        let Object::Event(e) = crate::client::event_for(obj, type_, reason, message, COMPONENT, "", now, self.seq) else { return };
        if let Some(r) = crate::client::event_request(self.events.correlate(*e, now)) {
            out.push(Act::Request(Box::new(r)));
        }
    }

    fn group_of(&self, n: &Node) -> Option<usize> {
        let pool = n.metadata.labels.get(POOL_LABEL)?;
        self.groups.iter().position(|g| g.pool.name == *pool)
    }

    /// The template node of a group (a machine of the pool as it registers, Ready).
    /// The group's template node; copy `k` gets its own name and hostname label
    /// (SanitizeNodeInfo's suffix), so that hostname-keyed spreading and anti-affinity
    /// tell the copies apart.
    fn template(&self, g: usize, k: usize) -> Node {
        let p = &self.groups[g].pool;
        let mut n = Node::default();
        n.metadata.name = format!("template-node-for-{}-{k}", p.name).into();
        let l = &mut n.metadata.labels;
        l.insert("kubernetes.io/arch".into(), "amd64".into());
        l.insert("kubernetes.io/hostname".into(), n.metadata.name.to_string());
        l.insert("kubernetes.io/os".into(), "linux".into());
        l.insert(POOL_LABEL.into(), p.name.clone());
        for (k, v) in &p.labels {
            l.insert(k.clone(), v.clone());
        }
        n.spec.taints = p.taints.clone();
        let res: BTreeMap<String, crate::api::quantity::Quantity> =
            [("cpu".to_string(), p.cpu.clone()), ("memory".to_string(), p.memory.clone()), ("pods".to_string(), p.pods.clone())]
                .into_iter()
                .chain(p.extended.iter().map(|(k, v)| (k.clone(), v.clone())))
                .collect();
        // One map for both, which the Node's versions share.
        n.status.capacity = res.into();
        n.status.allocatable = n.status.capacity.clone();
        n
    }

    /// A group's template NodeInfo: the template node with the DaemonSet pods that
    /// would run on it (TemplateNodeInfoProvider: their requests count).
    fn template_info(&self, g: usize, k: usize, daemon_sets: &[Rc<Object>]) -> NodeInfo {
        let mut ni = node_info(&self.template(g, k), &[]);
        for o in daemon_sets {
            let Object::DaemonSet(ds) = &**o else { continue };
            let mut pod = Pod::default();
            pod.metadata.name = format!("{}-template", ds.metadata.name).into();
            pod.metadata.namespace = ds.metadata.namespace.clone();
            pod.metadata.labels = ds.spec.template.metadata.labels.clone();
            pod.spec = ds.spec.template.spec.clone();
            let pi = Rc::new(PodInfo::new(Rc::new(Object::Pod(Box::new(pod)))));
            if taint_toleration::filter(&pi, &ni).is_none() && node_affinity::filter(&pi, &ni).is_none() {
                ni.add_pod(pi);
            }
        }
        ni
    }

    /// RunOnce.
    pub fn run_once(&mut self, store: &Store, now: SimTime) -> Vec<Act> {
        let mut out = Vec::new();
        let nodes: Vec<&Node> = store.list(&Kind::Node).filter_map(|o| o.as_node()).collect();
        let pods: Vec<&Rc<Object>> = store.list(&Kind::Pod).filter(|o| o.as_pod().is_some_and(|p| !p.is_terminal())).collect();
        let mut on_node: BTreeMap<&str, Vec<Rc<Object>>> = BTreeMap::new();
        for o in &pods {
            if let Some(p) = o.as_pod().filter(|p| !p.spec.node_name.is_empty()) {
                on_node.entry(p.spec.node_name.as_str()).or_default().push((*o).clone());
            }
        }
        // Deletions under way: done once only DaemonSet and mirror pods are left.
        let deleted = self.finish_deletions(&nodes, &on_node, now, &mut out);
        let nodes: Vec<&Node> = nodes.into_iter().filter(|n| !deleted.contains(n.metadata.name.as_str())).collect();
        // Machines that registered are booting no more; those not registered within
        // max-node-provision-time are given up: their instances deleted, so they never
        // join — unless that would take the group below its min
        // (removeOldUnregisteredNodes: "node group min size reached").
        let registered_names: std::collections::BTreeSet<&str> = nodes.iter().map(|n| n.metadata.name.as_str()).collect();
        self.booting.retain(|name, _| !registered_names.contains(name.as_str()));
        let mut size = vec![0u32; self.groups.len()];
        for g in nodes.iter().filter_map(|n| self.group_of(n)).chain(self.booting.values().map(|(g, _)| *g)) {
            size[g] += 1;
        }
        let late: Vec<(String, usize)> =
            self.booting.iter().filter(|(_, (_, asked))| *asked + MAX_NODE_PROVISION_TIME <= now).map(|(n, (g, _))| (n.clone(), *g)).collect();
        for (name, g) in late {
            if size[g] > self.groups[g].min {
                size[g] -= 1;
                self.booting.remove(&name);
                out.push(Act::RemoveMachine(name));
            }
        }
        self.unremovable.retain(|_, until| *until > now);
        // Each group's size: its registered nodes and its machines on their way (the
        // cloud's target size); a node gone is a machine gone.
        let mut registered = vec![0u32; self.groups.len()];
        for n in &nodes {
            if let Some(g) = self.group_of(n) {
                registered[g] += 1;
            }
        }
        for (g, group) in self.groups.iter_mut().enumerate() {
            group.target = registered[g] + self.booting.values().filter(|(b, _)| *b == g).count() as u32;
        }
        let daemon_sets: Vec<Rc<Object>> = store.list(&Kind::DaemonSet).cloned().collect();
        // The snapshot: ready nodes with their pods, and the machines on their way —
        // those booting, and those registered but not started (not Ready, registered
        // less than max-node-provision-time ago) — as template copies.
        let mut snapshot: Vec<NodeInfo> = nodes
            .iter()
            .filter(|n| ready(n) && !self.deleting.contains_key(n.metadata.name.as_str()))
            .map(|n| node_info(n, on_node.get(n.metadata.name.as_str()).map_or(&[][..], |v| v.as_slice())))
            .collect();
        let mut copies = 0;
        for g in 0..self.groups.len() {
            let not_started = nodes
                .iter()
                .filter(|n| self.group_of(n) == Some(g) && !ready(n) && n.metadata.creation_timestamp.is_some_and(|t| t.0 + MAX_NODE_PROVISION_TIME > now))
                .count();
            let upcoming = self.booting.values().filter(|(b, _)| *b == g).count() + not_started;
            for _ in 0..upcoming {
                copies += 1;
                snapshot.push(self.template_info(g, copies, &daemon_sets));
            }
        }
        let mut sim = SimCluster::new(snapshot, namespace_labels(store));
        // Pending pods: unschedulable, not expendable, not a DaemonSet's.
        let mut pending: Vec<&Rc<Object>> = pods
            .iter()
            .copied()
            .filter(|o| {
                o.as_pod().is_some_and(|p| {
                    p.spec.node_name.is_empty()
                        && p.metadata.rare.deletion_timestamp.is_none()
                        && p.status.conditions.iter().any(|c| c.type_ == "PodScheduled" && c.status == "False" && c.reason == "Unschedulable")
                        && p.spec.priority.unwrap_or(0) >= -10
                        && !is_daemon_set_pod(p)
                })
            })
            .collect();
        // Filter out schedulable: more important first, first fit, each taking its room.
        pending.sort_by_key(|o| std::cmp::Reverse(o.as_pod().and_then(|p| p.spec.priority).unwrap_or(0)));
        let mut help: Vec<&Rc<Object>> = Vec::new();
        // A pod waiting on its preemption is counted on its nominated node, not helped
        // (filterOutSchedulable: nominated pods go into the snapshot first).
        let index: BTreeMap<crate::api::meta::Text, usize> = (0..sim.len()).map(|i| (sim.node(i).name.clone(), i)).collect();
        let mut waiting = Vec::new();
        for o in pending {
            let nominated = o.as_pod().map(|p| p.status.nominated_node_name.as_str()).filter(|n| !n.is_empty()).and_then(|n| index.get(n));
            match nominated {
                Some(&i) => sim.add_pod(i, Rc::new(PodInfo::new(o.clone()))),
                None => waiting.push(o),
            }
        }
        for o in waiting {
            let pi = Rc::new(PodInfo::new(o.clone()));
            match sim.first_fit(&pi, 0..sim.len()) {
                Some(i) => sim.add_pod(i, pi),
                None => help.push(o),
            }
        }
        let mut scaled_up = false;
        let oldest = help.iter().filter_map(|o| o.meta().creation_timestamp).map(|t| t.0).min();
        let young = oldest.is_some_and(|t| t + POD_TIME_BUFFER > now);
        if !help.is_empty() && !young {
            let taken: std::collections::BTreeSet<&str> = nodes.iter().map(|n| n.metadata.name.as_str()).collect();
            scaled_up = self.scale_up(store, &help, &daemon_sets, &taken, &sim, now, &mut out);
        }
        // A loop that scaled up returns before scale-down; one whose pending pods are all
        // new still plans (UpdateClusterState runs even then) but does not actuate.
        if !scaled_up {
            self.scale_down(store, &nodes, &on_node, !young, now, &mut out);
        }
        out
    }

    /// ScaleUpOrchestrator.ScaleUp; whether a group grew.
    #[allow(clippy::too_many_arguments)]
    fn scale_up(
        &mut self,
        store: &Store,
        help: &[&Rc<Object>],
        daemon_sets: &[Rc<Object>],
        taken: &std::collections::BTreeSet<&str>,
        sim: &SimCluster,
        now: SimTime,
        out: &mut Vec<Act>,
    ) -> bool {
        let infos: Vec<Rc<PodInfo>> = help.iter().map(|o| Rc::new(PodInfo::new((*o).clone()))).collect();
        // Per pod: the reasons each group gave (rejected or skipped), and whether any could.
        let mut reasons: Vec<Vec<String>> = vec![Vec::new(); help.len()];
        let mut schedulable = vec![false; help.len()];
        // (group, nodes, pod indexes)
        let mut options: Vec<(usize, u32, Vec<usize>)> = Vec::new();
        for g in 0..self.groups.len() {
            let group = &self.groups[g];
            if group.target >= group.max {
                for r in reasons.iter_mut() {
                    r.push("max node group size reached".into());
                }
                continue;
            }
            // SchedulablePodGroups: each pod against one template node in a fork of the
            // snapshot (its spreading and affinity see the cluster's pods).
            let template = self.template_info(g, 0, daemon_sets);
            let mut probe = sim.fork();
            let t = probe.add_node(template.clone());
            let mut fits: Vec<usize> = Vec::new();
            for (i, pi) in infos.iter().enumerate() {
                match probe.check(pi, t, &probe.pre(pi)) {
                    None => {
                        schedulable[i] = true;
                        fits.push(i);
                    }
                    Some(rs) => reasons[i].extend(rs),
                }
            }
            if fits.is_empty() {
                continue;
            }
            // The binpacking estimator: largest first by cpu/alloc + memory/alloc.
            let (ac, am) = (template.alloc_milli_cpu.max(1) as f64, template.alloc_memory.max(1) as f64);
            let score = |i: &usize| infos[*i].milli_cpu as f64 / ac + infos[*i].memory as f64 / am;
            fits.sort_by(|a, b| score(b).partial_cmp(&score(a)).unwrap_or(std::cmp::Ordering::Equal).then(a.cmp(b)));
            // Each pod first on the new nodes so far, else on one more template copy
            // (each its own hostname), in a fork of the snapshot.
            let limit = group.max - group.target;
            let mut est = sim.fork();
            let mut new_nodes: Vec<usize> = Vec::new();
            let mut placed = Vec::new();
            for i in fits {
                let pi = infos[i].clone();
                if let Some(n) = est.first_fit(&pi, new_nodes.iter().copied()) {
                    est.add_pod(n, pi);
                    placed.push(i);
                } else if (new_nodes.len() as u32) < limit {
                    let n = est.add_node(self.template_info(g, new_nodes.len() + 1, daemon_sets));
                    if est.first_fit(&pi, [n]).is_some() {
                        est.add_pod(n, pi);
                        new_nodes.push(n);
                        placed.push(i);
                    } else {
                        est.pop_empty_node();
                    }
                }
            }
            if !new_nodes.is_empty() {
                options.push((g, new_nodes.len() as u32, placed));
            }
        }
        // The expanders' choice; none (the priority expander without its ConfigMap): no
        // scale-up (ScaleUpNoOptionsAvailable), as when no group could take a pod.
        let best = if options.is_empty() { None } else { self.best_option(store, &options, &infos, now, out) };
        let Some(best) = best else {
            // NotTriggerScaleUp for the pods no group could take, reasons counted by groups.
            for (i, o) in help.iter().enumerate() {
                if schedulable[i] {
                    continue;
                }
                let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
                for r in &reasons[i] {
                    *counts.entry(r.as_str()).or_default() += 1;
                }
                let msg = counts.iter().map(|(r, n)| format!("{n} {r}")).collect::<Vec<_>>().join(", ");
                self.event(o, "Normal", "NotTriggerScaleUp", &format!("pod didn't trigger scale-up: {msg}"), now, out);
            }
            return false;
        };
        let (g, n, placed) = options[best].clone();
        let group = &mut self.groups[g];
        let before = group.target;
        group.target += n;
        let info = format!("[{{{} {}->{} (max: {})}}]", group.pool.name, before, group.target, group.max);
        for _ in 0..n {
            // The next machine name nobody holds.
            let mut name = format!("{}-{}", group.pool.name, group.next);
            while taken.contains(name.as_str()) || self.booting.contains_key(&name) {
                group.next += 1;
                name = format!("{}-{}", group.pool.name, group.next);
            }
            group.next += 1;
            self.booting.insert(name.clone(), (g, now));
            out.push(Act::AddNode { pool: group.pool.name.clone(), name, after: group.provisioning_delay });
        }
        for i in placed {
            self.event(help[i], "Normal", "TriggeredScaleUp", &format!("pod triggered scale-up: {info}"), now, out);
        }
        self.last_scale_up = Some(now);
        true
    }

    /// The expanders' choice among (group, nodes, pods) options: each filter of the chain
    /// narrows them, the first to leave one decides, and a random draw ends the rest
    /// (expander/factory chainStrategy.BestOption with random's fallback).
    fn best_option(&mut self, store: &Store, options: &[(usize, u32, Vec<usize>)], infos: &[Rc<PodInfo>], now: SimTime, out: &mut Vec<Act>) -> Option<usize> {
        let mut best: Vec<usize> = (0..options.len()).collect();
        for e in self.expanders.clone() {
            match e {
                // The random filter keeps every option; the fallback draws.
                Expander::Random => {}
                Expander::MostPods => {
                    let most = best.iter().map(|&i| options[i].2.len()).max().unwrap_or(0);
                    best.retain(|&i| options[i].2.len() == most);
                }
                Expander::LeastNodes => {
                    let least = best.iter().map(|&i| options[i].1).filter(|n| *n > 0).min().unwrap_or(0);
                    best.retain(|&i| options[i].1 == least);
                }
                Expander::LeastWaste => {
                    // waste.go: the node's capacity (not allocatable) times the new nodes,
                    // less the option's pods' requests, as fractions of cpu plus memory.
                    let waste = |o: &(usize, u32, Vec<usize>)| {
                        let t = self.template(o.0, 0);
                        let cap = |r: &str| t.status.capacity.get(r).or_else(|| t.status.allocatable.get(r)).cloned().unwrap_or_default();
                        let cpu = cap("cpu").milli_value() * i64::from(o.1);
                        let mem = cap("memory").value() * i64::from(o.1);
                        let (rc, rm) = o.2.iter().fold((0i64, 0i64), |(c, m), i| (c + infos[*i].milli_cpu, m + infos[*i].memory));
                        (cpu - rc) as f64 / cpu.max(1) as f64 + (mem - rm) as f64 / mem.max(1) as f64
                    };
                    let scores: Vec<(usize, f64)> = best.iter().map(|&i| (i, waste(&options[i]))).collect();
                    let least = scores.iter().map(|s| s.1).fold(f64::INFINITY, f64::min);
                    best = scores.into_iter().filter(|s| s.1 == least).map(|s| s.0).collect();
                }
                Expander::Priority => best = self.priority(store, options, best, now, out),
            }
            if best.len() == 1 {
                return Some(best[0]);
            }
        }
        if best.is_empty() {
            return None;
        }
        Some(best[self.rng.random_range(0..best.len())])
    }

    /// The priority expander (expander/priority/priority.go BestOptions): the ConfigMap
    /// `cluster-autoscaler-priority-expander` in kube-system, read at each choice, maps
    /// priorities to lists of regular expressions over node group ids (here the pools'
    /// names, unanchored as Go's FindStringIndex); the options whose group matches the
    /// highest priority any option reaches are kept. A group that matches nothing is not
    /// used (`PriorityConfigMapNotMatchedGroup`); when no option matches, all are kept
    /// (`PriorityConfigMapNoGroupMatched`). Without the ConfigMap, or with one that does
    /// not parse (`PriorityConfigMapInvalid`), it keeps none: no scale-up.
    fn priority(&mut self, store: &Store, options: &[(usize, u32, Vec<usize>)], best: Vec<usize>, now: SimTime, out: &mut Vec<Act>) -> Vec<usize> {
        let Some(cm) = store.get_parts(&Kind::ConfigMap, "kube-system", PRIORITY_CONFIG_MAP).cloned() else { return Vec::new() };
        let data = if let Object::ConfigMap(c) = &*cm { c.data.get("priorities").cloned() } else { None };
        let parsed = match data {
            None => Err("Wrong configmap for priority expander, doesn't contain priorities key. Ignoring update.".to_string()),
            Some(text) => parse_priorities(&text).map_err(|e| format!("Wrong configuration for priority expander: {e}. Ignoring update.")),
        };
        let priorities = match parsed {
            Ok(p) => p,
            Err(msg) => {
                self.event(&cm, "Warning", "PriorityConfigMapInvalid", &msg, now, out);
                return Vec::new();
            }
        };
        let mut max_prio: Option<i64> = None;
        let mut kept = Vec::new();
        for i in &best {
            let id = self.groups[options[*i].0].pool.name.clone();
            let prio = priorities.iter().filter(|(_, res)| res.iter().any(|re| re.is_match(&id))).map(|(p, _)| *p).max();
            let Some(prio) = prio else {
                let msg = format!("Priority expander: node group {id} not found in priority expander configuration. The group won't be used.");
                self.event(&cm, "Warning", "PriorityConfigMapNotMatchedGroup", &msg, now, out);
                continue;
            };
            if max_prio.is_none_or(|m| prio > m) {
                max_prio = Some(prio);
                kept.clear();
            }
            if max_prio == Some(prio) {
                kept.push(*i);
            }
        }
        if kept.is_empty() {
            let msg = "Priority expander: no priorities info found for any of the expansion options. No options filtered.";
            self.event(&cm, "Warning", "PriorityConfigMapNoGroupMatched", msg, now, out);
            return best;
        }
        kept
    }

    /// The planner and the actuator: unneeded nodes, then deletions past their time.
    fn scale_down(&mut self, store: &Store, nodes: &[&Node], on_node: &BTreeMap<&str, Vec<Rc<Object>>>, actuate: bool, now: SimTime, out: &mut Vec<Act>) {
        let pdbs: Vec<&crate::api::pod_disruption_budget::PodDisruptionBudget> = store.list(&Kind::PodDisruptionBudget).filter_map(|o| o.as_pdb()).collect();
        let pdbs_of = |p: &Pod| -> Vec<usize> {
            pdbs.iter()
                .enumerate()
                .filter(|(_, b)| {
                    b.metadata.namespace == p.metadata.namespace && b.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(&p.metadata.labels))
                })
                .map(|(i, _)| i)
                .collect()
        };
        // The budgets' disruptions left, less those this loop's candidates would take.
        let mut remaining: Vec<i32> = pdbs.iter().map(|b| b.status.disruptions_allowed).collect();
        // Destinations: ready nodes not being deleted, with their pods; the utilization of
        // each taken before any simulated move (FilterOutUnremovable runs first).
        let infos: Vec<NodeInfo> = nodes
            .iter()
            .filter(|n| ready(n) && !self.deleting.contains_key(n.metadata.name.as_str()))
            .map(|n| node_info(n, on_node.get(n.metadata.name.as_str()).map_or(&[][..], |v| v.as_slice())))
            .collect();
        let index: BTreeMap<crate::api::meta::Text, usize> = infos.iter().enumerate().map(|(i, ni)| (ni.name.clone(), i)).collect();
        let utilization: Vec<f64> = infos
            .iter()
            .map(|ni| (ni.requested_milli_cpu as f64 / ni.alloc_milli_cpu.max(1) as f64).max(ni.requested_memory as f64 / ni.alloc_memory.max(1) as f64))
            .collect();
        let mut sim = SimCluster::new(infos, namespace_labels(store));
        let mut unneeded_now: BTreeMap<String, SimTime> = BTreeMap::new();
        let mut in_flight = vec![0u32; self.groups.len()];
        for (g, _) in self.deleting.values() {
            in_flight[*g] += 1;
        }
        for n in nodes {
            let name = &n.metadata.name;
            let Some(g) = self.group_of(n) else { continue };
            if self.deleting.contains_key(name.as_str())
                || self.unremovable.contains_key(name.as_str())
                || !ready(n)
                || self.groups[g].target <= self.groups[g].min
            {
                continue;
            }
            if n.metadata.annotations.get(SCALE_DOWN_DISABLED).is_some_and(|v| v == "true") {
                continue;
            }
            // utilization.Calculate: max of cpu and memory requests over allocatable.
            let Some(&at) = index.get(name.as_str()) else { continue };
            if utilization[at] >= UTILIZATION_THRESHOLD {
                continue;
            }
            // Drainability: which pods move, and whether any blocks — the pods the
            // snapshot has there, those moved onto it for an earlier candidate included.
            let mut moving: Vec<Rc<Object>> = Vec::new();
            let mut blocked = false;
            let snapshot_pods: Vec<Rc<Object>> = sim.node(at).pods.iter().map(|pi| pi.object.clone()).collect();
            for o in &snapshot_pods {
                let Some(p) = o.as_pod() else { continue };
                if is_mirror_pod(p) || is_daemon_set_pod(p) {
                    continue;
                }
                // The rules in upstream's order: safe-to-evict "true" makes a pod
                // movable whatever the later rules say.
                let safe = p.metadata.annotations.get(SAFE_TO_EVICT).map(String::as_str);
                if safe == Some("true") {
                    moving.push(o.clone());
                    continue;
                }
                // Local storage: a hostPath, or an emptyDir not in memory.
                let local_storage = p
                    .spec
                    .volumes
                    .iter()
                    .any(|v| v.get("hostPath").is_some() || v.get("emptyDir").is_some_and(|e| e.get("medium").and_then(|m| m.as_str()) != Some("Memory")));
                let budgets = pdbs_of(p);
                // replicated (skip-nodes-with-custom-controller-pods): a controller of a
                // kind the autoscaler knows to recreate its pods.
                let replicated =
                    p.metadata.controller_ref().is_some_and(|r| ["ReplicationController", "Job", "ReplicaSet", "StatefulSet"].contains(&r.kind.as_str()));
                if !replicated
                    || (p.metadata.namespace == "kube-system" && budgets.is_empty())
                    || safe == Some("false")
                    || local_storage
                    || budgets.iter().any(|b| remaining[*b] < 1)
                {
                    blocked = true;
                    break;
                }
                moving.push(o.clone());
            }
            // A node the simulation finds unremovable is not simulated again for 5
            // minutes (unremovable-node-recheck-timeout: RecentlyUnremovable).
            if blocked {
                self.unremovable.insert(name.to_string(), now + UNREMOVABLE_RECHECK);
                continue;
            }
            // The pods that move must fit elsewhere (findPlaceFor: taken off the
            // candidate, then placed as copies without their node on nodes not unneeded;
            // committed, so later candidates see them; undone if one does not fit).
            let mut taken_off = Vec::new();
            for o in &moving {
                if let Some(pi) = sim.remove_pod(at, o.meta().uid.as_str()) {
                    taken_off.push(pi);
                }
            }
            let mut placed: Vec<(usize, String)> = Vec::new();
            let mut fits = true;
            for o in &moving {
                let pi = unbound(o);
                let dest = (0..sim.len()).filter(|&i| i != at && !unneeded_now.contains_key(sim.node(i).name.as_str()));
                match sim.first_fit(&pi, dest) {
                    Some(i) => {
                        placed.push((i, pi.uid().to_string()));
                        sim.add_pod(i, pi);
                    }
                    None => {
                        fits = false;
                        break;
                    }
                }
            }
            if !fits {
                for (i, uid) in placed {
                    sim.remove_pod(i, &uid);
                }
                for pi in taken_off {
                    sim.add_pod(at, pi);
                }
                self.unremovable.insert(name.to_string(), now + UNREMOVABLE_RECHECK);
                continue;
            }
            for o in &moving {
                if let Some(p) = o.as_pod() {
                    for b in pdbs_of(p) {
                        remaining[b] -= 1;
                    }
                }
            }
            unneeded_now.insert(name.to_string(), self.unneeded.get(name.as_str()).copied().unwrap_or(now));
        }
        self.unneeded = unneeded_now;
        if !actuate || self.last_scale_up.is_some_and(|t| t + SCALE_DOWN_DELAY_AFTER_ADD > now) {
            return;
        }
        // NodesToDelete: unneeded long enough, within each group's min, one drain at a time.
        let draining = self
            .deleting
            .keys()
            .any(|n| on_node.get(n.as_str()).is_some_and(|ps| ps.iter().any(|o| o.as_pod().is_some_and(|p| !is_daemon_set_pod(p) && !is_mirror_pod(p)))));
        let (mut empties, mut drains) = (0usize, usize::from(draining));
        // Unneeded strictly longer than scale-down-unneeded-time (RemovableAt).
        let due: Vec<String> = self.unneeded.iter().filter(|(_, since)| **since + SCALE_DOWN_UNNEEDED_TIME < now).map(|(n, _)| n.clone()).collect();
        for name in due {
            let Some(n) = nodes.iter().find(|n| n.metadata.name == name) else { continue };
            let Some(g) = self.group_of(n) else { continue };
            if self.groups[g].target.saturating_sub(in_flight[g]) <= self.groups[g].min {
                continue;
            }
            let movable =
                on_node.get(name.as_str()).map_or(0, |ps| ps.iter().filter(|o| o.as_pod().is_some_and(|p| !is_daemon_set_pod(p) && !is_mirror_pod(p))).count());
            if movable == 0 {
                if empties >= MAX_EMPTY_AT_ONCE {
                    continue;
                }
                empties += 1;
            } else {
                if drains >= 1 {
                    continue;
                }
                drains += 1;
            }
            in_flight[g] += 1;
            self.deleting.insert(name.clone(), (g, now));
            self.unneeded.remove(&name);
            // The taint now; the evictions from the next loop, once the store has it.
            self.taint(n, now, out);
            let obj = Object::Node(Box::new((*n).clone()));
            self.event(&obj, "Normal", "ScaleDown", "marked the node as toBeDeleted/unschedulable", now, out);
        }
    }

    /// Evictions of a node's pods (not DaemonSet or mirror pods).
    fn evict(&mut self, node: &str, on_node: &BTreeMap<&str, Vec<Rc<Object>>>, now: SimTime, out: &mut Vec<Act>) {
        for o in on_node.get(node).map_or(&[][..], |v| v.as_slice()) {
            let Some(p) = o.as_pod() else { continue };
            if is_daemon_set_pod(p) || is_mirror_pod(p) || p.metadata.rare.deletion_timestamp.is_some() {
                continue;
            }
            self.event(o, "Normal", "ScaleDown", "deleting pod for node scale down", now, out);
            out.push(Act::Request(Box::new(Request::Evict(Box::new(Eviction {
                namespace: p.metadata.namespace.to_string(),
                name: p.metadata.name.to_string(),
                grace_period_seconds: None,
            })))));
        }
    }

    /// Nodes being deleted: the taint made sure of, what is left evicted, the node
    /// deleted once only DaemonSet and mirror pods are left (DeleteNodes: the machine and
    /// the Node go), or the drain given up once its pods outlive max-pod-eviction-time
    /// and their grace (ScaleDownFailed, the taint removed). Returns the nodes deleted.
    fn finish_deletions(
        &mut self,
        nodes: &[&Node],
        on_node: &BTreeMap<&str, Vec<Rc<Object>>>,
        now: SimTime,
        out: &mut Vec<Act>,
    ) -> std::collections::BTreeSet<String> {
        let mut deleted = std::collections::BTreeSet::new();
        let names: Vec<(String, usize, SimTime)> = self.deleting.iter().map(|(n, (g, t))| (n.clone(), *g, *t)).collect();
        for (name, g, started) in names {
            let Some(n) = nodes.iter().find(|n| n.metadata.name == name) else {
                // Gone by other hands: nothing left to do.
                self.deleting.remove(&name);
                continue;
            };
            let movable: Vec<&Pod> = on_node
                .get(name.as_str())
                .map_or(&[][..], |v| v.as_slice())
                .iter()
                .filter_map(|o| o.as_pod())
                .filter(|p| !is_daemon_set_pod(p) && !is_mirror_pod(p))
                .collect();
            if !movable.is_empty() {
                let grace = movable.iter().map(|p| p.spec.termination_grace_period_seconds.unwrap_or(30).clamp(0, 600)).max().unwrap_or(30) as u64;
                if now > started + MAX_POD_EVICTION_TIME + SimDuration::from_secs(grace + 30) {
                    self.deleting.remove(&name);
                    self.unremovable.insert(name.clone(), now + UNREMOVABLE_RECHECK);
                    let left: Vec<String> = movable.iter().map(|p| format!("{}/{}", p.metadata.namespace, p.metadata.name)).collect();
                    let obj = Object::Node(Box::new((*n).clone()));
                    self.event(
                        &obj,
                        "Warning",
                        "ScaleDownFailed",
                        &format!("failed to drain and delete node: pods remaining after timeout: {}", left.join(", ")),
                        now,
                        out,
                    );
                    let mut untainted = (*n).clone();
                    untainted.spec.taints.retain(|t| t.key != TO_BE_DELETED_TAINT);
                    out.push(Act::Request(Box::new(Request::Update(Object::Node(Box::new(untainted))))));
                    continue;
                }
                // The taint first (a write lost to a conflict is made again), then the
                // evictions, tried again each loop.
                if !n.spec.taints.iter().any(|t| t.key == TO_BE_DELETED_TAINT) {
                    self.taint(n, now, out);
                    continue;
                }
                self.evict(&name, on_node, now, out);
                continue;
            }
            self.deleting.remove(&name);
            // The cloud's DeleteNodes refuses to take a group below its min (GCE's
            // `min size reached, nodes will not be deleted`): when other hands removed
            // machines since the plan, the node stays and its taint goes.
            let size = nodes.iter().filter(|m| !deleted.contains(m.metadata.name.as_str()) && self.group_of(m) == Some(g)).count()
                + self.booting.values().filter(|(b, _)| *b == g).count();
            if size as u32 <= self.groups[g].min {
                self.unremovable.insert(name.clone(), now + UNREMOVABLE_RECHECK);
                let obj = Object::Node(Box::new((*n).clone()));
                self.event(&obj, "Warning", "ScaleDownFailed", "failed to delete node: min size reached, nodes will not be deleted", now, out);
                let mut untainted = (*n).clone();
                untainted.spec.taints.retain(|t| t.key != TO_BE_DELETED_TAINT);
                out.push(Act::Request(Box::new(Request::Update(Object::Node(Box::new(untainted))))));
                continue;
            }
            deleted.insert(name.clone());
            let obj = Object::Node(Box::new((*n).clone()));
            self.event(&obj, "Normal", "ScaleDown", "nodes removed by cluster autoscaler", now, out);
            out.push(Act::RemoveMachine(name.clone()));
            out.push(Act::Request(Box::new(Request::Delete { key: Box::new(ObjectKey::new(Kind::Node, "", &name)), grace_period_seconds: None, uid: None })));
        }
        deleted
    }

    /// The ToBeDeletedByClusterAutoscaler taint, on the node as the store has it.
    fn taint(&mut self, n: &Node, now: SimTime, out: &mut Vec<Act>) {
        let mut tainted = n.clone();
        tainted.spec.taints.retain(|t| t.key != TO_BE_DELETED_TAINT);
        tainted.spec.taints.push(Taint {
            key: TO_BE_DELETED_TAINT.into(),
            value: now.as_ms().div_euclid(1000).to_string(),
            effect: "NoSchedule".into(),
            time_added: None,
        });
        out.push(Act::Request(Box::new(Request::Update(Object::Node(Box::new(tainted))))));
    }
}
