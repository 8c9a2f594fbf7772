//! Cluster DNS: what CoreDNS's `kubernetes` plugin answers (coredns/coredns
//! plugin/kubernetes: kubernetes.go `Records`/`findServices`/`findPods`, parse.go
//! `parseRequest`) for the zone `cluster.local`, with kubeadm's Corefile (`pods insecure`,
//! `loadbalance`, `forward . /etc/resolv.conf`), and the search path a pod's resolver
//! walks (pkg/kubelet/network/dns: ClusterFirst gives `NS.svc.cluster.local
//! svc.cluster.local cluster.local` and `options ndots:5`).
//!
//! - `SVC.NS.svc.cluster.local`: a Service's ClusterIP; for a headless Service the
//!   addresses of its ready endpoints (none: NXDOMAIN, as findServices finds no record);
//!   for an ExternalName Service a CNAME out of the cluster;
//! - `HOST.SVC.NS.svc.cluster.local`: the endpoint of that Service whose hostname is HOST
//!   (a pod with `hostname` and `subdomain` naming a headless Service, as StatefulSet pods
//!   are), or whose address written with dashes is HOST;
//! - `A-B-C-D.NS.pod.cluster.local`: the address A.B.C.D (`pods insecure`: not checked);
//! - anything else in the zone: NXDOMAIN; outside it: forwarded out of the cluster
//!   (`external`; a single label such as a misspelt Service name: NXDOMAIN, as the
//!   public DNS has no such top-level domain).
//!
//! CoreDNS answers from its own informer; ksim answers from the store as it is (the
//! informer's lag is a watch hop, well under one traffic tick).

use crate::api::Kind;
use crate::etcd::Store;

/// The cluster's DNS domain (the kubelet's clusterDomain, kubeadm's default).
pub const ZONE: &str = "cluster.local";

/// What a name resolves to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Answer {
    /// A records (a headless Service's: several, in the order `loadbalance` shuffles).
    Addresses(Vec<String>),
    /// A name outside the cluster (an ExternalName's CNAME, or forwarded upstream).
    External(String),
    NxDomain,
}

/// Resolves `name` as a pod of namespace `ns` does (ClusterFirst: search path, ndots 5):
/// a name with fewer than 5 dots is tried under each search domain first, then as
/// written; a name ending in `.` only as written.
pub fn lookup(store: &Store, name: &str, ns: &str) -> Answer {
    let name = name.to_ascii_lowercase();
    if let Some(abs) = name.strip_suffix('.') {
        return query(store, abs);
    }
    let mut tries: Vec<String> = Vec::new();
    let search = [format!("{ns}.svc.{ZONE}"), format!("svc.{ZONE}"), ZONE.to_string()];
    let dots = name.matches('.').count();
    if dots >= 5 {
        tries.push(name.clone());
    }
    tries.extend(search.iter().map(|s| format!("{name}.{s}")));
    if dots < 5 {
        tries.push(name.clone());
    }
    for t in &tries {
        match query(store, t) {
            Answer::NxDomain => continue,
            a => return a,
        }
    }
    Answer::NxDomain
}

/// One query for a fully-qualified name (without the trailing dot).
pub fn query(store: &Store, fqdn: &str) -> Answer {
    let Some(rest) = fqdn.strip_suffix(ZONE).and_then(|r| r.strip_suffix('.')) else {
        if fqdn == ZONE || !fqdn.contains('.') {
            // A single label forwarded upstream: no top-level domain of that name.
            return Answer::NxDomain;
        }
        return Answer::External(fqdn.to_string());
    };
    let labels: Vec<&str> = rest.split('.').collect();
    match labels.as_slice() {
        [svc, ns, "svc"] => service(store, ns, svc, None),
        [host, svc, ns, "svc"] => service(store, ns, svc, Some(host)),
        [ip, ns, "pod"] => {
            // podRecord with `pods insecure`: the name's address, if it is one, in an
            // existing namespace.
            let ip = ip.replace('-', ".");
            if crate::network::ipam::parse_ip(&ip).is_some() && store.get_parts(&Kind::Namespace, "", ns).is_some() {
                Answer::Addresses(vec![ip])
            } else {
                Answer::NxDomain
            }
        }
        _ => Answer::NxDomain,
    }
}

/// The records of Service `ns/name` (with `host`: of that endpoint).
pub fn service(store: &Store, ns: &str, name: &str, host: Option<&str>) -> Answer {
    let Some(svc) = store.get_parts(&Kind::Service, ns, name).and_then(|o| o.as_service()) else { return Answer::NxDomain };
    if svc.spec.type_ == "ExternalName" {
        return match host {
            None => Answer::External(svc.spec.external_name.clone().unwrap_or_default()),
            Some(_) => Answer::NxDomain,
        };
    }
    let headless = svc.spec.cluster_ip == "None";
    if host.is_none() && !headless {
        return Answer::Addresses(vec![svc.spec.cluster_ip.clone()]);
    }
    // Endpoint records: the ready addresses of the Service's slices (serviceRecords and
    // endpoint hostnames come from the EndpointSlices CoreDNS watches).
    let mut ips: Vec<String> = Vec::new();
    for s in store.list(&Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()).filter(|s| s.is_for(ns, name)) {
        for e in s.endpoints.iter().filter(|e| e.conditions.ready != Some(false)) {
            let Some(addr) = e.addresses.first() else { continue };
            let matches = match host {
                None => true,
                Some(h) => e.hostname.as_deref() == Some(h) || addr.replace('.', "-") == *h,
            };
            if matches && !ips.contains(addr) {
                ips.push(addr.clone());
            }
        }
    }
    if ips.is_empty() {
        Answer::NxDomain
    } else {
        Answer::Addresses(ips)
    }
}

#[cfg(test)]
mod tests {
    //! Expected answers from the Kubernetes DNS-Based Service Discovery specification
    //! (kubernetes/dns docs/specification.md: 2.3.1 ClusterIP A records, 2.4.1 headless A
    //! records and hostnames, 2.5 ExternalName CNAME) and the DNS for Services and Pods
    //! page (search list `NS.svc.cluster.local svc.cluster.local cluster.local`, ndots:5).
    use super::*;
    use crate::api::endpoints::{Endpoint, EndpointSlice, LABEL_SERVICE_NAME};
    use crate::api::service::Service;
    use crate::api::Object;
    use crate::engine::SimTime;
    use crate::etcd::HistoryLimits;

    fn svc(ns: &str, name: &str, ip: &str, type_: &str) -> Object {
        let mut s = Service::default();
        s.metadata.namespace = ns.into();
        s.metadata.name = name.into();
        s.spec.cluster_ip = ip.into();
        s.spec.type_ = type_.into();
        if type_ == "ExternalName" {
            s.spec.external_name = Some("my.database.example.com".into());
        }
        Object::Service(Box::new(s))
    }

    fn slice(ns: &str, svc: &str, eps: &[(&str, Option<&str>, bool)]) -> Object {
        let mut s = EndpointSlice { address_type: "IPv4".into(), ..Default::default() };
        s.metadata.namespace = ns.into();
        s.metadata.name = format!("{svc}-abcde").into();
        s.metadata.labels.insert(LABEL_SERVICE_NAME.into(), svc.into());
        for (ip, host, ready) in eps {
            let mut e = Endpoint { addresses: vec![ip.to_string()], hostname: host.map(str::to_string), ..Default::default() };
            e.conditions.ready = Some(*ready);
            s.endpoints.push(e);
        }
        Object::EndpointSlice(Box::new(s))
    }

    fn store() -> Store {
        let mut st = Store::new(HistoryLimits::default());
        let mut ns = crate::api::namespace::Namespace::default();
        ns.metadata.name = "shop".into();
        let objects = vec![
            Object::Namespace(Box::new(ns)),
            svc("shop", "web", "10.96.12.34", "ClusterIP"),
            svc("default", "web", "10.96.0.50", "ClusterIP"),
            svc("shop", "nginx", "None", "ClusterIP"),
            svc("shop", "empty", "None", "ClusterIP"),
            svc("shop", "db", "", "ExternalName"),
            slice("shop", "nginx", &[("10.244.1.5", Some("web-0"), true), ("10.244.2.6", Some("web-1"), true), ("10.244.2.7", Some("web-2"), false)]),
        ];
        for o in objects {
            st.create(o, SimTime::ZERO).unwrap();
        }
        st
    }

    #[test]
    fn services_resolve_as_the_specification_says() {
        let st = store();
        // 2.3.1: <service>.<ns>.svc.<zone> A <cluster-ip>.
        assert_eq!(query(&st, "web.shop.svc.cluster.local"), Answer::Addresses(vec!["10.96.12.34".into()]));
        // 2.4.1: a headless Service's name: one A record per ready endpoint.
        assert_eq!(query(&st, "nginx.shop.svc.cluster.local"), Answer::Addresses(vec!["10.244.1.5".into(), "10.244.2.6".into()]));
        // 2.4.1: <hostname>.<service>.<ns>.svc.<zone> for an endpoint with a hostname.
        assert_eq!(query(&st, "web-1.nginx.shop.svc.cluster.local"), Answer::Addresses(vec!["10.244.2.6".into()]));
        // Not ready: no record.
        assert_eq!(query(&st, "web-2.nginx.shop.svc.cluster.local"), Answer::NxDomain);
        assert_eq!(query(&st, "empty.shop.svc.cluster.local"), Answer::NxDomain);
        // 2.5: ExternalName: a CNAME to the external name.
        assert_eq!(query(&st, "db.shop.svc.cluster.local"), Answer::External("my.database.example.com".into()));
        assert_eq!(query(&st, "nope.shop.svc.cluster.local"), Answer::NxDomain);
        // Pod A records: 10-244-1-5.shop.pod.cluster.local.
        assert_eq!(query(&st, "10-244-1-5.shop.pod.cluster.local"), Answer::Addresses(vec!["10.244.1.5".into()]));
        assert_eq!(query(&st, "10-244-1-5.nowhere.pod.cluster.local"), Answer::NxDomain);
    }

    #[test]
    fn the_search_path_is_the_pods_namespace_first() {
        let st = store();
        // "a query for data will return the Service in the pod's namespace" (DNS for
        // Services and Pods): `web` from shop is shop's web, from default default's.
        assert_eq!(lookup(&st, "web", "shop"), Answer::Addresses(vec!["10.96.12.34".into()]));
        assert_eq!(lookup(&st, "web", "default"), Answer::Addresses(vec!["10.96.0.50".into()]));
        // `web.shop` from default: web.shop.svc.cluster.local (the second search domain).
        assert_eq!(lookup(&st, "web.shop", "default"), Answer::Addresses(vec!["10.96.12.34".into()]));
        assert_eq!(lookup(&st, "web.shop.svc.cluster.local.", "default"), Answer::Addresses(vec!["10.96.12.34".into()]));
        assert_eq!(lookup(&st, "example.com", "shop"), Answer::External("example.com".into()));
        assert_eq!(lookup(&st, "wbe", "shop"), Answer::NxDomain);
    }
}
