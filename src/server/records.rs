//! Record batches on the wire <-> the broker's records.
//!
//! Produced batches are decoded here, not by kafka-protocol's record decoder, because a
//! client's bytes must not decide how much memory the server takes: a few megabytes of
//! gzip inflate to gigabytes, a snappy header can claim 4 GiB, and even uncompressed
//! records can expand thirtyfold into decoded structs and header maps. kafka-protocol
//! checks each batch's header and CRC; this module decompresses gzip and snappy with the
//! output bounded before it is allocated, then decodes each record straight into a
//! [`NewRecord`], charging what it builds to the request's [`DecodeBudget`]. Keys, values
//! and header values stay `Bytes` slices of the request (or of the decompressed batch), so
//! nothing is copied. Fetched records are re-encoded as one batch per partition response.

use std::io::Read;

use bytes::{Buf, Bytes, BytesMut};
use kafka_protocol::protocol::StrBytes;
use kafka_protocol::records::{
    BatchDecodeInfo, Compression, NO_PRODUCER_EPOCH, NO_PRODUCER_ID, Record as WireRecord,
    RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use thiserror::Error;

use kafka_protocol::ResponseError;

use crate::broker::{Header, NewRecord, Record};

/// A v2 batch header, from the base offset through the record count.
const BATCH_HEADER_BYTES: usize = 61;
/// The base offset and the batch length that follows it.
const LENGTH_END: usize = 12;
const MAGIC_OFFSET: usize = 16;
/// The smallest record: its length, attributes, timestamp and offset deltas, null key,
/// null value and header count, one byte each.
const MIN_RECORD_BYTES: usize = 7;
/// The smallest header: an empty key and a null value.
const MIN_HEADER_BYTES: usize = 2;
/// What one decoded record costs besides its header keys: the struct itself.
const RECORD_COST: usize = std::mem::size_of::<NewRecord>();
const HEADER_COST: usize = std::mem::size_of::<Header>();
/// Snappy's densest element, a 3-byte copy, yields 64 bytes: no valid block claims more
/// than about 21 times its size. A claim beyond this is refused before any memory is zeroed.
const SNAPPY_MAX_EXPANSION: usize = 32;
/// The xerial framing Java clients put around snappy blocks.
const XERIAL_MAGIC: &[u8; 16] = b"\x82SNAPPY\x00\x00\x00\x00\x01\x00\x00\x00\x01";

/// Why a partition's batches were refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub(crate) enum BatchError {
    #[error("cannot decode the record batch: {0}")]
    Corrupt(String),
    #[error("the request's batches decode to more than the {limit} bytes allowed per request")]
    TooLarge { limit: usize },
    #[error("{0} compression is not supported; send none, gzip or snappy")]
    Unsupported(&'static str),
}

impl BatchError {
    /// The error code a producer expects for this refusal.
    pub(crate) fn kafka_code(&self) -> i16 {
        match self {
            BatchError::Corrupt(_) => ResponseError::CorruptMessage.code(),
            BatchError::TooLarge { .. } => ResponseError::MessageTooLarge.code(),
            BatchError::Unsupported(_) => ResponseError::UnsupportedCompressionType.code(),
        }
    }
}

fn corrupt(reason: impl std::fmt::Display) -> BatchError {
    BatchError::Corrupt(reason.to_string())
}

/// How much memory one request's batches may still decode into: decompressed bytes plus
/// the records and header keys built from them. Shared by every partition of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DecodeBudget {
    left: usize,
    limit: usize,
}

impl DecodeBudget {
    pub(crate) fn new(limit: usize) -> Self {
        DecodeBudget { left: limit, limit }
    }

    /// Takes `bytes` from the budget, or refuses before they are allocated.
    fn charge(&mut self, bytes: usize) -> Result<(), BatchError> {
        if bytes > self.left {
            return Err(BatchError::TooLarge { limit: self.limit });
        }
        self.left -= bytes;
        Ok(())
    }
}

/// Decodes every batch in `data` into `out`, skipping control batches (transaction markers).
/// On an error `out` may hold the records decoded before it; the caller discards them.
pub(crate) fn decode_batches(
    mut data: Bytes,
    out: &mut Vec<NewRecord>,
    budget: &mut DecodeBudget,
) -> Result<(), BatchError> {
    while !data.is_empty() {
        let batch = split_batch(&mut data)?;
        decode_batch(batch, out, budget)?;
    }
    Ok(())
}

/// The next whole batch, by its length field, with its format version checked.
fn split_batch(data: &mut Bytes) -> Result<Bytes, BatchError> {
    if data.len() <= MAGIC_OFFSET {
        return Err(corrupt(format!(
            "{} bytes are too few for a record batch",
            data.len()
        )));
    }
    match data[MAGIC_OFFSET] {
        2 => {}
        v @ (0 | 1) => return Err(corrupt(format!("message sets v{v} are unsupported"))),
        v => return Err(corrupt(format!("unknown record batch version {v}"))),
    }
    let len = i32::from_be_bytes([data[8], data[9], data[10], data[11]]);
    let len = usize::try_from(len).map_err(|_| corrupt(format!("negative batch size {len}")))?;
    let total = LENGTH_END + len;
    if total > data.len() {
        return Err(corrupt(format!(
            "a batch of {total} bytes with {} left",
            data.len()
        )));
    }
    Ok(data.split_to(total))
}

fn decode_batch(
    batch: Bytes,
    out: &mut Vec<NewRecord>,
    budget: &mut DecodeBudget,
) -> Result<(), BatchError> {
    // Checks the CRC, the attributes and the header fields; the records are left to us.
    let infos = RecordBatchDecoder::decode_batch_info(&mut batch.clone()).map_err(corrupt)?;
    let Some(info) = infos.first() else {
        return Err(corrupt("no batch header"));
    };
    if info.control {
        return Ok(());
    }
    let records = batch.slice(BATCH_HEADER_BYTES..);
    let records = match info.compression {
        Compression::None => records,
        Compression::Gzip => gunzip(&records, budget)?,
        Compression::Snappy => unsnappy(&records, budget)?,
        Compression::Lz4 => return Err(BatchError::Unsupported("lz4")),
        Compression::Zstd => return Err(BatchError::Unsupported("zstd")),
    };
    decode_records(records, info, out, budget)
}

/// Inflates gzip (concatenated members too, as Java's reader does), reading no more than
/// the budget allows plus one byte to tell an exact fit from an overflow.
fn gunzip(compressed: &[u8], budget: &mut DecodeBudget) -> Result<Bytes, BatchError> {
    let limit = budget.left;
    let mut out = Vec::with_capacity(compressed.len().saturating_mul(4).min(limit));
    flate2::read::MultiGzDecoder::new(compressed)
        .take((limit as u64).saturating_add(1))
        .read_to_end(&mut out)
        .map_err(|e| corrupt(format!("gzip: {e}")))?;
    budget.charge(out.len())?;
    Ok(Bytes::from(out))
}

/// Decompresses snappy, framed by xerial (Java clients) or raw, checking each block's
/// claimed length against the budget before making room for it.
fn unsnappy(compressed: &[u8], budget: &mut DecodeBudget) -> Result<Bytes, BatchError> {
    let mut out = Vec::new();
    let Some(mut framed) = compressed.strip_prefix(XERIAL_MAGIC) else {
        snappy_block(compressed, &mut out, budget)?;
        return Ok(Bytes::from(out));
    };
    while !framed.is_empty() {
        let Some((len, rest)) = framed.split_first_chunk::<4>() else {
            return Err(corrupt("snappy: a truncated block length"));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if len > rest.len() {
            return Err(corrupt("snappy: a block longer than the batch"));
        }
        let (block, rest) = rest.split_at(len);
        snappy_block(block, &mut out, budget)?;
        framed = rest;
    }
    Ok(Bytes::from(out))
}

fn snappy_block(
    block: &[u8],
    out: &mut Vec<u8>,
    budget: &mut DecodeBudget,
) -> Result<(), BatchError> {
    let len = snap::raw::decompress_len(block).map_err(|e| corrupt(format!("snappy: {e}")))?;
    if len > block.len().saturating_mul(SNAPPY_MAX_EXPANSION) {
        return Err(corrupt(format!(
            "snappy: a {}-byte block cannot hold {len} bytes",
            block.len()
        )));
    }
    budget.charge(len)?;
    let start = out.len();
    out.resize(start + len, 0);
    snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(|e| corrupt(format!("snappy: {e}")))?;
    Ok(())
}

fn decode_records(
    mut buf: Bytes,
    info: &BatchDecodeInfo,
    out: &mut Vec<NewRecord>,
    budget: &mut DecodeBudget,
) -> Result<(), BatchError> {
    let count = usize::try_from(info.record_count).unwrap_or(0);
    // Room for what the bytes and the budget can hold, not for what the count claims.
    out.reserve(
        count
            .min(buf.len() / MIN_RECORD_BYTES)
            .min(budget.left / RECORD_COST),
    );
    for _ in 0..count {
        budget.charge(RECORD_COST)?;
        out.push(decode_record(&mut buf, info.min_timestamp, budget)?);
    }
    Ok(())
}

/// One record, in the v2 layout: length, attributes, timestamp delta, offset delta, key,
/// value, headers. The offset is the log's to assign, so its delta is read and dropped.
fn decode_record(
    buf: &mut Bytes,
    base_timestamp: i64,
    budget: &mut DecodeBudget,
) -> Result<NewRecord, BatchError> {
    let len = varint(buf)?;
    let len = usize::try_from(len).map_err(|_| corrupt(format!("record length {len}")))?;
    let mut r = take(buf, len)?;
    take(&mut r, 1)?;
    let timestamp_delta = varlong(&mut r)?;
    varint(&mut r)?;
    let key = nullable_bytes(&mut r)?;
    let value = nullable_bytes(&mut r)?;
    let count = varint(&mut r)?;
    let count = usize::try_from(count).map_err(|_| corrupt(format!("header count {count}")))?;
    let room = count.min(r.len() / MIN_HEADER_BYTES);
    budget.charge(room * HEADER_COST)?;
    let mut headers = Vec::with_capacity(room);
    for _ in 0..count {
        let key_len = varint(&mut r)?;
        let key_len = usize::try_from(key_len)
            .map_err(|_| corrupt(format!("header key length {key_len}")))?;
        let key = take(&mut r, key_len)?;
        let key = std::str::from_utf8(&key).map_err(|_| corrupt("a header key is not UTF-8"))?;
        budget.charge(key.len())?;
        headers.push(Header {
            key: key.to_owned(),
            value: nullable_bytes(&mut r)?,
        });
    }
    Ok(NewRecord {
        timestamp_ms: base_timestamp.wrapping_add(timestamp_delta),
        key,
        value,
        headers,
    })
}

fn take(buf: &mut Bytes, len: usize) -> Result<Bytes, BatchError> {
    if len > buf.len() {
        return Err(corrupt(format!(
            "a field of {len} bytes with {} left",
            buf.len()
        )));
    }
    Ok(buf.split_to(len))
}

/// A length-prefixed byte string where length -1 means null.
fn nullable_bytes(buf: &mut Bytes) -> Result<Option<Bytes>, BatchError> {
    match varint(buf)? {
        -1 => Ok(None),
        len => {
            let len = usize::try_from(len).map_err(|_| corrupt(format!("length {len}")))?;
            take(buf, len).map(Some)
        }
    }
}

/// A zigzag varint of at most 5 bytes, as Kafka's `ByteUtils.readVarint`.
fn varint(buf: &mut Bytes) -> Result<i32, BatchError> {
    let raw = unsigned_varint(buf, 5)?;
    let raw = raw as u32;
    Ok((raw >> 1) as i32 ^ -((raw & 1) as i32))
}

/// A zigzag varlong of at most 10 bytes, as Kafka's `ByteUtils.readVarlong`.
fn varlong(buf: &mut Bytes) -> Result<i64, BatchError> {
    let raw = unsigned_varint(buf, 10)?;
    Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
}

fn unsigned_varint(buf: &mut Bytes, max_bytes: u32) -> Result<u64, BatchError> {
    let mut value = 0u64;
    for i in 0..max_bytes {
        if !buf.has_remaining() {
            return Err(corrupt("a truncated varint"));
        }
        let b = buf.get_u8();
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            return Ok(value);
        }
    }
    Err(corrupt("a varint longer than its type"))
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

    fn unbounded() -> DecodeBudget {
        DecodeBudget::new(usize::MAX)
    }

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
        decode_batches(buf.freeze(), &mut decoded, &mut unbounded()).expect("decodes");
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
        assert!(decode_batches(Bytes::from_static(&[0u8; 7]), &mut out, &mut unbounded()).is_err());
        let mut header = vec![0u8; 61];
        header[16] = 2;
        header[8..12].copy_from_slice(&1000i32.to_be_bytes());
        assert!(decode_batches(Bytes::from(header), &mut out, &mut unbounded()).is_err());
        assert!(out.is_empty());
    }

    fn wire_record(i: usize, headers: &[(&str, Option<&'static [u8]>)]) -> WireRecord {
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
            headers: headers
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

    fn encoded(records: &[WireRecord], compression: Compression) -> Bytes {
        let mut buf = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression,
        };
        RecordBatchEncoder::encode(&mut buf, records.iter(), &options).unwrap();
        buf.freeze()
    }

    /// A batch whose attributes name `compression` and whose records section is `body`.
    fn batch_with_body(compression: Compression, body: &'static [u8]) -> Bytes {
        let mut buf = BytesMut::new();
        let options = RecordEncodeOptions {
            version: 2,
            compression,
        };
        RecordBatchEncoder::encode_with_custom_compression(
            &mut buf,
            [wire_record(1, &[])].iter(),
            &options,
            Some(|_: &mut BytesMut, out: &mut BytesMut, _| {
                out.extend_from_slice(body);
                Ok(())
            }),
        )
        .unwrap();
        buf.freeze()
    }

    fn decode(data: Bytes, limit: usize) -> Result<Vec<NewRecord>, BatchError> {
        let mut out = Vec::new();
        decode_batches(data, &mut out, &mut DecodeBudget::new(limit)).map(|()| out)
    }

    /// What kafka-protocol's own decoder makes of the same bytes, as broker records.
    fn reference(mut data: Bytes) -> Vec<NewRecord> {
        RecordBatchDecoder::decode_all(&mut data)
            .unwrap()
            .into_iter()
            .flat_map(|set| set.records)
            .map(|r| NewRecord {
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
            })
            .collect()
    }

    #[test]
    fn every_codec_decodes_as_kafka_protocol_does() {
        let headers: &[(&str, Option<&'static [u8]>)] =
            &[("trace", Some(b"abc")), ("empty", None), ("", Some(b""))];
        let records: Vec<WireRecord> = (0..300).map(|i| wire_record(i, headers)).collect();
        for compression in [Compression::None, Compression::Gzip, Compression::Snappy] {
            let mut data = BytesMut::new();
            data.extend_from_slice(&encoded(&records[..100], compression));
            data.extend_from_slice(&encoded(&records[100..], compression));
            let data = data.freeze();
            let ours = decode(data.clone(), usize::MAX).expect("decodes");
            assert_eq!(ours.len(), 300);
            assert_eq!(ours, reference(data), "{compression:?}");
        }
        // Raw snappy without xerial's framing, under a header made for record 1.
        let plain = encoded(&records[1..2], Compression::None);
        let raw = snap::raw::Encoder::new()
            .compress_vec(&plain[BATCH_HEADER_BYTES..])
            .unwrap();
        let raw = batch_with_body(Compression::Snappy, raw.leak());
        assert_eq!(decode(raw, usize::MAX), Ok(reference(plain)));
    }

    #[test]
    fn decompression_stops_at_the_budget() {
        let mut zeros = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        std::io::Write::write_all(&mut zeros, &vec![0u8; 4 << 20]).unwrap();
        let gzip = batch_with_body(Compression::Gzip, zeros.finish().unwrap().leak());
        assert_eq!(
            decode(gzip.clone(), 1 << 20),
            Err(BatchError::TooLarge { limit: 1 << 20 })
        );
        // Zeros within the budget are no records: corrupt, but only after inflating.
        assert!(matches!(decode(gzip, 5 << 20), Err(BatchError::Corrupt(_))));

        // A raw snappy header claiming 4 GiB in a few bytes is refused before any memory.
        let claim: &[u8] = &[0xff, 0xff, 0xff, 0xff, 0x0f, 0x00, 0x01, 0x02];
        let err = decode(batch_with_body(Compression::Snappy, claim), usize::MAX).unwrap_err();
        assert!(
            matches!(err, BatchError::Corrupt(ref m) if m.contains("cannot hold")),
            "{err}"
        );
        // A claim snappy could reach, but past the budget.
        let block = snap::raw::Encoder::new()
            .compress_vec(&[7u8; 1 << 16])
            .unwrap();
        let mut framed = XERIAL_MAGIC.to_vec();
        framed.extend_from_slice(&(block.len() as u32).to_be_bytes());
        framed.extend_from_slice(&block);
        let framed = batch_with_body(Compression::Snappy, framed.leak());
        assert_eq!(
            decode(framed, 1 << 15),
            Err(BatchError::TooLarge { limit: 1 << 15 })
        );
    }

    #[test]
    fn decoded_records_count_against_the_budget_too() {
        let many: Vec<WireRecord> = (0..1000).map(|i| wire_record(i, &[("h", None)])).collect();
        let data = encoded(&many, Compression::None);
        let needed = 1000 * (RECORD_COST + HEADER_COST + 1);
        assert_eq!(decode(data.clone(), needed).map(|r| r.len()), Ok(1000));
        assert_eq!(
            decode(data, needed - 1),
            Err(BatchError::TooLarge { limit: needed - 1 })
        );
    }

    #[test]
    fn lz4_and_zstd_are_refused_as_unsupported() {
        for (compression, name) in [(Compression::Lz4, "lz4"), (Compression::Zstd, "zstd")] {
            let err = decode(
                batch_with_body(compression, b"\x04\x22\x4d\x18"),
                usize::MAX,
            );
            assert_eq!(err, Err(BatchError::Unsupported(name)));
            assert_eq!(err.unwrap_err().kafka_code(), 76);
        }
        assert_eq!(BatchError::TooLarge { limit: 1 }.kafka_code(), 10);
        assert_eq!(BatchError::Corrupt(String::new()).kafka_code(), 2);
    }
}
