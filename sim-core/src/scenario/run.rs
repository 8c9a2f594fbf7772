//! Running a scenario with its expectations: each check is evaluated against the store
//! at its moment (after every event at that moment), then the run goes on to the end.

use super::model::Scenario;
use crate::engine::{Outcome, SimDuration, SimTime};
use crate::sim::{RunOptions, Simulation};

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
}

impl Report {
    pub fn failed(&self) -> usize {
        self.results.iter().filter(|r| !r.ok).count()
    }
}

/// Runs `s` to its end, checking its expectations on the way.
pub fn run_scenario(s: &Scenario, opts: &RunOptions) -> Result<Report, String> {
    let mut sim = Simulation::new(s, opts)?;
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
        if sim.run_until(SimTime(e.at.as_ms())) == Outcome::MaxEvents {
            results.push(ExpectResult { text: e.text.clone(), at: e.at, ok: false, observed: "never reached (event limit)".into(), location });
            continue;
        }
        let (ok, observed) = match super::expect::evaluate(&e.check, &sim.api.store) {
            Ok(v) => (true, v),
            Err(v) => (false, v),
        };
        results.push(ExpectResult { text: e.text.clone(), at: e.at, ok, observed, location });
    }
    let outcome = sim.run();
    Ok(Report { sim, outcome, results })
}
