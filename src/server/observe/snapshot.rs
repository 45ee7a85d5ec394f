//! What one poll saw: brokers, topics with their partitions' replicas and offsets, and
//! groups with their members and committed offsets. Plain data, ordered by name, so that
//! two snapshots diff into events and a view can draw one without knowing its source.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

/// A topic and partition, ordered by topic then partition.
pub type TopicPartition = (String, u32);

/// The cluster at one poll.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ClusterSnapshot {
    /// Wall-clock milliseconds when the poll began.
    pub at_ms: i64,
    /// The cluster id, when Metadata gives one.
    pub cluster_id: Option<String>,
    /// The controller broker id, when known.
    pub controller: Option<i32>,
    /// Every broker in the metadata.
    pub brokers: Vec<BrokerSnapshot>,
    /// Topics that pass the filters, by name.
    pub topics: BTreeMap<String, TopicSnapshot>,
    /// Groups that pass the filters, by name.
    pub groups: BTreeMap<String, GroupSnapshot>,
    /// What this poll could not read (a broker down, a coordinator moving), one line each.
    pub warnings: Vec<String>,
}

/// A broker as Metadata lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BrokerSnapshot {
    pub id: i32,
    pub host: String,
    pub port: i32,
    pub rack: Option<String>,
}

/// A topic's partitions, in partition order.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicSnapshot {
    /// Kafka's own topics (`__consumer_offsets`, names starting `__`).
    pub internal: bool,
    pub partitions: Vec<PartitionSnapshot>,
}

/// One partition: its replicas and the bounds of its log. Offsets are `None` when the
/// leader could not be asked this poll.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionSnapshot {
    pub partition: u32,
    pub leader: Option<i32>,
    pub leader_epoch: i32,
    pub replicas: Vec<i32>,
    pub isr: Vec<i32>,
    pub log_start: Option<i64>,
    pub high_watermark: Option<i64>,
}

/// How a group's members agree on an assignment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum GroupProtocol {
    /// JoinGroup/SyncGroup, described by DescribeGroups.
    #[default]
    Classic,
    /// KIP-848: the broker assigns, described by ConsumerGroupDescribe.
    Consumer,
}

/// A consumer group at one poll.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupSnapshot {
    /// As the coordinator names it: `Stable`, `PreparingRebalance`, `Empty`, ...
    pub state: String,
    pub protocol: GroupProtocol,
    /// The assignor (classic: the chosen protocol, such as `range`; consumer: the server
    /// assignor, such as `uniform`).
    pub assignor: Option<String>,
    /// The group epoch of a KIP-848 group. Classic groups do not publish their generation
    /// through the read APIs, so it is `None` for them.
    pub epoch: Option<i32>,
    pub coordinator: Option<i32>,
    pub members: Vec<MemberSnapshot>,
    /// Topics the members subscribe to, where their subscriptions could be read.
    pub subscribed: BTreeSet<String>,
    /// Committed offsets by topic, then partition, for the partitions with one. Nested so
    /// that a cluster's hundreds of thousands of offsets cost no key allocation each.
    pub committed: BTreeMap<String, BTreeMap<u32, i64>>,
    /// Timestamps of the records at the committed offsets, where they could be read, by
    /// topic, then partition.
    pub committed_timestamps: BTreeMap<String, BTreeMap<u32, i64>>,
    /// Why the group could not be fully read this poll.
    pub error: Option<String>,
}

impl GroupSnapshot {
    /// The topics this group reads: subscribed, assigned or committed to.
    pub fn topics(&self) -> BTreeSet<&str> {
        let mut out: BTreeSet<&str> = self.subscribed.iter().map(String::as_str).collect();
        out.extend(self.committed.keys().map(String::as_str));
        for m in &self.members {
            out.extend(m.assignment.iter().map(|(t, _)| t.as_str()));
        }
        out
    }

    /// The committed offset on one partition.
    pub fn committed_at(&self, topic: &str, partition: u32) -> Option<i64> {
        self.committed.get(topic)?.get(&partition).copied()
    }

    /// The timestamp of the record at the committed offset on one partition, if read.
    pub fn committed_timestamp(&self, topic: &str, partition: u32) -> Option<i64> {
        self.committed_timestamps
            .get(topic)?
            .get(&partition)
            .copied()
    }

    /// How many partitions have a committed offset.
    pub fn commit_count(&self) -> usize {
        self.committed.values().map(BTreeMap::len).sum()
    }

    /// Each member's assignment, by member id, for diffing rebalances.
    pub fn assignment(&self) -> BTreeMap<&str, &[TopicPartition]> {
        self.members
            .iter()
            .map(|m| (m.member_id.as_str(), m.assignment.as_slice()))
            .collect()
    }
}

/// A group member and what it owns.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MemberSnapshot {
    pub member_id: String,
    pub instance_id: Option<String>,
    pub client_id: String,
    pub host: String,
    /// Sorted by topic, then partition.
    pub assignment: Vec<TopicPartition>,
}
