//! The closed set of kinds ksim models, the `Object` sum type the store holds, and the
//! registry of Kubernetes kinds ksim knows but does not model (kept as unstructured
//! JSON with a warning).

use super::deployment::Deployment;
use super::event::Event;
use super::meta::ObjectMeta;
use super::namespace::{Lease, Namespace};
use super::node::Node;
use super::pod::Pod;
use super::replica_set::ReplicaSet;
use super::service::Service;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::fmt;

/// A kind ksim models, or another known kind (`Other`, kept unstructured).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Namespace,
    Node,
    Pod,
    ReplicaSet,
    Deployment,
    Service,
    Lease,
    Event,
    /// (apiVersion's group, kind)
    Other(String, String),
}

impl Kind {
    pub fn name(&self) -> &str {
        match self {
            Kind::Other(_, k) => k,
            k => k.static_name(),
        }
    }

    /// The kind's name for modelled kinds (`""` for `Other`).
    pub fn static_name(&self) -> &'static str {
        match self {
            Kind::Namespace => "Namespace",
            Kind::Node => "Node",
            Kind::Pod => "Pod",
            Kind::ReplicaSet => "ReplicaSet",
            Kind::Deployment => "Deployment",
            Kind::Service => "Service",
            Kind::Lease => "Lease",
            Kind::Event => "Event",
            Kind::Other(..) => "",
        }
    }

    pub fn api_version(&self) -> &'static str {
        match self {
            Kind::Namespace | Kind::Node | Kind::Pod | Kind::Service | Kind::Event => "v1",
            Kind::ReplicaSet | Kind::Deployment => "apps/v1",
            Kind::Lease => "coordination.k8s.io/v1",
            Kind::Other(..) => "",
        }
    }

    /// The lower-case plural resource name (`pods`, `replicasets`), as in API errors.
    pub fn resource(&self) -> String {
        match self {
            Kind::Other(_, k) => {
                let k = k.to_ascii_lowercase();
                if k.ends_with('s') {
                    format!("{k}es")
                } else if let Some(stem) = k.strip_suffix('y') {
                    format!("{stem}ies")
                } else {
                    format!("{k}s")
                }
            }
            k => format!("{}s", k.name().to_ascii_lowercase()),
        }
    }

    pub fn namespaced(&self) -> bool {
        match self {
            Kind::Namespace | Kind::Node => false,
            Kind::Other(g, k) => !CLUSTER_SCOPED.iter().any(|(cg, ck)| cg == g && ck == k),
            _ => true,
        }
    }

    /// Parses what a user types (`pod`, `pods`, `po`, `deploy`, `Deployment`, `rs`, `no`).
    pub fn from_user(s: &str) -> Option<Kind> {
        Some(match s.to_ascii_lowercase().as_str() {
            "pod" | "pods" | "po" => Kind::Pod,
            "node" | "nodes" | "no" => Kind::Node,
            "namespace" | "namespaces" | "ns" => Kind::Namespace,
            "replicaset" | "replicasets" | "rs" => Kind::ReplicaSet,
            "deployment" | "deployments" | "deploy" => Kind::Deployment,
            "service" | "services" | "svc" => Kind::Service,
            "lease" | "leases" => Kind::Lease,
            "event" | "events" | "ev" => Kind::Event,
            other => {
                // Known but unmodelled kinds: by kind name, singular or plural resource.
                let (g, k, _) = KNOWN_UNMODELLED.iter().find(|(g, k, _)| {
                    let kind = Kind::Other(g.to_string(), k.to_string());
                    k.to_ascii_lowercase() == other || kind.resource() == other
                })?;
                Kind::Other(g.to_string(), k.to_string())
            }
        })
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Cluster-scoped kinds among the known-but-unmodelled ones.
const CLUSTER_SCOPED: &[(&str, &str)] = &[
    ("", "PersistentVolume"),
    ("storage.k8s.io", "StorageClass"),
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
    ("", "ConfigMap", &["v1"]),
    ("", "Secret", &["v1"]),
    ("", "ServiceAccount", &["v1"]),
    ("", "PersistentVolume", &["v1"]),
    ("", "PersistentVolumeClaim", &["v1"]),
    ("", "LimitRange", &["v1"]),
    ("", "ResourceQuota", &["v1"]),
    ("", "ReplicationController", &["v1"]),
    ("", "Endpoints", &["v1"]),
    ("", "PodTemplate", &["v1"]),
    ("apps", "StatefulSet", &["v1", "v1beta1", "v1beta2"]),
    ("apps", "DaemonSet", &["v1", "v1beta2"]),
    ("apps", "ControllerRevision", &["v1"]),
    ("batch", "Job", &["v1"]),
    ("batch", "CronJob", &["v1", "v1beta1"]),
    ("autoscaling", "HorizontalPodAutoscaler", &["v1", "v2", "v2beta1", "v2beta2"]),
    ("policy", "PodDisruptionBudget", &["v1", "v1beta1"]),
    ("scheduling.k8s.io", "PriorityClass", &["v1", "v1beta1"]),
    ("networking.k8s.io", "Ingress", &["v1", "v1beta1"]),
    ("networking.k8s.io", "IngressClass", &["v1", "v1beta1"]),
    ("networking.k8s.io", "NetworkPolicy", &["v1"]),
    ("networking.k8s.io", "ServiceCIDR", &["v1", "v1beta1"]),
    ("discovery.k8s.io", "EndpointSlice", &["v1"]),
    ("storage.k8s.io", "StorageClass", &["v1"]),
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
];

/// Versions that the current apiserver no longer serves (accepted with a warning).
pub const REMOVED_VERSIONS: &[(&str, &str)] = &[
    ("apps/v1beta1", "removed in v1.16"),
    ("apps/v1beta2", "removed in v1.16"),
    ("batch/v1beta1", "removed in v1.25"),
    ("policy/v1beta1", "removed in v1.25"),
    ("networking.k8s.io/v1beta1", "removed in v1.22"),
    ("scheduling.k8s.io/v1beta1", "removed in v1.22"),
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
    let modelled = [
        ("v1", Kind::Namespace),
        ("v1", Kind::Node),
        ("v1", Kind::Pod),
        ("v1", Kind::Service),
        ("v1", Kind::Event),
        ("apps/v1", Kind::ReplicaSet),
        ("apps/v1", Kind::Deployment),
        ("coordination.k8s.io/v1", Kind::Lease),
    ];
    if let Some((_, k)) = modelled.iter().find(|(v, k)| *v == api_version && k.name() == kind) {
        return KindLookup::Modelled(k.clone());
    }
    let (group, version) = split_api_version(api_version);
    for (g, k, versions) in KNOWN_UNMODELLED {
        if *g == group && *k == kind && versions.contains(&version) {
            let note = REMOVED_VERSIONS.iter().find(|(v, _)| *v == api_version).map(|(_, n)| *n);
            return KindLookup::Unmodelled(Kind::Other(group.to_string(), kind.to_string()), note);
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

/// Every object the store can hold.
#[derive(Clone, Debug, PartialEq)]
/// The rarer, larger kinds are boxed so that a `Pod` or an `Event` (the bulk of a big
/// cluster) is not padded to their size.
pub enum Object {
    Namespace(Namespace),
    Node(Box<Node>),
    Pod(Pod),
    ReplicaSet(Box<ReplicaSet>),
    Deployment(Box<Deployment>),
    Service(Box<Service>),
    Lease(Lease),
    Event(Event),
    Unstructured(Unstructured),
}

macro_rules! each_object {
    ($self:expr, $o:ident => $e:expr) => {
        match $self {
            Object::Namespace($o) => $e,
            Object::Node($o) => $e,
            Object::Pod($o) => $e,
            Object::ReplicaSet($o) => $e,
            Object::Deployment($o) => $e,
            Object::Service($o) => $e,
            Object::Lease($o) => $e,
            Object::Event($o) => $e,
            Object::Unstructured($o) => $e,
        }
    };
}

impl Object {
    pub fn kind(&self) -> Kind {
        match self {
            Object::Namespace(_) => Kind::Namespace,
            Object::Node(_) => Kind::Node,
            Object::Pod(_) => Kind::Pod,
            Object::ReplicaSet(_) => Kind::ReplicaSet,
            Object::Deployment(_) => Kind::Deployment,
            Object::Service(_) => Kind::Service,
            Object::Lease(_) => Kind::Lease,
            Object::Event(_) => Kind::Event,
            Object::Unstructured(u) => Kind::Other(split_api_version(&u.api_version).0.to_string(), u.kind.clone()),
        }
    }

    pub fn meta(&self) -> &ObjectMeta {
        each_object!(self, o => &o.metadata)
    }

    pub fn meta_mut(&mut self) -> &mut ObjectMeta {
        each_object!(self, o => &mut o.metadata)
    }

    pub fn key(&self) -> ObjectKey {
        let m = self.meta();
        ObjectKey::new(self.kind(), &m.namespace, &m.name)
    }

    /// Fills apiVersion and kind (as the apiserver does on the way out).
    pub fn set_type_meta(&mut self) {
        let kind = self.kind();
        let (av, k) = (kind.api_version(), kind.static_name());
        match self {
            Object::Unstructured(_) => {}
            Object::Pod(o) => (o.api_version, o.kind) = (av.into(), k.into()),
            Object::Event(o) => (o.api_version, o.kind) = (av.into(), k.into()),
            Object::Namespace(o) => (o.api_version, o.kind) = (av.into(), k.into()),
            Object::Node(o) => (o.api_version, o.kind) = (av.into(), k.into()),
            Object::ReplicaSet(o) => (o.api_version, o.kind) = (av.into(), k.into()),
            Object::Deployment(o) => (o.api_version, o.kind) = (av.into(), k.into()),
            Object::Service(o) => (o.api_version, o.kind) = (av.into(), k.into()),
            Object::Lease(o) => (o.api_version, o.kind) = (av.into(), k.into()),
        }
    }

    pub fn to_json(&self) -> Value {
        let r = each_object!(self, o => serde_json::to_value(o));
        r.unwrap_or(Value::Null)
    }

    pub fn as_pod(&self) -> Option<&Pod> {
        match self {
            Object::Pod(p) => Some(p),
            _ => None,
        }
    }
    pub fn as_node(&self) -> Option<&Node> {
        match self {
            Object::Node(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_replica_set(&self) -> Option<&ReplicaSet> {
        match self {
            Object::ReplicaSet(r) => Some(r),
            _ => None,
        }
    }
    pub fn as_deployment(&self) -> Option<&Deployment> {
        match self {
            Object::Deployment(d) => Some(d),
            _ => None,
        }
    }
    pub fn as_lease(&self) -> Option<&Lease> {
        match self {
            Object::Lease(l) => Some(l),
            _ => None,
        }
    }
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

    #[test]
    fn kinds_resolve_like_the_apiserver() {
        assert_eq!(lookup_kind("apps/v1", "Deployment"), KindLookup::Modelled(Kind::Deployment));
        assert_eq!(lookup_kind("extensions/v1beta1", "Deployment"), KindLookup::NoMatch);
        assert_eq!(lookup_kind("apps/v1", "Foo"), KindLookup::NoMatch);
        assert!(matches!(lookup_kind("batch/v1beta1", "CronJob"), KindLookup::Unmodelled(_, Some(_))));
        assert!(matches!(lookup_kind("v1", "ConfigMap"), KindLookup::Unmodelled(_, None)));
        assert_eq!(Kind::Other("networking.k8s.io".into(), "Ingress".into()).resource(), "ingresses");
        assert_eq!(Kind::Other("networking.k8s.io".into(), "NetworkPolicy".into()).resource(), "networkpolicies");
        assert!(!Kind::Other("storage.k8s.io".into(), "StorageClass".into()).namespaced());
        assert_eq!(Kind::from_user("configmaps"), Some(Kind::Other("".into(), "ConfigMap".into())));
        assert_eq!(Kind::from_user("StatefulSet"), Some(Kind::Other("apps".into(), "StatefulSet".into())));
        assert_eq!(Kind::from_user("gizmos"), None);
    }
}

/// Objects of one kind by namespace, then name: lookups by `&str` without allocating,
/// iteration in (namespace, name) order, and a cheap per-namespace listing.
#[derive(Clone, Debug)]
pub struct ObjectMap<V> {
    by_ns: std::collections::BTreeMap<String, std::collections::BTreeMap<String, V>>,
    len: usize,
}

impl<V> Default for ObjectMap<V> {
    fn default() -> Self {
        ObjectMap { by_ns: Default::default(), len: 0 }
    }
}

impl<V> ObjectMap<V> {
    pub fn get(&self, namespace: &str, name: &str) -> Option<&V> {
        self.by_ns.get(namespace)?.get(name)
    }
    pub fn get_mut(&mut self, namespace: &str, name: &str) -> Option<&mut V> {
        self.by_ns.get_mut(namespace)?.get_mut(name)
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
        let prev = match inner.get_mut(name) {
            Some(slot) => Some(std::mem::replace(slot, v)),
            None => {
                inner.insert(name.to_string(), v);
                None
            }
        };
        if prev.is_none() {
            self.len += 1;
        }
        prev
    }
    pub fn remove(&mut self, namespace: &str, name: &str) -> Option<V> {
        let inner = self.by_ns.get_mut(namespace)?;
        let v = inner.remove(name)?;
        if inner.is_empty() {
            self.by_ns.remove(namespace);
        }
        self.len -= 1;
        Some(v)
    }
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.by_ns.values().flat_map(|m| m.values())
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
