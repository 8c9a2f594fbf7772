//! NodeResourcesBalancedAllocation (plugins/noderesources/balanced_allocation.go):
//! favours nodes whose cpu and memory would be used in equal proportion. With the
//! pod's *real* requests added to the node's: per resource fraction = requested /
//! allocatable (capped at 1); for two resources std = |f1 − f2| / 2; score =
//! int64((1 − std) × 100). Best-effort pods (no requests) skip this plugin, as upstream
//! does since kubernetes/kubernetes#129138.

use crate::scheduler::framework::{NodeInfo, PodInfo, MAX_NODE_SCORE};

pub const NAME: &str = "NodeResourcesBalancedAllocation";

/// PreScore: whether the plugin runs for this pod.
pub fn applies(pod: &PodInfo) -> bool {
    pod.milli_cpu > 0 || pod.memory > 0
}

pub fn score(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let mut fractions: Vec<f64> = Vec::with_capacity(2);
    for (requested, allocatable) in [(node.requested_milli_cpu + pod.milli_cpu, node.alloc_milli_cpu), (node.requested_memory + pod.memory, node.alloc_memory)]
    {
        if allocatable == 0 {
            continue;
        }
        fractions.push((requested as f64 / allocatable as f64).min(1.0));
    }
    let std = match fractions.as_slice() {
        [a, b] => ((a - b) / 2.0).abs(),
        _ => 0.0,
    };
    ((1.0 - std) * MAX_NODE_SCORE as f64) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// balanced_allocation_test.go, "nothing scheduled, resources requested, differently
    /// sized nodes": cpu 3000m/4000m and memory 5000/10000 → std 0.125 → 87; on a
    /// 6000m/10000 node both are 50 % → 100.
    #[test]
    fn matches_upstream_cases() {
        let pod = PodInfo::with_requests(3000, 5000);
        let n1 = NodeInfo { alloc_milli_cpu: 4000, alloc_memory: 10000, alloc_pods: 110, ..Default::default() };
        let n2 = NodeInfo { alloc_milli_cpu: 6000, ..n1.clone() };
        assert_eq!(score(&pod, &n1), 87);
        assert_eq!(score(&pod, &n2), 100);
        assert!(!applies(&PodInfo::with_requests(0, 0)));
        // Over-requested resources count as fully used (fraction capped at 1).
        let full = NodeInfo { requested_milli_cpu: 4000, ..n1.clone() };
        assert_eq!(score(&pod, &full), 75);
    }
}
