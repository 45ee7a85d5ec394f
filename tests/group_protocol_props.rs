//! Ownership under every group protocol: no partition is ever owned by two members at once
//! (checked after every step, mid-rebalance and mid-reconciliation included), and once the
//! group settles every partition has exactly one owner.
//!
//! Two levels:
//! - the broker's consumer protocol (KIP-848) against model clients that take their time to
//!   give partitions up, heartbeat when they like, leave, crash and rejoin: what a client
//!   owns is what its answers gave it, less what it has given up;
//! - the simulation, whose eager, cooperative and consumer-protocol members run through
//!   random membership changes; debug builds check the simulation's invariants (two running
//!   members never work on one partition) after every 10 ms tick.

use std::collections::{BTreeMap, BTreeSet};

use minikafka::broker::{
    Broker, BrokerError, ConsumerGroupConfig, ConsumerHeartbeat, GroupState, TopicConfig,
    TopicPartition,
};
use minikafka::sim::{Command, Scenario, Simulation};
use proptest::prelude::*;

const GROUP: &str = "g";
const PARTITIONS: u32 = 6;
const SESSION_MS: i64 = 5_000;

/// A KIP-848 client: what it owns, and what it was told to give up but still holds.
#[derive(Debug, Clone)]
struct Client {
    id: String,
    epoch: i32,
    owned: BTreeSet<TopicPartition>,
    to_revoke: BTreeSet<TopicPartition>,
    joined: bool,
}

#[derive(Debug, Clone)]
enum Op {
    Start,
    /// Client `n` heartbeats with what it owns, and takes any new partitions at once.
    Heartbeat(usize),
    /// Client `n` finally gives up what it was asked to.
    Revoke(usize),
    Leave(usize),
    /// Client `n` stops dead (it processes nothing from then on).
    Crash(usize),
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Start),
        8 => (0..8usize).prop_map(Op::Heartbeat),
        4 => (0..8usize).prop_map(Op::Revoke),
        1 => (0..8usize).prop_map(Op::Leave),
        1 => (0..8usize).prop_map(Op::Crash),
        2 => (0..1_500u16).prop_map(Op::Advance),
    ]
}

struct World {
    broker: Broker,
    clients: Vec<Client>,
    now: i64,
    next_id: u32,
}

impl World {
    fn new() -> Self {
        let mut broker = Broker::new();
        broker
            .create_topic("t", TopicConfig::new(PARTITIONS), 0)
            .unwrap();
        broker.set_consumer_group_config(
            GROUP,
            ConsumerGroupConfig {
                session_timeout_ms: SESSION_MS,
                heartbeat_interval_ms: 500,
            },
        );
        World {
            broker,
            clients: Vec::new(),
            now: 0,
            next_id: 1,
        }
    }

    fn heartbeat(&mut self, i: usize, assignor: &str) {
        let c = &mut self.clients[i];
        let mut req = if c.joined {
            ConsumerHeartbeat {
                group: GROUP.into(),
                member_id: c.id.clone(),
                member_epoch: c.epoch,
                owned: Some(c.owned.iter().cloned().collect()),
                ..ConsumerHeartbeat::default()
            }
        } else {
            ConsumerHeartbeat::join(GROUP, &c.id, &["t".to_string()])
        };
        req.server_assignor = Some(assignor.to_string());
        match self.broker.consumer_group_heartbeat(req, self.now) {
            Ok(reply) => {
                c.joined = true;
                c.epoch = reply.member_epoch;
                if let Some(assigned) = reply.assignment {
                    let assigned: BTreeSet<TopicPartition> = assigned.into_iter().collect();
                    c.to_revoke = c.owned.difference(&assigned).cloned().collect();
                    c.owned.extend(assigned);
                }
            }
            Err(BrokerError::FencedMemberEpoch { .. } | BrokerError::UnknownMemberId { .. }) => {
                // Fenced: it gives everything up and rejoins.
                c.owned.clear();
                c.to_revoke.clear();
                c.joined = false;
            }
            Err(e) => panic!("unexpected refusal: {e}"),
        }
    }

    fn apply(&mut self, op: &Op, assignor: &str) {
        let n = self.clients.len();
        match *op {
            Op::Start => {
                self.clients.push(Client {
                    id: format!("c{}", self.next_id),
                    epoch: 0,
                    owned: BTreeSet::new(),
                    to_revoke: BTreeSet::new(),
                    joined: false,
                });
                self.next_id += 1;
            }
            Op::Heartbeat(i) if n > 0 => self.heartbeat(i % n, assignor),
            Op::Revoke(i) if n > 0 => {
                let c = &mut self.clients[i % n];
                let gone = std::mem::take(&mut c.to_revoke);
                c.owned.retain(|tp| !gone.contains(tp));
            }
            Op::Leave(i) if n > 0 => {
                let c = self.clients.remove(i % n);
                let leave = ConsumerHeartbeat {
                    group: GROUP.into(),
                    member_id: c.id,
                    member_epoch: -1,
                    ..ConsumerHeartbeat::default()
                };
                let _ = self.broker.consumer_group_heartbeat(leave, self.now);
            }
            Op::Crash(i) if n > 0 => {
                self.clients.remove(i % n);
            }
            Op::Advance(ms) => {
                self.now += i64::from(ms);
                self.broker.tick(self.now);
            }
            _ => {}
        }
    }

    /// What each client that is still a member owns. A client the broker fenced (it went
    /// silent past its session, or held on to revoked partitions past its rebalance
    /// timeout) is no member: it learns so at its next heartbeat and drops everything.
    fn owners(&self) -> BTreeMap<&TopicPartition, Vec<&str>> {
        let mut owners: BTreeMap<&TopicPartition, Vec<&str>> = BTreeMap::new();
        let group = self.broker.consumer_group(GROUP);
        for c in &self.clients {
            if group.is_none_or(|g| g.member(&c.id).is_none()) {
                continue;
            }
            for tp in &c.owned {
                owners.entry(tp).or_default().push(&c.id);
            }
        }
        owners
    }

    /// Every client heartbeats and gives up what it must, a second at a time, until the
    /// group is Stable and every client holds its assignment.
    fn settle(&mut self, assignor: &str) -> bool {
        for _ in 0..(SESSION_MS / 1_000 + 10) {
            for i in 0..self.clients.len() {
                self.heartbeat(i, assignor);
                self.apply(&Op::Revoke(i), assignor);
                self.heartbeat(i, assignor);
            }
            self.now += 1_000;
            self.broker.tick(self.now);
            let Some(g) = self.broker.consumer_group(GROUP) else {
                return self.clients.is_empty();
            };
            if self.clients.is_empty() {
                if g.members().len() == 0 {
                    return true;
                }
                continue;
            }
            let reconciled = self.clients.iter().all(|c| {
                g.member(&c.id).is_some_and(|m| {
                    m.assigned().cloned().collect::<BTreeSet<_>>() == c.owned
                        && m.epoch() == c.epoch
                })
            });
            if g.state() == GroupState::Stable
                && g.members().len() == self.clients.len()
                && reconciled
            {
                return true;
            }
        }
        false
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn the_consumer_protocol_never_gives_a_partition_to_two_members(
        ops in proptest::collection::vec(op(), 1..120),
        range in any::<bool>(),
    ) {
        let assignor = if range { "range" } else { "uniform" };
        let mut world = World::new();
        for op in &ops {
            world.apply(op, assignor);
            let owners = world.owners();
            let twice = owners.iter().find(|(_, who)| who.len() > 1);
            prop_assert!(twice.is_none(), "after {op:?}: {twice:?}");
        }
        prop_assert!(world.settle(assignor), "did not settle: {:?}", world.clients);
        let owners = world.owners();
        if !world.clients.is_empty() {
            prop_assert_eq!(owners.len(), PARTITIONS as usize, "every partition owned");
            prop_assert!(owners.values().all(|who| who.len() == 1));
        }
    }
}

/// One topic and one group under `protocol`/`assignor`, two members to start with.
fn scenario(protocol: &str, assignor: &str) -> Scenario {
    let text = format!(
        r#"name = "props"
[[topics]]
name = "t"
partitions = 6
[[producers]]
topic = "t"
rate = 50.0
[[groups]]
name = "g"
topics = ["t"]
consumers = 2
process_rate = 100.0
protocol = "{protocol}"
assignor = "{assignor}"
session_timeout_ms = 3000
"#
    );
    Scenario::parse(&text, "props.toml").unwrap()
}

#[derive(Debug, Clone)]
enum Change {
    Add,
    Remove,
    Crash,
    Restart(u16),
    Wait(u16),
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        2 => Just(Change::Add),
        1 => Just(Change::Remove),
        1 => Just(Change::Crash),
        1 => (0..5_000u16).prop_map(Change::Restart),
        3 => (10..4_000u16).prop_map(Change::Wait),
    ]
}

const PROTOCOLS: [(&str, &str); 4] = [
    ("classic", "range"),
    ("classic", "cooperative-sticky"),
    ("consumer", "uniform"),
    ("consumer", "range"),
];

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn every_protocol_keeps_one_owner_per_partition(
        changes in proptest::collection::vec(change(), 1..12),
        which in 0..PROTOCOLS.len(),
    ) {
        let (protocol, assignor) = PROTOCOLS[which];
        let mut sim = Simulation::new(scenario(protocol, assignor), Some(1)).unwrap();
        let g = || "g".to_string();
        for c in &changes {
            // Refusals (no member to remove) change nothing, which is fine here.
            let _ = match *c {
                Change::Add => sim.apply(Command::AddConsumer { group: g() }),
                Change::Remove => sim.apply(Command::RemoveConsumer { group: g() }),
                Change::Crash => sim.apply(Command::CrashConsumer { group: g() }),
                Change::Restart(ms) => sim.apply(Command::RestartConsumer {
                    group: g(),
                    downtime_ms: i64::from(ms),
                }),
                Change::Wait(ms) => {
                    // Tick by tick: the invariants are checked after every step.
                    for _ in 0..ms / 10 {
                        sim.step(10);
                    }
                    Ok(String::new())
                }
            };
            prop_assert_eq!(sim.check_invariants(), Ok(()));
        }
        if sim.group("g").unwrap().consumers() == 0 {
            sim.apply(Command::AddConsumer { group: g() }).unwrap();
        }
        // Long enough for crashed members to expire, restarted ones to return, and every
        // follow-up rebalance to finish.
        for _ in 0..2_000 {
            sim.step(10);
        }
        let group = sim.group("g").unwrap();
        let held = group.held_partitions();
        let distinct: BTreeSet<_> = held.iter().collect();
        prop_assert_eq!(held.len(), distinct.len(), "a partition worked on twice");
        prop_assert_eq!(held.len(), 6, "{} {}: every partition owned once settled", protocol, assignor);
        let b = sim.broker().read();
        let owners: usize = b
            .any_group("g")
            .unwrap()
            .members()
            .iter()
            .map(|m| m.assigned.len())
            .sum();
        prop_assert_eq!(owners, 6, "the broker's assignment covers each partition once");
        prop_assert_eq!(b.any_group("g").unwrap().state(), GroupState::Stable);
    }
}
