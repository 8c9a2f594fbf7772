//! The Endpoints controller (pkg/controller/endpoint/endpoints_controller.go,
//! syncService; pkg/api/v1/endpoints RepackSubsets): for every Service with a selector
//! (not ExternalName), one Endpoints object of the Service's name whose subsets list the
//! selected pods that have an IP and are not terminal (and not terminating, unless
//! publishNotReadyAddresses), ready pods under `addresses` and the others under
//! `notReadyAddresses`, one subset per set of ports; labels copied from the Service (plus
//! the headless label); more than 1,000 addresses are truncated with the
//! `endpoints.kubernetes.io/over-capacity: truncated` annotation. A deleted Service's
//! Endpoints are deleted. Writes are skipped when nothing changed; a sync from a cache
//! that does not show its last write yet fails and is retried with the controller's
//! rate limiter (1 s doubling to 1000 s), as upstream's staleEndpointsTracker does.
//!
//! Upstream orders ports and subsets by hashes of Go values (SortSubsets); ksim orders
//! subsets by their first address and ports by name, port and protocol.

use super::endpointslice::{cache_lags, find_port, selector_matches, services_for_pod_event, should_pod_be_in_endpoints, MAX_SYNC_BACK_OFF, SYNC_BACK_OFF};
use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::endpoints::{CoreEndpointPort, EndpointAddress, EndpointSubset, Endpoints, ObjectReference, LABEL_HEADLESS};
use crate::api::pod::Pod;
use crate::api::service::Service;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response, NAMESPACE_TERMINATING_CAUSE};
use crate::etcd::WatchEvent;
use std::collections::BTreeMap;

/// maxCapacity: the most addresses an Endpoints object holds.
pub const MAX_CAPACITY: usize = 1000;
/// v1.EndpointsOverCapacity.
pub const ANNOTATION_OVER_CAPACITY: &str = "endpoints.kubernetes.io/over-capacity";

/// podToEndpointAddressForService.
fn endpoint_address(pod: &Pod, svc: &Service) -> EndpointAddress {
    let ip = if pod.status.pod_ips.is_empty() { pod.status.pod_ip.to_string() } else { pod.status.pod_ips[0].ip.to_string() };
    let hostname = (!pod.spec.hostname.is_empty() && pod.spec.subdomain == svc.metadata.name && svc.metadata.namespace == pod.metadata.namespace)
        .then(|| pod.spec.hostname.clone());
    EndpointAddress {
        ip,
        hostname,
        node_name: Some(pod.spec.node_name.to_string()),
        target_ref: Some(ObjectReference {
            kind: "Pod".into(),
            namespace: pod.metadata.namespace.to_string(),
            name: pod.metadata.name.to_string(),
            uid: pod.metadata.uid.to_string(),
            ..Default::default()
        }),
    }
}

/// The subsets of a Service's Endpoints (syncService's loop + RepackSubsets): addresses
/// grouped by the exact set of ports they offer.
pub fn subsets(svc: &Service, pods: &[&Pod]) -> Vec<EndpointSubset> {
    let tolerate_unready = svc.spec.publish_not_ready_addresses == Some(true);
    // (address, ready) → the ports it offers; None: a headless Service without ports.
    let mut offers: BTreeMap<(String, String), (EndpointAddress, bool, Vec<CoreEndpointPort>)> = BTreeMap::new();
    for pod in pods.iter().filter(|p| should_pod_be_in_endpoints(p, tolerate_unready)) {
        let epa = endpoint_address(pod, svc);
        let ready = tolerate_unready || pod.is_ready();
        let key = (epa.ip.clone(), pod.metadata.uid.to_string());
        if svc.spec.ports.is_empty() {
            if svc.spec.cluster_ip == "None" {
                offers.entry(key).or_insert((epa, ready, Vec::new()));
            }
            continue;
        }
        for sp in &svc.spec.ports {
            let proto = sp.protocol.clone().unwrap_or_else(|| "TCP".into());
            let Some(port) = find_port(pod, sp.target_port.as_ref(), &proto) else { continue };
            let epp = CoreEndpointPort { name: sp.name.clone().filter(|n| !n.is_empty()), port, protocol: Some(proto), app_protocol: sp.app_protocol.clone() };
            offers.entry(key.clone()).or_insert_with(|| (epa.clone(), ready, Vec::new())).2.push(epp);
        }
    }
    // Repack: one subset per distinct port set.
    let mut by_ports: BTreeMap<Vec<CoreEndpointPort>, EndpointSubset> = BTreeMap::new();
    for (_, (addr, ready, mut ports)) in offers {
        ports.sort();
        let ss = by_ports.entry(ports.clone()).or_insert_with(|| EndpointSubset { ports, ..Default::default() });
        if ready {
            ss.addresses.push(addr);
        } else {
            ss.not_ready_addresses.push(addr);
        }
    }
    let mut out: Vec<EndpointSubset> = by_ports.into_values().collect();
    for ss in &mut out {
        ss.addresses.sort_by(|a, b| (&a.ip, uid(a)).cmp(&(&b.ip, uid(b))));
        ss.not_ready_addresses.sort_by(|a, b| (&a.ip, uid(a)).cmp(&(&b.ip, uid(b))));
    }
    out.sort_by(|a, b| first_ip(a).cmp(first_ip(b)));
    out
}

fn uid(a: &EndpointAddress) -> &str {
    a.target_ref.as_ref().map_or("", |r| r.uid.as_str())
}

fn first_ip(s: &EndpointSubset) -> &str {
    s.addresses.first().or(s.not_ready_addresses.first()).map_or("", |a| a.ip.as_str())
}

/// truncateEndpoints: past 1,000 addresses, not-ready ones are cut first; each subset
/// keeps its proportion of what is kept, rounded up, the last ones taking what is left
/// (upstream computes the proportion in float64, as here, so the rounding is the same).
pub fn truncate(subsets: &mut [EndpointSubset]) -> bool {
    let ready: usize = subsets.iter().map(|s| s.addresses.len()).sum();
    let not_ready: usize = subsets.iter().map(|s| s.not_ready_addresses.len()).sum();
    if ready + not_ready <= MAX_CAPACITY {
        return false;
    }
    let truncate_ready = ready > MAX_CAPACITY;
    let (max, total) = if truncate_ready { (MAX_CAPACITY, ready) } else { (MAX_CAPACITY - ready, not_ready) };
    let mut can_be_added = max;
    for s in subsets.iter_mut() {
        let n = if truncate_ready { s.addresses.len() } else { s.not_ready_addresses.len() };
        let share = ((n as f64 / total as f64) * max as f64).ceil() as usize;
        let share = share.min(can_be_added);
        if truncate_ready {
            s.addresses.truncate(share);
            s.not_ready_addresses.clear();
            can_be_added -= s.addresses.len();
        } else {
            s.not_ready_addresses.truncate(share);
            can_be_added -= s.not_ready_addresses.len();
        }
    }
    true
}

pub struct EndpointController {
    queue: WorkQueue<NsName>,
    /// Writes in flight, by Service.
    in_flight: BTreeMap<NsName, bool>,
    /// What the cache must show after this controller's last write: at least this
    /// resourceVersion (a create or update), or no object (a delete).
    expected: BTreeMap<NsName, Option<u64>>,
}

impl Default for EndpointController {
    fn default() -> Self {
        EndpointController {
            queue: WorkQueue::with_delays(Order::Fifo, SYNC_BACK_OFF, MAX_SYNC_BACK_OFF),
            in_flight: BTreeMap::new(),
            expected: BTreeMap::new(),
        }
    }
}

impl EndpointController {
    fn stale(&mut self, inf: &SharedInformers, key: &NsName) -> bool {
        let Some(exp) = self.expected.get(key) else { return false };
        let stale = cache_lags(inf.get(&Kind::Endpoints, &key.0, &key.1), *exp);
        if !stale {
            self.expected.remove(key);
        }
        stale
    }
}

impl Controller for EndpointController {
    type Key = NsName;
    const NAME: &'static str = "endpoint-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Service | Kind::Pod | Kind::Endpoints)
    }

    /// onServiceUpdate/Delete, addPod/updatePod/deletePod, and onEndpointsDelete (an
    /// Endpoints deleted while its Service stays is recreated).
    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::Service(s) => self.queue.add((s.metadata.namespace.to_string(), s.metadata.name.to_string())),
            Object::Pod(_) => {
                for k in services_for_pod_event(inf, ev) {
                    self.queue.add(k);
                }
            }
            Object::Endpoints(e) if ev.type_ == crate::etcd::WatchEventType::Deleted => {
                let key = (e.metadata.namespace.to_string(), e.metadata.name.to_string());
                if self.expected.get(&key) != Some(&None) && inf.get(&Kind::Service, &key.0, &key.1).is_some() {
                    self.queue.add(key);
                }
            }
            _ => {}
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let current = inf.get(&Kind::Endpoints, &key.0, &key.1).cloned();
        let Some(obj) = inf.get(&Kind::Service, &key.0, &key.1).cloned() else {
            // The Service is gone: so are its Endpoints.
            self.expected.remove(key);
            if current.is_none() {
                return Synced::Done;
            }
            self.in_flight.insert(key.clone(), false);
            self.expected.insert(key.clone(), None);
            ctx.request_reply(Request::Delete { key: Box::new(ObjectKey::new(Kind::Endpoints, &key.0, &key.1)), grace_period_seconds: None, uid: None });
            return Synced::Processing;
        };
        let svc = obj.as_service().expect("a Service");
        if svc.spec.type_ == "ExternalName" {
            return Synced::Done;
        }
        let Some(selector) = svc.spec.selector.as_ref() else { return Synced::Done };
        if self.stale(inf, key) {
            return Synced::Failed;
        }
        let pods: Vec<&Pod> = inf.list_ns(&Kind::Pod, &key.0).filter_map(|o| o.as_pod()).filter(|p| selector_matches(selector, &p.metadata.labels)).collect();
        let mut subsets = subsets(svc, &pods);
        let truncated = truncate(&mut subsets);
        let current = current.as_ref().and_then(|o| o.as_endpoints());
        if let Some(cur) = current {
            // Labels compared without the headless label (the Service does not carry it).
            let mut labels = cur.metadata.labels.clone();
            labels.remove(LABEL_HEADLESS);
            if cur.subsets == subsets && labels == svc.metadata.labels && cur.metadata.annotations.contains_key(ANNOTATION_OVER_CAPACITY) == truncated {
                return Synced::Done;
            }
        }
        let mut e = current.cloned().unwrap_or_else(|| {
            let mut e = Endpoints::default();
            e.metadata.name = key.1.clone().into();
            e.metadata.namespace = key.0.as_str().into();
            e
        });
        e.subsets = subsets;
        e.metadata.labels = svc.metadata.labels.clone();
        if truncated {
            e.metadata.annotations.insert(ANNOTATION_OVER_CAPACITY.into(), "truncated".into());
        } else {
            e.metadata.annotations.remove(ANNOTATION_OVER_CAPACITY);
        }
        if svc.spec.cluster_ip.is_empty() || svc.spec.cluster_ip == "None" {
            e.metadata.labels.insert(LABEL_HEADLESS.into(), String::new());
        } else {
            e.metadata.labels.remove(LABEL_HEADLESS);
        }
        self.in_flight.insert(key.clone(), current.is_none());
        let req = if current.is_none() { Request::Create(Object::Endpoints(Box::new(e))) } else { Request::Update(Object::Endpoints(Box::new(e))) };
        ctx.request_reply(req);
        Synced::Processing
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        let key = match req {
            Request::Create(o) | Request::Update(o) => (o.meta().namespace.to_string(), o.meta().name.to_string()),
            Request::Delete { key, .. } => (key.namespace.clone(), key.name.clone()),
            _ => return,
        };
        let Some(create) = self.in_flight.remove(&key) else { return };
        self.queue.done(&key);
        let failure = match resp {
            Response::Object(o) => {
                if !matches!(req, Request::Delete { .. }) {
                    self.expected.insert(key.clone(), Some(o.meta().resource_version.0));
                }
                None
            }
            Response::Error(st) if matches!(req, Request::Delete { .. }) && st.reason == "NotFound" => None,
            Response::Error(st) if st.cause == Some(NAMESPACE_TERMINATING_CAUSE) => None,
            Response::Error(st) => {
                if matches!(req, Request::Delete { .. }) {
                    self.expected.remove(&key);
                }
                Some(st.message.clone())
            }
            Response::List(..) | Response::PodMetrics(_) => None,
        };
        match failure {
            None => self.queue.forget(&key),
            Some(m) => {
                if let (Request::Create(o) | Request::Update(o), Some(_)) = (req, inf.get(&Kind::Service, &key.0, &key.1)) {
                    let (reason, message) = if create {
                        ("FailedToCreateEndpoint", format!("Failed to create endpoint for service {}/{}: {m}", key.0, key.1))
                    } else {
                        ("FailedToUpdateEndpoint", format!("Failed to update endpoint {}/{}: {m}", key.0, key.1))
                    };
                    ctx.event(o, "Warning", reason, &message);
                }
                ctx.requeue_rate_limited(&mut self.queue, key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::IntOrString;
    use crate::api::pod::{PodCondition, PodIp};
    use crate::api::service::ServicePort;

    fn service(ports: &[(&str, i32)]) -> Service {
        let mut s = Service::default();
        s.metadata.name = "foo".into();
        s.metadata.namespace = "test".into();
        s.spec.cluster_ip = "10.96.0.10".into();
        s.spec.selector = Some([("foo".to_string(), "bar".to_string())].into());
        s.spec.ports = ports
            .iter()
            .map(|(n, p)| ServicePort {
                name: Some(n.to_string()),
                protocol: Some("TCP".into()),
                port: *p,
                target_port: Some(IntOrString::Int(*p)),
                ..Default::default()
            })
            .collect();
        s
    }

    fn pod(i: usize, ready: bool) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = format!("pod{i}").into();
        p.metadata.namespace = "test".into();
        p.metadata.uid = format!("uid-{i}").into();
        p.metadata.labels = [("foo".to_string(), "bar".to_string())].into();
        std::rc::Rc::make_mut(&mut p.spec).node_name = "node-1".into();
        p.status.phase = "Running".into();
        p.status.pod_ip = format!("1.2.3.{}", 4 + i).into();
        p.status.pod_ips = vec![PodIp { ip: p.status.pod_ip.clone() }].into();
        p.status.conditions =
            thin_vec::thin_vec![PodCondition { type_: "Ready".into(), status: if ready { "True" } else { "False" }.into(), ..Default::default() }];
        p
    }

    /// endpoints_controller_test.go's shape (TestSyncEndpointsItemsPreexisting,
    /// TestSyncEndpointsItemsWithLabels): ready pods under addresses, the others under
    /// notReadyAddresses, one subset for the shared ports, the Service's labels copied.
    #[test]
    fn ready_and_not_ready_pods_share_a_subset() {
        let svc = service(&[("http", 8080), ("https", 8443)]);
        let pods = [pod(0, true), pod(1, false), pod(2, true)];
        let refs: Vec<&Pod> = pods.iter().collect();
        let ss = subsets(&svc, &refs);
        assert_eq!(ss.len(), 1);
        assert_eq!(ss[0].addresses.iter().map(|a| a.ip.as_str()).collect::<Vec<_>>(), ["1.2.3.4", "1.2.3.6"]);
        assert_eq!(ss[0].not_ready_addresses[0].ip, "1.2.3.5");
        assert_eq!(ss[0].ports.len(), 2);
        assert_eq!(ss[0].addresses[0].target_ref.as_ref().unwrap().name, "pod0");
    }

    /// Terminating pods are left out unless publishNotReadyAddresses (then ready).
    #[test]
    fn terminating_pods_are_left_out_unless_published() {
        let mut svc = service(&[("http", 80)]);
        let mut t = pod(0, true);
        t.metadata.rare.deletion_timestamp = Some(crate::api::meta::Time(crate::engine::SimTime(1)));
        assert!(subsets(&svc, &[&t]).is_empty());
        svc.spec.publish_not_ready_addresses = Some(true);
        let ss = subsets(&svc, &[&t, &pod(1, false)]);
        assert_eq!(ss[0].addresses.len(), 2);
    }

    /// Pods offering different ports land in different subsets (RepackSubsets).
    #[test]
    fn pods_with_different_ports_get_different_subsets() {
        let mut svc = service(&[("http", 80)]);
        svc.spec.ports[0].target_port = Some(IntOrString::String("web".into()));
        let mut a = pod(0, true);
        std::rc::Rc::make_mut(&mut std::rc::Rc::make_mut(&mut a.spec).containers).push(crate::api::pod::Container {
            name: "c".into(),
            ports: vec![crate::api::pod::ContainerPort { container_port: 8080, name: Some("web".into()), ..Default::default() }],
            ..Default::default()
        });
        let mut b = pod(1, true);
        std::rc::Rc::make_mut(&mut std::rc::Rc::make_mut(&mut b.spec).containers).push(crate::api::pod::Container {
            name: "c".into(),
            ports: vec![crate::api::pod::ContainerPort { container_port: 9090, name: Some("web".into()), ..Default::default() }],
            ..Default::default()
        });
        let ss = subsets(&svc, &[&a, &b]);
        assert_eq!(ss.len(), 2);
        assert_eq!((ss[0].ports[0].port, ss[1].ports[0].port), (8080, 9090));
    }

    /// TestTruncateEndpoints (endpoints_controller_test.go): subsets of (ready, not ready)
    /// addresses and what upstream keeps of each.
    #[test]
    fn truncation_follows_upstreams_table() {
        let addr = || EndpointAddress { ip: "1.1.1.1".into(), ..Default::default() };
        // (ready per subset, not ready per subset, ready kept, not ready kept).
        type Case<'a> = (&'a [usize], &'a [usize], &'a [usize], &'a [usize]);
        let cases: [Case; 5] = [
            (&[], &[], &[], &[]),
            (&[50, 100, 100, 100, 100], &[50, 100, 100, 100, 100], &[50, 100, 100, 100, 100], &[50, 100, 100, 100, 100]),
            (&[100, 100, 100, 100, 100], &[100, 100, 100, 100, 100], &[100, 100, 100, 100, 100], &[100, 100, 100, 100, 100]),
            (&[90, 110, 50, 10, 20], &[101, 200, 200, 201, 298], &[90, 110, 50, 10, 20], &[73, 144, 144, 145, 214]),
            (&[205, 400, 402, 400, 693], &[100, 200, 200, 200, 300], &[98, 191, 192, 191, 328], &[0, 0, 0, 0, 0]),
        ];
        for (ready, not_ready, want_ready, want_not_ready) in cases {
            let mut subsets: Vec<EndpointSubset> = ready
                .iter()
                .zip(not_ready)
                .map(|(r, n)| EndpointSubset { addresses: vec![addr(); *r], not_ready_addresses: vec![addr(); *n], ports: Vec::new() })
                .collect();
            truncate(&mut subsets);
            let got: (Vec<usize>, Vec<usize>) =
                (subsets.iter().map(|s| s.addresses.len()).collect(), subsets.iter().map(|s| s.not_ready_addresses.len()).collect());
            assert_eq!(got, (want_ready.to_vec(), want_not_ready.to_vec()), "{ready:?} / {not_ready:?}");
        }
    }

    /// 1,200 ready addresses of one subset keep 1,000.
    #[test]
    fn past_a_thousand_addresses_are_truncated() {
        let svc = service(&[("http", 80)]);
        let pods: Vec<Pod> = (0..1200).map(|i| pod(i, true)).collect();
        let refs: Vec<&Pod> = pods.iter().collect();
        let mut ss = subsets(&svc, &refs);
        assert!(truncate(&mut ss));
        assert_eq!(ss[0].addresses.len(), MAX_CAPACITY);
    }
}
