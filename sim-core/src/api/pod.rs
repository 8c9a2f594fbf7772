//! Pod (core/v1): the fields ksim interprets are typed; the rest of the PodSpec schema
//! (volumes, env, securityContext, …) is accepted and kept as JSON, so real manifests
//! load, print back and are never silently dropped. Fields outside the schema are
//! rejected as unknown.

use super::meta::{MaybeTime, ObjectMeta, PodKind, Text, Time, TypeField, V1};
use super::quantity::Quantity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;
use std::rc::Rc;
use thin_vec::ThinVec;

pub type ResourceList = BTreeMap<String, Quantity>;
type Opaque = Option<Box<Value>>;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Pod {
    /// Constants for every pod: one byte each, not a string (a big run has many pods).
    #[serde(default)]
    pub api_version: TypeField<V1>,
    #[serde(default)]
    pub kind: TypeField<PodKind>,
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Shared between versions: a status update does not copy the spec.
    #[serde(default)]
    pub spec: Rc<PodSpec>,
    #[serde(default)]
    pub status: PodStatus,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodTemplateSpec {
    #[serde(default)]
    pub metadata: ObjectMeta,
    /// Shared with the pods created from it.
    #[serde(default)]
    pub spec: Rc<PodSpec>,
}

/// A PodSpec: `nodeName` in line, every other field in a [`PodSpecBody`] shared between
/// the specs that differ only in `nodeName` — the binding sets `nodeName` on a pod whose
/// spec is otherwise its template's, so a bound pod's spec costs 32 bytes (its `Rc`'s
/// counts, the body's `Rc` and the node's name, a `Text` the binding shares with the
/// scheduler's) and not a copy of the whole schema. The body's fields read (and write,
/// copy-on-write) through `Deref`, as if they were the spec's own: `spec.containers`,
/// `spec.tolerations`.
/// Serialized and read as one object, fields in the schema's order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "PodSpecBody")]
pub struct PodSpec {
    pub node_name: Text,
    body: Rc<PodSpecBody>,
}

impl std::ops::Deref for PodSpec {
    type Target = PodSpecBody;
    fn deref(&self) -> &PodSpecBody {
        &self.body
    }
}

impl std::ops::DerefMut for PodSpec {
    fn deref_mut(&mut self) -> &mut PodSpecBody {
        Rc::make_mut(&mut self.body)
    }
}

impl From<PodSpecBody> for PodSpec {
    /// The spec read (or built) whole: its `nodeName` is taken out of the body.
    fn from(mut body: PodSpecBody) -> Self {
        PodSpec { node_name: std::mem::take(&mut body.node_name).into(), body: Rc::new(body) }
    }
}

impl Serialize for PodSpec {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        /// The fields before `nodeName` and `nodeName`, then the body's others.
        #[derive(Serialize)]
        #[serde(rename_all = "camelCase")]
        struct Out<'a> {
            containers: &'a Rc<Vec<Container>>,
            #[serde(skip_serializing_if = "no_containers")]
            init_containers: &'a Vec<Container>,
            #[serde(skip_serializing_if = "str::is_empty")]
            node_name: &'a str,
            #[serde(flatten)]
            body: &'a PodSpecBody,
        }
        fn no_containers(c: &&Vec<Container>) -> bool {
            c.is_empty()
        }
        Out { containers: &self.body.containers, init_containers: &self.body.init_containers, node_name: &self.node_name, body: &self.body }.serialize(s)
    }
}

/// Every PodSpec field but `nodeName` (see [`PodSpec`]). Its own `Serialize` writes only
/// the fields after `nodeName`: a spec is written through `PodSpec`'s.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename = "PodSpec", rename_all = "camelCase", deny_unknown_fields)]
pub struct PodSpecBody {
    /// Shared between specs that differ elsewhere.
    #[serde(default, skip_serializing)]
    pub containers: Rc<Vec<Container>>,
    #[serde(default, skip_serializing)]
    pub init_containers: Vec<Container>,
    /// Only while read or built: `PodSpec::from` moves it to the spec, so it is always
    /// empty in a spec's body (shared whatever node its pods are on); `spec.node_name`
    /// is the spec's own field.
    #[serde(default, skip_serializing)]
    pub node_name: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub node_selector: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tolerations: Vec<Toleration>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub restart_policy: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active_deadline_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scheduler_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<i32>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub priority_class_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preemption_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub overhead: Option<ResourceList>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub hostname: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub subdomain: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_network: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub affinity: Option<super::affinity::Affinity>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub topology_spread_constraints: Vec<super::affinity::TopologySpreadConstraint>,
    // Accepted, kept, not interpreted (yet): the rest of the PodSpec schema.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volumes: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ephemeral_containers: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub automount_service_account_token: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_config: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_policy: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enable_service_links: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_aliases: Opaque,
    #[serde(rename = "hostIPC", default, skip_serializing_if = "Option::is_none")]
    pub host_ipc: Opaque,
    #[serde(rename = "hostPID", default, skip_serializing_if = "Option::is_none")]
    pub host_pid: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_users: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hostname_override: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub image_pull_secrets: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub os: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_gates: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_claims: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resources: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runtime_class_name: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scheduling_gates: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_account_name: Opaque,
    #[serde(rename = "setHostnameAsFQDN", default, skip_serializing_if = "Option::is_none")]
    pub set_hostname_as_fqdn: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub share_process_namespace: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Container {
    #[serde(default)]
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub image_pull_policy: String,
    #[serde(default, skip_serializing_if = "ResourceRequirements::is_empty")]
    pub resources: ResourceRequirements,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ContainerPort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub readiness_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub liveness_probe: Option<Probe>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub startup_probe: Option<Probe>,
    /// For init containers: `Always` makes a sidecar.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub command: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub env_from: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifecycle: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resize_policy: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restart_policy_rules: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub security_context: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stdin_once: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_message_path: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_message_policy: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tty: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_devices: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub volume_mounts: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub working_dir: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ResourceRequirements {
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub requests: ResourceList,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub limits: ResourceList,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Opaque,
}

impl ResourceRequirements {
    pub fn is_empty(&self) -> bool {
        self.requests.is_empty() && self.limits.is_empty() && self.claims.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerPort {
    pub container_port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_port: Option<i32>,
    #[serde(rename = "hostIP", default, skip_serializing_if = "Option::is_none")]
    pub host_ip: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Probe {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub initial_delay_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub period_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_seconds: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_threshold: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub termination_grace_period_seconds: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exec: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub http_get: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tcp_socket: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grpc: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Toleration {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub operator: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub value: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub effect: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub toleration_seconds: Option<i64>,
}

impl Toleration {
    /// v1helper.Toleration.ToleratesTaint: empty effect matches all effects; empty key
    /// with Exists matches all keys; operator defaults to Equal.
    pub fn tolerates(&self, taint: &super::node::Taint) -> bool {
        if !self.effect.is_empty() && self.effect != taint.effect {
            return false;
        }
        if !self.key.is_empty() && self.key != taint.key {
            return false;
        }
        match self.operator.as_str() {
            "Exists" => true,
            "" | "Equal" => self.value == taint.value,
            _ => false,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodStatus {
    /// The phase, the reason, the message and the QoS class are `Text`: the phases and
    /// classes are shared words, and a status copy shares them all, 8 bytes each.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub phase: Text,
    /// `ThinVec`s, 8 bytes each (see `Pod`'s size below).
    #[serde(default, skip_serializing_if = "ThinVec::is_empty")]
    pub conditions: ThinVec<PodCondition>,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub message: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub reason: Text,
    /// The IPs and the nominated node are `Text`: a status copy (the kubelet builds each
    /// on a copy of the last) shares them, 8 bytes each.
    #[serde(rename = "hostIP", default, skip_serializing_if = "str::is_empty")]
    pub host_ip: Text,
    #[serde(rename = "podIP", default, skip_serializing_if = "str::is_empty")]
    pub pod_ip: Text,
    #[serde(rename = "podIPs", default, skip_serializing_if = "PodIps::is_empty")]
    pub pod_ips: PodIps,
    #[serde(default, skip_serializing_if = "MaybeTime::is_none")]
    pub start_time: MaybeTime,
    #[serde(default, skip_serializing_if = "ThinVec::is_empty")]
    pub container_statuses: ThinVec<ContainerStatus>,
    #[serde(default, skip_serializing_if = "ThinVec::is_empty")]
    pub init_container_statuses: ThinVec<ContainerStatus>,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub nominated_node_name: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub qos_class: Text,
    #[serde(rename = "hostIPs", default, skip_serializing_if = "PodIps::is_empty")]
    pub host_ips: PodIps,
}

// Every stored version of a pod holds one (they were 304 bytes, then 256, then 184 with
// three `Vec`s and two 24-byte `PodIps`), and a pod is one box of 224 bytes (its metadata
// 88), one of mimalloc's bins: at 288 it took one of 320, and a box of more than 224
// takes 256. A status update copies the box: 96 bytes less for each version kept, in the
// store and its history, and each copy made — 80 for a pod of one container, as a
// `ThinVec` keeps its length and capacity in its allocation (one container status, 104
// bytes, now takes a bin of 128 where it took one of 112; five conditions stay in 256).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<PodStatus>() == 120 && std::mem::size_of::<Pod>() == 224);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PodIp {
    pub ip: Text,
}

/// podIPs and hostIPs: a pod has one address of each on a single-stack cluster, kept in
/// place (no allocation; the address a `Text` a copy shares; 16 bytes), more behind a
/// shared `Rc`. The kubelet's status copies them at every update: as
/// vectors they were two allocations a status. Reads as the slice (`Deref`), writes as
/// the list (serde, `From<Vec<PodIp>>`).
#[derive(Clone, Default)]
pub enum PodIps {
    #[default]
    None,
    One(PodIp),
    /// Behind one thin pointer (8 bytes, where an `Rc<[PodIp]>` is 16): with the `Text`
    /// of `One`, the enum is 16 bytes.
    Many(Rc<Vec<PodIp>>),
}

impl PodIps {
    pub fn is_empty(&self) -> bool {
        (**self).is_empty()
    }

    pub fn clear(&mut self) {
        *self = PodIps::None;
    }
}

impl std::ops::Deref for PodIps {
    type Target = [PodIp];
    fn deref(&self) -> &[PodIp] {
        match self {
            PodIps::None => &[],
            PodIps::One(ip) => std::slice::from_ref(ip),
            PodIps::Many(ips) => ips,
        }
    }
}

impl From<Vec<PodIp>> for PodIps {
    fn from(mut v: Vec<PodIp>) -> Self {
        match v.len() {
            0 => PodIps::None,
            1 => PodIps::One(v.pop().expect("one address")),
            _ => {
                v.shrink_to_fit();
                PodIps::Many(Rc::new(v))
            }
        }
    }
}

impl PartialEq for PodIps {
    fn eq(&self, o: &PodIps) -> bool {
        **self == **o
    }
}

impl Eq for PodIps {}

impl std::fmt::Debug for PodIps {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&**self, f)
    }
}

impl Serialize for PodIps {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        (**self).serialize(s)
    }
}

impl<'de> Deserialize<'de> for PodIps {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<PodIp>::deserialize(d).map(PodIps::from)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PodCondition {
    /// Condition types and statuses are a handful of constants: shared, not allocated
    /// (`Text`'s words), 8 bytes each.
    #[serde(rename = "type")]
    pub type_: Text,
    pub status: Text,
    /// `MaybeTime`s: 8 bytes each, where an `Option<Time>` is 16.
    #[serde(default, skip_serializing_if = "MaybeTime::is_none")]
    pub last_probe_time: MaybeTime,
    #[serde(default, skip_serializing_if = "MaybeTime::is_none")]
    pub last_transition_time: MaybeTime,
    /// Empty in most conditions of most pods (all of a Ready pod's): `Text`, 8 bytes.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub reason: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub message: Text,
}

// Five conditions in a pod's status: 240 bytes (they were 96 bytes each, 480; 64
// with `Option<Time>`s, 320).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<PodCondition>() == 48);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStatus {
    /// The name, image and IDs are `Text`: the kubelet's next status shares them with
    /// the last (a copy allocates nothing), 8 bytes each.
    pub name: Text,
    #[serde(default)]
    pub ready: bool,
    #[serde(default)]
    pub restart_count: i32,
    #[serde(default)]
    pub image: Text,
    #[serde(rename = "imageID", default, skip_serializing_if = "str::is_empty")]
    pub image_id: Text,
    #[serde(rename = "containerID", default, skip_serializing_if = "str::is_empty")]
    pub container_id: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<bool>,
    #[serde(default)]
    pub state: ContainerState,
    #[serde(default, skip_serializing_if = "ContainerState::is_empty")]
    pub last_state: ContainerState,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<ContainerStatus>() == 104);

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerState {
    /// Boxed, as `terminated`: a status holds two states (state, lastState), most of
    /// them running or empty, and these two are the large ones.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub waiting: Option<Box<ContainerStateWaiting>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub running: Option<ContainerStateRunning>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub terminated: Option<Box<ContainerStateTerminated>>,
}

impl ContainerState {
    pub fn is_empty(&self) -> bool {
        self.waiting.is_none() && self.running.is_none() && self.terminated.is_none()
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateWaiting {
    /// `Text`s, 8 bytes each (a starting pod's statuses each box one waiting state:
    /// 16 bytes, where a `Cow` and a `String` made 48). The reasons nearly every pod's
    /// statuses carry (ContainerCreating, PodInitializing; Completed and Error when
    /// terminated) are shared words, and the rarer ones the kubelet writes as
    /// constants (CrashLoopBackOff, OOMKilled, CreateContainerConfigError) static
    /// literals: neither allocates. An image pull's error, carried as it was made, is
    /// allocated with each status that says it.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub reason: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub message: Text,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateRunning {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ContainerStateTerminated {
    pub exit_code: i32,
    /// `Text`s, as a waiting state's.
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub reason: Text,
    #[serde(default, skip_serializing_if = "str::is_empty")]
    pub message: Text,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started_at: Option<Time>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<Time>,
}

/// Requests of one resource, summed as the scheduler and kubelet do
/// (resourcehelper.PodRequests, simplified): the sum over regular containers, or the
/// largest init container if bigger, plus pod overhead.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PodRequests {
    pub milli_cpu: i64,
    pub memory: i64,
}

impl PodSpecBody {
    pub fn requests(&self) -> PodRequests {
        let get = |c: &Container, r: &str, milli: bool| {
            c.resources.requests.get(r).or_else(|| c.resources.limits.get(r)).map_or(0, |q| if milli { q.milli_value() } else { q.value() })
        };
        let mut cpu: i64 = 0;
        let mut mem: i64 = 0;
        let mut sidecar_cpu: i64 = 0;
        let mut sidecar_mem: i64 = 0;
        let mut init_cpu: i64 = 0;
        let mut init_mem: i64 = 0;
        for c in self.containers.iter() {
            cpu = cpu.saturating_add(get(c, "cpu", true));
            mem = mem.saturating_add(get(c, "memory", false));
        }
        for c in &self.init_containers {
            let (ic, im) = (get(c, "cpu", true), get(c, "memory", false));
            if c.restart_policy.as_deref() == Some("Always") {
                sidecar_cpu = sidecar_cpu.saturating_add(ic);
                sidecar_mem = sidecar_mem.saturating_add(im);
                init_cpu = init_cpu.max(sidecar_cpu);
                init_mem = init_mem.max(sidecar_mem);
            } else {
                init_cpu = init_cpu.max(sidecar_cpu.saturating_add(ic));
                init_mem = init_mem.max(sidecar_mem.saturating_add(im));
            }
        }
        cpu = cpu.saturating_add(sidecar_cpu).max(init_cpu);
        mem = mem.saturating_add(sidecar_mem).max(init_mem);
        if let Some(o) = &self.overhead {
            cpu = cpu.saturating_add(o.get("cpu").map_or(0, Quantity::milli_value));
            mem = mem.saturating_add(o.get("memory").map_or(0, Quantity::value));
        }
        PodRequests { milli_cpu: cpu, memory: mem }
    }
}

impl Pod {
    /// A copy with an empty status (cheaper than clone-then-replace).
    pub fn clone_without_status(&self) -> Pod {
        Pod { api_version: self.api_version, kind: self.kind, metadata: self.metadata.clone(), spec: self.spec.clone(), status: PodStatus::default() }
    }

    pub fn is_terminal(&self) -> bool {
        self.status.phase == "Succeeded" || self.status.phase == "Failed"
    }
    pub fn condition(&self, type_: &str) -> Option<&PodCondition> {
        self.status.conditions.iter().find(|c| c.type_ == type_)
    }
    /// podutil.IsPodReady.
    pub fn is_ready(&self) -> bool {
        self.condition("Ready").is_some_and(|c| c.status == "True")
    }
    pub fn restarts(&self) -> i32 {
        self.status.container_statuses.iter().map(|c| c.restart_count).sum()
    }
    /// Sets (or adds) a condition, keeping lastTransitionTime when the status is unchanged.
    pub fn set_condition(&mut self, type_: &'static str, status: &'static str, reason: &str, message: &str, now: Time) {
        self.status.set_condition(type_, status, reason, message, now);
    }
}

impl PodStatus {
    /// A copy without the container statuses (which a status built on it replaces).
    pub fn clone_without_containers(&self) -> PodStatus {
        let PodStatus {
            phase,
            conditions,
            message,
            reason,
            host_ip,
            pod_ip,
            pod_ips,
            start_time,
            container_statuses: _,
            init_container_statuses: _,
            nominated_node_name,
            qos_class,
            host_ips,
        } = self;
        PodStatus {
            phase: phase.clone(),
            conditions: conditions.clone(),
            message: message.clone(),
            reason: reason.clone(),
            host_ip: host_ip.clone(),
            pod_ip: pod_ip.clone(),
            pod_ips: pod_ips.clone(),
            start_time: *start_time,
            container_statuses: ThinVec::new(),
            init_container_statuses: ThinVec::new(),
            nominated_node_name: nominated_node_name.clone(),
            qos_class: qos_class.clone(),
            host_ips: host_ips.clone(),
        }
    }

    /// `Pod::set_condition` on the status alone.
    pub fn set_condition(&mut self, type_: &'static str, status: &'static str, reason: &str, message: &str, now: Time) {
        self.set_condition_with(type_, status, reason, message, || message.into(), now);
    }

    /// `set_condition` with a message the caller shares (the kubelet's conditions of
    /// pods alike say the same: one copy of it, not one a pod).
    pub fn set_condition_shared(&mut self, type_: &'static str, status: &'static str, reason: &str, message: &Text, now: Time) {
        self.set_condition_with(type_, status, reason, message, || message.clone(), now);
    }

    /// `message` is written (made with `text`) only where the condition says another.
    fn set_condition_with(&mut self, type_: &'static str, status: &'static str, reason: &str, message: &str, text: impl FnOnce() -> Text, now: Time) {
        if let Some(c) = self.conditions.iter_mut().find(|c| c.type_ == type_) {
            if c.status != status {
                c.last_transition_time = now.into();
                c.status = status.into();
            }
            if c.reason != reason {
                c.reason = reason.into();
            }
            if c.message != message {
                c.message = text();
            }
        } else {
            // Grown by one: a first condition takes 64 bytes, where a push would make
            // room for four (208); a pod has at most six, and the kubelet makes room
            // for its five at once.
            if self.conditions.len() == self.conditions.capacity() {
                self.conditions.reserve_exact(1);
            }
            self.conditions.push(PodCondition {
                type_: type_.into(),
                status: status.into(),
                last_probe_time: MaybeTime::NONE,
                last_transition_time: now.into(),
                reason: reason.into(),
                message: text(),
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// podIPs and hostIPs read and write as the lists they are, whichever way they are
    /// kept (none, one in place, more shared), and a copy of one address shares it.
    #[test]
    fn pod_ips_are_lists() {
        for json in [r#"{}"#, r#"{"podIPs":[{"ip":"10.0.0.1"}]}"#, r#"{"podIPs":[{"ip":"10.0.0.1"},{"ip":"fd00::1"}],"hostIPs":[{"ip":"192.168.0.2"}]}"#] {
            let s: PodStatus = serde_json::from_str(json).unwrap();
            assert_eq!(serde_json::to_string(&s).unwrap(), json);
            let v: serde_json::Value = serde_json::from_str(json).unwrap();
            let ips: Vec<&str> = v["podIPs"].as_array().into_iter().flatten().map(|a| a["ip"].as_str().unwrap()).collect();
            assert_eq!(s.pod_ips.iter().map(|p| p.ip.as_str()).collect::<Vec<_>>(), ips);
            assert_eq!(s.pod_ips.is_empty(), ips.is_empty());
        }
        let one = PodIps::from(vec![PodIp { ip: "10.0.0.1".into() }]);
        assert!(matches!(one, PodIps::One(_)));
        assert_eq!(PodIps::from(Vec::new()), PodIps::None);
        let copy = one.clone();
        assert!(copy[0].ip.shares(&one[0].ip));
        assert_ne!(one, PodIps::from(vec![PodIp { ip: "10.0.0.1".into() }, PodIp { ip: "fd00::1".into() }]));
    }

    #[test]
    fn a_spec_reads_and_writes_as_one_object_in_the_schemas_order() {
        let json = r#"{"containers":[{"name":"web","image":"nginx"}],"nodeName":"node-1","restartPolicy":"Always"}"#;
        let spec: PodSpec = serde_json::from_str(json).unwrap();
        assert_eq!(spec.node_name, "node-1");
        assert_eq!(spec.restart_policy, "Always");
        // The body never keeps the node: specs on different nodes can share it.
        assert_eq!((*spec).node_name, "");
        let out = serde_json::to_string(&spec).unwrap();
        assert!(out.starts_with(r#"{"containers":[{"name":"web","image":"nginx""#), "{out}");
        assert!(out.ends_with(r#"}],"nodeName":"node-1","restartPolicy":"Always"}"#), "{out}");
        // Unknown fields are refused by the body with serde's words, and the struct named.
        let err = serde_json::from_str::<PodSpec>(r#"{"nodeNme":"x"}"#).unwrap_err().to_string();
        assert!(err.starts_with("unknown field `nodeNme`, expected one of `containers`, `initContainers`, `nodeName`"), "{err}");
        let err = serde_json::from_str::<PodSpec>("3").unwrap_err().to_string();
        assert!(err.contains("expected struct PodSpec"), "{err}");
    }

    #[test]
    fn binding_a_pod_shares_the_rest_of_its_spec() {
        let template: Rc<PodSpec> = Rc::new(PodSpecBody { restart_policy: "Always".into(), ..Default::default() }.into());
        let mut pod = Pod { spec: template.clone(), ..Default::default() };
        Rc::make_mut(&mut pod.spec).node_name = "node-1".into();
        assert_eq!(pod.spec.node_name, "node-1");
        assert_eq!(template.node_name, "");
        assert!(Rc::ptr_eq(&pod.spec.body, &template.body));
        // A write to another field copies the body (copy-on-write), never the template's.
        Rc::make_mut(&mut pod.spec).restart_policy = "Never".into();
        assert_eq!(template.restart_policy, "Always");
        assert!(!Rc::ptr_eq(&pod.spec.body, &template.body));
    }
}
