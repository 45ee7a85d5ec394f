//! A deterministic simulation of producers and consumer groups around the broker.
//!
//! Time is virtual: [`Simulation::step`] advances it in fixed ticks of [`TICK_MS`], and
//! nothing here reads a wall clock. Randomness comes from one seed, split into a stream per
//! actor, so the same scenario and seed always produce the same run.
//!
//! One tick, always in this order so that runs replay exactly: producers append (in
//! creation order), the cluster replicates (followers copy, the ISR and high watermarks
//! move), each group's members act (groups and members in creation order), the broker's
//! timers run (session expiry), then, once per simulated second, retention and the
//! metrics sample. Timeline beats fire between ticks, once their time has come.
//!
//! ```
//! use minikafka::sim::{Scenario, Simulation};
//!
//! let mut sim = Simulation::new(Scenario::bundled("quickstart")?, Some(7))?;
//! sim.step(10_000);
//! let report = sim.report();
//! assert_eq!(report.sim_time_ms, 10_000);
//! assert!(report.produced > 0);
//! # Ok::<(), minikafka::sim::SimError>(())
//! ```

mod apply;
mod command;
mod consumer;
mod error;
mod group_lag;
mod invariants;
pub mod lag;
pub mod limits;
mod metrics;
mod moment;
mod producer;
mod report;
mod rng;
mod scenario;
mod timeline;

pub use command::Command;
pub use consumer::{GroupSim, MemberSim, MemberState};
pub use error::{ScenarioError, SimError};
pub use group_lag::{GroupLagDetail, PartitionLagDetail};
pub use lag::{GroupLag, LagSample, PartitionLagHistory, Status, Verdict, eta_ms, evaluate_group};
pub use metrics::{
    GroupMetrics, HISTORY_CAPACITY, Metrics, PartitionMetrics, Ring, SAMPLE_INTERVAL_MS,
    TopicMetrics, VERDICT_WINDOW,
};
pub use producer::ProducerInfo;
pub use report::{
    BrokerReport, ClusterReport, GroupReport, MemberReport, OffsetReport,
    PartitionReplicationReport, PartitionReport, ProducerReport, Report, TopicPartitionReport,
    TopicReport,
};
pub use rng::stream_seed;
pub use scenario::{
    AutoOffsetReset, Beat, ClusterSpec, CommitPolicy, DEFAULT_SCENARIO, DEFAULT_SEED, GroupSpec,
    KeyDistribution, ProducerSpec, Scenario, TopicSpec,
};
pub use timeline::{CAPTION_CAPACITY, FiredBeat};

use crate::broker::{SharedBroker, TopicConfig, Truncation};

use moment::Moment;
use producer::ProducerActor;
use timeline::Timeline;

/// The fixed step of simulated time. `step(dt)` runs whole ticks and carries the rest, so
/// `step(1000)` and a hundred `step(10)` give the same run.
pub const TICK_MS: u64 = 10;

/// How often retention runs, in simulated time. Kafka checks every few minutes and drops
/// whole segments; checking every second keeps the events pane readable while the log
/// start still moves visibly.
pub const RETENTION_CHECK_MS: i64 = 1_000;

/// A running simulation. See the module docs.
#[derive(Debug)]
pub struct Simulation {
    scenario: Scenario,
    seed: u64,
    broker: SharedBroker,
    now: i64,
    carry_ms: u64,
    producers: Vec<ProducerInfo>,
    producer_actors: Vec<(ProducerSpec, ProducerActor)>,
    groups: Vec<GroupSim>,
    metrics: Metrics,
    timeline: Timeline,
    /// What the records' clock reads at virtual time 0 (see [`Simulation::set_time_origin`]).
    time_origin_ms: i64,
    /// What the invariants remember between steps (high watermarks, epochs).
    watch: invariants::Watch,
}

impl Simulation {
    /// A simulation on a broker (or cluster, with `[cluster]`) of its own. `seed` overrides
    /// the scenario's seed; with neither, [`DEFAULT_SEED`] is used.
    pub fn new(scenario: Scenario, seed: Option<u64>) -> Result<Self, SimError> {
        let broker = scenario.broker(seed)?;
        Self::with_broker(scenario, seed, SharedBroker::new(broker))
    }

    /// A simulation writing into a broker that others (the network server) also use.
    /// Topics that already exist with the same configuration are reused.
    pub fn with_broker(
        scenario: Scenario,
        seed: Option<u64>,
        broker: SharedBroker,
    ) -> Result<Self, SimError> {
        let seed = seed.or(scenario.seed).unwrap_or(DEFAULT_SEED);
        {
            let mut b = broker.write();
            for t in &scenario.topics {
                let config = TopicConfig::new(t.partitions)
                    .with_retention(t.retention)
                    .with_replication(t.replication_factor, t.min_insync_replicas);
                b.create_topic_if_not_exists(&t.name, config, 0)?;
            }
        }
        let mut sim = Simulation {
            timeline: Timeline::new(scenario.timeline.clone()),
            scenario,
            seed,
            broker,
            now: 0,
            carry_ms: 0,
            producers: Vec::new(),
            producer_actors: Vec::new(),
            groups: Vec::new(),
            metrics: Metrics::default(),
            time_origin_ms: 0,
            watch: invariants::Watch::default(),
        };
        for spec in sim.scenario.producers.clone() {
            for _ in 0..spec.count {
                sim.start_producer(spec.clone())?;
            }
        }
        for spec in sim.scenario.groups.clone() {
            sim.start_group(spec)?;
        }
        Ok(sim)
    }

    /// Advances virtual time by `dt_ms`, firing timeline beats as their time comes.
    pub fn step(&mut self, dt_ms: u64) {
        if self.timeline.held {
            return;
        }
        self.carry_ms = self.carry_ms.saturating_add(dt_ms);
        loop {
            while self.timeline.is_due(self.now) {
                if self.timeline.hold {
                    // Presenter mode: wait here; time that passes while held is dropped.
                    self.timeline.held = true;
                    self.carry_ms = 0;
                    return;
                }
                self.fire_next_beat();
            }
            if self.carry_ms < TICK_MS {
                break;
            }
            self.carry_ms -= TICK_MS;
            self.tick();
        }
        #[cfg(debug_assertions)]
        if let Err(broken) = self
            .check_invariants()
            .and_then(|_| self.watch_invariants())
        {
            panic!("invariant broken at {} ms: {broken}", self.now);
        }
    }

    fn tick(&mut self) {
        let dt = TICK_MS as i64;
        self.now += dt;
        let now = self.now;
        let at = self.moment();
        let mut b = self.broker.write();
        for (info, (_, actor)) in self.producers.iter_mut().zip(&mut self.producer_actors) {
            actor.tick(info, &mut b, at.record_ms(), dt);
        }
        b.replicate(now);
        for info in &mut self.producers {
            ProducerActor::hear_back(info, &b);
        }
        for g in &mut self.groups {
            g.tick(&mut b, now, dt);
        }
        // Only the groups this simulation drives run on its virtual clock; groups of
        // network clients are ticked on real time through `tick_foreign_groups`.
        let groups = &self.groups;
        b.tick_where(now, |name| groups.iter().any(|g| g.name() == name));
        // Retention compares record timestamps, so it reads the records' clock.
        if now % RETENTION_CHECK_MS == 0 && b.enforce_retention(at.record_ms()) > 0 {
            for g in &mut self.groups {
                g.after_retention(&b);
            }
        }
        if now % metrics::SAMPLE_INTERVAL_MS == 0 {
            self.metrics.sample(&b, &mut self.groups, at);
        }
    }

    fn fire_next_beat(&mut self) {
        let Some(beat) = self.timeline.take_due(self.now) else {
            return;
        };
        let action = beat.command.action_name();
        let (outcome, ok) = match self.apply(beat.command) {
            Ok(text) => (text, true),
            Err(e) => (e.to_string(), false),
        };
        self.timeline.record(FiredBeat {
            at_ms: self.now,
            action,
            outcome,
            ok,
            caption: beat.caption,
        });
    }

    /// Virtual time in milliseconds: the end of the last whole tick.
    pub fn now_ms(&self) -> i64 {
        self.now
    }

    /// Sets what the records' clock reads at virtual time 0: simulated records are stamped
    /// `origin + virtual time`, and retention by time and the lag in time read that clock.
    /// 0 by default, so a run's records and report depend only on its scenario and seed;
    /// a simulation that real clients or an observer read sets it to the wall-clock time
    /// it starts at, so its records' ages make sense against their clocks.
    pub fn set_time_origin(&mut self, origin_ms: i64) {
        self.time_origin_ms = origin_ms;
    }

    /// What the records' clock reads at virtual time 0 (see [`Simulation::set_time_origin`]).
    pub fn time_origin_ms(&self) -> i64 {
        self.time_origin_ms
    }

    fn moment(&self) -> Moment {
        Moment {
            now_ms: self.now,
            origin_ms: self.time_origin_ms,
        }
    }
    /// The seed in use.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// The scenario it runs: names, description, topics, timeline.
    pub fn scenario(&self) -> &Scenario {
        &self.scenario
    }
    /// The broker: read topics, groups and events through `broker().read()`.
    pub fn broker(&self) -> &SharedBroker {
        &self.broker
    }
    /// Every producer ever started, in creation order.
    pub fn producers(&self) -> &[ProducerInfo] {
        &self.producers
    }
    /// Simulated groups in creation order.
    pub fn groups(&self) -> &[GroupSim] {
        &self.groups
    }
    /// Advances the timers of groups this simulation does not drive (those of network
    /// clients) to `now_ms` on their own clock.
    ///
    /// The simulation's groups live on virtual time, which pauses, steps and runs at up to
    /// 64×; a real client heartbeats on real time, so its session timeout must too, or a
    /// fast-forward would expel it. The embedding application passes a real-time clock here.
    ///
    /// Returns whether anything happened (a member expired, a rebalance completed), so the
    /// caller knows to wake clients waiting on a group.
    pub fn tick_foreign_groups(&self, now_ms: i64) -> bool {
        self.broker
            .write()
            .tick_where(now_ms, |name| self.group(name).is_none())
    }

    /// Records the simulation expects to handle per simulated second at its current
    /// settings: what the active producers append plus what the live members of its groups
    /// can process. An upper bound, for callers that split a long step into pieces.
    pub fn expected_records_per_sec(&self) -> f64 {
        let produced: f64 = self
            .producers
            .iter()
            .filter(|p| p.active)
            .map(|p| p.rate)
            .sum();
        let processed: f64 = self
            .groups
            .iter()
            .map(|g| g.process_rate() * g.consumers() as f64)
            .sum();
        produced + processed
    }

    /// The longest step, in whole ticks and at least one, expected to handle at most
    /// `max_records` records (see [`Simulation::expected_records_per_sec`]). Every actor
    /// also counts as one record per tick, for the fixed cost of ticking it. A caller that
    /// must stop on time (the UI's frame budget) steps in pieces of this size and checks the
    /// clock between them; the run is the same as one long step.
    pub fn step_size_for(&self, max_records: u64) -> u64 {
        let actors = self.producers.iter().filter(|p| p.active).count()
            + self.groups.iter().map(|g| g.members().len()).sum::<usize>();
        let per_tick = self.expected_records_per_sec() * TICK_MS as f64 / 1000.0 + actors as f64;
        // A float-to-integer cast saturates: infinite work gives 0, which `max` makes one
        // tick; no work at all gives as many ticks as fit.
        let ticks = (max_records as f64 / per_tick).floor() as u64;
        ticks.max(1).saturating_mul(TICK_MS)
    }

    /// A simulated group by name.
    pub fn group(&self, name: &str) -> Option<&GroupSim> {
        self.groups.iter().find(|g| g.name() == name)
    }
    /// Rates and lag history for the charts.
    pub fn metrics(&self) -> &Metrics {
        &self.metrics
    }
    /// A group's lag in records and in time, its ETA and its verdict now, with each
    /// partition's: for a simulated group, from its own settings; for a group of network
    /// clients, with no lag where it has not committed (as [`Metrics`] samples them).
    pub fn group_lag(&self, name: &str) -> Option<GroupLagDetail> {
        let b = self.broker.read();
        let (topics, reset) = match self.group(name) {
            Some(g) => (g.spec().topics.clone(), g.spec().auto_offset_reset),
            None => {
                let g = b.group(name)?;
                let topics = g.topics().into_iter().map(str::to_string).collect();
                (topics, AutoOffsetReset::Latest)
            }
        };
        Some(group_lag::measure(
            &b,
            &self.metrics,
            name,
            &topics,
            reset,
            self.moment(),
        ))
    }
    /// Records appended by the simulated producers so far.
    pub fn produced(&self) -> u64 {
        self.producers.iter().map(|p| p.produced).sum()
    }
    /// Records processed by the simulated groups so far, repeats included.
    pub fn consumed(&self) -> u64 {
        self.groups.iter().map(GroupSim::consumed).sum()
    }

    /// Beats that have fired, oldest first (the most recent [`CAPTION_CAPACITY`]).
    pub fn captions(&self) -> impl DoubleEndedIterator<Item = &FiredBeat> {
        self.timeline.fired()
    }
    /// The next timeline beat still to fire.
    pub fn next_beat(&self) -> Option<&Beat> {
        self.timeline.next_beat()
    }
    /// Presenter mode: `step` stops at each beat until [`Simulation::release_beat`].
    pub fn set_hold_at_beats(&mut self, hold: bool) {
        self.timeline.hold = hold;
        if !hold {
            self.timeline.held = false;
        }
    }
    /// Whether presenter mode is holding at a beat now.
    pub fn held_at_beat(&self) -> bool {
        self.timeline.held
    }
    /// Fires the beat the simulation is held at, and lets time run again.
    pub fn release_beat(&mut self) {
        if self.timeline.held {
            self.timeline.held = false;
            self.fire_next_beat();
        }
    }

    /// The report of the run so far (docs/design.md, "The headless report"), with the
    /// cluster's fields when the scenario has a `[cluster]`.
    pub fn report(&self) -> Report {
        Report::build(self, &self.broker.read())
    }

    /// Checks the invariants of docs/design.md now; debug builds do this after every step.
    pub fn check_invariants(&self) -> Result<(), String> {
        let b = self.broker.read();
        invariants::check(&b, &self.groups)?;
        invariants::check_producers(&b, &self.producers)
    }

    /// Checks the invariants that span steps (high watermarks move back only through a
    /// counted unclean election, one leader per epoch) against what the last check saw;
    /// debug builds do this after every step.
    pub fn watch_invariants(&mut self) -> Result<(), String> {
        self.watch.observe(&self.broker.read())
    }

    /// Elections cut records consumers may have read: the groups move their positions
    /// back to the new end, as a consumer does on detecting the truncation.
    fn after_cuts(&mut self, cuts: &[Truncation]) {
        for cut in cuts.iter().filter(|c| c.from < c.high_watermark_before) {
            for g in &mut self.groups {
                g.after_truncation(&cut.topic, cut.partition, cut.from);
            }
        }
    }

    /// Starts a producer, unchecked: [`Simulation::start_producer`] checks the limits.
    fn spawn_producer(&mut self, spec: ProducerSpec) -> String {
        let id = self.producers.len();
        let prefix = spec.name.clone().unwrap_or_else(|| spec.topic.clone());
        let n = self
            .producers
            .iter()
            .filter(|p| {
                p.name
                    .rsplit_once('-')
                    .is_some_and(|(pre, _)| pre == prefix)
            })
            .count();
        let name = format!("{prefix}-{}", n + 1);
        let rng = rng::stream(self.seed, "producer", id as u64);
        self.producer_actors
            .push((spec.clone(), ProducerActor::new(&spec, rng)));
        self.producers.push(ProducerInfo {
            id,
            name: name.clone(),
            topic: spec.topic.clone(),
            rate: spec.rate,
            keys: spec.keys,
            key_count: spec.key_count,
            zipf_s: spec.zipf_s,
            partitioner: spec.partitioner,
            produced: 0,
            active: true,
            acks: spec.acks,
            sent: 0,
            acked: 0,
            failed: 0,
            failed_by: Default::default(),
            acked_lost: 0,
            backlog: 0,
        });
        name
    }
}
