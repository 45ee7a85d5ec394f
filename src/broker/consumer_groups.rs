//! The broker's side of the consumer protocol (KIP-848): consumer-protocol groups beside
//! the classic ones, one id namespace for both, and what offsets, ticks and deletion do for
//! either kind.
//!
//! A group id has one protocol at a time. As in Kafka, an empty group of one kind is taken
//! over by the other (its committed offsets kept); a group with members refuses the other
//! protocol: a ConsumerGroupHeartbeat to a classic group gets GROUP_ID_NOT_FOUND, a
//! JoinGroup to a consumer-protocol group INCONSISTENT_GROUP_PROTOCOL.

use std::collections::BTreeMap;
use std::fmt;

use super::group::consumer_protocol::{
    ConsumerGroup, ConsumerGroupConfig, ConsumerHeartbeat, HeartbeatReply,
};
use super::{Broker, BrokerError, Group, Result, TopicPartition};

/// Which protocol a group speaks; Kafka's group type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GroupType {
    /// JoinGroup and SyncGroup, the assignment computed by a client (the leader).
    Classic,
    /// ConsumerGroupHeartbeat (KIP-848), the assignment computed by the broker.
    Consumer,
}

impl GroupType {
    /// The name Kafka lists it by (ListGroups v5).
    pub fn name(self) -> &'static str {
        match self {
            GroupType::Classic => "classic",
            GroupType::Consumer => "consumer",
        }
    }
}

impl fmt::Display for GroupType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The consumer-protocol groups and their settings.
#[derive(Debug, Clone, Default)]
pub(crate) struct ConsumerGroups {
    groups: BTreeMap<String, ConsumerGroup>,
    /// Settings of groups that have their own; others use `default`.
    configs: BTreeMap<String, ConsumerGroupConfig>,
    default: ConsumerGroupConfig,
}

impl ConsumerGroups {
    fn config(&self, group: &str) -> ConsumerGroupConfig {
        self.configs.get(group).copied().unwrap_or(self.default)
    }
}

impl Broker {
    /// Answers a ConsumerGroupHeartbeat: joins, heartbeats, reconciles or leaves a
    /// consumer-protocol group, creating it (or taking over an empty classic group) on a
    /// member's first heartbeat.
    pub fn consumer_group_heartbeat(
        &mut self,
        req: ConsumerHeartbeat,
        now: i64,
    ) -> Result<HeartbeatReply> {
        if req.group.is_empty() {
            return Err(BrokerError::InvalidGroupId(req.group));
        }
        if !self.consumer.groups.contains_key(&req.group) {
            if let Some(classic) = self.groups.get(&req.group) {
                if !classic.is_empty() || req.member_epoch != 0 {
                    return Err(BrokerError::NotAConsumerGroup(req.group));
                }
                let offsets = self.groups.remove(&req.group).map(Group::into_offsets);
                let config = self.consumer.config(&req.group);
                let group =
                    ConsumerGroup::with_offsets(&req.group, config, offsets.unwrap_or_default());
                self.consumer.groups.insert(req.group.clone(), group);
            } else if req.member_epoch != 0 {
                return Err(BrokerError::UnknownGroup(req.group));
            }
        }
        let config = self.consumer.config(&req.group);
        let group = self
            .consumer
            .groups
            .entry(req.group.clone())
            .or_insert_with(|| ConsumerGroup::new(&req.group, config));
        let topics = &self.topics;
        let partitions = |t: &str| topics.get(t).map(|t| t.partition_count());
        group.heartbeat(req, now, &partitions, &mut self.events)
    }

    /// A consumer-protocol group by id.
    pub fn consumer_group(&self, name: &str) -> Option<&ConsumerGroup> {
        self.consumer.groups.get(name)
    }

    /// Consumer-protocol groups, sorted by id.
    pub fn consumer_groups(&self) -> impl ExactSizeIterator<Item = &ConsumerGroup> {
        self.consumer.groups.values()
    }

    /// Gives `group` its own session timeout and heartbeat interval (Kafka's group configs
    /// `consumer.session.timeout.ms` and `consumer.heartbeat.interval.ms`), for a group
    /// that exists or will.
    pub fn set_consumer_group_config(&mut self, group: &str, config: ConsumerGroupConfig) {
        self.consumer.configs.insert(group.to_string(), config);
    }

    /// Which protocol the group speaks, if the broker knows the id.
    pub fn group_type(&self, name: &str) -> Option<GroupType> {
        Some(self.any_group(name)?.group_type())
    }

    /// Committed offsets of a group of either protocol.
    pub fn group_offsets(
        &self,
        name: &str,
    ) -> Option<&BTreeMap<TopicPartition, super::CommittedOffset>> {
        Some(self.any_group(name)?.offsets())
    }

    /// Checks a request that names a static member (`group.instance.id`) of a classic
    /// group: the instance must be mapped to `member`, else FENCED_INSTANCE_ID.
    pub fn check_static_member(&self, group: &str, member: &str, instance: &str) -> Result<()> {
        match self.groups.get(group) {
            Some(g) => g.check_static(member, instance),
            None => Err(BrokerError::UnknownMemberId {
                group: group.to_string(),
                member: member.to_string(),
            }),
        }
    }

    /// The member id a static member's instance id maps to in a classic group.
    pub fn static_member_id(&self, group: &str, instance: &str) -> Option<&str> {
        self.groups.get(group)?.static_member_id(instance)
    }

    /// Checks an OffsetFetch that names a member (v9+): a consumer-protocol group's member
    /// must fetch at its current epoch. Classic groups and fetches naming no member pass.
    pub fn check_offset_fetch(&self, group: &str, member: Option<&str>, epoch: i32) -> Result<()> {
        match self.consumer.groups.get(group) {
            Some(g) => g.check_fetch(member, epoch),
            None => Ok(()),
        }
    }

    /// A JoinGroup's claim on `group`: an empty consumer-protocol group of that id becomes
    /// classic (offsets kept); one with members refuses.
    pub(super) fn claim_for_classic(&mut self, group: &str, protocols: &str) -> Result<()> {
        let Some(g) = self.consumer.groups.get(group) else {
            return Ok(());
        };
        if !g.is_empty() {
            return Err(BrokerError::InconsistentGroupProtocol {
                group: group.to_string(),
                protocols: protocols.to_string(),
            });
        }
        let offsets = self
            .consumer
            .groups
            .remove(group)
            .map(ConsumerGroup::into_offsets)
            .unwrap_or_default();
        self.groups
            .insert(group.to_string(), Group::with_offsets(group, offsets));
        Ok(())
    }

    /// Checks a commit against whichever group holds the id; `None` when none does.
    pub(super) fn check_commit_any(
        &self,
        group: &str,
        member: &str,
        generation: i32,
    ) -> Option<Result<()>> {
        match self.consumer.groups.get(group) {
            Some(g) => Some(g.check_commit(member, generation)),
            None => Some(self.groups.get(group)?.check_commit(member, generation)),
        }
    }

    /// Stores a committed offset in whichever group holds the id, creating a classic
    /// (simple) group when none does.
    pub(super) fn store_committed(
        &mut self,
        group: &str,
        tp: TopicPartition,
        offset: i64,
        now: i64,
    ) {
        match self.consumer.groups.get_mut(group) {
            Some(g) => g.store_offset(tp, offset, now),
            None => self
                .groups
                .entry(group.to_string())
                .or_insert_with(|| Group::new(group))
                .store_offset(tp, offset, None, now),
        }
    }

    /// Members of the group, whatever its protocol; `None` for an unknown id.
    pub(super) fn group_members(&self, group: &str) -> Option<usize> {
        Some(self.any_group(group)?.members().len())
    }

    /// Advances the timers of the consumer-protocol groups `which` selects.
    pub(super) fn tick_consumer_groups(
        &mut self,
        now: i64,
        which: &mut impl FnMut(&str) -> bool,
    ) -> bool {
        let mut changed = false;
        for g in self.consumer.groups.values_mut() {
            if which(g.name()) {
                changed |= g.tick(now, &mut self.events);
            }
        }
        changed
    }

    /// Drops a deleted topic's committed offsets from consumer-protocol groups.
    pub(super) fn forget_topic_in_consumer_groups(&mut self, topic: &str) {
        for g in self.consumer.groups.values_mut() {
            g.forget_topic(topic);
        }
    }

    /// Deletes an empty consumer-protocol group; `None` when the id is not one.
    pub(super) fn delete_consumer_group(&mut self, group: &str) -> Option<Result<()>> {
        let g = self.consumer.groups.get(group)?;
        if !g.is_empty() {
            return Some(Err(BrokerError::GroupNotEmpty {
                group: group.to_string(),
                members: g.members().len(),
            }));
        }
        self.consumer.groups.remove(group);
        Some(Ok(()))
    }
}
