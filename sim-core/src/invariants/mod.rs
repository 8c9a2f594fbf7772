//! Invariants: read-only checkers that watch every store write and every watch delivery
//! of a run (TigerBeetle's and FoundationDB's habit: the checkers live apart from the
//! model). Safety invariants are checked as each write happens; liveness ones
//! (`converged`) once the cluster is quiet. Each violation names the invariant, the
//! moment and engine event that broke it, and the objects involved.

use crate::api::{Kind, Object};
use crate::engine::SimTime;
use crate::etcd::{WatchEvent, WatchEventType};
use crate::network::ipam::{parse_ip, Cidr};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// One broken invariant.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    pub invariant: &'static str,
    pub time: SimTime,
    /// The engine event being handled when it broke.
    pub event: String,
    pub objects: Vec<String>,
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "[{}] at {} during {}: {} ({})", self.invariant, self.time, self.event, self.message, self.objects.join(", "))
    }
}

pub const NODE_OVERCOMMITTED: &str = "node-not-overcommitted";
pub const POD_BOUND_TWICE: &str = "pod-bound-once";
pub const BOUND_TO_MISSING_NODE: &str = "bound-to-existing-node";
pub const POD_IP_UNIQUE: &str = "pod-ip-unique";
pub const POD_IP_IN_CIDR: &str = "pod-ip-in-node-cidr";
pub const REVISION_INCREASING: &str = "resource-version-increasing";
pub const WATCH_ORDERED: &str = "watch-ordered-gap-free";
pub const REPLICASET_BOUND: &str = "replicaset-within-replicas";
pub const CONVERGED: &str = "controllers-converge";
pub const NODES_RECOVER: &str = "nodes-recover";

/// How long after the last fault the cluster must have had to settle before liveness is
/// checked: node-monitor-grace-period (50 s) + the default toleration (300 s) + slack.
pub const QUIET_AFTER_FAULTS: crate::engine::SimDuration = crate::engine::SimDuration::from_secs(420);

type Key = (String, String);

#[derive(Clone, Copy, Debug, Default)]
struct Usage {
    cpu: i64,
    mem: i64,
    pods: i64,
}

#[derive(Clone, Debug, Default)]
struct NodeState {
    alloc: Usage,
    cidr: Option<Cidr>,
    pods: BTreeMap<Key, Usage>,
}

/// The safety checker of one run.
#[derive(Default)]
pub struct Checker {
    last_revision: u64,
    nodes: BTreeMap<String, NodeState>,
    ips: BTreeMap<u32, Key>,
    pod_ip: BTreeMap<Key, u32>,
    /// The node each live pod is counted on.
    pod_node: BTreeMap<Key, String>,
    /// Active pods per controller uid (for the ReplicaSet bound).
    owned: BTreeMap<String, BTreeSet<Key>>,
    pod_owner: BTreeMap<Key, String>,
    /// Per watcher: last delivery sequence number and revision.
    watches: BTreeMap<String, (u64, u64)>,
    pub violations: Vec<Violation>,
    /// Stop recording after this many (a broken run can break things millions of times).
    pub max_violations: usize,
}

fn key_of(o: &Object) -> Key {
    (o.meta().namespace.clone(), o.meta().name.clone())
}

fn fmt_key(kind: &str, k: &Key) -> String {
    if k.0.is_empty() {
        format!("{kind}/{}", k.1)
    } else {
        format!("{kind}/{}/{}", k.0, k.1)
    }
}

/// Whether a pod holds resources and an IP on its node: bound, admitted by the kubelet
/// (it has a start time), and not terminal.
fn holds_node(p: &crate::api::pod::Pod) -> bool {
    !p.spec.node_name.is_empty() && !p.is_terminal() && p.status.start_time.is_some()
}

impl Checker {
    pub fn new() -> Self {
        Checker { max_violations: 100, ..Default::default() }
    }

    fn violate(&mut self, invariant: &'static str, time: SimTime, event: &str, objects: Vec<String>, message: String) {
        if self.violations.len() < self.max_violations {
            self.violations.push(Violation { invariant, time, event: event.to_string(), objects, message });
        }
    }

    /// A write the apiserver just made (`verb` as logged), during engine event `event`.
    pub fn on_write(&mut self, w: &WatchEvent, verb: &str, store: &crate::etcd::Store, time: SimTime, event: &str) {
        let obj_name = fmt_key(w.object.kind().name(), &key_of(&w.object));
        if w.revision <= self.last_revision || w.object.meta().resource_version.0 != w.revision {
            self.violate(
                REVISION_INCREASING,
                time,
                event,
                vec![obj_name.clone()],
                format!("revision {} after {} (object resourceVersion {})", w.revision, self.last_revision, w.object.meta().resource_version.0),
            );
        }
        self.last_revision = self.last_revision.max(w.revision);
        match &*w.object {
            Object::Node(n) => {
                let st = self.nodes.entry(n.metadata.name.clone()).or_default();
                if w.type_ == WatchEventType::Deleted {
                    st.cidr = None;
                    return;
                }
                let a = &n.status.allocatable;
                st.alloc = Usage {
                    cpu: a.get("cpu").map_or(0, |q| q.milli_value()),
                    mem: a.get("memory").map_or(0, |q| q.value()),
                    pods: a.get("pods").map_or(0, |q| q.value()),
                };
                st.cidr = Cidr::parse(&n.spec.pod_cidr).ok();
            }
            Object::Pod(p) => self.on_pod(w, p, verb, store, time, event, obj_name),
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_pod(&mut self, w: &WatchEvent, p: &crate::api::pod::Pod, verb: &str, store: &crate::etcd::Store, time: SimTime, event: &str, name: String) {
        let key = key_of(&w.object);
        let prev = w.prev.as_ref().and_then(|o| o.as_pod());
        if let Some(prev) = prev {
            if !prev.spec.node_name.is_empty() && prev.spec.node_name != p.spec.node_name && w.type_ != WatchEventType::Deleted {
                self.violate(POD_BOUND_TWICE, time, event, vec![name.clone()], format!("moved from node {} to {:?}", prev.spec.node_name, p.spec.node_name));
            }
        }
        if verb == "bind" && store.get_parts(&Kind::Node, "", &p.spec.node_name).is_none() {
            self.violate(
                BOUND_TO_MISSING_NODE,
                time,
                event,
                vec![name.clone(), format!("node/{}", p.spec.node_name)],
                "bound to a node that does not exist".into(),
            );
        }
        // Resources on the node.
        if let Some(old) = self.pod_node.remove(&key) {
            if let Some(st) = self.nodes.get_mut(&old) {
                st.pods.remove(&key);
            }
        }
        let live = w.type_ != WatchEventType::Deleted && holds_node(p);
        if live {
            let r = p.spec.requests();
            let node = p.spec.node_name.clone();
            self.pod_node.insert(key.clone(), node.clone());
            let st = self.nodes.entry(node.clone()).or_default();
            st.pods.insert(key.clone(), Usage { cpu: r.milli_cpu, mem: r.memory, pods: 1 });
            let used = st.pods.values().fold(Usage::default(), |a, u| Usage { cpu: a.cpu + u.cpu, mem: a.mem + u.mem, pods: a.pods + u.pods });
            let alloc = st.alloc;
            if used.cpu > alloc.cpu || used.mem > alloc.mem || used.pods > alloc.pods {
                self.violate(
                    NODE_OVERCOMMITTED,
                    time,
                    event,
                    vec![format!("node/{node}"), name.clone()],
                    format!("requests cpu {}m/{}m, memory {}/{}, pods {}/{}", used.cpu, alloc.cpu, used.mem, alloc.mem, used.pods, alloc.pods),
                );
            }
        }
        // Pod IPs.
        if let Some(old) = self.pod_ip.remove(&key) {
            if self.ips.get(&old) == Some(&key) {
                self.ips.remove(&old);
            }
        }
        if live && !p.status.pod_ip.is_empty() {
            if let Some(ip) = parse_ip(&p.status.pod_ip) {
                if let Some(other) = self.ips.get(&ip).filter(|o| **o != key).cloned() {
                    self.violate(POD_IP_UNIQUE, time, event, vec![name.clone(), fmt_key("pod", &other)], format!("both hold {}", p.status.pod_ip));
                }
                let cidr = self.nodes.get(&p.spec.node_name).and_then(|n| n.cidr);
                match cidr {
                    Some(c) if c.contains(ip) => {}
                    c => self.violate(
                        POD_IP_IN_CIDR,
                        time,
                        event,
                        vec![name.clone(), format!("node/{}", p.spec.node_name)],
                        format!("{} is outside the node's pod CIDR {}", p.status.pod_ip, c.map_or("(none)".to_string(), |c| c.to_string())),
                    ),
                }
                self.ips.insert(ip, key.clone());
                self.pod_ip.insert(key.clone(), ip);
            }
        }
        // Active pods per controller.
        if let Some(old) = self.pod_owner.remove(&key) {
            if let Some(set) = self.owned.get_mut(&old) {
                set.remove(&key);
            }
        }
        if let Some(owner) = p.metadata.controller_ref() {
            if w.type_ != WatchEventType::Deleted && crate::controller_manager::controller_utils::is_pod_active(p) {
                self.owned.entry(owner.uid.clone()).or_default().insert(key.clone());
                self.pod_owner.insert(key.clone(), owner.uid.clone());
            }
        }
        // A ReplicaSet never has more active pods than it asks for when it creates one.
        if w.type_ == WatchEventType::Added {
            if let Some(owner) = p.metadata.controller_ref().filter(|r| r.kind == "ReplicaSet") {
                if let Some(rs) = store.get_parts(&Kind::ReplicaSet, &p.metadata.namespace, &owner.name).and_then(|o| o.as_replica_set()) {
                    let active = self.owned.get(&rs.metadata.uid).map_or(0, |s| s.len()) as i32;
                    if active > rs.replicas() {
                        self.violate(
                            REPLICASET_BOUND,
                            time,
                            event,
                            vec![format!("replicaset/{}/{}", rs.metadata.namespace, rs.metadata.name), name],
                            format!("{active} active pods for {} replicas", rs.replicas()),
                        );
                    }
                }
            }
        }
    }

    /// A watch event delivered to `watcher` with its per-watcher sequence number.
    pub fn on_delivery(&mut self, watcher: &str, seq: u64, revision: u64, time: SimTime, event: &str) {
        let (last_seq, last_rev) = self.watches.get(watcher).copied().unwrap_or((0, 0));
        if seq != last_seq + 1 || revision <= last_rev {
            self.violate(
                WATCH_ORDERED,
                time,
                event,
                vec![watcher.to_string()],
                format!("delivery #{seq} (revision {revision}) after #{last_seq} (revision {last_rev})"),
            );
        }
        self.watches.insert(watcher.to_string(), (seq, revision));
    }
}

/// Liveness once faults have stopped and the cluster is quiet: every ReplicaSet has as
/// many active pods as it asks for, every Deployment's ReplicaSets are scaled to it, and
/// every node whose kubelet runs is Ready and untainted by the node controller.
pub fn converged(store: &crate::etcd::Store, alive: &BTreeSet<String>, time: SimTime) -> Vec<Violation> {
    let mut out = Vec::new();
    let mut v = |inv: &'static str, objects: Vec<String>, message: String| {
        out.push(Violation { invariant: inv, time, event: "quiet cluster".into(), objects, message })
    };
    let pods: Vec<&crate::api::pod::Pod> = store.list(&Kind::Pod).filter_map(|o| o.as_pod()).collect();
    for o in store.list(&Kind::ReplicaSet) {
        let rs = o.as_replica_set().expect("rs");
        if rs.metadata.deletion_timestamp.is_some() {
            continue;
        }
        let active = pods
            .iter()
            .filter(|p| crate::controller_manager::controller_utils::is_pod_active(p) && p.metadata.controller_ref().is_some_and(|r| r.uid == rs.metadata.uid))
            .count() as i32;
        if active != rs.replicas() || rs.status.replicas != active {
            v(
                CONVERGED,
                vec![format!("replicaset/{}/{}", rs.metadata.namespace, rs.metadata.name)],
                format!("{active} active pods (status says {}) for {} replicas", rs.status.replicas, rs.replicas()),
            );
        }
    }
    for o in store.list(&Kind::Deployment) {
        let d = o.as_deployment().expect("deployment");
        let rss: Vec<_> = store
            .list(&Kind::ReplicaSet)
            .filter_map(|o| o.as_replica_set())
            .filter(|r| r.metadata.controller_ref().is_some_and(|c| c.uid == d.metadata.uid))
            .collect();
        let total: i32 = rss.iter().map(|r| r.replicas()).sum();
        if total != d.replicas() || d.status.observed_generation != d.metadata.generation {
            v(
                CONVERGED,
                vec![format!("deployment/{}/{}", d.metadata.namespace, d.metadata.name)],
                format!("ReplicaSets ask for {total} of {} replicas", d.replicas()),
            );
        }
    }
    for o in store.list(&Kind::Node) {
        let n = o.as_node().expect("node");
        if !alive.contains(&n.metadata.name) {
            continue;
        }
        let tainted =
            n.spec.taints.iter().any(|t| t.key == crate::apiserver::defaults::TAINT_UNREACHABLE || t.key == crate::apiserver::defaults::TAINT_NOT_READY);
        if n.ready_status() != "True" || tainted {
            v(
                NODES_RECOVER,
                vec![format!("node/{}", n.metadata.name)],
                format!("Ready={} with taints {:?}", n.ready_status(), n.spec.taints.iter().map(|t| t.describe()).collect::<Vec<_>>()),
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::Time;
    use crate::api::node::Node;
    use crate::api::pod::{Container, Pod};
    use crate::api::quantity::Quantity;
    use crate::etcd::{HistoryLimits, Store};
    use std::rc::Rc;

    fn node(name: &str, cidr: &str) -> Object {
        let mut n = Node::default();
        n.metadata.name = name.into();
        n.spec.pod_cidr = cidr.into();
        n.status.allocatable = [("cpu", Quantity::from_milli(1000)), ("memory", Quantity::from_bytes(1 << 30)), ("pods", Quantity::from_value(2))]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect();
        Object::Node(Box::new(n))
    }

    fn pod(name: &str, node: &str, ip: &str, cpu_m: i64) -> Object {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.namespace = "default".into();
        let mut c = Container { name: "c".into(), image: "x".into(), ..Default::default() };
        c.resources.requests.insert("cpu".into(), Quantity::from_milli(cpu_m));
        Rc::make_mut(&mut p.spec).containers = Rc::new(vec![c]);
        Rc::make_mut(&mut p.spec).node_name = node.into();
        p.status.start_time = Some(Time(SimTime(0)));
        p.status.pod_ip = ip.into();
        p.status.phase = "Running".into();
        Object::Pod(p)
    }

    fn write(store: &mut Store, c: &mut Checker, o: Object) {
        let exists = store.get(&o.key()).is_some();
        let ev = if exists { store.update(o, SimTime(1)) } else { store.create(o, SimTime(1)) }.unwrap();
        c.on_write(&ev, "update", store, SimTime(1), "test");
    }

    fn names(c: &Checker) -> Vec<&'static str> {
        c.violations.iter().map(|v| v.invariant).collect()
    }

    #[test]
    fn catches_overcommit_duplicate_ips_and_ips_outside_the_cidr() {
        let mut s = Store::new(HistoryLimits::default());
        let mut c = Checker::new();
        write(&mut s, &mut c, node("n1", "10.244.0.0/24"));
        write(&mut s, &mut c, pod("a", "n1", "10.244.0.2", 600));
        assert!(c.violations.is_empty());
        write(&mut s, &mut c, pod("b", "n1", "10.244.0.2", 600));
        assert_eq!(names(&c), [NODE_OVERCOMMITTED, POD_IP_UNIQUE]);
        write(&mut s, &mut c, pod("c", "n1", "10.9.9.9", 0));
        assert!(names(&c).contains(&POD_IP_IN_CIDR));
        assert!(names(&c).iter().filter(|n| **n == NODE_OVERCOMMITTED).count() >= 2, "3 pods on a 2-pod node");
        let shown = c.violations[0].to_string();
        assert!(shown.contains("node/n1") && shown.contains("1200m/1000m"), "{shown}");
    }

    #[test]
    fn catches_a_pod_moved_between_nodes_and_watch_gaps() {
        let mut s = Store::new(HistoryLimits::default());
        let mut c = Checker::new();
        write(&mut s, &mut c, node("n1", "10.244.0.0/24"));
        write(&mut s, &mut c, node("n2", "10.244.1.0/24"));
        write(&mut s, &mut c, pod("a", "n1", "", 0));
        write(&mut s, &mut c, pod("a", "n2", "", 0));
        assert_eq!(names(&c), [POD_BOUND_TWICE]);
        c.on_delivery("scheduler", 1, 5, SimTime(1), "d1");
        c.on_delivery("scheduler", 3, 9, SimTime(1), "d3");
        c.on_delivery("kubelet/n1", 1, 4, SimTime(1), "k1");
        assert_eq!(names(&c), [POD_BOUND_TWICE, WATCH_ORDERED]);
    }
}
