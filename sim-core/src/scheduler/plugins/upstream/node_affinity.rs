//! nodeaffinity/node_affinity_test.go. NodeAffinityArgs.addedAffinity is not modelled
//! (ksim accepts the plugin's args and ignores them), so the "added affinity" cases are
//! not ported.

use super::{expressions, fields, node, nreq, pod, Cluster, NodeBuilder, PodBuilder};
use crate::api::affinity::NodeSelectorTerm;
use crate::scheduler::framework::Status;
use crate::scheduler::plugins::node_affinity::{filter, ERR_REASON_POD, NAME};
use crate::scheduler::plugins::{run_scores, CycleState};
use crate::scheduler::profile::{PluginId, Profile};

/// TestNodeAffinity: Filter on a node with these labels and name. Status X is
/// UnschedulableAndUnresolvable with ErrReasonPod; S is success (a PreFilter Skip, too).
#[test]
fn node_affinity_filter() {
    let check = |p: PodBuilder, name: &str, l: &[(&str, &str)], want: char, case: &str| {
        let n = l.iter().fold(node(name), |b: NodeBuilder, (k, v)| b.label(k, v));
        let got = filter(&p.info(), &n.info());
        let expect = if want == 'X' { Some(Status::unresolvable(NAME, ERR_REASON_POD.into())) } else { None };
        assert_eq!(got, expect, "{case}");
    };
    let req = |terms: Vec<NodeSelectorTerm>| pod("p").required_node_affinity(terms);
    let foo_bar: &[(&str, &str)] = &[("foo", "bar")];
    check(pod("p").node_selector("foo", "bar"), "", &[], 'X', "missing labels");
    check(pod("p").node_selector("foo", "bar"), "", foo_bar, 'S', "same labels");
    check(pod("p").node_selector("foo", "bar"), "", &[("foo", "bar"), ("baz", "blah")], 'S', "node labels are superset");
    check(pod("p").node_selector("foo", "bar").node_selector("baz", "blah"), "", foo_bar, 'X', "node labels are subset");
    let case = "Pod with matchExpressions using In operator that matches the existing node";
    check(req(vec![expressions(vec![nreq("foo", "In", &["bar", "value2"])])]), "", foo_bar, 'S', case);
    let case = "Pod with matchExpressions using Gt operator that matches the existing node";
    check(req(vec![expressions(vec![nreq("kernel-version", "Gt", &["0204"])])]), "", &[("kernel-version", "0206")], 'S', case);
    let case = "Pod with matchExpressions using NotIn operator that matches the existing node";
    check(req(vec![expressions(vec![nreq("mem-type", "NotIn", &["DDR", "DDR2"])])]), "", &[("mem-type", "DDR3")], 'S', case);
    let case = "Pod with matchExpressions using Exists operator that matches the existing node";
    check(req(vec![expressions(vec![nreq("GPU", "Exists", &[])])]), "", &[("GPU", "NVIDIA-GRID-K1")], 'S', case);
    let case = "Pod with affinity that don't match node's labels won't schedule onto the node";
    check(req(vec![expressions(vec![nreq("foo", "In", &["value1", "value2"])])]), "", foo_bar, 'X', case);
    let case = "Pod with empty MatchExpressions is not a valid value will match no objects and won't schedule onto the node";
    check(req(vec![expressions(vec![])]), "", foo_bar, 'X', case);
    check(pod("p"), "", foo_bar, 'S', "Pod with no Affinity will schedule onto a node");
    check(pod("p").empty_node_affinity(), "", foo_bar, 'S', "Pod with Affinity but nil NodeSelector will schedule onto a node");
    let gpu = || vec![nreq("GPU", "Exists", &[]), nreq("GPU", "NotIn", &["AMD", "INTER"])];
    let case = "Pod with multiple matchExpressions ANDed that matches the existing node";
    check(req(vec![expressions(gpu())]), "", &[("GPU", "NVIDIA-GRID-K1")], 'S', case);
    let case = "Pod with multiple matchExpressions ANDed that doesn't match the existing node";
    check(req(vec![expressions(vec![nreq("GPU", "Exists", &[]), nreq("GPU", "In", &["AMD", "INTER"])])]), "", &[("GPU", "NVIDIA-GRID-K1")], 'X', case);
    let case = "Pod with multiple NodeSelectorTerms ORed in affinity, matches the node's labels and will schedule onto the node";
    let terms = vec![expressions(vec![nreq("foo", "In", &["bar", "value2"])]), expressions(vec![nreq("diffkey", "In", &["wrong", "value2"])])];
    check(req(terms), "", foo_bar, 'S', case);
    let exists_foo = || req(vec![expressions(vec![nreq("foo", "Exists", &[])])]).node_selector("foo", "bar");
    let case = "Pod with an Affinity and a PodSpec.NodeSelector(the old thing that we are deprecating) both are satisfied, will schedule onto the node";
    check(exists_foo(), "", foo_bar, 'S', case);
    let case = "Pod with an Affinity matches node's labels but the PodSpec.NodeSelector(the old thing that we are deprecating) is not satisfied, won't schedule onto the node";
    check(exists_foo(), "", &[("foo", "barrrrrr")], 'X', case);
    // labels.NewRequirement rejects the value, the term does not parse and matches nothing
    // (even though foo=bar is, literally, not in the list).
    let case = "Pod with an invalid value in Affinity term won't be scheduled onto the node";
    check(req(vec![expressions(vec![nreq("foo", "NotIn", &["invalid value: ___@#$%^"])])]), "", foo_bar, 'X', case);
    let name_in = |n: &str| nreq("metadata.name", "In", &[n]);
    let case = "Pod with matchFields using In operator that matches the existing node";
    check(req(vec![fields(vec![name_in("node1")])]), "node1", &[], 'S', case);
    let case = "Pod with matchFields using In operator that does not match the existing node";
    check(req(vec![fields(vec![name_in("node1")])]), "node2", &[], 'X', case);
    let case = "Pod with two terms: matchFields does not match, but matchExpressions matches";
    let terms = vec![fields(vec![name_in("node1"), name_in("node2")]), expressions(vec![nreq("foo", "In", &["bar"])])];
    check(req(terms), "node2", foo_bar, 'S', case);
    let case = "Pod with one term: matchFields does not match, but matchExpressions matches";
    let one = |n: &str| NodeSelectorTerm { match_fields: vec![name_in(n)], match_expressions: vec![nreq("foo", "In", &["bar"])] };
    check(req(vec![one("node1")]), "node2", foo_bar, 'X', case);
    let case = "Pod with one term: both matchFields and matchExpressions match";
    check(req(vec![one("node1")]), "node1", foo_bar, 'S', case);
    let case = "Pod with two terms: both matchFields and matchExpressions do not match";
    let terms = vec![fields(vec![name_in("node1")]), expressions(vec![nreq("foo", "In", &["not-match-to-bar"])])];
    check(req(terms), "node2", foo_bar, 'X', case);
    let case = "Pod with two terms of node.Name affinity";
    check(req(vec![fields(vec![name_in("node1")]), fields(vec![name_in("node2")])]), "node2", &[], 'S', case);
    let case = "Pod with two conflicting mach field requirements";
    check(req(vec![fields(vec![name_in("node1"), name_in("node2")])]), "node2", foo_bar, 'X', case);
    let case = "Matches node selector correctly even if PreFilter is not called";
    check(pod("p").node_selector("foo", "bar"), "", &[("foo", "bar"), ("baz", "blah")], 'S', case);
    let case = "Matches node affinity correctly even if PreFilter is not called";
    check(req(vec![expressions(gpu())]), "", &[("GPU", "NVIDIA-GRID-K1")], 'S', case);
}

/// TestNodeAffinityPriority: PreScore, Score, NormalizeScore (by the highest).
#[test]
fn node_affinity_priority() {
    let scores = |p: PodBuilder, nodes: Vec<NodeBuilder>| -> Vec<i64> {
        let c = Cluster::new(nodes.into_iter().map(NodeBuilder::obj).collect(), vec![]);
        let profile = Profile { scores: vec![(PluginId::NodeAffinity, 1)], ..Profile::default() };
        let feasible: Vec<usize> = (0..c.nodes.len()).collect();
        run_scores(&profile, &CycleState::default(), &p.info(), &c.snap(), &feasible, false).1
    };
    let with = |n: &str, l: &[(&str, &str)]| l.iter().fold(node(n), |b: NodeBuilder, (k, v)| b.label(k, v));
    let label1: &[(&str, &str)] = &[("foo", "bar")];
    let label2: &[(&str, &str)] = &[("key", "value")];
    let label3: &[(&str, &str)] = &[("az", "az1")];
    let label4: &[(&str, &str)] = &[("abc", "az11"), ("def", "az22")];
    let label5: &[(&str, &str)] = &[("foo", "bar"), ("key", "value"), ("az", "az1")];
    let affinity1 = || pod("p").preferred_node_affinity(2, expressions(vec![nreq("foo", "In", &["bar"])]));
    let affinity2 = || {
        pod("p")
            .preferred_node_affinity(2, expressions(vec![nreq("foo", "In", &["bar"])]))
            .preferred_node_affinity(4, expressions(vec![nreq("key", "In", &["value"])]))
            .preferred_node_affinity(5, expressions(vec![nreq("foo", "In", &["bar"]), nreq("key", "In", &["value"]), nreq("az", "In", &["az1"])]))
    };
    // "all nodes are same priority as NodeAffinity is nil"
    assert_eq!(scores(pod("p"), vec![with("node1", label1), with("node2", label2), with("node3", label3)]), [0, 0, 0]);
    // "no node matches preferred scheduling requirements in NodeAffinity of pod so all nodes' priority is zero"
    assert_eq!(scores(affinity1(), vec![with("node1", label4), with("node2", label2), with("node3", label3)]), [0, 0, 0]);
    // "only node1 matches the preferred scheduling requirements of pod"
    assert_eq!(scores(affinity1(), vec![with("node1", label1), with("node2", label2), with("node3", label3)]), [100, 0, 0]);
    // "all nodes matches the preferred scheduling requirements of pod but with different priorities "
    // (and "calculate the priorities correctly even if PreScore is not called": the same)
    assert_eq!(scores(affinity2(), vec![with("node1", label1), with("node5", label5), with("node2", label2)]), [18, 100, 36]);
}
