//! Expectations over time, end to end on the node-crash scenario (worker-1 crashes at
//! 1m and recovers at 8m; 6 web pods, 2 of them on worker-1). The moments asserted come
//! from upstream's defaults, not from ksim's output: kubelet lease renewal every 10 s,
//! node-monitor-period 5 s, node-monitor-grace-period 50 s, and the default 300 s
//! toleration of `node.kubernetes.io/unreachable:NoExecute` before eviction.

mod common;

use sim_core::engine::SimDuration;
use sim_core::scenario::model::When;
use sim_core::scenario::run::{run_scenario, ExpectResult};
use sim_core::RunOptions;

/// node-crash.yaml with its own expectations replaced by `expect` (YAML list items).
fn run_with(expect: &str) -> Vec<ExpectResult> {
    let text = std::fs::read_to_string(common::repo_root().join("scenarios/node-crash.yaml")).unwrap();
    let head = &text[..text.find("  expect:\n").expect("an expect list")];
    let s = common::load_str(&format!("{head}  expect:\n{expect}"));
    run_scenario(&s, &RunOptions::for_scenario(&s)).unwrap().results
}

fn secs(r: &ExpectResult) -> f64 {
    r.at.as_ms() as f64 / 1000.0
}

#[test]
fn during_holds_at_every_change_in_the_window_or_names_the_first_that_breaks_it() {
    let r = run_with("  - {during: [10s, 55s], that: \"pods(app=web) ready == 6\"}\n  - {during: [10s, 5m], that: \"pods(app=web) ready == 6\"}\n");
    assert_eq!(r[0].when, When::During(SimDuration::from_secs(10), SimDuration::from_secs(55)));
    assert!(r[0].ok, "{:?}", r[0]);
    let broken = &r[1];
    assert!(!broken.ok);
    // The last lease renewal is at most 10 s before the crash at 60 s; the node is
    // marked Unknown (and its pods not ready) at the first monitor pass (every 5 s)
    // more than 50 s after it: between 100 s and 116 s (plus hop latencies).
    assert!((100.0..=116.5).contains(&secs(broken)), "{broken:?}");
    assert_eq!(broken.observed, "5");
    let event = broken.event.as_deref().unwrap_or("");
    assert!(event.starts_with("update Pod default/web-") && event.contains("by controller-manager"), "{event}");
    assert!(broken.detail().starts_with(&format!("first failed at {}: observed 5, after update Pod", broken.at)), "{}", broken.detail());
}

#[test]
fn by_reports_when_it_first_held_or_the_last_value_seen() {
    // (`on worker-1 == 0` would hold at once: no pod exists at 0s.)
    let r = run_with("  - {by: 8m, that: \"pods(app=web) terminating == 2\"}\n  - {by: 2m, that: \"pods(app=web) terminating == 2\"}\n");
    // Evicted 300 s after the node was marked unreachable (≈ 100–116 s): ≥ 400 s.
    // Results are listed by the moment each starts to matter: 2m, then 8m.
    let (missed, held) = (&r[0], &r[1]);
    assert!(held.ok && (400.0..=417.0).contains(&secs(held)), "{held:?}");
    assert_eq!(held.detail(), format!("first held at {}: observed 2", held.at));
    assert!(!missed.ok);
    assert_eq!((missed.at, missed.observed.as_str()), (SimDuration::from_secs(120), "0"));
    assert_eq!(missed.detail(), format!("never held by {}: last observed 0", SimDuration::from_secs(120)));
}

/// `by: [from, to]`: nothing before `from` counts; a condition already true when the
/// window opens holds at `from`.
#[test]
fn by_windows_start_counting_at_their_opening() {
    let r = run_with("  - {by: [7m, 8m], that: \"pods(app=web) count >= 6\"}\n  - {by: [1m, 8m], that: \"pods(app=web) terminating == 2\"}\n");
    let opened = r.iter().find(|x| x.when == When::By(SimDuration::from_secs(420), SimDuration::from_secs(480))).unwrap();
    // Six pods exist from the first seconds; the window counts from 7m.
    assert!(opened.ok && opened.at == SimDuration::from_secs(420), "{opened:?}");
    let later = r.iter().find(|x| x.when == When::By(SimDuration::from_secs(60), SimDuration::from_secs(480))).unwrap();
    // As in by_reports_when_it_first_held_or_the_last_value_seen: evicted ≥ 400 s.
    assert!(later.ok && (400.0..=417.0).contains(&secs(later)), "{later:?}");
}

#[test]
fn windows_past_the_end_never_pass_and_missing_objects_say_so() {
    let r = run_with(
        "  - {during: [9m, 20m], that: \"nodes ready == 3\"}\n  - {by: 30m, that: \"pods count == 99\"}\n  - {at: 5m, that: \"pod/web phase != Running\"}\n  - {during: [0s, 1m], that: \"deployment/nope exists == false\"}\n  - {at: 30s, that: \"nodes count < 10000000000000000000000\"}\n",
    );
    let by_text = |t: &str, w: When| r.iter().find(|x| x.text == t && x.when == w).unwrap();
    let d = by_text("nodes ready == 3", When::During(SimDuration::from_secs(540), SimDuration::from_secs(1200)));
    let want = format!("never reached (the end of the run at {} comes before the window closes)", SimDuration::from_secs(600));
    assert!(!d.ok && d.observed == want, "{d:?}");
    let b = by_text("pods count == 99", When::By(SimDuration::ZERO, SimDuration::from_secs(1800)));
    assert!(!b.ok && b.observed == "6" && b.at == SimDuration::from_secs(600), "{b:?}");
    let missing = by_text("pod/web phase != Running", When::At(SimDuration::from_secs(300)));
    assert!(!missing.ok && missing.observed == "pod/web not found", "{missing:?}");
    assert!(by_text("deployment/nope exists == false", When::During(SimDuration::ZERO, SimDuration::from_secs(60))).ok);
    // Compared as digit strings, not parsed into an i64 (where it would not fit).
    assert!(by_text("nodes count < 10000000000000000000000", When::At(SimDuration::from_secs(30))).ok);
}

#[test]
fn checking_over_time_changes_nothing_in_the_run() {
    // Going event by event through windows reads the store only: same log, same hash.
    let path = common::repo_root().join("scenarios/node-crash.yaml");
    let plain = common::load_file(&path);
    let text = std::fs::read_to_string(&path).unwrap();
    let windows =
        text.replace("  expect:\n", "  expect:\n  - {during: [30s, 9m], that: \"pods count >= 6\"}\n  - {by: 9m, that: \"pods(app=web) terminating == 2\"}\n");
    let watched = common::load_str(&windows);
    let fp = |s: &sim_core::Scenario| run_scenario(s, &RunOptions::for_scenario(s)).unwrap().sim.fingerprint();
    assert_eq!(fp(&plain), fp(&watched));
}
