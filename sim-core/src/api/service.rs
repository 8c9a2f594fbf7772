//! Service (core/v1). Defaulted, validated and given its ClusterIP and NodePorts by the
//! apiserver (apiserver/service_alloc.rs); endpoints come with the EndpointSlice controller.

use super::meta::{IntOrString, ObjectMeta};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

type Opaque = Option<Box<Value>>;

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Service {
    #[serde(default)]
    pub api_version: String,
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub metadata: ObjectMeta,
    #[serde(default)]
    pub spec: ServiceSpec,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServiceSpec {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<ServicePort>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<BTreeMap<String, String>>,
    #[serde(rename = "clusterIP", default, skip_serializing_if = "String::is_empty")]
    pub cluster_ip: String,
    #[serde(rename = "clusterIPs", default, skip_serializing_if = "Vec::is_empty")]
    pub cluster_ips: Vec<String>,
    #[serde(rename = "type", default, skip_serializing_if = "String::is_empty")]
    pub type_: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub publish_not_ready_addresses: Option<bool>,
    #[serde(rename = "externalIPs", default, skip_serializing_if = "Option::is_none")]
    pub external_ips: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_affinity_config: Opaque,
    #[serde(rename = "loadBalancerIP", default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_ip: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_source_ranges: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancer_class: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub external_traffic_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internal_traffic_policy: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_node_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_families: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_family_policy: Option<String>,
    /// Removed in Kubernetes 1.20 (replaced by ipFamilies); accepted with a warning so
    /// manifests from older documentation load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ip_family: Opaque,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allocate_load_balancer_node_ports: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub traffic_distribution: Opaque,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ServicePort {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub protocol: Option<String>,
    pub port: i32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_port: Option<IntOrString>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub node_port: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub app_protocol: Option<String>,
}

/// pkg/api/service/util.go and the registry's helpers, in one place.
impl ServiceSpec {
    /// needsNodePort: NodePort and LoadBalancer Services hold NodePorts.
    pub fn needs_node_port(&self) -> bool {
        matches!(self.type_.as_str(), "NodePort" | "LoadBalancer")
    }

    /// ExternallyAccessible: reachable from outside the cluster (a NodePort, a load
    /// balancer, or a ClusterIP Service with external IPs).
    pub fn externally_accessible(&self) -> bool {
        self.needs_node_port() || (self.type_ == "ClusterIP" && self.external_ips.as_ref().is_some_and(|v| !v.is_empty()))
    }

    /// NeedsHealthCheck: a LoadBalancer with externalTrafficPolicy Local.
    pub fn needs_health_check(&self) -> bool {
        self.type_ == "LoadBalancer" && self.external_traffic_policy.as_deref() == Some("Local")
    }
}

impl Service {
    /// spec.type, "ClusterIP" when unset (the v1 default).
    pub fn type_name(&self) -> &str {
        if self.spec.type_.is_empty() {
            "ClusterIP"
        } else {
            &self.spec.type_
        }
    }

    /// The load balancer's ingress points from status.loadBalancer.ingress (ip, else hostname).
    pub fn load_balancer_ingress(&self) -> Vec<String> {
        load_balancer_ingress(self.status.as_deref())
    }
}

/// status.loadBalancer.ingress of a Service or an Ingress: each point's ip, else hostname.
pub fn load_balancer_ingress(status: Option<&Value>) -> Vec<String> {
    let ingress = status.and_then(|s| s.pointer("/loadBalancer/ingress")).and_then(Value::as_array);
    ingress.into_iter().flatten().filter_map(|i| i.get("ip").or_else(|| i.get("hostname")).and_then(Value::as_str).map(str::to_string)).collect()
}
