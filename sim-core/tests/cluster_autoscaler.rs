//! The Cluster Autoscaler end to end (cluster_autoscaler.rs, after cluster-autoscaler
//! 1.31's static autoscaler): the events' words come from
//! processors/status/eventing_scale_up_processor.go and core/scaledown/actuation, the
//! timings from its flag defaults (scan-interval 10 s, scale-down-unneeded-time 10 m,
//! scale-down-delay-after-add 10 m).

mod common;

use sim_core::api::{Kind, Object};
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn sim(text: &str) -> Simulation {
    let s = common::load_str(text);
    Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap()
}

fn events(s: &Simulation, reason: &str) -> Vec<(SimTime, String, String)> {
    let mut v: Vec<_> = s
        .list(&Kind::Event)
        .iter()
        .filter_map(|o| if let Object::Event(e) = &**o { Some(e.clone()) } else { None })
        .filter(|e| e.reason == reason)
        .map(|e| (e.first_timestamp.get().map_or(SimTime::ZERO, |t| t.0), e.involved_object.name.to_string(), e.message.to_string()))
        .collect();
    v.sort();
    v
}

/// Two bare pods of 1500m: one fits a 2-CPU node, the other waits.
const TWO_PODS: &str = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: a}\nspec:\n  containers: [{name: c, image: nginx, resources: {requests: {cpu: '1500m'}}}]\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: b}\nspec:\n  containers: [{name: c, image: nginx, resources: {requests: {cpu: '1500m'}}}]\n";

fn nodes(s: &Simulation) -> Vec<String> {
    s.list(&Kind::Node).iter().map(|o| o.meta().name.to_string()).collect()
}

/// 10 pods of 500m on 2-CPU machines: 4 fit on the first node, the 6 left need 2 more
/// (the binpacking estimator), so the group goes 1 → 3 and each of them says so; the
/// loop runs every 10 s, so the first sees them at 10 s (pods created at 5 s, older than
/// the 2 s buffer). The machines register after the provisioning delay (60 s).
#[test]
fn pending_pods_trigger_a_scale_up_of_the_right_size() {
    let text = std::fs::read_to_string(common::repo_root().join("scenarios/cluster-autoscaler-scale-up.yaml")).unwrap();
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(180));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let up = events(&s, "TriggeredScaleUp");
    assert_eq!(up.len(), 6, "{up:?}");
    assert!(up.iter().all(|(t, _, m)| *t == SimTime::from_secs(10) && m == "pod triggered scale-up: [{workers 1->3 (max: 5)}]"), "{up:?}");
    assert_eq!(nodes(&s), ["workers-1", "workers-2", "workers-3"]);
}

/// A group at its max cannot grow: each pending pod gets NotTriggerScaleUp with the
/// skip reason counted by groups (`1 max node group size reached`); a pod that fits no
/// group's template gets the scheduler's reason (`1 Insufficient cpu`).
#[test]
fn a_group_at_max_and_a_pod_too_big_say_why_not() {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 1m\n  cluster:\n    nodePools:\n    - {name: small, count: 1, capacity: {cpu: '1', memory: 4Gi}, autoscaling: {min: 1, max: 1}}\n    - {name: big, count: 1, capacity: {cpu: '2', memory: 4Gi}, autoscaling: {min: 1, max: 3}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: huge}\nspec:\n  containers: [{name: c, image: nginx, resources: {requests: {cpu: '3'}}}]\n";
    let mut s = sim(text);
    s.run_until(SimTime::from_secs(30));
    let not = events(&s, "NotTriggerScaleUp");
    assert!(!not.is_empty());
    assert!(not.iter().all(|(_, pod, m)| pod == "huge" && m == "pod didn't trigger scale-up: 1 Insufficient cpu, 1 max node group size reached"), "{not:?}");
    assert!(events(&s, "TriggeredScaleUp").is_empty());
    assert_eq!(nodes(&s).len(), 2);
}

/// Scale-down: nodes under 0.5 utilization whose pods fit elsewhere are removed after 10
/// minutes unneeded, never below the group's min; a pod annotated
/// `cluster-autoscaler.kubernetes.io/safe-to-evict: "false"` keeps its node.
#[test]
fn underused_nodes_go_but_not_below_min_nor_with_a_pod_that_must_stay() {
    let text = std::fs::read_to_string(common::repo_root().join("scenarios/cluster-autoscaler-scale-down.yaml")).unwrap();
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(20 * 60));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert_eq!(nodes(&s).len(), 1);
    // Two nodes marked; their `nodes removed by cluster autoscaler` events fall to the
    // autoscaler's spam filter (one ScaleDown per node per 5 minutes), as upstream's do.
    let marked = events(&s, "ScaleDown").into_iter().filter(|(_, _, m)| m == "marked the node as toBeDeleted/unschedulable").count();
    assert_eq!(marked, 2);
    // No removal before a node was unneeded for more than 10 minutes: the spread pods
    // used 10 % of each node from the start, and each could move (the first loop, at
    // 10 s), so the earliest is the loop after 10m10s, at 10m20s.
    assert!(events(&s, "ScaleDown").iter().all(|(t, _, _)| *t >= SimTime::from_secs(620)), "{:?}", events(&s, "ScaleDown"));

    let pinned = text.replace(
        "    metadata: {labels: {app: web}}\n    spec:",
        "    metadata:\n      labels: {app: web}\n      annotations: {cluster-autoscaler.kubernetes.io/safe-to-evict: \"false\"}\n    spec:",
    );
    assert_ne!(pinned, text);
    let mut s = sim(&pinned);
    s.run_until(SimTime::from_secs(20 * 60));
    // Only the empty nodes can go: the one with the pinned pod stays, and the min of 1
    // is kept.
    let left = nodes(&s);
    assert_eq!(left.len(), 1, "{left:?}");
    let pod_node =
        s.list(&Kind::Pod).iter().find_map(|o| o.as_pod().filter(|p| p.metadata.namespace == "default").map(|p| p.spec.node_name.to_string())).unwrap();
    assert_eq!(left, [pod_node]);
}

/// A PodDisruptionBudget with no disruption left keeps its pod's node (the planner's
/// pdb rule: `not enough pod disruption budget to move`): the empty nodes go, the pod is
/// never evicted. And a DaemonSet's pods count on the template node: a pod that fits
/// an empty machine but not one running the DaemonSet does not trigger a scale-up.
#[test]
fn a_budget_keeps_its_node_and_daemon_sets_count_on_templates() {
    let text = std::fs::read_to_string(common::repo_root().join("scenarios/cluster-autoscaler-scale-down.yaml")).unwrap();
    let pdb =
        "\n---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {name: web}\nspec:\n  minAvailable: 1\n  selector: {matchLabels: {app: web}}\n";
    let mut s = sim(&format!("{text}{pdb}"));
    s.run_until(SimTime::from_secs(20 * 60));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    assert!(events(&s, "ScaleDown").iter().all(|(_, _, m)| m != "deleting pod for node scale down"), "{:?}", events(&s, "ScaleDown"));
    let pod_node =
        s.list(&Kind::Pod).iter().find_map(|o| o.as_pod().filter(|p| p.metadata.namespace == "default").map(|p| p.spec.node_name.to_string())).unwrap();
    assert_eq!(nodes(&s), [pod_node]);

    let ds = "apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: a, image: agent, resources: {requests: {cpu: 500m}}}]";
    // The pod comes once the DaemonSet's pod runs.
    let pod = "      apiVersion: v1\n      kind: Pod\n      metadata: {name: big}\n      spec:\n        containers: [{name: c, image: nginx, resources: {requests: {cpu: 1800m}}}]";
    let text = format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 1m\n  cluster:\n    nodePools:\n    - {{name: w, count: 1, capacity: {{cpu: '2', memory: 4Gi}}, autoscaling: {{min: 1, max: 3}}}}\n  timeline:\n  - at: 5s\n    apply:\n{pod}\n---\n{ds}\n");
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(40));
    assert!(events(&s, "TriggeredScaleUp").is_empty());
    let not = events(&s, "NotTriggerScaleUp");
    assert!(not.iter().any(|(_, p, m)| p == "big" && m == "pod didn't trigger scale-up: 1 Insufficient cpu"), "{not:?}");
    // The autoscaler's spam filter: one event per pod and reason per 5 minutes.
    assert_eq!(not.len(), 1, "{not:?}");
}

/// Three groups can each take the pending pod. The priority expander (expander/priority/
/// priority.go) reads kube-system/cluster-autoscaler-priority-expander: `spot-b` matches
/// 50 and 10, `on-demand` and `spot-a` only 10 (`.*on-demand.*`, `spot-a`): the highest
/// priority an option reaches wins, so spot-b grows. `misc` matches nothing: a Warning
/// on the ConfigMap, and it is not used though its template fits the pod as well.
#[test]
fn the_priority_expander_picks_the_highest_matching_group() {
    let cm = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: cluster-autoscaler-priority-expander, namespace: kube-system}\ndata:\n  priorities: |-\n    10:\n      - .*on-demand.*\n      - spot-a\n    50:\n      - ^spot-b$\n      - spot\n";
    let pools = "    - {name: on-demand, count: 1, capacity: {cpu: '2', memory: 4Gi}, autoscaling: {min: 1, max: 3}}\n    - {name: spot-a, count: 1, capacity: {cpu: '2', memory: 4Gi}, autoscaling: {min: 1, max: 3}}\n    - {name: spot-b, count: 1, capacity: {cpu: '2', memory: 4Gi}, autoscaling: {min: 1, max: 3}}\n    - {name: misc, count: 1, capacity: {cpu: '2', memory: 4Gi}, autoscaling: {min: 1, max: 3}}\n";
    let pod = "apiVersion: v1\nkind: Pod\nmetadata: {name: big}\nspec:\n  containers: [{name: c, image: nginx, resources: {requests: {cpu: '1500m'}}}]\n";
    let filler = |n: u32| {
        format!("apiVersion: v1\nkind: Pod\nmetadata: {{name: filler-{n}}}\nspec:\n  containers: [{{name: c, image: nginx, resources: {{requests: {{cpu: '1500m'}}}}}}]\n")
    };
    // Four fillers take the four nodes' room first (created at 0 s), `big` comes at 3 s.
    let fillers: Vec<String> = (1..=4).map(filler).collect();
    let late = pod.lines().map(|l| format!("      {l}\n")).collect::<String>();
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 2m\n  cluster:\n    clusterAutoscaler: {{expander: priority}}\n    nodePools:\n{pools}  timeline:\n  - at: 3s\n    apply:\n{late}---\n{cm}---\n{}",
        fillers.join("---\n")
    );
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(100));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let up = events(&s, "TriggeredScaleUp");
    assert_eq!(up.iter().map(|(_, p, m)| (p.as_str(), m.as_str())).collect::<Vec<_>>(), [("big", "pod triggered scale-up: [{spot-b 1->2 (max: 3)}]")]);
    let warn = events(&s, "PriorityConfigMapNotMatchedGroup");
    assert_eq!(
        warn.iter().map(|(_, o, m)| (o.as_str(), m.as_str())).collect::<Vec<_>>(),
        [("cluster-autoscaler-priority-expander", "Priority expander: node group misc not found in priority expander configuration. The group won't be used.")]
    );
    assert!(nodes(&s).contains(&"spot-b-2".to_string()), "{:?}", nodes(&s));
}

/// Without its ConfigMap the priority expander keeps no option (reloadConfigMap's error:
/// BestOptions returns nil), the chain's random fallback has nothing to draw from, and
/// ScaleUp ends with ScaleUpNoOptionsAvailable: no group grows, and the pod — schedulable
/// on a group's template — gets no NotTriggerScaleUp either (GetRemainingPods keeps only
/// the pods no group could take).
#[test]
fn the_priority_expander_without_its_config_map_scales_nothing() {
    let text = &format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 2m\n  cluster:\n    clusterAutoscaler: {{expander: 'priority,least-waste'}}\n    nodePools:\n    - {{name: workers, count: 1, capacity: {{cpu: '2', memory: 4Gi}}, autoscaling: {{min: 1, max: 3}}}}\n{TWO_PODS}");
    let mut s = sim(text);
    s.run_until(SimTime::from_secs(110));
    assert!(events(&s, "TriggeredScaleUp").is_empty());
    assert!(events(&s, "NotTriggerScaleUp").is_empty());
    assert_eq!(nodes(&s), ["workers-1"]);
}

/// A machine that has not registered within max-node-provision-time (15 minutes) is
/// given up: its instance deleted (removeOldUnregisteredNodes), so it never joins even
/// when it would have booted later (a 20-minute provisioning delay here). The pod still
/// pending asks again in the same loop, and again 15 minutes later: the machines asked
/// for at 10 s, 15m10s and 30m10s are all given up before they boot, so nothing joins
/// (upstream would also back the group off; ksim does not).
#[test]
fn a_machine_that_never_registers_in_time_is_given_up() {
    let text = &format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 40m\n  cluster:\n    nodePools:\n    - {{name: workers, count: 1, capacity: {{cpu: '2', memory: 4Gi}}, autoscaling: {{min: 1, max: 3, provisioningDelay: 20m}}}}\n{TWO_PODS}");
    let mut s = sim(text);
    s.run_until(SimTime::from_secs(36 * 60));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    // Three times for pod b (a fits on workers-1), the same words: one Event, count 3.
    let up: Vec<(String, i32)> = s
        .list(&Kind::Event)
        .iter()
        .filter_map(|o| if let Object::Event(e) = &**o { Some(e.clone()) } else { None })
        .filter(|e| e.reason == "TriggeredScaleUp")
        .map(|e| (format!("{}: {}", e.involved_object.name, e.message), e.count))
        .collect();
    assert_eq!(up, [("b: pod triggered scale-up: [{workers 1->2 (max: 3)}]".to_string(), 3)]);
    assert_eq!(nodes(&s), ["workers-1"]);
}

/// Three nodes with one 100m pod each: every node is under the 0.5 threshold. The
/// planner goes through them in order, each one's pods placed as copies without their
/// node (removal.go findPlaceFor) on nodes not already unneeded: workers-1's pod fits
/// workers-2, workers-2's fits workers-3, and workers-3's has nowhere left, so it stays.
/// Unneeded from the 10 s loop, a node is due strictly after 10 minutes (the 620 s
/// loop); one drain at a time: workers-1 is tainted then, its pod evicted and made
/// again elsewhere, the node deleted; then workers-2. All three pods end on workers-3.
#[test]
fn nodes_with_pods_that_fit_elsewhere_are_drained_and_deleted() {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 20m\n  cluster:\n    nodePools:\n    - {name: workers, count: 3, capacity: {cpu: '2', memory: 8Gi}, autoscaling: {min: 1, max: 5}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx, resources: {requests: {cpu: 100m}}}]\n";
    let mut s = sim(text);
    s.run_until(SimTime::from_secs(20 * 60));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let marked: Vec<(SimTime, String)> =
        events(&s, "ScaleDown").into_iter().filter(|(_, _, m)| m == "marked the node as toBeDeleted/unschedulable").map(|(t, n, _)| (t, n)).collect();
    assert_eq!(marked[0], (SimTime::from_secs(620), "workers-1".to_string()));
    assert_eq!(marked.iter().map(|(_, n)| n.as_str()).collect::<Vec<_>>(), ["workers-1", "workers-2"]);
    assert_eq!(nodes(&s), ["workers-3"]);
    let running: Vec<String> =
        s.list(&Kind::Pod).iter().filter_map(|o| o.as_pod().filter(|p| p.status.phase == "Running").map(|p| p.spec.node_name.to_string())).collect();
    assert_eq!(running, ["workers-3", "workers-3", "workers-3"]);
}

/// Pods that must not share a node (required anti-affinity on the hostname, the classic
/// reason to scale out): 3 replicas, one node with room for all of them by resources.
/// The autoscaler's filters include InterPodAffinity, so filter-out-schedulable does not
/// "place" the two pending ones next to the first, and the binpacking estimator puts one
/// per template copy (each copy its own hostname): 1 → 3. Once the two nodes run their
/// pods, none of the three nodes can be emptied: each pod has nowhere else to go, so the
/// group stays at 3 past the 10-minute unneeded time.
#[test]
fn anti_affine_pods_scale_out_one_node_each_and_keep_their_nodes() {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 20m\n  cluster:\n    nodePools:\n    - {name: workers, count: 1, capacity: {cpu: '4', memory: 8Gi}, autoscaling: {min: 1, max: 5}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      affinity:\n        podAntiAffinity:\n          requiredDuringSchedulingIgnoredDuringExecution:\n          - {labelSelector: {matchLabels: {app: web}}, topologyKey: kubernetes.io/hostname}\n      containers: [{name: web, image: nginx, resources: {requests: {cpu: 100m}}}]\n";
    let mut s = sim(text);
    s.run_until(SimTime::from_secs(20 * 60));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let up: Vec<String> = events(&s, "TriggeredScaleUp").into_iter().map(|(_, _, m)| m).collect();
    assert_eq!(up, ["pod triggered scale-up: [{workers 1->3 (max: 5)}]", "pod triggered scale-up: [{workers 1->3 (max: 5)}]"]);
    assert_eq!(nodes(&s), ["workers-1", "workers-2", "workers-3"]);
    assert!(events(&s, "ScaleDown").is_empty(), "{:?}", events(&s, "ScaleDown"));
    let running = s.list(&Kind::Pod).iter().filter(|o| o.as_pod().is_some_and(|p| p.status.phase == "Running")).count();
    assert_eq!(running, 3);
}
