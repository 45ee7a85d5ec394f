//! A group member as the coordinator keeps it, and where it stands in a rebalance.

use bytes::Bytes;

use super::super::assignor::TopicPartition;
use super::messages::{GroupProtocol, MemberAssignment};

/// Where a member stands in the rebalance protocol, as the coordinator sees it. One value
/// rather than a flag per request, so a member can never be parked in a join and a sync at
/// once. How it moves:
///
/// - a rebalance starts: `NotYetRejoined`, except a member whose answer is still
///   `JoinReady`: it is parked in that JoinGroup and cannot send another, so it is
///   `AwaitingJoin` in the new round;
/// - it sends JoinGroup: `AwaitingJoin`, then `JoinReady` once every member has joined;
/// - it collects its answer: `Joined`;
/// - it sends SyncGroup before the leader's assignment: `AwaitingSync`, then `Joined`
///   when the assignment arrives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MemberPhase {
    /// A rebalance is under way and the member has not sent its JoinGroup for it yet.
    NotYetRejoined,
    /// Parked in a JoinGroup until every member has joined the round.
    AwaitingJoin,
    /// The round completed; the member's JoinGroup answer waits to be collected.
    JoinReady,
    /// Parked in a SyncGroup until the leader's assignment arrives.
    AwaitingSync,
    /// A member of the current generation, waiting on nothing.
    Joined,
}

impl MemberPhase {
    /// Whether the member is parked in a request: it is waiting on the coordinator, not
    /// silent, so its session does not lapse however long the others take.
    pub fn is_parked(self) -> bool {
        matches!(self, MemberPhase::AwaitingJoin | MemberPhase::AwaitingSync)
    }

    /// The phase a rebalance starting puts the member in.
    pub(super) fn on_rebalance(self) -> MemberPhase {
        match self {
            MemberPhase::JoinReady => MemberPhase::AwaitingJoin,
            _ => MemberPhase::NotYetRejoined,
        }
    }
}

/// A group member.
#[derive(Debug, Clone)]
pub struct Member {
    pub(super) id: String,
    pub(super) instance_id: Option<String>,
    pub(super) client_id: String,
    pub(super) client_host: String,
    pub(super) session_timeout_ms: i64,
    pub(super) rebalance_timeout_ms: i64,
    pub(super) last_heartbeat_ms: i64,
    pub(super) protocols: Vec<GroupProtocol>,
    pub(super) topics: Vec<String>,
    pub(super) owned: Option<Vec<TopicPartition>>,
    pub(super) assignment: MemberAssignment,
    pub(super) phase: MemberPhase,
}

impl Member {
    /// The member id the coordinator gave it.
    pub fn id(&self) -> &str {
        &self.id
    }
    /// Its `client.id`.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// Where the member connects from (see [`super::JoinGroupRequest::client_host`]).
    pub fn client_host(&self) -> &str {
        &self.client_host
    }

    /// `group.instance.id`, for a static member.
    pub fn instance_id(&self) -> Option<&str> {
        self.instance_id.as_deref()
    }
    /// The topics it subscribes to.
    pub fn topics(&self) -> &[String] {
        &self.topics
    }
    /// How long it may go without a heartbeat.
    pub fn session_timeout_ms(&self) -> i64 {
        self.session_timeout_ms
    }
    /// When it was last heard from.
    pub fn last_heartbeat_ms(&self) -> i64 {
        self.last_heartbeat_ms
    }
    /// Where it stands in the current rebalance round.
    pub fn phase(&self) -> MemberPhase {
        self.phase
    }
    /// The partitions assigned in the last completed rebalance.
    pub fn assignment(&self) -> &[TopicPartition] {
        &self.assignment.partitions
    }
    /// What it said it owns when it last joined (see [`super::JoinGroupRequest::owned`]).
    pub fn owned(&self) -> Option<&[TopicPartition]> {
        self.owned.as_deref()
    }
    /// The protocols (assignors) it offered, in preference order.
    pub fn protocols(&self) -> &[GroupProtocol] {
        &self.protocols
    }
    /// The leader's assignment bytes for this member, relayed untouched (empty when the
    /// broker computed the assignment itself).
    pub fn assignment_bytes(&self) -> &Bytes {
        &self.assignment.raw
    }
}
