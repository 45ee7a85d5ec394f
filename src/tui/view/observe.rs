//! A frame filled from an observed cluster: the newest snapshot and the lag histories of
//! an [`Observation`], into the same [`View`] the simulation fills, so no widget knows
//! which it draws. What the observation keeps only for its verdict window (ten polls) the
//! screen keeps longer in an [`ObservedScreen`]: each group's lag over time for the chart,
//! rates between polls, the colour slot of each group and the brokers seen so far.
//!
//! Times on screen are the wall clock's, shown as time since observing began.

use std::collections::{BTreeMap, BTreeSet, VecDeque};

use crate::broker::BrokerState;
use crate::server::observe::events::ObservedEvent;
use crate::server::observe::snapshot::{
    ClusterSnapshot, GroupProtocol, GroupSnapshot, PartitionSnapshot,
};
use crate::server::observe::{Observation, Reachability};
use crate::sim::GroupLag;

use super::super::app::App;
use super::super::text::Age;
use super::sim::add_notices;
use super::{
    BrokerView, EventClass, EventLine, GroupMark, GroupPhase, GroupView, Header, Limits,
    MemberView, OffsetView, PartitionView, ReplicaView, ReplicationView, TopicView, View,
};

/// Points kept per group for the lag chart: an hour of polls at the default 2 s.
pub const CHART_POINTS: usize = 1_800;

/// A group's lag over the polls, for the chart: `(seconds since observing began, value)`.
#[derive(Debug, Clone, Default)]
struct LagSeries {
    records: VecDeque<(f64, f64)>,
    time_ms: VecDeque<(f64, f64)>,
}

impl LagSeries {
    fn push(&mut self, secs: f64, lag: &GroupLag) {
        bounded(&mut self.records, (secs, lag.lag as f64));
        if let Some(ms) = lag.time_lag_ms {
            bounded(&mut self.time_ms, (secs, ms as f64));
        }
    }
}

fn bounded(series: &mut VecDeque<(f64, f64)>, point: (f64, f64)) {
    if series.len() == CHART_POINTS {
        series.pop_front();
    }
    series.push_back(point);
}

/// What a poll's offsets add up to, to turn two polls into rates.
#[derive(Debug, Clone, Default)]
struct Totals {
    at_ms: i64,
    high_watermarks: i64,
    committed: BTreeMap<String, i64>,
}

impl Totals {
    fn of(snap: &ClusterSnapshot) -> Self {
        let high_watermarks = snap
            .topics
            .values()
            .flat_map(|t| &t.partitions)
            .filter_map(|p| p.high_watermark)
            .sum();
        let committed = snap
            .groups
            .iter()
            .map(|(name, g)| {
                (
                    name.clone(),
                    g.committed.values().flat_map(|c| c.values()).sum(),
                )
            })
            .collect();
        Totals {
            at_ms: snap.at_ms,
            high_watermarks,
            committed,
        }
    }
}

/// What the screen of an observed cluster remembers across polls. See the module docs.
#[derive(Debug, Clone)]
pub struct ObservedScreen {
    title: String,
    started_ms: i64,
    polls_seen: u64,
    slots: BTreeMap<String, usize>,
    next_slot: usize,
    charts: BTreeMap<String, LagSeries>,
    measures: BTreeMap<String, GroupLag>,
    brokers_seen: BTreeSet<i32>,
    totals: Option<Totals>,
    produce_rate: f64,
    consume_rates: BTreeMap<String, f64>,
    retry_at_ms: Option<i64>,
}

impl ObservedScreen {
    /// A screen titled `title` (what is observed, such as the bootstrap brokers), observing
    /// since wall-clock `started_ms`.
    pub fn new(title: impl Into<String>, started_ms: i64) -> Self {
        ObservedScreen {
            title: title.into(),
            started_ms,
            polls_seen: 0,
            slots: BTreeMap::new(),
            next_slot: 0,
            charts: BTreeMap::new(),
            measures: BTreeMap::new(),
            brokers_seen: BTreeSet::new(),
            totals: None,
            produce_rate: 0.0,
            consume_rates: BTreeMap::new(),
            retry_at_ms: None,
        }
    }

    /// Milliseconds from the start of observing to wall-clock `now_ms`: the screen's clock,
    /// which events and notices are stamped on.
    pub fn elapsed_ms(&self, now_ms: i64) -> i64 {
        now_ms - self.started_ms
    }

    /// When the poller tries again after a failed poll, for the header's notice; `None`
    /// once a poll succeeds.
    pub fn set_retry_at(&mut self, at_ms: Option<i64>) {
        self.retry_at_ms = at_ms;
    }

    /// Takes in the polls applied to `obs` since the last call: one chart point, the
    /// rates and the verdicts per group. Only the newest poll is kept by the observation,
    /// so polls applied between two calls count as one.
    fn catch_up(&mut self, obs: &Observation) {
        if obs.polls() == self.polls_seen {
            return;
        }
        self.polls_seen = obs.polls();
        let Some(snap) = obs.latest() else {
            return;
        };
        let secs = (snap.at_ms - self.started_ms) as f64 / 1000.0;
        self.measures.clear();
        for name in snap.groups.keys() {
            if !self.slots.contains_key(name) {
                self.slots.insert(name.clone(), self.next_slot);
                self.next_slot += 1;
            }
            if let Some(lag) = obs.group_lag(name) {
                self.charts
                    .entry(name.clone())
                    .or_default()
                    .push(secs, &lag);
                self.measures.insert(name.clone(), lag);
            }
        }
        self.charts.retain(|name, _| snap.groups.contains_key(name));
        self.brokers_seen.extend(snap.brokers.iter().map(|b| b.id));
        self.take_rates(Totals::of(snap));
    }

    /// Records per second produced and committed between the previous poll and this one.
    fn take_rates(&mut self, now: Totals) {
        if let Some(prev) = &self.totals
            && now.at_ms > prev.at_ms
        {
            let secs = (now.at_ms - prev.at_ms) as f64 / 1000.0;
            let rate = |from: i64, to: i64| (to - from).max(0) as f64 / secs;
            self.produce_rate = rate(prev.high_watermarks, now.high_watermarks);
            self.consume_rates = now
                .committed
                .iter()
                .filter_map(|(g, c)| Some((g.clone(), rate(*prev.committed.get(g)?, *c))))
                .collect();
        }
        self.totals = Some(now);
    }
}

/// Fills `view` from what `obs` has seen, at wall-clock `now_ms`, with the user's notices
/// from `app`, whose selection is then fitted to the view.
pub fn fill_from_observation(
    obs: &Observation,
    screen: &mut ObservedScreen,
    app: &mut App,
    limits: Limits,
    now_ms: i64,
    view: &mut View,
) {
    screen.catch_up(obs);
    view.topics.clear();
    view.groups.clear();
    view.producers.clear();
    view.events.clear();
    view.caption = None;
    if let Some(snap) = obs.latest() {
        view.groups = snap
            .groups
            .iter()
            .map(|(name, g)| group_view(obs, screen, name, g))
            .collect();
        fill_topics(snap, view);
        fill_brokers(snap, screen, view);
    }
    fill_events(obs, screen, view);
    add_notices(app, limits.event_lines, view);
    fill_observed_header(obs, screen, now_ms, view);
    app.clamp_selection(view.selectable());
}

/// Fills only the header: what changes between polls is the data's age and the retry
/// countdown, and redrawing them must not rebuild the rest of the view.
pub fn fill_observed_header(
    obs: &Observation,
    screen: &ObservedScreen,
    now_ms: i64,
    view: &mut View,
) {
    let snap = obs.latest();
    view.header = Header {
        title: screen.title.clone(),
        now_ms: screen.elapsed_ms(now_ms),
        sim: None,
        cluster_id: snap.and_then(|s| s.cluster_id.clone()),
        data_age_ms: snap.map(|s| (now_ms - s.at_ms).max(0)),
        alert: alert(obs.reachability(), screen.retry_at_ms, now_ms),
        produce_rate: screen.produce_rate,
        consume_rate: screen.consume_rates.values().sum(),
        server: None,
    };
}

/// The header's notice about the cluster: none while it answers.
fn alert(reach: &Reachability, retry_at_ms: Option<i64>, now_ms: i64) -> Option<String> {
    match reach {
        Reachability::Reachable => None,
        Reachability::Connecting => Some("connecting…".to_string()),
        Reachability::Retrying {
            since_ms,
            attempts,
            error,
        } => {
            let retry = match retry_at_ms {
                Some(at) if at > now_ms => format!("retrying in {}", Age(at - now_ms)),
                _ => "retrying".to_string(),
            };
            let tries = if *attempts == 1 { "try" } else { "tries" };
            Some(format!(
                "unreachable for {} ({attempts} {tries}), {retry}: {error}",
                Age(now_ms - since_ms)
            ))
        }
    }
}

fn group_view(
    obs: &Observation,
    screen: &ObservedScreen,
    name: &str,
    g: &GroupSnapshot,
) -> GroupView {
    let slot = screen.slots.get(name).copied().unwrap_or(0);
    let mut view = GroupView::new(name, slot, &g.state, GroupPhase::from_name(&g.state));
    view.generation = g.epoch;
    let protocol = match g.protocol {
        GroupProtocol::Classic => "classic",
        GroupProtocol::Consumer => "consumer",
    };
    view.protocol = match &g.assignor {
        Some(a) => format!("{protocol} {a}"),
        None => protocol.to_string(),
    };
    view.members = g
        .members
        .iter()
        .map(|m| MemberView {
            id: m.member_id.clone(),
            state: None,
            partitions: m.assignment.clone(),
            client_id: Some(m.client_id.clone()),
            host: Some(m.host.clone()),
        })
        .collect();
    // In topic then partition order, as the view's lookups need.
    view.offsets = obs
        .offsets(name)
        .into_iter()
        .map(|r| OffsetView {
            topic: r.topic,
            partition: r.partition,
            committed: r.committed,
            lag: Some(r.lag),
            time_lag_ms: r.time_lag_ms,
            // Who is working on what between polls is not published.
            paused: false,
        })
        .collect();
    view.total_lag = view.offsets.iter().filter_map(|o| o.lag).sum();
    view.consume_rate = screen.consume_rates.get(name).copied().unwrap_or(0.0);
    if let Some(lag) = screen.measures.get(name) {
        view.set_lag_measures(lag);
    }
    if let Some(chart) = screen.charts.get(name) {
        view.lag_history = chart.records.iter().copied().collect();
        view.time_lag_history = chart.time_ms.iter().copied().collect();
    }
    view
}

fn fill_topics(snap: &ClusterSnapshot, view: &mut View) {
    let mut marks = marks_by_partition(snap, &view.groups);
    let (mut under_replicated, mut offline) = (0, 0);
    for (name, t) in &snap.topics {
        let mut topic_marks = marks.remove(name.as_str()).unwrap_or_default().into_iter();
        let partitions: Vec<PartitionView> = t
            .partitions
            .iter()
            .map(|p| {
                under_replicated += usize::from(p.isr.len() < p.replicas.len());
                offline += usize::from(!p.replicas.is_empty() && p.leader.is_none());
                let high_watermark = p.high_watermark.unwrap_or(0);
                PartitionView {
                    partition: p.partition,
                    log_start: p.log_start.unwrap_or(0),
                    high_watermark,
                    tail: Vec::new(),
                    marks: topic_marks.next().unwrap_or_default(),
                    replication: replication(p, high_watermark),
                }
            })
            .collect();
        view.topics.push(TopicView {
            name: name.clone(),
            partitions,
        });
    }
    view.under_replicated = under_replicated;
    view.offline = offline;
}

/// A partition's leader, replicas and ISR as Metadata gives them, for its strip; `None`
/// for a partition of one healthy replica, whose strip has nothing to add. Metadata does
/// not publish a follower's log end, so every replica is drawn as having the leader's
/// records: the ISR says which ones are behind.
fn replication(p: &PartitionSnapshot, high_watermark: i64) -> Option<ReplicationView> {
    if p.replicas.len() <= 1 && p.leader.is_some() {
        return None;
    }
    Some(ReplicationView {
        leader: p.leader,
        epoch: p.leader_epoch,
        replicas: (p.replicas.iter())
            .map(|&broker| ReplicaView {
                broker,
                leo: high_watermark,
                in_sync: p.isr.contains(&broker),
            })
            .collect(),
        isr: p.isr.clone(),
        log_end: high_watermark,
        truncated: 0,
        cut: None,
    })
}

/// Every group's marks, by topic, then by the partition's place in the snapshot: one walk
/// over the groups' offsets, rather than a lookup in every group for every partition (a
/// cluster of 10,000 partitions and 500 groups would make that five million).
fn marks_by_partition<'s>(
    snap: &'s ClusterSnapshot,
    groups: &[GroupView],
) -> BTreeMap<&'s str, Vec<Vec<GroupMark>>> {
    let mut marks: BTreeMap<&str, Vec<Vec<GroupMark>>> = snap
        .topics
        .iter()
        .map(|(name, t)| (name.as_str(), vec![Vec::new(); t.partitions.len()]))
        .collect();
    for g in groups {
        for o in &g.offsets {
            let Some((name, t)) = snap.topics.get_key_value(&o.topic) else {
                continue;
            };
            let Ok(at) = t
                .partitions
                .binary_search_by_key(&o.partition, |p| p.partition)
            else {
                continue;
            };
            if let Some(slot) = marks.get_mut(name.as_str()).and_then(|m| m.get_mut(at)) {
                slot.push(GroupMark {
                    slot: g.slot,
                    committed: o.committed,
                    lag: o.lag,
                });
            }
        }
    }
    marks
}

/// The brokers of the newest poll with their share of the partitions on screen, then the
/// ones seen before that are gone from the metadata, as down.
fn fill_brokers(snap: &ClusterSnapshot, screen: &ObservedScreen, view: &mut View) {
    let mut brokers: BTreeMap<i32, BrokerView> = snap
        .brokers
        .iter()
        .map(|b| {
            let mut view = BrokerView::new(b.id, BrokerState::Up);
            view.host = Some(format!("{}:{}", b.host, b.port));
            view.rack = b.rack.clone();
            view.behind = None;
            (b.id, view)
        })
        .collect();
    for id in &screen.brokers_seen {
        brokers.entry(*id).or_insert_with(|| {
            let mut gone = BrokerView::new(*id, BrokerState::Down);
            gone.behind = None;
            gone
        });
    }
    for p in snap.topics.values().flat_map(|t| &t.partitions) {
        for r in &p.replicas {
            let Some(b) = brokers.get_mut(r) else {
                continue;
            };
            if p.leader == Some(*r) {
                b.leads += 1;
            } else {
                b.follows += 1;
                b.out_of_sync += u32::from(!p.isr.contains(r));
            }
        }
    }
    view.brokers = brokers.into_values().collect();
}

/// Events from diffing the polls, stamped with the time since observing began.
fn fill_events(obs: &Observation, screen: &ObservedScreen, view: &mut View) {
    view.events.extend(obs.events().map(|e| EventLine {
        time_ms: e.at_ms - screen.started_ms,
        class: class_of(&e.event),
        text: e.event.to_string(),
    }));
}

fn class_of(event: &ObservedEvent) -> EventClass {
    use ObservedEvent::*;
    match event {
        Rebalanced { .. } | StateChanged { .. } | LeaderChanged { .. } | IsrChanged { .. } => {
            EventClass::Rebalance
        }
        MemberJoined { .. } | MemberLeft { .. } | BrokerJoined { .. } | BrokerLeft { .. } => {
            EventClass::Membership
        }
        TopicCreated { .. }
        | TopicDeleted { .. }
        | PartitionsAdded { .. }
        | GroupAppeared { .. }
        | GroupGone { .. } => EventClass::Topic,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::server::observe::snapshot::{
        BrokerSnapshot, MemberSnapshot, PartitionSnapshot, TopicSnapshot,
    };
    use crate::sim::Status;
    use crate::tui::Theme;

    const START: i64 = 1_700_000_000_000;

    /// Two partitions on brokers 1 and 2, partition 1 short of a replica; one group
    /// committed at `committed` on partition 0.
    fn snap(at_ms: i64, hw: i64, committed: i64, brokers: &[i32]) -> ClusterSnapshot {
        let mut s = ClusterSnapshot {
            at_ms,
            cluster_id: Some("abc".into()),
            brokers: brokers
                .iter()
                .map(|&id| BrokerSnapshot {
                    id,
                    host: "kafka".into(),
                    port: 9092,
                    rack: None,
                })
                .collect(),
            ..ClusterSnapshot::default()
        };
        let partitions = (0..2)
            .map(|p| PartitionSnapshot {
                partition: p,
                leader: Some(1),
                replicas: vec![1, 2],
                isr: if p == 0 { vec![1, 2] } else { vec![1] },
                log_start: Some(0),
                high_watermark: Some(hw),
                ..PartitionSnapshot::default()
            })
            .collect();
        s.topics.insert(
            "orders".into(),
            TopicSnapshot {
                internal: false,
                partitions,
            },
        );
        let mut g = GroupSnapshot {
            state: "Stable".into(),
            assignor: Some("range".into()),
            members: vec![MemberSnapshot {
                member_id: "m-1".into(),
                client_id: "app".into(),
                host: "/10.0.0.7".into(),
                assignment: vec![("orders".into(), 0), ("orders".into(), 1)],
                ..MemberSnapshot::default()
            }],
            ..GroupSnapshot::default()
        };
        g.committed
            .insert("orders".into(), BTreeMap::from([(0, committed), (1, hw)]));
        s.groups.insert("billing".into(), g);
        s
    }

    fn fill(obs: &Observation, screen: &mut ObservedScreen, now_ms: i64) -> View {
        let mut app = App::new(Theme::default(), false);
        let mut view = View::default();
        let limits = Limits::for_screen(120, 40);
        fill_from_observation(obs, screen, &mut app, limits, now_ms, &mut view);
        view
    }

    #[test]
    fn the_view_shows_the_snapshot_with_its_lag_measures_and_history() {
        let mut obs = Observation::new(4);
        let mut screen = ObservedScreen::new("kafka:9092", START);
        let mut views = Vec::new();
        for (i, (hw, committed)) in [(100, 10), (200, 20), (300, 30), (400, 40)]
            .into_iter()
            .enumerate()
        {
            let at = START + 1_000 * (i as i64 + 1);
            obs.apply(snap(at, hw, committed, &[1, 2]));
            views.push(fill(&obs, &mut screen, at + 500));
        }
        let v = views.last().unwrap();
        assert_eq!(v.header.title, "kafka:9092");
        assert_eq!(v.header.sim, None, "nothing is simulated");
        assert_eq!(v.header.cluster_id.as_deref(), Some("abc"));
        assert_eq!(v.header.data_age_ms, Some(500));
        assert_eq!(v.header.now_ms, 4_500);
        assert_eq!(v.header.alert, None);
        assert_eq!(
            v.header.produce_rate, 200.0,
            "two partitions, 100 each a second"
        );

        let g = &v.groups[0];
        assert_eq!((g.state.as_str(), g.phase), ("Stable", GroupPhase::Stable));
        assert_eq!(g.protocol, "classic range");
        assert_eq!(g.generation, None, "classic groups do not publish it");
        assert_eq!(g.members[0].host.as_deref(), Some("/10.0.0.7"));
        assert_eq!(g.total_lag, 360);
        assert_eq!(g.offset("orders", 0).unwrap().lag, Some(360));
        assert_eq!(g.consume_rate, 110.0);
        let verdict = g.verdict.as_ref().unwrap();
        assert_eq!(verdict.status, Status::Warn, "{}", verdict.reason);
        assert_eq!(g.eta_ms, None, "not draining");
        let lags: Vec<f64> = g.lag_history.iter().map(|p| p.1).collect();
        assert_eq!(lags, [90.0, 180.0, 270.0, 360.0], "one point per poll");
        assert_eq!(g.lag_history[0].0, 1.0, "seconds since observing began");

        let p0 = &v.topics[0].partitions[0];
        assert_eq!(
            (
                p0.high_watermark,
                p0.replication.as_ref().and_then(|r| r.leader)
            ),
            (400, Some(1))
        );
        assert_eq!(p0.marks[0].committed, Some(40));
        assert_eq!((v.under_replicated, v.offline), (1, 0));
        assert_eq!(v.brokers.len(), 2);
        assert_eq!((v.brokers[0].leads, v.brokers[1].follows), (2, 2));
        assert_eq!(v.brokers[1].out_of_sync, 1);
    }

    #[test]
    fn events_come_from_the_polls_and_a_broker_gone_is_down() {
        let mut obs = Observation::default();
        let mut screen = ObservedScreen::new("kafka:9092", START);
        obs.apply(snap(START + 1_000, 10, 0, &[1, 2]));
        fill(&obs, &mut screen, START + 1_000);
        let mut next = snap(START + 3_000, 20, 5, &[1]);
        next.groups.get_mut("billing").unwrap().members.clear();
        obs.apply(next);
        let v = fill(&obs, &mut screen, START + 3_000);
        let lines: Vec<(i64, EventClass, &str)> = v
            .events
            .iter()
            .map(|e| (e.time_ms, e.class, e.text.as_str()))
            .collect();
        assert!(
            lines.contains(&(3_000, EventClass::Membership, "broker 2 left")),
            "{lines:?}"
        );
        assert!(
            lines.contains(&(3_000, EventClass::Membership, "billing: m-1 left")),
            "{lines:?}"
        );
        let down: Vec<i32> = v
            .brokers
            .iter()
            .filter(|b| b.state == BrokerState::Down)
            .map(|b| b.id)
            .collect();
        assert_eq!(down, [2]);
    }

    #[test]
    fn an_unreachable_cluster_is_the_header_alert_with_the_retry() {
        let mut obs = Observation::default();
        let mut screen = ObservedScreen::new("kafka:9092", START);
        let v = fill(&obs, &mut screen, START);
        assert_eq!(v.header.alert.as_deref(), Some("connecting…"));
        obs.apply(snap(START + 1_000, 10, 0, &[1]));
        obs.failed(
            START + 3_000,
            "cannot connect to kafka:9092: refused".into(),
        );
        obs.failed(
            START + 5_000,
            "cannot connect to kafka:9092: refused".into(),
        );
        screen.set_retry_at(Some(START + 7_000));
        let v = fill(&obs, &mut screen, START + 6_000);
        assert_eq!(
            v.header.alert.as_deref(),
            Some(
                "unreachable for 3.0s (2 tries), retrying in 1.0s: \
                 cannot connect to kafka:9092: refused"
            )
        );
        assert_eq!(
            v.header.data_age_ms,
            Some(5_000),
            "the last poll's data stays"
        );
        assert_eq!(v.groups.len(), 1);
    }
}
