//! The scheduler end to end: preemption's visible traces (DisruptionTarget, Preempted,
//! nominatedNodeName), KubeSchedulerConfiguration profiles chosen by schedulerName,
//! and kube-scheduler's own words for spread and anti-affinity failures.

mod common;

use sim_core::api::{Kind, Object};
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn sim_at(s: &sim_core::Scenario, t: SimTime) -> Simulation {
    let mut sim = Simulation::new(s, &RunOptions::for_scenario(s)).unwrap();
    sim.run_until(t);
    sim
}

fn pods(sim: &Simulation) -> Vec<sim_core::api::pod::Pod> {
    sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod().cloned()).collect()
}

fn events(sim: &Simulation, reason: &str) -> Vec<String> {
    sim.list(&Kind::Event)
        .iter()
        .filter_map(|o| match &**o {
            Object::Event(e) if e.reason == reason => Some(e.message.to_string()),
            _ => None,
        })
        .collect()
}

#[test]
fn preemption_marks_victims_nominates_and_then_binds() {
    let s = common::load_file(&common::repo_root().join("scenarios/priority-preemption.yaml"));
    // Just after the critical pods' first attempts: victims are terminating.
    let sim = sim_at(&s, SimTime(30_100));
    let all = pods(&sim);
    let victims: Vec<_> =
        all.iter().filter(|p| p.metadata.labels.get("app").map(String::as_str) == Some("batch") && p.metadata.rare.deletion_timestamp.is_some()).collect();
    assert_eq!(victims.len(), 2, "one victim per critical pod");
    for v in &victims {
        let c = v.status.conditions.iter().find(|c| c.type_ == "DisruptionTarget").expect("DisruptionTarget condition");
        assert_eq!((&*c.status, c.reason.as_str()), ("True", "PreemptionByScheduler"));
        assert_eq!(c.message, "default-scheduler: preempting to accommodate a higher priority pod");
    }
    let nominated: Vec<_> =
        all.iter().filter(|p| p.metadata.labels.get("app").map(String::as_str) == Some("critical")).map(|p| p.status.nominated_node_name.to_string()).collect();
    assert_eq!(nominated.len(), 2);
    assert!(nominated.iter().all(|n| !n.is_empty()), "both critical pods are nominated: {nominated:?}");
    assert_ne!(nominated[0], nominated[1], "to different nodes");
    let preempted = events(&sim, "Preempted");
    assert_eq!(preempted.len(), 2);
    assert!(preempted.iter().all(|m| m.starts_with("Preempted by pod ") && m.contains(" on node node-")), "{preempted:?}");
    let never = events(&sim, "FailedScheduling").into_iter().filter(|m| m.contains("preemptionPolicy=Never")).count();
    assert!(never >= 1, "the polite pod says why it does not preempt");
    // Later: the critical pods run on the nominated nodes.
    let sim = sim_at(&s, SimTime(60_000));
    for p in pods(&sim).iter().filter(|p| p.metadata.labels.get("app").map(String::as_str) == Some("critical")) {
        assert_eq!(p.status.phase, "Running");
        assert!(nominated.iter().any(|n| *n == *p.spec.node_name));
    }
}

const PROFILES: &str = r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 1m
  cluster:
    nodePools:
    - {name: worker, count: 3, capacity: {cpu: "4", memory: 8Gi}}
  timeline:
  - at: 20s
    apply:
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: spread}
      spec:
        replicas: 3
        selector: {matchLabels: {app: spread}}
        template:
          metadata: {labels: {app: spread}}
          spec:
            containers: [{name: c, image: nginx:1.25, resources: {requests: {cpu: 200m, memory: 128Mi}}}]
---
apiVersion: kubescheduler.config.k8s.io/v1
kind: KubeSchedulerConfiguration
profiles:
- schedulerName: default-scheduler
- schedulerName: bin-packing
  plugins:
    score:
      disabled: [{name: "*"}]
      enabled: [{name: NodeResourcesFit, weight: 1}]
  pluginConfig:
  - name: NodeResourcesFit
    args:
      scoringStrategy:
        type: MostAllocated
        resources: [{name: cpu, weight: 1}, {name: memory, weight: 1}]
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: packed}
spec:
  replicas: 4
  selector: {matchLabels: {app: packed}}
  template:
    metadata: {labels: {app: packed}}
    spec:
      schedulerName: bin-packing
      containers: [{name: c, image: nginx:1.25, resources: {requests: {cpu: 200m, memory: 128Mi}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: orphan-scheduler, labels: {app: orphan}}
spec:
  schedulerName: my-custom-scheduler
  containers: [{name: c, image: nginx:1.25}]
"#;

#[test]
fn profiles_are_chosen_by_scheduler_name() {
    let s = common::load_str(PROFILES);
    let sim = sim_at(&s, SimTime(40_000));
    let all = pods(&sim);
    let nodes_of = |app: &str| -> std::collections::BTreeSet<String> {
        all.iter().filter(|p| p.metadata.labels.get("app").map(String::as_str) == Some(app)).map(|p| p.spec.node_name.to_string()).collect()
    };
    assert_eq!(nodes_of("packed").len(), 1, "MostAllocated packs the bin-packing pods onto one node");
    assert_eq!(nodes_of("spread").len(), 3, "the default profile spreads");
    // No profile serves my-custom-scheduler: the pod waits, and no one reports on it.
    assert_eq!(nodes_of("orphan"), [String::new()].into_iter().collect());
    assert!(events(&sim, "FailedScheduling").iter().all(|m| !m.contains("orphan")));
}

#[test]
fn spread_and_anti_affinity_failures_in_kube_schedulers_words() {
    let s = common::load_file(&common::repo_root().join("scenarios/topology-spread.yaml"));
    let sim = sim_at(&s, SimTime(30_000));
    let msgs = events(&sim, "FailedScheduling");
    assert!(
        msgs.iter().any(|m| m
            == "0/6 nodes are available: 2 node(s) had untolerated taint {maintenance: true}, 4 node(s) didn't match pod topology spread constraints. \
                preemption: 0/6 nodes are available: 2 Preemption is not helpful for scheduling, 4 No preemption victims found for incoming pod.."),
        "{msgs:?}"
    );
    let s = common::load_file(&common::repo_root().join("scenarios/pod-anti-affinity.yaml"));
    let sim = sim_at(&s, SimTime(30_000));
    let msgs = events(&sim, "FailedScheduling");
    assert!(msgs.iter().any(|m| m.starts_with("0/4 nodes are available: 4 node(s) didn't match pod anti-affinity rules.")), "{msgs:?}");
    assert!(msgs.iter().any(|m| m.starts_with("0/4 nodes are available: 4 node(s) didn't match pod affinity rules.")), "{msgs:?}");
}

/// The scheduler's per-node memos (filter verdicts per pod spec, resource scores per
/// request signature) are an optimization only: with them off, every bundled scenario
/// and the density shape give the same event log.
#[test]
fn scheduler_memos_change_no_decision() {
    let mut files = common::bundled();
    files.push(common::repo_root().join("sim-core/tests/data/preferences.yaml"));
    for f in files {
        let s = common::load_file(&f);
        for seed in [s.seed, s.seed + 1] {
            let opts = RunOptions { seed, ..RunOptions::for_scenario(&s) };
            let mut with = Simulation::new(&s, &opts).unwrap();
            let mut without = Simulation::new(&s, &opts).unwrap();
            without.scheduler.disable_memos();
            let end = SimTime(s.until.as_ms());
            with.run_until(end);
            without.run_until(end);
            assert_eq!(with.fingerprint(), without.fingerprint(), "{} seed {seed}", f.display());
        }
    }
}
