//! progress_test.go. Upstream's times are 2017-02-15 18:49:00 UTC and seconds around it;
//! here 18:49:00 is `T0` seconds into the run.

use super::*;
use crate::api::deployment::{DeploymentCondition, DeploymentStatus};
use crate::controller_manager::deployment::progress::{requeue_stuck_deployment, sync_rollout_status};
use crate::controller_manager::deployment::util::{get_condition, NEW_RS_AVAILABLE_REASON, PROGRESSING, REPLICA_SET_UPDATED_REASON, TIMED_OUT_REASON};

/// 2017-02-15 18:49:00.
const T0: u64 = 1000;

/// newDeploymentStatus.
fn new_deployment_status(replicas: i32, updated: i32, available: i32) -> DeploymentStatus {
    DeploymentStatus { replicas, updated_replicas: updated, available_replicas: available, ..DeploymentStatus::default() }
}

/// currentDeployment: a Recreate Deployment "progress-test" with the given status.
fn current_deployment(pds: Option<i32>, replicas: i32, status_replicas: i32, updated: i32, available: i32, conditions: Vec<DeploymentCondition>) -> Deployment {
    let mut d = Deployment::default();
    d.metadata.name = "progress-test".into();
    d.spec.progress_deadline_seconds = pds;
    d.spec.replicas = Some(replicas);
    d.spec.strategy = Some(DeploymentStrategy { type_: "Recreate".into(), rolling_update: None });
    d.status = new_deployment_status(status_replicas, updated, available);
    d.status.conditions = conditions;
    d
}

/// newRSWithAvailable.
fn new_rs_with_available(name: &str, spec_replicas: i32, status_replicas: i32, available: i32) -> ReplicaSet {
    let mut r = rs(name, spec_replicas, &[], None);
    r.status.replicas = status_replicas;
    r.status.available_replicas = available;
    r
}

fn condition(status: &str, reason: &str, at: Option<Time>) -> DeploymentCondition {
    DeploymentCondition {
        type_: PROGRESSING.into(),
        status: status.into(),
        reason: reason.into(),
        last_update_time: at,
        last_transition_time: at,
        message: String::new(),
    }
}

/// How requeueStuckDeployment's answer shows in a plan: -1 → no requeue; 0 → at once,
/// rate limited; d → after d plus a second (enqueueAfter(after + 1s)).
#[derive(Debug, PartialEq)]
enum Requeue {
    No,
    Now,
    After(u64),
}

/// TestRequeueStuckDeployment. "failed deployment - less than a second => now" is one
/// nanosecond before the deadline's last second upstream; ksim's clock counts whole
/// milliseconds, so here it is one millisecond.
#[test]
fn requeue_stuck_deployment_table() {
    let pds = Some(60);
    let infinite = Some(i32::MAX);
    let failed =
        || vec![DeploymentCondition { type_: PROGRESSING.into(), status: "False".into(), reason: TIMED_OUT_REASON.into(), ..DeploymentCondition::default() }];
    let stuck =
        || vec![DeploymentCondition { type_: PROGRESSING.into(), status: "True".into(), last_update_time: Some(at_s(T0)), ..DeploymentCondition::default() }];
    let ms = |s: u64| T0 * 1000 + s;
    // (name, d, status, now (ms), expected)
    let cases = [
        ("nil progressDeadlineSeconds specified", current_deployment(None, 4, 3, 3, 2, vec![]), new_deployment_status(3, 3, 2), None, Requeue::No),
        ("infinite progressDeadlineSeconds specified", current_deployment(infinite, 4, 3, 3, 2, vec![]), new_deployment_status(3, 3, 2), None, Requeue::No),
        ("no progressing condition found", current_deployment(pds, 4, 3, 3, 2, vec![]), new_deployment_status(3, 3, 2), None, Requeue::No),
        ("complete deployment does not need to be requeued", current_deployment(pds, 3, 3, 3, 3, vec![]), new_deployment_status(3, 3, 3), None, Requeue::No),
        (
            "already failed deployment does not need to be requeued",
            current_deployment(pds, 3, 3, 3, 0, failed()),
            new_deployment_status(3, 3, 0),
            None,
            Requeue::No,
        ),
        ("stuck deployment - 30s", current_deployment(pds, 3, 3, 3, 1, stuck()), new_deployment_status(3, 3, 1), Some(ms(30_000)), Requeue::After(30_000)),
        ("stuck deployment - 1s", current_deployment(pds, 3, 3, 3, 1, stuck()), new_deployment_status(3, 3, 1), Some(ms(59_000)), Requeue::After(1000)),
        (
            "failed deployment - less than a second => now",
            current_deployment(pds, 3, 3, 3, 1, stuck()),
            new_deployment_status(3, 3, 1),
            Some(ms(59_001)),
            Requeue::Now,
        ),
        ("failed deployment - now", current_deployment(pds, 3, 3, 3, 1, stuck()), new_deployment_status(3, 3, 1), Some(ms(60_000)), Requeue::Now),
        ("failed deployment - 1s after deadline", current_deployment(pds, 3, 3, 3, 1, stuck()), new_deployment_status(3, 3, 1), Some(ms(61_000)), Requeue::Now),
        (
            "failed deployment - 60s after deadline",
            current_deployment(pds, 3, 3, 3, 1, stuck()),
            new_deployment_status(3, 3, 1),
            Some(ms(120_000)),
            Requeue::Now,
        ),
    ];
    for (name, d, status, now_ms, expected) in cases {
        let mut p = plan(d, at_ms(now_ms.unwrap_or(T0 * 1000)));
        requeue_stuck_deployment(&mut p, &status);
        let got = match (p.requeue_after_ms, p.requeue_rate_limited) {
            (None, false) => Requeue::No,
            (None, true) => Requeue::Now,
            (Some(after), false) => Requeue::After(after - 1000),
            (Some(_), true) => panic!("{name}: both requeues"),
        };
        assert_eq!(got, expected, "{name}");
    }
}

/// TestSyncRolloutStatus. Upstream's time checks compare the table's own lastUpdate /
/// lastTransition with testTime, so they cannot fail; what they mean ("dont update
/// lastTransitionTime", "do not update status") is checked here: where the table names
/// a time, the condition keeps the time it had before the sync. The sync runs an hour
/// after testTime (upstream runs at wall-clock now, years after it).
#[test]
fn sync_rollout_status_table() {
    let pds = Some(60);
    let test_time = Some(at_s(T0));
    let failed_timed_out = || condition("False", TIMED_OUT_REASON, None);
    let new_rs_available = || condition("True", NEW_RS_AVAILABLE_REASON, test_time);
    let replica_set_updated = || condition("True", REPLICA_SET_UPDATED_REASON, test_time);
    // (name, d, allRSs, newRS, (conditionStatus, conditionReason) or none expected, lastUpdate kept, lastTransition kept)
    type Case = (&'static str, Deployment, Vec<ReplicaSet>, Option<ReplicaSet>, Option<(&'static str, &'static str)>, bool, bool);
    let cases: Vec<Case> = vec![
        (
            "General: remove Progressing condition and do not estimate progress if deployment has no Progress Deadline",
            current_deployment(None, 3, 2, 2, 2, vec![replica_set_updated()]),
            vec![new_rs_with_available("bar", 0, 1, 1)],
            Some(new_rs_with_available("foo", 3, 2, 2)),
            None,
            false,
            false,
        ),
        (
            "General: do not estimate progress of deployment with only one active ReplicaSet",
            current_deployment(pds, 3, 3, 3, 3, vec![new_rs_available()]),
            vec![new_rs_with_available("bar", 3, 3, 3)],
            None,
            Some(("True", NEW_RS_AVAILABLE_REASON)),
            true,
            true,
        ),
        (
            "DeploymentProgressing: dont update lastTransitionTime if deployment already has Progressing=True",
            current_deployment(pds, 3, 2, 2, 2, vec![replica_set_updated()]),
            vec![new_rs_with_available("bar", 0, 1, 1)],
            Some(new_rs_with_available("foo", 3, 2, 2)),
            Some(("True", REPLICA_SET_UPDATED_REASON)),
            false,
            true,
        ),
        (
            "DeploymentProgressing: update everything if deployment has Progressing=False",
            current_deployment(pds, 3, 2, 2, 2, vec![failed_timed_out()]),
            vec![new_rs_with_available("bar", 0, 1, 1)],
            Some(new_rs_with_available("foo", 3, 2, 2)),
            Some(("True", REPLICA_SET_UPDATED_REASON)),
            false,
            false,
        ),
        (
            "DeploymentProgressing: create Progressing condition if it does not exist",
            current_deployment(pds, 3, 2, 2, 2, vec![]),
            vec![new_rs_with_available("bar", 0, 1, 1)],
            Some(new_rs_with_available("foo", 3, 2, 2)),
            Some(("True", REPLICA_SET_UPDATED_REASON)),
            false,
            false,
        ),
        (
            "DeploymentComplete: dont update lastTransitionTime if deployment already has Progressing=True",
            current_deployment(pds, 3, 3, 3, 3, vec![replica_set_updated()]),
            vec![],
            Some(new_rs_with_available("foo", 3, 3, 3)),
            Some(("True", NEW_RS_AVAILABLE_REASON)),
            false,
            true,
        ),
        (
            "DeploymentComplete: update everything if deployment has Progressing=False",
            current_deployment(pds, 3, 3, 3, 3, vec![failed_timed_out()]),
            vec![],
            Some(new_rs_with_available("foo", 3, 3, 3)),
            Some(("True", NEW_RS_AVAILABLE_REASON)),
            false,
            false,
        ),
        (
            "DeploymentComplete: create Progressing condition if it does not exist",
            current_deployment(pds, 3, 3, 3, 3, vec![]),
            vec![],
            Some(new_rs_with_available("foo", 3, 3, 3)),
            Some(("True", NEW_RS_AVAILABLE_REASON)),
            false,
            false,
        ),
        (
            "DeploymentComplete: defend against NPE when newRS=nil",
            current_deployment(pds, 0, 3, 3, 3, vec![replica_set_updated()]),
            vec![new_rs_with_available("foo", 0, 0, 0)],
            None,
            Some(("True", NEW_RS_AVAILABLE_REASON)),
            false,
            false,
        ),
        (
            "DeploymentTimedOut: update status if rollout exceeds Progress Deadline",
            current_deployment(pds, 3, 2, 2, 2, vec![replica_set_updated()]),
            vec![],
            Some(new_rs_with_available("foo", 3, 2, 2)),
            Some(("False", TIMED_OUT_REASON)),
            false,
            false,
        ),
        (
            "DeploymentTimedOut: do not update status if deployment has existing timedOut condition",
            current_deployment(pds, 3, 2, 2, 2, vec![failed_timed_out()]),
            vec![],
            Some(new_rs_with_available("foo", 3, 2, 2)),
            Some(("False", TIMED_OUT_REASON)),
            true,
            true,
        ),
    ];
    for (name, d, mut all, new_rs, want, update_kept, transition_kept) in cases {
        let before = get_condition(&d.status, PROGRESSING).cloned();
        let has_deadline = d.spec.progress_deadline_seconds.is_some_and(|s| s != i32::MAX);
        all.extend(new_rs.clone());
        let mut p = plan(d, at_s(T0 + 3600));
        sync_rollout_status(&mut p, &all, new_rs.as_ref());
        let cond = get_condition(&p.d.status, PROGRESSING);
        let Some((status, reason)) = want else {
            assert!(cond.is_none() && !has_deadline, "{name}: {cond:?}");
            continue;
        };
        let cond = cond.unwrap_or_else(|| panic!("{name}: expected deployment condition: {PROGRESSING}"));
        assert_eq!((cond.status.as_str(), cond.reason.as_str()), (status, reason), "{name}");
        if update_kept || transition_kept {
            let before = before.expect("the times kept are those of a condition that was there");
            if update_kept {
                assert_eq!(cond.last_update_time, before.last_update_time, "{name}: LastUpdateTime was changed");
            }
            if transition_kept {
                assert_eq!(cond.last_transition_time, before.last_transition_time, "{name}: LastTransitionTime was changed");
            }
        }
    }
}
