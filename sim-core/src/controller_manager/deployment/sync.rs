//! pkg/controller/deployment/sync.go: finding (and creating) the new ReplicaSet and
//! syncing revisions (getAllReplicaSetsAndSyncRevision, getNewReplicaSet), scaling
//! events and proportional scaling (isScalingEvent, scale), paused Deployments (sync,
//! checkPausedConditions), revision history cleanup (cleanupDeployment) and status
//! (calculateStatus, syncDeploymentStatus).
//!
//! A sync works on a `Plan`: upstream's `d.DeepCopy()` plus the writes it makes, in order.
//! Each write goes to the apiserver as upstream's client call would, with the resource
//! version the controller read (so a stale read conflicts), and its event is recorded
//! when the answer comes (see mod.rs).

use super::util::{self, *};
use crate::api::deployment::{Deployment, DeploymentStatus};
use crate::api::meta::Time;
use crate::api::replica_set::{ReplicaSet, ReplicaSetSpec};

/// One write of a sync, in the order upstream makes it.
#[derive(Clone, Debug)]
pub enum Write {
    /// Create the new ReplicaSet (its spec.replicas is the size it starts with).
    CreateReplicaSet(ReplicaSet),
    /// Update a ReplicaSet; `scaled` = (operation, from, to) when its size changes.
    UpdateReplicaSet { rs: ReplicaSet, scaled: Option<(&'static str, i32, i32)> },
    /// Delete an old ReplicaSet (revision history cleanup).
    DeleteReplicaSet(ReplicaSet),
    /// UpdateStatus of the Deployment (the status strategy keeps its annotations too).
    UpdateStatus(Box<Deployment>),
    /// An Event recorded at once (not tied to a write).
    Event { type_: &'static str, reason: &'static str, message: String },
}

/// A sync in progress: the working copy of the Deployment and the writes so far.
#[derive(Clone, Debug)]
pub struct Plan {
    pub d: Deployment,
    pub now: Time,
    pub writes: Vec<Write>,
    /// Requeue the Deployment after this long (requeueStuckDeployment).
    pub requeue_after_ms: Option<u64>,
    /// Requeue it with the rate limiter (requeueStuckDeployment near the deadline).
    pub requeue_rate_limited: bool,
}

impl Plan {
    pub fn new(d: Deployment, now: Time) -> Self {
        Plan { d, now, writes: Vec::new(), requeue_after_ms: None, requeue_rate_limited: false }
    }

    fn update_status(&mut self) {
        self.writes.push(Write::UpdateStatus(Box::new(self.d.clone())));
    }
}

/// controller.ComputeHash: FNV-32a over the template, printed in decimal and mapped
/// through SafeEncodeString. Upstream hashes Go's spew dump of the struct; ksim hashes
/// its canonical JSON, so values differ from a real cluster's, but not their shape.
pub fn compute_hash(template: &crate::api::pod::PodTemplateSpec, collision_count: Option<i32>) -> String {
    const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
    let mut bytes = serde_json::to_vec(template).expect("a pod template serializes");
    if let Some(c) = collision_count {
        bytes.extend_from_slice(&(c as u32).to_le_bytes());
        bytes.extend_from_slice(&[0, 0, 0, 0]);
    }
    fnv32a(&bytes).to_string().bytes().map(|b| ALPHANUMS[(b as usize) % ALPHANUMS.len()] as char).collect()
}

pub fn fnv32a(data: &[u8]) -> u32 {
    let mut h: u32 = 0x811c_9dc5;
    for b in data {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    h
}

fn skip_copy_annotation(k: &str) -> bool {
    [LAST_APPLIED, REVISION, REVISION_HISTORY, DESIRED_REPLICAS, MAX_REPLICAS, DEPRECATED_ROLLBACK_TO].contains(&k)
}

/// copyDeploymentAnnotationsToReplicaSet.
fn copy_annotations(d: &Deployment, rs: &mut ReplicaSet) -> bool {
    let mut changed = false;
    for (k, v) in &d.metadata.annotations {
        if skip_copy_annotation(k) || rs.metadata.annotations.get(k) == Some(v) {
            continue;
        }
        rs.metadata.annotations.insert(k.clone(), v.clone());
        changed = true;
    }
    changed
}

/// SetNewReplicaSetAnnotations: the Deployment's annotations, the revision (never
/// lowered; the superseded one kept in revision-history, at most
/// `rev_history_limit_in_chars` long, when rolling back to this ReplicaSet), and for a
/// new one the replica annotations.
pub fn set_new_replica_set_annotations(d: &Deployment, rs: &mut ReplicaSet, new_revision: i64, exists: bool, rev_history_limit_in_chars: usize) -> bool {
    let mut changed = copy_annotations(d, rs);
    let old = rs.metadata.annotations.get(REVISION).cloned();
    let old_int = match old.as_deref().map(str::parse::<i64>) {
        Some(Ok(v)) => v,
        Some(Err(_)) if old.as_deref() != Some("") => return false,
        _ => 0,
    };
    if old_int < new_revision {
        rs.metadata.annotations.insert(REVISION.into(), new_revision.to_string());
        changed = true;
    }
    if let (Some(old), true) = (old, old_int < new_revision) {
        let history = rs.metadata.annotations.get(REVISION_HISTORY).cloned().unwrap_or_default();
        let mut olds: Vec<&str> = history.split(',').collect();
        if olds[0].is_empty() {
            rs.metadata.annotations.insert(REVISION_HISTORY.into(), old);
        } else {
            let mut total = history.len() + old.len() + 1;
            let mut start = 0;
            while total > rev_history_limit_in_chars && start < olds.len() {
                total -= olds[start].len() + 1;
                start += 1;
            }
            if total <= rev_history_limit_in_chars {
                olds = olds.split_off(start);
                olds.push(&old);
                rs.metadata.annotations.insert(REVISION_HISTORY.into(), olds.join(","));
            }
        }
    }
    if !exists && set_replicas_annotations(rs, d.replicas(), d.replicas().saturating_add(max_surge(d))) {
        changed = true;
    }
    changed
}

/// SetDeploymentRevision: whether the Deployment's revision annotation changed.
fn set_deployment_revision(d: &mut Deployment, revision: &str) -> bool {
    if d.metadata.annotations.get(REVISION).map(String::as_str) == Some(revision) {
        return false;
    }
    d.metadata.annotations.insert(REVISION.into(), revision.to_string());
    true
}

/// getAllReplicaSetsAndSyncRevision: the new ReplicaSet (created when asked and missing)
/// and the old ones.
pub fn get_all_replica_sets_and_sync_revision(p: &mut Plan, rs_list: &[ReplicaSet], create: bool) -> (Option<ReplicaSet>, Vec<ReplicaSet>) {
    let new_idx = find_new_replica_set(&p.d, rs_list);
    let old: Vec<ReplicaSet> = rs_list.iter().enumerate().filter(|(i, _)| Some(*i) != new_idx).map(|(_, r)| r.clone()).collect();
    let new = get_new_replica_set(p, new_idx.map(|i| &rs_list[i]), &old, create);
    (new, old)
}

/// generateReplicaSetName: NAME-HASH, the Deployment's name cut so that the whole fits
/// a DNS-1123 subdomain (253 characters); a hash too long for any cut is left whole.
pub fn generate_replica_set_name(deployment_name: &str, hash: &str) -> String {
    const DNS1123_SUBDOMAIN_MAX_LENGTH: usize = 253;
    match DNS1123_SUBDOMAIN_MAX_LENGTH.checked_sub(1 + hash.len()) {
        Some(max) if max > 0 && deployment_name.len() > max => format!("{}-{hash}", &deployment_name[..max]),
        _ => format!("{deployment_name}-{hash}"),
    }
}

/// getNewReplicaSet.
fn get_new_replica_set(p: &mut Plan, existing: Option<&ReplicaSet>, old: &[ReplicaSet], create: bool) -> Option<ReplicaSet> {
    let new_revision = max_revision(old) + 1;
    if let Some(existing) = existing {
        let mut rs = existing.clone();
        let annotations_updated = set_new_replica_set_annotations(&p.d, &mut rs, new_revision, true, MAX_REV_HISTORY_LENGTH_IN_CHARS);
        let min_ready_needs_update = rs.spec.min_ready_seconds != p.d.spec.min_ready_seconds;
        if annotations_updated || min_ready_needs_update {
            rs.spec.min_ready_seconds = p.d.spec.min_ready_seconds;
            p.writes.push(Write::UpdateReplicaSet { rs: rs.clone(), scaled: None });
            return Some(rs);
        }
        let rev = rs.metadata.annotations.get(REVISION).cloned().unwrap_or_default();
        let mut needs_update = set_deployment_revision(&mut p.d, &rev);
        if has_progress_deadline(&p.d) && get_condition(&p.d.status, PROGRESSING).is_none() {
            let c = new_condition(PROGRESSING, "True", FOUND_NEW_RS_REASON, format!("Found new replica set {:?}", rs.metadata.name), p.now);
            set_condition(&mut p.d.status, c);
            needs_update = true;
        }
        if needs_update {
            p.update_status();
        }
        return Some(rs);
    }
    if !create {
        return None;
    }
    let mut template = p.d.spec.template.clone();
    let hash = compute_hash(&template, p.d.status.collision_count);
    template.metadata.labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
    let mut selector = p.d.spec.selector.clone().unwrap_or_default();
    selector.match_labels.insert(POD_TEMPLATE_HASH.into(), hash.clone());
    let mut rs = ReplicaSet::default();
    rs.metadata.name = generate_replica_set_name(&p.d.metadata.name, &hash).into();
    rs.metadata.namespace = p.d.metadata.namespace.clone();
    *rs.metadata.owner_references =
        vec![crate::controller_manager::controller_utils::controller_ref("apps/v1", "Deployment", &p.d.metadata.name, &p.d.metadata.uid)];
    rs.metadata.labels = template.metadata.labels.clone();
    rs.spec = ReplicaSetSpec { replicas: Some(0), min_ready_seconds: p.d.spec.min_ready_seconds, selector: Some(selector), template };
    let mut all: Vec<ReplicaSet> = old.to_vec();
    all.push(rs.clone());
    let n = new_rs_new_replicas(&p.d, &all, &rs);
    rs.spec.replicas = Some(n);
    set_new_replica_set_annotations(&p.d, &mut rs, new_revision, false, MAX_REV_HISTORY_LENGTH_IN_CHARS);
    p.writes.push(Write::CreateReplicaSet(rs.clone()));
    // After the create (the answer records ScalingReplicaSet or ReplicaSetCreateError).
    let mut needs_update = set_deployment_revision(&mut p.d, &new_revision.to_string());
    if has_progress_deadline(&p.d) {
        let c = new_condition(PROGRESSING, "True", NEW_RS_NEW_REASON, format!("Created new replica set {:?}", rs.metadata.name), p.now);
        set_condition(&mut p.d.status, c);
        needs_update = true;
    }
    if needs_update {
        p.update_status();
    }
    Some(rs)
}

/// scaleReplicaSetAndRecordEvent: returns whether it scaled, and the updated copy.
pub fn scale_replica_set_and_record_event(p: &mut Plan, rs: &ReplicaSet, new_scale: i32) -> (bool, ReplicaSet) {
    if util::replicas(rs) == new_scale {
        return (false, rs.clone());
    }
    let op = if util::replicas(rs) < new_scale { "up" } else { "down" };
    scale_replica_set(p, rs, new_scale, op)
}

/// scaleReplicaSet: the size and the replica annotations in one update.
pub fn scale_replica_set(p: &mut Plan, rs: &ReplicaSet, new_scale: i32, op: &'static str) -> (bool, ReplicaSet) {
    let size_needs_update = util::replicas(rs) != new_scale;
    let (desired, max) = (p.d.replicas(), p.d.replicas().saturating_add(max_surge(&p.d)));
    let annotations_need_update = replicas_annotations_need_update(rs, desired, max);
    if !size_needs_update && !annotations_need_update {
        return (false, rs.clone());
    }
    let from = util::replicas(rs);
    let mut copy = rs.clone();
    copy.spec.replicas = Some(new_scale);
    set_replicas_annotations(&mut copy, desired, max);
    p.writes.push(Write::UpdateReplicaSet { rs: copy.clone(), scaled: size_needs_update.then_some((op, from, new_scale)) });
    (size_needs_update, copy)
}

/// isScalingEvent: an active ReplicaSet was sized for another replica count.
pub fn is_scaling_event(p: &mut Plan, rs_list: &[ReplicaSet]) -> bool {
    let (new, old) = get_all_replica_sets_and_sync_revision(p, rs_list, false);
    old.iter().chain(new.as_ref()).filter(|r| util::replicas(r) > 0).any(|r| desired_replicas_annotation(r).is_some_and(|want| want != p.d.replicas()))
}

/// scale: a scaling event (or a paused Deployment) resizes the active ReplicaSets —
/// all of it to the only active one, old ones to 0 when the new one is saturated, else
/// proportionally to their sizes (largest first; leftovers to the largest).
pub fn scale(p: &mut Plan, new: Option<&ReplicaSet>, old: &[ReplicaSet]) {
    if let Some(target) = find_active_or_latest(new, old) {
        if util::replicas(&target) != p.d.replicas() {
            let n = p.d.replicas();
            scale_replica_set_and_record_event(p, &target, n);
        }
        return;
    }
    if is_saturated(&p.d, new) {
        for o in old.iter().filter(|r| util::replicas(r) > 0) {
            scale_replica_set_and_record_event(p, o, 0);
        }
        return;
    }
    if !is_rolling_update(&p.d) {
        return;
    }
    let mut all: Vec<ReplicaSet> = old.iter().chain(new).filter(|r| util::replicas(r) > 0).cloned().collect();
    let current = replica_count(&all);
    let allowed = if p.d.replicas() > 0 { p.d.replicas() + max_surge(&p.d) } else { 0 };
    let to_add = allowed - current;
    let op = match to_add.cmp(&0) {
        std::cmp::Ordering::Greater => {
            all.sort_by(by_size_newer);
            "up"
        }
        std::cmp::Ordering::Less => {
            all.sort_by(by_size_older);
            "down"
        }
        std::cmp::Ordering::Equal => "",
    };
    let mut added = 0;
    let mut sizes: Vec<i32> = Vec::with_capacity(all.len());
    for rs in &all {
        if to_add != 0 {
            let proportion = replica_set_proportion(rs, &p.d, to_add, added);
            sizes.push(util::replicas(rs) + proportion);
            added += proportion;
        } else {
            sizes.push(util::replicas(rs));
        }
    }
    for (i, rs) in all.iter().enumerate() {
        if i == 0 && to_add != 0 {
            sizes[0] = (sizes[0] + to_add - added).max(0);
        }
        scale_replica_set(p, rs, sizes[i], op);
    }
}

/// sync: scale (a paused Deployment or a scaling event), clean up history when paused,
/// and report status.
pub fn sync(p: &mut Plan, rs_list: &[ReplicaSet]) {
    let (new, old) = get_all_replica_sets_and_sync_revision(p, rs_list, false);
    scale(p, new.as_ref(), &old);
    if p.d.spec.paused == Some(true) {
        cleanup_deployment(p, &old);
    }
    let mut all = old;
    all.extend(new.clone());
    sync_deployment_status(p, &all, new.as_ref());
}

/// checkPausedConditions: Progressing becomes Unknown/DeploymentPaused while paused and
/// Unknown/DeploymentResumed when resumed (unless it timed out).
pub fn check_paused_conditions(p: &mut Plan) {
    if !has_progress_deadline(&p.d) {
        return;
    }
    let cond = get_condition(&p.d.status, PROGRESSING);
    if cond.is_some_and(|c| c.reason == TIMED_OUT_REASON) {
        return;
    }
    let paused_exists = cond.is_some_and(|c| c.reason == PAUSED_DEPLOY_REASON);
    let paused = p.d.spec.paused == Some(true);
    let c = if paused && !paused_exists {
        new_condition(PROGRESSING, "Unknown", PAUSED_DEPLOY_REASON, "Deployment is paused".into(), p.now)
    } else if !paused && paused_exists {
        new_condition(PROGRESSING, "Unknown", RESUMED_DEPLOY_REASON, "Deployment is resumed".into(), p.now)
    } else {
        return;
    };
    set_condition(&mut p.d.status, c);
    p.update_status();
}

/// cleanupDeployment: delete the oldest ReplicaSets beyond revisionHistoryLimit that
/// have no replicas, asked for or running.
pub fn cleanup_deployment(p: &mut Plan, old: &[ReplicaSet]) {
    if !has_revision_history_limit(&p.d) {
        return;
    }
    let mut cleanable: Vec<&ReplicaSet> = old.iter().filter(|r| r.metadata.rare.deletion_timestamp.is_none()).collect();
    let limit = i64::from(p.d.spec.revision_history_limit.unwrap_or(10));
    let diff = cleanable.len() as i64 - limit;
    if diff <= 0 {
        return;
    }
    // ReplicaSetsByRevision: by revision, then creation.
    cleanable.sort_by(|a, b| revision(a).cmp(&revision(b)).then_with(|| by_creation(a, b)));
    for rs in cleanable.into_iter().take(diff as usize) {
        if rs.status.replicas != 0 || util::replicas(rs) != 0 || rs.metadata.rare.generation > rs.status.observed_generation {
            continue;
        }
        p.writes.push(Write::DeleteReplicaSet(rs.clone()));
    }
}

/// calculateStatus.
pub fn calculate_status(all: &[ReplicaSet], new: Option<&ReplicaSet>, d: &Deployment, now: Time) -> DeploymentStatus {
    let available = available_replica_count(all);
    let total = replica_count(all);
    let mut st = DeploymentStatus {
        observed_generation: d.metadata.rare.generation,
        replicas: actual_replica_count(all),
        updated_replicas: new.map_or(0, |r| r.status.replicas),
        ready_replicas: ready_replica_count(all),
        available_replicas: available,
        unavailable_replicas: (total - available).max(0),
        terminating_replicas: None,
        conditions: d.status.conditions.clone(),
        collision_count: d.status.collision_count,
    };
    if available >= d.replicas() - max_unavailable(d) {
        set_condition(&mut st, new_condition(AVAILABLE, "True", MINIMUM_REPLICAS_AVAILABLE, "Deployment has minimum availability.".into(), now));
    } else {
        set_condition(&mut st, new_condition(AVAILABLE, "False", MINIMUM_REPLICAS_UNAVAILABLE, "Deployment does not have minimum availability.".into(), now));
    }
    st
}

/// syncDeploymentStatus.
pub fn sync_deployment_status(p: &mut Plan, all: &[ReplicaSet], new: Option<&ReplicaSet>) {
    let st = calculate_status(all, new, &p.d, p.now);
    if st == p.d.status {
        return;
    }
    p.d.status = st;
    p.update_status();
}
