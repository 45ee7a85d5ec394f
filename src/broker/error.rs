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
    /// A topic of that name exists (and the request wanted a new one).
    TopicAlreadyExists(String),
    #[error(
        "topic '{topic}' already exists with a different configuration ({existing}); asked for {requested}"
    )]
    /// A topic of that name exists with another config.
    TopicConfigConflict {
        /// The topic.
        topic: String,
        /// How the topic is configured.
        existing: String,
        /// How the request would configure it.
        requested: String,
    },
    #[error("invalid topic name '{name}': {reason}")]
    /// The name breaks Kafka's topic name rules.
    InvalidTopicName {
        /// The name given.
        name: String,
        /// Which rule it breaks.
        reason: &'static str,
    },
    #[error("invalid partition count for topic '{topic}': {reason}")]
    /// A partition count that cannot be used.
    InvalidPartitions {
        /// The topic.
        topic: String,
        /// Why, in words.
        reason: String,
    },
    #[error("unknown topic '{0}'")]
    /// No topic of that name.
    UnknownTopic(String),
    #[error("topic '{topic}' has no partition {partition}")]
    /// The topic has no such partition.
    UnknownPartition {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
    },
    #[error(
        "offset {offset} is out of range for {topic}-{partition}: the log holds offsets {log_start_offset}..{high_watermark}"
    )]
    /// An offset outside the log.
    OffsetOutOfRange {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
        /// The offset asked for.
        offset: i64,
        /// The first offset the log still holds.
        log_start_offset: i64,
        /// The end of what readers may see.
        high_watermark: i64,
    },
    #[error("invalid group id '{0}': it must not be empty")]
    /// An empty or otherwise unusable group id.
    InvalidGroupId(String),
    #[error("unknown consumer group '{0}'")]
    /// No group of that id.
    UnknownGroup(String),
    #[error("group '{group}' has no member '{member}'")]
    /// The group has no member of that id.
    UnknownMemberId {
        /// The group id.
        group: String,
        /// The member id.
        member: String,
    },
    #[error(
        "group '{group}' is at generation {current}, but the request carried generation {given}"
    )]
    /// A request from an older or newer generation.
    IllegalGeneration {
        /// The group id.
        group: String,
        /// What the request carried.
        given: i32,
        /// What the group holds now.
        current: i32,
    },
    #[error("group '{0}' is rebalancing; rejoin the group")]
    /// The group is rebalancing: the member must rejoin.
    RebalanceInProgress(String),
    #[error(
        "group '{group}' still has {members} member(s); stop them before changing its offsets or deleting it"
    )]
    /// The group has members, so it cannot be changed from outside.
    GroupNotEmpty {
        /// The group id.
        group: String,
        /// How many members it has.
        members: usize,
    },
    #[error(
        "group '{group}' has members subscribed to '{topic}'; its offsets there stay while they read it"
    )]
    /// A member still reads the topic, so its offsets stay.
    GroupSubscribedToTopic {
        /// The group id.
        group: String,
        /// The topic.
        topic: String,
    },
    #[error("group '{group}' requires a known member id; rejoin with '{member}'")]
    /// A new member must rejoin with the id it was given (JoinGroup v4+).
    MemberIdRequired {
        /// The group id.
        group: String,
        /// The member id.
        member: String,
    },
    #[error("member of group '{group}' supports none of the group's protocols ({protocols})")]
    /// The member speaks none of the group's protocols.
    InconsistentGroupProtocol {
        /// The group id.
        group: String,
        /// The protocols the group supports, in words.
        protocols: String,
    },
    #[error("session timeout {given} ms is outside the allowed range {min}..={max} ms")]
    /// A session timeout outside the allowed range.
    InvalidSessionTimeout {
        /// The timeout asked for, in ms.
        given: u64,
        /// The smallest allowed, in ms.
        min: u64,
        /// The largest allowed, in ms.
        max: u64,
    },
    #[error("invalid request: {0}")]
    /// A request that makes no sense, in words.
    InvalidRequest(String),
    #[error(
        "member '{member}' of group '{group}' sent epoch {given}, but its epoch is {current}; it must give up its partitions and rejoin"
    )]
    /// A consumer-protocol member's epoch the group no longer accepts: it must rejoin.
    FencedMemberEpoch {
        /// The group id.
        group: String,
        /// The member id.
        member: String,
        /// What the request carried.
        given: i32,
        /// What the group holds now.
        current: i32,
    },
    #[error(
        "member '{member}' of group '{group}' committed with epoch {given}, but its epoch is now {current}"
    )]
    /// A consumer-protocol member's epoch that is out of date for a commit.
    StaleMemberEpoch {
        /// The group id.
        group: String,
        /// The member id.
        member: String,
        /// What the request carried.
        given: i32,
        /// What the group holds now.
        current: i32,
    },
    #[error(
        "instance id '{instance}' of group '{group}' now belongs to another member, not '{member}'"
    )]
    /// Another member holds this `group.instance.id`.
    FencedInstanceId {
        /// The group id.
        group: String,
        /// The `group.instance.id`.
        instance: String,
        /// The member id.
        member: String,
    },
    #[error(
        "instance id '{instance}' of group '{group}' is still held by member '{holder}', which has not left"
    )]
    /// The static member's previous incarnation still holds its instance id.
    UnreleasedInstanceId {
        /// The group id.
        group: String,
        /// The `group.instance.id`.
        instance: String,
        /// The member that holds the instance id now.
        holder: String,
    },
    #[error("unsupported server-side assignor '{0}' (this broker offers uniform and range)")]
    /// A server-side assignor the broker does not have.
    UnsupportedAssignor(String),
    #[error("group '{0}' is not a consumer-protocol group")]
    /// The group exists under the other group protocol.
    NotAConsumerGroup(String),
    /// A produce or fetch reached a broker that does not lead the partition.
    #[error("{}", not_leader(topic, *partition, *broker, *leader))]
    NotLeaderOrFollower {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
        /// The broker asked.
        broker: BrokerId,
        /// The leader, if the partition has one.
        leader: Option<BrokerId>,
    },
    /// A client named an older leader epoch than the partition's: its metadata is stale.
    #[error(
        "{topic}-{partition} is in leader epoch {current}; the request named the older epoch {asked}"
    )]
    FencedLeaderEpoch {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
        /// The leader epoch the client gave.
        asked: i32,
        /// The partition's leader epoch.
        current: i32,
    },
    /// A client named a newer leader epoch than the broker knows.
    #[error(
        "{topic}-{partition} is in leader epoch {current}; the request named the unknown epoch {asked}"
    )]
    UnknownLeaderEpoch {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
        /// The leader epoch the client gave.
        asked: i32,
        /// The partition's leader epoch.
        current: i32,
    },
    /// The partition is offline.
    #[error("{topic}-{partition} is offline: no in-sync replica is alive to lead it")]
    LeaderNotAvailable {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
    },
    /// `acks=all` with fewer in-sync replicas than `min.insync.replicas`: nothing appended.
    #[error(
        "{topic}-{partition} has {isr} in-sync replica(s), fewer than min.insync.replicas = {min_insync}; acks=all is refused"
    )]
    NotEnoughReplicas {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
        /// In-sync replicas now.
        isr: u32,
        /// `min.insync.replicas`.
        min_insync: u32,
    },
    /// `acks=all` records appended, but the ISR shrank below `min.insync.replicas` before
    /// the high watermark passed them.
    #[error(
        "{topic}-{partition}: the records were appended, but the ISR shrank to {isr}, below min.insync.replicas = {min_insync}, before they were replicated"
    )]
    NotEnoughReplicasAfterAppend {
        /// The topic.
        topic: String,
        /// The partition index.
        partition: u32,
        /// In-sync replicas now.
        isr: u32,
        /// `min.insync.replicas`.
        min_insync: u32,
    },
    /// A group request reached a broker that does not coordinate the group.
    #[error("broker {broker} is not the coordinator of group '{group}'; broker {coordinator} is")]
    NotCoordinator {
        /// The group id.
        group: String,
        /// The broker asked.
        broker: BrokerId,
        /// The broker that coordinates the group.
        coordinator: BrokerId,
    },
    /// The group's offsets partition is offline.
    #[error(
        "the coordinator of group '{group}' is not available: its offsets partition is offline"
    )]
    CoordinatorNotAvailable {
        /// The group id.
        group: String,
    },
    /// A replication factor of zero, or more than the live brokers.
    #[error(
        "invalid replication factor {requested} for topic '{topic}': it must be between 1 and the {live} live broker(s)"
    )]
    InvalidReplicationFactor {
        /// The topic.
        topic: String,
        /// The replication factor asked for.
        requested: i64,
        /// Live brokers.
        live: u32,
    },
    /// `min.insync.replicas` of zero, or more than the replication factor.
    #[error(
        "invalid min.insync.replicas {min_insync} for topic '{topic}': it must be between 1 and the replication factor {replication_factor}"
    )]
    InvalidMinInsyncReplicas {
        /// The topic.
        topic: String,
        /// The `min.insync.replicas` asked for.
        min_insync: i64,
        /// The topic's replication factor.
        replication_factor: u32,
    },
    /// An operator action named a broker the cluster does not have.
    #[error("no broker {broker}: the cluster has brokers 1 to {brokers}")]
    UnknownBroker {
        /// The broker named.
        broker: BrokerId,
        /// How many brokers the cluster has.
        brokers: u32,
    },
    /// An operator action the broker's state rules out (crashing a crashed broker).
    #[error("broker {broker} is {state}; it cannot {action}")]
    BrokerStateConflict {
        /// The broker named.
        broker: BrokerId,
        /// Its state.
        state: &'static str,
        /// What was asked of it.
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
