//! The node side of the kubelet (upstream pkg/kubelet/nodestatus, kubelet_node_status.go
//! and pkg/kubelet/nodelease): the Node object it registers, its conditions, the node
//! status it posts, and the Lease it renews in kube-node-lease.
//!
//! Differences from upstream: the status is looked at with each lease renewal (every
//! 10 s, as upstream's nodeStatusUpdateFrequency) and posted when the image set or the
//! Ready condition changed, or nodeStatusReportFrequency has passed. Ready is False
//! (KubeletNotReady) while the runtime or its network is not ready (runtime_state.rs);
//! MemoryPressure comes from the eviction manager (eviction.rs); DiskPressure and PIDPressure
//! are always False.

use super::{Kubelet, Timer};
use crate::api::meta::Time;
use crate::api::node::{Node, NodeAddress, NodeCondition, NodeStatus};
use crate::api::quantity::Quantity;
use crate::api::Object;
use crate::apiserver::Request;
use crate::client::Ctx;
use crate::engine::{SimDuration, SimTime};
use std::collections::BTreeMap;
use std::rc::Rc;

thread_local! {
    /// The nodeInfo every kubelet reports: the same for every node (ksim's nodes have no
    /// machine ID, system UUID or boot ID), so one value the Nodes share — a JSON map
    /// of six strings made for each node was a kilobyte a node.
    static NODE_INFO: Rc<serde_json::Value> = Rc::new(serde_json::json!({
        "architecture": "amd64",
        "containerRuntimeVersion": "containerd://2.1.0",
        "kernelVersion": "6.8.0-ksim",
        "kubeletVersion": KUBELET_VERSION,
        "operatingSystem": "linux",
        "osImage": "ksim simulated node"
    }));
}

/// What the heartbeat compares of the Node as last seen (`Kubelet::set_node`): its Ready
/// and MemoryPressure conditions, read once per version of the Node rather than every
/// 10 s (4,000 cold Node objects read that often were most of an idle big cluster's
/// kubelet time).
#[derive(Debug, Default)]
pub(super) struct SeenConditions {
    /// The Ready condition's status (its message when False), if there is one.
    pub(super) ready: Option<SeenReady>,
    /// Whether MemoryPressure is True, if there is such a condition.
    pub(super) memory_pressure: Option<bool>,
}

#[derive(Debug)]
pub(super) enum SeenReady {
    True,
    False(String),
    Other,
}

pub const LEASE_NAMESPACE: &str = "kube-node-lease";
pub const LEASE_DURATION_SECONDS: i32 = 40;
/// renewInterval = 0.25 × leaseDuration.
pub const LEASE_RENEW_INTERVAL: SimDuration = SimDuration::from_secs(10);
/// nodeStatusReportFrequency: the status is re-posted at least this often.
pub const NODE_STATUS_REPORT_FREQUENCY: SimDuration = SimDuration::from_secs(300);
pub const KUBELET_VERSION: &str = "v1.34.0";

impl Kubelet {
    /// The Node this kubelet registers (registerWithAPIServer's initialNode).
    pub(super) fn node_object(&self, now: SimTime) -> Object {
        let mut n = Node::default();
        n.metadata.name = self.spec.name.clone().into();
        let l = &mut n.metadata.labels;
        l.insert("kubernetes.io/arch".into(), "amd64".into());
        l.insert("kubernetes.io/hostname".into(), self.spec.name.clone());
        l.insert("kubernetes.io/os".into(), "linux".into());
        l.insert("ksim.dev/pool".into(), self.spec.pool.clone());
        for (k, v) in &self.spec.labels {
            l.insert(k.clone(), v.clone());
        }
        n.spec.taints = self.spec.taints.clone();
        let res: BTreeMap<String, Quantity> =
            [("cpu".to_string(), self.spec.cpu.clone()), ("memory".to_string(), self.spec.memory.clone()), ("pods".to_string(), self.spec.pods.clone())]
                .into_iter()
                .chain(self.spec.extended.iter().map(|(k, v)| (k.clone(), v.clone())))
                .collect();
        // One map for both, which the Node's versions share.
        n.status.capacity = res.into();
        n.status.allocatable = n.status.capacity.clone();
        n.status.addresses = vec![
            NodeAddress { type_: "InternalIP".into(), address: self.spec.internal_ip.clone() },
            NodeAddress { type_: "Hostname".into(), address: self.spec.name.clone() },
        ];
        n.status.node_info = Some(NODE_INFO.with(Rc::clone));
        n.status.conditions = conditions(self.clock(now), None, self.ready_error(now).as_deref(), false);
        Object::Node(Box::new(n))
    }

    /// The node's CSINode (the CSI plugin manager's InitializeCSINodeWithAnnotation and
    /// driver registration): each driver with the node as nodeID, the zone as its
    /// topology key when the node has one, and its attach limit. Written only for nodes
    /// whose pool names CSI drivers (upstream writes an empty one for every node).
    pub(super) fn csi_node(&self) -> Option<Object> {
        use crate::api::storage::{CSINode, CSINodeDriver, VolumeNodeResources};
        if self.spec.csi_drivers.is_empty() {
            return None;
        }
        let mut c = CSINode::default();
        c.metadata.name = self.spec.name.clone().into();
        let zoned = self.spec.labels.contains_key("topology.kubernetes.io/zone");
        c.spec.drivers = self
            .spec
            .csi_drivers
            .iter()
            .map(|(name, max)| CSINodeDriver {
                name: name.clone(),
                node_id: self.spec.name.clone(),
                topology_keys: if zoned { vec!["topology.kubernetes.io/zone".into()] } else { Vec::new() },
                allocatable: (*max > 0).then_some(VolumeNodeResources { count: Some(i32::try_from(*max).unwrap_or(i32::MAX)) }),
            })
            .collect();
        Some(Object::CSINode(Box::new(c)))
    }

    pub(super) fn post_node_status(&mut self, ctx: &mut Ctx) {
        let Some(node) = self.node.as_ref().and_then(|o| o.as_node()) else { return };
        // The Node last seen with new conditions and images (those two not copied only
        // to be replaced; the pattern names every field of the status).
        let NodeStatus { capacity, allocatable, conditions: _, addresses, images: _, node_info, daemon_endpoints, phase } = &node.status;
        let mut n = Node {
            status: NodeStatus {
                capacity: capacity.clone(),
                allocatable: allocatable.clone(),
                conditions: conditions(self.clock(ctx.now), Some(node), self.ready_error(ctx.now).as_deref(), self.memory_pressure(ctx.now)),
                addresses: addresses.clone(),
                images: self.images.node_images(),
                node_info: node_info.clone(),
                daemon_endpoints: daemon_endpoints.clone(),
                phase: phase.clone(),
            },
            ..node.clone_without_status()
        };
        n.metadata.resource_version.0 = 0;
        self.images.changed = false;
        self.last_status_post = ctx.now;
        // ReadyCondition's event when Ready turns True (after a restart, or once the
        // network is up); MemoryPressureCondition's when the pressure comes or goes.
        let became_ready = node.ready_status() != "True" && n.ready_status() == "True";
        let pressure = |x: &Node| x.condition("MemoryPressure").is_some_and(|c| c.status == "True");
        let pressure_event = (pressure(node) != pressure(&n)).then_some(if pressure(&n) { "NodeHasInsufficientMemory" } else { "NodeHasSufficientMemory" });
        ctx.request(Request::UpdateStatus(Object::Node(Box::new(n))));
        if let (true, Some(o)) = (became_ready, self.node.clone()) {
            let msg = format!("Node {} status is now: NodeReady", self.spec.name);
            self.event(&o, "Normal", "NodeReady", &msg, ctx);
        }
        if let (Some(reason), Some(o)) = (pressure_event, self.node.clone()) {
            let msg = format!("Node {} status is now: {reason}", self.spec.name);
            self.event(&o, "Normal", reason, &msg, ctx);
        }
    }

    /// This node's Lease in kube-node-lease, renewed now.
    pub(super) fn lease(&self, now: SimTime) -> Object {
        let mut lease = crate::api::namespace::Lease::default();
        lease.metadata.name = self.spec.name.as_str().into();
        lease.metadata.namespace = LEASE_NAMESPACE.into();
        lease.spec.holder_identity = Some(self.spec.name.clone());
        lease.spec.lease_duration_seconds = Some(LEASE_DURATION_SECONDS);
        // The node's own clock (a skewed one writes skewed renewals).
        lease.spec.renew_time = Some(Time(self.clock(now)));
        Object::Lease(Box::new(lease))
    }

    /// Every renewInterval: renew the Lease; post the node status if images changed or it
    /// is due.
    pub(super) fn heartbeat(&mut self, ctx: &mut Ctx) {
        ctx.request(Request::Update(self.lease(ctx.now)));
        // The eviction manager's monitoring period is the same 10 s (eviction.rs).
        if !self.eviction.resync_pending {
            self.synchronize_eviction(ctx);
        }
        // The Ready condition changes when the runtime's network comes up, or the runtime
        // goes down or comes back (nodeStatusHasChanged: conditions compared without
        // their heartbeat times).
        let err = self.ready_error(ctx.now);
        let ready_changed = self.seen.ready.as_ref().is_some_and(|seen| match (seen, &err) {
            (SeenReady::True, None) => false,
            (SeenReady::False(message), Some(e)) => message != e,
            _ => true,
        });
        let pressure = self.memory_pressure(ctx.now);
        let pressure_changed = self.seen.memory_pressure.is_some_and(|p| p != pressure);
        if self.images.changed || ready_changed || pressure_changed || ctx.now.since(self.last_status_post) >= NODE_STATUS_REPORT_FREQUENCY {
            self.post_node_status(ctx);
        }
        ctx.after(LEASE_RENEW_INTERVAL, Timer::Heartbeat { generation: self.process });
    }

    /// Keeps `node` as the Node last seen, and what the heartbeat compares of it.
    pub(super) fn set_node(&mut self, node: Option<Rc<Object>>) {
        let n = node.as_ref().and_then(|o| o.as_node());
        self.seen = SeenConditions {
            ready: n.and_then(|n| n.condition("Ready")).map(|c| match c.status.as_str() {
                "True" => SeenReady::True,
                "False" => SeenReady::False(c.message.clone()),
                _ => SeenReady::Other,
            }),
            memory_pressure: n.and_then(|n| n.condition("MemoryPressure")).map(|c| c.status == "True"),
        };
        self.node = node;
    }

    /// After a restart: the Node read back from the apiserver; post its status, and say
    /// NodeReady if it was not Ready.
    pub(super) fn on_node_list(&mut self, items: &[Rc<Object>], ctx: &mut Ctx) {
        self.set_node(items.iter().find(|o| o.meta().name == self.spec.name).cloned());
        self.post_node_status(ctx);
    }
}

/// The node's conditions at `now` (nodestatus setters: MemoryPressure, DiskPressure,
/// PIDPressure, Ready — False with `ready_error`, the runtime's and network's errors);
/// a condition keeps its lastTransitionTime while its status holds.
fn conditions(now: SimTime, prev: Option<&Node>, ready_error: Option<&str>, memory_pressure: bool) -> Vec<NodeCondition> {
    let t = Time(now);
    let mk = |type_: &str, status: &str, reason: &str, message: &str| {
        let transition = prev.and_then(|p| p.condition(type_)).filter(|c| c.status == status).and_then(|c| c.last_transition_time).unwrap_or(t);
        NodeCondition {
            type_: type_.into(),
            status: status.into(),
            last_heartbeat_time: Some(t),
            last_transition_time: Some(transition),
            reason: reason.into(),
            message: message.into(),
        }
    };
    vec![
        if memory_pressure {
            mk("MemoryPressure", "True", "KubeletHasInsufficientMemory", "kubelet has insufficient memory available")
        } else {
            mk("MemoryPressure", "False", "KubeletHasSufficientMemory", "kubelet has sufficient memory available")
        },
        mk("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure"),
        mk("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available"),
        // ReadyCondition: the runtime's errors make it False (KubeletNotReady).
        match ready_error {
            None => mk("Ready", "True", "KubeletReady", "kubelet is posting ready status"),
            Some(e) => mk("Ready", "False", "KubeletNotReady", e),
        },
    ]
}
