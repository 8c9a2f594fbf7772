//! `service-addresses-unique`: no two live Services hold the same ClusterIP or NodePort.
//! Upstream's guarantee: the Service registry allocates every ClusterIP through an
//! IPAddress object named by the address, so a second allocation fails with
//! ErrAllocated (pkg/registry/core/service/ipallocator/ipallocator.go, createIPAddress:
//! AlreadyExists → "provided IP is already allocated"), and every NodePort through one
//! bitmap for all protocols (pkg/registry/core/service/portallocator/allocator.go,
//! Allocate → ErrAllocated); both are released only when the Service is deleted or no
//! longer needs them (storage/alloc.go). One Service may give the same NodePort to a TCP
//! and a UDP entry of one port number (initNodePorts), so only other Services count.

use super::Violation;
use crate::api::service::Service;
use crate::engine::SimTime;
use std::collections::BTreeMap;

pub const SERVICE_ADDRESSES_UNIQUE: &str = "service-addresses-unique";
pub const ENDPOINTS_CONVERGE: &str = "endpointslices-converge";

/// How long without a write of a Pod, Service or EndpointSlice before the slices must
/// match the pods: the EndpointSlice controller's sync follows a change within a watch,
/// its workers' pick-up and a request, and a sync refused on a stale cache is retried
/// after 1 s (then 2 s, 4 s…); 30 s leaves room for several retries.
pub const ENDPOINTS_QUIET: crate::engine::SimDuration = crate::engine::SimDuration::from_secs(30);

/// `endpointslices-converge` (liveness): once no Pod, Service or EndpointSlice has been
/// written for ENDPOINTS_QUIET, the slices the EndpointSlice controller manages for each
/// Service with a selector list exactly the selected pods that have an IP and are not
/// terminal, each ready exactly when the pod is Ready and not terminating (or always,
/// with publishNotReadyAddresses). Upstream's guarantee: every change to a Service or
/// its pods queues the Service (addPod/updatePod/deletePod, onServiceUpdate), and a sync
/// reconciles its slices to those desired endpoints (reconciler.go, podToEndpoint,
/// ShouldPodBeInEndpoints with terminating pods included).
pub fn endpoints_converged(store: &crate::etcd::Store, time: SimTime) -> Vec<Violation> {
    use crate::api::endpoints::{LABEL_MANAGED_BY, SLICE_CONTROLLER_NAME};
    use crate::api::Kind;
    let mut out = Vec::new();
    if store.last_write_time(&[Kind::Pod, Kind::Service, Kind::EndpointSlice]).is_some_and(|t| time.since(t) < ENDPOINTS_QUIET) {
        return out;
    }
    for svc in store.list(&Kind::Service).filter_map(|o| o.as_service()) {
        let Some(selector) = svc.spec.selector.as_ref().filter(|s| !s.is_empty()) else { continue };
        if svc.spec.type_ == "ExternalName" || svc.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let ns = &svc.metadata.namespace;
        let publish = svc.spec.publish_not_ready_addresses == Some(true);
        let want: BTreeMap<String, bool> = store
            .list(&Kind::Pod)
            .filter_map(|o| o.as_pod())
            .filter(|p| &p.metadata.namespace == ns && !p.status.pod_ip.is_empty() && !p.is_terminal())
            .filter(|p| selector.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v)))
            .map(|p| (p.status.pod_ip.clone(), publish || (p.is_ready() && p.metadata.deletion_timestamp.is_none())))
            .collect();
        let have: BTreeMap<String, bool> = store
            .list(&Kind::EndpointSlice)
            .filter_map(|o| o.as_endpoint_slice())
            .filter(|s| s.is_for(ns, &svc.metadata.name))
            .filter(|s| s.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some(SLICE_CONTROLLER_NAME))
            .flat_map(|s| s.endpoints.iter())
            .filter_map(|e| e.addresses.first().map(|a| (a.clone(), e.conditions.ready == Some(true))))
            .collect();
        if want != have {
            let fmt =
                |m: &BTreeMap<String, bool>| m.iter().map(|(ip, r)| format!("{ip}{}", if *r { "" } else { " (not ready)" })).collect::<Vec<_>>().join(", ");
            out.push(Violation {
                invariant: ENDPOINTS_CONVERGE,
                time,
                event: "quiet cluster".into(),
                objects: vec![format!("service/{ns}/{}", svc.metadata.name)],
                message: format!("its EndpointSlices list [{}] where its pods are [{}]", fmt(&have), fmt(&want)),
            });
        }
    }
    out
}

type Key = (String, String);

#[derive(Default)]
pub struct ServiceChecker {
    ips: BTreeMap<String, Key>,
    node_ports: BTreeMap<i32, Key>,
    held: BTreeMap<Key, (Vec<String>, Vec<i32>)>,
}

impl ServiceChecker {
    /// A Service written (or deleted): what it holds now, and any value another Service holds.
    pub fn on_write(&mut self, svc: &Service, deleted: bool, time: SimTime, event: &str) -> Vec<Violation> {
        let key = (svc.metadata.namespace.clone(), svc.metadata.name.clone());
        if let Some((ips, ports)) = self.held.remove(&key) {
            for ip in ips {
                if self.ips.get(&ip) == Some(&key) {
                    self.ips.remove(&ip);
                }
            }
            for p in ports {
                if self.node_ports.get(&p) == Some(&key) {
                    self.node_ports.remove(&p);
                }
            }
        }
        if deleted {
            return Vec::new();
        }
        let ips: Vec<String> = if svc.spec.type_ == "ExternalName" {
            Vec::new()
        } else {
            svc.spec.cluster_ips.iter().filter(|ip| !ip.is_empty() && *ip != "None").cloned().collect()
        };
        let mut ports: Vec<i32> = svc.spec.ports.iter().filter_map(|p| p.node_port).chain(svc.spec.health_check_node_port).filter(|p| *p != 0).collect();
        ports.sort_unstable();
        ports.dedup();
        let name = |k: &Key| format!("service/{}/{}", k.0, k.1);
        let mut out = Vec::new();
        for ip in &ips {
            match self.ips.get(ip) {
                Some(other) => out.push(Violation {
                    invariant: SERVICE_ADDRESSES_UNIQUE,
                    time,
                    event: event.to_string(),
                    objects: vec![name(&key), name(other)],
                    message: format!("ClusterIP {ip} is held by two Services"),
                }),
                None => {
                    self.ips.insert(ip.clone(), key.clone());
                }
            }
        }
        for p in &ports {
            match self.node_ports.get(p) {
                Some(other) => out.push(Violation {
                    invariant: SERVICE_ADDRESSES_UNIQUE,
                    time,
                    event: event.to_string(),
                    objects: vec![name(&key), name(other)],
                    message: format!("NodePort {p} is held by two Services"),
                }),
                None => {
                    self.node_ports.insert(*p, key.clone());
                }
            }
        }
        self.held.insert(key, (ips, ports));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::service::ServicePort;

    fn svc(name: &str, ip: &str, node_port: Option<i32>) -> Service {
        let mut s = Service::default();
        s.metadata.namespace = "default".into();
        s.metadata.name = name.into();
        s.spec.type_ = if node_port.is_some() { "NodePort" } else { "ClusterIP" }.into();
        s.spec.cluster_ip = ip.into();
        s.spec.cluster_ips = vec![ip.into()];
        s.spec.ports = vec![ServicePort { port: 80, node_port, ..Default::default() }];
        s
    }

    #[test]
    fn fires_on_a_shared_address_or_port_and_not_after_a_release() {
        let mut c = ServiceChecker::default();
        let t = SimTime::ZERO;
        assert!(c.on_write(&svc("a", "10.96.0.10", Some(30080)), false, t, "e").is_empty());
        // The same Service written again holds the same values: no violation.
        assert!(c.on_write(&svc("a", "10.96.0.10", Some(30080)), false, t, "e").is_empty());
        let v = c.on_write(&svc("b", "10.96.0.10", Some(30081)), false, t, "e");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].message, "ClusterIP 10.96.0.10 is held by two Services");
        let v = c.on_write(&svc("c", "10.96.0.11", Some(30080)), false, t, "e");
        assert_eq!(v[0].message, "NodePort 30080 is held by two Services");
        // Released on delete: a new Service may take them.
        c.on_write(&svc("a", "10.96.0.10", Some(30080)), true, t, "e");
        c.on_write(&svc("b", "10.96.0.10", Some(30081)), true, t, "e");
        c.on_write(&svc("c", "10.96.0.11", Some(30080)), true, t, "e");
        assert!(c.on_write(&svc("d", "10.96.0.10", Some(30080)), false, t, "e").is_empty());
        // Headless Services hold no address.
        assert!(c.on_write(&svc("h1", "None", None), false, t, "e").is_empty());
        assert!(c.on_write(&svc("h2", "None", None), false, t, "e").is_empty());
    }

    /// A slice that still lists a pod gone from the Service (or misses one, or has its
    /// readiness wrong) once the cluster is quiet fires; one that matches does not.
    #[test]
    fn endpoint_convergence_fires_on_a_stale_slice() {
        use crate::api::endpoints::{Endpoint, EndpointConditions, EndpointSlice, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, SLICE_CONTROLLER_NAME};
        use crate::api::pod::{Pod, PodCondition};
        use crate::api::Object;
        use crate::etcd::{HistoryLimits, Store};
        let mut store = Store::new(HistoryLimits::default());
        let mut s = svc("web", "10.96.0.10", None);
        s.spec.selector = Some([("app".to_string(), "web".to_string())].into());
        store.create(Object::Service(Box::new(s)), SimTime::ZERO).unwrap();
        let mut p = Pod::default();
        p.metadata.namespace = "default".into();
        p.metadata.name = "web-1".into();
        p.metadata.labels.insert("app".into(), "web".into());
        p.status.pod_ip = "10.244.0.5".into();
        p.status.phase = "Running".into();
        p.status.conditions.push(PodCondition { type_: "Ready".into(), status: "True".into(), ..Default::default() });
        store.create(Object::Pod(p), SimTime::ZERO).unwrap();
        let slice = |ip: &str| {
            let mut sl = EndpointSlice::default();
            sl.metadata.namespace = "default".into();
            sl.metadata.name = format!("web-{ip}");
            sl.metadata.labels.insert(LABEL_SERVICE_NAME.into(), "web".into());
            sl.metadata.labels.insert(LABEL_MANAGED_BY.into(), SLICE_CONTROLLER_NAME.into());
            sl.address_type = "IPv4".into();
            sl.endpoints =
                vec![Endpoint { addresses: vec![ip.into()], conditions: EndpointConditions { ready: Some(true), ..Default::default() }, ..Default::default() }];
            Object::EndpointSlice(Box::new(sl))
        };
        store.create(slice("10.244.0.9"), SimTime::ZERO).unwrap();
        assert!(endpoints_converged(&store, SimTime(10_000)).is_empty(), "not quiet for 30 s yet");
        let v = endpoints_converged(&store, SimTime(60_000));
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].message, "its EndpointSlices list [10.244.0.9] where its pods are [10.244.0.5]");
        let mut store2 = Store::new(HistoryLimits::default());
        for o in store.list(&crate::api::Kind::Service).chain(store.list(&crate::api::Kind::Pod)) {
            store2.create((**o).clone(), SimTime::ZERO).unwrap();
        }
        store2.create(slice("10.244.0.5"), SimTime::ZERO).unwrap();
        assert!(endpoints_converged(&store2, SimTime(60_000)).is_empty());
    }
}
