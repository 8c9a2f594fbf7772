//! The node-ipam controller (range allocator): each node without a pod CIDR gets the
//! next free block of the cluster CIDR in `spec.podCIDR` / `spec.podCIDRs`.

use super::informers::SharedInformers;
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx};
use crate::api::node::Node;
use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::etcd::{WatchEvent, WatchEventType};
use crate::network::ipam::{Cidr, ClusterCidrAllocator};
use std::collections::BTreeMap;

pub struct NodeIpamController {
    queue: WorkQueue<()>,
    allocator: ClusterCidrAllocator,
    /// Node → the block handed out (before and after the update is observed).
    assigned: BTreeMap<String, Cidr>,
    failed: BTreeMap<String, ()>,
}

impl NodeIpamController {
    pub fn new(allocator: ClusterCidrAllocator) -> Self {
        NodeIpamController { queue: WorkQueue::without_bucket(Order::Sorted), allocator, assigned: BTreeMap::new(), failed: BTreeMap::new() }
    }

    /// At the controller's start (range_allocator.go NewCIDRRangeAllocator): the CIDRs
    /// the existing nodes hold are occupied before any node is given one.
    pub fn occupy_existing<'a>(&mut self, nodes: impl Iterator<Item = &'a Node>) {
        for n in nodes {
            if let Ok(c) = Cidr::parse(&n.spec.pod_cidr) {
                self.allocator.occupy(c);
                self.assigned.insert(n.metadata.name.to_string(), c);
            }
        }
    }

    fn observe(&mut self, n: &Node, ctx: &mut ControllerCtx) {
        let name = &n.metadata.name;
        if !n.spec.pod_cidr.is_empty() {
            if !self.assigned.contains_key(name.as_str()) {
                if let Ok(c) = Cidr::parse(&n.spec.pod_cidr) {
                    self.allocator.occupy(c);
                    self.assigned.insert(name.to_string(), c);
                }
            }
            return;
        }
        if self.assigned.contains_key(name.as_str()) {
            return; // our update is on its way
        }
        match self.allocator.allocate() {
            Some(c) => {
                self.assigned.insert(name.to_string(), c);
                // nodeutil.PatchNodeCIDRs: a patch of the pod CIDRs alone.
                let cidr = c.to_string();
                let patch = serde_json::json!({"spec": {"podCIDR": cidr, "podCIDRs": [cidr]}});
                ctx.request(Request::Patch { key: Box::new(crate::api::ObjectKey::new(Kind::Node, "", name)), patch });
            }
            None => {
                if self.failed.insert(name.to_string(), ()).is_none() {
                    let obj = Object::Node(Box::new(n.clone()));
                    ctx.request(Request::Create(crate::client::event_for(
                        &obj,
                        "Normal",
                        "CIDRNotAvailable",
                        &format!("Node {name} status is now: CIDRNotAvailable"),
                        "cidrAllocator",
                        "",
                        ctx.now(),
                        0,
                    )));
                }
            }
        }
    }

    fn release(&mut self, n: &Node) {
        if let Some(c) = self.assigned.remove(n.metadata.name.as_str()) {
            self.allocator.release(c);
        }
        self.failed.remove(n.metadata.name.as_str());
    }
}

impl Controller for NodeIpamController {
    type Key = ();
    const NAME: &'static str = "cidrAllocator";

    fn queue(&mut self) -> &mut WorkQueue<()> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        matches!(kind, Kind::Node)
    }

    fn on_watch(&mut self, _inf: &SharedInformers, ev: &WatchEvent, ctx: &mut ControllerCtx) {
        let Some(n) = ev.object.as_node() else { return };
        if ev.type_ == WatchEventType::Deleted {
            self.release(n);
        } else {
            self.observe(n, ctx);
        }
    }
}
