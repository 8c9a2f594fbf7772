//! kube-apiserver: create/update/delete/bind requests against the etcd store, with
//! defaulting (including the DefaultTolerationSeconds admission plugin), validation in
//! the apiserver's words, uid and generateName drawn from the seed, and graceful pod
//! deletion (deletionTimestamp first, removal once the kubelet confirms).

pub mod defaults;

use crate::api::meta::Time;
use crate::api::object::Kind;
use crate::api::pod::PodSpec;
use crate::api::validation::{validate, FieldErr};
use crate::api::{Object, ObjectKey};
use crate::engine::SimTime;
use crate::etcd::{HistoryLimits, Store, StoreError, WatchEvent};
use rand::RngCore;
use rand_chacha::ChaCha8Rng;
use std::collections::BTreeMap;
use std::rc::Rc;

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
        key: ObjectKey,
        grace_period_seconds: Option<i64>,
        uid: Option<String>,
    },
    /// The pods/binding subresource.
    Bind {
        namespace: String,
        name: String,
        uid: String,
        node: String,
    },
    /// A consistent list of one kind (the informer's relist).
    List(Kind),
}

impl Request {
    pub fn verb(&self) -> &'static str {
        match self {
            Request::Create(_) => "create",
            Request::Update(_) => "update",
            Request::UpdateStatus(_) => "update",
            Request::Delete { .. } => "delete",
            Request::Bind { .. } => "bind",
            Request::List(_) => "list",
        }
    }

    pub fn key(&self) -> ObjectKey {
        match self {
            Request::Create(o) | Request::Update(o) | Request::UpdateStatus(o) => o.key(),
            Request::Delete { key, .. } => key.clone(),
            Request::Bind { namespace, name, .. } => ObjectKey::new(Kind::Pod, namespace, name),
            Request::List(k) => ObjectKey::new(k.clone(), "", ""),
        }
    }
}

/// An API error (metav1.Status).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Status {
    pub code: u16,
    pub reason: &'static str,
    pub message: String,
}

#[derive(Clone, Debug)]
pub enum Response {
    Object(Rc<Object>),
    List(Vec<Rc<Object>>, u64),
    Error(Status),
}

impl Response {
    pub fn is_ok(&self) -> bool {
        !matches!(self, Response::Error(_))
    }
}

/// The group-qualified resource as API errors print it (`deployments.apps`).
pub fn qualified_resource(kind: &Kind) -> String {
    let group = match kind {
        Kind::ReplicaSet | Kind::Deployment => "apps",
        Kind::Lease => "coordination.k8s.io",
        Kind::Other(g, _) => g.as_str(),
        _ => "",
    };
    if group.is_empty() {
        kind.resource()
    } else {
        format!("{}.{group}", kind.resource())
    }
}

fn status(code: u16, reason: &'static str, message: String) -> Status {
    Status { code, reason, message }
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

pub struct ApiServer {
    pub store: Store,
    rng: ChaCha8Rng,
    /// Defaulting is a pure function of the pod spec: pods stamped from one template
    /// share one defaulted spec. Keyed by the input's address, which the entry keeps
    /// alive (so the address cannot be reused); never iterated.
    defaulted_specs: BTreeMap<usize, (Rc<PodSpec>, Rc<PodSpec>)>,
}

/// The result of one request: the response and the writes it made (for watches).
pub struct Outcome {
    pub response: Response,
    pub writes: Vec<Rc<WatchEvent>>,
}

impl ApiServer {
    pub fn new(rng: ChaCha8Rng, limits: HistoryLimits) -> Self {
        ApiServer { store: Store::new(limits), rng, defaulted_specs: BTreeMap::new() }
    }

    /// A random RFC 4122 version-4 UID from the seed.
    pub fn new_uid(&mut self) -> String {
        let mut b = [0u8; 16];
        self.rng.fill_bytes(&mut b);
        b[6] = (b[6] & 0x0f) | 0x40;
        b[8] = (b[8] & 0x3f) | 0x80;
        let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
        format!("{}-{}-{}-{}-{}", &h[0..8], &h[8..12], &h[12..16], &h[16..20], &h[20..32])
    }

    /// utilrand.String(5): the generateName suffix alphabet (no vowels, no 0/1/3).
    pub fn random_suffix(&mut self, n: usize) -> String {
        const ALPHANUMS: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";
        (0..n).map(|_| ALPHANUMS[(self.rng.next_u32() as usize) % ALPHANUMS.len()] as char).collect()
    }

    pub fn handle(&mut self, req: Request, now: SimTime) -> Outcome {
        let mut writes = Vec::new();
        let key = req.key();
        let response = match req {
            Request::Create(obj) => self.create(obj, now, &mut writes),
            Request::Update(obj) => self.update(obj, now, false, &mut writes),
            Request::UpdateStatus(obj) => self.update(obj, now, true, &mut writes),
            Request::Delete { key, grace_period_seconds, uid } => self.delete(&key, grace_period_seconds, uid, now, &mut writes),
            Request::Bind { namespace, name, uid, node } => self.bind(&namespace, &name, &uid, &node, now, &mut writes),
            Request::List(kind) => Ok(Response::List(self.store.list(&kind).cloned().collect(), self.store.revision())),
        };
        let response = response.unwrap_or_else(|e| {
            Response::Error(match e {
                ApiErr::Store(se) => store_error(se, &key),
                ApiErr::Status(s) => s,
            })
        });
        Outcome { response, writes }
    }

    fn create(&mut self, mut obj: Object, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let kind = obj.kind();
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
            _ => {}
        }
        if obj.meta().name.is_empty() && !obj.meta().generate_name.is_empty() {
            let suffix = self.random_suffix(5);
            let m = obj.meta_mut();
            m.name = format!("{}{suffix}", m.generate_name);
        }
        self.default_shared(&mut obj);
        let errs = validate(&obj);
        if !errs.is_empty() {
            return Err(ApiErr::Status(invalid(&kind, &obj.meta().name, &errs)));
        }
        let ns = obj.meta().namespace.clone();
        if kind.namespaced() && self.store.get_parts(&Kind::Namespace, "", &ns).is_none() {
            return Err(ApiErr::Status(not_found(&ObjectKey::new(Kind::Namespace, "", &ns))));
        }
        let uid = self.new_uid();
        let m = obj.meta_mut();
        m.uid = uid;
        m.creation_timestamp = Some(Time(now));
        m.deletion_timestamp = None;
        if matches!(kind, Kind::Deployment | Kind::ReplicaSet) {
            m.generation = 1;
        }
        obj.set_type_meta();
        let ev = self.store.create(obj, now).map_err(ApiErr::Store)?;
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }

    /// `defaults::apply`, reusing the defaulted spec of an identical template.
    fn default_shared(&mut self, obj: &mut Object) {
        if let Object::Pod(p) = obj {
            let key = Rc::as_ptr(&p.spec) as usize;
            match self.defaulted_specs.get(&key) {
                Some((_, out)) => p.spec = out.clone(),
                None if Rc::strong_count(&p.spec) > 1 => {
                    let input = p.spec.clone();
                    defaults::apply(obj);
                    if let Object::Pod(p) = obj {
                        self.defaulted_specs.insert(key, (input, p.spec.clone()));
                    }
                    return;
                }
                None => {}
            }
        }
        defaults::apply(obj);
    }

    fn update(&mut self, mut obj: Object, now: SimTime, status_only: bool, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let key = obj.key();
        let cur = self.store.get(&key).ok_or(ApiErr::Store(StoreError::NotFound))?.clone();
        let want = obj.meta().resource_version.0;
        if want != 0 && want != cur.meta().resource_version.0 {
            return Err(ApiErr::Store(StoreError::Conflict));
        }
        if status_only {
            obj = defaults::take_status(&cur, obj);
        } else {
            defaults::apply(&mut obj);
            obj = defaults::with_status_of(&obj, &cur);
            let errs = validate(&obj);
            if !errs.is_empty() {
                return Err(ApiErr::Status(invalid(&key.kind, &key.name, &errs)));
            }
        }
        // Immutable metadata stays as stored.
        let bump = !status_only && defaults::spec_changed(&cur, &obj);
        {
            let (cm, m) = (cur.meta(), obj.meta_mut());
            m.uid = cm.uid.clone();
            m.creation_timestamp = cm.creation_timestamp;
            m.generation = cm.generation;
            if bump {
                m.generation = cm.generation + 1;
            }
            if m.deletion_timestamp.is_none() {
                m.deletion_timestamp = cm.deletion_timestamp;
                m.deletion_grace_period_seconds = cm.deletion_grace_period_seconds;
            }
            m.resource_version = cm.resource_version;
        }
        obj.set_type_meta();
        if obj == *cur {
            // A no-op write does not bump the revision (as with etcd3 GuaranteedUpdate).
            return Ok(Response::Object(cur));
        }
        let ev = self.store.update(obj, now).map_err(ApiErr::Store)?;
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }

    fn delete(&mut self, key: &ObjectKey, grace: Option<i64>, uid: Option<String>, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
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
        if let Object::Pod(p) = &*cur {
            let grace = grace.or(p.spec.termination_grace_period_seconds).unwrap_or(30).max(0);
            // Graceful deletion applies to pods bound to a node that are not terminal.
            if !p.spec.node_name.is_empty() && grace > 0 && !p.is_terminal() {
                if p.metadata.deletion_timestamp.is_some() {
                    return Ok(Response::Object(cur)); // already terminating
                }
                let mut np = p.clone();
                np.metadata.deletion_timestamp = Some(Time(now + crate::engine::SimDuration::from_secs(grace as u64)));
                np.metadata.deletion_grace_period_seconds = Some(grace);
                let ev = self.store.update(Object::Pod(np), now).map_err(ApiErr::Store)?;
                let out = ev.object.clone();
                writes.push(ev);
                return Ok(Response::Object(out));
            }
        }
        let ev = self.store.delete(key, None, now).map_err(ApiErr::Store)?;
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }

    fn bind(&mut self, ns: &str, name: &str, uid: &str, node: &str, now: SimTime, writes: &mut Vec<Rc<WatchEvent>>) -> Result<Response, ApiErr> {
        let key = ObjectKey::new(Kind::Pod, ns, name);
        let cur = self.store.get(&key).ok_or(ApiErr::Store(StoreError::NotFound))?.clone();
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
        if p.metadata.deletion_timestamp.is_some() {
            return Err(ApiErr::Status(status(
                409,
                "Conflict",
                format!("Operation cannot be fulfilled on pods/binding {name:?}: pod {name} is being deleted, cannot be assigned to a host"),
            )));
        }
        let mut np = p.clone();
        Rc::make_mut(&mut np.spec).node_name = node.to_string();
        np.set_condition("PodScheduled", "True", "", "", Time(now));
        let ev = self.store.update(Object::Pod(np), now).map_err(ApiErr::Store)?;
        let out = ev.object.clone();
        writes.push(ev);
        Ok(Response::Object(out))
    }
}

enum ApiErr {
    Store(StoreError),
    Status(Status),
}
