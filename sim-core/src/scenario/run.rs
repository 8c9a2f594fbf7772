//! Running a scenario with its expectations. A check `at: t` is evaluated against the
//! store after every event at or before `t`; `during: [a, b]` when the window opens
//! (after every event before `a`) and again after each event in `[a, b]` that wrote an
//! object of a kind the check reads; `by: t` from the start, after each such event,
//! until it first holds. While no window is open the run advances in slices of
//! simulated time, so a caller can show progress or stop it (`progress` returning
//! false); inside a window it goes event by event.

use super::expect::Check;
use super::model::{Expectation, Scenario, When};
use crate::engine::{Outcome, SimDuration, SimTime};
use crate::sim::{RunOptions, Simulation};
use crate::trace::{Record, Trace};

/// The verdict of one expectation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExpectResult {
    pub text: String,
    pub when: When,
    /// The moment the verdict refers to: `at`'s moment; when a `during` window first
    /// failed (or its end); when a `by` check first held (or its deadline).
    pub at: SimDuration,
    pub ok: bool,
    /// What was observed then, in words (`3`, `Running`, `pod/web not found`), or why
    /// nothing could be (`never reached (…)`).
    pub observed: String,
    /// For a `during` window that failed: the write after which it failed.
    pub event: Option<String>,
    pub location: String,
}

impl ExpectResult {
    /// The verdict in words, for `ksim run` and `ksim check`.
    pub fn detail(&self) -> String {
        let never = self.observed.starts_with("never reached");
        match (self.when, self.ok) {
            (When::At(_), true) => format!("observed {}", self.observed),
            (When::At(_), false) if never => self.observed.clone(),
            (When::At(_), false) => format!("observed {}", self.observed),
            (When::During(..), true) => "held at every change".into(),
            (When::During(..), false) if never => self.observed.clone(),
            (When::During(..), false) => match &self.event {
                Some(e) => format!("first failed at {}: observed {}, after {e}", self.at, self.observed),
                None => format!("failed when the window opened at {}: observed {}", self.at, self.observed),
            },
            (When::By(..), true) => format!("first held at {}: observed {}", self.at, self.observed),
            (When::By(..), false) if never => self.observed.clone(),
            (When::By(..), false) => format!("never held by {}: last observed {}", self.at, self.observed),
        }
    }
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

/// Events processed between two progress reports inside a window.
const EVENTS_PER_REPORT: u64 = 1 << 14;

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

/// One expectation while the run goes on.
struct Watch<'s> {
    e: &'s Expectation,
    /// The latest revision of the kinds it reads (and the count of kube-proxy syncs, for
    /// a check that reads their rules), when it was last evaluated.
    seen: Option<(u64, u64)>,
    /// The last evaluation: whether it held, what was observed, when.
    last: Option<(bool, String, SimTime)>,
    opened: bool,
    result: Option<ExpectResult>,
}

impl<'s> Watch<'s> {
    fn check(&self) -> &Check {
        &self.e.check
    }

    fn resolve(&mut self, ok: bool, at: SimDuration, observed: String, event: Option<String>) {
        let e = self.e;
        self.result = Some(ExpectResult { text: e.text.clone(), when: e.when, at, ok, observed, event, location: e.location.to_string() });
    }

    /// Evaluates the check if an object it reads changed since the last evaluation;
    /// Some(held) when it did.
    fn evaluate(&mut self, sim: &Simulation) -> Option<bool> {
        let rev = self.check().reads().iter().map(|k| sim.api.store.kind_revision(k)).max().unwrap_or(0);
        let syncs = if self.check().reads_proxies() {
            sim.proxy_syncs()
        } else if self.check().reads_traffic() {
            sim.traffic.ticks
        } else {
            0
        };
        if self.seen == Some((rev, syncs)) {
            return None;
        }
        self.seen = Some((rev, syncs));
        let o = super::expect::observe_in(self.check(), &sim.api.store, &sim.proxies, &sim.traffic);
        let ok = self.check().holds(&o);
        self.last = Some((ok, self.check().describe(&o), sim.now));
        Some(ok)
    }

    /// Whether it must be evaluated after each event now.
    fn active(&self) -> bool {
        self.result.is_none() && self.opened
    }
}

/// The write an engine event made, in words: `update Deployment default/web by
/// controller-manager`.
fn describe_record(r: &Record) -> String {
    if r.verb == "timeline" {
        return format!("the timeline action `{}`", r.get_str("action").unwrap_or(""));
    }
    let name = if r.ns.is_empty() { r.name.clone() } else { format!("{}/{}", r.ns, r.name) };
    format!("{} {} {name} by {} (revision {})", r.verb, r.kind, r.by, r.rev)
}

fn ms(t: SimTime) -> SimDuration {
    SimDuration(t.as_ms())
}

/// Settles what is due once every event before `horizon` has been processed (and none
/// at or after it): `at` checks up to `horizon - 1`, windows opening by `horizon`,
/// windows and deadlines that ended before it.
fn settle(watches: &mut [Watch], sim: &Simulation, horizon: u64) {
    for w in watches.iter_mut().filter(|w| w.result.is_none()) {
        match w.e.when {
            When::At(t) if t.as_ms() < horizon => {
                w.evaluate(sim);
                let (ok, observed, _) = w.last.clone().unwrap_or_default();
                w.resolve(ok, t, observed, None);
            }
            When::During(a, b) => {
                if !w.opened && a.as_ms() <= horizon {
                    w.opened = true;
                    w.seen = None;
                    if w.evaluate(sim) == Some(false) {
                        let observed = w.last.as_ref().map(|l| l.1.clone()).unwrap_or_default();
                        w.resolve(false, a, observed, None);
                        continue;
                    }
                }
                if w.opened && b.as_ms() < horizon {
                    w.resolve(true, b, String::new(), None);
                }
            }
            When::By(a, t) => {
                if !w.opened && a.as_ms() <= horizon {
                    w.opened = true;
                    w.seen = None;
                    if w.evaluate(sim) == Some(true) {
                        let observed = w.last.as_ref().map(|l| l.1.clone()).unwrap_or_default();
                        w.resolve(true, ms(sim.now).max(a), observed, None);
                        continue;
                    }
                }
                if w.opened && t.as_ms() < horizon {
                    let observed = w.last.as_ref().map(|l| l.1.clone()).unwrap_or_default();
                    w.resolve(false, t, observed, None);
                }
            }
            _ => {}
        }
    }
}

/// After one engine event: the open windows and pending deadlines whose kinds were
/// written are evaluated.
fn after_event(watches: &mut [Watch], sim: &Simulation, wrote: bool) {
    for w in watches.iter_mut().filter(|w| w.active()) {
        let Some(ok) = w.evaluate(sim) else { continue };
        let observed = || w.last.as_ref().map(|l| l.1.clone()).unwrap_or_default();
        match w.e.when {
            When::During(..) if !ok => {
                let event = if wrote { sim.trace.last().as_ref().map(describe_record) } else { None };
                let o = observed();
                w.resolve(false, ms(sim.now), o, Some(event.unwrap_or_else(|| "an engine event".into())));
            }
            When::By(..) if ok => {
                let o = observed();
                w.resolve(true, ms(sim.now), o, None);
            }
            _ => {}
        }
    }
}

/// The earliest time the run may jump to (processing every event at or before it)
/// without passing anything a watch needs.
fn jump_target(watches: &[Watch], now: SimTime, end: SimTime) -> SimTime {
    let mut t = end.min(SimTime(now.as_ms().saturating_add(slice(end).as_ms())));
    for w in watches.iter().filter(|w| w.result.is_none()) {
        match w.e.when {
            When::At(at) => t = t.min(SimTime(at.as_ms())),
            When::During(a, _) | When::By(a, _) if !w.opened => t = t.min(SimTime(a.as_ms().saturating_sub(1))),
            _ => {}
        }
    }
    t.max(now)
}

/// Whatever is still open when the run ends.
fn finish(watches: &mut [Watch], end: SimTime, hit_limit: bool) {
    let why = if hit_limit { "never reached (event limit)".to_string() } else { format!("never reached (the run ends at {})", ms(end)) };
    for w in watches.iter_mut().filter(|w| w.result.is_none()) {
        match w.e.when {
            When::By(_, t) => {
                let observed = w.last.as_ref().map(|l| l.1.clone()).unwrap_or_else(|| why.clone());
                w.resolve(false, t.min(ms(end)), observed, None);
            }
            When::During(_, b) if w.opened => {
                let cut = if hit_limit { "the event limit".to_string() } else { format!("the end of the run at {}", ms(end)) };
                w.resolve(false, b, format!("never reached ({cut} comes before the window closes)"), None);
            }
            When::At(t) | When::During(_, t) => w.resolve(false, t, why.clone(), None),
        }
    }
}

/// Runs `s` with the event log `trace`, checking its expectations, calling `progress`
/// between slices of the run.
pub fn run_scenario_with(s: &Scenario, opts: &RunOptions, trace: Trace, progress: &mut Progress) -> Result<Report, String> {
    let mut sim = Simulation::with_trace(s, opts, trace)?;
    let mut expectations: Vec<&Expectation> = s.expect.iter().collect();
    expectations.sort_by_key(|e| e.when.start());
    let mut watches: Vec<Watch> = expectations.into_iter().map(|e| Watch { e, seen: None, last: None, opened: false, result: None }).collect();
    let end = opts.limits.until;
    let mut since_report = 0u64;
    let mut stopped = false;
    loop {
        // Every event before `horizon` is processed, none at or after it (the run
        // processes nothing after `end`).
        let next = sim.next_time();
        let horizon = next.map_or(u64::MAX, |t| t.as_ms()).min(end.as_ms().saturating_add(1));
        settle(&mut watches, &sim, horizon);
        let can_step = next.is_some_and(|t| t <= end) && sim.events_processed < sim.limits.max_events;
        if !can_step || watches.iter().all(|w| w.result.is_some()) {
            break;
        }
        if watches.iter().any(Watch::active) {
            let before = sim.trace.len();
            sim.step();
            after_event(&mut watches, &sim, sim.trace.len() > before);
            since_report += 1;
            if since_report >= EVENTS_PER_REPORT {
                since_report = 0;
                if !progress(&sim) {
                    stopped = true;
                    break;
                }
            }
        } else {
            sim.run_until(jump_target(&watches, sim.now, end));
            if !progress(&sim) {
                stopped = true;
                break;
            }
        }
    }
    let outcome = if stopped {
        Outcome::UntilReached
    } else {
        match advance(&mut sim, end, progress) {
            Some(o) => o,
            None => {
                stopped = true;
                Outcome::UntilReached
            }
        }
    };
    finish(&mut watches, end, outcome == Outcome::MaxEvents);
    let results = watches.into_iter().filter_map(|w| w.result).collect();
    Ok(Report { sim, outcome, results, stopped })
}
