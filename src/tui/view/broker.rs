//! The part of a frame's snapshot that comes straight from the broker: topics, partition
//! strips, groups with their members, offsets and lag, recent broker events, and (through
//! [`super::fill_cluster`]) the cluster's brokers and replicas.

use crate::broker::{AnyGroup, Broker, ElectionKind, EventKind, GroupState, TopicPartition};
use crate::sim::AutoOffsetReset;

use super::{
    EventClass, EventLine, GroupMark, GroupPhase, GroupView, MemberView, OffsetView, PartitionView,
    TopicView, View, key_shade,
};

/// How much of the broker a snapshot takes.
#[derive(Debug, Clone, Default)]
pub struct BrokerOptions<'a> {
    /// Records per partition strip: at least the widest strip the screen can draw.
    pub tail_cells: usize,
    /// Broker events to keep: at least the events pane's height.
    pub event_lines: usize,
    /// Groups in the order that fixes their colour slots (the simulation's creation
    /// order), with where each starts reading a partition it has not committed on yet.
    /// Groups the broker has beyond these follow, by name, with no lag until they commit.
    pub group_order: &'a [(&'a str, AutoOffsetReset)],
}

/// Replaces the view's topics, groups and events with the broker's current state.
///
/// Work is bounded by partitions × `tail_cells` and `event_lines`, never by log length.
pub fn fill_from_broker(broker: &Broker, opts: &BrokerOptions<'_>, view: &mut View) {
    view.groups.clear();
    let known = opts
        .group_order
        .iter()
        .filter_map(|(name, reset)| broker.any_group(name).map(|g| (g, Some(*reset))));
    let extra = broker
        .all_groups()
        .into_iter()
        .filter(|g| !opts.group_order.iter().any(|(name, _)| *name == g.name()))
        .map(|g| (g, None));
    for (slot, (group, reset)) in known.chain(extra).enumerate() {
        if group.state() == GroupState::Dead {
            continue;
        }
        view.groups.push(group_view(broker, group, slot, reset));
    }

    view.topics.clear();
    for topic in broker.topics() {
        let partitions = topic
            .partitions()
            .iter()
            .enumerate()
            .map(|(p, log)| {
                let p = p as u32;
                PartitionView {
                    partition: p,
                    log_start: log.log_start_offset(),
                    high_watermark: log.high_watermark(),
                    tail: tail_shades(log, opts.tail_cells),
                    marks: marks_for(&view.groups, topic.name(), p),
                    // One broker: nothing replicated to show.
                    ..PartitionView::default()
                }
            })
            .collect();
        view.topics.push(TopicView {
            name: topic.name().to_string(),
            partitions,
        });
    }
    super::fill_cluster(broker, view);

    view.events.clear();
    let recent: Vec<_> = broker
        .events()
        .iter()
        .rev()
        .take(opts.event_lines)
        .collect();
    view.events
        .extend(recent.into_iter().rev().map(|e| EventLine {
            time_ms: e.time_ms,
            class: classify(&e.kind),
            text: e.kind.to_string(),
        }));
}

/// How much of the newest batches a strip may decompress or scan to find their keys. A
/// batch larger than this leaves its records, and those before it, unshaded (`·`).
const TAIL_LOOK_BYTES: usize = 256 * 1024;

/// Key shades of the newest records, oldest first, read from the tail of the log only.
fn tail_shades(log: &crate::broker::PartitionLog, cells: usize) -> Vec<Option<u8>> {
    let mut shades = Vec::with_capacity(cells);
    log.tail_keys(cells, TAIL_LOOK_BYTES, |k| shades.push(k.map(key_shade)));
    shades
}

/// The lag on a partition: from the committed offset, or before the first commit from
/// where the group will start (docs/design.md, "The headless report"), when that is known.
fn lag_of(
    committed: Option<i64>,
    log_start: i64,
    hw: i64,
    reset: Option<AutoOffsetReset>,
) -> Option<i64> {
    match (committed, reset) {
        (Some(c), _) => Some(hw - c),
        (None, Some(AutoOffsetReset::Earliest)) => Some(hw - log_start),
        (None, Some(AutoOffsetReset::Latest)) => Some(0),
        (None, None) => None,
    }
}

/// `classic range`, `consumer uniform`: the group type, then the assignor once known.
fn protocol_label(group: AnyGroup<'_>) -> String {
    match group.assignor() {
        Some(a) => format!("{} {a}", group.group_type()),
        None => group.group_type().to_string(),
    }
}

fn group_view(
    broker: &Broker,
    group: AnyGroup<'_>,
    slot: usize,
    reset: Option<AutoOffsetReset>,
) -> GroupView {
    let all = group.members();
    let members = all
        .iter()
        .map(|m| {
            let mut partitions: Vec<(String, u32)> = m
                .assigned
                .iter()
                .map(|tp| (tp.topic.clone(), tp.partition))
                .collect();
            partitions.sort();
            // Only a network client connects from somewhere.
            let client = !m.client_host.is_empty();
            MemberView {
                id: m.id.to_string(),
                state: None,
                partitions,
                client_id: client.then(|| m.client_id.to_string()),
                host: client.then(|| m.client_host.to_string()),
            }
        })
        .collect();
    // Mid-rebalance, a partition nobody holds, or one being given up, is not worked on.
    let rebalancing = group.state().is_rebalancing();
    let paused = |tp: &TopicPartition| {
        rebalancing
            && all
                .iter()
                .all(|m| !m.assigned.contains(&tp) || m.revoking.contains(&tp))
    };
    let mut offsets = Vec::new();
    for topic in group.topics() {
        let Some(t) = broker.topic(topic) else {
            continue;
        };
        for (p, log) in t.partitions().iter().enumerate() {
            let tp = TopicPartition::new(topic, p as u32);
            let committed = group.committed(&tp);
            offsets.push(OffsetView {
                paused: paused(&tp),
                topic: topic.to_string(),
                partition: p as u32,
                committed,
                lag: lag_of(
                    committed,
                    log.log_start_offset(),
                    log.high_watermark(),
                    reset,
                ),
                time_lag_ms: None,
            });
        }
    }
    let state = group.state();
    GroupView {
        generation: Some(group.generation()),
        protocol: protocol_label(group),
        members,
        total_lag: offsets.iter().filter_map(|o| o.lag).sum(),
        offsets,
        ..GroupView::new(group.name(), slot, state.name(), GroupPhase::of(state))
    }
}

fn marks_for(groups: &[GroupView], topic: &str, partition: u32) -> Vec<GroupMark> {
    groups
        .iter()
        .filter_map(|g| {
            g.offset(topic, partition).map(|o| GroupMark {
                slot: g.slot,
                committed: o.committed,
                lag: o.lag,
            })
        })
        .collect()
}

fn classify(kind: &EventKind) -> EventClass {
    match kind {
        EventKind::RebalanceStarted { .. } | EventKind::RebalanceCompleted { .. } => {
            EventClass::Rebalance
        }
        EventKind::MemberJoined { .. } | EventKind::MemberRemoved { .. } => EventClass::Membership,
        EventKind::RetentionDeleted { .. } => EventClass::Retention,
        EventKind::OffsetsReset { .. } => EventClass::Reset,
        EventKind::TopicCreated { .. }
        | EventKind::PartitionsAdded { .. }
        | EventKind::TopicDeleted { .. }
        | EventKind::GroupDeleted { .. } => EventClass::Topic,
        EventKind::BrokerCrashed { .. }
        | EventKind::BrokerStopped { .. }
        | EventKind::BrokerRestarted { .. }
        | EventKind::BrokerSlowed { .. }
        | EventKind::BrokerHealed { .. }
        | EventKind::CoordinatorMoved { .. } => EventClass::Broker,
        EventKind::LeaderElected {
            kind: ElectionKind::Unclean,
            ..
        }
        | EventKind::LogTruncated { .. }
        | EventKind::PartitionOffline { .. }
        | EventKind::NotEnoughReplicas { .. } => EventClass::Hazard,
        EventKind::IsrShrunk { .. }
        | EventKind::IsrExpanded { .. }
        | EventKind::LeaderElected { .. } => EventClass::Replication,
    }
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;
    use crate::broker::{
        AssignorKind, JoinGroupRequest, JoinOutcome, NewRecord, RetentionPolicy, SyncAssignment,
        TopicConfig,
    };

    fn broker() -> Broker {
        let mut b = Broker::new();
        b.create_topic("orders", TopicConfig::new(2), 0).unwrap();
        for i in 0..50 {
            let key = Bytes::from(format!("k{}", i % 3));
            b.append("orders", 0, NewRecord::new(i, Some(key), "v"))
                .unwrap();
        }
        b.append("orders", 1, NewRecord::new(0, None, "v")).unwrap();
        let topics = vec!["orders".to_string()];
        let JoinOutcome::Joined(j) = b
            .join_group(
                JoinGroupRequest::consumer("billing", "billing", &topics, "range"),
                0,
            )
            .unwrap()
        else {
            panic!("lone member joins at once")
        };
        b.sync_group(
            "billing",
            &j.member_id,
            j.generation,
            SyncAssignment::Compute(AssignorKind::Range),
            0,
        )
        .unwrap();
        b.commit_offsets(
            "billing",
            &j.member_id,
            j.generation,
            &[(TopicPartition::new("orders", 0), 40)],
            0,
        )
        .unwrap();
        b
    }

    #[test]
    fn strips_hold_only_the_tail_and_the_marks() {
        let b = broker();
        let mut view = View::default();
        let opts = BrokerOptions {
            tail_cells: 8,
            event_lines: 3,
            group_order: &[],
        };
        fill_from_broker(&b, &opts, &mut view);
        let p0 = &view.topics[0].partitions[0];
        assert_eq!((p0.log_start, p0.high_watermark), (0, 50));
        assert_eq!(p0.tail.len(), 8);
        // Offsets 42..50 carry keys k0, k1, k2, ... by offset mod 3.
        assert_eq!(p0.tail[0], Some(key_shade(b"k0")));
        assert_eq!(p0.tail[1], Some(key_shade(b"k1")));
        assert_eq!(
            p0.marks,
            vec![GroupMark {
                slot: 0,
                committed: Some(40),
                lag: Some(10)
            }]
        );
        let p1 = &view.topics[0].partitions[1];
        assert_eq!(p1.tail, vec![None]);
        assert_eq!(p1.marks[0].committed, None);
        // A group of unknown start policy has no lag where it never committed.
        assert_eq!(p1.marks[0].lag, None);

        let g = &view.groups[0];
        assert_eq!(g.state, "Stable");
        assert_eq!(g.phase, GroupPhase::Stable);
        assert_eq!(g.generation, Some(1));
        assert_eq!(
            g.members[0].host, None,
            "a simulated member connects from nowhere"
        );
        assert_eq!(g.members[0].partitions.len(), 2);
        assert_eq!(g.offsets.len(), 2);
        assert_eq!(g.total_lag, 10);
        assert_eq!(view.events.len(), 3);
        assert_eq!(view.events[2].class, EventClass::Rebalance);
    }

    #[test]
    fn group_order_fixes_slots_and_retention_moves_the_start() {
        let mut b = broker();
        b.commit_offsets("audit", "", -1, &[(TopicPartition::new("orders", 0), 5)], 0)
            .unwrap();
        b.set_retention(
            "orders",
            RetentionPolicy {
                records: Some(20),
                ..RetentionPolicy::default()
            },
        )
        .unwrap();
        b.enforce_retention(100);
        let mut view = View::default();
        let order = [("billing", AutoOffsetReset::Earliest)];
        let opts = BrokerOptions {
            tail_cells: 100,
            event_lines: 50,
            group_order: &order,
        };
        fill_from_broker(&b, &opts, &mut view);
        let names: Vec<_> = view
            .groups
            .iter()
            .map(|g| (g.name.as_str(), g.slot))
            .collect();
        assert_eq!(names, vec![("billing", 0), ("audit", 1)]);
        // billing starts at the earliest offset where it has not committed: p1 has one
        // record and no commit.
        assert_eq!(view.groups[0].offsets[1].lag, Some(1));
        assert_eq!(view.groups[0].total_lag, 10 + 1);
        let p0 = &view.topics[0].partitions[0];
        assert_eq!(p0.log_start, 30);
        assert_eq!(p0.tail.len(), 20);
        assert!(view.events.iter().any(|e| e.class == EventClass::Retention));
    }
}
