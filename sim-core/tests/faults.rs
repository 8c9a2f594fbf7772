//! The fault catalogue end to end: partitions (each direction), the kubelet and the
//! container runtime stopped and started, pods and containers killed, a node's clock
//! skewed. Every expected time is derived from the constants it names (written out
//! beside the assertion), never copied from a run.
//!
//! The clocks involved: a kubelet started at t = 0 renews its Lease every
//! LEASE_RENEW_INTERVAL (10 s: at 10 s, 20 s, …); the node lifecycle controller marks a
//! node Unknown at its first monitor pass (every NODE_MONITOR_PERIOD, 5 s) once
//! NODE_MONITOR_GRACE_PERIOD (50 s) has passed since it last saw a renewal. Faults are
//! placed off the 10 s grid so that which renewal was the last one is never a tie.
//! Container defaults (kubelet annotations.rs): sandbox 500 ms, image pull 2 s, startup
//! 1 s, termination 1 s.

mod common;

use sim_core::api::pod::Pod;
use sim_core::api::Kind;
use sim_core::controller_manager::node_lifecycle::{NODE_MONITOR_GRACE_PERIOD, NODE_MONITOR_PERIOD};
use sim_core::engine::SimTime;
use sim_core::kubelet::LEASE_RENEW_INTERVAL;
use sim_core::scenario::model::Latency;
use sim_core::{RunOptions, Simulation};

const SANDBOX_MS: u64 = 500;
const PULL_MS: u64 = 2_000;
const STARTUP_MS: u64 = 1_000;
const TERMINATION_MS: u64 = 1_000;

fn req() -> u64 {
    Latency::default().request.as_ms()
}

fn scenario(nodes: u32, timeline: &str, until: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: faults}}\nspec:\n  until: {until}\n  cluster:\n    nodePools:\n    - {{name: w, count: {nodes}, capacity: {{cpu: '8', memory: 16Gi, pods: 110}}}}\n  timeline:\n{timeline}"
    );
    let s = common::load_str(&text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    Simulation::new(&s, &o).expect("simulation")
}

/// A pod bound to `node` (no scheduler involved), applied at `at`.
fn pod_at(at: &str, name: &str, node: &str) -> String {
    format!(
        "  - at: {at}\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: {name}}}\n      spec: {{nodeName: {node}, containers: [{{name: app, image: 'nginx:1.25'}}]}}\n"
    )
}

fn pod(sim: &Simulation, name: &str) -> Option<Pod> {
    sim.api.store.get_parts(&Kind::Pod, "default", name).and_then(|o| o.as_pod()).cloned()
}

fn ready(sim: &mut Simulation, t_ms: u64, node: &str) -> String {
    sim.run_until(SimTime(t_ms));
    let n = sim.api.store.get_parts(&Kind::Node, "", node).and_then(|o| o.as_node()).expect("node");
    n.ready_status().to_string()
}

fn ready_message(sim: &Simulation, node: &str) -> String {
    let n = sim.api.store.get_parts(&Kind::Node, "", node).and_then(|o| o.as_node()).expect("node");
    n.condition("Ready").map(|c| c.message.clone()).unwrap_or_default()
}

/// Times of the writes by `by` (a prefix, e.g. `kubelet/`) to pod `name`.
fn pod_writes(sim: &Simulation, name: &str, by: &str) -> Vec<u64> {
    sim.trace.records().iter().filter(|r| r.kind == "Pod" && r.name == name && r.by.starts_with(by)).map(|r| r.t).collect()
}

fn deleted_at(sim: &Simulation, name: &str) -> Option<u64> {
    sim.trace.records().iter().find(|r| r.kind == "Pod" && r.name == name && r.verb == "delete" && r.change.is_empty()).map(|r| r.t)
}

fn events(sim: &Simulation, reason: &str) -> usize {
    sim.trace.records().iter().filter(|r| r.kind == "Event" && r.get_str("reason") == Some(reason)).count()
}

/// The window in which a node whose last renewal was written at `last_ms` turns Unknown:
/// not before the grace period has passed, at the latest one monitor period (and the
/// renewal's hops) after.
fn unknown_window(last_ms: u64) -> (u64, u64) {
    let grace = NODE_MONITOR_GRACE_PERIOD.as_ms();
    (last_ms + grace, last_ms + grace + NODE_MONITOR_PERIOD.as_ms() + 3 * req())
}

#[test]
fn a_stopped_kubelet_leaves_its_containers_running_and_finds_them_when_it_starts() {
    let tl = format!("{}  - {{at: 65s, kubeletStop: w-1}}\n  - {{at: 3m, kubeletStart: w-1}}\n", pod_at("10s", "web", "w-1"));
    let mut sim = scenario(1, &tl, "4m");
    sim.run_until(SimTime(60_000));
    let before = pod(&sim, "web").expect("web");
    assert!(before.is_ready());
    let started = before.status.container_statuses[0].state.running.as_ref().and_then(|r| r.started_at);
    // The last renewal: 60 s (the 10 s grid before 65 s).
    let last = 6 * LEASE_RENEW_INTERVAL.as_ms();
    let (from, to) = unknown_window(last);
    assert_eq!(ready(&mut sim, from - 1, "w-1"), "True");
    assert_eq!(ready(&mut sim, to, "w-1"), "Unknown");
    // Nothing of the kubelet acted while it was stopped: no write to the pod.
    sim.run_until(SimTime(179_999));
    assert!(pod_writes(&sim, "web", "kubelet/").iter().all(|t| *t < 65_000));
    // The new process lists its Node and pods (a round trip), posts the node status
    // (one more request) and finds the container running: no restart, same IP, same
    // start time, ready again.
    let back = 180_000 + 3 * req();
    assert_eq!(ready(&mut sim, back, "w-1"), "True");
    sim.run_until(SimTime(185_000));
    let after = pod(&sim, "web").expect("web");
    assert_eq!(after.restarts(), 0);
    assert_eq!(after.status.pod_ip, before.status.pod_ip);
    assert_eq!(after.status.container_statuses[0].state.running.as_ref().and_then(|r| r.started_at), started);
    assert!(after.is_ready(), "ready again: {:?}", after.status.conditions);
    assert_eq!(events(&sim, "Started"), 1, "the container was started once");
    sim.run();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn a_pod_deleted_while_the_kubelet_is_stopped_is_killed_when_it_starts() {
    let tl = format!("{}  - {{at: 65s, kubeletStop: w-1}}\n  - {{at: 90s, delete: pod/web}}\n  - {{at: 3m, kubeletStart: w-1}}\n", pod_at("10s", "web", "w-1"));
    let mut sim = scenario(1, &tl, "4m");
    sim.run_until(SimTime(179_999));
    assert!(pod(&sim, "web").expect("still there").metadata.rare.deletion_timestamp.is_some(), "Terminating: nobody stops it");
    sim.run();
    // The list's round trip, the termination (1 s), the final delete's request.
    assert_eq!(deleted_at(&sim, "web"), Some(180_000 + 2 * req() + TERMINATION_MS + req()));
}

#[test]
fn the_runtime_down_makes_the_node_not_ready_in_the_kubelets_words() {
    let tl = format!("  - {{at: 65s, runtimeStop: w-1}}\n{}  - {{at: 295s, runtimeStart: w-1}}\n", pod_at("120s", "late", "w-1"));
    let mut sim = scenario(1, &tl, "6m");
    // "container runtime is down" once the last good status is 30 s old
    // (maxWaitForContainerRuntime): 95 s; the next heartbeat (100 s) posts it.
    assert_eq!(ready(&mut sim, 99_999, "w-1"), "True");
    assert_eq!(ready(&mut sim, 100_000 + req(), "w-1"), "False");
    assert_eq!(ready_message(&sim, "w-1"), "container runtime is down");
    // The PLEG is unhealthy once its last relist is more than 3 minutes old (245 s);
    // the heartbeat at 250 s sees it 185 s old.
    sim.run_until(SimTime(250_000 + req()));
    assert_eq!(ready_message(&sim, "w-1"), "[container runtime is down, PLEG is not healthy: pleg was last seen active 3m5s ago; threshold is 3m0s]");
    // A pod bound meanwhile waits: the sync loop skips its iterations.
    assert!(pod_writes(&sim, "late", "kubelet/").is_empty());
    // Back at 295 s: the heartbeat at 300 s posts Ready; the pods are listed again and
    // the new one starts.
    assert_eq!(ready(&mut sim, 300_000 + req(), "w-1"), "True");
    sim.run();
    let running = 295_000 + 2 * req() + SANDBOX_MS + PULL_MS + STARTUP_MS + req();
    let p = pod(&sim, "late").expect("late");
    assert_eq!(p.status.phase, "Running");
    let first = pod_writes(&sim, "late", "kubelet/")[0];
    assert_eq!(first, 295_000 + 2 * req() + req(), "ContainerCreating once listed");
    assert!(sim.trace.records().iter().any(|r| r.kind == "Pod" && r.name == "late" && r.t == running && r.get_str("status") == Some("Running")));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn a_killed_container_exits_137_and_restarts_at_once() {
    let tl = format!("{}  - {{at: 30s, containerKill: {{target: pod/web, container: app}}}}\n", pod_at("10s", "web", "w-1"));
    let mut sim = scenario(1, &tl, "1m");
    sim.run();
    let p = pod(&sim, "web").expect("web");
    // SIGKILL: 128 + 9, reason Error (not OOMKilled); the first exit has no back-off
    // entry, so the container is created again at once: one restart.
    let last = p.status.container_statuses[0].last_state.terminated.as_ref().expect("last state");
    assert_eq!((last.exit_code, &*last.reason), (137, "Error"));
    assert_eq!(p.restarts(), 1);
    assert!(p.is_ready());
    assert!(sim.timeline_errors.is_empty(), "{:?}", sim.timeline_errors);
}

#[test]
fn killing_a_container_that_does_not_exist_is_reported() {
    let tl = format!("{}  - {{at: 30s, containerKill: {{target: pod/web, container: sidecar}}}}\n", pod_at("10s", "web", "w-1"));
    let mut sim = scenario(1, &tl, "1m");
    sim.run();
    assert_eq!(sim.timeline_errors.len(), 1);
    assert!(sim.timeline_errors[0].1.contains("container \"sidecar\" not found in pod \"web\""), "{:?}", sim.timeline_errors);
    assert_eq!(pod(&sim, "web").expect("web").restarts(), 0);
}

#[test]
fn pod_kill_deletes_at_once_as_chaos_mesh_does() {
    // Chaos Mesh's pod-kill deletes with gracePeriod 0 by default: gone when the
    // request arrives.
    let tl = format!("{}  - {{at: 30s, podKill: {{target: pod/web}}}}\n", pod_at("10s", "web", "w-1"));
    let mut sim = scenario(1, &tl, "1m");
    sim.run();
    assert_eq!(deleted_at(&sim, "web"), Some(30_000 + req()));
}

#[test]
fn a_one_way_partition_to_the_control_plane_still_lets_the_node_hear_its_eviction() {
    // Two nodes (one unhealthy of two is under the 55 % zone threshold: the NoExecute
    // taint is applied). The pod tolerates unreachable for 300 s (DefaultTolerationSeconds).
    let tl = format!("{}  - {{at: 65s, partition: {{node: w-1, direction: toControlPlane, duration: 10m}}}}\n", pod_at("10s", "web", "w-1"));
    let mut sim = scenario(2, &tl, "12m");
    let (from, to) = unknown_window(60_000);
    assert_eq!(ready(&mut sim, from - 1, "w-1"), "True");
    assert_eq!(ready(&mut sim, to, "w-1"), "Unknown");
    // Evicted 300 s after the taint; the deletion reaches the kubelet (what the control
    // plane sends still arrives), which kills the container — but its final delete is
    // lost, so the pod stays Terminating until the partition heals.
    sim.run_until(SimTime(to + 300_000 + 10_000));
    let p = pod(&sim, "web").expect("web");
    assert!(p.metadata.rare.deletion_timestamp.is_some());
    assert!(!sim.kubelets[0].serving(&p.metadata.uid, sim.now), "the kubelet stopped it");
    sim.run();
    // Healed at 665 s: the pods are listed again (a round trip) and the deletion is
    // finished (one more request).
    assert_eq!(deleted_at(&sim, "web"), Some(665_000 + 2 * req() + req()));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn a_one_way_partition_from_the_control_plane_keeps_the_node_ready_but_deaf() {
    // The node's renewals still arrive: it stays Ready. A pod bound to it meanwhile is
    // never heard of until the partition heals (at 65 s + 2 m = 185 s).
    let tl = format!("  - {{at: 65s, partition: {{node: w-1, direction: fromControlPlane, duration: 2m}}}}\n{}", pod_at("100s", "late", "w-1"));
    let mut sim = scenario(1, &tl, "4m");
    assert_eq!(ready(&mut sim, 184_000, "w-1"), "True");
    assert!(pod_writes(&sim, "late", "kubelet/").is_empty());
    sim.run();
    // Listed again at the heal: ContainerCreating one round trip and one request later.
    assert_eq!(pod_writes(&sim, "late", "kubelet/")[0], 185_000 + 2 * req() + req());
    assert_eq!(pod(&sim, "late").expect("late").status.phase, "Running");
}

#[test]
fn a_clock_set_back_makes_lease_renewals_look_stale() {
    // At 205 s w-1's clock falls 2 minutes behind. Its renewals carry renewTime = t −
    // 120 s, which the node lifecycle controller ignores while they are not later than
    // the last one it saw (200 s; RenewTime.Before): until the renewal at 330 s (210 s).
    let tl = "  - {at: 205s, clockSkew: {node: w-1, offset: -2m}}\n";
    let mut sim = scenario(2, tl, "8m");
    // The renewal made at 300 s, written one request later.
    sim.run_until(SimTime(300_000 + req()));
    let lease = sim.api.store.get_parts(&Kind::Lease, "kube-node-lease", "w-1").expect("lease");
    let Some(sim_core::api::Object::Lease(l)) = Some(&**lease) else { panic!("a Lease") };
    assert_eq!(l.spec.renew_time.map(|t| t.0.as_ms()), Some(300_000 - 120_000), "the node's own clock");
    let mut unknown = false;
    for t in (205_000..330_000).step_by(1_000) {
        unknown |= ready(&mut sim, t, "w-1") == "Unknown";
    }
    assert!(unknown, "the node looked dead while its renewals looked old");
    assert_eq!(ready(&mut sim, 480_000, "w-1"), "True");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// A scenario with an etcd of `members` (three nodes of workers).
fn scenario_etcd(members: u32, timeline: &str, until: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: faults}}\nspec:\n  until: {until}\n  cluster:\n    etcd: {{members: {members}}}\n    nodePools:\n    - {{name: w, count: 3, capacity: {{cpu: '8', memory: 16Gi, pods: 110}}}}\n  timeline:\n{timeline}"
    );
    let s = common::load_str(&text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    Simulation::new(&s, &o).expect("simulation")
}

/// When the pod `name` was created in the store.
fn created_at(sim: &Simulation, name: &str) -> Option<u64> {
    // A timeline `apply` that creates is logged as an apply.
    sim.trace.records().iter().find(|r| r.kind == "Pod" && r.name == name && (r.verb == "create" || r.verb == "apply")).map(|r| r.t)
}

fn notes(sim: &Simulation) -> Vec<(u64, String)> {
    sim.trace.records().iter().filter(|r| r.verb == "control-plane").map(|r| (r.t, r.by.clone())).collect()
}

#[test]
fn kubectl_is_refused_while_the_apiserver_is_down() {
    let tl = format!("  - {{at: 1m, apiserverRestart: {{downtime: 30s}}}}\n{}", pod_at("70s", "late", "w-1"));
    let mut sim = scenario(1, &tl, "3m");
    sim.run();
    // The dial fails at once: kubectl's words, one round trip after the apply.
    assert_eq!(sim.timeline_errors, [(SimTime(70_000 + 2 * req()), sim_core::sim::control_plane::kubectl_refused("172.18.0.1"))]);
    assert!(pod(&sim, "late").is_none());
    // 30 s ≥ the 10 s renew deadline: both leaders lost their leases and restarted when
    // the apiserver came back (90 s).
    assert_eq!(notes(&sim), [(90_000, "controller-manager".to_string()), (90_000, "scheduler".to_string())]);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn a_short_outage_keeps_the_leaders() {
    let tl = "  - {at: 1m, apiserverRestart: {downtime: 5s}}\n";
    let mut sim = scenario(1, tl, "2m");
    sim.run();
    assert!(notes(&sim).is_empty(), "under the 10 s renew deadline");
}

#[test]
fn a_kubelets_status_is_written_when_the_apiserver_is_back() {
    // The container exits during the outage (restartPolicy Never): the kubelet's status
    // update is retried until it goes through, at the apiserver's return (100 s).
    let tl =
        "  - at: 10s\n    apply: {apiVersion: v1, kind: Pod, metadata: {name: job, annotations: {ksim.dev/run-duration: 30s}}, spec: {nodeName: w-1, restartPolicy: Never, containers: [{name: app, image: 'busybox:1.36'}]}}\n  - {at: 40s, apiserverRestart: {downtime: 1m}}\n";
    let mut sim = scenario(1, tl, "3m");
    sim.run_until(SimTime(99_999));
    assert_eq!(pod(&sim, "job").expect("job").status.phase, "Running", "nobody could write the exit");
    sim.run();
    assert_eq!(pod(&sim, "job").expect("job").status.phase, "Succeeded");
    let writes: Vec<u64> = pod_writes(&sim, "job", "kubelet/").into_iter().filter(|t| *t >= 40_000).collect();
    assert_eq!(writes.first(), Some(&(100_000 + req())), "sent again at the return, written a request later");
}

#[test]
fn without_a_quorum_writes_time_out_and_reads_are_served() {
    // Three members: two down is no quorum (2 of 3 needed).
    let tl = format!(
        "  - {{at: 1m, etcdMemberDown: {{member: 1, duration: 2m}}}}\n  - {{at: 1m, etcdMemberDown: {{member: 2, duration: 2m}}}}\n{}",
        pod_at("90s", "late", "w-1")
    );
    let mut sim = scenario_etcd(3, &tl, "5m");
    sim.run();
    // The create waits for etcd's request timeout (7 s) and fails in etcd's words.
    assert_eq!(sim.timeline_errors.len(), 1);
    let (t, msg) = &sim.timeline_errors[0];
    assert_eq!(t.as_ms(), 90_000 + req() + 7_000 + req());
    assert!(msg.ends_with("etcdserver: request timed out"), "{msg}");
    assert!(pod(&sim, "late").is_none());
    // Nothing was lost: the nodes registered before are still there.
    assert_eq!(sim.list(&Kind::Node).len(), 3);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn a_slow_leader_slows_every_write_and_a_slow_follower_none() {
    // Member 0 leads. A follower's slow disk is outvoted by the two fast ones …
    let tl = format!("  - {{at: 30s, etcdSlowDisk: {{member: 2, latency: 200ms}}}}\n{}", pod_at("40s", "a", "w-1"));
    let mut sim = scenario_etcd(3, &tl, "1m");
    sim.run();
    assert_eq!(created_at(&sim, "a"), Some(40_000 + req()));
    // … the leader's must persist every entry itself.
    let tl = format!("  - {{at: 30s, etcdSlowDisk: {{member: 0, latency: 200ms}}}}\n{}", pod_at("40s", "a", "w-1"));
    let mut sim = scenario_etcd(3, &tl, "1m");
    sim.run();
    assert_eq!(created_at(&sim, "a"), Some(40_000 + req() + 200));
}

#[test]
fn losing_the_leader_costs_an_election() {
    // The leader (member 0) stops at 40 s; the two left elect another after the 1 s
    // election timeout, and a write arriving meanwhile commits then.
    let tl = format!("  - {{at: 40s, etcdMemberDown: {{member: 0}}}}\n{}", pod_at("40100ms", "a", "w-1"));
    let mut sim = scenario_etcd(3, &tl, "1m");
    sim.run();
    assert_eq!(created_at(&sim, "a"), Some(41_000));
}

#[test]
fn an_even_etcd_cluster_is_allowed_with_etcds_advice() {
    // etcd's FAQ: quorum ⌊n/2⌋ + 1; 4 members need 3 and tolerate 1 failure, as 3 do.
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: e}\nspec:\n  cluster:\n    etcd: {members: 4}\n";
    let s = common::load_str(text);
    assert_eq!(s.cluster.etcd_members, 4);
    let w: Vec<&str> = s.warnings.iter().map(|w| w.message.as_str()).collect();
    assert_eq!(
        w,
        ["spec.cluster.etcd.members: 4: an etcd cluster of 4 members needs a quorum of 3 and tolerates 1 failed member, as 3 members would; etcd recommends an odd number of members"]
    );
}

/// A Deployment of three `web` pods applied at t = 0 and a PodChaos applied at 30 s.
fn chaos_scenario(chaos_spec: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: chaos}}\nspec:\n  until: 2m\n  cluster:\n    nodePools:\n    - {{name: w, count: 3, capacity: {{cpu: '8', memory: 16Gi, pods: 110}}}}\n  timeline:\n  - at: 30s\n    apply:\n      apiVersion: chaos-mesh.org/v1alpha1\n      kind: PodChaos\n      metadata: {{name: kill, namespace: default}}\n      spec: {chaos_spec}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec: {{containers: [{{name: web, image: 'nginx:1.25'}}]}}\n"
    );
    let s = common::load_str(&text);
    assert!(s.warnings.is_empty(), "PodChaos is modelled: {:?}", s.warnings.iter().map(|w| &w.message).collect::<Vec<_>>());
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    Simulation::new(&s, &o).expect("simulation")
}

fn chaos_notes(sim: &Simulation) -> Vec<String> {
    sim.trace.records().iter().filter(|r| r.verb == "chaos").filter_map(|r| r.get_str("message").map(String::from)).collect()
}

#[test]
fn a_pod_kill_podchaos_kills_one_pod_and_the_deployment_replaces_it() {
    let mut sim = chaos_scenario("{action: pod-kill, mode: one, selector: {labelSelectors: {app: web}}}");
    sim.run();
    let notes = chaos_notes(&sim);
    assert_eq!(notes.len(), 1, "{notes:?}");
    let victim = notes[0].strip_prefix("podchaos/default/kill: pod-kill pod/default/").expect("one pod-kill").to_string();
    // gracePeriod 0 by default: gone when the delete arrives; a replacement runs.
    assert_eq!(deleted_at(&sim, &victim), Some(30_000 + req()));
    assert_eq!(sim.list(&Kind::Pod).len(), 3);
    // The PodChaos itself is stored, as the custom resource it is.
    assert!(sim.api.store.kinds().any(|k| k.name() == "PodChaos"));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn a_container_kill_podchaos_restarts_every_selected_container() {
    let mut sim = chaos_scenario("{action: container-kill, mode: all, containerNames: [web], selector: {namespaces: [default], labelSelectors: {app: web}}}");
    sim.run();
    assert_eq!(chaos_notes(&sim).len(), 3);
    for o in sim.list(&Kind::Pod) {
        let p = o.as_pod().expect("pod");
        assert_eq!(p.restarts(), 1, "{}", p.metadata.name);
        assert_eq!(p.status.container_statuses[0].last_state.terminated.as_ref().map(|t| t.exit_code), Some(137));
    }
}

#[test]
fn a_podchaos_that_selects_nothing_is_a_note_not_an_error() {
    let mut sim = chaos_scenario("{action: pod-kill, mode: all, selector: {labelSelectors: {app: cache}}}");
    sim.run();
    // The records controller's Failed event: "Failed to %s: %s" with "select targets" and
    // pkg/selector/pod's ErrNoPodSelected (v2.8.3 controllers/common/records/controller.go,
    // controllers/utils/recorder/error.go).
    assert_eq!(chaos_notes(&sim), ["podchaos/default/kill: Failed to select targets: no pod is selected"]);
    assert!(sim.timeline_errors.is_empty());
}

#[test]
fn a_kill_under_way_finishes_after_a_kubelet_restart() {
    // The container takes 20 s to stop (termination-duration); the kubelet is stopped
    // and started meanwhile: the step due after the start still happens (only a crash
    // forgets what the containers were doing).
    let tl = "  - at: 10s\n    apply: {apiVersion: v1, kind: Pod, metadata: {name: slow, annotations: {ksim.dev/termination-duration: 20s}}, spec: {nodeName: w-1, containers: [{name: app, image: 'nginx:1.25'}]}}\n  - {at: 20s, delete: pod/slow}\n  - {at: 25s, kubeletStop: w-1}\n  - {at: 30s, kubeletStart: w-1}\n";
    let mut sim = scenario(1, tl, "2m");
    sim.run();
    // The delete seen at 20 s + REQ + WATCH, SIGTERM then, the containers gone 20 s later;
    // the final delete a request after.
    let watch = Latency::default().watch.as_ms();
    assert_eq!(deleted_at(&sim, "slow"), Some(20_000 + req() + watch + 20_000 + req()));
}

#[test]
fn the_kubelet_and_the_runtime_back_together_restart_nothing() {
    let tl = format!(
        "{}  - {{at: 30s, runtimeStop: w-1}}\n  - {{at: 35s, kubeletStop: w-1}}\n  - {{at: 50s, kubeletStart: w-1}}\n  - {{at: 50s, runtimeStart: w-1}}\n",
        pod_at("10s", "web", "w-1")
    );
    let mut sim = scenario(1, &tl, "2m");
    sim.run();
    let p = pod(&sim, "web").expect("web");
    assert_eq!((p.restarts(), p.is_ready()), (0, true));
    assert_eq!(events(&sim, "Started"), 1);
}

#[test]
fn overlapping_partitions_heal_with_the_last_one() {
    // A 10-minute partition from 65 s and a 3-minute one inside it: the inner heal at
    // 5m05s does not end the outer one.
    let tl = "  - {at: 65s, partition: {node: w-1, duration: 10m}}\n  - {at: 2m5s, partition: {node: w-1, duration: 3m}}\n";
    let mut sim = scenario(2, tl, "12m");
    assert_eq!(ready(&mut sim, 6 * 60_000, "w-1"), "Unknown");
    // Healed at 11m05s: listed again and Ready a round trip and a status post later.
    assert_eq!(ready(&mut sim, 665_000 + 3 * req(), "w-1"), "True");
}

#[test]
fn a_node_that_reboots_during_an_outage_restarts_its_pods_when_it_can() {
    // worker w-1 crashes and comes back while kube-apiserver is down: its reboot list is
    // refused; the list after the apiserver's return is handled as the reboot's, so its
    // pod's containers start again (a restart) rather than waiting for good.
    let tl = format!(
        "{}  - {{at: 30s, apiserverRestart: {{downtime: 1m}}}}\n  - {{at: 40s, nodeCrash: w-1}}\n  - {{at: 50s, nodeRecover: w-1}}\n",
        pod_at("10s", "web", "w-1")
    );
    let mut sim = scenario(2, &tl, "3m");
    sim.run();
    let p = pod(&sim, "web").expect("web");
    assert_eq!((p.status.phase.as_ref(), p.is_ready(), p.restarts()), ("Running", true, 1));
}

/// Every fault of the catalogue has a random plan (`spec.faults`), each drawn from its own
/// seeded stream as nodeCrash's is: clock skews on random nodes, kube-apiserver
/// restarts, etcd members down and slow disks on random members, and kills of a Running
/// pod drawn when each fires (outside kube-system). A Deployment lives through all of it:
/// no invariant breaks, and once the faults are over its replicas are all back.
#[test]
fn every_fault_of_the_catalogue_has_a_random_plan() {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: plans}\nspec:\n  seed: 7\n  until: 40m\n  cluster:\n    etcd: {members: 3}\n    nodePools:\n    - {name: w, count: 3, capacity: {cpu: '8', memory: 16Gi, pods: 110}}\n  faults:\n    clockSkew: {rate: 1/10m, offset: -20s, duration: 1m, to: 30m}\n    apiserverRestart: {rate: 1/15m, downtime: 20s, to: 30m}\n    etcdMemberDown: {rate: 1/10m, duration: 1m, to: 30m}\n    etcdSlowDisk: {rate: 1/10m, latency: 150ms, duration: 1m, to: 30m}\n    podKill: {rate: 1/3m, to: 30m}\n    containerKill: {rate: 1/3m, to: 30m}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.25}]\n";
    let s = common::load_str(text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    let mut sim = Simulation::new(&s, &o).expect("simulation");
    sim.run();
    let actions: Vec<String> =
        sim.trace.records().iter().filter(|r| r.verb == "timeline").map(|r| r.get_str("action").unwrap_or_default().to_string()).collect();
    for kind in ["clock -20s for 1m", "kube-apiserver stops (back after 20s)", "etcd member ", "disk", "kill pod/web-", "kill container web of pod/web-"] {
        assert!(actions.iter().any(|a| a.contains(kind)), "no {kind:?} in {actions:?}");
    }
    // Kills stay out of kube-system and hit Running pods only: every kill names a web pod.
    assert!(actions.iter().filter(|a| a.starts_with("kill")).all(|a| a.contains("pod/web-")), "{actions:?}");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let d = sim.api.store.get_parts(&Kind::Deployment, "default", "web").and_then(|o| o.as_deployment()).cloned().expect("web");
    assert_eq!(d.status.available_replicas, 3, "{:?}", d.status);
}

fn image_and_restarts(sim: &Simulation, name: &str) -> (String, i32, Option<String>) {
    let p = pod(sim, name).expect("pod");
    let key = "chaos-mesh-kill-pod-failure-web-normal-image";
    (p.spec.containers[0].image.clone(), p.restarts(), p.metadata.annotations.get(key).cloned())
}

/// pod-failure (podfailure/impl.go): the pod patched at 30 s with the pause image and the
/// original kept in GenKeyForImage's annotation; the kubelet kills the container for its
/// changed definition (termination 1 s), pulls the pause image (2 s) and starts it (1 s);
/// at 30 s + duration the image is put back and the container restarted again, its image
/// already on the node (startup 1 s only).
#[test]
fn a_pod_failure_podchaos_runs_the_pause_image_for_its_duration() {
    let mut sim = chaos_scenario("{action: pod-failure, mode: one, duration: 30s, selector: {labelSelectors: {app: web}}}");
    sim.run_until(SimTime(45_000));
    let notes = chaos_notes(&sim);
    let chosen =
        notes[0].strip_prefix("podchaos/default/kill: pod-failure pod/default/").and_then(|r| r.split(':').next()).expect("one pod-failure").to_string();
    let pause = "gcr.io/google-containers/pause:latest";
    assert_eq!(image_and_restarts(&sim, &chosen), (pause.to_string(), 1, Some("nginx:1.25".to_string())));
    // Patched at 30 s + 1 ms, seen by the kubelet 1 ms later, exited 1 s after, the pause
    // image pulled in 2 s and started in 1 s: running again at 34.002 s.
    let p = pod(&sim, &chosen).expect("pod");
    let started = p.status.container_statuses[0].state.running.as_ref().and_then(|r| r.started_at).expect("running");
    assert_eq!(started.0.as_ms(), 30_000 + 2 * req() + TERMINATION_MS + PULL_MS + STARTUP_MS);
    // Without a readiness probe the paused container counts as Ready (the docs' warning).
    assert!(p.is_ready());
    sim.run_until(SimTime(70_000));
    assert_eq!(image_and_restarts(&sim, &chosen), ("nginx:1.25".to_string(), 2, None));
    let p = pod(&sim, &chosen).expect("pod");
    let started = p.status.container_statuses[0].state.running.as_ref().and_then(|r| r.started_at).expect("running");
    assert_eq!(started.0.as_ms(), 60_000 + 2 * req() + TERMINATION_MS + STARTUP_MS);
    assert_eq!(chaos_notes(&sim).last().map(String::as_str), Some(format!("podchaos/default/kill: recovered pod/default/{chosen}").as_str()));
    sim.run();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// A paused container with a readiness probe is never ready (the pause image listens on
/// nothing), so it leaves its Service's endpoints until its image is back.
#[test]
fn a_paused_pod_with_a_readiness_probe_is_not_ready_until_recovered() {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: pf}\nspec:\n  until: 2m\n  cluster:\n    nodePools:\n    - {name: w, count: 1, capacity: {cpu: '8', memory: 16Gi, pods: 110}}\n  timeline:\n  - at: 30s\n    apply: {apiVersion: chaos-mesh.org/v1alpha1, kind: PodChaos, metadata: {name: pf}, spec: {action: pod-failure, mode: all, selector: {pods: {default: [app]}}}}\n  - {at: 90s, delete: podchaos/pf}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: app}\nspec:\n  containers:\n  - {name: web, image: 'nginx:1.25', readinessProbe: {httpGet: {path: /, port: 80}, periodSeconds: 5}}\n";
    let s = common::load_str(text);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation");
    sim.run_until(SimTime(29_000));
    assert!(pod(&sim, "app").expect("pod").is_ready());
    // No duration: paused until the experiment is deleted at 90 s.
    sim.run_until(SimTime(80_000));
    let p = pod(&sim, "app").expect("pod");
    assert_eq!((p.spec.containers[0].image.as_str(), p.is_ready()), ("gcr.io/google-containers/pause:latest", false));
    // Deleted at 90 s: the image back, killed (1 s) and started (1 s), ready (no delay).
    sim.run_until(SimTime(95_000));
    let p = pod(&sim, "app").expect("pod");
    assert_eq!((p.spec.containers[0].image.as_str(), p.is_ready(), p.restarts()), ("nginx:1.25", true, 2));
}
