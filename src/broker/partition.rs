//! One partition's append-only log: dense offsets, fetch, offset lookup and prefix-only retention.
//!
//! The log end offset is where the next record goes; the high watermark is how far readers
//! may see. With one replica they are the same point. With followers the high watermark is
//! the smallest log end over the in-sync replicas, which the broker's replication sets here
//! (docs/design.md, "Replication"); everything that reads (fetch, ListOffsets, lag, commits,
//! retention) stops at it.

use std::collections::VecDeque;

use super::error::{BrokerError, Result};
use super::limits::RECORD_OVERHEAD_BYTES;
use super::record::{NewRecord, Record};

/// Limits that decide when records leave a partition. Every limit is per partition,
/// as in Kafka; `None` means unlimited.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub struct RetentionPolicy {
    /// Records older than this (by timestamp) are deleted.
    pub ms: Option<i64>,
    /// Oldest records are deleted while the log holds more payload bytes than this.
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
    /// Their payload bytes.
    pub bytes: u64,
}

/// A partition's log. Records live in a `VecDeque` so that retention pops a prefix
/// in time proportional to what it removes, and offset lookup is index arithmetic.
#[derive(Debug, Clone, Default)]
pub struct PartitionLog {
    records: VecDeque<Record>,
    log_start_offset: i64,
    size_bytes: u64,
    /// Whether timestamps never decreased, so a timestamp lookup may binary-search.
    timestamps_monotonic: bool,
    appended_total: u64,
    deleted_total: u64,
    truncated_total: u64,
    /// The high watermark while it does not follow the end.
    hw: i64,
    /// With the leader alone in sync, every append is committed at once: the high watermark
    /// is the log end, and appends need not touch it.
    hw_follows_end: bool,
}

impl PartitionLog {
    /// An empty log starting at offset 0.
    pub fn new() -> Self {
        PartitionLog {
            timestamps_monotonic: true,
            hw_follows_end: true,
            ..Default::default()
        }
    }

    /// The first offset still in the log.
    pub fn log_start_offset(&self) -> i64 {
        self.log_start_offset
    }
    /// How far readers may see: records below it are on every in-sync replica. With one
    /// replica it is the log end offset.
    pub fn high_watermark(&self) -> i64 {
        if self.hw_follows_end {
            self.log_end_offset()
        } else {
            self.hw
        }
    }
    /// The offset the next record will get.
    pub fn log_end_offset(&self) -> i64 {
        self.log_start_offset + self.records.len() as i64
    }
    /// Moves the high watermark; the broker's replication calls this with the smallest log
    /// end over the in-sync replicas. Clamped to the log's bounds.
    pub(crate) fn set_high_watermark(&mut self, hw: i64) {
        self.hw = hw.clamp(self.log_start_offset, self.log_end_offset());
        self.hw_follows_end = false;
    }
    /// Whether the high watermark moves with every append (the leader is the only in-sync
    /// replica). Turning it off keeps the current value.
    pub(crate) fn set_hw_follows_end(&mut self, follows: bool) {
        if !follows && self.hw_follows_end {
            self.hw = self.log_end_offset();
        }
        self.hw_follows_end = follows;
    }
    /// Whether appends move the high watermark at once.
    pub(crate) fn hw_follows_end(&self) -> bool {
        self.hw_follows_end
    }
    /// The log start and the high watermark, as a fetch reports them.
    pub fn bounds(&self) -> LogBounds {
        LogBounds {
            log_start_offset: self.log_start_offset,
            high_watermark: self.high_watermark(),
        }
    }
    /// Records currently held.
    pub fn len(&self) -> usize {
        self.records.len()
    }
    /// Whether no record is held.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }
    /// Payload bytes currently held.
    pub fn size_bytes(&self) -> u64 {
        self.size_bytes
    }
    /// Memory the records hold as the broker's log cap counts it: payload plus
    /// [`RECORD_OVERHEAD_BYTES`] per record. Payloads shared between records are counted
    /// once per record, so the figure errs high.
    pub fn memory_bytes(&self) -> u64 {
        self.records.len() as u64 * RECORD_OVERHEAD_BYTES + self.size_bytes
    }
    /// The oldest record's timestamp.
    pub(crate) fn first_timestamp(&self) -> Option<i64> {
        self.records.front().map(Record::timestamp_ms)
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

    /// Appends one record and returns its offset.
    pub fn append(&mut self, record: NewRecord) -> i64 {
        let offset = self.log_end_offset();
        if let Some(last) = self.records.back()
            && record.timestamp_ms < last.timestamp_ms()
        {
            self.timestamps_monotonic = false;
        }
        let record = Record::from_new(offset, record);
        self.size_bytes += u64::from(record.size_bytes());
        self.records.push_back(record);
        self.appended_total += 1;
        offset
    }

    /// Appends records in order and returns the base offset (the first record's offset).
    pub fn append_batch<I: IntoIterator<Item = NewRecord>>(&mut self, records: I) -> i64 {
        let base = self.log_end_offset();
        let iter = records.into_iter();
        self.records.reserve(iter.size_hint().0);
        for r in iter {
            self.append(r);
        }
        base
    }

    fn check_fetch_offset(&self, offset: i64) -> std::result::Result<usize, LogBounds> {
        let bounds = self.bounds();
        if offset < bounds.log_start_offset || offset > bounds.high_watermark {
            return Err(bounds);
        }
        Ok((offset - self.log_start_offset) as usize)
    }

    /// Records held below the high watermark: what readers may see.
    fn visible_len(&self) -> usize {
        (self.high_watermark() - self.log_start_offset) as usize
    }

    /// Borrows records from `offset`: at most `max_records`, and no more than `max_bytes` of
    /// payload, except that the first record is always included so a consumer can make
    /// progress past a large record, as Kafka does. Nothing is copied or allocated.
    ///
    /// Reading at the high watermark yields nothing; outside `log_start..=high_watermark`
    /// the log's bounds come back as the error, for the caller to name the partition.
    pub fn read(
        &self,
        offset: i64,
        max_records: usize,
        max_bytes: u64,
    ) -> std::result::Result<impl Iterator<Item = &Record>, LogBounds> {
        let start = self.check_fetch_offset(offset)?;
        let end = start.saturating_add(max_records).min(self.visible_len());
        let mut bytes = 0u64;
        let mut first = true;
        Ok(self.records.range(start..end).take_while(move |r| {
            bytes += u64::from(r.size_bytes());
            let fits = first || bytes <= max_bytes;
            first = false;
            fits
        }))
    }

    /// Like [`PartitionLog::read`], cloning into `out` (which is not cleared). Cloning a
    /// record only bumps reference counts; `out` is the one allocation, and a caller
    /// that reuses it allocates nothing.
    pub fn fetch_into(
        &self,
        offset: i64,
        max_records: usize,
        max_bytes: u64,
        out: &mut Vec<Record>,
    ) -> std::result::Result<LogBounds, LogBounds> {
        let start = self.check_fetch_offset(offset)?;
        let end = start.saturating_add(max_records).min(self.visible_len());
        out.reserve(end - start);
        // A plain loop rather than `extend(read(..).cloned())`: the adapter chain moved each
        // record several times and cost twice the instructions on this hot path.
        let mut bytes = 0u64;
        for (i, r) in self.records.range(start..end).enumerate() {
            bytes += u64::from(r.size_bytes());
            if i > 0 && bytes > max_bytes {
                break;
            }
            out.push(r.clone());
        }
        Ok(self.bounds())
    }

    /// Iterates over records from `offset` up to the high watermark without copying anything.
    pub fn iter_from(&self, offset: i64) -> impl Iterator<Item = &Record> {
        let start = (offset.max(self.log_start_offset) - self.log_start_offset) as usize;
        let visible = self.visible_len();
        self.records.range(start.min(visible)..visible)
    }

    /// The newest `n` records up to the log end (past the high watermark too), oldest
    /// first: what a partition strip draws.
    pub fn tail(&self, n: usize) -> impl DoubleEndedIterator<Item = &Record> {
        let start = self.records.len().saturating_sub(n);
        self.records.range(start..)
    }

    /// The record at `offset`, if it is still in the log.
    pub fn get(&self, offset: i64) -> Option<&Record> {
        if offset < self.log_start_offset {
            return None;
        }
        self.records.get((offset - self.log_start_offset) as usize)
    }

    /// Kafka's ListOffsets for this partition.
    pub fn list_offset(&self, spec: OffsetSpec) -> Option<i64> {
        match spec {
            OffsetSpec::Earliest => Some(self.log_start_offset),
            OffsetSpec::Latest => Some(self.high_watermark()),
            OffsetSpec::Timestamp(ts) => {
                let visible = self.visible_len();
                let idx = if self.timestamps_monotonic {
                    self.records.partition_point(|r| r.timestamp_ms() < ts)
                } else {
                    self.records
                        .iter()
                        .position(|r| r.timestamp_ms() >= ts)
                        .unwrap_or(self.records.len())
                };
                (idx < visible).then(|| self.log_start_offset + idx as i64)
            }
        }
    }

    /// Deletes the oldest records that break `policy` at time `now_ms`, returning how many.
    ///
    /// Only a prefix is ever removed, so the log start only moves forward; the work done is
    /// proportional to the number of records removed, never to the length of the log. As in
    /// Kafka, nothing at or above the high watermark is deleted: followers may still need it.
    pub fn enforce_retention(&mut self, policy: &RetentionPolicy, now_ms: i64) -> u64 {
        let mut removed = 0u64;
        while let Some(front) = self.records.front() {
            if front.offset() >= self.high_watermark() {
                break;
            }
            let too_old = policy
                .ms
                .is_some_and(|ms| front.timestamp_ms() < now_ms.saturating_sub(ms));
            let too_many = policy
                .records
                .is_some_and(|max| self.records.len() as u64 > max);
            let too_big = policy.bytes.is_some_and(|max| self.size_bytes > max);
            if !(too_old || too_many || too_big) {
                break;
            }
            self.pop_oldest();
            removed += 1;
        }
        removed
    }

    /// Deletes the oldest records, at least one if any, while their timestamps are at most
    /// `until` (any, if `None`) and fewer than `bytes` of [`PartitionLog::memory_bytes`]
    /// have been freed. Returns the records deleted and the memory freed.
    pub(crate) fn evict_oldest(&mut self, until: Option<i64>, bytes: u64) -> (u64, u64) {
        let (mut removed, mut freed) = (0u64, 0u64);
        while let Some(front) = self.records.front() {
            if front.offset() >= self.high_watermark() {
                break;
            }
            let newer = until.is_some_and(|ts| front.timestamp_ms() > ts);
            if removed > 0 && (freed >= bytes || newer) {
                break;
            }
            freed += RECORD_OVERHEAD_BYTES + u64::from(self.pop_oldest());
            removed += 1;
        }
        (removed, freed)
    }

    /// Removes the first record, which must exist; returns its payload size.
    fn pop_oldest(&mut self) -> u32 {
        let front = self.records.pop_front().expect("the log is not empty");
        self.size_bytes -= u64::from(front.size_bytes());
        self.log_start_offset += 1;
        self.deleted_total += 1;
        if self.records.is_empty() {
            self.timestamps_monotonic = true;
        }
        front.size_bytes()
    }

    /// Deletes every record before `offset` (Kafka's DeleteRecords); returns how many.
    pub fn delete_before(&mut self, offset: i64) -> Result<u64, LogBounds> {
        if offset < self.log_start_offset || offset > self.high_watermark() {
            return Err(self.bounds());
        }
        let n = (offset - self.log_start_offset) as u64;
        for _ in 0..n {
            let r = self.records.pop_front().expect("within bounds");
            self.size_bytes -= u64::from(r.size_bytes());
        }
        self.log_start_offset = offset;
        self.deleted_total += n;
        Ok(n)
    }

    /// Removes every record at or after `offset` (never before the log start): an election
    /// cut the log back to the new leader's end, and those offsets go to new records. The
    /// high watermark comes down with the end if it was above it. Returns what went; the
    /// work is proportional to it.
    pub fn truncate_to(&mut self, offset: i64) -> Truncated {
        let offset = offset.max(self.log_start_offset);
        let mut cut = Truncated::default();
        while self.log_end_offset() > offset {
            let r = self
                .records
                .pop_back()
                .expect("the log end is past the log start");
            cut.records += 1;
            cut.bytes += u64::from(r.size_bytes());
        }
        self.size_bytes -= cut.bytes;
        self.truncated_total += cut.records;
        self.hw = self.hw.min(self.log_end_offset());
        if self.records.is_empty() {
            self.timestamps_monotonic = true;
        }
        cut
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
mod tests {
    use super::*;
    use bytes::Bytes;

    fn rec(ts: i64, len: usize) -> NewRecord {
        NewRecord::new(ts, None, Bytes::from(vec![0u8; len]))
    }

    fn log_with(n: i64) -> PartitionLog {
        let mut log = PartitionLog::new();
        for i in 0..n {
            log.append(rec(i * 10, 10));
        }
        log
    }

    #[test]
    fn offsets_are_dense_from_zero() {
        let mut log = PartitionLog::new();
        assert_eq!(log.append(rec(0, 1)), 0);
        assert_eq!(log.append(rec(0, 1)), 1);
        assert_eq!(log.append_batch(vec![rec(0, 1), rec(0, 1), rec(0, 1)]), 2);
        assert_eq!(log.high_watermark(), 5);
        let offsets: Vec<i64> = log.iter_from(0).map(Record::offset).collect();
        assert_eq!(offsets, vec![0, 1, 2, 3, 4]);
    }

    #[test]
    fn fetch_limits_records_and_bytes() {
        let log = log_with(10);
        let mut out = Vec::new();
        log.fetch_into(2, 3, u64::MAX, &mut out).unwrap();
        assert_eq!(
            out.iter().map(Record::offset).collect::<Vec<_>>(),
            [2, 3, 4]
        );
        out.clear();
        log.fetch_into(0, 100, 25, &mut out).unwrap();
        assert_eq!(out.len(), 2, "two 10-byte records fit in 25 bytes");
        out.clear();
        log.fetch_into(0, 100, 1, &mut out).unwrap();
        assert_eq!(
            out.len(),
            1,
            "the first record is returned even when larger than max_bytes"
        );
    }

    #[test]
    fn fetch_at_high_watermark_is_empty_and_beyond_is_out_of_range() {
        let mut log = log_with(5);
        let mut out = Vec::new();
        assert!(log.fetch_into(5, 10, u64::MAX, &mut out).is_ok());
        assert!(out.is_empty());
        assert!(log.fetch_into(6, 10, u64::MAX, &mut out).is_err());
        log.enforce_retention(
            &RetentionPolicy {
                records: Some(2),
                ..Default::default()
            },
            0,
        );
        let err = log.fetch_into(0, 10, u64::MAX, &mut out).unwrap_err();
        assert_eq!(err.log_start_offset, 3);
    }

    #[test]
    fn list_offsets() {
        let log = log_with(10); // timestamps 0, 10, ..., 90
        assert_eq!(log.list_offset(OffsetSpec::Earliest), Some(0));
        assert_eq!(log.list_offset(OffsetSpec::Latest), Some(10));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(35)), Some(4));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(40)), Some(4));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(-5)), Some(0));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(91)), None);
    }

    #[test]
    fn list_offsets_by_timestamp_with_unordered_timestamps() {
        let mut log = PartitionLog::new();
        for ts in [50, 10, 70, 20] {
            log.append(rec(ts, 1));
        }
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(60)), Some(2));
        assert_eq!(log.list_offset(OffsetSpec::Timestamp(15)), Some(0));
    }

    #[test]
    fn retention_by_time_removes_a_prefix() {
        let mut log = log_with(10);
        let policy = RetentionPolicy {
            ms: Some(50),
            ..Default::default()
        };
        // At t=100 records with timestamp < 50 go: offsets 0..=4.
        assert_eq!(log.enforce_retention(&policy, 100), 5);
        assert_eq!(log.log_start_offset(), 5);
        assert_eq!(log.high_watermark(), 10);
        assert_eq!(log.deleted_total(), 5);
    }

    #[test]
    fn retention_by_time_stops_at_the_first_young_record() {
        let mut log = PartitionLog::new();
        for ts in [0, 100, 0] {
            log.append(rec(ts, 1));
        }
        let policy = RetentionPolicy {
            ms: Some(10),
            ..Default::default()
        };
        assert_eq!(log.enforce_retention(&policy, 105), 1, "prefix only");
        assert_eq!(log.log_start_offset(), 1);
    }

    #[test]
    fn retention_by_bytes_and_records() {
        let mut log = log_with(10); // 10 bytes each
        let by_bytes = RetentionPolicy {
            bytes: Some(35),
            ..Default::default()
        };
        assert_eq!(log.enforce_retention(&by_bytes, 0), 7);
        assert_eq!(log.size_bytes(), 30);
        let by_records = RetentionPolicy {
            records: Some(1),
            ..Default::default()
        };
        assert_eq!(log.enforce_retention(&by_records, 0), 2);
        assert_eq!(log.len(), 1);
        assert_eq!(log.log_start_offset(), 9);
        assert_eq!(
            log.append(rec(0, 1)),
            10,
            "offsets continue after retention"
        );
    }

    #[test]
    fn delete_before_moves_log_start() {
        let mut log = log_with(10);
        assert_eq!(log.delete_before(4), Ok(4));
        assert_eq!(log.log_start_offset(), 4);
        assert!(log.delete_before(2).is_err());
        assert!(log.delete_before(11).is_err());
    }

    #[test]
    fn tail_and_get() {
        let log = log_with(10);
        let tail: Vec<i64> = log.tail(3).map(Record::offset).collect();
        assert_eq!(tail, vec![7, 8, 9]);
        assert_eq!(log.get(9).map(Record::offset), Some(9));
        assert!(log.get(10).is_none());
    }
}
