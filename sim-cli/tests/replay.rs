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
    let bad = ksim(&["replay", TRACE, "--format", "alibaba-2018"]);
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad.stderr).contains("supported values: \"alibaba-gpu-2023\""));
}
