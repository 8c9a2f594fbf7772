//! Criterion: one scheduling cycle at 5,000 nodes (scheduler_perf's node shape, the
//! default profile): a pod is created, filtered over the sampled nodes, scored, assumed
//! and bound through the apiserver.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use sim_core::scheduler::bench::{SchedulerBench, Workload};
use std::hint::black_box;

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("scheduler");
    g.throughput(Throughput::Elements(1));
    g.sample_size(30);
    for (name, w) in [("cycle_5000_nodes", Workload::Basic), ("cycle_5000_nodes_anti_affinity_spread", Workload::AntiAffinityAndSpread)] {
        let mut b = SchedulerBench::new(5000, w);
        b.create_pods(1000);
        b.drain();
        g.bench_function(name, |bch| {
            bch.iter(|| {
                b.create_pods(1);
                black_box(b.drain())
            })
        });
    }
    g.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
