//! Reading the Alibaba 2018 batch trace as the `spar` sample ships it (`tasks.csv[.gz]`,
//! `instances.csv[.gz]`, no header; corpus README and spar's `io.py`):
//! - tasks: `arrival_s, job, task, duration_s, plan_cpu, plan_mem, instances`;
//! - instances: `arrival_s, job, task, instance, duration_s, cpu, mem`.
//!
//! Each job's DAG comes from its task names (cluster-trace-v2018/trace_2018.md, "DAG of
//! batch workloads"): a name is a kind letter and the task's number, then `_N` for each
//! task it depends on — `M5_3_4` is task 5, which waits for every instance of tasks 3
//! and 4; only the numbers matter. A name of any other shape (`task_Nzg3…==`,
//! `MergeTask`) is an independent task. The DAG is built with petgraph; a cycle is
//! refused with its tasks' names, a dependency on a number the job lacks is dropped with
//! a warning.

use petgraph::graph::{DiGraph, NodeIndex};
use std::collections::{BTreeMap, HashMap};
use std::io::BufRead;
use std::path::{Path, PathBuf};

/// One task of the trace: a Kubernetes Job of `instances` pods.
#[derive(Clone, Debug)]
pub struct Task {
    /// Its trace job (index into `Trace::jobs`).
    pub job: usize,
    /// The trace's task name (`R3_1_2`, `task_…`).
    pub name: String,
    /// The Kubernetes Job's name.
    pub object: String,
    /// The tasks it waits for, and those waiting for it (indexes into `Trace::tasks`).
    pub deps: Vec<usize>,
    pub dependents: Vec<usize>,
    pub instances: u32,
    /// plan_cpu × 10 (100 = one core).
    pub cpu_milli: i64,
    /// plan_mem in MiB: one normalized unit is 1 GiB.
    pub mem_mib: i64,
    /// How long each of its pods runs, in trace seconds: the lower median of its
    /// instances' durations (the task's own duration when the instance file has none).
    pub run_s: u64,
}

#[derive(Clone, Debug)]
pub struct TraceJob {
    pub name: String,
    pub arrival_s: u64,
    /// Its tasks, in file order.
    pub tasks: Vec<usize>,
}

#[derive(Debug, Default)]
pub struct Trace {
    /// The selected jobs, by arrival (then file order).
    pub jobs: Vec<TraceJob>,
    pub tasks: Vec<Task>,
    /// Jobs in the file (before `--jobs`).
    pub jobs_in_file: usize,
    /// `--shard I/K`: every K-th of the jobs `--jobs` kept, from the I-th, and how many
    /// there were to split.
    pub shard: Option<(u64, u64, usize)>,
    /// Warnings to print (dropped dependencies, instance counts that differ).
    pub warnings: Vec<String>,
}

/// `NAME.csv.gz`, else `NAME.csv`, in `dir`.
fn find(dir: &Path, name: &str) -> Result<PathBuf, String> {
    for f in [format!("{name}.csv.gz"), format!("{name}.csv")] {
        let p = dir.join(&f);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(format!("{}: no {name}.csv.gz or {name}.csv (the alibaba-2018 format: spar's sample of cluster-trace-v2018)", dir.display()))
}

/// Calls `row(line_number, fields)` for each non-empty line of a CSV, gzipped or not.
fn each_row(path: &Path, mut row: impl FnMut(usize, &[&str]) -> Result<bool, String>) -> Result<(), String> {
    let file = std::fs::File::open(path).map_err(|e| format!("{}: {e}", path.display()))?;
    let reader: Box<dyn BufRead> = if path.extension().is_some_and(|e| e == "gz") {
        Box::new(std::io::BufReader::with_capacity(1 << 16, flate2::read::MultiGzDecoder::new(std::io::BufReader::new(file))))
    } else {
        Box::new(std::io::BufReader::with_capacity(1 << 16, file))
    };
    let mut reader = reader;
    let mut line = String::new();
    let mut n = 0;
    loop {
        line.clear();
        let read = reader.read_line(&mut line).map_err(|e| format!("{}: {e}", path.display()))?;
        if read == 0 {
            return Ok(());
        }
        n += 1;
        let l = line.trim_end();
        if l.is_empty() {
            continue;
        }
        // Both files have 7 fields; a longer line is refused with its count.
        let mut fields = [""; 8];
        let mut count = 0;
        for f in l.split(',') {
            if count < fields.len() {
                fields[count] = f;
            }
            count += 1;
        }
        if count > 7 {
            return Err(format!("{}:{n}: {count} fields where 7 are expected", path.display()));
        }
        let go_on = row(n, &fields[..count]).map_err(|e| format!("{}:{n}: {e}", path.display()))?;
        if !go_on {
            return Ok(());
        }
    }
}

fn num<T: std::str::FromStr>(v: &str, col: &str) -> Result<T, String> {
    v.trim().parse().map_err(|_| format!("{col} {v:?} is not a number"))
}

/// A whole number of seconds (the sample writes `0`, spar's generator `12.0`).
fn secs(v: &str, col: &str) -> Result<u64, String> {
    let f: f64 = num(v, col)?;
    if !(0.0..1e9).contains(&f) {
        return Err(format!("{col} {v:?} is out of range"));
    }
    Ok(f.round() as u64)
}

/// The DAG a task name encodes: (its number, the numbers it depends on), or None for an
/// independent task.
pub fn parse_name(name: &str) -> Option<(u32, Vec<u32>)> {
    let mut parts = name.split('_');
    let head = parts.next()?;
    let digits = head.trim_start_matches(|c: char| c.is_ascii_alphabetic());
    if digits.is_empty() || digits.len() == head.len() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let id = digits.parse().ok()?;
    let deps: Option<Vec<u32>> = parts.map(|p| if !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()) { p.parse().ok() } else { None }).collect();
    deps.map(|d| (id, d))
}

/// A DNS label: lowercase letters, digits and `-`.
fn label(s: &str) -> String {
    let mut out: String = s.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    out.truncate(40);
    out.trim_matches('-').to_string()
}

struct Row {
    arrival_s: u64,
    job: String,
    name: String,
    run_s: u64,
    cpu_milli: i64,
    mem_mib: i64,
    instances: u32,
}

fn task_row(f: &[&str]) -> Result<Row, String> {
    if f.len() != 7 {
        return Err(format!("{} fields where a task has 7 (arrival_s, job, task, duration_s, plan_cpu, plan_mem, instances)", f.len()));
    }
    let cpu: f64 = num(f[4], "plan_cpu")?;
    let mem: f64 = num(f[5], "plan_mem")?;
    if !(0.0..=9600.0).contains(&cpu) || !(0.0..=100.0).contains(&mem) {
        return Err(format!("plan_cpu {} or plan_mem {} is out of range (a machine has 9600 and 100)", f[4], f[5]));
    }
    let instances: u32 = num(f[6], "instances")?;
    if instances == 0 || instances > 1_000_000 {
        return Err(format!("instances {} must be between 1 and 1000000", f[6]));
    }
    Ok(Row {
        arrival_s: secs(f[0], "arrival_s")?,
        job: f[1].to_string(),
        name: f[2].to_string(),
        run_s: secs(f[3], "duration_s")?,
        cpu_milli: (cpu * 10.0).round().max(1.0) as i64,
        mem_mib: (mem * 1024.0).round().max(1.0) as i64,
        instances,
    })
}

/// Reads the trace in `dir`: every job, or the first `jobs` by arrival.
pub fn read(dir: &Path, jobs: Option<usize>, shard: Option<(u64, u64)>) -> Result<Trace, String> {
    let tasks_file = find(dir, "tasks")?;
    let mut rows: Vec<Row> = Vec::new();
    each_row(&tasks_file, |_, f| {
        rows.push(task_row(f)?);
        Ok(true)
    })?;
    // Jobs in order of arrival, then of first appearance.
    let mut first: BTreeMap<&str, (u64, usize)> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        first.entry(&r.job).or_insert((r.arrival_s, i));
    }
    let mut order: Vec<(u64, usize, &str)> = first.iter().map(|(j, (a, i))| (*a, *i, *j)).collect();
    order.sort();
    let jobs_in_file = order.len();
    order.truncate(jobs.unwrap_or(usize::MAX));
    // A shard: every K-th job by arrival. A job's tasks and their DAG stay together (a
    // task waits only for tasks of its own job), so a shard is a replay of its own.
    let split = order.len();
    if let Some((i, k)) = shard {
        let mut n = 0u64;
        order.retain(|_| {
            n += 1;
            (n - 1) % k == i
        });
    }
    let index: BTreeMap<&str, usize> = order.iter().enumerate().map(|(k, (_, _, j))| (*j, k)).collect();
    let mut t = Trace { jobs_in_file, shard: shard.map(|(i, k)| (i, k, split)), ..Default::default() };
    t.jobs = order.iter().map(|(a, _, j)| TraceJob { name: j.to_string(), arrival_s: *a, tasks: Vec::new() }).collect();
    for r in &rows {
        let Some(&j) = index.get(r.job.as_str()) else { continue };
        t.jobs[j].tasks.push(t.tasks.len());
        t.tasks.push(Task {
            job: j,
            name: r.name.clone(),
            object: String::new(),
            deps: Vec::new(),
            dependents: Vec::new(),
            instances: r.instances,
            cpu_milli: r.cpu_milli,
            mem_mib: r.mem_mib,
            run_s: r.run_s,
        });
    }
    drop(rows);
    for j in 0..t.jobs.len() {
        link(&mut t, j).map_err(|e| format!("{}: {e}", tasks_file.display()))?;
    }
    durations(&mut t, &find(dir, "instances")?)?;
    Ok(t)
}

/// Names the job's Jobs and links its tasks by the numbers in their names; refuses a
/// cycle.
fn link(t: &mut Trace, j: usize) -> Result<(), String> {
    let job = &t.jobs[j];
    let prefix = label(&job.name);
    let mut by_number: BTreeMap<u32, usize> = BTreeMap::new();
    let mut parsed = Vec::new();
    let mut independent = 0;
    for &i in &job.tasks {
        let name = &t.tasks[i].name;
        match parse_name(name) {
            Some((id, deps)) => {
                if let Some(&other) = by_number.get(&id) {
                    return Err(format!("job {}: tasks {} and {} both have the number {id}", job.name, t.tasks[other].name, name));
                }
                by_number.insert(id, i);
                let kind = label(name.split('_').next().unwrap_or(""));
                t.tasks[i].object = format!("{prefix}-{kind}");
                parsed.push((i, deps));
            }
            None => {
                independent += 1;
                t.tasks[i].object = format!("{prefix}-task-{independent}");
            }
        }
    }
    let mut graph: DiGraph<usize, ()> = DiGraph::new();
    let nodes: BTreeMap<usize, NodeIndex> = job.tasks.iter().map(|&i| (i, graph.add_node(i))).collect();
    for (i, deps) in parsed {
        for d in deps {
            match by_number.get(&d) {
                Some(&dep) => {
                    if !t.tasks[i].deps.contains(&dep) {
                        t.tasks[i].deps.push(dep);
                        graph.add_edge(nodes[&dep], nodes[&i], ());
                    }
                }
                None => t
                    .warnings
                    .push(format!("job {}: task {} depends on task {d}, which the job does not have: that dependency is dropped", job.name, t.tasks[i].name)),
            }
        }
    }
    if let Some(cycle) = find_cycle(&graph) {
        let names: Vec<&str> = cycle.iter().map(|&n| t.tasks[graph[n]].name.as_str()).collect();
        let mut members = names[..names.len() - 1].to_vec();
        members.sort();
        members.dedup();
        return Err(format!(
            "job {}: the dependencies of tasks {} form a cycle ({}), so none of them could ever start",
            job.name,
            join_and(&members),
            names.join(" waits for ")
        ));
    }
    for &i in &t.jobs[j].tasks {
        for d in t.tasks[i].deps.clone() {
            t.tasks[d].dependents.push(i);
        }
    }
    Ok(())
}

fn join_and(names: &[&str]) -> String {
    match names.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => names.join(""),
    }
}

/// A cycle of the graph as a closed walk along "waits for" (the first node repeated at
/// the end), if there is one: a strongly connected component of two or more tasks, or a
/// task that depends on itself.
fn find_cycle(g: &DiGraph<usize, ()>) -> Option<Vec<NodeIndex>> {
    if petgraph::algo::toposort(g, None).is_ok() {
        return None;
    }
    let mut sccs = petgraph::algo::tarjan_scc(g);
    sccs.iter_mut().for_each(|c| c.sort());
    sccs.sort();
    let scc = sccs.into_iter().find(|c| c.len() > 1 || g.contains_edge(c[0], c[0]))?;
    let start = scc[0];
    if scc.len() == 1 {
        return Some(vec![start, start]);
    }
    // Breadth-first along "waits for" (edges against their direction) within the
    // component, back to the start.
    let mut parent: BTreeMap<NodeIndex, NodeIndex> = BTreeMap::new();
    let mut queue = std::collections::VecDeque::from([start]);
    while let Some(n) = queue.pop_front() {
        let mut waits: Vec<NodeIndex> = g.neighbors_directed(n, petgraph::Direction::Incoming).filter(|m| scc.contains(m)).collect();
        waits.sort();
        for m in waits {
            if m == start {
                let mut path = vec![n];
                let mut at = n;
                while at != start {
                    at = parent[&at];
                    path.push(at);
                }
                path.reverse();
                path.push(start);
                return Some(path);
            }
            if let std::collections::btree_map::Entry::Vacant(e) = parent.entry(m) {
                e.insert(n);
                queue.push_back(m);
            }
        }
    }
    Some(scc.iter().copied().chain([start]).collect())
}

/// Each task's run time: the lower median of its instances' durations. Stops reading
/// once every instance of the selected jobs has been seen (the file is grouped by job,
/// in the tasks file's order).
fn durations(t: &mut Trace, path: &Path) -> Result<(), String> {
    let mut index: HashMap<(String, String), usize> = HashMap::with_capacity(t.tasks.len());
    for (i, task) in t.tasks.iter().enumerate() {
        index.insert((t.jobs[task.job].name.clone(), task.name.clone()), i);
    }
    let mut seen: Vec<Vec<u32>> = vec![Vec::new(); t.tasks.len()];
    let mut left: u64 = t.tasks.iter().map(|x| u64::from(x.instances)).sum();
    let mut last: Option<(String, String, Option<usize>)> = None;
    each_row(path, |_, f| {
        if f.len() != 7 {
            return Err(format!("{} fields where an instance has 7 (arrival_s, job, task, instance, duration_s, cpu, mem)", f.len()));
        }
        let hit = match &last {
            Some((j, k, i)) if j == f[1] && k == f[2] => *i,
            _ => {
                let i = index.get(&(f[1].to_string(), f[2].to_string())).copied();
                last = Some((f[1].to_string(), f[2].to_string(), i));
                i
            }
        };
        if let Some(i) = hit {
            seen[i].push(secs(f[4], "duration_s")?.min(u64::from(u32::MAX)) as u32);
            left = left.saturating_sub(1);
        }
        Ok(left > 0)
    })?;
    let mut differ = Vec::new();
    for (i, mut d) in seen.into_iter().enumerate() {
        let task = &mut t.tasks[i];
        if d.len() != task.instances as usize {
            differ.push(format!("{}/{} ({} of {})", t.jobs[task.job].name, task.name, d.len(), task.instances));
        }
        if d.is_empty() {
            continue;
        }
        d.sort_unstable();
        task.run_s = u64::from(d[(d.len() - 1) / 2]);
    }
    if !differ.is_empty() {
        let more = if differ.len() > 3 { format!(" and {} more", differ.len() - 3) } else { String::new() };
        differ.truncate(3);
        t.warnings.push(format!(
            "{}: the instance rows of {} task(s) do not match their instance count: {}{more} (pods: the task's count; run time: the rows' median, or the task's duration without rows)",
            path.display(),
            differ.len(),
            differ.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn task_names_encode_the_dag() {
        assert_eq!(parse_name("M1"), Some((1, vec![])));
        assert_eq!(parse_name("M5_3_4"), Some((5, vec![3, 4])));
        assert_eq!(parse_name("J25_16_18_24"), Some((25, vec![16, 18, 24])));
        assert_eq!(parse_name("task_Nzg3ODAwNDgzMTAwNTc2NTQ2Mw=="), None);
        assert_eq!(parse_name("MergeTask"), None);
        assert_eq!(parse_name("M3_x"), None);
        assert_eq!(parse_name("42"), None);
    }

    /// A job of four tasks where 1 waits for 3, 2 for 1, 3 for 2 (and 4 for 1): the cycle
    /// is named from its first task along "waits for"; a task waiting for itself is one.
    #[test]
    fn a_cycle_is_named_along_its_waits() {
        let job = |names: &[&str]| Trace {
            jobs: vec![TraceJob { name: "j_1".into(), arrival_s: 0, tasks: (0..names.len()).collect() }],
            tasks: names
                .iter()
                .map(|n| Task {
                    job: 0,
                    name: n.to_string(),
                    object: String::new(),
                    deps: vec![],
                    dependents: vec![],
                    instances: 1,
                    cpu_milli: 1000,
                    mem_mib: 1024,
                    run_s: 1,
                })
                .collect(),
            ..Default::default()
        };
        let mut t = job(&["M1_3", "M2_1", "M3_2", "R4_1"]);
        let e = link(&mut t, 0).unwrap_err();
        assert_eq!(e, "job j_1: the dependencies of tasks M1_3, M2_1 and M3_2 form a cycle (M1_3 waits for M3_2 waits for M2_1 waits for M1_3), so none of them could ever start");
        let mut t = job(&["M1_1"]);
        assert!(link(&mut t, 0).unwrap_err().contains("tasks M1_1 form a cycle (M1_1 waits for M1_1)"));
        let mut t = job(&["M1", "R2_1", "J3_1_2", "task_x", "M5_9"]);
        link(&mut t, 0).unwrap();
        assert_eq!(t.tasks[2].deps, [0, 1]);
        assert_eq!(t.tasks[0].dependents, [1, 2]);
        assert_eq!(t.tasks.iter().map(|x| x.object.as_str()).collect::<Vec<_>>(), ["j-1-m1", "j-1-r2", "j-1-j3", "j-1-task-1", "j-1-m5"]);
        assert_eq!(t.warnings, ["job j_1: task M5_9 depends on task 9, which the job does not have: that dependency is dropped"]);
    }
}
