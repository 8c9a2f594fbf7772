//! The browser's session against sim-core run directly: the same event log and
//! fingerprint as `ksim run`, and at any moment (forwards, backwards, across
//! checkpoints) the same pods and nodes as `ksim get --at`.

use sim_core::api::{Kind, Object};
use sim_core::engine::SimTime;
use sim_core::scenario::run::run_scenario;
use sim_core::{RunOptions, Simulation};
use sim_web::session::{load, Session};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// The bundled scenarios but big-cluster (covered by the web tests against the wasm
/// build, see scripts/test.sh).
fn bundled() -> Vec<(String, String)> {
    let mut v: Vec<(String, String)> = std::fs::read_dir(root().join("scenarios"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml") && !p.ends_with("big-cluster.yaml"))
        .map(|p| (p.to_string_lossy().to_string(), std::fs::read_to_string(&p).unwrap()))
        .collect();
    v.sort();
    assert!(v.len() >= 5, "{v:?}");
    v
}

/// Runs `check` on every bundled scenario, spread over the machine's cores (each
/// scenario is independent; a failure panics its thread and the test).
fn each_bundled(check: impl Fn(&str, &str) + Sync) {
    let all = bundled();
    let next = AtomicUsize::new(0);
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get()).min(all.len());
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                while let Some((name, text)) = all.get(next.fetch_add(1, Ordering::Relaxed)) {
                    check(name, text);
                }
            });
        }
    });
}

fn objects(sim: &Simulation) -> Vec<(Kind, String, String)> {
    let mut v = Vec::new();
    for k in [Kind::Pod, Kind::Node] {
        for o in sim.list(&k) {
            v.push((k.clone(), o.meta().namespace.to_string(), serde_json::to_string(&o.to_json()).unwrap()));
        }
    }
    v
}

fn shown(s: &Session) -> Vec<(Kind, String, String)> {
    let mut v: Vec<_> = s
        .objects()
        .filter(|o| matches!(&***o, Object::Pod(_) | Object::Node(_)))
        .map(|o| (o.kind(), o.meta().namespace.to_string(), serde_json::to_string(&o.to_json()).unwrap()))
        .collect();
    v.sort_by(|a, b| (a.0.clone(), &a.1).cmp(&(b.0.clone(), &b.1)).then(a.2.cmp(&b.2)));
    v
}

fn sorted(mut v: Vec<(Kind, String, String)>) -> Vec<(Kind, String, String)> {
    v.sort_by(|a, b| (a.0.clone(), &a.1).cmp(&(b.0.clone(), &b.1)).then(a.2.cmp(&b.2)));
    v
}

#[test]
fn same_log_and_fingerprint_as_the_cli_for_every_bundled_scenario() {
    each_bundled(|name, text| {
        let scenario = load(name, text).unwrap();
        for seed in [scenario.seed, scenario.seed + 17] {
            let mut s = Session::new(scenario.clone(), Some(seed)).unwrap();
            let mut slices = 0;
            while !s.advance(97) {
                slices += 1;
            }
            assert!(slices > 0, "{name}: ran in slices");
            let mut opts = RunOptions::for_scenario(&scenario);
            opts.seed = seed;
            let r = run_scenario(&scenario, &opts).unwrap();
            assert_eq!(s.jsonl(), r.sim.trace.to_jsonl(), "{name} seed {seed}");
            assert_eq!(s.fingerprint(), r.sim.fingerprint(), "{name} seed {seed}");
        }
    });
}

#[test]
fn every_moment_equals_a_fresh_run_to_it() {
    each_bundled(|name, text| {
        let scenario = load(name, text).unwrap();
        let mut s = Session::new(scenario.clone(), None).unwrap();
        s.set_checkpoint_every(13);
        s.run_to_end();
        assert!(s.checkpoints() > 2, "{name}: exercises checkpoints");
        let end = s.end_ms();
        // Forwards, then backwards, then jumps; moments on and around timeline actions.
        let mut moments: Vec<u64> = (0..=12).map(|i| end * i / 12).collect();
        for m in serde_json::from_str::<Vec<serde_json::Value>>(&sim_web::view::markers(&s)).unwrap() {
            let t = m["t"].as_u64().unwrap();
            moments.extend([t.saturating_sub(1), t, t + 1, t + 1234]);
        }
        let mut back = moments.clone();
        back.reverse();
        moments.extend(back);
        moments.extend([end / 3, end - 1, 7, end / 2, 1]);
        moments.retain(|&t| t <= end);
        // The fresh run: one simulation from the start, stopped at each moment in turn
        // (run_until resumes exactly where it stopped — the test above compares a run
        // in slices with `ksim run`'s straight one).
        let mut ahead = moments.clone();
        ahead.sort_unstable();
        ahead.dedup();
        let mut sim = Simulation::new(&scenario, &RunOptions::for_scenario(&scenario)).unwrap();
        let fresh: std::collections::BTreeMap<u64, _> = ahead
            .into_iter()
            .map(|t| {
                sim.run_until(SimTime(t));
                (t, sorted(objects(&sim)))
            })
            .collect();
        for t in moments {
            s.seek(t);
            assert_eq!(shown(&s), fresh[&t], "{name} at {t} ms");
        }
    });
}

#[test]
fn a_bad_file_reports_its_line_and_column() {
    let text = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: -1\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - {name: web, image: nginx}\n";
    let Err((problems, rendered)) = load("mine.yaml", text) else { panic!("a negative replicas is refused") };
    assert_eq!((problems[0].line, problems[0].col), (5, 13), "{problems:?}");
    assert!(problems[0].message.contains("spec.replicas"), "{problems:?}");
    assert!(rendered.contains("mine.yaml:5:13"), "{rendered}");
}

#[test]
fn a_crashed_node_pods_are_linked_to_their_replacements() {
    let (name, text) = bundled().into_iter().find(|(n, _)| n.ends_with("node-crash.yaml")).unwrap();
    let mut s = Session::new(load(&name, &text).unwrap(), None).unwrap();
    s.run_to_end();
    assert_eq!(s.replaces.len(), 2, "two pods lost with worker-1 are replaced");
    for (new, old) in &s.replaces {
        assert!(s.first_seen_ms(*new) > s.first_seen_ms(*old));
    }
}

/// A few bundled scenarios by file name.
fn some(names: &[&str]) -> Vec<(String, String)> {
    let v: Vec<_> = bundled().into_iter().filter(|(p, _)| names.iter().any(|n| p.ends_with(&format!("/{n}.yaml")))).collect();
    assert_eq!(v.len(), names.len(), "{names:?}");
    v
}

/// The charts' series are the ones `ksim plot --what …` draws: at each of its moments, a
/// fresh run stopped there (`ksim plot` runs to each moment, then samples) and sampled by
/// the same function, `sim_core::series::sample`.
#[test]
fn charts_are_the_series_ksim_plot_draws() {
    use sim_core::series::{moment, sample, TrafficMarks, SAMPLES, WHATS};
    for (name, text) in some(&["kube-proxy-window", "node-crash", "job-backoff"]) {
        let scenario = load(&name, &text).unwrap();
        let mut s = Session::new(scenario.clone(), None).unwrap();
        s.run_to_end();
        let end = scenario.until.as_ms().max(1);
        for what in WHATS {
            if what == "traffic" && scenario.traffic.is_empty() {
                assert!(s.charts.series(what).is_empty());
                continue;
            }
            let mut sim = Simulation::new(&scenario, &RunOptions { keep_log: false, ..RunOptions::for_scenario(&scenario) }).unwrap();
            let mut want: std::collections::BTreeMap<String, Vec<(u64, f64)>> = Default::default();
            let mut marks = TrafficMarks::new();
            for i in 0..=SAMPLES {
                let t = moment(end, i);
                sim.run_until(SimTime(t));
                for (series, v) in sample(&sim, what, &mut marks) {
                    want.entry(series).or_default().push((t, v));
                }
            }
            assert!(!want.is_empty(), "{name} {what}");
            assert_eq!(s.charts.series(what), want, "{name}: {what}");
        }
    }
}

/// The architecture view's etcd box (keys by kind) and scheduler box (its queues) at any
/// moment are the store's and the scheduler's then; a bind's watch event goes to the
/// kubelet of the node the pod is bound to.
#[test]
fn the_architecture_view_reads_the_store_and_the_scheduler() {
    for (name, text) in some(&["node-crash", "service-endpoints", "insufficient-capacity", "cluster-setup"]) {
        let scenario = load(&name, &text).unwrap();
        let mut s = Session::new(scenario.clone(), None).unwrap();
        s.run_to_end();
        let end = s.end_ms();
        let mut sim = Simulation::new(&scenario, &RunOptions::for_scenario(&scenario)).unwrap();
        for i in 0..=8 {
            let t = end * i / 8;
            sim.run_until(SimTime(t));
            let mut want: Vec<(String, u32)> =
                sim.api.store.kinds().map(|k| (k.name().to_string(), sim.api.store.list(k).count() as u32)).filter(|e| e.1 > 0).collect();
            want.sort();
            let mut got: Vec<(String, u32)> = s.arch.keys_at(t).into_iter().map(|(k, n)| (k.to_string(), n)).collect();
            got.sort();
            assert_eq!(got, want, "{name}: keys by kind at {t} ms");
            let q = sim.scheduler.queue_sizes();
            assert_eq!(s.arch.sched_at(t), [q[0] as u32, q[1] as u32, q[2] as u32], "{name}: scheduler queues at {t} ms");
        }
        let recs = s.records();
        let binds: Vec<usize> = (0..recs.len()).filter(|&i| recs[i].verb == "bind").collect();
        assert!(!binds.is_empty(), "{name} binds pods");
        for i in binds {
            let node = recs[i].get_str("node").unwrap();
            assert_eq!(s.arch.route(i).collect::<Vec<_>>(), [node], "{name}: record {i}");
        }
    }
}
