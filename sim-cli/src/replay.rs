//! `ksim replay TRACE --format alibaba-gpu-2023 [--nodes N] [--speed X] [--until T]
//! [--config SCHED.yaml] [--emit-scenario OUT.yaml] [--seed N]`: a real cluster trace
//! turned into a scenario and run, with its scheduling outcome over time.
//!
//! alibaba-gpu-2023 (Alibaba's "openb" GPU cluster trace, cluster-trace-gpu-v2023: the
//! directory with `openb_node_list_all_node.csv` and `openb_pod_list_default.csv`):
//! - each node becomes a machine of a pool grouping the nodes of one shape (CPU, memory,
//!   GPU count and model), with its GPUs as the extended resource `alibaba.com/gpu-milli`
//!   (1000 per GPU) and the label `alibaba.com/gpu-model`;
//! - each pod becomes a bare Pod created at its `creation_time` and force-deleted at its
//!   `deletion_time`, requesting its `cpu_milli` and `memory_mib`, and its GPUs as
//!   `num_gpu × gpu_milli` of `alibaba.com/gpu-milli` — the trace's fractional GPU sharing
//!   (a pod asks a share of one GPU, `gpu_milli` < 1000) summed per node: the GPU a share
//!   lands on is not modelled, so a node's free thousandths may be spread over its GPUs
//!   where the trace's scheduler packs them per GPU; `gpu_spec` (the GPU models a pod
//!   accepts, `|`-separated) becomes a required node affinity;
//! - `--nodes N` keeps every (total/N)-th node, a smaller cluster of the same mix;
//! - the trace's times (seconds) are divided by `--speed` (by default so that the last
//!   event lands within an hour): the pods' order and overlaps are the trace's, their
//!   start-up takes the seconds it takes;
//! - `--keep-pods`: the pods are not deleted — the setup of the trace's paper (FGD,
//!   ATC '23), where pods arrive in the trace's order and stay, so the cluster fills and
//!   the GPU allocation ratio shows where fragmentation stops it;
//! - not modelled: `qos` (all pods are of one priority), the trace's own `pod_phase`
//!   and `scheduled_time` (the outcome is the simulated scheduler's).

use crate::run::{load, new_sim, run_to, EXIT_BAD_INPUT};
use sim_core::api::Kind;
use sim_core::engine::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::fmt::Write as _;

pub const FORMATS: [&str; 2] = ["alibaba-gpu-2023", "alibaba-2018"];
const GPU_MILLI: &str = "alibaba.com/gpu-milli";
const GPU_MODEL: &str = "alibaba.com/gpu-model";
/// How many moments the outcome table shows.
const SAMPLES: u64 = 12;

struct TraceNode {
    cpu_milli: u64,
    memory_mib: u64,
    gpus: u64,
    model: String,
}

struct TracePod {
    name: String,
    cpu_milli: u64,
    memory_mib: u64,
    gpu_milli: u64,
    gpu_spec: String,
    created: u64,
    deleted: u64,
}

/// Reads a CSV with a header into rows keyed by column. By hand, not the csv crate: the
/// openb files are plain (no quoting, no commas in fields, 8,152 rows at most) and a
/// field count that does not match the header is refused with its line.
fn csv(path: &std::path::Path) -> Result<Vec<BTreeMap<String, String>>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().ok_or_else(|| format!("{}: empty", path.display()))?.split(',').collect();
    let mut rows = Vec::new();
    for (i, l) in lines.enumerate() {
        if l.trim().is_empty() {
            continue;
        }
        let cells: Vec<&str> = l.split(',').collect();
        if cells.len() != header.len() {
            return Err(format!("{}:{}: {} fields where the header has {}", path.display(), i + 2, cells.len(), header.len()));
        }
        rows.push(header.iter().zip(cells).map(|(h, c)| (h.to_string(), c.trim().to_string())).collect());
    }
    Ok(rows)
}

fn num(row: &BTreeMap<String, String>, col: &str, file: &str, line: usize) -> Result<u64, String> {
    let v = row.get(col).ok_or_else(|| format!("{file}: no column {col:?}"))?;
    if v.is_empty() {
        return Ok(0);
    }
    v.parse().map_err(|_| format!("{file}:{line}: {col} {v:?} is not a whole number"))
}

fn read_trace(dir: &std::path::Path) -> Result<(Vec<TraceNode>, Vec<TracePod>), String> {
    let nodes_file = dir.join("openb_node_list_all_node.csv");
    let pods_file = dir.join("openb_pod_list_default.csv");
    let mut nodes = Vec::new();
    for (i, r) in csv(&nodes_file)?.iter().enumerate() {
        let f = "openb_node_list_all_node.csv";
        nodes.push(TraceNode {
            cpu_milli: num(r, "cpu_milli", f, i + 2)?,
            memory_mib: num(r, "memory_mib", f, i + 2)?,
            gpus: num(r, "gpu", f, i + 2)?,
            model: r.get("model").cloned().unwrap_or_default(),
        });
    }
    let mut pods = Vec::new();
    for (i, r) in csv(&pods_file)?.iter().enumerate() {
        let f = "openb_pod_list_default.csv";
        let (created, deleted) = (num(r, "creation_time", f, i + 2)?, num(r, "deletion_time", f, i + 2)?);
        pods.push(TracePod {
            name: r.get("name").cloned().unwrap_or_default(),
            cpu_milli: num(r, "cpu_milli", f, i + 2)?,
            memory_mib: num(r, "memory_mib", f, i + 2)?,
            gpu_milli: num(r, "num_gpu", f, i + 2)? * num(r, "gpu_milli", f, i + 2)?,
            gpu_spec: r.get("gpu_spec").cloned().unwrap_or_default(),
            created,
            deleted: deleted.max(created),
        });
    }
    Ok((nodes, pods))
}

/// The scenario for the trace: pools by node shape, a timeline of pod creations and
/// deletions.
fn scenario(nodes: &[TraceNode], pods: &[TracePod], speed: u64, until: SimDuration, seed: u64, keep: bool) -> (String, usize) {
    let mut shapes: BTreeMap<(u64, u64, u64, String), u32> = BTreeMap::new();
    for n in nodes {
        *shapes.entry((n.cpu_milli, n.memory_mib, n.gpus, n.model.clone())).or_default() += 1;
    }
    let mut y = String::new();
    let _ = writeln!(y, "# Generated by `ksim replay --format alibaba-gpu-2023 --speed {speed}` from Alibaba's");
    let _ = writeln!(y, "# cluster-trace-gpu-v2023 (openb): {} nodes, {} pods. Each trace second is 1/{speed} s here.", nodes.len(), pods.len());
    let _ = writeln!(y, "# GPUs are the extended resource {GPU_MILLI} (1000 per GPU); see `ksim replay --help`.");
    let _ = writeln!(y, "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: replay-alibaba-gpu-2023}}\nspec:\n  seed: {seed}\n  until: {until}\n  cluster:\n    clusterCIDR: 10.64.0.0/10\n    nodePools:");
    for (i, ((cpu, mem, gpus, model), count)) in shapes.iter().enumerate() {
        let name = if *gpus > 0 {
            format!("s{}-{}c-{}gi-{gpus}x{}", i + 1, cpu / 1000, mem / 1024, model.to_lowercase())
        } else {
            format!("s{}-{}c-{}gi", i + 1, cpu / 1000, mem / 1024)
        };
        let mut cap = format!("cpu: {cpu}m, memory: {mem}Mi");
        let mut labels = String::new();
        if *gpus > 0 {
            let _ = write!(cap, ", {GPU_MILLI}: {}", gpus * 1000);
            labels = format!(", labels: {{{GPU_MODEL}: {model}}}");
        }
        let _ = writeln!(y, "    - {{name: {name}, count: {count}, capacity: {{{cap}}}{labels}}}");
    }
    let _ = writeln!(y, "  timeline:");
    let at = |t: u64| SimDuration::from_ms(t * 1000 / speed);
    let mut events: Vec<(SimDuration, u8, String)> = Vec::new();
    let mut kept = 0;
    for p in pods {
        if at(p.created) >= until {
            continue;
        }
        kept += 1;
        let mut res = format!("cpu: {}m, memory: {}Mi", p.cpu_milli, p.memory_mib);
        let mut limits = String::new();
        if p.gpu_milli > 0 {
            let _ = write!(res, ", {GPU_MILLI}: {}", p.gpu_milli);
            limits = format!(", limits: {{{GPU_MILLI}: {}}}", p.gpu_milli);
        }
        let affinity = if p.gpu_spec.is_empty() {
            String::new()
        } else {
            let models: Vec<&str> = p.gpu_spec.split('|').collect();
            format!(
                ", affinity: {{nodeAffinity: {{requiredDuringSchedulingIgnoredDuringExecution: {{nodeSelectorTerms: [{{matchExpressions: [{{key: {GPU_MODEL}, operator: In, values: [{}]}}]}}]}}}}}}",
                models.join(", ")
            )
        };
        let pod = format!(
            "{{apiVersion: v1, kind: Pod, metadata: {{name: {}, labels: {{app: openb}}}}, spec: {{terminationGracePeriodSeconds: 0{affinity}, containers: [{{name: main, image: registry.k8s.io/pause:3.10, resources: {{requests: {{{res}}}{limits}}}}}]}}}}",
            p.name
        );
        events.push((at(p.created), 0, format!("  - {{at: {}, apply: {pod}}}", at(p.created))));
        if !keep && at(p.deleted) < until {
            events.push((at(p.deleted), 1, format!("  - {{at: {}, delete: {{target: pod/{}, gracePeriodSeconds: 0, force: true}}}}", at(p.deleted), p.name)));
        }
    }
    events.sort_by_key(|e| (e.0, e.1));
    for (_, _, line) in events {
        y.push_str(&line);
        y.push('\n');
    }
    (y, kept)
}

/// `ksim replay`'s arguments.
pub struct Args<'a> {
    pub trace: &'a str,
    pub format: &'a str,
    pub nodes: Option<usize>,
    pub speed: Option<u64>,
    pub until: Option<&'a str>,
    pub jobs: Option<usize>,
    pub plot: Option<&'a str>,
    pub config: Option<&'a str>,
    pub emit: Option<&'a str>,
    pub seed: u64,
    pub keep: bool,
    /// --event-ttl as given.
    pub event_ttl: Option<&'a str>,
    /// alibaba-2018: `--shard I/K` as given.
    pub shard: Option<&'a str>,
}

/// A generated scenario with `spec.cluster.apiServer.eventTTL` (when --event-ttl is given).
pub fn with_event_ttl(text: String, ttl: Option<SimDuration>) -> String {
    match ttl {
        Some(t) => text.replacen("\n  cluster:\n", &format!("\n  cluster:\n    apiServer: {{eventTTL: {t}}}\n"), 1),
        None => text,
    }
}

/// `--event-ttl`: kube-apiserver's flag, a duration over 0.
pub fn event_ttl(arg: Option<&str>) -> Result<Option<SimDuration>, String> {
    match arg.map(|a| (a, SimDuration::parse(a))) {
        None => Ok(None),
        Some((_, Ok(d))) if d > SimDuration::ZERO => Ok(Some(d)),
        Some((a, Ok(_))) => Err(format!("--event-ttl {a}: must be greater than 0")),
        Some((_, Err(e))) => Err(format!("--event-ttl: {e}")),
    }
}

/// The trace's directory: TRACE, or the folder of the file TRACE names.
pub fn trace_dir(trace: &str) -> &std::path::Path {
    let path = std::path::Path::new(trace);
    if path.is_dir() {
        path
    } else {
        path.parent().unwrap_or(std::path::Path::new("."))
    }
}

/// alibaba-gpu-2023's scenario for `ksim replay` and `ksim bench replay`: (its text, pods
/// kept, nodes kept, GPUs, pods in the trace, speed, until).
pub struct GpuScenario {
    pub text: String,
    pub kept: usize,
    pub nodes: usize,
    pub gpus: u64,
    pub pods: usize,
    pub speed: u64,
    pub until: SimDuration,
}

pub fn gpu_scenario(
    dir: &std::path::Path,
    nodes: Option<usize>,
    speed: Option<u64>,
    until: Option<&str>,
    seed: u64,
    keep: bool,
) -> Result<GpuScenario, String> {
    let (mut tnodes, tpods) = read_trace(dir)?;
    if let Some(n) = nodes {
        if n == 0 || n > tnodes.len() {
            return Err(format!("--nodes {n}: the trace has {} nodes", tnodes.len()));
        }
        // Every (total/n)-th node: a smaller cluster with the trace's mix of shapes.
        let total = tnodes.len();
        let mut i = 0;
        tnodes.retain(|_| {
            let keep = (i * n) / total != ((i + 1) * n) / total;
            i += 1;
            keep
        });
    }
    let span = tpods.iter().map(|p| if keep { p.created } else { p.deleted }).max().unwrap_or(0);
    let speed = match speed {
        Some(0) => return Err("--speed 0: must be at least 1".into()),
        Some(s) => s,
        None => span.div_ceil(3600).max(1),
    };
    let until = match until.map(SimDuration::parse) {
        Some(Ok(d)) => d,
        Some(Err(e)) => return Err(format!("--until: {e}")),
        None => SimDuration::from_ms(span * 1000 / speed + 300_000),
    };
    let (text, kept) = scenario(&tnodes, &tpods, speed, until, seed, keep);
    Ok(GpuScenario { text, kept, nodes: tnodes.len(), gpus: tnodes.iter().map(|n| n.gpus).sum(), pods: tpods.len(), speed, until })
}

pub fn replay(a: Args) -> u8 {
    let fail = |m: String| {
        eprintln!("error: {m}");
        EXIT_BAD_INPUT
    };
    if !FORMATS.contains(&a.format) {
        return fail(format!("--format {:?}: supported values: {}", a.format, FORMATS.map(|f| format!("{f:?}")).join(", ")));
    }
    let dir = trace_dir(a.trace);
    if a.format == "alibaba-2018" {
        return replay_2018(dir, &a);
    }
    if a.jobs.is_some() || a.plot.is_some() || a.shard.is_some() {
        return fail("--jobs, --plot and --shard are for --format alibaba-2018".into());
    }
    let (config, emit, seed, keep) = (a.config, a.emit, a.seed, a.keep);
    let ttl = match event_ttl(a.event_ttl) {
        Ok(t) => t,
        Err(e) => return fail(e),
    };
    let g = match gpu_scenario(dir, a.nodes, a.speed, a.until, seed, keep) {
        Ok(g) => g,
        Err(e) => return fail(e),
    };
    let (text, kept, speed, until) = (with_event_ttl(g.text, ttl), g.kept, g.speed, g.until);
    let out_path = match emit {
        Some(p) => p.to_string(),
        None => std::env::temp_dir().join(format!("ksim-replay-{}.yaml", std::process::id())).display().to_string(),
    };
    if let Err(e) = std::fs::write(&out_path, &text) {
        return fail(format!("cannot write {out_path}: {e}"));
    }
    if emit.is_some() {
        println!("wrote {out_path}: {} nodes in pools by shape, {kept} of {} pods (speed ×{speed}, until {until})", g.nodes, g.pods);
        return 0;
    }
    let mut files = vec![out_path.clone()];
    files.extend(config.map(str::to_string));
    let s = load(&files, None, None);
    let _ = std::fs::remove_file(&out_path);
    let s = match s {
        Ok(s) => s,
        Err(c) => return c,
    };
    let mut sim = match new_sim(&s) {
        Ok(sim) => sim,
        Err(c) => return c,
    };
    println!(
        "ksim replay: alibaba-gpu-2023 — {} nodes ({} GPUs), {kept} of {} pods, speed ×{speed}, until {until}, seed {seed}{}",
        g.nodes,
        g.gpus,
        g.pods,
        config.map(|c| format!(", scheduler config {c}")).unwrap_or_default()
    );
    println!();
    let mut rows = Vec::new();
    let mut gpu_ratios = Vec::new();
    let end = until.as_ms();
    for i in 1..=SAMPLES {
        let t = end * i / SAMPLES;
        if let Err(c) = run_to(&mut sim, SimTime(t)) {
            return c;
        }
        let (mut running, mut pending, mut gpu_used, mut cpu_used) = (0u64, 0u64, 0i64, 0i64);
        for o in sim.list(&Kind::Pod) {
            let Some(p) = o.as_pod() else { continue };
            if p.spec.node_name.is_empty() {
                pending += u64::from(p.status.phase == "Pending");
                continue;
            }
            if p.is_terminal() {
                continue;
            }
            running += u64::from(p.status.phase == "Running");
            cpu_used += p.spec.requests().milli_cpu;
            gpu_used += p.spec.containers.iter().filter_map(|c| c.resources.requests.get(GPU_MILLI)).map(|q| q.value()).sum::<i64>();
        }
        let (mut gpu_cap, mut cpu_cap) = (0i64, 0i64);
        for o in sim.list(&Kind::Node) {
            let Some(n) = o.as_node() else { continue };
            gpu_cap += n.status.allocatable.get(GPU_MILLI).map_or(0, |q| q.value());
            cpu_cap += n.status.allocatable.get("cpu").map_or(0, |q| q.milli_value());
        }
        let pct = |a: i64, b: i64| if b > 0 { format!("{:.1}%", 100.0 * a as f64 / b as f64) } else { "-".into() };
        if gpu_cap > 0 {
            gpu_ratios.push(gpu_used as f64 / gpu_cap as f64);
        }
        rows.push(vec![SimDuration::from_ms(t).to_string(), running.to_string(), pending.to_string(), pct(gpu_used, gpu_cap), pct(cpu_used, cpu_cap)]);
    }
    print!("{}", crate::print::table(&["TIME", "RUNNING", "PENDING", "GPU ALLOCATED", "CPU ALLOCATED"], &rows));
    let never = sim.list(&Kind::Pod).iter().filter_map(|o| o.as_pod()).filter(|p| p.spec.node_name.is_empty()).count();
    let mean = if gpu_ratios.is_empty() { 0.0 } else { 100.0 * gpu_ratios.iter().sum::<f64>() / gpu_ratios.len() as f64 };
    println!();
    println!("pods waiting for a node at the end: {never}; GPU allocation over the samples: mean {mean:.1}%");
    println!("{} events, fingerprint: sha256:{}", sim.events_processed, sim.fingerprint());
    0
}

/// `--format alibaba-2018` (replay_2018.rs).
fn replay_2018(dir: &std::path::Path, a: &Args) -> u8 {
    let fail = |m: &str| {
        eprintln!("error: {m}");
        EXIT_BAD_INPUT
    };
    if a.keep || a.config.is_some() {
        return fail("--keep-pods and --config are for --format alibaba-gpu-2023");
    }
    let until = match a.until.map(SimDuration::parse) {
        None => None,
        Some(Ok(d)) => Some(d),
        Some(Err(e)) => return fail(&format!("--until: {e}")),
    };
    if a.speed == Some(0) {
        return fail("--speed 0: must be at least 1");
    }
    let nodes = match a.nodes.map(u32::try_from) {
        Some(Ok(n)) if u64::from(n) <= sim_core::scenario::load::MAX_NODES => Some(n),
        Some(_) => return fail(&format!("--nodes: ksim simulates at most {} nodes", sim_core::scenario::load::MAX_NODES)),
        None => None,
    };
    let event_ttl = match event_ttl(a.event_ttl) {
        Ok(t) => t,
        Err(e) => return fail(&e),
    };
    let shard = match a.shard.map(crate::check::parse_shard).transpose() {
        Ok(s) => s,
        Err(e) => return fail(&e),
    };
    let o = crate::replay_2018::Options { nodes, speed: a.speed.unwrap_or(1), until, jobs: a.jobs, seed: a.seed, event_ttl, shard };
    crate::replay_2018::command(dir, &o, a.plot, a.emit)
}
