//! TaintToleration (plugins/tainttoleration). Score: the number of PreferNoSchedule
//! taints the pod does not tolerate (normalized in reverse: fewer is better). Filter: the first NoSchedule or
//! NoExecute taint the pod does not tolerate rejects the node. The reason names the
//! taint as kube-scheduler did up to v1.34 (`{key: value}`); v1.35 prints only
//! `node(s) had untolerated taint(s)`. ksim keeps the more instructive form.

use crate::scheduler::framework::{NodeInfo, PodInfo, Status};

pub const NAME: &str = "TaintToleration";
/// ErrReasonNotMatch: the reason the kubelet's admission gives (its generalFilter).
pub const ERR_REASON_NOT_MATCH: &str = "node(s) had taints that the pod didn't tolerate";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    let untolerated =
        node.taints.iter().filter(|t| t.effect == "NoSchedule" || t.effect == "NoExecute").find(|t| !pod.tolerations().iter().any(|tol| tol.tolerates(t)))?;
    Some(Status::unresolvable(NAME, format!("node(s) had untolerated taint {{{}: {}}}", untolerated.key, untolerated.value)))
}

/// countIntolerableTaintsPreferNoSchedule, with the pod's tolerations whose effect is
/// empty or PreferNoSchedule.
pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let prefer = |tol: &&crate::api::pod::Toleration| tol.effect.is_empty() || tol.effect == "PreferNoSchedule";
    node.taints.iter().filter(|t| t.effect == "PreferNoSchedule").filter(|t| !pod.tolerations().iter().filter(prefer).any(|tol| tol.tolerates(t))).count()
        as i64
}
