//! pkg/controller/deployment/util/deployment_util.go: the arithmetic of rollouts —
//! maxSurge / maxUnavailable (ResolveFenceposts, MaxSurge, MaxUnavailable), how far the
//! new ReplicaSet may grow (NewRSNewReplicas), proportional scaling
//! (GetReplicaSetProportion, getReplicaSetFraction), the replica annotations, finding the
//! new and old ReplicaSets, revisions, conditions, and the complete / progressing /
//! timed-out tests.

use crate::api::deployment::{Deployment, DeploymentCondition, DeploymentStatus};
use crate::api::meta::{IntOrString, Time};
use crate::api::pod::PodTemplateSpec;
use crate::api::replica_set::ReplicaSet;
use std::cmp::Ordering;

pub const POD_TEMPLATE_HASH: &str = "pod-template-hash";
pub const REVISION: &str = "deployment.kubernetes.io/revision";
pub const REVISION_HISTORY: &str = "deployment.kubernetes.io/revision-history";
pub const DESIRED_REPLICAS: &str = "deployment.kubernetes.io/desired-replicas";
pub const MAX_REPLICAS: &str = "deployment.kubernetes.io/max-replicas";
pub const LAST_APPLIED: &str = "kubectl.kubernetes.io/last-applied-configuration";
pub const DEPRECATED_ROLLBACK_TO: &str = "deprecated.deployment.rollback.to";
/// maxRevHistoryLengthInChars.
pub const MAX_REV_HISTORY_LENGTH_IN_CHARS: usize = 2000;

// Condition types and reasons (deployment_util.go).
pub const AVAILABLE: &str = "Available";
pub const PROGRESSING: &str = "Progressing";
pub const REPLICA_FAILURE: &str = "ReplicaFailure";
pub const MINIMUM_REPLICAS_AVAILABLE: &str = "MinimumReplicasAvailable";
pub const MINIMUM_REPLICAS_UNAVAILABLE: &str = "MinimumReplicasUnavailable";
pub const NEW_RS_NEW_REASON: &str = "NewReplicaSetCreated";
pub const FOUND_NEW_RS_REASON: &str = "FoundNewReplicaSet";
pub const NEW_RS_AVAILABLE_REASON: &str = "NewReplicaSetAvailable";
pub const REPLICA_SET_UPDATED_REASON: &str = "ReplicaSetUpdated";
pub const TIMED_OUT_REASON: &str = "ProgressDeadlineExceeded";
pub const FAILED_RS_CREATE_REASON: &str = "ReplicaSetCreateError";
pub const PAUSED_DEPLOY_REASON: &str = "DeploymentPaused";
pub const RESUMED_DEPLOY_REASON: &str = "DeploymentResumed";

/// math.MaxInt32: a progressDeadlineSeconds that means "no deadline".
pub const NO_PROGRESS_DEADLINE: i32 = i32::MAX;

pub fn is_rolling_update(d: &Deployment) -> bool {
    d.spec.strategy.as_ref().is_none_or(|s| s.type_.is_empty() || s.type_ == "RollingUpdate")
}

pub fn is_recreate(d: &Deployment) -> bool {
    d.spec.strategy.as_ref().is_some_and(|s| s.type_ == "Recreate")
}

fn rolling(d: &Deployment) -> (Option<&IntOrString>, Option<&IntOrString>) {
    let ru = d.spec.strategy.as_ref().and_then(|s| s.rolling_update.as_ref());
    (ru.and_then(|r| r.max_surge.as_ref()), ru.and_then(|r| r.max_unavailable.as_ref()))
}

/// ResolveFenceposts: maxSurge rounded up, maxUnavailable rounded down; both 0 → 1
/// unavailable ("surge might not work due to quota").
pub fn resolve_fenceposts(max_surge: Option<&IntOrString>, max_unavailable: Option<&IntOrString>, desired: i32) -> (i32, i32) {
    let surge = max_surge.map_or(Ok(0), |v| v.scaled_value(desired, true)).unwrap_or(0);
    let unavailable = max_unavailable.map_or(Ok(0), |v| v.scaled_value(desired, false)).unwrap_or(0);
    if surge == 0 && unavailable == 0 {
        (0, 1)
    } else {
        (surge, unavailable)
    }
}

/// MaxUnavailable: 0 unless RollingUpdate with replicas > 0; never more than replicas.
pub fn max_unavailable(d: &Deployment) -> i32 {
    if !is_rolling_update(d) || d.replicas() == 0 {
        return 0;
    }
    let (s, u) = rolling(d);
    resolve_fenceposts(s, u, d.replicas()).1.min(d.replicas())
}

/// MaxSurge: 0 unless RollingUpdate.
pub fn max_surge(d: &Deployment) -> i32 {
    if !is_rolling_update(d) {
        return 0;
    }
    let (s, u) = rolling(d);
    resolve_fenceposts(s, u, d.replicas()).0
}

pub fn replicas(rs: &ReplicaSet) -> i32 {
    rs.replicas()
}

/// GetReplicaCountForReplicaSets: Σ spec.replicas.
pub fn replica_count(rss: &[ReplicaSet]) -> i32 {
    rss.iter().map(replicas).sum()
}

/// GetActualReplicaCountForReplicaSets: Σ status.replicas.
pub fn actual_replica_count(rss: &[ReplicaSet]) -> i32 {
    rss.iter().map(|r| r.status.replicas).sum()
}

pub fn ready_replica_count(rss: &[ReplicaSet]) -> i32 {
    rss.iter().map(|r| r.status.ready_replicas).sum()
}

pub fn available_replica_count(rss: &[ReplicaSet]) -> i32 {
    rss.iter().map(|r| r.status.available_replicas).sum()
}

/// NewRSNewReplicas: how many replicas the new ReplicaSet may have now.
pub fn new_rs_new_replicas(d: &Deployment, all: &[ReplicaSet], new_rs: &ReplicaSet) -> i32 {
    if is_recreate(d) {
        return d.replicas();
    }
    // Upstream scales maxSurge straight from the field (GetScaledValueFromIntOrPercent,
    // rounded up), not through ResolveFenceposts.
    let surge = rolling(d).0.map_or(Ok(0), |v| v.scaled_value(d.replicas(), true)).unwrap_or(0);
    let current = replica_count(all);
    let max_total = d.replicas().saturating_add(surge);
    if current >= max_total {
        return replicas(new_rs);
    }
    let up = (max_total - current).min(d.replicas() - replicas(new_rs));
    replicas(new_rs) + up
}

/// getNonNegativeInt32FromAnnotation: the annotation as a number in 0..=MaxInt32
/// (strconv.ParseUint: decimal digits only, no sign); anything else is no value.
pub fn non_negative_i32_from_annotation(rs: &ReplicaSet, key: &str) -> Option<i32> {
    let v = rs.metadata.annotations.get(key)?;
    if !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    v.parse::<u32>().ok().and_then(|n| i32::try_from(n).ok())
}

/// GetDesiredReplicasAnnotation.
pub fn desired_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    non_negative_i32_from_annotation(rs, DESIRED_REPLICAS)
}

/// getMaxReplicasAnnotation.
pub fn max_replicas_annotation(rs: &ReplicaSet) -> Option<i32> {
    non_negative_i32_from_annotation(rs, MAX_REPLICAS)
}

/// SetReplicasAnnotations: returns whether anything changed.
pub fn set_replicas_annotations(rs: &mut ReplicaSet, desired: i32, max: i32) -> bool {
    let mut changed = false;
    for (k, v) in [(DESIRED_REPLICAS, desired), (MAX_REPLICAS, max)] {
        let v = v.to_string();
        if rs.metadata.annotations.get(k) != Some(&v) {
            rs.metadata.annotations.insert(k.into(), v);
            changed = true;
        }
    }
    changed
}

/// ReplicasAnnotationsNeedUpdate.
pub fn replicas_annotations_need_update(rs: &ReplicaSet, desired: i32, max: i32) -> bool {
    rs.metadata.annotations.get(DESIRED_REPLICAS) != Some(&desired.to_string()) || rs.metadata.annotations.get(MAX_REPLICAS) != Some(&max.to_string())
}

/// round(a / b) for a ≥ 0, b > 0, as integer.RoundToInt32 rounds the float (half up).
fn round_div(a: i64, b: i64) -> i64 {
    (2 * a + b) / (2 * b)
}

/// getReplicaSetFraction: the change in size proportional to the Deployment's new
/// maximum (replicas + maxSurge) over the maximum the ReplicaSet was sized for.
pub fn replica_set_fraction(rs: &ReplicaSet, d: &Deployment) -> i32 {
    if d.replicas() == 0 {
        return -replicas(rs);
    }
    let max_now = i64::from(d.replicas()) + i64::from(max_surge(d));
    let before = match max_replicas_annotation(rs) {
        Some(m) if m != 0 => i64::from(m),
        _ => {
            if d.status.replicas == 0 {
                return 0;
            }
            i64::from(d.status.replicas)
        }
    };
    let size = i64::from(replicas(rs)) * max_now;
    let new_size = if size >= 0 { round_div(size, before) } else { -round_div(-size, before) };
    (new_size - i64::from(replicas(rs))) as i32
}

/// GetReplicaSetProportion: this ReplicaSet's share of `to_add`, given `added` so far.
pub fn replica_set_proportion(rs: &ReplicaSet, d: &Deployment, to_add: i32, added: i32) -> i32 {
    if replicas(rs) == 0 || to_add == 0 || to_add == added {
        return 0;
    }
    let fraction = replica_set_fraction(rs, d);
    let allowed = to_add - added;
    if to_add > 0 {
        fraction.min(allowed)
    } else {
        fraction.max(allowed)
    }
}

/// The template without the pod-template-hash label (EqualIgnoreHash's comparison).
fn without_hash(t: &PodTemplateSpec) -> PodTemplateSpec {
    let mut t = t.clone();
    t.metadata.labels.remove(POD_TEMPLATE_HASH);
    t
}

/// EqualIgnoreHash.
pub fn equal_ignore_hash(a: &PodTemplateSpec, b: &PodTemplateSpec) -> bool {
    without_hash(a) == without_hash(b)
}

/// ReplicaSetsByCreationTimestamp (oldest first, then by name).
pub fn by_creation(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    a.metadata.creation_timestamp.cmp(&b.metadata.creation_timestamp).then_with(|| a.metadata.name.cmp(&b.metadata.name))
}

/// ReplicaSetsBySizeOlder: larger first, then older first.
pub fn by_size_older(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    replicas(b).cmp(&replicas(a)).then_with(|| by_creation(a, b))
}

/// ReplicaSetsBySizeNewer: larger first, then newer first.
pub fn by_size_newer(a: &ReplicaSet, b: &ReplicaSet) -> Ordering {
    replicas(b).cmp(&replicas(a)).then_with(|| by_creation(b, a))
}

/// Revision: the revision annotation (0 when missing or not a number).
pub fn revision(rs: &ReplicaSet) -> i64 {
    rs.metadata.annotations.get(REVISION).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0)
}

/// MaxRevision of the old ReplicaSets.
pub fn max_revision(rss: &[ReplicaSet]) -> i64 {
    rss.iter().map(revision).max().unwrap_or(0)
}

/// FindNewReplicaSet: the oldest ReplicaSet whose template equals the Deployment's.
pub fn find_new_replica_set(d: &Deployment, rss: &[ReplicaSet]) -> Option<usize> {
    let mut idx: Vec<usize> = (0..rss.len()).collect();
    idx.sort_by(|&a, &b| by_creation(&rss[a], &rss[b]));
    idx.into_iter().find(|&i| equal_ignore_hash(&rss[i].spec.template, &d.spec.template))
}

/// FindActiveOrLatest: the only active ReplicaSet, or the newest when none is active.
pub fn find_active_or_latest(new_rs: Option<&ReplicaSet>, old: &[ReplicaSet]) -> Option<ReplicaSet> {
    if new_rs.is_none() && old.is_empty() {
        return None;
    }
    let mut old_sorted: Vec<&ReplicaSet> = old.iter().collect();
    old_sorted.sort_by(|a, b| by_creation(b, a));
    let active: Vec<&ReplicaSet> = old_sorted.iter().copied().chain(new_rs).filter(|r| replicas(r) > 0).collect();
    match active.len() {
        0 => Some(new_rs.unwrap_or(old_sorted[0]).clone()),
        1 => Some(active[0].clone()),
        _ => None,
    }
}

/// IsSaturated: the new ReplicaSet has all the Deployment's replicas, available.
pub fn is_saturated(d: &Deployment, rs: Option<&ReplicaSet>) -> bool {
    let Some(rs) = rs else { return false };
    desired_replicas_annotation(rs) == Some(d.replicas()) && rs.status.available_replicas == d.replicas() && replicas(rs) == d.replicas()
}

pub fn has_progress_deadline(d: &Deployment) -> bool {
    d.spec.progress_deadline_seconds.is_some_and(|s| s != NO_PROGRESS_DEADLINE)
}

pub fn has_revision_history_limit(d: &Deployment) -> bool {
    d.spec.revision_history_limit.is_some_and(|l| l != i32::MAX)
}

pub fn get_condition<'a>(st: &'a DeploymentStatus, type_: &str) -> Option<&'a DeploymentCondition> {
    st.conditions.iter().find(|c| c.type_ == type_)
}

/// NewDeploymentCondition.
pub fn new_condition(type_: &str, status: &str, reason: &str, message: String, now: Time) -> DeploymentCondition {
    DeploymentCondition {
        type_: type_.into(),
        status: status.into(),
        last_update_time: Some(now),
        last_transition_time: Some(now),
        reason: reason.into(),
        message,
    }
}

/// SetDeploymentCondition: replaces the condition of its type unless status and reason
/// are the same; the transition time stays when the status does.
pub fn set_condition(st: &mut DeploymentStatus, mut c: DeploymentCondition) {
    if let Some(cur) = get_condition(st, &c.type_) {
        if cur.status == c.status && cur.reason == c.reason {
            return;
        }
        if cur.status == c.status {
            c.last_transition_time = cur.last_transition_time;
        }
    }
    st.conditions.retain(|x| x.type_ != c.type_);
    st.conditions.push(c);
}

pub fn remove_condition(st: &mut DeploymentStatus, type_: &str) {
    st.conditions.retain(|c| c.type_ != type_);
}

/// DeploymentComplete.
pub fn deployment_complete(d: &Deployment, st: &DeploymentStatus) -> bool {
    st.updated_replicas == d.replicas()
        && st.replicas == d.replicas()
        && st.available_replicas == d.replicas()
        && st.observed_generation >= d.metadata.rare.generation
}

/// DeploymentProgressing: more updated, ready or available replicas, or fewer old ones.
pub fn deployment_progressing(d: &Deployment, st: &DeploymentStatus) -> bool {
    let old = &d.status;
    let old_old = old.replicas - old.updated_replicas;
    let new_old = st.replicas - st.updated_replicas;
    st.updated_replicas > old.updated_replicas || new_old < old_old || st.ready_replicas > old.ready_replicas || st.available_replicas > old.available_replicas
}

/// DeploymentTimedOut: no progress reported for progressDeadlineSeconds (strictly).
pub fn deployment_timed_out(d: &Deployment, st: &DeploymentStatus, now: Time) -> bool {
    if !has_progress_deadline(d) {
        return false;
    }
    let Some(c) = get_condition(st, PROGRESSING) else { return false };
    if c.reason == NEW_RS_AVAILABLE_REASON {
        return false;
    }
    if c.reason == TIMED_OUT_REASON {
        return true;
    }
    let from = c.last_update_time.map_or(0, |t| t.0.as_ms());
    let deadline_ms = u64::try_from(d.spec.progress_deadline_seconds.unwrap_or(0)).unwrap_or(0) * 1000;
    from + deadline_ms < now.0.as_ms()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// deployment_util_test.go TestResolveFenceposts.
    #[test]
    fn fenceposts() {
        let cases: &[(&str, &str, i32, i32, i32)] = &[
            ("0", "0", 0, 0, 1),
            ("39%", "39%", 10, 4, 3),
            ("55%", "1", 10, 6, 1),
            ("5", "55%", 10, 5, 5),
            ("5", "0", 10, 5, 0),
            ("0", "5", 10, 0, 5),
            ("50%", "50%", 0, 0, 1),
        ];
        let v = |s: &str| s.parse::<i32>().map(IntOrString::Int).unwrap_or_else(|_| IntOrString::String(s.into()));
        for (surge, unavail, desired, want_s, want_u) in cases {
            let (s, u) = resolve_fenceposts(Some(&v(surge)), Some(&v(unavail)), *desired);
            assert_eq!((s, u), (*want_s, *want_u), "{surge} {unavail} {desired}");
        }
    }

    #[test]
    fn rounding_is_half_up() {
        assert_eq!(round_div(5, 2), 3);
        assert_eq!(round_div(4, 3), 1);
        assert_eq!(round_div(0, 7), 0);
    }
}
