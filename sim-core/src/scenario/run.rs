//! Running a scenario with its expectations: each check is evaluated against the store
//! at its moment (after every event at that moment), then the run goes on to the end.
//! The run advances in slices of simulated time so a caller can show progress or stop
//! it (`progress` returning false).

use super::model::Scenario;
use crate::engine::{Outcome, SimDuration, SimTime};
use crate::sim::{RunOptions, Simulation};
use crate::trace::Trace;

/// The verdict of one expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectResult {
    pub text: String,
    pub at: SimDuration,
    pub ok: bool,
    /// What was observed (or why it could not be).
    pub observed: String,
    pub location: String,
}

pub struct Report {
    pub sim: Simulation,
    pub outcome: Outcome,
    pub results: Vec<ExpectResult>,
    /// The caller's `progress` asked to stop before the end.
    pub stopped: bool,
}

impl Report {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.ok).count()
    }
}

/// Called between slices of the run; false stops it.
pub type Progress<'a> = dyn FnMut(&Simulation) -> bool + 'a;

/// How much simulated time one slice of a run covers (progress is reported between
/// slices): a thousandth of the run, at least a second.
pub fn slice(until: SimTime) -> SimDuration {
    SimDuration::from_ms((until.as_ms() / 1000).max(1000))
}

/// Processes every event at or before `t` in slices, calling `progress` after each;
/// None when `progress` asked to stop.
pub fn advance(sim: &mut Simulation, t: SimTime, progress: &mut Progress) -> Option<Outcome> {
    let step = slice(sim.limits.until);
    loop {
        let next = SimTime(sim.now.as_ms().saturating_add(step.as_ms())).min(t);
        let outcome = sim.run_until(next);
        if !progress(sim) {
            return None;
        }
        if next >= t || outcome != Outcome::UntilReached {
            return Some(outcome);
        }
    }
}

/// Runs `s` to its end, checking its expectations on the way.
pub fn run_scenario(s: &Scenario, opts: &RunOptions) -> Result<Report, String> {
    run_scenario_with(s, opts, Trace::new(opts.keep_log), &mut |_| true)
}

/// Runs `s` with the event log `trace`, calling `progress` between slices of the run.
pub fn run_scenario_with(s: &Scenario, opts: &RunOptions, trace: Trace, progress: &mut Progress) -> Result<Report, String> {
    let mut sim = Simulation::with_trace(s, opts, trace)?;
    let mut checks: Vec<&super::model::Expectation> = s.expect.iter().collect();
    checks.sort_by_key(|e| e.at);
    let end = opts.limits.until;
    let mut results = Vec::new();
    for e in checks {
        let location = e.location.to_string();
        if SimTime(e.at.as_ms()) > end {
            results.push(ExpectResult {
                text: e.text.clone(),
                at: e.at,
                ok: false,
                observed: format!("never reached (the run ends at {})", SimDuration(end.as_ms())),
                location,
            });
            continue;
        }
        match advance(&mut sim, SimTime(e.at.as_ms()), progress) {
            None => return Ok(Report { sim, outcome: Outcome::UntilReached, results, stopped: true }),
            Some(Outcome::MaxEvents) => {
                results.push(ExpectResult { text: e.text.clone(), at: e.at, ok: false, observed: "never reached (event limit)".into(), location });
                continue;
            }
            Some(_) => {}
        }
        let (ok, observed) = match super::expect::evaluate(&e.check, &sim.api.store) {
            Ok(v) => (true, v),
            Err(v) => (false, v),
        };
        results.push(ExpectResult { text: e.text.clone(), at: e.at, ok, observed, location });
    }
    match advance(&mut sim, end, progress) {
        Some(outcome) => Ok(Report { sim, outcome, results, stopped: false }),
        None => Ok(Report { sim, outcome: Outcome::UntilReached, results, stopped: true }),
    }
}
