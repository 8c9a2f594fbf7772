//! The scenario, as the simulation consumes it: a cluster, a timeline of actions, and
//! expectations — already parsed, validated and located in their source files.

use super::expect::Check;
use super::yaml::Mark;
use crate::api::node::Taint;
use crate::api::quantity::Quantity;
use crate::api::{Kind, Object};
use crate::engine::SimDuration;
use std::collections::BTreeMap;

/// Where something was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Location {
    pub file: String,
    pub mark: Mark,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.mark.line, self.mark.col)
    }
}

#[derive(Clone, Debug)]
pub struct NodePool {
    pub name: String,
    pub count: u32,
    pub cpu: Quantity,
    pub memory: Quantity,
    pub pods: Quantity,
    /// Extended resources in `capacity` (`nvidia.com/gpu: 8`).
    pub extended: BTreeMap<String, Quantity>,
    pub labels: BTreeMap<String, String>,
    pub taints: Vec<Taint>,
    /// `csiDrivers`: the CSI drivers whose node plugin runs on the pool's nodes, and how
    /// many volumes each can attach there (NodeGetInfo's max_volumes_per_node; 0: no
    /// limit). The kubelet publishes them in the node's CSINode.
    pub csi_drivers: BTreeMap<String, u32>,
    /// `controlPlane: true`: kubeadm's control-plane nodes (the control plane's static
    /// pods, the control-plane role label and NoSchedule taint).
    pub control_plane: bool,
    /// `swap: true`: the machines have swap on, so their kubelet (failSwapOn: true, its
    /// default) refuses to start.
    pub swap: bool,
    /// `closedPorts`: firewalld runs on the machines and these ports were not opened
    /// (6443, kube-apiserver's, on a control-plane pool; 10250, the kubelet's API).
    pub closed_ports: Vec<u16>,
    /// `containerd: {version, systemdCgroup}`: the machines' container runtime as
    /// configured; `None`: containerd 2.x with `SystemdCgroup = true` (what the setup
    /// chapter ends with).
    pub containerd: Option<Containerd>,
    /// `brNetfilter: false`: the `br_netfilter` module is not loaded, so bridged traffic
    /// skips iptables (traffic/mod.rs: replies of Service traffic within one node's
    /// bridge are not translated back).
    pub br_netfilter: bool,
    /// `kubelet: {evictionHard, evictionSoft, evictionSoftGracePeriod,
    /// evictionMaxPodGracePeriod}`: the kubelet's eviction thresholds for memory.available.
    pub eviction: crate::kubelet::EvictionConfig,
    /// `autoscaling: {min, max, provisioningDelay}`: a node group the Cluster Autoscaler
    /// resizes (cluster_autoscaler.rs).
    pub autoscaling: Option<NodeGroupSpec>,
}

/// A pool's `autoscaling`: the node group's bounds, and how long a machine the Cluster
/// Autoscaler asks for takes to boot and register.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeGroupSpec {
    pub min: u32,
    pub max: u32,
    pub provisioning_delay: SimDuration,
}

/// The Cluster Autoscaler's expanders ksim models (`--expander`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Expander {
    #[default]
    Random,
    MostPods,
    LeastWaste,
    LeastNodes,
    Priority,
}

impl Expander {
    /// The `--expander` names, in the order of `Expander::ALL`.
    pub const NAMES: [&'static str; 5] = ["random", "most-pods", "least-waste", "least-nodes", "priority"];
    pub const ALL: [Expander; 5] = [Expander::Random, Expander::MostPods, Expander::LeastWaste, Expander::LeastNodes, Expander::Priority];
}

impl NodePool {
    /// `count` machines of `cpu` and `memory` (110 pods each) with every other field at
    /// the value a scenario that does not mention it gets: no labels, taints or CSI
    /// drivers, a worker, swap off, no firewall, containerd 2.x on systemd, br_netfilter
    /// loaded, the kubelet's default eviction thresholds.
    pub fn plain(name: &str, count: u32, cpu: Quantity, memory: Quantity) -> Self {
        NodePool {
            name: name.into(),
            count,
            cpu,
            memory,
            pods: Quantity::from_value(110),
            extended: BTreeMap::new(),
            labels: BTreeMap::new(),
            taints: Vec::new(),
            csi_drivers: BTreeMap::new(),
            control_plane: false,
            swap: false,
            closed_ports: Vec::new(),
            containerd: None,
            br_netfilter: true,
            eviction: Default::default(),
            autoscaling: None,
        }
    }
}

/// A node pool's containerd: its release and its runc runtime's `SystemdCgroup` option.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Containerd {
    pub version: String,
    /// (major, minor) of `version`.
    pub release: (u32, u32),
    pub systemd_cgroup: bool,
}

impl Containerd {
    /// The CRI RuntimeConfig call came with containerd 2.0 (containerd#8722): older
    /// releases answer Unimplemented.
    pub fn answers_runtime_config(&self) -> bool {
        self.release.0 >= 2
    }

    /// The kubelet (v1.34: KubeletCgroupDriverFromCRI, GA) takes the runtime's cgroup
    /// driver when the runtime says which it is; from an older runtime it falls back to
    /// its own configuration — systemd, kubeadm's default since v1.22 — and a runtime
    /// on cgroupfs then disagrees with it.
    pub fn mismatched(&self) -> bool {
        !self.answers_runtime_config() && !self.systemd_cgroup
    }
}

/// kube-apiserver's port (kubeadm's default bind port) and the kubelet's (KubeletPort).
pub const API_SERVER_PORT: u16 = 6443;
pub const KUBELET_PORT: u16 = 10250;

#[derive(Clone, Debug)]
pub struct Cluster {
    pub node_pools: Vec<NodePool>,
    pub cluster_cidr: String,
    pub node_cidr_mask_size: u8,
    /// The Services' ClusterIP range (kube-apiserver's --service-cluster-ip-range).
    pub service_cidr: String,
    /// A load-balancer controller's address pool (MetalLB-like); None: LoadBalancer
    /// Services stay `<pending>`.
    pub load_balancer: Option<LoadBalancerPool>,
    /// `spec.cluster.dns`: whether kubeadm's CoreDNS add-on runs (a Deployment and the
    /// kube-dns Service in kube-system). Off unless asked for: see ARCHITECTURE.md.
    pub dns: Dns,
    /// `spec.cluster.cni`: whether a CNI plugin is in place when nodes start (`none`: not
    /// until a CNI DaemonSet's pod is Ready on the node).
    pub cni_installed: bool,
    /// `spec.cluster.ingressController: ingress-nginx`: the ingress controller installed.
    pub ingress_nginx: bool,
    /// `spec.cluster.metricsServer: metrics-server`: the resource metrics pipeline.
    pub metrics_server: bool,
    /// `spec.cluster.clusterAutoscaler: {expander}`: the Cluster Autoscaler's expanders,
    /// a chain as `--expander=priority,least-waste` gives (it runs when a pool has
    /// `autoscaling`).
    pub expanders: Vec<Expander>,
    /// `spec.cluster.storage`: the default StorageClass `standard` and its provisioner.
    pub storage: Storage,
    /// `spec.cluster.etcd.members`: the etcd cluster's size (1, kubeadm's stacked etcd,
    /// by default).
    pub etcd_members: u32,
    /// `spec.cluster.bootstrap: kubeadm`: the cluster as `kubeadm init` builds it.
    pub kubeadm: bool,
    /// `spec.cluster.kubeadm`: kubeadm init's InitConfiguration (its bootstrap tokens).
    pub kubeadm_config: KubeadmConfig,
    /// `spec.cluster.apiServer.eventTTL`: kube-apiserver's --event-ttl, how long an Event
    /// is kept after its last write (1h by default).
    pub event_ttl: SimDuration,
}

/// `spec.cluster.kubeadm`: what kubeadm's InitConfiguration says, as far as ksim uses it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct KubeadmConfig {
    /// `bootstrapTokens: [{token, ttl}]`: the tokens `kubeadm init` creates (none given: one
    /// generated from the run's seed, with the default TTL).
    pub bootstrap_tokens: Vec<BootstrapToken>,
}

/// One of InitConfiguration's `bootstrapTokens`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BootstrapToken {
    pub token: crate::sim::kubeadm::Token,
    /// None: `ttl: 0`, the token never expires.
    pub ttl: Option<SimDuration>,
}

impl Cluster {
    /// kubeadm's cluster: the control-plane pools get kubeadm's role label, its
    /// exclude-from-external-load-balancers label and its NoSchedule taint (kubeadm init's
    /// mark-control-plane phase); without one, a `control-plane` pool of one node (2 CPU,
    /// 4Gi: kubeadm's preflight minimum is 2 CPUs and 1700 MB) comes first.
    pub fn apply_kubeadm(&mut self) {
        if !self.kubeadm {
            return;
        }
        if !self.node_pools.iter().any(|p| p.control_plane) {
            self.node_pools
                .insert(0, NodePool { control_plane: true, ..NodePool::plain("control-plane", 1, Quantity::from_value(2), Quantity::from_bytes(4 << 30)) });
        }
        for p in self.node_pools.iter_mut().filter(|p| p.control_plane) {
            p.labels.insert(LABEL_CONTROL_PLANE.into(), String::new());
            p.labels.insert("node.kubernetes.io/exclude-from-external-load-balancers".into(), String::new());
            if !p.taints.iter().any(|t| t.key == LABEL_CONTROL_PLANE) {
                p.taints.push(Taint { key: LABEL_CONTROL_PLANE.into(), value: String::new(), effect: "NoSchedule".into(), time_added: None });
            }
        }
    }
}

/// kubeadm's control-plane role label and taint key.
pub const LABEL_CONTROL_PLANE: &str = "node-role.kubernetes.io/control-plane";

/// The cluster's default storage, as the distributions students start on ship it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Storage {
    /// kind's: `standard`, rancher.io/local-path, WaitForFirstConsumer, Delete.
    #[default]
    LocalPath,
    /// minikube's: `standard`, k8s.io/minikube-hostpath, Immediate, Delete.
    MinikubeHostPath,
    /// No StorageClass (kubeadm's bare cluster).
    None,
}

/// The cluster's DNS add-on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dns {
    /// No cluster DNS: names do not resolve (`nxdomain`).
    #[default]
    None,
    /// kubeadm's CoreDNS Deployment and kube-dns Service.
    CoreDns,
}

/// `spec.cluster.loadBalancer`: the addresses LoadBalancer Services get, and how long
/// one takes to come up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoadBalancerPool {
    pub pool: crate::controller_manager::service_lb::Pool,
    pub delay: SimDuration,
}

impl Default for Cluster {
    /// The cluster a plain manifest runs on: 3 workers of 4 CPU, 8Gi, 110 pods.
    fn default() -> Self {
        Cluster {
            node_pools: vec![NodePool::plain("worker", 3, Quantity::from_value(4), Quantity::from_bytes(8 << 30))],
            cluster_cidr: "10.244.0.0/16".into(),
            node_cidr_mask_size: 24,
            service_cidr: crate::apiserver::service_alloc::DEFAULT_SERVICE_CIDR.into(),
            load_balancer: None,
            dns: Dns::None,
            cni_installed: true,
            ingress_nginx: false,
            metrics_server: false,
            expanders: vec![Expander::Random],
            storage: Storage::LocalPath,
            etcd_members: 1,
            kubeadm: false,
            kubeadm_config: KubeadmConfig::default(),
            event_ttl: crate::apiserver::EVENT_TTL,
        }
    }
}

/// Hop latencies (each way) between components and the apiserver.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Latency {
    /// Client → apiserver, and the response back.
    pub request: SimDuration,
    /// apiserver → watcher.
    pub watch: SimDuration,
}

impl Default for Latency {
    fn default() -> Self {
        Latency { request: SimDuration::from_ms(1), watch: SimDuration::from_ms(1) }
    }
}

/// A manifest with where it came from.
#[derive(Clone, Debug)]
pub struct Manifest {
    pub object: Object,
    pub at: Location,
}

#[derive(Clone, Debug)]
pub enum Action {
    Apply(Vec<Manifest>),
    /// `kubectl delete` (`--grace-period`, `--force`: the grace period sent, None for
    /// the object's own).
    Delete {
        kind: Kind,
        namespace: String,
        name: String,
        grace_period_seconds: Option<i64>,
    },
    Scale {
        kind: Kind,
        namespace: String,
        name: String,
        replicas: i32,
    },
    NodeCrash(String),
    NodeRecover(String),
    /// `kubectl cordon` / `uncordon`: spec.unschedulable.
    Cordon(String),
    Uncordon(String),
    /// `kubectl drain`.
    Drain(DrainOptions),
    /// A node of a pool joins the cluster (its name: the pool's next `<pool>-<n>`).
    AddNode {
        pool: String,
        name: String,
    },
    /// A node leaves: the machine stops and its Node object is deleted.
    RemoveNode(String),
    /// `kubectl set image TARGET CONTAINER=IMAGE`.
    SetImage {
        target: Target,
        container: String,
        image: String,
    },
    /// `kubectl rollout undo TARGET [--to-revision=N]` (0: the previous revision).
    RolloutUndo {
        target: Target,
        to_revision: i64,
    },
    /// `kubectl rollout pause` / `resume`.
    RolloutPause(Target),
    RolloutResume(Target),
    /// `partition: {node, direction, duration}`: the messages between a node (its kubelet
    /// and kube-proxy) and the control plane are lost one way or both; the heal is its
    /// own entry (`PartitionHeal`), added when the run starts (faults::expand).
    Partition {
        node: String,
        direction: PartitionDirection,
        duration: Option<SimDuration>,
    },
    PartitionHeal(String),
    /// `kubeletStop: N` / `kubeletStart: N`: the kubelet process stops (the node's
    /// containers keep running) and starts again.
    KubeletStop(String),
    KubeletStart(String),
    /// `runtimeStop: N` / `runtimeStart: N`: the container runtime (containerd) stops
    /// and starts again.
    RuntimeStop(String),
    RuntimeStart(String),
    /// `podKill: {target: pod/NAME, gracePeriod: S}`: the pod is deleted with that grace
    /// period (Chaos Mesh's pod-kill: 0 by default).
    PodKill {
        target: Target,
        grace_period_seconds: i64,
    },
    /// `containerKill: {target: pod/NAME, container: C}`: the runtime kills the container
    /// (SIGKILL: exit 137) and the kubelet restarts it as its restartPolicy says.
    ContainerKill {
        target: Target,
        container: String,
    },
    /// A random plan's `podKill` or `containerKill` (`spec.faults`): a Running pod drawn
    /// when it fires — in `namespace`, or outside kube-system — then a PodKill (grace
    /// period 0) or a ContainerKill of its first container.
    RandomKill {
        namespace: Option<String>,
        container: bool,
    },
    /// `clockSkew: {node, offset, duration}`: the node's clock is `offset_ms` off
    /// (negative: behind); back to 0 after the duration (a `ClockSkew` of 0, added when the
    /// run starts).
    ClockSkew {
        node: String,
        offset_ms: i64,
        duration: Option<SimDuration>,
    },
    /// `apiserverRestart: {downtime: D}`: kube-apiserver stops and is back after D
    /// (`ApiserverUp`, added when the run starts).
    ApiserverRestart {
        downtime: SimDuration,
    },
    ApiserverUp,
    /// `etcdMemberDown: {member: I, duration: D}`: etcd member I stops (until
    /// `EtcdMemberUp`, added after the duration).
    EtcdMemberDown {
        member: u32,
        duration: Option<SimDuration>,
    },
    EtcdMemberUp(u32),
    /// `etcdSlowDisk: {member: I, latency: 200ms, duration: D}`: member I's disk writes
    /// take `latency` (until `EtcdDiskNormal`).
    EtcdSlowDisk {
        member: u32,
        latency: SimDuration,
        duration: Option<SimDuration>,
    },
    EtcdDiskNormal(u32),
    /// `kubeadmInit: {node: N}`: `kubeadm init` on the control-plane node N: the control
    /// plane comes up (nothing answers before), with its bootstrap token.
    KubeadmInit {
        node: String,
    },
    /// `kubeadmJoin: {node, token, discoveryTokenCaCertHash}`: `kubeadm join` on worker N:
    /// token discovery, then its kubelet starts and registers the node.
    KubeadmJoin {
        node: String,
        token: crate::sim::kubeadm::Token,
        ca_cert_hash: String,
    },
}

/// Which messages a partition loses (a message-level model: requests one way, answers
/// and watch events the other).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PartitionDirection {
    Both,
    /// The node's requests (lease renewals, status updates) are lost; what the control
    /// plane sends still arrives.
    ToControlPlane,
    /// What the control plane sends (answers, watch events) is lost; the node's requests
    /// still arrive.
    FromControlPlane,
}

impl PartitionDirection {
    pub fn name(self) -> &'static str {
        match self {
            PartitionDirection::Both => "both",
            PartitionDirection::ToControlPlane => "toControlPlane",
            PartitionDirection::FromControlPlane => "fromControlPlane",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [PartitionDirection::Both, PartitionDirection::ToControlPlane, PartitionDirection::FromControlPlane].into_iter().find(|d| d.name() == s)
    }

    /// Whether the node's requests are lost.
    pub fn cuts_requests(self) -> bool {
        self != PartitionDirection::FromControlPlane
    }

    /// Whether what the control plane sends the node is lost.
    pub fn cuts_deliveries(self) -> bool {
        self != PartitionDirection::ToControlPlane
    }
}

/// What a kubectl action names: kind/namespace/name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.kind.static_name().to_ascii_lowercase(), self.name)
    }
}

/// `kubectl drain` flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DrainOptions {
    pub node: String,
    /// --timeout (0: wait forever).
    pub timeout: SimDuration,
    pub ignore_daemon_sets: bool,
    pub delete_emptydir_data: bool,
    pub force: bool,
    /// --grace-period (None: each pod's own).
    pub grace_period_seconds: Option<i64>,
}

impl Action {
    pub fn describe(&self) -> String {
        match self {
            Action::Apply(ms) => {
                let names: Vec<String> = ms
                    .iter()
                    .map(|m| {
                        let k = m.object.key();
                        let ns = if k.kind.namespaced() && k.namespace.is_empty() { "default" } else { k.namespace.as_str() };
                        crate::api::ObjectKey::new(k.kind.clone(), ns, &k.name).to_string()
                    })
                    .collect();
                format!("apply {}", names.join(", "))
            }
            Action::Delete { kind, namespace, name, grace_period_seconds } => {
                let k = crate::api::ObjectKey::new(kind.clone(), namespace, name);
                match grace_period_seconds {
                    Some(0) => format!("delete {k} --force --grace-period=0"),
                    Some(g) => format!("delete {k} --grace-period={g}"),
                    None => format!("delete {k}"),
                }
            }
            Action::Scale { kind, namespace, name, replicas } => format!("scale {} to {replicas}", crate::api::ObjectKey::new(kind.clone(), namespace, name)),
            Action::NodeCrash(n) => format!("crash node {n}"),
            Action::NodeRecover(n) => format!("recover node {n}"),
            Action::Cordon(n) => format!("kubectl cordon {n}"),
            Action::Uncordon(n) => format!("kubectl uncordon {n}"),
            Action::Drain(d) => {
                let mut s = format!("kubectl drain {}", d.node);
                if d.ignore_daemon_sets {
                    s.push_str(" --ignore-daemonsets");
                }
                if d.delete_emptydir_data {
                    s.push_str(" --delete-emptydir-data");
                }
                if d.force {
                    s.push_str(" --force");
                }
                if let Some(g) = d.grace_period_seconds {
                    s.push_str(&format!(" --grace-period={g}"));
                }
                if d.timeout.as_ms() > 0 {
                    s.push_str(&format!(" --timeout={}", d.timeout));
                }
                s
            }
            Action::AddNode { pool, name } => format!("node {name} joins (pool {pool})"),
            Action::RemoveNode(n) => format!("node {n} leaves the cluster"),
            Action::SetImage { target, container, image } => format!("kubectl set image {target} {container}={image}"),
            Action::RolloutUndo { target, to_revision: 0 } => format!("kubectl rollout undo {target}"),
            Action::RolloutUndo { target, to_revision } => format!("kubectl rollout undo {target} --to-revision={to_revision}"),
            Action::RolloutPause(t) => format!("kubectl rollout pause {t}"),
            Action::RolloutResume(t) => format!("kubectl rollout resume {t}"),
            Action::Partition { node, direction, duration } => {
                let d = duration.map(|d| format!(" for {d}")).unwrap_or_default();
                format!("partition node {node} from the control plane ({}){d}", direction.name())
            }
            Action::PartitionHeal(n) => format!("heal the partition of node {n}"),
            Action::KubeletStop(n) => format!("systemctl stop kubelet on {n}"),
            Action::KubeletStart(n) => format!("systemctl start kubelet on {n}"),
            Action::RuntimeStop(n) => format!("systemctl stop containerd on {n}"),
            Action::RuntimeStart(n) => format!("systemctl start containerd on {n}"),
            Action::PodKill { target, grace_period_seconds } => format!("kill {target} (grace period {grace_period_seconds}s)"),
            Action::ContainerKill { target, container } => format!("kill container {container} of {target}"),
            Action::RandomKill { container, .. } => format!("kill a random pod{}", if *container { "'s container" } else { "" }),
            Action::ApiserverRestart { downtime } => format!("kube-apiserver stops (back after {downtime})"),
            Action::ApiserverUp => "kube-apiserver is back".to_string(),
            Action::EtcdMemberDown { member, duration } => format!("etcd member {member} stops{}", duration.map(|d| format!(" for {d}")).unwrap_or_default()),
            Action::EtcdMemberUp(m) => format!("etcd member {m} is back"),
            Action::EtcdSlowDisk { member, latency, duration } => {
                format!("etcd member {member}'s disk writes take {latency}{}", duration.map(|d| format!(" for {d}")).unwrap_or_default())
            }
            Action::EtcdDiskNormal(m) => format!("etcd member {m}'s disk is fast again"),
            Action::KubeadmInit { node } => format!("kubeadm init on {node}"),
            Action::KubeadmJoin { node, token, ca_cert_hash } => {
                format!("kubeadm join on {node} --token {token} --discovery-token-ca-cert-hash {ca_cert_hash}")
            }
            Action::ClockSkew { node, offset_ms, duration } => {
                let off = if *offset_ms < 0 {
                    format!("-{}", SimDuration::from_ms(offset_ms.unsigned_abs()))
                } else {
                    format!("+{}", SimDuration::from_ms(*offset_ms as u64))
                };
                let d = duration.map(|d| format!(" for {d}")).unwrap_or_default();
                format!("node {node}'s clock {off}{d}")
            }
        }
    }
}

#[derive(Clone, Debug)]
pub struct TimelineEntry {
    pub at: SimDuration,
    pub action: Action,
    pub location: Location,
}

/// When an expectation must hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum When {
    /// At this moment (after every event at or before it).
    At(SimDuration),
    /// At every moment of `[from, to]`: when the window opens, and after every event in it.
    During(SimDuration, SimDuration),
    /// At some moment of `[from, to]` (`by: 5m` is `[0s, 5m]`).
    By(SimDuration, SimDuration),
}

impl When {
    /// The moment the check starts to matter (results are listed in this order).
    pub fn start(self) -> SimDuration {
        match self {
            When::At(t) | When::By(_, t) => t,
            When::During(from, _) => from,
        }
    }
}

impl std::fmt::Display for When {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            When::At(t) => write!(f, "at {t}"),
            When::During(a, b) => write!(f, "during [{a}, {b}]"),
            When::By(a, t) if a.as_ms() == 0 => write!(f, "by {t}"),
            When::By(a, t) => write!(f, "by [{a}, {t}]"),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Expectation {
    pub when: When,
    pub check: Check,
    pub text: String,
    pub location: Location,
}

/// A non-fatal remark about the input (unmodelled kinds, removed API versions, …).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub location: Location,
    pub message: String,
}

#[derive(Clone, Debug)]
pub struct Scenario {
    pub name: String,
    pub seed: u64,
    pub until: SimDuration,
    pub cluster: Cluster,
    pub latency: Latency,
    pub timeline: Vec<TimelineEntry>,
    pub expect: Vec<Expectation>,
    pub warnings: Vec<Warning>,
    /// Seeded random faults, added to the timeline when a run starts.
    pub faults: crate::faults::FaultPlan,
    pub faults_location: Location,
    /// The scheduler's profiles (from a KubeSchedulerConfiguration document, or the default).
    pub scheduler: crate::scheduler::profile::SchedulerConfig,
    /// The traffic model's clients (`spec.traffic`).
    pub traffic: Vec<crate::traffic::Client>,
}

pub const DEFAULT_UNTIL: SimDuration = SimDuration::from_secs(300);

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            name: String::new(),
            seed: 1,
            until: DEFAULT_UNTIL,
            cluster: Cluster::default(),
            latency: Latency::default(),
            timeline: Vec::new(),
            expect: Vec::new(),
            warnings: Vec::new(),
            faults: Default::default(),
            faults_location: Location::default(),
            scheduler: Default::default(),
            traffic: Vec::new(),
        }
    }
}

impl Scenario {
    /// Node names in creation order (`<pool>-1`, `<pool>-2`, …).
    pub fn node_names(&self) -> Vec<String> {
        self.cluster.node_pools.iter().flat_map(|p| (1..=p.count).map(move |i| format!("{}-{i}", p.name))).collect()
    }

    /// The nodes random fault plans pick from: the workers (a kubeadm control-plane
    /// node's crash is the whole control plane's: list it on the timeline to mean it).
    pub fn fault_nodes(&self) -> Vec<String> {
        let joining = self.joining_nodes();
        self.cluster
            .node_pools
            .iter()
            .filter(|p| !p.control_plane)
            .flat_map(|p| (1..=p.count).map(move |i| format!("{}-{i}", p.name)))
            .filter(|n| !joining.contains(n))
            .collect()
    }

    /// Whether `kubeadm init` is a timeline step (the control plane is not there before it).
    pub fn kubeadm_init_at(&self) -> Option<SimDuration> {
        self.timeline.iter().find(|e| matches!(e.action, Action::KubeadmInit { .. })).map(|e| e.at)
    }

    /// The nodes a `kubeadm join` brings in: their kubelet waits for it.
    pub fn joining_nodes(&self) -> std::collections::BTreeSet<String> {
        self.timeline
            .iter()
            .filter_map(|e| match &e.action {
                Action::KubeadmJoin { node, .. } => Some(node.clone()),
                _ => None,
            })
            .collect()
    }
}
