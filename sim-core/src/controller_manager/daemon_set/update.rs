//! A DaemonSet's RollingUpdate (pkg/controller/daemon/update.go rollingUpdate,
//! findUpdatedPodsOnNode, updatedDesiredNodeCounts).
//!
//! Without surge (maxSurge 0), old pods are deleted — unavailable ones at once, available
//! ones only while fewer than maxUnavailable nodes lack an available pod — and the manage
//! loop creates their replacements. With surge, a new pod is created beside the old one
//! (at once where the old one is unavailable, else on at most maxSurge nodes at a time),
//! and the old pod is deleted when the new one is available; pods on nodes that no
//! longer want them go only while the rest keep the desired number available.
//!
//! Upstream walks nodes in Go map order (random); ksim walks them by name.

use super::util::{is_pod_updated, node_should_run_daemon_pod, surge_count, unavailable_count};
use super::{DaemonSetsController, NodeToDaemonPods};
use crate::api::daemon_set::DaemonSet;
use crate::api::node::Node;
use crate::api::pod::{Pod, Toleration};
use crate::controller_manager::controller_utils::is_pod_available;
use crate::controller_manager::{ControllerCtx, Synced};

/// findUpdatedPodsOnNode: the node's new and old pod (not being deleted), or None when
/// there is more than one of either (the manage loop prunes those first).
pub fn find_updated_pods_on_node<'a>(ds: &DaemonSet, pods: &[&'a Pod], hash: &str) -> Option<(Option<&'a Pod>, Option<&'a Pod>)> {
    let (mut new, mut old) = (None, None);
    let generation = ds.template_generation();
    for p in pods.iter().filter(|p| p.metadata.rare.deletion_timestamp.is_none()) {
        let slot = if is_pod_updated(p, hash, generation) { &mut new } else { &mut old };
        if slot.is_some() {
            return None;
        }
        *slot = Some(*p);
    }
    Some((new, old))
}

/// updatedDesiredNodeCounts: (maxSurge, maxUnavailable, desiredNumberScheduled), every
/// node that should run the pod given an entry; maxUnavailable 1 when both resolve to 0.
pub fn updated_desired_node_counts<'a>(
    ds: &DaemonSet,
    nodes: &[&Node],
    tol: &[Toleration],
    node_to_pods: &mut NodeToDaemonPods<'a>,
) -> Result<(i32, i32, i32), String> {
    let mut desired = 0;
    for n in nodes {
        if node_should_run_daemon_pod(n, ds, tol).0 {
            desired += 1;
            node_to_pods.entry(n.metadata.name.to_string()).or_default();
        }
    }
    let max_unavailable = unavailable_count(ds, desired).map_err(|e| format!("invalid value for MaxUnavailable: {e}"))?;
    let max_surge = surge_count(ds, desired).map_err(|e| format!("invalid value for MaxSurge: {e}"))?;
    if desired > 0 && max_unavailable == 0 && max_surge == 0 {
        return Ok((0, 1, desired));
    }
    Ok((max_surge, max_unavailable, desired))
}

impl DaemonSetsController {
    /// rollingUpdate: the old pods to delete, or the nodes to surge onto, then syncNodes.
    pub(super) fn rolling_update(
        &mut self,
        ds: &DaemonSet,
        nodes: &[&Node],
        tol: &[Toleration],
        mut node_to_pods: NodeToDaemonPods,
        hash: &str,
        ctx: &mut ControllerCtx,
    ) -> Synced {
        let Ok((max_surge, max_unavailable, desired)) = updated_desired_node_counts(ds, nodes, tol, &mut node_to_pods) else { return Synced::Failed };
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        let now = ctx.now();
        let available = |p: &Pod| is_pod_available(p, min_ready, now);
        if max_surge == 0 {
            let mut unavailable = 0;
            let (mut replacements, mut candidates): (Vec<&Pod>, Vec<&Pod>) = (Vec::new(), Vec::new());
            for pods in node_to_pods.values() {
                let Some((new, old)) = find_updated_pods_on_node(ds, pods, hash) else {
                    unavailable += 1; // excess pods: the manage loop handles this node
                    continue;
                };
                match (new, old) {
                    (None, None) | (Some(_), Some(_)) => unavailable += 1,
                    (Some(new), None) => unavailable += i32::from(!available(new)),
                    (None, Some(old)) if !available(old) => {
                        replacements.push(old);
                        unavailable += 1;
                    }
                    (None, Some(_)) if unavailable >= max_unavailable => {}
                    (None, Some(old)) => candidates.push(old),
                }
            }
            let room = (max_unavailable - unavailable).clamp(0, candidates.len() as i32) as usize;
            replacements.extend(candidates.into_iter().take(room));
            return self.sync_nodes(ds, &replacements, Vec::new(), hash, ctx);
        }
        self.surge(ds, nodes, tol, &node_to_pods, (max_surge, desired), hash, ctx)
    }

    /// The surge half of rollingUpdate.
    #[allow(clippy::too_many_arguments)]
    fn surge(
        &mut self,
        ds: &DaemonSet,
        nodes: &[&Node],
        tol: &[Toleration],
        node_to_pods: &NodeToDaemonPods,
        (max_surge, desired): (i32, i32),
        hash: &str,
        ctx: &mut ControllerCtx,
    ) -> Synced {
        let min_ready = ds.spec.min_ready_seconds.unwrap_or(0);
        let now = ctx.now();
        let available = |p: &Pod| is_pod_available(p, min_ready, now);
        let should_run = |name: &str| nodes.iter().find(|n| n.metadata.name == name).map(|n| node_should_run_daemon_pod(n, ds, tol).0);
        let (mut to_delete, mut should_not_run): (Vec<&Pod>, Vec<&Pod>) = (Vec::new(), Vec::new());
        let (mut allowed_new, mut candidate_new): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
        let (mut surging, mut num_available) = (0, 0);
        for (node, pods) in node_to_pods {
            let Some((new, old)) = find_updated_pods_on_node(ds, pods, hash) else {
                surging += 1;
                continue;
            };
            if let Some(p) = old.or(new) {
                num_available += i32::from(available(p));
            }
            match (new, old) {
                (_, None) => {}
                (None, Some(old)) => {
                    // A node that is gone is an error upstream (nodeLister.Get fails).
                    let Some(run) = should_run(node) else { return Synced::Failed };
                    if !available(old) {
                        if run {
                            allowed_new.push(node.clone());
                        } else {
                            to_delete.push(old);
                        }
                    } else if !run {
                        should_not_run.push(old);
                    } else if surging < max_surge {
                        candidate_new.push(node.clone());
                    }
                }
                (Some(new), Some(old)) => {
                    if available(new) {
                        to_delete.push(old);
                    } else {
                        surging += 1;
                    }
                }
            }
        }
        // Pods on nodes that no longer want them go only while the others keep the
        // desired number available.
        let deletable = (num_available - desired).clamp(0, should_not_run.len() as i32) as usize;
        to_delete.extend(should_not_run.into_iter().take(deletable));
        let room = (max_surge - surging).clamp(0, candidate_new.len() as i32) as usize;
        allowed_new.extend(candidate_new.into_iter().take(room));
        self.sync_nodes(ds, &to_delete, allowed_new, hash, ctx)
    }
}
