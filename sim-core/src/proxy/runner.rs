//! When kube-proxy syncs its rules: pkg/util/async/bounded_frequency_runner.go
//! (BoundedFrequencyRunner.Run, tryRun), as the iptables proxier builds it
//! (NewBoundedFrequencyRunner("sync-runner", proxier.syncProxyRules, minSyncPeriod,
//! time.Hour, burstSyncs = 2)).
//!
//! A request runs the sync at once if the token bucket (one token per minSyncPeriod,
//! burst 2) has a token; otherwise the sync is scheduled for minSyncPeriod after the
//! last run (or sooner if already scheduled sooner). Requests while one is scheduled
//! fold into it. The periodic run (maxInterval, one hour) re-applies rules that have not
//! changed, so it is not simulated.

use crate::engine::{SimDuration, SimTime};

/// burstSyncs in pkg/proxy/iptables/proxier.go.
pub const BURST_SYNCS: u64 = 2;

#[derive(Clone, Debug)]
pub struct Runner {
    min_interval: SimDuration,
    /// Milliseconds of refill in the bucket: a token is `min_interval` worth.
    fill_ms: u64,
    refilled_at: SimTime,
    last_run: Option<SimTime>,
    /// The time a sync is scheduled for, if one is.
    pub scheduled: Option<SimTime>,
}

/// What a request for a sync leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Sync now.
    Run,
    /// Arm a timer for this moment (none was armed, or it was later).
    Schedule(SimTime),
    /// A sync is already scheduled soon enough.
    Wait,
}

impl Runner {
    /// A runner whose bucket starts full (flowcontrol's token bucket does).
    pub fn new(min_interval: SimDuration, now: SimTime) -> Self {
        Runner { min_interval, fill_ms: BURST_SYNCS * min_interval.as_ms(), refilled_at: now, last_run: None, scheduled: None }
    }

    /// tryRun: a change was seen (or a scheduled timer fired) at `now`.
    pub fn try_run(&mut self, now: SimTime) -> Decision {
        let cap = BURST_SYNCS * self.min_interval.as_ms();
        self.fill_ms = (self.fill_ms + now.since(self.refilled_at).as_ms()).min(cap);
        self.refilled_at = now;
        if self.fill_ms >= self.min_interval.as_ms() {
            self.fill_ms -= self.min_interval.as_ms();
            self.last_run = Some(now);
            self.scheduled = None;
            return Decision::Run;
        }
        // "It can't run right now, figure out when it can run next."
        let last = self.last_run.unwrap_or(now);
        let next_possible = last + self.min_interval;
        match self.scheduled {
            Some(t) if t <= next_possible => Decision::Wait,
            _ => {
                self.scheduled = Some(next_possible);
                Decision::Schedule(next_possible)
            }
        }
    }

    /// A timer armed for `at` fired: whether it is the one still scheduled.
    pub fn is_due(&self, at: SimTime) -> bool {
        self.scheduled == Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two changes in a row sync at once (burst 2); a third within the second waits for
    /// minSyncPeriod after the last run, and later changes fold into that sync
    /// (bounded_frequency_runner_test.go Test_BoundedFrequencyRunnerBurst's shape).
    #[test]
    fn bursts_of_two_then_one_per_min_sync_period() {
        let s = SimDuration::from_secs(1);
        let mut r = Runner::new(s, SimTime(0));
        assert_eq!(r.try_run(SimTime(100)), Decision::Run);
        assert_eq!(r.try_run(SimTime(200)), Decision::Run);
        assert_eq!(r.try_run(SimTime(300)), Decision::Schedule(SimTime(1200)));
        assert_eq!(r.try_run(SimTime(900)), Decision::Wait);
        assert!(r.is_due(SimTime(1200)));
        assert_eq!(r.try_run(SimTime(1200)), Decision::Run, "a token came back a period after the first run");
        assert_eq!(r.try_run(SimTime(1300)), Decision::Schedule(SimTime(2200)));
        // After a quiet spell the bucket is full again.
        assert_eq!(r.try_run(SimTime(10_000)), Decision::Run);
        assert_eq!(r.try_run(SimTime(10_001)), Decision::Run);
    }
}
