//! Scheduler plugins, one file per upstream plugin, each a pure function of (cycle
//! state, pod info, node info), and the framework runner that calls them at their
//! extension points in a profile's order: PreFilter, Filter, PreScore, Score,
//! NormalizeScore (× weight). PostFilter (DefaultPreemption), Reserve and PreBind
//! (VolumeBinding's volume bindings) and Bind (DefaultBinder) are run by the scheduler
//! itself; so are the volume plugins' PreFilters, which read the scheduler's claim,
//! volume and class informers (their results are in the CycleState).

pub mod default_preemption;
pub mod image_locality;
pub mod inter_pod_affinity;
pub mod node_affinity;
pub mod node_name;
pub mod node_ports;
pub mod node_resources_balanced_allocation;
pub mod node_resources_fit;
pub mod node_unschedulable;
pub mod node_volume_limits;
pub mod pod_topology_spread;
pub mod taint_toleration;
#[cfg(test)]
mod upstream;
pub mod volume_binding;
pub mod volume_restrictions;
pub mod volume_zone;

use super::framework::{NodeInfo, PodInfo, Snapshot, Status};
use super::profile::{PluginId, Profile};
use crate::api::meta::LabelSelector;

/// What PreFilter and PreScore computed for one pod (framework.CycleState).
#[derive(Clone, Default)]
pub struct CycleState {
    pub spread: Option<pod_topology_spread::PreFilterState>,
    pub spread_score: Option<pod_topology_spread::PreScoreState>,
    pub affinity: Option<inter_pod_affinity::PreFilterState>,
    pub affinity_score: Option<inter_pod_affinity::PreScoreState>,
    /// The selector of the pod's Services and ReplicaSets (DefaultSelector), for the
    /// default spread constraints.
    pub default_selector: Option<std::rc::Rc<LabelSelector>>,
    /// The profile's filters minus those whose PreFilter returned Skip for this pod.
    pub filters: Vec<PluginId>,
    /// VolumeBinding's PreFilter result (None: no claims, Skip).
    pub volumes: Option<std::rc::Rc<volume_binding::PreFilterState>>,
    /// VolumeRestrictions' ReadWriteOncePod claims of the pod (namespace/name) and the
    /// count of their uses by scheduled pods (preemption's removals lower it).
    pub rwop_claims: Vec<String>,
    pub rwop_conflicts: usize,
    /// NodeVolumeLimits' volumes and limits (None: no CSI volumes or no limits, Skip).
    pub volume_limits: Option<std::rc::Rc<node_volume_limits::PreFilterState>>,
    /// VolumeZone's constraints from the bound volumes (None: Skip).
    pub volume_zone: Option<Vec<(&'static str, Vec<String>)>>,
}

/// RunPreFilterPlugins, in the profile's filter order. A plugin with nothing to check for
/// this pod returns Skip and its Filter is not run (NodeAffinity without selector or
/// required terms, NodePorts without host ports, PodTopologySpread without constraints,
/// InterPodAffinity without terms on either side), as upstream does. Every plugin is
/// named in each dispatch: a new PluginId does not compile until each extension point
/// decides what it does with it.
pub fn run_pre_filter(profile: &Profile, state: &mut CycleState, pod: &PodInfo, snap: &Snapshot) {
    let spec = &pod.pod().spec;
    let mut filters = Vec::with_capacity(profile.filters.len());
    for &p in &profile.filters {
        let runs = match p {
            PluginId::PodTopologySpread => {
                let (cs, _) = pod_topology_spread::constraints(pod, true, &profile.spread_defaults, state.default_selector.as_ref());
                state.spread = pod_topology_spread::pre_filter(pod, snap, cs);
                state.spread.is_some()
            }
            PluginId::InterPodAffinity => {
                state.affinity = inter_pod_affinity::pre_filter(pod, snap);
                state.affinity.is_some()
            }
            PluginId::NodeAffinity => {
                !spec.node_selector.is_empty() || spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()).is_some_and(|na| na.required.is_some())
            }
            PluginId::NodePorts => !pod.host_ports().is_empty(),
            // No PreFilter, or one that never skips (NodeResourcesFit's requests are in PodInfo).
            PluginId::NodeUnschedulable | PluginId::NodeName | PluginId::TaintToleration | PluginId::NodeResourcesFit => true,
            // Computed by the scheduler before this runs (see CycleState).
            PluginId::VolumeRestrictions => !state.rwop_claims.is_empty(),
            PluginId::VolumeBinding => state.volumes.is_some(),
            PluginId::VolumeZone => state.volume_zone.is_some(),
            PluginId::NodeVolumeLimits => state.volume_limits.is_some(),
            // No resource claims in ksim: nothing to filter.
            PluginId::DynamicResources => false,
            // Not filter plugins (Profile::filters holds none of them).
            PluginId::SchedulingGates
            | PluginId::PrioritySort
            | PluginId::DefaultPreemption
            | PluginId::NodeResourcesBalancedAllocation
            | PluginId::ImageLocality
            | PluginId::DefaultBinder => false,
        };
        if runs {
            filters.push(p);
        }
    }
    state.filters = filters;
}

/// Runs the filters in the profile's order; the first failure decides
/// (RunFilterPlugins stops at the first non-success).
pub fn run_filters(profile: &Profile, state: &CycleState, pod: &PodInfo, node: &NodeInfo, snap: &Snapshot) -> Option<Status> {
    for p in &state.filters {
        let st = match p {
            PluginId::NodeUnschedulable => node_unschedulable::filter(pod, node),
            PluginId::NodeName => node_name::filter(pod, node),
            PluginId::TaintToleration => taint_toleration::filter(pod, node),
            PluginId::NodeAffinity => node_affinity::filter(pod, node),
            PluginId::NodePorts => node_ports::filter(pod, node),
            PluginId::NodeResourcesFit => node_resources_fit::filter(pod, node, &profile.fit),
            PluginId::PodTopologySpread => state.spread.as_ref().and_then(|s| pod_topology_spread::filter(s, pod, node)),
            PluginId::InterPodAffinity => state.affinity.as_ref().and_then(|s| inter_pod_affinity::filter(s, pod, node, snap)),
            PluginId::VolumeRestrictions => volume_restrictions::filter(state.rwop_conflicts),
            PluginId::VolumeBinding => state.volumes.as_ref().and_then(|s| volume_binding::filter(s, node)),
            PluginId::VolumeZone => state.volume_zone.as_ref().and_then(|z| volume_zone::filter(z, node)),
            PluginId::NodeVolumeLimits => state.volume_limits.as_ref().and_then(|s| node_volume_limits::filter(s, node)),
            // Dropped by run_pre_filter (nothing to filter in ksim, or not a filter).
            PluginId::DynamicResources
            | PluginId::SchedulingGates
            | PluginId::PrioritySort
            | PluginId::DefaultPreemption
            | PluginId::NodeResourcesBalancedAllocation
            | PluginId::ImageLocality
            | PluginId::DefaultBinder => None,
        };
        if st.is_some() {
            return st;
        }
    }
    None
}

/// One score plugin's results over the feasible nodes.
#[derive(Clone, Debug)]
pub struct PluginScores {
    pub plugin: &'static str,
    pub weight: i64,
    pub raw: Vec<i64>,
    pub normalized: Vec<i64>,
}

/// RunPreScorePlugins, in the profile's score order.
pub fn run_pre_score(profile: &Profile, state: &mut CycleState, pod: &PodInfo, snap: &Snapshot, feasible: &[usize]) {
    for &(p, _) in &profile.scores {
        match p {
            PluginId::PodTopologySpread => {
                let (cs, own) = pod_topology_spread::constraints(pod, false, &profile.spread_defaults, state.default_selector.as_ref());
                let require_all = own || !profile.spread_system_defaulted;
                state.spread_score = pod_topology_spread::pre_score(pod, snap, feasible, cs, require_all);
            }
            PluginId::InterPodAffinity => state.affinity_score = inter_pod_affinity::pre_score(pod, snap, profile.hard_pod_affinity_weight),
            // Their PreScore is decided in run_scores (Skip tests) or kept in PodInfo.
            PluginId::TaintToleration
            | PluginId::NodeAffinity
            | PluginId::NodeResourcesFit
            | PluginId::NodeResourcesBalancedAllocation
            | PluginId::ImageLocality => {}
            // Not score plugins (Profile::scores holds none of them).
            PluginId::SchedulingGates
            | PluginId::PrioritySort
            | PluginId::NodeUnschedulable
            | PluginId::NodeName
            | PluginId::NodePorts
            | PluginId::VolumeRestrictions
            | PluginId::NodeVolumeLimits
            | PluginId::VolumeBinding
            | PluginId::VolumeZone
            | PluginId::DefaultPreemption
            | PluginId::DefaultBinder
            | PluginId::DynamicResources => {}
        }
    }
}

/// What a score plugin produced over the feasible nodes.
enum Produced {
    /// The same (raw, normalized) on every node — a plugin skipped at PreScore, or one
    /// with nothing to tell the nodes apart.
    Constant(i64, i64),
    /// Per node, in `buf` (raw) and normalized in place in `norm`.
    PerNode,
}

/// Score and NormalizeScore for every score plugin of the profile, then the weighted
/// totals (RunScorePlugins). A plugin skipped at PreScore scores 0 everywhere. With
/// `detail`, each plugin's raw and normalized scores are kept (for `ksim explain`);
/// without, plugins that score every node alike cost nothing per node.
pub fn run_scores(profile: &Profile, state: &CycleState, pod: &PodInfo, snap: &Snapshot, feasible: &[usize], detail: bool) -> (Vec<PluginScores>, Vec<i64>) {
    let n = feasible.len();
    // Fit and BalancedAllocation through the per-node memo (see NodeMemos): the key is
    // the pod's requests and the profile.
    let memo = pod.scalar.is_empty() && !snap.memos.disabled;
    let key = (pod.milli_cpu, pod.memory, pod.non_zero_milli_cpu, pod.non_zero_memory, profile as *const Profile as usize);
    let applies = node_resources_balanced_allocation::applies(pod, &profile.balanced_resources);
    let resource_scores = |ni: usize| -> (i64, i64) {
        if memo {
            if let Some(r) = snap.memos.scores(ni, key) {
                return r;
            }
        }
        let nd = &snap.nodes[ni];
        let fit = node_resources_fit::score(pod, nd, &profile.fit);
        let balanced = if applies { node_resources_balanced_allocation::score(pod, nd, &profile.balanced_resources) } else { 0 };
        if memo {
            snap.memos.set_scores(ni, crate::scheduler::framework::ResourceScores { key, fit, balanced });
        }
        (fit, balanced)
    };
    // Each node's two resource scores, looked up (or computed) once for both plugins.
    let wants_resources = profile.scores.iter().any(|&(p, _)| match p {
        PluginId::NodeResourcesFit => true,
        PluginId::NodeResourcesBalancedAllocation => applies,
        _ => false,
    });
    let resources: Vec<(i64, i64)> = if wants_resources { feasible.iter().map(|&ni| resource_scores(ni)).collect() } else { Vec::new() };
    let mut out = Vec::new();
    let mut totals = vec![0i64; n];
    let mut offset = 0i64;
    let mut buf = vec![0i64; n];
    let mut norm = vec![0i64; n];
    let fill = |buf: &mut Vec<i64>, f: &dyn Fn(&NodeInfo) -> i64| {
        for (b, &ni) in buf.iter_mut().zip(feasible) {
            *b = f(&snap.nodes[ni]);
        }
    };
    for &(p, weight) in &profile.scores {
        let produced = match p {
            PluginId::NodeResourcesFit => {
                for (b, r) in buf.iter_mut().zip(&resources) {
                    *b = r.0;
                }
                norm.copy_from_slice(&buf);
                Produced::PerNode
            }
            PluginId::NodeResourcesBalancedAllocation => {
                if applies {
                    for (b, r) in buf.iter_mut().zip(&resources) {
                        *b = r.1;
                    }
                    norm.copy_from_slice(&buf);
                    Produced::PerNode
                } else {
                    Produced::Constant(0, 0)
                }
            }
            PluginId::TaintToleration => {
                if !snap.any_prefer_no_schedule {
                    // No taint anywhere: raw 0 everywhere, reversed normalization → 100.
                    Produced::Constant(0, crate::scheduler::framework::MAX_NODE_SCORE)
                } else {
                    fill(&mut buf, &|nd| taint_toleration::score(pod, nd));
                    norm.copy_from_slice(&buf);
                    default_normalize_score(&mut norm, true);
                    Produced::PerNode
                }
            }
            PluginId::NodeAffinity => {
                // PreScore returns Skip without preferred terms: every node scores 0.
                let preferred = pod.pod().spec.affinity.as_ref().and_then(|a| a.node_affinity.as_ref()).is_some_and(|na| !na.preferred.is_empty());
                if preferred {
                    fill(&mut buf, &|nd| node_affinity::score(pod, nd));
                    norm.copy_from_slice(&buf);
                    default_normalize_score(&mut norm, false);
                    Produced::PerNode
                } else {
                    Produced::Constant(0, 0)
                }
            }
            PluginId::ImageLocality => {
                let images = image_locality::pod_images(pod);
                if snap.image_nodes.is_empty() {
                    let c = image_locality::calculate_priority(0, images.len() as i64);
                    Produced::Constant(c, c)
                } else {
                    let images = image_locality::with_spread(images, snap);
                    fill(&mut buf, &|nd| image_locality::score(&images, nd));
                    norm.copy_from_slice(&buf);
                    Produced::PerNode
                }
            }
            PluginId::PodTopologySpread => match &state.spread_score {
                Some(st) => {
                    pod_topology_spread::score_all(st, feasible, snap, &mut buf);
                    norm.copy_from_slice(&buf);
                    pod_topology_spread::normalize(st, feasible, &mut norm);
                    Produced::PerNode
                }
                None => Produced::Constant(0, 0),
            },
            PluginId::InterPodAffinity => match &state.affinity_score {
                Some(st) => {
                    fill(&mut buf, &|nd| inter_pod_affinity::score(st, nd));
                    norm.copy_from_slice(&buf);
                    inter_pod_affinity::normalize(&mut norm);
                    Produced::PerNode
                }
                None => Produced::Constant(0, 0),
            },
            // Not score plugins (Profile::scores holds none of them).
            PluginId::SchedulingGates
            | PluginId::PrioritySort
            | PluginId::NodeUnschedulable
            | PluginId::NodeName
            | PluginId::NodePorts
            | PluginId::VolumeRestrictions
            | PluginId::NodeVolumeLimits
            | PluginId::VolumeBinding
            | PluginId::VolumeZone
            | PluginId::DefaultPreemption
            | PluginId::DefaultBinder
            | PluginId::DynamicResources => continue,
        };
        match produced {
            Produced::Constant(raw, normalized) => {
                offset += normalized * weight;
                if detail {
                    out.push(PluginScores { plugin: p.name(), weight, raw: vec![raw; n], normalized: vec![normalized; n] });
                }
            }
            Produced::PerNode => {
                for (t, v) in totals.iter_mut().zip(&norm) {
                    *t += v * weight;
                }
                if detail {
                    out.push(PluginScores { plugin: p.name(), weight, raw: buf.clone(), normalized: norm.clone() });
                }
            }
        }
    }
    if offset != 0 {
        totals.iter_mut().for_each(|t| *t += offset);
    }
    (out, totals)
}

/// helper.DefaultNormalizeScore: scale to 0..100 by the highest score (reversed for
/// "fewer is better" plugins); all-zero scores become 0, or 100 when reversed.
pub fn default_normalize_score(scores: &mut [i64], reverse: bool) {
    let max = scores.iter().copied().max().unwrap_or(0);
    for s in scores.iter_mut() {
        let v = if max == 0 { 0 } else { super::framework::MAX_NODE_SCORE * *s / max };
        *s = if reverse { super::framework::MAX_NODE_SCORE - v } else { v };
    }
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
