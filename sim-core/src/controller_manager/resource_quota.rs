//! The resource-quota controller (pkg/controller/resourcequota/
//! resource_quota_controller.go, syncResourceQuota; resource_quota_monitor.go's
//! replenishment): keeps each ResourceQuota's `status.hard` (a copy of spec.hard) and
//! `status.used` (every hard resource an evaluator tracks, from zero, summed over the
//! namespace's objects its scopes select, with apiserver/resource_quota.rs's usage).
//!
//! A quota is synced when it is created, when its spec.hard changes or is not yet its
//! status.hard, and every 5 minutes (--resource-quota-sync-period); the namespace's quotas
//! are synced again (replenished) when a counted object is deleted, or a pod turns
//! Succeeded or Failed (DefaultUpdateFilter) — creates are not watched: admission charged
//! them already. A refused status write is retried with back-off.

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, NsName, Synced};
use crate::api::{Kind, Object};
use crate::apiserver::resource_quota::{calculate_usage, counted, tracks_any};
use crate::apiserver::Request;
use crate::engine::SimDuration;
use crate::etcd::{WatchEvent, WatchEventType};

/// --resource-quota-sync-period.
pub const RESYNC_PERIOD: SimDuration = SimDuration::from_secs(300);

pub struct ResourceQuotaController {
    queue: WorkQueue<NsName>,
    resyncing: bool,
}

impl Default for ResourceQuotaController {
    fn default() -> Self {
        ResourceQuotaController { queue: WorkQueue::new(Order::Fifo), resyncing: false }
    }
}

impl ResourceQuotaController {
    /// replenishQuota: the namespace's quotas whose status.hard names something `kind`'s
    /// evaluator tracks.
    fn replenish(&mut self, inf: &SharedInformers, kind: &Kind, ns: &str) {
        for q in inf.list_ns(&Kind::ResourceQuota, ns).filter_map(|o| o.as_resource_quota()) {
            if tracks_any(kind, &q.status.hard) {
                self.queue.add((ns.to_string(), q.metadata.name.to_string()));
            }
        }
    }
}

/// QuotaV1Pod's terminal half: a pod that has finished.
fn terminal(o: &Object) -> bool {
    o.as_pod().is_some_and(|p| p.status.phase == "Succeeded" || p.status.phase == "Failed")
}

impl Controller for ResourceQuotaController {
    type Key = NsName;
    const NAME: &'static str = "resourcequota-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        counted(kind)
    }

    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        let m = ev.object.meta();
        match &*ev.object {
            Object::ResourceQuota(q) => {
                if !self.resyncing {
                    self.resyncing = true;
                    ctx.tick_after(RESYNC_PERIOD);
                }
                // addQuota / updateQuota (only a spec.hard change) / deleteQuota.
                let spec_changed = ev.prev.as_ref().and_then(|p| p.as_resource_quota()).is_none_or(|p| p.spec.hard != q.spec.hard);
                if ev.type_ != WatchEventType::Deleted && (spec_changed || q.spec.hard != q.status.hard) {
                    self.queue.add((m.namespace.to_string(), m.name.to_string()));
                }
                if ev.type_ == WatchEventType::Deleted {
                    self.replenish(inf, &Kind::ResourceQuota, &m.namespace);
                }
            }
            obj => {
                let replenish = match ev.type_ {
                    WatchEventType::Deleted => true,
                    WatchEventType::Modified => terminal(obj) && ev.prev.as_ref().is_some_and(|p| !terminal(p)),
                    WatchEventType::Added => false,
                };
                if replenish {
                    self.replenish(inf, &obj.kind(), &m.namespace);
                }
            }
        }
    }

    fn on_tick(&mut self, inf: &SharedInformers, ctx: &mut ControllerCtx) {
        for q in inf.list(&Kind::ResourceQuota) {
            self.queue.add((q.meta().namespace.to_string(), q.meta().name.to_string()));
        }
        ctx.tick_after(RESYNC_PERIOD);
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(q) = inf.get(&Kind::ResourceQuota, &key.0, &key.1).and_then(|o| o.as_resource_quota()) else { return Synced::Done };
        // Only the kinds whose evaluators track something the quota limits.
        let kinds: Vec<&Kind> = inf.informer.kinds().filter(|k| tracks_any(k, &q.spec.hard)).collect();
        let objects: Vec<&Object> = kinds.into_iter().flat_map(|k| inf.list_ns(k, &key.0)).map(|o| &**o).collect();
        let mut used = q.status.used.clone();
        used.extend(calculate_usage(q, objects.into_iter(), ctx.now()));
        used.retain(|k, _| q.spec.hard.contains_key(k));
        if used == q.status.used && q.status.hard == q.spec.hard {
            return Synced::Done;
        }
        let mut n = q.clone();
        n.status.hard = q.spec.hard.clone();
        n.status.used = used;
        ctx.request_on_error(Request::UpdateStatus(Object::ResourceQuota(Box::new(n))));
        Synced::Done
    }

    fn on_response(&mut self, _inf: &SharedInformers, req: &Request, _resp: &crate::apiserver::Response, ctx: &mut ControllerCtx) {
        if let Request::UpdateStatus(Object::ResourceQuota(q)) = req {
            ctx.requeue_rate_limited(&mut self.queue, (q.metadata.namespace.to_string(), q.metadata.name.to_string()));
        }
    }
}
