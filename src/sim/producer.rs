//! Simulated producers: records at a steady rate, keyed by a distribution, partitioned the
//! way a real client would, sent with `acks` and retried as a client does.
//!
//! A record whose partition refuses it (offline: LEADER_NOT_AVAILABLE; too few in sync for
//! `acks=all`: NOT_ENOUGH_REPLICAS) joins that partition's backlog, and so do the records
//! after it, keeping the partition's order. The backlog is retried after
//! `retry_backoff_ms`, doubling up to a second; records older than
//! `delivery_timeout_ms` fail. Records an election cut before they were acknowledged come
//! back from the broker and are sent again. Counted per producer: sent, acknowledged,
//! failed (by error), acknowledged then lost.

mod backlog;

use std::collections::BTreeMap;

use std::sync::Arc;

use bytes::Bytes;
use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, Zipf};

use crate::broker::{
    Acks, Broker, KeyHasher, MAX_SIMULATED_VALUE_BYTES, NullKeyStrategy, Partitioner, ProducerId,
    RecordSource, TopicAppender,
};

use super::scenario::{KeyDistribution, ProducerSpec};
use backlog::Backlog;

// Every value a scenario may ask for fits the broker's compact batches.
const _: () = assert!(super::limits::MAX_VALUE_BYTES <= MAX_SIMULATED_VALUE_BYTES);

/// Roughly one 16 KiB producer batch: how many keyless records stay on one partition.
const STICKY_BATCH_BYTES: usize = 16 * 1024;

/// What the UI shows about one producer.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerInfo {
    /// Stable id: creation order, never reused.
    pub id: usize,
    /// Its name, `PREFIX-N`.
    pub name: String,
    /// The topic it writes.
    pub topic: String,
    /// Records per simulated second.
    pub rate: f64,
    /// How it picks keys.
    pub keys: KeyDistribution,
    /// How many distinct keys.
    pub key_count: u32,
    /// The zipf exponent; only meaningful with [`KeyDistribution::Zipf`].
    pub zipf_s: f64,
    /// How keys choose partitions.
    pub partitioner: KeyHasher,
    /// Records appended so far (a record sent again after an election counts again).
    pub produced: u64,
    /// False once removed; a removed producer stays listed with its count.
    pub active: bool,
    /// When it is answered.
    pub acks: Acks,
    /// Records the application handed to the producer.
    pub sent: u64,
    /// Records acknowledged (never, with `acks=0`).
    pub acked: u64,
    /// Records given up after `delivery_timeout_ms`.
    pub failed: u64,
    /// `failed` by the last error each record met, by Kafka's name for it.
    pub failed_by: BTreeMap<&'static str, u64>,
    /// Acknowledged records an election later cut from the log.
    pub acked_lost: u64,
    /// Records waiting to be sent (again).
    pub backlog: u64,
}

impl ProducerInfo {
    /// A short description of the key distribution, as `zipf(16, s=1.1)`.
    pub fn keys_label(&self) -> String {
        match self.keys {
            KeyDistribution::None => "none".to_string(),
            KeyDistribution::Zipf => format!("zipf({}, s={})", self.key_count, self.zipf_s),
            k => format!("{}({})", k.label(), self.key_count),
        }
    }
}

/// Turns a rate into whole records without drift: the number due is recomputed from the
/// time elapsed since the rate was set, so rounding never accumulates.
#[derive(Debug, Clone, Default)]
pub(crate) struct RateClock {
    /// The fraction of a record left over when the rate last changed.
    carried: f64,
    elapsed_ms: i64,
    emitted: u64,
}

impl RateClock {
    /// Whole records due after `dt_ms` more at `rate` per second.
    pub(crate) fn advance(&mut self, rate: f64, dt_ms: i64) -> u64 {
        self.elapsed_ms += dt_ms;
        // The epsilon absorbs float error in products such as 0.1 × 30 000, which should
        // give exactly 3 000 records.
        let total = (self.carried + rate * self.elapsed_ms as f64 / 1000.0 + 1e-9).floor();
        let total = total.max(0.0) as u64;
        let due = total.saturating_sub(self.emitted);
        self.emitted += due;
        due
    }

    /// Keeps the partial record across a rate change.
    pub(crate) fn rebase(&mut self, old_rate: f64) {
        let exact = self.carried + old_rate * self.elapsed_ms as f64 / 1000.0;
        self.carried = (exact - self.emitted as f64).clamp(0.0, 1.0 - f64::EPSILON);
        self.elapsed_ms = 0;
        self.emitted = 0;
    }
}

/// A producer's private state.
#[derive(Debug)]
pub(crate) struct ProducerActor {
    rng: StdRng,
    /// The keys and value size the log's compact batches refer to.
    source: Arc<RecordSource>,
    /// The partition of each key for `cached_partitions`, so hashing happens once per key.
    key_partitions: Vec<u32>,
    cached_partitions: u32,
    partitioner: Partitioner,
    zipf: Option<Zipf<f64>>,
    kind: KeyDistribution,
    next_sequential: usize,
    clock: RateClock,
    acks: Acks,
    retry_backoff_ms: i64,
    delivery_timeout_ms: i64,
    /// Refused partitions' records, by partition.
    backlogs: BTreeMap<u32, Backlog>,
    /// A key of each partition, for records sent again; built on the first retry.
    partition_keys: Option<Vec<Option<u32>>>,
}

impl ProducerActor {
    pub(crate) fn new(spec: &ProducerSpec, rng: StdRng) -> Self {
        let keys = match spec.keys {
            KeyDistribution::None => Vec::new(),
            _ => (0..spec.key_count)
                .map(|i| Bytes::from(format!("key-{i}")))
                .collect(),
        };
        let zipf = (spec.keys == KeyDistribution::Zipf)
            .then(|| Zipf::new(f64::from(spec.key_count), spec.zipf_s).ok())
            .flatten();
        let sticky = (STICKY_BATCH_BYTES / spec.value_bytes.max(1)).clamp(1, 1000) as u32;
        ProducerActor {
            rng,
            source: Arc::new(RecordSource::new(keys, spec.value_bytes)),
            key_partitions: Vec::new(),
            cached_partitions: 0,
            partitioner: Partitioner::new(spec.partitioner, NullKeyStrategy::Sticky, sticky),
            zipf,
            kind: spec.keys,
            next_sequential: 0,
            clock: RateClock::default(),
            acks: spec.acks,
            retry_backoff_ms: spec.retry_backoff_ms,
            delivery_timeout_ms: spec.delivery_timeout_ms,
            backlogs: BTreeMap::new(),
            partition_keys: None,
        }
    }

    pub(crate) fn rebase(&mut self, old_rate: f64) {
        self.clock.rebase(old_rate);
    }

    /// Frees what only a running producer needs: a stopped one stays listed, but its keys
    /// no longer count against the limits.
    pub(crate) fn retire(&mut self) {
        self.source = Arc::new(RecordSource::new(Vec::new(), 0));
        self.key_partitions = Vec::new();
        self.cached_partitions = 0;
        self.partition_keys = None;
    }

    fn next_key(&mut self) -> Option<usize> {
        let n = self.source.keys().len();
        if n == 0 {
            return None;
        }
        Some(match (self.kind, &self.zipf) {
            (KeyDistribution::Zipf, Some(z)) => (z.sample(&mut self.rng) as usize).clamp(1, n) - 1,
            (KeyDistribution::Sequential, _) => {
                let k = self.next_sequential % n;
                self.next_sequential = (self.next_sequential + 1) % n;
                k
            }
            _ => self.rng.random_range(0..n),
        })
    }

    /// The next record's key number (0 when keyless) and the partition of `partitions`
    /// it goes to.
    fn next_record(&mut self, partitions: u32) -> (u32, u32) {
        match self.next_key() {
            Some(k) => (self.key_partitions[k], k as u32),
            None => (
                self.partitioner.partition(None, partitions, &mut self.rng),
                0,
            ),
        }
    }

    /// Sends the records due in the next `dt_ms`, stamped `now`, straight into their
    /// partitions (no buffer per partition, so a producer on a wide topic costs no more
    /// than one on a narrow one), after retrying what is due from the backlogs. Returns
    /// how many records were appended.
    pub(crate) fn tick(
        &mut self,
        info: &mut ProducerInfo,
        broker: &mut Broker,
        now: i64,
        dt_ms: i64,
    ) -> u64 {
        let due = if info.active {
            self.clock.advance(info.rate, dt_ms)
        } else {
            0
        };
        let id = ProducerId(info.id as u32);
        for (tp, n) in broker.take_resends(id) {
            if tp.topic == info.topic {
                self.hold(tp.partition, now, n, "NOT_LEADER_OR_FOLLOWER");
            }
        }
        let appended = if due > 0 || !self.backlogs.is_empty() {
            self.send(info, broker, now, due)
        } else {
            0
        };
        info.backlog = self.backlogs.values().map(Backlog::records).sum();
        appended
    }

    /// Takes what the broker told this producer: acknowledgements, and acknowledged
    /// records lost. Called after replication, which acknowledges `acks=all` records.
    pub(crate) fn hear_back(info: &mut ProducerInfo, broker: &Broker) {
        if let Some(t) = broker.producer_tally(ProducerId(info.id as u32)) {
            (info.acked, info.acked_lost) = (t.acked, t.acked_lost);
        }
    }

    fn send(&mut self, info: &mut ProducerInfo, broker: &mut Broker, now: i64, due: u64) -> u64 {
        let Some(partitions) = broker.topic(&info.topic).map(|t| t.partition_count()) else {
            // The topic was deleted under us (by a network client): nothing to write to.
            return 0;
        };
        if partitions != self.cached_partitions {
            self.cached_partitions = partitions;
            self.partition_keys = None;
            self.key_partitions = (self.source.keys().iter())
                .map(|k| info.partitioner.partition(k, partitions))
                .collect();
        }
        let id = ProducerId(info.id as u32);
        let Ok(mut app) = broker.appender(&info.topic, self.acks, id, now) else {
            return 0;
        };
        let mut appended = self.retry(info, &mut app, now);
        let source = Arc::clone(&self.source);
        for _ in 0..due {
            let (p, key) = self.next_record(partitions);
            info.sent += 1;
            if let Some(b) = self.backlogs.get_mut(&p) {
                b.add(now, 1, self.delivery_timeout_ms);
                continue;
            }
            match app.check(p) {
                Ok(()) => {
                    app.append_simulated(p, &source, now, key);
                    appended += 1;
                }
                Err(refusal) => self.hold(p, now, 1, refusal.name()),
            }
        }
        info.produced += appended;
        appended
    }

    /// Puts `records` for `partition` in its backlog, refused with `error`.
    fn hold(&mut self, partition: u32, now: i64, records: u64, error: &'static str) {
        let (backoff, timeout) = (self.retry_backoff_ms, self.delivery_timeout_ms);
        match self.backlogs.get_mut(&partition) {
            Some(b) => {
                b.add(now, records, timeout);
                b.last_error = error;
            }
            None => {
                let b = Backlog::new(now, records, error, backoff);
                self.backlogs.insert(partition, b);
            }
        }
    }

    /// Fails what outlived the delivery timeout, then retries each backlog whose time has
    /// come. Returns the records appended.
    fn retry(&mut self, info: &mut ProducerInfo, app: &mut TopicAppender<'_>, now: i64) -> u64 {
        if self.backlogs.is_empty() {
            return 0;
        }
        let timeout = self.delivery_timeout_ms;
        self.backlogs.retain(|_, b| {
            let failed = b.expire(now, timeout);
            if failed > 0 {
                info.failed += failed;
                *info.failed_by.entry(b.last_error).or_default() += failed;
            }
            !b.is_empty()
        });
        let due: Vec<u32> = (self.backlogs.iter())
            .filter(|(_, b)| b.retry_at_ms <= now)
            .map(|(p, _)| *p)
            .collect();
        let mut appended = 0;
        for p in due {
            match app.check(p) {
                Ok(()) => {
                    let mut backlog = self.backlogs.remove(&p).expect("listed as due");
                    let (source, key) = (Arc::clone(&self.source), self.partition_key(p));
                    for (since, n) in backlog.drain() {
                        for _ in 0..n {
                            app.append_simulated(p, &source, since, key);
                        }
                        appended += n;
                    }
                }
                Err(refusal) => {
                    let backoff = self.retry_backoff_ms;
                    let b = self.backlogs.get_mut(&p).expect("listed as due");
                    b.refused(now, refusal.name(), backoff);
                }
            }
        }
        appended
    }

    /// The key number of a record for `partition` sent again (no payload is kept for
    /// records waiting, so any of its keys stands in; 0 when keyless).
    fn partition_key(&mut self, partition: u32) -> u32 {
        let key_partitions = &self.key_partitions;
        let by_partition = self.partition_keys.get_or_insert_with(|| {
            let mut first = vec![None; self.cached_partitions as usize];
            for (k, &p) in key_partitions.iter().enumerate().rev() {
                first[p as usize] = Some(k as u32);
            }
            first
        });
        (by_partition.get(partition as usize).copied().flatten()).unwrap_or(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_clock_does_not_drift() {
        let mut c = RateClock::default();
        let total: u64 = (0..100_000).map(|_| c.advance(0.3, 10)).sum();
        assert_eq!(total, 300); // 0.3/s for 1000 s
        let mut c = RateClock::default();
        let total: u64 = (0..1000).map(|_| c.advance(15.0, 10)).sum();
        assert_eq!(total, 150);
    }

    #[test]
    fn rate_change_keeps_the_fraction() {
        let mut c = RateClock::default();
        let a: u64 = (0..5).map(|_| c.advance(10.0, 10)).sum(); // 0.5 records owed
        assert_eq!(a, 0);
        c.rebase(10.0);
        let b: u64 = (0..5).map(|_| c.advance(10.0, 10)).sum();
        assert_eq!(b, 1, "the half record carried over completes");
    }
}
