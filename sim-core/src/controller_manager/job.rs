//! The Job controller (pkg/controller/job/job_controller.go syncJob and manageJob,
//! backoff_utils.go, indexed_job_utils.go, pod_failure_policy.go, success_policy.go), as
//! v1.34 runs it with its GA gates (JobPodReplacementPolicy, JobSuccessPolicy,
//! JobBackoffLimitPerIndex, JobPodFailurePolicy; the interim conditions always on):
//!
//! - the pods a Job owns (controller reference) are counted: finished ones once each
//!   (Succeeded; Failed, or being deleted before succeeding — isPodFailed with the
//!   TerminatingOrFailed replacement policy), active ones (neither terminal nor being
//!   deleted), terminating ones (being deleted, not yet terminal), ready ones;
//! - failed > backoffLimit, or (restartPolicy OnFailure) the active pods' restarts
//!   reaching it (pastBackoffLimitOnFailure) → `FailureTarget` BackoffLimitExceeded; the
//!   deadline (`activeDeadlineSeconds` since startTime) → `FailureTarget`
//!   DeadlineExceeded; a failed pod matching a podFailurePolicy FailJob rule →
//!   `FailureTarget` PodFailurePolicy (an Ignore rule's failures are not counted; a
//!   FailIndex rule fails the index); with backoffLimitPerIndex, an index whose pod fails
//!   with that many failures before it is failed for good, and the Job fails
//!   (MaxFailedIndexesExceeded, or FailedIndexes once every index succeeded or failed);
//!   the active pods are deleted, and once none is left terminating the terminal
//!   `Failed` condition follows with the Warning event;
//! - enough successes (NonIndexed: `succeeded >= completions`, or any success with no
//!   completions; Indexed: every index succeeded) with no pod left active →
//!   `SuccessCriteriaMet` CompletionsReached (or, for an Indexed Job, a successPolicy
//!   rule: SuccessPolicy "Matched rules at index N", its remaining pods deleted), then
//!   `Complete` with completionTime and the `Completed` event once nothing terminates;
//! - manageJob: want `min(completions − succeeded, parallelism)` active (parallelism,
//!   or those running once one succeeded, without completions); excess active pods are
//!   deleted (not ready first, ActivePods order); missing ones are created — Indexed
//!   Jobs get the lowest pending indexes, their pods `<job>-<index>-` names, the
//!   completion index label and annotation, `JOB_COMPLETION_INDEX` and hostname
//!   `<job>-<index>` — unless the pod-failure back-off (10 s doubling per failure since
//!   the last success, capped at MaxJobPodFailureBackOff) is still running from the last
//!   failure, in which case the Job is synced again when it ends; with TerminatingOrFailed
//!   a terminating pod is replaced at once, with Failed only once it is gone;
//! - `suspend: true` deletes the active pods and sets `Suspended` (JobSuspended, event
//!   `Suspended`); resuming sets it False (JobResumed) and restarts the clock
//!   (startTime = now);
//! - status: active, ready, terminating, succeeded, failed, completedIndexes,
//!   startTime, completionTime and the conditions, written when they change.
//!
//! Differences: upstream tracks finished pods with the `batch.kubernetes.io/job-tracking`
//! finalizer and `status.uncountedTerminatedPods`, so that a pod is counted once even if
//! the controller restarts; ksim's controller never restarts, and remembers which pods it
//! counted (and those deleted before it saw them finish, which count as failed as the
//! finalizer would have made them; those manageJob deletes — excess pods, a suspended
//! Job's — are never counted, as deleteJobPods removes their finalizer first). Pods are
//! created in one round (no slow-start batches). Pod events sync the Job 1 s later
//! (syncJobBatchPeriod), as upstream.

use super::controller_utils::{controller_ref, pod_create_answered, pod_delete_answered, pod_from_template, pods_to_delete, ControllerExpectations};
use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::job::{format_indexes, Job, JobCondition, JobStatus, JOB_COMPLETION_INDEX, JOB_COMPLETION_INDEX_ENV};
use crate::api::meta::{OwnerRefs, Text, Time};
use crate::api::pod::Pod;
use crate::api::uid::UidKey;
use crate::api::{Kind, Object};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// DefaultJobPodFailureBackOff and MaxJobPodFailureBackOff.
pub const POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_secs(10);
pub const MAX_POD_FAILURE_BACKOFF: SimDuration = SimDuration::from_secs(600);
/// syncJobBatchPeriod: pod events (and the Job's own status updates) sync the Job this
/// much later, so that a burst of them makes one sync.
pub const SYNC_BATCH_PERIOD: SimDuration = SimDuration::from_secs(1);
/// MaxPodCreateDeletePerSync.
pub const MAX_POD_CREATE_DELETE_PER_SYNC: usize = 500;

/// What the controller remembers of a Job's finished pods (upstream: the tracking
/// finalizer and the status fields it feeds).
#[derive(Debug, Default)]
struct Counted {
    uid: String,
    /// Pods already counted, by uid (compared inline: a sync looks up each of the Job's
    /// pods here).
    pods: BTreeSet<UidKey>,
    /// NonIndexed successes; an Indexed Job counts `succeeded_indexes` instead.
    succeeded: i32,
    failed: i32,
    succeeded_indexes: BTreeSet<i32>,
    /// The pod-failure back-off record: failures since the last success, and the last
    /// failure's finish time.
    failures_after_last_success: i32,
    last_failure: Option<SimTime>,
    /// Pods that left the store before their end was counted.
    gone: Vec<Finished>,
    /// The first FailJob rule a failed pod matched (getFailJobMessage).
    fail_job: Option<String>,
    /// backoffLimitPerIndex: the indexes that failed for good, and per index its
    /// (failures, ignored failures, last failure).
    failed_indexes: BTreeSet<i32>,
    index_failures: BTreeMap<i32, (i32, i32, SimTime)>,
}

/// A pod's end as the Job counts it.
#[derive(Debug, Clone)]
struct Finished {
    uid: String,
    succeeded: bool,
    index: Option<i32>,
    at: SimTime,
    /// What the podFailurePolicy rule it matched says (failed pods only).
    action: Option<&'static str>,
    fail_job: Option<String>,
    /// The failures of its index before it (its `job-index-failure-count` and
    /// `job-index-ignored-failure-count` annotations).
    index_failures: (i32, i32),
}

/// The per-index failure annotations (backoffLimitPerIndex).
pub const JOB_INDEX_FAILURE_COUNT: &str = "batch.kubernetes.io/job-index-failure-count";
pub const JOB_INDEX_IGNORED_FAILURE_COUNT: &str = "batch.kubernetes.io/job-index-ignored-failure-count";

/// A finished pod (Succeeded, or failed as isPodFailed says — `force` counts a pod that
/// is gone as failed unless it succeeded), with the pod failure policy's verdict.
fn finished_of(job: &Job, p: &Pod, force: bool) -> Option<Finished> {
    let succeeded = p.status.phase == "Succeeded";
    let only_failed = job.spec.pod_replacement_policy.as_deref() == Some("Failed");
    if !succeeded && !force && !is_pod_failed(p, only_failed) {
        return None;
    }
    let (action, fail_job) = if succeeded { (None, None) } else { match_pod_failure_policy(job, p) };
    let ann = |k: &str| p.metadata.annotations.get(k).and_then(|v| v.parse::<i32>().ok()).unwrap_or(0);
    Some(Finished {
        uid: p.metadata.uid.to_string(),
        succeeded,
        index: if job.indexed() { completion_index(p) } else { None },
        at: finished_time(p),
        action,
        fail_job,
        index_failures: (ann(JOB_INDEX_FAILURE_COUNT), ann(JOB_INDEX_IGNORED_FAILURE_COUNT)),
    })
}

/// matchPodFailurePolicy (pod_failure_policy.go): the first rule whose exit codes (of a
/// terminated container with a non-zero code, regular containers first, then init
/// containers) or pod conditions match decides: (action, the FailJob message).
fn match_pod_failure_policy(job: &Job, p: &Pod) -> (Option<&'static str>, Option<String>) {
    let Some(policy) = &job.spec.pod_failure_policy else { return (None, None) };
    for (index, rule) in policy.rules.iter().enumerate() {
        let action: &'static str = match rule.action.as_str() {
            "Ignore" => "Ignore",
            "FailJob" => "FailJob",
            "FailIndex" => "FailIndex",
            _ => "Count",
        };
        if let Some(req) = &rule.on_exit_codes {
            let matching = p.status.container_statuses.iter().chain(p.status.init_container_statuses.iter()).find(|cs| {
                let Some(t) = &cs.state.terminated else { return false };
                req.container_name.as_ref().is_none_or(|n| *n == cs.name)
                    && t.exit_code != 0
                    && match req.operator.as_str() {
                        "In" => req.values.contains(&t.exit_code),
                        "NotIn" => !req.values.contains(&t.exit_code),
                        _ => false,
                    }
            });
            if let Some(cs) = matching {
                let code = cs.state.terminated.as_ref().map_or(0, |t| t.exit_code);
                let msg = format!(
                    "Container {} for pod {}/{} failed with exit code {code} matching {} rule at index {index}",
                    cs.name, p.metadata.namespace, p.metadata.name, rule.action
                );
                return (Some(action), (action == "FailJob").then_some(msg));
            }
        } else if !rule.on_pod_conditions.is_empty() {
            let matching = p.status.conditions.iter().find(|c| rule.on_pod_conditions.iter().any(|pat| pat.type_ == c.type_ && pat.status == c.status));
            if let Some(c) = matching {
                let msg = format!("Pod {}/{} has condition {} matching {} rule at index {index}", p.metadata.namespace, p.metadata.name, c.type_, rule.action);
                return (Some(action), (action == "FailJob").then_some(msg));
            }
        }
    }
    (None, None)
}

pub struct JobController {
    queue: WorkQueue<NsName>,
    expectations: ControllerExpectations<NsName>,
    counted: BTreeMap<NsName, Counted>,
    /// Deletes in flight: pod uid → its Job.
    delete_owner: BTreeMap<String, NsName>,
}

impl Default for JobController {
    fn default() -> Self {
        JobController { queue: WorkQueue::new(Order::Fifo), expectations: Default::default(), counted: BTreeMap::new(), delete_owner: BTreeMap::new() }
    }
}

/// The completion index of an Indexed Job's pod (getCompletionIndex: the annotation,
/// else the label), if valid.
pub fn completion_index(p: &Pod) -> Option<i32> {
    let m = &p.metadata;
    m.annotations.get(JOB_COMPLETION_INDEX).or_else(|| m.labels.get(JOB_COMPLETION_INDEX)).and_then(|v| v.parse::<i32>().ok()).filter(|i| *i >= 0)
}

/// isPodFailed with TerminatingOrFailed: Failed, or deleted before it succeeded; with
/// `Failed` only the phase counts.
fn is_pod_failed(p: &Pod, only_failed: bool) -> bool {
    p.status.phase == "Failed" || (!only_failed && p.metadata.rare.deletion_timestamp.is_some() && p.status.phase != "Succeeded")
}

/// getFinishedTime (backoff_utils.go): the latest container finishedAt when every
/// container has terminated, else when the Ready condition turned False, else the
/// deletion timestamp less its grace period (when the delete was asked), else the
/// creation time.
fn finished_time(p: &Pod) -> SimTime {
    let all_terminated = !p.status.container_statuses.is_empty() && p.status.container_statuses.iter().all(|c| c.state.terminated.is_some());
    let from_containers = all_terminated
        .then(|| p.status.container_statuses.iter().filter_map(|c| c.state.terminated.as_ref().and_then(|t| t.finished_at)).map(|t| t.0).max())
        .flatten();
    let from_ready = || p.condition("Ready").filter(|c| c.status == "False").and_then(|c| c.last_transition_time.get()).map(|t| t.0);
    let from_deletion = || {
        p.metadata
            .rare
            .deletion_timestamp
            .map(|t| SimTime(t.0.as_ms().saturating_sub(p.metadata.rare.deletion_grace_period_seconds.unwrap_or(0).max(0) as u64 * 1000)))
    };
    from_containers.or_else(from_ready).or_else(from_deletion).or(p.metadata.creation_timestamp.map(|t| t.0)).unwrap_or(SimTime::ZERO)
}

/// getRemainingTimeForFailuresCount: 10 s doubled per failure after the first, capped,
/// less the time since the last failure.
pub fn remaining_backoff(failures: i32, last_failure: Option<SimTime>, now: SimTime) -> SimDuration {
    let Some(last) = last_failure.filter(|_| failures > 0) else { return SimDuration::ZERO };
    let mut d = POD_FAILURE_BACKOFF;
    for _ in 1..failures {
        d = d.times(2);
        if d >= MAX_POD_FAILURE_BACKOFF {
            d = MAX_POD_FAILURE_BACKOFF;
            break;
        }
    }
    let elapsed = now.since(last);
    if d < elapsed {
        SimDuration::ZERO
    } else {
        SimDuration::from_ms(d.as_ms() - elapsed.as_ms())
    }
}

/// How the Job ends, as a sync decides it.
enum Finish {
    /// A new failure: the interim FailureTarget (reason, message), Failed once no pod
    /// terminates.
    FailureTarget(String, String),
    /// A FailureTarget an earlier sync set: Failed once no pod terminates.
    Failed(String, String),
    /// SuccessCriteriaMet (new or earlier) with its (reason, message), Complete once no
    /// pod terminates.
    Success(String, String),
}

/// The condition types and reasons (batch/v1 types.go).
const FAILURE_TARGET: &str = "FailureTarget";
const SUCCESS_CRITERIA_MET: &str = "SuccessCriteriaMet";

fn condition(type_: &str, status: &str, reason: &str, message: &str, now: Time) -> JobCondition {
    JobCondition {
        type_: type_.into(),
        status: status.into(),
        last_probe_time: Some(now),
        last_transition_time: Some(now),
        reason: reason.into(),
        message: message.into(),
    }
}

/// ensureJobConditionStatus: add the condition, or update it when its status changes
/// (the probe time follows every update; the transition time only a change of status).
fn ensure_condition(conds: &mut Vec<JobCondition>, type_: &str, status: &str, reason: &str, message: &str, now: Time) -> bool {
    if let Some(c) = conds.iter_mut().find(|c| c.type_ == type_) {
        if c.status != status || c.reason != reason || c.message != message {
            if c.status != status {
                c.last_transition_time = Some(now);
            }
            c.status = status.into();
            c.reason = reason.into();
            c.message = message.into();
            c.last_probe_time = Some(now);
            return true;
        }
        return false;
    }
    if status == "False" {
        return false; // a False condition that never was True is not added
    }
    conds.push(condition(type_, status, reason, message, now));
    true
}

impl Controller for JobController {
    type Key = NsName;
    const NAME: &'static str = "job-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Job | Kind::Pod)
    }

    /// addJob/updateJob/deleteJob and addPod/updatePod/deletePod (the pod's controller).
    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::Job(j) => {
                let key = (j.metadata.namespace.to_string(), j.metadata.name.to_string());
                if ev.type_ == WatchEventType::Deleted {
                    self.expectations.delete(&key);
                    self.counted.remove(&key);
                    return;
                }
                // addJob syncs at once; updateJob at once when the spec changed
                // (generation), else batched (its own status writes); a new
                // activeDeadlineSeconds re-arms the deadline sync.
                let prev = ev.prev.as_ref().and_then(|o| o.as_job());
                match prev {
                    Some(old) if old.metadata.rare.generation == j.metadata.rare.generation => {
                        ctx.requeue_after(&mut self.queue, key.clone(), SYNC_BATCH_PERIOD);
                    }
                    _ => self.queue.add(key.clone()),
                }
                if let (Some(old), Some(start), Some(ads)) = (prev, j.status.start_time, j.spec.active_deadline_seconds) {
                    if old.spec.active_deadline_seconds != Some(ads) {
                        let deadline = start.0 + SimDuration::from_secs(ads.max(0) as u64);
                        let d = if deadline > ctx.now() { deadline.since(ctx.now()) } else { SimDuration::ZERO };
                        ctx.requeue_after(&mut self.queue, key, d);
                    }
                }
            }
            Object::Pod(p) => {
                let Some(r) = p.metadata.controller_ref().filter(|r| r.kind == "Job") else { return };
                let key = (p.metadata.namespace.to_string(), r.name.clone());
                let Some(job) = inf.get(&Kind::Job, &key.0, &key.1).and_then(|o| o.as_job()) else { return };
                if job.metadata.uid != r.uid {
                    return;
                }
                match ev.type_ {
                    WatchEventType::Added => self.expectations.creation_observed(&key),
                    WatchEventType::Deleted => {
                        self.expectations.deletion_observed(&key, &p.metadata.uid);
                        let c = self.counted.entry(key.clone()).or_default();
                        if !c.pods.contains(&UidKey::new(&p.metadata.uid)) {
                            c.gone.extend(finished_of(job, p, true));
                        }
                    }
                    WatchEventType::Modified => {
                        if p.metadata.rare.deletion_timestamp.is_some()
                            && ev.prev.as_ref().and_then(|o| o.as_pod()).is_some_and(|o| o.metadata.rare.deletion_timestamp.is_none())
                        {
                            self.expectations.deletion_observed(&key, &p.metadata.uid);
                        }
                    }
                }
                ctx.requeue_after(&mut self.queue, key, SYNC_BATCH_PERIOD);
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::Job, &key.0, &key.1).cloned() else {
            self.expectations.delete(key);
            self.counted.remove(key);
            return Synced::Done;
        };
        let job = obj.as_job().expect("job");
        if job.finished() {
            return Synced::Done;
        }
        let now = ctx.now();
        let now_t = ctx.now_time();
        let satisfied = self.expectations.satisfied(key);
        let pods: Vec<Rc<Object>> = inf.dependents_of(&job.metadata.uid);
        let pods: Vec<&Pod> =
            pods.iter().filter_map(|o| o.as_pod()).filter(|p| p.metadata.controller_ref().is_some_and(|r| r.uid == job.metadata.uid)).collect();
        let only_failed = job.spec.pod_replacement_policy.as_deref() == Some("Failed");
        let completions = job.spec.completions;

        // Count what finished since the last sync (getNewFinishedPods / trackJobStatusAndRemoveFinalizers).
        let c = self.counted.entry(key.clone()).or_default();
        if c.uid != job.metadata.uid {
            *c = Counted {
                uid: job.metadata.uid.to_string(),
                succeeded: job.status.succeeded,
                failed: job.status.failed,
                succeeded_indexes: job
                    .status
                    .completed_indexes
                    .as_deref()
                    .and_then(|s| crate::api::job::parse_indexes(s, completions.unwrap_or(0)).ok())
                    .unwrap_or_default(),
                ..Default::default()
            };
        }
        let mut finished: Vec<Finished> = std::mem::take(&mut c.gone);
        finished.extend(pods.iter().filter(|p| !c.pods.contains(&UidKey::new(&p.metadata.uid))).filter_map(|p| finished_of(job, p, false)));
        finished.sort_by(|a, b| a.at.cmp(&b.at).then_with(|| a.uid.cmp(&b.uid)));
        let per_index = job.spec.backoff_limit_per_index;
        for f in finished {
            if !c.pods.insert(UidKey::new(&f.uid)) {
                continue;
            }
            let (ok, idx, at) = (f.succeeded, f.index, f.at);
            if ok {
                if job.indexed() {
                    // An index counts once, and only within completions.
                    if let Some(i) = idx.filter(|i| *i < completions.unwrap_or(0)) {
                        c.succeeded_indexes.insert(i);
                    }
                } else {
                    c.succeeded += 1;
                }
                // newBackoffRecord: a success after the last failure resets the count.
                if c.last_failure.is_none_or(|f| at >= f) {
                    c.failures_after_last_success = 0;
                }
            } else {
                // nonIgnoredFailedPodsCount: a failure an Ignore rule matched does not
                // count; the back-off record takes every failure.
                let counts = f.action != Some("Ignore");
                if counts {
                    c.failed += 1;
                }
                if c.fail_job.is_none() {
                    c.fail_job = f.fail_job.clone();
                }
                c.failures_after_last_success += 1;
                c.last_failure = Some(c.last_failure.map_or(at, |l| l.max(at)));
                // backoffLimitPerIndex (isIndexFailed, getNewIndexFailureCounts): the
                // index fails for good on a FailIndex rule, or once a counted failure
                // comes with backoffLimitPerIndex failures before it.
                if let (Some(limit), Some(i)) = (per_index, idx.filter(|i| *i < completions.unwrap_or(0))) {
                    let (before, ignored) = f.index_failures;
                    let entry = if counts { (before + 1, ignored, at) } else { (before, ignored + 1, at) };
                    c.index_failures.insert(i, entry);
                    if f.action == Some("FailIndex") || (counts && before >= limit) {
                        c.failed_indexes.insert(i);
                    }
                }
            }
        }
        let (succeeded, failed) = (if job.indexed() { c.succeeded_indexes.len() as i32 } else { c.succeeded }, c.failed);
        let progress = Progress {
            succeeded,
            succeeded_indexes: c.succeeded_indexes.clone(),
            failed_indexes: c.failed_indexes.clone(),
            index_failures: c.index_failures.clone(),
            backoff: remaining_backoff(c.failures_after_last_success, c.last_failure, now),
        };
        let fail_job = c.fail_job.clone();

        let active_pods: Vec<&Pod> = pods.iter().copied().filter(|p| !p.is_terminal() && p.metadata.rare.deletion_timestamp.is_none()).collect();
        let terminating = pods.iter().filter(|p| !p.is_terminal() && p.metadata.rare.deletion_timestamp.is_some()).count() as i32;
        let ready = active_pods.iter().filter(|p| p.is_ready()).count() as i32;

        let mut status: JobStatus = job.status.clone();
        let suspended = job.suspended();
        if status.start_time.is_none() && !suspended {
            status.start_time = Some(now_t);
        }
        let mut active = active_pods.len() as i32;
        let mut terminating = terminating;
        let mut ready = ready;

        // The end state, in upstream's order: a SuccessCriteriaMet or FailureTarget set by
        // an earlier sync stands (FailureTarget becomes Failed); then the failures; then
        // the successes.
        let has_true = |conds: &[JobCondition], t: &str| conds.iter().find(|c| c.type_ == t && c.status == "True").cloned();
        let mut finished: Option<Finish> = if let Some(sc) = has_true(&status.conditions, SUCCESS_CRITERIA_MET) {
            Some(Finish::Success(sc.reason, sc.message))
        } else if let Some(ft) = has_true(&status.conditions, FAILURE_TARGET) {
            Some(Finish::Failed(ft.reason, ft.message))
        } else {
            fail_job.map(|m| Finish::FailureTarget("PodFailurePolicy".into(), m))
        };
        if finished.is_none() {
            if failed > job.backoff_limit() || past_backoff_limit_on_failure(job, &pods) {
                finished = Some(Finish::FailureTarget("BackoffLimitExceeded".into(), "Job has reached the specified backoff limit".into()));
            } else if past_active_deadline(job, &status, now) {
                finished = Some(Finish::FailureTarget("DeadlineExceeded".into(), "Job was active longer than specified deadline".into()));
            } else if let (Some(secs), Some(start), false) = (job.spec.active_deadline_seconds, status.start_time, suspended) {
                let deadline = start.0 + SimDuration::from_secs(secs.max(0) as u64);
                ctx.requeue_after(&mut self.queue, key.clone(), deadline.since(now));
            }
        }
        if job.indexed() {
            let n = completions.unwrap_or(0) as usize;
            if job.spec.backoff_limit_per_index.is_some() && finished.is_none() {
                let failed_ix = progress.failed_indexes.len();
                if job.spec.max_failed_indexes.is_some_and(|m| failed_ix > m.max(0) as usize) {
                    finished = Some(Finish::FailureTarget(
                        "MaxFailedIndexesExceeded".into(),
                        "Job has exceeded the specified maximal number of failed indexes".into(),
                    ));
                } else if failed_ix > 0 && failed_ix + progress.succeeded_indexes.len() >= n {
                    finished = Some(Finish::FailureTarget("FailedIndexes".into(), "Job has failed indexes".into()));
                }
            }
            if finished.is_none() {
                if let Some(msg) = match_success_policy(job, &progress.succeeded_indexes) {
                    finished = Some(Finish::Success("SuccessPolicy".into(), msg));
                }
            }
        }
        let mut deletes: Vec<&Pod> = Vec::new();
        let mut creates: Vec<Pod> = Vec::new();
        // Whether the deletes are manageJob's (excess pods, a suspended Job), whose
        // tracking finalizer deleteJobPods removes first: those pods are never counted.
        let mut uncounted_deletes = false;
        if finished.is_some() {
            // deleteActivePods; the Job cannot be declared finished before its pods are
            // all seen.
            deletes = active_pods.clone();
            if !satisfied {
                finished = None;
            }
        } else {
            let mut manage_called = false;
            if satisfied && job.metadata.rare.deletion_timestamp.is_none() {
                manage_called = true;
                let (d, cr, requeue) = manage_job(job, &active_pods, &pods, terminating, &progress, only_failed, now);
                deletes = d;
                uncounted_deletes = true;
                creates = cr;
                if let Some(d) = requeue {
                    // enqueueSyncJobWithDelay: never sooner than the batch period.
                    ctx.requeue_after(&mut self.queue, key.clone(), d.max(SYNC_BATCH_PERIOD));
                }
                active += creates.len() as i32;
            }
            let after = active - deletes.len() as i32;
            let complete = match completions {
                None => succeeded > 0 && after == 0,
                Some(n) => succeeded >= n && after == 0,
            };
            if complete {
                finished = Some(Finish::Success("CompletionsReached".into(), "Reached expected number of succeeded pods".into()));
            } else if manage_called {
                if suspended {
                    if ensure_condition(&mut status.conditions, "Suspended", "True", "JobSuspended", "Job suspended", now_t) {
                        ctx.event(&obj, "Normal", "Suspended", "Job suspended");
                    }
                } else if ensure_condition(&mut status.conditions, "Suspended", "False", "JobResumed", "Job resumed", now_t) {
                    ctx.event(&obj, "Normal", "Resumed", "Job resumed");
                    // Resumed Jobs restart the clock (activeDeadlineSeconds counts
                    // continuous activity).
                    status.start_time = Some(now_t);
                }
            }
        }
        // What this sync deletes is terminating from now on.
        active -= deletes.len() as i32;
        terminating += deletes.len() as i32;
        ready -= deletes.iter().filter(|p| p.is_ready()).count() as i32;

        // trackJobStatusAndRemoveFinalizers: the interim condition first, the terminal
        // one (enactJobFinished) once no pod is terminating.
        let terminal = match finished {
            Some(Finish::FailureTarget(reason, message)) => {
                status.conditions.push(condition(FAILURE_TARGET, "True", &reason, &message, now_t));
                Some(("Failed", reason, message))
            }
            Some(Finish::Failed(reason, message)) => Some(("Failed", reason, message)),
            Some(Finish::Success(reason, message)) => {
                if has_true(&status.conditions, SUCCESS_CRITERIA_MET).is_none() {
                    status.conditions.push(condition(SUCCESS_CRITERIA_MET, "True", &reason, &message, now_t));
                }
                Some(("Complete", reason, message))
            }
            None => None,
        };
        if let Some((type_, reason, message)) = terminal.filter(|_| terminating == 0) {
            ensure_condition(&mut status.conditions, type_, "True", &reason, &message, now_t);
            if type_ == "Complete" {
                status.completion_time = Some(now_t);
            }
            // recordJobFinished, once the status says so (ksim records it with the write).
            if type_ == "Complete" {
                if completions.is_some_and(|n| succeeded > n) {
                    ctx.event(&obj, "Warning", "TooManySucceededPods", "Too many succeeded pods running after completion count reached");
                }
                ctx.event(&obj, "Normal", "Completed", "Job completed");
            } else {
                ctx.event(&obj, "Warning", reason.clone(), &message);
            }
        }

        // Send the deletes and creates.
        if !deletes.is_empty() {
            let uids: BTreeSet<String> = deletes.iter().map(|p| p.metadata.uid.to_string()).collect();
            if uncounted_deletes {
                if let Some(c) = self.counted.get_mut(key) {
                    c.pods.extend(uids.iter().map(|u| UidKey::new(u)));
                }
                self.expectations.expect_deletions(key.clone(), uids);
            } else {
                // deleteActivePods (the Job is finishing) leaves the expectations alone:
                // creations still in flight stay expected, so the Job is not declared
                // finished before those pods are seen.
                self.expectations.add_deletions(key.clone(), uids);
            }
            for p in &deletes {
                self.delete_owner.insert(p.metadata.uid.to_string(), key.clone());
                ctx.request_reply(Request::Delete {
                    key: Box::new(crate::api::ObjectKey::new(Kind::Pod, &p.metadata.namespace, &p.metadata.name)),
                    grace_period_seconds: None,
                    uid: Some(p.metadata.uid.to_string()),
                });
            }
        } else if !creates.is_empty() {
            self.expectations.expect_creations(key.clone(), creates.len());
            for p in creates {
                ctx.request_reply(Request::Create(Object::Pod(Box::new(p))));
            }
        }

        status.active = active.max(0);
        status.ready = Some(ready.max(0));
        status.terminating = Some(terminating);
        status.succeeded = succeeded;
        status.failed = failed;
        if job.indexed() {
            status.completed_indexes = Some(format_indexes(&progress.succeeded_indexes));
            if job.spec.backoff_limit_per_index.is_some() {
                status.failed_indexes = Some(format_indexes(&progress.failed_indexes));
            }
        }
        status.uncounted_terminated_pods = Some(Default::default());
        if status != job.status {
            let mut nj: Job = job.clone();
            nj.status = status;
            ctx.request_reply(Request::UpdateStatus(Object::Job(Box::new(nj))));
        }
        Synced::Done
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        match req {
            Request::Create(Object::Pod(p)) => {
                let Some(r) = p.metadata.controller_ref() else { return };
                let key = (p.metadata.namespace.to_string(), r.name.clone());
                let owner = inf.get(&Kind::Job, &key.0, &key.1).cloned();
                if pod_create_answered(&mut self.expectations, &key, owner.as_ref(), resp, ctx).is_err() {
                    ctx.requeue_rate_limited(&mut self.queue, key);
                }
            }
            Request::Delete { key: pod, uid: Some(uid), .. } => {
                let Some(owner) = self.delete_owner.remove(uid) else { return };
                let job = inf.get(&Kind::Job, &owner.0, &owner.1).cloned();
                if pod_delete_answered(&mut self.expectations, &owner, uid, job.as_ref(), &pod.name, resp, ctx).is_err() {
                    ctx.requeue_rate_limited(&mut self.queue, owner);
                }
            }
            Request::UpdateStatus(Object::Job(j)) => {
                if matches!(resp, Response::Error(_)) {
                    ctx.requeue_rate_limited(&mut self.queue, (j.metadata.namespace.to_string(), j.metadata.name.to_string()));
                }
            }
            _ => {}
        }
    }
}

/// pastBackoffLimitOnFailure: with restartPolicy OnFailure, the restarts of the pods
/// still Pending or Running count against backoffLimit (any restart when it is 0).
fn past_backoff_limit_on_failure(job: &Job, pods: &[&Pod]) -> bool {
    if job.spec.template.spec.restart_policy != "OnFailure" {
        return false;
    }
    let restarts: i32 = pods
        .iter()
        .filter(|p| matches!(&*p.status.phase, "Running" | "Pending"))
        .flat_map(|p| p.status.init_container_statuses.iter().chain(p.status.container_statuses.iter()))
        .map(|s| s.restart_count)
        .sum();
    let limit = job.backoff_limit();
    if limit == 0 {
        restarts > 0
    } else {
        restarts >= limit
    }
}

/// pastActiveDeadline: running (not suspended) for activeDeadlineSeconds or longer.
fn past_active_deadline(job: &Job, status: &JobStatus, now: SimTime) -> bool {
    match (job.spec.active_deadline_seconds, status.start_time) {
        (Some(secs), Some(start)) if !job.suspended() => now.since(start.0) >= SimDuration::from_secs(secs.max(0) as u64),
        _ => false,
    }
}

/// manageJob: (pods to delete, pods to create, when to sync again for the back-off).
fn manage_job<'a>(
    job: &Job,
    active: &[&'a Pod],
    pods: &[&Pod],
    terminating: i32,
    progress: &Progress,
    only_failed: bool,
    now: SimTime,
) -> (Vec<&'a Pod>, Vec<Pod>, Option<SimDuration>) {
    let succeeded = progress.succeeded;
    if job.suspended() {
        return (active.to_vec(), Vec::new(), None);
    }
    let n_active = active.len() as i32;
    let parallelism = job.parallelism();
    let want = match job.spec.completions {
        None if succeeded > 0 => n_active,
        None => parallelism,
        Some(c) => (c - succeeded).min(parallelism).max(0),
    };
    let rm = (n_active - want).max(0) as usize;
    let mut to_delete = active_pods_for_removal(job, active, rm, now);
    to_delete.truncate(MAX_POD_CREATE_DELETE_PER_SYNC);
    if !to_delete.is_empty() {
        return (to_delete, Vec::new(), None);
    }
    let term = if only_failed { terminating } else { 0 };
    let diff = want - term - n_active;
    if diff <= 0 {
        return (Vec::new(), Vec::new(), None);
    }
    let per_index = job.spec.backoff_limit_per_index.is_some();
    if !per_index && progress.backoff > SimDuration::ZERO {
        return (Vec::new(), Vec::new(), Some(progress.backoff));
    }
    let mut diff = (diff as usize).min(MAX_POD_CREATE_DELETE_PER_SYNC);
    let mut indexes: Vec<i32> = Vec::new();
    if job.indexed() {
        // Terminating pods hold their index when only failed pods are replaced.
        let terminating_pods: Vec<&Pod> =
            if only_failed { pods.iter().copied().filter(|p| !p.is_terminal() && p.metadata.rare.deletion_timestamp.is_some()).collect() } else { Vec::new() };
        indexes = first_pending_indexes(active, &terminating_pods, progress, diff, job.spec.completions.unwrap_or(0));
        if per_index {
            // getPodCreationInfoForIndependentIndexes: an index whose last failure's
            // back-off still runs waits; if every index waits, sync at the soonest.
            let remaining = |i: &i32| progress.index_failures.get(i).map_or(SimDuration::ZERO, |(f, ig, at)| remaining_backoff(f + ig, Some(*at), now));
            let now_ok: Vec<i32> = indexes.iter().copied().filter(|i| remaining(i) == SimDuration::ZERO).collect();
            if now_ok.is_empty() {
                let soonest = indexes.iter().map(remaining).min();
                return (Vec::new(), Vec::new(), soonest.filter(|d| *d > SimDuration::ZERO));
            }
            indexes = now_ok;
        }
        diff = indexes.len();
    }
    if diff == 0 {
        return (Vec::new(), Vec::new(), None);
    }
    let owners: OwnerRefs = vec![controller_ref("batch/v1", "Job", &job.metadata.name, &job.metadata.uid)].into();
    let job_generate_name = Text::concat(&[&job.metadata.name, "-"]);
    let mut out = Vec::with_capacity(diff);
    let slots: Vec<Option<i32>> = if job.indexed() { indexes.iter().copied().map(Some).collect() } else { vec![None; diff] };
    for slot in slots {
        let mut template = job.spec.template.clone();
        let mut generate_name = job_generate_name.clone();
        if let Some(idx) = slot {
            // addCompletionIndexEnvVariables, addCompletionIndexAnnotation and the label;
            // the hostname and `<job>-<index>-` name (podGenerateNameWithIndex).
            let spec: &mut crate::api::pod::PodSpecBody = &mut *Rc::make_mut(&mut template.spec);
            for c in Rc::make_mut(&mut spec.containers).iter_mut().chain(spec.init_containers.iter_mut()) {
                let env = c.env.get_or_insert_with(|| Box::new(serde_json::Value::Array(Vec::new())));
                if let Some(list) = env.as_array_mut() {
                    if !list.iter().any(|e| e.get("name").and_then(|n| n.as_str()) == Some(JOB_COMPLETION_INDEX_ENV)) {
                        list.push(serde_json::json!({
                            "name": JOB_COMPLETION_INDEX_ENV,
                            "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": format!("metadata.labels['{JOB_COMPLETION_INDEX}']")}}
                        }));
                    }
                }
            }
            spec.hostname = format!("{}-{idx}", job.metadata.name);
            template.metadata.annotations.insert(JOB_COMPLETION_INDEX.into(), idx.to_string());
            template.metadata.labels.insert(JOB_COMPLETION_INDEX.into(), idx.to_string());
            if per_index {
                let (f, ig, _) = progress.index_failures.get(&idx).copied().unwrap_or((0, 0, SimTime::ZERO));
                template.metadata.annotations.insert(JOB_INDEX_FAILURE_COUNT.into(), f.to_string());
                if ig > 0 {
                    template.metadata.annotations.insert(JOB_INDEX_IGNORED_FAILURE_COUNT.into(), ig.to_string());
                }
            }
            generate_name = pod_generate_name_with_index(&job.metadata.name, idx);
        }
        out.push(pod_from_template(&template, &job.metadata.namespace, &generate_name, &owners));
    }
    (Vec::new(), out, None)
}

/// podGenerateNameWithIndex: `<job>-<index>-`, the job name cut so that the whole fits
/// 63 − 5 characters.
fn pod_generate_name_with_index(job: &str, idx: i32) -> Text {
    let append = format!("-{idx}-");
    let max = 63 - 5 - append.len();
    let cut = job.char_indices().nth(max).map_or(job.len(), |(i, _)| i);
    Text::concat(&[&job[..cut], &append])
}

/// firstPendingIndexes: the lowest indexes not succeeded, failed for good, held by an
/// active pod (or a terminating one, passed only when only failed pods are replaced).
fn first_pending_indexes(active: &[&Pod], terminating: &[&Pod], progress: &Progress, count: usize, completions: i32) -> Vec<i32> {
    let held: BTreeSet<i32> = active.iter().chain(terminating.iter()).filter_map(|p| completion_index(p)).collect();
    (0..completions).filter(|i| !progress.succeeded_indexes.contains(i) && !progress.failed_indexes.contains(i) && !held.contains(i)).take(count).collect()
}

/// What manageJob reads of what the Job has counted.
struct Progress {
    succeeded: i32,
    succeeded_indexes: BTreeSet<i32>,
    failed_indexes: BTreeSet<i32>,
    index_failures: BTreeMap<i32, (i32, i32, SimTime)>,
    /// The pod-failure back-off still to run.
    backoff: SimDuration,
}

/// matchSuccessPolicy (success_policy.go), Indexed Jobs: the first rule whose
/// succeededIndexes all succeeded (or succeededCount of them), or with only
/// succeededCount, that many indexes: `Matched rules at index N`.
fn match_success_policy(job: &Job, succeeded: &BTreeSet<i32>) -> Option<String> {
    let policy = job.spec.success_policy.as_ref()?;
    if succeeded.is_empty() {
        return None;
    }
    let completions = job.spec.completions.unwrap_or(0);
    for (index, rule) in policy.rules.iter().enumerate() {
        let matched = if let Some(s) = &rule.succeeded_indexes {
            let required = crate::api::job::parse_indexes(s, completions).unwrap_or_default();
            if required.is_empty() {
                continue;
            }
            let contains = required.intersection(succeeded).count();
            contains == required.len() || rule.succeeded_count.is_some_and(|n| contains >= n.max(0) as usize)
        } else {
            rule.succeeded_count.is_some_and(|n| succeeded.len() >= n.max(0) as usize)
        };
        if matched {
            return Some(format!("Matched rules at index {index}"));
        }
    }
    None
}

/// activePodsForRemoval: for an Indexed Job, pods with an invalid or duplicate index
/// first; then the rest in ActivePods order (not-ready, … — controller.ActivePods).
fn active_pods_for_removal<'a>(job: &Job, active: &[&'a Pod], rm: usize, now: SimTime) -> Vec<&'a Pod> {
    if rm == 0 {
        return Vec::new();
    }
    if !job.indexed() {
        return pods_to_delete(active, &[], rm, now);
    }
    let completions = job.spec.completions.unwrap_or(0);
    let mut seen = BTreeSet::new();
    let (mut bad, mut good): (Vec<&Pod>, Vec<&Pod>) = (Vec::new(), Vec::new());
    let mut sorted = active.to_vec();
    sorted.sort_by_key(|p| (completion_index(p), p.metadata.name.clone()));
    for p in sorted {
        match completion_index(p) {
            Some(i) if i < completions && seen.insert(i) => good.push(p),
            _ => bad.push(p),
        }
    }
    let mut out: Vec<&Pod> = bad.into_iter().take(rm).collect();
    if out.len() < rm {
        // Among valid pods, the highest indexes go first.
        good.reverse();
        out.extend(good.into_iter().take(rm - out.len()));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// backoff_utils.go getRemainingTimeForFailuresCount: DefaultJobPodFailureBackOff
    /// (10 s) for the first failure, doubled per further failure, capped at
    /// MaxJobPodFailureBackOff, less the time since the last failure.
    #[test]
    fn pod_failure_back_off_doubles_from_10s() {
        let s = |n| SimTime::ZERO + SimDuration::from_secs(n);
        assert_eq!(remaining_backoff(0, Some(s(0)), s(0)), SimDuration::ZERO);
        assert_eq!(remaining_backoff(1, Some(s(0)), s(0)), SimDuration::from_secs(10));
        assert_eq!(remaining_backoff(1, Some(s(0)), s(4)), SimDuration::from_secs(6));
        assert_eq!(remaining_backoff(3, Some(s(0)), s(0)), SimDuration::from_secs(40));
        assert_eq!(remaining_backoff(1, Some(s(0)), s(11)), SimDuration::ZERO);
        assert_eq!(remaining_backoff(20, Some(s(0)), s(0)), MAX_POD_FAILURE_BACKOFF);
    }

    #[test]
    fn indexed_pod_names_keep_within_63_characters() {
        assert_eq!(pod_generate_name_with_index("sample", 3), "sample-3-");
        let long = "a".repeat(70);
        let n = pod_generate_name_with_index(&long, 12);
        assert_eq!(n.len(), 63 - 5);
        assert!(n.ends_with("-12-"));
    }
}
