//! The classic protocol's side of a simulated member: JoinGroup, SyncGroup and Heartbeat,
//! as the Java client drives them (eager, or incremental with cooperative-sticky).

use crate::broker::{
    BrokerError, JoinGroupRequest, JoinOutcome, JoinResult, SyncAssignment, SyncOutcome,
    TopicPartition,
};

use super::super::super::scenario::{CommitPolicy, RebalanceProtocol};
use super::{Env, MemberSim, MemberState};

impl MemberSim {
    /// The protocol's part of a tick, before processing: join, or collect a pending join's
    /// or sync's answer.
    pub(super) fn classic_step(&mut self, env: &mut Env<'_>) {
        if self.must_join {
            self.join(env);
        }
        match self.state {
            MemberState::Joining => self.poll_join(env),
            MemberState::Syncing => self.poll_sync(env),
            _ => {}
        }
    }

    pub(super) fn heartbeat(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            return;
        };
        match env
            .broker
            .heartbeat(env.group, &id, self.generation, env.now)
        {
            Err(BrokerError::RebalanceInProgress(_))
            | Err(BrokerError::IllegalGeneration { .. }) => self.rebalance_noticed(env),
            Err(BrokerError::UnknownMemberId { .. }) => self.fenced(),
            _ => self.next_heartbeat_ms = env.now + Self::heartbeat_interval(env.spec),
        }
    }

    /// The group is rebalancing: rejoin. An eager member first gives up everything
    /// (committing first under auto-commit, as the Java client does); a cooperative one
    /// keeps working on what it owns.
    fn rebalance_noticed(&mut self, env: &mut Env<'_>) {
        if !env.spec.protocol.is_cooperative() {
            if matches!(env.spec.commit, CommitPolicy::Auto { .. }) {
                self.commit(env);
            }
            self.drop_all();
        }
        self.must_join = true;
    }

    pub(super) fn join(&mut self, env: &mut Env<'_>) {
        self.must_join = false;
        self.state = MemberState::Joining;
        let mut req = JoinGroupRequest::consumer(
            env.group,
            &self.client_id,
            &env.spec.topics,
            env.spec.protocol.assignor_name(),
        );
        req.member_id = self.member_id.clone();
        req.group_instance_id = self.instance_id(env.spec);
        // Like a real consumer's subscription, the join names what the member owns. A
        // cooperative member that gave partitions up rejoins with a smaller list, and that
        // change is what makes the broker start the follow-up rebalance rather than hand
        // back the current generation.
        req.owned = Some(
            self.owned
                .iter()
                .map(|o| env.tracks[o.part].tp.clone())
                .collect(),
        );
        req.session_timeout_ms = env.spec.session_timeout_ms;
        req.rebalance_timeout_ms = req.rebalance_timeout_ms.max(env.spec.session_timeout_ms);
        match env.broker.join_group(req, env.now) {
            Ok(JoinOutcome::Joined(result)) => {
                self.member_id = Some(result.member_id.clone());
                self.joined(env, result);
            }
            Ok(JoinOutcome::Pending { member_id }) => self.member_id = Some(member_id),
            Err(BrokerError::UnknownMemberId { .. }) => {
                self.member_id = None;
                self.must_join = true;
            }
            // Anything else is retried on the next tick.
            Err(_) => self.must_join = true,
        }
    }

    fn poll_join(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            self.must_join = true;
            return;
        };
        if let Some(result) = env.broker.poll_join(env.group, &id) {
            self.joined(env, result);
        } else if env
            .broker
            .group(env.group)
            .is_none_or(|g| g.member(&id).is_none())
        {
            // Removed while waiting (the rebalance timed out on us): start over.
            self.fenced();
        }
    }

    fn joined(&mut self, env: &mut Env<'_>, result: JoinResult) {
        self.generation = result.generation;
        self.state = MemberState::Syncing;
        let request = match env.spec.protocol {
            RebalanceProtocol::Classic(kind) if result.leader == result.member_id => {
                SyncAssignment::Compute(kind)
            }
            _ => SyncAssignment::Follower,
        };
        match env.broker.sync_group(
            env.group,
            &result.member_id,
            self.generation,
            request,
            env.now,
        ) {
            Ok(SyncOutcome::Assigned(a)) => self.assigned(env, a.partitions),
            Ok(SyncOutcome::Pending) => {}
            Err(BrokerError::UnknownMemberId { .. }) => self.fenced(),
            Err(_) => self.rebalance_noticed(env),
        }
    }

    fn poll_sync(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            self.must_join = true;
            return;
        };
        match env.broker.poll_sync(env.group, &id, self.generation) {
            None => {}
            Some(Ok(a)) => self.assigned(env, a.partitions),
            Some(Err(BrokerError::UnknownMemberId { .. })) => self.fenced(),
            Some(Err(_)) => self.rebalance_noticed(env),
        }
    }

    /// Takes the assignment of a completed rebalance. A cooperative member that had to
    /// give partitions up rejoins at once, so the follow-up rebalance can hand them out.
    fn assigned(&mut self, env: &mut Env<'_>, partitions: Vec<TopicPartition>) {
        let (revoked, _) = self.take_partitions(env, partitions);
        self.state = MemberState::Active;
        // Heartbeat straight away: the session clock has run since the join request, and
        // a join that waited for a crashed member to expire may have used most of it.
        self.next_heartbeat_ms = env.now;
        if env.spec.protocol.is_cooperative() && revoked > 0 {
            self.must_join = true;
        }
    }

    /// Leaves with LeaveGroup, unless it is a static member closing for a restart: those
    /// send nothing (as the Java client does) and keep their place for their session.
    pub(super) fn classic_leave(&mut self, env: &mut Env<'_>, permanent: bool) {
        if !permanent && env.spec.static_members {
            return;
        }
        if let Some(id) = &self.member_id {
            // An unknown member has nothing left to leave.
            let _ = env.broker.leave_group(env.group, id, env.now);
        }
    }
}
