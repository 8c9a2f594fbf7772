//! Scheduler plugins, one file per upstream plugin, each a pure function of
//! (pod info, node info). This first cut has the filters NodeUnschedulable, NodeName,
//! TaintToleration, NodeAffinity (nodeSelector and required terms) and
//! NodeResourcesFit, and the scores NodeResourcesFit (LeastAllocated, weight 1),
//! NodeResourcesBalancedAllocation (weight 1), TaintToleration (PreferNoSchedule,
//! weight 3) and NodeAffinity (preferred terms, weight 2), normalized and weighted as
//! the default profile does.

pub mod node_affinity;
pub mod node_name;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod taint_toleration;

use super::framework::{NodeInfo, PodInfo, Status};

/// Runs the filters in the default profile's order; the first failure decides
/// (RunFilterPlugins stops at the first non-success).
pub fn run_filters(pod: &PodInfo, node: &NodeInfo) -> Option<Status> {
    node_unschedulable::filter(pod, node)
        .or_else(|| node_name::filter(pod, node))
        .or_else(|| taint_toleration::filter(pod, node))
        .or_else(|| node_affinity::filter(pod, node))
        .or_else(|| node_resources_fit::filter(pod, node))
}

/// Default profile weights (pkg/scheduler/apis/config/v1/default_plugins.go).
pub const WEIGHT_NODE_RESOURCES_FIT: i64 = 1;
pub const WEIGHT_TAINT_TOLERATION: i64 = 3;
pub const WEIGHT_NODE_AFFINITY: i64 = 2;
pub const WEIGHT_BALANCED_ALLOCATION: i64 = 1;

/// helper.DefaultNormalizeScore: scale to 0..100 by the highest score (reversed for
/// "fewer is better" plugins); all-zero scores become 0, or 100 when reversed.
pub fn default_normalize_score(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    for s in scores.iter_mut() {
        let v = if max == 0 { 0 } else { super::framework::MAX_NODE_SCORE * *s / max };
        *s = if reverse { super::framework::MAX_NODE_SCORE - v } else { v };
    }
}

/// Each feasible node's total: every score plugin's normalized score times its weight.
pub fn run_scores(pod: &PodInfo, nodes: &[&NodeInfo]) -> Vec<i64> {
    let fit: Vec<i64> = nodes.iter().map(|n| node_resources_fit::score_least_allocated(pod, n)).collect();
    let mut taints: Vec<i64> = nodes.iter().map(|n| taint_toleration::score(pod, n)).collect();
    default_normalize_score(&mut taints, true);
    let mut affinity: Vec<i64> = nodes.iter().map(|n| node_affinity::score(pod, n)).collect();
    default_normalize_score(&mut affinity, false);
    let balanced: Vec<i64> = if node_resources_balanced_allocation::applies(pod) {
        nodes.iter().map(|n| node_resources_balanced_allocation::score(pod, n)).collect()
    } else {
        vec![0; nodes.len()]
    };
    (0..nodes.len())
        .map(|i| {
            fit[i] * WEIGHT_NODE_RESOURCES_FIT
                + taints[i] * WEIGHT_TAINT_TOLERATION
                + affinity[i] * WEIGHT_NODE_AFFINITY
                + balanced[i] * WEIGHT_BALANCED_ALLOCATION
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// helper/normalize_score_test.go TestDefaultNormalizeScore cases.
    #[test]
    fn normalizes_like_upstream() {
        let mut s = vec![10, 20, 30, 40, 50];
        default_normalize_score(&mut s, false);
        assert_eq!(s, [20, 40, 60, 80, 100]);
        let mut s = vec![10, 20, 30, 40, 50];
        default_normalize_score(&mut s, true);
        assert_eq!(s, [80, 60, 40, 20, 0]);
        let mut s = vec![0, 0, 0];
        default_normalize_score(&mut s, true);
        assert_eq!(s, [100, 100, 100]);
        let mut s = vec![1000, 10, 20, 30, 40, 50];
        default_normalize_score(&mut s, false);
        assert_eq!(s, [100, 1, 2, 3, 4, 5]);
    }
}
