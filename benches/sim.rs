//! Simulation speed: simulated records produced plus consumed per wall-clock second, on the
//! `bench` scenario (12 partitions, 4 producers, 2 groups of 4), and on `bench-cluster`,
//! the same load on three brokers with replication factor 3 and acks=all.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use minikafka::sim::{Scenario, Simulation};

/// Simulated time per measured `step` call.
const STEP_MS: u64 = 1_000;

fn measure(c: &mut Criterion, name: &str, scenario: Scenario) {
    let mut sim = Simulation::new(scenario, None).expect("valid");
    // Warm up past the first rebalances and fill the logs up to their retention.
    sim.step(30_000);
    // Records per simulated second, measured on this run rather than assumed.
    let before = sim.produced() + sim.consumed();
    sim.step(10_000);
    let per_step = (sim.produced() + sim.consumed() - before) / (10_000 / STEP_MS);

    let mut group = c.benchmark_group("sim");
    group.throughput(Throughput::Elements(per_step));
    group.bench_function(name, |b| {
        b.iter(|| {
            sim.step(black_box(STEP_MS));
        })
    });
    group.finish();
}

fn bench_step(c: &mut Criterion) {
    measure(
        c,
        "bench_step_1s",
        Scenario::bundled("bench").expect("bundled"),
    );
    let cluster = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/benches/scenarios/bench-cluster.toml"
    );
    let scenario = Scenario::from_path(cluster).expect("the bench-cluster scenario is valid");
    measure(c, "bench_cluster_step_1s", scenario);
}

criterion_group!(benches, bench_step);
criterion_main!(benches);
