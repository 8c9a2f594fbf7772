//! NodeVolumeLimits (pkg/scheduler/framework/plugins/nodevolumelimits/csi.go, CSILimits):
//! a node whose CSINode gives a driver an attach limit (`allocatable.count`) takes a pod
//! only if the CSI volumes of that driver already used by its pods, plus the pod's new
//! ones (a volume shared with a pod already there is not counted twice), stay within
//! the limit: "node(s) exceed max volume count" (Unschedulable: preempting a pod may
//! help). A volume is named `<driver>/<volumeHandle>`; a claim not yet bound counts as
//! a volume of its class's provisioner (getCSIDriverInfoFromSC). A node without a
//! CSINode, or a driver without a count, has no limit.

use super::super::framework::{NodeInfo, Status};
use std::collections::BTreeMap;

pub const NAME: &str = "NodeVolumeLimits";
pub const ERR_REASON_MAX_VOLUME_COUNT_EXCEEDED: &str = "node(s) exceed max volume count";

/// What PreFilter gathered: the pod's CSI volumes (unique name → driver), each node's
/// limits (node → driver → count) and the volumes of the pods on those nodes (pod uid →
/// unique name → driver; Filter counts the pods the node has — after preemption's
/// removals too — as upstream recounts nodeInfo.Pods).
#[derive(Clone, Debug, Default)]
pub struct PreFilterState {
    pub new_volumes: BTreeMap<String, String>,
    pub limits: BTreeMap<String, BTreeMap<String, i64>>,
    pub pod_volumes: BTreeMap<String, BTreeMap<String, String>>,
}

pub fn filter(st: &PreFilterState, node: &NodeInfo) -> Option<Status> {
    let limits = st.limits.get(node.name.as_str())?;
    let mut attached: BTreeMap<&str, &str> = BTreeMap::new();
    for p in &node.pods {
        if let Some(vs) = st.pod_volumes.get(p.uid()) {
            for (u, d) in vs {
                attached.insert(u, d);
            }
        }
    }
    let mut attached_count: BTreeMap<&str, i64> = BTreeMap::new();
    for driver in attached.values() {
        *attached_count.entry(driver).or_default() += 1;
    }
    let mut new_count: BTreeMap<&str, i64> = BTreeMap::new();
    for (unique, driver) in &st.new_volumes {
        if !attached.contains_key(unique.as_str()) {
            *new_count.entry(driver).or_default() += 1;
        }
    }
    for (driver, n) in new_count {
        if let Some(max) = limits.get(driver) {
            if attached_count.get(driver).copied().unwrap_or(0) + n > *max {
                return Some(Status::unschedulable(NAME, vec![ERR_REASON_MAX_VOLUME_COUNT_EXCEEDED.into()]));
            }
        }
    }
    None
}
