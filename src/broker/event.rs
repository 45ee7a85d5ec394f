//! A bounded log of what happened in the broker, for the events pane and for tests.

use std::collections::VecDeque;
use std::fmt;

use super::assignor::{Assignment, TopicPartition};
use super::cluster::BrokerId;
use super::replica::ElectionKind;

/// Why a member is no longer in a group.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LeaveReason {
    /// It sent LeaveGroup.
    Left,
    /// Its session timed out without a heartbeat.
    SessionExpired,
    /// It did not rejoin before the rebalance timeout.
    RebalanceTimeout,
    /// Consumer protocol: it did not give up revoked partitions before its rebalance timeout.
    RevocationTimeout,
    /// A static member's new instance took its place under a new member id.
    Replaced,
}

/// One thing that happened.
#[derive(Debug, Clone, PartialEq)]
pub enum EventKind {
    /// A topic was created.
    TopicCreated {
        /// The topic.
        topic: String,
        /// Its partition count.
        partitions: u32,
    },
    /// A topic grew.
    PartitionsAdded {
        /// The topic.
        topic: String,
        /// The partition count now.
        partitions: u32,
    },
    /// A topic was deleted.
    TopicDeleted {
        /// The topic.
        topic: String,
    },
    /// A member joined a group.
    MemberJoined {
        /// The group id.
        group: String,
        /// The member id.
        member: String,
    },
    /// A member left a group, or was removed.
    MemberRemoved {
        /// The group id.
        group: String,
        /// The member id.
        member: String,
        /// Why it went.
        reason: LeaveReason,
    },
    /// A group began a rebalance.
    RebalanceStarted {
        /// The group id.
        group: String,
        /// What started it.
        reason: String,
    },
    /// A rebalance completed with a new assignment.
    RebalanceCompleted {
        /// The group id.
        group: String,
        /// The new generation.
        generation: i32,
        /// Who got which partitions.
        assignment: Assignment,
    },
    /// Retention removed a prefix of a partition.
    RetentionDeleted {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
        /// Records deleted.
        records: u64,
        /// The new log start.
        log_start_offset: i64,
    },
    /// A group's committed offsets were moved.
    OffsetsReset {
        /// The group id.
        group: String,
        /// Where the offsets went, in words.
        to: String,
        /// The partitions whose offsets moved.
        partitions: Vec<TopicPartition>,
    },
    /// A group was deleted.
    GroupDeleted {
        /// The group id.
        group: String,
    },
    /// A broker crashed: no warning, its partitions fail over.
    BrokerCrashed {
        /// The broker.
        broker: BrokerId,
    },
    /// A broker shut down in a controlled way, after moving `leaders_moved` leaderships.
    BrokerStopped {
        /// The broker.
        broker: BrokerId,
        /// Leaderships handed over before it stopped.
        leaders_moved: u32,
    },
    /// A crashed or stopped broker is back; its replicas catch up.
    BrokerRestarted {
        /// The broker.
        broker: BrokerId,
    },
    /// A broker's followers copy at most `rate` records per second (0: not at all).
    BrokerSlowed {
        /// The broker.
        broker: BrokerId,
        /// Records per second.
        rate: f64,
    },
    /// A slow broker's followers copy at full speed again.
    BrokerHealed {
        /// The broker.
        broker: BrokerId,
    },
    /// A follower fell behind for longer than `replica.lag.time.max.ms` (or its broker
    /// went) and left the in-sync replicas.
    IsrShrunk {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The broker.
        broker: BrokerId,
        /// The ISR after the change.
        isr: Vec<BrokerId>,
    },
    /// A follower reached the high watermark and is in sync again.
    IsrExpanded {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The broker.
        broker: BrokerId,
        /// The ISR after the change.
        isr: Vec<BrokerId>,
    },
    /// A new leader, in a new epoch.
    LeaderElected {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The new leader.
        leader: BrokerId,
        /// Its leader epoch.
        epoch: i32,
        /// Who led before; `None` when the partition was offline.
        previous: Option<BrokerId>,
        /// How it was chosen.
        kind: ElectionKind,
    },
    /// An election cut the log back to the new leader's end, `from..to`.
    LogTruncated {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The new log end.
        from: i64,
        /// The log end before the cut.
        to: i64,
        /// Acknowledged records in the cut: gone although producers were told they were safe.
        acked_lost: u64,
    },
    /// No in-sync replica is alive: nothing can be produced or fetched.
    PartitionOffline {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// The last in-sync replica, whose return brings the partition back.
        isr: Vec<BrokerId>,
    },
    /// Produces with `acks=all` were refused: too few in-sync replicas. At most one event
    /// per partition per second; `refused` counts the refusals since the last one.
    NotEnoughReplicas {
        /// The topic.
        topic: String,
        /// The partition.
        partition: u32,
        /// In-sync replicas.
        isr: u32,
        /// The topic's `min.insync.replicas`.
        min_insync: u32,
        /// Produce requests refused.
        refused: u64,
    },
    /// The group's coordinator moved with the leadership of its offsets partition.
    CoordinatorMoved {
        /// The group.
        group: String,
        /// `None` while the offsets partition is offline.
        coordinator: Option<BrokerId>,
    },
}

/// An event with its time and a sequence number that only grows, so readers can ask for
/// "everything after N" even after old events have been dropped.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Grows by one per event, never reused.
    pub seq: u64,
    /// When it happened, on the broker's clock.
    pub time_ms: i64,
    /// What happened.
    pub kind: EventKind,
}

impl fmt::Display for EventKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EventKind::TopicCreated { topic, partitions } => {
                write!(f, "topic {topic} created with {partitions} partitions")
            }
            EventKind::PartitionsAdded { topic, partitions } => {
                write!(f, "topic {topic} now has {partitions} partitions")
            }
            EventKind::TopicDeleted { topic } => write!(f, "topic {topic} deleted"),
            EventKind::MemberJoined { group, member } => write!(f, "{group}: {member} joined"),
            EventKind::MemberRemoved {
                group,
                member,
                reason,
            } => {
                let why = match reason {
                    LeaveReason::Left => "left",
                    LeaveReason::SessionExpired => "expired (session timeout)",
                    LeaveReason::RebalanceTimeout => "removed (did not rejoin in time)",
                    LeaveReason::RevocationTimeout => {
                        "removed (did not give up its partitions in time)"
                    }
                    LeaveReason::Replaced => "replaced by its restarted instance",
                };
                write!(f, "{group}: {member} {why}")
            }
            EventKind::RebalanceStarted { group, reason } => {
                write!(f, "{group}: rebalance started ({reason})")
            }
            EventKind::RebalanceCompleted {
                group,
                generation,
                assignment,
            } => {
                write!(f, "{group}: generation {generation}:")?;
                for (member, parts) in assignment {
                    write!(f, " {member}=[")?;
                    for (i, tp) in parts.iter().enumerate() {
                        if i > 0 {
                            f.write_str(",")?;
                        }
                        write!(f, "{}", tp.partition)?;
                    }
                    f.write_str("]")?;
                }
                Ok(())
            }
            EventKind::RetentionDeleted {
                topic,
                partition,
                records,
                log_start_offset,
            } => write!(
                f,
                "retention deleted {records} records from {topic}-{partition}; log starts at {log_start_offset}"
            ),
            EventKind::OffsetsReset {
                group,
                to,
                partitions,
            } => {
                write!(
                    f,
                    "{group}: offsets reset to {to} on {} partitions",
                    partitions.len()
                )
            }
            EventKind::GroupDeleted { group } => write!(f, "group {group} deleted"),
            _ => fmt_cluster(self, f),
        }
    }
}

/// The brokers' and coordinators' events, worded for the events pane.
fn fmt_cluster(kind: &EventKind, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match kind {
        EventKind::BrokerCrashed { broker } => write!(f, "broker {broker} crashed"),
        EventKind::BrokerStopped {
            broker,
            leaders_moved,
        } => write!(
            f,
            "broker {broker} stopped (controlled shutdown, {leaders_moved} leaderships moved first)"
        ),
        EventKind::BrokerRestarted { broker } => write!(f, "broker {broker} restarted"),
        EventKind::BrokerSlowed { broker, rate } => {
            write!(
                f,
                "broker {broker} slow: its followers copy {rate} records/s"
            )
        }
        EventKind::BrokerHealed { broker } => write!(f, "broker {broker} healed"),
        EventKind::CoordinatorMoved { group, coordinator } => match coordinator {
            Some(b) => write!(f, "{group}: coordinator now broker {b}"),
            None => write!(f, "{group}: coordinator unavailable"),
        },
        _ => fmt_replication(kind, f),
    }
}

/// One partition's replication events, worded for the events pane.
fn fmt_replication(kind: &EventKind, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match kind {
        EventKind::IsrShrunk {
            topic,
            partition,
            broker,
            isr,
        } => write!(
            f,
            "{topic}-{partition}: ISR shrinks, {broker} out: ISR {}",
            ids(isr)
        ),
        EventKind::IsrExpanded {
            topic,
            partition,
            broker,
            isr,
        } => write!(
            f,
            "{topic}-{partition}: ISR expands, {broker} back in sync: ISR {}",
            ids(isr)
        ),
        EventKind::LeaderElected {
            topic,
            partition,
            leader,
            epoch,
            previous,
            kind,
        } => {
            write!(f, "{topic}-{partition}: leader {leader}, epoch {epoch}")?;
            match previous {
                Some(p) => write!(f, " (was {p}; {})", kind.label()),
                None => write!(f, " ({})", kind.label()),
            }
        }
        EventKind::LogTruncated {
            topic,
            partition,
            from,
            to,
            acked_lost,
        } => write!(
            f,
            "{topic}-{partition}: log cut to {from}, {} records gone ({acked_lost} acknowledged)",
            to - from
        ),
        EventKind::PartitionOffline {
            topic,
            partition,
            isr,
        } => write!(
            f,
            "{topic}-{partition}: OFFLINE, waiting for ISR {} to return",
            ids(isr)
        ),
        EventKind::NotEnoughReplicas {
            topic,
            partition,
            isr,
            min_insync,
            refused,
        } => write!(
            f,
            "{topic}-{partition}: NOT_ENOUGH_REPLICAS, ISR {isr} < min.insync {min_insync}: {refused} send(s) refused"
        ),
        other => unreachable!("{other:?} is worded in Display"),
    }
}

/// Broker ids as `2,3,1`.
fn ids(list: &[BrokerId]) -> String {
    let parts: Vec<String> = list.iter().map(BrokerId::to_string).collect();
    parts.join(",")
}

/// A ring of the most recent events.
#[derive(Debug, Clone)]
pub struct EventLog {
    events: VecDeque<Event>,
    capacity: usize,
    next_seq: u64,
}

impl EventLog {
    /// An empty log keeping the last `capacity` events.
    pub fn new(capacity: usize) -> Self {
        EventLog {
            events: VecDeque::with_capacity(capacity.min(1024)),
            capacity: capacity.max(1),
            next_seq: 0,
        }
    }

    pub(crate) fn push(&mut self, time_ms: i64, kind: EventKind) {
        if self.events.len() == self.capacity {
            self.events.pop_front();
        }
        self.events.push_back(Event {
            seq: self.next_seq,
            time_ms,
            kind,
        });
        self.next_seq += 1;
    }

    /// The retained events, oldest first.
    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Event> {
        self.events.iter()
    }

    /// Retained events with a sequence number of at least `seq`.
    pub fn since(&self, seq: u64) -> impl Iterator<Item = &Event> {
        let first = self.events.front().map_or(0, |e| e.seq);
        let skip = seq.saturating_sub(first) as usize;
        self.events.iter().skip(skip)
    }

    /// The sequence number the next event will get.
    pub fn next_seq(&self) -> u64 {
        self.next_seq
    }

    /// Events retained.
    pub fn len(&self) -> usize {
        self.events.len()
    }

    /// Whether none is retained.
    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounded_and_sequenced() {
        let mut log = EventLog::new(3);
        for i in 0..5 {
            log.push(
                i,
                EventKind::TopicDeleted {
                    topic: format!("t{i}"),
                },
            );
        }
        assert_eq!(log.len(), 3);
        let seqs: Vec<u64> = log.iter().map(|e| e.seq).collect();
        assert_eq!(seqs, vec![2, 3, 4]);
        assert_eq!(log.since(4).count(), 1);
        assert_eq!(log.since(0).count(), 3);
        assert_eq!(log.next_seq(), 5);
    }

    #[test]
    fn rebalance_reads_well() {
        let mut a = Assignment::new();
        a.insert(
            "c-1".into(),
            vec![TopicPartition::new("t", 0), TopicPartition::new("t", 2)],
        );
        a.insert("c-2".into(), vec![TopicPartition::new("t", 1)]);
        let text = EventKind::RebalanceCompleted {
            group: "g".into(),
            generation: 3,
            assignment: a,
        }
        .to_string();
        assert_eq!(text, "g: generation 3: c-1=[0,2] c-2=[1]");
    }

    #[test]
    fn replication_events_read_well() {
        let elected = EventKind::LeaderElected {
            topic: "orders".into(),
            partition: 2,
            leader: 3,
            epoch: 4,
            previous: Some(1),
            kind: ElectionKind::Clean,
        };
        assert_eq!(
            elected.to_string(),
            "orders-2: leader 3, epoch 4 (was 1; clean election)"
        );
        let shrunk = EventKind::IsrShrunk {
            topic: "orders".into(),
            partition: 0,
            broker: 1,
            isr: vec![2, 3],
        };
        assert_eq!(shrunk.to_string(), "orders-0: ISR shrinks, 1 out: ISR 2,3");
        let cut = EventKind::LogTruncated {
            topic: "t".into(),
            partition: 1,
            from: 90,
            to: 100,
            acked_lost: 7,
        };
        assert_eq!(
            cut.to_string(),
            "t-1: log cut to 90, 10 records gone (7 acknowledged)"
        );
    }
}
