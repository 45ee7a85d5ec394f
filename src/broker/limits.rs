//! What the broker agrees to hold, checked where topics are created and grown and where
//! retention runs, so every way in (a scenario file, auto-creation, CreateTopics, a
//! flag's default) meets the same rule.
//!
//! Kafka sets no fixed cap on partitions. An in-process broker must: each partition costs
//! memory here and in every view of it, and `num_partitions = 2147483647` in one request
//! has to be an error code, not a 150 GB allocation.

use super::cluster::ClusterConfig;
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

/// The most replicas all partitions together may have: replication visits each one every
/// tick.
pub const MAX_REPLICAS: u64 = 300_000;

/// The most brokers a cluster may have: each is a pane row, a listener and a column of
/// every partition's replicas.
pub const MAX_BROKERS: u32 = 32;

/// The longest rack name, in bytes.
pub const MAX_RACK_NAME_BYTES: usize = 64;

/// What `replica.lag.time.max.ms` may be: from one simulation tick to an hour.
pub const REPLICA_LAG_TIME_MAX_RANGE_MS: (i64, i64) = (10, 3_600_000);

/// Checks a cluster's settings: the broker count, one printable rack name per broker, and
/// the replica lag allowance.
pub(crate) fn check_cluster(config: &ClusterConfig) -> Result<()> {
    let (lag_min, lag_max) = REPLICA_LAG_TIME_MAX_RANGE_MS;
    let problem = if !(1..=MAX_BROKERS).contains(&config.brokers) {
        format!(
            "{} brokers; a cluster has 1 to {MAX_BROKERS}",
            config.brokers
        )
    } else if !(lag_min..=lag_max).contains(&config.replica_lag_time_max_ms) {
        format!(
            "replica_lag_time_max_ms {} is outside {lag_min}..={lag_max}",
            config.replica_lag_time_max_ms
        )
    } else if let Some(racks) = &config.racks {
        match check_racks(racks, config.brokers) {
            Some(p) => p,
            None => return Ok(()),
        }
    } else {
        return Ok(());
    };
    Err(BrokerError::InvalidCluster(problem))
}

fn check_racks(racks: &[String], brokers: u32) -> Option<String> {
    if racks.len() != brokers as usize {
        return Some(format!(
            "{} racks for {brokers} brokers; give one rack per broker",
            racks.len()
        ));
    }
    racks
        .iter()
        .find(|r| {
            r.is_empty()
                || r.len() > MAX_RACK_NAME_BYTES
                || r.chars().any(|c| c.is_control() || c.is_whitespace())
        })
        .map(|r| {
            format!(
                "rack name {r:?} must be 1 to {MAX_RACK_NAME_BYTES} bytes without spaces or control characters"
            )
        })
}

/// Checks a topic's replication settings against the brokers alive to hold it.
pub(crate) fn check_replication(
    topic: &str,
    replication_factor: u32,
    min_insync: u32,
    live: u32,
) -> Result<()> {
    if replication_factor == 0 || replication_factor > live {
        return Err(BrokerError::InvalidReplicationFactor {
            topic: topic.to_string(),
            requested: i64::from(replication_factor),
            live,
        });
    }
    if min_insync == 0 || min_insync > replication_factor {
        return Err(BrokerError::InvalidMinInsyncReplicas {
            topic: topic.to_string(),
            min_insync: i64::from(min_insync),
            replication_factor,
        });
    }
    Ok(())
}

/// Checks that `wanted` more replicas fit beside the `held` ones.
pub(crate) fn check_replicas(topic: &str, wanted: u64, held: u64) -> Result<()> {
    if held + wanted > MAX_REPLICAS {
        return Err(BrokerError::InvalidPartitions {
            topic: topic.to_string(),
            reason: format!(
                "{wanted} more replicas beside the {held} held would pass the {MAX_REPLICAS} a cluster may hold"
            ),
        });
    }
    Ok(())
}

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
