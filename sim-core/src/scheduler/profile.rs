//! Scheduling profiles: the default profile of kube-scheduler
//! (pkg/scheduler/apis/config/v1/default_plugins.go) and the KubeSchedulerConfiguration
//! (kubescheduler.config.k8s.io/v1) document that can change it — plugins enabled and
//! disabled per extension point or through multiPoint, score weights, plugin args
//! (NodeResourcesFit scoring strategy, PodTopologySpread default constraints,
//! InterPodAffinity hardPodAffinityWeight, BalancedAllocation resources),
//! percentageOfNodesToScore and the pod backoff, and several profiles selected by
//! `spec.schedulerName`.

use super::plugins::node_resources_fit::{FitArgs, Strategy};
use super::plugins::pod_topology_spread;
use crate::api::affinity::TopologySpreadConstraint;
use serde::{Deserialize, Serialize};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PluginId {
    SchedulingGates,
    PrioritySort,
    NodeUnschedulable,
    NodeName,
    TaintToleration,
    NodeAffinity,
    NodePorts,
    NodeResourcesFit,
    VolumeRestrictions,
    NodeVolumeLimits,
    VolumeBinding,
    VolumeZone,
    PodTopologySpread,
    InterPodAffinity,
    DefaultPreemption,
    NodeResourcesBalancedAllocation,
    ImageLocality,
    DefaultBinder,
    DynamicResources,
}

use PluginId::*;

/// The default multiPoint set, in order, with the default score weights.
pub const DEFAULT_PLUGINS: &[(PluginId, i64)] = &[
    (SchedulingGates, 0),
    (PrioritySort, 0),
    (NodeUnschedulable, 0),
    (NodeName, 0),
    (TaintToleration, 3),
    (NodeAffinity, 2),
    (NodePorts, 0),
    (NodeResourcesFit, 1),
    (VolumeRestrictions, 0),
    (NodeVolumeLimits, 0),
    (VolumeBinding, 0),
    (VolumeZone, 0),
    (PodTopologySpread, 2),
    (InterPodAffinity, 2),
    (DefaultPreemption, 0),
    (NodeResourcesBalancedAllocation, 1),
    (ImageLocality, 1),
    (DefaultBinder, 0),
];

/// Every plugin and its upstream name, in declaration order (`NAMES[p as usize].0 == p`).
const NAMES: [(PluginId, &str); 19] = [
    (SchedulingGates, "SchedulingGates"),
    (PrioritySort, "PrioritySort"),
    (NodeUnschedulable, "NodeUnschedulable"),
    (NodeName, "NodeName"),
    (TaintToleration, "TaintToleration"),
    (NodeAffinity, "NodeAffinity"),
    (NodePorts, "NodePorts"),
    (NodeResourcesFit, "NodeResourcesFit"),
    (VolumeRestrictions, "VolumeRestrictions"),
    (NodeVolumeLimits, "NodeVolumeLimits"),
    (VolumeBinding, "VolumeBinding"),
    (VolumeZone, "VolumeZone"),
    (PodTopologySpread, "PodTopologySpread"),
    (InterPodAffinity, "InterPodAffinity"),
    (DefaultPreemption, "DefaultPreemption"),
    (NodeResourcesBalancedAllocation, "NodeResourcesBalancedAllocation"),
    (ImageLocality, "ImageLocality"),
    (DefaultBinder, "DefaultBinder"),
    (DynamicResources, "DynamicResources"),
];

impl PluginId {
    pub fn name(self) -> &'static str {
        NAMES[self as usize].1
    }
    pub fn from_name(n: &str) -> Option<PluginId> {
        NAMES.iter().find(|(_, name)| *name == n).map(|(p, _)| *p)
    }
    /// Whether the plugin filters in ksim (DynamicResources is accepted in a
    /// configuration and does nothing: no resource claims are modelled).
    pub fn is_filter(self) -> bool {
        match self {
            NodeUnschedulable | NodeName | TaintToleration | NodeAffinity | NodePorts | NodeResourcesFit | VolumeRestrictions | NodeVolumeLimits
            | VolumeBinding | VolumeZone | PodTopologySpread | InterPodAffinity => true,
            SchedulingGates | PrioritySort | DefaultPreemption | NodeResourcesBalancedAllocation | ImageLocality | DefaultBinder | DynamicResources => false,
        }
    }
    pub fn is_score(self) -> bool {
        match self {
            TaintToleration | NodeAffinity | NodeResourcesFit | PodTopologySpread | InterPodAffinity | NodeResourcesBalancedAllocation | ImageLocality => true,
            SchedulingGates | PrioritySort | NodeUnschedulable | NodeName | NodePorts | VolumeRestrictions | NodeVolumeLimits | VolumeBinding | VolumeZone
            | DefaultPreemption | DefaultBinder | DynamicResources => false,
        }
    }
}

/// One resolved profile.
#[derive(Clone, Debug)]
pub struct Profile {
    pub scheduler_name: String,
    pub filters: Vec<PluginId>,
    pub scores: Vec<(PluginId, i64)>,
    pub preemption: bool,
    pub fit: FitArgs,
    pub balanced_resources: Vec<(super::framework::ResourceName, i64)>,
    pub spread_defaults: Vec<TopologySpreadConstraint>,
    /// defaultingType System (the built-in defaults) vs List.
    pub spread_system_defaulted: bool,
    pub hard_pod_affinity_weight: i64,
    /// Overrides the global percentageOfNodesToScore when set.
    pub percentage_of_nodes_to_score: Option<i64>,
}

impl Profile {
    pub fn has_filter(&self, p: PluginId) -> bool {
        self.filters.contains(&p)
    }
    pub fn has_score(&self, p: PluginId) -> bool {
        self.scores.iter().any(|(x, _)| *x == p)
    }
}

impl Default for Profile {
    fn default() -> Self {
        Profile {
            scheduler_name: super::SCHEDULER_NAME.into(),
            filters: DEFAULT_PLUGINS.iter().map(|p| p.0).filter(|p| p.is_filter()).collect(),
            scores: DEFAULT_PLUGINS.iter().copied().filter(|p| p.0.is_score()).collect(),
            preemption: true,
            fit: FitArgs::default(),
            balanced_resources: super::framework::default_scored_resources(),
            spread_defaults: pod_topology_spread::system_defaults(),
            spread_system_defaulted: true,
            hard_pod_affinity_weight: 1,
            percentage_of_nodes_to_score: None,
        }
    }
}

/// The resolved configuration.
#[derive(Clone, Debug)]
pub struct SchedulerConfig {
    pub profiles: Vec<Rc<Profile>>,
    /// 0 = adaptive.
    pub percentage_of_nodes_to_score: i64,
    pub pod_initial_backoff_seconds: i64,
    pub pod_max_backoff_seconds: i64,
}

impl Default for SchedulerConfig {
    fn default() -> Self {
        SchedulerConfig {
            profiles: vec![Rc::new(Profile::default())],
            percentage_of_nodes_to_score: 0,
            pod_initial_backoff_seconds: 1,
            pod_max_backoff_seconds: 10,
        }
    }
}

// ---- The KubeSchedulerConfiguration document (v1), strictly decoded. ----

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KubeSchedulerConfiguration {
    pub api_version: String,
    pub kind: String,
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<i64>,
    #[serde(default)]
    pub pod_initial_backoff_seconds: Option<i64>,
    #[serde(default)]
    pub pod_max_backoff_seconds: Option<i64>,
    #[serde(default)]
    pub profiles: Vec<ProfileConfig>,
    // Accepted for compatibility; nothing in a simulation depends on them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parallelism: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leader_election: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_connection: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_profiling: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_contention_profiling: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extenders: Option<serde_json::Value>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delay_cache_until_active: Option<serde_json::Value>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProfileConfig {
    #[serde(default)]
    pub scheduler_name: Option<String>,
    #[serde(default)]
    pub percentage_of_nodes_to_score: Option<i64>,
    #[serde(default)]
    pub plugins: Option<Plugins>,
    #[serde(default)]
    pub plugin_config: Vec<PluginConfig>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plugins {
    #[serde(default)]
    pub multi_point: Option<PluginSet>,
    #[serde(default)]
    pub pre_enqueue: Option<PluginSet>,
    #[serde(default)]
    pub queue_sort: Option<PluginSet>,
    #[serde(default)]
    pub pre_filter: Option<PluginSet>,
    #[serde(default)]
    pub filter: Option<PluginSet>,
    #[serde(default)]
    pub post_filter: Option<PluginSet>,
    #[serde(default)]
    pub pre_score: Option<PluginSet>,
    #[serde(default)]
    pub score: Option<PluginSet>,
    #[serde(default)]
    pub reserve: Option<PluginSet>,
    #[serde(default)]
    pub permit: Option<PluginSet>,
    #[serde(default)]
    pub pre_bind: Option<PluginSet>,
    #[serde(default)]
    pub bind: Option<PluginSet>,
    #[serde(default)]
    pub post_bind: Option<PluginSet>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginSet {
    #[serde(default)]
    pub enabled: Vec<PluginRef>,
    #[serde(default)]
    pub disabled: Vec<PluginRef>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginRef {
    pub name: String,
    #[serde(default)]
    pub weight: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PluginConfig {
    pub name: String,
    #[serde(default)]
    pub args: serde_json::Value,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FitArgsConfig {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    ignored_resources: Vec<String>,
    #[serde(default)]
    ignored_resource_groups: Vec<String>,
    #[serde(default)]
    scoring_strategy: Option<ScoringStrategyConfig>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScoringStrategyConfig {
    #[serde(default, rename = "type")]
    type_: Option<String>,
    #[serde(default)]
    resources: Vec<ResourceSpec>,
    #[serde(default)]
    requested_to_capacity_ratio: Option<RtcrConfig>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ResourceSpec {
    name: String,
    #[serde(default)]
    weight: Option<i64>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct RtcrConfig {
    #[serde(default)]
    shape: Vec<ShapePoint>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ShapePoint {
    utilization: i64,
    score: i64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SpreadArgsConfig {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    default_constraints: Vec<TopologySpreadConstraint>,
    #[serde(default)]
    defaulting_type: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AffinityArgsConfig {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    hard_pod_affinity_weight: Option<i64>,
    #[serde(default)]
    ignore_preferred_terms_of_existing_pods: Option<bool>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct BalancedArgsConfig {
    #[serde(default)]
    api_version: Option<String>,
    #[serde(default)]
    kind: Option<String>,
    #[serde(default)]
    resources: Vec<ResourceSpec>,
}

/// A configuration error: the field path (under the document) and the message.
pub type ConfigError = (String, String);

/// mergePluginSet: `disabled` ("*" = all) removes defaults; `enabled` replaces a
/// default in place (with its weight) or is appended.
fn merge(defaults: Vec<(PluginId, i64)>, set: Option<&PluginSet>, path: &str, errs: &mut Vec<ConfigError>) -> Vec<(PluginId, i64)> {
    let Some(set) = set else { return defaults };
    let all_off = set.disabled.iter().any(|d| d.name == "*");
    let mut out: Vec<(PluginId, i64)> =
        if all_off { Vec::new() } else { defaults.into_iter().filter(|(p, _)| !set.disabled.iter().any(|d| d.name == p.name())).collect() };
    for (i, d) in set.disabled.iter().enumerate() {
        if d.name != "*" && PluginId::from_name(&d.name).is_none() {
            errs.push((format!("{path}.disabled[{i}].name"), format!("Invalid value: {:?}: plugin {:?} does not exist", d.name, d.name)));
        }
    }
    for (i, e) in set.enabled.iter().enumerate() {
        let Some(p) = PluginId::from_name(&e.name) else {
            errs.push((format!("{path}.enabled[{i}].name"), format!("Invalid value: {:?}: plugin {:?} does not exist", e.name, e.name)));
            continue;
        };
        if let Some(w) = e.weight {
            if !(0..=100).contains(&w) {
                errs.push((format!("{path}.enabled[{i}].weight"), format!("Invalid value: {w}: must be in the range [0, 100]")));
            }
        }
        match out.iter_mut().find(|(x, _)| *x == p) {
            Some(slot) => slot.1 = e.weight.unwrap_or(slot.1),
            None => out.push((p, e.weight.unwrap_or(0))),
        }
    }
    out
}

fn resources(rs: &[ResourceSpec]) -> Vec<(super::framework::ResourceName, i64)> {
    rs.iter().map(|r| (r.name.as_str().into(), r.weight.filter(|&w| w > 0).unwrap_or(1))).collect()
}

fn args<T: for<'de> Deserialize<'de> + Default>(c: &PluginConfig, path: &str, errs: &mut Vec<ConfigError>) -> T {
    if c.args.is_null() {
        return T::default();
    }
    match serde_json::from_value(c.args.clone()) {
        Ok(a) => a,
        Err(e) => {
            errs.push((format!("{path}.args"), format!("strict decoding error: {e}")));
            T::default()
        }
    }
}

impl KubeSchedulerConfiguration {
    /// Resolves the profiles as the scheduler does at startup (defaults, merges, args,
    /// validation in the scheduler's own words).
    pub fn resolve(&self) -> Result<SchedulerConfig, Vec<ConfigError>> {
        let mut errs = Vec::new();
        let mut cfg = SchedulerConfig::default();
        if let Some(p) = self.percentage_of_nodes_to_score {
            if !(0..=100).contains(&p) {
                errs.push(("percentageOfNodesToScore".into(), format!("Invalid value: {p}: not in valid range [0-100]")));
            }
            cfg.percentage_of_nodes_to_score = p;
        }
        if let Some(b) = self.pod_initial_backoff_seconds {
            if b <= 0 {
                errs.push(("podInitialBackoffSeconds".into(), format!("Invalid value: {b}: must be greater than 0")));
            }
            cfg.pod_initial_backoff_seconds = b;
        }
        if let Some(b) = self.pod_max_backoff_seconds {
            if b < cfg.pod_initial_backoff_seconds {
                errs.push(("podMaxBackoffSeconds".into(), format!("Invalid value: {b}: must be greater than or equal to PodInitialBackoffSeconds")));
            }
            cfg.pod_max_backoff_seconds = b;
        }
        if !self.profiles.is_empty() {
            cfg.profiles.clear();
        }
        for (pi, pc) in self.profiles.iter().enumerate() {
            let base = format!("profiles[{pi}]");
            let mut prof = Profile { scheduler_name: pc.scheduler_name.clone().unwrap_or_else(|| super::SCHEDULER_NAME.into()), ..Profile::default() };
            if cfg.profiles.iter().any(|p| p.scheduler_name == prof.scheduler_name) {
                errs.push((format!("{base}.schedulerName"), format!("Duplicate value: {:?}", prof.scheduler_name)));
            }
            if let Some(p) = pc.percentage_of_nodes_to_score {
                if !(0..=100).contains(&p) {
                    errs.push((format!("{base}.percentageOfNodesToScore"), format!("Invalid value: {p}: not in valid range [0-100]")));
                }
                prof.percentage_of_nodes_to_score = Some(p);
            }
            let plugins = pc.plugins.clone().unwrap_or_default();
            let multi = merge(DEFAULT_PLUGINS.to_vec(), plugins.multi_point.as_ref(), &format!("{base}.plugins.multiPoint"), &mut errs);
            let filters =
                merge(multi.iter().copied().filter(|p| p.0.is_filter()).collect(), plugins.filter.as_ref(), &format!("{base}.plugins.filter"), &mut errs);
            prof.filters = filters.into_iter().map(|p| p.0).filter(|p| p.is_filter()).collect();
            let scores = merge(multi.iter().copied().filter(|p| p.0.is_score()).collect(), plugins.score.as_ref(), &format!("{base}.plugins.score"), &mut errs);
            prof.scores = scores.into_iter().filter(|p| p.0.is_score()).map(|(p, w)| (p, if w == 0 { 1 } else { w })).collect();
            let post = merge(
                multi.iter().copied().filter(|p| p.0 == DefaultPreemption).collect(),
                plugins.post_filter.as_ref(),
                &format!("{base}.plugins.postFilter"),
                &mut errs,
            );
            prof.preemption = post.iter().any(|p| p.0 == DefaultPreemption);
            for (ci, c) in pc.plugin_config.iter().enumerate() {
                let path = format!("{base}.pluginConfig[{ci}]");
                match c.name.as_str() {
                    "NodeResourcesFit" => {
                        let a: FitArgsConfig = args(c, &path, &mut errs);
                        prof.fit.ignored_resources = a.ignored_resources;
                        prof.fit.ignored_resource_groups = a.ignored_resource_groups;
                        if let Some(s) = a.scoring_strategy {
                            if !s.resources.is_empty() {
                                prof.fit.resources = resources(&s.resources);
                            }
                            prof.fit.strategy = match s.type_.as_deref().unwrap_or("LeastAllocated") {
                                "LeastAllocated" => Strategy::LeastAllocated,
                                "MostAllocated" => Strategy::MostAllocated,
                                "RequestedToCapacityRatio" => {
                                    let shape: Vec<(i64, i64)> = s
                                        .requested_to_capacity_ratio
                                        .map(|r| r.shape.iter().map(|p| (p.utilization, p.score * 10)).collect())
                                        .unwrap_or_default();
                                    if shape.is_empty() {
                                        errs.push((
                                            format!("{path}.args.scoringStrategy.requestedToCapacityRatio.shape"),
                                            "Required value: at least one point must be specified".into(),
                                        ));
                                    }
                                    if shape.windows(2).any(|w| w[0].0 >= w[1].0) {
                                        errs.push((
                                            format!("{path}.args.scoringStrategy.requestedToCapacityRatio.shape"),
                                            "Invalid value: utilization values must be sorted in increasing order".into(),
                                        ));
                                    }
                                    Strategy::RequestedToCapacityRatio(shape)
                                }
                                other => {
                                    errs.push((
                                        format!("{path}.args.scoringStrategy.type"),
                                        format!("Unsupported value: {other:?}: supported values: \"LeastAllocated\", \"MostAllocated\", \"RequestedToCapacityRatio\""),
                                    ));
                                    Strategy::LeastAllocated
                                }
                            };
                        }
                    }
                    "PodTopologySpread" => {
                        let a: SpreadArgsConfig = args(c, &path, &mut errs);
                        match a.defaulting_type.as_deref().unwrap_or("System") {
                            "System" => {
                                if !a.default_constraints.is_empty() {
                                    errs.push((
                                        format!("{path}.args.defaultConstraints"),
                                        "Invalid value: when .defaultingType is \"System\", .defaultConstraints must be empty".into(),
                                    ));
                                }
                            }
                            "List" => {
                                prof.spread_defaults = a.default_constraints;
                                prof.spread_system_defaulted = false;
                            }
                            other => errs
                                .push((format!("{path}.args.defaultingType"), format!("Unsupported value: {other:?}: supported values: \"List\", \"System\""))),
                        }
                    }
                    "InterPodAffinity" => {
                        let a: AffinityArgsConfig = args(c, &path, &mut errs);
                        if let Some(w) = a.hard_pod_affinity_weight {
                            if !(0..=100).contains(&w) {
                                errs.push((format!("{path}.args.hardPodAffinityWeight"), format!("Invalid value: {w}: not in valid range [0-100]")));
                            }
                            prof.hard_pod_affinity_weight = w;
                        }
                    }
                    "NodeResourcesBalancedAllocation" => {
                        let a: BalancedArgsConfig = args(c, &path, &mut errs);
                        if !a.resources.is_empty() {
                            prof.balanced_resources = resources(&a.resources);
                        }
                    }
                    other if PluginId::from_name(other).is_some() => {}
                    other => errs.push((format!("{path}.name"), format!("Invalid value: {other:?}: plugin {other:?} does not exist"))),
                }
            }
            cfg.profiles.push(Rc::new(prof));
        }
        if errs.is_empty() {
            Ok(cfg)
        } else {
            Err(errs)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plugin_names_are_indexed_by_declaration_order() {
        for (i, (p, name)) in NAMES.iter().enumerate() {
            assert_eq!(*p as usize, i);
            assert_eq!(PluginId::from_name(name), Some(*p));
        }
    }

    #[test]
    fn default_profile_is_upstreams() {
        let p = Profile::default();
        // The default plugins' filters in upstream's order (default_plugins.go).
        assert_eq!(
            p.filters,
            [
                NodeUnschedulable,
                NodeName,
                TaintToleration,
                NodeAffinity,
                NodePorts,
                NodeResourcesFit,
                VolumeRestrictions,
                NodeVolumeLimits,
                VolumeBinding,
                VolumeZone,
                PodTopologySpread,
                InterPodAffinity
            ]
        );
        assert_eq!(
            p.scores,
            [
                (TaintToleration, 3),
                (NodeAffinity, 2),
                (NodeResourcesFit, 1),
                (PodTopologySpread, 2),
                (InterPodAffinity, 2),
                (NodeResourcesBalancedAllocation, 1),
                (ImageLocality, 1)
            ]
        );
        assert!(p.preemption);
    }

    fn parse(v: serde_json::Value) -> Result<SchedulerConfig, Vec<ConfigError>> {
        serde_json::from_value::<KubeSchedulerConfiguration>(v).unwrap().resolve()
    }

    #[test]
    fn merges_enabled_and_disabled_per_extension_point() {
        let cfg = parse(serde_json::json!({
            "apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
            "percentageOfNodesToScore": 50,
            "profiles": [
                {"schedulerName": "default-scheduler"},
                {"schedulerName": "bin-packing",
                 "plugins": {"score": {"disabled": [{"name": "*"}], "enabled": [{"name": "NodeResourcesFit", "weight": 5}]},
                             "postFilter": {"disabled": [{"name": "DefaultPreemption"}]}},
                 "pluginConfig": [{"name": "NodeResourcesFit", "args": {"scoringStrategy": {"type": "MostAllocated"}}}]}
            ]
        }))
        .unwrap();
        assert_eq!(cfg.percentage_of_nodes_to_score, 50);
        assert_eq!(cfg.profiles.len(), 2);
        let bp = &cfg.profiles[1];
        assert_eq!(bp.scores, [(NodeResourcesFit, 5)]);
        assert_eq!(bp.fit.strategy, Strategy::MostAllocated);
        assert!(!bp.preemption);
        assert!(cfg.profiles[0].preemption);
        let bad = parse(serde_json::json!({"apiVersion": "kubescheduler.config.k8s.io/v1", "kind": "KubeSchedulerConfiguration",
            "profiles": [{"plugins": {"filter": {"enabled": [{"name": "Nope"}]}}}]}));
        assert_eq!(
            bad.unwrap_err()[0],
            ("profiles[0].plugins.filter.enabled[0].name".to_string(), "Invalid value: \"Nope\": plugin \"Nope\" does not exist".to_string())
        );
    }
}
