//! recreate_test.go. Left out: TestDeploymentController_rolloutRecreate, which makes the
//! fake clientset fail every ReplicaSet update; a ksim sync plans its writes and learns
//! of failures only from the apiserver's answers (mod.rs).

use super::*;
use crate::api::pod::Pod;
use crate::controller_manager::deployment::recreate::{old_pods_running, scale_down_old_replica_sets_for_recreate, PodMap};

/// TestScaleDownOldReplicaSets.
#[test]
fn scale_down_old_replica_sets_table() {
    // (case, oldRSSizes, deployment)
    let cases = [(0, vec![3], new_deployment("foo", 3, None, None, None, &[("foo", "bar")]))];
    for (case, sizes, d) in cases {
        let mut old: Vec<ReplicaSet> = sizes.iter().enumerate().map(|(n, size)| new_replica_set(&d, &format!("{}-{n}", d.metadata.name), *size)).collect();
        let mut p = plan(d, at_s(0));
        assert!(scale_down_old_replica_sets_for_recreate(&mut p, &mut old), "scenario {case}");
        for r in &old {
            assert_eq!(r.replicas(), 0, "scenario {case}: rs {:?} has non-zero replicas", r.metadata.name);
        }
        for u in rs_updates(&p) {
            assert_eq!(u.replicas(), 0, "scenario {case}: {:?} scaled to non-zero", u.metadata.name);
        }
    }
}

fn pod(phase: &'static str) -> Pod {
    let mut p = Pod::default();
    p.status.phase = phase.into();
    p
}

/// rsWithUID.
fn rs_with_uid(uid: &str) -> ReplicaSet {
    let d = new_deployment("foo", 1, None, None, None, &[("foo", "bar")]);
    let mut r = new_replica_set(&d, &format!("foo-{uid}"), 0);
    r.metadata.uid = uid.into();
    r
}

/// podMapWithUIDs: two pods (with no phase) for each uid.
fn pod_map_with_uids(uids: &[&str]) -> PodMap {
    uids.iter().map(|u| (u.to_string(), vec![Pod::default(), Pod::default()])).collect()
}

fn pod_map(entries: &[(&str, &[&'static str])]) -> PodMap {
    entries.iter().map(|(uid, phases)| (uid.to_string(), phases.iter().map(|ph| pod(ph)).collect())).collect()
}

/// TestOldPodsRunning.
#[test]
fn old_pods_running_table() {
    // (name, newRS, oldRSs, podMap, hasOldPodsRunning)
    type Case = (&'static str, Option<ReplicaSet>, Vec<ReplicaSet>, PodMap, bool);
    let cases: Vec<Case> = vec![
        ("no old RSs", None, vec![], PodMap::new(), false),
        ("old RSs with running pods", None, vec![rs_with_uid("some-uid"), rs_with_uid("other-uid")], pod_map_with_uids(&["some-uid", "other-uid"]), true),
        ("old RSs without pods but with non-zero status replicas", None, vec![new_rs_with_status("rs-1", 0, 1, &[])], PodMap::new(), true),
        ("old RSs without pods or non-zero status replicas", None, vec![new_rs_with_status("rs-1", 0, 0, &[])], PodMap::new(), false),
        (
            "old RSs with zero status replicas but pods in terminal state are present",
            None,
            vec![new_rs_with_status("rs-1", 0, 0, &[])],
            pod_map(&[("uid-1", &["Failed", "Succeeded"])]),
            false,
        ),
        (
            "old RSs with zero status replicas but pod in unknown phase present",
            None,
            vec![new_rs_with_status("rs-1", 0, 0, &[])],
            pod_map(&[("uid-1", &["Unknown"])]),
            true,
        ),
        (
            "old RSs with zero status replicas with pending pod present",
            None,
            vec![new_rs_with_status("rs-1", 0, 0, &[])],
            pod_map(&[("uid-1", &["Pending"])]),
            true,
        ),
        (
            "old RSs with zero status replicas with running pod present",
            None,
            vec![new_rs_with_status("rs-1", 0, 0, &[])],
            pod_map(&[("uid-1", &["Running"])]),
            true,
        ),
        (
            "old RSs with zero status replicas but pods in terminal state and pending are present",
            None,
            vec![new_rs_with_status("rs-1", 0, 0, &[])],
            pod_map(&[("uid-1", &["Failed", "Succeeded"]), ("uid-2", &[]), ("uid-3", &["Pending"])]),
            true,
        ),
    ];
    for (name, new_rs, old_rss, map, want) in cases {
        assert_eq!(old_pods_running(new_rs.as_ref(), &old_rss, &map), want, "{name}");
    }
}
