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
        if svc.spec.type_ == "ExternalName" || svc.metadata.rare.deletion_timestamp.is_some() {
            continue;
        }
        let ns = &svc.metadata.namespace;
        let publish = svc.spec.publish_not_ready_addresses == Some(true);
        let want: BTreeMap<String, bool> = store
            .list(&Kind::Pod)
            .filter_map(|o| o.as_pod())
            .filter(|p| &p.metadata.namespace == ns && !p.status.pod_ip.is_empty() && !p.is_terminal())
            .filter(|p| selector.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v)))
            .map(|p| (p.status.pod_ip.to_string(), publish || (p.is_ready() && p.metadata.rare.deletion_timestamp.is_none())))
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
        let key = (svc.metadata.namespace.to_string(), svc.metadata.name.to_string());
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
        store.create(Object::Pod(Box::new(p)), SimTime::ZERO).unwrap();
        let slice = |ip: &str| {
            let mut sl = EndpointSlice::default();
            sl.metadata.namespace = "default".into();
            sl.metadata.name = format!("web-{ip}").into();
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

pub const SLICES_LIST_SELECTED: &str = "endpointslices-list-selected-pods";

/// `endpointslices-list-selected-pods` (safety): every endpoint the EndpointSlice
/// controller writes into a Service's slice names (targetRef) a pod of the Service's
/// namespace that the Service's selector selects — unless the pod's labels, the pod
/// itself or the Service's selector changed within the controller's view lag (a watch,
/// a sync, a request) before the write. Upstream's guarantee: syncService lists the pods
/// from its informer with the Service's selector (`podLister.Pods(ns).List(selector)`)
/// and the reconciler writes only those (reconciler.go reconcile, podToEndpoint); the
/// informer is at most a watch behind the store. Slices that others manage (the user's,
/// the mirroring controller's) are not checked.
#[derive(Debug, Default)]
pub struct SliceChecker {
    /// Pod (namespace, name) → when its labels last changed, or it was deleted.
    pod_changed: BTreeMap<Key, SimTime>,
    /// Service (namespace, name) → when it was last created, deleted or given another
    /// selector.
    service_changed: BTreeMap<Key, SimTime>,
}

impl SliceChecker {
    pub fn on_pod(&mut self, w: &crate::etcd::WatchEvent, time: SimTime) {
        let Some(p) = w.object.as_pod() else { return };
        let changed = w.type_ == crate::etcd::WatchEventType::Deleted
            || w.prev.as_ref().and_then(|o| o.as_pod()).is_some_and(|old| old.metadata.labels != p.metadata.labels);
        if changed {
            self.pod_changed.insert((p.metadata.namespace.to_string(), p.metadata.name.to_string()), time);
        }
    }

    pub fn on_service(&mut self, w: &crate::etcd::WatchEvent, time: SimTime) {
        let Some(s) = w.object.as_service() else { return };
        let changed = w.type_ != crate::etcd::WatchEventType::Modified
            || w.prev.as_ref().and_then(|o| o.as_service()).is_none_or(|old| old.spec.selector != s.spec.selector);
        if changed {
            self.service_changed.insert((s.metadata.namespace.to_string(), s.metadata.name.to_string()), time);
        }
    }

    /// A slice written at `time`; `lag` is how stale the controller's view may be.
    pub fn on_slice(
        &self,
        s: &crate::api::endpoints::EndpointSlice,
        store: &crate::etcd::Store,
        time: SimTime,
        lag: crate::engine::SimDuration,
        event: &str,
    ) -> Vec<Violation> {
        use crate::api::endpoints::{LABEL_MANAGED_BY, LABEL_SERVICE_NAME, SLICE_CONTROLLER_NAME};
        use crate::api::Kind;
        let mut out = Vec::new();
        if s.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str) != Some(SLICE_CONTROLLER_NAME) {
            return out;
        }
        let ns = &s.metadata.namespace;
        let Some(svc_name) = s.metadata.labels.get(LABEL_SERVICE_NAME) else { return out };
        let recent = |t: Option<&SimTime>| t.is_some_and(|t| time.as_ms() <= t.as_ms() + lag.as_ms());
        let svc_key = (ns.to_string(), svc_name.clone());
        if recent(self.service_changed.get(&svc_key)) {
            return out;
        }
        let svc = store.get_parts(&Kind::Service, ns, svc_name).and_then(|o| o.as_service());
        let selector = svc.and_then(|s| s.spec.selector.as_ref());
        for e in &s.endpoints {
            let Some(r) = e.target_ref.as_ref().filter(|r| r.kind == "Pod") else { continue };
            let pod_key = (r.namespace.clone(), r.name.clone());
            if recent(self.pod_changed.get(&pod_key)) {
                continue;
            }
            let pod = store.get_parts(&Kind::Pod, &r.namespace, &r.name).and_then(|o| o.as_pod());
            let why = match (pod, selector) {
                (_, None) => Some(format!("service/{ns}/{svc_name} has no selector")),
                (None, _) => Some("the pod does not exist".to_string()),
                (Some(p), _) if &p.metadata.namespace != ns => Some(format!("the pod is in namespace {}", p.metadata.namespace)),
                (Some(p), _) if !r.uid.is_empty() && r.uid != p.metadata.uid => Some("the pod of that name is another pod (uid)".to_string()),
                (Some(p), Some(sel)) if !sel.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v)) => {
                    Some(format!("its labels do not match the selector of service/{ns}/{svc_name}"))
                }
                _ => None,
            };
            if let Some(why) = why {
                out.push(Violation {
                    invariant: SLICES_LIST_SELECTED,
                    time,
                    event: event.to_string(),
                    objects: vec![format!("endpointslice/{ns}/{}", s.metadata.name), format!("pod/{}/{}", r.namespace, r.name)],
                    message: format!("lists {} (pod/{}/{}): {why}", e.addresses.first().map_or("", String::as_str), r.namespace, r.name),
                });
            }
        }
        out
    }
}

#[cfg(test)]
mod slice_tests {
    use super::*;

    fn svc(name: &str, ip: &str, _node_port: Option<i32>) -> Service {
        let mut s = Service::default();
        s.metadata.namespace = "default".into();
        s.metadata.name = name.into();
        s.spec.cluster_ip = ip.into();
        s
    }

    /// A managed slice listing a pod the selector does not select fires, unless the
    /// pod's labels (or the Service's selector) changed within the controller's lag; an
    /// unmanaged slice is not checked.
    #[test]
    fn a_slice_lists_only_selected_pods_up_to_the_controllers_lag() {
        use crate::api::endpoints::{Endpoint, EndpointSlice, ObjectReference, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, SLICE_CONTROLLER_NAME};
        use crate::api::pod::Pod;
        use crate::api::Object;
        use crate::engine::SimDuration;
        use crate::etcd::{HistoryLimits, Store, WatchEvent, WatchEventType};
        use std::rc::Rc;
        let mut store = Store::new(HistoryLimits::default());
        let mut s = svc("web", "10.96.0.10", None);
        s.spec.selector = Some([("app".to_string(), "web".to_string())].into());
        let svc_ev = store.create(Object::Service(Box::new(s)), SimTime::ZERO).unwrap();
        let mut p = Pod::default();
        p.metadata.namespace = "default".into();
        p.metadata.name = "web-1".into();
        p.metadata.uid = "u1".into();
        p.metadata.labels.insert("app".into(), "web".into());
        let pod_ev = store.create(Object::Pod(Box::new(p.clone())), SimTime::ZERO).unwrap();
        let mut slice = EndpointSlice { address_type: "IPv4".into(), ..Default::default() };
        slice.metadata.namespace = "default".into();
        slice.metadata.name = "web-abcde".into();
        slice.metadata.labels.insert(LABEL_SERVICE_NAME.into(), "web".into());
        slice.metadata.labels.insert(LABEL_MANAGED_BY.into(), SLICE_CONTROLLER_NAME.into());
        let target = ObjectReference { kind: "Pod".into(), namespace: "default".into(), name: "web-1".into(), uid: "u1".into(), ..Default::default() };
        slice.endpoints.push(Endpoint { addresses: vec!["10.244.0.2".into()], target_ref: Some(target), ..Default::default() });
        let mut c = SliceChecker::default();
        c.on_service(&svc_ev, SimTime::ZERO);
        c.on_pod(&pod_ev, SimTime::ZERO);
        let lag = SimDuration::from_ms(7);
        let at = |ms: u64| SimTime(ms);
        assert!(c.on_slice(&slice, &store, at(1000), lag, "e").is_empty());
        // The pod is relabelled at 2 s: a write 5 ms later may still list it, 8 ms later not.
        p.metadata.labels.insert("app".into(), "other".into());
        p.metadata.resource_version.0 = 0;
        let relabel = store.update(Object::Pod(Box::new(p.clone())), at(2000)).unwrap();
        c.on_pod(&relabel, at(2000));
        assert!(c.on_slice(&slice, &store, at(2005), lag, "e").is_empty());
        let v = c.on_slice(&slice, &store, at(2008), lag, "e");
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].message, "lists 10.244.0.2 (pod/default/web-1): its labels do not match the selector of service/default/web");
        // Someone else's slice is theirs to fill.
        let mut mine = slice.clone();
        mine.metadata.labels.remove(LABEL_MANAGED_BY);
        assert!(c.on_slice(&mine, &store, at(2008), lag, "e").is_empty());
        // A pod gone: fires once the lag has passed.
        let gone = WatchEvent { revision: 99, type_: WatchEventType::Deleted, object: Rc::new(Object::Pod(Box::new(p))), prev: None, time: at(3000) };
        c.on_pod(&gone, at(3000));
        store.delete(&relabel.object.key(), None, at(3000)).unwrap();
        assert!(c.on_slice(&slice, &store, at(3001), lag, "e").is_empty());
        assert_eq!(c.on_slice(&slice, &store, at(3100), lag, "e")[0].message, "lists 10.244.0.2 (pod/default/web-1): the pod does not exist");
    }
}
