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
            .filter(|p| p.metadata.deletion_timestamp.is_none())
            .map(|p| (p.metadata.name.clone(), p.spec.node_name.clone(), p.status.pod_ip.clone()))
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
