//! noderesources: resource_allocation_test.go, least_allocated_test.go,
//! most_allocated_test.go, balanced_allocation_test.go. The scorers see a pod's requests
//! with the non-zero defaults (100m / 200Mi for a container that requests nothing) in
//! NodeResourcesFit and real requests in BalancedAllocation; a pod without containers
//! requests nothing at all.

use super::{node, pod, Cluster};
use crate::api::node::Node;
use crate::api::pod::Pod;
use crate::scheduler::framework::{ResourceName, DEFAULT_MEMORY_REQUEST as MEM, DEFAULT_MILLI_CPU_REQUEST as CPU};
use crate::scheduler::plugins::node_resources_balanced_allocation as balanced;
use crate::scheduler::plugins::node_resources_fit::{self as fit, FitArgs, Strategy};

const MI: i64 = 1024 * 1024;

fn res(spec: &[(&str, i64)]) -> Vec<(ResourceName, i64)> {
    spec.iter().map(|(n, w)| (ResourceName::from(*n), *w)).collect()
}

/// defaultResources and extendedResourceSet (noderesources test_util.go).
fn default_resources() -> Vec<(ResourceName, i64)> {
    res(&[("cpu", 1), ("memory", 1)])
}
fn extended_resource_set() -> Vec<(ResourceName, i64)> {
    res(&[("cpu", 1), ("memory", 1), ("abc.com/xyz", 1)])
}

/// NewFit with the strategy, then Score on every node.
fn fit_scores(strategy: Strategy, resources: Vec<(ResourceName, i64)>, incoming: Pod, nodes: Vec<Node>, pods: Vec<Pod>) -> Vec<i64> {
    let c = Cluster::new(nodes, pods);
    let args = FitArgs { strategy, resources, ..FitArgs::default() };
    let p = crate::scheduler::framework::PodInfo::new(std::rc::Rc::new(crate::api::Object::Pod(Box::new(incoming))));
    c.nodes.iter().map(|n| fit::score(&p, n, &args)).collect()
}

/// NewBalancedAllocation, PreScore (None: Skip), then Score on every node.
fn balanced_scores(resources: Vec<(ResourceName, i64)>, incoming: Pod, nodes: Vec<Node>, pods: Vec<Pod>) -> Option<Vec<i64>> {
    let c = Cluster::new(nodes, pods);
    let p = crate::scheduler::framework::PodInfo::new(std::rc::Rc::new(crate::api::Object::Pod(Box::new(incoming))));
    if !balanced::applies(&p, &resources) {
        return None;
    }
    Some(c.nodes.iter().map(|n| balanced::score(&p, n, &resources)).collect())
}

fn cap(name: &str, cpu: &str, mem: &str) -> Node {
    node(name).capacity(&[("cpu", cpu), ("memory", mem)]).obj()
}

/// resource_allocation_test.go TestResourceAllocationScorerCalculateRequests: the pod
/// request the scorer uses (PodInfo's non-zero requests).
#[test]
fn calculate_requests() {
    let nz = |p: super::PodBuilder| {
        let i = p.info();
        (i.non_zero_milli_cpu, i.non_zero_memory)
    };
    let overhead = |p: super::PodBuilder| -> super::PodBuilder {
        let mut o = p.obj();
        let mut list = std::collections::BTreeMap::new();
        list.insert("cpu".to_string(), "1".parse().unwrap());
        list.insert("memory".to_string(), "1Mi".parse().unwrap());
        std::rc::Rc::make_mut(&mut o.spec).overhead = Some(list);
        super::PodBuilder(o)
    };
    let init = |p: super::PodBuilder, reqs: &[(&str, &str)]| -> super::PodBuilder {
        let mut o = p.obj();
        let mut c = crate::api::pod::Container { name: format!("i{}", o.spec.init_containers.len()), ..Default::default() };
        for (r, q) in reqs {
            c.resources.requests.insert(r.to_string(), q.parse().unwrap());
        }
        std::rc::Rc::make_mut(&mut o.spec).init_containers.push(c);
        super::PodBuilder(o)
    };
    // "overhead only"
    assert_eq!(nz(overhead(pod("p"))), (1000, MI));
    // "1x requestless container"
    assert_eq!(nz(pod("p").container()), (CPU, MEM));
    // "2x requestless container": once per container without a request.
    assert_eq!(nz(pod("p").container().container()), (2 * CPU, 2 * MEM));
    // "request container + requestless container"
    assert_eq!(nz(pod("p").req(&[("cpu", "1"), ("memory", "1Mi")]).container()), (1000 + CPU, MI + MEM));
    // "container + requestless container + overhead"
    assert_eq!(nz(overhead(pod("p").req(&[("cpu", "1"), ("memory", "1Mi")]).container())), (2000 + CPU, 2 * MI + MEM));
    // "init container + container + requestless container + overhead"
    assert_eq!(nz(overhead(init(pod("p"), &[("cpu", "3")]).req(&[("cpu", "1"), ("memory", "1Mi")]).container())), (4000, 2 * MI + MEM));
    // "requestless init container + small init container + small container "
    assert_eq!(nz(init(init(pod("p"), &[]), &[("cpu", "1m"), ("memory", "1")]).req(&[("cpu", "3m"), ("memory", "3")])), (CPU, MEM));
    // "requestless init container + small init container + small container + requestless container "
    assert_eq!(nz(init(init(pod("p"), &[]), &[("cpu", "1m"), ("memory", "1")]).req(&[("cpu", "3m"), ("memory", "3")]).container()), (3 + CPU, 3 + MEM));
}

/// least_allocated_test.go TestLeastAllocatedScoringStrategy. Quantities as upstream
/// writes them: cpu "4000" is 4000 cores.
#[test]
fn least_allocated() {
    let la = |r, p, n, e| fit_scores(Strategy::LeastAllocated, r, p, n, e);
    let two = || pod("p").req(&[("cpu", "1000"), ("memory", "2000")]).req(&[("cpu", "2000"), ("memory", "3000")]);
    // "nothing scheduled, nothing requested": a pod without containers requests nothing.
    assert_eq!(la(default_resources(), pod("p").obj(), vec![cap("node1", "4000", "10000"), cap("node2", "4000", "10000")], vec![]), [100, 100]);
    // "nothing scheduled, resources requested, differently sized nodes"
    assert_eq!(la(default_resources(), two().obj(), vec![cap("node1", "4000", "10000"), cap("node2", "6000", "10000")], vec![]), [37, 50]);
    // "no resources requested, pods scheduled": pods without containers.
    let empty = |name: &str, n: &str| pod(name).node(n).obj();
    assert_eq!(
        la(
            default_resources(),
            pod("p").obj(),
            vec![cap("node1", "4000", "10000"), cap("node2", "4000", "10000")],
            vec![empty("a", "node1"), empty("b", "node1"), empty("c", "node2"), empty("d", "node2")]
        ),
        [100, 100]
    );
    // "no resources requested, pods scheduled with resources": memory "0" is set, so it
    // stays 0 (only a missing request gets the default).
    let on = |name: &str, n: &str, cpu: &str, mem: &str| pod(name).node(n).req(&[("cpu", cpu), ("memory", mem)]).obj();
    assert_eq!(
        la(
            default_resources(),
            pod("p").obj(),
            vec![cap("node1", "10000", "20000"), cap("node2", "10000", "20000")],
            vec![on("a", "node1", "3000", "0"), on("b", "node1", "3000", "0"), on("c", "node2", "3000", "0"), on("d", "node2", "3000", "5000")]
        ),
        [70, 57]
    );
    // "resources requested, pods scheduled with resources"
    assert_eq!(
        la(
            default_resources(),
            two().obj(),
            vec![cap("node1", "10000", "20000"), cap("node2", "10000", "20000")],
            vec![on("a", "node1", "3000", "0"), on("b", "node2", "3000", "5000")]
        ),
        [57, 45]
    );
    // "resources requested, pods scheduled with resources, differently sized nodes"
    assert_eq!(
        la(
            default_resources(),
            two().obj(),
            vec![cap("node1", "10000", "20000"), cap("node2", "10000", "50000")],
            vec![on("a", "node1", "3000", "0"), on("b", "node2", "3000", "5000")]
        ),
        [57, 60]
    );
    // "requested resources exceed node capacity"
    assert_eq!(
        la(
            default_resources(),
            pod("p").req(&[("cpu", "3000"), ("memory", "0")]).obj(),
            vec![cap("node1", "4000", "10000"), cap("node2", "4000", "10000")],
            vec![on("a", "node1", "3000", "0"), on("b", "node2", "3000", "5000")]
        ),
        [50, 25]
    );
    // "zero node resources, pods scheduled with resources"
    assert_eq!(
        la(
            default_resources(),
            pod("p").obj(),
            vec![node("node1").obj(), node("node2").obj()],
            vec![on("a", "node1", "3000", "0"), on("b", "node2", "3000", "5000")]
        ),
        [0, 0]
    );
    // "nothing scheduled, resources requested with different weight on CPU and memory, differently sized nodes"
    assert_eq!(la(res(&[("memory", 2), ("cpu", 1)]), two().obj(), vec![cap("node1", "4000", "10000"), cap("node2", "6000", "10000")], vec![]), [41, 50]);
    // "bypass extended resource if the pod does not request"
    let ext = |name: &str, n: &str| node(name).capacity(&[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", n)]).obj();
    assert_eq!(la(extended_resource_set(), two().obj(), vec![cap("node1", "6000", "10000"), ext("node2", "4")], vec![]), [50, 50]);
    // "honor extended resource if the pod requests"
    let gpu = || pod("p").req(&[("cpu", "3000"), ("memory", "5000"), ("abc.com/xyz", "2")]).obj();
    assert_eq!(la(extended_resource_set(), gpu(), vec![ext("node1", "4"), ext("node2", "10")], vec![]), [50, 60]);
    // "if the node doesn't have a resource"
    assert_eq!(
        la(
            res(&[("abc.com/xyz", 2), ("cpu", 1), ("memory", 1)]),
            pod("p").req(&[("cpu", "3000"), ("memory", "4000")]).obj(),
            vec![cap("node1", "6000", "10000"), ext("node2", "4")],
            vec![]
        ),
        [55, 55]
    );
    // Not ported: "Resources not set, pods scheduled with error" and the weight
    // validation cases (ksim's configuration loader validates weights; tested there).
}

/// most_allocated_test.go TestMostAllocatedScoringStrategy.
#[test]
fn most_allocated() {
    let ma = |r, p, n, e| fit_scores(Strategy::MostAllocated, r, p, n, e);
    let two = || pod("p").req(&[("cpu", "1000"), ("memory", "2000")]).req(&[("cpu", "2000"), ("memory", "3000")]);
    // "nothing scheduled, nothing requested"
    assert_eq!(ma(default_resources(), pod("p").obj(), vec![cap("node1", "4000", "10000"), cap("node2", "4000", "10000")], vec![]), [0, 0]);
    // "resources requested equal node capacity"
    let big = pod("p").req(&[("cpu", "2000"), ("memory", "4000")]).req(&[("cpu", "3000"), ("memory", "5000")]).obj();
    assert_eq!(ma(default_resources(), big, vec![cap("node1", "5000", "10000"), cap("node2", "10000", "9000")], vec![]), [95, 75]);
    // "no resources requested, pods scheduled, nonzero request for resource": the
    // requestless containers count 100m / 200Mi, on the node and for the pod.
    let c = |n: &str, i: usize| pod(&format!("e{i}")).node(n).container().obj();
    assert_eq!(
        ma(
            default_resources(),
            pod("p").container().obj(),
            vec![cap("node1", "250m", "1000Mi"), cap("node2", "250m", "1000Mi")],
            vec![c("node1", 1), c("node1", 2)]
        ),
        [80, 30]
    );
    // "bypass extended resource if the pod does not request"
    let ext = |name: &str, n: &str| node(name).capacity(&[("cpu", "6000"), ("memory", "10000"), ("abc.com/xyz", n)]).obj();
    assert_eq!(ma(extended_resource_set(), two().obj(), vec![cap("node1", "6000", "10000"), ext("node2", "4")], vec![]), [50, 50]);
    // "honor extended resource if the pod request"
    let gpu = pod("p").req(&[("cpu", "3000"), ("memory", "5000"), ("abc.com/xyz", "2")]).obj();
    assert_eq!(ma(extended_resource_set(), gpu, vec![ext("node1", "4"), ext("node2", "10")], vec![]), [50, 40]);
    // "if the node doesn't have a resource"
    assert_eq!(
        ma(
            res(&[("abc.com/xyz", 2), ("cpu", 1), ("memory", 1)]),
            pod("p").req(&[("cpu", "3000"), ("memory", "4000")]).obj(),
            vec![cap("node1", "6000", "10000"), ext("node2", "4")],
            vec![]
        ),
        [45, 45]
    );
}

/// balanced_allocation_test.go TestNodeResourcesBalancedAllocation (makeNode takes
/// millicores). DRA cases are not ported (no DRA in ksim).
#[test]
fn balanced_allocation() {
    let mk = |name: &str, milli: i64, mem: i64, gpu: Option<i64>| {
        let cpu = format!("{milli}m");
        let mem = mem.to_string();
        let g = gpu.map(|g| g.to_string());
        let mut r = vec![("cpu", cpu.as_str()), ("memory", mem.as_str())];
        if let Some(g) = &g {
            r.push(("nvidia.com/gpu", g.as_str()));
        }
        node(name).capacity(&r).obj()
    };
    let cpu_and_memory =
        |name: &str, n: &str| pod(name).node(n).req(&[("cpu", "1000m"), ("memory", "2000")]).req(&[("cpu", "2000m"), ("memory", "3000")]).obj();
    let cpu_only = |name: &str, n: &str| pod(name).node(n).req(&[("cpu", "1000m"), ("memory", "0")]).req(&[("cpu", "2000m"), ("memory", "0")]).obj();
    let gpu3 = |name: &str, n: &str| {
        pod(name).node(n).req(&[("cpu", "1000m"), ("memory", "2000")]).req(&[("cpu", "2000m"), ("memory", "3000"), ("nvidia.com/gpu", "3")]).obj()
    };
    let d = default_resources;
    // "nothing scheduled, nothing requested, skip in PreScore"
    assert_eq!(balanced_scores(d(), pod("p").obj(), vec![mk("node1", 4000, 10000, None), mk("node2", 4000, 10000, None)], vec![]), None);
    // "nothing scheduled, resources requested, differently sized nodes"
    assert_eq!(
        balanced_scores(d(), cpu_and_memory("p", ""), vec![mk("node1", 4000, 10000, None), mk("node2", 6000, 10000, None)], vec![]),
        Some(vec![87, 100])
    );
    // "resources requested, pods scheduled with resources"
    let existing = || vec![cpu_only("a", "node1"), cpu_and_memory("b", "node2")];
    assert_eq!(
        balanced_scores(d(), cpu_and_memory("p", ""), vec![mk("node1", 10000, 20000, None), mk("node2", 10000, 20000, None)], existing()),
        Some(vec![82, 95])
    );
    // "resources requested, pods scheduled with resources, differently sized nodes"
    assert_eq!(
        balanced_scores(d(), cpu_and_memory("p", ""), vec![mk("node1", 10000, 20000, None), mk("node2", 10000, 50000, None)], existing()),
        Some(vec![82, 80])
    );
    // "requested resources at node capacity"
    assert_eq!(balanced_scores(d(), cpu_only("p", ""), vec![mk("node1", 6000, 10000, None), mk("node2", 6000, 10000, None)], existing()), Some(vec![50, 75]));
    let with_gpu = || res(&[("cpu", 1), ("memory", 1), ("nvidia.com/gpu", 1)]);
    // "include scalar resource on a node for balanced resource allocation"
    let wants_gpu = pod("p").req(&[("memory", "0"), ("nvidia.com/gpu", "1")]).obj();
    assert_eq!(
        balanced_scores(
            with_gpu(),
            wants_gpu,
            vec![mk("node1", 3500, 40000, Some(8)), mk("node2", 3500, 40000, Some(8))],
            vec![cpu_and_memory("a", "node2"), gpu3("b", "node1")]
        ),
        Some(vec![70, 65])
    );
    // "node without the scalar resource should skip the scalar resource"
    assert_eq!(
        balanced_scores(with_gpu(), cpu_and_memory("p", ""), vec![mk("node1", 3500, 40000, Some(8)), mk("node2", 3500, 40000, None)], vec![]),
        Some(vec![63, 63])
    );
}
