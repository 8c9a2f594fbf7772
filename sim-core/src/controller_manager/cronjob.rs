//! The CronJob controller (pkg/controller/cronjob/cronjob_controllerv2.go sync,
//! syncCronJob, cleanupFinishedJobs; utils.go mostRecentScheduleTime, nextScheduleTime,
//! getJobFromTemplate2):
//!
//! - the Jobs it controls are reconciled with status.active: a finished one leaves it
//!   (`SawCompletedJob`), a succeeded one moves lastSuccessfulTime, one that is gone
//!   leaves it (`MissingJob`), an unfinished one it does not list is reported
//!   (`UnexpectedJob`);
//! - finished Jobs beyond successfulJobsHistoryLimit / failedJobsHistoryLimit are
//!   deleted, oldest start first (`SuccessfulDelete`, "Deleted job NAME");
//! - unless suspended (or its time zone unknown, or its schedule unparseable), the most
//!   recent schedule time not yet run since lastScheduleTime (or the creation) is found
//!   — more than 100 missed is reported (`TooManyMissedTimes`) but still runs the last
//!   one; one older than startingDeadlineSeconds is missed (`MissSchedule`); Forbid
//!   waits while a Job is active (`JobAlreadyActive`); Replace deletes the active ones
//!   first; the Job `<cronjob>-<scheduled time in Unix minutes>` is created from the
//!   template with the `batch.kubernetes.io/cronjob-scheduled-timestamp` annotation
//!   (`SuccessfulCreate`, "Created job NAME") and listed in status.active with
//!   lastScheduleTime; the name makes a second create of the same time AlreadyExists;
//! - the CronJob is synced again 100 ms after its next schedule time.
//!
//! Differences: upstream creates the Job and writes the status in one sync; ksim's
//! requests are answered later, so the key stays in processing (no other sync of it)
//! until the create's answer has come and the status is sent. Upstream GETs a listed
//! Job missing from its cache before declaring it missing; ksim trusts the cache.

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::cron::{load_location, parse_standard, Schedule};
use crate::api::endpoints::ObjectReference;
use crate::api::job::{CronJob, Job, CRONJOB_SCHEDULED_TIMESTAMP};
use crate::api::meta::Time;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::WatchEvent;
use std::collections::BTreeMap;
use std::rc::Rc;

/// nextScheduleDelta: the sync after a schedule time comes this much later.
pub const NEXT_SCHEDULE_DELTA: SimDuration = SimDuration::from_ms(100);
/// More missed start times than this are reported.
pub const TOO_MANY_MISSED: i64 = 100;

pub struct CronJobController {
    queue: WorkQueue<NsName>,
    /// A create in flight: the CronJob (status as this sync left it), the Job's
    /// scheduled time and the requeue.
    creating: BTreeMap<NsName, (CronJob, SimTime, Option<SimDuration>)>,
    /// Jobs it created and listed in a status write its cache may not show yet (upstream
    /// GETs the CronJob afresh before calling a Job unexpected).
    listed: BTreeMap<NsName, std::collections::BTreeSet<String>>,
}

impl Default for CronJobController {
    fn default() -> Self {
        CronJobController { queue: WorkQueue::new(Order::Fifo), creating: BTreeMap::new(), listed: BTreeMap::new() }
    }
}

/// The controller's Job of a CronJob: its name (getJobName: the scheduled time in Unix
/// minutes).
pub fn job_name(cj: &CronJob, scheduled: SimTime) -> String {
    let unix = crate::api::cron::to_utc(scheduled).timestamp();
    format!("{}-{}", cj.metadata.name, unix / 60)
}

/// Which missed schedules there are (utils.go missedSchedulesType).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Missed {
    None,
    Few,
    Many,
}

/// mostRecentScheduleTime: (earliest time, most recent schedule time not after now,
/// how many were missed), or the "less than 1 second" error.
fn most_recent_schedule_time(
    cj: &CronJob,
    now: SimTime,
    sched: &Schedule,
    tz: chrono_tz::Tz,
    include_deadline: bool,
) -> Result<(SimTime, Option<SimTime>, Missed), String> {
    let mut earliest = cj.status.last_schedule_time.or(cj.metadata.creation_timestamp).map_or(SimTime::ZERO, |t| t.0);
    if let (true, Some(d)) = (include_deadline, cj.spec.starting_deadline_seconds) {
        let deadline = SimTime(now.as_ms().saturating_sub(d.max(0) as u64 * 1000));
        if deadline > earliest {
            earliest = deadline;
        }
    }
    // robfig's Next gives the zero time for a schedule that never fires ("59 23 31 2 *"):
    // t1 = t2, and upstream fails as below.
    let never = || "time difference between two schedules is less than 1 second".to_string();
    let t1 = sched.next(earliest, tz).ok_or_else(never)?;
    let t2 = sched.next(t1, tz).ok_or_else(never)?;
    if now < t1 {
        return Ok((earliest, None, Missed::None));
    }
    if now < t2 {
        return Ok((earliest, Some(t1), Missed::None));
    }
    let between = ((t2.as_ms() - t1.as_ms() + 500) / 1000) as i64;
    if between < 1 {
        return Err("time difference between two schedules is less than 1 second".into());
    }
    let elapsed = ((now.as_ms() - t1.as_ms()) / 1000) as i64;
    let missed = elapsed / between + 1;
    // Back one interval more than the count, and let the schedule find the times.
    let back = (missed - 2) * between;
    let potential = if back >= 0 { SimTime(t1.as_ms() + back as u64 * 1000) } else { SimTime(t1.as_ms().saturating_sub((-back) as u64 * 1000)) };
    let mut most_recent = None;
    let mut t = sched.next(potential, tz);
    while let Some(x) = t.filter(|x| *x <= now) {
        most_recent = Some(x);
        t = sched.next(x, tz);
    }
    let kind = if missed > TOO_MANY_MISSED {
        Missed::Many
    } else if missed > 0 {
        Missed::Few
    } else {
        Missed::None
    };
    Ok((earliest, most_recent, kind))
}

/// nextScheduleTimeDuration: when to sync again — 100 ms after the next schedule time
/// after the most recent one (or after the earliest time, or now when schedules were
/// missed).
fn next_schedule_duration(cj: &CronJob, now: SimTime, sched: &Schedule, tz: chrono_tz::Tz) -> Option<SimDuration> {
    let from = match most_recent_schedule_time(cj, now, sched, tz, false) {
        Err(_) => now,
        Ok((_, Some(t), _)) => t,
        Ok((earliest, None, Missed::None)) => earliest,
        Ok(_) => now,
    };
    let next = sched.next(from, tz)?;
    let at = next + NEXT_SCHEDULE_DELTA;
    Some(if at > now { at.since(now) } else { SimDuration::ZERO })
}

/// IsJobFinished with the finished condition's type.
fn finished(j: &Job) -> Option<&'static str> {
    if j.has_condition("Complete") {
        Some("Complete")
    } else if j.has_condition("Failed") {
        Some("Failed")
    } else {
        None
    }
}

/// getJobFromTemplate2: the template's labels and annotations, the scheduled-time
/// annotation (RFC 3339 in the CronJob's zone), the name, the controller reference.
fn job_from_template(cj: &CronJob, scheduled: SimTime, tz: chrono_tz::Tz) -> Job {
    let t = &cj.spec.job_template;
    let mut j = Job::default();
    j.metadata.name = job_name(cj, scheduled).into();
    j.metadata.namespace = cj.metadata.namespace.clone();
    j.metadata.labels = t.metadata.labels.clone();
    j.metadata.annotations = t.metadata.annotations.clone();
    let stamp = crate::api::cron::to_utc(scheduled).with_timezone(&tz).to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    j.metadata.annotations.insert(CRONJOB_SCHEDULED_TIMESTAMP.into(), stamp);
    *j.metadata.owner_references = vec![super::controller_utils::controller_ref("batch/v1", "CronJob", &cj.metadata.name, &cj.metadata.uid)];
    j.spec = t.spec.clone();
    j
}

fn job_ref(j: &Job) -> ObjectReference {
    ObjectReference {
        kind: "Job".into(),
        namespace: j.metadata.namespace.to_string(),
        name: j.metadata.name.to_string(),
        uid: j.metadata.uid.to_string(),
        api_version: "batch/v1".into(),
        resource_version: j.metadata.resource_version.0.to_string(),
        field_path: String::new(),
    }
}

impl Controller for CronJobController {
    type Key = NsName;
    const NAME: &'static str = "cronjob-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::CronJob | Kind::Job)
    }

    /// addCronJob/updateCronJob and addJob/updateJob/deleteJob (the Job's controller).
    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::CronJob(cj) => self.queue.add((cj.metadata.namespace.to_string(), cj.metadata.name.to_string())),
            Object::Job(j) => {
                if let Some(r) = j.metadata.controller_ref().filter(|r| r.kind == "CronJob") {
                    self.queue.add((j.metadata.namespace.to_string(), r.name.clone()));
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::CronJob, &key.0, &key.1).cloned() else { return Synced::Done };
        let mut cj: CronJob = obj.as_cron_job().expect("cronjob").clone();
        let jobs: Vec<Job> = inf
            .dependents_of(&cj.metadata.uid)
            .iter()
            .filter_map(|o| o.as_job())
            .filter(|j| j.metadata.controller_ref().is_some_and(|r| r.uid == cj.metadata.uid))
            .cloned()
            .collect();
        let mut update = self.cleanup_finished_jobs(&mut cj, &jobs, &obj, ctx);
        let (requeue, create, synced_update) = self.sync_cron_job(&mut cj, &jobs, &obj, ctx);
        update |= synced_update;
        if let Some((job, scheduled)) = create {
            ctx.request_reply(Request::Create(Object::Job(Box::new(job))));
            self.creating.insert(key.clone(), (cj, scheduled, requeue));
            return Synced::Processing;
        }
        if update {
            ctx.request_reply(Request::UpdateStatus(Object::CronJob(Box::new(cj))));
        }
        if let Some(d) = requeue {
            ctx.requeue_after(&mut self.queue, key.clone(), d);
        }
        Synced::Done
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        match req {
            Request::Create(Object::Job(j)) => {
                let Some(r) = j.metadata.controller_ref() else { return };
                let key = (j.metadata.namespace.to_string(), r.name.clone());
                let Some((mut cj, scheduled, requeue)) = self.creating.remove(&key) else { return };
                let owner: Rc<Object> = Rc::new(Object::CronJob(Box::new(cj.clone())));
                let created: Option<Job> = match resp {
                    Response::Object(o) => {
                        ctx.event(&owner, "Normal", "SuccessfulCreate", &format!("Created job {}", o.meta().name));
                        o.as_job().cloned()
                    }
                    // Created before (a sync that did not see its own status): adopt it
                    // into the list if it is ours and not listed.
                    Response::Error(st) if st.reason == "AlreadyExists" => inf
                        .get(&Kind::Job, &key.0, &j.metadata.name)
                        .and_then(|o| o.as_job())
                        .filter(|e| e.metadata.controller_ref().is_some_and(|r| r.uid == cj.metadata.uid))
                        .filter(|e| !cj.status.active.iter().any(|a| a.uid == e.metadata.uid))
                        .cloned(),
                    Response::Error(st) => {
                        if st.cause != Some(crate::apiserver::NAMESPACE_TERMINATING_CAUSE) {
                            ctx.event(&owner, "Warning", "FailedCreate", &format!("Error creating job: {}", st.message));
                        }
                        self.queue.done(&key);
                        ctx.requeue_rate_limited(&mut self.queue, key);
                        return;
                    }
                    Response::List(..) | Response::PodMetrics(_) => None,
                };
                if let Some(job) = created {
                    // An adopted Job has the same name, so the same scheduled time
                    // (getJobName hashes it).
                    self.listed.entry(key.clone()).or_default().insert(job.metadata.uid.to_string());
                    cj.status.active.push(job_ref(&job));
                    cj.status.last_schedule_time = Some(Time(scheduled));
                }
                ctx.request_reply(Request::UpdateStatus(Object::CronJob(Box::new(cj))));
                self.queue.done(&key);
                if let Some(d) = requeue {
                    ctx.requeue_after(&mut self.queue, key, d);
                }
            }
            Request::UpdateStatus(Object::CronJob(cj)) if matches!(resp, Response::Error(_)) => {
                ctx.requeue_rate_limited(&mut self.queue, (cj.metadata.namespace.to_string(), cj.metadata.name.to_string()));
            }
            _ => {}
        }
    }
}

impl CronJobController {
    /// cleanupFinishedJobs and removeOldestJobs: the finished Jobs beyond each history
    /// limit, oldest start time first (no start time last, then by name).
    fn cleanup_finished_jobs(&mut self, cj: &mut CronJob, jobs: &[Job], owner: &Rc<Object>, ctx: &mut ControllerCtx) -> bool {
        let limits = [("Complete", cj.spec.successful_jobs_history_limit), ("Failed", cj.spec.failed_jobs_history_limit)];
        let mut update = false;
        for (kind, limit) in limits {
            let Some(limit) = limit else { continue };
            let mut done: Vec<&Job> = jobs.iter().filter(|j| finished(j) == Some(kind)).collect();
            let excess = done.len() as i64 - i64::from(limit);
            if excess <= 0 {
                continue;
            }
            done.sort_by(|a, b| {
                match (a.status.start_time, b.status.start_time) {
                    (Some(x), Some(y)) => x.cmp(&y),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then_with(|| a.metadata.name.cmp(&b.metadata.name))
            });
            for j in done.into_iter().take(excess as usize) {
                update |= delete_job(cj, j, owner, ctx);
            }
        }
        update
    }

    /// syncCronJob: (when to sync again, the Job to create, whether the status changed).
    fn sync_cron_job(
        &mut self,
        cj: &mut CronJob,
        jobs: &[Job],
        owner: &Rc<Object>,
        ctx: &mut ControllerCtx,
    ) -> (Option<SimDuration>, Option<(Job, SimTime)>, bool) {
        let now = ctx.now();
        let mut update = false;
        let key = (cj.metadata.namespace.to_string(), cj.metadata.name.to_string());
        // What this controller listed but its cache does not show yet is listed (until
        // the Job is seen finished).
        let written = self.listed.remove(&key).unwrap_or_default();
        let pending: std::collections::BTreeSet<String> = written
            .into_iter()
            .filter(|u| !cj.status.active.iter().any(|a| a.uid == *u) && jobs.iter().find(|j| j.metadata.uid == *u).is_none_or(|j| finished(j).is_none()))
            .collect();
        for j in jobs.iter().filter(|j| pending.contains(j.metadata.uid.as_str())) {
            cj.status.active.push(job_ref(j));
        }
        if !pending.is_empty() {
            self.listed.insert(key, pending);
        }
        for j in jobs {
            let listed = cj.status.active.iter().any(|a| a.uid == j.metadata.uid);
            let done = finished(j);
            if !listed && done.is_none() {
                ctx.event(owner, "Warning", "UnexpectedJob", &format!("Saw a job that the controller did not create or forgot: {}", j.metadata.name));
            } else if let Some(condition) = done {
                if listed {
                    cj.status.active.retain(|a| a.uid != j.metadata.uid);
                    ctx.event(owner, "Normal", "SawCompletedJob", &format!("Saw completed job: {}, condition: {condition}", j.metadata.name));
                    update = true;
                }
                // Listed or not, a succeeded Job moves lastSuccessfulTime.
                if condition == "Complete" {
                    if let Some(c) = j.status.completion_time {
                        if cj.status.last_successful_time.is_none_or(|t| c > t) {
                            cj.status.last_successful_time = Some(c);
                            update = true;
                        }
                    }
                }
            }
        }
        let gone: Vec<ObjectReference> = cj.status.active.iter().filter(|a| !jobs.iter().any(|j| j.metadata.uid == a.uid)).cloned().collect();
        for a in gone {
            ctx.event(owner, "Normal", "MissingJob", &format!("Active job went missing: {}", a.name));
            cj.status.active.retain(|x| x.uid != a.uid);
            update = true;
        }
        if cj.metadata.rare.deletion_timestamp.is_some() {
            return (None, None, update);
        }
        let tz = match load_location(cj.spec.time_zone.as_deref().unwrap_or("")) {
            Ok(tz) => tz,
            Err(e) => {
                let zone = cj.spec.time_zone.clone().unwrap_or_default();
                ctx.event(owner, "Warning", "UnknownTimeZone", &format!("invalid timeZone: {zone:?}: {e}"));
                return (None, None, update);
            }
        };
        if cj.spec.suspend == Some(true) {
            return (None, None, update);
        }
        let sched = match parse_standard(&cj.spec.schedule) {
            Ok(s) => s,
            Err(e) => {
                ctx.event(owner, "Warning", "UnparseableSchedule", &format!("unparseable schedule: {:?} : {e}", cj.spec.schedule));
                return (None, None, update);
            }
        };
        // nextScheduleTime.
        let scheduled = match most_recent_schedule_time(cj, now, &sched, tz, true) {
            Err(e) => {
                ctx.event(owner, "Warning", "InvalidSchedule", &format!("invalid schedule: {} : {e}", cj.spec.schedule));
                return (None, None, update);
            }
            Ok((_, None, _)) => return (next_schedule_duration(cj, now, &sched, tz), None, update),
            Ok((_, Some(t), missed)) => {
                if missed == Missed::Many {
                    ctx.event(
                        owner,
                        "Warning",
                        "TooManyMissedTimes",
                        "too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew",
                    );
                }
                t
            }
        };
        let requeue = next_schedule_duration(cj, now, &sched, tz);
        if let Some(d) = cj.spec.starting_deadline_seconds {
            if scheduled + SimDuration::from_secs(d.max(0) as u64) < now {
                ctx.event(owner, "Warning", "MissSchedule", &format!("Missed scheduled time to start a job: {}", Time(scheduled).rfc1123z()));
                return (requeue, None, update);
            }
        }
        let name = job_name(cj, scheduled);
        if cj.status.active.iter().any(|a| a.name == name) || cj.status.last_schedule_time == Some(Time(scheduled)) {
            return (requeue, None, update);
        }
        match cj.spec.concurrency_policy.as_str() {
            "Forbid" if !cj.status.active.is_empty() => {
                ctx.event(owner, "Normal", "JobAlreadyActive", "Not starting job because prior execution is running and concurrency policy is Forbid");
                return (requeue, None, update);
            }
            "Replace" => {
                let active: Vec<ObjectReference> = cj.status.active.clone();
                for a in active {
                    if let Some(j) = jobs.iter().find(|j| j.metadata.uid == a.uid) {
                        update |= delete_job(cj, j, owner, ctx);
                    }
                }
            }
            _ => {}
        }
        (requeue, Some((job_from_template(cj, scheduled, tz), scheduled)), update)
    }
}

/// deleteJob: delete the Job (background propagation: the garbage collector takes its
/// pods) and drop it from the active list.
fn delete_job(cj: &mut CronJob, j: &Job, owner: &Rc<Object>, ctx: &mut ControllerCtx) -> bool {
    ctx.request(Request::Delete { key: Box::new(ObjectKey::new(Kind::Job, &j.metadata.namespace, &j.metadata.name)), grace_period_seconds: None, uid: None });
    cj.status.active.retain(|a| a.uid != j.metadata.uid);
    ctx.event(owner, "Normal", "SuccessfulDelete", &format!("Deleted job {}", j.metadata.name));
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cj(schedule: &str, created: u64, last: Option<u64>, deadline: Option<i64>) -> CronJob {
        let mut c = CronJob::default();
        c.metadata.name = "hello".into();
        c.metadata.creation_timestamp = Some(Time(SimTime::from_secs(created)));
        c.status.last_schedule_time = last.map(|s| Time(SimTime::from_secs(s)));
        c.spec.schedule = schedule.into();
        c.spec.starting_deadline_seconds = deadline;
        c
    }

    /// utils.go mostRecentScheduleTime, over the cases of utils_test.go
    /// TestMostRecentScheduleTime: not yet (before the first), the first, several missed
    /// (the last one), more than 100 missed (tooManyMissed), and the earliest time
    /// startingDeadlineSeconds allows (now − deadline).
    #[test]
    fn most_recent_schedule_times() {
        let utc = chrono_tz::Tz::UTC;
        let s = parse_standard("*/1 * * * *").unwrap();
        let m = |c: &CronJob, now: u64| most_recent_schedule_time(c, SimTime::from_secs(now), &s, utc, true).unwrap();
        let c = cj("* * * * *", 0, None, None);
        assert_eq!(m(&c, 30), (SimTime::ZERO, None, Missed::None));
        assert_eq!(m(&c, 61), (SimTime::ZERO, Some(SimTime::from_secs(60)), Missed::None));
        assert_eq!(m(&c, 5 * 60 + 1), (SimTime::ZERO, Some(SimTime::from_secs(300)), Missed::Few));
        let (_, t, missed) = m(&c, 200 * 60 + 1);
        assert_eq!((t, missed), (Some(SimTime::from_secs(200 * 60)), Missed::Many));
        // startingDeadlineSeconds bounds how far back the controller looks.
        let c = cj("* * * * *", 0, None, Some(30));
        assert_eq!(m(&c, 200 * 60 + 1), (SimTime::from_secs(200 * 60 - 29), Some(SimTime::from_secs(200 * 60)), Missed::None));
    }

    #[test]
    fn job_names_are_the_scheduled_minute() {
        let c = cj("* * * * *", 0, None, None);
        // 2026-01-01T00:01:00Z is Unix 1767225660 s = 29453761 minutes.
        assert_eq!(job_name(&c, SimTime::from_secs(60)), "hello-29453761");
    }
}
