//! Batches in every codec, as kafka-protocol (a client's encoder) makes them: checked,
//! stored, served unchanged but for the base offset, and read back as kafka-protocol
//! reads them.

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression as WireCompression, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, Record as WireRecord,
    RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use super::*;
use crate::broker::{Header, PartitionLog, Record};

fn wire_record(i: usize) -> WireRecord {
    let headers: &[(&str, Option<&'static [u8]>)] =
        &[("trace", Some(b"abc")), ("empty", None), ("", Some(b""))];
    WireRecord {
        transactional: false,
        control: false,
        delete_horizon: false,
        partition_leader_epoch: -1,
        producer_id: NO_PRODUCER_ID,
        producer_epoch: NO_PRODUCER_EPOCH,
        timestamp_type: TimestampType::Creation,
        offset: i as i64,
        sequence: i as i32,
        timestamp: 1_000 + i as i64 * 7,
        key: (i % 3 != 0).then(|| Bytes::from(format!("key-{i}"))),
        value: (i % 5 != 4).then(|| Bytes::from(vec![b'v'; i * 13 % 200])),
        headers: headers[..i % 4]
            .iter()
            .map(|(k, v)| {
                (
                    StrBytes::from_string(k.to_string()),
                    v.map(Bytes::from_static),
                )
            })
            .collect(),
    }
}

fn compress(c: WireCompression, data: &[u8]) -> Vec<u8> {
    match c {
        WireCompression::Lz4 => {
            let mut e = lz4_flex::frame::FrameEncoder::new(Vec::new());
            std::io::Write::write_all(&mut e, data).unwrap();
            e.finish().unwrap()
        }
        WireCompression::Zstd => {
            ruzstd::encoding::compress_to_vec(data, ruzstd::encoding::CompressionLevel::Fastest)
        }
        other => unreachable!("kafka-protocol compresses {other:?} itself"),
    }
}

/// One batch of `records` as a client would send it.
fn encoded(records: &[WireRecord], compression: WireCompression) -> Bytes {
    let mut buf = BytesMut::new();
    let options = RecordEncodeOptions {
        version: 2,
        compression,
    };
    if matches!(compression, WireCompression::Lz4 | WireCompression::Zstd) {
        RecordBatchEncoder::encode_with_custom_compression(
            &mut buf,
            records.iter(),
            &options,
            Some(|raw: &mut BytesMut, out: &mut BytesMut, c| {
                out.extend_from_slice(&compress(c, raw));
                Ok(())
            }),
        )
        .unwrap();
    } else {
        RecordBatchEncoder::encode(&mut buf, records.iter(), &options).unwrap();
    }
    buf.freeze()
}

fn unpack(raw: &mut Bytes, c: WireCompression) -> anyhow::Result<Bytes> {
    let ours = CODECS
        .iter()
        .find(|(w, _)| *w == c)
        .expect("a known codec")
        .1;
    let out = codec::decompress(ours, raw, usize::MAX).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Bytes::from(out))
}

/// What kafka-protocol reads from `data`, as broker records.
fn reference(mut data: Bytes) -> Vec<Record> {
    let mut out = Vec::new();
    while !data.is_empty() {
        let set = RecordBatchDecoder::decode_with_custom_compression(&mut data, Some(unpack))
            .expect("kafka-protocol reads it");
        out.extend(set.records.into_iter().map(|r| {
            let headers: Vec<Header> = r
                .headers
                .into_iter()
                .map(|(k, v)| Header {
                    key: k.to_string(),
                    value: v,
                })
                .collect();
            Record::from_parts(
                r.offset,
                r.timestamp,
                r.key,
                r.value,
                (!headers.is_empty()).then_some(headers),
            )
        }));
    }
    out
}

const CODECS: [(WireCompression, Compression); 5] = [
    (WireCompression::None, Compression::None),
    (WireCompression::Gzip, Compression::Gzip),
    (WireCompression::Snappy, Compression::Snappy),
    (WireCompression::Lz4, Compression::Lz4),
    (WireCompression::Zstd, Compression::Zstd),
];

#[test]
fn every_codec_is_stored_and_served_as_sent_and_read_as_kafka_protocol_reads_it() {
    let records: Vec<WireRecord> = (0..300).map(wire_record).collect();
    for (wire, ours) in CODECS {
        let mut data = BytesMut::new();
        data.extend_from_slice(&encoded(&records[..100], wire));
        data.extend_from_slice(&encoded(&records[100..], wire));
        let batches = ProducedBatch::split(&data).expect("sound batches");
        assert_eq!(batches.len(), 2);
        assert_eq!(batches[0].info().compression, ours);
        assert_eq!(batches[1].info().records, 200);

        let mut log = PartitionLog::new();
        log.append(crate::broker::NewRecord::new(0, None, "first"));
        assert_eq!(log.append_produced(batches), 1);
        assert_eq!(log.log_end_offset(), 301);
        let read = log.read_wire(1, usize::MAX, true).unwrap();
        let served: Vec<u8> = read.chunks.concat();
        assert_eq!(served.len(), data.len(), "{ours:?}: served as stored");
        // Only the base offsets differ: 1 and 101 where the client wrote 0 and 100.
        let mut expected = data.to_vec();
        expected[..8].copy_from_slice(&1i64.to_be_bytes());
        let second = expected.len() - (data.len() - encoded(&records[..100], wire).len());
        expected[second..second + 8].copy_from_slice(&101i64.to_be_bytes());
        assert_eq!(served, expected, "{ours:?}");
        assert_eq!(read.records, 300);

        let want = reference(Bytes::from(served));
        let got: Vec<Record> = log.iter_from(1).collect();
        assert_eq!(got.len(), 300);
        assert_eq!(got, want, "{ours:?}");
    }
}

/// `batch` with its CRC recomputed, as a client that meant it would send it.
fn with_crc(mut batch: Vec<u8>) -> Vec<u8> {
    let crc = crc32c::crc32c(&batch[ATTRIBUTES..]);
    batch[CRC..CRC + 4].copy_from_slice(&crc.to_be_bytes());
    batch
}

fn is_corrupt(data: &[u8], what: &str) {
    match ProducedBatch::split(data) {
        Err(BatchError::Corrupt(reason)) => {
            assert!(reason.contains(what), "{what}: said {reason:?}")
        }
        other => panic!("{what}: {other:?}"),
    }
}

#[test]
fn corrupt_batches_are_refused_whole() {
    let good = encoded(
        &(0..5).map(wire_record).collect::<Vec<_>>(),
        WireCompression::None,
    )
    .to_vec();
    assert!(ProducedBatch::split(&good).is_ok());
    assert_eq!(
        ProducedBatch::split(&[]),
        Ok(Vec::new()),
        "no data, no batches"
    );

    let mut flipped = good.clone();
    *flipped.last_mut().unwrap() ^= 1;
    is_corrupt(&flipped, "CRC");

    let mut longer = good.clone();
    longer[LENGTH..LENGTH + 4]
        .copy_from_slice(&((good.len() - LENGTH_END + 1) as i32).to_be_bytes());
    is_corrupt(&longer, "with");
    let mut negative = good.clone();
    negative[LENGTH..LENGTH + 4].copy_from_slice(&(-5i32).to_be_bytes());
    is_corrupt(&negative, "batch length");

    let mut count = good.clone();
    count[RECORD_COUNT..RECORD_COUNT + 4].copy_from_slice(&6i32.to_be_bytes());
    is_corrupt(&with_crc(count), "records with a last offset delta");
    let mut both = good.clone();
    both[RECORD_COUNT..RECORD_COUNT + 4].copy_from_slice(&4i32.to_be_bytes());
    both[LAST_OFFSET_DELTA..LAST_OFFSET_DELTA + 4].copy_from_slice(&3i32.to_be_bytes());
    is_corrupt(&with_crc(both), "after the last of 4 records");

    // A record whose length runs past the batch.
    let mut record_len = good.clone();
    record_len[HEADER_BYTES] = 0x7e;
    is_corrupt(&with_crc(record_len), "record");

    let mut old = good.clone();
    old[MAGIC] = 1;
    is_corrupt(&old, "v1");
    let mut codec = good.clone();
    codec[ATTRIBUTES + 1] = 5;
    is_corrupt(&with_crc(codec), "compression type 5");

    // A good batch followed by a bad one: nothing of the data is accepted.
    let mut two = good.clone();
    two.extend_from_slice(&flipped);
    is_corrupt(&two, "CRC");
    let mut truncated = good.clone();
    truncated.extend_from_slice(&good[..30]);
    is_corrupt(&truncated, "too few");
}

#[test]
fn offsets_written_in_place_keep_the_crc_valid() {
    let data = encoded(
        &(0..3).map(wire_record).collect::<Vec<_>>(),
        WireCompression::Gzip,
    );
    let mut log = PartitionLog::new();
    log.append_batch((0..7).map(|i| crate::broker::NewRecord::new(i, None, "x")));
    log.append_produced(ProducedBatch::split(&data).unwrap());
    let read = log.read_wire(7, usize::MAX, true).unwrap();
    let mut served = Bytes::from(read.chunks.concat());
    let info = RecordBatchDecoder::decode_batch_info(&mut served).expect("the CRC still holds");
    assert_eq!(info[0].min_offset, 7);
    assert_eq!(info[0].record_count, 3);
}

#[test]
fn a_log_cut_inside_a_stored_batch_keeps_its_first_records_in_every_codec() {
    let records: Vec<WireRecord> = (0..50).map(wire_record).collect();
    for (wire, ours) in CODECS {
        let data = encoded(&records, wire);
        let mut log = PartitionLog::new();
        log.append_produced(ProducedBatch::split(&data).unwrap());
        let before: Vec<Record> = log.iter_from(0).collect();
        let cut = log.truncate_to(20);
        assert_eq!((cut.records, log.log_end_offset()), (30, 20), "{ours:?}");
        let read = log.read_wire(0, usize::MAX, true).unwrap();
        let served = Bytes::from(read.chunks.concat());
        assert_eq!(served.len() as u64, log.size_bytes(), "{ours:?}");
        let info = RecordBatchDecoder::decode_batch_info(&mut served.clone())
            .expect("the rewritten batch's CRC holds");
        assert_eq!((info[0].min_offset, info[0].record_count), (0, 20));
        assert_eq!(reference(served), before[..20], "{ours:?}");
        assert_eq!(log.iter_from(0).collect::<Vec<_>>(), before[..20]);
        // Appends go on from the cut.
        log.append_produced(ProducedBatch::split(&data).unwrap());
        assert_eq!(log.log_end_offset(), 70);
    }
}

#[test]
fn a_cut_keeps_the_producer_fields_and_is_bounded() {
    let mut records: Vec<WireRecord> = (0..4).map(wire_record).collect();
    for r in &mut records {
        (r.producer_id, r.producer_epoch) = (77, 3);
    }
    let data = encoded(&records, WireCompression::Gzip);
    let stored = ProducedBatch::split(&data).unwrap().remove(0).seal(10, 5);
    let cut = stored.prefix(2, usize::MAX).unwrap();
    let info = cut.info();
    assert_eq!(
        (
            info.records,
            info.compression,
            info.producer_id,
            info.producer_epoch
        ),
        (2, Compression::None, 77, 3)
    );
    assert_eq!(info.base_sequence, stored.info().base_sequence);
    assert_eq!(cut.base_offset(), 10);
    assert!(
        stored.prefix(2, 10).is_err(),
        "a batch that decompresses past the bound is not cut"
    );
}

#[test]
fn a_batch_too_large_to_cut_inside_goes_whole() {
    let zeros = vec![0u8; crate::broker::MAX_LOOK_INSIDE_BYTES / 2 + 1];
    let mut records: Vec<WireRecord> = (0..3).map(wire_record).collect();
    for r in &mut records {
        r.value = Some(Bytes::from(zeros.clone()));
    }
    let data = encoded(&records, WireCompression::Gzip);
    assert!(data.len() < 1 << 20, "{} bytes on the wire", data.len());
    let mut log = PartitionLog::new();
    log.append(crate::broker::NewRecord::new(0, None, "before"));
    log.append_produced(ProducedBatch::split(&data).unwrap());
    let cut = log.truncate_to(2);
    assert_eq!(cut.records, 3, "the whole batch went");
    assert_eq!((log.log_end_offset(), log.high_watermark()), (1, 1));
    assert_eq!(log.batch_count(), 1);
    assert_eq!(log.iter_from(0).count(), 1);
}
