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
