//! One worker per admitted pod (upstream pod_workers.go, with the container runtime's
//! part of kuberuntime): sandbox (an IP from the node's pod CIDR) → image pulls → the
//! containers started → ready (after the readiness probe's initialDelaySeconds) → exit,
//! then restart with CrashLoopBackOff or stay terminated as restartPolicy says; or, once
//! the pod is deleted, termination within its grace period.
//!
//! Restarts follow kuberuntime's doBackOff with the kubelet's crash-loop
//! `flowcontrol.Backoff` (initialCrashLoopBackOff 10 s, MaxContainerBackOff 300 s, reset
//! when a container ran for more than 600 s since the last restart): an exit with no
//! back-off entry (the first one) restarts at once and creates the entry; an exit inside
//! the back-off window waits, in CrashLoopBackOff, until `finishedAt + backoff`; each
//! restart doubles the entry. The restart count goes up when the new container is created
//! (kuberuntime_container.go startContainer: the dead container's restartCount + 1).
//!
//! Init containers (kuberuntime's computeInitContainerActions) run one at a time, in
//! order, after the sandbox and the images: each is created and started (`Created`,
//! `Started`), runs for its command's sleeps (else [`annotations::INIT_RUN`]) and exits
//! 0; a restartable one (a sidecar, `restartPolicy: Always`) counts as done once started
//! and keeps running beside the app containers, which start once every init container
//! has. Until then the pod is Pending with Initialized False (ContainersNotInitialized).
//!
//! Differences from upstream: all app containers of a pod start, run and stop together
//! (init containers never fail, and sidecars stop cleanly with the pod); a
//! step takes the `ksim.dev/...` annotation's time and never fails (except a pod CIDR
//! with no IP left). Upstream posts a crashed container's Terminated state at the sync
//! after the exit and the CrashLoopBackOff reason from the next sync (the reason cache),
//! and retries that sync when the back-off expires plus up to 50 % jitter (pod_workers.go
//! completeWork with container.BackoffError; before v1.35, every 10–15 s); ksim shows
//! CrashLoopBackOff at the exit and restarts exactly at expiry.

use super::annotations::{self, PodBehaviour};
use super::{runtime_state, Kubelet, Timer};
use crate::api::Object;
use crate::apiserver::Request;
use crate::client::Ctx;
use crate::engine::{MaybeSimTime, SimDuration, SimTime};
use crate::network::ipam::format_ip;
use std::rc::Rc;

/// CrashLoopBackOff: 10 s doubling to 300 s (kubelet.go initialCrashLoopBackOff and
/// MaxCrashLoopBackOff = MaxContainerBackOff, with the ReduceDefaultCrashLoopBackOffDecay
/// and KubeletCrashLoopBackOffMax gates off, their default).
pub const BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(10);
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(300);
/// The kubelet's HasExpiredFunc: a back-off entry not updated for longer than this (the
/// container ran that long) is forgotten.
pub const BACKOFF_RESET: SimDuration = SimDuration::from_secs(600);

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
    /// The pod worker's periodic resync while the containers are in back-off (SyncPod
    /// records BackOff again).
    BackOffResync,
    /// The running init container has started (a sidecar is then done).
    InitStarted,
    /// The running init container has exited 0.
    InitExited,
    /// The volumes are mounted again after a failure (volume_manager.rs).
    MountRetry,
    /// The containers' environment is made again after a failure.
    EnvRetry,
    /// The pod worker syncs again after an image error (ErrImagePull, ImagePullBackOff,
    /// ErrImageNeverPull).
    PullRetry,
    /// The liveness prober's tick (prober.rs).
    LivenessProbe,
    /// The readiness prober's tick, for a probe with failures to report (prober.rs).
    ReadinessTick,
    /// The startup prober's tick, until the container has started (prober.rs).
    StartupProbe,
    /// The runtime's cgroup driver is not the kubelet's: the sandbox dies (cgroups.rs).
    SandboxChanged,
}

/// An init container as the worker runs it.
#[derive(Clone, Debug)]
pub(super) struct InitContainer {
    pub(super) name: String,
    pub(super) sidecar: bool,
    /// None: it never exits.
    pub(super) run: Option<SimDuration>,
}

/// Where an init container is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum InitState {
    Waiting,
    Running(SimTime),
    /// Exited 0: (started, finished).
    Done(SimTime, SimTime),
}

/// The pod worker's resync interval (kubelet --sync-frequency, 1 minute; upstream adds
/// up to 50% jitter, ksim none).
pub const RESYNC_INTERVAL: SimDuration = SimDuration::from_secs(60);

/// Where a worker is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Phase {
    Creating,
    Pulling,
    /// Init containers run, one at a time.
    Initializing,
    Starting,
    Running,
    /// Exited, restarting now (no back-off): the status shows the Terminated state.
    Exited,
    /// Exited inside the back-off window: waiting in CrashLoopBackOff.
    BackOff,
    Done,
    Killing,
}

/// The crash-loop back-off entry of a pod's containers (flowcontrol.Backoff's
/// backoffEntry; upstream keys it by pod and container, ksim's containers move together).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct BackoffEntry {
    pub(super) backoff: SimDuration,
    pub(super) last_update: SimTime,
}

/// hasExpired with the kubelet's HasExpiredFunc: `eventTime - lastUpdate > 600 s`.
fn backoff_expired(event_time: SimTime, e: &BackoffEntry) -> bool {
    event_time.since(e.last_update) > BACKOFF_RESET
}

/// IsInBackOffSince(key, finishedAt): an unexpired entry whose window since the
/// container finished has not yet passed.
pub(super) fn in_backoff(entry: Option<&BackoffEntry>, finished: SimTime, now: SimTime) -> bool {
    entry.is_some_and(|e| !backoff_expired(finished, e) && now.since(finished) < e.backoff)
}

/// Next(key, finishedAt): a new (or expired) entry starts at 10 s; otherwise it doubles,
/// capped at 300 s; lastUpdate is now.
pub(super) fn backoff_next(entry: Option<&BackoffEntry>, finished: SimTime, now: SimTime) -> BackoffEntry {
    let backoff = match entry {
        Some(e) if !backoff_expired(finished, e) => e.backoff.times(2).min(BACKOFF_MAX),
        _ => BACKOFF_INITIAL,
    };
    BackoffEntry { backoff, last_update: now }
}

pub(super) use crate::engine::time::{go_duration, go_duration_ms};

pub(super) struct Worker {
    /// The pod as last seen (set through [`Worker::set_pod`], which keeps
    /// `declares_memory` in step with it).
    pub(super) pod: Rc<Object>,
    /// Whether the pod declares a memory use (`ksim.dev/memory-usage`): what the
    /// eviction manager asks of every pod at every 10 s pass, kept here so that the pass
    /// does not read each pod's annotations.
    pub(super) declares_memory: bool,
    pub(super) phase: Phase,
    /// Its address (host-local hands them out from the pod CIDR's .2 on: never 0).
    pub(super) ip: Option<std::num::NonZeroU32>,
    /// hostNetwork: the pod shares the node's address and needs no CNI.
    pub(super) host_network: bool,
    /// The sandbox is up (with its IP, or on the host's network).
    pub(super) sandbox: bool,
    /// Whether NetworkNotReady was reported for it.
    pub(super) network_waiting: bool,
    /// (milli-cpu, memory bytes) requested, for admission.
    pub(super) requests: (i64, i64),
    pub(super) restarts: i32,
    /// Whether containers were ever created (a new one is then a restart).
    pub(super) created: bool,
    pub(super) ready: bool,
    /// When the running containers started (none while they do not run).
    pub(super) started_at: MaybeSimTime,
    /// Whether the last exit was the OOM killer's (reason OOMKilled).
    pub(super) oom_killed: bool,
    /// Liveness probe failures in a row.
    pub(super) liveness_failures: i32,
    /// The readiness probe's results in a row: (failures, successes).
    pub(super) readiness_run: (i32, i32),
    pub(super) exit_code: Option<i32>,
    /// Shared with the kubelet's other pods that behave alike (`Behaviours`).
    pub(super) behaviour: Rc<PodBehaviour>,
    /// The reads under way (of the ConfigMaps, Secrets and claims its volumes and
    /// environment name: volume_manager.rs), while there are (none in most pods).
    pub(super) fetch: Option<Box<super::volume_manager::Fetch>>,
    /// The image pulls it waits for, while it does (boxed: a running pod keeps 8 bytes
    /// for them).
    pub(super) pull: Option<Box<Pull>>,
    /// While the pod is being killed: when its containers get SIGTERM (after the preStop
    /// hook); they answer until then.
    pub(super) sigterm_at: MaybeSimTime,
    /// The volumes are mounted (the ConfigMaps and Secrets they need were there).
    pub(super) mounted: bool,
    /// Whose environment was made (its ConfigMaps, Secrets and keys found): 0 none, 1
    /// the init containers', 2 the app containers'.
    pub(super) env_stage: u8,
    /// The running container has started as its startup probe sees it (at once without
    /// one), and the startup probe's failures in a row (prober.rs).
    pub(super) started: bool,
    pub(super) startup_failures: i32,
    /// The containers are being killed because their definition (image) changed: they
    /// start again with the new one whatever the restart policy.
    pub(super) redefined: bool,
    /// The containers are being killed because the sandbox changed: a new sandbox (and
    /// address) is made, then they start again in it.
    pub(super) resandbox: bool,
    /// The running containers are Chaos Mesh's pause image (pod-failure): they run and
    /// answer nothing — no connection, no probe (faults/chaos_mesh.rs).
    pub(super) paused: bool,
    /// The reference the pod's Events make to it, made at the first and shared by the
    /// Events of its start (Scheduled aside, four or more in a few moments); let go
    /// once its containers have started (`containers_started`), as few pods record
    /// another, and one made again is the same (upstream's recorder makes one an
    /// Event, ref.GetReference): kept, it was some 250 bytes a running pod (88 now that
    /// its namespace, name and uid are the pod's own `Text`s).
    pub(super) involved: Option<Rc<crate::api::event::ObjectReference>>,
    /// What few pods ever use, boxed on its first write (`Rare`).
    pub(super) rare: Rare,
}

// One worker a pod of the cluster, for its whole life: 128 bytes, one of mimalloc's
// size classes (224 before the reads and pulls under way were boxed, the two times made
// `MaybeSimTime`s and the address a `NonZeroU32`).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Worker>() == 128);

/// The image pulls a pod waits for.
#[derive(Default)]
pub(super) struct Pull {
    /// Images whose pull this pod started.
    pub(super) pulled: Vec<String>,
    /// Images this pod waits for (its own pulls and others' under way).
    pub(super) pulling: Vec<String>,
    /// Since when it waits (the "including waiting" of its Pulled Events).
    pub(super) requested: SimTime,
}

/// The behaviours of a kubelet's pods: one copy of each of the `BEHAVIOURS` different
/// ones most recently asked for, which their workers share — the pods of one template
/// behave alike (the same annotations and probes), and a behaviour is 96 bytes, a
/// worker's largest part (14 MB of a 150,000-pod density run).
#[derive(Default)]
pub(super) struct Behaviours(Vec<Rc<PodBehaviour>>);

/// How many behaviours `Behaviours` keeps (one no longer kept is made again, and is the
/// same).
const BEHAVIOURS: usize = 8;

impl Behaviours {
    /// `b` as the kept copy that equals it (kept, if none does), made the most recent.
    fn of(&mut self, b: PodBehaviour) -> Rc<PodBehaviour> {
        if let Some(i) = self.0.iter().position(|x| **x == b) {
            if i + 1 < self.0.len() {
                let x = self.0.remove(i);
                self.0.push(x);
            }
            return self.0[self.0.len() - 1].clone();
        }
        if self.0.len() == BEHAVIOURS {
            self.0.remove(0);
        }
        let x = Rc::new(b);
        self.0.push(x.clone());
        x
    }
}

/// What few pods ever use: a crash loop's back-off, the last exit, an OOM kill or a
/// kill's exit code, init containers, a failed mount, config or pull, an eviction, a
/// startup probe's chain, a sandbox that changes. Boxed on the first write: reads of a
/// worker that never needed it see `WorkerRare::EMPTY`, so a worker is some 300 bytes
/// smaller (one per pod of the cluster).
pub(super) struct WorkerRare {
    /// The crash-loop back-off entry (kubelet memory: lost in a crash).
    pub(super) backoff: Option<BackoffEntry>,
    /// The last exit: (exit code, started, finished).
    pub(super) last_exit: Option<(i32, SimTime, SimTime)>,
    /// When the running containers are to be OOM-killed (`ksim.dev/memory-usage`).
    pub(super) oom_at: Option<SimTime>,
    /// The container is being killed (by the kubelet for a failed liveness probe, or by
    /// a `containerKill`), with the exit code it will end with.
    pub(super) kill_exit: Option<i32>,
    /// The init containers, the next one to run, and where each is.
    pub(super) init: Vec<InitContainer>,
    pub(super) init_next: usize,
    pub(super) init_states: Vec<InitState>,
    pub(super) mount_backoff: Option<SimDuration>,
    /// Why the containers cannot be created (CreateContainerConfigError).
    pub(super) config_error: Option<String>,
    /// Why the images are not there (the waiting reason and message): ErrImagePull,
    /// ImagePullBackOff, ErrImageNeverPull.
    pub(super) pull_error: Option<(&'static str, String)>,
    /// The image manager's back-off per image of this pod (its `podUID_image` keys).
    pub(super) image_backoff: std::collections::BTreeMap<String, BackoffEntry>,
    /// The eviction manager evicted the pod, with this message (eviction.rs).
    pub(super) evicted: Option<String>,
    /// When the startup prober's next tick is due (an older chain's tick, left from
    /// before a restart, is not).
    pub(super) startup_due: Option<SimTime>,
    /// When the sandbox is to die next, on a node whose cgroup drivers disagree.
    pub(super) sandbox_change_at: Option<SimTime>,
}

impl Worker {
    /// Replaces the pod as seen (a newer version of it, or a mirror pod's).
    pub(super) fn set_pod(&mut self, obj: Rc<Object>) {
        self.declares_memory = declares_memory(&obj);
        self.pod = obj;
    }
}

/// Whether a pod declares a memory use (`ksim.dev/memory-usage`).
pub(super) fn declares_memory(obj: &Object) -> bool {
    obj.as_pod().is_some_and(|p| p.metadata.annotations.contains_key(super::annotations::MEMORY_USAGE))
}

impl WorkerRare {
    const EMPTY: WorkerRare = WorkerRare {
        backoff: None,
        last_exit: None,
        oom_at: None,
        kill_exit: None,
        init: Vec::new(),
        init_next: 0,
        init_states: Vec::new(),
        mount_backoff: None,
        config_error: None,
        pull_error: None,
        image_backoff: std::collections::BTreeMap::new(),
        evicted: None,
        startup_due: None,
        sandbox_change_at: None,
    };
}

static NO_RARE: WorkerRare = WorkerRare::EMPTY;

#[derive(Default)]
pub(super) struct Rare(Option<Box<WorkerRare>>);

impl Rare {
    /// The box if there is one: for clearing a field without making one.
    pub(super) fn existing(&mut self) -> Option<&mut WorkerRare> {
        self.0.as_deref_mut()
    }
}

impl std::ops::Deref for Rare {
    type Target = WorkerRare;
    fn deref(&self) -> &WorkerRare {
        self.0.as_deref().unwrap_or(&NO_RARE)
    }
}

impl std::ops::DerefMut for Rare {
    fn deref_mut(&mut self) -> &mut WorkerRare {
        self.0.get_or_insert_with(|| Box::new(WorkerRare::EMPTY))
    }
}

impl Kubelet {
    /// Whether a pod's app answers connections at `now`: its containers run, it has
    /// booted (`ksim.dev/boot-duration`), and it has not had SIGTERM (a preStop hook
    /// keeps it answering while the pod terminates).
    pub fn serving(&self, uid: &str, now: SimTime) -> bool {
        let Some(w) = self.workers.get(uid) else { return false };
        if w.paused {
            return false;
        }
        let booted = w.started_at.get().is_some_and(|t| now >= t + w.behaviour.boot);
        match w.phase {
            Phase::Running => booted,
            Phase::Killing => booted && w.sigterm_at.get().is_some_and(|t| now < t),
            _ => false,
        }
    }

    /// An admitted pod: a worker, its first status, and the sandbox started (once the
    /// node has its pod CIDR).
    pub(super) fn add_worker(&mut self, obj: &Rc<Object>, ctx: &mut Ctx) {
        let p = obj.as_pod().expect("pod");
        let r = p.spec.requests();
        let uid = p.metadata.uid.clone();
        let behaviour = self.behaviours.of(PodBehaviour::of(p));
        self.workers.insert(
            &uid,
            Box::new(Worker {
                pod: obj.clone(),
                declares_memory: declares_memory(obj),
                phase: Phase::Creating,
                ip: None,
                host_network: p.spec.host_network == Some(true),
                sandbox: false,
                network_waiting: false,
                requests: (r.milli_cpu, r.memory),
                restarts: 0,
                created: false,
                ready: false,
                started_at: MaybeSimTime::NONE,
                oom_killed: false,
                liveness_failures: 0,
                readiness_run: (0, 0),
                exit_code: None,
                behaviour,
                fetch: None,
                pull: None,
                sigterm_at: MaybeSimTime::NONE,
                mounted: false,
                env_stage: 0,
                started: false,
                startup_failures: 0,
                redefined: false,
                resandbox: false,
                paused: false,
                involved: None,
                rare: if p.spec.init_containers.is_empty() {
                    Rare::default()
                } else {
                    let init = p
                        .spec
                        .init_containers
                        .iter()
                        .map(|c| InitContainer {
                            name: c.name.clone(),
                            sidecar: c.restart_policy.as_deref() == Some("Always"),
                            run: annotations::init_run_time(c),
                        })
                        .collect();
                    let init_states = vec![InitState::Waiting; p.spec.init_containers.len()];
                    Rare(Some(Box::new(WorkerRare { init, init_states, ..WorkerRare::EMPTY })))
                },
            }),
        );
        self.sync_status(&uid, ctx);
        self.start_prober(&uid, ctx);
        self.mount_volumes(&uid, ctx);
    }

    /// The sandbox is created once the pod can have a network: the node has its pod CIDR
    /// and the runtime's network is ready — or the pod uses the host's network. A pod
    /// that waits for the network gets NetworkNotReady (SyncPod), once.
    pub(super) fn start_sandbox(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.host_network || (self.network_ready && self.ipam.is_some()) {
            w.network_waiting = false;
            let d = w.behaviour.sandbox;
            self.timer(uid, d, PodStep::SandboxReady, ctx);
        } else if !self.network_ready && !w.network_waiting {
            w.network_waiting = true;
            let pod = w.pod.clone();
            let msg = format!("{}: {}", runtime_state::NETWORK_NOT_READY_ERROR_MSG, runtime_state::NETWORK_NOT_READY);
            self.event(&pod, "Warning", "NetworkNotReady", &msg, ctx);
        }
    }

    /// The network (or the pod CIDR) has come: the pods waiting for it start.
    pub(super) fn start_waiting(&mut self, ctx: &mut Ctx) {
        let waiting: Vec<String> =
            self.workers.iter().filter(|(_, w)| w.phase == Phase::Creating && w.mounted && !w.sandbox && !w.host_network).map(|(k, _)| k.to_string()).collect();
        for uid in waiting {
            self.start_sandbox(&uid, ctx);
        }
    }

    pub(super) fn timer(&self, uid: &str, d: SimDuration, step: PodStep, ctx: &mut Ctx) {
        ctx.after(d, Timer::PodStep { generation: self.generation, uid: Rc::from(uid), step });
    }

    pub(super) fn release_ip(&mut self, ip: Option<std::num::NonZeroU32>) {
        if let (Some(ip), Some(a)) = (ip, self.ipam.as_mut()) {
            a.release(ip.get());
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
            PodStep::BackOffResync => self.backoff_resync(uid, ctx),
            PodStep::InitStarted => self.init_started(uid, ctx),
            PodStep::InitExited => self.init_exited(uid, ctx),
            PodStep::MountRetry => {
                if self.workers.get(uid).is_some_and(|w| w.phase == Phase::Creating && !w.mounted) {
                    self.mount_volumes(uid, ctx);
                }
            }
            PodStep::LivenessProbe => self.liveness_probe(uid, ctx),
            PodStep::ReadinessTick => self.readiness_tick(uid, ctx),
            PodStep::StartupProbe => self.startup_probe(uid, ctx),
            PodStep::SandboxChanged => self.sandbox_changed(uid, ctx),
            PodStep::PullRetry => {
                if self.workers.get(uid).is_some_and(|w| w.phase == Phase::Creating && w.sandbox && w.rare.pull_error.is_some()) {
                    self.ensure_images(uid, ctx);
                }
            }
            PodStep::EnvRetry => {
                if self.workers.get(uid).is_some_and(|w| w.env_stage < 2 && !matches!(w.phase, Phase::Killing | Phase::Done)) {
                    self.resolve_env(uid, ctx);
                }
            }
        }
    }

    /// The sandbox is up: it gets an IP (host-local IPAM), then images are pulled or the
    /// containers started.
    fn sandbox_ready(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Creating {
            return;
        }
        if w.ip.is_none() && !w.host_network {
            let Some(a) = self.ipam.as_mut() else { return };
            match a.allocate() {
                Some(ip) => w.ip = std::num::NonZeroU32::new(ip),
                None => {
                    let pod = w.pod.clone();
                    // host-local's error (allocator.go, main.go) as the kubelet reports it;
                    // the range set is the pod CIDR but its network address (.1 is the
                    // gateway, skipped) up to the address before broadcast.
                    let (first, last) = a.range_set();
                    let (first, last) = (format_ip(first), format_ip(last));
                    let msg = format!("Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set: {first}-{last}");
                    self.event(&pod, "Warning", "FailedCreatePodSandBox", &msg, ctx);
                    self.timer(uid, SimDuration::from_secs(10), PodStep::SandboxReady, ctx);
                    return;
                }
            }
        }
        w.sandbox = true;
        self.ensure_images(uid, ctx);
    }

    /// image_manager.go EnsureImageExists for the pod's images: an image absent with
    /// pull policy Never is ErrImageNeverPull; one whose last pull failed, within its
    /// back-off (10 s doubling to 300 s: the kubelet's imageBackOff), is
    /// ImagePullBackOff ("Back-off pulling image …"); the others are pulled. Each error
    /// is the pod worker's sync error: the worker syncs again 10 s later.
    pub(super) fn ensure_images(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        let pod = w.pod.clone();
        let p = pod.as_pod().expect("pod");
        let mut never: Vec<String> = Vec::new();
        for c in p.spec.init_containers.iter().chain(p.spec.containers.iter()) {
            if c.image_pull_policy == "Never" && !self.images.is_present(&c.image) && !never.contains(&c.image) {
                never.push(c.image.clone());
            }
        }
        if !never.is_empty() {
            let msgs: Vec<String> = never.iter().map(|i| format!("Container image {i:?} is not present with pull policy of Never")).collect();
            for m in &msgs {
                self.event(&pod, "Warning", "ErrImageNeverPull", m, ctx);
            }
            self.event(&pod, "Warning", "Failed", "Error: ErrImageNeverPull", ctx);
            self.image_error(uid, "ErrImageNeverPull", msgs[0].clone(), ctx);
            return;
        }
        let pulls = self.images.to_pull(p);
        let now = ctx.now;
        let w = self.workers.get(uid).expect("worker");
        let backing: Vec<String> =
            pulls.iter().filter(|i| w.rare.image_backoff.get(*i).is_some_and(|e| now.since(e.last_update) < e.backoff)).cloned().collect();
        if !backing.is_empty() {
            let msgs: Vec<String> = backing.iter().map(|i| format!("Back-off pulling image {i:?}")).collect();
            for m in &msgs {
                self.event(&pod, "Normal", "BackOff", m, ctx);
            }
            self.event(&pod, "Warning", "Failed", "Error: ImagePullBackOff", ctx);
            self.image_error(uid, "ImagePullBackOff", msgs[0].clone(), ctx);
            return;
        }
        // EnsureImageExists per container: an image on the node is "already present".
        if w.rare.image_backoff.is_empty() {
            self.already_present(&pod, &pulls, ctx);
        }
        let w = self.workers.get_mut(uid).expect("worker");
        if pulls.is_empty() {
            self.begin_containers(uid, ctx);
        } else {
            w.phase = Phase::Pulling;
            let pulling = pulls.clone();
            for image in &pulls {
                self.event(&pod, "Normal", "Pulling", &format!("Pulling image {image:?}"), ctx);
            }
            let w = self.workers.get_mut(uid).expect("worker");
            let (ready_at, pulled) = self.images.pull(pulls, ctx.now, w.behaviour.image_pull);
            w.pull = Some(Box::new(Pull { pulled, pulling, requested: ctx.now }));
            if !in_first_sync(w) {
                self.sync_status(uid, ctx);
            }
            self.timer(uid, ready_at.since(ctx.now), PodStep::ImagesPulled, ctx);
        }
    }

    /// image_manager.go EnsureImageExists for the containers whose image is on the node
    /// (not among `pulls`): `Container image "…" already present on machine`. With
    /// imagePullPolicy Always the image is pulled again upstream; ksim does not model
    /// that pull, and says nothing.
    fn already_present(&mut self, pod: &Rc<Object>, pulls: &[String], ctx: &mut Ctx) {
        let Some(p) = pod.as_pod() else { return };
        let present: Vec<String> =
            p.spec.containers.iter().filter(|c| c.image_pull_policy != "Always" && !pulls.contains(&c.image)).map(|c| c.image.clone()).collect();
        for image in present {
            self.event(pod, "Normal", "Pulled", &format!("Container image {image:?} already present on machine"), ctx);
        }
    }

    /// kuberuntime_container.go startContainer, container by container: `Created
    /// container: NAME` then `Started container NAME`.
    fn containers_events(&mut self, pod: &Rc<Object>, ctx: &mut Ctx) {
        let names: Vec<String> = pod.as_pod().map(|p| p.spec.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
        for name in names {
            self.event(pod, "Normal", "Created", &format!("Created container: {name}"), ctx);
            self.event(pod, "Normal", "Started", &format!("Started container {name}"), ctx);
        }
    }

    /// doBackOff's event: `Back-off restarting failed container NAME in pod POD_NS(UID)`.
    fn backoff_events(&mut self, pod: &Rc<Object>, ctx: &mut Ctx) {
        let Some(p) = pod.as_pod() else { return };
        let msgs: Vec<String> = p
            .spec
            .containers
            .iter()
            .map(|c| format!("Back-off restarting failed container {} in pod {}_{}({})", c.name, p.metadata.name, p.metadata.namespace, p.metadata.uid))
            .collect();
        for m in msgs {
            self.event(pod, "Warning", "BackOff", &m, ctx);
        }
    }

    /// The worker syncs again while in back-off: BackOff is recorded each time.
    fn backoff_resync(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        if w.phase != Phase::BackOff {
            return;
        }
        let pod = w.pod.clone();
        self.backoff_events(&pod, ctx);
        self.timer(uid, RESYNC_INTERVAL, PodStep::BackOffResync, ctx);
    }

    /// Every image the pod needs is on the node: record the ones it pulled, start the
    /// containers.
    fn images_pulled(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Pulling {
            return;
        }
        let pull = w.behaviour.image_pull;
        let pod = w.pod.clone();
        let Pull { pulled, pulling: waiting, requested } = w.pull.take().map(|p| *p).unwrap_or_default();
        let size = pod
            .as_pod()
            .and_then(|p| p.metadata.annotations.get(annotations::IMAGE_SIZE))
            .and_then(|v| crate::api::quantity::Quantity::parse(v).ok())
            .map(|q| q.value());
        let waited = ctx.now.since(requested);
        // The registry refuses some: `Failed to pull image …` with the CRI's error, then
        // `Error: ErrImagePull`; their back-off grows (imageBackOff.Next).
        let refused: Vec<(String, String)> = pod
            .as_pod()
            .map(|p| waiting.iter().filter_map(|i| annotations::image_pull_error(p, i).map(|e| (i.clone(), annotations::pull_error_message(i, e)))).collect())
            .unwrap_or_default();
        if !refused.is_empty() {
            let now = ctx.now;
            for (image, _) in &refused {
                let next = match w.rare.image_backoff.get(image) {
                    Some(e) if now.since(e.last_update) <= BACKOFF_MAX.times(2) => e.backoff.times(2).min(BACKOFF_MAX),
                    _ => BACKOFF_INITIAL,
                };
                w.rare.image_backoff.insert(image.clone(), BackoffEntry { backoff: next, last_update: now });
            }
            for (image, _) in &refused {
                self.images.fail_pull(image);
            }
            for image in pulled.iter().filter(|i| !refused.iter().any(|(r, _)| r == *i)) {
                self.images.pulled(image, size);
            }
            for (image, msg) in &refused {
                self.event(&pod, "Warning", "Failed", &format!("Failed to pull image {image:?}: {msg}"), ctx);
            }
            self.event(&pod, "Warning", "Failed", "Error: ErrImagePull", ctx);
            self.images.finish_pulls(ctx.now);
            let msg = refused[0].1.clone();
            self.image_error(uid, "ErrImagePull", msg, ctx);
            return;
        }
        if let Some(r) = w.rare.existing() {
            r.pull_error = None;
        }
        for image in &pulled {
            self.images.pulled(image, size);
        }
        // image_manager.go: "Successfully pulled image %q in %v (%v including waiting).
        // Image size: %v bytes." — the pull itself (none of this pod's own when another
        // pod's pull brought the image), then the wait with it. ksim knows an image's
        // size only from ksim.dev/image-size.
        for image in waiting {
            let own = if pulled.contains(&image) { pull } else { SimDuration::ZERO };
            let mut msg = format!("Successfully pulled image {image:?} in {} ({} including waiting).", go_duration_ms(own), go_duration_ms(waited));
            if let Some(bytes) = size {
                msg.push_str(&format!(" Image size: {bytes} bytes."));
            }
            self.event(&pod, "Normal", "Pulled", &msg, ctx);
        }
        self.images.finish_pulls(ctx.now);
        self.begin_containers(uid, ctx);
    }

    /// An image error: the status says it, and the worker syncs again in 10 s.
    fn image_error(&mut self, uid: &str, reason: &'static str, message: String, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.phase = Phase::Creating;
        w.rare.pull_error = Some((reason, message));
        self.sync_status(uid, ctx);
        self.timer(uid, super::volume_manager::SYNC_ERROR_BACKOFF, PodStep::PullRetry, ctx);
    }

    /// The images are there: the init containers run first, if any are left, then the
    /// app containers are created.
    fn begin_containers(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        // generateContainerConfig: a container's environment first (volume_manager.rs) —
        // the init containers' before they run, the app containers' after.
        let need = if w.rare.init_next < w.rare.init.len() { 1 } else { 2 };
        if w.env_stage < need {
            self.resolve_env(uid, ctx);
            return;
        }
        if w.rare.init_next < w.rare.init.len() {
            w.phase = Phase::Initializing;
            let (name, d) = (w.rare.init[w.rare.init_next].name.clone(), w.behaviour.startup);
            let pod = w.pod.clone();
            // The first sync starts the first init container and posts nothing more
            // (computePodActions starts one init container a sync); the next, once the
            // PLEG saw it start (`init_started`), posts it.
            if !in_first_sync(w) {
                self.sync_status(uid, ctx);
            }
            self.event(&pod, "Normal", "Created", &format!("Created container: {name}"), ctx);
            self.event(&pod, "Normal", "Started", &format!("Started container {name}"), ctx);
            self.timer(uid, d, PodStep::InitStarted, ctx);
            return;
        }
        let first = in_first_sync(w);
        create_containers(w, ctx.now);
        let d = w.behaviour.startup;
        if !first {
            self.sync_status(uid, ctx);
        }
        self.timer(uid, d, PodStep::ContainersStarted, ctx);
    }

    /// The containers' environment is made: go on creating them.
    pub(super) fn env_ready(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        w.env_stage = if w.rare.init_next < w.rare.init.len() { 1 } else { 2 };
        if let Some(r) = w.rare.existing() {
            r.config_error = None;
        }
        self.begin_containers(uid, ctx);
    }

    /// The running init container has started: a sidecar is done with (it keeps
    /// running); another runs until it exits.
    fn init_started(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Initializing || w.rare.init_next >= w.rare.init.len() {
            return;
        }
        let i = w.rare.init_next;
        w.rare.init_states[i] = InitState::Running(ctx.now);
        if w.rare.init[i].sidecar {
            w.rare.init_next += 1;
            self.begin_containers(uid, ctx);
        } else {
            let run = w.rare.init[i].run;
            self.sync_status(uid, ctx);
            if let Some(d) = run {
                self.timer(uid, d, PodStep::InitExited, ctx);
            }
        }
    }

    /// The running init container exited 0: the next one, or the app containers.
    fn init_exited(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Initializing || w.rare.init_next >= w.rare.init.len() {
            return;
        }
        let i = w.rare.init_next;
        if let InitState::Running(started) = w.rare.init_states[i] {
            w.rare.init_states[i] = InitState::Done(started, ctx.now);
        }
        w.rare.init_next += 1;
        self.begin_containers(uid, ctx);
    }

    /// The containers run: ready now or after the readiness delay; they exit after the
    /// run duration, if any.
    fn containers_started(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Starting {
            return;
        }
        w.phase = Phase::Running;
        w.started_at = Some(ctx.now).into();
        // Chaos Mesh's pause image in every container: nothing listens, so a readiness
        // probe never succeeds (without one the container is Ready, as the docs warn).
        w.paused = w.pod.as_pod().is_some_and(|p| p.spec.containers.iter().all(|c| c.image == crate::faults::chaos_mesh::PAUSE_IMAGE));
        let probed = w.pod.as_pod().and_then(|p| p.spec.containers.first()).is_some_and(|c| c.readiness_probe.is_some());
        let delay = if w.paused && probed { None } else { w.behaviour.readiness_delay };
        // With a startup probe, the container is neither started nor ready until the
        // probe succeeds (prober.rs); its readiness delay is looked at then.
        let startup = w.pod.as_pod().and_then(|p| p.spec.containers.first()).and_then(|c| c.startup_probe.clone());
        w.started = startup.is_none();
        w.startup_failures = 0;
        w.ready = delay.is_none() && w.started && !(w.paused && probed);
        // The pause image runs until it is stopped, whatever the app's command said.
        let run = if w.paused { None } else { w.behaviour.run };
        let pod = w.pod.clone();
        // The memory profile outgrows the limit before the command ends: the OOM killer.
        let oom = pod.as_pod().filter(|_| !w.paused).and_then(annotations::oom_after).filter(|o| run.is_none_or(|r| *o < r));
        if oom.is_some() || w.rare.oom_at.is_some() {
            w.rare.oom_at = oom.map(|o| ctx.now + o);
        }
        self.containers_events(&pod, ctx);
        if let Some(w) = self.workers.get_mut(uid) {
            w.involved = None;
        }
        self.schedule_sandbox_change(uid, ctx);
        match &startup {
            Some(s) => self.startup_tick(uid, super::prober::period(s), ctx),
            None => {
                if let Some(d) = delay {
                    self.timer(uid, d, PodStep::ReadinessProbe, ctx);
                }
            }
        }
        match oom {
            Some(o) => self.timer(uid, o, PodStep::ContainerExited, ctx),
            None => {
                if let Some(d) = run {
                    self.timer(uid, d, PodStep::ContainerExited, ctx);
                }
            }
        }
        self.sync_status(uid, ctx);
        if self.workers.get(uid).is_some_and(|w| w.ready) {
            self.cni_ready(uid, ctx);
        }
    }

    /// A CNI's pod here is Ready: the runtime reports its network ready at its next
    /// status poll.
    fn cni_ready(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        if !self.network_ready && w.pod.as_pod().is_some_and(runtime_state::is_cni_pod) {
            ctx.after(runtime_state::RUNTIME_UPDATE_PERIOD, Timer::NetworkReady { generation: self.generation });
        }
    }

    pub(super) fn readiness_probe(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        // A paused container's probe fails (a timer left from before its start does not count).
        let probed = w.pod.as_pod().and_then(|p| p.spec.containers.first()).is_some_and(|c| c.readiness_probe.is_some());
        if w.phase == Phase::Running && w.started && !w.ready && !(w.paused && probed) {
            w.ready = true;
            self.sync_status(uid, ctx);
            self.cni_ready(uid, ctx);
        }
    }

    /// computePodActions: a running container whose spec changed (a new image) is killed
    /// — `Container app definition changed, will be restarted` — and started again with
    /// the new one (its image pulled if absent), whatever the restart policy; its back-off
    /// key includes the spec's hash, so no back-off applies. A container not running
    /// starts with the new image when it next starts.
    pub(super) fn definition_changed(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Running || w.rare.kill_exit.is_some() {
            return;
        }
        w.redefined = true;
        let Some(p) = w.pod.as_pod() else { return };
        let grace = SimDuration::from_secs(p.spec.termination_grace_period_seconds.unwrap_or(30).max(0) as u64);
        let names: Vec<String> = p.spec.containers.iter().map(|c| c.name.clone()).collect();
        self.kill_to_restart(uid, &names, "definition changed", grace, ctx);
    }

    /// computePodActions' kill of running containers that are to start again: `Killing`
    /// "Container NAME WHY, will be restarted" for each of `names`, then the exit within
    /// `grace` (SIGTERM, then SIGKILL) and the restart as for any exit.
    pub(super) fn kill_to_restart(&mut self, uid: &str, names: &[String], why: &str, grace: SimDuration, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        let stop = w.behaviour.termination;
        w.rare.kill_exit = Some(exit_on_kill(stop, grace));
        let pod = w.pod.clone();
        for n in names {
            self.event(&pod, "Normal", "Killing", &format!("Container {n} {why}, will be restarted"), ctx);
        }
        self.timer(uid, stop.min(grace), PodStep::ContainerExited, ctx);
    }

    /// The containers exited with the pod's exit code: restart (restartPolicy Always, or
    /// OnFailure with a non-zero code) — at once, or after the back-off if inside its
    /// window — or stay terminated.
    fn container_exited(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Running {
            return;
        }
        // The OOM killer's SIGKILL: 128 + 9; the kubelet's kill for a failed liveness
        // probe: the signal that ended it.
        w.oom_killed = w.rare.oom_at.is_some_and(|t| t <= ctx.now);
        if let Some(r) = w.rare.existing() {
            r.oom_at = None;
        }
        let killed = w.rare.existing().and_then(|r| r.kill_exit.take());
        let code = if w.oom_killed {
            137
        } else if let Some(code) = killed {
            code
        } else {
            w.behaviour.exit_code
        };
        w.rare.last_exit = Some((code, w.started_at.get().unwrap_or(ctx.now), ctx.now));
        w.ready = false;
        let never = w.pod.as_pod().is_some_and(|p| p.spec.restart_policy == "Never");
        if std::mem::take(&mut w.resandbox) && !never {
            // SyncPod's next steps: a new sandbox — a new address — then the containers
            // created in it, with the current spec (a definition change under way is
            // folded in). ksim does not wait for the crash-loop back-off here (upstream's
            // doBackOff would from the second death on, within its 10-minute reset).
            // computePodActions makes no new sandbox for a pod that never restarts: that
            // one ends as any exit does.
            w.redefined = false;
            w.phase = Phase::Creating;
            w.started_at = MaybeSimTime::NONE;
            w.sandbox = false;
            let ip = w.ip.take();
            self.release_ip(ip);
            self.sync_status(uid, ctx);
            self.start_sandbox(uid, ctx);
            return;
        }
        if std::mem::take(&mut w.redefined) {
            // Started again with the new definition: its image first. Its back-off key is
            // the new spec's, which has no entry yet.
            w.phase = Phase::Creating;
            w.started_at = MaybeSimTime::NONE;
            if let Some(r) = w.rare.existing() {
                r.backoff = None;
            }
            self.sync_status(uid, ctx);
            self.ensure_images(uid, ctx);
            return;
        }
        let policy = w.pod.as_pod().map_or("Always".to_string(), |p| p.spec.restart_policy.clone());
        let restart = policy == "Always" || (policy == "OnFailure" && code != 0);
        if restart {
            // doBackOff: finishedAt is now, so inside the window means waiting the whole
            // back-off.
            let wait =
                if in_backoff(w.rare.backoff.as_ref(), ctx.now, ctx.now) { w.rare.backoff.map_or(SimDuration::ZERO, |e| e.backoff) } else { SimDuration::ZERO };
            w.phase = if wait > SimDuration::ZERO { Phase::BackOff } else { Phase::Exited };
            if wait > SimDuration::ZERO {
                // The container's death makes the worker sync: SyncPod's doBackOff
                // records BackOff, and again at every resync until the restart.
                let pod = w.pod.clone();
                self.backoff_events(&pod, ctx);
                if wait > RESYNC_INTERVAL {
                    self.timer(uid, RESYNC_INTERVAL, PodStep::BackOffResync, ctx);
                }
            }
            self.sync_status(uid, ctx);
            self.timer(uid, wait, PodStep::Restart, ctx);
        } else {
            w.phase = Phase::Done;
            w.exit_code = Some(code);
            w.sandbox = false;
            let ip = w.ip.take();
            self.sync_status(uid, ctx);
            // A terminal pod keeps no sandbox: its IP goes back to the pool.
            self.release_ip(ip);
        }
    }

    /// The back-off has passed (or there was none): the containers are created again.
    fn restart(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if matches!(w.phase, Phase::BackOff | Phase::Exited) {
            let finished = w.rare.last_exit.map_or(ctx.now, |e| e.2);
            assert!(!in_backoff(w.rare.backoff.as_ref(), finished, ctx.now), "restart inside the back-off window");
            create_containers(w, ctx.now);
            let d = w.behaviour.startup;
            let pod = w.pod.clone();
            self.already_present(&pod, &[], ctx);
            self.timer(uid, d, PodStep::ContainersStarted, ctx);
        }
    }

    /// The pod is being deleted: stop its containers (SIGTERM, then SIGKILL at the end of
    /// the grace period); a pod whose containers never ran goes at once.
    pub(super) fn begin_kill(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        let grace = SimDuration::from_secs(w.pod.as_pod().and_then(|p| p.metadata.rare.deletion_grace_period_seconds).unwrap_or(30).max(0) as u64);
        self.begin_kill_within(uid, grace, ctx);
    }

    /// Stops the pod's containers within `grace` (the deletion's grace period, or an
    /// eviction's override).
    pub(super) fn begin_kill_within(&mut self, uid: &str, grace: SimDuration, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        // Only running containers are stopped (killContainersWithSyncResult); an exited
        // one waiting for its restart has nothing to stop.
        let was_running = matches!(w.phase, Phase::Running | Phase::Starting | Phase::Initializing);
        w.phase = Phase::Killing;
        // killContainer: the preStop hook runs first (within the grace period, if there
        // is one), then SIGTERM with what is left of it — at least
        // minimumGracePeriodInSeconds (2 s) — before SIGKILL.
        let (hook, stop) = match (was_running, w.behaviour.pre_stop) {
            (false, _) => (SimDuration::ZERO, SimDuration::ZERO),
            (true, Some(h)) if grace > SimDuration::ZERO => {
                let hook = h.min(grace);
                let left = SimDuration::from_ms(grace.as_ms().saturating_sub(hook.as_ms()).max(2000));
                (hook, w.behaviour.termination.min(left))
            }
            (true, _) => (SimDuration::ZERO, w.behaviour.termination.min(grace)),
        };
        w.sigterm_at = Some(ctx.now + hook).into();
        let d = SimDuration::from_ms(hook.as_ms() + stop.as_ms());
        let pod = w.pod.clone();
        if was_running {
            let names: Vec<String> = pod.as_pod().map(|p| p.spec.containers.iter().map(|c| c.name.clone()).collect()).unwrap_or_default();
            for n in names {
                self.event(&pod, "Normal", "Killing", &format!("Stopping container {n}"), ctx);
            }
        }
        self.timer(uid, d, PodStep::Killed, ctx);
    }

    /// The containers are gone: free the IP and finish the deletion (grace period 0) —
    /// or, for an evicted pod, post its Failed status (it stays until it is deleted).
    fn killed(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        if w.phase != Phase::Killing {
            return;
        }
        let key = w.pod.key();
        w.sandbox = false;
        let ip = w.ip.take();
        w.phase = Phase::Done;
        if w.rare.evicted.is_some() && w.pod.as_pod().is_some_and(|p| p.metadata.rare.deletion_timestamp.is_none()) {
            // The containers ended on the eviction's SIGTERM within the grace period (143),
            // or its SIGKILL (137).
            let code =
                w.rare.existing().and_then(|r| r.kill_exit.take()).unwrap_or_else(|| exit_on_kill(w.behaviour.termination, super::eviction::EVICTION_GRACE));
            w.exit_code = Some(code);
            w.rare.last_exit = Some((code, w.started_at.get().unwrap_or(ctx.now), ctx.now));
            self.sync_status(uid, ctx);
            self.release_ip(ip);
            return;
        }
        self.release_ip(ip);
        ctx.request(Request::Delete { key: Box::new(key), grace_period_seconds: Some(0), uid: Some(uid.to_string()) });
    }
}

/// startContainer: the containers are created (and start within the startup time). A
/// container that existed before makes this a restart: doBackOff's Next moves the
/// back-off on (from the dead container's finishedAt) and the restart count goes up.
/// How a killed container ends: on SIGTERM (128 + 15) if it stops within the grace
/// period, else on the SIGKILL at its end (128 + 9).
pub(super) fn exit_on_kill(stop: SimDuration, grace: SimDuration) -> i32 {
    if stop < grace {
        143
    } else {
        137
    }
}

/// Whether the worker is in the pod's first SyncPod (kubelet.go SyncPod), the one that
/// makes the sandbox, pulls the images and creates and starts the containers (or the
/// first init container): no container has been created, no init container has run and
/// no pull has failed since the pod was admitted. Upstream posts one status at the start
/// of a SyncPod (generateAPIPodStatus, then the status manager's SetPodStatus) and none
/// while kuberuntime's SyncPod works — the image pulls block in it (EnsureImageExists
/// waits for the puller) — so the pod IP and the running containers are posted
/// together, at the sync after they started (the PLEG's event). After a pull error the
/// steps post their status as they happen (ksim's difference: upstream's reason cache
/// keeps ErrImagePull until that next sync). A sync that retries after a failed mount or
/// a CreateContainerConfigError counts as the first: its error's status stays until
/// the containers run, as upstream's reason cache keeps it.
fn in_first_sync(w: &Worker) -> bool {
    !w.created && w.rare.pull_error.is_none() && w.rare.image_backoff.is_empty() && w.rare.init_states.iter().all(|s| *s == InitState::Waiting)
}

fn create_containers(w: &mut Worker, now: SimTime) {
    if w.created {
        let finished = w.rare.last_exit.map_or(now, |e| e.2);
        w.rare.backoff = Some(backoff_next(w.rare.backoff.as_ref(), finished, now));
        w.restarts += 1;
    }
    w.created = true;
    w.phase = Phase::Starting;
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Alike behaviours are one copy; a different one is its own; the ninth different
    /// one lets the least recently asked for go (made again, it is equal but a new
    /// copy), and one asked for again is kept the longest.
    #[test]
    fn workers_of_alike_pods_share_one_behaviour() {
        let b = |run_s: u64| PodBehaviour { run: Some(SimDuration::from_secs(run_s)), ..PodBehaviour::of(&crate::api::pod::Pod::default()) };
        let mut kept = Behaviours::default();
        let (x, y, z) = (kept.of(b(5)), kept.of(b(5)), kept.of(b(6)));
        assert!(Rc::ptr_eq(&x, &y) && !Rc::ptr_eq(&x, &z));
        assert_eq!(z.run, Some(SimDuration::from_secs(6)));
        // 7 and 8, then 5 again (the most recent), then 9 to 14: 6, 7 and 8 go, 5 stays.
        let seven = kept.of(b(7));
        kept.of(b(8));
        assert!(Rc::ptr_eq(&x, &kept.of(b(5))));
        for s in 9..15 {
            kept.of(b(s));
        }
        assert!(Rc::ptr_eq(&x, &kept.of(b(5))), "asked for again, 5 is kept");
        let again = kept.of(b(7));
        assert!(!Rc::ptr_eq(&seven, &again) && *seven == *again, "7 went, and is made again equal");
        assert!(Rc::ptr_eq(&kept.of(b(14)), &kept.of(b(14))));
    }

    /// Go's Duration.String (time/time.go): the cases image_manager's messages meet.
    #[test]
    fn durations_print_as_go_prints_them() {
        for (ms, want) in [(0, "0s"), (500, "500ms"), (2_000, "2s"), (2_500, "2.5s"), (2_013, "2.013s"), (60_500, "1m0.5s"), (3_600_000, "1h0m0s")] {
            assert_eq!(go_duration_ms(SimDuration::from_ms(ms)), want);
        }
    }

    /// The waits before each restart of a container that runs `run` after a `startup`,
    /// driven through doBackOff's two calls as kuberuntime makes them: at the exit
    /// (IsInBackOffSince) and at the restart (Next).
    fn waits(run: SimDuration, startup: SimDuration, exits: usize) -> Vec<u64> {
        let (mut entry, mut t, mut out) = (None, SimTime::ZERO, Vec::new());
        for _ in 0..exits {
            let finished = t + run;
            let wait =
                if in_backoff(entry.as_ref(), finished, finished) { entry.map_or(SimDuration::ZERO, |e: BackoffEntry| e.backoff) } else { SimDuration::ZERO };
            let restart = finished + wait;
            assert!(!in_backoff(entry.as_ref(), finished, restart));
            entry = Some(backoff_next(entry.as_ref(), finished, restart));
            t = restart + startup;
            out.push(wait.as_ms() / 1000);
        }
        out
    }

    #[test]
    fn crash_loop_back_off_is_0_then_10s_doubling_to_300s() {
        // No entry at the first exit: restart at once (Next creates 10 s); then each exit
        // waits the entry and Next doubles it, capped at MaxContainerBackOff 300 s.
        let s = SimDuration::from_secs;
        assert_eq!(waits(s(2), s(1), 9), [0, 10, 20, 40, 80, 160, 300, 300, 300]);
    }

    #[test]
    fn the_back_off_is_forgotten_after_a_container_ran_more_than_600s() {
        // HasExpiredFunc: finishedAt − lastUpdate (the restart) > 600 s. lastUpdate is
        // the restart, so that is startup + run: 1 s + 600 s = 601 s expires …
        let s = SimDuration::from_secs;
        assert_eq!(waits(s(600), s(1), 4), [0, 0, 0, 0]);
        // … and 1 s + 599 s = 600 s does not (strictly greater).
        assert_eq!(waits(s(599), s(1), 4), [0, 10, 20, 40]);
    }

    #[test]
    fn durations_print_as_go_does() {
        let s = SimDuration::from_secs;
        assert_eq!([go_duration(s(10)), go_duration(s(80)), go_duration(s(160)), go_duration(s(300))], ["10s", "1m20s", "2m40s", "5m0s"]);
    }
}
