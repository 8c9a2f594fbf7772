//! Structure-aware fuzzing: the input bytes drive `arbitrary` into a *valid* scenario —
//! node pools (zones, taints), Deployments (requests, zone spreading, anti-affinity,
//! priorities, RollingUpdate or Recreate, minReadySeconds, PodDisruptionBudgets),
//! DaemonSets, a timeline of scales, deletes, node crashes and recoveries, kubectl's
//! cordon/uncordon/drain, nodes joining and leaving, set image, rollout
//! pause/resume/undo, random fault plans and latencies — written as YAML and run through the real loader, so that the
//! inputs reach the simulator instead of the loader's error paths. A panic, a safety
//! violation, or (once the run is quiet) a liveness violation is a finding.
//!
//! Workloads may have a Service (ClusterIP, NodePort, headless or LoadBalancer) over a
//! named targetPort, so the Service registry and the EndpointSlice and Endpoints
//! controllers run too.
//! `KSIM_FUZZ_STATS=1` prints, every 1,000 inputs, how many reached the simulator.
#![no_main]

use arbitrary::{Arbitrary, Unstructured};
use libfuzzer_sys::fuzz_target;
use sim_core::{load, RunOptions, Simulation, Source};
use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

static INPUTS: AtomicU64 = AtomicU64::new(0);
static SIMULATED: AtomicU64 = AtomicU64::new(0);

#[derive(Debug)]
struct Pool {
    count: u8,
    cpu: u8,
    pods: u8,
    zone: u8,
    tainted: bool,
}

#[derive(Debug)]
struct Workload {
    replicas: u8,
    cpu_m: u16,
    spread: bool,
    anti_affinity: bool,
    high_priority: bool,
    tolerates: bool,
    ready_delay_s: u8,
    /// None: Recreate; Some((maxSurge, maxUnavailable)) for RollingUpdate (not both 0).
    rolling: Option<(u8, u8)>,
    min_ready_s: u8,
    /// A PodDisruptionBudget: Some(maxUnavailable).
    budget: Option<u8>,
    /// A Service selecting its pods: 0 none, 1 ClusterIP, 2 NodePort, 3 headless,
    /// 4 LoadBalancer.
    service: u8,
}

#[derive(Debug)]
enum Step {
    Scale(u8, u8),
    Delete(u8),
    Crash(u8),
    Recover(u8),
    SetImage(u8, u8),
    Undo(u8),
    Pause(u8),
    Resume(u8),
    Cordon(u8),
    Uncordon(u8),
    Drain(u8, bool, u8),
    AddNode(u8),
    RemoveNode(u8),
}

#[derive(Debug)]
struct Case {
    seed: u16,
    pools: Vec<Pool>,
    workloads: Vec<Workload>,
    steps: Vec<(u16, Step)>,
    crash_every_s: Option<u16>,
    latency_ms: u8,
    daemon_set: bool,
}

fn pick<'a, T>(u: &mut Unstructured<'a>, n: usize, f: impl Fn(&mut Unstructured<'a>) -> arbitrary::Result<T>) -> arbitrary::Result<Vec<T>> {
    let len = u.int_in_range(1..=n)?;
    (0..len).map(|_| f(u)).collect()
}

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let pools = pick(u, 3, |u| {
            Ok(Pool {
                count: u.int_in_range(1..=4)?,
                cpu: u.int_in_range(1..=8)?,
                pods: u.int_in_range(1..=20)?,
                zone: u.int_in_range(0..=2)?,
                tainted: u.ratio(1, 5)?,
            })
        })?;
        let workloads = pick(u, 4, |u| {
            Ok(Workload {
                replicas: u.int_in_range(0..=12)?,
                cpu_m: *u.choose(&[0u16, 100, 250, 500, 1000, 3000])?,
                spread: u.ratio(1, 3)?,
                anti_affinity: u.ratio(1, 5)?,
                high_priority: u.ratio(1, 4)?,
                tolerates: u.ratio(1, 3)?,
                ready_delay_s: *u.choose(&[0u8, 0, 5, 30])?,
                rolling: if u.ratio(1, 5)? { None } else { Some(*u.choose(&[(1u8, 0u8), (0, 1), (2, 1), (1, 1), (3, 0)])?) },
                min_ready_s: *u.choose(&[0u8, 0, 10])?,
                budget: if u.ratio(1, 3)? { Some(u.int_in_range(0..=2)?) } else { None },
                service: u.int_in_range(0..=4)?,
            })
        })?;
        let n_steps = u.int_in_range(0..=12)?;
        let mut steps = Vec::with_capacity(n_steps);
        for _ in 0..n_steps {
            let at = u.int_in_range(1..=600)?;
            let step = match u.int_in_range(0..=12)? {
                0 => Step::Scale(u.arbitrary()?, u.int_in_range(0..=12)?),
                1 => Step::Delete(u.arbitrary()?),
                2 => Step::Crash(u.arbitrary()?),
                3 => Step::Recover(u.arbitrary()?),
                4 => Step::SetImage(u.arbitrary()?, u.int_in_range(1..=3)?),
                5 => Step::Undo(u.arbitrary()?),
                6 => Step::Pause(u.arbitrary()?),
                7 => Step::Resume(u.arbitrary()?),
                8 => Step::Cordon(u.arbitrary()?),
                9 => Step::Uncordon(u.arbitrary()?),
                10 => Step::Drain(u.arbitrary()?, u.arbitrary()?, *u.choose(&[0u8, 30, 120])?),
                11 => Step::AddNode(u.arbitrary()?),
                _ => Step::RemoveNode(u.arbitrary()?),
            };
            steps.push((at, step));
        }
        steps.sort_by_key(|s| s.0);
        let crash_every_s = if u.ratio(1, 4)? { Some(u.int_in_range(20..=300)?) } else { None };
        Ok(Case { seed: u.arbitrary()?, pools, workloads, steps, crash_every_s, latency_ms: *u.choose(&[1u8, 1, 5, 50])?, daemon_set: u.ratio(1, 3)? })
    }
}

fn yaml(c: &Case) -> String {
    let mut y = String::new();
    let _ = write!(
        y,
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: fuzz}}\nspec:\n  seed: {}\n  until: 20m\n  latency: {{request: {}ms, watch: {}ms}}\n  cluster:\n    nodePools:\n",
        c.seed, c.latency_ms, c.latency_ms
    );
    for (i, p) in c.pools.iter().enumerate() {
        let taint = if p.tainted { ", taints: [{key: dedicated, value: batch, effect: NoSchedule}]" } else { "" };
        let _ = writeln!(
            y,
            "    - {{name: p{i}, count: {}, capacity: {{cpu: \"{}\", memory: 16Gi, pods: {}}}, labels: {{topology.kubernetes.io/zone: z{}}}{taint}}}",
            p.count, p.cpu, p.pods, p.zone
        );
    }
    let nodes: Vec<String> = c.pools.iter().enumerate().flat_map(|(i, p)| (1..=p.count).map(move |n| format!("p{i}-{n}"))).collect();
    if let Some(every) = c.crash_every_s {
        let _ = writeln!(y, "  faults:\n    nodeCrash: {{rate: 1/{every}s, downtime: 90s, to: 10m}}");
    }
    let mut deleted = vec![false; c.workloads.len()];
    let mut lines = String::new();
    for (at, step) in &c.steps {
        let w = |i: u8| i as usize % c.workloads.len();
        let n = |i: u8| &nodes[i as usize % nodes.len()];
        match step {
            Step::SetImage(i, v) if !deleted[w(*i)] => {
                let _ = writeln!(lines, "  - {{at: {at}s, setImage: {{target: deployment/d{}, container: c, image: 'img:{}-v{v}'}}}}", w(*i), w(*i));
            }
            Step::Undo(i) if !deleted[w(*i)] => {
                let _ = writeln!(lines, "  - {{at: {at}s, rolloutUndo: {{target: deployment/d{}}}}}", w(*i));
            }
            Step::Pause(i) if !deleted[w(*i)] => {
                let _ = writeln!(lines, "  - {{at: {at}s, rolloutPause: deployment/d{}}}", w(*i));
            }
            Step::Resume(i) if !deleted[w(*i)] => {
                let _ = writeln!(lines, "  - {{at: {at}s, rolloutResume: deployment/d{}}}", w(*i));
            }
            Step::Cordon(i) => {
                let _ = writeln!(lines, "  - {{at: {at}s, cordon: {}}}", n(*i));
            }
            Step::Uncordon(i) => {
                let _ = writeln!(lines, "  - {{at: {at}s, uncordon: {}}}", n(*i));
            }
            Step::Drain(i, force, timeout) => {
                let _ = writeln!(lines, "  - {{at: {at}s, drain: {{node: {}, ignoreDaemonSets: true, force: {force}, timeout: {timeout}s}}}}", n(*i));
            }
            Step::AddNode(i) => {
                let p = *i as usize % c.pools.len();
                let _ = writeln!(lines, "  - {{at: {at}s, addNode: {{pool: p{p}}}}}");
            }
            Step::RemoveNode(i) => {
                let _ = writeln!(lines, "  - {{at: {at}s, removeNode: {}}}", n(*i));
            }
            Step::Scale(i, r) if !deleted[w(*i)] => {
                let _ = writeln!(lines, "  - {{at: {at}s, scale: {{target: deployment/d{}, replicas: {r}}}}}", w(*i));
            }
            Step::Delete(i) if !deleted[w(*i)] => {
                deleted[w(*i)] = true;
                let _ = writeln!(lines, "  - {{at: {at}s, delete: deployment/d{}}}", w(*i));
            }
            Step::Crash(i) => {
                let _ = writeln!(lines, "  - {{at: {at}s, nodeCrash: {}}}", n(*i));
            }
            Step::Recover(i) => {
                let _ = writeln!(lines, "  - {{at: {at}s, nodeRecover: {}}}", n(*i));
            }
            _ => {}
        }
    }
    if !lines.is_empty() {
        y.push_str("  timeline:\n");
        y.push_str(&lines);
    }
    y.push_str("---\napiVersion: scheduling.k8s.io/v1\nkind: PriorityClass\nmetadata: {name: high}\nvalue: 1000\n");
    for (i, w) in c.workloads.iter().enumerate() {
        let mut spec = String::new();
        if w.high_priority {
            spec.push_str("      priorityClassName: high\n");
        }
        if w.tolerates {
            spec.push_str("      tolerations: [{key: dedicated, operator: Exists, effect: NoSchedule}]\n");
        }
        if w.spread {
            let _ = writeln!(spec, "      topologySpreadConstraints: [{{maxSkew: 1, topologyKey: topology.kubernetes.io/zone, whenUnsatisfiable: DoNotSchedule, labelSelector: {{matchLabels: {{app: d{i}}}}}}}]");
        }
        if w.anti_affinity {
            let _ = writeln!(spec, "      affinity: {{podAntiAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: [{{topologyKey: kubernetes.io/hostname, labelSelector: {{matchLabels: {{app: d{i}}}}}}}]}}}}");
        }
        let strategy = match w.rolling {
            None => "  strategy: {type: Recreate}\n".to_string(),
            Some((surge, unavailable)) => format!("  strategy: {{rollingUpdate: {{maxSurge: {surge}, maxUnavailable: {unavailable}}}}}\n"),
        };
        let min_ready = if w.min_ready_s > 0 { format!("  minReadySeconds: {}\n", w.min_ready_s) } else { String::new() };
        if let Some(b) = w.budget {
            let _ = write!(y, "---\napiVersion: policy/v1\nkind: PodDisruptionBudget\nmetadata: {{name: d{i}}}\nspec: {{maxUnavailable: {b}, selector: {{matchLabels: {{app: d{i}}}}}}}\n");
        }
        let probe = if w.ready_delay_s > 0 {
            format!(", readinessProbe: {{initialDelaySeconds: {}, tcpSocket: {{port: 80}}}}", w.ready_delay_s)
        } else {
            String::new()
        };
        let _ = write!(
            y,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  replicas: {}\n{strategy}{min_ready}  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}}}}}\n    spec:\n{spec}      containers:\n      - {{name: c, image: 'img:{i}', ports: [{{name: http, containerPort: 8080}}], resources: {{requests: {{cpu: {}m, memory: 64Mi}}}}{probe}}}\n",
            w.replicas, w.cpu_m
        );
        let service = match w.service {
            1 => "",
            2 => "  type: NodePort\n",
            3 => "  clusterIP: None\n",
            4 => "  type: LoadBalancer\n",
            _ => continue,
        };
        let _ = write!(y, "---\napiVersion: v1\nkind: Service\nmetadata: {{name: d{i}}}\nspec:\n{service}  selector: {{app: d{i}}}\n  ports: [{{port: 80, targetPort: http}}]\n");
    }
    if c.daemon_set {
        y.push_str("---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: agent}\nspec:\n  selector: {matchLabels: {app: agent}}\n  template:\n    metadata: {labels: {app: agent}}\n    spec:\n      containers: [{name: a, image: 'agent:1', resources: {requests: {cpu: 10m, memory: 16Mi}}}]\n");
    }
    y
}

fuzz_target!(|c: Case| {
    let text = yaml(&c);
    let n = INPUTS.fetch_add(1, Ordering::Relaxed) + 1;
    let sources = [Source { name: "fuzz.yaml".into(), text: text.clone() }];
    let s = match load(&sources, &|_, r| Err(r.to_string())) {
        Ok(s) => s,
        Err(e) => panic!("the generator wrote a scenario the loader refuses:\n{}\n{text}", e.render()),
    };
    let opts = RunOptions { check: true, ..RunOptions::for_scenario(&s) };
    let Ok(mut sim) = Simulation::new(&s, &opts) else { return };
    let simulated = SIMULATED.fetch_add(1, Ordering::Relaxed) + 1;
    if n % 1000 == 0 && std::env::var_os("KSIM_FUZZ_STATS").is_some() {
        eprintln!("scenario target: {simulated} of {n} inputs reached the simulator");
    }
    sim.run();
    let mut found: Vec<String> = sim.violations().iter().take(5).map(ToString::to_string).collect();
    found.extend(sim.check_converged().iter().take(5).map(ToString::to_string));
    if !found.is_empty() {
        panic!("invariant violation(s):\n  {}\n--- scenario ---\n{text}", found.join("\n  "));
    }
});
