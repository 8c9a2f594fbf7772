//! pkg/controller/deployment/recreate.go: a Recreate rollout — scale every old
//! ReplicaSet to 0, wait until none of their pods is left running (terminating pods
//! count; finished ones do not: oldPodsRunning), then create or scale up the new one.

use super::progress::sync_rollout_status;
use super::sync::{cleanup_deployment, get_all_replica_sets_and_sync_revision, scale_replica_set_and_record_event, Plan};
use super::util::{self, *};
use crate::api::pod::Pod;
use crate::api::replica_set::ReplicaSet;

/// rolloutRecreate; `old_pods` are the pods of the old ReplicaSets (podMap without the
/// new ReplicaSet's).
pub fn rollout_recreate(p: &mut Plan, rs_list: &[ReplicaSet], pods_of: &dyn Fn(&str) -> Vec<Pod>) {
    let (mut new, mut old) = get_all_replica_sets_and_sync_revision(p, rs_list, false);
    let mut all = old.clone();
    all.extend(new.clone());
    let active_old: Vec<ReplicaSet> = old.iter().filter(|r| util::replicas(r) > 0).cloned().collect();
    let mut scaled = false;
    for rs in &active_old {
        scaled |= scale_replica_set_and_record_event(p, rs, 0).0;
    }
    if scaled {
        return sync_rollout_status(p, &all, new.as_ref());
    }
    if old_pods_running(new.as_ref(), &old, pods_of) {
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

/// oldPodsRunning: an old ReplicaSet still reports pods, or one of its pods is not
/// finished (Unknown counts as running).
fn old_pods_running(new: Option<&ReplicaSet>, old: &[ReplicaSet], pods_of: &dyn Fn(&str) -> Vec<Pod>) -> bool {
    if actual_replica_count(old) > 0 {
        return true;
    }
    old.iter()
        .filter(|rs| new.is_none_or(|n| n.metadata.uid != rs.metadata.uid))
        .any(|rs| pods_of(&rs.metadata.uid).iter().any(|pod| !matches!(&*pod.status.phase, "Failed" | "Succeeded")))
}
