//! A group of either protocol, as readers outside the broker see it: reports, screens,
//! metrics and invariants show classic and consumer-protocol groups side by side without
//! asking which is which more than they need to.

use std::collections::{BTreeMap, BTreeSet};

use super::group::consumer_protocol::ConsumerGroup;
use super::{Broker, CommittedOffset, Group, GroupState, GroupType, TopicPartition};

/// A classic or a consumer-protocol group.
#[derive(Debug, Clone, Copy)]
pub enum AnyGroup<'a> {
    /// JoinGroup/SyncGroup.
    Classic(&'a Group),
    /// ConsumerGroupHeartbeat (KIP-848).
    Consumer(&'a ConsumerGroup),
}

/// A member of either kind of group, with what it may own and what it is giving up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnyMember<'a> {
    /// The member id.
    pub id: &'a str,
    /// The client's own id.
    pub client_id: &'a str,
    /// Where a classic member's client connects from; empty for a simulated member and
    /// for a consumer-protocol member, whose address the broker does not keep.
    pub client_host: &'a str,
    /// The partitions it owns (classic: of the last completed rebalance), sorted.
    pub assigned: Vec<&'a TopicPartition>,
    /// Consumer protocol: partitions it was asked to revoke and still holds, sorted.
    pub revoking: Vec<&'a TopicPartition>,
}

impl<'a> AnyGroup<'a> {
    /// The group id.
    pub fn name(self) -> &'a str {
        match self {
            AnyGroup::Classic(g) => g.name(),
            AnyGroup::Consumer(g) => g.name(),
        }
    }
    /// Which protocol it speaks.
    pub fn group_type(self) -> GroupType {
        match self {
            AnyGroup::Classic(_) => GroupType::Classic,
            AnyGroup::Consumer(_) => GroupType::Consumer,
        }
    }
    /// Its state as Kafka names it.
    pub fn state(self) -> GroupState {
        match self {
            AnyGroup::Classic(g) => g.state(),
            AnyGroup::Consumer(g) => g.state(),
        }
    }
    /// The generation (classic) or group epoch (consumer protocol): it moves on every
    /// rebalance.
    pub fn generation(self) -> i32 {
        match self {
            AnyGroup::Classic(g) => g.generation(),
            AnyGroup::Consumer(g) => g.group_epoch(),
        }
    }
    /// The assignor in use: the classic protocol's chosen one, once chosen, or the
    /// broker's server-side one.
    pub fn assignor(self) -> Option<&'a str> {
        match self {
            AnyGroup::Classic(g) => g.protocol_name(),
            AnyGroup::Consumer(g) => Some(g.assignor().name()),
        }
    }
    /// Every topic some member subscribes to, or that has committed offsets.
    pub fn topics(self) -> BTreeSet<&'a str> {
        match self {
            AnyGroup::Classic(g) => g.topics(),
            AnyGroup::Consumer(g) => g.topics(),
        }
    }
    /// Committed offsets, sorted by topic and partition.
    pub fn offsets(self) -> &'a BTreeMap<TopicPartition, CommittedOffset> {
        match self {
            AnyGroup::Classic(g) => g.offsets(),
            AnyGroup::Consumer(g) => g.offsets(),
        }
    }
    /// Where the group resumes on a partition: its committed offset, or `None` before its
    /// first commit there or when what it committed is a negative sentinel, as
    /// [`crate::broker::Group::committed`] reads it.
    pub fn committed(self, tp: &TopicPartition) -> Option<i64> {
        self.offsets()
            .get(tp)
            .map(|c| c.offset)
            .filter(|&offset| offset >= 0)
    }
    /// Rebalances completed.
    pub fn rebalances(self) -> u64 {
        match self {
            AnyGroup::Classic(g) => g.rebalances(),
            AnyGroup::Consumer(g) => g.rebalances(),
        }
    }
    /// Whether `id` is one of its members.
    pub fn has_member(self, id: &str) -> bool {
        match self {
            AnyGroup::Classic(g) => g.member(id).is_some(),
            AnyGroup::Consumer(g) => g.member(id).is_some(),
        }
    }
    /// Members by id.
    pub fn members(self) -> Vec<AnyMember<'a>> {
        match self {
            AnyGroup::Classic(g) => g
                .members()
                .map(|m| AnyMember {
                    id: m.id(),
                    client_id: m.client_id(),
                    client_host: m.client_host(),
                    assigned: m.assignment().iter().collect(),
                    revoking: Vec::new(),
                })
                .collect(),
            AnyGroup::Consumer(g) => g
                .members()
                .map(|m| AnyMember {
                    id: m.id(),
                    client_id: m.client_id(),
                    client_host: "",
                    assigned: m.assigned().collect(),
                    revoking: m.pending_revocation().collect(),
                })
                .collect(),
        }
    }
}

impl Broker {
    /// A group of either protocol by id.
    pub fn any_group(&self, name: &str) -> Option<AnyGroup<'_>> {
        match self.consumer_group(name) {
            Some(g) => Some(AnyGroup::Consumer(g)),
            None => self.group(name).map(AnyGroup::Classic),
        }
    }

    /// Every group of either protocol, sorted by id.
    pub fn all_groups(&self) -> Vec<AnyGroup<'_>> {
        let mut all: Vec<AnyGroup<'_>> = self
            .groups()
            .map(AnyGroup::Classic)
            .chain(self.consumer_groups().map(AnyGroup::Consumer))
            .collect();
        all.sort_by_key(|g| g.name());
        all
    }
}
