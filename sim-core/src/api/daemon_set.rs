//! DaemonSet (apps/v1, k8s.io/api/apps/v1 types.go) and ControllerRevision (apps/v1), the
//! history the DaemonSet controller keeps of its templates. Field names and JSON shapes
//! are Kubernetes'; unknown fields are refused.

use super::meta::{IntOrString, LabelSelector, ObjectMeta};
use super::pod::PodTemplateSpec;
use super::replica_set::{is_zero, is_zero64, ReplicaSetCondition};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The label a DaemonSet's pods and ControllerRevisions carry: the hash of the template
/// (apps.DefaultDaemonSetUniqueLabelKey = ControllerRevisionHashLabelKey).
pub const CONTROLLER_REVISION_HASH: &str = "controller-revision-hash";
/// The template generation, on pods (extensions.DaemonSetTemplateGenerationKey).
pub const POD_TEMPLATE_GENERATION: &str = "pod-template-generation";
/// The template generation, on the DaemonSet (apps.DeprecatedTemplateGeneration): the
/// apiserver keeps it, bumping it when the template changes.
pub const DEPRECATED_TEMPLATE_GENERATION: &str = "deprecated.daemonset.template.generation";

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DaemonSet {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: DaemonSetSpec,
    #[serde(default)]
    pub status: DaemonSetStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DaemonSetSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    #[serde(default)]
    pub template: PodTemplateSpec,
    #[serde(default, skip_serializing_if = "DaemonSetUpdateStrategy::is_empty")]
    pub update_strategy: DaemonSetUpdateStrategy,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revision_history_limit: Option<i32>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DaemonSetUpdateStrategy {
    /// `RollingUpdate` (the default) or `OnDelete`.
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rolling_update: Option<RollingUpdateDaemonSet>,
}

impl DaemonSetUpdateStrategy {
    pub fn is_empty(&self) -> bool {
        self.type_.is_empty() && self.rolling_update.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RollingUpdateDaemonSet {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_surge: Option<IntOrString>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DaemonSetStatus {
    #[serde(default)]
    pub current_number_scheduled: i32,
    #[serde(default)]
    pub number_misscheduled: i32,
    #[serde(default)]
    pub desired_number_scheduled: i32,
    #[serde(default)]
    pub number_ready: i32,
    #[serde(default, skip_serializing_if = "is_zero64")]
    pub observed_generation: i64,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub updated_number_scheduled: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub number_available: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub number_unavailable: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collision_count: Option<i32>,
    /// DaemonSetCondition has ReplicaSetCondition's fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ReplicaSetCondition>,
}

impl DaemonSet {
    /// The strategy type, `RollingUpdate` when unset (as defaulted).
    pub fn strategy_type(&self) -> &str {
        if self.spec.update_strategy.type_.is_empty() {
            "RollingUpdate"
        } else {
            &self.spec.update_strategy.type_
        }
    }

    /// util.GetTemplateGeneration: the deprecated template-generation annotation, if it
    /// parses.
    pub fn template_generation(&self) -> Option<i64> {
        self.metadata.annotations.get(DEPRECATED_TEMPLATE_GENERATION).and_then(|v| v.parse().ok())
    }
}

/// ControllerRevision (apps/v1): an immutable snapshot of state (for a DaemonSet, the
/// template patch) with a revision number.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ControllerRevision {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// runtime.RawExtension: any JSON.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
    #[serde(default)]
    pub revision: i64,
}
