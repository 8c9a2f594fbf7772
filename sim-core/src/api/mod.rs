//! The object model: Kubernetes kinds with their API field names, so real manifests
//! deserialize, plus exact quantities, selectors and timestamps.

pub mod affinity;
pub mod config_map;
pub mod cron;
pub mod daemon_set;
pub mod deployment;
pub mod endpoints;
pub mod event;
pub mod horizontal_pod_autoscaler;
pub mod ingress;
pub mod job;
pub mod limit_range;
pub mod meta;
pub mod name;
pub mod namespace;
pub mod network_policy;
pub mod node;
pub mod object;
pub mod pod;
pub mod pod_disruption_budget;
pub mod quantity;
pub mod replica_set;
pub mod replication_controller;
pub mod resource_quota;
pub mod scheduling;
pub mod service;
pub mod stateful_set;
pub mod storage;
pub mod uid;
pub mod validation;

pub use object::{Kind, Object, ObjectKey};

/// The zone a node is in (`topology.kubernetes.io/zone`, or the deprecated beta label).
pub fn lookup_zone(labels: &meta::Labels) -> String {
    zone_of(labels).to_string()
}

/// `lookup_zone`, borrowed.
pub fn zone_of(labels: &meta::Labels) -> &str {
    labels.get("topology.kubernetes.io/zone").or_else(|| labels.get("failure-domain.beta.kubernetes.io/zone")).map_or("", String::as_str)
}
