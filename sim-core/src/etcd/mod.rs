//! The etcd store: one global revision, resourceVersion = modRevision, optimistic
//! concurrency, and a bounded, compactable history that watches replay from.
//! Objects are shared immutable snapshots (`Rc<Object>`): the store, its history and
//! every informer cache point at the same allocation. Events are kept apart, compact
//! until read (`events`).

mod events;
pub use events::Attached;
/// The shared copies of Events' messages, which kube-scheduler's recorder keeps too.
pub(crate) use events::{message, Messages, SharedStr};

use crate::api::object::ObjectMap;
use crate::api::{Kind, Object, ObjectKey};
use crate::engine::SimTime;
use std::collections::{BTreeMap, VecDeque};
use std::rc::Rc;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum WatchEventType {
    Added,
    Modified,
    Deleted,
}

impl WatchEventType {
    pub fn as_str(self) -> &'static str {
        match self {
            WatchEventType::Added => "ADDED",
            WatchEventType::Modified => "MODIFIED",
            WatchEventType::Deleted => "DELETED",
        }
    }
}

/// One entry of the history: what a watch delivers.
#[derive(Clone, Debug)]
pub struct WatchEvent {
    pub revision: u64,
    pub type_: WatchEventType,
    /// The object after the change (for Deleted: the last state, with the deletion revision).
    pub object: Rc<Object>,
    /// The previous state (None for Added).
    pub prev: Option<Rc<Object>>,
    pub time: SimTime,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreError {
    AlreadyExists,
    NotFound,
    /// The caller's resourceVersion is stale.
    Conflict,
    /// The requested revision has been compacted (HTTP 410).
    Gone {
        compacted: u64,
    },
}

/// Bounds on history: kube-apiserver compacts etcd every 5 minutes by default
/// (`--etcd-compaction-interval`); ksim also caps the entry count (20,000 writes),
/// which bounds memory in large runs.
#[derive(Clone, Copy, Debug)]
pub struct HistoryLimits {
    pub max_age_ms: u64,
    pub max_entries: usize,
}

impl Default for HistoryLimits {
    fn default() -> Self {
        HistoryLimits { max_age_ms: 5 * 60 * 1000, max_entries: 20_000 }
    }
}

#[derive(Default)]
pub struct Store {
    revision: u64,
    /// Every kind's objects but Events'. The map of `Kind::Event` is there, empty, once an
    /// Event was written, so that `kinds` lists it in its place.
    objects: BTreeMap<Kind, ObjectMap<Rc<Object>>>,
    /// The Events (see `events`).
    events: events::Events,
    history: VecDeque<Rc<WatchEvent>>,
    /// Every revision ≤ this has been compacted away.
    compacted: u64,
    limits: HistoryLimits,
    count: usize,
    /// The revision and time of the latest write of each kind (what a reader of one kind
    /// needs to know to tell whether anything it reads has changed, and since when).
    kind_revisions: BTreeMap<Kind, (u64, SimTime)>,
}

impl Store {
    pub fn new(limits: HistoryLimits) -> Self {
        Store { limits, ..Default::default() }
    }

    /// The current global revision.
    pub fn revision(&self) -> u64 {
        self.revision
    }

    /// The revision of the latest write (create, update or delete) of an object of
    /// `kind`; 0 if there was none.
    pub fn kind_revision(&self, kind: &Kind) -> u64 {
        self.kind_revisions.get(kind).map_or(0, |w| w.0)
    }

    fn touch(&mut self, kind: &Kind, now: SimTime) {
        match self.kind_revisions.get_mut(kind) {
            Some(r) => *r = (self.revision, now),
            None => {
                self.kind_revisions.insert(kind.clone(), (self.revision, now));
            }
        }
    }

    pub fn compacted_revision(&self) -> u64 {
        self.compacted
    }

    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    pub fn get(&self, key: &ObjectKey) -> Option<&Rc<Object>> {
        self.get_parts(&key.kind, &key.namespace, &key.name)
    }

    pub fn get_parts(&self, kind: &Kind, namespace: &str, name: &str) -> Option<&Rc<Object>> {
        match kind {
            Kind::Event => self.events.get(namespace, name),
            _ => self.objects.get(kind)?.get(namespace, name),
        }
    }

    /// The resourceVersion of an object, without making a compact Event whole.
    pub fn resource_version_of(&self, kind: &Kind, namespace: &str, name: &str) -> Option<u64> {
        match kind {
            Kind::Event => self.events.resource_version(namespace, name),
            _ => self.get_parts(kind, namespace, name).map(|o| o.meta().resource_version.0),
        }
    }

    /// Attaches `obj`, an Event just written, to the writes of its lease (the
    /// apiserver's TTL queue).
    pub fn attach_event(&self, obj: &Rc<Object>, to: &mut Attached) {
        self.events.attach(obj, to)
    }

    /// The namespace and name of the Events attached to a lease whose latest write is
    /// one of its `revisions` (perhaps more than once each).
    pub fn events_latest_in(&self, attached: &Attached, revisions: &std::ops::RangeInclusive<u64>) -> Vec<(String, String)> {
        self.events.latest_in(attached, revisions)
    }

    /// All objects of a kind, ordered by (namespace, name).
    pub fn list(&self, kind: &Kind) -> impl Iterator<Item = &Rc<Object>> {
        let (others, events) = match kind {
            Kind::Event => (None, Some(&self.events)),
            _ => (self.objects.get(kind), None),
        };
        others.into_iter().flat_map(|m| m.values()).chain(events.into_iter().flat_map(|e| e.objects()))
    }

    /// How many objects of a kind there are.
    pub fn count(&self, kind: &Kind) -> usize {
        match kind {
            Kind::Event => self.events.len(),
            _ => self.objects.get(kind).map_or(0, |m| m.len()),
        }
    }

    pub fn kinds(&self) -> impl Iterator<Item = &Kind> {
        self.objects.keys()
    }

    fn record(&mut self, type_: WatchEventType, object: Rc<Object>, prev: Option<Rc<Object>>, time: SimTime) -> Rc<WatchEvent> {
        let ev = Rc::new(WatchEvent { revision: self.revision, type_, object, prev, time });
        self.history.push_back(ev.clone());
        while self.history.len() > self.limits.max_entries {
            self.pop_history();
        }
        ev
    }

    fn pop_history(&mut self) {
        if let Some(e) = self.history.pop_front() {
            self.compacted = e.revision;
        }
    }

    /// When an object of one of `kinds` was last written (None: never). Kept per kind,
    /// not read from the history: a history bounded by entries may have let the write go
    /// while it is still recent (a 5,000-node cluster renews 500 Leases a second: 20,000
    /// writes can take less than a minute).
    pub fn last_write_time(&self, kinds: &[Kind]) -> Option<SimTime> {
        kinds.iter().filter_map(|k| self.kind_revisions.get(k)).map(|w| w.1).max()
    }

    /// Drops history older than the age limit (the periodic compaction).
    pub fn compact_older_than(&mut self, now: SimTime) {
        while let Some(e) = self.history.front() {
            if now.as_ms().saturating_sub(e.time.as_ms()) > self.limits.max_age_ms {
                self.pop_history();
            } else {
                break;
            }
        }
    }

    /// Compacts every revision ≤ `rev` (as `etcdctl compact` would).
    pub fn compact(&mut self, rev: u64) {
        while self.history.front().is_some_and(|e| e.revision <= rev) {
            self.pop_history();
        }
        self.compacted = self.compacted.max(rev.min(self.revision));
    }

    /// Creates an object; sets its resourceVersion to the new revision.
    pub fn create(&mut self, obj: Object, now: SimTime) -> Result<Rc<WatchEvent>, StoreError> {
        self.create_or_refused(obj, now).map_err(|_| StoreError::AlreadyExists)
    }

    /// `create`, giving the object back when its name is taken (AlreadyExists: the
    /// caller names it in its error).
    pub fn create_or_refused(&mut self, mut obj: Object, now: SimTime) -> Result<Rc<WatchEvent>, Rc<Object>> {
        let kind = obj.kind();
        let map = match self.objects.get_mut(&kind) {
            Some(m) => m,
            None => self.objects.entry(kind.clone()).or_default(),
        };
        obj.meta_mut().resource_version.0 = self.revision + 1;
        let rc = Rc::new(obj);
        let m = rc.meta();
        let taken = match kind {
            Kind::Event => self.events.insert_new(&rc).is_err(),
            _ => map.insert_new(&m.namespace, &m.name, rc.clone()).is_err(),
        };
        if taken {
            return Err(rc);
        }
        self.revision += 1;
        self.count += 1;
        self.touch(&kind, now);
        Ok(self.record(WatchEventType::Added, rc, None, now))
    }

    /// Replaces an object if `obj`'s resourceVersion equals the stored one (0 means
    /// "unconditional", as an update without resourceVersion is for most kinds).
    pub fn update(&mut self, mut obj: Object, now: SimTime) -> Result<Rc<WatchEvent>, StoreError> {
        let kind = obj.kind();
        if kind == Kind::Event {
            return self.update_event(obj, now);
        }
        let m = obj.meta();
        let slot = self.objects.get_mut(&kind).and_then(|map| map.get_mut(&m.namespace, &m.name)).ok_or(StoreError::NotFound)?;
        let want = m.resource_version.0;
        if want != 0 && want != slot.meta().resource_version.0 {
            return Err(StoreError::Conflict);
        }
        self.revision += 1;
        obj.meta_mut().resource_version.0 = self.revision;
        let rc = Rc::new(obj);
        let prev = std::mem::replace(slot, rc.clone());
        self.touch(&kind, now);
        Ok(self.record(WatchEventType::Modified, rc, Some(prev), now))
    }

    /// `update` of an Event.
    fn update_event(&mut self, mut obj: Object, now: SimTime) -> Result<Rc<WatchEvent>, StoreError> {
        let m = obj.meta();
        let cur = self.events.resource_version(&m.namespace, &m.name).ok_or(StoreError::NotFound)?;
        let want = m.resource_version.0;
        if want != 0 && want != cur {
            return Err(StoreError::Conflict);
        }
        self.revision += 1;
        obj.meta_mut().resource_version.0 = self.revision;
        let rc = Rc::new(obj);
        // Out and in again rather than in place: the update may file it elsewhere (its
        // involved object's name changed, or a label makes it whole).
        let prev = self.events.remove(&rc.meta().namespace, &rc.meta().name).ok_or(StoreError::NotFound)?;
        let added = self.events.insert_new(&rc);
        debug_assert!(added.is_ok(), "the name was just freed");
        self.touch(&Kind::Event, now);
        Ok(self.record(WatchEventType::Modified, rc, Some(prev), now))
    }

    /// Removes an object (with an optional resourceVersion precondition).
    pub fn delete(&mut self, key: &ObjectKey, precondition_rv: Option<u64>, now: SimTime) -> Result<Rc<WatchEvent>, StoreError> {
        let cur = self.resource_version_of(&key.kind, &key.namespace, &key.name).ok_or(StoreError::NotFound)?;
        if precondition_rv.is_some_and(|rv| rv != cur) {
            return Err(StoreError::Conflict);
        }
        let prev = match key.kind {
            Kind::Event => self.events.remove(&key.namespace, &key.name),
            _ => self.objects.get_mut(&key.kind).and_then(|map| map.remove(&key.namespace, &key.name)),
        }
        .ok_or(StoreError::NotFound)?;
        self.count -= 1;
        self.revision += 1;
        self.touch(&key.kind, now);
        let mut last = (*prev).clone();
        last.meta_mut().resource_version.0 = self.revision;
        Ok(self.record(WatchEventType::Deleted, Rc::new(last), Some(prev), now))
    }

    /// The history after `from_rev` (exclusive), or 410 Gone if part of it was compacted.
    pub fn watch_from(&self, from_rev: u64) -> Result<impl Iterator<Item = &Rc<WatchEvent>>, StoreError> {
        if from_rev < self.compacted {
            return Err(StoreError::Gone { compacted: self.compacted });
        }
        let start = self.history.partition_point(|e| e.revision <= from_rev);
        Ok(self.history.range(start..))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::namespace::Namespace;

    fn ns(name: &str, rv: u64) -> Object {
        let mut n = Namespace::default();
        n.metadata.name = name.into();
        n.metadata.resource_version.0 = rv;
        Object::Namespace(Box::new(n))
    }

    #[test]
    fn revisions_and_optimistic_concurrency() {
        let mut s = Store::new(HistoryLimits::default());
        let a = s.create(ns("a", 0), SimTime(0)).unwrap();
        assert_eq!(a.revision, 1);
        assert_eq!(a.object.meta().resource_version.0, 1);
        assert_eq!(s.create(ns("a", 0), SimTime(0)).unwrap_err(), StoreError::AlreadyExists);
        s.create(ns("b", 0), SimTime(0)).unwrap();
        assert_eq!(s.update(ns("a", 1), SimTime(1)).unwrap().revision, 3);
        // A stale resourceVersion is a Conflict.
        assert_eq!(s.update(ns("a", 1), SimTime(1)).unwrap_err(), StoreError::Conflict);
        assert_eq!(s.delete(&ns("a", 0).key(), Some(1), SimTime(2)).unwrap_err(), StoreError::Conflict);
        assert_eq!(s.delete(&ns("a", 0).key(), Some(3), SimTime(2)).unwrap().revision, 4);
        assert_eq!(s.update(ns("a", 0), SimTime(1)).unwrap_err(), StoreError::NotFound);
        assert_eq!(s.revision(), 4);
    }

    /// An Event as the kubelet records it about pod `pod` in `shop`, at `t` ms.
    fn event(pod: &str, t: u64) -> Object {
        let involved = Rc::new(crate::api::event::ObjectReference { kind: "Pod".into(), namespace: "shop".into(), name: pod.into(), ..Default::default() });
        let source = Rc::new(crate::api::event::EventSource { component: "kubelet".into(), host: "n1".into() });
        let mut e = crate::client::event_with(involved, source, "Normal", "Pulled", "pulled", SimTime(t), 0);
        e.metadata.uid = format!("00000000-0000-4000-8000-{t:012x}").into();
        e.metadata.creation_timestamp = Some(crate::api::meta::Time(SimTime(t)));
        Object::Event(Box::new(e))
    }

    #[test]
    fn events_are_kept_apart_and_read_as_any_kind() {
        let mut s = Store::new(HistoryLimits::default());
        s.create(ns("a", 0), SimTime(0)).unwrap();
        // Names whose order differs from their objects' (`web.…` sorts after `web-1.…`),
        // and one the compact form covers not (a name of its own); then a name taken.
        let mut own = event("web", 1);
        own.meta_mut().name = "web-0.by-hand".into();
        let written: Vec<Object> = vec![event("web", 5), event("web-1", 3), own, event("web", 2)];
        for e in &written {
            s.create(e.clone(), SimTime(9)).unwrap();
        }
        assert_eq!(s.create(event("web", 5), SimTime(9)).unwrap_err(), StoreError::AlreadyExists);
        assert_eq!(s.kinds().collect::<Vec<_>>(), [&Kind::Event, &Kind::Namespace]);
        assert_eq!(s.count(&Kind::Event), 4);
        assert_eq!(s.len(), 5);
        let mut names: Vec<String> = written.iter().map(|e| e.meta().name.to_string()).collect();
        names.sort();
        let listed: Vec<String> = s.list(&Kind::Event).map(|o| o.meta().name.to_string()).collect();
        assert_eq!(listed, names);
        // Read back as written, but for the resourceVersion the store gave.
        let second = &written[1];
        let got = s.get(&second.key()).unwrap();
        assert_eq!(got.meta().resource_version.0, 3);
        let mut want = second.clone();
        want.meta_mut().resource_version.0 = 3;
        assert_eq!(**got, want);
        // Updates are optimistic as for any kind; the previous state goes with the write.
        let mut stale = want.clone();
        stale.meta_mut().resource_version.0 = 2;
        assert_eq!(s.update(stale, SimTime(10)).unwrap_err(), StoreError::Conflict);
        let mut counted = want.clone();
        if let Object::Event(e) = &mut counted {
            e.count = 2;
        }
        let w = s.update(counted, SimTime(10)).unwrap();
        assert_eq!(w.prev.as_deref(), Some(&want));
        assert_eq!(s.get(&second.key()).unwrap().as_event().unwrap().count, 2);
        assert_eq!(s.resource_version_of(&Kind::Event, "shop", &second.meta().name), Some(w.revision));
        // Deleted with a precondition as any kind.
        assert_eq!(s.delete(&second.key(), Some(3), SimTime(11)).unwrap_err(), StoreError::Conflict);
        let gone = s.delete(&second.key(), Some(w.revision), SimTime(11)).unwrap();
        assert_eq!(gone.object.as_event().unwrap().count, 2);
        assert!(s.get(&second.key()).is_none());
        assert_eq!(s.count(&Kind::Event), 3);
    }

    /// The checker's quiet test (`endpoints_converged`) asks when a kind was last written:
    /// a write the history let go is still the last one (before, it read the history and
    /// found none, so a Pod written a moment ago counted as written long ago).
    #[test]
    fn the_last_write_of_a_kind_outlives_the_history() {
        let mut s = Store::new(HistoryLimits { max_age_ms: 1000, max_entries: 1 });
        assert_eq!(s.last_write_time(&[Kind::Namespace, Kind::Pod]), None);
        s.create(ns("a", 0), SimTime(5)).unwrap();
        let mut p = crate::api::pod::Pod::default();
        p.metadata.name = "p".into();
        p.metadata.namespace = "a".into();
        s.create(Object::Pod(Box::new(p)), SimTime(7)).unwrap();
        s.create(ns("b", 0), SimTime(9)).unwrap();
        assert!(matches!(s.watch_from(1), Err(StoreError::Gone { .. })), "the Pod's write is out of the history");
        assert_eq!(s.last_write_time(&[Kind::Pod]), Some(SimTime(7)));
        assert_eq!(s.last_write_time(&[Kind::Pod, Kind::Namespace]), Some(SimTime(9)));
        assert_eq!(s.last_write_time(&[Kind::Service]), None);
        s.delete(&ObjectKey { kind: Kind::Pod, namespace: "a".into(), name: "p".into() }, None, SimTime(12)).unwrap();
        assert_eq!(s.last_write_time(&[Kind::Pod]), Some(SimTime(12)), "a deletion is a write");
        assert_eq!(s.kind_revision(&Kind::Pod), 4);
    }

    #[test]
    fn watch_replays_in_order_and_compaction_gives_gone() {
        let mut s = Store::new(HistoryLimits { max_age_ms: 1000, max_entries: 100 });
        for i in 0..5 {
            s.create(ns(&format!("n{i}"), 0), SimTime(i * 400)).unwrap();
        }
        let revs: Vec<u64> = s.watch_from(2).unwrap().map(|e| e.revision).collect();
        assert_eq!(revs, [3, 4, 5]);
        s.compact_older_than(SimTime(2000)); // drops events older than t=1000: revisions 1..=3
        assert_eq!(s.compacted_revision(), 3);
        assert!(matches!(s.watch_from(2), Err(StoreError::Gone { compacted: 3 })));
        let revs: Vec<u64> = s.watch_from(3).unwrap().map(|e| e.revision).collect();
        assert_eq!(revs, [4, 5]);
    }
}
