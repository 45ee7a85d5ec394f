//! One consumer group: the classic rebalance protocol's state machine and its committed offsets.
//!
//! The protocol is driven by calls, never by waiting: a join that cannot complete yet
//! returns `Pending`, and the caller asks again later (`poll_join`, `poll_sync`). That keeps
//! this layer synchronous, and lets the simulation and the network server share it.

pub(crate) mod consumer_protocol;
mod member;
mod messages;
mod static_members;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use super::assignor::{Assignment, TopicPartition};
use super::error::{BrokerError, Result};
use super::event::{EventKind, EventLog, LeaveReason};

pub use member::{Member, MemberPhase};
pub use messages::{
    GroupProtocol, JoinGroupRequest, JoinOutcome, JoinResult, JoinedMember, MemberAssignment,
    SyncOutcome,
};

/// Session timeouts the coordinator accepts, in milliseconds. Wider than Kafka's defaults
/// (6 s to 30 min) so short simulated scenarios can show expiry quickly.
pub const SESSION_TIMEOUT_RANGE_MS: (i64, i64) = (1, 3_600_000);

fn check_session_timeout(timeout_ms: i64) -> Result<()> {
    let (min, max) = SESSION_TIMEOUT_RANGE_MS;
    if !(min..=max).contains(&timeout_ms) {
        return Err(BrokerError::InvalidSessionTimeout {
            given: timeout_ms.max(0) as u64,
            min: min as u64,
            max: max as u64,
        });
    }
    Ok(())
}

/// The states of a consumer group, as Kafka names them. A classic group moves through
/// `PreparingRebalance` and `CompletingRebalance`; a consumer-protocol group (KIP-848)
/// through `Assigning` and `Reconciling` instead.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupState {
    /// No members; committed offsets may remain.
    Empty,
    /// Waiting for every member to (re)join.
    PreparingRebalance,
    /// Everyone joined; waiting for the leader's assignment.
    CompletingRebalance,
    /// Every member has its assignment.
    Stable,
    /// Deleted.
    Dead,
    /// Consumer protocol: the group epoch moved past the target assignment's, which the
    /// coordinator recomputes at the next heartbeat.
    Assigning,
    /// Consumer protocol: some member has not yet reached the target assignment (it is
    /// revoking partitions, or waiting for partitions another member still holds).
    Reconciling,
}

impl GroupState {
    /// The state's name as Kafka reports it (ListGroups, DescribeGroups).
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
            GroupState::Assigning => "Assigning",
            GroupState::Reconciling => "Reconciling",
        }
    }

    /// Whether partitions may be moving between members: the states a rebalance passes through.
    pub fn is_rebalancing(self) -> bool {
        matches!(
            self,
            GroupState::PreparingRebalance
                | GroupState::CompletingRebalance
                | GroupState::Assigning
                | GroupState::Reconciling
        )
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A committed offset with the client's metadata string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// Where the group resumes: the next offset to read.
    pub offset: i64,
    /// What the client stored with it.
    pub metadata: Option<String>,
    /// When it was committed.
    pub commit_time_ms: i64,
}

/// The wait of a group's first rebalance for more members to arrive.
#[derive(Debug, Clone, Copy)]
struct InitialDelay {
    delay_ms: i64,
    until_ms: i64,
    /// Newcomers extend the wait, but never past this.
    limit_ms: i64,
}

/// A consumer group.
#[derive(Debug, Clone)]
pub struct Group {
    name: String,
    state: GroupState,
    generation: i32,
    protocol_type: Option<String>,
    protocol_name: Option<String>,
    leader: Option<String>,
    members: BTreeMap<String, Member>,
    /// Ids handed out with MEMBER_ID_REQUIRED, not yet used to join.
    pending_ids: BTreeSet<String>,
    rebalance_deadline_ms: Option<i64>,
    /// The first rebalance after Empty completes no earlier than this.
    initial_delay: Option<InitialDelay>,
    offsets: BTreeMap<TopicPartition, CommittedOffset>,
    next_member_seq: u64,
    /// `group.instance.id` to member id, for static members.
    static_members: BTreeMap<String, String>,
    /// Rebalances completed: generations whose assignment reached every member.
    rebalances: u64,
}

impl Group {
    pub(crate) fn new(name: &str) -> Self {
        Group {
            name: name.to_string(),
            state: GroupState::Empty,
            generation: 0,
            protocol_type: None,
            protocol_name: None,
            leader: None,
            members: BTreeMap::new(),
            pending_ids: BTreeSet::new(),
            rebalance_deadline_ms: None,
            initial_delay: None,
            offsets: BTreeMap::new(),
            next_member_seq: 1,
            static_members: BTreeMap::new(),
            rebalances: 0,
        }
    }

    /// A group that starts with another group's committed offsets: an empty
    /// consumer-protocol group taken over by the classic protocol keeps them, as in Kafka.
    pub(crate) fn with_offsets(
        name: &str,
        offsets: BTreeMap<TopicPartition, CommittedOffset>,
    ) -> Self {
        Group {
            offsets,
            ..Group::new(name)
        }
    }

    /// Hands over the committed offsets, when an empty group changes protocol.
    pub(crate) fn into_offsets(self) -> BTreeMap<TopicPartition, CommittedOffset> {
        self.offsets
    }

    /// Rebalances completed: generations whose assignment reached the members.
    pub fn rebalances(&self) -> u64 {
        self.rebalances
    }
    /// The group id.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// Its state, as Kafka names it.
    pub fn state(&self) -> GroupState {
        self.state
    }
    /// The generation: +1 per completed rebalance.
    pub fn generation(&self) -> i32 {
        self.generation
    }
    /// The protocol type its members speak, `consumer` for consumers.
    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }
    /// The chosen assignor, once a rebalance has completed.
    pub fn protocol_name(&self) -> Option<&str> {
        self.protocol_name.as_deref()
    }
    /// The member that runs the assignor.
    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }
    /// Members by id, sorted.
    pub fn members(&self) -> impl ExactSizeIterator<Item = &Member> {
        self.members.values()
    }
    /// The member of that id.
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.get(id)
    }
    /// Whether it has no member.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }
    /// Committed offsets, sorted by topic and partition.
    pub fn offsets(&self) -> &BTreeMap<TopicPartition, CommittedOffset> {
        &self.offsets
    }
    /// Where the group resumes on `tp`: its committed offset, or `None` before its first
    /// commit there. A negative offset is stored as committed (clients commit the sentinels
    /// −1 for latest and −2 for earliest) but names no position, so it is `None` here, as
    /// Kafka's tools show it; [`Group::offsets`] has what was stored.
    pub fn committed(&self, tp: &TopicPartition) -> Option<i64> {
        self.offsets
            .get(tp)
            .map(|c| c.offset)
            .filter(|&offset| offset >= 0)
    }
    /// Every topic some member subscribes to, or that has committed offsets.
    pub fn topics(&self) -> BTreeSet<&str> {
        self.members
            .values()
            .flat_map(|m| m.topics.iter().map(String::as_str))
            .chain(self.offsets.keys().map(|tp| tp.topic.as_str()))
            .collect()
    }
    /// The current assignment, member id to partitions.
    pub fn assignment(&self) -> Assignment {
        self.members
            .values()
            .map(|m| (m.id.clone(), m.assignment.partitions.clone()))
            .collect()
    }

    fn member_mut(&mut self, id: &str) -> Result<&mut Member> {
        let group = &self.name;
        self.members
            .get_mut(id)
            .ok_or_else(|| BrokerError::UnknownMemberId {
                group: group.clone(),
                member: id.to_string(),
            })
    }

    fn check_generation(&self, generation: i32) -> Result<()> {
        if generation != self.generation {
            return Err(BrokerError::IllegalGeneration {
                group: self.name.clone(),
                given: generation,
                current: self.generation,
            });
        }
        Ok(())
    }

    fn new_member_id(&mut self, client_id: &str) -> String {
        let prefix = if client_id.is_empty() {
            "member"
        } else {
            client_id
        };
        loop {
            let id = format!("{prefix}-{}", self.next_member_seq);
            self.next_member_seq += 1;
            if !self.members.contains_key(&id) && !self.pending_ids.contains(&id) {
                return id;
            }
        }
    }

    fn check_protocols(&self, req: &JoinGroupRequest) -> Result<()> {
        let inconsistent = || BrokerError::InconsistentGroupProtocol {
            group: self.name.clone(),
            protocols: req
                .protocols
                .iter()
                .map(|p| p.name.as_str())
                .collect::<Vec<_>>()
                .join(", "),
        };
        if req.protocols.is_empty() {
            return Err(inconsistent());
        }
        let others: Vec<&Member> = self
            .members
            .values()
            .filter(|m| Some(m.id.as_str()) != req.member_id.as_deref())
            .collect();
        if others.is_empty() {
            return Ok(());
        }
        if self
            .protocol_type
            .as_deref()
            .is_some_and(|t| t != req.protocol_type)
        {
            return Err(inconsistent());
        }
        let common = req.protocols.iter().any(|p| {
            others
                .iter()
                .all(|m| m.protocols.iter().any(|q| q.name == p.name))
        });
        if common { Ok(()) } else { Err(inconsistent()) }
    }

    pub(crate) fn join(
        &mut self,
        req: JoinGroupRequest,
        now: i64,
        events: &mut EventLog,
    ) -> Result<JoinOutcome> {
        check_session_timeout(req.session_timeout_ms)?;
        if self.state == GroupState::Dead {
            *self = Group::new(&self.name);
        }
        self.check_protocols(&req)?;
        let was_empty = self.state == GroupState::Empty;
        let (member_id, replaced) = match self.static_rejoin(&req, now, events)? {
            Some(id) => (id, true),
            None => (self.joining_member_id(&req)?, false),
        };
        if replaced && let Some(result) = self.static_rejoin_in_place(&member_id, &req, now) {
            return Ok(JoinOutcome::Joined(result));
        }
        let is_new = !self.members.contains_key(&member_id);
        if !is_new && !replaced && self.rejoin_is_a_no_op(&member_id, &req) {
            return Ok(JoinOutcome::Joined(self.rejoin_unchanged(&member_id, now)));
        }
        if is_new {
            self.add_member(&member_id, &req, now, events);
            if let Some(instance) = &req.group_instance_id {
                self.register_static(instance, &member_id);
            }
        }
        self.protocol_type = Some(req.protocol_type.clone());
        if self.state != GroupState::PreparingRebalance {
            let reason = if is_new {
                format!("{member_id} joined")
            } else {
                format!("{member_id} rejoined")
            };
            self.start_rebalance(reason, now, events);
        }
        let delay_ms = req.initial_rebalance_delay_ms;
        let deadline = self.park_in_join(&member_id, req, now);
        self.rebalance_deadline_ms = Some(
            self.rebalance_deadline_ms
                .map_or(deadline, |d| d.max(deadline)),
        );
        if was_empty && delay_ms > 0 {
            self.initial_delay = Some(InitialDelay {
                delay_ms,
                until_ms: now + delay_ms,
                limit_ms: deadline,
            });
        } else if let Some(wait) = self.initial_delay.as_mut().filter(|_| is_new) {
            wait.until_ms = (now + wait.delay_ms).min(wait.limit_ms);
        }
        self.try_complete_join(now);
        Ok(match self.poll_join(&member_id) {
            Some(result) => JoinOutcome::Joined(result),
            None => JoinOutcome::Pending { member_id },
        })
    }

    /// The id a JoinGroup joins under: a new one for a first join (handed back with
    /// MEMBER_ID_REQUIRED first when the client asks for that), or one the group knows.
    fn joining_member_id(&mut self, req: &JoinGroupRequest) -> Result<String> {
        match req.member_id.as_deref().filter(|id| !id.is_empty()) {
            None => {
                let id = self.new_member_id(&req.client_id);
                // Static members skip the extra round: their instance id identifies them.
                if req.require_known_member_id && req.group_instance_id.is_none() {
                    self.pending_ids.insert(id.clone());
                    return Err(BrokerError::MemberIdRequired {
                        group: self.name.clone(),
                        member: id,
                    });
                }
                Ok(id)
            }
            Some(id) => {
                if !self.members.contains_key(id) && !self.pending_ids.remove(id) {
                    return Err(BrokerError::UnknownMemberId {
                        group: self.name.clone(),
                        member: id.to_string(),
                    });
                }
                Ok(id.to_string())
            }
        }
    }

    /// As Kafka does: an unchanged member rejoining mid-sync, or a follower rejoining a
    /// stable group, gets the current generation back rather than forcing a new round. A
    /// member parked in a sync stays parked there.
    fn rejoin_unchanged(&mut self, member_id: &str, now: i64) -> JoinResult {
        let m = self.members.get_mut(member_id).expect("existing member");
        m.last_heartbeat_ms = now;
        if m.phase == MemberPhase::JoinReady {
            m.phase = MemberPhase::Joined;
        }
        self.join_result(member_id)
            .expect("join result for a current member")
    }

    fn add_member(
        &mut self,
        member_id: &str,
        req: &JoinGroupRequest,
        now: i64,
        events: &mut EventLog,
    ) {
        self.members.insert(
            member_id.to_string(),
            Member {
                id: member_id.to_string(),
                instance_id: None,
                client_id: req.client_id.clone(),
                client_host: req.client_host.clone(),
                session_timeout_ms: 0,
                rebalance_timeout_ms: 0,
                last_heartbeat_ms: now,
                protocols: Vec::new(),
                topics: Vec::new(),
                owned: None,
                assignment: MemberAssignment::default(),
                phase: MemberPhase::NotYetRejoined,
            },
        );
        events.push(
            now,
            EventKind::MemberJoined {
                group: self.name.clone(),
                member: member_id.to_string(),
            },
        );
    }

    /// Takes the join's settings and parks the member in this round's join. Returns when
    /// its rebalance timeout runs out.
    fn park_in_join(&mut self, member_id: &str, req: JoinGroupRequest, now: i64) -> i64 {
        let m = self.members.get_mut(member_id).expect("just inserted");
        m.session_timeout_ms = req.session_timeout_ms;
        m.rebalance_timeout_ms = req.rebalance_timeout_ms.max(req.session_timeout_ms);
        m.last_heartbeat_ms = now;
        m.protocols = req.protocols;
        m.topics = req.topics;
        m.owned = req.owned;
        m.phase = MemberPhase::AwaitingJoin;
        now + m.rebalance_timeout_ms
    }

    fn rejoin_is_a_no_op(&self, member_id: &str, req: &JoinGroupRequest) -> bool {
        let m = &self.members[member_id];
        // Kafka compares the subscription bytes, owned partitions included: a cooperative
        // member that gave partitions up rejoins with fewer, which starts the follow-up
        // rebalance rather than handing back the current generation.
        let unchanged =
            m.protocols == req.protocols && m.topics == req.topics && m.owned == req.owned;
        match self.state {
            GroupState::CompletingRebalance => unchanged,
            GroupState::Stable => unchanged && self.leader.as_deref() != Some(member_id),
            _ => false,
        }
    }

    /// Starts a rebalance because a topic the members read changed (it grew), as a consumer
    /// leader does once its metadata shows the new partitions. Nothing happens while the
    /// group is empty or already rebalancing: that round assigns the new partitions too.
    pub(crate) fn rebalance_for_topic(&mut self, reason: String, now: i64, events: &mut EventLog) {
        if self.members.is_empty() || self.state == GroupState::PreparingRebalance {
            return;
        }
        self.start_rebalance(reason, now, events);
    }

    fn start_rebalance(&mut self, reason: String, now: i64, events: &mut EventLog) {
        self.state = GroupState::PreparingRebalance;
        let max_timeout = self
            .members
            .values()
            .map(|m| m.rebalance_timeout_ms)
            .max()
            .unwrap_or(0);
        self.rebalance_deadline_ms = Some(now + max_timeout);
        for m in self.members.values_mut() {
            if m.phase == MemberPhase::AwaitingSync {
                // It learns of the new round when it next looks; its session runs from now.
                m.last_heartbeat_ms = now;
            }
            m.phase = m.phase.on_rebalance();
        }
        events.push(
            now,
            EventKind::RebalanceStarted {
                group: self.name.clone(),
                reason,
            },
        );
    }

    fn try_complete_join(&mut self, now: i64) {
        if self.state != GroupState::PreparingRebalance {
            return;
        }
        if self.members.is_empty() {
            self.become_empty();
            return;
        }
        if !self
            .members
            .values()
            .all(|m| m.phase == MemberPhase::AwaitingJoin)
        {
            return;
        }
        if self.initial_delay.is_some_and(|wait| now < wait.until_ms) {
            return;
        }
        self.initial_delay = None;
        self.generation += 1;
        self.state = GroupState::CompletingRebalance;
        self.rebalance_deadline_ms = None;
        let keep_leader = self
            .leader
            .as_ref()
            .is_some_and(|l| self.members.contains_key(l));
        if !keep_leader {
            self.leader = self.members.keys().next().cloned();
        }
        // The first of the leader's protocols that every member supports.
        let leader = &self.members[self.leader.as_ref().expect("leader chosen")];
        self.protocol_name = leader
            .protocols
            .iter()
            .find(|p| {
                self.members
                    .values()
                    .all(|m| m.protocols.iter().any(|q| q.name == p.name))
            })
            .map(|p| p.name.clone());
        for m in self.members.values_mut() {
            m.phase = MemberPhase::JoinReady;
            // As Kafka does, a completed join restarts every session: a member that sat in a
            // long join (waiting on a crashed peer) must not be expelled the moment it ends.
            m.last_heartbeat_ms = now;
        }
    }

    fn become_empty(&mut self) {
        if self.state != GroupState::Empty {
            self.generation += 1;
        }
        self.state = GroupState::Empty;
        self.leader = None;
        self.protocol_name = None;
        self.rebalance_deadline_ms = None;
        self.initial_delay = None;
    }

    /// A completed join result for `member`, handed out once.
    pub(crate) fn poll_join(&mut self, member: &str) -> Option<JoinResult> {
        if !matches!(
            self.state,
            GroupState::CompletingRebalance | GroupState::Stable
        ) || self.leader.is_none()
        {
            return None;
        }
        let m = self.members.get_mut(member)?;
        if m.phase != MemberPhase::JoinReady {
            return None;
        }
        m.phase = MemberPhase::Joined;
        self.join_result(member)
    }

    /// The answer to `member`'s JoinGroup in the current generation: every member for the
    /// leader, only the generation and the leader's id for the others.
    fn join_result(&self, member: &str) -> Option<JoinResult> {
        let leader = self.leader.clone()?;
        let members = if member == leader {
            self.members
                .values()
                .map(|m| JoinedMember {
                    member_id: m.id.clone(),
                    metadata: m
                        .protocols
                        .iter()
                        .find(|p| Some(&p.name) == self.protocol_name.as_ref())
                        .map(|p| p.metadata.clone())
                        .unwrap_or_default(),
                    topics: m.topics.clone(),
                })
                .collect()
        } else {
            Vec::new()
        };
        Some(JoinResult {
            generation: self.generation,
            protocol_name: self.protocol_name.clone().unwrap_or_default(),
            leader,
            member_id: member.to_string(),
            members,
        })
    }

    pub(crate) fn sync(
        &mut self,
        member: &str,
        generation: i32,
        assignments: Option<BTreeMap<String, MemberAssignment>>,
        now: i64,
        events: &mut EventLog,
    ) -> Result<SyncOutcome> {
        // As in Kafka, any request from a current member counts as a sign of life.
        self.member_mut(member)?.last_heartbeat_ms = now;
        self.check_generation(generation)?;
        match self.state {
            GroupState::PreparingRebalance => {
                Err(BrokerError::RebalanceInProgress(self.name.clone()))
            }
            // A classic group is never Assigning or Reconciling (consumer-protocol states).
            GroupState::Empty
            | GroupState::Dead
            | GroupState::Assigning
            | GroupState::Reconciling => Err(BrokerError::UnknownMemberId {
                group: self.name.clone(),
                member: member.to_string(),
            }),
            GroupState::Stable => Ok(SyncOutcome::Assigned(
                self.members[member].assignment.clone(),
            )),
            GroupState::CompletingRebalance => {
                let is_leader = self.leader.as_deref() == Some(member);
                match assignments {
                    Some(mut assignments) if is_leader => {
                        for m in self.members.values_mut() {
                            m.assignment = assignments.remove(&m.id).unwrap_or_default();
                            m.assignment.partitions.sort();
                            if m.phase == MemberPhase::AwaitingSync {
                                m.phase = MemberPhase::Joined;
                                m.last_heartbeat_ms = now;
                            }
                        }
                        self.state = GroupState::Stable;
                        self.rebalances += 1;
                        events.push(
                            now,
                            EventKind::RebalanceCompleted {
                                group: self.name.clone(),
                                generation: self.generation,
                                assignment: self.assignment(),
                            },
                        );
                        Ok(SyncOutcome::Assigned(
                            self.members[member].assignment.clone(),
                        ))
                    }
                    _ => {
                        // Only a member that has its answer knows the generation it
                        // syncs for, so one not yet collected is taken as collected.
                        if let Some(m) = self.members.get_mut(member) {
                            m.phase = MemberPhase::AwaitingSync;
                        }
                        Ok(SyncOutcome::Pending)
                    }
                }
            }
        }
    }

    /// The member's assignment once the leader has synced, or why it will never come.
    pub(crate) fn poll_sync(
        &self,
        member: &str,
        generation: i32,
    ) -> Option<Result<MemberAssignment>> {
        let Some(m) = self.members.get(member) else {
            return Some(Err(BrokerError::UnknownMemberId {
                group: self.name.clone(),
                member: member.to_string(),
            }));
        };
        if generation != self.generation {
            return Some(
                self.check_generation(generation)
                    .map(|_| MemberAssignment::default()),
            );
        }
        match self.state {
            GroupState::Stable => Some(Ok(m.assignment.clone())),
            GroupState::PreparingRebalance => {
                Some(Err(BrokerError::RebalanceInProgress(self.name.clone())))
            }
            _ => None,
        }
    }

    pub(crate) fn heartbeat(&mut self, member: &str, generation: i32, now: i64) -> Result<()> {
        let state = self.state;
        let m = self.member_mut(member)?;
        m.last_heartbeat_ms = now;
        if state == GroupState::PreparingRebalance {
            return Err(BrokerError::RebalanceInProgress(self.name.clone()));
        }
        self.check_generation(generation)
    }

    pub(crate) fn leave(&mut self, member: &str, now: i64, events: &mut EventLog) -> Result<()> {
        if self.pending_ids.remove(member) {
            return Ok(());
        }
        self.member_mut(member)?;
        self.remove_member(member, LeaveReason::Left, now, events);
        Ok(())
    }

    fn remove_member(
        &mut self,
        member: &str,
        reason: LeaveReason,
        now: i64,
        events: &mut EventLog,
    ) {
        self.members.remove(member);
        self.forget_static(member);
        events.push(
            now,
            EventKind::MemberRemoved {
                group: self.name.clone(),
                member: member.to_string(),
                reason,
            },
        );
        if self.members.is_empty() {
            self.become_empty();
        } else if self.state == GroupState::PreparingRebalance {
            self.try_complete_join(now);
        } else {
            let why = match reason {
                LeaveReason::Left => "left",
                LeaveReason::SessionExpired => "expired",
                LeaveReason::RebalanceTimeout | LeaveReason::RevocationTimeout => "timed out",
                LeaveReason::Replaced => "was replaced",
            };
            self.start_rebalance(format!("{member} {why}"), now, events);
            // Everyone left may already be parked in a join.
            self.try_complete_join(now);
        }
    }

    /// Expels members whose session lapsed, and completes a rebalance whose timeout or
    /// initial delay passed. True if anything changed, so waiting requests should look again.
    pub(crate) fn tick(&mut self, now: i64, events: &mut EventLog) -> bool {
        let before = (self.state, self.generation, self.members.len());
        let expired: Vec<String> = self
            .members
            .values()
            .filter(|m| !m.phase.is_parked())
            .filter(|m| now - m.last_heartbeat_ms > m.session_timeout_ms)
            .map(|m| m.id.clone())
            .collect();
        for id in expired {
            if self.members.contains_key(&id) {
                self.remove_member(&id, LeaveReason::SessionExpired, now, events);
            }
        }
        if self.state == GroupState::PreparingRebalance
            && self.rebalance_deadline_ms.is_some_and(|d| now >= d)
        {
            let laggards: Vec<String> = self
                .members
                .values()
                .filter(|m| m.phase != MemberPhase::AwaitingJoin)
                .map(|m| m.id.clone())
                .collect();
            for id in laggards {
                self.members.remove(&id);
                self.forget_static(&id);
                events.push(
                    now,
                    EventKind::MemberRemoved {
                        group: self.name.clone(),
                        member: id,
                        reason: LeaveReason::RebalanceTimeout,
                    },
                );
            }
        }
        self.try_complete_join(now);
        before != (self.state, self.generation, self.members.len())
    }

    /// Checks that `member` at `generation` may commit. An empty member id with a negative
    /// generation is a standalone (simple) consumer, allowed only while the group is empty.
    pub(crate) fn check_commit(&self, member: &str, generation: i32) -> Result<()> {
        if member.is_empty() && generation < 0 {
            if self.members.is_empty() {
                return Ok(());
            }
            return Err(BrokerError::UnknownMemberId {
                group: self.name.clone(),
                member: String::new(),
            });
        }
        if !self.members.contains_key(member) {
            return Err(BrokerError::UnknownMemberId {
                group: self.name.clone(),
                member: member.to_string(),
            });
        }
        self.check_generation(generation)?;
        if self.state == GroupState::CompletingRebalance {
            return Err(BrokerError::RebalanceInProgress(self.name.clone()));
        }
        Ok(())
    }

    pub(crate) fn store_offset(
        &mut self,
        tp: TopicPartition,
        offset: i64,
        metadata: Option<String>,
        now: i64,
    ) {
        self.offsets.insert(
            tp,
            CommittedOffset {
                offset,
                metadata,
                commit_time_ms: now,
            },
        );
    }

    /// Removes the committed offset on `tp`, if there is one.
    pub(crate) fn delete_offset(&mut self, tp: &TopicPartition) {
        self.offsets.remove(tp);
    }

    pub(crate) fn forget_topic(&mut self, topic: &str) {
        self.offsets.retain(|tp, _| tp.topic != topic);
    }

    /// A coordinator taking the group over starts every member's session afresh.
    pub(crate) fn restart_sessions(&mut self, now: i64) {
        self.members
            .values_mut()
            .for_each(|m| m.last_heartbeat_ms = now);
    }

    pub(crate) fn mark_dead(&mut self) {
        self.state = GroupState::Dead;
    }
}
