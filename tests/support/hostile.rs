//! Requests a hostile client sends: compression bombs and fetches that ask to wait forever,
//! for the limit and soak tests.

#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

const MIB: u64 = 1 << 20;

pub fn topic(name: &str) -> TopicName {
    TopicName(StrBytes::from_string(name.to_string()))
}

/// One record batch whose attributes say `compression` and whose records section is `body`,
/// exactly as given (with a correct CRC), claiming one record.
pub fn batch_with_body(compression: Compression, body: Vec<u8>) -> Bytes {
    let record = Record {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: -1,
        producer_epoch: -1,
        timestamp_type: TimestampType::Creation,
        offset: 0,
        sequence: -1,
        timestamp: 1,
        key: None,
        value: Some(Bytes::from_static(b"x")),
        headers: Default::default(),
    };
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode_with_custom_compression(
        &mut buf,
        [record].iter(),
        &RecordEncodeOptions {
            version: 2,
            compression,
        },
        Some(|_: &mut BytesMut, out: &mut BytesMut, _| {
            out.extend_from_slice(&body);
            Ok(())
        }),
    )
    .unwrap();
    buf.freeze()
}

/// A gzip stream of about `size` bytes that inflates to about a thousand times that in
/// zeros. Deflate blocks ended by a sync flush are byte-aligned and, with a window of
/// zeros behind them, mean the same wherever they stand, so one is repeated.
pub fn gzip_bomb(size: usize) -> Vec<u8> {
    use flate2::{Compress, FlushCompress};
    let zeros = vec![0u8; MIB as usize];
    let mut deflate = Compress::new(flate2::Compression::best(), false);
    let mut block = || {
        let mut out = Vec::with_capacity(64 * 1024);
        deflate
            .compress_vec(&zeros, &mut out, FlushCompress::Sync)
            .unwrap();
        out
    };
    let (first, repeat) = (block(), block());
    let mut gz = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gz.extend_from_slice(&first);
    while gz.len() + repeat.len() < size {
        gz.extend_from_slice(&repeat);
    }
    // A last, empty block, then a trailer that is never reached.
    gz.extend_from_slice(&[0x03, 0x00]);
    gz.extend_from_slice(&[0; 8]);
    gz
}

pub fn produce_one(topic_name: &str, records: Bytes) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(1)
        .with_timeout_ms(30_000)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(topic(topic_name))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(records)),
                ]),
        ])
}

pub fn long_fetch(topic_name: &str) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(i32::MAX)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(topic(topic_name))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(0)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ])
}
