//! Records a producer could not send yet: refused by their partition, or sent back after
//! an election. Kept as counts by age, never as records, so a partition that stays offline
//! for an hour costs a few buckets, not an hour of records.

use std::collections::VecDeque;

/// How many age buckets a delivery timeout is split into: records expire at most this
/// fraction of the timeout late.
const BUCKETS_PER_TIMEOUT: i64 = 16;

/// The longest wait between retries, as Kafka's `retry.backoff.max.ms`.
const MAX_RETRY_BACKOFF_MS: i64 = 1_000;

/// One partition's records waiting to be sent, oldest first.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Backlog {
    /// (time the oldest record in the bucket was first sent, records).
    buckets: VecDeque<(i64, u64)>,
    /// The next attempt.
    pub retry_at_ms: i64,
    attempts: u32,
    /// The error of the last refusal: what records that expire failed with.
    pub last_error: &'static str,
}

impl Backlog {
    /// A backlog of `records` first sent at `now`, refused with `error`.
    pub(crate) fn new(now: i64, records: u64, error: &'static str, backoff_ms: i64) -> Self {
        let mut b = Backlog {
            buckets: VecDeque::new(),
            retry_at_ms: now,
            attempts: 0,
            last_error: error,
        };
        b.add(now, records, i64::MAX);
        b.refused(now, error, backoff_ms);
        b
    }

    /// Records waiting.
    pub(crate) fn records(&self) -> u64 {
        self.buckets.iter().map(|(_, n)| n).sum()
    }

    /// Adds `records` sent at `now`; they share the newest bucket if it is younger than
    /// a bucket's span of `timeout_ms`.
    pub(crate) fn add(&mut self, now: i64, records: u64, timeout_ms: i64) {
        let span = (timeout_ms / BUCKETS_PER_TIMEOUT).max(1);
        match self.buckets.back_mut() {
            Some((since, n)) if now - *since < span => *n += records,
            _ => self.buckets.push_back((now, records)),
        }
    }

    /// Another refusal: wait twice as long as last time (from `backoff_ms`, at most a
    /// second), as Kafka's producer does.
    pub(crate) fn refused(&mut self, now: i64, error: &'static str, backoff_ms: i64) {
        let wait = backoff_ms
            .saturating_mul(1 << self.attempts.min(16))
            .min(MAX_RETRY_BACKOFF_MS.max(backoff_ms));
        self.attempts += 1;
        self.retry_at_ms = now + wait;
        self.last_error = error;
    }

    /// Takes the records older than `timeout_ms` at `now`: they failed.
    pub(crate) fn expire(&mut self, now: i64, timeout_ms: i64) -> u64 {
        let mut expired = 0;
        while let Some(&(since, n)) = self.buckets.front() {
            if now - since < timeout_ms {
                break;
            }
            expired += n;
            self.buckets.pop_front();
        }
        expired
    }

    /// Takes every bucket, oldest first, to send.
    pub(crate) fn drain(&mut self) -> impl Iterator<Item = (i64, u64)> + '_ {
        self.buckets.drain(..)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_up_to_a_second() {
        let mut b = Backlog::new(0, 1, "E", 100);
        assert_eq!(b.retry_at_ms, 100);
        let waits: Vec<i64> = (0..5)
            .map(|_| {
                b.refused(0, "E", 100);
                b.retry_at_ms
            })
            .collect();
        assert_eq!(waits, [200, 400, 800, 1000, 1000]);
    }

    #[test]
    fn records_expire_by_age_in_a_bounded_number_of_buckets() {
        let mut b = Backlog::new(0, 5, "E", 100);
        for t in (10..=16_000).step_by(10) {
            b.add(t, 1, 16_000);
        }
        assert!(b.buckets.len() <= 17, "{}", b.buckets.len());
        assert_eq!(b.records(), 5 + 1600);
        let gone = b.expire(16_000, 16_000);
        assert!((5..=5 + 100).contains(&gone), "{gone}");
        assert_eq!(b.expire(40_000, 16_000), 1605 - gone);
        assert!(b.is_empty());
    }
}
