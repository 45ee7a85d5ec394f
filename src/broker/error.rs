//! The broker's one error vocabulary.

use thiserror::Error;

use super::cluster::BrokerId;

/// Everything the broker can refuse, phrased for the person reading it.
///
/// The network server maps each variant, in one place, to the Kafka error code a real
/// broker would answer with, so the broker itself carries no wire codes.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BrokerError {
    #[error("topic '{0}' already exists")]
    TopicAlreadyExists(String),
    #[error(
        "topic '{topic}' already exists with a different configuration ({existing}); asked for {requested}"
    )]
    TopicConfigConflict {
        topic: String,
        existing: String,
        requested: String,
    },
    #[error("invalid topic name '{name}': {reason}")]
    InvalidTopicName { name: String, reason: &'static str },
    #[error("invalid partition count for topic '{topic}': {reason}")]
    InvalidPartitions { topic: String, reason: String },
    #[error("unknown topic '{0}'")]
    UnknownTopic(String),
    #[error("topic '{topic}' has no partition {partition}")]
    UnknownPartition { topic: String, partition: u32 },
    #[error(
        "offset {offset} is out of range for {topic}-{partition}: the log holds offsets {log_start_offset}..{high_watermark}"
    )]
    OffsetOutOfRange {
        topic: String,
        partition: u32,
        offset: i64,
        log_start_offset: i64,
        high_watermark: i64,
    },
    #[error("invalid group id '{0}': it must not be empty")]
    InvalidGroupId(String),
    #[error("unknown consumer group '{0}'")]
    UnknownGroup(String),
    #[error("group '{group}' has no member '{member}'")]
    UnknownMemberId { group: String, member: String },
    #[error(
        "group '{group}' is at generation {current}, but the request carried generation {given}"
    )]
    IllegalGeneration {
        group: String,
        given: i32,
        current: i32,
    },
    #[error("group '{0}' is rebalancing; rejoin the group")]
    RebalanceInProgress(String),
    #[error(
        "group '{group}' still has {members} member(s); stop them before changing its offsets or deleting it"
    )]
    GroupNotEmpty { group: String, members: usize },
    #[error(
        "group '{group}' has members subscribed to '{topic}'; its offsets there stay while they read it"
    )]
    GroupSubscribedToTopic { group: String, topic: String },
    #[error("group '{group}' requires a known member id; rejoin with '{member}'")]
    MemberIdRequired { group: String, member: String },
    #[error("member of group '{group}' supports none of the group's protocols ({protocols})")]
    InconsistentGroupProtocol { group: String, protocols: String },
    #[error("session timeout {given} ms is outside the allowed range {min}..={max} ms")]
    InvalidSessionTimeout { given: u64, min: u64, max: u64 },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
    #[error(
        "member '{member}' of group '{group}' sent epoch {given}, but its epoch is {current}; it must give up its partitions and rejoin"
    )]
    FencedMemberEpoch {
        group: String,
        member: String,
        given: i32,
        current: i32,
    },
    #[error(
        "member '{member}' of group '{group}' committed with epoch {given}, but its epoch is now {current}"
    )]
    StaleMemberEpoch {
        group: String,
        member: String,
        given: i32,
        current: i32,
    },
    #[error(
        "instance id '{instance}' of group '{group}' now belongs to another member, not '{member}'"
    )]
    FencedInstanceId {
        group: String,
        instance: String,
        member: String,
    },
    #[error(
        "instance id '{instance}' of group '{group}' is still held by member '{holder}', which has not left"
    )]
    UnreleasedInstanceId {
        group: String,
        instance: String,
        holder: String,
    },
    #[error("unsupported server-side assignor '{0}' (this broker offers uniform and range)")]
    UnsupportedAssignor(String),
    #[error("group '{0}' is not a consumer-protocol group")]
    NotAConsumerGroup(String),
    /// A produce or fetch reached a broker that does not lead the partition.
    #[error("{}", not_leader(topic, *partition, *broker, *leader))]
    NotLeaderOrFollower {
        topic: String,
        partition: u32,
        broker: BrokerId,
        leader: Option<BrokerId>,
    },
    /// The partition is offline.
    #[error("{topic}-{partition} is offline: no in-sync replica is alive to lead it")]
    LeaderNotAvailable { topic: String, partition: u32 },
    /// `acks=all` with fewer in-sync replicas than `min.insync.replicas`: nothing appended.
    #[error(
        "{topic}-{partition} has {isr} in-sync replica(s), fewer than min.insync.replicas = {min_insync}; acks=all is refused"
    )]
    NotEnoughReplicas {
        topic: String,
        partition: u32,
        isr: u32,
        min_insync: u32,
    },
    /// `acks=all` records appended, but the ISR shrank below `min.insync.replicas` before
    /// the high watermark passed them.
    #[error(
        "{topic}-{partition}: the records were appended, but the ISR shrank to {isr}, below min.insync.replicas = {min_insync}, before they were replicated"
    )]
    NotEnoughReplicasAfterAppend {
        topic: String,
        partition: u32,
        isr: u32,
        min_insync: u32,
    },
    /// A group request reached a broker that does not coordinate the group.
    #[error("broker {broker} is not the coordinator of group '{group}'; broker {coordinator} is")]
    NotCoordinator {
        group: String,
        broker: BrokerId,
        coordinator: BrokerId,
    },
    /// The group's offsets partition is offline.
    #[error(
        "the coordinator of group '{group}' is not available: its offsets partition is offline"
    )]
    CoordinatorNotAvailable { group: String },
    /// A replication factor of zero, or more than the live brokers.
    #[error(
        "invalid replication factor {requested} for topic '{topic}': it must be between 1 and the {live} live broker(s)"
    )]
    InvalidReplicationFactor {
        topic: String,
        requested: i64,
        live: u32,
    },
    /// `min.insync.replicas` of zero, or more than the replication factor.
    #[error(
        "invalid min.insync.replicas {min_insync} for topic '{topic}': it must be between 1 and the replication factor {replication_factor}"
    )]
    InvalidMinInsyncReplicas {
        topic: String,
        min_insync: i64,
        replication_factor: u32,
    },
    /// An operator action named a broker the cluster does not have.
    #[error("no broker {broker}: the cluster has brokers 1 to {brokers}")]
    UnknownBroker { broker: BrokerId, brokers: u32 },
    /// An operator action the broker's state rules out (crashing a crashed broker).
    #[error("broker {broker} is {state}; it cannot {action}")]
    BrokerStateConflict {
        broker: BrokerId,
        state: &'static str,
        action: &'static str,
    },
    /// A cluster configuration past the limits.
    #[error("invalid cluster: {0}")]
    InvalidCluster(String),
}

fn not_leader(topic: &str, partition: u32, broker: BrokerId, leader: Option<BrokerId>) -> String {
    match leader {
        Some(l) => format!("broker {broker} does not lead {topic}-{partition}; broker {l} does"),
        None => format!("broker {broker} does not lead {topic}-{partition}, which is offline"),
    }
}

/// Shorthand for results in the broker layer.
pub type Result<T, E = BrokerError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_subject() {
        let e = BrokerError::OffsetOutOfRange {
            topic: "orders".into(),
            partition: 2,
            offset: 99,
            log_start_offset: 10,
            high_watermark: 50,
        };
        let msg = e.to_string();
        assert!(msg.contains("orders-2"), "{msg}");
        assert!(msg.contains("10..50"), "{msg}");
    }
}
