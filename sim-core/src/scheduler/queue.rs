//! The scheduling queue (pkg/scheduler/backend/queue): activeQ ordered by priority then
//! arrival, backoffQ (1 s doubling to 10 s per failed attempt) and unschedulablePods,
//! moved back on cluster events that may help and flushed after 5 minutes.

use crate::engine::{SimDuration, SimTime};
use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet};

pub const INITIAL_BACKOFF: SimDuration = SimDuration::from_secs(1);
pub const MAX_BACKOFF: SimDuration = SimDuration::from_secs(10);
pub const UNSCHEDULABLE_MAX_STAY: SimDuration = SimDuration::from_secs(300);

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
    entries: BTreeMap<String, Entry>,
    /// How many entries are `Unschedulable` (kept so `next_flush` is O(1)).
    unschedulable: usize,
    seq: u64,
}

#[derive(Clone, Debug)]
struct Entry {
    priority: i32,
    queued_at: SimTime,
    attempts: u32,
    seq: u64,
    at: Where,
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

    /// A new pending pod enters activeQ.
    pub fn add(&mut self, uid: &str, priority: i32, now: SimTime) {
        if self.entries.contains_key(uid) {
            return;
        }
        self.seq += 1;
        let e = Entry { priority, queued_at: now, attempts: 0, seq: self.seq, at: Where::Active };
        self.active.insert((Reverse(priority), now, e.seq, uid.to_string()));
        self.entries.insert(uid.to_string(), e);
    }

    /// A pod whose binding failed goes (back) to backoffQ.
    pub fn add_after_error(&mut self, uid: &str, priority: i32, now: SimTime) {
        if !self.entries.contains_key(uid) {
            self.seq += 1;
            self.entries.insert(uid.to_string(), Entry { priority, queued_at: now, attempts: 1, seq: self.seq, at: Where::InFlight });
        }
        self.failed(uid, false, now);
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
                Where::Unschedulable(_) => self.unschedulable -= 1,
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

    fn backoff_duration(attempts: u32) -> SimDuration {
        let mut d = INITIAL_BACKOFF;
        for _ in 1..attempts {
            d = d.times(2);
            if d >= MAX_BACKOFF {
                return MAX_BACKOFF;
            }
        }
        d
    }

    /// An attempt failed: unschedulable pods wait for a cluster event (or the flush);
    /// errors go to backoffQ.
    pub fn failed(&mut self, uid: &str, unschedulable: bool, now: SimTime) {
        let Some(e) = self.entries.get_mut(uid) else { return };
        if unschedulable {
            e.at = Where::Unschedulable(now);
            self.unschedulable += 1;
        } else {
            let until = now + Self::backoff_duration(e.attempts);
            e.at = Where::Backoff(until);
            self.backoff.insert((until, e.seq, uid.to_string()));
        }
    }

    /// A cluster event that may make pods schedulable: unschedulable pods move to
    /// activeQ, or to backoffQ while their backoff has not expired.
    pub fn move_all_to_active_or_backoff(&mut self, now: SimTime) {
        if self.unschedulable == 0 {
            return;
        }
        let moving: Vec<String> = self.entries.iter().filter(|(_, e)| matches!(e.at, Where::Unschedulable(_))).map(|(k, _)| k.clone()).collect();
        for uid in moving {
            self.requeue(&uid, now);
        }
    }

    fn requeue(&mut self, uid: &str, now: SimTime) {
        let Some(e) = self.entries.get_mut(uid) else { return };
        let Where::Unschedulable(failed_at) = e.at else { return };
        self.unschedulable -= 1;
        let until = failed_at + Self::backoff_duration(e.attempts);
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
            .map(|(k, _)| k.clone())
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
        assert_eq!(SchedulingQueue::backoff_duration(1), SimDuration::from_secs(1));
        assert_eq!(SchedulingQueue::backoff_duration(2), SimDuration::from_secs(2));
        assert_eq!(SchedulingQueue::backoff_duration(4), SimDuration::from_secs(8));
        assert_eq!(SchedulingQueue::backoff_duration(5), SimDuration::from_secs(10));
        assert_eq!(SchedulingQueue::backoff_duration(50), SimDuration::from_secs(10));
    }

    #[test]
    fn unschedulable_pods_wait_for_an_event_or_the_flush() {
        let mut q = SchedulingQueue::default();
        q.add("a", 0, SimTime(0));
        assert_eq!(q.pop().as_deref(), Some("a"));
        q.failed("a", true, SimTime(0));
        assert_eq!(q.pop(), None);
        q.flush(SimTime::from_secs(100));
        assert_eq!(q.pop(), None, "not yet five minutes");
        q.move_all_to_active_or_backoff(SimTime::from_secs(200));
        assert_eq!(q.pop().as_deref(), Some("a"));
        q.failed("a", true, SimTime::from_secs(200));
        q.flush(SimTime::from_secs(500));
        assert_eq!(q.pop().as_deref(), Some("a"), "flushed after five minutes");
    }
}
