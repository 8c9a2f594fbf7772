//! `spec.cluster.bootstrap: kubeadm`: the cluster as `kubeadm init` builds it — the
//! control-plane node, its static pods' mirror pods, kube-proxy and CoreDNS — checked
//! against kubeadm's manifests and the kubelet's mirror pods (kubelet static_pods.rs,
//! scenario/model.rs apply_kubeadm).

mod common;

use sim_core::api::pod::Pod;
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn kubeadm(timeline: &str, until: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: kubeadm}}\nspec:\n  until: {until}\n  cluster:\n    bootstrap: kubeadm\n    nodePools:\n    - {{name: worker, count: 1, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  timeline:\n{timeline}"
    );
    let s = common::load_str(&text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    Simulation::new(&s, &o).expect("simulation")
}

fn kube_system_pod(sim: &Simulation, name: &str) -> Pod {
    sim.api.store.get_parts(&Kind::Pod, "kube-system", name).and_then(|o| o.as_pod()).cloned().unwrap_or_else(|| panic!("pod {name}"))
}

#[test]
fn kubeadm_init_makes_a_tainted_control_plane_node_running_the_control_plane_as_mirror_pods() {
    let mut sim = kubeadm("  - {at: 0s, cordon: worker-1}\n  - {at: 1s, uncordon: worker-1}\n", "1m");
    sim.run();
    let node = sim.api.store.get_parts(&Kind::Node, "", "control-plane-1").and_then(|o| o.as_node()).cloned().expect("control-plane-1 added first");
    // mark-control-plane: the role label and the NoSchedule taint.
    assert_eq!(node.metadata.labels.get("node-role.kubernetes.io/control-plane").map(String::as_str), Some(""));
    assert!(node.spec.taints.iter().any(|t| t.key == "node-role.kubernetes.io/control-plane" && t.effect == "NoSchedule"));
    for component in ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"] {
        let p = kube_system_pod(&sim, &format!("{component}-control-plane-1"));
        // A mirror pod: from a file, owned by its Node, on the host's network.
        assert_eq!(p.metadata.annotations.get("kubernetes.io/config.source").map(String::as_str), Some("file"));
        assert!(p.metadata.annotations.contains_key("kubernetes.io/config.mirror"));
        let owner = &p.metadata.owner_references[0];
        assert_eq!((owner.kind.as_str(), owner.name.as_str(), owner.uid.as_str()), ("Node", "control-plane-1", node.metadata.uid.as_str()));
        assert_eq!(p.spec.host_network, Some(true));
        assert_eq!(p.spec.priority, Some(2_000_001_000), "system-node-critical");
        assert_eq!(p.metadata.labels.get("tier").map(String::as_str), Some("control-plane"));
        // It runs without a pod network: the node's own address.
        assert_eq!((p.status.phase.as_ref(), p.status.pod_ip.as_str()), ("Running", "172.18.0.2"));
    }
    // kube-apiserver advertises the control-plane node's address: the `kubernetes`
    // Service's endpoints.
    let ep = sim.api.store.get_parts(&Kind::Endpoints, "default", "kubernetes").expect("endpoints");
    assert!(format!("{:?}", ep).contains("172.18.0.2"));
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn the_control_plane_nodes_crash_takes_the_apiserver_down() {
    let tl = "  - {at: 1m, nodeCrash: control-plane-1}\n  - at: 90s\n    apply: {apiVersion: v1, kind: ConfigMap, metadata: {name: late}}\n  - {at: 2m, nodeRecover: control-plane-1}\n";
    let mut sim = kubeadm(tl, "4m");
    sim.run_until(SimTime(100_000));
    assert_eq!(sim.timeline_errors.len(), 1, "kubectl refused while the only control-plane node is down");
    assert_eq!(sim.timeline_errors[0].1, sim_core::sim::control_plane::kubectl_refused("172.18.0.2"));
    sim.run();
    // 60 s down: both leaders lost their leases and restarted with the node.
    let notes: Vec<u64> = sim.trace.records().iter().filter(|r| r.verb == "control-plane").map(|r| r.t).collect();
    assert_eq!(notes, [120_000, 120_000]);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

#[test]
fn even_a_short_crash_of_the_control_plane_node_restarts_its_processes() {
    // 5 s is under the 10 s renew deadline, but the processes died with their machine.
    let tl = "  - {at: 1m, nodeCrash: control-plane-1}\n  - {at: 65s, nodeRecover: control-plane-1}\n";
    let mut sim = kubeadm(tl, "3m");
    sim.run();
    let notes: Vec<u64> = sim.trace.records().iter().filter(|r| r.verb == "control-plane").map(|r| r.t).collect();
    assert_eq!(notes, [65_000, 65_000]);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// `kubectl delete pod kube-scheduler-control-plane-1`: the static pod does not stop. Its
/// kubelet sees the mirror pod marked for deletion, deletes it at once and creates it
/// again (SyncPod, pkg/kubelet/kubelet.go; DeleteMirrorPod's grace period 0 and uid
/// precondition, pkg/kubelet/pod/mirror_client.go): a new uid and creation time, the same
/// containers — no restart, the same start time, still Running.
#[test]
fn a_deleted_mirror_pod_comes_back_and_its_static_pod_keeps_running() {
    let mut sim = kubeadm("  - {at: 1m, delete: pod/kube-system/kube-scheduler-control-plane-1}\n", "2m");
    sim.run_until(SimTime(59_000));
    let before = kube_system_pod(&sim, "kube-scheduler-control-plane-1");
    assert_eq!(before.status.phase, "Running");
    sim.run();
    let after = kube_system_pod(&sim, "kube-scheduler-control-plane-1");
    assert_ne!(after.metadata.uid, before.metadata.uid, "a new mirror pod");
    assert!(after.metadata.creation_timestamp > before.metadata.creation_timestamp);
    assert!(after.metadata.rare.deletion_timestamp.is_none());
    assert_eq!(after.status.phase, "Running");
    assert_eq!(after.status.start_time, before.status.start_time, "the same static pod");
    let restarts = |p: &Pod| p.status.container_statuses.iter().map(|c| c.restart_count).sum::<i32>();
    assert_eq!(restarts(&after), 0);
    assert!(after.status.container_statuses.iter().all(|c| c.ready && c.state.running.is_some()));
    // Only the old uid was deleted, and at once: no kill of the containers.
    let kills: Vec<String> = sim
        .api
        .store
        .list(&Kind::Event)
        .filter_map(|o| o.as_event())
        .filter(|e| e.involved_object.name == "kube-scheduler-control-plane-1" && e.reason == "Killing")
        .map(|e| e.message.to_string())
        .collect();
    assert!(kills.is_empty(), "{kills:?}");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

// `kubeadmInit` and `kubeadmJoin` on the timeline (sim/kubeadm.rs). Expected values come
// from upstream: the Secret's keys and type (cluster-bootstrap/token/api/types.go), the
// expiration as now + TTL in RFC 3339 (bootstraptoken/v1/utils.go encodeTokenSecretData),
// the JWS header (cluster-bootstrap/token/jws: HS256, kid = token id), discovery's 5 s
// poll and 5 min timeout (kubeadm constants.go DiscoveryRetryInterval, DiscoveryTimeout),
// and the messages of discovery/token/token.go and util/pubkeypin/pubkeypin.go wrapped by
// discovery.go's For and the phase runner.

const TOKEN: &str = "abcdef.0123456789abcdef";

/// A kubeadm cluster of one worker built on the timeline: `tokens` is
/// spec.cluster.kubeadm.bootstrapTokens (flow YAML), `timeline` the entries after init.
fn built(tokens: &str, init_at: &str, timeline: &str, until: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: kubeadm}}\nspec:\n  until: {until}\n  cluster:\n    bootstrap: kubeadm\n    kubeadm: {{bootstrapTokens: {tokens}}}\n    nodePools:\n    - {{name: worker, count: 1, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  timeline:\n  - {{at: {init_at}, kubeadmInit: {{node: control-plane-1}}}}\n{timeline}"
    );
    let s = common::load_str(&text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    Simulation::new(&s, &o).expect("simulation")
}

fn join_at(at: &str, token: &str, hash: &str) -> String {
    format!("  - at: {at}\n    kubeadmJoin: {{node: worker-1, token: {token}, discoveryTokenCaCertHash: '{hash}'}}\n")
}

/// What kubeadm printed, in order: (time in ms, node, line).
fn kubeadm_lines(sim: &Simulation) -> Vec<(u64, String, String)> {
    sim.trace.records().iter().filter(|r| r.verb == "kubeadm").map(|r| (r.t, r.by.clone(), r.get_str("output").unwrap_or("").to_string())).collect()
}

/// The CA hash as kubeadm init printed it in its join command (a student copies it).
fn printed_hash(sim: &Simulation) -> String {
    let lines = kubeadm_lines(sim);
    let join = lines.iter().find(|(_, _, l)| l.starts_with("kubeadm join ")).expect("init prints the join command");
    let hash = join.2.split_whitespace().skip_while(|w| *w != "--discovery-token-ca-cert-hash").nth(1).expect("a hash").to_string();
    assert_eq!(join.2, format!("kubeadm join 172.18.0.2:6443 --token {TOKEN} --discovery-token-ca-cert-hash {hash}"));
    // pubkeypin.Hash: "sha256:" and 64 lowercase hex digits.
    assert!(hash.len() == 71 && hash[7..].bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()), "{hash}");
    hash
}

fn secret(sim: &Simulation, name: &str) -> Option<sim_core::api::config_map::Secret> {
    sim.api.store.get_parts(&Kind::Secret, "kube-system", name).and_then(|o| o.as_secret()).cloned()
}

fn cluster_info(sim: &Simulation) -> sim_core::api::config_map::ConfigMap {
    sim.api.store.get_parts(&Kind::ConfigMap, "kube-public", "cluster-info").and_then(|o| o.as_config_map()).cloned().expect("cluster-info")
}

fn decoded(v: &str) -> String {
    String::from_utf8(sim_core::api::config_map::base64_decode(v).expect("base64")).expect("utf-8")
}

fn node_exists(sim: &Simulation, name: &str) -> bool {
    sim.api.store.get_parts(&Kind::Node, "", name).is_some()
}

#[test]
fn nothing_is_served_before_kubeadm_init_and_init_makes_the_token_and_signed_cluster_info() {
    // worker-1's join comes after the end: its kubelet never starts.
    let mut sim = built(&format!("[{{token: {TOKEN}}}]"), "30s", &join_at("2m", TOKEN, "sha256:00"), "1m");
    sim.run_until(SimTime(29_000));
    assert!(sim.api.store.list(&Kind::Node).next().is_none(), "no kubelet registers before init");
    assert!(sim.api.store.get_parts(&Kind::Service, "default", "kubernetes").is_none());
    sim.run();
    assert!(node_exists(&sim, "control-plane-1"));
    assert!(!node_exists(&sim, "worker-1"), "a worker waits for its join");
    let s = secret(&sim, "bootstrap-token-abcdef").expect("the token's Secret");
    assert_eq!(s.type_, "bootstrap.kubernetes.io/token");
    let data = |k: &str| s.data.get(k).map(|v| decoded(v));
    assert_eq!(data("token-id").as_deref(), Some("abcdef"));
    assert_eq!(data("token-secret").as_deref(), Some("0123456789abcdef"));
    // Init at 30 s after 2026-01-01T00:00:00Z, plus kubeadm's default TTL of 24 h.
    assert_eq!(data("expiration").as_deref(), Some("2026-01-02T00:00:30Z"));
    assert_eq!(data("usage-bootstrap-authentication").as_deref(), Some("true"));
    assert_eq!(data("usage-bootstrap-signing").as_deref(), Some("true"));
    assert_eq!(data("auth-extra-groups").as_deref(), Some("system:bootstrappers:kubeadm:default-node-token"));
    // The bootstrap signer's detached JWS: header..signature, kid = the token id.
    let cm = cluster_info(&sim);
    let jws = cm.data.get("jws-kubeconfig-abcdef").expect("signed for the token");
    let (header, rest) = jws.split_once('.').expect("compact JWS");
    assert!(rest.starts_with('.'), "the payload is detached: {jws}");
    let padded = format!("{header}{}", "=".repeat((4 - header.len() % 4) % 4)).replace('-', "+").replace('_', "/");
    assert_eq!(decoded(&padded), r#"{"alg":"HS256","kid":"abcdef"}"#);
    assert!(cm.data["kubeconfig"].contains("server: https://172.18.0.2:6443"));
    printed_hash(&sim);
    assert!(sim.timeline_errors.is_empty() && sim.violations().is_empty(), "{:?} {:?}", sim.timeline_errors, sim.violations());
}

#[test]
fn a_join_with_the_printed_command_registers_the_node_and_kube_proxy_follows() {
    let mut probe = built(&format!("[{{token: {TOKEN}}}]"), "0s", "", "1s");
    probe.run();
    let hash = printed_hash(&probe);
    let mut sim = built(&format!("[{{token: {TOKEN}}}]"), "0s", &join_at("30s", TOKEN, &hash), "2m");
    sim.run();
    assert!(node_exists(&sim, "worker-1"));
    let lines = kubeadm_lines(&sim);
    assert!(lines.iter().any(|(t, n, l)| *t == 30_000 && n == "kubeadm/worker-1" && l == "This node has joined the cluster:"), "{lines:?}");
    let proxy_on_worker =
        sim.api.store.list(&Kind::Pod).filter_map(|o| o.as_pod()).any(|p| p.metadata.name.starts_with("kube-proxy-") && p.spec.node_name == "worker-1");
    assert!(proxy_on_worker, "kube-proxy's DaemonSet puts a pod on the new node");
    assert!(sim.timeline_errors.is_empty() && sim.violations().is_empty(), "{:?} {:?}", sim.timeline_errors, sim.violations());
}

#[test]
fn an_expired_token_is_cleaned_up_and_a_join_with_it_gives_up_after_discovery_timeout() {
    let mut probe = built(&format!("[{{token: {TOKEN}, ttl: 1h}}]"), "0s", "", "1s");
    probe.run();
    let hash = printed_hash(&probe);
    let mut sim = built(&format!("[{{token: {TOKEN}, ttl: 1h}}]"), "0s", &join_at("2h", TOKEN, &hash), "2h6m");
    sim.run_until(SimTime(3_599_000));
    assert!(secret(&sim, "bootstrap-token-abcdef").is_some());
    assert!(cluster_info(&sim).data.contains_key("jws-kubeconfig-abcdef"));
    sim.run_until(SimTime(3_601_000));
    // tokencleaner.go deletes it once expired; bootstrapsigner.go drops its signature.
    assert!(secret(&sim, "bootstrap-token-abcdef").is_none());
    assert!(!cluster_info(&sim).data.contains_key("jws-kubeconfig-abcdef"));
    sim.run();
    let failure: Vec<_> = kubeadm_lines(&sim).into_iter().filter(|(_, n, _)| n == "kubeadm/worker-1").collect();
    // getClusterInfo polls from 2h every 5 s; the 5-minute timeout returns its last error.
    assert_eq!(
        failure,
        [
            (
                7_500_000,
                "kubeadm/worker-1".to_string(),
                "error execution phase preflight: couldn't validate the identity of the API Server: could not find a JWS signature in the cluster-info ConfigMap for token ID \"abcdef\"".to_string()
            ),
            (7_500_000, "kubeadm/worker-1".to_string(), "To see the stack trace of this error execute with --v=5 or higher".to_string()),
        ]
    );
    assert!(!node_exists(&sim, "worker-1"));
    // A failed join is kubeadm's outcome, not a refused timeline action.
    assert!(sim.timeline_errors.is_empty() && sim.violations().is_empty(), "{:?} {:?}", sim.timeline_errors, sim.violations());
}

#[test]
fn a_wrong_ca_hash_or_token_secret_fails_at_once_with_kubeadms_words() {
    let mut probe = built(&format!("[{{token: {TOKEN}}}]"), "0s", "", "1s");
    probe.run();
    let hash = printed_hash(&probe);
    let wrong = format!("sha256:{}", "0".repeat(64));
    let cases = [
        // validateClusterCA → pubkeypin CheckAny.
        (TOKEN, wrong.as_str(), format!("cluster CA found in cluster-info ConfigMap is invalid: none of the public keys \"{hash}\" are pinned")),
        // validateClusterInfoToken: the id is known, the secret is not its own.
        ("abcdef.ffffffffffffffff", hash.as_str(), "failed to verify JWS signature of received cluster info object, can't trust this API Server".to_string()),
        // pubkeypin Allow: the pin's length (hex.DecodedLen).
        (
            TOKEN,
            "sha256:abcd",
            "invalid discovery token CA certificate hash: invalid hash \"sha256:abcd\", expected a 32 byte SHA-256 hash, found 2 bytes".to_string(),
        ),
    ];
    for (token, h, err) in cases {
        let mut sim = built(&format!("[{{token: {TOKEN}}}]"), "0s", &join_at("1m", token, h), "2m");
        sim.run();
        let lines: Vec<_> = kubeadm_lines(&sim).into_iter().filter(|(_, n, _)| n == "kubeadm/worker-1").map(|(t, _, l)| (t, l)).collect();
        assert_eq!(lines[0], (60_000, format!("error execution phase preflight: couldn't validate the identity of the API Server: {err}")));
        assert!(!node_exists(&sim, "worker-1"));
    }
}

#[test]
fn a_join_before_init_retries_until_the_control_plane_is_up() {
    let mut probe = built(&format!("[{{token: {TOKEN}}}]"), "0s", "", "1s");
    probe.run();
    let hash = printed_hash(&probe);
    // Joined at 0 s, init at 12 s: the polls at 0, 5 and 10 s are refused, the one at 15 s
    // finds the signature (the signer wrote it a watch hop after init).
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: kubeadm}}\nspec:\n  until: 1m\n  cluster:\n    bootstrap: kubeadm\n    kubeadm: {{bootstrapTokens: [{{token: {TOKEN}}}]}}\n    nodePools:\n    - {{name: worker, count: 1, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  timeline:\n{}  - {{at: 12s, kubeadmInit: {{node: control-plane-1}}}}\n",
        join_at("0s", TOKEN, &hash)
    );
    let s = common::load_str(&text);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation");
    sim.run();
    let joined = kubeadm_lines(&sim).into_iter().find(|(_, n, l)| n == "kubeadm/worker-1" && l == "This node has joined the cluster:");
    assert_eq!(joined.map(|j| j.0), Some(15_000));
    assert!(node_exists(&sim, "worker-1"));
}

#[test]
fn a_kubelet_on_a_machine_with_swap_on_refuses_to_start() {
    // failSwapOn is the kubelet's default: the node never registers, and the kubelet says
    // why in the words a v1.34 kubelet logs (run.go's "command failed" around
    // container_manager_linux.go's refusal).
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: swap}\nspec:\n  until: 1m\n  cluster:\n    bootstrap: kubeadm\n    nodePools:\n    - {name: worker, count: 2, swap: true, capacity: {cpu: '4', memory: 8Gi, pods: 110}}\n";
    let s = common::load_str(text);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation");
    sim.run();
    assert!(node_exists(&sim, "control-plane-1"));
    assert!(!node_exists(&sim, "worker-1") && !node_exists(&sim, "worker-2"));
    let lines: Vec<(String, String)> =
        sim.trace.records().iter().filter(|r| r.verb == "kubelet").map(|r| (r.by.clone(), r.get_str("message").unwrap_or("").to_string())).collect();
    let msg =
        "\"command failed\" err=\"failed to run Kubelet: running with swap on is not supported, please disable swap or set --fail-swap-on flag to false\"";
    assert_eq!(lines, [("kubelet/worker-1".to_string(), msg.to_string()), ("kubelet/worker-2".to_string(), msg.to_string())]);
}

/// firewalld on the control-plane machine with 6443 not opened (`closedPorts: [6443]`):
/// kubeadm init warns (preflight's FirewalldCheck, checks.go: init checks the API server's
/// bind port and the kubelet's), and a worker's join cannot reach kube-apiserver —
/// firewalld rejects with icmp-host-prohibited, which Go reports as "connect: no route
/// to host" — so discovery polls every 5 s until its 5-minute timeout and fails with the
/// last error (token.go's "failed to request the cluster-info ConfigMap", wrapped by
/// discovery.go and the phase runner). A worker there from the start never registers,
/// and its kubelet says why (kubelet_node_status.go registerWithAPIServer).
#[test]
fn a_firewall_closing_6443_on_the_control_plane_makes_joins_time_out() {
    let pools = "    - {name: cp, count: 1, controlPlane: true, closedPorts: [6443], capacity: {cpu: '2', memory: 4Gi, pods: 110}}\n    - {name: worker, count: 2, capacity: {cpu: '4', memory: 8Gi, pods: 110}}\n";
    let join = "  - at: 1m\n    kubeadmJoin: {node: worker-1, token: abcdef.0123456789abcdef, discoveryTokenCaCertHash: 'sha256:0000000000000000000000000000000000000000000000000000000000000000'}\n";
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: fw}}\nspec:\n  until: 7m\n  cluster:\n    bootstrap: kubeadm\n    kubeadm: {{bootstrapTokens: [{{token: {TOKEN}}}]}}\n    nodePools:\n{pools}  timeline:\n  - {{at: 0s, kubeadmInit: {{node: cp-1}}}}\n{join}"
    );
    let s = common::load_str(&text);
    let mut o = RunOptions::for_scenario(&s);
    o.check = true;
    let mut sim = Simulation::new(&s, &o).expect("simulation");
    sim.run();
    let lines = kubeadm_lines(&sim);
    let cp: Vec<&str> = lines.iter().filter(|(_, n, _)| n == "kubeadm/cp-1").map(|(_, _, l)| l.as_str()).collect();
    assert_eq!(cp[0], "\t[WARNING Firewalld]: firewalld is active, please ensure ports [6443 10250] are open or your cluster may not function correctly");
    let w1: Vec<(u64, &str)> = lines.iter().filter(|(_, n, _)| n == "kubeadm/worker-1").map(|(t, _, l)| (*t, l.as_str())).collect();
    let refused = "Get \"https://172.18.0.2:6443/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s\": dial tcp 172.18.0.2:6443: connect: no route to host";
    assert_eq!(
        w1,
        [
            (360_000, format!("error execution phase preflight: couldn't validate the identity of the API Server: failed to request the cluster-info ConfigMap: {refused}").as_str()),
            (360_000, "To see the stack trace of this error execute with --v=5 or higher"),
        ]
    );
    // worker-2 (no join: there from init) never registers either; cp-1 does.
    assert!(!node_exists(&sim, "worker-1") && !node_exists(&sim, "worker-2") && node_exists(&sim, "cp-1"));
    let notes: Vec<String> =
        sim.trace.records().iter().filter(|r| r.by == "kubelet/worker-2").map(|r| r.get_str("message").unwrap_or("").to_string()).collect();
    assert_eq!(
        notes,
        ["\"Unable to register node with API server\" err=\"Post \\\"https://172.18.0.2:6443/api/v1/nodes\\\": dial tcp 172.18.0.2:6443: connect: no route to host\" node=\"worker-2\""]
    );
    assert!(sim.timeline_errors.is_empty() && sim.violations().is_empty(), "{:?} {:?}", sim.timeline_errors, sim.violations());
}

/// A forced delete (grace period 0) removes the mirror pod at once; the static pod still
/// runs on, and the kubelet makes its mirror pod again (tryReconcileMirrorPods).
#[test]
fn a_force_deleted_mirror_pod_comes_back_too() {
    let tl = "  - at: 1m\n    delete: {target: pod/kube-system/kube-scheduler-control-plane-1, gracePeriodSeconds: 0, force: true}\n";
    let mut sim = kubeadm(tl, "2m");
    sim.run_until(SimTime(59_000));
    let before = kube_system_pod(&sim, "kube-scheduler-control-plane-1");
    sim.run();
    let after = kube_system_pod(&sim, "kube-scheduler-control-plane-1");
    assert_ne!(after.metadata.uid, before.metadata.uid);
    assert_eq!((after.status.phase.as_ref(), after.status.start_time), ("Running", before.status.start_time));
    assert_eq!(after.status.container_statuses[0].restart_count, 0);
}

/// retrieveValidatedConfigInfo checks the pins (pubKeyPins.Allow) before it polls
/// cluster-info (cmd/kubeadm/app/discovery/token/token.go): a malformed hash fails at the
/// join's own moment, even with a token cluster-info has no signature for (which would
/// otherwise be polled for 5 minutes).
#[test]
fn a_malformed_ca_hash_fails_before_any_poll() {
    let mut sim = built(&format!("[{{token: {TOKEN}}}]"), "0s", &join_at("30s", "zzzzzz.0123456789abcdef", "sha256:abcd"), "3m");
    sim.run();
    let w1: Vec<(u64, String)> = kubeadm_lines(&sim).into_iter().filter(|(_, n, _)| n == "kubeadm/worker-1").map(|(t, _, l)| (t, l)).collect();
    assert_eq!(w1[0].0, 30_000);
    assert!(w1[0].1.contains("invalid discovery token CA certificate hash"), "{w1:?}");
    assert!(!node_exists(&sim, "worker-1"));
}
