//! Property tests for the replicated cluster: the invariants of docs/design.md hold after
//! every step of random produce (all acks), fetch, commit, crash, restart, stop, slow,
//! heal and replication, with and without unclean election.

use std::collections::BTreeMap;

use bytes::Bytes;
use minikafka::broker::{
    Acks, Broker, BrokerError, BrokerId, BrokerState, ClusterConfig, NewRecord, ProduceOptions,
    ProduceWait, Produced, ProducerId, RetentionPolicy, TopicConfig, TopicPartition,
};
use proptest::prelude::*;

const BROKERS: u32 = 4;
const PARTITIONS: u32 = 3;
const LAG_MS: i64 = 500;

#[derive(Debug, Clone)]
enum Op {
    Produce {
        partition: u32,
        n: u8,
        acks: u8,
        via: Option<u8>,
    },
    Fetch {
        partition: u32,
        at: u8,
        max: u8,
    },
    Commit {
        partition: u32,
        back: u8,
    },
    Crash(u8),
    Restart(u8),
    Stop(u8),
    Slow {
        broker: u8,
        rate: u16,
    },
    Heal(u8),
    Replicate {
        advance_ms: u16,
    },
    Retention,
}

fn op() -> impl Strategy<Value = Op> {
    let broker = || 1..=BROKERS as u8;
    prop_oneof![
        6 => (0..PARTITIONS, 1..8u8, 0..3u8, prop::option::weighted(0.2, 1..=BROKERS as u8))
            .prop_map(|(partition, n, acks, via)| Op::Produce { partition, n, acks, via }),
        2 => (0..PARTITIONS, any::<u8>(), 1..20u8).prop_map(|(partition, at, max)| Op::Fetch { partition, at, max }),
        1 => (0..PARTITIONS, 0..10u8).prop_map(|(partition, back)| Op::Commit { partition, back }),
        1 => broker().prop_map(Op::Crash),
        1 => broker().prop_map(Op::Restart),
        1 => broker().prop_map(Op::Stop),
        1 => (broker(), 0..40u16).prop_map(|(broker, rate)| Op::Slow { broker, rate }),
        1 => broker().prop_map(Op::Heal),
        6 => (0..700u16).prop_map(|advance_ms| Op::Replicate { advance_ms }),
        1 => Just(Op::Retention),
    ]
}

const ACKS: [Acks; 3] = [Acks::None, Acks::Leader, Acks::All];

/// What one partition looked like at the last check.
#[derive(Debug, Clone, Copy, Default)]
struct Seen {
    hw: i64,
    log_start: i64,
    unclean: u32,
    epoch: i32,
}

/// The test drives the broker and keeps its own account of what producers were told.
struct World {
    broker: Broker,
    now: i64,
    next_value: u64,
    /// `acks=all` batches waiting for their answer.
    waiting: Vec<(u32, Produced, Vec<u64>)>,
    /// Acknowledged records still expected in the log, by producer acks: (partition,
    /// offset, value).
    acked: BTreeMap<u8, Vec<(u32, i64, u64)>>,
    /// Acknowledged `acks=1` records the test saw vanish from the log.
    acks1_lost: u64,
    seen: BTreeMap<u32, Seen>,
    leaders: BTreeMap<(u32, i32), BrokerId>,
}

fn value_of(record_value: &Bytes) -> u64 {
    u64::from_be_bytes(record_value[..8].try_into().unwrap())
}

impl World {
    fn new(unclean: bool) -> Self {
        let mut config = ClusterConfig::new(BROKERS);
        config.unclean_leader_election = unclean;
        config.replica_lag_time_max_ms = LAG_MS;
        config.placement_seed = 3;
        let mut broker = Broker::with_cluster(config).unwrap();
        let retention = RetentionPolicy {
            records: Some(60),
            ..Default::default()
        };
        let topic = TopicConfig::new(PARTITIONS)
            .with_retention(retention)
            .with_replication(3, 2);
        broker.create_topic("t", topic, 0).unwrap();
        World {
            broker,
            now: 0,
            next_value: 0,
            waiting: Vec::new(),
            acked: BTreeMap::new(),
            acks1_lost: 0,
            seen: BTreeMap::new(),
            leaders: BTreeMap::new(),
        }
    }

    fn produce(&mut self, partition: u32, n: u8, acks: u8, via: Option<u8>) {
        let values: Vec<u64> = (0..n).map(|i| self.next_value + u64::from(i)).collect();
        self.next_value += u64::from(n);
        let records = values
            .iter()
            .map(|v| NewRecord::new(self.now, None, Bytes::copy_from_slice(&v.to_be_bytes())));
        let options = ProduceOptions {
            acks: ACKS[acks as usize],
            producer: ProducerId(u32::from(acks)),
            via: via.map(BrokerId::from),
        };
        let leader = self.broker.partition_leader("t", partition).unwrap();
        match self
            .broker
            .produce("t", partition, records, options, self.now)
        {
            Ok(p) if p.acknowledged => self.acknowledge(acks, partition, &p, &values),
            Ok(p) if acks == 2 => self.waiting.push((partition, p, values)),
            Ok(_) => assert_eq!(acks, 0, "acks=1 is acknowledged at once"),
            Err(BrokerError::NotLeaderOrFollower { .. }) => {
                assert!(via.is_some() && leader.is_some() && leader != via.map(BrokerId::from));
            }
            Err(BrokerError::LeaderNotAvailable { .. }) => assert!(leader.is_none()),
            Err(BrokerError::NotEnoughReplicas {
                isr, min_insync, ..
            }) => {
                assert_eq!(acks, 2);
                assert!(isr < min_insync);
            }
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }

    fn acknowledge(&mut self, acks: u8, partition: u32, p: &Produced, values: &[u64]) {
        let list = self.acked.entry(acks).or_default();
        for (i, v) in values.iter().enumerate() {
            list.push((partition, p.base_offset + i as i64, *v));
        }
    }

    /// Asks after every waiting `acks=all` batch, as a network server would.
    fn poll_waiting(&mut self) {
        let waiting = std::mem::take(&mut self.waiting);
        for (partition, p, values) in waiting {
            match self.broker.produce_status("t", partition, &p).unwrap() {
                ProduceWait::Acknowledged => self.acknowledge(2, partition, &p, &values),
                ProduceWait::Waiting => self.waiting.push((partition, p, values)),
                ProduceWait::Failed(_) => {}
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        let b = &mut self.broker;
        let now = self.now;
        match *op {
            Op::Produce {
                partition,
                n,
                acks,
                via,
            } => self.produce(partition, n, acks, via),
            Op::Fetch { partition, at, max } => self.fetch(partition, at, max),
            Op::Commit { partition, back } => {
                let hw = b.partition("t", partition).unwrap().high_watermark();
                let tp = TopicPartition::new("t", partition);
                let at = (hw - i64::from(back)).max(0);
                let res = b.commit_offsets("g", "", -1, &[(tp, at)], now);
                assert!(
                    res.is_ok() || matches!(res, Err(BrokerError::CoordinatorNotAvailable { .. }))
                );
            }
            Op::Crash(id) => drop(b.crash_broker(BrokerId::from(id), now)),
            Op::Restart(id) => drop(b.restart_broker(BrokerId::from(id), now)),
            Op::Stop(id) => drop(b.stop_broker(BrokerId::from(id), now)),
            Op::Slow { broker, rate } => b
                .slow_broker(BrokerId::from(broker), f64::from(rate), now)
                .unwrap(),
            Op::Heal(id) => drop(b.heal_broker(BrokerId::from(id), now)),
            Op::Replicate { advance_ms } => {
                self.now += i64::from(advance_ms);
                self.broker.replicate(self.now);
                self.poll_waiting();
            }
            Op::Retention => drop(b.enforce_retention(now)),
        }
    }

    fn fetch(&self, partition: u32, at: u8, max: u8) {
        let log = self.broker.partition("t", partition).unwrap();
        let offset = log.log_start_offset() + i64::from(at) % 80;
        match self
            .broker
            .fetch("t", partition, offset, max as usize, u64::MAX)
        {
            Ok(r) => {
                assert!(offset <= r.high_watermark);
                for (i, rec) in r.records.iter().enumerate() {
                    assert_eq!(rec.offset(), offset + i as i64, "fetch returns o, o+1, ...");
                    assert!(
                        rec.offset() < r.high_watermark,
                        "nothing past the high watermark"
                    );
                }
            }
            Err(BrokerError::OffsetOutOfRange { .. }) => {
                assert!(offset > log.high_watermark() || offset < log.log_start_offset());
            }
            Err(e) => panic!("fetch: {e}"),
        }
    }

    fn check(&mut self) {
        self.check_partitions();
        self.check_acknowledged();
        let b = &self.broker;
        if let Ok(c) = b.coordinator("g") {
            assert_eq!(
                b.cluster().node(c).unwrap().state(),
                BrokerState::Up,
                "a live coordinator"
            );
        }
        let hw_of = |p| b.partition("t", p).unwrap().high_watermark();
        for p in 0..PARTITIONS {
            let tp = TopicPartition::new("t", p);
            if let Some(c) = b.committed_offset("g", &tp) {
                assert!(
                    c <= hw_of(p),
                    "committed {c} <= high watermark {}",
                    hw_of(p)
                );
            }
        }
    }

    fn check_partitions(&mut self) {
        for p in 0..PARTITIONS {
            let log = self.broker.partition("t", p).unwrap();
            let rs = self.broker.replica_set("t", p).unwrap();
            let (start, hw, end) = (
                log.log_start_offset(),
                log.high_watermark(),
                log.log_end_offset(),
            );
            assert!(
                0 <= start && start <= hw && hw <= end,
                "{start} <= {hw} <= {end}"
            );
            if let Some(l) = rs.leader() {
                assert!(rs.in_sync(l), "p{p}: leader {l} in ISR {:?}", rs.isr());
                assert!(
                    self.broker.cluster().node(l).unwrap().is_up(),
                    "a live leader"
                );
                assert_eq!(rs.log_end_offset(l), Some(end));
            }
            for &m in rs.isr() {
                assert!(rs.replicas().contains(&m));
                let leo = rs.log_end_offset(m).unwrap();
                assert!(
                    hw <= leo,
                    "p{p}: high watermark {hw} <= ISR member {m}'s end {leo}"
                );
            }
            let offsets: Vec<i64> = log.iter_from(start).map(|r| r.offset()).collect();
            assert_eq!(
                offsets,
                (start..hw).collect::<Vec<_>>(),
                "dense offsets below the high watermark"
            );
            let now = Seen {
                hw,
                log_start: start,
                unclean: rs.unclean_elections(),
                epoch: rs.leader_epoch(),
            };
            let before = self.seen.insert(p, now).unwrap_or_default();
            assert!(
                now.log_start >= before.log_start,
                "the log start only moves forward"
            );
            assert!(now.epoch >= before.epoch, "epochs only grow");
            if now.hw < before.hw {
                assert!(
                    now.unclean > before.unclean,
                    "p{p}: high watermark back without an unclean election"
                );
            }
            if let Some(l) = rs.leader() {
                let first = *self.leaders.entry((p, now.epoch)).or_insert(l);
                assert_eq!(first, l, "p{p}: epoch {} has one leader", now.epoch);
            }
        }
    }

    /// Acknowledged records are still where they were acknowledged, unless retention
    /// removed them or an election cut them; `acks=all` ones only by an unclean election.
    fn check_acknowledged(&mut self) {
        let clean_only = self.broker.unclean_elections() == 0;
        for (acks, list) in self.acked.iter_mut() {
            let b = &self.broker;
            let mut lost = 0;
            list.retain(|&(p, offset, value)| {
                let log = b.partition("t", p).unwrap();
                if offset < log.log_start_offset() {
                    return false;
                }
                let there = log.get(offset).and_then(|r| r.value().map(value_of));
                if there == Some(value) {
                    return true;
                }
                lost += 1;
                false
            });
            if *acks == 2 {
                assert!(
                    !(clean_only && lost > 0),
                    "{lost} records acknowledged with acks=all lost, clean elections only"
                );
            } else {
                self.acks1_lost += lost;
            }
        }
        let tally = |acks: u32| {
            self.broker
                .producer_tally(ProducerId(acks))
                .map_or(0, |t| t.acked_lost)
        };
        assert_eq!(tally(1), self.acks1_lost, "acks=1 losses counted exactly");
        if clean_only {
            assert_eq!(
                tally(2),
                0,
                "no acks=all record lost with clean elections only"
            );
        }
        assert_eq!(self.broker.acked_lost(), tally(1) + tally(2));
    }
}

fn run(ops: &[Op], unclean: bool) {
    let mut w = World::new(unclean);
    for op in ops {
        w.apply(op);
        w.check();
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn invariants_hold_with_clean_elections_only(ops in prop::collection::vec(op(), 1..120)) {
        run(&ops, false);
    }

    #[test]
    fn invariants_hold_with_unclean_elections(ops in prop::collection::vec(op(), 1..120)) {
        run(&ops, true);
    }
}

/// A sequence that takes every path at least once, so a shrunk failure above is not the
/// only witness: slow follower, crash with a cut, unclean election, restart, shutdown.
#[test]
fn a_scripted_run_exercises_every_path() {
    use Op::*;
    let ops = [
        Produce {
            partition: 0,
            n: 5,
            acks: 2,
            via: None,
        },
        Replicate { advance_ms: 10 },
        Slow { broker: 2, rate: 0 },
        Slow { broker: 3, rate: 0 },
        Slow { broker: 4, rate: 0 },
        Produce {
            partition: 0,
            n: 5,
            acks: 1,
            via: None,
        },
        Replicate { advance_ms: 600 },
        Produce {
            partition: 0,
            n: 5,
            acks: 1,
            via: None,
        },
        Crash(1),
        Crash(2),
        Crash(3),
        Crash(4),
        Restart(2),
        Restart(3),
        Heal(2),
        Heal(3),
        Heal(4),
        Replicate { advance_ms: 10 },
        Restart(1),
        Restart(4),
        Replicate { advance_ms: 10 },
        Stop(1),
        Replicate { advance_ms: 10 },
        Retention,
    ];
    let mut w = World::new(true);
    for op in &ops {
        w.apply(op);
        w.check();
    }
    assert!(
        w.broker.unclean_elections() > 0,
        "the run went through an unclean election"
    );
    assert!(w.acks1_lost > 0, "and lost acknowledged acks=1 records");
}
