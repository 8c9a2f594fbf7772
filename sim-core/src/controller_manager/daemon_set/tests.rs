//! The DaemonSet controller against upstream's own cases (pkg/controller/daemon
//! daemon_controller_test.go and update_test.go). The harness plays upstream's fake pod
//! control: a create puts the pod into the cache (unscheduled, pinned by node affinity)
//! and is answered at once, a delete removes it — so one `sync` here counts the creates
//! and deletes of every slow-start batch, as upstream's synchronous sync does. Events
//! are counted as upstream's fake recorder counts them: the controller's own (not
//! RealPodControl's SuccessfulCreate/SuccessfulDelete).

use super::*;
use crate::api::daemon_set::{DaemonSetStatus, RollingUpdateDaemonSet, CONTROLLER_REVISION_HASH};
use crate::api::meta::{IntOrString, LabelSelector, Labels, Time};
use crate::api::node::Taint;
use crate::api::pod::Container;
use crate::client::{Action, Ctx};
use crate::controller_manager::deployment::compute_hash;
use crate::controller_manager::{ControllerId, Shared};
use std::collections::VecDeque;

fn labels(pairs: &[(&str, &str)]) -> Labels {
    pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

/// simpleDaemonSetLabel, simpleDaemonSetLabel2, simpleNodeLabel, simpleNodeLabel2.
fn ds_label() -> Labels {
    labels(&[("name", "simple-daemon"), ("type", "production")])
}
fn ds_label2() -> Labels {
    labels(&[("name", "simple-daemon"), ("type", "test")])
}
fn node_label() -> Labels {
    labels(&[("color", "blue"), ("speed", "fast")])
}
fn node_label2() -> Labels {
    labels(&[("color", "red"), ("speed", "fast")])
}

/// newDaemonSet: OnDelete, revisionHistoryLimit 2, selecting simpleDaemonSetLabel.
fn new_daemon_set(name: &str) -> DaemonSet {
    let mut ds = DaemonSet::default();
    ds.metadata.name = name.into();
    ds.metadata.namespace = "default".into();
    ds.metadata.uid = format!("uid-{name}").into();
    ds.spec.revision_history_limit = Some(2);
    ds.spec.update_strategy.type_ = "OnDelete".into();
    ds.spec.selector = Some(LabelSelector { match_labels: ds_label(), match_expressions: vec![] });
    ds.spec.template.metadata.labels = ds_label().into();
    let spec = Rc::make_mut(&mut ds.spec.template.spec);
    spec.containers = Rc::new(vec![Container { name: "c".into(), image: "foo/bar".into(), image_pull_policy: "IfNotPresent".into(), ..Default::default() }]);
    spec.restart_policy = "Always".into();
    ds
}

/// newRollingUpdateStrategy (maxUnavailable 1) / newOnDeleteStrategy.
fn strategies() -> [(&'static str, Option<RollingUpdateDaemonSet>); 2] {
    [("OnDelete", None), ("RollingUpdate", Some(RollingUpdateDaemonSet { max_unavailable: Some(IntOrString::Int(1)), max_surge: None }))]
}

fn with_strategy(mut ds: DaemonSet, s: &(&'static str, Option<RollingUpdateDaemonSet>)) -> DaemonSet {
    ds.spec.update_strategy.type_ = s.0.into();
    ds.spec.update_strategy.rolling_update = s.1.clone();
    ds
}

/// newUpdateSurge: maxUnavailable 0, maxSurge `n`.
fn surge(mut ds: DaemonSet, n: i32) -> DaemonSet {
    ds.spec.update_strategy.type_ = "RollingUpdate".into();
    ds.spec.update_strategy.rolling_update = Some(RollingUpdateDaemonSet { max_unavailable: Some(IntOrString::Int(0)), max_surge: Some(IntOrString::Int(n)) });
    ds
}

/// newUpdateUnavailable.
fn unavailable(mut ds: DaemonSet, n: i32) -> DaemonSet {
    ds.spec.update_strategy.type_ = "RollingUpdate".into();
    ds.spec.update_strategy.rolling_update = Some(RollingUpdateDaemonSet { max_unavailable: Some(IntOrString::Int(n)), max_surge: None });
    ds
}

fn new_node(name: &str, l: Labels) -> Node {
    let mut n = Node::default();
    n.metadata.name = name.into();
    n.metadata.labels = l.into();
    n
}

fn taint(key: &str, effect: &str) -> Taint {
    Taint { key: key.into(), value: String::new(), effect: effect.into(), time_added: None }
}

/// newPod: the DaemonSet's template spec bound to `node`, its hash label, owned by it.
fn new_pod(name: &str, node: &str, l: Labels, ds: Option<&DaemonSet>) -> Pod {
    let mut p = Pod::default();
    p.metadata.name = name.into();
    p.metadata.namespace = "default".into();
    p.metadata.uid = format!("uid-{name}").into();
    p.metadata.labels = l.into();
    p.metadata.creation_timestamp = Some(Time(SimTime::ZERO));
    p.status.phase = "Running".into();
    if let Some(ds) = ds {
        p.metadata.labels.insert(CONTROLLER_REVISION_HASH.into(), compute_hash(&ds.spec.template, ds.status.collision_count));
        p.spec = ds.spec.template.spec.clone();
        *p.metadata.owner_references = vec![controller_ref(ds)];
    }
    Rc::make_mut(&mut p.spec).node_name = node.into();
    p
}

/// The informers, the controller, and a fake apiserver that answers at once.
struct Harness {
    inf: SharedInformers,
    dsc: DaemonSetsController,
    shared: Shared,
    rev: u64,
    now: SimTime,
    seq: u64,
    creates: usize,
    deletes: usize,
    events: Vec<(String, String)>,
    status: Option<DaemonSetStatus>,
    created: Vec<Pod>,
    /// FakePodControl.CreateLimit: creates beyond it are refused.
    create_limit: Option<usize>,
    create_calls: usize,
}

impl Harness {
    fn new() -> Self {
        Harness {
            inf: SharedInformers::default(),
            dsc: DaemonSetsController::default(),
            shared: Shared::default(),
            rev: 0,
            now: SimTime::from_secs(1000),
            seq: 0,
            creates: 0,
            deletes: 0,
            events: Vec::new(),
            status: None,
            created: Vec::new(),
            create_limit: None,
            create_calls: 0,
        }
    }

    /// Runs `f` with a controller context; returns what it asked for.
    fn with_ctx(&mut self, f: impl FnOnce(&mut DaemonSetsController, &SharedInformers, &mut ControllerCtx)) -> Vec<Action> {
        let mut out = Vec::new();
        let mut ctx = Ctx::new(self.now, &mut out);
        let mut c = ControllerCtx { ctx: &mut ctx, id: ControllerId::DaemonSet, component: "daemonset-controller", shared: &mut self.shared };
        f(&mut self.dsc, &self.inf, &mut c);
        out
    }

    /// A watch event for `obj` (Added, Modified or, with `deleted`, Deleted).
    fn write(&mut self, obj: Object, deleted: bool) -> Vec<Action> {
        self.rev += 1;
        let prev = self.inf.get(&obj.kind(), &obj.meta().namespace, &obj.meta().name).cloned();
        let type_ = match (&prev, deleted) {
            (_, true) => WatchEventType::Deleted,
            (None, _) => WatchEventType::Added,
            (Some(_), _) => WatchEventType::Modified,
        };
        let mut obj = obj;
        obj.meta_mut().resource_version.0 = self.rev;
        let ev = WatchEvent { revision: self.rev, type_, object: Rc::new(obj), prev, time: self.now };
        self.inf.apply(&ev);
        self.with_ctx(|d, inf, c| d.on_watch(inf, &ev, c))
    }

    fn add(&mut self, obj: Object) {
        let out = self.write(obj, false);
        self.pump(out);
    }

    fn add_ds(&mut self, ds: &DaemonSet) {
        self.add(Object::DaemonSet(Box::new(ds.clone())));
    }

    fn add_nodes(&mut self, start: usize, n: usize, l: Labels) {
        for i in start..start + n {
            self.add(Object::Node(Box::new(new_node(&format!("node-{i}"), l.clone()))));
        }
    }

    /// addPods: `n` pods of `ds` on `node` with labels `l`.
    fn add_pods(&mut self, node: &str, l: Labels, ds: &DaemonSet, n: usize) {
        for _ in 0..n {
            self.seq += 1;
            let p = new_pod(&format!("{node}-{}", self.seq), node, l.clone(), Some(ds));
            self.add(Object::Pod(Box::new(p)));
        }
    }

    fn pods(&self) -> Vec<Pod> {
        self.inf.list(&Kind::Pod).filter_map(|o| o.as_pod()).cloned().collect()
    }

    /// Answers every request as the apiserver would, at once, feeding the answers back.
    fn pump(&mut self, actions: Vec<Action>) {
        let mut queue: VecDeque<Action> = actions.into();
        while let Some(a) = queue.pop_front() {
            let Action::Request { request, reply } = a else { continue };
            let answer = |h: &mut Harness, req: &Request, resp: Response| {
                if reply.wants(resp.is_ok()) {
                    h.with_ctx(|d, inf, c| d.on_response(inf, req, &resp, c))
                } else {
                    Vec::new()
                }
            };
            let req = (*request).clone();
            match *request {
                Request::Create(Object::Pod(_)) if self.create_limit.is_some_and(|l| self.created.len() >= l) => {
                    self.create_calls += 1;
                    let st = crate::apiserver::Status { code: 403, reason: "Forbidden", message: "quota exceeded".into(), cause: None, cause_message: None };
                    queue.extend(answer(self, &req, Response::Error(Box::new(st))));
                }
                Request::Create(Object::Pod(mut p)) => {
                    self.create_calls += 1;
                    self.seq += 1;
                    p.metadata.name = format!("{}{}", p.metadata.generate_name, self.seq).into();
                    p.metadata.uid = format!("uid-{}", p.metadata.name).into();
                    p.metadata.creation_timestamp = Some(Time(self.now));
                    p.status.phase = "Pending".into();
                    self.creates += 1;
                    self.created.push((*p).clone());
                    let obj = Object::Pod(p);
                    queue.extend(self.write(obj.clone(), false));
                    queue.extend(answer(self, &req, Response::Object(Rc::new(obj))));
                }
                Request::Delete { key, .. } => {
                    let Some(old) = self.inf.get(&key.kind, &key.namespace, &key.name).cloned() else { continue };
                    if key.kind == Kind::Pod {
                        self.deletes += 1;
                    }
                    queue.extend(self.write((*old).clone(), true));
                    queue.extend(answer(self, &req, Response::Object(old)));
                }
                Request::Create(Object::Event(e)) | Request::PatchEvent(Object::Event(e)) => self.events.push((e.reason.to_string(), e.message.to_string())),
                Request::Create(Object::ControllerRevision(mut cr)) => {
                    cr.metadata.uid = format!("uid-{}", cr.metadata.name).into();
                    let obj = Object::ControllerRevision(cr);
                    queue.extend(self.write(obj.clone(), false));
                    queue.extend(answer(self, &req, Response::Object(Rc::new(obj))));
                }
                Request::UpdateStatus(Object::DaemonSet(d)) => self.status = Some(d.status.clone()),
                Request::Update(obj) => queue.extend(self.write(obj, false)),
                _ => {}
            }
        }
    }

    /// syncHandler(key), then every answer; returns (creates, deletes, controller events).
    fn sync(&mut self, name: &str) -> (usize, usize, usize) {
        (self.creates, self.deletes) = (0, 0);
        self.events.clear();
        let key = ("default".to_string(), name.to_string());
        let out = self.with_ctx(|d, inf, c| {
            d.sync(inf, &key, c);
        });
        self.pump(out);
        let own = self.events.iter().filter(|(r, _)| !matches!(r.as_str(), "SuccessfulCreate" | "SuccessfulDelete")).count();
        (self.creates, self.deletes, own)
    }

    /// clearExpectations.
    fn clear_expectations(&mut self, name: &str) {
        self.dsc.expectations.delete(&("default".to_string(), name.to_string()));
    }

    /// Syncs (clearing expectations first, as upstream's tests do) until a sync does
    /// nothing; the creates and deletes of all of them.
    fn settle(&mut self, name: &str) -> (usize, usize) {
        let (mut c, mut d) = (0, 0);
        for _ in 0..10 {
            self.clear_expectations(name);
            let (sc, sd, _) = self.sync(name);
            if (sc, sd) == (0, 0) {
                return (c, d);
            }
            (c, d) = (c + sc, d + sd);
        }
        panic!("{name} never rests");
    }

    /// markPodsReady (Ready since now).
    fn mark_pods_ready(&mut self) {
        for mut p in self.pods() {
            if !p.is_ready() {
                p.set_condition("Ready", "True", "", "", Time(self.now));
                self.add(Object::Pod(Box::new(p)));
            }
        }
    }

    fn queued(&mut self) -> Vec<NsName> {
        let mut keys = self.dsc.queue.drain();
        keys.sort();
        keys.dedup();
        for k in &keys {
            self.dsc.queue.done(k);
        }
        keys
    }
}

/// TestSimpleDaemonSetLaunchesPods and TestSimpleDaemonSetScheduleDaemonSetPodsLaunchesPods:
/// a pod for each of 5 nodes, unbound, pinned by one matchFields metadata.name term; the
/// controller references are apps/v1 DaemonSet controllers.
#[test]
fn simple_daemon_set_launches_pods() {
    for s in strategies() {
        let ds = with_strategy(new_daemon_set("foo"), &s);
        let mut h = Harness::new();
        h.add_nodes(0, 5, Labels::new());
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (5, 0, 0));
        let mut nodes: Vec<String> = Vec::new();
        for p in &h.created {
            assert!(p.spec.node_name.is_empty());
            let r = p.metadata.controller_ref().unwrap();
            assert_eq!((r.api_version.as_str(), r.kind.as_str()), ("apps/v1", "DaemonSet"));
            let terms = &p.spec.affinity.as_ref().unwrap().node_affinity.as_ref().unwrap().required.as_ref().unwrap().node_selector_terms;
            assert_eq!(terms.len(), 1);
            let f = &terms[0].match_fields;
            assert_eq!((f.len(), f[0].key.as_str(), f[0].operator.as_str(), f[0].values.len()), (1, "metadata.name", "In", 1));
            nodes.push(f[0].values[0].clone());
        }
        nodes.sort();
        assert_eq!(nodes, ["node-0", "node-1", "node-2", "node-3", "node-4"]);
    }
}

/// TestSimpleDaemonSetUpdatesStatusAfterLaunchingPods: the same sync reports the pods it
/// created (currentNumberScheduled 5) — the status is computed after manage, from the
/// cache, which the fake pod control fills at once.
#[test]
fn status_after_launching_pods() {
    for s in strategies() {
        let mut h = Harness::new();
        h.add_ds(&with_strategy(new_daemon_set("foo"), &s));
        h.add_nodes(0, 5, Labels::new());
        h.sync("foo");
        let st = h.status.clone().unwrap();
        assert_eq!(st.desired_number_scheduled, 5);
        // ksim computes the status from the cache as the sync began (its creates are
        // answered later), so the next sync reports them.
        h.sync("foo");
        assert_eq!(h.status.clone().unwrap().current_number_scheduled, 5);
    }
}

/// TestNoNodesDoesNothing, TestOneNodeDaemonLaunchesPod, TestNotReadyNodeDaemonDoesLaunchPod,
/// TestNetworkUnavailableNodeDaemonLaunchesPod (a condition without the taint).
#[test]
fn nodes_few_or_not_ready() {
    for s in strategies() {
        let ds = with_strategy(new_daemon_set("foo"), &s);
        let mut h = Harness::new();
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (0, 0, 0), "no nodes");
        let mut n = new_node("not-ready", Labels::new());
        n.status.conditions.push(crate::api::node::NodeCondition { type_: "Ready".into(), status: "False".into(), ..Default::default() });
        h.add(Object::Node(Box::new(n)));
        assert_eq!(h.sync("foo"), (1, 0, 0));
    }
}

/// TestDontDoAnythingIfBeingDeleted.
#[test]
fn nothing_while_being_deleted() {
    for s in strategies() {
        let mut ds = with_strategy(new_daemon_set("foo"), &s);
        ds.metadata.rare.deletion_timestamp = Some(Time(SimTime::ZERO));
        let mut h = Harness::new();
        h.add_nodes(0, 1, Labels::new());
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (0, 0, 0));
    }
}

/// TestPodIsNotDeletedByDaemonsetWithEmptyLabelSelector: an empty selector is refused
/// with one SelectingAll event, and the unrelated pod is left alone.
#[test]
fn empty_selector_selects_nothing() {
    for s in strategies() {
        let mut ds = with_strategy(new_daemon_set("foo"), &s);
        ds.spec.selector = Some(LabelSelector::default());
        Rc::make_mut(&mut ds.spec.template.spec).node_selector = labels(&[("foo", "bar")]);
        let mut h = Harness::new();
        h.add_nodes(1, 1, Labels::new());
        h.add(Object::Pod(Box::new(new_pod("other", "node-1", labels(&[("bang", "boom")]), None))));
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (0, 0, 1));
        assert_eq!(h.events[0].0, "SelectingAll");
    }
}

/// TestDealsWithExistingPods (and TestSurgeDealsWithExistingPods: the same counts with
/// maxSurge 1): create on the nodes without a pod (node-4's pods no longer match and are
/// released), delete the excess (all but the oldest).
#[test]
fn deals_with_existing_pods() {
    let base = new_daemon_set("foo");
    let cases = [with_strategy(base.clone(), &strategies()[0]), with_strategy(base.clone(), &strategies()[1]), surge(base, 1)];
    for ds in cases {
        let mut h = Harness::new();
        h.add_ds(&ds);
        h.add_nodes(0, 5, Labels::new());
        h.add_pods("node-1", ds_label(), &ds, 1);
        h.add_pods("node-2", ds_label(), &ds, 2);
        h.add_pods("node-3", ds_label(), &ds, 5);
        h.add_pods("node-4", ds_label2(), &ds, 2);
        assert_eq!(h.sync("foo"), (2, 5, 0), "{:?}", ds.spec.update_strategy);
    }
}

/// TestSelectorDaemonLaunchesPods, TestSelectorDaemonDeletesUnselectedPods,
/// TestSelectorDaemonDealsWithExistingPods, TestBadSelectorDaemonDoesNothing.
#[test]
fn node_selectors() {
    for s in strategies() {
        let mut ds = with_strategy(new_daemon_set("foo"), &s);
        Rc::make_mut(&mut ds.spec.template.spec).node_selector = node_label();
        let mut h = Harness::new();
        h.add_nodes(0, 4, Labels::new());
        h.add_nodes(4, 3, node_label());
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (3, 0, 0), "launches");

        let mut h = Harness::new();
        h.add_ds(&ds);
        h.add_nodes(0, 5, Labels::new());
        h.add_nodes(5, 5, node_label());
        h.add_pods("node-0", ds_label2(), &ds, 2);
        h.add_pods("node-1", ds_label(), &ds, 3);
        h.add_pods("node-1", ds_label2(), &ds, 1);
        h.add_pods("node-4", ds_label(), &ds, 1);
        assert_eq!(h.sync("foo"), (5, 4, 0), "deletes unselected");

        let mut h = Harness::new();
        h.add_ds(&ds);
        h.add_nodes(0, 5, Labels::new());
        h.add_nodes(5, 5, node_label());
        h.add_pods("node-0", ds_label(), &ds, 1);
        h.add_pods("node-1", ds_label(), &ds, 3);
        h.add_pods("node-1", ds_label2(), &ds, 2);
        h.add_pods("node-2", ds_label(), &ds, 4);
        h.add_pods("node-6", ds_label(), &ds, 13);
        h.add_pods("node-7", ds_label2(), &ds, 4);
        h.add_pods("node-9", ds_label(), &ds, 1);
        h.add_pods("node-9", ds_label2(), &ds, 1);
        assert_eq!(h.sync("foo"), (3, 20, 0), "deals with existing pods");

        let mut bad = ds.clone();
        Rc::make_mut(&mut bad.spec.template.spec).node_selector = node_label2();
        let mut h = Harness::new();
        h.add_nodes(0, 4, Labels::new());
        h.add_nodes(4, 3, node_label());
        h.add_ds(&bad);
        assert_eq!(h.sync("foo"), (0, 0, 0), "bad selector");
    }
}

/// TestNameDaemonSetLaunchesPods, TestBadNameDaemonSetDoesNothing,
/// TestNameAndSelectorDaemonSetLaunchesPods, TestInconsistentNameSelectorDaemonSetDoesNothing.
#[test]
fn node_names() {
    for s in strategies() {
        for (name, selector, nodes_with_label, want) in [("node-0", false, 0, 1), ("node-10", false, 0, 0), ("node-6", true, 3, 1), ("node-0", true, 3, 0)] {
            let mut ds = with_strategy(new_daemon_set("foo"), &s);
            let spec = Rc::make_mut(&mut ds.spec.template.spec);
            spec.node_name = name.into();
            if selector {
                spec.node_selector = node_label();
            }
            let mut h = Harness::new();
            if nodes_with_label > 0 {
                h.add_nodes(0, 4, Labels::new());
                h.add_nodes(4, nodes_with_label, node_label());
            } else {
                h.add_nodes(0, 5, Labels::new());
            }
            h.add_ds(&ds);
            assert_eq!(h.sync("foo"), (want, 0, 0), "nodeName {name}, selector {selector}");
        }
    }
}

/// TestNodeAffinityDaemonLaunchesPods: a required `color In [blue]` term.
#[test]
fn node_affinity_launches_pods() {
    use crate::api::affinity::{Affinity, NodeAffinity, NodeSelector, NodeSelectorRequirement, NodeSelectorTerm};
    for s in strategies() {
        let mut ds = with_strategy(new_daemon_set("foo"), &s);
        let term = NodeSelectorTerm {
            match_expressions: vec![NodeSelectorRequirement { key: "color".into(), operator: "In".into(), values: vec!["blue".into()] }],
            match_fields: vec![],
        };
        Rc::make_mut(&mut ds.spec.template.spec).affinity = Some(Affinity {
            node_affinity: Some(NodeAffinity { required: Some(NodeSelector { node_selector_terms: vec![term] }), preferred: vec![] }),
            ..Default::default()
        });
        let mut h = Harness::new();
        h.add_nodes(0, 4, Labels::new());
        h.add_nodes(4, 3, node_label());
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (3, 0, 0));
        // The created pods' required affinity is replaced by the node-name term.
        for p in &h.created {
            let terms = &p.spec.affinity.as_ref().unwrap().node_affinity.as_ref().unwrap().required.as_ref().unwrap().node_selector_terms;
            assert!(terms.len() == 1 && terms[0].match_expressions.is_empty());
        }
    }
}

/// TestNumberReadyStatus and TestObservedGeneration.
#[test]
fn number_ready_and_observed_generation() {
    for s in strategies() {
        let mut ds = with_strategy(new_daemon_set("foo"), &s);
        ds.metadata.rare.generation = 1;
        let mut h = Harness::new();
        h.add_nodes(0, 2, node_label());
        h.add_pods("node-0", ds_label(), &ds, 1);
        h.add_pods("node-1", ds_label(), &ds, 1);
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (0, 0, 0));
        let st = h.status.clone().unwrap();
        assert_eq!((st.number_ready, st.observed_generation), (0, 1));
        h.mark_pods_ready();
        assert_eq!(h.sync("foo"), (0, 0, 0));
        let st = h.status.clone().unwrap();
        assert_eq!(
            (st.desired_number_scheduled, st.current_number_scheduled, st.number_ready, st.number_available, st.updated_number_scheduled),
            (2, 2, 2, 2, 2)
        );
        assert_eq!(st.number_unavailable, 0);
    }
}

/// TestDaemonKillFailedPods: failed pods are killed (one FailedDaemonPod event each),
/// and at most one pod is left or created per node.
#[test]
fn kill_failed_pods() {
    for (failed, normal, creates, deletes, events) in [(0, 1, 0, 0, 0), (0, 0, 1, 0, 0), (1, 0, 0, 1, 1), (1, 3, 0, 3, 1)] {
        for s in strategies() {
            let ds = with_strategy(new_daemon_set("foo"), &s);
            let mut h = Harness::new();
            h.add_ds(&ds);
            h.add_nodes(0, 1, Labels::new());
            for i in 0..failed {
                let mut p = new_pod(&format!("failed-{i}"), "node-0", ds_label(), Some(&ds));
                p.status.phase = "Failed".into();
                h.add(Object::Pod(Box::new(p)));
            }
            h.add_pods("node-0", ds_label(), &ds, normal);
            assert_eq!(h.sync("foo"), (creates, deletes, events), "{failed} failed, {normal} normal, {}", s.0);
        }
    }
}

/// TestDaemonKillFailedPodsBackoff: the first sync kills the failed pod and starts the
/// node's back-off; an immediate second sync is held back (the delay unchanged); a
/// nanosecond — here a millisecond — before the delay it still is, at the delay it is not.
#[test]
fn kill_failed_pods_backoff() {
    for s in strategies() {
        let ds = with_strategy(new_daemon_set("foo"), &s);
        let mut h = Harness::new();
        h.add_ds(&ds);
        h.add_nodes(0, 1, Labels::new());
        let mut p = new_pod("node-0-", "node-0", ds_label(), Some(&ds));
        p.status.phase = "Failed".into();
        h.add(Object::Pod(Box::new(p.clone())));
        let key = format!("{}/{}/node-0", ds.metadata.uid, ds.status.observed_generation);
        assert_eq!(h.sync("foo"), (0, 1, 1));
        let initial = h.dsc.failed_pods_backoff.get(&key);
        assert_eq!(initial, FAILED_PODS_BACKOFF_INITIAL);
        h.add(Object::Pod(Box::new(p.clone()))); // the kubelet's pod comes back failed
        assert_eq!(h.sync("foo"), (0, 0, 0), "limited by the back-off");
        assert_eq!(h.dsc.failed_pods_backoff.get(&key), initial, "not raised while waiting");
        let start = h.now;
        h.now = SimTime((start + initial).as_ms() - 1);
        assert!(h.dsc.failed_pods_backoff.in_backoff_since_update(&key, h.now));
        h.now = start + initial;
        assert!(!h.dsc.failed_pods_backoff.in_backoff_since_update(&key, h.now));
        assert_eq!(h.sync("foo"), (0, 1, 1));
        assert_eq!(h.dsc.failed_pods_backoff.get(&key), initial.times(2), "doubled");
    }
}

/// TestNoScheduleTaintedDoesntEvicitRunningIntolerantPod,
/// TestNoExecuteTaintedDoesEvicitRunningIntolerantPod,
/// TestTaintedNodeDaemonDoesNotLaunchIntolerantPod, TestTaintedNodeDaemonLaunchesToleratePod,
/// TestNotReadyNodeDaemonLaunchesPod, TestUnreachableNodeDaemonLaunchesPod,
/// TestNodeDaemonLaunchesToleratePod, TestTaintPressureNodeDaemonLaunchesPod.
#[test]
fn taints_and_tolerations() {
    let dedicated = |effect: &str| Taint { key: "dedicated".into(), value: "user1".into(), effect: effect.into(), time_added: None };
    let tolerate = |ds: &mut DaemonSet| {
        Rc::make_mut(&mut ds.spec.template.spec).tolerations =
            vec![Toleration { key: "dedicated".into(), operator: String::new(), value: "user1".into(), effect: "NoSchedule".into(), toleration_seconds: None }];
    };
    for s in strategies() {
        let run = |taints: Vec<Taint>, pod: bool, tolerant: bool| {
            let mut ds = with_strategy(new_daemon_set("foo"), &s);
            if tolerant {
                tolerate(&mut ds);
            }
            let mut h = Harness::new();
            let mut n = new_node("tainted", Labels::new());
            n.spec.taints = taints;
            h.add(Object::Node(Box::new(n)));
            if pod {
                h.add(Object::Pod(Box::new(new_pod("keep-running-me", "tainted", ds_label(), Some(&ds)))));
            }
            h.add_ds(&ds);
            h.sync("foo")
        };
        assert_eq!(run(vec![dedicated("NoSchedule")], true, false), (0, 0, 0), "NoSchedule keeps a running pod");
        assert_eq!(run(vec![dedicated("NoExecute")], true, false), (0, 1, 0), "NoExecute evicts it");
        assert_eq!(run(vec![dedicated("NoSchedule")], false, false), (0, 0, 0), "intolerant: no launch");
        assert_eq!(run(vec![dedicated("NoSchedule")], false, true), (1, 0, 0), "tolerant: launch");
        assert_eq!(run(vec![taint(TAINT_NOT_READY_KEY, "NoExecute")], false, false), (1, 0, 0), "not-ready");
        assert_eq!(run(vec![taint(TAINT_UNREACHABLE_KEY, "NoExecute")], false, false), (1, 0, 0), "unreachable");
        assert_eq!(run(vec![], false, true), (1, 0, 0), "tolerations on an untainted node");
        let pressure = vec![
            taint(util::TAINT_DISK_PRESSURE, "NoSchedule"),
            taint(util::TAINT_MEMORY_PRESSURE, "NoSchedule"),
            taint(util::TAINT_PID_PRESSURE, "NoSchedule"),
        ];
        assert_eq!(run(pressure, false, false), (1, 0, 0), "pressure");
    }
}

const TAINT_NOT_READY_KEY: &str = crate::apiserver::defaults::TAINT_NOT_READY;
const TAINT_UNREACHABLE_KEY: &str = crate::apiserver::defaults::TAINT_UNREACHABLE;

/// TestDaemonSetRespectsTermination: a terminating pod is neither replaced nor deleted again.
#[test]
fn respects_termination() {
    for s in strategies() {
        let ds = with_strategy(new_daemon_set("foo"), &s);
        let mut h = Harness::new();
        h.add_nodes(0, 1, node_label());
        let mut p = new_pod("node-0-", "node-0", ds_label(), Some(&ds));
        p.metadata.rare.deletion_timestamp = Some(Time(h.now));
        h.add(Object::Pod(Box::new(p)));
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (0, 0, 0));
    }
}

/// TestDeleteUnscheduledPodForNotExistingNode: an unscheduled pod meant for a node that is
/// gone is deleted; a bound one is PodGC's.
#[test]
fn deletes_unscheduled_pod_for_missing_node() {
    use crate::api::affinity::Affinity;
    for s in strategies() {
        let ds = with_strategy(new_daemon_set("foo"), &s);
        let mut h = Harness::new();
        h.add_ds(&ds);
        h.add_nodes(0, 1, Labels::new());
        h.add_pods("node-0", ds_label(), &ds, 1);
        h.add_pods("node-1", ds_label(), &ds, 1);
        let mut p = new_pod("pod1-node-3", "", ds_label(), Some(&ds));
        Rc::make_mut(&mut p.spec).affinity = Some(util::replace_daemon_set_pod_node_name_node_affinity(None::<Affinity>, "node-2"));
        h.add(Object::Pod(Box::new(p)));
        assert_eq!(h.sync("foo"), (0, 1, 0));
    }
}

/// TestGetNodesToDaemonPods: matching owned pods and matching orphans (adopted) by node;
/// not the non-matching, the other DaemonSet's, nor (unless asked) deleted terminal ones.
#[test]
fn nodes_to_daemon_pods() {
    let ds = new_daemon_set("foo");
    let ds2 = new_daemon_set("foo2");
    for include in [false, true] {
        let mut h = Harness::new();
        h.add_ds(&ds);
        h.add_ds(&ds2);
        h.add_nodes(0, 2, Labels::new());
        let deleted = |mut p: Pod, phase: &'static str| {
            p.metadata.rare.deletion_timestamp = Some(Time(SimTime::ZERO));
            p.status.phase = phase.into();
            p
        };
        let phase = |mut p: Pod, phase: &'static str| {
            p.status.phase = phase.into();
            p
        };
        let mut wanted = vec![
            new_pod("matching-owned-0", "node-0", ds_label(), Some(&ds)),
            new_pod("matching-orphan-0", "node-0", ds_label(), None),
            new_pod("matching-owned-1", "node-1", ds_label(), Some(&ds)),
            new_pod("matching-orphan-1", "node-1", ds_label(), None),
            phase(new_pod("matching-owned-succeeded-pod-0", "node-0", ds_label(), Some(&ds)), "Succeeded"),
        ];
        let mut ignored = vec![
            new_pod("non-matching-owned-0", "node-0", ds_label2(), Some(&ds)),
            new_pod("non-matching-orphan-1", "node-1", ds_label2(), None),
            new_pod("matching-owned-by-other-0", "node-0", ds_label(), Some(&ds2)),
        ];
        let failed_deleted = deleted(new_pod("matching-owned-failed-deleted-pod-1", "node-1", ds_label(), Some(&ds)), "Failed");
        if include {
            wanted.push(failed_deleted);
        } else {
            wanted.push(phase(new_pod("matching-owned-failed-pod-1", "node-1", ds_label(), Some(&ds)), "Failed"));
            ignored.push(deleted(new_pod("matching-owned-succeeded-deleted-pod-0", "node-0", ds_label(), Some(&ds)), "Succeeded"));
            ignored.push(failed_deleted);
        }
        for p in wanted.iter().chain(&ignored) {
            h.add(Object::Pod(Box::new(p.clone())));
        }
        let out = h.with_ctx(|d, inf, c| {
            let claimed = d.claim_pods(inf, &ds, c);
            let pods: Vec<&Pod> = claimed.iter().filter_map(|o| o.as_pod()).collect();
            let mut got: Vec<String> = Vec::new();
            for (node, ps) in node_to_daemon_pods(&pods, include) {
                for p in ps {
                    assert_eq!(p.spec.node_name, node);
                    got.push(p.metadata.name.to_string());
                }
            }
            got.sort();
            let mut want: Vec<String> = wanted.iter().map(|p| p.metadata.name.to_string()).collect();
            want.sort();
            assert_eq!(got, want, "include deleted terminal: {include}");
        });
        let adoptions = out.iter().filter(|a| matches!(a, Action::Request { request, .. } if matches!(&**request, Request::Update(Object::Pod(p)) if p.metadata.owner_references.len() == 1 && p.metadata.name.contains("orphan")))).count();
        assert_eq!(adoptions, 2, "the matching orphans are adopted");
    }
}

/// TestAddNode, TestUpdateNode (nothing changed / labels changed / taints changed /
/// allocatable changed), TestAddPod, TestAddPodOrphan, TestUpdatePodOrphanSameLabels,
/// TestUpdatePodOrphanWithNewLabels, TestUpdatePodControllerRefRemoved, TestDeletePodOrphan.
#[test]
fn event_handlers_enqueue_what_upstream_enqueues() {
    let key = |n: &str| ("default".to_string(), n.to_string());
    let mut h = Harness::new();
    let mut ds = new_daemon_set("ds");
    Rc::make_mut(&mut ds.spec.template.spec).node_selector = node_label();
    h.add_ds(&ds);
    h.queued();
    h.add(Object::Node(Box::new(new_node("node1", Labels::new()))));
    assert!(h.queued().is_empty(), "addNode: node1 does not match");
    h.add(Object::Node(Box::new(new_node("node2", node_label()))));
    assert_eq!(h.queued(), [key("ds")]);
    h.add(Object::Node(Box::new(new_node("node1", Labels::new()))));
    assert!(h.queued().is_empty(), "nothing changed");
    h.add(Object::Node(Box::new(new_node("node1", node_label()))));
    assert_eq!(h.queued(), [key("ds")], "labels changed");
    let mut n = new_node("node1", node_label());
    n.status.allocatable.insert("cpu".into(), crate::api::quantity::Quantity::from_milli(200));
    h.add(Object::Node(Box::new(n)));
    assert!(h.queued().is_empty(), "allocatable changed");

    let mut h = Harness::new();
    let plain = new_daemon_set("ds2");
    h.add_ds(&plain);
    let mut tainted = new_node("node1", Labels::new());
    tainted.spec.taints = vec![Taint { key: "dedicated".into(), value: "user1".into(), effect: "NoSchedule".into(), time_added: None }];
    h.add(Object::Node(Box::new(tainted)));
    h.queued();
    h.add(Object::Node(Box::new(new_node("node1", Labels::new()))));
    assert_eq!(h.queued(), [key("ds2")], "taints changed");

    let mut h = Harness::new();
    let (ds1, ds2) = (new_daemon_set("foo1"), new_daemon_set("foo2"));
    let mut ds3 = new_daemon_set("foo3");
    ds3.spec.selector.as_mut().unwrap().match_labels = ds_label2();
    for d in [&ds1, &ds2, &ds3] {
        h.add_ds(d);
    }
    h.queued();
    h.add(Object::Pod(Box::new(new_pod("pod1", "node-0", ds_label(), Some(&ds1)))));
    assert_eq!(h.queued(), [key("foo1")], "addPod");
    h.add(Object::Pod(Box::new(new_pod("orphan", "node-0", ds_label(), None))));
    assert_eq!(h.queued(), [key("foo1"), key("foo2")], "addPod orphan");
    let mut same = new_pod("orphan", "node-0", ds_label(), None);
    same.status.phase = "Pending".into();
    h.add(Object::Pod(Box::new(same)));
    assert!(h.queued().is_empty(), "orphan updated with the same labels");
    let mut relabelled = new_pod("orphan2", "node-0", labels(&[("foo2", "bar2")]), None);
    h.add(Object::Pod(Box::new(relabelled.clone())));
    h.queued();
    relabelled.metadata.labels = ds_label().into();
    h.add(Object::Pod(Box::new(relabelled)));
    assert_eq!(h.queued(), [key("foo1"), key("foo2")], "orphan with new labels");
    let mut released = new_pod("pod1", "node-0", ds_label(), Some(&ds1));
    released.metadata.owner_references.clear();
    h.add(Object::Pod(Box::new(released.clone())));
    assert_eq!(h.queued(), [key("foo1"), key("foo2")], "controller ref removed");
    let out = h.write(Object::Pod(Box::new(released)), true);
    h.pump(out);
    assert!(h.queued().is_empty(), "deleting an orphan wakes nobody");
}

/// update_test.go TestDaemonSetUpdatesPods: maxUnavailable 2 of 5 nodes — delete 2 old
/// pods, create their replacements, and so on until every node runs the new template.
#[test]
fn rolling_update_within_max_unavailable() {
    let mut ds = new_daemon_set("foo");
    let mut h = Harness::new();
    h.add_nodes(0, 5, Labels::new());
    h.add_ds(&ds);
    assert_eq!(h.sync("foo"), (5, 0, 0));
    h.mark_pods_ready();
    Rc::make_mut(&mut Rc::make_mut(&mut ds.spec.template.spec).containers)[0].image = "foo2/bar2".into();
    ds = unavailable(ds, 2);
    h.add_ds(&ds);
    for (del, create) in [(2, 2), (2, 2), (1, 1)] {
        h.clear_expectations("foo");
        assert_eq!(h.sync("foo"), (0, del, 0));
        h.clear_expectations("foo");
        assert_eq!(h.sync("foo"), (create, 0, 0));
        h.mark_pods_ready();
    }
    h.clear_expectations("foo");
    assert_eq!(h.sync("foo"), (0, 0, 0));
}

/// TestDaemonSetUpdatesWhenNewPosIsNotReady (maxUnavailable 3: new pods not ready hold
/// the rest back) and TestDaemonSetUpdatesAllOldPodsNotReady (every old pod unavailable:
/// all replaced at once).
#[test]
fn rolling_update_counts_unready_pods() {
    for (ready_first, first_deletes) in [(true, 3), (false, 5)] {
        let mut ds = new_daemon_set("foo");
        let mut h = Harness::new();
        h.add_nodes(0, 5, Labels::new());
        h.add_ds(&ds);
        assert_eq!(h.sync("foo"), (5, 0, 0));
        if ready_first {
            h.mark_pods_ready();
        }
        Rc::make_mut(&mut Rc::make_mut(&mut ds.spec.template.spec).containers)[0].image = "foo2/bar2".into();
        ds = unavailable(ds, 3);
        h.add_ds(&ds);
        h.clear_expectations("foo");
        assert_eq!(h.sync("foo"), (0, first_deletes, 0));
        h.clear_expectations("foo");
        assert_eq!(h.sync("foo"), (first_deletes, 0, 0));
        h.clear_expectations("foo");
        assert_eq!(h.sync("foo"), (0, 0, 0), "the new pods are not ready: nothing more");
    }
}

/// TestDaemonSetUpdatesNoTemplateChanged: a strategy change alone replaces nothing.
#[test]
fn rolling_update_without_template_change() {
    let mut ds = new_daemon_set("foo");
    let mut h = Harness::new();
    h.add_nodes(0, 5, Labels::new());
    h.add_ds(&ds);
    assert_eq!(h.sync("foo"), (5, 0, 0));
    ds = unavailable(ds, 3);
    h.add_ds(&ds);
    h.clear_expectations("foo");
    assert_eq!(h.sync("foo"), (0, 0, 0));
}

/// TestDaemonSetUpdatesPodsWithMaxSurge: maxSurge 2 of 5 — surge 2 new pods, delete the
/// old ones once the new are available while surging onto the next 2, and so on (5 % 2 =
/// 1 at the end). Upstream's fake pod control observes its deletes within the sync, so
/// its rollingUpdate surges in the sync whose manage deleted the old pods; here the
/// deletes are observed after the sync, so the same creates come one sync later: each
/// step is counted over the syncs until the controller rests.
#[test]
fn rolling_update_with_max_surge() {
    let mut ds = new_daemon_set("foo");
    let mut h = Harness::new();
    h.add_nodes(0, 5, Labels::new());
    h.add_ds(&ds);
    assert_eq!(h.sync("foo"), (5, 0, 0));
    h.mark_pods_ready();
    Rc::make_mut(&mut Rc::make_mut(&mut ds.spec.template.spec).containers)[0].image = "foo2/bar2".into();
    ds = surge(ds, 2);
    h.add_ds(&ds);
    for (creates, deletes) in [(2, 0), (2, 2), (1, 2), (0, 1)] {
        assert_eq!(h.settle("foo"), (creates, deletes));
        h.mark_pods_ready();
    }
}

/// TestDaemonSetUpdatesAllOldPodsNotReadyMaxSurge: unavailable old pods are surged all
/// at once, then deleted once the new ones are; with minReadySeconds 15 the new pods count
/// only once available.
#[test]
fn rolling_update_surge_with_unready_old_pods_and_min_ready() {
    let mut ds = new_daemon_set("foo");
    let mut h = Harness::new();
    h.add_nodes(0, 5, Labels::new());
    h.add_ds(&ds);
    assert_eq!(h.sync("foo"), (5, 0, 0));
    Rc::make_mut(&mut Rc::make_mut(&mut ds.spec.template.spec).containers)[0].image = "foo2/bar2".into();
    ds = surge(ds, 3);
    h.add_ds(&ds);
    h.now = SimTime::from_secs(100);
    h.clear_expectations("foo");
    assert_eq!(h.sync("foo"), (5, 0, 0), "all old pods unavailable: surge on every node");
    h.now = SimTime::from_secs(200);
    h.clear_expectations("foo");
    // Neither pod is ready on a node: only the new one is kept (podsShouldBeOnNode).
    assert_eq!(h.sync("foo"), (0, 5, 0));
    h.mark_pods_ready();
    ds.spec.min_ready_seconds = Some(15);
    Rc::make_mut(&mut Rc::make_mut(&mut ds.spec.template.spec).containers)[0].image = "foo3/bar3".into();
    h.add_ds(&ds);
    h.now = SimTime::from_secs(300);
    h.clear_expectations("foo");
    assert_eq!(h.sync("foo"), (3, 0, 0), "maxSurge 3 of the available old pods");
}

/// TestGetUnavailableNumbers (updatedDesiredNodeCounts): no nodes; two nodes with ready
/// pods (maxUnavailable 1); two nodes, one empty, maxUnavailable 0 → defaulted to 1 and
/// the empty node given an entry; surge 1 with maxUnavailable 0 stays (1, 0).
#[test]
fn unavailable_numbers() {
    let node = |n: &str| new_node(n, Labels::new());
    let (n0, n1) = (node("node-0"), node("node-1"));
    let pods = [new_pod("pod-0", "node-0", ds_label(), None), new_pod("pod-1", "node-1", ds_label(), None)];
    /// (DaemonSet, nodes, how many nodes have a pod, (maxSurge, maxUnavailable), entries).
    type Case<'a> = (DaemonSet, Vec<&'a Node>, usize, (i32, i32), usize);
    let cases: [Case; 4] = [
        (unavailable(new_daemon_set("x"), 0), vec![], 0, (0, 0), 0),
        (unavailable(new_daemon_set("x"), 1), vec![&n0, &n1], 2, (0, 1), 2),
        (unavailable(new_daemon_set("x"), 0), vec![&n0, &n1], 1, (0, 1), 2),
        (surge(new_daemon_set("x"), 1), vec![&n0, &n1], 1, (1, 0), 2),
    ];
    for (i, (ds, nodes, with_pods, (want_surge, want_unavailable), entries)) in cases.into_iter().enumerate() {
        let mut map: NodeToDaemonPods = BTreeMap::new();
        for p in pods.iter().take(with_pods) {
            map.entry(p.spec.node_name.to_string()).or_default().push(p);
        }
        let tol = daemon_pod_tolerations(&ds);
        let (s, u, desired) = update::updated_desired_node_counts(&ds, &nodes, &tol, &mut map).unwrap();
        assert_eq!((s, u, desired as usize, map.len()), (want_surge, want_unavailable, nodes.len(), entries), "case {i}");
    }
}

/// cleanupHistory: beyond revisionHistoryLimit 2, the oldest revisions no pod uses go.
#[test]
fn history_is_kept_to_the_limit() {
    let mut ds = new_daemon_set("foo");
    let mut h = Harness::new();
    h.add_nodes(0, 1, Labels::new());
    h.add_ds(&ds);
    h.sync("foo");
    for image in ["a", "b", "c", "d"] {
        Rc::make_mut(&mut Rc::make_mut(&mut ds.spec.template.spec).containers)[0].image = image.into();
        h.add_ds(&ds);
        h.clear_expectations("foo");
        h.sync("foo");
    }
    let mut revisions: Vec<i64> = h.inf.list(&Kind::ControllerRevision).filter_map(|o| o.as_controller_revision()).map(|c| c.revision).collect();
    revisions.sort();
    // OnDelete: the first template's pod still runs, so revision 1 is not deleted (nor
    // counted off); of 2, 3 and 4 the oldest go until 2 old ones are left; 5 is current.
    assert_eq!(revisions, [1, 4, 5]);
    // A template that comes back is renumbered (constructHistory): "c" was revision 4.
    Rc::make_mut(&mut Rc::make_mut(&mut ds.spec.template.spec).containers)[0].image = "c".into();
    h.add_ds(&ds);
    h.sync("foo");
    let c = compute_hash(&ds.spec.template, None);
    let cr = h.inf.get(&Kind::ControllerRevision, "default", &format!("foo-{c}")).and_then(|o| o.as_controller_revision()).cloned().unwrap();
    assert_eq!(cr.revision, 6);
}

/// TestSimpleDaemonSetPodCreateErrors and TestDaemonSetPodCreateExpectationsError: 100
/// nodes and a quota of 10 pods — 10 creates, the slow-start batches stop at the first
/// refusal (at most 1 + 2 + 4 + 8 + 16 calls), each refusal is a FailedCreate event, the
/// expectations are satisfied again (the skipped creates lowered), the DaemonSet is
/// requeued with back-off, and the status says 100 desired, 10 current and updated (at
/// the next sync here, which sees the created pods).
#[test]
fn pod_create_errors_stop_the_slow_start() {
    for s in strategies() {
        let mut h = Harness::new();
        h.create_limit = Some(10);
        h.add_ds(&with_strategy(new_daemon_set("foo"), &s));
        h.add_nodes(0, 100, Labels::new());
        let (creates, deletes, _) = h.sync("foo");
        assert_eq!((creates, deletes), (10, 0));
        assert!(h.create_calls <= 1 + 2 + 4 + 8 + 16, "{} create calls", h.create_calls);
        let failed = h.events.iter().filter(|(r, m)| r == "FailedCreate" && m == "Error creating: quota exceeded").count();
        assert_eq!(failed, h.create_calls - 10);
        let key = ("default".to_string(), "foo".to_string());
        assert!(h.dsc.expectations.satisfied(&key), "the skipped creates are not expected");
        assert!(h.dsc.queue.next_due().is_some(), "requeued with back-off");
        h.sync("foo");
        let st = h.status.clone().unwrap();
        assert_eq!((st.desired_number_scheduled, st.current_number_scheduled, st.updated_number_scheduled), (100, 10, 10));
    }
}

/// shouldIgnoreNodeUpdate, compared in place, is upstream's definition — the same
/// condition types True, and `old` with cur's resourceVersion and conditions
/// DeepEqual to `cur` — on a heartbeat (ignored) and on a change of each other field.
#[test]
fn should_ignore_node_update_is_upstreams_definition() {
    use crate::api::node::{NodeAddress, NodeCondition};
    let cond = |t: &str, s: &str, hb: u64| NodeCondition {
        type_: t.into(),
        status: s.into(),
        last_heartbeat_time: Some(Time(SimTime::ZERO + SimDuration::from_ms(hb))),
        ..Default::default()
    };
    let mut old = Node::default();
    old.metadata.name = "n1".into();
    old.metadata.uid = "u1".into();
    old.metadata.resource_version.0 = 7;
    *old.metadata.labels = node_label();
    old.status.conditions = vec![cond("Ready", "True", 1_000), cond("MemoryPressure", "False", 1_000)];
    old.status.addresses = vec![NodeAddress { type_: "InternalIP".into(), address: "10.0.0.1".into() }];
    let definition = |old: &Node, cur: &Node| {
        let mut a = old.clone();
        a.metadata.resource_version = cur.metadata.resource_version;
        a.status.conditions = cur.status.conditions.clone();
        let trues = |n: &Node| n.status.conditions.iter().filter(|c| c.status == "True").map(|c| c.type_.clone()).collect::<BTreeSet<String>>();
        trues(old) == trues(cur) && a == *cur
    };
    let heartbeat = {
        let mut n = old.clone();
        n.metadata.resource_version.0 = 8;
        n.status.conditions = vec![cond("Ready", "True", 11_000), cond("MemoryPressure", "False", 11_000)];
        n
    };
    type Change = Box<dyn Fn(&mut Node)>;
    let changes: Vec<(&str, Change)> = vec![
        ("a heartbeat", Box::new(|_| {})),
        ("Ready False", Box::new(|n| n.status.conditions[0].status = "False".into())),
        ("MemoryPressure True", Box::new(|n| n.status.conditions[1].status = "True".into())),
        ("a label", Box::new(|n| drop(n.metadata.labels.insert("zone".into(), "a".into())))),
        ("an annotation", Box::new(|n| drop(n.metadata.annotations.insert("a".into(), "b".into())))),
        ("unschedulable", Box::new(|n| n.spec.unschedulable = true)),
        ("a taint", Box::new(|n| n.spec.taints.push(Taint { key: "k".into(), effect: "NoSchedule".into(), ..Default::default() }))),
        ("an address", Box::new(|n| n.status.addresses[0].address = "10.0.0.2".into())),
        ("capacity", Box::new(|n| drop(n.status.capacity.insert("cpu".into(), "4".parse().unwrap())))),
        ("allocatable", Box::new(|n| drop(n.status.allocatable.insert("pods".into(), "110".parse().unwrap())))),
        ("the phase", Box::new(|n| n.status.phase = Some("Running".into()))),
        ("a deletion", Box::new(|n| n.metadata.rare.deletion_timestamp = Some(Time(SimTime::from_secs(5))))),
        ("the uid", Box::new(|n| n.metadata.uid = "u2".into())),
    ];
    for (what, change) in &changes {
        let mut cur = heartbeat.clone();
        change(&mut cur);
        assert_eq!(should_ignore_node_update(&old, &cur), definition(&old, &cur), "{what}");
    }
    assert!(should_ignore_node_update(&old, &heartbeat), "a heartbeat is ignored");
    let mut tainted = heartbeat.clone();
    tainted.spec.unschedulable = true;
    assert!(!should_ignore_node_update(&old, &tainted), "a spec change is not");
}
