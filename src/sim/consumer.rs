//! Simulated consumer groups: members that join, sync, heartbeat, poll, process and commit
//! through the broker's real group protocol, and the at-least-once counters around them.

mod member;
mod tracking;

pub use member::{MemberSim, MemberState};

use crate::broker::{Broker, ConsumerGroupConfig, ResetSpec, TopicPartition};

use super::error::SimError;
use super::scenario::{GroupSpec, RebalanceProtocol};
use member::{Env, track_index};
use tracking::PartTrack;

/// One simulated consumer group, as the UI and the report see it.
#[derive(Debug, Clone)]
pub struct GroupSim {
    index: usize,
    spec: GroupSpec,
    paused: bool,
    members: Vec<MemberSim>,
    tracks: Vec<PartTrack>,
    next_client: u32,
    consume_rate: f64,
    /// Summed over the subscribed partitions: simulated ms each had no running member.
    unowned_ms: u64,
}

impl GroupSim {
    pub(crate) fn new(spec: GroupSpec, index: usize) -> Self {
        GroupSim {
            index,
            spec,
            paused: false,
            members: Vec::new(),
            tracks: Vec::new(),
            next_client: 1,
            consume_rate: 0.0,
            unowned_ms: 0,
        }
    }

    /// The group id.
    pub fn name(&self) -> &str {
        &self.spec.name
    }
    /// Creation order: a stable slot for the group's colour.
    pub fn index(&self) -> usize {
        self.index
    }
    /// The group's settings; `process_rate` is the current one.
    pub fn spec(&self) -> &GroupSpec {
        &self.spec
    }
    /// Members that are not crashed.
    pub fn consumers(&self) -> usize {
        self.members.iter().filter(|m| m.is_live()).count()
    }
    /// Records per simulated second, per member.
    pub fn process_rate(&self) -> f64 {
        self.spec.process_rate
    }
    /// Records processed, repeats included.
    pub fn consumed(&self) -> u64 {
        self.tracks.iter().map(|t| t.consumed).sum()
    }
    /// Records processed at an offset the group had already processed since its last
    /// offset reset: work done but not committed before a crash or a rebalance, which the
    /// partition's next owner repeats from the committed offset.
    pub fn duplicates(&self) -> u64 {
        self.tracks.iter().map(|t| t.duplicates).sum()
    }
    /// Records deleted by retention before any member of the group fetched them, counted
    /// from when the group first read each partition.
    pub fn lost(&self) -> u64 {
        self.tracks.iter().map(|t| t.lost).sum()
    }
    /// Whether the members are paused (heartbeating, not polling).
    pub fn paused(&self) -> bool {
        self.paused
    }
    /// The sum over the subscribed partitions of the simulated time each had no member
    /// holding it to work on: the cost of rebalancing (and of crashed or restarting members
    /// holding partitions they do not process).
    pub fn unowned_partition_ms(&self) -> u64 {
        self.unowned_ms
    }
    /// Records processed in the last simulated second.
    pub fn consume_rate(&self) -> f64 {
        self.consume_rate
    }
    /// Members in creation order, crashed ones included until the broker expels them.
    pub fn members(&self) -> &[MemberSim] {
        &self.members
    }
    /// The partitions its running members are working on (crashed or restarting members
    /// hold none).
    pub fn held_partitions(&self) -> Vec<&TopicPartition> {
        (0..self.members.len())
            .filter(|&i| self.members[i].is_running())
            .flat_map(|i| self.member_partitions(i))
            .collect()
    }
    /// The partitions member `i` is working on.
    pub fn member_partitions(&self, i: usize) -> impl Iterator<Item = &TopicPartition> + '_ {
        self.members
            .get(i)
            .into_iter()
            .flat_map(|m| m.owned_parts())
            .map(|p| &self.tracks[p].tp)
    }

    pub(crate) fn set_consume_rate(&mut self, rate: f64) {
        self.consume_rate = rate;
    }
    pub(crate) fn set_paused(&mut self, paused: bool) {
        self.paused = paused;
    }
    pub(crate) fn set_process_rate(&mut self, rate: f64) {
        self.spec.process_rate = rate;
    }
    /// Whether every live member holds its assignment and none is about to rejoin.
    pub(crate) fn settled(&self) -> bool {
        self.members.iter().all(|m| !m.is_live() || m.is_settled())
    }

    fn env<'a>(
        spec: &'a GroupSpec,
        tracks: &'a mut Vec<PartTrack>,
        broker: &'a mut Broker,
        now: i64,
    ) -> Env<'a> {
        Env {
            broker,
            now,
            group: &spec.name,
            spec,
            tracks,
        }
    }

    /// Starts a member; it joins at once. Returns its client id.
    pub(crate) fn add_member(&mut self, broker: &mut Broker, now: i64) -> String {
        if let RebalanceProtocol::Consumer(_) = self.spec.protocol {
            // The group's own settings (Kafka's group configs), so its members time out and
            // heartbeat like the classic members of the same scenario.
            let config = ConsumerGroupConfig {
                session_timeout_ms: self.spec.session_timeout_ms,
                heartbeat_interval_ms: MemberSim::heartbeat_interval(&self.spec),
            };
            broker.set_consumer_group_config(&self.spec.name, config);
        }
        let client = format!("{}-{}", self.spec.name, self.next_client);
        self.next_client += 1;
        let mut m = MemberSim::new(client.clone(), now);
        let mut env = Self::env(&self.spec, &mut self.tracks, broker, now);
        m.tick(&mut env, 0, true);
        self.members.push(m);
        client
    }

    /// The newest live member leaves gracefully.
    pub(crate) fn remove_member(
        &mut self,
        broker: &mut Broker,
        now: i64,
    ) -> Result<String, SimError> {
        let i = self
            .members
            .iter()
            .rposition(MemberSim::is_running)
            .ok_or_else(|| SimError::NoConsumer(self.spec.name.clone()))?;
        let mut m = self.members.remove(i);
        let mut env = Self::env(&self.spec, &mut self.tracks, broker, now);
        m.leave(&mut env, true, true);
        Ok(m.client_id().to_string())
    }

    /// Restarts the member that has run longest: it closes, and starts again after
    /// `downtime_ms` (keeping its instance id when the group is static).
    pub(crate) fn restart_member(
        &mut self,
        broker: &mut Broker,
        now: i64,
        downtime_ms: i64,
    ) -> Result<String, SimError> {
        let i = (0..self.members.len())
            .filter(|&i| self.members[i].is_running())
            .min_by_key(|&i| self.members[i].started_ms())
            .ok_or_else(|| SimError::NoConsumer(self.spec.name.clone()))?;
        let mut env = Self::env(&self.spec, &mut self.tracks, broker, now);
        self.members[i].restart(&mut env, downtime_ms);
        Ok(self.members[i].client_id().to_string())
    }

    /// Crashes a live member: the first one that owns partitions, else the newest.
    pub(crate) fn crash_member(&mut self) -> Result<String, SimError> {
        let i = self
            .members
            .iter()
            .position(|m| m.is_running() && m.owned_count() > 0)
            .or_else(|| self.members.iter().rposition(MemberSim::is_running))
            .ok_or_else(|| SimError::NoConsumer(self.spec.name.clone()))?;
        self.members[i].crash();
        Ok(self.members[i].client_id().to_string())
    }

    /// Advances every member by one tick ending at `now`; returns records processed.
    pub(crate) fn tick(&mut self, broker: &mut Broker, now: i64, dt_ms: i64) -> u64 {
        let mut processed = 0;
        let paused = self.paused;
        let mut env = Self::env(&self.spec, &mut self.tracks, broker, now);
        for m in &mut self.members {
            processed += m.tick(&mut env, dt_ms, paused);
        }
        // Crashed members disappear once the broker has expelled them.
        if self.members.iter().any(|m| !m.is_live()) {
            let group = broker.any_group(&self.spec.name);
            self.members.retain(|m| {
                m.is_live()
                    || m.member_id()
                        .is_some_and(|id| group.is_some_and(|g| g.has_member(id)))
            });
        }
        self.count_unowned(broker, dt_ms);
        processed
    }

    /// Adds this tick's unowned partition time. Two running members never hold one
    /// partition (an invariant), so the partitions held are the sum of what each holds.
    fn count_unowned(&mut self, broker: &Broker, dt_ms: i64) {
        let total: u64 = (self.spec.topics.iter())
            .filter_map(|t| broker.topic(t))
            .map(|t| u64::from(t.partition_count()))
            .sum();
        let held: u64 = (self.members.iter())
            .filter(|m| m.is_running())
            .map(|m| m.owned_count() as u64)
            .sum();
        self.unowned_ms += total.saturating_sub(held) * dt_ms.max(0) as u64;
    }

    /// An election cut `topic`-`partition` back to `to`, below what readers had seen: the
    /// positions past it come back (the consumer detects the truncation, KIP-320, and
    /// resumes at the new end), and the offsets there will hold new records, so reading
    /// them is not a repeat.
    pub(crate) fn after_truncation(&mut self, topic: &str, partition: u32, to: i64) {
        let Some(part) =
            (self.tracks.iter()).position(|t| t.tp.partition == partition && t.tp.topic == topic)
        else {
            return;
        };
        self.tracks[part].truncated(to);
        for m in &mut self.members {
            m.truncated(part, to);
        }
    }

    /// Counts records retention deleted before the group fetched them.
    pub(crate) fn after_retention(&mut self, broker: &Broker) {
        for t in &mut self.tracks {
            if let Ok(log) = broker.partition(&t.tp.topic, t.tp.partition) {
                t.retention_moved(log.log_start_offset());
            }
        }
    }

    /// Kafka only resets the offsets of an empty group, so: every live member leaves, the
    /// offsets move, and as many new members join. Each step is a broker event.
    pub(crate) fn reset_offsets(
        &mut self,
        broker: &mut Broker,
        to: ResetSpec,
        now: i64,
    ) -> Result<String, SimError> {
        let crashed = self.members.iter().filter(|m| !m.is_live()).count();
        if crashed > 0 {
            return Err(SimError::Broker(
                crate::broker::BrokerError::GroupNotEmpty {
                    group: self.spec.name.clone(),
                    members: crashed,
                },
            ));
        }
        if let Some(t) = self.spec.topics.iter().find(|t| broker.topic(t).is_none()) {
            // Checked before anyone leaves, so a refused reset changes nothing.
            return Err(SimError::UnknownTopic(t.clone()));
        }
        let n = self.members.len();
        let mut env = Self::env(&self.spec, &mut self.tracks, broker, now);
        for m in &mut self.members {
            m.leave(&mut env, false, true);
        }
        self.members.clear();
        let targets = broker.reset_offsets(&self.spec.name, &self.spec.topics, to, now)?;
        for (tp, offset) in targets {
            let i = track_index(&mut self.tracks, tp);
            self.tracks[i].reset_to(offset);
        }
        for _ in 0..n {
            self.add_member(broker, now);
        }
        Ok(format!(
            "{}: {n} member(s) left, offsets reset to {to}, {n} rejoining",
            self.spec.name
        ))
    }
}
