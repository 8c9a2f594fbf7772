//! The traffic model end to end: where requests go is where the node's kube-proxy rules
//! as last synced send them (pkg/proxy/iptables semantics: REJECT without endpoints,
//! DROP for a Local policy without local endpoints, random choice among endpoints), and
//! what happens to them is what the pod and its node do (a node down: timeout; a pod
//! gone: refused). The counts are cumulative, add up, and come from the seed.

mod common;

use sim_core::engine::SimTime;
use sim_core::{RunOptions, Simulation};

fn sim(svc_extra: &str, replicas: u32, traffic: &str, timeline: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  seed: 7\n  until: 5m\n  cluster:\n    nodePools:\n    - {{name: w, count: 3, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  traffic:\n{traffic}\n  timeline:\n{timeline}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: nginx, ports: [{{containerPort: 8080}}]}}]\n---\napiVersion: v1\nkind: Service\nmetadata: {{name: web}}\nspec:\n  selector: {{app: web}}\n  ports: [{{port: 80, targetPort: 8080}}]\n{svc_extra}"
    );
    let s = common::load_str(&text);
    Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).expect("simulation")
}

/// A client's (sent, succeeded, failures by reason).
type Counts = (u64, u64, Vec<(String, u64)>);

fn counts(s: &Simulation, name: &str) -> Counts {
    let c = s.traffic.counters(name).expect("client");
    (c.sent, c.succeeded, c.failed.iter().map(|(k, v)| (k.to_string(), *v)).collect())
}

#[test]
fn requests_follow_the_rules_and_fail_the_way_clients_see_it() {
    let traffic = "  - {name: a, source: {node: w-2}, target: service/web:80, rate: 100/s, start: 30s}\n  - {name: empty, source: {node: w-2}, target: service/none:80, rate: 10/s, start: 30s}";
    let timeline = "  - {at: 1s, apply: {apiVersion: v1, kind: Service, metadata: {name: none}, spec: {selector: {app: none}, ports: [{port: 80}]}}}\n  - {at: 1m, nodeCrash: w-1}";
    let mut s = sim("", 3, traffic, timeline);
    s.run_until(SimTime(59_999));
    let (sent, ok, failed) = counts(&s, "a");
    assert_eq!((sent, ok), (3000, 3000), "30 s at 100/s, all served: {failed:?}");
    // The Service without endpoints: REJECT (no-endpoints), every request.
    assert_eq!(counts(&s, "empty"), (300, 0, vec![("no-endpoints".into(), 300)]));
    s.run_until(SimTime(5 * 60_000));
    let (sent, ok, failed) = counts(&s, "a");
    assert_eq!(sent, 27_010, "ticks every 100 ms from 30 s to 5 m inclusive (2,701) of 10 requests");
    let timeouts = failed.iter().find(|(r, _)| r == "timeout").map_or(0, |(_, n)| *n);
    // A third of the requests of the window (the crash to the rules' change, ~45 s) go to
    // the dead node's pod and time out; before and after, none.
    assert!((1000..2000).contains(&timeouts), "{timeouts} timeouts");
    assert_eq!(ok + timeouts, sent, "{failed:?}");
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

#[test]
fn a_local_policy_drops_what_the_node_cannot_serve() {
    // One pod for three nodes: the two other nodes' kube-proxies DROP (timeout).
    let traffic = "  - {name: here, source: {node: w-1}, target: service/web:80, rate: 10/s, start: 30s}\n  - {name: there, source: {node: w-2}, target: service/web:80, rate: 10/s, start: 30s}\n  - {name: third, source: {node: w-3}, target: service/web:80, rate: 10/s, start: 30s}";
    let mut s = sim("  internalTrafficPolicy: Local\n", 1, traffic, "  - {at: 4m, cordon: w-1}");
    s.run_until(SimTime(60_000));
    let results: Vec<Counts> = ["here", "there", "third"].iter().map(|n| counts(&s, n)).collect();
    let served = results.iter().filter(|(sent, ok, _)| ok == sent && *sent > 0).count();
    let dropped = results.iter().filter(|(sent, _, f)| f == &vec![("timeout".to_string(), *sent)]).count();
    assert_eq!((served, dropped), (1, 2), "{results:?}");
}

#[test]
fn the_same_seed_counts_the_same() {
    let traffic = "  - {name: a, source: {pod: app=web}, target: service/web:80, rate: 333/s}";
    let run = || {
        let mut s = sim("  sessionAffinity: ClientIP\n", 3, traffic, "  - {at: 1m, nodeCrash: w-3}");
        s.run_until(SimTime(3 * 60_000));
        (counts(&s, "a"), s.fingerprint())
    };
    let (a, b) = (run(), run());
    assert_eq!(a, b);
    assert!(a.0 .0 > 0);
}

/// Traffic from outside through a NodePort and a load-balancer address
/// (pkg/proxy/iptables: KUBE-NODEPORTS → KUBE-EXT; externalTrafficPolicy Local keeps
/// the node's own endpoints and DROPs without one): one pod, on one of three nodes.
#[test]
fn node_ports_and_load_balancers_follow_the_external_policy() {
    let svc = "---\napiVersion: v1\nkind: Service\nmetadata: {name: edge}\nspec:\n  type: LoadBalancer\n  externalTrafficPolicy: Local\n  selector: {app: web}\n  ports: [{port: 80, targetPort: 8080, nodePort: 30080}]\n";
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: t}}\nspec:\n  seed: 3\n  until: 2m\n  cluster:\n    loadBalancer: {{addresses: [192.168.1.240-192.168.1.241]}}\n    nodePools:\n    - {{name: w, count: 3, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  traffic:\n  - {{name: n1, source: {{node: w-1}}, target: '172.18.0.2:30080', rate: 10/s, start: 30s}}\n  - {{name: n2, source: {{node: w-1}}, target: '172.18.0.3:30080', rate: 10/s, start: 30s}}\n  - {{name: n3, source: {{node: w-1}}, target: '172.18.0.4:30080', rate: 10/s, start: 30s}}\n  - {{name: lb, source: {{node: w-1}}, target: '192.168.1.240:80', rate: 10/s, start: 30s}}\n  - {{name: closed, source: {{node: w-1}}, target: '172.18.0.3:31999', rate: 10/s, start: 30s}}\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: web}}\nspec:\n  replicas: 1\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata: {{labels: {{app: web}}}}\n    spec:\n      containers: [{{name: web, image: nginx, ports: [{{containerPort: 8080}}]}}]\n{svc}"
    );
    let s = common::load_str(&text);
    let mut sim = Simulation::new(&s, &RunOptions { check: true, ..RunOptions::for_scenario(&s) }).expect("simulation");
    sim.run_until(SimTime(60_000));
    let results: Vec<Counts> = ["n1", "n2", "n3"].iter().map(|n| counts(&sim, n)).collect();
    // Exactly the node with the pod serves its NodePort; the others DROP (timeout).
    assert_eq!(results.iter().filter(|(sent, ok, _)| ok == sent).count(), 1, "{results:?}");
    assert_eq!(results.iter().filter(|(sent, _, f)| f == &vec![("timeout".to_string(), *sent)]).count(), 2, "{results:?}");
    // The load balancer's address is announced by the node with the pod: all served.
    let (sent, ok, _) = counts(&sim, "lb");
    assert!(sent > 0 && ok == sent, "{:?}", counts(&sim, "lb"));
    // A port no Service holds on a live node: refused.
    let (sent, _, failed) = counts(&sim, "closed");
    assert_eq!(failed, vec![("refused".to_string(), sent)]);
}

/// A client pod (`app=client`, on w-1) beside `web`, a headless Service for `web`'s pod
/// addresses, and a NetworkChaos applied at 1 m for 30 s.
fn chaos_sim(chaos_spec: &str, traffic: &str) -> Simulation {
    let extra = "---\napiVersion: v1\nkind: Pod\nmetadata: {name: client, labels: {app: client}}\nspec: {nodeName: w-1, containers: [{name: c, image: busybox, command: [sleep, infinity]}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web-pods}\nspec: {clusterIP: None, selector: {app: web}, ports: [{port: 8080}]}\n";
    let timeline = format!("  - at: 1m\n    apply: {{apiVersion: chaos-mesh.org/v1alpha1, kind: NetworkChaos, metadata: {{name: net}}, spec: {chaos_spec}}}");
    sim(extra, 3, traffic, &timeline)
}

fn delta(a: &Counts, b: &Counts) -> (u64, u64) {
    (b.0 - a.0, b.1 - a.1)
}

/// partition (chaos-mesh partition/impl.go): with `direction: to` the target pods drop
/// what they receive from the selected pods (INPUT, the source's address), so even a
/// request through the ClusterIP — whose destination the client's own OUTPUT rule does
/// not recognise — gets no answer: `timeout`. Requests from a node are not selected.
#[test]
fn a_network_partition_drops_requests_from_the_selected_pods_to_the_targets() {
    let spec = "{action: partition, mode: all, selector: {labelSelectors: {app: client}}, direction: to, target: {mode: all, selector: {labelSelectors: {app: web}}}, duration: 30s}";
    let traffic = "  - {name: c, source: {pod: app=client}, target: service/web:80, rate: 100/s, start: 30s}\n  - {name: from-node, source: {node: w-2}, target: service/web:80, rate: 100/s, start: 30s}";
    let mut s = chaos_sim(spec, traffic);
    s.run_until(SimTime(59_950));
    let before = (counts(&s, "c"), counts(&s, "from-node"));
    assert_eq!(before.0 .0, before.0 .1, "all served before: {:?}", before.0);
    s.run_until(SimTime(89_950));
    let during = (counts(&s, "c"), counts(&s, "from-node"));
    // Ticks at 60.0 s … 89.9 s: 300 ticks of 10 requests, none answered; the node's all.
    assert_eq!(delta(&before.0, &during.0), (3000, 0));
    assert_eq!(during.0 .2, vec![("timeout".to_string(), 3000)]);
    assert_eq!(delta(&before.1, &during.1), (3000, 3000));
    // Recovered at 90 s: answered again.
    s.run_until(SimTime(119_950));
    assert_eq!(delta(&during.0, &counts(&s, "c")), (3000, 3000));
    assert!(s.violations().is_empty(), "{:?}", s.violations());
}

/// delay (trafficcontrol/impl.go, netem on the selected pods' egress towards the
/// targets' addresses): a request to a pod's address takes `latency` more; through the
/// ClusterIP it does not (the packet leaves with the ClusterIP as destination); `both`
/// adds netem on the targets' egress towards the selected pods' addresses, which their
/// answers carry whichever way the client dialled. Base latency: 0.5 ms + up to 1 ms,
/// + 0.5 ms across nodes.
#[test]
fn a_network_delay_slows_requests_to_the_targets_addresses() {
    let traffic = "  - {name: pods, source: {pod: app=client}, target: service/web-pods:8080, rate: 100/s, start: 30s}\n  - {name: vip, source: {pod: app=client}, target: service/web:80, rate: 100/s, start: 30s}";
    for (dir, delayed_ms, vip_ms) in [("to", 100.0, 0.0), ("both", 200.0, 100.0)] {
        let spec = format!("{{action: delay, mode: all, selector: {{labelSelectors: {{app: client}}}}, direction: {dir}, target: {{mode: all, selector: {{labelSelectors: {{app: web}}}}}}, delay: {{latency: 100ms}}, duration: 30s}}");
        let mut s = chaos_sim(&spec, traffic);
        s.run_until(SimTime(59_950));
        assert!(s.traffic.counters("pods").expect("client").percentile_ms(0.99).expect("p99") <= 3.0);
        s.run_until(SimTime(89_950));
        let pods = s.traffic.counters("pods").expect("client");
        // Over the whole run, half the successes are delayed: p99 in the delayed bucket.
        let p99 = pods.percentile_ms(0.99).expect("p99");
        assert!(p99 > delayed_ms && p99 <= delayed_ms + 3.0, "{dir}: p99 {p99}");
        assert_eq!(pods.errors(), 0);
        let vip = s.traffic.counters("vip").expect("client").percentile_ms(0.99).expect("p99");
        assert!(vip > vip_ms && vip <= vip_ms + 3.0, "{dir}: through the ClusterIP, only the answer: {vip}");
    }
}

/// A target selector that matches nothing: nothing injected, the records controller's
/// words in the log, not an error.
#[test]
fn a_network_chaos_whose_target_selects_nothing_is_a_note() {
    let spec = "{action: partition, mode: all, selector: {labelSelectors: {app: client}}, target: {mode: all, selector: {labelSelectors: {app: nothing}}}}";
    let mut s = chaos_sim(spec, "  - {name: c, source: {pod: app=client}, target: service/web:80, rate: 10/s, start: 30s}");
    s.run_until(SimTime(120_000));
    let notes: Vec<String> = s.trace.records().iter().filter(|r| r.verb == "chaos").filter_map(|r| r.get_str("message").map(String::from)).collect();
    assert_eq!(notes, ["networkchaos/default/net: Failed to select targets: no pod is selected"]);
    let (sent, ok, _) = counts(&s, "c");
    assert_eq!(sent, ok);
}

/// `br_netfilter` not loaded on a Flannel node (`brNetfilter: false`): a pod's request to
/// a Service is translated (DNAT) on its way out, but when kube-proxy sends it to a pod
/// behind the same bridge the reply crosses the bridge without iptables — untranslated,
/// from the pod's address — and the client drops it: timeout. Everything else works: the
/// endpoint on the other node (routed, so translated back), the same client calling the
/// pod's address (no translation), and the same Service from a node with the module.
/// With Calico (no bridge: a veth per pod, routed) the module is not needed at all.
#[test]
fn without_br_netfilter_a_bridge_cnis_service_replies_within_the_node_are_lost() {
    let run = |cni: &str| {
        let text = format!(
            "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: brnf}}\nspec:\n  seed: 5\n  until: 2m\n  cluster:\n    cni: none\n    nodePools:\n    - {{name: a, count: 1, brNetfilter: false, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n    - {{name: b, count: 1, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  traffic:\n  - {{name: from-a, source: {{pod: 'app=client-a'}}, target: service/web:80, rate: 100/s, start: 1m}}\n  - {{name: from-b, source: {{pod: 'app=client-b'}}, target: service/web:80, rate: 100/s, start: 1m}}\n---\napiVersion: apps/v1\nkind: DaemonSet\nmetadata: {{name: {cni}, namespace: kube-system}}\nspec:\n  selector: {{matchLabels: {{app: cni}}}}\n  template:\n    metadata: {{labels: {{app: cni}}}}\n    spec:\n      hostNetwork: true\n      tolerations: [{{operator: Exists}}]\n      containers: [{{name: cni, image: cni}}]\n{}{}{}{}",
            "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-a, labels: {app: web}}\nspec: {nodeName: a-1, containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}\n",
            "---\napiVersion: v1\nkind: Pod\nmetadata: {name: web-b, labels: {app: web}}\nspec: {nodeName: b-1, containers: [{name: web, image: nginx, ports: [{containerPort: 80}]}]}\n",
            "---\napiVersion: v1\nkind: Pod\nmetadata: {name: client-a, labels: {app: client-a}}\nspec: {nodeName: a-1, containers: [{name: c, image: curl}]}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: client-b, labels: {app: client-b}}\nspec: {nodeName: b-1, containers: [{name: c, image: curl}]}\n",
            "---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80}]\n"
        );
        let s = common::load_str(&text);
        let mut o = RunOptions { check: true, ..RunOptions::for_scenario(&s) };
        o.log_requests = true;
        let mut sim = Simulation::new(&s, &o).expect("simulation");
        sim.run();
        let ip = |name: &str| {
            sim.api.store.get_parts(&sim_core::api::Kind::Pod, "default", name).and_then(|o| o.as_pod()).map(|p| p.status.pod_ip.to_string()).expect("pod ip")
        };
        let (web_a, web_b) = (format!("{}:80", ip("web-a")), format!("{}:80", ip("web-b")));
        // (client, endpoint) → results seen.
        let mut seen: std::collections::BTreeMap<(String, String), std::collections::BTreeSet<String>> = Default::default();
        for r in sim.trace.records().iter().filter(|r| r.verb == "request") {
            let to = r.get_str("to").unwrap_or_default().to_string();
            let to = if to == web_a {
                "web-a"
            } else if to == web_b {
                "web-b"
            } else {
                "?"
            };
            seen.entry((r.name.clone(), to.to_string())).or_default().insert(r.get_str("result").unwrap_or_default().to_string());
        }
        assert!(sim.violations().is_empty(), "{:?}", sim.violations());
        seen
    };
    let set = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<std::collections::BTreeSet<String>>();
    let key = |c: &str, e: &str| (c.to_string(), e.to_string());
    let flannel = run("kube-flannel-ds");
    assert_eq!(flannel[&key("from-a", "web-a")], set(&["timeout"]), "{flannel:?}");
    assert_eq!(flannel[&key("from-a", "web-b")], set(&["ok"]), "{flannel:?}");
    assert_eq!(flannel[&key("from-b", "web-a")], set(&["ok"]), "{flannel:?}");
    assert_eq!(flannel[&key("from-b", "web-b")], set(&["ok"]), "{flannel:?}");
    let calico = run("calico-node");
    assert!(calico.values().all(|r| *r == set(&["ok"])) && calico.len() == 4, "{calico:?}");
}
