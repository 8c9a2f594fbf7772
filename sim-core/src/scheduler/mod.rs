//! kube-scheduler, first cut: watches pods and nodes, keeps a node-info snapshot with
//! assumed pods, and runs one scheduling cycle per pod: filter the nodes (sampling
//! percentageOfNodesToScore from a rotating start index), score, pick at random among
//! the best (seeded), assume, bind. Failures produce `FailedScheduling` in
//! kube-scheduler's words and a `PodScheduled=False` condition.

pub mod framework;
pub mod plugins;
pub mod queue;

use crate::api::{Kind, Object};
use crate::apiserver::{Request, Response};
use crate::client::{Ctx, Informer, Timer};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use framework::{fit_error_message, NodeInfo, PodInfo, Status};
use queue::SchedulingQueue;
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::rc::Rc;

pub const SCHEDULER_NAME: &str = "default-scheduler";
const MIN_FEASIBLE_NODES_TO_FIND: usize = 100;
const MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND: i64 = 5;

struct CachedPod {
    info: PodInfo,
    node: usize,
    assumed: bool,
}

/// The outcome of one scheduling attempt (kept for `explain` and the timeline).
#[derive(Clone, Debug)]
pub struct Attempt {
    pub pod: String,
    pub time: SimTime,
    pub node: Option<String>,
    pub message: String,
}

pub struct Scheduler {
    informer: Informer,
    queue: SchedulingQueue,
    nodes: Vec<NodeInfo>,
    node_index: BTreeMap<String, usize>,
    /// Indices of present nodes, in the order they joined (the snapshot's list order).
    order: Vec<usize>,
    pods: BTreeMap<String, CachedPod>,
    /// uid → (namespace, name) of pods waiting in the queue.
    pending: BTreeMap<String, (String, String)>,
    /// (namespace, name) → (uid, node index) of binds in flight.
    binding: BTreeMap<(String, String), (String, usize)>,
    next_start: usize,
    rng: ChaCha8Rng,
    cycle_scheduled: bool,
    flush_at: Option<SimTime>,
    /// percentageOfNodesToScore; 0 = adaptive.
    pub percentage_of_nodes_to_score: i64,
    event_seq: u64,
    pub attempts: u64,
}

impl Scheduler {
    pub fn new(rng: ChaCha8Rng) -> Self {
        Scheduler {
            informer: Informer::default(),
            queue: SchedulingQueue::default(),
            nodes: Vec::new(),
            node_index: BTreeMap::new(),
            order: Vec::new(),
            pods: BTreeMap::new(),
            pending: BTreeMap::new(),
            binding: BTreeMap::new(),
            next_start: 0,
            rng,
            cycle_scheduled: false,
            flush_at: None,
            percentage_of_nodes_to_score: 0,
            event_seq: 0,
            attempts: 0,
        }
    }

    pub fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Pod | Kind::Node)
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        self.informer.apply(ev);
        match &*ev.object {
            Object::Node(_) => self.on_node(ev, ctx),
            Object::Pod(_) => self.on_pod(ev, ctx),
            _ => {}
        }
        self.ensure_timers(ctx);
    }

    fn on_node(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        let Object::Node(n) = &*ev.object else { return };
        let name = &n.metadata.name;
        if ev.type_ == WatchEventType::Deleted {
            if let Some(&i) = self.node_index.get(name) {
                self.nodes[i].present = false;
                self.order.retain(|&j| j != i);
            }
            return;
        }
        let i = match self.node_index.get(name) {
            Some(&i) => i,
            None => {
                self.nodes.push(NodeInfo::default());
                let i = self.nodes.len() - 1;
                self.node_index.insert(name.clone(), i);
                i
            }
        };
        if !self.nodes[i].present {
            self.order.push(i);
        }
        let snapshot = |ni: &NodeInfo| (ni.alloc_milli_cpu, ni.alloc_memory, ni.alloc_pods, ni.taints.clone(), ni.unschedulable, ni.labels.clone());
        let before = snapshot(&self.nodes[i]);
        self.nodes[i].set_node(n);
        let after = snapshot(&self.nodes[i]);
        if ev.type_ == WatchEventType::Added || before != after {
            self.queue.move_all_to_active_or_backoff(ctx.now);
        }
    }

    fn forget(&mut self, uid: &str) -> bool {
        if let Some(c) = self.pods.remove(uid) {
            self.nodes[c.node].add_pod(&c.info, -1);
            true
        } else {
            false
        }
    }

    fn on_pod(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        let Object::Pod(p) = &*ev.object else { return };
        let uid = p.metadata.uid.clone();
        if ev.type_ == WatchEventType::Deleted || p.is_terminal() {
            self.queue.remove(&uid);
            self.pending.remove(&uid);
            if self.forget(&uid) {
                self.queue.move_all_to_active_or_backoff(ctx.now);
            }
            return;
        }
        if !p.spec.node_name.is_empty() {
            self.queue.remove(&uid);
            self.pending.remove(&uid);
            let Some(&ni) = self.node_index.get(&p.spec.node_name) else { return };
            match self.pods.get_mut(&uid) {
                Some(c) if c.node == ni => {
                    c.assumed = false;
                    c.info.object = ev.object.clone();
                }
                _ => {
                    self.forget(&uid);
                    let info = PodInfo::new(ev.object.clone());
                    self.nodes[ni].add_pod(&info, 1);
                    self.pods.insert(uid, CachedPod { info, node: ni, assumed: false });
                }
            }
            return;
        }
        if self.pods.get(&uid).is_some_and(|c| c.assumed) {
            return; // assumed, binding in flight
        }
        if p.metadata.deletion_timestamp.is_some() || p.spec.scheduler_name != SCHEDULER_NAME {
            self.queue.remove(&uid);
            self.pending.remove(&uid);
            return;
        }
        self.pending.insert(uid.clone(), (p.metadata.namespace.clone(), p.metadata.name.clone()));
        self.queue.add(&uid, p.spec.priority.unwrap_or(0), ctx.now);
    }

    fn ensure_timers(&mut self, ctx: &mut Ctx) {
        if !self.cycle_scheduled && self.queue.active_len() > 0 {
            self.cycle_scheduled = true;
            ctx.after(SimDuration::ZERO, Timer::SchedulerCycle);
        }
        if let Some(t) = self.queue.next_flush(ctx.now) {
            if self.flush_at.is_none_or(|f| f > t) {
                self.flush_at = Some(t);
                ctx.after(t.since(ctx.now), Timer::SchedulerFlush);
            }
        }
    }

    pub fn on_timer(&mut self, t: &Timer, ctx: &mut Ctx) {
        match t {
            Timer::SchedulerCycle => {
                self.cycle_scheduled = false;
                self.schedule_one(ctx);
            }
            Timer::SchedulerFlush => {
                if self.flush_at.is_some_and(|f| f <= ctx.now) {
                    self.flush_at = None;
                }
                self.queue.flush(ctx.now);
            }
            _ => {}
        }
        self.ensure_timers(ctx);
    }

    /// numFeasibleNodesToFind (schedule_one.go).
    pub fn num_feasible_nodes_to_find(&self, num_all: usize) -> usize {
        if num_all < MIN_FEASIBLE_NODES_TO_FIND {
            return num_all;
        }
        let mut pct = self.percentage_of_nodes_to_score;
        if pct == 0 {
            pct = (50 - num_all as i64 / 125).max(MIN_FEASIBLE_NODES_PERCENTAGE_TO_FIND);
        }
        let n = (num_all as i64 * pct / 100) as usize;
        n.max(MIN_FEASIBLE_NODES_TO_FIND)
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
        let info = PodInfo::new(obj.clone());
        let num_all = self.order.len();
        let to_find = self.num_feasible_nodes_to_find(num_all);
        let mut feasible: Vec<usize> = Vec::new();
        let mut statuses: Vec<Status> = Vec::new();
        for k in 0..num_all {
            if feasible.len() >= to_find {
                break;
            }
            let ni = self.order[(self.next_start + k) % num_all];
            match plugins::run_filters(&info, &self.nodes[ni]) {
                None => feasible.push(ni),
                Some(st) => statuses.push(st),
            }
        }
        if num_all > 0 {
            self.next_start = (self.next_start + feasible.len() + statuses.len()) % num_all;
        }
        if feasible.is_empty() {
            let msg = fit_error_message(num_all, &statuses);
            self.fail(&uid, &obj, "Unschedulable", &msg, true, ctx);
            return;
        }
        let chosen = self.select_host(&info, &feasible);
        // Assume, then bind.
        self.queue.remove(&uid);
        self.pending.remove(&uid);
        self.nodes[chosen].add_pod(&info, 1);
        self.pods.insert(uid.clone(), CachedPod { info, node: chosen, assumed: true });
        self.binding.insert((ns.clone(), name.clone()), (uid.clone(), chosen));
        ctx.request(Request::Bind { namespace: ns, name, uid, node: self.nodes[chosen].name.clone() });
    }

    /// selectHost: reservoir sampling among the nodes with the highest total score.
    fn select_host(&mut self, info: &PodInfo, feasible: &[usize]) -> usize {
        if feasible.len() == 1 {
            return feasible[0];
        }
        let infos: Vec<&NodeInfo> = feasible.iter().map(|&ni| &self.nodes[ni]).collect();
        let totals = plugins::run_scores(info, &infos);
        let mut best = i64::MIN;
        let mut chosen = feasible[0];
        let mut count = 0u32;
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
        chosen
    }

    fn fail(&mut self, uid: &str, obj: &Rc<Object>, reason: &str, msg: &str, unschedulable: bool, ctx: &mut Ctx) {
        self.queue.failed(uid, unschedulable, ctx.now);
        self.report_failure(obj, reason, msg, ctx);
    }

    /// The FailedScheduling event and the PodScheduled=False condition.
    fn report_failure(&mut self, obj: &Rc<Object>, reason: &str, msg: &str, ctx: &mut Ctx) {
        self.event_seq += 1;
        ctx.request(Request::Create(crate::client::event_for(obj, "Warning", "FailedScheduling", msg, SCHEDULER_NAME, "", ctx.now, self.event_seq)));
        if let Object::Pod(p) = &**obj {
            let mut np = p.clone();
            np.metadata.resource_version.0 = 0;
            np.set_condition("PodScheduled", "False", reason, msg, ctx.now_time());
            if np.status != p.status {
                ctx.request(Request::UpdateStatus(Object::Pod(np)));
            }
        }
    }

    pub fn on_response(&mut self, req: &Request, resp: &Response, ctx: &mut Ctx) {
        let Request::Bind { namespace, name, node, .. } = req else { return };
        let Some((uid, _)) = self.binding.remove(&(namespace.clone(), name.clone())) else { return };
        match resp {
            Response::Object(o) => {
                self.event_seq += 1;
                let msg = format!("Successfully assigned {namespace}/{name} to {node}");
                ctx.request(Request::Create(crate::client::event_for(o, "Normal", "Scheduled", &msg, SCHEDULER_NAME, "", ctx.now, self.event_seq)));
            }
            Response::Error(st) => {
                self.forget(&uid);
                let obj = self.informer.get(&Kind::Pod, namespace, name).cloned();
                let retry = obj
                    .as_ref()
                    .and_then(|o| o.as_pod())
                    .filter(|p| p.metadata.uid == uid && p.spec.node_name.is_empty() && p.metadata.deletion_timestamp.is_none());
                // A pod that is gone, bound or being deleted is not retried.
                if let (Some(p), false) = (retry, st.reason == "NotFound") {
                    let priority = p.spec.priority.unwrap_or(0);
                    let obj = obj.clone().expect("pod");
                    self.pending.insert(uid.clone(), (namespace.clone(), name.clone()));
                    self.queue.add_after_error(&uid, priority, ctx.now);
                    let msg = format!("running Bind plugin \"DefaultBinder\": {}", st.message);
                    self.report_failure(&obj, "SchedulerError", &msg, ctx);
                }
            }
            Response::List(..) => {}
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
        assert_eq!(s.num_feasible_nodes_to_find(50), 50);
        assert_eq!(s.num_feasible_nodes_to_find(100), 100);
        assert_eq!(s.num_feasible_nodes_to_find(1000), 420); // 50 - 8 = 42 %
        assert_eq!(s.num_feasible_nodes_to_find(5000), 500); // 10 %
        assert_eq!(s.num_feasible_nodes_to_find(6000), 300); // max(5 %, 2 %) = 5 %
    }
}
