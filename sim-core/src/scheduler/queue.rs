//! The scheduling queue (pkg/scheduler/backend/queue): activeQ ordered by priority then
//! arrival, backoffQ (1 s doubling to 10 s per failed attempt) and unschedulablePods,
//! moved back on cluster events that may help (queueing hints: only the events that can
//! resolve the rejecting plugins' reasons) and flushed after 5 minutes.

use crate::engine::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::BTreeSet;

pub const INITIAL_BACKOFF: SimDuration = SimDuration::from_secs(1);
pub const MAX_BACKOFF: SimDuration = SimDuration::from_secs(10);
pub const UNSCHEDULABLE_MAX_STAY: SimDuration = SimDuration::from_secs(300);

/// A set of plugins (the ones that rejected a pod, or the ones a cluster event may
/// satisfy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Hint(u32);

impl Hint {
    pub const ALL: Hint = Hint(u32::MAX);
    pub fn add(&mut self, p: super::profile::PluginId) {
        self.0 |= 1 << (p as u32);
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    fn intersects(self, other: Hint) -> bool {
        self.0 & other.0 != 0
    }
}

/// Where a queued pod is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Where {
    Active,
    Backoff(SimTime),
    Unschedulable(SimTime),
    InFlight,
}

#[derive(Default)]
pub struct SchedulingQueue {
    /// (−priority, first-queued time, seq) → uid: pops the highest priority, oldest first.
    active: BTreeSet<(Reverse<i32>, SimTime, u64, String)>,
    backoff: BTreeSet<(SimTime, u64, String)>,
    /// By uid ([`crate::api::uid::UidMap`]: the keys compare inline).
    entries: crate::api::uid::UidMap<Entry>,
    /// How many entries are `Unschedulable` (kept so `next_flush` is O(1)).
    unschedulable: usize,
    seq: u64,
    /// podInitialBackoffSeconds / podMaxBackoffSeconds (zero = the defaults).
    initial_backoff: SimDuration,
    max_backoff: SimDuration,
}

#[derive(Clone, Debug)]
struct Entry {
    priority: i32,
    queued_at: SimTime,
    attempts: u32,
    seq: u64,
    at: Where,
    /// The plugins that rejected the pod in its last attempt.
    rejectors: Hint,
}

impl SchedulingQueue {
    pub fn contains(&self, uid: &str) -> bool {
        self.entries.contains_key(uid)
    }

    pub fn active_len(&self) -> usize {
        self.active.len()
    }

    pub fn pending_len(&self) -> usize {
        self.entries.len()
    }

    /// activeQ's, backoffQ's and unschedulablePods' sizes.
    pub fn sizes(&self) -> [usize; 3] {
        [self.active.len(), self.backoff.len(), self.unschedulable]
    }

    /// A new pending pod enters activeQ.
    pub fn add(&mut self, uid: &str, priority: i32, now: SimTime) {
        if self.entries.contains_key(uid) {
            return;
        }
        self.seq += 1;
        let e = Entry { priority, queued_at: now, attempts: 0, seq: self.seq, at: Where::Active, rejectors: Hint::default() };
        self.active.insert((Reverse(priority), now, e.seq, uid.to_string()));
        self.entries.insert(uid, e);
    }

    /// A pod whose binding failed goes (back) to backoffQ.
    pub fn add_after_error(&mut self, uid: &str, priority: i32, now: SimTime) {
        if !self.entries.contains_key(uid) {
            self.seq += 1;
            self.entries.insert(uid, Entry { priority, queued_at: now, attempts: 1, seq: self.seq, at: Where::InFlight, rejectors: Hint::default() });
        }
        self.failed(uid, false, Hint::default(), now);
    }

    /// Pops the next pod to schedule; it stays known (in flight) until `done` or `failed`.
    pub fn pop(&mut self) -> Option<String> {
        let first = self.active.iter().next().cloned()?;
        self.active.remove(&first);
        let uid = first.3;
        if let Some(e) = self.entries.get_mut(&uid) {
            e.at = Where::InFlight;
            e.attempts += 1;
        }
        Some(uid)
    }

    /// The pod is scheduled (or gone): forget it.
    pub fn remove(&mut self, uid: &str) {
        if let Some(e) = self.entries.remove(uid) {
            match e.at {
                Where::Unschedulable(_) => self.unschedulable = self.unschedulable.checked_sub(1).expect("unschedulablePods count never negative"),
                Where::Active => {
                    self.active.remove(&(Reverse(e.priority), e.queued_at, e.seq, uid.to_string()));
                }
                Where::Backoff(t) => {
                    self.backoff.remove(&(t, e.seq, uid.to_string()));
                }
                _ => {}
            }
        }
    }

    pub fn set_backoff(&mut self, initial: SimDuration, max: SimDuration) {
        self.initial_backoff = initial;
        self.max_backoff = max;
    }

    fn backoff_duration(&self, attempts: u32) -> SimDuration {
        let initial = if self.initial_backoff == SimDuration::ZERO { INITIAL_BACKOFF } else { self.initial_backoff };
        let max = if self.max_backoff == SimDuration::ZERO { MAX_BACKOFF } else { self.max_backoff };
        let mut d = initial;
        for _ in 1..attempts {
            d = d.times(2);
            if d >= max {
                return max;
            }
        }
        d.min(max)
    }

    /// An attempt failed: unschedulable pods wait for a cluster event (or the flush);
    /// errors go to backoffQ.
    pub fn failed(&mut self, uid: &str, unschedulable: bool, rejectors: Hint, now: SimTime) {
        let backoff = self.entries.get(uid).map(|e| self.backoff_duration(e.attempts));
        let Some(e) = self.entries.get_mut(uid) else { return };
        e.rejectors = rejectors;
        if unschedulable {
            e.at = Where::Unschedulable(now);
            self.unschedulable += 1;
        } else {
            let until = now + backoff.unwrap_or(INITIAL_BACKOFF);
            e.at = Where::Backoff(until);
            self.backoff.insert((until, e.seq, uid.to_string()));
        }
    }

    /// A cluster event that may make pods schedulable: unschedulable pods move to
    /// activeQ, or to backoffQ while their backoff has not expired.
    /// A cluster event that may resolve the rejections of the plugins in `hint`: the
    /// unschedulable pods rejected by one of them (or by none) move.
    pub fn move_on_event(&mut self, hint: Hint, now: SimTime) {
        if self.unschedulable == 0 {
            return;
        }
        let moving: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| matches!(e.at, Where::Unschedulable(_)) && (e.rejectors.is_empty() || e.rejectors.intersects(hint)))
            .map(|(k, _)| k.to_string())
            .collect();
        for uid in moving {
            self.requeue(&uid, now);
        }
    }

    fn requeue(&mut self, uid: &str, now: SimTime) {
        let Some(e) = self.entries.get_mut(uid) else { return };
        let Where::Unschedulable(failed_at) = e.at else { return };
        self.unschedulable = self.unschedulable.checked_sub(1).expect("unschedulablePods count never negative");
        let attempts = e.attempts;
        let until = failed_at + self.backoff_duration(attempts);
        let Some(e) = self.entries.get_mut(uid) else { return };
        if until > now {
            e.at = Where::Backoff(until);
            self.backoff.insert((until, e.seq, uid.to_string()));
        } else {
            e.at = Where::Active;
            self.active.insert((Reverse(e.priority), e.queued_at, e.seq, uid.to_string()));
        }
    }

    /// flushBackoffQCompleted + flushUnschedulablePodsLeftover.
    pub fn flush(&mut self, now: SimTime) {
        while let Some(first) = self.backoff.iter().next().cloned() {
            if first.0 > now {
                break;
            }
            self.backoff.remove(&first);
            if let Some(e) = self.entries.get_mut(&first.2) {
                e.at = Where::Active;
                self.active.insert((Reverse(e.priority), e.queued_at, e.seq, first.2.clone()));
            }
        }
        if self.unschedulable == 0 {
            return;
        }
        let stale: Vec<String> = self
            .entries
            .iter()
            .filter(|(_, e)| matches!(e.at, Where::Unschedulable(t) if now.since(t) >= UNSCHEDULABLE_MAX_STAY))
            .map(|(k, _)| k.to_string())
            .collect();
        for uid in stale {
            self.requeue(&uid, now);
        }
    }

    /// When the next flush is needed: the earliest backoff expiry, or 30 s while pods
    /// are unschedulable (the leftover flush period).
    pub fn next_flush(&self, now: SimTime) -> Option<SimTime> {
        let b = self.backoff.iter().next().map(|x| x.0);
        let u = (self.unschedulable > 0).then(|| now + SimDuration::from_secs(30));
        match (b, u) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn priority_then_fifo() {
        let mut q = SchedulingQueue::default();
        q.add("a", 0, SimTime(1));
        q.add("b", 10, SimTime(2));
        q.add("c", 0, SimTime(0));
        assert_eq!(q.pop().as_deref(), Some("b"));
        assert_eq!(q.pop().as_deref(), Some("c"));
        assert_eq!(q.pop().as_deref(), Some("a"));
        assert_eq!(q.pop(), None);
    }

    #[test]
    fn backoff_doubles_to_ten_seconds() {
        let q = SchedulingQueue::default();
        assert_eq!(q.backoff_duration(1), SimDuration::from_secs(1));
        assert_eq!(q.backoff_duration(2), SimDuration::from_secs(2));
        assert_eq!(q.backoff_duration(4), SimDuration::from_secs(8));
        assert_eq!(q.backoff_duration(5), SimDuration::from_secs(10));
        assert_eq!(q.backoff_duration(50), SimDuration::from_secs(10));
    }

    #[test]
    fn unschedulable_pods_wait_for_an_event_or_the_flush() {
        let mut q = SchedulingQueue::default();
        q.add("a", 0, SimTime(0));
        assert_eq!(q.pop().as_deref(), Some("a"));
        q.failed("a", true, Hint::default(), SimTime(0));
        assert_eq!(q.pop(), None);
        q.flush(SimTime::from_secs(100));
        assert_eq!(q.pop(), None, "not yet five minutes");
        q.move_on_event(Hint::ALL, SimTime::from_secs(200));
        assert_eq!(q.pop().as_deref(), Some("a"));
        q.failed("a", true, Hint::default(), SimTime::from_secs(200));
        q.flush(SimTime::from_secs(500));
        assert_eq!(q.pop().as_deref(), Some("a"), "flushed after five minutes");
    }

    #[test]
    fn queueing_hints_move_only_pods_an_event_may_help() {
        use crate::scheduler::profile::PluginId;
        let mut q = SchedulingQueue::default();
        q.add("fit", 0, SimTime(0));
        q.add("taint", 0, SimTime(0));
        let (mut fit, mut taint) = (Hint::default(), Hint::default());
        fit.add(PluginId::NodeResourcesFit);
        taint.add(PluginId::TaintToleration);
        q.pop();
        q.pop();
        q.failed("fit", true, fit, SimTime(0));
        q.failed("taint", true, taint, SimTime(0));
        // A pod deletion frees resources: only the pod rejected for resources moves.
        q.move_on_event(fit, SimTime::from_secs(20));
        assert_eq!(q.pop().as_deref(), Some("fit"));
        assert_eq!(q.pop(), None);
        q.move_on_event(Hint::ALL, SimTime::from_secs(20));
        assert_eq!(q.pop().as_deref(), Some("taint"));
    }
}
