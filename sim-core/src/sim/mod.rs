//! The simulation: the closed `SimEvent` enum, the components, and the loop that
//! routes each event — requests to the apiserver, watch events and responses to
//! clients after their hop latency, timers to their owners, timeline actions.
//! Components never call each other; everything between them is a `SimEvent`.

use crate::api::meta::Time;
use crate::api::name::NameKey;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{ApiServer, Request, Response};
use crate::client::{Action, Ctx, Reply, Timer};
use crate::controller_manager::node_ipam::NodeIpamController;
use crate::controller_manager::ControllerManager;
use crate::engine::{EventQueue, Limits, Outcome, RngStreams, SimDuration, SimTime};
use crate::etcd::{HistoryLimits, WatchEvent};
use crate::kubelet::{Kubelet, NodeSpecification};
use crate::network::ipam::{format_ip, Cidr, ClusterCidrAllocator};
use crate::proxy::KubeProxy;
use crate::scenario::model::{self, Latency, Scenario};
use crate::scheduler::Scheduler;
use crate::trace::{diff, Change, Line, Record, Trace};
use std::collections::BTreeMap;
use std::rc::Rc;

pub mod addons;
mod chaos;
pub mod control_plane;
pub mod kubeadm;
pub mod kubectl;
mod metrics;

/// Who sends requests and receives watches, responses and timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Client {
    Timeline,
    /// The timeline's kubectl commands that take more than one request (drain, …).
    Kubectl,
    ApiServer,
    Scheduler,
    ControllerManager,
    Kubelet(u32),
    /// The kube-proxy of a node (same index as its kubelet).
    KubeProxy(u32),
    /// The Cluster Autoscaler (cluster_autoscaler.rs).
    ClusterAutoscaler,
}

/// A watcher's place in `Simulation::watch_seq`: the components first, then each
/// node's kubelet and kube-proxy side by side.
fn watcher_slot(c: Client) -> usize {
    match c {
        Client::Timeline => 0,
        Client::Kubectl => 1,
        Client::ApiServer => 2,
        Client::Scheduler => 3,
        Client::ControllerManager => 4,
        Client::ClusterAutoscaler => 5,
        Client::Kubelet(k) => 6 + 2 * k as usize,
        Client::KubeProxy(k) => 7 + 2 * k as usize,
    }
}

/// Node name → the index of its kubelet, looked up at every write of a pod (`fan_out`):
/// keyed by [`NameKey`], which compares inline, where `String` keys called `memcmp` at
/// each level of the descent.
#[derive(Default)]
struct KubeletIndex(BTreeMap<NameKey, u32>);

impl KubeletIndex {
    fn get(&self, name: &str) -> Option<&u32> {
        self.0.get(&NameKey::new(name))
    }

    fn contains_key(&self, name: &str) -> bool {
        self.0.contains_key(&NameKey::new(name))
    }

    fn insert(&mut self, name: &str, k: u32) {
        self.0.insert(NameKey::new(name), k);
    }
}

/// Every engine event of a run.
#[derive(Debug)]
pub enum SimEvent {
    /// A scenario timeline entry is due.
    Timeline(usize),
    /// An action a driver scheduled (`Simulation::schedule`) is due: its slot in `scheduled`.
    Scheduled(usize),
    /// A write etcd commits late (a slow disk, an election, or one kept while writes were
    /// not served): applied now; it reached kube-apiserver at `arrived`.
    Commit { from: Client, request: Box<Request>, reply: Reply, arrived: SimTime },
    /// A request reaches the apiserver (boxed: requests carry whole objects).
    Request { from: Client, request: Box<Request>, reply: Reply },
    /// A response reaches the client that asked for it, with the client's tag.
    Response { to: Client, request: Box<Request>, response: Response, tag: u32 },
    /// A watch event reaches a watcher; `seq` numbers each watcher's stream from 1.
    Watch { to: Client, event: Rc<WatchEvent>, seq: u64 },
    /// A component's timer fires.
    Timer { to: Client, timer: Timer },
    /// The traffic model's clients send their requests (every 100 ms while one runs).
    TrafficTick,
    /// The usage model is evaluated (every second while metrics-server is installed).
    UsageTick,
    /// metrics-server scrapes the kubelets (every 15 s).
    MetricsScrape,
    /// The Cluster Autoscaler's loop (every 10 s).
    AutoscalerLoop,
    /// A machine the Cluster Autoscaler asked for has booted: its kubelet starts (its
    /// pool and name; boxed, as the largest variant sets every queued event's size).
    MachineUp(Box<(String, String)>),
    /// kubeadm's steps and the bootstrap-token controllers (kubeadm.rs).
    Kubeadm(KubeadmStep),
    /// A Chaos Mesh experiment's duration is over (chaos.rs): it is recovered.
    ChaosEnd(usize),
}

// Every pending event is a slot of this size in the queue's slab (ARCHITECTURE.md):
// the large, rare parts of events are boxed.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<SimEvent>() == 40);

/// A kubeadm step due.
#[derive(Debug)]
pub enum KubeadmStep {
    /// `kubeadm join` on this node polls cluster-info again (or gives up).
    DiscoveryPoll(u32),
    /// kube-controller-manager's token cleaner looks at this token Secret again (its
    /// expiry: AddAfter the TTL).
    TokenCleaner(String),
    /// kube-controller-manager's bootstrap signer syncs cluster-info (a token Secret or
    /// cluster-info changed).
    Signer,
}

/// `kubeadm init`/`join` as timeline steps: where the run is.
#[derive(Debug, Default)]
struct KubeadmRun {
    /// `kubeadm init` has run (before: nothing serves).
    initialized: bool,
    /// The tokens init creates.
    tokens: Vec<model::BootstrapToken>,
    /// The cluster CA's pin (kubeadm.rs).
    ca_hash: String,
    /// Nodes whose kubelet waits for their join (by kubelet index).
    awaiting_join: std::collections::BTreeSet<u32>,
    /// Joins in discovery: (token, CA hash given, when it started, kubeadm's last error).
    joins: BTreeMap<u32, (kubeadm::Token, String, SimTime, String)>,
}

/// Options that are not part of the scenario.
#[derive(Clone, Debug)]
pub struct RunOptions {
    pub seed: u64,
    pub limits: Limits,
    /// Keep the event log records in memory (not only their hash).
    pub keep_log: bool,
    /// Check the safety invariants after every write and delivery.
    pub check: bool,
    /// Record Events (the Kubernetes kind) — the bench may turn them off.
    pub history: HistoryLimits,
    /// Write every traffic-model request to the event log (`--log-requests`).
    pub log_requests: bool,
}

impl RunOptions {
    pub fn for_scenario(s: &Scenario) -> Self {
        RunOptions {
            seed: s.seed,
            limits: Limits { until: SimTime(s.until.as_ms()), max_events: 50_000_000 },
            keep_log: true,
            check: false,
            history: HistoryLimits::default(),
            log_requests: false,
        }
    }
}

pub struct Simulation {
    pub now: SimTime,
    queue: EventQueue<SimEvent>,
    pub api: ApiServer,
    pub scheduler: Scheduler,
    pub controller_manager: ControllerManager,
    pub kubelets: Vec<Kubelet>,
    /// Each node's kube-proxy, by the same index as its kubelet.
    pub proxies: Vec<KubeProxy>,
    /// How many times a kube-proxy has synced its rules (expectations on the rules are
    /// evaluated again after each).
    proxy_syncs: u64,
    /// The traffic model (`spec.traffic`), and its own random stream.
    pub traffic: crate::traffic::Traffic,
    traffic_rng: rand_chacha::ChaCha8Rng,
    /// metrics-server, when installed (`spec.cluster.metricsServer`).
    pub metrics_server: Option<crate::metrics_server::MetricsServer>,
    /// The usage model's parsed profiles.
    usage: crate::usage::UsageModel,
    /// The Cluster Autoscaler, when a pool has `autoscaling`.
    pub cluster_autoscaler: Option<crate::cluster_autoscaler::ClusterAutoscaler>,
    kubelet_index: KubeletIndex,
    latency: Latency,
    pub trace: Trace,
    timeline: Vec<model::TimelineEntry>,
    /// The actions drivers scheduled and not yet run, by slot (taken when they run, the
    /// slot reused: `ksim replay` schedules every task's Job, and keeping them all would
    /// grow with the trace), and what `last_action`/`last_fault_end` need of those run.
    scheduled: Scheduled,
    pub limits: Limits,
    pub events_processed: u64,
    /// Timeline actions that the apiserver refused, with its message.
    pub timeline_errors: Vec<(SimTime, String)>,
    /// Which pod a random plan's kill takes, drawn when it fires: one stream for pod
    /// kills ("faults/podKill/pick"), one for container kills.
    kill_rng: [rand_chacha::ChaCha8Rng; 2],
    /// Watch events sent so far, per watcher (for gap-free numbering), at the watcher's
    /// place (`watcher_slot`; a delivery no longer looks its watcher up in a map).
    watch_seq: Vec<u64>,
    /// The invariant checker, when checks are on.
    pub checker: Option<crate::invariants::Checker>,
    /// How long the controllers may need after the last workload action to converge.
    settle_after_action: SimDuration,
    pub kubectl: kubectl::Kubectl,
    /// The node pools (nodes joining later take their capacity, labels and taints).
    pools: Vec<model::NodePool>,
    /// The DNS add-on the cluster starts with.
    dns: model::Dns,
    storage: model::Storage,
    /// Whether nodes start with a CNI in place.
    cni_installed: bool,
    /// The pods' network (kube-proxy's --cluster-cidr, its detect-local range).
    pub cluster_cidr: String,
    /// Nodes that left the cluster (their kubelet never starts again).
    removed: std::collections::BTreeSet<String>,
    /// Machines the Cluster Autoscaler asked for that have not booted yet: their pool.
    booting: BTreeMap<String, String>,
    /// Each node's partition from the control plane, if any (by kubelet index), and how
    /// many partitions of it are under way.
    partitions: Vec<Option<model::PartitionDirection>>,
    partition_depth: Vec<u32>,
    /// kube-apiserver's and etcd's availability (control_plane.rs).
    pub control_plane: control_plane::ControlPlane,
    /// What a restarted kube-controller-manager or kube-scheduler is built from.
    restart_config: RestartConfig,
    /// How long the write being applied waited in etcd (0 but for a late commit).
    write_wait: SimDuration,
    /// Every control-plane node is down (kube-apiserver with them).
    control_plane_nodes_down: bool,
    /// The draws of Chaos Mesh experiments (which pods a mode picks).
    chaos_rng: rand_chacha::ChaCha8Rng,
    /// Chaos Mesh experiments with something to recover (chaos.rs), in applying order.
    chaos_runs: Vec<chaos::ChaosRun>,
    /// `kubeadmInit` on the timeline: the control plane comes up then (None: at t=0).
    kubeadm: Option<KubeadmRun>,
}

/// The configuration kube-controller-manager and kube-scheduler restart with.
struct RestartConfig {
    seed: u64,
    cluster_cidr: Cidr,
    node_cidr_mask_size: u8,
    ingress_nginx: bool,
    load_balancer: Option<model::LoadBalancerPool>,
    scheduler: crate::scheduler::profile::SchedulerConfig,
    restarts: u32,
}

/// The most replicas any workload of the scenario asks for at once (the sum over the
/// workloads applied or scaled), which bounds how long the controllers take to settle.
fn scenario_replicas(s: &Scenario) -> i64 {
    let mut by_workload: BTreeMap<ObjectKey, i64> = BTreeMap::new();
    let nodes = s.cluster.node_pools.iter().map(|p| p.count as i32).sum::<i32>();
    let mut most = 0;
    for e in &s.timeline {
        match &e.action {
            model::Action::Apply(ms) => {
                for m in ms {
                    let n = match &m.object {
                        Object::Deployment(d) => d.replicas(),
                        Object::ReplicaSet(r) => r.replicas(),
                        Object::ReplicationController(r) => r.replicas(),
                        Object::StatefulSet(s) => s.replicas(),
                        // At most one pod per node (two while surging).
                        Object::DaemonSet(_) => 2 * nodes,
                        _ => continue,
                    };
                    by_workload.insert(m.object.key(), i64::from(n));
                }
            }
            model::Action::Scale { kind, namespace, name, replicas } => {
                by_workload.insert(ObjectKey::new(kind.clone(), namespace, name), i64::from(*replicas));
            }
            _ => {}
        }
        most = most.max(by_workload.values().sum());
    }
    most
}

impl Simulation {
    pub fn new(scenario: &Scenario, opts: &RunOptions) -> Result<Self, String> {
        Self::with_trace(scenario, opts, Trace::new(opts.keep_log))
    }

    /// A simulation whose event log is `trace` (e.g. one with a sink that streams it),
    /// from the first record on.
    pub fn with_trace(scenario: &Scenario, opts: &RunOptions, trace: Trace) -> Result<Self, String> {
        // The loader refuses bigger clusters; a scenario built in code is checked here,
        // before a kubelet is allocated.
        let nodes: u64 = scenario.cluster.node_pools.iter().map(|p| u64::from(p.count)).sum();
        if nodes > crate::scenario::load::MAX_NODES {
            return Err(format!("the cluster has {nodes} nodes; ksim simulates at most {}", crate::scenario::load::MAX_NODES));
        }
        let rngs = RngStreams::new(opts.seed);
        let cidr = Cidr::parse(&scenario.cluster.cluster_cidr)?;
        let alloc = ClusterCidrAllocator::new(cidr, scenario.cluster.node_cidr_mask_size)?;
        // Made to size: a kubelet is some 1.4 KB, and 5,000 pushed one by one ended in a
        // vector of 8,192 places (4.5 MB of them unused). A node added later (`add_node`)
        // grows them as a push does.
        let mut kubelets = Vec::with_capacity(nodes as usize);
        let mut proxies = Vec::with_capacity(nodes as usize);
        let mut kubelet_index = KubeletIndex::default();
        for pool in &scenario.cluster.node_pools {
            for i in 1..=pool.count {
                let idx = kubelets.len() as u32;
                let name = format!("{}-{i}", pool.name);
                let ip = 0xAC12_0002u32 + idx; // 172.18.0.2, …
                kubelet_index.insert(&name, idx);
                proxies.push(KubeProxy::new(&name, pool.labels.get(crate::proxy::LABEL_TOPOLOGY_ZONE).map_or("", String::as_str)));
                kubelets.push(Kubelet::new(NodeSpecification {
                    name,
                    pool: pool.name.clone(),
                    cpu: pool.cpu.clone(),
                    memory: pool.memory.clone(),
                    pods: pool.pods.clone(),
                    extended: pool.extended.clone(),
                    labels: pool.labels.clone(),
                    taints: pool.taints.clone(),
                    internal_ip: format_ip(ip),
                    network_ready: scenario.cluster.cni_installed,
                    csi_drivers: pool.csi_drivers.clone(),
                    control_plane: pool.control_plane,
                    cgroup_mismatch: pool.containerd.as_ref().is_some_and(model::Containerd::mismatched),
                    eviction: pool.eviction,
                }));
            }
        }
        let mut timeline = scenario.timeline.clone();
        if !scenario.faults.is_empty() {
            let nodes = scenario.fault_nodes();
            let until = SimDuration(opts.limits.until.as_ms());
            let faults = crate::faults::generate(&scenario.faults, &nodes, scenario.cluster.etcd_members, until, &rngs, &scenario.faults_location);
            timeline.extend(faults);
            timeline.sort_by_key(|e| e.at); // stable: listed actions first at equal times
        }
        // Faults that last a duration end with an entry of their own.
        crate::faults::expand(&mut timeline);
        let service_cidr = Cidr::parse(&scenario.cluster.service_cidr)?;
        crate::apiserver::service_alloc::validate_service_cidr(service_cidr)?;
        let mut sim = Simulation {
            now: SimTime::ZERO,
            queue: EventQueue::new(),
            api: ApiServer::new(rngs.stream("apiserver"), opts.history),
            scheduler: Scheduler::with_config(rngs.stream("scheduler"), scenario.scheduler.clone()),
            controller_manager: ControllerManager::new(NodeIpamController::new(alloc)),
            kubelets,
            proxies,
            proxy_syncs: 0,
            traffic: crate::traffic::Traffic::new(scenario.traffic.clone(), rngs.stream("netem")),
            traffic_rng: rngs.stream("traffic"),
            metrics_server: scenario.cluster.metrics_server.then(Default::default),
            usage: Default::default(),
            cluster_autoscaler: crate::cluster_autoscaler::ClusterAutoscaler::new(
                &scenario.cluster.node_pools,
                scenario.cluster.expanders.clone(),
                rngs.stream("cluster-autoscaler"),
            ),
            kubelet_index,
            latency: scenario.latency,
            trace,
            timeline,
            scheduled: Scheduled::default(),
            limits: opts.limits,
            events_processed: 0,
            timeline_errors: Vec::new(),
            kill_rng: [rngs.stream("faults/podKill/pick"), rngs.stream("faults/containerKill/pick")],
            watch_seq: Vec::new(),
            checker: opts.check.then(|| crate::invariants::Checker::new(scenario.latency)),
            settle_after_action: crate::invariants::settle_after_action(scenario.latency, scenario_replicas(scenario)),
            kubectl: kubectl::Kubectl::default(),
            pools: scenario.cluster.node_pools.clone(),
            dns: scenario.cluster.dns,
            storage: scenario.cluster.storage,
            cni_installed: scenario.cluster.cni_installed,
            cluster_cidr: scenario.cluster.cluster_cidr.clone(),
            removed: std::collections::BTreeSet::new(),
            booting: BTreeMap::new(),
            partitions: Vec::new(),
            partition_depth: Vec::new(),
            control_plane: control_plane::ControlPlane::new(scenario.cluster.etcd_members, APISERVER_ADVERTISE_ADDRESS),
            restart_config: RestartConfig {
                seed: opts.seed,
                cluster_cidr: cidr,
                node_cidr_mask_size: scenario.cluster.node_cidr_mask_size,
                ingress_nginx: scenario.cluster.ingress_nginx,
                load_balancer: scenario.cluster.load_balancer.clone(),
                scheduler: scenario.scheduler.clone(),
                restarts: 0,
            },
            write_wait: SimDuration::ZERO,
            control_plane_nodes_down: false,
            chaos_rng: rngs.stream("chaos"),
            chaos_runs: Vec::new(),
            kubeadm: None,
        };
        if scenario.kubeadm_init_at().is_some() {
            let joining = scenario.joining_nodes();
            let cp = scenario.node_names().into_iter().find(|n| sim.kubelets.iter().any(|k| k.spec.control_plane && k.name() == n));
            let mut tokens = scenario.cluster.kubeadm_config.bootstrap_tokens.clone();
            if tokens.is_empty() {
                let token = kubeadm::generate_token(&mut rngs.stream("kubeadm"));
                tokens.push(model::BootstrapToken { token, ttl: Some(kubeadm::DEFAULT_TOKEN_TTL) });
            }
            sim.kubeadm = Some(KubeadmRun {
                initialized: false,
                tokens,
                ca_hash: kubeadm::ca_cert_hash(cp.as_deref().unwrap_or("")),
                awaiting_join: joining.iter().filter_map(|n| sim.kubelet_index.get(n).copied()).collect(),
                joins: BTreeMap::new(),
            });
        }
        sim.partitions = vec![None; sim.kubelets.len()];
        sim.partition_depth = vec![0; sim.kubelets.len()];
        for kl in &sim.kubelets {
            if sim.pools.iter().any(|p| p.name == kl.spec.pool && !p.br_netfilter) {
                sim.traffic.no_br_netfilter.insert(kl.name().to_string());
            }
        }
        for k in 0..sim.kubelets.len() {
            if sim.firewalled(k as u32) {
                sim.partitions[k] = Some(model::PartitionDirection::Both);
                sim.partition_depth[k] = 1;
            }
        }
        sim.api.set_service_cidr(service_cidr, rngs.stream("service-allocator"));
        sim.api.event_ttl = scenario.cluster.event_ttl;
        sim.controller_manager.controllers.ingress_nginx.enabled = scenario.cluster.ingress_nginx;
        if let Some(lb) = &scenario.cluster.load_balancer {
            sim.controller_manager.controllers.service_lb = crate::controller_manager::service_lb::ServiceLbController::new(Some(lb.pool.clone()), lb.delay);
        }
        if opts.log_requests {
            sim.traffic.log_requests();
        }
        sim.bootstrap();
        Ok(sim)
    }

    /// t=0: the cluster comes up (unless `kubeadm init` is a later step: then nothing
    /// serves until it runs), the timeline.
    fn bootstrap(&mut self) {
        if self.kubeadm.is_some() {
            // Refusals name the address kubeadm's apiserver will advertise.
            if let Some(cp) = self.kubelets.iter().find(|k| k.spec.control_plane) {
                self.control_plane.address = cp.spec.internal_ip.clone();
            }
            self.control_plane.apiserver_stop();
        } else {
            self.bring_up();
        }
        for (i, e) in self.timeline.iter().enumerate() {
            self.queue.push(SimTime(e.at.as_ms()), SimEvent::Timeline(i));
        }
        if let Some(t) = self.traffic.first_tick() {
            // On the 100 ms grid.
            let tick = crate::traffic::TICK.as_ms();
            self.queue.push(SimTime(t.as_ms().div_ceil(tick) * tick), SimEvent::TrafficTick);
        }
        self.queue.push(SimTime(5 * 60 * 1000), SimEvent::Timer { to: Client::ApiServer, timer: crate::apiserver::Timer::Compaction.into() });
    }

    /// The system namespaces, the `kubernetes` Service, the add-ons, every kubelet
    /// starting (but those waiting for `kubeadm join`).
    fn bring_up(&mut self) {
        for ns in ["default", "kube-node-lease", "kube-public", "kube-system"] {
            let mut n = crate::api::namespace::Namespace::default();
            n.metadata.name = ns.into();
            self.write_direct(Object::Namespace(Box::new(n)));
        }
        self.write_direct(Object::Service(Box::new(kubernetes_service(&self.api.services.first_ip()))));
        // kubeadm's apiserver advertises its control-plane node's address.
        if let Some(cp) = self.kubelets.iter().find(|k| k.spec.control_plane) {
            self.control_plane.address = cp.spec.internal_ip.clone();
        }
        let (endpoints, slice) = kubernetes_endpoints(&self.control_plane.address.clone());
        self.write_direct(Object::Endpoints(Box::new(endpoints)));
        self.write_direct(Object::EndpointSlice(Box::new(slice)));
        if self.dns == model::Dns::CoreDns {
            // kubeadm init's addon phase (EnsureDNSAddon).
            for o in addons::coredns(&addons::dns_ip(self.api.services.cidr())) {
                self.write_direct(o);
            }
        }
        if self.controller_manager.controllers.ingress_nginx.enabled {
            for o in addons::ingress_nginx() {
                self.write_direct(o);
            }
        }
        if self.cluster_autoscaler.is_some() {
            self.queue.push(SimTime::ZERO + crate::cluster_autoscaler::SCAN_INTERVAL, SimEvent::AutoscalerLoop);
        }
        if self.metrics_server.is_some() {
            for o in addons::metrics_server() {
                self.write_direct(o);
            }
            self.queue.push(SimTime::ZERO, SimEvent::UsageTick);
            self.traffic.count_served();
            self.queue.push(SimTime::ZERO + crate::metrics_server::RESOLUTION, SimEvent::MetricsScrape);
        }
        for o in addons::default_storage_class(self.storage) {
            self.write_direct(o);
        }
        if self.kubelets.iter().any(|k| k.spec.control_plane) {
            // kubeadm init's addon phase: kube-proxy.
            for o in addons::kube_proxy() {
                self.write_direct(o);
            }
        }
        for i in 0..self.kubelets.len() {
            if self.awaiting_join(i as u32) || self.kubelet_refuses(i as u32) {
                continue;
            }
            let mut out = Vec::new();
            let mut ctx = Ctx::new(self.now, &mut out);
            self.kubelets[i].start(&mut ctx);
            self.dispatch(Client::Kubelet(i as u32), out);
            self.start_proxy(i as u32);
            self.start_notes(i as u32);
        }
    }

    /// A random plan's kill made concrete: a Running pod not being deleted (in `namespace`,
    /// or outside kube-system), drawn uniformly in the store's order; its first container
    /// for a container kill.
    fn random_kill(&mut self, namespace: Option<&str>, container: bool) -> Option<model::Action> {
        use rand::Rng;
        let pods: Vec<(model::Target, String)> = self
            .api
            .store
            .list(&Kind::Pod)
            .filter_map(|o| o.as_pod())
            .filter(|p| p.status.phase == "Running" && p.metadata.rare.deletion_timestamp.is_none())
            .filter(|p| namespace.map_or(p.metadata.namespace != "kube-system", |ns| p.metadata.namespace == ns))
            .map(|p| {
                let target = model::Target { kind: Kind::Pod, namespace: p.metadata.namespace.to_string(), name: p.metadata.name.to_string() };
                (target, p.spec.containers.first().map(|c| c.name.clone()).unwrap_or_default())
            })
            .collect();
        if pods.is_empty() {
            return None;
        }
        let (target, first) = pods[self.kill_rng[usize::from(container)].random_range(0..pods.len())].clone();
        Some(if container { model::Action::ContainerKill { target, container: first } } else { model::Action::PodKill { target, grace_period_seconds: 0 } })
    }

    /// Whether node `k` cannot reach kube-apiserver: firewalld on the control-plane node
    /// rejects its port (6443 in a control-plane pool's `closedPorts`) and `k` is another
    /// machine. Its kubelet and kube-proxy never connect: for the control plane it is a
    /// node cut off from the start, for good.
    fn firewalled(&self, k: u32) -> bool {
        let pool_of = |k: u32| self.pools.iter().find(|p| p.name == self.kubelets[k as usize].spec.pool);
        let closed = self.pools.iter().any(|p| p.control_plane && p.closed_ports.contains(&model::API_SERVER_PORT));
        closed && !pool_of(k).is_some_and(|p| p.control_plane)
    }

    /// What a firewalled node's kubelet logs when it tries to register (kubelet_node_status.go
    /// registerWithAPIServer's "Unable to register node with API server" around client-go's
    /// error; firewalld rejects with icmp-host-prohibited, which Go reports as "connect: no
    /// route to host"). It retries with back-off; ksim logs the first.
    ///
    /// Before that, where the pool says which containerd it runs, the cgroup driver the
    /// kubelet settles on (cmd/kubelet/app/server.go getCgroupDriverFromCRI: the runtime's
    /// answer, or the fallback to its own configuration when the runtime does not
    /// implement RuntimeConfig; kubelet/cgroups.rs).
    fn start_notes(&mut self, k: u32) {
        let by = format!("kubelet/{}", self.kubelets[k as usize].name());
        let containerd = self.pools.iter().find(|p| p.name == self.kubelets[k as usize].spec.pool).and_then(|p| p.containerd.clone());
        if let Some(c) = containerd {
            let msg = if c.answers_runtime_config() {
                let driver = if c.systemd_cgroup { "systemd" } else { "cgroupfs" };
                format!("\"Using cgroup driver setting received from the CRI runtime\" cgroupDriver={driver:?}")
            } else {
                "\"CRI implementation should be updated to support RuntimeConfig when KubeletCgroupDriverFromCRI feature gate has been enabled. Falling back to using cgroupDriver from kubelet config.\"".to_string()
            };
            self.note("kubelet", &by, msg);
        }
        if !self.firewalled(k) {
            return;
        }
        let node = self.kubelets[k as usize].name().to_string();
        let address = self.control_plane.address.clone();
        let err = format!("Post \"https://{address}:6443/api/v1/nodes\": dial tcp {address}:6443: connect: no route to host");
        self.note("kubelet", &format!("kubelet/{node}"), format!("\"Unable to register node with API server\" err={err:?} node={node:?}"));
    }

    /// The error of a connection to a node's kubelet API (port 10250) when firewalld there
    /// rejects it: what kube-apiserver answers for logs, exec and port-forward.
    pub fn kubelet_api_error(&self, node: &str, path: &str) -> Option<String> {
        let k = *self.kubelet_index.get(node)?;
        let kl = &self.kubelets[k as usize];
        let pool = self.pools.iter().find(|p| p.name == kl.spec.pool)?;
        let ip = &kl.spec.internal_ip;
        pool.closed_ports.contains(&model::KUBELET_PORT).then(|| format!("Get \"https://{ip}:10250{path}\": dial tcp {ip}:10250: connect: no route to host"))
    }

    /// Whether node `k`'s kubelet refuses to start: its machine has swap on and failSwapOn
    /// is the kubelet's default, true (its words, from a v1.34 kubelet's log: run.go's
    /// "command failed", wrapping "failed to run Kubelet: %w" around
    /// pkg/kubelet/cm/container_manager_linux.go's refusal). systemd starts it again every
    /// 10 s (kubeadm's kubelet.service) and it fails the same way; ksim logs the first.
    fn kubelet_refuses(&mut self, k: u32) -> bool {
        let pool = &self.kubelets[k as usize].spec.pool;
        if !self.pools.iter().any(|p| p.name == *pool && p.swap) {
            return false;
        }
        let by = format!("kubelet/{}", self.kubelets[k as usize].name());
        self.note(
            "kubelet",
            &by,
            "\"command failed\" err=\"failed to run Kubelet: running with swap on is not supported, please disable swap or set --fail-swap-on flag to false\""
                .into(),
        );
        true
    }

    /// Whether node `k` is a machine whose kubelet waits for `kubeadm join`.
    fn awaiting_join(&self, k: u32) -> bool {
        self.kubeadm.as_ref().is_some_and(|r| r.awaiting_join.contains(&k))
    }

    /// A timer for the end of each Event lease the apiserver granted (etcd revokes it then).
    fn time_event_leases(&mut self) {
        for t in std::mem::take(&mut self.api.granted_leases) {
            self.queue.push(t, SimEvent::Timer { to: Client::ApiServer, timer: crate::apiserver::Timer::EventLeaseExpiry.into() });
        }
    }

    /// A write made while bootstrapping (the apiserver's own objects).
    fn write_direct(&mut self, obj: Object) {
        let out = self.api.handle(Request::Create(obj), self.now);
        self.time_event_leases();
        for w in out.writes {
            self.log_write(&w, "create", Client::ApiServer);
            self.fan_out(&w);
        }
    }

    pub fn client_name(&self, c: Client) -> String {
        let (kind, node) = client_name_parts(&self.kubelets, &self.proxies, c);
        format!("{kind}{node}")
    }

    fn dispatch(&mut self, from: Client, actions: Vec<Action>) {
        for a in actions {
            match a {
                Action::Request { request, reply } => {
                    let t = self.now + self.latency.request;
                    self.queue.push(t, SimEvent::Request { from, request, reply });
                }
                Action::Timer(d, timer) => {
                    self.queue.push(self.now + d, SimEvent::Timer { to: from, timer });
                }
            }
        }
    }

    /// Which clients see a write: the scheduler (pods, nodes), the controller manager
    /// (pods, ReplicaSets, Deployments, nodes, leases), and the kubelet of the node a
    /// pod is (or was) bound to, or of the node itself.
    fn fan_out(&mut self, ev: &Rc<WatchEvent>) {
        let kind = ev.object.kind();
        let t = self.now + self.latency.watch;
        if Scheduler::watches(&kind) {
            let seq = self.next_watch_seq(Client::Scheduler);
            self.queue.push(t, SimEvent::Watch { to: Client::Scheduler, event: ev.clone(), seq });
        }
        if ControllerManager::watches(&kind) {
            let seq = self.next_watch_seq(Client::ControllerManager);
            self.queue.push(t, SimEvent::Watch { to: Client::ControllerManager, event: ev.clone(), seq });
        }
        if KubeProxy::watches(&kind) {
            for k in 0..self.proxies.len() {
                if self.proxies[k].alive && !self.deliveries_cut(k as u32) {
                    let to = Client::KubeProxy(k as u32);
                    let seq = self.next_watch_seq(to);
                    self.queue.push(t, SimEvent::Watch { to, event: ev.clone(), seq });
                }
            }
        }
        // The kubelets that watch the object: its node's (a pod's, and the one it left;
        // a node itself). At most two: an array, not two vectors a write.
        let mut nodes: [&str; 2] = [""; 2];
        match &*ev.object {
            Object::Pod(p) => {
                nodes[0] = &p.spec.node_name;
                if let Some(prev) = ev.prev.as_ref().and_then(|o| o.as_pod()) {
                    if prev.spec.node_name != p.spec.node_name {
                        nodes[1] = &prev.spec.node_name;
                    }
                }
            }
            Object::Node(n) => nodes[0] = &n.metadata.name,
            _ => {}
        }
        let targets = nodes.map(|n| if n.is_empty() { None } else { self.kubelet_index.get(n).copied() });
        for k in targets.into_iter().flatten() {
            if self.deliveries_cut(k) {
                continue;
            }
            let seq = self.next_watch_seq(Client::Kubelet(k));
            self.queue.push(t, SimEvent::Watch { to: Client::Kubelet(k), event: ev.clone(), seq });
        }
    }

    /// Whether what the control plane sends node `k` (answers, watch events) is lost.
    fn deliveries_cut(&self, k: u32) -> bool {
        self.partitions.get(k as usize).copied().flatten().is_some_and(|d| d.cuts_deliveries())
    }

    /// Whether a client's requests are lost on their way (a node's, partitioned).
    fn requests_cut(&self, c: Client) -> bool {
        match c {
            Client::Kubelet(k) | Client::KubeProxy(k) => self.partitions.get(k as usize).copied().flatten().is_some_and(|d| d.cuts_requests()),
            _ => false,
        }
    }

    fn next_watch_seq(&mut self, c: Client) -> u64 {
        let i = watcher_slot(c);
        if i >= self.watch_seq.len() {
            self.watch_seq.resize(i + 1, 0);
        }
        self.watch_seq[i] += 1;
        self.watch_seq[i]
    }

    fn log_write(&mut self, w: &WatchEvent, verb: &str, by: Client) {
        if self.checker.is_some() {
            let desc = format!(
                "{verb} {} {} by {}",
                w.object.kind(),
                crate::api::ObjectKey::new(w.object.kind(), &w.object.meta().namespace, &w.object.meta().name),
                self.client_name(by)
            );
            let who = self.client_name(by);
            let (store, now, wait) = (&self.api.store, self.now, self.write_wait);
            if let Some(c) = self.checker.as_mut() {
                c.on_write_after(w, verb, &who, store, now, wait, &desc);
            }
        }
        let o = &w.object;
        let m = o.meta();
        let ch = if w.type_ == crate::etcd::WatchEventType::Deleted { Change::default() } else { diff(w.prev.as_deref(), Some(o)) };
        let kind = o.kind();
        let line = Line {
            t: self.now.as_ms(),
            rev: w.revision,
            verb,
            by: client_name_parts(&self.kubelets, &self.proxies, by),
            kind: kind.name(),
            ns: &m.namespace,
            name: &m.name,
        };
        self.trace.write(&line, &ch);
    }

    fn handle_request(&mut self, from: Client, request: Box<Request>, reply: Reply) {
        if let Request::PodMetrics { namespace } = &*request {
            if self.metrics_server.is_some() {
                let response = self.metrics_response(namespace);
                if reply.wants(response.is_ok()) {
                    let t = self.now + self.latency.request;
                    self.queue.push(t, SimEvent::Response { to: from, request, response, tag: reply.tag() });
                }
                return;
            }
        }
        let copy = (reply != Reply::None).then(|| request.clone());
        let verb = match &*request {
            Request::Apply(_) => "apply",
            Request::Scale { .. } => "scale",
            Request::Delete { .. } | Request::DeleteNamespaceContent(_) => "delete",
            Request::Bind(_) => "bind",
            Request::Create(_) => "create",
            Request::Evict(_) => "evict",
            Request::Patch { .. } | Request::JsonPatch { .. } | Request::PatchEvent(_) => "patch",
            _ => "update",
        };
        let out = self.api.handle(*request, self.now);
        self.time_event_leases();
        for w in &out.writes {
            let v = match w.type_ {
                crate::etcd::WatchEventType::Deleted => "delete",
                // A PatchEvent whose Event was gone creates it.
                crate::etcd::WatchEventType::Added if verb == "patch" => "create",
                _ => verb,
            };
            self.log_write(w, v, from);
            self.fan_out(w);
            self.poke_signer(&w.object);
        }
        if let Some(req) = copy {
            if reply.wants(out.response.is_ok()) {
                let t = self.now + self.latency.request;
                self.queue.push(t, SimEvent::Response { to: from, request: req, response: out.response, tag: reply.tag() });
            }
        }
    }

    fn run_timeline(&mut self, mut entry: model::TimelineEntry) {
        if let model::Action::RandomKill { namespace, container } = &entry.action {
            match self.random_kill(namespace.as_deref(), *container) {
                Some(a) => entry.action = a,
                None => {
                    // As Chaos Mesh records it: nothing to inject into.
                    let by = "timeline".to_string();
                    self.note("timeline", &by, format!("{}: no pod is selected", entry.action.describe()));
                    return;
                }
            }
        }
        self.trace.push(Record {
            t: self.now.as_ms(),
            rev: self.api.store.revision(),
            verb: "timeline".into(),
            by: "timeline".into(),
            kind: String::new(),
            ns: String::new(),
            name: String::new(),
            change: [("action".to_string(), serde_json::Value::from(entry.action.describe()))].into_iter().collect(),
        });
        let mut out = Vec::new();
        // The timeline hears only refusals (kubectl prints them).
        let mut send = |r: Request| out.push(Action::Request { request: Box::new(r), reply: Reply::OnError(0) });
        match entry.action {
            model::Action::Apply(ms) => {
                let mut chaos = Vec::new();
                for m in ms {
                    if let Object::Unstructured(u) = &m.object {
                        if u.api_version == crate::faults::chaos_mesh::API_VERSION && ["PodChaos", "NetworkChaos"].contains(&u.kind.as_str()) {
                            chaos.push(u.clone());
                        }
                    }
                    send(Request::Apply(m.object));
                }
                for u in chaos {
                    self.chaos_applied(&u, &mut out);
                }
            }
            model::Action::Delete { kind, namespace, name, grace_period_seconds } => {
                // A Chaos Mesh experiment deleted is recovered (its finalizer's work).
                self.chaos_deleted(&kind, &namespace, &name, &mut out);
                let mut send = |r: Request| out.push(Action::Request { request: Box::new(r), reply: Reply::OnError(0) });
                send(Request::Delete { key: Box::new(ObjectKey::new(kind, &namespace, &name)), grace_period_seconds, uid: None });
            }
            model::Action::Scale { kind, namespace, name, replicas } => {
                send(Request::Scale { key: Box::new(ObjectKey::new(kind, &namespace, &name)), replicas });
            }
            model::Action::NodeCrash(n) => {
                if let Some(&k) = self.kubelet_index.get(&n) {
                    self.control_plane.forget(Client::Kubelet(k));
                    self.kubelets[k as usize].crash();
                    self.proxies[k as usize].crash();
                    self.control_plane_nodes_changed();
                }
            }
            model::Action::NodeRecover(n) => {
                // A machine that has not joined yet has no kubelet to start.
                if let (Some(&k), false) = (self.kubelet_index.get(&n).filter(|&&k| !self.awaiting_join(k)), self.removed.contains(&n)) {
                    if self.kubelet_refuses(k) {
                        return;
                    }
                    let kl = &mut self.kubelets[k as usize];
                    if !kl.alive {
                        let mut acts = Vec::new();
                        let mut ctx = Ctx::new(self.now, &mut acts);
                        kl.start(&mut ctx);
                        self.dispatch(Client::Kubelet(k), acts);
                        self.start_proxy(k);
                        self.control_plane_nodes_changed();
                    }
                }
            }
            model::Action::AddNode { pool, name } => self.add_node(&pool, &name),
            model::Action::KubeadmInit { node } => self.kubeadm_init(&node),
            model::Action::KubeadmJoin { node, token, ca_cert_hash } => self.kubeadm_join(&node, token, ca_cert_hash),
            model::Action::Partition { node, direction, .. } => {
                if let Some(&k) = self.kubelet_index.get(&node) {
                    // Overlapping partitions of a node: each heal ends one; the messages
                    // either one loses are lost.
                    let k = k as usize;
                    self.partition_depth[k] += 1;
                    self.partitions[k] = Some(match self.partitions[k] {
                        Some(d) if d != direction => model::PartitionDirection::Both,
                        _ => direction,
                    });
                }
            }
            model::Action::PartitionHeal(node) => {
                if let Some(&k) = self.kubelet_index.get(&node) {
                    let depth = &mut self.partition_depth[k as usize];
                    *depth = depth.saturating_sub(1);
                    if *depth == 0 && self.partitions[k as usize].take().is_some() {
                        let mut acts = Vec::new();
                        self.kubelets[k as usize].reconnect(&mut Ctx::new(self.now, &mut acts));
                        self.dispatch(Client::Kubelet(k), acts);
                        let mut acts = Vec::new();
                        self.proxies[k as usize].reconnect(&mut Ctx::new(self.now, &mut acts));
                        self.dispatch(Client::KubeProxy(k), acts);
                    }
                }
            }
            model::Action::KubeletStop(node) => {
                if let Some(&k) = self.kubelet_index.get(&node) {
                    self.kubelets[k as usize].stop_process();
                    self.control_plane.forget(Client::Kubelet(k));
                }
            }
            model::Action::KubeletStart(node) => {
                if let Some(&k) = self.kubelet_index.get(&node).filter(|&&k| !self.awaiting_join(k)) {
                    if self.kubelet_refuses(k) {
                        return;
                    }
                    let mut acts = Vec::new();
                    self.kubelets[k as usize].start_process(&mut Ctx::new(self.now, &mut acts));
                    self.dispatch(Client::Kubelet(k), acts);
                }
            }
            model::Action::RuntimeStop(node) => {
                if let Some(&k) = self.kubelet_index.get(&node) {
                    self.kubelets[k as usize].runtime_stop(self.now);
                }
            }
            model::Action::RuntimeStart(node) => {
                if let Some(&k) = self.kubelet_index.get(&node) {
                    let mut acts = Vec::new();
                    self.kubelets[k as usize].runtime_start(&mut Ctx::new(self.now, &mut acts));
                    self.dispatch(Client::Kubelet(k), acts);
                }
            }
            model::Action::ClockSkew { node, offset_ms, .. } => {
                if let Some(&k) = self.kubelet_index.get(&node) {
                    self.kubelets[k as usize].clock_offset_ms = offset_ms;
                }
            }
            model::Action::ApiserverRestart { .. } => {
                let was = self.control_plane.serving_writes();
                self.control_plane.apiserver_stop();
                self.control_plane_changed(was, false);
            }
            model::Action::ApiserverUp => {
                let was = self.control_plane.serving_writes();
                // Overlapping restarts: back when the last one is over.
                self.control_plane.apiserver_start();
                self.control_plane_changed(was, true);
            }
            model::Action::EtcdMemberDown { member, .. } => {
                let was = self.control_plane.serving_writes();
                self.control_plane.member_down(member, self.now);
                self.control_plane_changed(was, false);
            }
            model::Action::EtcdMemberUp(member) => {
                let was = self.control_plane.serving_writes();
                self.control_plane.member_up(member, self.now);
                self.control_plane_changed(was, false);
            }
            model::Action::EtcdSlowDisk { member, latency, .. } => {
                self.control_plane.slow.insert(member, latency);
            }
            model::Action::EtcdDiskNormal(member) => {
                self.control_plane.slow.remove(&member);
            }
            model::Action::PodKill { target, grace_period_seconds } => {
                // Chaos Mesh's pod-kill: a delete with its grace period.
                send(Request::Delete {
                    key: Box::new(ObjectKey::new(Kind::Pod, &target.namespace, &target.name)),
                    grace_period_seconds: Some(grace_period_seconds),
                    uid: None,
                });
            }
            model::Action::ContainerKill { target, container } => {
                let key = ObjectKey::new(Kind::Pod, &target.namespace, &target.name);
                let found = self.api.store.get(&key).and_then(|o| o.as_pod().map(|p| (p.spec.node_name.clone(), p.metadata.uid.clone())));
                let result = match found {
                    None => Err(format!("pods {:?} not found", target.name)),
                    Some((node, uid)) => match self.kubelet_index.get(&node).copied().filter(|&k| self.kubelets[k as usize].alive) {
                        None => Err(format!("pod {:?} is not running on a node", target.name)),
                        Some(k) => {
                            let mut acts = Vec::new();
                            let r = self.kubelets[k as usize].kill_container(&uid, &container, &mut Ctx::new(self.now, &mut acts));
                            self.dispatch(Client::Kubelet(k), acts);
                            r
                        }
                    },
                };
                if let Err(e) = result {
                    self.timeline_errors.push((self.now, format!("kill container {container} of {target}: {e}")));
                }
            }
            model::Action::RemoveNode(n) => {
                // The machine goes away, then `kubectl delete node`.
                self.remove_machine(&n);
                send(Request::Delete { key: Box::new(ObjectKey::new(Kind::Node, "", &n)), grace_period_seconds: None, uid: None });
            }
            action => {
                let mut acts = Vec::new();
                let mut ctx = Ctx::new(self.now, &mut acts);
                let store = &self.api.store;
                match action {
                    model::Action::Cordon(n) => self.kubectl.cordon(store, &n, true, &mut ctx),
                    model::Action::Uncordon(n) => self.kubectl.cordon(store, &n, false, &mut ctx),
                    model::Action::Drain(d) => self.kubectl.drain(store, &d, &mut ctx),
                    model::Action::SetImage { target, container, image } => self.kubectl.set_image(store, &target, &container, &image, &mut ctx),
                    model::Action::RolloutUndo { target, to_revision } => self.kubectl.rollout_undo(store, &target, to_revision, &mut ctx),
                    model::Action::RolloutPause(t) => self.kubectl.rollout_pause(store, &t, true, &mut ctx),
                    model::Action::RolloutResume(t) => self.kubectl.rollout_pause(store, &t, false, &mut ctx),
                    a => unreachable!("handled above: {a:?}"),
                }
                self.dispatch(Client::Kubectl, acts);
                self.flush_kubectl();
            }
        }
        self.dispatch(Client::Timeline, out);
    }

    /// A request the control plane cannot serve (`why`: refused, or etcd's timeout): its
    /// client hears of it (a refused dial at once, the timeout 7 s later), or — if it does
    /// not wait for the answer — it is kept and sent again when writes are served
    /// (client-go's retries).
    fn fail(&mut self, from: Client, request: Box<Request>, reply: Reply, why: control_plane::Verdict) {
        if control_plane::hears_failure(reply) {
            let req = self.latency.request.as_ms();
            let (code, reason, message, after) = match why {
                control_plane::Verdict::TimeOut => {
                    (500, "InternalError", control_plane::ETCD_TIMED_OUT.to_string(), control_plane::ETCD_REQUEST_TIMEOUT.as_ms() + req)
                }
                _ => (503, "ServiceUnavailable", control_plane::refused(&self.control_plane.address), req),
            };
            let response = Response::Error(Box::new(crate::apiserver::status(code, reason, message)));
            self.queue.push(self.now + SimDuration::from_ms(after), SimEvent::Response { to: from, request, response, tag: reply.tag() });
        } else if !control_plane::is_read(&request) {
            self.control_plane.hold(from, request, self.now);
        }
    }

    /// After a change of the control plane's availability: an outage begins, or ends —
    /// then kube-controller-manager and kube-scheduler restart if they lost their
    /// leadership (an outage of the renew deadline or more), the requests kept are sent,
    /// and (after kube-apiserver's restart, whose watches broke) the kubelets and
    /// kube-proxies list again.
    fn control_plane_changed(&mut self, was_serving: bool, watches_broke: bool) {
        let serving = self.control_plane.serving_writes();
        if was_serving && !serving {
            self.control_plane.outage_since = Some(self.now);
            return;
        }
        if serving && !was_serving {
            let since = self.control_plane.outage_since.take().unwrap_or(self.now);
            // Their machine went down (a kubeadm control-plane node), or they lost their
            // leader leases.
            let lost_leadership = std::mem::take(&mut self.control_plane.processes_died) || self.now.since(since) >= control_plane::LEADER_RENEW_DEADLINE;
            let restarted: &[Client] = if lost_leadership { &[Client::ControllerManager, Client::Scheduler] } else { &[] };
            for (from, request, arrived) in self.control_plane.take_held(restarted) {
                self.queue.push(self.now + self.latency.request, SimEvent::Commit { from, request, reply: Reply::None, arrived });
            }
            if lost_leadership {
                self.restart_controller_manager();
                self.restart_scheduler();
            }
        }
        if watches_broke {
            // Those still cut off reconnect when their partition heals.
            let connected: Vec<usize> = (0..self.kubelets.len()).filter(|k| self.partitions[*k].is_none()).collect();
            for k in connected {
                let mut acts = Vec::new();
                self.kubelets[k].reconnect(&mut Ctx::new(self.now, &mut acts));
                self.dispatch(Client::Kubelet(k as u32), acts);
                let mut acts = Vec::new();
                self.proxies[k].reconnect(&mut Ctx::new(self.now, &mut acts));
                self.dispatch(Client::KubeProxy(k as u32), acts);
            }
        }
    }

    /// kubeadm's control plane runs on its control-plane nodes: when the last of them is
    /// down, so is kube-apiserver (its static pod went with the machine); it is back with
    /// the first one up.
    fn control_plane_nodes_changed(&mut self) {
        if self.kubeadm.as_ref().is_some_and(|r| !r.initialized) {
            return;
        }
        let cps: Vec<bool> = self.kubelets.iter().filter(|k| k.spec.control_plane).map(|k| k.alive).collect();
        if cps.is_empty() {
            return;
        }
        let all_down = cps.iter().all(|up| !up);
        if all_down && !self.control_plane_nodes_down {
            self.control_plane_nodes_down = true;
            self.control_plane.processes_died = true;
            let was = self.control_plane.serving_writes();
            self.control_plane.apiserver_stop();
            self.control_plane_changed(was, false);
        } else if !all_down && self.control_plane_nodes_down {
            self.control_plane_nodes_down = false;
            let was = self.control_plane.serving_writes();
            self.control_plane.apiserver_start();
            self.control_plane_changed(was, true);
        }
    }

    /// A note in the event log (`verb`, `by`, a message) that no object change carries.
    fn note(&mut self, verb: &str, by: &str, message: String) {
        self.trace.push(Record {
            t: self.now.as_ms(),
            rev: self.api.store.revision(),
            verb: verb.into(),
            by: by.into(),
            kind: String::new(),
            ns: String::new(),
            name: String::new(),
            change: [("message".to_string(), serde_json::Value::from(message))].into_iter().collect(),
        });
    }

    /// A process restarts: what was on its way to the old one (timers, answers, watch
    /// events) is lost, and its watch streams start again.
    fn forget_client(&mut self, c: Client) {
        self.queue.retain(|ev| match ev {
            SimEvent::Watch { to, .. } | SimEvent::Timer { to, .. } | SimEvent::Response { to, .. } => *to != c,
            _ => true,
        });
        // Its requests on the wire still land, but nobody hears the answers.
        self.queue.for_each_mut(|ev| {
            if let SimEvent::Request { from, reply, .. } | SimEvent::Commit { from, reply, .. } = ev {
                if *from == c {
                    *reply = Reply::None;
                }
            }
        });
        self.control_plane.forget(c);
        if let Some(n) = self.watch_seq.get_mut(watcher_slot(c)) {
            *n = 0;
        }
        let who = self.client_name(c);
        if let Some(ch) = self.checker.as_mut() {
            ch.forget_watcher(&who);
        }
    }

    /// The objects a restarted process lists, oldest first, as the watch events its
    /// informers' initial lists hand their handlers (ADDED for each).
    fn initial_list(&self, watches: impl Fn(&Kind) -> bool) -> Vec<Rc<WatchEvent>> {
        let store = &self.api.store;
        let mut objs: Vec<Rc<Object>> = store.kinds().filter(|k| watches(k)).flat_map(|k| store.list(k).cloned()).collect();
        objs.sort_by_key(|o| o.meta().resource_version.0);
        objs.into_iter()
            .map(|o| {
                Rc::new(WatchEvent { revision: o.meta().resource_version.0, type_: crate::etcd::WatchEventType::Added, object: o, prev: None, time: self.now })
            })
            .collect()
    }

    /// kube-controller-manager lost its lease (leaderelection lost) and exited; the new
    /// process takes the lease and starts every controller from a full list.
    fn restart_controller_manager(&mut self) {
        let c = &self.restart_config;
        let Ok(alloc) = ClusterCidrAllocator::new(c.cluster_cidr, c.node_cidr_mask_size) else { return };
        let mut ipam = NodeIpamController::new(alloc);
        ipam.occupy_existing(self.api.store.list(&Kind::Node).filter_map(|o| o.as_node()));
        let mut cm = ControllerManager::new(ipam);
        cm.controllers.ingress_nginx.enabled = c.ingress_nginx;
        if let Some(lb) = &c.load_balancer {
            cm.controllers.service_lb = crate::controller_manager::service_lb::ServiceLbController::new(Some(lb.pool.clone()), lb.delay);
        }
        self.controller_manager = cm;
        self.forget_client(Client::ControllerManager);
        self.note("control-plane", "controller-manager", "leaderelection lost: kube-controller-manager restarts and lists everything again".into());
        let events = self.initial_list(ControllerManager::watches);
        let mut out = Vec::new();
        let mut ctx = Ctx::new(self.now, &mut out);
        for ev in &events {
            self.controller_manager.on_watch(ev, &mut ctx);
        }
        self.dispatch(Client::ControllerManager, out);
    }

    /// kube-scheduler lost its lease too: a new process, its queue and cache rebuilt from
    /// a full list.
    fn restart_scheduler(&mut self) {
        self.restart_config.restarts += 1;
        let c = &self.restart_config;
        let rng = RngStreams::new(c.seed).stream(&format!("scheduler/restart-{}", c.restarts));
        let mut s = Scheduler::with_config(rng, c.scheduler.clone());
        s.carry_explain_target(&self.scheduler);
        self.scheduler = s;
        self.forget_client(Client::Scheduler);
        self.note("control-plane", "scheduler", "leaderelection lost: kube-scheduler restarts and lists everything again".into());
        let events = self.initial_list(Scheduler::watches);
        let mut out = Vec::new();
        let mut ctx = Ctx::new(self.now, &mut out);
        for ev in &events {
            self.scheduler.on_watch(ev, &mut ctx);
        }
        self.dispatch(Client::Scheduler, out);
    }

    /// kubectl's output since the last flush, into the event log (and refusals into
    /// `timeline_errors`).
    fn flush_kubectl(&mut self) {
        for (line, refused) in std::mem::take(&mut self.kubectl.out) {
            if refused {
                self.timeline_errors.push((self.now, line.clone()));
            }
            self.trace.push(Record {
                t: self.now.as_ms(),
                rev: self.api.store.revision(),
                verb: "kubectl".into(),
                by: "kubectl".into(),
                kind: String::new(),
                ns: String::new(),
                name: String::new(),
                change: [("output".to_string(), serde_json::Value::from(line))].into_iter().collect(),
            });
        }
    }

    /// A node of `pool` joins: its kubelet starts and registers it.
    /// A node's machine goes away for good: its kubelet and kube-proxy stop, and it is
    /// never started again.
    fn remove_machine(&mut self, name: &str) {
        if self.booting.remove(name).is_some() {
            return;
        }
        if let Some(&k) = self.kubelet_index.get(name) {
            self.kubelets[k as usize].crash();
            self.proxies[k as usize].crash();
            self.control_plane.forget(Client::Kubelet(k));
            self.removed.insert(name.to_string());
            self.control_plane_nodes_changed();
        }
    }

    fn add_node(&mut self, pool: &str, name: &str) {
        let Some(p) = self.pools.iter().find(|p| p.name == pool).cloned() else { return };
        if self.kubelet_index.contains_key(name) {
            return;
        }
        let idx = self.kubelets.len() as u32;
        self.kubelet_index.insert(name, idx);
        self.partitions.push(None);
        self.partition_depth.push(0);
        self.proxies.push(KubeProxy::new(name, p.labels.get(crate::proxy::LABEL_TOPOLOGY_ZONE).map_or("", String::as_str)));
        self.kubelets.push(Kubelet::new(NodeSpecification {
            name: name.to_string(),
            pool: p.name.clone(),
            cpu: p.cpu.clone(),
            memory: p.memory.clone(),
            pods: p.pods.clone(),
            extended: p.extended.clone(),
            labels: p.labels.clone(),
            taints: p.taints.clone(),
            internal_ip: format_ip(0xAC12_0002u32 + idx),
            network_ready: self.cni_installed,
            csi_drivers: p.csi_drivers.clone(),
            control_plane: p.control_plane,
            cgroup_mismatch: p.containerd.as_ref().is_some_and(model::Containerd::mismatched),
            eviction: p.eviction,
        }));
        if !p.br_netfilter {
            self.traffic.no_br_netfilter.insert(name.to_string());
        }
        if self.firewalled(idx) {
            self.partitions[idx as usize] = Some(model::PartitionDirection::Both);
            self.partition_depth[idx as usize] = 1;
        }
        if self.kubelet_refuses(idx) {
            return;
        }
        let mut acts = Vec::new();
        let mut ctx = Ctx::new(self.now, &mut acts);
        self.kubelets[idx as usize].start(&mut ctx);
        self.dispatch(Client::Kubelet(idx), acts);
        self.start_proxy(idx);
        self.start_notes(idx);
    }

    /// The traffic model's tick: requests sent and counted, each second's counts logged,
    /// the next tick while a client may still send.
    fn traffic_tick(&mut self) {
        let kubelets = &self.kubelets;
        let index = &self.kubelet_index;
        let now = self.now;
        let alive = |n: &str| index.get(n).is_some_and(|&k| kubelets[k as usize].alive);
        let serving = |n: &str, uid: &str| index.get(n).is_some_and(|&k| kubelets[k as usize].alive && kubelets[k as usize].serving(uid, now));
        let records = self.traffic.tick(now, &self.api.store, &self.proxies, &alive, &serving, &mut self.traffic_rng);
        // `--log-requests`: one record per request, at its tick.
        for r in self.traffic.take_requests() {
            let mut change = serde_json::Map::new();
            change.insert("from".into(), r.from.into());
            if !r.to.is_empty() {
                change.insert("to".into(), r.to.into());
            }
            change.insert("result".into(), r.result.into());
            if let Some(us) = r.latency_us {
                change.insert("latency_ms".into(), serde_json::json!(us as f64 / 1000.0));
            }
            self.trace.push(Record {
                t: self.now.as_ms(),
                rev: self.api.store.revision(),
                verb: "request".into(),
                by: "traffic".into(),
                kind: String::new(),
                ns: String::new(),
                name: r.client,
                change,
            });
        }
        for (name, c) in records {
            let mut change = serde_json::Map::new();
            change.insert("sent".into(), c.sent.into());
            change.insert("succeeded".into(), c.succeeded.into());
            if !c.failed.is_empty() {
                change.insert("failed".into(), serde_json::json!(c.failed));
            }
            self.trace.push(Record {
                t: self.now.as_ms(),
                rev: self.api.store.revision(),
                verb: "traffic".into(),
                by: "traffic".into(),
                kind: String::new(),
                ns: String::new(),
                name,
                change,
            });
        }
        if let Some(c) = self.checker.as_mut() {
            let names: Vec<String> = self.traffic.names().map(str::to_string).collect();
            for n in names {
                if let Some(t) = self.traffic.counters(&n) {
                    c.on_traffic(&n, t, self.now);
                }
            }
        }
        if self.traffic.active_after(self.now) || self.traffic.has_unlogged() {
            self.queue.push(self.now + crate::traffic::TICK, SimEvent::TrafficTick);
        }
    }

    /// A node's kube-proxy starts (with the node).
    fn start_proxy(&mut self, k: u32) {
        let mut acts = Vec::new();
        let mut ctx = Ctx::new(self.now, &mut acts);
        self.proxies[k as usize].start(&mut ctx);
        self.dispatch(Client::KubeProxy(k), acts);
    }

    fn handle(&mut self, ev: SimEvent) {
        let mut out = Vec::new();
        let (client, now) = (
            match &ev {
                SimEvent::Watch { to, .. } | SimEvent::Timer { to, .. } | SimEvent::Response { to, .. } => *to,
                _ => Client::Timeline,
            },
            self.now,
        );
        match ev {
            SimEvent::Timeline(i) => {
                self.run_timeline(self.timeline[i].clone());
                return;
            }
            SimEvent::Scheduled(slot) => {
                let entry = self.scheduled.take(slot);
                self.run_timeline(entry);
                return;
            }
            SimEvent::TrafficTick => {
                self.traffic_tick();
                return;
            }
            SimEvent::UsageTick => {
                self.usage_tick();
                return;
            }
            SimEvent::MetricsScrape => {
                self.metrics_scrape();
                return;
            }
            SimEvent::AutoscalerLoop => {
                self.autoscaler_loop();
                return;
            }
            SimEvent::MachineUp(machine) => {
                let (pool, name) = *machine;
                // A machine given up before it booted never joins.
                if self.booting.remove(&name).is_some() {
                    self.add_node(&pool, &name);
                }
                return;
            }
            SimEvent::Kubeadm(step) => {
                self.kubeadm_step(step);
                return;
            }
            SimEvent::ChaosEnd(i) => {
                self.chaos_end(i);
                return;
            }
            SimEvent::Request { from, request, reply } => {
                // A partitioned node's requests never arrive.
                if self.requests_cut(from) {
                    return;
                }
                use control_plane::Verdict;
                match self.control_plane.verdict(&request, now) {
                    Verdict::Serve => self.handle_request(from, request, reply),
                    Verdict::Delay(d) => {
                        self.queue.push(now + d, SimEvent::Commit { from, request, reply, arrived: now });
                    }
                    why => self.fail(from, request, reply, why),
                }
                return;
            }
            SimEvent::Commit { from, request, reply, arrived } => {
                // Writes stopped being served before this one committed: it fails as one
                // arriving now would.
                if let Some(why) = self.control_plane.unserved() {
                    self.fail(from, request, reply, why);
                    return;
                }
                // The write lands later than its client's view would suggest: the checkers
                // allow for the wait.
                self.write_wait = now.since(arrived);
                self.handle_request(from, request, reply);
                self.write_wait = SimDuration::ZERO;
                return;
            }
            SimEvent::Response { to: Client::Kubelet(k) | Client::KubeProxy(k), .. } if self.deliveries_cut(k) => return,
            SimEvent::Timer { to: Client::ApiServer, timer: crate::client::Timer::ApiServer(crate::apiserver::Timer::EventLeaseExpiry) } => {
                for w in self.api.expire_events(now) {
                    self.log_write(&w, "delete", Client::ApiServer);
                    self.fan_out(&w);
                }
                return;
            }
            SimEvent::Timer { to: Client::ApiServer, .. } => {
                self.api.store.compact_older_than(now);
                self.queue
                    .push(now + SimDuration::from_secs(300), SimEvent::Timer { to: Client::ApiServer, timer: crate::apiserver::Timer::Compaction.into() });
                return;
            }
            SimEvent::Response { to: Client::Timeline, request, response, .. } => {
                if let Response::Error(st) = response {
                    let addr = &self.control_plane.address;
                    let line = if st.message == control_plane::refused(addr) {
                        control_plane::kubectl_refused(addr)
                    } else {
                        format!("{} {}: {}", request.verb(), request.key(), st.message)
                    };
                    self.timeline_errors.push((now, line));
                }
                return;
            }
            SimEvent::Watch { to, event, seq } => {
                if self.checker.is_some() {
                    let who = self.client_name(to);
                    let desc = format!("watch delivery #{seq} to {who}");
                    if let Some(c) = self.checker.as_mut() {
                        c.on_delivery(&who, seq, &event, now, &desc);
                    }
                }
                let mut ctx = Ctx::new(now, &mut out);
                match to {
                    Client::Scheduler => self.scheduler.on_watch(&event, &mut ctx),
                    Client::ControllerManager => self.controller_manager.on_watch(&event, &mut ctx),
                    Client::Kubelet(k) => {
                        let kl = &mut self.kubelets[k as usize];
                        if kl.alive {
                            kl.on_watch(&event, &mut ctx);
                        }
                    }
                    Client::KubeProxy(k) => self.proxies[k as usize].on_watch(&event, &mut ctx),
                    _ => {}
                }
            }
            SimEvent::Timer { to, timer } => {
                let mut ctx = Ctx::new(now, &mut out);
                match (to, timer) {
                    (Client::Kubectl, Timer::Kubectl(t)) => {
                        self.kubectl.on_timer(&self.api.store, &t, &mut ctx);
                        self.dispatch(Client::Kubectl, out);
                        self.flush_kubectl();
                        return;
                    }
                    (Client::Scheduler, Timer::Scheduler(t)) => self.scheduler.on_timer(&t, &mut ctx),
                    (Client::ControllerManager, Timer::ControllerManager(t)) => self.controller_manager.on_timer(&t, &mut ctx),
                    (Client::Kubelet(k), Timer::Kubelet(t)) => self.kubelets[k as usize].on_timer(&t, &mut ctx),
                    (Client::KubeProxy(k), Timer::KubeProxy(t)) => self.proxies[k as usize].on_timer(&t, &mut ctx),
                    (to, t) => unreachable!("timer {t:?} routed to {to:?}"),
                }
            }
            SimEvent::Response { to, request, response, tag } => {
                let mut ctx = Ctx::new(now, &mut out);
                match to {
                    Client::Kubectl => {
                        self.kubectl.on_response(tag, &request, &response, &mut ctx);
                        self.dispatch(Client::Kubectl, out);
                        self.flush_kubectl();
                        return;
                    }
                    Client::Scheduler => self.scheduler.on_response(tag, &request, &response, &mut ctx),
                    Client::ControllerManager => self.controller_manager.on_response(tag, &request, &response, &mut ctx),
                    Client::Kubelet(k) => {
                        let kl = &mut self.kubelets[k as usize];
                        if kl.alive {
                            kl.on_response(tag, &request, &response, &mut ctx);
                        }
                    }
                    Client::KubeProxy(k) => self.proxies[k as usize].on_response(&request, &response, &mut ctx),
                    // The autoscaler asks for no answers: its next loop reads the store.
                    Client::ClusterAutoscaler => {}
                    Client::Timeline | Client::ApiServer => unreachable!("handled above / never asks"),
                }
            }
        }
        if let Client::KubeProxy(k) = client {
            let p = &self.proxies[k as usize];
            if p.alive && p.view().synced_at == Some(now) {
                self.proxy_syncs += 1;
                if let Some(c) = self.checker.as_mut() {
                    c.on_proxy_sync(&p.node, p.view(), now, &format!("a sync of kube-proxy/{}", p.node));
                }
            }
        }
        self.dispatch(client, out);
    }

    /// How many times a kube-proxy has synced its rules so far.
    pub fn proxy_syncs(&self) -> u64 {
        self.proxy_syncs
    }

    /// The time of the next event, if any.
    pub fn next_time(&self) -> Option<SimTime> {
        self.queue.peek_time()
    }

    /// Adds a timeline action at `at` (the current moment if earlier), run as a scenario's
    /// timeline entry is: for a driver that reacts to the run (`ksim replay` creates a
    /// task's Job once the Jobs it depends on have completed).
    pub fn schedule(&mut self, at: SimTime, action: model::Action) {
        let at = at.max(self.now);
        let slot = self.scheduled.put(model::TimelineEntry { at: SimDuration(at.as_ms()), action, location: model::Location::default() });
        self.queue.push(at, SimEvent::Scheduled(slot));
    }

    /// Processes one event; false when the queue is empty or a limit is reached.
    pub fn step(&mut self) -> bool {
        if self.events_processed >= self.limits.max_events {
            return false;
        }
        let Some(t) = self.queue.peek_time() else { return false };
        if t > self.limits.until {
            return false;
        }
        let Some((t, ev)) = self.queue.pop() else { return false };
        self.now = t;
        self.events_processed += 1;
        self.handle(ev);
        true
    }

    /// Processes every event at or before `t` (bounded by the limits); the clock ends at `t`.
    pub fn run_until(&mut self, t: SimTime) -> Outcome {
        let t = t.min(self.limits.until);
        loop {
            if self.events_processed >= self.limits.max_events {
                return Outcome::MaxEvents;
            }
            match self.queue.peek_time() {
                None => {
                    self.now = self.now.max(t);
                    return Outcome::Quiescent;
                }
                Some(next) if next > t => {
                    self.now = self.now.max(t);
                    return Outcome::UntilReached;
                }
                Some(_) => {
                    self.step();
                }
            }
        }
    }

    /// Runs to the scenario's end.
    pub fn run(&mut self) -> Outcome {
        self.run_until(self.limits.until)
    }

    pub fn pending_events(&self) -> usize {
        self.queue.len()
    }

    pub fn fingerprint(&self) -> String {
        self.trace.fingerprint()
    }

    /// Objects of a kind at the current moment.
    pub fn list(&self, kind: &Kind) -> Vec<Rc<Object>> {
        self.api.store.list(kind).cloned().collect()
    }

    pub fn time(&self) -> Time {
        Time(self.now)
    }

    /// Safety violations found so far (empty when checks are off).
    pub fn violations(&self) -> &[crate::invariants::Violation] {
        self.checker.as_ref().map_or(&[], |c| c.violations.as_slice())
    }

    /// From when liveness may be judged: once the last fault is over by
    /// `QUIET_AFTER_FAULTS` and the last workload action by `settle_after_action` —
    /// before then Kubernetes itself need not have converged.
    pub fn liveness_from(&self) -> SimTime {
        let faults = self.last_fault_end().map_or(0, |t| t.as_ms() + crate::invariants::QUIET_AFTER_FAULTS.as_ms());
        let actions = self.last_action().map_or(0, |t| t.as_ms() + self.settle_after_action.as_ms());
        SimTime(faults.max(actions))
    }

    /// Whether the run ended late enough for liveness to be judged.
    pub fn quiet_at_end(&self) -> bool {
        self.liveness_from() <= self.now
    }

    /// Liveness, at the end of a run that is quiet (empty otherwise).
    pub fn check_converged(&self) -> Vec<crate::invariants::Violation> {
        if !self.quiet_at_end() {
            return Vec::new();
        }
        // Nodes expected to be Ready: up, with their kubelet and runtime running and in
        // touch with the control plane.
        let alive = self
            .kubelets
            .iter()
            .enumerate()
            .filter(|(k, kl)| kl.healthy() && kl.network_ready() && self.partitions[*k].is_none_or(|d| !d.cuts_requests()))
            .map(|(_, kl)| kl.name().to_string())
            .collect();
        crate::invariants::converged(&self.api.store, &alive, self.now)
    }

    /// When the last workload action (apply, delete, scale) of the timeline happens.
    pub fn last_action(&self) -> Option<SimDuration> {
        last_action(&self.timeline).max(self.scheduled.last_action)
    }

    /// When the last node fault (listed or random) of this run is over.
    pub fn last_fault_end(&self) -> Option<SimDuration> {
        crate::faults::last_fault_end(&self.timeline).max(self.scheduled.last_fault_end)
    }
}

/// When the last workload action (apply, delete, scale) of `entries` happens.
fn last_action(entries: &[model::TimelineEntry]) -> Option<SimDuration> {
    entries.iter().filter(|e| matches!(e.action, model::Action::Apply(_) | model::Action::Delete { .. } | model::Action::Scale { .. })).map(|e| e.at).max()
}

/// The actions drivers schedule while a run goes (`Simulation::schedule`): each kept in a
/// slot until it runs, the slot then free for the next one — memory bounded by the
/// actions pending, not by those run. What the liveness check needs of every one
/// scheduled (when the last workload action and the last fault end) is kept as it comes.
#[derive(Debug, Default)]
struct Scheduled {
    slots: Vec<Option<model::TimelineEntry>>,
    free: Vec<usize>,
    last_action: Option<SimDuration>,
    last_fault_end: Option<SimDuration>,
}

impl Scheduled {
    fn put(&mut self, entry: model::TimelineEntry) -> usize {
        let one = std::slice::from_ref(&entry);
        self.last_action = self.last_action.max(last_action(one));
        self.last_fault_end = self.last_fault_end.max(crate::faults::last_fault_end(one));
        match self.free.pop() {
            Some(slot) => {
                self.slots[slot] = Some(entry);
                slot
            }
            None => {
                self.slots.push(Some(entry));
                self.slots.len() - 1
            }
        }
    }

    /// The entry of `slot`, which the queue holds once.
    fn take(&mut self, slot: usize) -> model::TimelineEntry {
        self.free.push(slot);
        self.slots[slot].take().expect("a scheduled action runs once")
    }
}

/// The `kubernetes` Service the apiserver keeps in `default`
/// (pkg/controlplane/controller/kubernetesservice: CreateOrUpdateMasterServiceIfNeeded
/// with createPortAndServiceSpec): the range's first address, port 443 `https` to the
/// apiserver's 6443, no selector (its endpoints are the apiserver's own).
/// The address the apiserver advertises (`--advertise-address`): the control plane's,
/// on the nodes' network but outside the simulated nodes (172.18.0.1; nodes take
/// 172.18.0.2 on) until ksim models a control-plane node.
pub const APISERVER_ADVERTISE_ADDRESS: &str = "172.18.0.1";

/// The `kubernetes` Service's endpoints, which the apiserver's endpoint reconciler writes
/// itself (pkg/controlplane/reconcilers: the Endpoints with the advertise address and
/// port `https` 6443, and endpointsadapter.go endpointSliceFromEndpoints: the slice of
/// the same name, labelled with the Service's name, the address ready).
pub fn kubernetes_endpoints(ip: &str) -> (crate::api::endpoints::Endpoints, crate::api::endpoints::EndpointSlice) {
    use crate::api::endpoints::{
        CoreEndpointPort, Endpoint, EndpointAddress, EndpointConditions, EndpointPort, EndpointSlice, EndpointSubset, Endpoints, LABEL_SERVICE_NAME,
    };
    let mut e = Endpoints::default();
    e.metadata.name = "kubernetes".into();
    e.metadata.namespace = "default".into();
    // The mirroring controller leaves it alone (reconcilers/endpointsadapter.go).
    e.metadata.labels.insert("endpointslice.kubernetes.io/skip-mirror".into(), "true".into());
    e.subsets = vec![EndpointSubset {
        addresses: vec![EndpointAddress { ip: ip.into(), ..Default::default() }],
        ports: vec![CoreEndpointPort { name: Some("https".into()), port: 6443, protocol: Some("TCP".into()), app_protocol: None }],
        ..Default::default()
    }];
    let mut s = EndpointSlice::default();
    s.metadata.name = "kubernetes".into();
    s.metadata.namespace = "default".into();
    s.metadata.labels.insert(LABEL_SERVICE_NAME.into(), "kubernetes".into());
    s.address_type = "IPv4".into();
    s.endpoints =
        vec![Endpoint { addresses: vec![ip.into()], conditions: EndpointConditions { ready: Some(true), ..Default::default() }, ..Default::default() }];
    s.ports = Some(vec![EndpointPort { name: Some("https".into()), protocol: Some("TCP".into()), port: Some(6443), app_protocol: None }]);
    (e, s)
}

pub fn kubernetes_service(cluster_ip: &str) -> crate::api::service::Service {
    use crate::api::meta::IntOrString;
    use crate::api::service::{Service, ServicePort};
    let mut s = Service::default();
    s.metadata.name = "kubernetes".into();
    s.metadata.namespace = "default".into();
    s.metadata.labels = [("component", "apiserver"), ("provider", "kubernetes")].into_iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
    s.spec.ports = vec![ServicePort {
        name: Some("https".into()),
        protocol: Some("TCP".into()),
        port: 443,
        target_port: Some(IntOrString::Int(6443)),
        ..Default::default()
    }];
    s.spec.cluster_ip = cluster_ip.into();
    s.spec.cluster_ips = vec![cluster_ip.into()];
    s.spec.session_affinity = Some("None".into());
    s.spec.ip_family_policy = Some("SingleStack".into());
    s.spec.type_ = "ClusterIP".into();
    s
}

/// `Simulation::client_name` in two parts, joined with nothing between them: the
/// component and, for a node's, the node (`kubelet/`, `w-1`).
fn client_name_parts<'a>(kubelets: &'a [Kubelet], proxies: &'a [KubeProxy], c: Client) -> (&'static str, &'a str) {
    match c {
        Client::Timeline => ("timeline", ""),
        Client::Kubectl => ("kubectl", ""),
        Client::ApiServer => ("apiserver", ""),
        Client::Scheduler => ("scheduler", ""),
        Client::ControllerManager => ("controller-manager", ""),
        Client::Kubelet(i) => ("kubelet/", kubelets[i as usize].name()),
        Client::KubeProxy(i) => ("kube-proxy/", &proxies[i as usize].node),
        Client::ClusterAutoscaler => ("cluster-autoscaler", ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u64, action: model::Action) -> model::TimelineEntry {
        model::TimelineEntry { at: SimDuration::from_secs(s), action, location: model::Location::default() }
    }

    /// A driver's scheduled actions: a slot each until it runs, then reused; the liveness
    /// check's two times still count every action scheduled, run or not.
    #[test]
    fn scheduled_actions_give_their_slot_back_and_still_count_for_liveness() {
        let mut s = Scheduled::default();
        assert_eq!(s.put(at(5, model::Action::Apply(Vec::new()))), 0);
        assert_eq!(s.put(at(7, model::Action::NodeCrash("n1".into()))), 1);
        assert_eq!(s.take(0).at, SimDuration::from_secs(5));
        let scale = model::Action::Scale { kind: crate::api::Kind::Deployment, namespace: "default".into(), name: "web".into(), replicas: 2 };
        assert_eq!(s.put(at(9, scale)), 0, "the run action's slot is reused");
        assert_eq!(s.slots.len(), 2);
        assert!(matches!(s.take(1).action, model::Action::NodeCrash(_)));
        assert!(matches!(s.take(0).action, model::Action::Scale { .. }));
        assert!(s.slots.iter().all(Option::is_none));
        // Every one counted, though none is kept: the scale at 9 s, the crash at 7 s.
        assert_eq!(s.last_action, Some(SimDuration::from_secs(9)));
        assert_eq!(s.last_fault_end, Some(SimDuration::from_secs(7)));
        // An action or fault scheduled earlier than the last one does not move it back.
        s.put(at(6, model::Action::NodeRecover("n1".into())));
        s.put(at(3, model::Action::Apply(Vec::new())));
        assert_eq!(s.last_fault_end, Some(SimDuration::from_secs(7)));
        assert_eq!(s.last_action, Some(SimDuration::from_secs(9)));
    }
}
