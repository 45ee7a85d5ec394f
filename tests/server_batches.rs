//! Record batches over real TCP, as the protocol carries them: a produced batch is served
//! back byte for byte but for its base offset, still compressed in every codec, and a
//! corrupt one is refused with CORRUPT_MESSAGE with nothing of it stored.

#[path = "support/wire_client.rs"]
mod wire_client;

use std::net::SocketAddr;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use minikafka::broker::SharedBroker;
use minikafka::server::{Server, ServerConfig};
use wire_client::Client;

async fn start() -> (SocketAddr, SharedBroker) {
    let broker = SharedBroker::default();
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        ..ServerConfig::default()
    };
    let server = Server::bind(config, broker.clone()).await.expect("binds");
    let addr = server.local_addr();
    tokio::spawn(async move { server.run(std::future::pending()).await });
    (addr, broker)
}

/// What the tests send through the shared client: a produce and a fetch of partition 0.
trait BatchCalls {
    async fn produce(&mut self, topic: &str, records: Bytes) -> (i16, i64);
    async fn fetch(&mut self, topic: &str, offset: i64) -> (Bytes, i64);
}

impl BatchCalls for Client {
    /// The error code and base offset of a produce to partition 0.
    async fn produce(&mut self, topic: &str, records: Bytes) -> (i16, i64) {
        let req = ProduceRequest::default()
            .with_acks(-1)
            .with_timeout_ms(10_000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(0)
                            .with_records(Some(records)),
                    ]),
            ]);
        let r: ProduceResponse = self.call(ApiKey::Produce, 9, &req).await;
        let p = &r.responses[0].partition_responses[0];
        (p.error_code, p.base_offset)
    }

    /// The raw records bytes of partition 0 from `offset`, and the high watermark.
    async fn fetch(&mut self, topic: &str, offset: i64) -> (Bytes, i64) {
        let req = FetchRequest::default()
            .with_max_wait_ms(0)
            .with_max_bytes(1 << 24)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partitions(vec![
                        FetchPartition::default()
                            .with_fetch_offset(offset)
                            .with_partition_max_bytes(1 << 24),
                    ]),
            ]);
        let r: FetchResponse = self.call(ApiKey::Fetch, 12, &req).await;
        let p = &r.responses[0].partitions[0];
        assert_eq!(p.error_code, 0, "fetch of {topic}");
        (p.records.clone().unwrap_or_default(), p.high_watermark)
    }
}

fn records(n: usize) -> Vec<Record> {
    (0..n)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: 4_000 + i as i64 / 1_000,
            producer_epoch: 3,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: 17 + i as i32,
            timestamp: 1_700_000_000_000 + i as i64,
            key: Some(Bytes::from(format!("key-{}", i % 13))),
            value: Some(Bytes::from(format!("value {i} {}", "x".repeat(i % 90)))),
            headers: [(
                StrBytes::from_static_str("h"),
                Some(Bytes::from_static(b"1")),
            )]
            .into_iter()
            .collect(),
        })
        .collect()
}

fn compressed(codec: Compression, raw: &[u8]) -> Vec<u8> {
    match codec {
        Compression::Lz4 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            std::io::Write::write_all(&mut e, raw).unwrap();
            e.finish().unwrap()
        }
        Compression::Zstd => {
            ruzstd::encoding::compress_to_vec(raw, ruzstd::encoding::CompressionLevel::Fastest)
        }
        other => unreachable!("kafka-protocol compresses {other:?} itself"),
    }
}

/// One batch of `records` as a client sends it, compressed with `codec`.
fn batch(records: &[Record], codec: Compression) -> Bytes {
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression: codec,
    };
    if matches!(codec, Compression::Lz4 | Compression::Zstd) {
        RecordBatchEncoder::encode_with_custom_compression(
            &mut buf,
            records.iter(),
            &options,
            Some(|raw: &mut BytesMut, out: &mut BytesMut, c| {
                out.extend_from_slice(&compressed(c, raw));
                Ok(())
            }),
        )
        .unwrap();
    } else {
        RecordBatchEncoder::encode(&mut buf, records.iter(), &options).unwrap();
    }
    buf.freeze()
}

/// The attributes' compression bits of every batch in `data`.
fn codecs_of(mut data: Bytes) -> Vec<i16> {
    let mut out = Vec::new();
    while data.len() >= 23 {
        let len = 12 + i32::from_be_bytes(data[8..12].try_into().unwrap()) as usize;
        let batch = data.split_to(len);
        out.push(i16::from_be_bytes([batch[21], batch[22]]) & 7);
    }
    out
}

#[tokio::test]
async fn a_fetch_serves_the_produced_batch_as_sent_still_compressed() {
    let (addr, _broker) = start().await;
    let mut c = Client::connect(addr).await;
    let all = records(500);
    for (codec, bits) in [
        (Compression::None, 0),
        (Compression::Gzip, 1),
        (Compression::Snappy, 2),
        (Compression::Lz4, 3),
        (Compression::Zstd, 4),
    ] {
        let topic = format!("raw-{bits}");
        // Something before it, so the batch's offsets are not the ones its producer wrote.
        assert_eq!(
            c.produce(&topic, batch(&all[..7], Compression::None)).await,
            (0, 0)
        );
        let sent = batch(&all, codec);
        assert_eq!(c.produce(&topic, sent.clone()).await, (0, 7), "{codec:?}");
        let (served, hw) = c.fetch(&topic, 7).await;
        assert_eq!(hw, 507);
        assert_eq!(
            codecs_of(served.clone()),
            [bits],
            "{codec:?}: stored compressed"
        );
        let mut expected = sent.to_vec();
        expected[..8].copy_from_slice(&7i64.to_be_bytes());
        assert_eq!(served.len(), expected.len(), "{codec:?}");
        assert!(
            served[..] == expected[..],
            "{codec:?}: byte for byte but the base offset"
        );
        // What a client reads from it: every record at its offset, unchanged, and the
        // producer id, epoch and sequence kept.
        let mut check = served.clone();
        let set = RecordBatchDecoder::decode_with_custom_compression(
            &mut check,
            Some(|raw: &mut Bytes, c: Compression| -> anyhow::Result<Bytes> {
                let out = match c {
                    Compression::Lz4 => {
                        let mut d = lz4_flex::frame::FrameDecoder::new(&raw[..]);
                        let mut v = Vec::new();
                        std::io::Read::read_to_end(&mut d, &mut v)?;
                        v
                    }
                    Compression::Zstd => {
                        let mut d = ruzstd::decoding::StreamingDecoder::new(&raw[..])?;
                        let mut v = Vec::new();
                        std::io::Read::read_to_end(&mut d, &mut v)?;
                        v
                    }
                    _ => unreachable!(),
                };
                Ok(Bytes::from(out))
            })
            .filter(|_| matches!(codec, Compression::Lz4 | Compression::Zstd)),
        )
        .expect("a client reads it");
        assert_eq!(set.records.len(), 500);
        for (i, r) in set.records.iter().enumerate() {
            assert_eq!(r.offset, 7 + i as i64);
            assert_eq!((&r.key, &r.value), (&all[i].key, &all[i].value));
            assert_eq!((r.producer_id, r.producer_epoch), (4_000, 3));
        }
    }
}

#[tokio::test]
async fn corrupt_batches_are_refused_and_nothing_of_them_is_stored() {
    let (addr, broker) = start().await;
    let mut c = Client::connect(addr).await;
    let good = batch(&records(20), Compression::Gzip);
    assert_eq!(c.produce("c", good.clone()).await, (0, 0));

    let mut bad_crc = good.to_vec();
    let last = bad_crc.len() - 1;
    bad_crc[last] ^= 0x40;
    let mut too_long = good.to_vec();
    too_long[8..12].copy_from_slice(&(good.len() as i32).to_be_bytes());
    let mut too_short = good.to_vec();
    too_short[8..12].copy_from_slice(&(good.len() as i32 - 20).to_be_bytes());
    let mut wrong_count = good.to_vec();
    wrong_count[57..61].copy_from_slice(&21i32.to_be_bytes());
    // A good batch first: the whole of a partition's data is refused, not just the bad part.
    let mut good_then_bad = good.to_vec();
    good_then_bad.extend_from_slice(&bad_crc);
    for (what, data) in [
        ("a bad CRC", bad_crc),
        ("a length past the data", too_long),
        ("a length short of the batch", too_short),
        ("a count the offsets disagree with", wrong_count),
        ("a good batch, then a bad one", good_then_bad),
    ] {
        assert_eq!(
            c.produce("c", data.into()).await,
            (2, -1),
            "{what}: CORRUPT_MESSAGE"
        );
        let (served, hw) = c.fetch("c", 0).await;
        assert_eq!(hw, 20, "{what}: nothing appended");
        assert_eq!(served, good, "{what}: the good batch alone, as it was sent");
    }
    let b = broker.read();
    let log = b.partition("c", 0).unwrap();
    assert_eq!((log.log_end_offset(), log.batch_count()), (20, 1));
}
