//! One consumer group under Kafka 4's consumer protocol (KIP-848): the broker computes the
//! assignment, and each member reconciles towards it on its own heartbeats, with no
//! stop-the-world round.
//!
//! Three epochs drive it, as in Kafka's coordinator:
//! - the **group epoch** moves whenever membership or subscriptions (or the subscribed
//!   topics' partition counts) change;
//! - the **target assignment epoch** catches up with it when the coordinator recomputes the
//!   target (at the next heartbeat after the change);
//! - each **member epoch** reaches the target epoch once that member holds its target.
//!
//! A partition moves in two steps: its holder is told to revoke it and keeps its epoch until
//! it reports the partition gone; only then is it free for its next owner, whose next
//! heartbeat hands it over. So no partition is ever owned by two members, and members whose
//! partitions do not move keep working throughout.
//!
//! Like the classic group, this is driven by calls: a heartbeat is answered at once, and
//! [`ConsumerGroup::tick`] fences members whose session or revocation timed out.

mod assignors;
mod member;
mod messages;

use std::collections::{BTreeMap, BTreeSet};

use super::super::assignor::{Assignment, TopicPartition};
use super::super::error::{BrokerError, Result};
use super::super::event::{EventKind, EventLog, LeaveReason};
use super::{CommittedOffset, GroupState};

pub use assignors::ServerAssignor;
pub use member::{ConsumerMember, ReconcileState};
pub use messages::{
    ConsumerGroupConfig, ConsumerHeartbeat, HeartbeatReply, LEAVE_GROUP_EPOCH, STATIC_LEAVE_EPOCH,
};

use assignors::{AssignMember, TargetAssignment, assign_target};
use member::{Target, reconcile};

/// A consumer group under the consumer protocol.
#[derive(Debug, Clone)]
pub struct ConsumerGroup {
    name: String,
    config: ConsumerGroupConfig,
    group_epoch: i32,
    assignment_epoch: i32,
    target: TargetAssignment,
    members: BTreeMap<String, ConsumerMember>,
    /// Instance id to member id, for static members.
    static_members: BTreeMap<String, String>,
    /// Who holds each partition now, assigned or still revoking: a partition goes to its
    /// next owner only once it is free here.
    holders: BTreeMap<TopicPartition, String>,
    /// The subscribed topics' partition counts the target was computed for.
    subscribed: BTreeMap<String, u32>,
    state: GroupState,
    /// The target epoch the group was last Stable at.
    stable_epoch: i32,
    rebalances: u64,
    offsets: BTreeMap<TopicPartition, CommittedOffset>,
    next_member_seq: u64,
}

impl ConsumerGroup {
    pub(crate) fn new(name: &str, config: ConsumerGroupConfig) -> Self {
        ConsumerGroup {
            name: name.to_string(),
            config,
            group_epoch: 0,
            assignment_epoch: 0,
            target: BTreeMap::new(),
            members: BTreeMap::new(),
            static_members: BTreeMap::new(),
            holders: BTreeMap::new(),
            subscribed: BTreeMap::new(),
            state: GroupState::Empty,
            stable_epoch: 0,
            rebalances: 0,
            offsets: BTreeMap::new(),
            next_member_seq: 1,
        }
    }

    /// A group that starts with another group's committed offsets: an empty classic group
    /// taken over by the consumer protocol keeps them, as in Kafka.
    pub(crate) fn with_offsets(
        name: &str,
        config: ConsumerGroupConfig,
        offsets: BTreeMap<TopicPartition, CommittedOffset>,
    ) -> Self {
        ConsumerGroup {
            offsets,
            ..ConsumerGroup::new(name, config)
        }
    }

    /// The group id.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its session timeout and heartbeat interval.
    pub fn config(&self) -> ConsumerGroupConfig {
        self.config
    }
    /// Empty, Assigning, Reconciling or Stable.
    pub fn state(&self) -> GroupState {
        self.state
    }
    /// Moves on every membership or subscription change.
    pub fn group_epoch(&self) -> i32 {
        self.group_epoch
    }
    /// The epoch of the current target assignment.
    pub fn assignment_epoch(&self) -> i32 {
        self.assignment_epoch
    }
    /// Members by id.
    pub fn members(&self) -> impl ExactSizeIterator<Item = &ConsumerMember> {
        self.members.values()
    }
    /// A member by id.
    pub fn member(&self, id: &str) -> Option<&ConsumerMember> {
        self.members.get(id)
    }
    /// The member that holds `instance_id`, for a static member.
    pub fn static_member(&self, instance_id: &str) -> Option<&ConsumerMember> {
        self.members.get(self.static_members.get(instance_id)?)
    }
    /// Whether it has no members.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    /// Member id to its target partitions (where reconciliation is heading).
    pub fn target(&self, member: &str) -> impl Iterator<Item = &TopicPartition> {
        self.target.get(member).into_iter().flatten()
    }
    /// The assignor the next target will be computed with.
    pub fn assignor(&self) -> ServerAssignor {
        let mut asked: BTreeMap<ServerAssignor, usize> = BTreeMap::new();
        for m in self.members.values() {
            if let Some(a) = m.server_assignor.as_deref().and_then(|a| a.parse().ok()) {
                *asked.entry(a).or_default() += 1;
            }
        }
        // The most asked for; on a tie, the first by name.
        let most = asked.values().copied().max().unwrap_or(0);
        asked
            .into_iter()
            .find(|(_, n)| *n == most)
            .map_or(ServerAssignor::default(), |(a, _)| a)
    }
    /// Rebalances completed: times the group became Stable at a new target epoch.
    pub fn rebalances(&self) -> u64 {
        self.rebalances
    }
    /// Committed offsets, sorted by topic and partition.
    pub fn offsets(&self) -> &BTreeMap<TopicPartition, CommittedOffset> {
        &self.offsets
    }
    /// The committed offset of one partition.
    pub fn committed(&self, tp: &TopicPartition) -> Option<i64> {
        self.offsets.get(tp).map(|c| c.offset)
    }
    /// Every topic some member subscribes to, or that has committed offsets.
    pub fn topics(&self) -> BTreeSet<&str> {
        self.members
            .values()
            .flat_map(|m| m.subscribed.iter().map(String::as_str))
            .chain(self.offsets.keys().map(|tp| tp.topic.as_str()))
            .collect()
    }
    /// Member id to what it may own now (its assigned partitions).
    pub fn assignment(&self) -> Assignment {
        self.members
            .values()
            .map(|m| (m.id.clone(), m.assigned.iter().cloned().collect()))
            .collect()
    }

    /// Answers one heartbeat. `partitions` gives a topic's partition count, `None` for a
    /// topic that does not exist (subscriptions to it are ignored until it does).
    pub(crate) fn heartbeat(
        &mut self,
        req: ConsumerHeartbeat,
        now: i64,
        partitions: &dyn Fn(&str) -> Option<u32>,
        events: &mut EventLog,
    ) -> Result<HeartbeatReply> {
        if req.member_epoch < 0 {
            return self.leave(&req, now, events);
        }
        check_request(&req)?;
        let (id, bump_reason) = if req.member_epoch == 0 {
            self.join(&req, now, events)?
        } else {
            (self.known_member(&req)?.to_string(), None)
        };
        let before = self.members[&id].clone();
        let subscription_changed = self.update_member(&id, &req, now);
        let reason = bump_reason.or(subscription_changed.then(|| format!("{id} subscribed")));
        self.maybe_bump_epoch(reason, partitions, now, events);
        if self.group_epoch > self.assignment_epoch {
            self.compute_target();
        }
        self.reconcile_member(&id, req.owned.as_deref(), now);
        self.update_state(now, events);
        let m = &self.members[&id];
        let changed = m.assigned != before.assigned;
        Ok(HeartbeatReply {
            member_id: id.clone(),
            member_epoch: m.epoch,
            heartbeat_interval_ms: self.config.heartbeat_interval_ms,
            assignment: (req.is_full() || changed).then(|| m.assigned.iter().cloned().collect()),
        })
    }

    /// The member a heartbeat with epoch > 0 comes from, if its epoch is one it may use:
    /// its current one, or the one before with no more than it now has (the answer that
    /// moved it on may have been lost).
    fn known_member(&self, req: &ConsumerHeartbeat) -> Result<&str> {
        let m = match &req.instance_id {
            Some(instance) => self.static_holder(instance, &req.member_id)?,
            None => self
                .members
                .get(&req.member_id)
                .ok_or_else(|| self.unknown_member(&req.member_id))?,
        };
        let previous_subset = req.member_epoch == m.previous_epoch
            && req
                .owned
                .as_ref()
                .is_some_and(|o| o.iter().all(|tp| m.assigned.contains(tp)));
        if req.member_epoch > m.epoch || (req.member_epoch < m.epoch && !previous_subset) {
            return Err(BrokerError::FencedMemberEpoch {
                group: self.name.clone(),
                member: m.id.clone(),
                given: req.member_epoch,
                current: m.epoch,
            });
        }
        Ok(&m.id)
    }

    /// The static member holding `instance`, which must be `member_id`.
    fn static_holder(&self, instance: &str, member_id: &str) -> Result<&ConsumerMember> {
        let m = self
            .static_member(instance)
            .ok_or_else(|| self.unknown_member(member_id))?;
        if m.id != member_id {
            return Err(BrokerError::FencedInstanceId {
                group: self.name.clone(),
                instance: instance.to_string(),
                member: member_id.to_string(),
            });
        }
        Ok(m)
    }

    fn unknown_member(&self, member: &str) -> BrokerError {
        BrokerError::UnknownMemberId {
            group: self.name.clone(),
            member: member.to_string(),
        }
    }

    /// A heartbeat with epoch 0: a new member, a known one starting over (it has dropped
    /// everything, and gets its assignment again), or a static member coming back under a
    /// new member id. Returns its id, and why the group epoch must move, if it must.
    fn join(
        &mut self,
        req: &ConsumerHeartbeat,
        now: i64,
        events: &mut EventLog,
    ) -> Result<(String, Option<String>)> {
        if let Some(instance) = &req.instance_id
            && let Some(old) = self.static_members.get(instance).cloned()
            && old != req.member_id
        {
            let id = self.fresh_id(&req.member_id, &req.client_id);
            self.replace_static(instance, &old, &id, now, events)?;
            return Ok((id, None));
        }
        if let Some(m) = self.members.get_mut(&req.member_id) {
            // It abandoned its partitions before rejoining: nothing is being revoked now.
            m.set_epoch(0);
            m.previous_epoch = 0;
            m.state = ReconcileState::Stable;
            m.pending_revocation.clear();
            m.revoke_deadline_ms = None;
            let id = m.id.clone();
            self.sync_holders(&id);
            return Ok((id, None));
        }
        let id = self.fresh_id(&req.member_id, &req.client_id);
        self.members.insert(
            id.clone(),
            ConsumerMember::new(id.clone(), &req.client_id, now),
        );
        if let Some(instance) = &req.instance_id {
            self.static_members.insert(instance.clone(), id.clone());
        }
        events.push(
            now,
            EventKind::MemberJoined {
                group: self.name.clone(),
                member: id.clone(),
            },
        );
        Ok((id.clone(), Some(format!("{id} joined"))))
    }

    /// The id a joining member goes by: its own, or one made up from its client id.
    fn fresh_id(&mut self, asked: &str, client_id: &str) -> String {
        if !asked.is_empty() {
            return asked.to_string();
        }
        let prefix = if client_id.is_empty() {
            "member"
        } else {
            client_id
        };
        loop {
            let id = format!("{prefix}-{}", self.next_member_seq);
            self.next_member_seq += 1;
            if !self.members.contains_key(&id) {
                return id;
            }
        }
    }

    /// A static member is back under a new member id. Allowed only once the old one has
    /// left with [`STATIC_LEAVE_EPOCH`]; the newcomer takes over its assignment and target
    /// with no new group epoch, so nothing moves.
    fn replace_static(
        &mut self,
        instance: &str,
        old: &str,
        new: &str,
        now: i64,
        events: &mut EventLog,
    ) -> Result<()> {
        let previous = &self.members[old];
        if previous.epoch != STATIC_LEAVE_EPOCH {
            return Err(BrokerError::UnreleasedInstanceId {
                group: self.name.clone(),
                instance: instance.to_string(),
                holder: old.to_string(),
            });
        }
        let mut m = self.members.remove(old).expect("the static member exists");
        m.id = new.to_string();
        m.epoch = 0;
        m.previous_epoch = 0;
        m.last_heartbeat_ms = now;
        self.members.insert(new.to_string(), m);
        if let Some(t) = self.target.remove(old) {
            self.target.insert(new.to_string(), t);
        }
        for holder in self.holders.values_mut().filter(|h| *h == old) {
            *holder = new.to_string();
        }
        self.static_members
            .insert(instance.to_string(), new.to_string());
        events.push(
            now,
            EventKind::MemberRemoved {
                group: self.name.clone(),
                member: old.to_string(),
                reason: LeaveReason::Replaced,
            },
        );
        events.push(
            now,
            EventKind::MemberJoined {
                group: self.name.clone(),
                member: new.to_string(),
            },
        );
        Ok(())
    }

    /// Takes the heartbeat's fields. True if the subscription changed.
    fn update_member(&mut self, id: &str, req: &ConsumerHeartbeat, now: i64) -> bool {
        let m = self.members.get_mut(id).expect("a current member");
        m.last_heartbeat_ms = now;
        if !req.client_id.is_empty() {
            m.client_id = req.client_id.clone();
        }
        if req.instance_id.is_some() {
            m.instance_id = req.instance_id.clone();
        }
        if let Some(t) = req.rebalance_timeout_ms {
            m.rebalance_timeout_ms = t;
        }
        if req.server_assignor.is_some() {
            m.server_assignor = req.server_assignor.clone();
        }
        let Some(topics) = &req.subscribed_topics else {
            return false;
        };
        let mut topics = topics.clone();
        topics.sort();
        topics.dedup();
        let changed = m.subscribed != topics;
        m.subscribed = topics;
        changed
    }

    /// Moves the group epoch if `reason` says so, or if the subscribed topics' partition
    /// counts are no longer those the target was computed for.
    fn maybe_bump_epoch(
        &mut self,
        reason: Option<String>,
        partitions: &dyn Fn(&str) -> Option<u32>,
        now: i64,
        events: &mut EventLog,
    ) {
        let subscribed: BTreeMap<String, u32> = self
            .members
            .values()
            .flat_map(|m| &m.subscribed)
            .filter_map(|t| partitions(t).map(|n| (t.clone(), n)))
            .collect();
        let reason = reason.or_else(|| {
            (subscribed != self.subscribed).then(|| "subscribed topics changed".to_string())
        });
        self.subscribed = subscribed;
        if let Some(reason) = reason {
            self.bump_epoch(reason, now, events);
        }
    }

    fn bump_epoch(&mut self, reason: String, now: i64, events: &mut EventLog) {
        self.group_epoch += 1;
        events.push(
            now,
            EventKind::RebalanceStarted {
                group: self.name.clone(),
                reason,
            },
        );
    }

    /// Recomputes the target assignment for the current group epoch.
    fn compute_target(&mut self) {
        let empty = BTreeSet::new();
        let members: Vec<AssignMember<'_>> = self
            .members
            .values()
            .map(|m| AssignMember {
                id: &m.id,
                instance_id: m.instance_id.as_deref(),
                topics: &m.subscribed,
                previous: self.target.get(&m.id).unwrap_or(&empty),
            })
            .collect();
        let target = assign_target(self.assignor(), &members, &self.subscribed);
        self.target = target;
        self.assignment_epoch = self.group_epoch;
    }

    /// Moves the member one step towards its target, given what it reported owning.
    fn reconcile_member(&mut self, id: &str, owned: Option<&[TopicPartition]>, now: i64) {
        let empty = BTreeSet::new();
        let m = &self.members[id];
        let holders = &self.holders;
        let held = |tp: &TopicPartition| holders.contains_key(tp);
        let target = Target {
            epoch: self.assignment_epoch,
            partitions: self.target.get(id).unwrap_or(&empty),
            held: &held,
        };
        let Some(next) = reconcile(m, &target, owned) else {
            return;
        };
        let m = self.members.get_mut(id).expect("a current member");
        let revoking = next.state == ReconcileState::UnrevokedPartitions;
        if revoking && m.state != ReconcileState::UnrevokedPartitions {
            m.revoke_deadline_ms = Some(now + m.rebalance_timeout_ms);
        } else if !revoking {
            m.revoke_deadline_ms = None;
        }
        m.state = next.state;
        m.set_epoch(next.epoch);
        m.assigned = next.assigned;
        m.pending_revocation = next.pending_revocation;
        self.sync_holders(id);
    }

    /// Makes the holders map agree with what `id` holds now.
    fn sync_holders(&mut self, id: &str) {
        self.holders.retain(|_, h| h != id);
        if let Some(m) = self.members.get(id) {
            for tp in m.held() {
                let previous = self.holders.insert(tp.clone(), id.to_string());
                debug_assert!(previous.is_none(), "{tp} held by {previous:?} and {id}");
            }
        }
    }

    /// Recomputes the state; a first Stable at a new target epoch completes a rebalance.
    fn update_state(&mut self, now: i64, events: &mut EventLog) {
        self.state = if self.members.is_empty() {
            GroupState::Empty
        } else if self.group_epoch > self.assignment_epoch {
            GroupState::Assigning
        } else if self
            .members
            .values()
            .all(|m| m.is_reconciled_to(self.assignment_epoch))
        {
            GroupState::Stable
        } else {
            GroupState::Reconciling
        };
        if self.state == GroupState::Stable && self.assignment_epoch > self.stable_epoch {
            self.stable_epoch = self.assignment_epoch;
            self.rebalances += 1;
            events.push(
                now,
                EventKind::RebalanceCompleted {
                    group: self.name.clone(),
                    generation: self.assignment_epoch,
                    assignment: self.assignment(),
                },
            );
        }
    }

    /// A heartbeat with a negative epoch: [`LEAVE_GROUP_EPOCH`] leaves for good (the group
    /// rebalances at once), [`STATIC_LEAVE_EPOCH`] steps a static member out while it keeps
    /// its partitions until its session ends.
    fn leave(
        &mut self,
        req: &ConsumerHeartbeat,
        now: i64,
        events: &mut EventLog,
    ) -> Result<HeartbeatReply> {
        let id = match &req.instance_id {
            Some(instance) => self.static_holder(instance, &req.member_id)?.id.clone(),
            None if req.member_epoch == STATIC_LEAVE_EPOCH => {
                return Err(BrokerError::InvalidRequest(
                    "member epoch -2 is for static members, and this one sent no instance id"
                        .to_string(),
                ));
            }
            None => match self.members.get(&req.member_id) {
                Some(m) => m.id.clone(),
                None => return Err(self.unknown_member(&req.member_id)),
            },
        };
        if req.member_epoch == STATIC_LEAVE_EPOCH {
            let m = self.members.get_mut(&id).expect("a current member");
            m.epoch = STATIC_LEAVE_EPOCH;
            m.pending_revocation.clear();
            m.revoke_deadline_ms = None;
            m.last_heartbeat_ms = now;
            self.sync_holders(&id);
            self.update_state(now, events);
        } else {
            self.fence(&id, LeaveReason::Left, now, events);
        }
        Ok(HeartbeatReply {
            member_id: id,
            member_epoch: req.member_epoch,
            heartbeat_interval_ms: self.config.heartbeat_interval_ms,
            assignment: None,
        })
    }

    /// Removes a member: what it held is free at once, and the group epoch moves so the
    /// others share its partitions.
    fn fence(&mut self, id: &str, reason: LeaveReason, now: i64, events: &mut EventLog) {
        let Some(m) = self.members.remove(id) else {
            return;
        };
        if let Some(instance) = &m.instance_id {
            self.static_members.remove(instance);
        }
        self.target.remove(id);
        self.holders.retain(|_, h| h != id);
        events.push(
            now,
            EventKind::MemberRemoved {
                group: self.name.clone(),
                member: id.to_string(),
                reason,
            },
        );
        let why = match reason {
            LeaveReason::Left => "left",
            LeaveReason::SessionExpired => "expired",
            LeaveReason::RebalanceTimeout | LeaveReason::RevocationTimeout => {
                "did not revoke in time"
            }
            LeaveReason::Replaced => "was replaced",
        };
        self.bump_epoch(format!("{id} {why}"), now, events);
        self.update_state(now, events);
    }

    /// Fences members whose session lapsed or whose revocation outlasted their rebalance
    /// timeout. True if anything changed.
    pub(crate) fn tick(&mut self, now: i64, events: &mut EventLog) -> bool {
        let session = self.config.session_timeout_ms;
        let lapsed: Vec<(String, LeaveReason)> = self
            .members
            .values()
            .filter_map(|m| {
                if now - m.last_heartbeat_ms > session {
                    Some((m.id.clone(), LeaveReason::SessionExpired))
                } else if m.revoke_deadline_ms.is_some_and(|d| now >= d) {
                    Some((m.id.clone(), LeaveReason::RevocationTimeout))
                } else {
                    None
                }
            })
            .collect();
        for (id, reason) in &lapsed {
            self.fence(id, *reason, now, events);
        }
        !lapsed.is_empty()
    }

    /// Checks that `member` at `epoch` may commit: the member's current epoch, or a
    /// standalone commit (no member, negative epoch) while the group is empty.
    pub(crate) fn check_commit(&self, member: &str, epoch: i32) -> Result<()> {
        if epoch < 0 && self.members.is_empty() {
            return Ok(());
        }
        self.check_member_epoch(member, epoch)
    }

    /// Checks an offset fetch that names a member: it must be one, at its epoch. A fetch
    /// naming none (an admin, or a client outside the group) is always allowed.
    pub(crate) fn check_fetch(&self, member: Option<&str>, epoch: i32) -> Result<()> {
        let Some(member) = member.filter(|_| epoch >= 0) else {
            return Ok(());
        };
        self.check_member_epoch(member, epoch)
    }

    /// `member` is one of the group's, at `epoch`.
    fn check_member_epoch(&self, member: &str, epoch: i32) -> Result<()> {
        let m = self
            .members
            .get(member)
            .ok_or_else(|| self.unknown_member(member))?;
        if epoch != m.epoch {
            return Err(BrokerError::StaleMemberEpoch {
                group: self.name.clone(),
                member: member.to_string(),
                given: epoch,
                current: m.epoch,
            });
        }
        Ok(())
    }

    pub(crate) fn store_offset(&mut self, tp: TopicPartition, offset: i64, now: i64) {
        self.offsets.insert(
            tp,
            CommittedOffset {
                offset,
                metadata: None,
                commit_time_ms: now,
            },
        );
    }

    pub(crate) fn forget_topic(&mut self, topic: &str) {
        self.offsets.retain(|tp, _| tp.topic != topic);
    }

    /// Hands over the committed offsets, when an empty group changes protocol.
    pub(crate) fn into_offsets(self) -> BTreeMap<TopicPartition, CommittedOffset> {
        self.offsets
    }
}

/// Kafka's checks on a heartbeat's fields before anything else.
fn check_request(req: &ConsumerHeartbeat) -> Result<()> {
    let invalid = |why: &str| Err(BrokerError::InvalidRequest(why.to_string()));
    if req.group.is_empty() {
        return Err(BrokerError::InvalidGroupId(req.group.clone()));
    }
    if req.member_epoch > 0 && req.member_id.is_empty() {
        return invalid("MemberId can't be empty.");
    }
    if req.member_epoch == 0 {
        if req.rebalance_timeout_ms.is_none() {
            return invalid("RebalanceTimeoutMs must be provided in first request.");
        }
        if req.owned.as_ref().is_none_or(|o| !o.is_empty()) {
            return invalid("TopicPartitions must be empty when (re-)joining.");
        }
        if req.subscribed_topics.is_none() {
            return invalid("SubscribedTopicNames must be set in first request.");
        }
    }
    if let Some(a) = &req.server_assignor
        && a.parse::<ServerAssignor>().is_err()
    {
        return Err(BrokerError::UnsupportedAssignor(a.clone()));
    }
    Ok(())
}
