//! The StatefulSet controller (pkg/controller/statefulset: stateful_set.go sync,
//! stateful_set_control.go updateStatefulSet/processReplica/processCondemned,
//! stateful_pod_control.go, stateful_set_utils.go):
//!
//! - each pod has a stable identity: the name `<set>-<ordinal>` for the ordinals
//!   `[start, start + replicas)`, hostname = its name and subdomain = serviceName, the
//!   `statefulset.kubernetes.io/pod-name` and `apps.kubernetes.io/pod-index` labels, and
//!   `controller-revision-hash` naming the revision it was made from;
//! - OrderedReady (monotonic): the replicas are processed in ordinal order and the sync
//!   stops at the first pod it creates, or that is terminating, not Running and Ready,
//!   or not available (minReadySeconds) — so web-1 is not created before web-0 is
//!   Running and Ready; pods beyond the replicas are deleted from the highest ordinal,
//!   one per sync, once the others are healthy; Parallel creates and deletes all at once;
//! - a Failed or Succeeded pod is deleted and created again (`RecreatingFailedPod`,
//!   `RecreatingTerminatedPod`); a pod that is gone is created again, with the same
//!   name — never while the old pod object exists (a pod on an unreachable node is not
//!   replaced until it is really deleted);
//! - revisions are ControllerRevisions `<set>-<hash>` of the template; RollingUpdate
//!   deletes, from the highest ordinal down to `partition`, a pod not of the update
//!   revision once all are healthy, one at a time; OnDelete waits for the user;
//! - status: replicas, readyReplicas, availableReplicas, currentReplicas,
//!   updatedReplicas, current/updateRevision (the update revision becomes current once
//!   every pod is updated), observedGeneration.
//!
//! Events (stateful_pod_control.go recordPodEvent): `SuccessfulCreate` "create Pod
//! web-0 in StatefulSet web successful", `SuccessfulDelete` "delete Pod web-1 in
//! StatefulSet web successful", their `Failed…` forms with the apiserver's error.
//!
//! volumeClaimTemplates (createPersistentVolumeClaims, getPersistentVolumeClaims,
//! updateStorage): before a pod is created, each template's claim `<template>-<pod>` is
//! created unless it exists (labels: the template's and the selector's; `SuccessfulCreate`
//! "create Claim www-web-0 Pod web-0 in StatefulSet web success"), and the pod mounts it
//! under the template's name; a claim being deleted stops the pod's creation ("pvc
//! www-web-0 is being deleted"). The claims outlive their pods.
//! persistentVolumeClaimRetentionPolicy (updateClaimOwnerRefForSetAndPod): whenDeleted
//! Delete makes the set the claims' owner (the garbage collector deletes them with it);
//! whenScaled Delete makes a condemned pod the owner of its claims before it is deleted.
//!
//! Not modelled yet: old revisions beyond revisionHistoryLimit are kept (no
//! truncateHistory), and a revision name collision (collisionCount) is not resolved;
//! maxUnavailable (the MaxUnavailableStatefulSet gate is beta but off by default, so
//! upstream ignores it too).

use super::controller_utils::{controller_ref, pod_from_template, ready_time};
use super::deployment::compute_hash;
use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::daemon_set::{ControllerRevision, CONTROLLER_REVISION_HASH};
use crate::api::pod::Pod;
use crate::api::stateful_set::{parent_and_ordinal, StatefulSet, StatefulSetStatus, POD_INDEX_LABEL, POD_NAME_LABEL};
use crate::api::storage::PersistentVolumeClaim;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::WatchEvent;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub struct StatefulSetController {
    queue: WorkQueue<NsName>,
    /// Pods created or deleted and not yet seen (the sync waits for them: upstream's
    /// calls are synchronous and its next sync sees their effect).
    in_flight: BTreeMap<NsName, BTreeSet<String>>,
    revisions_in_flight: BTreeSet<NsName>,
    /// Deletes sent: pod uid → (the set's key, the pod's name), for their events.
    deleting: BTreeMap<String, (NsName, String)>,
}

impl Default for StatefulSetController {
    fn default() -> Self {
        StatefulSetController {
            queue: WorkQueue::new(Order::Fifo),
            in_flight: BTreeMap::new(),
            revisions_in_flight: BTreeSet::new(),
            deleting: BTreeMap::new(),
        }
    }
}

/// getPatch: the template, to be restored whole.
fn get_patch(set: &StatefulSet) -> Value {
    super::controller_utils::template_patch(&set.spec.template)
}

fn is_running_and_ready(p: &Pod) -> bool {
    p.status.phase == "Running" && p.is_ready()
}

/// isRunningAndAvailable: running, and available (podutil.IsPodAvailable).
fn is_available(p: &Pod, min_ready: i32, now: SimTime) -> bool {
    is_running_and_ready(p) && super::controller_utils::is_pod_available(p, min_ready, now)
}

fn is_healthy(p: &Pod) -> bool {
    is_running_and_ready(p) && p.metadata.rare.deletion_timestamp.is_none()
}

fn revision_of(p: &Pod) -> &str {
    p.metadata.labels.get(CONTROLLER_REVISION_HASH).map_or("", String::as_str)
}

/// ApplyRevision: the template a revision recorded (its patch replaces the template).
fn revision_template(cr: &ControllerRevision) -> Option<crate::api::pod::PodTemplateSpec> {
    let mut t = cr.data.as_ref()?.pointer("/spec/template")?.clone();
    if let Value::Object(m) = &mut t {
        m.remove("$patch");
    }
    serde_json::from_value(t).ok()
}

/// newStatefulSetPod with its identity (initIdentity) and revision label, from the
/// template of that revision.
fn new_pod(set: &StatefulSet, template: &crate::api::pod::PodTemplateSpec, ordinal: i32, revision: &str) -> Pod {
    let name = format!("{}-{ordinal}", set.metadata.name);
    let owner = controller_ref("apps/v1", "StatefulSet", &set.metadata.name, &set.metadata.uid);
    let mut p = pod_from_template(template, &set.metadata.namespace, &crate::api::meta::Text::default(), &vec![owner].into());
    p.metadata.name = name.as_str().into();
    p.metadata.labels.insert(POD_NAME_LABEL.into(), name.clone());
    p.metadata.labels.insert(POD_INDEX_LABEL.into(), ordinal.to_string());
    p.metadata.labels.insert(CONTROLLER_REVISION_HASH.into(), revision.to_string());
    let claims = claim_templates(set);
    let spec = Rc::make_mut(&mut p.spec);
    spec.hostname = name.clone();
    spec.subdomain = set.spec.service_name.clone();
    // updateStorage: the claims' volumes first, then the template's others.
    if !claims.is_empty() {
        let mut vols: Vec<Value> = claims
            .iter()
            .map(|c| serde_json::json!({"name": c.metadata.name, "persistentVolumeClaim": {"claimName": format!("{}-{name}", c.metadata.name)}}))
            .collect();
        for v in spec.volumes.as_deref().and_then(|v| v.as_array()).into_iter().flatten() {
            if !claims.iter().any(|c| v.get("name").and_then(|n| n.as_str()) == Some(c.metadata.name.as_str())) {
                vols.push(v.clone());
            }
        }
        spec.volumes = Some(Box::new(Value::Array(vols)));
    }
    p
}

/// The set's volumeClaimTemplates as claims (templates that do not decode are skipped:
/// the apiserver refused them at create).
fn claim_templates(set: &StatefulSet) -> Vec<PersistentVolumeClaim> {
    set.spec.volume_claim_templates.iter().filter_map(|t| serde_json::from_value(t.clone()).ok()).collect()
}

/// The retention policy's (whenDeleted, whenScaled), Retain when not given.
fn retention(set: &StatefulSet) -> (bool, bool) {
    let p = set.spec.persistent_volume_claim_retention_policy.as_ref();
    let is_delete = |k: &str| p.and_then(|p| p.get(k)).and_then(|v| v.as_str()) == Some("Delete");
    (is_delete("whenDeleted"), is_delete("whenScaled"))
}

/// getPersistentVolumeClaims: the claims of the pod with `ordinal`, named
/// `<template>-<set>-<ordinal>`, labelled with the template's labels and the selector's.
fn pod_claims(set: &StatefulSet, ordinal: i32) -> Vec<PersistentVolumeClaim> {
    claim_templates(set)
        .into_iter()
        .map(|mut c| {
            c.metadata.name = format!("{}-{}-{ordinal}", c.metadata.name, set.metadata.name).into();
            c.metadata.namespace = set.metadata.namespace.clone();
            if let Some(sel) = &set.spec.selector {
                for (k, v) in &sel.match_labels {
                    c.metadata.labels.insert(k.clone(), v.clone());
                }
            }
            c.api_version.clear();
            c.kind.clear();
            c.status = Default::default();
            // whenDeleted: Delete, while the ordinal is in range: owned by the set.
            if retention(set).0 {
                *c.metadata.owner_references = vec![controller_ref("apps/v1", "StatefulSet", &set.metadata.name, &set.metadata.uid)];
            }
            c
        })
        .collect()
}

impl Controller for StatefulSetController {
    type Key = NsName;
    const NAME: &'static str = "statefulset-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::StatefulSet | Kind::Pod | Kind::ControllerRevision | Kind::PersistentVolumeClaim)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::StatefulSet(s) => self.queue.add((s.metadata.namespace.to_string(), s.metadata.name.to_string())),
            Object::Pod(p) => {
                if let Some(r) = p.metadata.controller_ref().filter(|r| r.kind == "StatefulSet") {
                    let key = (p.metadata.namespace.to_string(), r.name.clone());
                    // A create is seen when the pod is added; a delete once the pod is
                    // terminating or gone (not at a status write that came before it).
                    let seen = matches!(ev.type_, crate::etcd::WatchEventType::Added | crate::etcd::WatchEventType::Deleted)
                        || p.metadata.rare.deletion_timestamp.is_some();
                    if let (true, Some(set)) = (seen, self.in_flight.get_mut(&key)) {
                        set.remove(p.metadata.name.as_str());
                    }
                    self.queue.add(key);
                }
            }
            Object::ControllerRevision(cr) => {
                if let Some(r) = cr.metadata.controller_ref().filter(|r| r.kind == "StatefulSet") {
                    self.revisions_in_flight.remove(&(cr.metadata.namespace.to_string(), cr.metadata.name.to_string()));
                    self.queue.add((cr.metadata.namespace.to_string(), r.name.clone()));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::StatefulSet, &key.0, &key.1).cloned() else {
            self.in_flight.remove(key);
            return Synced::Done;
        };
        let set = obj.as_stateful_set().expect("statefulset");
        if self.in_flight.get(key).is_some_and(|s| !s.is_empty()) {
            // A create or delete not yet seen: sync again once it is.
            return Synced::Done;
        }
        let now = ctx.now();
        // The revisions (getStatefulSetRevisions): the update revision is the current
        // template's; the current revision is status.currentRevision if it still exists.
        let patch = get_patch(set);
        let revisions: Vec<&ControllerRevision> = inf
            .dependent_refs(&set.metadata.uid)
            .filter(|(k, _, _)| *k == Kind::ControllerRevision)
            .filter_map(|(k, ns, n)| inf.get(k, ns, n).and_then(|o| o.as_controller_revision()))
            .collect();
        let update_revision = match revisions.iter().find(|cr| cr.data.as_ref() == Some(&patch)) {
            Some(cr) => cr.metadata.name.to_string(),
            None => {
                let hash = compute_hash(&set.spec.template, set.status.collision_count);
                let name = format!("{}-{hash}", set.metadata.name);
                let mut cr = ControllerRevision::default();
                cr.metadata.name = name.clone().into();
                cr.metadata.namespace = set.metadata.namespace.clone();
                cr.metadata.labels = set.spec.template.metadata.labels.clone();
                cr.metadata.labels.insert(CONTROLLER_REVISION_HASH.into(), name.clone());
                *cr.metadata.owner_references = vec![controller_ref("apps/v1", "StatefulSet", &set.metadata.name, &set.metadata.uid)];
                cr.data = Some(patch);
                cr.revision = revisions.iter().map(|c| c.revision).max().unwrap_or(0) + 1;
                if self.revisions_in_flight.insert((cr.metadata.namespace.to_string(), name.clone())) {
                    ctx.request_reply(Request::Create(Object::ControllerRevision(Box::new(cr))));
                }
                name
            }
        };
        let current_revision = if !set.status.current_revision.is_empty() && revisions.iter().any(|cr| cr.metadata.name == set.status.current_revision) {
            set.status.current_revision.clone()
        } else {
            update_revision.clone()
        };

        let pods: Vec<Rc<Object>> = inf.dependents_of(&set.metadata.uid);
        let pods: Vec<&Pod> = pods
            .iter()
            .filter_map(|o| o.as_pod())
            .filter(|p| p.metadata.controller_ref().is_some_and(|r| r.uid == set.metadata.uid))
            .filter(|p| parent_and_ordinal(&p.metadata.name).is_some_and(|(parent, _)| parent == set.metadata.name))
            .collect();
        let start = set.start_ordinal();
        let end = start + set.replicas() - 1;
        let mut replicas: BTreeMap<i32, &Pod> = BTreeMap::new();
        let mut condemned: Vec<&Pod> = Vec::new();
        for p in &pods {
            let (_, ord) = parent_and_ordinal(&p.metadata.name).expect("filtered");
            if ord >= start && ord <= end {
                replicas.insert(ord, p);
            } else {
                condemned.push(p);
            }
        }
        condemned.sort_by_key(|p| std::cmp::Reverse(parent_and_ordinal(&p.metadata.name).map_or(0, |x| x.1)));
        let min_ready = set.spec.min_ready_seconds.unwrap_or(0);
        let monotonic = !set.parallel();
        let mut creates: Vec<Pod> = Vec::new();
        let mut deletes: Vec<&Pod> = Vec::new();
        let first_unhealthy_condemned = condemned.iter().rev().find(|p| !is_healthy(p)).map(|p| p.metadata.name.to_string());

        let mut blocked = false;
        if set.metadata.rare.deletion_timestamp.is_none() {
            for ord in start..=end {
                match replicas.get(&ord) {
                    Some(p) if p.is_terminal() => {
                        if p.metadata.rare.deletion_timestamp.is_none() {
                            let (type_, reason) =
                                if p.status.phase == "Failed" { ("Warning", "RecreatingFailedPod") } else { ("Normal", "RecreatingTerminatedPod") };
                            let what = if p.status.phase == "Failed" { "failed" } else { "terminated" };
                            let msg = format!("StatefulSet {}/{} is recreating {what} Pod {}", set.metadata.namespace, set.metadata.name, p.metadata.name);
                            ctx.event(&obj, type_, reason, &msg);
                            deletes.push(p);
                        }
                        // "New pod should be generated on the next sync after the current
                        // pod is removed from etcd" (processReplica's exit, which only the
                        // monotonic mode heeds).
                        blocked = monotonic;
                    }
                    None => {
                        // newVersionedStatefulSetPod: below the partition, the current
                        // revision's template.
                        let below = ord < set.start_ordinal() + update_partition(set) && current_revision != update_revision;
                        let current = revisions.iter().find(|cr| below && cr.metadata.name == current_revision).and_then(|cr| revision_template(cr));
                        let (revision, template) = match current {
                            Some(t) => (&current_revision, t),
                            None => (&update_revision, set.spec.template.clone()),
                        };
                        creates.push(new_pod(set, &template, ord, revision));
                        blocked = monotonic;
                    }
                    Some(p) if monotonic && (p.metadata.rare.deletion_timestamp.is_some() || !is_running_and_ready(p) || !is_available(p, min_ready, now)) => {
                        blocked = true
                    }
                    Some(_) => {}
                }
                if blocked {
                    break;
                }
            }
            if !blocked {
                for p in &condemned {
                    if p.metadata.rare.deletion_timestamp.is_some() {
                        if monotonic {
                            break;
                        }
                        continue;
                    }
                    let first = first_unhealthy_condemned.as_deref() == Some(p.metadata.name.as_str());
                    // processCondemned also waits on an unhealthy replica, but the loop
                    // above has already stopped (monotonic) at any.
                    if monotonic && !first && !is_available(p, min_ready, now) {
                        break;
                    }
                    deletes.push(p);
                    if monotonic {
                        blocked = true;
                        break;
                    }
                }
            }
            // The rolling update, once nothing else is to be done.
            if !blocked && creates.is_empty() && deletes.is_empty() && set.spec.update_strategy.type_ != "OnDelete" {
                let partition = update_partition(set);
                for ord in (start + partition..=end).rev() {
                    let Some(p) = replicas.get(&ord) else { break };
                    if revision_of(p) != update_revision && p.metadata.rare.deletion_timestamp.is_none() {
                        deletes.push(p);
                        break;
                    }
                    if !is_healthy(p) {
                        break;
                    }
                }
            }
        }
        let mut sync_failed = false;
        for p in &creates {
            // createPersistentVolumeClaims, then the pod.
            let ord = parent_and_ordinal(&p.metadata.name).map_or(0, |x| x.1);
            let mut refused = None;
            for c in pod_claims(set, ord) {
                match inf.get(&Kind::PersistentVolumeClaim, &c.metadata.namespace, &c.metadata.name) {
                    None => {
                        // The apiserver validates the claim (the set's templates are not
                        // validated at the set's create): a refusal is the claim's and
                        // the pod's FailedCreate, and no pod.
                        let errs = crate::api::validation::validate(&Object::PersistentVolumeClaim(Box::new(c.clone())));
                        if !errs.is_empty() {
                            let err = crate::apiserver::invalid(&Kind::PersistentVolumeClaim, &c.metadata.name, &errs).message;
                            let (cn, pn, sn) = (&c.metadata.name, &p.metadata.name, &set.metadata.name);
                            ctx.event(&obj, "Warning", "FailedCreate", &format!("create Claim {cn} for Pod {pn} in StatefulSet {sn} failed error: {err}"));
                            refused = Some(format!("failed to create PVC {cn}: {err}"));
                            continue;
                        }
                        let msg = format!("create Claim {} Pod {} in StatefulSet {} success", c.metadata.name, p.metadata.name, set.metadata.name);
                        ctx.request_reply(Request::Create(Object::PersistentVolumeClaim(Box::new(c))));
                        ctx.event(&obj, "Normal", "SuccessfulCreate", &msg);
                    }
                    Some(o) if o.meta().rare.deletion_timestamp.is_some() => refused = Some(format!("pvc {} is being deleted", c.metadata.name)),
                    Some(_) => {}
                }
            }
            if let Some(e) = refused {
                ctx.event(&obj, "Warning", "FailedCreate", &format!("create Pod {} in StatefulSet {} failed error: {e}", p.metadata.name, set.metadata.name));
                // The sync's error: requeued on the rate limiter's growing back-off.
                sync_failed = true;
                continue;
            }
            let flight = self.in_flight.entry(key.clone()).or_default();
            flight.insert(p.metadata.name.to_string());
            ctx.request_reply(Request::Create(Object::Pod(Box::new(p.clone()))));
        }
        let flight = self.in_flight.entry(key.clone()).or_default();
        for p in &deletes {
            // whenScaled: Delete: a condemned pod owns its claims before it goes.
            let condemned_pod = condemned.iter().any(|c| c.metadata.uid == p.metadata.uid);
            if condemned_pod && retention(set).1 {
                let ord = parent_and_ordinal(&p.metadata.name).map_or(0, |x| x.1);
                for c in pod_claims(set, ord) {
                    if let Some(cur) = inf.get(&Kind::PersistentVolumeClaim, &c.metadata.namespace, &c.metadata.name).and_then(|o| o.as_pvc()) {
                        let pod_ref = controller_ref("v1", "Pod", &p.metadata.name, &p.metadata.uid);
                        if *cur.metadata.owner_references != vec![pod_ref.clone()] {
                            let mut nc = cur.clone();
                            *nc.metadata.owner_references = vec![pod_ref];
                            ctx.request(Request::Update(Object::PersistentVolumeClaim(Box::new(nc))));
                        }
                    }
                }
            }
            flight.insert(p.metadata.name.to_string());
            self.deleting.insert(p.metadata.uid.to_string(), (key.clone(), p.metadata.name.to_string()));
            ctx.request_reply(Request::Delete {
                key: Box::new(ObjectKey::new(Kind::Pod, &p.metadata.namespace, &p.metadata.name)),
                grace_period_seconds: None,
                uid: Some(p.metadata.uid.to_string()),
            });
        }

        // updateStatus over the pods as they are.
        let mut st = StatefulSetStatus {
            observed_generation: set.metadata.rare.generation,
            current_revision: current_revision.clone(),
            update_revision: update_revision.clone(),
            collision_count: Some(set.status.collision_count.unwrap_or(0)),
            conditions: set.status.conditions.clone(),
            ..Default::default()
        };
        for p in &pods {
            st.replicas += 1;
            if is_running_and_ready(p) {
                st.ready_replicas += 1;
                if is_available(p, min_ready, now) {
                    st.available_replicas += 1;
                }
            }
            if p.metadata.rare.deletion_timestamp.is_none() {
                if revision_of(p) == current_revision {
                    st.current_replicas += 1;
                }
                if revision_of(p) == update_revision {
                    st.updated_replicas += 1;
                }
            }
        }
        // completeRollingUpdate (RollingUpdate only): every replica updated and ready → the
        // update revision is current.
        if set.spec.update_strategy.type_ == "RollingUpdate"
            && st.updated_replicas == set.replicas()
            && st.ready_replicas == set.replicas()
            && st.replicas == set.replicas()
        {
            st.current_revision = update_revision.clone();
            st.current_replicas = st.updated_replicas;
        }
        if st != set.status {
            let mut ns = set.clone();
            ns.status = st;
            ctx.request_reply(Request::UpdateStatus(Object::StatefulSet(Box::new(ns))));
        }
        // A pod not yet available is checked again when minReadySeconds have passed.
        if min_ready > 0 {
            if let Some(t) = pods.iter().filter(|p| is_running_and_ready(p) && !is_available(p, min_ready, now)).filter_map(|p| ready_time(p)).min() {
                let at = t.0 + SimDuration::from_secs(min_ready as u64) + SimDuration::from_ms(1);
                ctx.requeue_after(&mut self.queue, key.clone(), at.since(now));
            }
        }
        if sync_failed {
            return Synced::Failed;
        }
        Synced::Done
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        let (ns, pod_name, set_name, verb) = match req {
            Request::Create(Object::Pod(p)) => {
                let Some(r) = p.metadata.controller_ref() else { return };
                (p.metadata.namespace.to_string(), p.metadata.name.to_string(), r.name.clone(), "create")
            }
            Request::Delete { key, uid: Some(uid), .. } if key.kind == Kind::Pod => {
                let Some(((ns, set), name)) = self.deleting.remove(uid) else { return };
                (ns, name, set, "delete")
            }
            Request::Create(Object::ControllerRevision(cr)) => {
                // A refused revision is created again at the next sync (AlreadyExists: the
                // one wanted is there, or a hash collision ksim does not resolve).
                if matches!(resp, Response::Error(st) if st.reason != "AlreadyExists") {
                    self.revisions_in_flight.remove(&(cr.metadata.namespace.to_string(), cr.metadata.name.to_string()));
                    if let Some(r) = cr.metadata.controller_ref() {
                        ctx.requeue_rate_limited(&mut self.queue, (cr.metadata.namespace.to_string(), r.name.clone()));
                    }
                }
                return;
            }
            Request::UpdateStatus(Object::StatefulSet(s)) => {
                if matches!(resp, Response::Error(_)) {
                    ctx.requeue_rate_limited(&mut self.queue, (s.metadata.namespace.to_string(), s.metadata.name.to_string()));
                }
                return;
            }
            _ => return,
        };
        let key = (ns.clone(), set_name.clone());
        let owner = inf.get(&Kind::StatefulSet, &ns, &set_name).cloned();
        match resp {
            Response::Error(st) => {
                if let Some(o) = &owner {
                    let reason = if verb == "create" { "FailedCreate" } else { "FailedDelete" };
                    ctx.event(o, "Warning", reason, &format!("{verb} Pod {pod_name} in StatefulSet {set_name} failed error: {}", st.message));
                }
                if let Some(s) = self.in_flight.get_mut(&key) {
                    s.remove(&pod_name);
                }
                if st.reason != "NotFound" {
                    ctx.requeue_rate_limited(&mut self.queue, key);
                }
            }
            _ => {
                if let Some(o) = &owner {
                    let reason = if verb == "create" { "SuccessfulCreate" } else { "SuccessfulDelete" };
                    ctx.event(o, "Normal", reason, &format!("{verb} Pod {pod_name} in StatefulSet {set_name} successful"));
                }
            }
        }
    }
}

/// The partition of a RollingUpdate (0 without one).
fn update_partition(set: &StatefulSet) -> i32 {
    set.spec.update_strategy.rolling_update.as_ref().and_then(|r| r.partition).unwrap_or(0).max(0)
}
