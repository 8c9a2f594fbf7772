//! The Job controller's guarantees (pkg/controller/job/job_controller.go):
//!
//! - `job-within-parallelism`: manageJob creates at most `wantActive − active` pods,
//!   wantActive never above spec.parallelism, and its expectations keep a sync from acting
//!   on creations it has not yet seen; pods leaving the active set (finishing, being
//!   deleted) show in the store before the controller's cache, so the store never holds
//!   more active pods (not finished, not being deleted) than the controller counted. So
//!   a create by the controller manager never takes a Job's active pods above the
//!   largest parallelism the Job has had (a user may lower it while a create is in
//!   flight; the next sync deletes the extras).
//! - `job-counts-each-pod-once`: each finished pod is counted once (the tracking
//!   finalizer and status.uncountedTerminatedPods; an Indexed Job counts an index once):
//!   a Job's status.succeeded is never more than the distinct pods of it that succeeded
//!   (for an Indexed Job, the distinct indexes), and status.failed never more than the
//!   distinct pods of it that failed or were deleted before succeeding.
//! - `cronjob-forbid-one-at-a-time` (pkg/controller/cronjob/cronjob_controllerv2.go
//!   syncCronJob): with concurrencyPolicy Forbid the controller creates a Job only when
//!   the CronJob's status.active, reconciled against the Jobs it has seen, is empty; a Job
//!   it creates enters status.active at once and leaves it only once the controller has
//!   seen it finished (or gone). Upstream's own comment allows concurrency when its
//!   views are stale, so the check allows a Job the controller may not have seen yet:
//!   when the controller manager creates a Job of a Forbid CronJob, no other Job it
//!   created for that CronJob more than `lag` earlier is still there unfinished.

use super::Violation;
use crate::api::job::Job;
use crate::api::pod::Pod;
use crate::controller_manager::job::completion_index;
use crate::engine::SimTime;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};

pub const JOB_WITHIN_PARALLELISM: &str = "job-within-parallelism";
pub const JOB_COUNTS_ONCE: &str = "job-counts-each-pod-once";
pub const CRONJOB_FORBID: &str = "cronjob-forbid-one-at-a-time";

#[derive(Default)]
struct Seen {
    max_parallelism: i32,
    active: BTreeSet<String>,
    succeeded: BTreeSet<String>,
    succeeded_indexes: BTreeSet<i32>,
    failed: BTreeSet<String>,
}

#[derive(Default)]
pub struct JobChecker {
    /// Per Job uid.
    jobs: BTreeMap<String, Seen>,
    /// Per CronJob uid: whether its policy is Forbid.
    forbid: BTreeMap<String, bool>,
    /// Jobs the controller manager created for a CronJob: Job uid → (CronJob uid, name,
    /// created at); removed once finished or deleted.
    cron_jobs: BTreeMap<String, (String, String, SimTime)>,
}

impl JobChecker {
    /// A CronJob write.
    pub fn on_cron_job(&mut self, cj: &crate::api::job::CronJob, deleted: bool) {
        if deleted {
            self.forbid.remove(cj.metadata.uid.as_str());
        } else {
            self.forbid.insert(cj.metadata.uid.to_string(), cj.spec.concurrency_policy == "Forbid");
        }
    }

    /// A Job write; `by_controller_manager` for its status updates and the CronJob
    /// controller's creates.
    #[allow(clippy::too_many_arguments)]
    pub fn on_job(
        &mut self,
        j: &Job,
        created: bool,
        deleted: bool,
        by_controller_manager: bool,
        lag: crate::engine::SimDuration,
        time: SimTime,
        event: &str,
    ) -> Option<Violation> {
        let uid = &j.metadata.uid;
        if deleted || j.finished() {
            self.cron_jobs.remove(uid.as_str());
        }
        if deleted {
            self.jobs.remove(uid.as_str());
            return None;
        }
        if let (true, true, Some(owner)) = (created, by_controller_manager, j.metadata.controller_ref().filter(|r| r.kind == "CronJob")) {
            let other = self.cron_jobs.values().find(|(cj, _, at)| *cj == owner.uid && *at + lag < time).map(|(_, name, _)| name.clone());
            self.cron_jobs.insert(uid.to_string(), (owner.uid.clone(), j.metadata.name.to_string(), time));
            if let (Some(other), true) = (other, self.forbid.get(&owner.uid).copied().unwrap_or(false)) {
                return Some(Violation {
                    invariant: CRONJOB_FORBID,
                    time,
                    event: event.to_string(),
                    objects: vec![format!("job/{}/{}", j.metadata.namespace, j.metadata.name), format!("cronjob/{}/{}", j.metadata.namespace, owner.name)],
                    message: format!("created while job {other} of the Forbid CronJob is unfinished"),
                });
            }
        }
        let seen = self.jobs.entry(uid.to_string()).or_default();
        seen.max_parallelism = seen.max_parallelism.max(j.parallelism());
        if !by_controller_manager {
            return None;
        }
        let pods_succeeded = if j.indexed() { seen.succeeded_indexes.len() } else { seen.succeeded.len() } as i32;
        let s = &j.status;
        let bad = if s.succeeded > pods_succeeded {
            Some(format!("status.succeeded {} but {pods_succeeded} of its pods succeeded", s.succeeded))
        } else if s.failed > seen.failed.len() as i32 {
            Some(format!("status.failed {} but {} of its pods failed", s.failed, seen.failed.len()))
        } else {
            None
        };
        bad.map(|message| Violation {
            invariant: JOB_COUNTS_ONCE,
            time,
            event: event.to_string(),
            objects: vec![format!("job/{}/{}", j.metadata.namespace, j.metadata.name)],
            message,
        })
    }

    /// A pod write; `by_controller_manager` when the controller manager made it.
    pub fn on_pod(&mut self, w: &WatchEvent, p: &Pod, by_controller_manager: bool, time: SimTime, event: &str) -> Option<Violation> {
        let owner = p.metadata.controller_ref().filter(|r| r.kind == "Job")?;
        let seen = self.jobs.get_mut(&owner.uid)?;
        let uid = p.metadata.uid.clone();
        let deleted = w.type_ == WatchEventType::Deleted;
        if p.status.phase == "Succeeded" {
            seen.succeeded.insert(uid.to_string());
            if let Some(i) = completion_index(p) {
                seen.succeeded_indexes.insert(i);
            }
        } else if p.status.phase == "Failed" || deleted || p.metadata.rare.deletion_timestamp.is_some() {
            seen.failed.insert(uid.to_string());
        }
        let active = !deleted && !p.is_terminal() && p.metadata.rare.deletion_timestamp.is_none();
        if !active {
            seen.active.remove(uid.as_str());
            return None;
        }
        let created = w.type_ == WatchEventType::Added;
        seen.active.insert(uid.to_string());
        let n = seen.active.len() as i32;
        (created && by_controller_manager && n > seen.max_parallelism).then(|| Violation {
            invariant: JOB_WITHIN_PARALLELISM,
            time,
            event: event.to_string(),
            objects: vec![format!("pod/{}/{}", p.metadata.namespace, p.metadata.name), format!("job/{}/{}", p.metadata.namespace, owner.name)],
            message: format!("{n} active pods, parallelism at most {}", seen.max_parallelism),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Object;
    use std::rc::Rc;

    fn job(parallelism: i32, succeeded: i32) -> Job {
        let mut j: Job = serde_json::from_value(serde_json::json!({
            "metadata": {"name": "pi", "namespace": "default", "uid": "job-uid"},
            "spec": {"parallelism": parallelism, "template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "c", "image": "perl"}]}}}
        }))
        .unwrap();
        j.status.succeeded = succeeded;
        j
    }

    fn pod(name: &str, phase: &'static str) -> Pod {
        let mut p: Pod = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default", "uid": format!("{name}-uid"),
                "ownerReferences": [{"apiVersion": "batch/v1", "kind": "Job", "name": "pi", "uid": "job-uid", "controller": true}]},
            "spec": {"containers": [{"name": "c", "image": "perl"}]}
        }))
        .unwrap();
        p.status.phase = phase.into();
        p
    }

    fn ev(t: WatchEventType, p: &Pod) -> WatchEvent {
        WatchEvent { type_: t, object: Rc::new(Object::Pod(Box::new(p.clone()))), prev: None, revision: 1, time: SimTime::ZERO }
    }

    #[test]
    fn a_create_above_parallelism_fires() {
        let mut c = JobChecker::default();
        assert!(c.on_job(&job(2, 0), true, false, false, crate::engine::SimDuration::ZERO, SimTime::ZERO, "e").is_none());
        for n in ["a", "b"] {
            assert!(c.on_pod(&ev(WatchEventType::Added, &pod(n, "Pending")), &pod(n, "Pending"), true, SimTime::ZERO, "e").is_none());
        }
        // A finished pod leaves the active set: a replacement is within parallelism.
        assert!(c.on_pod(&ev(WatchEventType::Modified, &pod("a", "Succeeded")), &pod("a", "Succeeded"), false, SimTime::ZERO, "e").is_none());
        assert!(c.on_pod(&ev(WatchEventType::Added, &pod("c", "Pending")), &pod("c", "Pending"), true, SimTime::ZERO, "e").is_none());
        let v = c.on_pod(&ev(WatchEventType::Added, &pod("d", "Pending")), &pod("d", "Pending"), true, SimTime::ZERO, "e").expect("fires");
        assert_eq!(v.invariant, JOB_WITHIN_PARALLELISM);
        assert_eq!(v.message, "3 active pods, parallelism at most 2");
    }

    #[test]
    fn a_success_counted_twice_fires() {
        let mut c = JobChecker::default();
        c.on_job(&job(1, 0), true, false, false, crate::engine::SimDuration::ZERO, SimTime::ZERO, "e");
        c.on_pod(&ev(WatchEventType::Modified, &pod("a", "Succeeded")), &pod("a", "Succeeded"), false, SimTime::ZERO, "e");
        assert!(c.on_job(&job(1, 1), false, false, true, crate::engine::SimDuration::ZERO, SimTime::ZERO, "e").is_none());
        // The same pod written again is still one success.
        c.on_pod(&ev(WatchEventType::Modified, &pod("a", "Succeeded")), &pod("a", "Succeeded"), false, SimTime::ZERO, "e");
        let v = c.on_job(&job(1, 2), false, false, true, crate::engine::SimDuration::ZERO, SimTime::ZERO, "e").expect("fires");
        assert_eq!(v.invariant, JOB_COUNTS_ONCE);
        assert_eq!(v.message, "status.succeeded 2 but 1 of its pods succeeded");
    }

    #[test]
    fn a_second_job_of_a_forbid_cronjob_fires() {
        let mut c = JobChecker::default();
        let mut cj = crate::api::job::CronJob::default();
        cj.metadata.uid = "cj-uid".into();
        cj.spec.concurrency_policy = "Forbid".into();
        c.on_cron_job(&cj, false);
        let mk = |name: &str| {
            let mut j = job(1, 0);
            j.metadata.name = name.into();
            j.metadata.uid = format!("{name}-uid").into();
            *j.metadata.owner_references = vec![crate::api::meta::OwnerReference {
                api_version: "batch/v1".into(),
                kind: "CronJob".into(),
                name: "hello".into(),
                uid: "cj-uid".into(),
                controller: Some(true),
                block_owner_deletion: Some(true),
            }];
            j
        };
        let lag = crate::engine::SimDuration::from_ms(10);
        assert!(c.on_job(&mk("hello-1"), true, false, true, lag, SimTime::from_secs(60), "e").is_none());
        let v = c.on_job(&mk("hello-2"), true, false, true, lag, SimTime::from_secs(120), "e").expect("fires");
        assert_eq!(v.invariant, CRONJOB_FORBID);
        assert_eq!(v.message, "created while job hello-1 of the Forbid CronJob is unfinished");
        // Once the first has finished, a new one is fine.
        let mut done = mk("hello-1");
        done.status.conditions.push(crate::api::job::JobCondition { type_: "Complete".into(), status: "True".into(), ..Default::default() });
        c.on_job(&done, false, false, true, lag, SimTime::from_secs(150), "e");
        c.on_job(&mk("hello-2"), false, true, false, lag, SimTime::from_secs(151), "e");
        assert!(c.on_job(&mk("hello-3"), true, false, true, lag, SimTime::from_secs(180), "e").is_none());
    }
}
