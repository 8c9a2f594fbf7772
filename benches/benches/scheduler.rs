//! Criterion: one scheduling cycle at 5,000 nodes (scheduler_perf's node shape, the
//! default profile) with 1,000 pods placed: a pod is created, filtered over the sampled
//! nodes, scored, assumed and bound through the apiserver (then deleted, untimed).

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
        // Each iteration creates and schedules one pod; the pod is deleted again outside
        // the timing, so every cycle sees the same cluster.
        g.bench_function(name, |bch| {
            bch.iter_custom(|iters| {
                let mut total = std::time::Duration::ZERO;
                for _ in 0..iters {
                    let start = std::time::Instant::now();
                    b.create_pods(1);
                    black_box(b.drain());
                    total += start.elapsed();
                    b.delete_last_pod();
                }
                total
            })
        });
    }
    g.finish();
}

criterion_group!(benches, cycle);
criterion_main!(benches);
