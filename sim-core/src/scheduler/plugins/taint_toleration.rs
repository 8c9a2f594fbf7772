//! TaintToleration (plugins/tainttoleration), filter part: the first NoSchedule or
//! NoExecute taint the pod does not tolerate rejects the node. The reason names the
//! taint as kube-scheduler did up to v1.34 (`{key: value}`); v1.35 prints only
//! `node(s) had untolerated taint(s)`. ksim keeps the more instructive form.

use crate::scheduler::framework::{NodeInfo, PodInfo, Status};

pub const NAME: &str = "TaintToleration";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    let untolerated =
        node.taints.iter().filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute").find(|t| !pod.tolerations().iter().any(|tol| tol.tolerates(t)))?;
    Some(Status::unresolvable(NAME, format!("node(s) had untolerated taint {{{}: {}}}", untolerated.key, untolerated.value)))
}
