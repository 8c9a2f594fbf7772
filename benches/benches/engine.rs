//! Criterion benchmarks: the event queue, kind-keyed lookups (the store's and the
//! informers' maps), and a whole small scenario.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use sim_core::engine::{EventQueue, SimTime};
use std::hint::black_box;

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
        Kind::Other("example.com".into(), "Widget".into()),
    ];
    let map: BTreeMap<Kind, u64> = kinds.iter().cloned().zip(0..).collect();
    let mut g = c.benchmark_group("kind_lookup");
    g.throughput(Throughput::Elements(kinds.len() as u64));
    g.bench_function("btreemap_get_each_kind", |b| {
        b.iter(|| {
            let mut sum = 0;
            for k in &kinds {
                sum += map.get(black_box(k)).copied().unwrap_or(0);
            }
            black_box(sum)
        })
    });
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
    g.bench_function("object_map_get", |b| {
        b.iter(|| {
            let mut sum = 0;
            for n in &probes {
                sum += objects.get("default", black_box(n)).copied().unwrap_or(0);
            }
            black_box(sum)
        })
    });
    g.bench_function("string_btreemap_get", |b| {
        b.iter(|| {
            let mut sum = 0;
            for n in &probes {
                sum += strings.get(black_box(*n)).copied().unwrap_or(0);
            }
            black_box(sum)
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

criterion_group!(benches, queue, kind_lookup, name_lookup, scenario);
criterion_main!(benches);
