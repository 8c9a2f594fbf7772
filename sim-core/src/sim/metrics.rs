//! The resource metrics pipeline in the run: the usage model (usage.rs) evaluated every
//! second into the kubelets' counters (kubelet/stats.rs), metrics-server's scrapes
//! (metrics_server.rs), and the resource metrics API's answers — what kube-apiserver's
//! aggregation layer proxies to metrics-server for `kubectl top` and the
//! HorizontalPodAutoscaler.

use super::{SimEvent, Simulation};
use crate::api::pod::Pod;
use crate::api::Kind;
use crate::metrics_server::{NodeMetrics, PodMetrics};

/// kubectl's words when the metrics API is not there (top.go's
/// `metricsutil.ErrMetricsAPINotAvailable`… ksim names why).
pub const NOT_AVAILABLE: &str = "Metrics API not available";

impl Simulation {
    /// Whether a metrics-server pod runs (`ready`: and is Ready, so its Service and the
    /// APIService send it requests).
    fn metrics_server_pod(&self, ready: bool) -> bool {
        self.metrics_server.is_some()
            && self.api.store.list(&Kind::Pod).any(|o| {
                o.as_pod().is_some_and(|p| {
                    p.metadata.namespace == "kube-system"
                        && p.metadata.labels.get("k8s-app").is_some_and(|v| v == "metrics-server")
                        && p.status.phase == "Running"
                        && (!ready || p.is_ready())
                })
            })
    }

    /// Whether the resource metrics API answers: a metrics-server pod is Ready and has
    /// stored two scrapes.
    pub fn metrics_serving(&self) -> bool {
        self.metrics_server.as_ref().is_some_and(|m| m.ready()) && self.metrics_server_pod(true)
    }

    /// A pod's workload, for the demand it shares: its controller, a ReplicaSet's
    /// Deployment.
    fn workload(&self, p: &Pod) -> String {
        let Some(r) = p.metadata.controller_ref() else { return format!("Pod/{}", p.metadata.name) };
        if r.kind == "ReplicaSet" {
            if let Some(rs) = self.api.store.get_parts(&Kind::ReplicaSet, &p.metadata.namespace, &r.name) {
                if let Some(d) = rs.meta().controller_ref() {
                    return format!("{}/{}", d.kind, d.name);
                }
            }
        }
        format!("{}/{}", r.kind, r.name)
    }

    /// The usage model's evaluation: every kubelet's CPU rates set for the next second.
    pub(super) fn usage_tick(&mut self) {
        let now = self.now;
        let nodes: Vec<(i64, Vec<crate::usage::Running>)> = self.kubelets.iter().map(|k| (k.spec.cpu.milli_value(), k.running(now))).collect();
        let mut model = std::mem::take(&mut self.usage);
        let served = self.traffic.take_served();
        let rates = model.rates(now, &nodes, &|p| self.workload(p), &served, crate::usage::TICK);
        self.usage = model;
        for ((k, (_, running)), r) in self.kubelets.iter_mut().zip(&nodes).zip(rates) {
            k.set_cpu_rates(now, running, &r);
        }
        self.queue.push(now + crate::usage::TICK, SimEvent::UsageTick);
    }

    /// metrics-server's scrape of every node it can reach, while it runs.
    pub(super) fn metrics_scrape(&mut self) {
        let now = self.now;
        if self.metrics_server_pod(false) {
            let mut answers = Vec::with_capacity(self.kubelets.len());
            for (i, k) in self.kubelets.iter().enumerate() {
                let reachable = k.alive
                    && !self.removed.contains(k.name())
                    && self.partitions[i].is_none()
                    && self.kubelet_api_error(k.name(), "/metrics/resource").is_none();
                answers.push((k.name().to_string(), reachable.then(|| (k.node_metrics(now), k.resource_metrics(now)))));
            }
            if let Some(m) = self.metrics_server.as_mut() {
                m.scrape(now, answers);
            }
        } else if let Some(m) = self.metrics_server.as_mut() {
            // No metrics-server process runs: what it had stored is gone.
            m.restart();
        }
        self.queue.push(now + crate::metrics_server::RESOLUTION, SimEvent::MetricsScrape);
    }

    /// `GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods` (every namespace for None).
    pub fn pod_metrics(&self, namespace: Option<&str>) -> Result<Vec<PodMetrics>, String> {
        let m = self.metrics_server.as_ref().filter(|_| self.metrics_serving()).ok_or(NOT_AVAILABLE)?;
        let running = |p: &PodMetrics| {
            self.api
                .store
                .get_parts(&Kind::Pod, &p.namespace, &p.name)
                .and_then(|o| o.as_pod())
                .is_some_and(|q| q.metadata.uid == p.uid && q.status.phase == "Running")
        };
        Ok(m.pod_metrics().into_iter().filter(|p| namespace.is_none_or(|n| p.namespace == n) && running(p)).collect())
    }

    /// The aggregation layer's answer to a PodMetrics list: metrics-server's, or 503 while
    /// no metrics-server pod is Ready (the APIService is unavailable).
    pub(super) fn metrics_response(&self, namespace: &str) -> crate::apiserver::Response {
        match self.pod_metrics(Some(namespace)) {
            Ok(m) => crate::apiserver::Response::PodMetrics(std::rc::Rc::new(m)),
            Err(_) => crate::apiserver::Response::Error(Box::new(crate::apiserver::status(
                503,
                "ServiceUnavailable",
                "the server is currently unable to handle the request (get pods.metrics.k8s.io)".into(),
            ))),
        }
    }

    /// The Cluster Autoscaler's loop: its requests sent as its own client, machines
    /// booted after their provisioning delay, deleted machines gone (their kubelet and
    /// kube-proxy stop, as when a node leaves).
    pub(super) fn autoscaler_loop(&mut self) {
        let now = self.now;
        let Some(ca) = self.cluster_autoscaler.as_mut() else { return };
        let acts = ca.run_once(&self.api.store, now);
        let mut requests = Vec::new();
        for a in acts {
            match a {
                crate::cluster_autoscaler::Act::Request(r) => requests.push(*r),
                crate::cluster_autoscaler::Act::AddNode { pool, name, after } => {
                    self.check_node_group(&pool, true);
                    self.booting.insert(name.clone(), pool.clone());
                    self.queue.push(now + after, SimEvent::MachineUp(Box::new((pool, name))));
                }
                crate::cluster_autoscaler::Act::RemoveMachine(n) => {
                    let pool = self.booting.get(&n).cloned().or_else(|| self.kubelet_index.get(&n).map(|&k| self.kubelets[k as usize].spec.pool.clone()));
                    if let Some(pool) = pool {
                        self.check_node_group(&pool, false);
                    }
                    self.remove_machine(&n);
                }
            }
        }
        let mut out = Vec::new();
        let mut ctx = crate::client::Ctx::new(now, &mut out);
        for r in requests {
            ctx.request(r);
        }
        self.dispatch(super::Client::ClusterAutoscaler, out);
        self.queue.push(now + crate::cluster_autoscaler::SCAN_INTERVAL, SimEvent::AutoscalerLoop);
    }

    /// `node-group-within-bounds` on a machine the Cluster Autoscaler adds or deletes,
    /// against the simulation's own count of the pool's machines (registered, not
    /// removed, or booting).
    fn check_node_group(&mut self, pool: &str, add: bool) {
        if self.checker.is_none() {
            return;
        }
        let Some(a) = self.pools.iter().find(|p| p.name == pool).and_then(|p| p.autoscaling) else { return };
        let machines = self.kubelets.iter().filter(|k| k.spec.pool == pool && !self.removed.contains(k.name())).count()
            + self.booting.values().filter(|p| *p == pool).count();
        let (now, event) = (self.now, "the Cluster Autoscaler's loop");
        if let Some(c) = self.checker.as_mut() {
            c.on_node_group_change(pool, a.min, a.max, machines as u32, add, now, event);
        }
    }

    /// `GET /apis/metrics.k8s.io/v1beta1/nodes`.
    pub fn node_metrics(&self) -> Result<Vec<NodeMetrics>, String> {
        let m = self.metrics_server.as_ref().filter(|_| self.metrics_serving()).ok_or(NOT_AVAILABLE)?;
        Ok(m.node_metrics())
    }
}
