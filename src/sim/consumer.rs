//! Simulated consumer groups: members that join, sync, heartbeat, poll, process and commit
//! through the broker's real group protocol, and the at-least-once counters around them.

mod member;
mod tracking;

pub use member::{MemberSim, MemberState};

use crate::broker::{Broker, ResetSpec, TopicPartition};

use super::error::SimError;
use super::scenario::GroupSpec;
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
    /// Duplicates on one partition.
    pub fn partition_duplicates(&self, tp: &TopicPartition) -> u64 {
        self.tracks
            .iter()
            .find(|t| &t.tp == tp)
            .map_or(0, |t| t.duplicates)
    }
    /// Losses on one partition.
    pub fn partition_lost(&self, tp: &TopicPartition) -> u64 {
        self.tracks
            .iter()
            .find(|t| &t.tp == tp)
            .map_or(0, |t| t.lost)
    }
    /// Whether the members are paused (heartbeating, not polling).
    pub fn paused(&self) -> bool {
        self.paused
    }
    /// Records processed in the last simulated second.
    pub fn consume_rate(&self) -> f64 {
        self.consume_rate
    }
    /// Members in creation order, crashed ones included until the broker expels them.
    pub fn members(&self) -> &[MemberSim] {
        &self.members
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

    /// Starts a member; it sends JoinGroup at once. Returns its client id.
    pub(crate) fn add_member(&mut self, broker: &mut Broker, now: i64) -> String {
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
            .rposition(MemberSim::is_live)
            .ok_or_else(|| SimError::NoConsumer(self.spec.name.clone()))?;
        let mut m = self.members.remove(i);
        let mut env = Self::env(&self.spec, &mut self.tracks, broker, now);
        m.leave(&mut env, true);
        Ok(m.client_id().to_string())
    }

    /// Crashes a live member: the first one that owns partitions, else the newest.
    pub(crate) fn crash_member(&mut self) -> Result<String, SimError> {
        let i = self
            .members
            .iter()
            .position(|m| m.is_live() && m.owned_count() > 0)
            .or_else(|| self.members.iter().rposition(MemberSim::is_live))
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
            let group = broker.group(&self.spec.name);
            self.members.retain(|m| {
                m.is_live()
                    || m.member_id()
                        .is_some_and(|id| group.is_some_and(|g| g.member(id).is_some()))
            });
        }
        processed
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
            m.leave(&mut env, false);
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
