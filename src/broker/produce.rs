//! Producing with `acks`: which partitions take a produce, when it is acknowledged, and
//! what each producer was told (docs/design.md, "Replication").
//!
//! - `acks=0`: nobody waits; nothing is acknowledged.
//! - `acks=1`: acknowledged when the leader has appended.
//! - `acks=all`: acknowledged when the high watermark passes the record; refused with
//!   NOT_ENOUGH_REPLICAS, nothing appended, while the ISR is below `min.insync.replicas`.
//!
//! Two ways in. A network request produces one partition's batch with [`Broker::produce`]
//! and, for `acks=all`, asks [`Broker::produce_status`] until it is answered. A simulated
//! producer holds a [`TopicAppender`] for a tick and checks and appends record by record.
//! Either way the broker keeps a [`ProducerTally`] per [`ProducerId`]: acknowledged
//! records, acknowledged records later lost to an election, and records to send again.

use std::collections::BTreeMap;
use std::sync::Arc;

use super::Broker;
use super::assignor::TopicPartition;
use super::batch::ProducedBatch;
use super::cluster::BrokerId;
use super::compact::RecordSource;
use super::error::{BrokerError, Result};
use super::event::{EventKind, EventLog};
use super::partition::PartitionLog;
use super::record::NewRecord;
use super::replica::{AckSink, ReplicaSet};
use super::topic::TopicConfig;

/// How long NOT_ENOUGH_REPLICAS refusals on one partition are gathered into one event.
const REFUSAL_EVENT_INTERVAL_MS: i64 = 1_000;

/// How many replicas must have a record before the producer is answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Acks {
    /// `acks=0`: fire and forget.
    None,
    /// `acks=1`: the leader appended it.
    Leader,
    /// `acks=all` (`-1`): every in-sync replica has it. Kafka's default since 3.0.
    All,
}

impl Acks {
    /// The wire's value: 0, 1 or -1.
    pub fn from_kafka(acks: i16) -> Option<Acks> {
        match acks {
            0 => Some(Acks::None),
            1 => Some(Acks::Leader),
            -1 => Some(Acks::All),
            _ => None,
        }
    }
    /// As a producer config writes it: `0`, `1` or `all`.
    pub fn label(self) -> &'static str {
        match self {
            Acks::None => "0",
            Acks::Leader => "1",
            Acks::All => "all",
        }
    }
}

/// Who produced, for counting what each producer was told. The simulation numbers its
/// producers from 0; a network server picks ids of its own (one per client, say) from
/// [`ProducerId::NETWORK_BASE`] up. Keep them few: each has a tally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ProducerId(pub u32);

impl ProducerId {
    /// Appends that name no producer ([`Broker::append`] and friends).
    pub const ANONYMOUS: ProducerId = ProducerId(u32::MAX);
    /// Where ids for network clients start, clear of the simulation's.
    pub const NETWORK_BASE: u32 = 1 << 31;
}

/// What one producer was told, over its life.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProducerTally {
    /// Records acknowledged (with `acks=1` or `acks=all`).
    pub acked: u64,
    /// Acknowledged records an election later cut from the log.
    pub acked_lost: u64,
    /// Records to send again, by partition: cut before they were acknowledged, or answered
    /// NOT_ENOUGH_REPLICAS_AFTER_APPEND. Collected with [`Broker::take_resends`].
    resend: BTreeMap<TopicPartition, u64>,
}

/// How [`Broker::produce`] is asked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProduceOptions {
    /// When the producer is answered.
    pub acks: Acks,
    /// Whose tally the records count in.
    pub producer: ProducerId,
    /// The broker the request reached; `None` for the simulation, which always asks the
    /// leader. Another broker gets NOT_LEADER_OR_FOLLOWER.
    pub via: Option<BrokerId>,
}

impl ProduceOptions {
    /// An anonymous produce with `acks`, to whoever leads.
    pub fn new(acks: Acks) -> Self {
        ProduceOptions {
            acks,
            producer: ProducerId::ANONYMOUS,
            via: None,
        }
    }
}

/// Where a produced batch went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Produced {
    /// The first record's offset.
    pub base_offset: i64,
    /// Records in the batch.
    pub count: u64,
    /// The broker that led and appended it.
    pub leader: BrokerId,
    /// The leader's epoch at the append: if it changes before the batch is acknowledged,
    /// the batch was not (see [`Broker::produce_status`]).
    pub leader_epoch: i32,
    /// Whether the producer may be answered now: always for `acks=1`, never for `acks=0`,
    /// and for `acks=all` when the high watermark already covers the batch.
    pub acknowledged: bool,
}

impl Produced {
    /// The batch's last offset (`base_offset - 1` for an empty batch).
    pub fn last_offset(&self) -> i64 {
        self.base_offset + self.count as i64 - 1
    }
}

/// Where an `acks=all` produce stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProduceWait {
    /// The high watermark passed the batch with enough replicas in sync: answer success.
    Acknowledged,
    /// Not yet replicated: ask again after the next replication.
    Waiting,
    /// Answer with this error: leadership moved (the batch may have been cut), or the ISR
    /// shrank below `min.insync.replicas` before it was replicated.
    Failed(BrokerError),
}

/// Why a partition refuses a produce, without naming it: cheap to return per record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Refusal {
    /// The topic has no such partition.
    UnknownPartition,
    /// Offline: no broker leads it.
    LeaderNotAvailable,
    /// `acks=all` with fewer in-sync replicas than `min.insync.replicas`.
    NotEnoughReplicas {
        /// In-sync replicas now.
        isr: u32,
        /// The topic's `min.insync.replicas`.
        min_insync: u32,
    },
}

impl Refusal {
    /// The Kafka error name, for counts by error.
    pub fn name(self) -> &'static str {
        match self {
            Refusal::UnknownPartition => "UNKNOWN_TOPIC_OR_PARTITION",
            Refusal::LeaderNotAvailable => "LEADER_NOT_AVAILABLE",
            Refusal::NotEnoughReplicas { .. } => "NOT_ENOUGH_REPLICAS",
        }
    }
    /// The typed error, naming the partition.
    pub fn into_error(self, topic: &str, partition: u32) -> BrokerError {
        let topic = topic.to_string();
        match self {
            Refusal::UnknownPartition => BrokerError::UnknownPartition { topic, partition },
            Refusal::LeaderNotAvailable => BrokerError::LeaderNotAvailable { topic, partition },
            Refusal::NotEnoughReplicas { isr, min_insync } => BrokerError::NotEnoughReplicas {
                topic,
                partition,
                isr,
                min_insync,
            },
        }
    }
}

/// One appended record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Appended {
    /// Where it went.
    pub offset: i64,
    /// Whether it is acknowledged already (see [`Produced::acknowledged`]).
    pub acknowledged: bool,
}

/// One producer's write access to one topic, for a burst of appends with a single lookup:
/// check a partition, then append to it. See [`Broker::appender`].
#[derive(Debug)]
pub struct TopicAppender<'a> {
    name: &'a str,
    config: &'a TopicConfig,
    logs: &'a mut [PartitionLog],
    replicas: &'a mut [ReplicaSet],
    events: &'a mut EventLog,
    tally: &'a mut ProducerTally,
    acks: Acks,
    producer: ProducerId,
    now: i64,
}

impl TopicAppender<'_> {
    /// The topic's partitions.
    pub fn partition_count(&self) -> u32 {
        self.logs.len() as u32
    }

    /// Whether `partition` takes this producer's records now. A NOT_ENOUGH_REPLICAS
    /// refusal is counted, and reported as an event at most once a second per partition.
    #[inline]
    pub fn check(&mut self, partition: u32) -> std::result::Result<(), Refusal> {
        let Some(rs) = self.replicas.get_mut(partition as usize) else {
            return Err(Refusal::UnknownPartition);
        };
        if rs.is_offline() {
            return Err(Refusal::LeaderNotAvailable);
        }
        let (isr, min_insync) = (rs.isr().len() as u32, self.config.min_insync_replicas);
        if self.acks == Acks::All && isr < min_insync {
            note_refusal(rs, self.name, partition, min_insync, self.now, self.events);
            return Err(Refusal::NotEnoughReplicas { isr, min_insync });
        }
        Ok(())
    }

    /// Appends to `partition`, which [`TopicAppender::check`] accepted.
    #[inline]
    pub fn append(&mut self, partition: u32, record: NewRecord) -> Appended {
        let offset = self.logs[partition as usize].append(record);
        self.appended(partition, offset, 1)
    }

    /// Appends records to `partition`, which [`TopicAppender::check`] accepted, as one
    /// batch; returns the first one's offset and whether they are acknowledged already.
    pub fn append_batch<I: IntoIterator<Item = NewRecord>>(
        &mut self,
        partition: u32,
        records: I,
    ) -> Appended {
        let log = &mut self.logs[partition as usize];
        let base = log.append_batch(records);
        let count = (log.log_end_offset() - base) as u64;
        self.appended(partition, base, count)
    }

    /// Appends checked batches a producer sent to `partition`, which
    /// [`TopicAppender::check`] accepted, as they are (see [`PartitionLog::append_produced`]).
    pub fn append_produced(&mut self, partition: u32, batches: Vec<ProducedBatch>) -> Appended {
        let log = &mut self.logs[partition as usize];
        let base = log.append_produced(batches);
        let count = (log.log_end_offset() - base) as u64;
        self.appended(partition, base, count)
    }

    /// Appends one simulated record from `source` (key number `key`, stamped `timestamp`)
    /// to `partition`, which [`TopicAppender::check`] accepted: it joins a compact batch.
    #[inline]
    pub fn append_simulated(
        &mut self,
        partition: u32,
        source: &Arc<RecordSource>,
        timestamp: i64,
        key: u32,
    ) -> Appended {
        let log = &mut self.logs[partition as usize];
        let offset = log.log_end_offset();
        log.append_simulated(source, timestamp, key);
        self.appended(partition, offset, 1)
    }

    /// Books `count` records appended to `partition` from `base`: the leader's log end,
    /// the ledger of a replicated partition, and the producer's tally.
    #[inline]
    fn appended(&mut self, partition: u32, base: i64, count: u64) -> Appended {
        let (log, rs) = (
            &self.logs[partition as usize],
            &mut self.replicas[partition as usize],
        );
        let end = base + count as i64;
        rs.leader_appended(end);
        let replicated = rs.replicas().len() > 1;
        if replicated && count > 0 {
            rs.ledger.record_run(base, count, self.producer, self.acks);
        }
        let acknowledged = match self.acks {
            Acks::None => false,
            Acks::Leader => true,
            Acks::All => log.hw_follows_end(),
        };
        if acknowledged {
            self.tally.acked += count;
            if replicated && self.acks == Acks::All {
                rs.ledger.settled_up_to(end);
            }
        }
        Appended {
            offset: base,
            acknowledged,
        }
    }

    /// [`TopicAppender::check`] as the typed error a request answers with, also checking
    /// that `via` (the broker asked) leads.
    fn check_for(&mut self, partition: u32, via: Option<BrokerId>) -> Result<()> {
        if let (Some(via), Some(rs)) = (via, self.replicas.get(partition as usize))
            && rs.leader().is_some_and(|l| l != via)
        {
            return Err(BrokerError::NotLeaderOrFollower {
                topic: self.name.to_string(),
                partition,
                broker: via,
                leader: rs.leader(),
            });
        }
        self.check(partition)
            .map_err(|r| r.into_error(self.name, partition))
    }
}

fn note_refusal(
    rs: &mut ReplicaSet,
    topic: &str,
    partition: u32,
    min_insync: u32,
    now: i64,
    events: &mut EventLog,
) {
    rs.refusals_since_event += 1;
    if rs
        .last_refusal_event_ms
        .is_none_or(|t| now - t >= REFUSAL_EVENT_INTERVAL_MS)
    {
        events.push(
            now,
            EventKind::NotEnoughReplicas {
                topic: topic.to_string(),
                partition,
                isr: rs.isr().len() as u32,
                min_insync,
                refused: rs.refusals_since_event,
            },
        );
        rs.refusals_since_event = 0;
        rs.last_refusal_event_ms = Some(now);
    }
}

/// Reports the ledger's outcomes for one partition into the producers' tallies.
pub(crate) struct TallySink<'a> {
    pub tallies: &'a mut BTreeMap<ProducerId, ProducerTally>,
    pub topic: &'a str,
    pub partition: u32,
}

impl AckSink for TallySink<'_> {
    fn acknowledged(&mut self, producer: ProducerId, records: u64) {
        self.tallies.entry(producer).or_default().acked += records;
    }
    fn retry(&mut self, producer: ProducerId, records: u64) {
        let tp = TopicPartition::new(self.topic, self.partition);
        *(self.tallies.entry(producer).or_default())
            .resend
            .entry(tp)
            .or_default() += records;
    }
    fn lost(&mut self, producer: ProducerId, records: u64) {
        self.tallies.entry(producer).or_default().acked_lost += records;
    }
}

impl Broker {
    /// Write access to `topic` for `producer` with `acks` at `now`: see [`TopicAppender`].
    pub fn appender(
        &mut self,
        topic: &str,
        acks: Acks,
        producer: ProducerId,
        now: i64,
    ) -> Result<TopicAppender<'_>> {
        let t = self
            .topics
            .get_mut(topic)
            .ok_or_else(|| BrokerError::UnknownTopic(topic.to_string()))?;
        let parts = t.parts_mut();
        Ok(TopicAppender {
            name: parts.name,
            config: parts.config,
            logs: parts.logs,
            replicas: parts.replicas,
            events: &mut self.events,
            tally: self.producers.entry(producer).or_default(),
            acks,
            producer,
            now,
        })
    }

    /// Produces `records` to one partition, all or nothing: refused with
    /// NOT_LEADER_OR_FOLLOWER when `options.via` does not lead, LEADER_NOT_AVAILABLE when
    /// the partition is offline, NOT_ENOUGH_REPLICAS for `acks=all` with too few in sync.
    pub fn produce<I: IntoIterator<Item = NewRecord>>(
        &mut self,
        topic: &str,
        partition: u32,
        records: I,
        options: ProduceOptions,
        now: i64,
    ) -> Result<Produced> {
        self.produce_with(topic, partition, options, now, |app| {
            app.append_batch(partition, records)
        })
    }

    /// Produces batches a network client sent, checked by [`ProducedBatch::split`], as
    /// they are; refused, with nothing appended, where [`Broker::produce`] refuses.
    pub fn produce_batches(
        &mut self,
        topic: &str,
        partition: u32,
        batches: Vec<ProducedBatch>,
        options: ProduceOptions,
        now: i64,
    ) -> Result<Produced> {
        self.produce_with(topic, partition, options, now, |app| {
            app.append_produced(partition, batches)
        })
    }

    /// The checks and the answer of a produce around `append`, which adds to `partition`.
    fn produce_with(
        &mut self,
        topic: &str,
        partition: u32,
        options: ProduceOptions,
        now: i64,
        append: impl FnOnce(&mut TopicAppender<'_>) -> Appended,
    ) -> Result<Produced> {
        let mut app = self.appender(topic, options.acks, options.producer, now)?;
        app.check_for(partition, options.via)?;
        let (log, rs) = (
            &app.logs[partition as usize],
            &app.replicas[partition as usize],
        );
        let (base_offset, leader_epoch) = (log.log_end_offset(), rs.leader_epoch());
        let leader = rs.leader().expect("check_for refuses an offline partition");
        let appended = append(&mut app);
        let count = (app.logs[partition as usize].log_end_offset() - base_offset) as u64;
        let acknowledged = options.acks != Acks::None && (count == 0 || appended.acknowledged);
        Ok(Produced {
            base_offset,
            count,
            leader,
            leader_epoch,
            acknowledged,
        })
    }

    /// Where a batch [`Broker::produce`] appended with `acks=all` stands now. Call it
    /// after each [`Broker::replicate`] until it is no longer `Waiting`.
    pub fn produce_status(
        &self,
        topic: &str,
        partition: u32,
        produced: &Produced,
    ) -> Result<ProduceWait> {
        let log = self.partition(topic, partition)?;
        let rs = self.replica_set(topic, partition)?;
        let min_insync = self.topics[topic].config().min_insync_replicas;
        if rs.leader_epoch() != produced.leader_epoch {
            return Ok(ProduceWait::Failed(BrokerError::NotLeaderOrFollower {
                topic: topic.to_string(),
                partition,
                broker: produced.leader,
                leader: rs.leader(),
            }));
        }
        if log.high_watermark() <= produced.last_offset() {
            return Ok(ProduceWait::Waiting);
        }
        let isr = rs.isr().len() as u32;
        if isr < min_insync {
            return Ok(ProduceWait::Failed(
                BrokerError::NotEnoughReplicasAfterAppend {
                    topic: topic.to_string(),
                    partition,
                    isr,
                    min_insync,
                },
            ));
        }
        Ok(ProduceWait::Acknowledged)
    }

    /// What `producer` has been told so far.
    pub fn producer_tally(&self, producer: ProducerId) -> Option<&ProducerTally> {
        self.producers.get(&producer)
    }

    /// Takes the records `producer` must send again, by partition: cut by an election
    /// before they were acknowledged, or answered NOT_ENOUGH_REPLICAS_AFTER_APPEND.
    pub fn take_resends(&mut self, producer: ProducerId) -> Vec<(TopicPartition, u64)> {
        match self.producers.get_mut(&producer) {
            Some(t) if !t.resend.is_empty() => std::mem::take(&mut t.resend).into_iter().collect(),
            _ => Vec::new(),
        }
    }

    /// Acknowledged records lost to elections, over all producers.
    pub fn acked_lost(&self) -> u64 {
        self.acked_lost
    }
}
