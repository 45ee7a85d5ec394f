//! The fetch path allocates nothing per record: counted with a real allocator hook.

use bytes::Bytes;
use minikafka::broker::{Broker, NewRecord, TopicConfig};

#[global_allocator]
static ALLOC: dhat::Alloc = dhat::Alloc;

#[test]
fn fetching_500_records_allocates_only_the_returned_container() {
    let mut broker = Broker::new();
    broker.create_topic("t", TopicConfig::new(1), 0).unwrap();
    // Payloads are slices of one shared buffer, as a produced record batch is on the wire.
    let batch = Bytes::from(vec![7u8; 100 * 1_000]);
    broker
        .append_batch(
            "t",
            0,
            (0..1_000).map(|i| {
                NewRecord::new(
                    i,
                    Some(batch.slice(0..4)),
                    batch.slice(i as usize * 100..(i as usize + 1) * 100),
                )
            }),
        )
        .unwrap();
    let mut reused = Vec::with_capacity(500);

    let _profiler = dhat::Profiler::builder().testing().build();
    let before = dhat::HeapStats::get().total_blocks;

    let (records, _) = broker.read("t", 0, 100, 500, u64::MAX).unwrap();
    assert_eq!(records.count(), 500);
    let after_read = dhat::HeapStats::get().total_blocks;
    dhat::assert_eq!(
        after_read - before,
        0,
        "the borrowed read allocates nothing"
    );

    broker
        .fetch_into("t", 0, 100, 500, u64::MAX, &mut reused)
        .unwrap();
    assert_eq!(reused.len(), 500);
    let after_reused = dhat::HeapStats::get().total_blocks;
    dhat::assert_eq!(
        after_reused - after_read,
        0,
        "a reused buffer allocates nothing"
    );

    let fetched = broker.fetch("t", 0, 100, 500, u64::MAX).unwrap();
    assert_eq!(fetched.records.len(), 500);
    let after_fetch = dhat::HeapStats::get().total_blocks;
    dhat::assert_eq!(
        after_fetch - after_reused,
        1,
        "one allocation: the returned Vec"
    );
}
