//! The image manager of one node (upstream pkg/kubelet/images): which images a pod still
//! needs, the pulls in progress — serialized, one at a time per node
//! (`serializeImagePulls: true`, the default) — and the node's image cache, which the
//! node status reports in `status.images`.
//!
//! Differences from upstream: a pull takes `ksim.dev/image-pull-duration` and fails only
//! where `ksim.dev/image-pull-error` says the registry refuses the image (the worker's
//! ErrImagePull / ImagePullBackOff: pod_workers.rs ensure_images); the cache is never
//! garbage-collected; a second pod that needs an image being pulled
//! waits for that pull (as upstream's puller does) without a pull of its own.

use crate::api::node::ContainerImage;
use crate::api::pod::Pod;
use crate::engine::{SimDuration, SimTime};
use std::collections::{BTreeMap, BTreeSet};

#[derive(Default)]
pub(super) struct ImageManager {
    /// Images on the node.
    present: BTreeSet<String>,
    /// Image sizes known from `ksim.dev/image-size`.
    sizes: BTreeMap<String, i64>,
    /// Whether the image set changed since the last node status (the kubelet reports new
    /// images within 10 s).
    pub(super) changed: bool,
    /// Image pulls in progress → when they finish.
    pulls: BTreeMap<String, SimTime>,
    /// When the (serial) puller is next free.
    puller_free_at: SimTime,
}

impl ImageManager {
    /// The node crashed: pulls in progress are lost; pulled images stay on disk.
    pub(super) fn crash(&mut self) {
        self.pulls.clear();
        self.puller_free_at = SimTime::ZERO;
    }

    /// The images of `pod` (init containers first) that need a pull, by imagePullPolicy:
    /// `Never` never, `Always` always, otherwise (`IfNotPresent`) unless on the node.
    pub(super) fn to_pull(&self, pod: &Pod) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for c in pod.spec.init_containers.iter().chain(pod.spec.containers.iter()) {
            let cached = self.present.contains(&c.image) && !self.pulls.contains_key(&c.image);
            let pull = match c.image_pull_policy.as_str() {
                "Never" => false,
                "Always" => true,
                _ => !cached,
            };
            if pull && !out.contains(&c.image) {
                out.push(c.image.clone());
            }
        }
        out
    }

    /// Queues pulls of `images` (each taking `one`) behind the pulls in progress; an image
    /// already being pulled is waited for, not pulled again. Returns when the last of
    /// them is on the node, and the images whose pull this call started.
    pub(super) fn pull(&mut self, images: Vec<String>, now: SimTime, one: SimDuration) -> (SimTime, Vec<String>) {
        let mut ready_at = now;
        let mut started = Vec::new();
        for image in images {
            let done = match self.pulls.get(&image) {
                Some(done) => *done, // another pod is pulling it: wait for that pull
                None => {
                    let done = self.puller_free_at.max(now) + one;
                    self.puller_free_at = done;
                    self.pulls.insert(image.clone(), done);
                    started.push(image);
                    done
                }
            };
            ready_at = ready_at.max(done);
        }
        (ready_at, started)
    }

    /// `image` (pulled by the caller) is on the node, with its size if known.
    pub(super) fn pulled(&mut self, image: &str, size: Option<i64>) {
        if let Some(s) = size {
            self.sizes.insert(image.to_string(), s);
        }
        self.changed |= self.present.insert(image.to_string());
    }

    /// Whether `image` is on the node.
    pub(super) fn is_present(&self, image: &str) -> bool {
        self.present.contains(image)
    }

    /// A pull the registry refused: nothing lands on the node.
    pub(super) fn fail_pull(&mut self, image: &str) {
        self.pulls.remove(image);
    }

    /// Every pull finished by `now` is on the node.
    pub(super) fn finish_pulls(&mut self, now: SimTime) {
        let finished: Vec<String> = self.pulls.iter().filter(|(_, done)| **done <= now).map(|(i, _)| i.clone()).collect();
        for image in finished {
            self.pulls.remove(&image);
            self.changed |= self.present.insert(image);
        }
    }

    /// The node's `status.images` (normalized names, sizes when known).
    pub(super) fn node_images(&self) -> Vec<ContainerImage> {
        self.present
            .iter()
            .map(|i| ContainerImage {
                names: vec![crate::scheduler::plugins::image_locality::normalized_image_name(i)],
                size_bytes: self.sizes.get(i).copied(),
            })
            .collect()
    }
}
