//! The HorizontalPodAutoscaler end to end, over the usage model and metrics-server: the
//! documentation's walkthrough (tasks/run-application/horizontal-pod-autoscale-
//! walkthrough) and the upstream controller's timing and words (pkg/controller/
//! podautoscaler/horizontal.go v1.32, metrics-server's storage). Expected values come
//! from upstream's code as the comments derive them, not from running ksim.

mod common;

use sim_core::api::{Kind, Object};
use sim_core::engine::{SimDuration, SimTime};
use sim_core::{RunOptions, Simulation};

fn sim(text: &str) -> Simulation {
    let s = common::load_str(text);
    Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap()
}

/// The HPA's Events with their times (first seen), oldest first.
fn hpa_events(s: &Simulation) -> Vec<(SimTime, String, String)> {
    let mut v: Vec<_> = s
        .list(&Kind::Event)
        .iter()
        .filter_map(|o| if let Object::Event(e) = &**o { Some(e.clone()) } else { None })
        .filter(|e| e.involved_object.kind == "HorizontalPodAutoscaler")
        .map(|e| (e.first_timestamp.get().map_or(SimTime::ZERO, |t| t.0), e.reason.to_string(), e.message.to_string()))
        .collect();
    v.sort();
    v
}

fn replicas(s: &Simulation, name: &str) -> i32 {
    s.list(&Kind::Deployment).iter().find_map(|o| o.as_deployment().filter(|d| d.metadata.name == name).map(|d| d.replicas())).unwrap()
}

/// scenarios/hpa-php-apache.yaml: 610m of load on a Deployment of 200m requests, 500m
/// limits, target 50 %, no behavior.
/// - One pod is capped at its 500m limit: 250 %, ratio 5 → 5, but the scale-up limit
///   without behavior is max(2 × 1, 4) = 4 (convertDesiredReplicasWithRules).
/// - Four pods share 610m: 152m each, 76 %, ceil(1.52 × 4) = 7 (within max(8, 4)).
/// - Seven at 87m (+1m idle each): 44 %, ceil(0.88 × 7) = 7: no change.
/// - The load stops at 8m; the recommendation falls to 1, but stabilizeRecommendation
///   keeps the largest of the last 300 s, so the count stays 7 until 5 minutes after the
///   last high recommendation, then `All metrics below target` to 1.
#[test]
fn the_walkthrough_scales_to_seven_and_back_after_the_window() {
    let text = std::fs::read_to_string(common::repo_root().join("scenarios/hpa-php-apache.yaml")).unwrap();
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(16 * 60));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let rescales: Vec<(SimTime, String)> = hpa_events(&s).into_iter().filter(|(_, r, _)| r == "SuccessfulRescale").map(|(t, _, m)| (t, m)).collect();
    let msgs: Vec<&str> = rescales.iter().map(|(_, m)| m.as_str()).collect();
    assert_eq!(
        msgs,
        [
            "New size: 4; reason: cpu resource utilization (percentage of request) above target",
            "New size: 7; reason: cpu resource utilization (percentage of request) above target",
            "New size: 1; reason: All metrics below target",
        ]
    );
    // The next reconcile is queued 15 s after the last one ended (processNextWorkItem's
    // AddRateLimited after reconcileKey returns): one sync period plus the reconcile's own
    // round trips (the metrics list and the scale update, a few ms).
    let gap = rescales[1].0.since(rescales[0].0);
    assert!(gap >= SimDuration::from_secs(15) && gap < SimDuration::from_ms(15_100), "{gap:?}");
    // The load stops at 8m: the scale-down comes no sooner than the 5-minute window
    // after it (the last high recommendation is at or after 8m), and within one more
    // sync period plus the metrics' lag (a 15 s scrape window).
    let down = rescales[2].0;
    assert!(down >= SimTime::from_secs(13 * 60) && down <= SimTime::from_secs(13 * 60 + 45), "{down:?}");
    assert_eq!(replicas(&s, "php-apache"), 1);
}

/// The first reconcile is one sync period after the HPA is added (AddRateLimited with
/// the fixed 15 s interval), and until metrics-server's pod is Ready the aggregated API
/// answers 503: FailedGetResourceMetric with the metrics client's words, and the
/// `invalid metrics (1 invalid out of 1)` wrapper as FailedComputeMetricsReplicas.
/// The status then has the current count and an empty metric entry (`type: ""`).
#[test]
fn before_metrics_server_is_ready_the_hpa_says_why() {
    let text = std::fs::read_to_string(common::repo_root().join("scenarios/hpa-php-apache.yaml")).unwrap();
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(20));
    let evs = hpa_events(&s);
    let first = evs.first().expect("an event by 20 s");
    // 15 s after creation at 0 s, plus the watch and request hops (a few ms).
    assert!(first.0 >= SimTime::from_secs(15) && first.0 < SimTime(15_100), "{evs:?}");
    let inner = "failed to get cpu utilization: unable to get metrics for resource cpu: unable to fetch metrics from resource metrics API: the server is currently unable to handle the request (get pods.metrics.k8s.io)";
    assert!(evs.iter().any(|(_, r, m)| r == "FailedGetResourceMetric" && m == inner), "{evs:?}");
    let wrapped = format!("invalid metrics (1 invalid out of 1), first error is: failed to get cpu resource metric value: {inner}");
    assert!(evs.iter().any(|(_, r, m)| r == "FailedComputeMetricsReplicas" && *m == wrapped), "{evs:?}");
    let h = s.list(&Kind::HorizontalPodAutoscaler).iter().find_map(|o| o.as_hpa().cloned()).unwrap();
    assert_eq!(h.status.current_replicas, 1);
    assert_eq!(h.status.current_metrics.len(), 1);
    assert_eq!(h.status.current_metrics[0].type_, "");
    let active = h.status.conditions.iter().find(|c| c.type_ == "ScalingActive").unwrap();
    assert_eq!((active.status.as_str(), active.reason.as_str()), ("False", "FailedGetResourceMetric"));
    assert_eq!(active.message, format!("the HPA was unable to compute the replica count: {inner}"));
}

/// A behavior's scale-up policy of 1 pod per 60 s: each scale-up adds one, and no two
/// are less than 60 s apart (getReplicasChangePerPeriod counts events strictly within
/// the period, so the next one may come exactly 60 s later, on the 15 s grid).
#[test]
fn a_scale_up_policy_sets_the_pace() {
    let text = std::fs::read_to_string(common::repo_root().join("scenarios/hpa-behavior.yaml")).unwrap();
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(12 * 60));
    let ups: Vec<SimTime> = hpa_events(&s).into_iter().filter(|(_, r, m)| r == "SuccessfulRescale" && m.contains("above target")).map(|(t, _, _)| t).collect();
    assert_eq!(ups.len(), 9, "1 → 10 one pod at a time");
    for w in ups.windows(2) {
        assert!(w[1].since(w[0]) >= SimDuration::from_secs(60), "{ups:?}");
    }
    let h = s.list(&Kind::HorizontalPodAutoscaler).iter().find_map(|o| o.as_hpa().cloned()).unwrap();
    // The behavior given in part was filled in (SetDefaults_HorizontalPodAutoscalerBehavior):
    // the scale-up side keeps its policy and gets window 0 and selectPolicy Max.
    let up = h.spec.behavior.as_ref().unwrap().scale_up.as_ref().unwrap();
    assert_eq!((up.stabilization_window_seconds, up.select_policy.as_deref()), (Some(0), Some("Max")));
    assert_eq!(replicas(&s, "web"), 10);
}

/// autoscaling/v1 (the ReplicaSet page's hpa-rs.yaml): targetCPUUtilizationPercentage
/// becomes a cpu Utilization metric, served as v2. The frontend ReplicaSet's pods request
/// no cpu, so the metric cannot be computed: calculatePodRequests' `missing request for
/// cpu in container nginx of Pod …`, and the count stays at minReplicas' 3.
#[test]
fn a_v1_hpa_on_pods_without_requests() {
    let rs = "apiVersion: apps/v1\nkind: ReplicaSet\nmetadata: {name: frontend, labels: {app: nginx, tier: frontend}}\nspec:\n  replicas: 3\n  selector: {matchLabels: {tier: frontend}}\n  template:\n    metadata: {labels: {tier: frontend}}\n    spec:\n      containers: [{name: nginx, image: nginx}]";
    let hpa = "apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {name: frontend-scaler}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: ReplicaSet, name: frontend}\n  minReplicas: 3\n  maxReplicas: 10\n  targetCPUUtilizationPercentage: 50";
    let text = format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 3m\n  cluster:\n    metricsServer: metrics-server\n---\n{rs}\n---\n{hpa}\n");
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(120));
    let h = s.list(&Kind::HorizontalPodAutoscaler).iter().find_map(|o| o.as_hpa().cloned()).unwrap();
    assert_eq!(h.api_version, "autoscaling/v2");
    let r = h.spec.metrics[0].resource.as_ref().unwrap();
    assert_eq!((r.name.as_str(), r.target.type_.as_str(), r.target.average_utilization), ("cpu", "Utilization", Some(50)));
    let evs = hpa_events(&s);
    assert!(
        evs.iter().any(|(_, r, m)| r == "FailedGetResourceMetric"
            && m.starts_with("failed to get cpu utilization: missing request for cpu in container nginx of Pod frontend-")),
        "{evs:?}"
    );
    let rs = s.list(&Kind::ReplicaSet).iter().find_map(|o| o.as_replica_set().cloned()).unwrap();
    assert_eq!(rs.spec.replicas, Some(3));
}

/// metrics-server's figures lag: a step of load shows in the PodMetrics only at the next
/// scrape, averaged over the window since the previous one (resourceUsage). A pod at
/// 100m that steps to 400m at 1m10s: the scrape at 1m15s (windows [1m, 1m15s]) sees
/// (10 × 100 + 5 × 400) / 15 = 200m, the next one 400m.
#[test]
fn cpu_is_averaged_over_the_scrape_window() {
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata:\n      labels: {app: w}\n      annotations: {ksim.dev/cpu-usage: \"100m\", ksim.dev/cpu-demand: \"0 from 0s; 300m from 70s\", ksim.dev/memory-usage: 10Mi}\n    spec:\n      containers: [{name: w, image: nginx, resources: {requests: {cpu: 500m}}}]";
    let text = format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 2m\n  cluster:\n    metricsServer: metrics-server\n---\n{dep}\n");
    let mut s = sim(&text);
    let cpu = |s: &Simulation| s.pod_metrics(Some("default")).unwrap().iter().find(|m| m.name.starts_with("w-")).map(|m| m.cpu_nano / 1_000_000);
    s.run_until(SimTime(75_001));
    assert_eq!(cpu(&s), Some(200));
    s.run_until(SimTime(90_001));
    assert_eq!(cpu(&s), Some(400));
}

/// A target scaled past maxReplicas by hand is clamped back without consulting the
/// metrics (reconcileAutoscaler's out-of-range branch): `New size: 3; reason: Current
/// number of replicas above Spec.MaxReplicas`. The pods idle (0 % of the default 80 %
/// cpu target), and the recommendations of the last 5 minutes were 2, so the next
/// reconcile goes on to 2 (`All metrics below target`). The invariant checker watches
/// every HPA scale write stay within [min, max].
#[test]
fn a_target_scaled_past_max_is_clamped() {
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec:\n      containers: [{name: w, image: nginx, resources: {requests: {cpu: 100m}}}]";
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: w}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: w}\n  minReplicas: 2\n  maxReplicas: 3";
    let text = format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 3m\n  cluster:\n    metricsServer: metrics-server\n  timeline:\n  - at: 1m\n    scale: {{target: deployment/w, replicas: 6}}\n---\n{dep}\n---\n{hpa}\n");
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(150));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let evs = hpa_events(&s);
    let rescales: Vec<&str> = evs.iter().filter(|(_, r, _)| r == "SuccessfulRescale").map(|(_, _, m)| m.as_str()).collect();
    assert_eq!(rescales, ["New size: 3; reason: Current number of replicas above Spec.MaxReplicas", "New size: 2; reason: All metrics below target"]);
    assert_eq!(replicas(&s, "w"), 2);
}

/// Two HPAs over the same pods: validateAndParseSelector's AmbiguousSelector on both
/// (`pods by selector app=w are controlled by multiple HPAs: [default/a default/b]`), and
/// neither scales. Re-applying an autoscaling/v1 HPA with a new
/// targetCPUUtilizationPercentage replaces its metric (the v1 → v2 conversion on write).
#[test]
fn two_hpas_on_one_target_are_ambiguous_and_a_v1_reapply_converts() {
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\nspec:\n  replicas: 2\n  selector: {matchLabels: {app: w}}\n  template:\n    metadata: {labels: {app: w}}\n    spec:\n      containers: [{name: w, image: nginx, resources: {requests: {cpu: 100m}}}]";
    let hpa = |name: &str, pct: u32| {
        format!("apiVersion: autoscaling/v1\nkind: HorizontalPodAutoscaler\nmetadata: {{name: {name}}}\nspec:\n  scaleTargetRef: {{apiVersion: apps/v1, kind: Deployment, name: w}}\n  minReplicas: 1\n  maxReplicas: 5\n  targetCPUUtilizationPercentage: {pct}")
    };
    let reapply: String = hpa("b", 90).lines().map(|l| format!("      {l}\n")).collect();
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 3m\n  cluster:\n    metricsServer: metrics-server\n  timeline:\n  - at: 1m\n    apply:\n{reapply}---\n{dep}\n---\n{}\n---\n{}\n",
        hpa("a", 50),
        hpa("b", 50)
    );
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(150));
    let evs = hpa_events(&s);
    let msg = "pods by selector app=w are controlled by multiple HPAs: [default/a default/b]";
    assert!(evs.iter().any(|(_, r, m)| r == "AmbiguousSelector" && m == msg), "{evs:?}");
    assert!(!evs.iter().any(|(_, r, _)| r == "SuccessfulRescale"), "{evs:?}");
    assert_eq!(replicas(&s, "w"), 2);
    let b = s.list(&Kind::HorizontalPodAutoscaler).iter().find_map(|o| o.as_hpa().filter(|h| h.metadata.name == "b").cloned()).unwrap();
    assert_eq!(b.spec.metrics[0].resource.as_ref().unwrap().target.average_utilization, Some(90));
}

/// CPU driven by the traffic model (the walkthrough's load generator is a `wget` loop
/// against the Service): 40 requests a second, each costing 5m of CPU time
/// (`ksim.dev/cpu-per-request`), is 200m of work for whoever answers. One pod of a 100m
/// request answers them all: metrics-server serves 200m (+ the idle floor, under 1m),
/// 200 % of the request, 4× the 50 % target: ceil(4 × 1) = 4, within the scale-up limit
/// max(2 × 1, 4) (convertDesiredReplicasWithRules). Four pods then split the same 200m,
/// whatever share each draws: 50m on average, 50 % = the target, no change (a ratio
/// within the 0.1 tolerance). The pods' metrics add up to the 200m the requests cost.
/// The HPA is created at 2m, once the one pod's figure is steady.
/// The next reading may overshoot, as in a real cluster: the old pod's 15 s window still
/// holds the seconds it answered alone while the new pods' (fresh containers: windows
/// from their start) do not, so the sum can pass 220m and the HPA go to 5 once. Five
/// pods at 40 % want 4 (ceil(0.8 × 5)), and the 300 s downscale stabilization keeps 5
/// until five minutes after the last recommendation of 5; 4 then holds.
#[test]
fn traffic_drives_the_cpu_that_the_hpa_scales_on() {
    let dep = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n      labels: {app: web}\n      annotations: {ksim.dev/cpu-per-request: 5m, ksim.dev/memory-usage: 10Mi}\n    spec:\n      containers: [{name: web, image: nginx, resources: {requests: {cpu: 100m}}}]";
    let svc = "apiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]";
    let hpa = "apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: web}\nspec:\n  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: web}\n  minReplicas: 1\n  maxReplicas: 10\n  metrics: [{type: Resource, resource: {name: cpu, target: {type: Utilization, averageUtilization: 50}}}]";
    let later: String = hpa.lines().map(|l| format!("      {l}\n")).collect();
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 10m\n  cluster:\n    metricsServer: metrics-server\n    nodePools: [{{name: node, count: 2, capacity: {{cpu: \"4\", memory: 8Gi}}}}]\n  traffic:\n  - {{name: load, source: {{node: node-1}}, target: service/web:80, rate: 40/s, start: 30s}}\n  timeline:\n  - at: 2m\n    apply:\n{later}---\n{dep}\n---\n{svc}\n"
    );
    let mut s = sim(&text);
    let web_cpu = |s: &Simulation| -> Vec<i64> {
        let mut v: Vec<i64> = s.pod_metrics(Some("default")).unwrap().iter().filter(|m| m.name.starts_with("web-")).map(|m| m.cpu_nano).collect();
        v.sort();
        v
    };
    s.run_until(SimTime::from_secs(90) + SimDuration::from_ms(1));
    let one = web_cpu(&s);
    assert_eq!(one.len(), 1, "{one:?}");
    assert!((200_000_000..201_000_000).contains(&one[0]), "{one:?}");
    s.run_until(SimTime::from_secs(10 * 60));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
    let msgs: Vec<String> = hpa_events(&s).into_iter().filter(|(_, r, _)| r == "SuccessfulRescale").map(|(_, _, m)| m).collect();
    assert_eq!(msgs[0], "New size: 4; reason: cpu resource utilization (percentage of request) above target");
    let up5 = "New size: 5; reason: cpu resource utilization (percentage of request) above target";
    // reconcileAutoscaler: any scale-down's reason is "All metrics below target".
    let down4 = "New size: 4; reason: All metrics below target";
    assert!(msgs.len() == 1 || msgs[1..] == [up5, down4], "{msgs:?}");
    assert_eq!(replicas(&s, "web"), 4);
    let four = web_cpu(&s);
    assert_eq!(four.len(), 4, "{four:?}");
    let total: i64 = four.iter().sum();
    // (each figure rounded down to a nanocore)
    assert!((199_990_000..204_000_000).contains(&total), "{four:?}");
}
