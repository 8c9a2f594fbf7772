//! The DaemonSet controller (pkg/controller/daemon/daemon_controller.go): one pod per
//! eligible node. syncDaemonSet records the template in a ControllerRevision
//! (`history.rs`, constructHistory), claims the pods (adopting matching orphans,
//! releasing owned pods that no longer match), then — when its expectations are
//! satisfied — `manage`: for each node, podsShouldBeOnNode (create where a pod should run
//! and none does, delete excess, failed (with failedPodsBackoff: 1 s doubling to 15 min
//! per node) and succeeded pods, and pods on nodes that no longer want them), plus
//! unscheduled pods meant for nodes that are gone; then the update strategy
//! (`update.rs`: RollingUpdate within maxUnavailable, or creating up to maxSurge extra
//! pods; OnDelete does nothing); then cleanupHistory and updateDaemonSetStatus.
//!
//! Pods are created from the template with the daemon tolerations, the
//! `controller-revision-hash` and `pod-template-generation` labels, and a required node
//! affinity `metadata.name In [node]`, so the default scheduler places them; creates go
//! in slow-start batches (burstReplicas 250) under expectations, and each is recorded
//! after its answer (`SuccessfulCreate` "Created pod: NAME", `FailedCreate`,
//! `SuccessfulDelete`, `FailedDelete`), as RealPodControl does. A failed round requeues
//! the DaemonSet through the rate limiter.
//!
//! Differences: upstream runs the slow-start batches inside one sync; ksim sends each
//! batch when the previous one is answered, and does not sync a DaemonSet again while
//! its creates or deletes are unanswered. Upstream walks Go maps of nodes in random order
//! when it picks pods to replace in a rolling update; ksim walks them by node name.
//! Orphaned ControllerRevisions are not adopted, and hash collisions between templates
//! (FNV-32a of the canonical JSON, as the Deployment controller's) are not resolved.

pub mod history;
pub mod update;
pub mod util;

use super::controller_utils::{self, is_pod_available, pod_create_answered, pod_delete_answered, ControllerExpectations, Deletes, SlowStart};
use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::daemon_set::DaemonSet;
use crate::api::meta::{ObjectMeta, OwnerReference};
use crate::api::node::{Node, NodeStatus};
use crate::api::pod::{Pod, PodTemplateSpec, Toleration};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::rc::Rc;
use util::{daemon_pod_tolerations, get_target_node_name, node_should_run_daemon_pod};

/// BurstReplicas: at most this many creates (and deletes) per sync.
pub const BURST_REPLICAS: usize = 250;
/// failedPodsBackoff: flowcontrol.NewBackOff(1s, 15min) in cmd/kube-controller-manager.
pub const FAILED_PODS_BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(1);
pub const FAILED_PODS_BACKOFF_MAX: SimDuration = SimDuration::from_secs(15 * 60);

/// The daemon pods of a DaemonSet by the node they are for (ordered by node name).
pub type NodeToDaemonPods<'a> = BTreeMap<String, Vec<&'a Pod>>;

/// client-go's flowcontrol.Backoff without jitter: per key, a delay that starts at
/// `initial` and doubles up to `max` at each `next`; an entry idle for twice `max` is
/// forgotten (and starts over).
#[derive(Debug)]
pub struct Backoff {
    initial: SimDuration,
    max: SimDuration,
    entries: BTreeMap<String, (SimDuration, SimTime)>,
}

impl Backoff {
    pub fn new(initial: SimDuration, max: SimDuration) -> Self {
        Backoff { initial, max, entries: BTreeMap::new() }
    }

    fn expired(&self, now: SimTime, last: SimTime) -> bool {
        now.since(last) > self.max.times(2)
    }

    /// IsInBackOffSinceUpdate.
    pub fn in_backoff_since_update(&self, key: &str, now: SimTime) -> bool {
        self.entries.get(key).is_some_and(|&(d, last)| !self.expired(now, last) && now.since(last) < d)
    }

    /// Get: the current delay (0 without an entry).
    pub fn get(&self, key: &str) -> SimDuration {
        self.entries.get(key).map_or(SimDuration::ZERO, |e| e.0)
    }

    /// Next: start at `initial`, or double (capped); GC drops expired entries as it goes.
    pub fn next(&mut self, key: &str, now: SimTime) {
        let d = match self.entries.get(key) {
            Some(&(d, last)) if !self.expired(now, last) => d.times(2).min(self.max),
            _ => self.initial,
        };
        let max2 = self.max.times(2);
        self.entries.retain(|_, (_, last)| now.since(*last) <= max2);
        self.entries.insert(key.to_string(), (d, now));
    }
}

/// Creates of one sync not all answered: the slow-start state, the nodes still to get a
/// pod, and the pod template (with the hash of the sync that decided them).
#[derive(Debug)]
struct Creating {
    slow: SlowStart,
    nodes: VecDeque<String>,
    template: PodTemplateSpec,
}

pub struct DaemonSetsController {
    queue: WorkQueue<NsName>,
    expectations: ControllerExpectations<NsName>,
    creating: BTreeMap<NsName, Creating>,
    deleting: BTreeMap<NsName, Deletes>,
    /// The DaemonSet of each pod uid whose delete is unanswered.
    delete_owner: BTreeMap<String, NsName>,
    /// A failed create or delete in the current round of a DaemonSet.
    round_failed: BTreeSet<NsName>,
    failed_pods_backoff: Backoff,
    /// ControllerRevisions (namespace, name) whose create is unanswered.
    revisions_in_flight: BTreeSet<NsName>,
}

impl Default for DaemonSetsController {
    fn default() -> Self {
        DaemonSetsController {
            queue: WorkQueue::new(Order::Fifo),
            expectations: Default::default(),
            creating: BTreeMap::new(),
            deleting: BTreeMap::new(),
            delete_owner: BTreeMap::new(),
            round_failed: BTreeSet::new(),
            failed_pods_backoff: Backoff::new(FAILED_PODS_BACKOFF_INITIAL, FAILED_PODS_BACKOFF_MAX),
            revisions_in_flight: BTreeSet::new(),
        }
    }
}

pub fn controller_ref(ds: &DaemonSet) -> OwnerReference {
    controller_utils::controller_ref("apps/v1", "DaemonSet", &ds.metadata.name, &ds.metadata.uid)
}

fn key_of(ds: &DaemonSet) -> NsName {
    (ds.metadata.namespace.to_string(), ds.metadata.name.to_string())
}

/// resolveControllerRef: the cached DaemonSet a controller reference names, by name and uid.
fn resolve<'a>(inf: &'a SharedInformers, ns: &str, r: &OwnerReference) -> Option<&'a DaemonSet> {
    if r.kind != "DaemonSet" {
        return None;
    }
    inf.get(&Kind::DaemonSet, ns, &r.name).and_then(|o| o.as_daemon_set()).filter(|ds| ds.metadata.uid == r.uid)
}

/// podByCreationTimestampAndPhase: scheduled pods first, then older, then by name.
pub fn by_creation_and_phase(a: &Pod, b: &Pod) -> Ordering {
    let unscheduled = |p: &Pod| p.spec.node_name.is_empty();
    unscheduled(a)
        .cmp(&unscheduled(b))
        .then_with(|| a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp))
        .then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

impl Controller for DaemonSetsController {
    type Key = NsName;
    const NAME: &'static str = "daemonset-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::DaemonSet | Kind::ControllerRevision | Kind::Pod | Kind::Node)
    }

    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        let deleted = ev.type_ == WatchEventType::Deleted;
        match &*ev.object {
            Object::DaemonSet(ds) => {
                if deleted {
                    self.expectations.delete(&key_of(ds));
                }
                self.queue.add(key_of(ds));
            }
            Object::Pod(p) => self.on_pod(inf, ev, p, ctx),
            Object::Node(n) => self.on_node(inf, ev, n),
            Object::ControllerRevision(cr) => {
                let m = &cr.metadata;
                if ev.type_ == WatchEventType::Added {
                    self.revisions_in_flight.remove(&(m.namespace.to_string(), m.name.to_string()));
                }
                if let Some(ds) = m.controller_ref().and_then(|r| resolve(inf, &m.namespace, r)) {
                    self.queue.add(key_of(ds));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::DaemonSet, &key.0, &key.1).cloned() else {
            self.expectations.delete(key);
            return Synced::Done;
        };
        let ds = obj.as_daemon_set().expect("a DaemonSet");
        // An empty selector would claim every pod of the namespace: refused (validation
        // forbids it; an object from before that rule could still have one).
        if ds.spec.selector.as_ref().is_some_and(|s| s.is_empty()) {
            ctx.event(&obj, "Warning", "SelectingAll", "This daemon set is selecting all pods. A non-empty selector is required.");
            return Synced::Done;
        }
        // A DaemonSet being deleted: its history may be gone, so its status cannot be
        // computed reliably (syncDaemonSet returns).
        if ds.metadata.rare.deletion_timestamp.is_some() {
            return Synced::Done;
        }
        let nodes: Vec<&Node> = inf.list(&Kind::Node).filter_map(|o| o.as_node()).collect();
        let tolerations = daemon_pod_tolerations(ds);
        let (hash, old_revisions) = self.construct_history(inf, ds, ctx);
        let claimed = self.claim_pods(inf, ds, ctx);
        let pods: Vec<&Pod> = claimed.iter().filter_map(|o| o.as_pod()).collect();
        let node_to_pods = node_to_daemon_pods(&pods, false);
        let busy = self.creating.contains_key(key) || self.deleting.contains_key(key);
        if !self.expectations.satisfied(key) || busy {
            self.update_status(ds, &nodes, &tolerations, &node_to_pods, &hash, false, ctx);
            return if busy { Synced::Pending } else { Synced::Done };
        }
        let mut outcome = self.manage(ds, &nodes, &tolerations, &node_to_pods, &hash, ctx);
        if outcome == Synced::Done && ds.strategy_type() == "RollingUpdate" {
            outcome = self.rolling_update(ds, &nodes, &tolerations, node_to_pods.clone(), &hash, ctx);
        }
        self.cleanup_history(ds, &old_revisions, &node_to_daemon_pods(&pods, true), ctx);
        self.update_status(ds, &nodes, &tolerations, &node_to_pods, &hash, true, ctx);
        outcome
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        match req {
            Request::Create(Object::Pod(p)) => {
                let Some(r) = p.metadata.controller_ref() else { return };
                let key = (p.metadata.namespace.to_string(), r.name.clone());
                self.create_answered(inf, &key, resp, ctx);
            }
            Request::Create(Object::ControllerRevision(cr)) => {
                // A revision that already exists is the one wanted (snapshot's Match).
                self.revisions_in_flight.remove(&(cr.metadata.namespace.to_string(), cr.metadata.name.to_string()));
            }
            Request::Delete { key: pod, uid: Some(uid), .. } => {
                let Some(owner) = self.delete_owner.remove(uid) else { return };
                self.delete_answered(inf, &owner, pod, uid, resp, ctx);
            }
            _ => {}
        }
    }
}

/// getNodesToDaemonPods: claimed pods by the node they are for (GetTargetNodeName);
/// terminal pods being deleted are left out unless `include_deleted_terminal`.
pub fn node_to_daemon_pods<'a>(pods: &[&'a Pod], include_deleted_terminal: bool) -> NodeToDaemonPods<'a> {
    let mut out: NodeToDaemonPods = BTreeMap::new();
    for p in pods {
        if !include_deleted_terminal && p.is_terminal() && p.metadata.rare.deletion_timestamp.is_some() {
            continue;
        }
        if let Ok(node) = get_target_node_name(p) {
            out.entry(node).or_default().push(p);
        }
    }
    out
}

impl DaemonSetsController {
    /// The pod event handlers (addPod, updatePod, deletePod).
    fn on_pod(&mut self, inf: &SharedInformers, ev: &WatchEvent, p: &Pod, ctx: &mut ControllerCtx) {
        let ns = &p.metadata.namespace;
        let prev = ev.prev.as_ref().and_then(|o| o.as_pod());
        if ev.type_ == WatchEventType::Deleted || p.metadata.rare.deletion_timestamp.is_some() {
            // deletePod (also for a pod given a deletionTimestamp: the DaemonSet need not
            // wait for the kubelet to replace it).
            if let Some(ds) = p.metadata.controller_ref().and_then(|r| resolve(inf, ns, r)) {
                self.expectations.deletion_observed(&key_of(ds), &p.metadata.uid);
                self.queue.add(key_of(ds));
            }
            return;
        }
        let cur_ref = p.metadata.controller_ref();
        let old_ref = prev.and_then(|o| o.metadata.controller_ref());
        if let (Some(old), true) = (old_ref, prev.is_some() && old_ref != cur_ref) {
            if let Some(ds) = resolve(inf, ns, old) {
                self.queue.add(key_of(ds));
            }
        }
        if let Some(r) = cur_ref {
            let Some(ds) = resolve(inf, ns, r) else { return };
            let key = key_of(ds);
            if ev.type_ == WatchEventType::Added {
                self.expectations.creation_observed(&key);
            }
            self.queue.add(key.clone());
            // A pod turned Ready: look again once it can be available (+1 s for skew).
            let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
            if prev.is_some_and(|o| !o.is_ready()) && p.is_ready() && min_ready > 0 {
                ctx.requeue_after(&mut self.queue, key, SimDuration::from_secs(min_ready as u64 + 1));
            }
            return;
        }
        // An orphan: every DaemonSet that selects it may adopt it (on add, or when its
        // labels or controller changed).
        let changed = prev.is_none_or(|o| o.metadata.labels != p.metadata.labels || old_ref.is_some());
        if changed {
            for ds in inf.list_ns(&Kind::DaemonSet, ns).filter_map(|o| o.as_daemon_set()) {
                if ds.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(&p.metadata.labels)) {
                    self.queue.add(key_of(ds));
                }
            }
        }
    }

    /// addNode / updateNode: DaemonSets for which the node now should (or should no
    /// longer) run a pod. Node deletions have no handler upstream: PodGC removes the
    /// node's pods, and those deletions wake the DaemonSet.
    fn on_node(&mut self, inf: &SharedInformers, ev: &WatchEvent, n: &Node) {
        let prev = ev.prev.as_ref().and_then(|o| o.as_node());
        match (ev.type_, prev) {
            (WatchEventType::Deleted, _) => {}
            // No DaemonSet to wake (the loop below would find none).
            _ if inf.list(&Kind::DaemonSet).next().is_none() => {}
            (WatchEventType::Modified, Some(old)) if should_ignore_node_update(old, n) => {}
            (_, old) => {
                for ds in inf.list(&Kind::DaemonSet).filter_map(|o| o.as_daemon_set()) {
                    let tolerations = daemon_pod_tolerations(ds);
                    let now = node_should_run_daemon_pod(n, ds, &tolerations);
                    let wake = match old {
                        None => now.0,
                        Some(o) => node_should_run_daemon_pod(o, ds, &tolerations) != now,
                    };
                    if wake {
                        self.queue.add(key_of(ds));
                    }
                }
            }
        }
    }

    /// getDaemonPods → ClaimPods: the DaemonSet's pods (including failed ones), adopting
    /// matching orphans and releasing owned pods whose labels no longer match (neither
    /// for a pod being deleted).
    fn claim_pods(&self, inf: &SharedInformers, ds: &DaemonSet, ctx: &mut ControllerCtx) -> Vec<Rc<Object>> {
        let (ns, uid) = (&ds.metadata.namespace, &ds.metadata.uid);
        let Some(selector) = &ds.spec.selector else { return Vec::new() };
        let mut out = Vec::new();
        for (kind, pns, name) in inf.dependent_refs(uid) {
            if *kind != Kind::Pod {
                continue;
            }
            let Some(o) = inf.get(kind, pns, name) else { continue };
            let Some(p) = o.as_pod() else { continue };
            if p.metadata.controller_ref().is_none_or(|r| r.uid != *uid) {
                continue;
            }
            if selector.matches(&p.metadata.labels) {
                out.push(o.clone());
            } else if p.metadata.rare.deletion_timestamp.is_none() {
                let mut np = p.clone();
                np.metadata.owner_references.retain(|r| r.uid != *uid);
                np.metadata.resource_version.0 = 0;
                ctx.request(Request::Update(Object::Pod(Box::new(np))));
            }
        }
        if selector.is_empty() {
            return out;
        }
        for o in inf.orphan_pods(ns) {
            let Some(p) = o.as_pod() else { continue };
            if p.metadata.controller_ref().is_none() && p.metadata.rare.deletion_timestamp.is_none() && selector.matches(&p.metadata.labels) {
                let mut np = p.clone();
                np.metadata.owner_references.push(controller_ref(ds));
                ctx.request(Request::Update(Object::Pod(Box::new(np))));
                out.push(o);
            }
        }
        out
    }

    /// manage: podsShouldBeOnNode for every node, plus unscheduled pods meant for nodes
    /// that do not exist (PodGC only deletes bound pods), then syncNodes.
    fn manage(&mut self, ds: &DaemonSet, nodes: &[&Node], tol: &[Toleration], node_to_pods: &NodeToDaemonPods, hash: &str, ctx: &mut ControllerCtx) -> Synced {
        let mut creates = Vec::new();
        let mut deletes: Vec<&Pod> = Vec::new();
        for node in nodes {
            self.pods_should_be_on_node(ds, node, tol, node_to_pods, hash, &mut creates, &mut deletes, ctx);
        }
        let existing: BTreeSet<&str> = nodes.iter().map(|n| n.metadata.name.as_str()).collect();
        for (node, pods) in node_to_pods {
            if !existing.contains(node.as_str()) {
                deletes.extend(pods.iter().filter(|p| p.spec.node_name.is_empty()));
            }
        }
        self.sync_nodes(ds, &deletes, creates, hash, ctx)
    }

    /// podsShouldBeOnNode: what to create and delete on one node.
    #[allow(clippy::too_many_arguments)]
    fn pods_should_be_on_node<'a>(
        &mut self,
        ds: &DaemonSet,
        node: &Node,
        tol: &[Toleration],
        node_to_pods: &NodeToDaemonPods<'a>,
        hash: &str,
        creates: &mut Vec<String>,
        deletes: &mut Vec<&'a Pod>,
        ctx: &mut ControllerCtx,
    ) {
        let name = &node.metadata.name;
        let (should_run, should_continue) = node_should_run_daemon_pod(node, ds, tol);
        let pods = node_to_pods.get(name.as_str());
        if should_run && pods.is_none() {
            creates.push(name.to_string());
            return;
        }
        let Some(pods) = pods else { return };
        if !should_continue {
            deletes.extend(pods.iter().filter(|p| p.metadata.rare.deletion_timestamp.is_none()));
            return;
        }
        let mut running: Vec<&'a Pod> = Vec::new();
        for p in pods.iter().filter(|p| p.metadata.rare.deletion_timestamp.is_none()) {
            match &*p.status.phase {
                "Failed" => self.failed_pod(ds, name, p, deletes, ctx),
                "Succeeded" => {
                    let msg = format!("Found succeeded daemon pod {}/{} on node {name}, will try to delete it", p.metadata.namespace, p.metadata.name);
                    ctx.event(&Object::DaemonSet(Box::new(ds.clone())), "Normal", "SucceededDaemonPod", &msg);
                    deletes.push(p);
                }
                _ => running.push(p),
            }
        }
        running.sort_by(|a, b| by_creation_and_phase(a, b));
        if !util::allows_surge(ds) {
            // More than one running pod: all but the oldest go.
            deletes.extend(running.iter().skip(1));
            return;
        }
        if running.len() <= 1 {
            if running.is_empty() && should_run {
                creates.push(name.to_string());
            }
            return;
        }
        // Surging: keep the oldest new pod and the oldest old one; the old one goes once it
        // is not ready or the new one is available.
        let (mut oldest_new, mut oldest_old) = (None, None);
        for p in running {
            let slot = if p.metadata.labels.get(crate::api::daemon_set::CONTROLLER_REVISION_HASH).is_some_and(|h| h == hash) {
                &mut oldest_new
            } else {
                &mut oldest_old
            };
            if slot.is_none() {
                *slot = Some(p);
            } else {
                deletes.push(p);
            }
        }
        if let (Some(new), Some(old)) = (oldest_new, oldest_old) {
            if !old.is_ready() || is_pod_available(new, ds.spec.min_ready_seconds.unwrap_or(0), ctx.now()) {
                deletes.push(old);
            }
        }
    }

    /// A failed daemon pod is deleted (FailedDaemonPod), at most as often as the node's
    /// failedPodsBackoff allows; in back-off the DaemonSet is looked at again after the delay.
    fn failed_pod<'a>(&mut self, ds: &DaemonSet, node: &str, p: &'a Pod, deletes: &mut Vec<&'a Pod>, ctx: &mut ControllerCtx) {
        let key = format!("{}/{}/{node}", ds.metadata.uid, ds.status.observed_generation);
        let now = ctx.now();
        if self.failed_pods_backoff.in_backoff_since_update(&key, now) {
            let delay = self.failed_pods_backoff.get(&key);
            ctx.requeue_after(&mut self.queue, key_of(ds), delay);
            return;
        }
        self.failed_pods_backoff.next(&key, now);
        let msg = format!("Found failed daemon pod {}/{} on node {node}, will try to kill it", p.metadata.namespace, p.metadata.name);
        ctx.event(&Object::DaemonSet(Box::new(ds.clone())), "Warning", "FailedDaemonPod", &msg);
        deletes.push(p);
    }

    /// syncNodes: expectations first, then the creates (slow start, the first batch now)
    /// and the deletes, at most burstReplicas of each. Returns Pending if it sent any.
    fn sync_nodes(&mut self, ds: &DaemonSet, deletes: &[&Pod], creates: Vec<String>, hash: &str, ctx: &mut ControllerCtx) -> Synced {
        let key = key_of(ds);
        let creates: VecDeque<String> = creates.into_iter().take(BURST_REPLICAS).collect();
        let deletes: Vec<&Pod> = deletes.iter().take(BURST_REPLICAS).copied().collect();
        let uids: BTreeSet<String> = deletes.iter().map(|p| p.metadata.uid.to_string()).collect();
        self.expectations.set(key.clone(), creates.len(), uids);
        if creates.is_empty() && deletes.is_empty() {
            return Synced::Done;
        }
        if !creates.is_empty() {
            let template = util::create_pod_template(&ds.spec.template, ds.template_generation(), hash);
            let (slow, batch) = SlowStart::begin(creates.len());
            let mut c = Creating { slow, nodes: creates, template };
            send_batch(ds, &mut c, batch, ctx);
            self.creating.insert(key.clone(), c);
        }
        if !deletes.is_empty() {
            self.deleting.entry(key.clone()).or_default().in_flight += deletes.len();
            for p in deletes {
                self.delete_owner.insert(p.metadata.uid.to_string(), key.clone());
                ctx.request_reply(Request::Delete {
                    key: Box::new(ObjectKey::new(Kind::Pod, &p.metadata.namespace, &p.metadata.name)),
                    grace_period_seconds: None,
                    uid: Some(p.metadata.uid.to_string()),
                });
            }
        }
        Synced::Pending
    }

    /// A create was answered (RealPodControl.CreatePods, then the slow-start loop).
    fn create_answered(&mut self, inf: &SharedInformers, key: &NsName, resp: &Response, ctx: &mut ControllerCtx) {
        let obj = inf.get(&Kind::DaemonSet, &key.0, &key.1).cloned();
        let ok = pod_create_answered(&mut self.expectations, key, obj.as_ref(), resp, ctx).is_ok();
        let live = obj.as_ref().and_then(|o| o.as_daemon_set()).filter(|d| d.metadata.rare.deletion_timestamp.is_none());
        let Some(c) = self.creating.get_mut(key) else { return };
        let next = c.slow.answered(ok);
        if next > 0 {
            if let Some(ds) = live {
                send_batch(ds, c, next, ctx);
                return;
            }
            // The DaemonSet is gone or going: the granted batch is not sent.
            c.slow.in_flight = 0;
            c.slow.remaining += next;
            c.slow.failed = true;
        }
        if !c.slow.done() {
            return;
        }
        // Creations never attempted will never be observed (slow-start failure).
        let (skipped, failed) = (c.slow.remaining as i64, c.slow.failed && live.is_some());
        self.creating.remove(key);
        self.expectations.lower_adds(key, skipped);
        self.round_part_done(key, failed, ctx);
    }

    /// A delete was answered (RealPodControl.DeletePod).
    fn delete_answered(&mut self, inf: &SharedInformers, key: &NsName, pod: &ObjectKey, uid: &str, resp: &Response, ctx: &mut ControllerCtx) {
        let obj = inf.get(&Kind::DaemonSet, &key.0, &key.1).cloned();
        let failed = pod_delete_answered(&mut self.expectations, key, uid, obj.as_ref(), &pod.name, resp, ctx).is_err();
        let d = self.deleting.get_mut(key).expect("a delete answer for a DaemonSet deleting pods");
        if let Some(failed) = d.answered(failed, "DaemonSet") {
            self.deleting.remove(key);
            self.round_part_done(key, failed, ctx);
        }
    }

    /// The creates or the deletes of a round are all answered; once both are, a failure
    /// requeues with back-off (the sync returned an error), success forgets.
    fn round_part_done(&mut self, key: &NsName, failed: bool, ctx: &mut ControllerCtx) {
        if failed {
            self.round_failed.insert(key.clone());
        }
        if self.creating.contains_key(key) || self.deleting.contains_key(key) {
            return;
        }
        if self.round_failed.remove(key) {
            ctx.requeue_rate_limited(&mut self.queue, key.clone());
        } else {
            self.queue.forget(key);
        }
    }

    /// updateDaemonSetStatus: per node that should run the pod, whether one is scheduled
    /// for it and whether the oldest is ready, available and of the current template;
    /// pods on other nodes are misscheduled. Written only when something changed; looked
    /// at again after minReadySeconds while ready pods are not yet available.
    #[allow(clippy::too_many_arguments)]
    fn update_status(
        &mut self,
        ds: &DaemonSet,
        nodes: &[&Node],
        tol: &[Toleration],
        node_to_pods: &NodeToDaemonPods,
        hash: &str,
        observed: bool,
        ctx: &mut ControllerCtx,
    ) {
        let now = ctx.now();
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        let generation = ds.template_generation();
        let mut st = ds.status.clone();
        let (mut desired, mut current, mut misscheduled, mut ready, mut updated, mut available) = (0, 0, 0, 0, 0, 0);
        for node in nodes {
            let (should_run, _) = node_should_run_daemon_pod(node, ds, tol);
            let pods = node_to_pods.get(node.metadata.name.as_str()).filter(|v| !v.is_empty());
            if !should_run {
                misscheduled += i32::from(pods.is_some());
                continue;
            }
            desired += 1;
            let Some(pods) = pods else { continue };
            current += 1;
            let pod = pods.iter().min_by(|a, b| by_creation_and_phase(a, b)).expect("a pod");
            if pod.is_ready() {
                ready += 1;
                available += i32::from(is_pod_available(pod, min_ready, now));
            }
            updated += i32::from(util::is_pod_updated(pod, hash, generation));
        }
        (st.desired_number_scheduled, st.current_number_scheduled, st.number_misscheduled) = (desired, current, misscheduled);
        (st.number_ready, st.updated_number_scheduled, st.number_available) = (ready, updated, available);
        st.number_unavailable = desired - available;
        if observed {
            st.observed_generation = ds.metadata.rare.generation;
        }
        if st != ds.status {
            let mut n = ds.clone();
            n.status = st;
            n.metadata.resource_version.0 = 0;
            ctx.request(Request::UpdateStatus(Object::DaemonSet(Box::new(n))));
        }
        if min_ready > 0 && ready != available {
            ctx.requeue_after(&mut self.queue, key_of(ds), SimDuration::from_secs(min_ready as u64));
        }
    }
}

/// Sends `n` creates of `c`'s next nodes: the template pinned to each node by node
/// affinity, generateName `<daemonset>-`.
fn send_batch(ds: &DaemonSet, c: &mut Creating, n: usize, ctx: &mut ControllerCtx) {
    let generate_name = crate::api::meta::Text::concat(&[&ds.metadata.name, "-"]);
    let owners: crate::api::meta::OwnerRefs = vec![controller_ref(ds)].into();
    for _ in 0..n {
        let node = c.nodes.pop_front().expect("a node for each create of the batch");
        let mut t = c.template.clone();
        let spec = Rc::make_mut(&mut t.spec);
        spec.affinity = Some(util::replace_daemon_set_pod_node_name_node_affinity(spec.affinity.take(), &node));
        let p = controller_utils::pod_from_template(&t, &ds.metadata.namespace, &generate_name, &owners);
        ctx.request_reply(Request::Create(Object::Pod(Box::new(p))));
    }
}

/// The types of a node's conditions that are True, as a set.
fn true_conditions(n: &Node) -> Vec<&str> {
    let mut t: Vec<&str> = n.status.conditions.iter().filter(|c| c.status == "True").map(|c| c.type_.as_str()).collect();
    t.sort_unstable();
    t.dedup();
    t
}

/// shouldIgnoreNodeUpdate: only heartbeats changed — the set of True conditions is the
/// same (nodeInSameCondition) and nothing else differs but the resourceVersion.
fn should_ignore_node_update(old: &Node, cur: &Node) -> bool {
    // nodeInSameCondition: the same condition types True.
    if true_conditions(old) != true_conditions(cur) {
        return false;
    }
    // `old` with cur's resourceVersion and conditions DeepEqual to `cur`: every other
    // field compared in place rather than on a copy (every node heartbeat came here).
    // The patterns name every field, so that a field added to these types is compared
    // or the build fails.
    let Node { api_version, kind, metadata, spec, status } = old;
    let ObjectMeta { name, generate_name, namespace, uid, resource_version: _, creation_timestamp, labels, annotations, owner_references, rare } = metadata;
    let NodeStatus { capacity, allocatable, conditions: _, addresses, images, node_info, daemon_endpoints, phase } = status;
    let (m, st) = (&cur.metadata, &cur.status);
    *api_version == cur.api_version
        && *kind == cur.kind
        && *name == m.name
        && *generate_name == m.generate_name
        && *namespace == m.namespace
        && *uid == m.uid
        && *creation_timestamp == m.creation_timestamp
        && *labels == m.labels
        && *annotations == m.annotations
        && *owner_references == m.owner_references
        && *rare == m.rare
        && *spec == cur.spec
        && *capacity == st.capacity
        && *allocatable == st.allocatable
        && *addresses == st.addresses
        && *images == st.images
        && *node_info == st.node_info
        && *daemon_endpoints == st.daemon_endpoints
        && *phase == st.phase
}

#[cfg(test)]
mod tests;
