//! What a member of a consumer-protocol group sends (ConsumerGroupHeartbeat) and gets back,
//! and the group settings Kafka keeps per group rather than per member.

use super::super::super::assignor::TopicPartition;

/// The member epoch a member sends to leave the group for good.
pub const LEAVE_GROUP_EPOCH: i32 = -1;
/// The member epoch a static member sends to leave for a while: it keeps its partitions
/// until its session times out, so a restart within the session costs no rebalance.
pub const STATIC_LEAVE_EPOCH: i32 = -2;

/// The session timeout and heartbeat interval of consumer-protocol groups. Under KIP-848
/// these belong to the group (Kafka's `group.consumer.session.timeout.ms` and
/// `group.consumer.heartbeat.interval.ms`, or a group's own `consumer.*` configs), not to
/// the client as in the classic protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConsumerGroupConfig {
    /// How long a member may go without a heartbeat before it is fenced.
    pub session_timeout_ms: i64,
    /// How often members are told to heartbeat.
    pub heartbeat_interval_ms: i64,
}

impl Default for ConsumerGroupConfig {
    /// Kafka's defaults: a 45 s session and a 5 s heartbeat.
    fn default() -> Self {
        ConsumerGroupConfig {
            session_timeout_ms: 45_000,
            heartbeat_interval_ms: 5_000,
        }
    }
}

/// A ConsumerGroupHeartbeat request. Optional fields are `None` when the member leaves them
/// unchanged since its last heartbeat, as on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ConsumerHeartbeat {
    /// The group id.
    pub group: String,
    /// The member's id; empty asks the coordinator to make one up (clients before KIP-1082).
    pub member_id: String,
    /// 0 to join, the epoch it has to stay, [`LEAVE_GROUP_EPOCH`] or [`STATIC_LEAVE_EPOCH`]
    /// to leave.
    pub member_epoch: i32,
    /// `group.instance.id`, for a static member.
    pub instance_id: Option<String>,
    /// How long the member may take to revoke partitions.
    pub rebalance_timeout_ms: Option<i64>,
    /// The topics it subscribes to; required when joining.
    pub subscribed_topics: Option<Vec<String>>,
    /// The server-side assignor it asks for (`uniform` or `range`).
    pub server_assignor: Option<String>,
    /// The partitions it owns now: how the coordinator learns that a revocation is done.
    pub owned: Option<Vec<TopicPartition>>,
    /// The client's id, for describing the member.
    pub client_id: String,
}

impl ConsumerHeartbeat {
    /// A first heartbeat: `member` joins `group` subscribed to `topics`.
    pub fn join(group: &str, member: &str, topics: &[String]) -> Self {
        ConsumerHeartbeat {
            group: group.to_string(),
            member_id: member.to_string(),
            member_epoch: 0,
            rebalance_timeout_ms: Some(300_000),
            subscribed_topics: Some(topics.to_vec()),
            owned: Some(Vec::new()),
            ..ConsumerHeartbeat::default()
        }
    }

    /// Whether it carries everything a joining member must send; the coordinator answers
    /// such a heartbeat with the full assignment, as Kafka does after any error.
    pub fn is_full(&self) -> bool {
        self.member_epoch == 0
            || (self.rebalance_timeout_ms.is_some()
                && self.subscribed_topics.is_some()
                && self.owned.is_some())
    }
}

/// The coordinator's answer to a heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeartbeatReply {
    /// The member's id (made up by the coordinator when the member sent none).
    pub member_id: String,
    /// The member's epoch now: what it sends next, and commits with.
    pub member_epoch: i32,
    /// When to heartbeat again.
    pub heartbeat_interval_ms: i64,
    /// The partitions the member may own now, sorted, when they changed or the request was
    /// full; `None` means "keep what you have".
    pub assignment: Option<Vec<TopicPartition>>,
}
