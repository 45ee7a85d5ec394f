//! A bounded log of what happened in the broker, for the events pane and for tests.

use std::collections::VecDeque;
use std::fmt;

use super::assignor::{Assignment, TopicPartition};

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
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventKind {
    TopicCreated {
        topic: String,
        partitions: u32,
    },
    PartitionsAdded {
        topic: String,
        partitions: u32,
    },
    TopicDeleted {
        topic: String,
    },
    MemberJoined {
        group: String,
        member: String,
    },
    MemberRemoved {
        group: String,
        member: String,
        reason: LeaveReason,
    },
    RebalanceStarted {
        group: String,
        reason: String,
    },
    RebalanceCompleted {
        group: String,
        generation: i32,
        assignment: Assignment,
    },
    RetentionDeleted {
        topic: String,
        partition: u32,
        records: u64,
        log_start_offset: i64,
    },
    OffsetsReset {
        group: String,
        to: String,
        partitions: Vec<TopicPartition>,
    },
    GroupDeleted {
        group: String,
    },
}

/// An event with its time and a sequence number that only grows, so readers can ask for
/// "everything after N" even after old events have been dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub seq: u64,
    pub time_ms: i64,
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
        }
    }
}

/// A ring of the most recent events.
#[derive(Debug, Clone)]
pub struct EventLog {
    events: VecDeque<Event>,
    capacity: usize,
    next_seq: u64,
}

impl EventLog {
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

    pub fn len(&self) -> usize {
        self.events.len()
    }

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
}
