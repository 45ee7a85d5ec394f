//! Simulation speed: simulated records produced plus consumed per wall-clock second, on the
//! `bench` scenario (12 partitions, 4 producers, 2 groups of 4).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use minikafka::sim::{Scenario, Simulation};

/// Simulated time per measured `step` call.
const STEP_MS: u64 = 1_000;

fn bench_step(c: &mut Criterion) {
    let scenario = Scenario::bundled("bench").expect("bundled");
    let mut sim = Simulation::new(scenario, None).expect("valid");
    // Warm up past the first rebalances and fill the logs up to their retention.
    sim.step(30_000);
    // Records per simulated second, measured on this run rather than assumed.
    let before = sim.produced() + sim.consumed();
    sim.step(10_000);
    let per_step = (sim.produced() + sim.consumed() - before) / (10_000 / STEP_MS);

    let mut group = c.benchmark_group("sim");
    group.throughput(Throughput::Elements(per_step));
    group.bench_function("bench_step_1s", |b| {
        b.iter(|| {
            sim.step(black_box(STEP_MS));
        })
    });
    group.finish();
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
