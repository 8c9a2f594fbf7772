//! Criterion benchmarks: the event queue, kind-keyed lookups (the store's and the
//! informers' maps), uid-keyed lookups, the store's Events, the event log's lines, the
//! kubelet's event caches, and a whole small scenario.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sim_core::engine::{EventQueue, SimTime};
use std::hint::black_box;

/// What `find` finds for each probe (each hidden from the optimizer), summed: a lookup
/// loop whose result is used.
fn sum_found<P>(probes: &[P], find: impl Fn(&P) -> Option<u64>) -> u64 {
    probes.iter().map(|p| find(black_box(p)).unwrap_or(0)).sum()
}

fn queue(c: &mut Criterion) {
    let mut g = c.benchmark_group("event_queue");
    const N: u64 = 100_000;
    g.throughput(Throughput::Elements(N));
    g.bench_function("push_pop_100k", |b| {
        b.iter_batched(
            EventQueue::<u64>::new,
            |mut q| {
                // A realistic mix: most events land a little after now, some far later.
                let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
                let mut now = 0u64;
                for i in 0..N {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    q.push(SimTime(now + x % 1000), i);
                    if i % 2 == 1 {
                        if let Some((t, _)) = q.pop() {
                            now = t.as_ms();
                        }
                    }
                }
                while let Some(e) = q.pop() {
                    black_box(e);
                }
            },
            BatchSize::SmallInput,
        )
    });
    // A cluster's shape: a burst of 300,000 pending events spread over a few dozen
    // milliseconds (pods created together; watch fan-out a latency ahead), drained while
    // each popped event schedules its follow-up 1–3 ms later.
    g.bench_function("burst_300k", |b| {
        b.iter_batched(
            || {
                let mut q = EventQueue::<u64>::new();
                for i in 0..300_000u64 {
                    q.push(SimTime(i % 40), i);
                }
                q
            },
            |mut q| {
                let mut popped = 0u64;
                while let Some((t, i)) = q.pop() {
                    popped += 1;
                    if popped < 300_000 {
                        q.push(SimTime(t.as_ms() + 1 + i % 3), i);
                    }
                    black_box(i);
                }
            },
            BatchSize::LargeInput,
        )
    });
    g.finish();
}

/// The store and every informer key their maps by `Kind`: a lookup compares kinds at
/// each level of the tree (precomputed ranks since issue 15; the strings before).
fn kind_lookup(c: &mut Criterion) {
    use sim_core::api::Kind;
    use std::collections::BTreeMap;
    let kinds = [
        Kind::Pod,
        Kind::Event,
        Kind::Node,
        Kind::Lease,
        Kind::ReplicaSet,
        Kind::Deployment,
        Kind::Service,
        Kind::EndpointSlice,
        Kind::Namespace,
        Kind::ConfigMap,
        Kind::Job,
        Kind::other("example.com".into(), "Widget".into()),
    ];
    let map: BTreeMap<Kind, u64> = kinds.iter().cloned().zip(0..).collect();
    let mut g = c.benchmark_group("kind_lookup");
    g.throughput(Throughput::Elements(kinds.len() as u64));
    g.bench_function("btreemap_get_each_kind", |b| b.iter(|| black_box(sum_found(&kinds, |k| map.get(k).copied()))));
    g.finish();
}

/// The store and the informers find an object by namespace and name (`ObjectMap`, whose
/// names are `NameKey`s since issue 15): lookups of pod names in a map of 150,000 the way
/// a Deployment names them, beside the same lookups in a map keyed by `String`.
fn name_lookup(c: &mut Criterion) {
    use sim_core::api::object::ObjectMap;
    use std::collections::BTreeMap;
    const PODS: usize = 150_000;
    // `<deployment>-<pod-template-hash>-<5 characters>`, 30 replicas a Deployment.
    let names: Vec<String> = (0..PODS).map(|i| format!("density-{}-5d8f7c9b4-{:05x}", i / 30, (i * 7919) % 0x100000)).collect();
    let mut objects: ObjectMap<u64> = ObjectMap::default();
    let mut strings: BTreeMap<String, u64> = BTreeMap::new();
    for (i, n) in names.iter().enumerate() {
        objects.insert("default", n, i as u64);
        strings.insert(n.clone(), i as u64);
    }
    let probes: Vec<&str> = names.iter().step_by(PODS / 1000).map(String::as_str).collect();
    let mut g = c.benchmark_group("name_lookup");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("object_map_get", |b| b.iter(|| black_box(sum_found(&probes, |n| objects.get("default", n).copied()))));
    g.bench_function("string_btreemap_get", |b| b.iter(|| black_box(sum_found(&probes, |n| strings.get(*n).copied()))));
    g.finish();
}

/// Every uid-keyed map (the scheduler's pods, the informers' objects by uid) parses the
/// uid it is asked for (`UidKey::new`, eight digits at a time since issue 15): lookups
/// in a map of 150,000 canonical uids.
fn uid_lookup(c: &mut Criterion) {
    use sim_core::api::uid::UidMap;
    const PODS: u64 = 150_000;
    let uids: Vec<String> = (0..PODS)
        .map(|i| {
            let x = i.wrapping_mul(0x9e37_79b9_7f4a_7c15);
            format!(
                "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
                x >> 32,
                (x >> 16) & 0xffff,
                x & 0xfff,
                i & 0xfff,
                i.wrapping_mul(0x2545_f491_4f6c_dd1d) & 0xffff_ffff_ffff
            )
        })
        .collect();
    let mut m = UidMap::default();
    for (i, u) in uids.iter().enumerate() {
        m.insert(u, i as u64);
    }
    let probes: Vec<&str> = uids.iter().step_by((PODS / 1000) as usize).map(String::as_str).collect();
    let mut g = c.benchmark_group("uid_lookup");
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("uid_map_get", |b| b.iter(|| black_box(sum_found(&probes, |u| m.get(u).copied()))));
    g.finish();
}

/// The store's Events (kept compact since issue 15, etcd/events.rs): 40,000 Events as
/// the kubelets record them, four about each of 10,000 pods, written into a store, then
/// read back one in forty by name, and all found again from their lease's writes as
/// their expiry does.
fn event_store(c: &mut Criterion) {
    use sim_core::api::event::{EventSource, ObjectReference};
    use sim_core::api::meta::Time;
    use sim_core::api::Object;
    use sim_core::etcd::{Attached, HistoryLimits, Store};
    use std::rc::Rc;
    const PODS: u64 = 10_000;
    let source = Rc::new(EventSource { component: "kubelet".into(), host: "node-1".into() });
    let events: Vec<Object> = (0..PODS)
        .flat_map(|i| {
            let pod = Rc::new(ObjectReference {
                kind: "Pod".into(),
                namespace: "default".into(),
                name: format!("web-5d8f7c9b4-{:05x}", (i * 7919) % 0x100000).into(),
                uid: format!("{i:08x}-0000-4000-8000-000000000000").into(),
                api_version: "v1".into(),
            });
            let source = source.clone();
            [
                ("Scheduled", "Successfully assigned"),
                ("Pulled", "Container image already present"),
                ("Created", "Created container web"),
                ("Started", "Started container web"),
            ]
            .into_iter()
            .enumerate()
            .map(move |(k, (reason, message))| {
                let t = SimTime(i * 10 + k as u64);
                let mut e = sim_core::client::event_with(pod.clone(), source.clone(), "Normal", reason, message, t, 0);
                e.metadata.uid = format!("{:08x}-0000-4000-8000-{:012x}", i, k).into();
                e.metadata.creation_timestamp = Some(Time(t));
                Object::Event(Box::new(e))
            })
        })
        .collect();
    let written = || {
        let mut s = Store::new(HistoryLimits::default());
        let mut attached = Attached::default();
        for e in &events {
            let written = s.create(e.clone(), SimTime(0)).expect("a fresh name").object.clone();
            s.attach_event(&written, &mut attached);
        }
        (s, attached)
    };
    let mut g = c.benchmark_group("event_store");
    g.sample_size(20);
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("create_40000", |b| b.iter_batched(|| (), |()| black_box(written().0.len()), BatchSize::PerIteration));
    let (store, attached) = written();
    let probes: Vec<(String, String)> = events.iter().step_by(40).map(|e| (e.meta().namespace.to_string(), e.meta().name.to_string())).collect();
    g.throughput(Throughput::Elements(probes.len() as u64));
    g.bench_function("resource_version_by_name", |b| {
        b.iter(|| black_box(sum_found(&probes, |(ns, name)| store.resource_version_of(&sim_core::api::Kind::Event, ns, name))))
    });
    g.throughput(Throughput::Elements(events.len() as u64));
    g.bench_function("latest_in_lease", |b| b.iter(|| black_box(store.events_latest_in(&attached, &(1..=u64::MAX)).len())));
    g.finish();
}

/// The event log's line for a Lease renewal (a node's every 10 s: the most frequent
/// write of a big cluster), the change compared and written: 10,000 renewals of 1,000
/// nodes' Leases, each record hashed.
fn event_log(c: &mut Criterion) {
    use sim_core::api::meta::Time;
    use sim_core::api::namespace::Lease;
    use sim_core::api::Object;
    use sim_core::trace::{diff, Line, Trace};
    let lease = |node: usize, renewed: u64| {
        let mut l = Lease::default();
        l.metadata.name = format!("node-{node}").into();
        l.metadata.namespace = "kube-node-lease".into();
        l.spec.renew_time = Some(Time(SimTime(renewed)));
        Object::Lease(Box::new(l))
    };
    let renewals: Vec<(Object, Object)> =
        (0..10_000).map(|i| (lease(i % 1000, (i as u64 / 1000) * 10_000), lease(i % 1000, (i as u64 / 1000 + 1) * 10_000))).collect();
    let mut g = c.benchmark_group("event_log");
    g.throughput(Throughput::Elements(renewals.len() as u64));
    g.bench_function("lease_renewals_10000", |b| {
        b.iter(|| {
            let mut t = Trace::new(false);
            for (i, (before, after)) in renewals.iter().enumerate() {
                let line = Line {
                    t: i as u64 * 10,
                    rev: i as u64,
                    verb: "update",
                    by: ("kubelet/", after.meta().name.as_str()),
                    kind: "Lease",
                    ns: "kube-node-lease",
                    name: &after.meta().name,
                };
                t.write(&line, &diff(Some(before), Some(after)));
            }
            black_box(t.fingerprint())
        })
    });
    g.finish();
}

/// A kubelet's core/v1 event caches over a replay's churn: 4,000 pods, each recorded
/// three times (Pulled, Created, Started) and then deleted (`forget`), through one
/// EventCorrelator.
fn event_correlator(c: &mut Criterion) {
    use sim_core::api::event::{Event, EventSource, ObjectReference};
    use sim_core::client::events::EventCorrelator;
    use std::rc::Rc;
    let source = Rc::new(EventSource { component: "kubelet".into(), host: "node-1".into() });
    let pods: Vec<Rc<ObjectReference>> = (0..4000)
        .map(|i| {
            Rc::new(ObjectReference {
                kind: "Pod".into(),
                namespace: "default".into(),
                name: format!("job-{i}-x7k2p").into(),
                uid: format!("{i:08x}-0000-4000-8000-000000000000").into(),
                api_version: "v1".into(),
            })
        })
        .collect();
    let mut g = c.benchmark_group("event_correlator");
    g.sample_size(20);
    g.throughput(Throughput::Elements(pods.len() as u64));
    g.bench_function("record_3_forget_4000_pods", |b| {
        b.iter(|| {
            let mut cache = EventCorrelator::default();
            let mut seq = 0;
            for p in &pods {
                for (reason, message) in [
                    ("Pulled", "Container image \"busybox\" already present on machine"),
                    ("Created", "Created container: main"),
                    ("Started", "Started container main"),
                ] {
                    seq += 1;
                    let e: Event = sim_core::client::event_with(p.clone(), source.clone(), "Normal", reason, message, SimTime(seq), seq);
                    black_box(cache.correlate(e, SimTime(seq)));
                }
                cache.forget(&source, p);
            }
        })
    });
    g.finish();
}

fn scenario(c: &mut Criterion) {
    let text = include_str!("../../scenarios/node-crash.yaml");
    let no_files = |_: &str, rel: &str| Err(format!("no file {rel}"));
    let s = sim_core::load(&[sim_core::Source { name: "node-crash.yaml".into(), text: text.into() }], &no_files).expect("bundled scenario loads");
    c.bench_function("run_node_crash_scenario", |b| {
        b.iter(|| {
            let mut sim = sim_core::Simulation::new(&s, &sim_core::RunOptions::for_scenario(&s)).unwrap();
            sim.run();
            black_box(sim.fingerprint())
        })
    });
}

/// What a big cluster does while nothing happens: 500 nodes for 10 simulated minutes —
/// each kubelet's Lease renewal every 10 s and node status post every 5 minutes, the
/// node lifecycle controller's 5 s pass, and the watchers of both (the per-node periodic
/// work that makes up most of a long replay's events).
fn idle_cluster(c: &mut Criterion) {
    let text = "apiVersion: ksim.dev/v1\nkind: Scenario\nmetadata: {name: idle-500}\nspec:\n  seed: 1\n  until: 10m\n  cluster:\n    clusterCIDR: 10.64.0.0/10\n    nodePools:\n    - {name: machine, count: 500, capacity: {cpu: '96', memory: 100Gi, pods: 250}}\n";
    let no_files = |_: &str, rel: &str| Err(format!("no file {rel}"));
    let s = sim_core::load(&[sim_core::Source { name: "idle-500.yaml".into(), text: text.into() }], &no_files).expect("the idle scenario loads");
    let mut g = c.benchmark_group("idle_cluster");
    g.sample_size(10);
    g.bench_function("500_nodes_10_minutes", |b| {
        b.iter(|| {
            let mut sim = sim_core::Simulation::new(&s, &sim_core::RunOptions::for_scenario(&s)).unwrap();
            sim.run();
            black_box(sim.fingerprint())
        })
    });
    g.finish();
}

criterion_group!(benches, queue, kind_lookup, name_lookup, uid_lookup, event_store, event_log, event_correlator, scenario, idle_cluster);
criterion_main!(benches);
