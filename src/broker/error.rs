//! The broker's one error vocabulary, with the Kafka error code each maps to on the wire.

use thiserror::Error;

/// Everything the broker can refuse, phrased for the person reading it.
///
/// Each variant maps to the Kafka error code a real broker would answer with
/// (see [`BrokerError::kafka_code`]) so the network server never invents its own.
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
    #[error("group '{group}' requires a known member id; rejoin with '{member}'")]
    MemberIdRequired { group: String, member: String },
    #[error("member of group '{group}' supports none of the group's protocols ({protocols})")]
    InconsistentGroupProtocol { group: String, protocols: String },
    #[error("session timeout {given} ms is outside the allowed range {min}..={max} ms")]
    InvalidSessionTimeout { given: u64, min: u64, max: u64 },
    #[error("invalid request: {0}")]
    InvalidRequest(String),
}

impl BrokerError {
    /// The Kafka protocol error code for this error, as listed in the protocol guide.
    pub fn kafka_code(&self) -> i16 {
        match self {
            BrokerError::OffsetOutOfRange { .. } => 1,
            BrokerError::UnknownTopic(_) | BrokerError::UnknownPartition { .. } => 3,
            BrokerError::InvalidTopicName { .. } => 17,
            BrokerError::IllegalGeneration { .. } => 22,
            BrokerError::InconsistentGroupProtocol { .. } => 23,
            BrokerError::InvalidGroupId(_) => 24,
            BrokerError::UnknownMemberId { .. } => 25,
            BrokerError::InvalidSessionTimeout { .. } => 26,
            BrokerError::RebalanceInProgress(_) => 27,
            BrokerError::TopicAlreadyExists(_) => 36,
            BrokerError::InvalidPartitions { .. } => 37,
            // A conflicting "create if not exists" is still, to a Kafka client, an existing topic.
            BrokerError::TopicConfigConflict { .. } => 36,
            BrokerError::InvalidRequest(_) => 42,
            BrokerError::GroupNotEmpty { .. } => 68,
            BrokerError::UnknownGroup(_) => 69,
            BrokerError::MemberIdRequired { .. } => 79,
        }
    }

    /// Kafka's upper-case name for the error code, for logs and the events pane.
    pub fn kafka_name(&self) -> &'static str {
        match self.kafka_code() {
            1 => "OFFSET_OUT_OF_RANGE",
            3 => "UNKNOWN_TOPIC_OR_PARTITION",
            17 => "INVALID_TOPIC_EXCEPTION",
            22 => "ILLEGAL_GENERATION",
            23 => "INCONSISTENT_GROUP_PROTOCOL",
            24 => "INVALID_GROUP_ID",
            25 => "UNKNOWN_MEMBER_ID",
            26 => "INVALID_SESSION_TIMEOUT",
            27 => "REBALANCE_IN_PROGRESS",
            36 => "TOPIC_ALREADY_EXISTS",
            37 => "INVALID_PARTITIONS",
            42 => "INVALID_REQUEST",
            68 => "NON_EMPTY_GROUP",
            69 => "GROUP_ID_NOT_FOUND",
            79 => "MEMBER_ID_REQUIRED",
            _ => "UNKNOWN_SERVER_ERROR",
        }
    }
}

/// Shorthand for results in the broker layer.
pub type Result<T, E = BrokerError> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_kafka() {
        assert_eq!(BrokerError::TopicAlreadyExists("t".into()).kafka_code(), 36);
        assert_eq!(
            BrokerError::GroupNotEmpty {
                group: "g".into(),
                members: 1
            }
            .kafka_name(),
            "NON_EMPTY_GROUP"
        );
        assert_eq!(
            BrokerError::RebalanceInProgress("g".into()).kafka_code(),
            27
        );
        assert_eq!(
            BrokerError::MemberIdRequired {
                group: "g".into(),
                member: "m".into()
            }
            .kafka_code(),
            79
        );
    }

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
