//! What the broker agrees to hold, checked where topics are created and grown and where
//! retention runs, so every way in (a scenario file, auto-creation, CreateTopics, a
//! flag's default) meets the same rule.
//!
//! Kafka sets no fixed cap on partitions. An in-process broker must: each partition costs
//! memory here and in every view of it, and `num_partitions = 2147483647` in one request
//! has to be an error code, not a 150 GB allocation.

use super::error::{BrokerError, Result};

/// The most partitions one topic may have.
pub const MAX_PARTITIONS_PER_TOPIC: u32 = 10_000;

/// The most partitions all topics together may have.
pub const MAX_PARTITIONS_PER_BROKER: u64 = 100_000;

/// How much record memory the logs hold by default before the oldest records go, as
/// DESIGN §4.7's `--max-log-memory`: a run with no retention configured still has a
/// bounded footprint, however long it runs.
pub const DEFAULT_MAX_LOG_BYTES: u64 = 1 << 30;

/// How much the broker decompresses to look inside one stored batch for a reader that
/// must (the records API, a ListOffsets by timestamp with no bound of its own). Storing
/// and serving a batch never decompresses it.
pub const MAX_LOOK_INSIDE_BYTES: usize = 64 << 20;

/// Checks that topic `topic` may have `wanted` partitions while the broker's other topics
/// hold `elsewhere`.
pub(crate) fn check_partitions(topic: &str, wanted: u32, elsewhere: u64) -> Result<()> {
    let reason = if wanted == 0 {
        "a topic needs at least one partition".to_string()
    } else if wanted > MAX_PARTITIONS_PER_TOPIC {
        format!("{wanted} is more than the {MAX_PARTITIONS_PER_TOPIC} a topic may have")
    } else if elsewhere + u64::from(wanted) > MAX_PARTITIONS_PER_BROKER {
        format!(
            "the broker already holds {elsewhere} partitions in other topics, and may hold \
             {MAX_PARTITIONS_PER_BROKER} in all"
        )
    } else {
        return Ok(());
    };
    Err(BrokerError::InvalidPartitions {
        topic: topic.to_string(),
        reason,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partitions_are_checked_per_topic_and_in_total() {
        assert!(check_partitions("t", 1, 0).is_ok());
        assert!(check_partitions("t", MAX_PARTITIONS_PER_TOPIC, 0).is_ok());
        for (wanted, elsewhere) in [
            (0, 0),
            (MAX_PARTITIONS_PER_TOPIC + 1, 0),
            (u32::MAX, 0),
            (1, MAX_PARTITIONS_PER_BROKER),
        ] {
            let e = check_partitions("t", wanted, elsewhere).unwrap_err();
            assert_eq!(e.kafka_code(), 37, "{e}");
        }
        assert!(check_partitions("t", 10, MAX_PARTITIONS_PER_BROKER - 10).is_ok());
    }
}
