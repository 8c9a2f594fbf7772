//! Services through the apiserver end to end: the `kubernetes` Service the control plane
//! creates, ClusterIPs and NodePorts from the registry's allocators, their release on
//! delete, and a refused create reported in the apiserver's words. Expected values come
//! from upstream: pkg/controlplane/controller/kubernetesservice (the first address of
//! the range, port 443 → 6443), ipallocator.go / portallocator (KEP-3070's upper band
//! for dynamic picks: 256 addresses and 86 ports kept for static requests),
//! storage/alloc.go (the error words).

mod common;

use sim_core::api::service::Service;
use sim_core::api::Kind;
use sim_core::engine::SimTime;
use sim_core::network::ipam::parse_ip;
use sim_core::{RunOptions, Simulation};

fn sim(cluster_extra: &str, timeline: &str, manifests: &str) -> Simulation {
    let text = format!(
        "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: services}}\nspec:\n  until: 5m\n  cluster:\n{cluster_extra}    nodePools:\n    - {{name: w, count: 1, capacity: {{cpu: '4', memory: 8Gi, pods: 110}}}}\n  timeline:\n{timeline}\n{manifests}"
    );
    let s = common::load_str(&text);
    Simulation::new(&s, &RunOptions::for_scenario(&s)).expect("simulation")
}

fn service(sim: &Simulation, name: &str) -> Option<Service> {
    sim.api.store.get_parts(&Kind::Service, "default", name).and_then(|o| o.as_service()).cloned()
}

fn svc_doc(name: &str, spec: &str) -> String {
    format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}}}\nspec:\n  selector: {{app: {name}}}\n{spec}")
}

#[test]
fn the_kubernetes_service_holds_the_first_address_of_the_service_cidr() {
    let mut s = sim("    serviceCIDR: 10.100.0.0/16\n", "  - {at: 1s, cordon: w-1}", "");
    s.run_until(SimTime(1));
    let k = service(&s, "kubernetes").expect("the kubernetes Service");
    assert_eq!(k.spec.cluster_ip, "10.100.0.1");
    assert_eq!(k.spec.cluster_ips, ["10.100.0.1"]);
    assert_eq!((k.spec.ports[0].name.as_deref(), k.spec.ports[0].port), (Some("https"), 443));
    assert_eq!(k.spec.ports[0].target_port, Some(sim_core::api::meta::IntOrString::Int(6443)));
    assert_eq!(k.metadata.labels.get("provider").map(String::as_str), Some("kubernetes"));
    assert_eq!(k.spec.ip_families.as_deref(), Some(&["IPv4".to_string()][..]));
}

#[test]
fn services_get_addresses_and_node_ports_from_the_upper_bands_and_release_them() {
    let manifests = [
        svc_doc("web", "  type: NodePort\n  ports: [{port: 80}]\n"),
        svc_doc("pinned", "  clusterIP: 10.96.0.20\n  ports: [{port: 80}]\n"),
        svc_doc("headless", "  clusterIP: None\n  ports: [{port: 80}]\n"),
    ]
    .concat();
    let timeline = "  - {at: 1m, delete: service/pinned}\n  - at: 2m\n    apply: {apiVersion: v1, kind: Service, metadata: {name: again}, spec: {clusterIP: 10.96.0.20, selector: {app: again}, ports: [{port: 80}]}}";
    let mut s = sim("", timeline, &manifests);
    s.run_until(SimTime(30_000));
    let web = service(&s, "web").unwrap();
    let ip = parse_ip(&web.spec.cluster_ip).expect("an IPv4 ClusterIP");
    // Dynamic: 10.96.0.1 + 256 (calculateRangeOffset of a /12) … 10.111.255.254.
    assert!((parse_ip("10.96.1.1").unwrap()..=parse_ip("10.111.255.254").unwrap()).contains(&ip), "{}", web.spec.cluster_ip);
    let np = web.spec.ports[0].node_port.expect("a NodePort");
    assert!((30000 + 86..=32767).contains(&np), "{np}");
    // Defaults (SetDefaults_Service).
    assert_eq!(web.spec.ports[0].protocol.as_deref(), Some("TCP"));
    assert_eq!(web.spec.ports[0].target_port, Some(sim_core::api::meta::IntOrString::Int(80)));
    assert_eq!(web.spec.external_traffic_policy.as_deref(), Some("Cluster"));
    assert_eq!(web.spec.internal_traffic_policy.as_deref(), Some("Cluster"));
    assert_eq!(web.spec.session_affinity.as_deref(), Some("None"));
    assert_eq!(service(&s, "pinned").unwrap().spec.cluster_ip, "10.96.0.20");
    assert_eq!(service(&s, "headless").unwrap().spec.cluster_ips, ["None"]);
    assert!(s.api.services.holds_ip("10.96.0.20") && s.api.services.holds_port(np));
    // The delete releases 10.96.0.20; the apply at 2m gets it.
    s.run_until(SimTime(150_000));
    assert!(service(&s, "pinned").is_none());
    assert_eq!(service(&s, "again").expect("created after the release").spec.cluster_ip, "10.96.0.20");
}

/// The same seed gives the same addresses; another seed (most likely) others.
#[test]
fn addresses_come_from_the_seed() {
    let ip = |seed: u64| {
        let text = format!(
            "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: s}}\nspec:\n  seed: {seed}\n  until: 1m\n{}",
            svc_doc("web", "  ports: [{port: 80}]\n")
        );
        let s = common::load_str(&text);
        let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
        sim.run_until(SimTime(10_000));
        service(&sim, "web").unwrap().spec.cluster_ip
    };
    assert_eq!(ip(1), ip(1));
    assert!((2..6).any(|seed| ip(seed) != ip(1)));
}

/// A clash the loader cannot foresee (where a random pick landed) is refused during the
/// run, in the registry's words.
#[test]
fn a_clash_with_a_random_pick_is_refused_in_the_registrys_words() {
    let web = svc_doc("web", "  ports: [{port: 80}]\n");
    let mut s = sim("", "  - {at: 1s, cordon: w-1}", &web);
    s.run_until(SimTime(10_000));
    let taken = service(&s, "web").unwrap().spec.cluster_ip;
    let mut clash = Service::default();
    clash.metadata.name = "clash".into();
    clash.spec.cluster_ip = taken.clone();
    clash.spec.ports = vec![sim_core::api::service::ServicePort { port: 80, ..Default::default() }];
    let out = s.api.handle(sim_core::apiserver::Request::Create(sim_core::api::Object::Service(Box::new(clash))), s.now);
    let sim_core::apiserver::Response::Error(st) = out.response else { panic!("created a second Service on {taken}") };
    assert_eq!(st.code, 422);
    assert_eq!(
        st.message,
        format!("Service \"clash\" is invalid: spec.clusterIPs: Invalid value: []string{{\"{taken}\"}}: failed to allocate IP {taken}: provided IP is already allocated")
    );
}

fn slices(sim: &Simulation, svc: &str) -> Vec<sim_core::api::endpoints::EndpointSlice> {
    sim.api
        .store
        .list(&Kind::EndpointSlice)
        .filter_map(|o| o.as_endpoint_slice())
        .filter(|s| s.metadata.labels.get("kubernetes.io/service-name").map(String::as_str) == Some(svc))
        .cloned()
        .collect()
}

/// (pod name, ready) of every endpoint of the Service's slices, sorted.
fn endpoints_of(sim: &Simulation, svc: &str) -> Vec<(String, bool)> {
    let mut v: Vec<(String, bool)> = slices(sim, svc)
        .iter()
        .flat_map(|s| s.endpoints.iter())
        .map(|e| (e.target_ref.as_ref().unwrap().name.clone(), e.conditions.ready == Some(true)))
        .collect();
    v.sort();
    v
}

fn pods_on(sim: &Simulation, node: &str) -> Vec<String> {
    sim.api.store.list(&Kind::Pod).filter_map(|o| o.as_pod()).filter(|p| p.spec.node_name == node).map(|p| p.metadata.name.to_string()).collect()
}

const WEB: &str = "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers:\n      - {name: web, image: 'nginx:1.25', ports: [{name: http, containerPort: 8080}]}\n---\napiVersion: v1\nkind: Service\nmetadata: {name: web}\nspec:\n  selector: {app: web}\n  ports: [{port: 80, targetPort: http}]\n";

/// The lesson of Services: the ClusterIP stays while the endpoints behind it follow the
/// pods. Expected moments from upstream's constants: a node that stops renewing its Lease
/// (every 10 s: a quarter of nodeLeaseDurationSeconds 40) is marked NotReady
/// node-monitor-grace-period (50 s) after its last renewal, seen within one monitor
/// period (5 s) — between crash − 10 + 50 s and crash + 50 + 5 s — and its pods' Ready
/// condition goes False then (MarkPodsNotReady), so their
/// endpoints turn not ready (podToEndpoint); after the default 300 s toleration the taint
/// eviction deletes them: on a dead node the pod stays Terminating (no kubelet confirms),
/// and the slice keeps it as `terminating` (the controller includes terminating pods),
/// while the replacement's endpoint comes in.
#[test]
fn endpoints_follow_the_pods_while_the_cluster_ip_stays() {
    let pools = "    nodePools:\n    - {name: w, count: 3, capacity: {cpu: '4', memory: 8Gi, pods: 110}}\n";
    let text = format!("apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: s}}\nspec:\n  until: 10m\n  cluster:\n{pools}  timeline:\n  - {{at: 60s, nodeCrash: w-1}}\n{WEB}");
    let s = common::load_str(&text);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
    sim.run_until(SimTime(30_000));
    let ip = service(&sim, "web").unwrap().spec.cluster_ip;
    let all = endpoints_of(&sim, "web");
    assert_eq!(all.len(), 3);
    assert!(all.iter().all(|(_, ready)| *ready), "{all:?}");
    let slice = &slices(&sim, "web")[0];
    assert_eq!(slice.ports.as_ref().unwrap()[0].port, Some(8080), "the named targetPort resolved");
    let victim = pods_on(&sim, "w-1");
    assert_eq!(victim.len(), 1);
    // Still ready before the grace period can have run out (60 − 10 + 50 s).
    sim.run_until(SimTime(99_000));
    assert!(endpoints_of(&sim, "web").iter().all(|(_, r)| *r));
    // Not ready once the node is NotReady (≤ 60 + 50 + 5 s, plus the hops).
    // (115 s + 1 s of slack for the controllers' hops.)
    sim.run_until(SimTime(116_000));
    let now = endpoints_of(&sim, "web");
    assert!(now.contains(&(victim[0].clone(), false)), "{now:?}");
    assert_eq!(now.iter().filter(|(_, r)| *r).count(), 2);
    // After the eviction (NotReady + 300 s) and the replacement's start: three ready
    // endpoints again, the evicted pod's gone; the ClusterIP never changed.
    sim.run_until(SimTime(440_000));
    let after = endpoints_of(&sim, "web");
    assert_eq!(after.iter().filter(|(_, r)| *r).count(), 3, "{after:?}");
    let gone = slices(&sim, "web").into_iter().flat_map(|s| s.endpoints).find(|e| e.target_ref.as_ref().unwrap().name == victim[0]).unwrap();
    assert_eq!((gone.conditions.ready, gone.conditions.terminating), (Some(false), Some(true)));
    assert_eq!(service(&sim, "web").unwrap().spec.cluster_ip, ip);
    // The legacy Endpoints object agrees: three ready addresses on port 8080.
    let ep = sim.api.store.get_parts(&Kind::Endpoints, "default", "web").and_then(|o| o.as_endpoints()).cloned().unwrap();
    assert_eq!(ep.subsets.len(), 1);
    assert_eq!((ep.subsets[0].addresses.len(), ep.subsets[0].ports[0].port), (3, 8080));
}

/// Deleting the Service deletes its slices (the garbage collector, through their owner
/// reference) and its Endpoints (the Endpoints controller).
#[test]
fn a_deleted_service_takes_its_endpoints_along() {
    let text =
        format!("apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {{name: s}}\nspec:\n  until: 2m\n  timeline:\n  - {{at: 30s, delete: service/web}}\n{WEB}");
    let s = common::load_str(&text);
    let mut sim = Simulation::new(&s, &RunOptions::for_scenario(&s)).unwrap();
    sim.run_until(SimTime(20_000));
    assert_eq!(slices(&sim, "web").len(), 1);
    assert!(sim.api.store.get_parts(&Kind::Endpoints, "default", "web").is_some());
    sim.run_until(SimTime(40_000));
    assert!(slices(&sim, "web").is_empty());
    assert!(sim.api.store.get_parts(&Kind::Endpoints, "default", "web").is_none());
}

/// MetalLB's controller (controller/service.go convergeBalancer): addresses in pool
/// order after the configured delay, `IPAllocated` / `AllocationFailed` events in its
/// words, a requested address honoured, and an address freed by a deleted Service going
/// to one still waiting. Without a pool a LoadBalancer Service keeps no address.
#[test]
fn a_load_balancer_pool_hands_out_addresses_and_takes_them_back() {
    let lb = |name: &str, extra: &str| {
        format!("---\napiVersion: v1\nkind: Service\nmetadata: {{name: {name}{extra}}}\nspec:\n  type: LoadBalancer\n  selector: {{app: {name}}}\n  ports: [{{port: 80}}]\n")
    };
    let manifests = [lb("a", ""), lb("b", ", annotations: {metallb.universe.tf/loadBalancerIPs: 192.168.1.241}"), lb("c", "")].concat();
    let cluster = "    loadBalancer: {addresses: [192.168.1.240-192.168.1.241], delay: 2s}\n";
    let mut s = sim(cluster, "  - {at: 1m, delete: service/a}", &manifests);
    let ip = |s: &Simulation, n: &str| service(s, n).map(|v| v.load_balancer_ingress()).unwrap_or_default();
    s.run_until(SimTime(1_000));
    assert!(ip(&s, "a").is_empty() && ip(&s, "b").is_empty(), "not before the delay");
    s.run_until(SimTime(30_000));
    assert_eq!(ip(&s, "a"), ["192.168.1.240"], "the first free one in pool order");
    assert_eq!(ip(&s, "b"), ["192.168.1.241"], "the requested address");
    assert!(ip(&s, "c").is_empty(), "none left");
    let events: Vec<(String, String)> = s
        .api
        .store
        .list(&Kind::Event)
        .filter_map(|o| o.as_event())
        .map(|e| (e.involved_object.name.to_string(), format!("{} {}", e.reason, e.message)))
        .collect();
    assert!(events.contains(&("b".into(), "IPAllocated Assigned IP [\"192.168.1.241\"]".into())), "{events:?}");
    assert!(events.contains(&("c".into(), "AllocationFailed Failed to allocate IP for \"default/c\": no available IPs".into())), "{events:?}");
    s.run_until(SimTime(90_000));
    assert_eq!(ip(&s, "c"), ["192.168.1.240"], "the address a's deletion freed");
    // No pool: pending.
    let mut none = sim("", "  - {at: 1s, cordon: w-1}", &lb("a", ""));
    none.run_until(SimTime(30_000));
    assert!(ip(&none, "a").is_empty());
}

/// alloc.go allocHealthCheckNodePort / updateHealthCheckNodePort and
/// validateServiceExternalTrafficPolicy: a LoadBalancer with externalTrafficPolicy Local
/// gets a health-check NodePort from the NodePort range (another than its ports'), kept
/// while it needs one and released when it turns Cluster (one asked for on another kind
/// of Service is refused at load: sim-cli's bad-input table).
#[test]
fn a_local_load_balancer_gets_a_health_check_node_port() {
    let manifests = svc_doc("lb", "  type: LoadBalancer\n  externalTrafficPolicy: Local\n  ports: [{port: 80}]\n");
    let timeline = "  - at: 1m\n    apply: {apiVersion: v1, kind: Service, metadata: {name: lb}, spec: {type: LoadBalancer, externalTrafficPolicy: Cluster, selector: {app: lb}, ports: [{port: 80}]}}";
    let mut s = sim("", timeline, &manifests);
    s.run_until(SimTime(30_000));
    let lb = service(&s, "lb").unwrap();
    let hc = lb.spec.health_check_node_port.expect("a health check port");
    assert!((30000..=32767).contains(&hc), "{hc}");
    assert_ne!(Some(hc), lb.spec.ports[0].node_port);
    s.run_until(SimTime(90_000));
    let lb = service(&s, "lb").unwrap();
    assert_eq!(lb.spec.health_check_node_port, None, "released when the policy turns Cluster");
}

fn ingress_class_of(sim: &Simulation, name: &str) -> Option<String> {
    sim.api.store.get_parts(&Kind::Ingress, "default", name).and_then(|o| o.as_ingress()).and_then(|i| i.spec.ingress_class_name.clone())
}

/// plugin/pkg/admission/network/defaultingressclass: on create, an Ingress without a
/// class gets the default IngressClass — of two, the newer (getDefaultClass sorts by
/// creationTimestamp, newest first) —; one with the legacy annotation, or created before
/// any default class existed, is left alone.
#[test]
fn the_default_ingress_class_is_set_on_create() {
    let class = |name: &str| {
        format!("apiVersion: networking.k8s.io/v1\n      kind: IngressClass\n      metadata: {{name: {name}, annotations: {{ingressclass.kubernetes.io/is-default-class: \"true\"}}}}\n      spec: {{controller: example.com/{name}}}")
    };
    let ingress = |name: &str, annotations: &str| {
        format!("apiVersion: networking.k8s.io/v1\n      kind: Ingress\n      metadata: {{name: {name}{annotations}}}\n      spec: {{defaultBackend: {{service: {{name: web, port: {{number: 80}}}}}}}}")
    };
    let timeline = format!(
        "  - at: 1s\n    apply:\n      {}\n  - at: 2s\n    apply:\n      {}\n  - at: 3s\n    apply:\n      {}\n  - at: 4s\n    apply:\n      {}\n  - at: 5s\n    apply:\n      {}",
        ingress("early", ""),
        class("old"),
        class("new"),
        ingress("plain", ""),
        ingress("legacy", ", annotations: {kubernetes.io/ingress.class: nginx}"),
    );
    let mut s = sim("", &timeline, "");
    s.run_until(SimTime(10_000));
    assert_eq!(ingress_class_of(&s, "early"), None);
    assert_eq!(ingress_class_of(&s, "plain").as_deref(), Some("new"));
    assert_eq!(ingress_class_of(&s, "legacy"), None);
}
