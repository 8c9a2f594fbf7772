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
//! recorders write (`client::event_with`) as [`Compact`], filed under the object it is
//! about:
//! - its name as the stamp after the object's name (`<object>.<16 hex>`, makeEvent's
//!   `%v.%x`), the object's name being the key its object's Events are filed under;
//! - its `source` as the recorder's shared `Rc`;
//! - its `involvedObject` as an `About` that the object's Events share, whoever
//!   recorded them: the namespace's one copy of its name, the object's name, its uid's
//!   128 bits and its kind's and apiVersion's places in `Words` (the recorders'
//!   `ObjectReference`, 136 bytes and three strings a pod for the hour its Events live,
//!   is let go with the recorders' own; an object of a kind made at run time, or whose
//!   uid is not canonical, keeps its Events whole);
//! - its uid as its 128 bits (the apiserver's uids are canonical);
//! - its reason as its place in the store's list of the `&'static str`s the recorders
//!   gave (`Words`, which holds the kinds and apiVersions too: one byte; a reason made at
//!   run time, or one that finds the list's 256 places taken, keeps the Event whole);
//! - its creation as a 16-bit offset in milliseconds from the stamp's moment (makeEvent
//!   stamps the recorder's clock: the stamp's milliseconds are the firstTimestamp, give
//!   or take the recorder's sequence number, and the apiserver creates the Event a
//!   request's latency later), its firstTimestamp as a 16-bit offset back from the
//!   creation (the same latency: an update keeps both) and its lastTimestamp as a
//!   32-bit offset on from the first (an Event repeated for weeks). An Event whose
//!   offsets do not fit — a creation more than 32 s from the stamp, a first timestamp
//!   more than 65 s before it, a last 49 days after it — is kept whole;
//! - its message, behind a thin pointer, shared with the other Events that say the
//!   same ("Created container: web", "Started container web", "Container image …
//!   already present on machine"): one copy, however many pods, while it holds its slot
//!   in `Messages`. A message that names its object is shared with its object's name
//!   taken out ("Successfully assigned default/\0 to node-1": one copy for the pods of
//!   a namespace bound to a node) and put back when the Event is read;
//! - its type and reporting component as bits, for they are "Normal" or "Warning" and
//!   the source's component (or nothing); its namespace is its object's (or "default"
//!   for an object without one), the `About`'s.
//!
//! The whole object is made again, once, when something reads it, and is equal to the
//! object written: in debug builds every compacted write checks it. An Event of any other
//! shape (labels, a name of its own, another type: a manifest's) is kept whole.
//!
//! Filed by object, a namespace's Events are not in name order (`web-1.…` sorts before
//! `web.…`, but `web` before `web-1`): a list sorts them, as it is rare (`kubectl get
//! events`, a namespace's deletion). Everything else finds an Event by its object's name,
//! which compares inline (`NameKey`), and its stamp. A key of the whole name held no
//! more than this does and made the density bench 7 % slower: either a copy of the name
//! in every entry, or a comparison that followed pointers to the involved object's name.

use crate::api::event::{Event, EventSource, ObjectReference};
use crate::api::meta::{EventKind, Time, TypeField, V1};
use crate::api::name::NameKey;
use crate::api::Object;
use crate::engine::SimTime;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// An Event in the recorders' shape, without its name, namespace and involved object
/// (see the module documentation): 64 bytes, so that with its stamp and `About` an
/// Event is 80 and a pod's four are one 320-byte allocation (at 96 bytes an Event,
/// they took 384).
struct Compact {
    /// The whole object, made on the first read.
    read: OnceCell<Rc<Object>>,
    source: Rc<EventSource>,
    message: SharedStr,
    /// The uid's 128 bits (`uid::canonical_bits`).
    uid: (u64, u64),
    resource_version: u64,
    /// Milliseconds from the stamp's moment (`stamp_ms`) to the creation.
    created_on: i16,
    /// Milliseconds from firstTimestamp (or the creation, without one) to the creation.
    first_back: u16,
    /// Milliseconds from firstTimestamp (or the creation) to lastTimestamp.
    last_on: u32,
    count: i32,
    /// The reason's place in `Words`.
    reason: u8,
    api_version: TypeField<V1>,
    kind: TypeField<EventKind>,
    flags: u8,
}

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Compact>() == 64 && std::mem::size_of::<Stamped>() == 80);
// An `About` with its `Rc`'s counts is 64 bytes, one allocation size class below 80.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<About>() == 48);

/// A string the compact Events share (a message, a namespace's name) behind a thin
/// pointer: 8 bytes where an `Rc<str>` is 16, for one allocation more per string shared.
type SharedStr = Rc<Box<str>>;

/// The moment, in milliseconds, of a stamp as `client::event_with` makes them (the
/// time in nanoseconds, plus the recorder's sequence number).
fn stamp_ms(stamp: u64) -> u64 {
    stamp / 1_000_000
}

/// The constants of the compact Events — their reasons, their objects' kinds and
/// apiVersions — in the order first filed: the recorders give a few dozen, so an Event
/// keeps a constant's place in this list (a byte) in place of the reference (16
/// bytes). Bounded by the constants in the code, not by the Events: an Event that would
/// need a 257th is kept whole.
#[derive(Default)]
struct Words(Vec<&'static str>);

impl Words {
    /// The place of `word`, added if it is new and there is room.
    fn place(&mut self, word: &'static str) -> Option<u8> {
        // The same constant is most often the same pointer: compared first.
        let found = self.0.iter().position(|r| std::ptr::eq(*r, word)).or_else(|| self.0.iter().position(|r| *r == word));
        let i = match found {
            Some(i) => i,
            None if self.0.len() <= usize::from(u8::MAX) => {
                self.0.push(word);
                self.0.len() - 1
            }
            None => return None,
        };
        u8::try_from(i).ok()
    }

    fn get(&self, place: u8) -> &'static str {
        self.0[usize::from(place)]
    }
}

/// The messages that Events about different objects share (with the object's name taken
/// out of those that name it, `template`): a direct-mapped cache of the last message
/// filed in each of `MESSAGE_SLOTS` slots, by the message's hash. A frequent message
/// ("Started container web") is then one copy for as long as it stays in its slot; a
/// rarer one that takes the slot
/// (another message with that hash) costs the frequent one a second copy, no more. A
/// cache rather than a set of every message: one hash and one comparison a write, no
/// bookkeeping when an Event goes, and at most `MESSAGE_SLOTS` copies kept past their
/// Events (the set's lookups, among thousands of once-only "Successfully pulled image …
/// in 1.2s" messages, cost the density bench 2 %). Enough slots for a 4,000-node
/// cluster's "Successfully assigned default/\0 to <node>" (128 KB).
struct Messages(Vec<Option<SharedStr>>);

/// The slots of `Messages` (a power of two).
const MESSAGE_SLOTS: usize = 8192;

impl Default for Messages {
    fn default() -> Self {
        Messages(vec![None; MESSAGE_SLOTS])
    }
}

/// The slot of `message` in `Messages`: std's SipHash with its fixed keys, so the same
/// slots every run (only memory depends on them).
fn message_slot(message: &str) -> usize {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    message.hash(&mut h);
    h.finish() as usize & (MESSAGE_SLOTS - 1)
}

/// `message` with each place it names `object` marked by a NUL (`untemplate` puts the
/// name back: exactly, as the message has no NUL of its own), if it names it.
fn template(message: &str, object: &str) -> Option<String> {
    let named = !object.is_empty() && message.contains(object) && !message.contains('\0') && !object.contains('\0');
    named.then(|| message.replace(object, "\0"))
}

/// The message of a `template` about `object`.
fn untemplate(template: &str, object: &str) -> String {
    template.replace('\0', object)
}

impl Messages {
    /// The message of an Event about `object` as the compact form keeps it: the shared
    /// copy, and whether it is the message's `template`.
    fn of(&mut self, message: &str, object: &str) -> (SharedStr, bool) {
        let template = template(message, object);
        let kept = template.as_deref().unwrap_or(message);
        let slot = &mut self.0[message_slot(kept)];
        let shared = match slot {
            Some(m) if ***m == *kept => m.clone(),
            _ => slot.insert(Rc::new(kept.into())).clone(),
        };
        (shared, template.is_some())
    }
}

/// type is "Warning" (otherwise "Normal").
const WARNING: u8 = 2;
/// firstTimestamp is set.
const FIRST: u8 = 4;
/// lastTimestamp is set.
const LAST: u8 = 8;
/// reportingComponent is the source's component (otherwise empty).
const REPORTING: u8 = 16;
/// The message is kept as its `template`.
const TEMPLATE: u8 = 32;

/// A name's parts as the recorders make it: `<object>.<16 lowercase hex digits>`
/// (the digits read as `UidKey`'s are, eight at a time).
fn split(name: &str) -> Option<(&str, u64)> {
    let at = name.len().checked_sub(17)?;
    let object = name.get(..at)?;
    let (dot, digits) = name.as_bytes()[at..].split_first()?;
    if *dot != b'.' {
        return None;
    }
    Some((object, crate::api::uid::hex16(digits.try_into().ok()?)?))
}

/// Whether an Event in `namespace` about `involved` is where the recorders put it: in
/// its object's namespace, or "default" for an object without one (`About` names it).
fn namespace_fits(namespace: &str, involved: &ObjectReference) -> bool {
    if involved.namespace.is_empty() {
        namespace == "default"
    } else {
        namespace == involved.namespace
    }
}

/// What the compact form of an Event keeps that telling whether it has one works out:
/// the uid's bits, the timestamps' offsets (`offsets`), the reason's place and the
/// object it is about.
struct Fits {
    uid: (u64, u64),
    created_on: i16,
    offsets: (u16, u32),
    reason: u8,
    about: Involved,
}

/// What an `About` keeps of an involvedObject (its name and namespace are the Event's
/// key's): the uid's bits, the kind's and apiVersion's places in `Words`, and whether it
/// has no namespace.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Involved {
    uid: (u64, u64),
    kind: u8,
    api_version: u8,
    cluster_scoped: bool,
}

/// The object the compact Events of one name are about, kept in place of the
/// recorders' `ObjectReference` (136 bytes and three strings, for the hour its Events
/// live, where the recorders let theirs go with the object), and shared with their
/// places in the apiserver's TTL queue (`EventAt`): its namespace (the namespace's one
/// copy), its name, and what `Involved` keeps. The reference is made again on a read.
pub struct About {
    namespace: SharedStr,
    name: Box<str>,
    involved: Involved,
}

impl About {
    /// The involvedObject again.
    fn reference(&self, words: &Words) -> ObjectReference {
        let i = &self.involved;
        ObjectReference {
            kind: Cow::Borrowed(words.get(i.kind)),
            namespace: if i.cluster_scoped { String::new() } else { self.namespace.to_string() },
            name: self.name.to_string(),
            uid: crate::api::uid::canonical_text(i.uid),
            api_version: Cow::Borrowed(words.get(i.api_version)),
        }
    }
}

/// Whether `e`, whose name splits into `object` and `stamp`, has the shape the compact
/// form covers, and if so what it keeps of the uid, timestamps and reason (the reason
/// given its place in `words` if it has none yet, and so the object's kind and
/// apiVersion).
fn compactable(e: &Event, object: &str, stamp: u64, words: &mut Words) -> Option<Fits> {
    let m = &e.metadata;
    let plain = m.generate_name.is_empty() && m.labels.is_empty() && m.annotations.is_empty() && m.owner_references.is_empty() && *m.rare == Default::default();
    let reporting = e.reporting_component.is_empty() || e.reporting_component == e.source.component;
    let typed = matches!(&*e.type_, "Normal" | "Warning");
    let shaped = plain
        && reporting
        && typed
        && matches!(e.reason, Cow::Borrowed(_))
        && object == e.involved_object.name
        && namespace_fits(&m.namespace, &e.involved_object);
    if !shaped {
        return None;
    }
    let created = m.creation_timestamp?.0.as_ms();
    let created_on = i16::try_from(i128::from(created) - i128::from(stamp_ms(stamp))).ok()?;
    let offsets = offsets(e, SimTime(created))?;
    let uid = crate::api::uid::canonical_bits(&m.uid)?;
    let i = &e.involved_object;
    let about_uid = crate::api::uid::canonical_bits(&i.uid)?;
    let (Cow::Borrowed(reason), Cow::Borrowed(kind), Cow::Borrowed(api_version)) = (&e.reason, &i.kind, &i.api_version) else {
        return None;
    };
    let (reason, kind, api_version) = (words.place(reason)?, words.place(kind)?, words.place(api_version)?);
    let about = Involved { uid: about_uid, kind, api_version, cluster_scoped: i.namespace.is_empty() };
    Some(Fits { uid, created_on, offsets, reason, about })
}

/// The timestamps of `e`, created at `created`, as offsets: (first back from the
/// creation, last on from the first), if they fit 16 and 32 bits.
fn offsets(e: &Event, created: SimTime) -> Option<(u16, u32)> {
    let base = e.first_timestamp.map_or(created, |t| t.0);
    let first_back = u16::try_from(created.as_ms().checked_sub(base.as_ms())?).ok()?;
    let last_on = match e.last_timestamp {
        Some(t) => u32::try_from(t.0.as_ms().checked_sub(base.as_ms())?).ok()?,
        None => 0,
    };
    Some((first_back, last_on))
}

impl Compact {
    /// The compact form of `e`, which is `compactable` (`fits`), its message shared
    /// through `messages` if it is one to share.
    fn of(e: &Event, fits: Fits, messages: &mut Messages) -> Compact {
        let m = &e.metadata;
        let mut flags = 0;
        if e.type_ == "Warning" {
            flags |= WARNING;
        }
        if !e.reporting_component.is_empty() {
            flags |= REPORTING;
        }
        if e.first_timestamp.is_some() {
            flags |= FIRST;
        }
        if e.last_timestamp.is_some() {
            flags |= LAST;
        }
        let (first_back, last_on) = fits.offsets;
        let (message, templated) = messages.of(&e.message, &e.involved_object.name);
        if templated {
            flags |= TEMPLATE;
        }
        Compact {
            read: OnceCell::new(),
            created_on: fits.created_on,
            source: e.source.clone(),
            reason: fits.reason,
            message,
            uid: fits.uid,
            resource_version: m.resource_version.0,
            first_back,
            last_on,
            count: e.count,
            api_version: e.api_version,
            kind: e.kind,
            flags,
        }
    }

    /// The Event again (its constants' places in `words`).
    fn event(&self, about: &About, stamp: u64, words: &Words) -> Event {
        // (compactable checked that the creation is a moment: the sum is in range.)
        let created = SimTime(stamp_ms(stamp).wrapping_add_signed(i64::from(self.created_on)));
        let first = SimTime(created.as_ms() - u64::from(self.first_back));
        let mut e = Event {
            api_version: self.api_version,
            kind: self.kind,
            involved_object: Rc::new(about.reference(words)),
            reason: Cow::Borrowed(words.get(self.reason)),
            message: if self.flags & TEMPLATE != 0 { untemplate(&self.message, &about.name) } else { self.message.to_string() },
            first_timestamp: (self.flags & FIRST != 0).then_some(Time(first)),
            last_timestamp: (self.flags & LAST != 0).then_some(Time(SimTime(first.as_ms() + u64::from(self.last_on)))),
            count: self.count,
            type_: if self.flags & WARNING != 0 { "Warning" } else { "Normal" }.into(),
            reporting_component: if self.flags & REPORTING != 0 { self.source.component.clone() } else { Cow::Borrowed("") },
            source: self.source.clone(),
            ..Event::default()
        };
        let m = &mut e.metadata;
        m.name = crate::client::event_name(&about.name, stamp);
        m.namespace = about.namespace.to_string();
        m.uid = crate::api::uid::canonical_text(self.uid);
        m.resource_version.0 = self.resource_version;
        m.creation_timestamp = Some(Time(created));
        e
    }
}

/// A compact Event filed under its object's name.
struct Stamped {
    stamp: u64,
    about: Rc<About>,
    event: Compact,
}

impl Stamped {
    fn object(&self, words: &Words) -> &Rc<Object> {
        self.event.read.get_or_init(|| Rc::new(Object::Event(Box::new(self.event.event(&self.about, self.stamp, words)))))
    }

    fn into_object(mut self, words: &Words) -> Rc<Object> {
        match self.event.read.take() {
            Some(o) => o,
            None => Rc::new(Object::Event(Box::new(self.event.event(&self.about, self.stamp, words)))),
        }
    }
}

/// The Events of one namespace.
struct InNamespace {
    /// The namespace (its one copy, which its `About`s share).
    name: SharedStr,
    /// Compact Events by their object's name, then stamp (each object's in stamp order).
    stamped: BTreeMap<NameKey, Vec<Stamped>>,
    /// Every other Event, whole, by name.
    whole: BTreeMap<NameKey, Rc<Object>>,
}

impl InNamespace {
    fn stamped(&self, object: &str, stamp: u64) -> Option<&Stamped> {
        let of = self.stamped.get(&NameKey::new(object))?;
        of.binary_search_by_key(&stamp, |s| s.stamp).ok().map(|i| &of[i])
    }

    fn get(&self, name: &str, words: &Words) -> Option<&Rc<Object>> {
        let compact = split(name).and_then(|(object, stamp)| self.stamped(object, stamp)).map(|s| s.object(words));
        compact.or_else(|| self.whole.get(&NameKey::new(name)))
    }

    fn resource_version(&self, name: &str) -> Option<u64> {
        match split(name).and_then(|(object, stamp)| self.stamped(object, stamp)) {
            Some(s) => Some(s.event.resource_version),
            None => self.whole.get(&NameKey::new(name)).map(|o| o.meta().resource_version.0),
        }
    }

    fn remove(&mut self, name: &str, words: &Words) -> Option<Rc<Object>> {
        if let Some((object, stamp)) = split(name) {
            let key = NameKey::new(object);
            if let Some(of) = self.stamped.get_mut(&key) {
                if let Ok(i) = of.binary_search_by_key(&stamp, |s| s.stamp) {
                    let s = of.remove(i);
                    if of.is_empty() {
                        self.stamped.remove(&key);
                    } else {
                        of.shrink_to_fit();
                    }
                    return Some(s.into_object(words));
                }
            }
        }
        self.whole.remove(&NameKey::new(name))
    }

    /// Files `obj`, an Event, unless its name is taken (the name split once for both);
    /// for a compact one, its stamp and what the store keeps of its object.
    fn insert_new(&mut self, obj: &Rc<Object>, messages: &mut Messages, words: &mut Words) -> Result<Option<(u64, Rc<About>)>, ()> {
        let name = &obj.meta().name;
        let parts = split(name);
        if parts.and_then(|(object, stamp)| self.stamped(object, stamp)).is_some() || self.whole.contains_key(&NameKey::new(name)) {
            return Err(());
        }
        let stamped = obj.as_event().zip(parts).and_then(|(e, (object, stamp))| Some((e, stamp, compactable(e, object, stamp, words)?)));
        let Some((e, stamp, fits)) = stamped else {
            self.whole.insert(NameKey::new(name), obj.clone());
            return Ok(None);
        };
        let of = self.stamped.entry(NameKey::new(&e.involved_object.name)).or_default();
        // The object's Events share one `About`, whoever recorded them (the scheduler's
        // Scheduled and the kubelet's Pulled, Created, Started); another object of the
        // name (another uid: a pod made again) has its own.
        let kept = of.iter().find(|x| x.about.involved == fits.about).map(|x| x.about.clone());
        let about = kept.unwrap_or_else(|| Rc::new(About { namespace: self.name.clone(), name: e.involved_object.name.as_str().into(), involved: fits.about }));
        let s = Stamped { stamp, about: about.clone(), event: Compact::of(e, fits, messages) };
        debug_assert!(**s.object(words) == **obj, "the compact form of {:?} makes it again", obj.key());
        let at = of.partition_point(|x| x.stamp < stamp);
        // An object has a handful of Events: room for exactly one more, not twice as
        // many (most pods' would leave three of eight places empty).
        of.reserve_exact(1);
        of.insert(at, s);
        Ok(Some((stamp, about)))
    }

    fn is_empty(&self) -> bool {
        self.stamped.is_empty() && self.whole.is_empty()
    }
}

/// The store's Events, by namespace.
#[derive(Default)]
pub(super) struct Events {
    by_ns: BTreeMap<String, InNamespace>,
    /// The messages the compact Events share.
    messages: Messages,
    /// The compact Events' constants.
    words: Words,
    /// The last compact Event filed: the writer's reference, the stamp, and the
    /// `About` kept (what `at` gives for it, without looking it up again).
    last: Option<(Rc<ObjectReference>, u64, Rc<About>)>,
    len: usize,
}

impl Events {
    pub(super) fn len(&self) -> usize {
        self.len
    }

    pub(super) fn get(&self, namespace: &str, name: &str) -> Option<&Rc<Object>> {
        self.by_ns.get(namespace)?.get(name, &self.words)
    }

    pub(super) fn resource_version(&self, namespace: &str, name: &str) -> Option<u64> {
        self.by_ns.get(namespace)?.resource_version(name)
    }

    /// The resourceVersion of the Event at `at`, found without making its name (unless
    /// it is kept whole).
    pub(super) fn resource_version_at(&self, at: &EventAt) -> Option<u64> {
        match at {
            EventAt::Stamped { about, stamp } => {
                let in_ns = self.by_ns.get(&**about.namespace)?;
                match in_ns.stamped(&about.name, *stamp) {
                    Some(s) => Some(s.event.resource_version),
                    None => in_ns.whole.get(&NameKey::new(&crate::client::event_name(&about.name, *stamp))).map(|o| o.meta().resource_version.0),
                }
            }
            EventAt::Written(o) => self.resource_version(&o.meta().namespace, &o.meta().name),
        }
    }

    /// Adds `obj`, an Event, unless its name is taken.
    pub(super) fn insert_new(&mut self, obj: &Rc<Object>) -> Result<(), ()> {
        let m = obj.meta();
        let in_ns = match self.by_ns.get_mut(m.namespace.as_str()) {
            Some(n) => n,
            None => self.by_ns.entry(m.namespace.clone()).or_insert_with(|| InNamespace {
                name: Rc::new(m.namespace.as_str().into()),
                stamped: BTreeMap::new(),
                whole: BTreeMap::new(),
            }),
        };
        let kept = in_ns.insert_new(obj, &mut self.messages, &mut self.words)?;
        // (A compact Event's writer's reference is its involvedObject.)
        self.last = kept.zip(obj.as_event()).map(|((stamp, kept), e)| (e.involved_object.clone(), stamp, kept));
        self.len += 1;
        Ok(())
    }

    pub(super) fn remove(&mut self, namespace: &str, name: &str) -> Option<Rc<Object>> {
        let in_ns = self.by_ns.get_mut(namespace)?;
        let gone = in_ns.remove(name, &self.words)?;
        self.last = None;
        if in_ns.is_empty() {
            self.by_ns.remove(namespace);
        }
        self.len -= 1;
        Some(gone)
    }

    /// Every Event as an object, in (namespace, name) order.
    pub(super) fn objects(&self) -> Vec<&Rc<Object>> {
        let mut out = Vec::with_capacity(self.len);
        for in_ns in self.by_ns.values() {
            let from = out.len();
            out.extend(in_ns.stamped.values().flatten().map(|s| s.object(&self.words)));
            out.extend(in_ns.whole.values());
            out[from..].sort_unstable_by(|a, b| a.meta().name.cmp(&b.meta().name));
        }
        out
    }
}

/// Where a written Event is, for finding it again when its lease runs out, without
/// holding the written object for the hour: for an Event the store keeps compact, what
/// it keeps of its object (`About`, shared with its other Events) and the name's stamp;
/// for any other, the written object (which the store holds). 16 bytes: one per Event
/// written in the last hour.
pub enum EventAt {
    Stamped { about: Rc<About>, stamp: u64 },
    Written(Rc<Object>),
}

impl Events {
    /// Where `obj`, an Event just written, is.
    pub(super) fn at(&self, obj: &Rc<Object>) -> EventAt {
        let compact = obj.as_event().and_then(|e| {
            let (object, stamp) = split(&e.metadata.name)?;
            if let Some((writer, s, kept)) = &self.last {
                if *s == stamp && Rc::ptr_eq(writer, &e.involved_object) {
                    return Some(EventAt::Stamped { about: kept.clone(), stamp });
                }
            }
            // (A name is one Event's in its namespace: the one filed under it is this.)
            let s = self.by_ns.get(e.metadata.namespace.as_str())?.stamped(object, stamp)?;
            Some(EventAt::Stamped { about: s.about.clone(), stamp })
        });
        compact.unwrap_or_else(|| EventAt::Written(obj.clone()))
    }
}

impl EventAt {
    /// The Event's namespace and name.
    pub fn key(&self) -> (Cow<'_, str>, Cow<'_, str>) {
        match self {
            EventAt::Stamped { about, stamp } => (Cow::Borrowed(&**about.namespace), Cow::Owned(crate::client::event_name(&about.name, *stamp))),
            EventAt::Written(o) => (Cow::Borrowed(o.meta().namespace.as_str()), Cow::Borrowed(o.meta().name.as_str())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POD_UID: &str = "6a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    fn recorded(namespace: &str, object: &str, type_: &'static str, t: u64) -> Event {
        let involved =
            Rc::new(ObjectReference { kind: "Pod".into(), namespace: namespace.into(), name: object.into(), uid: POD_UID.into(), api_version: "v1".into() });
        let source = Rc::new(EventSource { component: "kubelet".into(), host: "node-1".into() });
        let mut e = crate::client::event_with(involved, source, type_, "Started", "Started container web", SimTime(t), 7);
        e.metadata.uid = "0f5c2d0e-8a4b-4c1d-9e2f-3a4b5c6d7e8f".into();
        e.metadata.resource_version.0 = 42;
        e.metadata.creation_timestamp = Some(Time(SimTime(t)));
        e
    }

    fn object(e: &Event) -> Rc<Object> {
        Rc::new(Object::Event(Box::new(e.clone())))
    }

    #[test]
    fn a_recorded_event_is_kept_compact_and_read_back_equal() {
        for (ns, type_) in [("shop", "Normal"), ("", "Warning")] {
            let e = recorded(ns, "web-0", type_, 1500);
            let ns = e.metadata.namespace.clone();
            assert_eq!(ns, if type_ == "Normal" { "shop" } else { "default" });
            let mut events = Events::default();
            events.insert_new(&object(&e)).unwrap();
            assert_eq!(events.insert_new(&object(&e)), Err(()), "the name is taken");
            let in_ns = &events.by_ns[&ns];
            assert_eq!((in_ns.stamped.len(), in_ns.whole.len()), (1, 0));
            assert_eq!(events.resource_version(&ns, &e.metadata.name), Some(42));
            let got = events.get(&ns, &e.metadata.name).unwrap().clone();
            assert_eq!(got.as_event(), Some(&e));
            // The first read is kept; removing the Event hands that one over.
            assert!(Rc::ptr_eq(&got, events.get(&ns, &e.metadata.name).unwrap()));
            assert!(Rc::ptr_eq(&got, &events.remove(&ns, &e.metadata.name).unwrap()));
            assert_eq!(events.len(), 0);
            assert!(events.by_ns.is_empty());
            // Removed unread, it is made then.
            events.insert_new(&object(&e)).unwrap();
            assert_eq!(events.remove(&ns, &e.metadata.name).unwrap().as_event(), Some(&e));
        }
    }

    #[test]
    fn an_event_of_another_shape_is_kept_whole() {
        let plain = || recorded("shop", "web-0", "Normal", 1500);
        let mut named = plain();
        named.metadata.name = "by-hand".into();
        let mut other_object = plain();
        other_object.metadata.name = "web-1.0000000000000001".into();
        let mut labelled = plain();
        labelled.metadata.labels.insert("a".into(), "b".into());
        let mut other_type = plain();
        other_type.type_ = "Info".into();
        let mut other_reporter = plain();
        other_reporter.reporting_component = "someone".into();
        let mut elsewhere = plain();
        elsewhere.metadata.namespace = "other".into();
        let mut uncreated = plain();
        uncreated.metadata.creation_timestamp = None;
        let mut any_uid = plain();
        any_uid.metadata.uid = "not-a-uuid".into();
        let mut made_reason = plain();
        made_reason.reason = Cow::Owned("Started".into());
        // Offsets that do not fit their bits (16 of milliseconds from the first
        // timestamp back to the creation, 32 from the first on to the last), or run
        // backwards.
        let mut long_ago = plain();
        long_ago.metadata.creation_timestamp = Some(Time(SimTime(1500 + (1 << 32))));
        let mut long_after = plain();
        long_after.last_timestamp = Some(Time(SimTime(1500 + (1 << 32))));
        let stamped_at = |ms: u64| crate::client::event_name("web-0", ms * 1_000_000 + 7);
        let mut first_long_before = plain();
        first_long_before.metadata.creation_timestamp = Some(Time(SimTime(70_000)));
        first_long_before.metadata.name = stamped_at(70_000);
        first_long_before.first_timestamp = Some(Time(SimTime(70_000 - (1 << 16))));
        let mut first_after_creation = plain();
        first_after_creation.first_timestamp = Some(Time(SimTime(1501)));
        let mut last_before_first = plain();
        last_before_first.last_timestamp = Some(Time(SimTime(1499)));
        // A creation more than 2¹⁵ ms from the stamp's moment (1500 ms), either way.
        let mut created_long_after_stamp = plain();
        created_long_after_stamp.metadata.creation_timestamp = Some(Time(SimTime(1500 + (1 << 15))));
        let mut created_long_before_stamp = plain();
        created_long_before_stamp.metadata.name = stamped_at(1500 + (1 << 15) + 1);
        let shapes = [
            named,
            other_object,
            labelled,
            other_type,
            other_reporter,
            elsewhere,
            uncreated,
            any_uid,
            made_reason,
            long_ago,
            long_after,
            first_long_before,
            first_after_creation,
            last_before_first,
            created_long_after_stamp,
            created_long_before_stamp,
        ];
        for e in shapes {
            let mut events = Events::default();
            events.insert_new(&object(&e)).unwrap();
            let in_ns = &events.by_ns[&e.metadata.namespace];
            assert_eq!((in_ns.stamped.len(), in_ns.whole.len()), (0, 1), "{}", e.metadata.name);
            assert_eq!(events.get(&e.metadata.namespace, &e.metadata.name).unwrap().as_event(), Some(&e));
        }
        // No timestamps, or no reporting component, or the largest offsets, are kept
        // exactly.
        let mut bare = plain();
        bare.first_timestamp = None;
        bare.last_timestamp = None;
        bare.reporting_component = "".into();
        let mut last_only = plain();
        last_only.first_timestamp = None;
        last_only.last_timestamp = Some(Time(SimTime(1500 + u64::from(u32::MAX))));
        let mut widest = plain();
        widest.first_timestamp = Some(Time(SimTime(7)));
        widest.metadata.creation_timestamp = Some(Time(SimTime(7 + u64::from(u16::MAX))));
        widest.last_timestamp = Some(Time(SimTime(7 + u64::from(u32::MAX))));
        widest.metadata.name = stamped_at(7 + u64::from(u16::MAX) - (1 << 15) + 1);
        let mut created_before_stamp = plain();
        created_before_stamp.metadata.name = stamped_at(1500 + (1 << 15));
        for e in [bare, last_only, widest, created_before_stamp] {
            let mut events = Events::default();
            events.insert_new(&object(&e)).unwrap();
            assert_eq!(events.by_ns["shop"].stamped.len(), 1);
            assert_eq!(events.get("shop", &e.metadata.name).unwrap().as_event(), Some(&e));
        }
    }

    /// An Event keeps its reason's place among the constants filed: 256 fit a byte (the
    /// object's kind and apiVersion take two), the 255th reason keeps its Event whole;
    /// an equal reason at another address takes the same place.
    #[test]
    fn reasons_take_a_place_each_and_the_255th_keeps_its_event_whole() {
        let mut events = Events::default();
        for i in 0..255u64 {
            let mut e = recorded("shop", "web-0", "Normal", 1500 + i);
            e.reason = Cow::Borrowed(Box::leak(format!("Reason{i}").into_boxed_str()));
            events.insert_new(&object(&e)).unwrap();
            assert_eq!(events.get("shop", &e.metadata.name).unwrap().as_event(), Some(&e));
        }
        let in_ns = &events.by_ns["shop"];
        assert_eq!((in_ns.stamped[&NameKey::new("web-0")].len(), in_ns.whole.len()), (254, 1));
        assert_eq!(events.words.0.len(), 256);
        let mut again = recorded("shop", "web-0", "Normal", 2000);
        again.reason = Cow::Borrowed(Box::leak("Reason3".to_string().into_boxed_str()));
        events.insert_new(&object(&again)).unwrap();
        assert_eq!(events.by_ns["shop"].stamped[&NameKey::new("web-0")].len(), 255, "a known reason, at another address");
        assert_eq!(events.words.0.len(), 256);
        assert_eq!(events.get("shop", &again.metadata.name).unwrap().as_event(), Some(&again));
    }

    /// Events about one object recorded by different components (each with its own
    /// reference to the object, equal) share one `About`, and so does the TTL queue's
    /// place of each; another object of the name (another uid) has its own. The
    /// recorders' references are not kept.
    #[test]
    fn an_objects_events_share_one_about_whoever_wrote_them() {
        let scheduled = recorded("shop", "web-0", "Normal", 1400);
        let mut started = recorded("shop", "web-0", "Normal", 1500);
        started.involved_object = Rc::new((*scheduled.involved_object).clone());
        let mut other = recorded("shop", "web-0", "Normal", 1600);
        Rc::make_mut(&mut other.involved_object).uid = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e".into();
        let mut events = Events::default();
        let written: Vec<Rc<Object>> = [&scheduled, &started, &other].iter().map(|e| object(e)).collect();
        for w in &written {
            events.insert_new(w).unwrap();
        }
        let kept: Vec<&Rc<About>> = events.by_ns["shop"].stamped[&NameKey::new("web-0")].iter().map(|s| &s.about).collect();
        assert!(Rc::ptr_eq(kept[0], kept[1]));
        assert!(!Rc::ptr_eq(kept[0], kept[2]), "another object of that name has its own");
        assert_eq!(Rc::strong_count(&scheduled.involved_object), 2, "held by the test's Event and its written copy alone");
        let EventAt::Stamped { about, stamp } = events.at(&written[1]) else { panic!("a stamped Event") };
        assert!(Rc::ptr_eq(&about, kept[0]));
        assert_eq!(events.resource_version_at(&EventAt::Stamped { about, stamp }), Some(42));
        for (w, e) in written.iter().zip([&scheduled, &started, &other]) {
            assert_eq!(events.get("shop", &w.meta().name).unwrap().as_event(), Some(e));
        }
        // The place of the Event just filed (the apiserver asks at once) is found
        // without a lookup.
        let mut pulled = recorded("shop", "web-0", "Normal", 1700);
        pulled.involved_object = Rc::new((*scheduled.involved_object).clone());
        let w = object(&pulled);
        events.insert_new(&w).unwrap();
        let first = events.by_ns["shop"].stamped[&NameKey::new("web-0")][0].about.clone();
        assert!(events.last.as_ref().is_some_and(|(writer, _, kept)| Rc::ptr_eq(writer, &pulled.involved_object) && Rc::ptr_eq(kept, &first)));
        let EventAt::Stamped { about, .. } = events.at(&w) else { panic!("a stamped Event") };
        assert!(Rc::ptr_eq(&about, &first));
        // An object of another kind, or one without a namespace (a Node: its Events are
        // in "default"), is made again as it was.
        let mut node = recorded("", "web-0", "Warning", 1800);
        let involved = Rc::make_mut(&mut node.involved_object);
        involved.kind = "Node".into();
        involved.uid = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f".into();
        events.insert_new(&object(&node)).unwrap();
        assert_eq!(events.by_ns["default"].stamped.len(), 1);
        assert_eq!(events.get("default", &node.metadata.name).unwrap().as_event(), Some(&node));
    }

    /// A message that does not name its object is one copy however many Events say it;
    /// one that names its object is its Event's alone, and takes no slot.
    #[test]
    fn messages_are_shared_with_their_objects_name_taken_out() {
        let mut events = Events::default();
        let about = |pod: &str, message: &str, t: u64| {
            let mut e = recorded("shop", pod, "Normal", t);
            e.message = message.into();
            e
        };
        let said = [
            about("web-0", "Started container web", 1500),
            about("web-1", "Started container web", 1500),
            about("web-1", "Scheduled web-1 to node-1", 1400),
            about("web-0", "Scheduled web-0 to node-1", 1400),
            // Named twice, and as part of a longer name: each place marked, and put back.
            about("web-2", "web-2 is web-2, not web-2x", 1400),
            // A message with a NUL of its own is kept as it is.
            about("web-3", "web-3 says \0", 1400),
        ];
        for e in &said {
            events.insert_new(&object(e)).unwrap();
        }
        let of = |events: &Events, pod: &str| -> Vec<SharedStr> {
            events.by_ns["shop"].stamped[&NameKey::new(pod)].iter().map(|s| s.event.message.clone()).collect()
        };
        let (a, b) = (of(&events, "web-0"), of(&events, "web-1"));
        for m in &a {
            assert!(b.iter().any(|n| Rc::ptr_eq(m, n)), "one copy of {m:?}");
        }
        let mut kept: Vec<&str> = events.messages.0.iter().flatten().map(|m| &***m).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["\0 is \0, not \0x", "Scheduled \0 to node-1", "Started container web", "web-3 says \0"]);
        drop((a, b));
        // Each read gives the Event as written, and so does each removal.
        for e in &said {
            assert_eq!(events.get("shop", &e.metadata.name).unwrap().as_event(), Some(e));
        }
        for e in &said {
            assert_eq!(events.remove("shop", &e.metadata.name).unwrap().as_event(), Some(e));
        }
        assert_eq!(events.len(), 0);
        // A message that takes a frequent one's slot: each is still said right.
        let mut m = Messages::default();
        let first = m.of("Started container web", "web-0").0;
        assert!(Rc::ptr_eq(&first, &m.of("Started container web", "web-1").0));
        let rival = (0..100_000).map(|i| format!("rival {i}")).find(|r| message_slot(r) == message_slot("Started container web")).unwrap();
        assert_eq!(&**m.of(&rival, "web-2").0, rival);
        let again = m.of("Started container web", "web-3").0;
        assert_eq!(&**again, "Started container web");
        assert!(!Rc::ptr_eq(&first, &again), "the slot was taken: a second copy");
    }

    #[test]
    fn a_name_splits_at_a_dot_and_sixteen_lowercase_hex_digits() {
        assert_eq!(split("web.00000000000000ff"), Some(("web", 255)));
        assert_eq!(split(".ffffffffffffffff"), Some(("", u64::MAX)));
        assert_eq!(split("a.b.00000000000000ff"), Some(("a.b", 255)));
        assert_eq!(split("é.00000000000000ff"), Some(("é", 255)));
        for name in ["web.00000000000000FF", "web.0000000000000ff", "web-00000000000000ff", "web.00000000000000fg", "ffffffffffffffff", "", "é0000000000000000"]
        {
            assert_eq!(split(name), None, "{name}");
        }
    }

    proptest::proptest! {
        /// Filed by object, Events still list in name order, found and removed by name,
        /// however their names are made: by recorders about objects whose names are
        /// prefixes of each other's, or by hand.
        #[test]
        fn events_list_in_name_order_and_are_found_by_name(
            made in proptest::collection::vec(("[ab.0f-]{0,4}", proptest::prop_oneof![0u64..20, proptest::prelude::any::<u64>()], proptest::prelude::any::<bool>()), 1..24),
        ) {
            let mut events = Events::default();
            let mut names = std::collections::BTreeSet::new();
            for (object_name, stamp, by_hand) in &made {
                let mut e = recorded("shop", object_name, "Normal", 1);
                e.metadata.name = if *by_hand { format!("{object_name}.{stamp}") } else { crate::client::event_name(object_name, *stamp) };
                let fresh = names.insert(e.metadata.name.clone());
                proptest::prop_assert_eq!(events.insert_new(&object(&e)).is_ok(), fresh);
            }
            let listed: Vec<&str> = events.objects().into_iter().map(|o| o.meta().name.as_str()).collect();
            proptest::prop_assert_eq!(listed, names.iter().map(String::as_str).collect::<Vec<_>>());
            for n in &names {
                proptest::prop_assert_eq!(events.get("shop", n).map(|o| o.meta().name.as_str()), Some(n.as_str()));
                proptest::prop_assert!(events.remove("shop", n).is_some());
                proptest::prop_assert!(events.get("shop", n).is_none());
            }
            proptest::prop_assert_eq!(events.len(), 0);
        }
    }

    #[test]
    fn an_events_place_finds_it_without_its_name() {
        let mut events = Events::default();
        for ns in ["shop", ""] {
            let e = recorded(ns, "web-0", "Normal", 1500);
            let obj = object(&e);
            events.insert_new(&obj).unwrap();
            let at = events.at(&obj);
            assert!(matches!(at, EventAt::Stamped { .. }));
            let (n, name) = at.key();
            assert_eq!((&*n, &*name), (e.metadata.namespace.as_str(), e.metadata.name.as_str()));
            assert_eq!(events.resource_version_at(&at), Some(42));
        }
        // The apiserver's expiry queue holds one per Event write of the last hour.
        assert_eq!(std::mem::size_of::<EventAt>(), 16);
        // Named otherwise, or kept whole under a stamped name: found all the same.
        let mut by_hand = recorded("shop", "web-0", "Normal", 1500);
        by_hand.metadata.name = "by-hand".into();
        let mut labelled = recorded("shop", "web-0", "Normal", 2500);
        labelled.metadata.labels.insert("a".into(), "b".into());
        for e in [by_hand, labelled] {
            let obj = object(&e);
            events.insert_new(&obj).unwrap();
            let at = events.at(&obj);
            assert!(matches!(at, EventAt::Written(_)));
            assert_eq!(at.key(), (Cow::Borrowed("shop"), Cow::Borrowed(e.metadata.name.as_str())));
            assert_eq!(events.resource_version_at(&at), Some(42));
        }
        assert_eq!(events.len(), 4);
    }
}
