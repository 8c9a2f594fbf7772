//! PodDisruptionBudget (policy/v1): how many of a set of pods voluntary disruptions (the
//! Eviction API, preemption) may take at once, and the status the disruption controller
//! keeps (pkg/apis/policy/types.go).

use super::meta::{IntOrString, LabelSelector, ObjectMeta, Time};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodDisruptionBudget {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: PdbSpec,
    #[serde(default)]
    pub status: PdbStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdbSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_available: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_unavailable: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<LabelSelector>,
    /// IfHealthyBudget (default) or AlwaysAllow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unhealthy_pod_eviction_policy: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdbStatus {
    #[serde(default, skip_serializing_if = "crate::api::replica_set::is_zero64")]
    pub observed_generation: i64,
    /// Pods the Eviction API let go, not yet seen deleted by the controller, and when.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub disrupted_pods: BTreeMap<String, Time>,
    #[serde(default)]
    pub disruptions_allowed: i32,
    #[serde(default)]
    pub current_healthy: i32,
    #[serde(default)]
    pub desired_healthy: i32,
    #[serde(default)]
    pub expected_pods: i32,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<PdbCondition>,
}

/// A metav1.Condition (today only `DisruptionAllowed`).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PdbCondition {
    #[serde(rename = "type")]
    pub type_: String,
    pub status: String,
    #[serde(default, skip_serializing_if = "crate::api::replica_set::is_zero64")]
    pub observed_generation: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_transition_time: Option<Time>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub message: String,
}

pub const DISRUPTION_ALLOWED: &str = "DisruptionAllowed";
pub const SUFFICIENT_PODS: &str = "SufficientPods";
pub const INSUFFICIENT_PODS: &str = "InsufficientPods";
pub const SYNC_FAILED: &str = "SyncFailed";
pub const ALWAYS_ALLOW: &str = "AlwaysAllow";

impl PodDisruptionBudget {
    pub fn condition(&self, type_: &str) -> Option<&PdbCondition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }

    /// pdbhelper.UpdateDisruptionAllowedCondition: True/SufficientPods while a disruption
    /// is allowed, False/InsufficientPods otherwise; the transition time moves only when
    /// the status does.
    pub fn update_disruption_allowed_condition(&mut self, now: Time) {
        let (status, reason) = if self.status.disruptions_allowed > 0 { ("True", SUFFICIENT_PODS) } else { ("False", INSUFFICIENT_PODS) };
        self.set_condition(status, reason, String::new(), now);
    }

    pub fn set_condition(&mut self, status: &str, reason: &str, message: String, now: Time) {
        let generation = self.status.observed_generation;
        let transition = self.condition(DISRUPTION_ALLOWED).filter(|c| c.status == status).and_then(|c| c.last_transition_time).unwrap_or(now);
        self.status.conditions.retain(|c| c.type_ != DISRUPTION_ALLOWED);
        self.status.conditions.push(PdbCondition {
            type_: DISRUPTION_ALLOWED.into(),
            status: status.into(),
            observed_generation: generation,
            last_transition_time: Some(transition),
            reason: reason.into(),
            message,
        });
    }
}
