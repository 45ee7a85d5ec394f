//! The broker core: topics, partition logs, consumer groups and their offsets.
//!
//! Plain synchronous Rust with no clock of its own: every call that depends on time
//! takes `now` in milliseconds, so a simulation can run it on virtual time and a
//! network server on wall time.
//!
//! ```
//! use bytes::Bytes;
//! use minikafka::broker::{Broker, NewRecord, TopicConfig, TopicPartition, JoinGroupRequest,
//!     JoinOutcome, SyncAssignment, SyncOutcome, AssignorKind};
//!
//! let mut broker = Broker::new();
//! broker.create_topic("orders", TopicConfig::new(2), 0)?;
//! broker.append("orders", 0, NewRecord::new(0, Some(Bytes::from("k")), "hello"))?;
//!
//! // Reading is not consuming: the record stays, and any number of groups can read it.
//! let fetched = broker.fetch("orders", 0, 0, 10, 1 << 20)?;
//! assert_eq!(fetched.records[0].value().unwrap().as_ref(), b"hello");
//!
//! // A one-member group: join, let the broker run the range assignor, commit.
//! let topics = vec!["orders".to_string()];
//! let JoinOutcome::Joined(join) =
//!     broker.join_group(JoinGroupRequest::consumer("billing", "app", &topics, "range"), 0)?
//! else { unreachable!("a lone member completes the rebalance at once") };
//! let SyncOutcome::Assigned(mine) = broker.sync_group(
//!     "billing", &join.member_id, join.generation, SyncAssignment::Compute(AssignorKind::Range), 0)?
//! else { unreachable!() };
//! assert_eq!(mine.partitions.len(), 2);
//! broker.commit_offsets("billing", &join.member_id, join.generation,
//!     &[(TopicPartition::new("orders", 0), 1)], 0)?;
//! assert_eq!(broker.lag("billing", &TopicPartition::new("orders", 0)), Some(0));
//! # Ok::<(), minikafka::broker::BrokerError>(())
//! ```

mod any_group;
mod assignor;
mod batch;
mod cluster;
mod compact;
mod consumer_groups;
mod coordinator;
mod error;
mod event;
mod group;
mod limits;
mod partition;
mod partitioner;
mod produce;
mod record;
mod replica;
mod replication;
mod status;
mod topic;

use std::cmp::Reverse;
use std::collections::{BTreeMap, BinaryHeap};
use std::sync::{Arc, RwLock, RwLockReadGuard, RwLockWriteGuard};

pub use any_group::{AnyGroup, AnyMember};
pub use assignor::{Assignment, AssignorKind, MemberSubscription, TopicPartition, assign};
pub use batch::{BatchError, BatchInfo, Compression, ProducedBatch};
pub use cluster::{
    BrokerId, BrokerNode, BrokerState, Cluster, ClusterConfig, DEFAULT_REPLICA_LAG_TIME_MAX_MS,
};
pub use compact::{MAX_VALUE_BYTES as MAX_SIMULATED_VALUE_BYTES, RecordSource};
pub use consumer_groups::GroupType;
pub use coordinator::{OFFSETS_PARTITIONS, OFFSETS_TOPIC, offsets_partition_for};
pub use error::{BrokerError, Result};
pub use event::{Event, EventKind, EventLog, LeaveReason};
pub use group::consumer_protocol::{
    ConsumerGroup, ConsumerGroupConfig, ConsumerHeartbeat, ConsumerMember, HeartbeatReply,
    LEAVE_GROUP_EPOCH, ReconcileState, STATIC_LEAVE_EPOCH, ServerAssignor,
};
pub use group::{
    CommittedOffset, Group, GroupProtocol, GroupState, JoinGroupRequest, JoinOutcome, JoinResult,
    JoinedMember, Member, MemberAssignment, MemberPhase, SESSION_TIMEOUT_RANGE_MS, SyncOutcome,
};
pub use limits::{
    DEFAULT_MAX_LOG_BYTES, MAX_BROKERS, MAX_LOOK_INSIDE_BYTES, MAX_PARTITIONS_PER_BROKER,
    MAX_PARTITIONS_PER_TOPIC, MAX_RACK_NAME_BYTES, MAX_REPLICAS, REPLICA_LAG_TIME_MAX_RANGE_MS,
};
pub use partition::{
    LogBounds, OffsetSpec, PartitionLog, Records, RetentionPolicy, Truncated, WireRead,
};
pub use partitioner::{KeyHasher, NullKeyStrategy, Partitioner, crc32, murmur2};
pub use produce::{
    Acks, Appended, ProduceOptions, ProduceWait, Produced, ProducerId, ProducerTally, Refusal,
    TopicAppender,
};
pub use record::{Header, NewRecord, Record};
pub use replica::{ElectionKind, EpochStart, ReplicaSet};
pub use replication::{Replicated, Truncation};
pub use status::BrokerLoad;
pub use topic::{Topic, TopicConfig, validate_topic_name};

use cluster::place;
use coordinator::Coordinators;
use partition::out_of_range;
use replica::ReplicaSet as Replicas;

/// How many events the broker keeps by default.
pub const DEFAULT_EVENT_CAPACITY: usize = 2_000;

/// Records and the log's bounds at the time of the fetch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FetchResult {
    /// The records from the offset asked for, oldest first.
    pub records: Vec<Record>,
    /// The first offset the log held then.
    pub log_start_offset: i64,
    /// The end of what readers could see then.
    pub high_watermark: i64,
}

/// Whether an if-not-exists creation made the topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CreateOutcome {
    /// The topic did not exist and was made.
    Created,
    /// A topic with the same config was there already.
    AlreadyExists,
}

/// What the member sends with SyncGroup.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncAssignment {
    /// A follower, or a leader with nothing to say: wait for the leader's assignment.
    Follower,
    /// A leader that ran the assignor itself (a real client): relay this.
    Provided(BTreeMap<String, MemberAssignment>),
    /// A leader asking the broker to run `AssignorKind` on the group's behalf (simulated members).
    Compute(AssignorKind),
}

/// Where an offset reset moves a group's committed offsets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResetSpec {
    /// The log start: reprocess everything still held.
    Earliest,
    /// The high watermark: skip to what comes next.
    Latest,
    /// A specific offset, clamped to the log's bounds.
    ToOffset(i64),
    /// The first offset at or after this timestamp (the high watermark if none).
    ToTimestamp(i64),
    /// Move the committed offset by N (negative rewinds), clamped to the log's bounds.
    ShiftBy(i64),
}

impl std::fmt::Display for ResetSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ResetSpec::Earliest => f.write_str("earliest"),
            ResetSpec::Latest => f.write_str("latest"),
            ResetSpec::ToOffset(o) => write!(f, "offset {o}"),
            ResetSpec::ToTimestamp(t) => write!(f, "timestamp {t}"),
            ResetSpec::ShiftBy(n) => write!(f, "shift by {n}"),
        }
    }
}

/// Which offsets a commit stores.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accept {
    /// A member's only within the log; an admin's any.
    MembersWithinLog,
    /// Any, as Kafka's coordinator stores them.
    Any,
}

/// The in-process broker: a cluster of one or more brokers holding topics and groups.
/// See the module docs for an example.
#[derive(Debug, Clone)]
pub struct Broker {
    topics: BTreeMap<String, Topic>,
    groups: BTreeMap<String, Group>,
    consumer: consumer_groups::ConsumerGroups,
    events: EventLog,
    next_topic_id: u64,
    max_log_bytes: u64,
    cluster: Cluster,
    coordinators: Coordinators,
    /// What each producer was told.
    producers: BTreeMap<ProducerId, ProducerTally>,
    /// Acknowledged records cut by elections, over all producers.
    acked_lost: u64,
}

impl Default for Broker {
    fn default() -> Self {
        Self::new()
    }
}

impl Broker {
    /// One broker (id 1): every topic has one replica, as before clusters existed.
    pub fn new() -> Self {
        Self::with_event_capacity(DEFAULT_EVENT_CAPACITY)
    }

    /// One broker, keeping up to `capacity` events.
    pub fn with_event_capacity(capacity: usize) -> Self {
        let cluster =
            Cluster::new(ClusterConfig::default()).expect("one broker is a valid cluster");
        Self::build(cluster, capacity)
    }

    /// A cluster of `config.brokers` brokers, all up; refused past the limits
    /// ([`MAX_BROKERS`], one rack per broker, [`REPLICA_LAG_TIME_MAX_RANGE_MS`]).
    pub fn with_cluster(config: ClusterConfig) -> Result<Self> {
        Ok(Self::build(Cluster::new(config)?, DEFAULT_EVENT_CAPACITY))
    }

    fn build(cluster: Cluster, capacity: usize) -> Self {
        Broker {
            topics: BTreeMap::new(),
            groups: BTreeMap::new(),
            consumer: Default::default(),
            events: EventLog::new(capacity),
            next_topic_id: 1,
            max_log_bytes: DEFAULT_MAX_LOG_BYTES,
            coordinators: Coordinators::new(&cluster),
            cluster,
            producers: BTreeMap::new(),
            acked_lost: 0,
        }
    }

    /// The brokers, their states and the replication settings.
    pub fn cluster(&self) -> &Cluster {
        &self.cluster
    }

    // ---- topics ----

    /// Creates a topic; an existing name is [`BrokerError::TopicAlreadyExists`].
    pub fn create_topic(&mut self, name: &str, config: TopicConfig, now: i64) -> Result<()> {
        validate_topic_name(name)?;
        if self.topics.contains_key(name) {
            return Err(BrokerError::TopicAlreadyExists(name.to_string()));
        }
        limits::check_partitions(name, config.partitions, self.partition_total())?;
        let replicas = self.place_partitions(name, &config, 0, config.partitions, now)?;
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&self.next_topic_id.to_be_bytes());
        id[8..].copy_from_slice(&u64::from(murmur2(name.as_bytes())).to_be_bytes());
        self.next_topic_id += 1;
        self.topics.insert(
            name.to_string(),
            Topic::new(name.to_string(), id, config, replicas),
        );
        self.stamp_leader_epochs(name);
        self.events.push(
            now,
            EventKind::TopicCreated {
                topic: name.to_string(),
                partitions: config.partitions,
            },
        );
        Ok(())
    }

    /// Creates the topic unless it exists with an identical config; a different config is
    /// a [`BrokerError::TopicConfigConflict`], never a silent success.
    pub fn create_topic_if_not_exists(
        &mut self,
        name: &str,
        config: TopicConfig,
        now: i64,
    ) -> Result<CreateOutcome> {
        match self.topics.get(name) {
            Some(t) if *t.config() == config => Ok(CreateOutcome::AlreadyExists),
            Some(t) => Err(BrokerError::TopicConfigConflict {
                topic: name.to_string(),
                existing: t.config().to_string(),
                requested: config.to_string(),
            }),
            None => self
                .create_topic(name, config, now)
                .map(|_| CreateOutcome::Created),
        }
    }

    /// Deletes a topic, and every group's committed offsets for it.
    pub fn delete_topic(&mut self, name: &str, now: i64) -> Result<()> {
        self.topics
            .remove(name)
            .ok_or_else(|| BrokerError::UnknownTopic(name.to_string()))?;
        for g in self.groups.values_mut() {
            g.forget_topic(name);
        }
        self.forget_topic_in_consumer_groups(name);
        self.events.push(
            now,
            EventKind::TopicDeleted {
                topic: name.to_string(),
            },
        );
        Ok(())
    }

    /// Replica sets for partitions `first..first + count` of a topic configured as
    /// `config`, placed over the live brokers; checks the replication settings and the
    /// cluster's replica total.
    fn place_partitions(
        &self,
        name: &str,
        config: &TopicConfig,
        first: u32,
        count: u32,
        now: i64,
    ) -> Result<Vec<Replicas>> {
        let rf = config.replication_factor;
        limits::check_replication(
            name,
            rf,
            config.min_insync_replicas,
            self.cluster.live_count(),
        )?;
        limits::check_replicas(name, u64::from(count) * u64::from(rf), self.replica_total())?;
        let live = self.cluster.live_brokers();
        let seed = self.cluster.placement_seed();
        Ok(place(name, seed, &live, rf, first, count)
            .into_iter()
            .map(|r| Replicas::new(r, now))
            .collect())
    }

    /// Has each of the topic's logs write its partition's leader epoch into the batches
    /// it stores, as a Kafka leader does, in a cluster of more than one broker. A lone
    /// broker tells clients no epoch (−1), and its batches say none.
    fn stamp_leader_epochs(&mut self, name: &str) {
        if self.cluster.is_lone() {
            return;
        }
        if let Some(topic) = self.topics.get_mut(name) {
            let (_, logs, replicas) = topic.name_and_partitions_mut();
            for (log, rs) in logs.iter_mut().zip(replicas.iter()) {
                log.set_leader_epoch(rs.leader_epoch());
            }
        }
    }

    /// Replicas over all topics.
    fn replica_total(&self) -> u64 {
        (self.topics.values())
            .map(|t| u64::from(t.partition_count()) * u64::from(t.config().replication_factor))
            .sum()
    }

    /// Grows a topic to `total` partitions, placed over the live brokers. Partitions can
    /// never be removed. Every group with a member reading the topic rebalances, so the new
    /// partitions get owners.
    pub fn add_partitions(&mut self, name: &str, total: u32, now: i64) -> Result<()> {
        self.can_add_partitions(name, total)?;
        let topic = self
            .topics
            .get(name)
            .ok_or_else(|| BrokerError::UnknownTopic(name.to_string()))?;
        let (current, config) = (topic.partition_count(), *topic.config());
        let replicas = self.place_partitions(name, &config, current, total - current, now)?;
        self.topic_mut(name)?.grow_to(total, replicas)?;
        self.stamp_leader_epochs(name);
        self.events.push(
            now,
            EventKind::PartitionsAdded {
                topic: name.to_string(),
                partitions: total,
            },
        );
        let readers = self
            .groups
            .values_mut()
            .filter(|g| g.members().any(|m| m.topics().iter().any(|t| t == name)));
        for g in readers {
            let reason = format!("{name} grew to {total} partitions");
            g.rebalance_for_topic(reason, now, &mut self.events);
        }
        Ok(())
    }

    /// The checks [`Broker::add_partitions`] makes, without adding anything: what a
    /// CreatePartitions with `validate_only` answers.
    pub fn can_add_partitions(&self, name: &str, total: u32) -> Result<()> {
        let topic = self
            .topics
            .get(name)
            .ok_or_else(|| BrokerError::UnknownTopic(name.to_string()))?;
        topic.check_grow_to(total)?;
        let current = topic.partition_count();
        limits::check_partitions(name, total, self.partition_total() - u64::from(current))?;
        let config = topic.config();
        limits::check_replication(
            name,
            config.replication_factor,
            config.min_insync_replicas,
            self.cluster.live_count(),
        )
    }

    /// Replaces a topic's retention; the next retention pass applies it.
    pub fn set_retention(&mut self, name: &str, retention: RetentionPolicy) -> Result<()> {
        self.topic_mut(name)?.set_retention(retention);
        Ok(())
    }

    /// The topic, if it exists.
    pub fn topic(&self, name: &str) -> Option<&Topic> {
        self.topics.get(name)
    }

    /// Partitions over all topics.
    pub fn partition_total(&self) -> u64 {
        self.topics
            .values()
            .map(|t| u64::from(t.partition_count()))
            .sum()
    }

    /// Topics sorted by name.
    pub fn topics(&self) -> impl ExactSizeIterator<Item = &Topic> {
        self.topics.values()
    }

    fn topic_mut(&mut self, name: &str) -> Result<&mut Topic> {
        self.topics
            .get_mut(name)
            .ok_or_else(|| BrokerError::UnknownTopic(name.to_string()))
    }

    /// The partition's log, for reading.
    pub fn partition(&self, topic: &str, partition: u32) -> Result<&PartitionLog> {
        let t = self
            .topics
            .get(topic)
            .ok_or_else(|| BrokerError::UnknownTopic(topic.to_string()))?;
        t.partition(partition)
            .ok_or_else(|| BrokerError::UnknownPartition {
                topic: topic.to_string(),
                partition,
            })
    }

    // ---- produce and fetch ----

    /// Appends one record to the partition's leader, as `acks=1` from no producer in
    /// particular, and returns its offset. An offline partition refuses it.
    pub fn append(&mut self, topic: &str, partition: u32, record: NewRecord) -> Result<i64> {
        self.append_batch(topic, partition, std::iter::once(record))
    }

    /// Appends records in order, like [`Broker::append`], and returns the first one's offset.
    pub fn append_batch<I: IntoIterator<Item = NewRecord>>(
        &mut self,
        topic: &str,
        partition: u32,
        records: I,
    ) -> Result<i64> {
        let options = ProduceOptions::new(Acks::Leader);
        Ok(self
            .produce(topic, partition, records, options, 0)?
            .base_offset)
    }

    /// Appends records to one topic, each to the partition paired with it, in order: a
    /// producer's records for many partitions with one topic lookup and no buffer per
    /// partition. Returns how many were appended; a partition the topic lacks, or one that
    /// is offline, stops the append there with its error.
    pub fn append_routed<I: IntoIterator<Item = (u32, NewRecord)>>(
        &mut self,
        topic: &str,
        records: I,
    ) -> Result<u64> {
        let mut app = self.appender(topic, Acks::Leader, ProducerId::ANONYMOUS, 0)?;
        let mut appended = 0;
        for (partition, record) in records {
            if let Err(refusal) = app.check(partition) {
                return Err(refusal.into_error(topic, partition));
            }
            app.append(partition, record);
            appended += 1;
        }
        Ok(appended)
    }

    /// Appends simulated records from `source` to one topic, each `(partition, key number)`
    /// in order, all stamped `timestamp`: they join compact batches with no payload bytes.
    /// Returns how many were appended; a partition the topic lacks, or one that is
    /// offline, stops the append there with its error.
    pub fn append_simulated<I: IntoIterator<Item = (u32, u32)>>(
        &mut self,
        topic: &str,
        source: &Arc<RecordSource>,
        timestamp: i64,
        records: I,
    ) -> Result<u64> {
        let mut app = self.appender(topic, Acks::Leader, ProducerId::ANONYMOUS, timestamp)?;
        let mut appended = 0;
        for (partition, key) in records {
            app.check(partition)
                .map_err(|r| r.into_error(topic, partition))?;
            app.append_simulated(partition, source, timestamp, key);
            appended += 1;
        }
        Ok(appended)
    }

    /// What a network fetch sends for one partition (see [`PartitionLog::read_wire`]),
    /// with the log's bounds.
    pub fn read_wire(
        &self,
        topic: &str,
        partition: u32,
        offset: i64,
        max_bytes: usize,
        min_one: bool,
    ) -> Result<(WireRead, LogBounds)> {
        let log = self.partition(topic, partition)?;
        let read = log
            .read_wire(offset, max_bytes, min_one)
            .map_err(|b| out_of_range(topic, partition, offset, b))?;
        Ok((read, log.bounds()))
    }

    /// Reads up to `max_records` records (and about `max_bytes`) from `offset`.
    pub fn fetch(
        &self,
        topic: &str,
        partition: u32,
        offset: i64,
        max_records: usize,
        max_bytes: u64,
    ) -> Result<FetchResult> {
        let mut records = Vec::new();
        let b = self.fetch_into(
            topic,
            partition,
            offset,
            max_records,
            max_bytes,
            &mut records,
        )?;
        Ok(FetchResult {
            records,
            log_start_offset: b.log_start_offset,
            high_watermark: b.high_watermark,
        })
    }

    /// Like [`Broker::fetch`], appending into a caller's buffer so a hot loop can reuse it.
    pub fn fetch_into(
        &self,
        topic: &str,
        partition: u32,
        offset: i64,
        max_records: usize,
        max_bytes: u64,
        out: &mut Vec<Record>,
    ) -> Result<LogBounds> {
        self.partition(topic, partition)?
            .fetch_into(offset, max_records, max_bytes, out)
            .map_err(|b| out_of_range(topic, partition, offset, b))
    }

    /// Reads records from `offset` without copying their payloads, for a caller that uses
    /// them while it holds the broker (e.g. under a read lock).
    pub fn read(
        &self,
        topic: &str,
        partition: u32,
        offset: i64,
        max_records: usize,
        max_bytes: u64,
    ) -> Result<(impl Iterator<Item = Record> + '_, LogBounds)> {
        let log = self.partition(topic, partition)?;
        let records = log
            .read(offset, max_records, max_bytes)
            .map_err(|b| out_of_range(topic, partition, offset, b))?;
        Ok((records, log.bounds()))
    }

    /// Kafka's ListOffsets: earliest, latest, or the first offset at or after a timestamp.
    pub fn list_offset(
        &self,
        topic: &str,
        partition: u32,
        spec: OffsetSpec,
    ) -> Result<Option<i64>> {
        Ok(self.partition(topic, partition)?.list_offset(spec))
    }

    /// Applies every topic's retention at `now`, then the broker-wide cap on log memory;
    /// returns the number of records deleted.
    pub fn enforce_retention(&mut self, now: i64) -> u64 {
        let mut total = 0;
        for topic in self.topics.values_mut() {
            let policy = topic.config().retention;
            if policy == RetentionPolicy::default() {
                continue;
            }
            let (name, logs, replicas) = topic.name_and_partitions_mut();
            for (p, (log, rs)) in logs.iter_mut().zip(replicas.iter_mut()).enumerate() {
                let removed = log.enforce_retention(&policy, now);
                if removed > 0 {
                    rs.log_start_moved(log.log_start_offset());
                    total += removed;
                    self.events.push(
                        now,
                        EventKind::RetentionDeleted {
                            topic: name.to_string(),
                            partition: p as u32,
                            records: removed,
                            log_start_offset: log.log_start_offset(),
                        },
                    );
                }
            }
        }
        total + self.enforce_log_memory(now)
    }

    /// The most record memory the logs may hold; see [`DEFAULT_MAX_LOG_BYTES`].
    pub fn max_log_bytes(&self) -> u64 {
        self.max_log_bytes
    }

    /// Sets the cap on record memory that [`Broker::enforce_retention`] holds the logs to.
    pub fn set_max_log_bytes(&mut self, bytes: u64) {
        self.max_log_bytes = bytes;
    }

    /// What the logs' own count ([`Broker::log_bytes`]) may reach under the cap: it counts
    /// the bytes the batches hold, and the allocator holds more than that around them (the
    /// chunks that evicted and outgrown batches freed, kept for reuse, and a header per
    /// allocation), so the cap keeps an eighth of itself for that. With simulated records
    /// at the cap the allocator's share is about 6% of the count.
    pub fn log_memory_budget(&self) -> u64 {
        self.max_log_bytes - self.max_log_bytes / 8
    }

    /// Record memory held by every log, as the cap counts it.
    pub fn log_bytes(&self) -> u64 {
        self.topics
            .values()
            .flat_map(|t| t.partitions())
            .map(PartitionLog::memory_bytes)
            .sum()
    }

    /// Deletes the oldest records across all partitions until the logs are back within
    /// their budget under the memory cap ([`Broker::log_memory_budget`]), reporting each
    /// partition's loss as retention: it is one, a size limit over the whole broker.
    /// Oldest by timestamp, so a busy partition does not empty a quiet one. Returns how
    /// many records went.
    fn enforce_log_memory(&mut self, now: i64) -> u64 {
        let (held, budget) = (self.log_bytes(), self.log_memory_budget());
        if held <= budget {
            return 0;
        }
        let mut excess = held - budget;
        let mut logs: Vec<(&str, u32, &mut PartitionLog, &mut Replicas)> = self
            .topics
            .values_mut()
            .flat_map(|t| {
                let (name, logs, replicas) = t.name_and_partitions_mut();
                (logs.iter_mut().zip(replicas.iter_mut()))
                    .enumerate()
                    .map(move |(p, (log, rs))| (name, p as u32, log, rs))
            })
            .collect();
        let mut oldest: BinaryHeap<Reverse<(i64, usize)>> = logs
            .iter()
            .enumerate()
            .filter_map(|(i, (_, _, log, _))| log.first_timestamp().map(|ts| Reverse((ts, i))))
            .collect();
        let mut removed = vec![0u64; logs.len()];
        while excess > 0 {
            let Some(Reverse((_, i))) = oldest.pop() else {
                break;
            };
            // Take this partition's records up to the next partition's oldest one.
            let until = oldest.peek().map(|Reverse((ts, _))| *ts);
            let (n, freed) = logs[i].2.evict_oldest(until, excess);
            removed[i] += n;
            excess = excess.saturating_sub(freed);
            // A partition that could give nothing holds only records above its high
            // watermark, which followers still need: it leaves the queue.
            if n > 0
                && let Some(ts) = logs[i].2.first_timestamp()
            {
                oldest.push(Reverse((ts, i)));
            }
        }
        let mut total = 0;
        for ((topic, partition, log, rs), records) in logs.into_iter().zip(removed) {
            if records > 0 {
                rs.log_start_moved(log.log_start_offset());
                total += records;
                self.events.push(
                    now,
                    EventKind::RetentionDeleted {
                        topic: topic.to_string(),
                        partition,
                        records,
                        log_start_offset: log.log_start_offset(),
                    },
                );
            }
        }
        total
    }

    // ---- groups ----

    fn group_mut(&mut self, group: &str) -> Result<&mut Group> {
        self.groups
            .get_mut(group)
            .ok_or_else(|| BrokerError::UnknownGroup(group.to_string()))
    }

    /// The classic group, if it exists.
    pub fn group(&self, name: &str) -> Option<&Group> {
        self.groups.get(name)
    }

    /// Groups sorted by name.
    pub fn groups(&self) -> impl ExactSizeIterator<Item = &Group> {
        self.groups.values()
    }

    /// Joins (or rejoins) a group, creating it on first use.
    pub fn join_group(&mut self, req: JoinGroupRequest, now: i64) -> Result<JoinOutcome> {
        if req.group.is_empty() {
            return Err(BrokerError::InvalidGroupId(req.group));
        }
        self.coordinator(&req.group)?;
        let names: Vec<&str> = req.protocols.iter().map(|p| p.name.as_str()).collect();
        self.claim_for_classic(&req.group, &names.join(", "))?;
        let group = self
            .groups
            .entry(req.group.clone())
            .or_insert_with(|| Group::new(&req.group));
        group.join(req, now, &mut self.events)
    }

    /// The join result for a member whose join was pending, once the rebalance completes.
    pub fn poll_join(&mut self, group: &str, member: &str) -> Option<JoinResult> {
        self.groups.get_mut(group)?.poll_join(member)
    }

    /// SyncGroup. The leader's call completes the rebalance; followers may get `Pending`.
    pub fn sync_group(
        &mut self,
        group: &str,
        member: &str,
        generation: i32,
        assignment: SyncAssignment,
        now: i64,
    ) -> Result<SyncOutcome> {
        self.coordinator(group)?;
        let assignments = match assignment {
            SyncAssignment::Follower => None,
            SyncAssignment::Provided(map) => Some(map),
            SyncAssignment::Compute(kind) => {
                let g = self
                    .groups
                    .get(group)
                    .ok_or_else(|| BrokerError::UnknownGroup(group.to_string()))?;
                let computed = self.compute_assignment(g, kind);
                Some(
                    computed
                        .into_iter()
                        .map(|(m, partitions)| {
                            (
                                m,
                                MemberAssignment {
                                    partitions,
                                    raw: bytes::Bytes::new(),
                                },
                            )
                        })
                        .collect(),
                )
            }
        };
        let events = &mut self.events;
        self.groups
            .get_mut(group)
            .ok_or_else(|| BrokerError::UnknownGroup(group.to_string()))?
            .sync(member, generation, assignments, now, events)
    }

    /// Runs `kind` over the group's current members and subscriptions.
    pub fn compute_assignment(&self, group: &Group, kind: AssignorKind) -> Assignment {
        // What each member may hold: its last assignment, and what it said it owned when
        // it joined, since a SyncGroup cut short leaves a member holding partitions its
        // last assignment took away.
        let owned: Vec<Vec<TopicPartition>> = group
            .members()
            .map(|m| {
                let mut owned = m.assignment().to_vec();
                owned.extend_from_slice(m.owned().unwrap_or_default());
                owned.sort_unstable();
                owned.dedup();
                owned
            })
            .collect();
        let subs: Vec<MemberSubscription<'_>> = group
            .members()
            .zip(&owned)
            .map(|(m, owned)| MemberSubscription {
                member_id: m.id(),
                topics: m.topics(),
                owned,
            })
            .collect();
        let partitions: BTreeMap<String, u32> = group
            .members()
            .flat_map(|m| m.topics().iter())
            .filter_map(|t| {
                self.topics
                    .get(t)
                    .map(|topic| (t.clone(), topic.partition_count()))
            })
            .collect();
        assign(kind, &subs, &partitions)
    }

    /// The member's assignment once the leader has synced.
    pub fn poll_sync(
        &self,
        group: &str,
        member: &str,
        generation: i32,
    ) -> Option<Result<MemberAssignment>> {
        match self.groups.get(group) {
            Some(g) => g.poll_sync(member, generation),
            None => Some(Err(BrokerError::UnknownGroup(group.to_string()))),
        }
    }

    /// Records a heartbeat. `RebalanceInProgress` tells the member to rejoin.
    pub fn heartbeat(
        &mut self,
        group: &str,
        member: &str,
        generation: i32,
        now: i64,
    ) -> Result<()> {
        self.coordinator(group)?;
        self.group_mut(group)?.heartbeat(member, generation, now)
    }

    /// A graceful leave: the group rebalances at once, without waiting for a session timeout.
    pub fn leave_group(&mut self, group: &str, member: &str, now: i64) -> Result<()> {
        self.coordinator(group)?;
        let events = &mut self.events;
        self.groups
            .get_mut(group)
            .ok_or_else(|| BrokerError::UnknownGroup(group.to_string()))?
            .leave(member, now, events)
    }

    /// Advances group timers to `now`: expels members whose session lapsed and completes
    /// rebalances whose timeout or initial delay passed. True if any group changed, so
    /// requests waiting on groups should look again.
    pub fn tick(&mut self, now: i64) -> bool {
        self.tick_where(now, |_| true)
    }

    /// Advances the timers of the groups `which` selects (by name) to `now`. Groups whose
    /// members live on different clocks (simulated members on virtual time, network clients
    /// on real time) are ticked apart. True if any of them changed. A group whose
    /// coordinator is unavailable stands still: no coordinator runs its timers.
    pub fn tick_where(&mut self, now: i64, mut which: impl FnMut(&str) -> bool) -> bool {
        let mut changed = false;
        let coordinators = &self.coordinators;
        for g in self.groups.values_mut() {
            let p = offsets_partition_for(g.name()) as usize;
            if which(g.name()) && coordinators.sets[p].leader().is_some() {
                changed |= g.tick(now, &mut self.events);
            }
        }
        changed | self.tick_consumer_groups(now, &mut which)
    }

    /// Commits offsets. All are checked before any is stored: the member and generation must
    /// be current and each partition must exist. A member's offsets must lie in
    /// `0..=high_watermark`, since a member commits what it has processed; the simulation's
    /// members commit here, which keeps `committed <= high_watermark` an invariant for them.
    /// An admin commit (no member id, a negative generation) to an empty group stores any
    /// offset, as Kafka does: tools position a group with the sentinels −1 (latest) and −2
    /// (earliest), or past the end.
    pub fn commit_offsets(
        &mut self,
        group: &str,
        member: &str,
        generation: i32,
        offsets: &[(TopicPartition, i64)],
        now: i64,
    ) -> Result<()> {
        self.commit(
            group,
            member,
            generation,
            offsets,
            Accept::MembersWithinLog,
            now,
        )
    }

    /// Commits as Kafka's coordinator does for a network client: the checks of
    /// [`Broker::commit_offsets`], except that a member's offsets are stored whatever they
    /// are. Clients rely on it: kafkajs' `setOffsets` and `resetOffsets` join the group and
    /// commit −1, −2 or an offset past the end as a member.
    pub fn commit_client_offsets(
        &mut self,
        group: &str,
        member: &str,
        generation: i32,
        offsets: &[(TopicPartition, i64)],
        now: i64,
    ) -> Result<()> {
        self.commit(group, member, generation, offsets, Accept::Any, now)
    }

    fn commit(
        &mut self,
        group: &str,
        member: &str,
        generation: i32,
        offsets: &[(TopicPartition, i64)],
        accept: Accept,
        now: i64,
    ) -> Result<()> {
        if group.is_empty() {
            return Err(BrokerError::InvalidGroupId(group.to_string()));
        }
        self.coordinator(group)?;
        let admin = member.is_empty() && generation < 0;
        match self.check_commit_any(group, member, generation) {
            Some(checked) => checked?,
            None if admin => {}
            None => return Err(BrokerError::UnknownGroup(group.to_string())),
        }
        for (tp, offset) in offsets {
            let log = self.partition(&tp.topic, tp.partition)?;
            let within = (0..=log.high_watermark()).contains(offset);
            if accept == Accept::MembersWithinLog && !admin && !within {
                return Err(out_of_range(&tp.topic, tp.partition, *offset, log.bounds()));
            }
        }
        for (tp, offset) in offsets {
            self.store_committed(group, tp.clone(), *offset, now);
        }
        Ok(())
    }

    /// Where the group resumes on a partition: its committed offset, or `None` before its
    /// first commit there or when what it committed is a negative sentinel
    /// (see [`Group::committed`]).
    pub fn committed_offset(&self, group: &str, tp: &TopicPartition) -> Option<i64> {
        self.any_group(group)?.committed(tp)
    }

    /// `high_watermark - committed`, or `None` while the group has no position there (see
    /// [`Broker::committed_offset`]). An offset committed past the end gives a negative lag,
    /// which is what Kafka's `kafka-consumer-groups --describe` shows for it.
    pub fn lag(&self, group: &str, tp: &TopicPartition) -> Option<i64> {
        let committed = self.committed_offset(group, tp)?;
        let hw = self
            .partition(&tp.topic, tp.partition)
            .ok()?
            .high_watermark();
        Some(hw - committed)
    }

    /// Moves the group's committed offsets on every partition of `topics`. Refused with
    /// [`BrokerError::GroupNotEmpty`] while the group has members, as Kafka does.
    pub fn reset_offsets(
        &mut self,
        group: &str,
        topics: &[String],
        spec: ResetSpec,
        now: i64,
    ) -> Result<Vec<(TopicPartition, i64)>> {
        if let Some(members) = self.group_members(group).filter(|n| *n > 0) {
            return Err(BrokerError::GroupNotEmpty {
                group: group.to_string(),
                members,
            });
        }
        let mut targets = Vec::new();
        for topic in topics {
            let t = self
                .topics
                .get(topic)
                .ok_or_else(|| BrokerError::UnknownTopic(topic.clone()))?;
            for (p, log) in t.partitions().iter().enumerate() {
                let tp = TopicPartition::new(topic.clone(), p as u32);
                let (start, hw) = (log.log_start_offset(), log.high_watermark());
                let target = match spec {
                    ResetSpec::Earliest => start,
                    ResetSpec::Latest => hw,
                    ResetSpec::ToOffset(o) => o.clamp(start, hw),
                    ResetSpec::ToTimestamp(ts) => {
                        log.list_offset(OffsetSpec::Timestamp(ts)).unwrap_or(hw)
                    }
                    ResetSpec::ShiftBy(n) => {
                        let current = self.committed_offset(group, &tp).unwrap_or(start);
                        current.saturating_add(n).clamp(start, hw)
                    }
                };
                targets.push((tp, target));
            }
        }
        for (tp, offset) in &targets {
            self.store_committed(group, tp.clone(), *offset, now);
        }
        self.events.push(
            now,
            EventKind::OffsetsReset {
                group: group.to_string(),
                to: spec.to_string(),
                partitions: targets.iter().map(|(tp, _)| tp.clone()).collect(),
            },
        );
        Ok(targets)
    }

    /// Kafka's OffsetDelete: removes the group's committed offsets on `partitions`, and
    /// returns one result per partition, in order. The whole request is refused for an
    /// unknown group, and for a group with members that are not consumers (what they read
    /// is opaque to the broker). A partition is refused on its own if it does not exist, or
    /// while a member subscribes to its topic.
    pub fn delete_offsets(
        &mut self,
        group: &str,
        partitions: &[TopicPartition],
    ) -> Result<Vec<Result<()>>> {
        let g = self
            .groups
            .get(group)
            .ok_or_else(|| BrokerError::UnknownGroup(group.to_string()))?;
        if !g.is_empty() && g.protocol_type() != Some("consumer") {
            return Err(BrokerError::GroupNotEmpty {
                group: group.to_string(),
                members: g.members().len(),
            });
        }
        let results: Vec<Result<()>> = partitions
            .iter()
            .map(|tp| {
                self.partition(&tp.topic, tp.partition)?;
                if g.members().any(|m| m.topics().contains(&tp.topic)) {
                    return Err(BrokerError::GroupSubscribedToTopic {
                        group: group.to_string(),
                        topic: tp.topic.clone(),
                    });
                }
                Ok(())
            })
            .collect();
        let g = self.groups.get_mut(group).expect("looked up above");
        for (tp, result) in partitions.iter().zip(&results) {
            if result.is_ok() {
                g.delete_offset(tp);
            }
        }
        Ok(results)
    }

    /// Deletes an empty group and its offsets.
    pub fn delete_group(&mut self, group: &str, now: i64) -> Result<()> {
        if let Some(deleted) = self.delete_consumer_group(group) {
            deleted?;
            self.events.push(
                now,
                EventKind::GroupDeleted {
                    group: group.to_string(),
                },
            );
            return Ok(());
        }
        let g = self.group_mut(group)?;
        if !g.is_empty() {
            return Err(BrokerError::GroupNotEmpty {
                group: group.to_string(),
                members: g.members().len(),
            });
        }
        g.mark_dead();
        self.groups.remove(group);
        self.events.push(
            now,
            EventKind::GroupDeleted {
                group: group.to_string(),
            },
        );
        Ok(())
    }

    /// What happened recently, oldest first.
    pub fn events(&self) -> &EventLog {
        &self.events
    }
}

/// A broker shared between threads: readers (the UI, fetches) run side by side, writers
/// (appends, group changes) one at a time.
#[derive(Debug, Clone, Default)]
pub struct SharedBroker(Arc<RwLock<Broker>>);

impl SharedBroker {
    /// Shares `broker`.
    pub fn new(broker: Broker) -> Self {
        SharedBroker(Arc::new(RwLock::new(broker)))
    }

    /// A read guard. A panic while another thread held the lock does not poison readers:
    /// the broker's state is only changed through methods that keep it consistent.
    pub fn read(&self) -> RwLockReadGuard<'_, Broker> {
        self.0.read().unwrap_or_else(|e| e.into_inner())
    }

    /// A write guard; like [`SharedBroker::read`], never poisoned.
    pub fn write(&self) -> RwLockWriteGuard<'_, Broker> {
        self.0.write().unwrap_or_else(|e| e.into_inner())
    }
}
