//! Recording Events as client-go does, so that a repeated event is one object with a
//! count rather than an object per occurrence.
//!
//! - `EventCorrelator`: the core/v1 recorder of the kubelet and the controllers
//!   (staging/src/k8s.io/client-go/tools/record/events_cache.go, EventCorrelate):
//!   1. EventAggregator: events alike but for their message (same source, object,
//!      type, reason) are counted per message over 10 minutes; from the 10th distinct
//!      message on they become one event `(combined from similar events): MESSAGE`;
//!   2. eventLogger: an event seen before (its key, message included) updates the
//!      existing object — count + 1, lastTimestamp, message — instead of creating one;
//!   3. EventSourceObjectSpamFilter: per source and object, a token bucket of 25 that
//!      refills one token per 5 minutes; an event without a token is dropped.
//!
//!   Each cache is an LRU of 4,096 entries (maxLruCacheEntries). Upstream keys them by
//!   the joined strings; ksim by SHA-256 digests of the same joined strings (the same
//!   equality, short of a collision), because one process holds the caches of every
//!   kubelet of the cluster and the strings made up most of their memory. Each key is
//!   112 bits: 64 of the digest of the source and the object (the spam key's first
//!   word), then 48 of the whole key's, and the three caches' entries are filed together
//!   under that first word (`Entries`: one lookup an event finds its object's entries in
//!   all three), each cache keeping its own recency order and size, as three LRUs do.
//!   Of an object deleted from the API (`forget`), the entries are kept as their
//!   recency alone: they can no longer be looked up, as no event names that object's
//!   uid again, but they take their place in the cache and are evicted in their turn, as
//!   golang-lru evicts them. A trace replay deletes millions of pods, and their entries
//!   were the largest single item of its heap (96 MB of the 1,000-job 2018 replay's).
//! - `EventSeriesRecorder`: the events.k8s.io/v1 recorder kube-scheduler uses
//!   (client-go/tools/events/event_broadcaster.go, recordToSink): the second isomorphic
//!   event (same reason, action, note, object, reporting controller) turns the first
//!   into a series (an update with count 2); later ones only count until the series is
//!   refreshed (every 30 minutes) or finished (6 minutes without one), which write it.

use crate::api::event::{Event, EventSource, ObjectReference};
use crate::engine::{SimDuration, SimTime};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, VecDeque};

/// A key: bits of SHA-256 digests as two big-endian words (compared as integers rather
/// than by a `memcmp` call at every level of a B-tree). The correlator's caches' keys are
/// 112 bits (`keys`): the first 112 bits of one digest (the spam key), or 64 bits of the
/// object's digest and 48 of the key's own; their second word is 48 bits (`sub`), so
/// that an entry keeps it and its place in the recency order in one word (`Entry`). The
/// series cache's keys are a digest's first 128 bits (`digest`).
type Key = (u64, u64);

/// A digest's word as a key's second: its top 48 bits.
fn sub(word: u64) -> u64 {
    word >> 16
}

/// The digest of `parts` joined with nothing between them (strings.Join(parts, "")).
fn digest(parts: &[&str]) -> Key {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p.as_bytes());
    }
    finish(h)
}

fn finish(h: Sha256) -> Key {
    let full: [u8; 32] = h.finalize().into();
    let word = |i: usize| u64::from_be_bytes(full[i..i + 8].try_into().expect("8 bytes"));
    (word(0), word(8))
}

/// maxLruCacheEntries.
pub const LRU_ENTRIES: usize = 4096;
/// defaultAggregateMaxEvents.
pub const AGGREGATE_MAX_EVENTS: usize = 10;
/// defaultAggregateIntervalInSeconds.
pub const AGGREGATE_INTERVAL: SimDuration = SimDuration::from_secs(600);
/// defaultSpamBurst.
pub const SPAM_BURST: u64 = 25;
/// defaultSpamQPS = 1/300: one token per 5 minutes.
pub const SPAM_REFILL: SimDuration = SimDuration::from_secs(300);
/// tools/events finishTime: a series no event joined for this long is finished.
pub const SERIES_FINISH: SimDuration = SimDuration::from_secs(6 * 60);
/// tools/events refreshTime: how often an open series is written.
pub const SERIES_REFRESH: SimDuration = SimDuration::from_secs(30 * 60);

/// One entry of a cache: its key's second word (the first is its object's, under which
/// it is filed) and its place in the cache's recency order, in one word (the 48 bits of
/// the one above the 16 of the other: 8 bytes an entry less, where the two took 16 with
/// padding), and its value.
#[derive(Debug)]
struct Entry<V> {
    word: u64,
    value: V,
}

impl<V> Entry<V> {
    fn new(sub: u64, tick: Tick, value: V) -> Self {
        debug_assert!(sub >> 48 == 0, "a key's second word is 48 bits");
        Entry { word: sub << 16 | u64::from(tick), value }
    }

    fn sub(&self) -> u64 {
        self.word >> 16
    }

    fn tick(&self) -> Tick {
        self.word as Tick
    }

    fn set_tick(&mut self, tick: Tick) {
        self.word = self.word & !u64::from(Tick::MAX) | u64::from(tick);
    }
}

/// An object's entries in the correlator's three caches, each sorted by `sub`. The
/// caches are three LRUs, as upstream's, but their entries are filed together by
/// object, so that an event finds its object's entries in the three with one descent
/// of one map rather than three of three, and an object's entries — three or four in
/// each of two caches and one in the third, for a pod — take three small vectors and
/// one map entry rather than eight or nine map entries (a density run's kubelets kept
/// about 850 bytes a pod in the three maps).
#[derive(Debug, Default)]
struct Entries {
    aggregates: Vec<Entry<Aggregate>>,
    observed: Vec<Entry<Observed>>,
    spam: Vec<Entry<Bucket>>,
}

impl Entries {
    fn is_empty(&self) -> bool {
        self.aggregates.is_empty() && self.observed.is_empty() && self.spam.is_empty()
    }
}

/// The correlator's entries by object (the first word of their keys).
type Objects = BTreeMap<u64, Entries>;

/// A cache's place in an object's `Entries`.
trait InEntries: Sized {
    /// The room a vector of this cache's entries is made with: an object has one spam
    /// entry, and a few of the others.
    const FIRST: usize;
    fn of(e: &Entries) -> &Vec<Entry<Self>>;
    fn of_mut(e: &mut Entries) -> &mut Vec<Entry<Self>>;
}

impl InEntries for Aggregate {
    const FIRST: usize = 4;
    fn of(e: &Entries) -> &Vec<Entry<Self>> {
        &e.aggregates
    }
    fn of_mut(e: &mut Entries) -> &mut Vec<Entry<Self>> {
        &mut e.aggregates
    }
}

impl InEntries for Observed {
    const FIRST: usize = 4;
    fn of(e: &Entries) -> &Vec<Entry<Self>> {
        &e.observed
    }
    fn of_mut(e: &mut Entries) -> &mut Vec<Entry<Self>> {
        &mut e.observed
    }
}

impl InEntries for Bucket {
    const FIRST: usize = 1;
    fn of(e: &Entries) -> &Vec<Entry<Self>> {
        &e.spam
    }
    fn of_mut(e: &mut Entries) -> &mut Vec<Entry<Self>> {
        &mut e.spam
    }
}

/// A least-recently-used map of bounded size (golang-lru's Cache), deterministic: the
/// recency order and size of one cache, whose entries are in the `Objects`.
///
/// The recency order (tick → key) is built only once the map first fills: until then
/// nothing is evicted and the ticks in the entries are all the order needs. A kubelet's
/// caches hold a few entries per pod and fill only with the forgotten entries of pods
/// gone (`gone`), which are their ticks alone.
#[derive(Debug)]
struct Lru<V> {
    order: Option<BTreeMap<Tick, Key>>,
    /// The ticks of the entries of forgotten objects, in order: they count toward the
    /// size and are evicted in their turn, but nothing looks them up.
    gone: VecDeque<Tick>,
    tick: Tick,
    /// The entries in the `Objects` (the forgotten ones are `gone`).
    len: usize,
    of: std::marker::PhantomData<V>,
}

/// A use's place in an `Lru`'s recency order: 16 bits, as the order has at most
/// `LRU_ENTRIES` places (a trace replay's kubelets each keep thousands of forgotten
/// entries for the hour: 2 bytes each rather than 8). When the ticks run out the
/// entries are numbered again in the same order (`renumber`: at most once every
/// 61,439 uses, as it leaves at most 4,096 ticks taken, and a sort of those).
type Tick = u16;

impl<V> Default for Lru<V> {
    fn default() -> Self {
        Lru { order: None, gone: VecDeque::new(), tick: 0, len: 0, of: std::marker::PhantomData }
    }
}

impl<V: InEntries> Lru<V> {
    /// Whether the next use may first have to number the ticks again or evict an entry
    /// (`prepare`).
    fn busy(&self) -> bool {
        self.tick == Tick::MAX || self.full()
    }

    /// Whether the cache holds its 4,096 entries, the forgotten ones included.
    fn full(&self) -> bool {
        self.len + self.gone.len() >= LRU_ENTRIES
    }

    /// Readies the cache for a use of `k` (`get_or_add`): the ticks numbered again if
    /// they ran out; in a full cache without `k`, its least recently used entry evicted
    /// first, as an Add evicts it after (the same entries remain). Either may remove an
    /// object's `Entries` from `objects`.
    fn prepare(&mut self, objects: &mut Objects, k: Key) {
        debug_assert!(k.1 >> 48 == 0, "a cache key's second word is 48 bits");
        if self.tick == Tick::MAX {
            self.renumber(objects);
        }
        if !self.full() {
            return;
        }
        let there = objects.get(&k.0).is_some_and(|e| V::of(e).binary_search_by_key(&k.1, |x| x.sub()).is_ok());
        if there {
            return;
        }
        let order = self.order.get_or_insert_with(|| objects.iter().flat_map(|(o, e)| V::of(e).iter().map(move |x| (x.tick(), (*o, x.sub())))).collect());
        let oldest = order.first_key_value().map(|(t, _)| *t);
        if self.gone.front().is_some_and(|g| oldest.is_none_or(|t| *g < t)) {
            self.gone.pop_front();
        } else if let Some((_, (object, sub))) = order.pop_first() {
            let entries = objects.get_mut(&object).expect("an ordered entry's object");
            let v = V::of_mut(entries);
            let at = v.binary_search_by_key(&sub, |x| x.sub()).expect("an ordered entry");
            v.remove(at);
            self.len -= 1;
            if entries.is_empty() {
                objects.remove(&object);
            }
        }
    }

    /// The value of `k` among its object's `entries`, made the most recent: `(value,
    /// true)` if it was there, otherwise `make()`'s, added, and `false`. One lookup for
    /// what client-go does as a Get and an Add of the same key (the same recency order
    /// after both). The cache must have been readied for `k` (`prepare`).
    fn get_or_add<'e>(&mut self, entries: &'e mut Entries, k: Key, make: impl FnOnce() -> V) -> (&'e mut V, bool) {
        debug_assert!(self.tick < Tick::MAX, "prepared");
        debug_assert!(k.1 >> 48 == 0, "a cache key's second word is 48 bits");
        self.tick += 1;
        let tick = self.tick;
        let v = V::of_mut(entries);
        let (at, old) = match v.binary_search_by_key(&k.1, |x| x.sub()) {
            Ok(at) => {
                let old = v[at].tick();
                v[at].set_tick(tick);
                (at, Some(old))
            }
            Err(at) => {
                if v.len() == v.capacity() {
                    v.reserve_exact(if v.is_empty() { V::FIRST } else { v.len() });
                }
                v.insert(at, Entry::new(k.1, tick, make()));
                self.len += 1;
                (at, None)
            }
        };
        if let Some(order) = &mut self.order {
            if let Some(t) = old {
                order.remove(&t);
            }
            order.insert(tick, k);
        }
        (&mut v[at].value, old.is_some())
    }

    /// The entries' ticks and the forgotten ones as their ranks, in the same order.
    fn renumber(&mut self, objects: &mut Objects) {
        let mut all: Vec<Tick> = objects.values().flat_map(|e| V::of(e).iter().map(Entry::tick)).chain(self.gone.iter().copied()).collect();
        all.sort_unstable();
        let rank = |t: Tick| Tick::try_from(all.binary_search(&t).expect("a tick of the cache") + 1).expect("at most LRU_ENTRIES ticks");
        for x in objects.values_mut().flat_map(|e| V::of_mut(e).iter_mut()) {
            x.set_tick(rank(x.tick()));
        }
        for t in self.gone.iter_mut() {
            *t = rank(*t);
        }
        if self.order.is_some() {
            self.order = Some(objects.iter().flat_map(|(o, e)| V::of(e).iter().map(move |x| (x.tick(), (*o, x.sub())))).collect());
        }
        self.tick = Tick::try_from(all.len()).expect("at most LRU_ENTRIES ticks");
    }

    /// An object's entries in this cache, taken from the `Objects`, can no longer be
    /// looked up: only their ticks stay.
    fn forget(&mut self, entries: &[Entry<V>]) {
        for x in entries {
            if let Some(order) = &mut self.order {
                order.remove(&x.tick());
            }
            let at = self.gone.partition_point(|g| *g < x.tick());
            self.gone.insert(at, x.tick());
        }
        self.len -= entries.len();
    }

    /// How many entries the cache holds, the forgotten ones included.
    #[cfg(test)]
    fn size(&self) -> usize {
        self.len + self.gone.len()
    }
}

/// What to write for an event.
#[derive(Clone, Debug, PartialEq)]
pub enum Record {
    /// A new Event object.
    Create(Event),
    /// An update of the existing Event of that name (count, lastTimestamp, message; a
    /// create if it is gone).
    Update(Event),
    /// Nothing (rate-limited, or counted in an open series).
    Skip,
}

#[derive(Debug)]
struct Aggregate {
    /// 64 bits of the digest of the first message seen and of the distinct ones after
    /// it (localKeys; the first kept apart, and the rest boxed, as most aggregates never
    /// see a second: an entry is 32 bytes, four a pod).
    first: u64,
    #[allow(clippy::box_collection)] // 8 bytes while empty, not 24
    more: Option<Box<Vec<u64>>>,
    last: SimTime,
}

impl Aggregate {
    fn len(&self) -> usize {
        1 + self.more.as_ref().map_or(0, |m| m.len())
    }

    fn has(&self, k: &u64) -> bool {
        self.first == *k || self.more.as_ref().is_some_and(|m| m.contains(k))
    }
}

#[cfg(target_pointer_width = "64")]
const _: () =
    assert!(std::mem::size_of::<Entry<Observed>>() == 24 && std::mem::size_of::<Entry<Aggregate>>() == 32 && std::mem::size_of::<Entry<Bucket>>() == 24);

/// An observed key's last Event: its count, name and firstTimestamp (eventLog). 16
/// bytes, so that an entry is 24, four a pod (with the timestamp beside the name's
/// stamp, and the key's word and tick apart, 48): the recorders name an Event by its
/// object's name and a stamp of the moment it was made (`event_with`: the millisecond
/// times 10⁶, plus the recorder's count of its Events) and give it that moment as its
/// firstTimestamp, which the stamp therefore says while the count is below 10⁶; an Event
/// named or stamped otherwise (a recorder's after its millionth, as the controller
/// manager's in a long trace replay) keeps its name and timestamp whole, boxed.
#[derive(Debug)]
enum Observed {
    Stamped { count: i32, stamp: u64 },
    Other { count: i32, rest: Box<(EventName, crate::api::meta::MaybeTime)> },
}

impl Observed {
    /// What to keep of `e`, written as the key's last Event.
    fn of(e: &Event) -> Self {
        let (count, name, first) = (e.count, EventName::of(e), e.first_timestamp);
        match name {
            EventName::Suffix(stamp) if first == stamp_moment(stamp) => Observed::Stamped { count, stamp },
            name => Observed::Other { count, rest: Box::new((name, first)) },
        }
    }

    fn count(&self) -> i32 {
        match self {
            Observed::Stamped { count, .. } | Observed::Other { count, .. } => *count,
        }
    }

    /// The Event's firstTimestamp.
    fn first(&self) -> crate::api::meta::MaybeTime {
        match self {
            Observed::Stamped { stamp, .. } => stamp_moment(*stamp),
            Observed::Other { rest, .. } => rest.1,
        }
    }

    /// The Event's name (its object's is `e`'s).
    fn name(&self, e: &Event) -> crate::api::meta::Text {
        match self {
            Observed::Stamped { stamp, .. } => EventName::Suffix(*stamp).name(e),
            Observed::Other { rest, .. } => rest.0.name(e),
        }
    }
}

/// The moment a recorder's stamp was made at (`event_with`), to the millisecond.
fn stamp_moment(stamp: u64) -> crate::api::meta::MaybeTime {
    crate::api::meta::Time(SimTime(stamp / 1_000_000)).into()
}

/// The name of the Event an observed key was written as. Events are named
/// `<object>.<timestamp in hex>` (`event_name`, as client-go's makeEvent); the object's
/// name is part of the key, so only the timestamp is kept (an Event named otherwise
/// keeps its whole name, behind a thin pointer so that the common case is 16 bytes).
/// One per event a kubelet records: the names were a fifth of its caches.
#[derive(Debug)]
enum EventName {
    Suffix(u64),
    #[allow(clippy::box_collection)] // a thin pointer keeps the enum at 16 bytes
    Other(Box<String>),
}

impl EventName {
    fn of(e: &Event) -> Self {
        let name = &e.metadata.name;
        let suffix = name.strip_prefix(e.involved_object.name.as_str()).and_then(|r| r.strip_prefix('.'));
        match suffix.filter(|s| s.len() == 16 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))) {
            Some(s) => EventName::Suffix(u64::from_str_radix(s, 16).expect("16 hex digits")),
            None => EventName::Other(Box::new(name.to_string())),
        }
    }

    fn name(&self, e: &Event) -> crate::api::meta::Text {
        match self {
            EventName::Suffix(x) => super::event_name(&e.involved_object.name, *x),
            EventName::Other(n) => n.as_str().into(),
        }
    }
}

/// A token bucket kept in milliseconds of refill: each token is SPAM_REFILL worth.
#[derive(Debug)]
struct Bucket {
    fill_ms: u64,
    at: SimTime,
}

/// The core/v1 recorder's EventCorrelator.
#[derive(Debug, Default)]
pub struct EventCorrelator {
    /// The three caches' entries, by object.
    objects: Objects,
    aggregates: Lru<Aggregate>,
    observed: Lru<Observed>,
    spam: Lru<Bucket>,
    /// The objects forgotten (debug builds: an event about one is a bug in the caller).
    #[cfg(debug_assertions)]
    forgotten: std::collections::BTreeSet<u64>,
}

/// The hash of getSpamKey's strings: the source and the object.
fn object_hash(source: &EventSource, o: &ObjectReference) -> Sha256 {
    let mut h = Sha256::new();
    for p in [&*source.component, &source.host, &o.kind, &o.namespace, &o.name, &o.uid, &o.api_version] {
        h.update(p.as_bytes());
    }
    h
}

/// The three keys of an event, each a prefix of the next, so one hash runs over the
/// strings and its state is copied at each key's end:
/// - getSpamKey: source and object;
/// - EventAggregatorByReasonFunc: the key without the message (source, object, type,
///   reason);
/// - getEventKey: everything that makes two events the same, message included.
///
/// The spam key is the first 112 bits of its digest (`sub`); the other two, 64 bits of
/// the object's (the spam key's first word) and 48 of their own.
fn keys(e: &Event) -> (Key, Key, Key) {
    let mut h = object_hash(&e.source, &e.involved_object);
    let spam = finish(h.clone());
    let spam = (spam.0, sub(spam.1));
    h.update(e.type_.as_bytes());
    h.update(e.reason.as_bytes());
    let aggregate = (spam.0, sub(finish(h.clone()).0));
    h.update(e.message.as_bytes());
    (spam, aggregate, (spam.0, sub(finish(h).0)))
}

impl EventCorrelator {
    /// EventCorrelate: what to write for `e` (a fresh event: count 1, both timestamps now).
    pub fn correlate(&mut self, mut e: Event, now: SimTime) -> Record {
        // EventAggregate.
        let (skey, agg_key, mut key) = keys(&e);
        #[cfg(debug_assertions)]
        assert!(!self.forgotten.contains(&skey.0), "an event about {:?} after it was forgotten", e.involved_object);
        let message = digest(&[&e.message]).0;
        let fresh = || Aggregate { first: message, more: None, last: now };
        self.aggregates.prepare(&mut self.objects, agg_key);
        let mut entries = self.objects.entry(skey.0).or_default();
        let (a, found) = self.aggregates.get_or_add(entries, agg_key, fresh);
        if found && now.since(a.last) > AGGREGATE_INTERVAL {
            *a = fresh();
        }
        if !a.has(&message) {
            a.more.get_or_insert_with(Default::default).push(message);
        }
        a.last = now;
        if a.len() >= AGGREGATE_MAX_EVENTS {
            // "do not grow our local key set any larger than max".
            a.more.as_mut().and_then(|m| m.pop());
            e.message = crate::api::meta::Text::concat(&["(combined from similar events): ", &e.message]);
            key = agg_key;
        }
        // (The two other caches are readied before either is used: each evicts only
        // its own entries.)
        if self.observed.busy() || self.spam.busy() {
            self.observed.prepare(&mut self.objects, key);
            self.spam.prepare(&mut self.objects, skey);
            entries = self.objects.entry(skey.0).or_default();
        }
        // eventObserve.
        let (last, update) = self.observed.get_or_add(entries, key, || Observed::Stamped { count: 0, stamp: 0 });
        if update {
            e.metadata.name = last.name(&e);
            e.first_timestamp = last.first();
            e.count = last.count() + 1;
        }
        *last = Observed::of(&e);
        // EventSourceObjectSpamFilter.
        let cap = SPAM_BURST * SPAM_REFILL.as_ms();
        let allowed = match self.spam.get_or_add(entries, skey, || Bucket { fill_ms: cap - SPAM_REFILL.as_ms(), at: now }) {
            (_, false) => true,
            (b, true) => {
                b.fill_ms = (b.fill_ms + now.since(b.at).as_ms()).min(cap);
                b.at = now;
                let ok = b.fill_ms >= SPAM_REFILL.as_ms();
                if ok {
                    b.fill_ms -= SPAM_REFILL.as_ms();
                }
                ok
            }
        };
        match (allowed, update) {
            (false, _) => Record::Skip,
            (true, true) => Record::Update(e),
            (true, false) => Record::Create(e),
        }
    }
}

impl EventCorrelator {
    /// `involved`, recorded by `source`, is gone from the API (its uid never comes back):
    /// its entries are kept as their place in each cache's recency order alone.
    pub fn forget(&mut self, source: &EventSource, involved: &ObjectReference) {
        let object = finish(object_hash(source, involved)).0;
        if let Some(e) = self.objects.remove(&object) {
            self.aggregates.forget(&e.aggregates);
            self.observed.forget(&e.observed);
            self.spam.forget(&e.spam);
        }
        #[cfg(debug_assertions)]
        self.forgotten.insert(object);
    }
}

/// A cached isomorphic event. Until a second one joins it only what the series write
/// takes from the first is kept (its name, note and first timestamp: the rest of the
/// Event is the same in every event of the key); the whole Event once it is a series,
/// for the tickers to write.
#[derive(Debug)]
enum Cached {
    /// The name as the correlator keeps it (the stamp alone, 16 bytes rather than a
    /// copied string), and the message as the store's compact Events keep theirs: one
    /// copy shared with the other lone events that say the same, their objects' names
    /// taken out if they name them (`templated`: "Successfully assigned default/\0 to
    /// node-1", one copy for the pods of a namespace bound to a node). One per event
    /// kube-scheduler recorded in the last 6 to 12 minutes (`finish` runs every 6).
    Lone {
        name: EventName,
        message: crate::etcd::SharedStr,
        templated: bool,
        first: crate::api::meta::MaybeTime,
    },
    Series(Box<Event>),
}

#[derive(Debug)]
struct Series {
    event: Cached,
    /// Occurrences counted (1 until it becomes a series).
    count: i32,
    /// When the last one was observed.
    last: SimTime,
}

// A cache entry's value: 56 bytes (it was 64, and a copy of the message besides).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Series>() == 56);

/// The events.k8s.io/v1 recorder's isomorphic-event cache (kube-scheduler).
#[derive(Debug, Default)]
pub struct EventSeriesRecorder {
    cache: BTreeMap<Key, Series>,
    /// The lone events' messages.
    messages: crate::etcd::Messages,
}

/// getKey: type, reason and the object as referenced — its resourceVersion included —
/// (action and reporting controller are one per reason here); not the note.
fn series_key(e: &Event, regarding_rv: u64) -> Key {
    let o = &e.involved_object;
    let rv = regarding_rv.to_string();
    digest(&[
        &e.reporting_component,
        "\u{0}",
        &o.kind,
        "\u{0}",
        &o.namespace,
        "\u{0}",
        &o.name,
        "\u{0}",
        &o.uid,
        "\u{0}",
        &e.type_,
        "\u{0}",
        &e.reason,
        "\u{0}",
        &rv,
    ])
}

/// The next tick of a ticker of `period` started at 0 (the broadcaster starts with the
/// component).
pub fn next_tick(now: SimTime, period: SimDuration) -> SimTime {
    SimTime((now.as_ms() / period.as_ms() + 1) * period.as_ms())
}

impl EventSeriesRecorder {
    /// recordToSink: what to write for `e`, about an object at `regarding_rv`. The first
    /// is created; the second isomorphic one makes it a series (count 2, written); later
    /// ones are counted, and written by `finish` and `refresh`.
    pub fn record(&mut self, mut e: Event, regarding_rv: u64, now: SimTime) -> Record {
        let key = series_key(&e, regarding_rv);
        match self.cache.get_mut(&key) {
            Some(s) => {
                s.count += 1;
                s.last = now;
                if let Cached::Lone { name, message, templated, first } = &s.event {
                    // The first event, rebuilt from this isomorphic one.
                    // The same object (it is part of the key): the same name.
                    e.metadata.name = name.name(&e);
                    e.message = crate::etcd::message(message, *templated, &e.involved_object.name);
                    e.first_timestamp = *first;
                    s.event = Cached::Series(Box::new(e));
                }
                if s.count == 2 {
                    Record::Update(s.written(now))
                } else {
                    Record::Skip
                }
            }
            None => {
                e.count = 1;
                let (message, templated) = self.messages.of(&e.message, &e.involved_object.name);
                let event = Cached::Lone { name: EventName::of(&e), message, templated, first: e.first_timestamp };
                self.cache.insert(key, Series { event, count: 1, last: now });
                Record::Create(e)
            }
        }
    }

    /// finishSeries (every 6 minutes): a series none joined for 6 minutes is written with
    /// its final count and forgotten; a lone event older than that is forgotten.
    pub fn finish(&mut self, now: SimTime) -> Vec<Record> {
        let mut out = Vec::new();
        self.cache.retain(|_, s| {
            if now.since(s.last) <= SERIES_FINISH {
                return true;
            }
            if s.count > 1 {
                out.push(Record::Update(s.written(s.last)));
            }
            false
        });
        out
    }

    /// refreshExistingEventSeries (every 30 minutes): every open series is written.
    pub fn refresh(&mut self) -> Vec<Record> {
        self.cache.values().filter(|s| s.count > 1).map(|s| Record::Update(s.written(s.last))).collect()
    }

    /// Whether anything is cached (the tickers have work).
    pub fn is_empty(&self) -> bool {
        self.cache.is_empty()
    }
}

impl Series {
    /// The Event as a series write shows it: the count, last observed at `at`.
    fn written(&self, at: SimTime) -> Event {
        let Cached::Series(first) = &self.event else { unreachable!("only a series is written") };
        let mut ev = (**first).clone();
        ev.count = self.count;
        ev.last_timestamp = crate::api::meta::Time(at).into();
        ev
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::meta::Time;
    use std::rc::Rc;

    fn ev(reason: &str, message: &str, t: u64) -> Event {
        let mut e = Event::default();
        e.metadata.name = format!("web.{t}").into();
        e.metadata.namespace = "default".into();
        e.involved_object =
            ObjectReference { kind: "Pod".into(), namespace: "default".into(), name: "web".into(), uid: "u".into(), api_version: "v1".into() }.into();
        e.reason = reason.to_string().into();
        e.message = message.into();
        e.source = EventSource { component: "kubelet".into(), host: "n1".into() }.into();
        e.type_ = "Normal".into();
        e.count = 1;
        e.first_timestamp = Time(SimTime(t)).into();
        e.last_timestamp = Time(SimTime(t)).into();
        e
    }

    /// The keys hashed in one pass are the digests of upstream's joined strings
    /// (events_cache.go getSpamKey, EventAggregatorByReasonFunc, getEventKey).
    #[test]
    fn keys_are_the_digests_of_the_joined_strings() {
        let e = ev("Pulled", "Container image \"nginx\" already present on machine", 7);
        let (spam, aggregate, event) = keys(&e);
        let object = digest(&["kubelet", "n1", "Pod", "default", "web", "u", "v1"]);
        assert_eq!(spam, (object.0, object.1 >> 16));
        assert_eq!(aggregate, (spam.0, digest(&["kubelet", "n1", "Pod", "default", "web", "u", "v1", "Normal", "Pulled"]).0 >> 16));
        assert_eq!(event, (spam.0, digest(&["kubelet", "n1", "Pod", "default", "web", "u", "v1", "Normal", "Pulled", &e.message]).0 >> 16));
        assert_ne!(spam, aggregate);
    }

    /// An Event named as `event_with` names them keeps its name and firstTimestamp
    /// through the cache as its stamp alone; another name, or a stamp of another moment
    /// than the firstTimestamp, is kept whole with the timestamp.
    #[test]
    fn an_observed_event_keeps_its_name() {
        // The first Event's firstTimestamp is 1,000 ms: stamps 10⁹ to 10⁹ + 999,999
        // (0x3b9aca00 on) are of that moment.
        let cases = [
            ("web.000000003b9aca00", true),
            ("web.000000003b9aca05", true),
            ("web.000000003b9ab9ff", false),
            ("web.00038d7ea4c68000", false),
            ("web.ffffffffffffffff", false),
            ("web.1000", false),
            ("web.000000003B9ACA00", false),
            ("other.000000003b9aca00", false),
        ];
        for (name, stamped) in cases {
            let mut c = EventCorrelator::default();
            let mut first = ev("BackOff", "Back-off restarting", 1000);
            first.metadata.name = name.into();
            assert!(matches!(c.correlate(first, SimTime(1000)), Record::Create(_)));
            let kept = c.objects.values().next().and_then(|e| e.observed.first()).map(|o| matches!(o.value, Observed::Stamped { .. }));
            assert_eq!(kept, Some(stamped), "{name}");
            // The second and third: updates of the first, named and timed as it was.
            for (t, count) in [(5000, 2), (9000, 3)] {
                match c.correlate(ev("BackOff", "Back-off restarting", t), SimTime(t)) {
                    Record::Update(e) => {
                        assert_eq!(e.metadata.name, name);
                        assert_eq!((e.count, e.first_timestamp.get()), (count, Some(Time(SimTime(1000)))), "{name}");
                    }
                    r => panic!("{r:?}"),
                }
            }
        }
        // A stamped name on an Event without a firstTimestamp: kept whole, and updated
        // without one.
        let mut c = EventCorrelator::default();
        let mut first = ev("BackOff", "Back-off restarting", 1000);
        first.metadata.name = "web.000000003b9aca00".into();
        first.first_timestamp = crate::api::meta::MaybeTime::NONE;
        c.correlate(first, SimTime(1000));
        match c.correlate(ev("BackOff", "Back-off restarting", 5000), SimTime(5000)) {
            Record::Update(e) => assert_eq!((e.metadata.name.as_str(), e.first_timestamp.get()), ("web.000000003b9aca00", None)),
            r => panic!("{r:?}"),
        }
    }

    /// events_cache_test.go TestEventCorrelator "the-same-event-should-just-count": the
    /// same event again updates the first object with count 2 and its first timestamp.
    #[test]
    fn the_same_event_counts_on_the_first_object() {
        let mut c = EventCorrelator::default();
        assert!(matches!(c.correlate(ev("BackOff", "Back-off restarting", 1000), SimTime(1000)), Record::Create(_)));
        match c.correlate(ev("BackOff", "Back-off restarting", 5000), SimTime(5000)) {
            Record::Update(e) => {
                assert_eq!((e.metadata.name.as_str(), e.count), ("web.1000", 2));
                assert_eq!(e.first_timestamp.get(), Some(Time(SimTime(1000))));
                assert_eq!(e.last_timestamp.get(), Some(Time(SimTime(5000))));
            }
            r => panic!("{r:?}"),
        }
    }

    /// "the-same-event-should-just-count-even-if-more-than-burst" and the aggregation
    /// cases: 10 events alike but for their message, the 10th is combined; 25 from one
    /// source about one object, the 26th is dropped until a token comes back (5 min).
    #[test]
    fn similar_events_combine_and_a_source_is_rate_limited() {
        let mut c = EventCorrelator::default();
        for i in 0..9 {
            assert!(matches!(c.correlate(ev("SuccessfulCreate", &format!("Created pod: p{i}"), i), SimTime(i)), Record::Create(_)), "{i}");
        }
        match c.correlate(ev("SuccessfulCreate", "Created pod: p9", 9), SimTime(9)) {
            Record::Create(e) => assert_eq!(e.message, "(combined from similar events): Created pod: p9"),
            r => panic!("{r:?}"),
        }
        match c.correlate(ev("SuccessfulCreate", "Created pod: p10", 10), SimTime(10)) {
            Record::Update(e) => assert_eq!((e.count, e.message.as_str()), (2, "(combined from similar events): Created pod: p10")),
            r => panic!("{r:?}"),
        }
        // 11 written so far; 14 more fit the burst of 25.
        for i in 11..25 {
            assert!(!matches!(c.correlate(ev("SuccessfulCreate", &format!("Created pod: p{i}"), i), SimTime(i)), Record::Skip), "{i}");
        }
        assert_eq!(c.correlate(ev("SuccessfulCreate", "Created pod: p25", 25), SimTime(25)), Record::Skip);
        let later = 25 + SPAM_REFILL.as_ms();
        assert!(!matches!(c.correlate(ev("Other", "x", later), SimTime(later)), Record::Skip), "a token came back after 5 minutes");
    }

    /// event_broadcaster_test.go TestEventSeriesf: the second isomorphic event makes a
    /// series of 2 (written), the third only counts; the note is not part of the key,
    /// the object's resourceVersion is; finishSeries writes the final count of a series
    /// quiet for 6 minutes and forgets it, so the next one is created anew.
    #[test]
    fn isomorphic_events_become_a_series() {
        let mut r = EventSeriesRecorder::default();
        assert!(matches!(r.record(ev("FailedScheduling", "0/3 nodes", 0), 7, SimTime(0)), Record::Create(_)));
        assert!(matches!(r.record(ev("FailedScheduling", "0/3 nodes", 500), 8, SimTime(500)), Record::Create(_)), "another resourceVersion");
        match r.record(ev("FailedScheduling", "0/3 nodes", 1000), 7, SimTime(1000)) {
            Record::Update(e) => assert_eq!((e.count, e.metadata.name.as_str()), (2, "web.0")),
            x => panic!("{x:?}"),
        }
        assert_eq!(r.record(ev("FailedScheduling", "0/4 nodes", 2000), 7, SimTime(2000)), Record::Skip, "the note is not in the key");
        assert!(r.finish(SimTime(360_000)).is_empty(), "not yet quiet for 6 minutes");
        match r.finish(SimTime(362_001)).as_slice() {
            [Record::Update(e)] => assert_eq!((e.count, e.last_timestamp.get()), (3, Some(Time(SimTime(2000))))),
            x => panic!("{x:?}"),
        }
        assert!(r.is_empty(), "the lone event at another resourceVersion is forgotten too");
        assert!(matches!(r.record(ev("FailedScheduling", "0/3 nodes", 400_000), 7, SimTime(400_000)), Record::Create(_)));
        assert_eq!(next_tick(SimTime(400_000), SERIES_FINISH), SimTime(720_000));
    }

    /// recordToSink writes the cached first event as the series (`isomorphicEvent.
    /// DeepCopy()`): its name — kept as the stamp of `<object>.<16 hex digits>` — its note
    /// and its first time, whatever the second one's were.
    #[test]
    fn a_series_is_written_as_its_first_event() {
        let mut r = EventSeriesRecorder::default();
        let named = |note: &str, t: u64| {
            let mut e = ev("Scheduled", note, t);
            e.metadata.name = crate::client::event_name("web", 0x0123_4567_89ab_cdef + t);
            e
        };
        assert!(matches!(r.record(named("first note", 5), 7, SimTime(5)), Record::Create(_)));
        match r.record(named("second note", 9), 7, SimTime(9)) {
            Record::Update(e) => {
                assert_eq!((e.metadata.name.as_str(), e.message.as_str()), ("web.0123456789abcdf4", "first note"));
                assert_eq!((e.count, e.first_timestamp.get()), (2, Some(Time(SimTime(5)))));
            }
            x => panic!("{x:?}"),
        }
    }

    /// A lone event's note is kept as one copy for every lone event that says the same
    /// about its own object — the object's name taken out where the note names it — and
    /// a series is written with its first note exactly, the name put back (a note that
    /// names the object more than once, not at all, is the name, or has a NUL of its
    /// own, as well), and without a first timestamp if the first had none.
    #[test]
    fn lone_events_share_their_note_and_a_series_gets_its_own_back() {
        let mut r = EventSeriesRecorder::default();
        let about = |pod: &str, note: &str, t: u64| {
            let mut e = ev("Scheduled", note, t);
            let mut o = (*e.involved_object).clone();
            o.name = pod.into();
            o.uid = format!("uid-{pod}").into();
            e.involved_object = o.into();
            e.metadata.name = crate::client::event_name(pod, t);
            e
        };
        for (i, pod) in ["web-1", "web-2", "web-3"].iter().enumerate() {
            let note = format!("Successfully assigned default/{pod} to node-1");
            assert!(matches!(r.record(about(pod, &note, i as u64), 7, SimTime(i as u64)), Record::Create(_)));
        }
        let notes: Vec<*const str> = r
            .cache
            .values()
            .map(|s| match &s.event {
                Cached::Lone { message, templated: true, .. } => &**message as *const str,
                x => panic!("{x:?}"),
            })
            .collect();
        assert!(notes.windows(2).all(|w| std::ptr::eq(w[0], w[1])), "one copy");
        for (note, pod) in [
            ("Successfully assigned default/web-2 to node-1", "web-2"),
            ("web-9 and web-9 again", "web-9"),
            ("about nothing", "web-8"),
            ("web-7", "web-7"),
            ("web-6 with a \0 of its own", "web-6"),
        ] {
            if pod != "web-2" {
                assert!(matches!(r.record(about(pod, note, 50), 7, SimTime(50)), Record::Create(_)));
            }
            match r.record(about(pod, "a second note", 60), 7, SimTime(60)) {
                Record::Update(e) => assert_eq!((e.message.as_str(), e.count), (note, 2)),
                x => panic!("{x:?}"),
            }
        }
        // A first event without a first timestamp is written without one.
        let mut e = about("web-5", "no time", 70);
        e.first_timestamp = crate::api::meta::MaybeTime::NONE;
        r.record(e, 7, SimTime(70));
        match r.record(about("web-5", "later", 80), 7, SimTime(80)) {
            Record::Update(e) => assert_eq!((e.message.as_str(), e.first_timestamp.get()), ("no time", None)),
            x => panic!("{x:?}"),
        }
    }

    /// One of the correlator's caches alone, with golang-lru's Cache's Get and Add (a
    /// value is a bucket's fill).
    #[derive(Default)]
    struct One {
        lru: Lru<Bucket>,
        objects: Objects,
    }

    impl One {
        fn add(&mut self, k: Key, v: u64) {
            self.lru.prepare(&mut self.objects, k);
            let entries = self.objects.entry(k.0).or_default();
            self.lru.get_or_add(entries, k, || Bucket { fill_ms: 0, at: SimTime(0) }).0.fill_ms = v;
        }

        fn get(&mut self, k: &Key) -> Option<u64> {
            self.objects.get(&k.0)?.spam.binary_search_by_key(&k.1, |x| x.sub()).ok()?;
            self.lru.prepare(&mut self.objects, *k);
            let entries = self.objects.get_mut(&k.0).expect("there");
            Some(self.lru.get_or_add(entries, *k, || unreachable!("there")).0.fill_ms)
        }

        fn forget(&mut self, object: u64) {
            if let Some(e) = self.objects.remove(&object) {
                self.lru.forget(&e.spam);
            }
        }

        /// The entries that can be looked up, in key order.
        fn live(&self) -> Vec<(Key, u64)> {
            self.objects.iter().flat_map(|(o, e)| e.spam.iter().map(move |x| ((*o, x.sub()), x.value.fill_ms))).collect()
        }
    }

    /// An entry's key word and tick share one word: either is read back as written, and
    /// a new tick leaves the key as it was (the widest of each).
    #[test]
    fn an_entry_keeps_its_key_and_tick_in_one_word() {
        for (sub, tick, next) in [(0, 0, Tick::MAX), ((1 << 48) - 1, Tick::MAX, 0), (0x1234_5678_9abc, 7, 0x8001)] {
            let mut e = Entry::new(sub, tick, ());
            assert_eq!((e.sub(), e.tick()), (sub, tick));
            e.set_tick(next);
            assert_eq!((e.sub(), e.tick()), (sub, next));
        }
    }

    /// golang-lru's Cache: adding to a full cache evicts the least recently used entry,
    /// a get makes an entry the most recent; after the first eviction the order is kept
    /// for every later one.
    #[test]
    fn the_least_recently_used_entry_is_evicted() {
        let key = |i: u64| {
            let d = digest(&[&i.to_string()]);
            (d.0, sub(d.1))
        };
        let mut l = One::default();
        for i in 0..LRU_ENTRIES as u64 {
            l.add(key(i), i);
        }
        assert!(l.lru.order.is_none(), "no order kept before the cache fills");
        assert_eq!(l.get(&key(0)), Some(0));
        l.add(key(LRU_ENTRIES as u64), 1);
        assert_eq!((l.lru.len, l.live().len()), (LRU_ENTRIES, LRU_ENTRIES));
        assert!(l.get(&key(0)).is_some(), "0 was used after 1 was added");
        assert!(l.get(&key(1)).is_none(), "1 was the least recently used");
        l.add(key(LRU_ENTRIES as u64 + 1), 0);
        assert!(l.get(&key(2)).is_none(), "2 next");
        l.add(key(3), 33);
        l.add(key(LRU_ENTRIES as u64 + 2), 0);
        assert_eq!(l.get(&key(3)), Some(33), "re-adding 3 made it recent");
        assert!(l.get(&key(4)).is_none());
    }

    /// Against golang-lru's Cache written plainly (a list in recency order: Get and Add
    /// move a key to the front, an Add to a full list drops its back), a cache holds the
    /// same entries with the same values after any sequence of Gets and Adds, and its
    /// ticks running out midway changes nothing.
    #[test]
    fn a_cache_is_golang_lrus() {
        use proptest::prelude::*;
        // (add?, object, key within it, value), after 4,000 adds (of objects 1,000 to
        // 1,999, which the ops' keys overlap).
        let op = (any::<bool>(), 0u64..1500, 0u64..4, any::<u16>());
        proptest!(ProptestConfig::with_cases(6), |(ops in proptest::collection::vec(op, 4000..6000))| {
            let mut model: VecDeque<(Key, u64)> = VecDeque::new();
            let mut one = One { lru: Lru { tick: Tick::MAX - 6000, ..Lru::default() }, ..One::default() };
            let fill = (1000..2000).flat_map(|o| (0..4).map(move |s| (true, o, s, 0)));
            for (i, (add, object, sub, v)) in fill.chain(ops).enumerate() {
                let k = (object, sub);
                let at = model.iter().position(|(m, _)| *m == k);
                if add {
                    if let Some(at) = at {
                        model.remove(at);
                    } else if model.len() == LRU_ENTRIES {
                        model.pop_back();
                    }
                    model.push_front((k, v.into()));
                    one.add(k, v.into());
                } else {
                    let got = at.map(|at| {
                        let e = model.remove(at).expect("there");
                        model.push_front(e);
                        e.1
                    });
                    prop_assert_eq!(one.get(&k), got);
                }
                if i % 1000 == 0 {
                    let mut want: Vec<(Key, u64)> = model.iter().copied().collect();
                    want.sort_unstable();
                    prop_assert_eq!(one.live(), want);
                }
            }
            prop_assert!(one.lru.order.is_some(), "the cache filled");
            prop_assert!(one.lru.tick < Tick::MAX - 6000, "the ticks ran out and were numbered again");
        });
    }

    /// An object's entries in one cache are kept in key order and evicted one by one:
    /// the object's record goes with its last entry.
    #[test]
    fn an_objects_entries_are_evicted_one_by_one() {
        let mut l = One::default();
        // Object 7 has three entries, the least recently used of the cache.
        for sub in [30, 10, 20] {
            l.add((7, sub), sub);
        }
        assert_eq!(l.live(), vec![((7, 10), 10), ((7, 20), 20), ((7, 30), 30)]);
        for i in 0..(LRU_ENTRIES - 3) as u64 {
            l.add((100 + i, 0), i);
        }
        l.add((1, 0), 0);
        assert_eq!(l.live()[..2], [((1, 0), 0), ((7, 10), 10)], "the first added (30) evicted");
        l.add((2, 0), 0);
        l.add((3, 0), 0);
        assert!(!l.objects.contains_key(&7), "with its last entry");
        assert_eq!((l.lru.len, l.live().len()), (LRU_ENTRIES, LRU_ENTRIES));
    }

    /// Forgetting an object's entries changes nothing that can be seen: against a cache
    /// that keeps them (golang-lru's), the same keys of the other objects are there
    /// after any sequence of uses, with the same values, and the size is the same. The
    /// sequences use more keys than the cache holds, so entries of both kinds are evicted.
    /// A cache whose ticks run out midway (numbered again) keeps the same entries too.
    #[test]
    fn forgotten_entries_are_evicted_in_their_turn() {
        use proptest::prelude::*;
        // (object, key within it, value), or forget an object.
        let op = prop_oneof![40 => (0u64..2000, 0u64..8, any::<u16>()).prop_map(Some), 1 => Just(None)];
        proptest!(ProptestConfig::with_cases(24), |(ops in proptest::collection::vec((op, 0u64..2000), 6000..9000))| {
            let (mut kept, mut lru) = (One::default(), One::default());
            let mut late = One { lru: Lru { tick: Tick::MAX - 3000, ..Lru::default() }, ..One::default() };
            let mut forgotten = std::collections::BTreeSet::new();
            let last = ops.len() - 1;
            for (i, (o, f)) in ops.into_iter().enumerate() {
                match o {
                    Some((object, k, v)) if !forgotten.contains(&object) => {
                        let key = (object, sub(digest(&[&k.to_string()]).0));
                        kept.add(key, v.into());
                        lru.add(key, v.into());
                        late.add(key, v.into());
                    }
                    Some(_) => {}
                    None => {
                        forgotten.insert(f);
                        lru.forget(f);
                        late.forget(f);
                    }
                }
                prop_assert_eq!(kept.lru.size(), lru.lru.size());
                prop_assert_eq!(late.lru.size(), lru.lru.size());
                if i % 500 == 0 || i == last {
                    // The same entries and values, but for the forgotten objects'.
                    let live: Vec<(Key, u64)> = kept.live().into_iter().filter(|(k, _)| !forgotten.contains(&k.0)).collect();
                    prop_assert_eq!(&live, &lru.live());
                    prop_assert_eq!(&live, &late.live());
                    prop_assert_eq!(lru.lru.len, live.len());
                }
            }
            prop_assert!(kept.lru.order.is_some(), "the cache filled");
            prop_assert!(late.lru.tick < Tick::MAX - 3000, "the ticks ran out and were numbered again");
        });
    }

    /// A kubelet's correlator forgets a pod: its next event about another object is
    /// correlated as before, and the forgotten entries still count.
    #[test]
    fn a_forgotten_object_keeps_its_place() {
        let mut c = EventCorrelator::default();
        let a = ev("Pulled", "Container image \"nginx\" already present on machine", 7);
        let mut b = a.clone();
        Rc::make_mut(&mut b.involved_object).uid = "u2".into();
        assert!(matches!(c.correlate(a.clone(), SimTime(7)), Record::Create(_)));
        assert!(matches!(c.correlate(b.clone(), SimTime(8)), Record::Create(_)));
        c.forget(&a.source, &a.involved_object);
        assert_eq!((c.aggregates.size(), c.observed.size(), c.spam.size()), (2, 2, 2));
        assert_eq!((c.aggregates.len, c.observed.len, c.spam.len, c.objects.len()), (1, 1, 1, 1));
        assert!(matches!(c.correlate(b, SimTime(9)), Record::Update(e) if e.count == 2));
    }
}
