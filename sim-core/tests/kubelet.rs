//! The kubelet's pod lifecycle end to end: small scenarios run through the simulation,
//! read back from the store and the event log. Every expected time and value is derived
//! from the constants and annotation defaults it names (written out beside the
//! assertion), never copied from a run.
//!
//! The defaults used throughout (README, the `ksim.dev/` annotations table; kubelet
//! `annotations.rs`): sandbox 500 ms, image pull 2 s, startup 1 s. The hops (scenario
//! `Latency::default()`): a request reaches the apiserver `REQ` after it is sent (and a
//! response comes back `REQ` later), a write reaches a watcher `WATCH` later. Pods name
//! their node in `spec.nodeName`, so no scheduler is involved, and are created at 10 s,
//! long after the node got its pod CIDR.

mod common;

use serde_json::{json, Value};
use sim_core::api::pod::Pod;
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::scenario::model::Latency;
use sim_core::{RunOptions, Simulation};

const SANDBOX_MS: u64 = 500;
const PULL_MS: u64 = 2_000;
const STARTUP_MS: u64 = 1_000;

fn req() -> u64 {
    Latency::default().request.as_ms()
}
fn watch() -> u64 {
    Latency::default().watch.as_ms()
}

/// When the kubelet first sees a pod the timeline applies at `at_ms`: the apply reaches
/// the apiserver after REQ, its write reaches the kubelet after WATCH.
fn seen(at_ms: u64) -> u64 {
    at_ms + req() + watch()
}

/// A scenario: node pools (YAML list items), timeline entries, end time.
fn scenario(pools: &str, timeline: &str, until: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: kubelet}}\nspec:\n  until: {until}\n  cluster:\n    nodePools:\n{pools}\n  timeline:\n{timeline}"
    );
    let s = common::load_str(&text);
    Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation")
}

const ONE_NODE: &str = "    - {name: w, count: 1, capacity: {cpu: '8', memory: 16Gi, pods: 110}}";

/// A timeline entry applying pod `name` on `node` at `at`, with annotations (a YAML flow
/// mapping body), extra spec fields (flow mapping entries, may be empty) and an image.
fn pod_at(at: &str, name: &str, node: &str, annotations: &str, spec: &str, image: &str) -> String {
    format!(
        "  - at: {at}\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: {name}, annotations: {{{annotations}}}}}\n      spec: {{nodeName: {node}, {spec} containers: [{{name: app, image: '{image}'}}]}}\n"
    )
}

fn pod(sim: &Simulation, name: &str) -> Option<Pod> {
    sim.api.store.get_parts(&Kind::Pod, "default", name).and_then(|o| o.as_pod()).cloned()
}

/// The pod's state at `t_ms` (after every event at or before it).
fn pod_at_time(sim: &mut Simulation, t_ms: u64, name: &str) -> Pod {
    sim.run_until(SimTime(t_ms));
    pod(sim, name).unwrap_or_else(|| panic!("pod/{name} exists at {t_ms} ms"))
}

/// Times of the writes by a kubelet to pod `name` that set `field` to `value`.
fn writes(sim: &Simulation, name: &str, field: &str, value: Value) -> Vec<u64> {
    sim.trace
        .records()
        .iter()
        .filter(|r| r.kind == "Pod" && r.name == name && r.by.starts_with("kubelet/") && r.get(field) == Some(&value))
        .map(|r| r.t)
        .collect()
}

/// When pod `name` was removed from the store.
fn deleted_at(sim: &Simulation, name: &str) -> Option<u64> {
    sim.trace.records().iter().find(|r| r.kind == "Pod" && r.name == name && r.verb == "delete" && r.change.is_empty()).map(|r| r.t)
}

/// (involvedObject as `Kind/name`, message) of the kubelet's events with `reason`.
fn events(sim: &Simulation, reason: &str) -> Vec<(String, String)> {
    sim.trace
        .records()
        .iter()
        .filter(|r| r.kind == "Event" && r.by.starts_with("kubelet/") && r.get_str("reason") == Some(reason))
        .map(|r| (r.get_str("object").unwrap_or_default().to_string(), r.get_str("message").unwrap_or_default().to_string()))
        .collect()
}

fn terminated(p: &Pod) -> (i32, String) {
    let t = p.status.container_statuses[0].state.terminated.as_ref().expect("terminated state");
    (t.exit_code, t.reason.to_string())
}

#[test]
fn a_pod_runs_after_its_sandbox_image_pull_and_startup() {
    let mut sim = scenario(ONE_NODE, &pod_at("10s", "web", "w-1", "", "", "nginx:1.25"), "1m");
    sim.run();
    let t0 = seen(10_000);
    // Admitted when seen: ContainerCreating, written one request later.
    assert_eq!(writes(&sim, "web", "status", json!("ContainerCreating")), [t0 + req()]);
    // The sandbox (500 ms) gives it an IP from the node's pod CIDR: 10.244.0.0/16 cut in
    // /24s, the only node gets the first, the first pod IP is .2 (host-local skips .1).
    // Then one pull (2 s) and the startup (1 s): Running at t0 + 3.5 s. The first
    // SyncPod posts nothing between its start (ContainerCreating) and the sync after the
    // containers started (kubelet.go SyncPod: the status is generated and set before
    // kuberuntime's SyncPod makes the sandbox and blocks in the pull), so the IP is
    // written with Running.
    let running_at = t0 + SANDBOX_MS + PULL_MS + STARTUP_MS + req();
    assert_eq!(writes(&sim, "web", "ip", json!("10.244.0.2")), [running_at]);
    assert_eq!(writes(&sim, "web", "status", json!("Running")), [running_at]);
    let p = pod(&sim, "web").unwrap();
    assert_eq!((p.status.phase.as_ref(), p.is_ready(), p.restarts()), ("Running", true, 0));
}

/// A hostNetwork pod has its node's IP from its first status, before any sandbox
/// (kubelet_pods.go generateAPIPodStatus: "HostNetwork Pods inherit the node IPs as
/// PodIPs"). A pod with an init container posts nothing between its admission and the
/// sync after its first init container started (kuberuntime computePodActions starts
/// one init container a sync, and kubelet.go SyncPod posts only at its start): its IP
/// comes with the running init container.
#[test]
fn a_host_network_pod_has_the_node_ip_at_once_and_an_init_pod_its_ip_with_its_init_container() {
    let timeline = pod_at("10s", "host", "w-1", "", "hostNetwork: true,", "agent:1")
        + &pod_at("10s", "init", "w-1", "", "initContainers: [{name: setup, image: 'busybox:1.36'}],", "nginx:1.25");
    let mut sim = scenario(ONE_NODE, &timeline, "1m");
    let p = pod_at_time(&mut sim, seen(10_000) + req(), "host");
    assert_eq!(sim_core::trace::pod_status(&p), "ContainerCreating");
    assert!(!p.status.host_ip.is_empty());
    assert_eq!(p.status.pod_ip, p.status.host_ip);
    sim.run();
    let first_ip =
        sim.trace.records().iter().find(|r| r.kind == "Pod" && r.name == "init" && r.by.starts_with("kubelet/") && r.get("ip").is_some()).map(|r| r.t);
    let t = first_ip.expect("the init pod's IP is written");
    let mut sim = scenario(ONE_NODE, &timeline, "1m");
    let before = pod_at_time(&mut sim, t - 1, "init");
    assert_eq!(before.status.pod_ip, "");
    assert!(before.status.init_container_statuses.iter().all(|s| s.state.running.is_none()));
    let at = pod_at_time(&mut sim, t, "init");
    assert!(at.status.init_container_statuses[0].state.running.is_some(), "the IP comes with the running init container");
}

#[test]
fn exit_codes_meet_the_restart_policy() {
    // Five pods on one node, each running 3 s then exiting with its code. All start
    // together: same image, so one pull that the others wait for (images.rs).
    let tl: String = [
        ("never-ok", "0", "restartPolicy: Never,"),
        ("never-fail", "3", "restartPolicy: Never,"),
        ("onfailure-ok", "0", "restartPolicy: OnFailure,"),
        ("onfailure-fail", "3", "restartPolicy: OnFailure,"),
        ("always-ok", "0", ""),
    ]
    .iter()
    .map(|(n, code, spec)| pod_at("10s", n, "w-1", &format!("ksim.dev/run-duration: 3s, ksim.dev/exit-code: '{code}'"), spec, "busybox:1.36"))
    .collect();
    let mut sim = scenario(ONE_NODE, &tl, "1m");
    sim.run();
    // Running at t0 + 500 ms + 2 s + 1 s; the containers exit 3 s (run-duration) later.
    let running = seen(10_000) + SANDBOX_MS + PULL_MS + STARTUP_MS;
    let exit = running + 3_000;
    for n in ["never-ok", "never-fail", "onfailure-ok", "onfailure-fail", "always-ok"] {
        assert_eq!(writes(&sim, n, "status", json!("Running"))[0], running + req(), "{n} Running");
    }
    // Never: exit 0 → Succeeded, kubectl STATUS Completed; non-zero → Failed, Error, and
    // the container's terminated state keeps the code. OnFailure with exit 0 succeeds
    // too. Nothing restarts.
    for (n, phase, status, code) in
        [("never-ok", "Succeeded", "Completed", 0), ("never-fail", "Failed", "Error", 3), ("onfailure-ok", "Succeeded", "Completed", 0)]
    {
        assert_eq!(writes(&sim, n, "phase", json!(phase)), [exit + req()], "{n} {phase}");
        assert_eq!(writes(&sim, n, "status", json!(status)), [exit + req()], "{n} {status}");
        let p = pod(&sim, n).unwrap();
        assert_eq!(terminated(&p), (code, status.to_string()), "{n}");
        assert_eq!(p.restarts(), 0, "{n}");
    }
    // OnFailure with a non-zero code, and Always with any code, restart: the phase stays
    // Running (getPhase: containers restarting), the exit shows as Error / Completed, and
    // the first restart is immediate — the new container runs 1 s (startup) later with
    // restartCount 1.
    for (n, shown) in [("onfailure-fail", "Error"), ("always-ok", "Completed")] {
        assert_eq!(writes(&sim, n, "status", json!(shown))[0], exit + req(), "{n} exits");
        assert_eq!(writes(&sim, n, "restarts", json!(1)), [exit + STARTUP_MS + req()], "{n} restarted");
        assert!(writes(&sim, n, "phase", json!("Succeeded")).is_empty() && writes(&sim, n, "phase", json!("Failed")).is_empty(), "{n} never terminal");
    }
}

/// The crash-loop back-off (kubelet.go: initialCrashLoopBackOff 10 s, MaxCrashLoopBackOff
/// = MaxContainerBackOff 300 s; kuberuntime doBackOff + flowcontrol.Backoff): the first
/// exit has no back-off entry, so the container is restarted at once and the entry set to
/// 10 s; every later exit waits the entry — in CrashLoopBackOff, `back-off <d> restarting
/// failed container=<c> pod=<name>_<namespace>(<uid>)` — and the restart doubles it,
/// capped at 300 s. The restart count goes up when the new container is created.
#[test]
fn crash_loop_back_off_waits_0_10_20_40_80_160_then_300s() {
    let tl = pod_at("10s", "crash", "w-1", "ksim.dev/run-duration: 2s, ksim.dev/exit-code: '1'", "", "busybox:1.36");
    let mut sim = scenario(ONE_NODE, &tl, "20m");
    let uid = pod_at_time(&mut sim, 11_000, "crash").metadata.uid;
    // Back-off before restart k (k = 1, 2, …). The entry never resets: finishedAt −
    // lastUpdate = startup + run = 3 s ≤ 600 s.
    let backoff_s = [0u64, 10, 20, 40, 80, 160, 300, 300];
    let shown = ["", "10s", "20s", "40s", "1m20s", "2m40s", "5m0s", "5m0s"];
    let mut running = seen(10_000) + SANDBOX_MS + PULL_MS + STARTUP_MS;
    let mut exits = Vec::new();
    for (k, wait) in backoff_s.iter().enumerate() {
        let exit = running + 2_000; // run-duration
        exits.push(exit);
        // Just after the exit: restartCount = restarts so far (k).
        let p = pod_at_time(&mut sim, exit + req(), "crash");
        let cs = &p.status.container_statuses[0];
        assert_eq!(cs.restart_count, k as i32, "exit {}", k + 1);
        assert_eq!(p.status.phase, "Running", "exit {}: restartPolicy Always keeps the pod Running", k + 1);
        if *wait == 0 {
            // Restarting at once: the Terminated state of the exited container.
            assert_eq!(terminated(&p), (1, "Error".to_string()), "exit {}", k + 1);
        } else {
            let w = cs.state.waiting.as_ref().expect("waiting");
            assert_eq!(w.reason, "CrashLoopBackOff", "exit {}", k + 1);
            assert_eq!(w.message, format!("back-off {} restarting failed container=app pod=crash_default({uid})", shown[k]), "exit {}", k + 1);
            let last = cs.last_state.terminated.as_ref().expect("lastState");
            assert_eq!(last.exit_code, 1);
        }
        // The new container is created when the back-off has passed and runs 1 s later.
        running = exit + wait * 1000 + STARTUP_MS;
        let p = pod_at_time(&mut sim, running + req(), "crash");
        assert_eq!((p.status.container_statuses[0].restart_count, p.is_ready()), (k as i32 + 1, true), "restart {}", k + 1);
    }
    // The log agrees: restartCount k+1 is written exactly when the k-th restart runs.
    sim.run();
    let expected: Vec<u64> = exits.iter().zip(backoff_s).map(|(e, w)| e + w * 1000 + STARTUP_MS + req()).collect();
    let observed: Vec<u64> = (1..=backoff_s.len()).map(|k| writes(&sim, "crash", "restarts", json!(k))[0]).collect();
    assert_eq!(observed, expected);
}

#[test]
fn a_restarted_kubelet_forgets_the_back_off() {
    // The back-off entries are the kubelet's memory (Kubelet.crashLoopBackOff), so after
    // a node crash the first start has no entry: at once, and the next exit waits 10 s
    // again, not the doubled 80 s the old entry would have given.
    let tl = pod_at("10s", "crash", "w-1", "ksim.dev/run-duration: 2s, ksim.dev/exit-code: '1'", "", "busybox:1.36")
        + "  - {at: 60s, nodeCrash: w-1}\n  - {at: 70s, nodeRecover: w-1}\n";
    let mut sim = scenario(ONE_NODE, &tl, "3m");
    // Before the crash: running at t0 + 3.5 s, then cycles of 2 s running + back-off +
    // 1 s startup with back-offs 0, 10 s, 20 s: the fourth exit is at
    // t0 + 3.5 s + 4 × 2 s + 3 × 1 s + 30 s = t0 + 44.5 s (54.502 s), and waits 40 s.
    let fourth_exit = seen(10_000) + SANDBOX_MS + PULL_MS + STARTUP_MS + 4 * 2_000 + 3 * STARTUP_MS + 30_000;
    let p = pod_at_time(&mut sim, fourth_exit + req(), "crash");
    assert!(
        p.status.container_statuses[0].state.waiting.as_ref().is_some_and(|w| w.message.starts_with("back-off 40s ")),
        "{:?}",
        p.status.container_statuses[0].state
    );
    assert!(fourth_exit + 40_000 > 60_000, "the crash falls in that back-off");
    sim.run();
    // Recovery: relist (2 × REQ), sandbox (500 ms), container created (restart 4), runs
    // 1 s later, exits 2 s after that and waits the fresh entry's 10 s.
    let created = 70_000 + 2 * req() + SANDBOX_MS;
    assert_eq!(writes(&sim, "crash", "restarts", json!(4)), [created + req()]);
    let exit = created + STARTUP_MS + 2_000;
    assert_eq!(writes(&sim, "crash", "status", json!("CrashLoopBackOff")).into_iter().find(|t| *t > 70_000), Some(exit + req()));
    assert_eq!(writes(&sim, "crash", "restarts", json!(5)), [exit + 10_000 + STARTUP_MS + req()]);
}

#[test]
fn a_container_that_ran_over_600s_is_restarted_without_back_off() {
    // HasExpiredFunc: an entry whose lastUpdate (the last restart) is more than 600 s
    // before the exit is forgotten. `steady` runs 600 s after a 1 s startup: 601 s > 600 s,
    // so every restart is immediate. `edge` runs 599 s: 600 s is not > 600 s, so its
    // second exit waits the 10 s entry.
    let tl = pod_at("10s", "steady", "w-1", "ksim.dev/run-duration: 600s, ksim.dev/exit-code: '1'", "", "busybox:1.36")
        + &pod_at("10s", "edge", "w-1", "ksim.dev/run-duration: 599s, ksim.dev/exit-code: '1'", "", "busybox:1.36");
    let mut sim = scenario(ONE_NODE, &tl, "35m");
    sim.run();
    let running = seen(10_000) + SANDBOX_MS + PULL_MS + STARTUP_MS;
    // steady: Running, then each cycle is 600 s of running and 1 s of startup.
    let restarts: Vec<u64> = (1..=3).map(|k| writes(&sim, "steady", "restarts", json!(k))[0]).collect();
    assert_eq!(restarts, (1..=3).map(|k| running + k * (600_000 + STARTUP_MS) + req()).collect::<Vec<_>>());
    assert!(writes(&sim, "steady", "status", json!("CrashLoopBackOff")).is_empty());
    // edge: the first exit, at running + 599 s, restarts at once; the second, 600 s after
    // that restart, waits 10 s; the third (600 s after the second restart) 20 s.
    let second_exit = running + 599_000 + STARTUP_MS + 599_000;
    let third_exit = second_exit + 10_000 + STARTUP_MS + 599_000;
    assert_eq!(writes(&sim, "edge", "status", json!("CrashLoopBackOff")), [second_exit + req(), third_exit + req()]);
    assert_eq!(writes(&sim, "edge", "restarts", json!(2)), [second_exit + 10_000 + STARTUP_MS + req()]);
}

#[test]
fn a_pod_in_crash_loop_back_off_is_deleted_at_once() {
    // Nothing runs while it waits, so there is nothing to stop (upstream kills only
    // running containers): the kubelet finishes the deletion as soon as it sees it.
    // Exits at t0 + 3.5 s + 1 s and (after the immediate restart, 1 s startup) 1 s later:
    // in CrashLoopBackOff (10 s) from t0 + 6.5 s; the delete at 20 s falls in it.
    let tl = pod_at("10s", "crash", "w-1", "ksim.dev/run-duration: 1s, ksim.dev/exit-code: '1', ksim.dev/termination-duration: 20s", "", "busybox:1.36")
        + "  - {at: 20s, delete: pod/crash}\n";
    let mut sim = scenario(ONE_NODE, &tl, "1m");
    assert_eq!(
        pod_at_time(&mut sim, 19_999, "crash").status.container_statuses[0].state.waiting.as_ref().map(|w| w.reason.to_string()).as_deref(),
        Some("CrashLoopBackOff")
    );
    sim.run();
    // delete → apiserver (REQ) → deletionTimestamp to the kubelet (WATCH) → its delete
    // with grace 0 → apiserver (REQ).
    assert_eq!(deleted_at(&sim, "crash"), Some(20_000 + req() + watch() + req()));
    assert!(events(&sim, "Killing").is_empty(), "no container to stop");
}

/// kuberuntime_container.go killContainer: the preStop hook runs first, within the grace
/// period; SIGTERM follows with what is left of the grace period, but at least
/// minimumGracePeriodInSeconds (2 s); the pod is gone when the containers stopped.
#[test]
fn a_pre_stop_hook_runs_before_sigterm_within_the_grace_period() {
    let pod = |name: &str, grace: u32, hook: &str| {
        format!(
            "  - at: 10s\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: {name}, annotations: {{ksim.dev/termination-duration: 5s}}}}\n      spec:\n        nodeName: w-1\n        terminationGracePeriodSeconds: {grace}\n        containers:\n        - name: app\n          image: busybox:1.36\n          lifecycle: {{preStop: {hook}}}\n"
        )
    };
    let tl = pod("sleeps", 30, "{sleep: {seconds: 4}}")
        + &pod("execs", 30, "{exec: {command: [/bin/sh, -c, sleep 6]}}")
        + &pod("long", 10, "{sleep: {seconds: 9}}")
        + &pod("over", 3, "{sleep: {seconds: 10}}")
        + "  - {at: 30s, delete: pod/sleeps}\n  - {at: 30s, delete: pod/execs}\n  - {at: 30s, delete: pod/long}\n  - {at: 30s, delete: pod/over}\n";
    let mut sim = scenario(ONE_NODE, &tl, "2m");
    sim.run();
    let seen_delete = 30_000 + req() + watch();
    // hook + min(termination 5 s, max(grace − hook, 2 s)).
    for (n, ms) in [("sleeps", 4_000 + 5_000), ("execs", 6_000 + 5_000), ("long", 9_000 + 2_000), ("over", 3_000 + 2_000)] {
        assert_eq!(deleted_at(&sim, n), Some(seen_delete + ms + req()), "{n}: {ms} ms from the kubelet seeing the deletion");
    }
}

#[test]
fn termination_takes_the_shorter_of_the_containers_stop_and_the_grace_period() {
    // Three running pods deleted at 30 s (the timeline's delete has no gracePeriodSeconds,
    // so the apiserver takes the pod's terminationGracePeriodSeconds, default 30 s).
    let tl = pod_at("10s", "quick", "w-1", "ksim.dev/termination-duration: 3s", "terminationGracePeriodSeconds: 10,", "busybox:1.36")
        + &pod_at("10s", "slow", "w-1", "ksim.dev/termination-duration: 45s", "terminationGracePeriodSeconds: 10,", "busybox:1.36")
        + &pod_at("10s", "default", "w-1", "ksim.dev/termination-duration: 45s", "", "busybox:1.36")
        + "  - {at: 30s, delete: pod/quick}\n  - {at: 30s, delete: pod/slow}\n  - {at: 30s, delete: pod/default}\n";
    let mut sim = scenario(ONE_NODE, &tl, "2m");
    sim.run();
    // The kubelet sees the deletionTimestamp at 30 s + REQ + WATCH, sends SIGTERM
    // (a Killing event), and deletes the pod (grace 0) when the containers stopped:
    // min(termination, grace) later, plus REQ.
    let seen_delete = 30_000 + req() + watch();
    for (n, stop_ms) in [("quick", 3_000), ("slow", 10_000), ("default", 30_000)] {
        assert_eq!(deleted_at(&sim, n), Some(seen_delete + stop_ms + req()), "{n}: min(termination, grace) = {stop_ms} ms");
    }
    let killing = events(&sim, "Killing");
    assert_eq!(killing.len(), 3);
    assert!(killing.iter().all(|(_, m)| m == "Stopping container app"), "{killing:?}");
}

#[test]
fn image_pulls_are_serialized_shared_and_cached() {
    // serializeImagePulls: true (the default): one pull at a time per node.
    // At 10 s: a (img-a), b (img-b), c (img-a), in that order. Sandboxes at t0 + 500 ms;
    // a pulls img-a [t0+0.5 s, t0+2.5 s]; b's img-b waits for the puller:
    // [t0+2.5 s, t0+4.5 s]; c needs img-a, already being pulled: it waits for that pull.
    // At 30 s: d (img-a, cached: no pull) and e (img-a, imagePullPolicy Always: pulls).
    let tl = pod_at("10s", "a", "w-1", "", "", "img-a:1")
        + &pod_at("10s", "b", "w-1", "", "", "img-b:1")
        + &pod_at("10s", "c", "w-1", "", "", "img-a:1")
        + &pod_at("30s", "d", "w-1", "", "", "img-a:1")
        + "  - at: 30s\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {name: e}\n      spec: {nodeName: w-1, containers: [{name: app, image: 'img-a:1', imagePullPolicy: Always}]}\n";
    let mut sim = scenario(ONE_NODE, &tl, "1m");
    sim.run();
    let (t0, t1) = (seen(10_000), seen(30_000));
    let running = |n: &str| writes(&sim, n, "status", json!("Running"));
    assert_eq!(running("a"), [t0 + SANDBOX_MS + PULL_MS + STARTUP_MS + req()]);
    assert_eq!(running("c"), [t0 + SANDBOX_MS + PULL_MS + STARTUP_MS + req()], "c waits for a's pull");
    assert_eq!(running("b"), [t0 + SANDBOX_MS + 2 * PULL_MS + STARTUP_MS + req()], "b's pull waits for a's");
    assert_eq!(running("d"), [t1 + SANDBOX_MS + STARTUP_MS + req()], "img-a is cached");
    assert_eq!(running("e"), [t1 + SANDBOX_MS + PULL_MS + STARTUP_MS + req()], "Always pulls");
    // Every pod that needs an image not on the node says Pulling and, once it has it,
    // "Successfully pulled … in PULL (WAIT including waiting)" (image_manager.go): a and
    // e pull img-a, b img-b (after a's pull: 2 s of its own, 4 s with the wait); c waits
    // for a's pull of img-a (none of its own, 2 s with the wait). d finds img-a on the
    // node: "already present on machine" (EnsureImageExists, IfNotPresent).
    let of = |reason: &str, prefix: &str| -> Vec<String> { events(&sim, reason).into_iter().filter(|(_, m)| m.starts_with(prefix)).map(|(o, _)| o).collect() };
    assert_eq!(of("Pulling", "Pulling image \"img-"), ["Pod/a", "Pod/b", "Pod/c", "Pod/e"]);
    assert_eq!(of("Pulled", "Successfully pulled image"), ["Pod/a", "Pod/c", "Pod/b", "Pod/e"]);
    let msg = |pod: &str| events(&sim, "Pulled").into_iter().find(|(o, _)| o == pod).map(|(_, m)| m).unwrap();
    assert_eq!(msg("Pod/a"), "Successfully pulled image \"img-a:1\" in 2s (2s including waiting).");
    assert_eq!(msg("Pod/b"), "Successfully pulled image \"img-b:1\" in 2s (4s including waiting).");
    assert_eq!(msg("Pod/c"), "Successfully pulled image \"img-a:1\" in 0s (2s including waiting).");
    assert_eq!(of("Pulled", "Container image \"img-a:1\" already present on machine"), ["Pod/d"]);
    // Every container is created and started once.
    assert_eq!(of("Started", "Started container app"), ["Pod/a", "Pod/c", "Pod/b", "Pod/d", "Pod/e"]);
    // The node reports its images (with the next heartbeat, every 10 s: by 20 s).
    let node = sim.api.store.get_parts(&Kind::Node, "", "w-1").and_then(|o| o.as_node()).cloned().unwrap();
    let names: Vec<&str> = node.status.images.iter().flat_map(|i| i.names.iter().map(String::as_str)).collect();
    assert_eq!(names, ["img-a:1", "img-b:1"]);
}

#[test]
fn a_pod_keeps_its_ip_across_a_node_crash_and_recover() {
    // Host-local IPAM keeps its state on disk: the pod that survives the crash gets its
    // sandbox again with the same IP. Down 10 s — less than the 50 s
    // node-monitor-grace-period, so nothing is tainted or evicted.
    let tl = pod_at("10s", "keeper", "w-1", "", "", "busybox:1.36") + "  - {at: 30s, nodeCrash: w-1}\n  - {at: 40s, nodeRecover: w-1}\n";
    let mut sim = scenario(ONE_NODE, &tl, "1m");
    let before = pod_at_time(&mut sim, 29_000, "keeper");
    assert!(!before.status.pod_ip.is_empty());
    sim.run();
    // The restarted kubelet relists (its List reaches the apiserver after REQ, the answer
    // comes back after REQ), then makes a sandbox (500 ms) — the image is still on the
    // node, no pull — and starts the container (1 s).
    let relisted = 40_000 + 2 * req();
    assert_eq!(writes(&sim, "keeper", "status", json!("ContainerCreating")), [seen(10_000) + req(), relisted + req()]);
    // The container is created as soon as the sandbox is up (no pull): restartCount 1
    // goes out with that status; Running follows after the startup.
    let created = relisted + SANDBOX_MS;
    assert_eq!(writes(&sim, "keeper", "restarts", json!(1)), [created + req()], "counted when the container is created");
    assert_eq!(writes(&sim, "keeper", "status", json!("Running")).last(), Some(&(created + STARTUP_MS + req())));
    let after = pod(&sim, "keeper").unwrap();
    assert_eq!((after.status.pod_ip.as_str(), after.is_ready()), (before.status.pod_ip.as_str(), true));
    assert_eq!(sim.kubelets[0].ips_in_use(), 1);
}

#[test]
fn a_replacement_pod_on_another_node_gets_a_new_ip() {
    // One replica, preferring pool a; a-1 crashes for good at 30 s. The node lifecycle
    // controller taints it after the 50 s grace period (checked every 5 s); the pod's
    // default 300 s toleration of unreachable:NoExecute runs out and it is evicted; the
    // replacement goes to b-1 (a-1 is tainted NoSchedule) and pulls, starts: 3.5 s.
    let pools =
        "    - {name: a, count: 1, capacity: {cpu: '4', memory: 8Gi, pods: 110}}\n    - {name: b, count: 1, capacity: {cpu: '4', memory: 8Gi, pods: 110}}";
    let tl = "  - at: 0s\n    apply:\n      apiVersion: apps/v1\n      kind: Deployment\n      metadata: {name: web}\n      spec:\n        replicas: 1\n        selector: {matchLabels: {app: web}}\n        template:\n          metadata: {labels: {app: web}}\n          spec:\n            affinity: {nodeAffinity: {preferredDuringSchedulingIgnoredDuringExecution: [{weight: 100, preference: {matchExpressions: [{key: ksim.dev/pool, operator: In, values: [a]}]}}]}}\n            containers: [{name: web, image: 'nginx:1.25'}]\n  - {at: 30s, nodeCrash: a-1}\n";
    let mut sim = scenario(pools, tl, "8m");
    sim.run_until(SimTime(29_000));
    let pods = sim.list(&Kind::Pod);
    assert_eq!(pods.len(), 1);
    let first = pods[0].as_pod().unwrap().clone();
    assert_eq!(first.spec.node_name, "a-1", "preferred affinity puts it on a-1");
    sim.run();
    let pods: Vec<Pod> = sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod().cloned()).collect();
    let new = pods.iter().find(|p| p.metadata.uid != first.metadata.uid).expect("a replacement");
    assert_eq!(new.spec.node_name, "b-1");
    let cidr = sim.api.store.get_parts(&Kind::Node, "", "b-1").and_then(|o| o.as_node()).map(|n| n.spec.pod_cidr.clone()).unwrap();
    let prefix = cidr.trim_end_matches("0/24");
    assert!(new.status.pod_ip.starts_with(prefix), "{} in {cidr}", new.status.pod_ip);
    assert_ne!(new.status.pod_ip, first.status.pod_ip);
    // Not before the toleration ran out; by crash + 50 s + 5 s + 300 s + 3.5 s, with 1 s
    // for the request and watch hops of eviction, replacement, scheduling and binding.
    let running = writes(&sim, &new.metadata.name, "status", json!("Running"))[0];
    assert!((30_000 + 300_000..30_000 + 355_000 + 3_500 + 1_000).contains(&running), "{running}");
}

#[test]
fn admission_rejects_with_upstreams_reason_and_message() {
    // predicate.go: the first of pods, cpu, memory that is short; rejectPod: phase Failed,
    // reason OutOf<resource>, message "Pod was rejected: " + InsufficientResourceError,
    // and a Warning event with the reason and the bare message.
    let pools = "    - {name: cpu, count: 1, capacity: {cpu: '2', memory: 4Gi, pods: 110}}\n    - {name: mem, count: 1, capacity: {cpu: '8', memory: 1Gi, pods: 110}}\n    - {name: few, count: 1, capacity: {cpu: '8', memory: 4Gi, pods: 1}}";
    let with = |at: &str, name: &str, node: &str, req: &str| {
        format!("  - at: {at}\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: {name}}}\n      spec: {{nodeName: {node}, containers: [{{name: app, image: 'busybox:1.36', resources: {{requests: {{{req}}}}}}}]}}\n")
    };
    let tl = with("10s", "c1", "cpu-1", "cpu: 1500m")
        + &with("10s", "m1", "mem-1", "memory: 768Mi")
        + &with("10s", "p1", "few-1", "cpu: 100m")
        + &with("11s", "c2", "cpu-1", "cpu: '1'")
        + &with("11s", "m2", "mem-1", "memory: 512Mi")
        + &with("11s", "p2", "few-1", "cpu: 100m");
    let mut sim = scenario(pools, &tl, "30s");
    sim.run();
    // Requested / used / capacity in the resource's base unit: milli-cpu and bytes
    // (768Mi = 805306368, 512Mi = 536870912, 1Gi = 1073741824).
    let cases = [
        ("c2", "OutOfcpu", "Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000"),
        ("m2", "OutOfmemory", "Node didn't have enough resource: memory, requested: 536870912, used: 805306368, capacity: 1073741824"),
        ("p2", "OutOfpods", "Node didn't have enough resource: pods, requested: 1, used: 1, capacity: 1"),
    ];
    for (n, reason, msg) in cases {
        let p = pod(&sim, n).unwrap();
        assert_eq!((p.status.phase.as_ref(), p.status.reason.as_str()), ("Failed", reason), "{n}");
        assert_eq!(p.status.message, format!("Pod was rejected: {msg}"), "{n}");
        // Seen at 11 s + REQ + WATCH, written one REQ later.
        assert_eq!(writes(&sim, n, "phase", json!("Failed")), [seen(11_000) + req()], "{n}");
        assert!(events(&sim, reason).contains(&(format!("Pod/{n}"), msg.to_string())), "{n}: {:?}", events(&sim, reason));
    }
    for n in ["c1", "m1", "p1"] {
        assert_eq!(pod(&sim, n).unwrap().status.phase, "Running", "{n} was admitted");
    }
}

/// Init containers (scenarios/init-and-sidecar.yaml): while they run, the pod is Pending
/// with Initialized False — reason ContainersNotInitialized, "containers with incomplete
/// status: [...]" (status.GeneratePodInitializedCondition) — the init containers not yet
/// started wait as PodInitializing, and so do the app containers
/// (convertToAPIContainerStatuses' default state in a pod with init containers); a
/// finished one is terminated with exit code 0, reason Completed.
#[test]
fn init_containers_run_in_order_before_the_app() {
    use sim_core::api::Kind;
    use sim_core::engine::SimTime;
    let s = common::load_file(&common::repo_root().join("scenarios/init-and-sidecar.yaml"));
    let mut sim = sim_core::Simulation::new(&s, &sim_core::RunOptions::for_scenario(&s)).unwrap();
    let pod = |sim: &sim_core::Simulation| sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name == "setup").cloned().unwrap();
    sim.run_until(SimTime::from_secs(5));
    let p = pod(&sim);
    let init = p.condition("Initialized").unwrap();
    assert_eq!((&*init.status, &*init.reason), ("False", "ContainersNotInitialized"));
    assert_eq!(init.message, "containers with incomplete status: [migrate-schema warm-cache]");
    assert!(p.status.init_container_statuses[0].state.running.is_some());
    assert_eq!(p.status.init_container_statuses[1].state.waiting.as_ref().unwrap().reason, "PodInitializing");
    assert_eq!(p.status.container_statuses[0].state.waiting.as_ref().unwrap().reason, "PodInitializing");
    assert_eq!(p.status.phase, "Pending");
    sim.run_until(SimTime::from_secs(10));
    let p = pod(&sim);
    assert_eq!(p.condition("Initialized").unwrap().message, "containers with incomplete status: [warm-cache]");
    let done = p.status.init_container_statuses[0].state.terminated.as_ref().expect("migrate-schema terminated");
    assert_eq!((done.exit_code, &*done.reason), (0, "Completed"));
    sim.run_until(SimTime::from_secs(20));
    let p = pod(&sim);
    assert_eq!(p.condition("Initialized").unwrap().status, "True");
    assert_eq!((&*p.status.phase, p.is_ready()), ("Running", true));
    // The Job's pod: the sidecar counts in READY beside the app container.
    let report = sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name.starts_with("report-")).cloned().unwrap();
    let cols = sim_core::trace::pod_columns(&report);
    assert_eq!((cols.ready, cols.total, &*cols.status), (2, 2, "Running"));
}

/// scenarios/missing-configmap.yaml: the volume manager retries a failed mount after
/// nestedpendingoperations' exponential back-off, 500 ms doubling (to 2m2s): attempts at
/// admission + 0, 0.5, 1.5, 3.5, 7.5, 15.5 and 31.5 s — 7 before the ConfigMap appears at
/// 1m — each a FailedMount event (correlated into one Event, count 7); the next attempt,
/// at + 63.5 s, mounts it.
#[test]
fn a_missing_config_map_is_retried_on_the_mount_back_off() {
    use sim_core::api::{Kind, Object};
    use sim_core::engine::SimTime;
    let s = common::load_file(&common::repo_root().join("scenarios/missing-configmap.yaml"));
    let mut sim = sim_core::Simulation::new(&s, &sim_core::RunOptions::for_scenario(&s)).unwrap();
    sim.run_until(SimTime::from_secs(59));
    let ev: Vec<sim_core::api::event::Event> = sim
        .list(&Kind::Event)
        .iter()
        .filter_map(|o| if let Object::Event(e) = &**o { Some((**e).clone()) } else { None })
        .filter(|e| e.involved_object.name == "web" && e.reason == "FailedMount")
        .collect();
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0].message, "MountVolume.SetUp failed for volume \"config\" : configmap \"app-config\" not found");
    assert_eq!(ev[0].count, 7);
    let admitted = ev[0].first_timestamp.get().unwrap().0;
    assert_eq!(ev[0].last_timestamp.get().unwrap().0.since(admitted).as_ms() / 1000, 31, "the 7th attempt 31.5 s after the first");
    sim.run_until(SimTime::from_secs(70));
    let web = sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name == "web").cloned().unwrap();
    let started = web.status.container_statuses[0].state.running.as_ref().and_then(|r| r.started_at).expect("running").0;
    // The first event comes after the first GET's round trip; then 63.5 s of back-off and
    // 7 more GET round trips (2 × REQ each) until the mount; then sandbox 0.5 s, pull
    // 2 s, start 1 s.
    assert_eq!(started.since(admitted).as_ms(), 63_500 + 7 * 2 * req() + SANDBOX_MS + PULL_MS + STARTUP_MS);
}

/// predicate.go generalFilter: a pod given nodeName skips the scheduler but not the
/// kubelet's admission — a nodeSelector its node does not match is rejected with
/// reason NodeAffinity and "Pod was rejected: Predicate NodeAffinity failed: node(s)
/// didn't match Pod's node affinity/selector"; an untolerated NoExecute taint with
/// reason TaintToleration and "Predicate TaintToleration failed: node(s) had taints that
/// the pod didn't tolerate" (a NoSchedule taint is the scheduler's business only).
#[test]
fn admission_rejects_a_pinned_pod_its_node_does_not_match() {
    use sim_core::api::Kind;
    use sim_core::engine::SimTime;
    let s = common::load_str(
        r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 30s
  cluster:
    nodePools:
    - {name: plain, count: 1, capacity: {cpu: "4", memory: 8Gi, pods: 110}}
    - {name: gpu, count: 1, capacity: {cpu: "4", memory: 8Gi, pods: 110}, taints: [{key: gpu, value: "true", effect: NoExecute}]}
    - {name: quiet, count: 1, capacity: {cpu: "4", memory: 8Gi, pods: 110}, taints: [{key: quiet, value: "true", effect: NoSchedule}]}
---
apiVersion: v1
kind: Pod
metadata: {name: wants-ssd}
spec:
  nodeName: plain-1
  nodeSelector: {disktype: ssd}
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: on-gpu}
spec:
  nodeName: gpu-1
  containers: [{name: c, image: nginx}]
---
apiVersion: v1
kind: Pod
metadata: {name: on-quiet}
spec:
  nodeName: quiet-1
  containers: [{name: c, image: nginx}]
"#,
    );
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
    sim.run_until(SimTime::from_secs(20));
    let find = |n: &str| sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name == n).cloned();
    let pod = |n: &str| find(n).unwrap();
    let p = pod("wants-ssd");
    assert_eq!((&*p.status.phase, &*p.status.reason), ("Failed", "NodeAffinity"));
    assert_eq!(p.status.message, "Pod was rejected: Predicate NodeAffinity failed: node(s) didn't match Pod's node affinity/selector");
    // The taint eviction controller deletes it too (no toleration: at once); whichever
    // comes first, it never runs.
    if let Some(p) = find("on-gpu") {
        assert_eq!((&*p.status.phase, &*p.status.reason), ("Failed", "TaintToleration"));
        assert_eq!(p.status.message, "Pod was rejected: Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate");
    }
    let rejected = sim.list(&Kind::Event).iter().any(|o| {
        matches!(&**o, sim_core::api::Object::Event(e) if e.involved_object.name == "on-gpu" && e.reason == "TaintToleration"
            && e.message == "Predicate TaintToleration failed: node(s) had taints that the pod didn't tolerate")
    });
    assert!(rejected, "the kubelet rejected on-gpu");
    assert_eq!(pod("on-quiet").status.phase, "Running");
}

/// taint_eviction.go handlePodUpdate → processPodOnNode: a pod that arrives on a node
/// already carrying a NoExecute taint is checked against that node's taints (the
/// controller's taintedNodes, not a later node update): tolerated for
/// `tolerationSeconds: 30`, it is deleted 30 s after the controller first saw it
/// (getMinTolerationTime; triggerTime = startTime + 30 s), with the
/// TaintManagerEviction event; an untainted node's pod stays.
#[test]
fn a_pod_arriving_on_a_tainted_node_is_evicted_when_its_toleration_runs_out() {
    use sim_core::api::Kind;
    use sim_core::engine::SimTime;
    // The same pod on each node: tolerating the gpu taint for 30 s.
    let pod = |name: &str, node: &str| {
        format!(
            "---\napiVersion: v1\nkind: Pod\nmetadata: {{name: {name}}}\nspec:\n  nodeName: {node}\n  tolerations: [{{key: gpu, operator: Exists, effect: NoExecute, tolerationSeconds: 30}}]\n  containers: [{{name: c, image: nginx}}]\n"
        )
    };
    let s = common::load_str(&format!(
        r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec:
  until: 40s
  cluster:
    nodePools:
    - {{name: gpu, count: 1, capacity: {{cpu: "4", memory: 8Gi, pods: 110}}, taints: [{{key: gpu, value: "true", effect: NoExecute}}]}}
    - {{name: plain, count: 1, capacity: {{cpu: "4", memory: 8Gi, pods: 110}}}}
{}{}"#,
        pod("brief", "gpu-1"),
        pod("stays", "plain-1")
    ));
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
    let deleting = |sim: &Simulation, n: &str| {
        sim.api.store.get_parts(&Kind::Pod, "default", n).and_then(|o| o.as_pod()).and_then(|p| p.metadata.rare.deletion_timestamp).map(|t| t.0.as_ms())
    };
    sim.run_until(SimTime::from_secs(29));
    assert_eq!(deleting(&sim, "brief"), None, "tolerated for 30 s");
    sim.run_until(SimTime::from_secs(40));
    // Seen one watch hop after its creation at 0; deleted 30 s later, one request hop on.
    let at: Vec<u64> =
        sim.trace.records().iter().filter(|r| r.kind == "Pod" && r.name == "brief" && r.get("terminating") == Some(&json!(true))).map(|r| r.t).collect();
    assert!(at.len() == 1 && (30_000..30_000 + 4 * req()).contains(&at[0]), "{at:?}");
    assert_eq!(deleting(&sim, "stays"), None);
    assert!(sim.api.store.get_parts(&Kind::Pod, "default", "stays").is_some());
    let marked = sim.list(&Kind::Event).iter().any(|o| {
        matches!(&**o, sim_core::api::Object::Event(e) if e.involved_object.name == "brief" && e.reason == "TaintManagerEviction"
            && e.message == "Marking for deletion Pod default/brief")
    });
    assert!(marked, "the taint eviction controller's event");
}

/// A container's environment is made when that container is created
/// (generateContainerConfig): an app container reading a missing ConfigMap does not stop
/// the init container, which runs and completes; then the app container waits in
/// CreateContainerConfigError. An init container's own missing reference shows as
/// `Init:CreateContainerConfigError`.
#[test]
fn each_container_makes_its_environment_when_it_is_created() {
    use sim_core::api::Kind;
    use sim_core::engine::SimTime;
    let pods = r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec: {until: 1m}
---
apiVersion: v1
kind: Pod
metadata: {name: app-env}
spec:
  initContainers: [{name: init, image: busybox, command: ["sh", "-c", "sleep 2"]}]
  containers:
  - name: app
    image: busybox
    command: ["sh", "-c", "sleep 3600"]
    env: [{name: X, valueFrom: {configMapKeyRef: {name: missing, key: x}}}]
---
apiVersion: v1
kind: Pod
metadata: {name: init-env}
spec:
  initContainers:
  - name: init
    image: busybox
    command: ["sh", "-c", "sleep 2"]
    env: [{name: X, valueFrom: {configMapKeyRef: {name: missing, key: x}}}]
  containers: [{name: app, image: busybox, command: ["sh", "-c", "sleep 3600"]}]
"#;
    let s = common::load_str(pods);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
    sim.run_until(SimTime::from_secs(30));
    let pod = |n: &str| sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name == n).cloned().unwrap();
    let p = pod("app-env");
    let init = p.status.init_container_statuses[0].state.terminated.as_ref().expect("the init container ran");
    assert_eq!(init.exit_code, 0);
    let w = p.status.container_statuses[0].state.waiting.as_ref().unwrap();
    assert_eq!((&*w.reason, &*w.message), ("CreateContainerConfigError", "configmap \"missing\" not found"));
    assert_eq!(sim_core::trace::pod_status(&pod("init-env")), "Init:CreateContainerConfigError");
}

/// How many times the kubelet recorded `reason` (the Events' counts: a repeat updates its
/// Event, as the EventCorrelator does).
fn event_count(sim: &Simulation, reason: &str) -> i32 {
    sim.list(&Kind::Event)
        .iter()
        .filter_map(|o| if let sim_core::api::Object::Event(e) = &**o { Some(e) } else { None })
        .filter(|e| e.reason == reason)
        .map(|e| e.count.max(1))
        .sum()
}

fn waiting(p: &Pod) -> (String, String) {
    let w = p.status.container_statuses[0].state.waiting.as_ref().expect("waiting state");
    (w.reason.to_string(), w.message.to_string())
}

/// A pull the registry refuses (image_manager.go EnsureImageExists): at the pull's end,
/// `Failed` "Failed to pull image …: <the CRI's error>" then "Error: ErrImagePull", and the
/// container waits with reason ErrImagePull and that error; the image back-off
/// (backOffPeriod 10 s doubling, MaxContainerBackOff 300 s) starts. The pod worker syncs
/// again 10 s after each error (backOffPeriod): a sync while IsInBackOffSinceUpdate
/// (`now − lastUpdate < backoff`) is ImagePullBackOff ("Back-off pulling image …",
/// event BackOff); one after it pulls again. So, from the sandbox at S = seen + 500 ms:
/// failures at S+2 s (back-off 10 s), S+14 s (sync at S+12 s: 10 s is not < 10 s, pull
/// 2 s; back-off 20 s), ImagePullBackOff at S+24 s (10 s < 20 s), a pull at S+34 s failing
/// at S+36 s (back-off 40 s).
#[test]
fn a_refused_pull_is_err_image_pull_then_image_pull_back_off() {
    let mut sim = scenario(ONE_NODE, &pod_at("10s", "web", "w-1", "ksim.dev/image-pull-error: notfound", "", "nginx:1.99"), "2m");
    let s = seen(10_000) + SANDBOX_MS;
    let msg = "rpc error: code = NotFound desc = failed to pull and unpack image \"docker.io/library/nginx:1.99\": failed to resolve reference \"docker.io/library/nginx:1.99\": docker.io/library/nginx:1.99: not found";
    // While the first pull runs the pod shows no IP: the first SyncPod posts no status
    // while it works (kubelet.go SyncPod). The error's status has the sandbox's IP
    // (kuberuntime GetPodStatus reads a ready sandbox's IPs: an ErrImagePull or
    // ImagePullBackOff pod has its IP).
    let p = pod_at_time(&mut sim, s + PULL_MS / 2, "web");
    assert_eq!((p.status.pod_ip.as_ref(), waiting(&p).0.as_str()), ("", "ContainerCreating"));
    let p = pod_at_time(&mut sim, s + PULL_MS + 2 * req(), "web");
    assert_eq!(waiting(&p), ("ErrImagePull".to_string(), msg.to_string()));
    assert_eq!(p.status.pod_ip, "10.244.0.2");
    let p = pod_at_time(&mut sim, s + 24_000 + 2 * req(), "web");
    assert_eq!(waiting(&p), ("ImagePullBackOff".to_string(), "Back-off pulling image \"nginx:1.99\"".to_string()));
    let p = pod_at_time(&mut sim, s + 36_000 + 2 * req(), "web");
    assert_eq!(waiting(&p).0, "ErrImagePull");
    let failed = events(&sim, "Failed");
    assert!(failed.contains(&("Pod/web".to_string(), format!("Failed to pull image \"nginx:1.99\": {msg}"))), "{failed:?}");
    assert!(failed.contains(&("Pod/web".to_string(), "Error: ErrImagePull".to_string())));
    assert!(failed.contains(&("Pod/web".to_string(), "Error: ImagePullBackOff".to_string())));
    assert_eq!(event_count(&sim, "Pulling"), 3, "pulls at S, S+12 s and S+34 s");
    // Docker Hub's denial for a repository that does not exist, normalized as
    // docker/distribution does (`library/`, `:latest`).
    let mut sim = scenario(ONE_NODE, &pod_at("10s", "app", "w-1", "ksim.dev/image-pull-error: denied", "", "nginxx"), "30s");
    let p = pod_at_time(&mut sim, s + PULL_MS + 2 * req(), "app");
    assert_eq!(
        waiting(&p).1,
        "rpc error: code = Unknown desc = failed to pull and unpack image \"docker.io/library/nginxx:latest\": failed to resolve reference \"docker.io/library/nginxx:latest\": pull access denied, repository does not exist or may require authorization: server message: insufficient_scope: authorization failed"
    );
}

/// imagePullPolicy Never with the image absent: `ErrImageNeverPull` "Container image
/// "my-app:dev" is not present with pull policy of Never", the container waiting with that
/// reason, at every sync (10 s).
#[test]
fn an_absent_image_with_pull_policy_never_is_err_image_never_pull() {
    let mut sim = scenario(
        ONE_NODE,
        &pod_at("10s", "local", "w-1", "", "", "my-app:dev").replace("image: 'my-app:dev'", "image: 'my-app:dev', imagePullPolicy: Never"),
        "1m",
    );
    let s = seen(10_000) + SANDBOX_MS;
    let p = pod_at_time(&mut sim, s + 2 * req(), "local");
    assert_eq!(waiting(&p), ("ErrImageNeverPull".to_string(), "Container image \"my-app:dev\" is not present with pull policy of Never".to_string()));
    sim.run_until(SimTime(s + 35_000));
    assert_eq!(event_count(&sim, "ErrImageNeverPull"), 4, "at S, S+10 s, S+20 s, S+30 s");
}

/// The OOM killer: a container whose `ksim.dev/memory-usage` passes its memory limit is
/// ended at that moment with exit code 137 (128 + SIGKILL) and the runtime's reason
/// `OOMKilled`; restartPolicy Always restarts it at once the first time (no back-off
/// entry yet, kuberuntime doBackOff), and the profile begins again with the new start.
/// Started at S = seen + sandbox + pull + startup, usage 300Mi from 40 s against 256Mi.
#[test]
fn a_container_over_its_memory_limit_is_oom_killed_and_restarted() {
    let spec = "";
    let text = pod_at("10s", "leaky", "w-1", "ksim.dev/memory-usage: '100Mi from 0s; 300Mi from 40s'", spec, "busybox:1.36")
        .replace("containers: [{name: app, image: 'busybox:1.36'}]", "containers: [{name: app, image: 'busybox:1.36', resources: {limits: {memory: 256Mi}}}]");
    let mut sim = scenario(ONE_NODE, &text, "3m");
    let started = seen(10_000) + SANDBOX_MS + PULL_MS + STARTUP_MS;
    let killed = started + 40_000;
    let p = pod_at_time(&mut sim, killed + 2 * req(), "leaky");
    let last = p.status.container_statuses[0]
        .last_state
        .terminated
        .as_ref()
        .or(p.status.container_statuses[0].state.terminated.as_ref())
        .cloned()
        .expect("terminated");
    assert_eq!((last.exit_code, last.reason.to_string()), (137, "OOMKilled".to_string()));
    assert_eq!(last.finished_at.map(|t| t.0 .0), Some(killed));
    // Restarted at once; killed again 40 s after its new start.
    let p = pod_at_time(&mut sim, killed + STARTUP_MS + 2 * req(), "leaky");
    assert_eq!(p.status.container_statuses[0].restart_count, 1);
    let p = pod_at_time(&mut sim, killed + STARTUP_MS + 40_000 + 2 * req(), "leaky");
    assert_eq!(sim_core::trace::pod_status(&p), "CrashLoopBackOff", "the second exit waits the 10 s back-off");
    // Without a limit, or a limit above the profile, nothing is killed.
    let mut sim = scenario(ONE_NODE, &pod_at("10s", "free", "w-1", "ksim.dev/memory-usage: '100Mi from 0s; 300Mi from 40s'", spec, "busybox:1.36"), "2m");
    let p = pod_at_time(&mut sim, 110_000, "free");
    assert_eq!((p.status.container_statuses[0].restart_count, sim_core::trace::pod_status(&p)), (0, "Running".to_string()));
}

/// The liveness prober (prober/worker.go): the worker starts with the pod (seen) and
/// ticks every periodSeconds (5 s); a tick before initialDelaySeconds (5 s) since the
/// container's start does nothing; from `ksim.dev/liveness-fails-after` (30 s after the
/// start) each tick fails — `Unhealthy` "Liveness probe failed: <output>" — and the third
/// in a row (failureThreshold 3) kills the container: `Killing` "Container app failed
/// liveness probe, will be restarted", SIGTERM, stopped after the termination time (1 s,
/// within the 30 s grace: exit 143), and restarted at once (the first exit).
#[test]
fn a_failing_liveness_probe_kills_and_restarts_the_container() {
    let probe = "livenessProbe: {exec: {command: [cat, /tmp/healthy]}, initialDelaySeconds: 5, periodSeconds: 5}";
    let text = pod_at("10s", "live", "w-1", "ksim.dev/liveness-fails-after: 30s, ksim.dev/liveness-output: 'no file'", "", "busybox:1.36")
        .replace("containers: [{name: app, image: 'busybox:1.36'}]", &format!("containers: [{{name: app, image: 'busybox:1.36', {probe}}}]"));
    let mut sim = scenario(ONE_NODE, &text, "2m");
    let worker = seen(10_000);
    let started = worker + SANDBOX_MS + PULL_MS + STARTUP_MS;
    // Ticks at worker + 5 s·k; failures from the first tick at or after started + 30 s.
    let first_fail = (1..).map(|k| worker + 5_000 * k).find(|t| *t >= started + 30_000).unwrap();
    let kill = first_fail + 2 * 5_000;
    let p = pod_at_time(&mut sim, kill + 1_000 + 2 * req(), "live");
    let last = p.status.container_statuses[0]
        .last_state
        .terminated
        .as_ref()
        .or(p.status.container_statuses[0].state.terminated.as_ref())
        .cloned()
        .expect("terminated");
    assert_eq!((last.exit_code, last.finished_at.map(|t| t.0 .0)), (143, Some(kill + 1_000)));
    assert_eq!(event_count(&sim, "Unhealthy"), 3);
    let killing = events(&sim, "Killing");
    assert_eq!(killing, [("Pod/live".to_string(), "Container app failed liveness probe, will be restarted".to_string())]);
    let unhealthy = events(&sim, "Unhealthy");
    assert_eq!(unhealthy[0].1, "Liveness probe failed: no file");
    let p = pod_at_time(&mut sim, kill + 1_000 + STARTUP_MS + 2 * req(), "live");
    assert_eq!(p.status.container_statuses[0].restart_count, 1, "restarted at once");
}

/// A readiness probe failing in a window (`ksim.dev/readiness-fails: from 20s until 40s`,
/// periodSeconds 5): the readiness worker ticks from the pod's admission; failureThreshold
/// (3) failures in a row make the pod not ready — without a restart — and the first
/// success after the window (successThreshold 1) ready again (worker.doProbe's
/// resultRun).
#[test]
fn a_failing_readiness_probe_takes_the_pod_out_and_back() {
    let probe = "readinessProbe: {httpGet: {path: /ready, port: 80}, periodSeconds: 5}";
    let text = pod_at("10s", "web", "w-1", "ksim.dev/readiness-fails: 'from 20s until 40s'", "", "nginx:1.27")
        .replace("containers: [{name: app, image: 'nginx:1.27'}]", &format!("containers: [{{name: app, image: 'nginx:1.27', {probe}}}]"));
    let mut sim = scenario(ONE_NODE, &text, "2m");
    let worker = seen(10_000);
    let started = worker + SANDBOX_MS + PULL_MS + STARTUP_MS;
    let ticks: Vec<u64> = (1..40).map(|k| worker + 5_000 * k).collect();
    let failing: Vec<u64> = ticks.iter().copied().filter(|t| *t >= started + 20_000 && *t < started + 40_000).collect();
    let unready_at = failing[2];
    let ready_again = ticks.iter().copied().find(|t| *t >= started + 40_000).unwrap();
    assert!(pod_at_time(&mut sim, unready_at - 1, "web").is_ready());
    assert!(!pod_at_time(&mut sim, unready_at + 2 * req(), "web").is_ready());
    assert!(!pod_at_time(&mut sim, ready_again - 1, "web").is_ready());
    let p = pod_at_time(&mut sim, ready_again + 2 * req(), "web");
    assert!(p.is_ready());
    assert_eq!(p.status.container_statuses[0].restart_count, 0);
    assert_eq!(event_count(&sim, "Unhealthy"), failing.len() as i32);
    assert_eq!(events(&sim, "Unhealthy")[0].1, "Readiness probe failed: HTTP probe failed with statuscode: 500");
}

/// A pod with a startup probe (httpGet on 8080, every 10 s, failureThreshold 3) whose app
/// boots in `boot`, applied at 10 s.
fn startup_pod(name: &str, boot: &str) -> String {
    format!(
        "  - at: 10s\n    apply:\n      apiVersion: v1\n      kind: Pod\n      metadata: {{name: {name}, annotations: {{ksim.dev/boot-duration: {boot}}}}}\n      spec:\n        nodeName: w-1\n        containers:\n        - name: app\n          image: 'nginx:1.25'\n          ports: [{{name: http, containerPort: 8080}}]\n          startupProbe: {{httpGet: {{path: /healthz, port: http}}, periodSeconds: 10, failureThreshold: 3}}\n"
    )
}

/// Startup probes (prober/worker.go doProbe for a startup worker): the container is not
/// started — nor ready, nor liveness-probed — until the probe succeeds; each failure of
/// a probe to an app not yet listening is Unhealthy with the HTTP client's error.
#[test]
fn a_startup_probe_holds_readiness_until_the_app_has_booted() {
    let mut sim = scenario(ONE_NODE, &startup_pod("slow", "25s"), "2m");
    // Running at t0 = seen + sandbox + pull + startup; probes every 10 s from then: at
    // +10 s and +20 s the app (booting for 25 s) is not listening, at +30 s it is.
    let t0 = seen(10_000) + SANDBOX_MS + PULL_MS + STARTUP_MS;
    let p = pod_at_time(&mut sim, t0 + 29_000, "slow");
    assert_eq!((p.status.phase.as_ref(), p.is_ready()), ("Running", false));
    assert_eq!(p.status.container_statuses[0].started, Some(false));
    sim.run();
    let unhealthy = events(&sim, "Unhealthy");
    // The first pod IP of the node's CIDR; the named port resolved to 8080.
    assert_eq!(unhealthy[0].1, "Startup probe failed: Get \"http://10.244.0.2:8080/healthz\": dial tcp 10.244.0.2:8080: connect: connection refused");
    // Twice: the second one counted on the same Event.
    let stored: Vec<i32> = sim
        .api
        .store
        .list(&Kind::Event)
        .filter_map(|o| match &**o {
            sim_core::api::Object::Event(e) if e.reason == "Unhealthy" => Some(e.count),
            _ => None,
        })
        .collect();
    assert_eq!(stored, [2]);
    assert_eq!(writes(&sim, "slow", "ready", json!(true)), [t0 + 30_000 + req()]);
    let p = pod(&sim, "slow").unwrap();
    assert_eq!((p.status.container_statuses[0].started, p.restarts()), (Some(true), 0));
}

#[test]
fn a_startup_probe_that_keeps_failing_restarts_the_container() {
    let mut sim = scenario(ONE_NODE, &startup_pod("stuck", "10m"), "2m");
    let t0 = seen(10_000) + SANDBOX_MS + PULL_MS + STARTUP_MS;
    sim.run_until(SimTime(t0 + 30_000 + req()));
    // Three failures (+10, +20, +30 s): killed, exits within the 1 s termination, and
    // restarts at once (no back-off before the first restart).
    let killing = events(&sim, "Killing");
    assert_eq!(killing, [("Pod/stuck".to_string(), "Container app failed startup probe, will be restarted".to_string())]);
    let p = pod_at_time(&mut sim, t0 + 30_000 + 1_000 + STARTUP_MS + 2 * req(), "stuck");
    assert_eq!(p.restarts(), 1);
    let last = p.status.container_statuses[0].last_state.terminated.as_ref().expect("terminated");
    // SIGTERM within the 30 s grace period: 128 + 15.
    assert_eq!(last.exit_code, 143);
}

/// The kubelet's admission (lifecycle/predicate.go generalFilter → AdmissionCheck) checks
/// host ports against the pods it runs: a second pod asking for the same hostPort on the
/// node is rejected with the NodePorts predicate's reason.
#[test]
fn admission_rejects_a_host_port_already_taken() {
    let port_pod = |at: &str, name: &str| {
        format!(
            "  - at: {at}\n    apply: {{apiVersion: v1, kind: Pod, metadata: {{name: {name}}}, spec: {{nodeName: w-1, containers: [{{name: app, image: 'nginx:1.25', ports: [{{containerPort: 80, hostPort: 8080}}]}}]}}}}\n"
        )
    };
    let mut sim = scenario(ONE_NODE, &[port_pod("10s", "first"), port_pod("20s", "second")].concat(), "1m");
    sim.run();
    assert_eq!(pod(&sim, "first").unwrap().status.phase, "Running");
    let p = pod(&sim, "second").unwrap();
    assert_eq!((p.status.phase.as_ref(), p.status.reason.as_str()), ("Failed", "NodePorts"));
    assert_eq!(p.status.message, "Pod was rejected: Predicate NodePorts failed: node(s) didn't have free ports for the requested pod ports");
}

/// computePodActions: a running container whose image changes (an apply of the pod with
/// a new image) is killed and started again with the new image, pulled first.
#[test]
fn a_new_image_restarts_the_container_with_it() {
    let tl = [pod_at("10s", "web", "w-1", "", "", "nginx:1.25"), pod_at("30s", "web", "w-1", "", "", "nginx:1.27")].concat();
    let mut sim = scenario(ONE_NODE, &tl, "1m");
    sim.run();
    let killing = events(&sim, "Killing");
    assert_eq!(killing, [("Pod/web".to_string(), "Container app definition changed, will be restarted".to_string())]);
    // Seen at 30 s + REQ + WATCH; stops within its 1 s termination (SIGTERM, 143); the
    // new image pulled (2 s), the container started (1 s): Running again, one restart.
    let t = seen(30_000) + 1_000 + PULL_MS + STARTUP_MS;
    let running = writes(&sim, "web", "status", json!("Running"));
    assert_eq!(running.last(), Some(&(t + req())));
    let p = pod(&sim, "web").unwrap();
    assert_eq!((p.status.phase.as_ref(), p.is_ready(), p.restarts()), ("Running", true, 1));
    assert_eq!(p.status.container_statuses[0].image, "nginx:1.27");
    assert_eq!(p.status.container_statuses[0].last_state.terminated.as_ref().map(|t| t.exit_code), Some(143));
    let pulling: Vec<String> = events(&sim, "Pulling").into_iter().map(|e| e.1).collect();
    assert_eq!(pulling, ["Pulling image \"nginx:1.25\"", "Pulling image \"nginx:1.27\""]);
}

/// A node whose containerd (1.7: no CRI RuntimeConfig, so the v1.34 kubelet keeps its own
/// `systemd` driver — cmd/kubelet/app/server.go getCgroupDriverFromCRI's fallback) runs
/// runc on cgroupfs: the sandboxes die (kubelet/cgroups.rs: within 1–5 minutes, ksim's
/// choice). Each time SyncPod records SandboxChanged with kuberuntime_manager.go's words,
/// stops the container ("Stopping container app"), makes a new sandbox — a new address
/// — and starts the container again: restartCount + 1. On a containerd 2 node on the same
/// cgroupfs driver the kubelet takes the runtime's driver and nothing restarts.
#[test]
fn mismatched_cgroup_drivers_make_sandboxes_die_and_restart_only_on_the_old_containerd() {
    let pools = "    - {name: old, count: 1, containerd: {version: 1.7.27, systemdCgroup: false}, capacity: {cpu: '8', memory: 16Gi, pods: 110}}\n    - {name: new, count: 1, containerd: {version: 2.1.4, systemdCgroup: false}, capacity: {cpu: '8', memory: 16Gi, pods: 110}}";
    let tl = format!("{}{}", pod_at("10s", "flaky", "old-1", "", "", "nginx:1.25"), pod_at("10s", "steady", "new-1", "", "", "nginx:1.25"));
    let mut sim = scenario(pools, &tl, "12m");
    let first = pod_at_time(&mut sim, 30_000, "flaky");
    sim.run();
    let flaky = pod(&sim, "flaky").unwrap();
    let steady = pod(&sim, "steady").unwrap();
    // A sandbox lives at most 5 minutes: more than 11 minutes of running means at least 2
    // restarts (each also takes the stop, the sandbox and the start).
    let restarts = flaky.status.container_statuses[0].restart_count;
    assert!(restarts >= 2, "{restarts}");
    assert_eq!(steady.status.container_statuses[0].restart_count, 0);
    let changed = events(&sim, "SandboxChanged");
    assert!(
        !changed.is_empty() && changed.iter().all(|e| *e == ("Pod/flaky".to_string(), "Pod sandbox changed, it will be killed and re-created.".to_string())),
        "{changed:?}"
    );
    let stopped = events(&sim, "Killing");
    assert!(stopped.iter().all(|e| *e == ("Pod/flaky".to_string(), "Stopping container app".to_string())) && stopped.len() == changed.len(), "{stopped:?}");
    // A new sandbox, a new address; the pod keeps running between.
    assert_ne!(flaky.status.pod_ip, first.status.pod_ip);
    assert_eq!(flaky.status.phase, "Running");
    let notes: Vec<(String, String)> =
        sim.trace.records().iter().filter(|r| r.verb == "kubelet").map(|r| (r.by.clone(), r.get_str("message").unwrap_or_default().to_string())).collect();
    assert_eq!(
        notes,
        [
            (
                "kubelet/old-1".to_string(),
                "\"CRI implementation should be updated to support RuntimeConfig when KubeletCgroupDriverFromCRI feature gate has been enabled. Falling back to using cgroupDriver from kubelet config.\"".to_string()
            ),
            ("kubelet/new-1".to_string(), "\"Using cgroup driver setting received from the CRI runtime\" cgroupDriver=\"cgroupfs\"".to_string()),
        ]
    );
}

/// On a mismatched node the sandboxes keep dying after the kubelet was stopped over one
/// of their deaths (the held step runs when it starts again), and a pod that never
/// restarts gets no new sandbox: computePodActions (kuberuntime_manager.go) creates none
/// when !shouldRestartOnFailure — it ends Failed at its first sandbox death.
#[test]
fn mismatched_sandboxes_die_on_after_a_kubelet_stop_and_a_never_pod_fails() {
    let pools = "    - {name: old, count: 1, containerd: {version: 1.7.27, systemdCgroup: false}, capacity: {cpu: '8', memory: 16Gi, pods: 110}}";
    let tl = format!(
        "{}{}  - {{at: 20s, kubeletStop: old-1}}\n  - {{at: 6m, kubeletStart: old-1}}\n",
        pod_at("10s", "flaky", "old-1", "", "", "nginx:1.25"),
        pod_at("10s", "once", "old-1", "ksim.dev/run-duration: 1h", "restartPolicy: Never,", "nginx:1.25")
    );
    let mut sim = scenario(pools, &tl, "20m");
    sim.run();
    // Stopped from 20 s to 6 m: every death of that window is held to 6 m; from there 14
    // minutes of lifetimes of at most 5 minutes: at least 2 more restarts.
    let flaky = pod(&sim, "flaky").unwrap();
    assert!(flaky.status.container_statuses[0].restart_count >= 3, "{:?}", flaky.status.container_statuses[0]);
    let once = pod(&sim, "once").unwrap();
    assert_eq!(once.status.phase, "Failed");
    assert_eq!(once.status.container_statuses[0].restart_count, 0);
}

/// `spec.cluster.apiServer.eventTTL` is kube-apiserver's --event-ttl: the pod's Events
/// (written within its first seconds) are kept for that long after their last write,
/// then deleted; with the default (1h) they are all still there.
#[test]
fn events_go_after_the_clusters_event_ttl() {
    let text = |ttl: &str| {
        format!(
            "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: ttl}}\nspec:\n  until: 6m\n  cluster:\n{ttl}    nodePools:\n    - {{name: w, count: 1, capacity: {{cpu: \"2\", memory: 4Gi}}}}\n  timeline:\n  - {{at: 1s, apply: {{apiVersion: v1, kind: Pod, metadata: {{name: p}}, spec: {{containers: [{{name: c, image: nginx}}]}}}}}}\n"
        )
    };
    let pod_events = |sim: &Simulation| common::events(sim, "Pod").len();
    let run = |ttl: &str, at: u64| {
        let s = common::load_str(&text(ttl));
        let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation");
        sim.run_until(SimTime::from_secs(at));
        sim
    };
    // The pod's Events (Scheduled, Pulling, Pulled, Created, Started) are written within
    // its first seconds; a 90s TTL keeps them at 60s, and the store's compaction tick (every
    // 5 minutes, where expired Events are deleted) has them gone at 5m.
    let ttl = "    apiServer: {eventTTL: 90s}\n";
    assert!(pod_events(&run(ttl, 60)) >= 4);
    assert_eq!(pod_events(&run(ttl, 301)), 0);
    assert!(pod_events(&run("", 301)) >= 4);
    // More than 0, and a duration.
    for (bad, want) in [
        ("0s", "spec.cluster.apiServer.eventTTL: Invalid value: \"0s\": must be greater than 0"),
        ("soon", "spec.cluster.apiServer.eventTTL: Invalid value: \"soon\""),
    ] {
        let t = text(&format!("    apiServer: {{eventTTL: {bad}}}\n"));
        let Err(e) = sim_core::load(&[sim_core::Source { name: "ttl.yaml".into(), text: t }], &common::resolver) else { panic!("{bad} accepted") };
        let r = e.render();
        assert!(r.contains(want) && r.contains("ttl.yaml:7:"), "{r}");
    }
}
