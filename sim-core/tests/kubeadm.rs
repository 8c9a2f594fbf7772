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
    assert!(after.metadata.deletion_timestamp.is_none());
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
        .map(|e| e.message.clone())
        .collect();
    assert!(kills.is_empty(), "{kills:?}");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}
