//! Whether NetworkPolicies let a connection through, and which policy and rule decided
//! (the semantics are in api/network_policy.rs): the source pod's egress, then the
//! destination pod's ingress. Used by the traffic model (a denied request counts as
//! `denied`; the client sees it time out, as most CNIs drop) and by `ksim can-reach`.

use crate::api::meta::Labels;
use crate::api::network_policy::{ports_allow, End, NetworkPolicy, Peer};
use crate::api::Kind;
use crate::etcd::Store;

/// The decision of one direction (egress at the source, ingress at the destination).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Side {
    /// No policy isolates the pod in this direction (or the end is not a pod).
    Open,
    /// Allowed by this policy's rule (1-based).
    Allowed { policy: String, rule: usize },
    /// Isolated by these policies, and none of their rules allows it.
    Denied { policies: Vec<String> },
}

/// Egress then ingress.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub egress: Side,
    pub ingress: Side,
}

impl Verdict {
    pub fn allowed(&self) -> bool {
        !matches!(self.egress, Side::Denied { .. }) && !matches!(self.ingress, Side::Denied { .. })
    }
}

/// The namespaces' labels as the store has them.
pub fn namespace_labels(store: &Store, ns: &str) -> Option<Labels> {
    store.get_parts(&Kind::Namespace, "", ns).map(|o| (*o.meta().labels).clone())
}

fn name(p: &NetworkPolicy) -> String {
    format!("networkpolicy/{}/{}", p.metadata.namespace, p.metadata.name)
}

/// One direction for the pod at `this` talking to `other`: `egress` picks the rules.
#[allow(clippy::too_many_arguments)]
fn side(
    policies: &[&NetworkPolicy],
    this: &End,
    other: &End,
    egress: bool,
    port: i32,
    protocol: &str,
    named: &dyn Fn(&str) -> Option<i32>,
    ns_labels: &dyn Fn(&str) -> Option<Labels>,
) -> Side {
    let Some((ns, labels)) = this.pod else { return Side::Open };
    let isolating: Vec<&&NetworkPolicy> = policies.iter().filter(|p| p.selects(ns, labels) && if egress { p.types().1 } else { p.types().0 }).collect();
    if isolating.is_empty() {
        return Side::Open;
    }
    let peers_ok = |peers: &[Peer], pns: &str| peers.is_empty() || peers.iter().any(|peer| peer.includes(other, pns, ns_labels));
    for p in &isolating {
        let pns = p.metadata.namespace.as_str();
        let hit = if egress {
            p.spec.egress.iter().position(|r| peers_ok(&r.to, pns) && ports_allow(&r.ports, port, protocol, named))
        } else {
            p.spec.ingress.iter().position(|r| peers_ok(&r.from, pns) && ports_allow(&r.ports, port, protocol, named))
        };
        if let Some(i) = hit {
            return Side::Allowed { policy: name(p), rule: i + 1 };
        }
    }
    Side::Denied { policies: isolating.iter().map(|p| name(p)).collect() }
}

/// Whether `src` may open a connection to `dst` on `port`/`protocol`; `named` resolves a
/// named port on the destination pod.
pub fn decide(store: &Store, src: &End, dst: &End, port: i32, protocol: &str, named: &dyn Fn(&str) -> Option<i32>) -> Verdict {
    let policies: Vec<&NetworkPolicy> = store.list(&Kind::NetworkPolicy).filter_map(|o| o.as_network_policy()).collect();
    let ns_labels = |ns: &str| namespace_labels(store, ns);
    if policies.is_empty() {
        return Verdict { egress: Side::Open, ingress: Side::Open };
    }
    Verdict {
        egress: side(&policies, src, dst, true, port, protocol, named, &ns_labels),
        ingress: side(&policies, dst, src, false, port, protocol, named, &ns_labels),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::LabelSelector;
    use crate::api::network_policy::{EgressRule, IngressRule, IpBlock, PolicyPort};

    fn labels(kv: &[(&str, &str)]) -> Labels {
        kv.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
    }

    fn sel(kv: &[(&str, &str)]) -> LabelSelector {
        LabelSelector { match_labels: labels(kv), ..Default::default() }
    }

    fn policy(name: &str, selector: LabelSelector) -> NetworkPolicy {
        let mut p = NetworkPolicy::default();
        p.metadata.namespace = "default".into();
        p.metadata.name = name.into();
        p.spec.pod_selector = selector;
        p
    }

    /// The documentation's cases (concepts/services-networking/network-policies): a
    /// default deny isolates every pod of the namespace; an allow rule for one peer and
    /// port lets only that through; policies add up; namespaceSelector and podSelector
    /// in one peer mean both; ipBlock with except; egress isolates the sender.
    #[test]
    fn policies_isolate_and_rules_add_up_as_documented() {
        let none = |_: &str| None;
        let ns = |n: &str| Some(labels(&[("kubernetes.io/metadata.name", n)]));
        let (web, db, other) = (labels(&[("app", "web")]), labels(&[("app", "db")]), labels(&[("app", "other")]));
        let web_end = End { ip: 1, pod: Some(("default", &web)) };
        let db_end = End { ip: 2, pod: Some(("default", &db)) };
        let other_end = End { ip: 3, pod: Some(("default", &other)) };
        let deny = policy("default-deny", LabelSelector::default());
        let mut allow = policy("allow-web", sel(&[("app", "db")]));
        allow.spec.ingress = vec![IngressRule {
            from: vec![Peer { pod_selector: Some(sel(&[("app", "web")])), ..Default::default() }],
            ports: vec![PolicyPort { protocol: None, port: Some(crate::api::meta::IntOrString::Int(5432)), end_port: None }],
        }];
        let ps = [&deny, &allow];
        assert_eq!(side(&ps, &db_end, &web_end, false, 5432, "TCP", &none, &ns), Side::Allowed { policy: "networkpolicy/default/allow-web".into(), rule: 1 });
        assert!(matches!(side(&ps, &db_end, &web_end, false, 80, "TCP", &none, &ns), Side::Denied { .. }), "another port");
        assert!(matches!(side(&ps, &db_end, &other_end, false, 5432, "TCP", &none, &ns), Side::Denied { .. }), "another pod");
        assert!(
            matches!(side(&ps, &web_end, &db_end, false, 80, "TCP", &none, &ns), Side::Denied { policies } if policies == ["networkpolicy/default/default-deny"])
        );
        assert_eq!(side(&[&allow], &web_end, &db_end, false, 80, "TCP", &none, &ns), Side::Open, "web is selected by no policy");
        // Egress: an Egress policy with no rules isolates the sender.
        let mut no_egress = policy("no-egress", sel(&[("app", "web")]));
        no_egress.spec.policy_types = vec!["Egress".into()];
        assert!(matches!(side(&[&no_egress], &web_end, &db_end, true, 5432, "TCP", &none, &ns), Side::Denied { .. }));
        assert_eq!(side(&[&no_egress], &web_end, &db_end, false, 5432, "TCP", &none, &ns), Side::Open, "policyTypes Egress only: ingress stays open");
        // An ipBlock peer with an except.
        let mut cidr = policy("cidr", sel(&[("app", "web")]));
        cidr.spec.egress = vec![EgressRule {
            to: vec![Peer { ip_block: Some(IpBlock { cidr: "10.0.0.0/8".into(), except: vec!["10.1.0.0/16".into()] }), ..Default::default() }],
            ports: vec![],
        }];
        let outside = |ip: &str| End { ip: crate::network::ipam::parse_ip(ip).unwrap(), pod: None };
        assert!(matches!(side(&[&cidr], &web_end, &outside("10.2.3.4"), true, 443, "TCP", &none, &ns), Side::Allowed { .. }));
        assert!(matches!(side(&[&cidr], &web_end, &outside("10.1.3.4"), true, 443, "TCP", &none, &ns), Side::Denied { .. }));
        // namespaceSelector and podSelector in one peer: both must hold.
        let mut both = policy("both", sel(&[("app", "db")]));
        both.spec.ingress = vec![IngressRule {
            from: vec![Peer {
                namespace_selector: Some(sel(&[("kubernetes.io/metadata.name", "shop")])),
                pod_selector: Some(sel(&[("app", "web")])),
                ..Default::default()
            }],
            ports: vec![],
        }];
        let shop_web = End { ip: 4, pod: Some(("shop", &web)) };
        assert!(matches!(side(&[&both], &db_end, &shop_web, false, 1, "TCP", &none, &ns), Side::Allowed { .. }));
        assert!(matches!(side(&[&both], &db_end, &web_end, false, 1, "TCP", &none, &ns), Side::Denied { .. }), "web of another namespace");
    }
}
