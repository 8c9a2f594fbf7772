//! `eviction-within-budget`: the Eviction API lets a pod go only while its budget's
//! status.disruptionsAllowed is positive, and takes one from it in the same write
//! (pkg/registry/core/pod/storage/eviction.go, checkAndDecrement; the update is
//! conditional on the budget's resourceVersion). The disruption controller writes
//! disruptionsAllowed = currentHealthy − desiredHealthy (never below 0) and counts a pod
//! it let go among the healthy no longer (status.disruptedPods;
//! pkg/controller/disruption/disruption.go, updatePdbStatus / countHealthyPods), and its
//! status write is conditional on the budget it read too. So the evictions since the
//! controller last counted never take the healthy pods it counted below the desired:
//! currentHealthy − evictions ≥ desiredHealthy. An eviction of a pod that is not Ready
//! (unhealthyPodEvictionPolicy, or a budget that is already healthy) takes nothing from
//! the budget and is not counted; failures outside the Eviction API (a node dying) are
//! not judged — the budget only limits voluntary disruptions.

use super::{Violation, CONTROLLER_MANAGER};
use crate::api::pod_disruption_budget::PodDisruptionBudget;
use crate::engine::SimTime;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::BTreeMap;

pub const EVICTION_WITHIN_BUDGET: &str = "eviction-within-budget";

/// What the disruption controller last counted for one budget, and the evictions since.
#[derive(Clone, Copy, Debug, Default)]
struct Count {
    current_healthy: i32,
    desired_healthy: i32,
    evictions: i32,
}

#[derive(Default)]
pub struct DisruptionChecker {
    budgets: BTreeMap<String, Count>,
}

impl DisruptionChecker {
    /// A budget write made by `by` for a request logged as `verb` (`evict` for the
    /// Eviction API's decrement).
    pub fn on_write(&mut self, w: &WatchEvent, pdb: &PodDisruptionBudget, verb: &str, by: &str, time: SimTime, event: &str) -> Option<Violation> {
        let uid = &pdb.metadata.uid;
        if w.type_ == WatchEventType::Deleted {
            self.budgets.remove(uid.as_str());
            return None;
        }
        if verb == "evict" {
            let c = self.budgets.entry(uid.to_string()).or_default();
            c.evictions += 1;
            return (c.current_healthy - c.evictions < c.desired_healthy).then(|| Violation {
                invariant: EVICTION_WITHIN_BUDGET,
                time,
                event: event.to_string(),
                objects: vec![format!("poddisruptionbudget/{}/{}", pdb.metadata.namespace, pdb.metadata.name)],
                message: format!(
                    "eviction {} since the disruption controller counted {} healthy pods of {} desired",
                    c.evictions, c.current_healthy, c.desired_healthy
                ),
            });
        }
        let prev = w.prev.as_ref().and_then(|o| o.as_pdb()).map(|p| &p.status);
        let counted = by == CONTROLLER_MANAGER && prev.is_none_or(|s| *s != pdb.status);
        if counted || !self.budgets.contains_key(uid.as_str()) {
            self.budgets
                .insert(uid.to_string(), Count { current_healthy: pdb.status.current_healthy, desired_healthy: pdb.status.desired_healthy, evictions: 0 });
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::Object;
    use crate::etcd::{HistoryLimits, Store};
    use crate::invariants::Checker;
    use crate::scenario::model::Latency;

    fn pdb(current: i32, desired: i32, allowed: i32) -> Object {
        let mut p = PodDisruptionBudget::default();
        p.metadata.name = "web-pdb".into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = "pdb-uid".into();
        p.status.current_healthy = current;
        p.status.desired_healthy = desired;
        p.status.disruptions_allowed = allowed;
        Object::PodDisruptionBudget(Box::new(p))
    }

    fn write(s: &mut Store, c: &mut Checker, o: Object, verb: &str, by: &str) {
        let t = SimTime(1);
        let ev = if s.get(&o.key()).is_some() { s.update(o, t) } else { s.create(o, t) }.unwrap();
        c.on_write(&ev, verb, by, s, t, "test");
    }

    fn fired(c: &Checker) -> usize {
        c.violations.iter().filter(|v| v.invariant == EVICTION_WITHIN_BUDGET).count()
    }

    /// 4 healthy of 3 desired: one eviction fits, a second does not — unless the
    /// controller counted again in between (a replacement became healthy).
    #[test]
    fn evictions_past_the_counted_margin_fire() {
        let (mut s, mut c) = (Store::new(HistoryLimits::default()), Checker::new(Latency::default()));
        write(&mut s, &mut c, pdb(0, 0, 0), "create", "kubectl");
        write(&mut s, &mut c, pdb(4, 3, 1), "update", CONTROLLER_MANAGER);
        write(&mut s, &mut c, pdb(4, 3, 0), "evict", "kubectl");
        assert_eq!(fired(&c), 0);
        write(&mut s, &mut c, pdb(4, 3, 1), "update", CONTROLLER_MANAGER);
        write(&mut s, &mut c, pdb(4, 3, 0), "evict", "kubectl");
        assert_eq!(fired(&c), 0, "counted again: one more fits");
        // A user's write of the budget (its spec) is not a count.
        write(&mut s, &mut c, pdb(4, 3, 1), "update", "kubectl");
        write(&mut s, &mut c, pdb(4, 3, 0), "evict", "kubectl");
        assert_eq!(fired(&c), 1);
        assert!(
            c.violations[0].message.contains("eviction 2 since the disruption controller counted 4 healthy pods of 3 desired"),
            "{}",
            c.violations[0].message
        );
    }
}
