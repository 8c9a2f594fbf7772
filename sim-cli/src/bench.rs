//! `ksim bench density`: N nodes and Deployments totalling P pods, run until every pod
//! is Running; prints wall time, events, throughput and peak memory.
//! `ksim bench scheduler`: upstream scheduler_perf's SchedulingBasic shape (N nodes, P
//! pods, the default profile, no kubelets); prints the scheduling throughput.
//! `ksim bench rollout`: the density setup, then a new image on every Deployment at once
//! (default RollingUpdate: maxSurge 25%, maxUnavailable 25%), run until every Deployment
//! is rolled out as `kubectl rollout status` judges it; prints the rollout's wall time.
//! `ksim bench replay`: `ksim replay` of a trace (alibaba-2018's first --jobs jobs, or
//! alibaba-gpu-2023) without its report; prints wall time, pods, pods/s, peak memory.

use clap::Subcommand;
use sim_core::api::deployment::Deployment;
use sim_core::api::meta::LabelSelector;
use sim_core::api::pod::Container;
use sim_core::api::quantity::Quantity;
use sim_core::api::{Kind, Object};
use sim_core::engine::{Limits, SimDuration, SimTime};
use sim_core::scenario::model::{Action, Location, Manifest, NodePool, Scenario, TimelineEntry};
use sim_core::{RunOptions, Simulation};
use std::time::Instant;

#[derive(Subcommand)]
pub enum Which {
    /// Pod density: schedule and start P pods on N nodes.
    Density {
        #[arg(long, default_value_t = 100)]
        nodes: u32,
        #[arg(long, default_value_t = 3000)]
        pods: u32,
        /// Pods per Deployment.
        #[arg(long, default_value_t = 100)]
        per_deployment: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// The usage model on: metrics-server installed and every Deployment under a
        /// `ksim.dev/cpu-demand` (its cost against the same run without).
        #[arg(long)]
        usage: bool,
        /// Keep simulating this long after every pod runs (the steady state's cost).
        #[arg(long, default_value = "0s")]
        hold: String,
        /// Also write the run as a scenario (the same cluster and Deployments, until the
        /// moment the bench stopped): `ksim run` of it is the same run, fingerprint and
        /// all, for measuring the same workload through `ksim run`.
        #[arg(long, value_name = "FILE")]
        emit_scenario: Option<String>,
        /// Output: json for one JSON object.
        #[arg(short = 'o', long)]
        output: Option<String>,
    },
    /// Rolling update: D Deployments totalling R replicas on N nodes, all given a new image.
    Rollout {
        #[arg(long, default_value_t = 1000)]
        nodes: u32,
        #[arg(long, default_value_t = 30000)]
        replicas: u32,
        #[arg(long, default_value_t = 100)]
        deployments: u32,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output: json for one JSON object.
        #[arg(short = 'o', long)]
        output: Option<String>,
    },
    /// The traffic model's cost: a client sending RATE requests to a Service for
    /// DURATION (a node crashing in the middle), against the same run without it.
    Traffic {
        #[arg(long, default_value = "10000/s")]
        rate: String,
        #[arg(long, default_value = "10m")]
        duration: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// Output: json for one JSON object.
        #[arg(short = 'o', long)]
        output: Option<String>,
    },
    /// A trace replay's cost: `ksim replay` of alibaba-2018 (its first --jobs jobs) or
    /// alibaba-gpu-2023, without the report; prints wall time, pods, pods/s, peak memory.
    Replay {
        /// alibaba-2018 or alibaba-gpu-2023.
        #[arg(long, default_value = "alibaba-2018")]
        format: String,
        /// The trace's directory (default: the copy in ../shared/corpus).
        #[arg(long)]
        trace: Option<String>,
        /// alibaba-2018: only the first N jobs by arrival.
        #[arg(long)]
        jobs: Option<usize>,
        /// alibaba-2018: one job in K by arrival, from the I-th (`ksim replay --shard`).
        #[arg(long, value_name = "I/K")]
        shard: Option<String>,
        /// alibaba-2018: N machines (default 4000); alibaba-gpu-2023: every (total/N)-th node.
        #[arg(long)]
        nodes: Option<usize>,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        /// kube-apiserver's --event-ttl (default 1h), as `ksim replay --event-ttl`.
        #[arg(long, value_name = "DURATION")]
        event_ttl: Option<String>,
        /// Output: json for one JSON object.
        #[arg(short = 'o', long)]
        output: Option<String>,
    },
    /// Scheduling throughput (scheduler_perf SchedulingBasic): N nodes, P pods.
    Scheduler {
        #[arg(long, default_value_t = 5000)]
        nodes: usize,
        #[arg(long, default_value_t = 10000)]
        pods: usize,
        /// Pods scheduled before the measurement starts (scheduler_perf's initPods).
        #[arg(long, default_value_t = 0)]
        init_pods: usize,
        /// basic, or anti-affinity (required pod anti-affinity and a zone spread
        /// constraint on every pod).
        #[arg(long, default_value = "basic")]
        workload: String,
        /// Output: json for one JSON object.
        #[arg(short = 'o', long)]
        output: Option<String>,
    },
}

fn scheduler(nodes: usize, pods: usize, init_pods: usize, workload: &str, output: Option<String>) -> u8 {
    use sim_core::scheduler::bench::{SchedulerBench, Workload};
    let w = match workload {
        "basic" => Workload::Basic,
        "anti-affinity" => Workload::AntiAffinityAndSpread,
        other => {
            eprintln!("error: --workload: unknown workload {other:?} (basic, anti-affinity)");
            return 2;
        }
    };
    let mut b = SchedulerBench::new(nodes, w);
    b.create_pods(init_pods);
    b.drain();
    // The pods are created (the client's work: apiserver admission, store, watch
    // delivery into the scheduling queue), then timed until every one is scheduled:
    // filter, score, assume, bind through the apiserver, the Scheduled event.
    let created = Instant::now();
    b.create_pods(pods);
    let create_s = created.elapsed().as_secs_f64();
    let start = Instant::now();
    let scheduled = b.drain();
    let wall = start.elapsed().as_secs_f64();
    let fields = serde_json::json!({
        "workload": workload,
        "nodes": nodes,
        "pods": pods,
        "init_pods": init_pods,
        "scheduled": scheduled,
        "attempts": b.scheduler.attempts,
        "wall_s": (wall * 1000.0).round() / 1000.0,
        "pods_per_s": (scheduled as f64 / wall).round(),
        "create_wall_s": (create_s * 1000.0).round() / 1000.0,
        "pods_per_s_with_create": (scheduled as f64 / (wall + create_s)).round(),
        "peak_rss_bytes": peak_rss_bytes(),
    });
    std::mem::forget(b);
    print_fields(&fields, output.as_deref());
    u8::from(scheduled < pods)
}

fn print_fields(fields: &serde_json::Value, output: Option<&str>) {
    if output == Some("json") {
        println!("{fields}");
    } else if let Some(m) = fields.as_object() {
        for (k, v) in m {
            println!("{k:<16} {v}");
        }
    }
}

/// Peak resident set size (VmHWM) in bytes, where /proc exists.
pub fn peak_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()))
        .map_or(0, |kb| kb * 1024)
}

fn current_rss_bytes() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)).and_then(|v| v.parse::<u64>().ok()))
        .map_or(0, |kb| kb * 1024)
}

fn deployment(i: u32, replicas: u32) -> Object {
    let mut d = Deployment::default();
    d.metadata.name = format!("density-{i}").into();
    d.spec.replicas = Some(replicas as i32);
    let labels: std::collections::BTreeMap<String, String> = [("app".to_string(), format!("density-{i}"))].into_iter().collect();
    d.spec.selector = Some(LabelSelector { match_labels: labels.clone(), match_expressions: vec![] });
    d.spec.template.metadata.labels = labels.into();
    let mut c = Container { name: "pause".into(), image: "registry.k8s.io/pause:3.10".into(), ..Default::default() };
    c.resources.requests.insert("cpu".into(), Quantity::from_milli(10));
    c.resources.requests.insert("memory".into(), Quantity::from_bytes(10 << 20));
    std::rc::Rc::make_mut(&mut d.spec.template.spec).containers = std::rc::Rc::new(vec![c]);
    Object::Deployment(Box::new(d))
}

pub fn density_scenario(nodes: u32, pods: u32, per_deployment: u32, seed: u64) -> Scenario {
    let mut s = Scenario { seed, until: SimDuration::from_secs(3600), ..Default::default() };
    s.cluster.node_pools = vec![NodePool::plain("node", nodes, Quantity::from_value(32), Quantity::from_bytes(128 << 30))];
    // 5,000 nodes need 5,000 /24s: a /10 cluster CIDR (like large clusters use).
    if nodes > 256 {
        s.cluster.cluster_cidr = "10.64.0.0/10".into();
    }
    let per = per_deployment.max(1);
    let mut manifests = Vec::new();
    let (mut left, mut i) = (pods, 0);
    while left > 0 {
        let n = left.min(per);
        manifests.push(Manifest { object: deployment(i, n), at: Location::default() });
        left -= n;
        i += 1;
    }
    s.timeline = vec![TimelineEntry { at: SimDuration::from_secs(1), action: Action::Apply(manifests), location: Location::default() }];
    s
}

/// The workload's running pods (the default namespace: not metrics-server's).
fn running(sim: &Simulation) -> u32 {
    sim.api.store.list(&Kind::Pod).filter(|o| o.as_pod().is_some_and(|p| p.status.phase == "Running" && p.metadata.namespace == "default")).count() as u32
}

/// A simulation of `s` for a benchmark: no log kept, no checks, no event limit.
fn bench_simulation(s: &Scenario, seed: u64) -> Result<Simulation, u8> {
    let opts = RunOptions {
        seed,
        limits: Limits { until: SimTime(s.until.as_ms()), max_events: u64::MAX },
        keep_log: false,
        check: false,
        history: Default::default(),
        log_requests: false,
    };
    Simulation::new(s, &opts).map_err(|e| {
        eprintln!("error: {e}");
        2
    })
}

/// When the new image is set: after every pod of the density setup runs.
const ROLLOUT_AT: SimDuration = SimDuration::from_secs(120);

/// DeploymentStatusViewer.Status's "successfully rolled out": the status observed the
/// generation and every replica is updated, old ones gone, and available.
fn rolled_out(sim: &Simulation) -> bool {
    sim.api.store.list(&Kind::Deployment).filter_map(|o| o.as_deployment()).all(|d| {
        let st = &d.status;
        st.observed_generation >= d.metadata.rare.generation
            && st.updated_replicas == d.replicas()
            && st.replicas == st.updated_replicas
            && st.available_replicas == st.updated_replicas
    })
}

/// The traffic bench's scenario: 3 nodes, a Deployment of 3 behind a Service, worker-1
/// crashing halfway, and (with `rate`) a client on worker-2.
fn traffic_scenario(rate: Option<&str>, duration: &str) -> String {
    let client = rate.map_or(String::new(), |r| format!("  traffic:\n  - {{name: bench, source: {{node: worker-2}}, target: service/web:80, rate: {r}}}\n"));
    format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: traffic-bench}}\nspec:\n  until: {duration}\n  cluster:\n    nodePools:\n    - {{name: worker, count: 3, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n{client}  faults:\n    nodeCrash: {{rate: 1/5m, downtime: 2m}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: nginx, ports: [{{containerPort: 80}}]}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: 80}}]\n"
    )
}

fn traffic(rate: &str, duration: &str, seed: u64, output: Option<String>) -> u8 {
    let run = |text: String| -> Result<(f64, Simulation), u8> {
        let s = sim_core::load(&[sim_core::Source { name: "traffic-bench".into(), text }], &|_, _| Err("no includes".to_string())).map_err(|e| {
            eprintln!("{}", e.render());
            2
        })?;
        let start = Instant::now();
        let mut sim = bench_simulation(&s, seed)?;
        sim.run();
        Ok((start.elapsed().as_secs_f64(), sim))
    };
    let (with, sim) = match run(traffic_scenario(Some(rate), duration)) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let (without, _) = match run(traffic_scenario(None, duration)) {
        Ok(x) => x,
        Err(c) => return c,
    };
    let c = sim.traffic.counters("bench").cloned().unwrap_or_default();
    let added = (with - without).max(0.0);
    let fields = serde_json::json!({
        "rate": rate,
        "duration": duration,
        "requests": c.sent,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "wall_with_traffic_s": (with * 1000.0).round() / 1000.0,
        "wall_without_s": (without * 1000.0).round() / 1000.0,
        "added_wall_s": (added * 1000.0).round() / 1000.0,
        "ns_per_request": if c.sent > 0 { (added * 1e9 / c.sent as f64).round() } else { 0.0 },
        "fingerprint": sim.fingerprint(),
    });
    print_fields(&fields, output.as_deref());
    0
}

fn rollout(nodes: u32, replicas: u32, deployments: u32, seed: u64, output: Option<String>) -> u8 {
    let deployments = deployments.clamp(1, replicas.max(1));
    let mut s = density_scenario(nodes, replicas, replicas.div_ceil(deployments), seed);
    let names: Vec<String> = s
        .timeline
        .iter()
        .flat_map(|e| match &e.action {
            Action::Apply(ms) => ms.iter().map(|m| m.object.meta().name.to_string()).collect(),
            _ => vec![],
        })
        .collect();
    for name in &names {
        s.timeline.push(TimelineEntry {
            at: ROLLOUT_AT,
            action: Action::SetImage {
                target: sim_core::scenario::model::Target { kind: Kind::Deployment, namespace: "default".into(), name: name.clone() },
                container: "pause".into(),
                image: "registry.k8s.io/pause:3.11".into(),
            },
            location: Location::default(),
        });
    }
    let start = Instant::now();
    let mut sim = match bench_simulation(&s, seed) {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    sim.run_until(SimTime(ROLLOUT_AT.as_ms() - 1));
    let ready_before = running(&sim) >= replicas;
    let (setup_wall, setup_events) = (start.elapsed().as_secs_f64(), sim.events_processed);
    let step = SimDuration::from_secs(1);
    let mut t = SimTime(ROLLOUT_AT.as_ms() + step.as_ms());
    let mut done = false;
    while t <= SimTime(s.until.as_ms()) {
        sim.run_until(t);
        if rolled_out(&sim) {
            done = true;
            break;
        }
        t = t + step;
    }
    let wall = start.elapsed().as_secs_f64() - setup_wall;
    let events = sim.events_processed - setup_events;
    let fields = serde_json::json!({
        "nodes": nodes,
        "deployments": names.len(),
        "replicas": replicas,
        "running_before_update": ready_before,
        "rolled_out": done,
        "rollout_sim_time_s": (sim.now.as_ms() - ROLLOUT_AT.as_ms()) as f64 / 1000.0,
        "setup_wall_s": (setup_wall * 1000.0).round() / 1000.0,
        "rollout_wall_s": (wall * 1000.0).round() / 1000.0,
        "rollout_events": events,
        "events_per_s": (events as f64 / wall).round(),
        "replica_sets": sim.api.store.list(&Kind::ReplicaSet).count(),
        "peak_rss_bytes": peak_rss_bytes(),
        "fingerprint": sim.fingerprint(),
    });
    std::mem::forget(sim);
    print_fields(&fields, output.as_deref());
    u8::from(!(done && ready_before))
}

/// Refuses sizes past the scenario limits before anything is built from them.
fn check_sizes(nodes: u64, pods: u64) -> Result<(), String> {
    use sim_core::scenario::load::{MAX_NODES, MAX_PODS};
    if nodes > MAX_NODES {
        return Err(format!("--nodes {nodes}: ksim simulates at most {MAX_NODES} nodes"));
    }
    if pods > MAX_PODS as u64 {
        return Err(format!("--pods {pods}: ksim simulates at most {MAX_PODS} pods"));
    }
    Ok(())
}

pub fn bench(which: Which) -> u8 {
    let output = match &which {
        Which::Density { output, .. }
        | Which::Scheduler { output, .. }
        | Which::Rollout { output, .. }
        | Which::Traffic { output, .. }
        | Which::Replay { output, .. } => output.as_deref(),
    };
    if let Err(code) = crate::check_output(output, &["json"]) {
        return code;
    }
    if let Which::Traffic { rate, duration, seed, output } = which {
        return traffic(&rate, &duration, seed, output);
    }
    if let Which::Replay { format, trace, jobs, shard, nodes, seed, event_ttl, output } = which {
        let shard = shard.as_deref().map(crate::check::parse_shard).transpose();
        return match crate::replay::event_ttl(event_ttl.as_deref()).and_then(|ttl| replay(&format, trace, jobs, shard?, nodes, seed, ttl)) {
            Ok(fields) => {
                print_fields(&fields, output.as_deref());
                0
            }
            Err(e) => {
                eprintln!("error: {e}");
                2
            }
        };
    }
    let sizes = match &which {
        Which::Density { nodes, pods, .. } => check_sizes(u64::from(*nodes), u64::from(*pods)),
        Which::Scheduler { nodes, pods, init_pods, .. } => check_sizes(*nodes as u64, pods.saturating_add(*init_pods) as u64),
        // The surge of a rollout adds up to 25% (rounded up per Deployment).
        Which::Rollout { nodes, replicas, deployments, .. } => {
            check_sizes(u64::from(*nodes), u64::from(*replicas) + u64::from(*replicas).div_ceil(4) + u64::from(*deployments))
        }
        Which::Traffic { .. } | Which::Replay { .. } => Ok(()),
    };
    if let Err(e) = sizes {
        eprintln!("error: {e}");
        return 2;
    }
    let (nodes, pods, per_deployment, seed, usage, hold, emit, output) = match which {
        Which::Density { nodes, pods, per_deployment, seed, usage, hold, emit_scenario, output } => {
            let Ok(hold) = SimDuration::parse(&hold) else {
                eprintln!("error: --hold {hold:?}: expected a duration such as 60s");
                return 2;
            };
            (nodes, pods, per_deployment, seed, usage, hold, emit_scenario, output)
        }
        Which::Scheduler { nodes, pods, init_pods, workload, output } => return scheduler(nodes, pods, init_pods, &workload, output),
        Which::Rollout { nodes, replicas, deployments, seed, output } => return rollout(nodes, replicas, deployments, seed, output),
        Which::Traffic { .. } | Which::Replay { .. } => unreachable!("handled above"),
    };
    let mut s = density_scenario(nodes, pods, per_deployment, seed);
    if usage {
        // Each Deployment's load (its pods' 10m request, half used) and a working set.
        s.cluster.metrics_server = true;
        for e in &mut s.timeline {
            let Action::Apply(ms) = &mut e.action else { continue };
            for m in ms {
                if let Object::Deployment(d) = &mut m.object {
                    let demand = format!("{}m", 5 * d.spec.replicas.unwrap_or(1));
                    let a = &mut d.spec.template.metadata.annotations;
                    a.insert("ksim.dev/cpu-demand".into(), demand);
                    a.insert("ksim.dev/memory-usage".into(), "5Mi".into());
                }
            }
        }
    }
    let start = Instant::now();
    let mut sim = match bench_simulation(&s, seed) {
        Ok(sim) => sim,
        Err(code) => return code,
    };
    // KSIM_BENCH_TRACE=1 prints the resident memory every 250 ms of simulated time (to see
    // where a run's memory goes); off, the bench checks for completion every 5 s.
    let trace_rss = std::env::var_os("KSIM_BENCH_TRACE").is_some();
    let step = if trace_rss { SimDuration::from_ms(250) } else { SimDuration::from_secs(5) };
    let mut t = SimTime(step.as_ms());
    let mut all_running = false;
    while t <= SimTime(s.until.as_ms()) {
        sim.run_until(t);
        if trace_rss {
            eprintln!("t={t} rss={}MB events={} queue={}", current_rss_bytes() >> 20, sim.events_processed, sim.pending_events());
        }
        if running(&sim) >= pods {
            all_running = true;
            break;
        }
        t = t + step;
    }
    if all_running && hold > SimDuration::ZERO {
        let until = sim.now + hold;
        sim.run_until(until);
    }
    let wall = start.elapsed().as_secs_f64();
    let events = sim.events_processed;
    let rss = peak_rss_bytes();
    let fields = serde_json::json!({
        "nodes": nodes,
        "pods": pods,
        "usage": usage,
        "hold_s": hold.as_ms() as f64 / 1000.0,
        "all_running": all_running,
        "sim_time_s": sim.now.as_ms() as f64 / 1000.0,
        "wall_s": (wall * 1000.0).round() / 1000.0,
        "events": events,
        "events_per_s": (events as f64 / wall).round(),
        "pods_per_s": (pods as f64 / wall).round(),
        "log_records": sim.trace.len(),
        "store_revision": sim.api.store.revision(),
        "peak_rss_bytes": rss,
        "fingerprint": sim.fingerprint(),
    });
    let end = SimDuration(sim.now.as_ms());
    // The process exits next: skip tearing down millions of objects.
    std::mem::forget(sim);
    if let Some(path) = emit {
        let args = format!("--nodes {nodes} --pods {pods} --per-deployment {per_deployment} --seed {seed}{}", if usage { " --usage" } else { "" });
        if let Err(e) = std::fs::write(&path, density_yaml(&s, &args, end, all_running.then_some(pods))) {
            eprintln!("error: cannot write {path}: {e}");
            return 2;
        }
    }
    print_fields(&fields, output.as_deref());
    u8::from(!all_running)
}

/// The density run as a scenario file: `s` (its cluster, and its Deployments applied at
/// the same moment) until `end`, when the bench stopped, expecting its `running` pods
/// (the workload's: every one has an `app` label) if they all ran. Each manifest is the
/// object the bench applies, as JSON and then YAML, without its (empty) status: nothing
/// typed twice.
fn density_yaml(s: &Scenario, args: &str, end: SimDuration, running: Option<u32>) -> String {
    use std::fmt::Write;
    let c = &s.cluster;
    let mut y = String::new();
    let _ = writeln!(y, "# Written by `ksim bench density {args} --emit-scenario`: the bench's cluster and");
    let _ = writeln!(y, "# Deployments, run until the moment the bench stopped. `ksim run` of this file is the");
    let _ = writeln!(y, "# bench's run (the same events and fingerprint), through the scenario reader and `ksim run`.");
    let _ = writeln!(y, "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: density}}\nspec:\n  seed: {}\n  until: {end}\n  cluster:", s.seed);
    if !c.cluster_cidr.is_empty() {
        let _ = writeln!(y, "    clusterCIDR: {}", c.cluster_cidr);
    }
    if c.metrics_server {
        let _ = writeln!(y, "    metricsServer: metrics-server");
    }
    let _ = writeln!(y, "    nodePools:");
    for p in &c.node_pools {
        let _ = writeln!(y, "    - {{name: {}, count: {}, capacity: {{cpu: \"{}\", memory: {}, pods: {}}}}}", p.name, p.count, p.cpu, p.memory, p.pods);
    }
    if let Some(n) = running {
        let _ = writeln!(y, "  expect:\n  - {{at: {end}, that: pods(app) running == {n}}}");
    }
    let _ = writeln!(y, "  timeline:");
    for e in &s.timeline {
        let Action::Apply(ms) = &e.action else { continue };
        let _ = writeln!(y, "  - at: {}\n    apply:", e.at);
        for m in ms {
            let mut o = m.object.clone();
            o.set_type_meta();
            let mut v = o.to_json();
            if let Some(m) = v.as_object_mut() {
                m.remove("status");
            }
            let list = crate::print::to_yaml(&serde_json::Value::Array(vec![v]));
            for line in list.lines() {
                let _ = writeln!(y, "    {line}");
            }
        }
    }
    y
}

/// `ksim bench replay`: the replay's wall time (reading the trace included), pods and
/// peak memory.
fn replay(
    format: &str,
    trace: Option<String>,
    jobs: Option<usize>,
    shard: Option<(u64, u64)>,
    nodes: Option<usize>,
    seed: u64,
    event_ttl: Option<SimDuration>,
) -> Result<serde_json::Value, String> {
    let round = |x: f64| (x * 1000.0).round() / 1000.0;
    let start = Instant::now();
    match format {
        "alibaba-2018" => {
            let dir = trace.unwrap_or_else(|| "../shared/corpus/alibaba-2018-sample".into());
            let nodes = nodes.map(|n| u32::try_from(n).map_err(|_| format!("--nodes {n}: too many"))).transpose()?;
            let t = crate::replay_2018::trace::read(crate::replay::trace_dir(&dir), jobs, shard)?;
            let read_s = start.elapsed().as_secs_f64();
            let o = crate::replay_2018::replay(&t, &crate::replay_2018::Options { nodes, speed: 1, until: None, jobs, seed, event_ttl, shard })?;
            let wall = start.elapsed().as_secs_f64();
            Ok(serde_json::json!({
                "format": format,
                "event_ttl": event_ttl.map(|t| t.to_string()),
                "shard": shard.map(|(i, k)| format!("{i}/{k}")),
                "jobs": t.jobs.len(),
                "tasks": t.tasks.len(),
                "nodes": o.nodes,
                "pods": o.created,
                "succeeded": o.succeeded,
                "jobs_complete": o.completion_times.len(),
                "makespan_s": o.makespan.map(|m| m.as_ms() as f64 / 1000.0),
                "events": o.events,
                // The driver's looks for finished Jobs that read the Jobs themselves, the
                // history compacted past the look before.
                "looks_after_compaction": o.looked_up,
                "objects_at_end": o.objects,
                "most_pods_sampled": o.samples.iter().map(|s| s.pods).max(),
                "read_s": round(read_s),
                "wall_s": round(wall),
                "pods_per_s": (o.created as f64 / wall).round(),
                "us_per_pod": if o.created > 0 { (wall * 1e6 / o.created as f64).round() } else { 0.0 },
                "peak_rss_bytes": peak_rss_bytes(),
                "fingerprint": o.fingerprint,
            }))
        }
        "alibaba-gpu-2023" => {
            if jobs.is_some() || shard.is_some() {
                return Err("--jobs and --shard are for --format alibaba-2018".into());
            }
            let dir = trace.unwrap_or_else(|| "../shared/corpus/alibaba-gpu-v2023".into());
            let g = crate::replay::gpu_scenario(crate::replay::trace_dir(&dir), nodes, None, None, seed, false)?;
            let text = crate::replay::with_event_ttl(g.text, event_ttl);
            let s = sim_core::load(&[sim_core::Source { name: "replay-alibaba-gpu-2023".into(), text }], &|_, _| Err("no includes".to_string()))
                .map_err(|e| e.render())?;
            let mut sim = bench_simulation(&s, seed).map_err(|_| "the scenario does not start".to_string())?;
            sim.run();
            let wall = start.elapsed().as_secs_f64();
            let fields = serde_json::json!({
                "format": format,
                "event_ttl": event_ttl.map(|t| t.to_string()),
                "nodes": g.nodes,
                "pods": g.kept,
                "sim_time_s": sim.now.as_ms() as f64 / 1000.0,
                "events": sim.events_processed,
                "wall_s": round(wall),
                "pods_per_s": (g.kept as f64 / wall).round(),
                "us_per_pod": if g.kept > 0 { (wall * 1e6 / g.kept as f64).round() } else { 0.0 },
                "peak_rss_bytes": peak_rss_bytes(),
                "fingerprint": sim.fingerprint(),
            });
            std::mem::forget(sim);
            Ok(fields)
        }
        other => Err(format!("--format {other:?}: supported values: \"alibaba-2018\", \"alibaba-gpu-2023\"")),
    }
}
