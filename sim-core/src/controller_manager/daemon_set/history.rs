//! A DaemonSet's history (pkg/controller/daemon/update.go constructHistory, snapshot,
//! Match, getPatch, cleanupHistory): each template the DaemonSet has had is a
//! ControllerRevision `<daemonset>-<hash>` holding the template as a strategic-merge
//! patch (`{"spec":{"template":{…,"$patch":"replace"}}}`), labelled with the hash its
//! pods carry (`controller-revision-hash`) and numbered; the current one gets the next
//! number (again when an old template comes back), and old ones beyond
//! revisionHistoryLimit that no pod uses are deleted, oldest first.

use super::{DaemonSetsController, NodeToDaemonPods};
use crate::api::daemon_set::{ControllerRevision, DaemonSet, CONTROLLER_REVISION_HASH};
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::Request;
use crate::controller_manager::deployment::compute_hash;
use crate::controller_manager::informers::SharedInformers;
use crate::controller_manager::ControllerCtx;
use serde_json::Value;
use std::collections::BTreeSet;

/// getPatch: the template, to be restored whole.
pub fn get_patch(ds: &DaemonSet) -> Value {
    crate::controller_manager::controller_utils::template_patch(&ds.spec.template)
}

/// The ControllerRevisions `ds` controls (controlledHistories, without adoption).
fn controlled_histories<'a>(inf: &'a SharedInformers, ds: &DaemonSet) -> Vec<&'a ControllerRevision> {
    let uid = &ds.metadata.uid;
    inf.dependent_refs(uid)
        .filter(|(k, _, _)| *k == Kind::ControllerRevision)
        .filter_map(|(k, ns, n)| inf.get(k, ns, n).and_then(|o| o.as_controller_revision()))
        .filter(|cr| cr.metadata.controller_ref().is_some_and(|r| r.uid == *uid))
        .collect()
}

impl DaemonSetsController {
    /// constructHistory: the hash of the current template and the old revisions. The
    /// current revision is created if missing (snapshot) — its hash is known before the
    /// answer, so the sync goes on with it — or renumbered if an older revision number
    /// than the newest old one.
    pub(super) fn construct_history(&mut self, inf: &SharedInformers, ds: &DaemonSet, ctx: &mut ControllerCtx) -> (String, Vec<ControllerRevision>) {
        let patch = get_patch(ds);
        let (mut cur, mut old): (Vec<&ControllerRevision>, Vec<ControllerRevision>) = (Vec::new(), Vec::new());
        for cr in controlled_histories(inf, ds) {
            if cr.data.as_ref() == Some(&patch) {
                cur.push(cr);
            } else {
                old.push(cr.clone());
            }
        }
        let next_revision = old.iter().map(|c| c.revision).max().unwrap_or(0) + 1;
        // dedupCurHistories keeps the highest-numbered one.
        let Some(keep) = cur.iter().max_by_key(|c| c.revision) else {
            return (self.snapshot(ds, patch, next_revision, ctx), old);
        };
        if keep.revision < next_revision {
            let mut c = (*keep).clone();
            c.revision = next_revision;
            c.metadata.resource_version.0 = 0;
            ctx.request(Request::Update(Object::ControllerRevision(Box::new(c))));
        }
        let hash = keep.metadata.labels.get(CONTROLLER_REVISION_HASH).cloned().unwrap_or_else(|| keep.metadata.name.to_string());
        (hash, old)
    }

    /// snapshot: create the ControllerRevision of the current template (once: not again
    /// while the create is unanswered). Returns its hash.
    fn snapshot(&mut self, ds: &DaemonSet, patch: Value, revision: i64, ctx: &mut ControllerCtx) -> String {
        let hash = compute_hash(&ds.spec.template, ds.status.collision_count);
        let mut cr = ControllerRevision::default();
        cr.metadata.name = format!("{}-{hash}", ds.metadata.name).into();
        cr.metadata.namespace = ds.metadata.namespace.clone();
        cr.metadata.labels = ds.spec.template.metadata.labels.clone();
        cr.metadata.labels.insert(CONTROLLER_REVISION_HASH.into(), hash.clone());
        cr.metadata.annotations = ds.metadata.annotations.clone();
        *cr.metadata.owner_references = vec![super::controller_ref(ds)];
        cr.data = Some(patch);
        cr.revision = revision;
        if self.revisions_in_flight.insert((cr.metadata.namespace.to_string(), cr.metadata.name.to_string())) {
            ctx.request_reply(Request::Create(Object::ControllerRevision(Box::new(cr))));
        }
        hash
    }

    /// cleanupHistory: beyond revisionHistoryLimit, delete old revisions no pod (deleted
    /// terminal ones included) is labelled with, lowest revision first.
    pub(super) fn cleanup_history(&self, ds: &DaemonSet, old: &[ControllerRevision], all_pods: &NodeToDaemonPods, ctx: &mut ControllerCtx) {
        let keep = ds.spec.revision_history_limit.unwrap_or(10).max(0) as usize;
        let Some(mut to_kill) = old.len().checked_sub(keep).filter(|n| *n > 0) else { return };
        let live: BTreeSet<&str> = all_pods.values().flatten().filter_map(|p| p.metadata.labels.get(CONTROLLER_REVISION_HASH)).map(String::as_str).collect();
        let mut by_revision: Vec<&ControllerRevision> = old.iter().collect();
        by_revision.sort_by_key(|c| c.revision);
        for cr in by_revision {
            if to_kill == 0 {
                break;
            }
            if cr.metadata.labels.get(CONTROLLER_REVISION_HASH).is_some_and(|h| live.contains(h.as_str())) {
                continue;
            }
            let m = &cr.metadata;
            ctx.request(Request::Delete {
                key: Box::new(ObjectKey::new(Kind::ControllerRevision, &m.namespace, &m.name)),
                grace_period_seconds: None,
                uid: Some(m.uid.to_string()),
            });
            to_kill -= 1;
        }
    }
}
