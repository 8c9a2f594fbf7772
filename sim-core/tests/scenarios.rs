//! Every bundled scenario runs with its expectations, and they all hold.

mod common;

use sim_core::scenario::run::run_scenario;
use sim_core::RunOptions;

#[test]
fn every_bundled_scenario_meets_its_expectations() {
    let files = common::bundled();
    assert!(files.len() >= 4, "expected the bundled scenarios, found {files:?}");
    for f in files {
        let s = common::load_file(&f);
        assert!(!s.expect.is_empty(), "{} has no expectations", f.display());
        let opts = RunOptions { check: true, ..RunOptions::for_scenario(&s) };
        let report = run_scenario(&s, &opts).expect("runs");
        assert!(report.sim.violations().is_empty(), "{}: {:#?}", f.display(), report.sim.violations());
        let quiet = report.sim.check_converged();
        assert!(quiet.is_empty(), "{}: not converged at the end: {quiet:#?}", f.display());
        for r in &report.results {
            assert!(r.ok, "{}: `{}` at {} observed {} ({})", f.display(), r.text, r.at, r.observed, r.location);
        }
        assert!(report.sim.timeline_errors.is_empty(), "{}: {:?}", f.display(), report.sim.timeline_errors);
    }
}

#[test]
fn a_crashed_node_pods_come_back_elsewhere_with_new_ips() {
    let s = common::load_file(&common::repo_root().join("scenarios/node-crash.yaml"));
    let mut sim = sim_core::Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
    let ips = |sim: &sim_core::Simulation| -> Vec<(String, String, String)> {
        sim.list(&sim_core::api::Kind::Pod)
            .iter()
            .filter_map(|o| o.as_pod())
            .filter(|p| p.metadata.rare.deletion_timestamp.is_none())
            .map(|p| (p.metadata.name.to_string(), p.spec.node_name.to_string(), p.status.pod_ip.to_string()))
            .collect()
    };
    sim.run_until(sim_core::engine::SimTime::from_secs(50));
    let before = ips(&sim);
    let lost: Vec<_> = before.iter().filter(|(_, n, _)| n == "worker-1").cloned().collect();
    assert_eq!(lost.len(), 2);
    sim.run_until(sim_core::engine::SimTime::from_secs(450));
    let after = ips(&sim);
    assert_eq!(after.len(), 6);
    let new: Vec<_> = after.iter().filter(|p| !before.contains(p)).collect();
    assert_eq!(new.len(), 2, "two replacements: {after:?}");
    for (name, node, ip) in &new {
        assert_ne!(node, "worker-1", "{name} must not land on the dead node");
        assert!(!ip.is_empty(), "{name} has an IP");
        assert!(lost.iter().all(|(_, _, old)| old != ip), "{name} got a new IP, not {ip}");
        let cidr = sim.api.store.get_parts(&sim_core::api::Kind::Node, "", node).and_then(|o| o.as_node().map(|n| n.spec.pod_cidr.clone())).unwrap();
        let c = sim_core::network::ipam::Cidr::parse(&cidr).unwrap();
        assert!(c.contains(sim_core::network::ipam::parse_ip(ip).unwrap()), "{ip} inside {cidr}");
    }
}

/// Pod IPs change even when the replacement lands on the same node: host-local IPAM hands
/// out the next free address after the last one it gave (its allocator iterates from the
/// last reserved IP), so the address the deleted pod freed is not the one the replacement
/// gets. On a one-node cluster the replacement cannot go elsewhere.
#[test]
fn a_replacement_on_the_same_node_gets_a_new_ip() {
    let s = common::load_str(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: same-node}\nspec:\n  until: 2m\n  cluster:\n    nodePools:\n    - {name: only, count: 1, capacity: {cpu: '4', memory: 8Gi}}\n  timeline:\n  - {at: 30s, delete: pod/lonely}\n---\napiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: web}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: lonely, labels: {app: web}}\nspec:\n  containers: [{name: web, image: nginx}]\n",
    );
    let r = sim_core::scenario::run::run_scenario(&s, &RunOptions::for_scenario(&s)).unwrap();
    let held: Vec<(String, String)> = r
        .sim
        .trace
        .records()
        .iter()
        .filter(|x| x.kind == "Pod")
        .filter_map(|x| x.get_str("ip").filter(|ip| !ip.is_empty()).map(|ip| (x.name.clone(), ip.to_string())))
        .collect();
    let lonely_ip = held.iter().find(|(n, _)| n == "lonely").map(|(_, ip)| ip.clone()).expect("lonely had an IP");
    let pods = r.sim.list(&sim_core::api::Kind::Pod);
    assert_eq!(pods.len(), 2, "lonely was replaced");
    let replacement = pods
        .iter()
        .filter_map(|o| o.as_pod())
        .find(|p| !held.iter().any(|(n, _)| *n == p.metadata.name && p.metadata.creation_timestamp.is_some_and(|t| t.0.as_ms() < 30_000)))
        .expect("a pod created after the delete");
    assert_eq!(replacement.spec.node_name, "only-1");
    assert!(!replacement.status.pod_ip.is_empty());
    assert_ne!(replacement.status.pod_ip, lonely_ip, "the freed address is not handed out again at once");
    let earlier: Vec<&str> = held.iter().filter(|(n, _)| *n != replacement.metadata.name).map(|(_, ip)| ip.as_str()).collect();
    assert!(!earlier.contains(&replacement.status.pod_ip.as_str()), "{} was held before: {earlier:?}", replacement.status.pod_ip);
}
