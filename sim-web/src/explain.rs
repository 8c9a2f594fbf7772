//! The explain panel: a pod's last scheduling attempt before a moment, node by node and
//! plugin by plugin, computed as `ksim explain pod/NAME FILE --at T` computes it
//! (sim-cli/src/explain.rs): a second simulation of the same scenario and seed, with the
//! scheduler's explain target set, run to T (every event at or before it), then its
//! `scheduler.explanation` — in the CLI's `-o json` form. The session's own run cannot
//! give it: the scheduler records only its explain target's attempts.
//!
//! The run is stepped in slices (`advance`) so that the page stays responsive on big
//! clusters; asked again for the same pod at a later moment it goes on from where it is.

use sim_core::api::Kind;
use sim_core::engine::{SimDuration, SimTime};
use sim_core::scenario::diagnostic::clip_quoted;
use sim_core::trace::Trace;
use sim_core::{RunOptions, Scenario, Simulation};

pub struct Explainer {
    pub ns: String,
    pub name: String,
    /// The moment asked for (ms).
    pub at: u64,
    sim: Simulation,
}

impl Explainer {
    pub fn new(s: &Scenario, ns: &str, name: &str, at: u64) -> Result<Explainer, String> {
        let opts = RunOptions { keep_log: false, ..RunOptions::for_scenario(s) };
        let mut sim = Simulation::with_trace(s, &opts, Trace::new(false))?;
        sim.scheduler.explain(ns, name);
        Ok(Explainer { ns: ns.into(), name: name.into(), at, sim })
    }

    /// Whether this run can answer for `at` (it has not gone past it).
    pub fn reaches(&self, ns: &str, name: &str, at: u64) -> bool {
        self.ns == ns && self.name == name && self.sim.now.as_ms() <= at
    }

    /// Runs at most `max_events` more events at or before `at`; true once there.
    pub fn advance(&mut self, max_events: u32) -> bool {
        let at = SimTime(self.at);
        for _ in 0..max_events {
            match self.sim.next_time() {
                Some(t) if t <= at && t <= self.sim.limits.until && self.sim.events_processed < self.sim.limits.max_events => {
                    self.sim.step();
                }
                _ => return true,
            }
        }
        false
    }

    /// The explanation as `ksim explain -o json` prints it, or `{"error": …}` in its
    /// words when there was no attempt; `existed`: the pod was written at or before `at`.
    pub fn result(&self, s: &Scenario, existed: bool) -> String {
        let Some(ex) = &self.sim.scheduler.explanation else {
            return serde_json::json!({"error": self.no_attempt(s, existed)}).to_string();
        };
        let mut v = serde_json::to_value(ex).expect("an explanation serializes");
        v["time"] = serde_json::Value::String(SimDuration(ex.time.0).to_string());
        v["timeMs"] = serde_json::Value::from(ex.time.0);
        v.to_string()
    }

    /// sim-cli's `no_attempt`: why there is nothing to show.
    fn no_attempt(&self, s: &Scenario, existed: bool) -> String {
        let (ns, name) = (&self.ns, &self.name);
        let at = SimDuration(self.at);
        if !existed {
            return format!("Error from server (NotFound): pods {} not found", clip_quoted(name));
        }
        let pod = self.sim.api.store.get_parts(&Kind::Pod, ns, name).and_then(|o| o.as_pod().cloned());
        match pod {
            Some(p) if !s.scheduler.profiles.iter().any(|pr| pr.scheduler_name == p.spec.scheduler_name) => {
                format!("pod {ns}/{name} names schedulerName {}, which no scheduler profile serves: it stays Pending", clip_quoted(&p.spec.scheduler_name))
            }
            Some(p) if !p.spec.node_name.is_empty() => {
                format!("pod {ns}/{name} was given spec.nodeName {} when it was created: kube-scheduler never schedules it", p.spec.node_name)
            }
            _ => format!("error: pod {ns}/{name} had no scheduling attempt before {at} (see `ksim get pods --at {at}`)"),
        }
    }
}
