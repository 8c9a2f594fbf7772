//! The pod garbage collector (pkg/controller/podgc), orphan part: every 20 s it looks for
//! pods bound to a node that does not exist; one still orphaned after the 40 s
//! quarantine is deleted at once (grace period 0) with the DisruptionTarget condition
//! `DeletionByPodGC`.

use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx};
use crate::api::{Kind, ObjectKey};
use crate::apiserver::Request;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::WatchEvent;
use std::collections::BTreeMap;

pub const GC_CHECK_PERIOD: SimDuration = SimDuration::from_secs(20);
pub const QUARANTINE: SimDuration = SimDuration::from_secs(40);

pub struct PodGcController {
    queue: WorkQueue<()>,
    started: bool,
    /// Orphaned pods → when first seen orphaned.
    orphans: BTreeMap<NsName, SimTime>,
}

impl Default for PodGcController {
    fn default() -> Self {
        PodGcController { queue: WorkQueue::without_bucket(Order::Sorted), started: false, orphans: BTreeMap::new() }
    }
}

impl Controller for PodGcController {
    type Key = ();
    const NAME: &'static str = "pod-garbage-collector";

    fn queue(&mut self) -> &mut WorkQueue<()> {
        &mut self.queue
    }

    /// Any event the manager sees starts its periodic pass.
    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Pod | Kind::Node | Kind::ReplicaSet | Kind::Deployment | Kind::Lease | Kind::Namespace | Kind::PodDisruptionBudget)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, _ev: &WatchEvent, ctx: &mut ControllerCtx) {
        if !self.started {
            self.started = true;
            ctx.tick_after(GC_CHECK_PERIOD);
        }
    }

    fn on_tick(&mut self, inf: &SharedInformers, ctx: &mut ControllerCtx) {
        ctx.tick_after(GC_CHECK_PERIOD);
        let mut seen = BTreeMap::new();
        // Through the pods-by-node index: a pass costs the nodes, not every pod.
        let missing: Vec<String> = inf.missing_nodes_with_pods().map(String::from).collect();
        let orphans: Vec<_> = missing
            .iter()
            .flat_map(|n| inf.pods_on(n))
            .filter_map(|o| o.as_pod().map(|p| ((p.metadata.namespace.to_string(), p.metadata.name.to_string()), p.clone())))
            .collect();
        for (key, p) in orphans {
            let since = self.orphans.get(&key).copied().unwrap_or(ctx.now());
            seen.insert(key.clone(), since);
            if ctx.now().since(since) < QUARANTINE {
                continue;
            }
            seen.remove(&key);
            let mut np = p.clone();
            np.metadata.resource_version.0 = 0;
            np.set_condition("DisruptionTarget", "True", "DeletionByPodGC", "PodGC: node no longer exists", ctx.now_time());
            ctx.request(Request::UpdateStatus(crate::api::Object::Pod(Box::new(np))));
            ctx.request(Request::Delete {
                key: Box::new(ObjectKey::new(Kind::Pod, &key.0, &key.1)),
                grace_period_seconds: Some(0),
                uid: Some(p.metadata.uid.to_string()),
            });
        }
        self.orphans = seen;
    }
}
