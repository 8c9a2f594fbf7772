//! Shared helpers for sim-core's integration tests.
#![allow(dead_code)]

use sim_core::{load, Scenario, Source};
use std::path::{Path, PathBuf};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

pub fn resolver(from: &str, rel: &str) -> Result<Source, String> {
    let p = Path::new(from).parent().unwrap_or(Path::new(".")).join(rel);
    let text = std::fs::read_to_string(&p).map_err(|e| format!("{}: {e}", p.display()))?;
    Ok(Source { name: p.to_string_lossy().into(), text })
}

pub fn load_file(path: &Path) -> Scenario {
    let text = std::fs::read_to_string(path).expect("readable scenario");
    let name = path.to_string_lossy().to_string();
    match load(&[Source { name, text }], &resolver) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.render()),
    }
}

pub fn load_str(text: &str) -> Scenario {
    match load(&[Source { name: "test.yaml".into(), text: text.into() }], &resolver) {
        Ok(s) => s,
        Err(e) => panic!("{}", e.render()),
    }
}

/// Bundled scenarios too big for a debug build: `big-cluster` (500 nodes, 5,000 pods)
/// takes minutes unoptimised. scripts/test.sh runs it with its expectations and the
/// invariants on the release binary (`ksim run --check`), and the web tests compare
/// its native and wasm event logs.
pub const RELEASE_ONLY: [&str; 1] = ["big-cluster.yaml"];

/// Every bundled scenario, sorted (without `RELEASE_ONLY`).
pub fn bundled() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo_root().join("scenarios"))
        .expect("scenarios/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .filter(|p| !p.file_name().is_some_and(|n| RELEASE_ONLY.iter().any(|r| n == *r)))
        .collect();
    v.sort();
    v
}

/// (reason, message) of the Events about objects of `kind` (their involvedObject's).
pub fn events(sim: &sim_core::Simulation, kind: &str) -> Vec<(String, String)> {
    sim.list(&sim_core::api::Kind::Event)
        .iter()
        .filter_map(|o| if let sim_core::api::Object::Event(e) = &**o { Some(e.clone()) } else { None })
        .filter(|e| e.involved_object.kind == kind)
        .map(|e| (e.reason.to_string(), e.message.to_string()))
        .collect()
}
