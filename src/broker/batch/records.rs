//! Records inside a batch's (decompressed) records section: length, attributes, timestamp
//! delta, offset delta, key, value, headers, each record in turn.
//!
//! Reading borrows the section: keys, values and headers are slices of it, so nothing is
//! allocated per record.

use super::{BatchError, corrupt};

/// One record, its payload borrowed from the records section.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawRecord<'b> {
    pub(crate) offset_delta: i32,
    pub(crate) timestamp: i64,
    pub(crate) key: Option<&'b [u8]>,
    pub(crate) value: Option<&'b [u8]>,
    /// The headers, still encoded; `header_count` of them.
    pub(crate) headers: &'b [u8],
    pub(crate) header_count: usize,
}

/// The records of a section, in order. Stops at the first malformed record, which a
/// checked uncompressed batch never has; a compressed one is checked only as it is read.
#[derive(Debug, Clone)]
pub(crate) struct RecordIter<'b> {
    body: &'b [u8],
    left: u32,
    base_timestamp: i64,
}

impl<'b> RecordIter<'b> {
    pub(crate) fn new(body: &'b [u8], count: u32, base_timestamp: i64) -> Self {
        RecordIter {
            body,
            left: count,
            base_timestamp,
        }
    }

    /// What follows the records read so far.
    pub(crate) fn rest(&self) -> &'b [u8] {
        self.body
    }
}

impl<'b> Iterator for RecordIter<'b> {
    type Item = Result<RawRecord<'b>, BatchError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.left == 0 {
            return None;
        }
        self.left -= 1;
        let record = next_record(&mut self.body, self.base_timestamp);
        if record.is_err() {
            self.left = 0;
        }
        Some(record)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(self.left as usize))
    }
}

fn next_record<'b>(body: &mut &'b [u8], base_timestamp: i64) -> Result<RawRecord<'b>, BatchError> {
    let len = varint(body)?;
    let mut r = take(body, len)?;
    take(&mut r, 1)?; // attributes: unused in v2
    let timestamp_delta = varlong(&mut r)?;
    let offset_delta = varint(&mut r)?;
    let key = nullable(&mut r)?;
    let value = nullable(&mut r)?;
    let count = varint(&mut r)?;
    let header_count = usize::try_from(count).map_err(|_| corrupt(format!("{count} headers")))?;
    let headers = r;
    let mut h = headers;
    for _ in 0..header_count {
        let key_len = varint(&mut h)?;
        take(&mut h, key_len)?;
        nullable(&mut h)?;
    }
    if !h.is_empty() {
        return Err(corrupt(format!(
            "{} bytes after a record's headers",
            h.len()
        )));
    }
    Ok(RawRecord {
        offset_delta,
        timestamp: base_timestamp.wrapping_add(timestamp_delta),
        key,
        value,
        headers,
        header_count,
    })
}

/// Checks every record of an uncompressed section: each within its length, offset deltas
/// 0, 1, 2, … as the header's count implies, and nothing left over. Returns the newest
/// timestamp.
pub(super) fn check_all(
    mut body: &[u8],
    count: u32,
    base_timestamp: i64,
) -> Result<i64, BatchError> {
    let mut max = i64::MIN;
    for expected in 0..count {
        let r = next_record(&mut body, base_timestamp)?;
        if i64::from(r.offset_delta) != i64::from(expected) {
            return Err(corrupt(format!(
                "record {expected} has offset delta {}",
                r.offset_delta
            )));
        }
        max = max.max(r.timestamp);
    }
    if !body.is_empty() {
        return Err(corrupt(format!(
            "{} bytes after the last of {count} records",
            body.len()
        )));
    }
    Ok(max)
}

/// Decoded headers: `(key, value)` pairs, borrowed.
pub(crate) fn headers(mut h: &[u8], count: usize) -> impl Iterator<Item = (&[u8], Option<&[u8]>)> {
    (0..count).map_while(move |_| {
        let key_len = varint(&mut h).ok()?;
        let key = take(&mut h, key_len).ok()?;
        let value = nullable(&mut h).ok()?;
        Some((key, value))
    })
}

fn take<'b>(buf: &mut &'b [u8], len: i32) -> Result<&'b [u8], BatchError> {
    let n = usize::try_from(len)
        .ok()
        .filter(|n| *n <= buf.len())
        .ok_or_else(|| corrupt(format!("a field of {len} bytes with {} left", buf.len())))?;
    let (head, rest) = buf.split_at(n);
    *buf = rest;
    Ok(head)
}

/// A length-prefixed byte string where length −1 means null.
fn nullable<'b>(buf: &mut &'b [u8]) -> Result<Option<&'b [u8]>, BatchError> {
    match varint(buf)? {
        -1 => Ok(None),
        len => take(buf, len).map(Some),
    }
}

/// A zigzag varint of at most 5 bytes, as Kafka's `ByteUtils.readVarint`.
pub(super) fn varint(buf: &mut &[u8]) -> Result<i32, BatchError> {
    let raw = unsigned_varint(buf, 5)? as u32;
    Ok((raw >> 1) as i32 ^ -((raw & 1) as i32))
}

/// A zigzag varlong of at most 10 bytes, as Kafka's `ByteUtils.readVarlong`.
fn varlong(buf: &mut &[u8]) -> Result<i64, BatchError> {
    let raw = unsigned_varint(buf, 10)?;
    Ok((raw >> 1) as i64 ^ -((raw & 1) as i64))
}

fn unsigned_varint(buf: &mut &[u8], max_bytes: usize) -> Result<u64, BatchError> {
    let mut value = 0u64;
    for (i, &b) in buf.iter().take(max_bytes).enumerate() {
        value |= u64::from(b & 0x7f) << (7 * i);
        if b < 0x80 {
            *buf = &buf[i + 1..];
            return Ok(value);
        }
    }
    if buf.len() < max_bytes {
        Err(corrupt("a truncated varint"))
    } else {
        Err(corrupt("a varint longer than its type"))
    }
}
