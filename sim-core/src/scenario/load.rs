//! The scenario loader: YAML files → a validated `Scenario`, or diagnostics that say
//! `file:line:col`, the field path and the apiserver's words. Manifests are decoded
//! strictly (unknown fields are errors), defaulted and validated up front as the
//! apiserver would on create, so a bad manifest fails before the run starts.

use super::diagnostic::{clip, clip_message, clip_quoted as q};
use super::expect;
use super::model::*;
use super::yaml::{self, child_path, index_path, push_key, Mark, PathIndex, YamlDoc};
use crate::api::meta::ObjectMeta;
use crate::api::node::Taint;
use crate::api::object::{lookup_kind, split_api_version, KindLookup, Unstructured};
use crate::api::quantity::Quantity;
use crate::api::validation::validate;
use crate::api::{Kind, Object};
use crate::engine::SimDuration;
use serde::Deserialize;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// A file's name (as the user wrote it) and text.
#[derive(Clone, Debug)]
pub struct Source {
    pub name: String,
    pub text: String,
}

/// One problem with the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub location: Location,
    pub message: String,
}

/// Everything wrong with the input, with the sources to quote.
#[derive(Clone, Debug)]
pub struct LoadError {
    pub diagnostics: Vec<Diagnostic>,
    /// Further problems found past the first `MAX_DIAGNOSTICS`, not kept.
    pub suppressed: usize,
    sources: BTreeMap<String, String>,
}

impl LoadError {
    fn new(diagnostics: Vec<Diagnostic>, suppressed: usize, sources: BTreeMap<String, String>) -> Self {
        LoadError { diagnostics, suppressed, sources }
    }

    /// Compiler-style rendering of every diagnostic.
    pub fn render(&self) -> String {
        let mut out = String::new();
        for d in &self.diagnostics {
            let src = self.sources.get(&d.location.file).map(String::as_str).unwrap_or("");
            out.push_str(&super::diagnostic::render(&d.location.file, src, d.location.mark, &d.message));
            out.push('\n');
        }
        if self.suppressed > 0 {
            out.push_str(&format!("note: {} more errors not shown (ksim shows the first {MAX_DIAGNOSTICS})\n", self.suppressed));
        }
        out
    }
}

impl std::fmt::Display for LoadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for d in &self.diagnostics {
            writeln!(f, "{}: {}", d.location, d.message)?;
        }
        if self.suppressed > 0 {
            writeln!(f, "note: {} more errors not shown (ksim shows the first {MAX_DIAGNOSTICS})", self.suppressed)?;
        }
        Ok(())
    }
}

/// Reads a file named in a scenario (`apply: {file: …}`), relative to the scenario.
pub type Resolver<'a> = dyn Fn(&str, &str) -> Result<Source, String> + 'a;

const MAX_DIAGNOSTICS: usize = 50;
/// The timeline's actions.
const ACTIONS: &[&str] = &[
    "apply",
    "delete",
    "scale",
    "nodeCrash",
    "nodeRecover",
    "cordon",
    "uncordon",
    "drain",
    "addNode",
    "removeNode",
    "setImage",
    "rolloutUndo",
    "rolloutPause",
    "rolloutResume",
    "partition",
    "kubeletStop",
    "kubeletStart",
    "runtimeStop",
    "runtimeStart",
    "podKill",
    "containerKill",
    "clockSkew",
    "apiserverRestart",
    "etcdMemberDown",
    "etcdSlowDisk",
    "kubeadmInit",
    "kubeadmJoin",
];
const MAX_FILES: usize = 1000;
const SYSTEM_NAMESPACES: [&str; 4] = ["default", "kube-node-lease", "kube-public", "kube-system"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScenarioDoc {
    #[allow(dead_code)]
    api_version: String,
    #[allow(dead_code)]
    kind: String,
    #[serde(default)]
    metadata: Option<ObjectMeta>,
    #[serde(default)]
    spec: ScenarioSpec,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ScenarioSpec {
    seed: Option<u64>,
    until: Option<String>,
    cluster: Option<ClusterDoc>,
    latency: Option<LatencyDoc>,
    timeline: Option<Vec<Value>>,
    expect: Option<Vec<ExpectDoc>>,
    faults: Option<FaultsDoc>,
    traffic: Option<Vec<TrafficDoc>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrafficDoc {
    name: String,
    source: TrafficSourceDoc,
    target: String,
    rate: String,
    start: Option<String>,
    stop: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrafficSourceDoc {
    node: Option<String>,
    pod: Option<String>,
    namespace: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct FaultsDoc {
    node_crash: Option<NodeCrashDoc>,
    partition: Option<PartitionPlanDoc>,
    kubelet_stop: Option<NodeCrashDoc>,
    runtime_stop: Option<NodeCrashDoc>,
    clock_skew: Option<DurationPlanDoc>,
    apiserver_restart: Option<NodeCrashDoc>,
    etcd_member_down: Option<DurationPlanDoc>,
    etcd_slow_disk: Option<DurationPlanDoc>,
    pod_kill: Option<KillPlanDoc>,
    container_kill: Option<KillPlanDoc>,
}

/// A plan of faults that last a `duration` (`clockSkew` with its `offset`, `etcdSlowDisk`
/// with its `latency`, `etcdMemberDown`).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DurationPlanDoc {
    rate: String,
    duration: String,
    offset: Option<String>,
    latency: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// A plan of kills: a Running pod drawn when each fires.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct KillPlanDoc {
    rate: String,
    namespace: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PartitionPlanDoc {
    rate: String,
    duration: String,
    direction: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeCrashDoc {
    rate: String,
    downtime: String,
    from: Option<String>,
    to: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClusterDoc {
    node_pools: Option<Vec<NodePoolDoc>>,
    #[serde(rename = "clusterCIDR")]
    cluster_cidr: Option<String>,
    #[serde(rename = "nodeCIDRMaskSize")]
    node_cidr_mask_size: Option<u8>,
    #[serde(rename = "serviceCIDR")]
    service_cidr: Option<String>,
    load_balancer: Option<LoadBalancerDoc>,
    dns: Option<String>,
    cni: Option<String>,
    ingress_controller: Option<String>,
    metrics_server: Option<String>,
    cluster_autoscaler: Option<ClusterAutoscalerDoc>,
    storage: Option<String>,
    etcd: Option<EtcdDoc>,
    bootstrap: Option<String>,
    /// kubeadm's InitConfiguration, as far as ksim reads it (`bootstrapTokens`).
    kubeadm: Option<Value>,
    api_server: Option<ApiServerDoc>,
}

/// `spec.cluster.apiServer`: kube-apiserver's flags ksim models.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ApiServerDoc {
    /// --event-ttl.
    #[serde(rename = "eventTTL")]
    event_ttl: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EtcdDoc {
    members: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoadBalancerDoc {
    addresses: Vec<String>,
    delay: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct NodePoolDoc {
    name: String,
    count: u32,
    capacity: CapacityDoc,
    /// The capacity as written (for messages that quote it); filled in after decoding.
    #[serde(skip)]
    capacity_raw: Value,
    #[serde(default)]
    labels: BTreeMap<String, String>,
    #[serde(default)]
    taints: Vec<Taint>,
    #[serde(default)]
    csi_drivers: BTreeMap<String, u32>,
    #[serde(default)]
    control_plane: bool,
    #[serde(default)]
    swap: bool,
    #[serde(default)]
    closed_ports: Vec<u16>,
    #[serde(default)]
    containerd: Option<ContainerdDoc>,
    #[serde(default = "yes")]
    br_netfilter: bool,
    #[serde(default)]
    kubelet: Option<KubeletConfigDoc>,
    #[serde(default)]
    autoscaling: Option<AutoscalingDoc>,
}

/// A pool's `autoscaling`: the Cluster Autoscaler's node group.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct AutoscalingDoc {
    min: i64,
    max: i64,
    provisioning_delay: Option<String>,
}

/// `spec.cluster.clusterAutoscaler`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ClusterAutoscalerDoc {
    expander: Option<String>,
}

/// The part of KubeletConfiguration a node pool may set: the eviction thresholds.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct KubeletConfigDoc {
    #[serde(default)]
    eviction_hard: BTreeMap<String, String>,
    #[serde(default)]
    eviction_soft: BTreeMap<String, String>,
    #[serde(default)]
    eviction_soft_grace_period: BTreeMap<String, String>,
    #[serde(default)]
    eviction_max_pod_grace_period: i64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ContainerdDoc {
    version: String,
    #[serde(default = "yes")]
    systemd_cgroup: bool,
}

fn yes() -> bool {
    true
}

/// Not `deny_unknown_fields` (serde cannot with `flatten`): the other keys are extended
/// resources, and a key that is not one (no domain) is refused as an unknown field.
#[derive(Deserialize)]
struct CapacityDoc {
    cpu: Quantity,
    memory: Quantity,
    /// The kubelet's maxPods (an int32): a whole number, written as a number or a string.
    pods: Option<Value>,
    /// Extended resources (`nvidia.com/gpu: 8`), as a device plugin advertises them.
    #[serde(flatten)]
    extended: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LatencyDoc {
    request: Option<String>,
    watch: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpectDoc {
    at: Option<Value>,
    during: Option<Value>,
    by: Option<Value>,
    that: String,
}

/// Collects diagnostics and warnings while loading.
struct Loader<'r> {
    sources: BTreeMap<String, String>,
    diags: Vec<Diagnostic>,
    warnings: Vec<Warning>,
    warned_kinds: BTreeSet<String>,
    resolver: &'r Resolver<'r>,
    files_read: usize,
    /// Input bytes read so far (every file, each time it is read).
    bytes_read: usize,
    /// Diagnostics past `MAX_DIAGNOSTICS`, counted but not kept.
    suppressed: usize,
    /// The node pools were refused: node names are not checked against them.
    cluster_invalid: bool,
    /// Where `spec.replicas` (or a scale's `replicas`) is written, by the manifest's or
    /// the timeline entry's location.
    replicas_marks: BTreeMap<(String, u32, u32), Mark>,
    /// Where a Service manifest writes the fields its allocation may refuse
    /// (`spec.clusterIP`, `spec.ipFamilyPolicy`, `spec.ipFamilies[i]`,
    /// `spec.ports[i].nodePort`), by the manifest's location.
    service_marks: BTreeMap<(String, u32, u32), BTreeMap<String, Mark>>,
    /// Nodes that `addNode` actions will add, in timeline order: (pool, name).
    added_nodes: Vec<(String, String)>,
    /// Where each traffic client's source node and target were written (parallel to
    /// `Scenario::traffic`).
    traffic_locations: Vec<(Location, Location)>,
    /// How many of them the timeline has parsed so far.
    added_used: usize,
    /// The etcd cluster's size (for the members the timeline names).
    etcd_members: u32,
    /// `bootstrap: kubeadm`, and its control-plane nodes (for kubeadmInit and kubeadmJoin).
    kubeadm: bool,
    control_plane_nodes: BTreeSet<String>,
}

fn location_key(l: &Location) -> (String, u32, u32) {
    (l.file.clone(), l.mark.line, l.mark.col)
}

/// `metadata.labels[app]` → the index's spelling (`metadata.labels.app`).
fn index_spelling(path: &str) -> String {
    let mut out = String::new();
    let mut rest = path;
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('[') {
            let end = r.find(']').unwrap_or(r.len());
            let inner = &r[..end];
            match inner.parse::<usize>() {
                Ok(i) => yaml::push_index(&mut out, i),
                Err(_) => push_key(&mut out, inner),
            }
            rest = r.get(end + 1..).unwrap_or("");
        } else {
            let r = rest.strip_prefix('.').unwrap_or(rest);
            let end = r.find(['.', '[']).unwrap_or(r.len());
            push_key(&mut out, &r[..end]);
            rest = &r[end..];
        }
    }
    out
}

impl<'r> Loader<'r> {
    fn error(&mut self, file: &str, mark: Mark, message: impl Into<String>) {
        if self.diags.len() < MAX_DIAGNOSTICS {
            let message = clip_message(&message.into()).into_owned();
            self.diags.push(Diagnostic { location: Location { file: file.into(), mark }, message });
        } else {
            self.suppressed += 1;
        }
    }

    fn warn(&mut self, file: &str, mark: Mark, message: impl Into<String>) {
        let message = clip_message(&message.into()).into_owned();
        self.warnings.push(Warning { location: Location { file: file.into(), mark }, message });
    }

    fn mark_of(index: &PathIndex, base: &str, rel: &str) -> Mark {
        let p = index_spelling(&join(base, rel));
        index.value(&p).or_else(|| index.key(&p)).unwrap_or_else(|| index.nearest(&p))
    }

    /// Counts `src` against the input read in all (re-reads included: each is parsed and
    /// built again); false, with an error at `file:mark`, once that is over the cap.
    fn within_input_budget(&mut self, file: &str, mark: Mark, src: &Source) -> bool {
        self.bytes_read = self.bytes_read.saturating_add(src.text.len());
        if self.bytes_read <= yaml::MAX_TOTAL_INPUT_BYTES {
            return true;
        }
        self.error(
            file,
            mark,
            format!("reading {} brings the input to {} bytes; ksim reads at most {} in all", src.name, self.bytes_read, yaml::MAX_TOTAL_INPUT_BYTES),
        );
        false
    }

    fn parse(&mut self, src: &Source) -> Option<Vec<YamlDoc>> {
        self.sources.insert(src.name.clone(), src.text.clone());
        match yaml::parse_documents(&src.text) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(&src.name, e.mark, e.message);
                None
            }
        }
    }

    /// Decodes one manifest found at `base` in a document.
    /// A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1): decoded strictly,
    /// resolved into profiles as kube-scheduler does at startup.
    fn scheduler_config(&mut self, file: &str, doc: &YamlDoc, s: &mut Scenario, seen: &mut Option<Location>) {
        let av = doc.value.get("apiVersion").and_then(Value::as_str).unwrap_or("");
        if av != "kubescheduler.config.k8s.io/v1" {
            let mark = doc.index.value("apiVersion").unwrap_or(doc.start);
            self.error(file, mark, format!("no matches for kind \"KubeSchedulerConfiguration\" in version {} (use kubescheduler.config.k8s.io/v1)", q(av)));
            return;
        }
        if let Some(prev) = seen {
            self.error(file, doc.start, format!("a second KubeSchedulerConfiguration (the first is at {prev}); list several profiles in one"));
            return;
        }
        *seen = Some(Location { file: file.into(), mark: doc.start });
        let cfg: crate::scheduler::profile::KubeSchedulerConfiguration = match yaml::from_value_at(&doc.value, &doc.index, "") {
            Ok(c) => c,
            Err(e) => return self.error(file, e.mark, strict(&e)),
        };
        match cfg.resolve() {
            Ok(c) => s.scheduler = c,
            Err(errs) => {
                for (path, msg) in errs {
                    let mark = Self::mark_of(&doc.index, "", &path);
                    self.error(file, mark, format!("invalid KubeSchedulerConfiguration: {path}: {msg}"));
                }
            }
        }
    }

    fn manifest(&mut self, file: &str, value: &Value, index: &PathIndex, base: &str) -> Option<Manifest> {
        /// The apiVersions a kind is served at (the modelled one, and the unmodelled ones
        /// not removed), for the hint after a removed one.
        fn served_versions(kind: &str, removed: &str) -> Vec<String> {
            let group = split_api_version(removed).0;
            let mut out: Vec<String> = Kind::from_user(kind)
                .filter(|k| !matches!(k, Kind::Other(..)) && k.group() == group)
                .map(|k| k.api_version().to_string())
                .into_iter()
                .collect();
            for (g, k, versions) in crate::api::object::KNOWN_UNMODELLED {
                if *g == group && *k == kind {
                    for v in *versions {
                        let av = if g.is_empty() { v.to_string() } else { format!("{g}/{v}") };
                        let gone = crate::api::object::REMOVED_VERSIONS.iter().any(|(r, n)| *r == av && n.starts_with("removed"));
                        if !gone && !out.contains(&av) {
                            out.push(av);
                        }
                    }
                }
            }
            out
        }
        let here = index.value(&index_spelling(base)).unwrap_or_else(|| index.nearest(base));
        let Value::Object(map) = value else {
            self.error(file, here, "Object 'Kind' is missing: a manifest must be a mapping with apiVersion and kind");
            return None;
        };
        let get = |k: &str| map.get(k).and_then(Value::as_str).unwrap_or("").to_string();
        let (api_version, kind) = (get("apiVersion"), get("kind"));
        if kind.is_empty() || api_version.is_empty() {
            let missing = if kind.is_empty() { "kind" } else { "apiVersion" };
            self.error(file, here, format!("{}: Required value: Object '{missing}' is missing", join(base, missing)));
            return None;
        }
        let at = Location { file: file.into(), mark: here };
        let obj = match lookup_kind(&api_version, &kind) {
            KindLookup::NoMatch => {
                let mark = Self::mark_of(index, base, "kind");
                self.error(file, mark, format!("no matches for kind {} in version {}", q(&kind), q(&api_version)));
                return None;
            }
            KindLookup::Unmodelled(_, Some(note)) if note.starts_with("removed") => {
                // A v1.34 apiserver no longer serves the version: kubectl finds no mapping.
                let mark = Self::mark_of(index, base, "apiVersion");
                let hint = match served_versions(&kind, &api_version) {
                    v if v.is_empty() => String::new(),
                    v => format!(" ({api_version} was {note}; {kind} is served as {})", v.join(", ")),
                };
                self.error(file, mark, format!("no matches for kind {} in version {}{hint}", q(&kind), q(&api_version)));
                return None;
            }
            KindLookup::Unmodelled(_, note) => {
                let group = split_api_version(&api_version).0;
                // A kind ksim models in its current version (Ingress in v1): this one is
                // only stored.
                let current = Kind::from_user(&kind).filter(|k| !matches!(k, Kind::Other(..)) && k.group() == group);
                if let Some(n) = note {
                    match &current {
                        Some(k) => self.warn(
                            file,
                            here,
                            format!(
                                "{api_version} {kind} is {n}; ksim models {} and keeps this one as an unmodelled object, which nothing acts on",
                                k.api_version()
                            ),
                        ),
                        None => self.warn(file, here, format!("{api_version} {kind} is {n}; ksim keeps it as an unmodelled object")),
                    }
                }
                // Chaos Mesh's PodChaos and NetworkChaos are injected when applied
                // (faults/chaos_mesh.rs, network_chaos.rs): their spec decoded strictly and
                // checked as the CRD's schema and Chaos Mesh's webhook check it.
                let pod_chaos = group == "chaos-mesh.org" && (kind == "PodChaos" || kind == "NetworkChaos");
                if pod_chaos {
                    let spec_path = child_path(base, "spec");
                    let spec_value = map.get("spec").cloned().unwrap_or(Value::Object(Default::default()));
                    let checked = if kind == "PodChaos" {
                        yaml::from_value_at::<crate::faults::chaos_mesh::PodChaosSpec>(&spec_value, index, &spec_path)
                            .map(|spec| (crate::faults::chaos_mesh::validate(&spec), Vec::new()))
                    } else {
                        yaml::from_value_at::<crate::faults::network_chaos::NetworkChaosSpec>(&spec_value, index, &spec_path)
                            .map(|spec| (crate::faults::network_chaos::validate(&spec), crate::faults::network_chaos::unmodelled(&spec)))
                    };
                    let name = map.get("metadata").and_then(|m| m.get("name")).and_then(Value::as_str).unwrap_or("");
                    match checked {
                        Err(e) => {
                            self.error(file, e.mark, strict(&e));
                            return None;
                        }
                        Ok((errs, warnings)) => {
                            if let Some((field, msg)) = errs.into_iter().next() {
                                let key = field.strip_prefix("spec.").unwrap_or(&field);
                                let mark = Self::mark_of(index, &spec_path, key);
                                self.error(file, mark, format!("{kind}.chaos-mesh.org {} is invalid: {field}: {msg}", q(name)));
                                return None;
                            }
                            for (field, msg) in warnings {
                                let key = field.strip_prefix("spec.").unwrap_or(&field);
                                let mark = Self::mark_of(index, &spec_path, key);
                                self.warn(file, mark, format!("{kind} {}: {field}: {msg}", q(name)));
                            }
                        }
                    }
                }
                if crate::api::scheduling::is_interpreted(group, &kind) {
                    // Strict decoding with the offending field's location.
                    let r = yaml::from_value_at::<crate::api::scheduling::PriorityClass>(value, index, base).map(|_| ());
                    if let Err(e) = r {
                        self.error(file, e.mark, strict(&e));
                        return None;
                    }
                } else if current.is_none() && !pod_chaos && self.warned_kinds.insert(kind.clone()) {
                    self.warn(file, here, format!("ksim does not model {kind} yet: it is stored, listed and printed, but nothing acts on it"));
                }
                let meta_value = map.get("metadata").cloned().unwrap_or(Value::Object(Default::default()));
                let metadata: ObjectMeta = match yaml::from_value_at(&meta_value, index, &child_path(base, "metadata")) {
                    Ok(m) => m,
                    Err(e) => {
                        self.error(file, e.mark, strict(&e));
                        return None;
                    }
                };
                let rest = map.iter().filter(|(k, _)| !["apiVersion", "kind", "metadata"].contains(&k.as_str())).map(|(k, v)| (k.clone(), v.clone())).collect();
                Object::Unstructured(Box::new(Unstructured { api_version, kind, metadata, rest }))
            }
            KindLookup::Modelled(k) => {
                let r = k.decode(yaml::At { value, index, base }).expect("a modelled kind decodes");
                match r {
                    Ok(o) => o,
                    Err(e) => {
                        self.error(file, e.mark, strict(&e));
                        return None;
                    }
                }
            }
        };
        if matches!(obj, Object::Pod(_) | Object::Deployment(_) | Object::ReplicaSet(_)) {
            self.warn_capped_quantities(file, value, index, base);
        }
        self.check(file, index, base, obj, at)
    }

    /// Resource quantities past what a `resource.Quantity` holds: the apiserver accepts a
    /// binary-suffixed one and stores it capped at 2^63-1 ("The max is just a simple
    /// cap", apimachinery quantity.go); ksim does the same, and says so.
    fn warn_capped_quantities(&mut self, file: &str, value: &Value, index: &PathIndex, base: &str) {
        for spec_path in ["spec", "spec.template.spec"] {
            let spec = spec_path.split('.').try_fold(value, |v, k| v.get(k));
            let Some(spec) = spec else { continue };
            let mut found: Vec<(String, String)> = Vec::new();
            for list in ["initContainers", "containers"] {
                for (i, c) in spec.get(list).and_then(Value::as_array).into_iter().flatten().enumerate() {
                    for kind in ["requests", "limits"] {
                        for (res, v) in c.get("resources").and_then(|r| r.get(kind)).and_then(Value::as_object).into_iter().flatten() {
                            found.push((format!("{spec_path}.{list}[{i}].resources.{kind}.{res}"), v.as_str().unwrap_or_default().to_string()));
                        }
                    }
                }
            }
            for (res, v) in spec.get("overhead").and_then(Value::as_object).into_iter().flatten() {
                found.push((format!("{spec_path}.overhead.{res}"), v.as_str().unwrap_or_default().to_string()));
            }
            for (path, text) in found.into_iter().filter(|(_, t)| Quantity::is_capped(t)) {
                let mark = Self::mark_of(index, base, &path);
                let kept = Quantity::parse(&text).map(|q| q.to_string()).unwrap_or_default();
                self.warn(file, mark, format!("{path}: {} is more than a quantity holds: the apiserver stores it as {kept} (2^63-1)", q(&text)));
            }
        }
    }

    /// Defaulting and validation, as the apiserver does on create.
    fn check(&mut self, file: &str, index: &PathIndex, base: &str, obj: Object, at: Location) -> Option<Manifest> {
        if let Object::Node(_) = obj {
            self.error(file, at.mark, "kind Node: nodes come from spec.cluster.nodePools in a Scenario document; ksim registers them itself");
            return None;
        }
        if let Object::Service(s) = &obj {
            if s.spec.ip_family.is_some() {
                let mark = Self::mark_of(index, base, "spec.ipFamily");
                self.warn(file, mark, "spec.ipFamily was removed in Kubernetes 1.20 (use spec.ipFamilies); ksim ignores it");
            }
        }
        if let Object::Service(svc) = &obj {
            let mut paths = vec!["spec.clusterIP".to_string(), "spec.ipFamilyPolicy".to_string()];
            paths.extend((0..svc.spec.ip_families.as_ref().map_or(0, Vec::len)).map(|i| format!("spec.ipFamilies[{i}]")));
            paths.extend((0..svc.spec.ports.len()).map(|i| format!("spec.ports[{i}].nodePort")));
            let marks = paths.into_iter().map(|p| (Self::mark_of(index, base, &p), p)).map(|(m, p)| (p, m)).collect();
            self.service_marks.insert(location_key(&at), marks);
        }
        let replicas = match &obj {
            Object::Deployment(d) => Some(i64::from(d.replicas())),
            Object::ReplicaSet(r) => Some(i64::from(r.replicas())),
            _ => None,
        };
        if let Some(n) = replicas {
            let mark = Self::mark_of(index, base, "spec.replicas");
            self.replicas_marks.insert(location_key(&at), mark);
            if n > MAX_REPLICAS {
                let what = format!("{} {:?}", crate::apiserver::qualified_resource(&obj.kind()), obj.meta().name);
                self.error(file, mark, format!("{what}: spec.replicas: Invalid value: {n}: ksim simulates at most {MAX_REPLICAS} replicas per workload"));
                return None;
            }
        }
        let has_status = match &obj {
            Object::Pod(p) => p.status != Default::default(),
            Object::ReplicaSet(r) => r.status != Default::default(),
            Object::Deployment(d) => d.status != Default::default(),
            Object::DaemonSet(d) => d.status != Default::default(),
            Object::ReplicationController(r) => r.status != Default::default(),
            Object::StatefulSet(s) => s.status != Default::default(),
            Object::Job(j) => j.status != Default::default(),
            Object::CronJob(c) => c.status != Default::default(),
            _ => false,
        };
        if has_status {
            let mark = Self::mark_of(index, base, "status");
            self.warn(file, mark, "status is ignored on create: the apiserver resets it and the controllers and kubelets write it");
        }
        if let Object::PersistentVolumeClaim(c) = &obj {
            for (field, set) in [("dataSource", c.spec.data_source.is_some()), ("dataSourceRef", c.spec.data_source_ref.is_some())] {
                if set {
                    let mark = Self::mark_of(index, base, &format!("spec.{field}"));
                    self.warn(file, mark, format!("spec.{field}: ksim does not model volume snapshots or clones: the claim is provisioned as an empty volume"));
                }
            }
        }
        if let Object::StatefulSet(s) = &obj {
            for (i, t) in s.spec.volume_claim_templates.iter().enumerate() {
                if let Err(e) = serde_json::from_value::<crate::api::storage::PersistentVolumeClaim>(t.clone()) {
                    let mark = Self::mark_of(index, base, &format!("spec.volumeClaimTemplates[{i}]"));
                    self.warn(file, mark, format!("spec.volumeClaimTemplates[{i}]: not a PersistentVolumeClaim ({e}): the StatefulSet controller skips it"));
                }
            }
        }
        // Generic ephemeral volumes (a claim per pod, made by the ephemeral volume
        // controller) are not modelled: say so rather than run the pod without them.
        let pod_volumes: Option<(&str, Option<&Value>)> = match &obj {
            Object::Pod(p) => Some(("spec.volumes", p.spec.volumes.as_deref())),
            Object::Deployment(d) => Some(("spec.template.spec.volumes", d.spec.template.spec.volumes.as_deref())),
            Object::ReplicaSet(r) => Some(("spec.template.spec.volumes", r.spec.template.spec.volumes.as_deref())),
            Object::DaemonSet(d) => Some(("spec.template.spec.volumes", d.spec.template.spec.volumes.as_deref())),
            Object::StatefulSet(s) => Some(("spec.template.spec.volumes", s.spec.template.spec.volumes.as_deref())),
            Object::Job(j) => Some(("spec.template.spec.volumes", j.spec.template.spec.volumes.as_deref())),
            _ => None,
        };
        if let Some((path, Some(Value::Array(vols)))) = pod_volumes {
            for (i, v) in vols.iter().enumerate() {
                if v.get("ephemeral").is_some() {
                    let p = format!("{path}[{i}].ephemeral");
                    let mark = Self::mark_of(index, base, &p);
                    self.warn(
                        file,
                        mark,
                        format!("{p}: ksim does not model generic ephemeral volumes yet: no claim is made and the pod runs without the volume"),
                    );
                }
            }
        }
        if let Object::PersistentVolumeClaim(c) = &obj {
            if c.spec.volume_attributes_class_name.is_some() {
                let mark = Self::mark_of(index, base, "spec.volumeAttributesClassName");
                self.warn(
                    file,
                    mark,
                    "spec.volumeAttributesClassName: ksim does not model VolumeAttributesClasses: it is kept and printed, nothing acts on it",
                );
            }
        }
        let mut probe = obj.clone();
        if probe.meta().name.is_empty() && !probe.meta().generate_name.is_empty() {
            probe.meta_mut().name = format!("{}xxxxx", probe.meta().generate_name).into();
        }
        crate::apiserver::defaults::apply(&mut probe);
        crate::apiserver::defaults::prepare_for_create(&mut probe);
        if let Object::Job(j) = &mut probe {
            // The selector the apiserver generates from the uid it assigns.
            j.metadata.uid = "00000000-0000-0000-0000-000000000000".into();
            crate::apiserver::defaults::generate_job_selector(j);
        }
        let mut errs = validate(&probe);
        let annotation_sets: Vec<(&str, &BTreeMap<String, String>)> = match &probe {
            Object::Pod(p) => vec![("metadata.annotations", &p.metadata.annotations)],
            Object::Deployment(d) => vec![("spec.template.metadata.annotations", &d.spec.template.metadata.annotations)],
            Object::ReplicaSet(r) => vec![("spec.template.metadata.annotations", &r.spec.template.metadata.annotations)],
            Object::DaemonSet(d) => vec![("spec.template.metadata.annotations", &d.spec.template.metadata.annotations)],
            Object::ReplicationController(r) => r.spec.template.iter().map(|t| ("spec.template.metadata.annotations", &*t.metadata.annotations)).collect(),
            Object::Job(j) => vec![("spec.template.metadata.annotations", &j.spec.template.metadata.annotations)],
            Object::StatefulSet(s) => vec![("spec.template.metadata.annotations", &s.spec.template.metadata.annotations)],
            Object::CronJob(c) => vec![("spec.jobTemplate.spec.template.metadata.annotations", &c.spec.job_template.spec.template.metadata.annotations)],
            _ => vec![],
        };
        for (path, a) in annotation_sets {
            for (k, m) in crate::kubelet::annotations::validate(a) {
                errs.push(crate::api::validation::FieldErr::new(format!("{path}[{k}]"), m));
            }
        }
        if errs.is_empty() {
            return Some(Manifest { object: obj, at });
        }
        let kind = probe.kind();
        for e in errs {
            let mark = Self::mark_of(index, base, &e.path);
            let head = crate::apiserver::invalid(&kind, &probe.meta().name, std::slice::from_ref(&e)).message;
            self.error(file, mark, head);
        }
        None
    }

    /// Manifests named by an `apply` value (a manifest, a list, or `{file: path}`).
    fn apply_value(&mut self, file: &str, value: &Value, index: &PathIndex, base: &str, out: &mut Vec<Manifest>) {
        match value {
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    self.apply_value(file, v, index, &index_path(base, i), out);
                }
            }
            Value::Object(m) if m.len() == 1 && m.contains_key("file") => {
                let Some(rel) = m.get("file").and_then(Value::as_str) else {
                    let mark = Self::mark_of(index, base, "file");
                    self.error(file, mark, format!("{}: Invalid value: expected a file path", join(base, "file")));
                    return;
                };
                let mark = Self::mark_of(index, base, "file");
                self.files_read += 1;
                if self.files_read > MAX_FILES {
                    self.error(file, mark, format!("more than {MAX_FILES} files applied"));
                    return;
                }
                if self.bytes_read > yaml::MAX_TOTAL_INPUT_BYTES {
                    return; // over the cap already (and said so): read nothing more
                }
                match (self.resolver)(file, rel) {
                    Ok(src) => {
                        if !self.within_input_budget(file, mark, &src) {
                            return;
                        }
                        if let Some(docs) = self.parse(&src) {
                            for d in docs {
                                self.manifests(&src.name, &d.value, &d.index, "", out);
                            }
                        }
                    }
                    Err(e) => self.error(file, mark, format!("{}: {e}", join(base, "file"))),
                }
            }
            v => self.manifests(file, v, index, base, out),
        }
    }

    /// The manifests of one document: itself, or the items of a List (`kind: List`, as
    /// `kubectl get -o yaml` writes and `kubectl apply` reads), each located at its own line.
    fn manifests(&mut self, file: &str, value: &Value, index: &PathIndex, base: &str, out: &mut Vec<Manifest>) {
        let kind = value.get("kind").and_then(Value::as_str).unwrap_or("");
        if kind == "List" || (kind.ends_with("List") && value.get("items").is_some_and(Value::is_array)) {
            let extra: Vec<&String> =
                value.as_object().into_iter().flat_map(|m| m.keys()).filter(|k| !["apiVersion", "kind", "metadata", "items"].contains(&k.as_str())).collect();
            if let Some(k) = extra.first() {
                let mark = Self::mark_of(index, base, k);
                self.error(file, mark, format!("strict decoding error: unknown field {}", q(&join(base, k))));
                return;
            }
            for (i, item) in value.get("items").and_then(Value::as_array).into_iter().flatten().enumerate() {
                self.manifests(file, item, index, &index_path(&join(base, "items"), i), out);
            }
            return;
        }
        if let Some(m) = self.manifest(file, value, index, base) {
            out.push(m);
        }
    }

    fn duration(&mut self, file: &str, index: &PathIndex, path: &str, text: &str) -> Option<SimDuration> {
        match SimDuration::parse(text) {
            Ok(d) => Some(d),
            Err(e) => {
                let mark = Self::mark_of(index, path, "");
                self.error(file, mark, format!("{path}: Invalid value: {}: {}", q(text), clip(&e)));
                None
            }
        }
    }

    fn target(&mut self, file: &str, index: &PathIndex, path: &str, text: &str) -> Option<(Kind, String, String)> {
        let parts: Vec<&str> = text.split('/').collect();
        let (k, ns, name) = match parts.as_slice() {
            [k, n] => (*k, "default", *n),
            [k, ns, n] => (*k, *ns, *n),
            _ => ("", "", ""),
        };
        let kind = Kind::from_user(k).filter(|_| !name.is_empty());
        match kind {
            Some(kind) => {
                let ns = if kind.namespaced() { ns } else { "" };
                Some((kind, ns.to_string(), name.to_string()))
            }
            None => {
                let mark = Self::mark_of(index, path, "");
                self.error(file, mark, format!("{path}: Invalid value: {}: expected kind/name, e.g. deployment/web", q(text)));
                None
            }
        }
    }

    fn timeline_entry(&mut self, file: &str, index: &PathIndex, path: &str, v: &Value, nodes: Option<&BTreeSet<String>>) -> Option<TimelineEntry> {
        let here = Self::mark_of(index, path, "");
        let location = Location { file: file.into(), mark: here };
        let Value::Object(m) = v else {
            self.error(file, here, format!("{path}: Invalid value: expected a mapping like {{at: 30s, nodeCrash: worker-1}}"));
            return None;
        };
        let Some(at_text) = m.get("at").and_then(|v| v.as_str().map(str::to_string).or_else(|| v.as_u64().filter(|n| *n == 0).map(|_| "0".to_string()))) else {
            self.error(file, here, format!("{}: Required value: when the action happens, e.g. `at: 30s`", join(path, "at")));
            return None;
        };
        let at = self.duration(file, index, &join(path, "at"), &at_text)?;
        let actions: Vec<&String> = m.keys().filter(|k| *k != "at").collect();
        if actions.len() != 1 {
            self.error(file, here, format!("{path}: Invalid value: expected exactly one action ({}), found {}", ACTIONS.join(", "), actions.len()));
            return None;
        }
        let key = actions[0].as_str();
        let ap = join(path, key);
        let val = &m[key];
        let as_str = |v: &Value| v.as_str().map(str::to_string);
        let action = match key {
            "apply" => {
                let mut out = Vec::new();
                self.apply_value(file, val, index, &ap, &mut out);
                Action::Apply(out)
            }
            "delete" => {
                // `delete: KIND/NAME`, or kubectl's flags:
                // `delete: {target: KIND/NAME, gracePeriodSeconds: N, force: true}`.
                if let Some(t) = as_str(val) {
                    let (kind, namespace, name) = self.target(file, index, &ap, &t)?;
                    Action::Delete { kind, namespace, name, grace_period_seconds: None }
                } else if !val.is_object() {
                    self.error(
                        file,
                        Self::mark_of(index, &ap, ""),
                        format!("{ap}: Invalid value: expected kind/name or {{target, gracePeriodSeconds, force}}"),
                    );
                    return None;
                } else {
                    let f = self.fields(file, index, &ap, val, &["target", "gracePeriodSeconds", "force"], &["target"])?;
                    let t = f.get("target").and_then(Value::as_str).unwrap_or_default().to_string();
                    let (kind, namespace, name) = self.target(file, index, &join(&ap, "target"), &t)?;
                    let force = f.get("force").and_then(Value::as_bool).unwrap_or(false);
                    let grace = f.get("gracePeriodSeconds").and_then(Value::as_i64);
                    // DeleteOptions.Complete: --grace-period=0 without --force is sent as 1
                    // ("to preserve backwards compatibility, but prevent accidental data
                    // loss"); --force without a grace period is 0; a negative one is the
                    // object's own.
                    let grace = match (force, grace.filter(|g| *g >= 0)) {
                        (false, Some(0)) => Some(1),
                        (true, None) => Some(0),
                        (_, g) => g,
                    };
                    Action::Delete { kind, namespace, name, grace_period_seconds: grace }
                }
            }
            "scale" => {
                let target = val.get("target").and_then(Value::as_str).map(str::to_string);
                let replicas = val.get("replicas").and_then(Value::as_i64);
                let extra = val.as_object().map(|o| o.keys().filter(|k| *k != "target" && *k != "replicas").cloned().collect::<Vec<_>>()).unwrap_or_default();
                if let Some(k) = extra.first() {
                    self.error(file, Self::mark_of(index, &ap, k), format!("strict decoding error: unknown field {}", q(&join(&ap, k))));
                    return None;
                }
                let (Some(t), Some(r)) = (target, replicas) else {
                    self.error(file, Self::mark_of(index, &ap, ""), format!("{ap}: Invalid value: expected {{target: deployment/web, replicas: 3}}"));
                    return None;
                };
                let (kind, namespace, name) = self.target(file, index, &join(&ap, "target"), &t)?;
                if !matches!(kind, Kind::Deployment | Kind::ReplicaSet | Kind::ReplicationController | Kind::StatefulSet) {
                    self.error(
                        file,
                        Self::mark_of(index, &ap, "target"),
                        format!(
                            "{}: Invalid value: {}: only deployments, replicasets, replicationcontrollers and statefulsets can be scaled",
                            join(&ap, "target"),
                            q(&t)
                        ),
                    );
                    return None;
                }
                if !(0..=i64::from(i32::MAX)).contains(&r) {
                    self.error(
                        file,
                        Self::mark_of(index, &ap, "replicas"),
                        format!("{}: Invalid value: {r}: must be greater than or equal to 0", join(&ap, "replicas")),
                    );
                    return None;
                }
                let mark = Self::mark_of(index, &ap, "replicas");
                if r > MAX_REPLICAS {
                    self.error(
                        file,
                        mark,
                        format!("{}: Invalid value: {r}: ksim simulates at most {MAX_REPLICAS} replicas per workload", join(&ap, "replicas")),
                    );
                    return None;
                }
                self.replicas_marks.insert(location_key(&location), mark);
                Action::Scale { kind, namespace, name, replicas: r as i32 }
            }
            "nodeCrash" | "nodeRecover" => {
                let Some(n) = as_str(val) else {
                    self.error(file, Self::mark_of(index, &ap, ""), format!("{ap}: Invalid value: expected a node name"));
                    return None;
                };
                if nodes.is_some_and(|ns| !ns.contains(&n)) {
                    self.error(file, Self::mark_of(index, &ap, ""), format!("{ap}: nodes {} not found", q(&n)));
                    return None;
                }
                if key == "nodeCrash" {
                    Action::NodeCrash(n)
                } else {
                    Action::NodeRecover(n)
                }
            }
            "cordon" | "uncordon" | "removeNode" => {
                let n = self.node_arg(file, index, &ap, val, nodes)?;
                match key {
                    "cordon" => Action::Cordon(n),
                    "uncordon" => Action::Uncordon(n),
                    _ => Action::RemoveNode(n),
                }
            }
            "drain" => self.drain(file, index, &ap, val, nodes)?,
            "addNode" => {
                let f = self.fields(file, index, &ap, val, &["pool"], &["pool"])?;
                let pool = f["pool"].as_str().map(String::from).unwrap_or_else(|| f["pool"].to_string());
                let Some(name) = self.added_nodes.get(self.added_used).filter(|(p, _)| *p == pool).map(|(_, n)| n.clone()) else {
                    self.error(
                        file,
                        Self::mark_of(index, &ap, "pool"),
                        format!("{}: Invalid value: {}: no node pool of that name", join(&ap, "pool"), q(&pool)),
                    );
                    return None;
                };
                self.added_used += 1;
                Action::AddNode { pool, name }
            }
            "setImage" => {
                let f = self.fields(file, index, &ap, val, &["target", "container", "image"], &["target", "container", "image"])?;
                let text = |k: &str| f.get(k).map(|v| v.as_str().map(String::from).unwrap_or_else(|| v.to_string())).unwrap_or_default();
                let path = join(&ap, "target");
                let (kind, namespace, name) = self.target(file, index, &path, &text("target"))?;
                if !matches!(kind, Kind::Deployment | Kind::DaemonSet | Kind::StatefulSet) {
                    self.error(
                        file,
                        Self::mark_of(index, &path, ""),
                        format!("{path}: Invalid value: {}: only deployments, daemonsets and statefulsets are supported here", q(&text("target"))),
                    );
                    return None;
                }
                let target = Target { kind, namespace, name };
                Action::SetImage { target, container: text("container"), image: text("image") }
            }
            "rolloutUndo" => {
                let f = self.fields(file, index, &ap, val, &["target", "toRevision"], &["target"])?;
                let target = self.workload_target(file, index, &join(&ap, "target"), f.get("target").and_then(Value::as_str).unwrap_or(""))?;
                let to_revision = match f.get("toRevision") {
                    None => 0,
                    Some(v) => match v.as_i64().filter(|r| *r >= 0) {
                        Some(r) => r,
                        None => {
                            self.error(
                                file,
                                Self::mark_of(index, &ap, "toRevision"),
                                format!("{}: Invalid value: {v}: must be a revision number (0: the previous one)", join(&ap, "toRevision")),
                            );
                            return None;
                        }
                    },
                };
                Action::RolloutUndo { target, to_revision }
            }
            "rolloutPause" | "rolloutResume" => {
                let Some(t) = as_str(val) else {
                    self.error(file, Self::mark_of(index, &ap, ""), format!("{ap}: Invalid value: expected kind/name, e.g. deployment/web"));
                    return None;
                };
                let target = self.workload_target(file, index, &ap, &t)?;
                if key == "rolloutPause" {
                    Action::RolloutPause(target)
                } else {
                    Action::RolloutResume(target)
                }
            }
            "partition" => {
                let f = self.fields(file, index, &ap, val, &["node", "duration", "direction"], &["node"])?;
                let node = self.node_arg(file, index, &join(&ap, "node"), &f["node"], nodes)?;
                let direction = match f.get("direction") {
                    None => PartitionDirection::Both,
                    Some(v) => match v.as_str().and_then(PartitionDirection::parse) {
                        Some(d) => d,
                        None => {
                            self.error(
                                file,
                                Self::mark_of(index, &ap, "direction"),
                                format!(
                                    "{}: Unsupported value: {v}: supported values: \"both\", \"toControlPlane\", \"fromControlPlane\"",
                                    join(&ap, "direction")
                                ),
                            );
                            return None;
                        }
                    },
                };
                let duration = self.opt_duration(file, index, &ap, &f, "duration")?;
                Action::Partition { node, direction, duration }
            }
            "kubeletStop" | "kubeletStart" | "runtimeStop" | "runtimeStart" => {
                let n = self.node_arg(file, index, &ap, val, nodes)?;
                match key {
                    "kubeletStop" => Action::KubeletStop(n),
                    "kubeletStart" => Action::KubeletStart(n),
                    "runtimeStop" => Action::RuntimeStop(n),
                    _ => Action::RuntimeStart(n),
                }
            }
            "podKill" => {
                let f = self.fields(file, index, &ap, val, &["target", "gracePeriod"], &["target"])?;
                let target = self.pod_target(file, index, &join(&ap, "target"), &f["target"])?;
                let grace_period_seconds = match f.get("gracePeriod") {
                    None => 0,
                    Some(v) => match v.as_i64().filter(|g| *g >= 0) {
                        Some(g) => g,
                        None => {
                            self.error(
                                file,
                                Self::mark_of(index, &ap, "gracePeriod"),
                                format!("{}: Invalid value: {v}: must be greater than or equal to 0", join(&ap, "gracePeriod")),
                            );
                            return None;
                        }
                    },
                };
                Action::PodKill { target, grace_period_seconds }
            }
            "containerKill" => {
                let f = self.fields(file, index, &ap, val, &["target", "container"], &["target", "container"])?;
                let target = self.pod_target(file, index, &join(&ap, "target"), &f["target"])?;
                let container = f["container"].as_str().map(String::from).unwrap_or_else(|| f["container"].to_string());
                Action::ContainerKill { target, container }
            }
            "apiserverRestart" => {
                let f = self.fields(file, index, &ap, val, &["downtime"], &["downtime"])?;
                let downtime = self.opt_duration(file, index, &ap, &f, "downtime")?.unwrap_or(SimDuration::ZERO);
                Action::ApiserverRestart { downtime }
            }
            "etcdMemberDown" | "etcdSlowDisk" => {
                let (allowed, required): (&[&str], &[&str]) =
                    if key == "etcdMemberDown" { (&["member", "duration"], &["member"]) } else { (&["member", "latency", "duration"], &["member", "latency"]) };
                let f = self.fields(file, index, &ap, val, allowed, required)?;
                let members = self.etcd_members;
                let member = match f["member"].as_i64() {
                    Some(m) if (0..i64::from(members)).contains(&m) => m as u32,
                    _ => {
                        let list: Vec<String> = (0..members).map(|m| m.to_string()).collect();
                        self.error(
                            file,
                            Self::mark_of(index, &ap, "member"),
                            format!(
                                "{}: Invalid value: {}: the cluster's etcd members are {} (spec.cluster.etcd.members: {members})",
                                join(&ap, "member"),
                                f["member"],
                                list.join(", ")
                            ),
                        );
                        return None;
                    }
                };
                let duration = self.opt_duration(file, index, &ap, &f, "duration")?;
                if key == "etcdMemberDown" {
                    Action::EtcdMemberDown { member, duration }
                } else {
                    let latency = self.opt_duration(file, index, &ap, &f, "latency")?.unwrap_or(SimDuration::ZERO);
                    Action::EtcdSlowDisk { member, latency, duration }
                }
            }
            "clockSkew" => {
                let f = self.fields(file, index, &ap, val, &["node", "offset", "duration"], &["node", "offset"])?;
                let node = self.node_arg(file, index, &join(&ap, "node"), &f["node"], nodes)?;
                let text = f["offset"].as_str().map(String::from).unwrap_or_else(|| f["offset"].to_string());
                let (neg, abs) = match text.strip_prefix('-') {
                    Some(rest) => (true, rest),
                    None => (false, text.strip_prefix('+').unwrap_or(&text)),
                };
                let d = self.duration(file, index, &join(&ap, "offset"), abs)?;
                let ms = i64::try_from(d.as_ms()).unwrap_or(i64::MAX);
                let duration = self.opt_duration(file, index, &ap, &f, "duration")?;
                Action::ClockSkew { node, offset_ms: if neg { -ms } else { ms }, duration }
            }
            "kubeadmInit" | "kubeadmJoin" => self.kubeadm_action(file, index, &ap, key, val, nodes)?,
            other => {
                let mark = index.key(&index_spelling(&join(path, other))).unwrap_or(here);
                self.error(file, mark, format!("{path}: unknown action {}: expected one of {}", q(other), ACTIONS.join(", ")));
                return None;
            }
        };
        Some(TimelineEntry { at, action, location })
    }

    /// `spec.cluster.kubeadm: {bootstrapTokens: [{token, ttl}]}` (InitConfiguration's
    /// shape): each token as NewBootstrapTokenString parses it, `ttl` a duration (0: never
    /// expires; kubeadm's default 24h).
    fn kubeadm_config(&mut self, file: &str, index: &PathIndex, v: &Value, s: &mut Scenario) {
        let path = "spec.cluster.kubeadm";
        let Some(f) = self.fields(file, index, path, v, &["bootstrapTokens"], &[]) else { return };
        if !s.cluster.kubeadm {
            let msg = format!("{path}: Invalid value: kubeadm's configuration needs spec.cluster.bootstrap: kubeadm");
            self.error(file, Self::mark_of(index, path, ""), msg);
            return;
        }
        let tokens = match f.get("bootstrapTokens") {
            None => return,
            Some(Value::Array(a)) => a.clone(),
            Some(_) => {
                let p = join(path, "bootstrapTokens");
                self.error(file, Self::mark_of(index, &p, ""), format!("{p}: Invalid value: expected a list of {{token, ttl}}"));
                return;
            }
        };
        for (i, t) in tokens.iter().enumerate() {
            let tp = format!("{path}.bootstrapTokens[{i}]");
            let Some(tf) = self.fields(file, index, &tp, t, &["token", "ttl"], &["token"]) else { continue };
            let text = tf["token"].as_str().map(String::from).unwrap_or_else(|| tf["token"].to_string());
            let Some(token) = crate::sim::kubeadm::parse_token(&text) else {
                self.error(file, Self::mark_of(index, &tp, "token"), crate::sim::kubeadm::token_not_of_the_form(&text));
                continue;
            };
            let ttl = match self.opt_duration(file, index, &tp, &tf, "ttl") {
                None => continue,
                Some(None) => Some(crate::sim::kubeadm::DEFAULT_TOKEN_TTL),
                Some(Some(d)) if d == SimDuration::ZERO => None,
                Some(Some(d)) => Some(d),
            };
            if s.cluster.kubeadm_config.bootstrap_tokens.iter().any(|b| b.token.id == token.id) {
                self.error(file, Self::mark_of(index, &tp, "token"), format!("{tp}.token: Duplicate value: {}", q(&token.id)));
                continue;
            }
            s.cluster.kubeadm_config.bootstrap_tokens.push(BootstrapToken { token, ttl });
        }
    }

    /// `kubeadmInit: {node}` (a control-plane node) and `kubeadmJoin: {node, token,
    /// discoveryTokenCaCertHash}` (a worker); a join's token is refused as kubeadm join's
    /// configuration validation refuses it.
    fn kubeadm_action(&mut self, file: &str, index: &PathIndex, ap: &str, key: &str, val: &Value, nodes: Option<&BTreeSet<String>>) -> Option<Action> {
        let (allowed, required): (&[&str], &[&str]) =
            if key == "kubeadmInit" { (&["node"], &["node"]) } else { (&["node", "token", "discoveryTokenCaCertHash"], &["node", "token"]) };
        let f = self.fields(file, index, ap, val, allowed, required)?;
        if !self.kubeadm {
            self.error(file, Self::mark_of(index, ap, ""), format!("{ap}: Invalid value: {key} needs spec.cluster.bootstrap: kubeadm"));
            return None;
        }
        let np = join(ap, "node");
        let node = self.node_arg(file, index, &np, &f["node"], nodes)?;
        let control_plane = self.control_plane_nodes.contains(&node);
        if key == "kubeadmInit" {
            if !control_plane {
                self.error(
                    file,
                    Self::mark_of(index, &np, ""),
                    format!("{np}: Invalid value: {}: kubeadm init runs on a control-plane node (a pool with controlPlane: true)", q(&node)),
                );
                return None;
            }
            return Some(Action::KubeadmInit { node });
        }
        if control_plane {
            let msg = format!("{np}: Invalid value: {}: joining a control-plane node (kubeadm join --control-plane) is not modelled", q(&node));
            self.error(file, Self::mark_of(index, &np, ""), msg);
            return None;
        }
        let text = f["token"].as_str().map(String::from).unwrap_or_else(|| f["token"].to_string());
        let Some(token) = crate::sim::kubeadm::parse_token(&text) else {
            self.error(file, Self::mark_of(index, ap, "token"), crate::sim::kubeadm::join_token_invalid(&text));
            return None;
        };
        let Some(hash) = f.get("discoveryTokenCaCertHash") else {
            self.error(file, Self::mark_of(index, ap, ""), crate::sim::kubeadm::NO_CA_CERT_HASH);
            return None;
        };
        let ca_cert_hash = hash.as_str().map(String::from).unwrap_or_else(|| hash.to_string());
        Some(Action::KubeadmJoin { node, token, ca_cert_hash })
    }

    /// A node name argument that must name a node of the cluster (or one that joined).
    fn node_arg(&mut self, file: &str, index: &PathIndex, ap: &str, val: &Value, nodes: Option<&BTreeSet<String>>) -> Option<String> {
        let Some(n) = val.as_str().map(str::to_string) else {
            self.error(file, Self::mark_of(index, ap, ""), format!("{ap}: Invalid value: expected a node name"));
            return None;
        };
        if nodes.is_some_and(|ns| !ns.contains(&n)) && !self.added_nodes.iter().any(|(_, a)| *a == n) {
            self.error(file, Self::mark_of(index, ap, ""), format!("{ap}: nodes {} not found", q(&n)));
            return None;
        }
        Some(n)
    }

    /// A random fault plan's rate, downtime (or duration) and window.
    #[allow(clippy::too_many_arguments)]
    fn fault_plan(
        &mut self,
        file: &str,
        index: &PathIndex,
        p: &str,
        downtime_key: &str,
        rate: &str,
        downtime: &str,
        from: Option<String>,
        to: Option<String>,
    ) -> Option<crate::faults::NodeCrashPlan> {
        let every = match crate::faults::parse_rate(rate) {
            Ok(d) => Some(d),
            Err(e) => {
                self.error(file, Self::mark_of(index, p, "rate"), format!("{p}.rate: Invalid value: {}: {}", q(rate), clip(&e)));
                None
            }
        };
        let downtime = self.duration(file, index, &format!("{p}.{downtime_key}"), downtime);
        let from = from.and_then(|t| self.duration(file, index, &format!("{p}.from"), &t)).unwrap_or(SimDuration::ZERO);
        let to = to.and_then(|t| self.duration(file, index, &format!("{p}.to"), &t));
        Some(crate::faults::NodeCrashPlan { every: every?, downtime: downtime?, from, to })
    }

    /// A node pool's eviction thresholds, as the kubelet parses them (ParseThresholdConfig
    /// in pkg/kubelet/eviction/helpers.go): memory.available only (ksim's one signal), a
    /// quantity; a soft threshold needs its grace period.
    fn kubelet_eviction(&mut self, file: &str, index: &PathIndex, path: &str, k: KubeletConfigDoc) -> crate::kubelet::EvictionConfig {
        let mut out = crate::kubelet::EvictionConfig { max_pod_grace_seconds: k.eviction_max_pod_grace_period, ..Default::default() };
        let quantity = |me: &mut Self, field: &str, m: &BTreeMap<String, String>| -> Option<i64> {
            for signal in m.keys().filter(|s| *s != "memory.available") {
                let msg = format!("{path}.{field}.{signal}: Unsupported value: {}: ksim models the memory.available signal only", q(signal));
                me.error(file, Self::mark_of(index, &format!("{path}.{field}"), signal), msg);
            }
            let v = m.get("memory.available")?;
            match Quantity::parse(v) {
                Ok(qty) if !qty.is_negative() => Some(qty.value()),
                _ => {
                    let msg = format!("{path}.{field}.memory.available: Invalid value: {}: expected a quantity such as 500Mi", q(v));
                    me.error(file, Self::mark_of(index, &format!("{path}.{field}"), "memory.available"), msg);
                    None
                }
            }
        };
        if let Some(h) = quantity(self, "evictionHard", &k.eviction_hard) {
            out.hard = h;
        }
        let soft = quantity(self, "evictionSoft", &k.eviction_soft);
        if let Some(s) = soft {
            match k.eviction_soft_grace_period.get("memory.available") {
                None => {
                    let msg = format!("{path}.evictionSoftGracePeriod: grace period must be specified for the soft eviction threshold memory.available");
                    self.error(file, Self::mark_of(index, &format!("{path}.evictionSoft"), "memory.available"), msg);
                }
                Some(g) => {
                    if let Some(d) = self.duration(file, index, &format!("{path}.evictionSoftGracePeriod.memory.available"), g) {
                        out.soft = Some((s, d));
                    }
                }
            }
        }
        out
    }

    /// A plan's field that its kind requires (`offset`, `latency`).
    fn plan_field(&mut self, file: &str, index: &PathIndex, p: &str, k: &str, v: Option<&str>) -> Option<String> {
        if v.is_none() {
            self.error(file, Self::mark_of(index, p, ""), format!("{p}.{k}: Required value"));
        }
        v.map(String::from)
    }

    /// A clock offset: a duration with an optional sign (negative: behind), in ms.
    fn signed_offset(&mut self, file: &str, index: &PathIndex, p: &str, text: &str) -> Option<i64> {
        let (neg, abs) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let d = self.duration(file, index, &format!("{p}.offset"), abs)?;
        let ms = i64::try_from(d.as_ms()).unwrap_or(i64::MAX);
        Some(if neg { -ms } else { ms })
    }

    /// An optional duration field `k` of an action's mapping: Some(None) when absent.
    fn opt_duration(&mut self, file: &str, index: &PathIndex, ap: &str, f: &serde_json::Map<String, Value>, k: &str) -> Option<Option<SimDuration>> {
        match f.get(k) {
            None => Some(None),
            Some(Value::String(t)) => {
                let d = self.duration(file, index, &join(ap, k), t)?;
                if d.as_ms() == 0 {
                    self.error(file, Self::mark_of(index, ap, k), format!("{}: Invalid value: {}: must be greater than 0", join(ap, k), q(t)));
                    return None;
                }
                Some(Some(d))
            }
            Some(v) => {
                self.error(file, Self::mark_of(index, ap, k), format!("{}: Invalid value: {v}: expected a duration such as 2m", join(ap, k)));
                None
            }
        }
    }

    /// A `pod/NAME` target of a fault.
    fn pod_target(&mut self, file: &str, index: &PathIndex, path: &str, v: &Value) -> Option<Target> {
        let text = v.as_str().map(String::from).unwrap_or_else(|| v.to_string());
        let (kind, namespace, name) = self.target(file, index, path, &text)?;
        if kind != Kind::Pod {
            self.error(file, Self::mark_of(index, path, ""), format!("{path}: Invalid value: {}: expected pod/NAME", q(&text)));
            return None;
        }
        Some(Target { kind, namespace, name })
    }

    /// A mapping with only `allowed` keys, all of `required` present.
    fn fields(&mut self, file: &str, index: &PathIndex, ap: &str, val: &Value, allowed: &[&str], required: &[&str]) -> Option<serde_json::Map<String, Value>> {
        let Value::Object(m) = val else {
            self.error(file, Self::mark_of(index, ap, ""), format!("{ap}: Invalid value: expected a mapping with {}", allowed.join(", ")));
            return None;
        };
        if let Some(k) = m.keys().find(|k| !allowed.contains(&k.as_str())) {
            self.error(file, Self::mark_of(index, ap, k), format!("strict decoding error: unknown field {}", q(&join(ap, k))));
            return None;
        }
        if let Some(r) = required.iter().find(|r| !m.contains_key(**r)) {
            self.error(file, Self::mark_of(index, ap, ""), format!("{}: Required value", join(ap, r)));
            return None;
        }
        Some(m.clone())
    }

    /// A `deployment/NAME` target of a rollout command.
    fn workload_target(&mut self, file: &str, index: &PathIndex, path: &str, text: &str) -> Option<Target> {
        let (kind, namespace, name) = self.target(file, index, path, text)?;
        if kind != Kind::Deployment {
            self.error(file, Self::mark_of(index, path, ""), format!("{path}: Invalid value: {}: only deployments are supported here", q(text)));
            return None;
        }
        Some(Target { kind, namespace, name })
    }

    /// `drain: {node, timeout, ignoreDaemonSets, deleteEmptyDirData, force, gracePeriod}`.
    fn drain(&mut self, file: &str, index: &PathIndex, ap: &str, val: &Value, nodes: Option<&BTreeSet<String>>) -> Option<Action> {
        let f = self.fields(file, index, ap, val, &["node", "timeout", "ignoreDaemonSets", "deleteEmptyDirData", "force", "gracePeriod"], &["node"])?;
        let node = self.node_arg(file, index, &join(ap, "node"), &f["node"], nodes)?;
        // --timeout: 0 (the default) waits forever.
        let timeout = match f.get("timeout") {
            None => SimDuration::ZERO,
            Some(Value::String(t)) => self.duration(file, index, &join(ap, "timeout"), t)?,
            Some(v) => {
                self.error(file, Self::mark_of(index, ap, "timeout"), format!("{}: Invalid value: {v}: expected a duration such as 2m", join(ap, "timeout")));
                return None;
            }
        };
        let mut flag = |k: &str| -> Option<bool> {
            match f.get(k) {
                None => Some(false),
                Some(Value::Bool(b)) => Some(*b),
                Some(v) => {
                    self.error(file, Self::mark_of(index, ap, k), format!("{}: Invalid value: {v}: expected true or false", join(ap, k)));
                    None
                }
            }
        };
        let (ignore_daemon_sets, delete_emptydir_data, force) = (flag("ignoreDaemonSets")?, flag("deleteEmptyDirData")?, flag("force")?);
        // kubectl drain --grace-period: negative (the default, -1) means the pod's own.
        let grace_period_seconds = match f.get("gracePeriod") {
            None => None,
            Some(v) => match v.as_i64() {
                Some(g) => (g >= 0).then_some(g),
                None => {
                    self.error(
                        file,
                        Self::mark_of(index, ap, "gracePeriod"),
                        format!("{}: Invalid value: {v}: expected whole seconds", join(ap, "gracePeriod")),
                    );
                    return None;
                }
            },
        };
        Some(Action::Drain(DrainOptions { node, timeout, ignore_daemon_sets, delete_emptydir_data, force, grace_period_seconds }))
    }

    /// Reads a Scenario document into `s`; returns its timeline entries (path, value),
    /// decoded once every manifest is known.
    fn scenario_doc(&mut self, file: &str, doc: &YamlDoc, s: &mut Scenario) -> Vec<(String, Value)> {
        let parsed: ScenarioDoc = match yaml::from_doc(doc) {
            Ok(p) => p,
            Err(e) => {
                self.error(file, e.mark, strict(&e));
                return Vec::new();
            }
        };
        if let Some(m) = parsed.metadata {
            s.name = m.name.to_string();
        }
        let spec = parsed.spec;
        if let Some(seed) = spec.seed {
            s.seed = seed;
        }
        if let Some(u) = spec.until {
            if let Some(d) = self.duration(file, &doc.index, "spec.until", &u) {
                s.until = d;
            }
        }
        if let Some(l) = spec.latency {
            if let Some(r) = l.request.and_then(|t| self.duration(file, &doc.index, "spec.latency.request", &t)) {
                s.latency.request = r;
            }
            if let Some(w) = l.watch.and_then(|t| self.duration(file, &doc.index, "spec.latency.watch", &t)) {
                s.latency.watch = w;
            }
        }
        if let Some(mut c) = spec.cluster {
            for (i, p) in c.node_pools.iter_mut().flatten().enumerate() {
                p.capacity_raw = doc.value.pointer(&format!("/spec/cluster/nodePools/{i}/capacity")).cloned().unwrap_or_default();
            }
            self.cluster(file, &doc.index, c, s);
        }
        s.cluster.apply_kubeadm();
        self.kubeadm = s.cluster.kubeadm;
        self.control_plane_nodes =
            s.cluster.node_pools.iter().filter(|p| p.control_plane).flat_map(|p| (1..=p.count).map(move |i| format!("{}-{i}", p.name))).collect();
        if let Some(f) = spec.faults {
            s.faults_location = Location { file: file.into(), mark: Self::mark_of(&doc.index, "spec.faults", "") };
            if let Some(nc) = f.node_crash {
                s.faults.node_crash = self.fault_plan(file, &doc.index, "spec.faults.nodeCrash", "downtime", &nc.rate, &nc.downtime, nc.from, nc.to);
            }
            if let Some(nc) = f.kubelet_stop {
                s.faults.kubelet_stop = self.fault_plan(file, &doc.index, "spec.faults.kubeletStop", "downtime", &nc.rate, &nc.downtime, nc.from, nc.to);
            }
            if let Some(nc) = f.runtime_stop {
                s.faults.runtime_stop = self.fault_plan(file, &doc.index, "spec.faults.runtimeStop", "downtime", &nc.rate, &nc.downtime, nc.from, nc.to);
            }
            if let Some(c) = f.clock_skew {
                let p = "spec.faults.clockSkew";
                let offset = self.plan_field(file, &doc.index, p, "offset", c.offset.as_deref()).and_then(|t| self.signed_offset(file, &doc.index, p, &t));
                let plan = self.fault_plan(file, &doc.index, p, "duration", &c.rate, &c.duration, c.from, c.to);
                s.faults.clock_skew = plan.zip(offset);
            }
            if let Some(a) = f.apiserver_restart {
                s.faults.apiserver_restart = self.fault_plan(file, &doc.index, "spec.faults.apiserverRestart", "downtime", &a.rate, &a.downtime, a.from, a.to);
            }
            if let Some(e) = f.etcd_member_down {
                s.faults.etcd_member_down = self.fault_plan(file, &doc.index, "spec.faults.etcdMemberDown", "duration", &e.rate, &e.duration, e.from, e.to);
            }
            if let Some(e) = f.etcd_slow_disk {
                let p = "spec.faults.etcdSlowDisk";
                let latency = self
                    .plan_field(file, &doc.index, p, "latency", e.latency.as_deref())
                    .and_then(|t| self.duration(file, &doc.index, &format!("{p}.latency"), &t));
                let plan = self.fault_plan(file, &doc.index, p, "duration", &e.rate, &e.duration, e.from, e.to);
                s.faults.etcd_slow_disk = plan.zip(latency);
            }
            for (k, plan) in [("podKill", f.pod_kill), ("containerKill", f.container_kill)] {
                let Some(kp) = plan else { continue };
                let p = format!("spec.faults.{k}");
                let drawn = self.fault_plan(file, &doc.index, &p, "downtime", &kp.rate, "0s", kp.from, kp.to).map(|d| (d, kp.namespace));
                if k == "podKill" {
                    s.faults.pod_kill = drawn;
                } else {
                    s.faults.container_kill = drawn;
                }
            }
            if let Some(pp) = f.partition {
                let p = "spec.faults.partition";
                let direction = match pp.direction.as_deref() {
                    None => Some(PartitionDirection::Both),
                    Some(d) => {
                        let parsed = PartitionDirection::parse(d);
                        if parsed.is_none() {
                            self.error(
                                file,
                                Self::mark_of(&doc.index, p, "direction"),
                                format!("{p}.direction: Unsupported value: {}: supported values: \"both\", \"toControlPlane\", \"fromControlPlane\"", q(d)),
                            );
                        }
                        parsed
                    }
                };
                let plan = self.fault_plan(file, &doc.index, p, "duration", &pp.rate, &pp.duration, pp.from, pp.to);
                s.faults.partition = plan.zip(direction);
            }
        }
        for (i, t) in spec.traffic.unwrap_or_default().into_iter().enumerate() {
            self.traffic_client(file, &doc.index, &index_path("spec.traffic", i), t, s);
        }
        let mut deferred = Vec::new();
        let timeline = spec.timeline.unwrap_or_default();
        // Nodes that join later take their pool's next names (`<pool>-<count+1>`, …).
        let mut next: BTreeMap<String, u32> = s.cluster.node_pools.iter().map(|p| (p.name.clone(), p.count)).collect();
        for e in &timeline {
            if let Some(pool) = e.get("addNode").and_then(|a| a.get("pool")).and_then(Value::as_str) {
                if let Some(n) = next.get_mut(pool) {
                    *n += 1;
                    self.added_nodes.push((pool.to_string(), format!("{pool}-{n}")));
                }
            }
        }
        for (i, e) in timeline.into_iter().enumerate() {
            deferred.push((index_path("spec.timeline", i), e));
        }
        let nodes: Option<BTreeSet<String>> =
            (!self.cluster_invalid).then(|| s.node_names().into_iter().chain(self.added_nodes.iter().map(|(_, n)| n.clone())).collect());
        for (i, e) in spec.expect.unwrap_or_default().into_iter().enumerate() {
            let path = index_path("spec.expect", i);
            let Some(when) = self.when(file, &doc.index, &path, &e) else { continue };
            let mark = Self::mark_of(&doc.index, &path, "that");
            let parsed = expect::parse(&e.that, nodes.as_ref()).and_then(|check| match &check.subject {
                expect::Subject::Traffic(n) if !s.traffic.iter().any(|c| &c.name == n) => {
                    let names: Vec<&str> = s.traffic.iter().map(|c| c.name.as_str()).collect();
                    Err(format!("no traffic client {n:?} (spec.traffic names {})", if names.is_empty() { "none".to_string() } else { names.join(", ") }))
                }
                _ => Ok(check),
            });
            match parsed {
                Ok(check) => s.expect.push(Expectation { when, check, text: e.that.clone(), location: Location { file: file.into(), mark } }),
                Err(m) => self.error(file, mark, format!("{}: Invalid value: {}: {m}", join(&path, "that"), q(&e.that))),
            }
        }
        deferred
    }

    /// One `spec.traffic` client (its source node and target Service are checked once the
    /// cluster and every manifest are known).
    fn traffic_client(&mut self, file: &str, index: &PathIndex, path: &str, t: TrafficDoc, s: &mut Scenario) {
        use crate::traffic::{parse_rate, parse_target, Source};
        let mut ok = true;
        if t.name.is_empty() || s.traffic.iter().any(|c| c.name == t.name) {
            let why = if t.name.is_empty() { "Required value".to_string() } else { format!("Duplicate value: {}", q(&t.name)) };
            self.error(file, Self::mark_of(index, path, "name"), format!("{}: {why}", join(path, "name")));
            ok = false;
        }
        let sp = join(path, "source");
        let source = match (t.source.node, t.source.pod) {
            (Some(n), None) => Some(Source::Node(n)),
            (None, Some(sel)) => match expect::Selector::parse(&sel) {
                Ok(selector) => Some(Source::Pods { namespace: t.source.namespace.unwrap_or_else(|| "default".into()), selector }),
                Err(e) => {
                    self.error(file, Self::mark_of(index, &sp, "pod"), format!("{}: Invalid value: {}: {e}", join(&sp, "pod"), q(&sel)));
                    None
                }
            },
            _ => {
                self.error(
                    file,
                    Self::mark_of(index, &sp, ""),
                    format!("{sp}: Invalid value: give exactly one of node (a node name) or pod (a label selector)"),
                );
                None
            }
        };
        let target = match parse_target(&t.target) {
            Ok(x) => Some(x),
            Err(e) => {
                self.error(file, Self::mark_of(index, path, "target"), format!("{}: Invalid value: {}: {e}", join(path, "target"), q(&t.target)));
                None
            }
        };
        let milli_rate = match parse_rate(&t.rate) {
            Ok(r) => Some(r),
            Err(e) => {
                self.error(file, Self::mark_of(index, path, "rate"), format!("{}: Invalid value: {}: {e}", join(path, "rate"), q(&t.rate)));
                None
            }
        };
        let start = match &t.start {
            Some(v) => self.duration(file, index, &join(path, "start"), v),
            None => Some(SimDuration::ZERO),
        };
        let stop = match &t.stop {
            Some(v) => self.duration(file, index, &join(path, "stop"), v).map(Some),
            None => Some(None),
        };
        if let (Some(a), Some(Some(b))) = (start, stop) {
            if b <= a {
                self.error(file, Self::mark_of(index, path, "stop"), format!("{}: Invalid value: {b}: must come after start ({a})", join(path, "stop")));
                ok = false;
            }
        }
        if let (true, Some(source), Some(target), Some(milli_rate), Some(start), Some(stop)) = (ok, source, target, milli_rate, start, stop) {
            let at = |m| Location { file: file.into(), mark: m };
            self.traffic_locations.push((at(Self::mark_of(index, &sp, "node")), at(Self::mark_of(index, path, "target"))));
            s.traffic.push(crate::traffic::Client { name: t.name, source, target, milli_rate, start, stop });
        }
    }

    /// A duration written as a string (`90s`) or the number 0.
    fn duration_value(&mut self, file: &str, index: &PathIndex, path: &str, v: &Value) -> Option<SimDuration> {
        match v {
            Value::String(t) => self.duration(file, index, path, t),
            Value::Number(n) if n.as_u64() == Some(0) => Some(SimDuration::ZERO),
            other => {
                let mark = Self::mark_of(index, path, "");
                self.error(file, mark, format!("{path}: Invalid value: {}: expected a duration, e.g. 90s or 5m", clip(&other.to_string())));
                None
            }
        }
    }

    /// When an expectation applies: exactly one of `at`, `during: [from, to]`, `by`.
    fn when(&mut self, file: &str, index: &PathIndex, path: &str, e: &ExpectDoc) -> Option<When> {
        let given: Vec<(&str, &Value)> =
            [("at", &e.at), ("during", &e.during), ("by", &e.by)].into_iter().filter_map(|(k, v)| v.as_ref().map(|v| (k, v))).collect();
        let (key, v) = match given.as_slice() {
            [one] => *one,
            [] => {
                let mark = Self::mark_of(index, path, "");
                self.error(file, mark, format!("{path}: Required value: when `that` must hold: `at: 5m`, `during: [1m, 5m]` or `by: 5m`"));
                return None;
            }
            [(first, _), (second, _), ..] => {
                let mark = Self::mark_of(index, path, second);
                self.error(file, mark, format!("{path}: Invalid value: both {first} and {second}: give exactly one of at, during, by"));
                return None;
            }
        };
        let kp = join(path, key);
        match key {
            "at" => self.duration_value(file, index, &kp, v).map(When::At),
            "by" if !v.is_array() => self.duration_value(file, index, &kp, v).map(|t| When::By(SimDuration::ZERO, t)),
            _ => {
                let Some([from, to]) = v.as_array().and_then(|a| <&[Value; 2]>::try_from(a.as_slice()).ok()) else {
                    let mark = Self::mark_of(index, &kp, "");
                    self.error(file, mark, format!("{kp}: Invalid value: {}: expected [from, to], e.g. [1m, 5m]", clip(&v.to_string())));
                    return None;
                };
                let from = self.duration_value(file, index, &index_path(&kp, 0), from)?;
                let to = self.duration_value(file, index, &index_path(&kp, 1), to)?;
                if to < from {
                    let mark = Self::mark_of(index, &kp, "");
                    self.error(file, mark, format!("{kp}: Invalid value: [{from}, {to}]: the window must not end before it starts"));
                    return None;
                }
                Some(if key == "by" { When::By(from, to) } else { When::During(from, to) })
            }
        }
    }

    /// A node pool's `capacity.pods`: the kubelet's maxPods, an int32 that is not negative
    /// (kubelet config validation: "maxPods (--max-pods) -3 must not be a negative number").
    fn max_pods(&mut self, file: &str, index: &PathIndex, path: &str, v: &Value) -> Option<Quantity> {
        let written = match v {
            Value::String(t) => t.clone(),
            other => other.to_string(),
        };
        let whole: Option<i128> = match v {
            Value::Number(n) => n
                .as_i64()
                .map(i128::from)
                .or_else(|| n.as_u64().map(i128::from))
                .or_else(|| n.as_f64().filter(|f| f.fract() == 0.0 && f.abs() < 1e30).map(|f| f as i128)),
            Value::String(t) => match Quantity::parse(t) {
                Ok(qty) if qty.fits_i64(true) && qty.milli_value() % 1000 == 0 => Some(i128::from(qty.milli_value() / 1000)),
                Ok(qty) if qty.fits_i64(false) && qty.milli_value() % 1000 != 0 => None,
                Ok(qty) => Some(if qty.is_negative() { i128::from(i64::MIN) } else { i128::from(i64::MAX) }),
                Err(e) => {
                    self.error(file, Self::mark_of(index, path, ""), format!("{path}: Invalid value: {}: {e}", q(t)));
                    return None;
                }
            },
            _ => {
                self.error(
                    file,
                    Self::mark_of(index, path, ""),
                    format!("{path}: Invalid value: {}: expected a whole number of pods, e.g. 110", clip(&written)),
                );
                return None;
            }
        };
        let why = match whole {
            None => "must be a whole number (the kubelet's maxPods is an int32)".to_string(),
            Some(n) if n < 0 => "must not be a negative number (the kubelet's maxPods)".to_string(),
            Some(n) if n > i128::from(i32::MAX) => format!("must be less than or equal to {} (the kubelet's maxPods is an int32)", i32::MAX),
            Some(n) => return Some(Quantity::from_value(n as i64)),
        };
        self.error(file, Self::mark_of(index, path, ""), format!("{path}: Invalid value: {}: {why}", clip(&written)));
        None
    }

    /// Which of `values` a field holds; another word is refused with the apiserver's
    /// NotSupported words.
    fn choice(&mut self, file: &str, index: &PathIndex, path: &str, value: &str, values: &[&str]) -> Option<usize> {
        let i = values.iter().position(|v| *v == value);
        if i.is_none() {
            let list = values.iter().map(|v| format!("{v:?}")).collect::<Vec<_>>().join(", ");
            let mark = Self::mark_of(index, path, "");
            self.error(file, mark, format!("{path}: Unsupported value: {}: supported values: {list}", q(value)));
        }
        i
    }

    fn cluster(&mut self, file: &str, index: &PathIndex, c: ClusterDoc, s: &mut Scenario) {
        if let Some(ttl) = c.api_server.and_then(|a| a.event_ttl) {
            // --event-ttl is a Go duration; an Event kept for no time at all would be
            // gone as it is written, so ksim asks for more than 0.
            let mark = Self::mark_of(index, "spec.cluster.apiServer", "eventTTL");
            match SimDuration::parse(&ttl) {
                Ok(d) if d > SimDuration::ZERO => s.cluster.event_ttl = d,
                Ok(_) => self.error(file, mark, format!("spec.cluster.apiServer.eventTTL: Invalid value: {}: must be greater than 0", q(&ttl))),
                Err(e) => self.error(file, mark, format!("spec.cluster.apiServer.eventTTL: Invalid value: {}: {}", q(&ttl), clip(&e))),
            }
        }
        if let Some(n) = c.etcd.and_then(|e| e.members) {
            let mark = Self::mark_of(index, "spec.cluster.etcd", "members");
            match n {
                1..=7 => {
                    s.cluster.etcd_members = n as u32;
                    self.etcd_members = n as u32;
                    if n % 2 == 0 {
                        // etcd's FAQ: an even-sized cluster tolerates no more failures than
                        // the odd size below it, and needs a larger quorum.
                        self.warn(
                            file,
                            mark,
                            format!(
                                "spec.cluster.etcd.members: {n}: an etcd cluster of {n} members needs a quorum of {} and tolerates {} failed member{}, as {} members would; etcd recommends an odd number of members",
                                n / 2 + 1,
                                (n - 1) / 2,
                                if (n - 1) / 2 == 1 { "" } else { "s" },
                                n - 1
                            ),
                        );
                    }
                }
                _ => self.error(
                    file,
                    mark,
                    format!("spec.cluster.etcd.members: Invalid value: {n}: must be between 1 and 7 (etcd recommends at most 7 members)"),
                ),
            }
        }
        let cidr_given = c.cluster_cidr.is_some();
        if let Some(cidr) = c.cluster_cidr {
            if let Err(e) = crate::network::ipam::Cidr::parse(&cidr) {
                self.error(
                    file,
                    Self::mark_of(index, "spec.cluster.clusterCIDR", ""),
                    format!("spec.cluster.clusterCIDR: Invalid value: {}: {}", q(&cidr), clip(&e)),
                );
            }
            s.cluster.cluster_cidr = cidr;
        }
        if let Some(cidr) = c.service_cidr {
            // kubeadm's ValidateIPNetFromString and ValidateServiceSubnetSize.
            let checked = crate::network::ipam::Cidr::parse(&cidr).and_then(crate::apiserver::service_alloc::validate_service_cidr);
            if let Err(e) = checked {
                let mark = Self::mark_of(index, "spec.cluster.serviceCIDR", "");
                self.error(file, mark, format!("spec.cluster.serviceCIDR: Invalid value: {}: {}", q(&cidr), clip(&e)));
            }
            s.cluster.service_cidr = cidr;
        }
        if let Some(lb) = c.load_balancer {
            let mut pool = crate::controller_manager::service_lb::Pool::default();
            if lb.addresses.is_empty() {
                let mark = Self::mark_of(index, "spec.cluster.loadBalancer.addresses", "");
                self.error(file, mark, "spec.cluster.loadBalancer.addresses: Required value: at least one CIDR or range of addresses");
            }
            for (i, a) in lb.addresses.iter().enumerate() {
                let path = format!("spec.cluster.loadBalancer.addresses[{i}]");
                match crate::controller_manager::service_lb::Pool::parse_entry(a) {
                    Ok(r) => pool.ranges.push(r),
                    Err(e) => {
                        let mark = Self::mark_of(index, &path, "");
                        self.error(file, mark, format!("{path}: Invalid value: {}: {}", q(a), clip(&e)));
                    }
                }
            }
            let delay = match lb.delay.as_deref().map(SimDuration::parse) {
                None => SimDuration::ZERO,
                Some(Ok(d)) => d,
                Some(Err(e)) => {
                    let mark = Self::mark_of(index, "spec.cluster.loadBalancer.delay", "");
                    self.error(file, mark, format!("spec.cluster.loadBalancer.delay: Invalid value: {}: {}", q(lb.delay.as_deref().unwrap_or("")), clip(&e)));
                    SimDuration::ZERO
                }
            };
            s.cluster.load_balancer = Some(super::model::LoadBalancerPool { pool, delay });
        }
        // kubeadm's cluster: CoreDNS installed, no pod network until one is applied.
        if let Some(b) = c.bootstrap {
            if let Some(i) = self.choice(file, index, "spec.cluster.bootstrap", &b, &["kubeadm", "none"]) {
                s.cluster.kubeadm = i == 0;
                if s.cluster.kubeadm {
                    s.cluster.dns = super::model::Dns::CoreDns;
                    s.cluster.cni_installed = false;
                }
            }
        }
        if let Some(k) = c.kubeadm {
            self.kubeadm_config(file, index, &k, s);
        }
        // The add-on switches: one of a few words each.
        if let Some(d) = c.dns {
            if let Some(i) = self.choice(file, index, "spec.cluster.dns", &d, &["CoreDNS", "none"]) {
                s.cluster.dns = [super::model::Dns::CoreDns, super::model::Dns::None][i];
            }
        }
        if let Some(ic) = c.ingress_controller {
            if let Some(i) = self.choice(file, index, "spec.cluster.ingressController", &ic, &["ingress-nginx", "none"]) {
                s.cluster.ingress_nginx = i == 0;
            }
        }
        if let Some(ca) = c.cluster_autoscaler {
            if let Some(e) = ca.expander {
                // `--expander`: a comma-separated chain (expander/factory Build), each name
                // once.
                let path = "spec.cluster.clusterAutoscaler.expander";
                let mut chain = Vec::new();
                for name in e.split(',').map(str::trim) {
                    let Some(i) = self.choice(file, index, path, name, &super::model::Expander::NAMES) else { continue };
                    let x = super::model::Expander::ALL[i];
                    if chain.contains(&x) {
                        let mark = Self::mark_of(index, path, "");
                        self.error(
                            file,
                            mark,
                            format!(
                                "{path}: Invalid value: {}: Expander {name} was specified multiple times, each expander must not be specified more than once",
                                q(&e)
                            ),
                        );
                    }
                    chain.push(x);
                }
                s.cluster.expanders = chain;
            }
        }
        if let Some(m) = c.metrics_server {
            if let Some(i) = self.choice(file, index, "spec.cluster.metricsServer", &m, &["metrics-server", "none"]) {
                s.cluster.metrics_server = i == 0;
            }
        }
        if let Some(st) = c.storage {
            if let Some(i) = self.choice(file, index, "spec.cluster.storage", &st, &["local-path", "minikube-hostpath", "none"]) {
                s.cluster.storage = [super::model::Storage::LocalPath, super::model::Storage::MinikubeHostPath, super::model::Storage::None][i];
            }
        }
        if let Some(cni) = c.cni {
            if let Some(i) = self.choice(file, index, "spec.cluster.cni", &cni, &["none", "preinstalled"]) {
                s.cluster.cni_installed = i == 1;
            }
        }
        let mask_given = c.node_cidr_mask_size.is_some();
        if let Some(m) = c.node_cidr_mask_size {
            s.cluster.node_cidr_mask_size = m;
        }
        if let Ok(cidr) = crate::network::ipam::Cidr::parse(&s.cluster.cluster_cidr) {
            if let Err((on_mask, e)) = crate::network::ipam::validate_cluster_cidr(cidr, s.cluster.node_cidr_mask_size) {
                let (path, value) = if on_mask && mask_given || !cidr_given {
                    ("spec.cluster.nodeCIDRMaskSize", s.cluster.node_cidr_mask_size.to_string())
                } else {
                    ("spec.cluster.clusterCIDR", q(&s.cluster.cluster_cidr))
                };
                let mark = Self::mark_of(index, path, "");
                self.error(file, mark, format!("{path}: Invalid value: {value}: {e}"));
            }
        }
        let Some(pools) = c.node_pools else { return };
        let mut names = BTreeSet::new();
        let mut out = Vec::new();
        let mut total: u64 = 0;
        let mut too_many = false;
        for (i, p) in pools.into_iter().enumerate() {
            let path = index_path("spec.cluster.nodePools", i);
            for m in crate::api::validation::dns1123_label(&p.name) {
                self.error(file, Self::mark_of(index, &path, "name"), format!("{}: Invalid value: {}: {m}", join(&path, "name"), q(&p.name)));
            }
            if !names.insert(p.name.clone()) {
                self.error(file, Self::mark_of(index, &path, "name"), format!("{}: Duplicate value: {}", join(&path, "name"), q(&p.name)));
            }
            if p.control_plane && !s.cluster.kubeadm {
                self.error(
                    file,
                    Self::mark_of(index, &path, "controlPlane"),
                    format!("{}: Invalid value: true: a control-plane pool needs spec.cluster.bootstrap: kubeadm", join(&path, "controlPlane")),
                );
            }
            if p.control_plane && p.swap {
                // ksim runs the control plane itself: its node's kubelet must run.
                let msg = format!(
                    "{}: Invalid value: true: swap on a control-plane node is not modelled (its kubelet would run no control plane)",
                    join(&path, "swap")
                );
                self.error(file, Self::mark_of(index, &path, "swap"), msg);
            }
            for (pi, port) in p.closed_ports.iter().enumerate() {
                let pp = format!("closedPorts[{pi}]");
                let at = Self::mark_of(index, &path, &pp);
                if ![super::model::API_SERVER_PORT, super::model::KUBELET_PORT].contains(port) {
                    let msg = format!(
                        "{path}.{pp}: Unsupported value: {port}: supported values: 6443 (kube-apiserver, on a control-plane pool), 10250 (the kubelet's API)"
                    );
                    self.error(file, at, msg);
                } else if *port == super::model::API_SERVER_PORT && !p.control_plane {
                    let msg = format!(
                        "{path}.{pp}: Invalid value: 6443: only a control-plane node serves kube-apiserver (spec.cluster.bootstrap: kubeadm, controlPlane: true)"
                    );
                    self.error(file, at, msg);
                }
            }
            if s.cluster.kubeadm && !p.control_plane && p.name == "control-plane" {
                self.error(
                    file,
                    Self::mark_of(index, &path, "name"),
                    format!(
                        "{}: Invalid value: \"control-plane\": kubeadm's control-plane node comes in a pool of that name; mark this pool controlPlane: true, or name it otherwise",
                        join(&path, "name")
                    ),
                );
            }
            // A node group (the Cluster Autoscaler's): its bounds as the autoscaler's node
            // group spec checks them (config/dynamic/node_group_spec.go Validate, with
            // scale-to-zero supported).
            let autoscaling = p.autoscaling.as_ref().and_then(|a| {
                let ap = format!("{path}.autoscaling");
                let mut bad = |field: &str, msg: String| {
                    self.error(file, Self::mark_of(index, &ap, field), format!("{ap}.{field}: {msg}"));
                };
                if a.min < 0 {
                    bad("min", format!("Invalid value: {}: min size must be >= 0", a.min));
                    return None;
                }
                if a.max < a.min {
                    bad("max", format!("Invalid value: {}: max size must be greater or equal to min size", a.max));
                    return None;
                }
                if a.max > i64::from(u32::MAX) {
                    bad("max", format!("Invalid value: {}: ksim simulates at most {MAX_NODES} nodes", a.max));
                    return None;
                }
                let delay = match &a.provisioning_delay {
                    None => crate::cluster_autoscaler::DEFAULT_PROVISIONING_DELAY,
                    Some(d) => match SimDuration::parse(d) {
                        Ok(d) => d,
                        Err(e) => {
                            bad("provisioningDelay", format!("Invalid value: {}: {e}", q(d)));
                            return None;
                        }
                    },
                };
                // The autoscaler's machines join as workers: kubeadm's control plane is
                // not a node group, and a machine whose kubelet refuses to start would
                // never register.
                if p.control_plane || p.swap {
                    let why = if p.control_plane {
                        "a control-plane pool is not a node group"
                    } else {
                        "its machines' kubelet refuses to start (swap: true), so none would ever register"
                    };
                    self.error(file, Self::mark_of(index, &ap, ""), format!("{ap}: Forbidden: {why}"));
                    return None;
                }
                Some(super::model::NodeGroupSpec { min: a.min as u32, max: a.max as u32, provisioning_delay: delay })
            });
            // The limit is checked here, on the number, before anything is built from it:
            // an autoscaled pool may grow to its max.
            total += u64::from(p.count).max(autoscaling.map_or(0, |a| u64::from(a.max)));
            if total > MAX_NODES && !too_many {
                too_many = true;
                let so_far = if total == u64::from(p.count) { String::new() } else { format!(" (the cluster would have {total} nodes)") };
                self.error(
                    file,
                    Self::mark_of(index, &path, "count"),
                    format!("{}: Invalid value: {}: ksim simulates at most {MAX_NODES} nodes{so_far}", join(&path, "count"), p.count),
                );
            }
            let mut errs = Vec::new();
            crate::api::validation::validate_labels(&p.labels, "labels", &mut errs);
            for e in errs {
                self.error(file, Self::mark_of(index, &path, &e.path), format!("{}.{e}", path));
            }
            for (ti, t) in p.taints.iter().enumerate() {
                if !["NoSchedule", "PreferNoSchedule", "NoExecute"].contains(&t.effect.as_str()) {
                    let tp = format!("taints[{ti}].effect");
                    self.error(
                        file,
                        Self::mark_of(index, &path, &tp),
                        format!("{path}.{tp}: Unsupported value: {}: supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"", q(&t.effect)),
                    );
                }
            }
            for (res, qty, milli) in [("cpu", &p.capacity.cpu, true), ("memory", &p.capacity.memory, false)] {
                let rp = format!("capacity.{res}");
                let written = index_value_text(&p.capacity_raw, res).unwrap_or_else(|| qty.to_string());
                if qty.is_negative() || qty.is_zero() {
                    self.error(file, Self::mark_of(index, &path, &rp), format!("{path}.{rp}: Invalid value: {}: must be greater than 0", q(&written)));
                } else if Quantity::is_capped(&written) || !qty.fits_i64(milli) {
                    // A node reports its capacity as an int64 (bytes; CPU in millicores).
                    let most = if milli { "9223372036854775807m" } else { "9223372036854775807" };
                    self.error(
                        file,
                        Self::mark_of(index, &path, &rp),
                        format!("{path}.{rp}: Invalid value: {}: must be less than or equal to {most}", q(&written)),
                    );
                }
            }
            let containerd = p.containerd.and_then(|c| {
                let release = containerd_release(&c.version);
                if release.is_none() {
                    let msg = format!(
                        "{path}.containerd.version: Invalid value: {}: expected a containerd release such as 1.7.27 or 2.1.4",
                        q(&c.version)
                    );
                    self.error(file, Self::mark_of(index, &path, "containerd.version"), msg);
                }
                let c = super::model::Containerd { version: c.version, release: release?, systemd_cgroup: c.systemd_cgroup };
                if c.mismatched() && p.control_plane {
                    // ksim runs the control plane itself: its node's static pods must run.
                    let msg = format!(
                        "{path}.containerd.systemdCgroup: Invalid value: false: a cgroup driver mismatch on a control-plane node is not modelled (its static pods would restart the control plane)"
                    );
                    self.error(file, Self::mark_of(index, &path, "containerd.systemdCgroup"), msg);
                }
                Some(c)
            });
            // Extended resources: a domain-prefixed name outside kubernetes.io
            // (IsExtendedResourceName), a whole non-negative count.
            let mut extended = BTreeMap::new();
            for (res, v) in &p.capacity.extended {
                let rp = format!("capacity.{res}");
                let mark = Self::mark_of(index, &path, &rp);
                if !res.contains('/') {
                    self.error(file, mark, format!("strict decoding error: unknown field {}", q(&format!("{path}.{rp}"))));
                    continue;
                }
                if res.contains("kubernetes.io/") || res.starts_with("requests.") || !crate::api::validation::qualified_name(res).is_empty() {
                    self.error(
                        file,
                        mark,
                        format!("{path}.{rp}: Invalid value: {}: must be an extended resource name (a domain-prefixed name outside kubernetes.io)", q(res)),
                    );
                    continue;
                }
                let text = match v {
                    Value::String(s) => s.clone(),
                    Value::Number(n) => n.to_string(),
                    other => other.to_string(),
                };
                match Quantity::parse(&text) {
                    Ok(qty) if !qty.is_negative() && qty.milli_value() % 1000 == 0 && qty.fits_i64(false) => {
                        extended.insert(res.clone(), qty);
                    }
                    _ => self.error(file, mark, format!("{path}.{rp}: Invalid value: {}: must be a whole, non-negative number", q(&text))),
                }
            }
            let eviction = p.kubelet.map(|k| self.kubelet_eviction(file, index, &format!("{path}.kubelet"), k)).unwrap_or_default();
            let pods = match &p.capacity.pods {
                None => Some(Quantity::from_value(110)),
                Some(v) => self.max_pods(file, index, &format!("{path}.capacity.pods"), v),
            };
            out.push(NodePool {
                name: p.name,
                count: p.count,
                cpu: p.capacity.cpu,
                memory: p.capacity.memory,
                pods: pods.unwrap_or_else(|| Quantity::from_value(110)),
                extended,
                labels: p.labels,
                taints: p.taints,
                csi_drivers: p.csi_drivers,
                control_plane: p.control_plane,
                swap: p.swap,
                closed_ports: p.closed_ports,
                containerd,
                br_netfilter: p.br_netfilter,
                eviction,
                autoscaling,
            });
        }
        if let Ok(cidr) = crate::network::ipam::Cidr::parse(&s.cluster.cluster_cidr) {
            if let Ok(a) = crate::network::ipam::ClusterCidrAllocator::new(cidr, s.cluster.node_cidr_mask_size) {
                if total > a.capacity() && !too_many {
                    self.error(
                        file,
                        Self::mark_of(index, "spec.cluster.nodePools", ""),
                        format!(
                            "spec.cluster.nodePools: Invalid value: {total}: {total} nodes need {total} pod CIDRs, but clusterCIDR {cidr} with /{} per node has {}; use a larger spec.cluster.clusterCIDR (e.g. 10.64.0.0/10)",
                            s.cluster.node_cidr_mask_size,
                            a.capacity()
                        ),
                    );
                }
            }
        }
        if too_many {
            self.cluster_invalid = true;
            return; // no node of a cluster that is too big is ever named or built
        }
        s.cluster.node_pools = out;
    }
}

/// The text of `raw[key]` as written (a string, or a number's JSON form).
fn index_value_text(raw: &Value, key: &str) -> Option<String> {
    match raw.get(key)? {
        Value::String(t) => Some(t.clone()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

fn join(base: &str, rel: &str) -> String {
    match (base.is_empty(), rel.is_empty()) {
        (true, _) => rel.to_string(),
        (_, true) => base.to_string(),
        _ if rel.starts_with('[') => format!("{base}{rel}"),
        _ => format!("{base}.{rel}"),
    }
}

/// A decoding error in the apiserver's words.
fn strict(e: &yaml::FieldError) -> String {
    if e.message.starts_with("unknown field") {
        format!("strict decoding error: unknown field {}", q(&e.path))
    } else if e.path.is_empty() {
        e.message.clone()
    } else {
        format!("{}: {}", e.path, e.message)
    }
}

fn is_scenario(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("Scenario")
}

fn is_scheduler_config(v: &Value) -> bool {
    v.get("kind").and_then(Value::as_str) == Some("KubeSchedulerConfiguration")
}

/// Loads one or more files into a scenario.
pub fn load(sources: &[Source], resolver: &Resolver) -> Result<Scenario, LoadError> {
    let mut l = Loader {
        sources: BTreeMap::new(),
        diags: Vec::new(),
        warnings: Vec::new(),
        warned_kinds: BTreeSet::new(),
        resolver,
        files_read: 0,
        bytes_read: 0,
        suppressed: 0,
        cluster_invalid: false,
        replicas_marks: BTreeMap::new(),
        service_marks: BTreeMap::new(),
        added_nodes: Vec::new(),
        traffic_locations: Vec::new(),
        added_used: 0,
        etcd_members: 1,
        kubeadm: false,
        control_plane_nodes: BTreeSet::new(),
    };
    let mut s = Scenario::default();
    let mut at_zero: Vec<Manifest> = Vec::new();
    // The timeline's entries, decoded once the cluster is known; each borrows its
    // document's index (a copy per entry made loading quadratic in the timeline's length).
    let mut deferred: Vec<(String, String, &PathIndex, Value)> = Vec::new();
    let mut seen_scenario: Option<Location> = None;
    let mut seen_config: Option<Location> = None;
    let mut parsed: Vec<(String, Vec<YamlDoc>)> = Vec::new();
    for src in sources {
        if !l.within_input_budget(&src.name, Mark::new(1, 1), src) {
            break;
        }
        if let Some(docs) = l.parse(src) {
            if docs.is_empty() {
                l.error(&src.name, Mark::new(1, 1), "no objects passed to apply (the file holds no YAML document)");
            }
            parsed.push((src.name.clone(), docs));
        }
    }
    for (file, docs) in &parsed {
        for doc in docs {
            if is_scenario(&doc.value) {
                let av = doc.value.get("apiVersion").and_then(Value::as_str).unwrap_or("");
                if av != "ksim.dev/v1" {
                    let mark = doc.index.value("apiVersion").unwrap_or(doc.start);
                    l.error(file, mark, format!("no matches for kind \"Scenario\" in version {} (ksim scenarios are apiVersion: ksim.dev/v1)", q(av)));
                    continue;
                }
                if let Some(prev) = &seen_scenario {
                    l.error(file, doc.start, format!("a second Scenario document (the first is at {prev}); put one per run"));
                    continue;
                }
                seen_scenario = Some(Location { file: file.clone(), mark: doc.start });
                for (path, v) in l.scenario_doc(file, doc, &mut s) {
                    deferred.push((file.clone(), path, &doc.index, v));
                }
            } else if is_scheduler_config(&doc.value) {
                l.scheduler_config(file, doc, &mut s, &mut seen_config);
            } else {
                l.manifests(file, &doc.value, &doc.index, "", &mut at_zero);
            }
        }
    }
    let nodes: Option<BTreeSet<String>> = (!l.cluster_invalid).then(|| s.node_names().into_iter().collect());
    let mut timeline = Vec::new();
    for (file, path, index, v) in &deferred {
        if let Some(e) = l.timeline_entry(file, index, path, v, nodes.as_ref()) {
            timeline.push(e);
        }
    }
    for w in timeline.windows(2) {
        if w[1].at < w[0].at {
            let loc = w[1].location.clone();
            l.error(&loc.file, loc.mark, format!("spec.timeline: entries must be in time order: {} comes after {}", w[1].at, w[0].at));
        }
    }
    if !at_zero.is_empty() {
        // The file's manifests are applied when the cluster is there: at t = 0, or right
        // after a `kubeadm init` on the timeline.
        let (i, at) = timeline.iter().position(|e| matches!(e.action, Action::KubeadmInit { .. })).map_or((0, SimDuration::ZERO), |i| (i + 1, timeline[i].at));
        timeline.insert(i, TimelineEntry { at, action: Action::Apply(at_zero), location: seen_scenario.clone().unwrap_or_default() });
    }
    check_kubeadm(&mut l, &timeline);
    check_references(&mut l, &s, &mut timeline);
    check_service_allocations(&mut l, &s, &timeline);
    check_traffic(&mut l, &s, &timeline, nodes.as_ref());
    // A DaemonSet asks for one pod per node: every node the cluster may have.
    let max_nodes = nodes.as_ref().map_or(0, |n| n.len()) + l.added_nodes.len();
    check_sizes(&mut l, &timeline, max_nodes as i64);
    for e in &timeline {
        if e.at > s.until {
            l.warn(
                &e.location.file,
                e.location.mark,
                format!("this timeline entry at {} comes after the end of the run ({}); it never happens", e.at, s.until),
            );
        }
    }
    if !l.diags.is_empty() {
        return Err(LoadError::new(l.diags, l.suppressed, l.sources));
    }
    s.timeline = timeline;
    s.warnings = l.warnings;
    Ok(s)
}

/// One `kubeadm init`, and one for any join (a join may start before it: its discovery
/// retries until the control plane answers).
fn check_kubeadm(l: &mut Loader, timeline: &[TimelineEntry]) {
    let inits: Vec<&TimelineEntry> = timeline.iter().filter(|e| matches!(e.action, Action::KubeadmInit { .. })).collect();
    for e in inits.iter().skip(1) {
        let msg = format!("spec.timeline: a second kubeadmInit (the first is at {}); ksim builds one control plane", inits[0].location);
        l.error(&e.location.file, e.location.mark, msg);
    }
    if inits.is_empty() {
        if let Some(e) = timeline.iter().find(|e| matches!(e.action, Action::KubeadmJoin { .. })) {
            l.error(&e.location.file, e.location.mark, "spec.timeline: kubeadmJoin needs a kubeadmInit (the cluster it joins)");
        }
    }
}

/// A traffic client's source node must be one of the cluster's (or join later), and a
/// Service it targets must be created at some point (a client may start before it).
fn check_traffic(l: &mut Loader, s: &Scenario, timeline: &[TimelineEntry], nodes: Option<&BTreeSet<String>>) {
    use crate::traffic::{Source, Target};
    let mut services: BTreeSet<(String, String)> = timeline
        .iter()
        .filter_map(|e| match &e.action {
            Action::Apply(ms) => Some(ms),
            _ => None,
        })
        .flatten()
        .filter(|m| m.object.kind() == Kind::Service)
        .map(|m| (m.object.meta().namespace.to_string(), m.object.meta().name.to_string()))
        .collect();
    let dns = s.cluster.dns == super::model::Dns::CoreDns;
    if dns {
        services.insert(("kube-system".into(), "kube-dns".into()));
    }
    let locations = l.traffic_locations.clone();
    for (c, (node_loc, loc)) in s.traffic.iter().zip(locations) {
        if let (Source::Node(n), Some(nodes)) = (&c.source, nodes) {
            if !nodes.contains(n) && !l.added_nodes.iter().any(|(_, a)| a == n) {
                l.error(&node_loc.file, node_loc.mark, format!("traffic client {}: nodes {} not found", q(&c.name), q(n)));
            }
        }
        if let Target::Service { namespace, name, .. } = &c.target {
            let ns = if namespace.is_empty() { "default" } else { namespace.as_str() };
            if !services.iter().any(|(sns, sn)| (if sns.is_empty() { "default" } else { sns.as_str() }) == ns && sn == name) {
                l.error(&loc.file, loc.mark, format!("traffic client {}: services {} not found", q(&c.name), q(name)));
            }
        }
        if matches!(c.target, Target::Url { .. }) && !s.cluster.ingress_nginx {
            l.warn(
                &loc.file,
                loc.mark,
                format!(
                    "traffic client {}: the cluster has no ingress controller (spec.cluster.ingressController: ingress-nginx adds one): every request fails to resolve (nxdomain)",
                    q(&c.name)
                ),
            );
        }
        if matches!(c.target, Target::Name { .. }) && !dns {
            l.warn(
                &loc.file,
                loc.mark,
                format!("traffic client {}: the cluster has no DNS (spec.cluster.dns: CoreDNS adds it): every request fails to resolve (nxdomain)", q(&c.name)),
            );
        }
    }
}

/// Replicas one workload may ask for (the Kubernetes scalability limit is 150,000 pods).
pub const MAX_REPLICAS: i64 = 1_000_000;
/// Pods a scenario may ask for in all, bare pods and every workload's replicas together.
pub const MAX_PODS: i64 = 1_000_000;
/// Nodes a cluster may have (Kubernetes' scalability limit is 5,000).
pub const MAX_NODES: u64 = 100_000;

/// A workload (or bare pod) asking for pods: its key, how many, where, what to call it.
type PodAsk<'a> = ((Kind, String, String), i64, &'a Location, String);

/// A scenario that asks for more pods at once than ksim simulates is refused up front:
/// each workload's latest replicas and each bare pod, summed along the timeline.
fn check_sizes(l: &mut Loader, timeline: &[TimelineEntry], nodes: i64) {
    let mut asked: BTreeMap<(Kind, String, String), i64> = BTreeMap::new();
    let mut total: i64 = 0;
    let ns_of = |ns: &str| if ns.is_empty() { "default".to_string() } else { ns.to_string() };
    for e in timeline {
        let changes: Vec<PodAsk> = match &e.action {
            Action::Apply(ms) => ms
                .iter()
                .filter_map(|m| {
                    let (n, field) = match &m.object {
                        Object::Deployment(d) => (i64::from(d.replicas()), "spec.replicas"),
                        Object::ReplicaSet(r) => (i64::from(r.replicas()), "spec.replicas"),
                        Object::ReplicationController(r) => (i64::from(r.replicas()), "spec.replicas"),
                        Object::StatefulSet(s) => (i64::from(s.replicas()), "spec.replicas"),
                        Object::DaemonSet(_) => (nodes, "one pod per node"),
                        Object::Pod(_) => (1, "metadata.name"),
                        _ => return None,
                    };
                    let meta = m.object.meta();
                    let kind = m.object.kind();
                    let what = format!("{} {:?}: {field}", crate::apiserver::qualified_resource(&kind), meta.name);
                    // A generateName'd object is a new one each time it is applied.
                    let name = if meta.name.is_empty() { format!("{}#{}:{}", meta.generate_name, m.at.mark.line, total) } else { meta.name.to_string() };
                    Some(((kind, ns_of(&meta.namespace), name), n, &m.at, what))
                })
                .collect(),
            Action::Scale { kind, namespace, name, replicas } => {
                let what = format!("scale {}: replicas", crate::api::ObjectKey::new(kind.clone(), namespace, name));
                vec![((kind.clone(), ns_of(namespace), name.clone()), i64::from(*replicas), &e.location, what)]
            }
            Action::Delete { kind, namespace, name, .. } => vec![((kind.clone(), ns_of(namespace), name.clone()), 0, &e.location, String::new())],
            _ => vec![],
        };
        for (key, n, at, what) in changes {
            total += n - asked.insert(key, n).unwrap_or(0);
            if total > MAX_PODS {
                let mark = l.replicas_marks.get(&location_key(at)).copied().unwrap_or(at.mark);
                l.error(
                    &at.file,
                    mark,
                    format!("{what}: Invalid value: {n}: with it the scenario asks for {total} pods at once (at {}); ksim simulates at most {MAX_PODS}", e.at),
                );
                return;
            }
        }
    }
}

/// Static checks across the timeline: duplicate objects in one apply, namespaces that do
/// not exist (created with a warning), deletes and scales of objects never applied.
/// The Service registry's allocation, run over the timeline's Service creates and
/// deletes with the cluster's service CIDR: a requested ClusterIP outside the range or
/// already held (the `kubernetes` Service holds the first address), a NodePort outside
/// 30000-32767 or taken, an IPv6 or dual-stack request, are refused here in the
/// apiserver's words, at the field. Dynamic picks reserve nothing in this check (where
/// they land depends on the seed; a clash with one is refused during the run).
fn check_service_allocations(l: &mut Loader, s: &Scenario, timeline: &[TimelineEntry]) {
    let Ok(cidr) = crate::network::ipam::Cidr::parse(&s.cluster.service_cidr) else { return };
    if crate::apiserver::service_alloc::validate_service_cidr(cidr).is_err() {
        return;
    }
    let mut alloc = crate::apiserver::service_alloc::Allocators::static_only(cidr);
    let mut live: BTreeMap<(String, String), crate::api::service::Service> = BTreeMap::new();
    let mut kubernetes = crate::sim::kubernetes_service(&alloc.first_ip());
    if alloc.allocate_create(&mut kubernetes).is_ok() {
        live.insert(("default".into(), "kubernetes".into()), kubernetes);
    }
    if s.cluster.dns == super::model::Dns::CoreDns {
        for o in crate::sim::addons::coredns(&crate::sim::addons::dns_ip(cidr)) {
            let Object::Service(mut svc) = o else { continue };
            if alloc.allocate_create(&mut svc).is_ok() {
                live.insert(("kube-system".into(), "kube-dns".into()), *svc);
            }
        }
    }
    for entry in timeline {
        match &entry.action {
            Action::Apply(ms) => {
                for m in ms {
                    let Object::Service(svc) = &m.object else { continue };
                    let ns = if svc.metadata.namespace.is_empty() { "default" } else { &svc.metadata.namespace };
                    let key = (ns.to_string(), svc.metadata.name.to_string());
                    if live.contains_key(&key) {
                        continue; // an update: allocateUpdate during the run
                    }
                    let mut probe = Object::Service(svc.clone());
                    crate::apiserver::defaults::apply(&mut probe);
                    crate::apiserver::defaults::prepare_for_create(&mut probe);
                    let Object::Service(mut probe) = probe else { continue };
                    match alloc.allocate_create(&mut probe) {
                        Ok(()) => {
                            live.insert(key, *probe);
                        }
                        Err(crate::apiserver::service_alloc::Refusal::Invalid(errs)) => {
                            let marks = l.service_marks.get(&location_key(&m.at)).cloned().unwrap_or_default();
                            for e in errs {
                                let field = if e.path.starts_with("spec.clusterIPs") { "spec.clusterIP" } else { e.path.as_str() };
                                let mark = marks.get(field).copied().unwrap_or(m.at.mark);
                                let message = crate::apiserver::invalid(&Kind::Service, &svc.metadata.name, std::slice::from_ref(&e)).message;
                                l.error(&m.at.file, mark, message);
                            }
                        }
                        Err(crate::apiserver::service_alloc::Refusal::Internal(_)) => {}
                    }
                }
            }
            Action::Delete { kind: Kind::Service, namespace, name, .. } => {
                if let Some(svc) = live.remove(&(namespace.clone(), name.clone())) {
                    alloc.release(&svc);
                }
            }
            _ => {}
        }
    }
}

fn check_references(l: &mut Loader, s: &Scenario, timeline: &mut [TimelineEntry]) {
    let mut exists: BTreeSet<(Kind, String, String)> = BTreeSet::new();
    let mut addons = Vec::new();
    if s.cluster.dns == super::model::Dns::CoreDns {
        addons.extend(crate::sim::addons::coredns("10.96.0.10"));
    }
    if s.cluster.ingress_nginx {
        addons.extend(crate::sim::addons::ingress_nginx());
    }
    if s.cluster.metrics_server {
        addons.extend(crate::sim::addons::metrics_server());
    }
    addons.extend(crate::sim::addons::default_storage_class(s.cluster.storage));
    let mut namespaces: BTreeSet<String> = SYSTEM_NAMESPACES.iter().map(|s| s.to_string()).collect();
    for o in addons {
        if o.kind() == Kind::Namespace {
            namespaces.insert(o.meta().name.to_string());
        }
        exists.insert((o.kind(), o.meta().namespace.to_string(), o.meta().name.to_string()));
    }
    let mut priority_classes: BTreeSet<String> = crate::api::scheduling::SYSTEM_CLASSES.iter().map(|(n, _)| n.to_string()).collect();
    for entry in timeline.iter_mut() {
        match &mut entry.action {
            Action::Apply(ms) => {
                for m in ms.iter() {
                    if matches!(&m.object, Object::Unstructured(u) if u.kind == "PriorityClass") {
                        priority_classes.insert(m.object.meta().name.to_string());
                    }
                }
                // The Priority admission plugin refuses a pod whose class does not exist;
                // a workload's pods would all be refused (FailedCreate).
                for m in ms.iter() {
                    let (class, is_pod) = match &m.object {
                        Object::Pod(p) => (&p.spec.priority_class_name, true),
                        Object::Deployment(d) => (&d.spec.template.spec.priority_class_name, false),
                        Object::ReplicaSet(r) => (&r.spec.template.spec.priority_class_name, false),
                        Object::DaemonSet(d) => (&d.spec.template.spec.priority_class_name, false),
                        Object::StatefulSet(s) => (&s.spec.template.spec.priority_class_name, false),
                        Object::ReplicationController(r) => match &r.spec.template {
                            Some(t) => (&t.spec.priority_class_name, false),
                            None => continue,
                        },
                        _ => continue,
                    };
                    if class.is_empty() || priority_classes.contains(class) {
                        continue;
                    }
                    let name = &m.object.meta().name;
                    if is_pod {
                        l.error(&m.at.file, m.at.mark, format!("pods {name:?} is forbidden: no PriorityClass with name {class} was found"));
                    } else {
                        l.warn(
                            &m.at.file,
                            m.at.mark,
                            format!("no PriorityClass with name {class} was found: every pod of {name:?} will be refused (FailedCreate)"),
                        );
                    }
                }
                let mut batch = BTreeSet::new();
                let mut created_ns: Vec<Manifest> = Vec::new();
                // Namespaces first, like a sorted `kubectl apply -f dir/`.
                ms.sort_by_key(|m| !matches!(m.object, Object::Namespace(_)));
                for m in ms.iter() {
                    let kind = m.object.kind();
                    let meta = m.object.meta();
                    let ns = if kind.namespaced() {
                        if meta.namespace.is_empty() {
                            "default".to_string()
                        } else {
                            meta.namespace.to_string()
                        }
                    } else {
                        String::new()
                    };
                    if let Object::Namespace(n) = &m.object {
                        namespaces.insert(n.metadata.name.to_string());
                    }
                    if kind.namespaced() && !namespaces.contains(&ns) && !created_ns.iter().any(|c| c.object.meta().name == ns) {
                        l.warn(&m.at.file, m.at.mark, format!("namespaces {ns:?} not found: ksim creates it (a real apiserver would refuse the object)"));
                        let mut n = crate::api::namespace::Namespace::default();
                        n.metadata.name = ns.clone().into();
                        created_ns.push(Manifest { object: Object::Namespace(Box::new(n)), at: m.at.clone() });
                    }
                    if meta.name.is_empty() {
                        continue; // generateName
                    }
                    let key = (kind.clone(), ns.clone(), meta.name.to_string());
                    if !batch.insert(key.clone()) {
                        l.error(
                            &m.at.file,
                            m.at.mark,
                            format!(
                                "{} {:?} already exists (the same object appears twice in one apply)",
                                crate::apiserver::qualified_resource(&kind),
                                meta.name
                            ),
                        );
                    }
                    exists.insert(key);
                }
                for n in &created_ns {
                    namespaces.insert(n.object.meta().name.to_string());
                }
                ms.splice(0..0, created_ns);
            }
            Action::Delete { kind, namespace, name, .. } | Action::Scale { kind, namespace, name, .. } => {
                let key = (kind.clone(), namespace.clone(), name.clone());
                let kind_creates_owned = matches!(kind, Kind::Pod | Kind::ReplicaSet | Kind::ControllerRevision);
                if !exists.contains(&key) && !kind_creates_owned {
                    let loc = entry.location.clone();
                    l.error(
                        &loc.file,
                        loc.mark,
                        format!("{} {name:?} not found (nothing applies it before {})", crate::apiserver::qualified_resource(kind), entry.at),
                    );
                }
                if matches!(entry.action, Action::Delete { .. }) {
                    exists.remove(&key);
                }
            }
            Action::SetImage { target, .. } | Action::RolloutUndo { target, .. } | Action::RolloutPause(target) | Action::RolloutResume(target)
                if !exists.contains(&(target.kind.clone(), target.namespace.clone(), target.name.clone())) =>
            {
                let loc = entry.location.clone();
                l.error(
                    &loc.file,
                    loc.mark,
                    format!("{} {:?} not found (nothing applies it before {})", crate::apiserver::qualified_resource(&target.kind), target.name, entry.at),
                );
            }
            _ => {}
        }
    }
}

/// (major, minor) of a containerd release written `MAJOR.MINOR[.PATCH]` (a leading `v`
/// allowed), from 1.0 on.
fn containerd_release(v: &str) -> Option<(u32, u32)> {
    let v = v.strip_prefix('v').unwrap_or(v);
    let mut parts = v.split('.');
    let major: u32 = parts.next()?.parse().ok()?;
    let minor: u32 = parts.next()?.parse().ok()?;
    if let Some(patch) = parts.next() {
        patch.parse::<u32>().ok()?;
    }
    (parts.next().is_none() && major >= 1).then_some((major, minor))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load_str(text: &str) -> Result<Scenario, LoadError> {
        let no_files = |_: &str, rel: &str| Err(format!("no such file {rel}"));
        load(&[Source { name: "t.yaml".into(), text: text.into() }], &no_files)
    }

    const DEPLOY: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\nspec:\n  replicas: 2\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25\n";

    #[test]
    fn a_plain_manifest_runs_on_the_default_cluster() {
        let s = load_str(DEPLOY).unwrap();
        assert_eq!(s.node_names(), ["worker-1", "worker-2", "worker-3"]);
        assert_eq!(s.timeline.len(), 1);
    }

    #[test]
    fn negative_replicas_point_at_the_line() {
        let e = load_str(&DEPLOY.replace("replicas: 2", "replicas: -1")).unwrap_err();
        let d = &e.diagnostics[0];
        assert_eq!(d.message, "Deployment.apps \"web\" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0");
        assert_eq!((d.location.mark.line, d.location.mark.col), (6, 13));
        assert!(e.render().contains("6 |   replicas: -1"));
    }

    #[test]
    fn unknown_fields_and_kinds_are_errors() {
        let e = load_str(&DEPLOY.replace("replicas: 2", "replicas: 2\n  replica: 3")).unwrap_err();
        assert_eq!(e.diagnostics[0].message, "strict decoding error: unknown field \"spec.replica\"");
        assert_eq!(e.diagnostics[0].location.mark.line, 7);
        let e = load_str("apiVersion: apps/v1\nkind: Foo\nmetadata: {name: x}\n").unwrap_err();
        assert_eq!(e.diagnostics[0].message, "no matches for kind \"Foo\" in version \"apps/v1\"");
        assert_eq!(e.diagnostics[0].location.mark.line, 2);
    }

    #[test]
    fn unmodelled_kinds_load_with_one_warning() {
        let s =
            load_str("apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b}\n").unwrap();
        assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    }

    #[test]
    fn scenario_documents_configure_the_run() {
        let text = format!(
            "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  seed: 7\n  until: 2m\n  cluster:\n    nodePools:\n    - {{name: big, count: 2, capacity: {{cpu: '8', memory: 16Gi}}}}\n  timeline:\n  - {{at: 30s, nodeCrash: big-1}}\n  - {{at: 1m, scale: {{target: deployment/web, replicas: 5}}}}\n  expect:\n  - {{at: 90s, that: deployment/web available == 5}}\n---\n{DEPLOY}"
        );
        let s = load_str(&text).unwrap();
        assert_eq!((s.seed, s.until), (7, SimDuration::from_secs(120)));
        assert_eq!(s.node_names(), ["big-1", "big-2"]);
        assert_eq!(s.timeline.len(), 3);
        assert_eq!(s.expect.len(), 1);
        let bad = text.replace("nodeCrash: big-1", "nodeCrash: big-9");
        let e = load_str(&bad).unwrap_err();
        assert_eq!(e.diagnostics[0].message, "spec.timeline[0].nodeCrash: nodes \"big-9\" not found");
        let bad = text.replace("target: deployment/web", "target: deployment/nope");
        assert!(load_str(&bad).unwrap_err().diagnostics[0].message.contains("deployments.apps \"nope\" not found"));
        let bad = text.replace("at: 1m", "at: 10s");
        assert!(load_str(&bad).unwrap_err().diagnostics[0].message.contains("time order"));
    }

    #[test]
    fn input_read_in_all_is_capped_even_when_one_file_is_applied_many_times() {
        // 8 MiB of comments, applied 9 times: with the scenario itself, the 8th read takes
        // the total past 64 MiB; it is refused, and nothing is read after it.
        let big = format!("apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: c}}\n{}", format!("# {}\n", "x".repeat(1022)).repeat(8192));
        let files = |_: &str, _: &str| Ok(Source { name: "big.yaml".into(), text: big.clone() });
        let entries: String = (1..=9).map(|i| format!("  - {{at: {i}s, apply: {{file: big.yaml}}}}\n")).collect();
        let text = format!("apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  timeline:\n{entries}");
        let e = load(&[Source { name: "t.yaml".into(), text }], &files).unwrap_err();
        assert_eq!(e.diagnostics.len(), 1, "{e}");
        let d = &e.diagnostics[0];
        assert_eq!((d.location.mark.line, d.location.mark.col), (13, 28));
        assert!(d.message.ends_with("ksim reads at most 67108864 in all"), "{}", d.message);
    }

    #[test]
    fn a_cluster_too_big_is_refused_before_a_node_is_named() {
        let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: t}\nspec:\n  cluster:\n    nodePools:\n    - {name: w, count: 4294967295, capacity: {cpu: '1', memory: 1Gi}}\n  timeline:\n  - {at: 1s, nodeCrash: w-1}\n";
        let e = load_str(text).unwrap_err();
        assert_eq!(e.diagnostics.len(), 1, "{e}");
        assert_eq!(e.diagnostics[0].message, "spec.cluster.nodePools[0].count: Invalid value: 4294967295: ksim simulates at most 100000 nodes");
        // A scenario built in code is refused by the simulation, before any kubelet exists.
        let mut s = Scenario::default();
        s.cluster.node_pools[0].count = u32::MAX;
        let opts = crate::sim::RunOptions::for_scenario(&s);
        assert!(crate::sim::Simulation::new(&s, &opts).err().unwrap().contains("ksim simulates at most 100000"));
    }

    #[test]
    fn diagnostics_past_the_first_fifty_are_counted() {
        let text = "a: 1\n---\n".repeat(60);
        let e = load_str(&text).unwrap_err();
        assert_eq!((e.diagnostics.len(), e.suppressed), (50, 10));
        assert!(e.render().ends_with("note: 10 more errors not shown (ksim shows the first 50)\n"));
    }
}
