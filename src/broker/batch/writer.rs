//! Builds an uncompressed v2 batch record by record: for records appended through the
//! library API, and for simulated records a network client fetches.

use super::{
    ATTRIBUTES, BASE_SEQUENCE, BASE_TIMESTAMP, BatchInfo, CRC, Compression, HEADER_BYTES,
    LAST_OFFSET_DELTA, LENGTH, LENGTH_END, MAGIC, MAX_TIMESTAMP, PRODUCER_EPOCH, PRODUCER_ID,
    RECORD_COUNT,
};

/// What a record's value is made of: bytes, or that many zeros (a simulated payload).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    Null,
    Bytes(&'a [u8]),
    Zeros(usize),
}

impl Value<'_> {
    fn len(self) -> Option<usize> {
        match self {
            Value::Null => None,
            Value::Bytes(b) => Some(b.len()),
            Value::Zeros(n) => Some(n),
        }
    }
}

/// One batch being written into a caller's buffer, after whatever it already holds.
#[derive(Debug)]
pub(crate) struct BatchWriter<'o> {
    out: &'o mut Vec<u8>,
    start: usize,
    base_timestamp: i64,
    max_timestamp: i64,
    count: u32,
}

impl<'o> BatchWriter<'o> {
    /// Starts a batch whose first offset is `base_offset` and whose records' timestamps are
    /// counted from `base_timestamp` (the first record's).
    pub(crate) fn new(out: &'o mut Vec<u8>, base_offset: i64, base_timestamp: i64) -> Self {
        let start = out.len();
        out.resize(start + HEADER_BYTES, 0);
        out[start..start + LENGTH].copy_from_slice(&base_offset.to_be_bytes());
        BatchWriter {
            out,
            start,
            base_timestamp,
            max_timestamp: base_timestamp,
            count: 0,
        }
    }

    /// Records written so far.
    pub(crate) fn count(&self) -> u32 {
        self.count
    }

    /// Bytes the batch takes so far, header included.
    pub(crate) fn len(&self) -> usize {
        self.out.len() - self.start
    }

    /// Appends a record with no headers.
    pub(crate) fn push(&mut self, timestamp: i64, key: Option<&[u8]>, value: Value<'_>) {
        self.push_with_headers(timestamp, key, value, 0, &[]);
    }

    /// Appends a record; `headers` are `header_count` headers already encoded.
    pub(crate) fn push_with_headers(
        &mut self,
        timestamp: i64,
        key: Option<&[u8]>,
        value: Value<'_>,
        header_count: usize,
        headers: &[u8],
    ) {
        let ts_delta = timestamp.wrapping_sub(self.base_timestamp);
        let offset_delta = self.count as i32;
        let key_len = key.map(<[u8]>::len);
        let value_len = value.len();
        let body = 1
            + varlong_len(ts_delta)
            + varint_len(i64::from(offset_delta))
            + bytes_len(key_len)
            + bytes_len(value_len)
            + varint_len(header_count as i64)
            + headers.len();
        let out = &mut *self.out;
        put_varint(out, body as i64);
        out.push(0);
        put_varint(out, ts_delta);
        put_varint(out, i64::from(offset_delta));
        put_nullable(out, key);
        match value {
            Value::Null => put_varint(out, -1),
            Value::Bytes(b) => put_nullable(out, Some(b)),
            Value::Zeros(n) => {
                put_varint(out, n as i64);
                out.resize(out.len() + n, 0);
            }
        }
        put_varint(out, header_count as i64);
        out.extend_from_slice(headers);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        self.count += 1;
    }

    /// Removes the records written after `len` bytes and `count` records (a record that
    /// did not fit).
    pub(crate) fn truncate(&mut self, len: usize, count: u32) {
        self.out.truncate(self.start + len);
        self.count = count;
    }

    /// Fills in the header (a batch of no idempotent producer) and returns what it says.
    /// A batch with no records is removed again, and `None` returned.
    pub(crate) fn finish(self) -> Option<BatchInfo> {
        if self.count == 0 {
            self.out.truncate(self.start);
            return None;
        }
        let b = &mut self.out[self.start..];
        let length = (b.len() - LENGTH_END) as i32;
        b[LENGTH..LENGTH + 4].copy_from_slice(&length.to_be_bytes());
        // Leader epoch −1: clients skip epoch checks for it.
        b[LENGTH + 4..MAGIC].copy_from_slice(&(-1i32).to_be_bytes());
        b[MAGIC] = 2;
        b[ATTRIBUTES..ATTRIBUTES + 2].copy_from_slice(&0i16.to_be_bytes());
        let last = self.count as i32 - 1;
        b[LAST_OFFSET_DELTA..LAST_OFFSET_DELTA + 4].copy_from_slice(&last.to_be_bytes());
        b[BASE_TIMESTAMP..BASE_TIMESTAMP + 8].copy_from_slice(&self.base_timestamp.to_be_bytes());
        b[MAX_TIMESTAMP..MAX_TIMESTAMP + 8].copy_from_slice(&self.max_timestamp.to_be_bytes());
        b[PRODUCER_ID..PRODUCER_ID + 8].copy_from_slice(&(-1i64).to_be_bytes());
        b[PRODUCER_EPOCH..PRODUCER_EPOCH + 2].copy_from_slice(&(-1i16).to_be_bytes());
        b[BASE_SEQUENCE..BASE_SEQUENCE + 4].copy_from_slice(&(-1i32).to_be_bytes());
        b[RECORD_COUNT..RECORD_COUNT + 4].copy_from_slice(&(self.count as i32).to_be_bytes());
        let crc = crc32c::crc32c(&b[ATTRIBUTES..]);
        b[CRC..CRC + 4].copy_from_slice(&crc.to_be_bytes());
        Some(BatchInfo {
            records: self.count,
            compression: Compression::None,
            control: false,
            transactional: false,
            first_timestamp: self.base_timestamp,
            max_timestamp: self.max_timestamp,
            producer_id: -1,
            producer_epoch: -1,
            base_sequence: -1,
        })
    }
}

/// Appends an encoded header: its key, then its value (`None` is null).
pub(crate) fn put_header(out: &mut Vec<u8>, key: &[u8], value: Option<&[u8]>) {
    put_nullable(out, Some(key));
    put_nullable(out, value);
}

fn put_nullable(out: &mut Vec<u8>, b: Option<&[u8]>) {
    match b {
        None => put_varint(out, -1),
        Some(b) => {
            put_varint(out, b.len() as i64);
            out.extend_from_slice(b);
        }
    }
}

fn bytes_len(len: Option<usize>) -> usize {
    match len {
        None => 1,
        Some(n) => varint_len(n as i64) + n,
    }
}

/// A zigzag varint (or varlong: the encoding is the same).
fn put_varint(out: &mut Vec<u8>, v: i64) {
    let mut z = ((v << 1) ^ (v >> 63)) as u64;
    while z >= 0x80 {
        out.push((z as u8) | 0x80);
        z >>= 7;
    }
    out.push(z as u8);
}

fn varint_len(v: i64) -> usize {
    let z = ((v << 1) ^ (v >> 63)) as u64;
    (64 - (z | 1).leading_zeros() as usize).div_ceil(7)
}

fn varlong_len(v: i64) -> usize {
    varint_len(v)
}
