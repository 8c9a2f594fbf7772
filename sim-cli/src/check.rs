//! `ksim check`: run a scenario over many seeds with the invariants on (in parallel,
//! each run single-threaded), and print every violation with the command that
//! replays it. `--shard I/K` takes every K-th seed, so a sweep can run as a
//! Kubernetes Indexed Job or any batch array.

use crate::files;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde_json::json;
use sim_core::scenario::run::run_scenario;
use sim_core::RunOptions;
use std::io::{IsTerminal, Write};

pub struct Args<'a> {
    pub files: &'a [String],
    pub seeds: u64,
    pub first_seed: Option<u64>,
    pub jobs: Option<usize>,
    pub shard: Option<&'a str>,
    pub json: bool,
    pub invariants: bool,
}

/// Seeds in one sweep: the list of seeds and of their outcomes is held in memory.
const MAX_SEEDS: u64 = 1_000_000;
/// Worker threads (each holds a copy of the scenario and one run).
const MAX_JOBS: usize = 256;

/// One run's findings.
struct Outcome {
    seed: u64,
    events: u64,
    failures: Vec<serde_json::Value>,
}

/// `deployment/web available == 4`: observed 2 (the moment is the failure's `time`);
/// for a window, which one.
fn expectation_message(e: &sim_core::scenario::run::ExpectResult) -> String {
    match e.when {
        sim_core::scenario::model::When::At(_) => format!("`{}`: {}", e.text, e.detail()),
        w => format!("`{}` {w}: {}", e.text, e.detail()),
    }
}

pub(crate) fn parse_shard(s: &str) -> Result<(u64, u64), String> {
    let bad = || format!("--shard {}: expected I/K with 0 <= I < K, e.g. 0/4", sim_core::scenario::diagnostic::clip_quoted(s));
    let (i, k) = s.split_once('/').ok_or_else(bad)?;
    let (i, k): (u64, u64) = (i.parse().map_err(|_| bad())?, k.parse().map_err(|_| bad())?);
    if k == 0 || i >= k {
        return Err(bad());
    }
    Ok((i, k))
}

pub fn check(a: Args) -> u8 {
    let mut err = anstream::stderr();
    let s = match files::load(a.files) {
        Ok(s) => s,
        Err(rendered) => {
            let _ = write!(err, "{rendered}");
            return 2;
        }
    };
    let (shard, of) = match a.shard.map(parse_shard).transpose() {
        Ok(v) => v.unwrap_or((0, 1)),
        Err(e) => {
            let _ = writeln!(err, "error: {e}");
            return 2;
        }
    };
    if a.seeds > MAX_SEEDS {
        let _ = writeln!(err, "error: --seeds {}: at most {MAX_SEEDS} in one sweep (split a bigger one with --first-seed or --shard)", a.seeds);
        return 2;
    }
    if a.jobs.is_some_and(|j| j > MAX_JOBS) {
        let _ = writeln!(err, "error: --jobs {}: at most {MAX_JOBS}", a.jobs.unwrap_or_default());
        return 2;
    }
    let base = a.first_seed.unwrap_or(s.seed);
    let seeds: Vec<u64> = (0..a.seeds).filter(|i| i % of == shard).map(|i| base.wrapping_add(i)).collect();
    let files = a.files.join(" ");
    let bar = if std::io::stderr().is_terminal() && !a.json { ProgressBar::new(seeds.len() as u64) } else { ProgressBar::hidden() };
    bar.set_style(ProgressStyle::with_template("{bar:40} {pos}/{len} seeds {elapsed}").unwrap_or_else(|_| ProgressStyle::default_bar()));
    // A Scenario holds shared (Rc) specs, so each worker thread loads its own copy.
    let run = |s: &sim_core::Scenario, seed: u64| -> Outcome {
        let opts = RunOptions { seed, check: a.invariants, keep_log: false, ..RunOptions::for_scenario(s) };
        let mut failures = Vec::new();
        let replay = format!("ksim run {files} --seed {seed} --check");
        match run_scenario(s, &opts) {
            Ok(r) => {
                let mut vs = r.sim.violations().to_vec();
                if a.invariants {
                    vs.extend(r.sim.check_converged());
                }
                for v in vs {
                    failures.push(json!({"seed": seed, "invariant": v.invariant, "time": v.time.to_string(), "event": v.event, "objects": v.objects, "message": v.message, "replay": replay}));
                }
                for e in r.results.iter().filter(|e| !e.ok) {
                    let event = e.event.clone().map_or_else(|| e.location.clone(), |ev| format!("{ev} ({})", e.location));
                    failures.push(json!({"seed": seed, "invariant": "expectation", "time": e.at.to_string(), "event": event, "objects": [], "message": expectation_message(e), "replay": replay}));
                }
                bar.inc(1);
                Outcome { seed, events: r.sim.events_processed, failures }
            }
            Err(e) => {
                bar.inc(1);
                Outcome { seed, events: 0, failures: vec![json!({"seed": seed, "invariant": "setup", "message": e, "replay": replay})] }
            }
        }
    };
    let started = std::time::Instant::now();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(a.jobs.unwrap_or(0)).build();
    let load_again = || files::load(a.files).expect("loaded once already");
    let mut outcomes: Vec<Outcome> = match pool {
        Ok(p) => p.install(|| seeds.par_iter().map_init(load_again, |s, seed| run(s, *seed)).collect()),
        Err(_) => seeds.iter().map(|seed| run(&s, *seed)).collect(),
    };
    bar.finish_and_clear();
    outcomes.sort_by_key(|o| o.seed);
    let events: u64 = outcomes.iter().map(|o| o.events).sum();
    let wall = started.elapsed().as_secs_f64();
    let failures: Vec<serde_json::Value> = outcomes.into_iter().flat_map(|o| o.failures).collect();
    let failed_runs = {
        let mut s: Vec<u64> = failures.iter().filter_map(|f| f["seed"].as_u64()).collect();
        s.dedup();
        s.len()
    };
    let mut out = anstream::stdout();
    if a.json {
        let v = json!({"runs": seeds.len(), "events": events, "violations": failures.len(), "failed_runs": failed_runs, "shard": format!("{shard}/{of}"), "invariants": a.invariants, "wall_s": (wall * 1000.0).round() / 1000.0, "events_per_s": (events as f64 / wall.max(1e-9)).round(), "failures": failures});
        let _ = writeln!(out, "{v}");
    } else {
        for f in &failures {
            let objects = f["objects"].as_array().map(|a| a.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>().join(", ")).unwrap_or_default();
            let objects = if objects.is_empty() { String::new() } else { format!(" ({objects})") };
            let during = if f["invariant"] == "expectation" { "at" } else { "during" };
            let _ = writeln!(
                out,
                "✗ seed {}: [{}] at {}: {}{objects}\n    {during} {}\n    replay: {}",
                f["seed"],
                f["invariant"].as_str().unwrap_or(""),
                f["time"].as_str().unwrap_or(""),
                f["message"].as_str().unwrap_or(""),
                f["event"].as_str().unwrap_or(""),
                f["replay"].as_str().unwrap_or(""),
            );
        }
        let _ = writeln!(
            out,
            "{} runs (seeds {base}..={}, shard {shard}/{of}), {events} events in {wall:.2}s ({:.0} events/s{}), {} violations in {failed_runs} runs",
            seeds.len(),
            base.wrapping_add(a.seeds.saturating_sub(1)),
            events as f64 / wall.max(1e-9),
            if a.invariants { ", invariants on" } else { ", invariants off" },
            failures.len()
        );
    }
    u8::from(!failures.is_empty())
}
