//! NodeUnschedulable (plugins/nodeunschedulable): a cordoned node admits only pods that
//! tolerate `node.kubernetes.io/unschedulable:NoSchedule`.

use crate::api::node::Taint;
use crate::scheduler::framework::{NodeInfo, PodInfo, Status};

pub const NAME: &str = "NodeUnschedulable";
pub const ERR_REASON: &str = "node(s) were unschedulable";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    if !node.unschedulable {
        return None;
    }
    let taint = Taint { key: crate::apiserver::defaults::TAINT_UNSCHEDULABLE.into(), value: String::new(), effect: "NoSchedule".into(), time_added: None };
    if pod.tolerations().iter().any(|t| t.tolerates(&taint)) {
        return None;
    }
    Some(Status::unresolvable(NAME, ERR_REASON.into()))
}
