//! The run sampled over time, as `ksim plot` draws it and the web page's charts show it:
//! one sample of each chart is read off the simulation at a moment (every event at or
//! before it processed), at the moments `moment(end, i)`, i = 0..=SAMPLES.
//! - `pods-by-phase`: the pods in each phase (Pending, Running, Succeeded, Failed);
//! - `pending`: the pods waiting for a node (Pending and not bound) — the scheduler's
//!   queue as a user sees it;
//! - `allocation`: each node's CPU requests over its allocatable, in % (the pods that
//!   hold the node: bound and not finished), at most `MAX_SERIES` nodes by name;
//! - `traffic`: each `spec.traffic` client's success rate over each sample interval, in %.

use crate::api::Kind;
use crate::Simulation;
use std::collections::BTreeMap;

/// The run is cut into this many intervals.
pub const SAMPLES: u64 = 200;
/// At most this many nodes get an `allocation` series (the first by name).
pub const MAX_SERIES: usize = 20;
pub const WHATS: [&str; 4] = ["pods-by-phase", "pending", "allocation", "traffic"];
pub const PHASES: [&str; 4] = ["Pending", "Running", "Succeeded", "Failed"];

/// The `i`-th sample moment (ms) of a run that ends at `end_ms`.
pub fn moment(end_ms: u64, i: u64) -> u64 {
    end_ms.max(1) * i / SAMPLES
}

/// Each traffic client's (sent, succeeded) at the previous sample: `traffic` is a rate
/// over the interval since.
pub type TrafficMarks = BTreeMap<String, (u64, u64)>;

/// One sample of chart `what` (one of `WHATS`): (series, value) pairs. A traffic client
/// that sent nothing since the previous sample has no point.
pub fn sample(sim: &Simulation, what: &str, last: &mut TrafficMarks) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    match what {
        "pods-by-phase" | "pending" => {
            let mut counts = [0usize; 4];
            let mut unbound = 0;
            for o in sim.api.store.list(&Kind::Pod) {
                let Some(p) = o.as_pod() else { continue };
                if let Some(i) = PHASES.iter().position(|ph| *ph == &*p.status.phase) {
                    counts[i] += 1;
                }
                if p.status.phase == "Pending" && p.spec.node_name.is_empty() {
                    unbound += 1;
                }
            }
            if what == "pending" {
                out.push(("pending pods".to_string(), unbound as f64));
            } else {
                out.extend(PHASES.iter().zip(counts).map(|(ph, n)| (ph.to_string(), n as f64)));
            }
        }
        "allocation" => {
            let mut requested: BTreeMap<&str, i64> = BTreeMap::new();
            for o in sim.api.store.list(&Kind::Pod) {
                let Some(p) = o.as_pod() else { continue };
                if !p.spec.node_name.is_empty() && !p.is_terminal() {
                    *requested.entry(p.spec.node_name.as_str()).or_default() += p.spec.requests().milli_cpu;
                }
            }
            for o in sim.api.store.list(&Kind::Node).take(MAX_SERIES) {
                let Some(n) = o.as_node() else { continue };
                let alloc = n.status.allocatable.get("cpu").map_or(0, |q| q.milli_value()).max(1);
                let used = requested.get(n.metadata.name.as_str()).copied().unwrap_or(0);
                out.push((n.metadata.name.to_string(), 100.0 * used as f64 / alloc as f64));
            }
        }
        _ => {
            for name in sim.traffic.names() {
                let Some(c) = sim.traffic.counters(name) else { continue };
                let (sent, ok) = last.get(name).copied().unwrap_or((0, 0));
                let (ds, dk) = (c.sent - sent, c.succeeded - ok);
                last.insert(name.to_string(), (c.sent, c.succeeded));
                if ds > 0 {
                    out.push((name.to_string(), 100.0 * dk as f64 / ds as f64));
                }
            }
        }
    }
    out
}
