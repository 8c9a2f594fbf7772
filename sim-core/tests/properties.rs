//! Property tests over random clusters, workloads and timelines (scale, delete, node
//! crash and recovery): every safety invariant holds after every event, runs are
//! reproducible, the cluster converges once faults stop, and the order in which
//! same-time manifests are listed does not change what Kubernetes makes
//! order-independent. A failing case is shrunk by proptest, and the shrunk scenario is
//! written as a YAML file that `ksim run --check` replays.

mod common;

use proptest::prelude::*;
use sim_core::scenario::run::run_scenario;
use sim_core::RunOptions;
use std::fmt::Write as _;

#[derive(Clone, Debug)]
enum Step {
    Scale(usize, u32),
    Delete(usize),
    Crash(usize),
    Recover(usize),
}

#[derive(Clone, Debug)]
struct Case {
    nodes: u32,
    cpu_m: u32,
    deployments: Vec<(u32, u32)>,
    steps: Vec<(u32, Step)>,
    seed: u64,
}

fn deployment_yaml(i: usize, replicas: u32, req_m: u32) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}}}}}\n    spec:\n      containers:\n      - {{name: c, image: 'img:{i}', resources: {{requests: {{cpu: {req_m}m, memory: 64Mi}}}}}}\n"
    )
}

/// The case as a scenario file (what a failure leaves behind to replay).
fn yaml(c: &Case, order: &[usize]) -> String {
    let mut y = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: proptest-case}}\nspec:\n  seed: {}\n  until: 15m\n  cluster:\n    nodePools:\n    - {{name: node, count: {}, capacity: {{cpu: {}m, memory: 8Gi, pods: 20}}}}\n",
        c.seed, c.nodes, c.cpu_m
    );
    let mut deleted = vec![false; c.deployments.len()];
    let mut lines = String::new();
    for (at, step) in &c.steps {
        let line = match step {
            Step::Scale(d, r) if *d < deleted.len() && !deleted[*d] => format!("  - {{at: {at}s, scale: {{target: deployment/d{d}, replicas: {r}}}}}\n"),
            Step::Delete(d) if *d < deleted.len() && !deleted[*d] => {
                deleted[*d] = true;
                format!("  - {{at: {at}s, delete: deployment/d{d}}}\n")
            }
            Step::Crash(n) if *n < c.nodes as usize => format!("  - {{at: {at}s, nodeCrash: node-{}}}\n", n + 1),
            Step::Recover(n) if *n < c.nodes as usize => format!("  - {{at: {at}s, nodeRecover: node-{}}}\n", n + 1),
            _ => continue,
        };
        lines.push_str(&line);
    }
    if !lines.is_empty() {
        y.push_str("  timeline:\n");
        y.push_str(&lines);
    }
    for &i in order {
        let (r, req) = c.deployments[i];
        y.push_str(&deployment_yaml(i, r, req));
    }
    y
}

fn case() -> impl Strategy<Value = Case> {
    let step = prop_oneof![
        (0usize..3, 0u32..8).prop_map(|(d, r)| Step::Scale(d, r)),
        (0usize..3).prop_map(Step::Delete),
        (0usize..4).prop_map(Step::Crash),
        (0usize..4).prop_map(Step::Recover),
    ];
    (
        1u32..5,
        prop_oneof![Just(1000u32), Just(2000), Just(4000)],
        proptest::collection::vec((0u32..8, prop_oneof![Just(0u32), Just(100), Just(500), Just(1500)]), 1..4),
        proptest::collection::vec((1u32..240, step), 0..6),
        0u64..10_000,
    )
        .prop_map(|(nodes, cpu_m, deployments, mut steps, seed)| {
            steps.sort_by_key(|s| s.0);
            Case { nodes, cpu_m, deployments, steps, seed }
        })
}

/// Writes the (latest, hence shrunk) failing case where `ksim run` can replay it.
fn keep_counterexample(text: &str) -> String {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("ksim-counterexample.yaml");
    let _ = std::fs::write(&path, text);
    format!("replay: ksim run {} --check", path.display())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_runs_reproduce_and_the_cluster_converges(c in case()) {
        let order: Vec<usize> = (0..c.deployments.len()).collect();
        let text = yaml(&c, &order);
        let s = common::load_str(&text);
        let opts = RunOptions { check: true, ..RunOptions::for_scenario(&s) };
        let a = run_scenario(&s, &opts).unwrap();
        let mut why = String::new();
        for v in a.sim.violations() {
            let _ = writeln!(why, "{v}");
        }
        for v in a.sim.check_converged() {
            let _ = writeln!(why, "{v}");
        }
        let b = run_scenario(&s, &opts).unwrap();
        if a.sim.fingerprint() != b.sim.fingerprint() {
            let _ = writeln!(why, "not reproducible: {} vs {}", a.sim.fingerprint(), b.sim.fingerprint());
        }
        if !why.is_empty() {
            let replay = keep_counterexample(&text);
            prop_assert!(false, "{why}{replay}");
        }
    }

    #[test]
    fn the_order_of_same_time_manifests_does_not_change_the_outcome(
        deployments in proptest::collection::vec(0u32..8, 2..4),
        nodes in 1u32..4,
        seed in 0u64..10_000,
    ) {
        // Tight capacity, pods of one size (500m on nodes of 2000m: 4 slots a node), so
        // that deployments compete for slots: which deployment's pods run depends on the
        // order, but how many pods run in all (min(pods, slots)), and how many each
        // ReplicaSet owns, do not.
        let deployments: Vec<(u32, u32)> = deployments.iter().map(|r| (*r, 500)).collect();
        let c = Case { nodes, cpu_m: 2000, deployments: deployments.clone(), steps: vec![], seed };
        let forward: Vec<usize> = (0..deployments.len()).collect();
        let backward: Vec<usize> = forward.iter().rev().copied().collect();
        let outcome = |order: &[usize]| {
            let s = common::load_str(&yaml(&c, order));
            let r = run_scenario(&s, &RunOptions::for_scenario(&s)).unwrap();
            let per_deployment: Vec<(String, i32)> = r
                .sim
                .list(&sim_core::api::Kind::Deployment)
                .iter()
                .filter_map(|o| o.as_deployment())
                .map(|d| (d.metadata.name.to_string(), d.status.replicas))
                .collect();
            let running = r.sim.list(&sim_core::api::Kind::Pod).iter().filter(|p| p.as_pod().is_some_and(|p| p.status.phase == "Running")).count();
            (per_deployment, running)
        };
        let (a, b) = (outcome(&forward), outcome(&backward));
        let pods: u32 = deployments.iter().map(|d| d.0).sum();
        prop_assert_eq!(a.1 as u32, pods.min(4 * nodes), "running pods = min(pods, slots)");
        if a != b {
            let replay = keep_counterexample(&yaml(&c, &backward));
            prop_assert!(false, "{a:?} != {b:?}\n{replay}");
        }
    }
}

/// The property test is only as good as what it catches: with a deliberate bug in the
/// ReplicaSet controller (one pod more than asked for), the same generator and checker
/// must find a failing case.
#[test]
fn the_property_test_catches_an_injected_bug() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config { cases: 32, failure_persistence: None, ..Config::default() });
    let result = runner.run(&case(), |c| {
        let order: Vec<usize> = (0..c.deployments.len()).collect();
        let s = common::load_str(&yaml(&c, &order));
        let mut sim = sim_core::Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
        sim.controller_manager.controllers.replica_set.sabotage_extra_creates = 1;
        sim.run();
        let found: Vec<&str> = sim.violations().iter().map(|v| v.invariant).collect();
        prop_assert!(found.is_empty(), "{found:?}");
        Ok(())
    });
    let Err(proptest::test_runner::TestError::Fail(why, _)) = result else { panic!("the checker missed an injected bug: {result:?}") };
    assert!(why.message().contains(sim_core::invariants::REPLICASET_BOUND), "{why}");
}
