//! The EndpointSlice controller (pkg/controller/endpointslice/endpointslice_controller.go,
//! syncService; its reconciler staging/src/k8s.io/endpointslice/reconciler.go,
//! Reconcile/reconcileByPortMapping/finalize; utils.go podToEndpoint, getEndpointPorts,
//! setEndpointSliceLabels, newEndpointSlice; util/controller_utils.go
//! ShouldPodBeInEndpoints, podEndpointsChanged; pkg/api/v1/pod FindPort).
//!
//! For every Service with a selector (not ExternalName) it keeps EndpointSlices of at most
//! 100 endpoints listing the selected pods that have an IP and are not terminal —
//! terminating ones included, with `ready` false and `terminating` true — grouped by the
//! ports each pod resolves (a named targetPort is looked up in each pod), with the pod's
//! node and zone; a Service with nothing to list gets one placeholder slice. Existing
//! slices are changed in place where they can be (endpoints updated or dropped, new
//! ones filling the fullest updated slice first, then an unchanged slice they fit in,
//! then new slices), and a slice to delete is recycled for one to create. Upstream walks
//! Go maps here (random order); ksim goes by pod and slice name. Zone hints follow
//! `trafficDistribution` (pkg/controller/endpointslice/trafficdist, ReconcileHints): with
//! PreferClose each ready endpoint is hinted for its own zone, otherwise hints are
//! removed; the topology-aware-hints annotation's TopologyCache is not modelled.
//!
//! Like upstream's endpointSliceTracker, it remembers the resourceVersion each of its
//! writes produced (or that it deleted a slice) and refuses to sync from a cache that
//! does not show them yet ("EndpointSlice informer cache is out of date"), requeueing
//! with the controller's rate limiter (1 s doubling to 1000 s). A sync's writes are
//! answered before the Service is synced again.

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::endpoints::{
    Endpoint, EndpointConditions, EndpointPort, EndpointSlice, ObjectReference, LABEL_HEADLESS, LABEL_MANAGED_BY, LABEL_SERVICE_NAME, SLICE_CONTROLLER_NAME,
};
use crate::api::meta::{IntOrString, OwnerReference};
use crate::api::pod::Pod;
use crate::api::service::Service;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response, NAMESPACE_TERMINATING_CAUSE};
use crate::engine::SimDuration;
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// --max-endpoints-per-slice default.
pub const MAX_ENDPOINTS_PER_SLICE: usize = 100;
/// The controller's rate limiter: ItemExponentialFailureRateLimiter(defaultSyncBackOff 1 s,
/// maxSyncBackOff 1000 s) with the usual bucket.
pub const SYNC_BACK_OFF: SimDuration = SimDuration::from_secs(1);
pub const MAX_SYNC_BACK_OFF: SimDuration = SimDuration::from_secs(1000);
/// v1.LabelTopologyZone.
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";

/// ShouldPodBeInEndpoints: not terminal, has an IP, and (unless `include_terminating`)
/// not being deleted.
pub fn should_pod_be_in_endpoints(pod: &Pod, include_terminating: bool) -> bool {
    if pod.is_terminal() {
        return false;
    }
    if pod.status.pod_ip.is_empty() && pod.status.pod_ips.is_empty() {
        return false;
    }
    include_terminating || pod.metadata.rare.deletion_timestamp.is_none()
}

/// podutil.FindPort: a numeric targetPort as is; a named one looked up among the pod's
/// containers' ports (then its sidecars') with the Service port's protocol.
pub fn find_port(pod: &Pod, target: Option<&IntOrString>, protocol: &str) -> Option<i32> {
    match target {
        Some(IntOrString::Int(n)) => Some(*n),
        Some(IntOrString::String(name)) => {
            let sidecars = pod.spec.init_containers.iter().filter(|c| c.restart_policy.as_deref() == Some("Always"));
            pod.spec
                .containers
                .iter()
                .chain(sidecars)
                .flat_map(|c| c.ports.iter())
                .find(|p| p.name.as_deref() == Some(name.as_str()) && p.protocol.as_deref().unwrap_or("TCP") == protocol)
                .map(|p| p.container_port)
        }
        None => None,
    }
}

/// labels.Set(selector).AsSelectorPreValidated().Matches: every pair present.
pub fn selector_matches(selector: &BTreeMap<String, String>, labels: &BTreeMap<String, String>) -> bool {
    selector.iter().all(|(k, v)| labels.get(k) == Some(v))
}

/// GetPodServiceMemberships: the Services (with a selector) in the pod's namespace that
/// select these labels.
pub fn services_selecting<'a>(inf: &'a SharedInformers, ns: &'a str, labels: &'a BTreeMap<String, String>) -> impl Iterator<Item = NsName> + 'a {
    inf.list_ns(&Kind::Service, ns)
        .filter_map(|o| o.as_service())
        .filter(|s| s.spec.selector.as_ref().is_some_and(|sel| selector_matches(sel, labels)))
        .map(|s| (s.metadata.namespace.to_string(), s.metadata.name.to_string()))
}

/// podEndpointsChanged (plus a change of terminal phase, which also moves a pod in or out
/// of the endpoints): (whether the pod's endpoint changed, whether its labels or
/// hostname/subdomain did).
pub fn pod_endpoints_changed(old: &Pod, new: &Pod) -> (bool, bool) {
    let labels_changed = old.metadata.labels != new.metadata.labels || old.spec.hostname != new.spec.hostname || old.spec.subdomain != new.spec.subdomain;
    let changed = old.metadata.rare.deletion_timestamp != new.metadata.rare.deletion_timestamp
        || old.is_ready() != new.is_ready()
        || old.status.pod_ip != new.status.pod_ip
        || old.status.pod_ips != new.status.pod_ips
        || old.is_terminal() != new.is_terminal();
    (changed, labels_changed)
}

/// The Services a pod's watch event concerns (GetServicesToUpdateOnPodChange).
pub fn services_for_pod_event(inf: &SharedInformers, ev: &WatchEvent) -> BTreeSet<NsName> {
    let Some(pod) = ev.object.as_pod() else { return BTreeSet::new() };
    let ns = &pod.metadata.namespace;
    // No Service of the namespace selects pods (the `default` namespace's `kubernetes`
    // has no selector): no pod event concerns one, whatever changed.
    if !inf.list_ns(&Kind::Service, ns).any(|o| o.as_service().is_some_and(|s| s.spec.selector.is_some())) {
        return BTreeSet::new();
    }
    let old = ev.prev.as_ref().and_then(|o| o.as_pod());
    match (ev.type_, old) {
        (WatchEventType::Modified, Some(old)) => {
            let (changed, labels_changed) = pod_endpoints_changed(old, pod);
            if !changed && !labels_changed {
                return BTreeSet::new();
            }
            let mut out: BTreeSet<NsName> = services_selecting(inf, ns, &pod.metadata.labels).collect();
            if labels_changed {
                out.extend(services_selecting(inf, ns, &old.metadata.labels));
            }
            out
        }
        _ => services_selecting(inf, ns, &pod.metadata.labels).collect(),
    }
}

/// endpointutil.ShouldSetHostname.
fn should_set_hostname(pod: &Pod, svc: &Service) -> bool {
    !pod.spec.hostname.is_empty() && pod.spec.subdomain == svc.metadata.name && svc.metadata.namespace == pod.metadata.namespace
}

/// podToEndpoint.
fn pod_to_endpoint(pod: &Pod, zone: Option<&String>, svc: &Service) -> Endpoint {
    let serving = pod.is_ready();
    let terminating = pod.metadata.rare.deletion_timestamp.is_some();
    let ready = svc.spec.publish_not_ready_addresses == Some(true) || (serving && !terminating);
    let address = if pod.status.pod_ips.is_empty() { pod.status.pod_ip.to_string() } else { pod.status.pod_ips[0].ip.to_string() };
    Endpoint {
        addresses: vec![address],
        conditions: EndpointConditions { ready: Some(ready), serving: Some(serving), terminating: Some(terminating) },
        hostname: should_set_hostname(pod, svc).then(|| pod.spec.hostname.clone()),
        target_ref: Some(ObjectReference {
            kind: "Pod".into(),
            namespace: pod.metadata.namespace.to_string(),
            name: pod.metadata.name.to_string(),
            uid: pod.metadata.uid.to_string(),
            ..Default::default()
        }),
        node_name: (!pod.spec.node_name.is_empty()).then(|| pod.spec.node_name.to_string()),
        zone: zone.cloned(),
        ..Default::default()
    }
}

/// getEndpointPorts: each Service port the pod resolves (a port it cannot is left out).
fn endpoint_ports(svc: &Service, pod: &Pod) -> Vec<EndpointPort> {
    if svc.spec.ports.is_empty() && svc.spec.cluster_ip == "None" {
        return Vec::new();
    }
    svc.spec
        .ports
        .iter()
        .filter_map(|sp| {
            let proto = sp.protocol.clone().unwrap_or_else(|| "TCP".into());
            let port = find_port(pod, sp.target_port.as_ref(), &proto)?;
            Some(EndpointPort {
                name: Some(sp.name.clone().unwrap_or_default()),
                protocol: Some(proto),
                port: Some(port),
                app_protocol: sp.app_protocol.clone(),
            })
        })
        .collect()
}

/// The key an endpoint is matched by across syncs (hashEndpoint: addresses, hostname,
/// the target's namespace and name).
type EndpointKey = (Vec<String>, Option<String>, Option<(String, String)>);

/// The desired endpoints of one port mapping: the ports in the Service's order, and the
/// endpoints by key.
type Desired = (Vec<EndpointPort>, BTreeMap<EndpointKey, Endpoint>);

fn endpoint_key(e: &Endpoint) -> EndpointKey {
    let mut addresses = e.addresses.clone();
    addresses.sort();
    (addresses, e.hostname.clone(), e.target_ref.as_ref().map(|r| (r.namespace.clone(), r.name.clone())))
}

/// EndpointsEqualBeyondHash: conditions, node, zone, hints and the target (its
/// resourceVersion aside).
fn equal_beyond_hash(a: &Endpoint, b: &Endpoint) -> bool {
    // EndpointsEqualBeyondHash: node, zone, conditions, targetRef (its resourceVersion
    // aside) — not hints, which ReconcileHints owns.
    let target = |e: &Endpoint| e.target_ref.as_ref().map(|r| ObjectReference { resource_version: String::new(), ..r.clone() });
    a.conditions == b.conditions && a.node_name == b.node_name && a.zone == b.zone && target(a) == target(b)
}

/// trafficdist.ReconcileHints: with `trafficDistribution: PreferClose` every ready
/// endpoint gets a hint for its own zone (none without a zone); otherwise hints are
/// removed. Unchanged slices whose hints are missing, wrong or stale are updated too.
fn reconcile_hints(svc: &Service, existing: &[&EndpointSlice], plan: &mut Plan) {
    let prefer_close = svc.spec.traffic_distribution.as_deref().and_then(|v| v.as_str()) == Some("PreferClose");
    let ready = |e: &Endpoint| e.conditions.ready == Some(true);
    let wanted = |e: &Endpoint| -> Option<Box<serde_json::Value>> {
        if !prefer_close {
            return None;
        }
        e.zone.as_ref().map(|z| Box::new(serde_json::json!({"forZones": [{"name": z}]})))
    };
    // needsUpdate: the default heuristic, any hint; preferClose, a ready endpoint's hint
    // that is not the wanted one.
    let needs_update = |s: &EndpointSlice| s.endpoints.iter().any(|e| if prefer_close { ready(e) && e.hints != wanted(e) } else { e.hints.is_some() });
    let touched: Vec<String> = plan.update.iter().chain(plan.delete.iter()).map(|s| s.metadata.name.to_string()).collect();
    for s in existing.iter().filter(|s| s.address_type == "IPv4" && !touched.iter().any(|t| *t == *s.metadata.name)) {
        if needs_update(s) {
            plan.update.push((*s).clone());
        }
    }
    for s in plan.create.iter_mut().chain(plan.update.iter_mut()) {
        for e in &mut s.endpoints {
            if !prefer_close {
                e.hints = None;
            } else if ready(e) {
                e.hints = wanted(e);
            }
        }
    }
}

/// isReservedLabelKey.
fn is_reserved_label(k: &str) -> bool {
    k == LABEL_SERVICE_NAME || k == LABEL_MANAGED_BY || k == LABEL_HEADLESS
}

/// setEndpointSliceLabels: the Service's labels (reserved keys aside), the headless
/// label for a Service without a ClusterIP, the service-name and managed-by labels; and
/// whether the slice's own (non-reserved) labels differ from the Service's.
fn slice_labels(slice_labels: &BTreeMap<String, String>, svc: &Service) -> (BTreeMap<String, String>, bool) {
    let ep: BTreeMap<&String, &String> = slice_labels.iter().filter(|(k, _)| !is_reserved_label(k)).collect();
    let mut out: BTreeMap<String, String> = svc.metadata.labels.iter().filter(|(k, _)| !is_reserved_label(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
    let updated = ep.len() != out.len() || ep.iter().any(|(k, v)| out.get(*k) != Some(*v));
    if svc.spec.cluster_ip.is_empty() || svc.spec.cluster_ip == "None" {
        out.insert(LABEL_HEADLESS.into(), String::new());
    }
    out.insert(LABEL_SERVICE_NAME.into(), svc.metadata.name.to_string());
    out.insert(LABEL_MANAGED_BY.into(), SLICE_CONTROLLER_NAME.into());
    (out, updated)
}

/// newEndpointSlice: generateName `<service>-`, owned by the Service, no endpoints yet.
fn new_slice(svc: &Service, ports: &[EndpointPort]) -> EndpointSlice {
    let mut s = EndpointSlice::default();
    let prefix = format!("{}-", svc.metadata.name);
    s.metadata.generate_name = if crate::api::validation::dns1123_subdomain(&format!("{prefix}a")).is_empty() { prefix.into() } else { "slice-".into() };
    s.metadata.namespace = svc.metadata.namespace.clone();
    *s.metadata.owner_references = vec![OwnerReference {
        api_version: "v1".into(),
        kind: "Service".into(),
        name: svc.metadata.name.to_string(),
        uid: svc.metadata.uid.to_string(),
        controller: Some(true),
        block_owner_deletion: Some(true),
    }];
    s.metadata.labels = slice_labels(&BTreeMap::new(), svc).0.into();
    s.address_type = "IPv4".into();
    s.ports = Some(ports.to_vec());
    s
}

/// The writes one sync decided.
#[derive(Debug, Default)]
pub struct Plan {
    pub create: Vec<EndpointSlice>,
    pub update: Vec<EndpointSlice>,
    pub delete: Vec<EndpointSlice>,
}

/// Reconcile for the IPv4 address type: the desired endpoints (by port mapping) against
/// the Service's existing slices.
pub fn reconcile(svc: &Service, pods: &[&Pod], zones: &BTreeMap<String, String>, existing: &[&EndpointSlice]) -> Plan {
    // The desired endpoints, grouped by the ports the pods resolve (NewPortMapKey: the
    // sorted ports); pods in name order.
    let mut desired: BTreeMap<Vec<EndpointPort>, Desired> = BTreeMap::new();
    for pod in pods.iter().filter(|p| should_pod_be_in_endpoints(p, true)) {
        let ports = endpoint_ports(svc, pod);
        let mut key = ports.clone();
        key.sort();
        let ep = pod_to_endpoint(pod, zones.get(pod.spec.node_name.as_str()), svc);
        desired.entry(key).or_insert_with(|| (ports, BTreeMap::new())).1.insert(endpoint_key(&ep), ep);
    }
    let mut by_ports: BTreeMap<Vec<EndpointPort>, Vec<&EndpointSlice>> = BTreeMap::new();
    let mut plan = Plan::default();
    for s in existing {
        if s.address_type != "IPv4" {
            plan.delete.push((*s).clone());
            continue;
        }
        let mut key = s.ports.clone().unwrap_or_default();
        key.sort();
        by_ports.entry(key).or_default().push(s);
    }
    let existing_ipv4: usize = by_ports.values().map(Vec::len).sum();
    let deleted_before = plan.delete.len();
    for (key, (ports, set)) in desired.iter_mut() {
        let slices = by_ports.remove(key).unwrap_or_default();
        reconcile_port_mapping(svc, &slices, set, ports, &mut plan);
    }
    for slices in by_ports.into_values() {
        plan.delete.extend(slices.into_iter().cloned());
    }
    // A placeholder when no slice would exist (kept if it is the one being deleted).
    if existing_ipv4 == plan.delete.len() - deleted_before && plan.create.is_empty() {
        let placeholder = new_slice(svc, &[]);
        let same = |s: &EndpointSlice| s.endpoints.is_empty() && s.ports.as_ref().is_none_or(Vec::is_empty) && s.metadata.labels == placeholder.metadata.labels;
        if plan.delete.len() - deleted_before == 1 && same(&plan.delete[deleted_before]) {
            plan.delete.pop();
        } else {
            plan.create.push(placeholder);
        }
    }
    // finalize: a slice to delete is updated into one to create instead.
    let mut i = 0;
    while i < plan.delete.len() && !plan.create.is_empty() {
        if plan.delete[i].address_type == "IPv4" {
            let old = plan.delete.remove(i);
            let mut s = plan.create.pop().expect("a slice to create");
            s.metadata.name = old.metadata.name;
            s.metadata.generate_name = old.metadata.generate_name.clone();
            s.metadata.resource_version = old.metadata.resource_version;
            s.metadata.uid = old.metadata.uid.clone();
            s.metadata.creation_timestamp = old.metadata.creation_timestamp;
            plan.update.push(s);
        } else {
            i += 1;
        }
    }
    reconcile_hints(svc, existing, &mut plan);
    plan
}

/// reconcileByPortMapping.
fn reconcile_port_mapping(svc: &Service, existing: &[&EndpointSlice], desired: &mut BTreeMap<EndpointKey, Endpoint>, ports: &[EndpointPort], plan: &mut Plan) {
    let mut updated: BTreeMap<String, EndpointSlice> = BTreeMap::new();
    let mut unchanged: BTreeMap<String, &EndpointSlice> = BTreeMap::new();
    // 1. Keep the desired endpoints of each slice (updated where they changed).
    for s in existing {
        let mut kept = Vec::new();
        let mut endpoint_updated = false;
        for e in &s.endpoints {
            if let Some(got) = desired.remove(&endpoint_key(e)) {
                endpoint_updated |= !equal_beyond_hash(&got, e);
                kept.push(got);
            }
        }
        let (labels, labels_changed) = slice_labels(&s.metadata.labels, svc);
        if endpoint_updated || kept.len() != s.endpoints.len() {
            if kept.is_empty() {
                plan.delete.push((*s).clone());
            } else {
                let mut n = (*s).clone();
                n.endpoints = kept;
                n.metadata.labels = labels.into();
                updated.insert(n.metadata.name.to_string(), n);
            }
        } else if labels_changed {
            let mut n = (*s).clone();
            n.metadata.labels = labels.into();
            updated.insert(n.metadata.name.to_string(), n);
        } else {
            unchanged.insert(s.metadata.name.to_string(), s);
        }
    }
    let pop = |desired: &mut BTreeMap<EndpointKey, Endpoint>| desired.pop_first().map(|(_, e)| e);
    // 2. Fill the updated slices, fullest first.
    if !desired.is_empty() && !updated.is_empty() {
        let mut names: Vec<String> = updated.keys().cloned().collect();
        names.sort_by_key(|n| std::cmp::Reverse(updated[n].endpoints.len()));
        for n in names {
            let s = updated.get_mut(&n).expect("an updated slice");
            while s.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
                let Some(e) = pop(desired) else { break };
                s.endpoints.push(e);
            }
        }
    }
    // 3. The rest into an unchanged slice they fit in (getSliceToFill: the one that ends
    //    up fullest), or new slices.
    while !desired.is_empty() {
        let mut target = None;
        if desired.len() < MAX_ENDPOINTS_PER_SLICE {
            target = unchanged
                .iter()
                .filter(|(_, s)| s.endpoints.len() + desired.len() <= MAX_ENDPOINTS_PER_SLICE)
                .max_by_key(|(n, s)| (s.endpoints.len(), std::cmp::Reverse((*n).clone())))
                .map(|(n, _)| n.clone());
        }
        let mut s = match target.and_then(|n| unchanged.remove(&n)) {
            Some(s) => s.clone(),
            None => new_slice(svc, ports),
        };
        while s.endpoints.len() < MAX_ENDPOINTS_PER_SLICE {
            let Some(e) = pop(desired) else { break };
            s.endpoints.push(e);
        }
        if s.metadata.name.is_empty() {
            plan.create.push(s);
        } else {
            updated.insert(s.metadata.name.to_string(), s);
        }
    }
    plan.update.extend(updated.into_values());
}

/// Whether the cache lags behind a write of this controller: it must show the object at
/// `expected` resourceVersion or later, or (None) not at all.
pub fn cache_lags(cached: Option<&Rc<Object>>, expected: Option<u64>) -> bool {
    match expected {
        Some(rv) => cached.is_none_or(|o| o.meta().resource_version.0 < rv),
        None => cached.is_some(),
    }
}

/// The writes of one Service's sync still unanswered, and whether one failed.
#[derive(Debug, Default)]
struct InFlight {
    left: usize,
    error: Option<String>,
}

pub struct EndpointSliceController {
    queue: WorkQueue<NsName>,
    in_flight: BTreeMap<NsName, InFlight>,
    /// endpointSliceTracker: per Service, what the cache must show of its slices —
    /// at least this resourceVersion, or (None) no such slice.
    expected: BTreeMap<NsName, BTreeMap<String, Option<u64>>>,
}

impl Default for EndpointSliceController {
    fn default() -> Self {
        EndpointSliceController {
            queue: WorkQueue::with_delays(Order::Fifo, SYNC_BACK_OFF, MAX_SYNC_BACK_OFF),
            in_flight: BTreeMap::new(),
            expected: BTreeMap::new(),
        }
    }
}

fn service_of_slice(s: &EndpointSlice) -> Option<NsName> {
    let managed = s.metadata.labels.get(LABEL_MANAGED_BY).map(String::as_str) == Some(SLICE_CONTROLLER_NAME);
    let svc = s.metadata.labels.get(LABEL_SERVICE_NAME)?;
    managed.then(|| (s.metadata.namespace.to_string(), svc.clone()))
}

impl EndpointSliceController {
    /// StaleSlices: whether the cache lags behind this controller's own writes; the
    /// expectations it already meets are dropped.
    fn stale(&mut self, inf: &SharedInformers, key: &NsName) -> bool {
        let Some(exp) = self.expected.get_mut(key) else { return false };
        exp.retain(|name, rv| cache_lags(inf.get(&Kind::EndpointSlice, &key.0, name), *rv));
        let stale = !exp.is_empty();
        if !stale {
            self.expected.remove(key);
        }
        stale
    }
}

impl Controller for EndpointSliceController {
    type Key = NsName;
    const NAME: &'static str = "endpoint-slice-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Service | Kind::Pod | Kind::EndpointSlice)
    }

    /// onServiceUpdate/Delete, addPod/updatePod/deletePod, and onEndpointSlice* for a
    /// managed slice changed by someone else (not one of its own writes).
    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        match &*ev.object {
            Object::Service(s) => self.queue.add((s.metadata.namespace.to_string(), s.metadata.name.to_string())),
            Object::Pod(_) => {
                for k in services_for_pod_event(inf, ev) {
                    self.queue.add(k);
                }
            }
            Object::EndpointSlice(s) => {
                let Some(key) = service_of_slice(s) else { return };
                if self.in_flight.contains_key(&key) {
                    return;
                }
                let expected = self.expected.get(&key).and_then(|e| e.get(s.metadata.name.as_str()));
                let ours = match (ev.type_, expected) {
                    (WatchEventType::Deleted, Some(None)) => true,
                    (WatchEventType::Deleted, _) => false,
                    (_, Some(Some(rv))) => *rv == s.metadata.resource_version.0,
                    _ => false,
                };
                if !ours {
                    self.queue.add(key);
                }
            }
            _ => {}
        }
    }

    /// syncService.
    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&Kind::Service, &key.0, &key.1).cloned() else {
            self.expected.remove(key);
            return Synced::Done;
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
        let existing: Vec<&EndpointSlice> = inf
            .list_ns(&Kind::EndpointSlice, &key.0)
            .filter_map(|o| o.as_endpoint_slice())
            .filter(|s| service_of_slice(s).is_some_and(|k| k == *key) && s.metadata.rare.deletion_timestamp.is_none())
            .collect();
        let zones: BTreeMap<String, String> = pods
            .iter()
            .filter_map(|p| {
                let n = inf.get(&Kind::Node, "", &p.spec.node_name)?.as_node()?;
                Some((n.metadata.name.to_string(), n.metadata.labels.get(LABEL_TOPOLOGY_ZONE)?.clone()))
            })
            .collect();
        let plan = reconcile(svc, &pods, &zones, &existing);
        let n = plan.create.len() + plan.update.len() + plan.delete.len();
        if n == 0 {
            return Synced::Done;
        }
        self.in_flight.insert(key.clone(), InFlight { left: n, error: None });
        for s in plan.create {
            ctx.request_reply(Request::Create(Object::EndpointSlice(Box::new(s))));
        }
        for s in plan.update {
            ctx.request_reply(Request::Update(Object::EndpointSlice(Box::new(s))));
        }
        for s in plan.delete {
            self.expected.entry(key.clone()).or_default().insert(s.metadata.name.to_string(), None);
            ctx.request_reply(Request::Delete {
                key: Box::new(ObjectKey::new(Kind::EndpointSlice, &key.0, &s.metadata.name)),
                grace_period_seconds: None,
                uid: None,
            });
        }
        Synced::Processing
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        // The Service a write was for: a created or updated slice's labels say; a delete
        // was recorded as expected-gone under its Service when it was sent.
        let key = match req {
            Request::Create(o) | Request::Update(o) => o.as_endpoint_slice().and_then(service_of_slice),
            Request::Delete { key: k, .. } => {
                self.in_flight.keys().find(|s| s.0 == k.namespace && self.expected.get(*s).is_some_and(|e| e.get(&k.name) == Some(&None))).cloned()
            }
            _ => None,
        };
        let Some(key) = key else { return };
        let Some(f) = self.in_flight.get_mut(&key) else { return };
        match resp {
            Response::Object(o) => {
                if !matches!(req, Request::Delete { .. }) {
                    self.expected.entry(key.clone()).or_default().insert(o.meta().name.to_string(), Some(o.meta().resource_version.0));
                }
            }
            Response::Error(st) if matches!(req, Request::Delete { .. }) && st.reason == "NotFound" => {}
            Response::Error(st) if st.cause == Some(NAMESPACE_TERMINATING_CAUSE) => {}
            Response::Error(st) => {
                if let (Request::Delete { key: k, .. }, Some(e)) = (req, self.expected.get_mut(&key)) {
                    e.remove(&k.name);
                }
                let what = match req {
                    Request::Create(_) => "failed to create EndpointSlice for Service".to_string(),
                    Request::Update(o) => format!("failed to update {} EndpointSlice for Service", o.meta().name),
                    _ => "failed to delete EndpointSlice for Service".to_string(),
                };
                f.error.get_or_insert(format!("{what} {}/{}: {}", key.0, key.1, st.message));
            }
            Response::List(..) | Response::PodMetrics(_) => {}
        }
        f.left -= 1;
        if f.left > 0 {
            return;
        }
        let error = self.in_flight.remove(&key).and_then(|f| f.error);
        self.queue.done(&key);
        match error {
            None => self.queue.forget(&key),
            Some(e) => {
                if let Some(svc) = inf.get(&Kind::Service, &key.0, &key.1).cloned() {
                    ctx.event(&svc, "Warning", "FailedToUpdateEndpointSlices", &format!("Error updating Endpoint Slices for Service {}/{}: {e}", key.0, key.1));
                }
                ctx.requeue_rate_limited(&mut self.queue, key);
            }
        }
    }
}

#[cfg(test)]
mod tests;
