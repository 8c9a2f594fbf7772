//! Property tests over random small clusters and workloads: runs are reproducible, no
//! node is over-committed, and live pod IPs are unique and inside their node's CIDR.

mod common;

use proptest::prelude::*;
use sim_core::api::Kind;
use sim_core::network::ipam::{parse_ip, Cidr};
use sim_core::scenario::run::run_scenario;
use sim_core::RunOptions;
use std::collections::BTreeMap;

fn scenario_yaml(nodes: u32, cpu_m: u32, deployments: &[(u32, u32)], crash: Option<u32>) -> String {
    let mut y = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 8m\n  cluster:\n    nodePools:\n    - {{name: node, count: {nodes}, capacity: {{cpu: {cpu_m}m, memory: 4Gi, pods: 20}}}}\n"
    );
    if let Some(c) = crash {
        y.push_str(&format!("  timeline:\n  - {{at: 20s, nodeCrash: node-{c}}}\n"));
    }
    for (i, (replicas, req_m)) in deployments.iter().enumerate() {
        y.push_str(&format!(
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}}}}}\n    spec:\n      containers:\n      - {{name: c, image: 'img:{i}', resources: {{requests: {{cpu: {req_m}m, memory: 64Mi}}}}}}\n"
        ));
    }
    y
}

fn check_state(sim: &sim_core::Simulation) -> Result<(), TestCaseError> {
    let mut cidrs = BTreeMap::new();
    let mut alloc = BTreeMap::new();
    for n in sim.list(&Kind::Node) {
        let n = n.as_node().unwrap();
        cidrs.insert(n.metadata.name.clone(), Cidr::parse(&n.spec.pod_cidr).unwrap());
        alloc.insert(n.metadata.name.clone(), (n.status.allocatable["cpu"].milli_value(), n.status.allocatable["pods"].value()));
    }
    let mut used: BTreeMap<String, (i64, i64)> = BTreeMap::new();
    let mut ips = BTreeMap::new();
    for p in sim.list(&Kind::Pod) {
        let p = p.as_pod().unwrap();
        if p.spec.node_name.is_empty() || p.is_terminal() {
            continue;
        }
        let u = used.entry(p.spec.node_name.clone()).or_default();
        u.0 += p.spec.requests().milli_cpu;
        u.1 += 1;
        if !p.status.pod_ip.is_empty() {
            let ip = parse_ip(&p.status.pod_ip).unwrap();
            prop_assert!(cidrs[&p.spec.node_name].contains(ip), "{} outside {}", p.status.pod_ip, cidrs[&p.spec.node_name]);
            prop_assert!(ips.insert(p.status.pod_ip.clone(), p.metadata.name.clone()).is_none(), "duplicate IP {}", p.status.pod_ip);
        }
    }
    for (node, (cpu, pods)) in used {
        let (a_cpu, a_pods) = alloc[&node];
        prop_assert!(cpu <= a_cpu && pods <= a_pods, "{node} over-committed: {cpu}m/{a_cpu}m, {pods}/{a_pods} pods");
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn runs_are_reproducible_and_never_overcommit(
        nodes in 1u32..5,
        cpu_m in prop_oneof![Just(1000u32), Just(2000), Just(4000)],
        deployments in proptest::collection::vec((0u32..8, prop_oneof![Just(0u32), Just(100), Just(500), Just(1500)]), 1..4),
        crash in proptest::option::of(1u32..5),
        seed in 0u64..1000,
    ) {
        let crash = crash.filter(|c| *c <= nodes);
        let yaml = scenario_yaml(nodes, cpu_m, &deployments, crash);
        let s = common::load_str(&yaml);
        let mut opts = RunOptions::for_scenario(&s);
        opts.seed = seed;
        let mut sim = sim_core::Simulation::new(&s, &opts).unwrap();
        for t in [15u64, 60, 400, 480] {
            sim.run_until(sim_core::engine::SimTime::from_secs(t));
            check_state(&sim)?;
        }
        let again = run_scenario(&s, &opts).unwrap();
        sim.run();
        prop_assert_eq!(sim.fingerprint(), again.sim.fingerprint(), "seed {} not reproducible:\n{}", seed, yaml);
    }
}
