//! The reconciler against upstream's reconciler_test.go scenarios
//! (staging/src/k8s.io/endpointslice/reconciler_test.go: TestReconcileEmpty,
//! TestReconcileManyPods, TestReconcileEndpointSlicesSomePreexisting,
//! TestReconcileEndpointSlicesSomePreexistingWorseAllocation,
//! TestReconcileEndpointSlicesRecycling, TestReconcileEndpointSlicesUpdating) and
//! utils_test.go TestPodToEndpoint's conditions. Pods as upstream's newPod builds them:
//! `pod<i>`, labels foo=bar, on node-1, ready unless i % 3 == 0.

use super::*;
use crate::api::meta::Time;
use crate::api::pod::{PodCondition, PodIp};
use crate::api::service::ServicePort;
use crate::engine::SimTime;

fn service() -> Service {
    let mut s = Service::default();
    s.metadata.name = "foo".into();
    s.metadata.namespace = "test".into();
    s.metadata.uid = "svc-uid".into();
    s.spec.cluster_ip = "10.96.0.10".into();
    s.spec.selector = Some([("foo".to_string(), "bar".to_string())].into());
    s.spec.ports =
        vec![ServicePort { name: Some("foo".into()), protocol: Some("TCP".into()), port: 80, target_port: Some(IntOrString::Int(8080)), ..Default::default() }];
    s
}

fn pod(i: usize, ready: bool) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = format!("pod{i}").into();
    p.metadata.namespace = "test".into();
    p.metadata.uid = format!("uid-{i}").into();
    p.metadata.labels = [("foo".to_string(), "bar".to_string())].into();
    std::rc::Rc::make_mut(&mut p.spec).node_name = "node-1".into();
    p.status.phase = "Running".into();
    p.status.pod_ip = format!("1.2.{}.{}", i / 250, 4 + i % 250).into();
    p.status.pod_ips = vec![PodIp { ip: p.status.pod_ip.clone() }].into();
    p.status.conditions =
        thin_vec::thin_vec![PodCondition { type_: "Ready".into(), status: if ready { "True" } else { "False" }.into(), ..Default::default() }];
    p
}

fn pods(n: usize) -> Vec<Pod> {
    (0..n).map(|i| pod(i, i % 3 != 0)).collect()
}

/// An existing slice named `foo-<n>` holding these pods' endpoints.
fn slice(n: usize, svc: &Service, members: &[&Pod]) -> EndpointSlice {
    let mut s = new_slice(svc, &endpoint_ports(svc, members.first().copied().unwrap_or(&pod(0, true))));
    s.metadata.name = format!("foo-{n}").into();
    s.metadata.generate_name.clear();
    s.endpoints = members.iter().map(|p| pod_to_endpoint(p, None, svc)).collect();
    s
}

fn lengths(plan: &Plan, existing: &[EndpointSlice]) -> Vec<usize> {
    let touched: BTreeSet<&str> = plan.update.iter().chain(&plan.delete).map(|s| s.metadata.name.as_str()).collect();
    let mut v: Vec<usize> = existing.iter().filter(|s| !touched.contains(s.metadata.name.as_str())).map(|s| s.endpoints.len()).collect();
    v.extend(plan.create.iter().chain(&plan.update).map(|s| s.endpoints.len()));
    v.sort_unstable();
    v
}

fn run(svc: &Service, pods: &[Pod], existing: &[EndpointSlice]) -> Plan {
    let pods: Vec<&Pod> = pods.iter().collect();
    let existing: Vec<&EndpointSlice> = existing.iter().collect();
    reconcile(svc, &pods, &BTreeMap::new(), &existing)
}

#[test]
fn no_pods_get_one_placeholder_slice_kept_across_syncs() {
    let svc = service();
    let plan = run(&svc, &[], &[]);
    assert_eq!((plan.create.len(), plan.update.len(), plan.delete.len()), (1, 0, 0));
    let p = &plan.create[0];
    assert_eq!((p.endpoints.len(), p.ports.as_deref()), (0, Some(&[][..])));
    assert_eq!(p.metadata.generate_name, "foo-");
    assert_eq!(p.metadata.labels.get(LABEL_SERVICE_NAME).map(String::as_str), Some("foo"));
    assert_eq!(p.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str), Some(SLICE_CONTROLLER_NAME));
    assert_eq!(p.metadata.owner_references[0].kind, "Service");
    // The placeholder stays (no delete and re-create).
    let mut existing = p.clone();
    existing.metadata.name = "foo-abcde".into();
    let again = run(&svc, &[], &[existing]);
    assert_eq!((again.create.len(), again.update.len(), again.delete.len()), (0, 0, 0));
}

#[test]
fn many_pods_fill_slices_of_a_hundred() {
    // TestReconcileManyPods: 250 pods → 3 creates of 100, 100 and 50.
    let plan = run(&service(), &pods(250), &[]);
    assert_eq!((plan.create.len(), plan.update.len(), plan.delete.len()), (3, 0, 0));
    assert_eq!(lengths(&plan, &[]), [50, 100, 100]);
}

#[test]
fn leftovers_go_to_the_unchanged_slice_that_ends_up_fullest() {
    // TestReconcileEndpointSlicesSomePreexisting: slices of pods 1,5,9,… (62) and
    // 3,7,11,… (61); 127 to add → one new slice of 100, 27 into the first → 89, 61, 100.
    let svc = service();
    let all = pods(250);
    let s1: Vec<&Pod> = (1..all.len() - 4).step_by(4).map(|i| &all[i]).collect();
    let s2: Vec<&Pod> = (3..all.len() - 4).step_by(4).map(|i| &all[i]).collect();
    let existing = [slice(1, &svc, &s1), slice(2, &svc, &s2)];
    assert_eq!((existing[0].endpoints.len(), existing[1].endpoints.len()), (62, 61));
    let plan = run(&svc, &all, &existing);
    assert_eq!((plan.create.len(), plan.update.len(), plan.delete.len()), (1, 1, 0));
    assert_eq!(plan.update[0].metadata.name, "foo-1");
    assert_eq!(lengths(&plan, &existing), [61, 89, 100]);
}

#[test]
fn leftovers_that_fit_nowhere_get_a_new_slice() {
    // …WorseAllocation: 300 pods, slices of 74 and 74; 152 to add → 2 creates (100, 52).
    let svc = service();
    let all = pods(300);
    let s1: Vec<&Pod> = (1..all.len() - 4).step_by(4).map(|i| &all[i]).collect();
    let s2: Vec<&Pod> = (3..all.len() - 4).step_by(4).map(|i| &all[i]).collect();
    let existing = [slice(1, &svc, &s1), slice(2, &svc, &s2)];
    let plan = run(&svc, &all, &existing);
    assert_eq!((plan.create.len(), plan.update.len(), plan.delete.len()), (2, 0, 0));
    assert_eq!(lengths(&plan, &existing), [52, 74, 74, 100]);
}

#[test]
fn a_port_change_repacks_by_recycling_slices() {
    // TestReconcileEndpointSlicesRecycling: 10 slices of 30; no-op first; after a
    // targetPort change, 3 updates + 7 deletes, 100/100/100.
    let mut svc = service();
    let all = pods(300);
    let existing: Vec<EndpointSlice> = (0..10).map(|n| slice(n, &svc, &all[n * 30..(n + 1) * 30].iter().collect::<Vec<_>>())).collect();
    let plan = run(&svc, &all, &existing);
    assert_eq!((plan.create.len(), plan.update.len(), plan.delete.len()), (0, 0, 0));
    svc.spec.ports[0].target_port = Some(IntOrString::Int(81));
    let plan = run(&svc, &all, &existing);
    assert_eq!((plan.create.len(), plan.update.len(), plan.delete.len()), (0, 3, 7));
    assert!(plan.update.iter().all(|s| s.endpoints.len() == 100 && s.ports.as_ref().unwrap()[0].port == Some(81)));
}

#[test]
fn changed_endpoints_update_their_slice_in_place() {
    // TestReconcileEndpointSlicesUpdating's shape: a readiness change updates the slice
    // that holds the pod, and nothing else.
    let svc = service();
    let mut all = pods(250);
    let first = run(&svc, &all, &[]);
    let existing: Vec<EndpointSlice> = first
        .create
        .into_iter()
        .enumerate()
        .map(|(i, mut s)| {
            s.metadata.name = format!("foo-{i}").into();
            s
        })
        .collect();
    all[0] = pod(0, true);
    let plan = run(&svc, &all, &existing);
    assert_eq!((plan.create.len(), plan.update.len(), plan.delete.len()), (0, 1, 0));
    let ep = plan.update[0].endpoints.iter().find(|e| e.target_ref.as_ref().unwrap().name == "pod0").unwrap();
    assert_eq!(ep.conditions.ready, Some(true));
}

#[test]
fn endpoint_conditions_follow_readiness_and_termination() {
    // TestPodToEndpoint: ready = serving && !terminating (publishNotReadyAddresses: always
    // ready); a terminal pod or one without an IP is left out.
    let svc = service();
    let e = pod_to_endpoint(&pod(1, true), None, &svc);
    assert_eq!((e.conditions.ready, e.conditions.serving, e.conditions.terminating), (Some(true), Some(true), Some(false)));
    assert_eq!((e.node_name.as_deref(), e.addresses[0].as_str()), (Some("node-1"), "1.2.0.5"));
    let mut t = pod(1, true);
    t.metadata.rare.deletion_timestamp = Some(Time(SimTime(1)));
    let e = pod_to_endpoint(&t, None, &svc);
    assert_eq!((e.conditions.ready, e.conditions.serving, e.conditions.terminating), (Some(false), Some(true), Some(true)));
    assert!(should_pod_be_in_endpoints(&t, true) && !should_pod_be_in_endpoints(&t, false));
    let mut publish = service();
    publish.spec.publish_not_ready_addresses = Some(true);
    assert_eq!(pod_to_endpoint(&pod(3, false), None, &publish).conditions.ready, Some(true));
    let mut done = pod(2, true);
    done.status.phase = "Succeeded".into();
    assert!(!should_pod_be_in_endpoints(&done, true));
    let mut no_ip = pod(2, true);
    no_ip.status.pod_ip.clear();
    no_ip.status.pod_ips.clear();
    assert!(!should_pod_be_in_endpoints(&no_ip, true));
}

#[test]
fn named_target_ports_resolve_per_pod() {
    // FindPort: a named targetPort is looked up in each pod; a pod without it gets a
    // slice without that port (its own port mapping).
    let mut svc = service();
    svc.spec.ports[0].target_port = Some(IntOrString::String("http".into()));
    let mut with = pod(1, true);
    let spec = std::rc::Rc::make_mut(&mut with.spec);
    spec.containers = std::rc::Rc::new(vec![crate::api::pod::Container {
        name: "c".into(),
        ports: vec![crate::api::pod::ContainerPort { container_port: 8080, name: Some("http".into()), ..Default::default() }],
        ..Default::default()
    }]);
    let without = pod(2, true);
    let plan = run(&svc, &[with, without], &[]);
    let mut ports: Vec<Option<Vec<EndpointPort>>> = plan.create.iter().map(|s| s.ports.clone()).collect();
    ports.sort();
    assert_eq!(ports.len(), 2);
    assert_eq!(ports[0], Some(vec![]));
    assert_eq!(ports[1].as_ref().unwrap()[0].port, Some(8080));
}
