//! One partition's log: a sequence of record batches with dense offsets, read by offset,
//! looked up by timestamp, and shortened only at its ends.
//!
//! Two kinds of batch share a log (docs/design.md, "The log is the wire format"): a network
//! client's batch, kept as the bytes it sent ([`StoredBatch`]), and simulated records in a
//! compact form with no payload bytes ([`CompactBatch`]). Both live in a `VecDeque`, so
//! retention drops a prefix in time proportional to what it removes, and a batch is found
//! by binary search on its base offset.
//!
//! The log end offset is where the next record goes; the high watermark is what readers
//! may see. With one replica the high watermark follows the end on every append; a
//! replication layer sets it instead ([`PartitionLog::set_high_watermark`]).

mod read;
mod retention;

use std::collections::VecDeque;
use std::sync::Arc;

use super::batch::{BatchInfo, BatchWriter, ProducedBatch, StoredBatch, Value, put_header};
use super::compact::{CompactBatch, RecordSource};
use super::error::BrokerError;
use super::record::NewRecord;

pub use read::{Records, WireRead};

/// Limits that decide when records leave a partition. Every limit is per partition,
/// as in Kafka; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct RetentionPolicy {
    /// Records older than this (by timestamp) are deleted.
    pub ms: Option<i64>,
    /// Oldest records are deleted while the log holds more bytes than this (see
    /// [`PartitionLog::size_bytes`]).
    pub bytes: Option<u64>,
    /// Oldest records are deleted while the log holds more records than this.
    pub records: Option<u64>,
}

/// Where to look up an offset, as in Kafka's ListOffsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffsetSpec {
    /// The log start offset (Kafka's timestamp −2).
    Earliest,
    /// The high watermark (Kafka's timestamp −1).
    Latest,
    /// The first offset whose timestamp is at or after this time; `None` if there is none.
    Timestamp(i64),
}

/// What a fetch returns besides the records: the bounds of the log at that moment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LogBounds {
    /// The first offset still held.
    pub log_start_offset: i64,
    /// The end of what readers may see.
    pub high_watermark: i64,
}

/// What [`PartitionLog::truncate_to`] removed from the end of a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Truncated {
    /// Records removed.
    pub records: u64,
    /// Bytes as retention by size counts them ([`PartitionLog::size_bytes`]).
    pub bytes: u64,
}

/// One entry of a log.
#[derive(Debug, Clone)]
enum Stored {
    Wire(StoredBatch),
    /// Boxed: the columns' headers would otherwise make every slot twice the size.
    Compact(Box<CompactBatch>),
}

/// What a log slot costs besides the batch's own heap memory.
const SLOT_BYTES: u64 = std::mem::size_of::<Stored>() as u64;

impl Stored {
    fn base_offset(&self) -> i64 {
        match self {
            Stored::Wire(b) => b.base_offset(),
            Stored::Compact(b) => b.base_offset(),
        }
    }
    fn end_offset(&self) -> i64 {
        match self {
            Stored::Wire(b) => b.end_offset(),
            Stored::Compact(b) => b.end_offset(),
        }
    }
    fn first_timestamp(&self) -> i64 {
        match self {
            Stored::Wire(b) => b.info().first_timestamp,
            Stored::Compact(b) => b.first_timestamp(),
        }
    }
    fn max_timestamp(&self) -> i64 {
        match self {
            Stored::Wire(b) => b.info().max_timestamp,
            Stored::Compact(b) => b.max_timestamp(),
        }
    }
    /// What retention by size counts: a stored batch's bytes (as Kafka counts its
    /// segments), or a compact batch's key and value bytes.
    fn size_bytes(&self) -> u64 {
        match self {
            Stored::Wire(b) => b.bytes().len() as u64,
            Stored::Compact(b) => b.payload_bytes(),
        }
    }
    /// The memory the batch holds.
    fn memory_bytes(&self) -> u64 {
        SLOT_BYTES
            + match self {
                Stored::Wire(b) => b.bytes().len() as u64,
                Stored::Compact(b) => (std::mem::size_of::<CompactBatch>() + b.heap_bytes()) as u64,
            }
    }
}

/// A partition's log. See the module docs.
#[derive(Debug, Clone)]
pub struct PartitionLog {
    batches: VecDeque<Stored>,
    log_start_offset: i64,
    end_offset: i64,
    high_watermark: i64,
    /// With one replica the high watermark is the end; a replication layer owns it instead.
    hw_follows_end: bool,
    size_bytes: u64,
    memory_bytes: u64,
    /// Whether every batch's newest timestamp is at least every earlier batch's, so a
    /// timestamp lookup may binary-search.
    timestamps_monotonic: bool,
    newest_timestamp: i64,
    leader_epoch: i32,
    appended_total: u64,
    deleted_total: u64,
    truncated_total: u64,
}

impl Default for PartitionLog {
    fn default() -> Self {
        Self::new()
    }
}

impl PartitionLog {
    /// An empty log starting at offset 0, its high watermark following its end.
    pub fn new() -> Self {
        PartitionLog {
            batches: VecDeque::new(),
            log_start_offset: 0,
            end_offset: 0,
            high_watermark: 0,
            hw_follows_end: true,
            size_bytes: 0,
            memory_bytes: 0,
            timestamps_monotonic: true,
            newest_timestamp: i64::MIN,
            leader_epoch: -1,
            appended_total: 0,
            deleted_total: 0,
            truncated_total: 0,
        }
    }

    /// The first offset still in the log.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }
    /// The offset the next record will get.
    pub fn log_end_offset(&self) -> i64 {
        self.end_offset
    }
    /// The end of what readers may see: fetches, ListOffsets and lag stop here. With one
    /// replica it is the log end offset.
    pub fn high_watermark(&self) -> i64 {
        self.high_watermark
    }
    /// Sets the high watermark, within `log_start..=log_end`, and hands it to the caller
    /// for good: appends no longer move it. Returns the value set. For a replication
    /// layer, which moves it as followers catch up.
    pub fn set_high_watermark(&mut self, hw: i64) -> i64 {
        self.hw_follows_end = false;
        self.high_watermark = hw.clamp(self.log_start_offset, self.end_offset);
        self.high_watermark
    }
    /// Makes the high watermark follow the log end again, as a single replica's does.
    pub fn follow_end(&mut self) {
        self.hw_follows_end = true;
        self.high_watermark = self.end_offset;
    }
    /// Whether every append moves the high watermark (the leader is the only in-sync
    /// replica). Turning it off keeps the current value until the replication layer sets
    /// another.
    pub(crate) fn set_hw_follows_end(&mut self, follows: bool) {
        if follows {
            self.follow_end();
        } else {
            self.hw_follows_end = false;
        }
    }
    /// Whether appends move the high watermark at once.
    pub(crate) fn hw_follows_end(&self) -> bool {
        self.hw_follows_end
    }
    /// The leader epoch written into the client batches appended from now on (−1, none,
    /// until the cluster sets one). Simulated batches are encoded with none.
    pub(crate) fn set_leader_epoch(&mut self, epoch: i32) {
        self.leader_epoch = epoch;
    }
    /// The log start and the high watermark, as a fetch reports them.
    pub fn bounds(&self) -> LogBounds {
        LogBounds {
            log_start_offset: self.log_start_offset,
            high_watermark: self.high_watermark,
        }
    }
    /// Records currently held, up to the log end.
    pub fn len(&self) -> usize {
        (self.end_offset - self.log_start_offset) as usize
    }
    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.end_offset == self.log_start_offset
    }
    /// Bytes held as retention by size counts them: the bytes of stored network batches
    /// (as Kafka counts its segments) plus the key and value bytes of simulated records.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }
    /// The memory the batches hold, which the broker's log cap counts: the bytes of stored
    /// batches, the columns of compact ones, and a slot per batch.
    pub fn memory_bytes(&self) -> u64 {
        self.memory_bytes
    }
    /// Batches currently held.
    pub fn batch_count(&self) -> usize {
        self.batches.len()
    }
    /// The oldest record's timestamp (its batch's first).
    pub(crate) fn first_timestamp(&self) -> Option<i64> {
        self.batches.front().map(Stored::first_timestamp)
    }
    /// Records ever appended.
    pub fn appended_total(&self) -> u64 {
        self.appended_total
    }
    /// Records ever deleted by retention.
    pub fn deleted_total(&self) -> u64 {
        self.deleted_total
    }
    /// Records ever cut from the end by an election ([`PartitionLog::truncate_to`]).
    pub fn truncated_total(&self) -> u64 {
        self.truncated_total
    }

    /// Appends one record, as a batch of its own, and returns its offset.
    pub fn append(&mut self, record: NewRecord) -> i64 {
        self.append_batch(std::iter::once(record))
    }

    /// Appends records as one batch, in order, and returns the base offset (the first
    /// record's offset). The batch is encoded as a producer would send it, so a fetch
    /// serves it like any other.
    pub fn append_batch<I: IntoIterator<Item = NewRecord>>(&mut self, records: I) -> i64 {
        let base = self.end_offset;
        let mut records = records.into_iter().peekable();
        let Some(first) = records.peek() else {
            return base;
        };
        let mut bytes = Vec::new();
        let mut headers = Vec::new();
        let mut w = BatchWriter::new(&mut bytes, 0, first.timestamp_ms);
        for r in records {
            headers.clear();
            for h in &r.headers {
                put_header(&mut headers, h.key.as_bytes(), h.value.as_deref());
            }
            w.push_with_headers(
                r.timestamp_ms,
                r.key.as_deref(),
                r.value.as_deref().map_or(Value::Null, Value::Bytes),
                r.headers.len(),
                &headers,
            );
        }
        if let Some(info) = w.finish() {
            self.append_produced(vec![ProducedBatch::built(bytes, info)]);
        }
        base
    }

    /// Appends checked batches as they are, giving each its offsets by rewriting its base
    /// offset; returns the first batch's base offset.
    pub fn append_produced(&mut self, batches: Vec<ProducedBatch>) -> i64 {
        let base = self.end_offset;
        for batch in batches {
            let info: BatchInfo = *batch.info();
            self.note_timestamps(info.first_timestamp, info.max_timestamp);
            let stored = batch.seal(self.end_offset, self.leader_epoch);
            self.push(Stored::Wire(stored), u64::from(info.records));
        }
        base
    }

    /// Appends one simulated record from `source`: key number `key` (ignored for a keyless
    /// source), stamped `timestamp`. It joins the newest batch when that batch is compact
    /// and has room, so a retained simulated record costs a few bytes.
    pub(crate) fn append_simulated(
        &mut self,
        source: &Arc<RecordSource>,
        timestamp: i64,
        key: u32,
    ) {
        if let Some(Stored::Compact(b)) = self.batches.back_mut() {
            let (heap, payload) = (b.heap_bytes(), b.payload_bytes());
            if b.push(source, timestamp, key) {
                self.memory_bytes = self.memory_bytes + b.heap_bytes() as u64 - heap as u64;
                self.size_bytes += b.payload_bytes() - payload;
                self.newest_timestamp = self.newest_timestamp.max(timestamp);
                self.end_offset += 1;
                self.appended_total += 1;
                if self.hw_follows_end {
                    self.high_watermark = self.end_offset;
                }
                return;
            }
        }
        self.note_timestamps(timestamp, timestamp);
        let mut b = CompactBatch::new(self.end_offset, timestamp);
        let pushed = b.push(source, timestamp, key);
        debug_assert!(pushed, "an empty batch takes any record");
        self.push(Stored::Compact(Box::new(b)), 1);
    }

    /// Lets the newest compact batch give back what it grew beyond its size.
    fn seal_newest(&mut self) {
        if let Some(Stored::Compact(b)) = self.batches.back_mut() {
            let before = b.heap_bytes() as u64;
            b.seal();
            self.memory_bytes = self.memory_bytes - before + b.heap_bytes() as u64;
        }
    }

    /// Adds a batch of `records` records at the end.
    fn push(&mut self, batch: Stored, records: u64) {
        self.seal_newest();
        self.size_bytes += batch.size_bytes();
        self.memory_bytes += batch.memory_bytes();
        self.batches.push_back(batch);
        self.end_offset += records as i64;
        self.appended_total += records;
        if self.hw_follows_end {
            self.high_watermark = self.end_offset;
        }
    }

    /// Keeps the timestamp-ordering flag for a batch starting at `first` whose newest
    /// record is `max`.
    fn note_timestamps(&mut self, first: i64, max: i64) {
        if first < self.newest_timestamp || max < self.newest_timestamp {
            self.timestamps_monotonic = false;
        }
        self.newest_timestamp = self.newest_timestamp.max(max);
    }

    /// The index of the batch holding `offset`, or the number of batches if none does.
    fn batch_index(&self, offset: i64) -> usize {
        self.batches.partition_point(|b| b.end_offset() <= offset)
    }

    /// Readers may ask for any offset they could have seen: from the log start up to the
    /// high watermark (past it, the records are not committed and may yet be cut).
    fn check_fetch_offset(&self, offset: i64) -> Result<(), LogBounds> {
        if offset < self.log_start_offset || offset > self.high_watermark {
            return Err(self.bounds());
        }
        Ok(())
    }
}

/// Turns a [`LogBounds`] rejection into the typed error, naming the partition.
pub(crate) fn out_of_range(topic: &str, partition: u32, offset: i64, b: LogBounds) -> BrokerError {
    BrokerError::OffsetOutOfRange {
        topic: topic.to_string(),
        partition,
        offset,
        log_start_offset: b.log_start_offset,
        high_watermark: b.high_watermark,
    }
}

#[cfg(test)]
mod tests;
