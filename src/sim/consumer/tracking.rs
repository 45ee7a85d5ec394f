//! Per group and partition bookkeeping for the at-least-once counters.
//!
//! Definitions, per group and partition:
//! - **consumed**: every record a member finished processing, repeats included.
//! - **duplicate**: a record processed at an offset the group had already processed since
//!   its last offset reset. The tracker keeps the high mark (one past the highest offset
//!   ever processed); a processed range `[a, b)` adds `min(b, mark) - a` duplicates when
//!   positive. Such repeats happen when a member crashed, or gave a partition up in a
//!   rebalance, after processing records it had not committed: the next owner starts from
//!   the committed offset.
//! - **lost**: a record deleted by retention before any member of the group fetched it.
//!   The frontier is one past the highest offset the group has fetched (or skipped by
//!   `auto_offset_reset = latest`); when the log start passes the frontier, the records
//!   between are lost. Tracking starts when the group first reads the partition, so
//!   records deleted before the group existed do not count.
//!
//! An offset reset restarts both marks at the reset target: a replay is not a duplicate.

use crate::broker::TopicPartition;

/// Counters and marks for one partition of one group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PartTrack {
    pub tp: TopicPartition,
    /// One past the highest offset processed; `None` before the first record.
    pub processed_mark: Option<i64>,
    /// One past the highest offset fetched or skipped; `None` until the group reads here.
    pub frontier: Option<i64>,
    pub consumed: u64,
    pub duplicates: u64,
    pub lost: u64,
}

impl PartTrack {
    pub(crate) fn new(tp: TopicPartition) -> Self {
        PartTrack {
            tp,
            processed_mark: None,
            frontier: None,
            consumed: 0,
            duplicates: 0,
            lost: 0,
        }
    }

    /// Records that `[from, to)` was processed; returns how many of them were repeats.
    pub(crate) fn processed(&mut self, from: i64, to: i64) -> u64 {
        debug_assert!(from <= to);
        let dup = self
            .processed_mark
            .map_or(0, |mark| (mark.min(to) - from).max(0) as u64);
        self.processed_mark = Some(self.processed_mark.map_or(to, |m| m.max(to)));
        self.consumed += (to - from) as u64;
        self.duplicates += dup;
        dup
    }

    /// Records that the group has fetched (or deliberately skipped) up to `upto`.
    pub(crate) fn reached(&mut self, upto: i64) {
        self.frontier = Some(self.frontier.map_or(upto, |f| f.max(upto)));
    }

    /// Counts records the log start has overtaken; returns how many were newly lost.
    pub(crate) fn retention_moved(&mut self, log_start: i64) -> u64 {
        match self.frontier {
            Some(f) if log_start > f => {
                self.frontier = Some(log_start);
                let n = (log_start - f) as u64;
                self.lost += n;
                n
            }
            _ => 0,
        }
    }

    /// The log was cut back to `to`: offsets from there are new records.
    pub(crate) fn truncated(&mut self, to: i64) {
        self.processed_mark = self.processed_mark.map(|m| m.min(to));
        self.frontier = self.frontier.map(|f| f.min(to));
    }

    /// An offset reset to `target`: history before it is neither repeated nor lost.
    pub(crate) fn reset_to(&mut self, target: i64) {
        self.processed_mark = Some(target);
        self.frontier = Some(target);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn track() -> PartTrack {
        PartTrack::new(TopicPartition::new("t", 0))
    }

    #[test]
    fn repeats_below_the_mark_are_duplicates() {
        let mut t = track();
        assert_eq!(t.processed(0, 10), 0);
        assert_eq!(t.processed(7, 12), 3);
        assert_eq!(t.processed(12, 15), 0);
        assert_eq!((t.consumed, t.duplicates), (18, 3));
    }

    #[test]
    fn a_reset_is_not_a_duplicate() {
        let mut t = track();
        t.processed(0, 10);
        t.reset_to(0);
        assert_eq!(t.processed(0, 10), 0);
        assert_eq!(t.duplicates, 0);
    }

    #[test]
    fn retention_past_the_frontier_is_lost() {
        let mut t = track();
        assert_eq!(t.retention_moved(5), 0, "not reading yet: nothing counts");
        t.reached(10);
        assert_eq!(t.retention_moved(8), 0, "fetched records are not lost");
        assert_eq!(t.retention_moved(14), 4);
        assert_eq!(t.retention_moved(14), 0);
        assert_eq!(t.lost, 4);
    }
}
