//! What a member sends the group coordinator and what it gets back: JoinGroup and
//! SyncGroup requests, their results, and a member's share of an assignment.

use bytes::Bytes;

use super::super::assignor::TopicPartition;

/// A protocol a member can speak (an assignor name), with the client's opaque metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupProtocol {
    /// The assignor name.
    pub name: String,
    /// The client's subscription, opaque to the broker.
    pub metadata: Bytes,
}

/// A JoinGroup request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinGroupRequest {
    /// The group id.
    pub group: String,
    /// `None` (or empty) for a member joining for the first time.
    pub member_id: Option<String>,
    /// The `client.id`.
    pub client_id: String,
    /// Where the member connects from, as Kafka shows it (`/127.0.0.1`); empty for a
    /// simulated member.
    pub client_host: String,
    /// How long the member may go without a heartbeat.
    pub session_timeout_ms: i64,
    /// How long a rebalance waits for it to rejoin.
    pub rebalance_timeout_ms: i64,
    /// `consumer` for consumer groups.
    pub protocol_type: String,
    /// The assignors it offers, in preference order.
    pub protocols: Vec<GroupProtocol>,
    /// The subscribed topics, when the caller knows them (decoded from the metadata, or
    /// given directly by a simulated member). Assignment computed by the broker uses them.
    pub topics: Vec<String>,
    /// The partitions the member says it owns, as a consumer's subscription (v1+) names
    /// its `ownedPartitions`; `None` when it does not say. A cooperative member whose
    /// SyncGroup was cut short by the next rebalance still holds partitions its last
    /// assignment took away, and only its own word says so: an assignment computed by the
    /// broker starts from this, not from the broker's record alone.
    pub owned: Option<Vec<TopicPartition>>,
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
            owned: None,
            require_known_member_id: false,
            initial_rebalance_delay_ms: 0,
            group_instance_id: None,
        }
    }
}

/// A member as the leader sees it in a JoinGroup response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinedMember {
    /// Its member id.
    pub member_id: String,
    /// Its subscription, as it sent it.
    pub metadata: Bytes,
    /// The topics decoded from it.
    pub topics: Vec<String>,
}

/// A completed join: the new generation and, for the leader only, every member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinResult {
    /// The new generation.
    pub generation: i32,
    /// The assignor chosen.
    pub protocol_name: String,
    /// The leader's member id.
    pub leader: String,
    /// This member's id.
    pub member_id: String,
    /// Every member, for the leader; empty for the others.
    pub members: Vec<JoinedMember>,
}

/// A join either completes the rebalance at once or waits for the others.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JoinOutcome {
    /// The rebalance completed.
    Joined(JoinResult),
    /// Waiting for the other members to join.
    Pending {
        /// The id the member was given.
        member_id: String,
    },
}

/// A member's share of an assignment: decoded partitions, plus the client's opaque bytes.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberAssignment {
    /// The partitions assigned.
    pub partitions: Vec<TopicPartition>,
    /// The assignment as the leader's client encoded it.
    pub raw: Bytes,
}

/// A SyncGroup either returns the member's assignment or waits for the leader's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncOutcome {
    /// The member's share.
    Assigned(MemberAssignment),
    /// Waiting for the leader's assignment.
    Pending,
}
