//! NetworkPolicy (networking.k8s.io/v1; pkg/apis/networking/types.go) and which
//! connections it allows, as the API documents it (what every conforming CNI enforces):
//!
//! - a pod is isolated for ingress (egress) when some policy of its namespace selects it
//!   (`podSelector`) and lists `Ingress` (`Egress`) in its policyTypes — by default
//!   `Ingress`, and `Egress` too when the policy has egress rules;
//! - an isolated pod accepts (sends) a connection only if some selecting policy has a
//!   rule whose peers include the other end (none listed: any) and whose ports include
//!   the destination port (none listed: all) — rules add up, they never deny;
//! - a peer is `podSelector` (pods of the policy's namespace), `namespaceSelector` (all
//!   pods of the selected namespaces, by their labels — `kubernetes.io/metadata.name` is
//!   the name), both (those pods in those namespaces), or `ipBlock` (addresses in the
//!   CIDR, outside its `except`s);
//! - a port is a number or a container port's name (of the destination pod), a protocol
//!   (TCP by default), and `endPort` for a range.
//!
//! Both ends must allow a connection between two pods: the source's egress, the
//! destination's ingress.

use super::meta::{IntOrString, LabelSelector, Labels, ObjectMeta};
use serde::{Deserialize, Serialize};

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicy {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: NetworkPolicySpec,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NetworkPolicySpec {
    #[serde(default)]
    pub pod_selector: LabelSelector,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<IngressRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<EgressRule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub policy_types: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IngressRule {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PolicyPort>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub from: Vec<Peer>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct EgressRule {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<PolicyPort>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub to: Vec<Peer>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Peer {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pod_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace_selector: Option<LabelSelector>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_block: Option<IpBlock>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct IpBlock {
    pub cidr: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PolicyPort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub port: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_port: Option<i32>,
}

/// One end of a connection, as policies see it.
#[derive(Clone, Debug)]
pub struct End<'a> {
    pub ip: u32,
    /// The pod at this end (its namespace and labels), or None for a node or an address
    /// outside the cluster's pods.
    pub pod: Option<(&'a str, &'a Labels)>,
}

impl NetworkPolicy {
    /// The policyTypes in effect (the defaulting of an empty list: Ingress, plus Egress
    /// when there are egress rules).
    pub fn types(&self) -> (bool, bool) {
        if self.spec.policy_types.is_empty() {
            (true, !self.spec.egress.is_empty())
        } else {
            (self.spec.policy_types.iter().any(|t| t == "Ingress"), self.spec.policy_types.iter().any(|t| t == "Egress"))
        }
    }

    /// Whether it selects a pod (of its namespace).
    pub fn selects(&self, namespace: &str, labels: &Labels) -> bool {
        self.metadata.namespace == namespace && self.spec.pod_selector.matches(labels)
    }
}

impl Peer {
    /// Whether `other` is one of this peer's, for a policy of `policy_ns`;
    /// `ns_labels(ns)` gives a namespace's labels.
    pub fn includes(&self, other: &End, policy_ns: &str, ns_labels: &dyn Fn(&str) -> Option<Labels>) -> bool {
        if let Some(b) = &self.ip_block {
            let Ok(c) = crate::network::ipam::Cidr::parse(&b.cidr) else { return false };
            return c.contains(other.ip) && !b.except.iter().filter_map(|e| crate::network::ipam::Cidr::parse(e).ok()).any(|e| e.contains(other.ip));
        }
        let Some((ns, labels)) = other.pod else { return false };
        let ns_ok = match &self.namespace_selector {
            Some(sel) => ns_labels(ns).is_some_and(|l| sel.matches(&l)),
            None => ns == policy_ns,
        };
        ns_ok && self.pod_selector.as_ref().is_none_or(|sel| sel.matches(labels))
    }
}

impl PolicyPort {
    /// Whether it covers `port`/`protocol` on the destination pod, whose container ports
    /// are `named` (name → number).
    pub fn covers(&self, port: i32, protocol: &str, named: &dyn Fn(&str) -> Option<i32>) -> bool {
        if self.protocol.as_deref().unwrap_or("TCP") != protocol {
            return false;
        }
        match &self.port {
            None => true,
            Some(IntOrString::Int(p)) => match self.end_port {
                Some(end) => (*p..=end).contains(&port),
                None => *p == port,
            },
            Some(IntOrString::String(name)) => named(name) == Some(port),
        }
    }
}

/// Whether a rule with these ports lets `port` through (none listed: all).
pub fn ports_allow(ports: &[PolicyPort], port: i32, protocol: &str, named: &dyn Fn(&str) -> Option<i32>) -> bool {
    ports.is_empty() || ports.iter().any(|p| p.covers(port, protocol, named))
}
