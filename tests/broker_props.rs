//! Property tests: the invariants of docs/design.md hold over random sequences of operations.

use std::collections::BTreeMap;

use minikafka::broker::{
    AssignorKind, Broker, BrokerError, GroupState, JoinGroupRequest, JoinOutcome, KeyHasher,
    NewRecord, RetentionPolicy, SyncAssignment, TopicConfig, TopicPartition,
};
use proptest::prelude::*;

const TOPICS: [(&str, u32); 2] = [("a", 3), ("b", 2)];
const GROUPS: [&str; 2] = ["g1", "g2"];
const SESSION_MS: i64 = 1_000;

#[derive(Debug, Clone)]
enum Op {
    Produce {
        topic: usize,
        partition: u32,
        n: u8,
    },
    Fetch {
        topic: usize,
        partition: u32,
        at: u8,
        max: u8,
    },
    Join {
        group: usize,
    },
    Leave {
        group: usize,
        member: usize,
    },
    Expire {
        group: usize,
        member: usize,
    },
    Commit {
        group: usize,
        member: usize,
        partition: u32,
        at: u8,
    },
    CommitStale {
        group: usize,
        member: usize,
    },
    Retention {
        advance_ms: u16,
    },
    Settle,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        4 => (0..2usize, 0..3u32, 1..20u8).prop_map(|(topic, partition, n)| Op::Produce { topic, partition, n }),
        2 => (0..2usize, 0..3u32, any::<u8>(), 1..50u8).prop_map(|(topic, partition, at, max)| Op::Fetch { topic, partition, at, max }),
        2 => (0..2usize).prop_map(|group| Op::Join { group }),
        1 => (0..2usize, 0..8usize).prop_map(|(group, member)| Op::Leave { group, member }),
        1 => (0..2usize, 0..8usize).prop_map(|(group, member)| Op::Expire { group, member }),
        3 => (0..2usize, 0..8usize, 0..3u32, any::<u8>()).prop_map(|(group, member, partition, at)| Op::Commit { group, member, partition, at }),
        1 => (0..2usize, 0..8usize).prop_map(|(group, member)| Op::CommitStale { group, member }),
        2 => (0..3000u16).prop_map(|advance_ms| Op::Retention { advance_ms }),
        3 => Just(Op::Settle),
    ]
}

/// The test plays every group member itself, like a client library would.
struct World {
    broker: Broker,
    now: i64,
    members: BTreeMap<&'static str, Vec<String>>,
    log_starts: BTreeMap<TopicPartition, i64>,
    assignors: [AssignorKind; 2],
}

const KINDS: [AssignorKind; 4] = [
    AssignorKind::Range,
    AssignorKind::RoundRobin,
    AssignorKind::Sticky,
    AssignorKind::CooperativeSticky,
];

fn value_for(offset: i64) -> Vec<u8> {
    offset.to_be_bytes().to_vec()
}

impl World {
    fn new(assignors: [AssignorKind; 2]) -> Self {
        let mut broker = Broker::new();
        for (i, (t, n)) in TOPICS.iter().enumerate() {
            let retention = if i == 0 {
                RetentionPolicy {
                    records: Some(25),
                    ..Default::default()
                }
            } else {
                RetentionPolicy {
                    ms: Some(2_000),
                    ..Default::default()
                }
            };
            broker
                .create_topic(t, TopicConfig::new(*n).with_retention(retention), 0)
                .unwrap();
        }
        World {
            broker,
            now: 0,
            members: GROUPS.iter().map(|g| (*g, Vec::new())).collect(),
            log_starts: BTreeMap::new(),
            assignors,
        }
    }

    fn member(&self, group: &str, idx: usize) -> Option<String> {
        let list = &self.members[group];
        (!list.is_empty()).then(|| list[idx % list.len()].clone())
    }

    fn subscribed() -> Vec<String> {
        TOPICS.iter().map(|(t, _)| t.to_string()).collect()
    }

    fn request(group: &str, member: Option<String>, assignor: AssignorKind) -> JoinGroupRequest {
        let mut req =
            JoinGroupRequest::consumer(group, "c", &Self::subscribed(), assignor.protocol_name());
        req.member_id = member;
        req.session_timeout_ms = SESSION_MS;
        req.rebalance_timeout_ms = SESSION_MS;
        req
    }

    /// Every member rejoins and the leader syncs, as many rounds as the assignor needs.
    fn settle(&mut self, group: &'static str, kind: AssignorKind) {
        let rounds = if kind.is_cooperative() { 2 } else { 1 };
        for _ in 0..rounds {
            let members = self.members[group].clone();
            if members.is_empty() {
                return;
            }
            let mut results = Vec::new();
            for m in &members {
                if let JoinOutcome::Joined(r) = self
                    .broker
                    .join_group(Self::request(group, Some(m.clone()), kind), self.now)
                    .unwrap()
                {
                    results.push(r);
                }
            }
            for m in &members {
                if let Some(r) = self.broker.poll_join(group, m) {
                    results.push(r);
                }
            }
            assert_eq!(results.len(), members.len());
            let leader = results[0].leader.clone();
            let generation = results[0].generation;
            self.broker
                .sync_group(
                    group,
                    &leader,
                    generation,
                    SyncAssignment::Compute(kind),
                    self.now,
                )
                .unwrap();
        }
    }

    fn apply(&mut self, op: &Op) {
        match *op {
            Op::Produce {
                topic,
                partition,
                n,
            } => {
                let (t, parts) = TOPICS[topic];
                let p = partition % parts;
                let hw = self.broker.partition(t, p).unwrap().high_watermark();
                let now = self.now;
                let base = self
                    .broker
                    .append_batch(
                        t,
                        p,
                        (0..i64::from(n)).map(|i| NewRecord::new(now, None, value_for(hw + i))),
                    )
                    .unwrap();
                assert_eq!(base, hw, "a batch starts at the old high watermark");
            }
            Op::Fetch {
                topic,
                partition,
                at,
                max,
            } => {
                let (t, parts) = TOPICS[topic];
                let p = partition % parts;
                let log = self.broker.partition(t, p).unwrap();
                let (start, hw) = (log.log_start_offset(), log.high_watermark());
                let offset = start + i64::from(at) % (hw - start + 1);
                let f = self
                    .broker
                    .fetch(t, p, offset, usize::from(max), u64::MAX)
                    .unwrap();
                for (i, r) in f.records.iter().enumerate() {
                    assert_eq!(
                        r.offset(),
                        offset + i as i64,
                        "fetch returns o, o+1, ... in order"
                    );
                    assert_eq!(
                        r.value().unwrap().as_ref(),
                        value_for(r.offset()).as_slice()
                    );
                }
                assert_eq!(f.records.len() as i64, (hw - offset).min(i64::from(max)));
                if start > 0 {
                    assert!(matches!(
                        self.broker.fetch(t, p, start - 1, 1, u64::MAX),
                        Err(BrokerError::OffsetOutOfRange { .. })
                    ));
                }
            }
            Op::Join { group } => {
                let g = GROUPS[group];
                let out = self
                    .broker
                    .join_group(Self::request(g, None, self.assignors[group]), self.now)
                    .unwrap();
                let id = match out {
                    JoinOutcome::Joined(r) => r.member_id,
                    JoinOutcome::Pending { member_id } => member_id,
                };
                self.members.get_mut(g).unwrap().push(id);
            }
            Op::Leave { group, member } => {
                let g = GROUPS[group];
                if let Some(m) = self.member(g, member) {
                    self.broker.leave_group(g, &m, self.now).unwrap();
                    self.members.get_mut(g).unwrap().retain(|x| *x != m);
                }
            }
            Op::Expire { group, member } => {
                let g = GROUPS[group];
                if let Some(victim) = self.member(g, member) {
                    // Everyone else heartbeats; the victim stays silent. A rebalance that
                    // completes meanwhile restarts its session, and one that waits on it ends
                    // at the rebalance timeout, so within a few sessions it must be gone.
                    for _ in 0..8 {
                        self.now += SESSION_MS / 2 + 1;
                        for m in self.members[g].clone() {
                            if m != victim {
                                let generation = self.broker.group(g).unwrap().generation();
                                let _ = self.broker.heartbeat(g, &m, generation, self.now);
                            }
                        }
                        self.broker.tick(self.now);
                        if self.broker.group(g).unwrap().member(&victim).is_none() {
                            break;
                        }
                    }
                    assert!(
                        self.broker.group(g).unwrap().member(&victim).is_none(),
                        "a silent member is expelled"
                    );
                    // tick() runs every group's timers: members of any group who stayed silent,
                    // or did not rejoin in time, may be gone too.
                    self.forget_removed_members();
                }
            }
            Op::Commit {
                group,
                member,
                partition,
                at,
            } => {
                let g = GROUPS[group];
                let Some(m) = self.member(g, member) else {
                    return;
                };
                let Some(grp) = self.broker.group(g) else {
                    return;
                };
                let (generation, state) = (grp.generation(), grp.state());
                let p = partition % TOPICS[0].1;
                let hw = self.broker.partition("a", p).unwrap().high_watermark();
                let offset = i64::from(at) % (hw + 2);
                let res = self.broker.commit_offsets(
                    g,
                    &m,
                    generation,
                    &[(TopicPartition::new("a", p), offset)],
                    self.now,
                );
                if state == GroupState::CompletingRebalance {
                    assert!(
                        matches!(res, Err(BrokerError::RebalanceInProgress(_))),
                        "{res:?}"
                    );
                } else if offset > hw {
                    assert!(
                        matches!(res, Err(BrokerError::OffsetOutOfRange { .. })),
                        "{res:?}"
                    );
                } else {
                    res.unwrap();
                }
            }
            Op::CommitStale { group, member } => {
                let g = GROUPS[group];
                let tp = TopicPartition::new("a", 0);
                if let Some(m) = self.member(g, member) {
                    let generation = self.broker.group(g).unwrap().generation();
                    let res = self.broker.commit_offsets(
                        g,
                        &m,
                        generation - 1,
                        &[(tp.clone(), 0)],
                        self.now,
                    );
                    assert!(
                        matches!(res, Err(BrokerError::IllegalGeneration { .. })),
                        "{res:?}"
                    );
                }
                if self.broker.group(g).is_some() {
                    let res = self
                        .broker
                        .commit_offsets(g, "stranger", 1, &[(tp, 0)], self.now);
                    assert!(
                        matches!(res, Err(BrokerError::UnknownMemberId { .. })),
                        "{res:?}"
                    );
                }
            }
            Op::Retention { advance_ms } => {
                self.now += i64::from(advance_ms);
                self.broker.enforce_retention(self.now);
            }
            Op::Settle => {
                for (i, g) in GROUPS.iter().enumerate() {
                    self.settle(g, self.assignors[i]);
                    self.check_exclusive_ownership(g);
                }
            }
        }
    }

    fn forget_removed_members(&mut self) {
        for (g, list) in self.members.iter_mut() {
            let alive: Vec<String> = self
                .broker
                .group(g)
                .map(|grp| grp.members().map(|m| m.id().to_string()).collect())
                .unwrap_or_default();
            list.retain(|m| alive.contains(m));
        }
    }

    fn check_exclusive_ownership(&self, g: &str) {
        let Some(group) = self.broker.group(g) else {
            return;
        };
        if group.is_empty() {
            return;
        }
        assert_eq!(group.state(), GroupState::Stable);
        let mut owners: BTreeMap<TopicPartition, usize> = BTreeMap::new();
        for m in group.members() {
            for tp in m.assignment() {
                *owners.entry(tp.clone()).or_default() += 1;
            }
        }
        let total: u32 = TOPICS.iter().map(|(_, n)| n).sum();
        assert_eq!(owners.len() as u32, total, "every partition owned");
        assert!(
            owners.values().all(|&c| c == 1),
            "owned exactly once: {owners:?}"
        );
        let members = group.members().len() as u32;
        let idle = group
            .members()
            .filter(|m| m.assignment().is_empty())
            .count() as u32;
        assert!(
            idle >= members.saturating_sub(total),
            "members beyond the partition count are idle"
        );
        if group.protocol_name() != Some("range") {
            // Range works topic by topic and may idle more; the others balance over everything.
            assert_eq!(
                idle,
                members.saturating_sub(total),
                "only members beyond the partition count are idle"
            );
        }
    }

    fn check_invariants(&mut self) {
        for topic in self.broker.topics() {
            for (p, log) in topic.partitions().iter().enumerate() {
                let tp = TopicPartition::new(topic.name(), p as u32);
                let (start, hw) = (log.log_start_offset(), log.high_watermark());
                assert!(0 <= start && start <= hw);
                assert_eq!((hw - start) as usize, log.len(), "offsets are dense");
                // Retention removes only a prefix: what remains is exactly start..hw, untouched.
                for (expected, r) in (start..).zip(log.iter_from(start)) {
                    assert_eq!(r.offset(), expected);
                    assert_eq!(r.value().unwrap().as_ref(), value_for(expected).as_slice());
                }
                let prev = self.log_starts.insert(tp.clone(), start).unwrap_or(0);
                assert!(start >= prev, "the log start never moves back");
                for g in self.broker.groups() {
                    if let Some(c) = g.committed(&tp) {
                        assert!(c <= hw, "committed <= high watermark");
                        assert_eq!(self.broker.lag(g.name(), &tp), Some(hw - c));
                    }
                }
            }
        }
        for g in self.broker.groups() {
            if g.state() == GroupState::Stable {
                let assigned: usize = g.members().map(|m| m.assignment().len()).sum();
                let mut all: Vec<&TopicPartition> =
                    g.members().flat_map(|m| m.assignment()).collect();
                all.sort();
                all.dedup();
                assert_eq!(
                    all.len(),
                    assigned,
                    "no partition owned twice in a stable group"
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn invariants_hold_over_random_operations(ops in proptest::collection::vec(op(), 1..60), a1 in 0..4usize, a2 in 0..4usize) {
        let mut world = World::new([KINDS[a1], KINDS[a2]]);
        for op in &ops {
            world.apply(op);
            world.check_invariants();
        }
    }

    #[test]
    fn the_same_key_always_maps_to_the_same_partition(key in proptest::collection::vec(any::<u8>(), 0..64), n in 1..64u32) {
        for hasher in [KeyHasher::Murmur2, KeyHasher::Crc32] {
            let p = hasher.partition(&key, n);
            prop_assert!(p < n);
            prop_assert_eq!(p, hasher.partition(&key.clone(), n));
        }
    }

    #[test]
    fn every_assignor_covers_every_partition_once(members in 1..12usize, parts_a in 1..20u32, parts_b in 1..20u32, kind in 0..3usize) {
        use minikafka::broker::{assign, MemberSubscription};
        let kind = [AssignorKind::Range, AssignorKind::RoundRobin, AssignorKind::Sticky][kind];
        let topics = vec!["a".to_string(), "b".to_string()];
        let ids: Vec<String> = (0..members).map(|i| format!("m{i:02}")).collect();
        let subs: Vec<MemberSubscription> = ids.iter().map(|id| MemberSubscription { member_id: id, topics: &topics, owned: &[] }).collect();
        let counts: BTreeMap<String, u32> = [("a".to_string(), parts_a), ("b".to_string(), parts_b)].into();
        let a = assign(kind, &subs, &counts);
        let mut all: Vec<&TopicPartition> = a.values().flatten().collect();
        all.sort();
        let len = all.len();
        all.dedup();
        prop_assert_eq!(len, all.len());
        prop_assert_eq!(len as u32, parts_a + parts_b);
        if kind != AssignorKind::Range {
            let min = a.values().map(Vec::len).min().unwrap();
            let max = a.values().map(Vec::len).max().unwrap();
            prop_assert!(max - min <= 1, "balanced: {a:?}");
        }
    }
}
