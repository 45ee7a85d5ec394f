//! One consumer group: the classic rebalance protocol's state machine and its committed offsets.
//!
//! The protocol is driven by calls, never by waiting: a join that cannot complete yet
//! returns `Pending`, and the caller asks again later (`poll_join`, `poll_sync`). That keeps
//! this layer synchronous, and lets the simulation and the network server share it.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use bytes::Bytes;

use super::assignor::{Assignment, TopicPartition};
use super::error::{BrokerError, Result};
use super::event::{EventKind, EventLog, LeaveReason};

/// Session timeouts the coordinator accepts, in milliseconds. Wider than Kafka's defaults
/// (6 s to 30 min) so short simulated scenarios can show expiry quickly.
pub const SESSION_TIMEOUT_RANGE_MS: (i64, i64) = (1, 3_600_000);

/// The states of a classic consumer group, as Kafka names them.
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
}

impl GroupState {
    pub fn name(self) -> &'static str {
        match self {
            GroupState::Empty => "Empty",
            GroupState::PreparingRebalance => "PreparingRebalance",
            GroupState::CompletingRebalance => "CompletingRebalance",
            GroupState::Stable => "Stable",
            GroupState::Dead => "Dead",
        }
    }
}

impl fmt::Display for GroupState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A protocol a member can speak (an assignor name), with the client's opaque metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProtocol {
    pub name: String,
    pub metadata: Bytes,
}

/// A JoinGroup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupRequest {
    pub group: String,
    /// `None` (or empty) for a member joining for the first time.
    pub member_id: Option<String>,
    pub client_id: String,
    /// Where the member connects from, as Kafka shows it (`/127.0.0.1`); empty for a
    /// simulated member.
    pub client_host: String,
    pub session_timeout_ms: i64,
    pub rebalance_timeout_ms: i64,
    pub protocol_type: String,
    pub protocols: Vec<GroupProtocol>,
    /// The subscribed topics, when the caller knows them (decoded from the metadata, or
    /// given directly by a simulated member). Assignment computed by the broker uses them.
    pub topics: Vec<String>,
    /// Answer a new member with [`BrokerError::MemberIdRequired`] first, as JoinGroup v4+ does.
    pub require_known_member_id: bool,
    /// How long an empty group that this join wakes waits for more members before its
    /// first rebalance completes; each newcomer meanwhile restarts the wait, up to the
    /// rebalance timeout. Kafka's `group.initial.rebalance.delay.ms`: consumers started
    /// together land in one rebalance, and the leader has the topics' metadata by then.
    pub initial_rebalance_delay_ms: i64,
}

impl JoinGroupRequest {
    /// A consumer joining `group` for the first time, subscribed to `topics` with one assignor.
    pub fn consumer(group: &str, client_id: &str, topics: &[String], assignor: &str) -> Self {
        JoinGroupRequest {
            group: group.to_string(),
            member_id: None,
            client_id: client_id.to_string(),
            client_host: String::new(),
            session_timeout_ms: 10_000,
            rebalance_timeout_ms: 30_000,
            protocol_type: "consumer".to_string(),
            protocols: vec![GroupProtocol {
                name: assignor.to_string(),
                metadata: Bytes::new(),
            }],
            topics: topics.to_vec(),
            require_known_member_id: false,
            initial_rebalance_delay_ms: 0,
        }
    }
}

/// A member as the leader sees it in a JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    pub member_id: String,
    pub metadata: Bytes,
    pub topics: Vec<String>,
}

/// A completed join: the new generation and, for the leader only, every member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResult {
    pub generation: i32,
    pub protocol_name: String,
    pub leader: String,
    pub member_id: String,
    pub members: Vec<JoinedMember>,
}

/// A join either completes the rebalance at once or waits for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinOutcome {
    Joined(JoinResult),
    Pending { member_id: String },
}

/// A member's share of an assignment: decoded partitions, plus the client's opaque bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberAssignment {
    pub partitions: Vec<TopicPartition>,
    pub raw: Bytes,
}

/// A SyncGroup either returns the member's assignment or waits for the leader's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    Assigned(MemberAssignment),
    Pending,
}

/// A group member.
#[derive(Debug, Clone)]
pub struct Member {
    id: String,
    client_id: String,
    client_host: String,
    session_timeout_ms: i64,
    rebalance_timeout_ms: i64,
    last_heartbeat_ms: i64,
    protocols: Vec<GroupProtocol>,
    topics: Vec<String>,
    assignment: MemberAssignment,
    /// Joined in the current rebalance round.
    joined: bool,
    /// A completed join result not yet handed to the member.
    join_ready: bool,
    /// Parked in a SyncGroup until the leader's assignment arrives: alive, like a member
    /// parked in a join, so its session does not lapse however long the leader takes.
    awaiting_sync: bool,
}

impl Member {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// Where the member connects from (see [`JoinGroupRequest::client_host`]).
    pub fn client_host(&self) -> &str {
        &self.client_host
    }
    pub fn topics(&self) -> &[String] {
        &self.topics
    }
    pub fn session_timeout_ms(&self) -> i64 {
        self.session_timeout_ms
    }
    pub fn last_heartbeat_ms(&self) -> i64 {
        self.last_heartbeat_ms
    }
    /// The partitions assigned in the last completed rebalance.
    pub fn assignment(&self) -> &[TopicPartition] {
        &self.assignment.partitions
    }
    pub fn protocols(&self) -> &[GroupProtocol] {
        &self.protocols
    }
    /// The leader's assignment bytes for this member, relayed untouched (empty when the
    /// broker computed the assignment itself).
    pub fn assignment_bytes(&self) -> &Bytes {
        &self.assignment.raw
    }
}

/// A committed offset with the client's metadata string.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    pub offset: i64,
    pub metadata: Option<String>,
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
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn state(&self) -> GroupState {
        self.state
    }
    pub fn generation(&self) -> i32 {
        self.generation
    }
    pub fn protocol_type(&self) -> Option<&str> {
        self.protocol_type.as_deref()
    }
    /// The chosen assignor, once a rebalance has completed.
    pub fn protocol_name(&self) -> Option<&str> {
        self.protocol_name.as_deref()
    }
    pub fn leader(&self) -> Option<&str> {
        self.leader.as_deref()
    }
    /// Members by id, sorted.
    pub fn members(&self) -> impl ExactSizeIterator<Item = &Member> {
        self.members.values()
    }
    pub fn member(&self, id: &str) -> Option<&Member> {
        self.members.get(id)
    }
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
        let (min, max) = SESSION_TIMEOUT_RANGE_MS;
        if !(min..=max).contains(&req.session_timeout_ms) {
            return Err(BrokerError::InvalidSessionTimeout {
                given: req.session_timeout_ms.max(0) as u64,
                min: min as u64,
                max: max as u64,
            });
        }
        if self.state == GroupState::Dead {
            *self = Group::new(&self.name);
        }
        self.check_protocols(&req)?;
        let was_empty = self.state == GroupState::Empty;
        let member_id = match req.member_id.as_deref().filter(|id| !id.is_empty()) {
            None => {
                let id = self.new_member_id(&req.client_id);
                if req.require_known_member_id {
                    self.pending_ids.insert(id.clone());
                    return Err(BrokerError::MemberIdRequired {
                        group: self.name.clone(),
                        member: id,
                    });
                }
                id
            }
            Some(id) => {
                if !self.members.contains_key(id) && !self.pending_ids.remove(id) {
                    return Err(BrokerError::UnknownMemberId {
                        group: self.name.clone(),
                        member: id.to_string(),
                    });
                }
                id.to_string()
            }
        };
        let is_new = !self.members.contains_key(&member_id);
        if !is_new && self.rejoin_is_a_no_op(&member_id, &req) {
            // As Kafka does: an unchanged member rejoining mid-sync, or a follower rejoining a
            // stable group, gets the current generation back rather than forcing a new round.
            let m = self.members.get_mut(&member_id).expect("existing member");
            m.last_heartbeat_ms = now;
            m.join_ready = true;
            let result = self
                .poll_join(&member_id)
                .expect("join result for a current member");
            return Ok(JoinOutcome::Joined(result));
        }
        if is_new {
            self.members.insert(
                member_id.clone(),
                Member {
                    id: member_id.clone(),
                    client_id: req.client_id.clone(),
                    client_host: req.client_host.clone(),
                    session_timeout_ms: 0,
                    rebalance_timeout_ms: 0,
                    last_heartbeat_ms: now,
                    protocols: Vec::new(),
                    topics: Vec::new(),
                    assignment: MemberAssignment::default(),
                    joined: false,
                    join_ready: false,
                    awaiting_sync: false,
                },
            );
            events.push(
                now,
                EventKind::MemberJoined {
                    group: self.name.clone(),
                    member: member_id.clone(),
                },
            );
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
        let m = self.members.get_mut(&member_id).expect("just inserted");
        m.session_timeout_ms = req.session_timeout_ms;
        m.rebalance_timeout_ms = req.rebalance_timeout_ms.max(req.session_timeout_ms);
        m.last_heartbeat_ms = now;
        m.protocols = req.protocols;
        m.topics = req.topics;
        m.joined = true;
        let deadline = now + m.rebalance_timeout_ms;
        self.rebalance_deadline_ms = Some(
            self.rebalance_deadline_ms
                .map_or(deadline, |d| d.max(deadline)),
        );
        let delay_ms = req.initial_rebalance_delay_ms;
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

    fn rejoin_is_a_no_op(&self, member_id: &str, req: &JoinGroupRequest) -> bool {
        let m = &self.members[member_id];
        let unchanged = m.protocols == req.protocols && m.topics == req.topics;
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
            // A member whose completed join it has not collected yet is still parked in that
            // JoinGroup and cannot send another, so it takes part in this round as it is.
            m.joined = m.join_ready;
            m.join_ready = false;
            if m.awaiting_sync {
                // It learns of the new round when it next looks; its session runs from now.
                m.awaiting_sync = false;
                m.last_heartbeat_ms = now;
            }
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
        if !self.members.values().all(|m| m.joined) {
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
            m.join_ready = true;
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
        ) {
            return None;
        }
        let leader = self.leader.clone()?;
        let m = self.members.get_mut(member)?;
        if !m.join_ready {
            return None;
        }
        m.join_ready = false;
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
            GroupState::Empty | GroupState::Dead => Err(BrokerError::UnknownMemberId {
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
                            if m.awaiting_sync {
                                m.awaiting_sync = false;
                                m.last_heartbeat_ms = now;
                            }
                        }
                        self.state = GroupState::Stable;
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
                        if let Some(m) = self.members.get_mut(member) {
                            m.awaiting_sync = true;
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
                LeaveReason::RebalanceTimeout => "timed out",
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
        let preparing = self.state == GroupState::PreparingRebalance;
        let expired: Vec<String> = self
            .members
            .values()
            // A member parked in a join or a sync is alive: it is waiting on us, not silent.
            .filter(|m| !(m.awaiting_sync || preparing && m.joined))
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
                .filter(|m| !m.joined)
                .map(|m| m.id.clone())
                .collect();
            for id in laggards {
                self.members.remove(&id);
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

    pub(crate) fn mark_dead(&mut self) {
        self.state = GroupState::Dead;
    }
}
