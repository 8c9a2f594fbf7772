//! The closed set of kinds ksim models, the `Object` sum type the store holds, and the
//! registry of Kubernetes kinds ksim knows but does not model (kept as unstructured
//! JSON with a warning).

use super::config_map::{ConfigMap, Secret};
use super::daemon_set::{ControllerRevision, DaemonSet};
use super::deployment::Deployment;
use super::endpoints::{EndpointSlice, Endpoints};
use super::event::Event;
use super::horizontal_pod_autoscaler::HorizontalPodAutoscaler;
use super::ingress::{Ingress, IngressClass};
use super::job::{CronJob, Job};
use super::limit_range::LimitRange;
use super::meta::ObjectMeta;
use super::name::NameKey;
use super::namespace::{Lease, Namespace};
use super::network_policy::NetworkPolicy;
use super::node::Node;
use super::pod::Pod;
use super::pod_disruption_budget::PodDisruptionBudget;
use super::replica_set::ReplicaSet;
use super::replication_controller::ReplicationController;
use super::resource_quota::ResourceQuota;
use super::service::Service;
use super::stateful_set::StatefulSet;
use super::storage::{CSINode, PersistentVolume, PersistentVolumeClaim, StorageClass, VolumeAttachment};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;
use std::fmt;

/// Turns a decoded value into a typed object: the loader decodes YAML with source marks,
/// the apiserver decodes JSON; the table below says which type each kind decodes to.
pub trait Decoder {
    type Error;
    fn decode<T: DeserializeOwned>(self) -> Result<T, Self::Error>;
}

/// The table of kinds ksim models: one line per kind — its `Object` variant and type,
/// the `as_…` accessor, apiVersion, plural resource, short names and scope. Everything
/// that follows a kind's identity (the `Kind` and `Object` enums, names, versions,
/// user-facing spellings, decoding, type meta) is generated from it, so adding a kind is
/// one line here plus its type and its behaviour.
macro_rules! kinds {
    ($($variant:ident($ty:ty) -> $target:ty, $accessor:ident: $api_version:literal, $plural:literal, [$($short:literal),*], $namespaced:literal;)*) => {
        /// A kind ksim models, or another known kind (`Other`, kept unstructured).
        #[derive(Clone, PartialEq, Eq, Hash)]
        pub enum Kind {
            $($variant,)*
            /// (apiVersion's group, kind): boxed, so that a `Kind` is 16 bytes where the
            /// two strings made every kind 48 (an `ObjectKey`, 96, sized every request).
            Other(Box<(String, String)>),
        }

        /// As derived for `Other(String, String)`.
        impl std::fmt::Debug for Kind {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    Kind::Other(gk) => f.debug_tuple("Other").field(&gk.0).field(&gk.1).finish(),
                    k => f.write_str(k.static_name()),
                }
            }
        }

        impl Kind {
            /// Every modelled kind, in the enum's order.
            #[cfg(test)]
            const MODELLED: &'static [Kind] = &[$(Kind::$variant,)*];

            /// (API group, kind) of every modelled kind, in the enum's order.
            const GROUP_KIND: &'static [(&'static str, &'static str)] = &[$((api_group($api_version), stringify!($variant)),)*];

            /// A modelled kind's rank in the (group, kind) order (`None` for `Other`),
            /// computed at compile time. The variant's position is the enum's own
            /// discriminant (an identity match compiles to arithmetic) and the rank a
            /// load from a table; a match with a constant per arm compiled to a jump
            /// per variant instead.
            #[inline]
            fn modelled_rank(&self) -> Option<u16> {
                #[allow(clippy::upper_case_acronyms)]
                enum Index { $($variant,)* }
                const RANKS: [u16; Kind::GROUP_KIND.len()] = ranks(Kind::GROUP_KIND);
                let i = match self {
                    $(Kind::$variant => Index::$variant as usize,)*
                    Kind::Other(..) => return None,
                };
                RANKS.get(i).copied()
            }

            /// The kind's name for modelled kinds (`""` for `Other`).
            pub fn static_name(&self) -> &'static str {
                match self {
                    $(Kind::$variant => stringify!($variant),)*
                    Kind::Other(..) => "",
                }
            }

            pub fn api_version(&self) -> &'static str {
                match self {
                    $(Kind::$variant => $api_version,)*
                    Kind::Other(..) => "",
                }
            }

            fn modelled_plural(&self) -> Option<&'static str> {
                match self {
                    $(Kind::$variant => Some($plural),)*
                    Kind::Other(..) => None,
                }
            }

            fn modelled_namespaced(&self) -> Option<bool> {
                match self {
                    $(Kind::$variant => Some($namespaced),)*
                    Kind::Other(..) => None,
                }
            }

            /// The modelled kind a user's word names: kind, plural or short name.
            fn modelled_from_user(s: &str) -> Option<Kind> {
                $(
                    if s == stringify!($variant).to_ascii_lowercase() || s == $plural $(|| s == $short)* {
                        return Some(Kind::$variant);
                    }
                )*
                None
            }

            /// The modelled kind of (apiVersion, kind).
            fn modelled(api_version: &str, kind: &str) -> Option<Kind> {
                $(
                    if api_version == $api_version && kind == stringify!($variant) {
                        return Some(Kind::$variant);
                    }
                )*
                None
            }

            /// Decodes a value of this (modelled) kind.
            pub fn decode<D: Decoder>(&self, d: D) -> Option<Result<Object, D::Error>> {
                Some(match self {
                    $(Kind::$variant => d.decode::<$ty>().map(Object::$variant),)*
                    Kind::Other(..) => return None,
                })
            }
        }

        /// Every object the store can hold. Every kind is boxed: an `Object` is two words,
        /// so each object (in an `Rc` in the store and the caches) takes its own size and
        /// not the largest kind's — an Event (408 bytes) is not padded to a Pod's (568),
        /// and the bulk of a big cluster is Events.
        #[derive(Clone, Debug, PartialEq)]
        pub enum Object {
            $($variant($ty),)*
            Unstructured(Box<Unstructured>),
        }

        impl Object {
            pub fn kind(&self) -> Kind {
                match self {
                    $(Object::$variant(_) => Kind::$variant,)*
                    Object::Unstructured(u) => Kind::other(split_api_version(&u.api_version).0.to_string(), u.kind.clone()),
                }
            }

            pub fn meta(&self) -> &ObjectMeta {
                match self {
                    $(Object::$variant(o) => &o.metadata,)*
                    Object::Unstructured(o) => &o.metadata,
                }
            }

            pub fn meta_mut(&mut self) -> &mut ObjectMeta {
                match self {
                    $(Object::$variant(o) => &mut o.metadata,)*
                    Object::Unstructured(o) => &mut o.metadata,
                }
            }

            /// Fills apiVersion and kind (as the apiserver does on the way out).
            pub fn set_type_meta(&mut self) {
                match self {
                    // Written only where they differ: most kinds keep them as strings,
                    // and every update sets them (a Lease renewal copied both).
                    $(Object::$variant(o) => {
                        if *o.api_version != *$api_version {
                            o.api_version = $api_version.into();
                        }
                        if *o.kind != *stringify!($variant) {
                            o.kind = stringify!($variant).into();
                        }
                    })*
                    Object::Unstructured(_) => {}
                }
            }

            pub fn to_json(&self) -> Value {
                let r = match self {
                    $(Object::$variant(o) => serde_json::to_value(o),)*
                    Object::Unstructured(o) => serde_json::to_value(o),
                };
                r.unwrap_or(Value::Null)
            }

            $(
                pub fn $accessor(&self) -> Option<&$target> {
                    match self {
                        Object::$variant(o) => Some(o),
                        _ => None,
                    }
                }
            )*
        }
    };
}

kinds! {
    Namespace(Box<Namespace>) -> Namespace, as_namespace: "v1", "namespaces", ["ns"], false;
    Node(Box<Node>) -> Node, as_node: "v1", "nodes", ["no"], false;
    Pod(Box<Pod>) -> Pod, as_pod: "v1", "pods", ["po"], true;
    ReplicaSet(Box<ReplicaSet>) -> ReplicaSet, as_replica_set: "apps/v1", "replicasets", ["rs"], true;
    Deployment(Box<Deployment>) -> Deployment, as_deployment: "apps/v1", "deployments", ["deploy"], true;
    DaemonSet(Box<DaemonSet>) -> DaemonSet, as_daemon_set: "apps/v1", "daemonsets", ["ds"], true;
    StatefulSet(Box<StatefulSet>) -> StatefulSet, as_stateful_set: "apps/v1", "statefulsets", ["sts"], true;
    ControllerRevision(Box<ControllerRevision>) -> ControllerRevision, as_controller_revision: "apps/v1", "controllerrevisions", [], true;
    ReplicationController(Box<ReplicationController>) -> ReplicationController, as_replication_controller: "v1", "replicationcontrollers", ["rc"], true;
    Service(Box<Service>) -> Service, as_service: "v1", "services", ["svc"], true;
    Endpoints(Box<Endpoints>) -> Endpoints, as_endpoints: "v1", "endpoints", ["ep"], true;
    EndpointSlice(Box<EndpointSlice>) -> EndpointSlice, as_endpoint_slice: "discovery.k8s.io/v1", "endpointslices", [], true;
    Lease(Box<Lease>) -> Lease, as_lease: "coordination.k8s.io/v1", "leases", [], true;
    Event(Box<Event>) -> Event, as_event: "v1", "events", ["ev"], true;
    PodDisruptionBudget(Box<PodDisruptionBudget>) -> PodDisruptionBudget, as_pdb: "policy/v1", "poddisruptionbudgets", ["pdb"], true;
    NetworkPolicy(Box<NetworkPolicy>) -> NetworkPolicy, as_network_policy: "networking.k8s.io/v1", "networkpolicies", ["netpol"], true;
    Ingress(Box<Ingress>) -> Ingress, as_ingress: "networking.k8s.io/v1", "ingresses", ["ing"], true;
    IngressClass(Box<IngressClass>) -> IngressClass, as_ingress_class: "networking.k8s.io/v1", "ingressclasses", [], false;
    Job(Box<Job>) -> Job, as_job: "batch/v1", "jobs", [], true;
    ConfigMap(Box<ConfigMap>) -> ConfigMap, as_config_map: "v1", "configmaps", ["cm"], true;
    Secret(Box<Secret>) -> Secret, as_secret: "v1", "secrets", [], true;
    CronJob(Box<CronJob>) -> CronJob, as_cron_job: "batch/v1", "cronjobs", ["cj"], true;
    PersistentVolume(Box<PersistentVolume>) -> PersistentVolume, as_pv: "v1", "persistentvolumes", ["pv"], false;
    PersistentVolumeClaim(Box<PersistentVolumeClaim>) -> PersistentVolumeClaim, as_pvc: "v1", "persistentvolumeclaims", ["pvc"], true;
    StorageClass(Box<StorageClass>) -> StorageClass, as_storage_class: "storage.k8s.io/v1", "storageclasses", ["sc"], false;
    VolumeAttachment(Box<VolumeAttachment>) -> VolumeAttachment, as_volume_attachment: "storage.k8s.io/v1", "volumeattachments", [], false;
    CSINode(Box<CSINode>) -> CSINode, as_csi_node: "storage.k8s.io/v1", "csinodes", [], false;
    LimitRange(Box<LimitRange>) -> LimitRange, as_limit_range: "v1", "limitranges", ["limits"], true;
    ResourceQuota(Box<ResourceQuota>) -> ResourceQuota, as_resource_quota: "v1", "resourcequotas", ["quota"], true;
    HorizontalPodAutoscaler(Box<HorizontalPodAutoscaler>) -> HorizontalPodAutoscaler, as_hpa: "autoscaling/v2", "horizontalpodautoscalers", ["hpa"], true;
}

impl Object {
    pub fn key(&self) -> ObjectKey {
        let m = self.meta();
        ObjectKey::new(self.kind(), &m.namespace, &m.name)
    }
}

/// Kinds order by (group, kind) — not by where a variant sits in the enum — so adding a
/// kind never reorders anything that walks the store kind by kind (a namespace's
/// content, listings).
impl Ord for Kind {
    fn cmp(&self, other: &Self) -> Ordering {
        // Two modelled kinds compare by their rank in the (group, kind) order, computed
        // at compile time: the store's and the informers' maps are keyed by kind, and
        // comparing the strings was 8 % of a density run (ranks made at run time behind
        // a OnceLock still cost about 40 instructions a comparison, 3 % of an idle
        // cluster's run). `Other` kinds compare by their strings.
        match (self.modelled_rank(), other.modelled_rank()) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.cmp_strings(other),
        }
    }
}

impl Kind {
    /// The order of the (group, kind) strings (out of line: the common case, two
    /// modelled kinds, stays a few instructions).
    #[cold]
    #[inline(never)]
    fn cmp_strings(&self, other: &Self) -> Ordering {
        (self.group(), self.name()).cmp(&(other.group(), other.name()))
    }
}

/// The group of an apiVersion (`split_api_version`'s first part), at compile time.
const fn api_group(api_version: &'static str) -> &'static str {
    let b = api_version.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'/' {
            return match std::str::from_utf8(b.split_at(i).0) {
                Ok(g) => g,
                Err(_) => panic!("an apiVersion is ASCII"),
            };
        }
        i += 1;
    }
    ""
}

/// Whether `a` sorts before `b` as strings do (byte by byte, a prefix first).
const fn bytes_less(a: &[u8], b: &[u8]) -> Option<bool> {
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return Some(a[i] < b[i]);
        }
        i += 1;
    }
    if a.len() == b.len() {
        None
    } else {
        Some(a.len() < b.len())
    }
}

/// Each (group, kind)'s rank among them: how many sort before it.
const fn ranks<const N: usize>(group_kind: &[(&str, &str)]) -> [u16; N] {
    let mut out = [0u16; N];
    let mut i = 0;
    while i < N {
        let mut j = 0;
        while j < N {
            let (a, b) = (group_kind[j], group_kind[i]);
            let less = match bytes_less(a.0.as_bytes(), b.0.as_bytes()) {
                Some(l) => l,
                None => matches!(bytes_less(a.1.as_bytes(), b.1.as_bytes()), Some(true)),
            };
            if less {
                out[i] += 1;
            }
            j += 1;
        }
        i += 1;
    }
    out
}

impl PartialOrd for Kind {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Kind {
    /// A kind ksim does not model: (API group, kind).
    pub fn other(group: String, kind: String) -> Kind {
        Kind::Other(Box::new((group, kind)))
    }

    pub fn name(&self) -> &str {
        match self {
            Kind::Other(gk) => &gk.1,
            k => k.static_name(),
        }
    }

    /// The API group (`""` for core, `apps`, …).
    pub fn group(&self) -> &str {
        match self {
            Kind::Other(gk) => &gk.0,
            k => split_api_version(k.api_version()).0,
        }
    }

    /// The lower-case plural resource name (`pods`, `replicasets`), as in API errors.
    pub fn resource(&self) -> String {
        if let Some(p) = self.modelled_plural() {
            return p.to_string();
        }
        let k = self.name().to_ascii_lowercase();
        // The plurals of the known kinds (their RESTMapper names): Endpoints is its own
        // plural; -s takes -es (ingresses, storageclasses), consonant + y takes -ies.
        if k == "endpoints" {
            k
        } else if k.ends_with('s') {
            format!("{k}es")
        } else if let Some(stem) = k.strip_suffix('y') {
            format!("{stem}ies")
        } else {
            format!("{k}s")
        }
    }

    pub fn namespaced(&self) -> bool {
        match self {
            Kind::Other(gk) => !CLUSTER_SCOPED.iter().any(|(cg, ck)| *cg == gk.0 && *ck == gk.1),
            k => k.modelled_namespaced().unwrap_or(true),
        }
    }

    /// Parses what a user types (`pod`, `pods`, `po`, `deploy`, `Deployment`, `rs`, `no`).
    pub fn from_user(s: &str) -> Option<Kind> {
        let s = s.to_ascii_lowercase();
        if let Some(k) = Kind::modelled_from_user(&s) {
            return Some(k);
        }
        // Known but unmodelled kinds: by kind name, singular or plural resource.
        let (g, k, _) = KNOWN_UNMODELLED.iter().find(|(g, k, _)| {
            let kind = Kind::other(g.to_string(), k.to_string());
            k.to_ascii_lowercase() == s || kind.resource() == s
        })?;
        Some(Kind::other(g.to_string(), k.to_string()))
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Cluster-scoped kinds among the known-but-unmodelled ones.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("scheduling.k8s.io", "PriorityClass"),
    ("networking.k8s.io", "IngressClass"),
    ("rbac.authorization.k8s.io", "ClusterRole"),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding"),
    ("apiextensions.k8s.io", "CustomResourceDefinition"),
    ("gateway.networking.k8s.io", "GatewayClass"),
    ("snapshot.storage.k8s.io", "VolumeSnapshotClass"),
    ("node.k8s.io", "RuntimeClass"),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration"),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration"),
    ("networking.k8s.io", "ServiceCIDR"),
];

/// Kubernetes kinds ksim knows but does not simulate (yet), by group, with the versions
/// the apiserver serves (or served: removed versions are accepted with a warning so
/// manifests from older documentation still load).
pub const KNOWN_UNMODELLED: &[(&str, &str, &[&str])] = &[
    ("", "ServiceAccount", &["v1"]),
    ("", "PodTemplate", &["v1"]),
    ("apps", "StatefulSet", &["v1beta1", "v1beta2"]),
    ("batch", "CronJob", &["v1beta1"]),
    // Modelled in v2 (v1 converted); the removed versions are reported as such.
    ("autoscaling", "HorizontalPodAutoscaler", &["v2beta1", "v2beta2"]),
    ("scheduling.k8s.io", "PriorityClass", &["v1", "v1beta1"]),
    ("networking.k8s.io", "ServiceCIDR", &["v1", "v1beta1"]),
    // Modelled in v1; the removed version is reported as such.
    ("networking.k8s.io", "Ingress", &["v1beta1"]),
    ("networking.k8s.io", "IngressClass", &["v1beta1"]),
    ("storage.k8s.io", "StorageClass", &["v1beta1"]),
    ("node.k8s.io", "RuntimeClass", &["v1"]),
    ("rbac.authorization.k8s.io", "Role", &["v1"]),
    ("rbac.authorization.k8s.io", "RoleBinding", &["v1"]),
    ("rbac.authorization.k8s.io", "ClusterRole", &["v1"]),
    ("rbac.authorization.k8s.io", "ClusterRoleBinding", &["v1"]),
    ("apiextensions.k8s.io", "CustomResourceDefinition", &["v1"]),
    ("admissionregistration.k8s.io", "ValidatingAdmissionPolicy", &["v1"]),
    ("admissionregistration.k8s.io", "ValidatingWebhookConfiguration", &["v1"]),
    ("admissionregistration.k8s.io", "MutatingWebhookConfiguration", &["v1"]),
    ("gateway.networking.k8s.io", "Gateway", &["v1", "v1beta1"]),
    ("gateway.networking.k8s.io", "GatewayClass", &["v1", "v1beta1"]),
    ("gateway.networking.k8s.io", "HTTPRoute", &["v1", "v1beta1"]),
    ("gateway.networking.k8s.io", "GRPCRoute", &["v1"]),
    ("snapshot.storage.k8s.io", "VolumeSnapshot", &["v1"]),
    ("snapshot.storage.k8s.io", "VolumeSnapshotClass", &["v1"]),
    // Chaos Mesh's CRDs: PodChaos is injected (faults/chaos_mesh.rs), the others stored.
    ("chaos-mesh.org", "PodChaos", &["v1alpha1"]),
    ("chaos-mesh.org", "NetworkChaos", &["v1alpha1"]),
    ("chaos-mesh.org", "StressChaos", &["v1alpha1"]),
    ("chaos-mesh.org", "IOChaos", &["v1alpha1"]),
    ("chaos-mesh.org", "TimeChaos", &["v1alpha1"]),
    ("chaos-mesh.org", "Schedule", &["v1alpha1"]),
    ("chaos-mesh.org", "Workflow", &["v1alpha1"]),
];

/// Versions that the current apiserver no longer serves (accepted with a warning).
pub const REMOVED_VERSIONS: &[(&str, &str)] = &[
    ("apps/v1beta1", "removed in v1.16"),
    ("apps/v1beta2", "removed in v1.16"),
    ("batch/v1beta1", "removed in v1.25"),
    ("policy/v1beta1", "removed in v1.25"),
    ("networking.k8s.io/v1beta1", "removed in v1.22"),
    ("scheduling.k8s.io/v1beta1", "removed in v1.22"),
    ("storage.k8s.io/v1beta1", "removed in v1.22"),
    ("autoscaling/v2beta1", "removed in v1.25"),
    ("autoscaling/v2beta2", "removed in v1.26"),
    ("gateway.networking.k8s.io/v1beta1", "deprecated"),
    ("networking.k8s.io/v1beta1", "removed in v1.22"),
];

/// Splits `apps/v1` into ("apps", "v1") and `v1` into ("", "v1").
pub fn split_api_version(api_version: &str) -> (&str, &str) {
    match api_version.split_once('/') {
        Some((g, v)) => (g, v),
        None => ("", api_version),
    }
}

/// What an (apiVersion, kind) pair resolves to.
#[derive(Debug, PartialEq, Eq)]
pub enum KindLookup {
    Modelled(Kind),
    /// Known, not simulated; `Some(note)` when the version is removed upstream.
    Unmodelled(Kind, Option<&'static str>),
    NoMatch,
}

pub fn lookup_kind(api_version: &str, kind: &str) -> KindLookup {
    if let Some(k) = Kind::modelled(api_version, kind) {
        return KindLookup::Modelled(k);
    }
    // autoscaling/v1's HorizontalPodAutoscaler converts to v2 (horizontal_pod_autoscaler.rs).
    if api_version == "autoscaling/v1" && kind == "HorizontalPodAutoscaler" {
        return KindLookup::Modelled(Kind::HorizontalPodAutoscaler);
    }
    let (group, version) = split_api_version(api_version);
    for (g, k, versions) in KNOWN_UNMODELLED {
        if *g == group && *k == kind && versions.contains(&version) {
            let note = REMOVED_VERSIONS.iter().find(|(v, _)| *v == api_version).map(|(_, n)| *n);
            return KindLookup::Unmodelled(Kind::other(group.to_string(), kind.to_string()), note);
        }
    }
    KindLookup::NoMatch
}

/// An object of a kind ksim does not model: its metadata typed, the rest kept as JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Unstructured {
    pub api_version: String,
    pub kind: String,
    pub metadata: ObjectMeta,
    #[serde(flatten)]
    pub rest: BTreeMap<String, Value>,
}

/// Where an object lives: (kind, namespace, name). Ordered, so listings are stable.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ObjectKey {
    pub kind: Kind,
    pub namespace: String,
    pub name: String,
}

impl ObjectKey {
    pub fn new(kind: Kind, namespace: &str, name: &str) -> Self {
        ObjectKey { kind, namespace: namespace.to_string(), name: name.to_string() }
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.namespace.is_empty() {
            write!(f, "{} {}", self.kind, self.name)
        } else {
            write!(f, "{} {}/{}", self.kind, self.namespace, self.name)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A kind prints as the derived `Debug` of the two-string `Other` printed it, and
    /// stays two words.
    #[test]
    fn a_kind_is_small_and_prints_as_before() {
        assert_eq!(format!("{:?}", Kind::other("example.com".into(), "Widget".into())), r#"Other("example.com", "Widget")"#);
        assert_eq!(format!("{:?}", Kind::ReplicaSet), "ReplicaSet");
        assert_eq!(format!("{:?}", Some(Kind::Pod)), "Some(Pod)");
        #[cfg(target_pointer_width = "64")]
        assert_eq!(std::mem::size_of::<Kind>(), 16);
    }

    /// Every pair of kinds, modelled (compared by a precomputed rank) or not.
    #[test]
    fn kinds_compare_as_their_group_and_name() {
        let other = Kind::other("example.com".into(), "Widget".into());
        let core = Kind::other(String::new(), "Binding".into());
        let mut all: Vec<Kind> = Kind::MODELLED.to_vec();
        all.push(other);
        all.push(core);
        for a in &all {
            for b in &all {
                assert_eq!(a.cmp(b), (a.group(), a.name()).cmp(&(b.group(), b.name())), "{a:?} vs {b:?}");
            }
        }
    }

    #[test]
    fn kinds_resolve_like_the_apiserver() {
        assert_eq!(lookup_kind("apps/v1", "Deployment"), KindLookup::Modelled(Kind::Deployment));
        assert_eq!(lookup_kind("extensions/v1beta1", "Deployment"), KindLookup::NoMatch);
        assert_eq!(lookup_kind("apps/v1", "Foo"), KindLookup::NoMatch);
        assert!(matches!(lookup_kind("batch/v1beta1", "CronJob"), KindLookup::Unmodelled(_, Some(_))));
        assert!(matches!(lookup_kind("v1", "ServiceAccount"), KindLookup::Unmodelled(_, None)));
        assert_eq!(Kind::other("networking.k8s.io".into(), "Ingress".into()).resource(), "ingresses");
        assert_eq!(Kind::other("networking.k8s.io".into(), "NetworkPolicy".into()).resource(), "networkpolicies");
        assert!(!Kind::StorageClass.namespaced());
        assert!(!Kind::PersistentVolume.namespaced() && Kind::PersistentVolumeClaim.namespaced());
        assert_eq!(Kind::from_user("pvc"), Some(Kind::PersistentVolumeClaim));
        assert_eq!(
            lookup_kind("storage.k8s.io/v1beta1", "StorageClass"),
            KindLookup::Unmodelled(Kind::other("storage.k8s.io".into(), "StorageClass".into()), Some("removed in v1.22"))
        );
        assert_eq!(Kind::from_user("configmaps"), Some(Kind::ConfigMap));
        assert_eq!(Kind::from_user("serviceaccounts"), Some(Kind::other("".into(), "ServiceAccount".into())));
        assert_eq!(Kind::from_user("StatefulSet"), Some(Kind::StatefulSet));
        assert_eq!(Kind::from_user("gizmos"), None);
        // Endpoints is its own plural (`endpoints "web" already exists`, not "endpointses").
        assert_eq!(Kind::Endpoints.resource(), "endpoints");
        assert_eq!(crate::apiserver::qualified_resource(&Kind::Endpoints), "endpoints");
        assert_eq!(Kind::from_user("endpoints"), Some(Kind::Endpoints));
        assert_eq!(Kind::from_user("ep"), Some(Kind::Endpoints));
        assert_eq!(Kind::from_user("endpointslices"), Some(Kind::EndpointSlice));
        assert_eq!(crate::apiserver::qualified_resource(&Kind::EndpointSlice), "endpointslices.discovery.k8s.io");
        assert_eq!(crate::apiserver::qualified_resource(&Kind::Deployment), "deployments.apps");
        assert_eq!(crate::apiserver::qualified_resource(&Kind::Lease), "leases.coordination.k8s.io");
        assert_eq!(Kind::from_user("deploy"), Some(Kind::Deployment));
        assert_eq!(Kind::from_user("Deployment"), Some(Kind::Deployment));
    }

    /// Kinds order by (group, kind name), whatever the enum's order, so that adding a kind
    /// never reorders a walk over the store (a namespace's content is deleted in this order).
    #[test]
    fn kinds_order_by_group_then_name() {
        let mut ks =
            [Kind::Pod, Kind::Deployment, Kind::other("batch".into(), "Job".into()), Kind::Event, Kind::other("".into(), "ConfigMap".into()), Kind::Lease];
        ks.sort();
        let names: Vec<String> = ks.iter().map(|k| format!("{}/{}", k.group(), k.name())).collect();
        assert_eq!(names, ["/ConfigMap", "/Event", "/Pod", "apps/Deployment", "batch/Job", "coordination.k8s.io/Lease"]);
    }

    /// The ranks made at compile time order every pair of modelled kinds as their
    /// (group, name) strings do, and each equals an `Other` of the same strings.
    #[test]
    fn compile_time_ranks_are_the_strings_order() {
        for a in Kind::MODELLED {
            assert_eq!(a.group(), split_api_version(a.api_version()).0);
            for b in Kind::MODELLED {
                let strings = (a.group(), a.name()).cmp(&(b.group(), b.name()));
                assert_eq!(a.cmp(b), strings, "{a:?} {b:?}");
                assert_eq!(a.cmp(&Kind::other(b.group().into(), b.name().into())), strings, "{a:?} {b:?}");
            }
        }
        let mut ranks: Vec<u16> = Kind::MODELLED.iter().map(|k| k.modelled_rank().expect("modelled")).collect();
        ranks.sort_unstable();
        assert_eq!(ranks, (0..Kind::MODELLED.len() as u16).collect::<Vec<_>>(), "one rank each");
    }

    proptest::proptest! {
        /// A walk for ascending names finds what a lookup each finds, in order: names
        /// held or not, neighbours or far apart (more than a walk's steps), short or
        /// longer than a key holds inline, in a namespace held or not.
        #[test]
        fn get_ascending_is_a_get_each(
            held in proptest::collection::btree_set(("[ab]", "[a-c]{1,3}", proptest::bool::weighted(0.1)), 0..60),
            asked in proptest::collection::btree_set(("[a-c]{1,3}", proptest::bool::weighted(0.1)), 0..40),
            ns in "[abc]",
        ) {
            let long = |n: &str, l: bool| if l { format!("{n}-{}", "x".repeat(50)) } else { n.to_string() };
            let mut map = ObjectMap::default();
            for (i, (n, name, l)) in held.iter().enumerate() {
                map.insert(n, &long(name, *l), i);
            }
            let mut asked: Vec<String> = asked.iter().map(|(n, l)| long(n, *l)).collect();
            asked.sort();
            asked.dedup();
            let mut walked = Vec::new();
            map.get_ascending(&ns, asked.iter().map(String::as_str), |v| walked.push(*v));
            let each: Vec<usize> = asked.iter().filter_map(|n| map.get(&ns, n).copied()).collect();
            proptest::prop_assert_eq!(walked, each);
        }
    }

    /// Names far apart (more than a walk's steps), absent ones between and after the
    /// last held, and names longer than a key holds inline.
    #[test]
    fn get_ascending_finds_far_apart_and_long_names() {
        let long = |n: &str| format!("{n}-{}", "x".repeat(50));
        let mut map = ObjectMap::default();
        for i in 0..100 {
            map.insert("ns", &format!("n{i:02}"), i);
        }
        map.insert("ns", &long("n50"), 1000);
        map.insert("ns", &long("n99"), 1001);
        let asked = ["n00".to_string(), "n01".into(), "n50".into(), long("n50"), "n505".into(), "n98".into(), "n99".into(), long("n99"), "n999".into()];
        let mut walked = Vec::new();
        map.get_ascending("ns", asked.iter().map(String::as_str), |v| walked.push(*v));
        assert_eq!(walked, [0, 1, 50, 1000, 98, 99, 1001]);
        walked.clear();
        map.get_ascending("other", asked.iter().map(String::as_str), |v| walked.push(*v));
        assert!(walked.is_empty());
    }
}

/// Objects of one kind by namespace, then name: lookups by `&str` (without allocating,
/// for names of up to 46 bytes: [`NameKey`]), iteration in (namespace, name) order, and
/// a cheap per-namespace listing.
#[derive(Clone, Debug)]
pub struct ObjectMap<V> {
    by_ns: std::collections::BTreeMap<String, std::collections::BTreeMap<NameKey, V>>,
    len: usize,
}

impl<V> Default for ObjectMap<V> {
    fn default() -> Self {
        ObjectMap { by_ns: Default::default(), len: 0 }
    }
}

impl<V> ObjectMap<V> {
    pub fn get(&self, namespace: &str, name: &str) -> Option<&V> {
        self.by_ns.get(namespace)?.get(&NameKey::new(name))
    }
    pub fn get_mut(&mut self, namespace: &str, name: &str) -> Option<&mut V> {
        self.by_ns.get_mut(namespace)?.get_mut(&NameKey::new(name))
    }
    pub fn contains(&self, namespace: &str, name: &str) -> bool {
        self.get(namespace, name).is_some()
    }
    /// Inserts, returning the previous value.
    pub fn insert(&mut self, namespace: &str, name: &str, v: V) -> Option<V> {
        let inner = match self.by_ns.get_mut(namespace) {
            Some(m) => m,
            None => self.by_ns.entry(namespace.to_string()).or_default(),
        };
        let prev = match inner.entry(NameKey::new(name)) {
            std::collections::btree_map::Entry::Occupied(mut slot) => Some(slot.insert(v)),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(v);
                None
            }
        };
        if prev.is_none() {
            self.len += 1;
        }
        prev
    }
    /// Inserts unless the name is taken (then gives `v` back): one descent of the tree
    /// where `contains` then `insert` make three.
    pub fn insert_new(&mut self, namespace: &str, name: &str, v: V) -> Result<(), V> {
        let inner = match self.by_ns.get_mut(namespace) {
            Some(m) => m,
            None => self.by_ns.entry(namespace.to_string()).or_default(),
        };
        match inner.entry(NameKey::new(name)) {
            std::collections::btree_map::Entry::Occupied(_) => Err(v),
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(v);
                self.len += 1;
                Ok(())
            }
        }
    }
    pub fn remove(&mut self, namespace: &str, name: &str) -> Option<V> {
        let inner = self.by_ns.get_mut(namespace)?;
        let v = inner.remove(&NameKey::new(name))?;
        if inner.is_empty() {
            self.by_ns.remove(namespace);
        }
        self.len -= 1;
        Some(v)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.by_ns.values().flat_map(|m| m.values())
    }
    /// The values named `names` in `namespace` that the map holds, in the names' order,
    /// which must ascend (as a sorted set of names iterates). Names that are neighbours
    /// in the map — a controller's pods, named after it — are found by stepping through
    /// the map's entries in order from where the last name's search stopped, a few
    /// steps at most, rather than by a descent each (in the 2018 trace's replay a Job's
    /// sync made one for each of its pods through the cache of all the cluster's pods,
    /// tens of thousands, several cache misses a descent). Reads every name, held or
    /// not, so a caller may draw `names` from an iterator it goes on with.
    pub fn get_ascending<'a, 'n>(&'a self, namespace: &str, names: impl IntoIterator<Item = &'n str>, mut found: impl FnMut(&'a V)) {
        /// How far a walk goes for the next name before it descends again.
        const STEPS: usize = 8;
        let Some(inner) = self.by_ns.get(namespace) else { return names.into_iter().for_each(drop) };
        let mut walk: Option<std::iter::Peekable<std::collections::btree_map::Range<'a, NameKey, V>>> = None;
        let mut last: Option<NameKey> = None;
        for name in names {
            let key = NameKey::new(name);
            debug_assert!(last.as_ref().is_none_or(|l| *l < key), "names ascend: {last:?} then {key:?}");
            // Every entry left in the walk comes after the previous name, which comes
            // before this one: an entry past this name, or none, means it is absent.
            let mut step = None;
            if let Some(w) = walk.as_mut() {
                for _ in 0..STEPS {
                    match w.peek().map(|(k, v)| ((*k).cmp(&key), *v)) {
                        Some((std::cmp::Ordering::Less, _)) => {
                            w.next();
                        }
                        Some((std::cmp::Ordering::Equal, v)) => {
                            w.next();
                            step = Some(Some(v));
                            break;
                        }
                        Some((std::cmp::Ordering::Greater, _)) | None => {
                            step = Some(None);
                            break;
                        }
                    }
                }
            }
            let v = match step {
                Some(v) => v,
                None => {
                    let w = walk.insert(inner.range(&key..).peekable());
                    w.next_if(|(k, _)| **k == key).map(|(_, v)| v)
                }
            };
            if let Some(v) = v {
                found(v);
            }
            if cfg!(debug_assertions) {
                last = Some(key);
            }
        }
    }
    pub fn in_namespace<'a>(&'a self, namespace: &str) -> impl Iterator<Item = &'a V> + 'a {
        self.by_ns.get(namespace).into_iter().flat_map(|m| m.values())
    }
    pub fn len(&self) -> usize {
        self.len
    }
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}
