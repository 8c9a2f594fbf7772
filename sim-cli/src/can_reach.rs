//! `ksim can-reach FROM TO --port P FILE… --at T`: whether NetworkPolicies let FROM open a
//! connection to TO at that moment, and which policy and rule decided — the source's
//! egress, then the destination's ingress. FROM is `pod/NAME`, `deployment/NAME` (one of
//! its running pods, as `kubectl exec deploy/NAME` picks one) or `node/NAME`; TO is
//! `pod/NAME`, `deployment/NAME` or `service/NAME` (each of its endpoints' pods). Exits 0 when allowed, 1
//! when denied (as `kubectl auth can-i` answers yes or no).

use sim_core::api::meta::IntOrString;
use sim_core::api::network_policy::End;
use sim_core::api::{Kind, Object};
use sim_core::controller_manager::endpointslice::find_port;
use sim_core::network::ipam::parse_ip;
use sim_core::network::policy::{decide, Side};
use sim_core::Simulation;
use std::io::Write;
use std::rc::Rc;

/// One end as the user named it: its name for printing, its address, and its pod.
struct Named {
    label: String,
    ip: u32,
    pod: Option<Rc<Object>>,
}

fn pod_end(sim: &Simulation, ns: &str, name: &str) -> Result<Named, String> {
    let o = sim.api.store.get_parts(&Kind::Pod, ns, name).cloned().ok_or_else(|| format!("Error from server (NotFound): pods \"{name}\" not found"))?;
    let p = o.as_pod().expect("a pod");
    let ip = parse_ip(&p.status.pod_ip).ok_or_else(|| format!("pod/{name} has no IP yet (it is {})", p.status.phase))?;
    Ok(Named { label: format!("pod/{ns}/{name}"), ip, pod: Some(o) })
}

/// The first running pod (by name) a Deployment owns through its ReplicaSets.
fn deployment_pod(sim: &Simulation, ns: &str, name: &str) -> Result<Named, String> {
    let d = sim
        .api
        .store
        .get_parts(&Kind::Deployment, ns, name)
        .cloned()
        .ok_or_else(|| format!("Error from server (NotFound): deployments.apps \"{name}\" not found"))?;
    let uid = &d.meta().uid;
    let rs: Vec<String> = sim
        .api
        .store
        .list(&Kind::ReplicaSet)
        .filter(|o| o.meta().namespace == ns && o.meta().controller_ref().is_some_and(|r| &r.uid == uid))
        .map(|o| o.meta().uid.to_string())
        .collect();
    let pod = sim
        .api
        .store
        .list(&Kind::Pod)
        .filter_map(|o| o.as_pod())
        .filter(|p| p.metadata.namespace == ns && p.status.phase == "Running" && p.metadata.rare.deletion_timestamp.is_none())
        .find(|p| p.metadata.controller_ref().is_some_and(|r| rs.contains(&r.uid)))
        .ok_or_else(|| format!("deployment/{name} has no running pod"))?;
    pod_end(sim, ns, pod.metadata.name.as_ref())
}

fn resolve_from(sim: &Simulation, ns: &str, what: &str) -> Result<Named, String> {
    match what.split_once('/') {
        Some(("pod" | "pods" | "po", name)) => pod_end(sim, ns, name),
        Some(("deployment" | "deployments" | "deploy", name)) => deployment_pod(sim, ns, name),
        Some(("node" | "nodes" | "no", name)) => {
            let n = sim
                .api
                .store
                .get_parts(&Kind::Node, "", name)
                .and_then(|o| o.as_node())
                .ok_or_else(|| format!("Error from server (NotFound): nodes \"{name}\" not found"))?;
            Ok(Named { label: format!("node/{name}"), ip: parse_ip(n.internal_ip()).unwrap_or(0), pod: None })
        }
        _ => Err(format!("FROM must be pod/NAME, deployment/NAME or node/NAME, not {what:?}")),
    }
}

fn resolve_to(sim: &Simulation, ns: &str, what: &str) -> Result<Vec<Named>, String> {
    match what.split_once('/') {
        Some(("pod" | "pods" | "po", name)) => Ok(vec![pod_end(sim, ns, name)?]),
        Some(("deployment" | "deployments" | "deploy", name)) => Ok(vec![deployment_pod(sim, ns, name)?]),
        Some(("service" | "services" | "svc", name)) => {
            if sim.api.store.get_parts(&Kind::Service, ns, name).is_none() {
                return Err(format!("Error from server (NotFound): services \"{name}\" not found"));
            }
            let mut out = Vec::new();
            for s in sim.api.store.list(&Kind::EndpointSlice).filter_map(|o| o.as_endpoint_slice()) {
                if !s.is_for(ns, name) {
                    continue;
                }
                for e in &s.endpoints {
                    if let Some(r) = e.target_ref.as_ref().filter(|r| r.kind == "Pod") {
                        if let Ok(n) = pod_end(sim, &r.namespace, &r.name) {
                            out.push(n);
                        }
                    }
                }
            }
            if out.is_empty() {
                return Err(format!("service/{name} has no endpoints"));
            }
            Ok(out)
        }
        _ => Err(format!("TO must be pod/NAME, deployment/NAME or service/NAME, not {what:?}")),
    }
}

fn describe(side: &Side, end: &str, direction: &str) -> String {
    match side {
        Side::Open => format!("open: no NetworkPolicy selects {end} for {direction}"),
        Side::Allowed { policy, rule } => format!("allowed by {policy}, {direction} rule {rule}"),
        Side::Denied { policies } => {
            format!("denied: {end} is selected by {} for {direction}, and none of their {direction} rules allows this", policies.join(", "))
        }
    }
}

#[allow(clippy::too_many_arguments)]
pub fn can_reach(from: &str, to: &str, port: &str, protocol: &str, files: &[String], at: Option<&str>, seed: Option<u64>, namespace: Option<&str>) -> u8 {
    let sim = match crate::run::simulate(files, at, seed) {
        Ok(sim) => sim,
        Err(c) => return c,
    };
    let ns = namespace.unwrap_or("default");
    let (src, dsts) = match (resolve_from(&sim, ns, from), resolve_to(&sim, ns, to)) {
        (Ok(s), Ok(d)) => (s, d),
        (Err(e), _) | (_, Err(e)) => {
            let _ = writeln!(anstream::stderr(), "{e}");
            return 1;
        }
    };
    let mut out = anstream::stdout();
    let mut all = true;
    for dst in &dsts {
        let dst_pod = dst.pod.as_deref().and_then(|o| o.as_pod());
        // FindPort, as the EndpointSlice controller resolves a named port.
        let named = |n: &str| dst_pod.and_then(|p| find_port(p, Some(&IntOrString::String(n.into())), protocol));
        let Some(num) = port.parse::<i32>().ok().or_else(|| named(port)) else {
            let _ = writeln!(anstream::stderr(), "{}: no container port named {port:?}", dst.label);
            return 1;
        };
        let src_pod = src.pod.as_deref().and_then(|o| o.as_pod());
        let s_end = End { ip: src.ip, pod: src_pod.map(|p| (p.metadata.namespace.as_str(), &*p.metadata.labels)) };
        let d_end = End { ip: dst.ip, pod: dst_pod.map(|p| (p.metadata.namespace.as_str(), &*p.metadata.labels)) };
        let v = decide(&sim.api.store, &s_end, &d_end, num, protocol, &named);
        all &= v.allowed();
        let _ = writeln!(out, "{} → {} port {num}/{protocol}: {}", src.label, dst.label, if v.allowed() { "allowed" } else { "denied" });
        let egress = if src.pod.is_some() { describe(&v.egress, &src.label, "egress") } else { format!("open: {} is not a pod", src.label) };
        let _ = writeln!(out, "  egress:  {egress}");
        let _ = writeln!(out, "  ingress: {}", describe(&v.ingress, &dst.label, "ingress"));
    }
    u8::from(!all)
}
