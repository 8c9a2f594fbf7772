//! pkg/proxy/topology_test.go TestCategorizeEndpoints, case by case: each endpoint as
//! `IP:port`, its zone hints, readiness, serving, terminating and locality; the expected
//! cluster / local / all-reachable sets (None: the Service does not use that kind) and
//! hasAnyEndpoints (`len(all) > 0 || onlyRemoteEndpoints`).

use super::*;

struct E(&'static str, &'static [&'static str], bool, bool, bool, bool);

fn ep(e: &E) -> EndpointInfo {
    let (ip, port) = e.0.split_once(':').expect("IP:port");
    EndpointInfo {
        ip: ip.into(),
        port: port.parse().expect("port"),
        local: e.5,
        ready: e.2,
        serving: e.3,
        terminating: e.4,
        zone_hints: (!e.1.is_empty()).then(|| e.1.iter().map(|z| z.to_string()).collect()),
        node: String::new(),
    }
}

/// BaseServicePortInfo{internalPolicyLocal, externalPolicyLocal, nodePort}.
fn svc(internal_local: bool, external_local: bool, node_port: i32) -> ServicePortInfo {
    ServicePortInfo {
        cluster_ip: "172.30.0.1".into(),
        port: 80,
        protocol: "TCP".into(),
        node_port,
        external_ips: Vec::new(),
        load_balancer_ips: Vec::new(),
        session_affinity_seconds: None,
        internal_policy_local: internal_local,
        external_policy_local: external_local,
        health_check_node_port: 0,
        load_balancer_source_ranges: Vec::new(),
    }
}

fn set(v: &[EndpointInfo]) -> Vec<String> {
    let mut s: Vec<String> = v.iter().map(EndpointInfo::addr).collect();
    s.sort();
    s
}

fn strs(v: &[&str]) -> Vec<String> {
    let mut s: Vec<String> = v.iter().map(|x| x.to_string()).collect();
    s.sort();
    s
}

type Case = (
    &'static str,
    &'static str,
    ServicePortInfo,
    Vec<E>,
    Option<&'static [&'static str]>,
    Option<&'static [&'static str]>,
    Option<&'static [&'static str]>,
    bool,
);

const R: bool = true;
const N: bool = false;

#[test]
fn categorize_endpoints_as_upstreams_table() {
    let cases: Vec<Case> = vec![
        (
            "should use topology since all endpoints have hints, node has a zone label and and there are endpoints for the node's zone",
            "zone-a",
            svc(N, N, 0),
            vec![
                E("10.1.2.3:80", &["zone-a"], R, N, N, N),
                E("10.1.2.4:80", &["zone-b"], R, N, N, N),
                E("10.1.2.5:80", &["zone-c"], R, N, N, N),
                E("10.1.2.6:80", &["zone-a"], R, N, N, N),
            ],
            Some(&["10.1.2.3:80", "10.1.2.6:80"]),
            None,
            None,
            false,
        ),
        (
            "externalTrafficPolicy: Local, topology ignored for Local endpoints",
            "zone-a",
            svc(N, R, 8080),
            vec![
                E("10.1.2.3:80", &["zone-a"], R, N, N, R),
                E("10.1.2.4:80", &["zone-b"], R, N, N, R),
                E("10.1.2.5:80", &["zone-c"], R, N, N, N),
                E("10.1.2.6:80", &["zone-a"], R, N, N, N),
            ],
            Some(&["10.1.2.3:80", "10.1.2.6:80"]),
            Some(&["10.1.2.3:80", "10.1.2.4:80"]),
            Some(&["10.1.2.3:80", "10.1.2.4:80", "10.1.2.6:80"]),
            false,
        ),
        (
            "internalTrafficPolicy: Local, topology ignored for Local endpoints",
            "zone-a",
            svc(R, N, 8080),
            vec![
                E("10.1.2.3:80", &["zone-a"], R, N, N, R),
                E("10.1.2.4:80", &["zone-b"], R, N, N, R),
                E("10.1.2.5:80", &["zone-c"], R, N, N, N),
                E("10.1.2.6:80", &["zone-a"], R, N, N, N),
            ],
            Some(&["10.1.2.3:80", "10.1.2.6:80"]),
            Some(&["10.1.2.3:80", "10.1.2.4:80"]),
            Some(&["10.1.2.3:80", "10.1.2.4:80", "10.1.2.6:80"]),
            false,
        ),
        ("empty node labels", "", svc(N, N, 0), vec![E("10.1.2.3:80", &["zone-a"], R, N, N, N)], Some(&["10.1.2.3:80"]), None, None, false),
        (
            "node in different zone, no endpoint filtering",
            "zone-b",
            svc(N, N, 0),
            vec![E("10.1.2.3:80", &["zone-a"], R, N, N, N)],
            Some(&["10.1.2.3:80"]),
            None,
            None,
            false,
        ),
        (
            "unready endpoint",
            "zone-a",
            svc(N, N, 0),
            vec![
                E("10.1.2.3:80", &["zone-a"], R, N, N, N),
                E("10.1.2.4:80", &["zone-b"], R, N, N, N),
                E("10.1.2.5:80", &["zone-c"], R, N, N, N),
                E("10.1.2.6:80", &["zone-a"], N, N, N, N),
            ],
            Some(&["10.1.2.3:80"]),
            None,
            None,
            false,
        ),
        (
            "only unready endpoints in same zone (should not filter)",
            "zone-a",
            svc(N, N, 0),
            vec![
                E("10.1.2.3:80", &["zone-a"], N, N, N, N),
                E("10.1.2.4:80", &["zone-b"], R, N, N, N),
                E("10.1.2.5:80", &["zone-c"], R, N, N, N),
                E("10.1.2.6:80", &["zone-a"], N, N, N, N),
            ],
            Some(&["10.1.2.4:80", "10.1.2.5:80"]),
            None,
            None,
            false,
        ),
        (
            "missing hints, no filtering applied",
            "zone-a",
            svc(N, N, 0),
            vec![
                E("10.1.2.3:80", &["zone-a"], R, N, N, N),
                E("10.1.2.4:80", &["zone-b"], R, N, N, N),
                E("10.1.2.5:80", &[], R, N, N, N),
                E("10.1.2.6:80", &["zone-a"], R, N, N, N),
            ],
            Some(&["10.1.2.3:80", "10.1.2.4:80", "10.1.2.5:80", "10.1.2.6:80"]),
            None,
            None,
            false,
        ),
        (
            "multiple hints per endpoint, filtering includes any endpoint with zone included",
            "zone-c",
            svc(N, N, 0),
            vec![
                E("10.1.2.3:80", &["zone-a", "zone-b", "zone-c"], R, N, N, N),
                E("10.1.2.4:80", &["zone-b", "zone-c"], R, N, N, N),
                E("10.1.2.5:80", &["zone-b", "zone-d"], R, N, N, N),
                E("10.1.2.6:80", &["zone-c"], R, N, N, N),
            ],
            Some(&["10.1.2.3:80", "10.1.2.4:80", "10.1.2.6:80"]),
            None,
            None,
            false,
        ),
        (
            "conflicting topology and localness require merging allEndpoints",
            "zone-a",
            svc(N, R, 8080),
            vec![
                E("10.0.0.0:80", &["zone-a"], R, N, N, R),
                E("10.0.0.1:80", &["zone-b"], R, N, N, R),
                E("10.0.0.2:80", &["zone-a"], R, N, N, N),
                E("10.0.0.3:80", &["zone-b"], R, N, N, N),
            ],
            Some(&["10.0.0.0:80", "10.0.0.2:80"]),
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            Some(&["10.0.0.0:80", "10.0.0.1:80", "10.0.0.2:80"]),
            false,
        ),
        ("internalTrafficPolicy: Local, with empty endpoints", "", svc(R, N, 0), vec![], None, Some(&[]), None, false),
        (
            "internalTrafficPolicy: Local, but all endpoints are remote",
            "",
            svc(R, N, 0),
            vec![E("10.0.0.0:80", &[], R, N, N, N), E("10.0.0.1:80", &[], R, N, N, N)],
            None,
            Some(&[]),
            None,
            true,
        ),
        (
            "internalTrafficPolicy: Local, all endpoints are local",
            "",
            svc(R, N, 0),
            vec![E("10.0.0.0:80", &[], R, N, N, R), E("10.0.0.1:80", &[], R, N, N, R)],
            None,
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            None,
            false,
        ),
        (
            "internalTrafficPolicy: Local, some endpoints are local",
            "",
            svc(R, N, 0),
            vec![E("10.0.0.0:80", &[], R, N, N, R), E("10.0.0.1:80", &[], R, N, N, N)],
            None,
            Some(&["10.0.0.0:80"]),
            None,
            false,
        ),
        (
            "Cluster traffic policy, endpoints not Ready",
            "",
            svc(N, N, 0),
            vec![E("10.0.0.0:80", &[], N, N, N, N), E("10.0.0.1:80", &[], N, N, N, N)],
            Some(&[]),
            None,
            None,
            false,
        ),
        (
            "Cluster traffic policy, some endpoints are Ready",
            "",
            svc(N, N, 0),
            vec![E("10.0.0.0:80", &[], N, N, N, N), E("10.0.0.1:80", &[], R, N, N, N)],
            Some(&["10.0.0.1:80"]),
            None,
            None,
            false,
        ),
        (
            "Cluster traffic policy, all endpoints are terminating",
            "",
            svc(N, N, 0),
            vec![E("10.0.0.0:80", &[], N, R, R, R), E("10.0.0.1:80", &[], N, R, R, N)],
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            None,
            None,
            false,
        ),
        (
            "iTP: Local, eTP: Cluster, some endpoints local",
            "",
            svc(R, N, 8080),
            vec![E("10.0.0.0:80", &[], R, N, N, R), E("10.0.0.1:80", &[], R, N, N, N)],
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            Some(&["10.0.0.0:80"]),
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            false,
        ),
        (
            "iTP: Cluster, eTP: Local, some endpoints local",
            "",
            svc(N, R, 8080),
            vec![E("10.0.0.0:80", &[], R, N, N, R), E("10.0.0.1:80", &[], R, N, N, N)],
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            Some(&["10.0.0.0:80"]),
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            false,
        ),
        (
            "iTP: Local, eTP: Local, some endpoints local",
            "",
            svc(R, R, 8080),
            vec![E("10.0.0.0:80", &[], R, N, N, R), E("10.0.0.1:80", &[], R, N, N, N)],
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            Some(&["10.0.0.0:80"]),
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            false,
        ),
        (
            "iTP: Local, eTP: Local, all endpoints remote",
            "",
            svc(R, R, 8080),
            vec![E("10.0.0.0:80", &[], R, N, N, N), E("10.0.0.1:80", &[], R, N, N, N)],
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            Some(&[]),
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            false,
        ),
        (
            "iTP: Local, eTP: Local, all endpoints remote and terminating",
            "",
            svc(R, R, 8080),
            vec![E("10.0.0.0:80", &[], N, R, R, N), E("10.0.0.1:80", &[], N, R, R, N)],
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            Some(&[]),
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            true,
        ),
        (
            "iTP: Cluster, eTP: Local, with terminating endpoints",
            "",
            svc(N, R, 8080),
            vec![E("10.0.0.0:80", &[], R, N, N, N), E("10.0.0.1:80", &[], N, N, N, R), E("10.0.0.2:80", &[], N, R, R, R), E("10.0.0.3:80", &[], N, R, R, N)],
            Some(&["10.0.0.0:80"]),
            Some(&["10.0.0.2:80"]),
            Some(&["10.0.0.0:80", "10.0.0.2:80"]),
            false,
        ),
        (
            "externalTrafficPolicy ignored if not externally accessible",
            "",
            svc(N, R, 0),
            vec![E("10.0.0.0:80", &[], R, N, N, N), E("10.0.0.1:80", &[], R, N, N, R)],
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            None,
            Some(&["10.0.0.0:80", "10.0.0.1:80"]),
            false,
        ),
        (
            "no cluster endpoints for iTP:Local internal-only service",
            "",
            svc(R, N, 0),
            vec![E("10.0.0.0:80", &[], R, N, N, N), E("10.0.0.1:80", &[], R, N, N, R)],
            None,
            Some(&["10.0.0.1:80"]),
            Some(&["10.0.0.1:80"]),
            false,
        ),
    ];
    for (name, zone, info, eps, cluster, local, all, only_remote) in cases {
        let eps: Vec<EndpointInfo> = eps.iter().map(ep).collect();
        let got = categorize(&eps, &info, zone);
        match cluster {
            None => assert!(got.cluster.is_none(), "{name}: expected no cluster endpoints, got {:?}", got.cluster),
            Some(c) => assert_eq!(set(got.cluster.as_deref().unwrap_or_default()), strs(c), "{name}: cluster endpoints"),
        }
        match local {
            None => assert!(got.local.is_none(), "{name}: expected no local endpoints, got {:?}", got.local),
            Some(l) => assert_eq!(set(got.local.as_deref().unwrap_or_default()), strs(l), "{name}: local endpoints"),
        }
        let expected_all: Vec<String> = match (cluster, local) {
            (Some(c), None) => strs(c),
            (None, Some(l)) => strs(l),
            _ => strs(all.unwrap_or_default()),
        };
        assert_eq!(set(&got.all_reachable), expected_all, "{name}: allEndpoints");
        assert_eq!(got.has_any, !expected_all.is_empty() || only_remote, "{name}: hasAnyEndpoints");
    }
}
