//! kube-apiserver: create/update/delete/bind requests against the etcd store, with
//! defaulting (including the DefaultTolerationSeconds admission plugin), validation in
//! the apiserver's words, uid and generateName drawn from the seed, and graceful pod
//! deletion (deletionTimestamp first, removal once the kubelet confirms).

pub mod defaults;
mod eviction;
pub mod limit_ranger;
pub mod resource_quota;
pub mod service_alloc;

use crate::api::meta::{Text, Time};
use crate::api::object::Kind;
use crate::api::pod::PodSpec;
use crate::api::validation::{validate, FieldErr};
use crate::api::{Object, ObjectKey};
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{HistoryLimits, Store, StoreError, WatchEvent};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::rc::Rc;

/// The apiserver's timers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timer {
    /// Compact the etcd history (--etcd-compaction-interval, 5 minutes).
    Compaction,
    /// An Event lease granted earlier runs out: etcd deletes the Events attached to it.
    EventLeaseExpiry,
}

/// The apiserver's lease manager for Events (staging/src/k8s.io/apiserver/pkg/storage/
/// etcd3/lease_manager.go, GetLease): a write whose TTL would end close to the previous
/// lease's end reuses that lease, so Events written within a window expire together.
/// Reuse window: min(`LEASE_REUSE_SECONDS`, 5 % of the TTL) (getReuseDurationSecondsLocked),
/// and a new lease is granted for TTL + that window; at most `LEASE_MAX_OBJECTS` writes
/// share one (NewDefaultLeaseManagerConfig: ReuseDurationSeconds 60, MaxObjectCount 1000).
pub const LEASE_REUSE_SECONDS: u64 = 60;
pub const LEASE_MAX_OBJECTS: u64 = 1000;

#[derive(Clone, Copy, Debug)]
struct EventLease {
    expires: SimTime,
    attached: u64,
}

/// The Event writes attached to one lease (or to leases that end at the same moment):
/// where the Events are (`etcd::Attached`), and the first and last of the writes'
/// revisions. A lease is attached the Event writes from its grant to the next lease's,
/// so the writes with a revision in that range are exactly its writes: an Event whose
/// resource version is in it was last written under this lease, and goes with it (one
/// written twice under the lease goes once). Kept as the range rather than a revision
/// per write: 8 bytes less for each Event write of the hour.
struct LeaseWrites {
    end: SimTime,
    revisions: std::ops::RangeInclusive<u64>,
    events: crate::etcd::Attached,
}

/// A request from a client (a component or the scenario timeline).
#[derive(Clone, Debug)]
pub enum Request {
    Create(Object),
    /// Replace spec and metadata (status is kept); resourceVersion 0 = unconditional.
    Update(Object),
    /// Replace status only (the `/status` subresource).
    UpdateStatus(Object),
    /// Delete; pods bound to a node get a deletionTimestamp first (graceful).
    Delete {
        /// Boxed, as in every variant with a key: the largest variant sets the size of
        /// every request, most of them a 16-byte create or status update (inline keys
        /// made every request 136 bytes; now 48, asserted below).
        key: Box<ObjectKey>,
        grace_period_seconds: Option<i64>,
        uid: Option<String>,
    },
    /// The pods/binding subresource.
    Bind(Box<Binding>),
    /// A consistent list of one kind (the informer's relist).
    List(Kind),
    /// One object (the kubelet's reads of the ConfigMaps and Secrets a pod uses).
    Get(Box<ObjectKey>),
    /// The `/scale` subresource (`kubectl scale`).
    Scale {
        key: Box<ObjectKey>,
        replicas: i32,
    },
    /// `kubectl apply`: create, or merge the manifest's fields into the live object.
    Apply(Object),
    /// Delete every object in a namespace (the namespace controller's work); the
    /// response lists what is still there (pods terminating gracefully).
    DeleteNamespaceContent(String),
    /// The pods/eviction subresource: delete a pod unless a PodDisruptionBudget forbids.
    Evict(Box<Eviction>),
    /// A JSON merge patch (RFC 7386) of the object's spec and metadata (kubectl cordon,
    /// rollout pause/resume/undo, set image).
    Patch {
        key: Box<ObjectKey>,
        patch: serde_json::Value,
    },
    /// A recorder's update of an Event it wrote before (client-go's recordEvent: a patch
    /// of count, lastTimestamp and message; a create when the Event is gone).
    PatchEvent(Object),
    /// A JSON patch (RFC 6902) of `replace` operations: (JSON pointer, value). kubectl
    /// rollout undo replaces /spec/template and /metadata/annotations this way.
    JsonPatch {
        key: Box<ObjectKey>,
        replace: Vec<(String, serde_json::Value)>,
    },
    /// `GET /apis/metrics.k8s.io/v1beta1/namespaces/NS/pods`: the aggregation layer
    /// proxies it to metrics-server (the simulation answers it: sim/metrics.rs).
    PodMetrics {
        namespace: String,
    },
}

// A request is 48 bytes (a delete's key box, grace period and uid); every request is
// boxed whatever its variant, most of them a create or a status update (16 bytes).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Request>() == 48);

/// The pods/binding subresource's body: the pod and the node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Binding {
    pub namespace: Text,
    pub name: Text,
    pub uid: Text,
    pub node: Text,
}

/// The pods/eviction subresource's body.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Eviction {
    pub namespace: String,
    pub name: String,
    /// The Eviction's deleteOptions.gracePeriodSeconds (kubectl drain --grace-period).
    pub grace_period_seconds: Option<i64>,
}

impl Request {
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Create(_) => "create",
            Request::Update(_) => "update",
            Request::UpdateStatus(_) => "update",
            Request::Delete { .. } => "delete",
            Request::Bind(_) => "bind",
            Request::List(_) => "list",
            Request::Get(_) => "get",
            Request::Scale { .. } => "scale",
            Request::Apply(_) => "apply",
            Request::DeleteNamespaceContent(_) => "deletecollection",
            Request::Evict(_) => "create",
            Request::Patch { .. } | Request::JsonPatch { .. } | Request::PatchEvent(_) => "patch",
            Request::PodMetrics { .. } => "list",
        }
    }

    pub fn key(&self) -> ObjectKey {
        match self {
            Request::Create(o) | Request::Update(o) | Request::UpdateStatus(o) | Request::Apply(o) | Request::PatchEvent(o) => {
                let k = o.key();
                if k.namespace.is_empty() && k.kind.namespaced() {
                    ObjectKey::new(k.kind, "default", &k.name)
                } else {
                    k
                }
            }
            Request::Delete { key, .. } => (**key).clone(),
            Request::Bind(b) => ObjectKey::new(Kind::Pod, &b.namespace, &b.name),
            Request::List(k) => ObjectKey::new(k.clone(), "", ""),
            Request::Get(key) | Request::Scale { key, .. } => (**key).clone(),
            Request::DeleteNamespaceContent(ns) => ObjectKey::new(Kind::Namespace, "", ns),
            Request::Evict(e) => ObjectKey::new(Kind::Pod, &e.namespace, &e.name),
            Request::Patch { key, .. } | Request::JsonPatch { key, .. } => (**key).clone(),
            Request::PodMetrics { namespace } => ObjectKey::new(Kind::other("metrics.k8s.io".into(), "PodMetrics".into()), namespace, ""),
        }
    }
}

/// An API error (metav1.Status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
    /// details.causes[0].type, where the apiserver gives one (`NamespaceTerminating`).
    pub cause: Option<&'static str>,
    /// details.causes[0].message, where the cause says more than the message (the
    /// DisruptionBudget cause of a refused eviction).
    pub cause_message: Option<String>,
}

/// How many names a generateName create tries (store.go maxNameGenerationCreateAttempts).
pub const MAX_NAME_GENERATION_CREATE_ATTEMPTS: u32 = 8;

/// The StatusCause of a create refused in a terminating namespace (v1.NamespaceTerminatingCause).
pub const NAMESPACE_TERMINATING_CAUSE: &str = "NamespaceTerminating";

#[derive(Clone, Debug)]
pub enum Response {
    Object(Rc<Object>),
    /// Boxed: one pointer, where the items and the revision were 32 bytes that every
    /// response in the event queue paid for.
    List(Box<ObjectList>),
    /// The resource metrics API's PodMetrics list.
    PodMetrics(Rc<Vec<crate::metrics_server::PodMetrics>>),
    /// Boxed: a Status is large, and every response waits in the event queue.
    Error(Box<Status>),
}

/// A list's items and the store's revision it was read at.
#[derive(Clone, Debug)]
pub struct ObjectList {
    pub items: Vec<Rc<Object>>,
    pub revision: u64,
}

impl Response {
    pub fn list(items: Vec<Rc<Object>>, revision: u64) -> Response {
        Response::List(Box::new(ObjectList { items, revision }))
    }

    pub fn is_ok(&self) -> bool {
        !matches!(self, Response::Error(_))
    }
}

/// The name admission errors give an object: its name, or its generateName before the
/// registry has generated one (admission.extractResourceName).
pub fn admission_name(m: &crate::api::meta::ObjectMeta) -> &str {
    if m.name.is_empty() {
        &m.generate_name
    } else {
        &m.name
    }
}

/// The group-qualified resource as API errors print it (`deployments.apps`).
pub fn qualified_resource(kind: &Kind) -> String {
    let group = kind.group();
    if group.is_empty() {
        kind.resource()
    } else {
        format!("{}.{group}", kind.resource())
    }
}

pub(crate) fn status(code: u16, reason: &'static str, message: String) -> Status {
    Status { code, reason, message, cause: None, cause_message: None }
}

pub fn not_found(key: &ObjectKey) -> Status {
    status(404, "NotFound", format!("{} {:?} not found", qualified_resource(&key.kind), key.name))
}

fn store_error(e: StoreError, key: &ObjectKey) -> Status {
    let res = qualified_resource(&key.kind);
    match e {
        StoreError::AlreadyExists => status(409, "AlreadyExists", format!("{res} {:?} already exists", key.name)),
        StoreError::NotFound => not_found(key),
        StoreError::Conflict => status(
            409,
            "Conflict",
            format!(
                "Operation cannot be fulfilled on {res} {:?}: the object has been modified; please apply your changes to the latest version and try again",
                key.name
            ),
        ),
        StoreError::Gone { compacted } => status(410, "Expired", format!("The resourceVersion for the provided watch is too old (compacted at {compacted})")),
    }
}

/// `Deployment.apps "x" is invalid: [a, b]` as the apiserver phrases a validation
/// failure (errors.NewInvalid with the group-qualified kind).
pub fn invalid(kind: &Kind, name: &str, errs: &[FieldErr]) -> Status {
    let list: Vec<String> = errs.iter().map(|e| e.to_string()).collect();
    let body = if list.len() == 1 { list[0].clone() } else { format!("[{}]", list.join(", ")) };
    let group = qualified_resource(kind).split_once('.').map(|(_, g)| format!(".{g}")).unwrap_or_default();
    status(422, "Invalid", format!("{}{group} {:?} is invalid: {body}", kind.name(), name))
}

/// An allocator's refusal as the apiserver answers it: 422 with the field errors, or 500
/// for an internal error (a full range).
fn refusal(kind: &Kind, name: &str, r: service_alloc::Refusal) -> ApiErr {
    match r {
        service_alloc::Refusal::Invalid(errs) => ApiErr::Status(invalid(kind, name, &errs)),
        service_alloc::Refusal::Internal(m) => ApiErr::Status(status(500, "InternalError", format!("Internal error occurred: {m}"))),
    }
}

/// Pod specs as defaulting gave them back, by the address of the spec given (the
/// template's, which pods stamped from it share). An entry keeps its input alive, so the
/// address cannot be reused while it is there; once nothing else holds the input (its
/// template was replaced or its owner deleted: no pod can come with that address again)
/// the entry is dropped — at the next insert after the table has doubled, so it stays
/// within twice the templates alive, not one an owner ever created (`ksim replay` creates
/// a Job, and so a template, a task). Order-free: looked up by address, pruned by count.
#[derive(Default)]
struct DefaultedSpecs {
    map: BTreeMap<usize, (Rc<PodSpec>, Rc<PodSpec>)>,
    prune_at: usize,
}

impl DefaultedSpecs {
    fn insert(&mut self, key: usize, input: Rc<PodSpec>, output: Rc<PodSpec>) {
        if self.map.len() >= self.prune_at {
            // The entry's own hold on its input: once, or twice when defaulting changed
            // nothing (the output is the input).
            self.map.retain(|_, (i, o)| Rc::strong_count(i) > 1 + usize::from(Rc::ptr_eq(i, o)));
            self.prune_at = (2 * self.map.len()).max(64);
        }
        self.map.insert(key, (input, output));
    }

    fn clear(&mut self) {
        self.map.clear();
    }
}

pub struct ApiServer {
    pub store: Store,
    rng: ChaCha8Rng,
    /// Defaulting is a pure function of the pod spec: pods stamped from one template
    /// share one defaulted spec.
    defaulted_specs: DefaultedSpecs,
    /// Events expire with the etcd lease their last write was attached to (--event-ttl
    /// and the lease manager, see `event_lease`). Every Event write, by lease, in the
    /// order the leases run out (leases are granted in time order and each ends no
    /// earlier than the one before). At expiry an Event is deleted only if a write
    /// attached to that lease is still its latest (`LeaseWrites`). A lease's writes are
    /// kept as the store's compact form finds them (`etcd::Attached`: what the store
    /// keeps of an involved object, shared with the object's Events, once for its
    /// Events written one after another) rather than copies of their namespaces and
    /// names, which were 5 % of the density bench's heap, or the written objects, which
    /// would keep every Event whole for the hour. 8 bytes an entry, as a lease's lists
    /// are trimmed to their length when the next lease is granted.
    event_expiry: std::collections::VecDeque<LeaseWrites>,
    /// The lease the last Event write was attached to (the lease manager's prevLease).
    event_lease: Option<EventLease>,
    /// Ends of the leases granted since the simulation last took them (it sets a timer
    /// for each).
    pub granted_leases: Vec<SimTime>,
    /// --event-ttl (`spec.cluster.apiServer.eventTTL`; `EVENT_TTL` by default).
    pub event_ttl: crate::engine::SimDuration,
    /// The Service registry's ClusterIP and NodePort allocators.
    pub services: service_alloc::Allocators,
    /// The ownerReferences of the last object created with some: an object created with
    /// equal ones (the next pod of a ReplicaSet's burst) shares that list.
    last_owners: crate::api::meta::OwnerRefs,
}

/// kube-apiserver's --event-ttl default.
pub const EVENT_TTL: crate::engine::SimDuration = crate::engine::SimDuration::from_secs(3600);

/// The result of one request: the response and the writes it made (for watches).
pub struct Outcome {
    pub response: Response,
    pub writes: Vec<Rc<WatchEvent>>,
}

impl ApiServer {
    pub fn new(rng: ChaCha8Rng, limits: HistoryLimits) -> Self {
        ApiServer {
            store: Store::new(limits),
            rng,
            defaulted_specs: DefaultedSpecs::default(),
            event_expiry: std::collections::VecDeque::new(),
            event_lease: None,
            granted_leases: Vec::new(),
            event_ttl: EVENT_TTL,
            last_owners: Default::default(),
            services: service_alloc::Allocators::new(
                crate::network::ipam::Cidr::parse(service_alloc::DEFAULT_SERVICE_CIDR).expect("the default service CIDR parses"),
                rand_chacha::rand_core::SeedableRng::seed_from_u64(0),
            ),
        }
    }

    /// The service CIDR (--service-cluster-ip-range) and the allocators' random stream.
    pub fn set_service_cidr(&mut self, cidr: crate::network::ipam::Cidr, rng: ChaCha8Rng) {
        self.services = service_alloc::Allocators::new(cidr, rng);
    }

    /// The end of the lease an Event written now is attached to (GetLease). Reused when
    /// still valid (it ends after now + TTL), sufficient (it ends no later than now plus
    /// the TTL and the reuse window) and not full; otherwise a new lease of the TTL and
    /// the window. Simulated time counts in milliseconds: a write in the same
    /// millisecond as the grant counts as after it (upstream's clock has always moved on
    /// by then), so `sufficient` admits equality.
    fn event_lease(&mut self, now: SimTime) -> SimTime {
        let ttl = self.event_ttl;
        // int64(0.05 * float64(ttl)) in whole seconds of the TTL, capped at 60 s.
        let reuse = SimDuration::from_secs(((0.05 * (ttl.as_ms() / 1000) as f64) as u64).min(LEASE_REUSE_SECONDS));
        if let Some(l) = &mut self.event_lease {
            l.attached += 1;
            let valid = now + ttl < l.expires;
            let sufficient = now + ttl + reuse >= l.expires;
            if valid && sufficient && l.attached <= LEASE_MAX_OBJECTS {
                return l.expires;
            }
        }
        let expires = now + ttl + reuse;
        self.event_lease = Some(EventLease { expires, attached: 1 });
        self.granted_leases.push(expires);
        expires
    }

    /// Deletes the Events whose lease has run out, returning the writes. The simulation
    /// calls this when each lease ends (etcd's lessor revokes an expired lease within
    /// half a second; ksim at once), so an Event lives its TTL and up to the reuse
    /// window more — a minute at the default TTL of an hour.
    pub fn expire_events(&mut self, now: SimTime) -> Vec<Rc<WatchEvent>> {
        let mut due = Vec::new();
        while self.event_expiry.front().is_some_and(|l| l.end <= now) {
            let lease = self.event_expiry.pop_front().expect("front");
            for (ns, name) in self.store.events_latest_in(&lease.events, &lease.revisions) {
                due.push((lease.end, ns, name));
            }
        }
        // Deleted in the order of their expiry, then namespace and name; once each.
        due.sort();
        due.dedup();
        let mut out = Vec::new();
        for (_, ns, name) in due {
            if let Ok(ev) = self.store.delete(&ObjectKey::new(Kind::Event, &ns, &name), None, now) {
                out.push(ev);
            }
        }
        out
    }

    /// A random RFC 4122 version-4 UID from the seed.
    pub fn new_uid(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let mut out = String::with_capacity(36);
        for (i, x) in b.iter().enumerate() {
            if matches!(i, 4 | 6 | 8 | 10) {
                out.push('-');
            }
            out.push(HEX[usize::from(x >> 4)] as char);
            out.push(HEX[usize::from(x & 0xf)] as char);
        }
        out
    }

    /// Names `m` from its generateName as SimpleNameGenerator does (pkg/api/generate.go,
    /// storage/names): the base cut to maxGeneratedNameLength (63 − 5 bytes; at a
    /// character's boundary, where Go cuts bytes) and a random suffix of 5. Gives back
    /// the name it had.
    fn generate_name(&mut self, m: &mut crate::api::meta::ObjectMeta) -> String {
        const MAX_GENERATED_NAME_LENGTH: usize = 63 - 5;
        let base = &m.generate_name;
        let mut end = base.len().min(MAX_GENERATED_NAME_LENGTH);
        while !base.is_char_boundary(end) {
            end -= 1;
        }
        let mut suffix = [0u8; 5];
        self.random_suffix_into(&mut suffix);
        let name = crate::api::meta::Text::concat(&[&base[..end], std::str::from_utf8(&suffix).expect("ASCII")]);
        std::mem::replace(&mut m.name, name).to_string()
    }

    /// utilrand.String(len(out)) into `out`: the generateName suffix alphabet (no
    /// vowels, no 0/1/3), one character a byte.
    fn random_suffix_into(&mut self, out: &mut [u8]) {
        const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        for c in out {
            *c = ALPHANUMS[(self.rng.next_u32() as usize) % ALPHANUMS.len()];
        }
    }

    pub fn handle(&mut self, req: Request, now: SimTime) -> Outcome {
        let mut writes = Vec::new();
        // The request's key, for its errors and a lookup, made only where a request
        // needs it before the request is taken apart: a create's, an update's, a
        // delete's and a bind's errors are keyed where they arise (`keyed`), so the
        // writes that make up most requests (creations, status updates, bindings,
        // deletions) make no key (two strings copied and freed again).
        let key = match &req {
            Request::Create(_) | Request::Update(_) | Request::UpdateStatus(_) | Request::Delete { .. } | Request::Bind(_) => None,
            _ => Some(req.key()),
        };
        let priority_class = |kind: &Kind| matches!(kind, Kind::Other(gk) if gk.1 == "PriorityClass");
        let writes_priority_classes = match &req {
            Request::Create(o) | Request::Update(o) | Request::UpdateStatus(o) => priority_class(&o.kind()),
            Request::Delete { key, .. } => priority_class(&key.kind),
            _ => key.as_ref().is_some_and(|k| priority_class(&k.kind)),
        };
        let response = match req {
            // Reached only when no metrics-server is installed (the simulation answers
            // for it otherwise): no APIService serves metrics.k8s.io.
            Request::PodMetrics { .. } => {
                Err(ApiErr::Status(status(404, "NotFound", "the server could not find the requested resource (get pods.metrics.k8s.io)".into())))
            }
            Request::Create(obj) => self.create(obj, now, &mut writes),
            Request::PatchEvent(obj) => match (key.as_ref().and_then(|k| self.store.get(k)).and_then(|o| o.as_event()).cloned(), obj) {
                (Some(mut cur), Object::Event(e)) => {
                    cur.count = e.count;
                    cur.last_timestamp = e.last_timestamp;
                    cur.message = e.message;
                    cur.metadata.resource_version.0 = 0;
                    self.update(Object::Event(Box::new(cur)), now, false, &mut writes)
                }
                (_, obj) => self.create(obj, now, &mut writes),
            },
            Request::Update(obj) => self.update(obj, now, false, &mut writes),
            Request::UpdateStatus(obj) => self.update(obj, now, true, &mut writes),
            Request::Delete { key, grace_period_seconds, uid } => self.delete(&key, grace_period_seconds, uid, now, &mut writes).map_err(|e| keyed(e, &key)),
            Request::Bind(b) => {
                let Binding { namespace, name, uid, node } = *b;
                self.bind(&namespace, &name, &uid, &node, now, &mut writes).map_err(|e| keyed(e, &ObjectKey::new(Kind::Pod, &namespace, &name)))
            }
            Request::List(kind) => Ok(Response::list(self.store.list(&kind).cloned().collect(), self.store.revision())),
            Request::Get(key) => match self.store.get(&key) {
                Some(o) => Ok(Response::Object(o.clone())),
                None => Err(ApiErr::Store(StoreError::NotFound)),
            },
            Request::Scale { key, replicas } => self.scale(&key, replicas, now, &mut writes),
            Request::DeleteNamespaceContent(ns) => self.delete_namespace_content(&ns, now, &mut writes),
            Request::Evict(e) => self.evict(&e.namespace, &e.name, e.grace_period_seconds, now, &mut writes),
            Request::Patch { key, patch } => match self.store.get(&key).cloned() {
                None => Err(ApiErr::Store(StoreError::NotFound)),
                Some(cur) => match merge_patch(&cur, &patch) {
                    Ok(merged) => self.update(merged, now, false, &mut writes),
                    Err(e) => Err(ApiErr::Status(status(422, "Invalid", e))),
                },
            },
            Request::JsonPatch { key, replace } => match self.store.get(&key).cloned() {
                None => Err(ApiErr::Store(StoreError::NotFound)),
                Some(cur) => match json_patch_replace(&cur, &replace) {
                    Ok(patched) => self.update(patched, now, false, &mut writes),
                    Err(e) => Err(ApiErr::Status(status(422, "Invalid", e))),
                },
            },
            Request::Apply(obj) => match key.as_ref().and_then(|k| self.store.get(k)).cloned() {
                None => self.create(obj, now, &mut writes),
                Some(cur) => match apply_patch(&cur, &obj) {
                    Ok(merged) => self.update(merged, now, false, &mut writes),
                    Err(e) => Err(ApiErr::Status(status(422, "Invalid", e))),
                },
            },
        };
        if !writes.is_empty() && writes_priority_classes {
            self.defaulted_specs.clear();
        }
        for w in &writes {
            if matches!(&*w.object, Object::Event(_)) && w.type_ != crate::etcd::WatchEventType::Deleted {
                let expires = self.event_lease(now);
                if self.event_expiry.back().is_none_or(|l| l.end != expires) {
                    // The lease before is granted no more writes.
                    if let Some(l) = self.event_expiry.back_mut() {
                        l.events.shrink_to_fit();
                    }
                    self.event_expiry.push_back(LeaseWrites { end: expires, revisions: w.revision..=w.revision, events: Default::default() });
                }
                let l = self.event_expiry.back_mut().expect("the lease's writes");
                l.revisions = *l.revisions.start()..=w.revision;
                self.store.attach_event(&w.object, &mut l.events);
            }
        }
        let response = response.unwrap_or_else(|e| {
            Response::Error(Box::new(match (e, &key) {
                (ApiErr::Store(se), Some(key)) => store_error(se, key),
                // (Not reached: the requests without a key here keyed their errors.)
                (ApiErr::Store(se), None) => status(500, "InternalError", format!("Internal error occurred: {se:?}")),
                (ApiErr::Status(s), _) => s,
            }))
        });
        Outcome { response, writes }
    }

    fn create(&mut self, mut obj: Object, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let kind = obj.kind();
        // The store's errors name the object as the request did (`Request::key`: a
        // generateName object's name is empty).
        let named = !obj.meta().name.is_empty();
        let keyed_as_requested = |e: StoreError, obj: &Object| {
            keyed(ApiErr::Store(e), &ObjectKey::new(kind.clone(), &obj.meta().namespace, if named { &obj.meta().name } else { "" }))
        };
        {
            let m = obj.meta_mut();
            if kind.namespaced() && m.namespace.is_empty() {
                m.namespace = "default".into();
            }
            if !kind.namespaced() {
                m.namespace.clear();
            }
            // A create never carries a resourceVersion (the apiserver rejects one; ksim clears it).
            m.resource_version.0 = 0;
        }
        // PrepareForCreate: the status of a new pod, ReplicaSet or Deployment is the
        // apiserver's to set, not the client's.
        match &mut obj {
            Object::Pod(p) => p.status = Default::default(),
            Object::ReplicaSet(r) => r.status = Default::default(),
            Object::Deployment(d) => d.status = Default::default(),
            Object::PodDisruptionBudget(p) => p.status = Default::default(),
            Object::DaemonSet(d) => d.status = Default::default(),
            Object::ReplicationController(r) => r.status = Default::default(),
            Object::Service(s) => s.status = None,
            Object::Ingress(i) => i.status = None,
            Object::ResourceQuota(q) => q.status = Default::default(),
            Object::HorizontalPodAutoscaler(h) => h.status = Default::default(),
            Object::Job(j) => j.status = Default::default(),
            Object::StatefulSet(s) => s.status = Default::default(),
            Object::CronJob(c) => c.status = Default::default(),
            // persistentvolumeStrategy.PrepareForCreate: Pending since now; a claim's
            // status is the PV controller's to write.
            Object::PersistentVolume(v) => {
                v.status = Default::default();
                v.status.phase = "Pending".into();
                v.status.last_phase_transition_time = Some(Time(now));
            }
            Object::PersistentVolumeClaim(c) => c.status = Default::default(),
            // volumeAttachmentStrategy.PrepareForCreate: the attacher writes the status.
            Object::VolumeAttachment(a) => a.status = Default::default(),
            _ => {}
        }
        // Defaulting and mutating admission (Priority) see the object before the registry
        // generates its name (BeforeCreate), as admission errors show: `pods "web-" is
        // forbidden` for a generateName pod (admission.extractResourceName).
        self.default_shared(&mut obj)?;
        self.admit_default_ingress_class(&mut obj);
        self.admit_storage(&mut obj);
        self.admit_limit_ranger(&mut obj);
        defaults::prepare_for_create(&mut obj);
        let ns = obj.meta().namespace.as_str();
        if kind.namespaced() {
            match self.store.get_parts(&Kind::Namespace, "", ns) {
                None => return Err(ApiErr::Status(not_found(&ObjectKey::new(Kind::Namespace, "", ns)))),
                Some(n) if n.meta().rare.deletion_timestamp.is_some() && kind != Kind::Event => {
                    let mut st = status(
                        403,
                        "Forbidden",
                        format!(
                            "{} {:?} is forbidden: unable to create new content in namespace {ns} because it is being terminated",
                            qualified_resource(&kind),
                            admission_name(obj.meta())
                        ),
                    );
                    st.cause = Some(NAMESPACE_TERMINATING_CAUSE);
                    return Err(ApiErr::Status(st));
                }
                Some(_) => {}
            }
        }
        if obj.meta().name.is_empty() && !obj.meta().generate_name.is_empty() {
            self.generate_name(obj.meta_mut());
        }
        // FillObjectMetaSystemFields precedes the strategy's PrepareForCreate upstream; ksim
        // draws a uid before validation only for Jobs, whose generated selector needs it
        // (other kinds keep their uid sequence when a create is refused).
        let early_uid = if let Object::Job(job) = &mut obj {
            job.metadata.uid = self.new_uid().into();
            defaults::generate_job_selector(job);
            Some(job.metadata.uid.clone())
        } else {
            None
        };
        let errs = validate(&obj);
        if !errs.is_empty() {
            return Err(ApiErr::Status(invalid(&kind, &obj.meta().name, &errs)));
        }
        // Validating admission: LimitRanger, then ResourceQuota (which charges the quotas
        // it counts the object against: their status updates precede the object's write).
        // It runs after the registry has named the object, and its errors name it so
        // (rest.AdmissionToValidateObjectFunc: "in case the generated name is populated").
        // (The label is formatted only for an error: every create went through it.)
        let name = &obj.meta().name;
        let forbidden = |why: String| ApiErr::Status(status(403, "Forbidden", format!("{} {name:?} is forbidden: {why}", qualified_resource(&kind))));
        let limit_errs = self.limit_ranger_errors(&obj);
        if !limit_errs.is_empty() {
            return Err(forbidden(limit_ranger::aggregate(&limit_errs)));
        }
        let charged = if resource_quota::counted(&kind) {
            let ns = &obj.meta().namespace;
            let quotas: Vec<&crate::api::resource_quota::ResourceQuota> =
                self.store.list(&Kind::ResourceQuota).filter_map(|o| o.as_resource_quota()).filter(|q| q.metadata.namespace == *ns).collect();
            if quotas.is_empty() {
                Vec::new()
            } else {
                resource_quota::admit(&obj, &quotas, now).map_err(forbidden)?
            }
        } else {
            Vec::new()
        };
        let uid = early_uid.unwrap_or_else(|| self.new_uid().into());
        let m = obj.meta_mut();
        m.uid = uid;
        if !m.owner_references.is_empty() {
            if m.owner_references == self.last_owners {
                m.owner_references = self.last_owners.clone();
            } else {
                self.last_owners = m.owner_references.clone();
            }
        }
        m.creation_timestamp = Some(Time(now));
        if let Some(r) = m.rare.existing() {
            r.deletion_timestamp = None;
        }
        if matches!(
            kind,
            Kind::Deployment
                | Kind::ReplicaSet
                | Kind::PodDisruptionBudget
                | Kind::DaemonSet
                | Kind::ReplicationController
                | Kind::Job
                | Kind::CronJob
                | Kind::StatefulSet
        ) {
            m.rare.generation = 1;
        }
        obj.set_type_meta();
        // The Service registry's BeginCreate: ClusterIPs and NodePorts, released again if
        // the write fails (the allocation transaction's revert).
        if let Object::Service(svc) = &mut obj {
            self.services.allocate_create(svc).map_err(|r| refusal(&kind, &svc.metadata.name, r))?;
        }
        let allocated = if let Object::Service(svc) = &obj { Some((**svc).clone()) } else { None };
        // The quotas charged (a Service's are only once its addresses are allocated, as
        // BeginCreate precedes admission upstream).
        for q in charged {
            match self.store.update(Object::ResourceQuota(Box::new(q)), now) {
                Ok(ev) => writes.push(ev),
                Err(e) => {
                    if let Some(svc) = allocated {
                        self.services.release(&svc);
                    }
                    return Err(keyed_as_requested(e, &obj));
                }
            }
        }
        // RetryGenerateName (GA in 1.32; store.go createWithGenerateNameRetry): a
        // generated name that is taken is drawn again, up to
        // maxNameGenerationCreateAttempts in all; the last refusal is
        // CheckGeneratedNameError's (NewGenerateNameConflict, for any object with a
        // generateName). Upstream runs each attempt's create whole — a new uid, the
        // strategy's PrepareForCreate (a Job's name labels), validating admission (a
        // quota charged again), BeginCreate (a Service's addresses released and drawn
        // again) —, mutating admission once; ksim draws the name again and writes it
        // where PrepareForCreate did (`defaults::job_renamed`), keeping the uid, the
        // quota charged once and the Service's addresses (its allocators know no names).
        let generated = !named && !obj.meta().generate_name.is_empty();
        let mut attempts = 1;
        let ev = loop {
            match self.store.create_or_refused(obj, now) {
                Ok(ev) => break ev,
                Err(back) if generated && attempts < MAX_NAME_GENERATION_CREATE_ATTEMPTS => {
                    attempts += 1;
                    // (The store gives back its only reference.)
                    obj = Rc::unwrap_or_clone(back);
                    let taken = self.generate_name(obj.meta_mut());
                    if let Object::Job(job) = &mut obj {
                        defaults::job_renamed(job, &taken);
                    }
                }
                Err(back) => {
                    if let Some(svc) = allocated {
                        self.services.release(&svc);
                    }
                    if !back.meta().generate_name.is_empty() {
                        let message = format!(
                            "{} {:?} already exists, the server was not able to generate a unique name for the object",
                            qualified_resource(&kind),
                            back.meta().name
                        );
                        return Err(ApiErr::Status(status(409, "AlreadyExists", message)));
                    }
                    return Err(keyed_as_requested(StoreError::AlreadyExists, &back));
                }
            }
        };
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }

    /// The namespace's LimitRanges, by name (upstream: lister order).
    fn limit_ranges(&self, ns: &str) -> Vec<&crate::api::limit_range::LimitRange> {
        self.store.list(&Kind::LimitRange).filter_map(|o| o.as_limit_range()).filter(|l| l.metadata.namespace == ns).collect()
    }

    /// LimitRanger's Admit for a new pod (then its QoS class again, which the pod
    /// strategy's PrepareForCreate computes after mutating admission).
    fn admit_limit_ranger(&self, obj: &mut Object) {
        let Object::Pod(p) = obj else { return };
        let ranges = self.limit_ranges(&p.metadata.namespace);
        if ranges.is_empty() {
            return;
        }
        if limit_ranger::admit(p, &ranges) {
            p.status.qos_class = defaults::qos_class(&p.spec).into();
        }
    }

    /// LimitRanger's Validate for a new pod or claim.
    fn limit_ranger_errors(&self, obj: &Object) -> Vec<String> {
        match obj {
            Object::Pod(p) => limit_ranger::validate(p, &self.limit_ranges(&p.metadata.namespace)),
            Object::PersistentVolumeClaim(c) => limit_ranger::validate_claim(c, &self.limit_ranges(&c.metadata.namespace)),
            _ => Vec::new(),
        }
    }

    /// `defaults::apply` and the Priority admission plugin, reusing the result for an
    /// identical template (the memo is cleared whenever a PriorityClass changes).
    fn default_shared(&mut self, obj: &mut Object) -> Result<(), ApiErr> {
        if let Object::Pod(p) = obj {
            let key = Rc::as_ptr(&p.spec) as usize;
            if let Some((_, out)) = self.defaulted_specs.map.get(&key) {
                p.spec = out.clone();
                defaults::apply(obj);
                return Ok(());
            }
            let shared = Rc::strong_count(&p.spec) > 1;
            let input = p.spec.clone();
            defaults::apply(obj);
            self.admit_priority(obj)?;
            if let (Object::Pod(p), true) = (&*obj, shared) {
                self.defaulted_specs.insert(key, input, p.spec.clone());
            }
            return Ok(());
        }
        defaults::apply(obj);
        Ok(())
    }

    /// The DefaultIngressClass admission plugin (plugin/pkg/admission/network/
    /// defaultingressclass, on create): an Ingress with neither spec.ingressClassName nor
    /// the legacy annotation gets the default IngressClass — of several, the newest
    /// (then the smallest name), as getDefaultClass chooses since v1.25.
    fn admit_default_ingress_class(&self, obj: &mut Object) {
        let Object::Ingress(ing) = obj else { return };
        if ing.spec.ingress_class_name.is_some() || ing.metadata.annotations.contains_key(crate::api::ingress::ANNOTATION_INGRESS_CLASS) {
            return;
        }
        let mut defaults: Vec<&crate::api::ingress::IngressClass> =
            self.store.list(&Kind::IngressClass).filter_map(|o| o.as_ingress_class()).filter(|c| c.is_default()).collect();
        defaults.sort_by(|a, b| b.metadata.creation_timestamp.cmp(&a.metadata.creation_timestamp).then_with(|| a.metadata.name.cmp(&b.metadata.name)));
        if let Some(c) = defaults.first() {
            ing.spec.ingress_class_name = Some(c.metadata.name.to_string());
        }
    }

    /// The DefaultStorageClass admission plugin (plugin/pkg/admission/storage/
    /// storageclass/setdefault, on create): a claim that names no class (neither
    /// spec.storageClassName nor the beta annotation; `""` is a choice) gets the default
    /// class, the newest of several (GetDefaultClass). Then StorageObjectInUseProtection
    /// (storageobjectinuseprotection): the pvc-protection and pv-protection finalizers.
    fn admit_storage(&self, obj: &mut Object) {
        use crate::api::storage::{default_class, PVC_PROTECTION_FINALIZER, PV_PROTECTION_FINALIZER};
        match obj {
            Object::PersistentVolumeClaim(c) => {
                if !c.has_class() {
                    if let Some(d) = default_class(self.store.list(&Kind::StorageClass).filter_map(|o| o.as_storage_class())) {
                        c.spec.storage_class_name = Some(d.metadata.name.to_string());
                    }
                }
                if !c.metadata.finalizers().iter().any(|f| f == PVC_PROTECTION_FINALIZER) {
                    c.metadata.finalizers_mut().push(PVC_PROTECTION_FINALIZER.into());
                }
            }
            Object::PersistentVolume(v) if !v.metadata.finalizers().iter().any(|f| f == PV_PROTECTION_FINALIZER) => {
                v.metadata.finalizers_mut().push(PV_PROTECTION_FINALIZER.into());
            }
            _ => {}
        }
    }

    /// The PersistentVolumeClaimResize admission plugin (plugin/pkg/admission/storage/
    /// persistentvolume/resize): a larger request only for a Bound claim whose class
    /// allows expansion. (An accepted expansion is not carried out: ksim models no
    /// resizer.)
    fn admit_pvc_resize(&self, cur: &Object, new: &Object) -> Result<(), ApiErr> {
        let (Object::PersistentVolumeClaim(a), Object::PersistentVolumeClaim(b)) = (cur, new) else { return Ok(()) };
        let grows = matches!((a.request(), b.request()), (Some(x), Some(y)) if y > x);
        if !grows {
            return Ok(());
        }
        let forbidden = |msg: &str| ApiErr::Status(status(403, "Forbidden", format!("persistentvolumeclaims {:?} is forbidden: {msg}", b.metadata.name)));
        if a.status.phase != "Bound" {
            return Err(forbidden("Only bound persistent volume claims can be expanded"));
        }
        let expandable =
            self.store.get_parts(&Kind::StorageClass, "", a.class()).and_then(|o| o.as_storage_class()).is_some_and(|c| c.allow_volume_expansion == Some(true));
        if !expandable {
            return Err(forbidden("only dynamically provisioned pvc can be resized and the storageclass that provisions the pvc must support resize"));
        }
        Ok(())
    }

    /// The Priority admission plugin (plugin/pkg/admission/priority): the pod's
    /// priority and preemption policy come from its PriorityClass, or from the global
    /// default class (the lowest-valued one if several), or are 0.
    fn admit_priority(&self, obj: &mut Object) -> Result<(), ApiErr> {
        use crate::api::scheduling::{PriorityClass, SYSTEM_CLASSES};
        let Object::Pod(p) = obj else { return Ok(()) };
        let class_kind = Kind::other("scheduling.k8s.io".into(), "PriorityClass".into());
        let forbidden = |p: &crate::api::pod::Pod, msg: String| {
            ApiErr::Status(status(403, "Forbidden", format!("pods {:?} is forbidden: {msg}", admission_name(&p.metadata))))
        };
        let (name, value, policy) = if p.spec.priority_class_name.is_empty() {
            let default = self.store.list(&class_kind).filter_map(|o| PriorityClass::from_object(o)).filter(|c| c.global_default).min_by_key(|c| c.value);
            match default {
                Some(c) => (c.metadata.name.to_string(), c.value, Some(c.preemption_policy().to_string())),
                None => (String::new(), 0, None),
            }
        } else if let Some(&(n, v)) = SYSTEM_CLASSES.iter().find(|(n, _)| *n == p.spec.priority_class_name) {
            (n.to_string(), v, Some("PreemptLowerPriority".to_string()))
        } else {
            match self.store.get_parts(&class_kind, "", &p.spec.priority_class_name).and_then(|o| PriorityClass::from_object(o)) {
                Some(c) => (c.metadata.name.to_string(), c.value, Some(c.preemption_policy().to_string())),
                None => return Err(forbidden(p, format!("no PriorityClass with name {} was found", p.spec.priority_class_name))),
            }
        };
        if let Some(given) = p.spec.priority {
            if given != value {
                return Err(forbidden(
                    p,
                    format!("the integer value of priority ({given}) must not be provided in pod spec; priority admission controller computed {value} from the given PriorityClass name"),
                ));
            }
        }
        if let (Some(given), Some(computed)) = (&p.spec.preemption_policy, &policy) {
            if given != computed {
                return Err(forbidden(
                    p,
                    format!("the string value of PreemptionPolicy ({given}) must not be provided in pod spec; priority admission controller computed {computed} from the given PriorityClass name"),
                ));
            }
        }
        let policy = policy.or_else(|| p.spec.preemption_policy.clone()).unwrap_or_else(|| "PreemptLowerPriority".to_string());
        if p.spec.priority != Some(value) || p.spec.priority_class_name != name || p.spec.preemption_policy.as_deref() != Some(policy.as_str()) {
            let spec = Rc::make_mut(&mut p.spec);
            spec.priority = Some(value);
            spec.priority_class_name = name;
            spec.preemption_policy = Some(policy);
        }
        Ok(())
    }

    /// (Its errors are keyed: `handle` makes no key for an update.)
    fn update(&mut self, mut obj: Object, now: SimTime, status_only: bool, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let kind = obj.kind();
        let found = self.store.get_parts(&kind, &obj.meta().namespace, &obj.meta().name).cloned();
        let cur = found.ok_or_else(|| keyed(ApiErr::Store(StoreError::NotFound), &obj.key()))?;
        let want = obj.meta().resource_version.0;
        if want != 0 && want != cur.meta().resource_version.0 {
            return Err(keyed(ApiErr::Store(StoreError::Conflict), &obj.key()));
        }
        if status_only {
            obj = defaults::take_status(&cur, obj);
            // persistentvolumeStatusStrategy.PrepareForUpdate: a new phase is stamped
            // with the time it began, unless the writer gave one.
            if let (Object::PersistentVolume(old), Object::PersistentVolume(v)) = (&*cur, &mut obj) {
                if old.status.phase != v.status.phase
                    && (v.status.last_phase_transition_time.is_none() || v.status.last_phase_transition_time == old.status.last_phase_transition_time)
                {
                    v.status.last_phase_transition_time = Some(Time(now));
                }
            }
        } else {
            defaults::apply(&mut obj);
            defaults::prepare_for_update(&cur, &mut obj);
            defaults::set_status_of(&mut obj, &cur);
            let mut errs = validate(&obj);
            errs.extend(crate::api::validation::validate_update(&cur, &obj));
            if !errs.is_empty() {
                return Err(ApiErr::Status(invalid(&kind, &cur.meta().name, &errs)));
            }
            self.admit_pvc_resize(&cur, &obj)?;
            // The Service registry's BeginUpdate (allocateUpdate).
            if let (Object::Service(old), Object::Service(svc)) = (&*cur, &mut obj) {
                self.services.allocate_update(old, svc).map_err(|r| refusal(&kind, &old.metadata.name, r))?;
            }
        }
        // Immutable metadata stays as stored.
        let bump = !status_only && defaults::spec_changed(&cur, &obj);
        {
            let (cm, m) = (cur.meta(), obj.meta_mut());
            m.uid.clone_from(&cm.uid);
            m.creation_timestamp = cm.creation_timestamp;
            // (Written only where they differ: a write makes the rare fields' box.)
            let generation = cm.rare.generation + i64::from(bump);
            if m.rare.generation != generation {
                m.rare.generation = generation;
            }
            let (dt, dg) = (cm.rare.deletion_timestamp, cm.rare.deletion_grace_period_seconds);
            if m.rare.deletion_timestamp.is_none() && (dt.is_some() || m.rare.deletion_grace_period_seconds != dg) {
                m.rare.deletion_timestamp = dt;
                m.rare.deletion_grace_period_seconds = dg;
            }
            m.resource_version = cm.resource_version;
        }
        obj.set_type_meta();
        if !differs_past_metadata(&obj, &cur) && obj == *cur {
            // A no-op write does not bump the revision (as with etcd3 GuaranteedUpdate).
            return Ok(Response::Object(cur));
        }
        // The registry's deleteWithoutFinalizers: an object being deleted goes once its
        // last finalizer is removed (finalizers are modelled for volumes and claims, the
        // only objects ksim's components put them on).
        if matches!(obj, Object::PersistentVolume(_) | Object::PersistentVolumeClaim(_))
            && obj.meta().rare.deletion_timestamp.is_some()
            && obj.meta().finalizers().is_empty()
        {
            let key = cur.key();
            let ev = self.store.delete(&key, None, now).map_err(|e| keyed(ApiErr::Store(e), &key))?;
            let out = ev.object.clone();
            writes.push(ev);
            return Ok(Response::Object(out));
        }
        let ev = self.store.update(obj, now).map_err(|e| keyed(ApiErr::Store(e), &cur.key()))?;
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }

    fn scale(&mut self, key: &ObjectKey, replicas: i32, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let cur = self.store.get(key).ok_or(ApiErr::Store(StoreError::NotFound))?;
        let mut obj = (**cur).clone();
        match &mut obj {
            Object::Deployment(d) => d.spec.replicas = Some(replicas),
            Object::ReplicaSet(r) => r.spec.replicas = Some(replicas),
            Object::ReplicationController(r) => r.spec.replicas = Some(replicas),
            Object::StatefulSet(s) => s.spec.replicas = Some(replicas),
            _ => {
                return Err(ApiErr::Status(status(
                    404,
                    "NotFound",
                    format!("the server could not find the requested resource ({} {:?} has no scale subresource)", qualified_resource(&key.kind), key.name),
                )))
            }
        }
        obj.meta_mut().resource_version.0 = 0;
        self.update(obj, now, false, writes)
    }

    pub(crate) fn delete(
        &mut self,
        key: &ObjectKey,
        grace: Option<i64>,
        uid: Option<String>,
        now: SimTime,
        writes: &mut Vec<Rc<WatchEvent>>,
    ) -> Result<Response, ApiErr> {
        let cur = self.store.get(key).ok_or(ApiErr::Store(StoreError::NotFound))?.clone();
        if uid.as_ref().is_some_and(|u| *u != cur.meta().uid) {
            return Err(ApiErr::Status(status(
                409,
                "Conflict",
                format!(
                    "Operation cannot be fulfilled on {} {:?}: Precondition failed: UID in precondition: {}, UID in object meta: {}",
                    qualified_resource(&key.kind),
                    key.name,
                    uid.unwrap_or_default(),
                    cur.meta().uid
                ),
            )));
        }
        if let Object::Namespace(n) = &*cur {
            // The `kubernetes` finalizer: a namespace is Terminating until the namespace
            // controller has emptied it; the delete after that removes it.
            if n.metadata.rare.deletion_timestamp.is_none() {
                let mut nn = n.clone();
                nn.metadata.rare.deletion_timestamp = Some(Time(now));
                nn.status = Some(serde_json::json!({"phase": "Terminating"}));
                let ev = self.store.update(Object::Namespace(nn), now).map_err(ApiErr::Store)?;
                let out = ev.object.clone();
                writes.push(ev);
                return Ok(Response::Object(out));
            }
            let left = self.namespace_content(&n.metadata.name).len();
            if left > 0 {
                return Err(ApiErr::Status(status(409, "Conflict", format!("namespace {:?} still has {left} objects", n.metadata.name))));
            }
        }
        if let Object::Pod(p) = &*cur {
            let grace = grace.or(p.spec.termination_grace_period_seconds).unwrap_or(30).max(0);
            // Graceful deletion applies to pods bound to a node that are not terminal.
            if !p.spec.node_name.is_empty() && grace > 0 && !p.is_terminal() {
                if p.metadata.rare.deletion_timestamp.is_some() {
                    return Ok(Response::Object(cur)); // already terminating
                }
                let mut np = p.clone();
                np.metadata.rare.deletion_timestamp = Some(Time(now + crate::engine::SimDuration::from_secs(grace as u64)));
                np.metadata.rare.deletion_grace_period_seconds = Some(grace);
                let ev = self.store.update(Object::Pod(np), now).map_err(ApiErr::Store)?;
                let out = ev.object.clone();
                writes.push(ev);
                return Ok(Response::Object(out));
            }
        }
        if matches!(&*cur, Object::PersistentVolume(_) | Object::PersistentVolumeClaim(_)) && !cur.meta().finalizers().is_empty() {
            // A finalizer holds the object: the delete only marks it (BeforeDelete's
            // graceful path for objects with finalizers).
            if cur.meta().rare.deletion_timestamp.is_some() {
                return Ok(Response::Object(cur));
            }
            let mut o = (*cur).clone();
            o.meta_mut().rare.deletion_timestamp = Some(Time(now));
            o.meta_mut().rare.deletion_grace_period_seconds = Some(0);
            let ev = self.store.update(o, now).map_err(ApiErr::Store)?;
            let out = ev.object.clone();
            writes.push(ev);
            return Ok(Response::Object(out));
        }
        let ev = self.store.delete(key, None, now).map_err(ApiErr::Store)?;
        if let Object::Service(svc) = &*ev.object {
            // The Service registry's AfterDelete (releaseAllocatedResources).
            self.services.release(svc);
        }
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }

    /// Every object in a namespace.
    fn namespace_content(&self, ns: &str) -> Vec<ObjectKey> {
        let kinds: Vec<Kind> = self.store.kinds().filter(|k| k.namespaced()).cloned().collect();
        kinds.iter().flat_map(|k| self.store.list(k).filter(|o| o.meta().namespace == ns).map(|o| o.key()).collect::<Vec<_>>()).collect()
    }

    fn delete_namespace_content(&mut self, ns: &str, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        for key in self.namespace_content(ns) {
            let terminating = self.store.get(&key).is_some_and(|o| o.meta().rare.deletion_timestamp.is_some());
            if !terminating {
                let _ = self.delete(&key, None, None, now, writes);
            }
        }
        let left: Vec<Rc<Object>> = self.namespace_content(ns).iter().filter_map(|k| self.store.get(k).cloned()).collect();
        Ok(Response::list(left, self.store.revision()))
    }

    fn bind(&mut self, ns: &str, name: &str, uid: &str, node: &Text, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let cur = self.store.get_parts(&Kind::Pod, ns, name).ok_or(ApiErr::Store(StoreError::NotFound))?.clone();
        let Object::Pod(p) = &*cur else { return Err(ApiErr::Store(StoreError::NotFound)) };
        if p.metadata.uid != uid {
            return Err(ApiErr::Store(StoreError::NotFound));
        }
        if !p.spec.node_name.is_empty() {
            return Err(ApiErr::Status(status(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on pods/binding {name:?}: pod {name} is already assigned to node {:?}", p.spec.node_name),
            )));
        }
        if p.metadata.rare.deletion_timestamp.is_some() {
            return Err(ApiErr::Status(status(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on pods/binding {name:?}: pod {name} is being deleted, cannot be assigned to a host"),
            )));
        }
        let mut np = p.clone();
        Rc::make_mut(&mut np.spec).node_name = node.clone();
        np.set_condition("PodScheduled", "True", "", "", Time(now));
        let ev = self.store.update(Object::Pod(np), now).map_err(ApiErr::Store)?;
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }
}

/// kubectl apply as a JSON merge patch (RFC 7386) of the manifest onto the live object:
/// fields the manifest gives replace the live ones (lists whole), fields it omits —
/// `spec.nodeName` set by the scheduler, the status, the uid — are kept.
/// (kubectl's strategic merge also deletes fields removed since the last apply; ksim
/// does not track last-applied-configuration.)
pub fn apply_patch(cur: &Object, manifest: &Object) -> Result<Object, String> {
    let mut patch = manifest.to_json();
    if let Some(m) = patch.get_mut("metadata").and_then(|m| m.as_object_mut()) {
        m.remove("namespace");
    }
    merge_json(cur, &patch, false)
}

/// A JSON merge patch (RFC 7386) onto the live object: objects merge key by key, anything
/// else (lists included) replaces, null removes.
pub fn merge_patch(cur: &Object, patch: &serde_json::Value) -> Result<Object, String> {
    merge_json(cur, patch, true)
}

/// RFC 6902 `replace` operations, as evanphx/json-patch applies them: the location must
/// exist ("replace operation does not apply: doc is missing key: PATH").
pub fn json_patch_replace(cur: &Object, ops: &[(String, serde_json::Value)]) -> Result<Object, String> {
    let mut live = cur.to_json();
    for (path, value) in ops {
        match live.pointer_mut(path) {
            Some(slot) => *slot = value.clone(),
            None => return Err(format!("replace operation does not apply: doc is missing key: {path}")),
        }
    }
    let mut out = decode_as(&cur.kind(), live)?;
    out.meta_mut().resource_version.0 = 0;
    share_unpatched(cur, &mut out);
    Ok(out)
}

/// What a patch decoded from `cur`'s JSON left equal to `cur`'s shared values takes
/// them back (decoded, each was a new copy a version): a Node's nodeInfo,
/// daemonEndpoints, capacity and allocatable.
fn share_unpatched(cur: &Object, out: &mut Object) {
    if let (Object::Node(c), Object::Node(o)) = (cur, out) {
        for (was, new) in [(&c.status.node_info, &mut o.status.node_info), (&c.status.daemon_endpoints, &mut o.status.daemon_endpoints)] {
            if was.is_some() && *was == *new {
                new.clone_from(was);
            }
        }
        for (was, new) in [(&c.status.capacity, &mut o.status.capacity), (&c.status.allocatable, &mut o.status.allocatable)] {
            if *was == *new {
                new.clone_from(was);
            }
        }
    }
}

fn merge_json(cur: &Object, patch: &serde_json::Value, null_removes: bool) -> Result<Object, String> {
    fn merge(target: &mut serde_json::Value, patch: &serde_json::Value, null_removes: bool) {
        match (target, patch) {
            (serde_json::Value::Object(t), serde_json::Value::Object(p)) => {
                for (k, v) in p {
                    if null_removes && v.is_null() {
                        t.remove(k);
                        continue;
                    }
                    match t.get_mut(k) {
                        Some(slot) if v.is_object() && slot.is_object() => merge(slot, v, null_removes),
                        _ => {
                            t.insert(k.clone(), v.clone());
                        }
                    }
                }
            }
            (t, p) => *t = p.clone(),
        }
    }
    let mut live = cur.to_json();
    merge(&mut live, patch, null_removes);
    let mut out = decode_as(&cur.kind(), live)?;
    out.meta_mut().resource_version.0 = 0;
    share_unpatched(cur, &mut out);
    Ok(out)
}

/// serde_json as a `Decoder`.
struct Json(serde_json::Value);

impl crate::api::object::Decoder for Json {
    type Error = String;
    fn decode<T: serde::de::DeserializeOwned>(self) -> Result<T, String> {
        serde_json::from_value(self.0).map_err(|e| e.to_string())
    }
}

/// JSON back into a typed object of `kind`.
fn decode_as(kind: &Kind, v: serde_json::Value) -> Result<Object, String> {
    if let Some(r) = kind.decode(Json(v.clone())) {
        return r;
    }
    let mut map = match v {
        serde_json::Value::Object(m) => m,
        _ => return Err("not an object".into()),
    };
    let api_version = map.remove("apiVersion").and_then(|x| x.as_str().map(String::from)).unwrap_or_default();
    let kind = map.remove("kind").and_then(|x| x.as_str().map(String::from)).unwrap_or_default();
    let metadata = serde_json::from_value(map.remove("metadata").unwrap_or_default()).map_err(|e| e.to_string())?;
    Ok(Object::Unstructured(Box::new(crate::api::object::Unstructured { api_version, kind, metadata, rest: map.into_iter().collect() })))
}

pub(crate) enum ApiErr {
    Store(StoreError),
    Status(Status),
}

/// `e` with a store error put as the apiserver words it about `key`.
fn keyed(e: ApiErr, key: &ObjectKey) -> ApiErr {
    match e {
        ApiErr::Store(se) => ApiErr::Status(store_error(se, key)),
        s => s,
    }
}

/// Whether a write's object differs from the stored one in what the periodic writers
/// change — a Lease's renewTime (the kubelets' renewals, every 10 s a node), a Node's
/// conditions (heartbeats) —, read before `==`, which compares the metadata they share
/// string by string first. True only when `==` would be false; false says nothing.
fn differs_past_metadata(obj: &Object, cur: &Object) -> bool {
    match (obj, cur) {
        (Object::Lease(a), Object::Lease(b)) => a.spec.renew_time != b.spec.renew_time,
        (Object::Node(a), Object::Node(b)) => a.status.conditions != b.status.conditions,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::namespace::Namespace;
    use crate::api::pod::{Container, Pod};
    use crate::engine::RngStreams;

    fn server() -> ApiServer {
        let mut a = ApiServer::new(RngStreams::new(1).stream("apiserver"), HistoryLimits::default());
        let mut ns = Namespace::default();
        ns.metadata.name = "default".into();
        assert!(a.handle(Request::Create(Object::Namespace(Box::new(ns))), SimTime(0)).response.is_ok());
        a
    }

    fn pod(name: &str) -> Object {
        let mut p = Pod::default();
        p.metadata.name = name.into();
        Rc::make_mut(&mut p.spec).containers = Rc::new(vec![Container { name: "c".into(), image: "nginx:1.25".into(), ..Default::default() }]);
        Object::Pod(Box::new(p))
    }

    /// `differs_past_metadata` says "differs" only of objects `==` tells apart: over
    /// Leases and Nodes that differ in one field each (renewTime, holder, metadata,
    /// a condition's heartbeat or status, capacity), and equal copies.
    #[test]
    fn differs_past_metadata_only_when_unequal() {
        use crate::api::meta::Time;
        use crate::api::namespace::Lease;
        use crate::api::node::{Node, NodeCondition};
        let lease = |renew: u64, holder: &str, label: bool| {
            let mut l = Lease::default();
            l.metadata.name = "n1".into();
            l.metadata.namespace = "kube-node-lease".into();
            if label {
                l.metadata.labels.insert("a".into(), "b".into());
            }
            l.spec.holder_identity = Some(holder.into());
            l.spec.renew_time = Some(Time(SimTime(renew)));
            Object::Lease(Box::new(l))
        };
        let node = |hb: u64, status: &str, cpu: &str| {
            let mut n = Node::default();
            n.metadata.name = "n1".into();
            n.status.conditions =
                vec![NodeCondition { type_: "Ready".into(), status: status.into(), last_heartbeat_time: Some(Time(SimTime(hb))), ..Default::default() }];
            n.status.capacity.insert("cpu".into(), cpu.parse().unwrap());
            Object::Node(Box::new(n))
        };
        let objects = [
            lease(10_000, "n1", false),
            lease(20_000, "n1", false),
            lease(10_000, "n2", false),
            lease(10_000, "n1", true),
            node(10_000, "True", "4"),
            node(20_000, "True", "4"),
            node(10_000, "False", "4"),
            node(10_000, "True", "8"),
            pod("p"),
        ];
        let mut told = 0;
        for a in &objects {
            for b in &objects {
                if differs_past_metadata(a, b) {
                    assert!(a != b, "{a:?} and {b:?} are equal");
                    told += 1;
                }
            }
            assert!(!differs_past_metadata(a, &a.clone()), "a copy of {a:?} does not differ");
        }
        // renewTime tells the second lease from the other three (3 pairs); the
        // conditions tell 5 of the 6 pairs of nodes apart (not the two that differ in
        // capacity alone); each pair both ways round.
        assert_eq!(told, 2 * (3 + 5), "the pairs told apart before `==`");
    }

    fn ok(o: Outcome) -> Rc<Object> {
        match o.response {
            Response::Object(o) => o,
            r => panic!("{r:?}"),
        }
    }

    fn err(o: Outcome) -> Status {
        match o.response {
            Response::Error(s) => *s,
            r => panic!("expected an error, got {r:?}"),
        }
    }

    #[test]
    fn create_defaults_and_admission() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(5)));
        let p = p.as_pod().unwrap();
        assert_eq!(p.metadata.namespace, "default");
        assert_eq!(p.metadata.uid.len(), 36);
        assert_eq!(p.spec.restart_policy, "Always");
        assert_eq!(p.spec.containers[0].image_pull_policy, "IfNotPresent");
        assert_eq!(p.status.phase, "Pending");
        assert_eq!(p.status.qos_class, "BestEffort");
        let keys: Vec<&str> = p.spec.tolerations.iter().map(|t| t.key.as_str()).collect();
        assert_eq!(keys, ["node.kubernetes.io/not-ready", "node.kubernetes.io/unreachable"]);
        assert_eq!(err(a.handle(Request::Create(pod("web")), SimTime(6))).message, "pods \"web\" already exists");
        let mut gen = pod("");
        gen.meta_mut().generate_name = "web-".into();
        let g = ok(a.handle(Request::Create(gen), SimTime(7)));
        assert!(g.meta().name.starts_with("web-") && g.meta().name.len() == 9, "{}", g.meta().name);
        let mut other = pod("x");
        other.meta_mut().namespace = "nope".into();
        assert_eq!(err(a.handle(Request::Create(other), SimTime(8))).message, "namespaces \"nope\" not found");
    }

    /// RetryGenerateName (store.go createWithGenerateNameRetry): a generated name that
    /// is taken is drawn again, 8 attempts in all (maxNameGenerationCreateAttempts); then
    /// CheckGeneratedNameError's 409 names the last name drawn. The names a server will
    /// draw are found by taking them one by one in servers of the same seed (written to
    /// their stores directly, which draws nothing).
    #[test]
    fn a_taken_generated_name_is_drawn_again_eight_times_in_all() {
        let generated = || {
            let mut p = pod("");
            p.meta_mut().generate_name = "web-".into();
            p
        };
        let in_default = |name: &str| {
            let mut p = pod(name);
            p.meta_mut().namespace = "default".into();
            p
        };
        let mut taken: Vec<String> = Vec::new();
        for _ in 0..MAX_NAME_GENERATION_CREATE_ATTEMPTS {
            let mut a = server();
            for name in &taken {
                a.store.create(in_default(name), SimTime(1)).unwrap();
            }
            let name = ok(a.handle(Request::Create(generated()), SimTime(2))).meta().name.to_string();
            assert!(name.starts_with("web-") && name.len() == 9 && !taken.contains(&name), "{name} after {taken:?}");
            taken.push(name);
        }
        let mut a = server();
        for name in &taken {
            a.store.create(in_default(name), SimTime(1)).unwrap();
        }
        let e = err(a.handle(Request::Create(generated()), SimTime(2)));
        let last = taken.last().unwrap();
        assert_eq!((e.code, e.reason), (409, "AlreadyExists"));
        assert_eq!(e.message, format!("pods {last:?} already exists, the server was not able to generate a unique name for the object"));
        assert_eq!(a.store.list(&Kind::Pod).count(), taken.len(), "nothing written");
        // A name given with a generateName: CheckGeneratedNameError looks only at the
        // generateName.
        let mut named = generated();
        named.meta_mut().name = taken[0].clone().into();
        let e = err(a.handle(Request::Create(named), SimTime(3)));
        assert_eq!(e.message, format!("pods {:?} already exists, the server was not able to generate a unique name for the object", taken[0]));
    }

    /// SimpleNameGenerator (pkg/api/generate.go): maxNameLength 63, randomLength 5, so a
    /// generateName longer than maxGeneratedNameLength = 58 bytes is cut to 58 and the
    /// name is 63 bytes.
    #[test]
    fn a_long_generate_name_is_cut_to_58_bytes() {
        let mut a = server();
        let base = format!("{}-", "a".repeat(69));
        let mut p = pod("");
        p.meta_mut().generate_name = base.clone().into();
        let name = ok(a.handle(Request::Create(p), SimTime(1))).meta().name.to_string();
        assert_eq!(name.len(), 63, "{name}");
        assert!(name.starts_with(&base[..58]) && !name[..58].contains('-'), "{name}");
    }

    /// A Job whose generated name is drawn again carries the name it got in the labels
    /// generateSelector sets (job-name, batch.kubernetes.io/job-name: in its template,
    /// and in its own labels copied from them), as upstream's retry sets them again.
    #[test]
    fn a_job_named_again_is_labelled_with_its_name() {
        use crate::api::job::{Job, JOB_NAME, LEGACY_JOB_NAME};
        let job = || {
            let mut j = Job::default();
            j.metadata.generate_name = "batch-".into();
            j.metadata.namespace = "default".into();
            let Object::Pod(p) = pod("") else { unreachable!() };
            j.spec.template.spec = p.spec;
            Rc::make_mut(&mut j.spec.template.spec).restart_policy = "Never".into();
            Object::Job(Box::new(j))
        };
        let first = ok(server().handle(Request::Create(job()), SimTime(1))).meta().name.to_string();
        let mut a = server();
        let mut taken = job();
        taken.meta_mut().name = first.clone().into();
        a.store.create(taken, SimTime(0)).unwrap();
        let got = ok(a.handle(Request::Create(job()), SimTime(1)));
        let j = got.as_job().unwrap();
        assert_ne!(j.metadata.name, first, "drawn again");
        for labels in [&j.spec.template.metadata.labels, &j.metadata.labels] {
            for k in [JOB_NAME, LEGACY_JOB_NAME] {
                assert_eq!(labels.get(k), Some(&j.metadata.name.to_string()), "{k}");
            }
        }
    }

    /// Pods stamped from one template share one defaulted spec; the memo lets an entry
    /// go once nothing but the memo holds its template, so it is bounded by the
    /// templates alive, not by those ever seen.
    #[test]
    fn defaulted_specs_are_shared_and_forgotten_with_their_template() {
        let mut a = server();
        let template = |i: usize| {
            let Object::Pod(p) = pod(&format!("t{i}")) else { unreachable!() };
            p.spec
        };
        let stamp = |a: &mut ApiServer, name: String, spec: &Rc<PodSpec>| {
            let mut p = pod(&name);
            let Object::Pod(b) = &mut p else { unreachable!() };
            b.spec = Rc::clone(spec);
            let out = ok(a.handle(Request::Create(p), SimTime(0)));
            Rc::clone(&out.as_pod().unwrap().spec)
        };
        let kept = template(0);
        let first = stamp(&mut a, "k0".into(), &kept);
        assert_eq!(first.tolerations.len(), 2, "defaulted: the DefaultTolerationSeconds pair");
        let mut pods = vec![first.clone()];
        for i in 1..1000 {
            let t = template(i);
            pods.push(stamp(&mut a, format!("a{i}"), &t));
            let second = stamp(&mut a, format!("b{i}"), &t);
            assert!(Rc::ptr_eq(pods.last().unwrap(), &second), "pods of one template share its defaulted spec");
            // The template goes (its owner deleted); its pods stay.
        }
        assert!(a.defaulted_specs.map.len() <= 64, "{} entries for 1 template alive", a.defaulted_specs.map.len());
        assert!(Rc::ptr_eq(&stamp(&mut a, "k1".into(), &kept), &first), "the live template's entry was kept");
        assert!(pods.iter().all(|s| s.tolerations.len() == 2 && s.restart_policy == "Always"));
        // A template already defaulted (a pod's spec stamped again): defaulting gives it
        // back, so the entry holds it twice; it stays while something else holds it (its
        // pods here) and goes with the last of them all the same.
        let done = stamp(&mut a, "c0".into(), &template(0));
        let again = stamp(&mut a, "d0".into(), &done);
        assert!(Rc::ptr_eq(&again, &done), "nothing to default: the template itself");
        let mut memo = DefaultedSpecs::default();
        let held = template(1);
        memo.insert(Rc::as_ptr(&held) as usize, held.clone(), held.clone());
        for i in 2..1000 {
            let t = template(i);
            memo.insert(Rc::as_ptr(&t) as usize, t.clone(), t);
        }
        assert!(memo.map.len() <= 64, "{} entries for 1 template alive", memo.map.len());
        assert!(memo.map.contains_key(&(Rc::as_ptr(&held) as usize)), "the held one is kept");
    }

    /// Pods created one after the other with equal ownerReferences share one list; a
    /// pod with other references gets its own, and changing a copy leaves the others.
    #[test]
    fn equal_owner_references_are_shared() {
        let mut a = server();
        let owned = |name: &str, owner: &str| {
            let mut p = pod(name);
            *p.meta_mut().owner_references = vec![crate::controller_manager::controller_utils::controller_ref("apps/v1", "ReplicaSet", owner, owner)];
            p
        };
        let p1 = ok(a.handle(Request::Create(owned("a", "rs1")), SimTime(0)));
        let p2 = ok(a.handle(Request::Create(owned("b", "rs1")), SimTime(0)));
        let p3 = ok(a.handle(Request::Create(owned("c", "rs2")), SimTime(0)));
        assert!(p1.meta().owner_references.shares(&p2.meta().owner_references));
        assert!(!p2.meta().owner_references.shares(&p3.meta().owner_references));
        assert_eq!(p3.meta().owner_references[0].name, "rs2");
        let mut copy = p2.meta().clone();
        copy.owner_references[0].name = "other".into();
        assert_eq!((p1.meta().owner_references[0].name.as_str(), copy.owner_references[0].name.as_str()), ("rs1", "other"));
        assert!(serde_json::to_string(p1.meta())
            .unwrap()
            .contains(r#""ownerReferences":[{"apiVersion":"apps/v1","kind":"ReplicaSet","name":"rs1","uid":"rs1","controller":true"#));
    }

    #[test]
    fn stale_updates_conflict_and_binding_is_once() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        let mut stale = (*p).clone();
        stale.meta_mut().labels.insert("a".into(), "b".into());
        ok(a.handle(Request::Update(stale.clone()), SimTime(1)));
        let st = err(a.handle(Request::Update(stale), SimTime(2)));
        assert_eq!(st.reason, "Conflict");
        assert!(st.message.contains("the object has been modified"));
        let uid = p.meta().uid.clone();
        let bind = |node: &str| Request::Bind(Box::new(Binding { namespace: "default".into(), name: "web".into(), uid: uid.clone(), node: node.into() }));
        let bound = ok(a.handle(bind("n1"), SimTime(3)));
        assert_eq!(bound.as_pod().unwrap().spec.node_name, "n1");
        assert!(err(a.handle(bind("n2"), SimTime(4))).message.contains("is already assigned to node \"n1\""));
    }

    /// The store's errors of the requests whose keys are made only for an error (a
    /// create, an update, a status update, a delete, a bind) in the apiserver's words:
    /// NewAlreadyExists, NewNotFound and NewConflict of
    /// staging/src/k8s.io/apimachinery/pkg/api/errors/errors.go.
    #[test]
    fn errors_of_updates_deletes_and_binds_name_their_object() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        let st = err(a.handle(Request::Create(pod("web")), SimTime(0)));
        assert_eq!((st.code, st.reason, st.message.as_str()), (409, "AlreadyExists", "pods \"web\" already exists"));
        let not_found = "pods \"gone\" not found";
        let conflict =
            "Operation cannot be fulfilled on pods \"web\": the object has been modified; please apply your changes to the latest version and try again";
        for status_only in [false, true] {
            let request = |o: Object| if status_only { Request::UpdateStatus(o) } else { Request::Update(o) };
            let st = err(a.handle(request(pod("gone")), SimTime(1)));
            assert_eq!((st.code, st.reason, st.message.as_str()), (404, "NotFound", not_found));
            let mut stale = (*p).clone();
            stale.meta_mut().resource_version.0 += 100;
            let st = err(a.handle(request(stale), SimTime(1)));
            assert_eq!((st.code, st.reason, st.message.as_str()), (409, "Conflict", conflict));
        }
        let gone = ObjectKey::new(Kind::Pod, "default", "gone");
        let st = err(a.handle(Request::Delete { key: Box::new(gone), grace_period_seconds: None, uid: None }, SimTime(2)));
        assert_eq!((st.code, st.reason, st.message.as_str()), (404, "NotFound", not_found));
        let bind = Request::Bind(Box::new(Binding { namespace: "default".into(), name: "gone".into(), uid: "u".into(), node: "n1".into() }));
        let st = err(a.handle(bind, SimTime(3)));
        assert_eq!((st.code, st.reason, st.message.as_str()), (404, "NotFound", not_found));
    }

    #[test]
    fn pods_on_nodes_are_deleted_gracefully_and_apply_keeps_the_binding() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        let uid = p.meta().uid.clone();
        ok(a.handle(Request::Bind(Box::new(Binding { namespace: "default".into(), name: "web".into(), uid, node: "n1".into() })), SimTime(1)));
        // Re-applying the manifest keeps spec.nodeName (the scheduler's) and writes nothing.
        let rev = a.store.revision();
        let same = ok(a.handle(Request::Apply(pod("web")), SimTime(2)));
        assert_eq!(same.as_pod().unwrap().spec.node_name, "n1");
        assert_eq!(a.store.revision(), rev, "a no-op apply does not write");
        // Changing anything but the image is forbidden.
        let mut moved = pod("web");
        if let Object::Pod(p) = &mut moved {
            Rc::make_mut(&mut p.spec).restart_policy = "Never".into();
        }
        assert!(err(a.handle(Request::Apply(moved), SimTime(3))).message.contains("pod updates may not change fields"));
        let key = ObjectKey::new(Kind::Pod, "default", "web");
        let t = ok(a.handle(Request::Delete { key: Box::new(key.clone()), grace_period_seconds: None, uid: None }, SimTime(4)));
        assert_eq!(t.meta().rare.deletion_grace_period_seconds, Some(30));
        assert!(a.store.get(&key).is_some(), "terminating until the kubelet confirms");
        ok(a.handle(Request::Delete { key: Box::new(key.clone()), grace_period_seconds: Some(0), uid: None }, SimTime(5)));
        assert!(a.store.get(&key).is_none());
    }

    /// --event-ttl (1 h by default): an Event goes with its lease, granted for the TTL
    /// and the reuse window, min(60 s, 5 % of 3,600 s) = 60 s (lease_manager.go GetLease,
    /// getReuseDurationSecondsLocked).
    #[test]
    fn events_expire_an_hour_and_a_minute_after_their_lease_was_granted() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        let ev = crate::client::event_for(&p, "Normal", "Test", "hello", "test", "", SimTime(1000), 1);
        let key = ev.key();
        ok(a.handle(Request::Create(ev), SimTime(1000)));
        assert_eq!(std::mem::take(&mut a.granted_leases), vec![SimTime(1000 + 3_660_000)]);
        assert!(a.expire_events(SimTime(1000 + 3_659_999)).is_empty());
        assert!(a.store.get(&key).is_some());
        let gone = a.expire_events(SimTime(1000 + 3_660_000));
        assert_eq!(gone.len(), 1);
        assert!(a.store.get(&key).is_none());
        assert!(a.expire_events(SimTime(10_000_000)).is_empty());
    }

    /// GetLease: a write reuses the previous lease while that lease ends after now + TTL
    /// (valid) and no later than now + TTL + the window (sufficient), and while fewer than
    /// MaxObjectCount writes share it — TestLeaseMaxObjectCount's table with a count of 2
    /// (attached 1, 2, then a new lease and 1). At --event-ttl=5m the window is 15 s
    /// (5 % of 300 s, under the 60 s cap).
    #[test]
    fn events_share_a_lease_within_its_reuse_window() {
        let mut a = server();
        a.event_ttl = SimDuration::from_secs(300);
        let writes = |a: &mut ApiServer, t: u64| a.event_lease(SimTime(t));
        // Granted at 0 for 300 + 15 s; reused until 15 s (at 15 s, now + TTL = the end:
        // no longer valid).
        assert_eq!(writes(&mut a, 0), SimTime(315_000));
        assert_eq!(writes(&mut a, 14_999), SimTime(315_000));
        assert_eq!(writes(&mut a, 15_000), SimTime(330_000));
        assert_eq!(std::mem::take(&mut a.granted_leases), vec![SimTime(315_000), SimTime(330_000)]);
        // The count: 1,000 writes share one lease, the 1,001st gets a new one.
        let mut b = server();
        let ends: Vec<SimTime> = (0..=LEASE_MAX_OBJECTS).map(|_| b.event_lease(SimTime(5))).collect();
        assert!(ends[..LEASE_MAX_OBJECTS as usize].iter().all(|&e| e == SimTime(5 + 3_660_000)));
        assert_eq!(b.granted_leases.len(), 2, "the 1,001st write is attached to a second lease");
        // A TTL under 20 s has no reuse window (5 % rounds down to 0): a lease per write.
        let mut c = server();
        c.event_ttl = SimDuration::from_secs(19);
        assert_eq!((c.event_lease(SimTime(0)), c.event_lease(SimTime(0))), (SimTime(19_000), SimTime(19_000)));
        assert_eq!(c.granted_leases.len(), 2);
    }

    #[test]
    fn a_terminating_namespace_refuses_new_content() {
        let mut a = server();
        ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        let ns = ObjectKey::new(Kind::Namespace, "", "default");
        let t = ok(a.handle(Request::Delete { key: Box::new(ns.clone()), grace_period_seconds: None, uid: None }, SimTime(1)));
        assert!(t.meta().rare.deletion_timestamp.is_some());
        assert_eq!(err(a.handle(Request::Create(pod("more")), SimTime(2))).reason, "Forbidden");
        assert_eq!(err(a.handle(Request::Delete { key: Box::new(ns.clone()), grace_period_seconds: None, uid: None }, SimTime(3))).reason, "Conflict");
        match a.handle(Request::DeleteNamespaceContent("default".into()), SimTime(4)).response {
            Response::List(l) => assert!(l.items.is_empty(), "an unbound pod goes at once"),
            r => panic!("{r:?}"),
        }
        ok(a.handle(Request::Delete { key: Box::new(ns.clone()), grace_period_seconds: None, uid: None }, SimTime(5)));
        assert!(a.store.get(&ns).is_none());
    }

    #[test]
    fn events_expire_after_the_event_ttl() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        for (i, t) in [0u64, 1_800_000, 3_000_000].into_iter().enumerate() {
            let ev = crate::client::event_for(&p, "Normal", "Pulled", "pulled", "kubelet", "w-1", SimTime(t), i as u64);
            assert!(a.handle(Request::Create(ev), SimTime(t)).response.is_ok());
        }
        let events = |a: &ApiServer| a.store.list(&Kind::Event).count();
        // --event-ttl=1h: three leases (each write is past the previous lease's window),
        // each ending 1h1m after its write.
        assert_eq!(a.granted_leases, vec![SimTime(3_660_000), SimTime(5_460_000), SimTime(6_660_000)]);
        assert!(a.expire_events(SimTime(3_659_999)).is_empty());
        let gone = a.expire_events(SimTime(3_660_000));
        assert_eq!((gone.len(), events(&a)), (1, 2));
        assert_eq!(gone[0].type_, crate::etcd::WatchEventType::Deleted);
        assert_eq!(a.expire_events(SimTime(6_660_000)).len(), 2);
        assert_eq!(events(&a), 0);
        assert_eq!(a.store.list(&Kind::Pod).count(), 1, "only Events expire");
    }

    /// Each write of an Event is attached to a lease (the event registry's TTLFunc answers
    /// for updates as for creates: pkg/registry/core/event/storage), so an Event updated
    /// at 30m (a repeat: count 2) lives until its new lease ends at 1h31m; one deleted
    /// and made again at 20m lives until 1h21m.
    #[test]
    fn an_events_ttl_runs_from_its_last_write() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        let ev = |t: u64, seq: u64| crate::client::event_for(&p, "Normal", "Pulled", "pulled", "kubelet", "w-1", SimTime(t), seq);
        let repeated = ok(a.handle(Request::Create(ev(0, 1)), SimTime(0)));
        let remade = ok(a.handle(Request::Create(ev(0, 2)), SimTime(0)));
        let mut again = (*repeated).clone();
        if let Object::Event(e) = &mut again {
            e.count = 2;
        }
        assert!(a.handle(Request::Delete { key: Box::new(remade.key()), grace_period_seconds: None, uid: None }, SimTime(600_000)).response.is_ok());
        let mut new = (*remade).clone();
        new.meta_mut().resource_version.0 = 0;
        assert!(a.handle(Request::Create(new), SimTime(1_200_000)).response.is_ok());
        assert!(a.handle(Request::Update(again), SimTime(1_800_000)).response.is_ok());
        assert!(a.expire_events(SimTime(3_660_000)).is_empty(), "both were written again since");
        let gone = a.expire_events(SimTime(4_860_000));
        assert_eq!(gone.iter().map(|w| w.object.meta().name.to_string()).collect::<Vec<_>>(), vec![remade.meta().name.to_string()]);
        let gone = a.expire_events(SimTime(5_460_000));
        assert_eq!(gone.iter().map(|w| w.object.meta().name.to_string()).collect::<Vec<_>>(), vec![repeated.meta().name.to_string()]);
        assert_eq!(a.store.list(&Kind::Event).count(), 0);
    }

    /// An Event written twice under one lease goes once, when that lease ends, and not
    /// before. Created at 0 and updated at 10 s: the lease granted at 0 runs for the TTL
    /// and the reuse window, min(60 s, 5 % of 3,600 s) = 60 s, so it ends at 1h1m, and
    /// the write at 10 s reuses it (lease_manager.go GetLease: valid, as 10 s + 1 h is
    /// before 1h1m; sufficient, as 10 s + 1 h + 60 s is not before it).
    #[test]
    fn an_event_written_twice_under_one_lease_goes_with_it_once() {
        let mut a = server();
        let p = ok(a.handle(Request::Create(pod("web")), SimTime(0)));
        let e = ok(a.handle(Request::Create(crate::client::event_for(&p, "Normal", "Pulled", "pulled", "kubelet", "w-1", SimTime(0), 1)), SimTime(0)));
        let mut again = (*e).clone();
        if let Object::Event(x) = &mut again {
            x.count = 2;
        }
        assert!(a.handle(Request::Update(again), SimTime(10_000)).response.is_ok());
        assert_eq!(a.granted_leases, [SimTime(3_660_000)], "one lease for both writes");
        assert!(a.expire_events(SimTime(3_659_999)).is_empty());
        let gone = a.expire_events(SimTime(3_660_000));
        assert_eq!(
            gone.iter().map(|w| (w.type_, w.object.meta().name.to_string())).collect::<Vec<_>>(),
            [(crate::etcd::WatchEventType::Deleted, e.meta().name.to_string())]
        );
        assert_eq!(a.store.list(&Kind::Event).count(), 0);
    }
}
