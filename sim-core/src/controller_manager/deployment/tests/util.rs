//! util/deployment_util_test.go. Left out: TestMinAvailable and
//! TestGetDeploymentsForReplicaSet (ksim computes both inline, in reconcileOldReplicaSets
//! and in the ReplicaSet event handler, not as functions of their own).

use super::*;
use crate::api::deployment::{DeploymentCondition, DeploymentStatus};
use crate::controller_manager::deployment::sync::{get_all_replica_sets_and_sync_revision, set_new_replica_set_annotations};
use crate::controller_manager::deployment::util::*;
use std::collections::BTreeMap;

/// generateDeployment: a Deployment named after its one container's image.
fn generate_deployment(image: &str) -> Deployment {
    let mut d = Deployment::default();
    d.metadata.name = image.into();
    d.metadata.uid = format!("uid-{image}").into();
    d.spec.replicas = Some(1);
    d.spec.selector = Some(LabelSelector { match_labels: labels(&[("name", image)]), match_expressions: Vec::new() });
    d.spec.template.metadata.labels = labels(&[("name", image)]).into();
    let c = Container { name: image.into(), image: image.into(), image_pull_policy: "Always".into(), ..Container::default() };
    d.spec.template.spec = Rc::new(PodSpecBody { containers: Rc::new(vec![c]), ..PodSpecBody::default() }.into());
    d
}

/// generateRS: a ReplicaSet of size 0 with the Deployment's template, named `name`.
fn generate_rs(d: &Deployment, name: &str) -> ReplicaSet {
    let mut r = new_replica_set(d, name, 0);
    r.metadata.labels = d.spec.template.metadata.labels.clone();
    r.spec.selector = Some(LabelSelector { match_labels: (*d.spec.template.metadata.labels).clone(), match_expressions: Vec::new() });
    r
}

/// `rs.Labels[pod-template-hash] = hash`: upstream's generateRS shares one map between
/// the ReplicaSet's labels and its template's, so the label lands in both.
fn set_hash(r: &mut ReplicaSet, hash: &str) {
    r.metadata.labels.insert(POD_TEMPLATE_HASH.into(), hash.into());
    r.spec.template.metadata.labels.insert(POD_TEMPLATE_HASH.into(), hash.into());
}

fn with_container_name(d: &mut Deployment, name: &str) {
    let mut spec = (*d.spec.template.spec).clone();
    let mut containers = (*spec.containers).clone();
    containers[0].name = name.into();
    spec.containers = Rc::new(containers);
    d.spec.template.spec = Rc::new(spec);
}

fn rolling_deployment(replicas: Option<i32>, surge: IntOrString, unavailable: IntOrString) -> Deployment {
    let mut d = Deployment::default();
    d.spec.replicas = replicas;
    d.spec.strategy = Some(DeploymentStrategy {
        type_: "RollingUpdate".into(),
        rolling_update: Some(RollingUpdateDeployment { max_surge: Some(surge), max_unavailable: Some(unavailable) }),
    });
    d
}

/// generatePodTemplateSpec.
fn generate_pod_template_spec(name: &str, node_name: &str, annotations: &[(&str, &str)], label: &[(&str, &str)]) -> PodTemplateSpec {
    let mut t = PodTemplateSpec::default();
    t.metadata.name = name.into();
    t.metadata.annotations = labels(annotations).into();
    t.metadata.labels = labels(label).into();
    t.spec = Rc::new(PodSpecBody { node_name: node_name.into(), ..PodSpecBody::default() }.into());
    t
}

/// TestEqualIgnoreHash, each case in both orders.
#[test]
fn equal_ignore_hash_table() {
    const H: &str = POD_TEMPLATE_HASH;
    let g = generate_pod_template_spec;
    let cases = [
        (
            "Same spec, same labels",
            g("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            g("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, only pod-template-hash label value is different",
            g("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            g("foo", "foo-node", &[], &[(H, "value-2"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, the former doesn't have pod-template-hash label",
            g("foo", "foo-node", &[], &[("something", "else")]),
            g("foo", "foo-node", &[], &[(H, "value-2"), ("something", "else")]),
            true,
        ),
        (
            "Same spec, the label is different, the former doesn't have pod-template-hash label, same number of labels",
            g("foo", "foo-node", &[], &[("something", "else")]),
            g("foo", "foo-node", &[], &[(H, "value-2")]),
            false,
        ),
        (
            "Same spec, the label is different, the latter doesn't have pod-template-hash label, same number of labels",
            g("foo", "foo-node", &[], &[(H, "value-1")]),
            g("foo", "foo-node", &[], &[("something", "else")]),
            false,
        ),
        (
            "Same spec, the label is different, and the pod-template-hash label value is the same",
            g("foo", "foo-node", &[], &[(H, "value-1")]),
            g("foo", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, same labels",
            g("foo", "foo-node", &[("former", "value")], &[(H, "value-1"), ("something", "else")]),
            g("foo", "foo-node", &[("latter", "value")], &[(H, "value-1"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, different pod-template-hash label value",
            g("foo-1", "foo-node", &[], &[(H, "value-1"), ("something", "else")]),
            g("foo-2", "foo-node", &[], &[(H, "value-2"), ("something", "else")]),
            false,
        ),
        (
            "Different spec, the former doesn't have pod-template-hash label",
            g("foo-1", "foo-node-1", &[], &[("something", "else")]),
            g("foo-2", "foo-node-2", &[], &[(H, "value-2"), ("something", "else")]),
            false,
        ),
        ("Different spec, different labels", g("foo", "foo-node-1", &[], &[("something", "else")]), g("foo", "foo-node-2", &[], &[("nothing", "else")]), false),
    ];
    for (name, former, latter, expected) in cases {
        assert_eq!(equal_ignore_hash(&former, &latter), expected, "{name}");
        assert_eq!(equal_ignore_hash(&latter, &former), expected, "{name} (reverse order)");
    }
}

/// TestFindNewReplicaSet.
#[test]
fn find_new_replica_set_table() {
    let (now, later) = (Some(at_s(600)), Some(at_s(660)));
    let deployment = generate_deployment("nginx");
    let mut new_rs = generate_rs(&deployment, "nginx-new");
    set_hash(&mut new_rs, "hash");
    new_rs.metadata.creation_timestamp = later;
    let mut new_rs_dup = generate_rs(&deployment, "nginx-dup");
    set_hash(&mut new_rs_dup, "different-hash");
    new_rs_dup.metadata.creation_timestamp = now;
    let mut old_deployment = generate_deployment("nginx");
    with_container_name(&mut old_deployment, "nginx-old-1");
    let mut old_rs = generate_rs(&old_deployment, "nginx-old");
    old_rs.status.fully_labeled_replicas = old_rs.replicas();
    let cases = [
        (
            "Get new ReplicaSet with the same template as Deployment spec but different pod-template-hash value",
            vec![new_rs.clone(), old_rs.clone()],
            Some("nginx-new"),
        ),
        (
            "Get the oldest new ReplicaSet when there are more than one ReplicaSet with the same template",
            vec![new_rs.clone(), old_rs.clone(), new_rs_dup.clone()],
            Some("nginx-dup"),
        ),
        ("Get nil new ReplicaSet", vec![old_rs.clone()], None),
    ];
    for (name, rs_list, expected) in cases {
        let got = find_new_replica_set(&deployment, &rs_list).map(|i| rs_list[i].metadata.name.as_str());
        assert_eq!(got, expected, "{name}");
    }
}

/// TestFindOldReplicaSets: the old ReplicaSets (every one but the new; upstream's second
/// result) as getAllReplicaSetsAndSyncRevision returns them. Upstream's first result,
/// the old ones with replicas, has no function of its own in ksim (rolloutRolling's
/// FilterActiveReplicaSets is inline), so its column is left out.
#[test]
fn find_old_replica_sets_table() {
    let (before, now, later) = (Some(at_s(540)), Some(at_s(600)), Some(at_s(660)));
    let deployment = generate_deployment("nginx");
    let mut new_rs = generate_rs(&deployment, "nginx-new");
    new_rs.spec.replicas = Some(1);
    set_hash(&mut new_rs, "hash");
    new_rs.metadata.creation_timestamp = later;
    let mut new_rs_dup = generate_rs(&deployment, "nginx-dup");
    set_hash(&mut new_rs_dup, "different-hash");
    new_rs_dup.metadata.creation_timestamp = now;
    let mut old_deployment = generate_deployment("nginx");
    with_container_name(&mut old_deployment, "nginx-old-1");
    let mut old_rs = generate_rs(&old_deployment, "nginx-old");
    old_rs.status.fully_labeled_replicas = old_rs.replicas();
    old_rs.metadata.creation_timestamp = before;
    let cases = [
        ("Get old ReplicaSets", vec![new_rs.clone(), old_rs.clone()], vec!["nginx-old"]),
        ("Get old ReplicaSets with no new ReplicaSet", vec![old_rs.clone()], vec!["nginx-old"]),
        (
            "Get old ReplicaSets with two new ReplicaSets, only the oldest new ReplicaSet is seen as new ReplicaSet",
            vec![old_rs.clone(), new_rs.clone(), new_rs_dup.clone()],
            vec!["nginx-old", "nginx-new"],
        ),
        ("Get empty old ReplicaSets", vec![new_rs.clone()], vec![]),
    ];
    for (name, rs_list, expected) in cases {
        let mut p = plan(deployment.clone(), at_s(600));
        let (_, mut old) = get_all_replica_sets_and_sync_revision(&mut p, &rs_list, false);
        old.sort_by(by_creation);
        let got: Vec<&str> = old.iter().map(|r| r.metadata.name.as_str()).collect();
        assert_eq!(got, expected, "{name}");
    }
}

/// TestGetReplicaCountForReplicaSets: spec and status counts. Its terminating-replicas
/// column is left out (ksim does not model status.terminatingReplicas).
#[test]
fn replica_count_for_replica_sets_table() {
    let sized = |name: &str, spec: i32, status: i32| {
        let mut r = generate_rs(&generate_deployment(name), name);
        r.spec.replicas = Some(spec);
        r.status.replicas = status;
        r
    };
    let (rs1, rs2, rs3, rs4) = (sized("foo-rs", 1, 2), sized("bar-rs", 2, 3), sized("unsynced-rs", 3, 0), sized("dropped-rs", 1, 1));
    let cases = [
        ("scaling down rs1", vec![rs1.clone()], 1, 2),
        ("scaling down rs1 and rs2", vec![rs1.clone(), rs2.clone()], 3, 5),
        ("scaling up rs3", vec![rs3.clone()], 3, 0),
        ("scaling down rs1 and rs2 and scaling up rs3", vec![rs1.clone(), rs2.clone(), rs3.clone()], 6, 5),
        ("invalid/unknown terminating status for rs4", vec![rs4.clone()], 1, 1),
        ("invalid/unknown terminating status for rs4 with rs1, rs2 and rs3", vec![rs1, rs2, rs3, rs4], 7, 6),
    ];
    for (name, sets, count, actual) in cases {
        assert_eq!(replica_count(&sets), count, "{name}: expectedCount");
        assert_eq!(actual_replica_count(&sets), actual, "{name}: expectedActual");
    }
}

/// TestResolveFenceposts (the newest table; ksim's own older copy is in util.rs). Left
/// out: the two cases whose values are not percentages ("oops", "urg") and expect an
/// error — ksim's apiserver refuses such values, so ResolveFenceposts has no error result.
#[test]
fn resolve_fenceposts_table() {
    // (case, maxSurge, maxUnavailable, desired, expectSurge, expectUnavailable)
    let cases = [
        (0, Some("0%"), Some("0%"), 0, 0, 1),
        (1, Some("39%"), Some("39%"), 10, 4, 3),
        (4, None, Some("39%"), 10, 0, 3),
        (5, Some("39%"), None, 10, 4, 0),
        (6, None, None, 10, 0, 1),
    ];
    for (case, surge, unavailable, desired, want_surge, want_unavailable) in cases {
        let (surge, unavailable) = (surge.map(pct), unavailable.map(pct));
        assert_eq!(resolve_fenceposts(surge.as_ref(), unavailable.as_ref(), desired), (want_surge, want_unavailable), "#{case}");
    }
}

/// TestNewRSNewReplicas.
#[test]
fn new_rs_new_replicas_table() {
    // (name, strategyType, depReplicas, newRSReplicas, maxSurge, expected)
    let cases = [
        ("can not scale up - to newRSReplicas", "RollingUpdate", 1, 5, 1, 5),
        ("scale up - to depReplicas", "RollingUpdate", 6, 2, 10, 6),
        ("recreate - to depReplicas", "Recreate", 3, 1, 1, 3),
    ];
    let mut deployment = generate_deployment("nginx");
    let mut new_rc = generate_rs(&deployment, "nginx-new");
    let mut rs5 = generate_rs(&deployment, "nginx-5");
    rs5.spec.replicas = Some(5);
    for (name, strategy, dep_replicas, new_rs_replicas, surge, expected) in cases {
        deployment.spec.replicas = Some(dep_replicas);
        deployment.spec.strategy = Some(DeploymentStrategy {
            type_: strategy.into(),
            rolling_update: Some(RollingUpdateDeployment { max_unavailable: Some(int(1)), max_surge: Some(int(surge)) }),
        });
        new_rc.spec.replicas = Some(new_rs_replicas);
        assert_eq!(new_rs_new_replicas(&deployment, std::slice::from_ref(&rs5), &new_rc), expected, "{name}");
    }
}

fn cond(type_: &str, status: &str, reason: &str) -> DeploymentCondition {
    DeploymentCondition { type_: type_.into(), status: status.into(), reason: reason.into(), ..DeploymentCondition::default() }
}

fn cond_progressing() -> DeploymentCondition {
    cond(PROGRESSING, "False", "ForSomeReason")
}

fn cond_progressing2() -> DeploymentCondition {
    cond(PROGRESSING, "True", "BecauseItIs")
}

fn cond_available() -> DeploymentCondition {
    cond(AVAILABLE, "True", "AwesomeController")
}

fn status_with(conditions: Vec<DeploymentCondition>) -> DeploymentStatus {
    DeploymentStatus { conditions, ..DeploymentStatus::default() }
}

/// TestGetCondition.
#[test]
fn get_condition_table() {
    let example = status_with(vec![cond_progressing(), cond_available()]);
    let cases = [("condition exists", AVAILABLE, true), ("condition does not exist", REPLICA_FAILURE, false)];
    for (name, type_, expected) in cases {
        assert_eq!(get_condition(&example, type_).is_some(), expected, "{name}");
    }
}

/// TestSetCondition.
#[test]
fn set_condition_table() {
    let cases = [
        ("set for the first time", status_with(vec![]), cond_available(), status_with(vec![cond_available()])),
        ("simple set", status_with(vec![cond_progressing()]), cond_available(), status_with(vec![cond_progressing(), cond_available()])),
        ("overwrite", status_with(vec![cond_progressing()]), cond_progressing2(), status_with(vec![cond_progressing2()])),
    ];
    for (name, mut status, c, expected) in cases {
        set_condition(&mut status, c);
        assert_eq!(status, expected, "{name}");
    }
}

/// TestRemoveCondition.
#[test]
fn remove_condition_table() {
    let cases = [
        ("remove from empty status", status_with(vec![]), PROGRESSING, status_with(vec![])),
        ("simple remove", status_with(vec![cond_progressing()]), PROGRESSING, status_with(vec![])),
        (
            "doesn't remove anything",
            status_with(vec![cond_progressing(), cond_available()]),
            REPLICA_FAILURE,
            status_with(vec![cond_progressing(), cond_available()]),
        ),
    ];
    for (name, mut status, type_, expected) in cases {
        remove_condition(&mut status, type_);
        assert_eq!(status, expected, "{name}");
    }
}

/// TestDeploymentComplete.
#[test]
fn deployment_complete_table() {
    let deployment = |desired, current, updated, available, max_unavailable, max_surge| {
        let mut d = rolling_deployment(Some(desired), int(max_surge), int(max_unavailable));
        d.status = DeploymentStatus { replicas: current, updated_replicas: updated, available_replicas: available, ..DeploymentStatus::default() };
        d
    };
    let cases = [
        ("not complete: min but not all pods become available", deployment(5, 5, 5, 4, 1, 0), false),
        ("not complete: min availability is not honored", deployment(5, 5, 5, 3, 1, 0), false),
        ("complete", deployment(5, 5, 5, 5, 0, 0), true),
        ("not complete: all pods are available but not updated", deployment(5, 5, 4, 5, 0, 0), false),
        // old replica set: spec.replicas=1, status.replicas=1, status.availableReplicas=1
        // new replica set: spec.replicas=1, status.replicas=1, status.availableReplicas=0
        ("not complete: still running old pods", deployment(1, 2, 1, 1, 0, 1), false),
        ("not complete: one replica deployment never comes up", deployment(1, 1, 1, 0, 1, 1), false),
    ];
    for (name, d, expected) in cases {
        assert_eq!(deployment_complete(&d, &d.status), expected, "{name}");
    }
}

/// TestDeploymentProgressing.
#[test]
fn deployment_progressing_table() {
    let status = |current, updated, ready, available| DeploymentStatus {
        replicas: current,
        updated_replicas: updated,
        ready_replicas: ready,
        available_replicas: available,
        ..DeploymentStatus::default()
    };
    let deployment = |current, updated, ready, available| Deployment { status: status(current, updated, ready, available), ..Deployment::default() };
    let cases = [
        ("progressing: updated pods", deployment(10, 4, 4, 4), status(10, 6, 4, 4), true),
        ("not progressing", deployment(10, 4, 4, 4), status(10, 4, 4, 4), false),
        ("progressing: old pods removed", deployment(10, 4, 6, 6), status(8, 4, 6, 6), true),
        ("not progressing: less new pods", deployment(10, 7, 3, 3), status(10, 6, 3, 3), false),
        ("progressing: less overall but more new pods", deployment(10, 4, 7, 7), status(8, 8, 5, 5), true),
        ("progressing: more ready pods", deployment(10, 10, 9, 8), status(10, 10, 10, 8), true),
        ("progressing: more available pods", deployment(10, 10, 10, 9), status(10, 10, 10, 10), true),
    ];
    for (name, d, new_status, expected) in cases {
        assert_eq!(deployment_progressing(&d, &new_status), expected, "{name}");
    }
}

/// TestDeploymentTimedOut. Upstream's times are 2016-01-01 00:MM:SS; here MM:SS into the
/// run.
#[test]
fn deployment_timed_out_table() {
    let time_fn = |min: u64, sec: u64| at_s(min * 60 + sec);
    let deployment = |type_: &str, status: &str, reason: &str, pds: Option<i32>, from: Option<Time>| {
        let mut d = Deployment::default();
        d.spec.progress_deadline_seconds = pds;
        d.status.conditions = vec![DeploymentCondition { last_update_time: from, ..cond(type_, status, reason) }];
        d
    };
    let (ten, infinite) = (Some(10), Some(i32::MAX));
    let cases = [
        ("nil progressDeadlineSeconds specified - no timeout", deployment(PROGRESSING, "True", "", None, Some(time_fn(1, 9))), time_fn(1, 20), false),
        ("infinite progressDeadlineSeconds specified - no timeout", deployment(PROGRESSING, "True", "", infinite, Some(time_fn(1, 9))), time_fn(1, 20), false),
        (
            "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:09 => 11s",
            deployment(PROGRESSING, "True", "", ten, Some(time_fn(1, 9))),
            time_fn(1, 20),
            true,
        ),
        (
            "progressDeadlineSeconds: 10s, now - started => 00:01:20 - 00:01:11 => 9s",
            deployment(PROGRESSING, "True", "", ten, Some(time_fn(1, 11))),
            time_fn(1, 20),
            false,
        ),
        // Upstream leaves nowFn as the previous case set it.
        ("previous status was a complete deployment", deployment(PROGRESSING, "True", NEW_RS_AVAILABLE_REASON, None, None), time_fn(1, 20), false),
    ];
    for (name, d, now, expected) in cases {
        assert_eq!(deployment_timed_out(&d, &d.status, now), expected, "{name}");
    }
}

/// TestMaxUnavailable.
#[test]
fn max_unavailable_table() {
    let deployment = |replicas, max_unavailable| rolling_deployment(Some(replicas), int(1), max_unavailable);
    let recreate = Deployment {
        spec: crate::api::deployment::DeploymentSpec {
            strategy: Some(DeploymentStrategy { type_: "Recreate".into(), rolling_update: None }),
            ..Default::default()
        },
        ..Deployment::default()
    };
    let cases = [
        ("maxUnavailable less than replicas", deployment(10, int(5)), 5),
        ("maxUnavailable equal replicas", deployment(10, int(10)), 10),
        ("maxUnavailable greater than replicas", deployment(5, int(10)), 5),
        ("maxUnavailable with replicas is 0", deployment(0, int(10)), 0),
        ("maxUnavailable with Recreate deployment strategy", recreate, 0),
        ("maxUnavailable less than replicas with percents", deployment(10, pct("50%")), 5),
        ("maxUnavailable equal replicas with percents", deployment(10, pct("100%")), 10),
        ("maxUnavailable greater than replicas with percents", deployment(5, pct("100%")), 5),
    ];
    for (name, d, expected) in cases {
        assert_eq!(max_unavailable(&d), expected, "{name}");
    }
}

/// TestGetNonNegativeInt32FromAnnotation (value and validity; ksim keeps no error).
#[test]
fn non_negative_i32_from_annotation_table() {
    let max = i32::MAX.to_string();
    let over = (i32::MAX as u32 + 1).to_string();
    let over2 = (u64::from(u32::MAX) + 1).to_string();
    let cases: [(&str, Option<&str>, Option<i32>); 9] = [
        ("invalid empty", None, None),
        ("invalid", Some("invalid"), None),
        ("invalid negative ", Some("-1"), None),
        ("valid zero", Some("0"), Some(0)),
        ("valid", Some("13"), Some(13)),
        ("valid max", Some(&max), Some(i32::MAX)),
        ("invalid max out of range", Some(&over), None),
        ("invalid max out of range 2", Some(&over2), None),
        // Not in upstream's table: ParseUint takes no sign.
        ("invalid plus sign", Some("+5"), None),
    ];
    let deployment = generate_deployment("nginx");
    for (name, value, expected) in cases {
        let mut r = generate_rs(&deployment, "nginx-1");
        r.metadata.annotations = match value {
            None => BTreeMap::new().into(),
            Some(v) => [("test".to_string(), v.to_string()), ("foo".to_string(), "2".to_string())].into(),
        };
        assert_eq!(non_negative_i32_from_annotation(&r, "test"), expected, "{name}");
    }
}

/// TestAnnotationUtils: SetNewReplicaSetAnnotations with a revision-history limit of 5
/// characters keeps the last two revisions; SetReplicasAnnotations; IsSaturated.
#[test]
fn annotation_utils() {
    let mut t_deployment = generate_deployment("nginx");
    let mut t_rs = generate_rs(&t_deployment, "nginx-1");
    t_deployment.metadata.annotations.insert(REVISION.into(), "1".into());

    // SetNewReplicaSetAnnotations: increment the revision from 11 through 20.
    for i in 10..20 {
        let next_revision = i + 1;
        set_new_replica_set_annotations(&t_deployment, &mut t_rs, next_revision, true, 5);
        if i >= 12 {
            let expected_history = format!("{},{}", i - 1, i);
            assert_eq!(t_rs.metadata.annotations.get(REVISION_HISTORY), Some(&expected_history), "Revision History at {i}");
        }
        assert_eq!(t_rs.metadata.annotations.get(REVISION), Some(&next_revision.to_string()), "Revision at {i}");
    }

    // SetReplicasAnnotations.
    assert!(set_replicas_annotations(&mut t_rs, 10, 11), "SetReplicasAnnotations() failed");
    assert_eq!(t_rs.metadata.annotations.get(DESIRED_REPLICAS).map(String::as_str), Some("10"));
    assert_eq!(t_rs.metadata.annotations.get(MAX_REPLICAS).map(String::as_str), Some("11"));

    // IsSaturated: annotations reflect the Deployment's state.
    t_rs.metadata.annotations.insert(DESIRED_REPLICAS.into(), "1".into());
    t_rs.status.available_replicas = 1;
    t_rs.spec.replicas = Some(1);
    assert!(is_saturated(&t_deployment, Some(&t_rs)), "IsSaturated");
}

/// TestReplicasAnnotationsNeedUpdate.
#[test]
fn replicas_annotations_need_update_table() {
    let with = |annotations: &[(&str, &str)]| {
        let mut r = rs("hello", 1, &[("foo", "bar")], None);
        r.metadata.namespace = "test".into();
        r.spec.replicas = None;
        r.metadata.annotations = labels(annotations).into();
        r
    };
    let cases = [
        ("test Annotations nil", with(&[]), true),
        ("test desiredReplicas update", with(&[(DESIRED_REPLICAS, "8"), (MAX_REPLICAS, "20")]), true),
        ("test maxReplicas update", with(&[(DESIRED_REPLICAS, "10"), (MAX_REPLICAS, "16")]), true),
        ("test needn't update", with(&[(DESIRED_REPLICAS, "10"), (MAX_REPLICAS, "20")]), false),
    ];
    for (name, r, expected) in cases {
        assert_eq!(replicas_annotations_need_update(&r, 10, 20), expected, "{name}");
    }
}

/// TestGetReplicaSetFraction.
#[test]
fn replica_set_fraction_table() {
    // (name, deploymentReplicas, deploymentStatusReplicas, deploymentMaxSurge, rsReplicas, max-replicas annotation, expectedFraction)
    let cases = [
        ("empty deployment always scales to 0", 0, 0, 0, 10, None, -10),
        ("unsynced deployment does not scale when max-replicas annotation is missing (removed by a 3rd party)", 10, 0, 0, 5, None, 0),
        ("unsynced deployment does not scale when max-replicas annotation is incorrectly set to 0 (by a 3rd party)", 10, 0, 0, 5, Some("0"), 0),
        ("scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is missing (removed by a 3rd party)", 120, 100, 0, 50, None, 10),
        (
            "scale up by 1/5 should increase RS replicas by 1/5 when max-replicas annotation is incorrectly set to 0 (by a 3rd party)",
            120,
            100,
            0,
            50,
            Some("0"),
            10,
        ),
        ("scale up by 1/5 should increase RS replicas by 1/5", 120, 0, 0, 50, Some("100"), 10),
        // not the whole 1/5 (10) since maxSurge pods have to be taken into account and
        // replica sets with these surge pods should proportionally scale as well
        ("scale up with maxSurge by 1/5 should increase RS replicas approximately by 1/5", 120, 0, 10, 50, Some("110"), 9),
        ("scale down by 1/6 should decrease RS replicas by 1/6", 10, 0, 0, 6, Some("12"), -1),
        ("scale down with maxSurge by 1/6 should decrease RS replicas approximately by 1/6", 100, 0, 10, 50, Some("130"), -8),
    ];
    for (name, d_replicas, d_status_replicas, d_surge, rs_replicas, max_annotation, expected) in cases {
        let mut d = generate_deployment("nginx");
        d.status.replicas = d_status_replicas;
        d.spec.replicas = Some(d_replicas);
        d.spec.strategy = Some(DeploymentStrategy {
            type_: "RollingUpdate".into(),
            rolling_update: Some(RollingUpdateDeployment { max_surge: Some(int(d_surge)), max_unavailable: Some(int(1)) }),
        });
        let mut r = generate_rs(&d, "nginx-1");
        r.metadata.annotations = max_annotation.map(|v| [(MAX_REPLICAS.to_string(), v.to_string())].into()).unwrap_or_default();
        r.spec.replicas = Some(rs_replicas);
        assert_eq!(replica_set_fraction(&r, &d), expected, "{name}");
    }
}

/// Not a table case: SetNewReplicaSetAnnotations starts the revision history afresh when
/// the history's first element is empty (`len(oldRevisions[0]) == 0`), not only when the
/// whole annotation is.
#[test]
fn revision_history_with_empty_first_element_restarts() {
    let d = generate_deployment("nginx");
    let mut r = generate_rs(&d, "nginx-1");
    r.metadata.annotations.insert(REVISION.into(), "3".into());
    r.metadata.annotations.insert(REVISION_HISTORY.into(), ",1".into());
    assert!(set_new_replica_set_annotations(&d, &mut r, 5, true, MAX_REV_HISTORY_LENGTH_IN_CHARS));
    assert_eq!(r.metadata.annotations.get(REVISION_HISTORY).map(String::as_str), Some("3"));
    assert_eq!(r.metadata.annotations.get(REVISION).map(String::as_str), Some("5"));
}
