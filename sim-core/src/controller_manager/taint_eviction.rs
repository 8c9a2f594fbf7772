//! The taint-eviction controller (pkg/controller/tainteviction, taint_eviction.go): a pod
//! on a node with NoExecute taints it does not tolerate is deleted at once; one that
//! tolerates them for `tolerationSeconds` is deleted when the shortest toleration runs
//! out, counted from when the controller first saw the taint (processPodOnNode,
//! getMinTolerationTime); a pod whose node loses the taints is spared. As upstream, the
//! controller keeps the nodes' NoExecute taints itself (taintedNodes, which a pod event
//! reads), and a node update that leaves them as they were does not touch the node's
//! pods (NodeUpdated).

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx};
use crate::api::node::{Node, Taint};
use crate::api::pod::Pod;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};

pub struct TaintEvictionController {
    queue: WorkQueue<()>,
    /// Evictions: pod → (first seen, trigger time), and the trigger-ordered index.
    scheduled: BTreeMap<NsName, (SimTime, SimTime)>,
    by_time: BTreeSet<(SimTime, String, String)>,
    eviction_timer: Option<SimTime>,
    /// The NoExecute taints of the nodes that have any, as the node watch last showed
    /// them (taintedNodes): a pod event looks its node up here rather than in the cache.
    tainted: BTreeMap<String, Vec<Taint>>,
}

impl Default for TaintEvictionController {
    fn default() -> Self {
        TaintEvictionController {
            queue: WorkQueue::without_bucket(Order::Sorted),
            scheduled: BTreeMap::new(),
            by_time: BTreeSet::new(),
            eviction_timer: None,
            tainted: BTreeMap::new(),
        }
    }
}

fn no_execute_taints(n: &Node) -> impl Iterator<Item = &Taint> {
    n.spec.taints.iter().filter(|t| t.effect == "NoExecute")
}

/// No NoExecute taints: what a pod on an untainted (or unknown) node is checked against.
const NO_TAINTS: &[Taint] = &[];

impl Controller for TaintEvictionController {
    type Key = ();
    const NAME: &'static str = "taint-eviction-controller";

    fn queue(&mut self) -> &mut WorkQueue<()> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Pod | Kind::Node)
    }

    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        let deleted = ev.type_ == WatchEventType::Deleted;
        match &*ev.object {
            Object::Pod(p) if !deleted && !p.spec.node_name.is_empty() => {
                // handlePodUpdate: the node's taints from taintedNodes.
                let taints = self.tainted.get(p.spec.node_name.as_str()).cloned();
                self.process_pod(p, taints.as_deref().unwrap_or(NO_TAINTS), ctx);
            }
            Object::Pod(p) if deleted => self.cancel(&p.metadata.namespace, &p.metadata.name),
            Object::Node(n) if deleted => {
                self.tainted.remove(n.metadata.name.as_str());
            }
            Object::Node(n) => {
                let taints: Vec<Taint> = no_execute_taints(n).cloned().collect();
                // NodeUpdated: an update that leaves the NoExecute taints as they were
                // changes nothing for the node's pods (a status write, a heartbeat).
                let unchanged =
                    ev.type_ == WatchEventType::Modified && ev.prev.as_deref().and_then(|o| o.as_node()).is_some_and(|old| no_execute_taints(old).eq(&taints));
                if taints.is_empty() {
                    self.tainted.remove(n.metadata.name.as_str());
                } else {
                    self.tainted.insert(n.metadata.name.to_string(), taints.clone());
                }
                if unchanged {
                    return;
                }
                for o in inf.pods_on(&n.metadata.name) {
                    if let Some(p) = o.as_pod() {
                        self.process_pod(p, &taints, ctx);
                    }
                }
            }
            _ => {}
        }
    }

    /// The taint-eviction worker: delete pods whose time has come.
    fn on_tick(&mut self, inf: &SharedInformers, ctx: &mut ControllerCtx) {
        if self.eviction_timer.is_some_and(|t| t <= ctx.now()) {
            self.eviction_timer = None;
        }
        let mut due = Vec::new();
        while let Some(first) = self.by_time.first().cloned() {
            if first.0 > ctx.now() {
                break;
            }
            self.by_time.remove(&first);
            self.scheduled.remove(&(first.1.clone(), first.2.clone()));
            due.push((first.1, first.2));
        }
        for (ns, name) in due {
            let Some(obj) = inf.get(&Kind::Pod, &ns, &name).cloned() else { continue };
            let Some(p) = obj.as_pod() else { continue };
            let mut np = p.clone();
            np.metadata.resource_version.0 = 0;
            np.set_condition("DisruptionTarget", "True", "DeletionByTaintManager", "Taint manager: deleting due to NoExecute taint", ctx.now_time());
            ctx.request(Request::UpdateStatus(Object::Pod(Box::new(np))));
            ctx.request(Request::Delete {
                key: Box::new(ObjectKey::new(Kind::Pod, &ns, &name)),
                grace_period_seconds: None,
                uid: Some(p.metadata.uid.to_string()),
            });
            ctx.event(&obj, "Normal", "TaintManagerEviction", &format!("Marking for deletion Pod {ns}/{name}"));
        }
        self.arm(ctx);
    }
}

impl TaintEvictionController {
    fn cancel(&mut self, ns: &str, name: &str) {
        if self.scheduled.is_empty() {
            return;
        }
        if let Some((_, at)) = self.scheduled.remove(&(ns.to_string(), name.to_string())) {
            self.by_time.remove(&(at, ns.to_string(), name.to_string()));
        }
    }

    /// processPodOnNode: schedule, keep or cancel the pod's eviction.
    fn process_pod(&mut self, p: &Pod, taints: &[Taint], ctx: &mut ControllerCtx) {
        let (ns, name) = (p.metadata.namespace.as_str(), p.metadata.name.as_str());
        if p.metadata.rare.deletion_timestamp.is_some() || p.is_terminal() {
            self.cancel(ns, name);
            return;
        }
        if taints.is_empty() {
            self.cancel(ns, name);
            return;
        }
        let mut min_secs: Option<i64> = None;
        let mut forever = true;
        for t in taints {
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
            self.cancel(ns, name);
            return;
        }
        let secs = min_secs.unwrap_or(0) as u64;
        let key = (ns.to_string(), name.to_string());
        let start = self.scheduled.get(&key).map_or(ctx.now(), |(s, _)| *s);
        let trigger = start + SimDuration::from_secs(secs);
        if let Some((_, old)) = self.scheduled.get(&key) {
            if *old <= trigger {
                return;
            }
        }
        self.cancel(ns, name);
        self.by_time.insert((trigger, key.0.clone(), key.1.clone()));
        self.scheduled.insert(key, (start, trigger));
        self.arm(ctx);
    }

    fn arm(&mut self, ctx: &mut ControllerCtx) {
        if let Some((t, _, _)) = self.by_time.first() {
            if self.eviction_timer.is_none_or(|e| e > *t) {
                self.eviction_timer = Some(*t);
                ctx.tick_after(t.since(ctx.now()));
            }
        }
    }
}
