//! DefaultPreemption (plugins/defaultpreemption, framework/preemption): when no node
//! fits, find nodes where evicting lower-priority pods would make room, pick the one
//! whose victims hurt least, and nominate it.
//!
//! Per node (SelectVictimsOnNode): remove every lower-priority pod; if the pod still
//! does not fit, the node is no candidate; otherwise add the removed pods back, most
//! important first (PodDisruptionBudget-violating ones first), keeping each that still
//! leaves room. Among candidates (pickOneNodeForPreemption): fewest PDB violations,
//! then the lowest highest-victim priority, the smallest sum of priorities, the fewest
//! victims, the latest start of the highest-priority victims, then the first.

use super::{inter_pod_affinity, pod_topology_spread, run_filters, CycleState};
use crate::api::meta::LabelSelector;
use crate::scheduler::framework::{NodeInfo, PodInfo, Snapshot, Status};
use crate::scheduler::profile::Profile;
use std::rc::Rc;

pub const NAME: &str = "DefaultPreemption";
const MIN_CANDIDATE_NODES_PERCENTAGE: usize = 10;
const MIN_CANDIDATE_NODES_ABSOLUTE: usize = 100;

/// A PodDisruptionBudget as preemption sees it: its namespace, selector, how many more
/// disruptions its status allows, and the pods the Eviction API already let go
/// (status.disruptedPods: not counted again).
#[derive(Clone, Debug, Default)]
pub struct Budget {
    pub namespace: String,
    pub selector: LabelSelector,
    pub disruptions_allowed: i64,
    pub disrupted_pods: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Candidate {
    pub node: usize,
    pub victims: Vec<Rc<PodInfo>>,
    pub pdb_violations: i64,
}

/// What preemption decided.
#[derive(Clone, Debug)]
pub enum Outcome {
    Nominate(Candidate),
    /// The PostFilter message (already prefixed `preemption: `).
    Fail(String),
}

/// calculateNumCandidates.
pub fn num_candidates(num_nodes: usize) -> usize {
    let n = (num_nodes * MIN_CANDIDATE_NODES_PERCENTAGE / 100).max(MIN_CANDIDATE_NODES_ABSOLUTE);
    n.min(num_nodes)
}

/// Applies a pod leaving (−1) or joining (+1) a node to the PreFilter states
/// (the PreFilterExtensions RemovePod / AddPod of PodTopologySpread and InterPodAffinity).
pub fn update_state(state: &mut CycleState, incoming: &PodInfo, changed: &PodInfo, node: &NodeInfo, snap: &Snapshot, sign: i64) {
    if let Some(s) = &mut state.spread {
        pod_topology_spread::update_with_pod(s, incoming, changed, node, sign);
    }
    if let Some(s) = &mut state.affinity {
        inter_pod_affinity::update_with_pod(s, incoming, changed, node, snap, sign);
    }
    // VolumeRestrictions' updateWithPod: the changed pod's uses of the ReadWriteOncePod
    // claims. (NodeVolumeLimits counts the node's pods in Filter.)
    if !state.rwop_claims.is_empty() {
        let p = changed.pod();
        let uses = crate::api::storage::pod_claims(p.spec.volumes.as_deref())
            .iter()
            .filter(|(_, c)| state.rwop_claims.iter().any(|k| *k == format!("{}/{c}", p.metadata.namespace)))
            .count() as i64;
        state.rwop_conflicts = (state.rwop_conflicts as i64 + sign * uses).max(0) as usize;
    }
}

/// MoreImportantPod: higher priority, then the earlier start.
fn more_important(a: &PodInfo, b: &PodInfo) -> std::cmp::Ordering {
    b.priority.cmp(&a.priority).then_with(|| start(a).cmp(&start(b)))
}

fn start(p: &PodInfo) -> i64 {
    p.pod().status.start_time.get().map_or(i64::MAX, |t| t.0 .0 as i64)
}

/// filterPodsWithPDBViolation: splits victims into (violating, non-violating).
fn split_by_pdb(pods: &[Rc<PodInfo>], budgets: &[Budget]) -> (Vec<Rc<PodInfo>>, Vec<Rc<PodInfo>>) {
    let mut allowed: Vec<i64> = budgets.iter().map(|b| b.disruptions_allowed).collect();
    let (mut violating, mut ok) = (Vec::new(), Vec::new());
    for p in pods {
        let pod = p.pod();
        let mut violated = false;
        if !pod.metadata.labels.is_empty() {
            for (i, b) in budgets.iter().enumerate() {
                if b.namespace != pod.metadata.namespace || b.selector.is_empty() || !b.selector.matches(&pod.metadata.labels) {
                    continue;
                }
                // Already processed by the apiserver's eviction: not a violation.
                if b.disrupted_pods.iter().any(|n| *n == *pod.metadata.name) {
                    continue;
                }
                allowed[i] -= 1;
                if allowed[i] < 0 {
                    violated = true;
                }
            }
        }
        if violated {
            violating.push(p.clone());
        } else {
            ok.push(p.clone());
        }
    }
    (violating, ok)
}

/// SelectVictimsOnNode. Err carries the reason this node is no candidate.
#[allow(clippy::too_many_arguments)]
pub fn select_victims_on_node(
    profile: &Profile,
    state: &CycleState,
    pod: &PodInfo,
    ni: usize,
    snap: &Snapshot,
    budgets: &[Budget],
    nominated: &[Rc<PodInfo>],
) -> Result<Candidate, Status> {
    let mut node = snap.nodes[ni].clone();
    let mut st = state.clone();
    let mut potential: Vec<Rc<PodInfo>> = node.pods.iter().filter(|p| p.priority < pod.priority).cloned().collect();
    if potential.is_empty() {
        return Err(Status::unresolvable(NAME, "No preemption victims found for incoming pod".into()));
    }
    for v in &potential {
        node.remove_pod(v.uid());
        update_state(&mut st, pod, v, &node, snap, -1);
    }
    // RunFilterPluginsWithNominatedPods: pods of equal or higher priority nominated to
    // this node count as if they were on it.
    for n in nominated {
        node.add_pod(n.clone());
        update_state(&mut st, pod, n, &node, snap, 1);
    }
    if let Some(s) = run_filters(profile, &st, pod, &node, snap) {
        return Err(s);
    }
    potential.sort_by(|a, b| more_important(a, b));
    let (violating, non_violating) = split_by_pdb(&potential, budgets);
    let both_kinds = !violating.is_empty() && !non_violating.is_empty();
    let mut victims = Vec::new();
    let mut pdb_violations = 0;
    for (group, is_violating) in [(violating, true), (non_violating, false)] {
        for p in group {
            node.add_pod(p.clone());
            update_state(&mut st, pod, &p, &node, snap, 1);
            if run_filters(profile, &st, pod, &node, snap).is_some() {
                node.remove_pod(p.uid());
                update_state(&mut st, pod, &p, &node, snap, -1);
                if is_violating {
                    pdb_violations += 1;
                }
                victims.push(p);
            }
        }
    }
    // Victims in order of importance again (the PDB-violating ones were reprieved
    // first): pickOneNodeForPreemption reads the highest priority from victims[0].
    if both_kinds {
        victims.sort_by(|a, b| more_important(a, b));
    }
    if victims.is_empty() {
        return Err(Status::unresolvable(NAME, format!("expected at least one victim pod on node {:?}", node.name)));
    }
    Ok(Candidate { node: ni, victims, pdb_violations })
}

/// pickOneNodeForPreemption.
pub fn pick_one(candidates: &[Candidate]) -> Option<&Candidate> {
    let key = |c: &Candidate| {
        let highest = c.victims.first().map_or(i32::MIN, |v| v.priority);
        let sum: i64 = c.victims.iter().map(|v| i64::from(v.priority).abs() + i64::from(i32::MAX) + 1).sum();
        // The earliest start among the highest-priority victims; later is better.
        let earliest = c.victims.iter().filter(|v| v.priority == highest).map(|v| start(v)).min().unwrap_or(i64::MAX);
        (c.pdb_violations, highest, sum, c.victims.len(), std::cmp::Reverse(earliest))
    };
    let mut best: Option<&Candidate> = None;
    for c in candidates {
        if best.is_none_or(|b| key(c) < key(b)) {
            best = Some(c);
        }
    }
    best
}

/// Whether the pod may preempt at all (PodEligibleToPreemptOthers); Err is the message.
pub fn eligible(pod: &PodInfo, nominated_node_has_terminating_lower: bool) -> Result<(), String> {
    if pod.pod().spec.preemption_policy.as_deref() == Some("Never") {
        return Err("not eligible due to preemptionPolicy=Never.".into());
    }
    if nominated_node_has_terminating_lower {
        return Err("not eligible due to a terminating pod on the nominated node.".into());
    }
    Ok(())
}

/// Preempt: dry-runs the nodes where preemption might help (not those rejected as
/// unresolvable), starting at `offset`, until enough candidates are found, and picks
/// one. `statuses` are the filter failures of every node, by node index.
#[allow(clippy::too_many_arguments)]
pub fn preempt(
    profile: &Profile,
    state: &CycleState,
    pod: &PodInfo,
    snap: &Snapshot,
    statuses: &[(usize, Status)],
    budgets: &[Budget],
    offset: usize,
    nominated: &dyn Fn(usize) -> Vec<Rc<PodInfo>>,
) -> Outcome {
    let mut failures: Vec<Status> = Vec::new();
    let potential: Vec<usize> = statuses
        .iter()
        .filter_map(|(ni, st)| {
            if st.unresolvable {
                failures.push(Status::unresolvable(NAME, "Preemption is not helpful for scheduling".into()));
                None
            } else {
                Some(*ni)
            }
        })
        .collect();
    let mut candidates = Vec::new();
    if !potential.is_empty() {
        let want = num_candidates(potential.len());
        let mut non_violating = 0;
        for k in 0..potential.len() {
            let ni = potential[(offset + k) % potential.len()];
            match select_victims_on_node(profile, state, pod, ni, snap, budgets, &nominated(ni)) {
                Ok(c) => {
                    if c.pdb_violations == 0 {
                        non_violating += 1;
                    }
                    candidates.push(c);
                    if non_violating > 0 && candidates.len() >= want {
                        break;
                    }
                }
                Err(s) => failures.push(s),
            }
        }
    }
    match pick_one(&candidates) {
        Some(c) => Outcome::Nominate(c.clone()),
        None => Outcome::Fail(format!("preemption: {}", crate::scheduler::framework::fit_error_message(statuses.len(), &failures))),
    }
}
