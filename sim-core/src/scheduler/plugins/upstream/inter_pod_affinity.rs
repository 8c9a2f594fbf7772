//! interpodaffinity/filtering_test.go, the Filter half: TestRequiredAffinitySingleNode and
//! TestRequiredAffinityMultipleNodes. A PreFilter Skip (ksim: no state) lets every node
//! pass; where upstream skips and ksim keeps an empty state the outcome is the same.
//! Upstream's default namespace is ""; here it is "default" (only equality matters).

use super::{node, pod, req, selector, term, Cluster, PodBuilder};
use crate::api::meta::LabelSelector;
use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::scheduler::framework::Status;
use crate::scheduler::plugins::inter_pod_affinity::{
    filter, pre_filter, ERR_REASON_AFFINITY, ERR_REASON_ANTI_AFFINITY, ERR_REASON_EXISTING_ANTI_AFFINITY, NAME,
};

/// Filter on every node after PreFilter: S success, A ErrReasonAffinityRulesNotMatch
/// (UnschedulableAndUnresolvable), N ErrReasonAntiAffinityRulesNotMatch (Unschedulable),
/// E ErrReasonExistingAntiAffinityRulesNotMatch (Unschedulable).
fn check(incoming: PodBuilder, pods: Vec<Pod>, nodes: Vec<Node>, want: &str, case: &str) {
    // filtering_test.go's namespaces (scoring_test.go `namespaces`).
    let c = Cluster::new(nodes, pods)
        .namespace("subteam1.team1", &[("team", "team1")])
        .namespace("subteam2.team1", &[("team", "team1")])
        .namespace("subteam1.team2", &[("team", "team2")])
        .namespace("subteam2.team2", &[("team", "team2")]);
    let snap = c.snap();
    let p = incoming.info();
    let state = pre_filter(&p, &snap);
    let got: Vec<Option<Status>> = c.nodes.iter().map(|n| state.as_ref().and_then(|s| filter(s, &p, n, &snap))).collect();
    let expect: Vec<Option<Status>> = want
        .chars()
        .map(|w| match w {
            'S' => None,
            'A' => Some(Status::unresolvable(NAME, ERR_REASON_AFFINITY.into())),
            'N' => Some(Status::unschedulable(NAME, vec![ERR_REASON_ANTI_AFFINITY.into()])),
            'E' => Some(Status::unschedulable(NAME, vec![ERR_REASON_EXISTING_ANTI_AFFINITY.into()])),
            _ => unreachable!(),
        })
        .collect();
    assert_eq!(got, expect, "{case}");
}

fn is_in(key: &str, values: &[&str]) -> LabelSelector {
    selector(vec![req(key, "In", values)])
}
fn not_in(key: &str, values: &[&str]) -> LabelSelector {
    selector(vec![req(key, "NotIn", values)])
}
fn exists(key: &str) -> LabelSelector {
    selector(vec![req(key, "Exists", &[])])
}

#[test]
fn required_affinity_single_node() {
    let node1 = || vec![node("node1").label("region", "r1").label("zone", "z11").obj()];
    // The existing pod: st.MakePod().Labels(podLabel).Node("node1").
    let existing = || pod("existing").label("service", "securityscan").node("node1");
    let label2 = || pod("p").label("security", "S1");
    let scan = || is_in("service", &["securityscan", "value2"]);
    let antivirus = || is_in("service", &["antivirusscan", "value2"]);
    let case = "A pod that has no required pod affinity scheduling rules can schedule onto a node with no existing pods";
    check(pod("p"), vec![], node1(), "S", case);
    let case = "satisfies with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using In operator that matches the existing pod";
    check(label2().affinity_term(term(scan(), "region")), vec![existing().obj()], node1(), "S", case);
    let case = "satisfies the pod with requiredDuringSchedulingIgnoredDuringExecution in PodAffinity using not in operator in labelSelector that matches the existing pod";
    check(label2().affinity_term(term(not_in("service", &["securityscan3", "value3"]), "region")), vec![existing().obj()], node1(), "S", case);
    let case = "Does not satisfy the PodAffinity with labelSelector because of diff Namespace";
    let mut t = term(scan(), "");
    t.namespaces = vec!["DiffNameSpace".into()];
    check(label2().affinity_term(t), vec![existing().ns("ns").obj()], node1(), "A", case);
    let case = "Doesn't satisfy the PodAffinity because of unmatching labelSelector with the existing pod";
    check(pod("p").label("service", "securityscan").affinity_term(term(antivirus(), "")), vec![existing().obj()], node1(), "A", case);
    let two_terms = |second: &str| {
        label2()
            .affinity_term(term(selector(vec![req("service", "Exists", &[]), req("wrongkey", "DoesNotExist", &[])]), "region"))
            .affinity_term(term(selector(vec![req("service", "In", &[second]), req("service", "NotIn", &["WrongValue"])]), "region"))
    };
    let case = "satisfies the PodAffinity with different label Operators in multiple RequiredDuringSchedulingIgnoredDuringExecution ";
    check(two_terms("securityscan"), vec![existing().obj()], node1(), "S", case);
    let case = "The labelSelector requirements(items of matchExpressions) are ANDed, the pod cannot schedule onto the node because one of the matchExpression item don't match.";
    check(two_terms("securityscan2"), vec![existing().obj()], node1(), "A", case);
    let both = || label2().affinity_term(term(scan(), "region")).anti_affinity_term(term(antivirus(), "node"));
    let case = "satisfies the PodAffinity and PodAntiAffinity with the existing pod";
    check(both(), vec![existing().obj()], node1(), "S", case);
    let case = "satisfies the PodAffinity and PodAntiAffinity and PodAntiAffinity symmetry with the existing pod";
    check(both(), vec![existing().anti_affinity_term(term(antivirus(), "node")).obj()], node1(), "S", case);
    let case = "satisfies the PodAffinity but doesn't satisfy the PodAntiAffinity with the existing pod";
    check(label2().affinity_term(term(scan(), "region")).anti_affinity_term(term(scan(), "zone")), vec![existing().obj()], node1(), "N", case);
    let case = "satisfies the PodAffinity and PodAntiAffinity but doesn't satisfy PodAntiAffinity symmetry with the existing pod";
    let p = pod("p").label("service", "securityscan").affinity_term(term(scan(), "region")).anti_affinity_term(term(antivirus(), "node"));
    check(p, vec![existing().anti_affinity_term(term(scan(), "zone")).obj()], node1(), "E", case);
    // The existing pod of this case is on node2, which is not in the snapshot; it does not
    // match the NotIn term either way.
    let case = "pod matches its own Label in PodAffinity and that matches the existing pod Labels";
    check(pod("p").label("service", "securityscan").affinity_term(term(not_in("service", &["securityscan", "value2"]), "region")), vec![], node1(), "A", case);
    let case = "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. doesn't satisfy PodAntiAffinity symmetry with the existing pod";
    check(pod("p").label("service", "securityscan"), vec![existing().anti_affinity_term(term(scan(), "zone")).obj()], node1(), "E", case);
    let case = "verify that PodAntiAffinity from existing pod is respected when pod has no AntiAffinity constraints. satisfy PodAntiAffinity symmetry with the existing pod";
    let e = existing().anti_affinity_term(term(not_in("service", &["securityscan", "value2"]), "zone"));
    check(pod("p").label("service", "securityscan"), vec![e.obj()], node1(), "S", case);
    let case = "satisfies the PodAntiAffinity with existing pod but doesn't satisfy PodAntiAffinity symmetry with incoming pod";
    let p =
        pod("p").label("service", "securityscan").anti_affinity_term(term(exists("service"), "region")).anti_affinity_term(term(exists("security"), "region"));
    let e = pod("e").label("security", "S1").node("node1").anti_affinity_term(term(exists("security"), "zone"));
    check(p, vec![e.obj()], node1(), "N", case);
    let case = "PodAntiAffinity symmetry check a1: incoming pod and existing pod partially match each other on AffinityTerms";
    let p = pod("p").label("service", "securityscan").anti_affinity_term(term(exists("service"), "zone")).anti_affinity_term(term(exists("security"), "zone"));
    let e = pod("e").label("security", "S1").node("node1").anti_affinity_term(term(exists("security"), "zone"));
    check(p, vec![e.obj()], node1(), "N", case);
    let case = "PodAntiAffinity symmetry check a2: incoming pod and existing pod partially match each other on AffinityTerms";
    let p = pod("p").label("security", "S1").anti_affinity_term(term(exists("security"), "zone"));
    let e = existing().anti_affinity_term(term(exists("service"), "zone")).anti_affinity_term(term(exists("security"), "zone"));
    check(p, vec![e.obj()], node1(), "E", case);
    let abc_def = |p: PodBuilder| p.anti_affinity_term(term(exists("abc"), "zone")).anti_affinity_term(term(exists("def"), "zone"));
    let case = "PodAntiAffinity symmetry check b1: incoming pod and existing pod partially match each other on AffinityTerms";
    let e = abc_def(pod("e").label("def", "").label("xyz", "").node("node1"));
    check(abc_def(pod("p").label("abc", "").label("xyz", "")), vec![e.obj()], node1(), "N", case);
    let case = "PodAntiAffinity symmetry check b2: incoming pod and existing pod partially match each other on AffinityTerms";
    let e = abc_def(pod("e").label("abc", "").label("xyz", "").node("node1"));
    check(abc_def(pod("p").label("def", "").label("xyz", "")), vec![e.obj()], node1(), "N", case);
    // Not ported: "PodAffinity fails PreFilter with an invalid affinity label syntax" and its
    // anti-affinity twin: ksim's apiserver refuses such a pod (validatePodAffinity), so it
    // never reaches the scheduler.
    let team1 = || selector(vec![req("team", "In", &["team1"])]);
    let with_ns_selector = |sel: LabelSelector, key: &str| {
        let mut t = term(scan(), key);
        t.namespace_selector = Some(sel);
        t
    };
    let case = "affinity with NamespaceSelector";
    check(label2().affinity_term(with_ns_selector(team1(), "region")), vec![existing().ns("subteam1.team1").obj()], node1(), "S", case);
    let case = "affinity with non-matching NamespaceSelector";
    check(label2().affinity_term(with_ns_selector(team1(), "region")), vec![existing().ns("subteam1.team2").obj()], node1(), "A", case);
    let anti_ns = |sel: LabelSelector| label2().ns("subteam1.team1").anti_affinity_term(with_ns_selector(sel, "zone"));
    let case = "anti-affinity with matching NamespaceSelector";
    check(anti_ns(team1()), vec![existing().ns("subteam2.team1").obj()], node1(), "N", case);
    let case = "anti-affinity with matching all NamespaceSelector";
    check(anti_ns(LabelSelector::default()), vec![existing().ns("subteam2.team1").obj()], node1(), "N", case);
    let case = "anti-affinity with non-matching NamespaceSelector";
    check(anti_ns(team1()), vec![existing().ns("subteam1.team2").obj()], node1(), "S", case);
}

#[test]
fn required_affinity_multiple_nodes() {
    let china = |n: &str| node(n).label("region", "China").obj();
    let china_az1 = |n: &str| node(n).label("region", "China").label("az", "az1").obj();
    let india = |n: &str| node(n).label("region", "India").obj();
    let rzh = |n: &str, r: &str, z: &str| node(n).label("region", r).label("zone", z).label("hostname", n).obj();
    let case = "A pod can be scheduled onto all the nodes that have the same topology key & label value with one of them has an existing pod that matches the affinity rules";
    let p = pod("p").affinity_term(term(is_in("foo", &["bar"]), "region"));
    check(p, vec![pod("p1").node("node1").label("foo", "bar").obj()], vec![china("node1"), china_az1("node2"), india("node3")], "SSA", case);
    let collection = || {
        pod("p")
            .label("foo", "bar")
            .label("service", "securityscan")
            .affinity_term(term(is_in("foo", &["bar"]), "zone"))
            .affinity_term(term(is_in("service", &["securityscan"]), "zone"))
    };
    let zoned = |key: &str| vec![node("nodeA").label(key, "az1").label("hostname", "h1").obj(), node("nodeB").label(key, "az2").label("hostname", "h2").obj()];
    let case = "The affinity rule is to schedule all of the pods of this collection to the same zone. The first pod of the collection should not be blocked from being scheduled onto any node, even there's no existing pod that matches the rule anywhere.";
    check(collection(), vec![pod("p1").node("nodeA").label("foo", "bar").obj()], zoned("zone"), "SS", case);
    let case = "The first pod of the collection can only be scheduled on nodes labelled with the requested topology keys";
    check(collection(), vec![pod("p1").node("nodeA").label("foo", "bar").obj()], zoned("zoneLabel"), "AA", case);
    let case = "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB.";
    let anti_abc = || pod("p").anti_affinity_term(term(is_in("foo", &["abc"]), "region"));
    let ab =
        || vec![node("nodeA").label("region", "r1").label("hostname", "nodeA").obj(), node("nodeB").label("region", "r1").label("hostname", "nodeB").obj()];
    check(anti_abc(), vec![pod("e").node("nodeA").label("foo", "abc").obj()], ab(), "NN", case);
    let case = "This test ensures that anti-affinity matches a pod when any term of the anti-affinity rule matches a pod.";
    let p = anti_abc().anti_affinity_term(term(is_in("service", &["securityscan"]), "zone"));
    let e = pod("e").node("nodeA").label("foo", "abc").label("service", "securityscan");
    check(p, vec![e.obj()], vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")], "NN", case);
    let three = || vec![china("nodeA"), china_az1("nodeB"), india("nodeC")];
    let case = "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA and nodeB but can be scheduled onto nodeC";
    check(anti_abc(), vec![pod("e").node("nodeA").label("foo", "abc").obj()], three(), "NNS", case);
    let case = "NodeA and nodeB have same topologyKey and label value. NodeA has an existing pod that matches the inter pod affinity rule. The pod can not be scheduled onto nodeA, nodeB, but can be scheduled onto nodeC (NodeC has an existing pod that match the inter pod affinity rule but in different namespace)";
    let p = pod("p").ns("NS1").label("foo", "123").anti_affinity_term(term(is_in("foo", &["bar"]), "region"));
    let pods = vec![
        pod("e1").node("nodeA").ns("NS1").label("foo", "bar").obj(),
        pod("e2").node("nodeC").ns("NS2").anti_affinity_term(term(is_in("foo", &["123"]), "region")).obj(),
    ];
    check(p, pods, three(), "NNS", case);
    let z1 = || vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z1")];
    let z12 = || vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2")];
    let case = "Test existing pod's anti-affinity: if an existing pod has a term with invalid topologyKey, labelSelector of the term is firstly checked, and then topologyKey of the term is also checked";
    let e = pod("e").node("nodeA").anti_affinity_term(term(exists("foo"), "invalid-node-label"));
    check(pod("p").label("foo", ""), vec![e.obj()], z1(), "SS", case);
    let case = "Test incoming pod's anti-affinity: even if labelSelector matches, we still check if topologyKey matches";
    let p = pod("p").node("nodeA").anti_affinity_term(term(exists("foo"), "invalid-node-label"));
    check(p, vec![pod("e").node("nodeA").label("foo", "").obj()], z1(), "SS", case);
    let case = "Test existing pod's anti-affinity: incoming pod wouldn't considered as a fit as it violates each existingPod's terms on all nodes";
    let pods = vec![
        pod("e1").node("nodeA").anti_affinity_term(term(exists("foo"), "zone")).obj(),
        pod("e2").node("nodeA").anti_affinity_term(term(exists("bar"), "region")).obj(),
    ];
    check(pod("p").label("foo", "").label("bar", ""), pods, z12(), "EE", case);
    let case = "Test incoming pod's anti-affinity: incoming pod wouldn't considered as a fit as it at least violates one anti-affinity rule of existingPod";
    let p = pod("p").anti_affinity_term(term(exists("foo"), "zone")).anti_affinity_term(term(exists("bar"), "region"));
    check(p, vec![pod("e1").node("nodeA").label("foo", "").obj(), pod("e2").node("nodeB").label("bar", "").obj()], z12(), "NN", case);
    let case = "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey";
    let e = pod("e").node("nodeA").anti_affinity_term(term(exists("foo"), "invalid-node-label")).anti_affinity_term(term(exists("bar"), "zone"));
    check(pod("p").label("foo", "").label("bar", ""), vec![e.obj()], z12(), "ES", case);
    let case = "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when one term has invalid topologyKey";
    let p = pod("p").anti_affinity_term(term(exists("foo"), "invalid-node-label")).anti_affinity_term(term(exists("bar"), "zone"));
    check(p, vec![pod("podA").node("nodeA").label("foo", "").label("bar", "").obj()], z12(), "NS", case);
    let case = "Test existing pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey";
    let e = pod("e").node("nodeA").anti_affinity_term(term(exists("foo"), "region")).anti_affinity_term(term(exists("bar"), "zone"));
    check(pod("p").label("foo", "").label("bar", ""), vec![e.obj()], z12(), "EE", case);
    let case = "Test incoming pod's anti-affinity: only when labelSelector and topologyKey both match, it's counted as a single term match - case when all terms have valid topologyKey";
    let p = pod("p").anti_affinity_term(term(exists("foo"), "region")).anti_affinity_term(term(exists("bar"), "zone"));
    check(p, vec![pod("e").node("nodeA").label("foo", "").label("bar", "").obj()], z12(), "NN", case);
    let case = "Test existing pod's anti-affinity: existingPod on nodeA and nodeB has at least one anti-affinity term matches incoming pod, so incoming pod can only be scheduled to nodeC";
    let pods = vec![
        pod("e1").node("nodeA").anti_affinity_term(term(exists("foo"), "zone")).anti_affinity_term(term(exists("labelA"), "zone")).obj(),
        pod("e2").node("nodeB").anti_affinity_term(term(exists("bar"), "zone")).anti_affinity_term(term(exists("labelB"), "zone")).obj(),
    ];
    check(pod("p").label("foo", "").label("bar", ""), pods, vec![rzh("nodeA", "r1", "z1"), rzh("nodeB", "r1", "z2"), rzh("nodeC", "r1", "z3")], "EES", case);
    let affinity_foo_bar = || pod("p").affinity_term(term(exists("foo"), "region")).affinity_term(term(exists("bar"), "zone"));
    let case = "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match";
    check(affinity_foo_bar(), vec![pod("pod1").node("nodeA").label("foo", "").label("bar", "").obj()], z1(), "SS", case);
    let case = "Test incoming pod's affinity: firstly check if all affinityTerms match, and then check if all topologyKeys match, and the match logic should be satisfied on the same pod";
    let pods = vec![pod("pod1").node("nodeA").label("foo", "").obj(), pod("pod2").node("nodeB").label("bar", "").obj()];
    check(affinity_foo_bar(), pods, z12(), "AA", case);
}

/// TestPreFilterStateAddRemovePod: PreFilter, then AddPod (as preemption's dry run does)
/// gives the counts upstream lists and the state PreFilter computes with the pod already
/// there; RemovePod gives the first state back.
#[test]
fn pre_filter_state_add_remove_pod() {
    use crate::scheduler::plugins::inter_pod_affinity::TopologyCounts;
    use crate::scheduler::plugins::inter_pod_affinity::{update_with_pod, PreFilterState};
    let nodes = || {
        vec![
            node("nodeA").label("region", "r1").label("zone", "z11").obj(),
            node("nodeB").label("region", "r1").label("zone", "z12").obj(),
            node("nodeC").label("region", "r2").label("zone", "z21").obj(),
        ]
    };
    let foo_bar = || term(is_in("foo", &["bar"]), "region");
    let complex = || vec![term(is_in("foo", &["bar", "buzz"]), "region"), term(not_in("service", &["bar", "security", "test"]), "zone")];
    let with = |p: PodBuilder, affinity: Vec<crate::api::affinity::PodAffinityTerm>, anti: Vec<crate::api::affinity::PodAffinityTerm>| {
        let p = affinity.into_iter().fold(p, |p, t| p.affinity_term(t));
        anti.into_iter().fold(p, |p, t| p.anti_affinity_term(t))
    };
    let counts = |pairs: &[(&str, &str, i64)]| -> TopologyCounts {
        let mut m = TopologyCounts::new();
        for (k, v, n) in pairs {
            m.entry(k.to_string()).or_default().insert(v.to_string(), *n);
        }
        m
    };
    let fields = |s: &PreFilterState| (s.existing_anti_affinity.clone(), s.affinity.clone(), s.anti_affinity.clone());
    let run = |pending: PodBuilder, existing: Vec<Pod>, added: Pod, want_anti: TopologyCounts, want_affinity: TopologyCounts, case: &str| {
        let pending = pending.info();
        let mut all = existing.clone();
        all.push(added.clone());
        let c_all = Cluster::new(nodes(), all);
        let all_state = pre_filter(&pending, &c_all.snap()).expect("terms");
        let c = Cluster::new(nodes(), existing);
        let snap = c.snap();
        let original = pre_filter(&pending, &snap).expect("terms");
        let mut s = original.clone();
        let added_info = crate::scheduler::framework::PodInfo::new(std::rc::Rc::new(crate::api::Object::Pod(Box::new(added.clone()))));
        let mut ni = c.nodes[c.index(&added.spec.node_name)].clone();
        ni.add_pod(std::rc::Rc::new(added_info.clone()));
        update_with_pod(&mut s, &pending, &added_info, &ni, &snap, 1);
        assert_eq!(s.anti_affinity, want_anti, "{case}: antiAffinityCounts");
        assert_eq!(s.affinity, want_affinity, "{case}: affinityCounts");
        assert_eq!(fields(&s), fields(&all_state), "{case}: AddPod = PreFilter with the pod");
        ni.remove_pod(added_info.uid());
        update_with_pod(&mut s, &pending, &added_info, &ni, &snap, -1);
        assert_eq!(fields(&s), fields(&original), "{case}: RemovePod undoes AddPod");
    };
    let case = "preFilterState anti-affinity terms are updated correctly after adding and removing a pod";
    let existing = || vec![pod("p1").label("foo", "bar").node("nodeA").obj(), with(pod("p2").node("nodeC"), vec![], vec![foo_bar()]).obj()];
    let added = with(pod("addedPod").label("foo", "bar").node("nodeB"), vec![], vec![foo_bar()]).obj();
    run(with(pod("pending").label("foo", "bar"), vec![], vec![foo_bar()]), existing(), added, counts(&[("region", "r1", 2)]), counts(&[]), case);
    let added = || with(pod("addedPod").label("foo", "bar").node("nodeA"), vec![], complex()).obj();
    let want = counts(&[("region", "r1", 2), ("zone", "z11", 2), ("zone", "z21", 1)]);
    run(with(pod("pending").label("foo", "bar"), vec![], complex()), existing(), added(), want, counts(&[]), case);
    let case = "preFilterState matching pod affinity and anti-affinity are updated correctly after adding and removing a pod";
    let existing = vec![pod("p1").label("foo", "bar").node("nodeA").obj(), with(pod("p2").node("nodeC"), complex(), vec![foo_bar()]).obj()];
    let want = counts(&[("region", "r1", 2), ("zone", "z11", 2)]);
    run(with(pod("pending").label("foo", "bar"), complex(), vec![]), existing.clone(), added(), counts(&[]), want, case);
    // Not an upstream case: the same invariant (AddPod = PreFilter with the pod) for an
    // added pod that matches only one of the two affinity terms, which
    // updateWithAffinityTerms does not count (podMatchesAllAffinityTerms).
    let one_term = pod("addedPod").label("foo", "bar").label("service", "bar").node("nodeA").obj();
    let want = counts(&[("region", "r1", 1), ("zone", "z11", 1)]);
    run(with(pod("pending").label("foo", "bar"), complex(), vec![]), existing, one_term, counts(&[]), want, "added pod matching one affinity term");
}
