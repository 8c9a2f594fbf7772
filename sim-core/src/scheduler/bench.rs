//! A scheduler-only harness in the shape of upstream's scheduler_perf
//! (test/integration/scheduler_perf): the real apiserver and store, the real scheduler,
//! no kubelets or controllers. Nodes are node-default.yaml (4 CPU, 32Gi, 110 pods,
//! Ready); pods are pod-default.yaml (a pause container requesting 100m / 500Mi).
//! `ksim bench scheduler` times `schedule_all`; the criterion bench times one cycle.

use super::Scheduler;
use crate::api::affinity::{Affinity, PodAffinity, PodAffinityTerm, TopologySpreadConstraint};
use crate::api::meta::LabelSelector;
use crate::api::node::{Node, NodeCondition};
use crate::api::pod::{Container, Pod, PodSpec, PodSpecBody};
use crate::api::quantity::Quantity;
use crate::api::{Kind, Object};
use crate::apiserver::{ApiServer, Request, Response};
use crate::client::{Action, Ctx, Timer};
use crate::engine::{RngStreams, SimTime};
use crate::etcd::HistoryLimits;
use std::collections::VecDeque;
use std::rc::Rc;

/// Which pods the workload creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Workload {
    /// SchedulingBasic: plain pods.
    Basic,
    /// Every pod has required pod anti-affinity (hostname, within its group of 1,000)
    /// and a DoNotSchedule zone spread constraint (maxSkew 1) over 10 zones.
    AntiAffinityAndSpread,
}

pub struct SchedulerBench {
    api: ApiServer,
    pub scheduler: Scheduler,
    actions: VecDeque<Action>,
    now: SimTime,
    created: usize,
    workload: Workload,
    template: Rc<PodSpec>,
}

fn q(s: &str) -> Quantity {
    Quantity::parse(s).expect("quantity")
}

impl SchedulerBench {
    pub fn new(nodes: usize, workload: Workload) -> Self {
        let rngs = RngStreams::new(1);
        let mut b = SchedulerBench {
            api: ApiServer::new(rngs.stream("apiserver"), HistoryLimits::default()),
            scheduler: Scheduler::new(rngs.stream("scheduler")),
            actions: VecDeque::new(),
            now: SimTime::ZERO,
            created: 0,
            workload,
            template: Rc::new(pod_spec(workload)),
        };
        let mut ns = crate::api::namespace::Namespace::default();
        ns.metadata.name = "default".into();
        b.submit(Request::Create(Object::Namespace(Box::new(ns))));
        for i in 0..nodes {
            let mut n = Node::default();
            n.metadata.name = format!("scheduler-perf-{i}").into();
            n.metadata.labels.insert("kubernetes.io/hostname".into(), n.metadata.name.to_string());
            n.metadata.labels.insert("topology.kubernetes.io/zone".into(), format!("zone-{}", i % 10));
            for (k, v) in [("pods", "110"), ("cpu", "4"), ("memory", "32Gi")] {
                n.status.capacity.insert(k.into(), q(v));
                n.status.allocatable.insert(k.into(), q(v));
            }
            n.status.conditions.push(NodeCondition { type_: "Ready".into(), status: "True".into(), ..Default::default() });
            b.submit(Request::Create(Object::Node(Box::new(n))));
        }
        b.drain();
        b
    }

    /// Queues the creation of `n` more pods.
    pub fn create_pods(&mut self, n: usize) {
        for _ in 0..n {
            let i = self.created;
            self.created += 1;
            let mut p = Pod::default();
            p.metadata.name = format!("pod-{i}").into();
            p.metadata.namespace = "default".into();
            if self.workload == Workload::AntiAffinityAndSpread {
                p.metadata.labels.insert("group".into(), format!("g{}", i / 1000));
            }
            p.spec = self.template.clone();
            self.submit(Request::Create(Object::Pod(Box::new(p))));
        }
    }

    /// Deletes the most recently created pod at once (grace period 0), so a benchmark can
    /// schedule pod after pod on a cluster that stays the same size.
    pub fn delete_last_pod(&mut self) {
        let Some(i) = self.created.checked_sub(1) else { return };
        let key = crate::api::ObjectKey::new(Kind::Pod, "default", &format!("pod-{i}"));
        self.submit(Request::Delete { key: Box::new(key), grace_period_seconds: Some(0), uid: None });
        self.drain();
    }

    /// Processes everything queued; returns how many binds succeeded.
    pub fn drain(&mut self) -> usize {
        let mut bound = 0;
        while let Some(a) = self.actions.pop_front() {
            match a {
                Action::Request { request: r, .. } => {
                    if matches!(*r, Request::Bind(_)) {
                        let out = self.api.handle((*r).clone(), self.now);
                        self.api.granted_leases.clear(); // Events never expire here
                        if out.response.is_ok() {
                            bound += 1;
                        }
                        self.deliver(out.writes);
                        let mut acts = Vec::new();
                        let mut ctx = Ctx::new(self.now, &mut acts);
                        self.scheduler.on_response(0, &r, &out.response, &mut ctx);
                        self.actions.extend(acts);
                    } else {
                        self.submit(*r);
                    }
                }
                Action::Timer(_, Timer::Scheduler(t @ crate::scheduler::Timer::Cycle)) => {
                    self.now = SimTime(self.now.0 + 1);
                    let mut acts = Vec::new();
                    let mut ctx = Ctx::new(self.now, &mut acts);
                    self.scheduler.on_timer(&t, &mut ctx);
                    self.actions.extend(acts);
                }
                // Backoff and flush timers: a benchmark run ends when the queue is idle.
                Action::Timer(..) => {}
            }
        }
        bound
    }

    fn submit(&mut self, r: Request) {
        let out = self.api.handle(r, self.now);
        self.api.granted_leases.clear();
        if let Response::Error(e) = &out.response {
            debug_assert!(e.reason != "Invalid", "{e:?}");
        }
        self.deliver(out.writes);
    }

    fn deliver(&mut self, writes: Vec<Rc<crate::etcd::WatchEvent>>) {
        for w in writes {
            if Scheduler::watches(&w.object.kind()) {
                let mut acts = Vec::new();
                let mut ctx = Ctx::new(self.now, &mut acts);
                self.scheduler.on_watch(&w, &mut ctx);
                self.actions.extend(acts);
            }
        }
    }

    /// Pods bound so far (from the store).
    pub fn bound_pods(&self) -> usize {
        self.api.store.list(&Kind::Pod).filter(|o| o.as_pod().is_some_and(|p| !p.spec.node_name.is_empty())).count()
    }
}

fn pod_spec(workload: Workload) -> PodSpec {
    let mut c = Container { name: "pause".into(), image: "registry.k8s.io/pause:3.10".into(), ..Default::default() };
    for (k, v) in [("cpu", "100m"), ("memory", "500Mi")] {
        c.resources.requests.insert(k.into(), q(v));
        c.resources.limits.insert(k.into(), q(v));
    }
    let mut spec = PodSpec::from(PodSpecBody { containers: Rc::new(vec![c]), ..Default::default() });
    if workload == Workload::AntiAffinityAndSpread {
        let sel = LabelSelector { match_expressions: vec![], ..Default::default() };
        let term = PodAffinityTerm {
            label_selector: Some(sel.clone()),
            topology_key: "kubernetes.io/hostname".into(),
            match_label_keys: vec!["group".into()],
            ..Default::default()
        };
        spec.affinity = Some(Affinity { pod_anti_affinity: Some(PodAffinity { required: vec![term], preferred: vec![] }), ..Default::default() });
        spec.topology_spread_constraints = vec![TopologySpreadConstraint {
            max_skew: 1,
            topology_key: "topology.kubernetes.io/zone".into(),
            when_unsatisfiable: "DoNotSchedule".into(),
            label_selector: Some(sel),
            match_label_keys: vec!["group".into()],
            ..Default::default()
        }];
    }
    spec
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedules_every_pod_of_both_workloads() {
        for w in [Workload::Basic, Workload::AntiAffinityAndSpread] {
            let mut b = SchedulerBench::new(20, w);
            b.create_pods(20);
            assert_eq!(b.drain(), 20, "{w:?}");
            assert_eq!(b.bound_pods(), 20);
        }
        // Anti-affinity within a group: 20 nodes hold at most 20 pods of one group.
        let mut b = SchedulerBench::new(20, Workload::AntiAffinityAndSpread);
        b.create_pods(25);
        assert_eq!(b.drain(), 20);
    }
}
