//! What kube-proxy knows of Services and their endpoints, as pkg/proxy builds it:
//!
//! - `service_ports`: pkg/proxy/servicechangetracker.go and serviceport.go
//!   (newBaseServiceInfo; ShouldSkipService in pkg/proxy/util/utils.go): a Service
//!   without a ClusterIP (headless) or of type ExternalName is not proxied; each port is
//!   a `ServicePortName` (`ns/name:port`, the `:port` left out when the port has no name).
//! - `endpoints_by_port`: pkg/proxy/endpointslicecache.go (addEndpoints,
//!   endpointsMapFromEndpointInfo): the slices labelled with the Service's name are
//!   merged per (port name, protocol); an endpoint is its first address and the slice
//!   port's number; unset `ready`/`serving` mean true, unset `terminating` false; an
//!   endpoint listed twice is kept once (the local copy preferred); each port's list is
//!   sorted by `IP:port` as a string (byEndpoint).

use crate::api::endpoints::EndpointSlice;
use crate::api::service::Service;
use std::collections::BTreeMap;

/// ServicePortName: a Service's port as kube-proxy names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ServicePortName {
    pub namespace: String,
    pub name: String,
    /// The port's name ("" when the Service has a single unnamed port).
    pub port: String,
    pub protocol: String,
}

impl std::fmt::Display for ServicePortName {
    /// ServicePortName.String: `ns/name` and `:port` when the port has a name.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.namespace, self.name)?;
        if !self.port.is_empty() {
            write!(f, ":{}", self.port)?;
        }
        Ok(())
    }
}

/// BaseServicePortInfo: what the proxier programs for one Service port.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServicePortInfo {
    pub cluster_ip: String,
    pub port: i32,
    pub protocol: String,
    /// 0 when the Service has no NodePort for this port.
    pub node_port: i32,
    pub external_ips: Vec<String>,
    pub load_balancer_ips: Vec<String>,
    /// `sessionAffinity: ClientIP`: the timeout in seconds (10800 by default).
    pub session_affinity_seconds: Option<i32>,
    pub internal_policy_local: bool,
    /// externalTrafficPolicy: Local on a Service reachable from outside
    /// (apiservice.ExternalPolicyLocal).
    pub external_policy_local: bool,
    /// 0 when the Service has none.
    pub health_check_node_port: i32,
    /// spec.loadBalancerSourceRanges, trimmed (only the iptables view reads them).
    pub load_balancer_source_ranges: Vec<String>,
}

impl ServicePortInfo {
    /// BaseServicePortInfo.ExternallyAccessible: a NodePort, a load-balancer address or
    /// an external IP.
    pub fn externally_accessible(&self) -> bool {
        self.node_port != 0 || !self.load_balancer_ips.is_empty() || !self.external_ips.is_empty()
    }

    /// UsesClusterEndpoints: "if the internal traffic policy is Cluster, or if it accepts
    /// external traffic at all (even if the external traffic policy is Local, we need
    /// Cluster endpoints to implement short circuiting)".
    pub fn uses_cluster_endpoints(&self) -> bool {
        !self.internal_policy_local || self.externally_accessible()
    }

    /// UsesLocalEndpoints.
    pub fn uses_local_endpoints(&self) -> bool {
        self.internal_policy_local || (self.external_policy_local && self.externally_accessible())
    }
}

/// One endpoint as kube-proxy holds it (BaseEndpointInfo).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EndpointInfo {
    pub ip: String,
    pub port: i32,
    /// On this kube-proxy's node.
    pub local: bool,
    pub ready: bool,
    pub serving: bool,
    pub terminating: bool,
    /// The zones of the endpoint's `hints.forZones` (None: no hints).
    pub zone_hints: Option<Vec<String>>,
    /// The node the endpoint is on (for display; "" when the slice does not say).
    pub node: String,
}

impl EndpointInfo {
    /// Endpoint.String: `IP:port`.
    pub fn addr(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }
}

/// The Service ports kube-proxy programs for one Service (none for a skipped Service).
pub fn service_ports(svc: &Service) -> Vec<(ServicePortName, ServicePortInfo)> {
    let s = &svc.spec;
    // ShouldSkipService.
    if s.cluster_ip.is_empty() || s.cluster_ip == "None" || s.type_ == "ExternalName" {
        return Vec::new();
    }
    let external_ips = s.external_ips.clone().unwrap_or_default();
    let load_balancer_ips: Vec<String> = svc
        .status
        .as_ref()
        .and_then(|st| st.pointer("/loadBalancer/ingress"))
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|i| i.get("ip").and_then(|ip| ip.as_str()).map(str::to_string))
        .collect();
    let internal_policy_local = s.internal_traffic_policy.as_deref() == Some("Local");
    // apiservice.ExternalPolicyLocal.
    let external_policy_local = s.externally_accessible() && s.external_traffic_policy.as_deref() == Some("Local");
    let session_affinity_seconds = (s.session_affinity.as_deref() == Some("ClientIP")).then(|| session_affinity_timeout(svc));
    let source_ranges: Vec<String> = s
        .load_balancer_source_ranges
        .as_deref()
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|r| r.as_str().map(|r| r.trim().to_string()))
        .collect();
    s.ports
        .iter()
        .map(|p| {
            let protocol = p.protocol.clone().unwrap_or_else(|| "TCP".into());
            let name = ServicePortName {
                namespace: svc.metadata.namespace.to_string(),
                name: svc.metadata.name.to_string(),
                port: p.name.clone().unwrap_or_default(),
                protocol: protocol.clone(),
            };
            let info = ServicePortInfo {
                cluster_ip: s.cluster_ip.clone(),
                port: p.port,
                protocol,
                node_port: p.node_port.unwrap_or(0),
                external_ips: external_ips.clone(),
                load_balancer_ips: load_balancer_ips.clone(),
                session_affinity_seconds,
                internal_policy_local,
                external_policy_local,
                health_check_node_port: s.health_check_node_port.unwrap_or(0),
                load_balancer_source_ranges: source_ranges.clone(),
            };
            (name, info)
        })
        .collect()
}

/// sessionAffinityConfig.clientIP.timeoutSeconds, 10800 (3 hours) when unset
/// (DefaultClientIPServiceAffinitySeconds).
fn session_affinity_timeout(svc: &Service) -> i32 {
    svc.spec
        .session_affinity_config
        .as_deref()
        .and_then(|v| v.get("clientIP"))
        .and_then(|c| c.get("timeoutSeconds"))
        .and_then(|t| t.as_i64())
        .and_then(|t| i32::try_from(t).ok())
        .unwrap_or(10800)
}

/// The endpoints of one Service per port name, merged from its slices.
pub fn endpoints_by_port<'a>(svc: &Service, slices: impl Iterator<Item = &'a EndpointSlice>, node: &str) -> BTreeMap<(String, String), Vec<EndpointInfo>> {
    let mut sets: BTreeMap<(String, String), BTreeMap<String, EndpointInfo>> = BTreeMap::new();
    for slice in slices {
        if !slice.is_for(&svc.metadata.namespace, &svc.metadata.name) {
            continue;
        }
        if slice.address_type != "IPv4" {
            continue;
        }
        for port in slice.ports.iter().flatten() {
            let Some(num) = port.port else { continue };
            let key = (port.name.clone().unwrap_or_default(), port.protocol.clone().unwrap_or_else(|| "TCP".into()));
            let set = sets.entry(key).or_default();
            for ep in &slice.endpoints {
                let Some(ip) = ep.addresses.first() else { continue };
                let local = ep.node_name.as_deref() == Some(node);
                let info = EndpointInfo {
                    ip: ip.clone(),
                    port: num,
                    local,
                    ready: ep.conditions.ready.unwrap_or(true),
                    serving: ep.conditions.serving.unwrap_or(true),
                    terminating: ep.conditions.terminating.unwrap_or(false),
                    zone_hints: zone_hints(ep),
                    node: ep.node_name.clone().unwrap_or_default(),
                };
                let addr = info.addr();
                if !set.contains_key(&addr) || local {
                    set.insert(addr, info);
                }
            }
        }
    }
    // BTreeMap<String, _> iterates in byEndpoint's order (String() compared as strings).
    sets.into_iter().map(|(k, set)| (k, set.into_values().collect())).collect()
}

/// `hints.forZones[].name`.
fn zone_hints(ep: &crate::api::endpoints::Endpoint) -> Option<Vec<String>> {
    let zones = ep.hints.as_ref()?.get("forZones")?.as_array()?;
    Some(zones.iter().filter_map(|z| z.get("name")?.as_str().map(str::to_string)).collect())
}
