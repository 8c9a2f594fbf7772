//! NodeResourcesFit (plugins/noderesources/fit.go, least_allocated.go).
//! Filter: pod count first, then cpu and memory against allocatable, with the pod's
//! real requests (a pod requesting nothing always fits resource-wise). Score
//! (LeastAllocated, cpu and memory weight 1): per resource
//! `(capacity - requested) * 100 / capacity`, then the weighted integer average, where
//! requested uses the non-zero defaults (100m / 200Mi) for the node and the pod.

use crate::scheduler::framework::{NodeInfo, PodInfo, Status, MAX_NODE_SCORE};

pub const NAME: &str = "NodeResourcesFit";

pub fn filter(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    let mut reasons = Vec::new();
    if node.pod_count + 1 > node.alloc_pods {
        reasons.push("Too many pods".to_string());
    }
    if pod.milli_cpu > 0 && pod.milli_cpu > node.alloc_milli_cpu - node.requested_milli_cpu {
        reasons.push("Insufficient cpu".to_string());
    }
    if pod.memory > 0 && pod.memory > node.alloc_memory - node.requested_memory {
        reasons.push("Insufficient memory".to_string());
    }
    if reasons.is_empty() {
        None
    } else {
        Some(Status::unschedulable(NAME, reasons))
    }
}

/// leastRequestedScore.
pub fn least_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 || requested > capacity {
        return 0;
    }
    ((capacity - requested) * MAX_NODE_SCORE) / capacity
}

pub fn score_least_allocated(pod: &PodInfo, node: &NodeInfo) -> i64 {
    let resources =
        [(node.non_zero_milli_cpu + pod.non_zero_milli_cpu, node.alloc_milli_cpu, 1i64), (node.non_zero_memory + pod.non_zero_memory, node.alloc_memory, 1i64)];
    let (mut score, mut weights) = (0i64, 0i64);
    for (req, cap, w) in resources {
        if cap == 0 {
            continue;
        }
        score += least_requested_score(req, cap) * w;
        weights += w;
    }
    if weights == 0 {
        0
    } else {
        score / weights
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Cases from upstream least_allocated_test.go ("nothing scheduled, resources
    /// requested, differently sized nodes"): cpu 3000m of 4000, memory 5000 of 10000
    /// → cpu score 25, memory 50 → (25+50)/2 = 37.
    #[test]
    fn least_allocated_matches_upstream_arithmetic() {
        assert_eq!(least_requested_score(3000, 4000), 25);
        assert_eq!(least_requested_score(5000, 10000), 50);
        assert_eq!(least_requested_score(0, 4000), 100);
        assert_eq!(least_requested_score(5000, 4000), 0);
        let node = NodeInfo { alloc_milli_cpu: 4000, alloc_memory: 10000, alloc_pods: 110, ..Default::default() };
        let pod = PodInfo::with_requests(3000, 5000);
        assert_eq!(score_least_allocated(&pod, &node), 37);
        // A 6000m / 10000 node: cpu (6000-3000)*100/6000 = 50, memory 50 → 50.
        let node2 = NodeInfo { alloc_milli_cpu: 6000, ..node.clone() };
        assert_eq!(score_least_allocated(&pod, &node2), 50);
    }

    #[test]
    fn filter_reports_every_short_resource() {
        let node = NodeInfo { alloc_milli_cpu: 1000, alloc_memory: 1000, alloc_pods: 1, pod_count: 1, requested_milli_cpu: 500, ..Default::default() };
        let pod = PodInfo::with_requests(600, 2000);
        let st = filter(&pod, &node).unwrap();
        assert_eq!(st.reasons, ["Too many pods", "Insufficient cpu", "Insufficient memory"]);
        let empty = PodInfo { non_zero_milli_cpu: 100, ..PodInfo::with_requests(0, 0) };
        let roomy = NodeInfo { alloc_pods: 10, ..node };
        assert_eq!(filter(&empty, &roomy), None);
    }
}
