//! Producing with acks=all to a replicated topic and replicating it allocates nothing per
//! record or per tick once the cluster is steady: counted with a real allocator hook.

use bytes::Bytes;
use minikafka::broker::{
    Acks, Broker, ClusterConfig, NewRecord, ProducerId, RetentionPolicy, TopicConfig,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const PARTITIONS: u32 = 12;

/// One tick's worth: 1,200 records over the partitions from four producers, then a
/// replication step.
fn round(broker: &mut Broker, value: &Bytes, now: i64) {
    for producer in 0..4 {
        let mut app = broker
            .appender("t", Acks::All, ProducerId(producer), now)
            .unwrap();
        for i in 0..300u32 {
            let p = (i * 7 + producer) % PARTITIONS;
            app.check(p).unwrap();
            app.append(p, NewRecord::new(now, None, value.clone()));
        }
    }
    broker.replicate(now);
}

#[test]
fn steady_replication_allocates_nothing() {
    let mut broker = Broker::with_cluster(ClusterConfig::new(3)).unwrap();
    let retention = RetentionPolicy {
        records: Some(2_000),
        ..Default::default()
    };
    let config = TopicConfig::new(PARTITIONS)
        .with_retention(retention)
        .with_replication(3, 2);
    broker.create_topic("t", config, 0).unwrap();
    let value = Bytes::from(vec![0u8; 100]);
    // Warm up past the logs' retention so their buffers stop growing.
    for t in 1..=40 {
        round(&mut broker, &value, t * 10);
        broker.enforce_retention(t * 10);
    }

    let _profiler = dhat::Profiler::builder().testing().build();
    for t in 41..=60 {
        let before = dhat::HeapStats::get().total_blocks;
        round(&mut broker, &value, t * 10);
        let after = dhat::HeapStats::get().total_blocks;
        dhat::assert_eq!(after - before, 0, "tick {t} allocated");
        // Retention reports what it deleted as events, which allocate: outside the count.
        broker.enforce_retention(t * 10);
    }
    let tally = broker.producer_tally(ProducerId(0)).unwrap();
    assert_eq!(
        tally.acked,
        300 * 60,
        "every record acknowledged by replication"
    );
}
