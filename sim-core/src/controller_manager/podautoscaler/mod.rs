//! The HorizontalPodAutoscaler controller (pkg/controller/podautoscaler/horizontal.go,
//! v1.32): every HPA reconciled one sync period (15 s) after it is added or updated and
//! again 15 s after each reconcile (the FixedItemIntervalRateLimiter's AddRateLimited);
//! reconcileAutoscaler reads the target's scale, asks the resource metrics API for the
//! pods' figures (through the aggregation layer: `Request::PodMetrics`, answered by
//! metrics-server), computes each metric's proposal with the replica calculator
//! (replica_calculator.rs; several metrics: the largest, computeReplicasForMetrics), and
//! normalizes it — without `behavior`: the 5-minute downscale stabilization
//! (stabilizeRecommendation) and the scale-up limit max(2 × current, 4)
//! (convertDesiredReplicasWithRules); with it: stabilizeRecommendationWithBehaviors and
//! the policies over their periods (convertDesiredReplicasWithBehaviorRate) — then
//! updates the scale subresource (`SuccessfulRescale`, `New size: 4; reason: cpu resource
//! utilization (percentage of request) above target`) and the status (currentReplicas,
//! desiredReplicas, lastScaleTime, currentMetrics, the AbleToScale, ScalingActive and
//! ScalingLimited conditions) when it changed (updateStatusIfNeeded).
//!
//! Differences: the scale is read from the informer cache rather than a GET of
//! `/scale`; Pods, Object and External metrics need a custom or external metrics adapter,
//! which no ksim cluster runs: they fail as metrics nobody serves
//! (`FailedGetPodsMetric`…, with ksim's words: "no custom metrics API
//! (custom.metrics.k8s.io) registered"). The controller's memory (recommendations, scale
//! events) is lost when kube-controller-manager restarts, as upstream's.

pub mod replica_calculator;

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, NsName, Synced};
use crate::api::horizontal_pod_autoscaler::{
    HorizontalPodAutoscaler, HorizontalPodAutoscalerCondition, MetricStatus, MetricValueStatus, ResourceMetricStatus, ScalingRules,
};
use crate::api::meta::{LabelSelector, Time};
use crate::api::pod::Pod;
use crate::api::quantity::Quantity;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use replica_calculator::{PodMetric, PodMetricsInfo};
use std::collections::{BTreeMap, VecDeque};

/// --horizontal-pod-autoscaler-sync-period.
pub const SYNC_PERIOD: SimDuration = SimDuration::from_secs(15);
/// --horizontal-pod-autoscaler-downscale-stabilization.
pub const DOWNSCALE_STABILIZATION: SimDuration = SimDuration::from_secs(300);
const SCALE_UP_LIMIT_FACTOR: f64 = 2.0;
const SCALE_UP_LIMIT_MINIMUM: f64 = 4.0;

/// A scale event kept for the behavior policies (timestampedScaleEvent).
#[derive(Clone, Copy, Debug)]
struct ScaleEvent {
    change: i32,
    at: SimTime,
    outdated: bool,
}

/// A reconcile waiting for an answer.
struct Pending {
    key: NsName,
    hpa: HorizontalPodAutoscaler,
    original: crate::api::horizontal_pod_autoscaler::HorizontalPodAutoscalerStatus,
    /// The target's kind (its scale's resource) and spec.replicas.
    target: Kind,
    current: i32,
    min: i32,
    /// Once the metrics are in: the desired count, the reason and the metric statuses.
    desired: i32,
    reason: String,
    statuses: Vec<MetricStatus>,
}

pub struct HorizontalController {
    queue: WorkQueue<NsName>,
    recommendations: BTreeMap<NsName, Vec<(i32, SimTime)>>,
    scale_up_events: BTreeMap<NsName, Vec<ScaleEvent>>,
    scale_down_events: BTreeMap<NsName, Vec<ScaleEvent>>,
    /// Reconciles waiting for their PodMetrics list, in the order asked.
    awaiting_metrics: VecDeque<Pending>,
    /// Reconciles waiting for their scale update, with their target, in the order sent
    /// (two HPAs may scale one target).
    awaiting_scale: VecDeque<(ObjectKey, Pending)>,
}

impl Default for HorizontalController {
    fn default() -> Self {
        HorizontalController {
            queue: WorkQueue::new(Order::Fifo),
            recommendations: BTreeMap::new(),
            scale_up_events: BTreeMap::new(),
            scale_down_events: BTreeMap::new(),
            awaiting_metrics: VecDeque::new(),
            awaiting_scale: VecDeque::new(),
        }
    }
}

/// setConditionInList: replace or append; the transition time moves only with the status.
fn set_condition(h: &mut HorizontalPodAutoscaler, type_: &str, status: bool, reason: &str, message: String, now: SimTime) {
    let status = if status { "True" } else { "False" };
    let list = &mut h.status.conditions;
    let i = match list.iter().position(|c| c.type_ == type_) {
        Some(i) => i,
        None => {
            list.push(HorizontalPodAutoscalerCondition { type_: type_.into(), ..Default::default() });
            list.len() - 1
        }
    };
    let c = &mut list[i];
    if c.status != status {
        c.last_transition_time = Some(Time(now));
    }
    c.status = status.into();
    c.reason = reason.into();
    c.message = message;
}

/// The target's scale: (spec.replicas, the pod selector), or the GET's error.
fn scale_of(inf: &SharedInformers, h: &HorizontalPodAutoscaler) -> Result<(Kind, i32, Option<LabelSelector>), String> {
    let r = &h.spec.scale_target_ref;
    let group = r.api_version.split_once('/').map_or("", |(g, _)| g);
    let kind = match (group, r.kind.as_str()) {
        ("apps", "Deployment") => Kind::Deployment,
        ("apps", "ReplicaSet") => Kind::ReplicaSet,
        ("apps", "StatefulSet") => Kind::StatefulSet,
        ("", "ReplicationController") => Kind::ReplicationController,
        (g, k) => return Err(format!("no matches for kind {k:?} in group {g:?}")),
    };
    let ns = &h.metadata.namespace;
    let Some(o) = inf.get(&kind, ns, &r.name) else {
        return Err(format!("{} {:?} not found", crate::apiserver::qualified_resource(&kind), r.name));
    };
    Ok(match &**o {
        Object::Deployment(d) => (kind, d.replicas(), d.spec.selector.clone()),
        Object::ReplicaSet(rs) => (kind, rs.spec.replicas.unwrap_or(1), rs.spec.selector.clone()),
        Object::StatefulSet(s) => (kind, s.spec.replicas.unwrap_or(1), s.spec.selector.clone()),
        Object::ReplicationController(rc) => {
            let sel = (!rc.spec.selector.is_empty()).then(|| LabelSelector { match_labels: rc.spec.selector.clone(), ..Default::default() });
            (kind, rc.spec.replicas.unwrap_or(1), sel)
        }
        _ => unreachable!("a scalable kind"),
    })
}

/// The resource names ksim's metrics pipeline serves.
fn resource_metric(
    m: &crate::api::horizontal_pod_autoscaler::MetricSpec,
) -> Option<(&str, Option<&str>, &crate::api::horizontal_pod_autoscaler::MetricTarget)> {
    match m.type_.as_str() {
        "Resource" => m.resource.as_ref().map(|r| (r.name.as_str(), None, &r.target)),
        "ContainerResource" => m.container_resource.as_ref().map(|r| (r.name.as_str(), Some(r.container.as_str()), &r.target)),
        _ => None,
    }
}

impl HorizontalController {
    fn finish(&mut self, p: Pending, ctx: &mut ControllerCtx) {
        // updateStatusIfNeeded.
        if p.hpa.status != p.original {
            ctx.request(Request::UpdateStatus(Object::HorizontalPodAutoscaler(Box::new(p.hpa))));
        }
        self.queue.done(&p.key);
        ctx.requeue_after(&mut self.queue, p.key, SYNC_PERIOD);
    }

    /// setStatus: the status rebuilt (observedGeneration is not kept).
    fn set_status(h: &mut HorizontalPodAutoscaler, current: i32, desired: i32, statuses: Vec<MetricStatus>, rescaled: bool, now: SimTime) {
        let s = &mut h.status;
        s.observed_generation = None;
        s.current_replicas = current;
        s.desired_replicas = desired;
        s.current_metrics = statuses;
        if rescaled {
            s.last_scale_time = Some(Time(now));
        }
    }

    /// computeReplicasForMetrics over the PodMetrics answer (Err: the list failed).
    fn compute(
        &mut self,
        p: &mut Pending,
        inf: &SharedInformers,
        answer: Result<&[crate::metrics_server::PodMetrics], String>,
        ctx: &mut ControllerCtx,
    ) -> Result<i32, ()> {
        let now = ctx.now();
        let hpa_obj = Object::HorizontalPodAutoscaler(Box::new(p.hpa.clone()));
        let Ok((_, _, selector)) = scale_of(inf, &p.hpa) else { return Err(()) };
        // validateAndParseSelector.
        let Some(selector) = selector.filter(|s| !s.is_empty()) else {
            ctx.event(&hpa_obj, "Warning", "SelectorRequired", "selector is required");
            set_condition(&mut p.hpa, "ScalingActive", false, "InvalidSelector", "the HPA target's scale is missing a selector".into(), now);
            ctx.event(&hpa_obj, "Warning", "FailedComputeMetricsReplicas", "selector is required");
            return Err(());
        };
        // hpasControllingPodsUnderSelector: the HPAs of the namespace whose target's
        // selector picks any of these pods (upstream registers an HPA's selector at its
        // first reconcile; ksim reads every HPA's target from the cache).
        let ns_pods: Vec<&Pod> =
            inf.list_ns(&Kind::Pod, &p.hpa.metadata.namespace).filter_map(|o| o.as_pod()).filter(|q| selector.matches(&q.metadata.labels)).collect();
        let selecting: Vec<String> = inf
            .list_ns(&Kind::HorizontalPodAutoscaler, &p.hpa.metadata.namespace)
            .filter_map(|o| o.as_hpa())
            .filter(|other| {
                let Ok((_, _, Some(sel))) = scale_of(inf, other) else { return false };
                !sel.is_empty() && ns_pods.iter().any(|q| sel.matches(&q.metadata.labels))
            })
            .map(|other| format!("{}/{}", other.metadata.namespace, other.metadata.name))
            .collect();
        if selecting.len() > 1 {
            let msg = format!("pods by selector {} are controlled by multiple HPAs: [{}]", selector.to_selector_string(), selecting.join(" "));
            ctx.event(&hpa_obj, "Warning", "AmbiguousSelector", &msg);
            set_condition(&mut p.hpa, "ScalingActive", false, "AmbiguousSelector", msg.clone(), now);
            ctx.event(&hpa_obj, "Warning", "FailedComputeMetricsReplicas", &msg);
            return Err(());
        }
        let ns = p.hpa.metadata.namespace.to_string();
        let pods: Vec<&Pod> = inf.list_ns(&Kind::Pod, &ns).filter_map(|o| o.as_pod()).filter(|q| selector.matches(&q.metadata.labels)).collect();
        let specs = p.hpa.spec.metrics.clone();
        let mut statuses = vec![MetricStatus::default(); specs.len()];
        let (mut replicas, mut metric_name) = (0i32, String::new());
        let mut invalid = 0usize;
        let mut first: Option<(String, String)> = None; // (condition reason, its message)
        let mut first_err = String::new();
        for (i, spec) in specs.iter().enumerate() {
            let result: Result<(i32, String, MetricStatus), (String, String)> = match resource_metric(spec) {
                Some((resource, container, target)) => {
                    let reason = if container.is_some() { "FailedGetContainerResourceMetric" } else { "FailedGetResourceMetric" };
                    // The metrics client: pods matching the selector, each the sum of its
                    // containers' MilliValue (one container in ksim).
                    let values: Result<PodMetricsInfo, String> = match &answer {
                        Err(e) => Err(format!("unable to get metrics for resource {resource}: unable to fetch metrics from resource metrics API: {e}")),
                        Ok(list) => {
                            let m: PodMetricsInfo = list
                                .iter()
                                .filter(|m| pods.iter().any(|q| q.metadata.name == m.name))
                                .filter(|m| container.is_none_or(|c| c == m.container))
                                .map(|m| {
                                    let value = if resource == "cpu" {
                                        (m.cpu_nano as i128 + 999_999).div_euclid(1_000_000) as i64
                                    } else {
                                        m.memory.saturating_mul(1000)
                                    };
                                    (m.name.clone(), PodMetric { timestamp: m.timestamp, window: m.window, value })
                                })
                                .collect();
                            if m.is_empty() {
                                Err(format!("unable to get metrics for resource {resource}: no metrics returned from resource metrics API"))
                            } else {
                                Ok(m)
                            }
                        }
                    };
                    let (what, prefix) = match container {
                        Some(c) => (format!("{resource} container resource"), format!("failed to get {c} container metric value")),
                        None => (format!("{resource} resource"), format!("failed to get {resource} resource metric value")),
                    };
                    if let Some(avg) = &target.average_value {
                        match values.and_then(|m| replica_calculator::raw_resource_replicas(p.current, avg.milli_value(), resource, &pods, m, now)) {
                            Ok(prop) => {
                                let current = MetricValueStatus { average_value: Some(Quantity::from_milli(prop.raw)), ..Default::default() };
                                Ok((prop.replicas, what, status_for(spec, resource, container, current)))
                            }
                            Err(e) => Err((reason.to_string(), format!("{prefix}: failed to get {resource} usage: {e}"))),
                        }
                    } else if let Some(t) = target.average_utilization {
                        match values.and_then(|m| replica_calculator::resource_replicas(p.current, t, resource, container, &pods, m, now)) {
                            Ok(prop) => {
                                let current = MetricValueStatus {
                                    average_utilization: Some(prop.utilization),
                                    average_value: Some(Quantity::from_milli(prop.raw)),
                                    ..Default::default()
                                };
                                Ok((prop.replicas, format!("{what} utilization (percentage of request)"), status_for(spec, resource, container, current)))
                            }
                            Err(e) => Err((reason.to_string(), format!("{prefix}: failed to get {resource} utilization: {e}"))),
                        }
                    } else {
                        Err((
                            reason.to_string(),
                            format!(
                                "{prefix}: invalid resource metric source: neither an average utilization target nor an average value (usage) target was set"
                            ),
                        ))
                    }
                }
                None => {
                    let (reason, what) = match spec.type_.as_str() {
                        "Pods" => ("FailedGetPodsMetric", "failed to get pods metric value"),
                        "Object" => ("FailedGetObjectMetric", "failed to get object metric value"),
                        _ => ("FailedGetExternalMetric", "failed to get external metric value"),
                    };
                    let api = if spec.type_ == "External" {
                        "no external metrics API (external.metrics.k8s.io) registered"
                    } else {
                        "no custom metrics API (custom.metrics.k8s.io) registered"
                    };
                    Err((reason.to_string(), format!("{what}: {api}")))
                }
            };
            match result {
                Ok((proposal, name, status)) => {
                    statuses[i] = status;
                    if replicas == 0 || proposal > replicas {
                        replicas = proposal;
                        metric_name = name;
                    }
                }
                Err((reason, e)) => {
                    // getUnableComputeReplicaCountCondition: an Event every reconcile. The
                    // event carries the inner error (the one before the per-type prefix).
                    let inner = e.split_once(": ").map_or(e.as_str(), |(_, rest)| rest).to_string();
                    ctx.event(&hpa_obj, "Warning", reason.clone(), &inner);
                    if first.is_none() {
                        first = Some((reason, format!("the HPA was unable to compute the replica count: {inner}")));
                        first_err = e.clone();
                    }
                    invalid += 1;
                }
            }
        }
        p.statuses = statuses;
        if invalid >= specs.len() || (invalid > 0 && replicas < p.current) {
            let (reason, message) = first.unwrap_or_default();
            set_condition(&mut p.hpa, "ScalingActive", false, &reason, message, now);
            let err = format!("invalid metrics ({invalid} invalid out of {}), first error is: {first_err}", specs.len());
            ctx.event(&hpa_obj, "Warning", "FailedComputeMetricsReplicas", &err);
            return Err(());
        }
        set_condition(
            &mut p.hpa,
            "ScalingActive",
            true,
            "ValidMetricFound",
            format!("the HPA was able to successfully calculate a replica count from {metric_name}"),
            now,
        );
        p.reason = metric_name;
        Ok(replicas)
    }

    /// stabilizeRecommendation (no behavior): the largest recommendation of the window.
    fn stabilize(&mut self, key: &NsName, desired: i32, now: SimTime) -> i32 {
        let recs = self.recommendations.entry(key.clone()).or_default();
        // Times compared as t ± window against now (before the run's start, a cutoff
        // would be negative).
        let mut max = desired;
        let mut old = None;
        for (i, (r, t)) in recs.iter().enumerate() {
            if *t + DOWNSCALE_STABILIZATION < now {
                old = Some(i);
            } else if *r > max {
                max = *r;
            }
        }
        match old {
            Some(i) => recs[i] = (desired, now),
            None => recs.push((desired, now)),
        }
        max
    }

    /// normalizeDesiredReplicas.
    fn normalize(&mut self, p: &mut Pending, desired: i32, now: SimTime) -> i32 {
        let stabilized = self.stabilize(&p.key, desired, now);
        if stabilized != desired {
            set_condition(
                &mut p.hpa,
                "AbleToScale",
                true,
                "ScaleDownStabilized",
                "recent recommendations were higher than current one, applying the highest recent recommendation".into(),
                now,
            );
        } else {
            set_condition(&mut p.hpa, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size".into(), now);
        }
        // convertDesiredReplicasWithRules.
        let max = p.hpa.spec.max_replicas;
        let limit = (SCALE_UP_LIMIT_FACTOR * p.current as f64).max(SCALE_UP_LIMIT_MINIMUM) as i32;
        let (max_allowed, cond, msg) = if max > limit {
            (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
        } else {
            (max, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
        };
        let (out, cond, msg) = if stabilized < p.min {
            (p.min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
        } else if stabilized > max_allowed {
            (max_allowed, cond, msg)
        } else {
            (stabilized, "DesiredWithinRange", "the desired count is within the acceptable range")
        };
        set_condition(&mut p.hpa, "ScalingLimited", out != stabilized, cond, msg.into(), now);
        out
    }

    /// normalizeDesiredReplicasWithBehaviors.
    fn normalize_with_behaviors(&mut self, p: &mut Pending, desired: i32, now: SimTime) -> i32 {
        let b = p.hpa.spec.behavior.clone().unwrap_or_default();
        let up = b.scale_up.unwrap_or_default();
        let mut down = b.scale_down.unwrap_or_default();
        // maybeInitScaleDownStabilizationWindow.
        down.stabilization_window_seconds.get_or_insert(DOWNSCALE_STABILIZATION.as_ms() as i32 / 1000);
        // stabilizeRecommendationWithBehaviors.
        let secs = |r: &ScalingRules| SimDuration::from_secs(r.stabilization_window_seconds.unwrap_or(0).max(0) as u64);
        let (up_window, down_window) = (secs(&up), secs(&down));
        let recs = self.recommendations.entry(p.key.clone()).or_default();
        let (mut up_rec, mut down_rec) = (desired, desired);
        let mut old = None;
        for (i, (r, t)) in recs.iter().enumerate() {
            if *t + up_window > now {
                up_rec = up_rec.min(*r);
            }
            if *t + down_window > now {
                down_rec = down_rec.max(*r);
            }
            if *t + up_window < now && *t + down_window < now {
                old = Some(i);
            }
        }
        let mut stabilized = p.current.max(up_rec);
        if stabilized > down_rec {
            stabilized = down_rec;
        }
        match old {
            Some(i) => recs[i] = (desired, now),
            None => recs.push((desired, now)),
        }
        if stabilized != desired {
            let (reason, msg) = if desired >= p.current {
                ("ScaleUpStabilized", "recent recommendations were lower than current one, applying the lowest recent recommendation")
            } else {
                ("ScaleDownStabilized", "recent recommendations were higher than current one, applying the highest recent recommendation")
            };
            set_condition(&mut p.hpa, "AbleToScale", true, reason, msg.into(), now);
        } else {
            set_condition(&mut p.hpa, "AbleToScale", true, "ReadyForNewScale", "recommended size matches current size".into(), now);
        }
        // convertDesiredReplicasWithBehaviorRate.
        let ups = self.scale_up_events.get(&p.key).cloned().unwrap_or_default();
        let downs = self.scale_down_events.get(&p.key).cloned().unwrap_or_default();
        let (mut out, mut cond, mut msg) = (stabilized, "DesiredWithinRange", "the desired count is within the acceptable range");
        if stabilized > p.current {
            let limit = scale_up_limit(p.current, &ups, &downs, &up, now).max(p.current);
            let (max_allowed, c, m) = if p.hpa.spec.max_replicas > limit {
                (limit, "ScaleUpLimit", "the desired replica count is increasing faster than the maximum scale rate")
            } else {
                (p.hpa.spec.max_replicas, "TooManyReplicas", "the desired replica count is more than the maximum replica count")
            };
            if stabilized > max_allowed {
                (out, cond, msg) = (max_allowed, c, m);
            }
        } else if stabilized < p.current {
            let limit = scale_down_limit(p.current, &ups, &downs, &down, now).min(p.current);
            let (min_allowed, c, m) = if p.min < limit {
                (limit, "ScaleDownLimit", "the desired replica count is decreasing faster than the maximum scale rate")
            } else {
                (p.min, "TooFewReplicas", "the desired replica count is less than the minimum replica count")
            };
            if stabilized < min_allowed {
                (out, cond, msg) = (min_allowed, c, m);
            }
        }
        set_condition(&mut p.hpa, "ScalingLimited", out != stabilized, cond, msg.into(), now);
        out
    }

    /// storeScaleEvent (with a behavior only).
    fn store_scale_event(&mut self, p: &Pending, now: SimTime) {
        let Some(b) = &p.hpa.spec.behavior else { return };
        let (events, rules, change) = if p.desired > p.current {
            (self.scale_up_events.entry(p.key.clone()).or_default(), b.scale_up.clone().unwrap_or_default(), p.desired - p.current)
        } else {
            (self.scale_down_events.entry(p.key.clone()).or_default(), b.scale_down.clone().unwrap_or_default(), p.current - p.desired)
        };
        let longest = rules.policies.unwrap_or_default().iter().map(|x| x.period_seconds).max().unwrap_or(0).max(0);
        for e in events.iter_mut() {
            if e.at + SimDuration::from_secs(longest as u64) < now {
                e.outdated = true;
            }
        }
        let fresh = ScaleEvent { change, at: now, outdated: false };
        match events.iter().rposition(|e| e.outdated) {
            Some(i) => events[i] = fresh,
            None => events.push(fresh),
        }
    }

    /// After the metrics: normalize, then scale or write the status.
    fn decide(&mut self, mut p: Pending, desired: i32, ctx: &mut ControllerCtx) {
        let now = ctx.now();
        let mut rescale_reason = String::new();
        if desired > p.current {
            rescale_reason = format!("{} above target", p.reason);
        }
        if desired < p.current {
            rescale_reason = "All metrics below target".into();
        }
        let desired = if p.hpa.spec.behavior.is_none() { self.normalize(&mut p, desired, now) } else { self.normalize_with_behaviors(&mut p, desired, now) };
        p.reason = rescale_reason;
        self.rescale_or_finish(p, desired, ctx);
    }

    fn rescale_or_finish(&mut self, mut p: Pending, desired: i32, ctx: &mut ControllerCtx) {
        p.desired = desired;
        if desired != p.current {
            let key = ObjectKey::new(p.target.clone(), &p.hpa.metadata.namespace, &p.hpa.spec.scale_target_ref.name);
            ctx.request_reply(Request::Scale { key: Box::new(key.clone()), replicas: desired });
            self.awaiting_scale.push_back((key, p));
            return;
        }
        let statuses = std::mem::take(&mut p.statuses);
        Self::set_status(&mut p.hpa, p.current, p.current, statuses, false, ctx.now());
        self.finish(p, ctx);
    }
}

/// A Resource or ContainerResource metric's status.
fn status_for(spec: &crate::api::horizontal_pod_autoscaler::MetricSpec, resource: &str, container: Option<&str>, current: MetricValueStatus) -> MetricStatus {
    match container {
        None => MetricStatus { type_: spec.type_.clone(), resource: Some(ResourceMetricStatus { name: resource.into(), current }), ..Default::default() },
        Some(c) => MetricStatus {
            type_: spec.type_.clone(),
            container_resource: Some(crate::api::horizontal_pod_autoscaler::ContainerResourceMetricStatus {
                name: resource.into(),
                container: c.into(),
                current,
            }),
            ..Default::default()
        },
    }
}

/// getReplicasChangePerPeriod: the changes of events strictly within the period.
fn change_in_period(period_seconds: i32, events: &[ScaleEvent], now: SimTime) -> i32 {
    let period = SimDuration::from_secs(period_seconds.max(0) as u64);
    events.iter().filter(|e| e.at + period > now).map(|e| e.change).fold(0i32, i32::saturating_add)
}

/// calculateScaleUpLimitWithScalingRules (f64 in upstream's order).
fn scale_up_limit(current: i32, ups: &[ScaleEvent], downs: &[ScaleEvent], rules: &ScalingRules, now: SimTime) -> i32 {
    let select = rules.select_policy.as_deref().unwrap_or("Max");
    if select == "Disabled" {
        return current;
    }
    let mut result = if select == "Min" { i32::MAX } else { i32::MIN };
    for p in rules.policies.as_deref().unwrap_or_default() {
        let start = current.saturating_sub(change_in_period(p.period_seconds, ups, now)).saturating_add(change_in_period(p.period_seconds, downs, now));
        let proposed = if p.type_ == "Pods" { start.saturating_add(p.value) } else { (start as f64 * (1.0 + p.value as f64 / 100.0)).ceil() as i32 };
        result = if select == "Min" { result.min(proposed) } else { result.max(proposed) };
    }
    result
}

/// calculateScaleDownLimitWithBehaviors.
fn scale_down_limit(current: i32, ups: &[ScaleEvent], downs: &[ScaleEvent], rules: &ScalingRules, now: SimTime) -> i32 {
    let select = rules.select_policy.as_deref().unwrap_or("Max");
    if select == "Disabled" {
        return current;
    }
    let mut result = if select == "Min" { i32::MIN } else { i32::MAX };
    for p in rules.policies.as_deref().unwrap_or_default() {
        let start = current.saturating_sub(change_in_period(p.period_seconds, ups, now)).saturating_add(change_in_period(p.period_seconds, downs, now));
        let proposed = if p.type_ == "Pods" { start.saturating_sub(p.value) } else { (start as f64 * (1.0 - p.value as f64 / 100.0)) as i32 };
        result = if select == "Min" { result.max(proposed) } else { result.min(proposed) };
    }
    result
}

impl Controller for HorizontalController {
    type Key = NsName;
    const NAME: &'static str = "horizontal-pod-autoscaler";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::HorizontalPodAutoscaler | Kind::Pod | Kind::Deployment | Kind::ReplicaSet | Kind::StatefulSet | Kind::ReplicationController)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        let Object::HorizontalPodAutoscaler(h) = &*ev.object else { return };
        let key = (h.metadata.namespace.to_string(), h.metadata.name.to_string());
        if ev.type_ == WatchEventType::Deleted {
            // reconcileKey finds it gone and forgets it.
            self.recommendations.remove(&key);
            self.scale_up_events.remove(&key);
            self.scale_down_events.remove(&key);
            return;
        }
        // enqueueHPA: AddRateLimited with the fixed sync-period interval.
        ctx.requeue_after(&mut self.queue, key, SYNC_PERIOD);
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::HorizontalPodAutoscaler, &key.0, &key.1).cloned() else {
            self.recommendations.remove(key);
            self.scale_up_events.remove(key);
            self.scale_down_events.remove(key);
            return Synced::Done;
        };
        let Some(shared) = obj.as_hpa() else { return Synced::Done };
        let now = ctx.now();
        let mut hpa = shared.clone();
        let original = hpa.status.clone();
        let mut p = Pending {
            key: key.clone(),
            hpa: HorizontalPodAutoscaler::default(),
            original,
            target: Kind::Deployment,
            current: 0,
            min: 1,
            desired: 0,
            reason: String::new(),
            statuses: Vec::new(),
        };
        let (target, current, _) = match scale_of(inf, &hpa) {
            Ok(s) => s,
            Err(e) => {
                ctx.event(&obj, "Warning", "FailedGetScale", &e);
                set_condition(
                    &mut hpa,
                    "AbleToScale",
                    false,
                    "FailedGetScale",
                    format!("the HPA controller was unable to get the target's current scale: {e}"),
                    now,
                );
                p.hpa = hpa;
                self.finish(p, ctx);
                return Synced::Processing;
            }
        };
        set_condition(&mut hpa, "AbleToScale", true, "SucceededGetScale", "the HPA controller was able to get the target's current scale".into(), now);
        // recordInitialRecommendation.
        self.recommendations.entry(key.clone()).or_insert_with(|| vec![(current, now)]);
        p.current = current;
        p.target = target;
        p.min = hpa.spec.min_replicas.unwrap_or(1);
        let max = hpa.spec.max_replicas;
        p.hpa = hpa;
        if current == 0 && p.min != 0 {
            set_condition(
                &mut p.hpa,
                "ScalingActive",
                false,
                "ScalingDisabled",
                "scaling is disabled since the replica count of the target is zero".into(),
                now,
            );
            Self::set_status(&mut p.hpa, current, current, Vec::new(), false, now);
            self.finish(p, ctx);
        } else if current > max {
            p.reason = "Current number of replicas above Spec.MaxReplicas".into();
            self.rescale_or_finish(p, max, ctx);
        } else if current < p.min {
            p.reason = "Current number of replicas below Spec.MinReplicas".into();
            let min = p.min;
            self.rescale_or_finish(p, min, ctx);
        } else if p.hpa.spec.metrics.iter().any(|m| resource_metric(m).is_some()) {
            ctx.request_reply(Request::PodMetrics { namespace: key.0.clone() });
            self.awaiting_metrics.push_back(p);
        } else {
            // Only metrics no adapter serves: computed without an answer.
            match self.compute(&mut p, inf, Ok(&[]), ctx) {
                Ok(d) => self.decide(p, d, ctx),
                Err(()) => self.metrics_failed(p, ctx),
            }
        }
        Synced::Processing
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        match req {
            Request::PodMetrics { namespace } => {
                let Some(i) = self.awaiting_metrics.iter().position(|p| p.key.0 == *namespace) else { return };
                let Some(mut p) = self.awaiting_metrics.remove(i) else { return };
                let answer: Result<&[crate::metrics_server::PodMetrics], String> = match resp {
                    Response::PodMetrics(m) => Ok(m.as_slice()),
                    Response::Error(st) => Err(st.message.clone()),
                    _ => Ok(&[]),
                };
                match self.compute(&mut p, inf, answer, ctx) {
                    Ok(d) => self.decide(p, d, ctx),
                    Err(()) => self.metrics_failed(p, ctx),
                }
            }
            Request::Scale { key, .. } => {
                let Some(i) = self.awaiting_scale.iter().position(|(k, _)| *k == **key) else { return };
                let Some((_, mut p)) = self.awaiting_scale.remove(i) else { return };
                let now = ctx.now();
                let obj = Object::HorizontalPodAutoscaler(Box::new(p.hpa.clone()));
                let statuses = std::mem::take(&mut p.statuses);
                match resp {
                    Response::Error(st) => {
                        ctx.event(&obj, "Warning", "FailedRescale", &format!("New size: {}; reason: {}; error: {}", p.desired, p.reason, st.message));
                        set_condition(
                            &mut p.hpa,
                            "AbleToScale",
                            false,
                            "FailedUpdateScale",
                            format!("the HPA controller was unable to update the target scale: {}", st.message),
                            now,
                        );
                        let desired = p.hpa.status.desired_replicas;
                        Self::set_status(&mut p.hpa, p.current, desired, statuses, false, now);
                    }
                    _ => {
                        set_condition(
                            &mut p.hpa,
                            "AbleToScale",
                            true,
                            "SucceededRescale",
                            format!("the HPA controller was able to update the target scale to {}", p.desired),
                            now,
                        );
                        ctx.event(&obj, "Normal", "SuccessfulRescale", &format!("New size: {}; reason: {}", p.desired, p.reason));
                        self.store_scale_event(&p, now);
                        let (current, desired) = (p.current, p.desired);
                        Self::set_status(&mut p.hpa, current, desired, statuses, true, now);
                    }
                }
                self.finish(p, ctx);
            }
            _ => {}
        }
    }
}

impl HorizontalController {
    /// computeReplicasForMetrics failed: status with the current count, desired kept.
    fn metrics_failed(&mut self, mut p: Pending, ctx: &mut ControllerCtx) {
        let desired = p.hpa.status.desired_replicas;
        let statuses = std::mem::take(&mut p.statuses);
        Self::set_status(&mut p.hpa, p.current, desired, statuses, false, ctx.now());
        self.finish(p, ctx);
    }
}

#[cfg(test)]
mod tests;
