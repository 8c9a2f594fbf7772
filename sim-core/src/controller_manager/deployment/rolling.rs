//! pkg/controller/deployment/rolling.go: a RollingUpdate rollout — scale the new
//! ReplicaSet up within maxSurge (reconcileNewReplicaSet), then the old ones down within
//! the availability floor, unhealthy replicas first (reconcileOldReplicaSets,
//! cleanupUnhealthyReplicas, scaleDownOldReplicaSetsForRollingUpdate); once complete,
//! clean up the revision history.

use super::progress::sync_rollout_status;
use super::sync::{cleanup_deployment, get_all_replica_sets_and_sync_revision, scale_replica_set_and_record_event, Plan};
use super::util::{self, *};
use crate::api::replica_set::ReplicaSet;

/// rolloutRolling.
pub fn rollout_rolling(p: &mut Plan, rs_list: &[ReplicaSet]) {
    let (new, old) = get_all_replica_sets_and_sync_revision(p, rs_list, true);
    let Some(new) = new else { return };
    let mut all = old.clone();
    all.push(new.clone());
    if reconcile_new_replica_set(p, &all, &new) {
        return sync_rollout_status(p, &all, Some(&new));
    }
    let active_old: Vec<ReplicaSet> = old.iter().filter(|r| util::replicas(r) > 0).cloned().collect();
    if reconcile_old_replica_sets(p, &all, active_old, &new) {
        return sync_rollout_status(p, &all, Some(&new));
    }
    if deployment_complete(&p.d, &p.d.status) {
        cleanup_deployment(p, &old);
    }
    sync_rollout_status(p, &all, Some(&new));
}

/// reconcileNewReplicaSet: down to replicas if above, else up as far as maxSurge allows.
pub fn reconcile_new_replica_set(p: &mut Plan, all: &[ReplicaSet], new: &ReplicaSet) -> bool {
    let want = p.d.replicas();
    if util::replicas(new) == want {
        return false;
    }
    if util::replicas(new) > want {
        return scale_replica_set_and_record_event(p, new, want).0;
    }
    let n = new_rs_new_replicas(&p.d, all, new);
    scale_replica_set_and_record_event(p, new, n).0
}

/// reconcileOldReplicaSets: scale old ReplicaSets down by at most
/// allPods − minAvailable − newRSUnavailable, unhealthy replicas first.
pub fn reconcile_old_replica_sets(p: &mut Plan, all: &[ReplicaSet], old: Vec<ReplicaSet>, new: &ReplicaSet) -> bool {
    if replica_count(&old) == 0 {
        return false;
    }
    let all_pods = replica_count(all);
    let min_available = p.d.replicas() - max_unavailable(&p.d);
    let new_unavailable = util::replicas(new) - new.status.available_replicas;
    let max_scaled_down = all_pods - min_available - new_unavailable;
    if max_scaled_down <= 0 {
        return false;
    }
    // An invalid cleanup is an error upstream, which reconcileOldReplicaSets swallows.
    let Some((old, cleaned)) = cleanup_unhealthy_replicas(p, old, max_scaled_down) else { return false };
    let mut all_now = old.clone();
    all_now.push(new.clone());
    let scaled_down = scale_down_old_replica_sets_for_rolling_update(p, &all_now, old);
    cleaned + scaled_down > 0
}

/// cleanupUnhealthyReplicas: oldest first, take away replicas that are not available.
/// None where upstream errors: a ReplicaSet with more available replicas than it asks
/// for would be "scaled down" to more replicas (the ReplicaSets scaled before it stay
/// scaled).
pub fn cleanup_unhealthy_replicas(p: &mut Plan, mut old: Vec<ReplicaSet>, max_cleanup: i32) -> Option<(Vec<ReplicaSet>, i32)> {
    old.sort_by(by_creation);
    let mut total = 0;
    for rs in old.iter_mut() {
        if total >= max_cleanup {
            break;
        }
        if util::replicas(rs) == 0 || util::replicas(rs) == rs.status.available_replicas {
            continue;
        }
        let down = (max_cleanup - total).min(util::replicas(rs) - rs.status.available_replicas);
        let target = util::replicas(rs) - down;
        if target > util::replicas(rs) {
            return None;
        }
        let (_, updated) = scale_replica_set_and_record_event(p, rs, target);
        *rs = updated;
        total += down;
    }
    Some((old, total))
}

/// scaleDownOldReplicaSetsForRollingUpdate: oldest first, down by as many as the
/// available pods exceed minAvailable.
pub fn scale_down_old_replica_sets_for_rolling_update(p: &mut Plan, all: &[ReplicaSet], mut old: Vec<ReplicaSet>) -> i32 {
    let min_available = p.d.replicas() - max_unavailable(&p.d);
    let available = available_replica_count(all);
    if available <= min_available {
        return 0;
    }
    old.sort_by(by_creation);
    let to_scale_down = available - min_available;
    let mut total = 0;
    for rs in &old {
        if total >= to_scale_down {
            break;
        }
        if util::replicas(rs) == 0 {
            continue;
        }
        let down = util::replicas(rs).min(to_scale_down - total);
        scale_replica_set_and_record_event(p, rs, util::replicas(rs) - down);
        total += down;
    }
    total
}
