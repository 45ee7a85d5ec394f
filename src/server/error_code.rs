//! The one map from the broker's errors to Kafka error codes.
//!
//! The broker phrases its refusals for people and knows nothing of the wire; the server
//! speaks kafka-protocol's [`ResponseError`] and translates here, so no handler invents a
//! code of its own for something the broker already refused.

use kafka_protocol::ResponseError;

use crate::broker::BrokerError;

impl From<&BrokerError> for ResponseError {
    /// The error a real Kafka broker answers with in the same situation.
    fn from(error: &BrokerError) -> Self {
        match error {
            BrokerError::OffsetOutOfRange { .. } => ResponseError::OffsetOutOfRange,
            BrokerError::UnknownTopic(_) | BrokerError::UnknownPartition { .. } => {
                ResponseError::UnknownTopicOrPartition
            }
            BrokerError::InvalidTopicName { .. } => ResponseError::InvalidTopicException,
            BrokerError::IllegalGeneration { .. } => ResponseError::IllegalGeneration,
            BrokerError::InconsistentGroupProtocol { .. } => {
                ResponseError::InconsistentGroupProtocol
            }
            BrokerError::InvalidGroupId(_) => ResponseError::InvalidGroupId,
            BrokerError::UnknownMemberId { .. } => ResponseError::UnknownMemberId,
            BrokerError::InvalidSessionTimeout { .. } => ResponseError::InvalidSessionTimeout,
            BrokerError::RebalanceInProgress(_) => ResponseError::RebalanceInProgress,
            BrokerError::TopicAlreadyExists(_) => ResponseError::TopicAlreadyExists,
            // A conflicting "create if not exists" is still, to a Kafka client, an existing topic.
            BrokerError::TopicConfigConflict { .. } => ResponseError::TopicAlreadyExists,
            BrokerError::InvalidPartitions { .. } => ResponseError::InvalidPartitions,
            BrokerError::InvalidRequest(_) => ResponseError::InvalidRequest,
            BrokerError::GroupNotEmpty { .. } => ResponseError::NonEmptyGroup,
            BrokerError::GroupSubscribedToTopic { .. } => ResponseError::GroupSubscribedToTopic,
            BrokerError::UnknownGroup(_) => ResponseError::GroupIdNotFound,
            BrokerError::MemberIdRequired { .. } => ResponseError::MemberIdRequired,
            BrokerError::FencedMemberEpoch { .. } => ResponseError::FencedMemberEpoch,
            BrokerError::StaleMemberEpoch { .. } => ResponseError::StaleMemberEpoch,
            BrokerError::FencedInstanceId { .. } => ResponseError::FencedInstanceId,
            BrokerError::UnreleasedInstanceId { .. } => ResponseError::UnreleasedInstanceId,
            BrokerError::UnsupportedAssignor(_) => ResponseError::UnsupportedAssignor,
            BrokerError::NotAConsumerGroup(_) => ResponseError::GroupIdNotFound,
            BrokerError::NotLeaderOrFollower { .. } => ResponseError::NotLeaderOrFollower,
            BrokerError::LeaderNotAvailable { .. } => ResponseError::LeaderNotAvailable,
            BrokerError::FencedLeaderEpoch { .. } => ResponseError::FencedLeaderEpoch,
            BrokerError::UnknownLeaderEpoch { .. } => ResponseError::UnknownLeaderEpoch,
            BrokerError::NotEnoughReplicas { .. } => ResponseError::NotEnoughReplicas,
            BrokerError::NotEnoughReplicasAfterAppend { .. } => {
                ResponseError::NotEnoughReplicasAfterAppend
            }
            BrokerError::NotCoordinator { .. } => ResponseError::NotCoordinator,
            BrokerError::CoordinatorNotAvailable { .. } => ResponseError::CoordinatorNotAvailable,
            BrokerError::InvalidReplicationFactor { .. } => ResponseError::InvalidReplicationFactor,
            BrokerError::InvalidMinInsyncReplicas { .. } => ResponseError::InvalidConfig,
            // Operator actions on the simulated cluster, never a client's request.
            BrokerError::UnknownBroker { .. }
            | BrokerError::BrokerStateConflict { .. }
            | BrokerError::InvalidCluster(_) => ResponseError::InvalidRequest,
        }
    }
}

impl BrokerError {
    /// The Kafka protocol error code for this error, as listed in the protocol guide.
    ///
    /// Defined here rather than beside the error so that the broker carries no wire codes.
    pub fn kafka_code(&self) -> i16 {
        ResponseError::from(self).code()
    }
}

/// The error code a response carries for `result`: 0 when it succeeded.
pub(crate) fn result_code<T>(result: &Result<T, BrokerError>) -> i16 {
    result.as_ref().map_or_else(BrokerError::kafka_code, |_| 0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_match_kafka() {
        let cases = [
            (BrokerError::TopicAlreadyExists("t".into()), 36),
            (
                BrokerError::TopicConfigConflict {
                    topic: "t".into(),
                    existing: "1 partition".into(),
                    requested: "2 partitions".into(),
                },
                36,
            ),
            (BrokerError::RebalanceInProgress("g".into()), 27),
            (
                BrokerError::MemberIdRequired {
                    group: "g".into(),
                    member: "m".into(),
                },
                79,
            ),
            (
                BrokerError::UnknownPartition {
                    topic: "t".into(),
                    partition: 9,
                },
                3,
            ),
            (BrokerError::UnknownGroup("g".into()), 69),
            (
                BrokerError::GroupSubscribedToTopic {
                    group: "g".into(),
                    topic: "t".into(),
                },
                86,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.kafka_code(), code, "{error}");
        }
        assert_eq!(
            ResponseError::from(&BrokerError::GroupNotEmpty {
                group: "g".into(),
                members: 1
            }),
            ResponseError::NonEmptyGroup
        );
    }

    #[test]
    fn consumer_protocol_codes_match_kafka() {
        let cases = [
            (BrokerError::NotAConsumerGroup("g".into()), 69),
            (
                BrokerError::FencedMemberEpoch {
                    group: "g".into(),
                    member: "m".into(),
                    given: 3,
                    current: 2,
                },
                110,
            ),
            (
                BrokerError::UnreleasedInstanceId {
                    group: "g".into(),
                    instance: "i".into(),
                    holder: "m".into(),
                },
                111,
            ),
            (BrokerError::UnsupportedAssignor("x".into()), 112),
            (
                BrokerError::StaleMemberEpoch {
                    group: "g".into(),
                    member: "m".into(),
                    given: 1,
                    current: 2,
                },
                113,
            ),
            (
                BrokerError::FencedInstanceId {
                    group: "g".into(),
                    instance: "i".into(),
                    member: "m".into(),
                },
                82,
            ),
        ];
        for (error, code) in cases {
            assert_eq!(error.kafka_code(), code, "{error}");
        }
    }

    #[test]
    fn success_is_code_zero() {
        assert_eq!(result_code(&Ok::<(), BrokerError>(())), 0);
        assert_eq!(
            result_code(&Err::<(), _>(BrokerError::InvalidRequest("x".into()))),
            42
        );
    }
}
