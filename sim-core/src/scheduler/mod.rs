//! kube-scheduler: watches pods, nodes and what its plugins read (namespaces,
//! Services, ReplicaSets, PodDisruptionBudgets), keeps a node-info snapshot with
//! assumed pods, and runs one scheduling cycle per pod: PreFilter, Filter (sampling
//! percentageOfNodesToScore from a rotating start index; the nominated node first),
//! PostFilter (DefaultPreemption) when nothing fits, PreScore, Score, NormalizeScore,
//! a seeded random choice among the best, assume (Reserve), Bind. Failures produce
//! `FailedScheduling` in kube-scheduler's words and a `PodScheduled=False` condition.
//! With an explain target set, the last attempt for that pod is recorded per node and
//! per plugin (`ksim explain`).

pub mod bench;
pub mod framework;
pub mod plugins;
pub mod profile;
pub mod queue;

use crate::api::meta::{LabelSelector, LabelSelectorRequirement, Labels, Text};
use crate::api::uid::{UidKey, UidTable};
use crate::api::{Kind, Object};
use crate::apiserver::{Binding, Request, Response};
use crate::client::{Ctx, Informer};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use framework::{fit_error_message, AffinityIndex, MatchCounts, NodeInfo, NodeMemos, PodInfo, Snapshot, Status};
use plugins::default_preemption::{self, Budget};
use plugins::CycleState;
use profile::{Profile, SchedulerConfig};
use queue::SchedulingQueue;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;
use std::collections::BTreeMap;
use std::rc::Rc;

pub const SCHEDULER_NAME: &str = "default-scheduler";
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

struct CachedPod {
    info: Rc<PodInfo>,
    node: usize,
    assumed: bool,
}

fn has_prefer_no_schedule(n: &NodeInfo) -> bool {
    n.taints.iter().any(|t| t.effect == "PreferNoSchedule")
}

/// One node in an explained scheduling attempt.
#[derive(Clone, Debug, Serialize)]
pub struct NodeExplanation {
    pub name: String,
    pub feasible: bool,
    pub filter: Vec<FilterResult>,
    pub scores: Vec<ScoreResult>,
    pub total: i64,
}

#[derive(Clone, Debug, Serialize)]
pub struct FilterResult {
    pub plugin: String,
    pub reason: String,
}

#[derive(Clone, Debug, Serialize)]
pub struct ScoreResult {
    pub plugin: String,
    pub raw: i64,
    pub normalized: i64,
    pub weight: i64,
    pub weighted: i64,
}

/// The record of one scheduling attempt of the explained pod.
#[derive(Clone, Debug, Serialize)]
pub struct Explanation {
    pub pod: String,
    #[serde(rename = "schedulerName")]
    pub scheduler_name: String,
    /// When the attempt ran (ms of simulated time).
    #[serde(skip)]
    pub time: SimTime,
    pub node: Option<String>,
    /// The FailedScheduling message, or the nomination made by preemption.
    pub message: String,
    #[serde(rename = "nominatedNode")]
    pub nominated_node: Option<String>,
    pub victims: Vec<String>,
    #[serde(rename = "evaluatedNodes")]
    pub evaluated_nodes: usize,
    #[serde(rename = "totalNodes")]
    pub total_nodes: usize,
    pub nodes: Vec<NodeExplanation>,
}

/// A pod whose volumes are being bound before the pod is (VolumeBinding's PreBind).
struct PreBinding {
    namespace: String,
    name: String,
    node: usize,
    /// The claims that must end up bound: (name, whether the scheduler asked for its
    /// provisioning — set selected-node —, the resourceVersion its write made (0 until
    /// answered; checkBindings reads the claim only once its cache has caught up)).
    claims: Vec<(String, bool, u64)>,
    /// Volumes the scheduler bound: (name, the resourceVersion its write made).
    volumes: Vec<(String, u64)>,
    next_poll: SimTime,
    deadline: SimTime,
}

/// The scheduler's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Run one scheduling cycle.
    Cycle,
    /// VolumeBinding's PreBind polls (every second) the claims of pods waiting to bind.
    VolumePoll,
    /// Move backed-off pods to activeQ and flush long-unschedulable ones.
    Flush,
    /// The event recorder's finishSeries ticker (every 6 minutes).
    FinishEventSeries,
    /// Its refreshExistingEventSeries ticker (every 30 minutes).
    RefreshEventSeries,
}

pub struct Scheduler {
    informer: Informer,
    queue: SchedulingQueue,
    config: SchedulerConfig,
    nodes: Vec<NodeInfo>,
    node_index: BTreeMap<String, usize>,
    /// Indices of present nodes, in the order they joined (the snapshot's list order).
    order: Vec<usize>,
    /// By uid, looked up at every write of a pod and never walked in order: a
    /// [`UidTable`] (150,000 pods in a big run).
    pods: UidTable<CachedPod>,
    /// uid → (namespace, name) of pods waiting in the queue.
    pending: crate::api::uid::UidMap<(Text, Text)>,
    /// (namespace, name) → (uid, node index) of binds in flight.
    binding: BTreeMap<(Text, Text), (String, usize)>,
    /// Pods nominated to a node by preemption: uid → (node index, info).
    nominated: crate::api::uid::UidMap<(usize, Rc<PodInfo>)>,
    /// Pods in VolumeBinding's PreBind: uid → what they wait for.
    prebinding: BTreeMap<String, PreBinding>,
    /// The claim assume cache: claims a pod in PreBind is binding, (namespace, claim) →
    /// (node, pod uid, provisioned there); another pod using one may only go to that node.
    assumed_claims: BTreeMap<(String, String), (String, String, bool)>,
    /// BindPodVolumes' writes in flight: (kind, namespace, name) → the pod's uid.
    volume_writes: BTreeMap<(Kind, String, String), String>,
    /// Whether the VolumePoll timer is armed, and for when.
    volume_poll_at: Option<SimTime>,
    counts: MatchCounts,
    image_nodes: BTreeMap<Rc<str>, usize>,
    ns_labels: BTreeMap<String, Labels>,
    /// DefaultSelector results by (namespace, pod labels); cleared when a Service or a
    /// ReplicationController changes, or the set of ReplicaSets (a ReplicaSet's selector
    /// is immutable).
    /// (Shared with the cycles' constraints: a pod's default selector is not copied.)
    default_selectors: BTreeMap<String, BTreeMap<Labels, Option<Rc<LabelSelector>>>>,
    affinity: AffinityIndex,
    memos: NodeMemos,
    /// Present nodes with a PreferNoSchedule taint.
    prefer_no_schedule_nodes: usize,
    /// Label key → on how many present nodes it is set.
    label_keys: BTreeMap<String, usize>,
    next_start: usize,
    rng: ChaCha8Rng,
    cycle_scheduled: bool,
    flush_at: Option<SimTime>,
    event_seq: u64,
    /// The source of its Events, shared by them all.
    event_source: Option<Rc<crate::api::event::EventSource>>,
    /// kube-scheduler records through the events.k8s.io recorder: isomorphic events
    /// become a series.
    events: crate::client::events::EventSeriesRecorder,
    /// Whether the finish / refresh ticker is armed.
    event_tickers: [bool; 2],
    pub attempts: u64,
    /// The pod (namespace, name) whose attempts are recorded, and its last one.
    explain_target: Option<(String, String)>,
    pub explanation: Option<Explanation>,
}

impl Scheduler {
    pub fn new(rng: ChaCha8Rng) -> Self {
        Self::with_config(rng, SchedulerConfig::default())
    }

    pub fn with_config(rng: ChaCha8Rng, config: SchedulerConfig) -> Self {
        let mut queue = SchedulingQueue::default();
        queue.set_backoff(SimDuration::from_secs(config.pod_initial_backoff_seconds as u64), SimDuration::from_secs(config.pod_max_backoff_seconds as u64));
        Scheduler {
            informer: Informer::default(),
            queue,
            config,
            nodes: Vec::new(),
            node_index: BTreeMap::new(),
            order: Vec::new(),
            pods: UidTable::default(),
            pending: Default::default(),
            binding: BTreeMap::new(),
            nominated: Default::default(),
            prebinding: BTreeMap::new(),
            assumed_claims: BTreeMap::new(),
            volume_writes: BTreeMap::new(),
            volume_poll_at: None,
            counts: MatchCounts::default(),
            image_nodes: BTreeMap::new(),
            ns_labels: BTreeMap::new(),
            default_selectors: BTreeMap::new(),
            affinity: AffinityIndex::default(),
            memos: NodeMemos::default(),
            prefer_no_schedule_nodes: 0,
            label_keys: BTreeMap::new(),
            next_start: 0,
            rng,
            cycle_scheduled: false,
            flush_at: None,
            event_seq: 0,
            event_source: None,
            events: Default::default(),
            event_tickers: [false; 2],
            attempts: 0,
            explain_target: None,
            explanation: None,
        }
    }

    /// Turns the per-node memos off (for tests that check they change nothing).
    pub fn disable_memos(&mut self) {
        self.memos.disabled = true;
    }

    /// Records the attempts of this pod (the last one is kept in `explanation`).
    pub fn explain(&mut self, namespace: &str, name: &str) {
        self.explain_target = Some((namespace.to_string(), name.to_string()));
    }

    /// activeQ's, backoffQ's and unschedulablePods' sizes (the web page shows them).
    pub fn queue_sizes(&self) -> [usize; 3] {
        self.queue.sizes()
    }

    /// A restarted scheduler keeps explaining the pod the old one was asked about (what
    /// `ksim explain` follows is not the scheduler's state).
    pub fn carry_explain_target(&mut self, old: &Scheduler) {
        self.explain_target = old.explain_target.clone();
        self.explanation = old.explanation.clone();
    }

    pub fn watches(kind: &Kind) -> bool {
        matches!(
            kind,
            Kind::Pod
                | Kind::Node
                | Kind::Namespace
                | Kind::Service
                | Kind::ReplicaSet
                | Kind::ReplicationController
                | Kind::PodDisruptionBudget
                | Kind::PersistentVolumeClaim
                | Kind::PersistentVolume
                | Kind::StorageClass
                | Kind::CSINode
        )
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        self.informer.apply(ev);
        match &*ev.object {
            Object::Node(_) => self.on_node(ev, ctx),
            Object::Pod(_) => self.on_pod(ev, ctx),
            Object::Namespace(n) => {
                if ev.type_ == WatchEventType::Deleted {
                    self.ns_labels.remove(n.metadata.name.as_str());
                } else {
                    self.ns_labels.insert(n.metadata.name.to_string(), (*n.metadata.labels).clone());
                }
            }
            // A new or changed Service, ReplicationController or ReplicaSet can change the
            // default spreading; a PodDisruptionBudget only matters to preemption.
            Object::Service(_) | Object::ReplicationController(_) => self.default_selectors.clear(),
            Object::ReplicaSet(_) if ev.type_ != WatchEventType::Modified => self.default_selectors.clear(),
            // VolumeBinding's and VolumeRestrictions' events: a claim, volume or class
            // added or changed may let a pod they rejected through.
            Object::PersistentVolumeClaim(_) | Object::PersistentVolume(_) | Object::StorageClass(_) | Object::CSINode(_) => {
                let mut hint = queue::Hint::default();
                hint.add(profile::PluginId::NodeVolumeLimits);
                hint.add(profile::PluginId::VolumeBinding);
                hint.add(profile::PluginId::VolumeRestrictions);
                hint.add(profile::PluginId::VolumeZone);
                self.queue.move_on_event(hint, ctx.now);
            }
            _ => {}
        }
        self.ensure_timers(ctx);
    }

    fn on_node(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        let Object::Node(n) = &*ev.object else { return };
        let name = &n.metadata.name;
        if ev.type_ == WatchEventType::Deleted {
            if let Some(&i) = self.node_index.get(name.as_str()) {
                self.set_images(i, false);
                self.set_label_keys(i, false);
                self.memos.invalidate(i);
                if self.nodes[i].present && has_prefer_no_schedule(&self.nodes[i]) {
                    self.prefer_no_schedule_nodes = self.prefer_no_schedule_nodes.checked_sub(1).expect("nodes with PreferNoSchedule never negative");
                }
                self.nodes[i].present = false;
                self.order.retain(|&j| j != i);
            }
            return;
        }
        let i = match self.node_index.get(name.as_str()) {
            Some(&i) => i,
            None => {
                self.nodes.push(NodeInfo::default());
                let i = self.nodes.len() - 1;
                self.node_index.insert(name.to_string(), i);
                i
            }
        };
        let was_present = self.nodes[i].present;
        if !was_present {
            self.order.push(i);
        }
        let ni = &self.nodes[i];
        let before = (ni.alloc_milli_cpu, ni.alloc_memory, ni.alloc_pods, ni.alloc_scalar.clone(), ni.taints.clone(), ni.unschedulable, ni.labels.clone());
        self.set_images(i, false);
        self.set_label_keys(i, false);
        if was_present && has_prefer_no_schedule(&self.nodes[i]) {
            self.prefer_no_schedule_nodes = self.prefer_no_schedule_nodes.checked_sub(1).expect("nodes with PreferNoSchedule never negative");
        }
        self.nodes[i].set_node(n);
        if has_prefer_no_schedule(&self.nodes[i]) {
            self.prefer_no_schedule_nodes += 1;
        }
        self.memos.invalidate(i);
        self.set_images(i, true);
        self.set_label_keys(i, true);
        let ni = &self.nodes[i];
        let added = ev.type_ == WatchEventType::Added || !was_present;
        // Queueing hints: which plugins' rejections this node change may resolve.
        let mut hint = queue::Hint::default();
        if added {
            hint = queue::Hint::ALL;
        } else {
            if before.0 != ni.alloc_milli_cpu || before.1 != ni.alloc_memory || before.2 != ni.alloc_pods || before.3 != ni.alloc_scalar {
                hint.add(profile::PluginId::NodeResourcesFit);
            }
            if before.4 != ni.taints {
                hint.add(profile::PluginId::TaintToleration);
                hint.add(profile::PluginId::PodTopologySpread);
            }
            if before.5 != ni.unschedulable {
                hint.add(profile::PluginId::NodeUnschedulable);
            }
            if before.6 != ni.labels {
                self.affinity.rebuild(&self.nodes, &self.order);
                for p in [profile::PluginId::NodeAffinity, profile::PluginId::PodTopologySpread, profile::PluginId::InterPodAffinity] {
                    hint.add(p);
                }
            }
        }
        if !hint.is_empty() {
            self.queue.move_on_event(hint, ctx.now);
        }
    }

    fn set_images(&mut self, i: usize, add: bool) {
        if !self.nodes[i].present {
            return;
        }
        let image_nodes = &mut self.image_nodes;
        for (name, _) in &mut self.nodes[i].images {
            if add {
                // The nodes that list an image share one copy of its name: ImageLocality
                // finds it on each node it scores by address (a pod's image is the same
                // few dozen bytes, read again and compared on every node otherwise).
                match image_nodes.entry(name.clone()) {
                    std::collections::btree_map::Entry::Occupied(mut counted) => {
                        *name = counted.key().clone();
                        *counted.get_mut() += 1;
                    }
                    std::collections::btree_map::Entry::Vacant(new) => {
                        new.insert(1);
                    }
                }
            } else {
                // The node's images were counted when it was set (set_images(i, true)).
                let c = image_nodes.get_mut(name).filter(|c| **c > 0).expect("image_nodes never negative");
                *c -= 1;
                if *c == 0 {
                    image_nodes.remove(name);
                }
            }
        }
    }

    fn set_label_keys(&mut self, i: usize, add: bool) {
        if !self.nodes[i].present {
            return;
        }
        for k in self.nodes[i].labels.keys() {
            if add {
                *self.label_keys.entry(k.clone()).or_default() += 1;
            } else {
                // The node's labels were counted when it was set (set_label_keys(i, true)).
                let c = self.label_keys.get_mut(k).filter(|c| **c > 0).expect("label_keys never negative");
                *c -= 1;
                if *c == 0 {
                    self.label_keys.remove(k);
                }
            }
        }
    }

    fn node_add_pod(&mut self, ni: usize, info: Rc<PodInfo>) {
        self.memos.invalidate(ni);
        self.counts.on_pod(ni, &info, 1);
        self.affinity.on_pod(&info, &self.nodes[ni], 1);
        self.nodes[ni].add_pod(info);
    }

    fn node_remove_pod(&mut self, ni: usize, info: &PodInfo) {
        self.memos.invalidate(ni);
        if self.nodes[ni].remove_pod(info.uid()) {
            self.counts.on_pod(ni, info, -1);
            self.affinity.on_pod(info, &self.nodes[ni], -1);
        }
    }

    /// The snapshot one scheduling cycle works on.
    fn snapshot(&self) -> Snapshot<'_> {
        Snapshot {
            nodes: &self.nodes,
            order: &self.order,
            ns_labels: &self.ns_labels,
            image_nodes: &self.image_nodes,
            label_keys: &self.label_keys,
            counts: &self.counts,
            affinity: &self.affinity,
            memos: &self.memos,
            any_prefer_no_schedule: self.prefer_no_schedule_nodes > 0,
        }
    }

    fn forget(&mut self, uid: &str) -> bool {
        self.end_prebinding(uid);
        if let Some(c) = self.pods.remove(&UidKey::new(uid)) {
            self.node_remove_pod(c.node, &c.info);
            true
        } else {
            false
        }
    }

    fn on_pod(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        let Object::Pod(p) = &*ev.object else { return };
        let uid = p.metadata.uid.as_str();
        if ev.type_ == WatchEventType::Deleted || p.is_terminal() {
            self.queue.remove(uid);
            self.pending.remove(uid);
            self.nominated.remove(uid);
            if self.forget(uid) {
                // An assigned pod left: room, ports and anti-affinity may be freed.
                let mut hint = queue::Hint::default();
                for pl in [
                    profile::PluginId::NodeResourcesFit,
                    profile::PluginId::NodePorts,
                    profile::PluginId::PodTopologySpread,
                    profile::PluginId::InterPodAffinity,
                    profile::PluginId::DefaultPreemption,
                    profile::PluginId::VolumeRestrictions,
                    profile::PluginId::NodeVolumeLimits,
                ] {
                    hint.add(pl);
                }
                self.queue.move_on_event(hint, ctx.now);
            }
            return;
        }
        if !p.spec.node_name.is_empty() {
            // The node: the cached pod's own when the names agree (a name keeps its index
            // for good), which spares a search of the node index by name.
            let key = UidKey::new(uid);
            let cached = self.pods.get_mut(&key);
            let known = cached.as_ref().map(|c| c.node).filter(|&i| self.nodes[i].name == p.spec.node_name);
            let node = known.or_else(|| self.node_index.get(p.spec.node_name.as_str()).copied());
            // A pod with a node leaves the scheduling queue, the pending and the nominated
            // pods — once: a pod the cache already holds as bound there (an earlier event
            // confirmed it) is in none of them, as only pods without a node are put there
            // and a pod's node never changes once set. Most events of a pod (the kubelet's
            // status updates) are of that kind, and skip the three lookups.
            if !cached.as_ref().is_some_and(|c| Some(c.node) == node && !c.assumed) {
                self.queue.remove(uid);
                self.pending.remove(uid);
                self.nominated.remove(uid);
            }
            let Some(ni) = node else { return };
            let mut new_assignment = false;
            match cached {
                Some(c) if c.node == ni => {
                    c.assumed = false;
                    let old = c.info.pod();
                    if old.metadata.labels != p.metadata.labels
                        || old.metadata.rare.deletion_timestamp.is_some() != p.metadata.rare.deletion_timestamp.is_some()
                    {
                        let old_info = c.info.clone();
                        let info = Rc::new(PodInfo::new(ev.object.clone()));
                        c.info = info.clone();
                        self.node_remove_pod(ni, &old_info);
                        self.node_add_pod(ni, info);
                    } else if !Rc::ptr_eq(&c.info.object, &ev.object) {
                        // Same labels and lifecycle: keep the precomputed info, point it at
                        // the current object (so older versions of the pod are released).
                        let mut fresh = (*c.info).clone();
                        fresh.object = ev.object.clone();
                        let fresh = Rc::new(fresh);
                        let old = std::mem::replace(&mut c.info, fresh.clone());
                        self.nodes[ni].replace_pod(&old, fresh);
                    }
                }
                _ => {
                    self.forget(uid);
                    let info = Rc::new(PodInfo::new(ev.object.clone()));
                    self.node_add_pod(ni, info.clone());
                    self.pods.insert(key, CachedPod { info, node: ni, assumed: false });
                    new_assignment = true;
                }
            }
            if new_assignment {
                // An assigned pod appeared: pod affinity and spreading may now be met.
                let mut hint = queue::Hint::default();
                hint.add(profile::PluginId::InterPodAffinity);
                hint.add(profile::PluginId::PodTopologySpread);
                self.queue.move_on_event(hint, ctx.now);
            }
            return;
        }
        if self.pods.get(&UidKey::new(uid)).is_some_and(|c| c.assumed) {
            return; // assumed, binding in flight
        }
        if p.metadata.rare.deletion_timestamp.is_some() || !self.config.profiles.iter().any(|pr| pr.scheduler_name == p.spec.scheduler_name) {
            self.queue.remove(uid);
            self.pending.remove(uid);
            self.nominated.remove(uid);
            return;
        }
        match self.node_index.get(p.status.nominated_node_name.as_str()) {
            Some(&ni) if !p.status.nominated_node_name.is_empty() => {
                self.nominated.insert(uid, (ni, Rc::new(PodInfo::new(ev.object.clone()))));
            }
            _ => {
                self.nominated.remove(uid);
            }
        }
        self.pending.insert(uid, (p.metadata.namespace.clone(), p.metadata.name.clone()));
        self.queue.add(uid, p.spec.priority.unwrap_or(0), ctx.now);
    }

    fn ensure_timers(&mut self, ctx: &mut Ctx) {
        if !self.cycle_scheduled && self.queue.active_len() > 0 {
            self.cycle_scheduled = true;
            ctx.after(SimDuration::ZERO, Timer::Cycle);
        }
        if let Some(t) = self.queue.next_flush(ctx.now) {
            if self.flush_at.is_none_or(|f| f > t) {
                self.flush_at = Some(t);
                ctx.after(t.since(ctx.now), Timer::Flush);
            }
        }
    }

    pub fn on_timer(&mut self, t: &Timer, ctx: &mut Ctx) {
        match t {
            Timer::Cycle => {
                self.cycle_scheduled = false;
                self.schedule_one(ctx);
            }
            Timer::VolumePoll => {
                self.volume_poll_at = None;
                self.poll_volumes(ctx);
            }
            Timer::Flush => {
                if self.flush_at.is_some_and(|f| f <= ctx.now) {
                    self.flush_at = None;
                }
                self.queue.flush(ctx.now);
            }
            Timer::FinishEventSeries | Timer::RefreshEventSeries => {
                let records = if *t == Timer::FinishEventSeries { self.events.finish(ctx.now) } else { self.events.refresh() };
                for r in records {
                    if let Some(r) = crate::client::event_request(r) {
                        ctx.request(r);
                    }
                }
                let which = if *t == Timer::FinishEventSeries { 0 } else { 1 };
                self.event_tickers[which] = false;
                self.arm_event_tickers(ctx);
            }
        }
        self.ensure_timers(ctx);
    }

    /// numFeasibleNodesToFind (schedule_one.go).
    pub fn num_feasible_nodes_to_find(&self, percentage: i64, num_all: usize) -> usize {
        if num_all < MIN_FEASIBLE_NODES_TO_FIND {
            return num_all;
        }
        let mut pct = percentage;
        if pct == 0 {
            pct = (50 - num_all as i64 / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
        }
        let n = (num_all as i64 * pct / 100) as usize;
        n.max(MIN_FEASIBLE_NODES_TO_FIND)
    }

    /// helper.DefaultSelector: the selectors of the pod's Services and
    /// ReplicationControllers merged, and the selectors of the ReplicaSets that select it.
    fn default_selector(&mut self, pod: &crate::api::pod::Pod) -> Option<Rc<LabelSelector>> {
        if let Some(s) = self.default_selectors.get(pod.metadata.namespace.as_str()).and_then(|m| m.get(&pod.metadata.labels)) {
            return s.clone();
        }
        let s = self.compute_default_selector(pod).map(Rc::new);
        self.default_selectors.entry(pod.metadata.namespace.to_string()).or_default().insert((*pod.metadata.labels).clone(), s.clone());
        s
    }

    fn compute_default_selector(&self, pod: &crate::api::pod::Pod) -> Option<LabelSelector> {
        let ns = &pod.metadata.namespace;
        let labels = &pod.metadata.labels;
        let mut sel = LabelSelector::default();
        for o in self.informer.list_ns(&Kind::Service, ns) {
            if let Object::Service(s) = &**o {
                let Some(sl) = &s.spec.selector else { continue };
                if !sl.is_empty() && sl.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                    sel.match_labels.extend(sl.iter().map(|(k, v)| (k.clone(), v.clone())));
                }
            }
        }
        for rc in self.informer.list_ns(&Kind::ReplicationController, ns).filter_map(|o| o.as_replication_controller()) {
            let sl = &rc.spec.selector;
            if !sl.is_empty() && sl.iter().all(|(k, v)| labels.get(k) == Some(v)) {
                sel.match_labels.extend(sl.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        }
        for o in self.informer.list_ns(&Kind::ReplicaSet, ns) {
            if let Object::ReplicaSet(rs) = &**o {
                let Some(rsel) = &rs.spec.selector else { continue };
                if rsel.is_empty() || !rsel.matches(labels) {
                    continue;
                }
                for (k, v) in &rsel.match_labels {
                    sel.match_expressions.push(LabelSelectorRequirement { key: k.clone(), operator: "In".into(), values: vec![v.clone()] });
                }
                sel.match_expressions.extend(rsel.match_expressions.iter().cloned());
            }
        }
        (!sel.is_empty()).then_some(sel)
    }

    /// The PodDisruptionBudgets preemption honours, as their status (kept by the
    /// disruption controller) says (filterPodsWithPDBViolation reads
    /// status.disruptionsAllowed and status.disruptedPods).
    fn budgets(&self) -> Vec<Budget> {
        self.informer
            .list(&Kind::PodDisruptionBudget)
            .filter_map(|o| o.as_pdb())
            .map(|pdb| Budget {
                namespace: pdb.metadata.namespace.to_string(),
                selector: pdb.spec.selector.clone().unwrap_or_default(),
                disruptions_allowed: i64::from(pdb.status.disruptions_allowed),
                disrupted_pods: pdb.status.disrupted_pods.keys().cloned().collect(),
            })
            .collect()
    }

    fn schedule_one(&mut self, ctx: &mut Ctx) {
        let Some(uid) = self.queue.pop() else { return };
        let Some((ns, name)) = self.pending.get(&uid).cloned() else {
            self.queue.remove(&uid);
            return;
        };
        let Some(obj) = self.informer.get(&Kind::Pod, &ns, &name).cloned() else {
            self.queue.remove(&uid);
            self.pending.remove(&uid);
            return;
        };
        self.attempts += 1;
        self.counts.trim();
        let Some(pi) = obj.as_pod().and_then(|p| self.config.profiles.iter().position(|pr| pr.scheduler_name == p.spec.scheduler_name)) else {
            self.queue.remove(&uid);
            self.pending.remove(&uid);
            return;
        };
        let profile = Rc::clone(&self.config.profiles[pi]);
        let explaining = self.explain_target.as_ref().is_some_and(|(n, m)| *n == ns && *m == name);
        let info = PodInfo::new(obj.clone());
        let pod = obj.as_pod().expect("pod");
        let mut state = CycleState { default_selector: self.default_selector(pod), ..Default::default() };
        let num_all = self.order.len();
        // The volume plugins' PreFilters (they read the claim, volume and class caches).
        let pre_filter_reject = self.volume_pre_filter(&profile, pod, &mut state);
        if let Some((plugin, m)) = pre_filter_reject {
            // Every node gets the PreFilter's status; the message is the PreFilter's.
            let statuses: Vec<(usize, Status)> = self.order.iter().map(|&ni| (ni, Status::unresolvable(plugin, m.clone()))).collect();
            let mut msg = if num_all == 0 { fit_error_message(0, &[]) } else { format!("0/{num_all} nodes are available: {m}.") };
            if profile.preemption {
                if let Err(pm) = self.post_filter(&profile, &state, &info, &statuses, ctx) {
                    msg = format!("{msg} {pm}.");
                }
            }
            let mut hint = queue::Hint::default();
            if let Some(p) = profile::PluginId::from_name(plugin) {
                hint.add(p);
            }
            if explaining {
                self.explain_failure(&format!("{ns}/{name}"), &profile, ctx.now, &msg, (None, Vec::new()), &statuses, 0);
            }
            self.queue.failed(&uid, true, hint, ctx.now);
            self.report_failure(&obj, "Unschedulable", &msg, None, ctx);
            return;
        }
        let pct = profile.percentage_of_nodes_to_score.unwrap_or(self.config.percentage_of_nodes_to_score);
        let to_find = self.num_feasible_nodes_to_find(pct, num_all);
        let mut feasible: Vec<usize> = Vec::with_capacity(to_find);
        let mut statuses: Vec<(usize, Status)> = Vec::new();
        {
            let snap = self.snapshot();
            plugins::run_pre_filter(&profile, &mut state, &info, &snap);
            // evaluateNominatedNode: a pod nominated by an earlier preemption tries that node first.
            let nominated = self.node_index.get(pod.status.nominated_node_name.as_str()).copied().filter(|&ni| self.nodes[ni].present);
            if let Some(ni) = nominated {
                if self.filter_with_nominated(&profile, &state, &info, ni, &snap).is_none() {
                    feasible.push(ni);
                }
            }
            if feasible.is_empty() {
                let mut evaluated = 0;
                let mut pos = if num_all == 0 { 0 } else { self.next_start % num_all };
                let any_nominated = !self.nominated.is_empty();
                // Pods of one template, with no filter that looks at other pods: a node
                // that passed for this spec and has not changed since passes again.
                let memo = !any_nominated
                    && state.spread.is_none()
                    && state.affinity.is_none()
                    && state.volumes.is_none()
                    && state.volume_limits.is_none()
                    && !self.memos.disabled;
                let spec = &pod.spec;
                let profile_id = Rc::as_ptr(&profile) as usize;
                let memos = &self.memos;
                for _ in 0..num_all {
                    if feasible.len() >= to_find {
                        break;
                    }
                    evaluated += 1;
                    let ni = self.order[pos];
                    pos += 1;
                    if pos == num_all {
                        pos = 0;
                    }
                    let cached = memo && memos.filter_passed(ni, spec, profile_id);
                    let verdict = if cached {
                        None
                    } else if any_nominated {
                        self.filter_with_nominated(&profile, &state, &info, ni, &snap)
                    } else {
                        plugins::run_filters(&profile, &state, &info, &self.nodes[ni], &snap)
                    };
                    if memo && !cached && verdict.is_none() {
                        memos.set_filter_passed(ni, spec, profile_id);
                    }
                    match verdict {
                        None => feasible.push(ni),
                        Some(st) => statuses.push((ni, st)),
                    }
                }
                if num_all > 0 {
                    self.next_start = (self.next_start + evaluated) % num_all;
                }
            }
        }
        if feasible.is_empty() {
            let status_list: Vec<Status> = statuses.iter().map(|(_, s)| s.clone()).collect();
            let mut msg = fit_error_message(num_all, &status_list);
            let mut nominated_node = None;
            let mut victims = Vec::new();
            if profile.preemption {
                match self.post_filter(&profile, &state, &info, &statuses, ctx) {
                    Ok((node, v)) => {
                        nominated_node = Some(node);
                        victims = v;
                    }
                    Err(m) => msg = format!("{msg} {m}."),
                }
            }
            let mut hint = queue::Hint::default();
            for (_, st) in &statuses {
                if let Some(p) = profile::PluginId::from_name(st.plugin) {
                    hint.add(p);
                }
            }
            if nominated_node.is_some() {
                hint.add(profile::PluginId::DefaultPreemption);
            }
            if explaining {
                self.explain_failure(&format!("{ns}/{name}"), &profile, ctx.now, &msg, (nominated_node.clone(), victims), &statuses, statuses.len());
            }
            self.queue.failed(&uid, true, hint, ctx.now);
            self.report_failure(&obj, "Unschedulable", &msg, nominated_node, ctx);
            return;
        }
        let chosen = self.select_host(&profile, &mut state, &info, &feasible, &statuses, explaining, ctx.now);
        // Assume (Reserve), then bind (DefaultBinder).
        self.queue.remove(&uid);
        self.pending.remove(&uid);
        self.nominated.remove(&uid);
        let info = Rc::new(info);
        self.node_add_pod(chosen, info.clone());
        self.pods.insert(UidKey::new(&uid), CachedPod { info, node: chosen, assumed: true });
        // VolumeBinding's Reserve and PreBind: volumes to bind first, then the pod.
        if let Some(vs) = state.volumes.as_ref().filter(|v| !v.delay.is_empty()).cloned() {
            if let Ok(pv) = plugins::volume_binding::find_pod_volumes(&vs, &self.nodes[chosen]) {
                self.reserve_volumes(&uid, &ns, &name, chosen, &vs, &pv, ctx);
                return;
            }
        }
        // The pod's own uid (shared) when it is the queued one, as it is unless watch
        // events were out of order; and the node's name as the scheduler keeps it.
        let bound_uid = if obj.meta().uid == *uid { obj.meta().uid.clone() } else { uid.as_str().into() };
        self.binding.insert((ns.clone(), name.clone()), (uid, chosen));
        ctx.request_reply(Request::Bind(Box::new(Binding { namespace: ns, name, uid: bound_uid, node: self.nodes[chosen].name.clone() })), 0);
    }

    /// The volume plugins' PreFilters, in the profile's filter order: VolumeRestrictions
    /// (a missing claim; ReadWriteOncePod claims in use), VolumeBinding, VolumeZone.
    /// Returns the rejecting plugin and message.
    fn volume_pre_filter(&self, profile: &Profile, pod: &crate::api::pod::Pod, state: &mut CycleState) -> Option<(&'static str, String)> {
        pod.spec.volumes.as_ref()?;
        if profile.has_filter(profile::PluginId::VolumeRestrictions) {
            match plugins::volume_restrictions::rwop_claims(pod, &self.informer) {
                Err(m) => return Some((plugins::volume_restrictions::NAME, m)),
                Ok(claims) if !claims.is_empty() => {
                    // IsPVCUsedByPods: scheduled (or assumed) pods using the claim.
                    let ns = &pod.metadata.namespace;
                    state.rwop_claims = claims.iter().map(|c| format!("{ns}/{c}")).collect();
                    state.rwop_conflicts = claims
                        .iter()
                        .filter(|c| {
                            self.pods.any(|cp| {
                                let p = cp.info.pod();
                                p.metadata.namespace == *ns
                                    && p.metadata.uid != pod.metadata.uid
                                    && crate::api::storage::pod_claims(p.spec.volumes.as_deref()).iter().any(|(_, x)| x == *c)
                            })
                        })
                        .count();
                }
                Ok(_) => {}
            }
        }
        if profile.has_filter(profile::PluginId::NodeVolumeLimits) {
            state.volume_limits = self.volume_limits_pre_filter(pod).map(Rc::new);
        }
        if profile.has_filter(profile::PluginId::VolumeBinding) {
            let uid = &pod.metadata.uid;
            let assumed = |pv: &str| self.prebinding.iter().any(|(u, b)| u != uid && b.volumes.iter().any(|(v, _)| v == pv));
            let assumed_node = |ns: &str, claim: &str| {
                self.assumed_claims.get(&(ns.to_string(), claim.to_string())).filter(|(_, u, _)| u != uid).map(|(n, _, p)| (n.clone(), *p))
            };
            match plugins::volume_binding::pre_filter(pod, &self.informer, &assumed, &assumed_node) {
                Err(m) => return Some((plugins::volume_binding::NAME, m)),
                Ok(Some(st)) => state.volumes = Some(Rc::new(st)),
                Ok(None) => {}
            }
        }
        if profile.has_filter(profile::PluginId::VolumeZone) {
            // The bound claims' volumes (a claim not bound is VolumeBinding's).
            let bound: Vec<Option<Rc<Object>>> = crate::api::storage::pod_claims(pod.spec.volumes.as_deref())
                .iter()
                .filter_map(|(_, c)| self.informer.get(&Kind::PersistentVolumeClaim, &pod.metadata.namespace, c).and_then(|o| o.as_pvc()))
                .filter(|c| c.fully_bound())
                .map(|c| self.informer.get(&Kind::PersistentVolume, "", &c.spec.volume_name).cloned())
                .collect();
            state.volume_zone = plugins::volume_zone::pre_filter(&bound);
        }
        None
    }

    /// NodeVolumeLimits' filterAttachableVolumes over the pod and every pod on a node
    /// with limits; None when the pod has no CSI volume or no node has a limit.
    fn volume_limits_pre_filter(&self, pod: &crate::api::pod::Pod) -> Option<plugins::node_volume_limits::PreFilterState> {
        let mut limits: BTreeMap<String, BTreeMap<String, i64>> = BTreeMap::new();
        for o in self.informer.list(&Kind::CSINode) {
            let Some(c) = o.as_csi_node() else { continue };
            let l: BTreeMap<String, i64> = c.spec.drivers.iter().filter_map(|d| Some((d.name.clone(), i64::from(d.allocatable.as_ref()?.count?)))).collect();
            if !l.is_empty() {
                limits.insert(c.metadata.name.to_string(), l);
            }
        }
        if limits.is_empty() {
            return None;
        }
        let volumes_of = |p: &crate::api::pod::Pod, out: &mut BTreeMap<String, String>| {
            for (_, claim) in crate::api::storage::pod_claims(p.spec.volumes.as_deref()) {
                let Some(c) = self.informer.get(&Kind::PersistentVolumeClaim, &p.metadata.namespace, &claim).and_then(|o| o.as_pvc()) else { continue };
                // getCSIDriverInfo, then getCSIDriverInfoFromSC for a claim not bound.
                let bound = (!c.spec.volume_name.is_empty())
                    .then(|| self.informer.get(&Kind::PersistentVolume, "", &c.spec.volume_name).and_then(|o| o.as_pv()))
                    .flatten();
                match bound {
                    Some(v) => {
                        if let Some((d, h)) = v.csi_handle() {
                            out.insert(format!("{d}/{h}"), d.to_string());
                        }
                    }
                    None => {
                        let class = self.informer.get(&Kind::StorageClass, "", c.class()).and_then(|o| o.as_storage_class());
                        if let Some(k) = class.filter(|_| !c.class().is_empty()) {
                            out.insert(format!("{}/ksim-{}/{}", k.provisioner, c.metadata.namespace, c.metadata.name), k.provisioner.clone());
                        }
                    }
                }
            }
        };
        let mut new_volumes = BTreeMap::new();
        volumes_of(pod, &mut new_volumes);
        if new_volumes.is_empty() {
            return None;
        }
        let mut pod_volumes: BTreeMap<String, BTreeMap<String, String>> = BTreeMap::new();
        for node in limits.keys() {
            let Some(&ni) = self.node_index.get(node) else { continue };
            for p in &self.nodes[ni].pods {
                let pp = p.pod();
                if pp.metadata.uid != pod.metadata.uid {
                    let mut a = BTreeMap::new();
                    volumes_of(pp, &mut a);
                    if !a.is_empty() {
                        pod_volumes.insert(pp.metadata.uid.to_string(), a);
                    }
                }
            }
        }
        Some(plugins::node_volume_limits::PreFilterState { new_volumes, limits, pod_volumes })
    }

    /// AssumePodVolumes and BindPodVolumes' API calls: each chosen volume gets the
    /// claim's reference (and `bound-by-controller`), each claim to provision the
    /// selected-node annotation; then the pod waits (poll_volumes).
    #[allow(clippy::too_many_arguments)]
    fn reserve_volumes(
        &mut self,
        uid: &str,
        ns: &str,
        name: &str,
        node: usize,
        st: &plugins::volume_binding::PreFilterState,
        pv: &plugins::volume_binding::PodVolumes,
        ctx: &mut Ctx,
    ) {
        use crate::api::storage::{ANN_BOUND_BY_CONTROLLER, ANN_SELECTED_NODE};
        let mut claims = Vec::new();
        let mut volumes = Vec::new();
        let node_name = self.nodes[node].name.clone();
        for (i, vname) in &pv.static_bindings {
            let c = st.delay[*i].pvc();
            claims.push((c.metadata.name.to_string(), false, 0));
            self.assumed_claims.insert((ns.to_string(), c.metadata.name.to_string()), (node_name.to_string(), uid.to_string(), false));
            let Some(v) = self.informer.get(&Kind::PersistentVolume, "", vname).and_then(|o| o.as_pv()) else { continue };
            let mut nv = v.clone();
            nv.spec.claim_ref = Some(crate::controller_manager::persistent_volume::claim_ref(c));
            nv.metadata.annotations.entry(ANN_BOUND_BY_CONTROLLER.into()).or_insert_with(|| "yes".into());
            self.volume_writes.insert((Kind::PersistentVolume, String::new(), vname.clone()), uid.to_string());
            ctx.request_reply(Request::Update(Object::PersistentVolume(Box::new(nv))), 0);
            volumes.push((vname.clone(), 0));
        }
        for &i in &pv.provisions {
            let c = st.delay[i].pvc();
            self.assumed_claims.entry((ns.to_string(), c.metadata.name.to_string())).or_insert((node_name.to_string(), uid.to_string(), true));
            if c.metadata.annotations.get(ANN_SELECTED_NODE).map(|s| s.as_str()) != Some(&*node_name) {
                claims.push((c.metadata.name.to_string(), true, 0));
                let mut nc = c.clone();
                nc.metadata.annotations.insert(ANN_SELECTED_NODE.into(), node_name.to_string());
                self.volume_writes.insert((Kind::PersistentVolumeClaim, ns.to_string(), c.metadata.name.to_string()), uid.to_string());
                ctx.request_reply(Request::Update(Object::PersistentVolumeClaim(Box::new(nc))), 0);
            } else {
                // Already this node's (a retry, or another pod's): checked from the
                // claim as it is.
                claims.push((c.metadata.name.to_string(), true, c.metadata.resource_version.0.max(1)));
            }
        }
        for &i in &pv.waits {
            let c = st.delay[i].pvc();
            claims.push((c.metadata.name.to_string(), false, 0));
        }
        let first = ctx.now + SimDuration::from_secs(1);
        self.prebinding.insert(
            uid.to_string(),
            PreBinding {
                namespace: ns.to_string(),
                name: name.to_string(),
                node,
                claims,
                volumes,
                next_poll: first,
                deadline: ctx.now + SimDuration::from_secs(plugins::volume_binding::BIND_TIMEOUT_SECONDS),
            },
        );
        self.arm_volume_poll(ctx);
    }

    /// A pod leaves PreBind: its assumed claims and writes are dropped (the assume
    /// cache's Restore, or the informer has the truth now).
    fn end_prebinding(&mut self, uid: &str) -> Option<PreBinding> {
        let b = self.prebinding.remove(uid)?;
        self.assumed_claims.retain(|_, (_, u, _)| u != uid);
        self.volume_writes.retain(|_, u| u != uid);
        Some(b)
    }

    /// PreBind failed: the assumed pod is forgotten and goes back to the queue with the
    /// error (handleSchedulingFailure): `running PreBind plugin "VolumeBinding": ` and
    /// BindPodVolumes' error — an API refusal as it is, a failed or timed-out wait as
    /// `binding volumes: …`.
    fn fail_prebinding(&mut self, uid: &str, e: &str, ctx: &mut Ctx) {
        let Some(b) = self.end_prebinding(uid) else { return };
        self.forget(uid);
        if let Some(obj) = self.informer.get(&Kind::Pod, &b.namespace, &b.name).cloned() {
            if let Some(p) = obj.as_pod().filter(|p| p.metadata.uid == uid && p.spec.node_name.is_empty()) {
                let priority = p.spec.priority.unwrap_or(0);
                self.pending.insert(uid, (b.namespace.as_str().into(), b.name.as_str().into()));
                self.queue.add_after_error(uid, priority, ctx.now);
                let msg = format!("running PreBind plugin \"VolumeBinding\": {e}");
                self.report_failure(&obj, "SchedulerError", &msg, None, ctx);
            }
        }
    }

    fn arm_volume_poll(&mut self, ctx: &mut Ctx) {
        let Some(next) = self.prebinding.values().map(|b| b.next_poll).min() else { return };
        if self.volume_poll_at.is_none_or(|t| t > next) {
            self.volume_poll_at = Some(next);
            ctx.after(next.since(ctx.now), Timer::VolumePoll);
        }
    }

    /// checkBindings for each pod whose poll is due (once the cache has caught up with
    /// the pod's own writes): a volume whose claimRef was reset, a claim whose
    /// selected-node is not this node any more (the provisioner gave up) or the timeout
    /// fail the pod's PreBind (`binding volumes: …`); every claim bound → Bind.
    fn poll_volumes(&mut self, ctx: &mut Ctx) {
        use crate::api::storage::ANN_SELECTED_NODE;
        let due: Vec<String> = self.prebinding.iter().filter(|(_, b)| b.next_poll <= ctx.now).map(|(u, _)| u.clone()).collect();
        for uid in due {
            let Some(b) = self.prebinding.get(&uid) else { continue };
            let node_name = self.nodes[b.node].name.clone();
            let mut err = None;
            for (v, rv) in &b.volumes {
                let pv = self.informer.get(&Kind::PersistentVolume, "", v).and_then(|o| o.as_pv());
                if let Some(pv) = pv.filter(|pv| *rv > 0 && pv.metadata.resource_version.0 >= *rv) {
                    if pv.spec.claim_ref.as_ref().is_none_or(|r| r.uid.is_empty()) {
                        err = Some(format!("ClaimRef got reset for pv {v:?}"));
                    }
                }
            }
            let mut all_bound = true;
            for (c, provisioned, rv) in &b.claims {
                match self.informer.get(&Kind::PersistentVolumeClaim, &b.namespace, c).and_then(|o| o.as_pvc()) {
                    None => err = err.or_else(|| Some(format!("persistentvolumeclaim {c:?} not found"))),
                    Some(pvc) => {
                        if pvc.fully_bound() {
                            continue;
                        }
                        all_bound = false;
                        let caught_up = *rv > 0 && pvc.metadata.resource_version.0 >= *rv;
                        if *provisioned && caught_up && pvc.metadata.annotations.get(ANN_SELECTED_NODE).map(|s| s.as_str()) != Some(&*node_name) {
                            err = err.or_else(|| Some(format!("provisioning failed for PVC {c:?}")));
                        }
                    }
                }
            }
            if err.is_none() && !all_bound && ctx.now >= b.deadline {
                err = Some("context deadline exceeded".into());
            }
            if let Some(e) = err {
                self.fail_prebinding(&uid, &format!("binding volumes: {e}"), ctx);
                continue;
            }
            if all_bound {
                let b = self.end_prebinding(&uid).expect("prebinding");
                let (namespace, name): (Text, Text) = (b.namespace.as_str().into(), b.name.as_str().into());
                self.binding.insert((namespace.clone(), name.clone()), (uid.clone(), b.node));
                ctx.request_reply(Request::Bind(Box::new(Binding { namespace, name, uid: uid.into(), node: node_name })), 0);
            } else if let Some(b) = self.prebinding.get_mut(&uid) {
                b.next_poll = b.next_poll + SimDuration::from_secs(1);
            }
        }
        self.arm_volume_poll(ctx);
    }

    /// Filters a node as RunFilterPluginsWithNominatedPods does: if pods of equal or
    /// higher priority are nominated to it, the pod must fit with them added, and also
    /// without them.
    fn filter_with_nominated(&self, profile: &Profile, state: &CycleState, info: &PodInfo, ni: usize, snap: &Snapshot) -> Option<Status> {
        let uid = info.uid();
        let mut with: Option<(NodeInfo, CycleState)> = None;
        let key = UidKey::new(uid);
        for (nuid, (nni, ninfo)) in self.nominated.iter() {
            if *nni != ni || *nuid == key || ninfo.priority < info.priority {
                continue;
            }
            let (node, st) = with.get_or_insert_with(|| (self.nodes[ni].clone(), state.clone()));
            node.add_pod(ninfo.clone());
            default_preemption::update_state(st, info, ninfo, node, snap, 1);
        }
        if let Some((node, st)) = &with {
            if let Some(s) = plugins::run_filters(profile, st, info, node, snap) {
                return Some(s);
            }
        }
        plugins::run_filters(profile, state, info, &self.nodes[ni], snap)
    }

    /// PostFilter: DefaultPreemption. On success the victims are being deleted and the
    /// pod is nominated; returns (node, victims) or the preemption message.
    fn post_filter(
        &mut self,
        profile: &Profile,
        state: &CycleState,
        info: &PodInfo,
        statuses: &[(usize, Status)],
        ctx: &mut Ctx,
    ) -> Result<(String, Vec<String>), String> {
        let pod = info.pod();
        let terminating_lower = self.node_index.get(pod.status.nominated_node_name.as_str()).is_some_and(|&ni| {
            self.nodes[ni].pods.iter().any(|p| p.priority < info.priority && self.informer_pod(p).is_some_and(|x| x.metadata.rare.deletion_timestamp.is_some()))
        });
        default_preemption::eligible(info, terminating_lower).map_err(|m| format!("preemption: {m}"))?;
        let budgets = self.budgets();
        let offset = if statuses.is_empty() { 0 } else { self.rng.random_range(0..statuses.len()) };
        let outcome = {
            let snap = self.snapshot();
            let uid = info.uid();
            let key = UidKey::new(uid);
            let nominated = |ni: usize| -> Vec<Rc<PodInfo>> {
                self.nominated.iter().filter(|(u, (n, p))| *n == ni && **u != key && p.priority >= info.priority).map(|(_, (_, p))| p.clone()).collect()
            };
            default_preemption::preempt(profile, state, info, &snap, statuses, &budgets, offset, &nominated)
        };
        let c = match outcome {
            default_preemption::Outcome::Fail(m) => return Err(m),
            default_preemption::Outcome::Nominate(c) => c,
        };
        let node_name = self.nodes[c.node].name.clone();
        let mut victims = Vec::new();
        for v in &c.victims {
            let vp = v.pod();
            victims.push(format!("{}/{}", vp.metadata.namespace, vp.metadata.name));
            let Some(cur) = self.informer.get(&Kind::Pod, &vp.metadata.namespace, &vp.metadata.name).cloned() else { continue };
            if let Some(cp) = cur.as_pod() {
                if cp.metadata.rare.deletion_timestamp.is_none() {
                    let mut np = cp.clone();
                    np.metadata.resource_version.0 = 0;
                    np.set_condition(
                        "DisruptionTarget",
                        "True",
                        "PreemptionByScheduler",
                        &format!("{}: preempting to accommodate a higher priority pod", profile.scheduler_name),
                        ctx.now_time(),
                    );
                    ctx.request(Request::UpdateStatus(Object::Pod(Box::new(np))));
                    ctx.request(Request::Delete { key: Box::new(cur.key()), grace_period_seconds: None, uid: Some(cp.metadata.uid.to_string()) });
                    let msg = format!("Preempted by pod {} on node {node_name}", pod.metadata.uid);
                    self.event(&cur, "Normal", "Preempted", &msg, ctx);
                }
            }
        }
        // Lower-priority pods nominated to the same node lose their nomination.
        let lower: Vec<String> = self.nominated.iter().filter(|(_, (ni, p))| *ni == c.node && p.priority < info.priority).map(|(u, _)| u.to_string()).collect();
        for u in lower {
            if let Some((_, p)) = self.nominated.remove(&u) {
                let lp = p.pod();
                if let Some(cur) = self.informer.get(&Kind::Pod, &lp.metadata.namespace, &lp.metadata.name).and_then(|o| o.as_pod()) {
                    let mut np = cur.clone();
                    np.metadata.resource_version.0 = 0;
                    np.status.nominated_node_name.clear();
                    ctx.request(Request::UpdateStatus(Object::Pod(Box::new(np))));
                }
            }
        }
        let mut nominated_info = info.clone();
        nominated_info.object = Rc::new(Object::Pod(Box::new(pod.clone())));
        self.nominated.insert(&pod.metadata.uid, (c.node, Rc::new(nominated_info)));
        Ok((node_name.to_string(), victims))
    }

    /// The explain record of a failed attempt: the message, the preemption's (nominated
    /// node, victims), the rejected nodes by name.
    #[allow(clippy::too_many_arguments)]
    fn explain_failure(
        &mut self,
        pod: &str,
        profile: &Profile,
        now: SimTime,
        msg: &str,
        (nominated_node, victims): (Option<String>, Vec<String>),
        statuses: &[(usize, Status)],
        evaluated_nodes: usize,
    ) {
        let mut nodes = self.rejected_nodes(statuses);
        nodes.sort_by(|a, b| a.name.cmp(&b.name));
        self.explanation = Some(Explanation {
            pod: pod.to_string(),
            scheduler_name: profile.scheduler_name.clone(),
            time: now,
            node: None,
            message: msg.to_string(),
            nominated_node,
            victims,
            evaluated_nodes,
            total_nodes: self.order.len(),
            nodes,
        });
    }

    /// The explain records of the nodes the filters rejected.
    fn rejected_nodes(&self, statuses: &[(usize, Status)]) -> Vec<NodeExplanation> {
        statuses
            .iter()
            .map(|(ni, st)| NodeExplanation {
                name: self.nodes[*ni].name.to_string(),
                feasible: false,
                filter: st.reasons.iter().map(|r| FilterResult { plugin: st.plugin.to_string(), reason: r.clone() }).collect(),
                scores: Vec::new(),
                total: 0,
            })
            .collect()
    }

    fn informer_pod(&self, p: &PodInfo) -> Option<&crate::api::pod::Pod> {
        let pp = p.pod();
        self.informer.get(&Kind::Pod, &pp.metadata.namespace, &pp.metadata.name).and_then(|o| o.as_pod())
    }

    /// PreScore, Score, NormalizeScore, then selectHost: reservoir sampling among the
    /// nodes with the highest total (a single feasible node is taken without scoring).
    #[allow(clippy::too_many_arguments)]
    fn select_host(
        &mut self,
        profile: &Profile,
        state: &mut CycleState,
        info: &PodInfo,
        feasible: &[usize],
        statuses: &[(usize, Status)],
        explaining: bool,
        now: SimTime,
    ) -> usize {
        let (per_plugin, totals) = if feasible.len() == 1 {
            (Vec::new(), vec![0])
        } else {
            let snap = self.snapshot();
            plugins::run_pre_score(profile, state, info, &snap, feasible);
            plugins::run_scores(profile, state, info, &snap, feasible, explaining)
        };
        let mut best = i64::MIN;
        let mut chosen = feasible[0];
        let mut count = 0u32;
        if feasible.len() > 1 {
            for (&ni, &s) in feasible.iter().zip(&totals) {
                if s > best {
                    best = s;
                    chosen = ni;
                    count = 1;
                } else if s == best {
                    count += 1;
                    if self.rng.random_range(0..count) == 0 {
                        chosen = ni;
                    }
                }
            }
        }
        if explaining {
            let pod = info.pod();
            let mut nodes: Vec<NodeExplanation> = feasible
                .iter()
                .enumerate()
                .map(|(k, &ni)| NodeExplanation {
                    name: self.nodes[ni].name.to_string(),
                    feasible: true,
                    filter: Vec::new(),
                    scores: per_plugin
                        .iter()
                        .map(|s| ScoreResult {
                            plugin: s.plugin.to_string(),
                            raw: s.raw[k],
                            normalized: s.normalized[k],
                            weight: s.weight,
                            weighted: s.normalized[k] * s.weight,
                        })
                        .collect(),
                    total: totals[k],
                })
                .collect();
            nodes.extend(self.rejected_nodes(statuses));
            nodes.sort_by(|a, b| a.name.cmp(&b.name));
            self.explanation = Some(Explanation {
                pod: format!("{}/{}", pod.metadata.namespace, pod.metadata.name),
                scheduler_name: profile.scheduler_name.clone(),
                time: now,
                node: Some(self.nodes[chosen].name.to_string()),
                message: String::new(),
                nominated_node: None,
                victims: Vec::new(),
                evaluated_nodes: feasible.len() + statuses.len(),
                total_nodes: self.order.len(),
                nodes,
            });
        }
        chosen
    }

    /// Records an Event about `obj` through the series recorder.
    fn event(&mut self, obj: &Object, type_: &'static str, reason: impl Into<std::borrow::Cow<'static, str>>, msg: &str, ctx: &mut Ctx) {
        self.event_seq += 1;
        let source = self.event_source.get_or_insert_with(|| Rc::new(crate::api::event::EventSource { component: SCHEDULER_NAME.into(), host: String::new() }));
        let e = crate::client::event_with(Rc::new(crate::client::object_reference(obj)), source.clone(), type_, reason, msg, ctx.now, self.event_seq);
        if let Some(r) = crate::client::event_request(self.events.record(e, obj.meta().resource_version.0, ctx.now)) {
            ctx.request(r);
        }
        self.arm_event_tickers(ctx);
    }

    /// The recorder's two tickers, running while it has something cached (ticking from
    /// the scheduler's start, as the broadcaster's do).
    fn arm_event_tickers(&mut self, ctx: &mut Ctx) {
        use crate::client::events::{next_tick, SERIES_FINISH, SERIES_REFRESH};
        if self.events.is_empty() {
            return;
        }
        for (i, (period, timer)) in [(SERIES_FINISH, Timer::FinishEventSeries), (SERIES_REFRESH, Timer::RefreshEventSeries)].into_iter().enumerate() {
            if !self.event_tickers[i] {
                self.event_tickers[i] = true;
                ctx.after(next_tick(ctx.now, period).since(ctx.now), timer);
            }
        }
    }

    /// The FailedScheduling event and the PodScheduled=False condition (with the
    /// nominated node when preemption made room).
    fn report_failure(&mut self, obj: &Rc<Object>, reason: &str, msg: &str, nominated: Option<String>, ctx: &mut Ctx) {
        self.event(obj, "Warning", "FailedScheduling", msg, ctx);
        if let Object::Pod(p) = &**obj {
            let mut np = p.clone();
            np.metadata.resource_version.0 = 0;
            np.set_condition("PodScheduled", "False", reason, msg, ctx.now_time());
            if let Some(n) = nominated {
                np.status.nominated_node_name = n.into();
            }
            if np.status != p.status {
                ctx.request(Request::UpdateStatus(Object::Pod(np)));
            }
        }
    }

    pub fn on_response(&mut self, _tag: u32, req: &Request, resp: &Response, ctx: &mut Ctx) {
        // BindPodVolumes' API writes: a refusal fails the pod's PreBind (the error as the
        // apiserver words it); an answer tells checkBindings which version to wait for.
        if let Request::Update(o) = req {
            let key = (o.kind(), o.meta().namespace.to_string(), o.meta().name.to_string());
            if let Some(uid) = self.volume_writes.remove(&key) {
                match resp {
                    Response::Error(st) => self.fail_prebinding(&uid, &st.message, ctx),
                    Response::Object(written) => {
                        let rv = written.meta().resource_version.0;
                        if let Some(b) = self.prebinding.get_mut(&uid) {
                            for (_, _, r) in b.claims.iter_mut().filter(|(c, _, _)| key.0 == Kind::PersistentVolumeClaim && *c == key.2) {
                                *r = rv;
                            }
                            for (_, r) in b.volumes.iter_mut().filter(|(v, _)| key.0 == Kind::PersistentVolume && *v == key.2) {
                                *r = rv;
                            }
                        }
                    }
                    Response::List(..) | Response::PodMetrics(_) => {}
                }
            }
            self.ensure_timers(ctx);
            return;
        }
        let Request::Bind(b) = req else { return };
        let Binding { namespace, name, node, .. } = &**b;
        let Some((uid, _)) = self.binding.remove(&(namespace.clone(), name.clone())) else { return };
        match resp {
            Response::Object(o) => {
                let msg = format!("Successfully assigned {namespace}/{name} to {node}");
                self.event(o, "Normal", "Scheduled", &msg, ctx);
            }
            Response::Error(st) => {
                self.forget(&uid);
                let obj = self.informer.get(&Kind::Pod, namespace, name).cloned();
                let retry = obj
                    .as_ref()
                    .and_then(|o| o.as_pod())
                    .filter(|p| p.metadata.uid == uid && p.spec.node_name.is_empty() && p.metadata.rare.deletion_timestamp.is_none());
                // A pod that is gone, bound or being deleted is not retried.
                if let (Some(p), false) = (retry, st.reason == "NotFound") {
                    let priority = p.spec.priority.unwrap_or(0);
                    let obj = obj.clone().expect("pod");
                    self.pending.insert(&uid, (namespace.clone(), name.clone()));
                    self.queue.add_after_error(&uid, priority, ctx.now);
                    let msg = format!("running Bind plugin \"DefaultBinder\": {}", st.message);
                    self.report_failure(&obj, "SchedulerError", &msg, None, ctx);
                }
            }
            Response::List(..) | Response::PodMetrics(_) => {}
        }
        self.ensure_timers(ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn adaptive_percentage_of_nodes_to_score() {
        let s = Scheduler::new(RngStreams::new(1).stream("scheduler"));
        assert_eq!(s.num_feasible_nodes_to_find(0, 50), 50);
        assert_eq!(s.num_feasible_nodes_to_find(0, 100), 100);
        assert_eq!(s.num_feasible_nodes_to_find(0, 1000), 420); // 50 - 8 = 42 %
        assert_eq!(s.num_feasible_nodes_to_find(0, 5000), 500); // 10 %
        assert_eq!(s.num_feasible_nodes_to_find(0, 6000), 300); // max(5 %, 2 %) = 5 %
        assert_eq!(s.num_feasible_nodes_to_find(50, 1000), 500);
        assert_eq!(s.num_feasible_nodes_to_find(1, 1000), 100); // at least 100
    }

    /// The nodes that list an image share one copy of its name, counted per node
    /// (ImageStateSummary.NumNodes); a node that goes lets its count go, and the last
    /// one the name.
    #[test]
    fn nodes_share_one_copy_of_an_image_name() {
        use crate::api::node::{ContainerImage, Node};
        let mut s = Scheduler::new(RngStreams::new(1).stream("scheduler"));
        let node = |name: &str, images: &[&str]| {
            let mut n = Node::default();
            n.metadata.name = name.into();
            n.status.images = images.iter().map(|i| ContainerImage { names: vec![i.to_string()], size_bytes: Some(300 << 20) }).collect();
            Rc::new(Object::Node(Box::new(n)))
        };
        let watch = |type_, object: Rc<Object>, prev: Option<Rc<Object>>| WatchEvent { revision: 1, type_, object, prev, time: SimTime::ZERO };
        let mut out = Vec::new();
        let (pause, web) = ("registry.k8s.io/pause:3.10", "nginx:1.27");
        for name in ["n1", "n2", "n3"] {
            s.on_node(&watch(WatchEventType::Added, node(name, &[pause, web]), None), &mut Ctx::new(SimTime::ZERO, &mut out));
        }
        let image = |s: &Scheduler, n: usize, name: &str| s.nodes[n].images.iter().find(|(i, _)| &**i == name).expect("listed").0.clone();
        for name in [pause, web] {
            let shared = s.image_nodes.get_key_value(name).expect("counted").0.clone();
            assert!((0..3).all(|n| Rc::ptr_eq(&image(&s, n, name), &shared)), "{name}: one copy");
            assert_eq!(s.image_nodes[name], 3);
        }
        // A node's update makes its names again: the shared one is taken again.
        s.on_node(&watch(WatchEventType::Modified, node("n2", &[pause]), Some(node("n2", &[pause, web]))), &mut Ctx::new(SimTime(1), &mut out));
        assert!(Rc::ptr_eq(&image(&s, 1, pause), &image(&s, 0, pause)));
        assert_eq!((s.image_nodes[pause], s.image_nodes[web]), (3, 2));
        for name in ["n1", "n3"] {
            s.on_node(&watch(WatchEventType::Deleted, node(name, &[pause, web]), None), &mut Ctx::new(SimTime(2), &mut out));
        }
        assert_eq!(s.image_nodes.iter().map(|(k, v)| (&**k, *v)).collect::<Vec<_>>(), [(pause, 1)]);
    }
}
