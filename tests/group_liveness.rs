//! Liveness of the group protocol: however the members' requests interleave, once nobody
//! changes membership any more, a fair round of ordinary client steps makes the group Stable
//! with every member holding the current generation, without waiting for any timeout.
//!
//! Each member is modelled as a real consumer is: a request either answers at once or stays
//! open (parked) until the member polls it, and a member with an open request sends nothing
//! else. Time moves only in small steps (never near a rebalance timeout), so a member stuck
//! until a rebalance timeout shows up as a group that does not converge.

use minikafka::broker::{
    AssignorKind, Broker, BrokerError, GroupState, JoinGroupRequest, JoinOutcome, JoinResult,
    SyncAssignment, SyncOutcome, TopicConfig,
};
use proptest::prelude::*;

const GROUP: &str = "g";
const KINDS: [AssignorKind; 4] = [
    AssignorKind::Range,
    AssignorKind::RoundRobin,
    AssignorKind::Sticky,
    AssignorKind::CooperativeSticky,
];

#[derive(Debug, Clone, PartialEq)]
enum Phase {
    /// Must send a JoinGroup (with its id, if it has one).
    NeedJoin,
    /// Its JoinGroup is open.
    JoinParked,
    /// Holds a join result and must send SyncGroup.
    NeedSync(JoinResult),
    /// Its SyncGroup is open.
    SyncParked(i32),
    /// Has an assignment for this generation and heartbeats.
    Stable(i32),
}

#[derive(Debug)]
struct Client {
    id: Option<String>,
    phase: Phase,
}

#[derive(Debug, Clone)]
enum Op {
    /// A new consumer starts.
    Start,
    /// Client `n` (modulo the count) takes its next protocol step.
    Step(usize),
    /// Client `n` leaves the group, whatever it is doing.
    Leave(usize),
    /// Client `n`, if stable, rejoins as a leader does when topic metadata changed.
    Rejoin(usize),
    /// Time passes and the broker's timers run (sessions, the initial rebalance delay).
    Advance(u16),
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        2 => Just(Op::Start),
        8 => (0..8usize).prop_map(Op::Step),
        1 => (0..8usize).prop_map(Op::Leave),
        2 => (0..8usize).prop_map(Op::Rejoin),
        1 => (0..2_000u16).prop_map(Op::Advance),
    ]
}

struct World {
    broker: Broker,
    clients: Vec<Client>,
    kind: AssignorKind,
    require_known_member_id: bool,
    initial_rebalance_delay_ms: i64,
    now: i64,
}

impl World {
    fn new(kind: AssignorKind, require_known_member_id: bool, delay_ms: i64) -> Self {
        let mut broker = Broker::new();
        broker.create_topic("t", TopicConfig::new(4), 0).unwrap();
        World {
            broker,
            clients: Vec::new(),
            kind,
            require_known_member_id,
            initial_rebalance_delay_ms: delay_ms,
            now: 0,
        }
    }

    fn join_request(&self, id: Option<String>) -> JoinGroupRequest {
        let mut req =
            JoinGroupRequest::consumer(GROUP, "c", &["t".to_string()], self.kind.protocol_name());
        req.member_id = id;
        req.require_known_member_id = self.require_known_member_id;
        req.initial_rebalance_delay_ms = self.initial_rebalance_delay_ms;
        req
    }

    /// The broker no longer knows this member: start over without an id.
    fn fenced(c: &mut Client) {
        c.id = None;
        c.phase = Phase::NeedJoin;
    }

    fn step(&mut self, n: usize) {
        let (kind, now) = (self.kind, self.now);
        let req = self.join_request(self.clients[n].id.clone());
        let c = &mut self.clients[n];
        let b = &mut self.broker;
        match c.phase.clone() {
            Phase::NeedJoin => match b.join_group(req, now) {
                Ok(JoinOutcome::Joined(r)) => {
                    c.id = Some(r.member_id.clone());
                    c.phase = Phase::NeedSync(r);
                }
                Ok(JoinOutcome::Pending { member_id }) => {
                    c.id = Some(member_id);
                    c.phase = Phase::JoinParked;
                }
                Err(BrokerError::MemberIdRequired { member, .. }) => c.id = Some(member),
                Err(BrokerError::UnknownMemberId { .. }) => Self::fenced(c),
                Err(e) => panic!("unexpected join error {e}"),
            },
            Phase::JoinParked => {
                let id = c.id.clone().expect("a parked join has an id");
                if let Some(r) = b.poll_join(GROUP, &id) {
                    c.phase = Phase::NeedSync(r);
                } else if b.group(GROUP).is_none_or(|g| g.member(&id).is_none()) {
                    Self::fenced(c);
                }
            }
            Phase::NeedSync(r) => {
                let request = if r.leader == r.member_id {
                    SyncAssignment::Compute(kind)
                } else {
                    SyncAssignment::Follower
                };
                match b.sync_group(GROUP, &r.member_id, r.generation, request, now) {
                    Ok(SyncOutcome::Assigned(_)) => c.phase = Phase::Stable(r.generation),
                    Ok(SyncOutcome::Pending) => c.phase = Phase::SyncParked(r.generation),
                    Err(BrokerError::UnknownMemberId { .. }) => Self::fenced(c),
                    Err(_) => c.phase = Phase::NeedJoin,
                }
            }
            Phase::SyncParked(generation) => {
                let id = c.id.clone().expect("a parked sync has an id");
                match b.poll_sync(GROUP, &id, generation) {
                    None => {}
                    Some(Ok(_)) => c.phase = Phase::Stable(generation),
                    Some(Err(BrokerError::UnknownMemberId { .. })) => Self::fenced(c),
                    Some(Err(_)) => c.phase = Phase::NeedJoin,
                }
            }
            Phase::Stable(generation) => {
                let id = c.id.clone().expect("a stable member has an id");
                match b.heartbeat(GROUP, &id, generation, now) {
                    Ok(()) => {}
                    Err(BrokerError::UnknownMemberId { .. }) => Self::fenced(c),
                    Err(_) => c.phase = Phase::NeedJoin,
                }
            }
        }
    }

    fn apply(&mut self, op: &Op) {
        let n = self.clients.len();
        match *op {
            Op::Start => self.clients.push(Client {
                id: None,
                phase: Phase::NeedJoin,
            }),
            Op::Step(i) if n > 0 => self.step(i % n),
            Op::Leave(i) if n > 0 => {
                let c = self.clients.remove(i % n);
                if let Some(id) = c.id {
                    let _ = self.broker.leave_group(GROUP, &id, self.now);
                }
            }
            Op::Rejoin(i) if n > 0 => {
                let c = &mut self.clients[i % n];
                if matches!(c.phase, Phase::Stable(_)) {
                    c.phase = Phase::NeedJoin;
                }
            }
            Op::Advance(ms) => {
                self.now += i64::from(ms);
                self.broker.tick(self.now);
            }
            _ => {}
        }
    }

    /// Steps every client in turn, letting any initial rebalance delay run out between
    /// rounds, until the group is stable; true if it settled.
    fn settles(&mut self) -> bool {
        for _ in 0..20 {
            for n in 0..self.clients.len() {
                self.step(n);
            }
            self.now += self.initial_rebalance_delay_ms;
            self.broker.tick(self.now);
            let Some(g) = self.broker.group(GROUP) else {
                return self.clients.is_empty();
            };
            if self.clients.is_empty() {
                return g.members().len() == 0;
            }
            let settled = g.state() == GroupState::Stable
                && g.members().len() == self.clients.len()
                && self.clients.iter().all(|c| {
                    c.phase == Phase::Stable(g.generation())
                        && c.id.as_deref().is_some_and(|id| g.member(id).is_some())
                });
            if settled {
                return true;
            }
        }
        false
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_interleaving_settles_without_a_timeout(
        ops in proptest::collection::vec(op(), 1..80),
        kind in 0..4usize,
        require_known_member_id in any::<bool>(),
        delay_ms in prop_oneof![Just(0i64), Just(3_000i64)],
    ) {
        let mut world = World::new(KINDS[kind], require_known_member_id, delay_ms);
        for op in &ops {
            world.apply(op);
        }
        prop_assert!(
            world.settles(),
            "the group did not settle: {:?} {:?}",
            world.broker.group(GROUP).map(|g| (g.state(), g.generation(), g.members().map(|m| m.id().to_string()).collect::<Vec<_>>())),
            world.clients
        );
    }
}
