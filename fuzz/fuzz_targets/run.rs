//! Arbitrary bytes → load → a short, bounded simulation with the safety invariants
//! checked after every write and delivery. A panic or an invariant violation is a
//! finding; load errors and `Simulation::new` errors are not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sim_core::api::Object;
use sim_core::engine::SimDuration;
use sim_core::scenario::model::Action;
use sim_core::scenario::yaml::decode_utf8;
use sim_core::{load, RunOptions, Scenario, Simulation, Source};

/// Caps that keep one execution well under a second.
const MAX_UNTIL: SimDuration = SimDuration::from_secs(120);
const MAX_NODES: u64 = 20;
const MAX_REPLICAS: i32 = 50;
const MAX_EVENTS: u64 = 200_000;

fn too_big(s: &Scenario) -> bool {
    let nodes: u64 = s.cluster.node_pools.iter().map(|p| u64::from(p.count)).sum();
    if nodes > MAX_NODES {
        return true;
    }
    s.timeline.iter().any(|e| match &e.action {
        Action::Apply(ms) => ms.iter().any(|m| {
            let replicas = match &m.object {
                Object::Deployment(d) => d.spec.replicas,
                Object::ReplicaSet(r) => r.spec.replicas,
                Object::ReplicationController(r) => r.spec.replicas,
                _ => None,
            };
            replicas.is_some_and(|r| r > MAX_REPLICAS)
        }),
        Action::Scale { replicas, .. } => *replicas > MAX_REPLICAS,
        _ => false,
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = decode_utf8(data) else { return };
    let sources = [Source { name: "fuzz.yaml".into(), text: text.to_string() }];
    let Ok(mut s) = load(&sources, &|_, r| Err(r.to_string())) else { return };
    if too_big(&s) {
        return;
    }
    s.until = s.until.min(MAX_UNTIL);
    let mut opts = RunOptions { check: true, ..RunOptions::for_scenario(&s) };
    opts.limits.max_events = opts.limits.max_events.min(MAX_EVENTS);
    let Ok(mut sim) = Simulation::new(&s, &opts) else { return };
    sim.run();
    let v = sim.violations();
    if !v.is_empty() {
        let list: Vec<String> = v.iter().take(5).map(ToString::to_string).collect();
        panic!("{} invariant violation(s), first: \n  {}", v.len(), list.join("\n  "));
    }
});
