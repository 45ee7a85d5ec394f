//! What a view of a real cluster needs between polls: the newest snapshot, a lag history
//! per (group, topic, partition), the events found by diffing snapshots, and whether the
//! cluster answers. Pure: time comes in with each snapshot or failure.

use std::collections::{BTreeMap, VecDeque};

use crate::sim::lag::{GroupLag, LagSample, PartitionLagHistory, evaluate_group};

use super::events::{ObservedEvent, diff};
use super::snapshot::{ClusterSnapshot, GroupSnapshot};

/// Samples kept per partition history: Burrow's default window.
pub const DEFAULT_WINDOW: usize = 10;
/// Events kept, newest last.
pub const EVENT_CAPACITY: usize = 500;

/// Whether the cluster answered the last poll.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Reachability {
    /// No poll has finished yet.
    #[default]
    Connecting,
    /// The last poll succeeded.
    Reachable,
    /// The last poll failed; polling goes on after a backoff.
    Retrying {
        /// When polls began failing (wall clock, ms).
        since_ms: i64,
        /// Failed polls since.
        attempts: u32,
        /// Why the last one failed.
        error: String,
    },
}

/// One event with when it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedEvent {
    pub at_ms: i64,
    pub event: ObservedEvent,
}

/// A group's committed offset and lag on one partition, as the report and a view show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetRow {
    pub topic: String,
    pub partition: u32,
    pub committed: Option<i64>,
    pub lag: i64,
    pub time_lag_ms: Option<i64>,
}

/// Partition histories of one group, by topic, then in partition order. Each poll walks a
/// topic's partitions, its histories and the group's commits side by side, so a poll of
/// half a million (group, partition) pairs needs no lookup and no allocation per pair.
type GroupHistories = BTreeMap<String, Vec<(u32, PartitionLagHistory)>>;

/// The state of an observed cluster across polls. See the module docs.
#[derive(Debug, Clone)]
pub struct Observation {
    window: usize,
    latest: Option<ClusterSnapshot>,
    histories: BTreeMap<String, GroupHistories>,
    events: VecDeque<TimedEvent>,
    polls: u64,
    failed_polls: u64,
    reachability: Reachability,
}

impl Default for Observation {
    fn default() -> Self {
        Observation::new(DEFAULT_WINDOW)
    }
}

impl Observation {
    /// An observation whose histories keep `window` samples.
    pub fn new(window: usize) -> Self {
        Observation {
            window,
            latest: None,
            histories: BTreeMap::new(),
            events: VecDeque::new(),
            polls: 0,
            failed_polls: 0,
            reachability: Reachability::default(),
        }
    }

    /// Takes in a poll's snapshot: samples for every watched (group, partition), events
    /// against the previous snapshot. Histories of partitions no longer watched go.
    pub fn apply(&mut self, snap: ClusterSnapshot) {
        if let Some(prev) = &self.latest {
            for event in diff(prev, &snap) {
                self.push_event(snap.at_ms, event);
            }
        }
        self.histories
            .retain(|name, _| snap.groups.contains_key(name));
        for (name, g) in &snap.groups {
            let histories = match self.histories.get_mut(name) {
                Some(h) => h,
                None => self.histories.entry(name.clone()).or_default(),
            };
            record(histories, &snap, g, self.window);
        }
        self.latest = Some(snap);
        self.polls += 1;
        self.reachability = Reachability::Reachable;
    }

    /// Records a failed poll.
    pub fn failed(&mut self, at_ms: i64, error: String) {
        self.failed_polls += 1;
        self.reachability = match std::mem::take(&mut self.reachability) {
            Reachability::Retrying {
                since_ms, attempts, ..
            } => Reachability::Retrying {
                since_ms,
                attempts: attempts + 1,
                error,
            },
            _ => Reachability::Retrying {
                since_ms: at_ms,
                attempts: 1,
                error,
            },
        };
    }

    fn push_event(&mut self, at_ms: i64, event: ObservedEvent) {
        if self.events.len() == EVENT_CAPACITY {
            self.events.pop_front();
        }
        self.events.push_back(TimedEvent { at_ms, event });
    }

    /// The newest snapshot, if a poll has succeeded.
    pub fn latest(&self) -> Option<&ClusterSnapshot> {
        self.latest.as_ref()
    }

    /// Polls that succeeded.
    pub fn polls(&self) -> u64 {
        self.polls
    }

    /// Polls that failed (the cluster or the bootstrap brokers did not answer).
    pub fn failed_polls(&self) -> u64 {
        self.failed_polls
    }

    /// Whether the cluster answers, as the header shows it.
    pub fn reachability(&self) -> &Reachability {
        &self.reachability
    }

    /// Events, oldest first.
    pub fn events(&self) -> impl Iterator<Item = &TimedEvent> {
        self.events.iter()
    }

    /// The history of one group on one partition.
    pub fn history(
        &self,
        group: &str,
        topic: &str,
        partition: u32,
    ) -> Option<&PartitionLagHistory> {
        let parts = self.histories.get(group)?.get(topic)?;
        let at = parts.binary_search_by_key(&partition, |(p, _)| *p).ok()?;
        parts.get(at).map(|(_, h)| h)
    }

    /// A group's offsets, one row per watched partition of the topics it reads.
    pub fn offsets(&self, group: &str) -> Vec<OffsetRow> {
        let Some(g) = self.latest.as_ref().and_then(|s| s.groups.get(group)) else {
            return Vec::new();
        };
        self.group_histories(group)
            .map(|(topic, partition, h)| OffsetRow {
                topic: topic.to_string(),
                partition,
                committed: g.committed_at(topic, partition),
                lag: h.lag_records().unwrap_or(0),
                time_lag_ms: h.time_lag_ms(g.committed_timestamp(topic, partition)),
            })
            .collect()
    }

    /// A group's lag measures and verdict.
    pub fn group_lag(&self, group: &str) -> Option<GroupLag> {
        let snap = self.latest.as_ref()?;
        let g = snap.groups.get(group)?;
        let parts: Vec<(&PartitionLagHistory, Option<i64>)> = self
            .group_histories(group)
            .map(|(t, p, h)| (h, g.committed_timestamp(t, p)))
            .collect();
        Some(evaluate_group(&parts, snap.at_ms))
    }

    fn group_histories<'a>(
        &'a self,
        group: &str,
    ) -> impl Iterator<Item = (&'a str, u32, &'a PartitionLagHistory)> {
        self.histories
            .get(group)
            .into_iter()
            .flat_map(|topics| topics.iter())
            .flat_map(|(t, parts)| parts.iter().map(move |(p, h)| (t.as_str(), *p, h)))
    }
}

/// Pushes one sample per partition of every watched topic the group reads, where the
/// partition's bounds are known this poll; histories not sampled this poll go.
fn record(
    histories: &mut GroupHistories,
    snap: &ClusterSnapshot,
    g: &GroupSnapshot,
    window: usize,
) {
    let topics = g.topics();
    histories.retain(|t, _| topics.contains(t.as_str()) && snap.topics.contains_key(t));
    for topic in topics {
        let Some(t) = snap.topics.get(topic) else {
            continue;
        };
        let parts = match histories.get_mut(topic) {
            Some(p) => p,
            None => histories.entry(topic.to_string()).or_default(),
        };
        let mut old = std::mem::take(parts).into_iter().peekable();
        parts.reserve(t.partitions.len());
        let mut committed = g.committed.get(topic).into_iter().flatten().peekable();
        for p in &t.partitions {
            let (Some(log_start), Some(high_watermark)) = (p.log_start, p.high_watermark) else {
                continue;
            };
            // Both walks are in partition order: skip what lies before this partition.
            while old.next_if(|(q, _)| *q < p.partition).is_some() {}
            while committed.next_if(|(q, _)| **q < p.partition).is_some() {}
            let mut h = old.next_if(|(q, _)| *q == p.partition).map_or_else(
                || PartitionLagHistory::for_partition(topic, p.partition, window),
                |(_, h)| h,
            );
            h.push(LagSample {
                at_ms: snap.at_ms,
                log_start,
                high_watermark,
                committed: committed
                    .next_if(|(q, _)| **q == p.partition)
                    .map(|(_, c)| *c),
            });
            parts.push((p.partition, h));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observe::snapshot::{MemberSnapshot, PartitionSnapshot, TopicSnapshot};
    use crate::sim::lag::Status;

    fn snap(at_ms: i64, hw: i64, committed: i64, members: &[&str]) -> ClusterSnapshot {
        let mut s = ClusterSnapshot {
            at_ms,
            ..ClusterSnapshot::default()
        };
        let parts = (0..2)
            .map(|p| PartitionSnapshot {
                partition: p,
                leader: Some(1),
                log_start: Some(0),
                high_watermark: Some(hw),
                ..PartitionSnapshot::default()
            })
            .collect();
        s.topics.insert(
            "orders".into(),
            TopicSnapshot {
                internal: false,
                partitions: parts,
            },
        );
        let mut g = GroupSnapshot {
            state: "Stable".into(),
            ..GroupSnapshot::default()
        };
        g.committed
            .insert("orders".into(), BTreeMap::from([(0, committed)]));
        g.members = members
            .iter()
            .map(|m| MemberSnapshot {
                member_id: m.to_string(),
                ..MemberSnapshot::default()
            })
            .collect();
        s.groups.insert("billing".into(), g);
        s
    }

    #[test]
    fn each_poll_adds_a_sample_per_partition_and_diffs_events() {
        let mut o = Observation::new(3);
        o.apply(snap(0, 100, 40, &["a"]));
        o.apply(snap(2_000, 200, 100, &["a", "b"]));
        assert_eq!(o.polls(), 2);
        assert_eq!(o.reachability(), &Reachability::Reachable);
        let rows = o.offsets("billing");
        assert_eq!(rows.len(), 2, "every partition of the topic it commits to");
        assert_eq!(rows[0].committed, Some(100));
        assert_eq!(rows[0].lag, 100);
        assert_eq!(rows[1].committed, None);
        assert_eq!(rows[1].lag, 200, "from the log start");
        // The HW passed 100 at t = 0 s: the oldest unprocessed record is 2 s old.
        assert_eq!(rows[0].time_lag_ms, Some(2_000));
        let events: Vec<String> = o.events().map(|e| e.event.to_string()).collect();
        assert_eq!(events, ["billing: b () joined"]);
        let lag = o.group_lag("billing").unwrap();
        assert_eq!(lag.lag, 300);
        assert_eq!(lag.verdict.status, Status::Ok);
        assert!(o.group_lag("nobody").is_none());
    }

    #[test]
    fn histories_follow_the_partitions_whose_bounds_are_known() {
        let mut o = Observation::new(5);
        o.apply(snap(0, 100, 40, &[]));
        o.apply(snap(1_000, 110, 50, &[]));
        let mut unknown = snap(2_000, 120, 60, &[]);
        let parts = &mut unknown.topics.get_mut("orders").unwrap().partitions;
        parts[0].high_watermark = None;
        o.apply(unknown);
        assert!(
            o.history("billing", "orders", 0).is_none(),
            "not sampled, dropped"
        );
        let kept = o.history("billing", "orders", 1).unwrap();
        assert_eq!(kept.samples().len(), 3);
        assert_eq!(kept.newest().unwrap().high_watermark, 120);
        o.apply(snap(3_000, 130, 70, &[]));
        let restarted = o.history("billing", "orders", 0).unwrap();
        assert_eq!(restarted.samples().len(), 1);
        assert_eq!(restarted.newest().unwrap().committed, Some(70));
        assert_eq!(
            o.history("billing", "orders", 1).unwrap().samples().len(),
            4
        );
    }

    #[test]
    fn failures_count_retries_from_the_first() {
        let mut o = Observation::default();
        o.failed(1_000, "down".into());
        o.failed(3_000, "still down".into());
        assert_eq!(
            o.reachability(),
            &Reachability::Retrying {
                since_ms: 1_000,
                attempts: 2,
                error: "still down".into()
            }
        );
        o.apply(snap(4_000, 1, 1, &[]));
        assert_eq!(o.reachability(), &Reachability::Reachable);
        assert_eq!((o.polls(), o.failed_polls()), (1, 2));
    }
}
