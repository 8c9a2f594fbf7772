//! nodeunschedulable/node_unschedulable_test.go TestNodeUnschedulable.

use super::{node, pod};
use crate::scheduler::framework::Status;
use crate::scheduler::plugins::node_unschedulable::{filter, ERR_REASON, NAME};

#[test]
fn node_unschedulable() {
    // "Does not schedule pod to unschedulable node (node.Spec.Unschedulable==true)"
    assert_eq!(filter(&pod("p").info(), &node("n").unschedulable().info()), Some(Status::unresolvable(NAME, ERR_REASON.into())));
    // "Schedule pod to normal node"
    assert_eq!(filter(&pod("p").info(), &node("n").info()), None);
    // "Schedule pod with toleration to unschedulable node (node.Spec.Unschedulable==true)":
    // {Key: v1.TaintNodeUnschedulable, Effect: NoSchedule} (operator and value empty).
    let p = pod("p").toleration("node.kubernetes.io/unschedulable", "", "", "NoSchedule");
    assert_eq!(filter(&p.info(), &node("n").unschedulable().info()), None);
}
