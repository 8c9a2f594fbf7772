//! Same scenario + same seed → the same event log, byte for byte; another seed → another
//! history (here: other pod names and uids).

mod common;

use sim_core::scenario::run::run_scenario;
use sim_core::RunOptions;

fn fingerprint(s: &sim_core::Scenario, seed: u64) -> (String, String) {
    let mut opts = RunOptions::for_scenario(s);
    opts.seed = seed;
    let r = run_scenario(s, &opts).unwrap();
    (r.sim.fingerprint(), r.sim.trace.to_jsonl())
}

#[test]
fn same_seed_same_log_for_every_bundled_scenario() {
    for f in common::bundled() {
        let s = common::load_file(&f);
        let (a, log_a) = fingerprint(&s, s.seed);
        let (b, log_b) = fingerprint(&s, s.seed);
        assert_eq!(a, b, "{}", f.display());
        assert_eq!(log_a, log_b);
        let (c, _) = fingerprint(&s, s.seed + 1);
        assert_ne!(a, c, "{}: a different seed should change uids and names", f.display());
    }
}

#[test]
fn the_fingerprint_is_the_sha256_of_the_log() {
    use sha2::{Digest, Sha256};
    let s = common::load_file(&common::repo_root().join("scenarios/hello-deployment.yaml"));
    let (fp, log) = fingerprint(&s, 42);
    let digest: String = Sha256::digest(log.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(fp, digest);
    // Fixed field order on every line.
    for line in log.lines().take(20) {
        assert!(line.starts_with("{\"t\":"), "{line}");
        let keys = ["\"rev\":", "\"verb\":", "\"by\":", "\"kind\":", "\"ns\":", "\"name\":", "\"change\":"];
        let mut at = 0;
        for k in keys {
            let i = line[at..].find(k).unwrap_or_else(|| panic!("{k} in {line}")) + at;
            at = i;
        }
    }
}

#[test]
fn checking_invariants_does_not_change_the_run() {
    for f in common::bundled() {
        let s = common::load_file(&f);
        let plain = run_scenario(&s, &RunOptions::for_scenario(&s)).unwrap();
        let checked = run_scenario(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).unwrap();
        assert_eq!(plain.sim.fingerprint(), checked.sim.fingerprint(), "{}", f.display());
    }
}
