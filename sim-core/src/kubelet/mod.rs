//! The kubelet of one node: registration, lease and node-status heartbeats, pod
//! admission (re-checking resources and pod count as `lifecycle/predicate.go` does),
//! and a pod worker per pod: sandbox (IP from the node's pod CIDR) → image pulls (unless
//! cached on the node) → containers started → ready (after the readiness probe's
//! initialDelaySeconds) → exit, restart with CrashLoopBackOff, or termination.
//! Container behaviour comes from `ksim.dev/...` annotations (see `annotations`).
//!
//! Differences from upstream: all containers of a pod start and stop together; a
//! node crash kills containers but the host-local IPAM state (on disk) survives, so a
//! pod restarted after the node comes back keeps its IP.

pub mod annotations;

use crate::api::meta::Time;
use crate::api::node::{ContainerImage, Node, NodeAddress, NodeCondition, Taint};
use crate::api::pod::{ContainerState, ContainerStateRunning, ContainerStateTerminated, ContainerStateWaiting, ContainerStatus, Pod, PodIp};
use crate::api::quantity::Quantity;
use crate::api::{Kind, Object};
use crate::apiserver::{Request, Response};
use crate::client::{event_for, Ctx};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use crate::network::ipam::{format_ip, Cidr, PodIpAllocator};
use annotations::PodBehaviour;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

pub const LEASE_NAMESPACE: &str = "kube-node-lease";
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// renewInterval = 0.25 × leaseDuration.
pub const LEASE_RENEW_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// nodeStatusReportFrequency: the status is re-posted at least this often.
pub const NODE_STATUS_REPORT_FREQUENCY: SimDuration = SimDuration::from_secs(300);
pub const KUBELET_VERSION: &str = "v1.34.0";
/// CrashLoopBackOff: 10 s doubling to 300 s.
pub const BACKOFF_INITIAL: SimDuration = SimDuration::from_secs(10);
pub const BACKOFF_MAX: SimDuration = SimDuration::from_secs(300);

/// The kubelet's timers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// A step of one pod's worker (the kubelet generation guards against stale timers).
    PodStep { generation: u32, uid: Rc<str>, step: PodStep },
    /// Lease renewal and node status.
    Heartbeat { generation: u32 },
}

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

/// A container's `terminated` state from (exit code, started, finished).
fn terminated((code, started, finished): (i32, SimTime, SimTime)) -> ContainerState {
    ContainerState {
        terminated: Some(ContainerStateTerminated {
            exit_code: code,
            reason: if code == 0 { "Completed" } else { "Error" }.into(),
            message: String::new(),
            started_at: Some(Time(started)),
            finished_at: Some(Time(finished)),
        }),
        ..Default::default()
    }
}

/// What a node offers: from the scenario's node pool.
#[derive(Clone, Debug)]
pub struct NodeSpecification {
    pub name: String,
    pub pool: String,
    pub cpu: Quantity,
    pub memory: Quantity,
    pub pods: Quantity,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    pub internal_ip: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    Creating,
    Pulling,
    Starting,
    Running,
    BackOff,
    Done,
    Killing,
}

struct Worker {
    pod: Rc<Object>,
    phase: Phase,
    ip: Option<u32>,
    requests: (i64, i64),
    restarts: i32,
    ready: bool,
    started_at: Option<SimTime>,
    last_exit: Option<(i32, SimTime, SimTime)>,
    exit_code: Option<i32>,
    behaviour: PodBehaviour,
    pulled: Vec<String>,
}

pub struct Kubelet {
    pub spec: NodeSpecification,
    pub alive: bool,
    pub generation: u32,
    registered: bool,
    node: Option<Rc<Object>>,
    workers: BTreeMap<String, Worker>,
    /// Pods seen but not yet startable (waiting for the node's pod CIDR).
    images: BTreeSet<String>,
    /// Image sizes known from `ksim.dev/image-size`, and whether the image set changed
    /// since the last node status (the kubelet reports new images within 10 s).
    image_sizes: BTreeMap<String, i64>,
    images_changed: bool,
    /// Image pulls in progress → when they finish. Pulls are serialized
    /// (serializeImagePulls: true, the default): one at a time per node.
    pulls: BTreeMap<String, SimTime>,
    puller_free_at: SimTime,
    ipam: Option<PodIpAllocator>,
    last_status_post: SimTime,
    event_seq: u64,
}

impl Kubelet {
    pub fn new(spec: NodeSpecification) -> Self {
        Kubelet {
            spec,
            alive: false,
            generation: 0,
            registered: false,
            node: None,
            workers: BTreeMap::new(),
            images: BTreeSet::new(),
            image_sizes: BTreeMap::new(),
            images_changed: false,
            pulls: BTreeMap::new(),
            puller_free_at: SimTime::ZERO,
            ipam: None,
            last_status_post: SimTime::ZERO,
            event_seq: 0,
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
        self.alive = true;
        self.generation += 1;
        if self.registered {
            // A restarted kubelet knows nothing: it reads its Node back (then posts its
            // status) and relists its pods.
            ctx.request_reply(Request::List(Kind::Node), 0);
            ctx.request_reply(Request::List(Kind::Pod), 0);
        } else {
            self.registered = true;
            ctx.request(Request::Create(self.node_object(ctx.now)));
            ctx.request(Request::Create(self.lease(ctx.now)));
            self.last_status_post = ctx.now;
        }
        ctx.after(LEASE_RENEW_INTERVAL, Timer::Heartbeat { generation: self.generation });
    }

    /// The node crashes: the kubelet and every container stop at once.
    pub fn crash(&mut self) {
        self.alive = false;
        self.generation += 1;
        self.node = None;
        self.pulls.clear();
        self.puller_free_at = SimTime::ZERO;
        for w in self.workers.values_mut() {
            if w.phase != Phase::Done {
                w.phase = Phase::Creating;
                w.ready = false;
            }
        }
    }

    fn node_object(&self, now: SimTime) -> Object {
        let mut n = Node::default();
        n.metadata.name = self.spec.name.clone();
        let l = &mut n.metadata.labels;
        l.insert("kubernetes.io/arch".into(), "amd64".into());
        l.insert("kubernetes.io/hostname".into(), self.spec.name.clone());
        l.insert("kubernetes.io/os".into(), "linux".into());
        l.insert("ksim.dev/pool".into(), self.spec.pool.clone());
        for (k, v) in &self.spec.labels {
            l.insert(k.clone(), v.clone());
        }
        n.spec.taints = self.spec.taints.clone();
        let res: BTreeMap<String, Quantity> =
            [("cpu".to_string(), self.spec.cpu.clone()), ("memory".to_string(), self.spec.memory.clone()), ("pods".to_string(), self.spec.pods.clone())]
                .into_iter()
                .collect();
        n.status.capacity = res.clone();
        n.status.allocatable = res;
        n.status.addresses = vec![
            NodeAddress { type_: "InternalIP".into(), address: self.spec.internal_ip.clone() },
            NodeAddress { type_: "Hostname".into(), address: self.spec.name.clone() },
        ];
        n.status.node_info = Some(serde_json::json!({
            "architecture": "amd64",
            "containerRuntimeVersion": "containerd://2.1.0",
            "kernelVersion": "6.8.0-ksim",
            "kubeletVersion": KUBELET_VERSION,
            "operatingSystem": "linux",
            "osImage": "ksim simulated node"
        }));
        n.status.conditions = self.conditions(now, None);
        Object::Node(Box::new(n))
    }

    fn conditions(&self, now: SimTime, prev: Option<&Node>) -> Vec<NodeCondition> {
        let t = Time(now);
        let mk = |type_: &str, status: &str, reason: &str, message: &str| {
            let transition = prev.and_then(|p| p.condition(type_)).filter(|c| c.status == status).and_then(|c| c.last_transition_time).unwrap_or(t);
            NodeCondition {
                type_: type_.into(),
                status: status.into(),
                last_heartbeat_time: Some(t),
                last_transition_time: Some(transition),
                reason: reason.into(),
                message: message.into(),
            }
        };
        vec![
            mk("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available"),
            mk("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
            mk("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
            mk("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
        ]
    }

    fn post_node_status(&mut self, ctx: &mut Ctx) {
        let Some(node) = self.node.as_ref().and_then(|o| o.as_node()) else { return };
        let mut n = node.clone();
        n.metadata.resource_version.0 = 0;
        n.status.conditions = self.conditions(ctx.now, Some(node));
        n.status.images = self
            .images
            .iter()
            .map(|i| ContainerImage {
                names: vec![crate::scheduler::plugins::image_locality::normalized_image_name(i)],
                size_bytes: self.image_sizes.get(i).copied(),
            })
            .collect();
        self.images_changed = false;
        self.last_status_post = ctx.now;
        ctx.request(Request::UpdateStatus(Object::Node(Box::new(n))));
    }

    /// This node's Lease in kube-node-lease, renewed now.
    fn lease(&self, now: SimTime) -> Object {
        let mut lease = crate::api::namespace::Lease::default();
        lease.metadata.name = self.spec.name.clone();
        lease.metadata.namespace = LEASE_NAMESPACE.into();
        lease.spec.holder_identity = Some(self.spec.name.clone());
        lease.spec.lease_duration_seconds = Some(LEASE_DURATION_SECONDS);
        lease.spec.renew_time = Some(Time(now));
        Object::Lease(lease)
    }

    fn heartbeat(&mut self, ctx: &mut Ctx) {
        ctx.request(Request::Update(self.lease(ctx.now)));
        if self.images_changed || ctx.now.since(self.last_status_post) >= NODE_STATUS_REPORT_FREQUENCY {
            self.post_node_status(ctx);
        }
        ctx.after(LEASE_RENEW_INTERVAL, Timer::Heartbeat { generation: self.generation });
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        match &*ev.object {
            Object::Node(n) => {
                if ev.type_ == WatchEventType::Deleted {
                    self.node = None;
                    return;
                }
                self.node = Some(ev.object.clone());
                if self.ipam.is_none() && !n.spec.pod_cidr.is_empty() {
                    if let Ok(c) = Cidr::parse(&n.spec.pod_cidr) {
                        self.ipam = Some(PodIpAllocator::new(c));
                        let waiting: Vec<String> =
                            self.workers.iter().filter(|(_, w)| w.phase == Phase::Creating && w.ip.is_none()).map(|(k, _)| k.clone()).collect();
                        for uid in waiting {
                            self.step(&uid, PodStep::SandboxReady, ctx);
                        }
                    }
                }
            }
            Object::Pod(_) => self.on_pod(ev.type_ == WatchEventType::Deleted, &ev.object, ctx),
            _ => {}
        }
    }

    fn on_pod(&mut self, deleted: bool, obj: &Rc<Object>, ctx: &mut Ctx) {
        let Some(p) = obj.as_pod() else { return };
        let uid = p.metadata.uid.clone();
        if deleted || p.spec.node_name != self.spec.name {
            if let Some(w) = self.workers.remove(&uid) {
                self.release_ip(w.ip);
            }
            return;
        }
        if let Some(w) = self.workers.get_mut(&uid) {
            w.pod = obj.clone();
            if p.metadata.deletion_timestamp.is_some() && w.phase != Phase::Killing {
                self.begin_kill(&uid, ctx);
            }
            return;
        }
        if p.is_terminal() {
            return;
        }
        if p.metadata.deletion_timestamp.is_some() {
            // Never started here: finish the deletion at once.
            ctx.request(Request::Delete { key: obj.key(), grace_period_seconds: Some(0), uid: Some(uid) });
            return;
        }
        self.admit(obj, ctx);
    }

    /// Admission (lifecycle/predicate.go): pods, then cpu, then memory; the first
    /// shortfall rejects the pod with `OutOf<resource>`.
    fn admit(&mut self, obj: &Rc<Object>, ctx: &mut Ctx) {
        let p = obj.as_pod().expect("pod");
        let r = p.spec.requests();
        let active: Vec<&Worker> = self.workers.values().filter(|w| w.phase != Phase::Done).collect();
        let used_cpu: i64 = active.iter().map(|w| w.requests.0).sum();
        let used_mem: i64 = active.iter().map(|w| w.requests.1).sum();
        let checks = [
            ("pods", 1, active.len() as i64, self.spec.pods.value()),
            ("cpu", r.milli_cpu, used_cpu, self.spec.cpu.milli_value()),
            ("memory", r.memory, used_mem, self.spec.memory.value()),
        ];
        for (res, req, used, cap) in checks {
            let short = if res == "pods" { used + req > cap } else { req > 0 && req > cap - used };
            if short {
                let reason = format!("OutOf{res}");
                let msg = format!("Node didn't have enough resource: {res}, requested: {req}, used: {used}, capacity: {cap}");
                let mut np = p.clone();
                np.metadata.resource_version.0 = 0;
                np.status.phase = "Failed".into();
                np.status.reason = reason.clone();
                np.status.message = format!("Pod was rejected: {msg}");
                ctx.request(Request::UpdateStatus(Object::Pod(np)));
                self.event(obj, "Warning", &reason, &msg, ctx);
                return;
            }
        }
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

    fn timer(&self, uid: &str, d: SimDuration, step: PodStep, ctx: &mut Ctx) {
        ctx.after(d, Timer::PodStep { generation: self.generation, uid: Rc::from(uid), step });
    }

    fn event(&mut self, obj: &Object, type_: &'static str, reason: &str, msg: &str, ctx: &mut Ctx) {
        self.event_seq += 1;
        ctx.request(Request::Create(event_for(obj, type_, reason, msg, "kubelet", &self.spec.name, ctx.now, self.event_seq)));
    }

    fn release_ip(&mut self, ip: Option<u32>) {
        if let (Some(ip), Some(a)) = (ip, self.ipam.as_mut()) {
            a.release(ip);
        }
    }

    pub fn on_timer(&mut self, t: &Timer, ctx: &mut Ctx) {
        match t {
            Timer::Heartbeat { generation } if *generation == self.generation && self.alive => self.heartbeat(ctx),
            Timer::PodStep { generation, uid, step } if *generation == self.generation && self.alive => self.step(uid, *step, ctx),
            _ => {}
        }
    }

    fn step(&mut self, uid: &str, step: PodStep, ctx: &mut Ctx) {
        let Some(w) = self.workers.get_mut(uid) else { return };
        match step {
            PodStep::SandboxReady => {
                if w.phase != Phase::Creating {
                    return;
                }
                if w.ip.is_none() {
                    let Some(a) = self.ipam.as_mut() else { return };
                    match a.allocate() {
                        Some(ip) => w.ip = Some(ip),
                        None => {
                            let pod = w.pod.clone();
                            self.event(
                                &pod,
                                "Warning",
                                "FailedCreatePodSandBox",
                                "Failed to create pod sandbox: failed to allocate for range 0: no IP addresses available in range set",
                                ctx,
                            );
                            self.timer(uid, SimDuration::from_secs(10), PodStep::SandboxReady, ctx);
                            return;
                        }
                    }
                }
                let pulls = self.images_to_pull(uid);
                let w = self.workers.get_mut(uid).expect("worker");
                if pulls.is_empty() {
                    w.phase = Phase::Starting;
                    let d = w.behaviour.startup;
                    self.sync_status(uid, ctx);
                    self.timer(uid, d, PodStep::ContainersStarted, ctx);
                } else {
                    w.phase = Phase::Pulling;
                    let one = w.behaviour.image_pull;
                    let mut ready_at = ctx.now;
                    let mut started = Vec::new();
                    for image in pulls {
                        let done = match self.pulls.get(&image) {
                            Some(done) => *done, // another pod is pulling it: wait for that pull
                            None => {
                                let done = self.puller_free_at.max(ctx.now) + one;
                                self.puller_free_at = done;
                                self.pulls.insert(image.clone(), done);
                                started.push(image);
                                done
                            }
                        };
                        ready_at = ready_at.max(done);
                    }
                    let w = self.workers.get_mut(uid).expect("worker");
                    w.pulled = started;
                    self.sync_status(uid, ctx);
                    self.timer(uid, ready_at.since(ctx.now), PodStep::ImagesPulled, ctx);
                }
            }
            PodStep::ImagesPulled => {
                if w.phase != Phase::Pulling {
                    return;
                }
                w.phase = Phase::Starting;
                let d = w.behaviour.startup;
                let pull = w.behaviour.image_pull;
                let pod = w.pod.clone();
                let pulled = std::mem::take(&mut w.pulled);
                let now = ctx.now;
                let size =
                    pod.as_pod().and_then(|p| p.metadata.annotations.get(annotations::IMAGE_SIZE)).and_then(|v| crate::api::quantity::Quantity::parse(v).ok());
                for image in pulled {
                    if let Some(q) = &size {
                        self.image_sizes.insert(image.clone(), q.value());
                    }
                    self.images_changed |= self.images.insert(image.clone());
                    self.event(&pod, "Normal", "Pulled", &format!("Successfully pulled image {image:?} in {pull}"), ctx);
                }
                let finished: Vec<String> = self.pulls.iter().filter(|(_, done)| **done <= now).map(|(i, _)| i.clone()).collect();
                for image in finished {
                    self.pulls.remove(&image);
                    self.images_changed |= self.images.insert(image);
                }
                self.timer(uid, d, PodStep::ContainersStarted, ctx);
            }
            PodStep::ContainersStarted => {
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
            PodStep::ReadinessProbe => {
                if w.phase == Phase::Running && !w.ready {
                    w.ready = true;
                    self.sync_status(uid, ctx);
                }
            }
            PodStep::ContainerExited => self.container_exited(uid, ctx),
            PodStep::Restart => {
                if w.phase == Phase::BackOff {
                    w.phase = Phase::Starting;
                    let d = w.behaviour.startup;
                    self.timer(uid, d, PodStep::ContainersStarted, ctx);
                }
            }
            PodStep::Killed => {
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
    }

    fn images_to_pull(&self, uid: &str) -> Vec<String> {
        let w = &self.workers[uid];
        let p = w.pod.as_pod().expect("pod");
        let mut out: Vec<String> = Vec::new();
        for c in p.spec.init_containers.iter().chain(p.spec.containers.iter()) {
            let cached = self.images.contains(&c.image) && !self.pulls.contains_key(&c.image);
            let pull = match c.image_pull_policy.as_str() {
                "Never" => false,
                "Always" => true,
                _ => !cached,
            };
            if pull && !out.contains(&c.image) {
                out.push(c.image.clone());
            }
        }
        out
    }

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

    fn begin_kill(&mut self, uid: &str, ctx: &mut Ctx) {
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

    /// The status the kubelet would report for a worker (generateAPIPodStatus).
    fn sync_status(&mut self, uid: &str, ctx: &mut Ctx) {
        let Some(w) = self.workers.get(uid) else { return };
        let Some(p) = w.pod.as_pod() else { return };
        let mut np: Pod = p.clone();
        np.metadata.resource_version.0 = 0;
        let now = ctx.now_time();
        let s = &mut np.status;
        s.host_ip = self.spec.internal_ip.clone();
        if s.host_ips.is_empty() {
            s.host_ips = vec![PodIp { ip: self.spec.internal_ip.clone() }];
        }
        s.start_time.get_or_insert(now);
        if let Some(ip) = w.ip {
            s.pod_ip = format_ip(ip);
            s.pod_ips = vec![PodIp { ip: s.pod_ip.clone() }];
        } else if w.phase != Phase::Done {
            s.pod_ip.clear();
            s.pod_ips.clear();
        }
        let running = w.phase == Phase::Running;
        let ready = running && w.ready;
        s.phase = match (w.phase, w.exit_code) {
            (Phase::Done, Some(0)) => "Succeeded",
            (Phase::Done, Some(_)) => "Failed",
            (Phase::Running | Phase::BackOff, _) => "Running",
            (Phase::Starting, _) if w.started_at.is_some() => "Running",
            _ => "Pending",
        }
        .into();
        let names: Vec<(String, String)> = p.spec.containers.iter().map(|c| (c.name.clone(), c.image.clone())).collect();
        s.container_statuses = names
            .iter()
            .enumerate()
            .map(|(i, (name, image))| {
                let state = match w.phase {
                    Phase::Running => ContainerState { running: Some(ContainerStateRunning { started_at: w.started_at.map(Time) }), ..Default::default() },
                    Phase::BackOff => ContainerState {
                        waiting: Some(ContainerStateWaiting {
                            reason: "CrashLoopBackOff".into(),
                            message: format!("back-off restarting failed container {name} in pod {}_{}({uid})", p.metadata.name, p.metadata.namespace),
                        }),
                        ..Default::default()
                    },
                    Phase::Done => terminated(w.last_exit.unwrap_or((w.exit_code.unwrap_or(0), ctx.now, ctx.now))),
                    _ => ContainerState {
                        waiting: Some(ContainerStateWaiting { reason: "ContainerCreating".into(), message: String::new() }),
                        ..Default::default()
                    },
                };
                let last_state = match (w.phase, w.last_exit) {
                    (Phase::Done, _) | (_, None) => ContainerState::default(),
                    (_, Some(exit)) => terminated(exit),
                };
                ContainerStatus {
                    name: name.clone(),
                    ready,
                    restart_count: w.restarts,
                    image: image.clone(),
                    image_id: String::new(),
                    container_id: if running || w.started_at.is_some() {
                        format!("containerd://{}{i}", uid.chars().filter(|c| *c != '-').take(16).collect::<String>())
                    } else {
                        String::new()
                    },
                    started: Some(running),
                    state,
                    last_state,
                }
            })
            .collect();
        let sandbox = w.ip.is_some() && w.phase != Phase::Done;
        let unready: Vec<&str> = if ready { vec![] } else { names.iter().map(|(n, _)| n.as_str()).collect() };
        let (reason, msg) = if w.phase == Phase::Done {
            ("PodCompleted".to_string(), String::new())
        } else if ready {
            (String::new(), String::new())
        } else {
            ("ContainersNotReady".to_string(), format!("containers with unready status: [{}]", unready.join(" ")))
        };
        let tf = |b: bool| if b { "True" } else { "False" };
        np.set_condition("PodReadyToStartContainers", tf(sandbox), "", "", now);
        np.set_condition("Initialized", "True", "", "", now);
        np.set_condition("Ready", tf(ready), &reason, &msg, now);
        np.set_condition("ContainersReady", tf(ready), &reason, &msg, now);
        np.set_condition("PodScheduled", "True", "", "", now);
        let order = ["PodReadyToStartContainers", "Initialized", "Ready", "ContainersReady", "PodScheduled"];
        np.status.conditions.sort_by_key(|c| order.iter().position(|o| *o == c.type_).unwrap_or(usize::MAX));
        if np.status != p.status {
            ctx.request(Request::UpdateStatus(Object::Pod(np)));
        }
    }

    pub fn on_response(&mut self, _tag: u32, req: &crate::apiserver::Request, resp: &Response, ctx: &mut Ctx) {
        match (req, resp) {
            (Request::List(Kind::Pod), Response::List(items, _)) => self.resync(items, ctx),
            (Request::List(Kind::Node), Response::List(items, _)) => {
                self.node = items.iter().find(|o| o.meta().name == self.spec.name).cloned();
                let was_ready = self.node.as_ref().and_then(|o| o.as_node()).is_some_and(|n| n.ready_status() == "True");
                self.post_node_status(ctx);
                if let (false, Some(n)) = (was_ready, self.node.clone()) {
                    let msg = format!("Node {} status is now: NodeReady", self.spec.name);
                    self.event(&n, "Normal", "NodeReady", &msg, ctx);
                }
            }
            _ => {}
        }
    }

    /// After a restart: reconcile the pods bound here with what survived.
    fn resync(&mut self, items: &[Rc<Object>], ctx: &mut Ctx) {
        let mine: BTreeMap<String, Rc<Object>> =
            items.iter().filter(|o| o.as_pod().is_some_and(|p| p.spec.node_name == self.spec.name)).map(|o| (o.meta().uid.clone(), o.clone())).collect();
        let gone: Vec<String> = self.workers.keys().filter(|k| !mine.contains_key(*k)).cloned().collect();
        for uid in gone {
            if let Some(w) = self.workers.remove(&uid) {
                self.release_ip(w.ip);
            }
        }
        for (uid, obj) in mine {
            let p = obj.as_pod().expect("pod");
            match self.workers.get_mut(&uid) {
                Some(w) => {
                    w.pod = obj.clone();
                    if p.metadata.deletion_timestamp.is_some() {
                        w.phase = Phase::Killing;
                        self.timer(&uid, SimDuration::ZERO, PodStep::Killed, ctx);
                    } else if w.phase != Phase::Done {
                        // Containers died with the node: start them again (a restart).
                        w.restarts += 1;
                        w.phase = Phase::Creating;
                        w.started_at = None;
                        let d = w.behaviour.sandbox;
                        self.sync_status(&uid, ctx);
                        self.timer(&uid, d, PodStep::SandboxReady, ctx);
                    }
                }
                None => self.on_pod(false, &obj, ctx),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::pod::Container;
    use crate::client::Action;
    use crate::etcd::WatchEvent;

    fn kubelet() -> Kubelet {
        Kubelet::new(NodeSpecification {
            name: "n1".into(),
            pool: "p".into(),
            cpu: Quantity::from_milli(2000),
            memory: Quantity::from_bytes(1 << 30),
            pods: Quantity::from_value(110),
            labels: Default::default(),
            taints: vec![],
            internal_ip: "172.18.0.2".into(),
        })
    }

    fn event(o: Object) -> WatchEvent {
        WatchEvent { revision: 1, type_: WatchEventType::Added, object: Rc::new(o), prev: None, time: SimTime::ZERO }
    }

    fn pod(name: &str, cpu_m: i64) -> Object {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        p.metadata.uid = format!("uid-{name}");
        let mut c = Container { name: "c".into(), image: "img:1".into(), image_pull_policy: "IfNotPresent".into(), ..Default::default() };
        c.resources.requests.insert("cpu".into(), Quantity::from_milli(cpu_m));
        let s = Rc::make_mut(&mut p.spec);
        s.containers = Rc::new(vec![c]);
        s.node_name = "n1".into();
        s.restart_policy = "Always".into();
        Object::Pod(p)
    }

    fn statuses(actions: &[Action]) -> Vec<Pod> {
        actions
            .iter()
            .filter_map(|a| match a {
                Action::Request { request, .. } => match &**request {
                    Request::UpdateStatus(Object::Pod(p)) => Some(p.clone()),
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
        assert_eq!(statuses(&out)[0].status.pod_ip, "10.244.3.2");
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
        assert_eq!(k.ips_in_use(), 1);
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
