//! The `ksim` binary end to end: exit codes, kubectl-shaped output, errors with
//! file:line:col, determinism across processes.

mod common;

use common::{fingerprint, ksim, root, text};
use std::path::Path;
use std::process::Command;

#[test]
fn run_prints_timeline_pods_and_fingerprint() {
    let out = ksim(&["run", "scenarios/hello-deployment.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.contains("NAME") && s.contains("READY") && s.contains("STATUS") && s.contains("NOMINATED NODE"), "{s}");
    assert!(s.contains("scheduled to worker-"), "{s}");
    assert!(s.contains("3 passed, 0 failed"), "{s}");
    let fp = fingerprint(&out);
    assert_eq!(fp.len(), 64);
    // Across processes, the same seed gives the same fingerprint; another seed another.
    assert_eq!(fingerprint(&ksim(&["run", "scenarios/hello-deployment.yaml"])), fp);
    assert_ne!(fingerprint(&ksim(&["run", "scenarios/hello-deployment.yaml", "--seed", "43"])), fp);
}

#[test]
fn cli_and_library_agree_on_the_fingerprint() {
    let path = root().join("scenarios/node-crash.yaml");
    let src = sim_core::Source { name: path.to_string_lossy().into(), text: std::fs::read_to_string(&path).unwrap() };
    let s = sim_core::load(&[src], &|_: &str, r: &str| Err(r.to_string())).unwrap();
    let r = sim_core::scenario::run::run_scenario(&s, &sim_core::RunOptions::for_scenario(&s)).unwrap();
    assert_eq!(fingerprint(&ksim(&["run", "scenarios/node-crash.yaml"])), r.sim.fingerprint());
}

#[test]
fn log_file_hashes_to_the_fingerprint() {
    let log = std::env::temp_dir().join(format!("ksim-log-{}.jsonl", std::process::id()));
    let out = ksim(&["run", "scenarios/scale-up-down.yaml", "--log", log.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0));
    let bytes = std::fs::read(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    use sha2::{Digest, Sha256};
    let digest: String = Sha256::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(digest, fingerprint(&out));
}

#[test]
fn bad_input_exits_2_with_location_and_apiserver_words() {
    let cases = [
        ("negative-replicas.yaml", "negative-replicas.yaml:6:13:", "spec.replicas: Invalid value: -1: must be greater than or equal to 0"),
        ("unknown-field.yaml", "unknown-field.yaml:9:5:", "strict decoding error: unknown field \"spec.containers[0].imagePullPolcy\""),
        ("unknown-kind.yaml", "unknown-kind.yaml:2:7:", "no matches for kind \"Foo\" in version \"apps/v1\""),
        ("malformed.yaml", "malformed.yaml:", ""),
        ("empty.yaml", "empty.yaml:1:1:", "no objects passed to apply"),
    ];
    for (file, loc, msg) in cases {
        let path = format!("sim-cli/tests/data/{file}");
        let out = ksim(&["run", &path]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{file}: {err}");
        assert!(err.contains(loc), "{file}: want {loc} in {err}");
        assert!(err.contains(msg), "{file}: want {msg} in {err}");
        assert!(!err.contains("panicked"), "{err}");
    }
    let out = ksim(&["run", "no/such/file.yaml"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn a_failed_expectation_exits_1() {
    let out = ksim(&["run", "sim-cli/tests/data/failing-expectation.yaml"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("✗ at 20s"), "{}", text(&out.stdout));
}

#[test]
fn get_json_is_a_kubectl_list() {
    let out = ksim(&["get", "pods", "scenarios/hello-deployment.yaml", "--at", "30s", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["kind"], "List");
    let items = v["items"].as_array().unwrap();
    assert_eq!(items.len(), 3);
    for p in items {
        assert_eq!(p["kind"], "Pod");
        assert!(p["metadata"]["name"].as_str().unwrap().starts_with("nginx-deployment-"));
        assert!(p["spec"]["nodeName"].as_str().unwrap().starts_with("worker-"));
        assert_eq!(p["status"]["phase"], "Running");
        assert!(p["status"]["podIP"].as_str().unwrap().starts_with("10.244."));
        assert!(p["status"]["conditions"].as_array().unwrap().iter().any(|c| c["type"] == "Ready" && c["status"] == "True"));
    }
    let out = ksim(&["get", "nodes", "scenarios/hello-deployment.yaml", "--at", "30s", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let cidrs: Vec<&str> = v["items"].as_array().unwrap().iter().map(|n| n["spec"]["podCIDR"].as_str().unwrap()).collect();
    assert_eq!(cidrs, ["10.244.0.0/24", "10.244.1.0/24", "10.244.2.0/24"]);
}

#[test]
fn get_at_a_moment_shows_the_state_then() {
    let out = ksim(&["get", "pods", "scenarios/node-crash.yaml", "--at", "7m30s", "-o", "wide"]);
    let s = text(&out.stdout);
    assert_eq!(s.lines().filter(|l| l.contains("Terminating")).count(), 2, "{s}");
    assert!(s.lines().filter(|l| l.contains("Terminating")).all(|l| l.contains("worker-1")), "{s}");
    let out = ksim(&["get", "nodes", "scenarios/node-crash.yaml", "--at", "2m"]);
    assert!(text(&out.stdout).lines().any(|l| l.starts_with("worker-1") && l.contains("NotReady")));
    let out = ksim(&["get", "pod", "nope", "scenarios/node-crash.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("pods \"nope\" not found"));
    let out = ksim(&["get", "pods", "scenarios/node-crash.yaml", "--at", "1m", "-o", "yaml"]);
    assert!(text(&out.stdout).contains("kind: List"), "{}", text(&out.stdout));
}

#[test]
fn check_sweeps_seeds_shards_and_prints_replays() {
    let out = ksim(&["check", "scenarios/random-node-faults.yaml", "--seeds", "12", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((v["runs"].as_u64(), v["violations"].as_u64()), (Some(12), Some(0)));
    assert!(v["events"].as_u64().unwrap() > 1000);
    let out = ksim(&["check", "scenarios/random-node-faults.yaml", "--seeds", "12", "--shard", "1/3", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["runs"].as_u64(), Some(4));
    assert_eq!(ksim(&["check", "scenarios/hello-deployment.yaml", "--shard", "3/3"]).status.code(), Some(2));
    // A failure names the seed and the command that replays it.
    let out = ksim(&["check", "sim-cli/tests/data/failing-expectation.yaml", "--seeds", "2"]);
    assert_eq!(out.status.code(), Some(1));
    let s = text(&out.stdout);
    assert!(s.contains("replay: ksim run sim-cli/tests/data/failing-expectation.yaml --seed 1 --check"), "{s}");
    // The expectation's verdict, with no empty list of objects after it.
    assert!(
        s.contains("✗ seed 1: [expectation] at 20s: `deployment/web available == 4`: observed 2\n    at sim-cli/tests/data/failing-expectation.yaml:7:11\n"),
        "{s}"
    );
    assert!(!s.contains("()"), "{s}");
}

#[test]
fn run_check_reports_invariants() {
    let out = ksim(&["run", "scenarios/node-crash.yaml", "--check"]);
    assert_eq!(out.status.code(), Some(0));
    assert!(text(&out.stdout).contains("invariants: 0 violations"));
}

#[test]
fn explain_shows_filters_scores_and_the_choice() {
    // A pod no node can take: every node's filter verdict.
    let out = ksim(&["explain", "pod/gpu-job", "scenarios/node-affinity.yaml", "--at", "30s", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["pod"], "default/gpu-job");
    assert!(v["node"].is_null());
    let nodes = v["nodes"].as_array().unwrap();
    assert_eq!(nodes.len(), 4);
    for n in nodes {
        assert_eq!(n["feasible"], false);
        assert_eq!(n["filter"][0]["plugin"], "NodeAffinity");
        assert_eq!(n["filter"][0]["reason"], "node(s) didn't match Pod's node affinity/selector");
    }
    // A scheduled frontend pod: per-plugin raw, normalized, weighted; the chosen node has
    // the highest total, and weighted = normalized × weight adds up to the total.
    let pods = text(&ksim(&["get", "pods", "scenarios/node-affinity.yaml", "--at", "30s"]).stdout);
    let name = pods.lines().find(|l| l.starts_with("frontend-")).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let out = ksim(&["explain", &format!("pod/{name}"), "scenarios/node-affinity.yaml", "--at", "30s", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let chosen = v["node"].as_str().expect("scheduled").to_string();
    let feasible: Vec<&serde_json::Value> = v["nodes"].as_array().unwrap().iter().filter(|n| n["feasible"] == true).collect();
    assert!(feasible.len() >= 2, "{v}");
    let best = feasible.iter().map(|n| n["total"].as_i64().unwrap()).max().unwrap();
    for n in &feasible {
        let scores = n["scores"].as_array().unwrap();
        let plugins: Vec<&str> = scores.iter().map(|s| s["plugin"].as_str().unwrap()).collect();
        assert_eq!(
            plugins,
            [
                "TaintToleration",
                "NodeAffinity",
                "NodeResourcesFit",
                "PodTopologySpread",
                "InterPodAffinity",
                "NodeResourcesBalancedAllocation",
                "ImageLocality"
            ]
        );
        let sum: i64 = scores.iter().map(|s| s["weighted"].as_i64().unwrap()).sum();
        assert_eq!(sum, n["total"].as_i64().unwrap());
        for s in scores {
            assert_eq!(s["weighted"].as_i64().unwrap(), s["normalized"].as_i64().unwrap() * s["weight"].as_i64().unwrap());
        }
        if n["name"] == chosen.as_str() {
            assert_eq!(n["total"].as_i64().unwrap(), best);
        }
    }
    // The readable form.
    let out = ksim(&["explain", &format!("pod/{name}"), "scenarios/node-affinity.yaml", "--at", "30s"]);
    let s = text(&out.stdout);
    assert!(s.contains(&format!("scheduled to {chosen}")) && s.contains("NodeAffinity") && s.contains("chosen"), "{s}");
    // A pod that does not exist.
    assert_eq!(ksim(&["explain", "pod/nope", "scenarios/node-affinity.yaml", "--at", "30s"]).status.code(), Some(1));
    assert_eq!(ksim(&["explain", "deploy/x", "scenarios/node-affinity.yaml", "--at", "30s"]).status.code(), Some(2));
}

#[test]
fn bench_scheduler_prints_figures() {
    let out = ksim(&["bench", "scheduler", "--nodes", "50", "--pods", "200", "-o", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["scheduled"], 200);
    // Timings are figures, not assertions (a shared machine makes them noise): only their
    // presence is the output's contract.
    assert!(["pods_per_s", "wall_s", "peak_rss_bytes"].iter().all(|k| v[k].is_number()), "{v}");
    let out = ksim(&["bench", "scheduler", "--nodes", "50", "--pods", "40", "--workload", "anti-affinity", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["scheduled"], 40);
}

/// `ksim bench density --emit-scenario` writes the bench's run as a scenario: `ksim run`
/// of it must be the same run (the same engine events and fingerprint), its expectation
/// (every workload pod running) met — with the usage model too (metrics-server and the
/// Deployments' annotations), and with a last Deployment smaller than the others.
#[test]
fn a_density_bench_emitted_as_a_scenario_is_the_same_run() {
    for extra in [&[][..], &["--usage"][..]] {
        let file = std::env::temp_dir().join(format!("ksim-density-{}-{}.yaml", std::process::id(), extra.len()));
        let mut args =
            vec!["bench", "density", "--nodes", "12", "--pods", "100", "--per-deployment", "30", "-o", "json", "--emit-scenario", file.to_str().unwrap()];
        args.extend_from_slice(extra);
        let out = ksim(&args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        let bench: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        let run = ksim(&["run", file.to_str().unwrap(), "--max-lines", "0"]);
        let yaml = std::fs::read_to_string(&file).unwrap();
        let _ = std::fs::remove_file(&file);
        assert_eq!(run.status.code(), Some(0), "{}\n{yaml}", text(&run.stderr));
        let s = text(&run.stdout);
        assert!(s.contains("1 passed, 0 failed"), "{s}");
        assert!(s.contains(&format!("{} events,", bench["events"])), "{s}\n{bench}");
        assert_eq!(fingerprint(&run), bench["fingerprint"].as_str().unwrap(), "{extra:?}");
        assert_eq!(yaml.matches("kind: Deployment").count(), 4, "{yaml}");
    }
}

#[test]
fn numbers_on_the_command_line_are_checked_before_anything_is_built() {
    // Each would otherwise size an allocation (a seed list, threads, kubelets, pods).
    let cases: [(&[&str], &str); 5] = [
        (&["check", "scenarios/hello-deployment.yaml", "--seeds", "18446744073709551615"], "error: --seeds 18446744073709551615: at most 1000000"),
        (&["check", "scenarios/hello-deployment.yaml", "--jobs", "100000"], "error: --jobs 100000: at most 256"),
        (&["run", "scenarios/hello-deployment.yaml", "--max-lines", "18446744073709551615"], "error: --max-lines 18446744073709551615: at most 1000000"),
        (&["bench", "density", "--nodes", "4294967295"], "error: --nodes 4294967295: ksim simulates at most 100000 nodes"),
        (
            &["bench", "scheduler", "--nodes", "100", "--pods", "18446744073709551615"],
            "error: --pods 18446744073709551615: ksim simulates at most 1000000 pods",
        ),
    ];
    for (args, want) in cases {
        let started = std::time::Instant::now();
        let out = ksim(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(err.starts_with(want), "{args:?}: want {want:?}, got {err}");
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{args:?} took {:?}", started.elapsed());
    }
}

/// The highest VmHWM (peak resident set) seen while `ksim args…` runs, in KiB, polled
/// from /proc (None where there is no /proc).
fn peak_rss_kib(args: &[&str]) -> Option<u64> {
    if !Path::new("/proc/self/status").exists() {
        return None;
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_ksim"))
        .args(args)
        .current_dir(root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("ksim runs");
    let status = format!("/proc/{}/status", child.id());
    let mut peak = 0;
    while child.try_wait().unwrap().is_none() {
        if let Some(kib) = std::fs::read_to_string(&status)
            .ok()
            .and_then(|s| s.lines().find(|l| l.starts_with("VmHWM:")).and_then(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok()))
        {
            peak = peak.max(kib);
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    Some(peak)
}

#[test]
fn memory_does_not_grow_with_simulated_time() {
    // An idle cluster writes ~1,100 log records per simulated hour; 50 hours of them
    // held in memory were ~50 MB. Streamed, a 50-hour run needs what a 1-hour run needs.
    let idle = "sim-cli/tests/data/idle.yaml";
    for (short, long) in [
        (vec!["run", idle, "--until", "1h"], vec!["run", idle, "--until", "50h"]),
        (vec!["get", "nodes", idle, "--at", "1h"], vec!["get", "nodes", idle, "--at", "50h"]),
    ] {
        let (Some(a), Some(b)) = (peak_rss_kib(&short), peak_rss_kib(&long)) else { return };
        assert!(b < a + 16 * 1024, "{long:?}: peak RSS {b} KiB, {short:?}: {a} KiB");
    }
}

#[test]
fn a_list_is_applied_item_by_item() {
    let out = ksim(&["get", "pods", "sim-cli/tests/data/pod-list.yaml", "--at", "30s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.lines().any(|l| l.starts_with("small ") && l.contains("Running")), "{s}");
    // 2^63-1 bytes of memory fit no node: Pending.
    assert!(s.lines().any(|l| l.starts_with("huge ") && l.contains("Pending")), "{s}");
    // The apiserver caps a binary-suffixed quantity at 2^63-1 (quantity.go); ksim says so.
    let err = text(&out.stderr);
    assert!(
        err.contains("warning: sim-cli/tests/data/pod-list.yaml:19:28: spec.containers[0].resources.requests.memory: \"1000000Ei\" is more than a quantity holds: the apiserver stores it as 9223372036854775807 (2^63-1)"),
        "{err}"
    );
}

#[test]
fn an_unknown_output_format_is_refused_in_kubectls_words() {
    let cases: [(&[&str], &str); 5] = [
        (&["check", "scenarios/hello-deployment.yaml", "--seeds", "1", "-o", "xml"], "json"),
        (&["explain", "pod/x", "scenarios/hello-deployment.yaml", "--at", "1s", "-o", "yaml"], "json"),
        (&["get", "pods", "scenarios/hello-deployment.yaml", "--at", "1s", "-o", "xml"], "json,name,wide,yaml"),
        (&["bench", "density", "--nodes", "1", "--pods", "1", "-o", "xml"], "json"),
        (&["bench", "scheduler", "--nodes", "1", "--pods", "1", "-o", "table"], "json"),
    ];
    for (args, allowed) in cases {
        let out = ksim(args);
        let o = args[args.len() - 1];
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr),
            format!("error: unable to match a printer suitable for the output format \"{o}\", allowed formats are: {allowed}\n"),
            "{args:?}"
        );
        assert!(out.stdout.is_empty(), "{args:?}: nothing runs");
    }
}

#[test]
fn the_log_never_overwrites_an_input_and_is_opened_before_the_run() {
    let dir = std::env::temp_dir().join(format!("ksim-log-inputs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let manifest = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  containers: [{name: c, image: nginx}]\n";
    let scenario = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: s}\nspec:\n  until: 1m\n  timeline:\n  - {at: 1s, apply: {file: pod.yaml}}\n";
    std::fs::write(dir.join("pod.yaml"), manifest).unwrap();
    std::fs::write(dir.join("s.yaml"), scenario).unwrap();
    let s = dir.join("s.yaml").to_string_lossy().to_string();
    // The scenario itself, and a file it applies spelled another way.
    let other = dir.join("../").join(dir.file_name().unwrap()).join("pod.yaml").to_string_lossy().to_string();
    for log in [s.clone(), other] {
        let out = ksim(&["run", &s, "--log", &log]);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(err.starts_with(&format!("error: --log {log}: that is ")) && err.ends_with(", an input of this run; refusing to overwrite it\n"), "{err}");
    }
    assert_eq!(std::fs::read_to_string(dir.join("s.yaml")).unwrap(), scenario);
    assert_eq!(std::fs::read_to_string(dir.join("pod.yaml")).unwrap(), manifest);
    // A log that cannot be written stops ksim before it simulates anything.
    let out = ksim(&["run", &s, "--log", &dir.join("no/such/dir/log.jsonl").to_string_lossy()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).starts_with("error: cannot write "), "{}", text(&out.stderr));
    assert!(out.stdout.is_empty(), "{}", text(&out.stdout));
    // The same file twice is said, not loaded twice.
    let twice = dir.join(".").join("s.yaml").to_string_lossy().to_string();
    let out = ksim(&["run", &s, &twice]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr), format!("error: {twice} is the same file as {s}: give each file once\n"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn explain_says_when_there_is_no_pod_or_no_scheduler_for_it() {
    let out = ksim(&["explain", "pod/doesnotexist", "scenarios/hello-deployment.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "Error from server (NotFound): pods \"doesnotexist\" not found\n");
    let out = ksim(&["explain", "pod/x", "sim-cli/tests/data/unserved-scheduler.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(text(&out.stderr), "pod default/x names schedulerName \"my-sched\", which no scheduler profile serves: it stays Pending\n");
}

#[test]
fn a_fault_plan_cut_at_its_cap_is_said() {
    let out = ksim(&["get", "nodes", "sim-cli/tests/data/fault-storm.yaml", "--at", "1s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let err = text(&out.stderr);
    assert!(err.starts_with("warning: sim-cli/tests/data/fault-storm.yaml:9:5: spec.faults draws more than 10000 faults and recoveries before 20m"), "{err}");
    // A plan under the cap says nothing.
    assert!(ksim(&["get", "nodes", "scenarios/random-node-faults.yaml", "--at", "1s"]).stderr.is_empty());
}

/// `ksim get ds` / `rc` / `controllerrevisions` print kubectl's columns (printers.go
/// printDaemonSet, printReplicationController, printControllerRevision), `-o wide` too.
#[test]
fn get_daemonsets_and_replication_controllers_as_kubectl_prints_them() {
    let get = |args: &[&str]| {
        let out = ksim(args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let ds = "sim-core/tests/data/daemonset-nodes.yaml";
    assert_eq!(
        get(&["get", "ds", ds, "--at", "30s"]),
        "NAME           DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR     AGE
gpu-exporter   2         2         2       2            2           accelerator=gpu   29s
node-agent     5         5         5       5            5           <none>            29s
plain          3         3         3       3            3           <none>            29s
"
    );
    assert_eq!(
        get(&["get", "daemonsets", "gpu-exporter", ds, "--at", "30s", "-o", "wide"]),
        "NAME           DESIRED   CURRENT   READY   UP-TO-DATE   AVAILABLE   NODE SELECTOR     AGE   CONTAINERS   IMAGES         SELECTOR
gpu-exporter   2         2         2       2            2           accelerator=gpu   29s   exporter     busybox:1.36   app=gpu-exporter
"
    );
    let revisions = get(&["get", "controllerrevisions", ds, "--at", "30s"]);
    assert!(revisions.starts_with("NAME                      CONTROLLER                    REVISION   AGE\n"), "{revisions}");
    assert!(revisions.lines().any(|l| l.starts_with("gpu-exporter-") && l.contains("daemonset.apps/gpu-exporter   1")), "{revisions}");
    let rc = "sim-cli/tests/data/replication-controller.yaml";
    assert_eq!(
        get(&["get", "rc", rc, "--at", "30s"]),
        "NAME    DESIRED   CURRENT   READY   AGE
nginx   3         3         3       29s
"
    );
    assert_eq!(
        get(&["get", "replicationcontrollers", rc, "--at", "30s", "-o", "wide"]),
        "NAME    DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES       SELECTOR
nginx   3         3         3       29s   nginx        nginx:1.25   app=nginx,tier=web
"
    );
}

/// `ksim get` of several kinds, as kubectl's GetOptions.Run prints them
/// (staging/src/k8s.io/kubectl/pkg/cmd/get/get.go): one table per kind that has objects, a
/// blank line between tables (separatorWriterWrapper), nothing for a kind with none, and
/// the NAME column as `kind.group/name` when objects of more than one kind are printed
/// (multipleGVKsRequested; cli-runtime's decorateTable). The columns are printers.go's
/// printDeployment, printReplicaSet and printPodDisruptionBudget (wide: CONTAINERS,
/// IMAGES, SELECTOR; a PDB has no wide columns). The table itself is a layout snapshot.
#[test]
fn get_several_kinds_prefixes_names_and_separates_tables() {
    let out = ksim(&["get", "deploy,rs,ds,pdb", "scenarios/drain-with-pdb.yaml", "--at", "1m", "-o", "wide"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "NAME                  READY   UP-TO-DATE   AVAILABLE   AGE   CONTAINERS   IMAGES       SELECTOR
deployment.apps/web   4/4     4            4           59s   web          nginx:1.25   app=web

NAME                             DESIRED   CURRENT   READY   AGE   CONTAINERS   IMAGES       SELECTOR
replicaset.apps/web-6f955c8858   4         4         4       59s   web          nginx:1.25   app=web,pod-template-hash=6f955c8858

NAME                                 MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE
poddisruptionbudget.policy/web-pdb   N/A             1                 1                     59s
"
    );
    // No DaemonSet: no table, no blank line, and no "No resources found" (something was printed).
    assert!(out.stderr.is_empty(), "{}", text(&out.stderr));
    // Objects of one kind only: plain names, as kubectl prints a single kind.
    let out = ksim(&["get", "ds,deploy", "scenarios/rolling-update.yaml", "--at", "1m"]);
    assert!(text(&out.stdout).starts_with("NAME   READY   UP-TO-DATE   AVAILABLE   AGE\nweb    4/4 "), "{}", text(&out.stdout));
    // Nothing at all: kubectl's words on stderr, exit 0.
    let out = ksim(&["get", "ds,pdb", "scenarios/rolling-update.yaml", "--at", "1m"]);
    assert_eq!((out.status.code(), text(&out.stdout), text(&out.stderr)), (Some(0), String::new(), "No resources found in default namespace.\n".into()));
    // -o json: one List of every kind (printGeneric), not a List per kind.
    let out = ksim(&["get", "deploy,rs", "scenarios/rolling-update.yaml", "--at", "1m20s", "-o", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON document");
    let kinds: Vec<&str> = v["items"].as_array().unwrap().iter().map(|i| i["kind"].as_str().unwrap()).collect();
    assert_eq!((v["kind"].as_str(), kinds), (Some("List"), vec!["Deployment", "ReplicaSet", "ReplicaSet"]));
    // A name with several kinds: what exists is printed, each kind that lacks it is NotFound.
    let out = ksim(&["get", "deploy,rs", "web", "scenarios/rolling-update.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).starts_with("NAME   READY"), "{}", text(&out.stdout));
    assert_eq!(text(&out.stderr), "Error from server (NotFound): replicasets.apps \"web\" not found\n");
}

/// `ksim rollout history` prints what kubectl's does (cmd/rollout/rollout_history.go: the
/// NamePrinter line `deployment.apps/NAME ` then the viewer's text and a blank line, as in
/// rollout_history_test.go TestRolloutHistory; the `REVISION  CHANGE-CAUSE` table of
/// polymorphichelpers/history.go, as in history_test.go TestViewDeploymentHistory).
#[test]
fn rollout_history_lists_revisions_and_describes_one() {
    let history = |file: &str, at: &str| {
        let out = ksim(&["rollout", "history", "deployment/web", file, "--at", at]);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let table = |revs: &[u32]| {
        let rows: String = revs.iter().map(|r| format!("{r}         <none>\n")).collect();
        format!("deployment.apps/web \nREVISION  CHANGE-CAUSE\n{rows}\n")
    };
    // rolling-update: setImage at 1m makes revision 2.
    assert_eq!(history("scenarios/rolling-update.yaml", "59s"), table(&[1]));
    assert_eq!(history("scenarios/rolling-update.yaml", "4m"), table(&[1, 2]));
    // rollback: revision 2 at 1m; `rollout undo` at 3m gives revision 1's ReplicaSet the
    // next number (3), so revision 1 is gone (deployment controller's rollback semantics).
    assert_eq!(history("scenarios/rollback.yaml", "2m50s"), table(&[1, 2]));
    assert_eq!(history("scenarios/rollback.yaml", "6m"), table(&[2, 3]));
    // TYPE NAME and TYPE alone (every Deployment in the namespace) work as kubectl's do.
    let out = ksim(&["rollout", "history", "deploy", "web", "scenarios/rollback.yaml", "--at", "6m"]);
    assert_eq!(text(&out.stdout), table(&[2, 3]));
    let out = ksim(&["rollout", "history", "deployments", "scenarios/rollback.yaml", "--at", "6m"]);
    assert_eq!(text(&out.stdout), table(&[2, 3]));

    // --revision: `deployment.apps/web with revision #2`, then DescribePodTemplate as
    // printTemplate writes it (tabs kept; no tabwriter). The hash label is ksim's.
    let rs = ksim(&["get", "rs", "scenarios/rollback.yaml", "--at", "6m", "-o", "json"]);
    let rs: serde_json::Value = serde_json::from_slice(&rs.stdout).unwrap();
    let broken = rs["items"].as_array().unwrap().iter().find(|r| r["spec"]["template"]["spec"]["containers"][0]["image"] == "nginx:1.27-broken").unwrap();
    let hash = broken["metadata"]["labels"]["pod-template-hash"].as_str().unwrap();
    let out = ksim(&["rollout", "history", "deployment/web", "scenarios/rollback.yaml", "--at", "6m", "--revision", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        format!(
            "deployment.apps/web with revision #2
Pod Template:
  Labels:\tapp=web
\tpod-template-hash={hash}
  Annotations:\tksim.dev/exit-code: 1
\tksim.dev/run-duration: 2s
  Containers:
   web:
    Image:\tnginx:1.27-broken
    Port:\t<none>
    Host Port:\t<none>
    Environment:\t<none>
    Mounts:\t<none>
  Volumes:\t<none>
  Node-Selectors:\t<none>
  Tolerations:\t<none>

"
        )
    );
}

/// Bad input in kubectl's words: the apiserver's NotFound, the builder's unknown type,
/// Validate's revision check, the viewer's errors (history.go, rollout_status.go).
#[test]
fn rollout_refuses_bad_input_in_kubectls_words() {
    let f = "scenarios/rollback.yaml";
    let cases: [(&[&str], i32, &str); 9] = [
        (&["rollout", "history", "deployment/nope", f, "--at", "6m"], 1, "Error from server (NotFound): deployments.apps \"nope\" not found\n"),
        (&["rollout", "status", "deployment/nope", f, "--at", "6m"], 1, "Error from server (NotFound): deployments.apps \"nope\" not found\n"),
        (&["rollout", "history", "foo/web", f, "--at", "6m"], 2, "error: the server doesn't have a resource type \"foo\"\n"),
        (&["rollout", "status", "foo/web", f, "--at", "6m"], 2, "error: the server doesn't have a resource type \"foo\"\n"),
        (&["rollout", "history", "deployment/web", f, "--at", "6m", "--revision", "9"], 1, "error: unable to find the specified revision\n"),
        (&["rollout", "history", "deployment/web", f, "--at", "6m", "--revision", "-1"], 2, "error: revision must be a positive integer: -1\n"),
        (
            &["rollout", "status", "deployment/web", f, "--at", "6m", "--revision", "2"],
            1,
            "error: desired revision (2) is different from the running revision (3)\n",
        ),
        (&["rollout", "history", "pod/nope", f, "--at", "6m"], 1, "Error from server (NotFound): pods \"nope\" not found\n"),
        (&["rollout", "status", "deployment/web", f, "--at", "soon"], 2, "error: --at: "),
    ];
    for (args, code, want) in cases {
        let out = ksim(args);
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {err}");
        assert!(err.starts_with(want), "{args:?}: want {want:?}, got {err:?}");
        assert!(out.stdout.is_empty() && !err.contains("panicked"), "{args:?}");
    }
    // A kind with no viewer (HistoryViewerFor / StatusViewerFor).
    let rs = text(&ksim(&["get", "rs", f, "--at", "6m"]).stdout);
    let rs = rs.lines().nth(1).and_then(|l| l.split_whitespace().next()).unwrap().to_string();
    let out = ksim(&["rollout", "history", &format!("rs/{rs}"), f, "--at", "6m"]);
    assert_eq!((out.status.code(), text(&out.stderr)), (Some(1), "error: no history viewer has been implemented for \"ReplicaSet.apps\"\n".into()));
    let out = ksim(&["rollout", "status", &format!("replicaset/{rs}"), f, "--at", "6m"]);
    assert_eq!((out.status.code(), text(&out.stderr)), (Some(1), "error: no status viewer has been implemented for ReplicaSet.apps\n".into()));
}

/// `ksim rollout status` prints DeploymentStatusViewer.Status's message at --at once
/// (rollout_status.go; its wording as in rollout_status_test.go): exit 0 when rolled out,
/// 1 while waiting, and the progress-deadline error on stderr.
#[test]
fn rollout_status_says_where_a_deployment_rollout_is() {
    let status = |file: &str, at: &str| {
        let out = ksim(&["rollout", "status", "deployment/web", file, "--at", at]);
        (out.status.code().unwrap(), text(&out.stdout), text(&out.stderr))
    };
    let deployment = |file: &str, at: &str| {
        let out = ksim(&["get", "deployment", "web", file, "--at", at, "-o", "json"]);
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let done = (0, "deployment \"web\" successfully rolled out\n".to_string(), String::new());
    let waiting = |msg: String| (1, format!("Waiting for deployment \"web\" rollout to finish: {msg}...\n"), String::new());
    let f = "scenarios/rollback.yaml";
    // Before the bad rollout, and after the undo (the scenario's expectations: available 4).
    assert_eq!(status(f, "59s"), done);
    assert_eq!(status(f, "6m"), done);
    assert_eq!(
        ksim(&["rollout", "status", "deployment/web", f, "--at", "6m", "--revision", "3"]).status.code(),
        Some(0),
        "--revision pins the running revision"
    );
    // The stalled revision 2: maxSurge 1 and maxUnavailable 1 of 4 leave 2 new pods
    // (the scenario's "3 old + 2 new").
    assert_eq!(status(f, "2m50s"), waiting("2 out of 4 new replicas have been updated".into()));
    // Just after the undo: every replica is of revision 3, one not yet available.
    let d = deployment(f, "3m5s");
    let (available, updated) = (d["status"]["availableReplicas"].as_i64().unwrap(), d["status"]["updatedReplicas"].as_i64().unwrap());
    assert!(available < updated && updated == 4, "{d}");
    assert_eq!(status(f, "3m5s"), waiting(format!("{available} of {updated} updated replicas are available")));
    // rolling-update: the apiserver has the new template, the controller has not seen it
    // yet (generation > observedGeneration); later an old pod is still terminating.
    let f = "scenarios/rolling-update.yaml";
    assert_eq!(status(f, "60005ms"), (1, "Waiting for deployment spec update to be observed...\n".into(), String::new()));
    let d = deployment(f, "1m30s");
    let old = d["status"]["replicas"].as_i64().unwrap() - d["status"]["updatedReplicas"].as_i64().unwrap();
    assert!(old > 0 && d["status"]["updatedReplicas"] == 4, "{d}");
    assert_eq!(status(f, "1m30s"), waiting(format!("{old} old replicas are pending termination")));
    // A rollout past progressDeadlineSeconds: kubectl's error, nothing on stdout.
    let f = "sim-cli/tests/data/progress-deadline.yaml";
    assert_eq!(ksim(&["run", f]).status.code(), Some(0), "its expectations: Progressing is ProgressDeadlineExceeded at 2m");
    assert_eq!(status(f, "2m"), (1, String::new(), "error: deployment \"web\" exceeded its progress deadline\n".into()));
}

/// DaemonSets: history from their ControllerRevisions (DaemonSetHistoryViewer, the
/// change-cause from the revision's annotations) and DaemonSetStatusViewer.Status.
#[test]
fn rollout_of_a_daemonset() {
    let f = "sim-cli/tests/data/daemonset-rollout.yaml";
    assert_eq!(ksim(&["run", f]).status.code(), Some(0), "its expectations hold");
    let out = ksim(&["rollout", "history", "daemonset/agent", f, "--at", "2m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "daemonset.apps/agent \nREVISION  CHANGE-CAUSE\n1         <none>\n2         kubectl set image ds/agent agent=busybox:1.37\n\n"
    );
    let out = ksim(&["rollout", "history", "ds/agent", f, "--at", "2m", "--revision", "1"]);
    assert_eq!(
        text(&out.stdout),
        "daemonset.apps/agent with revision #1\nPod Template:\n  Labels:\tapp=agent\n  Containers:\n   agent:\n    Image:\tbusybox:1.36\n    \
         Port:\t<none>\n    Host Port:\t<none>\n    Environment:\t<none>\n    Mounts:\t<none>\n  Volumes:\t<none>\n  Node-Selectors:\t<none>\n  Tolerations:\t<none>\n\n"
    );
    let status = |at: &str| {
        let out = ksim(&["rollout", "status", "daemonset/agent", f, "--at", at]);
        (out.status.code().unwrap(), text(&out.stdout))
    };
    assert_eq!(status("25s"), (0, "daemon set \"agent\" successfully rolled out\n".into()));
    // One node's pod at a time (maxUnavailable 1): not all 3 updated a second in.
    let (code, msg) = status("31s");
    assert_eq!(code, 1);
    assert!(msg.starts_with("Waiting for daemon set \"agent\" rollout to finish: ") && msg.ends_with(" out of 3 new pods have been updated...\n"), "{msg}");
    assert_eq!(status("2m"), (0, "daemon set \"agent\" successfully rolled out\n".into()));
}

/// `--log-requests` adds one record per request to the log (and only to the log): as
/// many as `ksim get traffic` says were sent by the end, each with its result, which add
/// up to those counts; without the flag the run's fingerprint is what it was.
#[test]
fn log_requests_writes_every_request_and_they_add_up() {
    let log = std::env::temp_dir().join(format!("ksim-requests-{}.jsonl", std::process::id()));
    let plain = ksim(&["run", "scenarios/ingress-paths.yaml", "--max-lines", "0"]);
    let out = ksim(&["run", "scenarios/ingress-paths.yaml", "--max-lines", "0", "--log", log.to_str().unwrap(), "--log-requests"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let lines = std::fs::read_to_string(&log).unwrap();
    let _ = std::fs::remove_file(&log);
    let (mut requests, mut ok) = (0u64, 0u64);
    for l in lines.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap();
        if v["verb"] == "request" {
            requests += 1;
            ok += u64::from(v["change"]["result"] == "ok");
        }
    }
    let counts = ksim(&["get", "traffic", "scenarios/ingress-paths.yaml", "--at", "3m", "-o", "json"]);
    let counts: serde_json::Value = serde_json::from_slice(&counts.stdout).unwrap();
    let items = counts["items"].as_array().unwrap();
    let sent: u64 = items.iter().map(|i| i["sent"].as_u64().unwrap()).sum();
    let succeeded: u64 = items.iter().map(|i| i["succeeded"].as_u64().unwrap()).sum();
    assert!(requests > 0);
    assert_eq!((requests, ok), (sent, succeeded));
    let out2 = ksim(&["run", "scenarios/ingress-paths.yaml", "--max-lines", "0"]);
    assert_eq!(fingerprint(&plain), fingerprint(&out2));
    assert_ne!(fingerprint(&plain), fingerprint(&out));
    let refused = ksim(&["run", "scenarios/ingress-paths.yaml", "--log-requests"]);
    assert_eq!(refused.status.code(), Some(2));
}

/// `--at` defaults to the end of the run (spec.until) and refuses a moment past it.
#[test]
fn at_defaults_to_the_end_and_refuses_moments_past_it() {
    let end = ksim(&["get", "pods", "scenarios/hello-deployment.yaml"]);
    let at_end = ksim(&["get", "pods", "scenarios/hello-deployment.yaml", "--at", "1m"]);
    assert_eq!(end.status.code(), Some(0));
    assert_eq!(text(&end.stdout), text(&at_end.stdout));
    let past = ksim(&["get", "pods", "scenarios/hello-deployment.yaml", "--at", "99m"]);
    assert_eq!(past.status.code(), Some(2));
    assert!(text(&past.stderr).contains("error: --at 99m: the run ends at 1m (spec.until)"), "{}", text(&past.stderr));
    let explain = ksim(&["explain", "pod/x", "scenarios/hello-deployment.yaml", "--at", "2m"]);
    assert_eq!(explain.status.code(), Some(2));
}

/// `ksim events` as `kubectl events` prints (events.go printHeadings/printOneEvent):
/// `LAST SEEN TYPE REASON OBJECT MESSAGE`, the object as Kind/name, an Event seen more
/// than once as `LAST (xN over FIRST)`, `--types` and `--for` filters, oldest first, and
/// "No events found in NS namespace." when there is none.
#[test]
fn events_print_as_kubectl_events() {
    let out = ksim(&["events", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines[0].starts_with("LAST SEEN") && lines[0].contains("TYPE") && lines[0].ends_with("MESSAGE"), "{s}");
    assert!(lines[1].contains("Scheduled") && lines[1].contains("Pod/crash"), "{s}");
    let backoff = lines.iter().find(|l| l.contains("BackOff")).expect("a BackOff event");
    assert!(backoff.contains(" (x") && backoff.contains(" over "), "{backoff}");
    let warnings = ksim(&["events", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m", "--types", "Warning"]);
    assert!(text(&warnings.stdout).lines().skip(1).all(|l| l.contains("Warning")), "{}", text(&warnings.stdout));
    let none = ksim(&["events", "sim-cli/tests/data/crash-loop.yaml", "--for", "pod/other"]);
    assert_eq!(none.status.code(), Some(0));
    assert_eq!(text(&none.stderr).trim(), "No events found in default namespace.");
    let bad = ksim(&["events", "sim-cli/tests/data/crash-loop.yaml", "--types", "Error"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `ksim describe` lays a pod and a node out as kubectl describe does (describePod,
/// describeNode): a tabwriter with two spaces of padding, the container's State and
/// Last State, the conditions table, the Events table with `(xN over …)`; a node's
/// Conditions, Capacity, Non-terminated Pods and Allocated resources.
#[test]
fn describe_pod_and_node_as_kubectl_does() {
    let out = ksim(&["describe", "pod", "crash", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "Name:         crash\n",
        "Namespace:    default\n",
        "Status:       Running\n",
        "Containers:\n  app:\n",
        "    State:          Waiting\n      Reason:       CrashLoopBackOff\n",
        "    Last State:     Terminated\n      Reason:       Error\n      Exit Code:    1\n",
        "    Ready:          False\n",
        "Conditions:\n  Type                        Status\n  PodReadyToStartContainers   True \n",
        "QoS Class:                    BestEffort\n",
        "Events:\n  Type     Reason     Age                From               Message\n  ----     ------     ----               ----               -------\n",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    assert!(s.lines().any(|l| l.starts_with("  Warning  BackOff") && l.contains(" (x")), "{s}");
    let slash = ksim(&["describe", "pod/crash", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m"]);
    assert_eq!(text(&slash.stdout), s);
    let missing = ksim(&["describe", "pod", "nope", "sim-cli/tests/data/crash-loop.yaml"]);
    assert_eq!(missing.status.code(), Some(1));
    assert_eq!(text(&missing.stderr).trim(), "Error from server (NotFound): pods \"nope\" not found");
    let node = ksim(&["describe", "node", "worker-3", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m"]);
    let n = text(&node.stdout);
    for want in [
        "Name:               worker-3\n",
        "Roles:              <none>\n",
        "Unschedulable:      false\n",
        "Lease:\n  HolderIdentity:  worker-3\n",
        "Non-terminated Pods:",
        "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n",
    ] {
        assert!(n.contains(want), "missing {want:?} in\n{n}");
    }
    assert!(n.lines().any(|l| l.starts_with("  Ready ") && l.contains("KubeletReady")), "{n}");
}

/// kubectl get's habits: `all` (pods, replicationcontrollers, services, daemonsets,
/// deployments, replicasets, names prefixed by kind when several kinds print),
/// `--show-labels` (a LABELS column, labels.FormatLabels), `-o name` (KIND[.GROUP]/NAME).
#[test]
fn get_all_show_labels_and_name_output() {
    let all = text(&ksim(&["get", "all", "scenarios/service-endpoints.yaml", "--at", "1m"]).stdout);
    let kinds: Vec<&str> = all.lines().filter(|l| !l.is_empty() && !l.starts_with("NAME")).map(|l| l.split('/').next().unwrap()).collect();
    let mut order = kinds.clone();
    order.dedup();
    assert_eq!(order, ["pod", "service", "deployment.apps", "replicaset.apps"], "{all}");
    let labels = text(&ksim(&["get", "pods", "--show-labels", "scenarios/hello-deployment.yaml"]).stdout);
    assert!(labels.lines().next().unwrap().ends_with("LABELS"), "{labels}");
    assert!(labels.lines().skip(1).all(|l| l.contains("app=nginx,pod-template-hash=")), "{labels}");
    let names = text(&ksim(&["get", "deploy,svc", "-o", "name", "scenarios/service-endpoints.yaml"]).stdout);
    assert_eq!(names, "deployment.apps/web\nservice/kubernetes\nservice/web\n");
}

/// `ksim proxy -o iptables`: the restore text of a node's kube-proxy, with the chain a
/// real cluster gives the `kubernetes` Service (portProtoHash of
/// "default/kubernetes:https" + "tcp": KUBE-SVC-NPX46M4PTMTKRN6Y, the name every
/// kubeadm cluster's `iptables-save` shows) and nothing for a node that is down.
#[test]
fn proxy_iptables_uses_upstreams_chain_names() {
    let out = ksim(&["proxy", "worker-2", "scenarios/kube-proxy-window.yaml", "--at", "30s", "-o", "iptables"]);
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(s.starts_with("*filter\n") && s.ends_with("COMMIT\n"), "{s}");
    assert!(s.contains("-A KUBE-SERVICES -m comment --comment \"default/kubernetes:https cluster IP\" -m tcp -p tcp -d 10.96.0.1 --dport 443 -j KUBE-SVC-NPX46M4PTMTKRN6Y\n"), "{s}");
    let down = ksim(&["proxy", "worker-1", "scenarios/kube-proxy-window.yaml", "--at", "2m", "-o", "iptables"]);
    assert!(text(&down.stdout).is_empty());
}

/// `ksim describe deployment` as describeDeployment prints it mid-rollout: the replica
/// counts, the strategy, the pod template, the conditions, OldReplicaSets and
/// NewReplicaSet as `NAME (current/desired replicas created)`, the ScalingReplicaSet Events.
#[test]
fn describe_deployment_as_kubectl_does() {
    let out = ksim(&["describe", "deployment/web", "scenarios/rolling-update.yaml", "--at", "1m10s"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "StrategyType:           RollingUpdate\n",
        "RollingUpdateStrategy:  0 max unavailable, 1 max surge\n",
        "Pod Template:\n  Labels:  app=web\n",
        "Conditions:\n  Type           Status  Reason\n",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    // The counts are the Deployment's and its ReplicaSets' status at that moment (the
    // printer's job is their layout, not their values).
    let line = |k: &str| s.lines().find(|l| l.starts_with(k)).unwrap_or_default().to_string();
    let get = |kind: &str| -> serde_json::Value {
        serde_json::from_slice(&ksim(&["get", kind, "scenarios/rolling-update.yaml", "--at", "1m10s", "-o", "json"]).stdout).unwrap()
    };
    let d = &get("deployments")["items"][0];
    let n = |v: &serde_json::Value| v.as_i64().unwrap_or(0);
    let st = &d["status"];
    let want = format!(
        "{} desired | {} updated | {} total | {} available | {} unavailable",
        n(&d["spec"]["replicas"]),
        n(&st["updatedReplicas"]),
        n(&st["replicas"]),
        n(&st["availableReplicas"]),
        n(&st["unavailableReplicas"])
    );
    assert!(line("Replicas:").ends_with(&want), "{s}\nwant {want}");
    let rss = get("replicasets");
    let created = |rs: &serde_json::Value| {
        format!("{} ({}/{} replicas created)", rs["metadata"]["name"].as_str().unwrap(), n(&rs["status"]["replicas"]), n(&rs["spec"]["replicas"]))
    };
    let rss: Vec<&serde_json::Value> = rss["items"].as_array().unwrap().iter().collect();
    assert_eq!(rss.len(), 2, "{s}");
    // The new ReplicaSet has the Deployment's revision; the old one still has pods.
    let revision = |v: &serde_json::Value| v["metadata"]["annotations"]["deployment.kubernetes.io/revision"].as_str().unwrap_or("").to_string();
    let (new, old): (Vec<&serde_json::Value>, Vec<&serde_json::Value>) = rss.iter().partition(|rs| revision(rs) == revision(d));
    assert_eq!(line("NewReplicaSet:"), format!("NewReplicaSet:   {}", created(new[0])), "{s}");
    assert_eq!(line("OldReplicaSets:"), format!("OldReplicaSets:  {}", created(old[0])), "{s}");
    assert!(s.lines().any(|l| l.contains("ScalingReplicaSet") && l.contains("deployment-controller")), "{s}");
}

/// `ksim describe service` as describeService prints it: IP families, each port with
/// its target, NodePort and ready endpoints (formatEndpointSlices), the load balancer's
/// ingress with its ipMode, the traffic policies and the health-check NodePort.
#[test]
fn describe_service_as_kubectl_does() {
    let out = ksim(&["describe", "svc", "web", "scenarios/service-endpoints.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    for want in [
        "Selector:                 app=web\n",
        "Type:                     ClusterIP\n",
        "IP Families:              IPv4\n",
        "Port:                     <unset>  80/TCP\n",
        "TargetPort:               http/TCP\n",
        "Session Affinity:         None\n",
        "Events:                   <none>\n",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
    let eps = s.lines().find(|l| l.starts_with("Endpoints:")).unwrap();
    assert_eq!(eps.matches(":8080").count(), 3, "{s}");
    let lb = text(&ksim(&["describe", "svc", "ingress-nginx-controller", "-n", "ingress-nginx", "scenarios/ingress-paths.yaml", "--at", "1m"]).stdout);
    for want in [
        "Type:                     LoadBalancer\n",
        "LoadBalancer Ingress:     192.168.1.240 (VIP)\n",
        "External Traffic Policy:  Local\n",
        "HealthCheck NodePort:",
    ] {
        assert!(lb.contains(want), "missing {want:?} in\n{lb}");
    }
}

/// `ksim logs`: a crash-looping container's last instance (the kubelet serves it while
/// the next waits), `--previous` the last terminated one, kubectl's BadRequest words for
/// a container still waiting to start and for no previous instance.
#[test]
fn logs_show_the_container_lifecycle() {
    let out = ksim(&["logs", "crash", "sim-cli/tests/data/crash-loop.yaml", "--at", "1m"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    assert!(s.starts_with("# ksim runs no code"), "{s}");
    assert!(s.lines().any(|l| l.ends_with("container app exited with code 1 (Error)")), "{s}");
    let waiting = ksim(&["logs", "crash", "sim-cli/tests/data/crash-loop.yaml", "--at", "1s"]);
    assert_eq!(waiting.status.code(), Some(1));
    assert_eq!(text(&waiting.stderr).trim(), "Error from server (BadRequest): container \"app\" in pod \"crash\" is waiting to start: ContainerCreating");
    let prev = ksim(&["logs", "crash", "--previous", "sim-cli/tests/data/crash-loop.yaml", "--at", "5s"]);
    assert_eq!(text(&prev.stderr).trim(), "Error from server (BadRequest): previous terminated container \"app\" in pod \"crash\" not found");
}

/// kubectl get's `-o custom-columns=`, `-o jsonpath=` (over the List) and `--sort-by`.
#[test]
fn custom_columns_jsonpath_and_sort_by() {
    let f = "scenarios/service-endpoints.yaml";
    let cols = text(&ksim(&["get", "pods", f, "--at", "1m", "-o", "custom-columns=NAME:.metadata.name,IP:.status.podIP"]).stdout);
    let lines: Vec<&str> = cols.lines().collect();
    assert!(lines[0].starts_with("NAME ") && lines[0].ends_with("IP"), "{cols}");
    let ips = text(&ksim(&["get", "pods", f, "--at", "1m", "-o", "jsonpath={.items[*].status.podIP}"]).stdout);
    assert_eq!(ips.split(' ').count(), lines.len() - 1, "{ips}");
    for l in &lines[1..] {
        assert!(ips.contains(l.split_whitespace().nth(1).unwrap()), "{ips} / {l}");
    }
    let sorted = text(&ksim(&["get", "pods", f, "--at", "1m", "--sort-by", ".status.podIP", "-o", "jsonpath={.items[*].status.podIP}"]).stdout);
    let mut want: Vec<&str> = ips.split(' ').collect();
    want.sort();
    assert_eq!(sorted, want.join(" "));
    let bad = ksim(&["get", "pods", f, "-o", "jsonpath={range .items[*]}{end}"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// `ksim get -w`: the list at the start, then a row for every write of the kind until the
/// end of the run (a crashed node's pods go Terminating, their replacements Pending then
/// Running), as kubectl's watch prints them.
#[test]
fn get_watch_prints_every_change() {
    let out = ksim(&["get", "pods", "-w", "scenarios/node-crash.yaml"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let lines: Vec<&str> = s.lines().collect();
    assert!(lines[0].starts_with("NAME") && lines[0].contains("STATUS"), "{s}");
    let status = |l: &str| l.split_whitespace().nth(2).unwrap_or("").to_string();
    let first_running = lines.iter().position(|l| status(l) == "Running").expect("a Running row");
    let first_pending = lines.iter().position(|l| status(l) == "Pending").expect("a Pending row");
    assert!(first_pending < first_running, "{s}");
    assert!(lines.iter().any(|l| status(l) == "Terminating"), "{s}");
    let bad = ksim(&["get", "pods,nodes", "-w", "scenarios/node-crash.yaml"]);
    assert_eq!(bad.status.code(), Some(2));
}

/// The storage kinds as kubectl prints them (printers.go printPersistentVolumeClaim,
/// printPersistentVolume, printStorageClass, printVolumeAttachment; describe.go
/// describePersistentVolumeClaim): a Pending claim has no VOLUME, CAPACITY or ACCESS
/// MODES; VOLUMEATTRIBUTESCLASS is `<unset>`; the default class's name is followed by
/// ` (default)`. Layout snapshots on the bundled scenario.
#[test]
fn storage_kinds_print_as_kubectl_prints_them() {
    let get = |args: &[&str]| {
        let out = ksim(args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
        text(&out.stdout)
    };
    let f = "scenarios/storage-wait-for-first-consumer.yaml";
    assert_eq!(
        get(&["get", "pvc", "late", f, "--at", "20s"]),
        "NAME   STATUS    VOLUME   CAPACITY   ACCESS MODES   STORAGECLASS   VOLUMEATTRIBUTESCLASS   AGE
late   Pending                                      zonal          <unset>                 19s
"
    );
    let bound = get(&["get", "pvc", "late", f, "--at", "1m"]);
    assert!(
        bound.lines().nth(1).is_some_and(|l| l.starts_with("late   Bound    pvc-") && l.contains("   10Gi       RWO            zonal          <unset>")),
        "{bound}"
    );
    let sc = get(&["get", "sc", f, "--at", "1m"]);
    assert_eq!(sc.lines().next(), Some("NAME                 PROVISIONER             RECLAIMPOLICY   VOLUMEBINDINGMODE      ALLOWVOLUMEEXPANSION   AGE"));
    assert!(sc.contains("\nstandard (default)   rancher.io/local-path   Delete          WaitForFirstConsumer   false                  60s\n"), "{sc}");
    let pv = get(&["get", "pv", f, "--at", "1m"]);
    assert!(pv.starts_with("NAME                                       CAPACITY   ACCESS MODES   RECLAIM POLICY   STATUS   CLAIM           STORAGECLASS      VOLUMEATTRIBUTESCLASS   REASON   AGE\n"), "{pv}");
    assert!(pv.contains("   10Gi       RWO            Delete           Bound    default/early   zonal-immediate   <unset>"), "{pv}");
    let va = get(&["get", "volumeattachments", f, "--at", "1m"]);
    assert!(va.starts_with("NAME ") && va.contains("ATTACHER                PV") && va.contains("pd.csi.storage.gke.io   pvc-"), "{va}");
    let d = get(&["describe", "pvc", "late", f, "--at", "20s"]);
    for line in [
        "Name:          late",
        "StorageClass:  zonal",
        "Status:        Pending",
        "Finalizers:    [kubernetes.io/pvc-protection]",
        "Used By:       <none>",
        "  Normal  WaitForFirstConsumer  ",
    ] {
        assert!(d.contains(line), "{line:?} in\n{d}");
    }
}

/// firewalld on a node with 10250 (the kubelet's API) not opened: `kubectl logs` goes
/// through kube-apiserver to that kubelet, and the dial is rejected (icmp-host-prohibited:
/// Go's "connect: no route to host"); kube-apiserver answers with the error, kubectl
/// prints it as `Error from server: …` and exits 1. The URL is the kubelet's
/// /containerLogs/{namespace}/{pod}/{container} endpoint (pkg/kubelet/server/server.go).
#[test]
fn logs_of_a_pod_whose_kubelet_port_is_closed_fail_with_the_dial_error() {
    let dir = std::env::temp_dir().join(format!("ksim-fw-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let f = dir.join("fw.yaml");
    std::fs::write(
        &f,
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: fw}\nspec:\n  until: 1m\n  cluster:\n    nodePools:\n    - {name: worker, count: 1, closedPorts: [10250], capacity: {cpu: '4', memory: 8Gi}}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers:\n  - {name: app, image: nginx:1.25}\n",
    )
    .unwrap();
    let out = ksim(&["logs", "web", f.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        text(&out.stderr).trim(),
        "Error from server: Get \"https://172.18.0.2:10250/containerLogs/default/web/app\": dial tcp 172.18.0.2:10250: connect: no route to host"
    );
    let prev = ksim(&["logs", "web", "--previous", f.to_str().unwrap()]);
    assert!(text(&prev.stderr).contains("/containerLogs/default/web/app?previous=true\": dial tcp"), "{}", text(&prev.stderr));
    std::fs::remove_dir_all(&dir).ok();
}

/// `--trace-out`: the Chrome trace of a run (Trace Event Format) parses as JSON with a
/// `traceEvents` list; the control plane and each node are processes; each pod that ran
/// has a thread on its node's process with slices of its kubectl STATUS, the last one
/// `Running` (closed at the end of the run); every write's flow start has its end.
/// Writing it changes nothing in the run (same fingerprint).
#[test]
fn trace_out_writes_a_chrome_trace() {
    let dir = std::env::temp_dir().join(format!("ksim-trace-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("trace.json");
    let out = ksim(&["run", "scenarios/hello-deployment.yaml", "--trace-out", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let plain = ksim(&["run", "scenarios/hello-deployment.yaml"]);
    assert_eq!(fingerprint(&out), fingerprint(&plain));
    let v: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let ev = v["traceEvents"].as_array().unwrap();
    let procs: Vec<&str> = ev.iter().filter(|e| e["name"] == "process_name").map(|e| e["args"]["name"].as_str().unwrap()).collect();
    assert_eq!(procs, ["control plane", "node worker-1", "node worker-2", "node worker-3"]);
    // hello-deployment's 3 nginx pods: each a thread on a node, ending Running.
    let pod_threads: Vec<(u64, u64)> = ev
        .iter()
        .filter(|e| e["name"] == "thread_name" && e["args"]["name"].as_str().unwrap().starts_with("default/nginx-deployment-"))
        .map(|e| (e["pid"].as_u64().unwrap(), e["tid"].as_u64().unwrap()))
        .collect();
    assert_eq!(pod_threads.len(), 3);
    for (pid, tid) in pod_threads {
        let states: Vec<&str> = ev.iter().filter(|e| e["cat"] == "pod" && e["pid"] == pid && e["tid"] == tid).map(|e| e["name"].as_str().unwrap()).collect();
        assert_eq!(states.first(), Some(&"Pending"), "{states:?}");
        assert_eq!(states.last(), Some(&"Running"), "{states:?}");
        assert!(pid > 1);
    }
    let ids = |ph: &str| -> Vec<u64> { ev.iter().filter(|e| e["ph"] == ph).map(|e| e["id"].as_u64().unwrap()).collect() };
    assert!(!ids("s").is_empty());
    assert_eq!(ids("s"), ids("f"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// `ksim plot`: an SVG line chart per `--what`, one series per phase, node or client,
/// named in its legend; an unknown `--what`, or `traffic` without clients, exit 2.
#[test]
fn plot_draws_an_svg_per_what() {
    let dir = std::env::temp_dir().join(format!("ksim-plot-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let svg = |file: &str, what: &str| -> String {
        let path = dir.join(format!("{what}.svg"));
        let out = ksim(&["plot", file, "--what", what, "-o", path.to_str().unwrap()]);
        assert!(out.status.success(), "{what}: {}", text(&out.stderr));
        std::fs::read_to_string(&path).unwrap()
    };
    let phases = svg("scenarios/scale-up-down.yaml", "pods-by-phase");
    assert!(phases.starts_with("<svg") && phases.contains("Pods by phase"));
    for legend in ["Pending", "Running", "Succeeded", "Failed"] {
        assert!(phases.contains(&format!("\n{legend}\n")), "{legend}");
    }
    let alloc = svg("scenarios/scale-up-down.yaml", "allocation");
    for node in ["worker-1", "worker-2", "worker-3"] {
        assert!(alloc.contains(&format!("\n{node}\n")), "{node}");
    }
    assert!(svg("scenarios/kube-proxy-window.yaml", "traffic").contains("\nshop\n"));
    let bad = ksim(&["plot", "scenarios/scale-up-down.yaml", "--what", "cpu", "-o", dir.join("x.svg").to_str().unwrap()]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("supported values: \"pods-by-phase\", \"pending\", \"allocation\", \"traffic\""));
    let none = ksim(&["plot", "scenarios/scale-up-down.yaml", "--what", "traffic", "-o", dir.join("y.svg").to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}
