//! Broker hot paths: append, fetch, retention, and a large rebalance.

use std::hint::black_box;
use std::time::{Duration, Instant};

use bytes::Bytes;
use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use minikafka::broker::{
    AssignorKind, Broker, JoinGroupRequest, JoinOutcome, NewRecord, PartitionLog, RetentionPolicy,
    SyncAssignment, TopicConfig,
};

static VALUE: [u8; 100] = [0x42; 100];

fn record(ts: i64) -> NewRecord {
    // A static payload: the benchmark measures the log, not the producer's allocator.
    NewRecord::new(ts, None, Bytes::from_static(&VALUE))
}

fn append(c: &mut Criterion) {
    let mut g = c.benchmark_group("append");
    g.throughput(Throughput::Elements(1));
    g.bench_function("single_100B", |b| {
        b.iter_custom(|iters| {
            let mut log = PartitionLog::new();
            let start = Instant::now();
            for i in 0..iters {
                black_box(log.append(record(i as i64)));
            }
            start.elapsed()
        })
    });
    // A log that has run a while keeps its ring's capacity after retention removes a
    // prefix, so appends neither reallocate nor touch fresh pages. This is the steady state
    // of a broker whose memory is bounded by retention; the cold cases above include growth.
    const WARM: usize = 1 << 20;
    let mut warm = PartitionLog::new();
    warm.append_batch((0..WARM as i64).map(record));
    g.bench_function("single_100B_warm_log", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let chunk = left.min(WARM as u64);
                let hw = warm.high_watermark();
                warm.delete_before(hw).unwrap();
                let start = Instant::now();
                for i in 0..chunk {
                    black_box(warm.append(record(i as i64)));
                }
                total += start.elapsed();
                left -= chunk;
            }
            total
        })
    });
    g.throughput(Throughput::Elements(100));
    g.bench_function("batch_100x100B_warm_log", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            let mut left = iters;
            while left > 0 {
                let chunk = left.min(WARM as u64 / 100);
                let hw = warm.high_watermark();
                warm.delete_before(hw).unwrap();
                let start = Instant::now();
                for i in 0..chunk {
                    black_box(warm.append_batch((0..100).map(|j| record(i as i64 * 100 + j))));
                }
                total += start.elapsed();
                left -= chunk;
            }
            total
        })
    });
    g.bench_function("batch_100x100B", |b| {
        b.iter_custom(|iters| {
            let mut log = PartitionLog::new();
            let start = Instant::now();
            for i in 0..iters {
                black_box(log.append_batch((0..100).map(|j| record(i as i64 * 100 + j))));
            }
            start.elapsed()
        })
    });
    g.finish();
}

fn fetch(c: &mut Criterion) {
    let mut broker = Broker::new();
    broker.create_topic("t", TopicConfig::new(1), 0).unwrap();
    broker
        .append_batch("t", 0, (0..10_000).map(record))
        .unwrap();
    let mut g = c.benchmark_group("fetch");
    g.throughput(Throughput::Elements(500));
    let mut buf = Vec::with_capacity(500);
    g.bench_function("500_records_reused_buffer", |b| {
        b.iter(|| {
            buf.clear();
            broker
                .fetch_into("t", 0, black_box(4_000), 500, u64::MAX, &mut buf)
                .unwrap();
            black_box(buf.len())
        })
    });
    g.bench_function("500_records_borrowed", |b| {
        b.iter(|| {
            let (records, _) = broker
                .read("t", 0, black_box(4_000), 500, u64::MAX)
                .unwrap();
            black_box(records.map(|r| r.size_bytes() as u64).sum::<u64>())
        })
    });
    g.bench_function("500_records_new_vec", |b| {
        b.iter(|| {
            black_box(
                broker
                    .fetch("t", 0, black_box(4_000), 500, u64::MAX)
                    .unwrap(),
            )
        })
    });
    g.finish();
}

fn retention(c: &mut Criterion) {
    let mut g = c.benchmark_group("retention");
    const REMOVED: u64 = 1_000;
    g.throughput(Throughput::Elements(REMOVED));
    for kept in [10_000u64, 1_000_000] {
        // The same work on a short and a long log: the cost must follow what is removed.
        g.bench_with_input(
            BenchmarkId::new("remove_1000_keep", kept),
            &kept,
            |b, &kept| {
                let mut log = PartitionLog::new();
                log.append_batch((0..kept as i64).map(record));
                let policy = RetentionPolicy {
                    records: Some(kept),
                    ..Default::default()
                };
                let mut ts = kept as i64;
                b.iter_custom(|iters| {
                    let mut total = Duration::ZERO;
                    for _ in 0..iters {
                        log.append_batch((0..REMOVED as i64).map(|i| record(ts + i)));
                        ts += REMOVED as i64;
                        let start = Instant::now();
                        black_box(log.enforce_retention(&policy, ts));
                        total += start.elapsed();
                    }
                    total
                })
            },
        );
    }
    g.finish();
}

fn rebalance(c: &mut Criterion) {
    let mut g = c.benchmark_group("rebalance_100_members_1000_partitions");
    g.sample_size(20);
    for kind in [
        AssignorKind::Range,
        AssignorKind::RoundRobin,
        AssignorKind::Sticky,
    ] {
        let mut broker = Broker::new();
        broker
            .create_topic("t", TopicConfig::new(1_000), 0)
            .unwrap();
        let topics = vec!["t".to_string()];
        let join = |member: Option<String>| {
            let mut r = JoinGroupRequest::consumer("g", "c", &topics, kind.protocol_name());
            r.member_id = member;
            r
        };
        let mut members = Vec::new();
        for _ in 0..100 {
            match broker.join_group(join(None), 0).unwrap() {
                JoinOutcome::Joined(r) => members.push(r.member_id),
                JoinOutcome::Pending { member_id } => members.push(member_id),
            }
        }
        let mut leader = String::new();
        let mut generation = 0;
        // One full round first, so later rounds start from a stable, assigned group.
        let mut round = |broker: &mut Broker| {
            let current_leader = broker.group("g").unwrap().leader().map(str::to_string);
            let order: Vec<String> = current_leader
                .iter()
                .cloned()
                .chain(
                    members
                        .iter()
                        .filter(|m| Some(*m) != current_leader.as_ref())
                        .cloned(),
                )
                .collect();
            for m in &order {
                if let JoinOutcome::Joined(r) = broker.join_group(join(Some(m.clone())), 0).unwrap()
                {
                    leader = r.leader;
                    generation = r.generation;
                }
            }
            for m in &members {
                let _ = broker.poll_join("g", m);
            }
            broker
                .sync_group("g", &leader, generation, SyncAssignment::Compute(kind), 0)
                .unwrap();
        };
        round(&mut broker);
        g.bench_function(kind.protocol_name(), |b| b.iter(|| round(&mut broker)));
        let group = broker.group("g").unwrap();
        assert_eq!(
            group.members().map(|m| m.assignment().len()).sum::<usize>(),
            1_000
        );
    }
    g.finish();
}

criterion_group!(benches, append, fetch, retention, rebalance);
criterion_main!(benches);
