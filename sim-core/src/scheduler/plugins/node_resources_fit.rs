//! NodeResourcesFit (plugins/noderesources/fit.go, least_allocated.go).
//! Filter: pod count first, then cpu and memory against allocatable, with the pod's
//! real requests (a pod requesting nothing always fits resource-wise). Score
//! (LeastAllocated, cpu and memory weight 1): per resource
//! `(capacity - requested) * 100 / capacity`, then the weighted integer average, where
//! requested uses the non-zero defaults (100m / 200Mi) for the node and the pod.

use crate::scheduler::framework::{default_scored_resources, NodeInfo, PodInfo, ResourceName, Status, MAX_NODE_SCORE};

pub const NAME: &str = "NodeResourcesFit";

/// NodeResourcesFitArgs.scoringStrategy.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Strategy {
    LeastAllocated,
    MostAllocated,
    /// Shape points (utilization 0..100, score 0..10), sorted by utilization.
    RequestedToCapacityRatio(Vec<(i64, i64)>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FitArgs {
    pub strategy: Strategy,
    /// Scored resources and their weights (default cpu 1, memory 1).
    pub resources: Vec<(ResourceName, i64)>,
    pub ignored_resources: Vec<String>,
    pub ignored_resource_groups: Vec<String>,
}

impl Default for FitArgs {
    fn default() -> Self {
        FitArgs {
            strategy: Strategy::LeastAllocated,
            resources: default_scored_resources(),
            ignored_resources: Vec::new(),
            ignored_resource_groups: Vec::new(),
        }
    }
}

impl FitArgs {
    fn ignored(&self, name: &str) -> bool {
        self.ignored_resources.iter().any(|r| r == name) || name.split_once('/').is_some_and(|(g, _)| self.ignored_resource_groups.iter().any(|x| x == g))
    }
}

pub fn filter(pod: &PodInfo, node: &NodeInfo, args: &FitArgs) -> Option<Status> {
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
    for (name, v) in &pod.scalar {
        if *v == 0 || args.ignored(name) {
            continue;
        }
        if *v > node.allocatable_scalar(name) - node.requested_scalar(name) {
            reasons.push(format!("Insufficient {name}"));
        }
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

/// mostRequestedScore: requests above capacity count as full.
pub fn most_requested_score(requested: i64, capacity: i64) -> i64 {
    if capacity == 0 {
        return 0;
    }
    requested.min(capacity) * MAX_NODE_SCORE / capacity
}

/// helper.BuildBrokenLinearFunction over shape points already scaled to 0..100.
pub fn broken_linear(shape: &[(i64, i64)], p: i64) -> i64 {
    for i in 0..shape.len() {
        if p <= shape[i].0 {
            if i == 0 {
                return shape[0].1;
            }
            let (u0, s0) = shape[i - 1];
            let (u1, s1) = shape[i];
            return s0 + (s1 - s0) * (p - u0) / (u1 - u0);
        }
    }
    shape.last().map_or(0, |x| x.1)
}

/// calculateResourceAllocatableRequest: a scalar (extended, hugepages, …) resource the
/// pod does not request is not scored at all (its weight does not count either); only
/// ephemeral-storage is scored whether requested or not.
pub fn scored_unrequested(name: &str) -> bool {
    name == "ephemeral-storage"
}

/// (requested with the pod, allocatable) of one scored resource; cpu and memory use the
/// non-zero defaults as upstream's scorer does; (0, 0) skips the resource.
fn resource(pod: &PodInfo, node: &NodeInfo, name: &ResourceName) -> (i64, i64) {
    match name {
        ResourceName::Cpu => (node.non_zero_milli_cpu + pod.non_zero_milli_cpu, node.alloc_milli_cpu),
        ResourceName::Memory => (node.non_zero_memory + pod.non_zero_memory, node.alloc_memory),
        ResourceName::Other(other) => {
            let want = pod.scalar.iter().find(|(n, _)| n == other).map_or(0, |(_, v)| *v);
            if want == 0 && !scored_unrequested(other) {
                return (0, 0);
            }
            (node.requested_scalar(other) + want, node.allocatable_scalar(other))
        }
    }
}

/// The Score of the configured strategy (resource_allocation.go score()): resources with
/// zero allocatable are skipped; the weighted average is integer division, except
/// RequestedToCapacityRatio which rounds.
pub fn score(pod: &PodInfo, node: &NodeInfo, args: &FitArgs) -> i64 {
    let (mut score, mut weights) = (0i64, 0i64);
    for (name, w) in &args.resources {
        let (req, cap) = resource(pod, node, name);
        if cap == 0 {
            continue;
        }
        let s = match &args.strategy {
            Strategy::LeastAllocated => least_requested_score(req, cap),
            Strategy::MostAllocated => most_requested_score(req, cap),
            Strategy::RequestedToCapacityRatio(shape) => {
                let util = if req > cap { 100 } else { req * 100 / cap };
                broken_linear(shape, util)
            }
        };
        score += s * w;
        weights += w;
    }
    if weights == 0 {
        return 0;
    }
    match args.strategy {
        Strategy::RequestedToCapacityRatio(_) => crate::engine::math::round_i64(score as f64 / weights as f64),
        Strategy::LeastAllocated | Strategy::MostAllocated => score / weights,
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
        assert_eq!(score(&pod, &node, &FitArgs::default()), 37);
        // A 6000m / 10000 node: cpu (6000-3000)*100/6000 = 50, memory 50 → 50.
        let node2 = NodeInfo { alloc_milli_cpu: 6000, ..node.clone() };
        assert_eq!(score(&pod, &node2, &FitArgs::default()), 50);
    }

    #[test]
    fn filter_reports_every_short_resource() {
        let node = NodeInfo { alloc_milli_cpu: 1000, alloc_memory: 1000, alloc_pods: 1, pod_count: 1, requested_milli_cpu: 500, ..Default::default() };
        let pod = PodInfo::with_requests(600, 2000);
        let st = filter(&pod, &node, &FitArgs::default()).unwrap();
        assert_eq!(st.reasons, ["Too many pods", "Insufficient cpu", "Insufficient memory"]);
        let empty = PodInfo { non_zero_milli_cpu: 100, ..PodInfo::with_requests(0, 0) };
        let roomy = NodeInfo { alloc_pods: 10, ..node };
        assert_eq!(filter(&empty, &roomy, &FitArgs::default()), None);
    }

    /// most_allocated_test.go "nothing scheduled, resources requested, differently sized
    /// nodes": cpu 3000/4000 → 75, memory 5000/10000 → 50 → 62; on 6000/10000: 50, 50 → 50.
    #[test]
    fn most_allocated_matches_upstream() {
        let args = FitArgs { strategy: Strategy::MostAllocated, ..FitArgs::default() };
        let node = NodeInfo { alloc_milli_cpu: 4000, alloc_memory: 10000, alloc_pods: 110, ..Default::default() };
        let pod = PodInfo::with_requests(3000, 5000);
        assert_eq!(score(&pod, &node, &args), 62);
        assert_eq!(score(&pod, &NodeInfo { alloc_milli_cpu: 6000, ..node }, &args), 50);
    }

    /// requested_to_capacity_ratio_test.go TestBrokenLinearFunction cases (shape
    /// {10,1},{90,9} scaled ×10 → {10,10},{90,90}) and "nothing scheduled, nothing
    /// requested" with shape {0,10},{100,0}: a pod without containers (st.MakePod()) requests
    /// nothing, not even the non-zero defaults → utilization 0 → 100.
    #[test]
    fn requested_to_capacity_ratio_matches_upstream() {
        let shape = [(10, 10), (90, 90)];
        assert_eq!(broken_linear(&shape, -10), 10);
        assert_eq!(broken_linear(&shape, 0), 10);
        assert_eq!(broken_linear(&shape, 9), 10);
        assert_eq!(broken_linear(&shape, 10), 10);
        assert_eq!(broken_linear(&shape, 15), 15);
        assert_eq!(broken_linear(&shape, 20), 20);
        assert_eq!(broken_linear(&shape, 89), 89);
        assert_eq!(broken_linear(&shape, 90), 90);
        assert_eq!(broken_linear(&shape, 91), 90);
        assert_eq!(broken_linear(&shape, 100), 90);
        let args = FitArgs { strategy: Strategy::RequestedToCapacityRatio(vec![(0, 100), (100, 0)]), ..FitArgs::default() };
        let node = NodeInfo { alloc_milli_cpu: 4000, alloc_memory: 10000, alloc_pods: 110, ..Default::default() };
        let no_containers = PodInfo::new(std::rc::Rc::new(crate::api::Object::Pod(Box::default())));
        assert_eq!(score(&no_containers, &node, &args), 100);
        // cpu 3000/4000 = 75 % → 25, memory 50 % → 50 → round(37.5) = 38.
        assert_eq!(score(&PodInfo::with_requests(3000, 5000), &node, &args), 38);
    }

    #[test]
    fn extended_resources_are_checked_unless_ignored() {
        let node =
            NodeInfo { alloc_milli_cpu: 4000, alloc_memory: 10000, alloc_pods: 110, alloc_scalar: vec![("example.com/gpu".into(), 1)], ..Default::default() };
        let mut pod = PodInfo::with_requests(100, 100);
        pod.scalar = vec![("example.com/gpu".into(), 2)];
        assert_eq!(filter(&pod, &node, &FitArgs::default()).unwrap().reasons, ["Insufficient example.com/gpu"]);
        let ignoring = FitArgs { ignored_resource_groups: vec!["example.com".into()], ..FitArgs::default() };
        assert_eq!(filter(&pod, &node, &ignoring), None);
    }
}
