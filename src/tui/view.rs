//! The per-frame snapshot the panes draw from. It is plain data, taken once per frame
//! while the broker's read lock is held, so the widgets never touch the simulation and
//! tests can build one by hand.
//!
//! Everything in it is bounded by the screen, not by the logs: a partition carries only
//! its newest records' key shades (as many as a strip can show), and the event list only
//! as many lines as a pane can hold.

mod broker;
mod server;
mod sim;

use crate::broker::GroupState;
use crate::sim::{GroupLag, MemberState, Verdict};

use super::app::Selectable;

pub use broker::{BrokerOptions, fill_from_broker};
pub use server::fill_from_server;
pub use sim::{CAPTION_FRESH_MS, Limits, fill_from_sim};

/// Whether simulated time is moving.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RunState {
    #[default]
    Running,
    Paused,
    /// Presenter mode is holding at a timeline beat until `n`.
    HeldAtBeat,
}

/// The network server's address and how many clients are connected, when it runs.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ServerInfo {
    pub listen: String,
    pub connections: usize,
}

/// What the header shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Header {
    pub scenario: String,
    pub sim_time_ms: i64,
    pub speed: f64,
    /// The speed the simulation actually reached, when clearly below `speed` (the machine
    /// cannot keep up).
    pub reached_speed: Option<f64>,
    pub run_state: RunState,
    pub seed: u64,
    /// Records produced per simulated second, all topics.
    pub produce_rate: f64,
    /// Records processed per simulated second, all groups.
    pub consume_rate: f64,
    pub server: Option<ServerInfo>,
}

/// A group's committed offset on one partition, as a strip marks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GroupMark {
    /// The group's colour and letter slot.
    pub slot: usize,
    pub committed: Option<i64>,
    pub lag: Option<i64>,
}

/// One partition's strip.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PartitionView {
    pub partition: u32,
    pub log_start: i64,
    pub high_watermark: i64,
    /// Key shades of the newest records, oldest first; the last is at `high_watermark - 1`.
    /// `None` is a record without a key.
    pub tail: Vec<Option<u8>>,
    pub marks: Vec<GroupMark>,
}

/// A topic and its partitions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TopicView {
    pub name: String,
    pub partitions: Vec<PartitionView>,
}

/// A group's committed offset and lag on one partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetView {
    pub topic: String,
    pub partition: u32,
    pub committed: Option<i64>,
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
    pub id: String,
    /// Where a simulated member stands, as its client sees it, when the simulation runs
    /// it. A crashed member stays listed until its session expires.
    pub state: Option<MemberState>,
    /// `(topic, partition)` pairs, sorted.
    pub partitions: Vec<(String, u32)>,
}

/// A consumer group.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupView {
    pub name: String,
    pub slot: usize,
    pub state: GroupState,
    /// The generation, or a consumer-protocol group's epoch.
    pub generation: i32,
    /// How it rebalances, as `protocol assignor`: `classic range`, `consumer uniform`.
    pub protocol: String,
    pub members: Vec<MemberView>,
    /// One entry for every partition of every subscribed topic.
    pub offsets: Vec<OffsetView>,
    pub total_lag: i64,
    /// Records processed per simulated second.
    pub consume_rate: f64,
    /// Records processed per simulated second by one consumer, when the simulation runs it.
    pub process_rate: Option<f64>,
    pub duplicates: u64,
    pub lost: u64,
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
    /// Fills the lag measures from whoever judged the group: the simulation from its own
    /// history, or an observer from its polls, through the same [`crate::sim::lag`].
    pub fn set_lag_measures(&mut self, lag: &GroupLag) {
        self.time_lag_ms = lag.time_lag_ms;
        self.eta_ms = lag.eta_ms;
        self.verdict = Some(lag.verdict.clone());
    }

    /// Sets one partition's time lag, if the group reads that partition.
    pub fn set_partition_time_lag(&mut self, topic: &str, partition: u32, ms: Option<i64>) {
        if let Some(o) = self
            .offsets
            .iter_mut()
            .find(|o| o.partition == partition && o.topic == topic)
        {
            o.time_lag_ms = ms;
        }
    }
}

/// A simulated producer.
#[derive(Debug, Clone, PartialEq)]
pub struct ProducerView {
    pub name: String,
    pub topic: String,
    pub rate: f64,
    /// How keys are chosen, e.g. "uniform/16" or "none".
    pub keys: String,
    pub partitioner: String,
    pub produced: u64,
}

/// What kind of line an events-pane entry is, for its style and its marker glyph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventClass {
    Rebalance,
    Membership,
    Retention,
    Reset,
    Topic,
    /// A timeline caption.
    Caption,
    /// The result of a user's command.
    Command,
    /// A command that failed.
    Error,
}

/// One line of the events pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventLine {
    pub time_ms: i64,
    pub class: EventClass,
    pub text: String,
}

/// The caption banner's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caption {
    pub text: String,
    /// Presenter mode is waiting for `n` before this beat fires.
    pub held: bool,
}

/// Everything a frame shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct View {
    pub header: Header,
    pub topics: Vec<TopicView>,
    pub groups: Vec<GroupView>,
    pub producers: Vec<ProducerView>,
    /// Oldest first.
    pub events: Vec<EventLine>,
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
    pub group: usize,
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
