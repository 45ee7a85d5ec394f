//! The consumer protocol's side of a simulated member (KIP-848), as Kafka 4's clients drive
//! it: a heartbeat every interval the broker sets, reporting what the member owns. An answer
//! that takes partitions away is obeyed at once (committing first under auto-commit), and
//! the member heartbeats again on its next tick to say so, which is what frees them for
//! their next owner; an answer with new partitions starts work on them straight away.

use crate::broker::{
    BrokerError, ConsumerHeartbeat, HeartbeatReply, LEAVE_GROUP_EPOCH, STATIC_LEAVE_EPOCH,
    TopicPartition,
};

use super::{Env, MemberSim, MemberState};

/// How long a member may take to give partitions up: the Java client's default
/// `max.poll.interval.ms`, which it sends as its rebalance timeout.
const REBALANCE_TIMEOUT_MS: i64 = 300_000;

impl MemberSim {
    /// The protocol's part of a tick, before processing: join when it must and its retry
    /// time has come.
    pub(super) fn consumer_step(&mut self, env: &mut Env<'_>) {
        if self.must_join && env.now >= self.next_heartbeat_ms {
            self.consumer_join(env);
        }
    }

    /// A heartbeat with epoch 0 and the full subscription.
    fn consumer_join(&mut self, env: &mut Env<'_>) {
        self.must_join = false;
        self.state = MemberState::Joining;
        let member = self.member_id.as_deref().unwrap_or("");
        let mut req = ConsumerHeartbeat::join(env.group, member, &env.spec.topics);
        req.instance_id = self.instance_id(env.spec);
        req.server_assignor = Some(env.spec.protocol.assignor_name().to_string());
        req.rebalance_timeout_ms = Some(REBALANCE_TIMEOUT_MS);
        req.client_id = self.client_id.clone();
        match env.broker.consumer_group_heartbeat(req, env.now) {
            Ok(reply) => {
                self.state = MemberState::Active;
                self.member_id = Some(reply.member_id.clone());
                self.answered(env, reply);
            }
            // Most often its previous incarnation still holds the instance id: try again
            // after an interval, as the clients do.
            Err(_) => {
                self.must_join = true;
                self.next_heartbeat_ms = env.now + self.heartbeat_interval_ms;
            }
        }
    }

    /// A regular heartbeat at the member's epoch, reporting everything it owns.
    pub(super) fn consumer_heartbeat(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            self.must_join = true;
            return;
        };
        let owned: Vec<TopicPartition> = self
            .owned
            .iter()
            .map(|o| env.tracks[o.part].tp.clone())
            .collect();
        let req = ConsumerHeartbeat {
            group: env.group.to_string(),
            member_id: id,
            member_epoch: self.generation,
            instance_id: self.instance_id(env.spec),
            owned: Some(owned),
            client_id: self.client_id.clone(),
            ..ConsumerHeartbeat::default()
        };
        match env.broker.consumer_group_heartbeat(req, env.now) {
            Ok(reply) => self.answered(env, reply),
            Err(BrokerError::FencedMemberEpoch { .. } | BrokerError::UnknownMemberId { .. }) => {
                self.fenced_by_epoch()
            }
            Err(_) => self.next_heartbeat_ms = env.now + self.heartbeat_interval_ms,
        }
    }

    /// Takes the answer's epoch and interval, and its assignment if it carries one.
    fn answered(&mut self, env: &mut Env<'_>, reply: HeartbeatReply) {
        self.generation = reply.member_epoch;
        self.heartbeat_interval_ms = reply.heartbeat_interval_ms.max(1);
        self.next_heartbeat_ms = env.now + self.heartbeat_interval_ms;
        if let Some(partitions) = reply.assignment {
            let (revoked, taken) = self.take_partitions(env, partitions);
            if revoked + taken > 0 {
                // Reconciled: say so on the next tick rather than after a whole interval.
                self.next_heartbeat_ms = env.now;
            }
        }
    }

    /// The broker fenced it: it gives everything up without committing (the commits would
    /// be refused) and rejoins with epoch 0 under the same member id.
    fn fenced_by_epoch(&mut self) {
        self.drop_all();
        self.generation = 0;
        self.must_join = true;
    }

    /// Leaves with epoch −1; a static member closing for a restart sends −2 instead and
    /// keeps its partitions for its session.
    pub(super) fn consumer_leave(&mut self, env: &mut Env<'_>, permanent: bool) {
        let Some(id) = self.member_id.clone() else {
            return;
        };
        let pause = !permanent && env.spec.static_members;
        let req = ConsumerHeartbeat {
            group: env.group.to_string(),
            member_id: id,
            member_epoch: if pause {
                STATIC_LEAVE_EPOCH
            } else {
                LEAVE_GROUP_EPOCH
            },
            instance_id: self.instance_id(env.spec),
            ..ConsumerHeartbeat::default()
        };
        // An unknown member has nothing left to leave.
        let _ = env.broker.consumer_group_heartbeat(req, env.now);
    }
}
