//! Shortening a log: retention and the memory cap at its start, DeleteRecords, and
//! truncation at its end for a replica that must agree with its leader.
//!
//! Stored network batches go whole, as Kafka's segments do. A compact batch of simulated
//! records may lose a prefix record by record, which keeps the log start exactly where
//! retention of single records put it.

use super::{LogBounds, PartitionLog, RetentionPolicy, Stored, Truncated};
use crate::broker::limits::MAX_LOOK_INSIDE_BYTES;

impl PartitionLog {
    /// Deletes the oldest records that break `policy` at time `now_ms`, returning how many.
    /// Only a prefix below the high watermark is ever removed, so the log start only moves
    /// forward; the work done is proportional to what is removed, never to the log's length.
    ///
    /// A stored batch goes when its newest record is too old, or while the log holds too
    /// many records or bytes; a simulated record goes by its own timestamp and size.
    pub fn enforce_retention(&mut self, policy: &RetentionPolicy, now_ms: i64) -> u64 {
        let before = self.log_start_offset;
        let cutoff = policy.ms.map(|ms| now_ms.saturating_sub(ms));
        while let Some(front) = self.batches.front() {
            let ts = match front {
                Stored::Wire(b) => b.info().max_timestamp,
                Stored::Compact(b) => b.first_timestamp(),
            };
            let too_old = cutoff.is_some_and(|c| ts < c);
            let too_many = policy.records.is_some_and(|max| self.len() as u64 > max);
            let too_big = policy.bytes.is_some_and(|max| self.size_bytes > max);
            if !(too_old || too_many || too_big) {
                break;
            }
            let removable = match front {
                Stored::Wire(b) => b.end_offset() <= self.high_watermark,
                Stored::Compact(b) => b.base_offset() < self.high_watermark,
            };
            if !removable {
                break;
            }
            if matches!(front, Stored::Wire(_)) {
                self.pop_front_batch();
            } else {
                self.pop_front_record();
            }
        }
        (self.log_start_offset - before) as u64
    }

    /// Deletes the oldest batches, at least one if any lies below the high watermark,
    /// while their first timestamps are at most `until` (any, if `None`) and fewer than
    /// `bytes` of [`PartitionLog::memory_bytes`] have been freed. Returns the records
    /// deleted and the memory freed.
    pub(crate) fn evict_oldest(&mut self, until: Option<i64>, bytes: u64) -> (u64, u64) {
        let (mut removed, mut freed) = (0u64, 0u64);
        while let Some(front) = self.batches.front() {
            let newer = until.is_some_and(|ts| front.first_timestamp() > ts);
            if removed > 0 && (freed >= bytes || newer) {
                break;
            }
            if front.end_offset() > self.high_watermark {
                break;
            }
            let start = self.log_start_offset;
            freed += self.pop_front_batch();
            removed += (self.log_start_offset - start) as u64;
        }
        (removed, freed)
    }

    /// Removes the first batch, which must exist; returns the memory it held.
    fn pop_front_batch(&mut self) -> u64 {
        let front = self.batches.pop_front().expect("the log is not empty");
        let end = front.end_offset();
        self.size_bytes -= front.size_bytes();
        self.memory_bytes -= front.memory_bytes();
        self.deleted_total += (end - self.log_start_offset) as u64;
        self.log_start_offset = end;
        if self.batches.is_empty() {
            self.reset_timestamps();
        }
        front.memory_bytes()
    }

    /// Removes the oldest record of the first batch, which must be compact.
    fn pop_front_record(&mut self) {
        let Some(Stored::Compact(b)) = self.batches.front_mut() else {
            unreachable!("only compact batches lose single records");
        };
        let (_, payload) = b.pop_front().expect("a held batch has records");
        self.size_bytes -= payload;
        self.log_start_offset += 1;
        self.deleted_total += 1;
        if b.count() == 0 {
            self.pop_front_batch();
        }
    }

    fn reset_timestamps(&mut self) {
        self.timestamps_monotonic = true;
        self.newest_timestamp = i64::MIN;
    }

    /// Deletes every record before `offset` (Kafka's DeleteRecords); returns how many.
    /// `offset` must lie within `log_start..=high_watermark`. A stored batch that holds
    /// `offset` stays whole, with the log start inside it, as in Kafka.
    pub fn delete_before(&mut self, offset: i64) -> Result<u64, LogBounds> {
        if offset < self.log_start_offset || offset > self.high_watermark {
            return Err(self.bounds());
        }
        let n = (offset - self.log_start_offset) as u64;
        while let Some(front) = self.batches.front() {
            if front.end_offset() <= offset {
                self.pop_front_batch();
            } else if matches!(front, Stored::Compact(_)) && front.base_offset() < offset {
                self.pop_front_record();
            } else {
                break;
            }
        }
        self.deleted_total += (offset - self.log_start_offset) as u64;
        self.log_start_offset = offset;
        Ok(n)
    }

    /// Removes every record at or after `offset` (never before the log start), as an
    /// election cuts a log back to its new leader's end, and returns what went. Whole
    /// batches go from the end; the one `offset` falls inside is cut there: a compact batch
    /// shrinks, a stored batch is rewritten once as its kept records, uncompressed. A
    /// compressed batch that would decompress past [`MAX_LOOK_INSIDE_BYTES`] goes whole,
    /// so the end may then land below `offset`. The high watermark comes down with the
    /// end. The work is proportional to what is removed, plus that one batch.
    pub fn truncate_to(&mut self, offset: i64) -> Truncated {
        let offset = offset.max(self.log_start_offset);
        let (end_before, size_before) = (self.end_offset, self.size_bytes);
        while self.end_offset > offset {
            let Some(back) = self.batches.back_mut() else {
                break;
            };
            let base = back.base_offset();
            if base < offset && self.cut_inside_newest(offset) {
                break;
            }
            let back = self.batches.pop_back().expect("looked at above");
            self.size_bytes -= back.size_bytes();
            self.memory_bytes -= back.memory_bytes();
            self.end_offset = base;
        }
        if self.batches.is_empty() {
            // Nothing held reaches `offset`: the log starts afresh there, as Kafka's does.
            self.end_offset = self.end_offset.min(offset);
            self.reset_timestamps();
        }
        self.log_start_offset = self.log_start_offset.min(self.end_offset);
        self.high_watermark = self.high_watermark.min(self.end_offset);
        let cut = Truncated {
            records: (end_before - self.end_offset) as u64,
            // A compressed batch cut inside may grow: its kept records are stored plain.
            bytes: size_before.saturating_sub(self.size_bytes),
        };
        self.truncated_total += cut.records;
        cut
    }

    /// Cuts the newest batch, which holds `offset` past its first record, to end there.
    /// False if it cannot be cut (a stored batch too large to look into).
    fn cut_inside_newest(&mut self, offset: i64) -> bool {
        let Some(back) = self.batches.back_mut() else {
            return false;
        };
        let keep = (offset - back.base_offset()) as u32;
        let (size, memory) = (back.size_bytes(), back.memory_bytes());
        match back {
            Stored::Compact(b) => {
                b.truncate_to(offset);
            }
            Stored::Wire(b) => match b.prefix(keep, MAX_LOOK_INSIDE_BYTES) {
                Ok(prefix) => *b = prefix,
                Err(_) => return false,
            },
        }
        self.size_bytes = self.size_bytes + back.size_bytes() - size;
        self.memory_bytes = self.memory_bytes + back.memory_bytes() - memory;
        self.end_offset = offset;
        true
    }
}
