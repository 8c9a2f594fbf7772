//! sim-core must stay a pure function of (scenario, seed): no wall clock, threads, I/O,
//! OS randomness or iterated hash maps. clippy.toml bans the types and methods; this test
//! fails if they appear in the source at all.

use std::path::Path;

const BANNED: &[&str] = &[
    "HashMap",
    "HashSet",
    "std::time",
    "Instant::",
    "SystemTime",
    "thread_rng",
    "rand::rng(",
    "OsRng",
    "std::thread",
    "std::fs",
    "std::env",
    "std::net",
    "std::process",
    "getrandom",
    "StdRng",
];

fn scan(dir: &Path, hits: &mut Vec<String>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir).unwrap().filter_map(Result::ok).map(|e| e.path()).collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            scan(&p, hits);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            for (n, line) in text.lines().enumerate() {
                let code = line.split("//").next().unwrap_or("");
                for b in BANNED {
                    if code.contains(b) {
                        hits.push(format!("{}:{}: {b}", p.display(), n + 1));
                    }
                }
            }
        }
    }
}

#[test]
fn sim_core_has_no_clock_threads_io_or_hash_maps() {
    let mut hits = Vec::new();
    scan(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut hits);
    assert!(hits.is_empty(), "banned in sim-core:\n{}", hits.join("\n"));
}

#[test]
fn clippy_toml_bans_them_too() {
    let cfg = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("clippy.toml")).unwrap();
    for t in ["std::collections::HashMap", "std::collections::HashSet", "std::time::Instant", "std::time::SystemTime", "rand::thread_rng"] {
        assert!(cfg.contains(t), "clippy.toml must ban {t}");
    }
}
