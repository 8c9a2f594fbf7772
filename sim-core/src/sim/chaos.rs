//! Chaos Mesh's experiments, injected by the simulation when they are applied (upstream:
//! chaos-controller-manager and chaos-daemon): PodChaos (faults/chaos_mesh.rs) kills pods
//! or containers, or swaps their images for the pause image until its duration ends;
//! NetworkChaos (faults/network_chaos.rs) puts partitions and delays into the traffic
//! model until its duration ends. Deleting an experiment recovers it at once (upstream:
//! its finalizer). What each did goes to the event log (`chaos` records).

use super::{SimEvent, Simulation};
use crate::api::object::Unstructured;
use crate::api::{Kind, ObjectKey};
use crate::apiserver::Request;
use crate::client::{Action, Ctx, Reply};
use crate::engine::SimTime;
use crate::faults::chaos_mesh::{self, go_duration_ns, select, PodChaosSpec, PodSelectorSpec};
use crate::faults::network_chaos::{NetworkChaosSpec, NetworkFault};
use std::collections::BTreeMap;

/// An experiment with something to undo.
pub(super) struct ChaosRun {
    kind: &'static str,
    namespace: String,
    name: String,
    /// pod-failure: the pods patched (namespace, name); else a NetworkChaos in the traffic model.
    pods: Option<Vec<(String, String)>>,
    over: bool,
}

impl Simulation {
    /// An applied PodChaos or NetworkChaos.
    pub(super) fn chaos_applied(&mut self, u: &Unstructured, out: &mut Vec<Action>) {
        if u.kind == "PodChaos" {
            self.pod_chaos(u, out);
        } else {
            self.network_chaos(u);
        }
    }

    fn chaos_label(kind: &str, ns: &str, name: &str) -> String {
        format!("{}/{ns}/{name}", kind.to_ascii_lowercase())
    }

    /// The pods a selector picks (namespace, name, uid, node, IP); Err: none
    /// (pkg/selector/pod's ErrNoPodSelected, which the records controller reports as
    /// "Failed to select targets: …").
    fn chaos_select(&mut self, selector: &PodSelectorSpec, mode: &str, value: Option<&str>, ns: &str) -> Result<Vec<[String; 5]>, &'static str> {
        let store = &self.api.store;
        let node_labels = |n: &str| store.get_parts(&Kind::Node, "", n).and_then(|o| o.as_node()).map(|n| (*n.metadata.labels).clone());
        select(selector, mode, value, store.list(&Kind::Pod).filter_map(|o| o.as_pod()), &node_labels, ns, &mut self.chaos_rng).map(|ps| {
            ps.into_iter()
                .map(|p| {
                    let m = &p.metadata;
                    [m.namespace.to_string(), m.name.to_string(), m.uid.to_string(), p.spec.node_name.to_string(), p.status.pod_ip.to_string()]
                })
                .collect()
        })
    }

    /// When an experiment of `duration` applied now ends (None: it runs until deleted).
    fn chaos_end_at(&self, duration: Option<&str>) -> Option<SimTime> {
        let ns = go_duration_ns(duration.filter(|d| !d.is_empty())?).ok()?;
        Some(self.now + crate::engine::SimDuration::from_ms((ns.max(0) as u64).div_ceil(1_000_000)))
    }

    fn chaos_register(&mut self, kind: &'static str, ns: &str, name: &str, pods: Option<Vec<(String, String)>>, end: Option<SimTime>) {
        // A re-applied experiment replaces the one before (recovered first).
        let mut none = Vec::new();
        self.chaos_deleted(&Kind::other("chaos-mesh.org".into(), kind.into()), ns, name, &mut none);
        self.dispatch(super::Client::Timeline, none);
        self.chaos_runs.push(ChaosRun { kind, namespace: ns.to_string(), name: name.to_string(), pods, over: false });
        if let Some(t) = end {
            self.queue.push(t, SimEvent::ChaosEnd(self.chaos_runs.len() - 1));
        }
    }

    /// A PodChaos experiment: the pods selected are killed, their containers, or (pod-failure)
    /// their images swapped for the pause image until the duration ends.
    fn pod_chaos(&mut self, u: &Unstructured, out: &mut Vec<Action>) {
        let ns = if u.metadata.namespace.is_empty() { "default".to_string() } else { u.metadata.namespace.to_string() };
        let name = Self::chaos_label("PodChaos", &ns, &u.metadata.name);
        let Ok(spec) = serde_json::from_value::<PodChaosSpec>(u.rest.get("spec").cloned().unwrap_or_default()) else { return };
        let targets = match self.chaos_select(&spec.selector, &spec.mode, spec.value.as_deref(), &ns) {
            Err(e) => {
                self.note("chaos", "chaos-mesh", format!("{name}: Failed to select targets: {e}"));
                return;
            }
            Ok(t) => t,
        };
        let mut patched = Vec::new();
        for [pns, pname, uid, node, _] in targets {
            let key = ObjectKey::new(Kind::Pod, &pns, &pname);
            match spec.action.as_str() {
                "pod-kill" => {
                    let grace = spec.grace_period.unwrap_or(0).max(0);
                    out.push(Action::Request {
                        request: Box::new(Request::Delete { key: Box::new(key), grace_period_seconds: Some(grace), uid: None }),
                        reply: Reply::OnError(0),
                    });
                    self.note("chaos", "chaos-mesh", format!("{name}: pod-kill pod/{pns}/{pname}"));
                }
                "pod-failure" => {
                    let pod = self.api.store.get(&key).and_then(|o| o.as_pod()).cloned();
                    if let Some(patch) = pod.and_then(|p| chaos_mesh::pod_failure_patch(&u.metadata.name, &p)) {
                        out.push(Action::Request { request: Box::new(Request::Patch { key: Box::new(key), patch }), reply: Reply::OnError(0) });
                    }
                    self.note("chaos", "chaos-mesh", format!("{name}: pod-failure pod/{pns}/{pname}: image {}", chaos_mesh::PAUSE_IMAGE));
                    patched.push((pns, pname));
                }
                _ => self.container_kill(&name, &spec, [&pns, &pname, &uid, &node]),
            }
        }
        if spec.action == "pod-failure" {
            let end = self.chaos_end_at(spec.duration.as_deref());
            self.chaos_register("PodChaos", &ns, &u.metadata.name, Some(patched), end);
        }
    }

    fn container_kill(&mut self, name: &str, spec: &PodChaosSpec, [pns, pname, uid, node]: [&str; 4]) {
        for c in spec.container_names.clone().unwrap_or_default() {
            let result = match self.kubelet_index.get(node).copied().filter(|&k| self.kubelets[k as usize].alive) {
                None => Err("the pod is not running on a node".to_string()),
                Some(k) => {
                    let mut acts = Vec::new();
                    let r = self.kubelets[k as usize].kill_container(uid, &c, &mut Ctx::new(self.now, &mut acts));
                    self.dispatch(super::Client::Kubelet(k), acts);
                    r
                }
            };
            let msg = match result {
                Ok(()) => format!("{name}: container-kill pod/{pns}/{pname} container {c}"),
                Err(e) => format!("{name}: container-kill pod/{pns}/{pname} container {c}: {e}"),
            };
            self.note("chaos", "chaos-mesh", msg);
        }
    }

    /// A NetworkChaos experiment: its partition or delay in force in the traffic model
    /// from now until its duration ends.
    fn network_chaos(&mut self, u: &Unstructured) {
        let ns = if u.metadata.namespace.is_empty() { "default".to_string() } else { u.metadata.namespace.to_string() };
        let name = Self::chaos_label("NetworkChaos", &ns, &u.metadata.name);
        let Ok(spec) = serde_json::from_value::<NetworkChaosSpec>(u.rest.get("spec").cloned().unwrap_or_default()) else { return };
        if !["partition", "delay"].contains(&spec.action.as_str()) {
            return; // warned about at load: stored, not injected
        }
        let by_uid = |ps: Vec<[String; 5]>| ps.into_iter().map(|[_, _, uid, _, ip]| (uid, ip)).collect::<BTreeMap<_, _>>();
        let sources = self.chaos_select(&spec.selector, &spec.mode, spec.value.as_deref(), &ns);
        let targets = spec.target.as_ref().map(|t| self.chaos_select(&t.selector, &t.mode, t.value.as_deref(), &ns)).transpose();
        let (sources, targets) = match (sources, targets) {
            (Ok(s), Ok(t)) => (by_uid(s), t.map(by_uid)),
            (Err(e), _) | (_, Err(e)) => {
                self.note("chaos", "chaos-mesh", format!("{name}: Failed to select targets: {e}"));
                return;
            }
        };
        let what = match &spec.delay {
            Some(d) if spec.action == "delay" => format!("delay {}", d.latency.as_deref().unwrap_or_default()),
            _ => spec.action.clone(),
        };
        let n_targets = targets.as_ref().map_or("every address".to_string(), |t| format!("{} target pod(s)", t.len()));
        self.note(
            "chaos",
            "chaos-mesh",
            format!("{name}: {what} {} pod(s), direction {}, {n_targets}", sources.len(), crate::faults::network_chaos::direction(&spec)),
        );
        let fault = NetworkFault::new(&spec, sources, targets);
        let end = self.chaos_end_at(spec.duration.as_deref());
        self.chaos_register("NetworkChaos", &ns, &u.metadata.name, None, end);
        self.traffic.network.insert(name, fault);
    }

    /// An experiment's duration is over: recovered.
    pub(super) fn chaos_end(&mut self, i: usize) {
        let mut out = Vec::new();
        self.recover(i, &mut out);
        self.dispatch(super::Client::Timeline, out);
    }

    /// `delete` of an experiment: the runs it has are recovered.
    pub(super) fn chaos_deleted(&mut self, kind: &Kind, ns: &str, name: &str, out: &mut Vec<Action>) {
        let Kind::Other(gk) = kind else { return };
        let (group, k) = &**gk;
        if group != "chaos-mesh.org" {
            return;
        }
        let ns = if ns.is_empty() { "default" } else { ns };
        let runs: Vec<usize> = (0..self.chaos_runs.len())
            .filter(|&i| {
                let r = &self.chaos_runs[i];
                !r.over && r.kind == k && r.namespace == ns && r.name == name
            })
            .collect();
        for i in runs {
            self.recover(i, out);
        }
    }

    /// pod-failure's Recover (the images back where the annotation has them), or the
    /// network rules removed.
    fn recover(&mut self, i: usize, out: &mut Vec<Action>) {
        let r = &mut self.chaos_runs[i];
        if r.over {
            return;
        }
        r.over = true;
        let (kind, ns, chaos) = (r.kind, r.namespace.clone(), r.name.clone());
        let label = Self::chaos_label(kind, &ns, &chaos);
        let Some(pods) = r.pods.clone() else {
            self.traffic.network.remove(&label);
            self.note("chaos", "chaos-mesh", format!("{label}: recovered"));
            return;
        };
        for (pns, pname) in pods {
            let key = ObjectKey::new(Kind::Pod, &pns, &pname);
            let pod = self.api.store.get(&key).and_then(|o| o.as_pod()).cloned();
            // A pod that is gone has nothing to recover (upstream: NotFound is fine).
            let Some(patch) = pod.and_then(|p| chaos_mesh::pod_failure_recover_patch(&chaos, &p)) else { continue };
            out.push(Action::Request { request: Box::new(Request::Patch { key: Box::new(key), patch }), reply: Reply::OnError(0) });
            self.note("chaos", "chaos-mesh", format!("{label}: recovered pod/{pns}/{pname}"));
        }
    }
}
