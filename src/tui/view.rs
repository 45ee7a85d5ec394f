//! The per-frame snapshot the panes draw from. It is plain data, taken once per frame
//! while the broker's read lock is held, so the widgets never touch the simulation and
//! tests can build one by hand.
//!
//! Everything in it is bounded by the screen, not by the logs: a partition carries only
//! its newest records' key shades (as many as a strip can show), and the event list only
//! as many lines as a pane can hold.

mod broker;
mod cluster;
mod observe;
mod server;
mod sim;

use crate::broker::{BrokerId, BrokerState, GroupState};
use crate::sim::{GroupLag, MemberState, Verdict};

use super::app::Selectable;

pub use broker::{BrokerOptions, fill_from_broker};
pub use cluster::fill_cluster;
pub use observe::{CHART_POINTS, ObservedScreen, fill_from_observation, fill_observed_header};
pub use server::fill_from_server;
pub use sim::{CAPTION_FRESH_MS, Limits, fill_from_sim};

/// Whether simulated time is moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunState {
    #[default]
    /// Time moves.
    Running,
    /// Time stands still.
    Paused,
    /// Presenter mode is holding at a timeline beat until `n`.
    HeldAtBeat,
}

/// The network server's address and how many clients are connected, when it runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerInfo {
    /// The address it listens on.
    pub listen: String,
    /// Clients connected now.
    pub connections: usize,
}

/// How simulated time runs, for the header.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SimClock {
    /// The speed asked for.
    pub speed: f64,
    /// The speed the simulation actually reached, when clearly below `speed` (the machine
    /// cannot keep up).
    pub reached_speed: Option<f64>,
    /// Whether time moves.
    pub run_state: RunState,
    /// The seed.
    pub seed: u64,
}

/// What the header shows. Each source fills what it knows; a field it cannot know is
/// `None` and is not drawn.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header {
    /// What the screen shows: the scenario's name, or the cluster observed.
    pub title: String,
    /// The screen's clock in milliseconds: simulated time, or the time since observing
    /// began. Events and the user's notices are stamped on it.
    pub now_ms: i64,
    /// Speed, run state and seed of the simulated time; `None` when nothing on screen is
    /// simulated, and then keys that act on a simulation are refused with a notice.
    pub sim: Option<SimClock>,
    /// The cluster's id, when the source reports one.
    pub cluster_id: Option<String>,
    /// How long ago the data on screen was read, when it is read by polling.
    pub data_age_ms: Option<i64>,
    /// What is wrong with the source the whole screen depends on (a cluster that does not
    /// answer, and when it is tried again), drawn first in the alarm colour.
    pub alert: Option<String>,
    /// Records produced per second, all topics.
    pub produce_rate: f64,
    /// Records processed per second, all groups.
    pub consume_rate: f64,
    /// The network server, when it runs.
    pub server: Option<ServerInfo>,
}

impl Header {
    /// Whether keys that act on a simulation can act here.
    pub fn simulated(&self) -> bool {
        self.sim.is_some()
    }

    /// Where presenter mode holds, or runs, when there is simulated time.
    pub fn run_state(&self) -> Option<RunState> {
        self.sim.map(|s| s.run_state)
    }
}

/// A group's committed offset on one partition, as a strip marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMark {
    /// The group's colour and letter slot.
    pub slot: usize,
    /// Its committed offset here, if any.
    pub committed: Option<i64>,
    /// Its lag here, when known.
    pub lag: Option<i64>,
}

/// One partition's strip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionView {
    /// The partition index.
    pub partition: u32,
    /// The first offset still held.
    pub log_start: i64,
    /// The end of what readers may see.
    pub high_watermark: i64,
    /// Key shades of the newest records, oldest first; the last is at [`Self::log_end`]
    /// − 1. `None` is a record without a key. Empty when the source does not read records.
    pub tail: Vec<Option<u8>>,
    /// Each group's committed offset on it.
    pub marks: Vec<GroupMark>,
    /// Leader, replicas and ISR, when the broker is a cluster of more than one.
    pub replication: Option<ReplicationView>,
}

impl PartitionView {
    /// Where the next record goes: past the high watermark while followers have records
    /// still to copy.
    pub fn log_end(&self) -> i64 {
        self.replication
            .as_ref()
            .map_or(self.high_watermark, |r| r.log_end)
    }
}

/// One replica of a partition: how far its copy of the leader's log reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplicaView {
    /// The broker holding this replica.
    pub broker: BrokerId,
    /// Its log end offset: the next offset it will copy.
    pub leo: i64,
    /// Whether it is in the ISR.
    pub in_sync: bool,
}

/// A partition's replication, for its strip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ReplicationView {
    /// `None` while the partition is offline.
    pub leader: Option<BrokerId>,
    /// The leader epoch: one more for each election.
    pub epoch: i32,
    /// Every replica, the preferred leader first.
    pub replicas: Vec<ReplicaView>,
    /// In-sync replicas in the broker's order (the leader is one of them).
    pub isr: Vec<BrokerId>,
    /// The leader's log end offset: records from the high watermark to here are on the
    /// leader only, not yet readable.
    pub log_end: i64,
    /// Records ever cut from this partition's end by elections.
    pub truncated: u64,
    /// Offsets the last election cut that no new record has taken again yet, `from..to`
    /// with `from` the log end: the strip shows them past the end.
    pub cut: Option<(i64, i64)>,
}

impl ReplicationView {
    /// Whether no broker leads: nothing can be produced or read.
    pub fn is_offline(&self) -> bool {
        self.leader.is_none()
    }

    /// The followers short of the leader's end, with their log end offsets: the ones a
    /// strip marks. Followers with everything the leader has sit at the end, unmarked.
    pub fn lagging_followers(&self) -> impl Iterator<Item = (BrokerId, i64)> + '_ {
        self.replicas
            .iter()
            .filter(|r| Some(r.broker) != self.leader && r.leo < self.log_end)
            .map(|r| (r.broker, r.leo))
    }
}

/// One broker of a cluster, as the brokers pane shows it: a simulated cluster's, or an
/// observed one's.
#[derive(Debug, Clone, PartialEq)]
pub struct BrokerView {
    /// Its id: the digit that marks its replicas on the strips.
    pub id: BrokerId,
    /// Its rack, when the scenario or the cluster gives racks.
    pub rack: Option<String>,
    /// Where it listens, for an observed cluster.
    pub host: Option<String>,
    /// Up, crashed or stopped; an observed broker gone from the metadata is down.
    pub state: BrokerState,
    /// While slow, the records per second its followers copy.
    pub slow: Option<f64>,
    /// Partitions it leads.
    pub leads: u32,
    /// Partitions it holds a follower replica of.
    pub follows: u32,
    /// Records its follower replicas have still to copy, over every partition it follows;
    /// `None` where followers' log ends are not published (an observed cluster).
    pub behind: Option<i64>,
    /// Its follower replicas out of the ISR.
    pub out_of_sync: u32,
}

impl BrokerView {
    /// A broker in `state` that leads and follows nothing yet, for a source to fill.
    pub fn new(id: BrokerId, state: BrokerState) -> Self {
        BrokerView {
            id,
            rack: None,
            host: None,
            state,
            slow: None,
            leads: 0,
            follows: 0,
            behind: Some(0),
            out_of_sync: 0,
        }
    }
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicView {
    /// The topic name.
    pub name: String,
    /// Its partitions.
    pub partitions: Vec<PartitionView>,
}

/// A group's committed offset and lag on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetView {
    /// The topic.
    pub topic: String,
    /// The partition index.
    pub partition: u32,
    /// The committed offset, if any.
    pub committed: Option<i64>,
    /// The lag, when known.
    pub lag: Option<i64>,
    /// The age of the oldest record the group has not processed here, when known.
    pub time_lag_ms: Option<i64>,
    /// Nobody is working on it: mid-rebalance it has no owner or is being given up, or its
    /// owner crashed or is restarting. What the report's `unowned_partition_ms` adds up.
    pub paused: bool,
}

/// A member and the partitions it owns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberView {
    /// The member id.
    pub id: String,
    /// Where a simulated member stands, as its client sees it, when the simulation runs
    /// it. A crashed member stays listed until its session expires.
    pub state: Option<MemberState>,
    /// `(topic, partition)` pairs, sorted.
    pub partitions: Vec<(String, u32)>,
    /// The `client.id` it connected with, for a member that is a real client.
    pub client_id: Option<String>,
    /// Where it connects from, as Kafka shows it (`/10.0.0.7`), for a real client.
    pub host: Option<String>,
}

/// Whether a group is settled, moving partitions, or idle: how its state word is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum GroupPhase {
    /// Every member has its assignment.
    #[default]
    Stable,
    /// Partitions are moving, or the state is one this program has no name for.
    Rebalancing,
    /// No members, or the group is gone.
    Idle,
}

impl GroupPhase {
    /// The phase of a group the broker holds.
    pub fn of(state: GroupState) -> Self {
        match state {
            GroupState::Stable => GroupPhase::Stable,
            GroupState::PreparingRebalance
            | GroupState::CompletingRebalance
            | GroupState::Assigning
            | GroupState::Reconciling => GroupPhase::Rebalancing,
            GroupState::Empty | GroupState::Dead => GroupPhase::Idle,
        }
    }

    /// The phase of a state as a coordinator names it: the classic protocol's and
    /// KIP-848's (`Assigning`, `Reconciling`). A name not known here is worth a look.
    pub fn from_name(name: &str) -> Self {
        match name {
            "Stable" => GroupPhase::Stable,
            "Empty" | "Dead" => GroupPhase::Idle,
            _ => GroupPhase::Rebalancing,
        }
    }
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupView {
    /// The group id.
    pub name: String,
    /// Its colour and letter slot.
    pub slot: usize,
    /// The state as the group's coordinator names it: `Stable`, `PreparingRebalance`, ...
    pub state: String,
    /// Whether it is settled, moving partitions or idle.
    pub phase: GroupPhase,
    /// The generation, or a consumer-protocol group's epoch; `None` when the source cannot
    /// see it (Kafka's read APIs do not publish a classic group's generation).
    pub generation: Option<i32>,
    /// How it rebalances, as `protocol assignor` (`classic range`, `consumer uniform`);
    /// empty when the source does not say.
    pub protocol: String,
    /// Members by id.
    pub members: Vec<MemberView>,
    /// One entry for every partition of every subscribed topic, by topic then partition.
    pub offsets: Vec<OffsetView>,
    /// Lag summed over its partitions.
    pub total_lag: i64,
    /// Records processed per second.
    pub consume_rate: f64,
    /// Records processed per simulated second by one consumer, when the simulation runs it.
    pub process_rate: Option<f64>,
    /// Records processed more than once; `None` when the source cannot know (only a
    /// simulation sees what its consumers processed).
    pub duplicates: Option<u64>,
    /// Records retention deleted before the group read them; `None` when unknown.
    pub lost: Option<u64>,
    /// Total lag over time: `(simulated seconds, lag)`, oldest first.
    pub lag_history: Vec<(f64, f64)>,
    /// The age of the oldest record the group has not processed, over its partitions.
    pub time_lag_ms: Option<i64>,
    /// When the lag will be gone at the current rates; `None` when it is not draining.
    pub eta_ms: Option<i64>,
    /// Burrow's status with the rule that decided it, once a source has judged the group.
    pub verdict: Option<Verdict>,
    /// The age of the oldest unprocessed record over time: `(simulated seconds, ms)`.
    pub time_lag_history: Vec<(f64, f64)>,
}

impl GroupView {
    /// A group in `state` with nothing else known yet: the fields a source measures
    /// start empty, for it to fill.
    pub fn new(name: &str, slot: usize, state: &str, phase: GroupPhase) -> Self {
        GroupView {
            name: name.to_string(),
            slot,
            state: state.to_string(),
            phase,
            generation: None,
            protocol: String::new(),
            members: Vec::new(),
            offsets: Vec::new(),
            total_lag: 0,
            consume_rate: 0.0,
            process_rate: None,
            duplicates: None,
            lost: None,
            lag_history: Vec::new(),
            time_lag_ms: None,
            eta_ms: None,
            verdict: None,
            time_lag_history: Vec::new(),
        }
    }

    /// The offset view of one partition, if the group reads it. Offsets are sorted, so
    /// this is a binary search: the groups pane asks it for every cell it draws.
    pub fn offset(&self, topic: &str, partition: u32) -> Option<&OffsetView> {
        self.offsets
            .binary_search_by(|o| (o.topic.as_str(), o.partition).cmp(&(topic, partition)))
            .ok()
            .map(|i| &self.offsets[i])
    }

    /// Fills the lag measures from whoever judged the group: the simulation from its own
    /// history, or an observer from its polls, through the same [`crate::sim::lag`].
    pub fn set_lag_measures(&mut self, lag: &GroupLag) {
        self.time_lag_ms = lag.time_lag_ms;
        self.eta_ms = lag.eta_ms;
        self.verdict = Some(lag.verdict.clone());
    }

    /// Sets one partition's time lag, if the group reads that partition.
    pub fn set_partition_time_lag(&mut self, topic: &str, partition: u32, ms: Option<i64>) {
        if let Ok(i) = self
            .offsets
            .binary_search_by(|o| (o.topic.as_str(), o.partition).cmp(&(topic, partition)))
        {
            self.offsets[i].time_lag_ms = ms;
        }
    }
}

/// A simulated producer.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerView {
    /// Its name.
    pub name: String,
    /// The topic it writes.
    pub topic: String,
    /// Records per simulated second.
    pub rate: f64,
    /// How keys are chosen, e.g. "uniform/16" or "none".
    pub keys: String,
    /// How keys choose partitions.
    pub partitioner: String,
    /// Records appended so far.
    pub produced: u64,
}

/// What kind of line an events-pane entry is, for its style and its marker glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClass {
    /// A rebalance started or completed.
    Rebalance,
    /// A member joined or left.
    Membership,
    /// Retention removed records.
    Retention,
    /// Offsets were reset.
    Reset,
    /// A topic was created, grown or deleted.
    Topic,
    /// A timeline caption.
    Caption,
    /// A broker crashed, stopped, came back, slowed or healed; a coordinator moved.
    Broker,
    /// An ISR shrank or grew; a partition got a leader in a clean election.
    Replication,
    /// Data or availability at risk: an unclean election, a log cut, a partition
    /// offline, produces refused for too few in-sync replicas.
    Hazard,
    /// The result of a user's command.
    Command,
    /// A command that failed.
    Error,
}

/// One line of the events pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    /// When it happened.
    pub time_ms: i64,
    /// What kind of line it is.
    pub class: EventClass,
    /// The text.
    pub text: String,
}

/// The caption banner's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    /// The caption.
    pub text: String,
    /// Presenter mode is waiting for `n` before this beat fires.
    pub held: bool,
}

/// Everything a frame shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct View {
    /// The header line.
    pub header: Header,
    /// Partitions with fewer replicas in sync than they have, over the topics on screen
    /// (counted for an observed cluster, whose header shows them).
    pub under_replicated: usize,
    /// Partitions no broker leads, over the topics on screen.
    pub offline: usize,
    /// Every topic.
    pub topics: Vec<TopicView>,
    /// Every group.
    pub groups: Vec<GroupView>,
    /// Every producer.
    pub producers: Vec<ProducerView>,
    /// The cluster's brokers in id order; empty for a single broker, whose screen has no
    /// brokers pane.
    pub brokers: Vec<BrokerView>,
    /// Oldest first.
    pub events: Vec<EventLine>,
    /// The caption banner, while fresh.
    pub caption: Option<Caption>,
}

impl View {
    /// Puts the events in time order after the broker's events, captions and command
    /// results were added from their separate sources. The sort is stable, so events at
    /// the same millisecond keep the order they happened in.
    pub fn sort_events(&mut self) {
        self.events.sort_by_key(|e| e.time_ms);
    }

    /// How many topics, group rows and events the selection can point at.
    pub fn selectable(&self) -> Selectable {
        Selectable {
            topics: self.topics.len(),
            group_rows: self.group_rows().count(),
            events: self.events.len(),
            brokers: self.brokers.len(),
        }
    }

    /// The rows of the groups pane: each group, then each of its members.
    pub fn group_rows(&self) -> impl Iterator<Item = GroupRow> + '_ {
        self.groups.iter().enumerate().flat_map(|(g, group)| {
            std::iter::once(GroupRow {
                group: g,
                member: None,
            })
            .chain((0..group.members.len()).map(move |m| GroupRow {
                group: g,
                member: Some(m),
            }))
        })
    }

    /// The group (and member) on groups-pane row `row`.
    pub fn group_row(&self, row: usize) -> Option<GroupRow> {
        self.group_rows().nth(row)
    }
}

/// A row of the groups pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupRow {
    /// Index into the view's groups.
    pub group: usize,
    /// The member's index, or `None` for the group's own row.
    pub member: Option<usize>,
}

/// A key's shade: a cheap, stable hash (FNV-1a) folded into the theme's shade count, so
/// the same key always gets the same colour on every partition and every run.
pub fn key_shade(key: &[u8]) -> u8 {
    let mut h: u32 = 0x811c_9dc5;
    for b in key {
        h ^= u32::from(*b);
        h = h.wrapping_mul(0x0100_0193);
    }
    (h % super::theme::KEY_SHADES as u32) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_shade_is_stable_and_spread() {
        assert_eq!(key_shade(b"k1"), key_shade(b"k1"));
        let shades: std::collections::BTreeSet<u8> = (0..64)
            .map(|i| key_shade(format!("key-{i}").as_bytes()))
            .collect();
        assert!(shades.len() > 4, "{shades:?}");
    }
}
