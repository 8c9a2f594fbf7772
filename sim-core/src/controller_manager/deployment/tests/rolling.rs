//! rolling_test.go.

use super::*;
use crate::controller_manager::deployment::rolling::{
    cleanup_unhealthy_replicas, reconcile_new_replica_set, reconcile_old_replica_sets, scale_down_old_replica_sets_for_rolling_update,
};

/// TestDeploymentController_reconcileNewReplicaSet. Left out: the eight cases with
/// enableDeploymentPodReplacementPolicy ("... ignore terminating pods", "... with
/// TerminationComplete policy ..."): ksim models neither spec.podReplacementPolicy nor the
/// ReplicaSets' status.terminatingReplicas.
#[test]
fn reconcile_new_replica_set_table() {
    // (name, deploymentReplicas, maxSurge, oldReplicas, newReplicas, scaleExpected, expectedNewReplicas)
    let cases = [
        ("should not scale up when old replica set is fully saturated", 10, 0, 10, 0, false, 0),
        ("should scale up according to the maxSurge when old replica set is fully saturated", 10, 2, 10, 0, true, 2),
        ("should scale up according to the maxSurge", 10, 2, 5, 0, true, 7),
        ("should not scale when maxSurge is fully saturated", 10, 2, 10, 2, false, 0),
        ("should scale down when there are replicas above maxSurge", 10, 2, 2, 11, true, 10),
    ];
    for (name, d_replicas, surge, old_replicas, new_replicas, scale_expected, expected_new) in cases {
        let new_rs = rs("foo-v2", new_replicas, &[], None);
        let old_rs = rs("foo-v1", old_replicas, &[], None);
        let all = vec![new_rs.clone(), old_rs];
        let d = new_deployment("foo", d_replicas, None, Some(int(surge)), Some(int(0)), &[("foo", "bar")]);
        let mut p = plan(d, at_s(0));
        let scaled = reconcile_new_replica_set(&mut p, &all, &new_rs);
        if !scale_expected {
            assert!(!scaled && p.writes.is_empty(), "{name}: unexpected scaling: {:?}", p.writes);
            continue;
        }
        assert!(scaled, "{name}: expected scaling to occur");
        assert_eq!(p.writes.len(), 1, "{name}: expected 1 action during scale");
        assert_eq!(rs_updates(&p)[0].replicas(), expected_new, "{name}");
    }
}

/// TestDeploymentController_reconcileOldReplicaSets. Upstream checks only whether it
/// scaled; the table's expectedOldReplicas (which upstream declares but does not check)
/// is checked here as well, against the old ReplicaSet's last update.
#[test]
fn reconcile_old_replica_sets_table() {
    // (case, deploymentReplicas, maxUnavailable, oldReplicas, newReplicas, readyPodsFromOldRS, readyPodsFromNewRS, scaleExpected, expectedOldReplicas)
    let cases = [
        (0, 10, 0, 10, 0, 10, 0, true, 9),
        (1, 10, 2, 10, 0, 10, 0, true, 8),
        // expect unhealthy replicas from old replica sets been cleaned up
        (2, 10, 2, 10, 0, 8, 0, true, 8),
        // expect 1 unhealthy replica from old replica sets been cleaned up, and 1 ready pod been scaled down
        (3, 10, 2, 10, 0, 9, 0, true, 8),
        // the unavailable pods from the newRS would not make us scale down old RSs in a further step
        (4, 10, 2, 8, 2, 8, 0, false, 0),
    ];
    for (case, d_replicas, max_unavailable, old_replicas, new_replicas, ready_old, ready_new, scale_expected, expected_old) in cases {
        let new_sel = [("foo", "new")];
        let mut new_rs = rs("foo-new", new_replicas, &new_sel, None);
        new_rs.status.available_replicas = ready_new;
        let mut old_rs = rs("foo-old", old_replicas, &[("foo", "old")], None);
        old_rs.status.available_replicas = ready_old;
        let all = vec![old_rs.clone(), new_rs.clone()];
        let d = new_deployment("foo", d_replicas, None, Some(int(0)), Some(int(max_unavailable)), &new_sel);
        let mut p = plan(d, at_s(0));
        let scaled = reconcile_old_replica_sets(&mut p, &all, vec![old_rs], &new_rs);
        assert_eq!(scaled, scale_expected, "scenario {case}: {:?}", p.writes);
        if scale_expected {
            let last = rs_updates(&p).into_iter().rev().find(|r| r.metadata.name == "foo-old").expect("an update of foo-old");
            assert_eq!(last.replicas(), expected_old, "scenario {case}");
        }
    }
}

/// TestDeploymentController_cleanupUnhealthyReplicas.
#[test]
fn cleanup_unhealthy_replicas_table() {
    // (case, oldReplicas, readyPods, unHealthyPods, maxCleanupCount, cleanupCountExpected); the
    // unhealthy pods are oldReplicas − readyPods (status.availableReplicas = readyPods).
    let cases = [(0, 10, 8, 2, 1, 1), (1, 10, 8, 2, 3, 2), (2, 10, 8, 2, 0, 0), (3, 10, 10, 0, 3, 0)];
    for (case, old_replicas, ready, unhealthy, max_cleanup, expected) in cases {
        assert_eq!(old_replicas - ready, unhealthy, "scenario {case}: broken table");
        let mut old_rs = rs("foo-v2", old_replicas, &[], None);
        old_rs.status.available_replicas = ready;
        let d = new_deployment("foo", 10, None, Some(int(2)), Some(int(2)), &[]);
        let mut p = plan(d, at_s(0));
        let (_, cleaned) = cleanup_unhealthy_replicas(&mut p, vec![old_rs], max_cleanup).expect("no error");
        assert_eq!(cleaned, expected, "scenario {case}");
    }
}

/// Not a table case: upstream's cleanupUnhealthyReplicas refuses ("got invalid request
/// to scale down") an old ReplicaSet with more available replicas than it asks for, and
/// reconcileOldReplicaSets then returns false without scaling anything.
#[test]
fn cleanup_unhealthy_replicas_never_scales_up() {
    let mut old_rs = rs("foo-v1", 3, &[], None);
    old_rs.status.available_replicas = 5;
    let d = new_deployment("foo", 10, None, Some(int(2)), Some(int(2)), &[]);
    let mut p = plan(d.clone(), at_s(0));
    assert!(cleanup_unhealthy_replicas(&mut p, vec![old_rs.clone()], 4).is_none());
    assert!(p.writes.is_empty(), "{:?}", p.writes);
    let mut new_rs = rs("foo-v2", 10, &[], None);
    new_rs.status.available_replicas = 10;
    let mut p = plan(d, at_s(0));
    assert!(!reconcile_old_replica_sets(&mut p, &[old_rs.clone(), new_rs.clone()], vec![old_rs], &new_rs));
    assert!(p.writes.is_empty(), "{:?}", p.writes);
}

/// TestDeploymentController_scaleDownOldReplicaSetsForRollingUpdate.
#[test]
fn scale_down_old_replica_sets_for_rolling_update_table() {
    // (case, deploymentReplicas, maxUnavailable, readyPods, oldReplicas, scaleExpected, expectedOldReplicas)
    let cases =
        [(0, 10, 0, 10, 10, true, 9), (1, 10, 2, 10, 10, true, 8), (2, 10, 2, 8, 10, false, 0), (3, 10, 2, 10, 0, false, 0), (4, 10, 2, 1, 10, false, 0)];
    for (case, d_replicas, max_unavailable, ready, old_replicas, scale_expected, expected_old) in cases {
        let mut old_rs = rs("foo-v2", old_replicas, &[], None);
        old_rs.status.available_replicas = ready;
        let all = vec![old_rs.clone()];
        let d = new_deployment("foo", d_replicas, None, Some(int(0)), Some(int(max_unavailable)), &[("foo", "bar")]);
        let mut p = plan(d, at_s(0));
        let scaled = scale_down_old_replica_sets_for_rolling_update(&mut p, &all, vec![old_rs]);
        if !scale_expected {
            assert_eq!(scaled, 0, "scenario {case}: unexpected scaling: {:?}", p.writes);
            continue;
        }
        assert_ne!(scaled, 0, "scenario {case}: expected scaling to occur");
        let updates = rs_updates(&p);
        assert_eq!(updates.len(), 1, "scenario {case}: expected only 1 update action");
        assert_eq!(updates[0].replicas(), expected_old, "scenario {case}");
    }
}
