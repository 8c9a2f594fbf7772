//! metrics-server (kubernetes-sigs/metrics-server), the add-on behind the resource
//! metrics API (`metrics.k8s.io/v1beta1`) that `kubectl top` and the
//! HorizontalPodAutoscaler read. `spec.cluster.metricsServer: metrics-server` installs it
//! as its components.yaml does (a Deployment in kube-system); it serves once its pod is
//! Ready.
//!
//! Every `--metric-resolution` (15 s in components.yaml; the binary's own default is
//! 60 s) it scrapes each node's kubelet at `/metrics/resource` (kubelet/stats.rs) and
//! keeps, per container and per node, the last two points (pkg/storage: pod.go,
//! node.go). Memory is the working set at the last point. CPU is a rate: the cumulative
//! CPU time between the two points over the time between them — the `window` the API
//! reports — so a figure is up to one resolution old and averages the last one
//! (types.go resourceUsage, truncated to whole nanocores). As upstream:
//! - something seen for the first time has one point and no figure until the next
//!   scrape, except a container whose age at the scrape is in [10 s, resolution): its
//!   start is taken as a point with nothing used (pod.go Store,
//!   freshContainerMinMetricsResolution), so its window is its age;
//! - a container that started again starts over (its new start is after the stored
//!   point);
//! - a node, or a pod, absent from a scrape (the kubelet unreachable) loses both points;
//! - a pod with a container reporting 0 CPU time or 0 memory, and a node reporting 0, is
//!   dropped from the scrape (decode.go checkContainerMetrics: "Failed getting complete
//!   Pod metric") — in ksim that is every pod that declares no use (usage.rs);
//! - only pods in phase Running are served (its pod informer's field selector), sorted
//!   by namespace and name.

use crate::engine::{SimDuration, SimTime};
use crate::kubelet::ContainerSample;
use std::collections::BTreeMap;

/// `--metric-resolution` as components.yaml sets it.
pub const RESOLUTION: SimDuration = SimDuration::from_secs(15);
/// freshContainerMinMetricsResolution (pod.go).
const FRESH_CONTAINER_MIN: SimDuration = SimDuration::from_secs(10);
/// components.yaml's image.
pub const IMAGE: &str = "registry.k8s.io/metrics-server/metrics-server:v0.7.2";

#[derive(Clone, Debug, PartialEq, Eq)]
struct Point {
    ts: SimTime,
    start: SimTime,
    /// µs of CPU time.
    cpu_used: u64,
    memory: i64,
}

/// A pod's figures, as PodMetrics gives them (one container: ksim's pods use through
/// their first).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PodMetrics {
    pub namespace: String,
    pub name: String,
    pub uid: String,
    pub container: String,
    pub timestamp: SimTime,
    pub window: SimDuration,
    /// CPU, nanocores.
    pub cpu_nano: i64,
    /// Working set, bytes.
    pub memory: i64,
}

/// A node's figures (NodeMetrics).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeMetrics {
    pub name: String,
    pub timestamp: SimTime,
    pub window: SimDuration,
    pub cpu_nano: i64,
    pub memory: i64,
}

struct PodEntry {
    namespace: String,
    name: String,
    container: String,
    last: Point,
    prev: Option<Point>,
}

/// A kubelet's `/metrics/resource` answer: the node's (CPU time µs, working set) and its
/// containers'.
pub type NodeAnswer = ((u64, i64), Vec<ContainerSample>);

#[derive(Default)]
pub struct MetricsServer {
    pods: BTreeMap<String, PodEntry>,
    nodes: BTreeMap<String, (Point, Option<Point>)>,
    /// Scrapes stored since the process started: it reports ready from the second
    /// (v0.7's storage.Ready: node and pod points with a previous one).
    scrapes: u32,
}

/// resourceUsage: the CPU rate between two points, in nanocores.
fn rate(last: &Point, prev: &Point) -> Option<i64> {
    let ms = last.ts.since(prev.ts).as_ms();
    if ms == 0 || last.cpu_used < prev.cpu_used {
        return None;
    }
    // µs of CPU per ms of time = millicores; × 10⁶ = nanocores.
    Some(((last.cpu_used - prev.cpu_used) as i128 * 1_000_000 / ms as i128).min(i64::MAX as i128) as i64)
}

impl MetricsServer {
    /// The process stopped: its storage is memory only.
    pub fn restart(&mut self) {
        *self = MetricsServer::default();
    }

    /// Whether it has served a second scrape since it started (its /readyz).
    pub fn ready(&self) -> bool {
        self.scrapes >= 2
    }

    /// One scrape: each node's answer (None: unreachable).
    pub fn scrape(&mut self, now: SimTime, nodes: Vec<(String, Option<NodeAnswer>)>) {
        self.scrapes = self.scrapes.saturating_add(1);
        let mut pods = BTreeMap::new();
        let mut node_points = BTreeMap::new();
        for (node, answer) in nodes {
            let Some(((cpu, memory), samples)) = answer else { continue };
            if cpu > 0 && memory > 0 {
                let point = Point { ts: now, start: SimTime::ZERO, cpu_used: cpu, memory };
                let prev = self.nodes.remove(&node).map(|(p, _)| p);
                node_points.insert(node, (point, prev));
            }
            for s in samples {
                if s.cpu_used == 0 || s.memory <= 0 {
                    continue;
                }
                let last = Point { ts: now, start: s.start, cpu_used: s.cpu_used, memory: s.memory };
                let age = now.since(s.start);
                let stored = self.pods.remove(&s.uid);
                let prev = if s.start < now && age < RESOLUTION && age >= FRESH_CONTAINER_MIN {
                    Some(Point { ts: s.start, start: s.start, cpu_used: 0, memory: 0 })
                } else {
                    // Kept while the container has not started again since the stored point.
                    stored.filter(|e| s.start < e.last.ts).map(|e| e.last)
                };
                pods.insert(s.uid, PodEntry { namespace: s.namespace, name: s.pod, container: s.container, last, prev });
            }
        }
        self.pods = pods;
        self.nodes = node_points;
    }

    /// The pods it has figures for (the caller keeps those Running), by namespace and name.
    pub fn pod_metrics(&self) -> Vec<PodMetrics> {
        let mut out: Vec<PodMetrics> = self
            .pods
            .iter()
            .filter_map(|(uid, e)| {
                let prev = e.prev.as_ref()?;
                Some(PodMetrics {
                    namespace: e.namespace.clone(),
                    name: e.name.clone(),
                    uid: uid.clone(),
                    container: e.container.clone(),
                    timestamp: e.last.ts,
                    window: e.last.ts.since(prev.ts),
                    cpu_nano: rate(&e.last, prev)?,
                    memory: e.last.memory,
                })
            })
            .collect();
        out.sort_by(|a, b| (&a.namespace, &a.name).cmp(&(&b.namespace, &b.name)));
        out
    }

    /// The nodes it serves figures for.
    pub fn node_metrics(&self) -> Vec<NodeMetrics> {
        self.nodes
            .iter()
            .filter_map(|(name, (last, prev))| {
                let prev = prev.as_ref()?;
                Some(NodeMetrics { name: name.clone(), timestamp: last.ts, window: last.ts.since(prev.ts), cpu_nano: rate(last, prev)?, memory: last.memory })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(uid: &str, start: u64, cpu_used: u64) -> ContainerSample {
        let cpu_used = cpu_used.max(1);
        ContainerSample { uid: uid.into(), namespace: "default".into(), pod: uid.into(), container: "c".into(), start: SimTime(start), cpu_used, memory: 100 }
    }

    #[test]
    fn cpu_is_the_rate_between_the_last_two_points() {
        let mut m = MetricsServer::default();
        // First scrape at 15 s: a container running since 0 s has one point only…
        m.scrape(SimTime(15_000), vec![("n".into(), Some(((1, 1), vec![sample("a", 0, 7_500_000)])))]);
        assert!(m.pod_metrics().is_empty(), "one point: no rate yet");
        // …at 30 s it has two: 15 s of CPU time used over 15 s is 1 core.
        m.scrape(SimTime(30_000), vec![("n".into(), Some(((1, 1), vec![sample("a", 0, 22_500_000)])))]);
        let p = &m.pod_metrics()[0];
        assert_eq!((p.cpu_nano, p.window, p.timestamp), (1_000_000_000, SimDuration::from_secs(15), SimTime(30_000)));
    }

    #[test]
    fn a_fresh_container_counts_from_its_start() {
        let mut m = MetricsServer::default();
        // Started at 20 s, 5 s of CPU time by 30 s: 10 s old, in [10 s, 15 s): half a core
        // over a 10 s window at once.
        m.scrape(SimTime(30_000), vec![("n".into(), Some(((1, 1), vec![sample("b", 20_000, 5_000_000)])))]);
        let p = &m.pod_metrics()[0];
        assert_eq!((p.cpu_nano, p.window), (500_000_000, SimDuration::from_secs(10)));
        // Started again at 40 s: 5 s old at 45 s, under 10 s: no figure until the next scrape.
        m.scrape(SimTime(45_000), vec![("n".into(), Some(((1, 1), vec![sample("b", 40_000, 1_000_000)])))]);
        assert!(m.pod_metrics().is_empty());
        m.scrape(SimTime(60_000), vec![("n".into(), Some(((1, 1), vec![sample("b", 40_000, 4_000_000)])))]);
        assert_eq!(m.pod_metrics()[0].cpu_nano, 200_000_000);
    }

    #[test]
    fn a_pod_using_nothing_is_dropped() {
        let mut m = MetricsServer::default();
        let mut idle = sample("a", 0, 0);
        idle.cpu_used = 0;
        for t in [15_000, 30_000] {
            m.scrape(SimTime(t), vec![("n".into(), Some(((0, 0), vec![idle.clone()])))]);
        }
        assert!(m.pod_metrics().is_empty() && m.node_metrics().is_empty());
    }

    #[test]
    fn an_unreachable_node_loses_its_pods_figures() {
        let mut m = MetricsServer::default();
        m.scrape(SimTime(15_000), vec![("n".into(), Some(((1, 1), vec![sample("a", 0, 0)])))]);
        m.scrape(SimTime(30_000), vec![("n".into(), Some(((2, 1), vec![sample("a", 0, 0)])))]);
        assert_eq!((m.pod_metrics().len(), m.node_metrics().len()), (1, 1));
        m.scrape(SimTime(45_000), vec![("n".into(), None)]);
        assert!(m.pod_metrics().is_empty() && m.node_metrics().is_empty());
    }
}
