//! The TTL-after-finished controller (pkg/controller/ttlafterfinished/
//! ttlafterfinished_controller.go): a finished Job (Complete or Failed True) with
//! `ttlSecondsAfterFinished` is deleted that many seconds after the condition's
//! lastTransitionTime (processTTL, timeLeft); until then it is requeued for the moment
//! its TTL expires. The delete carries the Job's uid as a precondition. It records no
//! Events.
//!
//! Difference: upstream deletes with Foreground propagation (the Job lingers with a
//! deletionTimestamp until the garbage collector has deleted its pods); ksim's apiserver
//! deletes the Job at once and the garbage collector then deletes the pods it orphaned
//! (background propagation), so the pods go shortly after the Job instead of before it.

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::job::Job;
use crate::api::{Kind, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};

pub struct TtlAfterFinishedController {
    queue: WorkQueue<NsName>,
}

impl Default for TtlAfterFinishedController {
    fn default() -> Self {
        TtlAfterFinishedController { queue: WorkQueue::new(Order::Fifo) }
    }
}

/// needsCleanup: a TTL and a finished Job.
fn needs_cleanup(j: &Job) -> bool {
    j.spec.ttl_seconds_after_finished.is_some() && j.finished()
}

/// getFinishAndExpireTime: the Complete/Failed condition's transition time plus the TTL.
pub fn expire_at(j: &Job) -> Option<SimTime> {
    let ttl = j.spec.ttl_seconds_after_finished?;
    let finished = j.status.conditions.iter().find(|c| (c.type_ == "Complete" || c.type_ == "Failed") && c.status == "True")?.last_transition_time?;
    Some(finished.0 + SimDuration::from_secs(ttl.max(0) as u64))
}

impl Controller for TtlAfterFinishedController {
    type Key = NsName;
    const NAME: &'static str = "ttl-after-finished-controller";

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Job)
    }

    /// addJob/updateJob: enqueue a Job that needs cleaning up.
    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        if ev.type_ == WatchEventType::Deleted {
            return;
        }
        if let Some(j) = ev.object.as_job() {
            if j.metadata.rare.deletion_timestamp.is_none() && needs_cleanup(j) {
                self.queue.add((j.metadata.namespace.to_string(), j.metadata.name.to_string()));
            }
        }
    }

    /// processJob: expired → delete (with the uid precondition); not yet → requeue at
    /// the expiry.
    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(j) = inf.get(&Kind::Job, &key.0, &key.1).and_then(|o| o.as_job()) else { return Synced::Done };
        if j.metadata.rare.deletion_timestamp.is_some() || !needs_cleanup(j) {
            return Synced::Done;
        }
        let Some(at) = expire_at(j) else { return Synced::Done };
        let now = ctx.now();
        if at > now {
            ctx.requeue_after(&mut self.queue, key.clone(), at.since(now));
            return Synced::Done;
        }
        ctx.request_reply(Request::Delete {
            key: Box::new(ObjectKey::new(Kind::Job, &key.0, &key.1)),
            grace_period_seconds: None,
            uid: Some(j.metadata.uid.to_string()),
        });
        Synced::Done
    }

    /// A failed delete (other than the Job being gone) is retried with back-off.
    fn on_response(&mut self, _inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        if let (Request::Delete { key, .. }, Response::Error(st)) = (req, resp) {
            if st.reason != "NotFound" && st.reason != "Conflict" {
                ctx.requeue_rate_limited(&mut self.queue, (key.namespace.clone(), key.name.clone()));
            }
        }
    }
}
