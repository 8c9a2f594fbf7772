//! Which endpoints a node's kube-proxy sends a Service port's traffic to:
//! pkg/proxy/topology.go (CategorizeEndpoints, topologyModeFromHints,
//! availableForTopology).
//!
//! Cluster traffic goes to the Ready endpoints (only those hinted for this node's zone
//! when every Ready endpoint carries zone hints and one is for this zone), else to the
//! serving terminating ones; Local traffic to this node's Ready endpoints, else to its
//! serving terminating ones. Zone hints come from the EndpointSlice controller for
//! `trafficDistribution: PreferClose`; node hints (PreferSameNode, a newer feature gate)
//! are not modelled: ksim's controller writes none.

use super::endpoints::{EndpointInfo, ServicePortInfo};

/// What CategorizeEndpoints returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Categorized {
    /// None when the Service port does not use Cluster endpoints.
    pub cluster: Option<Vec<EndpointInfo>>,
    /// None when it does not use Local endpoints.
    pub local: Option<Vec<EndpointInfo>>,
    /// Every endpoint some traffic policy of the Service may use on this node.
    pub all_reachable: Vec<EndpointInfo>,
    /// Whether the Service has a usable (ready, or serving and terminating) endpoint
    /// anywhere in the cluster.
    pub has_any: bool,
}

/// topologyModeFromHints: "PreferClose" when every Ready endpoint has zone hints and one
/// of them is for `zone`; "" (no filtering) otherwise.
fn topology_mode_from_hints(endpoints: &[EndpointInfo], zone: &str) -> &'static str {
    let mut has_endpoint_for_zone = false;
    for ep in endpoints.iter().filter(|e| e.ready) {
        match &ep.zone_hints {
            Some(z) if !z.is_empty() => {
                if z.iter().any(|x| x == zone) {
                    has_endpoint_for_zone = true;
                }
            }
            // "Skipping topology aware endpoint filtering since one or more endpoints is
            // missing a zone hint".
            _ => return "",
        }
    }
    if has_endpoint_for_zone {
        "PreferClose"
    } else {
        ""
    }
}

fn available_for_topology(ep: &EndpointInfo, mode: &str, zone: &str) -> bool {
    match mode {
        "" => true,
        _ => ep.zone_hints.as_ref().is_some_and(|z| z.iter().any(|x| x == zone)),
    }
}

/// CategorizeEndpoints for a node in `zone` ("" when the node has no zone label).
pub fn categorize(endpoints: &[EndpointInfo], svc: &ServicePortInfo, zone: &str) -> Categorized {
    let mut out = Categorized::default();
    let mut mode = "";
    let mut use_serving_terminating = false;
    if svc.uses_cluster_endpoints() {
        mode = topology_mode_from_hints(endpoints, zone);
        let mut cluster: Vec<EndpointInfo> = endpoints.iter().filter(|e| e.ready && available_for_topology(e, mode, zone)).cloned().collect();
        // "If we didn't get any endpoints, try again using terminating endpoints."
        if cluster.is_empty() {
            cluster = endpoints.iter().filter(|e| e.serving && e.terminating).cloned().collect();
        }
        out.has_any = !cluster.is_empty();
        out.cluster = Some(cluster);
    }
    if !svc.uses_local_endpoints() {
        out.all_reachable = out.cluster.clone().unwrap_or_default();
        return out;
    }
    let (mut local_ready, mut local_serving_terminating) = (false, false);
    for e in endpoints {
        if e.ready {
            out.has_any = true;
            local_ready |= e.local;
        } else if e.serving && e.terminating {
            out.has_any = true;
            local_serving_terminating |= e.local;
        }
    }
    let local: Vec<EndpointInfo> = if local_ready {
        endpoints.iter().filter(|e| e.local && e.ready).cloned().collect()
    } else if local_serving_terminating {
        use_serving_terminating = true;
        endpoints.iter().filter(|e| e.local && e.serving && e.terminating).cloned().collect()
    } else {
        Vec::new()
    };
    out.local = Some(local);
    let Some(cluster) = &out.cluster else {
        out.all_reachable = out.local.clone().unwrap_or_default();
        return out;
    };
    if mode.is_empty() && !use_serving_terminating {
        // The cluster endpoints are every Ready endpoint: a superset of the local ones.
        out.all_reachable = cluster.clone();
        return out;
    }
    // Both sets, each endpoint once.
    let mut all = cluster.clone();
    for e in out.local.iter().flatten() {
        if !all.iter().any(|x| x.addr() == e.addr()) {
            all.push(e.clone());
        }
    }
    out.all_reachable = all;
    out
}

#[cfg(test)]
mod tests;
