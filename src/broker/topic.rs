//! Topics: a validated name, a configuration, a set of partition logs and, beside each log,
//! the partition's replicas.

use std::fmt;

use super::error::{BrokerError, Result};
use super::partition::{PartitionLog, RetentionPolicy};
use super::replica::ReplicaSet;

/// What a topic is created with. Two configs are "identical" when every field is equal,
/// which is what the if-not-exists form of topic creation compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TopicConfig {
    /// How many partitions it has.
    pub partitions: u32,
    /// What retention removes.
    pub retention: RetentionPolicy,
    /// Copies of each partition, on distinct brokers; at most the live brokers at creation.
    pub replication_factor: u32,
    /// With `acks=all`, the fewest in-sync replicas a produce needs, else it is refused
    /// with NOT_ENOUGH_REPLICAS; `1..=replication_factor`.
    pub min_insync_replicas: u32,
}

impl TopicConfig {
    /// A config with `partitions` partitions, one replica each and no retention limits.
    pub fn new(partitions: u32) -> Self {
        TopicConfig {
            partitions,
            retention: RetentionPolicy::default(),
            replication_factor: 1,
            min_insync_replicas: 1,
        }
    }

    /// The same config with `retention`.
    pub fn with_retention(mut self, retention: RetentionPolicy) -> Self {
        self.retention = retention;
        self
    }

    /// The same config with `replication_factor` replicas per partition, of which
    /// `min_insync_replicas` must be in sync for an `acks=all` produce.
    pub fn with_replication(mut self, replication_factor: u32, min_insync_replicas: u32) -> Self {
        self.replication_factor = replication_factor;
        self.min_insync_replicas = min_insync_replicas;
        self
    }
}

impl fmt::Display for TopicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "partitions={}", self.partitions)?;
        if (self.replication_factor, self.min_insync_replicas) != (1, 1) {
            write!(
                f,
                ", replication_factor={}, min_insync_replicas={}",
                self.replication_factor, self.min_insync_replicas
            )?;
        }
        let r = &self.retention;
        if let Some(ms) = r.ms {
            write!(f, ", retention_ms={ms}")?;
        }
        if let Some(b) = r.bytes {
            write!(f, ", retention_bytes={b}")?;
        }
        if let Some(n) = r.records {
            write!(f, ", retention_records={n}")?;
        }
        Ok(())
    }
}

/// Kafka's rule: 1 to 249 characters from `[a-zA-Z0-9._-]`, and not `.` or `..`.
pub fn validate_topic_name(name: &str) -> Result<()> {
    let reason = if name.is_empty() {
        Some("it is empty")
    } else if name.len() > 249 {
        Some("it is longer than 249 characters")
    } else if name == "." || name == ".." {
        Some("'.' and '..' are reserved")
    } else if !name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
    {
        Some("only ASCII letters, digits, '.', '_' and '-' are allowed")
    } else {
        None
    };
    match reason {
        Some(reason) => Err(BrokerError::InvalidTopicName {
            name: name.to_string(),
            reason,
        }),
        None => Ok(()),
    }
}

/// A topic and its partitions.
#[derive(Debug, Clone)]
pub struct Topic {
    name: String,
    id: [u8; 16],
    config: TopicConfig,
    partitions: Vec<PartitionLog>,
    /// Beside each log, who holds it: kept apart so the log stays only storage.
    replicas: Vec<ReplicaSet>,
}

impl Topic {
    /// A topic whose partition `p` is held by `replicas[p]`.
    pub(crate) fn new(
        name: String,
        id: [u8; 16],
        config: TopicConfig,
        replicas: Vec<ReplicaSet>,
    ) -> Self {
        debug_assert_eq!(replicas.len(), config.partitions as usize);
        let partitions = replicas.iter().map(new_log).collect();
        Topic {
            name,
            id,
            config,
            partitions,
            replicas,
        }
    }

    /// The topic name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// A stable 16-byte id, as Kafka's topic UUIDs.
    pub fn id(&self) -> [u8; 16] {
        self.id
    }
    /// What it was created with.
    pub fn config(&self) -> &TopicConfig {
        &self.config
    }
    /// How many partitions it has.
    pub fn partition_count(&self) -> u32 {
        self.partitions.len() as u32
    }
    /// Every partition's log, by index.
    pub fn partitions(&self) -> &[PartitionLog] {
        &self.partitions
    }
    /// Partition `p`'s log.
    pub fn partition(&self, p: u32) -> Option<&PartitionLog> {
        self.partitions.get(p as usize)
    }
    /// Partition `p`'s replicas: leader, epoch, ISR and each replica's log end.
    pub fn replica_set(&self, p: u32) -> Option<&ReplicaSet> {
        self.replicas.get(p as usize)
    }
    /// Every partition's replicas, in partition order.
    pub fn replica_sets(&self) -> &[ReplicaSet] {
        &self.replicas
    }
    /// The logs and their replica sets, paired by index, with the topic's name and config.
    pub(crate) fn parts_mut(&mut self) -> TopicParts<'_> {
        TopicParts {
            name: &self.name,
            config: &self.config,
            logs: &mut self.partitions,
            replicas: &mut self.replicas,
        }
    }
    /// The name alongside the logs and replica sets, for a caller that changes logs and
    /// reports by name.
    pub(crate) fn name_and_partitions_mut(
        &mut self,
    ) -> (&str, &mut [PartitionLog], &mut [ReplicaSet]) {
        (&self.name, &mut self.partitions, &mut self.replicas)
    }

    /// Whether the topic can grow to `total` partitions: only more than it has.
    pub(crate) fn check_grow_to(&self, total: u32) -> Result<()> {
        let current = self.partition_count();
        if total <= current {
            return Err(BrokerError::InvalidPartitions {
                topic: self.name.clone(),
                reason: format!(
                    "it has {current} partitions; the count can only grow, so ask for more than {current}"
                ),
            });
        }
        Ok(())
    }

    /// Grows the topic to `total` partitions, held by `replicas` (one for each new one).
    pub(crate) fn grow_to(&mut self, total: u32, replicas: Vec<ReplicaSet>) -> Result<()> {
        self.check_grow_to(total)?;
        debug_assert_eq!(replicas.len() as u32, total - self.partition_count());
        self.partitions.extend(replicas.iter().map(new_log));
        self.replicas.extend(replicas);
        self.config.partitions = total;
        Ok(())
    }

    pub(crate) fn set_retention(&mut self, retention: RetentionPolicy) {
        self.config.retention = retention;
    }
}

/// An empty log for a partition held by `replicas`: with followers in sync, appends wait
/// for them before readers see them.
fn new_log(replicas: &ReplicaSet) -> PartitionLog {
    let mut log = PartitionLog::new();
    log.set_hw_follows_end(replicas.leader_alone_in_sync());
    log
}

/// A topic's logs and replica sets borrowed together, for replication and failover.
pub(crate) struct TopicParts<'a> {
    pub name: &'a str,
    pub config: &'a TopicConfig,
    pub logs: &'a mut [PartitionLog],
    pub replicas: &'a mut [ReplicaSet],
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_names() {
        for n in ["orders", "a", "A.b_c-9", &"x".repeat(249), "..."] {
            assert!(validate_topic_name(n).is_ok(), "{n}");
        }
    }

    #[test]
    fn invalid_names() {
        for n in [
            "",
            ".",
            "..",
            "has space",
            "slash/",
            "ünï",
            &"x".repeat(250),
        ] {
            let err = validate_topic_name(n).unwrap_err();
            assert!(matches!(err, BrokerError::InvalidTopicName { .. }), "{n}");
        }
    }

    #[test]
    fn partitions_only_grow() {
        let sets = |n| (0..n).map(|_| ReplicaSet::new(vec![1], 0)).collect();
        let mut t = Topic::new("t".into(), [0; 16], TopicConfig::new(2), sets(2));
        assert!(t.grow_to(2, vec![]).is_err());
        assert!(t.grow_to(1, vec![]).is_err());
        t.grow_to(5, sets(3)).unwrap();
        assert_eq!(t.replica_sets().len(), 5);
        assert_eq!(t.partition_count(), 5);
        assert_eq!(t.config().partitions, 5);
    }

    #[test]
    fn config_display() {
        let c = TopicConfig::new(3).with_retention(RetentionPolicy {
            ms: Some(1000),
            bytes: None,
            records: Some(5),
        });
        assert_eq!(
            c.to_string(),
            "partitions=3, retention_ms=1000, retention_records=5"
        );
    }
}
