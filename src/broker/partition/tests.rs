use std::sync::Arc;

use bytes::Bytes;

use super::*;
use crate::broker::compact::RecordSource;
use crate::broker::record::Record;

fn rec(ts: i64, len: usize) -> NewRecord {
    NewRecord::new(ts, None, Bytes::from(vec![0u8; len]))
}

fn log_with(n: i64) -> PartitionLog {
    let mut log = PartitionLog::new();
    for i in 0..n {
        log.append(rec(i * 10, 10));
    }
    log
}

fn source(keys: usize, value: usize) -> Arc<RecordSource> {
    Arc::new(RecordSource::new(
        (0..keys).map(|i| Bytes::from(format!("key-{i}"))).collect(),
        value,
    ))
}

/// A log of `n` simulated records, timestamps 0, 10, 20, …, keys `key-(i % 4)`.
fn simulated(n: i64) -> PartitionLog {
    let src = source(4, 10);
    let mut log = PartitionLog::new();
    for i in 0..n {
        log.append_simulated(&src, i * 10, (i % 4) as u32);
    }
    log
}

fn offsets(records: impl Iterator<Item = Record>) -> Vec<i64> {
    records.map(|r| r.offset()).collect()
}

#[test]
fn offsets_are_dense_from_zero() {
    let mut log = PartitionLog::new();
    assert_eq!(log.append(rec(0, 1)), 0);
    assert_eq!(log.append(rec(0, 1)), 1);
    assert_eq!(log.append_batch(vec![rec(0, 1), rec(0, 1), rec(0, 1)]), 2);
    assert_eq!(log.high_watermark(), 5);
    assert_eq!(
        log.batch_count(),
        3,
        "a batch appended together stays together"
    );
    assert_eq!(offsets(log.iter_from(0)), vec![0, 1, 2, 3, 4]);
    assert_eq!(offsets(log.iter_from(3)), vec![3, 4], "from inside a batch");
}

#[test]
fn fetch_limits_records_and_bytes() {
    for log in [log_with(10), simulated(10)] {
        let mut out = Vec::new();
        log.fetch_into(2, 3, u64::MAX, &mut out).unwrap();
        assert_eq!(offsets(out.drain(..)), [2, 3, 4]);
        let size = u64::from(log.get(0).unwrap().size_bytes());
        log.fetch_into(0, 100, 2 * size + size / 2, &mut out)
            .unwrap();
        assert_eq!(out.len(), 2, "two records fit in two and a half");
        out.clear();
        log.fetch_into(0, 100, 1, &mut out).unwrap();
        assert_eq!(out.len(), 1, "the first record comes even past max_bytes");
    }
}

#[test]
fn fetch_at_the_end_is_empty_and_beyond_is_out_of_range() {
    let mut log = log_with(5);
    let mut out = Vec::new();
    assert!(log.fetch_into(5, 10, u64::MAX, &mut out).is_ok());
    assert!(out.is_empty());
    assert!(log.fetch_into(6, 10, u64::MAX, &mut out).is_err());
    let records = RetentionPolicy {
        records: Some(2),
        ..Default::default()
    };
    log.enforce_retention(&records, 0);
    let err = log.fetch_into(0, 10, u64::MAX, &mut out).unwrap_err();
    assert_eq!(err.log_start_offset, 3);
}

#[test]
fn list_offsets() {
    for log in [log_with(10), simulated(10)] {
        // Timestamps 0, 10, ..., 90.
        assert_eq!(log.list_offset(OffsetSpec::Earliest), Some(0));
        assert_eq!(log.list_offset(OffsetSpec::Latest), Some(10));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(35)), Some(4));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(40)), Some(4));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(-5)), Some(0));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(91)), None);
        assert_eq!(log.offset_for_timestamp(35, 1 << 20), Some((4, 40)));
    }
}

#[test]
fn list_offsets_by_timestamp_inside_a_batch_and_with_unordered_timestamps() {
    let mut log = PartitionLog::new();
    log.append_batch([50, 10, 70, 20].map(|ts| rec(ts, 1)));
    log.append(rec(5, 1));
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(60)), Some(2));
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(15)), Some(0));
    assert_eq!(log.offset_for_timestamp(3, 1 << 20), Some((0, 50)));
}

#[test]
fn retention_by_time_removes_a_prefix() {
    for mut log in [log_with(10), simulated(10)] {
        let policy = RetentionPolicy {
            ms: Some(50),
            ..Default::default()
        };
        // At t=100 records with timestamp < 50 go: offsets 0..=4.
        assert_eq!(log.enforce_retention(&policy, 100), 5);
        assert_eq!(log.log_start_offset(), 5);
        assert_eq!(log.high_watermark(), 10);
        assert_eq!(log.deleted_total(), 5);
        assert_eq!(offsets(log.iter_from(0)), [5, 6, 7, 8, 9]);
    }
}

#[test]
fn retention_by_time_stops_at_the_first_young_record() {
    let mut log = PartitionLog::new();
    for ts in [0, 100, 0] {
        log.append(rec(ts, 1));
    }
    let policy = RetentionPolicy {
        ms: Some(10),
        ..Default::default()
    };
    assert_eq!(log.enforce_retention(&policy, 105), 1, "prefix only");
    assert_eq!(log.log_start_offset(), 1);
}

#[test]
fn retention_by_bytes_and_records() {
    // Simulated records: 10-byte values and 5-byte keys, counted record by record.
    let mut log = simulated(10);
    assert_eq!(log.size_bytes(), 150);
    let by_bytes = RetentionPolicy {
        bytes: Some(50),
        ..Default::default()
    };
    assert_eq!(log.enforce_retention(&by_bytes, 0), 7);
    assert_eq!(log.size_bytes(), 45);
    let by_records = RetentionPolicy {
        records: Some(1),
        ..Default::default()
    };
    assert_eq!(log.enforce_retention(&by_records, 0), 2);
    assert_eq!(log.len(), 1);
    assert_eq!(log.log_start_offset(), 9);
    assert_eq!(
        log.append(rec(0, 1)),
        10,
        "offsets continue after retention"
    );

    // Stored batches go whole: here as many as leave at most 2 records.
    let mut log = PartitionLog::new();
    log.append_batch((0..3).map(|i| rec(i, 1)));
    log.append_batch((0..3).map(|i| rec(i, 1)));
    let two = RetentionPolicy {
        records: Some(2),
        ..Default::default()
    };
    assert_eq!(log.enforce_retention(&two, 0), 6);
    assert!(log.is_empty());
    assert_eq!(log.memory_bytes(), 0);
    assert_eq!(log.size_bytes(), 0);
}

#[test]
fn delete_before_moves_log_start() {
    let mut log = log_with(10);
    assert_eq!(log.delete_before(4), Ok(4));
    assert_eq!(log.log_start_offset(), 4);
    assert!(log.delete_before(2).is_err());
    assert!(log.delete_before(11).is_err());
    // Inside a stored batch the batch stays, and reads start at the new log start.
    let mut log = PartitionLog::new();
    log.append_batch((0..5).map(|i| rec(i, 1)));
    assert_eq!(log.delete_before(3), Ok(3));
    assert_eq!(offsets(log.iter_from(0)), [3, 4]);
    assert_eq!(log.batch_count(), 1);
    let mut sim = simulated(5);
    assert_eq!(sim.delete_before(3), Ok(3));
    assert_eq!(offsets(sim.iter_from(0)), [3, 4]);
}

#[test]
fn tail_and_get() {
    for log in [log_with(10), simulated(10)] {
        assert_eq!(offsets(log.tail(3)), vec![7, 8, 9]);
        assert_eq!(log.get(9).map(|r| r.offset()), Some(9));
        assert!(log.get(10).is_none());
    }
}

#[test]
fn simulated_records_read_back_with_their_keys_and_zero_values() {
    let log = simulated(6);
    let records: Vec<Record> = log.iter_from(0).collect();
    assert_eq!(records.len(), 6);
    assert_eq!(records[5].key().map(|k| &k[..]), Some(&b"key-1"[..]));
    assert_eq!(records[5].value().map(|v| v.to_vec()), Some(vec![0u8; 10]));
    assert_eq!(records[5].timestamp_ms(), 50);
    assert_eq!(
        log.batch_count(),
        1,
        "appended one by one into one compact batch"
    );
}

#[test]
fn tail_keys_reads_only_the_newest_records() {
    let mut log = simulated(6);
    log.append_batch([Some("a"), None].map(|k| NewRecord::new(0, k.map(Bytes::from), "v")));
    let mut keys = Vec::new();
    log.tail_keys(4, 1 << 20, |k| keys.push(k.map(<[u8]>::to_vec)));
    let expected: Vec<Option<Vec<u8>>> = vec![
        Some(b"key-0".to_vec()),
        Some(b"key-1".to_vec()),
        Some(b"a".to_vec()),
        None,
    ];
    assert_eq!(keys, expected);
    // A stored batch too large to look into leaves it and what is older unvisited.
    keys.clear();
    log.tail_keys(4, 3, |k| keys.push(k.map(<[u8]>::to_vec)));
    assert!(keys.is_empty(), "{keys:?}");
}

#[test]
fn the_high_watermark_follows_the_end_until_set() {
    let mut log = simulated(5);
    assert_eq!((log.log_end_offset(), log.high_watermark()), (5, 5));
    assert_eq!(log.set_high_watermark(3), 3);
    log.append(rec(0, 1));
    assert_eq!((log.log_end_offset(), log.high_watermark()), (6, 3));
    assert_eq!(
        offsets(log.iter_from(0)),
        [0, 1, 2],
        "reads stop at the high watermark"
    );
    assert_eq!(log.list_offset(OffsetSpec::Latest), Some(3));
    assert_eq!(log.list_offset(OffsetSpec::Timestamp(35)), None);
    assert_eq!(log.set_high_watermark(99), 6, "never past the end");
    log.follow_end();
    log.append(rec(0, 1));
    assert_eq!(log.high_watermark(), 7);
    // Retention never passes the high watermark.
    log.set_high_watermark(2);
    let all = RetentionPolicy {
        records: Some(0),
        ..Default::default()
    };
    assert_eq!(log.enforce_retention(&all, 0), 2);
    assert_eq!(log.log_start_offset(), 2);
}

#[test]
fn truncation_cuts_exactly_inside_compact_and_stored_batches() {
    let mut log = simulated(5);
    log.append_batch((0..3).map(|i| rec(i, 1)));
    log.append(rec(9, 1));
    assert_eq!(log.log_end_offset(), 9);
    assert_eq!(
        log.truncate_to(20),
        Truncated::default(),
        "nothing past the end"
    );
    let last = log.batches.back().map_or(0, Stored::size_bytes);
    let cut = log.truncate_to(7);
    assert_eq!(
        cut.records, 2,
        "the newest batch and one record of the one before"
    );
    assert_eq!(log.log_end_offset(), 7);
    assert_eq!(log.high_watermark(), 7);
    assert_eq!(
        log.batch_count(),
        2,
        "the stored batch was cut inside, not dropped"
    );
    assert!(cut.bytes > last, "{cut:?}");
    assert_eq!(offsets(log.iter_from(0)), [0, 1, 2, 3, 4, 5, 6]);
    let kept: Vec<i64> = log.iter_from(5).map(|r| r.timestamp_ms()).collect();
    assert_eq!(
        kept,
        [0, 1],
        "the kept records of the cut batch are the first ones"
    );
    assert_eq!(
        log.truncate_to(3).records,
        4,
        "simulated records go one by one"
    );
    assert_eq!(offsets(log.iter_from(0)), [0, 1, 2]);
    assert_eq!(log.append(rec(0, 1)), 3, "offsets go on from the new end");
    let held: u64 = 3 * 15 + log.batches.back().map_or(0, Stored::size_bytes);
    assert_eq!(log.size_bytes(), held);
    assert_eq!(log.truncated_total(), 2 + 4);
    assert_eq!(log.truncate_to(0).records, 4);
    assert!(log.is_empty());
    assert_eq!(log.memory_bytes(), 0);
}

#[test]
fn truncation_never_goes_below_the_log_start() {
    let mut log = simulated(10);
    log.delete_before(4).unwrap();
    let cut = log.truncate_to(1);
    assert_eq!(cut.records, 6);
    assert_eq!(
        (
            log.log_start_offset(),
            log.log_end_offset(),
            log.high_watermark()
        ),
        (4, 4, 4)
    );
    log.append(rec(0, 1));
    assert_eq!(offsets(log.iter_from(0)), [4]);
}

#[test]
fn wire_reads_follow_kafkas_limits() {
    let mut log = PartitionLog::new();
    for i in 0..4 {
        log.append_batch((0..10).map(|j| rec(i * 10 + j, 20)));
    }
    let size = log.read_wire(0, usize::MAX, true).unwrap().chunks[0].len();
    // From inside a batch: the whole batch holding the offset comes.
    let r = log.read_wire(15, usize::MAX, true).unwrap();
    assert_eq!((r.chunks.len(), r.records, r.bytes), (3, 30, 3 * size));
    // A limit between batches cuts the next one, as Kafka sends it.
    let r = log.read_wire(0, size + 10, true).unwrap();
    assert_eq!(
        r.chunks.iter().map(Bytes::len).collect::<Vec<_>>(),
        [size, 10]
    );
    assert_eq!(r.records, 10);
    // The first batch goes whole past the limit, but only with min_one.
    let r = log.read_wire(0, 5, true).unwrap();
    assert_eq!((r.bytes, r.records), (size, 10));
    let r = log.read_wire(0, 5, false).unwrap();
    assert_eq!((r.bytes, r.records), (5, 0));
    assert!(log.read_wire(41, 100, true).is_err());
    assert_eq!(log.read_wire(40, 100, true).unwrap(), WireRead::default());
}

#[test]
fn wire_reads_encode_simulated_records_from_the_offset() {
    let log = simulated(10);
    let r = log.read_wire(4, usize::MAX, true).unwrap();
    assert_eq!(r.records, 6);
    let mut bytes: Bytes = r.chunks.concat().into();
    let sets = kafka_protocol::records::RecordBatchDecoder::decode_all(&mut bytes).unwrap();
    let got: Vec<(i64, i64, Option<Bytes>, usize)> = sets[0]
        .records
        .iter()
        .map(|r| {
            (
                r.offset,
                r.timestamp,
                r.key.clone(),
                r.value.as_ref().map_or(0, Bytes::len),
            )
        })
        .collect();
    assert_eq!(got[0], (4, 40, Some(Bytes::from("key-0")), 10));
    assert_eq!(got.len(), 6);
    // A limit gives whole records; the first always comes with min_one.
    let one = log.read_wire(0, 1, true).unwrap();
    assert_eq!(one.records, 1);
    assert_eq!(log.read_wire(0, 1, false).unwrap().records, 0);
    let some = log.read_wire(0, one.bytes + 40, false).unwrap();
    assert!(some.records > 1 && some.bytes <= one.bytes + 40, "{some:?}");
}

#[test]
fn memory_counts_what_the_batches_hold() {
    let mut log = PartitionLog::new();
    log.append_batch((0..100).map(|i| rec(i, 100)));
    let bytes = log.read_wire(0, usize::MAX, true).unwrap().bytes as u64;
    assert_eq!(log.memory_bytes(), bytes + SLOT_BYTES);
    assert_eq!(log.size_bytes(), bytes);
    let sim = simulated(2_000);
    let per_record = sim.memory_bytes() as f64 / 2_000.0;
    assert!(per_record < 16.0, "{per_record} bytes per simulated record");
}
