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

#[derive(Default)]
struct Cache {
    services: BTreeMap<SvcKey, Rc<Object>>,
    /// (namespace, service name) → slice name → slice.
    slices: BTreeMap<SvcKey, BTreeMap<String, Rc<Object>>>,
    /// Where each slice was filed (its service-name label may change).
    slice_owner: BTreeMap<SvcKey, SvcKey>,
    service_rev: u64,
    slice_rev: u64,
}

impl Cache {
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
                let key = (m.namespace.to_string(), m.name.clone());
                let before = self.services.get(&key).and_then(|o| o.as_service()).map(endpoints::service_ports).unwrap_or_default();
                let after = if deleted { Vec::new() } else { endpoints::service_ports(svc) };
                if deleted {
                    self.services.remove(&key);
                } else {
                    self.services.insert(key.clone(), ev.object.clone());
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
                let id = (s.metadata.namespace.to_string(), s.metadata.name.clone());
                let before = self.slice_owner.get(&id).and_then(|o| self.slices.get(o)).and_then(|m| m.get(&id.1)).cloned();
                let unchanged = !deleted && before.as_ref().and_then(|o| o.as_endpoint_slice()).is_some_and(|old| slice_info(old) == slice_info(s));
                let touched = self.file_slice(s, ev.object.clone(), deleted);
                if unchanged {
                    return Vec::new();
                }
                touched
            }
            _ => Vec::new(),
        }
    }

    fn file_slice(&mut self, s: &EndpointSlice, obj: Rc<Object>, deleted: bool) -> Vec<SvcKey> {
        let id = (s.metadata.namespace.to_string(), s.metadata.name.clone());
        let mut touched = Vec::new();
        if let Some(old) = self.slice_owner.remove(&id) {
            if let Some(m) = self.slices.get_mut(&old) {
                m.remove(&id.1);
                if m.is_empty() {
                    self.slices.remove(&old);
                }
            }
            touched.push(old);
        }
        if deleted {
            return touched;
        }
        // endpointslicecache.go: a slice without the service-name label is ignored.
        let Some(svc) = s.metadata.labels.get(LABEL_SERVICE_NAME) else { return touched };
        let owner = (s.metadata.namespace.to_string(), svc.clone());
        self.slices.entry(owner.clone()).or_default().insert(id.1.clone(), obj);
        self.slice_owner.insert(id, owner.clone());
        if !touched.contains(&owner) {
            touched.push(owner);
        }
        touched
    }

    fn replace(&mut self, kind: &Kind, items: &[Rc<Object>], revision: u64) {
        match kind {
            Kind::Service => {
                self.services =
                    items.iter().filter(|o| o.as_service().is_some()).map(|o| ((o.meta().namespace.to_string(), o.meta().name.clone()), o.clone())).collect();
                self.service_rev = revision;
            }
            Kind::EndpointSlice => {
                self.slices.clear();
                self.slice_owner.clear();
                for o in items {
                    if let Object::EndpointSlice(s) = &**o {
                        self.file_slice(s, o.clone(), false);
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
                self.cache.services.keys().cloned().collect()
            }
            Some(d) => d.into_iter().collect(),
        };
        for key in keys {
            self.view.ports.retain(|n, _| n.namespace != key.0 || n.name != key.1);
            let Some(svc) = self.cache.services.get(&key).and_then(|o| o.as_service()) else { continue };
            let slices = self.cache.slices.get(&key).into_iter().flat_map(|m| m.values()).filter_map(|o| o.as_endpoint_slice());
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
