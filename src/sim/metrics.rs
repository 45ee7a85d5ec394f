//! Rates and lag history for the UI's charts, and the windows the lag verdicts are judged
//! on, sampled once per simulated second into fixed-size ring buffers, so memory stays
//! flat however long the simulation runs. A sample costs the same whatever the logs hold:
//! a record's timestamp is read by offset, never by walking a log.

use std::collections::{BTreeMap, VecDeque};

use crate::broker::{Broker, PartitionLog, TopicPartition};

use super::consumer::GroupSim;
use super::lag::{DEFAULT_WINDOW, LagSample, PartitionLagHistory};
use super::moment::Moment;
use super::scenario::AutoOffsetReset;

/// How often metrics are sampled, in simulated milliseconds.
pub const SAMPLE_INTERVAL_MS: i64 = 1_000;
/// Samples kept per series: ten simulated minutes at one per second.
pub const HISTORY_CAPACITY: usize = 600;
/// Samples (and commits) per partition the lag verdicts are judged on: Burrow's default
/// window, here ten simulated seconds of samples.
pub const VERDICT_WINDOW: usize = DEFAULT_WINDOW;

/// A fixed-capacity series: pushing onto a full ring drops the oldest sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Ring<T> {
    buf: VecDeque<T>,
    capacity: usize,
}

impl<T: Copy> Ring<T> {
    /// An empty ring keeping at most `capacity` samples (at least one).
    pub fn new(capacity: usize) -> Self {
        Ring {
            buf: VecDeque::with_capacity(capacity),
            capacity: capacity.max(1),
        }
    }
    /// Appends a sample, dropping the oldest when full.
    pub fn push(&mut self, value: T) {
        if self.buf.len() == self.capacity {
            self.buf.pop_front();
        }
        self.buf.push_back(value);
    }
    /// Samples held.
    pub fn len(&self) -> usize {
        self.buf.len()
    }
    /// Whether no sample was taken yet.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }
    /// The most samples it keeps.
    pub fn capacity(&self) -> usize {
        self.capacity
    }
    /// The newest sample.
    pub fn last(&self) -> Option<T> {
        self.buf.back().copied()
    }
    /// Oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = T> + ExactSizeIterator + '_ {
        self.buf.iter().copied()
    }
}

/// One partition's produce rate.
#[derive(Debug, Clone)]
pub struct PartitionMetrics {
    last_hw: i64,
    /// Records appended in the last sampled second.
    pub rate: f64,
    /// Its rate, one sample per second.
    pub history: Ring<f64>,
}

/// A topic's produce rate, total and per partition.
#[derive(Debug, Clone)]
pub struct TopicMetrics {
    /// Records appended in the last sampled second, all partitions.
    pub rate: f64,
    /// That rate, one sample per second.
    pub history: Ring<f64>,
    /// Each partition's rate, by index.
    pub partitions: Vec<PartitionMetrics>,
}

/// A group's consume rate and lag.
#[derive(Debug, Clone)]
pub struct GroupMetrics {
    last_consumed: u64,
    /// Records processed in the last sampled second.
    pub rate: f64,
    /// That rate, one sample per second.
    pub rate_history: Ring<f64>,
    /// Total lag over the group's partitions, one sample per second.
    pub lag_history: Ring<i64>,
    /// The age of the group's oldest unprocessed record, in ms, one sample per second.
    pub time_lag_history: Ring<i64>,
    /// Lag per partition, one sample per second.
    pub partition_lag: BTreeMap<TopicPartition, Ring<i64>>,
    /// The last [`VERDICT_WINDOW`] samples per partition, for the verdicts.
    windows: BTreeMap<TopicPartition, PartitionLagHistory>,
}

/// Where a group stands on one partition when it is sampled.
struct Position {
    committed: Option<i64>,
    lag: i64,
    time_lag: Option<i64>,
}

impl GroupMetrics {
    fn sample_lag(
        &mut self,
        broker: &Broker,
        group: &str,
        topics: &[String],
        reset: AutoOffsetReset,
        at: Moment,
    ) {
        let (mut total, mut oldest) = (0, 0);
        for tp in subscribed_partitions(broker, topics) {
            let Ok(log) = broker.partition(&tp.topic, tp.partition) else {
                continue;
            };
            let committed = broker.committed_offset(group, &tp);
            let pos = position(log, committed, reset, at.record_ms());
            total += pos.lag;
            if !self.windows.contains_key(&tp) {
                let window =
                    PartitionLagHistory::for_partition(&tp.topic, tp.partition, VERDICT_WINDOW);
                self.windows.insert(tp.clone(), window);
            }
            let window = self.windows.get_mut(&tp).expect("just ensured");
            window.push(LagSample {
                at_ms: at.now_ms,
                log_start: log.log_start_offset(),
                high_watermark: log.high_watermark(),
                committed: pos.committed,
            });
            // A record retention deleted cannot be read: estimate from the samples.
            let time_lag = pos.time_lag.or_else(|| window.time_lag_ms(None));
            oldest = oldest.max(time_lag.unwrap_or(0));
            match self.partition_lag.get_mut(&tp) {
                Some(ring) => ring.push(pos.lag),
                None => {
                    let mut ring = Ring::new(HISTORY_CAPACITY);
                    ring.push(pos.lag);
                    self.partition_lag.insert(tp, ring);
                }
            }
        }
        self.lag_history.push(total);
        self.time_lag_history.push(oldest);
    }

    /// The verdict window of one partition, once sampled.
    pub fn window(&self, tp: &TopicPartition) -> Option<&PartitionLagHistory> {
        self.windows.get(tp)
    }
}

/// Where a group stands on a partition; `record_now` is the records' clock, which the
/// record at its position is aged against.
fn position(
    log: &PartitionLog,
    committed: Option<i64>,
    reset: AutoOffsetReset,
    record_now: i64,
) -> Position {
    let lag = lag_from(log, committed, reset);
    Position {
        committed,
        lag,
        time_lag: exact_time_lag(log, committed, lag, record_now),
    }
}

/// The age at `now` of the oldest record a group has not processed, read from the log by
/// offset: the record at the committed offset, or before a commit at the log start. `None`
/// when that record is gone (retention deleted it before the group read it).
pub fn exact_time_lag(
    log: &PartitionLog,
    committed: Option<i64>,
    lag: i64,
    now: i64,
) -> Option<i64> {
    if lag <= 0 {
        return Some(0);
    }
    let next = committed.unwrap_or(log.log_start_offset());
    log.get(next).map(|r| (now - r.timestamp_ms()).max(0))
}

/// The group's metrics, created on first sight. Looks up before inserting so a steady
/// state allocates no key strings.
fn group_entry<'m>(
    groups: &'m mut BTreeMap<String, GroupMetrics>,
    name: &str,
) -> &'m mut GroupMetrics {
    if !groups.contains_key(name) {
        groups.insert(
            name.to_string(),
            GroupMetrics {
                last_consumed: 0,
                rate: 0.0,
                rate_history: Ring::new(HISTORY_CAPACITY),
                lag_history: Ring::new(HISTORY_CAPACITY),
                time_lag_history: Ring::new(HISTORY_CAPACITY),
                partition_lag: BTreeMap::new(),
                windows: BTreeMap::new(),
            },
        );
    }
    groups.get_mut(name).expect("just ensured")
}

/// Everything the charts draw.
#[derive(Debug, Clone, Default)]
pub struct Metrics {
    topics: BTreeMap<String, TopicMetrics>,
    groups: BTreeMap<String, GroupMetrics>,
    samples: u64,
}

/// A group's lag on one partition. Before its first commit the group would start per
/// `auto_offset_reset`: at the log start (everything is lag) or at the end (none is).
pub fn partition_lag(
    broker: &Broker,
    group: &str,
    tp: &TopicPartition,
    reset: AutoOffsetReset,
) -> (Option<i64>, i64) {
    let Ok(log) = broker.partition(&tp.topic, tp.partition) else {
        return (None, 0);
    };
    let committed = broker.committed_offset(group, tp);
    (committed, lag_from(log, committed, reset))
}

fn lag_from(log: &PartitionLog, committed: Option<i64>, reset: AutoOffsetReset) -> i64 {
    let hw = log.high_watermark();
    match committed {
        Some(c) => hw - c,
        None => match reset {
            AutoOffsetReset::Earliest => hw - log.log_start_offset(),
            AutoOffsetReset::Latest => 0,
        },
    }
}

/// Every partition of every topic `topics` names, in order.
pub fn subscribed_partitions<'a>(
    broker: &'a Broker,
    topics: &'a [String],
) -> impl Iterator<Item = TopicPartition> + 'a {
    topics.iter().flat_map(move |t| {
        let n = broker.topic(t).map_or(0, |t| t.partition_count());
        (0..n).map(move |p| TopicPartition::new(t.clone(), p))
    })
}

impl Metrics {
    /// Takes one sample; called every [`SAMPLE_INTERVAL_MS`] of simulated time.
    pub(crate) fn sample(&mut self, broker: &Broker, groups: &mut [GroupSim], at: Moment) {
        let secs = SAMPLE_INTERVAL_MS as f64 / 1000.0;
        self.samples += 1;
        for topic in broker.topics() {
            // Look up before inserting so a steady state allocates no key strings.
            if !self.topics.contains_key(topic.name()) {
                self.topics.insert(
                    topic.name().to_string(),
                    TopicMetrics {
                        rate: 0.0,
                        history: Ring::new(HISTORY_CAPACITY),
                        partitions: Vec::new(),
                    },
                );
            }
            let tm = self.topics.get_mut(topic.name()).expect("just ensured");
            let mut total = 0.0;
            for (p, log) in topic.partitions().iter().enumerate() {
                if tm.partitions.len() <= p {
                    tm.partitions.push(PartitionMetrics {
                        last_hw: log.high_watermark(),
                        rate: 0.0,
                        history: Ring::new(HISTORY_CAPACITY),
                    });
                }
                let pm = &mut tm.partitions[p];
                let hw = log.high_watermark();
                // An unclean election can move the high watermark back: no negative rate.
                pm.rate = (hw - pm.last_hw).max(0) as f64 / secs;
                pm.last_hw = hw;
                pm.history.push(pm.rate);
                total += pm.rate;
            }
            tm.rate = total;
            tm.history.push(total);
        }
        for g in groups.iter_mut() {
            let gm = group_entry(&mut self.groups, g.name());
            let consumed = g.consumed();
            gm.rate = consumed.saturating_sub(gm.last_consumed) as f64 / secs;
            gm.last_consumed = consumed;
            gm.rate_history.push(gm.rate);
            g.set_consume_rate(gm.rate);
            gm.sample_lag(
                broker,
                g.name(),
                &g.spec().topics,
                g.spec().auto_offset_reset,
                at,
            );
        }
        // Groups of network clients: nothing here knows what they processed, so their rate is
        // how fast their committed offsets advance, and before a commit they show no lag
        // (the Java and librdkafka clients start at the end by default).
        for group in broker.all_groups() {
            if groups.iter().any(|g| g.name() == group.name()) {
                continue;
            }
            let topics: Vec<String> = group.topics().into_iter().map(str::to_string).collect();
            let gm = group_entry(&mut self.groups, group.name());
            let committed: u64 = group
                .offsets()
                .values()
                .map(|c| c.offset.max(0) as u64)
                .sum();
            gm.rate = committed.saturating_sub(gm.last_consumed) as f64 / secs;
            gm.last_consumed = committed;
            gm.rate_history.push(gm.rate);
            gm.sample_lag(broker, group.name(), &topics, AutoOffsetReset::Latest, at);
        }
    }

    /// Samples taken so far.
    pub fn samples(&self) -> u64 {
        self.samples
    }
    /// A topic's series, once sampled.
    pub fn topic(&self, name: &str) -> Option<&TopicMetrics> {
        self.topics.get(name)
    }
    /// A group's series, once sampled.
    pub fn group(&self, name: &str) -> Option<&GroupMetrics> {
        self.groups.get(name)
    }
    /// Records per second appended to the topic, over the last sampled second.
    pub fn topic_produce_rate(&self, topic: &str) -> f64 {
        self.topics.get(topic).map_or(0.0, |t| t.rate)
    }
    /// Records per second appended to one partition, over the last sampled second.
    pub fn partition_produce_rate(&self, topic: &str, partition: u32) -> f64 {
        self.topics
            .get(topic)
            .and_then(|t| t.partitions.get(partition as usize))
            .map_or(0.0, |p| p.rate)
    }
    /// Records per second the group processed, over the last sampled second.
    pub fn group_consume_rate(&self, group: &str) -> f64 {
        self.groups.get(group).map_or(0.0, |g| g.rate)
    }
    /// The group's total lag, one sample per simulated second.
    pub fn group_lag_history(&self, group: &str) -> Option<&Ring<i64>> {
        self.groups.get(group).map(|g| &g.lag_history)
    }
    /// The group's lag on one partition, one sample per simulated second.
    pub fn partition_lag_history(&self, group: &str, tp: &TopicPartition) -> Option<&Ring<i64>> {
        self.groups.get(group)?.partition_lag.get(tp)
    }
    /// The age of the group's oldest unprocessed record in ms, one sample per second.
    pub fn group_time_lag_history(&self, group: &str) -> Option<&Ring<i64>> {
        self.groups.get(group).map(|g| &g.time_lag_history)
    }
    /// The samples the group's verdict on one partition is judged on.
    pub fn lag_window(&self, group: &str, tp: &TopicPartition) -> Option<&PartitionLagHistory> {
        self.groups.get(group)?.window(tp)
    }
    /// The mean of the group's last `n` per-second consume rates.
    pub fn group_consume_rate_over(&self, group: &str, n: usize) -> Option<f64> {
        mean_of_last(&self.groups.get(group)?.rate_history, n)
    }
    /// The mean of the topic's last `n` per-second produce rates.
    pub fn topic_produce_rate_over(&self, topic: &str, n: usize) -> Option<f64> {
        mean_of_last(&self.topics.get(topic)?.history, n)
    }
}

fn mean_of_last(ring: &Ring<f64>, n: usize) -> Option<f64> {
    let taken = ring.len().min(n);
    (taken > 0).then(|| ring.iter().rev().take(taken).sum::<f64>() / taken as f64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::NewRecord;

    #[test]
    fn time_lag_reads_the_record_at_the_group_position() {
        let mut log = PartitionLog::new();
        for ts in [1_000, 2_000, 3_000, 4_000] {
            log.append(NewRecord::new(ts, None, "v"));
        }
        assert_eq!(exact_time_lag(&log, Some(1), 3, 10_000), Some(8_000));
        // Before a commit the group starts at the log start.
        assert_eq!(exact_time_lag(&log, None, 4, 10_000), Some(9_000));
        assert_eq!(exact_time_lag(&log, Some(4), 0, 10_000), Some(0));
        log.enforce_retention(
            &crate::broker::RetentionPolicy {
                records: Some(2),
                ..Default::default()
            },
            10_000,
        );
        // Offset 1 is gone: the caller estimates instead.
        assert_eq!(exact_time_lag(&log, Some(1), 3, 10_000), None);
    }

    #[test]
    fn ring_drops_the_oldest() {
        let mut r = Ring::new(3);
        for i in 0..5 {
            r.push(i);
        }
        assert_eq!(r.iter().collect::<Vec<_>>(), vec![2, 3, 4]);
        assert_eq!((r.len(), r.capacity(), r.last()), (3, 3, Some(4)));
    }
}
