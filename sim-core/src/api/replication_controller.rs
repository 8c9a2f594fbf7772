//! ReplicationController (core/v1, k8s.io/api/core/v1 types.go): the ReplicaSet's
//! predecessor, with an equality-based selector (a map) and an optional template. The
//! ReplicaSet controller manages it through `as_replica_set`, the conversion upstream's
//! pkg/controller/replication makes (conversion.go).

use super::meta::{LabelSelector, Labels, ObjectMeta};
use super::pod::PodTemplateSpec;
use super::replica_set::{is_zero, is_zero64, ReplicaSet, ReplicaSetCondition, ReplicaSetSpec, ReplicaSetStatus};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicationController {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ReplicationControllerSpec,
    #[serde(default)]
    pub status: ReplicationControllerStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicationControllerSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replicas: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_ready_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub selector: Labels,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<PodTemplateSpec>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReplicationControllerStatus {
    #[serde(default)]
    pub replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub fully_labeled_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub ready_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero")]
    pub available_replicas: i32,
    #[serde(default, skip_serializing_if = "is_zero64")]
    pub observed_generation: i64,
    /// ReplicationControllerCondition has ReplicaSetCondition's fields.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub conditions: Vec<ReplicaSetCondition>,
}

impl ReplicationController {
    pub fn replicas(&self) -> i32 {
        self.spec.replicas.unwrap_or(1)
    }

    /// Convert_v1_ReplicationController_To_apps_ReplicaSet: the selector map becomes
    /// matchLabels; a missing template an empty one.
    pub fn as_replica_set(&self) -> ReplicaSet {
        let selector = (!self.spec.selector.is_empty()).then(|| LabelSelector { match_labels: self.spec.selector.clone(), match_expressions: Vec::new() });
        let s = &self.status;
        ReplicaSet {
            api_version: self.api_version.clone(),
            kind: self.kind.clone(),
            metadata: self.metadata.clone(),
            spec: ReplicaSetSpec {
                replicas: self.spec.replicas,
                min_ready_seconds: self.spec.min_ready_seconds,
                selector,
                template: self.spec.template.clone().unwrap_or_default(),
            },
            status: ReplicaSetStatus {
                replicas: s.replicas,
                fully_labeled_replicas: s.fully_labeled_replicas,
                ready_replicas: s.ready_replicas,
                available_replicas: s.available_replicas,
                terminating_replicas: None,
                observed_generation: s.observed_generation,
                conditions: s.conditions.clone(),
            },
        }
    }

    /// This controller with a ReplicaSet's status (Convert_apps_ReplicaSetStatus_To_v1_ReplicationControllerStatus).
    pub fn with_status(&self, st: &ReplicaSetStatus) -> ReplicationController {
        let mut rc = self.clone();
        rc.status = ReplicationControllerStatus {
            replicas: st.replicas,
            fully_labeled_replicas: st.fully_labeled_replicas,
            ready_replicas: st.ready_replicas,
            available_replicas: st.available_replicas,
            observed_generation: st.observed_generation,
            conditions: st.conditions.clone(),
        };
        rc
    }
}
