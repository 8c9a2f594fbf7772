//! The node lifecycle controller and taint-based eviction
//! (pkg/controller/nodelifecycle, pkg/controller/tainteviction).
//!
//! Every node-monitor-period (5 s) it checks when it last saw the node's lease renewed
//! or its Ready heartbeat change; after node-monitor-grace-period (50 s) the node's
//! conditions become Unknown (`NodeStatusUnknown`, "Kubelet stopped posting node
//! status."), it gets `node.kubernetes.io/unreachable` NoSchedule and NoExecute taints
//! (the NoExecute one rate-limited per zone: 0.1 node/s, 0.01/s when ≥ 55 % of a zone
//! is unhealthy, none in such a zone of a cluster of ≤ 50 nodes, and none when every
//! node is down), and its pods are marked not Ready. Taint eviction deletes a pod when
//! its NoExecute toleration runs out (300 s by default), counted from when the
//! controller first saw the taint. A node that reports Ready again loses the taints.

use super::ControllerManager;
use crate::api::lookup_zone;
use crate::api::namespace::Lease;
use crate::api::node::{Node, NodeCondition, Taint};
use crate::api::pod::Pod;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::defaults::{TAINT_NOT_READY, TAINT_UNREACHABLE};
use crate::apiserver::Request;
use crate::client::{Ctx, Timer};
use crate::engine::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

pub const NODE_MONITOR_PERIOD: SimDuration = SimDuration::from_secs(5);
/// 50 s since Kubernetes v1.32 (40 s before).
pub const NODE_MONITOR_GRACE_PERIOD: SimDuration = SimDuration::from_secs(50);
pub const NODE_STARTUP_GRACE_PERIOD: SimDuration = SimDuration::from_secs(60);
const COMPONENT: &str = "node-controller";
const TAINT_COMPONENT: &str = "taint-eviction-controller";
const LARGE_CLUSTER_THRESHOLD: usize = 50;
const UNHEALTHY_ZONE_THRESHOLD_PCT: usize = 55;

#[derive(Clone, Debug, Default)]
struct Health {
    probe: SimTime,
    heartbeat: Option<crate::api::meta::Time>,
    renew: Option<crate::api::meta::Time>,
}

#[derive(Default)]
pub struct NodeLifecycleController {
    health: BTreeMap<String, Health>,
    monitoring: bool,
    /// zone → when the next NoExecute taint may be applied there.
    next_taint: BTreeMap<String, SimTime>,
    /// Evictions: pod → (first seen, trigger time), and the trigger-ordered index.
    scheduled: BTreeMap<(String, String), (SimTime, SimTime)>,
    by_time: BTreeSet<(SimTime, String, String)>,
    eviction_timer: Option<SimTime>,
}

fn no_execute_taints(n: &Node) -> Vec<&Taint> {
    n.spec.taints.iter().filter(|t| t.effect == "NoExecute").collect()
}

impl NodeLifecycleController {
    pub fn observe_node(&mut self, n: &Node, ctx: &mut Ctx) {
        let hb = n.condition("Ready").and_then(|c| c.last_heartbeat_time);
        let h = self.health.entry(n.metadata.name.clone()).or_insert_with(|| Health { probe: ctx.now, ..Default::default() });
        if hb != h.heartbeat {
            h.heartbeat = hb;
            h.probe = ctx.now;
        }
        if !self.monitoring {
            self.monitoring = true;
            ctx.after(NODE_MONITOR_PERIOD, Timer::NodeMonitor);
        }
    }

    pub fn observe_lease(&mut self, l: &Lease, ctx: &mut Ctx) {
        if l.metadata.namespace != crate::kubelet::LEASE_NAMESPACE {
            return;
        }
        if let Some(h) = self.health.get_mut(&l.metadata.name) {
            if l.spec.renew_time != h.renew {
                h.renew = l.spec.renew_time;
                h.probe = ctx.now;
            }
        }
    }

    pub fn forget_node(&mut self, name: &str) {
        self.health.remove(name);
    }

    pub fn forget_pod(&mut self, ns: &str, name: &str) {
        self.cancel(ns, name);
    }

    fn cancel(&mut self, ns: &str, name: &str) {
        if let Some((_, at)) = self.scheduled.remove(&(ns.to_string(), name.to_string())) {
            self.by_time.remove(&(at, ns.to_string(), name.to_string()));
        }
    }

    /// processPodOnNode: schedule, keep or cancel the pod's eviction.
    pub fn process_pod(&mut self, p: &Pod, node: Option<&Object>, ctx: &mut Ctx) {
        let (ns, name) = (p.metadata.namespace.clone(), p.metadata.name.clone());
        if p.metadata.deletion_timestamp.is_some() || p.is_terminal() {
            self.cancel(&ns, &name);
            return;
        }
        let taints = node.and_then(|o| o.as_node()).map(no_execute_taints).unwrap_or_default();
        if taints.is_empty() {
            self.cancel(&ns, &name);
            return;
        }
        let mut min_secs: Option<i64> = None;
        let mut forever = true;
        for t in &taints {
            let matching: Vec<_> = p.spec.tolerations.iter().filter(|tol| tol.tolerates(t)).collect();
            if matching.is_empty() {
                min_secs = Some(0);
                forever = false;
                break;
            }
            for tol in matching {
                if let Some(s) = tol.toleration_seconds {
                    forever = false;
                    min_secs = Some(min_secs.map_or(s.max(0), |m| m.min(s.max(0))));
                }
            }
        }
        if forever {
            self.cancel(&ns, &name);
            return;
        }
        let secs = min_secs.unwrap_or(0) as u64;
        let key = (ns.clone(), name.clone());
        let start = self.scheduled.get(&key).map_or(ctx.now, |(s, _)| *s);
        let trigger = start + SimDuration::from_secs(secs);
        if let Some((_, old)) = self.scheduled.get(&key) {
            if *old <= trigger {
                return;
            }
        }
        self.cancel(&ns, &name);
        self.scheduled.insert(key, (start, trigger));
        self.by_time.insert((trigger, ns, name));
        self.arm(ctx);
    }

    fn arm(&mut self, ctx: &mut Ctx) {
        if let Some((t, _, _)) = self.by_time.iter().next() {
            if self.eviction_timer.is_none_or(|e| e > *t) {
                self.eviction_timer = Some(*t);
                ctx.after(t.since(ctx.now), Timer::TaintEviction);
            }
        }
    }
}

/// The taint-eviction worker: delete pods whose time has come.
pub fn evict_due(cm: &mut ControllerManager, ctx: &mut Ctx) {
    let nl = &mut cm.node_lifecycle;
    if nl.eviction_timer.is_some_and(|t| t <= ctx.now) {
        nl.eviction_timer = None;
    }
    let mut due = Vec::new();
    while let Some(first) = nl.by_time.iter().next().cloned() {
        if first.0 > ctx.now {
            break;
        }
        nl.by_time.remove(&first);
        nl.scheduled.remove(&(first.1.clone(), first.2.clone()));
        due.push((first.1, first.2));
    }
    for (ns, name) in due {
        let Some(obj) = cm.informer.get(&Kind::Pod, &ns, &name).cloned() else { continue };
        let Some(p) = obj.as_pod() else { continue };
        let mut np = p.clone();
        np.metadata.resource_version.0 = 0;
        np.set_condition("DisruptionTarget", "True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint", ctx.now_time());
        ctx.request(Request::UpdateStatus(Object::Pod(np)));
        ctx.request(Request::Delete { key: ObjectKey::new(Kind::Pod, &ns, &name), grace_period_seconds: None, uid: Some(p.metadata.uid.clone()) });
        cm.event(&obj, "Normal", "TaintManagerEviction", &format!("Marking for deletion Pod {ns}/{name}"), TAINT_COMPONENT, ctx);
    }
    cm.node_lifecycle.arm(ctx);
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

/// monitorNodeHealth: one pass over every node.
pub fn monitor(cm: &mut ControllerManager, ctx: &mut Ctx) {
    ctx.after(NODE_MONITOR_PERIOD, Timer::NodeMonitor);
    let nodes: Vec<std::rc::Rc<Object>> = cm.informer.list(&Kind::Node).cloned().collect();
    // Zone health for the eviction rate limiter, after this pass's health update (a
    // node whose heartbeat is overdue counts as not ready already).
    let mut zones: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for o in &nodes {
        let n = o.as_node().expect("node");
        let z = zones.entry(lookup_zone(&n.metadata.labels)).or_default();
        z.0 += 1;
        let stale = cm.node_lifecycle.health.get(&n.metadata.name).is_some_and(|h| {
            let grace = if n.condition("Ready").is_some() { NODE_MONITOR_GRACE_PERIOD } else { NODE_STARTUP_GRACE_PERIOD };
            ctx.now > h.probe + grace
        });
        if stale || n.ready_status() != "True" {
            z.1 += 1;
        }
    }
    let all_down = !zones.is_empty() && zones.values().all(|(t, u)| t == u);
    for o in nodes {
        let n = o.as_node().expect("node");
        let name = n.metadata.name.clone();
        let Some(h) = cm.node_lifecycle.health.get(&name).cloned() else { continue };
        let ever_ready = n.condition("Ready").is_some();
        let grace = if ever_ready { NODE_MONITOR_GRACE_PERIOD } else { NODE_STARTUP_GRACE_PERIOD };
        let stale = ctx.now > h.probe + grace;
        let mut node = n.clone();
        node.metadata.resource_version.0 = 0;
        if stale && n.ready_status() != "Unknown" {
            node.status.conditions = unknown_conditions(n, ctx.now_time());
            ctx.request(Request::UpdateStatus(Object::Node(Box::new(node.clone()))));
            if n.ready_status() == "True" {
                cm.event(&o, "Normal", "NodeNotReady", &format!("Node {name} status is now: NodeNotReady"), COMPONENT, ctx);
                mark_pods_not_ready(cm, &name, ctx);
            }
        }
        let ready = if stale { "Unknown" } else { n.ready_status() };
        let (want_key, other_key) = match ready {
            "True" => ("", ""),
            "Unknown" => (TAINT_UNREACHABLE, TAINT_NOT_READY),
            _ => (TAINT_NOT_READY, TAINT_UNREACHABLE),
        };
        let mut taints = n.spec.taints.clone();
        if want_key.is_empty() {
            taints.retain(|t| t.key != TAINT_UNREACHABLE && t.key != TAINT_NOT_READY);
        } else {
            taints.retain(|t| t.key != other_key);
            if !has_taint(n, want_key, "NoSchedule") {
                taints.push(taint(want_key, "NoSchedule", ctx.now));
            }
            if !has_taint(n, want_key, "NoExecute") {
                let zone = lookup_zone(&n.metadata.labels);
                let (total, unhealthy) = zones.get(&zone).copied().unwrap_or((1, 1));
                let rate_ms = eviction_interval_ms(total, unhealthy, nodes_len(&zones), all_down);
                let next = cm.node_lifecycle.next_taint.get(&zone).copied().unwrap_or(SimTime::ZERO);
                if let Some(ms) = rate_ms {
                    if ctx.now >= next {
                        taints.push(taint(want_key, "NoExecute", ctx.now));
                        cm.node_lifecycle.next_taint.insert(zone, ctx.now + SimDuration::from_ms(ms));
                    }
                }
            }
        }
        if taints != n.spec.taints {
            node.spec.taints = taints;
            ctx.request(Request::Update(Object::Node(Box::new(node))));
        }
    }
}

fn nodes_len(zones: &BTreeMap<String, (usize, usize)>) -> usize {
    zones.values().map(|z| z.0).sum()
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

/// MarkPodsNotReady: the Ready condition of every pod on the node becomes False.
fn mark_pods_not_ready(cm: &mut ControllerManager, node: &str, ctx: &mut Ctx) {
    for o in cm.pods_on(node) {
        let Some(p) = o.as_pod() else { continue };
        if p.condition("Ready").is_some_and(|c| c.status != "False") {
            let mut np = p.clone();
            np.metadata.resource_version.0 = 0;
            let (reason, message) = p.condition("Ready").map(|c| (c.reason.clone(), c.message.clone())).unwrap_or_default();
            np.set_condition("Ready", "False", &reason, &message, ctx.now_time());
            ctx.request(Request::UpdateStatus(Object::Pod(np)));
            cm.event(&o, "Warning", "NodeNotReady", "Node is not ready", COMPONENT, ctx);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
