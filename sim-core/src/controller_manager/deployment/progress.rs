//! pkg/controller/deployment/progress.go: the Progressing condition — ReplicaSetUpdated
//! while replicas move, NewReplicaSetAvailable once complete, ProgressDeadlineExceeded
//! when nothing moved for progressDeadlineSeconds — the ReplicaFailure condition taken
//! from the ReplicaSets (getReplicaFailures), and the requeue that checks the deadline
//! again (requeueStuckDeployment).

use super::sync::{calculate_status, Plan};
use super::util::*;
use crate::api::deployment::DeploymentCondition;
use crate::api::replica_set::ReplicaSet;

/// syncRolloutStatus.
pub fn sync_rollout_status(p: &mut Plan, all: &[ReplicaSet], new: Option<&ReplicaSet>) {
    let mut st = calculate_status(all, new, &p.d, p.now);
    if !has_progress_deadline(&p.d) {
        remove_condition(&mut st, PROGRESSING);
    }
    let current = get_condition(&p.d.status, PROGRESSING).cloned();
    let complete_before = st.replicas == st.updated_replicas && current.as_ref().is_some_and(|c| c.reason == NEW_RS_AVAILABLE_REASON);
    if has_progress_deadline(&p.d) && !complete_before {
        let name = |what: &str| match new {
            Some(rs) => format!("ReplicaSet {:?} {what}", rs.metadata.name),
            None => format!("Deployment {:?} {what}", p.d.metadata.name),
        };
        if deployment_complete(&p.d, &st) {
            set_condition(&mut st, new_condition(PROGRESSING, "True", NEW_RS_AVAILABLE_REASON, name("has successfully progressed."), p.now));
        } else if deployment_progressing(&p.d, &st) {
            // Progress: update everything but the transition time (when already True).
            let mut c = new_condition(PROGRESSING, "True", REPLICA_SET_UPDATED_REASON, name("is progressing."), p.now);
            if let Some(cur) = &current {
                if cur.status == "True" {
                    c.last_transition_time = cur.last_transition_time;
                }
                remove_condition(&mut st, PROGRESSING);
            }
            set_condition(&mut st, c);
        } else if deployment_timed_out(&p.d, &st, p.now) {
            set_condition(&mut st, new_condition(PROGRESSING, "False", TIMED_OUT_REASON, name("has timed out progressing."), p.now));
        }
    }
    match replica_failures(all, new).into_iter().next() {
        Some(c) => set_condition(&mut st, c),
        None => remove_condition(&mut st, REPLICA_FAILURE),
    }
    if st == p.d.status {
        requeue_stuck_deployment(p, &st);
        return;
    }
    p.d.status = st;
    p.writes.push(super::sync::Write::UpdateStatus(Box::new(p.d.clone())));
}

/// getReplicaFailures: the new ReplicaSet's ReplicaFailure, else any old one's.
fn replica_failures(all: &[ReplicaSet], new: Option<&ReplicaSet>) -> Vec<DeploymentCondition> {
    let to_deployment = |rs: &ReplicaSet| -> Vec<DeploymentCondition> {
        rs.status
            .conditions
            .iter()
            .filter(|c| c.type_ == REPLICA_FAILURE)
            .map(|c| DeploymentCondition {
                type_: REPLICA_FAILURE.into(),
                status: c.status.clone(),
                last_update_time: c.last_transition_time,
                last_transition_time: c.last_transition_time,
                reason: c.reason.clone(),
                message: c.message.clone(),
            })
            .collect()
    };
    let from_new: Vec<DeploymentCondition> = new.map(to_deployment).unwrap_or_default();
    if !from_new.is_empty() {
        return from_new;
    }
    all.iter().flat_map(to_deployment).collect()
}

/// requeueStuckDeployment: with no progress to report, look again when the deadline
/// passes (lastUpdateTime + progressDeadlineSeconds − now, plus a second against skew;
/// with under a second left, at once through the rate limiter).
pub(super) fn requeue_stuck_deployment(p: &mut Plan, st: &crate::api::deployment::DeploymentStatus) {
    let Some(cur) = get_condition(&p.d.status, PROGRESSING) else { return };
    if !has_progress_deadline(&p.d) || deployment_complete(&p.d, st) || cur.reason == TIMED_OUT_REASON {
        return;
    }
    let deadline = cur.last_update_time.map_or(0, |t| t.0.as_ms()) + u64::try_from(p.d.spec.progress_deadline_seconds.unwrap_or(0)).unwrap_or(0) * 1000;
    let now = p.now.0.as_ms();
    match deadline.checked_sub(now) {
        Some(after) if after >= 1000 => p.requeue_after_ms = Some(after + 1000),
        _ => p.requeue_rate_limited = true,
    }
}
