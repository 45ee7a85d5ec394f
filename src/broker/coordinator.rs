//! Group coordinators: the coordinator of a group is the broker leading the group's
//! partition of `__consumer_offsets`.
//!
//! The offsets topic is modelled as replica sets without a log (replication factor
//! `min(3, brokers)`, placed and elected like any topic): committed offsets and group state
//! are kept broker-wide, so they survive the loss of any broker, and only the coordinator's
//! identity moves. A network server answers NOT_COORDINATOR to group requests that reach the
//! wrong broker ([`Broker::check_coordinator`]); while a group's offsets partition is
//! offline its requests get COORDINATOR_NOT_AVAILABLE and its sessions stand still, and
//! the coordinator that takes the group over gives every member a fresh session, as
//! Kafka's does when it loads a group.

use super::Broker;
use super::cluster::{BrokerId, Cluster, place};
use super::error::{BrokerError, Result};
use super::event::EventKind;
use super::partitioner::murmur2;
use super::replica::ReplicaSet;

/// Kafka's internal topic for committed offsets.
pub const OFFSETS_TOPIC: &str = "__consumer_offsets";

/// Kafka's default `offsets.topic.num.partitions`.
pub const OFFSETS_PARTITIONS: u32 = 50;

/// Kafka's default `offsets.topic.replication.factor`, capped by the brokers there are.
const OFFSETS_REPLICATION: u32 = 3;

/// The offsets partition that holds `group`'s offsets, whose leader coordinates it.
pub fn offsets_partition_for(group: &str) -> u32 {
    (murmur2(group.as_bytes()) & 0x7fff_ffff) % OFFSETS_PARTITIONS
}

/// The leader of each offsets partition.
pub(crate) type Leaders = [Option<BrokerId>; OFFSETS_PARTITIONS as usize];

/// The offsets topic's partitions, without logs.
#[derive(Debug, Clone)]
pub(crate) struct Coordinators {
    pub(crate) sets: Vec<ReplicaSet>,
}

impl Coordinators {
    pub(crate) fn new(cluster: &Cluster) -> Self {
        let live = cluster.live_brokers();
        let rf = OFFSETS_REPLICATION.min(live.len() as u32);
        let placement = place(
            OFFSETS_TOPIC,
            cluster.placement_seed(),
            &live,
            rf,
            0,
            OFFSETS_PARTITIONS,
        );
        Coordinators {
            sets: placement
                .into_iter()
                .map(|r| ReplicaSet::new(r, 0))
                .collect(),
        }
    }

    /// Each offsets partition's leader, to notice which moved; on the stack, since
    /// replication takes this every tick.
    pub(crate) fn leaders(&self) -> Leaders {
        let mut out = [None; OFFSETS_PARTITIONS as usize];
        for (slot, rs) in out.iter_mut().zip(&self.sets) {
            *slot = rs.leader();
        }
        out
    }
}

impl Broker {
    /// The broker coordinating `group`; COORDINATOR_NOT_AVAILABLE while its offsets
    /// partition is offline.
    pub fn coordinator(&self, group: &str) -> Result<BrokerId> {
        self.coordinators.sets[offsets_partition_for(group) as usize]
            .leader()
            .ok_or_else(|| BrokerError::CoordinatorNotAvailable {
                group: group.to_string(),
            })
    }

    /// Whether broker `via` may serve `group`'s requests: NOT_COORDINATOR if another
    /// broker coordinates it.
    pub fn check_coordinator(&self, group: &str, via: BrokerId) -> Result<()> {
        match self.coordinator(group)? {
            c if c == via => Ok(()),
            coordinator => Err(BrokerError::NotCoordinator {
                group: group.to_string(),
                broker: via,
                coordinator,
            }),
        }
    }

    /// The offsets topic's partitions: who leads each (coordinates its groups), with
    /// replicas and ISR like any partition.
    pub fn offsets_partitions(&self) -> &[ReplicaSet] {
        &self.coordinators.sets
    }

    /// Reports every group whose coordinator changed since `before` (the offsets
    /// partitions' leaders then), and gives its members fresh sessions.
    pub(crate) fn note_coordinator_moves(&mut self, before: &Leaders, now: i64) {
        let after = self.coordinators.leaders();
        if after == *before {
            return;
        }
        for g in self.groups.values_mut() {
            let p = offsets_partition_for(g.name()) as usize;
            if before[p] == after[p] {
                continue;
            }
            if after[p].is_some() {
                g.restart_sessions(now);
            }
            self.events.push(
                now,
                EventKind::CoordinatorMoved {
                    group: g.name().to_string(),
                    coordinator: after[p],
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_group_always_maps_to_the_same_offsets_partition() {
        let p = offsets_partition_for("billing");
        assert!(p < OFFSETS_PARTITIONS);
        assert_eq!(p, offsets_partition_for("billing"));
        let spread: std::collections::BTreeSet<u32> = (0..200)
            .map(|i| offsets_partition_for(&format!("group-{i}")))
            .collect();
        assert!(spread.len() > 30, "{}", spread.len());
    }
}
