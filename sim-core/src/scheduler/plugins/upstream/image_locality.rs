//! imagelocality/image_locality_test.go TestImageLocalityPriority, through the score
//! plugins' runner (PreScore's image list, Score, no normalization): sizes summed per
//! node, each scaled by the share of nodes that have the image, clamped to
//! [23 MiB, 1000 MiB × containers].

use super::{node, pod, Cluster, NodeBuilder};
use crate::api::node::Node;
use crate::scheduler::plugins::{run_scores, CycleState};
use crate::scheduler::profile::{PluginId, Profile};

const MB: i64 = 1024 * 1024;

fn scores(p: super::PodBuilder, nodes: Vec<Node>) -> Vec<i64> {
    let c = Cluster::new(nodes, vec![]);
    let profile = Profile { scores: vec![(PluginId::ImageLocality, 1)], ..Profile::default() };
    let feasible: Vec<usize> = (0..c.nodes.len()).collect();
    let (detail, totals) = run_scores(&profile, &CycleState::default(), &p.info(), &c.snap(), &feasible, true);
    assert_eq!(detail.len(), 1);
    assert_eq!(detail[0].raw, totals, "ImageLocality does not normalize");
    totals
}

fn node403002000(name: &str) -> Node {
    node(name)
        .image(&["gcr.io/40:latest", "gcr.io/40:v1", "gcr.io/40:v1"], 40 * MB)
        .image(&["gcr.io/300:latest", "gcr.io/300:v1"], 300 * MB)
        .image(&["gcr.io/2000:latest"], 2000 * MB)
        .obj()
}
fn node25010(name: &str) -> Node {
    node(name).image(&["gcr.io/250:latest"], 250 * MB).image(&["gcr.io/10:latest", "gcr.io/10:v1"], 10 * MB).obj()
}
fn images(name: &str, list: &[(&str, i64)]) -> Node {
    list.iter().fold(node(name), |n: NodeBuilder, (img, size)| n.image(&[img], size * MB)).obj()
}

#[test]
fn image_locality_priority() {
    let node60040900 = |n: &str| images(n, &[("gcr.io/600:latest", 600), ("gcr.io/40:latest", 40), ("gcr.io/900:latest", 900)]);
    let node300600900 = |n: &str| images(n, &[("gcr.io/300:latest", 300), ("gcr.io/600:latest", 600), ("gcr.io/900:latest", 900)]);
    let node400030 = |n: &str| images(n, &[("gcr.io/4000:latest", 4000), ("gcr.io/30:latest", 30)]);
    let node203040 = |n: &str| images(n, &[("gcr.io/20:latest", 20), ("gcr.io/30:latest", 30), ("gcr.io/40:latest", 40)]);
    let test40250 = || pod("p").image("gcr.io/40").image("gcr.io/250");
    let test_min_max = || pod("p").image("gcr.io/10").image("gcr.io/4000");
    // "two images spread on two nodes, prefer the larger image one":
    // node2: 100 * (250M/2 - 23M)/(1000M * 2 - 23M) = 5
    assert_eq!(scores(test40250(), vec![node403002000("node1"), node25010("node2")]), [0, 5]);
    // "two images on one node, prefer this node": 100 * ((40M + 300M)/2 - 23M)/(1000M * 2 - 23M) = 7
    assert_eq!(scores(pod("p").image("gcr.io/40").image("gcr.io/300"), vec![node403002000("node1"), node25010("node2")]), [7, 0]);
    // "if exceed limit, use limit": 4000M * 1/2 >= 1000M * 2
    assert_eq!(scores(test_min_max(), vec![node400030("node1"), node25010("node2")]), [100, 0]);
    // "if exceed limit, use limit (with node which has no images present)": 100 * (4000M/3 - 23M)/(1000M * 2 - 23M) = 66
    assert_eq!(scores(test_min_max(), vec![node400030("node1"), node25010("node2"), node("node3").obj()]), [66, 0, 0]);
    // "pod with multiple large images, node2 is preferred": 32 and 36
    let p = pod("p").image("gcr.io/300").image("gcr.io/600").image("gcr.io/900");
    assert_eq!(scores(p, vec![node60040900("node1"), node300600900("node2"), node("node3").obj()]), [32, 36, 0]);
    // "pod with multiple small images": 100 * (30M + 40M * 1/2 - 23M) / (1000M * 2 - 23M) = 1
    assert_eq!(scores(pod("p").image("gcr.io/30").image("gcr.io/40"), vec![node203040("node1"), node400030("node2")]), [1, 0]);
    // "include InitContainers: two images spread on two nodes, prefer the larger image one":
    // 100 * (300M * 1/2 - 23M) / (1000M * 2 - 23M) = 6
    assert_eq!(scores(pod("p").image("gcr.io/30").init_image("gcr.io/300"), vec![node403002000("node1"), node203040("node2")]), [6, 0]);
}

/// cacheImpl.addNodeImageStates keys a node's images by name (ImageStateSummary.Nodes is a
/// set), so a name a node lists twice ("gcr.io/40:v1" above) counts that node once.
#[test]
fn a_name_listed_twice_counts_its_node_once() {
    let c = Cluster::new(vec![node403002000("node1"), node25010("node2")], vec![]);
    assert_eq!(c.image_nodes.get("gcr.io/40:v1"), Some(&1));
    // 40M * 1/2 < 23M: a double count (spread 2/2) would give 100 * (40M - 23M)/(977M) = 1.
    assert_eq!(scores(pod("p").image("gcr.io/40:v1"), vec![node403002000("node1"), node25010("node2")]), [0, 0]);
}
