//! Topics: a validated name, a configuration and a set of partition logs.

use std::fmt;

use super::error::{BrokerError, Result};
use super::partition::{PartitionLog, RetentionPolicy};

/// What a topic is created with. Two configs are "identical" when every field is equal,
/// which is what the if-not-exists form of topic creation compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TopicConfig {
    /// How many partitions it has.
    pub partitions: u32,
    /// What retention removes.
    pub retention: RetentionPolicy,
}

impl TopicConfig {
    /// A config with `partitions` partitions and no retention limits.
    pub fn new(partitions: u32) -> Self {
        TopicConfig {
            partitions,
            retention: RetentionPolicy::default(),
        }
    }

    /// The same config with `retention`.
    pub fn with_retention(mut self, retention: RetentionPolicy) -> Self {
        self.retention = retention;
        self
    }
}

impl fmt::Display for TopicConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "partitions={}", self.partitions)?;
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
}

impl Topic {
    pub(crate) fn new(name: String, id: [u8; 16], config: TopicConfig) -> Self {
        let partitions = (0..config.partitions)
            .map(|_| PartitionLog::new())
            .collect();
        Topic {
            name,
            id,
            config,
            partitions,
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
    pub(crate) fn partition_mut(&mut self, p: u32) -> Result<&mut PartitionLog> {
        let name = &self.name;
        self.partitions
            .get_mut(p as usize)
            .ok_or_else(|| BrokerError::UnknownPartition {
                topic: name.clone(),
                partition: p,
            })
    }
    pub(crate) fn partitions_mut(&mut self) -> &mut [PartitionLog] {
        &mut self.partitions
    }
    /// The name alongside the logs, for a caller that changes logs and reports by name.
    pub(crate) fn name_and_partitions_mut(&mut self) -> (&str, &mut [PartitionLog]) {
        (&self.name, &mut self.partitions)
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

    pub(crate) fn grow_to(&mut self, total: u32) -> Result<()> {
        self.check_grow_to(total)?;
        self.partitions
            .resize_with(total as usize, PartitionLog::new);
        self.config.partitions = total;
        Ok(())
    }

    pub(crate) fn set_retention(&mut self, retention: RetentionPolicy) {
        self.config.retention = retention;
    }
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
        let mut t = Topic::new("t".into(), [0; 16], TopicConfig::new(2));
        assert!(t.grow_to(2).is_err());
        assert!(t.grow_to(1).is_err());
        t.grow_to(5).unwrap();
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
