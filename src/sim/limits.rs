//! Bounds on every simulation quantity that comes from outside: a scenario file, a key
//! press, a timeline beat or a flag.
//!
//! Each rule is stated once, here. Scenario validation checks a file's values and totals
//! through it (and names the file, line and field), live commands check through it (and
//! are refused with its message), and the command line bounds `--duration` with it, so the
//! ways in cannot drift apart. The partition limits belong to the broker, which enforces
//! them for every client; they are restated here only where a scenario meets them.

use std::fmt::Display;

use crate::broker::{
    MAX_BROKERS, MAX_PARTITIONS_PER_TOPIC, MAX_RACK_NAME_BYTES, MAX_REPLICAS,
    REPLICA_LAG_TIME_MAX_RANGE_MS, SESSION_TIMEOUT_RANGE_MS,
};

/// A range one value must lie in.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Bound<T> {
    /// What the value is, as a person would name it.
    pub what: &'static str,
    /// The smallest value allowed.
    pub min: T,
    /// The largest value allowed.
    pub max: T,
}

impl<T: Copy + PartialOrd + Display> Bound<T> {
    /// `value` if it lies in `min..=max`; NaN never does.
    pub fn check(&self, value: T) -> Result<T, LimitError> {
        if value >= self.min && value <= self.max {
            Ok(value)
        } else {
            Err(LimitError::OutOfRange {
                what: self.what,
                value: value.to_string(),
                min: self.min.to_string(),
                max: self.max.to_string(),
            })
        }
    }
}

/// A value or a total past its limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LimitError {
    #[error("{what} must be between {min} and {max}, not {value}")]
    /// A value outside its range.
    OutOfRange {
        /// What was checked.
        what: &'static str,
        /// The value given.
        value: String,
        /// The smallest allowed.
        min: String,
        /// The largest allowed.
        max: String,
    },
    #[error("{what} would come to {would_be}, more than the {max} allowed")]
    /// A total over its limit.
    OverTotal {
        /// What was checked.
        what: &'static str,
        /// The total it would reach.
        would_be: String,
        /// The largest allowed.
        max: String,
    },
}

/// The longest simulated time a run or a timeline may reach: 1,000 hours.
pub const MAX_SIM_TIME_MS: i64 = 1_000 * 3_600 * 1_000;

/// The most bytes of a scenario file that are read; a longer file is refused.
pub const MAX_SCENARIO_FILE_BYTES: u64 = 1 << 20;

/// Records per simulated second, per producer.
pub const PRODUCER_RATE: Bound<f64> = Bound {
    what: "a producer's rate (records per simulated second)",
    min: 0.0,
    max: 1_000_000.0,
};
/// Records per simulated second, per group member.
pub const PROCESS_RATE: Bound<f64> = Bound {
    what: "a member's processing rate (records per simulated second)",
    min: 0.0,
    max: 1_000_000.0,
};
/// What a timeline beat or a key may multiply a rate by; the result meets the rate's own
/// bound as well.
pub const RATE_FACTOR: Bound<f64> = Bound {
    what: "a rate factor",
    min: 1e-7,
    max: 1e7,
};
/// Keys a producer picks from; each one is built up front.
pub const KEY_COUNT: Bound<u32> = Bound {
    what: "a producer's key count",
    min: 1,
    max: 1_000_000,
};
/// The exponent of a zipf key distribution.
pub const ZIPF_EXPONENT: Bound<f64> = Bound {
    what: "a zipf exponent",
    min: 0.0,
    max: 100.0,
};
/// A simulated record's value size; values are slices of one shared buffer this large.
pub const VALUE_BYTES: Bound<usize> = Bound {
    what: "a record's value size in bytes",
    min: 0,
    max: MAX_VALUE_BYTES,
};
/// The largest simulated record value.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// Identical producers one `[[producers]]` entry starts.
pub const PRODUCERS_PER_ENTRY: Bound<u32> = Bound {
    what: "a producer count",
    min: 0,
    max: MAX_PRODUCERS as u32,
};
/// Members one `[[groups]]` entry starts.
pub const CONSUMERS_PER_GROUP: Bound<u32> = Bound {
    what: "a group's consumer count",
    min: 0,
    max: MAX_MEMBERS_PER_GROUP as u32,
};
/// Records one poll returns at most.
pub const MAX_POLL_RECORDS: Bound<u32> = Bound {
    what: "max_poll_records",
    min: 1,
    max: 1_000_000,
};
/// The auto-commit interval.
pub const COMMIT_INTERVAL_MS: Bound<i64> = Bound {
    what: "a commit interval in milliseconds",
    min: 1,
    max: 86_400_000,
};
/// Records processed between commits with `commit = "every_n"`.
pub const COMMIT_EVERY: Bound<u64> = Bound {
    what: "commit_every",
    min: 1,
    max: 1_000_000_000,
};
/// A simulated member's session timeout: the broker's range, but at least one tick.
pub const SESSION_TIMEOUT_MS: Bound<i64> = Bound {
    what: "a session timeout in milliseconds",
    min: if SESSION_TIMEOUT_RANGE_MS.0 > 10 {
        SESSION_TIMEOUT_RANGE_MS.0
    } else {
        10
    },
    max: SESSION_TIMEOUT_RANGE_MS.1,
};
/// A topic's partitions: the broker's own limit.
pub const TOPIC_PARTITIONS: Bound<u32> = Bound {
    what: "a topic's partition count",
    min: 1,
    max: MAX_PARTITIONS_PER_TOPIC,
};
/// Time-based retention: up to ten years.
pub const RETENTION_MS: Bound<i64> = Bound {
    what: "retention_ms",
    min: 1,
    max: 10 * 365 * 86_400_000,
};
/// Record-count retention, per partition.
pub const RETENTION_RECORDS: Bound<u64> = Bound {
    what: "retention_records",
    min: 1,
    max: 1_000_000_000_000,
};
/// Size-based retention, per partition: up to 1 TiB.
pub const RETENTION_BYTES: Bound<u64> = Bound {
    what: "retention_bytes",
    min: 1,
    max: 1 << 40,
};
/// How long a restarted member stays down: up to a day, so a static member can be shown
/// outliving even the longest session timeout.
pub const RESTART_DOWNTIME_MS: Bound<i64> = Bound {
    what: "a restart's downtime in simulated milliseconds",
    min: 0,
    max: 86_400_000,
};
/// Brokers in a `[cluster]`: the broker's own limit.
pub const CLUSTER_BROKERS: Bound<u32> = Bound {
    what: "a cluster's broker count",
    min: 1,
    max: MAX_BROKERS,
};
/// A broker id a beat or a key names; it must also be one of the cluster's.
pub const BROKER_ID: Bound<u32> = Bound {
    what: "a broker id",
    min: 1,
    max: MAX_BROKERS,
};
/// A rack name's length in bytes.
pub const RACK_NAME_BYTES: Bound<usize> = Bound {
    what: "a rack name's length in bytes",
    min: 1,
    max: MAX_RACK_NAME_BYTES,
};
/// `replica_lag_time_max_ms`: the broker's range.
pub const REPLICA_LAG_TIME_MAX_MS: Bound<i64> = Bound {
    what: "replica_lag_time_max_ms",
    min: REPLICA_LAG_TIME_MAX_RANGE_MS.0,
    max: REPLICA_LAG_TIME_MAX_RANGE_MS.1,
};
/// A topic's replicas per partition; it must also be at most the cluster's brokers.
pub const REPLICATION_FACTOR: Bound<u32> = Bound {
    what: "a replication factor",
    min: 1,
    max: MAX_BROKERS,
};
/// `min_insync_replicas`; it must also be at most the replication factor.
pub const MIN_INSYNC_REPLICAS: Bound<u32> = Bound {
    what: "min_insync_replicas",
    min: 1,
    max: MAX_BROKERS,
};
/// How many records per second a slow broker's followers copy.
pub const SLOW_RATE: Bound<f64> = Bound {
    what: "a slow broker's replication rate (records per second)",
    min: 0.0,
    max: 1_000_000.0,
};
/// A producer's first wait before retrying a refused send (doubling up to a second).
pub const RETRY_BACKOFF_MS: Bound<i64> = Bound {
    what: "retry_backoff_ms",
    min: 10,
    max: 60_000,
};
/// How long a producer keeps trying a record before it fails.
pub const DELIVERY_TIMEOUT_MS: Bound<i64> = Bound {
    what: "delivery_timeout_ms",
    min: 100,
    max: 86_400_000,
};
/// When a timeline beat fires.
pub const BEAT_TIME_MS: Bound<i64> = Bound {
    what: "a beat's time in simulated milliseconds",
    min: 0,
    max: MAX_SIM_TIME_MS,
};

/// Producers running at once.
pub const MAX_PRODUCERS: usize = 256;
/// Producers started over a run, stopped ones included (they stay listed with their counts).
pub const MAX_PRODUCERS_STARTED: usize = 1_024;
/// Records per simulated second over all producers together.
pub const MAX_TOTAL_PRODUCE_RATE: f64 = 1_000_000.0;
/// Keys held by all running producers together.
pub const MAX_KEYS: u64 = 2_000_000;
/// Simulated consumer groups.
pub const MAX_GROUPS: usize = 64;
/// Members of one simulated group, crashed ones not yet expelled included.
pub const MAX_MEMBERS_PER_GROUP: usize = 256;
/// Members over all simulated groups.
pub const MAX_MEMBERS: usize = 1_024;
/// Partitions over a scenario's topics.
pub const MAX_PARTITIONS: u64 = 10_000;
/// Partitions subscribed to, summed over groups: each pair carries a lag history.
pub const MAX_SUBSCRIBED_PARTITIONS: u64 = 20_000;

/// What a simulation holds, summed over its producers, groups and topics: the quantities
/// the totals bound. Scenario validation adds up a file's entries; a running simulation
/// counts its actors. Each `add_*` checks its total and adds only if within it.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Load {
    /// Producers running.
    pub producers: usize,
    /// Producers ever started.
    pub producers_started: usize,
    /// Records per simulated second over the running producers.
    pub produce_rate: f64,
    /// Keys over the running producers.
    pub keys: u64,
    /// Simulated groups.
    pub groups: usize,
    /// Members over the simulated groups.
    pub members: usize,
    /// Partitions over the topics.
    pub partitions: u64,
    /// Partitions subscribed to, summed over the simulated groups.
    pub subscribed_partitions: u64,
    /// Replicas over the topics' partitions.
    pub replicas: u64,
}

fn over(what: &'static str, would_be: impl Display, max: impl Display) -> LimitError {
    LimitError::OverTotal {
        what,
        would_be: would_be.to_string(),
        max: max.to_string(),
    }
}

impl Load {
    /// Starts `count` producers.
    pub fn add_producers(&mut self, count: usize) -> Result<(), LimitError> {
        let running = self.producers + count;
        if running > MAX_PRODUCERS {
            return Err(over("producers running at once", running, MAX_PRODUCERS));
        }
        let started = self.producers_started + count;
        if started > MAX_PRODUCERS_STARTED {
            return Err(over(
                "producers started in this run",
                started,
                MAX_PRODUCERS_STARTED,
            ));
        }
        (self.producers, self.producers_started) = (running, started);
        Ok(())
    }

    /// Changes the total produce rate by `change` (negative when rates drop).
    pub fn add_produce_rate(&mut self, change: f64) -> Result<(), LimitError> {
        let total = self.produce_rate + change;
        if total > MAX_TOTAL_PRODUCE_RATE {
            return Err(over(
                "the producers' rates in total (records per simulated second)",
                total,
                MAX_TOTAL_PRODUCE_RATE,
            ));
        }
        self.produce_rate = total;
        Ok(())
    }

    /// Adds `keys` producer keys.
    pub fn add_keys(&mut self, keys: u64) -> Result<(), LimitError> {
        let total = self.keys + keys;
        if total > MAX_KEYS {
            return Err(over("producer keys in total", total, MAX_KEYS));
        }
        self.keys = total;
        Ok(())
    }

    /// Adds one group, without members.
    pub fn add_group(&mut self) -> Result<(), LimitError> {
        if self.groups + 1 > MAX_GROUPS {
            return Err(over("consumer groups", self.groups + 1, MAX_GROUPS));
        }
        self.groups += 1;
        Ok(())
    }

    /// Adds `count` members to a group that has `in_group` already.
    pub fn add_members(&mut self, in_group: usize, count: usize) -> Result<(), LimitError> {
        if in_group + count > MAX_MEMBERS_PER_GROUP {
            return Err(over(
                "members of one group",
                in_group + count,
                MAX_MEMBERS_PER_GROUP,
            ));
        }
        let total = self.members + count;
        if total > MAX_MEMBERS {
            return Err(over("group members in total", total, MAX_MEMBERS));
        }
        self.members = total;
        Ok(())
    }

    /// Adds a topic's `partitions`.
    pub fn add_partitions(&mut self, partitions: u64) -> Result<(), LimitError> {
        let total = self.partitions + partitions;
        if total > MAX_PARTITIONS {
            return Err(over("partitions in total", total, MAX_PARTITIONS));
        }
        self.partitions = total;
        Ok(())
    }

    /// Adds a topic's `replicas` (partitions times replication factor).
    pub fn add_replicas(&mut self, replicas: u64) -> Result<(), LimitError> {
        let total = self.replicas + replicas;
        if total > MAX_REPLICAS {
            return Err(over("replicas in total", total, MAX_REPLICAS));
        }
        self.replicas = total;
        Ok(())
    }

    /// Adds a group's subscription to `partitions` partitions.
    pub fn add_subscribed_partitions(&mut self, partitions: u64) -> Result<(), LimitError> {
        let total = self.subscribed_partitions + partitions;
        if total > MAX_SUBSCRIBED_PARTITIONS {
            return Err(over(
                "partitions subscribed to, summed over groups,",
                total,
                MAX_SUBSCRIBED_PARTITIONS,
            ));
        }
        self.subscribed_partitions = total;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_are_inclusive_and_refuse_nan_and_infinity() {
        assert_eq!(PRODUCER_RATE.check(0.0), Ok(0.0));
        assert_eq!(PRODUCER_RATE.check(1e6), Ok(1e6));
        for bad in [-1.0, 1e6 + 1.0, f64::NAN, f64::INFINITY] {
            let e = PRODUCER_RATE.check(bad).unwrap_err();
            assert!(e.to_string().contains("1000000"), "{e}");
        }
        assert!(COMMIT_EVERY.check(u64::MAX).is_err());
    }

    #[test]
    fn a_total_past_its_limit_changes_nothing() {
        let mut load = Load::default();
        load.add_members(0, MAX_MEMBERS_PER_GROUP).unwrap();
        let before = load;
        assert!(load.add_members(MAX_MEMBERS_PER_GROUP, 1).is_err());
        assert_eq!(load, before);
        load.add_produce_rate(MAX_TOTAL_PRODUCE_RATE).unwrap();
        let e = load.add_produce_rate(1.0).unwrap_err();
        assert!(e.to_string().contains("in total"), "{e}");
        assert_eq!(load.produce_rate, MAX_TOTAL_PRODUCE_RATE);
        load.add_produce_rate(-MAX_TOTAL_PRODUCE_RATE).unwrap();
        assert_eq!(load.produce_rate, 0.0);
    }
}
