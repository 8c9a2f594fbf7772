//! The traffic model: clients a scenario declares (`spec.traffic`) send requests at a
//! rate, and each request goes where the cluster would send it at that moment.
//!
//! Every 100 ms of simulated time each active client sends its share of requests. A
//! request starts on its source — a node, or one of the Ready pods a selector picks
//! (chosen at random; none Ready, or its node down: nothing is sent) — and is resolved:
//! - to a Service (`service/web:80`, `service/ns/web:http`): a missing Service is what
//!   DNS answers for a name that does not exist (`nxdomain`); a headless Service
//!   resolves to its ready endpoints (none: `nxdomain`); otherwise the source node's
//!   kube-proxy rules as last synced decide (pkg/proxy/iptables semantics): no rule for
//!   the ClusterIP yet, or a Local policy's DROP: `timeout`; the REJECT of a Service
//!   with no endpoints: `no-endpoints`; else one endpoint at random, as iptables'
//!   `statistic --mode random` picks (with `sessionAffinity: ClientIP`, the one this
//!   source was sent to before, while it is still listed);
//! - to an address: a ClusterIP goes through the source node's rules as above; a node's
//!   address on a NodePort through that node's rules (the external traffic policy: Local
//!   keeps that node's endpoints, none is a DROP); a load-balancer address through the
//!   node that announces it (the first live node by name — with
//!   externalTrafficPolicy Local, the first with a ready local endpoint — as MetalLB's
//!   layer-2 mode answers from one node); a pod's address goes straight to the pod;
//! - to a DNS name: first a query to a CoreDNS endpoint through the source node's rule
//!   for kube-dns 53/UDP, answered as network/dns.rs says; a query nobody answers (no
//!   rule, no ready CoreDNS pod, a pod that does not answer, a policy that drops it)
//!   counts as `nxdomain` too, where a real resolver reports a timeout ("no servers could
//!   be reached") rather than NXDOMAIN;
//! - to an `http://` URL: through ingress-nginx (traffic/ingress.rs).
//!
//! The connection then lands: on a pod whose app answers (its containers run, it has
//! booted — `ksim.dev/boot-duration` —, and it has not had SIGTERM: a preStop hook keeps
//! a terminating pod answering), on a node that is up, it succeeds; on a node that is
//! down it times out (`timeout`); on an address no answering pod holds — a pod gone,
//! terminating past its preStop hook, not started or not booted — it is refused
//! (`refused`). Latency of a success: 0.5 ms, plus 0.5 ms across nodes, plus up
//! to 1 ms of jitter. ExternalName targets leave the cluster and are not followed
//! (`external`).
//!
//! A NetworkPolicy that does not let the connection through (the source pod's egress or
//! the destination pod's ingress: network/policy.rs) stops it first: `denied` (the
//! client sees a timeout, as most CNIs drop such packets). The check sees the client's
//! own address even where externalTrafficPolicy Cluster would SNAT NodePort traffic to
//! the node's.
//!
//! Only counts are kept (and a latency histogram per client): the cost is per request a
//! random draw and a few additions, not an engine event or a stored record.

use crate::api::Kind;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::Store;
use crate::network::dns::Answer;

mod ingress;
use crate::network::ipam::parse_ip;
use crate::proxy::KubeProxy;
use crate::scenario::expect::Selector;
use rand::Rng;
use std::collections::BTreeMap;

/// How often clients send their requests.
pub const TICK: SimDuration = SimDuration::from_ms(100);

/// The failure reasons, as counted and shown.
pub const REASONS: &[&str] = &["refused", "timeout", "no-endpoints", "nxdomain", "external", "denied", "http-404", "http-502", "http-503", "http-504"];

/// Where a client's requests start.
#[derive(Clone, Debug, PartialEq)]
pub enum Source {
    Node(String),
    /// Ready pods of a namespace matching a selector.
    Pods {
        namespace: String,
        selector: Selector,
    },
}

/// A Service's port, by number or name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PortRef {
    Number(i32),
    Name(String),
}

/// What a client's requests go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Target {
    Service {
        namespace: String,
        name: String,
        port: PortRef,
    },
    Address {
        ip: String,
        port: i32,
    },
    /// A DNS name (`web`, `web.shop`, `web.shop.svc.cluster.local`, `example.com`),
    /// resolved by the cluster's DNS as the source's resolver asks it.
    Name {
        host: String,
        port: i32,
    },
    /// An HTTP(S) URL, served through the ingress controller (`http://shop.example.com/cart`).
    Url {
        host: String,
        port: i32,
        path: String,
    },
}

/// One `spec.traffic` entry.
#[derive(Clone, Debug, PartialEq)]
pub struct Client {
    pub name: String,
    pub source: Source,
    pub target: Target,
    /// Requests per second, in thousandths.
    pub milli_rate: u64,
    pub start: SimDuration,
    pub stop: Option<SimDuration>,
}

/// Parses `50/s`, `3000/m`, `0.5/s`: requests per second in thousandths.
pub fn parse_rate(s: &str) -> Result<u64, String> {
    let (n, unit) = s.trim().split_once('/').ok_or("expected requests per second or minute, e.g. 50/s or 600/m")?;
    let per = match unit.trim() {
        "s" => 1,
        "m" => 60,
        u => return Err(format!("unknown unit {u:?}: use /s or /m")),
    };
    let n: f64 = n.trim().parse().map_err(|_| format!("{n:?} is not a number"))?;
    if !(n.is_finite() && n > 0.0) {
        return Err("must be more than 0".into());
    }
    let milli = (n * 1000.0 / f64::from(per)).round();
    if !(1.0..=1e9).contains(&milli) {
        return Err("must be between 0.001/s and 1000000/s".into());
    }
    Ok(milli as u64)
}

/// Parses a target: `service/NAME:PORT`, `service/NS/NAME:PORT`, `IP:PORT`, a DNS name and
/// port, or an `http://` / `https://` URL.
pub fn parse_target(s: &str) -> Result<Target, String> {
    for (scheme, default_port) in [("http://", 80), ("https://", 443)] {
        let Some(rest) = s.strip_prefix(scheme) else { continue };
        let (authority, path) = match rest.find('/') {
            Some(i) => (&rest[..i], &rest[i..]),
            None => (rest, "/"),
        };
        let path = path.split(['?', '#']).next().unwrap_or("/");
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => match p.parse::<i32>() {
                Ok(n) if (1..=65535).contains(&n) => (h, n),
                _ => return Err(format!("port {p:?} must be a number between 1 and 65535, inclusive")),
            },
            None => (authority, default_port),
        };
        let host = host.to_ascii_lowercase();
        if host.is_empty() || !crate::api::validation::dns1123_subdomain(&host).is_empty() {
            return Err(format!("{host:?} is not a DNS name (a URL's host, e.g. http://shop.example.com/cart)"));
        }
        return Ok(Target::Url { host, port, path: path.to_string() });
    }
    let (what, port) = s.rsplit_once(':').ok_or("expected service/NAME:PORT or IP:PORT")?;
    if let Some(path) = what.strip_prefix("service/").or_else(|| what.strip_prefix("svc/")) {
        let (namespace, name) = match path.split_once('/') {
            Some((ns, n)) => (ns.to_string(), n.to_string()),
            None => ("default".to_string(), path.to_string()),
        };
        if name.is_empty() || port.is_empty() {
            return Err("expected service/NAME:PORT".into());
        }
        let port = match port.parse::<i32>() {
            Ok(p) if (1..=65535).contains(&p) => PortRef::Number(p),
            Ok(_) => return Err(format!("port {port} must be between 1 and 65535, inclusive")),
            Err(_) => PortRef::Name(port.to_string()),
        };
        return Ok(Target::Service { namespace, name, port });
    }
    let port = match port.parse::<i32>() {
        Ok(p) if (1..=65535).contains(&p) => p,
        _ => return Err(format!("port {port:?} must be a number between 1 and 65535, inclusive")),
    };
    if parse_ip(what).is_some() {
        return Ok(Target::Address { ip: what.to_string(), port });
    }
    // A DNS name: IsDNS1123Subdomain (a trailing dot makes it absolute).
    let host = what.strip_suffix('.').unwrap_or(what);
    let label_ok = |l: &str| {
        !l.is_empty()
            && l.len() <= 63
            && l.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !l.starts_with('-')
            && !l.ends_with('-')
    };
    if host.len() > 253 || !host.split('.').all(label_ok) {
        return Err("expected service/NAME:PORT, a DNS name and port (web.shop.svc.cluster.local:80) or IP:PORT".into());
    }
    Ok(Target::Name { host: what.to_string(), port })
}

/// A client's counts, cumulative from its start.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Counters {
    pub sent: u64,
    pub succeeded: u64,
    pub failed: BTreeMap<&'static str, u64>,
    /// Successes per latency bucket ([`bucket`]: 10 µs wide under 10 ms, then 1 ms wide
    /// up to 10 s — bounded whatever a NetworkChaos delay adds).
    latency: Vec<u64>,
}

impl Counters {
    pub fn errors(&self) -> u64 {
        self.failed.values().sum()
    }

    /// The latency below which `q` of the successes fell, in ms (None without any).
    pub fn percentile_ms(&self, q: f64) -> Option<f64> {
        if self.succeeded == 0 {
            return None;
        }
        let want = ((self.succeeded as f64) * q).ceil().max(1.0) as u64;
        let mut seen = 0;
        for (i, n) in self.latency.iter().enumerate() {
            seen += n;
            if seen >= want {
                return Some(if i < 1000 { (i as f64 + 1.0) / 100.0 } else { 10.0 + (i - 1000) as f64 + 1.0 });
            }
        }
        None
    }

    fn add(&mut self, other: &Counters) {
        self.sent += other.sent;
        self.succeeded += other.succeeded;
        for (k, v) in &other.failed {
            *self.failed.entry(k).or_default() += v;
        }
        if self.latency.len() < other.latency.len() {
            self.latency.resize(other.latency.len(), 0);
        }
        for (i, n) in other.latency.iter().enumerate() {
            self.latency[i] += n;
        }
    }
}

/// What a request to one endpoint comes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Landing {
    /// Served; on another node than the source.
    Ok {
        remote: bool,
    },
    Fail(&'static str),
}

struct ClientState {
    client: Client,
    total: Counters,
    /// This second's counts (written to the event log each second).
    second: Counters,
    /// Thousandths of a request owed.
    owed: u64,
    /// sessionAffinity: ClientIP — source → the endpoint it was sent to.
    affinity: BTreeMap<String, String>,
    /// With `--log-requests`: this tick's requests, until the simulation logs them.
    requests: Option<Vec<RequestRecord>>,
}

/// One request as `--log-requests` writes it to the event log.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    pub client: String,
    /// The source's address.
    pub from: String,
    /// The endpoint (`IP:port`) it went to; empty when it failed before reaching one.
    pub to: String,
    /// `ok` or the failure reason.
    pub result: &'static str,
    /// A success's latency, in µs.
    pub latency_us: Option<u64>,
}

/// Every client of a run.
pub struct Traffic {
    clients: Vec<ClientState>,
    /// Chaos Mesh's NetworkChaos partitions and delays in force, by experiment
    /// (faults/network_chaos.rs), and the stream their netem draws come from.
    pub network: BTreeMap<String, crate::faults::network_chaos::NetworkFault>,
    netem_rng: rand_chacha::ChaCha8Rng,
    /// How many ticks have run (what expectations on traffic re-read after).
    pub ticks: u64,
    /// Nodes whose `br_netfilter` module is not loaded (`brNetfilter: false`).
    pub no_br_netfilter: std::collections::BTreeSet<String>,
    /// Requests each pod answered since the usage model last took them, by pod uid (the
    /// Service's endpoint, and behind an ingress controller its backend too): kept only
    /// while the usage model runs (`count_served`), for `ksim.dev/cpu-per-request`.
    served: Option<BTreeMap<String, u64>>,
}

/// The CNI DaemonSets whose plugin puts a node's pods on a Linux bridge (Flannel's cni0,
/// Weave's weave, kube-router's kube-bridge) — where `br_netfilter` decides whether
/// bridged packets see iptables. Calico and Canal route each pod through its own veth
/// (no bridge), Cilium and Antrea do not use the Linux bridge.
pub const BRIDGE_CNIS: &[&str] = &["kube-flannel-ds", "weave-net", "kube-router"];

/// The nodes where a request's reply within the bridge escapes conntrack: `br_netfilter`
/// not loaded and a bridge CNI's pod running there. Without the module, a pod's request
/// to a Service that kube-proxy sends to a pod behind the same bridge is translated
/// (DNAT) on its way out, but the reply goes straight across the bridge, untranslated:
/// it comes from the pod's address, not the Service's, and the client drops it — the
/// request times out (the reason kubeadm's install guide loads the module). Nothing says
/// so: kube-proxy's "Missing br-netfilter module or unset sysctl br-nf-call-iptables"
/// (pkg/proxy/iptables/proxier.go NewProxier) is logged only when the sysctl reads 0 —
/// without the module it cannot be read, and kube-proxy stays silent; kubeadm v1.34's
/// preflight no longer checks it.
fn unbridged(no_br_netfilter: &std::collections::BTreeSet<String>, store: &Store) -> std::collections::BTreeSet<String> {
    if no_br_netfilter.is_empty() {
        return Default::default();
    }
    store
        .list(&Kind::Pod)
        .filter_map(|o| o.as_pod())
        .filter(|p| no_br_netfilter.contains(p.spec.node_name.as_str()) && p.status.phase == "Running")
        .filter(|p| p.metadata.controller_ref().is_some_and(|r| r.kind == "DaemonSet" && BRIDGE_CNIS.contains(&r.name.as_str())))
        .map(|p| p.spec.node_name.to_string())
        .collect()
}

/// A pod as requests find it: its node, whether its containers serve.
struct PodAt {
    node: String,
    serving: bool,
    pod: std::rc::Rc<crate::api::Object>,
}

impl Traffic {
    pub fn new(clients: Vec<Client>, netem_rng: rand_chacha::ChaCha8Rng) -> Self {
        Traffic {
            network: BTreeMap::new(),
            netem_rng,
            no_br_netfilter: Default::default(),
            served: None,
            clients: clients
                .into_iter()
                .map(|client| ClientState {
                    client,
                    total: Counters::default(),
                    second: Counters::default(),
                    owed: 0,
                    affinity: BTreeMap::new(),
                    requests: None,
                })
                .collect(),
            ticks: 0,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Keep every request for the event log (`--log-requests`), not only the counts.
    pub fn log_requests(&mut self) {
        for c in &mut self.clients {
            c.requests = Some(Vec::new());
        }
    }

    /// Count the requests each pod answers (for the usage model's CPU per request).
    pub fn count_served(&mut self) {
        self.served = Some(BTreeMap::new());
    }

    /// The requests each pod answered since the last call, by pod uid.
    pub fn take_served(&mut self) -> BTreeMap<String, u64> {
        self.served.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// The requests sent since the last call (with `log_requests`), in sending order.
    pub fn take_requests(&mut self) -> Vec<RequestRecord> {
        self.clients.iter_mut().filter_map(|c| c.requests.as_mut()).flat_map(std::mem::take).collect()
    }

    /// The first tick: the earliest start.
    pub fn first_tick(&self) -> Option<SimTime> {
        self.clients.iter().map(|c| SimTime(c.client.start.as_ms())).min()
    }

    /// The cumulative counts of a client.
    pub fn counters(&self, name: &str) -> Option<&Counters> {
        self.clients.iter().find(|c| c.client.name == name).map(|c| &c.total)
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.clients.iter().map(|c| c.client.name.as_str())
    }

    /// Whether some counts wait for their second's record.
    pub fn has_unlogged(&self) -> bool {
        self.clients.iter().any(|c| c.second != Counters::default())
    }

    /// Whether any client may still send after `now`.
    pub fn active_after(&self, now: SimTime) -> bool {
        self.clients.iter().any(|c| c.client.stop.is_none_or(|s| s.as_ms() > now.as_ms()))
    }

    /// One tick at `now`: first the last second's counts are handed out for the event log
    /// (each second's record covers [t − 1 s, t)), then every active client sends its
    /// share. `alive(node)` tells whether a node's machine runs.
    /// `serving(node, uid)`: whether that pod's app answers now (the node's kubelet knows).
    pub fn tick(
        &mut self,
        now: SimTime,
        store: &Store,
        proxies: &[KubeProxy],
        alive: &dyn Fn(&str) -> bool,
        serving: &dyn Fn(&str, &str) -> bool,
        rng: &mut impl Rng,
    ) -> Vec<(String, Counters)> {
        self.ticks += 1;
        let t = now.as_ms();
        let mut out = Vec::new();
        if t.is_multiple_of(1000) {
            for c in &mut self.clients {
                if c.second != Counters::default() {
                    out.push((c.client.name.clone(), std::mem::take(&mut c.second)));
                }
            }
        }
        let mut pods = None;
        let mut bridged = None;
        for c in &mut self.clients {
            let active = t >= c.client.start.as_ms() && c.client.stop.is_none_or(|s| t < s.as_ms());
            if !active {
                continue;
            }
            c.owed += c.client.milli_rate * TICK.as_ms() / 1000;
            let n = c.owed / 1000;
            c.owed %= 1000;
            if n > 0 {
                let pods = pods.get_or_insert_with(|| pods_by_ip(store, serving));
                let unbridged = bridged.get_or_insert_with(|| unbridged(&self.no_br_netfilter, store));
                let net = Network { faults: &mut self.network, rng: &mut self.netem_rng, unbridged };
                let delta = send(c, n, store, proxies, pods, alive, net, self.served.as_mut(), rng);
                c.total.add(&delta);
                c.second.add(&delta);
            }
        }
        out
    }
}

fn pods_by_ip(store: &Store, serving: &dyn Fn(&str, &str) -> bool) -> BTreeMap<String, PodAt> {
    let mut m = BTreeMap::new();
    for o in store.list(&Kind::Pod) {
        let Some(p) = o.as_pod() else { continue };
        if p.status.pod_ip.is_empty() || p.is_terminal() || p.spec.node_name.is_empty() {
            continue;
        }
        let serving = serving(&p.spec.node_name, &p.metadata.uid);
        m.insert(p.status.pod_ip.to_string(), PodAt { node: p.spec.node_name.to_string(), serving, pod: o.clone() });
    }
    m
}

/// Where one request from `node` to `ip` lands.
fn land(ip: &str, node: &str, pods: &BTreeMap<String, PodAt>, alive: &dyn Fn(&str) -> bool) -> Landing {
    match pods.get(ip) {
        Some(p) if !alive(&p.node) => Landing::Fail("timeout"),
        Some(p) if p.serving => Landing::Ok { remote: p.node != node },
        _ => Landing::Fail("refused"),
    }
}

/// The endpoints a request from one node may reach, each with where it lands; or why it
/// fails before reaching any.
type Candidates = Result<Vec<(String, Landing)>, &'static str>;

/// The candidates of one request from a source node.
fn candidates(
    c: &Client,
    node: &str,
    ns: &str,
    store: &Store,
    proxies: &[KubeProxy],
    pods: &BTreeMap<String, PodAt>,
    alive: &dyn Fn(&str) -> bool,
) -> Result<Vec<(String, Landing)>, &'static str> {
    match &c.target {
        Target::Address { ip, port } => address_candidates(ip, *port, node, store, proxies, pods, alive),
        Target::Url { host, port, .. } => match ingress::address_of(store, host) {
            None => Err("nxdomain"),
            Some(ip) => address_candidates(&ip, *port, node, store, proxies, pods, alive),
        },
        Target::Name { host, port } => match crate::network::dns::lookup(store, host, ns) {
            Answer::NxDomain => Err("nxdomain"),
            Answer::External(_) => Err("external"),
            Answer::Addresses(ips) if ips.len() == 1 => address_candidates(&ips[0], *port, node, store, proxies, pods, alive),
            Answer::Addresses(ips) => Ok(ips.iter().map(|ip| (format!("{ip}:{port}"), land(ip, node, pods, alive))).collect()),
        },
        Target::Service { namespace, name, port } => {
            let Some(svc) = store.get_parts(&Kind::Service, namespace, name).and_then(|o| o.as_service()) else { return Err("nxdomain") };
            if svc.spec.type_ == "ExternalName" {
                return Err("external");
            }
            if svc.spec.cluster_ip == "None" {
                // DNS answers with the ready endpoints' addresses.
                let Answer::Addresses(ips) = crate::network::dns::service(store, namespace, name, None) else { return Err("nxdomain") };
                // The client connects to each address on the port it asked for (a named
                // port: the Service port's target number, or its port).
                let number = match port {
                    PortRef::Number(n) => *n,
                    PortRef::Name(n) => svc.spec.ports.iter().find(|p| p.name.as_deref() == Some(n.as_str())).map_or(0, |p| match &p.target_port {
                        Some(crate::api::meta::IntOrString::Int(t)) => *t,
                        _ => p.port,
                    }),
                };
                return Ok(ips.into_iter().map(|ip| (format!("{ip}:{number}"), land(&ip, node, pods, alive))).collect());
            }
            let Some(sp) = svc.spec.ports.iter().find(|p| match port {
                PortRef::Number(n) => p.port == *n,
                PortRef::Name(n) => p.name.as_deref() == Some(n.as_str()),
            }) else {
                // Nothing listens on that port of the ClusterIP.
                return Err("timeout");
            };
            let proto = sp.protocol.as_deref().unwrap_or("TCP");
            let Some(proxy) = proxies.iter().find(|p| p.node == node) else { return Err("timeout") };
            let rule = proxy
                .view()
                .ports
                .iter()
                .find(|(n, p)| &n.namespace == namespace && &n.name == name && p.info.port == sp.port && p.info.protocol == proto)
                .map(|(_, p)| &**p);
            through(rule, false, node, pods, alive)
        }
    }
}

/// Where the rule found for a Service port sends a connection that entered at `at`
/// (`external`: through a NodePort or a load-balancer address, the external policy's
/// endpoints; else the ClusterIP's, the internal policy's).
fn through(rule: Option<&crate::proxy::ProgrammedPort>, external: bool, at: &str, pods: &BTreeMap<String, PodAt>, alive: &dyn Fn(&str) -> bool) -> Candidates {
    let Some(rule) = rule else { return Err("timeout") };
    let eps = if external { rule.external() } else { rule.internal() };
    if eps.is_empty() {
        return Err(if rule.endpoints.has_any { "timeout" } else { "no-endpoints" });
    }
    Ok(eps.iter().map(|e| (e.addr(), land(&e.ip, at, pods, alive))).collect())
}

/// A connection to an address: a Service's ClusterIP (the source node's rules), a node's
/// address on a NodePort (that node's rules, external policy), a load-balancer address
/// (the node announcing it — the first live node by name, among those with a ready local
/// endpoint for externalTrafficPolicy Local, as MetalLB's layer-2 mode announces from
/// one node — then that node's rules), or else a pod's address.
fn address_candidates(
    ip: &str,
    port: i32,
    node: &str,
    store: &Store,
    proxies: &[KubeProxy],
    pods: &BTreeMap<String, PodAt>,
    alive: &dyn Fn(&str) -> bool,
) -> Candidates {
    let view = |n: &str| proxies.iter().find(|p| p.node == n).map(|p| p.view());
    let services: Vec<&crate::api::service::Service> = store.list(&Kind::Service).filter_map(|o| o.as_service()).collect();
    if let Some(svc) = services.iter().find(|s| s.spec.cluster_ip == ip) {
        let rule = view(node)
            .and_then(|v| v.ports.iter().find(|(n, p)| n.namespace == svc.metadata.namespace && n.name == svc.metadata.name && p.info.port == port))
            .map(|(_, p)| &**p);
        return through(rule, false, node, pods, alive);
    }
    if let Some(target) = store.list(&Kind::Node).filter_map(|o| o.as_node()).find(|n| n.internal_ip() == ip) {
        let target = target.metadata.name.as_str();
        if !alive(target) {
            return Err("timeout");
        }
        let rule = view(target).and_then(|v| v.ports.values().find(|p| p.info.node_port == port));
        return match rule {
            Some(r) => through(Some(r), true, target, pods, alive),
            // No NodePort there: the node itself refuses the connection.
            None => Err("refused"),
        };
    }
    if let Some(svc) = services.iter().find(|s| s.load_balancer_ingress().iter().any(|a| a == ip)) {
        let local = svc.spec.external_traffic_policy.as_deref() == Some("Local");
        let mut nodes: Vec<&KubeProxy> = proxies.iter().filter(|p| alive(&p.node)).collect();
        nodes.sort_by(|a, b| a.node.cmp(&b.node));
        let rule_on = |p: &KubeProxy| {
            p.view()
                .ports
                .iter()
                .find(|(n, r)| n.namespace == svc.metadata.namespace && n.name == svc.metadata.name && r.info.port == port)
                .map(|(_, r)| r.clone())
        };
        let announcer = nodes.into_iter().find(|p| !local || rule_on(p).is_some_and(|r| !r.external().is_empty()));
        let Some(announcer) = announcer else { return Err("timeout") };
        let rule = rule_on(announcer);
        return through(rule.as_deref(), true, &announcer.node, pods, alive);
    }
    let addr = format!("{ip}:{port}");
    Ok(vec![(addr, land(ip, node, pods, alive))])
}

/// The NetworkChaos rules in force and netem's draws.
struct Network<'a> {
    faults: &'a mut BTreeMap<String, crate::faults::network_chaos::NetworkFault>,
    rng: &'a mut rand_chacha::ChaCha8Rng,
    /// Nodes whose bridge lets Service replies escape conntrack (`unbridged`).
    unbridged: &'a std::collections::BTreeSet<String>,
}

impl Network<'_> {
    /// What the rules make of a request that reached `ep` (a drop: nothing comes back,
    /// the client times out; a delay: its latency, µs).
    fn apply(&mut self, hop: &crate::faults::network_chaos::Hop, landing: Landing) -> (Landing, u64) {
        use crate::faults::network_chaos::Verdict;
        let mut extra = 0;
        for f in self.faults.values_mut() {
            match f.verdict(hop, self.rng) {
                Verdict::Drop => return (Landing::Fail("timeout"), 0),
                Verdict::Delay(us) => extra += us,
                Verdict::Pass => {}
            }
        }
        (landing, extra)
    }
}

/// The address a client's packets carry as destination, when it is one for every
/// request (a ClusterIP, a node's or load balancer's address, a name with one address).
fn dialed(c: &Client, store: &Store, ns: &str) -> Option<String> {
    match &c.target {
        Target::Address { ip, .. } => Some(ip.clone()),
        Target::Url { host, .. } => ingress::address_of(store, host),
        Target::Name { host, .. } => match crate::network::dns::lookup(store, host, ns) {
            Answer::Addresses(ips) if ips.len() == 1 => ips.into_iter().next(),
            _ => None,
        },
        Target::Service { namespace, name, .. } => {
            store.get_parts(&Kind::Service, namespace, name).and_then(|o| o.as_service()).map(|s| s.spec.cluster_ip.clone()).filter(|ip| ip != "None")
        }
    }
}

/// The histogram's bucket for a latency: 10 µs wide up to 10 ms, then 1 ms wide up to
/// 10 s (a NetworkChaos delay), the last one taking the rest.
fn bucket(us: u64) -> usize {
    if us < 10_000 {
        (us / 10) as usize
    } else {
        1000 + ((us.min(10_000_000) - 10_000) / 1000) as usize
    }
}

/// Sends `n` requests of a client; their counts.
#[allow(clippy::too_many_arguments)]
fn send(
    c: &mut ClientState,
    n: u64,
    store: &Store,
    proxies: &[KubeProxy],
    pods: &BTreeMap<String, PodAt>,
    alive: &dyn Fn(&str) -> bool,
    mut net: Network,
    mut served: Option<&mut BTreeMap<String, u64>>,
    rng: &mut impl Rng,
) -> Counters {
    // One more request answered by the pod at `ip`.
    let mut serve = |ip: &str| {
        if let (Some(m), Some(p)) = (served.as_deref_mut(), pods.get(ip).and_then(|p| p.pod.as_pod())) {
            *m.entry(p.metadata.uid.to_string()).or_default() += 1;
        }
    };
    // The sources: (client address, node, the pod when the client is one).
    let sources: Vec<(String, String, Option<std::rc::Rc<crate::api::Object>>)> = match &c.client.source {
        Source::Node(node) => {
            if !alive(node) {
                return Counters::default();
            }
            let ip = store.get_parts(&Kind::Node, "", node).and_then(|o| o.as_node()).map(|n| n.internal_ip().to_string()).unwrap_or_default();
            vec![(ip, node.clone(), None)]
        }
        Source::Pods { namespace, selector, .. } => store
            .list(&Kind::Pod)
            .filter(|o| {
                o.as_pod().is_some_and(|p| {
                    &p.metadata.namespace == namespace
                        && p.is_ready()
                        && p.metadata.rare.deletion_timestamp.is_none()
                        && selector.matches(&p.metadata.labels)
                        && alive(&p.spec.node_name)
                })
            })
            .map(|o| {
                let p = o.as_pod().expect("a pod");
                (p.status.pod_ip.to_string(), p.spec.node_name.to_string(), Some(o.clone()))
            })
            .collect(),
    };
    let policies = store.list(&Kind::NetworkPolicy).next().is_some();
    // (source address, destination address) → allowed, for this tick.
    let mut verdicts: BTreeMap<(String, String), bool> = BTreeMap::new();
    let mut s = Counters::default();
    if sources.is_empty() {
        return s;
    }
    let affinity = match &c.client.target {
        Target::Service { namespace, name, .. } => store
            .get_parts(&Kind::Service, namespace, name)
            .and_then(|o| o.as_service())
            .is_some_and(|s| s.spec.session_affinity.as_deref() == Some("ClientIP")),
        Target::Address { .. } | Target::Name { .. } | Target::Url { .. } => false,
    };
    // Where the ingress controller sends this client's requests (one answer per tick).
    let upstream = match &c.client.target {
        Target::Url { host, path, .. } => Some(ingress::upstream(store, host, path)),
        _ => None,
    };
    // A node source resolves as a pod of `default` (ClusterFirstWithHostNet).
    let ns = match &c.client.source {
        Source::Pods { namespace, .. } => namespace.as_str(),
        Source::Node(_) => "default",
    };
    let names = matches!(c.client.target, Target::Name { .. });
    let mut per_node: BTreeMap<&str, Candidates> = BTreeMap::new();
    // Where each node's resolver reaches the cluster DNS (kube-dns's ClusterIP, port 53
    // UDP, through that node's rules), for name targets.
    let mut dns_per_node: BTreeMap<&str, Candidates> = BTreeMap::new();
    for (_, node, _) in &sources {
        per_node.entry(node.as_str()).or_insert_with(|| candidates(&c.client, node, ns, store, proxies, pods, alive));
        if names {
            dns_per_node.entry(node.as_str()).or_insert_with(|| dns_servers(node, proxies, pods, alive));
        }
    }
    let protocol = target_protocol(store, &c.client.target);
    let dialed = if net.faults.is_empty() && net.unbridged.is_empty() { None } else { dialed(&c.client, store, ns) };
    // Whether a pod client's request, translated by kube-proxy to the endpoint `ep` (a
    // DNS query to kube-dns always is; a request when what it dialed is not `ep`'s
    // address), gets no reply: the client is a pod on an unbridged node (not on the
    // host's network) and the endpoint is a pod behind the same bridge.
    let lost_reply = |node: &str, src_pod: Option<&crate::api::Object>, dns: bool, ep: &str| {
        if !net.unbridged.contains(node) {
            return false;
        }
        let ip = ep.rsplit_once(':').map_or(ep, |(i, _)| i);
        (dns || dialed.as_deref().is_some_and(|d| d != ip))
            && src_pod.and_then(|o| o.as_pod()).is_some_and(|p| p.spec.host_network != Some(true))
            && pods.get(ip).is_some_and(|p| p.node == node && p.pod.as_pod().is_some_and(|q| q.spec.host_network != Some(true)))
    };
    for _ in 0..n {
        let (addr, node, src_pod) = &sources[rng.random_range(0..sources.len())];
        s.sent += 1;
        if names {
            // The query goes to one CoreDNS endpoint; no answer (no rule, no endpoint, a
            // pod that does not answer, a policy that drops it): the name does not
            // resolve.
            let answered = match &dns_per_node[node.as_str()] {
                Err(_) => false,
                Ok(eps) => {
                    let (ep, landing) = &eps[rng.random_range(0..eps.len())];
                    // The query goes to kube-dns's ClusterIP: translated.
                    matches!(landing, Landing::Ok { .. })
                        && !lost_reply(node, src_pod.as_deref(), true, ep)
                        && (!policies
                            || *verdicts.entry((addr.clone(), ep.clone())).or_insert_with(|| policy_allows(store, addr, src_pod.as_deref(), ep, "UDP", pods)))
                }
            };
            if !answered {
                *s.failed.entry("nxdomain").or_default() += 1;
                if let Some(log) = c.requests.as_mut() {
                    log.push(RequestRecord { client: c.client.name.clone(), from: addr.clone(), to: String::new(), result: "nxdomain", latency_us: None });
                }
                continue;
            }
        }
        let mut to = String::new();
        let mut extra_us = 0;
        let mut backend = None;
        let mut at_ep: Option<&str> = None;
        let landing = match &per_node[node.as_str()] {
            Err(reason) => Landing::Fail(reason),
            Ok(eps) => {
                let sticky = affinity.then(|| c.affinity.get(addr).and_then(|e| eps.iter().find(|(a, _)| a == e))).flatten();
                let (ep, landing) = match sticky {
                    Some(x) => x,
                    None => &eps[rng.random_range(0..eps.len())],
                };
                if affinity {
                    c.affinity.insert(addr.clone(), ep.clone());
                }
                at_ep = Some(ep.as_str());
                if c.requests.is_some() {
                    to = ep.clone();
                }
                let allowed = !policies
                    || *verdicts.entry((addr.clone(), ep.clone())).or_insert_with(|| policy_allows(store, addr, src_pod.as_deref(), ep, &protocol, pods));
                let landing = match (allowed, landing, &upstream) {
                    (false, _, _) => Landing::Fail("denied"),
                    // At the ingress controller: its own request to the backend.
                    (true, Landing::Ok { .. }, Some(up)) => {
                        let check = |from: &str, to: &str| !policies || policy_allows(store, from, pods.get(from).map(|p| &*p.pod), to, "TCP", pods);
                        let (l, b) = ingress::proxy(ep, up, pods, alive, &check, rng);
                        backend = b;
                        l
                    }
                    (true, l, _) => *l,
                };
                let landing = if matches!(landing, Landing::Ok { .. }) && upstream.is_none() && lost_reply(node, src_pod.as_deref(), false, ep) {
                    Landing::Fail("timeout")
                } else {
                    landing
                };
                // Chaos Mesh's rules in the client's and the endpoint's namespaces: only
                // between pods that answer or refuse (a drop turns a refusal into silence).
                if net.faults.is_empty() || !matches!(landing, Landing::Ok { .. } | Landing::Fail("refused")) {
                    landing
                } else {
                    let ip = ep.rsplit_once(':').map_or(ep.as_str(), |(i, _)| i);
                    let hop = crate::faults::network_chaos::Hop {
                        client_uid: src_pod.as_deref().and_then(|o| o.as_pod()).map(|p| p.metadata.uid.as_str()),
                        client_ip: addr,
                        dialed: dialed.as_deref().unwrap_or(ip),
                        server_uid: pods.get(ip).and_then(|p| p.pod.as_pod()).map(|p| p.metadata.uid.as_str()),
                        server_ip: ip,
                    };
                    let (l, extra) = net.apply(&hop, landing);
                    extra_us = extra;
                    l
                }
            }
        };
        let (result, latency_us) = match landing {
            Landing::Ok { remote } => {
                s.succeeded += 1;
                if let Some(ep) = at_ep {
                    serve(ep.rsplit_once(':').map_or(ep, |(i, _)| i));
                }
                if let Some(b) = backend {
                    serve(b);
                }
                let us = 500 + if remote { 500 } else { 0 } + rng.random_range(0..1000u64) + extra_us;
                let bucket = bucket(us);
                if s.latency.len() <= bucket {
                    s.latency.resize(bucket + 1, 0);
                }
                s.latency[bucket] += 1;
                ("ok", Some(us))
            }
            Landing::Fail(r) => {
                *s.failed.entry(r).or_default() += 1;
                (r, None)
            }
        };
        if let Some(log) = c.requests.as_mut() {
            log.push(RequestRecord { client: c.client.name.clone(), from: addr.clone(), to, result, latency_us });
        }
    }
    s
}

/// Whether NetworkPolicies let `src` (an address, the pod if it is one) reach the
/// endpoint `ep` (`IP:port`).
fn policy_allows(store: &Store, src: &str, src_pod: Option<&crate::api::Object>, ep: &str, protocol: &str, pods: &BTreeMap<String, PodAt>) -> bool {
    use crate::api::network_policy::End;
    let (ip, port) = ep.rsplit_once(':').map_or((ep, 0), |(i, p)| (i, p.parse().unwrap_or(0)));
    let src_labels = src_pod.and_then(|o| o.as_pod()).map(|p| (p.metadata.namespace.as_str(), &*p.metadata.labels));
    let src_end = End { ip: parse_ip(src).unwrap_or(0), pod: src_labels };
    let dst = pods.get(ip).and_then(|p| p.pod.as_pod());
    let dst_end = End { ip: parse_ip(ip).unwrap_or(0), pod: dst.map(|p| (p.metadata.namespace.as_str(), &*p.metadata.labels)) };
    let named =
        |n: &str| dst.and_then(|p| crate::controller_manager::endpointslice::find_port(p, Some(&crate::api::meta::IntOrString::String(n.into())), protocol));
    crate::network::policy::decide(store, &src_end, &dst_end, port, protocol, &named).allowed()
}

/// Each endpoint of the cluster DNS a resolver on `node` may reach: the kube-dns
/// Service's port 53/UDP as that node's rules program it.
fn dns_servers(node: &str, proxies: &[KubeProxy], pods: &BTreeMap<String, PodAt>, alive: &dyn Fn(&str) -> bool) -> Candidates {
    let Some(proxy) = proxies.iter().find(|p| p.node == node) else { return Err("timeout") };
    let rule = proxy
        .view()
        .ports
        .iter()
        .find(|(n, p)| n.namespace == "kube-system" && n.name == "kube-dns" && p.info.port == 53 && p.info.protocol == "UDP")
        .map(|(_, p)| &**p);
    through(rule, false, node, pods, alive)
}

/// The protocol requests to a target use: a Service port's, else TCP.
fn target_protocol(store: &Store, target: &Target) -> String {
    match target {
        Target::Service { namespace, name, port: want } => store
            .get_parts(&Kind::Service, namespace, name)
            .and_then(|o| o.as_service())
            .and_then(|s| {
                s.spec.ports.iter().find(|p| match want {
                    PortRef::Number(n) => p.port == *n,
                    PortRef::Name(n) => p.name.as_deref() == Some(n.as_str()),
                })
            })
            .and_then(|p| p.protocol.clone())
            .unwrap_or_else(|| "TCP".into()),
        Target::Address { .. } | Target::Name { .. } | Target::Url { .. } => "TCP".into(),
    }
}

/// The counts as JSON (`ksim get traffic -o json` items and the event log's records).
pub fn counters_json(name: &str, c: &Counters) -> serde_json::Value {
    let ms = |v: Option<f64>| v.map(|v| serde_json::json!((v * 100.0).round() / 100.0)).unwrap_or(serde_json::Value::Null);
    serde_json::json!({
        "name": name,
        "sent": c.sent,
        "succeeded": c.succeeded,
        "failed": c.failed,
        "p50_ms": ms(c.percentile_ms(0.5)),
        "p99_ms": ms(c.percentile_ms(0.99)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_targets_parse() {
        assert_eq!(parse_rate("50/s"), Ok(50_000));
        assert_eq!(parse_rate("600/m"), Ok(10_000));
        assert_eq!(parse_rate("0.5/s"), Ok(500));
        assert!(parse_rate("50").is_err());
        assert!(parse_rate("-1/s").is_err());
        assert!(parse_rate("5/h").unwrap_err().contains("unknown unit"));
        assert_eq!(parse_target("service/web:80"), Ok(Target::Service { namespace: "default".into(), name: "web".into(), port: PortRef::Number(80) }));
        assert_eq!(
            parse_target("service/shop/web:http"),
            Ok(Target::Service { namespace: "shop".into(), name: "web".into(), port: PortRef::Name("http".into()) })
        );
        assert_eq!(parse_target("10.244.1.7:8080"), Ok(Target::Address { ip: "10.244.1.7".into(), port: 8080 }));
        assert_eq!(parse_target("web:80"), Ok(Target::Name { host: "web".into(), port: 80 }));
        assert_eq!(
            parse_target("web-0.nginx.default.svc.cluster.local:80"),
            Ok(Target::Name { host: "web-0.nginx.default.svc.cluster.local".into(), port: 80 })
        );
        assert!(parse_target("Web_1:80").is_err());
        assert!(parse_target("web:http").is_err());
        assert!(parse_target("10.244.1.7:99999").is_err());
    }

    #[test]
    fn percentiles_come_from_the_histogram() {
        let mut c = Counters { succeeded: 100, latency: vec![0; 200], ..Default::default() };
        c.latency[99] = 50; // 1.00 ms
        c.latency[149] = 49; // 1.50 ms
        c.latency[199] = 1; // 2.00 ms
        assert_eq!(c.percentile_ms(0.5), Some(1.0));
        assert_eq!(c.percentile_ms(0.99), Some(1.5));
        assert_eq!(c.percentile_ms(1.0), Some(2.0));
    }
}
