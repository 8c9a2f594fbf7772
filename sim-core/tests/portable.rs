//! Native = wasm, and one build = another: what could make the same (scenario, seed)
//! differ between targets or feature sets.
//! - No float transcendental from the platform's libm may decide anything in sim-core
//!   (glibc natively and the wasm port disagree in the last bit for some inputs).
//!   engine/math.rs routes them through the pure-Rust libm; clippy.toml bans the std
//!   methods; this test fails if a call appears in the source anyway, and checks the
//!   pinned bits (the wasm test in sim-web checks the same bits in wasm).
//! - serde_json::Map must iterate in key order: the event log (trace::Record::change)
//!   is serialized through it and hashed into the fingerprint, and a dependency turning
//!   on serde_json's `preserve_order` feature would make it insertion-ordered.

use std::path::Path;

const BANNED: &[&str] = &[
    ".ln()",
    ".log(",
    ".log2()",
    ".log10()",
    ".ln_1p()",
    ".exp()",
    ".exp2()",
    ".exp_m1()",
    ".powf(",
    ".powi(",
    ".sin()",
    ".cos()",
    ".tan()",
    ".sin_cos()",
    ".asin()",
    ".acos()",
    ".atan()",
    ".atan2(",
    ".sinh()",
    ".cosh()",
    ".tanh()",
    ".asinh()",
    ".acosh()",
    ".atanh()",
    ".cbrt()",
    ".hypot(",
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
fn no_platform_float_transcendentals_in_sim_core() {
    let mut hits = Vec::new();
    scan(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"), &mut hits);
    assert!(hits.is_empty(), "use sim_core::engine::math (libm), not the platform's:\n{}", hits.join("\n"));
    let cfg = std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("clippy.toml")).unwrap();
    for m in ["f64::ln", "f64::exp", "f64::powf", "f64::powi", "f64::log10", "f64::log2", "f64::log"] {
        assert!(cfg.contains(&format!("\"{m}\"")), "clippy.toml must ban {m}");
    }
}

#[test]
fn ln_bits_are_the_pinned_ones() {
    sim_core::engine::math::check_pinned().unwrap();
}

/// If any crate of the build enables serde_json's `preserve_order`, Map keeps insertion
/// order and the event log's key order (and every fingerprint) changes with it.
#[test]
fn serde_json_maps_are_key_ordered() {
    let mut m = serde_json::Map::new();
    m.insert("phase".into(), serde_json::Value::from(1));
    m.insert("node".into(), serde_json::Value::from(2));
    m.insert("ip".into(), serde_json::Value::from(3));
    assert_eq!(serde_json::to_string(&m).unwrap(), r#"{"ip":3,"node":2,"phase":1}"#, "serde_json's preserve_order is on somewhere in this build");
}
