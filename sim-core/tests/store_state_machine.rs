//! State-machine tests (proptest-state-machine) of the etcd store's revision, optimistic
//! concurrency, history/compaction and watch semantics, and of `Informer::resync`.
//!
//! The reference model is a map of objects plus the full list of history entries (one
//! per successful write, so entry `i` has revision `i + 1`) and the compacted revision;
//! every transition's expected outcome is computed from it and compared with the store.

use proptest::prelude::*;
use proptest::test_runner::Config;
use proptest_state_machine::{prop_state_machine, ReferenceStateMachine, StateMachineTest};
use sim_core::api::namespace::Namespace;
use sim_core::api::{Kind, Object, ObjectKey};
use sim_core::client::Informer;
use sim_core::engine::SimTime;
use sim_core::etcd::{HistoryLimits, Store, StoreError, WatchEvent, WatchEventType};
use std::collections::BTreeMap;

const NAMES: [&str; 4] = ["a", "b", "c", "d"];

fn ns(name: &str, rv: u64, tag: i64) -> Object {
    let mut n = Namespace::default();
    n.metadata.name = name.into();
    n.metadata.resource_version.0 = rv;
    n.metadata.rare.generation = tag;
    Object::Namespace(Box::new(n))
}

fn key(name: &str) -> ObjectKey {
    ObjectKey::new(Kind::Namespace, "", name)
}

/// The model of one stored object: its resourceVersion and a payload (`generation`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Obj {
    rv: u64,
    tag: i64,
}

fn obj_of(o: &Object) -> Obj {
    Obj { rv: o.meta().resource_version.0, tag: o.meta().rare.generation }
}

/// One history entry of the model.
#[derive(Clone, Debug)]
struct Entry {
    revision: u64,
    type_: WatchEventType,
    name: &'static str,
    obj: Obj,
    prev: Option<Obj>,
    time: u64,
}

#[derive(Clone, Debug)]
enum Expect {
    Nothing,
    Write(Result<(), StoreError>),
    /// The revisions `watch_from` must return, or the error.
    Watch(Result<Vec<u64>, StoreError>),
    Resync {
        relisted: bool,
    },
}

#[derive(Clone, Debug)]
struct Model {
    max_age_ms: u64,
    max_entries: usize,
    now: u64,
    revision: u64,
    compacted: u64,
    objects: BTreeMap<&'static str, Obj>,
    history: Vec<Entry>,
    informer_last: u64,
    expect: Expect,
}

impl Model {
    fn write(&mut self, type_: WatchEventType, name: &'static str, tag: Option<i64>) {
        self.revision += 1;
        let prev = self.objects.get(name).cloned();
        let obj = Obj { rv: self.revision, tag: tag.unwrap_or_else(|| prev.as_ref().unwrap().tag) };
        match type_ {
            WatchEventType::Deleted => {
                self.objects.remove(name);
            }
            _ => {
                self.objects.insert(name, obj.clone());
            }
        }
        self.history.push(Entry { revision: self.revision, type_, name, obj, prev, time: self.now });
        // The entry-count bound: the retained history is (compacted, revision].
        while self.revision - self.compacted > self.max_entries as u64 {
            self.compacted += 1;
        }
        self.expect = Expect::Write(Ok(()));
    }

    fn entry(&self, revision: u64) -> &Entry {
        &self.history[revision as usize - 1]
    }

    /// What `watch_from(r)` must return.
    fn watch(&self, r: u64) -> Result<Vec<u64>, StoreError> {
        if r < self.compacted {
            Err(StoreError::Gone { compacted: self.compacted })
        } else {
            Ok((r + 1..=self.revision).collect())
        }
    }

    fn conflict(cur: &Obj, rv: u64) -> bool {
        rv != 0 && rv != cur.rv
    }
}

#[derive(Clone, Debug)]
enum Transition {
    Create { name: &'static str, tag: i64 },
    Update { name: &'static str, rv: u64, tag: i64 },
    Delete { name: &'static str, precondition: Option<u64> },
    AdvanceTime(u64),
    CompactOlderThanNow,
    Compact(u64),
    WatchFrom(u64),
    Resync,
}

struct StoreModel;

impl ReferenceStateMachine for StoreModel {
    type State = Model;
    type Transition = Transition;

    fn init_state() -> BoxedStrategy<Model> {
        (0u64..=40, prop_oneof![1usize..=6, Just(20_000usize)])
            .prop_map(|(max_age_ms, max_entries)| Model {
                max_age_ms,
                max_entries,
                now: 0,
                revision: 0,
                compacted: 0,
                objects: BTreeMap::new(),
                history: Vec::new(),
                informer_last: 0,
                expect: Expect::Nothing,
            })
            .boxed()
    }

    fn transitions(state: &Model) -> BoxedStrategy<Transition> {
        let rev = state.revision;
        let objects = state.objects.clone();
        let cur = move |n: &str| objects.get(n).map(|o| o.rv);
        let cur2 = cur.clone();
        // A resourceVersion for `name`: mostly its current one or a stale (possibly
        // future) non-zero one, sometimes 0 (unconditional).
        let rv_for = move |c: Option<u64>| -> BoxedStrategy<u64> {
            match c {
                Some(c) => prop_oneof![2 => Just(c), 1 => Just(0), 2 => 1..=rev + 1].boxed(),
                None => prop_oneof![Just(0), 1..=rev + 1].boxed(),
            }
        };
        let precondition_for = move |c: Option<u64>| -> BoxedStrategy<Option<u64>> {
            match c {
                Some(c) => prop_oneof![Just(None), Just(Some(c)), (1..=rev + 1).prop_map(Some)].boxed(),
                None => prop_oneof![Just(None), (1..=rev + 1).prop_map(Some)].boxed(),
            }
        };
        let name = || proptest::sample::select(&NAMES[..]);
        prop_oneof![
            3 => (name(), 0i64..100).prop_map(|(name, tag)| Transition::Create { name, tag }),
            4 => name().prop_flat_map(move |name| (Just(name), rv_for(cur(name)), 0i64..100))
                .prop_map(|(name, rv, tag)| Transition::Update { name, rv, tag }),
            2 => name().prop_flat_map(move |name| (Just(name), precondition_for(cur2(name))))
                .prop_map(|(name, precondition)| Transition::Delete { name, precondition }),
            2 => (0u64..=25).prop_map(Transition::AdvanceTime),
            1 => Just(Transition::CompactOlderThanNow),
            1 => (0..=rev + 2).prop_map(Transition::Compact),
            2 => (0..=rev + 2).prop_map(Transition::WatchFrom),
            2 => Just(Transition::Resync),
        ]
        .boxed()
    }

    fn apply(mut s: Model, t: &Transition) -> Model {
        s.expect = Expect::Nothing;
        match *t {
            Transition::Create { name, tag } => {
                if s.objects.contains_key(name) {
                    s.expect = Expect::Write(Err(StoreError::AlreadyExists));
                } else {
                    s.write(WatchEventType::Added, name, Some(tag));
                }
            }
            Transition::Update { name, rv, tag } => match s.objects.get(name) {
                None => s.expect = Expect::Write(Err(StoreError::NotFound)),
                Some(cur) if Model::conflict(cur, rv) => s.expect = Expect::Write(Err(StoreError::Conflict)),
                Some(_) => s.write(WatchEventType::Modified, name, Some(tag)),
            },
            Transition::Delete { name, precondition } => match s.objects.get(name) {
                None => s.expect = Expect::Write(Err(StoreError::NotFound)),
                Some(cur) if precondition.is_some_and(|rv| Model::conflict(cur, rv)) => s.expect = Expect::Write(Err(StoreError::Conflict)),
                Some(_) => s.write(WatchEventType::Deleted, name, None),
            },
            Transition::AdvanceTime(ms) => s.now += ms,
            Transition::CompactOlderThanNow => {
                while s.compacted < s.revision && s.now - s.entry(s.compacted + 1).time > s.max_age_ms {
                    s.compacted += 1;
                }
            }
            Transition::Compact(rev) => s.compacted = s.compacted.max(rev.min(s.revision)),
            Transition::WatchFrom(r) => s.expect = Expect::Watch(s.watch(r)),
            Transition::Resync => {
                s.expect = Expect::Resync { relisted: s.informer_last < s.compacted };
                s.informer_last = s.revision;
            }
        }
        s
    }
}

struct Sut {
    store: Store,
    informer: Informer,
    now: SimTime,
}

/// A watch event equals the model's history entry of the same revision.
fn check_event(ev: &WatchEvent, m: &Model) {
    let e = m.entry(ev.revision);
    assert_eq!(ev.revision, e.revision);
    assert_eq!(ev.type_, e.type_, "event type at revision {}", ev.revision);
    assert_eq!(ev.object.meta().name, e.name, "object name at revision {}", ev.revision);
    assert_eq!(ev.object.meta().resource_version.0, ev.revision, "event object's resourceVersion != its revision");
    assert_eq!(obj_of(&ev.object), e.obj, "event object at revision {}", ev.revision);
    assert_eq!(ev.prev.as_deref().map(obj_of), e.prev, "event prev at revision {}", ev.revision);
    assert_eq!(ev.time, SimTime(e.time), "event time at revision {}", ev.revision);
}

fn contents(objs: impl Iterator<Item = (String, Obj)>) -> Vec<(String, Obj)> {
    objs.collect()
}

struct StoreTest;

impl StateMachineTest for StoreTest {
    type SystemUnderTest = Sut;
    type Reference = StoreModel;

    fn init_test(m: &Model) -> Sut {
        Sut { store: Store::new(HistoryLimits { max_age_ms: m.max_age_ms, max_entries: m.max_entries }), informer: Informer::default(), now: SimTime(0) }
    }

    fn apply(mut sut: Sut, m: &Model, t: Transition) -> Sut {
        let before = sut.store.revision();
        let write = match t {
            Transition::Create { name, tag } => Some(sut.store.create(ns(name, 0, tag), sut.now)),
            Transition::Update { name, rv, tag } => Some(sut.store.update(ns(name, rv, tag), sut.now)),
            Transition::Delete { name, precondition } => Some(sut.store.delete(&key(name), precondition, sut.now)),
            Transition::AdvanceTime(ms) => {
                sut.now = SimTime(sut.now.0 + ms);
                None
            }
            Transition::CompactOlderThanNow => {
                sut.store.compact_older_than(sut.now);
                None
            }
            Transition::Compact(rev) => {
                sut.store.compact(rev);
                None
            }
            Transition::WatchFrom(r) => {
                let Expect::Watch(want) = &m.expect else { unreachable!() };
                match (sut.store.watch_from(r), want) {
                    (Ok(evs), Ok(want)) => {
                        let evs: Vec<_> = evs.collect();
                        let got: Vec<u64> = evs.iter().map(|e| e.revision).collect();
                        assert_eq!(&got, want, "watch_from({r}) revisions");
                        evs.iter().for_each(|e| check_event(e, m));
                    }
                    (Err(e), Err(want)) => assert_eq!(&e, want, "watch_from({r})"),
                    (got, want) => panic!("watch_from({r}): got {:?}, want {want:?}", got.map(|i| i.map(|e| e.revision).collect::<Vec<_>>())),
                }
                None
            }
            Transition::Resync => {
                let Expect::Resync { relisted } = m.expect else { unreachable!() };
                let got = sut.informer.resync(&sut.store, &[Kind::Namespace]);
                assert_eq!(got, relisted, "resync relisted (compacted = {})", m.compacted);
                assert_eq!(sut.informer.last_revision, m.informer_last, "informer last_revision after resync");
                let cache = contents(sut.informer.list(&Kind::Namespace).map(|o| (o.meta().name.to_string(), obj_of(o))));
                let store = contents(sut.store.list(&Kind::Namespace).map(|o| (o.meta().name.to_string(), obj_of(o))));
                assert_eq!(cache, store, "informer cache != store after resync");
                None
            }
        };
        if let Some(res) = write {
            let Expect::Write(want) = &m.expect else { unreachable!() };
            match (&res, want) {
                (Ok(ev), Ok(())) => {
                    assert_eq!(ev.revision, before + 1, "a successful write must bump the revision by one");
                    check_event(ev, m);
                    if ev.type_ != WatchEventType::Deleted {
                        let stored = sut.store.get(&ev.object.key()).expect("written object is stored");
                        assert_eq!(stored.meta().resource_version.0, ev.revision, "stored resourceVersion != write revision");
                    }
                }
                (Err(e), Err(want)) => {
                    assert_eq!(e, want);
                    assert_eq!(sut.store.revision(), before, "a failed write must not bump the revision");
                }
                (got, want) => panic!("{t:?}: got {:?}, want {want:?}", got.as_ref().map(|e| e.revision)),
            }
        } else {
            assert_eq!(sut.store.revision(), before, "only writes may change the revision");
        }
        sut
    }

    fn check_invariants(sut: &Sut, m: &Model) {
        let s = &sut.store;
        assert_eq!(s.revision(), m.revision, "global revision");
        assert_eq!(s.compacted_revision(), m.compacted, "compacted revision");
        assert_eq!(s.len(), m.objects.len(), "object count");
        assert!(s.kinds().all(|k| *k == Kind::Namespace));
        let got = contents(s.list(&Kind::Namespace).map(|o| (o.meta().name.to_string(), obj_of(o))));
        let want = contents(m.objects.iter().map(|(n, o)| (n.to_string(), o.clone())));
        assert_eq!(got, want, "store contents");
        for (name, o) in &m.objects {
            // resourceVersion == the revision of the object's last write.
            let e = m.entry(o.rv);
            assert!(e.name == *name && e.type_ != WatchEventType::Deleted);
        }
        // The retained history is exactly (compacted, revision], gap-free and in order.
        let retained: Vec<u64> = s.watch_from(m.compacted).expect("watch from the compacted revision").map(|e| e.revision).collect();
        assert_eq!(retained, (m.compacted + 1..=m.revision).collect::<Vec<_>>(), "retained history");
        if m.compacted > 0 {
            assert_eq!(s.watch_from(m.compacted - 1).err(), Some(StoreError::Gone { compacted: m.compacted }));
        }
    }
}

prop_state_machine! {
    #![proptest_config(Config {
        cases: 64,
        failure_persistence: None,
        ..Config::default()
    })]

    #[test]
    fn store_and_informer_follow_the_model(sequential 1..40 => StoreTest);
}
