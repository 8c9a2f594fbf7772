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
//! recorders write (`client::event_with`) as [`Compact`], 48 bytes, filed with the
//! other Events about its object in one allocation (a [`Group`], under the object's
//! name):
//! - its name as the stamp after the object's name (`<object>.<16 hex>`, makeEvent's
//!   `%v.%x`), the object's name being the key its group is filed under;
//! - its `source` as its place in the store's list of the recorders' sources
//!   (`Sources`: a kubelet's, kube-scheduler's, each controller's; two bytes, where the
//!   recorder's shared `Rc` took eight — an Event whose source would be the 65,537th is
//!   kept whole);
//! - its `involvedObject` as the group's `About`, which the object's Events share,
//!   whoever recorded them: the namespace's one copy of its name, the object's name,
//!   its uid's 128 bits and its kind's and apiVersion's places in `Words` (the
//!   recorders' `ObjectReference`, 88 bytes with its `Rc`'s counts a pod for the hour its
//!   Events live, is let go with the recorders' own; an object of a kind made at run
//!   time, or whose uid is not canonical, keeps its Events whole, and so does another
//!   object of the name while the first's group has Events);
//! - its uid as its 128 bits (the apiserver's uids are canonical);
//! - its resourceVersion as its low 32 bits, the high ones the group's (an Event whose
//!   high bits are not its group's is kept whole: a group written across the 2³²nd
//!   revision);
//! - its count in 16 bits (a larger one keeps it whole);
//! - its reason as its place in the store's list of the `&'static str`s the recorders
//!   gave (`Words`, which holds the kinds and apiVersions too: one byte; a reason made at
//!   run time, or one that finds the list's 256 places taken, keeps the Event whole);
//! - its creation as an 8-bit offset in milliseconds from the stamp's moment (makeEvent
//!   stamps the recorder's clock: the stamp's milliseconds are the firstTimestamp, give
//!   or take the recorder's sequence number, and the apiserver creates the Event a
//!   request's latency later: 1 ms by default), its firstTimestamp as an 8-bit offset
//!   back from the creation (the same latency: an update keeps both) and its
//!   lastTimestamp as a 32-bit offset on from the first (an Event repeated for weeks).
//!   An Event whose offsets do not fit — a creation more than 127 ms from the stamp, a
//!   first timestamp more than 255 ms before it (a scenario's slow requests), a last 49
//!   days after it — is kept whole;
//! - its message, behind a thin pointer, shared with the other Events that say the
//!   same ("Created container: web", "Started container web", "Container image …
//!   already present on machine"): one copy, however many pods, while it holds its slot
//!   in `Messages`. A message that names its object is shared with its object's name
//!   taken out ("Successfully assigned default/\0 to node-1": one copy for the pods of
//!   a namespace bound to a node) and put back when the Event is read;
//! - its type, reporting component, apiVersion and kind as bits, for they are "Normal"
//!   or "Warning", the source's component (or nothing), "v1" and "Event" (or nothing:
//!   `TypeField`); its namespace is its object's (or "default" for an object without
//!   one), the `About`'s.
//!
//! The whole object is made again, once, when something reads it (and kept while its
//! group is not written), and is equal to the object written: in debug builds every
//! compacted write checks it. An Event of any other shape (labels, a name of its own,
//! another type: a manifest's) is kept whole.
//!
//! Filed by object, a namespace's Events are not in name order (`web-1.…` sorts before
//! `web.…`, but `web` before `web-1`): a list sorts them, as it is rare (`kubectl get
//! events`, a namespace's deletion). Everything else finds an Event by its object's name
//! and its stamp: the groups are filed by a 64-bit hash of the object's name
//! (`name_hash`, in a hash table that only a list walks, and sorts), the name compared
//! once at the end against the group's `About`. A key of
//! the whole name made the density bench 7 % slower (a copy of the name in every entry,
//! or a comparison that followed pointers to the involved object's name at every level);
//! one that held the name inline (`NameKey`, 48 bytes) took 40 bytes a group more than the
//! hash, more with the B-tree's spare room (the 2018 hour's peak RSS 2.25 → 2.11 GB, its
//! pods' Events alive for the hour).
//! Should two names of a namespace meet in a hash, the second's Events are kept whole
//! while the first's group has any, as another object of the same name's are.

use crate::api::event::{Event, EventSource, ObjectReference};
use crate::api::meta::{Constant, EventKind, Text, Time, V1};
use crate::api::name::NameKey;
use crate::api::Object;
use crate::engine::SimTime;
use hashbrown::hash_table::Entry;
use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::BTreeMap;
use std::rc::Rc;

/// An Event in the recorders' shape, without its name, namespace and involved object
/// (see the module documentation), in its object's `Group`: 48 bytes, so that a pod's
/// four are one 192-byte allocation (with a read cache, its object's `About` and its
/// resourceVersion whole in each, they were 320; with the source's `Rc` and 16-bit
/// offsets, 224).
struct Compact {
    /// The stamp after the object's name.
    stamp: u64,
    /// The uid's 128 bits (`uid::canonical_bits`).
    uid: (u64, u64),
    message: SharedStr,
    /// The resourceVersion's low 32 bits (the high ones are the `About`'s).
    revision_low: u32,
    /// Milliseconds from firstTimestamp (or the creation, without one) to lastTimestamp.
    last_on: u32,
    count: u16,
    /// The source's place in `Sources`.
    source: u16,
    /// Milliseconds from the stamp's moment (`stamp_ms`) to the creation.
    created_on: i8,
    /// Milliseconds from firstTimestamp (or the creation, without one) to the creation.
    first_back: u8,
    /// The reason's place in `Words`.
    reason: u8,
    flags: u8,
}

/// The compact Events about one object (one `About`), in stamp order, and the whole
/// objects made of those read (each made once, on its first read, and kept while the
/// group is not written: 8 bytes for a group none of whose Events is read, where a
/// cache in each Event took 8 an Event).
struct Group {
    about: Rc<About>,
    events: Box<[Compact]>,
    read: OnceCell<Box<Reads>>,
}

/// A `Group`'s Events as read, by their place in it (behind a thin pointer: a group
/// none of whose Events is read keeps 8 bytes for them).
struct Reads(Vec<OnceCell<Rc<Object>>>);

#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Compact>() == 48 && std::mem::size_of::<Group>() == 32);
// An `About` with its `Rc`'s counts is 56 bytes, one of mimalloc's bins (it was 64; its
// name is shared with the object's, where a copy of its own took one more allocation).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<About>() == 40);

/// A string the compact Events share (a message, a namespace's name) behind a thin
/// pointer: 8 bytes where an `Rc<str>` is 16, in one allocation (`Text`'s `ArcStr`).
pub(crate) type SharedStr = arcstr::ArcStr;

/// The moment, in milliseconds, of a stamp as `client::event_with` makes them (the
/// time in nanoseconds, plus the recorder's sequence number).
fn stamp_ms(stamp: u64) -> u64 {
    stamp / 1_000_000
}

/// The constants of the compact Events — their reasons, their objects' kinds and
/// apiVersions — in the order first filed: the recorders give a few dozen, so an Event
/// keeps a constant's place in this list (a byte) in place of the reference (16
/// bytes). Bounded by the constants in the code, not by the Events: an Event that would
/// need a 257th is kept whole. With them, the recorders' sources (`Sources`), the other
/// list a compact Event keeps places in.
#[derive(Default)]
struct Words {
    constants: Vec<&'static str>,
    sources: Sources,
}

impl Words {
    /// The place of `word`, added if it is new and there is room.
    fn place(&mut self, word: &'static str) -> Option<u8> {
        let list = &mut self.constants;
        // The same constant is most often the same pointer: compared first.
        let found = list.iter().position(|r| std::ptr::eq(*r, word)).or_else(|| list.iter().position(|r| *r == word));
        let i = match found {
            Some(i) => i,
            None if list.len() <= usize::from(u8::MAX) => {
                list.push(word);
                list.len() - 1
            }
            None => return None,
        };
        u8::try_from(i).ok()
    }

    fn get(&self, place: u8) -> &'static str {
        self.constants[usize::from(place)]
    }
}

/// The recorders' sources (`EventSource`: a component, and a kubelet's node) of the
/// compact Events, in the order first filed: an Event keeps its source's place (two
/// bytes) rather than the recorder's `Rc` (eight). A recorder keeps one `Rc` of its
/// source for all its Events, so a source is found by that `Rc`'s address (the list
/// holds the `Rc`, so the address is not reused while it is listed), and another `Rc`
/// of a listed source (a recorder that makes one an Event) by its content. Bounded by
/// the sources — a cluster's nodes and components — not by the Events: an Event whose
/// source would be the 65,537th is kept whole.
#[derive(Default)]
struct Sources {
    list: Vec<Rc<EventSource>>,
    by_address: BTreeMap<usize, u16>,
    /// By component, then host (looked up without a copy of either).
    by_content: BTreeMap<Cow<'static, str>, BTreeMap<String, u16>>,
}

impl Sources {
    /// The place of `source`, added if it is new and there is room.
    fn place(&mut self, source: &Rc<EventSource>) -> Option<u16> {
        let address = Rc::as_ptr(source) as usize;
        if let Some(p) = self.by_address.get(&address) {
            return Some(*p);
        }
        if let Some(p) = self.by_content.get(&*source.component).and_then(|hosts| hosts.get(&source.host)) {
            return Some(*p);
        }
        let p = u16::try_from(self.list.len()).ok()?;
        self.list.push(source.clone());
        self.by_address.insert(address, p);
        self.by_content.entry(source.component.clone()).or_default().insert(source.host.clone(), p);
        Some(p)
    }

    fn get(&self, place: u16) -> &Rc<EventSource> {
        &self.list[usize::from(place)]
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
pub(crate) struct Messages(Vec<Option<SharedStr>>);

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

/// `message` with each place it names `object` marked by a NUL (`message` puts the
/// name back: exactly, as the message has no NUL of its own), if it names it.
fn template(message: &str, object: &str) -> Option<String> {
    let named = !object.is_empty() && message.contains(object) && !message.contains('\0') && !object.contains('\0');
    named.then(|| message.replace(object, "\0"))
}

/// The message about `object` that `Messages::of` kept as `kept` (its `template` if
/// `templated`): the kept copy itself if it is not a template.
pub(crate) fn message(kept: &SharedStr, templated: bool, object: &str) -> Text {
    if !templated {
        return kept.clone().into();
    }
    // The pieces between the marks, the object's name between them, joined in one
    // allocation (a `String` made by `replace` would be copied into the `Text`).
    let mut parts = arrayvec::ArrayVec::<&str, 8>::new();
    for (i, piece) in kept.split('\0').enumerate() {
        if (i > 0 && parts.try_push(object).is_err()) || parts.try_push(piece).is_err() {
            return kept.replace('\0', object).into();
        }
    }
    Text::concat(&parts)
}

/// How many copies are kept (the slots are not worth printing).
impl std::fmt::Debug for Messages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Messages({} kept)", self.0.iter().flatten().count())
    }
}

impl Messages {
    /// The message of an Event about `object` as the compact form keeps it: the shared
    /// copy, and whether it is the message's `template`.
    /// A message that does not name its object is kept as the `Text` it is (shared with
    /// it: the kubelet's repeated messages are one copy).
    pub(crate) fn of(&mut self, message: &Text, object: &str) -> (SharedStr, bool) {
        let template = template(message, object);
        let kept = template.as_deref().unwrap_or(message);
        let slot = &mut self.0[message_slot(kept)];
        let shared = match slot {
            Some(m) if **m == *kept => m.clone(),
            _ if template.is_none() => slot.insert(message.as_arc().clone()).clone(),
            _ => slot.insert(SharedStr::from(kept)).clone(),
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
/// apiVersion is set (`TypeField`).
const API_VERSION: u8 = 64;
/// kind is set.
const KIND: u8 = 128;

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
/// the uid's bits, the timestamps' offsets (`offsets`), the count, the source's and the
/// reason's places and the object it is about.
struct Fits {
    uid: (u64, u64),
    created_on: i8,
    offsets: (u8, u32),
    count: u16,
    source: u16,
    reason: u8,
    about: Involved,
}

/// What an `About` keeps of an involvedObject (its name and namespace are the Event's
/// key's): the uid's bits, the kind's and apiVersion's places in `Words`, and whether it
/// has no namespace; and the high 32 bits of its Events' resourceVersions (in the
/// padding), for the Events of a group share them. An Event about another object of the
/// group's name (a pod made again), or whose resourceVersion's high bits differ from the
/// group's (one written after the 2³²nd revision into a group begun before it), is kept
/// whole.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Involved {
    uid: (u64, u64),
    revision_high: u32,
    kind: u8,
    api_version: u8,
    cluster_scoped: bool,
}

/// The object the compact Events of one name are about, kept in place of the
/// recorders' `ObjectReference` (88 bytes with its `Rc`'s counts, for the hour its Events
/// live, where the recorders let theirs go with the object), and shared with the
/// apiserver's TTL queue (`Attached`): its namespace (the namespace's one
/// copy), its name, and what `Involved` keeps. The reference is made again on a read.
pub struct About {
    namespace: SharedStr,
    /// The object's name, shared with the Events' reference to it (and its metadata's).
    name: SharedStr,
    involved: Involved,
}

impl About {
    /// The resourceVersion of its Event whose low 32 bits are `low`.
    fn resource_version(&self, low: u32) -> u64 {
        u64::from(self.involved.revision_high) << 32 | u64::from(low)
    }

    /// The involvedObject again.
    fn reference(&self, words: &Words) -> ObjectReference {
        let i = &self.involved;
        ObjectReference {
            kind: Cow::Borrowed(words.get(i.kind)),
            namespace: if i.cluster_scoped { Text::default() } else { self.namespace.clone().into() },
            name: self.name.clone().into(),
            uid: crate::api::uid::canonical_text(i.uid).into(),
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
    let count = u16::try_from(e.count).ok()?;
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
    let created_on = i8::try_from(i128::from(created) - i128::from(stamp_ms(stamp))).ok()?;
    let offsets = offsets(e, SimTime(created))?;
    let uid = crate::api::uid::canonical_bits(&m.uid)?;
    let i = &e.involved_object;
    let about_uid = crate::api::uid::canonical_bits(&i.uid)?;
    let (Cow::Borrowed(reason), Cow::Borrowed(kind), Cow::Borrowed(api_version)) = (&e.reason, &i.kind, &i.api_version) else {
        return None;
    };
    let (reason, kind, api_version) = (words.place(reason)?, words.place(kind)?, words.place(api_version)?);
    let source = words.sources.place(&e.source)?;
    let revision_high = (m.resource_version.0 >> 32) as u32;
    let about = Involved { uid: about_uid, revision_high, kind, api_version, cluster_scoped: i.namespace.is_empty() };
    Some(Fits { uid, created_on, offsets, count, source, reason, about })
}

/// The timestamps of `e`, created at `created`, as offsets: (first back from the
/// creation, last on from the first), if they fit 8 and 32 bits.
fn offsets(e: &Event, created: SimTime) -> Option<(u8, u32)> {
    let base = e.first_timestamp.get().map_or(created, |t| t.0);
    let first_back = u8::try_from(created.as_ms().checked_sub(base.as_ms())?).ok()?;
    let last_on = match e.last_timestamp.get() {
        Some(t) => u32::try_from(t.0.as_ms().checked_sub(base.as_ms())?).ok()?,
        None => 0,
    };
    Some((first_back, last_on))
}

impl Compact {
    /// The compact form of `e`, which is `compactable` (`fits`) and named with `stamp`,
    /// its message shared through `messages` if it is one to share.
    fn of(e: &Event, stamp: u64, fits: &Fits, messages: &mut Messages) -> Compact {
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
        if !e.api_version.is_empty() {
            flags |= API_VERSION;
        }
        if !e.kind.is_empty() {
            flags |= KIND;
        }
        let (first_back, last_on) = fits.offsets;
        let (message, templated) = messages.of(&e.message, &e.involved_object.name);
        if templated {
            flags |= TEMPLATE;
        }
        Compact {
            stamp,
            uid: fits.uid,
            message,
            revision_low: m.resource_version.0 as u32,
            last_on,
            count: fits.count,
            source: fits.source,
            created_on: fits.created_on,
            first_back,
            reason: fits.reason,
            flags,
        }
    }

    /// The Event again (its constants' places in `words`).
    fn event(&self, about: &About, words: &Words) -> Event {
        // (compactable checked that the creation is a moment: the sum is in range.)
        let created = SimTime(stamp_ms(self.stamp).wrapping_add_signed(i64::from(self.created_on)));
        let first = SimTime(created.as_ms() - u64::from(self.first_back));
        let set = |flag: u8, value: &'static str| if self.flags & flag != 0 { value } else { "" };
        let source = words.sources.get(self.source);
        let mut e = Event {
            api_version: set(API_VERSION, V1::VALUE).into(),
            kind: set(KIND, EventKind::VALUE).into(),
            involved_object: Rc::new(about.reference(words)),
            reason: Cow::Borrowed(words.get(self.reason)),
            message: message(&self.message, self.flags & TEMPLATE != 0, &about.name),
            first_timestamp: (self.flags & FIRST != 0).then_some(Time(first)).into(),
            last_timestamp: (self.flags & LAST != 0).then_some(Time(SimTime(first.as_ms() + u64::from(self.last_on)))).into(),
            count: i32::from(self.count),
            type_: if self.flags & WARNING != 0 { "Warning" } else { "Normal" }.into(),
            reporting_component: if self.flags & REPORTING != 0 { source.component.clone() } else { Cow::Borrowed("") },
            source: source.clone(),
            // Not `..Event::default()`: that makes two `Rc`s only to drop them.
            metadata: Default::default(),
        };
        let m = &mut e.metadata;
        m.name = crate::client::event_name(&about.name, self.stamp);
        m.namespace = about.namespace.clone().into();
        m.uid = crate::api::uid::canonical_text(self.uid).into();
        m.resource_version.0 = about.resource_version(self.revision_low);
        m.creation_timestamp = Some(Time(created));
        e
    }
}

impl Group {
    /// The place of the Event of `stamp`.
    fn find(&self, stamp: u64) -> Option<usize> {
        self.events.binary_search_by_key(&stamp, |c| c.stamp).ok()
    }

    fn resource_version(&self, i: usize) -> u64 {
        self.about.resource_version(self.events[i].revision_low)
    }

    /// The Event at `i` as an object, made on its first read.
    fn object(&self, i: usize, words: &Words) -> &Rc<Object> {
        let reads = self.read.get_or_init(|| Box::new(Reads((0..self.events.len()).map(|_| OnceCell::new()).collect())));
        reads.0[i].get_or_init(|| self.made(i, words))
    }

    fn made(&self, i: usize, words: &Words) -> Rc<Object> {
        Rc::new(Object::Event(Box::new(self.events[i].event(&self.about, words))))
    }

    /// Takes the Event at `i` out (the read one, if it was read); the other Events'
    /// reads are let go, as their places move.
    fn remove(&mut self, i: usize, words: &Words) -> Rc<Object> {
        let read = self.read.take().and_then(|mut r| r.0.swap_remove(i).take());
        let gone = read.unwrap_or_else(|| self.made(i, words));
        let mut events = std::mem::take(&mut self.events).into_vec();
        events.remove(i);
        self.events = events.into_boxed_slice();
        gone
    }

    /// Files `c` in stamp order (its stamp is not taken); the reads are let go.
    fn insert(&mut self, c: Compact) {
        self.read.take();
        let at = self.events.partition_point(|x| x.stamp < c.stamp);
        // An object has a handful of Events: exactly as many places (a growing `Vec`
        // keeps up to twice as many, and its capacity 8 bytes more in every group).
        let mut events = std::mem::take(&mut self.events).into_vec();
        events.reserve_exact(1);
        events.insert(at, c);
        self.events = events.into_boxed_slice();
    }
}

/// The hash the groups are filed by: FNV-1a over the name's bytes, 64-bit arithmetic (the
/// same on every target; and only memory depends on it: colliding names are told apart).
fn name_hash(name: &str) -> u64 {
    name.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3))
}

/// Where a group filed under `key` (a `name_hash`) sits in `InNamespace::stamped`: the
/// key's bits moved about so that the table's bucket (its low bits) and control byte (its
/// top seven) each depend on all of them (FNV-1a's low bits depend only on the bytes' low
/// bits). The same on every target (64-bit arithmetic).
#[inline]
fn table_hash(key: u64) -> u64 {
    let x = key.wrapping_mul(0x9e37_79b9_7f4a_7c15); // 2^64 / the golden ratio, odd
    x ^ (x >> 32)
}

/// The Events of one namespace.
struct InNamespace {
    /// The namespace (its one copy, which its `About`s share).
    name: SharedStr,
    /// Compact Events by the hash of their object's name (`name_hash`; a group is the
    /// name's only if its `About` names it), in a hash table: every Event written looks
    /// its group up, and where the groups are many and cold (a trace replay's pods'
    /// Events, kept for the hour) the lower levels of a `BTreeMap` descent were a cache
    /// miss each, where the table's probe is one (the 1,000-job 2018 replay: filing an
    /// Event 4.1 → 2.9 % of the run's samples; the comparison of the name, through the
    /// `About`, still reads cold memory). Only `Events::objects` walks it, and sorts
    /// what it finds by name (an Event's name is its namespace's one), so nothing
    /// depends on where a group sits (as `UidTable`, api/uid.rs; sim-core keeps iterated
    /// hash maps out).
    stamped: hashbrown::HashTable<(u64, Group)>,
    /// Every other Event, whole, by name.
    whole: BTreeMap<NameKey, Rc<Object>>,
    /// `name_hash` (another in tests, to make names collide).
    hash: fn(&str) -> u64,
}

impl InNamespace {
    /// The group of the compact Events about `object`.
    fn group(&self, object: &str) -> Option<&Group> {
        let key = (self.hash)(object);
        self.stamped.find(table_hash(key), |(k, _)| *k == key).map(|(_, g)| g).filter(|g| *g.about.name == *object)
    }

    /// The group and place of the compact Event about `object` with `stamp`.
    fn stamped(&self, object: &str, stamp: u64) -> Option<(&Group, usize)> {
        let group = self.group(object)?;
        Some((group, group.find(stamp)?))
    }

    fn get(&self, name: &str, words: &Words) -> Option<&Rc<Object>> {
        let compact = split(name).and_then(|(object, stamp)| self.stamped(object, stamp)).map(|(g, i)| g.object(i, words));
        compact.or_else(|| self.whole.get(&NameKey::new(name)))
    }

    fn resource_version(&self, name: &str) -> Option<u64> {
        match split(name).and_then(|(object, stamp)| self.stamped(object, stamp)) {
            Some((g, i)) => Some(g.resource_version(i)),
            None => self.whole.get(&NameKey::new(name)).map(|o| o.meta().resource_version.0),
        }
    }

    fn remove(&mut self, name: &str, words: &Words) -> Option<Rc<Object>> {
        if let Some((object, stamp)) = split(name) {
            let key = (self.hash)(object);
            if let Ok(mut slot) = self.stamped.find_entry(table_hash(key), |(k, _)| *k == key) {
                let group = &mut slot.get_mut().1;
                if *group.about.name == *object {
                    if let Some(i) = group.find(stamp) {
                        let gone = group.remove(i, words);
                        if group.events.is_empty() {
                            slot.remove();
                            // The table gives back room as its groups expire (a B-tree
                            // frees its nodes): at a quarter full, it is made half full.
                            if self.stamped.len() < self.stamped.capacity() / 4 {
                                self.stamped.shrink_to(self.stamped.len() * 2, |(k, _)| table_hash(*k));
                            }
                        }
                        return Some(gone);
                    }
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
        // One lookup of the group for the name's object, for both the test that the
        // name is free and the filing (a compact Event's object is the name's: the
        // `object == involvedObject.name` of `compactable`). At 150,000 pods the groups
        // are cold, and a second lookup was a cache miss or more per Event.
        let key = parts.map(|(object, _)| (self.hash)(object));
        let slot = key.map(|key| self.stamped.entry(table_hash(key), |(k, _)| *k == key, |(k, _)| table_hash(*k)));
        if let (Some((object, stamp)), Some(Entry::Occupied(g))) = (parts, &slot) {
            let g = &g.get().1;
            if *g.about.name == *object && g.find(stamp).is_some() {
                return Err(());
            }
        }
        if self.whole.contains_key(&NameKey::new(name)) {
            return Err(());
        }
        let stamped = obj.as_event().zip(parts).and_then(|(e, (object, stamp))| Some((e, stamp, compactable(e, object, stamp, words)?)));
        // The object's Events share one `About`, whoever recorded them (the scheduler's
        // Scheduled and the kubelet's Pulled, Created, Started); another object of the
        // name (another uid: a pod made again) has its Events kept whole while the group
        // of the first has any.
        let (Some((e, stamp, fits)), Some(slot), Some(key)) = (stamped, slot, key) else {
            self.whole.insert(NameKey::new(name), obj.clone());
            return Ok(None);
        };
        let about = match slot {
            Entry::Occupied(mut g) if g.get().1.about.involved == fits.about && *g.get().1.about.name == *e.involved_object.name => {
                let g = &mut g.get_mut().1;
                g.insert(Compact::of(e, stamp, &fits, messages));
                g.about.clone()
            }
            Entry::Occupied(_) => {
                self.whole.insert(NameKey::new(name), obj.clone());
                return Ok(None);
            }
            Entry::Vacant(v) => {
                let about = Rc::new(About { namespace: self.name.clone(), name: e.involved_object.name.as_arc().clone(), involved: fits.about });
                let group = Group { about: about.clone(), events: Box::new([Compact::of(e, stamp, &fits, messages)]), read: OnceCell::new() };
                v.insert((key, group));
                about
            }
        };
        debug_assert!(self.stamped(&about.name, stamp).is_some_and(|(g, i)| *g.made(i, words) == **obj), "the compact form of {:?} makes it again", obj.key());
        Ok(Some((stamp, about)))
    }

    fn is_empty(&self) -> bool {
        self.stamped.is_empty() && self.whole.is_empty()
    }
}

/// The store's Events, by namespace.
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
    /// The namespaces' hash of names (`name_hash`; tests make names collide).
    name_hash: fn(&str) -> u64,
}

impl Default for Events {
    fn default() -> Self {
        Events { by_ns: BTreeMap::new(), messages: Messages::default(), words: Words::default(), last: None, len: 0, name_hash }
    }
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

    /// Adds `obj`, an Event, unless its name is taken.
    pub(super) fn insert_new(&mut self, obj: &Rc<Object>) -> Result<(), ()> {
        let m = obj.meta();
        let in_ns = match self.by_ns.get_mut(m.namespace.as_str()) {
            Some(n) => n,
            None => self.by_ns.entry(m.namespace.to_string()).or_insert_with(|| InNamespace {
                name: SharedStr::from(m.namespace.as_str()),
                stamped: hashbrown::HashTable::new(),
                whole: BTreeMap::new(),
                hash: self.name_hash,
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
            // (The groups in the table's order, which the sort below makes the names'.)
            out.extend(in_ns.stamped.iter().flat_map(|(_, g)| (0..g.events.len()).map(move |i| g.object(i, &self.words))));
            out.extend(in_ns.whole.values());
            out[from..].sort_unstable_by(|a, b| a.meta().name.cmp(&b.meta().name));
        }
        out
    }
}

/// The Event writes attached to one etcd lease, as the apiserver's TTL queue keeps them
/// to find the Events again when the lease runs out, without holding the written
/// objects for the hour: for the Events the store keeps compact, their groups' `About`s
/// (once for an object's Events written one after another under the lease: the
/// kubelet's Pulled, Created and Started), for any other the written object (which the
/// store holds). 8 bytes an entry, where a place for each write (the `About` and the
/// stamp) took 16.
#[derive(Default)]
pub struct Attached {
    groups: Vec<Rc<About>>,
    written: Vec<Rc<Object>>,
}

/// How many of a lease's last groups a write looks through for its own.
const RECENT_GROUPS: usize = 4;

impl Attached {
    /// Gives back the room for writes (the lease is attached no more).
    pub fn shrink_to_fit(&mut self) {
        self.groups.shrink_to_fit();
        self.written.shrink_to_fit();
    }
}

impl Events {
    /// The `About` of the group that `obj`, an Event just written, was filed in, if it
    /// is kept compact.
    fn about_of(&self, obj: &Rc<Object>) -> Option<Rc<About>> {
        let e = obj.as_event()?;
        let (object, stamp) = split(&e.metadata.name)?;
        if let Some((writer, s, kept)) = &self.last {
            if *s == stamp && Rc::ptr_eq(writer, &e.involved_object) {
                return Some(kept.clone());
            }
        }
        // (A name is one Event's in its namespace: the one filed under it is this.)
        let (g, _) = self.by_ns.get(e.metadata.namespace.as_str())?.stamped(object, stamp)?;
        Some(g.about.clone())
    }

    /// Attaches `obj`, an Event just written, to `to`.
    pub(super) fn attach(&self, obj: &Rc<Object>, to: &mut Attached) {
        match self.about_of(obj) {
            Some(about) => {
                if !to.groups.iter().rev().take(RECENT_GROUPS).any(|a| Rc::ptr_eq(a, &about)) {
                    to.groups.push(about);
                }
            }
            None => to.written.push(obj.clone()),
        }
    }

    /// The namespace and name of every Event attached to `attached` whose latest write
    /// has a revision in `revisions`, the range of the writes attached to it (so,
    /// exactly those last written under it), in no particular order, an Event perhaps
    /// more than once. A group's Events with a revision in the range were written under
    /// the lease, so its group was attached; those of a group of the same name (another
    /// `About`: the first group's Events all gone and another object's filed) were too.
    pub(super) fn latest_in(&self, attached: &Attached, revisions: &std::ops::RangeInclusive<u64>) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for about in &attached.groups {
            let Some(group) = self.by_ns.get(&*about.namespace).and_then(|n| n.group(&about.name)) else {
                continue;
            };
            for (i, c) in group.events.iter().enumerate() {
                if revisions.contains(&group.resource_version(i)) {
                    out.push((about.namespace.to_string(), crate::client::event_name_string(&about.name, c.stamp)));
                }
            }
        }
        for o in &attached.written {
            let m = o.meta();
            if self.resource_version(&m.namespace, &m.name).is_some_and(|rv| revisions.contains(&rv)) {
                out.push((m.namespace.to_string(), m.name.to_string()));
            }
        }
        out
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
            let ns = e.metadata.namespace.to_string();
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

    /// The groups' table gives its room back as they go (as a B-tree frees its nodes),
    /// and what remains is found as before.
    #[test]
    fn the_groups_table_shrinks_as_groups_go() {
        let mut events = Events::default();
        let made: Vec<Event> = (0..400).map(|i| recorded("shop", &format!("web-{i}"), "Normal", 1500)).collect();
        for e in &made {
            events.insert_new(&object(e)).unwrap();
        }
        let full = events.by_ns["shop"].stamped.capacity();
        assert!(full >= 400);
        for e in &made[1..] {
            assert!(events.remove("shop", &e.metadata.name).is_some());
        }
        let in_ns = &events.by_ns["shop"];
        assert_eq!(in_ns.stamped.len(), 1);
        assert!(in_ns.stamped.capacity() < full / 16, "{} of {full} places kept for one group", in_ns.stamped.capacity());
        assert_eq!(events.get("shop", &made[0].metadata.name).and_then(|o| o.as_event()), Some(&made[0]));
        events.insert_new(&object(&made[1])).unwrap();
        assert_eq!(events.get("shop", &made[1].metadata.name).and_then(|o| o.as_event()), Some(&made[1]));
    }

    /// Two objects whose names meet in a hash: the first's Events are filed compact,
    /// the second's kept whole while the first's group has Events, each found and read
    /// back by its name; once the first's are gone, the second's next is compact.
    #[test]
    fn names_that_meet_in_a_hash_are_told_apart() {
        let mut events = Events { name_hash: |_| 7, ..Events::default() };
        // The same stamp: only the name tells the two apart.
        let (a, b) = (recorded("shop", "web-0", "Normal", 1500), recorded("shop", "web-1", "Normal", 1500));
        events.insert_new(&object(&a)).unwrap();
        events.insert_new(&object(&b)).unwrap();
        let in_ns = &events.by_ns["shop"];
        assert_eq!((in_ns.stamped.len(), in_ns.whole.len()), (1, 1));
        assert!(in_ns.group("web-1").is_none(), "web-0's group is not web-1's");
        for e in [&a, &b] {
            assert_eq!(events.get("shop", &e.metadata.name).and_then(|o| o.as_event()), Some(e));
        }
        assert_eq!(events.remove("shop", &b.metadata.name).and_then(|o| o.as_event().cloned()), Some(b.clone()));
        assert_eq!(events.get("shop", &a.metadata.name).and_then(|o| o.as_event()), Some(&a), "web-0's Event is not web-1's");
        events.insert_new(&object(&b)).unwrap();
        assert!(events.remove("shop", &a.metadata.name).is_some());
        let later = recorded("shop", "web-1", "Normal", 1700);
        events.insert_new(&object(&later)).unwrap();
        let in_ns = &events.by_ns["shop"];
        assert_eq!((in_ns.stamped.len(), in_ns.whole.len()), (1, 1));
        assert_eq!(in_ns.group("web-1").map(|g| g.events.len()), Some(1));
        assert_eq!(events.get("shop", &later.metadata.name).and_then(|o| o.as_event()), Some(&later));
        assert_eq!(events.remove("shop", &b.metadata.name).and_then(|o| o.as_event().cloned()), Some(b));
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
        // Offsets that do not fit their bits (8 of milliseconds from the first
        // timestamp back to the creation, 32 from the first on to the last), or run
        // backwards.
        let mut long_ago = plain();
        long_ago.metadata.creation_timestamp = Some(Time(SimTime(1500 + (1 << 32))));
        let mut long_after = plain();
        long_after.last_timestamp = Time(SimTime(1500 + (1 << 32))).into();
        let stamped_at = |ms: u64| crate::client::event_name("web-0", ms * 1_000_000 + 7);
        let mut first_long_before = plain();
        first_long_before.metadata.creation_timestamp = Some(Time(SimTime(70_000)));
        first_long_before.metadata.name = stamped_at(70_000);
        first_long_before.first_timestamp = Time(SimTime(70_000 - (1 << 8))).into();
        let mut first_after_creation = plain();
        first_after_creation.first_timestamp = Time(SimTime(1501)).into();
        let mut last_before_first = plain();
        last_before_first.last_timestamp = Time(SimTime(1499)).into();
        // A creation more than 2⁷ ms from the stamp's moment (1500 ms), either way.
        let mut created_long_after_stamp = plain();
        created_long_after_stamp.metadata.creation_timestamp = Some(Time(SimTime(1500 + (1 << 7))));
        let mut created_long_before_stamp = plain();
        created_long_before_stamp.metadata.name = stamped_at(1500 + (1 << 7) + 1);
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
            let in_ns = &events.by_ns[e.metadata.namespace.as_str()];
            assert_eq!((in_ns.stamped.len(), in_ns.whole.len()), (0, 1), "{}", e.metadata.name);
            assert_eq!(events.get(&e.metadata.namespace, &e.metadata.name).unwrap().as_event(), Some(&e));
        }
        // No timestamps, or no reporting component, or the largest offsets, are kept
        // exactly.
        let mut bare = plain();
        bare.first_timestamp = crate::api::meta::MaybeTime::NONE;
        bare.last_timestamp = crate::api::meta::MaybeTime::NONE;
        bare.reporting_component = "".into();
        let mut last_only = plain();
        last_only.first_timestamp = crate::api::meta::MaybeTime::NONE;
        last_only.last_timestamp = Time(SimTime(1500 + u64::from(u32::MAX))).into();
        let mut widest = plain();
        widest.first_timestamp = Time(SimTime(7)).into();
        widest.metadata.creation_timestamp = Some(Time(SimTime(7 + u64::from(u8::MAX))));
        widest.last_timestamp = Time(SimTime(7 + u64::from(u32::MAX))).into();
        widest.metadata.name = stamped_at(7 + u64::from(u8::MAX) - (1 << 7) + 1);
        let mut created_before_stamp = plain();
        created_before_stamp.metadata.name = stamped_at(1500 + (1 << 7));
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
        assert_eq!((in_ns.group("web-0").unwrap().events.len(), in_ns.whole.len()), (254, 1));
        assert_eq!(events.words.constants.len(), 256);
        let mut again = recorded("shop", "web-0", "Normal", 2000);
        again.reason = Cow::Borrowed(Box::leak("Reason3".to_string().into_boxed_str()));
        events.insert_new(&object(&again)).unwrap();
        assert_eq!(events.by_ns["shop"].group("web-0").unwrap().events.len(), 255, "a known reason, at another address");
        assert_eq!(events.words.constants.len(), 256);
        assert_eq!(events.get("shop", &again.metadata.name).unwrap().as_event(), Some(&again));
    }

    /// A compact Event keeps its source's place: one place a source, whichever `Rc` of
    /// it an Event comes with; a 65,537th source keeps its Event whole.
    #[test]
    fn sources_take_a_place_each_and_the_65537th_keeps_its_event_whole() {
        let mut events = Events::default();
        let e = recorded("shop", "web-0", "Normal", 1500);
        events.insert_new(&object(&e)).unwrap();
        let mut again = recorded("shop", "web-0", "Normal", 1600);
        again.source = Rc::new(EventSource::clone(&e.source));
        assert!(!Rc::ptr_eq(&again.source, &e.source));
        events.insert_new(&object(&again)).unwrap();
        assert_eq!(events.words.sources.list.len(), 1, "another Rc of the same source");
        for host in 1..=u16::MAX {
            let other = Rc::new(EventSource { component: "kubelet".into(), host: format!("n{host}") });
            assert_eq!(events.words.sources.place(&other), Some(host));
        }
        let mut last = recorded("shop", "web-0", "Normal", 1700);
        last.source = Rc::new(EventSource { component: "kubelet".into(), host: "one-too-many".into() });
        events.insert_new(&object(&last)).unwrap();
        let in_ns = &events.by_ns["shop"];
        assert_eq!((in_ns.group("web-0").map(|g| g.events.len()), in_ns.whole.len()), (Some(2), 1));
        for x in [&e, &again, &last] {
            assert_eq!(events.get("shop", &x.metadata.name).and_then(|o| o.as_event()), Some(x));
        }
    }

    /// Events about one object recorded by different components (each with its own
    /// reference to the object, equal) share one `About`, and so does the TTL queue's
    /// place of each; those about another object of the name (another uid) are kept
    /// whole while the group has Events, and have their own group after. The recorders'
    /// references are not kept.
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
        let group = &events.by_ns["shop"].group("web-0").unwrap();
        assert_eq!((group.events.len(), events.by_ns["shop"].whole.len()), (2, 1), "another object of that name is kept whole");
        let kept = group.about.clone();
        assert_eq!(Rc::strong_count(&scheduled.involved_object), 2, "held by the test's Event and its written copy alone");
        assert!(events.about_of(&written[1]).is_some_and(|about| Rc::ptr_eq(&about, &kept)));
        assert!(events.about_of(&written[2]).is_none());
        for (w, e) in written.iter().zip([&scheduled, &started, &other]) {
            assert_eq!(events.get("shop", &w.meta().name).unwrap().as_event(), Some(e));
        }
        // The place of the Event just filed (the apiserver asks at once) is found
        // without a lookup.
        let mut pulled = recorded("shop", "web-0", "Normal", 1700);
        pulled.involved_object = Rc::new((*scheduled.involved_object).clone());
        let w = object(&pulled);
        events.insert_new(&w).unwrap();
        assert!(events.last.as_ref().is_some_and(|(writer, _, about)| Rc::ptr_eq(writer, &pulled.involved_object) && Rc::ptr_eq(about, &kept)));
        assert!(events.about_of(&w).is_some_and(|about| Rc::ptr_eq(&about, &kept)));
        // Once the first object's Events are gone, the other's are filed in a group of
        // their own.
        for e in [&scheduled, &started, &pulled] {
            assert_eq!(events.remove("shop", &e.metadata.name).unwrap().as_event(), Some(e));
        }
        let mut again = recorded("shop", "web-0", "Normal", 1750);
        again.involved_object = other.involved_object.clone();
        events.insert_new(&object(&again)).unwrap();
        let group = &events.by_ns["shop"].group("web-0").unwrap();
        assert_eq!((group.events.len(), group.about.involved.uid), (1, crate::api::uid::canonical_bits(&other.involved_object.uid).unwrap()));
        assert_eq!(events.get("shop", &again.metadata.name).unwrap().as_event(), Some(&again));
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

    /// A group's Events share their resourceVersions' high 32 bits: one written with
    /// others into a group begun before the 2³²nd revision is kept whole, and a group
    /// begun after it keeps them. A count beyond 16 bits keeps its Event whole.
    #[test]
    fn a_groups_events_share_their_revisions_high_bits_and_counts_fit_sixteen() {
        let mut events = Events::default();
        let before = recorded("shop", "web-0", "Normal", 1400);
        let mut after = recorded("shop", "web-0", "Normal", 1500);
        after.metadata.resource_version.0 = (1 << 32) + 7;
        let mut counted = recorded("shop", "web-0", "Normal", 1600);
        counted.count = 1 << 16;
        let mut most = recorded("shop", "web-0", "Normal", 1700);
        most.count = i32::from(u16::MAX);
        for e in [&before, &after, &counted, &most] {
            events.insert_new(&object(e)).unwrap();
        }
        assert_eq!((events.by_ns["shop"].group("web-0").unwrap().events.len(), events.by_ns["shop"].whole.len()), (2, 2));
        for e in [&before, &after, &counted, &most] {
            assert_eq!(events.resource_version("shop", &e.metadata.name), Some(e.metadata.resource_version.0));
            assert_eq!(events.get("shop", &e.metadata.name).unwrap().as_event(), Some(e));
        }
        let mut later = Events::default();
        later.insert_new(&object(&after)).unwrap();
        assert_eq!(later.by_ns["shop"].stamped.len(), 1);
        assert_eq!(later.resource_version("shop", &after.metadata.name), Some((1 << 32) + 7));
        assert_eq!(later.get("shop", &after.metadata.name).unwrap().as_event(), Some(&after));
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
        let of = |events: &Events, pod: &str| -> Vec<SharedStr> { events.by_ns["shop"].group(pod).unwrap().events.iter().map(|c| c.message.clone()).collect() };
        let (a, b) = (of(&events, "web-0"), of(&events, "web-1"));
        for m in &a {
            assert!(b.iter().any(|n| SharedStr::ptr_eq(m, n)), "one copy of {m:?}");
        }
        let mut kept: Vec<&str> = events.messages.0.iter().flatten().map(|m| &**m).collect();
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
        let said = Text::from("Started container web");
        let first = m.of(&said, "web-0").0;
        assert!(SharedStr::ptr_eq(&first, said.as_arc()), "a message kept as the Text it was said with");
        assert!(SharedStr::ptr_eq(&first, &m.of(&"Started container web".into(), "web-1").0));
        let rival = (0..100_000).map(|i| format!("rival {i}")).find(|r| message_slot(r) == message_slot("Started container web")).unwrap();
        assert_eq!(&*m.of(&rival.as_str().into(), "web-2").0, rival);
        let again = m.of(&"Started container web".into(), "web-3").0;
        assert_eq!(&*again, "Started container web");
        assert!(!SharedStr::ptr_eq(&first, &again), "the slot was taken: a second copy");
    }

    /// A message kept as its template is said again exactly, however many times it names
    /// its object (more places than `message` joins in one go included).
    #[test]
    fn a_template_is_said_again_exactly() {
        use proptest::prelude::*;
        proptest!(|(pieces in proptest::collection::vec("[a-c ]{0,3}", 1..12), object in "[a-c]{1,3}")| {
            let said = pieces.join(&object);
            let mut m = Messages::default();
            let (kept, templated) = m.of(&said.as_str().into(), &object);
            prop_assert_eq!(&*message(&kept, templated, &object), said.as_str());
        });
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
        /// A lease's writes give back exactly the Events whose latest write is in the
        /// lease's range (what a revision per write gave), however writes, updates and
        /// deletions of Events about a few objects interleave over leases: objects made
        /// again under their names (another uid, kept whole while the first's group has
        /// Events), Events kept whole, groups written to under several leases, and names
        /// whose hashes collide (all of them, with `collide`).
        #[test]
        fn a_lease_finds_exactly_the_events_last_written_under_it(
            ops in proptest::collection::vec((0u8..3, proptest::prelude::any::<bool>(), 0u64..6, proptest::prelude::any::<bool>(), 0u8..5, 0u8..3), 1..80),
            collide in proptest::prelude::any::<bool>(),
        ) {
            let mut events = Events::default();
            if collide {
                events.name_hash = |_| 0;
            }
            let mut leases: Vec<(Attached, std::ops::RangeInclusive<u64>)> = Vec::new();
            // The model: each Event's latest write.
            let mut latest: BTreeMap<String, u64> = BTreeMap::new();
            let mut revision = 0;
            for (which, made_again, stamp, whole, action, lease) in ops {
                let mut e = recorded("shop", &format!("web-{which}"), "Normal", 1000 + stamp);
                if made_again {
                    Rc::make_mut(&mut e.involved_object).uid = "0b1c2d3e-4f5a-4b6c-8d7e-9f0a1b2c3d4e".into();
                }
                if whole {
                    e.metadata.labels.insert("a".into(), "b".into());
                }
                let name = e.metadata.name.to_string();
                revision += 1;
                if action == 0 {
                    if events.remove("shop", &name).is_some() {
                        latest.remove(&name);
                    }
                    continue;
                }
                e.metadata.resource_version.0 = revision;
                let written = object(&e);
                let _ = events.remove("shop", &name);
                events.insert_new(&written).unwrap();
                if lease == 0 || leases.is_empty() {
                    leases.push((Attached::default(), revision..=revision));
                }
                let (attached, range) = leases.last_mut().expect("a lease");
                *range = *range.start()..=revision;
                events.attach(&written, attached);
                latest.insert(name, revision);
            }
            for (attached, range) in &leases {
                let mut found = events.latest_in(attached, range);
                found.sort();
                found.dedup();
                let want: Vec<(String, String)> = latest.iter().filter(|(_, rv)| range.contains(rv)).map(|(n, _)| ("shop".to_string(), n.clone())).collect();
                proptest::prop_assert_eq!(found, want);
            }
        }

        /// Filed by object, Events still list in name order, found and removed by name,
        /// however their names are made: by recorders about objects whose names are
        /// prefixes of each other's, or by hand; and whether or not the names' hashes
        /// collide (`collide`: all of them, the first group's Events compact and any other
        /// object's whole while it has some).
        #[test]
        fn events_list_in_name_order_and_are_found_by_name(
            made in proptest::collection::vec(("[ab.0f-]{0,4}", proptest::prop_oneof![0u64..20, proptest::prelude::any::<u64>()], proptest::prelude::any::<bool>()), 1..24),
            collide in proptest::prelude::any::<bool>(),
        ) {
            let mut events = Events::default();
            if collide {
                events.name_hash = |_| 0;
            }
            let mut names = std::collections::BTreeSet::new();
            for (object_name, stamp, by_hand) in &made {
                let mut e = recorded("shop", object_name, "Normal", 1);
                e.metadata.name = if *by_hand { format!("{object_name}.{stamp}").into() } else { crate::client::event_name(object_name, *stamp) };
                let fresh = names.insert(e.metadata.name.to_string());
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

    /// A lease's writes are attached by group, once for an object's Events written one
    /// after another (looking through the last `RECENT_GROUPS`), and found again by
    /// revision: exactly the Events whose latest write is in the lease's range.
    #[test]
    fn writes_are_attached_by_group_and_found_by_their_revisions() {
        let mut events = Events::default();
        let mut attached = Attached::default();
        fn write(events: &mut Events, attached: &mut Attached, e: &mut Event, rv: u64) {
            e.metadata.resource_version.0 = rv;
            let obj = object(e);
            let _ = events.remove(&e.metadata.namespace, &e.metadata.name);
            events.insert_new(&obj).unwrap();
            events.attach(&obj, attached);
        }
        let mut web0: Vec<Event> = (0..3).map(|i| recorded("shop", "web-0", "Normal", 1500 + i)).collect();
        for (i, e) in web0.iter_mut().enumerate() {
            write(&mut events, &mut attached, e, 10 + i as u64);
        }
        let mut node = recorded("", "n-1", "Normal", 1500);
        write(&mut events, &mut attached, &mut node, 13);
        let mut later = recorded("shop", "web-0", "Normal", 1600);
        write(&mut events, &mut attached, &mut later, 14);
        assert_eq!(attached.groups.len(), 2, "web-0 once, the node once");
        for i in 1..=4 {
            write(&mut events, &mut attached, &mut recorded("shop", &format!("web-{i}"), "Normal", 1500), 14 + i);
        }
        write(&mut events, &mut attached, &mut recorded("shop", "web-0", "Normal", 1700), 19);
        assert_eq!(attached.groups.len(), 7, "web-0 again after four others");
        // Kept whole: attached as written.
        let mut by_hand = recorded("shop", "web-0", "Normal", 1500);
        by_hand.metadata.name = "by-hand".into();
        write(&mut events, &mut attached, &mut by_hand, 20);
        let mut labelled = recorded("shop", "web-0", "Normal", 2500);
        labelled.metadata.labels.insert("a".into(), "b".into());
        write(&mut events, &mut attached, &mut labelled, 21);
        assert_eq!(attached.written.len(), 2);
        let sorted = |mut v: Vec<(String, String)>| {
            v.sort();
            v.dedup();
            v
        };
        let named = |es: &[&Event]| sorted(es.iter().map(|e| (e.metadata.namespace.to_string(), e.metadata.name.to_string())).collect());
        assert_eq!(sorted(events.latest_in(&attached, &(10..=13))), named(&[&web0[0], &web0[1], &web0[2], &node]));
        assert_eq!(sorted(events.latest_in(&attached, &(11..=11))), named(&[&web0[1]]));
        assert_eq!(sorted(events.latest_in(&attached, &(20..=21))), named(&[&by_hand, &labelled]));
        // Written again later: no longer the earlier range's.
        write(&mut events, &mut attached, &mut web0[1], 22);
        write(&mut events, &mut attached, &mut by_hand, 23);
        assert_eq!(sorted(events.latest_in(&attached, &(10..=21))).len(), 12 - 2);
        assert_eq!(sorted(events.latest_in(&attached, &(22..=23))), named(&[&web0[1], &by_hand]));
        assert_eq!(events.len(), 12);
    }
}
