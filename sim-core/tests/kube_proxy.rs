//! kube-proxy on every node, end to end: each node's rules follow the Service's
//! EndpointSlices after its own watch and sync runner (pkg/proxy/iptables/proxier.go:
//! minSyncPeriod 1 s, burstSyncs 2; pkg/util/async/bounded_frequency_runner.go), so a
//! node's view lags the slices by at most the watch latency plus minSyncPeriod; a
//! crashed node has no rules and relists when it comes back; Local traffic policies keep
//! only the node's own endpoints (pkg/proxy/topology.go CategorizeEndpoints).

mod common;

use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::proxy::ProxyView;
use sim_core::{RunOptions, Simulation};
use std::collections::BTreeSet;

/// The simulation, and how far a node's rules may trail the slices: the watch latency
/// plus minSyncPeriod.
fn scenario(extra_timeline: &str, svc_spec: &str, nodes: u32) -> (Simulation, u64) {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: proxy}}\nspec:\n  until: 10m\n  cluster:\n    nodePools:\n    - {{name: w, count: {nodes}, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  timeline:\n{extra_timeline}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 3\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: nginx, ports: [{{name: http, containerPort: 8080}}]}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: 80, targetPort: http}}]\n{svc_spec}"
    );
    let s = common::load_str(&text);
    let lag = s.latency.watch.as_ms() + sim_core::proxy::MIN_SYNC_PERIOD.as_ms();
    (Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).expect("simulation"), lag)
}

/// The ready `IP:port`s the Service's slices list now.
fn slice_endpoints(sim: &Simulation) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for o in sim.api.store.list(&Kind::EndpointSlice) {
        let s = o.as_endpoint_slice().expect("slice");
        if s.metadata.labels.get("kubernetes.io/service-name").map(String::as_str) != Some("web") {
            continue;
        }
        for p in s.ports.iter().flatten() {
            for e in s.endpoints.iter().filter(|e| e.conditions.ready.unwrap_or(true)) {
                out.insert(format!("{}:{}", e.addresses[0], p.port.unwrap_or(0)));
            }
        }
    }
    out
}

fn view_endpoints(v: &ProxyView) -> BTreeSet<String> {
    v.ports.iter().filter(|(n, _)| n.name == "web").flat_map(|(_, p)| p.internal().iter().map(|e| e.addr())).collect()
}

/// Every node's view equals the slices except within watch latency + minSyncPeriod of a
/// slice change; a down node has no rules.
#[test]
fn every_node_follows_the_slices_within_its_sync_window() {
    let (mut sim, lag) = scenario("  - {at: 1m, nodeCrash: w-1}\n  - {at: 3m, nodeRecover: w-1}", "", 3);
    let mut last = slice_endpoints(&sim);
    let mut changed_at = 0u64;
    let mut lagging_seen = false;
    // After every engine event.
    while sim.step() && sim.time().0.as_ms() <= 8 * 60 * 1000 {
        let t = sim.time().0.as_ms();
        let now = slice_endpoints(&sim);
        if now != last {
            changed_at = t;
            last = now.clone();
        }
        for p in &sim.proxies {
            if !p.alive {
                assert!(p.view().ports.is_empty(), "{} is down at {t} ms but has rules", p.node);
                continue;
            }
            let v = view_endpoints(p.view());
            if v != now {
                // A node that just (re)started has not synced yet; otherwise the slices
                // changed within the window.
                assert!(t - changed_at <= lag || p.view().synced_at.is_none(), "{} at {t} ms: {v:?} vs slices {now:?} (changed at {changed_at})", p.node);
                lagging_seen |= p.view().synced_at.is_some();
            }
        }
    }
    assert!(lagging_seen, "some node's rules trailed a slice change");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    // After the recovery every node programs the three pods again.
    assert!(sim.proxies.iter().all(|p| view_endpoints(p.view()).len() == 3));
}

/// internalTrafficPolicy: Local sends a node's ClusterIP traffic only to its own pods; a
/// node without one drops it (it does not fall back to other nodes).
#[test]
fn internal_traffic_policy_local_keeps_traffic_on_the_node() {
    let (mut sim, _) = scenario("  - {at: 5m, cordon: w-1}", "  internalTrafficPolicy: Local\n", 4);
    sim.run_until(SimTime(60_000));
    let mut with_pods = 0;
    for p in &sim.proxies {
        let port = p.view().ports.iter().find(|(n, _)| n.name == "web").map(|(_, p)| p).expect("web programmed");
        let local: Vec<String> = port.internal().iter().map(|e| e.ip.clone()).collect();
        let on_node: BTreeSet<String> = sim
            .api
            .store
            .list(&Kind::Pod)
            .filter_map(|o| o.as_pod())
            .filter(|pod| pod.spec.node_name == p.node && !pod.status.pod_ip.is_empty())
            .map(|pod| pod.status.pod_ip.to_string())
            .collect();
        assert_eq!(local.iter().cloned().collect::<BTreeSet<_>>(), on_node, "{}", p.node);
        assert!(port.internal().iter().all(|e| e.local));
        assert!(port.endpoints.has_any, "the Service has endpoints somewhere");
        with_pods += usize::from(!local.is_empty());
    }
    assert!(with_pods < 4, "3 pods on 4 nodes leave a node without one, whose traffic is dropped");
}

/// trafficDistribution: PreferClose end to end: the EndpointSlice controller hints each
/// ready endpoint for its own zone (trafficdist.ReconcileHints, preferCloseHeuristic),
/// and each node's kube-proxy keeps the endpoints hinted for its zone
/// (topologyModeFromHints). Without the field, no hints and no filtering.
#[test]
fn prefer_close_keeps_traffic_in_the_zone() {
    let run = |dist: &str| {
        let text = format!(
            "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: zones}}\nspec:\n  until: 2m\n  cluster:\n    nodePools:\n    - {{name: a, count: 2, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}, labels: {{topology.kubernetes.io/zone: zone-a}}}}\n    - {{name: b, count: 2, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}, labels: {{topology.kubernetes.io/zone: zone-b}}}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 4\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: nginx}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: 80}}]\n{dist}"
        );
        let s = common::load_str(&text);
        let mut sim = Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).expect("simulation");
        sim.run_until(SimTime(60_000));
        assert!(sim.violations().is_empty(), "{:?}", sim.violations());
        let zone_of = |node: &str| if node.starts_with("a-") { "zone-a" } else { "zone-b" };
        let slices: Vec<sim_core::api::endpoints::EndpointSlice> = sim
            .api
            .store
            .list(&Kind::EndpointSlice)
            .filter_map(|o| o.as_endpoint_slice())
            .filter(|s| s.metadata.labels.get("kubernetes.io/service-name").map(String::as_str) == Some("web"))
            .cloned()
            .collect();
        let hinted: Vec<(String, Option<String>)> = slices
            .iter()
            .flat_map(|s| s.endpoints.iter())
            .map(|e| {
                (e.zone.clone().unwrap_or_default(), e.hints.as_ref().and_then(|h| h.pointer("/forZones/0/name")).and_then(|v| v.as_str()).map(str::to_string))
            })
            .collect();
        let per_node: Vec<(String, Vec<String>)> = sim
            .proxies
            .iter()
            .map(|p| {
                let eps = view_endpoints_nodes(p.view());
                (zone_of(&p.node).to_string(), eps.into_iter().map(|n| zone_of(&n).to_string()).collect())
            })
            .collect();
        (hinted, per_node)
    };
    let (hinted, per_node) = run("  trafficDistribution: PreferClose\n");
    assert_eq!(hinted.len(), 4);
    assert!(hinted.iter().all(|(z, h)| h.as_deref() == Some(z.as_str())), "each endpoint hinted for its own zone: {hinted:?}");
    for (zone, eps) in &per_node {
        assert!(!eps.is_empty() && eps.iter().all(|z| z == zone), "a node in {zone} sends to {eps:?}");
    }
    let (hinted, per_node) = run("");
    assert!(hinted.iter().all(|(_, h)| h.is_none()), "{hinted:?}");
    assert!(per_node.iter().all(|(_, eps)| eps.len() == 4), "{per_node:?}");
}

fn view_endpoints_nodes(v: &ProxyView) -> Vec<String> {
    v.ports.iter().filter(|(n, _)| n.name == "web").flat_map(|(_, p)| p.internal().iter().map(|e| e.node.clone())).collect()
}
