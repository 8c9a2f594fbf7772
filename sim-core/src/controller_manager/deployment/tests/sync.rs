//! sync_test.go.

use super::*;
use crate::controller_manager::deployment::sync::{cleanup_deployment, generate_replica_set_name, get_all_replica_sets_and_sync_revision, scale};
use crate::controller_manager::deployment::util::{max_surge, set_replicas_annotations, REVISION};

/// One TestScale case: the sizes and creation times of the ReplicaSets before and the
/// sizes expected after.
struct ScaleCase {
    name: &'static str,
    deployment: Deployment,
    old_deployment: Deployment,
    new_rs: Option<ReplicaSet>,
    old_rss: Vec<ReplicaSet>,
    expected_new: Option<i32>,
    expected_old: Vec<i32>,
    wasnt_updated: &'static [&'static str],
    desired_replicas_annotations: &'static [(&'static str, i32)],
}

fn d(replicas: i32, surge: Option<i32>, unavailable: Option<i32>) -> Deployment {
    new_deployment("foo", replicas, None, surge.map(int), unavailable.map(int), &[])
}

/// TestScale's timestamps: 2016-05-20 00:00, 01:00 and 02:00.
fn older() -> Option<Time> {
    Some(at_s(0))
}
fn old() -> Option<Time> {
    Some(at_s(3600))
}
fn newer() -> Option<Time> {
    Some(at_s(7200))
}

fn scale_cases() -> Vec<ScaleCase> {
    let case = |name, deployment, old_deployment, new_rs, old_rss, expected_new, expected_old| ScaleCase {
        name,
        deployment,
        old_deployment,
        new_rs,
        old_rss,
        expected_new,
        expected_old,
        wasnt_updated: &[],
        desired_replicas_annotations: &[],
    };
    let updated_template = |replicas| {
        let mut d = new_deployment("foo", replicas, None, None, None, &[("foo", "bar")]);
        d.spec.template.metadata.labels.insert("another".into(), "label".into());
        d
    };
    let mut broken_new = rs("foo-v2", 2, &[], newer());
    broken_new.status.available_replicas = 0;
    vec![
        case("normal scaling event: 10 -> 12", d(12, None, None), d(10, None, None), Some(rs("foo-v1", 10, &[], newer())), vec![], Some(12), vec![]),
        case("normal scaling event: 10 -> 5", d(5, None, None), d(10, None, None), Some(rs("foo-v1", 10, &[], newer())), vec![], Some(5), vec![]),
        case(
            "proportional scaling: 5 -> 10",
            d(10, None, None),
            d(5, None, None),
            Some(rs("foo-v2", 2, &[], newer())),
            vec![rs("foo-v1", 3, &[], old())],
            Some(4),
            vec![6],
        ),
        case(
            "proportional scaling: 5 -> 3",
            d(3, None, None),
            d(5, None, None),
            Some(rs("foo-v2", 2, &[], newer())),
            vec![rs("foo-v1", 3, &[], old())],
            Some(1),
            vec![2],
        ),
        case(
            "proportional scaling: 9 -> 4",
            d(4, None, None),
            d(9, None, None),
            Some(rs("foo-v2", 8, &[], newer())),
            vec![rs("foo-v1", 1, &[], old())],
            Some(4),
            vec![0],
        ),
        case(
            "proportional scaling: 7 -> 10",
            d(10, None, None),
            d(7, None, None),
            Some(rs("foo-v3", 2, &[], newer())),
            vec![rs("foo-v2", 3, &[], old()), rs("foo-v1", 2, &[], older())],
            Some(3),
            vec![4, 3],
        ),
        case(
            "proportional scaling: 13 -> 8",
            d(8, None, None),
            d(13, None, None),
            Some(rs("foo-v3", 2, &[], newer())),
            vec![rs("foo-v2", 8, &[], old()), rs("foo-v1", 3, &[], older())],
            Some(1),
            vec![5, 2],
        ),
        // Scales up the new replica set.
        case(
            "leftover distribution: 3 -> 4",
            d(4, None, None),
            d(3, None, None),
            Some(rs("foo-v3", 1, &[], newer())),
            vec![rs("foo-v2", 1, &[], old()), rs("foo-v1", 1, &[], older())],
            Some(2),
            vec![1, 1],
        ),
        // Scales down the older replica set.
        case(
            "leftover distribution: 3 -> 2",
            d(2, None, None),
            d(3, None, None),
            Some(rs("foo-v3", 1, &[], newer())),
            vec![rs("foo-v2", 1, &[], old()), rs("foo-v1", 1, &[], older())],
            Some(1),
            vec![1, 0],
        ),
        // Scales up the latest replica set first.
        case(
            "proportional scaling (no new rs): 4 -> 5",
            d(5, None, None),
            d(4, None, None),
            None,
            vec![rs("foo-v2", 2, &[], old()), rs("foo-v1", 2, &[], older())],
            None,
            vec![3, 2],
        ),
        // Scales down to zero
        case(
            "proportional scaling: 6 -> 0",
            d(0, None, None),
            d(6, None, None),
            Some(rs("foo-v3", 3, &[], newer())),
            vec![rs("foo-v2", 2, &[], old()), rs("foo-v1", 1, &[], older())],
            Some(0),
            vec![0, 0],
        ),
        // Scales up from zero
        ScaleCase {
            wasnt_updated: &["foo-v2", "foo-v1"],
            ..case(
                "proportional scaling: 0 -> 6",
                d(6, None, None),
                d(6, None, None),
                Some(rs("foo-v3", 0, &[], newer())),
                vec![rs("foo-v2", 0, &[], old()), rs("foo-v1", 0, &[], older())],
                Some(6),
                vec![0, 0],
            )
        },
        // Scenario: deployment.spec.replicas == 3 ( foo-v1.spec.replicas == foo-v2.spec.replicas == foo-v3.spec.replicas == 1 )
        // Deployment is scaled to 5. foo-v3.spec.replicas and foo-v2.spec.replicas should increment by 1 but foo-v2 fails to
        // update.
        ScaleCase {
            wasnt_updated: &["foo-v3", "foo-v1"],
            desired_replicas_annotations: &[("foo-v2", 3)],
            ..case(
                "failed rs update",
                d(5, None, None),
                d(5, None, None),
                Some(rs("foo-v3", 2, &[], newer())),
                vec![rs("foo-v2", 1, &[], old()), rs("foo-v1", 1, &[], older())],
                Some(2),
                vec![2, 1],
            )
        },
        case(
            "deployment with surge pods",
            d(20, Some(2), None),
            d(10, Some(2), None),
            Some(rs("foo-v2", 6, &[], newer())),
            vec![rs("foo-v1", 6, &[], old())],
            Some(11),
            vec![11],
        ),
        case(
            "change both surge and size",
            d(50, Some(6), None),
            d(10, Some(3), None),
            Some(rs("foo-v2", 5, &[], newer())),
            vec![rs("foo-v1", 8, &[], old())],
            Some(22),
            vec![34],
        ),
        case(
            "change both size and template",
            updated_template(14),
            new_deployment("foo", 10, None, None, None, &[("foo", "bar")]),
            None,
            vec![rs("foo-v2", 7, &[], newer()), rs("foo-v1", 3, &[], old())],
            None,
            vec![10, 4],
        ),
        case(
            "saturated but broken new replica set does not affect old pods",
            d(2, Some(1), Some(1)),
            d(2, Some(1), Some(1)),
            Some(broken_new),
            vec![rs("foo-v1", 1, &[], old())],
            Some(2),
            vec![1],
        ),
    ]
}

/// TestScale (the "v1" scale, ksim's `scale`). Left out: the nineteen cases with
/// enableDeploymentPodReplacementPolicy (terminating pods, TerminationStarted /
/// TerminationComplete policies, partial scaling with the replicas-before-scale
/// annotation, the "broken rs" errors): ksim models neither spec.podReplacementPolicy nor
/// status.terminatingReplicas, and upstream runs those cases only through scaleV2.
#[test]
fn scale_table() {
    for mut c in scale_cases() {
        // Upstream's setup: a ReplicaSet without annotations gets the old Deployment's
        // replica annotations (or the desired count the case names for it).
        for r in c.new_rs.iter_mut().chain(c.old_rss.iter_mut()) {
            if !r.metadata.annotations.is_empty() {
                continue;
            }
            let mut od = c.old_deployment.clone();
            if let Some((_, want)) = c.desired_replicas_annotations.iter().find(|(n, _)| *n == r.metadata.name) {
                od.spec.replicas = Some(*want);
            }
            set_replicas_annotations(r, od.replicas(), od.replicas() + max_surge(&od));
        }
        let mut p = plan(c.deployment.clone(), at_s(0));
        scale(&mut p, c.new_rs.as_ref(), &c.old_rss);
        let mut by_name: std::collections::BTreeMap<String, ReplicaSet> =
            c.new_rs.iter().chain(c.old_rss.iter()).map(|r| (r.metadata.name.to_string(), r.clone())).collect();
        for u in rs_updates(&p) {
            if !c.wasnt_updated.contains(&u.metadata.name.as_str()) {
                by_name.insert(u.metadata.name.to_string(), u.clone());
            }
        }
        if let (Some(want), Some(new_rs)) = (c.expected_new, &c.new_rs) {
            assert_eq!(by_name[new_rs.metadata.name.as_str()].replicas(), want, "{}: new replicas", c.name);
        }
        assert_eq!(c.expected_old.len(), c.old_rss.len(), "{}: broken table", c.name);
        for (r, want) in c.old_rss.iter().zip(&c.expected_old) {
            assert_eq!(by_name[r.metadata.name.as_str()].replicas(), *want, "{}: old ({}) replicas", c.name, r.metadata.name);
        }
    }
}

/// TestDeploymentController_cleanupDeployment. Left out: the case "Only delete the
/// replica set with Spec.Replicas = Status.Replicas = Status.TerminatingReplicas = 0"
/// (enableDeploymentPodReplacementPolicy): ksim does not model status.terminatingReplicas.
#[test]
fn cleanup_deployment_table() {
    let sel = [("foo", "bar")];
    let mut already_deleted = new_rs_with_status("foo-1", 0, 0, &sel);
    already_deleted.metadata.rare.deletion_timestamp = Some(at_s(0));
    // (case, oldRSs, revisionHistoryLimit, expectedDeletions)
    let cases: Vec<(usize, Vec<ReplicaSet>, i32, usize)> = vec![
        (0, vec![new_rs_with_status("foo-1", 0, 0, &sel), new_rs_with_status("foo-2", 0, 0, &sel), new_rs_with_status("foo-3", 0, 0, &sel)], 1, 2),
        // Only delete the replica set with Spec.Replicas = Status.Replicas = 0.
        (
            1,
            vec![
                new_rs_with_status("foo-1", 0, 0, &sel),
                new_rs_with_status("foo-2", 0, 1, &sel),
                new_rs_with_status("foo-3", 1, 0, &sel),
                new_rs_with_status("foo-4", 1, 1, &sel),
            ],
            0,
            1,
        ),
        (3, vec![new_rs_with_status("foo-1", 0, 0, &sel), new_rs_with_status("foo-2", 0, 0, &sel)], 0, 2),
        (4, vec![new_rs_with_status("foo-1", 1, 1, &sel), new_rs_with_status("foo-2", 1, 1, &sel)], 0, 0),
        (5, vec![already_deleted], 0, 0),
        // with unlimited revisionHistoryLimit
        (6, vec![new_rs_with_status("foo-1", 0, 0, &sel), new_rs_with_status("foo-2", 0, 0, &sel), new_rs_with_status("foo-3", 0, 0, &sel)], i32::MAX, 0),
    ];
    for (case, old_rss, limit, expected) in cases {
        let d = new_deployment("foo", 1, Some(limit), None, None, &sel);
        let mut p = plan(d, at_s(0));
        cleanup_deployment(&mut p, &old_rss);
        assert_eq!(rs_deletions(&p).len(), expected, "scenario {case}");
    }
}

/// TestDeploymentController_cleanupDeploymentOrder: by revision (a missing one counts as
/// 0), then by creation; creation order is always foo-1 < foo-2 < foo-3 < foo-4.
#[test]
fn cleanup_deployment_order_table() {
    let sel = [("foo", "bar")];
    let now = 600;
    let rs_rev = |name: &str, replicas: i32, created_s: u64, revision: &str| {
        let mut r = rs(name, replicas, &sel, Some(at_s(created_s)));
        if !revision.is_empty() {
            r.metadata.annotations.insert(REVISION.into(), revision.into());
        }
        r.status.replicas = replicas;
        r
    };
    // (comment, oldRSs, revisionHistoryLimit, expectedDeletedRSs)
    let cases: Vec<(&str, Vec<ReplicaSet>, i32, Vec<&str>)> = vec![
        ("revision order: rs1 < rs2, delete rs1", vec![rs_rev("foo-1", 0, now - 60, "1"), rs_rev("foo-2", 0, now, "2")], 1, vec!["foo-1"]),
        ("revision order: rs2 < rs1, delete rs2", vec![rs_rev("foo-1", 0, now - 60, "2"), rs_rev("foo-2", 0, now, "1")], 1, vec!["foo-2"]),
        ("rs1 has revision but rs2 doesn't have revision, delete rs2", vec![rs_rev("foo-1", 0, now - 60, "1"), rs_rev("foo-2", 0, now, "")], 1, vec!["foo-2"]),
        (
            "rs1 doesn't have revision while rs2 has revision, delete rs1",
            vec![rs_rev("foo-1", 0, now - 60, ""), rs_rev("foo-2", 0, now, "2")],
            1,
            vec!["foo-1"],
        ),
        (
            "revision order: rs1 < rs2 < r3, but rs1 has replicas, delete rs2",
            vec![rs_rev("foo-1", 1, now - 60, "1"), rs_rev("foo-2", 0, now, "2"), rs_rev("foo-3", 0, now + 60, "3")],
            1,
            vec!["foo-2"],
        ),
        (
            "revision order: rs1 < rs2 < r3, both rs1 && rs2 have replicas, don't delete",
            vec![rs_rev("foo-1", 1, now - 60, "1"), rs_rev("foo-2", 1, now, "2"), rs_rev("foo-3", 0, now + 60, "3")],
            1,
            vec![],
        ),
        (
            "revision order: rs2 < rs4 < rs1 < rs3, delete rs2 && rs4",
            vec![rs_rev("foo-1", 0, now - 60, "3"), rs_rev("foo-2", 0, now, "1"), rs_rev("foo-3", 0, now + 60, "4"), rs_rev("foo-4", 0, now + 120, "2")],
            2,
            vec!["foo-2", "foo-4"],
        ),
    ];
    for (comment, old_rss, limit, expected) in cases {
        let d = new_deployment("foo", 1, Some(limit), None, None, &sel);
        let mut p = plan(d, at_s(now));
        cleanup_deployment(&mut p, &old_rss);
        let mut deleted = rs_deletions(&p);
        deleted.sort();
        assert_eq!(deleted, expected, "{comment}");
    }
}

/// TestGenerateReplicaSetName.
#[test]
fn generate_replica_set_name_table() {
    let (a242, b250, b242, d252, h252) = ("a".repeat(242), "b".repeat(250), "b".repeat(242), "d".repeat(252), "h".repeat(252));
    let cases = [
        ("short name", "my-deployment".to_string(), "abcde12345".to_string(), "my-deployment-abcde12345".to_string()),
        ("maximum length without truncating", a242.clone(), "abcde12345".into(), format!("{a242}-abcde12345")),
        ("very long deployment name is truncated", b250, "abcde12345".into(), format!("{b242}-abcde12345")),
        ("very long hash is not truncated", d252.clone(), h252.clone(), format!("{d252}-{h252}")),
    ];
    for (name, deployment_name, hash, want) in cases {
        assert_eq!(generate_replica_set_name(&deployment_name, &hash), want, "{name}");
    }
}

/// TestDeploymentController_generateReplicaSetName: the ReplicaSet getNewReplicaSet
/// creates is named within 253 characters, the Deployment's name cut to 242.
#[test]
fn new_replica_set_name_table() {
    let cases = [
        ("short name", "my-deployment".to_string(), "my-deployment".to_string()),
        ("very long name truncated", "a".repeat(250), "a".repeat(242)),
        ("very long name not truncated", "a".repeat(242), "a".repeat(242)),
    ];
    for (name, deployment_name, want_portion) in cases {
        let d = new_deployment(&deployment_name, 1, None, None, None, &[("foo", "bar")]);
        let mut p = plan(d, at_s(0));
        get_all_replica_sets_and_sync_revision(&mut p, &[], true);
        let created = p
            .writes
            .iter()
            .find_map(|w| match w {
                Write::CreateReplicaSet(r) => Some(r.metadata.name.to_string()),
                _ => None,
            })
            .expect("a ReplicaSet is created");
        assert!(created.len() <= 253, "{name}: ReplicaSet name length {}", created.len());
        let (portion, _hash) = created.rsplit_once('-').expect("at least one hyphen");
        assert_eq!(portion, want_portion, "{name}");
    }
}
