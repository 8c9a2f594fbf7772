//! The kubelet of one node, laid out as upstream's pkg/kubelet. This file is kubelet.go:
//! the `Kubelet` type, its start (registration) and crash, and the sync loop that routes
//! watch events for its Node and the pods bound to it, its timers and the answers to its
//! List requests to the managers:
//!
//! - `pod_workers`: a worker per pod — sandbox, image pulls, containers started, ready,
//!   exit, restart with CrashLoopBackOff, termination (pod_workers.go, kuberuntime);
//! - `status_manager`: the pod status the kubelet posts (generateAPIPodStatus, status/);
//! - `nodestatus`: the Node, its conditions and status, the Lease (nodestatus/, nodelease/);
//! - `lifecycle`: admission (lifecycle/predicate.go);
//! - `images`: serialized pulls and the node's image cache (images/);
//! - `annotations`: the `ksim.dev/...` annotations that stand in for container behaviour;
//! - `volume_manager`: the ConfigMaps and Secrets a pod mounts and reads (volumemanager/,
//!   the configmap and secret volume plugins, makeEnvironmentVariables).
//!
//! - `prober`: liveness, readiness and startup probes;
//! - `eviction`: node-pressure eviction for memory (eviction/);
//! - `runtime_state`: the runtime's network (the CNI) and the runtime itself.
//!
//! This file also has the faults that leave the containers running: the kubelet process
//! stopped and started (`stop_process`, `start_process`), the runtime down and back
//! (`runtime_stop`, `runtime_start`), the relist after a partition (`reconnect`), and a
//! container killed by the runtime (`kill_container`). A kubelet whose containers
//! survived lists its pods and reconciles in `relisted`; one whose node rebooted, in
//! `resync`.
//!
//! Not modelled yet, and where they will go: disk and PID pressure (`eviction`).
//!
//! Differences from upstream: all containers of a pod start and stop together; a
//! node crash kills containers but the host-local IPAM state (on disk) survives, so a
//! pod restarted after the node comes back keeps its IP.

pub mod annotations;
mod cgroups;
mod eviction;
mod images;
mod lifecycle;
mod nodestatus;
mod pod_workers;
mod prober;
pub mod runtime_state;
mod static_pods;
mod stats;
mod status_manager;
pub use stats::ContainerSample;
mod volume_manager;

pub use eviction::EvictionConfig;
pub use nodestatus::{KUBELET_VERSION, LEASE_DURATION_SECONDS, LEASE_NAMESPACE, LEASE_RENEW_INTERVAL, NODE_STATUS_REPORT_FREQUENCY};
pub use pod_workers::{PodStep, BACKOFF_INITIAL, BACKOFF_MAX};
pub use static_pods::KUBERNETES_VERSION;

use crate::api::node::Taint;
use crate::api::quantity::Quantity;
use crate::api::{Kind, Object};
use crate::apiserver::{Request, Response};
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use crate::network::ipam::{Cidr, PodIpAllocator};
use images::ImageManager;
use pod_workers::{Phase, Worker};
use std::collections::BTreeMap;
use std::rc::Rc;

/// The kubelet's timers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A step of one pod's worker (the kubelet generation guards against stale timers).
    PodStep { generation: u32, uid: Rc<str>, step: PodStep },
    /// Lease renewal and node status.
    Heartbeat { generation: u32 },
    /// The runtime's next status poll after a CNI pod here became Ready.
    NetworkReady { generation: u32 },
    /// The eviction manager synchronizes again after an eviction (eviction.rs).
    EvictionSync { generation: u32 },
}

/// What a node offers: from the scenario's node pool.
#[derive(Clone, Debug)]
pub struct NodeSpecification {
    pub name: String,
    pub pool: String,
    pub cpu: Quantity,
    pub memory: Quantity,
    pub pods: Quantity,
    /// Extended resources the node advertises (its device plugins'), in capacity and
    /// allocatable alike.
    pub extended: BTreeMap<String, Quantity>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub internal_ip: String,
    /// Whether the node's CNI is in place when its kubelet first starts (`spec.cluster.cni`
    /// other than `none`).
    pub network_ready: bool,
    /// CSI drivers registered on the node → their attach limit (0: none).
    pub csi_drivers: BTreeMap<String, u32>,
    /// A kubeadm control-plane node: its kubelet runs the control plane's static pods.
    pub control_plane: bool,
    /// The container runtime's cgroup driver is not the kubelet's (cgroups.rs).
    pub cgroup_mismatch: bool,
    /// The eviction manager's thresholds (eviction.rs).
    pub eviction: eviction::EvictionConfig,
}

pub struct Kubelet {
    pub spec: NodeSpecification,
    pub alive: bool,
    pub generation: u32,
    registered: bool,
    /// The Node as last seen (set through `set_node`, which keeps `seen` in step).
    node: Option<Rc<Object>>,
    /// What the heartbeat compares of that Node's conditions (nodestatus.rs).
    seen: nodestatus::SeenConditions,
    /// The pod workers by pod uid, boxed: a Worker is large, and a B-tree node keeps
    /// eleven slots whether filled or not.
    workers: crate::api::uid::UidMap<Box<Worker>>,
    images: ImageManager,
    ipam: Option<PodIpAllocator>,
    /// The runtime's network is ready (a CNI configuration is on the node).
    network_ready: bool,
    last_status_post: SimTime,
    event_seq: u64,
    /// The source of its Events (component kubelet, host the node), shared by them all.
    event_source: Rc<crate::api::event::EventSource>,
    /// client-go's EventCorrelator of this kubelet process (reset when it restarts).
    events: crate::client::events::EventCorrelator,
    /// The GETs of ConfigMaps and Secrets under way: tag → (pod uid, why).
    fetches: BTreeMap<u32, (String, volume_manager::Purpose)>,
    fetch_seq: u32,
    /// The kubelet process is stopped while the machine runs (`kubeletStop`): its
    /// containers keep running, nothing of it acts.
    pub stopped: bool,
    /// Since when the container runtime is down (`runtimeStop`).
    pub runtime_down_since: Option<SimTime>,
    /// Pod worker steps due while the pods could not be synced (the kubelet stopped, or
    /// the runtime down): run when they can be again (at most a few per pod).
    deferred: Vec<Timer>,
    /// The kubelet process's incarnation: bumped at each start and crash. Its own
    /// timers (heartbeats, the eviction manager's) and the answers to its lists carry it;
    /// pod steps carry `generation`, which only a crash (the containers dying) bumps.
    process: u32,
    /// Reads lost with a restart or a partition, to make again after the relist.
    lost_fetches: BTreeMap<String, volume_manager::Purpose>,
    /// How far the node's clock is off (`clockSkew`), in ms.
    pub clock_offset_ms: i64,
    /// The eviction manager's memory (eviction.rs).
    eviction: eviction::EvictionState,
    /// The control plane's mirror pods were created (static_pods.rs).
    mirrors_created: bool,
    /// Static pods whose mirror pod is being made again, by the mirror pod's name.
    static_workers: BTreeMap<String, Box<Worker>>,
    /// The node rebooted and its pods' containers have not been started again yet: the
    /// next pod list it gets (whoever asked) is handled as a reboot's.
    needs_reboot: bool,
    /// The containers' CPU counters (stats.rs).
    cpu: BTreeMap<String, stats::CpuCounter>,
    /// The node's CPU counter: every container's CPU time on it.
    node_cpu: stats::CpuCounter,
    /// The strings its pod statuses repeat (status_manager.rs `Words`).
    words: status_manager::Words,
    /// The messages its Events repeat ("Created container: web", "Started container
    /// web" for each pod of a template): one copy, which the Events in flight and the
    /// store share (a `Words` of their own, so that the statuses' words stay).
    messages: status_manager::Words,
    /// Its pods' behaviours (pod_workers.rs `Behaviours`).
    behaviours: pod_workers::Behaviours,
}

impl Kubelet {
    pub fn new(spec: NodeSpecification) -> Self {
        let event_source = Rc::new(crate::api::event::EventSource { component: "kubelet".into(), host: spec.name.clone() });
        Kubelet {
            network_ready: spec.network_ready,
            spec,
            alive: false,
            generation: 0,
            registered: false,
            node: None,
            seen: Default::default(),
            workers: Default::default(),
            images: ImageManager::default(),
            ipam: None,
            last_status_post: SimTime::ZERO,
            event_seq: 0,
            event_source,
            events: Default::default(),
            fetches: BTreeMap::new(),
            fetch_seq: 0,
            stopped: false,
            runtime_down_since: None,
            deferred: Vec::new(),
            process: 0,
            lost_fetches: BTreeMap::new(),
            clock_offset_ms: 0,
            eviction: Default::default(),
            mirrors_created: false,
            static_workers: BTreeMap::new(),
            needs_reboot: false,
            cpu: BTreeMap::new(),
            node_cpu: Default::default(),
            words: Default::default(),
            messages: Default::default(),
            behaviours: Default::default(),
        }
    }

    /// The runtime's and network's errors that make the node not Ready (runtime_state.rs).
    pub(super) fn ready_error(&self, now: SimTime) -> Option<String> {
        runtime_state::ready_error(self.runtime_down_since, self.network_ready, now)
    }

    /// The node's own clock (its offset from the simulation's, `clockSkew`).
    pub(super) fn clock(&self, now: SimTime) -> SimTime {
        SimTime(now.as_ms().saturating_add_signed(self.clock_offset_ms))
    }

    /// Whether the kubelet runs and can sync pods: the machine up, the kubelet process
    /// running and the container runtime up.
    pub fn healthy(&self) -> bool {
        self.alive && !self.stopped && self.runtime_down_since.is_none()
    }

    /// Whether the node's runtime network is ready (a CNI is in place): without it the
    /// kubelet itself reports the node not Ready.
    pub fn network_ready(&self) -> bool {
        self.network_ready
    }

    /// Pods are not synced: the kubelet is stopped, or the runtime is down (syncLoop:
    /// "skipping pod synchronization - [container runtime is down]").
    fn pods_paused(&self) -> bool {
        self.stopped || self.runtime_down_since.is_some()
    }

    /// The reads under way are lost (the process stopped, or the answers cannot come):
    /// remember whose, to read again.
    fn lose_fetches(&mut self) {
        for (_, (uid, purpose)) in std::mem::take(&mut self.fetches) {
            self.lost_fetches.insert(uid, purpose);
        }
    }

    /// `systemctl stop kubelet`: the process ends; the containers keep running.
    pub fn stop_process(&mut self) {
        if !self.alive || self.stopped {
            return;
        }
        self.stopped = true;
        self.set_node(None);
        self.lose_fetches();
    }

    /// `systemctl start kubelet`: a new process reads its Node and pods back and finds
    /// the containers still running; what was due meanwhile happens now.
    pub fn start_process(&mut self, ctx: &mut Ctx) {
        if !self.alive || !self.stopped {
            return;
        }
        self.stopped = false;
        self.start_as(ctx, true);
        self.replay_deferred(ctx);
    }

    /// The container runtime stops: nothing new starts or stops on the node, the
    /// containers running keep running (their shims do), and the node's Ready condition
    /// turns False once updateRuntimeUp has failed for 30 s (runtime_state.rs).
    pub fn runtime_stop(&mut self, now: SimTime) {
        if self.alive && self.runtime_down_since.is_none() {
            self.runtime_down_since = Some(now);
        }
    }

    /// The container runtime is back: the pod workers catch up (the pods are listed
    /// again, as the config updates skipped meanwhile would give them).
    pub fn runtime_start(&mut self, ctx: &mut Ctx) {
        if self.runtime_down_since.take().is_none() || !self.alive {
            return;
        }
        if !self.stopped {
            ctx.request_reply(Request::List(Kind::Pod), self.list_tag(true));
            self.replay_deferred(ctx);
        }
    }

    /// The node can talk to the control plane again after a partition: the watches are
    /// made again (a relist: reflector.go's ListAndWatch after the watch broke) and what
    /// the status manager could not write is written (its syncBatch).
    pub fn reconnect(&mut self, ctx: &mut Ctx) {
        if !self.alive || self.stopped {
            return;
        }
        self.lose_fetches();
        ctx.request_reply(Request::List(Kind::Node), self.list_tag(true));
        ctx.request_reply(Request::List(Kind::Pod), self.list_tag(true));
    }

    /// `containerKill`: the runtime kills a running container (SIGKILL, exit 137); the
    /// kubelet sees it exit and restarts it as restartPolicy says. ksim's containers of a
    /// pod run and stop together, so the whole pod's containers exit.
    pub fn kill_container(&mut self, uid: &str, container: &str, ctx: &mut Ctx) -> Result<(), String> {
        let Some(w) = self.workers.get_mut(uid) else { return Err("the pod is not running on its node".into()) };
        let Some(p) = w.pod.as_pod() else { return Err("the pod is not running on its node".into()) };
        if !p.spec.containers.iter().any(|c| c.name == container) {
            return Err(format!("container {container:?} not found in pod {:?}", p.metadata.name));
        }
        if self.runtime_down_since.is_some() {
            return Err("container runtime is down".into());
        }
        if w.phase != Phase::Running || w.rare.kill_exit.is_some() {
            return Err(format!("container {container:?} is not running"));
        }
        w.rare.kill_exit = Some(137);
        self.timer(uid, SimDuration::ZERO, pod_workers::PodStep::ContainerExited, ctx);
        Ok(())
    }

    /// The steps that were due while the pods were not synced, now.
    fn replay_deferred(&mut self, ctx: &mut Ctx) {
        for t in std::mem::take(&mut self.deferred) {
            let t = match t {
                Timer::PodStep { uid, step, .. } => {
                    if step == pod_workers::PodStep::StartupProbe {
                        // The startup prober's tick, late: it is the one due now.
                        if let Some(w) = self.workers.get_mut(&uid) {
                            w.rare.startup_due = Some(ctx.now);
                        }
                    }
                    Timer::PodStep { generation: self.generation, uid, step }
                }
                Timer::NetworkReady { .. } => Timer::NetworkReady { generation: self.generation },
                other => other,
            };
            ctx.after(SimDuration::ZERO, t);
        }
    }

    pub fn name(&self) -> &str {
        &self.spec.name
    }

    /// Pod IPs this node's IPAM has handed out (for invariants and tests).
    pub fn ips_in_use(&self) -> usize {
        self.ipam.as_ref().map_or(0, |a| a.in_use())
    }

    /// The kubelet process starts (at t=0 or when the node recovers).
    pub fn start(&mut self, ctx: &mut Ctx) {
        self.start_as(ctx, false);
    }

    /// The tag of a list: the process that asked, and whether its containers survived
    /// (a reconnection, not a reboot).
    fn list_tag(&self, survived: bool) -> u32 {
        ((self.process & 0x7FFF_FFFF) << 1) | u32::from(survived)
    }

    /// A new kubelet process; `survived`: the node's containers kept running.
    fn start_as(&mut self, ctx: &mut Ctx, survived: bool) {
        self.alive = true;
        self.events = Default::default();
        // A new process: a new eviction manager too.
        self.eviction = Default::default();
        self.process = self.process.wrapping_add(1);
        if self.registered {
            // A restarted kubelet knows nothing: it reads its Node back (then posts its
            // status) and relists its pods.
            ctx.request_reply(Request::List(Kind::Node), self.list_tag(survived));
            ctx.request_reply(Request::List(Kind::Pod), self.list_tag(survived));
        } else {
            self.registered = true;
            ctx.request(Request::Create(self.node_object(ctx.now)));
            ctx.request(Request::Create(self.lease(ctx.now)));
            if let Some(c) = self.csi_node() {
                ctx.request(Request::Create(c));
            }
            self.last_status_post = ctx.now;
        }
        ctx.after(LEASE_RENEW_INTERVAL, Timer::Heartbeat { generation: self.process });
    }

    /// The node crashes: the kubelet and every container stop at once.
    pub fn crash(&mut self) {
        self.alive = false;
        self.generation += 1;
        self.process = self.process.wrapping_add(1);
        self.set_node(None);
        self.images.crash();
        self.fetches.clear();
        // The machine reboots with its kubelet and runtime enabled.
        self.stopped = false;
        self.runtime_down_since = None;
        self.deferred.clear();
        self.lost_fetches.clear();
        // The eviction manager's memory is the process's.
        self.eviction = Default::default();
        self.needs_reboot = true;
        self.static_workers.clear();
        for w in self.workers.values_mut() {
            if w.phase != Phase::Done {
                w.phase = Phase::Creating;
                w.ready = false;
            }
            // The crash-loop back-off lives in the kubelet's memory; kills under way die
            // with the containers; the new ones start as specified.
            if let Some(r) = w.rare.existing() {
                r.backoff = None;
                r.kill_exit = None;
                r.sandbox_change_at = None;
            }
            w.redefined = false;
            w.resandbox = false;
        }
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        if self.stopped {
            return;
        }
        match &*ev.object {
            Object::Node(n) => {
                if ev.type_ == WatchEventType::Deleted {
                    self.set_node(None);
                    return;
                }
                self.set_node(Some(ev.object.clone()));
                if self.spec.control_plane && !self.mirrors_created {
                    self.create_mirror_pods(n, ctx);
                }
                if self.ipam.is_none() && !n.spec.pod_cidr.is_empty() {
                    if let Ok(c) = Cidr::parse(&n.spec.pod_cidr) {
                        self.ipam = Some(PodIpAllocator::new(c));
                        self.start_waiting(ctx);
                    }
                }
            }
            // While the runtime is down the sync loop skips its iterations; the pods are
            // listed again when it is back.
            Object::Pod(_) if self.runtime_down_since.is_some() => {}
            Object::Pod(_) => self.on_pod(ev.type_ == WatchEventType::Deleted, &ev.object, ctx),
            _ => {}
        }
    }

    /// HandlePodAdditions / Updates / Removes: a new pod bound here is admitted; a pod
    /// given a deletionTimestamp is killed; a pod gone (or bound elsewhere) loses its
    /// worker.
    fn on_pod(&mut self, deleted: bool, obj: &Rc<Object>, ctx: &mut Ctx) {
        let Some(p) = obj.as_pod() else { return };
        if self.spec.control_plane && self.handle_mirror_pod(deleted, obj, ctx) {
            return;
        }
        let uid = p.metadata.uid.as_str();
        if deleted || p.spec.node_name != self.spec.name {
            if let Some(w) = self.workers.remove(uid) {
                self.release_ip(w.ip);
            }
            if deleted {
                self.forget_events_of(obj);
            }
            return;
        }
        if let Some(w) = self.workers.get_mut(uid) {
            fn images(o: &Object) -> impl Iterator<Item = &str> {
                o.as_pod().into_iter().flat_map(|p| p.spec.containers.iter().map(|c| c.image.as_str()))
            }
            let changed = !images(&w.pod).eq(images(obj));
            w.set_pod(obj.clone());
            if p.metadata.rare.deletion_timestamp.is_some() && w.phase != Phase::Killing {
                self.begin_kill(uid, ctx);
            } else if changed {
                self.definition_changed(uid, ctx);
            }
            return;
        }
        if p.is_terminal() {
            return;
        }
        if p.metadata.rare.deletion_timestamp.is_some() {
            // Never started here: finish the deletion at once.
            ctx.request(Request::Delete { key: Box::new(obj.key()), grace_period_seconds: Some(0), uid: Some(uid.to_string()) });
            return;
        }
        self.admit(obj, ctx);
    }

    pub(super) fn event(&mut self, obj: &Object, type_: &'static str, reason: impl Into<std::borrow::Cow<'static, str>>, msg: &str, ctx: &mut Ctx) {
        self.event_seq += 1;
        let involved = match obj.as_pod().and_then(|p| self.workers.get_mut(&p.metadata.uid)) {
            Some(w) => w.involved.get_or_insert_with(|| Rc::new(crate::client::object_reference(obj))).clone(),
            None => Rc::new(crate::client::object_reference(obj)),
        };
        let msg = self.messages.text(msg);
        let e = crate::client::event_with(involved, self.event_source.clone(), type_, reason, msg, ctx.now, self.event_seq);
        if let Some(r) = crate::client::event_request(self.events.correlate(e, ctx.now)) {
            ctx.request(r);
        }
    }

    pub fn on_timer(&mut self, t: &Timer, ctx: &mut Ctx) {
        if self.pods_paused() && self.alive {
            match t {
                Timer::PodStep { generation, .. } | Timer::NetworkReady { generation } if *generation == self.generation => {
                    // A stale startup-probe chain is dropped now rather than replayed.
                    let stale = matches!(t, Timer::PodStep { uid, step: pod_workers::PodStep::StartupProbe, .. }
                        if self.workers.get(uid).is_none_or(|w| w.rare.startup_due != Some(ctx.now)));
                    if !stale {
                        self.deferred.push(t.clone());
                    }
                    return;
                }
                Timer::Heartbeat { .. } if self.stopped => return,
                _ => {}
            }
        }
        match t {
            Timer::Heartbeat { generation } if *generation == self.process && self.alive => self.heartbeat(ctx),
            Timer::EvictionSync { generation } if *generation == self.process && self.alive && !self.stopped => self.synchronize_eviction(ctx),
            Timer::PodStep { generation, uid, step } if *generation == self.generation && self.alive => self.step(uid, *step, ctx),
            Timer::NetworkReady { generation } if *generation == self.generation && self.alive && !self.network_ready => {
                self.network_ready = true;
                self.start_waiting(ctx);
            }
            _ => {}
        }
    }

    pub fn on_response(&mut self, tag: u32, req: &crate::apiserver::Request, resp: &Response, ctx: &mut Ctx) {
        if self.stopped {
            return;
        }
        match (req, resp) {
            (Request::Get(_), _) => self.fetched(tag, req, resp, ctx),
            // Lists a process no longer running asked for are not its own.
            (Request::List(_), _) if tag >> 1 != self.process & 0x7FFF_FFFF => {}
            (Request::List(Kind::Pod), Response::List(l)) if tag & 1 == 1 && !self.needs_reboot => self.relisted(&l.items, ctx),
            (Request::List(Kind::Pod), Response::List(l)) => {
                self.needs_reboot = false;
                self.resync(&l.items, ctx)
            }
            (Request::List(Kind::Node), Response::List(l)) => self.on_node_list(&l.items, ctx),
            _ => {}
        }
    }

    /// After a restart: reconcile the pods bound here with what survived.
    fn resync(&mut self, items: &[Rc<Object>], ctx: &mut Ctx) {
        for (uid, obj) in self.listed_pods(items) {
            let p = obj.as_pod().expect("pod");
            match self.workers.get_mut(&uid) {
                Some(w) => {
                    w.set_pod(obj.clone());
                    if p.metadata.rare.deletion_timestamp.is_some() {
                        w.phase = Phase::Killing;
                        self.timer(&uid, SimDuration::ZERO, PodStep::Killed, ctx);
                    } else if w.phase != Phase::Done {
                        // Containers died with the node: start them again (a restart,
                        // counted when they are created).
                        w.phase = Phase::Creating;
                        w.started_at = crate::engine::MaybeSimTime::NONE;
                        // A new sandbox runs the init containers again.
                        if let Some(r) = w.rare.existing() {
                            r.init_next = 0;
                            r.init_states.iter_mut().for_each(|s| *s = pod_workers::InitState::Waiting);
                        }
                        let d = w.behaviour.sandbox;
                        let mounted = w.mounted;
                        self.sync_status(&uid, ctx);
                        if mounted {
                            self.timer(&uid, d, PodStep::SandboxReady, ctx);
                        } else {
                            self.mount_volumes(&uid, ctx);
                        }
                    }
                }
                None => self.on_pod(false, &obj, ctx),
            }
        }
    }
}

impl Kubelet {
    /// The pods of a list that are bound here, by uid; the workers of pods not among
    /// them are gone (their IPs back to the pool).
    fn listed_pods(&mut self, items: &[Rc<Object>]) -> BTreeMap<String, Rc<Object>> {
        let mine: BTreeMap<String, Rc<Object>> =
            items.iter().filter(|o| o.as_pod().is_some_and(|p| p.spec.node_name == self.spec.name)).map(|o| (o.meta().uid.to_string(), o.clone())).collect();
        let gone: Vec<String> = self.workers.keys().filter(|k| k.with_str(|k| !mine.contains_key(k))).map(|k| k.to_string()).collect();
        for uid in gone {
            if let Some(w) = self.workers.remove(&uid) {
                self.release_ip(w.ip);
                self.forget_events_of(&w.pod);
            }
        }
        mine
    }

    /// A pod gone from the API: the recorder's caches keep its entries' places only
    /// (EventCorrelator::forget; nothing records an event about its uid again).
    fn forget_events_of(&mut self, pod: &Object) {
        self.events.forget(&self.event_source, &crate::client::object_reference(pod));
    }

    /// The pods listed again by a kubelet whose containers kept running (a restarted
    /// kubelet process, the runtime back, a partition healed): workers of pods gone stop,
    /// pods marked for deletion meanwhile are killed, a pod whose containers were already
    /// killed has its deletion finished, the statuses the apiserver lacks are written, lost
    /// reads are made again, and new pods are admitted.
    fn relisted(&mut self, items: &[Rc<Object>], ctx: &mut Ctx) {
        let mine = self.listed_pods(items);
        let lost = std::mem::take(&mut self.lost_fetches);
        for (uid, obj) in mine {
            let p = obj.as_pod().expect("pod");
            let Some(w) = self.workers.get_mut(&uid) else {
                // While the runtime is down the sync loop admits nothing: its relist when
                // the runtime is back does.
                if self.runtime_down_since.is_none() {
                    self.on_pod(false, &obj, ctx);
                }
                continue;
            };
            w.set_pod(obj.clone());
            let deleting = p.metadata.rare.deletion_timestamp.is_some();
            match w.phase {
                Phase::Done if deleting => {
                    ctx.request(Request::Delete { key: Box::new(obj.key()), grace_period_seconds: Some(0), uid: Some(uid.clone()) });
                    continue;
                }
                Phase::Killing | Phase::Done => {}
                _ if deleting => {
                    self.begin_kill(&uid, ctx);
                    continue;
                }
                _ => {}
            }
            self.sync_status(&uid, ctx);
            match lost.get(&uid) {
                Some(volume_manager::Purpose::Mount) => self.mount_volumes(&uid, ctx),
                Some(volume_manager::Purpose::Env) => self.resolve_env(&uid, ctx),
                None => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::node::Node;
    use crate::api::pod::Container;
    use crate::api::pod::Pod;
    use crate::client::Action;
    use crate::etcd::WatchEvent;

    fn kubelet() -> Kubelet {
        Kubelet::new(NodeSpecification {
            name: "n1".into(),
            pool: "p".into(),
            cpu: Quantity::from_milli(2000),
            memory: Quantity::from_bytes(1 << 30),
            pods: Quantity::from_value(110),
            extended: Default::default(),
            labels: Default::default(),
            taints: vec![],
            csi_drivers: Default::default(),
            internal_ip: "172.18.0.2".into(),
            network_ready: true,
            control_plane: false,
            cgroup_mismatch: false,
            eviction: Default::default(),
        })
    }

    fn event(o: Object) -> WatchEvent {
        WatchEvent { revision: 1, type_: WatchEventType::Added, object: Rc::new(o), prev: None, time: SimTime::ZERO }
    }

    fn pod(name: &str, cpu_m: i64) -> Object {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = format!("uid-{name}").into();
        let mut c = Container { name: "c".into(), image: "img:1".into(), image_pull_policy: "IfNotPresent".into(), ..Default::default() };
        c.resources.requests.insert("cpu".into(), Quantity::from_milli(cpu_m));
        let s = Rc::make_mut(&mut p.spec);
        s.containers = Rc::new(vec![c]);
        s.node_name = "n1".into();
        s.restart_policy = "Always".into();
        Object::Pod(Box::new(p))
    }

    fn statuses(actions: &[Action]) -> Vec<Pod> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Request { request, .. } => match &**request {
                    Request::UpdateStatus(Object::Pod(p)) => Some((**p).clone()),
                    _ => None,
                },
                _ => None,
            })
            .collect()
    }

    fn timers(actions: &[Action]) -> Vec<(SimDuration, Timer)> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Timer(d, crate::client::Timer::Kubelet(t)) => Some((*d, t.clone())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn a_pod_goes_from_container_creating_to_running_with_an_ip_from_the_node_cidr() {
        let mut k = kubelet();
        let mut out = Vec::new();
        k.start(&mut Ctx::new(SimTime::ZERO, &mut out));
        let mut node = Node::default();
        node.metadata.name = "n1".into();
        node.spec.pod_cidr = "10.244.3.0/24".into();
        k.on_watch(&event(Object::Node(Box::new(node))), &mut Ctx::new(SimTime::ZERO, &mut out));
        let mut out = Vec::new();
        k.on_watch(&event(pod("web", 500)), &mut Ctx::new(SimTime(10), &mut out));
        let st = statuses(&out);
        assert_eq!(crate::trace::pod_status(&st[0]), "ContainerCreating");
        let steps = timers(&out);
        assert_eq!(steps.len(), 1);
        let (d, t) = steps[0].clone();
        assert_eq!(d, SimDuration::from_ms(500), "sandbox");
        let mut out = Vec::new();
        k.on_timer(&t, &mut Ctx::new(SimTime(510), &mut out));
        // The sandbox has its IP, but no status says it yet: the first SyncPod (sandbox,
        // pulls, containers) posts none until the sync after the containers started
        // (kubelet.go SyncPod: generateAPIPodStatus and SetPodStatus before
        // kuberuntime's SyncPod, which blocks in the image pull).
        assert!(statuses(&out).is_empty());
        let (d, t) = timers(&out)[0].clone();
        assert_eq!(d, SimDuration::from_secs(2), "one image pull");
        let mut out = Vec::new();
        k.on_timer(&t, &mut Ctx::new(SimTime(2510), &mut out));
        let (d, t) = timers(&out)[0].clone();
        assert_eq!(d, SimDuration::from_secs(1), "container start");
        let mut out = Vec::new();
        k.on_timer(&t, &mut Ctx::new(SimTime(3510), &mut out));
        let p = &statuses(&out)[0];
        assert_eq!((p.status.phase.as_ref(), p.is_ready()), ("Running", true));
        assert_eq!(p.status.pod_ip, "10.244.3.2");
        assert_eq!(k.ips_in_use(), 1);
    }

    /// A starting pod's Ready and ContainersReady conditions say which containers are
    /// not ready (pkg/kubelet/status/generate.go, GeneratePodReadyCondition and
    /// GenerateContainersReadyCondition: "containers with unready status: [c]"); the
    /// pods of one template say the same, in one copy the kubelet's statuses share.
    #[test]
    fn starting_pods_alike_share_their_ready_conditions_message() {
        let mut k = kubelet();
        let mut out = Vec::new();
        k.start(&mut Ctx::new(SimTime::ZERO, &mut out));
        let mut out = Vec::new();
        k.on_watch(&event(pod("a", 100)), &mut Ctx::new(SimTime(10), &mut out));
        k.on_watch(&event(pod("b", 100)), &mut Ctx::new(SimTime(11), &mut out));
        let st = statuses(&out);
        let messages: Vec<&crate::api::meta::Text> =
            st.iter().flat_map(|p| p.status.conditions.iter().filter(|c| c.type_ == "Ready" || c.type_ == "ContainersReady")).map(|c| &c.message).collect();
        assert_eq!(messages.len(), 4);
        assert!(messages.iter().all(|m| **m == "containers with unready status: [c]" && m.shares(messages[0])));
    }

    #[test]
    fn admission_rejects_a_pod_that_does_not_fit_with_upstreams_words() {
        let mut k = kubelet();
        let mut out = Vec::new();
        k.on_watch(&event(pod("a", 1500)), &mut Ctx::new(SimTime::ZERO, &mut out));
        let mut out = Vec::new();
        k.on_watch(&event(pod("b", 1000)), &mut Ctx::new(SimTime(1), &mut out));
        let p = &statuses(&out)[0];
        assert_eq!((p.status.phase.as_ref(), p.status.reason.as_str()), ("Failed", "OutOfcpu"));
        assert_eq!(p.status.message, "Pod was rejected: Node didn't have enough resource: cpu, requested: 1000, used: 1500, capacity: 2000");
    }
}
