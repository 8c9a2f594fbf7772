//! The garbage collector (pkg/controller/garbagecollector), background propagation: a
//! dependent whose every owner is gone (by uid) is deleted. ksim checks owners against
//! the shared informer cache; owners of kinds it does not cache are assumed to exist. A
//! refused delete (other than NotFound) requeues the dependent with the rate limiter
//! (attemptToDeleteWorker → AddRateLimited).

use super::informers::{ObjectRef, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::etcd::{WatchEvent, WatchEventType};

pub struct GarbageCollector {
    queue: WorkQueue<ObjectRef>,
}

impl Default for GarbageCollector {
    fn default() -> Self {
        GarbageCollector { queue: WorkQueue::new(Order::Fifo) }
    }
}

/// Whether every owner of `obj` is gone from the cache.
pub fn all_owners_gone(inf: &SharedInformers, obj: &Object) -> bool {
    let refs = &obj.meta().owner_references;
    !refs.is_empty()
        && refs.iter().all(|r| {
            let cached_kind = matches!(
                r.kind.as_str(),
                "ReplicaSet" | "Deployment" | "DaemonSet" | "ReplicationController" | "Pod" | "Node" | "Service" | "Job" | "CronJob" | "StatefulSet"
            );
            cached_kind && !inf.owner_exists(&r.uid)
        })
}

impl Controller for GarbageCollector {
    type Key = ObjectRef;
    const NAME: &'static str = "garbage-collector-controller";

    fn queue(&mut self) -> &mut WorkQueue<ObjectRef> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(
            kind,
            Kind::Pod
                | Kind::ReplicaSet
                | Kind::Deployment
                | Kind::DaemonSet
                | Kind::ControllerRevision
                | Kind::ReplicationController
                | Kind::Service
                | Kind::EndpointSlice
                | Kind::Job
                | Kind::CronJob
                | Kind::StatefulSet
                | Kind::PersistentVolumeClaim
                // Also cached since the resource-quota controller counts them: upstream's
                // collector monitors every deletable resource.
                | Kind::ConfigMap
                | Kind::Secret
                | Kind::Endpoints
                | Kind::NetworkPolicy
                | Kind::Ingress
                | Kind::PodDisruptionBudget
                | Kind::LimitRange
                | Kind::ResourceQuota
        )
    }

    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        let obj = &ev.object;
        let m = obj.meta();
        let deleted = ev.type_ == WatchEventType::Deleted;
        // An owner that is gone: its dependents may be garbage now (a pod owns only the
        // claims a StatefulSet hands it when scaled down, whenScaled: Delete).
        if deleted {
            let deps: Vec<ObjectRef> = inf.dependent_refs(&m.uid).cloned().collect();
            for d in deps {
                self.queue.add(d);
            }
            return;
        }
        if matches!(&**obj, Object::Deployment(_) | Object::Service(_)) {
            return;
        }
        if !m.owner_references.is_empty() && all_owners_gone(inf, obj) {
            self.queue.add((obj.kind(), m.namespace.clone(), m.name.clone()));
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &ObjectRef, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&key.0, &key.1, &key.2).cloned() else { return Synced::Done };
        if obj.meta().rare.deletion_timestamp.is_some() || !all_owners_gone(inf, &obj) {
            return Synced::Done;
        }
        ctx.request_on_error(Request::Delete {
            key: Box::new(ObjectKey::new(key.0.clone(), &key.1, &key.2)),
            grace_period_seconds: None,
            uid: Some(obj.meta().uid.to_string()),
        });
        Synced::Done
    }

    fn on_response(&mut self, _inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        let (Request::Delete { key, .. }, Response::Error(st)) = (req, resp) else { return };
        if st.reason != "NotFound" {
            ctx.requeue_rate_limited(&mut self.queue, (key.kind.clone(), key.namespace.as_str().into(), key.name.as_str().into()));
        }
    }
}
