//! Invariants: read-only checkers that watch every store write and every watch delivery
//! of a run (TigerBeetle's and FoundationDB's habit: the checkers live apart from the
//! model). Safety invariants are checked as each write happens; liveness ones
//! (`converged`) once the cluster has had the time Kubernetes needs to settle. Each
//! violation names the invariant, the moment and engine event that broke it, and the
//! objects involved.
//!
//! Every invariant states a guarantee Kubernetes itself gives — no stricter — and names
//! the upstream code that gives it:
//! - `node-not-overcommitted`: the kubelet admits a pod only if the requests of the pods
//!   it runs fit the node's allocatable (pkg/kubelet/lifecycle/predicate.go,
//!   GeneralPredicates → noderesources.Fits). Counted over pods the kubelet admitted
//!   (status.startTime set) and that are not terminal.
//! - `pod-bound-once`: the binding subresource refuses a pod that already has a node
//!   (pkg/registry/core/pod/storage/storage.go, assignPod: "pod %v is already assigned to
//!   node %q"); nothing else changes spec.nodeName (it is immutable once set).
//! - `bound-to-existing-node`: kube-scheduler binds only to a node in its snapshot; the
//!   binding API does not check the node, so a node deleted just before a bind can be
//!   named (PodGC cleans such pods up). The guarantee: the node existed no earlier than
//!   the scheduler's view of the store (watch latency) plus the bind's trip (request
//!   latency) before the bind.
//! - `pod-ip-unique`, `pod-ip-in-node-cidr`: host-local IPAM (the CNI's, per node) hands
//!   out each address of the node's podCIDR once until it is released; node podCIDRs are
//!   disjoint (pkg/controller/nodeipam/ipam/range_allocator.go). Counted over pods that
//!   are admitted and not terminal (a finished pod keeps status.podIP after the kubelet
//!   released the address, as in Kubernetes), and not on the host's network (those
//!   share the node's address).
//! - `resource-version-increasing`: etcd's revision is one global counter, and
//!   resourceVersion is the object's modRevision.
//! - `watch-ordered-gap-free`: a watch delivers events in resourceVersion order without
//!   gaps (the watch cache, staging/src/k8s.io/apiserver/pkg/storage/cacher); ksim numbers
//!   each watcher's stream.
//! - `replicaset-within-replicas`: manageReplicas creates at most `replicas − active` pods
//!   as the sync observed them when it began (replica_set.go); its slow-start batches go
//!   on after a scale-down lands, and the next sync deletes the extras. So a create never
//!   takes a ReplicaSet's active pods above the largest spec.replicas the controller
//!   manager could have observed when the sync that sent it began: the versions delivered
//!   to it within one slow-start run (9 batches for burstReplicas 500, each a round trip:
//!   17 request latencies) before the create lands, or the last one delivered before.
//! - `replicaset-ready-counted-once`: see replica_set.rs.
//! - `deployment-within-surge`, `deployment-availability-floor`: see deployment.rs.
//! - `daemonset-one-pod-per-node`: see daemon_set.rs.
//! - `eviction-within-budget`: see disruption.rs.
//! - `hpa-replicas-within-bounds`, `hpa-scales-within-rate`, `node-group-within-bounds`,
//!   `autoscaler-deletes-drained-nodes`: see autoscaling.rs.
//! - `quota-used-within-hard`: see quota.rs.
//! - `statefulset-ordered-ready`: see stateful_set.rs.
//! - `job-within-parallelism`, `job-counts-each-pod-once`,
//!   `cronjob-forbid-one-at-a-time`: see job.rs.
//! - `service-addresses-unique`: see service.rs.
//! - `endpointslices-converge` (liveness), `endpointslices-list-selected-pods`: see
//!   service.rs.
//! - `proxy-endpoints-from-slices`: see proxy.rs.
//! - `volume-bound-once`, `rwo-attached-once`: see storage.rs.
//! - `traffic-counts-add-up`: see traffic.rs (the traffic model's own bookkeeping).
//! - `controllers-converge` (liveness): once quiet, every ReplicaSet (and ReplicationController) has as many
//!   active pods as it asks for, unless it reports `ReplicaFailure` (its creates or deletes are
//!   refused — then Kubernetes does not converge either); every Deployment has observed
//!   its generation, and its ReplicaSets ask for its replicas unless its rollout is
//!   paused, reported stuck (`ProgressDeadlineExceeded`), or still within
//!   progressDeadlineSeconds of the last progress it reported (syncRolloutStatus /
//!   DeploymentTimedOut: a rollout either completes or is marked stuck by then).
//! - `nodes-recover` (liveness): a node whose kubelet and runtime run, with its network
//!   (CNI) ready and in touch with the control plane, is Ready and not tainted by the
//!   node lifecycle controller once it has had a monitor period after the grace period.

pub mod autoscaling;
pub mod daemon_set;
pub mod deployment;
pub mod disruption;
pub mod job;
pub mod proxy;
pub mod quota;
pub mod replica_set;
pub mod service;
pub mod stateful_set;
pub mod storage;
pub mod traffic;

use crate::api::{Kind, Object};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use crate::network::ipam::{parse_ip, Cidr};
use crate::scenario::model::Latency;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::fmt;

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub time: SimTime,
    /// The engine event being handled when it broke.
    pub event: String,
    pub objects: Vec<String>,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] at {} during {}: {} ({})", self.invariant, self.time, self.event, self.message, self.objects.join(", "))
    }
}

pub const NODE_OVERCOMMITTED: &str = "node-not-overcommitted";
pub const POD_BOUND_TWICE: &str = "pod-bound-once";
pub const BOUND_TO_MISSING_NODE: &str = "bound-to-existing-node";
pub const POD_IP_UNIQUE: &str = "pod-ip-unique";
pub const POD_IP_IN_CIDR: &str = "pod-ip-in-node-cidr";
pub const REVISION_INCREASING: &str = "resource-version-increasing";
pub const WATCH_ORDERED: &str = "watch-ordered-gap-free";
pub const REPLICASET_BOUND: &str = "replicaset-within-replicas";
pub const CONVERGED: &str = "controllers-converge";
pub const NODES_RECOVER: &str = "nodes-recover";

pub use autoscaling::{AUTOSCALER_DELETES_DRAINED, HPA_WITHIN_BOUNDS, HPA_WITHIN_RATE, NODE_GROUP_WITHIN_BOUNDS};
pub use daemon_set::DAEMONSET_ONE_PER_NODE;
pub use deployment::{DEPLOYMENT_FLOOR, DEPLOYMENT_SURGE};
pub use disruption::EVICTION_WITHIN_BUDGET;
pub use job::{CRONJOB_FORBID, JOB_COUNTS_ONCE, JOB_WITHIN_PARALLELISM};
pub use proxy::PROXY_ENDPOINTS_FROM_SLICES;
pub use quota::QUOTA_WITHIN_HARD;
pub use service::{ENDPOINTS_CONVERGE, SERVICE_ADDRESSES_UNIQUE, SLICES_LIST_SELECTED};
pub use stateful_set::STATEFULSET_ORDERED;
pub use storage::{RWO_ATTACHED_ONCE, VOLUME_BOUND_ONCE};
pub use traffic::TRAFFIC_COUNTS_ADD_UP;

/// Every invariant, for listings and for the tests that make each one fire.
pub const ALL: [&str; 31] = [
    NODE_OVERCOMMITTED,
    POD_BOUND_TWICE,
    BOUND_TO_MISSING_NODE,
    POD_IP_UNIQUE,
    POD_IP_IN_CIDR,
    REVISION_INCREASING,
    WATCH_ORDERED,
    REPLICASET_BOUND,
    replica_set::REPLICASET_READY_ONCE,
    DEPLOYMENT_SURGE,
    DEPLOYMENT_FLOOR,
    DAEMONSET_ONE_PER_NODE,
    EVICTION_WITHIN_BUDGET,
    HPA_WITHIN_BOUNDS,
    HPA_WITHIN_RATE,
    NODE_GROUP_WITHIN_BOUNDS,
    AUTOSCALER_DELETES_DRAINED,
    QUOTA_WITHIN_HARD,
    JOB_WITHIN_PARALLELISM,
    JOB_COUNTS_ONCE,
    CRONJOB_FORBID,
    STATEFULSET_ORDERED,
    VOLUME_BOUND_ONCE,
    RWO_ATTACHED_ONCE,
    SERVICE_ADDRESSES_UNIQUE,
    SLICES_LIST_SELECTED,
    PROXY_ENDPOINTS_FROM_SLICES,
    TRAFFIC_COUNTS_ADD_UP,
    CONVERGED,
    NODES_RECOVER,
    ENDPOINTS_CONVERGE,
];

/// The watcher name of the controller manager (as `Simulation::client_name` gives it).
pub const CONTROLLER_MANAGER: &str = "controller-manager";

/// The longest a ReplicaSet sync's slow-start run takes, in request latencies: 9 batches
/// (1 + 2 + … + 256 ≥ burstReplicas 500), each sent when the previous one is answered
/// (two latencies), the last one landing one latency after it is sent.
pub const SLOW_START_RUN_LATENCIES: u64 = 2 * 8 + 1;

/// After the progress deadline passes, the controller needs its requeue (+1 s against
/// skew) and a sync to mark the rollout stuck.
pub const PROGRESS_CHECK_SLACK: SimDuration = SimDuration::from_secs(2);

/// How long after the last fault the cluster must have had to settle before liveness is
/// checked: node-monitor-grace-period (50 s) + the default toleration (300 s) + slack.
pub const QUIET_AFTER_FAULTS: crate::engine::SimDuration = crate::engine::SimDuration::from_secs(420);

type Key = (String, String);

#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    cpu: i64,
    mem: i64,
    pods: i64,
}

#[derive(Clone, Debug, Default)]
struct NodeState {
    alloc: Usage,
    cidr: Option<Cidr>,
    pods: BTreeMap<Key, Usage>,
}

/// The safety checker of one run.
#[derive(Default)]
pub struct Checker {
    latency: Latency,
    /// Per ReplicaSet uid: (delivery time, spec.replicas) of the versions delivered to the
    /// controller manager, the oldest one still needed first.
    rs_seen: BTreeMap<String, VecDeque<(SimTime, i32)>>,
    /// Nodes deleted from the store, and when.
    nodes_deleted: BTreeMap<String, SimTime>,
    deployments: deployment::DeploymentChecker,
    daemon_sets: daemon_set::DaemonSetChecker,
    jobs: job::JobChecker,
    stateful_sets: stateful_set::StatefulSetChecker,
    storage: storage::StorageChecker,
    budgets: disruption::DisruptionChecker,
    autoscalers: autoscaling::AutoscalingChecker,
    services: service::ServiceChecker,
    slices: service::SliceChecker,
    proxies: proxy::ProxyChecker,
    ready_counts: replica_set::ReplicaSetReadyChecker,
    last_revision: u64,
    nodes: BTreeMap<String, NodeState>,
    ips: BTreeMap<u32, Key>,
    pod_ip: BTreeMap<Key, u32>,
    /// The node each live pod is counted on.
    pod_node: BTreeMap<Key, String>,
    /// Active pods per controller uid (for the ReplicaSet bound).
    owned: BTreeMap<String, BTreeSet<Key>>,
    pod_owner: BTreeMap<Key, String>,
    /// Per watcher: last delivery sequence number and revision.
    watches: BTreeMap<String, (u64, u64)>,
    pub violations: Vec<Violation>,
    /// Stop recording after this many (a broken run can break things millions of times).
    pub max_violations: usize,
}

fn key_of(o: &Object) -> Key {
    (o.meta().namespace.to_string(), o.meta().name.to_string())
}

fn fmt_key(kind: &str, k: &Key) -> String {
    if k.0.is_empty() {
        format!("{kind}/{}", k.1)
    } else {
        format!("{kind}/{}/{}", k.0, k.1)
    }
}

/// Whether a pod holds resources and an IP on its node: bound, admitted by the kubelet
/// (it has a start time), and not terminal.
fn holds_node(p: &crate::api::pod::Pod) -> bool {
    !p.spec.node_name.is_empty() && !p.is_terminal() && p.status.start_time.is_some()
}

impl Checker {
    pub fn new(latency: Latency) -> Self {
        Checker { latency, max_violations: 100, ..Default::default() }
    }

    /// How far back a ReplicaSet sync that lands a create now may have begun.
    fn slow_start_window(&self) -> SimDuration {
        self.latency.request.times(SLOW_START_RUN_LATENCIES)
    }

    /// The Cluster Autoscaler asked for a machine of `pool` (`add`) or deleted one; the
    /// pool had `machines` (registered or booting) before.
    #[allow(clippy::too_many_arguments)]
    pub fn on_node_group_change(&mut self, pool: &str, min: u32, max: u32, machines: u32, add: bool, time: SimTime, event: &str) {
        if let Some(v) = autoscaling::node_group_change(pool, min, max, machines, add, time, event) {
            self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
        }
    }

    fn violate(&mut self, invariant: &'static str, time: SimTime, event: &str, objects: Vec<String>, message: String) {
        if self.violations.len() < self.max_violations {
            self.violations.push(Violation { invariant, time, event: event.to_string(), objects, message });
        }
    }

    /// A write that waited `wait` in etcd before it was committed (a slow disk, an
    /// election, a write kept while none were served): its client's view is that much
    /// older, as if its request had taken that much longer.
    #[allow(clippy::too_many_arguments)]
    pub fn on_write_after(&mut self, w: &WatchEvent, verb: &str, by: &str, store: &crate::etcd::Store, time: SimTime, wait: SimDuration, event: &str) {
        let latency = self.latency;
        self.latency.request = SimDuration::from_ms(latency.request.as_ms() + wait.as_ms());
        self.on_write(w, verb, by, store, time, event);
        self.latency = latency;
    }

    /// A write the apiserver just made (`verb` as logged) for client `by`, during engine
    /// event `event`.
    pub fn on_write(&mut self, w: &WatchEvent, verb: &str, by: &str, store: &crate::etcd::Store, time: SimTime, event: &str) {
        if w.object.as_replica_set().is_some() {
            let mut found = Vec::new();
            self.deployments.on_write(w, by == CONTROLLER_MANAGER, store, time, self.latency.request, event, &mut found);
            for v in found {
                self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
            }
        }
        // A reconcile reads the HPA from a cache a watch behind, then lists metrics and
        // writes the scale: two round trips, and the workers' 5 ms.
        let reach = SimDuration::from_ms(self.latency.watch.as_ms() + 4 * self.latency.request.as_ms() + 10);
        if let Some(v) = self.autoscalers.on_write(w, verb, by, time, reach, self.latency.request, store, event) {
            self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
        }
        if let Some(v) = quota::on_write(w, verb, time, event) {
            self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
        }
        let obj_name = fmt_key(w.object.kind().name(), &key_of(&w.object));
        if w.revision <= self.last_revision || w.object.meta().resource_version.0 != w.revision {
            self.violate(
                REVISION_INCREASING,
                time,
                event,
                vec![obj_name.clone()],
                format!("revision {} after {} (object resourceVersion {})", w.revision, self.last_revision, w.object.meta().resource_version.0),
            );
        }
        self.last_revision = self.last_revision.max(w.revision);
        match &*w.object {
            Object::Node(n) => {
                let st = self.nodes.entry(n.metadata.name.to_string()).or_default();
                if w.type_ == WatchEventType::Deleted {
                    // The node's podCIDR is released (range_allocator ReleaseCIDR) and may
                    // go to a new node; its pods hold nothing any more (PodGC deletes them).
                    st.cidr = None;
                    st.pods.clear();
                    self.nodes_deleted.insert(n.metadata.name.to_string(), time);
                    let gone: Vec<Key> = self.pod_node.iter().filter(|(_, node)| **node == n.metadata.name).map(|(k, _)| k.clone()).collect();
                    for k in gone {
                        self.pod_node.remove(&k);
                        if let Some(ip) = self.pod_ip.remove(&k) {
                            if self.ips.get(&ip) == Some(&k) {
                                self.ips.remove(&ip);
                            }
                        }
                    }
                    return;
                }
                self.nodes_deleted.remove(n.metadata.name.as_str());
                let a = &n.status.allocatable;
                st.alloc = Usage {
                    cpu: a.get("cpu").map_or(0, |q| q.milli_value()),
                    mem: a.get("memory").map_or(0, |q| q.value()),
                    pods: a.get("pods").map_or(0, |q| q.value()),
                };
                st.cidr = Cidr::parse(&n.spec.pod_cidr).ok();
            }
            Object::Pod(p) => {
                self.slices.on_pod(w, time);
                self.ready_counts.on_pod(w, time);
                let lag = SimDuration::from_ms(self.slow_start_window().as_ms() + self.latency.watch.as_ms());
                if let Some(v) = self.daemon_sets.on_pod(w, p, by == CONTROLLER_MANAGER, store, lag, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
                if let Some(v) = self.jobs.on_pod(w, p, by == CONTROLLER_MANAGER, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
                // The StatefulSet controller's view: a watch behind at its sync, a round
                // trip for its create, and the 5 ms before its workers run.
                let set_lag = SimDuration::from_ms(2 * (self.latency.request.as_ms() + self.latency.watch.as_ms()) + 10);
                if let Some(v) = self.stateful_sets.on_pod(w, p, by == CONTROLLER_MANAGER, set_lag, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
                self.on_pod(w, p, verb, store, time, event, obj_name)
            }
            Object::DaemonSet(ds) => self.daemon_sets.on_daemon_set(ds, w.type_ == WatchEventType::Deleted, time),
            Object::Job(j) => {
                // The CronJob controller's view: its cache (a watch behind) at a sync,
                // the create's round trip after.
                let lag = SimDuration::from_ms(4 * (self.latency.request.as_ms() + self.latency.watch.as_ms()) + 10);
                let (created, deleted) = (w.type_ == WatchEventType::Added, w.type_ == WatchEventType::Deleted);
                if let Some(v) = self.jobs.on_job(j, created, deleted, by == CONTROLLER_MANAGER, lag, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
            }
            Object::CronJob(cj) => self.jobs.on_cron_job(cj, w.type_ == WatchEventType::Deleted),
            Object::StatefulSet(s) => self.stateful_sets.on_set(s, w.type_ == WatchEventType::Deleted),
            Object::PersistentVolumeClaim(c) => {
                if let Some(v) = self.storage.on_claim(w, c, by == CONTROLLER_MANAGER, store, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
            }
            Object::VolumeAttachment(a) => {
                if let Some(v) = self.storage.on_attachment(w, a, store, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
            }
            Object::PodDisruptionBudget(pdb) => {
                if let Some(v) = self.budgets.on_write(w, pdb, verb, by, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
            }
            Object::Service(svc) => {
                self.slices.on_service(w, time);
                for v in self.services.on_write(svc, w.type_ == WatchEventType::Deleted, time, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
            }
            Object::ReplicaSet(_) | Object::ReplicationController(_) if w.type_ == WatchEventType::Deleted => {
                self.ready_counts.forget(&w.object.meta().uid);
            }
            Object::ReplicaSet(_) | Object::ReplicationController(_) if by == CONTROLLER_MANAGER => {
                // Checked when a write changes readyReplicas (a status computed now; other
                // writes carry the stored status along).
                let ready = |o: &Object| match o {
                    Object::ReplicaSet(r) => Some(r.status.ready_replicas),
                    Object::ReplicationController(r) => Some(r.status.ready_replicas),
                    _ => None,
                };
                let now = ready(&w.object);
                if now.is_some() && w.prev.as_deref().map(ready) != Some(now) {
                    let lag = SimDuration::from_ms(self.latency.watch.as_ms() + self.latency.request.as_ms() + crate::controller_manager::SYNC_DELAY.as_ms());
                    let object = fmt_key(&w.object.kind().name().to_ascii_lowercase(), &key_of(&w.object));
                    if let Some(v) = self.ready_counts.on_status(&w.object.meta().uid, object, now.unwrap_or(0), time, lag, event) {
                        self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                    }
                }
            }
            Object::EndpointSlice(s) if w.type_ != WatchEventType::Deleted => {
                self.proxies.on_slice(s);
                // The controller's view: a watch behind, read at a sync, written a
                // request later.
                let lag = SimDuration::from_ms(self.latency.watch.as_ms() + self.latency.request.as_ms() + crate::controller_manager::SYNC_DELAY.as_ms());
                for v in self.slices.on_slice(s, store, time, lag, event) {
                    self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
                }
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_pod(&mut self, w: &WatchEvent, p: &crate::api::pod::Pod, verb: &str, store: &crate::etcd::Store, time: SimTime, event: &str, name: String) {
        let key = key_of(&w.object);
        let prev = w.prev.as_ref().and_then(|o| o.as_pod());
        if let Some(prev) = prev {
            if !prev.spec.node_name.is_empty() && prev.spec.node_name != p.spec.node_name && w.type_ != WatchEventType::Deleted {
                self.violate(POD_BOUND_TWICE, time, event, vec![name.clone()], format!("moved from node {} to {:?}", prev.spec.node_name, p.spec.node_name));
            }
        }
        if verb == "bind" && store.get_parts(&Kind::Node, "", &p.spec.node_name).is_none() {
            // The scheduler may have decided before it saw the deletion (watch latency),
            // and the bind takes a request latency to land.
            let lag = SimDuration::from_ms(self.latency.watch.as_ms() + self.latency.request.as_ms());
            let recent = self.nodes_deleted.get(p.spec.node_name.as_str()).is_some_and(|d| time.since(*d) <= lag);
            if !recent {
                self.violate(
                    BOUND_TO_MISSING_NODE,
                    time,
                    event,
                    vec![name.clone(), format!("node/{}", p.spec.node_name)],
                    format!("bound to a node that does not exist (and did not within {lag} before)"),
                );
            }
        }
        // Resources on the node.
        if let Some(old) = self.pod_node.remove(&key) {
            if let Some(st) = self.nodes.get_mut(&old) {
                st.pods.remove(&key);
            }
        }
        let live = w.type_ != WatchEventType::Deleted && holds_node(p) && !self.nodes_deleted.contains_key(p.spec.node_name.as_str());
        if live {
            let r = p.spec.requests();
            let node = p.spec.node_name.to_string();
            self.pod_node.insert(key.clone(), node.clone());
            let st = self.nodes.entry(node.clone()).or_default();
            st.pods.insert(key.clone(), Usage { cpu: r.milli_cpu, mem: r.memory, pods: 1 });
            let used = st.pods.values().fold(Usage::default(), |a, u| Usage { cpu: a.cpu + u.cpu, mem: a.mem + u.mem, pods: a.pods + u.pods });
            let alloc = st.alloc;
            if used.cpu > alloc.cpu || used.mem > alloc.mem || used.pods > alloc.pods {
                self.violate(
                    NODE_OVERCOMMITTED,
                    time,
                    event,
                    vec![format!("node/{node}"), name.clone()],
                    format!("requests cpu {}m/{}m, memory {}/{}, pods {}/{}", used.cpu, alloc.cpu, used.mem, alloc.mem, used.pods, alloc.pods),
                );
            }
        }
        // Pod IPs.
        if let Some(old) = self.pod_ip.remove(&key) {
            if self.ips.get(&old) == Some(&key) {
                self.ips.remove(&old);
            }
        }
        // hostNetwork pods share their node's address: the CNI hands them nothing.
        if live && !p.status.pod_ip.is_empty() && p.spec.host_network != Some(true) {
            if let Some(ip) = parse_ip(&p.status.pod_ip) {
                if let Some(other) = self.ips.get(&ip).filter(|o| **o != key).cloned() {
                    self.violate(POD_IP_UNIQUE, time, event, vec![name.clone(), fmt_key("pod", &other)], format!("both hold {}", p.status.pod_ip));
                }
                let cidr = self.nodes.get(p.spec.node_name.as_str()).and_then(|n| n.cidr);
                match cidr {
                    Some(c) if c.contains(ip) => {}
                    c => self.violate(
                        POD_IP_IN_CIDR,
                        time,
                        event,
                        vec![name.clone(), format!("node/{}", p.spec.node_name)],
                        format!("{} is outside the node's pod CIDR {}", p.status.pod_ip, c.map_or("(none)".to_string(), |c| c.to_string())),
                    ),
                }
                self.ips.insert(ip, key.clone());
                self.pod_ip.insert(key.clone(), ip);
            }
        }
        // Active pods per controller.
        if let Some(old) = self.pod_owner.remove(&key) {
            if let Some(set) = self.owned.get_mut(&old) {
                set.remove(&key);
            }
        }
        if let Some(owner) = p.metadata.controller_ref() {
            if w.type_ != WatchEventType::Deleted && crate::controller_manager::controller_utils::is_pod_active(p) {
                self.owned.entry(owner.uid.clone()).or_default().insert(key.clone());
                self.pod_owner.insert(key.clone(), owner.uid.clone());
            }
        }
        // A create never takes a ReplicaSet above what its sync could have observed.
        if w.type_ == WatchEventType::Added {
            if let Some(owner) = p.metadata.controller_ref().filter(|r| r.kind == "ReplicaSet") {
                let active = self.owned.get(&owner.uid).map_or(0, |s| s.len()) as i64;
                let allowed = self.observed_replicas(&owner.uid, time);
                if allowed.is_none_or(|a| active > i64::from(a)) {
                    let why = match allowed {
                        Some(a) => format!("{active} active pods, but the largest replicas the controller could have observed when the sync began is {a}"),
                        None => format!("{active} active pods, but the controller manager was never shown this ReplicaSet"),
                    };
                    self.violate(REPLICASET_BOUND, time, event, vec![format!("replicaset/{}/{}", p.metadata.namespace, owner.name), name], why);
                }
            }
        }
    }

    /// The largest spec.replicas of a ReplicaSet that a sync landing a create at `time`
    /// may have started from (see `replicaset-within-replicas`).
    fn observed_replicas(&mut self, uid: &str, time: SimTime) -> Option<i32> {
        let window = self.slow_start_window();
        let seen = self.rs_seen.get_mut(uid)?;
        let start = SimTime(time.as_ms().saturating_sub(window.as_ms()));
        // Keep the newest version delivered at or before the window's start, and later ones.
        while seen.len() > 1 && seen[1].0 <= start {
            seen.pop_front();
        }
        seen.iter().map(|(_, r)| *r).max()
    }

    /// The kube-proxy of `node` synced its rules.
    pub fn on_proxy_sync(&mut self, node: &str, view: &crate::proxy::ProxyView, time: SimTime, event: &str) {
        for v in self.proxies.on_sync(node, view, time, event) {
            self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
        }
    }

    /// A traffic client's cumulative counts after a tick.
    pub fn on_traffic(&mut self, name: &str, c: &crate::traffic::Counters, time: SimTime) {
        if let Some(v) = traffic::check(name, c, time, "a traffic tick") {
            self.violate(v.invariant, v.time, &v.event, v.objects, v.message);
        }
    }

    /// A watch event delivered to `watcher` with its per-watcher sequence number.
    /// A watcher's process restarted: its stream starts again from 1.
    pub fn forget_watcher(&mut self, watcher: &str) {
        self.watches.remove(watcher);
    }

    pub fn on_delivery(&mut self, watcher: &str, seq: u64, ev: &WatchEvent, time: SimTime, event: &str) {
        let revision = ev.revision;
        if watcher == CONTROLLER_MANAGER {
            let keep = SimDuration::from_ms(self.latency.request.as_ms() + 1);
            self.deployments.on_delivery(ev, time, keep);
            if let Some(rs) = ev.object.as_replica_set() {
                if ev.type_ == WatchEventType::Deleted {
                    self.rs_seen.remove(rs.metadata.uid.as_str());
                } else {
                    let start = SimTime(time.as_ms().saturating_sub(self.slow_start_window().as_ms()));
                    let seen = self.rs_seen.entry(rs.metadata.uid.to_string()).or_default();
                    if seen.back().is_none_or(|(_, r)| *r != rs.replicas()) {
                        seen.push_back((time, rs.replicas()));
                    }
                    while seen.len() > 1 && seen[1].0 <= start {
                        seen.pop_front();
                    }
                }
            }
        }
        let (last_seq, last_rev) = self.watches.get(watcher).copied().unwrap_or((0, 0));
        if seq != last_seq + 1 || revision <= last_rev {
            self.violate(
                WATCH_ORDERED,
                time,
                event,
                vec![watcher.to_string()],
                format!("delivery #{seq} (revision {revision}) after #{last_seq} (revision {last_rev})"),
            );
        }
        self.watches.insert(watcher.to_string(), (seq, revision));
    }
}

/// Liveness once the cluster has had the time to settle: every ReplicaSet has as many
/// active pods as it asks for (unless it reports ReplicaFailure), every Deployment's
/// ReplicaSets are scaled to it, and every node whose kubelet runs is Ready and untainted.
pub fn converged(store: &crate::etcd::Store, alive: &BTreeSet<String>, time: SimTime) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut v = |inv: &'static str, objects: Vec<String>, message: String| {
        out.push(Violation { invariant: inv, time, event: "quiet cluster".into(), objects, message })
    };
    let mut active: BTreeMap<&str, i32> = BTreeMap::new();
    for p in store.list(&Kind::Pod).filter_map(|o| o.as_pod()) {
        if let Some(r) = p.metadata.controller_ref().filter(|_| crate::controller_manager::controller_utils::is_pod_active(p)) {
            *active.entry(r.uid.as_str()).or_default() += 1;
        }
    }
    let mut rs_replicas: BTreeMap<&str, i32> = BTreeMap::new();
    for o in store.list(&Kind::ReplicaSet) {
        let rs = o.as_replica_set().expect("rs");
        if let Some(owner) = rs.metadata.controller_ref() {
            *rs_replicas.entry(owner.uid.as_str()).or_default() += rs.replicas();
        }
        if rs.metadata.rare.deletion_timestamp.is_some()
            || rs.condition(crate::controller_manager::replica_set::REPLICA_FAILURE).is_some_and(|c| c.status == "True")
        {
            continue;
        }
        let n = active.get(rs.metadata.uid.as_str()).copied().unwrap_or(0);
        if n != rs.replicas() || rs.status.replicas != n {
            v(
                CONVERGED,
                vec![format!("replicaset/{}/{}", rs.metadata.namespace, rs.metadata.name)],
                format!("{n} active pods (status says {}) for {} replicas", rs.status.replicas, rs.replicas()),
            );
        }
    }
    // ReplicationControllers are managed by the same code (pkg/controller/replication).
    for rc in store.list(&Kind::ReplicationController).filter_map(|o| o.as_replication_controller()) {
        let failing = rc.status.conditions.iter().any(|c| c.type_ == crate::controller_manager::replica_set::REPLICA_FAILURE && c.status == "True");
        if rc.metadata.rare.deletion_timestamp.is_some() || failing {
            continue;
        }
        let n = active.get(rc.metadata.uid.as_str()).copied().unwrap_or(0);
        if n != rc.replicas() || rc.status.replicas != n {
            v(
                CONVERGED,
                vec![format!("replicationcontroller/{}/{}", rc.metadata.namespace, rc.metadata.name)],
                format!("{n} active pods (status says {}) for {} replicas", rc.status.replicas, rc.replicas()),
            );
        }
    }
    for o in store.list(&Kind::Deployment) {
        let d = o.as_deployment().expect("deployment");
        let total = rs_replicas.get(d.metadata.uid.as_str()).copied().unwrap_or(0);
        // A rollout may legitimately be unfinished: paused, reported stuck
        // (ProgressDeadlineExceeded), or still inside its progress deadline since the last
        // progress it reported (upstream's guarantee is that one of those holds).
        let progressing = d.status.conditions.iter().find(|c| c.type_ == "Progressing");
        let excused = d.spec.paused == Some(true)
            || progressing.is_some_and(|c| c.reason == "ProgressDeadlineExceeded")
            || progressing.and_then(|c| c.last_update_time).zip(d.spec.progress_deadline_seconds).is_some_and(|(t, secs)| {
                t.0.as_ms()
                    .saturating_add(u64::try_from(secs).unwrap_or(0).saturating_mul(1000))
                    .saturating_add(crate::invariants::PROGRESS_CHECK_SLACK.as_ms())
                    >= time.as_ms()
            });
        if d.status.observed_generation != d.metadata.rare.generation || (total != d.replicas() && !excused) {
            v(
                CONVERGED,
                vec![format!("deployment/{}/{}", d.metadata.namespace, d.metadata.name)],
                format!(
                    "ReplicaSets ask for {total} of {} replicas (observed generation {} of {})",
                    d.replicas(),
                    d.status.observed_generation,
                    d.metadata.rare.generation
                ),
            );
        }
    }
    for o in store.list(&Kind::Node) {
        let n = o.as_node().expect("node");
        if !alive.contains(n.metadata.name.as_str()) {
            continue;
        }
        let tainted =
            n.spec.taints.iter().any(|t| t.key == crate::apiserver::defaults::TAINT_UNREACHABLE || t.key == crate::apiserver::defaults::TAINT_NOT_READY);
        if n.ready_status() != "True" || tainted {
            v(
                NODES_RECOVER,
                vec![format!("node/{}", n.metadata.name)],
                format!("Ready={} with taints {:?}", n.ready_status(), n.spec.taints.iter().map(|t| t.describe()).collect::<Vec<_>>()),
            );
        }
    }
    out.extend(service::endpoints_converged(store, time));
    out
}

/// How long after the last workload action (apply, scale, delete) the controllers may
/// take to converge: the Deployment and ReplicaSet hops (each a request, a watch and the
/// workers' pick-up delay), then one slow-start run per 500 replicas (each 17 request
/// latencies, plus seeing the pods and picking the key up again), then the status writes.
pub fn settle_after_action(latency: Latency, replicas: i64) -> SimDuration {
    let hop = latency.request.as_ms() + latency.watch.as_ms() + crate::controller_manager::SYNC_DELAY.as_ms();
    let run = latency.request.as_ms() * SLOW_START_RUN_LATENCIES + hop;
    let runs = (replicas.max(0) as u64).div_ceil(crate::controller_manager::replica_set::BURST_REPLICAS as u64) + 1;
    SimDuration::from_ms((10 * hop).saturating_add(runs.saturating_mul(run)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::{OwnerReference, Time};
    use crate::api::node::Node;
    use crate::api::pod::{Container, Pod};
    use crate::api::quantity::Quantity;
    use crate::api::replica_set::ReplicaSet;
    use crate::etcd::{HistoryLimits, Store};
    use std::rc::Rc;

    fn node(name: &str, cidr: &str) -> Object {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.spec.pod_cidr = cidr.into();
        n.status.allocatable = [("cpu", Quantity::from_milli(1000)), ("memory", Quantity::from_bytes(1 << 30)), ("pods", Quantity::from_value(2))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect::<crate::api::pod::ResourceList>()
            .into();
        Object::Node(Box::new(n))
    }

    fn pod(name: &str, node: &str, ip: &str, cpu_m: i64) -> Object {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        let mut c = Container { name: "c".into(), image: "x".into(), ..Default::default() };
        c.resources.requests.insert("cpu".into(), Quantity::from_milli(cpu_m));
        Rc::make_mut(&mut p.spec).containers = Rc::new(vec![c]);
        Rc::make_mut(&mut p.spec).node_name = node.into();
        p.status.start_time = Time(SimTime(0)).into();
        p.status.pod_ip = ip.into();
        p.status.phase = "Running".into();
        Object::Pod(Box::new(p))
    }

    fn owned_by(mut o: Object, rs: &str, uid: &str) -> Object {
        *o.meta_mut().owner_references = vec![OwnerReference {
            api_version: "apps/v1".into(),
            kind: "ReplicaSet".into(),
            name: rs.into(),
            uid: uid.into(),
            controller: Some(true),
            block_owner_deletion: None,
        }];
        o
    }

    fn replica_set(name: &str, uid: &str, replicas: i32) -> Object {
        let mut rs = ReplicaSet::default();
        rs.metadata.name = name.into();
        rs.metadata.namespace = "default".into();
        rs.metadata.uid = uid.into();
        rs.spec.replicas = Some(replicas);
        Object::ReplicaSet(Box::new(rs))
    }

    fn write_at(store: &mut Store, c: &mut Checker, o: Object, verb: &str, t: SimTime) -> Rc<WatchEvent> {
        let exists = store.get(&o.key()).is_some();
        let ev = if exists { store.update(o, t) } else { store.create(o, t) }.unwrap();
        c.on_write(&ev, verb, "test", store, t, "test");
        ev
    }

    fn write(store: &mut Store, c: &mut Checker, o: Object) {
        write_at(store, c, o, "update", SimTime(1));
    }

    fn names(c: &Checker) -> Vec<&'static str> {
        c.violations.iter().map(|v| v.invariant).collect()
    }

    fn checker() -> (Store, Checker) {
        (Store::new(HistoryLimits::default()), Checker::new(Latency::default()))
    }

    #[test]
    fn catches_overcommit_duplicate_ips_and_ips_outside_the_cidr() {
        let (mut s, mut c) = checker();
        write(&mut s, &mut c, node("n1", "10.244.0.0/24"));
        write(&mut s, &mut c, pod("a", "n1", "10.244.0.2", 600));
        assert!(c.violations.is_empty());
        write(&mut s, &mut c, pod("b", "n1", "10.244.0.2", 600));
        assert_eq!(names(&c), [NODE_OVERCOMMITTED, POD_IP_UNIQUE]);
        write(&mut s, &mut c, pod("c", "n1", "10.9.9.9", 0));
        assert!(names(&c).contains(&POD_IP_IN_CIDR));
        assert!(names(&c).iter().filter(|n| **n == NODE_OVERCOMMITTED).count() >= 2, "3 pods on a 2-pod node");
        let shown = c.violations[0].to_string();
        assert!(shown.contains("node/n1") && shown.contains("1200m/1000m"), "{shown}");
    }

    #[test]
    fn a_finished_pod_may_keep_an_ip_the_kubelet_gave_again() {
        let (mut s, mut c) = checker();
        write(&mut s, &mut c, node("n1", "10.244.0.0/24"));
        let mut done = pod("a", "n1", "10.244.0.2", 0);
        if let Object::Pod(p) = &mut done {
            p.status.phase = "Succeeded".into();
        }
        write(&mut s, &mut c, done);
        write(&mut s, &mut c, pod("b", "n1", "10.244.0.2", 0));
        assert!(c.violations.is_empty(), "{:?}", c.violations);
    }

    #[test]
    fn catches_a_pod_moved_between_nodes_and_watch_gaps() {
        let (mut s, mut c) = checker();
        write(&mut s, &mut c, node("n1", "10.244.0.0/24"));
        write(&mut s, &mut c, node("n2", "10.244.1.0/24"));
        write(&mut s, &mut c, pod("a", "n1", "", 0));
        let ev = write_at(&mut s, &mut c, pod("a", "n2", "", 0), "update", SimTime(1));
        assert_eq!(names(&c), [POD_BOUND_TWICE]);
        let mut ev5 = (*ev).clone();
        ev5.revision = 5;
        let mut ev9 = (*ev).clone();
        ev9.revision = 9;
        c.on_delivery("scheduler", 1, &ev5, SimTime(1), "d1");
        c.on_delivery("scheduler", 3, &ev9, SimTime(1), "d3");
        c.on_delivery("kubelet/n1", 1, &ev5, SimTime(1), "k1");
        assert_eq!(names(&c), [POD_BOUND_TWICE, WATCH_ORDERED]);
        c.on_delivery("kubelet/n1", 2, &ev5, SimTime(1), "k2");
        assert_eq!(names(&c).last(), Some(&WATCH_ORDERED), "a revision delivered twice is out of order");
    }

    #[test]
    fn catches_a_revision_that_goes_backwards() {
        let (mut s, mut c) = checker();
        let ev = write_at(&mut s, &mut c, node("n1", "10.244.0.0/24"), "create", SimTime(1));
        let mut stale = (*ev).clone();
        stale.revision = ev.revision;
        c.on_write(&stale, "update", "test", &s, SimTime(2), "replayed write");
        assert_eq!(names(&c), [REVISION_INCREASING]);
    }

    /// A deleted node's podCIDR is released: its pods (until PodGC deletes them) still
    /// show their IPs, and a new node given the same CIDR hands the same addresses out.
    #[test]
    fn pods_of_a_deleted_node_hold_no_address() {
        let (mut s, mut c) = checker();
        write_at(&mut s, &mut c, node("n1", "10.244.0.0/24"), "create", SimTime(0));
        write(&mut s, &mut c, pod("a", "n1", "10.244.0.2", 0));
        let del = s.delete(&crate::api::ObjectKey::new(Kind::Node, "", "n1"), None, SimTime(10)).unwrap();
        c.on_write(&del, "delete", "test", &s, SimTime(10), "delete node");
        write_at(&mut s, &mut c, node("n2", "10.244.0.0/24"), "create", SimTime(11));
        write(&mut s, &mut c, pod("b", "n2", "10.244.0.2", 0));
        // PodGC marks the orphan failed before deleting it: an update of a pod whose node is gone.
        write(&mut s, &mut c, pod("a", "n1", "10.244.0.2", 0));
        assert!(c.violations.is_empty(), "{:?}", c.violations);
    }

    /// A bind to a node deleted more than watch + request latency (2 ms by default)
    /// before is a bug; one deleted within that lag is what Kubernetes allows.
    #[test]
    fn catches_a_bind_to_a_node_that_is_gone() {
        let (mut s, mut c) = checker();
        write_at(&mut s, &mut c, node("n1", "10.244.0.0/24"), "create", SimTime(0));
        let del = s.delete(&crate::api::ObjectKey::new(Kind::Node, "", "n1"), None, SimTime(10)).unwrap();
        c.on_write(&del, "delete", "test", &s, SimTime(10), "delete node");
        // Bound, not yet admitted by a kubelet (no start time).
        let bound = |name: &str, node: &str| {
            let mut p = pod(name, node, "", 0);
            if let Object::Pod(p) = &mut p {
                p.status.start_time = crate::api::meta::MaybeTime::NONE;
            }
            p
        };
        write_at(&mut s, &mut c, bound("a", "n1"), "bind", SimTime(12));
        assert!(c.violations.is_empty(), "deleted 2 ms before: the scheduler could not know");
        write_at(&mut s, &mut c, bound("b", "n1"), "bind", SimTime(13));
        assert_eq!(names(&c), [BOUND_TO_MISSING_NODE]);
        write_at(&mut s, &mut c, bound("c", "nowhere"), "bind", SimTime(13));
        assert_eq!(names(&c).len(), 2, "a node that never existed");
    }

    /// Upstream's slow-start overshoot: scaled 2 → 50 → 2 within milliseconds, a sync that
    /// began at 50 goes on creating after 2 lands; a create beyond the window is a bug.
    #[test]
    fn the_replicaset_bound_is_what_the_sync_could_have_observed() {
        let (mut s, mut c) = checker();
        let deliver = |c: &mut Checker, s: &mut Store, seq: u64, replicas: i32, t: SimTime| {
            let ev = write_at(s, c, replica_set("web", "rs-uid", replicas), "update", t);
            c.on_delivery(CONTROLLER_MANAGER, seq, &ev, t, "delivery");
        };
        deliver(&mut c, &mut s, 1, 2, SimTime(1));
        deliver(&mut c, &mut s, 2, 50, SimTime(5));
        deliver(&mut c, &mut s, 3, 2, SimTime(8));
        for i in 0..50 {
            write_at(&mut s, &mut c, owned_by(pod(&format!("p{i}"), "", "", 0), "web", "rs-uid"), "create", SimTime(20));
        }
        assert!(c.violations.is_empty(), "within 17 ms of seeing 50: {:?}", c.violations);
        write_at(&mut s, &mut c, owned_by(pod("late", "", "", 0), "web", "rs-uid"), "create", SimTime(26));
        assert_eq!(names(&c), [REPLICASET_BOUND], "51 > 50");
        write_at(&mut s, &mut c, owned_by(pod("later", "", "", 0), "web", "rs-uid"), "create", SimTime(40));
        assert_eq!(names(&c).len(), 2, "32 ms after seeing 2, a sync can only have started from 2");
        let msg = &c.violations[1].message;
        assert!(msg.contains("52 active pods") && msg.contains("is 2"), "{msg}");
        write_at(&mut s, &mut c, owned_by(pod("stray", "", "", 0), "other", "never-shown"), "create", SimTime(40));
        assert_eq!(names(&c).len(), 3, "a ReplicaSet the controller manager never saw cannot create");
    }

    #[test]
    fn liveness_fires_on_a_short_replicaset_and_a_tainted_node_but_not_on_replica_failure() {
        let (mut s, mut c) = checker();
        write(&mut s, &mut c, replica_set("web", "rs-uid", 2));
        write(&mut s, &mut c, owned_by(pod("p1", "", "", 0), "web", "rs-uid"));
        let mut n = node("n1", "10.244.0.0/24");
        if let Object::Node(n) = &mut n {
            n.spec.taints.push(crate::api::node::Taint {
                key: crate::apiserver::defaults::TAINT_UNREACHABLE.into(),
                effect: "NoExecute".into(),
                ..Default::default()
            });
        }
        write(&mut s, &mut c, n);
        let alive: BTreeSet<String> = ["n1".to_string()].into();
        let v = converged(&s, &alive, SimTime(1));
        let got: Vec<&str> = v.iter().map(|v| v.invariant).collect();
        assert_eq!(got, [CONVERGED, NODES_RECOVER], "{v:?}");
        assert!(v[0].message.contains("1 active pods") && v[0].message.contains("for 2 replicas"), "{}", v[0].message);
        assert!(converged(&s, &BTreeSet::new(), SimTime(1)).iter().all(|v| v.invariant != NODES_RECOVER), "a node whose kubelet is down is not judged");
        let mut failing = replica_set("web", "rs-uid", 2);
        if let Object::ReplicaSet(rs) = &mut failing {
            rs.status.conditions.push(crate::api::replica_set::ReplicaSetCondition {
                type_: crate::controller_manager::replica_set::REPLICA_FAILURE.into(),
                status: "True".into(),
                reason: "FailedCreate".into(),
                ..Default::default()
            });
        }
        write(&mut s, &mut c, failing);
        assert!(converged(&s, &BTreeSet::new(), SimTime(1)).is_empty(), "creates refused: Kubernetes does not converge either");
    }

    /// A ReplicationController short of pods is judged as a ReplicaSet is.
    #[test]
    fn liveness_fires_on_a_short_replication_controller() {
        let (mut s, mut c) = checker();
        let mut rc = crate::api::replication_controller::ReplicationController::default();
        rc.metadata.name = "web".into();
        rc.metadata.namespace = "default".into();
        rc.metadata.uid = "rc-uid".into();
        rc.spec.replicas = Some(2);
        write(&mut s, &mut c, Object::ReplicationController(Box::new(rc)));
        let mut p = owned_by(pod("p1", "", "", 0), "web", "rc-uid");
        p.meta_mut().owner_references[0].kind = "ReplicationController".into();
        write(&mut s, &mut c, p);
        let v = converged(&s, &BTreeSet::new(), SimTime(1));
        assert_eq!(v.len(), 1, "{v:?}");
        assert_eq!(v[0].objects, ["replicationcontroller/default/web"]);
        assert!(v[0].message.contains("1 active pods") && v[0].message.contains("for 2 replicas"), "{}", v[0].message);
    }

    #[test]
    fn every_invariant_has_a_test_that_makes_it_fire() {
        // The tests above make each of these fire (checked by name so a new invariant
        // without a test is noticed here).
        let covered = [
            NODE_OVERCOMMITTED,
            POD_IP_UNIQUE,
            POD_IP_IN_CIDR,
            POD_BOUND_TWICE,
            WATCH_ORDERED,
            REVISION_INCREASING,
            BOUND_TO_MISSING_NODE,
            REPLICASET_BOUND,
            // invariants/replica_set.rs tests:
            replica_set::REPLICASET_READY_ONCE,
            // invariants/autoscaling.rs tests:
            HPA_WITHIN_BOUNDS,
            HPA_WITHIN_RATE,
            NODE_GROUP_WITHIN_BOUNDS,
            AUTOSCALER_DELETES_DRAINED,
            // invariants/quota.rs tests:
            QUOTA_WITHIN_HARD,
            // invariants/deployment.rs tests:
            DEPLOYMENT_SURGE,
            DEPLOYMENT_FLOOR,
            // invariants/daemon_set.rs and disruption.rs tests:
            DAEMONSET_ONE_PER_NODE,
            EVICTION_WITHIN_BUDGET,
            // invariants/job.rs tests:
            JOB_WITHIN_PARALLELISM,
            JOB_COUNTS_ONCE,
            CRONJOB_FORBID,
            // invariants/stateful_set.rs tests:
            STATEFULSET_ORDERED,
            // invariants/storage.rs tests:
            VOLUME_BOUND_ONCE,
            RWO_ATTACHED_ONCE,
            // invariants/service.rs, proxy.rs and traffic.rs tests:
            SERVICE_ADDRESSES_UNIQUE,
            SLICES_LIST_SELECTED,
            PROXY_ENDPOINTS_FROM_SLICES,
            TRAFFIC_COUNTS_ADD_UP,
            ENDPOINTS_CONVERGE,
            CONVERGED,
            NODES_RECOVER,
        ];
        let mut all = ALL.to_vec();
        all.sort();
        let mut c = covered.to_vec();
        c.sort();
        assert_eq!(all, c);
    }

    /// settle_after_action with the default 1 ms latencies: hop = 1 + 1 + 5 = 7 ms, a
    /// slow-start run = 17 + 7 = 24 ms; 1,000 replicas = 2 runs + 1.
    #[test]
    fn settling_time_follows_the_latencies_and_the_replicas() {
        assert_eq!(settle_after_action(Latency::default(), 1000).as_ms(), 10 * 7 + 3 * 24);
        let minute = Latency { request: SimDuration::from_secs(60), watch: SimDuration::from_secs(60) };
        assert!(settle_after_action(minute, 3) >= SimDuration::from_secs(60 * 17), "a minute per hop: at least 17 minutes");
    }
}
