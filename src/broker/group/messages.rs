//! What a member sends the group coordinator and what it gets back: JoinGroup and
//! SyncGroup requests, their results, and a member's share of an assignment.

use bytes::Bytes;

use super::super::assignor::TopicPartition;

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
    /// Answer a new member with [`MemberIdRequired`](crate::broker::BrokerError::MemberIdRequired)
    /// first, as JoinGroup v4+ does.
    pub require_known_member_id: bool,
    /// How long an empty group that this join wakes waits for more members before its
    /// first rebalance completes; each newcomer meanwhile restarts the wait, up to the
    /// rebalance timeout. Kafka's `group.initial.rebalance.delay.ms`: consumers started
    /// together land in one rebalance, and the leader has the topics' metadata by then.
    pub initial_rebalance_delay_ms: i64,
    /// `group.instance.id`: a static member. Coming back under a new member id within its
    /// session, it takes its old place (and assignment) with no rebalance.
    pub group_instance_id: Option<String>,
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
            group_instance_id: None,
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
