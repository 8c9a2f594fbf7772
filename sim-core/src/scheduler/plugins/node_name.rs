//! NodeName (plugins/nodename): a pod with `spec.nodeName` fits only that node.

use crate::scheduler::framework::{NodeInfo, PodInfo, Status};

pub const NAME: &str = "NodeName";
pub const ERR_REASON: &str = "node(s) didn't match the requested node name";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    let want = &pod.pod().spec.node_name;
    if want.is_empty() || *want == node.name {
        None
    } else {
        Some(Status::unresolvable(NAME, ERR_REASON.into()))
    }
}
