//! HTTP requests through the ingress controller (ingress-nginx: the controller pod
//! proxies to the backend Service's endpoints itself, from its EndpointSlices, not
//! through kube-proxy).
//!
//! - the URL's host resolves to the address in the status of an Ingress served by
//!   ingress-nginx whose rules take that host (the DNS record a user points at the
//!   Ingress's ADDRESS); none: `nxdomain`;
//! - the connection reaches a controller pod as any connection to that address does;
//! - the controller routes by host and path (api/ingress.rs `route`): no rule and no
//!   defaultBackend: its default server's 404 (`http-404`); a backend Service that does
//!   not exist or has no ready endpoint: 503 (balancer.lua, `http-503`); an endpoint that
//!   refuses: 502 (`http-502`); one that does not answer (its node down, or a
//!   NetworkPolicy dropping the controller's packets): 504 (`http-504`).

use super::{land, Landing, PodAt};
use crate::api::ingress::{host_match, route, Ingress};
use crate::api::Kind;
use crate::controller_manager::ingress_nginx::serves;
use crate::etcd::Store;
use rand::Rng;
use std::collections::BTreeMap;

/// Where the controller sends a request: the backend's ready endpoints (`IP:port`), or the
/// status it answers with itself.
pub(super) type Upstream = Result<Vec<String>, &'static str>;

/// The Ingresses ingress-nginx serves.
fn served(store: &Store) -> Vec<&Ingress> {
    store.list(&Kind::Ingress).filter_map(|o| o.as_ingress()).filter(|i| serves(i, |c| store.get_parts(&Kind::IngressClass, "", c).map(|o| &**o))).collect()
}

/// The address a URL's host points at: the best host match among served Ingresses that
/// have an address.
pub(super) fn address_of(store: &Store, host: &str) -> Option<String> {
    let mut best: Option<(u8, String)> = None;
    for i in served(store) {
        let Some(addr) = i.addresses().into_iter().next() else { continue };
        let rank = if i.spec.rules.is_empty() { Some(0) } else { i.spec.rules.iter().filter_map(|r| host_match(&r.host, host)).max() };
        if let Some(r) = rank {
            if best.as_ref().is_none_or(|(b, _)| r > *b) {
                best = Some((r, addr));
            }
        }
    }
    best.map(|(_, a)| a)
}

/// The backend endpoints for `host` + `path`.
pub(super) fn upstream(store: &Store, host: &str, path: &str) -> Upstream {
    let ingresses = served(store);
    let Some((ns, backend)) = route(&ingresses, host, path) else { return Err("http-404") };
    let Some(b) = &backend.service else { return Err("http-503") };
    let Some(svc) = store.get_parts(&Kind::Service, ns, &b.name).and_then(|o| o.as_service()) else { return Err("http-503") };
    let sp = svc.spec.ports.iter().find(|p| if b.port.name.is_empty() { p.port == b.port.number } else { p.name.as_deref() == Some(b.port.name.as_str()) });
    let Some(sp) = sp else { return Err("http-503") };
    let mut eps = Vec::new();
    for s in store.list(&Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()).filter(|s| s.is_for(ns, &b.name)) {
        let port = s.ports.iter().flatten().find(|p| p.name.as_deref().unwrap_or("") == sp.name.as_deref().unwrap_or("")).and_then(|p| p.port);
        let Some(port) = port else { continue };
        for e in s.endpoints.iter().filter(|e| e.conditions.ready != Some(false)) {
            if let Some(ip) = e.addresses.first() {
                eps.push(format!("{ip}:{port}"));
            }
        }
    }
    if eps.is_empty() {
        Err("http-503")
    } else {
        Ok(eps)
    }
}

/// The controller at `at` (`IP:port`) proxies one request; `allowed(from, to)` says
/// whether NetworkPolicies let the controller pod reach an endpoint. With the landing,
/// the backend endpoint's address when the request reached one that answered.
pub(super) fn proxy<'a>(
    at: &str,
    up: &'a Upstream,
    pods: &BTreeMap<String, PodAt>,
    alive: &dyn Fn(&str) -> bool,
    allowed: &dyn Fn(&str, &str) -> bool,
    rng: &mut impl Rng,
) -> (Landing, Option<&'a str>) {
    let eps = match up {
        Err(status) => return (Landing::Fail(status), None),
        Ok(eps) => eps,
    };
    let ctrl_ip = at.rsplit_once(':').map_or(at, |(i, _)| i);
    let Some(ctrl) = pods.get(ctrl_ip) else { return (Landing::Fail("http-502"), None) };
    let ep = &eps[rng.random_range(0..eps.len())];
    if !allowed(ctrl_ip, ep) {
        return (Landing::Fail("http-504"), None);
    }
    let ip = ep.rsplit_once(':').map_or(ep.as_str(), |(i, _)| i);
    match land(ip, &ctrl.node, pods, alive) {
        Landing::Ok { remote } => (Landing::Ok { remote }, Some(ip)),
        Landing::Fail("timeout") => (Landing::Fail("http-504"), None),
        Landing::Fail(_) => (Landing::Fail("http-502"), None),
    }
}
