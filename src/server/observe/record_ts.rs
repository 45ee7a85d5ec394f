//! The timestamp of the record at one offset, read from the bytes of a Fetch answer without
//! decoding the batches: a walk over batch headers, then over the records of the one batch
//! that holds the offset. Nothing is decompressed, so a small answer cannot expand into a
//! large allocation.

/// Fixed bytes before a v2 batch's first record.
const BATCH_HEADER: usize = 61;
const COMPRESSION_MASK: i16 = 0x07;
const LOG_APPEND_TIME: i16 = 0x08;

/// The timestamp of the record at `offset`, or of the first record after it when that one
/// is gone (compacted, or a transaction marker). For a compressed batch it is the batch's
/// first timestamp: the records of a batch are produced within the producer's linger time.
/// `None` when the bytes hold neither, or only the legacy (v0/v1) format.
pub fn timestamp_at(records: &[u8], offset: i64) -> Option<i64> {
    let mut pos = 0usize;
    while pos + BATCH_HEADER <= records.len() {
        let header = &records[pos..pos + BATCH_HEADER];
        let base = i64_at(header, 0)?;
        let batch_len = usize::try_from(i32_at(header, 8)?).ok()?;
        let end = pos.checked_add(12)?.checked_add(batch_len)?;
        if header[16] != 2 {
            return None;
        }
        let attributes = i16::from_be_bytes([header[21], header[22]]);
        let last = base.checked_add(i64::from(i32_at(header, 23)?))?;
        let (first_ts, max_ts) = (i64_at(header, 27)?, i64_at(header, 35)?);
        if last < offset {
            pos = end;
            continue;
        }
        if attributes & LOG_APPEND_TIME != 0 {
            return Some(max_ts);
        }
        if offset <= base || attributes & COMPRESSION_MASK != 0 {
            return Some(first_ts);
        }
        // A batch length shorter than its own header is malformed: nothing to read.
        let body = records.get(pos + BATCH_HEADER..end.min(records.len()))?;
        return record_timestamp(body, first_ts, offset - base);
    }
    None
}

/// Walks uncompressed records to the one with `delta` (or the first past it).
fn record_timestamp(mut body: &[u8], first_ts: i64, delta: i64) -> Option<i64> {
    while !body.is_empty() {
        let (len, n) = varint(body)?;
        let len = usize::try_from(len).ok()?;
        let record = body.get(n..n.checked_add(len)?)?;
        let fields = record.get(1..)?; // attributes
        let (ts_delta, m) = varint(fields)?;
        let (offset_delta, _) = varint(&fields[m..])?;
        if offset_delta >= delta {
            return first_ts.checked_add(ts_delta);
        }
        body = &body[n + len..];
    }
    None
}

/// A zig-zag varint (Kafka's varint and varlong), and how many bytes it took.
fn varint(buf: &[u8]) -> Option<(i64, usize)> {
    let mut raw: u64 = 0;
    for (i, &b) in buf.iter().enumerate().take(10) {
        raw |= u64::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Some((((raw >> 1) as i64) ^ -((raw & 1) as i64), i + 1));
        }
    }
    None
}

fn i64_at(b: &[u8], at: usize) -> Option<i64> {
    Some(i64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

fn i32_at(b: &[u8], at: usize) -> Option<i32> {
    Some(i32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::records::{
        Compression, Record, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
    };

    fn batch(base: i64, timestamps: &[i64], compression: Compression) -> BytesMut {
        let records: Vec<Record> = timestamps
            .iter()
            .enumerate()
            .map(|(i, &ts)| Record {
                transactional: false,
                control: false,
                delete_horizon: false,
                partition_leader_epoch: -1,
                producer_id: -1,
                producer_epoch: -1,
                timestamp_type: TimestampType::Creation,
                offset: base + i as i64,
                // Offset minus sequence constant: one batch, as a producer sends it.
                sequence: i as i32,
                timestamp: ts,
                key: Some(Bytes::from_static(b"key")),
                value: Some(Bytes::from(vec![7u8; 300])),
                headers: Default::default(),
            })
            .collect();
        let mut buf = BytesMut::new();
        RecordBatchEncoder::encode(
            &mut buf,
            records.iter(),
            &RecordEncodeOptions {
                version: 2,
                compression,
            },
        )
        .unwrap();
        buf
    }

    #[test]
    fn finds_the_record_in_the_batch_that_holds_it() {
        let mut bytes = batch(10, &[1_000, 1_500, 2_500], Compression::None);
        bytes.extend_from_slice(&batch(13, &[3_000, 4_000], Compression::None));
        assert_eq!(timestamp_at(&bytes, 10), Some(1_000));
        assert_eq!(timestamp_at(&bytes, 12), Some(2_500));
        assert_eq!(timestamp_at(&bytes, 14), Some(4_000));
        assert_eq!(timestamp_at(&bytes, 15), None, "past the last record");
        // Gone by compaction: the next record's time.
        assert_eq!(timestamp_at(&bytes, 5), Some(1_000));
    }

    #[test]
    fn compressed_batches_give_their_first_timestamp() {
        let bytes = batch(0, &[1_000, 1_004, 1_009], Compression::Gzip);
        assert_eq!(timestamp_at(&bytes, 0), Some(1_000));
        assert_eq!(timestamp_at(&bytes, 2), Some(1_000));
    }

    #[test]
    fn a_cut_answer_still_gives_what_it_holds() {
        let bytes = batch(0, &[1_000, 2_000, 3_000], Compression::None);
        // Kafka may cut a partition's answer mid-batch at its byte limit.
        let cut = &bytes[..BATCH_HEADER + 20];
        assert_eq!(timestamp_at(cut, 0), Some(1_000));
        assert_eq!(timestamp_at(cut, 2), None);
        assert_eq!(timestamp_at(&bytes[..30], 0), None);
        assert_eq!(timestamp_at(&[], 0), None);
        // A batch length that ends inside the header.
        let mut short = bytes.to_vec();
        short[8..12].copy_from_slice(&40i32.to_be_bytes());
        assert_eq!(timestamp_at(&short, 1), None);
    }

    #[test]
    fn varints_are_zig_zag() {
        assert_eq!(varint(&[0x00]), Some((0, 1)));
        assert_eq!(varint(&[0x01]), Some((-1, 1)));
        assert_eq!(varint(&[0x02]), Some((1, 1)));
        assert_eq!(varint(&[0xac, 0x02]), Some((150, 2)));
        assert_eq!(varint(&[0xff; 11]), None);
    }
}
