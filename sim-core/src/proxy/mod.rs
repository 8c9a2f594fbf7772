//! kube-proxy, one per node (cmd/kube-proxy, pkg/proxy; the iptables proxier's
//! semantics, pkg/proxy/iptables/proxier.go):
//!
//! - its own informers of Services and EndpointSlices (a list at start, then the watch;
//!   `isInitialized` — no sync before both lists are in, as the proxier waits for
//!   servicesSynced and endpointSlicesSynced);
//! - the lists in, it syncs at once (OnServiceSynced / OnEndpointSlicesSynced call
//!   syncProxyRules directly); after that every change asks the sync runner for a sync
//!   (`runner`: at most one per minSyncPeriod, 1 s, so a busy node's rules trail the
//!   apiserver by up to a second plus its watch);
//! - a sync programs, per Service port, the endpoints each traffic policy sends to
//!   (`endpoints`: the EndpointSliceCache and ServicePort; `topology`:
//!   CategorizeEndpoints) — the `ProxyView`, which is the node's rules until the next
//!   sync. A student can read it at any moment (`ksim proxy`) and see the window in
//!   which a node still sends to a pod that is gone.
//!
//! Differences from upstream: a sync takes no time (iptables-restore's duration is not
//! modelled) and recomputes only the Services that changed since the last one (as the
//! proxier's partial syncs do); the hourly full resync re-applies unchanged rules and is
//! not simulated; IPv4 only. A node crash takes its rules with it (the kernel's tables
//! do not survive a reboot); kube-proxy starts again with the node and relists.

pub mod endpoints;
pub mod iptables;
pub mod runner;
pub mod topology;

use crate::api::endpoints::{EndpointSlice, LABEL_SERVICE_NAME};
use crate::api::{Kind, Object};
use crate::apiserver::{Request, Response};
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use endpoints::{ServicePortInfo, ServicePortName};
use runner::{Decision, Runner};
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;
use topology::Categorized;

/// v1.LabelTopologyZone: the only zone label kube-proxy reads.
pub const LABEL_TOPOLOGY_ZONE: &str = "topology.kubernetes.io/zone";

/// --iptables-min-sync-period's default.
pub const MIN_SYNC_PERIOD: SimDuration = SimDuration::from_secs(1);

/// kube-proxy's timers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The end of the sync runner's cooldown, armed for `at` when a run was queued (the
    /// generation guards against a timer from before a restart).
    Sync { generation: u32, at: SimTime },
}

/// What one Service port is programmed to on a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProgrammedPort {
    pub info: ServicePortInfo,
    pub endpoints: Categorized,
}

impl ProgrammedPort {
    /// Where traffic to the ClusterIP goes from this node: the endpoints of the internal
    /// traffic policy (Local: this node's only).
    pub fn internal(&self) -> &[crate::proxy::endpoints::EndpointInfo] {
        let e = &self.endpoints;
        if self.info.internal_policy_local { e.local.as_deref() } else { e.cluster.as_deref() }.unwrap_or_default()
    }

    /// Where traffic arriving at this node's NodePort (or a load-balancer IP) goes: the
    /// endpoints of the external traffic policy.
    pub fn external(&self) -> &[crate::proxy::endpoints::EndpointInfo] {
        let e = &self.endpoints;
        if self.info.external_policy_local { e.local.as_deref() } else { e.cluster.as_deref() }.unwrap_or_default()
    }
}

/// A node's programmed rules.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ProxyView {
    /// When the rules were last synced (None: never since kube-proxy started).
    pub synced_at: Option<SimTime>,
    /// Boxed: a B-tree leaf has room for eleven entries, and a node's few ports (the
    /// `kubernetes` Service's and kube-dns's four) took a leaf of 3.6 KB inline, one per
    /// node.
    pub ports: BTreeMap<ServicePortName, Box<ProgrammedPort>>,
}

type SvcKey = (String, String);

/// A Service's place in the cache: the Service (None while its slices came first, or
/// once it is gone and slices still name it) and the EndpointSlices filed under it.
#[derive(Default)]
struct Filed {
    service: Option<Rc<Object>>,
    /// By name, sorted (a slice holds up to a hundred endpoints: a few a Service).
    slices: Vec<(String, Rc<Object>)>,
}

impl Filed {
    fn is_empty(&self) -> bool {
        self.service.is_none() && self.slices.is_empty()
    }
}

/// The Services and EndpointSlices kube-proxy holds (its ServiceChangeTracker and
/// EndpointSliceCache), in one map by Service: a map of Services, one of slices by
/// Service and one of where each slice was filed were three B-trees a kube-proxy, whose
/// leaves have room for eleven entries each (2.8 KB a node for the `kubernetes`
/// Service alone). Where a slice was filed is its service-name label as last seen,
/// which the update of a slice that keeps its label finds at once; the update or
/// deletion of one whose label changed or went, rare (the EndpointSlice controller
/// never relabels its slices), looks among its namespace's Services. A new slice (an
/// Added event, or a relist's) is filed nowhere yet, and is not looked for.
#[derive(Default)]
struct Cache {
    by_service: BTreeMap<SvcKey, Filed>,
    service_rev: u64,
    slice_rev: u64,
}

impl Cache {
    fn service(&self, key: &SvcKey) -> Option<&Rc<Object>> {
        self.by_service.get(key).and_then(|f| f.service.as_ref())
    }

    /// Drops `key`'s entry once it holds nothing.
    fn prune(&mut self, key: &SvcKey) {
        if self.by_service.get(key).is_some_and(Filed::is_empty) {
            self.by_service.remove(key);
        }
    }

    /// Where the slice `ns`/`name` is filed, and its place there: under `hint`, the
    /// Service its label names now, else (if `scan`) under any of its namespace's.
    fn filed_slice(&self, ns: &str, name: &str, hint: Option<&String>, scan: bool) -> Option<(SvcKey, usize)> {
        let find = |f: &Filed| f.slices.binary_search_by(|(n, _)| n.as_str().cmp(name)).ok();
        if let Some(svc) = hint {
            let key = (ns.to_string(), svc.clone());
            if let Some(i) = self.by_service.get(&key).and_then(find) {
                return Some((key, i));
            }
        }
        if !scan {
            return None;
        }
        let from = (ns.to_string(), String::new());
        self.by_service.range(from..).take_while(|(k, _)| k.0 == ns).find_map(|(k, f)| find(f).map(|i| (k.clone(), i)))
    }

    /// Applies a Service or EndpointSlice change; returns the Services whose rules it
    /// may change. A write that changes nothing kube-proxy reads asks for no sync
    /// (ServiceChangeTracker.Update and EndpointSliceCache.updatePending report no
    /// pending change when the processed info is unchanged).
    fn apply(&mut self, ev: &WatchEvent) -> Vec<SvcKey> {
        let m = ev.object.meta();
        let deleted = ev.type_ == WatchEventType::Deleted;
        match &*ev.object {
            Object::Service(svc) => {
                if ev.revision <= self.service_rev {
                    return Vec::new();
                }
                self.service_rev = ev.revision;
                let key = (m.namespace.to_string(), m.name.to_string());
                let before = self.service(&key).and_then(|o| o.as_service()).map(endpoints::service_ports).unwrap_or_default();
                let after = if deleted { Vec::new() } else { endpoints::service_ports(svc) };
                if deleted {
                    if let Some(f) = self.by_service.get_mut(&key) {
                        f.service = None;
                    }
                    self.prune(&key);
                } else {
                    self.by_service.entry(key.clone()).or_default().service = Some(ev.object.clone());
                }
                if before == after {
                    return Vec::new();
                }
                vec![key]
            }
            Object::EndpointSlice(s) => {
                if ev.revision <= self.slice_rev {
                    return Vec::new();
                }
                self.slice_rev = ev.revision;
                let label = s.metadata.labels.get(LABEL_SERVICE_NAME);
                let filed = self.filed_slice(&s.metadata.namespace, &s.metadata.name, label, ev.type_ != WatchEventType::Added);
                let before = filed.as_ref().map(|(k, i)| self.by_service[k].slices[*i].1.clone());
                let unchanged = !deleted && before.as_ref().and_then(|o| o.as_endpoint_slice()).is_some_and(|old| slice_info(old) == slice_info(s));
                let touched = self.file_slice(s, ev.object.clone(), deleted, filed);
                if unchanged {
                    return Vec::new();
                }
                touched
            }
            _ => Vec::new(),
        }
    }

    /// Files slice `s` (`obj`) under the Service its label names, taken out first from
    /// where it was (`filed`, as `filed_slice` found it).
    fn file_slice(&mut self, s: &EndpointSlice, obj: Rc<Object>, deleted: bool, filed: Option<(SvcKey, usize)>) -> Vec<SvcKey> {
        let label = s.metadata.labels.get(LABEL_SERVICE_NAME);
        // Still filed under the Service its label names: the new version in its place.
        if let (Some((old, i)), false, Some(svc)) = (&filed, deleted, label) {
            if old.0 == *s.metadata.namespace && old.1 == *svc {
                if let Some(f) = self.by_service.get_mut(old) {
                    f.slices[*i].1 = obj;
                    return vec![old.clone()];
                }
            }
        }
        let mut touched = Vec::new();
        if let Some((old, i)) = filed {
            if let Some(f) = self.by_service.get_mut(&old) {
                f.slices.remove(i);
            }
            self.prune(&old);
            touched.push(old);
        }
        if deleted {
            return touched;
        }
        // endpointslicecache.go: a slice without the service-name label is ignored.
        let Some(svc) = label else { return touched };
        let owner = (s.metadata.namespace.to_string(), svc.clone());
        let slices = &mut self.by_service.entry(owner.clone()).or_default().slices;
        match slices.binary_search_by(|(n, _)| n.as_str().cmp(&s.metadata.name)) {
            Ok(i) => slices[i].1 = obj,
            Err(i) => slices.insert(i, (s.metadata.name.to_string(), obj)),
        }
        if !touched.contains(&owner) {
            touched.push(owner);
        }
        touched
    }

    fn replace(&mut self, kind: &Kind, items: &[Rc<Object>], revision: u64) {
        match kind {
            Kind::Service => {
                for f in self.by_service.values_mut() {
                    f.service = None;
                }
                for o in items.iter().filter(|o| o.as_service().is_some()) {
                    self.by_service.entry((o.meta().namespace.to_string(), o.meta().name.to_string())).or_default().service = Some(o.clone());
                }
                self.by_service.retain(|_, f| !f.is_empty());
                self.service_rev = revision;
            }
            Kind::EndpointSlice => {
                for f in self.by_service.values_mut() {
                    f.slices.clear();
                }
                self.by_service.retain(|_, f| !f.is_empty());
                for o in items {
                    if let Object::EndpointSlice(s) = &**o {
                        // The slices were just cleared, and a list names each once.
                        self.file_slice(s, o.clone(), false, None);
                    }
                }
                self.slice_rev = revision;
            }
            _ => {}
        }
    }
}

/// newEndpointSliceInfo: what kube-proxy reads of a slice (its Service, ports, and each
/// endpoint's first address, conditions, node and zone hints).
fn slice_info(s: &EndpointSlice) -> impl PartialEq + '_ {
    let eps: Vec<_> = s.endpoints.iter().map(|e| (e.addresses.first(), &e.conditions, &e.node_name, &e.hints)).collect();
    (s.metadata.labels.get(LABEL_SERVICE_NAME), &s.address_type, &s.ports, eps)
}

pub struct KubeProxy {
    pub node: String,
    /// The node's topology.kubernetes.io/zone label ("" without one).
    zone: String,
    pub alive: bool,
    generation: u32,
    cache: Cache,
    /// Lists still awaited since the start (Service, EndpointSlice), and the watch
    /// events heard meanwhile (a reflector watches from its list's revision on).
    awaiting: BTreeSet<Kind>,
    buffered: Vec<Rc<WatchEvent>>,
    /// Services changed since the last sync; None: all (the first sync after a start).
    dirty: Option<BTreeSet<SvcKey>>,
    runner: Runner,
    view: ProxyView,
}

impl KubeProxy {
    pub fn new(node: &str, zone: &str) -> Self {
        KubeProxy {
            node: node.to_string(),
            zone: zone.to_string(),
            alive: false,
            generation: 0,
            cache: Cache::default(),
            awaiting: BTreeSet::new(),
            buffered: Vec::new(),
            dirty: None,
            runner: Runner::new(MIN_SYNC_PERIOD),
            view: ProxyView::default(),
        }
    }

    /// Whether kube-proxy wants a watch event of this kind.
    pub fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Service | Kind::EndpointSlice)
    }

    /// kube-proxy starts (with its node): it lists Services and EndpointSlices.
    pub fn start(&mut self, ctx: &mut Ctx) {
        self.alive = true;
        self.generation += 1;
        self.cache = Cache::default();
        self.buffered.clear();
        self.dirty = None;
        self.runner = Runner::new(MIN_SYNC_PERIOD);
        self.view = ProxyView::default();
        self.awaiting = [Kind::Service, Kind::EndpointSlice].into_iter().collect();
        ctx.request_reply(Request::List(Kind::Service), 0);
        ctx.request_reply(Request::List(Kind::EndpointSlice), 0);
    }

    /// The node can reach the control plane again after a partition: its informers'
    /// watches broke, so they list again (the rules in place stay until the next sync).
    pub fn reconnect(&mut self, ctx: &mut Ctx) {
        if !self.alive {
            return;
        }
        self.buffered.clear();
        self.awaiting = [Kind::Service, Kind::EndpointSlice].into_iter().collect();
        ctx.request_reply(Request::List(Kind::Service), 0);
        ctx.request_reply(Request::List(Kind::EndpointSlice), 0);
    }

    /// The node goes down: kube-proxy and the node's rules with it.
    pub fn crash(&mut self) {
        self.alive = false;
        self.generation += 1;
        self.view = ProxyView::default();
        self.buffered.clear();
    }

    /// The rules as last programmed.
    pub fn view(&self) -> &ProxyView {
        &self.view
    }

    pub fn on_watch(&mut self, ev: &Rc<WatchEvent>, ctx: &mut Ctx) {
        if !self.alive || !Self::watches(&ev.object.kind()) {
            return;
        }
        if !self.awaiting.is_empty() {
            self.buffered.push(ev.clone());
            return;
        }
        let touched = self.cache.apply(ev);
        self.changed(touched, ctx);
    }

    pub fn on_response(&mut self, req: &Request, resp: &Response, ctx: &mut Ctx) {
        let (Request::List(kind), Response::List(l)) = (req, resp) else { return };
        if !self.alive || !self.awaiting.remove(kind) {
            return;
        }
        self.cache.replace(kind, &l.items, l.revision);
        if self.awaiting.is_empty() {
            for ev in std::mem::take(&mut self.buffered) {
                self.cache.apply(&ev);
            }
            // isInitialized: the first sync, of everything, not through the runner.
            self.dirty = None;
            self.sync(ctx.now);
        }
    }

    pub fn on_timer(&mut self, t: &Timer, ctx: &mut Ctx) {
        let Timer::Sync { generation, at } = t;
        if *generation == self.generation && self.alive && self.runner.cooldown_over(*at) {
            self.sync(ctx.now);
        }
    }

    fn changed(&mut self, touched: Vec<SvcKey>, ctx: &mut Ctx) {
        if touched.is_empty() {
            return;
        }
        if let Some(d) = &mut self.dirty {
            d.extend(touched);
        }
        self.request_sync(ctx);
    }

    fn request_sync(&mut self, ctx: &mut Ctx) {
        if !self.awaiting.is_empty() {
            return;
        }
        match self.runner.run(ctx.now) {
            Decision::Run => self.sync(ctx.now),
            Decision::Schedule(at) => ctx.after(at.since(ctx.now), Timer::Sync { generation: self.generation, at }),
            Decision::Wait => {}
        }
    }

    /// syncProxyRules: the rules of every Service changed since the last sync.
    fn sync(&mut self, now: SimTime) {
        let dirty = self.dirty.replace(BTreeSet::new());
        let keys: Vec<SvcKey> = match dirty {
            None => {
                self.view.ports.clear();
                self.cache.by_service.iter().filter(|(_, f)| f.service.is_some()).map(|(k, _)| k.clone()).collect()
            }
            Some(d) => d.into_iter().collect(),
        };
        for key in keys {
            self.view.ports.retain(|n, _| n.namespace != key.0 || n.name != key.1);
            let Some(filed) = self.cache.by_service.get(&key) else { continue };
            let Some(svc) = filed.service.as_ref().and_then(|o| o.as_service()) else { continue };
            let slices = filed.slices.iter().filter_map(|(_, o)| o.as_endpoint_slice());
            let by_port = endpoints::endpoints_by_port(svc, slices, &self.node);
            for (name, info) in endpoints::service_ports(svc) {
                let eps = by_port.get(&(name.port.clone(), name.protocol.clone())).map(Vec::as_slice).unwrap_or_default();
                let endpoints = topology::categorize(eps, &info, &self.zone);
                self.view.ports.insert(name, Box::new(ProgrammedPort { info, endpoints }));
            }
        }
        self.view.synced_at = Some(now);
    }
}

impl From<Timer> for crate::client::Timer {
    fn from(t: Timer) -> Self {
        crate::client::Timer::KubeProxy(t)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::endpoints::EndpointSlice;
    use crate::api::service::Service;

    fn service(name: &str) -> Rc<Object> {
        let s: Service = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default"},
            "spec": {"clusterIP": "10.96.0.10", "ports": [{"port": 80}]}
        }))
        .unwrap();
        Rc::new(Object::Service(Box::new(s)))
    }

    /// A slice `name` with the service-name label `svc` (none if None) and one ready
    /// endpoint at `ip`.
    fn slice(name: &str, svc: Option<&str>, ip: &str) -> Rc<Object> {
        let labels = svc.map(|s| serde_json::json!({ LABEL_SERVICE_NAME: s })).unwrap_or(serde_json::json!({}));
        let s: EndpointSlice = serde_json::from_value(serde_json::json!({
            "metadata": {"name": name, "namespace": "default", "labels": labels},
            "addressType": "IPv4",
            "endpoints": [{"addresses": [ip], "conditions": {"ready": true}}],
            "ports": [{"port": 80}]
        }))
        .unwrap();
        Rc::new(Object::EndpointSlice(Box::new(s)))
    }

    fn event(revision: u64, type_: WatchEventType, object: &Rc<Object>) -> WatchEvent {
        WatchEvent { revision, type_, object: object.clone(), prev: None, time: SimTime::ZERO }
    }

    fn key(name: &str) -> SvcKey {
        ("default".to_string(), name.to_string())
    }

    /// What the cache holds: each Service's entry as (whether the Service is there, its
    /// slices' names in order).
    fn filed(c: &Cache) -> Vec<(String, bool, Vec<String>)> {
        c.by_service.iter().map(|(k, f)| (k.1.clone(), f.service.is_some(), f.slices.iter().map(|(n, _)| n.clone()).collect())).collect()
    }

    fn entry(svc: &str, has: bool, slices: &[&str]) -> (String, bool, Vec<String>) {
        (svc.to_string(), has, slices.iter().map(|s| s.to_string()).collect())
    }

    /// EndpointSliceCache's filing (endpointslicecache.go updatePending: a slice is
    /// filed under the Service its label names, and one without the label is ignored);
    /// a deleted slice or Service leaves nothing behind once its entry is empty; a
    /// relist of one kind keeps the other's. A slice whose label changes moves, and both
    /// Services are synced: ksim's choice, kept from before the three maps became one
    /// (upstream files by the new label alone; the EndpointSlice controller never
    /// relabels a slice it manages).
    #[test]
    fn slices_are_filed_under_the_service_their_label_names() {
        use WatchEventType::{Added, Deleted, Modified};
        let mut c = Cache::default();
        assert_eq!(c.apply(&event(1, Added, &service("web"))), vec![key("web")]);
        assert_eq!(c.apply(&event(2, Added, &slice("web-b", Some("web"), "10.0.0.2"))), vec![key("web")]);
        assert_eq!(c.apply(&event(3, Added, &slice("web-a", Some("web"), "10.0.0.1"))), vec![key("web")]);
        assert_eq!(filed(&c), vec![entry("web", true, &["web-a", "web-b"])]);
        // The same slice again (a write kube-proxy reads nothing new in) asks for no sync.
        assert_eq!(c.apply(&event(4, Modified, &slice("web-a", Some("web"), "10.0.0.1"))), Vec::<SvcKey>::new());
        // Relabelled: it moves to `api`, which has no Service yet.
        assert_eq!(c.apply(&event(5, Modified, &slice("web-a", Some("api"), "10.0.0.1"))), vec![key("web"), key("api")]);
        assert_eq!(filed(&c), vec![entry("api", false, &["web-a"]), entry("web", true, &["web-b"])]);
        // Its label removed: ignored, and taken out of `api`, whose entry goes.
        assert_eq!(c.apply(&event(6, Modified, &slice("web-a", None, "10.0.0.1"))), vec![key("api")]);
        assert_eq!(filed(&c), vec![entry("web", true, &["web-b"])]);
        // A revision not after the last applied is ignored.
        assert_eq!(c.apply(&event(6, Deleted, &slice("web-b", Some("web"), "10.0.0.2"))), Vec::<SvcKey>::new());
        assert_eq!(c.apply(&event(7, Deleted, &slice("web-b", Some("web"), "10.0.0.2"))), vec![key("web")]);
        assert_eq!(filed(&c), vec![entry("web", true, &[])]);
        assert_eq!(c.apply(&event(8, Deleted, &service("web"))), vec![key("web")]);
        assert_eq!(filed(&c), vec![]);
        // Relists: slices first (no Service names them yet), then Services; a relist of
        // Services that no longer has one keeps its slices.
        c.replace(&Kind::EndpointSlice, &[slice("db-1", Some("db"), "10.0.0.3"), slice("x", None, "10.0.0.4")], 9);
        assert_eq!(filed(&c), vec![entry("db", false, &["db-1"])]);
        c.replace(&Kind::Service, &[service("db"), service("web")], 10);
        assert_eq!(filed(&c), vec![entry("db", true, &["db-1"]), entry("web", true, &[])]);
        c.replace(&Kind::Service, &[service("web")], 11);
        assert_eq!(filed(&c), vec![entry("db", false, &["db-1"]), entry("web", true, &[])]);
        c.replace(&Kind::EndpointSlice, &[], 12);
        assert_eq!(filed(&c), vec![entry("web", true, &[])]);
    }
}
