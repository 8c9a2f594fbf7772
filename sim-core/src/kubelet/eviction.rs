//! The kubelet's node-pressure eviction for memory (pkg/kubelet/eviction:
//! eviction_manager.go synchronize and Admit, helpers.go rankMemoryPressure and
//! evictionMessage).
//!
//! Every monitoring period (evictionMonitoringPeriod, 10 s — ksim looks with each lease
//! renewal, on the same 10 s grid) the manager observes `memory.available`: the node's
//! memory capacity less the working set of what runs on it. When that is below the hard
//! threshold `memory.available<100Mi` (the kubelet's default evictionHard) the node has
//! MemoryPressure, and keeps it until the threshold has not been met for
//! evictionPressureTransitionPeriod (5 min). While the threshold is met the manager
//! evicts one pod per synchronize: the active pods ranked by rankMemoryPressure —
//! first those whose usage exceeds their memory request, then lower priority first,
//! then by usage above the request, largest first — and the first that is not critical
//! (priority ≥ system-cluster-critical's) is killed with the hard threshold's grace
//! period (immediateEvictionGracePeriodSeconds, 1 s): a Warning `Evicted` event, and the
//! pod Failed with reason `Evicted`, the message of evictionMessage and a DisruptionTarget
//! condition (TerminationByKubelet). After an eviction the manager waits for the pod's
//! cleanup (polled every second) and synchronizes again at once rather than after the
//! period: ksim looks again 2 s later (the 1 s grace, then one poll).
//!
//! A soft threshold (KubeletConfiguration's evictionSoft, with evictionSoftGracePeriod)
//! sets MemoryPressure as soon as it is met (nodeConditions comes from the thresholds
//! met, before grace periods), but evicts only once it has been met continuously for its
//! grace period (thresholdsFirstObservedAt, thresholdsMetGracePeriod); a soft eviction's
//! grace period is min(evictionMaxPodGracePeriod, the pod's terminationGracePeriodSeconds)
//! (eviction_manager.go, AllowOverwriteTerminationGracePeriodSeconds off by default), and
//! its message quotes the soft threshold. A node pool sets them under `kubelet:`; the
//! hard threshold is configurable there too.
//!
//! Admission (Admit): under MemoryPressure a BestEffort pod that does not tolerate the
//! `node.kubernetes.io/memory-pressure` NoSchedule taint is rejected, reason `Evicted`,
//! "The node had condition: [MemoryPressure]. ".
//!
//! Containers run no code: a pod's working set is its first container's
//! `ksim.dev/memory-usage` at the time (from each start of the container); pods without
//! it use nothing, and nothing else on the node uses memory. Sort ties keep the pods'
//! order by uid (upstream's sort.Sort leaves them in no set order).

use super::pod_workers::{Phase, Worker};
use super::{Kubelet, Timer};
use crate::api::pod::Pod;
use crate::api::quantity::Quantity;
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};

/// The kubelet's default hard eviction threshold for memory.available.
pub const MEMORY_AVAILABLE_THRESHOLD: i64 = 100 << 20;
/// evictionPressureTransitionPeriod's default.
pub const PRESSURE_TRANSITION_PERIOD: SimDuration = SimDuration::from_secs(300);
/// immediateEvictionGracePeriodSeconds: the grace period of a hard-threshold eviction.
pub const EVICTION_GRACE: SimDuration = SimDuration::from_secs(1);
/// waitForPodsCleanup's poll (podCleanupPollFreq): after an eviction the manager looks
/// again once the grace period and one poll have passed.
const CLEANUP_POLL: SimDuration = SimDuration::from_secs(1);
/// scheduling.SystemCriticalPriority: pods at or above it are never evicted.
const SYSTEM_CRITICAL_PRIORITY: i32 = 2_000_000_000;
use crate::controller_manager::node_lifecycle::TAINT_MEMORY_PRESSURE;

/// What the eviction manager remembers between synchronizes.
#[derive(Clone, Debug, Default)]
pub(super) struct EvictionState {
    /// When the threshold was last observed met (nodeConditionsLastObservedAt).
    pub(super) last_met: Option<SimTime>,
    /// An extra synchronize is due (after an eviction).
    pub(super) resync_pending: bool,
    /// When the soft threshold was first observed met, in its current run of being met
    /// (thresholdsFirstObservedAt).
    pub(super) soft_first_met: Option<SimTime>,
}

/// A node's eviction thresholds for memory.available (KubeletConfiguration).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EvictionConfig {
    /// evictionHard's memory.available, in bytes.
    pub hard: i64,
    /// evictionSoft's memory.available and its evictionSoftGracePeriod.
    pub soft: Option<(i64, SimDuration)>,
    /// evictionMaxPodGracePeriod, in seconds (default 0).
    pub max_pod_grace_seconds: i64,
}

impl Default for EvictionConfig {
    fn default() -> Self {
        EvictionConfig { hard: MEMORY_AVAILABLE_THRESHOLD, soft: None, max_pod_grace_seconds: 0 }
    }
}

/// The pod's memory request: the sum of its containers' (podRequest for memory).
fn memory_request(p: &Pod) -> i64 {
    p.spec.containers.iter().filter_map(|c| c.resources.requests.get("memory")).map(Quantity::value).fold(0i64, i64::saturating_add)
}

fn is_best_effort(p: &Pod) -> bool {
    p.spec.init_containers.iter().chain(p.spec.containers.iter()).all(|c| c.resources.requests.is_empty() && c.resources.limits.is_empty())
}

impl Kubelet {
    /// A running pod's working set now: its memory-usage step in force since the
    /// container started.
    pub(super) fn working_set(&self, uid: &str, now: SimTime) -> i64 {
        self.workers.get(uid).map_or(0, |w| worker_working_set(w, now))
    }

    /// memory.available: capacity less every running pod's working set.
    pub(super) fn memory_available(&self, now: SimTime) -> i64 {
        // Saturating: declared usages may be absurd (`5Ei` twice).
        let used = self.workers.values().map(|w| worker_working_set(w, now)).fold(0i64, i64::saturating_add);
        self.spec.memory.value().saturating_sub(used)
    }

    /// Whether any pod here declares a memory use (otherwise there is nothing to watch).
    fn watches_memory(&self) -> bool {
        let watches = self.workers.values().any(|w| w.declares_memory);
        debug_assert_eq!(watches, self.workers.values().any(|w| super::pod_workers::declares_memory(&w.pod)), "a worker's pod was set without set_pod");
        watches
    }

    /// The MemoryPressure condition: the threshold met within the transition period.
    pub(super) fn memory_pressure(&self, now: SimTime) -> bool {
        self.eviction.last_met.is_some_and(|t| now.since(t) < PRESSURE_TRANSITION_PERIOD)
    }

    /// synchronize: observe, update the condition, evict at most one pod.
    pub(super) fn synchronize_eviction(&mut self, ctx: &mut Ctx) {
        self.eviction.resync_pending = false;
        if self.pods_paused() || !self.watches_memory() {
            return;
        }
        let now = ctx.now;
        let available = self.memory_available(now);
        let config = self.spec.eviction;
        let hard_met = available < config.hard;
        let soft_met = config.soft.is_some_and(|(t, _)| available < t);
        if !soft_met {
            self.eviction.soft_first_met = None;
        }
        if !hard_met && !soft_met {
            return;
        }
        self.eviction.last_met = Some(now);
        // The threshold that drives eviction: the hard one when met; the soft one once
        // met for its whole grace period.
        let (threshold, grace) = if hard_met {
            (config.hard, None)
        } else {
            let first = *self.eviction.soft_first_met.get_or_insert(now);
            let (t, period) = config.soft.expect("soft threshold met");
            if now.since(first) < period {
                return;
            }
            (t, Some(config.max_pod_grace_seconds))
        };
        // rankMemoryPressure over the active pods (those not terminated or terminating).
        let mut ranked: Vec<(bool, i32, i64, String)> = self
            .workers
            .iter()
            .filter(|(_, w)| !matches!(w.phase, Phase::Done | Phase::Killing))
            .filter_map(|(uid, w)| {
                let p = w.pod.as_pod()?;
                let usage = worker_working_set(w, now);
                let request = memory_request(p);
                Some((usage > request, p.spec.priority.unwrap_or(0), usage.saturating_sub(request), uid.to_string()))
            })
            .collect();
        ranked.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)).then(b.2.cmp(&a.2)));
        let Some(uid) = ranked.into_iter().filter(|r| r.1 < SYSTEM_CRITICAL_PRIORITY).map(|r| r.3).next() else { return };
        let message = self.eviction_message(&uid, threshold, available, now);
        let grace = match grace {
            None => EVICTION_GRACE,
            Some(max) => {
                let pod_grace = self.workers.get(&uid).and_then(|w| w.pod.as_pod()).and_then(|p| p.spec.termination_grace_period_seconds).unwrap_or(30);
                // calculateEffectiveGracePeriod (pod_workers.go): "no matter what, we
                // always supply a grace period of 1".
                SimDuration::from_secs(max.min(pod_grace).max(1) as u64)
            }
        };
        self.evict(&uid, message, grace, ctx);
        self.eviction.resync_pending = true;
        // waitForPodsCleanup: the grace period, then its 1 s poll.
        let after = SimDuration::from_ms(grace.as_ms() + CLEANUP_POLL.as_ms());
        ctx.after(after, Timer::EvictionSync { generation: self.process });
    }

    /// evictionMessage for memory: the threshold and what was available, then each
    /// container using more than its request.
    fn eviction_message(&self, uid: &str, threshold: i64, available: i64, now: SimTime) -> String {
        let mut m = format!(
            "The node was low on resource: memory. Threshold quantity: {}, available: {}. ",
            Quantity::from_bytes(threshold),
            Quantity::from_bytes(available)
        );
        let Some(p) = self.workers.get(uid).and_then(|w| w.pod.as_pod()) else { return m };
        // The working set is the first container's (ksim.dev/memory-usage).
        if let Some(c) = p.spec.containers.first() {
            let usage = self.working_set(uid, now);
            let request = c.resources.requests.get("memory").cloned().unwrap_or_else(|| Quantity::from_value(0));
            if usage > request.value() {
                m.push_str(&format!(
                    "Container {} was using {}, request is {request}, has larger consumption of memory. ",
                    c.name,
                    Quantity::from_bytes(usage)
                ));
            }
        }
        m
    }

    /// evictPod: the Evicted event, then the pod killed within `grace` (the hard
    /// threshold's, or a soft one's); its status is posted Failed once its containers are
    /// gone.
    fn evict(&mut self, uid: &str, message: String, grace: SimDuration, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.rare.evicted = Some(message.clone());
        // Its exit: SIGTERM's within the grace period (143), or SIGKILL's (137).
        w.rare.kill_exit = Some(super::pod_workers::exit_on_kill(w.behaviour.termination, grace));
        let pod = w.pod.clone();
        self.event(&pod, "Warning", "Evicted", &message, ctx);
        self.begin_kill_within(uid, grace, ctx);
    }

    /// Admit: under MemoryPressure, a BestEffort pod that does not tolerate the
    /// memory-pressure taint is refused.
    pub(super) fn eviction_admit(&self, p: &Pod, now: SimTime) -> Option<super::lifecycle::Rejection> {
        if !self.memory_pressure(now) || !is_best_effort(p) {
            return None;
        }
        let taint = crate::api::node::Taint { key: TAINT_MEMORY_PRESSURE.into(), value: String::new(), effect: "NoSchedule".into(), time_added: None };
        if p.spec.tolerations.iter().any(|t| t.tolerates(&taint)) {
            return None;
        }
        Some(super::lifecycle::Rejection { reason: "Evicted".into(), message: "The node had condition: [MemoryPressure]. ".into() })
    }
}

/// A running pod's working set now: its memory-usage step in force since the container
/// started.
fn worker_working_set(w: &Worker, now: SimTime) -> i64 {
    let (Phase::Running | Phase::Killing, Some(started)) = (w.phase, w.started_at.get()) else { return 0 };
    if w.phase == Phase::Killing && w.sigterm_at.get().is_some_and(|t| now >= t) {
        return 0;
    }
    let Some(p) = w.pod.as_pod() else { return 0 };
    let Some(v) = p.metadata.annotations.get(super::annotations::MEMORY_USAGE) else { return 0 };
    let steps = super::annotations::memory_usage(v).unwrap_or_default();
    crate::usage::at(&steps, now.since(started))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_message_is_upstreams() {
        // evictionMessage's fragments (helpers.go): nodeLowMessageFmt,
        // thresholdMetMessageFmt, containerMessageFmt, with the quantities' canonical
        // BinarySI forms.
        let m = format!(
            "The node was low on resource: memory. Threshold quantity: {}, available: {}. ",
            Quantity::from_bytes(MEMORY_AVAILABLE_THRESHOLD),
            Quantity::from_bytes(72 << 20)
        );
        assert_eq!(m, "The node was low on resource: memory. Threshold quantity: 100Mi, available: 72Mi. ");
    }
}
