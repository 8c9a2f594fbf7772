//! kube-controller-manager (cmd/kube-controller-manager): one process, one set of shared
//! informers (`informers.rs`), and level-driven controllers, one file each and named as
//! upstream names them. A controller implements [`Controller`]: which kinds it watches,
//! which workqueue keys a watch event concerns, and `sync(key)`; every controller gets a
//! [`WorkQueue`] with client-go's default rate limiter, an event recorder, and its own
//! answers to the requests it asks answers for. Reconcilers read the cache and send
//! requests; they never mutate the cache. Adding a controller is one file and one line of
//! the `controllers!` table below.

pub mod attach_detach;
pub mod controller_utils;
pub mod cronjob;
pub mod daemon_set;
pub mod deployment;
pub mod disruption;
pub mod endpoint;
pub mod endpointslice;
pub mod external_provisioner;
pub mod garbage_collector;
pub mod informers;
pub mod ingress_nginx;
pub mod job;
pub mod namespace;
pub mod node_ipam;
pub mod node_lifecycle;
pub mod persistent_volume;
pub mod pod_gc;
pub mod podautoscaler;
pub mod replica_set;
pub mod resource_quota;
pub mod service_lb;
pub mod stateful_set;
pub mod taint_eviction;
pub mod ttl_after_finished;
pub mod volume_protection;
pub mod workqueue;

use crate::api::meta::Time;
use crate::api::{Kind, Object};
use crate::apiserver::{Request, Response};
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::WatchEvent;
pub use informers::{NsName, SharedInformers};
pub use workqueue::WorkQueue;

/// How long a controller's workers take to pick queued keys up: events arriving
/// meanwhile coalesce, as they do in a real workqueue.
pub const SYNC_DELAY: SimDuration = SimDuration::from_ms(5);

/// The controller manager's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// The workers drain the queues.
    Sync,
    /// Delayed (AddAfter / AddRateLimited) keys come due.
    Requeue,
    /// A controller's own periodic or scheduled pass.
    Tick(ControllerId),
}

/// What a sync did with its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Synced {
    /// Reconciled: the key's failure count is forgotten.
    Done,
    /// Requests are in flight: their answers decide (the controller forgets or requeues).
    Pending,
    /// Requests are in flight and the key stays processing — not synced again, events
    /// marking it dirty — until the controller calls `done` on its queue (upstream's
    /// worker is busy until its client calls return).
    Processing,
    /// Failed: requeue with the rate limiter's back-off.
    Failed,
}

/// A controller of the controller manager.
pub trait Controller {
    /// The workqueue key (usually namespace/name).
    type Key: Ord + Clone + std::fmt::Debug;
    /// The component name its Events carry (`replicaset-controller`).
    const NAME: &'static str;
    fn queue(&mut self) -> &mut WorkQueue<Self::Key>;
    /// Whether it needs watch events of `kind` (its informers).
    fn watches(kind: &Kind) -> bool;
    /// The informer event handlers: enqueue the keys an event concerns (the shared cache
    /// already holds the event).
    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx);
    /// Reconciles one key.
    fn sync(&mut self, _inf: &SharedInformers, _key: &Self::Key, _ctx: &mut ControllerCtx) -> Synced {
        Synced::Done
    }
    /// The apiserver's answer to one of its requests (those sent with a reply).
    fn on_response(&mut self, _inf: &SharedInformers, _req: &Request, _resp: &Response, _ctx: &mut ControllerCtx) {}
    /// Its own timer (`ControllerCtx::tick_after`) fired.
    fn on_tick(&mut self, _inf: &SharedInformers, _ctx: &mut ControllerCtx) {}
}

/// What a controller acts through: requests (answers come back to it), its Events
/// (client-go's EventRecorder), its workqueue's delayed keys, and its own timer.
pub struct ControllerCtx<'a, 'b> {
    ctx: &'a mut Ctx<'b>,
    id: ControllerId,
    component: &'static str,
    shared: &'a mut Shared,
}

/// State the controllers share: the event counter (Event names) and the requeue timer.
#[derive(Default)]
struct Shared {
    event_seq: u64,
    /// Each controller's event recorder (upstream gives each its own broadcaster), with
    /// the source its Events share.
    recorders: std::collections::BTreeMap<&'static str, (crate::client::events::EventCorrelator, std::rc::Rc<crate::api::event::EventSource>)>,
    requeue_at: Option<SimTime>,
}

impl ControllerCtx<'_, '_> {
    pub fn now(&self) -> SimTime {
        self.ctx.now
    }

    pub fn now_time(&self) -> Time {
        Time(self.ctx.now)
    }

    /// A request whose answer the controller does not read.
    pub fn request(&mut self, r: Request) {
        self.ctx.request(r);
    }

    /// A request whose answer comes back to this controller's `on_response`.
    pub fn request_reply(&mut self, r: Request) {
        self.ctx.request_reply(r, self.id as u32);
    }

    /// A request whose refusal (only) comes back to `on_response`.
    pub fn request_on_error(&mut self, r: Request) {
        self.ctx.request_on_error(r, self.id as u32);
    }

    /// Records an Event about `obj` as this controller.
    pub fn event(&mut self, obj: &Object, type_: &'static str, reason: impl Into<std::borrow::Cow<'static, str>>, message: &str) {
        let component = self.component;
        self.event_as(obj, type_, reason, message, component);
    }

    /// Records an Event under another component name.
    pub fn event_as(&mut self, obj: &Object, type_: &'static str, reason: impl Into<std::borrow::Cow<'static, str>>, message: &str, component: &'static str) {
        self.shared.event_seq += 1;
        let now = self.ctx.now;
        let (recorder, source) = self.shared.recorders.entry(component).or_insert_with(|| {
            let source = crate::api::event::EventSource { component: component.into(), host: String::new() };
            (Default::default(), std::rc::Rc::new(source))
        });
        let involved = std::rc::Rc::new(crate::client::object_reference(obj));
        let e = crate::client::event_with(involved, source.clone(), type_, reason, message, now, self.shared.event_seq);
        if let Some(r) = crate::client::event_request(recorder.correlate(e, now)) {
            self.ctx.request(r);
        }
    }

    /// Calls this controller's `on_tick` after `d`.
    pub fn tick_after(&mut self, d: SimDuration) {
        self.ctx.after(d, Timer::Tick(self.id));
    }

    /// workqueue.AddAfter.
    pub fn requeue_after<K: Ord + Clone>(&mut self, q: &mut WorkQueue<K>, key: K, d: SimDuration) {
        let at = q.add_after(key, d, self.ctx.now);
        self.arm(at);
    }

    /// workqueue.AddRateLimited.
    pub fn requeue_rate_limited<K: Ord + Clone>(&mut self, q: &mut WorkQueue<K>, key: K) {
        let at = q.add_rate_limited(key, self.ctx.now);
        self.arm(at);
    }

    fn arm(&mut self, at: Option<SimTime>) {
        let Some(at) = at else { return };
        if self.shared.requeue_at.is_none_or(|t| t > at) {
            self.shared.requeue_at = Some(at);
            self.ctx.after(at.since(self.ctx.now), Timer::Requeue);
        }
    }
}

/// Drains one controller's queue: each key synced once, failures requeued with back-off.
fn drain<C: Controller>(c: &mut C, inf: &SharedInformers, ctx: &mut ControllerCtx) {
    for key in c.queue().drain() {
        match c.sync(inf, &key, ctx) {
            Synced::Done => {
                c.queue().forget(&key);
                c.queue().done(&key);
            }
            Synced::Pending => c.queue().done(&key),
            Synced::Processing => {}
            Synced::Failed => {
                let q = c.queue();
                q.done(&key);
                let at = q.add_rate_limited(key, ctx.now());
                ctx.arm(at);
            }
        }
    }
}

/// The table of controllers: field, type, id. Watch events go to them in this order,
/// and their queues are drained in this order.
macro_rules! controllers {
    ($($field:ident: $ty:ty => $id:ident),* $(,)?) => {
        /// Which controller (the tag on its requests, its timer).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
        pub enum ControllerId { $($id),* }

        impl ControllerId {
            const ALL: &'static [ControllerId] = &[$(ControllerId::$id),*];
            fn from_tag(tag: u32) -> Option<ControllerId> {
                Self::ALL.get(tag as usize).copied()
            }
        }

        /// Every controller of the manager.
        pub struct Controllers { $(pub $field: $ty),* }

        impl Controllers {
            fn watches(kind: &Kind) -> bool {
                false $(|| <$ty as Controller>::watches(kind))*
            }

            fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, shared: &mut Shared, ctx: &mut Ctx) {
                let kind = ev.object.kind();
                $(
                    if <$ty as Controller>::watches(&kind) {
                        let mut c = ControllerCtx { ctx: &mut *ctx, id: ControllerId::$id, component: <$ty as Controller>::NAME, shared: &mut *shared };
                        self.$field.on_watch(inf, ev, &mut c);
                    }
                )*
            }

            fn drain(&mut self, inf: &SharedInformers, shared: &mut Shared, ctx: &mut Ctx) {
                $(
                    if !self.$field.queue().is_empty() {
                        let mut c = ControllerCtx { ctx: &mut *ctx, id: ControllerId::$id, component: <$ty as Controller>::NAME, shared: &mut *shared };
                        drain(&mut self.$field, inf, &mut c);
                    }
                )*
            }

            fn any_queued(&mut self) -> bool {
                false $(|| !self.$field.queue().is_empty())*
            }

            fn promote_due(&mut self, now: SimTime) {
                $( self.$field.queue().promote_due(now); )*
            }

            fn next_due(&mut self) -> Option<SimTime> {
                [$( self.$field.queue().next_due() ),*].into_iter().flatten().min()
            }

            fn on_response(&mut self, id: ControllerId, inf: &SharedInformers, req: &Request, resp: &Response, shared: &mut Shared, ctx: &mut Ctx) {
                match id {
                    $(ControllerId::$id => {
                        let mut c = ControllerCtx { ctx, id, component: <$ty as Controller>::NAME, shared };
                        self.$field.on_response(inf, req, resp, &mut c)
                    })*
                }
            }

            fn on_tick(&mut self, id: ControllerId, inf: &SharedInformers, shared: &mut Shared, ctx: &mut Ctx) {
                match id {
                    $(ControllerId::$id => {
                        let mut c = ControllerCtx { ctx, id, component: <$ty as Controller>::NAME, shared };
                        self.$field.on_tick(inf, &mut c)
                    })*
                }
            }
        }
    };
}

controllers! {
    pod_gc: pod_gc::PodGcController => PodGc,
    node_ipam: node_ipam::NodeIpamController => NodeIpam,
    node_lifecycle: node_lifecycle::NodeLifecycleController => NodeLifecycle,
    taint_eviction: taint_eviction::TaintEvictionController => TaintEviction,
    deployment: deployment::DeploymentController => Deployment,
    replica_set: replica_set::ReplicaSetController => ReplicaSet,
    garbage_collector: garbage_collector::GarbageCollector => GarbageCollector,
    namespace: namespace::NamespaceController => Namespace,
    disruption: disruption::DisruptionController => Disruption,
    daemon_set: daemon_set::DaemonSetsController => DaemonSet,
    replication: replica_set::ReplicationManager => ReplicationController,
    endpointslice: endpointslice::EndpointSliceController => EndpointSlice,
    endpoint: endpoint::EndpointController => Endpoint,
    service_lb: service_lb::ServiceLbController => ServiceLb,
    ingress_nginx: ingress_nginx::IngressStatusController => IngressNginx,
    job: job::JobController => Job,
    ttl_after_finished: ttl_after_finished::TtlAfterFinishedController => TtlAfterFinished,
    cronjob: cronjob::CronJobController => CronJob,
    stateful_set: stateful_set::StatefulSetController => StatefulSet,
    persistent_volume: persistent_volume::PersistentVolumeController => PersistentVolume,
    external_provisioner: external_provisioner::ExternalProvisioner => ExternalProvisioner,
    volume_protection: volume_protection::VolumeProtectionController => VolumeProtection,
    attach_detach: attach_detach::AttachDetachController => AttachDetach,
    resource_quota: resource_quota::ResourceQuotaController => ResourceQuota,
    horizontal: podautoscaler::HorizontalController => HorizontalPodAutoscaler,
}

pub struct ControllerManager {
    pub informers: SharedInformers,
    pub controllers: Controllers,
    shared: Shared,
    sync_scheduled: bool,
}

impl ControllerManager {
    pub fn new(ipam: node_ipam::NodeIpamController) -> Self {
        ControllerManager {
            informers: SharedInformers::default(),
            controllers: Controllers {
                pod_gc: Default::default(),
                node_ipam: ipam,
                node_lifecycle: Default::default(),
                taint_eviction: Default::default(),
                deployment: Default::default(),
                replica_set: Default::default(),
                garbage_collector: Default::default(),
                namespace: Default::default(),
                disruption: Default::default(),
                daemon_set: Default::default(),
                replication: Default::default(),
                endpointslice: Default::default(),
                endpoint: Default::default(),
                service_lb: Default::default(),
                ingress_nginx: Default::default(),
                job: Default::default(),
                ttl_after_finished: Default::default(),
                cronjob: Default::default(),
                stateful_set: Default::default(),
                persistent_volume: Default::default(),
                external_provisioner: Default::default(),
                volume_protection: Default::default(),
                attach_detach: Default::default(),
                resource_quota: Default::default(),
                horizontal: Default::default(),
            },
            shared: Shared::default(),
            sync_scheduled: false,
        }
    }

    /// The kinds the shared informers cache (what any controller watches).
    pub fn watches(kind: &Kind) -> bool {
        Controllers::watches(kind)
    }

    pub fn on_watch(&mut self, ev: &WatchEvent, ctx: &mut Ctx) {
        self.informers.apply(ev);
        self.controllers.on_watch(&self.informers, ev, &mut self.shared, ctx);
        self.ensure_sync(ctx);
    }

    fn ensure_sync(&mut self, ctx: &mut Ctx) {
        if !self.sync_scheduled && self.controllers.any_queued() {
            self.sync_scheduled = true;
            ctx.after(SYNC_DELAY, Timer::Sync);
        }
    }

    pub fn on_timer(&mut self, t: &Timer, ctx: &mut Ctx) {
        match t {
            Timer::Sync => {
                self.sync_scheduled = false;
                self.controllers.drain(&self.informers, &mut self.shared, ctx);
            }
            Timer::Requeue => {
                self.shared.requeue_at = None;
                self.controllers.promote_due(ctx.now);
                if let Some(t) = self.controllers.next_due() {
                    self.shared.requeue_at = Some(t);
                    ctx.after(t.since(ctx.now), Timer::Requeue);
                }
            }
            Timer::Tick(id) => self.controllers.on_tick(*id, &self.informers, &mut self.shared, ctx),
        }
        self.ensure_sync(ctx);
    }

    pub fn on_response(&mut self, tag: u32, req: &Request, resp: &Response, ctx: &mut Ctx) {
        let id = ControllerId::from_tag(tag).expect("a response tag names a controller");
        self.controllers.on_response(id, &self.informers, req, resp, &mut self.shared, ctx);
        self.ensure_sync(ctx);
    }

    /// Pods bound to `node`, from the shared cache.
    pub fn pods_on(&self, node: &str) -> Vec<std::rc::Rc<Object>> {
        self.informers.pods_on(node)
    }
}
