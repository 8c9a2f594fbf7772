//! The kubelet's stats: what its resource metrics endpoint, `/metrics/resource`
//! (pkg/kubelet/metrics/collectors/resource_metrics.go), reports for each running
//! container — `container_cpu_usage_seconds_total`, a cumulative counter, and
//! `container_memory_working_set_bytes` — with the container's start time, and the
//! node's own (`node_cpu_usage_seconds_total`, `node_memory_working_set_bytes`: the sum
//! of its pods' in ksim, where nothing else on the node uses anything).
//!
//! The counters count what the usage model (usage.rs) says the containers use: each
//! evaluation sets a running pod's rate, and the counter integrates it until the next,
//! as the kernel's cpuacct counts CPU time. A container that starts again starts a new
//! counter. A pod's whole use is its first container's, as for memory.
//!
//! A process that runs has used some CPU time and maps some memory, even one that does
//! nothing: a started container's counter begins at 1 µs (its exec) and its working set
//! is at least one page (4 KiB), so metrics-server, which drops a container reporting 0
//! of either, serves `0m` and `0Mi` for a pod that declares no use — as `kubectl top`
//! shows an idle `sleep` — rather than nothing.

use super::pod_workers::Phase;
use super::Kubelet;
use crate::engine::SimTime;
use std::collections::BTreeMap;

/// The CPU time a started container has used before anything it declares: its exec, µs.
const EXEC_CPU: u64 = 1;
/// The least working set of a running process: one page.
const PAGE: i64 = 4096;

/// One container's counter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CpuCounter {
    /// The container start it counts from.
    started: SimTime,
    /// CPU used until `since`, in millicore-milliseconds (µs of CPU time).
    used: u64,
    /// The rate since `since`, in millicores.
    rate: u64,
    since: SimTime,
}

impl CpuCounter {
    fn at(&self, now: SimTime) -> u64 {
        self.used.saturating_add(self.rate.saturating_mul(now.since(self.since).as_ms()))
    }
}

/// A running container's sample, as `/metrics/resource` gives it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContainerSample {
    pub uid: String,
    pub namespace: String,
    pub pod: String,
    pub container: String,
    /// The container's start (metrics-server's first point of a new container).
    pub start: SimTime,
    /// Cumulative CPU time, µs (millicore-milliseconds).
    pub cpu_used: u64,
    /// The working set, bytes.
    pub memory: i64,
}

impl Kubelet {
    /// The pods whose containers run now (up to SIGTERM for a terminating one).
    pub fn running(&self, now: SimTime) -> Vec<crate::usage::Running> {
        if !self.alive {
            return Vec::new();
        }
        self.workers
            .iter()
            .filter_map(|(uid, w)| {
                let started = w.started_at.get()?;
                let runs = match w.phase {
                    Phase::Running => true,
                    Phase::Killing => w.sigterm_at.get().is_none_or(|t| now < t),
                    _ => false,
                };
                runs.then(|| crate::usage::Running { uid: uid.to_string(), pod: w.pod.clone(), ready: w.ready, started })
            })
            .collect()
    }

    /// The usage model's rates (millicores) for `running`, the pods `running(now)` gave;
    /// counters of containers no longer running are dropped.
    pub fn set_cpu_rates(&mut self, now: SimTime, running: &[crate::usage::Running], rates: &BTreeMap<String, i64>) {
        self.node_cpu.used = self.node_cpu.at(now);
        self.node_cpu.since = now;
        self.node_cpu.rate = 0;
        let mut next: BTreeMap<String, CpuCounter> = BTreeMap::new();
        for r in running {
            let rate = rates.get(&r.uid).copied().unwrap_or(0).max(0) as u64;
            let c = match self.cpu.get(&r.uid) {
                Some(c) if c.started == r.started => CpuCounter { started: r.started, used: c.at(now), rate, since: now },
                _ => {
                    // A new container: its exec's CPU time counts on the node for good.
                    self.node_cpu.used = self.node_cpu.used.saturating_add(EXEC_CPU);
                    CpuCounter { started: r.started, used: 0, rate, since: now.max(r.started) }
                }
            };
            self.node_cpu.rate = self.node_cpu.rate.saturating_add(rate);
            next.insert(r.uid.clone(), c);
        }
        self.cpu = next;
    }

    /// The node's own sample: cumulative CPU time (µs) and working set (bytes), its
    /// running containers' (nothing else runs on a ksim node).
    pub fn node_metrics(&self, now: SimTime) -> (u64, i64) {
        let memory = self.resource_metrics(now).iter().map(|c| c.memory).fold(0i64, i64::saturating_add);
        // Never decreasing: the exec time of every container it started is in it.
        (self.node_cpu.at(now).saturating_add(EXEC_CPU), memory)
    }

    /// What `/metrics/resource` answers now: one sample per running pod (its first
    /// container).
    pub fn resource_metrics(&self, now: SimTime) -> Vec<ContainerSample> {
        self.running(now)
            .into_iter()
            .filter_map(|r| {
                let p = r.pod.as_pod()?;
                let container = p.spec.containers.first()?.name.clone();
                let cpu_used = self.cpu.get(&r.uid).filter(|c| c.started == r.started).map_or(0, |c| c.at(now)).saturating_add(EXEC_CPU);
                Some(ContainerSample {
                    memory: self.working_set(&r.uid, now).max(PAGE),
                    uid: r.uid,
                    namespace: p.metadata.namespace.to_string(),
                    pod: p.metadata.name.to_string(),
                    container,
                    start: r.started,
                    cpu_used,
                })
            })
            .collect()
    }
}
