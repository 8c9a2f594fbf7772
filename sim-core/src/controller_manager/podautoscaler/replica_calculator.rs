//! The HPA's replica calculator for resource metrics (pkg/controller/podautoscaler:
//! replica_calculator.go GetResourceReplicas, GetRawResourceReplicas,
//! calcPlainMetricReplicas, groupPods, calculatePodRequests; metrics/utilization.go
//! GetResourceUtilizationRatio, GetMetricUsageRatio), v1.32's: the tolerance test is
//! `|1 − ratio| ≤ 0.1` in f64, so a ratio of exactly 1.1 (55 % against 50 %) scales up.
//! Values are milli-units; a pod's figure is the sum of its containers' MilliValue (the
//! metrics client's, metrics/client.go).

use crate::api::pod::Pod;
use crate::engine::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

/// --horizontal-pod-autoscaler-tolerance.
pub const TOLERANCE: f64 = 0.1;
/// --horizontal-pod-autoscaler-cpu-initialization-period.
pub const CPU_INITIALIZATION_PERIOD: SimDuration = SimDuration::from_secs(300);
/// --horizontal-pod-autoscaler-initial-readiness-delay.
pub const INITIAL_READINESS_DELAY: SimDuration = SimDuration::from_secs(30);

/// One pod's figure as the metrics client returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PodMetric {
    pub timestamp: SimTime,
    pub window: SimDuration,
    /// Milli-units.
    pub value: i64,
}

pub type PodMetricsInfo = BTreeMap<String, PodMetric>;

/// groupPods: (ready count, unready, missing, ignored), by the rules in upstream's order.
pub fn group_pods(pods: &[&Pod], metrics: &PodMetricsInfo, cpu: bool, now: SimTime) -> (usize, BTreeSet<String>, BTreeSet<String>, BTreeSet<String>) {
    let (mut ready, mut unready, mut missing, mut ignored) = (0, BTreeSet::new(), BTreeSet::new(), BTreeSet::new());
    for p in pods {
        let name = p.metadata.name.to_string();
        if p.metadata.rare.deletion_timestamp.is_some() || p.status.phase == "Failed" {
            ignored.insert(name);
            continue;
        }
        if p.status.phase == "Pending" {
            unready.insert(name);
            continue;
        }
        let Some(metric) = metrics.get(name.as_str()) else {
            missing.insert(name);
            continue;
        };
        if cpu {
            let condition = p.status.conditions.iter().find(|c| c.type_ == "Ready");
            let is_unready = match (condition, p.status.start_time.get()) {
                (Some(c), Some(start)) => {
                    let transition = c.last_transition_time.get().map_or(SimTime::ZERO, |t| t.0);
                    if start.0 + CPU_INITIALIZATION_PERIOD > now {
                        c.status == "False" || metric.timestamp < transition + metric.window
                    } else {
                        c.status == "False" && start.0 + INITIAL_READINESS_DELAY > transition
                    }
                }
                _ => true,
            };
            if is_unready {
                unready.insert(name);
                continue;
            }
        }
        ready += 1;
    }
    (ready, unready, missing, ignored)
}

/// calculatePodRequests: each pod's request of the resource, summed over its containers
/// and restartable init containers (milli-units); a container without one is an error.
pub fn pod_requests(pods: &[&Pod], resource: &str, container: Option<&str>) -> Result<BTreeMap<String, i64>, String> {
    let mut out = BTreeMap::new();
    for p in pods {
        let mut sum = 0i64;
        let sidecars = p.spec.init_containers.iter().filter(|c| c.restart_policy.as_deref() == Some("Always"));
        for c in p.spec.containers.iter().chain(sidecars) {
            if container.is_none_or(|n| n == c.name) {
                match c.resources.requests.get(resource) {
                    Some(q) => sum = sum.saturating_add(q.milli_value()),
                    None => return Err(format!("missing request for {resource} in container {} of Pod {}", c.name, p.metadata.name)),
                }
            }
        }
        out.insert(p.metadata.name.to_string(), sum);
    }
    Ok(out)
}

/// GetResourceUtilizationRatio: (ratio, utilization %, raw average).
pub fn utilization_ratio(metrics: &PodMetricsInfo, requests: &BTreeMap<String, i64>, target: i32) -> Result<(f64, i32, i64), String> {
    let (mut total, mut requested, mut n) = (0i64, 0i64, 0i64);
    for (name, m) in metrics {
        let Some(r) = requests.get(name) else { continue };
        total = total.saturating_add(m.value);
        requested = requested.saturating_add(*r);
        n += 1;
    }
    if requested == 0 {
        return Err("no metrics returned matched known pods".into());
    }
    let utilization = (total.saturating_mul(100) / requested) as i32;
    Ok((utilization as f64 / target as f64, utilization, total / n))
}

fn within_tolerance(ratio: f64) -> bool {
    (1.0 - ratio).abs() <= TOLERANCE
}

/// What a resource metric proposes: replicas, and the status values (utilization % for
/// a Utilization target, the raw average in milli-units).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Proposal {
    pub replicas: i32,
    pub utilization: i32,
    pub raw: i64,
}

/// The decision GetResourceReplicas and calcPlainMetricReplicas share once the ready
/// pods' ratio is known: within tolerance the count stays; otherwise, with missing pods
/// (filled with `fill_down`'s value on a scale-down, 0 on a scale-up) or unready pods on
/// a scale-up (0), the ratio is computed again, and the count stays if that is within
/// tolerance or turns the direction.
#[allow(clippy::too_many_arguments)]
fn decide(
    current: i32,
    ready: usize,
    unready: &BTreeSet<String>,
    missing: &BTreeSet<String>,
    mut metrics: PodMetricsInfo,
    ratio: f64,
    fill_down: &dyn Fn(&str) -> i64,
    ratio_of: &dyn Fn(&PodMetricsInfo) -> Result<f64, String>,
    now: SimTime,
) -> Result<i32, String> {
    let scale_up_with_unready = !unready.is_empty() && ratio > 1.0;
    if !scale_up_with_unready && missing.is_empty() {
        if within_tolerance(ratio) {
            return Ok(current);
        }
        return Ok((ratio * ready as f64).ceil() as i32);
    }
    let mut fill = |names: &BTreeSet<String>, value: &dyn Fn(&str) -> i64| {
        for n in names {
            metrics.insert(n.clone(), PodMetric { timestamp: now, window: SimDuration::ZERO, value: value(n) });
        }
    };
    if ratio < 1.0 {
        fill(missing, fill_down);
    } else if ratio > 1.0 {
        fill(missing, &|_| 0);
    }
    if scale_up_with_unready {
        fill(unready, &|_| 0);
    }
    let new_ratio = ratio_of(&metrics)?;
    if within_tolerance(new_ratio) || (ratio < 1.0 && new_ratio > 1.0) || (ratio > 1.0 && new_ratio < 1.0) {
        return Ok(current);
    }
    let replicas = (new_ratio * metrics.len() as f64).ceil() as i32;
    if (new_ratio < 1.0 && replicas > current) || (new_ratio > 1.0 && replicas < current) {
        return Ok(current);
    }
    Ok(replicas)
}

/// groupPods and removeMetricsForPods: (ready count, unready, missing, the metrics left).
fn ready_metrics(
    pods: &[&Pod],
    mut metrics: PodMetricsInfo,
    resource: &str,
    now: SimTime,
) -> Result<(usize, BTreeSet<String>, BTreeSet<String>, PodMetricsInfo), String> {
    if pods.is_empty() {
        return Err("no pods returned by selector while calculating replica count".into());
    }
    let (ready, unready, missing, ignored) = group_pods(pods, &metrics, resource == "cpu", now);
    for n in ignored.iter().chain(unready.iter()) {
        metrics.remove(n);
    }
    if metrics.is_empty() {
        return Err("did not receive metrics for targeted pods (pods might be unready)".into());
    }
    Ok((ready, unready, missing, metrics))
}

/// GetResourceReplicas (a Utilization target). `metrics` are the pods' figures from the
/// metrics API (an empty map is the metrics client's "no metrics returned").
pub fn resource_replicas(
    current: i32,
    target: i32,
    resource: &str,
    container: Option<&str>,
    pods: &[&Pod],
    metrics: PodMetricsInfo,
    now: SimTime,
) -> Result<Proposal, String> {
    let (ready, unready, missing, metrics) = ready_metrics(pods, metrics, resource, now)?;
    let requests = pod_requests(pods, resource, container)?;
    let (ratio, utilization, raw) = utilization_ratio(&metrics, &requests, target)?;
    // On a scale-down a missing pod counts as using 100 % of its request (or the target,
    // above 100 %).
    let fallback = i64::from(target.max(100));
    let fill_down = |n: &str| requests.get(n).copied().unwrap_or(0) * fallback / 100;
    let ratio_of = |m: &PodMetricsInfo| utilization_ratio(m, &requests, target).map(|r| r.0);
    let replicas = decide(current, ready, &unready, &missing, metrics, ratio, &fill_down, &ratio_of, now)?;
    Ok(Proposal { replicas, utilization, raw })
}

/// GetRawResourceReplicas → calcPlainMetricReplicas (an AverageValue target, milli-units).
pub fn raw_resource_replicas(current: i32, target: i64, resource: &str, pods: &[&Pod], metrics: PodMetricsInfo, now: SimTime) -> Result<Proposal, String> {
    let (ready, unready, missing, metrics) = ready_metrics(pods, metrics, resource, now)?;
    // GetMetricUsageRatio: the truncated mean over the target.
    let usage_of = |m: &PodMetricsInfo| m.values().map(|p| p.value).fold(0i64, i64::saturating_add) / m.len().max(1) as i64;
    let usage = usage_of(&metrics);
    let ratio = usage as f64 / target as f64;
    // On a scale-down a missing pod counts as using exactly the target.
    let ratio_of = |m: &PodMetricsInfo| Ok(usage_of(m) as f64 / target as f64);
    let replicas = decide(current, ready, &unready, &missing, metrics, ratio, &|_| target, &ratio_of, now)?;
    Ok(Proposal { replicas, utilization: 0, raw: usage })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::Time;
    use crate::api::pod::PodCondition;

    /// A Running pod requesting `request` millicores, started at `start`, Ready since
    /// `ready_since` (or not ready, False, since then).
    fn pod(name: &str, request: i64, start: u64, ready: bool, since: u64) -> Pod {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"containers": [{"name": "c", "image": "i", "resources": {"requests": {"cpu": format!("{request}m")}}}]}
        }))
        .unwrap();
        p.status.phase = "Running".into();
        p.status.start_time = Time(SimTime(start)).into();
        p.status.conditions.push(PodCondition {
            type_: "Ready".into(),
            status: if ready { "True" } else { "False" }.into(),
            last_transition_time: Time(SimTime(since)).into(),
            ..Default::default()
        });
        p
    }

    fn metrics(values: &[(&str, i64)], at: u64) -> PodMetricsInfo {
        values.iter().map(|(n, v)| (n.to_string(), PodMetric { timestamp: SimTime(at), window: SimDuration::from_secs(15), value: *v })).collect()
    }

    const LATE: u64 = 3_600_000; // an hour in: past every initialization period

    /// replica_calculator_test.go TestReplicaCalcScaleUp: 3 pods requesting 1.0 CPU using
    /// 300m, 500m, 700m against a 30 % target → 5 replicas at 50 %.
    #[test]
    fn scale_up() {
        let ps: Vec<Pod> = (0..3).map(|i| pod(&format!("test-pod-{i}"), 1000, 0, true, 1000)).collect();
        let refs: Vec<&Pod> = ps.iter().collect();
        let m = metrics(&[("test-pod-0", 300), ("test-pod-1", 500), ("test-pod-2", 700)], LATE);
        let p = resource_replicas(3, 30, "cpu", None, &refs, m, SimTime(LATE)).unwrap();
        assert_eq!((p.replicas, p.utilization, p.raw), (5, 50, 500));
    }

    /// TestReplicaCalcScaleDown: 5 pods of 1.0 CPU using 100, 300, 500, 250, 250 against
    /// 50 % → 3 replicas at 28 %, raw 280 (per container; upstream's pods have two).
    #[test]
    fn scale_down() {
        let ps: Vec<Pod> = (0..5).map(|i| pod(&format!("test-pod-{i}"), 1000, 0, true, 1000)).collect();
        let refs: Vec<&Pod> = ps.iter().collect();
        let m = metrics(&[("test-pod-0", 100), ("test-pod-1", 300), ("test-pod-2", 500), ("test-pod-3", 250), ("test-pod-4", 250)], LATE);
        let p = resource_replicas(5, 50, "cpu", None, &refs, m, SimTime(LATE)).unwrap();
        assert_eq!((p.replicas, p.utilization, p.raw), (3, 28, 280));
    }

    /// TestReplicaCalcTolerance: requests 0.9, 1.0, 1.1 using 1010, 1030, 1020 against
    /// 100 % → 102 %, within tolerance: 3 stays, raw 1020.
    #[test]
    fn upstream_tolerance_case() {
        let ps = [pod("p0", 900, 0, true, 1000), pod("p1", 1000, 0, true, 1000), pod("p2", 1100, 0, true, 1000)];
        let refs: Vec<&Pod> = ps.iter().collect();
        let p = resource_replicas(3, 100, "cpu", None, &refs, metrics(&[("p0", 1010), ("p1", 1030), ("p2", 1020)], LATE), SimTime(LATE)).unwrap();
        assert_eq!((p.replicas, p.utilization, p.raw), (3, 102, 1020));
    }

    /// TestReplicaCalcScaleUpUnreadyLessScale: the first of 3 pods unready, the others at
    /// 500m and 700m of 1.0 against 30 % → 4 replicas at 60 %, raw 600.
    #[test]
    fn upstream_unready_less_scale() {
        let ps = [pod("p0", 1000, 0, false, 0), pod("p1", 1000, 0, true, 1000), pod("p2", 1000, 0, true, 1000)];
        let refs: Vec<&Pod> = ps.iter().collect();
        let p = resource_replicas(3, 30, "cpu", None, &refs, metrics(&[("p0", 300), ("p1", 500), ("p2", 700)], LATE), SimTime(LATE)).unwrap();
        assert_eq!((p.replicas, p.utilization, p.raw), (4, 60, 600));
    }

    /// TestReplicaCalcMissingMetrics: 4 pods of 1.0, figures for two (400, 95) against
    /// 100 % → 3 replicas, 24 % reported.
    #[test]
    fn upstream_missing_metrics() {
        let ps: Vec<Pod> = (0..4).map(|i| pod(&format!("p{i}"), 1000, 0, true, 1000)).collect();
        let refs: Vec<&Pod> = ps.iter().collect();
        let p = resource_replicas(4, 100, "cpu", None, &refs, metrics(&[("p0", 400), ("p1", 95)], LATE), SimTime(LATE)).unwrap();
        assert_eq!((p.replicas, p.utilization), (3, 24));
    }

    /// The tolerance test is v1.32's f64 `|1 − ratio| ≤ 0.1`: within 10 % the count stays,
    /// and exactly 1.1 (55 % of 50 %) is outside (|1 − 1.1| = 0.10000000000000009).
    #[test]
    fn tolerance() {
        let ps = [pod("a", 1000, 0, true, 1000)];
        let refs: Vec<&Pod> = ps.iter().collect();
        let p = resource_replicas(1, 50, "cpu", None, &refs, metrics(&[("a", 520)], LATE), SimTime(LATE)).unwrap();
        assert_eq!(p.replicas, 1, "52 % of a 50 % target is within tolerance");
        let p = resource_replicas(1, 50, "cpu", None, &refs, metrics(&[("a", 550)], LATE), SimTime(LATE)).unwrap();
        assert_eq!(p.replicas, 2, "55 % of 50 % scales up in v1.32");
        let p = resource_replicas(1, 50, "cpu", None, &refs, metrics(&[("a", 450)], LATE), SimTime(LATE)).unwrap();
        assert_eq!(p.replicas, 1, "45 % of 50 % stays");
    }

    /// The walkthrough's second step (the digest's worked numbers, from the code above):
    /// one ready pod of 200m at 610m and three Pending pods, target 50 %: the unready
    /// count as 0 on a scale-up, 61000/800 = 76 %, ratio 1.52, ceil(1.52 × 4) = 7; the
    /// status keeps the ready pods' 305 %.
    #[test]
    fn unready_pods_count_as_zero_on_a_scale_up() {
        let mut ps = vec![pod("ready", 200, 0, true, 1000)];
        for i in 0..3 {
            let mut p = pod(&format!("pending-{i}"), 200, 0, false, 0);
            p.status.phase = "Pending".into();
            ps.push(p);
        }
        let refs: Vec<&Pod> = ps.iter().collect();
        let p = resource_replicas(4, 50, "cpu", None, &refs, metrics(&[("ready", 610)], LATE), SimTime(LATE)).unwrap();
        assert_eq!((p.replicas, p.utilization, p.raw), (7, 305, 610));
    }

    /// TestReplicaCalcScaleDownIncludeUnreadyPods-like rules: missing pods count as 100 %
    /// of their request on a scale-down; a pod within its cpu initialization period whose
    /// sample began before it turned Ready is unready.
    #[test]
    fn missing_and_initializing_pods() {
        let ps = [pod("a", 1000, 0, true, 1000), pod("b", 1000, 0, true, 1000)];
        let refs: Vec<&Pod> = ps.iter().collect();
        // a at 10 %, b missing: 10 % → scale down; b as 100 %: (100 + 1000)/2000 = 55 %
        // → ratio 1.1 against 50 %: the direction reverses, so the count stays.
        let p = resource_replicas(2, 50, "cpu", None, &refs, metrics(&[("a", 100)], LATE), SimTime(LATE)).unwrap();
        assert_eq!(p.replicas, 2);
        // Started 60 s ago, Ready 10 s ago, a 15 s sample ending now began before it was
        // Ready: unready, so its metric is set aside.
        let ps = [pod("c", 1000, 0, true, 50_000)];
        let refs: Vec<&Pod> = ps.iter().collect();
        let e = resource_replicas(1, 50, "cpu", None, &refs, metrics(&[("c", 900)], 60_000), SimTime(60_000)).unwrap_err();
        assert_eq!(e, "did not receive metrics for targeted pods (pods might be unready)");
    }

    #[test]
    fn a_container_without_a_request_fails_the_metric() {
        let mut p = pod("a", 1000, 0, true, 1000);
        std::rc::Rc::make_mut(&mut std::rc::Rc::make_mut(&mut p.spec).containers)[0].resources.requests.clear();
        let e = resource_replicas(1, 50, "cpu", None, &[&p], metrics(&[("a", 1)], LATE), SimTime(LATE)).unwrap_err();
        assert_eq!(e, "missing request for cpu in container c of Pod a");
    }

    /// calcPlainMetricReplicas for an AverageValue target: 3 pods averaging 300m against
    /// 100m → ceil(3 × 3) = 9.
    #[test]
    fn average_value() {
        let ps: Vec<Pod> = (0..3).map(|i| pod(&format!("p{i}"), 100, 0, true, 1000)).collect();
        let refs: Vec<&Pod> = ps.iter().collect();
        let p = raw_resource_replicas(3, 100, "cpu", &refs, metrics(&[("p0", 200), ("p1", 300), ("p2", 400)], LATE), SimTime(LATE)).unwrap();
        assert_eq!((p.replicas, p.raw), (9, 300));
    }
}
