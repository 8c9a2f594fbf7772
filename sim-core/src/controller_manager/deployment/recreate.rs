//! pkg/controller/deployment/recreate.go: a Recreate rollout — scale every old
//! ReplicaSet to 0, wait until none of their pods is left running (terminating pods
//! count; finished ones do not: oldPodsRunning), then create or scale up the new one.

use super::progress::sync_rollout_status;
use super::sync::{cleanup_deployment, get_all_replica_sets_and_sync_revision, scale_replica_set_and_record_event, Plan};
use super::util::{self, *};
use crate::api::pod::Pod;
use crate::api::replica_set::ReplicaSet;
use std::collections::BTreeMap;

/// The pods of each of the Deployment's ReplicaSets, by ReplicaSet uid
/// (getPodMapForDeployment).
pub type PodMap = BTreeMap<String, Vec<Pod>>;

/// rolloutRecreate.
pub fn rollout_recreate(p: &mut Plan, rs_list: &[ReplicaSet], pod_map: &PodMap) {
    let (mut new, mut old) = get_all_replica_sets_and_sync_revision(p, rs_list, false);
    let mut all = old.clone();
    all.extend(new.clone());
    let mut active_old: Vec<ReplicaSet> = old.iter().filter(|r| util::replicas(r) > 0).cloned().collect();
    if scale_down_old_replica_sets_for_recreate(p, &mut active_old) {
        return sync_rollout_status(p, &all, new.as_ref());
    }
    if old_pods_running(new.as_ref(), &old, pod_map) {
        return sync_rollout_status(p, &all, new.as_ref());
    }
    if new.is_none() {
        (new, old) = get_all_replica_sets_and_sync_revision(p, rs_list, true);
        all = old.clone();
        all.extend(new.clone());
    }
    if let Some(n) = &new {
        let want = p.d.replicas();
        scale_replica_set_and_record_event(p, n, want);
    }
    if deployment_complete(&p.d, &p.d.status) {
        cleanup_deployment(p, &old);
    }
    sync_rollout_status(p, &all, new.as_ref());
}

/// scaleDownOldReplicaSetsForRecreate: every old ReplicaSet to 0; returns whether any
/// was scaled (the scaled copies replace the ReplicaSets in `old`).
pub fn scale_down_old_replica_sets_for_recreate(p: &mut Plan, old: &mut [ReplicaSet]) -> bool {
    let mut scaled = false;
    for rs in old.iter_mut() {
        if util::replicas(rs) == 0 {
            continue;
        }
        let (scaled_rs, updated) = scale_replica_set_and_record_event(p, rs, 0);
        if scaled_rs {
            *rs = updated;
            scaled = true;
        }
    }
    scaled
}

/// oldPodsRunning: an old ReplicaSet still reports pods, or a pod of a ReplicaSet other
/// than the new one is not finished (Unknown counts as running).
pub(super) fn old_pods_running(new: Option<&ReplicaSet>, old: &[ReplicaSet], pod_map: &PodMap) -> bool {
    if actual_replica_count(old) > 0 {
        return true;
    }
    pod_map
        .iter()
        .filter(|(uid, _)| new.is_none_or(|n| &n.metadata.uid != *uid))
        .any(|(_, pods)| pods.iter().any(|pod| !matches!(&*pod.status.phase, "Failed" | "Succeeded")))
}
