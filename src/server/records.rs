//! Record batches on the wire <-> the broker's records, through kafka-protocol's codec.
//!
//! Produced batches are decoded record by record because the broker keeps each record's
//! key and size for the UI; payloads stay `Bytes` slices of the request, so nothing is
//! copied. Fetched records are re-encoded as one batch per partition response.

use bytes::{Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    Compression, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, Record as WireRecord, RecordBatchDecoder,
    RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};

use crate::broker::{Header, NewRecord, Record};

/// Decodes every batch in `data` into `out`, skipping control records (transaction markers).
/// Returns a description of the first problem if the data is not a valid v2 batch sequence.
pub(crate) fn decode_batches(mut data: Bytes, out: &mut Vec<NewRecord>) -> Result<(), String> {
    let sets = RecordBatchDecoder::decode_all(&mut data).map_err(|e| e.to_string())?;
    out.reserve(sets.iter().map(|s| s.records.len()).sum());
    for set in sets {
        for r in set.records {
            if r.control {
                continue;
            }
            out.push(NewRecord {
                timestamp_ms: r.timestamp,
                key: r.key,
                value: r.value,
                headers: r
                    .headers
                    .into_iter()
                    .map(|(k, v)| Header {
                        key: k.to_string(),
                        value: v,
                    })
                    .collect(),
            });
        }
    }
    Ok(())
}

/// Encodes `records` (consecutive offsets) as one uncompressed v2 batch into `buf`.
/// `scratch` is reused between calls so a connection does not reallocate it per fetch.
pub(crate) fn encode_batch(
    records: &[Record],
    buf: &mut BytesMut,
    scratch: &mut Vec<WireRecord>,
) -> Result<(), String> {
    let Some(first) = records.first() else {
        return Ok(());
    };
    scratch.clear();
    scratch.extend(records.iter().map(|r| {
        WireRecord {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: NO_PRODUCER_ID,
            producer_epoch: NO_PRODUCER_EPOCH,
            timestamp_type: TimestampType::Creation,
            offset: r.offset(),
            // The encoder splits batches where `offset - sequence` changes; this keeps one batch
            // with a base sequence of -1 (no idempotent producer).
            sequence: (r.offset() - first.offset()) as i32 - 1,
            timestamp: r.timestamp_ms(),
            key: r.key().cloned(),
            value: r.value().cloned(),
            headers: r
                .headers()
                .iter()
                .map(|h| (StrBytes::from_string(h.key.clone()), h.value.clone()))
                .collect(),
        }
    }));
    let options = RecordEncodeOptions {
        version: 2,
        compression: Compression::None,
    };
    let result =
        RecordBatchEncoder::encode(buf, scratch.iter(), &options).map_err(|e| e.to_string());
    scratch.clear();
    result
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::PartitionLog;

    fn log_with(records: Vec<NewRecord>) -> Vec<Record> {
        let mut log = PartitionLog::new();
        log.append_batch(records);
        let mut out = Vec::new();
        log.fetch_into(0, usize::MAX, u64::MAX, &mut out)
            .expect("in range");
        out
    }

    #[test]
    fn a_batch_round_trips_keys_values_headers_and_timestamps() {
        let mut with_header = NewRecord::new(7, Some(Bytes::from_static(b"k1")), "v1");
        with_header.headers.push(Header {
            key: "trace".into(),
            value: Some(Bytes::from_static(b"abc")),
        });
        with_header.headers.push(Header {
            key: "empty".into(),
            value: None,
        });
        let tombstone = NewRecord {
            timestamp_ms: 9,
            key: Some(Bytes::from_static(b"k2")),
            value: None,
            headers: Vec::new(),
        };
        let original = vec![with_header, tombstone, NewRecord::new(8, None, "v3")];
        let stored = log_with(original.clone());
        let mut buf = BytesMut::new();
        encode_batch(&stored, &mut buf, &mut Vec::new()).expect("encodes");

        let batches = RecordBatchDecoder::decode_batch_info(&mut buf.clone().freeze()).unwrap();
        assert_eq!(batches.len(), 1, "one batch per partition response");
        assert_eq!(batches[0].base_sequence, -1);

        let mut decoded = Vec::new();
        decode_batches(buf.freeze(), &mut decoded).expect("decodes");
        assert_eq!(decoded, original);
    }

    #[test]
    fn offsets_are_kept_from_the_log() {
        let mut log = PartitionLog::new();
        log.append_batch((0..5).map(|i| NewRecord::new(i, None, "x")));
        let mut out = Vec::new();
        log.fetch_into(3, 10, u64::MAX, &mut out).unwrap();
        let mut buf = BytesMut::new();
        encode_batch(&out, &mut buf, &mut Vec::new()).unwrap();
        let sets = RecordBatchDecoder::decode_all(&mut buf.freeze()).unwrap();
        let offsets: Vec<i64> = sets[0].records.iter().map(|r| r.offset).collect();
        assert_eq!(offsets, vec![3, 4]);
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        let mut out = Vec::new();
        assert!(decode_batches(Bytes::from_static(&[0u8; 7]), &mut out).is_err());
        let mut header = vec![0u8; 61];
        header[16] = 2;
        header[8..12].copy_from_slice(&1000i32.to_be_bytes());
        assert!(decode_batches(Bytes::from(header), &mut out).is_err());
        assert!(out.is_empty());
    }
}
