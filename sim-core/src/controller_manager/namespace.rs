//! The namespace controller (pkg/controller/namespace): a Namespace marked for deletion
//! has its content deleted (ksim: one request for all of it, whose answer lists what is
//! still there — pods terminating gracefully), and is removed once empty.

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::SimDuration;
use crate::etcd::{WatchEvent, WatchEventType};

/// How long to wait before looking again at a namespace whose pods are still terminating.
pub const CONTENT_REMAINING_RECHECK: SimDuration = SimDuration::from_secs(5);

pub struct NamespaceController {
    queue: WorkQueue<String>,
}

impl Default for NamespaceController {
    fn default() -> Self {
        NamespaceController { queue: WorkQueue::without_bucket(Order::Sorted) }
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

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        if let Object::Namespace(n) = &*ev.object {
            if ev.type_ != WatchEventType::Deleted && n.metadata.deletion_timestamp.is_some() {
                self.queue.add(n.metadata.name.clone());
            }
        }
    }

    fn sync(&mut self, _inf: &SharedInformers, ns: &String, ctx: &mut ControllerCtx) -> Synced {
        ctx.request_reply(Request::DeleteNamespaceContent(ns.clone()));
        Synced::Pending
    }

    fn on_response(&mut self, _inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        let Request::DeleteNamespaceContent(ns) = req else { return };
        match resp {
            Response::List(left, _) if left.is_empty() => {
                ctx.request(Request::Delete { key: ObjectKey::new(Kind::Namespace, "", ns), grace_period_seconds: None, uid: None });
            }
            _ => ctx.requeue_after(&mut self.queue, ns.clone(), CONTENT_REMAINING_RECHECK),
        }
    }
}
