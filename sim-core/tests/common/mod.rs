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

/// Every bundled scenario, sorted.
pub fn bundled() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(repo_root().join("scenarios"))
        .expect("scenarios/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    v.sort();
    v
}
