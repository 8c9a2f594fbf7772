//! The disruption controller (pkg/controller/disruption/disruption.go): keeps each
//! PodDisruptionBudget's status — expectedPods and desiredHealthy (getExpectedPodCount:
//! an integer minAvailable counts the selected pods; a percentage or maxUnavailable
//! counts the scale of their controllers, getExpectedScale), currentHealthy (ready pods,
//! not being deleted, not recently evicted: countHealthyPods), disruptionsAllowed
//! (currentHealthy − desiredHealthy, 0 when no pod is expected), the pods the Eviction API
//! let go and their 2-minute deadline (buildDisruptedPodMap, rechecked when it passes),
//! and the DisruptionAllowed condition. A sync that cannot count (a pod whose controller
//! it cannot find) fails safe: 0 disruptions allowed, SyncFailed, requeued with back-off.

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, NsName, Synced};
use crate::api::meta::{IntOrString, Time};
use crate::api::pod::Pod;
use crate::api::pod_disruption_budget::{PodDisruptionBudget, SYNC_FAILED};
use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::WatchEvent;
use std::collections::BTreeMap;

/// DeletionTimeout: how long an evicted pod may take to be deleted before the budget
/// counts it again.
pub const DELETION_TIMEOUT: SimDuration = SimDuration::from_secs(120);

pub struct DisruptionController {
    queue: WorkQueue<NsName>,
}

impl Default for DisruptionController {
    fn default() -> Self {
        DisruptionController { queue: WorkQueue::new(Order::Fifo) }
    }
}

impl Controller for DisruptionController {
    type Key = NsName;
    const NAME: &'static str = "controllermanager";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::PodDisruptionBudget | Kind::Pod)
    }

    /// addDb/updateDb/removeDb and addPod/updatePod/deletePod (the budgets that select it).
    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::PodDisruptionBudget(p) => self.queue.add((p.metadata.namespace.to_string(), p.metadata.name.to_string())),
            Object::Pod(pod) => {
                let prev_labels = ev.prev.as_ref().and_then(|o| o.as_pod()).map(|p| &p.metadata.labels);
                for pdb in inf.list_ns(&Kind::PodDisruptionBudget, &pod.metadata.namespace).filter_map(|o| o.as_pdb()) {
                    // policy/v1: an empty selector selects every pod of the namespace, a
                    // missing one none (LabelSelectorAsSelector).
                    let Some(sel) = pdb.spec.selector.as_ref() else { continue };
                    if sel.matches(&pod.metadata.labels) || prev_labels.is_some_and(|l| sel.matches(l)) {
                        self.queue.add((pdb.metadata.namespace.to_string(), pdb.metadata.name.to_string()));
                    }
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::PodDisruptionBudget, &key.0, &key.1).cloned() else { return Synced::Done };
        let pdb = obj.as_pdb().expect("pdb");
        let pods: Vec<&Pod> = match pdb.spec.selector.as_ref() {
            Some(sel) => inf.list_ns(&Kind::Pod, &key.0).filter_map(|o| o.as_pod()).filter(|p| sel.matches(&p.metadata.labels)).collect(),
            None => Vec::new(),
        };
        if pods.is_empty() {
            ctx.event(&obj, "Normal", "NoPods", "No matching pods found");
        }
        let (expected, desired, unmanaged) = match expected_pod_count(inf, pdb, &pods) {
            Ok(v) => v,
            Err(e) => {
                ctx.event(&obj, "Warning", "CalculateExpectedPodCountFailed", &format!("Failed to calculate the number of expected pods: {e}"));
                fail_safe(pdb, &e, ctx);
                return Synced::Failed;
            }
        };
        if unmanaged {
            let sel = pdb.spec.selector.as_ref().map(|s| s.to_selector_string()).unwrap_or_default();
            ctx.event(
                &obj,
                "Warning",
                "UnmanagedPods",
                &format!("Pods selected by this PodDisruptionBudget (selector: {sel}) were found to be unmanaged. As a result, the status of the PDB cannot be calculated correctly, which may result in undefined behavior. To account for these pods please set \".spec.minAvailable\" field of the PDB to an integer value."),
            );
        }
        let now = ctx.now();
        let (disrupted, recheck) = disrupted_pod_map(pdb, &pods, now, ctx);
        let healthy = count_healthy_pods(&pods, &disrupted, now);
        update_pdb_status(pdb, healthy, desired, expected, disrupted, ctx);
        if let Some(at) = recheck {
            ctx.requeue_after(&mut self.queue, key.clone(), at.since(now));
        }
        Synced::Done
    }

    /// A refused status update (a stale read: Conflict) is a failed sync.
    fn on_response(&mut self, _inf: &SharedInformers, req: &Request, _resp: &crate::apiserver::Response, ctx: &mut ControllerCtx) {
        if let Request::UpdateStatus(Object::PodDisruptionBudget(p)) = req {
            ctx.requeue_rate_limited(&mut self.queue, (p.metadata.namespace.to_string(), p.metadata.name.to_string()));
        }
    }
}

/// getExpectedPodCount: (expectedCount, desiredHealthy, whether pods without a controller
/// were found).
fn expected_pod_count(inf: &SharedInformers, pdb: &PodDisruptionBudget, pods: &[&Pod]) -> Result<(i32, i32, bool), String> {
    if let Some(max_unavailable) = &pdb.spec.max_unavailable {
        let (expected, unmanaged) = expected_scale(inf, pods)?;
        let mu = max_unavailable.scaled_value(expected, true)?;
        return Ok((expected, (expected - mu).max(0), unmanaged));
    }
    match &pdb.spec.min_available {
        Some(IntOrString::Int(n)) => Ok((pods.len() as i32, *n, false)),
        Some(v @ IntOrString::String(_)) => {
            let (expected, unmanaged) = expected_scale(inf, pods)?;
            Ok((expected, v.scaled_value(expected, true)?, unmanaged))
        }
        None => Ok((0, 0, false)),
    }
}

/// getExpectedScale: the sum of the scales of the pods' controllers (a ReplicaSet of a
/// Deployment counts as the Deployment; ReplicationControllers count themselves; other
/// controllers — a DaemonSet, which has no scale — are not found, and the budget fails
/// safe, as upstream's finders). Pods without a controller are unmanaged.
fn expected_scale(inf: &SharedInformers, pods: &[&Pod]) -> Result<(i32, bool), String> {
    let mut scales: BTreeMap<String, i32> = BTreeMap::new();
    let mut unmanaged = false;
    for p in pods {
        let Some(r) = p.metadata.controller_ref() else {
            unmanaged = true;
            continue;
        };
        if scales.contains_key(&r.uid) {
            continue;
        }
        let ns = &p.metadata.namespace;
        let found = match r.kind.as_str() {
            "ReplicaSet" => inf.get(&Kind::ReplicaSet, ns, &r.name).and_then(|o| o.as_replica_set()).filter(|rs| rs.metadata.uid == r.uid).map(|rs| {
                // getPodDeployment: a ReplicaSet a Deployment controls counts as the Deployment.
                let d = rs
                    .metadata
                    .controller_ref()
                    .filter(|c| c.kind == "Deployment")
                    .and_then(|c| inf.get(&Kind::Deployment, ns, &c.name))
                    .and_then(|o| o.as_deployment())
                    .map(|d| (d.metadata.uid.clone(), d.replicas()));
                d.unwrap_or((rs.metadata.uid.clone(), rs.replicas()))
            }),
            // getPodReplicationController.
            "ReplicationController" => inf
                .get(&Kind::ReplicationController, ns, &r.name)
                .and_then(|o| o.as_replication_controller())
                .filter(|rc| rc.metadata.uid == r.uid)
                .map(|rc| (rc.metadata.uid.clone(), rc.replicas())),
            _ => None,
        };
        match found {
            Some((uid, scale)) => {
                scales.insert(uid.to_string(), scale);
            }
            None => return Err(format!("found no controllers for pod {:?}", p.metadata.name)),
        }
    }
    Ok((scales.values().sum(), unmanaged))
}

/// buildDisruptedPodMap: keep the evicted pods still within their deletion deadline (and
/// not yet being deleted); the earliest deadline is when to look again.
fn disrupted_pod_map(pdb: &PodDisruptionBudget, pods: &[&Pod], now: SimTime, ctx: &mut ControllerCtx) -> (BTreeMap<String, Time>, Option<SimTime>) {
    let mut out = BTreeMap::new();
    let mut recheck: Option<SimTime> = None;
    for p in pods {
        if p.metadata.rare.deletion_timestamp.is_some() {
            continue;
        }
        let Some(t) = pdb.status.disrupted_pods.get(p.metadata.name.as_str()) else { continue };
        let expected_deletion = t.0 + DELETION_TIMEOUT;
        if expected_deletion < now {
            let pod = Object::Pod(Box::new((*p).clone()));
            ctx.event(
                &pod,
                "Warning",
                "NotDeleted",
                &format!("Pod was expected by PDB {}/{} to be deleted but it wasn't", pdb.metadata.namespace, pdb.metadata.namespace),
            );
        } else {
            recheck = Some(recheck.map_or(expected_deletion, |r| r.min(expected_deletion)));
            out.insert(p.metadata.name.to_string(), *t);
        }
    }
    (out, recheck)
}

/// countHealthyPods.
fn count_healthy_pods(pods: &[&Pod], disrupted: &BTreeMap<String, Time>, now: SimTime) -> i32 {
    pods.iter()
        .filter(|p| p.metadata.rare.deletion_timestamp.is_none())
        .filter(|p| disrupted.get(p.metadata.name.as_str()).is_none_or(|t| t.0 + DELETION_TIMEOUT <= now))
        .filter(|p| p.is_ready())
        .count() as i32
}

/// updatePdbStatus.
fn update_pdb_status(pdb: &PodDisruptionBudget, healthy: i32, desired: i32, expected: i32, disrupted: BTreeMap<String, Time>, ctx: &mut ControllerCtx) {
    let allowed = if expected <= 0 || healthy - desired <= 0 { 0 } else { healthy - desired };
    let mut n = pdb.clone();
    n.status.current_healthy = healthy;
    n.status.desired_healthy = desired;
    n.status.expected_pods = expected;
    n.status.disruptions_allowed = allowed;
    n.status.disrupted_pods = disrupted;
    n.status.observed_generation = pdb.metadata.rare.generation;
    n.update_disruption_allowed_condition(ctx.now_time());
    if n.status == pdb.status {
        return;
    }
    ctx.request_on_error(Request::UpdateStatus(Object::PodDisruptionBudget(Box::new(n))));
}

/// failSafe: when the status cannot be computed, allow no disruption.
fn fail_safe(pdb: &PodDisruptionBudget, err: &str, ctx: &mut ControllerCtx) {
    let mut n = pdb.clone();
    n.status.disruptions_allowed = 0;
    n.set_condition("False", SYNC_FAILED, err.to_string(), ctx.now_time());
    if n.status != pdb.status {
        ctx.request(Request::UpdateStatus(Object::PodDisruptionBudget(Box::new(n))));
    }
}
