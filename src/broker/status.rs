//! What the network server and the screen read about the cluster: who leads a partition
//! and whether a request reached it, each broker's share of the work, and the counts the
//! report and the header show.

use super::Broker;
use super::cluster::{BrokerId, BrokerState};
use super::error::{BrokerError, Result};
use super::replica::ReplicaSet;

/// One broker's part in the cluster, for the brokers pane.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerLoad {
    /// The broker.
    pub id: BrokerId,
    /// Up, crashed or stopped.
    pub state: BrokerState,
    /// While slow, the records per second its followers copy.
    pub slow: Option<f64>,
    /// Partitions it leads.
    pub leaders: u32,
    /// Partitions it holds a follower replica of.
    pub followers: u32,
    /// Of those, how many are out of the ISR.
    pub out_of_sync: u32,
    /// Records its followers lack, summed over them: how far behind it is.
    pub behind: u64,
}

impl Broker {
    /// Partition `partition` of `topic`'s replicas: leader, epoch, ISR, log ends.
    pub fn replica_set(&self, topic: &str, partition: u32) -> Result<&ReplicaSet> {
        let t = self
            .topics
            .get(topic)
            .ok_or_else(|| BrokerError::UnknownTopic(topic.to_string()))?;
        t.replica_set(partition)
            .ok_or_else(|| BrokerError::UnknownPartition {
                topic: topic.to_string(),
                partition,
            })
    }

    /// Who leads the partition now; `None` while it is offline.
    pub fn partition_leader(&self, topic: &str, partition: u32) -> Result<Option<BrokerId>> {
        Ok(self.replica_set(topic, partition)?.leader())
    }

    /// Whether broker `via` may serve produce and fetch requests for the partition:
    /// NOT_LEADER_OR_FOLLOWER if another broker leads it, LEADER_NOT_AVAILABLE if none does.
    pub fn check_leader(&self, topic: &str, partition: u32, via: BrokerId) -> Result<()> {
        match self.replica_set(topic, partition)?.leader() {
            Some(l) if l == via => Ok(()),
            Some(l) => Err(BrokerError::NotLeaderOrFollower {
                topic: topic.to_string(),
                partition,
                broker: via,
                leader: Some(l),
            }),
            None => Err(BrokerError::LeaderNotAvailable {
                topic: topic.to_string(),
                partition,
            }),
        }
    }

    /// [`Broker::check_leader`], and that a client naming the leader epoch it knows
    /// (`current_epoch`, `-1` or below for none) knows the current one: an older epoch is
    /// FENCED_LEADER_EPOCH, a newer one UNKNOWN_LEADER_EPOCH, as KIP-320 has it.
    pub fn check_leader_epoch(
        &self,
        topic: &str,
        partition: u32,
        via: BrokerId,
        current_epoch: i32,
    ) -> Result<()> {
        self.check_leader(topic, partition, via)?;
        let current = self.replica_set(topic, partition)?.leader_epoch();
        let (topic, asked) = (topic.to_string(), current_epoch);
        match current_epoch {
            e if e < 0 || e == current => Ok(()),
            e if e < current => Err(BrokerError::FencedLeaderEpoch {
                topic,
                partition,
                asked,
                current,
            }),
            _ => Err(BrokerError::UnknownLeaderEpoch {
                topic,
                partition,
                asked,
                current,
            }),
        }
    }

    /// Kafka's OffsetForLeaderEpoch for the partition: the largest epoch at most `epoch`
    /// and where it ended; `None` if `epoch` is older than the epochs remembered.
    pub fn end_offset_for_epoch(
        &self,
        topic: &str,
        partition: u32,
        epoch: i32,
    ) -> Result<Option<(i32, i64)>> {
        let end = self.partition(topic, partition)?.log_end_offset();
        Ok(self
            .replica_set(topic, partition)?
            .end_offset_for_epoch(epoch, end))
    }

    fn replica_sets(&self) -> impl Iterator<Item = &ReplicaSet> {
        self.topics.values().flat_map(|t| t.replica_sets())
    }

    /// Partitions with fewer replicas in sync than they have.
    pub fn under_replicated_partitions(&self) -> u64 {
        self.replica_sets()
            .filter(|r| r.is_under_replicated())
            .count() as u64
    }

    /// Partitions that no broker leads.
    pub fn offline_partitions(&self) -> u64 {
        self.replica_sets().filter(|r| r.is_offline()).count() as u64
    }

    /// Unclean elections over all partitions: each one may have cut acknowledged records
    /// and moved a high watermark back.
    pub fn unclean_elections(&self) -> u64 {
        self.replica_sets()
            .map(|r| u64::from(r.unclean_elections()))
            .sum()
    }

    /// Every broker's share: partitions led and followed, and how far behind its followers
    /// are. One pass over the replicas: call it once per frame, not per broker.
    pub fn broker_loads(&self) -> Vec<BrokerLoad> {
        let mut loads: Vec<BrokerLoad> = (self.cluster.brokers().iter())
            .map(|n| BrokerLoad {
                id: n.id(),
                state: n.state(),
                slow: n.slow_rate(),
                leaders: 0,
                followers: 0,
                out_of_sync: 0,
                behind: 0,
            })
            .collect();
        for t in self.topics.values() {
            for (log, rs) in t.partitions().iter().zip(t.replica_sets()) {
                let end = log.log_end_offset();
                for &b in rs.replicas() {
                    let Some(load) = loads.get_mut((b - 1) as usize) else {
                        continue;
                    };
                    if rs.leader() == Some(b) {
                        load.leaders += 1;
                        continue;
                    }
                    load.followers += 1;
                    load.out_of_sync += u32::from(!rs.in_sync(b));
                    let leo = rs.log_end_offset(b).unwrap_or(end);
                    load.behind += (end - leo).max(0) as u64;
                }
            }
        }
        loads
    }
}
