//! Compact batches: simulated records without payload bytes.
//!
//! A simulated record is fully described by its timestamp, its producer (which fixes the
//! key table and the value size) and its key's number, so that is all a compact batch
//! keeps: runs of records sharing a timestamp and a producer, and one key number per keyed
//! record. A network client that fetches them gets real record-batch bytes, encoded then
//! ([`CompactBatch::encode`]); values are zeros, as the simulation's always were.
//!
//! Records are appended one by one into the newest batch of a partition while it has room,
//! so a retained simulated record costs a few bytes (DESIGN §9). Retention trims a batch's
//! prefix record by record, which keeps the log start exactly where it was when every
//! record stood alone.

use std::sync::Arc;

use bytes::Bytes;

use super::batch::{BatchWriter, Value};

/// The most records in one compact batch. Larger batches amortise their fixed cost better,
/// but hold the memory of records retention trimmed until the whole batch goes.
pub(crate) const MAX_RECORDS: u32 = 2048;
/// The most producers whose records one batch interleaves.
const MAX_SOURCES: usize = 256;
/// The largest simulated value. Values are zeros, read from one static buffer.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
static ZEROS: [u8; MAX_VALUE_BYTES] = [0; MAX_VALUE_BYTES];

/// Where simulated records come from: a producer's keys and the size of its values.
/// Shared by the producer and every batch holding its records.
#[derive(Debug, PartialEq, Eq)]
pub struct RecordSource {
    keys: Box<[Bytes]>,
    value_bytes: usize,
}

impl RecordSource {
    /// A producer of `value_bytes`-byte values (at most [`MAX_VALUE_BYTES`]), keyed from
    /// `keys` (none: keyless).
    pub fn new(keys: Vec<Bytes>, value_bytes: usize) -> Self {
        RecordSource {
            keys: keys.into_boxed_slice(),
            value_bytes: value_bytes.min(MAX_VALUE_BYTES),
        }
    }

    /// A value, as the records API hands it out: zeros, shared.
    pub(crate) fn value(&self) -> Bytes {
        Bytes::from_static(&ZEROS[..self.value_bytes])
    }

    /// The keys, by number.
    pub fn keys(&self) -> &[Bytes] {
        &self.keys
    }

    /// Whether its records carry keys.
    pub fn keyed(&self) -> bool {
        !self.keys.is_empty()
    }

    /// The size of every value it produces.
    pub fn value_bytes(&self) -> usize {
        self.value_bytes
    }

    fn key(&self, id: u32) -> Option<&Bytes> {
        self.keys.get(id as usize)
    }

    /// Key and value bytes of one record: what retention by size counts.
    fn payload(&self, key: Option<u32>) -> u64 {
        let key = key.and_then(|k| self.key(k)).map_or(0, Bytes::len);
        (key + self.value_bytes) as u64
    }
}

/// Records that share a timestamp and a source, in a row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Run {
    /// Milliseconds after the batch's base timestamp.
    ts_delta: u32,
    len: u16,
    source: u16,
}

/// Key numbers, as narrow as the largest one allows.
#[derive(Debug, Clone)]
enum Keys {
    Narrow(Vec<u16>),
    Wide(Vec<u32>),
}

impl Keys {
    fn push(&mut self, id: u32) {
        match self {
            Keys::Narrow(v) => match u16::try_from(id) {
                Ok(n) => v.push(n),
                Err(_) => {
                    let mut wide: Vec<u32> = v.iter().map(|&k| u32::from(k)).collect();
                    wide.push(id);
                    *self = Keys::Wide(wide);
                }
            },
            Keys::Wide(v) => v.push(id),
        }
    }

    fn get(&self, i: usize) -> u32 {
        match self {
            Keys::Narrow(v) => u32::from(v[i]),
            Keys::Wide(v) => v[i],
        }
    }

    fn truncate(&mut self, n: usize) {
        match self {
            Keys::Narrow(v) => v.truncate(n),
            Keys::Wide(v) => v.truncate(n),
        }
    }

    fn shrink(&mut self) {
        match self {
            Keys::Narrow(v) => v.shrink_to_fit(),
            Keys::Wide(v) => v.shrink_to_fit(),
        }
    }

    fn heap_bytes(&self) -> usize {
        match self {
            Keys::Narrow(v) => v.capacity() * 2,
            Keys::Wide(v) => v.capacity() * 4,
        }
    }
}

/// Where a record sits in a batch's columns, and how many held records follow from there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Cursor {
    run: usize,
    in_run: u16,
    key: usize,
    left: u32,
}

/// One simulated record, as a compact batch describes it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CompactRecord<'a> {
    pub(crate) timestamp: i64,
    pub(crate) key: Option<&'a Bytes>,
    pub(crate) source: &'a RecordSource,
}

/// Simulated records with consecutive offsets. The records before `first` were trimmed
/// by retention; their columns stay until the whole batch goes.
#[derive(Debug, Clone)]
pub(crate) struct CompactBatch {
    base_offset: i64,
    base_timestamp: i64,
    max_timestamp: i64,
    sources: Vec<Arc<RecordSource>>,
    runs: Vec<Run>,
    keys: Keys,
    first: Cursor,
    /// Records from `first` on.
    count: u32,
    /// Records ever written, trimmed ones included.
    written: u32,
    /// Key and value bytes of the records from `first` on.
    payload: u64,
}

impl CompactBatch {
    pub(crate) fn new(base_offset: i64, base_timestamp: i64) -> Self {
        CompactBatch {
            base_offset,
            base_timestamp,
            max_timestamp: base_timestamp,
            sources: Vec::new(),
            runs: Vec::new(),
            keys: Keys::Narrow(Vec::new()),
            first: Cursor::default(),
            count: 0,
            written: 0,
            payload: 0,
        }
    }

    /// The offset of the first record still held.
    pub(crate) fn base_offset(&self) -> i64 {
        self.base_offset
    }
    pub(crate) fn count(&self) -> u32 {
        self.count
    }
    pub(crate) fn end_offset(&self) -> i64 {
        self.base_offset + i64::from(self.count)
    }
    pub(crate) fn payload_bytes(&self) -> u64 {
        self.payload
    }
    pub(crate) fn max_timestamp(&self) -> i64 {
        self.max_timestamp
    }
    /// The first held record's timestamp.
    pub(crate) fn first_timestamp(&self) -> i64 {
        self.runs
            .get(self.first.run)
            .map_or(self.base_timestamp, |r| self.timestamp_of(r))
    }

    fn timestamp_of(&self, run: &Run) -> i64 {
        self.base_timestamp + i64::from(run.ts_delta)
    }

    /// Heap memory the batch holds, trimmed records included.
    pub(crate) fn heap_bytes(&self) -> usize {
        self.sources.capacity() * std::mem::size_of::<Arc<RecordSource>>()
            + self.runs.capacity() * std::mem::size_of::<Run>()
            + self.keys.heap_bytes()
    }

    /// Appends one record if it belongs here: room left, a timestamp the batch can
    /// express, and a source it can name. Returns whether it was appended; the key must
    /// be a number of `source`'s keys when it has any.
    pub(crate) fn push(&mut self, source: &Arc<RecordSource>, timestamp: i64, key: u32) -> bool {
        if self.written >= MAX_RECORDS {
            return false;
        }
        let Some(ts_delta) = timestamp
            .checked_sub(self.base_timestamp)
            .and_then(|d| u32::try_from(d).ok())
        else {
            return false;
        };
        let source_index = match self.runs.last() {
            Some(r) if Arc::ptr_eq(&self.sources[usize::from(r.source)], source) => r.source,
            _ => match self.sources.iter().position(|s| Arc::ptr_eq(s, source)) {
                Some(i) => i as u16,
                None if self.sources.len() < MAX_SOURCES => {
                    self.sources.push(Arc::clone(source));
                    (self.sources.len() - 1) as u16
                }
                None => return false,
            },
        };
        match self.runs.last_mut() {
            Some(r) if r.ts_delta == ts_delta && r.source == source_index && r.len < u16::MAX => {
                r.len += 1
            }
            _ => self.runs.push(Run {
                ts_delta,
                len: 1,
                source: source_index,
            }),
        }
        let key = source.keyed().then_some(key);
        if let Some(k) = key {
            self.keys.push(k);
        }
        self.payload += source.payload(key);
        self.max_timestamp = self.max_timestamp.max(timestamp);
        self.count += 1;
        self.written += 1;
        true
    }

    /// Gives back the memory growth left over: the batch takes no more records.
    pub(crate) fn seal(&mut self) {
        self.written = MAX_RECORDS;
        self.runs.shrink_to_fit();
        self.keys.shrink();
        self.sources.shrink_to_fit();
    }

    /// A cursor at the `skip`-th held record (at the end if there are fewer).
    pub(crate) fn cursor(&self, skip: u32) -> Cursor {
        let mut c = self.first;
        c.left = self.count;
        let mut skip = skip.min(self.count);
        while skip > 0 {
            let run = self.runs[c.run];
            let in_run = u32::from(run.len - c.in_run).min(skip);
            if self.sources[usize::from(run.source)].keyed() {
                c.key += in_run as usize;
            }
            c.in_run += in_run as u16;
            if c.in_run == run.len {
                c.run += 1;
                c.in_run = 0;
            }
            c.left -= in_run;
            skip -= in_run;
        }
        c
    }

    /// The record at `c`, moving `c` past it.
    pub(crate) fn next_record(&self, c: &mut Cursor) -> Option<CompactRecord<'_>> {
        if c.left == 0 {
            return None;
        }
        let run = self.runs[c.run];
        let source = &*self.sources[usize::from(run.source)];
        let key = if source.keyed() {
            c.key += 1;
            source.key(self.keys.get(c.key - 1))
        } else {
            None
        };
        c.in_run += 1;
        if c.in_run == run.len {
            c.run += 1;
            c.in_run = 0;
        }
        c.left -= 1;
        Some(CompactRecord {
            timestamp: self.timestamp_of(&run),
            key,
            source,
        })
    }

    /// The held records from the `skip`-th on, in order.
    pub(crate) fn records(&self, skip: u32) -> impl Iterator<Item = CompactRecord<'_>> + '_ {
        let mut cursor = self.cursor(skip);
        std::iter::from_fn(move || self.next_record(&mut cursor))
    }

    /// Removes the oldest held record; returns its timestamp and payload bytes.
    pub(crate) fn pop_front(&mut self) -> Option<(i64, u64)> {
        if self.count == 0 {
            return None;
        }
        let run = self.runs[self.first.run];
        let source = &self.sources[usize::from(run.source)];
        let key = source.keyed().then(|| self.keys.get(self.first.key));
        let payload = source.payload(key);
        if key.is_some() {
            self.first.key += 1;
        }
        self.first.in_run += 1;
        if self.first.in_run == run.len {
            self.first.run += 1;
            self.first.in_run = 0;
        }
        self.count -= 1;
        self.base_offset += 1;
        self.payload -= payload;
        Some((self.base_timestamp + i64::from(run.ts_delta), payload))
    }

    /// Keeps only the records before `offset`; returns how many went.
    pub(crate) fn truncate_to(&mut self, offset: i64) -> u32 {
        let keep = (offset - self.base_offset).clamp(0, i64::from(self.count)) as u32;
        let dropped = self.count - keep;
        if dropped == 0 {
            return 0;
        }
        // Walk to the first dropped record, then cut the columns there.
        let mut cursor = self.first;
        let mut payload = 0u64;
        let mut max_ts = self.base_timestamp;
        for _ in 0..keep {
            let run = self.runs[cursor.run];
            let source = &self.sources[usize::from(run.source)];
            let key = source.keyed().then(|| self.keys.get(cursor.key));
            payload += source.payload(key);
            max_ts = max_ts.max(self.timestamp_of(&run));
            if key.is_some() {
                cursor.key += 1;
            }
            cursor.in_run += 1;
            if cursor.in_run == run.len {
                cursor.run += 1;
                cursor.in_run = 0;
            }
        }
        if cursor.in_run > 0 {
            self.runs[cursor.run].len = cursor.in_run;
            self.runs.truncate(cursor.run + 1);
        } else {
            self.runs.truncate(cursor.run);
        }
        self.keys.truncate(cursor.key);
        self.count = keep;
        self.written -= dropped;
        self.payload = payload;
        self.max_timestamp = max_ts;
        dropped
    }

    /// Encodes the records from `from` (an offset in the batch) up to `until` (exclusive)
    /// as one uncompressed v2 batch appended to `out`, stopping before the batch would pass
    /// `max_bytes`, except that its first record always goes. Returns the records written.
    pub(crate) fn encode(&self, from: i64, until: i64, max_bytes: usize, out: &mut Vec<u8>) -> u32 {
        let skip = (from - self.base_offset).clamp(0, i64::from(self.count)) as u32;
        let take = (until.min(self.end_offset()) - self.base_offset - i64::from(skip)).max(0);
        let mut records = self.records(skip).take(take as usize).peekable();
        let Some(first) = records.peek() else {
            return 0;
        };
        let mut w = BatchWriter::new(out, self.base_offset + i64::from(skip), first.timestamp);
        for r in records {
            let (len, count) = (w.len(), w.count());
            w.push(
                r.timestamp,
                r.key.map(|k| &k[..]),
                Value::Zeros(r.source.value_bytes()),
            );
            if count > 0 && w.len() > max_bytes {
                w.truncate(len, count);
                break;
            }
        }
        let written = w.count();
        w.finish();
        written
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(keys: usize, value: usize) -> Arc<RecordSource> {
        Arc::new(RecordSource::new(
            (0..keys).map(|i| Bytes::from(format!("key-{i}"))).collect(),
            value,
        ))
    }

    #[test]
    fn runs_share_timestamps_and_sources() {
        let (a, b) = (source(16, 10), source(0, 3));
        let mut batch = CompactBatch::new(100, 1_000);
        for (src, ts, key) in [
            (&a, 1_000, 1),
            (&a, 1_000, 2),
            (&b, 1_000, 0),
            (&a, 1_010, 15),
        ] {
            assert!(batch.push(src, ts, key));
        }
        assert_eq!(batch.runs.len(), 3);
        assert_eq!(batch.count(), 4);
        assert_eq!(batch.end_offset(), 104);
        assert_eq!(batch.payload_bytes(), (5 + 10) * 2 + 3 + (6 + 10));
        let seen: Vec<(i64, Option<&[u8]>)> = batch
            .records(0)
            .map(|r| (r.timestamp, r.key.map(|k| &k[..])))
            .collect();
        assert_eq!(
            seen,
            [
                (1_000, Some(&b"key-1"[..])),
                (1_000, Some(&b"key-2"[..])),
                (1_000, None),
                (1_010, Some(&b"key-15"[..]))
            ]
        );
        assert!(
            !batch.push(&a, 999, 0),
            "a timestamp before the base starts a new batch"
        );
    }

    #[test]
    fn popping_and_truncating_keep_the_columns_consistent() {
        let a = source(300, 1);
        let mut batch = CompactBatch::new(0, 0);
        for i in 0..10u32 {
            assert!(batch.push(&a, i64::from(i / 3), i * 30));
        }
        assert_eq!(batch.pop_front(), Some((0, 5 + 1)));
        assert_eq!(batch.base_offset(), 1);
        assert_eq!(batch.first_timestamp(), 0);
        assert_eq!(batch.truncate_to(6), 4);
        assert_eq!(batch.end_offset(), 6);
        let keys: Vec<Bytes> = batch.records(0).filter_map(|r| r.key.cloned()).collect();
        assert_eq!(keys, ["key-30", "key-60", "key-90", "key-120", "key-150"]);
        // Appending after a cut continues from it.
        assert!(batch.push(&a, 5, 299));
        assert_eq!(
            batch.records(5).next().and_then(|r| r.key.cloned()),
            Some(Bytes::from("key-299"))
        );
        assert_eq!(batch.truncate_to(1), 6);
        assert_eq!(batch.count(), 0);
    }

    #[test]
    fn keys_widen_past_u16() {
        let big = source(70_000, 0);
        let mut batch = CompactBatch::new(0, 0);
        batch.push(&big, 0, 7);
        batch.push(&big, 0, 69_999);
        let keys: Vec<Bytes> = batch.records(0).filter_map(|r| r.key.cloned()).collect();
        assert_eq!(keys, ["key-7", "key-69999"]);
    }
}
