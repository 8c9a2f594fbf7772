//! Structure-aware fuzzing: the input bytes drive `arbitrary` into a *valid* scenario —
//! node pools (zones, taints), Deployments (requests, zone spreading, anti-affinity,
//! priorities), a timeline of scales, deletes, node crashes and recoveries, random fault
//! plans and latencies — written as YAML and run through the real loader, so that the
//! inputs reach the simulator instead of the loader's error paths. A panic, a safety
//! violation, or (once the run is quiet) a liveness violation is a finding.
//!
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
}

#[derive(Debug)]
enum Step {
    Scale(u8, u8),
    Delete(u8),
    Crash(u8),
    Recover(u8),
}

#[derive(Debug)]
struct Case {
    seed: u16,
    pools: Vec<Pool>,
    workloads: Vec<Workload>,
    steps: Vec<(u16, Step)>,
    crash_every_s: Option<u16>,
    latency_ms: u8,
}

fn pick<'a, T>(u: &mut Unstructured<'a>, n: usize, f: impl Fn(&mut Unstructured<'a>) -> arbitrary::Result<T>) -> arbitrary::Result<Vec<T>> {
    let len = u.int_in_range(1..=n)?;
    (0..len).map(|_| f(u)).collect()
}

impl<'a> Arbitrary<'a> for Case {
    fn arbitrary(u: &mut Unstructured<'a>) -> arbitrary::Result<Self> {
        let pools = pick(u, 3, |u| {
            Ok(Pool { count: u.int_in_range(1..=4)?, cpu: u.int_in_range(1..=8)?, pods: u.int_in_range(1..=20)?, zone: u.int_in_range(0..=2)?, tainted: u.ratio(1, 5)? })
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
            })
        })?;
        let n_steps = u.int_in_range(0..=8)?;
        let mut steps = Vec::with_capacity(n_steps);
        for _ in 0..n_steps {
            let at = u.int_in_range(1..=600)?;
            let step = match u.int_in_range(0..=3)? {
                0 => Step::Scale(u.arbitrary()?, u.int_in_range(0..=12)?),
                1 => Step::Delete(u.arbitrary()?),
                2 => Step::Crash(u.arbitrary()?),
                _ => Step::Recover(u.arbitrary()?),
            };
            steps.push((at, step));
        }
        steps.sort_by_key(|s| s.0);
        let crash_every_s = if u.ratio(1, 4)? { Some(u.int_in_range(20..=300)?) } else { None };
        Ok(Case { seed: u.arbitrary()?, pools, workloads, steps, crash_every_s, latency_ms: *u.choose(&[1u8, 1, 5, 50])? })
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
        let probe = if w.ready_delay_s > 0 { format!(", readinessProbe: {{initialDelaySeconds: {}, tcpSocket: {{port: 80}}}}", w.ready_delay_s) } else { String::new() };
        let _ = write!(
            y,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: d{i}}}\nspec:\n  replicas: {}\n  selector: {{matchLabels: {{app: d{i}}}}}\n  template:\n    metadata: {{labels: {{app: d{i}}}}}\n    spec:\n{spec}      containers:\n      - {{name: c, image: 'img:{i}', resources: {{requests: {{cpu: {}m, memory: 64Mi}}}}{probe}}}\n",
            w.replicas, w.cpu_m
        );
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
