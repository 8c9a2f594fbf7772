//! The ReplicaSet controller (pkg/controller/replicaset/replica_set.go): claim pods
//! (adopt matching orphans, release non-matching ones: claimPods), converge the active
//! pods to spec.replicas — creating at most 500 per sync (burstReplicas) in slow-start
//! batches, deleting in ActivePodsWithRanks order (manageReplicas) — with expectations so
//! a sync never acts twice on one unobserved change, and report status (calculateStatus,
//! with the `ReplicaFailure` condition while creates or deletes fail).
//!
//! Each create and delete is recorded after its answer, as RealPodControl does:
//! `SuccessfulCreate` "Created pod: NAME" or `FailedCreate` "Error creating: <the
//! apiserver's message>", `SuccessfulDelete` / `FailedDelete`. A failed round requeues
//! the ReplicaSet through the workqueue's rate limiter (5 ms doubling to 1000 s, and
//! 10 qps overall); a clean one forgets its failures.
//!
//! The same code manages ReplicationControllers, as upstream's pkg/controller/replication
//! wraps this controller: a ReplicationController is seen as a ReplicaSet whose selector
//! is its equality-based selector as matchLabels ([`Replicated`]), its pods are owned as
//! `v1/ReplicationController`, and its Events come from `replication-controller`.
//!
//! Differences: upstream runs the slow-start batches inside one sync; ksim sends each
//! batch when every create of the previous one has been answered. Upstream lists every
//! pod of the namespace on each sync; ksim keeps each ReplicaSet's pods indexed from the
//! watch (`OwnedPods`), so a sync costs what changed, not a scan of every pod.

use super::controller_utils::{self, is_pod_active, pod_create_answered, pod_delete_answered, ready_time, ControllerExpectations, Deletes, SlowStart};
use super::informers::{NsName, SharedInformers};
use super::workqueue::{Order, WorkQueue};
use super::{Controller, ControllerCtx, Synced};
use crate::api::meta::{OwnerReference, Text, Time};
use crate::api::pod::Pod;
use crate::api::replica_set::{ReplicaSet, ReplicaSetCondition};
use crate::api::replication_controller::ReplicationController;
use crate::api::{Kind, Object, ObjectKey};
use crate::apiserver::{Request, Response};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::borrow::Cow;
use std::collections::{BTreeMap, BTreeSet};
use std::marker::PhantomData;
use std::rc::Rc;

pub const BURST_REPLICAS: usize = 500;
pub use controller_utils::POD_DELETION_COST;
pub const REPLICA_FAILURE: &str = "ReplicaFailure";

/// How one owned pod counts for its ReplicaSet.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Standing {
    /// Active and matching the selector: one of the ReplicaSet's replicas.
    counted: bool,
    /// Active but no longer matching the selector: to be released.
    mismatched: bool,
    fully_labeled: bool,
    /// When it became Ready (ms), if it is.
    ready_at: Option<u64>,
}

/// A ReplicaSet's pods and the counts its status needs, kept current from the watch.
#[derive(Default, Debug)]
struct OwnedPods {
    /// By the pod's name as a `Text`, which shares the object's string (a `String` key
    /// was a copy of every pod's name: 48 bytes a pod, and an allocation at each index
    /// update).
    pods: BTreeMap<Text, Standing>,
    counted: usize,
    fully_labeled: usize,
    ready: usize,
    /// Counted ready pods by (ready time, name), to count the available ones: made the
    /// first time a ReplicaSet with minReadySeconds asks (without, ready is available),
    /// kept current from then on. Most ReplicaSets never need it, and, made always, it
    /// was a second copy of every ready pod's name (13 MB of a 150,000-pod density run,
    /// when the names were `String`s).
    ready_since: Option<BTreeSet<(u64, Text)>>,
    mismatched: BTreeSet<Text>,
}

impl OwnedPods {
    fn remove(&mut self, name: &Text) {
        let Some(s) = self.pods.remove(name) else { return };
        if s.counted {
            assert!(self.counted > 0, "ReplicaSet pod index: counted pods never negative");
            self.counted -= 1;
            self.fully_labeled -= usize::from(s.fully_labeled);
            if let Some(t) = s.ready_at {
                self.ready -= 1;
                if let Some(r) = &mut self.ready_since {
                    r.remove(&(t, name.clone()));
                }
            }
        }
        if s.mismatched {
            self.mismatched.remove(name);
        }
    }

    fn insert(&mut self, name: &Text, s: Standing) {
        self.remove(name);
        if s.counted {
            self.counted += 1;
            self.fully_labeled += usize::from(s.fully_labeled);
            if let Some(t) = s.ready_at {
                self.ready += 1;
                if let Some(r) = &mut self.ready_since {
                    r.insert((t, name.clone()));
                }
            }
        }
        if s.mismatched {
            self.mismatched.insert(name.clone());
        }
        self.pods.insert(name.clone(), s);
    }

    /// Counted pods available at `now`: ready for longer than minReadySeconds
    /// (podutil.IsPodAvailable: readySince + minReadySeconds strictly before now).
    fn available(&mut self, min_ready_ms: u64, now: SimTime) -> usize {
        if min_ready_ms == 0 {
            return self.ready;
        }
        let pods = &self.pods;
        let ready_since =
            self.ready_since.get_or_insert_with(|| pods.iter().filter(|(_, s)| s.counted).filter_map(|(name, s)| Some((s.ready_at?, name.clone()))).collect());
        let not_yet = match now.as_ms().checked_sub(min_ready_ms) {
            // Ready at t is available once t + minReady < now, i.e. t < now − minReady.
            Some(cutoff) => ready_since.range((cutoff, Text::default())..).count(),
            None => ready_since.len(),
        };
        self.ready - not_yet
    }
}

fn standing(rs: &ReplicaSet, p: &Pod) -> Standing {
    let active = is_pod_active(p);
    let matches = rs.spec.selector.as_ref().is_some_and(|s| s.matches(&p.metadata.labels));
    let counted = active && matches;
    Standing {
        counted,
        mismatched: active && !matches,
        fully_labeled: rs.spec.template.metadata.labels.iter().all(|(k, v)| p.metadata.labels.get(k) == Some(v)),
        ready_at: if counted { ready_time(p).map(|t| t.0.as_ms()) } else { None },
    }
}

/// The kind a replica manager manages, seen as a ReplicaSet.
pub trait Replicated: 'static {
    const KIND: Kind;
    /// The owner references of its pods (apiVersion, kind).
    const API_VERSION: &'static str;
    const KIND_NAME: &'static str;
    /// The component its Events come from.
    const COMPONENT: &'static str;
    /// The object as a ReplicaSet (None for another kind).
    fn as_rs(o: &Object) -> Option<Cow<'_, ReplicaSet>>;
    /// The object with the status the controller computed.
    fn with_status(o: &Object, rs: ReplicaSet) -> Object;
}

/// ReplicaSets (apps/v1).
pub struct ReplicaSets;

impl Replicated for ReplicaSets {
    const KIND: Kind = Kind::ReplicaSet;
    const API_VERSION: &'static str = "apps/v1";
    const KIND_NAME: &'static str = "ReplicaSet";
    const COMPONENT: &'static str = "replicaset-controller";
    fn as_rs(o: &Object) -> Option<Cow<'_, ReplicaSet>> {
        o.as_replica_set().map(Cow::Borrowed)
    }
    fn with_status(_: &Object, rs: ReplicaSet) -> Object {
        Object::ReplicaSet(Box::new(rs))
    }
}

/// ReplicationControllers (core/v1), converted as pkg/controller/replication does.
pub struct ReplicationControllers;

impl Replicated for ReplicationControllers {
    const KIND: Kind = Kind::ReplicationController;
    const API_VERSION: &'static str = "v1";
    const KIND_NAME: &'static str = "ReplicationController";
    const COMPONENT: &'static str = "replication-controller";
    fn as_rs(o: &Object) -> Option<Cow<'_, ReplicaSet>> {
        o.as_replication_controller().map(|rc| Cow::Owned(rc.as_replica_set()))
    }
    fn with_status(o: &Object, rs: ReplicaSet) -> Object {
        let rc: &ReplicationController = o.as_replication_controller().expect("a ReplicationController");
        let mut out = rc.with_status(&rs.status);
        out.metadata.resource_version = rs.metadata.resource_version;
        Object::ReplicationController(Box::new(out))
    }
}

/// The ReplicaSet controller.
pub type ReplicaSetController = ReplicaManager<ReplicaSets>;
/// The ReplicationManager: the same controller for ReplicationControllers.
pub type ReplicationManager = ReplicaManager<ReplicationControllers>;

pub struct ReplicaManager<R: Replicated> {
    queue: WorkQueue<NsName>,
    expectations: ControllerExpectations<NsName>,
    slow_start: BTreeMap<NsName, SlowStart>,
    deleting: BTreeMap<NsName, Deletes>,
    /// The ReplicaSet of each pod uid whose delete is unanswered.
    delete_owner: BTreeMap<String, NsName>,
    /// The last manageReplicas error (reason, message), shown as the ReplicaFailure
    /// condition until a round succeeds.
    failure: BTreeMap<NsName, (&'static str, String)>,
    /// Owned pods by ReplicaSet uid.
    owned: BTreeMap<String, OwnedPods>,
    /// A deliberate bug for the tests that prove the checkers catch one: create this many
    /// pods more than needed. Always 0 outside those tests.
    #[doc(hidden)]
    pub sabotage_extra_creates: usize,
    /// A key written over for lookups (`key_of`): a pod's event looks up its owner's
    /// expectations and queue place without copying the two names each time.
    scratch: NsName,
    kind: PhantomData<R>,
}

/// `scratch` made (namespace, name), its strings' room reused.
fn key_of<'a>(scratch: &'a mut NsName, namespace: &str, name: &str) -> &'a NsName {
    scratch.0.clear();
    scratch.0.push_str(namespace);
    scratch.1.clear();
    scratch.1.push_str(name);
    scratch
}

impl<R: Replicated> Default for ReplicaManager<R> {
    fn default() -> Self {
        ReplicaManager {
            queue: WorkQueue::new(Order::Fifo),
            expectations: Default::default(),
            slow_start: BTreeMap::new(),
            deleting: BTreeMap::new(),
            delete_owner: BTreeMap::new(),
            failure: BTreeMap::new(),
            owned: BTreeMap::new(),
            sabotage_extra_creates: 0,
            scratch: NsName::default(),
            kind: PhantomData,
        }
    }
}

/// The controller reference of a ReplicaSet (or of the object `R` sees as one).
pub fn controller_ref<R: Replicated>(rs: &ReplicaSet) -> OwnerReference {
    controller_utils::controller_ref(R::API_VERSION, R::KIND_NAME, &rs.metadata.name, &rs.metadata.uid)
}

/// GetPodFromTemplate for a ReplicaSet: generateName `<rs>-`.
pub fn pod_from_template<R: Replicated>(rs: &ReplicaSet) -> Pod {
    let generate_name = crate::api::meta::Text::concat(&[&rs.metadata.name, "-"]);
    controller_utils::pod_from_template(&rs.spec.template, &rs.metadata.namespace, &generate_name, &vec![controller_ref::<R>(rs)].into())
}

/// The ReplicaSet a pod's controller reference names, if cached with that uid.
fn owner_rs<'a, R: Replicated>(inf: &'a SharedInformers, p: &Pod) -> Option<Cow<'a, ReplicaSet>> {
    let r = p.metadata.controller_ref().filter(|r| r.kind == R::KIND_NAME)?;
    inf.get(&R::KIND, &p.metadata.namespace, &r.name).and_then(|o| R::as_rs(o)).filter(|rs| rs.metadata.uid == r.uid)
}

impl<R: Replicated> Controller for ReplicaManager<R> {
    type Key = NsName;
    const NAME: &'static str = R::COMPONENT;

    fn queue(&mut self) -> &mut WorkQueue<NsName> {
        &mut self.queue
    }

    fn watches(kind: &Kind) -> bool {
        *kind == Kind::Pod || *kind == R::KIND
    }

    fn on_watch(&mut self, inf: &SharedInformers, ev: &WatchEvent, _ctx: &mut ControllerCtx) {
        let m = ev.object.meta();
        if let Some(rs) = R::as_rs(&ev.object) {
            self.index_replica_set(inf, ev, &rs);
            self.queue.add((m.namespace.to_string(), m.name.to_string()));
            return;
        }
        if let Object::Pod(p) = &*ev.object {
            self.index_pod(inf, ev, p);
            self.observe_pod(ev, p);
            self.enqueue_pod_owner(inf, p);
            if let Some(prev) = ev.prev.as_ref().and_then(|o| o.as_pod()) {
                if prev.metadata.labels != p.metadata.labels || prev.metadata.controller_ref() != p.metadata.controller_ref() {
                    self.enqueue_pod_owner(inf, prev);
                }
            }
        }
    }

    fn sync(&mut self, inf: &SharedInformers, key: &NsName, ctx: &mut ControllerCtx) -> Synced {
        let Some(obj) = inf.get(&R::KIND, &key.0, &key.1).cloned() else {
            self.expectations.delete(key);
            self.failure.remove(key);
            return Synced::Done;
        };
        let rs_view = R::as_rs(&obj).expect("a ReplicaSet");
        let rs: &ReplicaSet = &rs_view;
        let Some(selector) = rs.spec.selector.clone() else { return Synced::Done };
        let live = rs.metadata.rare.deletion_timestamp.is_none();
        // Claim: owned pods that no longer match are released (not while the ReplicaSet
        // itself is being deleted: RecheckDeletionTimestamp).
        if live {
            let idx = self.owned.get(rs.metadata.uid.as_str());
            for name in idx.into_iter().flat_map(|i| i.mismatched.iter()) {
                let Some(p) = inf.get(&Kind::Pod, &key.0, name).and_then(|o| o.as_pod()) else { continue };
                let mut np = p.clone();
                np.metadata.owner_references.retain(|r| r.uid != rs.metadata.uid);
                np.metadata.resource_version.0 = 0;
                ctx.request(Request::Update(Object::Pod(Box::new(np))));
            }
        }
        // Adopt matching active orphans; they count from this sync on (ClaimPods).
        let mut adopted: Vec<Rc<Object>> = Vec::new();
        if live && !selector.is_empty() {
            for o in inf.orphan_pods(&key.0) {
                let Some(p) = o.as_pod() else { continue };
                if p.metadata.controller_ref().is_none() && is_pod_active(p) && selector.matches(&p.metadata.labels) {
                    let mut np = p.clone();
                    np.metadata.owner_references.push(controller_ref::<R>(rs));
                    ctx.request(Request::Update(Object::Pod(Box::new(np))));
                    adopted.push(o);
                }
            }
        }
        let mut sent = false;
        if self.expectations.satisfied(key) && live {
            sent = self.manage_replicas(inf, rs, &adopted, ctx);
        }
        self.update_status(&obj, rs, &adopted, ctx);
        if sent || self.slow_start.contains_key(key) || self.deleting.contains_key(key) {
            Synced::Pending
        } else {
            Synced::Done
        }
    }

    fn on_response(&mut self, inf: &SharedInformers, req: &Request, resp: &Response, ctx: &mut ControllerCtx) {
        match req {
            Request::Create(Object::Pod(p)) => {
                let Some(r) = p.metadata.controller_ref() else { return };
                let key = (p.metadata.namespace.to_string(), r.name.clone());
                self.create_answered(inf, &key, resp, ctx);
            }
            Request::Delete { key: pod, uid: Some(uid), .. } => {
                let Some(owner) = self.delete_owner.remove(uid) else { return };
                self.delete_answered(inf, &owner, pod, uid, resp, ctx);
            }
            _ => {}
        }
    }
}

impl<R: Replicated> ReplicaManager<R> {
    /// Keeps `owned` current for a pod event.
    fn index_pod(&mut self, inf: &SharedInformers, ev: &WatchEvent, p: &Pod) {
        let name = &p.metadata.name;
        let owner = if ev.type_ == WatchEventType::Deleted { None } else { owner_rs::<R>(inf, p) };
        let standing = owner.as_ref().map(|rs| (rs, standing(rs, p)));
        // Most pod updates are status writes that leave the pod with the same owner and
        // the same standing: the index already says so (taking the pod out and putting
        // it back would leave it as it is, at the cost of a few allocations).
        if let (Some((rs, s)), Some(prev)) = (&standing, ev.prev.as_ref().and_then(|o| o.as_pod())) {
            let uid = &rs.metadata.uid;
            if prev.metadata.controller_ref().is_some_and(|r| r.uid == *uid)
                && self.owned.get(uid.as_str()).and_then(|idx| idx.pods.get(name.as_str())) == Some(s)
            {
                return;
            }
        }
        if let Some(prev) = ev.prev.as_ref().and_then(|o| o.as_pod()) {
            if let Some(r) = prev.metadata.controller_ref() {
                if let Some(idx) = self.owned.get_mut(&r.uid) {
                    idx.remove(name);
                }
            }
        }
        if ev.type_ == WatchEventType::Deleted {
            if let Some(idx) = p.metadata.controller_ref().and_then(|r| self.owned.get_mut(&r.uid)) {
                idx.remove(name);
            }
            return;
        }
        if let Some((rs, s)) = standing {
            match self.owned.get_mut(rs.metadata.uid.as_str()) {
                Some(idx) => idx.insert(name, s),
                None => self.owned.entry(rs.metadata.uid.to_string()).or_default().insert(name, s),
            }
        }
    }

    /// A ReplicaSet appeared, went, or changed what its pods' standing depends on.
    fn index_replica_set(&mut self, inf: &SharedInformers, ev: &WatchEvent, rs: &ReplicaSet) {
        let uid = &rs.metadata.uid;
        if ev.type_ == WatchEventType::Deleted {
            self.owned.remove(uid.as_str());
            return;
        }
        let unchanged = ev
            .prev
            .as_ref()
            .and_then(|o| R::as_rs(o))
            .is_some_and(|prev| prev.spec.selector == rs.spec.selector && prev.spec.template.metadata.labels == rs.spec.template.metadata.labels);
        if unchanged && self.owned.contains_key(uid.as_str()) {
            return;
        }
        let mut idx = OwnedPods::default();
        for (kind, ns, name) in inf.dependent_refs(uid) {
            if *kind != Kind::Pod {
                continue;
            }
            let Some(p) = inf.get(kind, ns, name).and_then(|o| o.as_pod()) else { continue };
            if p.metadata.controller_ref().is_some_and(|r| r.uid == *uid) {
                idx.insert(name, standing(rs, p));
            }
        }
        self.owned.insert(uid.to_string(), idx);
    }

    /// Lowers expectations as creations and deletions are observed.
    fn observe_pod(&mut self, ev: &WatchEvent, p: &Pod) {
        let Some(r) = p.metadata.controller_ref().filter(|r| r.kind == R::KIND_NAME) else { return };
        let key = key_of(&mut self.scratch, &p.metadata.namespace, &r.name);
        if ev.type_ == WatchEventType::Added {
            self.expectations.creation_observed(key);
        }
        if ev.type_ == WatchEventType::Deleted || p.metadata.rare.deletion_timestamp.is_some() {
            self.expectations.deletion_observed(key, &p.metadata.uid);
        }
    }

    fn enqueue_pod_owner(&mut self, inf: &SharedInformers, p: &Pod) {
        match p.metadata.controller_ref() {
            Some(r) if r.kind == R::KIND_NAME => self.queue.add_ref(key_of(&mut self.scratch, &p.metadata.namespace, &r.name)),
            Some(_) => {}
            None => {
                // An orphan: every ReplicaSet in the namespace whose selector matches may adopt it.
                let ns = &p.metadata.namespace;
                for rs in inf.list_ns(&R::KIND, ns).filter_map(|o| R::as_rs(o)) {
                    if rs.spec.selector.as_ref().is_some_and(|s| !s.is_empty() && s.matches(&p.metadata.labels)) {
                        self.queue.add((ns.to_string(), rs.metadata.name.to_string()));
                    }
                }
            }
        }
    }

    /// The active pods of `rs` (indexed, plus the orphans adopted in this sync).
    fn active_pods<'a>(&self, inf: &'a SharedInformers, rs: &ReplicaSet, adopted: &'a [Rc<Object>]) -> Vec<&'a Pod> {
        let ns = &rs.metadata.namespace;
        let idx = self.owned.get(rs.metadata.uid.as_str());
        let indexed = idx.into_iter().flat_map(|i| i.pods.iter()).filter(|(_, s)| s.counted).filter_map(|(n, _)| inf.get(&Kind::Pod, ns, n));
        indexed.chain(adopted.iter()).filter_map(|o| o.as_pod()).collect()
    }

    /// manageReplicas: create or delete towards spec.replicas. Returns whether it sent
    /// any request.
    fn manage_replicas(&mut self, inf: &SharedInformers, rs: &ReplicaSet, adopted: &[Rc<Object>], ctx: &mut ControllerCtx) -> bool {
        let key = (rs.metadata.namespace.to_string(), rs.metadata.name.to_string());
        let want = rs.replicas().max(0) as usize;
        let have = self.owned.get(rs.metadata.uid.as_str()).map_or(0, |i| i.counted) + adopted.len();
        if have < want {
            let n = (want - have + self.sabotage_extra_creates).min(BURST_REPLICAS);
            self.expectations.expect_creations(key.clone(), n);
            let (ss, batch) = SlowStart::begin(n);
            self.slow_start.insert(key, ss);
            send_batch::<R>(rs, batch, ctx);
            return true;
        }
        if have == want {
            // A round without error clears ReplicaFailure.
            self.failure.remove(&key);
            return false;
        }
        let n = (have - want).min(BURST_REPLICAS);
        let active = self.active_pods(inf, rs, adopted);
        let related = related_pods(self, inf, rs);
        let victims = controller_utils::pods_to_delete(&active, &related, n, ctx.now());
        let uids: BTreeSet<String> = victims.iter().map(|p| p.metadata.uid.to_string()).collect();
        self.expectations.expect_deletions(key.clone(), uids);
        self.deleting.insert(key.clone(), Deletes::new(victims.len()));
        for p in &victims {
            self.delete_owner.insert(p.metadata.uid.to_string(), key.clone());
            ctx.request_reply(Request::Delete {
                key: Box::new(ObjectKey::new(Kind::Pod, &p.metadata.namespace, &p.metadata.name)),
                grace_period_seconds: None,
                uid: Some(p.metadata.uid.to_string()),
            });
        }
        !victims.is_empty()
    }

    /// A create of `key`'s was answered (RealPodControl.createPods, then slowStartBatch).
    fn create_answered(&mut self, inf: &SharedInformers, key: &NsName, resp: &Response, ctx: &mut ControllerCtx) {
        let obj = inf.get(&R::KIND, &key.0, &key.1).cloned();
        let ok = match pod_create_answered(&mut self.expectations, key, obj.as_ref(), resp, ctx) {
            Ok(()) => true,
            Err(message) => {
                self.failure.insert(key.clone(), ("FailedCreate", message));
                false
            }
        };
        let Some(ss) = self.slow_start.get_mut(key) else { return };
        let next = ss.answered(ok);
        let live = obj.as_ref().and_then(|o| R::as_rs(o)).filter(|r| r.metadata.rare.deletion_timestamp.is_none());
        if next > 0 {
            if let Some(rs) = &live {
                send_batch::<R>(rs, next, ctx);
                return;
            }
            // The ReplicaSet is gone or going: the batch just granted is not sent.
            ss.in_flight = 0;
            ss.remaining += next;
            ss.failed = true;
        }
        if !ss.done() {
            return;
        }
        // Any creations never attempted will never be observed (slow-start failure).
        let (skipped, failed) = (ss.remaining as i64, ss.failed);
        self.slow_start.remove(key);
        self.expectations.lower_adds(key, skipped);
        self.round_done(key, failed && live.is_some(), ctx);
    }

    /// A delete of `key`'s was answered (RealPodControl.DeletePod).
    fn delete_answered(&mut self, inf: &SharedInformers, key: &NsName, pod: &ObjectKey, uid: &str, resp: &Response, ctx: &mut ControllerCtx) {
        let obj = inf.get(&R::KIND, &key.0, &key.1).cloned();
        let answer = pod_delete_answered(&mut self.expectations, key, uid, obj.as_ref(), &pod.name, resp, ctx);
        if let Err(m) = &answer {
            self.failure.insert(key.clone(), ("FailedDelete", m.clone()));
        }
        let d = self.deleting.get_mut(key).expect("a delete answer for a ReplicaSet deleting pods");
        if let Some(failed) = d.answered(answer.is_err(), "ReplicaSet") {
            self.deleting.remove(key);
            self.round_done(key, failed, ctx);
        }
    }

    /// A manageReplicas round is over: a failure requeues with back-off (the sync
    /// returned an error), success forgets the failures.
    fn round_done(&mut self, key: &NsName, failed: bool, ctx: &mut ControllerCtx) {
        if failed {
            ctx.requeue_rate_limited(&mut self.queue, key.clone());
        } else {
            self.failure.remove(key);
            self.queue.forget(key);
        }
    }

    fn update_status(&mut self, obj: &Object, rs: &ReplicaSet, adopted: &[Rc<Object>], ctx: &mut ControllerCtx) {
        let key = (rs.metadata.namespace.to_string(), rs.metadata.name.to_string());
        let min_ready_ms = rs.spec.min_ready_seconds.unwrap_or(0).max(0) as u64 * 1000;
        let now = ctx.now();
        let (mut counted, mut fully, mut ready, mut available) = match self.owned.get_mut(rs.metadata.uid.as_str()) {
            Some(i) => (i.counted, i.fully_labeled, i.ready, i.available(min_ready_ms, now)),
            None => (0, 0, 0, 0),
        };
        for p in adopted.iter().filter_map(|o| o.as_pod()) {
            let s = standing(rs, p);
            counted += 1;
            fully += usize::from(s.fully_labeled);
            if let Some(t) = s.ready_at {
                ready += 1;
                available += usize::from(min_ready_ms == 0 || t + min_ready_ms < now.as_ms());
            }
        }
        let mut st = rs.status.clone();
        st.replicas = counted as i32;
        st.fully_labeled_replicas = fully as i32;
        st.ready_replicas = ready as i32;
        st.available_replicas = available as i32;
        st.observed_generation = rs.metadata.rare.generation;
        let failure = self.failure.get(&key);
        match (failure, rs.condition(REPLICA_FAILURE)) {
            (Some((reason, message)), None) => st.conditions.push(ReplicaSetCondition {
                type_: REPLICA_FAILURE.into(),
                status: "True".into(),
                last_transition_time: Some(Time(now)),
                reason: (*reason).into(),
                message: message.clone(),
            }),
            (None, Some(_)) => st.conditions.retain(|c| c.type_ != REPLICA_FAILURE),
            _ => {}
        }
        // Resync after minReadySeconds "as a last line of defense" when every replica is
        // ready but not yet available (syncReplicaSet).
        if failure.is_none() && min_ready_ms > 0 && st.ready_replicas == rs.replicas() && st.available_replicas != rs.replicas() {
            ctx.requeue_after(&mut self.queue, key, SimDuration::from_ms(min_ready_ms));
        }
        if st != rs.status {
            let mut n = rs.clone();
            n.status = st;
            n.metadata.resource_version.0 = 0;
            ctx.request(Request::UpdateStatus(R::with_status(obj, n)));
        }
    }
}

fn send_batch<R: Replicated>(rs: &ReplicaSet, n: usize, ctx: &mut ControllerCtx) {
    // One pod made, and copied for the others: its generateName, labels, owner list and
    // spec are shared by the batch's pods.
    let pod = pod_from_template::<R>(rs);
    for _ in 0..n {
        ctx.request_reply(Request::Create(Object::Pod(Box::new(pod.clone()))));
    }
}

/// getIndirectlyRelatedPods: the active pods of every ReplicaSet with the same
/// controller (e.g. all of a Deployment's), for ranking by pods on the same node.
fn related_pods<'a, R: Replicated>(c: &ReplicaManager<R>, inf: &'a SharedInformers, rs: &ReplicaSet) -> Vec<&'a Pod> {
    let Some(owner) = rs.metadata.controller_ref() else { return Vec::new() };
    let mut out = Vec::new();
    for (kind, ns, name) in inf.dependent_refs(&owner.uid) {
        if *kind != R::KIND {
            continue;
        }
        let Some(sib) = inf.get(kind, ns, name).and_then(|o| R::as_rs(o)) else { continue };
        out.extend(c.active_pods(inf, &sib, &[]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pod(name: &str, ready_at_s: Option<u64>) -> Pod {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        p.metadata.labels.insert("app".into(), "web".into());
        p.status.phase = "Running".into();
        if let Some(t) = ready_at_s {
            p.set_condition("Ready", "True", "", "", Time(SimTime::from_secs(t)));
        }
        p
    }

    fn rs() -> ReplicaSet {
        let mut rs = ReplicaSet::default();
        let mut sel = crate::api::meta::LabelSelector::default();
        sel.match_labels.insert("app".into(), "web".into());
        rs.spec.selector = Some(sel);
        rs.spec.template.metadata.labels.insert("app".into(), "web".into());
        rs.spec.template.metadata.labels.insert("tier".into(), "front".into());
        rs
    }

    /// podutil.IsPodAvailable: available once readySince + minReadySeconds is strictly
    /// before now.
    #[test]
    fn the_index_counts_ready_and_available_like_calculate_status() {
        let rs = rs();
        let mut idx = OwnedPods::default();
        idx.insert(&"a".into(), standing(&rs, &pod("a", Some(10))));
        idx.insert(&"b".into(), standing(&rs, &pod("b", Some(20))));
        idx.insert(&"c".into(), standing(&rs, &pod("c", None)));
        assert_eq!((idx.counted, idx.ready, idx.fully_labeled), (3, 2, 0), "no pod has tier=front");
        let min_ready = 5_000;
        assert_eq!(idx.available(min_ready, SimTime::from_secs(15)), 0, "10 s + 5 s is not before 15 s");
        assert_eq!(idx.available(min_ready, SimTime(15_001)), 1);
        assert_eq!(idx.available(min_ready, SimTime(25_001)), 2);
        assert_eq!(idx.available(0, SimTime::ZERO), 2, "minReadySeconds 0: ready is available");
        // Once made, the ready pods by time follow the pods that come and go.
        idx.insert(&"d".into(), standing(&rs, &pod("d", Some(30))));
        assert_eq!(idx.available(min_ready, SimTime(35_001)), 3);
        assert_eq!(idx.available(min_ready, SimTime(35_000)), 2, "30 s + 5 s is not before 35 s");
        assert_eq!(idx.ready_since.as_ref().map(|r| r.len()), Some(idx.ready));
        idx.remove(&"d".into());
        let mut gone = pod("a", Some(10));
        gone.metadata.labels.clear();
        idx.insert(&"a".into(), standing(&rs, &gone));
        assert_eq!((idx.counted, idx.ready, idx.mismatched.len()), (2, 1, 1), "a relabelled pod is released, not counted");
        idx.remove(&"a".into());
        idx.remove(&"b".into());
        idx.remove(&"c".into());
        assert_eq!((idx.counted, idx.ready, idx.fully_labeled, idx.ready_since.as_ref().map(|r| r.len()), idx.mismatched.len()), (0, 0, 0, Some(0), 0));
    }
}
