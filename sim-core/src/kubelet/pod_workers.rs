//! One worker per admitted pod (upstream pod_workers.go, with the container runtime's
//! part of kuberuntime): sandbox (an IP from the node's pod CIDR) → image pulls → the
//! containers started → ready (after the readiness probe's initialDelaySeconds) → exit,
//! then restart with CrashLoopBackOff or stay terminated as restartPolicy says; or, once
//! the pod is deleted, termination within its grace period.
//!
//! Differences from upstream: all containers of a pod start, run and stop together; a
//! step takes the `ksim.dev/...` annotation's time and never fails (except a pod CIDR
//! with no IP left).

use super::annotations::{self, PodBehaviour};
use super::{Kubelet, Timer};
use crate::api::Object;
use crate::apiserver::Request;
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};
use std::rc::Rc;

/// CrashLoopBackOff: 10 s doubling to 300 s.
pub const BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(10);
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(300);

/// The stages a pod worker goes through.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PodStep {
    SandboxReady,
    ImagesPulled,
    ContainersStarted,
    ReadinessProbe,
    ContainerExited,
    Restart,
    Killed,
}

/// Where a worker is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Creating,
    Pulling,
    Starting,
    Running,
    BackOff,
    Done,
    Killing,
}

pub(super) struct Worker {
    pub(super) pod: Rc<Object>,
    pub(super) phase: Phase,
    pub(super) ip: Option<u32>,
    /// (milli-cpu, memory bytes) requested, for admission.
    pub(super) requests: (i64, i64),
    pub(super) restarts: i32,
    pub(super) ready: bool,
    pub(super) started_at: Option<SimTime>,
    /// The last exit: (exit code, started, finished).
    pub(super) last_exit: Option<(i32, SimTime, SimTime)>,
    pub(super) exit_code: Option<i32>,
    pub(super) behaviour: PodBehaviour,
    /// Images whose pull this pod started.
    pub(super) pulled: Vec<String>,
}

impl Kubelet {
    /// An admitted pod: a worker, its first status, and the sandbox started (once the
    /// node has its pod CIDR).
    pub(super) fn add_worker(&mut self, obj: &Rc<Object>, ctx: &mut Ctx) {
        let p = obj.as_pod().expect("pod");
        let r = p.spec.requests();
        let uid = p.metadata.uid.clone();
        let behaviour = PodBehaviour::of(p);
        self.workers.insert(
            uid.clone(),
            Worker {
                pod: obj.clone(),
                phase: Phase::Creating,
                ip: None,
                requests: (r.milli_cpu, r.memory),
                restarts: 0,
                ready: false,
                started_at: None,
                last_exit: None,
                exit_code: None,
                behaviour,
                pulled: Vec::new(),
            },
        );
        self.sync_status(&uid, ctx);
        if self.ipam.is_some() {
            let d = self.workers[&uid].behaviour.sandbox;
            self.timer(&uid, d, PodStep::SandboxReady, ctx);
        }
    }

    pub(super) fn timer(&self, uid: &str, d: SimDuration, step: PodStep, ctx: &mut Ctx) {
        ctx.after(d, Timer::PodStep { generation: self.generation, uid: Rc::from(uid), step });
    }

    pub(super) fn release_ip(&mut self, ip: Option<u32>) {
        if let (Some(ip), Some(a)) = (ip, self.ipam.as_mut()) {
            a.release(ip);
        }
    }

    pub(super) fn step(&mut self, uid: &str, step: PodStep, ctx: &mut Ctx) {
        if !self.workers.contains_key(uid) {
            return;
        }
        match step {
            PodStep::SandboxReady => self.sandbox_ready(uid, ctx),
            PodStep::ImagesPulled => self.images_pulled(uid, ctx),
            PodStep::ContainersStarted => self.containers_started(uid, ctx),
            PodStep::ReadinessProbe => self.readiness_probe(uid, ctx),
            PodStep::ContainerExited => self.container_exited(uid, ctx),
            PodStep::Restart => self.restart(uid, ctx),
            PodStep::Killed => self.killed(uid, ctx),
        }
    }

    /// The sandbox is up: it gets an IP (host-local IPAM), then images are pulled or the
    /// containers started.
    fn sandbox_ready(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Creating {
            return;
        }
        if w.ip.is_none() {
            let Some(a) = self.ipam.as_mut() else { return };
            match a.allocate() {
                Some(ip) => w.ip = Some(ip),
                None => {
                    let pod = w.pod.clone();
                    let msg = "Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set";
                    self.event(&pod, "Warning", "FailedCreatePodSandBox", msg, ctx);
                    self.timer(uid, SimDuration::from_secs(10), PodStep::SandboxReady, ctx);
                    return;
                }
            }
        }
        let pod = w.pod.clone();
        let pulls = self.images.to_pull(pod.as_pod().expect("pod"));
        let w = self.workers.get_mut(uid).expect("worker");
        if pulls.is_empty() {
            w.phase = Phase::Starting;
            let d = w.behaviour.startup;
            self.sync_status(uid, ctx);
            self.timer(uid, d, PodStep::ContainersStarted, ctx);
        } else {
            w.phase = Phase::Pulling;
            let (ready_at, started) = self.images.pull(pulls, ctx.now, w.behaviour.image_pull);
            w.pulled = started;
            self.sync_status(uid, ctx);
            self.timer(uid, ready_at.since(ctx.now), PodStep::ImagesPulled, ctx);
        }
    }

    /// Every image the pod needs is on the node: record the ones it pulled, start the
    /// containers.
    fn images_pulled(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Pulling {
            return;
        }
        w.phase = Phase::Starting;
        let d = w.behaviour.startup;
        let pull = w.behaviour.image_pull;
        let pod = w.pod.clone();
        let pulled = std::mem::take(&mut w.pulled);
        let size = pod
            .as_pod()
            .and_then(|p| p.metadata.annotations.get(annotations::IMAGE_SIZE))
            .and_then(|v| crate::api::quantity::Quantity::parse(v).ok())
            .map(|q| q.value());
        for image in pulled {
            self.images.pulled(&image, size);
            self.event(&pod, "Normal", "Pulled", &format!("Successfully pulled image {image:?} in {pull}"), ctx);
        }
        self.images.finish_pulls(ctx.now);
        self.timer(uid, d, PodStep::ContainersStarted, ctx);
    }

    /// The containers run: ready now or after the readiness delay; they exit after the
    /// run duration, if any.
    fn containers_started(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Starting {
            return;
        }
        w.phase = Phase::Running;
        w.started_at = Some(ctx.now);
        let delay = w.behaviour.readiness_delay;
        w.ready = delay.is_none();
        let run = w.behaviour.run;
        if let Some(d) = delay {
            self.timer(uid, d, PodStep::ReadinessProbe, ctx);
        }
        if let Some(d) = run {
            self.timer(uid, d, PodStep::ContainerExited, ctx);
        }
        self.sync_status(uid, ctx);
    }

    fn readiness_probe(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase == Phase::Running && !w.ready {
            w.ready = true;
            self.sync_status(uid, ctx);
        }
    }

    /// The containers exited with the pod's exit code: restart (restartPolicy Always, or
    /// OnFailure with a non-zero code) after the back-off, or stay terminated.
    fn container_exited(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Running {
            return;
        }
        let code = w.behaviour.exit_code;
        w.last_exit = Some((code, w.started_at.unwrap_or(ctx.now), ctx.now));
        w.ready = false;
        let policy = w.pod.as_pod().map_or("Always".to_string(), |p| p.spec.restart_policy.clone());
        let restart = policy == "Always" || (policy == "OnFailure" && code != 0);
        if restart {
            // The first restart is immediate; then 10 s, 20 s, … up to 300 s.
            let delay = if w.restarts == 0 { SimDuration::ZERO } else { BACKOFF_INITIAL.times(1u64 << (w.restarts - 1).min(5)).min(BACKOFF_MAX) };
            w.restarts += 1;
            w.phase = Phase::BackOff;
            self.sync_status(uid, ctx);
            self.timer(uid, delay, PodStep::Restart, ctx);
        } else {
            w.phase = Phase::Done;
            w.exit_code = Some(code);
            let ip = w.ip.take();
            self.sync_status(uid, ctx);
            // A terminal pod keeps no sandbox: its IP goes back to the pool.
            self.release_ip(ip);
        }
    }

    fn restart(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase == Phase::BackOff {
            w.phase = Phase::Starting;
            let d = w.behaviour.startup;
            self.timer(uid, d, PodStep::ContainersStarted, ctx);
        }
    }

    /// The pod is being deleted: stop its containers (SIGTERM, then SIGKILL at the end of
    /// the grace period); a pod whose containers never ran goes at once.
    pub(super) fn begin_kill(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let was_running = matches!(w.phase, Phase::Running | Phase::Starting | Phase::BackOff);
        w.phase = Phase::Killing;
        let grace = w.pod.as_pod().and_then(|p| p.metadata.deletion_grace_period_seconds).unwrap_or(30).max(0) as u64;
        let d = if was_running { w.behaviour.termination.min(SimDuration::from_secs(grace)) } else { SimDuration::ZERO };
        let pod = w.pod.clone();
        if was_running {
            let names: Vec<String> = pod.as_pod().map(|p| p.spec.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
            for n in names {
                self.event(&pod, "Normal", "Killing", &format!("Stopping container {n}"), ctx);
            }
        }
        self.timer(uid, d, PodStep::Killed, ctx);
    }

    /// The containers are gone: free the IP and finish the deletion (grace period 0).
    fn killed(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Killing {
            return;
        }
        let key = w.pod.key();
        let ip = w.ip.take();
        w.phase = Phase::Done;
        self.release_ip(ip);
        ctx.request(Request::Delete { key, grace_period_seconds: Some(0), uid: Some(uid.to_string()) });
    }
}
