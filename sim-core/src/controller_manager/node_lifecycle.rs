//! The node lifecycle controller (pkg/controller/nodelifecycle,
//! node_lifecycle_controller.go monitorNodeHealth).
//!
//! Every node-monitor-period (5 s) it checks when it last saw the node's lease renewed
//! or its Ready heartbeat change; after node-monitor-grace-period (50 s) the node's
//! conditions become Unknown (`NodeStatusUnknown`, "Kubelet stopped posting node
//! status."), it gets `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints
//! (the NoExecute one rate-limited per zone: 0.1 node/s, 0.01/s when ≥ 55 % of a zone
//! is unhealthy, none in such a zone of a cluster of ≤ 50 nodes, and none when every
//! node is down), and its pods are marked not Ready (the taint-eviction controller then
//! deletes them when their toleration runs out). A node that reports Ready again loses
//! the taints. From the node informer's handlers (doNoScheduleTaintingPass,
//! TaintNodesByCondition): Ready False gives the not-ready NoSchedule taint, and
//! MemoryPressure True the memory-pressure one, taken away when the pressure goes.

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx};
use crate::api::lookup_zone;
use crate::api::meta::SharedMap;
use crate::api::name::NameKey;
use crate::api::namespace::Lease;
use crate::api::node::{Node, NodeCondition, Taint};
use crate::api::{Kind, Object};
use crate::apiserver::defaults::{TAINT_NOT_READY, TAINT_UNREACHABLE};
use crate::apiserver::Request;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub const NODE_MONITOR_PERIOD: SimDuration = SimDuration::from_secs(5);
/// 50 s since Kubernetes v1.32 (40 s before).
pub const NODE_MONITOR_GRACE_PERIOD: SimDuration = SimDuration::from_secs(50);
pub const NODE_STARTUP_GRACE_PERIOD: SimDuration = SimDuration::from_secs(60);
const LARGE_CLUSTER_THRESHOLD: usize = 50;
/// nodeConditionToTaintKeyStatusMap's MemoryPressure taint.
pub const TAINT_MEMORY_PRESSURE: &str = "node.kubernetes.io/memory-pressure";
const UNHEALTHY_ZONE_THRESHOLD_PCT: usize = 55;

/// What the controller keeps of a node: when it last saw it alive, and what a monitor
/// pass reads of the node (its Ready condition, whether it has a not-ready or unreachable
/// taint, its zone), taken from each version of the node as it is observed — the informer
/// holds exactly the versions observed (both are fed by the same watch events) — so that
/// a pass over a healthy cluster reads these entries alone, not every Node object (the
/// pass was a seventh of an idle 4,000-node cluster's run, mostly waiting for memory).
#[derive(Clone, Debug, Default)]
struct Health {
    probe: SimTime,
    heartbeat: Option<crate::api::meta::Time>,
    renew: Option<crate::api::meta::Time>,
    /// The node's zone, as of the labels it was read from: a node's labels are read
    /// again only once they are another map (a copy changed them). The name is the
    /// controller's one copy of it (`zone_names`), so that a pass tells zones apart by address.
    zone: (SharedMap, Rc<str>),
    ready: Ready,
    /// The node has a taint keyed not-ready or unreachable (of either effect).
    tainted: bool,
}

/// The node's Ready condition as a monitor pass tells them apart.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
enum Ready {
    /// No Ready condition yet (the start-up grace period applies; its status reads
    /// Unknown).
    #[default]
    Absent,
    True,
    Unknown,
    /// Any other status ("False").
    Other,
}

impl Ready {
    fn of(n: &Node) -> Ready {
        match n.condition("Ready").map(|c| c.status.as_str()) {
            None => Ready::Absent,
            Some("True") => Ready::True,
            Some("Unknown") => Ready::Unknown,
            Some(_) => Ready::Other,
        }
    }

    /// The status as the pass compares it ("False" standing for any other than True
    /// and Unknown: the pass tells only those two apart).
    fn status(self) -> &'static str {
        match self {
            Ready::True => "True",
            Ready::Absent | Ready::Unknown => "Unknown",
            Ready::Other => "False",
        }
    }
}

pub struct NodeLifecycleController {
    queue: WorkQueue<()>,
    /// By name as a `NameKey` (a renewal's lookup compares names inline, not through a
    /// pointer to each node's name).
    health: BTreeMap<NameKey, Health>,
    monitoring: bool,
    /// zone → when the next NoExecute taint may be applied there.
    next_taint: BTreeMap<String, SimTime>,
    /// One copy of the zone name of each zone a node is in (the health entries share
    /// them).
    zone_names: BTreeSet<Rc<str>>,
}

impl Default for NodeLifecycleController {
    fn default() -> Self {
        NodeLifecycleController {
            queue: WorkQueue::without_bucket(Order::Sorted),
            health: BTreeMap::new(),
            monitoring: false,
            next_taint: BTreeMap::new(),
            zone_names: BTreeSet::new(),
        }
    }
}

impl Controller for NodeLifecycleController {
    type Key = ();
    const NAME: &'static str = "node-controller";

    fn queue(&mut self) -> &mut WorkQueue<()> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Node | Kind::Lease)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        let deleted = ev.type_ == WatchEventType::Deleted;
        match &*ev.object {
            Object::Node(n) if deleted => {
                if let Some(h) = self.health.remove(&NameKey::new(&n.metadata.name)) {
                    release_zone(&mut self.zone_names, h.zone.1);
                }
            }
            Object::Node(n) => self.observe_node(n, ctx),
            Object::Lease(l) if !deleted => self.observe_lease(l, ctx),
            _ => {}
        }
    }

    fn on_tick(&mut self, inf: &SharedInformers, ctx: &mut ControllerCtx) {
        self.monitor(inf, ctx);
    }
}

/// Lets go of a health entry's zone name: the last entry's takes it out of `zone_names`
/// (which holds the zones of the nodes there are, not every zone ever written in a label).
fn release_zone(zone_names: &mut BTreeSet<Rc<str>>, zone: Rc<str>) {
    // The set's copy and this one: no entry names the zone any more.
    if Rc::strong_count(&zone) == 2 {
        zone_names.remove(&zone);
    }
}

impl NodeLifecycleController {
    fn observe_node(&mut self, n: &Node, ctx: &mut ControllerCtx) {
        let hb = n.condition("Ready").and_then(|c| c.last_heartbeat_time);
        let now = ctx.now();
        let key = NameKey::new(&n.metadata.name);
        let h = match self.health.get_mut(&key) {
            Some(h) => h,
            None => self.health.entry(key).or_insert_with(|| Health { probe: now, ..Default::default() }),
        };
        if hb != h.heartbeat {
            h.heartbeat = hb;
            h.probe = now;
        }
        let labels = &n.metadata.labels;
        if !h.zone.0.same(labels) {
            let zone = crate::api::zone_of(labels);
            let name = match self.zone_names.get(zone) {
                Some(z) => z.clone(),
                None => {
                    let z: Rc<str> = zone.into();
                    self.zone_names.insert(z.clone());
                    z
                }
            };
            let old = std::mem::replace(&mut h.zone, (labels.clone(), name));
            release_zone(&mut self.zone_names, old.1);
        }
        h.ready = Ready::of(n);
        h.tainted = n.spec.taints.iter().any(|t| t.key == TAINT_UNREACHABLE || t.key == TAINT_NOT_READY);
        if !self.monitoring {
            self.monitoring = true;
            ctx.tick_after(NODE_MONITOR_PERIOD);
        }
        // doNoScheduleTaintingPass, run from the node informer's handlers: a node that
        // reports Ready=False (a kubelet whose runtime network is not ready) gets the
        // not-ready NoSchedule taint at once, not at the next monitor pass.
        let mut taints = n.spec.taints.clone();
        if n.ready_status() == "False" && !has_taint(n, TAINT_NOT_READY, "NoSchedule") {
            taints.retain(|t| t.key != TAINT_UNREACHABLE || t.effect != "NoSchedule");
            taints.push(taint(TAINT_NOT_READY, "NoSchedule", now));
        }
        // TaintNodesByCondition: MemoryPressure True ↔ the memory-pressure NoSchedule taint.
        let pressure = n.condition("MemoryPressure").is_some_and(|c| c.status == "True");
        if pressure && !has_taint(n, TAINT_MEMORY_PRESSURE, "NoSchedule") {
            taints.push(taint(TAINT_MEMORY_PRESSURE, "NoSchedule", now));
        } else if !pressure && has_taint(n, TAINT_MEMORY_PRESSURE, "NoSchedule") {
            taints.retain(|t| t.key != TAINT_MEMORY_PRESSURE || t.effect != "NoSchedule");
        }
        if taints != n.spec.taints {
            ctx.request(taints_patch(&n.metadata.name, &taints));
        }
    }

    fn observe_lease(&mut self, l: &Lease, ctx: &mut ControllerCtx) {
        if l.metadata.namespace != crate::kubelet::LEASE_NAMESPACE {
            return;
        }
        if let Some(h) = self.health.get_mut(&NameKey::new(&l.metadata.name)) {
            // tryUpdateNodeHealth: a renewal counts only if it is later than the one saved
            // (`savedLease.Spec.RenewTime.Before(observedLease.Spec.RenewTime)`), so a node
            // whose clock jumped back is not seen renewing until its clock passes it.
            if h.renew.is_none() || h.renew < l.spec.renew_time {
                h.renew = l.spec.renew_time;
                h.probe = ctx.now();
            }
        }
    }
}

fn unknown_conditions(n: &Node, now: crate::api::meta::Time) -> Vec<NodeCondition> {
    let mut out = n.status.conditions.clone();
    for type_ in ["Ready", "MemoryPressure", "DiskPressure", "PIDPressure"] {
        match out.iter_mut().find(|c| c.type_ == type_) {
            Some(c) if c.status != "Unknown" => {
                c.status = "Unknown".into();
                c.reason = "NodeStatusUnknown".into();
                c.message = "Kubelet stopped posting node status.".into();
                c.last_transition_time = Some(now);
            }
            Some(_) => {}
            None => out.push(NodeCondition {
                type_: type_.into(),
                status: "Unknown".into(),
                last_heartbeat_time: n.metadata.creation_timestamp,
                last_transition_time: Some(now),
                reason: "NodeStatusNeverUpdated".into(),
                message: "Kubelet never posted node status.".into(),
            }),
        }
    }
    out
}

fn taint(key: &str, effect: &str, now: SimTime) -> Taint {
    Taint { key: key.into(), value: String::new(), effect: effect.into(), time_added: Some(crate::api::meta::Time(now)) }
}

fn has_taint(n: &Node, key: &str, effect: &str) -> bool {
    n.spec.taints.iter().any(|t| t.key == key && t.effect == effect)
}

impl NodeLifecycleController {
    /// monitorNodeHealth: one pass over every node.
    fn monitor(&mut self, inf: &SharedInformers, ctx: &mut ControllerCtx) {
        ctx.tick_after(NODE_MONITOR_PERIOD);
        let now = ctx.now();
        // Zone health for the eviction rate limiter, after this pass's health update (a
        // node whose heartbeat is overdue counts as not ready already). Each node's
        // staleness (None: no health recorded yet) is worked out once, here.
        let mut zones: BTreeMap<&str, (usize, usize)> = BTreeMap::new();
        // Nodes of one zone in a row (as nodes named by pool are) are counted here, and
        // go into `zones` when the zone changes.
        let mut run: (&str, usize, usize) = ("", 0, 0);
        // The nodes are the health entries (see `Health`), in name order as the node list
        // is: (name, stale, Ready status, tainted).
        debug_assert!(
            inf.list(&Kind::Node).map(|o| o.meta().name.as_str()).eq(self.health.keys().map(NameKey::as_str)),
            "the node lifecycle controller has observed every node the informer holds, and only those"
        );
        debug_assert!(
            self.zone_names.iter().all(|z| Rc::strong_count(z) > 1) && self.health.values().all(|h| h.zone.1.is_empty() || self.zone_names.contains(&h.zone.1)),
            "zone_names holds the zones of the nodes there are"
        );
        let mut nodes: Vec<(&str, bool, &'static str, bool)> = Vec::with_capacity(self.health.len());
        for (name, h) in &self.health {
            let grace = if h.ready == Ready::Absent { NODE_STARTUP_GRACE_PERIOD } else { NODE_MONITOR_GRACE_PERIOD };
            let ready_status = h.ready.status();
            let zone = &*h.zone.1;
            let stale = now > h.probe + grace;
            // Equal zones are one string (`zone_names`): the address tells them apart (a run
            // cut between two equal names would only add its count in two steps).
            if !std::ptr::eq(zone, run.0) {
                count_zone(&mut zones, run);
                run = (zone, 0, 0);
            }
            run.1 += 1;
            if stale || h.ready != Ready::True {
                run.2 += 1;
            }
            nodes.push((name.as_str(), stale, ready_status, h.tainted));
        }
        count_zone(&mut zones, run);
        let all_down = !zones.is_empty() && zones.values().all(|(t, u)| t == u);
        // Upstream deep-copies each node on every pass; ksim reads only a node it may
        // write (a healthy node costs a few comparisons of its entry every 5 s).
        for &(name, stale, ready_status, tainted) in &nodes {
            if !stale && ready_status == "True" && !tainted {
                continue; // Ready and untainted: nothing to write.
            }
            let Some(o) = inf.get(&Kind::Node, "", name) else { continue };
            let n = o.as_node().expect("node");
            let name = &n.metadata.name;
            if stale && ready_status != "Unknown" {
                let mut node = n.clone();
                node.metadata.resource_version.0 = 0;
                node.status.conditions = unknown_conditions(n, ctx.now_time());
                ctx.request(Request::UpdateStatus(Object::Node(Box::new(node))));
                if ready_status == "True" {
                    ctx.event(o, "Normal", "NodeNotReady", &format!("Node {name} status is now: NodeNotReady"));
                    mark_pods_not_ready(inf, name, ctx);
                }
            }
            let ready = if stale { "Unknown" } else { ready_status };
            let (want_key, other_key) = match ready {
                "True" => ("", ""),
                "Unknown" => (TAINT_UNREACHABLE, TAINT_NOT_READY),
                _ => (TAINT_NOT_READY, TAINT_UNREACHABLE),
            };
            if want_key.is_empty() && !n.spec.taints.iter().any(|t| t.key == TAINT_UNREACHABLE || t.key == TAINT_NOT_READY) {
                continue; // Ready and untainted: nothing to write.
            }
            let mut taints = n.spec.taints.clone();
            if want_key.is_empty() {
                taints.retain(|t| t.key != TAINT_UNREACHABLE && t.key != TAINT_NOT_READY);
            } else {
                taints.retain(|t| t.key != other_key);
                if !has_taint(n, want_key, "NoSchedule") {
                    taints.push(taint(want_key, "NoSchedule", now));
                }
                if !has_taint(n, want_key, "NoExecute") {
                    let zone = lookup_zone(&n.metadata.labels);
                    let (total, unhealthy) = zones.get(zone.as_str()).copied().unwrap_or((1, 1));
                    let rate_ms = eviction_interval_ms(total, unhealthy, nodes_len(&zones), all_down);
                    let next = self.next_taint.get(&zone).copied().unwrap_or(SimTime::ZERO);
                    if let Some(ms) = rate_ms {
                        if now >= next {
                            taints.push(taint(want_key, "NoExecute", now));
                            self.next_taint.insert(zone, now + SimDuration::from_ms(ms));
                        }
                    }
                }
            }
            if taints != n.spec.taints {
                ctx.request(taints_patch(name, &taints));
            }
        }
    }
}

fn nodes_len(zones: &BTreeMap<&str, (usize, usize)>) -> usize {
    zones.values().map(|z| z.0).sum()
}

/// Adds a run of nodes of one zone (`(zone, nodes, unhealthy)`) to the zones' counts.
fn count_zone<'a>(zones: &mut BTreeMap<&'a str, (usize, usize)>, (zone, total, unhealthy): (&'a str, usize, usize)) {
    if total > 0 {
        let z = zones.entry(zone).or_default();
        z.0 += total;
        z.1 += unhealthy;
    }
}

/// The per-zone NoExecute tainting interval, or None when tainting stops.
fn eviction_interval_ms(total: usize, unhealthy: usize, cluster: usize, all_down: bool) -> Option<u64> {
    if all_down {
        return None; // full disruption everywhere: assume the control plane is the problem
    }
    if total > 0 && unhealthy == total {
        return Some(10_000); // FullDisruption of this zone only: the primary rate
    }
    // ComputeZoneState: more than 2 not-ready nodes and ≥ 55 % of the zone.
    if unhealthy > 2 && unhealthy * 100 >= total * UNHEALTHY_ZONE_THRESHOLD_PCT {
        // PartialDisruption: secondary rate, or stop in small clusters.
        return if cluster <= LARGE_CLUSTER_THRESHOLD { None } else { Some(100_000) };
    }
    Some(10_000)
}

/// controller.AddOrUpdateTaintOnNode / RemoveTaintOffNode: a patch of the node's taints
/// (PatchNodeTaints), which leaves the rest of the spec — a cordon's `unschedulable` —
/// as it is in the store.
fn taints_patch(node: &str, taints: &[crate::api::node::Taint]) -> Request {
    let taints = serde_json::to_value(taints).expect("taints serialize");
    Request::Patch { key: Box::new(crate::api::ObjectKey::new(Kind::Node, "", node)), patch: serde_json::json!({"spec": {"taints": taints}}) }
}

/// MarkPodsNotReady: the Ready condition of every pod on the node becomes False.
fn mark_pods_not_ready(inf: &SharedInformers, node: &str, ctx: &mut ControllerCtx) {
    for o in inf.pods_on(node) {
        let Some(p) = o.as_pod() else { continue };
        if p.condition("Ready").is_some_and(|c| c.status != "False") {
            let mut np = p.clone();
            np.metadata.resource_version.0 = 0;
            let (reason, message) = p.condition("Ready").map(|c| (c.reason.clone(), c.message.clone())).unwrap_or_default();
            np.set_condition("Ready", "False", &reason, &message, ctx.now_time());
            ctx.request(Request::UpdateStatus(Object::Pod(Box::new(np))));
            ctx.event(&o, "Warning", "NodeNotReady", "Node is not ready");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The zone names a pass compares by address: one copy per zone, shared by its
    /// nodes' entries, and only the zones of the nodes there are as nodes are
    /// relabelled and deleted.
    #[test]
    fn zone_names_are_the_zones_of_the_nodes_there_are() {
        use crate::client::Ctx;
        use crate::controller_manager::{ControllerId, Shared};
        let (mut nlc, inf, mut shared, mut out) = (NodeLifecycleController::default(), SharedInformers::default(), Shared::default(), Vec::new());
        let mut ctx = Ctx::new(SimTime::from_secs(1), &mut out);
        let mut c = ControllerCtx { ctx: &mut ctx, id: ControllerId::NodeLifecycle, component: "node-controller", shared: &mut shared };
        let mut nodes: BTreeMap<&str, Rc<Object>> = BTreeMap::new();
        let mut rev = 0;
        let mut write = |nlc: &mut NodeLifecycleController, c: &mut ControllerCtx, name: &'static str, zone: Option<&str>| {
            rev += 1;
            let prev = nodes.remove(name);
            let (type_, object) = match zone {
                Some(z) => {
                    let mut n = Node::default();
                    n.metadata.name = name.into();
                    n.metadata.labels.insert("topology.kubernetes.io/zone".into(), z.into());
                    let o = Rc::new(Object::Node(Box::new(n)));
                    nodes.insert(name, o.clone());
                    (if prev.is_some() { WatchEventType::Modified } else { WatchEventType::Added }, o)
                }
                None => (WatchEventType::Deleted, prev.clone().expect("a node to delete")),
            };
            nlc.on_watch(&inf, &WatchEvent { revision: rev, type_, object, prev, time: SimTime::from_secs(1) }, c);
        };
        let names = |nlc: &NodeLifecycleController| nlc.zone_names.iter().map(|z| z.to_string()).collect::<Vec<_>>();
        write(&mut nlc, &mut c, "a", Some("z1"));
        write(&mut nlc, &mut c, "b", Some("z1"));
        assert_eq!(names(&nlc), ["z1"]);
        let zone = |nlc: &NodeLifecycleController, n: &str| nlc.health[&NameKey::new(n)].zone.1.clone();
        assert!(Rc::ptr_eq(&zone(&nlc, "a"), &zone(&nlc, "b")), "one copy of z1");
        write(&mut nlc, &mut c, "a", Some("z2"));
        assert_eq!(names(&nlc), ["z1", "z2"]);
        write(&mut nlc, &mut c, "b", Some("z2"));
        assert_eq!(names(&nlc), ["z2"], "z1 has no node left");
        assert!(Rc::ptr_eq(&zone(&nlc, "a"), &zone(&nlc, "b")), "one copy of z2");
        write(&mut nlc, &mut c, "a", None);
        assert_eq!(names(&nlc), ["z2"]);
        write(&mut nlc, &mut c, "b", None);
        assert!(names(&nlc).is_empty() && nlc.health.is_empty());
    }

    #[test]
    fn zone_rate_limits() {
        assert_eq!(eviction_interval_ms(3, 1, 3, false), Some(10_000));
        assert_eq!(eviction_interval_ms(3, 2, 3, false), Some(10_000), "2 of 3 is 66% but not more than 2 unhealthy nodes");
        assert_eq!(eviction_interval_ms(5, 3, 5, false), None, "partial disruption of a small cluster stops tainting");
        assert_eq!(eviction_interval_ms(100, 60, 100, false), Some(100_000));
        assert_eq!(eviction_interval_ms(3, 3, 3, true), None);
        assert_eq!(eviction_interval_ms(3, 3, 6, false), Some(10_000), "one zone fully down, another up");
    }
}
