//! The server's per-record cost without sockets: a Produce request of 1,000 records (100-byte
//! values) checked and appended, and a Fetch of 1,000 records answered and encoded. Then the
//! fetch of stored batches alone: 1 MiB of 64 KiB batches holding from 16 to 4,096 records
//! each, whose time per fetch must not grow with the records in a batch (the server does no
//! work per record).
//!
//! `cargo bench --bench server -- --warm-up-time 1 --measurement-time 3`

use bytes::{Bytes, BytesMut};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ApiKey, FetchRequest, ProduceRequest, RequestHeader, TopicName};
use kafka_protocol::protocol::{Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use minikafka::broker::{Broker, NewRecord, SharedBroker, TopicConfig};
use minikafka::server::{
    Effects, Outcome, RequestContext, Settings, decode_request, dispatch, encode_response,
};

const RECORDS: usize = 1_000;

fn frame<T: Encodable>(api: ApiKey, version: i16, body: &T) -> Bytes {
    let mut buf = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(api as i16)
        .with_request_api_version(version)
        .with_client_id(Some(StrBytes::from_static_str("bench")))
        .encode(&mut buf, api.request_header_version(version))
        .unwrap();
    body.encode(&mut buf, version).unwrap();
    buf.freeze()
}

fn produce_frame() -> Bytes {
    let records: Vec<Record> = (0..RECORDS)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: i as i32,
            timestamp: 1_700_000_000_000,
            key: Some(Bytes::from(format!("key-{}", i % 50))),
            value: Some(Bytes::from(vec![b'v'; 100])),
            headers: Default::default(),
        })
        .collect();
    let mut batch = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut batch,
        records.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    let req = ProduceRequest::default().with_acks(1).with_topic_data(vec![
        TopicProduceData::default()
            .with_name(TopicName(StrBytes::from_static_str("t")))
            .with_partition_data(vec![
                PartitionProduceData::default().with_records(Some(batch.freeze())),
            ]),
    ]);
    frame(ApiKey::Produce, 9, &req)
}

fn fetch_frame() -> Bytes {
    let req = FetchRequest::default()
        .with_max_bytes(i32::MAX)
        .with_min_bytes(1)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![
                    FetchPartition::default().with_partition_max_bytes(i32::MAX),
                ]),
        ]);
    frame(ApiKey::Fetch, 12, &req)
}

fn settings() -> Settings {
    Settings {
        auto_create_topics: true,
        default_partitions: 1,
        host: "127.0.0.1".to_string(),
        port: 9092,
        initial_rebalance_delay_ms: 0,
        max_decoded_bytes: minikafka::server::DEFAULT_MAX_DECODED_BYTES,
        ports: vec![(1, 9092)],
    }
}

fn answer(broker: &SharedBroker, settings: &Settings, raw: Bytes, out: &mut BytesMut) {
    let f = decode_request(raw).unwrap();
    let mut ctx = RequestContext {
        broker,
        settings,
        now_ms: 0,
        client_id: "bench",
        client_host: "/127.0.0.1",
        broker_id: 1,
        version: f.version,
        effects: Effects::default(),
    };
    let Outcome::Reply(r) = dispatch(&mut ctx, f.body) else {
        panic!("the benchmark's requests are answered at once");
    };
    out.clear();
    encode_response(f.api_key, f.version, 0, &r, out).unwrap();
}

fn bench(c: &mut Criterion) {
    let settings = settings();
    let produce = produce_frame();
    let mut group = c.benchmark_group("server");
    group.throughput(Throughput::Elements(RECORDS as u64));
    let mut out = BytesMut::new();

    // A fresh broker per run keeps memory flat; creating its topic is a one-off microsecond.
    group.bench_function("produce 1000 records", |b| {
        b.iter_batched(
            SharedBroker::default,
            |broker| answer(&broker, &settings, produce.clone(), &mut out),
            BatchSize::SmallInput,
        );
    });

    let mut filled = Broker::new();
    filled.create_topic("t", TopicConfig::new(1), 0).unwrap();
    filled
        .append_batch(
            "t",
            0,
            (0..RECORDS)
                .map(|i| NewRecord::new(0, Some(Bytes::from(format!("k{i}"))), vec![b'v'; 100])),
        )
        .unwrap();
    let filled = SharedBroker::new(filled);
    let fetch = fetch_frame();
    group.bench_function("fetch 1000 records", |b| {
        b.iter(|| answer(&filled, &settings, fetch.clone(), &mut out));
    });
    group.finish();
}

/// A fetch frame for 1 MiB from offset 0 of partition 0.
fn fetch_mib_frame() -> Bytes {
    let req = FetchRequest::default()
        .with_max_bytes(1 << 20)
        .with_min_bytes(1)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![
                    FetchPartition::default().with_partition_max_bytes(1 << 20),
                ]),
        ]);
    frame(ApiKey::Fetch, 12, &req)
}

fn stored_batches(c: &mut Criterion) {
    let settings = settings();
    let fetch = fetch_mib_frame();
    let mut out = BytesMut::new();
    let mut group = c.benchmark_group("fetch 1 MiB of stored 64 KiB batches");
    group.throughput(Throughput::Bytes(1 << 20));
    for per_batch in [16usize, 256, 4_096] {
        // Records sized so every batch is about 64 KiB whatever it holds.
        let value = (64 << 10) / per_batch - 12;
        let mut b = Broker::new();
        b.create_topic("t", TopicConfig::new(1), 0).unwrap();
        for _ in 0..20 {
            b.append_batch(
                "t",
                0,
                (0..per_batch).map(|i| NewRecord::new(0, None, vec![b'v'; value + i % 2])),
            )
            .unwrap();
        }
        let broker = SharedBroker::new(b);
        group.bench_function(format!("{per_batch} records per batch"), |b| {
            b.iter(|| answer(&broker, &settings, fetch.clone(), &mut out));
        });
    }
    group.finish();
}

criterion_group!(benches, bench, stored_batches);
criterion_main!(benches);
