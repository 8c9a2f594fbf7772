//! Seeded random fault plans. A scenario can ask for faults instead of (or besides)
//! listing them: `spec.faults: {nodeCrash: {rate: 1/10m, downtime: 2m}}` crashes a
//! random node on average once every ten minutes (exponential inter-arrival times, so a
//! Poisson process) and brings it back after the downtime. The plan is drawn from the
//! run's seed (its own stream, "faults"), so one file × many seeds explores many
//! failure histories — and each is replayable from its seed. Faults become ordinary
//! timeline actions: nothing in a component knows about them.

use crate::engine::{SimDuration, SimTime};
use crate::scenario::model::{Action, Location, TimelineEntry};
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// `nodeCrash` faults: how often, for how long, and in which window.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeCrashPlan {
    /// Mean time between crashes.
    pub every: SimDuration,
    pub downtime: SimDuration,
    /// Faults start in [from, to).
    pub from: SimDuration,
    pub to: Option<SimDuration>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FaultPlan {
    pub node_crash: Option<NodeCrashPlan>,
}

impl FaultPlan {
    /// When the last fault of a plan is over, for a run ending at `until` (None: no faults).
    pub fn is_empty(&self) -> bool {
        self.node_crash.is_none()
    }
}

/// Parses a rate `N/DURATION` (`1/10m`, `3/1h`) into the mean interval.
pub fn parse_rate(s: &str) -> Result<SimDuration, String> {
    let bad = || format!("invalid rate {s:?}: expected N/DURATION, e.g. 1/10m");
    let (n, d) = s.split_once('/').ok_or_else(bad)?;
    let n: u64 = n.trim().parse().map_err(|_| bad())?;
    let d = SimDuration::parse(d.trim()).map_err(|_| bad())?;
    if n == 0 || d.as_ms() == 0 || d.as_ms() / n == 0 {
        return Err(bad());
    }
    Ok(SimDuration::from_ms(d.as_ms() / n))
}

/// The most timeline entries (crashes and recoveries) one plan draws; a plan that would
/// draw more stops there (`ksim run` warns).
pub const MAX_FAULTS: usize = 10_000;

/// Draws the plan's timeline entries for the nodes `nodes` within `[0, until)`.
pub fn generate(plan: &FaultPlan, nodes: &[String], until: SimDuration, rng: &mut ChaCha8Rng, location: &Location) -> Vec<TimelineEntry> {
    let mut out = Vec::new();
    let Some(p) = &plan.node_crash else { return out };
    if nodes.is_empty() {
        return out;
    }
    let end = p.to.unwrap_or(until).min(until);
    // Busy until: a node is not crashed again while it is down.
    let mut down_until = vec![SimTime::ZERO; nodes.len()];
    let mut t = SimTime(p.from.as_ms());
    while out.len() < MAX_FAULTS {
        // Exponential inter-arrival with the given mean, from a uniform draw in (0, 1].
        let u: f64 = 1.0 - rng.random::<f64>();
        let gap_ms = (-crate::engine::math::ln(u) * p.every.as_ms() as f64).round().clamp(1.0, 1e15) as u64;
        t = t + SimDuration::from_ms(gap_ms);
        if t.as_ms() >= end.as_ms() {
            break;
        }
        let i = rng.random_range(0..nodes.len());
        if down_until[i] > t {
            continue;
        }
        let back = t + p.downtime;
        down_until[i] = back;
        out.push(TimelineEntry { at: SimDuration(t.as_ms()), action: Action::NodeCrash(nodes[i].clone()), location: location.clone() });
        if back.as_ms() < until.as_ms() {
            out.push(TimelineEntry { at: SimDuration(back.as_ms()), action: Action::NodeRecover(nodes[i].clone()), location: location.clone() });
        }
    }
    out.sort_by_key(|e| e.at);
    out
}

/// The moment the last fault is over (a node crashed, recovered or removed), if any.
pub fn last_fault_end(entries: &[TimelineEntry]) -> Option<SimDuration> {
    entries.iter().filter(|e| matches!(e.action, Action::NodeCrash(_) | Action::NodeRecover(_) | Action::RemoveNode(_))).map(|e| e.at).max()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::RngStreams;

    #[test]
    fn rates_parse() {
        assert_eq!(parse_rate("1/10m"), Ok(SimDuration::from_secs(600)));
        assert_eq!(parse_rate("3/1h"), Ok(SimDuration::from_secs(1200)));
        assert!(parse_rate("0/1m").is_err());
        assert!(parse_rate("often").is_err());
    }

    #[test]
    fn plans_are_seeded_and_never_crash_a_down_node() {
        let plan = FaultPlan {
            node_crash: Some(NodeCrashPlan { every: SimDuration::from_secs(60), downtime: SimDuration::from_secs(120), from: SimDuration::ZERO, to: None }),
        };
        let nodes: Vec<String> = (1..=3).map(|i| format!("w-{i}")).collect();
        let gen = |seed| generate(&plan, &nodes, SimDuration::from_secs(3600), &mut RngStreams::new(seed).stream("faults"), &Location::default());
        let a = gen(1);
        assert_eq!(a.len(), gen(1).len());
        assert_ne!(format!("{a:?}"), format!("{:?}", gen(2)));
        assert!(a.len() > 20, "about one crash a minute for an hour: {}", a.len());
        let mut down = std::collections::BTreeSet::new();
        for e in &a {
            match &e.action {
                Action::NodeCrash(n) => assert!(down.insert(n.clone()), "{n} crashed twice at {}", e.at),
                Action::NodeRecover(n) => assert!(down.remove(n)),
                _ => unreachable!(),
            }
        }
    }

    /// The first crash of a plan is pinned: gap = round(−ln(u) · mean) with u the first
    /// draw of the "faults" stream, computed outside Rust (engine/math.rs's PINNED_LN:
    /// seed 1 gives u = 0x3FE7666EB9F8176F, −ln u · 60000 = 18779.67 → 18780 ms; seed 42
    /// gives 5670.48 → 5670 ms).
    #[test]
    fn first_gaps_are_pinned() {
        let plan = FaultPlan {
            node_crash: Some(NodeCrashPlan { every: SimDuration::from_secs(60), downtime: SimDuration::from_secs(1), from: SimDuration::ZERO, to: None }),
        };
        let nodes: Vec<String> = (1..=3).map(|i| format!("w-{i}")).collect();
        for (seed, at_ms) in [(1, 18_780), (42, 5_670)] {
            let first = generate(&plan, &nodes, SimDuration::from_secs(3600), &mut RngStreams::new(seed).stream("faults"), &Location::default()).remove(0);
            assert_eq!(first.at, SimDuration::from_ms(at_ms), "seed {seed}");
        }
    }
}
