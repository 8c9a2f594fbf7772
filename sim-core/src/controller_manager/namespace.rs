//! The namespace controller (pkg/controller/namespace/namespace_controller.go): a
//! Namespace marked for deletion is looked at after namespaceDeletionGracePeriod (5 s,
//! so every apiserver has seen the deletionTimestamp), its content is deleted (ksim: one
//! request for all of it, whose answer lists what is still there — pods terminating
//! gracefully), and it is removed once empty. Content remaining: look again after
//! estimate/2 + 1 s, the estimate being the longest terminationGracePeriodSeconds of its
//! non-terminal pods unless that much time has passed since the deletion
//! (deletion.estimateGracefulTerminationForPods); otherwise AddRateLimited with
//! nsControllerRateLimiter (5 ms to 60 s, 10 qps).

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::SimDuration;
use crate::etcd::{WatchEvent, WatchEventType};

/// namespaceDeletionGracePeriod.
pub const NAMESPACE_DELETION_GRACE_PERIOD: SimDuration = SimDuration::from_secs(5);

pub struct NamespaceController {
    queue: WorkQueue<String>,
}

impl Default for NamespaceController {
    fn default() -> Self {
        NamespaceController { queue: WorkQueue::with_max_delay(Order::Fifo, SimDuration::from_secs(60)) }
    }
}

impl Controller for NamespaceController {
    type Key = String;
    const NAME: &'static str = "namespace-controller";

    fn queue(&mut self) -> &mut WorkQueue<String> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Namespace)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        if let Object::Namespace(n) = &*ev.object {
            if ev.type_ != WatchEventType::Deleted && n.metadata.rare.deletion_timestamp.is_some() {
                ctx.requeue_after(&mut self.queue, n.metadata.name.to_string(), NAMESPACE_DELETION_GRACE_PERIOD);
            }
        }
    }

    fn sync(&mut self, _inf: &SharedInformers, ns: &String, ctx: &mut ControllerCtx) -> Synced {
        ctx.request_reply(Request::DeleteNamespaceContent(ns.clone()));
        Synced::Pending
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        let Request::DeleteNamespaceContent(ns) = req else { return };
        match resp {
            Response::List(l) if l.items.is_empty() => {
                self.queue.forget(ns);
                ctx.request(Request::Delete { key: Box::new(ObjectKey::new(Kind::Namespace, "", ns)), grace_period_seconds: None, uid: None });
            }
            Response::List(l) => {
                let deleted_at = inf.get(&Kind::Namespace, "", ns).and_then(|o| o.meta().rare.deletion_timestamp).map_or(ctx.now(), |t| t.0);
                match estimate_graceful_termination(&l.items, ctx.now().since(deleted_at)) {
                    0 => ctx.requeue_rate_limited(&mut self.queue, ns.clone()),
                    estimate => ctx.requeue_after(&mut self.queue, ns.clone(), SimDuration::from_secs(estimate / 2 + 1)),
                }
            }
            _ => ctx.requeue_rate_limited(&mut self.queue, ns.clone()),
        }
    }
}

/// estimateGracefulTermination for what is left: the longest terminationGracePeriodSeconds
/// of the non-terminal pods, or 0 once that long has passed since the namespace's deletion.
fn estimate_graceful_termination(left: &[std::rc::Rc<Object>], since_deletion: SimDuration) -> u64 {
    let estimate =
        left.iter().filter_map(|o| o.as_pod()).filter(|p| !p.is_terminal()).filter_map(|p| p.spec.termination_grace_period_seconds).max().unwrap_or(0).max(0)
            as u64;
    if since_deletion >= SimDuration::from_secs(estimate) {
        0
    } else {
        estimate
    }
}
