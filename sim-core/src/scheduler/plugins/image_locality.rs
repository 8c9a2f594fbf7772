//! ImageLocality (plugins/imagelocality): favours nodes that already have the pod's
//! images, by their size scaled by how widely the image is spread (to avoid piling
//! pods onto the one node with a rare image). No normalization.

use crate::scheduler::framework::{image_order, NodeInfo, PodInfo, Snapshot, MAX_NODE_SCORE};
use std::rc::Rc;

pub const NAME: &str = "ImageLocality";
const MB: i64 = 1024 * 1024;
const MIN_THRESHOLD: i64 = 23 * MB;
const MAX_CONTAINER_THRESHOLD: i64 = 1000 * MB;

/// normalizedImageName: an image without a tag gets `:latest`.
pub fn normalized_image_name(name: &str) -> String {
    let last_colon = name.rfind(':');
    let last_slash = name.rfind('/');
    if last_colon.is_none() || last_colon <= last_slash {
        format!("{name}:latest")
    } else {
        name.to_string()
    }
}

/// PreScore: the pod's images, normalized, one per container (init containers first).
pub fn pod_images(pod: &PodInfo) -> Vec<String> {
    let spec = &pod.pod().spec;
    spec.init_containers.iter().chain(spec.containers.iter()).map(|c| normalized_image_name(&c.image)).collect()
}

/// The pod's `images` (`with_spread`) on `node`.
pub fn score(images: &[(Rc<str>, f64)], node: &NodeInfo) -> i64 {
    let containers = images.len() as i64;
    let mut sum = 0i64;
    if node.images.is_empty() {
        return calculate_priority(0, containers);
    }
    for (name, spread) in images {
        // The name the scheduler's nodes share (`with_spread`) is found by address;
        // any other by the order (a name of the same length compared).
        if let Ok(i) = node.images.binary_search_by(|(n, _)| if Rc::ptr_eq(n, name) { std::cmp::Ordering::Equal } else { image_order(n, name) }) {
            let size = node.images[i].1;
            // scaledImageScore: int64(float64(size) * spread)
            sum += (size as f64 * spread) as i64;
        }
    }
    calculate_priority(sum, containers)
}

/// Each image's spread (numNodes / totalNumNodes), the same for every node scored:
/// worked out once per pod rather than once per node; and its name as the nodes share
/// it, if they list it.
pub fn with_spread(images: Vec<String>, snap: &Snapshot) -> Vec<(Rc<str>, f64)> {
    let total_nodes = snap.order.len();
    images
        .into_iter()
        .map(|name| {
            let (name, num_nodes) = match snap.image_nodes.get_key_value(name.as_str()) {
                Some((shared, &n)) => (shared.clone(), n),
                None => (Rc::from(name), 1),
            };
            (name, num_nodes as f64 / total_nodes.max(1) as f64)
        })
        .collect()
}

/// calculatePriority: clamp to [23 MB, 1000 MB × containers] and scale to 0..100.
pub fn calculate_priority(sum: i64, containers: i64) -> i64 {
    let max_threshold = MAX_CONTAINER_THRESHOLD * containers.max(1);
    let s = sum.clamp(MIN_THRESHOLD, max_threshold);
    MAX_NODE_SCORE * (s - MIN_THRESHOLD) / (max_threshold - MIN_THRESHOLD)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// image_locality_test.go TestNormalizedImageName (TestImageLocalityPriority is in
    /// plugins/upstream/image_locality.rs, through the score runner).
    #[test]
    fn normalizes_image_names_like_upstream() {
        assert_eq!(normalized_image_name("root"), "root:latest");
        assert_eq!(normalized_image_name("gcr.io:5000/root"), "gcr.io:5000/root:latest");
        assert_eq!(normalized_image_name("root:tag"), "root:tag");
        let digest = "root@sha256:4813494d137e1631bba301d5acab6e7bb7aa74ce1185d456565ef51d737677b2";
        assert_eq!(normalized_image_name(digest), digest);
    }
}
