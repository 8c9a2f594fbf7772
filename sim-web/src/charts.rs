//! The charts under the timeline: the run sampled while it is computed, by the very
//! function `ksim plot` samples with (`sim_core::series::sample`), at the same moments
//! (`series::moment(end, i)`, i = 0..=SAMPLES: 201 points at most per series). Each
//! sample is taken just before the first event after its moment, when every event at or
//! before it has been processed — as `ksim plot` runs to the moment, then samples.
//! Memory: the points, bounded by SAMPLES × series (at most 20 nodes per chart).

use serde_json::{json, Map, Value};
use sim_core::series::{self, TrafficMarks, SAMPLES, WHATS};
use sim_core::Simulation;
use std::collections::BTreeMap;

/// A chart's series: name → (sample index, value).
type Lines = BTreeMap<String, Vec<(u32, f64)>>;

pub struct Charts {
    end: u64,
    traffic: bool,
    /// The next sample to take.
    next: u64,
    lines: [Lines; 4],
    marks: TrafficMarks,
}

impl Charts {
    /// Charts of a run that ends at `end` ms; `traffic`: the scenario has traffic clients.
    pub fn new(end: u64, traffic: bool) -> Self {
        Charts { end: end.max(1), traffic, next: 0, lines: Default::default(), marks: TrafficMarks::new() }
    }

    /// Takes every sample due before `next` (the next event's time; None once the run
    /// is over: every remaining sample).
    pub fn sample_due(&mut self, sim: &Simulation, next: Option<u64>) {
        while self.next <= SAMPLES {
            let t = series::moment(self.end, self.next);
            if next.is_some_and(|n| n <= t) {
                return;
            }
            for (k, what) in WHATS.iter().enumerate() {
                if *what == "traffic" && !self.traffic {
                    continue;
                }
                for (name, v) in series::sample(sim, what, &mut self.marks) {
                    self.lines[k].entry(name).or_default().push((self.next as u32, v));
                }
            }
            self.next += 1;
        }
    }

    /// How many samples have been taken.
    pub fn taken(&self) -> u64 {
        self.next
    }

    /// `{"end", "samples", "taken", "charts": {what: {series: [[t, v], …]}}}` (traffic
    /// only when the scenario has clients).
    pub fn to_json(&self) -> String {
        let mut charts = Map::new();
        for (k, what) in WHATS.iter().enumerate() {
            if *what == "traffic" && !self.traffic {
                continue;
            }
            let lines: Map<String, Value> = self.lines[k]
                .iter()
                .map(|(name, pts)| (name.clone(), pts.iter().map(|&(i, v)| json!([series::moment(self.end, i as u64), v])).collect()))
                .collect();
            charts.insert(what.to_string(), Value::Object(lines));
        }
        json!({"end": self.end, "samples": SAMPLES, "taken": self.next, "charts": charts}).to_string()
    }

    /// The samples of one chart (tests): series → (t, value).
    pub fn series(&self, what: &str) -> BTreeMap<String, Vec<(u64, f64)>> {
        let Some(k) = WHATS.iter().position(|w| *w == what) else { return BTreeMap::new() };
        self.lines[k].iter().map(|(n, pts)| (n.clone(), pts.iter().map(|&(i, v)| (series::moment(self.end, i as u64), v)).collect())).collect()
    }
}
