//! Pod admission (upstream pkg/kubelet/lifecycle/predicate.go): before a pod bound here
//! gets a worker, the kubelet re-checks that it fits beside the pods it already runs —
//! pods, then cpu, then memory, as the scheduler's NodeResourcesFit orders them — and
//! rejects it with the first shortfall: phase Failed, reason `OutOf<resource>`, message
//! `Pod was rejected: Node didn't have enough resource: …` (kubelet.go rejectPod). Then,
//! as generalFilter goes on (scheduler.AdmissionCheck with all failures, then the
//! NoExecute taints), the pod's required node affinity and nodeSelector
//! (`Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector`)
//! and the node's NoExecute taints it does not tolerate (`Predicate TaintToleration
//! failed: node(s) had taints that the pod didn't tolerate`): a pod given a `nodeName`
//! directly skips the scheduler, not these checks. The first failure is the reason.
//!
//! Differences from upstream: no OS or host-port re-checks, no extended resources.

use super::pod_workers::Phase;
use super::Kubelet;
use crate::api::pod::Pod;
use crate::api::Object;
use crate::apiserver::Request;
use crate::client::Ctx;
use std::rc::Rc;

/// A rejection: the reason (`OutOfcpu`) and upstream's InsufficientResourceError message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Rejection {
    pub reason: String,
    pub message: String,
}

/// What the node has and what its admitted pods use.
pub(super) struct Usage {
    pub pods: i64,
    pub milli_cpu: i64,
    pub memory: i64,
}

/// predicateAdmitHandler.Admit's resource checks: `requests` = (milli-cpu, memory bytes)
/// of the new pod, `used` = the active pods, `capacity` = allocatable.
pub(super) fn check(requests: (i64, i64), used: &Usage, capacity: &Usage) -> Option<Rejection> {
    let checks =
        [("pods", 1, used.pods, capacity.pods), ("cpu", requests.0, used.milli_cpu, capacity.milli_cpu), ("memory", requests.1, used.memory, capacity.memory)];
    for (res, req, used, cap) in checks {
        let short = if res == "pods" { used + req > cap } else { req > 0 && req > cap - used };
        if short {
            return Some(Rejection {
                reason: format!("OutOf{res}"),
                message: format!("Node didn't have enough resource: {res}, requested: {req}, used: {used}, capacity: {cap}"),
            });
        }
    }
    None
}

impl Kubelet {
    /// Admission: pods, then cpu, then memory; the first shortfall rejects the pod with
    /// `OutOf<resource>`. An admitted pod gets a worker.
    pub(super) fn admit(&mut self, obj: &Rc<Object>, ctx: &mut Ctx) {
        let p = obj.as_pod().expect("pod");
        let r = p.spec.requests();
        let active = self.workers.values().filter(|w| w.phase != Phase::Done);
        let used = active.fold(Usage { pods: 0, milli_cpu: 0, memory: 0 }, |u, w| Usage {
            pods: u.pods + 1,
            milli_cpu: u.milli_cpu + w.requests.0,
            memory: u.memory + w.requests.1,
        });
        let capacity = Usage { pods: self.spec.pods.value(), milli_cpu: self.spec.cpu.milli_value(), memory: self.spec.memory.value() };
        // The eviction manager's admit handler comes before the predicates'.
        let rejection = self.eviction_admit(p, ctx.now).or_else(|| check((r.milli_cpu, r.memory), &used, &capacity)).or_else(|| self.predicates(obj));
        match rejection {
            Some(rej) => self.reject(obj, p, &rej, ctx),
            None => self.add_worker(obj, ctx),
        }
    }

    /// generalFilter's non-resource predicates against the Node as this kubelet last saw
    /// it (none before it has seen its Node): PredicateFailureError's
    /// `Predicate <plugin> failed: <reason>`.
    fn predicates(&self, obj: &Rc<Object>) -> Option<Rejection> {
        use crate::scheduler::framework::{host_port_specs, NodeInfo, PodInfo};
        use crate::scheduler::plugins::{node_affinity, taint_toleration};
        let node = self.node.as_ref()?.as_node()?;
        let p = obj.as_pod()?;
        let failed = |plugin: &str, reason: &str| Rejection { reason: plugin.to_string(), message: format!("Predicate {plugin} failed: {reason}") };
        // The node's labels and name are all NodeAffinity reads of its NodeInfo.
        if !node_affinity::matches_required_on(p, &node.metadata.labels, &node.metadata.name) {
            return Some(failed(node_affinity::NAME, node_affinity::ERR_REASON_POD));
        }
        // AdmissionCheck's NodePorts: the host ports of the pods admitted here (the
        // scheduler's PodInfo, with what it precomputes, only for a pod that has some).
        use crate::scheduler::plugins::node_ports;
        if host_port_specs(p).next().is_some() {
            let pi = PodInfo::new(obj.clone());
            let mut ni = NodeInfo::default();
            ni.set_node(node);
            for w in self.workers.values().filter(|w| w.phase != Phase::Done) {
                ni.used_ports.extend(PodInfo::new(w.pod.clone()).host_ports().iter().cloned());
            }
            if node_ports::filter(&pi, &ni).is_some() {
                return Some(failed(node_ports::NAME, node_ports::ERR_REASON));
            }
        }
        let untolerated = node.spec.taints.iter().filter(|t| t.effect == "NoExecute").any(|t| !p.spec.tolerations.iter().any(|tol| tol.tolerates(t)));
        untolerated.then(|| failed(taint_toleration::NAME, taint_toleration::ERR_REASON_NOT_MATCH))
    }

    /// kubelet.go rejectPod: a Warning event and the Failed status.
    fn reject(&mut self, obj: &Rc<Object>, p: &Pod, rej: &Rejection, ctx: &mut Ctx) {
        let mut np = p.clone();
        np.metadata.resource_version.0 = 0;
        np.status.phase = "Failed".into();
        np.status.reason = rej.reason.as_str().into();
        np.status.message = format!("Pod was rejected: {}", rej.message).into();
        ctx.request(Request::UpdateStatus(Object::Pod(Box::new(np))));
        self.event(obj, "Warning", rej.reason.clone(), &rej.message, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cap() -> Usage {
        Usage { pods: 2, milli_cpu: 2000, memory: 1 << 30 }
    }

    #[test]
    fn the_first_shortfall_in_upstreams_order_rejects() {
        let used = Usage { pods: 2, milli_cpu: 1900, memory: 1 << 30 };
        // Pods are checked first (generalFilter → noderesources.Fits: pods, cpu, memory).
        let r = check((500, 1), &used, &cap()).expect("rejected");
        assert_eq!(r.reason, "OutOfpods");
        assert_eq!(r.message, "Node didn't have enough resource: pods, requested: 1, used: 2, capacity: 2");
        let used = Usage { pods: 1, ..used };
        assert_eq!(check((500, 1), &used, &cap()).expect("rejected").reason, "OutOfcpu");
        assert_eq!(check((100, 1), &used, &cap()).expect("rejected").reason, "OutOfmemory");
        assert_eq!(check((100, 0), &used, &cap()), None, "a zero request is never short");
    }
}
