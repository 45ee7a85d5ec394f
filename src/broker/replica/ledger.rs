//! Which producers' records a partition holds that are not yet on every replica, and how
//! each was (or will be) answered: what an election that cuts the log needs to count the
//! acknowledged records it loses, and what `acks=all` needs to be answered when the high
//! watermark passes.
//!
//! The ledger is compact: one range per run of consecutive records from one producer with
//! one `acks`, merged as records arrive, trimmed from the front once every replica has
//! them. Records sent with `acks=0` are never answered, so never entered.

use std::collections::VecDeque;

use crate::broker::produce::{Acks, ProducerId};

/// How the records of a range were or will be answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    /// `acks=1`: acknowledged when the leader appended them.
    Leader,
    /// `acks=all`: acknowledged once the high watermark passes them.
    All,
    /// `acks=all`, but the ISR had shrunk below `min.insync.replicas` when the high
    /// watermark passed: answered NOT_ENOUGH_REPLICAS_AFTER_APPEND, so not acknowledged.
    Refused,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Range {
    base: i64,
    count: u32,
    producer: ProducerId,
    answer: Answer,
}

impl Range {
    fn end(&self) -> i64 {
        self.base + i64::from(self.count)
    }
}

/// Where the ledger reports what happened to producers' records.
pub(crate) trait AckSink {
    /// `records` sent with `acks=all` were acknowledged: the high watermark passed them.
    fn acknowledged(&mut self, producer: ProducerId, records: u64);
    /// `records` were answered with an error after all, or cut before they were answered:
    /// the producer sends them again.
    fn retry(&mut self, producer: ProducerId, records: u64);
    /// `records` that had been acknowledged were cut from the log.
    fn lost(&mut self, producer: ProducerId, records: u64);
}

/// See the module docs.
#[derive(Debug, Clone, Default)]
pub(crate) struct AckLedger {
    ranges: VecDeque<Range>,
    /// Records of `acks=all` below this have been answered: the high watermark when the
    /// ledger was last settled.
    settled_to: i64,
}

impl AckLedger {
    /// Enters the record at `offset`, appended for `producer` with `acks`.
    #[cfg(test)]
    pub(crate) fn record(&mut self, offset: i64, producer: ProducerId, acks: Acks) {
        self.record_run(offset, 1, producer, acks);
    }

    /// Enters `count` consecutive records from `base`, appended for `producer` with `acks`.
    pub(crate) fn record_run(&mut self, base: i64, count: u64, producer: ProducerId, acks: Acks) {
        let answer = match acks {
            Acks::None => return,
            Acks::Leader => Answer::Leader,
            Acks::All => Answer::All,
        };
        let (mut base, mut left) = (base, count);
        if let Some(last) = self.ranges.back_mut()
            && last.producer == producer
            && last.answer == answer
            && last.end() == base
        {
            let room = u64::from(u32::MAX - last.count).min(left);
            last.count += room as u32;
            base += room as i64;
            left -= room;
        }
        while left > 0 {
            let n = left.min(u64::from(u32::MAX));
            self.ranges.push_back(Range {
                base,
                count: n as u32,
                producer,
                answer,
            });
            base += n as i64;
            left -= n;
        }
    }

    /// Ranges held: the ledger's memory.
    pub(crate) fn len(&self) -> usize {
        self.ranges.len()
    }

    /// Records below `hw` count as answered already (appends acknowledged on the spot).
    pub(crate) fn settled_up_to(&mut self, hw: i64) {
        self.settled_to = self.settled_to.max(hw);
    }

    /// The high watermark reached `hw`: `acks=all` records below it are answered, with an
    /// acknowledgement if `isr_ok` (the ISR is at least `min.insync.replicas`), else with
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND.
    pub(crate) fn settle(&mut self, hw: i64, isr_ok: bool, sink: &mut impl AckSink) {
        let from = self.settled_to;
        if hw <= from {
            return;
        }
        let mut i = self.ranges.partition_point(|r| r.end() <= from);
        while let Some(&r) = self.ranges.get(i) {
            if r.base >= hw {
                break;
            }
            if r.answer == Answer::All {
                let (lo, hi) = (r.base.max(from), r.end().min(hw));
                if isr_ok {
                    sink.acknowledged(r.producer, (hi - lo) as u64);
                } else {
                    sink.retry(r.producer, (hi - lo) as u64);
                    i = self.mark_refused(i, lo, hi);
                }
            }
            i += 1;
        }
        self.settled_to = hw;
    }

    /// Splits range `i` so that `lo..hi` is `Refused`; returns the index of that piece.
    fn mark_refused(&mut self, i: usize, lo: i64, hi: i64) -> usize {
        let r = self.ranges[i];
        let piece = |base: i64, end: i64, answer| Range {
            base,
            count: (end - base) as u32,
            producer: r.producer,
            answer,
        };
        let mut at = i;
        self.ranges[i] = piece(lo, hi, Answer::Refused);
        if r.base < lo {
            self.ranges.insert(i, piece(r.base, lo, Answer::All));
            at += 1;
        }
        if hi < r.end() {
            self.ranges.insert(at + 1, piece(hi, r.end(), Answer::All));
        }
        at
    }

    /// Every replica has the records below `offset` (or retention removed them): they can
    /// no longer be cut, so they leave the ledger.
    pub(crate) fn trim(&mut self, offset: i64) {
        while let Some(front) = self.ranges.front_mut() {
            if front.end() <= offset {
                self.ranges.pop_front();
            } else {
                if front.base < offset {
                    front.count = (front.end() - offset) as u32;
                    front.base = offset;
                }
                break;
            }
        }
    }

    /// The log was cut to `end`. Acknowledged records in the cut are lost; records not yet
    /// answered go back to their producers. Returns the acknowledged records lost.
    pub(crate) fn truncate(&mut self, end: i64, sink: &mut impl AckSink) -> u64 {
        let mut lost = 0;
        while let Some(last) = self.ranges.back_mut() {
            if last.end() <= end {
                break;
            }
            let lo = last.base.max(end);
            let (acked, unanswered) = match last.answer {
                Answer::Leader => (last.end() - lo, 0),
                Answer::All => {
                    let split = self.settled_to.clamp(lo, last.end());
                    (split - lo, last.end() - split)
                }
                Answer::Refused => (0, 0),
            };
            if acked > 0 {
                sink.lost(last.producer, acked as u64);
                lost += acked as u64;
            }
            if unanswered > 0 {
                sink.retry(last.producer, unanswered as u64);
            }
            if last.base >= end {
                self.ranges.pop_back();
            } else {
                last.count = (end - last.base) as u32;
            }
        }
        self.settled_to = self.settled_to.min(end);
        lost
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;

    #[derive(Default, Debug, PartialEq)]
    struct Tally(BTreeMap<(u32, &'static str), u64>);

    impl AckSink for Tally {
        fn acknowledged(&mut self, p: ProducerId, n: u64) {
            *self.0.entry((p.0, "acked")).or_default() += n;
        }
        fn retry(&mut self, p: ProducerId, n: u64) {
            *self.0.entry((p.0, "retry")).or_default() += n;
        }
        fn lost(&mut self, p: ProducerId, n: u64) {
            *self.0.entry((p.0, "lost")).or_default() += n;
        }
    }

    fn get(t: &Tally, p: u32, what: &'static str) -> u64 {
        t.0.get(&(p, what)).copied().unwrap_or(0)
    }

    #[test]
    fn runs_from_one_producer_merge() {
        let mut l = AckLedger::default();
        for o in 0..10 {
            l.record(o, ProducerId(1), Acks::All);
        }
        l.record(10, ProducerId(2), Acks::All);
        l.record(11, ProducerId(1), Acks::All);
        l.record(12, ProducerId(1), Acks::None);
        l.record(13, ProducerId(1), Acks::All);
        assert_eq!(l.len(), 4);
    }

    #[test]
    fn the_high_watermark_acknowledges_acks_all() {
        let mut l = AckLedger::default();
        let mut t = Tally::default();
        for o in 0..10 {
            l.record(
                o,
                ProducerId(1),
                if o < 5 { Acks::Leader } else { Acks::All },
            );
        }
        l.settle(8, true, &mut t);
        assert_eq!(get(&t, 1, "acked"), 3, "offsets 5, 6, 7");
        l.settle(8, true, &mut t);
        l.settle(10, true, &mut t);
        assert_eq!(get(&t, 1, "acked"), 5);
        l.trim(10);
        assert_eq!(l.len(), 0);
    }

    #[test]
    fn a_cut_loses_what_was_acknowledged_and_returns_the_rest() {
        let mut l = AckLedger::default();
        let mut t = Tally::default();
        for o in 0..20 {
            let (p, acks) = if o % 2 == 0 {
                (1, Acks::Leader)
            } else {
                (2, Acks::All)
            };
            l.record(o, ProducerId(p), acks);
        }
        l.settle(12, true, &mut t);
        // Cut at 8: producer 1 loses its 6 acks=1 records; producer 2's 11 and 9 were
        // acknowledged (below 12) and lost, its 13..19 go back to be sent again.
        assert_eq!(l.truncate(8, &mut t), 6 + 2);
        assert_eq!(get(&t, 1, "lost"), 6);
        assert_eq!(get(&t, 2, "lost"), 2);
        assert_eq!(get(&t, 2, "retry"), 4);
        // Settling again from the cut acknowledges only new records.
        l.record(8, ProducerId(2), Acks::All);
        l.settle(9, true, &mut t);
        assert_eq!(get(&t, 2, "acked"), 6 + 1);
    }

    #[test]
    fn too_few_in_sync_replicas_refuse_after_append() {
        let mut l = AckLedger::default();
        let mut t = Tally::default();
        for o in 0..10 {
            l.record(o, ProducerId(3), Acks::All);
        }
        l.settle(2, true, &mut t);
        l.settle(6, false, &mut t);
        assert_eq!((get(&t, 3, "acked"), get(&t, 3, "retry")), (2, 4));
        // A cut below the refused records counts them neither lost nor to retry again.
        l.truncate(0, &mut t);
        assert_eq!(get(&t, 3, "lost"), 2);
        assert_eq!(get(&t, 3, "retry"), 4 + 4);
    }
}
