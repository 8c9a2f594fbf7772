//! The container runtime's cgroup driver against the kubelet's (the setup chapter's
//! `SystemdCgroup = true` in containerd's config.toml).
//!
//! Since KubeletCgroupDriverFromCRI (KEP-4033; GA and locked on in v1.34) the kubelet asks
//! the runtime which driver it uses (the CRI RuntimeConfig call) and takes its answer
//! (cmd/kubelet/app/server.go getCgroupDriverFromCRI: "Using cgroup driver setting
//! received from the CRI runtime"). containerd answers from 2.0 on (containerd#8722); an
//! older one answers Unimplemented and the kubelet falls back to its own configuration —
//! `systemd`, kubeadm's default since v1.22 — logging "CRI implementation should be
//! updated to support RuntimeConfig …". If that containerd runs runc with cgroupfs
//! (`SystemdCgroup = false`, `containerd config default`'s value), the two disagree: the
//! pods' cgroups are made twice, by systemd and by runc, and the sandboxes die again and
//! again. The kubelet then finds each pod's sandbox not ready (computePodActions'
//! podSandboxChanged), records `SandboxChanged` "Pod sandbox changed, it will be killed
//! and re-created." (kuberuntime_manager.go SyncPod), stops the containers, makes a new
//! sandbox — a new address — and starts them in it: the restart count grows.
//!
//! When a sandbox dies is not something upstream decides (it is when systemd reconciles
//! the slices it manages), and reports describe restarts every few minutes, irregularly:
//! ksim's choice is a lifetime between 1 and 5 minutes, drawn from the pod's uid and its
//! restart count (no random stream of its own, so runs without the mismatch are
//! unchanged).

use super::pod_workers::{exit_on_kill, Phase, PodStep};
use super::Kubelet;
use crate::client::Ctx;
use crate::engine::SimDuration;

/// The shortest and longest lifetime of a sandbox on a node whose drivers disagree.
const MIN_LIFETIME: SimDuration = SimDuration::from_secs(60);
const MAX_LIFETIME: SimDuration = SimDuration::from_secs(300);

/// A sandbox's lifetime: FNV-1a over the pod's uid and its restart count.
fn lifetime(uid: &str, restarts: i32) -> SimDuration {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in uid.bytes().chain(restarts.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let span = MAX_LIFETIME.as_ms() - MIN_LIFETIME.as_ms() + 1;
    SimDuration::from_ms(MIN_LIFETIME.as_ms() + h % span)
}

impl Kubelet {
    /// The containers run in a new sandbox: on a node whose drivers disagree, when it dies.
    pub(super) fn schedule_sandbox_change(&mut self, uid: &str, ctx: &mut Ctx) {
        if !self.spec.cgroup_mismatch {
            return;
        }
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.rare.sandbox_change_at.is_some() {
            return;
        }
        let d = lifetime(uid, w.restarts);
        w.rare.sandbox_change_at = Some(ctx.now + d);
        self.timer(uid, d, PodStep::SandboxChanged, ctx);
    }

    /// The sandbox died: SyncPod records SandboxChanged, kills the pod's containers
    /// (killPodWithSyncResult: "Stopping container NAME", within the grace period) and
    /// then makes a new sandbox (container_exited, `resandbox`).
    pub(super) fn sandbox_changed(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        // Due now, or earlier when the step was held while the kubelet or the runtime
        // was stopped (a later chain's step is not due yet).
        if w.rare.sandbox_change_at.is_none_or(|t| t > ctx.now) {
            return;
        }
        if let Some(r) = w.rare.existing() {
            r.sandbox_change_at = None;
        }
        if w.phase != Phase::Running {
            // Not running now (exited, killed, being deleted): the next start schedules
            // its own.
            return;
        }
        if w.rare.kill_exit.is_some() {
            // A kill is under way (liveness, startup, a definition change): its exit
            // makes the new sandbox.
            w.resandbox = true;
            return;
        }
        let pod = w.pod.clone();
        let Some(p) = pod.as_pod() else { return };
        let grace = SimDuration::from_secs(p.spec.termination_grace_period_seconds.unwrap_or(30).max(0) as u64);
        let stop = w.behaviour.termination;
        w.rare.kill_exit = Some(exit_on_kill(stop, grace));
        w.resandbox = true;
        self.event(&pod, "Normal", "SandboxChanged", "Pod sandbox changed, it will be killed and re-created.", ctx);
        for c in p.spec.containers.iter() {
            self.event(&pod, "Normal", "Killing", &format!("Stopping container {}", c.name), ctx);
        }
        self.timer(uid, stop.min(grace), PodStep::ContainerExited, ctx);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_stay_between_one_and_five_minutes_and_change_with_each_restart() {
        let uid = "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9";
        let all: Vec<SimDuration> = (0..200).map(|r| lifetime(uid, r)).collect();
        assert!(all.iter().all(|d| *d >= MIN_LIFETIME && *d <= MAX_LIFETIME));
        assert!(all.windows(2).any(|w| w[0] != w[1]));
        assert_eq!(lifetime(uid, 3), lifetime(uid, 3));
    }
}
