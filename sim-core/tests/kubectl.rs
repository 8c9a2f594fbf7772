//! The timeline's kubectl commands end to end: cordon/uncordon, drain (its filters, the
//! Eviction API's 429 and retry, its timeout), addNode/removeNode, set image, rollout
//! pause/resume/undo. Expected output lines are kubectl's own words (staging/src/
//! k8s.io/kubectl/pkg/drain/filters.go's messages, drain.go's evictPods and
//! waitForDelete, cmd/drain's "unable to drain node", cmd/rollout's and
//! polymorphichelpers/rollback.go's results), expected states follow from the
//! controllers' rules named beside each assertion — never copied from a run.

mod common;

use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

/// A scenario with `pools` (YAML list items), `timeline` entries and `manifests`
/// (documents after the Scenario).
fn sim(pools: &str, timeline: &str, until: &str, manifests: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: kubectl}}\nspec:\n  until: {until}\n  cluster:\n    nodePools:\n{pools}\n  timeline:\n{timeline}\n{manifests}"
    );
    let s = common::load_str(&text);
    Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation")
}

const TWO: &str = "    - {name: w, count: 2, capacity: {cpu: '8', memory: 16Gi, pods: 110}}";

fn deployment(name: &str, replicas: u32, extra_spec: &str) -> String {
    format!(
        "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: {name}}}\nspec:\n  replicas: {replicas}\n{extra_spec}  selector: {{matchLabels: {{app: {name}}}}}\n  template:\n    metadata: {{labels: {{app: {name}}}}}\n    spec:\n      containers: [{{name: {name}, image: 'nginx:1.25'}}]\n"
    )
}

/// What kubectl printed, in order.
fn output(sim: &Simulation) -> Vec<String> {
    sim.trace.records().iter().filter(|r| r.verb == "kubectl").filter_map(|r| r.get("output").and_then(|v| v.as_str()).map(String::from)).collect()
}

fn pods(sim: &Simulation) -> Vec<sim_core::api::pod::Pod> {
    sim.api.store.list(&Kind::Pod).filter_map(|o| o.as_pod()).cloned().collect()
}

fn unschedulable(sim: &Simulation, node: &str) -> bool {
    sim.api.store.get_parts(&Kind::Node, "", node).and_then(|o| o.as_node()).is_some_and(|n| n.spec.unschedulable)
}

fn deployment_obj(sim: &Simulation, name: &str) -> sim_core::api::deployment::Deployment {
    sim.api.store.get_parts(&Kind::Deployment, "default", name).and_then(|o| o.as_deployment()).cloned().expect("the deployment")
}

fn images(sim: &Simulation) -> Vec<String> {
    let mut v: Vec<String> = pods(sim).iter().map(|p| p.spec.containers[0].image.clone()).collect();
    v.sort();
    v
}

/// kubectl cordon sets spec.unschedulable; the scheduler's NodeUnschedulable filter then
/// keeps new pods off the node; uncordon clears it; cordoning twice says so.
#[test]
fn cordon_keeps_new_pods_off_the_node_and_uncordon_lets_them_back() {
    let timeline = "  - {at: 1s, cordon: w-1}\n  - {at: 2s, cordon: w-1}\n  - {at: 3s, apply: {apiVersion: apps/v1, kind: Deployment, metadata: {name: web}, spec: {replicas: 4, selector: {matchLabels: {app: web}}, template: {metadata: {labels: {app: web}}, spec: {containers: [{name: web, image: nginx}]}}}}}\n  - {at: 30s, uncordon: w-1}";
    let mut s = sim(TWO, timeline, "1m", "");
    s.run_until(SimTime(20_000));
    assert!(unschedulable(&s, "w-1"));
    let on: Vec<String> = pods(&s).iter().map(|p| p.spec.node_name.to_string()).collect();
    assert_eq!(on, vec!["w-2"; 4], "every pod avoids the cordoned node");
    s.run();
    assert!(!unschedulable(&s, "w-1"));
    assert_eq!(output(&s), ["node/w-1 cordoned", "node/w-1 already cordoned", "node/w-1 uncordoned"]);
    assert!(s.timeline_errors.is_empty(), "{:?}", s.timeline_errors);
}

/// A bare pod (no controller) stops a drain without --force (filters.go unmanagedFatal);
/// the node is cordoned all the same (RunCordonOrUncordon runs first).
#[test]
fn drain_refuses_a_pod_without_a_controller_unless_forced() {
    let bare = "  - at: 1s\n    apply: {apiVersion: v1, kind: Pod, metadata: {name: bare}, spec: {nodeName: w-1, containers: [{name: c, image: nginx}]}}\n";
    let mut s = sim(TWO, &format!("{bare}  - {{at: 10s, drain: {{node: w-1}}}}"), "30s", "");
    s.run();
    assert!(unschedulable(&s, "w-1"));
    assert_eq!(pods(&s).len(), 1, "the bare pod stays");
    assert_eq!(
        output(&s),
        [
            "node/w-1 cordoned",
            "error: unable to drain node \"w-1\" due to error: cannot delete Pods that declare no controller (use --force to override): default/bare, continuing command...",
            "There are pending nodes to be drained:",
            " w-1",
            "cannot delete Pods that declare no controller (use --force to override): default/bare",
        ]
    );

    let mut s = sim(TWO, &format!("{bare}  - {{at: 10s, drain: {{node: w-1, force: true}}}}"), "30s", "");
    s.run();
    assert!(pods(&s).is_empty(), "forced: the bare pod is evicted and gone");
    assert_eq!(
        output(&s),
        [
            "node/w-1 cordoned",
            "Warning: deleting Pods that declare no controller: default/bare",
            "evicting pod default/bare",
            "pod/bare evicted",
            "node/w-1 drained",
        ]
    );
}

/// A budget that allows no disruption (maxUnavailable 0) refuses every eviction with 429;
/// drain retries every 5 s (evictionRetryDelay) and gives up at --timeout with one error
/// per pod (evictPods's "global timeout reached"), aggregated in brackets.
#[test]
fn drain_against_a_zero_budget_retries_every_five_seconds_and_times_out() {
    let pdb =
        "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web-pdb}\nspec: {maxUnavailable: 0, selector: {matchLabels: {app: web}}}\n";
    let one = "    - {name: w, count: 1, capacity: {cpu: '8', memory: 16Gi, pods: 110}}";
    let mut s = sim(one, "  - {at: 30s, drain: {node: w-1, timeout: 20s}}", "1m", &format!("{}{pdb}", deployment("web", 2, "")));
    s.run();
    assert_eq!(pods(&s).len(), 2, "nothing was evicted");
    let out = output(&s);
    let tries = out.iter().filter(|l| l.starts_with("evicting pod ")).count();
    // Two pods, each tried at 30 s and again every 5 s until 50 s: 30, 35, 40, 45 (and
    // 50 when the retry comes before the poll that gives up) — 4 or 5 tries each.
    assert!((8..=10).contains(&tries), "{tries} tries: {out:#?}");
    let refused = out.iter().filter(|l| l.ends_with("(will retry after 5s): Cannot evict pod as it would violate the pod's disruption budget.")).count();
    assert_eq!(refused, tries, "every try is refused: {out:#?}");
    let names: Vec<String> = {
        let mut v: Vec<String> = pods(&s).iter().map(|p| p.metadata.name.to_string()).collect();
        v.sort();
        v
    };
    // deleteOrEvictPodsSimple lists the pods still to go; RunDrain then reports the node
    // and the command's error, one line per error of the aggregate.
    let errs = names.iter().map(|n| format!("error when evicting pods/{n:?} -n \"default\": global timeout reached: 20s")).collect::<Vec<_>>();
    let tail: Vec<String> = out[out.len() - 8..].to_vec();
    assert_eq!(
        tail,
        [
            format!("There are pending pods in node \"w-1\" when an error occurred: [{}]", errs.join(", ")),
            format!("pod/{}", names[0]),
            format!("pod/{}", names[1]),
            format!("error: unable to drain node \"w-1\" due to error: [{}], continuing command...", errs.join(", ")),
            "There are pending nodes to be drained:".to_string(),
            " w-1".to_string(),
            errs[0].clone(),
            errs[1].clone(),
        ]
    );
}

/// DaemonSet pods stop a drain without --ignore-daemonsets, and are left alone with it
/// (daemonSetFilter); they tolerate the cordon's unschedulable taint, so the node keeps
/// its DaemonSet pod.
#[test]
fn drain_ignores_daemonset_pods_only_when_told() {
    let ds = "---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec: {containers: [{name: a, image: busybox}]}\n";
    let agent_on = |s: &Simulation, node: &str| {
        pods(s)
            .into_iter()
            .find(|p| p.spec.node_name == node && p.metadata.labels.get("app").is_some_and(|a| a == "agent"))
            .map(|p| p.metadata.name)
            .expect("a DaemonSet pod")
    };
    let mut s = sim(TWO, "  - {at: 10s, drain: {node: w-1}}", "30s", ds);
    s.run();
    let agent = agent_on(&s, "w-1");
    assert_eq!(
        output(&s)[1],
        format!("error: unable to drain node \"w-1\" due to error: cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore): default/{agent}, continuing command...")
    );
    let mut s = sim(TWO, "  - {at: 10s, drain: {node: w-1, ignoreDaemonSets: true}}", "30s", ds);
    s.run();
    let agent = agent_on(&s, "w-1");
    assert_eq!(output(&s), ["node/w-1 cordoned".to_string(), format!("Warning: ignoring DaemonSet-managed Pods: default/{agent}"), "node/w-1 drained".into()]);
}

/// addNode: the pool's next node joins (its kubelet registers it) and takes pods;
/// removeNode: the machine goes and the Node object is deleted; the pod GC deletes
/// its pods (gcOrphaned) and the ReplicaSet replaces them elsewhere.
#[test]
fn add_node_joins_and_remove_node_moves_its_pods() {
    let one = "    - {name: w, count: 1, capacity: {cpu: '8', memory: 16Gi, pods: 110}}";
    let mut s = sim(
        one,
        "  - {at: 10s, addNode: {pool: w}}\n  - {at: 20s, scale: {target: deployment/web, replicas: 4}}\n  - {at: 1m, removeNode: w-1}",
        "3m",
        &deployment("web", 1, ""),
    );
    s.run_until(SimTime(59_000));
    assert!(s.api.store.get_parts(&Kind::Node, "", "w-2").is_some(), "w-2 joined");
    let on2 = pods(&s).iter().filter(|p| p.spec.node_name == "w-2").count();
    assert!(on2 >= 1, "the new node takes pods (least allocated)");
    s.run();
    assert!(s.api.store.get_parts(&Kind::Node, "", "w-1").is_none(), "w-1 deleted");
    let all = pods(&s);
    assert_eq!(all.len(), 4);
    assert!(
        all.iter().all(|p| p.spec.node_name == "w-2" && p.status.phase == "Running"),
        "{:?}",
        all.iter().map(|p| (&p.spec.node_name, &p.status.phase)).collect::<Vec<_>>()
    );
}

/// set image rolls the Deployment to a new ReplicaSet; paused, nothing rolls until
/// resume (syncDeployment's paused branch only scales); an unknown container is refused.
#[test]
fn set_image_pause_and_resume() {
    let timeline = "  - {at: 10s, rolloutPause: deployment/web}\n  - {at: 11s, setImage: {target: deployment/web, container: web, image: 'nginx:1.27'}}\n  - {at: 12s, setImage: {target: deployment/web, container: nope, image: x}}\n  - {at: 40s, rolloutResume: deployment/web}";
    let mut s = sim(TWO, timeline, "2m", &deployment("web", 2, ""));
    s.run_until(SimTime(39_000));
    assert_eq!(images(&s), ["nginx:1.25", "nginx:1.25"], "paused: no rollout");
    assert_eq!(s.api.store.list(&Kind::ReplicaSet).count(), 1);
    s.run();
    assert_eq!(images(&s), ["nginx:1.27", "nginx:1.27"]);
    assert_eq!(
        output(&s),
        ["deployment.apps/web paused", "deployment.apps/web image updated", "error: unable to find container named \"nope\"", "deployment.apps/web resumed"]
    );
    assert_eq!(s.timeline_errors.len(), 1, "the unknown container is a refused step: {:?}", s.timeline_errors);
}

/// rollout undo puts the previous revision's template back (without its
/// pod-template-hash), with that ReplicaSet's annotations; the old ReplicaSet becomes
/// the newest revision (3); undoing to the current template is skipped.
#[test]
fn rollout_undo_restores_the_previous_template() {
    let timeline = "  - {at: 10s, setImage: {target: deployment/web, container: web, image: 'nginx:1.27'}}\n  - {at: 40s, rolloutUndo: {target: deployment/web}}\n  - {at: 70s, rolloutUndo: {target: deployment/web, toRevision: 3}}";
    let mut s = sim(TWO, timeline, "2m", &deployment("web", 2, ""));
    s.run();
    let d = deployment_obj(&s, "web");
    assert_eq!(d.spec.template.spec.containers[0].image, "nginx:1.25");
    assert!(!d.spec.template.metadata.labels.contains_key("pod-template-hash"));
    assert_eq!(d.metadata.annotations.get("deployment.kubernetes.io/revision").map(String::as_str), Some("3"));
    assert_eq!(images(&s), ["nginx:1.25", "nginx:1.25"]);
    assert_eq!(s.api.store.list(&Kind::ReplicaSet).count(), 2, "the old ReplicaSet is reused");
    assert_eq!(
        output(&s),
        [
            "deployment.apps/web image updated",
            "deployment.apps/web rolled back",
            "deployment.apps/web skipped rollback (current template already matches revision 3)"
        ]
    );
}

/// A cordon right at registration survives the node IPAM controller's pod CIDR and the
/// node lifecycle controller's taints: both patch only their own fields
/// (PatchNodeCIDRs, PatchNodeTaints), so `spec.unschedulable` stays as kubectl set it.
#[test]
fn a_cordon_at_registration_is_not_undone_by_the_controllers() {
    let s = common::load_str(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 1m\n  cluster:\n    cni: none\n  timeline:\n  - {at: 1ms, cordon: worker-1}\n",
    );
    let mut sim = sim_core::Simulation::new(&s, &sim_core::RunOptions::for_scenario(&s)).unwrap();
    sim.run_until(sim_core::engine::SimTime::from_secs(30));
    let n = sim.list(&sim_core::api::Kind::Node).iter().filter_map(|o| o.as_node()).find(|n| n.metadata.name == "worker-1").cloned().unwrap();
    assert!(n.spec.unschedulable, "still cordoned");
    assert!(!n.spec.pod_cidr.is_empty(), "the pod CIDR was set");
    assert!(n.spec.taints.iter().any(|t| t.key == "node.kubernetes.io/not-ready"), "the not-ready taint was added (no CNI)");
}
