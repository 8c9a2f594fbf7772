//! Jobs and CronJobs end to end, against what upstream's controllers do
//! (pkg/controller/job, cronjob, ttlafterfinished): the active deadline, suspend and
//! resume, the TTL after a Job finishes, a CronJob's schedule and history.

mod common;

use sim_core::api::job::{CronJob, Job};
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn sim(text: &str) -> Simulation {
    let s = common::load_str(text);
    Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap()
}

/// A two-minute scenario that applies `first` at 0 s and `second` at `at`.
fn apply_then_apply(first: &str, at: &str, second: &str) -> Simulation {
    sim(&format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 2m\n  timeline:\n  - at: 0s\n    apply:{first}\n  - at: {at}\n    apply:{second}\n"))
}

fn job(sim: &Simulation, name: &str) -> Option<Job> {
    sim.list(&Kind::Job).iter().filter_map(|o| o.as_job()).find(|j| j.metadata.name == name).cloned()
}

fn condition(j: &Job, t: &str) -> Option<sim_core::api::job::JobCondition> {
    j.status.conditions.iter().find(|c| c.type_ == t).cloned()
}

use common::events;

fn pods_of(sim: &Simulation, job: &str) -> usize {
    sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).filter(|p| p.metadata.labels.get("job-name").is_some_and(|n| n == job)).count()
}

/// pastActiveDeadline: once activeDeadlineSeconds have passed since startTime, the Job
/// gets FailureTarget DeadlineExceeded "Job was active longer than specified deadline",
/// its active pods are deleted, and Failed (the same reason) comes once none is left
/// terminating — never in the same sync as the deletes.
#[test]
fn the_active_deadline_fails_the_job_once_its_pods_are_gone() {
    let mut s = sim(r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec: {until: 2m}
---
apiVersion: batch/v1
kind: Job
metadata: {name: slow}
spec:
  parallelism: 2
  completions: 2
  activeDeadlineSeconds: 30
  template:
    metadata: {annotations: {ksim.dev/termination-duration: 3s}}
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: ["sleep", "600"]}]
"#);
    s.run_until(SimTime::from_secs(29));
    assert_eq!(job(&s, "slow").unwrap().status.active, 2);
    s.run_until(SimTime::from_secs(120));
    let j = job(&s, "slow").unwrap();
    let target = condition(&j, "FailureTarget").expect("FailureTarget");
    let failed = condition(&j, "Failed").expect("Failed");
    assert_eq!((target.reason.as_str(), target.message.as_str()), ("DeadlineExceeded", "Job was active longer than specified deadline"));
    assert_eq!((failed.reason.as_str(), failed.message.as_str()), ("DeadlineExceeded", "Job was active longer than specified deadline"));
    let (t0, t1) = (target.last_transition_time.unwrap().0, failed.last_transition_time.unwrap().0);
    assert!(t0 >= SimTime::from_secs(30) && t0 < SimTime::from_secs(31), "the deadline at 30 s: {t0:?}");
    // The pods take 3 s to stop: Failed waits for them.
    assert!(t1.since(t0).as_ms() >= 3000, "Failed {t1:?} only once the pods are gone (FailureTarget {t0:?})");
    assert_eq!((j.status.active, j.status.terminating, j.status.failed), (0, Some(0), 2));
    assert!(j.status.completion_time.is_none(), "a failed Job has no completionTime");
    assert!(events(&s, "Job").contains(&("DeadlineExceeded".into(), "Job was active longer than specified deadline".into())));
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// A Job created suspended starts no pod and says Suspended (JobSuspended, "Job
/// suspended"); resumed, it gets Suspended False (JobResumed) and its startTime is the
/// moment it resumed.
#[test]
fn a_suspended_job_waits_and_its_clock_starts_at_resume() {
    let manifest = |suspend: bool| {
        format!(
            r#"
      apiVersion: batch/v1
      kind: Job
      metadata: {{name: later}}
      spec:
        suspend: {suspend}
        template:
          spec:
            restartPolicy: Never
            containers: [{{name: c, image: busybox, command: ["sleep", "5"]}}]"#
        )
    };
    let mut s = apply_then_apply(&manifest(true), "40s", &manifest(false));
    s.run_until(SimTime::from_secs(39));
    let j = job(&s, "later").unwrap();
    assert_eq!(pods_of(&s, "later"), 0);
    let c = condition(&j, "Suspended").expect("Suspended");
    assert_eq!((c.status.as_str(), c.reason.as_str(), c.message.as_str()), ("True", "JobSuspended", "Job suspended"));
    assert!(j.status.start_time.is_none(), "a Job created suspended has not started");
    s.run_until(SimTime::from_secs(120));
    let j = job(&s, "later").unwrap();
    let c = condition(&j, "Suspended").unwrap();
    assert_eq!((c.status.as_str(), c.reason.as_str(), c.message.as_str()), ("False", "JobResumed", "Job resumed"));
    let start = j.status.start_time.unwrap().0;
    assert!(start >= SimTime::from_secs(40) && start < SimTime::from_secs(41), "{start:?}");
    assert_eq!(j.kubectl_status(), "Complete");
    let ev = events(&s, "Job");
    assert!(ev.contains(&("Suspended".into(), "Job suspended".into())) && ev.contains(&("Resumed".into(), "Job resumed".into())), "{ev:?}");
}

/// ttlSecondsAfterFinished: the Job is deleted that long after its Complete condition,
/// and the garbage collector then deletes its pods.
#[test]
fn a_finished_job_goes_after_its_ttl() {
    let mut s = sim(r#"
apiVersion: ksim.dev/v1
kind: Scenario
spec: {until: 2m}
---
apiVersion: batch/v1
kind: Job
metadata: {name: brief}
spec:
  ttlSecondsAfterFinished: 30
  template:
    spec:
      restartPolicy: Never
      containers: [{name: c, image: busybox, command: ["sleep", "5"]}]
"#);
    let mut done_at = None;
    while s.now < SimTime::from_secs(120) {
        let next = s.now + sim_core::engine::SimDuration::from_ms(100);
        s.run_until(next);
        match job(&s, "brief") {
            Some(j) if done_at.is_none() => done_at = condition(&j, "Complete").and_then(|c| c.last_transition_time).map(|t| t.0),
            Some(_) => {}
            None => break,
        }
    }
    let done = done_at.expect("completed");
    let gone = s.now;
    assert!(gone >= done + sim_core::engine::SimDuration::from_secs(30), "deleted at {gone:?}, completed at {done:?}");
    assert!(gone.since(done).as_ms() < 31_000, "deleted once the TTL expired: {gone:?} vs {done:?}");
    s.run_until(SimTime::from_secs(120));
    assert_eq!(pods_of(&s, "brief"), 0, "its pods are garbage-collected");
}

/// tasks/job/automated-tasks-with-cron-jobs: the page's CronJob (`* * * * *`, as
/// batch/v1) creates a Job every minute, named after the minute it was scheduled for
/// (hello-<Unix minutes>, annotated with the scheduled time), each of which completes;
/// status.lastScheduleTime is the latest minute, lastSuccessfulTime the latest
/// completion, and three successful Jobs are kept (successfulJobsHistoryLimit's default).
#[test]
fn the_documentation_cron_job_runs_every_minute() {
    let root = common::repo_root().join("../shared/corpus/kubernetes-website/application/job/cronjob.yaml");
    let Ok(text) = std::fs::read_to_string(&root) else {
        assert!(std::env::var_os("KSIM_SKIP_CORPUS").is_some(), "{} not found", root.display());
        return;
    };
    let text = format!("apiVersion: ksim.dev/v1\nkind: Scenario\nspec: {{until: 6m}}\n---\n{}", text.replace("batch/v1beta1", "batch/v1"));
    let mut s = sim(&text);
    s.run_until(SimTime::from_secs(5 * 60 + 30));
    let mut jobs: Vec<Job> = s.list(&Kind::Job).iter().filter_map(|o| o.as_job()).cloned().collect();
    jobs.sort_by(|a, b| a.metadata.name.cmp(&b.metadata.name));
    // 2026-01-01T00:00Z is Unix minute 29453760: runs at minutes 1…5, each done in about
    // 13 s (10 s of ksim's default run); by 5m30s all five have completed and the
    // oldest two were deleted.
    let names: Vec<&str> = jobs.iter().map(|j| j.metadata.name.as_str()).collect();
    assert_eq!(names, ["hello-29453763", "hello-29453764", "hello-29453765"]);
    for j in &jobs {
        assert_eq!(j.kubectl_status(), "Complete", "{}", j.metadata.name);
        let minute: i64 = j.metadata.name.rsplit('-').next().unwrap().parse().unwrap();
        let stamp = &j.metadata.annotations["batch.kubernetes.io/cronjob-scheduled-timestamp"];
        assert_eq!(chrono::DateTime::parse_from_rfc3339(stamp).unwrap().timestamp(), minute * 60);
    }
    let cj: CronJob = s.list(&Kind::CronJob)[0].as_cron_job().unwrap().clone();
    assert_eq!(cj.status.last_schedule_time.unwrap().0, SimTime::from_secs(300));
    assert!(cj.status.active.is_empty());
    assert_eq!(cj.status.last_successful_time, jobs[2].status.completion_time);
    let ev = events(&s, "CronJob");
    assert!(ev.contains(&("SuccessfulCreate".into(), "Created job hello-29453761".into())), "{ev:?}");
    assert!(ev.contains(&("SuccessfulDelete".into(), "Deleted job hello-29453761".into())), "{ev:?}");
    assert!(s.violations().is_empty(), "{:#?}", s.violations());
}

/// Suspending a running Job deletes its active pods (manageJob), and deleteJobPods
/// removes their tracking finalizer first: they are not failures. A Job with 4 running
/// pods and backoffLimit 1 suspended stays suspended, with failed 0.
#[test]
fn suspending_deletes_pods_without_counting_them_failed() {
    let manifest = |suspend: bool| {
        format!(
            r#"
      apiVersion: batch/v1
      kind: Job
      metadata: {{name: batch}}
      spec:
        suspend: {suspend}
        parallelism: 4
        completions: 4
        backoffLimit: 1
        template:
          spec:
            restartPolicy: Never
            containers: [{{name: c, image: busybox, command: ["sleep", "600"]}}]"#
        )
    };
    let mut s = apply_then_apply(&manifest(false), "30s", &manifest(true));
    s.run_until(SimTime::from_secs(29));
    assert_eq!(job(&s, "batch").unwrap().status.active, 4);
    s.run_until(SimTime::from_secs(90));
    let j = job(&s, "batch").unwrap();
    assert_eq!((j.status.active, j.status.failed), (0, 0));
    assert_eq!(j.kubectl_status(), "Suspended");
    assert!(condition(&j, "Failed").is_none() && condition(&j, "FailureTarget").is_none());
    assert_eq!(pods_of(&s, "batch"), 0, "the pods are deleted");
}

/// A Job's pod deleted while running counts as failed (isPodFailed, TerminatingOrFailed)
/// and its failure time is when the delete was asked (getFinishedTime: the deletion
/// timestamp less its grace period): the replacement waits the first back-off, 10 s,
/// from then — created about 40 s in for a delete at 30 s.
#[test]
fn a_deleted_pod_is_replaced_after_the_first_back_off() {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nspec:\n  until: 2m\n  timeline:\n  - {at: 30s, delete: pod/solo}\n---\n\
apiVersion: batch/v1\nkind: Job\nmetadata: {name: long}\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers: [{name: c, image: busybox, command: [\"sleep\", \"600\"]}]\n---\n\
apiVersion: v1\nkind: Pod\nmetadata: {name: unrelated}\nspec:\n  containers: [{name: c, image: busybox, command: [\"sleep\", \"600\"]}]\n";
    // The Job's pod gets a generated name: find it first, then delete it by name.
    let mut probe = sim(text);
    probe.run_until(SimTime::from_secs(5));
    let first = probe.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).find(|p| p.metadata.name.starts_with("long-")).unwrap().metadata.name.to_string();
    let mut s = sim(&text.replace("pod/solo", &format!("pod/{first}")));
    s.run_until(SimTime::from_secs(90));
    let created: Vec<SimTime> = s
        .list(&Kind::Pod)
        .iter()
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.name.starts_with("long-") && p.metadata.name != first)
        .map(|p| p.metadata.creation_timestamp.unwrap().0)
        .collect();
    assert_eq!(created.len(), 1, "one replacement");
    assert!(created[0] >= SimTime::from_secs(40) && created[0] < SimTime(41_500), "replaced at {:?}", created[0]);
    assert_eq!(job(&s, "long").unwrap().status.failed, 1);
}
