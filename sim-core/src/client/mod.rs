//! client-go in miniature: the informer cache fed by a watch, the context a component
//! acts through (requests to the apiserver and timers), and the closed set of timers.
//! Components never call each other or touch the store: they read their informer
//! caches and send requests.

pub mod events;

use crate::api::{Kind, Object};
use crate::apiserver::Request;
use crate::engine::{SimDuration, SimTime};
use crate::etcd::{WatchEvent, WatchEventType};
use std::collections::BTreeMap;
use std::rc::Rc;

/// Every delayed action of every component. Each component owns its timer type (the
/// engine only routes them back to it); adding a timer to one component touches
/// nothing else.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Timer {
    ApiServer(crate::apiserver::Timer),
    Scheduler(crate::scheduler::Timer),
    ControllerManager(crate::controller_manager::Timer),
    Kubelet(crate::kubelet::Timer),
    KubeProxy(crate::proxy::Timer),
    /// Boxed: kubectl's timers carry names, and every timer waits in the event queue.
    Kubectl(Box<crate::sim::kubectl::Timer>),
}

macro_rules! timer_from {
    ($($variant:ident => $ty:path),*) => {$(
        impl From<$ty> for Timer {
            fn from(t: $ty) -> Self {
                Timer::$variant(t)
            }
        }
    )*};
}
timer_from!(
    ApiServer => crate::apiserver::Timer,
    Scheduler => crate::scheduler::Timer,
    ControllerManager => crate::controller_manager::Timer,
    Kubelet => crate::kubelet::Timer
);

impl From<crate::sim::kubectl::Timer> for Timer {
    fn from(t: crate::sim::kubectl::Timer) -> Self {
        Timer::Kubectl(Box::new(t))
    }
}

/// Whether (and when) the sender of a request hears the apiserver's answer. A response
/// is an engine event of its own, so a component asks only for those it acts on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {
    /// Fire and forget.
    None,
    /// Every answer, with the component's tag (which of its parts asked).
    Always(u32),
    /// Only a refusal.
    OnError(u32),
}

impl Reply {
    /// Whether the answer `ok` is delivered.
    pub fn wants(self, ok: bool) -> bool {
        match self {
            Reply::None => false,
            Reply::Always(_) => true,
            Reply::OnError(_) => !ok,
        }
    }

    pub fn tag(self) -> u32 {
        match self {
            Reply::None => 0,
            Reply::Always(t) | Reply::OnError(t) => t,
        }
    }
}

/// What a component asks the engine to do.
#[derive(Debug)]
pub enum Action {
    Request { request: Box<Request>, reply: Reply },
    Timer(SimDuration, Timer),
}

/// The context a component handler acts through.
pub struct Ctx<'a> {
    pub now: SimTime,
    out: &'a mut Vec<Action>,
}

impl<'a> Ctx<'a> {
    pub fn new(now: SimTime, out: &'a mut Vec<Action>) -> Self {
        Ctx { now, out }
    }
    /// Sends a request whose answer nobody reads.
    pub fn request(&mut self, r: Request) {
        self.out.push(Action::Request { request: Box::new(r), reply: Reply::None });
    }
    /// Sends a request; the answer comes back to the sender with `tag`.
    pub fn request_reply(&mut self, r: Request, tag: u32) {
        self.out.push(Action::Request { request: Box::new(r), reply: Reply::Always(tag) });
    }
    /// Sends a request; only a refusal comes back (with `tag`).
    pub fn request_on_error(&mut self, r: Request, tag: u32) {
        self.out.push(Action::Request { request: Box::new(r), reply: Reply::OnError(tag) });
    }
    pub fn after(&mut self, d: SimDuration, t: impl Into<Timer>) {
        self.out.push(Action::Timer(d, t.into()));
    }
    pub fn now_time(&self) -> crate::api::meta::Time {
        crate::api::meta::Time(self.now)
    }
}

type Bucket = crate::api::object::ObjectMap<Rc<Object>>;

/// A read-only cache of some kinds, kept current by a watch.
#[derive(Default)]
pub struct Informer {
    caches: BTreeMap<Kind, Bucket>,
    /// The revision of the last event applied (or of the last list).
    pub last_revision: u64,
}

impl Informer {
    /// Applies one watch event. Events must arrive in revision order (asserted).
    pub fn apply(&mut self, ev: &WatchEvent) {
        assert!(ev.revision > self.last_revision, "watch event out of order: {} after {}", ev.revision, self.last_revision);
        self.last_revision = ev.revision;
        let m = ev.object.meta();
        let kind = ev.object.kind();
        let bucket = match self.caches.get_mut(&kind) {
            Some(b) => b,
            None => self.caches.entry(kind).or_default(),
        };
        match ev.type_ {
            WatchEventType::Deleted => {
                bucket.remove(&m.namespace, &m.name);
            }
            _ => {
                bucket.insert(&m.namespace, &m.name, ev.object.clone());
            }
        }
    }

    /// Replaces the cache of `kind` with a fresh list at `revision` (a relist).
    pub fn replace(&mut self, kind: Kind, items: Vec<Rc<Object>>, revision: u64) {
        let mut bucket = Bucket::default();
        for o in items {
            let (ns, name) = (o.meta().namespace.to_string(), o.meta().name.to_string());
            bucket.insert(&ns, &name, o);
        }
        self.caches.insert(kind, bucket);
        self.last_revision = self.last_revision.max(revision);
    }

    pub fn get(&self, kind: &Kind, namespace: &str, name: &str) -> Option<&Rc<Object>> {
        self.caches.get(kind)?.get(namespace, name)
    }

    /// The objects of `kind` in `namespace` named `names`, which ascend, in that order;
    /// every name is read, held or not
    /// ([`ObjectMap::get_ascending`](crate::api::object::ObjectMap::get_ascending)).
    pub fn get_ascending<'a, 'n>(&'a self, kind: &Kind, namespace: &str, names: impl IntoIterator<Item = &'n str>, found: impl FnMut(&'a Rc<Object>)) {
        match self.caches.get(kind) {
            Some(b) => b.get_ascending(namespace, names, found),
            None => names.into_iter().for_each(drop),
        }
    }

    pub fn list(&self, kind: &Kind) -> impl Iterator<Item = &Rc<Object>> {
        self.caches.get(kind).into_iter().flat_map(|b| b.values())
    }

    /// The kinds cached.
    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.caches.keys()
    }

    pub fn list_ns<'a>(&'a self, kind: &Kind, namespace: &'a str) -> impl Iterator<Item = &'a Rc<Object>> {
        self.caches.get(kind).into_iter().flat_map(move |b| b.in_namespace(namespace))
    }

    /// Catches up with the store the way a reflector does after a disconnect: watch from
    /// the last revision seen; if that revision is compacted (410 Gone), relist `kinds`.
    /// Returns whether it had to relist.
    pub fn resync(&mut self, store: &crate::etcd::Store, kinds: &[Kind]) -> bool {
        match store.watch_from(self.last_revision) {
            Ok(events) => {
                let events: Vec<Rc<WatchEvent>> = events.filter(|e| kinds.contains(&e.object.kind())).cloned().collect();
                for e in events {
                    self.apply(&e);
                }
                self.last_revision = self.last_revision.max(store.revision());
                false
            }
            Err(_) => {
                for k in kinds {
                    self.replace(k.clone(), store.list(k).cloned().collect(), store.revision());
                }
                true
            }
        }
    }
}

/// The request that writes what a recorder decided (nothing when it skips the event).
pub fn event_request(r: events::Record) -> Option<Request> {
    match r {
        events::Record::Create(e) => Some(Request::Create(Object::Event(Box::new(e)))),
        events::Record::Update(e) => Some(Request::PatchEvent(Object::Event(Box::new(e)))),
        events::Record::Skip => None,
    }
}

/// A core/v1 Event about `obj` (what the client-go event recorder creates). The name is
/// `<object>.<hex>` like upstream's, with the hex drawn from the simulated clock and a
/// per-component counter instead of the wall clock.
#[allow(clippy::too_many_arguments)]
pub fn event_for(
    obj: &Object,
    type_: &'static str,
    reason: impl Into<std::borrow::Cow<'static, str>>,
    message: &str,
    component: &'static str,
    host: &str,
    now: SimTime,
    seq: u64,
) -> Object {
    let source = std::rc::Rc::new(crate::api::event::EventSource { component: component.into(), host: host.into() });
    Object::Event(Box::new(event_with(std::rc::Rc::new(object_reference(obj)), source, type_, reason, message, now, seq)))
}

/// An Event's name: `<object>.<stamp in 16 hex digits>` (makeEvent's `%v.%x` of the
/// object's name and the time; the correlator keeps only the stamp and rebuilds it).
pub fn event_name(object: &str, stamp: u64) -> crate::api::meta::Text {
    let hex = stamp_hex(stamp);
    crate::api::meta::Text::concat(&[object, ".", std::str::from_utf8(&hex).expect("hex digits are ASCII")])
}

/// `event_name` as a `String`.
pub fn event_name_string(object: &str, stamp: u64) -> String {
    let hex = stamp_hex(stamp);
    let mut s = String::with_capacity(object.len() + 17);
    s.push_str(object);
    s.push('.');
    s.push_str(std::str::from_utf8(&hex).expect("hex digits are ASCII"));
    s
}

/// A stamp's 16 lowercase hex digits. Placed by hand: `{:016x}` through core::fmt
/// cost about 700 instructions an Event (callgrind), this a tenth of it.
fn stamp_hex(stamp: u64) -> [u8; 16] {
    let mut hex = [0u8; 16];
    for (i, d) in hex.iter_mut().enumerate() {
        *d = b"0123456789abcdef"[(stamp >> (4 * (15 - i))) as usize & 15];
    }
    hex
}

/// The reference an Event makes to `obj` (ref.GetReference).
pub fn object_reference(obj: &Object) -> crate::api::event::ObjectReference {
    let m = obj.meta();
    let kind = obj.kind();
    crate::api::event::ObjectReference {
        kind: match kind.static_name() {
            "" => kind.name().to_string().into(),
            k => k.into(),
        },
        namespace: m.namespace.clone(),
        name: m.name.clone(),
        uid: m.uid.clone(),
        api_version: kind.api_version().into(),
    }
}

/// `event_for` with the reference and the source given: a recorder that writes many
/// Events about one object, or many from one source, shares them between the Events.
pub fn event_with(
    involved: std::rc::Rc<crate::api::event::ObjectReference>,
    source: std::rc::Rc<crate::api::event::EventSource>,
    type_: &'static str,
    reason: impl Into<std::borrow::Cow<'static, str>>,
    message: impl Into<crate::api::meta::Text>,
    now: SimTime,
    seq: u64,
) -> crate::api::event::Event {
    use crate::api::meta::{ObjectMeta, Time};
    // Built whole: `Event::default()` would make an `Rc` for the reference and one for
    // the source, both replaced at once (two allocations an Event).
    let metadata = ObjectMeta {
        name: event_name(&involved.name, now.as_ms().wrapping_mul(1_000_000).wrapping_add(seq)),
        namespace: if involved.namespace.is_empty() { "default".into() } else { involved.namespace.clone() },
        ..ObjectMeta::default()
    };
    crate::api::event::Event {
        api_version: Default::default(),
        kind: Default::default(),
        metadata,
        involved_object: involved,
        reason: reason.into(),
        message: message.into(),
        reporting_component: source.component.clone(),
        source,
        first_timestamp: Time(now).into(),
        last_timestamp: Time(now).into(),
        count: 1,
        type_: type_.into(),
    }
}

#[cfg(test)]
mod tests {
    /// A recorder's Event's type, Normal or Warning, is a shared word: an Event allocates
    /// nothing for it.
    #[test]
    fn an_events_type_is_a_shared_word() {
        use crate::api::event::{EventSource, ObjectReference};
        use std::rc::Rc;
        let involved = Rc::new(ObjectReference { name: "web-1".into(), ..Default::default() });
        let source = Rc::new(EventSource { component: "kubelet".into(), host: "n1".into() });
        for type_ in ["Normal", "Warning"] {
            let e = super::event_with(involved.clone(), source.clone(), type_, "Started", "Started container web", crate::engine::SimTime(5), 1);
            assert!(e.type_ == type_ && e.type_.is_static(), "{type_}");
        }
    }

    /// The name is makeEvent's `fmt.Sprintf("%v.%x", ref.Name, t.UnixNano())` as ksim
    /// stamps it: the object's name, a dot and the stamp in 16 lowercase hex digits.
    #[test]
    fn an_event_name_is_the_object_and_sixteen_hex_digits() {
        use proptest::prelude::*;
        assert_eq!(super::event_name("web-1", 0), "web-1.0000000000000000");
        assert_eq!(super::event_name("n", 0x0123_4567_89ab_cdef), "n.0123456789abcdef");
        assert_eq!(super::event_name("", u64::MAX), ".ffffffffffffffff");
        proptest!(|(name in "[a-z0-9.-]{0,20}", stamp in any::<u64>())| {
            prop_assert_eq!(super::event_name(&name, stamp), format!("{name}.{stamp:016x}"));
            prop_assert_eq!(super::event_name_string(&name, stamp), format!("{name}.{stamp:016x}"));
        });
    }
}
