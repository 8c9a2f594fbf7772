//! `ksim replay TRACE --format alibaba-2018 [--nodes N] [--speed X] [--until T] [--jobs N]
//! [--plot OUT.svg] [--emit-scenario OUT.yaml] [--seed N]`: the batch workload of
//! Alibaba's 2018 cluster trace (cluster-trace-v2018) as Kubernetes Jobs whose DAG the
//! replay honours, run on a cluster of the trace's machines.
//!
//! The input is the one-hour sample that `spar` ships (trace.rs reads it):
//! - each task becomes a Job of `instances` pods (parallelism = completions), each pod
//!   requesting the task's `plan_cpu` (100 = one core) and `plan_mem` (one normalized
//!   unit = 1 GiB: a machine's 100 units are 100 GiB — the trace hides the real size, and
//!   the scheduler only sees the ratio of requests to capacity, which this keeps);
//! - each pod runs (`ksim.dev/run-duration`) the lower median of its task's instance
//!   durations: a Job's pods share one template, and ksim has no per-index run time. Over
//!   the sample this keeps the trace's pod-seconds (159.9 M against 162.1 M); a task
//!   ends sooner than in the trace when its slowest instances ran longer than the median;
//! - a job's root tasks are created at the job's arrival (the sample's times start at 0),
//!   and each other task's Job when the Jobs of every task it depends on have completed
//!   (the DAG rule of trace_2018.md, see trace.rs): the replay runs the simulation event
//!   by event, reads each Job write from the store's history (or, when the history no
//!   longer holds every write since its last look, the Jobs themselves: a Job it has seen
//!   that is now gone has finished and been deleted by its TTL), and applies the released
//!   Jobs through the simulation's timeline at that moment — deterministic, like any
//!   timeline action. A Job that fails releases nothing;
//! - a finished Job is deleted at once (`ttlSecondsAfterFinished: 0`) and the garbage
//!   collector deletes its pods, so the cluster's objects are those of running work;
//! - the machines are `--nodes` nodes (default 4,000: the sample has no machine ids; the
//!   2018 trace has about 4,000 machines) of 96 CPU, 100 GiB and 250 pods (the kubelet's
//!   `maxPods` as large clusters set it; it fits the node's /24 of pod IPs);
//! - `--speed X` divides every time (arrivals and run times) by X; `--jobs N` keeps the
//!   first N jobs by arrival; `--until T` stops the run at T (by default it runs until
//!   every Job has completed, at most 24 h of simulated time);
//! - `--emit-scenario` writes the run as a scenario: every Job applied at the moment the
//!   replay created it, its task's dependencies in a comment.
//!
//! Not modelled: the trace's machine placement and failed instances, the instances' CPU
//! and memory use (only requests are scheduled).

pub mod trace;

use crate::run::EXIT_BAD_INPUT;
use sim_core::api::job::Job;
use sim_core::api::pod::{Container, PodSpec, PodSpecBody};
use sim_core::api::quantity::Quantity;
use sim_core::api::{Kind, Object};
use sim_core::engine::{Limits, SimDuration, SimTime};
use sim_core::etcd::{HistoryLimits, WatchEventType};
use sim_core::scenario::model::{Action, Location, Manifest, NodePool, Scenario};
use sim_core::{RunOptions, Simulation};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::rc::Rc;
use std::time::Instant;
use trace::Trace;

pub const MACHINE_CPU: i64 = 96;
pub const MACHINE_MEMORY_GIB: i64 = 100;
pub const MACHINE_PODS: i64 = 250;
/// The 2018 trace's machines (the sample does not say which ran what).
pub const MACHINES: u32 = 4000;
/// The longest run without `--until`.
pub const MAX_RUN: SimDuration = SimDuration::from_secs(24 * 3600);
const IMAGE: &str = "registry.k8s.io/pause:3.10";
const JOB_LABEL: &str = "alibaba.com/job";
const TASK_ANNOTATION: &str = "alibaba.com/task";
/// Utilisation samples over the expected run (more if it runs longer).
const SAMPLES: u64 = 200;
/// Rows of the printed table.
const ROWS: usize = 12;

pub struct Options {
    pub nodes: Option<u32>,
    pub speed: u64,
    pub until: Option<SimDuration>,
    pub jobs: Option<usize>,
    pub seed: u64,
    /// kube-apiserver's --event-ttl (None: its default, 1h).
    pub event_ttl: Option<SimDuration>,
    /// `--shard I/K`: every K-th job by arrival, from the I-th.
    pub shard: Option<(u64, u64)>,
}

/// One utilisation sample.
#[derive(Clone, Copy, Debug, Default)]
pub struct Sample {
    pub t: SimTime,
    pub running: u64,
    pub pending: u64,
    /// Pod objects in the store (finished ones too, until deleted).
    pub pods: u64,
    pub cpu_milli: i64,
    pub memory: i64,
}

/// What a replay did.
pub struct Outcome {
    pub nodes: u32,
    pub pods: u64,
    pub created: u64,
    pub succeeded: u64,
    pub failed: u64,
    pub tasks_done: usize,
    /// Per trace job: the simulated time from its arrival to its last task's completion.
    pub completion_times: Vec<SimDuration>,
    pub makespan: Option<SimDuration>,
    pub end: SimTime,
    pub samples: Vec<Sample>,
    pub cpu_allocatable_milli: i64,
    pub memory_allocatable: i64,
    pub events: u64,
    /// Objects in the store at the end, by kind (what the run's memory holds).
    pub objects: BTreeMap<String, usize>,
    pub fingerprint: String,
    pub wall_s: f64,
    /// (moment, task) of every Job created, in order.
    pub creations: Vec<(SimTime, usize)>,
    pub speed: u64,
    /// The looks that read the Jobs themselves, the history no longer holding every
    /// write since the one before.
    pub looked_up: u64,
}

fn at(speed: u64, secs: u64) -> SimTime {
    SimTime(secs * 1000 / speed)
}

/// The longest chain of run times through each job's DAG, from its arrival: when the
/// trace's work would end with no start-up time and no waiting.
fn expected_end(t: &Trace, speed: u64) -> SimTime {
    let mut finish: Vec<u64> = vec![0; t.tasks.len()];
    let mut end = 0;
    for j in &t.jobs {
        // Tasks finish after their dependencies: relax in rounds (a DAG has at most as many
        // levels as tasks; the links were checked for cycles).
        for _ in 0..j.tasks.len() {
            let mut changed = false;
            for &i in &j.tasks {
                let start = t.tasks[i].deps.iter().map(|&d| finish[d]).max().unwrap_or(j.arrival_s);
                let f = start + t.tasks[i].run_s;
                if f != finish[i] {
                    finish[i] = f;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        end = end.max(j.tasks.iter().map(|&i| finish[i]).max().unwrap_or(j.arrival_s));
    }
    at(speed, end)
}

/// The scenario the replay runs: one pool of machines, nothing on the timeline (the
/// replay applies the Jobs).
pub fn scenario(nodes: u32, seed: u64, until: SimDuration, event_ttl: Option<SimDuration>) -> Scenario {
    let mut s = Scenario { name: "replay-alibaba-2018".into(), seed, until, ..Default::default() };
    if let Some(ttl) = event_ttl {
        s.cluster.event_ttl = ttl;
    }
    let mut pool = NodePool::plain("machine", nodes, Quantity::from_value(MACHINE_CPU), Quantity::from_bytes(MACHINE_MEMORY_GIB << 30));
    pool.pods = Quantity::from_value(MACHINE_PODS);
    s.cluster.node_pools = vec![pool];
    if nodes > 256 {
        // One /24 per node: 4,000 nodes need a /10 (as large clusters use).
        s.cluster.cluster_cidr = "10.64.0.0/10".into();
    }
    s
}

/// The Jobs being replayed: what is created, what it waits for, what completed.
struct Driver<'a> {
    trace: &'a Trace,
    speed: u64,
    waiting: Vec<usize>,
    /// The tasks whose Job is created and not yet finished, by index: what a look that
    /// reads the Jobs themselves reads (not every task of the trace, 67,634 in the hour).
    active: BTreeSet<usize>,
    /// Its Job has been seen in the store (created is only asked for: the apply takes a
    /// request's time).
    seen: Vec<bool>,
    done: Vec<Option<SimTime>>,
    /// Finished with Complete (not Failed).
    complete: Vec<bool>,
    /// Never to be created: a task it waits for failed.
    cancelled: Vec<bool>,
    by_object: HashMap<&'a str, usize>,
    /// Pod specs by (cpu, memory): Jobs with the same requests share one.
    specs: BTreeMap<(i64, i64), Rc<PodSpec>>,
    creations: Vec<(SimTime, usize)>,
    /// The store revision read up to.
    read_rev: u64,
    /// Looks that had to read the Jobs themselves (`Outcome::looked_up`).
    looked_up: u64,
    job_rev: u64,
    succeeded: u64,
    failed: u64,
    left: usize,
}

impl<'a> Driver<'a> {
    fn new(trace: &'a Trace, speed: u64) -> Self {
        Driver {
            trace,
            speed,
            waiting: trace.tasks.iter().map(|t| t.deps.len()).collect(),
            active: BTreeSet::new(),
            seen: vec![false; trace.tasks.len()],
            done: vec![None; trace.tasks.len()],
            complete: vec![false; trace.tasks.len()],
            cancelled: vec![false; trace.tasks.len()],
            by_object: trace.tasks.iter().enumerate().map(|(i, t)| (t.object.as_str(), i)).collect(),
            specs: BTreeMap::new(),
            creations: Vec::new(),
            read_rev: 0,
            looked_up: 0,
            job_rev: 0,
            succeeded: 0,
            failed: 0,
            left: trace.tasks.len(),
        }
    }

    fn job(&mut self, i: usize) -> Object {
        let t = &self.trace.tasks[i];
        let spec = self
            .specs
            .entry((t.cpu_milli, t.mem_mib))
            .or_insert_with(|| {
                let mut c = Container { name: "task".into(), image: IMAGE.into(), ..Default::default() };
                c.resources.requests.insert("cpu".into(), Quantity::from_milli(t.cpu_milli));
                c.resources.requests.insert("memory".into(), Quantity::from_bytes(t.mem_mib << 20));
                Rc::new(PodSpec::from(PodSpecBody { containers: Rc::new(vec![c]), restart_policy: "Never".into(), ..Default::default() }))
            })
            .clone();
        let mut j = Job::default();
        j.metadata.name = t.object.as_str().into();
        j.metadata.namespace = "default".into();
        j.metadata.labels.insert(JOB_LABEL.into(), self.trace.jobs[t.job].name.replace('_', "-"));
        j.metadata.annotations.insert(TASK_ANNOTATION.into(), t.name.clone());
        j.spec.parallelism = Some(t.instances as i32);
        j.spec.completions = Some(t.instances as i32);
        j.spec.ttl_seconds_after_finished = Some(0);
        j.spec.template.metadata.annotations.insert(sim_core::kubelet::annotations::RUN.into(), run_time(t.run_s, self.speed).to_string());
        j.spec.template.spec = spec;
        Object::Job(Box::new(j))
    }

    /// Applies the Jobs of `tasks` now.
    fn create(&mut self, sim: &mut Simulation, tasks: &[usize]) {
        if tasks.is_empty() {
            return;
        }
        let ms: Vec<Manifest> = tasks.iter().map(|&i| Manifest { object: self.job(i), at: Location::default() }).collect();
        for &i in tasks {
            self.active.insert(i);
            self.creations.push((sim.now, i));
        }
        sim.schedule(sim.now, Action::Apply(ms));
    }

    /// A task's Job has finished at `t`: count it, release its dependents (once: nothing
    /// for a task not in `active`).
    fn finished(&mut self, i: usize, t: SimTime, complete: bool, succeeded: i32, failed: i32, released: &mut Vec<usize>) {
        if !self.active.remove(&i) {
            return;
        }
        self.done[i] = Some(t);
        self.left -= 1;
        self.succeeded += succeeded.max(0) as u64;
        self.failed += failed.max(0) as u64;
        if !complete {
            self.cancel(i);
            return;
        }
        self.complete[i] = true;
        for &d in &self.trace.tasks[i].dependents {
            self.waiting[d] -= 1;
            if self.waiting[d] == 0 {
                released.push(d);
            }
        }
    }

    /// A failed task's dependents (and theirs) will never be created: the run no longer
    /// waits for them.
    fn cancel(&mut self, i: usize) {
        let mut stack: Vec<usize> = self.trace.tasks[i].dependents.clone();
        while let Some(d) = stack.pop() {
            if self.cancelled[d] {
                continue;
            }
            self.cancelled[d] = true;
            self.left -= 1;
            stack.extend(self.trace.tasks[d].dependents.iter().copied());
        }
    }

    /// Reads the Job writes since the last look; creates the Jobs they release.
    fn on_job_writes(&mut self, sim: &mut Simulation) {
        let mut released = Vec::new();
        let mut ends: Vec<(usize, SimTime, bool, i32, i32)> = Vec::new();
        match sim.api.store.watch_from(self.read_rev) {
            Ok(events) => {
                for ev in events {
                    let Some(j) = ev.object.as_job() else { continue };
                    let Some(&i) = self.by_object.get(j.metadata.name.as_str()) else { continue };
                    self.seen[i] = true;
                    if ev.type_ == WatchEventType::Deleted || !j.finished() {
                        continue;
                    }
                    ends.push((i, ev.time, j.has_condition("Complete"), j.status.succeeded, j.status.failed));
                }
            }
            Err(_) => {
                // The history no longer holds every write since the last look: read the
                // Jobs themselves. One it has seen that is now gone has finished and been
                // deleted by its TTL (in practice the look after its finishing write found
                // it still there: its deletion is a later request); one never seen is not
                // made yet (its apply is on its way).
                self.looked_up += 1;
                for &i in &self.active {
                    let t = &self.trace.tasks[i];
                    match sim.api.store.get_parts(&Kind::Job, "default", &t.object).and_then(|o| o.as_job()) {
                        Some(j) => {
                            self.seen[i] = true;
                            if j.finished() {
                                ends.push((i, sim.now, j.has_condition("Complete"), j.status.succeeded, j.status.failed));
                            }
                        }
                        None if self.seen[i] => ends.push((i, sim.now, true, t.instances as i32, 0)),
                        None => {}
                    }
                }
            }
        }
        self.read_rev = sim.api.store.revision();
        for (i, t, complete, s, f) in ends {
            self.finished(i, t, complete, s, f, &mut released);
        }
        released.sort_unstable();
        self.create(sim, &released);
    }
}

/// A pod's run time: trace seconds over the speed, to the millisecond.
fn run_time(secs: u64, speed: u64) -> SimDuration {
    SimDuration::from_ms(secs * 1000 / speed)
}

fn sample(sim: &Simulation) -> Sample {
    let mut s = Sample { t: sim.now, ..Default::default() };
    for o in sim.api.store.list(&Kind::Pod) {
        let Some(p) = o.as_pod() else { continue };
        s.pods += 1;
        if p.spec.node_name.is_empty() {
            s.pending += u64::from(p.status.phase == "Pending");
            continue;
        }
        if p.is_terminal() {
            continue;
        }
        s.running += u64::from(p.status.phase == "Running");
        let r = p.spec.requests();
        s.cpu_milli += r.milli_cpu;
        s.memory += r.memory;
    }
    s
}

/// Runs event by event: the root tasks' Jobs at their arrival, the others as the Job
/// writes release them, a sample every `step`; until every task is done or `end`.
fn drive(
    sim: &mut Simulation,
    d: &mut Driver,
    mut roots: BTreeMap<SimTime, Vec<usize>>,
    step: SimDuration,
    end: SimTime,
) -> Result<(Vec<Sample>, Option<SimTime>), String> {
    let mut next_sample = SimTime::ZERO;
    let mut samples = Vec::new();
    loop {
        let next_root = roots.keys().next().copied().unwrap_or(end);
        let stop = next_sample.min(next_root).min(end);
        while sim.next_time().is_some_and(|t| t <= stop) {
            if !sim.step() {
                return Err(format!("the run stopped at {} after {} events (ksim's limit for this replay)", sim.now, sim.events_processed));
            }
            if sim.api.store.kind_revision(&Kind::Job) != d.job_rev {
                d.job_rev = sim.api.store.kind_revision(&Kind::Job);
                d.on_job_writes(sim);
                if d.left == 0 && roots.is_empty() {
                    samples.push(sample(sim));
                    return Ok((samples, Some(sim.now)));
                }
            }
        }
        sim.run_until(stop);
        if let Some(tasks) = roots.remove(&stop) {
            d.create(sim, &tasks);
        }
        if stop == next_sample {
            samples.push(sample(sim));
            next_sample = next_sample + step;
        }
        if stop >= end {
            return Ok((samples, None));
        }
    }
}

/// The nodes' allocatable CPU (millicores) and memory (bytes).
fn allocatable(sim: &Simulation) -> (i64, i64) {
    let (mut cpu, mut memory) = (0, 0);
    for o in sim.api.store.list(&Kind::Node) {
        let Some(n) = o.as_node() else { continue };
        cpu += n.status.allocatable.get("cpu").map_or(0, |q| q.milli_value());
        memory += n.status.allocatable.get("memory").map_or(0, |q| q.value());
    }
    (cpu, memory)
}

/// The pods the Jobs created: those of finished Jobs as their last status said, and
/// those of Jobs still running as theirs says.
fn pods_created(sim: &Simulation, d: &Driver) -> u64 {
    let mut created = d.succeeded + d.failed;
    for &i in &d.active {
        if let Some(j) = sim.api.store.get_parts(&Kind::Job, "default", &d.trace.tasks[i].object).and_then(|o| o.as_job()) {
            created += (j.status.active + j.status.succeeded + j.status.failed + j.status.terminating.unwrap_or(0)).max(0) as u64;
        }
    }
    created
}

/// Replays `trace`: the Jobs created as their arrivals and dependencies say, sampled over
/// simulated time until every Job has completed (or `--until`).
pub fn replay(trace: &Trace, o: &Options) -> Result<Outcome, String> {
    replay_with(trace, o, HistoryLimits::default())
}

/// `replay` with the store's history bounded by `history` (tests: a history too short
/// to hold the writes between most pairs of looks).
fn replay_with(trace: &Trace, o: &Options, history: HistoryLimits) -> Result<Outcome, String> {
    let started = Instant::now();
    let nodes = o.nodes.unwrap_or(MACHINES);
    let speed = o.speed.max(1);
    let expected = expected_end(trace, speed);
    let until = o.until.unwrap_or(MAX_RUN);
    let pods: u64 = trace.tasks.iter().map(|t| u64::from(t.instances)).sum();
    let s = scenario(nodes, o.seed, until, o.event_ttl);
    let opts = RunOptions {
        seed: o.seed,
        // Bounded: ~30 events a pod, with room to spare, and the cluster's own heartbeats.
        limits: Limits { until: SimTime(until.as_ms()), max_events: 200 * pods + 1000 * u64::from(nodes) + 50_000_000 },
        keep_log: false,
        check: false,
        history,
        log_requests: false,
    };
    let mut sim = Simulation::new(&s, &opts)?;
    let mut d = Driver::new(trace, speed);
    // Root tasks by arrival: (moment, tasks).
    let mut roots: BTreeMap<SimTime, Vec<usize>> = BTreeMap::new();
    for j in &trace.jobs {
        let t = at(speed, j.arrival_s);
        if t.as_ms() >= until.as_ms() {
            continue;
        }
        roots.entry(t).or_default().extend(j.tasks.iter().copied().filter(|&i| trace.tasks[i].deps.is_empty()));
    }
    let step = SimDuration::from_secs((expected.as_ms() / 1000 / SAMPLES).max(1));
    let (samples, finished_at) = drive(&mut sim, &mut d, roots, step, SimTime(until.as_ms()))?;
    let (cpu, memory) = allocatable(&sim);
    let created = pods_created(&sim, &d);
    let completion_times = trace
        .jobs
        .iter()
        .filter_map(|j| {
            let last = j.tasks.iter().map(|&i| d.done[i].filter(|_| d.complete[i])).collect::<Option<Vec<SimTime>>>()?.into_iter().max()?;
            Some(SimDuration(last.as_ms() - at(speed, j.arrival_s).as_ms()))
        })
        .collect();
    let out = Outcome {
        nodes,
        pods,
        created,
        succeeded: d.succeeded,
        failed: d.failed,
        tasks_done: d.done.iter().filter(|x| x.is_some()).count(),
        completion_times,
        makespan: finished_at.map(|t| SimDuration(t.as_ms())),
        end: sim.now,
        samples,
        cpu_allocatable_milli: cpu,
        memory_allocatable: memory,
        events: sim.events_processed,
        objects: sim.api.store.kinds().map(|k| (k.to_string(), sim.api.store.count(k))).collect(),
        fingerprint: sim.fingerprint(),
        wall_s: started.elapsed().as_secs_f64(),
        creations: std::mem::take(&mut d.creations),
        speed,
        looked_up: d.looked_up,
    };
    // The process exits soon: skip tearing down every object.
    std::mem::forget(sim);
    Ok(out)
}

/// Nearest-rank percentile of sorted values.
fn percentile(sorted: &[SimDuration], p: u64) -> SimDuration {
    let n = sorted.len() as u64;
    sorted[((p * n).div_ceil(100).max(1) - 1) as usize]
}

fn pct(a: i64, b: i64) -> f64 {
    if b > 0 {
        100.0 * a as f64 / b as f64
    } else {
        0.0
    }
}

/// Milliseconds shown as seconds, rounded to the second (the table's time column).
fn whole(t: SimTime) -> String {
    SimDuration::from_secs(t.as_ms().div_ceil(1000)).to_string()
}

/// ` (shard I/K: one job in K by arrival)` for a shard's run, else nothing.
fn shard_note(trace: &Trace) -> String {
    match trace.shard {
        Some((i, k, of)) if of == trace.jobs_in_file => format!(" (shard {i}/{k}: one job in {k} by arrival)"),
        Some((i, k, of)) => format!(" (shard {i}/{k}: one job in {k} of the first {of} by arrival)"),
        None => String::new(),
    }
}

fn report(trace: &Trace, o: &Outcome, seed: u64) -> String {
    let mut r = String::new();
    let tasks = trace.tasks.len();
    let _ = writeln!(
        r,
        "ksim replay: alibaba-2018 — {} nodes ({MACHINE_CPU} CPU, {MACHINE_MEMORY_GIB}Gi, {MACHINE_PODS} pods each), {} of {} jobs{} ({tasks} tasks, {} pods), speed ×{}, seed {seed}",
        o.nodes,
        trace.jobs.len(),
        trace.jobs_in_file,
        shard_note(trace),
        o.pods,
        o.speed
    );
    r.push('\n');
    let rows: Vec<Vec<String>> = pick(&o.samples, ROWS)
        .iter()
        .map(|s| {
            vec![
                whole(s.t),
                s.running.to_string(),
                s.pending.to_string(),
                format!("{:.1}%", pct(s.cpu_milli, o.cpu_allocatable_milli)),
                format!("{:.1}%", pct(s.memory, o.memory_allocatable)),
            ]
        })
        .collect();
    r.push_str(&crate::print::table(&["TIME", "RUNNING", "PENDING", "CPU REQUESTED", "MEMORY REQUESTED"], &rows));
    r.push('\n');
    let _ = writeln!(r, "pods: {} created, {} succeeded, {} failed (of the trace's {})", o.created, o.succeeded, o.failed, o.pods);
    let jobs_done = o.completion_times.len();
    let makespan = match o.makespan {
        Some(m) => format!("makespan {m}"),
        None => format!("the run ended at {} before every Job completed", SimDuration(o.end.as_ms())),
    };
    let _ = writeln!(r, "jobs: {jobs_done} of {} complete ({} of {tasks} tasks' Jobs); {makespan}", trace.jobs.len(), o.tasks_done);
    let mut jct = o.completion_times.clone();
    jct.sort();
    if !jct.is_empty() {
        let _ = writeln!(
            r,
            "job completion time (arrival to the last task's Job complete): p50 {}, p90 {}, p99 {}, max {}",
            percentile(&jct, 50),
            percentile(&jct, 90),
            percentile(&jct, 99),
            jct[jct.len() - 1]
        );
    }
    let cpu: Vec<f64> = o.samples.iter().map(|s| pct(s.cpu_milli, o.cpu_allocatable_milli)).collect();
    let mean = if cpu.is_empty() { 0.0 } else { cpu.iter().sum::<f64>() / cpu.len() as f64 };
    let peak = cpu.iter().copied().fold(0.0, f64::max);
    let _ = writeln!(r, "cluster CPU requested over {} samples: mean {mean:.1}%, peak {peak:.1}%", cpu.len());
    let _ = writeln!(r, "{} events, fingerprint: sha256:{}", o.events, o.fingerprint);
    r
}

/// `n` samples spread over all of them, the last included.
fn pick(samples: &[Sample], n: usize) -> Vec<Sample> {
    if samples.len() <= n {
        return samples.to_vec();
    }
    (1..=n).map(|k| samples[k * samples.len() / n - 1]).collect()
}

/// The run as a scenario: the pool, every Job at the moment the replay applied it.
fn emitted(trace: &Trace, o: &Outcome, seed: u64, event_ttl: Option<SimDuration>) -> String {
    let mut y = String::new();
    let until = SimDuration(o.end.as_ms().div_ceil(1000) * 1000 + 60_000);
    let _ = writeln!(y, "# Generated by `ksim replay --format alibaba-2018 --speed {}` from Alibaba's cluster-trace-v2018", o.speed);
    let _ = writeln!(
        y,
        "# (spar's one-hour sample): {} of {} jobs{}, {} tasks as Jobs, {} pods.",
        trace.jobs.len(),
        trace.jobs_in_file,
        shard_note(trace),
        trace.tasks.len(),
        o.pods
    );
    let _ = writeln!(y, "# Each Job is applied when the replay created it: a root task at its job's arrival, any other");
    let _ = writeln!(y, "# task once the Jobs of the tasks it waits for had completed in the replay's run.");
    let _ =
        writeln!(y, "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: replay-alibaba-2018}}\nspec:\n  seed: {seed}\n  until: {until}\n  cluster:");
    if o.nodes > 256 {
        let _ = writeln!(y, "    clusterCIDR: 10.64.0.0/10");
    }
    if let Some(ttl) = event_ttl {
        let _ = writeln!(y, "    apiServer: {{eventTTL: {ttl}}}");
    }
    let _ = writeln!(
        y,
        "    nodePools:\n    - {{name: machine, count: {}, capacity: {{cpu: \"{MACHINE_CPU}\", memory: {MACHINE_MEMORY_GIB}Gi, pods: {MACHINE_PODS}}}}}",
        o.nodes
    );
    let _ = writeln!(y, "  timeline:");
    for &(t, i) in &o.creations {
        let task = &trace.tasks[i];
        let job = &trace.jobs[task.job];
        let deps: Vec<&str> = task.deps.iter().map(|&d| trace.tasks[d].name.as_str()).collect();
        let why = if deps.is_empty() { format!("arrival of {}", job.name) } else { format!("after {}", deps.join(", ")) };
        let _ = writeln!(y, "  # {} {}: {why}", job.name, task.name);
        let _ = writeln!(
            y,
            "  - {{at: {}, apply: {{apiVersion: batch/v1, kind: Job, metadata: {{name: {}, labels: {{{JOB_LABEL}: {}}}, annotations: {{{TASK_ANNOTATION}: \"{}\"}}}}, spec: {{parallelism: {n}, completions: {n}, ttlSecondsAfterFinished: 0, template: {{metadata: {{annotations: {{ksim.dev/run-duration: {}}}}}, spec: {{restartPolicy: Never, containers: [{{name: task, image: \"{IMAGE}\", resources: {{requests: {{cpu: {}m, memory: {}Mi}}}}}}]}}}}}}}}}}",
            SimDuration(t.as_ms()),
            task.object,
            job.name.replace('_', "-"),
            task.name,
            run_time(task.run_s, o.speed),
            task.cpu_milli,
            task.mem_mib,
            n = task.instances,
        );
    }
    y
}

/// `ksim replay --format alibaba-2018`: read, replay, report (or emit the scenario).
pub fn command(dir: &std::path::Path, o: &Options, plot: Option<&str>, emit: Option<&str>) -> u8 {
    let started = Instant::now();
    let fail = |m: String| {
        eprintln!("error: {m}");
        EXIT_BAD_INPUT
    };
    if o.nodes == Some(0) {
        return fail("--nodes 0: the cluster needs at least one node".into());
    }
    if o.jobs == Some(0) {
        return fail("--jobs 0: replay at least one job".into());
    }
    let trace = match trace::read(dir, o.jobs, o.shard) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    for w in &trace.warnings {
        eprintln!("warning: {w}");
    }
    let out = match replay(&trace, o) {
        Ok(r) => r,
        Err(e) => return fail(e),
    };
    if let Some(path) = emit {
        if let Err(e) = std::fs::write(path, emitted(&trace, &out, o.seed, o.event_ttl)) {
            return fail(format!("cannot write {path}: {e}"));
        }
        println!(
            "wrote {path}: {} nodes, {} Jobs applied at the moments the replay created them ({} pods), until {}",
            out.nodes,
            out.creations.len(),
            out.pods,
            SimDuration(out.end.as_ms().div_ceil(1000) * 1000 + 60_000)
        );
        return 0;
    }
    print!("{}", report(&trace, &out, o.seed));
    if let Some(path) = plot {
        let mut series = crate::plot::Series::new();
        for s in &out.samples {
            let m = s.t.as_ms() as f64 / 60_000.0;
            series.entry("CPU requested".into()).or_default().push((m, pct(s.cpu_milli, out.cpu_allocatable_milli)));
            series.entry("memory requested".into()).or_default().push((m, pct(s.memory, out.memory_allocatable)));
        }
        if let Err(e) = crate::plot::draw(&series, "replay-utilisation", out.end.as_ms() as f64 / 60_000.0, path) {
            return fail(format!("cannot write {path}: {e}"));
        }
        println!("wrote {path}");
    }
    let wall = started.elapsed().as_secs_f64();
    let per_pod = if out.created > 0 { wall * 1e6 / out.created as f64 } else { 0.0 };
    println!(
        "wall {wall:.2} s (reading the trace {:.2} s; {per_pod:.0} µs per pod created), peak RSS {} MB",
        wall - out.wall_s,
        crate::bench::peak_rss_bytes() >> 20
    );
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The replay reads the Jobs' completions from the store's history and, when the
    /// history no longer holds every write since its last look, from the Jobs themselves:
    /// both see each completion at the step that wrote it, so the run is the same, event
    /// for event. The second way once took a Job asked for but not yet made (its apply on
    /// its way) for one finished and gone with its TTL, and released its dependents
    /// early. A history of one write holds the writes since the last look only when there
    /// was one: the Jobs are read themselves at most looks, not all.
    #[test]
    fn a_history_too_short_to_read_from_gives_the_same_replay() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/alibaba-2018-mini");
        let trace = trace::read(std::path::Path::new(dir), None, None).expect("the mini trace");
        let o = Options { nodes: Some(2), speed: 1, until: None, jobs: None, seed: 1, event_ttl: None, shard: None };
        let summary = |o: &Outcome| {
            (
                o.makespan,
                o.completion_times.clone(),
                o.succeeded,
                o.failed,
                o.tasks_done,
                o.created,
                o.creations.clone(),
                o.events,
                o.end,
                o.fingerprint.clone(),
            )
        };
        let read = replay(&trace, &o).expect("replay");
        let looked_up = replay_with(&trace, &o, HistoryLimits { max_entries: 1, ..HistoryLimits::default() }).expect("replay");
        assert!(read.makespan.is_some(), "every Job completes");
        assert_eq!(read.looked_up, 0, "the default history holds every write between two looks");
        assert!(looked_up.looked_up > 0, "a history of one write: the Jobs are read themselves");
        assert_eq!(summary(&looked_up), summary(&read));
    }
}
