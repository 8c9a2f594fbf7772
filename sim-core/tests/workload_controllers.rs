//! DaemonSets and ReplicationControllers end to end: which nodes get a daemon pod (node
//! pools with labels and taints, a node that becomes schedulable again), a rolling update
//! by `apply` of a changed template that never leaves more than maxUnavailable nodes
//! without a ready pod (and, with maxSurge, never one), and a ReplicationController
//! managed as a ReplicaSet is.

mod common;

use sim_core::api::pod::Pod;
use sim_core::api::{Kind, Object};
use sim_core::engine::SimTime;
use sim_core::scenario::run::run_scenario;
use sim_core::{RunOptions, Simulation};
use std::collections::{BTreeMap, BTreeSet};

fn run_checked(name: &str) -> sim_core::scenario::run::Report {
    let s = common::load_file(&common::repo_root().join("sim-core/tests/data").join(name));
    assert!(!s.expect.is_empty(), "{name} lost its expectations: this test would prove nothing");
    let r = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    for e in &r.results {
        assert!(e.ok, "{name}: `{}` at {} observed {}", e.text, e.at, e.observed);
    }
    assert!(r.sim.violations().is_empty(), "{:#?}", r.sim.violations());
    r
}

/// The pools of daemonset-nodes.yaml: a DaemonSet that tolerates the gpu taint runs on
/// every node, one that selects the gpu pool only there, one that tolerates nothing only
/// on the general pool; a crashed node is unreachable:NoSchedule and gets no pod of a
/// DaemonSet created meanwhile, until it recovers and joins.
#[test]
fn daemon_sets_follow_node_labels_taints_and_a_node_that_joins() {
    let r = run_checked("daemonset-nodes.yaml");
    let late: Vec<Pod> =
        r.sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).filter(|p| p.metadata.labels.get("app").is_some_and(|a| a == "late")).cloned().collect();
    let on_general_3 = late.iter().find(|p| p.spec.node_name == "general-3").expect("general-3 got its pod");
    assert!(on_general_3.metadata.creation_timestamp.unwrap().0 >= SimTime::from_secs(120), "created once the node recovered");
    let events: Vec<String> = r
        .sim
        .trace
        .records()
        .iter()
        .filter(|x| x.kind == "Event" && x.get_str("object") == Some("DaemonSet/late"))
        .filter_map(|x| x.get_str("message").map(String::from))
        .collect();
    assert_eq!(events.len(), 5, "{events:?}");
    assert!(events.iter().all(|m| m.starts_with("Created pod: late-")), "{events:?}");
}

/// A DaemonSet of `image` with `strategy` (YAML flow mapping) and a readiness probe that
/// takes a few seconds.
fn daemon_set(image: &str, strategy: &str) -> String {
    format!(
        "apiVersion: apps/v1
kind: DaemonSet
metadata: {{name: agent}}
spec:
  selector: {{matchLabels: {{app: agent}}}}
  updateStrategy: {strategy}
  template:
    metadata: {{labels: {{app: agent}}}}
    spec:
      containers:
      - name: agent
        image: {image}
        readinessProbe: {{exec: {{command: [cat, /ready]}}, initialDelaySeconds: 5, periodSeconds: 2}}
"
    )
}

/// Per node: the agent's pods that are not being deleted, and how many of them are Ready.
fn agent_pods_by_node(sim: &Simulation) -> BTreeMap<String, (usize, usize)> {
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for p in sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()) {
        if p.metadata.labels.get("app").is_none_or(|a| a != "agent") || p.metadata.rare.deletion_timestamp.is_some() || p.spec.node_name.is_empty() {
            continue;
        }
        let e = out.entry(p.spec.node_name.to_string()).or_default();
        e.0 += 1;
        e.1 += usize::from(p.is_ready());
    }
    out
}

/// Runs a 5-node rolling update from nginx:1.24 to nginx:1.25 applied at 60s, checking
/// after every engine event from 30s on; returns the most nodes seen at once without a
/// ready pod and the most pods seen on one node.
fn rollout(strategy: &str) -> (usize, usize, Simulation) {
    let text = format!(
        "apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 5m
  cluster:
    nodePools:
    - {{name: worker, count: 5, capacity: {{cpu: \"4\", memory: 8Gi}}}}
  timeline:
  - at: 60s
    apply:
{}
  expect:
  - {{at: 5m, that: \"daemonset/agent updated == 5\"}}
---
{}",
        daemon_set("nginx:1.25", strategy).lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n"),
        daemon_set("nginx:1.24", strategy)
    );
    let s = common::load_str(&text);
    let mut sim = Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    sim.run_until(SimTime::from_secs(30));
    let ready = agent_pods_by_node(&sim);
    assert_eq!(ready.values().filter(|(_, r)| *r == 1).count(), 5, "every node runs a ready agent before the update: {ready:?}");
    let (mut worst_unavailable, mut most_on_a_node) = (0, 0);
    while sim.step() {
        let by_node = agent_pods_by_node(&sim);
        let without_ready = 5 - by_node.values().filter(|(_, r)| *r > 0).count();
        worst_unavailable = worst_unavailable.max(without_ready);
        most_on_a_node = most_on_a_node.max(by_node.values().map(|(n, _)| *n).max().unwrap_or(0));
    }
    assert!(sim.violations().is_empty(), "{:#?}", sim.violations());
    let images: BTreeSet<String> = sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).map(|p| p.spec.containers[0].image.clone()).collect();
    assert_eq!(images.into_iter().collect::<Vec<_>>(), ["nginx:1.25"], "every pod runs the new template");
    let ds = sim.list(&Kind::DaemonSet)[0].clone();
    let st = &ds.as_daemon_set().unwrap().status;
    assert_eq!((st.desired_number_scheduled, st.updated_number_scheduled, st.number_available), (5, 5, 5));
    (worst_unavailable, most_on_a_node, sim)
}

/// RollingUpdate with the default maxUnavailable 1: never more than one node without a
/// ready agent, never two agents on a node; the template generation and revisions move on.
#[test]
fn rolling_update_keeps_at_most_max_unavailable_nodes_without_a_ready_pod() {
    let (unavailable, most, sim) = rollout("{type: RollingUpdate}");
    assert_eq!(unavailable, 1, "one node at a time");
    assert_eq!(most, 1);
    let ds = sim.list(&Kind::DaemonSet)[0].clone();
    assert_eq!(ds.meta().annotations.get("deprecated.daemonset.template.generation").map(String::as_str), Some("2"));
    let mut revisions: Vec<i64> = sim.list(&Kind::ControllerRevision).iter().filter_map(|o| o.as_controller_revision()).map(|c| c.revision).collect();
    revisions.sort();
    assert_eq!(revisions, [1, 2]);
    for p in sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()) {
        assert_eq!(p.metadata.labels.get("pod-template-generation").map(String::as_str), Some("2"));
    }
}

/// maxUnavailable 2: two nodes at a time, not more.
#[test]
fn rolling_update_with_max_unavailable_two() {
    let (unavailable, most, _) = rollout("{type: RollingUpdate, rollingUpdate: {maxUnavailable: 2}}");
    assert_eq!((unavailable, most), (2, 1));
}

/// The surge path (maxSurge 1, maxUnavailable 0): the new pod starts beside the old one,
/// which goes only once the new one is available — no node is ever without a ready pod,
/// and no node runs more than two.
#[test]
fn rolling_update_with_surge_keeps_every_node_ready() {
    let (unavailable, most, _) = rollout("{type: RollingUpdate, rollingUpdate: {maxSurge: 1, maxUnavailable: 0}}");
    assert_eq!((unavailable, most), (0, 2));
}

/// OnDelete: a changed template replaces nothing; a pod deleted by hand comes back with
/// the new template.
#[test]
fn on_delete_waits_for_the_pods_to_be_deleted() {
    let text = format!(
        "apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 3m
  timeline:
  - at: 30s
    apply:
{}
  expect:
  - {{at: 90s, that: \"daemonset/agent updated == 0\"}}
  - {{at: 90s, that: \"daemonset/agent available == 3\"}}
---
{}",
        daemon_set("nginx:1.25", "{type: OnDelete}").lines().map(|l| format!("      {l}")).collect::<Vec<_>>().join("\n"),
        daemon_set("nginx:1.24", "{type: OnDelete}")
    );
    let s = common::load_str(&text);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
    sim.run_until(SimTime::from_secs(90));
    let images: Vec<String> = sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).map(|p| p.spec.containers[0].image.clone()).collect();
    assert_eq!(images, ["nginx:1.24"; 3]);
    let ds = sim.list(&Kind::DaemonSet)[0].clone();
    assert_eq!(ds.as_daemon_set().unwrap().status.updated_number_scheduled, 0);
}

/// A ReplicationController is managed as a ReplicaSet (pkg/controller/replication): its
/// equality selector and template labels defaulted, slow-start creates reported by the
/// replication-controller, a scale-up through /scale, and status like a ReplicaSet's.
#[test]
fn replication_controllers_converge_like_replica_sets() {
    let text = "apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 2m
  timeline:
  - {at: 30s, scale: {target: rc/web, replicas: 5}}
  expect:
  - {at: 20s, that: \"replicationcontroller/web ready == 3\"}
  - {at: 20s, that: \"pods(app=web) running == 3\"}
  - {at: 60s, that: \"rc/web available == 5\"}
---
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 3
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: nginx, image: nginx:1.25}]
";
    let s = common::load_str(text);
    let r = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    for e in &r.results {
        assert!(e.ok, "`{}` at {} observed {}", e.text, e.at, e.observed);
    }
    let rc = r.sim.list(&Kind::ReplicationController)[0].clone();
    let rc = rc.as_replication_controller().unwrap();
    assert_eq!(rc.spec.selector.get("app").map(String::as_str), Some("web"), "the selector defaults to the template's labels");
    assert_eq!(rc.metadata.labels.get("app").map(String::as_str), Some("web"));
    assert_eq!((rc.status.replicas, rc.status.ready_replicas, rc.status.observed_generation), (5, 5, 2));
    let recs = r.sim.trace.records();
    let created = recs
        .iter()
        .filter(|x| x.kind == "Event" && x.get_str("reason") == Some("SuccessfulCreate") && x.get_str("object") == Some("ReplicationController/web"))
        .count();
    assert_eq!(created, 5);
    for p in r.sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()) {
        let owner = p.metadata.controller_ref().unwrap();
        assert_eq!((owner.api_version.as_str(), owner.kind.as_str()), ("v1", "ReplicationController"));
    }
    let by = recs.iter().find(|x| x.kind == "Event" && x.get_str("reason") == Some("SuccessfulCreate")).unwrap();
    let ev = r.sim.api.store.get_parts(&Kind::Event, "default", &by.name).cloned().expect("the Event is stored");
    let Object::Event(e) = &*ev else { panic!("an Event") };
    assert_eq!(e.source.component, "replication-controller");
    assert!(r.sim.violations().is_empty(), "{:#?}", r.sim.violations());
    assert!(r.sim.quiet_at_end(), "liveness is judged");
    assert!(r.sim.check_converged().is_empty(), "{:#?}", r.sim.check_converged());
}

/// Deleting a DaemonSet or a ReplicationController: the garbage collector deletes its pods
/// and (for the DaemonSet) its ControllerRevisions, which name it as their controller.
#[test]
fn deleting_a_daemon_set_or_rc_collects_what_it_owns() {
    let text = "apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 2m
  timeline:
  - {at: 30s, delete: daemonset/agent}
  - {at: 30s, delete: rc/web}
  expect:
  - {at: 20s, that: \"pods(app=agent) running == 3\"}
  - {at: 20s, that: \"pods(app=web) running == 2\"}
  - {at: 90s, that: \"pods(app=agent) count == 0\"}
  - {at: 90s, that: \"pods(app=web) count == 0\"}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      containers: [{name: c, image: busybox:1.36}]
---
apiVersion: v1
kind: ReplicationController
metadata: {name: web}
spec:
  replicas: 2
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: c, image: nginx:1.25}]
";
    let s = common::load_str(text);
    let r = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
    for e in &r.results {
        assert!(e.ok, "`{}` at {} observed {}", e.text, e.at, e.observed);
    }
    assert!(r.sim.list(&Kind::ControllerRevision).is_empty());
    let collected = r.sim.trace.records().iter().filter(|x| x.verb == "delete" && x.by == "controller-manager" && x.kind == "ControllerRevision").count();
    assert_eq!(collected, 1, "the garbage collector deletes the revision");
    assert!(r.sim.violations().is_empty(), "{:#?}", r.sim.violations());
}
