//! podtopologyspread/filtering_test.go TestSingleConstraint and TestMultipleConstraints
//! (ListDefaulting without default constraints; node inclusion policies enabled, as they
//! are GA). Upstream's status codes: S success, U Unschedulable, X
//! UnschedulableAndUnresolvable (the node lacks a constraint's topology label).

use super::{code, constraint, node, pod, req, selector, Cluster, PodBuilder};
use crate::api::meta::LabelSelector;
use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::scheduler::plugins::pod_topology_spread::{constraints, filter, pre_filter};

const DNS: &str = "DoNotSchedule";

fn check(incoming: PodBuilder, nodes: Vec<Node>, pods: Vec<Pod>, want: &str, case: &str) {
    let c = Cluster::new(nodes, pods);
    let snap = c.snap();
    let p = incoming.info();
    let (cs, _) = constraints(&p, true, &[], None);
    let state = pre_filter(&p, &snap, cs);
    let got: String = c.nodes.iter().map(|n| code(&state.as_ref().and_then(|s| filter(s, &p, n)))).collect();
    assert_eq!(got, want, "{case}");
}

fn foo() -> Option<LabelSelector> {
    Some(selector(vec![req("foo", "Exists", &[])]))
}
fn bar() -> Option<LabelSelector> {
    Some(selector(vec![req("bar", "Exists", &[])]))
}

/// node-a, node-b in zone1; node-x, node-y in zone2; each labelled node=<name>.
fn four() -> Vec<Node> {
    ["node-a", "node-b", "node-x", "node-y"]
        .iter()
        .map(|n| node(n).label("zone", if *n < "node-c" { "zone1" } else { "zone2" }).label("node", n).obj())
        .collect()
}

/// Pods labelled foo (or other labels) on nodes: (name, node, labels).
fn pods(spec: &[(&str, &str, &[&str])]) -> Vec<Pod> {
    spec.iter().map(|(name, n, labels)| labels.iter().fold(pod(name).node(n), |p, l| p.label(l, "")).obj()).collect()
}

const F: &[&str] = &["foo"];
const B: &[&str] = &["bar"];
const FB: &[&str] = &["foo", "bar"];

/// 2/1/0/3 across node-a, node-b, node-x, node-y.
fn spread_2103() -> Vec<Pod> {
    pods(&[("p-a1", "node-a", F), ("p-a2", "node-a", F), ("p-b1", "node-b", F), ("p-y1", "node-y", F), ("p-y2", "node-y", F), ("p-y3", "node-y", F)])
}

#[test]
fn single_constraint() {
    let zone = |skew| pod("p").label("foo", "").spread(constraint(skew, "zone", DNS, foo(), None, None, None));
    let by_node = |skew| pod("p").label("foo", "").spread(constraint(skew, "node", DNS, foo(), None, None, None));
    check(zone(1), four(), vec![], "SSSS", "no existing pods");
    let p = pod("p").label("foo", "").spread(constraint(1, "zone", DNS, bar(), None, None, None));
    check(p, four(), vec![], "SSSS", "no existing pods, incoming pod doesn't match itself");
    let mut ns = pods(&[("p-a1", "node-a", F), ("p-b1", "node-a", F), ("p-x1", "node-x", F), ("p-y1", "node-y", F)]);
    ns[0].metadata.namespace = "ns1".into();
    ns[1].metadata.namespace = "ns2".into();
    check(zone(1), four(), ns, "SSUU", "existing pods in a different namespace do not count");
    let p = pod("p").label("foo", "").spread(constraint(1, "zone", DNS, None, None, None, None));
    check(p, four(), pods(&[("p-x1", "node-x", F), ("p-y1", "node-y", F)]), "SSSS", "existing pods do not match null selector");
    let three_three =
        pods(&[("p-a1", "node-a", F), ("p-a2", "node-a", F), ("p-b1", "node-b", F), ("p-y1", "node-y", F), ("p-y2", "node-y", F), ("p-y3", "node-y", F)]);
    check(zone(1), four(), three_three, "SSSS", "pods spread across zones as 3/3, all nodes fit");
    let mut typo = four();
    typo[1] = node("node-b").label("zon", "zone1").label("node", "node-b").obj();
    let one_each = pods(&[("p-a1", "node-a", F), ("p-b1", "node-b", F), ("p-x1", "node-x", F), ("p-y1", "node-y", F)]);
    check(zone(1), typo, one_each, "SXUU", "pods spread across zones as 1/2 due to absence of label 'zone' on node-b");
    let p = pod("p").label("foo", "").spread(constraint(1, "rack", DNS, foo(), None, None, None));
    let two = vec![node("node-a").label("zone", "zone1").label("node", "node-a").obj(), node("node-x").label("zone", "zone2").label("node", "node-x").obj()];
    check(p, two, vec![], "XX", "pod cannot be scheduled as all nodes don't have label 'rack'");
    check(by_node(1), four(), spread_2103(), "UUSU", "pods spread across nodes as 2/1/0/3, only node-x fits");
    check(by_node(2), four(), spread_2103(), "USSU", "pods spread across nodes as 2/1/0/3, maxSkew is 2, node-b and node-x fit");
    let p = pod("p").label("bar", "").spread(constraint(1, "node", DNS, foo(), None, None, None));
    check(p, four(), spread_2103(), "USSU", "pods spread across nodes as 2/1/0/3, but pod doesn't match itself");
    // NodeAffinity itself is not run in these unit tests, so node-b and node-x pass.
    let p = by_node(1).required_node_affinity(vec![super::expressions(vec![super::nreq("node", "In", &["node-a", "node-y"])])]);
    check(p, four(), spread_2103(), "SSSU", "incoming pod has nodeAffinity, pods spread as 2/~1~/~0~/3, hence node-a fits");
    let two = vec![node("node-a").label("node", "node-a").obj(), node("node-b").label("node", "node-b").obj()];
    let mut t = pods(&[("p-a", "node-a", F), ("p-b", "node-b", F)]);
    t[0] = pod("p-a").node("node-a").label("foo", "").terminating().obj();
    check(by_node(1), two, t, "SU", "terminating Pods should be excluded");
    let p = zone(1).required_node_affinity(vec![super::expressions(vec![super::nreq("node", "NotIn", &["node-b"])])]);
    check(
        p,
        four(),
        pods(&[("p-b1", "node-b", F), ("p-b2", "node-b", F), ("p-y1", "node-y", F)]),
        "SSUU",
        "incoming pod has nodeAffinity, pods spread as 0/~2~/0/1, hence node-a fits",
    );
    let abc = || ["node-a", "node-b", "node-c"].iter().map(|n| node(n).label("node", n).obj()).collect::<Vec<_>>();
    let two_two_one = || pods(&[("p-a1", "node-a", F), ("p-a2", "node-a", F), ("p-b1", "node-b", F), ("p-b2", "node-b", F), ("p-c1", "node-c", F)]);
    let min_domains = |key: &str, n| pod("p").label("foo", "").spread(constraint(2, key, DNS, foo(), Some(n), None, None));
    let case = "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains < minDomains, then the third node fits";
    check(min_domains("node", 4), abc(), two_two_one(), "UUS", case);
    let case = "pods spread across nodes as 2/2/1, maxSkew is 2, and the number of domains > minDomains, then the all nodes fit";
    check(min_domains("node", 2), abc(), two_two_one(), "SSS", case);
    let two_one = || pods(&[("p-b1", "node-a", F), ("p-b2", "node-b", F), ("p-y1", "node-y", F)]);
    let case = "pods spread across zone as 2/1, maxSkew is 2 and the number of domains < minDomains, then the third and fourth nodes fit";
    check(min_domains("zone", 3), four(), two_one(), "UUSS", case);
    let case = "pods spread across zone as 2/1, maxSkew is 2 and the number of domains > minDomains, then the all nodes fit";
    check(min_domains("zone", 1), four(), two_one(), "SSSS", case);
    // Node inclusion policies: node-a, node-b, node-x labelled foo, node-y not (or tainted).
    let foo_nodes = |y: Node| {
        vec![
            node("node-a").label("node", "node-a").label("foo", "").obj(),
            node("node-b").label("node", "node-b").label("foo", "").obj(),
            node("node-x").label("node", "node-x").label("foo", "").obj(),
            y,
        ]
    };
    let plain_y = || node("node-y").label("node", "node-y").obj();
    let tainted_y = || node("node-y").label("node", "node-y").taint("node.kubernetes.io/unschedulable", "", "NoSchedule").obj();
    let policy = |affinity: Option<&str>, taints: Option<&str>| pod("p").label("foo", "").spread(constraint(1, "node", DNS, foo(), None, affinity, taints));
    let nodeaffinity_foo = || vec![super::expressions(vec![super::nreq("foo", "In", &[""])])];
    // NodeAffinity and TaintToleration themselves are not run: node-y passes their part.
    check(policy(None, None).node_selector("foo", ""), foo_nodes(plain_y()), two_one(), "UUSS", "NodeAffinityPolicy honored with labelSelectors");
    check(policy(Some("Ignore"), None).node_selector("foo", ""), foo_nodes(plain_y()), two_one(), "UUSU", "NodeAffinityPolicy ignored with labelSelectors");
    check(
        policy(None, None).required_node_affinity(nodeaffinity_foo()),
        foo_nodes(plain_y()),
        two_one(),
        "UUSS",
        "NodeAffinityPolicy honored with nodeAffinity",
    );
    check(
        policy(Some("Ignore"), None).required_node_affinity(nodeaffinity_foo()),
        foo_nodes(plain_y()),
        two_one(),
        "UUSU",
        "NodeAffinityPolicy ignored with labelSelectors",
    );
    check(policy(None, Some("Honor")), foo_nodes(tainted_y()), two_one(), "UUSS", "NodeTaintsPolicy honored");
    check(policy(None, None), foo_nodes(tainted_y()), two_one(), "UUSU", "NodeTaintsPolicy ignored");
}

#[test]
fn multiple_constraints() {
    let zone_node = |zone_sel: Option<LabelSelector>, node_sel: Option<LabelSelector>, labels: &[&str]| {
        labels
            .iter()
            .fold(pod("p"), |p, l| p.label(l, ""))
            .spread(constraint(1, "zone", DNS, zone_sel, None, None, None))
            .spread(constraint(1, "node", DNS, node_sel, None, None, None))
    };
    check(zone_node(foo(), foo(), F), four(), spread_2103(), "UUSU", "two Constraints on zone and node, spreads = [3/3, 2/1/0/3]");
    let mut four_on_y = spread_2103();
    four_on_y.extend(pods(&[("p-y4", "node-y", F)]));
    check(zone_node(foo(), foo(), F), four(), four_on_y, "UUUU", "two Constraints on zone and node, spreads = [3/4, 2/1/0/4]");
    let case = "Constraints hold different labelSelectors, spreads = [1/0, 1/0/0/1]";
    check(zone_node(foo(), bar(), FB), four(), pods(&[("p-a1", "node-a", F), ("p-y1", "node-y", B)]), "UUSU", case);
    let case = "Constraints hold different labelSelectors, spreads = [1/0, 0/0/1/1]";
    check(zone_node(foo(), bar(), FB), four(), pods(&[("p-a1", "node-a", F), ("p-x1", "node-x", B), ("p-y1", "node-y", B)]), "UUUU", case);
    let case = "Constraints hold different labelSelectors, spreads = [2/3, 1/0/0/1]";
    let existing = pods(&[("p-a1", "node-a", F), ("p-a2", "node-a", FB), ("p-y1", "node-y", F), ("p-y2", "node-y", FB), ("p-y3", "node-y", F)]);
    check(zone_node(foo(), bar(), FB), four(), existing, "USUU", case);
    let case = "Constraints hold different labelSelectors but pod doesn't match itself on 'zone' constraint";
    check(zone_node(foo(), bar(), B), four(), pods(&[("p-a1", "node-a", F), ("p-x1", "node-x", B), ("p-y1", "node-y", B)]), "SSUU", case);
    let case = "two Constraints on zone and node, absence of label 'node' on node-x, spreads = [1/1, 1/0/0/1]";
    let mut no_x = four();
    no_x[2] = node("node-x").label("zone", "zone2").obj();
    check(zone_node(foo(), foo(), F), no_x, pods(&[("p-a1", "node-a", F), ("p-y3", "node-y", F)]), "USXU", case);
    // Node inclusion policies, zone: affinity/taints, node: affinity/taints.
    let zn = |za: Option<&str>, zt: Option<&str>, na: Option<&str>, nt: Option<&str>| {
        pod("p").label("foo", "").spread(constraint(1, "zone", DNS, foo(), None, za, zt)).spread(constraint(1, "node", DNS, foo(), None, na, nt))
    };
    let n = |name: &str, zone: &str, foo_label: bool, tainted: bool| {
        let mut b = node(name).label("zone", zone).label("node", name);
        if foo_label {
            b = b.label("foo", "");
        }
        if tainted {
            b = b.taint("node.kubernetes.io/unschedulable", "", "NoSchedule");
        }
        b.obj()
    };
    let existing = || pods(&[("p-a1", "node-a", F), ("p-b1", "node-b", F), ("p-y1", "node-y", F)]);
    let nodes =
        vec![n("node-a", "zone1", true, false), n("node-b", "zone1", true, false), n("node-x", "zone2", true, false), n("node-y", "zone2", false, false)];
    check(
        zn(None, None, Some("Ignore"), None).node_selector("foo", ""),
        nodes,
        existing(),
        "UUSU",
        "two node inclusion Constraints, zone: honor/ignore, node: ignore/ignore",
    );
    let nodes =
        vec![n("node-a", "zone1", true, false), n("node-b", "zone1", true, false), n("node-x", "zone2", true, false), n("node-y", "zone2", false, true)];
    check(zn(None, Some("Honor"), None, None), nodes, existing(), "UUSU", "two node inclusion Constraints, zone: honor/honor, node: honor/ignore");
    let nodes =
        || vec![n("node-a", "zone1", true, false), n("node-b", "zone1", false, false), n("node-x", "zone2", true, false), n("node-y", "zone2", true, true)];
    check(
        zn(None, None, None, None).node_selector("foo", ""),
        nodes(),
        existing(),
        "USSU",
        "two node inclusion Constraints, zone: honor/ignore, node: honor/ignore",
    );
    check(
        zn(None, Some("Honor"), Some("Ignore"), None).node_selector("foo", ""),
        nodes(),
        existing(),
        "UUSU",
        "two node inclusion Constraints, zone: honor/honor, node: ignore/ignore",
    );
}

/// TestPreFilterStateRemovePod (node inclusion policies enabled): RemovePod, as
/// preemption's dry run calls it, leaves TpPairToMatchNum (per constraint) and the
/// critical paths' minimum (min_match) as upstream lists them.
#[test]
fn pre_filter_state_remove_pod() {
    use crate::scheduler::plugins::pod_topology_spread::update_with_pod;
    let run = |preemptor: PodBuilder, nodes: Vec<Node>, existing: Vec<Pod>, deleted: Pod, want: Vec<Vec<(&str, i64)>>, want_min: Vec<i64>, case: &str| {
        let c = Cluster::new(nodes, existing);
        let snap = c.snap();
        let p = preemptor.info();
        let (cs, _) = constraints(&p, true, &[], None);
        let mut s = pre_filter(&p, &snap, cs).expect("constraints");
        let ni = c.index(&deleted.spec.node_name);
        let d = crate::scheduler::framework::PodInfo::new(std::rc::Rc::new(crate::api::Object::Pod(Box::new(deleted))));
        update_with_pod(&mut s, &p, &d, &c.nodes[ni], -1);
        let want: Vec<std::collections::BTreeMap<String, i64>> = want.into_iter().map(|m| m.into_iter().map(|(k, v)| (k.to_string(), v)).collect()).collect();
        assert_eq!(s.counts, want, "{case}: TpPairToMatchNum");
        assert_eq!(s.min_match, want_min, "{case}: critical paths");
    };
    let zone = || pod("p").label("foo", "").spread(constraint(1, "zone", DNS, foo(), None, None, None));
    let abx = || four().into_iter().take(3).collect::<Vec<_>>();
    let p = |name: &str, n: &str| pod(name).node(n).label("foo", "").obj();
    let case = "one spreadConstraint on zone, topologyKeyToMinPodsMap unchanged";
    run(
        zone(),
        abx(),
        vec![p("p-a1", "node-a"), p("p-b1", "node-b"), p("p-x1", "node-x")],
        p("p-a1", "node-a"),
        vec![vec![("zone1", 1), ("zone2", 1)]],
        vec![1],
        case,
    );
    let case = "one spreadConstraint on node, topologyKeyToMinPodsMap changed";
    let one_each = || vec![p("p-a1", "node-a"), p("p-b1", "node-b"), p("p-x1", "node-x"), p("p-y1", "node-y")];
    run(zone(), four(), one_each(), p("p-a1", "node-a"), vec![vec![("zone1", 1), ("zone2", 2)]], vec![1], case);
    let a0 = || pod("p-a0").node("node-a").label("bar", "").obj();
    let case = "delete an irrelevant pod won't help";
    let mut with_a0 = vec![a0()];
    with_a0.extend(one_each());
    run(zone(), four(), with_a0, a0(), vec![vec![("zone1", 2), ("zone2", 2)]], vec![2], case);
    let case = "delete a non-existing pod won't help";
    run(zone(), four(), one_each(), a0(), vec![vec![("zone1", 2), ("zone2", 2)]], vec![2], case);
    let case = "two spreadConstraints";
    let both = zone().spread(constraint(1, "node", DNS, foo(), None, None, None));
    let existing = vec![p("p-a1", "node-a"), p("p-a2", "node-a"), p("p-b1", "node-b"), p("p-x1", "node-x"), p("p-x2", "node-x")];
    let want = vec![vec![("zone1", 3), ("zone2", 1)], vec![("node-a", 2), ("node-b", 1), ("node-x", 1)]];
    run(both, abx(), existing, p("p-x1", "node-x"), want, vec![1, 1], case);
    let ab = || {
        vec![
            node("node-a").label("zone", "zone1").label("node", "node-a").label("foo", "bar").obj(),
            node("node-b").label("zone", "zone2").label("node", "node-b").label("foo", "").obj(),
        ]
    };
    let zp = |name: &str, n: &str, z: &str| pod(name).node(n).label("foo", "").label("zone", z).obj();
    let case = "remove a pod when scheduling node affinity unmatched pod with NodeInclusionPolicy enabled";
    let unmatched = zone().required_node_affinity(vec![super::expressions(vec![super::nreq("foo", "NotIn", &["bar"])])]);
    run(
        unmatched,
        ab(),
        vec![zp("p-a2", "node-a", "zone1"), zp("p-b1", "node-b", "zone2")],
        zp("p-a1", "node-a", "zone1"),
        vec![vec![("zone2", 1)]],
        vec![1],
        case,
    );
    let case = "remove a pod when scheduling node affinity matched pod with NodeInclusionPolicy enabled";
    let existing = vec![zp("p-a1", "node-a", "zone1"), zp("p-b2", "node-b", "zone2")];
    run(zone(), ab(), existing, zp("p-b1", "node-b", "zone2"), vec![vec![("zone1", 1), ("zone2", 0)]], vec![0], case);
}
