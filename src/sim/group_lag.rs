//! A group's lag in time, its ETA and its verdict as the simulation knows them: the time
//! lag from the timestamp of the record at each committed offset (read by offset), the ETA
//! from the rates the simulation measured, and the verdict from the per-second windows in
//! [`Metrics`], judged by [`super::lag`] exactly as an observer's polls are.

use crate::broker::{Broker, TopicPartition};

use super::lag::{self, GroupLag};
use super::metrics::{
    Metrics, VERDICT_WINDOW, exact_time_lag, partition_lag, subscribed_partitions,
};
use super::moment::Moment;
use super::scenario::AutoOffsetReset;

/// A group's measures now, with each partition's.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupLagDetail {
    /// Lag in records and in time, the ETA and the verdict.
    pub group: GroupLag,
    /// One entry for every partition of every subscribed topic, in order.
    pub partitions: Vec<PartitionLagDetail>,
}

/// Where a group stands on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLagDetail {
    /// The partition.
    pub tp: TopicPartition,
    /// The group's committed offset there, if it has one.
    pub committed: Option<i64>,
    /// From the committed offset, or from where the group would start.
    pub lag: i64,
    /// The age of the oldest record the group has not processed here.
    pub time_lag_ms: Option<i64>,
}

/// The measures of group `name`, subscribed to `topics` and starting per `reset` where it
/// has not committed, at `at`: records are aged on the records' clock, the verdict judged
/// on virtual time. Work is bounded by its partitions and the verdict window.
pub(crate) fn measure(
    broker: &Broker,
    metrics: &Metrics,
    name: &str,
    topics: &[String],
    reset: AutoOffsetReset,
    at: Moment,
) -> GroupLagDetail {
    let mut partitions = Vec::new();
    let mut windows = Vec::new();
    for tp in subscribed_partitions(broker, topics) {
        let (committed, lag) = partition_lag(broker, name, &tp, reset);
        let window = metrics.lag_window(name, &tp);
        let exact = broker
            .partition(&tp.topic, tp.partition)
            .ok()
            .and_then(|log| exact_time_lag(log, committed, lag, at.record_ms()));
        // A record retention deleted cannot be read: estimate from the samples.
        let time_lag_ms = exact.or_else(|| window.and_then(|w| w.time_lag_ms(None)));
        windows.extend(window.map(|w| (w, None)));
        partitions.push(PartitionLagDetail {
            tp,
            committed,
            lag,
            time_lag_ms,
        });
    }
    let lag: i64 = partitions.iter().map(|p| p.lag).sum();
    let consume = metrics.group_consume_rate_over(name, VERDICT_WINDOW);
    let produce: f64 = topics
        .iter()
        .filter_map(|t| metrics.topic_produce_rate_over(t, VERDICT_WINDOW))
        .sum();
    let group = GroupLag {
        lag,
        time_lag_ms: partitions.iter().filter_map(|p| p.time_lag_ms).max(),
        eta_ms: lag::eta_ms(lag, consume.unwrap_or(0.0), produce),
        verdict: lag::evaluate_group(&windows, at.now_ms).verdict,
    };
    GroupLagDetail { group, partitions }
}
