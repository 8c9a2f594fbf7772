//! Upstream's Deployment controller test tables, ported case by case: one file per
//! upstream test file (rolling_test.go, sync_test.go, recreate_test.go, progress_test.go,
//! util/deployment_util_test.go). Each test names the upstream test function it ports and
//! each case keeps upstream's name (or its position in the table when it has none); the
//! expected values are upstream's. A case that needs something ksim does not model is
//! left out with a comment saying which and why.
//!
//! The fixtures below mirror upstream's helpers (deployment_controller_test.go: rs,
//! newRSWithStatus, newDeployment, newReplicaSet). Upstream's timestamps are wall-clock
//! dates; here they are the same distances apart in simulated time.

mod progress;
mod recreate;
mod rolling;
mod sync;
mod util;

use super::sync::{Plan, Write};
use crate::api::deployment::{Deployment, DeploymentStrategy, RollingUpdateDeployment};
use crate::api::meta::{IntOrString, LabelSelector, Labels, OwnerReference, Time};
use crate::api::pod::{Container, PodSpecBody, PodTemplateSpec};
use crate::api::replica_set::ReplicaSet;
use crate::engine::SimTime;
use std::rc::Rc;

/// A moment `ms` milliseconds into the run.
pub(super) fn at_ms(ms: u64) -> Time {
    Time(SimTime(ms))
}

/// A moment `s` seconds into the run.
pub(super) fn at_s(s: u64) -> Time {
    at_ms(s * 1000)
}

/// intstr.FromInt32.
pub(super) fn int(i: i32) -> IntOrString {
    IntOrString::Int(i)
}

/// intstr.FromString.
pub(super) fn pct(s: &str) -> IntOrString {
    IntOrString::String(s.into())
}

pub(super) fn labels(kv: &[(&str, &str)]) -> Labels {
    kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn selector(kv: &[(&str, &str)]) -> LabelSelector {
    LabelSelector { match_labels: labels(kv), match_expressions: Vec::new() }
}

/// rs: a ReplicaSet in "default" with a size, a selector and a creation time.
pub(super) fn rs(name: &str, replicas: i32, sel: &[(&str, &str)], created: Option<Time>) -> ReplicaSet {
    let mut r = ReplicaSet::default();
    r.metadata.name = name.into();
    r.metadata.namespace = "default".into();
    r.metadata.creation_timestamp = created;
    r.spec.replicas = Some(replicas);
    r.spec.selector = Some(selector(sel));
    r
}

/// newRSWithStatus: rs with status.replicas.
pub(super) fn new_rs_with_status(name: &str, spec_replicas: i32, status_replicas: i32, sel: &[(&str, &str)]) -> ReplicaSet {
    let mut r = rs(name, spec_replicas, sel, None);
    r.status.replicas = status_replicas;
    r
}

/// newDeployment: a RollingUpdate Deployment (maxSurge and maxUnavailable 0 unless
/// given) whose template carries the selector's labels and one container "foo/bar".
pub(super) fn new_deployment(
    name: &str,
    replicas: i32,
    revision_history_limit: Option<i32>,
    max_surge: Option<IntOrString>,
    max_unavailable: Option<IntOrString>,
    sel: &[(&str, &str)],
) -> Deployment {
    let mut d = Deployment { api_version: "apps/v1".into(), ..Deployment::default() };
    d.metadata.uid = format!("uid-{name}").into();
    d.metadata.name = name.into();
    d.metadata.namespace = "default".into();
    d.spec.strategy = Some(DeploymentStrategy {
        type_: "RollingUpdate".into(),
        rolling_update: Some(RollingUpdateDeployment {
            max_surge: Some(max_surge.unwrap_or(int(0))),
            max_unavailable: Some(max_unavailable.unwrap_or(int(0))),
        }),
    });
    d.spec.replicas = Some(replicas);
    d.spec.selector = Some(selector(sel));
    d.spec.template.metadata.labels = labels(sel).into();
    d.spec.template.spec =
        Rc::new(PodSpecBody { containers: Rc::new(vec![Container { image: "foo/bar".into(), ..Container::default() }]), ..PodSpecBody::default() }.into());
    d.spec.revision_history_limit = revision_history_limit;
    d
}

/// newReplicaSet: a ReplicaSet controlled by `d`, with its selector and template.
pub(super) fn new_replica_set(d: &Deployment, name: &str, replicas: i32) -> ReplicaSet {
    let mut r = ReplicaSet::default();
    r.metadata.name = name.into();
    r.metadata.uid = format!("uid-{name}").into();
    r.metadata.namespace = "default".into();
    r.metadata.labels = d.spec.selector.as_ref().map(|s| s.match_labels.clone()).unwrap_or_default().into();
    *r.metadata.owner_references = vec![OwnerReference {
        api_version: "apps/v1".into(),
        kind: "Deployment".into(),
        name: d.metadata.name.to_string(),
        uid: d.metadata.uid.to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }];
    r.spec.selector = d.spec.selector.clone();
    r.spec.replicas = Some(replicas);
    r.spec.template = d.spec.template.clone();
    r
}

/// A sync of `d` at `now` (the fake clientset and recorder of upstream's tests).
pub(super) fn plan(d: Deployment, now: Time) -> Plan {
    Plan::new(d, now)
}

/// The ReplicaSet updates a sync made, in order (the fake clientset's UpdateActions).
pub(super) fn rs_updates(p: &Plan) -> Vec<&ReplicaSet> {
    p.writes
        .iter()
        .filter_map(|w| match w {
            Write::UpdateReplicaSet { rs, .. } => Some(rs),
            _ => None,
        })
        .collect()
}

/// The names of the ReplicaSets a sync deleted (the fake clientset's DeleteActions).
pub(super) fn rs_deletions(p: &Plan) -> Vec<String> {
    p.writes
        .iter()
        .filter_map(|w| match w {
            Write::DeleteReplicaSet(rs) => Some(rs.metadata.name.to_string()),
            _ => None,
        })
        .collect()
}
