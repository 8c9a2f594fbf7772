//! `ksim replay --format alibaba-gpu-2023` on a five-pod trace in the openb CSV layout
//! (tests/data/gpu-trace). Two nodes: a 32-CPU node with 2 V100M16 GPUs (2000
//! thousandths of `alibaba.com/gpu-milli`) and a 16-CPU node without GPUs. Pods 0 and 1
//! take 1000 and 600 thousandths; pod 2's 500 no longer fit (400 left, and the other
//! node has none); pod 3 needs no GPU; pod 4 asks for a T4, which no node has. Times
//! are divided by --speed 10.

mod common;

use common::{ksim, text};

const TRACE: &str = "sim-cli/tests/data/gpu-trace";

/// The emitted scenario: pools by node shape (sorted by CPU), pods created and deleted at
/// the trace's times over the speed; at 60 s pods 0 and 1 run on the GPU node, 2 and 4
/// wait, 3 (deleted at 40 s) is gone.
#[test]
fn the_trace_becomes_a_scenario() {
    let dir = std::env::temp_dir().join(format!("ksim-replay-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("replay.yaml");
    let r = ksim(&["replay", TRACE, "--speed", "10", "--emit-scenario", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let y = std::fs::read_to_string(&out).unwrap();
    assert!(y.contains("- {name: s1-16c-64gi, count: 1, capacity: {cpu: 16000m, memory: 65536Mi}}"), "{y}");
    assert!(y.contains("- {name: s2-32c-128gi-2xv100m16, count: 1, capacity: {cpu: 32000m, memory: 131072Mi, alibaba.com/gpu-milli: 2000}, labels: {alibaba.com/gpu-model: V100M16}}"), "{y}");
    assert!(y.contains("- {at: 40s, delete: {target: pod/openb-pod-0003, gracePeriodSeconds: 0, force: true}}"), "{y}");
    assert!(y.contains("values: [T4]"), "{y}");
    let pods = ksim(&["get", "pods", out.to_str().unwrap(), "--at", "60s", "-o", "json"]);
    assert!(pods.status.success(), "{}", text(&pods.stderr));
    let v: serde_json::Value = serde_json::from_slice(&pods.stdout).unwrap();
    let got: Vec<(String, String, String)> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (p["metadata"]["name"].as_str().unwrap().into(), p["spec"]["nodeName"].as_str().unwrap_or("").into(), p["status"]["phase"].as_str().unwrap().into())
        })
        .collect();
    let want = [
        ("openb-pod-0000", "s2-32c-128gi-2xv100m16-1", "Running"),
        ("openb-pod-0001", "s2-32c-128gi-2xv100m16-1", "Running"),
        ("openb-pod-0002", "", "Pending"),
        ("openb-pod-0004", "", "Pending"),
    ];
    assert_eq!(got, want.map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string())));
    let _ = std::fs::remove_dir_all(&dir);
}

/// With --keep-pods nothing is deleted, and the run ends 5 minutes after the last
/// creation (400 s / 10 + 300 s = 5m40s): pods 0, 1 and 3 run, 2 and 4 wait;
/// the GPUs are (1000 + 600) / 2000 = 80.0 % allocated, the CPUs (4 + 4 + 2) / 48 =
/// 20.8 %.
#[test]
fn replay_reports_the_outcome() {
    let r = ksim(&["replay", TRACE, "--speed", "10", "--keep-pods"]);
    let out = text(&r.stdout);
    assert!(r.status.success(), "{out}{}", text(&r.stderr));
    assert!(out.starts_with("ksim replay: alibaba-gpu-2023 — 2 nodes (2 GPUs), 5 of 5 pods, speed ×10, until 5m40s, seed 1\n"), "{out}");
    let last = out.lines().find(|l| l.starts_with("5m40s")).unwrap_or_else(|| panic!("{out}"));
    assert_eq!(last.split_whitespace().collect::<Vec<_>>(), ["5m40s", "3", "2", "80.0%", "20.8%"]);
    assert!(out.contains("pods waiting for a node at the end: 2;"), "{out}");
    let bad = ksim(&["replay", TRACE, "--format", "alibaba-2019"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("supported values: \"alibaba-gpu-2023\", \"alibaba-2018\""), "{}", text(&bad.stderr));
}

// --format alibaba-2018 on tests/data/alibaba-2018-mini (generate.py writes it and derives
// what follows): j_1 is a three-task DAG — M1 (pods of 10 s, the lower median of 10 and
// 14) and M2 (20 s) at its arrival, 0 s; R3_1_2 (5 s) waits for both. j_3 arrives at 5 s:
// M1 (2 s), then M2_1 (4 s). j_2 arrives at 10 s: one independent task of 8 s. Ten pods on
// two machines of 96 CPU: nothing waits for room, so every delay beyond the run times is
// start-up (sandbox 0.5 s, a node's first image pull 2 s, start 1 s) and the Job
// controller's status sync — bounded here by 6 s a level.

const MINI: &str = "sim-cli/tests/data/alibaba-2018-mini";
/// The most a level of the DAG may add to its run time: start-up and the Job's sync.
const START_UP_S: f64 = 6.0;

/// Seconds of a Go duration as ksim prints them (`32.036s`, `1m2.5s`).
fn secs(d: &str) -> f64 {
    let (m, s) = match d.split_once('m') {
        Some((m, s)) => (m.parse::<f64>().unwrap(), s),
        None => (0.0, d),
    };
    m * 60.0 + s.trim_end_matches('s').parse::<f64>().unwrap_or(0.0)
}

/// The value after `key ` on the report's line that starts with `line`.
fn field<'a>(out: &'a str, line: &str, key: &str) -> &'a str {
    let l = out.lines().find(|l| l.starts_with(line)).unwrap_or_else(|| panic!("no {line:?} line in {out}"));
    l.split(&format!("{key} ")).nth(1).unwrap_or_else(|| panic!("no {key:?} in {l}")).split([',', ' ']).next().unwrap()
}

/// The emitted scenario applies each Job when the replay created it: roots at their job's
/// arrival, R3_1_2 only once M2's 20 s pod (and M1's 10 s ones) have run, M2_1 after
/// M1's 2 s; `ksim run` accepts it and applies the same Jobs.
#[test]
fn a_task_waits_for_the_tasks_it_depends_on() {
    let dir = std::env::temp_dir().join(format!("ksim-replay-2018-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("mini.yaml");
    let r = ksim(&["replay", MINI, "--format", "alibaba-2018", "--nodes", "2", "--emit-scenario", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    assert!(text(&r.stdout).starts_with(&format!("wrote {}: 2 nodes, 6 Jobs applied", out.display())), "{}", text(&r.stdout));
    let y = std::fs::read_to_string(&out).unwrap();
    let created = |job: &str| -> f64 {
        let l = y.lines().find(|l| l.contains(&format!("name: {job},"))).unwrap_or_else(|| panic!("no Job {job} in {y}"));
        secs(l.split("at: ").nth(1).unwrap().split(',').next().unwrap())
    };
    assert_eq!((created("j-1-m1"), created("j-1-m2"), created("j-3-m1"), created("j-2-task-1")), (0.0, 0.0, 5.0, 10.0));
    let r3 = created("j-1-r3");
    assert!((20.0..=20.0 + START_UP_S).contains(&r3), "R3_1_2 created at {r3} s: after M2's 20 s, within one start-up");
    let m2 = created("j-3-m2");
    assert!((5.0 + 2.0..=5.0 + 2.0 + START_UP_S).contains(&m2), "M2_1 created at {m2} s");
    assert!(y.contains("  # j_1 R3_1_2: after M1, M2\n"), "{y}");
    assert!(y.contains("annotations: {alibaba.com/task: \"task_YWxpYmFiYQ==\"}"), "{y}");
    assert!(y.contains("parallelism: 2, completions: 2, ttlSecondsAfterFinished: 0, template: {metadata: {annotations: {ksim.dev/run-duration: 5s}}"), "{y}");
    assert!(y.contains("requests: {cpu: 2000m, memory: 1024Mi}"), "R3_1_2: plan_cpu 200 is 2 cores, plan_mem 1.0 is 1 GiB: {y}");
    let run = ksim(&["run", out.to_str().unwrap()]);
    assert!(run.status.success(), "{}{}", text(&run.stdout), text(&run.stderr));
    assert!(text(&run.stdout).contains(&format!("{r3:.3}s  ▶ apply Job default/j-1-r3")), "{}", text(&run.stdout));
    let _ = std::fs::remove_dir_all(&dir);
}

/// The report: every pod created and succeeded; j_1 ends no sooner than max(10, 20) + 5 =
/// 25 s, and within two levels' start-up; it is the makespan and the longest job
/// completion time; the middle one (p50) is j_2's or j_3's, at least 8 s (only j_3, at
/// least 2 + 4 = 6 s, can be shorter). --speed 2 halves every time; --jobs 1 keeps j_1;
/// --until 24s stops the run before j_1 is done.
#[test]
fn the_replay_reports_makespan_and_completion_times() {
    let r = ksim(&["replay", MINI, "--format", "alibaba-2018", "--nodes", "2"]);
    let out = text(&r.stdout);
    assert!(r.status.success(), "{out}{}", text(&r.stderr));
    assert!(out.starts_with("ksim replay: alibaba-2018 — 2 nodes (96 CPU, 100Gi, 250 pods each), 3 of 3 jobs (6 tasks, 10 pods), speed ×1, seed 1\n"), "{out}");
    assert!(out.contains("\npods: 10 created, 10 succeeded, 0 failed (of the trace's 10)\n"), "{out}");
    assert!(out.contains("\njobs: 3 of 3 complete (6 of 6 tasks' Jobs); makespan "), "{out}");
    let makespan = secs(field(&out, "jobs:", "makespan"));
    assert!((25.0..=25.0 + 2.0 * START_UP_S).contains(&makespan), "{out}");
    assert_eq!(secs(field(&out, "job completion time", "max")), makespan, "{out}");
    assert!(secs(field(&out, "job completion time", "p50")) >= 8.0, "{out}");
    assert!(out.contains("\nTIME   RUNNING   PENDING   CPU REQUESTED   MEMORY REQUESTED\n"), "{out}");

    let fast = text(&ksim(&["replay", MINI, "--format", "alibaba-2018", "--nodes", "2", "--speed", "2"]).stdout);
    let m = secs(field(&fast, "jobs:", "makespan"));
    assert!((12.5..=12.5 + 2.0 * START_UP_S).contains(&m), "{fast}");

    let one = text(&ksim(&["replay", MINI, "--format", "alibaba-2018", "--nodes", "2", "--jobs", "1"]).stdout);
    assert!(one.contains(", 1 of 3 jobs (3 tasks, 5 pods),"), "{one}");
    assert!(one.contains("\npods: 5 created, 5 succeeded, 0 failed (of the trace's 5)\n"), "{one}");

    // At 24 s j_3 is done (5 + 2 + 4 s and two start-ups: at most 23 s), so is j_2 (10 + 8 s
    // and one: at most 24 s); j_1 is not (25 s at least).
    let cut = text(&ksim(&["replay", MINI, "--format", "alibaba-2018", "--nodes", "2", "--until", "24s"]).stdout);
    assert!(cut.contains("\njobs: 2 of 3 complete ("), "{cut}");
    assert!(cut.contains("; the run ended at 24s before every Job completed\n"), "{cut}");
}

/// `--shard I/K` keeps one job in K by arrival, from the I-th, each with its whole DAG:
/// by arrival the jobs are j_1, j_3, j_2 (generate.py), so shard 0/2 is j_1 and j_2 (3 + 1
/// tasks, 5 + 1 pods) and 1/2 is j_3 (2 tasks, 3 + 1 pods): together the whole trace,
/// each a replay of its own. After `--jobs 2` (j_1, j_3), shard 1/2 is j_3. A shard that
/// is not I/K with I < K is refused, as `ksim check --shard` refuses it, and so is
/// `--shard` for the GPU trace.
#[test]
fn a_shard_is_one_job_in_k_with_its_whole_dag() {
    let run = |extra: &[&str]| {
        let mut args = vec!["replay", MINI, "--format", "alibaba-2018", "--nodes", "2"];
        args.extend_from_slice(extra);
        let r = ksim(&args);
        assert!(r.status.success(), "{}", text(&r.stderr));
        text(&r.stdout)
    };
    let first = run(&["--shard", "0/2"]);
    assert!(first.contains(", 2 of 3 jobs (shard 0/2: one job in 2 by arrival) (4 tasks, 6 pods),"), "{first}");
    assert!(first.contains("\npods: 6 created, 6 succeeded, 0 failed (of the trace's 6)\n"), "{first}");
    assert!(first.contains("\njobs: 2 of 2 complete (4 of 4 tasks' Jobs); makespan "), "{first}");
    let second = run(&["--shard", "1/2"]);
    assert!(second.contains(", 1 of 3 jobs (shard 1/2: one job in 2 by arrival) (2 tasks, 4 pods),"), "{second}");
    assert!(second.contains("\njobs: 1 of 1 complete (2 of 2 tasks' Jobs); makespan "), "{second}");
    // j_3 alone: it arrives at 5 s and runs 2 + 4 s, with two levels' start-up.
    let m = secs(field(&second, "jobs:", "makespan"));
    assert!((11.0..=11.0 + 2.0 * START_UP_S).contains(&m), "{second}");
    let of_two = run(&["--jobs", "2", "--shard", "1/2"]);
    assert!(of_two.contains(", 1 of 3 jobs (shard 1/2: one job in 2 of the first 2 by arrival) (2 tasks, 4 pods),"), "{of_two}");
    let bench = ksim(&["bench", "replay", "--trace", MINI, "--nodes", "2", "--shard", "0/2", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&bench.stdout).unwrap_or_else(|_| panic!("{}", text(&bench.stderr)));
    assert_eq!((v["shard"].as_str(), v["jobs"].as_u64(), v["pods"].as_u64()), (Some("0/2"), Some(2), Some(6)), "{v}");
    for (args, says) in [
        (&["replay", MINI, "--format", "alibaba-2018", "--shard", "2/2"][..], "error: --shard \"2/2\": expected I/K with 0 <= I < K, e.g. 0/4"),
        (&["replay", MINI, "--format", "alibaba-2018", "--shard", "1"][..], "error: --shard \"1\": expected I/K with 0 <= I < K, e.g. 0/4"),
        (&["replay", MINI, "--shard", "0/2"][..], "error: --jobs, --plot and --shard are for --format alibaba-2018"),
        (&["bench", "replay", "--format", "alibaba-gpu-2023", "--shard", "0/2"][..], "error: --jobs and --shard are for --format alibaba-2018"),
    ] {
        let r = ksim(args);
        assert_eq!(r.status.code(), Some(2), "{args:?}");
        assert!(text(&r.stderr).contains(says), "{args:?}: {}", text(&r.stderr));
    }
}

/// A cycle in a job's DAG (task 1 waits for task 2, task 2 for task 1) is refused with
/// both tasks' names, before anything runs: exit 2. The trace is gzipped here, as the
/// corpus ships it.
#[test]
fn a_dependency_cycle_is_refused_with_its_tasks() {
    use std::io::Write;
    let dir = std::env::temp_dir().join(format!("ksim-replay-cycle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let gz = |name: &str, rows: &str| {
        let mut e = flate2::write::GzEncoder::new(std::fs::File::create(dir.join(name)).unwrap(), flate2::Compression::default());
        e.write_all(rows.as_bytes()).unwrap();
        e.finish().unwrap();
    };
    gz("tasks.csv.gz", "0,j_9,M1_2,10,100.0,0.5,1\n0,j_9,M2_1,10,100.0,0.5,1\n0,j_9,R3_1,10,100.0,0.5,1\n");
    gz("instances.csv.gz", "0,j_9,M1_2,ins_1,10,90.0,0.4\n0,j_9,M2_1,ins_2,10,90.0,0.4\n0,j_9,R3_1,ins_3,10,90.0,0.4\n");
    let r = ksim(&["replay", dir.to_str().unwrap(), "--format", "alibaba-2018", "--nodes", "1"]);
    let err = text(&r.stderr);
    assert_eq!(r.status.code(), Some(2), "{err}");
    assert!(err.contains("job j_9: the dependencies of tasks M1_2 and M2_1 form a cycle (M1_2 waits for M2_1 waits for M1_2)"), "{err}");
    assert!(text(&r.stdout).is_empty());
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--plot` draws the utilisation; `ksim bench replay` measures the same replay.
#[test]
fn plot_and_bench_replay() {
    let dir = std::env::temp_dir().join(format!("ksim-replay-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = dir.join("u.svg");
    let r = ksim(&["replay", MINI, "--format", "alibaba-2018", "--nodes", "2", "--plot", svg.to_str().unwrap()]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let s = std::fs::read_to_string(&svg).unwrap();
    assert!(s.starts_with("<svg") && s.contains("CPU requested") && s.contains("Cluster resources requested"), "{s}");
    let b = ksim(&["bench", "replay", "--format", "alibaba-2018", "--trace", MINI, "--nodes", "2", "-o", "json"]);
    assert!(b.status.success(), "{}", text(&b.stderr));
    let v: serde_json::Value = serde_json::from_slice(&b.stdout).unwrap();
    assert_eq!((v["pods"].as_u64(), v["succeeded"].as_u64(), v["jobs_complete"].as_u64()), (Some(10), Some(10), Some(3)), "{v}");
    assert!(v["wall_s"].as_f64().is_some() && v["peak_rss_bytes"].as_u64().unwrap() > 0, "{v}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// `--event-ttl` is kube-apiserver's flag: the emitted scenario carries it as
/// `spec.cluster.apiServer.eventTTL` (and loads); 0 is refused like the scenario's field.
#[test]
fn event_ttl_goes_into_the_scenario() {
    let dir = std::env::temp_dir().join(format!("ksim-replay-ttl-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join("replay.yaml");
    let r = ksim(&["replay", TRACE, "--speed", "10", "--event-ttl", "10m", "--emit-scenario", out.to_str().unwrap()]);
    assert!(r.status.success(), "{}", text(&r.stderr));
    let y = std::fs::read_to_string(&out).unwrap();
    assert!(y.contains("\n  cluster:\n    apiServer: {eventTTL: 10m"), "{y}");
    let got = ksim(&["get", "pods", out.to_str().unwrap(), "--at", "1s"]);
    assert!(got.status.success(), "{}", text(&got.stderr));
    let r = ksim(&["replay", TRACE, "--event-ttl", "0s"]);
    assert_eq!(r.status.code(), Some(2));
    assert!(text(&r.stderr).contains("--event-ttl 0s: must be greater than 0"), "{}", text(&r.stderr));
    let _ = std::fs::remove_dir_all(&dir);
}
