//! The kubelet's node-pressure eviction for memory (kubelet eviction.rs), end to end.
//! Expected values come from upstream's rules as eviction.rs cites them
//! (rankMemoryPressure, evictionMessage, the default `memory.available<100Mi`, the 5 min
//! pressure transition period), and times from the kubelet's 10 s lease grid it looks on
//! and the container defaults (sandbox 500 ms, image pull 2 s, startup 1 s).

mod common;

use sim_core::api::pod::Pod;
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::scenario::model::Latency;
use sim_core::{RunOptions, Simulation};

fn req() -> u64 {
    Latency::default().request.as_ms()
}

/// One 4Gi node; `pods` are YAML documents appended to the scenario.
fn scenario(pods: &str, until: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: eviction}}\nspec:\n  until: {until}\n  cluster:\n    nodePools:\n    - {{name: w, count: 1, capacity: {{cpu: '8', memory: 4Gi, pods: 110}}}}\n{pods}"
    );
    let s = common::load_str(&text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    Simulation::new(&s, &o).expect("simulation")
}

/// A pod on w-1 using `usage` (ksim.dev/memory-usage) with a memory request (or none).
fn pod(name: &str, usage: &str, request: Option<&str>) -> String {
    let res = request.map(|r| format!(", resources: {{requests: {{memory: {r}}}}}")).unwrap_or_default();
    format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}, annotations: {{ksim.dev/memory-usage: '{usage}'}}}}\nspec: {{nodeName: w-1, containers: [{{name: app, image: 'nginx:1.25'{res}}}]}}\n")
}

fn get(sim: &Simulation, name: &str) -> Pod {
    sim.api.store.get_parts(&Kind::Pod, "default", name).and_then(|o| o.as_pod()).cloned().expect("pod")
}

#[test]
fn the_pod_most_above_its_request_is_evicted_not_the_best_effort_one() {
    // From 30 s after their start: 1000Mi (within its 1Gi request) + 1800Mi (256Mi asked)
    // + 1200Mi (nothing asked) = 4000Mi of 4096Mi: 96Mi available, under 100Mi.
    // rankMemoryPressure: both others exceed their requests; by usage above the request
    // the Burstable pod (1544Mi) goes before the BestEffort one (1200Mi).
    let pods =
        [pod("within", "1000Mi", Some("1Gi")), pod("above", "200Mi from 0s; 1800Mi from 30s", Some("256Mi")), pod("besteffort", "1200Mi", None)].concat();
    let mut sim = scenario(&pods, "3m");
    sim.run();
    let p = get(&sim, "above");
    assert_eq!((&*p.status.phase, p.status.reason.as_str()), ("Failed", "Evicted"));
    assert_eq!(
        p.status.message,
        "The node was low on resource: memory. Threshold quantity: 100Mi, available: 96Mi. Container app was using 1800Mi, request is 256Mi, has larger consumption of memory. "
    );
    let dt = p.condition("DisruptionTarget").expect("DisruptionTarget");
    assert_eq!((&*dt.status, dt.reason.as_str()), ("True", "TerminationByKubelet"));
    for n in ["within", "besteffort"] {
        assert_eq!(get(&sim, n).status.phase, "Running", "{n}");
    }
    // Once: the eviction freed enough.
    let evicted: Vec<u64> = sim.trace.records().iter().filter(|r| r.kind == "Event" && r.get_str("reason") == Some("Evicted")).map(|r| r.t).collect();
    assert_eq!(evicted.len(), 1);
    // The three pulls are serialized: the pods run from 3.5, 5.5 and 7.5 s in some
    // order, so the 1800Mi start between 33.5 s and 37.5 s, and the next look, on the
    // 10 s grid, is at 40 s whichever order it was.
    assert_eq!(evicted[0], 40_000 + req(), "recorded one request after the look");
    let node = sim.api.store.get_parts(&Kind::Node, "", "w-1").and_then(|o| o.as_node()).cloned().expect("node");
    let c = node.condition("MemoryPressure").expect("condition");
    assert_eq!((&*c.status, c.reason.as_str(), c.message.as_str()), ("True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available"));
    assert!(node.spec.taints.iter().any(|t| t.key == "node.kubernetes.io/memory-pressure" && t.effect == "NoSchedule"));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn the_pressure_lasts_five_minutes_after_the_threshold_was_last_met() {
    let pods = [pod("a", "200Mi from 0s; 4000Mi from 30s", Some("256Mi"))].concat();
    let mut sim = scenario(&pods, "8m");
    // Met at 40 s only (the eviction frees it all): True while less than 300 s have
    // passed since (nodeConditionsObservedSince: `duration < period`), so False from the
    // look at 340 s: posted a request later, seen a watch later by the node lifecycle
    // controller, whose patch removes the taint a request after that.
    let pressure = |sim: &mut Simulation, t: u64| {
        sim.run_until(SimTime(t));
        let n = sim.api.store.get_parts(&Kind::Node, "", "w-1").and_then(|o| o.as_node()).cloned().expect("node");
        (n.condition("MemoryPressure").map(|c| c.status.to_string()).unwrap_or_default(), n.spec.taints.len())
    };
    assert_eq!(pressure(&mut sim, 339_999), ("True".to_string(), 1));
    let watch = Latency::default().watch.as_ms();
    assert_eq!(pressure(&mut sim, 340_000 + req() + watch + req()), ("False".to_string(), 0));
    let events: Vec<String> =
        sim.trace.records().iter().filter(|r| r.kind == "Event" && r.name.starts_with("w-1")).filter_map(|r| r.get_str("reason").map(String::from)).collect();
    assert!(events.contains(&"NodeHasInsufficientMemory".to_string()) && events.contains(&"NodeHasSufficientMemory".to_string()), "{events:?}");
}

#[test]
fn a_best_effort_pod_is_refused_under_memory_pressure() {
    let late = "  timeline:\n  - at: 1m\n    apply: {apiVersion: v1, kind: Pod, metadata: {name: late}, spec: {nodeName: w-1, containers: [{name: app, image: 'nginx:1.25'}]}}\n";
    let pods = format!("{late}{}", pod("a", "200Mi from 0s; 4000Mi from 30s", Some("256Mi")));
    let mut sim = scenario(&pods, "2m");
    sim.run();
    let p = get(&sim, "late");
    assert_eq!((&*p.status.phase, p.status.reason.as_str()), ("Failed", "Evicted"));
    assert_eq!(p.status.message, "Pod was rejected: The node had condition: [MemoryPressure]. ");
}

/// A soft threshold (`kubelet: {evictionSoft: {memory.available: 1Gi},
/// evictionSoftGracePeriod: {memory.available: 1m}, evictionMaxPodGracePeriod: 20}`):
/// MemoryPressure as soon as it is met — the node's conditions come from the thresholds
/// met before grace periods (eviction_manager.go synchronize: nodeConditions before
/// thresholdsMetGracePeriod) — but no eviction until it has been met for the whole minute
/// (thresholdsFirstObservedAt); then the pod is killed within min(evictionMaxPodGracePeriod,
/// its terminationGracePeriodSeconds) = min(20, 30) = 20 s, and the message quotes the
/// soft threshold. The kubelet looks every 10 s on its lease grid.
#[test]
fn a_soft_threshold_sets_pressure_at_once_and_evicts_after_its_grace_period() {
    // The hog: 3200Mi of the 4Gi from 30 s after its start: 896Mi available, under the
    // 1Gi soft threshold but above the 100Mi hard one.
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: soft}}\nspec:\n  until: 4m\n  cluster:\n    nodePools:\n    - name: w\n      count: 1\n      capacity: {{cpu: '8', memory: 4Gi, pods: 110}}\n      kubelet:\n        evictionSoft: {{memory.available: 1Gi}}\n        evictionSoftGracePeriod: {{memory.available: 1m}}\n        evictionMaxPodGracePeriod: 20\n{}",
        pod("hog", "100Mi from 0s; 3200Mi from 30s", Some("256Mi"))
    );
    let s = common::load_str(&text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    let mut sim = Simulation::new(&s, &o).expect("simulation");
    // The hog starts at about 3.5 s (sandbox, pull, start): 3200Mi from about 33.5 s, so
    // the first look that sees it is at 40 s.
    let pressure = |sim: &Simulation| {
        let n = sim.api.store.get_parts(&Kind::Node, "", "w-1").and_then(|o| o.as_node()).cloned().expect("node");
        n.status.conditions.iter().find(|c| c.type_ == "MemoryPressure").map(|c| c.status.to_string()).unwrap_or_default()
    };
    sim.run_until(SimTime(39_000));
    assert_eq!(pressure(&sim), "False");
    sim.run_until(SimTime(41_000));
    assert_eq!(pressure(&sim), "True", "met at 40 s: pressure at once");
    // Met from 40 s: the grace minute is over at the look at 100 s, not before.
    sim.run_until(SimTime(99_000));
    assert_eq!(get(&sim, "hog").status.phase, "Running");
    sim.run_until(SimTime(101_000));
    let evicted = sim.trace.records().iter().filter(|r| r.kind == "Event" && r.get_str("reason") == Some("Evicted")).map(|r| r.t).collect::<Vec<_>>();
    assert_eq!(evicted.len(), 1);
    assert!((100_000..100_100).contains(&evicted[0]), "{evicted:?}");
    sim.run();
    let p = get(&sim, "hog");
    assert_eq!((&*p.status.phase, p.status.reason.as_str()), ("Failed", "Evicted"));
    assert_eq!(
        p.status.message,
        "The node was low on resource: memory. Threshold quantity: 1Gi, available: 896Mi. Container app was using 3200Mi, request is 256Mi, has larger consumption of memory. "
    );
    // nginx stops within the 20 s (the 1 s termination default): SIGTERM's 143.
    let t = p.status.container_statuses[0].state.terminated.as_ref().expect("terminated");
    assert_eq!(t.exit_code, 143);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// The same soft threshold with evictionMaxPodGracePeriod left at its default, 0:
/// min(0, 30) = 0, which calculateEffectiveGracePeriod (pod_workers.go) raises to 1 s
/// ("no matter what, we always supply a grace period of 1"). nginx takes ksim's 1 s to
/// stop, so it is still running at the end of the grace second: SIGKILL, 137.
#[test]
fn a_soft_eviction_with_the_default_max_pod_grace_period_kills_within_one_second() {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: soft0}}\nspec:\n  until: 4m\n  cluster:\n    nodePools:\n    - name: w\n      count: 1\n      capacity: {{cpu: '8', memory: 4Gi, pods: 110}}\n      kubelet:\n        evictionSoft: {{memory.available: 1Gi}}\n        evictionSoftGracePeriod: {{memory.available: 1m}}\n{}",
        pod("hog", "100Mi from 0s; 3200Mi from 30s", Some("256Mi"))
    );
    let s = common::load_str(&text);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation");
    sim.run();
    let p = get(&sim, "hog");
    assert_eq!((&*p.status.phase, p.status.reason.as_str()), ("Failed", "Evicted"));
    assert_eq!(p.status.container_statuses[0].state.terminated.as_ref().expect("terminated").exit_code, 137);
}
