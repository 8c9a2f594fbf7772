//! The scheduling framework's data: the per-pod precomputation (PodInfo), the node-info
//! snapshot (NodeInfo, kept incrementally like the scheduler cache), and plugin statuses.

use crate::api::node::{Node, Taint};
use crate::api::pod::{Pod, Toleration};
use crate::api::Object;
use std::rc::Rc;

/// kube-scheduler's defaults for containers without requests, used in scoring
/// (pkg/scheduler/util/pod_resources.go).
pub const DEFAULT_MILLI_CPU_REQUEST: i64 = 100;
pub const DEFAULT_MEMORY_REQUEST: i64 = 200 * 1024 * 1024;
pub const MAX_NODE_SCORE: i64 = 100;

/// What the scheduler precomputes for the pod being scheduled.
#[derive(Clone, Debug)]
pub struct PodInfo {
    /// Always an `Object::Pod`.
    pub object: Rc<Object>,
    pub milli_cpu: i64,
    pub memory: i64,
    /// Requests with the scoring defaults for containers that request nothing.
    pub non_zero_milli_cpu: i64,
    pub non_zero_memory: i64,
}

impl PodInfo {
    pub fn new(object: Rc<Object>) -> Self {
        let pod = object.as_pod().expect("PodInfo of a Pod");
        let r = pod.spec.requests();
        let (nz_cpu, nz_mem) = non_zero_requests(pod);
        PodInfo { milli_cpu: r.milli_cpu, memory: r.memory, non_zero_milli_cpu: nz_cpu, non_zero_memory: nz_mem, object }
    }
    pub fn pod(&self) -> &Pod {
        self.object.as_pod().expect("PodInfo of a Pod")
    }
    pub fn tolerations(&self) -> &[Toleration] {
        &self.pod().spec.tolerations
    }
    /// A pod with the given requests (for tests).
    pub fn with_requests(milli_cpu: i64, memory: i64) -> Self {
        PodInfo { object: Rc::new(Object::Pod(Pod::default())), milli_cpu, memory, non_zero_milli_cpu: milli_cpu, non_zero_memory: memory }
    }
}

/// resourcehelper.PodRequests with NonMissingContainerRequests = {100m, 200Mi}: a
/// container that requests nothing of cpu (memory) counts as 100m (200Mi).
fn non_zero_requests(pod: &Pod) -> (i64, i64) {
    let mut cpu = 0i64;
    let mut mem = 0i64;
    for c in pod.spec.containers.iter() {
        let r = &c.resources.requests;
        cpu = cpu.saturating_add(r.get("cpu").map_or(DEFAULT_MILLI_CPU_REQUEST, |q| q.milli_value()));
        mem = mem.saturating_add(r.get("memory").map_or(DEFAULT_MEMORY_REQUEST, |q| q.value()));
    }
    let mut init_cpu = 0i64;
    let mut init_mem = 0i64;
    for c in &pod.spec.init_containers {
        let r = &c.resources.requests;
        init_cpu = init_cpu.max(r.get("cpu").map_or(DEFAULT_MILLI_CPU_REQUEST, |q| q.milli_value()));
        init_mem = init_mem.max(r.get("memory").map_or(DEFAULT_MEMORY_REQUEST, |q| q.value()));
    }
    (cpu.max(init_cpu), mem.max(init_mem))
}

/// One node of the snapshot.
#[derive(Clone, Debug, Default)]
pub struct NodeInfo {
    pub name: String,
    pub alloc_milli_cpu: i64,
    pub alloc_memory: i64,
    pub alloc_pods: i64,
    pub requested_milli_cpu: i64,
    pub requested_memory: i64,
    pub non_zero_milli_cpu: i64,
    pub non_zero_memory: i64,
    pub pod_count: i64,
    pub taints: Vec<Taint>,
    pub labels: crate::api::meta::Labels,
    pub unschedulable: bool,
    pub present: bool,
}

impl NodeInfo {
    pub fn set_node(&mut self, node: &Node) {
        let a = &node.status.allocatable;
        self.name = node.metadata.name.clone();
        self.alloc_milli_cpu = a.get("cpu").map_or(0, |q| q.milli_value());
        self.alloc_memory = a.get("memory").map_or(0, |q| q.value());
        self.alloc_pods = a.get("pods").map_or(0, |q| q.value());
        self.taints = node.spec.taints.clone();
        self.labels = node.metadata.labels.clone();
        self.unschedulable = node.spec.unschedulable;
        self.present = true;
    }

    pub fn add_pod(&mut self, p: &PodInfo, sign: i64) {
        self.requested_milli_cpu += sign * p.milli_cpu;
        self.requested_memory += sign * p.memory;
        self.non_zero_milli_cpu += sign * p.non_zero_milli_cpu;
        self.non_zero_memory += sign * p.non_zero_memory;
        self.pod_count += sign;
    }
}

/// A filter plugin's verdict on one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub plugin: &'static str,
    pub reasons: Vec<String>,
    /// UnschedulableAndUnresolvable (preemption cannot help) vs Unschedulable.
    pub unresolvable: bool,
}

impl Status {
    pub fn unschedulable(plugin: &'static str, reasons: Vec<String>) -> Self {
        Status { plugin, reasons, unresolvable: false }
    }
    pub fn unresolvable(plugin: &'static str, reason: String) -> Self {
        Status { plugin, reasons: vec![reason], unresolvable: true }
    }
}

/// FitError.Error(): `0/N nodes are available: <count> <reason>, ….` with the
/// "<count> <reason>" strings sorted as Go's sort.Strings does (byte order).
pub fn fit_error_message(num_all_nodes: usize, statuses: &[Status]) -> String {
    if num_all_nodes == 0 {
        return "no nodes available to schedule pods".to_string();
    }
    let mut hist: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for s in statuses {
        for r in &s.reasons {
            *hist.entry(r.as_str()).or_default() += 1;
        }
    }
    let mut parts: Vec<String> = hist.iter().map(|(r, n)| format!("{n} {r}")).collect();
    parts.sort();
    let mut msg = format!("0/{num_all_nodes} nodes are available:");
    if !parts.is_empty() {
        msg.push(' ');
        msg.push_str(&parts.join(", "));
        msg.push('.');
    }
    msg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_error_sorts_reason_strings_like_go() {
        let st = |r: &str| Status::unschedulable("NodeResourcesFit", vec![r.to_string()]);
        let msg = fit_error_message(2, &[st("Insufficient cpu"), st("Insufficient cpu")]);
        assert_eq!(msg, "0/2 nodes are available: 2 Insufficient cpu.");
        // upstream TestFitError-style: counts sort as strings ("10 …" before "2 …").
        let mut many: Vec<Status> = (0..10).map(|_| st("Insufficient memory")).collect();
        many.push(Status::unresolvable("TaintToleration", "node(s) had untolerated taint {dedicated: gpu}".into()));
        many.push(Status::unresolvable("TaintToleration", "node(s) had untolerated taint {dedicated: gpu}".into()));
        assert_eq!(fit_error_message(12, &many), "0/12 nodes are available: 10 Insufficient memory, 2 node(s) had untolerated taint {dedicated: gpu}.");
        assert_eq!(fit_error_message(0, &[]), "no nodes available to schedule pods");
    }
}
