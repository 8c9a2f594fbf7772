//! defaultpreemption/default_preemption_test.go: TestPostFilter, TestDryRunPreemption (the
//! victims per node) and TestSelectBestCandidate (pickOneNodeForPreemption). Priorities
//! neg −100, low 0, mid 100, high 1000, veryHigh 10000; resources small 100m/100,
//! medium 200m/200, large 300m/300, veryLarge 500m/500; nodes have veryLargeRes and 32
//! pods unless a case says otherwise. Start times epochTime1..6 (ns) become ms 1..6.
//! DefaultPreemptionArgs (minCandidateNodes*) are not configurable in ksim, extenders and
//! PDB status.disruptedPods are not modelled: those cases are left out.

use super::{node, pod, req, selector, term, Cluster, PodBuilder};
use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::scheduler::framework::Status;
use crate::scheduler::plugins::default_preemption::{pick_one, preempt, select_victims_on_node, Budget, Candidate, Outcome};
use crate::scheduler::plugins::{run_pre_filter, CycleState};
use crate::scheduler::profile::{PluginId, Profile};

const NEG: i32 = -100;
const LOW: i32 = 0;
const MID: i32 = 100;
const HIGH: i32 = 1000;
const VERY_HIGH: i32 = 10000;
const SMALL: &[(&str, &str)] = &[("cpu", "100m"), ("memory", "100")];
const MEDIUM: &[(&str, &str)] = &[("cpu", "200m"), ("memory", "200")];
const LARGE: &[(&str, &str)] = &[("cpu", "300m"), ("memory", "300")];
const VERY_LARGE: &[(&str, &str)] = &[("cpu", "500m"), ("memory", "500")];

fn profile(filters: &[PluginId]) -> Profile {
    Profile { filters: filters.to_vec(), ..Profile::default() }
}

fn p(name: &str, n: &str, prio: i32, res: &[(&str, &str)]) -> PodBuilder {
    pod(name).node(n).priority(prio).req(res)
}

/// SelectVictimsOnNode on every node (the dry run without an offset): each candidate as
/// (node, victim names sorted, PDB violations).
fn candidates(profile: &Profile, preemptor: &PodBuilderOwned, c: &Cluster, budgets: &[Budget]) -> Vec<Candidate> {
    let snap = c.snap();
    let info = preemptor.info();
    let mut state = CycleState::default();
    run_pre_filter(profile, &mut state, &info, &snap);
    (0..c.nodes.len()).filter_map(|ni| select_victims_on_node(profile, &state, &info, ni, &snap, budgets, &[]).ok()).collect()
}

fn summary(c: &Cluster, cands: &[Candidate]) -> Vec<(String, Vec<String>, i64)> {
    cands
        .iter()
        .map(|cand| {
            let mut v: Vec<String> = cand.victims.iter().map(|v| v.pod().metadata.name.to_string()).collect();
            v.sort();
            (c.nodes[cand.node].name.to_string(), v, cand.pdb_violations)
        })
        .collect()
}

/// A pod kept as an object (the builder is consumed by `info`).
struct PodBuilderOwned(Pod);
impl PodBuilderOwned {
    fn info(&self) -> crate::scheduler::framework::PodInfo {
        crate::scheduler::framework::PodInfo::new(std::rc::Rc::new(crate::api::Object::Pod(Box::new(self.0.clone()))))
    }
}
fn own(b: PodBuilder) -> PodBuilderOwned {
    PodBuilderOwned(b.obj())
}

fn very_large_nodes(names: &[&str]) -> Vec<Node> {
    names.iter().map(|n| node(n).capacity(VERY_LARGE).obj()).collect()
}

fn want(list: &[(&str, &[&str], i64)]) -> Vec<(String, Vec<String>, i64)> {
    list.iter().map(|(n, v, pdb)| (n.to_string(), v.iter().map(|s| s.to_string()).collect(), *pdb)).collect()
}

#[test]
fn dry_run_preemption() {
    let fit = profile(&[PluginId::NodeResourcesFit]);
    let nodes12 = || very_large_nodes(&["node1", "node2"]);
    let case = "a pod that fits on both nodes when lower priority pods are preempted";
    let c = Cluster::new(nodes12(), vec![p("p1", "node1", MID, LARGE).obj(), p("p2", "node2", MID, LARGE).obj()]);
    let preemptor = own(pod("p").priority(HIGH).req(LARGE));
    assert_eq!(summary(&c, &candidates(&fit, &preemptor, &c, &[])), want(&[("node1", &["p1"], 0), ("node2", &["p2"], 0)]), "{case}");
    let case = "a pod that would fit on the nodes, but other pods running are higher priority, no preemption would happen";
    let low = own(pod("p").priority(LOW).req(LARGE));
    assert_eq!(summary(&c, &candidates(&fit, &low, &c, &[])), want(&[]), "{case}");
    let case = "medium priority pod is preempted, but lower priority one stays as it is small";
    let c = Cluster::new(nodes12(), vec![p("p1.1", "node1", LOW, SMALL).obj(), p("p1.2", "node1", MID, LARGE).obj(), p("p2", "node2", MID, LARGE).obj()]);
    assert_eq!(summary(&c, &candidates(&fit, &preemptor, &c, &[])), want(&[("node1", &["p1.2"], 0), ("node2", &["p2"], 0)]), "{case}");
    let case = "mixed priority pods are preempted";
    let pods = vec![
        p("p1.1", "node1", MID, SMALL).obj(),
        p("p1.2", "node1", LOW, SMALL).obj(),
        p("p1.3", "node1", MID, MEDIUM).obj(),
        p("p1.4", "node1", HIGH, SMALL).obj(),
        p("p2", "node2", HIGH, LARGE).obj(),
    ];
    let c = Cluster::new(nodes12(), pods);
    assert_eq!(summary(&c, &candidates(&fit, &preemptor, &c, &[])), want(&[("node1", &["p1.2", "p1.3"], 0)]), "{case}");
    let case = "mixed priority pods are preempted, pick later StartTime one when priorities are equal";
    let pods = vec![
        p("p1.1", "node1", LOW, SMALL).start_time(5).obj(),
        p("p1.2", "node1", LOW, SMALL).start_time(4).obj(),
        p("p1.3", "node1", MID, MEDIUM).start_time(3).obj(),
        p("p1.4", "node1", HIGH, SMALL).start_time(2).obj(),
        p("p2", "node2", HIGH, LARGE).start_time(1).obj(),
    ];
    let c = Cluster::new(nodes12(), pods);
    assert_eq!(summary(&c, &candidates(&fit, &preemptor, &c, &[])), want(&[("node1", &["p1.1", "p1.3"], 0)]), "{case}");
    let case = "pod with anti-affinity is preempted";
    let with_ipa = profile(&[PluginId::NodeResourcesFit, PluginId::InterPodAffinity]);
    let exists_foo = || selector(vec![req("foo", "Exists", &[])]);
    let hosts = || ["node1", "node2"].iter().map(|n| node(n).capacity(VERY_LARGE).label("hostname", n).obj()).collect::<Vec<_>>();
    let pods = vec![
        p("p1.1", "node1", LOW, SMALL).label("foo", "").anti_affinity_term(term(exists_foo(), "hostname")).obj(),
        p("p1.2", "node1", MID, SMALL).obj(),
        p("p1.3", "node1", HIGH, SMALL).obj(),
        p("p2", "node2", HIGH, SMALL).obj(),
    ];
    let c = Cluster::new(hosts(), pods);
    let foo_pod = own(pod("p").label("foo", "").priority(HIGH).req(SMALL));
    assert_eq!(summary(&c, &candidates(&with_ipa, &foo_pod, &c, &[])), want(&[("node1", &["p1.1"], 0)]), "{case}");
    let case = "preemption to resolve pod topology spread filter failure";
    let pts = profile(&[PluginId::PodTopologySpread]);
    let zoned = ["node-a", "node-b", "node-x"]
        .iter()
        .map(|n| node(n).capacity(VERY_LARGE).label("hostname", n).label("zone", if *n == "node-x" { "zone2" } else { "zone1" }).obj())
        .collect();
    let foo_at = |name: &str, n: &str, prio: i32| pod(name).node(n).label("foo", "").priority(prio).obj();
    let pods = vec![
        foo_at("pod-a1", "node-a", MID),
        foo_at("pod-a2", "node-a", LOW),
        foo_at("pod-b1", "node-b", LOW),
        foo_at("pod-x1", "node-x", HIGH),
        foo_at("pod-x2", "node-x", HIGH),
    ];
    let c = Cluster::new(zoned, pods);
    let spread = |key: &str| super::constraint(1, key, "DoNotSchedule", Some(exists_foo()), None, None, None);
    let spreading = own(pod("p").label("foo", "").priority(HIGH).spread(spread("zone")).spread(spread("hostname")));
    assert_eq!(summary(&c, &candidates(&pts, &spreading, &c, &[])), want(&[("node-a", &["pod-a2"], 0), ("node-b", &["pod-b1"], 0)]), "{case}");
    let case = "preemption with violation of same pdb";
    let foo_app = |name: &str| p(name, "node1", MID, MEDIUM).label("app", "foo").obj();
    let c = Cluster::new(very_large_nodes(&["node1"]), vec![foo_app("p1.1"), foo_app("p1.2")]);
    let budget = Budget { namespace: "default".into(), selector: super::match_labels(&[("app", "foo")]), disruptions_allowed: 1, ..Default::default() };
    let big = own(pod("p").priority(HIGH).req(VERY_LARGE));
    assert_eq!(summary(&c, &candidates(&fit, &big, &c, &[budget])), want(&[("node1", &["p1.1", "p1.2"], 1)]), "{case}");
}

/// TestSelectBestCandidate: the dry run on every node, then pickOneNodeForPreemption.
#[test]
fn select_best_candidate() {
    let fit = profile(&[PluginId::NodeResourcesFit]);
    let best = |preemptor: PodBuilder, names: &[&str], pods: Vec<Pod>| -> String {
        let c = Cluster::new(very_large_nodes(names), pods);
        let cands = candidates(&fit, &own(preemptor), &c, &[]);
        c.nodes[pick_one(&cands).expect("a candidate").node].name.to_string()
    };
    let high = || pod("p").priority(HIGH).req(VERY_LARGE);
    let at = |name: &str, n: &str, prio: i32, res: &[(&str, &str)], t: u64| p(name, n, prio, res).start_time(t).obj();
    let case = "a pod that fits on both nodes when lower priority pods are preempted";
    let got = best(pod("p").priority(HIGH).req(LARGE), &["node1", "node2"], vec![at("p1", "node1", MID, LARGE, 0), at("p2", "node2", MID, LARGE, 0)]);
    assert!(["node1", "node2"].contains(&got.as_str()), "{case}: {got}");
    let case = "node with min highest priority pod is picked";
    let pods = vec![
        at("p1.1", "node1", MID, MEDIUM, 0),
        at("p1.2", "node1", MID, LARGE, 0),
        at("p2.1", "node2", MID, MEDIUM, 0),
        at("p2.2", "node2", LOW, MEDIUM, 0),
        at("p3.1", "node3", LOW, MEDIUM, 0),
        at("p3.2", "node3", LOW, MEDIUM, 0),
    ];
    assert_eq!(best(high(), &["node1", "node2", "node3"], pods), "node3", "{case}");
    let case = "when highest priorities are the same, minimum sum of priorities is picked";
    let pods = vec![
        at("p1.1", "node1", MID, MEDIUM, 0),
        at("p1.2", "node1", MID, LARGE, 0),
        at("p2.1", "node2", MID, LARGE, 0),
        at("p2.2", "node2", LOW, MEDIUM, 0),
        at("p3.1", "node3", MID, MEDIUM, 0),
        at("p3.2", "node3", MID, MEDIUM, 0),
    ];
    assert_eq!(best(high(), &["node1", "node2", "node3"], pods), "node2", "{case}");
    let case = "when highest priority and sum are the same, minimum number of pods is picked";
    let pods = vec![
        at("p1.1", "node1", MID, SMALL, 0),
        at("p1.2", "node1", NEG, SMALL, 0),
        at("p1.3", "node1", MID, SMALL, 0),
        at("p1.4", "node1", NEG, SMALL, 0),
        at("p2.1", "node2", MID, LARGE, 0),
        at("p2.2", "node2", NEG, MEDIUM, 0),
        at("p3.1", "node3", MID, MEDIUM, 0),
        at("p3.2", "node3", NEG, SMALL, 0),
        at("p3.3", "node3", LOW, SMALL, 0),
    ];
    assert_eq!(best(high(), &["node1", "node2", "node3"], pods), "node2", "{case}");
    let case = "sum of adjusted priorities is considered";
    let pods = vec![
        at("p1.1", "node1", MID, SMALL, 0),
        at("p1.2", "node1", NEG, SMALL, 0),
        at("p1.3", "node1", NEG, SMALL, 0),
        at("p2.1", "node2", MID, LARGE, 0),
        at("p2.2", "node2", NEG, MEDIUM, 0),
        at("p3.1", "node3", MID, MEDIUM, 0),
        at("p3.2", "node3", NEG, SMALL, 0),
        at("p3.3", "node3", LOW, SMALL, 0),
    ];
    assert_eq!(best(high(), &["node1", "node2", "node3"], pods), "node2", "{case}");
    let case = "non-overlapping lowest high priority, sum priorities, and number of pods";
    let pods = vec![
        at("p1.1", "node1", MID, SMALL, 0),
        at("p1.2", "node1", LOW, SMALL, 0),
        at("p1.3", "node1", LOW, SMALL, 0),
        at("p2.1", "node2", HIGH, LARGE, 0),
        at("p3.1", "node3", MID, MEDIUM, 0),
        at("p3.2", "node3", LOW, SMALL, 0),
        at("p3.3", "node3", LOW, SMALL, 0),
        at("p3.4", "node3", LOW, MEDIUM, 0),
        at("p4.1", "node4", MID, MEDIUM, 0),
        at("p4.2", "node4", MID, SMALL, 0),
        at("p4.3", "node4", MID, SMALL, 0),
        at("p4.4", "node4", NEG, SMALL, 0),
    ];
    assert_eq!(best(pod("p").priority(VERY_HIGH).req(VERY_LARGE), &["node1", "node2", "node3", "node4"], pods), "node1", "{case}");
    let case = "same priority, same number of victims, different start time for each node's pod";
    let pods = vec![
        at("p1.1", "node1", MID, MEDIUM, 2),
        at("p1.2", "node1", MID, MEDIUM, 2),
        at("p2.1", "node2", MID, MEDIUM, 3),
        at("p2.2", "node2", MID, MEDIUM, 3),
        at("p3.1", "node3", MID, MEDIUM, 1),
        at("p3.2", "node3", MID, MEDIUM, 1),
    ];
    assert_eq!(best(high(), &["node1", "node2", "node3"], pods), "node2", "{case}");
    let case = "same priority, same number of victims, different start time for all pods";
    let pods = vec![
        at("p1.1", "node1", MID, MEDIUM, 4),
        at("p1.2", "node1", MID, MEDIUM, 2),
        at("p2.1", "node2", MID, MEDIUM, 5),
        at("p2.2", "node2", MID, MEDIUM, 1),
        at("p3.1", "node3", MID, MEDIUM, 3),
        at("p3.2", "node3", MID, MEDIUM, 6),
    ];
    assert_eq!(best(high(), &["node1", "node2", "node3"], pods), "node3", "{case}");
    let case = "different priority, same number of victims, different start time for all pods";
    let pods = vec![
        at("p1.1", "node1", LOW, MEDIUM, 4),
        at("p1.2", "node1", MID, MEDIUM, 2),
        at("p2.1", "node2", MID, MEDIUM, 6),
        at("p2.2", "node2", LOW, MEDIUM, 1),
        at("p3.1", "node3", LOW, MEDIUM, 3),
        at("p3.2", "node3", MID, MEDIUM, 5),
    ];
    assert_eq!(best(high(), &["node1", "node2", "node3"], pods), "node2", "{case}");
}

/// Not an upstream table case; derived from SelectVictimsOnNode's last step ("Sort victims
/// after reprieving pods to keep the pods in the victims sorted in order of importance
/// from high to low", when there are both PDB-violating and other victims) and
/// pickOneNodeForPreemption's second rule (the lowest highest-priority victim, read from
/// victims[0]). node-a's victims are a PDB-violating low pod and a non-violating mid pod,
/// so its highest victim is mid (100), not the first reprieved (low); node-b's only
/// victim (PDB-violating too) has priority 50. Both violate one PDB: node-b wins.
#[test]
fn victims_are_sorted_by_importance_before_picking() {
    let fit = profile(&[PluginId::NodeResourcesFit]);
    let pods = vec![
        p("a-low", "node-a", LOW, LARGE).label("app", "foo").obj(),
        p("a-mid", "node-a", MID, MEDIUM).obj(),
        p("b-50", "node-b", 50, VERY_LARGE).label("app", "foo").obj(),
    ];
    let c = Cluster::new(very_large_nodes(&["node-a", "node-b"]), pods);
    let budget = Budget { namespace: "default".into(), selector: super::match_labels(&[("app", "foo")]), disruptions_allowed: 0, ..Default::default() };
    let cands = candidates(&fit, &own(pod("p").priority(HIGH).req(VERY_LARGE)), &c, &[budget]);
    let a = &cands[0];
    let order: Vec<&str> = a.victims.iter().map(|v| v.pod().metadata.name.as_str()).collect();
    assert_eq!((order, a.pdb_violations), (vec!["a-mid", "a-low"], 1));
    assert_eq!(c.nodes[pick_one(&cands).unwrap().node].name, "node-b");
}

/// TestPostFilter through Preempt: every node's filter status goes in (a node absent
/// from upstream's map counts as UnschedulableAndUnresolvable, NodeToStatus's absent
/// status; ksim lists every node, so such a node is given that status).
#[test]
fn post_filter() {
    let fit = profile(&[PluginId::NodeResourcesFit]);
    let one_pod = |n: &str| node(n).capacity(&[("pods", "1")]).obj();
    let node_res = |n: &str| node(n).capacity(&[("cpu", "200m"), ("memory", "400")]).obj();
    let run = |preemptor: PodBuilder, pods: Vec<Pod>, nodes: Vec<Node>, unresolvable: &[&str]| -> Result<String, String> {
        let c = Cluster::new(nodes, pods);
        let snap = c.snap();
        let info = preemptor.info();
        let mut state = CycleState::default();
        run_pre_filter(&fit, &mut state, &info, &snap);
        let statuses: Vec<(usize, Status)> = c
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                (
                    i,
                    if unresolvable.contains(&n.name.as_str()) {
                        Status::unresolvable("NodeResourcesFit", String::new())
                    } else {
                        Status::unschedulable("NodeResourcesFit", vec![])
                    },
                )
            })
            .collect();
        match preempt(&fit, &state, &info, &snap, &statuses, &[], 0, &|_| Vec::new()) {
            Outcome::Nominate(cand) => Ok(c.nodes[cand.node].name.to_string()),
            Outcome::Fail(m) => Err(m),
        }
    };
    let dp = |name: &str| pod(name);
    let case = "pod with higher priority can be made schedulable";
    assert_eq!(run(dp("p").priority(HIGH), vec![dp("p1").node("node1").obj()], vec![one_pod("node1")], &[]), Ok("node1".into()), "{case}");
    let case = "pod with tied priority is still unschedulable";
    let msg = "preemption: 0/1 nodes are available: 1 No preemption victims found for incoming pod.";
    assert_eq!(run(dp("p"), vec![dp("p1").node("node1").obj()], vec![one_pod("node1")], &[]), Err(msg.into()), "{case}");
    let case = "preemption should respect filteredNodesStatuses";
    let msg = "preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.";
    assert_eq!(run(dp("p").priority(HIGH), vec![dp("p1").node("node1").obj()], vec![one_pod("node1")], &["node1"]), Err(msg.into()), "{case}");
    let case = "pod can be made schedulable on one node";
    let pods = vec![dp("p1").priority(HIGH).node("node1").obj(), dp("p2").priority(LOW).node("node2").obj()];
    assert_eq!(run(dp("p").priority(MID), pods, vec![one_pod("node1"), one_pod("node2")], &[]), Ok("node2".into()), "{case}");
    let case = "no candidate nodes found, no enough resource after removing low priority pods";
    let msg = "preemption: 0/2 nodes are available: 2 Insufficient cpu.";
    let pods = vec![dp("p1").node("node1").obj(), dp("p2").node("node2").obj()];
    assert_eq!(run(dp("p").priority(HIGH).req(LARGE), pods, vec![node_res("node1"), node_res("node2")], &[]), Err(msg.into()), "{case}");
    let case = "no candidate nodes found with mixed reasons, no lower priority pod and no enough CPU resource";
    let msg = "preemption: 0/3 nodes are available: 1 Insufficient cpu, 2 No preemption victims found for incoming pod.";
    let pods = vec![dp("p1").node("node1").priority(HIGH).obj(), dp("p2").node("node2").obj(), dp("p3").node("node3").priority(HIGH).obj()];
    assert_eq!(run(dp("p").priority(HIGH).req(LARGE), pods, vec![one_pod("node1"), node_res("node2"), one_pod("node3")], &[]), Err(msg.into()), "{case}");
    let case = "no candidate nodes found with mixed reason, 2 UnschedulableAndUnresolvable nodes and 2 nodes don't have enough CPU resource";
    let msg = "preemption: 0/4 nodes are available: 2 Insufficient cpu, 2 Preemption is not helpful for scheduling.";
    let pods = vec![dp("p1").node("node1").obj(), dp("p2").node("node2").obj()];
    let nodes = vec![node_res("node1"), node_res("node2"), node_res("node3"), node_res("node4")];
    assert_eq!(run(dp("p").priority(HIGH).req(LARGE), pods, nodes, &["node3", "node4"]), Err(msg.into()), "{case}");
}
