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
}
