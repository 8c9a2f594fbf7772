//! The usage model: how much CPU the pods' containers would use. Containers run no code,
//! so a scenario says what they consume, with annotations on the pod (or its template):
//!
//! | annotation | meaning |
//! |---|---|
//! | `ksim.dev/cpu-demand` | the load on the whole workload over simulated time — `900m`, or steps from the start of the run, `900m from 0s; 2 from 5m; 300m from 15m` — shared evenly among its Ready pods whose containers run (a Service's load balancer spreads requests over ready endpoints) |
//! | `ksim.dev/cpu-usage` | one pod's own use, steps from each start of its containers (`100m`, `50m from 0s; 400m from 1m`), added to its share of the demand |
//! | `ksim.dev/cpu-per-request` | the CPU time one request of the traffic model (`spec.traffic`) costs the pod that answers it (`20m`: 20 ms of one core, so 50 requests a second use `1`), added to the rest: the requests a pod answered over the last second, times this, is its rate for the next |
//! | `ksim.dev/memory-usage` | the first container's working set (kubelet/annotations.rs), which the eviction manager and the OOM killer act on too |
//!
//! A workload is the pods' controller: a ReplicaSet that a Deployment owns counts as its
//! Deployment (old and new ReplicaSets share the load during a rollout, as they share the
//! Service's endpoints). A pod without a controller is its own workload.
//!
//! What a pod gets is capped, in this order, by:
//! - its CPU limit (the CFS quota throttles it; the load it cannot serve is not handed to
//!   other pods, as requests waiting on a throttled server are not);
//! - its node's CPU: when the pods on a node want more than its capacity, the capacity is
//!   shared by CFS weights, the pods' CPU requests (cpu.shares; a pod without a request
//!   has the 2-share minimum, ~2m): water-filling, each pod getting at least the smaller of its want
//!   and its weighted share, what others leave shared again.
//!
//! The model is evaluated every second of simulated time while a pod declares a CPU use
//! (and the metrics pipeline is on): each kubelet's counters (kubelet/stats.rs) integrate
//! the rates exactly between evaluations, as cgroup's cpuacct counts CPU time. The CPU
//! usage of a container whose pod declares nothing is 0; so is its memory.

use crate::api::pod::Pod;
use crate::engine::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::rc::{Rc, Weak};

pub const CPU_DEMAND: &str = "ksim.dev/cpu-demand";
pub const CPU_USAGE: &str = "ksim.dev/cpu-usage";
pub const CPU_PER_REQUEST: &str = "ksim.dev/cpu-per-request";
/// How often the model is evaluated.
pub const TICK: SimDuration = SimDuration::from_secs(1);
/// The CFS weight of a pod without a CPU request: cm.MinShares (2 shares of 1024 per
/// core), in millicores.
const MIN_SHARE_MILLIS: i64 = 2;

/// Parses a usage profile: a quantity, or `Q from D` steps separated by `;` with
/// increasing times. `milli`: CPU (millicores) rather than bytes.
pub fn steps(v: &str, milli: bool) -> Result<Vec<(SimDuration, i64)>, String> {
    let mut out: Vec<(SimDuration, i64)> = Vec::new();
    for part in v.split(';').map(str::trim).filter(|p| !p.is_empty()) {
        let (q, from) = match part.split_once(" from ") {
            Some((q, d)) => (q.trim(), SimDuration::parse(d.trim()).map_err(|e| format!("{part:?}: {e}"))?),
            None => (part, SimDuration::ZERO),
        };
        let q = crate::api::quantity::Quantity::parse(q).map_err(|e| format!("{q:?}: {e}"))?;
        let n = if milli { q.milli_value() } else { q.value() };
        if n < 0 {
            return Err(format!("{q:?}: must not be negative", q = part.split_once(" from ").map_or(part, |(q, _)| q.trim())));
        }
        if out.last().is_some_and(|(d, _)| *d >= from) {
            return Err(format!("{part:?}: the steps' times must increase"));
        }
        out.push((from, n));
    }
    if out.is_empty() {
        let example = if milli { "(500m) or steps (100m from 0s; 2 from 1m)" } else { "(300Mi) or steps (100Mi from 0s; 300Mi from 1m)" };
        return Err(format!("expected a quantity {example}"));
    }
    Ok(out)
}

/// The step in force `since` the profile's origin (0 before the first).
pub fn at(steps: &[(SimDuration, i64)], since: SimDuration) -> i64 {
    steps.iter().rev().find(|(from, _)| *from <= since).map_or(0, |(_, v)| *v)
}

/// Parses a CPU cost per request: a non-negative quantity of CPU time (millicore-seconds).
pub fn per_request(v: &str) -> Result<i64, String> {
    match crate::api::quantity::Quantity::parse(v) {
        Ok(q) if q.milli_value() >= 0 => Ok(q.milli_value()),
        Ok(_) => Err("must not be negative".into()),
        Err(e) => Err(format!("expected a quantity of CPU time per request (20m: 20 ms of one core): {e}")),
    }
}

/// A pod whose containers run on a node, as its kubelet knows it.
pub struct Running {
    pub uid: String,
    pub pod: Rc<crate::api::Object>,
    /// The kubelet's readiness of the pod.
    pub ready: bool,
    /// When its containers (this incarnation of them) started.
    pub started: SimTime,
}

/// The pod's CPU limit (the sum of its containers', none if one has none) and request.
fn limit_and_request(p: &Pod) -> (Option<i64>, i64) {
    let mut limit = Some(0i64);
    let mut request = 0i64;
    for c in p.spec.containers.iter() {
        limit = match (limit, c.resources.limits.get("cpu")) {
            (Some(l), Some(q)) => Some(l.saturating_add(q.milli_value())),
            _ => None,
        };
        request = request.saturating_add(c.resources.requests.get("cpu").or_else(|| c.resources.limits.get("cpu")).map_or(0, |q| q.milli_value()));
    }
    (limit, request)
}

/// What one pod declares, worked out once per version of the pod its kubelet holds.
struct PodModel {
    /// `namespace/Kind/name` of the workload whose demand it shares.
    workload: Rc<str>,
    demand: Option<Rc<Vec<(SimDuration, i64)>>>,
    usage: Option<Rc<Vec<(SimDuration, i64)>>>,
    /// CPU time per request answered, millicore-seconds.
    per_request: i64,
    limit: Option<i64>,
    /// Its CFS weight: its CPU request (at least the 2-share minimum).
    weight: i64,
}

/// The usage model's memory between evaluations: parsed profiles by annotation value,
/// and each running pod's model by uid (with the pod version it was made from), kept
/// only for pods that still run.
#[derive(Default)]
pub struct UsageModel {
    parsed: BTreeMap<String, Rc<Vec<(SimDuration, i64)>>>,
    /// The version as a `Weak`: it keeps the version's allocation (not the pod) while the
    /// model stands, so that no later version can be made at that address and be taken
    /// for it (an address alone was reused by the allocator: a new version of the same
    /// pod, its annotations changed, could then have kept the old model, and whether it
    /// did depended on the allocator — mimalloc natively, another in wasm).
    pods: BTreeMap<String, (Weak<crate::api::Object>, Rc<PodModel>)>,
}

impl UsageModel {
    fn profile(&mut self, v: &str) -> Rc<Vec<(SimDuration, i64)>> {
        if let Some(p) = self.parsed.get(v) {
            return p.clone();
        }
        // A profile that does not parse was reported when the scenario was read; here it
        // uses nothing.
        let p = Rc::new(steps(v, true).unwrap_or_default());
        self.parsed.insert(v.to_string(), p.clone());
        p
    }

    fn model(&mut self, r: &Running, workload: &dyn Fn(&Pod) -> String) -> Option<Rc<PodModel>> {
        if let Some((made_from, m)) = self.pods.get(&r.uid) {
            if std::ptr::eq(made_from.as_ptr(), Rc::as_ptr(&r.pod)) {
                return Some(m.clone());
            }
        }
        let p = r.pod.as_pod()?;
        let (limit, request) = limit_and_request(p);
        let m = Rc::new(PodModel {
            workload: format!("{}/{}", p.metadata.namespace, workload(p)).into(),
            demand: p.metadata.annotations.get(CPU_DEMAND).map(|v| self.profile(v)),
            usage: p.metadata.annotations.get(CPU_USAGE).map(|v| self.profile(v)),
            per_request: p.metadata.annotations.get(CPU_PER_REQUEST).and_then(|v| per_request(v).ok()).unwrap_or(0),
            limit,
            weight: request.max(MIN_SHARE_MILLIS),
        });
        self.pods.insert(r.uid.clone(), (Rc::downgrade(&r.pod), m.clone()));
        Some(m)
    }

    /// Each running pod's CPU rate now (millicores), by node: `nodes` gives each node's
    /// CPU capacity (millicores) and running pods; `workload` names a pod's workload;
    /// `served` the requests each pod (by uid) answered over the last `window`.
    pub fn rates(
        &mut self,
        now: SimTime,
        nodes: &[(i64, Vec<Running>)],
        workload: &dyn Fn(&Pod) -> String,
        served: &BTreeMap<String, u64>,
        window: SimDuration,
    ) -> Vec<BTreeMap<String, i64>> {
        let models: Vec<Vec<Option<Rc<PodModel>>>> = nodes.iter().map(|(_, pods)| pods.iter().map(|r| self.model(r, workload)).collect()).collect();
        // Forget the pods that no longer run (memory bounded by the cluster).
        let running: std::collections::BTreeSet<&str> = nodes.iter().flat_map(|(_, pods)| pods.iter().map(|r| r.uid.as_str())).collect();
        self.pods.retain(|uid, _| running.contains(uid.as_str()));
        // The demand's sharers: Ready pods of each workload, over every node.
        let mut sharers: BTreeMap<Rc<str>, i64> = BTreeMap::new();
        for ((_, pods), ms) in nodes.iter().zip(&models) {
            for (r, m) in pods.iter().zip(ms) {
                if let Some(m) = m.as_ref().filter(|m| r.ready && m.demand.is_some()) {
                    *sharers.entry(m.workload.clone()).or_default() += 1;
                }
            }
        }
        let since_start = now.since(SimTime::ZERO);
        let mut out = Vec::with_capacity(nodes.len());
        for ((capacity, pods), ms) in nodes.iter().zip(&models) {
            let mut wants: Vec<(String, i64, i64)> = Vec::new(); // (uid, want, weight)
            for (r, m) in pods.iter().zip(ms) {
                let Some(m) = m else { continue };
                let mut want = 0i64;
                if let (Some(d), true) = (&m.demand, r.ready) {
                    let n = sharers.get(&m.workload).copied().unwrap_or(1).max(1);
                    want = want.saturating_add(at(d, since_start) / n);
                }
                if let Some(u) = &m.usage {
                    want = want.saturating_add(at(u, now.since(r.started)));
                }
                if let (true, Some(&n)) = (m.per_request > 0, served.get(&r.uid)) {
                    let per_second = (n as i128) * (m.per_request as i128) * 1000 / (window.as_ms().max(1) as i128);
                    want = want.saturating_add(per_second.min(i64::MAX as i128) as i64);
                }
                if let Some(l) = m.limit {
                    want = want.min(l);
                }
                wants.push((r.uid.clone(), want, m.weight));
            }
            out.push(share(*capacity, wants));
        }
        out
    }
}

/// CFS's sharing of a node's CPU among pods wanting more than it has: water-filling by
/// weight. Each round gives every unsatisfied pod its weighted share of what is left;
/// those wanting less keep their want and leave the rest to the others.
fn share(capacity: i64, wants: Vec<(String, i64, i64)>) -> BTreeMap<String, i64> {
    let total: i64 = wants.iter().map(|w| w.1).fold(0, i64::saturating_add);
    if total <= capacity {
        return wants.into_iter().map(|(u, w, _)| (u, w)).collect();
    }
    let mut got: BTreeMap<String, i64> = BTreeMap::new();
    let mut open: Vec<(String, i64, i64)> = wants;
    let mut left = capacity.max(0);
    loop {
        let weights: i128 = open.iter().map(|w| w.2 as i128).sum();
        if open.is_empty() || weights == 0 {
            break;
        }
        let (sated, hungry): (Vec<_>, Vec<_>) = open.into_iter().partition(|w| (w.1 as i128) * weights <= (left as i128) * (w.2 as i128));
        if sated.is_empty() {
            for (u, _, wt) in hungry {
                got.insert(u, ((left as i128) * (wt as i128) / weights) as i64);
            }
            break;
        }
        for (u, want, _) in sated {
            left -= want;
            got.insert(u, want);
        }
        open = hungry;
    }
    got
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_parse() {
        assert_eq!(
            steps("900m from 0s; 2 from 5m; 300m from 15m", true).unwrap(),
            vec![(SimDuration::ZERO, 900), (SimDuration::from_secs(300), 2000), (SimDuration::from_secs(900), 300)]
        );
        assert_eq!(steps("1.5", true).unwrap(), vec![(SimDuration::ZERO, 1500)]);
        assert!(steps("1 from 1m; 2 from 30s", true).is_err());
        assert!(steps("-1", true).is_err());
        assert!(steps("", true).is_err());
        let s = steps("100m from 10s; 200m from 20s", true).unwrap();
        assert_eq!((at(&s, SimDuration::from_secs(5)), at(&s, SimDuration::from_secs(10)), at(&s, SimDuration::from_secs(99))), (0, 100, 200));
    }

    /// ksim's model of CFS, not an upstream table: the expected shares follow from the
    /// water-filling rule `share` states (an equal split, and 1:3 weights).
    #[test]
    fn a_full_node_is_shared_by_weight() {
        let w = |u: &str, want, weight| (u.to_string(), want, weight);
        // Room for all: each gets its want.
        let s = share(1000, vec![w("a", 300, 100), w("b", 400, 100)]);
        assert_eq!((s["a"], s["b"]), (300, 400));
        // 2 cores, equal weights, one wants little: it keeps it, the other two split the rest.
        let s = share(2000, vec![w("a", 200, 100), w("b", 2000, 100), w("c", 2000, 100)]);
        assert_eq!((s["a"], s["b"], s["c"]), (200, 900, 900));
        // Weights 1:3 over 1 core, both hungry.
        let s = share(1000, vec![w("a", 1000, 100), w("b", 1000, 300)]);
        assert_eq!((s["a"], s["b"]), (250, 750));
    }

    /// A pod's model is made again for each version of it: a new version (here its CPU
    /// cost per request annotated anew) is not taken for the one the model was made from,
    /// even when it is made after that one is gone. The model once knew its version by
    /// address alone, and the system allocator hands the freed block back to the next
    /// allocation of its size: the new version was then at the old one's address.
    #[test]
    fn a_new_version_of_a_pod_gets_a_new_model() {
        let version = |cost: &str| {
            let mut p = Pod::default();
            p.metadata.uid = "u1".into();
            p.metadata.annotations.insert(CPU_PER_REQUEST.into(), cost.into());
            crate::api::Object::Pod(Box::new(p))
        };
        let running = |pod| Running { uid: "u1".into(), pod, ready: true, started: SimTime::ZERO };
        let workload = |_: &Pod| "Pod/p".to_string();
        let mut m = UsageModel::default();
        let first = running(Rc::new(version("20m")));
        assert_eq!(m.model(&first, &workload).map(|m| m.per_request), Some(20));
        // The next version is made whole, the first dropped, and only then shared (`Rc::new`
        // is the first allocation after the drop).
        let next = version("50m");
        drop(first);
        let next = running(Rc::new(next));
        assert_eq!(m.model(&next, &workload).map(|m| m.per_request), Some(50));
    }
}
