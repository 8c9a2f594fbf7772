//! The pod garbage collector (pkg/controller/podgc), orphan part: every 20 s it looks for
//! pods bound to a node that does not exist; one still orphaned after the 40 s
//! quarantine is deleted at once (grace period 0) with the DisruptionTarget condition
//! `DeletionByPodGC`.

use super::ControllerManager;
use crate::api::{Kind, ObjectKey};
use crate::apiserver::Request;
use crate::client::{Ctx, Timer};
use crate::engine::{SimDuration, SimTime};
use std::collections::BTreeMap;

pub const GC_CHECK_PERIOD: SimDuration = SimDuration::from_secs(20);
pub const QUARANTINE: SimDuration = SimDuration::from_secs(40);

#[derive(Default)]
pub struct PodGc {
    pub started: bool,
    /// Orphaned pods → when first seen orphaned.
    orphans: BTreeMap<(String, String), SimTime>,
}

pub fn ensure_started(cm: &mut ControllerManager, ctx: &mut Ctx) {
    if !cm.pod_gc.started {
        cm.pod_gc.started = true;
        ctx.after(GC_CHECK_PERIOD, Timer::PodGc);
    }
}

pub fn run(cm: &mut ControllerManager, ctx: &mut Ctx) {
    ctx.after(GC_CHECK_PERIOD, Timer::PodGc);
    let mut seen = BTreeMap::new();
    let orphans: Vec<_> = cm
        .informer
        .list(&Kind::Pod)
        .filter_map(|o| o.as_pod())
        .filter(|p| !p.spec.node_name.is_empty() && cm.informer.get(&Kind::Node, "", &p.spec.node_name).is_none())
        .map(|p| ((p.metadata.namespace.clone(), p.metadata.name.clone()), p.clone()))
        .collect();
    for (key, p) in orphans {
        let since = cm.pod_gc.orphans.get(&key).copied().unwrap_or(ctx.now);
        seen.insert(key.clone(), since);
        if ctx.now.since(since) < QUARANTINE {
            continue;
        }
        seen.remove(&key);
        let mut np = p.clone();
        np.metadata.resource_version.0 = 0;
        np.set_condition("DisruptionTarget", "True", "DeletionByPodGC", "PodGC: node no longer exists", ctx.now_time());
        ctx.request(Request::UpdateStatus(crate::api::Object::Pod(np)));
        ctx.request(Request::Delete { key: ObjectKey::new(Kind::Pod, &key.0, &key.1), grace_period_seconds: Some(0), uid: Some(p.metadata.uid.clone()) });
    }
    cm.pod_gc.orphans = seen;
}
