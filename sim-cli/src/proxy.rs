//! `ksim proxy NODE FILE… --at T`: what the node's kube-proxy has programmed at that
//! moment — per Service port, where traffic to its ClusterIP and to its NodePort goes
//! from this node — and when it last synced. No kubectl verb shows this (on a real node
//! one reads `iptables-save`); the columns follow `kubectl get services` and
//! `kubectl get endpoints`.

use crate::print::table;
use serde_json::json;
use sim_core::engine::SimDuration;
use sim_core::proxy::endpoints::EndpointInfo;
use sim_core::proxy::{ProgrammedPort, ProxyView};
use std::io::Write;

/// An endpoint as listed: `IP:port`, marked when it is only serving while terminating.
fn endpoint(e: &EndpointInfo) -> String {
    if e.ready {
        e.addr()
    } else {
        format!("{} (terminating)", e.addr())
    }
}

/// Where one traffic policy's packets go: the endpoints (3 then ` + N more...` unless
/// wide), else what the rules do without them (syncProxyRules: REJECT when the Service
/// has no usable endpoint anywhere, "has no endpoints"; DROP when it has some but none
/// on this node for a Local policy, "has no local endpoints").
fn targets(eps: &[EndpointInfo], has_any: bool, wide: bool) -> String {
    if eps.is_empty() {
        return if has_any { "<none> (DROP: no local endpoints)".into() } else { "<none> (REJECT: no endpoints)".into() };
    }
    let all: Vec<String> = eps.iter().map(endpoint).collect();
    if all.len() > 3 && !wide {
        format!("{} + {} more...", all[..3].join(","), all.len() - 3)
    } else {
        all.join(",")
    }
}

fn rows(view: &ProxyView, wide: bool) -> Vec<Vec<String>> {
    view.ports
        .iter()
        .map(|(name, p)| {
            let p: &ProgrammedPort = p;
            let i = &p.info;
            let node_port = if i.node_port == 0 { "<none>".to_string() } else { format!("{}/{}", i.node_port, i.protocol) };
            let external = if i.externally_accessible() { targets(p.external(), p.endpoints.has_any, wide) } else { "<none>".into() };
            let mut r = vec![
                name.to_string(),
                i.cluster_ip.clone(),
                format!("{}/{}", i.port, i.protocol),
                targets(p.internal(), p.endpoints.has_any, wide),
                node_port,
                external,
            ];
            if wide {
                let policy = |local: bool| if local { "Local" } else { "Cluster" };
                r.push(policy(i.internal_policy_local).into());
                r.push(policy(i.external_policy_local).into());
                r.push(i.session_affinity_seconds.map_or("None".into(), |s| format!("ClientIP ({s}s)")));
            }
            r
        })
        .collect()
}

fn endpoints_json(eps: &[EndpointInfo]) -> serde_json::Value {
    eps.iter()
        .map(|e| json!({"ip": e.ip, "port": e.port, "node": e.node, "local": e.local, "ready": e.ready, "serving": e.serving, "terminating": e.terminating}))
        .collect()
}

pub fn proxy(node: &str, files: &[String], at: Option<&str>, seed: Option<u64>, output: Option<&str>) -> u8 {
    let sim = match crate::run::simulate(files, at, seed) {
        Ok(sim) => sim,
        Err(c) => return c,
    };
    let Some(p) = sim.proxies.iter().find(|p| p.node == node) else {
        let _ = writeln!(anstream::stderr(), "Error from server (NotFound): nodes {} not found", sim_core::scenario::diagnostic::clip_quoted(node));
        return 1;
    };
    let view = p.view();
    let mut out = anstream::stdout();
    if output == Some("iptables") {
        // What `iptables-save` shows of kube-proxy's tables on that node.
        if !p.alive || view.synced_at.is_none() {
            let _ = writeln!(anstream::stderr(), "kube-proxy on {node} has no rules (the node is down or has not synced yet)");
            return 0;
        }
        let ip = sim
            .list(&sim_core::api::Kind::Node)
            .iter()
            .filter_map(|o| o.as_node())
            .find(|n| n.metadata.name == node)
            .map(|n| n.internal_ip().to_string())
            .unwrap_or_default();
        let _ = write!(out, "{}", sim_core::proxy::iptables::render(view, &ip, &sim.cluster_cidr));
        return 0;
    }
    if output == Some("json") {
        let ports: Vec<serde_json::Value> = view
            .ports
            .iter()
            .map(|(name, p)| {
                let i = &p.info;
                json!({
                    "service": name.to_string(),
                    "clusterIP": i.cluster_ip,
                    "port": i.port,
                    "protocol": i.protocol,
                    "nodePort": (i.node_port != 0).then_some(i.node_port),
                    "internalTrafficPolicy": if i.internal_policy_local { "Local" } else { "Cluster" },
                    "externalTrafficPolicy": if i.external_policy_local { "Local" } else { "Cluster" },
                    "sessionAffinitySeconds": i.session_affinity_seconds,
                    "hasEndpoints": p.endpoints.has_any,
                    "internal": endpoints_json(p.internal()),
                    "external": if i.externally_accessible() { endpoints_json(p.external()) } else { json!(null) },
                })
            })
            .collect();
        let v = json!({"node": node, "alive": p.alive, "syncedAt": view.synced_at.map(|t| SimDuration(t.as_ms()).to_string()), "ports": ports});
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&v).unwrap_or_default());
        return 0;
    }
    let when = match (p.alive, view.synced_at) {
        (false, _) => "the node is down: no rules".to_string(),
        (true, None) => "not synced yet: no rules".to_string(),
        (true, Some(t)) => format!("rules synced at {} ({} before --at)", SimDuration(t.as_ms()), SimDuration(sim.now.as_ms() - t.as_ms())),
    };
    let _ = writeln!(out, "kube-proxy on {node}: {when}");
    if view.ports.is_empty() {
        return 0;
    }
    let wide = output == Some("wide");
    let mut header = vec!["SERVICE", "CLUSTER-IP", "PORT", "ENDPOINTS", "NODE-PORT", "NODE-PORT ENDPOINTS"];
    if wide {
        header.extend(["INTERNAL-POLICY", "EXTERNAL-POLICY", "AFFINITY"]);
    }
    let _ = write!(out, "{}", table(&header, &rows(view, wide)));
    0
}
