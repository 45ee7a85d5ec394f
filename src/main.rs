//! `minikafka-tui`: for now, a short tour of the in-process broker.

use bytes::Bytes;
use minikafka::broker::{Broker, KeyHasher, NewRecord, TopicConfig, TopicPartition};

fn main() -> anyhow::Result<()> {
    let mut broker = Broker::new();
    broker.create_topic("orders", TopicConfig::new(4), 0)?;
    for i in 0..100i64 {
        let key = format!("customer-{}", i % 7);
        let p = KeyHasher::Murmur2.partition(key.as_bytes(), 4);
        broker.append(
            "orders",
            p,
            NewRecord::new(i, Some(Bytes::from(key)), "order"),
        )?;
    }
    // Two groups read the same log independently: one is caught up, one is halfway.
    for p in 0..4 {
        let tp = TopicPartition::new("orders", p);
        let hw = broker.partition("orders", p)?.high_watermark();
        broker.commit_offsets("billing", "", -1, &[(tp.clone(), hw)], 100)?;
        broker.commit_offsets("analytics", "", -1, &[(tp, hw / 2)], 100)?;
    }
    println!(
        "{:<10} {:>9} {:>15} {:>15}",
        "partition", "records", "billing lag", "analytics lag"
    );
    for p in 0..4 {
        let tp = TopicPartition::new("orders", p);
        println!(
            "{:<10} {:>9} {:>15} {:>15}",
            tp.to_string(),
            broker.partition("orders", p)?.high_watermark(),
            broker.lag("billing", &tp).unwrap_or(0),
            broker.lag("analytics", &tp).unwrap_or(0),
        );
    }
    for e in broker.events().iter() {
        println!("event: {}", e.kind);
    }
    Ok(())
}
