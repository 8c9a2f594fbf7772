//! The store's Events, kept compact until something reads one.
//!
//! kube-apiserver keeps every Event for `--event-ttl` (an hour by default), so a busy
//! cluster holds several Events per pod it ran in the last hour; etcd stores each as a few
//! hundred bytes of protobuf. ksim held each as a whole `Object` (a 320-byte box, its
//! name, namespace, uid and message as four more allocations, and the `Rc`), about 600
//! bytes with its entry in the store: a fifth of the density bench's memory, and nearly
//! all of a trace replay's, whose pods are deleted when their Jobs finish but whose Events
//! stay for the hour.
//!
//! Almost nothing reads a stored Event: the writer does not (the watchers get the write
//! itself, which the history keeps), and `kubectl get events`/`describe`, an Event's
//! update and its expiry read a few. So the store keeps an Event in the shape client-go's
//! recorders write (`client::event_with`) as [`Compact`]: the parts its Events share with
//! the recorder's other Events (`involvedObject`, `source`) as the shared `Rc`s they
//! already are; its name as the stamp after the object's name (`<object>.<16 hex>`,
//! makeEvent's `%v.%x`); its uid as 128 bits ([`UidKey`]); its namespace, type and
//! reporting component as bits, for they are the involved object's namespace (or
//! "default"), "Normal" or "Warning", and the source's component (or nothing). The whole
//! object is made again, once, when something reads it ([`Stored::object`]), and is
//! equal to the object written: in debug builds every compacted write checks it.
//! An Event of any other shape (labels, a name of its own, another type: a manifest's) is
//! kept whole.

use crate::api::event::{Event, EventSource, ObjectReference};
use crate::api::meta::{EventKind, Time, TypeField, V1};
use crate::api::uid::UidKey;
use crate::api::Object;
use crate::engine::SimTime;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::rc::Rc;

/// An Event as the store keeps it.
pub(super) enum Stored {
    /// An Event the compact form does not cover.
    Full(Rc<Object>),
    Compact(Compact),
}

/// See the module documentation.
pub(super) struct Compact {
    /// The whole object, made on the first read.
    read: OnceCell<Rc<Object>>,
    involved: Rc<ObjectReference>,
    source: Rc<EventSource>,
    reason: Cow<'static, str>,
    message: Box<str>,
    uid: UidKey,
    /// The name's 16 hex digits after `<involvedObject.name>.`.
    stamp: u64,
    resource_version: u64,
    created: SimTime,
    first: SimTime,
    last: SimTime,
    count: i32,
    api_version: TypeField<V1>,
    kind: TypeField<EventKind>,
    flags: u8,
}

/// metadata.namespace is "default" (the involved object has none: a Node).
const DEFAULT_NAMESPACE: u8 = 1;
/// type is "Warning" (otherwise "Normal").
const WARNING: u8 = 2;
/// firstTimestamp is set.
const FIRST: u8 = 4;
/// lastTimestamp is set.
const LAST: u8 = 8;
/// reportingComponent is the source's component (otherwise empty).
const REPORTING: u8 = 16;

/// The 16 lowercase hex digits after `<object>.` in an Event's name, if it is named so.
/// (A table and no branches, as `UidKey`'s parse: every Event written is parsed twice,
/// and `u64::from_str_radix` after a check of each digit was 2 % of the density bench.)
fn stamp(name: &str, object: &str) -> Option<u64> {
    let hex = name.strip_prefix(object)?.strip_prefix('.')?.as_bytes();
    if hex.len() != 16 {
        return None;
    }
    let (mut v, mut bad) = (0u64, 0u8);
    for &b in hex {
        let d = crate::api::uid::HEX_VALUE[usize::from(b)];
        bad |= d;
        v = (v << 4) | u64::from(d & 0xf);
    }
    (bad & 0x80 == 0).then_some(v)
}

/// The namespace bit of an Event in `namespace` about `involved`, if its namespace is
/// one the compact form can name.
fn namespace_flag(namespace: &str, involved: &ObjectReference) -> Option<u8> {
    if involved.namespace.is_empty() {
        (namespace == "default").then_some(DEFAULT_NAMESPACE)
    } else {
        (namespace == involved.namespace).then_some(0)
    }
}

impl Compact {
    /// The compact form of `e`, if it has the recorders' shape.
    fn of(e: &Event) -> Option<Compact> {
        let m = &e.metadata;
        if !m.generate_name.is_empty() || !m.labels.is_empty() || !m.annotations.is_empty() || !m.owner_references.is_empty() || *m.rare != Default::default() {
            return None;
        }
        let mut flags = namespace_flag(&m.namespace, &e.involved_object)?;
        flags |= match &*e.type_ {
            "Normal" => 0,
            "Warning" => WARNING,
            _ => return None,
        };
        if e.reporting_component == e.source.component && !e.reporting_component.is_empty() {
            flags |= REPORTING;
        } else if !e.reporting_component.is_empty() {
            return None;
        }
        let first = e.first_timestamp.inspect(|_| flags |= FIRST).unwrap_or_default();
        let last = e.last_timestamp.inspect(|_| flags |= LAST).unwrap_or_default();
        Some(Compact {
            read: OnceCell::new(),
            stamp: stamp(&m.name, &e.involved_object.name)?,
            created: m.creation_timestamp?.0,
            involved: e.involved_object.clone(),
            source: e.source.clone(),
            reason: e.reason.clone(),
            message: e.message.as_str().into(),
            uid: UidKey::new(&m.uid),
            resource_version: m.resource_version.0,
            first: first.0,
            last: last.0,
            count: e.count,
            api_version: e.api_version,
            kind: e.kind,
            flags,
        })
    }

    fn namespace(&self) -> &str {
        if self.flags & DEFAULT_NAMESPACE != 0 {
            "default"
        } else {
            &self.involved.namespace
        }
    }

    /// The Event again.
    fn event(&self) -> Event {
        let mut e = Event {
            api_version: self.api_version,
            kind: self.kind,
            involved_object: self.involved.clone(),
            reason: self.reason.clone(),
            message: self.message.to_string(),
            first_timestamp: (self.flags & FIRST != 0).then_some(Time(self.first)),
            last_timestamp: (self.flags & LAST != 0).then_some(Time(self.last)),
            count: self.count,
            type_: if self.flags & WARNING != 0 { "Warning" } else { "Normal" }.into(),
            reporting_component: if self.flags & REPORTING != 0 { self.source.component.clone() } else { Cow::Borrowed("") },
            source: self.source.clone(),
            ..Event::default()
        };
        let m = &mut e.metadata;
        m.name = crate::client::event_name(&self.involved.name, self.stamp);
        m.namespace = self.namespace().to_string();
        m.uid = self.uid.with_str(str::to_string);
        m.resource_version.0 = self.resource_version;
        m.creation_timestamp = Some(Time(self.created));
        e
    }
}

impl Stored {
    /// How the store keeps `obj`, an Event just written.
    pub(super) fn of(obj: &Rc<Object>) -> Stored {
        let Some(compact) = obj.as_event().and_then(Compact::of) else { return Stored::Full(obj.clone()) };
        debug_assert!(compact.event() == *obj.as_event().expect("an Event"), "the compact form of {:?} makes it again", obj.key());
        Stored::Compact(compact)
    }

    /// The Event as an object (made on the first read of a compact one).
    pub(super) fn object(&self) -> &Rc<Object> {
        match self {
            Stored::Full(o) => o,
            Stored::Compact(c) => c.read.get_or_init(|| Rc::new(Object::Event(Box::new(c.event())))),
        }
    }

    /// The object, given up by the store (a replaced or deleted Event).
    pub(super) fn into_object(self) -> Rc<Object> {
        match self {
            Stored::Full(o) => o,
            Stored::Compact(mut c) => c.read.take().unwrap_or_else(|| Rc::new(Object::Event(Box::new(c.event())))),
        }
    }

    pub(super) fn resource_version(&self) -> u64 {
        match self {
            Stored::Full(o) => o.meta().resource_version.0,
            Stored::Compact(c) => c.resource_version,
        }
    }
}

/// Where a written Event is, for finding it again when its lease runs out, without
/// holding the written object for the hour: the involved object's reference (shared
/// with the recorder) and the name's stamp, or, for an Event named otherwise, the
/// written object.
pub enum EventAt {
    Stamped { involved: Rc<ObjectReference>, stamp: u64, default_namespace: bool },
    Written(Rc<Object>),
}

impl EventAt {
    /// Where `obj`, an Event just written, is.
    pub fn of(obj: &Rc<Object>) -> EventAt {
        let found = obj.as_event().and_then(|e| {
            let m = &e.metadata;
            let flag = namespace_flag(&m.namespace, &e.involved_object)?;
            Some(EventAt::Stamped { involved: e.involved_object.clone(), stamp: stamp(&m.name, &e.involved_object.name)?, default_namespace: flag != 0 })
        });
        found.unwrap_or_else(|| EventAt::Written(obj.clone()))
    }

    /// The Event's namespace and name.
    pub fn key(&self) -> (Cow<'_, str>, Cow<'_, str>) {
        match self {
            EventAt::Stamped { involved, stamp, default_namespace } => {
                let ns = if *default_namespace { "default" } else { involved.namespace.as_str() };
                (Cow::Borrowed(ns), Cow::Owned(crate::client::event_name(&involved.name, *stamp)))
            }
            EventAt::Written(o) => (Cow::Borrowed(o.meta().namespace.as_str()), Cow::Borrowed(o.meta().name.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recorded(namespace: &str, type_: &'static str) -> Event {
        let involved =
            Rc::new(ObjectReference { kind: "Pod".into(), namespace: namespace.into(), name: "web-0".into(), uid: "u".into(), api_version: "v1".into() });
        let source = Rc::new(EventSource { component: "kubelet".into(), host: "node-1".into() });
        let mut e = crate::client::event_with(involved, source, type_, "Started", "Started container web", SimTime(1500), 7);
        e.metadata.uid = "0f5c2d0e-8a4b-4c1d-9e2f-3a4b5c6d7e8f".into();
        e.metadata.resource_version.0 = 42;
        e.metadata.creation_timestamp = Some(Time(SimTime(1500)));
        e
    }

    fn stored(e: Event) -> Stored {
        Stored::of(&Rc::new(Object::Event(Box::new(e))))
    }

    #[test]
    fn a_recorded_event_is_kept_compact_and_read_back_equal() {
        for (ns, type_) in [("shop", "Normal"), ("", "Warning")] {
            let e = recorded(ns, type_);
            let s = stored(e.clone());
            assert!(matches!(s, Stored::Compact(_)));
            assert_eq!(s.resource_version(), 42);
            assert_eq!(s.object().as_event(), Some(&e));
            // The first read is kept; giving the object up hands that one over.
            let first = s.object().clone();
            assert!(Rc::ptr_eq(&first, s.object()));
            assert!(Rc::ptr_eq(&first, &s.into_object()));
            assert_eq!(e.metadata.namespace, if ns.is_empty() { "default" } else { ns });
        }
    }

    #[test]
    fn an_event_of_another_shape_is_kept_whole() {
        let mut named = recorded("shop", "Normal");
        named.metadata.name = "by-hand".into();
        let mut labelled = recorded("shop", "Normal");
        labelled.metadata.labels.insert("a".into(), "b".into());
        let mut other_type = recorded("shop", "Normal");
        other_type.type_ = "Info".into();
        let mut elsewhere = recorded("shop", "Normal");
        elsewhere.metadata.namespace = "other".into();
        let mut uncreated = recorded("shop", "Normal");
        uncreated.metadata.creation_timestamp = None;
        for e in [named, labelled, other_type, elsewhere, uncreated] {
            let s = stored(e.clone());
            assert!(matches!(s, Stored::Full(_)), "{}", e.metadata.name);
            assert_eq!(s.object().as_event(), Some(&e));
        }
        // A uid of any form, and no timestamps or reporting component, are kept exactly.
        let mut e = recorded("shop", "Normal");
        e.metadata.uid = "not-a-uuid".into();
        e.first_timestamp = None;
        e.last_timestamp = None;
        e.reporting_component = "".into();
        let s = stored(e.clone());
        assert!(matches!(s, Stored::Compact(_)));
        assert_eq!(s.object().as_event(), Some(&e));
    }

    #[test]
    fn a_stamp_is_sixteen_lowercase_hex_digits_after_the_object_and_a_dot() {
        assert_eq!(stamp("web.00000000000000ff", "web"), Some(255));
        assert_eq!(stamp("web.ffffffffffffffff", "web"), Some(u64::MAX));
        for name in
            ["web.00000000000000FF", "web.0000000000000ff", "web.000000000000000ff", "web-00000000000000ff", "webx.00000000000000ff", "web.00000000000000fg"]
        {
            assert_eq!(stamp(name, "web"), None, "{name}");
        }
    }

    #[test]
    fn an_events_place_is_its_namespace_and_name() {
        for ns in ["shop", ""] {
            let e = recorded(ns, "Normal");
            let obj = Rc::new(Object::Event(Box::new(e.clone())));
            let at = EventAt::of(&obj);
            assert!(matches!(at, EventAt::Stamped { .. }));
            let (n, name) = at.key();
            assert_eq!((&*n, &*name), (e.metadata.namespace.as_str(), e.metadata.name.as_str()));
        }
        let mut e = recorded("shop", "Normal");
        e.metadata.name = "by-hand".into();
        let at = EventAt::of(&Rc::new(Object::Event(Box::new(e))));
        assert!(matches!(at, EventAt::Written(_)));
        assert_eq!(at.key(), (Cow::Borrowed("shop"), Cow::Borrowed("by-hand")));
    }
}
