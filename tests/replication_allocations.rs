//! Producing with acks=all to a replicated topic and replicating it allocates nothing per
//! record once the cluster is steady, and a replication step nothing at all: counted with a
//! real allocator hook. Simulated records join compact batches, whose columns grow now and
//! then and which start afresh every couple of thousand records: that is the log's own
//! storage, a few blocks per partition, never one per record.

use std::sync::Arc;

use bytes::Bytes;
use minikafka::broker::{
    Acks, Broker, ClusterConfig, ProducerId, RecordSource, RetentionPolicy, TopicConfig,
};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

const PARTITIONS: u32 = 12;

/// One tick's worth: 1,200 records over the partitions from four producers, then a
/// replication step.
fn round(broker: &mut Broker, source: &Arc<RecordSource>, now: i64) {
    append(broker, source, now);
    broker.replicate(now);
}

fn append(broker: &mut Broker, source: &Arc<RecordSource>, now: i64) {
    for producer in 0..4 {
        let mut app = broker
            .appender("t", Acks::All, ProducerId(producer), now)
            .unwrap();
        for i in 0..300u32 {
            let p = (i * 7 + producer) % PARTITIONS;
            app.check(p).unwrap();
            app.append_simulated(p, source, now, 0);
        }
    }
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
    let source = Arc::new(RecordSource::new(Vec::<Bytes>::new(), 100));
    // Warm up past the logs' retention so their buffers stop growing.
    for t in 1..=40 {
        round(&mut broker, &source, t * 10);
        broker.enforce_retention(t * 10);
    }

    let _profiler = dhat::Profiler::builder().testing().build();
    let mut append_blocks = 0;
    for t in 41..=60 {
        let before = dhat::HeapStats::get().total_blocks;
        append(&mut broker, &source, t * 10);
        let appended = dhat::HeapStats::get().total_blocks;
        broker.replicate(t * 10);
        let after = dhat::HeapStats::get().total_blocks;
        append_blocks += appended - before;
        dhat::assert_eq!(after - appended, 0, "tick {t}'s replication allocated");
        // Retention reports what it deleted as events, which allocate: outside the count.
        broker.enforce_retention(t * 10);
    }
    // 24,000 records: the batches they fill, not the records, allocate.
    dhat::assert!(
        append_blocks <= 24_000 / 100,
        "{append_blocks} blocks for 24,000 records"
    );
    let tally = broker.producer_tally(ProducerId(0)).unwrap();
    assert_eq!(
        tally.acked,
        300 * 60,
        "every record acknowledged by replication"
    );
}
