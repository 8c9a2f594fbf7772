//! NodeResourcesBalancedAllocation (plugins/noderesources/balanced_allocation.go):
//! favours nodes whose cpu and memory would be used in equal proportion. With the
//! pod's *real* requests added to the node's: per resource fraction = requested /
//! allocatable (capped at 1); for two resources std = |f1 − f2| / 2; score =
//! int64((1 − std) × 100). Best-effort pods (no requests) skip this plugin, as upstream
//! does since kubernetes/kubernetes#129138.

use crate::scheduler::framework::{NodeInfo, PodInfo, ResourceName, MAX_NODE_SCORE};

pub const NAME: &str = "NodeResourcesBalancedAllocation";

/// The pod's real request of one scored resource.
fn pod_request(pod: &PodInfo, name: &ResourceName) -> i64 {
    match name {
        ResourceName::Cpu => pod.milli_cpu,
        ResourceName::Memory => pod.memory,
        ResourceName::Other(other) => pod.scalar.iter().find(|(n, _)| n == other).map_or(0, |(_, v)| *v),
    }
}

/// PreScore: a best-effort pod (no request of any scored resource, isBestEffortPod) skips
/// the plugin.
pub fn applies(pod: &PodInfo, resources: &[(ResourceName, i64)]) -> bool {
    resources.iter().any(|(name, _)| pod_request(pod, name) != 0)
}

/// The (requested with the pod, allocatable) of one resource, with real requests; a
/// scalar resource the pod does not request is skipped, as in NodeResourcesFit's scorer
/// (calculateResourceAllocatableRequest).
fn resource(pod: &PodInfo, node: &NodeInfo, name: &ResourceName) -> (i64, i64) {
    let want = pod_request(pod, name);
    match name {
        ResourceName::Cpu => (node.requested_milli_cpu + want, node.alloc_milli_cpu),
        ResourceName::Memory => (node.requested_memory + want, node.alloc_memory),
        ResourceName::Other(other) if want == 0 && !super::node_resources_fit::scored_unrequested(other) => (0, 0),
        ResourceName::Other(other) => (node.requested_scalar(other) + want, node.allocatable_scalar(other)),
    }
}

/// balancedResourceScorer: the standard deviation of the requested fractions (for two
/// resources |f1 − f2| / 2), score = int64((1 − std) × 100).
pub fn score(pod: &PodInfo, node: &NodeInfo, resources: &[(ResourceName, i64)]) -> i64 {
    let mut buf = [0f64; 8];
    let mut n = 0;
    let mut heap: Vec<f64> = Vec::new();
    for (name, _) in resources {
        let (requested, allocatable) = resource(pod, node, name);
        if allocatable == 0 {
            continue;
        }
        let f = (requested as f64 / allocatable as f64).min(1.0);
        if n < buf.len() {
            buf[n] = f;
        } else {
            heap.push(f);
        }
        n += 1;
    }
    let fractions: &[f64] = if n <= buf.len() {
        &buf[..n]
    } else {
        heap.splice(0..0, buf.iter().copied());
        &heap
    };
    let std = match fractions {
        [a, b] => ((a - b) / 2.0).abs(),
        [] | [_] => 0.0,
        fs => {
            let mean = fs.iter().sum::<f64>() / fs.len() as f64;
            (fs.iter().map(|f| (f - mean) * (f - mean)).sum::<f64>() / fs.len() as f64).sqrt()
        }
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
        assert_eq!(score(&pod, &n1, &crate::scheduler::framework::default_scored_resources()), 87);
        assert_eq!(score(&pod, &n2, &crate::scheduler::framework::default_scored_resources()), 100);
        assert!(!applies(&PodInfo::with_requests(0, 0), &crate::scheduler::framework::default_scored_resources()));
        // Over-requested resources count as fully used (fraction capped at 1).
        let full = NodeInfo { requested_milli_cpu: 4000, ..n1.clone() };
        assert_eq!(score(&pod, &full, &crate::scheduler::framework::default_scored_resources()), 75);
    }
}
