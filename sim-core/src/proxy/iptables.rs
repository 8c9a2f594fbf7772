//! The iptables rules a node's kube-proxy programs, as `iptables-save` shows them:
//! pkg/proxy/iptables/proxier.go `syncProxyRules` (chain names from portProtoHash and
//! servicePortEndpointChainName; the global KUBE-POSTROUTING, KUBE-MARK-MASQ,
//! KUBE-FORWARD and KUBE-FIREWALL rules; per Service port the cluster-IP capture or its
//! REJECT/DROP, external IPs, load-balancer IPs and the KUBE-FW firewall chain,
//! NodePorts, the health-check NodePort, the KUBE-EXT short-circuit chain, KUBE-SVC /
//! KUBE-SVL with `statistic --mode random` probabilities and ClientIP affinity, and a
//! KUBE-SEP DNAT chain per endpoint), with kube-proxy's defaults: masquerade bit 14
//! (`0x4000`), detect-local by the cluster CIDR, localhost NodePorts and nfacct counters
//! on. Rendered in the order upstream's tests compare them (sortIPTablesRules: tables
//! by name; KUBE-NODEPORTS, KUBE-SERVICES, then chains by name; rules of a chain in
//! the order written, Services in name order), without the jump rules from the
//! built-in chains (INPUT, OUTPUT, PREROUTING, POSTROUTING, FORWARD) that kube-proxy
//! installs once, outside this restore.

use super::endpoints::{EndpointInfo, ServicePortInfo, ServicePortName};
use super::ProxyView;
use crate::network::ipam::{parse_ip, Cidr};
use sha2::{Digest, Sha256};

const MASQ_MARK: &str = "0x4000";

/// RFC 4648 base32 of a SHA-256 digest, its first 16 characters: Go's
/// base32.StdEncoding.EncodeToString(hash)[:16]. Written out here (ten lines) rather than
/// a crate, since only this prefix of one digest is ever encoded.
fn hash16(input: &str) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let digest = Sha256::digest(input.as_bytes());
    // 16 characters × 5 bits = 80 bits = the first 10 bytes.
    let mut bits: u128 = 0;
    for b in &digest[..10] {
        bits = (bits << 8) | u128::from(*b);
    }
    (0..16).map(|i| ALPHABET[((bits >> (75 - 5 * i)) & 31) as usize] as char).collect()
}

/// portProtoHash.
fn port_proto_hash(spn: &str, protocol: &str) -> String {
    hash16(&format!("{spn}{protocol}"))
}

/// servicePortEndpointChainName.
fn endpoint_chain(spn: &str, protocol: &str, ep: &EndpointInfo) -> String {
    format!("KUBE-SEP-{}", hash16(&format!("{spn}{protocol}{}", ep.addr())))
}

/// computeProbability.
fn probability(n: usize) -> String {
    format!("{:.10}", 1.0 / n as f64)
}

/// The restore buffers: per table, chains in the order first written and rules.
#[derive(Default)]
struct Tables {
    filter_chains: Vec<String>,
    filter_rules: Vec<(String, String)>,
    nat_chains: Vec<String>,
    nat_rules: Vec<(String, String)>,
}

impl Tables {
    fn filter(&mut self, chain: &str, rule: String) {
        self.filter_rules.push((chain.to_string(), rule));
    }
    fn nat(&mut self, chain: &str, rule: String) {
        self.nat_rules.push((chain.to_string(), rule));
    }
    fn nat_chain(&mut self, chain: &str) {
        if !self.nat_chains.iter().any(|c| c == chain) {
            self.nat_chains.push(chain.to_string());
        }
    }
}

/// The chain order of sortIPTablesRules: KUBE-NODEPORTS, KUBE-SERVICES, then by name.
fn chain_key(c: &str) -> (u8, &str) {
    match c {
        "KUBE-NODEPORTS" => (0, c),
        "KUBE-SERVICES" => (1, c),
        _ => (2, c),
    }
}

fn render_table(out: &mut String, name: &str, chains: &[String], rules: &[(String, String)]) {
    let mut chains: Vec<&String> = chains.iter().collect();
    chains.sort_by(|a, b| chain_key(a).cmp(&chain_key(b)));
    out.push_str(&format!("*{name}\n"));
    for c in &chains {
        out.push_str(&format!(":{c} - [0:0]\n"));
    }
    for c in &chains {
        for (_, r) in rules.iter().filter(|(rc, _)| rc == *c) {
            out.push_str(&format!("-A {c} {r}\n"));
        }
    }
    out.push_str("COMMIT\n");
}

/// The rules of a view, for a node at `node_ip` in a cluster whose pods are in
/// `cluster_cidr`.
pub fn render(view: &ProxyView, node_ip: &str, cluster_cidr: &str) -> String {
    let mut t = Tables::default();
    for c in ["KUBE-SERVICES", "KUBE-EXTERNAL-SERVICES", "KUBE-FORWARD", "KUBE-NODEPORTS", "KUBE-PROXY-FIREWALL", "KUBE-FIREWALL"] {
        t.filter_chains.push(c.into());
    }
    for c in ["KUBE-SERVICES", "KUBE-NODEPORTS", "KUBE-POSTROUTING", "KUBE-MARK-MASQ"] {
        t.nat_chain(c);
    }
    t.nat("KUBE-POSTROUTING", format!("-m mark ! --mark {MASQ_MARK}/{MASQ_MARK} -j RETURN"));
    t.nat("KUBE-POSTROUTING", format!("-j MARK --xor-mark {MASQ_MARK}"));
    t.nat("KUBE-POSTROUTING", "-m comment --comment \"kubernetes service traffic requiring SNAT\" -j MASQUERADE".into());
    t.nat("KUBE-MARK-MASQ", format!("-j MARK --or-mark {MASQ_MARK}"));
    let node = parse_ip(node_ip).unwrap_or(0);
    for (name, port) in &view.ports {
        service_port(&mut t, name, &port.info, &port.endpoints, cluster_cidr, node);
    }
    t.nat(
        "KUBE-SERVICES",
        "-m comment --comment \"kubernetes service nodeports; NOTE: this must be the last rule in this chain\" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS"
            .into(),
    );
    t.filter("KUBE-FORWARD", "-m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP".into());
    t.filter("KUBE-FORWARD", format!("-m comment --comment \"kubernetes forwarding rules\" -m mark --mark {MASQ_MARK}/{MASQ_MARK} -j ACCEPT"));
    t.filter("KUBE-FORWARD", "-m comment --comment \"kubernetes forwarding conntrack rule\" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT".into());
    t.filter(
        "KUBE-FIREWALL",
        "-m comment --comment \"block incoming localnet connections\" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP".into(),
    );
    let mut out = String::new();
    render_table(&mut out, "filter", &t.filter_chains, &t.filter_rules);
    render_table(&mut out, "nat", &t.nat_chains, &t.nat_rules);
    out
}

/// One Service port's rules (syncProxyRules' loop body).
fn service_port(t: &mut Tables, name: &ServicePortName, info: &ServicePortInfo, cat: &super::topology::Categorized, cidr: &str, node_ip: u32) {
    let spn = name.to_string();
    let proto = info.protocol.to_ascii_lowercase();
    let hash = port_proto_hash(&spn, &proto);
    let svc_chain = format!("KUBE-SVC-{hash}");
    let svl_chain = format!("KUBE-SVL-{hash}");
    let ext_chain = format!("KUBE-EXT-{hash}");
    let fw_chain = format!("KUBE-FW-{hash}");
    let sorted = |v: &[EndpointInfo]| {
        let mut v = v.to_vec();
        v.sort_by_key(EndpointInfo::addr);
        v
    };
    let cluster = sorted(cat.cluster.as_deref().unwrap_or_default());
    let local = sorted(cat.local.as_deref().unwrap_or_default());
    let reachable = sorted(&cat.all_reachable);
    let has_endpoints = cat.has_any;
    let uses_cluster_chain = !cluster.is_empty() && info.uses_cluster_endpoints();
    let uses_local_chain = !local.is_empty() && info.uses_local_endpoints();
    let (mut internal_chain, mut has_internal) = (svc_chain.clone(), has_endpoints);
    if info.internal_policy_local {
        internal_chain = svl_chain.clone();
        has_internal &= !local.is_empty();
    }
    let (mut external_policy_chain, mut has_external) = (svc_chain.clone(), has_endpoints);
    if info.external_policy_local {
        external_policy_chain = svl_chain.clone();
        has_external &= !local.is_empty();
    }
    let uses_ext_chain = has_endpoints && info.externally_accessible();
    let uses_fw = has_endpoints && !info.load_balancer_ips.is_empty() && !info.load_balancer_source_ranges.is_empty();
    let lb_chain = if uses_fw { fw_chain.clone() } else { ext_chain.clone() };
    let (int_target, int_comment, ext_target, ext_comment) = if !has_endpoints {
        let c = format!("\"{spn} has no endpoints\"");
        ("REJECT", c.clone(), "REJECT", c)
    } else {
        let c = format!("\"{spn} has no local endpoints\"");
        ("DROP", c.clone(), "DROP", c)
    };
    let m = format!("-m {proto} -p {proto}");
    let (cip, port) = (&info.cluster_ip, info.port);
    // The cluster IP: captured, or REJECT (no endpoints) / DROP (internal Local, none here).
    if has_internal {
        t.nat("KUBE-SERVICES", format!("-m comment --comment \"{spn} cluster IP\" {m} -d {cip} --dport {port} -j {internal_chain}"));
    } else {
        t.filter("KUBE-SERVICES", format!("-m comment --comment {int_comment} {m} -d {cip} --dport {port} -j {int_target}"));
    }
    for ip in &info.external_ips {
        if has_endpoints {
            t.nat("KUBE-SERVICES", format!("-m comment --comment \"{spn} external IP\" {m} -d {ip} --dport {port} -j {ext_chain}"));
        }
        if !has_external {
            t.filter("KUBE-EXTERNAL-SERVICES", format!("-m comment --comment {ext_comment} {m} -d {ip} --dport {port} -j {ext_target}"));
        }
    }
    for ip in &info.load_balancer_ips {
        if has_endpoints {
            t.nat("KUBE-SERVICES", format!("-m comment --comment \"{spn} loadbalancer IP\" {m} -d {ip} --dport {port} -j {lb_chain}"));
        }
        if uses_fw {
            t.filter("KUBE-PROXY-FIREWALL", format!("-m comment --comment \"{spn} traffic not accepted by {fw_chain}\" {m} -d {ip} --dport {port} -j DROP"));
        }
    }
    if !has_external {
        for ip in &info.load_balancer_ips {
            t.filter("KUBE-EXTERNAL-SERVICES", format!("-m comment --comment {ext_comment} {m} -d {ip} --dport {port} -j {ext_target}"));
        }
    }
    let np = info.node_port;
    if np != 0 {
        if has_endpoints {
            t.nat(
                "KUBE-NODEPORTS",
                format!("-m comment --comment {spn} {m} -d 127.0.0.0/8 --dport {np} -m nfacct --nfacct-name localhost_nps_accepted_pkts -j {ext_chain}"),
            );
            t.nat("KUBE-NODEPORTS", format!("-m comment --comment {spn} {m} --dport {np} -j {ext_chain}"));
        }
        if !has_external {
            t.filter("KUBE-EXTERNAL-SERVICES", format!("-m comment --comment {ext_comment} -m addrtype --dst-type LOCAL {m} --dport {np} -j {ext_target}"));
        }
    }
    if info.health_check_node_port != 0 {
        let hc = info.health_check_node_port;
        t.filter("KUBE-NODEPORTS", format!("-m comment --comment \"{spn} health check node port\" -m tcp -p tcp --dport {hc} -j ACCEPT"));
    }
    // Off-cluster traffic to the cluster IP is masqueraded (detect-local: the cluster CIDR).
    if has_internal {
        t.nat(&internal_chain, format!("-m comment --comment \"{spn} cluster IP\" {m} -d {cip} --dport {port} ! -s {cidr} -j KUBE-MARK-MASQ"));
    }
    if uses_ext_chain {
        t.nat_chain(&ext_chain);
        if !info.external_policy_local {
            t.nat(&ext_chain, format!("-m comment --comment \"masquerade traffic for {spn} external destinations\" -j KUBE-MARK-MASQ"));
        } else {
            t.nat(&ext_chain, format!("-m comment --comment \"pod traffic for {spn} external destinations\" -s {cidr} -j {svc_chain}"));
            t.nat(
                &ext_chain,
                format!("-m comment --comment \"masquerade LOCAL traffic for {spn} external destinations\" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ"),
            );
            t.nat(
                &ext_chain,
                format!("-m comment --comment \"route LOCAL traffic for {spn} external destinations\" -m addrtype --src-type LOCAL -j {svc_chain}"),
            );
        }
        if has_external {
            t.nat(&ext_chain, format!("-j {external_policy_chain}"));
        }
    }
    if uses_fw {
        t.nat_chain(&fw_chain);
        let mut allow_from_node = false;
        for r in &info.load_balancer_source_ranges {
            t.nat(&fw_chain, format!("-m comment --comment \"{spn} loadbalancer IP\" -s {r} -j {ext_chain}"));
            allow_from_node |= Cidr::parse(r).is_ok_and(|c| c.contains(node_ip));
        }
        if allow_from_node {
            for ip in &info.load_balancer_ips {
                t.nat(&fw_chain, format!("-m comment --comment \"{spn} loadbalancer IP\" -s {ip} -j {ext_chain}"));
            }
        }
        t.nat(&fw_chain, format!("-m comment --comment \"other traffic to {spn} will be dropped by KUBE-PROXY-FIREWALL\""));
    }
    if uses_cluster_chain {
        t.nat_chain(&svc_chain);
        to_endpoints(t, &spn, &proto, info, &svc_chain, &cluster);
    }
    if uses_local_chain {
        t.nat_chain(&svl_chain);
        to_endpoints(t, &spn, &proto, info, &svl_chain, &local);
    }
    for ep in &reachable {
        let chain = endpoint_chain(&spn, &proto, ep);
        t.nat_chain(&chain);
        t.nat(&chain, format!("-m comment --comment {spn} -s {} -j KUBE-MARK-MASQ", ep.ip));
        let recent = if info.session_affinity_seconds.is_some() { format!(" -m recent --name {chain} --set") } else { String::new() };
        t.nat(&chain, format!("-m comment --comment {spn}{recent} {m} -j DNAT --to-destination {}", ep.addr()));
    }
}

/// writeServiceToEndpointRules: affinity checks first, then one rule per endpoint, each
/// but the last matched with probability 1/(endpoints left).
fn to_endpoints(t: &mut Tables, spn: &str, proto: &str, info: &ServicePortInfo, chain: &str, eps: &[EndpointInfo]) {
    if let Some(secs) = info.session_affinity_seconds {
        for ep in eps {
            let sep = endpoint_chain(spn, proto, ep);
            t.nat(chain, format!("-m comment --comment \"{spn} -> {}\" -m recent --name {sep} --rcheck --seconds {secs} --reap -j {sep}", ep.addr()));
        }
    }
    let n = eps.len();
    for (i, ep) in eps.iter().enumerate() {
        let sep = endpoint_chain(spn, proto, ep);
        let stat = if i < n - 1 { format!(" -m statistic --mode random --probability {}", probability(n - i)) } else { String::new() };
        t.nat(chain, format!("-m comment --comment \"{spn} -> {}\"{stat} -j {sep}", ep.addr()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::proxy::topology::categorize;
    use crate::proxy::ProgrammedPort;

    fn info(ip: &str) -> ServicePortInfo {
        ServicePortInfo {
            cluster_ip: ip.into(),
            port: 80,
            protocol: "TCP".into(),
            node_port: 0,
            external_ips: Vec::new(),
            load_balancer_ips: Vec::new(),
            session_affinity_seconds: None,
            internal_policy_local: false,
            external_policy_local: false,
            health_check_node_port: 0,
            load_balancer_source_ranges: Vec::new(),
        }
    }

    fn ep(ip: &str, node: &str) -> EndpointInfo {
        EndpointInfo {
            ip: ip.into(),
            port: 80,
            local: node == "test-node",
            ready: true,
            serving: true,
            terminating: false,
            zone_hints: None,
            node: node.into(),
        }
    }

    fn port(view: &mut ProxyView, ns: &str, name: &str, info: ServicePortInfo, eps: &[EndpointInfo]) {
        let endpoints = categorize(eps, &info, "");
        let spn = ServicePortName { namespace: ns.into(), name: name.into(), port: "p80".into(), protocol: "TCP".into() };
        view.ports.insert(spn, Box::new(ProgrammedPort { info, endpoints }));
    }

    #[test]
    fn chain_names_are_upstreams_hashes() {
        // proxier_test.go: ns1/svc1:p80 over tcp, and its endpoint 10.180.0.1:80.
        assert_eq!(port_proto_hash("ns1/svc1:p80", "tcp"), "XPGD46QRK7WJZT7O");
        assert_eq!(endpoint_chain("ns1/svc1:p80", "tcp", &ep("10.180.0.1", "")), "KUBE-SEP-SXIVWICOYRO3J4NJ");
        assert_eq!(probability(2), "0.5000000000");
        assert_eq!(probability(3), "0.3333333333");
    }

    /// pkg/proxy/iptables/proxier_test.go TestOverallIPTablesRules: the same six
    /// Services and their endpoints (node test-node at 192.168.0.2, pods in 10.0.0.0/8),
    /// the expected restore text as the test writes it (sorted by sortIPTablesRules).
    #[test]
    fn overall_rules_match_upstreams_test() {
        let mut v = ProxyView::default();
        port(&mut v, "ns1", "svc1", info("172.30.0.41"), &[ep("10.180.0.1", "")]);
        let mut svc2 = info("172.30.0.42");
        svc2.node_port = 3001;
        svc2.load_balancer_ips = vec!["1.2.3.4".into()];
        svc2.external_ips = vec!["192.168.99.22".into()];
        svc2.health_check_node_port = 30000;
        svc2.external_policy_local = true;
        port(&mut v, "ns2", "svc2", svc2, &[ep("10.180.0.2", "")]);
        let mut svc3 = info("172.30.0.43");
        svc3.node_port = 3003;
        port(&mut v, "ns3", "svc3", svc3, &[ep("10.180.0.3", "")]);
        let mut svc4 = info("172.30.0.44");
        svc4.external_ips = vec!["192.168.99.33".into()];
        port(&mut v, "ns4", "svc4", svc4, &[ep("10.180.0.4", ""), ep("10.180.0.5", "test-node")]);
        let mut svc5 = info("172.30.0.45");
        svc5.node_port = 3002;
        svc5.load_balancer_ips = vec!["5.6.7.8".into()];
        svc5.load_balancer_source_ranges = vec!["203.0.113.0/25".into()];
        svc5.session_affinity_seconds = Some(10800);
        port(&mut v, "ns5", "svc5", svc5, &[ep("10.180.0.3", "")]);
        port(&mut v, "ns6", "svc6", info("172.30.0.46"), &[]);
        let got = render(&v, "192.168.0.2", "10.0.0.0/8");
        let want = r#"*filter
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXTERNAL-SERVICES - [0:0]
:KUBE-FIREWALL - [0:0]
:KUBE-FORWARD - [0:0]
:KUBE-PROXY-FIREWALL - [0:0]
-A KUBE-NODEPORTS -m comment --comment "ns2/svc2:p80 health check node port" -m tcp -p tcp --dport 30000 -j ACCEPT
-A KUBE-SERVICES -m comment --comment "ns6/svc6:p80 has no endpoints" -m tcp -p tcp -d 172.30.0.46 --dport 80 -j REJECT
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j DROP
-A KUBE-EXTERNAL-SERVICES -m comment --comment "ns2/svc2:p80 has no local endpoints" -m addrtype --dst-type LOCAL -m tcp -p tcp --dport 3001 -j DROP
-A KUBE-FIREWALL -m comment --comment "block incoming localnet connections" -d 127.0.0.0/8 ! -s 127.0.0.0/8 -m conntrack ! --ctstate RELATED,ESTABLISHED,DNAT -j DROP
-A KUBE-FORWARD -m conntrack --ctstate INVALID -m nfacct --nfacct-name ct_state_invalid_dropped_pkts -j DROP
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding rules" -m mark --mark 0x4000/0x4000 -j ACCEPT
-A KUBE-FORWARD -m comment --comment "kubernetes forwarding conntrack rule" -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT
-A KUBE-PROXY-FIREWALL -m comment --comment "ns5/svc5:p80 traffic not accepted by KUBE-FW-NUKIZ6OKUXPJNT4C" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j DROP
COMMIT
*nat
:KUBE-NODEPORTS - [0:0]
:KUBE-SERVICES - [0:0]
:KUBE-EXT-4SW47YFZTEDKD3PK - [0:0]
:KUBE-EXT-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-EXT-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-EXT-X27LE4BHSL4DOUIK - [0:0]
:KUBE-FW-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-MARK-MASQ - [0:0]
:KUBE-POSTROUTING - [0:0]
:KUBE-SEP-C6EBXVWJJZMIWKLZ - [0:0]
:KUBE-SEP-I77PXRDZVX7PMWMN - [0:0]
:KUBE-SEP-OYPFS5VJICHGATKP - [0:0]
:KUBE-SEP-RS4RBKLTHTF2IUXJ - [0:0]
:KUBE-SEP-SXIVWICOYRO3J4NJ - [0:0]
:KUBE-SEP-UKSFD7AGPMPPLUHC - [0:0]
:KUBE-SVC-4SW47YFZTEDKD3PK - [0:0]
:KUBE-SVC-GNZBNJ2PO5MGZ6GT - [0:0]
:KUBE-SVC-NUKIZ6OKUXPJNT4C - [0:0]
:KUBE-SVC-X27LE4BHSL4DOUIK - [0:0]
:KUBE-SVC-XPGD46QRK7WJZT7O - [0:0]
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3001 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns2/svc2:p80 -m tcp -p tcp --dport 3001 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3003 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns3/svc3:p80 -m tcp -p tcp --dport 3003 -j KUBE-EXT-X27LE4BHSL4DOUIK
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp -d 127.0.0.0/8 --dport 3002 -m nfacct --nfacct-name localhost_nps_accepted_pkts -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-NODEPORTS -m comment --comment ns5/svc5:p80 -m tcp -p tcp --dport 3002 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 -j KUBE-SVC-XPGD46QRK7WJZT7O
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 external IP" -m tcp -p tcp -d 192.168.99.22 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns2/svc2:p80 loadbalancer IP" -m tcp -p tcp -d 1.2.3.4 --dport 80 -j KUBE-EXT-GNZBNJ2PO5MGZ6GT
-A KUBE-SERVICES -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns4/svc4:p80 external IP" -m tcp -p tcp -d 192.168.99.33 --dport 80 -j KUBE-EXT-4SW47YFZTEDKD3PK
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "ns5/svc5:p80 loadbalancer IP" -m tcp -p tcp -d 5.6.7.8 --dport 80 -j KUBE-FW-NUKIZ6OKUXPJNT4C
-A KUBE-SERVICES -m comment --comment "kubernetes service nodeports; NOTE: this must be the last rule in this chain" -m addrtype --dst-type LOCAL -j KUBE-NODEPORTS
-A KUBE-EXT-4SW47YFZTEDKD3PK -m comment --comment "masquerade traffic for ns4/svc4:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-4SW47YFZTEDKD3PK -j KUBE-SVC-4SW47YFZTEDKD3PK
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "pod traffic for ns2/svc2:p80 external destinations" -s 10.0.0.0/8 -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "masquerade LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-MARK-MASQ
-A KUBE-EXT-GNZBNJ2PO5MGZ6GT -m comment --comment "route LOCAL traffic for ns2/svc2:p80 external destinations" -m addrtype --src-type LOCAL -j KUBE-SVC-GNZBNJ2PO5MGZ6GT
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -m comment --comment "masquerade traffic for ns5/svc5:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-NUKIZ6OKUXPJNT4C -j KUBE-SVC-NUKIZ6OKUXPJNT4C
-A KUBE-EXT-X27LE4BHSL4DOUIK -m comment --comment "masquerade traffic for ns3/svc3:p80 external destinations" -j KUBE-MARK-MASQ
-A KUBE-EXT-X27LE4BHSL4DOUIK -j KUBE-SVC-X27LE4BHSL4DOUIK
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 loadbalancer IP" -s 203.0.113.0/25 -j KUBE-EXT-NUKIZ6OKUXPJNT4C
-A KUBE-FW-NUKIZ6OKUXPJNT4C -m comment --comment "other traffic to ns5/svc5:p80 will be dropped by KUBE-PROXY-FIREWALL"
-A KUBE-MARK-MASQ -j MARK --or-mark 0x4000
-A KUBE-POSTROUTING -m mark ! --mark 0x4000/0x4000 -j RETURN
-A KUBE-POSTROUTING -j MARK --xor-mark 0x4000
-A KUBE-POSTROUTING -m comment --comment "kubernetes service traffic requiring SNAT" -j MASQUERADE
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -s 10.180.0.5 -j KUBE-MARK-MASQ
-A KUBE-SEP-C6EBXVWJJZMIWKLZ -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.5:80
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-I77PXRDZVX7PMWMN -m comment --comment ns5/svc5:p80 -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --set -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -s 10.180.0.3 -j KUBE-MARK-MASQ
-A KUBE-SEP-OYPFS5VJICHGATKP -m comment --comment ns3/svc3:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.3:80
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -s 10.180.0.2 -j KUBE-MARK-MASQ
-A KUBE-SEP-RS4RBKLTHTF2IUXJ -m comment --comment ns2/svc2:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.2:80
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -s 10.180.0.1 -j KUBE-MARK-MASQ
-A KUBE-SEP-SXIVWICOYRO3J4NJ -m comment --comment ns1/svc1:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.1:80
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -s 10.180.0.4 -j KUBE-MARK-MASQ
-A KUBE-SEP-UKSFD7AGPMPPLUHC -m comment --comment ns4/svc4:p80 -m tcp -p tcp -j DNAT --to-destination 10.180.0.4:80
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 cluster IP" -m tcp -p tcp -d 172.30.0.44 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.4:80" -m statistic --mode random --probability 0.5000000000 -j KUBE-SEP-UKSFD7AGPMPPLUHC
-A KUBE-SVC-4SW47YFZTEDKD3PK -m comment --comment "ns4/svc4:p80 -> 10.180.0.5:80" -j KUBE-SEP-C6EBXVWJJZMIWKLZ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 cluster IP" -m tcp -p tcp -d 172.30.0.42 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-GNZBNJ2PO5MGZ6GT -m comment --comment "ns2/svc2:p80 -> 10.180.0.2:80" -j KUBE-SEP-RS4RBKLTHTF2IUXJ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 cluster IP" -m tcp -p tcp -d 172.30.0.45 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -m recent --name KUBE-SEP-I77PXRDZVX7PMWMN --rcheck --seconds 10800 --reap -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-NUKIZ6OKUXPJNT4C -m comment --comment "ns5/svc5:p80 -> 10.180.0.3:80" -j KUBE-SEP-I77PXRDZVX7PMWMN
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 cluster IP" -m tcp -p tcp -d 172.30.0.43 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-X27LE4BHSL4DOUIK -m comment --comment "ns3/svc3:p80 -> 10.180.0.3:80" -j KUBE-SEP-OYPFS5VJICHGATKP
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 cluster IP" -m tcp -p tcp -d 172.30.0.41 --dport 80 ! -s 10.0.0.0/8 -j KUBE-MARK-MASQ
-A KUBE-SVC-XPGD46QRK7WJZT7O -m comment --comment "ns1/svc1:p80 -> 10.180.0.1:80" -j KUBE-SEP-SXIVWICOYRO3J4NJ
COMMIT
"#;
        for (i, (g, w)) in got.lines().zip(want.lines()).enumerate() {
            assert_eq!(g, w, "line {}", i + 1);
        }
        assert_eq!(got, want);
    }
}
