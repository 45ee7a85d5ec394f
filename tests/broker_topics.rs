//! Topic administration, produce/fetch and retention through the public API.

use minikafka::broker::{
    Broker, BrokerError, CreateOutcome, EventKind, MAX_PARTITIONS_PER_BROKER,
    MAX_PARTITIONS_PER_TOPIC, NewRecord, OffsetSpec, RetentionPolicy, SharedBroker, TopicConfig,
};

#[test]
fn duplicate_topics_are_refused() {
    let mut b = Broker::new();
    b.create_topic("orders", TopicConfig::new(3), 0).unwrap();
    let err = b
        .create_topic("orders", TopicConfig::new(3), 0)
        .unwrap_err();
    assert_eq!(err, BrokerError::TopicAlreadyExists("orders".into()));
    assert_eq!(err.kafka_code(), 36);
}

#[test]
fn create_if_not_exists_compares_configs() {
    let mut b = Broker::new();
    let cfg = TopicConfig::new(3);
    assert_eq!(
        b.create_topic_if_not_exists("t", cfg, 0),
        Ok(CreateOutcome::Created)
    );
    assert_eq!(
        b.create_topic_if_not_exists("t", cfg, 0),
        Ok(CreateOutcome::AlreadyExists)
    );
    let err = b
        .create_topic_if_not_exists("t", TopicConfig::new(4), 0)
        .unwrap_err();
    assert!(
        matches!(err, BrokerError::TopicConfigConflict { .. }),
        "{err}"
    );
    assert!(err.to_string().contains("partitions=3"));
    let other_retention = cfg.with_retention(RetentionPolicy {
        ms: Some(5),
        ..Default::default()
    });
    assert!(
        b.create_topic_if_not_exists("t", other_retention, 0)
            .is_err()
    );
}

#[test]
fn names_and_partition_counts_are_validated() {
    let mut b = Broker::new();
    assert!(matches!(
        b.create_topic("bad name", TopicConfig::new(1), 0),
        Err(BrokerError::InvalidTopicName { .. })
    ));
    assert!(matches!(
        b.create_topic("zero", TopicConfig::new(0), 0),
        Err(BrokerError::InvalidPartitions { .. })
    ));
    b.create_topic("t", TopicConfig::new(2), 0).unwrap();
    assert!(matches!(
        b.add_partitions("t", 1, 0),
        Err(BrokerError::InvalidPartitions { .. })
    ));
    b.add_partitions("t", 4, 0).unwrap();
    assert_eq!(b.topic("t").unwrap().partition_count(), 4);
    assert_eq!(b.append("t", 3, NewRecord::new(0, None, "x")).unwrap(), 0);
    assert!(matches!(
        b.append("t", 4, NewRecord::new(0, None, "x")),
        Err(BrokerError::UnknownPartition { .. })
    ));
    assert!(matches!(
        b.append("nope", 0, NewRecord::new(0, None, "x")),
        Err(BrokerError::UnknownTopic(_))
    ));
}

#[test]
fn batches_return_their_base_offset_and_fetch_returns_in_order() {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(1), 0).unwrap();
    b.append("t", 0, NewRecord::new(0, None, "a")).unwrap();
    let base = b
        .append_batch(
            "t",
            0,
            (0..5).map(|i| NewRecord::new(i, None, format!("v{i}"))),
        )
        .unwrap();
    assert_eq!(base, 1);
    let f = b.fetch("t", 0, 2, 3, u64::MAX).unwrap();
    let offsets: Vec<i64> = f.records.iter().map(|r| r.offset()).collect();
    assert_eq!(offsets, vec![2, 3, 4]);
    assert_eq!(f.records[0].value().unwrap().as_ref(), b"v1");
    assert_eq!(f.high_watermark, 6);
    assert!(b.fetch("t", 0, 6, 3, u64::MAX).unwrap().records.is_empty());
    let err = b.fetch("t", 0, 7, 3, u64::MAX).unwrap_err();
    assert!(matches!(
        err,
        BrokerError::OffsetOutOfRange {
            offset: 7,
            high_watermark: 6,
            ..
        }
    ));
}

#[test]
fn list_offsets_through_the_broker() {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(1), 0).unwrap();
    for ts in [100, 200, 300] {
        b.append("t", 0, NewRecord::new(ts, None, "x")).unwrap();
    }
    assert_eq!(b.list_offset("t", 0, OffsetSpec::Earliest), Ok(Some(0)));
    assert_eq!(b.list_offset("t", 0, OffsetSpec::Latest), Ok(Some(3)));
    assert_eq!(
        b.list_offset("t", 0, OffsetSpec::Timestamp(150)),
        Ok(Some(1))
    );
    assert_eq!(b.list_offset("t", 0, OffsetSpec::Timestamp(301)), Ok(None));
}

#[test]
fn retention_runs_per_topic_and_is_logged() {
    let mut b = Broker::new();
    let keep_two = TopicConfig::new(2).with_retention(RetentionPolicy {
        records: Some(2),
        ..Default::default()
    });
    b.create_topic("short", keep_two, 0).unwrap();
    b.create_topic("forever", TopicConfig::new(1), 0).unwrap();
    for i in 0..5 {
        b.append("short", 0, NewRecord::new(i, None, "x")).unwrap();
        b.append("forever", 0, NewRecord::new(i, None, "x"))
            .unwrap();
    }
    assert_eq!(b.enforce_retention(10), 3);
    assert_eq!(b.partition("short", 0).unwrap().log_start_offset(), 3);
    assert_eq!(b.partition("forever", 0).unwrap().log_start_offset(), 0);
    assert!(b.events().iter().any(|e| matches!(&e.kind,
        EventKind::RetentionDeleted { topic, partition: 0, records: 3, log_start_offset: 3 } if topic == "short")));
}

#[test]
fn deleting_a_topic_forgets_its_offsets() {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(1), 0).unwrap();
    b.append("t", 0, NewRecord::new(0, None, "x")).unwrap();
    let tp = minikafka::broker::TopicPartition::new("t", 0);
    b.commit_offsets("g", "", -1, &[(tp.clone(), 1)], 0)
        .unwrap();
    b.delete_topic("t", 1).unwrap();
    assert!(b.topic("t").is_none());
    assert_eq!(b.committed_offset("g", &tp), None);
    assert!(matches!(
        b.delete_topic("t", 1),
        Err(BrokerError::UnknownTopic(_))
    ));
}

#[test]
fn records_are_immutable_and_shared() {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(1), 0).unwrap();
    b.append(
        "t",
        0,
        NewRecord::new(0, None, bytes::Bytes::from(vec![1u8; 64])),
    )
    .unwrap();
    let a = b.fetch("t", 0, 0, 1, u64::MAX).unwrap();
    let c = b.fetch("t", 0, 0, 1, u64::MAX).unwrap();
    assert_eq!(
        a.records[0].value().unwrap().as_ptr(),
        c.records[0].value().unwrap().as_ptr(),
        "two readers share one payload"
    );
}

#[test]
fn shared_broker_serves_many_threads() {
    let shared = SharedBroker::new(Broker::new());
    shared
        .write()
        .create_topic("t", TopicConfig::new(4), 0)
        .unwrap();
    let writers: Vec<_> = (0..4u32)
        .map(|p| {
            let s = shared.clone();
            std::thread::spawn(move || {
                for i in 0..1_000 {
                    s.write()
                        .append("t", p, NewRecord::new(i, None, "x"))
                        .unwrap();
                }
            })
        })
        .collect();
    let reader = {
        let s = shared.clone();
        std::thread::spawn(move || {
            for _ in 0..200 {
                let b = s.read();
                for p in 0..4 {
                    let log = b.partition("t", p).unwrap();
                    assert!(log.log_start_offset() <= log.high_watermark());
                }
            }
        })
    };
    for w in writers {
        w.join().unwrap();
    }
    reader.join().unwrap();
    let b = shared.read();
    for p in 0..4 {
        assert_eq!(b.partition("t", p).unwrap().high_watermark(), 1_000);
    }
}

#[test]
fn partition_counts_are_bounded_per_topic_and_per_broker() {
    let mut b = Broker::new();
    for wanted in [MAX_PARTITIONS_PER_TOPIC + 1, i32::MAX as u32, u32::MAX] {
        let err = b
            .create_topic("huge", TopicConfig::new(wanted), 0)
            .unwrap_err();
        assert!(
            matches!(err, BrokerError::InvalidPartitions { .. }),
            "{err}"
        );
        assert!(err.to_string().contains("10000"), "{err}");
    }
    assert!(b.topic("huge").is_none());
    b.create_topic("t", TopicConfig::new(2), 0).unwrap();
    let err = b
        .add_partitions("t", MAX_PARTITIONS_PER_TOPIC + 1, 0)
        .unwrap_err();
    assert_eq!(err.kafka_code(), 37);
    assert_eq!(b.topic("t").unwrap().partition_count(), 2);

    let full = MAX_PARTITIONS_PER_BROKER / u64::from(MAX_PARTITIONS_PER_TOPIC);
    b.add_partitions("t", MAX_PARTITIONS_PER_TOPIC, 0).unwrap();
    for i in 1..full {
        b.create_topic(
            &format!("t{i}"),
            TopicConfig::new(MAX_PARTITIONS_PER_TOPIC),
            0,
        )
        .unwrap();
    }
    assert_eq!(b.partition_total(), MAX_PARTITIONS_PER_BROKER);
    let err = b.create_topic("more", TopicConfig::new(1), 0).unwrap_err();
    assert_eq!(err.kafka_code(), 37, "{err}");
    assert!(err.to_string().contains("100000"), "{err}");
    // Deleting a topic makes room again.
    b.delete_topic("t1", 0).unwrap();
    b.create_topic("more", TopicConfig::new(1), 0).unwrap();
    b.add_partitions("more", 2, 0).unwrap();
}

#[test]
fn log_memory_is_capped_oldest_records_first() {
    let mut b = Broker::new();
    b.create_topic("a", TopicConfig::new(2), 0).unwrap();
    b.create_topic("b", TopicConfig::new(1), 0).unwrap();
    // Timestamps interleave across the three partitions: 0, 1, 2, 3, ...
    for i in 0..300i64 {
        let (topic, p) = [("a", 0), ("a", 1), ("b", 0)][i as usize % 3];
        b.append(topic, p, NewRecord::new(i, None, vec![0u8; 100]))
            .unwrap();
    }
    // Each record is a batch of its own, all of one size: memory is the real bytes held,
    // the encoded batch and its slot in the log.
    let per_record = b.log_bytes() / 300;
    assert_eq!(b.log_bytes(), 300 * per_record);
    assert!(
        (170..300).contains(&per_record),
        "{per_record} bytes per record"
    );
    assert_eq!(b.enforce_retention(1_000), 0, "under the default cap");

    // A cap whose budget, an eighth below it for the allocator, holds 150 records.
    b.set_max_log_bytes((150 * per_record * 8).div_ceil(7));
    assert!((150 * per_record..151 * per_record).contains(&b.log_memory_budget()));
    assert_eq!(b.enforce_retention(1_000), 150);
    assert_eq!(b.log_bytes(), 150 * per_record);
    // The 150 oldest went: every partition now starts at timestamp 150 or later.
    for (topic, p) in [("a", 0), ("a", 1), ("b", 0)] {
        let log = b.partition(topic, p).unwrap();
        assert_eq!(log.log_start_offset(), 50, "{topic}-{p}");
        assert!(log.iter_from(0).all(|r| r.timestamp_ms() >= 150));
    }
    let reported: u64 = b
        .events()
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::RetentionDeleted { records, .. } => Some(records),
            _ => None,
        })
        .sum();
    assert_eq!(reported, 150, "reported as retention");
}

#[test]
fn routed_appends_go_to_their_partitions_in_order() {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(3), 0).unwrap();
    let records = [2u32, 0, 2, 1, 2]
        .into_iter()
        .enumerate()
        .map(|(i, p)| (p, NewRecord::new(i as i64, None, vec![i as u8])));
    assert_eq!(b.append_routed("t", records), Ok(5));
    let values = |p| -> Vec<u8> {
        b.fetch("t", p, 0, 10, 1 << 20)
            .unwrap()
            .records
            .iter()
            .map(|r| r.value().unwrap()[0])
            .collect()
    };
    assert_eq!(
        (values(0), values(1), values(2)),
        (vec![1], vec![3], vec![0, 2, 4])
    );
    let err = b
        .append_routed(
            "t",
            [
                (0, NewRecord::new(9, None, "x")),
                (3, NewRecord::new(9, None, "y")),
            ],
        )
        .unwrap_err();
    assert!(
        matches!(err, BrokerError::UnknownPartition { partition: 3, .. }),
        "{err}"
    );
    assert_eq!(
        b.partition("t", 0).unwrap().high_watermark(),
        2,
        "stopped at the bad one"
    );
    assert!(b.append_routed("nope", []).is_err());
}
