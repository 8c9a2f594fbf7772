//! StatefulSets end to end, against stateful_set_control.go: ordered creation and
//! scale-down, the rolling update from the highest ordinal (and its partition), Parallel
//! pod management, and a pod on a dead node that is not replaced while its object
//! exists.

mod common;

use sim_core::api::pod::Pod;
use sim_core::api::stateful_set::StatefulSet;
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn sim(text: &str) -> Simulation {
    let s = common::load_str(text);
    Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap()
}

fn pod(sim: &Simulation, name: &str) -> Option<Pod> {
    sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name == name).cloned()
}

fn set(sim: &Simulation) -> StatefulSet {
    sim.list(&Kind::StatefulSet)[0].as_stateful_set().unwrap().clone()
}

const WEB: &str = r#"
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: web}
spec:
  serviceName: nginx
  replicas: 3
  PARTITION
  selector: {matchLabels: {app: nginx}}
  template:
    metadata: {labels: {app: nginx}}
    spec:
      containers: [{name: nginx, image: "nginx:1.26"}]
"#;

fn scenario(partition: &str) -> String {
    format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 5m\n  timeline:\n  - at: 1m\n    setImage: {{target: statefulset/web, container: nginx, image: \"nginx:1.27\"}}\n---\n{}",
        WEB.replace("PARTITION", partition)
    )
}

/// The rolling update: once every pod is healthy, the pod with the highest ordinal not of
/// the update revision is deleted, and created again (same name, new revision) before
/// the next one goes — web-2, then web-1, then web-0; then the update revision is
/// current.
#[test]
fn a_rolling_update_goes_from_the_highest_ordinal_down() {
    let mut s = sim(&scenario(""));
    s.run_until(SimTime::from_secs(59));
    let before = set(&s);
    assert_eq!(before.status.ready_replicas, 3);
    assert_eq!(before.status.current_revision, before.status.update_revision);
    let old_rev = before.status.current_revision.clone();
    let mut recreated: Vec<(String, SimTime)> = Vec::new();
    while s.now < SimTime::from_secs(180) {
        let next = s.now + sim_core::engine::SimDuration::from_ms(100);
        s.run_until(next);
        for n in ["web-0", "web-1", "web-2"] {
            if let Some(p) = pod(&s, n) {
                let rev = p.metadata.labels.get("controller-revision-hash").cloned().unwrap_or_default();
                if rev != old_rev && !recreated.iter().any(|(x, _)| x == n) {
                    recreated.push((n.to_string(), s.now));
                }
            }
        }
    }
    let order: Vec<&str> = recreated.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(order, ["web-2", "web-1", "web-0"]);
    let after = set(&s);
    assert_ne!(after.status.update_revision, old_rev);
    assert_eq!(after.status.current_revision, after.status.update_revision, "the update revision became current");
    assert_eq!((after.status.updated_replicas, after.status.ready_replicas), (3, 3));
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// `partition: 2`: only ordinals ≥ 2 are updated; web-0 and web-1 keep the current
/// revision, which stays current.
#[test]
fn a_partition_holds_the_lower_ordinals() {
    let mut s = sim(&scenario("updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}"));
    s.run_until(SimTime::from_secs(59));
    let old_rev = set(&s).status.current_revision.clone();
    s.run_until(SimTime::from_secs(240));
    let rev = |n: &str| pod(&s, n).unwrap().metadata.labels["controller-revision-hash"].clone();
    assert_eq!((rev("web-0"), rev("web-1")), (old_rev.clone(), old_rev.clone()));
    assert_ne!(rev("web-2"), old_rev);
    let st = set(&s).status;
    assert_eq!((st.current_revision, st.updated_replicas, st.current_replicas), (old_rev, 1, 2));
}

/// concepts/workloads/controllers/statefulset and the StatefulSet basics tutorial: the
/// documentation's `web` StatefulSet creates web-0, then web-1 once web-0 is Running and
/// Ready; `web-parallel` (podManagementPolicy: Parallel) creates both at once. (Their
/// claims: tests/storage.rs.)
#[test]
fn the_documentation_stateful_sets_start_in_order_or_together() {
    let root = common::repo_root().join("../shared/corpus/kubernetes-website/application/web");
    let Ok(ordered) = std::fs::read_to_string(root.join("web.yaml")) else {
        assert!(std::env::var_os("KSIM_SKIP_CORPUS").is_some(), "corpus not found");
        return;
    };
    let parallel = std::fs::read_to_string(root.join("web-parallel.yaml")).unwrap();
    let created = |s: &Simulation, n: &str| pod(s, n).and_then(|p| p.metadata.creation_timestamp).map(|t| t.0);
    let mut s = sim(&ordered);
    s.run_until(SimTime::from_secs(60));
    let (c0, c1) = (created(&s, "web-0").unwrap(), created(&s, "web-1").unwrap());
    let ready0 = pod(&s, "web-0").unwrap().condition("Ready").and_then(|c| c.last_transition_time.get()).unwrap().0;
    assert!(c1 > ready0 && c0 < ready0, "web-1 ({c1:?}) after web-0 is Ready ({ready0:?})");
    assert_eq!(pod(&s, "web-1").unwrap().spec.hostname, "web-1");
    assert_eq!(pod(&s, "web-1").unwrap().spec.subdomain, "nginx");
    let mut s = sim(&parallel);
    s.run_until(SimTime::from_secs(60));
    assert_eq!(created(&s, "web-0"), created(&s, "web-1"), "Parallel creates them together");
}

/// A node dies with web-1 on it: the pod is evicted (NoExecute after 300 s) but its
/// object stays, terminating, while its kubelet is gone — and the StatefulSet does not
/// create another web-1 until it is really deleted (here: the node comes back and its
/// kubelet finishes the deletion).
#[test]
fn a_pod_on_a_dead_node_is_not_replaced_while_its_object_exists() {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 12m\n  timeline:\n  - {{at: 1m, nodeCrash: NODE}}\n  - {{at: 10m, nodeRecover: NODE}}\n---\n{}",
        WEB.replace("PARTITION", "")
    );
    // Find web-1's node first.
    let mut probe = sim(&text.replace("NODE", "worker-1"));
    probe.run_until(SimTime::from_secs(50));
    let node = pod(&probe, "web-1").unwrap().spec.node_name.to_string();
    let mut s = sim(&text.replace("NODE", &node));
    s.run_until(SimTime::from_secs(9 * 60));
    let p = pod(&s, "web-1").expect("web-1 still there");
    assert!(p.metadata.rare.deletion_timestamp.is_some(), "evicted: terminating");
    assert_eq!(p.spec.node_name, node, "not replaced elsewhere");
    assert_eq!(set(&s).status.ready_replicas, 2);
    s.run_until(SimTime::from_secs(12 * 60));
    let p = pod(&s, "web-1").expect("created again");
    assert!(p.metadata.rare.deletion_timestamp.is_none());
    assert_eq!(set(&s).status.ready_replicas, 3);
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// newVersionedStatefulSetPod builds a pod below the partition from the current
/// revision's template (ApplyRevision(set, currentRevision)): web-0, deleted after an
/// update held at partition 2, comes back with the old image and the old revision.
#[test]
fn a_pod_below_the_partition_comes_back_at_the_current_revision() {
    let text =
        scenario("updateStrategy: {type: RollingUpdate, rollingUpdate: {partition: 2}}").replacen("\n---\n", "\n  - {at: 2m, delete: pod/web-0}\n---\n", 1);
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(59));
    let old_rev = set(&s).status.current_revision.clone();
    s.run_until(SimTime::from_secs(240));
    let p = pod(&s, "web-0").unwrap();
    assert!(p.metadata.creation_timestamp.unwrap().0 >= SimTime::from_secs(120), "web-0 was recreated");
    assert_eq!(p.metadata.labels["controller-revision-hash"], old_rev);
    assert_eq!(p.spec.containers[0].image, "nginx:1.26");
    assert_eq!(pod(&s, "web-2").unwrap().spec.containers[0].image, "nginx:1.27");
}
