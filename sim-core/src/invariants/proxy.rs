//! `proxy-endpoints-from-slices`: a kube-proxy's rules send a Service port's traffic only
//! to endpoints that some EndpointSlice of that Service listed for that port.
//! Upstream's guarantee: the proxier builds its endpoints map from the EndpointSlice
//! informer alone (pkg/proxy/endpointslicecache.go: updatePending / checkoutChanges →
//! endpointsMapFromEndpointInfo, keyed by the slice's kubernetes.io/service-name label
//! and port name) and programs exactly that map (syncProxyRules); stale rules are ones a
//! slice once listed, never addresses from anywhere else.

use super::Violation;
use crate::api::endpoints::{EndpointSlice, LABEL_SERVICE_NAME};
use crate::engine::SimTime;
use crate::proxy::ProxyView;
use std::collections::BTreeSet;

pub const PROXY_ENDPOINTS_FROM_SLICES: &str = "proxy-endpoints-from-slices";

/// (namespace, service, port name, protocol, `IP:port`).
type Listed = (String, String, String, String, String);

#[derive(Default)]
pub struct ProxyChecker {
    /// Every endpoint some slice has listed (bounded by the pod IPs × the Service ports).
    listed: BTreeSet<Listed>,
}

impl ProxyChecker {
    /// An EndpointSlice written: what it lists now.
    pub fn on_slice(&mut self, s: &EndpointSlice) {
        let Some(svc) = s.metadata.labels.get(LABEL_SERVICE_NAME) else { return };
        for p in s.ports.iter().flatten() {
            let Some(num) = p.port else { continue };
            for e in &s.endpoints {
                if let Some(ip) = e.addresses.first() {
                    self.listed.insert((
                        s.metadata.namespace.to_string(),
                        svc.clone(),
                        p.name.clone().unwrap_or_default(),
                        p.protocol.clone().unwrap_or_else(|| "TCP".into()),
                        format!("{ip}:{num}"),
                    ));
                }
            }
        }
    }

    /// A kube-proxy synced: every endpoint it programmed was listed.
    pub fn on_sync(&self, node: &str, view: &ProxyView, time: SimTime, event: &str) -> Vec<Violation> {
        let mut out = Vec::new();
        for (name, p) in &view.ports {
            for e in &p.endpoints.all_reachable {
                let key = (name.namespace.clone(), name.name.clone(), name.port.clone(), name.protocol.clone(), e.addr());
                if !self.listed.contains(&key) {
                    out.push(Violation {
                        invariant: PROXY_ENDPOINTS_FROM_SLICES,
                        time,
                        event: event.to_string(),
                        objects: vec![format!("kube-proxy/{node}"), format!("service/{}/{}", name.namespace, name.name)],
                        message: format!("{name} is programmed to {} that no EndpointSlice of the Service listed", e.addr()),
                    });
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoints::{Endpoint, EndpointPort};
    use crate::proxy::endpoints::{endpoints_by_port, service_ports};
    use crate::proxy::{topology, ProgrammedPort};

    fn slice(ip: &str) -> EndpointSlice {
        let mut s = EndpointSlice::default();
        s.metadata.namespace = "default".into();
        s.metadata.name = "web-abc".into();
        s.metadata.labels.insert(LABEL_SERVICE_NAME.into(), "web".into());
        s.address_type = "IPv4".into();
        s.ports = Some(vec![EndpointPort { name: Some(String::new()), protocol: Some("TCP".into()), port: Some(8080), app_protocol: None }]);
        s.endpoints = vec![Endpoint { addresses: vec![ip.into()], ..Default::default() }];
        s
    }

    fn view_of(s: &EndpointSlice) -> ProxyView {
        let mut svc = crate::api::service::Service::default();
        svc.metadata.namespace = "default".into();
        svc.metadata.name = "web".into();
        svc.spec.cluster_ip = "10.96.0.10".into();
        svc.spec.ports = vec![crate::api::service::ServicePort { port: 80, ..Default::default() }];
        let by_port = endpoints_by_port(&svc, std::iter::once(s), "n1");
        let mut v = ProxyView::default();
        for (name, info) in service_ports(&svc) {
            let eps = &by_port[&(name.port.clone(), name.protocol.clone())];
            let endpoints = topology::categorize(eps, &info, "");
            v.ports.insert(name, Box::new(ProgrammedPort { info, endpoints }));
        }
        v
    }

    #[test]
    fn fires_on_an_endpoint_no_slice_listed() {
        let mut c = ProxyChecker::default();
        let listed = slice("10.244.1.5");
        c.on_slice(&listed);
        assert!(c.on_sync("n1", &view_of(&listed), SimTime::ZERO, "e").is_empty());
        // A pod IP that a slice has since dropped is still fine (a stale rule)…
        c.on_slice(&slice("10.244.1.6"));
        assert!(c.on_sync("n1", &view_of(&listed), SimTime::ZERO, "e").is_empty());
        // …an address no slice ever listed is not.
        let v = c.on_sync("n1", &view_of(&slice("10.244.9.9")), SimTime::ZERO, "e");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].message, "default/web is programmed to 10.244.9.9:8080 that no EndpointSlice of the Service listed");
    }
}
