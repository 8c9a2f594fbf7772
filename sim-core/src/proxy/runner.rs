//! When kube-proxy syncs its rules: pkg/proxy/runner/bounded_frequency_runner.go (v1.34;
//! PR #131615 replaced pkg/util/async's token-bucket runner, dropping its burst of 2), as
//! the iptables proxier builds it (NewBoundedFrequencyRunner("sync-runner",
//! proxier.syncProxyRules, minSyncPeriod, syncPeriod, FullSyncPeriod)).
//!
//! Loop: a `Run()` runs the sync; then at least minInterval passes ("between the
//! completion of one execution and the start of the next") before the next one; a
//! `Run()` during that cooldown is queued (a channel of one: further ones fold into it)
//! and runs when the cooldown ends. A sync takes no simulated time here, so it completes
//! as it starts. The periodic run (maxInterval, an hour) re-applies rules that have not
//! changed and the retry after a failed sync never happens here (syncs do not fail), so
//! neither is simulated.

use crate::engine::{SimDuration, SimTime};

#[derive(Clone, Debug)]
pub struct Runner {
    min_interval: SimDuration,
    /// The end of the cooldown after the last run.
    cooldown_until: Option<SimTime>,
    /// A run is queued for the end of the cooldown.
    pending: bool,
}

/// What a request for a sync leads to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Sync now.
    Run,
    /// Queued: arm a timer for the end of the cooldown.
    Schedule(SimTime),
    /// Already queued.
    Wait,
}

impl Runner {
    pub fn new(min_interval: SimDuration) -> Self {
        Runner { min_interval, cooldown_until: None, pending: false }
    }

    /// Run(): a change was seen at `now`.
    pub fn run(&mut self, now: SimTime) -> Decision {
        match self.cooldown_until {
            Some(until) if now < until => {
                if self.pending {
                    Decision::Wait
                } else {
                    self.pending = true;
                    Decision::Schedule(until)
                }
            }
            _ => {
                self.ran(now);
                Decision::Run
            }
        }
    }

    /// The cooldown timer armed for `at` fired: whether the queued run goes now.
    pub fn cooldown_over(&mut self, at: SimTime) -> bool {
        if self.pending && self.cooldown_until == Some(at) {
            self.pending = false;
            self.ran(at);
            true
        } else {
            false
        }
    }

    fn ran(&mut self, now: SimTime) {
        self.cooldown_until = Some(now + self.min_interval);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// bounded_frequency_runner_test.go's shape: a run, then Run() calls within
    /// minInterval fold into one run when the interval has passed; a Run() after a quiet
    /// spell runs at once.
    #[test]
    fn runs_at_most_once_per_min_interval_and_folds_requests() {
        let mut r = Runner::new(SimDuration::from_secs(1));
        assert_eq!(r.run(SimTime(100)), Decision::Run);
        assert_eq!(r.run(SimTime(200)), Decision::Schedule(SimTime(1100)));
        assert_eq!(r.run(SimTime(900)), Decision::Wait, "folded into the queued run");
        assert!(r.cooldown_over(SimTime(1100)));
        assert_eq!(r.run(SimTime(1500)), Decision::Schedule(SimTime(2100)), "the queued run started a new cooldown");
        assert!(r.cooldown_over(SimTime(2100)));
        assert!(!r.cooldown_over(SimTime(3100)), "nothing queued: the timer does nothing");
        assert_eq!(r.run(SimTime(5000)), Decision::Run, "after a quiet spell a change syncs at once");
    }
}
