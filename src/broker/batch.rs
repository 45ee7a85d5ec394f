//! Kafka's record batch, format v2: the bytes a producer sends, the bytes a log keeps, and
//! the bytes a fetch hands back.
//!
//! A produced batch is checked once, when it arrives ([`ProducedBatch::split`]): magic 2,
//! the CRC32C over everything after the partition leader epoch, and lengths and record
//! counts that agree with the bytes. The log then gives it offsets by rewriting its base
//! offset in place, outside what the CRC covers, exactly as Kafka does. A compressed batch
//! is never decompressed to be stored or served; a reader that must look inside (the
//! screen's key shades, a ListOffsets by timestamp, the records API) decompresses it with
//! the output bounded before any memory is taken (see [`codec`]).

mod codec;
mod records;
mod writer;

use bytes::Bytes;
use thiserror::Error;

pub(crate) use records::{RawRecord, RecordIter, headers};
pub(crate) use writer::{BatchWriter, Value, put_header};

// Where each header field starts. The CRC covers everything from the attributes on.
const LENGTH: usize = 8;
const LEADER_EPOCH: usize = 12;
const MAGIC: usize = 16;
const CRC: usize = 17;
const ATTRIBUTES: usize = 21;
const LAST_OFFSET_DELTA: usize = 23;
const BASE_TIMESTAMP: usize = 27;
const MAX_TIMESTAMP: usize = 35;
const PRODUCER_ID: usize = 43;
const PRODUCER_EPOCH: usize = 51;
const BASE_SEQUENCE: usize = 53;
const RECORD_COUNT: usize = 57;
/// The whole header: records start here.
pub(crate) const HEADER_BYTES: usize = 61;
/// The base offset and the length field, which the length does not count.
const LENGTH_END: usize = 12;

const CONTROL_FLAG: i16 = 0x20;
const TRANSACTIONAL_FLAG: i16 = 0x10;

/// How a batch's records section is compressed: attribute bits 0 to 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Records as they are.
    None,
    /// gzip (one or more concatenated members).
    Gzip,
    /// Snappy, raw or in the xerial framing Java clients use.
    Snappy,
    /// An LZ4 frame.
    Lz4,
    /// A Zstandard frame.
    Zstd,
}

impl Compression {
    fn from_attributes(attributes: i16) -> Result<Self, BatchError> {
        Ok(match attributes & 0x07 {
            0 => Compression::None,
            1 => Compression::Gzip,
            2 => Compression::Snappy,
            3 => Compression::Lz4,
            4 => Compression::Zstd,
            other => return Err(corrupt(format!("unknown compression type {other}"))),
        })
    }

    /// The codec's name, as Kafka's `compression.type` spells it.
    pub fn name(self) -> &'static str {
        match self {
            Compression::None => "none",
            Compression::Gzip => "gzip",
            Compression::Snappy => "snappy",
            Compression::Lz4 => "lz4",
            Compression::Zstd => "zstd",
        }
    }
}

/// Why a batch was refused, or could not be looked into.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BatchError {
    /// The bytes are not a well-formed v2 batch: Kafka's CORRUPT_MESSAGE.
    #[error("corrupt record batch: {0}")]
    Corrupt(String),
    /// Looking inside would take more memory than the reader allowed.
    #[error("the batch decompresses to more than the {limit} bytes allowed")]
    TooLarge {
        /// The bound that was reached.
        limit: usize,
    },
}

pub(crate) fn corrupt(reason: impl std::fmt::Display) -> BatchError {
    BatchError::Corrupt(reason.to_string())
}

/// What a batch's header says, read once when it is checked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatchInfo {
    /// Records in the batch: its offsets are `base..base + records`.
    pub records: u32,
    /// How the records section is compressed; it stays so in the log.
    pub compression: Compression,
    /// A transaction marker rather than data.
    pub control: bool,
    /// Part of a transaction, for the transactions work to come.
    pub transactional: bool,
    /// The first record's timestamp (the header's base timestamp).
    pub first_timestamp: i64,
    /// The newest timestamp in the batch, which time-based retention compares.
    pub max_timestamp: i64,
    /// Kept for idempotence and transactions: who wrote the batch (−1 for a producer
    /// without an id)...
    pub producer_id: i64,
    /// ...in which of its epochs...
    pub producer_epoch: i16,
    /// ...and the sequence number of its first record.
    pub base_sequence: i32,
}

fn i16_at(b: &[u8], at: usize) -> i16 {
    i16::from_be_bytes([b[at], b[at + 1]])
}
fn i32_at(b: &[u8], at: usize) -> i32 {
    i32::from_be_bytes(b[at..at + 4].try_into().expect("four bytes"))
}
fn i64_at(b: &[u8], at: usize) -> i64 {
    i64::from_be_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

/// A batch as a producer sent it, checked and ready to append. Its bytes are its own (one
/// allocation of exactly its size), so the log can write its offsets into them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducedBatch {
    bytes: Vec<u8>,
    info: BatchInfo,
}

impl ProducedBatch {
    /// Splits one partition's produce data into checked batches, in order. Transaction
    /// markers are left out: only a broker writes those. Any bad batch refuses the whole
    /// data, so nothing of a partition's request is stored unless all of it is sound.
    pub fn split(mut data: &[u8]) -> Result<Vec<ProducedBatch>, BatchError> {
        let mut batches = Vec::new();
        while !data.is_empty() {
            let (batch, rest) = next_batch(data)?;
            let info = check(batch)?;
            if !info.control {
                batches.push(ProducedBatch {
                    bytes: batch.to_vec(),
                    info,
                });
            }
            data = rest;
        }
        Ok(batches)
    }

    /// What its header says.
    pub fn info(&self) -> &BatchInfo {
        &self.info
    }

    /// Its size in bytes, header included.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Never true for a checked batch; here for symmetry with [`ProducedBatch::len`].
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Stamps the batch with its place in a log and freezes it.
    pub(crate) fn seal(mut self, base_offset: i64, leader_epoch: i32) -> StoredBatch {
        self.bytes[..LENGTH].copy_from_slice(&base_offset.to_be_bytes());
        self.bytes[LEADER_EPOCH..MAGIC].copy_from_slice(&leader_epoch.to_be_bytes());
        StoredBatch {
            // An owner-backed `Bytes`: readers' clones only count references, from the first.
            bytes: Bytes::from_owner(self.bytes),
            base_offset,
            info: self.info,
        }
    }

    /// A batch the broker built itself (records appended through the library API), already
    /// known to be sound.
    pub(crate) fn built(bytes: Vec<u8>, info: BatchInfo) -> Self {
        ProducedBatch { bytes, info }
    }
}

/// The next whole batch in `data` by its length field, and what follows it.
fn next_batch(data: &[u8]) -> Result<(&[u8], &[u8]), BatchError> {
    if data.len() < HEADER_BYTES {
        return Err(corrupt(format!(
            "{} bytes are too few for a record batch",
            data.len()
        )));
    }
    match data[MAGIC] {
        2 => {}
        v @ (0 | 1) => return Err(corrupt(format!("message sets v{v} are unsupported"))),
        v => return Err(corrupt(format!("unknown record batch version {v}"))),
    }
    let len = i32_at(data, LENGTH);
    let total = usize::try_from(len)
        .ok()
        .map(|l| l + LENGTH_END)
        .filter(|t| *t >= HEADER_BYTES)
        .ok_or_else(|| corrupt(format!("batch length {len}")))?;
    if total > data.len() {
        return Err(corrupt(format!(
            "a batch of {total} bytes with {} left",
            data.len()
        )));
    }
    Ok(data.split_at(total))
}

/// Checks one whole batch and reads its header.
fn check(batch: &[u8]) -> Result<BatchInfo, BatchError> {
    let stored = i32_at(batch, CRC) as u32;
    let computed = crc32c::crc32c(&batch[ATTRIBUTES..]);
    if stored != computed {
        return Err(corrupt(format!(
            "CRC {stored:#010x} does not match the bytes ({computed:#010x})"
        )));
    }
    let attributes = i16_at(batch, ATTRIBUTES);
    let compression = Compression::from_attributes(attributes)?;
    let count = i32_at(batch, RECORD_COUNT);
    let last_delta = i32_at(batch, LAST_OFFSET_DELTA);
    let records = u32::try_from(count)
        .ok()
        .filter(|c| *c > 0 && i64::from(last_delta) == i64::from(*c) - 1)
        .ok_or_else(|| {
            corrupt(format!(
                "{count} records with a last offset delta of {last_delta}"
            ))
        })?;
    let mut info = BatchInfo {
        records,
        compression,
        control: attributes & CONTROL_FLAG != 0,
        transactional: attributes & TRANSACTIONAL_FLAG != 0,
        first_timestamp: i64_at(batch, BASE_TIMESTAMP),
        max_timestamp: i64_at(batch, MAX_TIMESTAMP),
        producer_id: i64_at(batch, PRODUCER_ID),
        producer_epoch: i16_at(batch, PRODUCER_EPOCH),
        base_sequence: i32_at(batch, BASE_SEQUENCE),
    };
    let body = &batch[HEADER_BYTES..];
    if compression == Compression::None {
        info.max_timestamp = records::check_all(body, records, info.first_timestamp)?;
    } else if body.is_empty() {
        return Err(corrupt("a compressed batch with no data"));
    }
    Ok(info)
}

/// A batch in a log: the producer's bytes with the offsets the log gave them.
#[derive(Debug, Clone)]
pub(crate) struct StoredBatch {
    bytes: Bytes,
    base_offset: i64,
    info: BatchInfo,
}

impl StoredBatch {
    pub(crate) fn base_offset(&self) -> i64 {
        self.base_offset
    }
    /// One past its last offset.
    pub(crate) fn end_offset(&self) -> i64 {
        self.base_offset + i64::from(self.info.records)
    }
    pub(crate) fn info(&self) -> &BatchInfo {
        &self.info
    }
    /// The whole batch, as a fetch sends it.
    pub(crate) fn bytes(&self) -> &Bytes {
        &self.bytes
    }

    /// The records section, decompressed when it must be, within `limit` bytes.
    pub(crate) fn body(&self, limit: usize) -> Result<Bytes, BatchError> {
        let raw = &self.bytes[HEADER_BYTES..];
        match self.info.compression {
            Compression::None => Ok(self.bytes.slice(HEADER_BYTES..)),
            c => codec::decompress(c, raw, limit).map(Bytes::from),
        }
    }

    /// The same batch cut to its first `keep` records, for a log truncated inside it: the
    /// header (producer id, epoch and base sequence included) with the counts, newest
    /// timestamp and CRC made to agree, and the kept records uncompressed. A compressed
    /// batch is decompressed within `limit` bytes, else the error comes back and the
    /// caller must drop it whole.
    pub(crate) fn prefix(&self, keep: u32, limit: usize) -> Result<StoredBatch, BatchError> {
        debug_assert!(keep > 0 && keep < self.info.records);
        let body = self.body(limit)?;
        let mut max_timestamp = self.info.first_timestamp;
        let mut records = self.records(&body);
        for _ in 0..keep {
            let r = records
                .next()
                .ok_or_else(|| corrupt("fewer records than the header says"))??;
            max_timestamp = max_timestamp.max(r.timestamp);
        }
        let kept = body.len() - records.rest().len();
        let mut bytes = Vec::with_capacity(HEADER_BYTES + kept);
        bytes.extend_from_slice(&self.bytes[..HEADER_BYTES]);
        bytes.extend_from_slice(&body[..kept]);
        let length = (bytes.len() - LENGTH_END) as i32;
        bytes[LENGTH..LEADER_EPOCH].copy_from_slice(&length.to_be_bytes());
        let attributes = i16_at(&bytes, ATTRIBUTES) & !0x07;
        bytes[ATTRIBUTES..LAST_OFFSET_DELTA].copy_from_slice(&attributes.to_be_bytes());
        let last = keep as i32 - 1;
        bytes[LAST_OFFSET_DELTA..BASE_TIMESTAMP].copy_from_slice(&last.to_be_bytes());
        bytes[MAX_TIMESTAMP..PRODUCER_ID].copy_from_slice(&max_timestamp.to_be_bytes());
        bytes[RECORD_COUNT..HEADER_BYTES].copy_from_slice(&(keep as i32).to_be_bytes());
        let crc = crc32c::crc32c(&bytes[ATTRIBUTES..]);
        bytes[CRC..ATTRIBUTES].copy_from_slice(&crc.to_be_bytes());
        let info = BatchInfo {
            records: keep,
            compression: Compression::None,
            max_timestamp,
            ..self.info
        };
        Ok(StoredBatch {
            bytes: Bytes::from_owner(bytes),
            base_offset: self.base_offset,
            info,
        })
    }

    /// The records, read from `body` (see [`StoredBatch::body`]).
    pub(crate) fn records<'b>(&self, body: &'b [u8]) -> RecordIter<'b> {
        RecordIter::new(body, self.info.records, self.info.first_timestamp)
    }
}

#[cfg(test)]
mod tests;
