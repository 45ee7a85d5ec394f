//! The broker's one error vocabulary.

use thiserror::Error;

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
