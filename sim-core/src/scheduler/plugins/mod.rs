//! Scheduler plugins, one file per upstream plugin, each a pure function of
//! (pod info, node info). This first cut has the filters NodeUnschedulable, NodeName,
//! TaintToleration, NodeAffinity (nodeSelector and required terms) and
//! NodeResourcesFit, and the NodeResourcesFit LeastAllocated score.

pub mod node_affinity;
pub mod node_name;
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

/// The weighted sum of score plugins (default weight 1 for NodeResourcesFit).
pub fn run_scores(pod: &PodInfo, node: &NodeInfo) -> i64 {
    node_resources_fit::score_least_allocated(pod, node)
}
