//! Everything that moves without a key being pressed, for the UI and for `serve` alike:
//! the simulation stepped at the speed asked within a wall-time budget, network clients'
//! groups ticked on real time, waiting clients woken when the broker changed under them,
//! retention on a broker no simulation looks after, and whether the screen needs redrawing.
//!
//! The driver is told the time (`Instant`s in), so tests drive it without a terminal, a
//! socket or a real clock. Its caller only ticks it every [`TICK`].
//!
//! **The step budget.** A tick steps the simulation in pieces sized by the work expected
//! ([`Simulation::step_size_for`]) and stops once [`STEP_BUDGET`] of wall time is used.
//! Simulated time it had no time for is dropped rather than owed: a simulation that cannot
//! keep up runs slower than asked instead of falling ever further behind, and the
//! [`SpeedMeter`] measures how much slower, for the header. The stepping itself is the
//! same as one long step, so a run that keeps up is the run the headless mode gives.

mod meter;
mod real_time;
#[cfg(test)]
mod tests;

use std::time::{Duration, Instant};

use tokio::time::{Interval, MissedTickBehavior};

use crate::broker::SharedBroker;
use crate::sim::{RETENTION_CHECK_MS, Simulation};

use super::network::Network;

pub(crate) use meter::SpeedMeter;
pub(crate) use real_time::RealTime;

/// How often the driver is ticked, in real time. Short enough that a key's effect shows in
/// the next frame at any frame rate the UI allows.
pub(crate) const TICK: Duration = Duration::from_millis(10);

/// The most wall time one tick spends stepping the simulation (plus at most one piece
/// already started). The rest of [`TICK`] is left for input, drawing and connections.
pub(crate) const STEP_BUDGET: Duration = Duration::from_millis(8);

/// Records a piece of a tick's stepping is expected to handle: a few milliseconds of work
/// in a debug build (about 1 µs a record), a fraction of one in a release build, so a tick
/// ends close to its budget; and enough that a light scenario steps in one piece a tick.
const RECORDS_PER_PIECE: u64 = 2_048;

/// How often client rates are redrawn when no traffic changes anything else.
const RATES_EVERY: Duration = Duration::from_secs(1);

/// The interval a caller ticks the driver on. Ticks missed while the machine was busy are
/// skipped, not caught up: the driver measures the real time between ticks itself.
pub(crate) fn ticker() -> Interval {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    tick
}

/// See the module docs.
pub(crate) struct Driver {
    broker: SharedBroker,
    clock: RealTime,
    network: Option<Network>,
    budget: Duration,
    /// Reads the wall time while stepping, to stop on budget; tests replace it.
    timer: Box<dyn FnMut() -> Instant + Send>,
    last_tick: Instant,
    /// Fractions of a simulated millisecond not yet handed to the simulation, so slow
    /// speeds with short ticks still add up exactly.
    carry_ms: f64,
    meter: SpeedMeter,
    /// The simulated time at the last tick, to tell whether it moved since.
    sim_seen_ms: i64,
    /// When, on `clock`, a broker without a simulation next applies retention.
    next_retention_ms: i64,
    last_activity: (usize, u64),
    last_rates: Instant,
}

impl std::fmt::Debug for Driver {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Driver")
            .field("clock", &self.clock)
            .field("network", &self.network.is_some())
            .field("budget", &self.budget)
            .field("meter", &self.meter)
            .finish_non_exhaustive()
    }
}

impl Driver {
    /// A driver for `broker`, whose first tick measures real time from `start`. Network
    /// clients' groups run on `clock`, which must be the clock the listener was given.
    pub(crate) fn new(broker: SharedBroker, clock: RealTime, start: Instant) -> Self {
        Driver {
            broker,
            clock,
            network: None,
            budget: STEP_BUDGET,
            timer: Box::new(Instant::now),
            last_tick: start,
            carry_ms: 0.0,
            meter: SpeedMeter::default(),
            sim_seen_ms: 0,
            next_retention_ms: clock.ms_at(start).saturating_add(RETENTION_CHECK_MS),
            last_activity: (0, 0),
            last_rates: start,
        }
    }

    /// Wakes the listener's waiting clients and watches its traffic.
    pub(crate) fn with_network(mut self, network: Network) -> Self {
        self.network = Some(network);
        self
    }

    /// Replaces the step budget and the wall clock read while stepping.
    #[cfg(test)]
    fn with_budget(
        mut self,
        budget: Duration,
        timer: impl FnMut() -> Instant + Send + 'static,
    ) -> Self {
        self.budget = budget;
        self.timer = Box::new(timer);
        self
    }

    /// The speed the simulation reached over the last second, when clearly below the
    /// speed asked for (see [`SpeedMeter::reached`]).
    pub(crate) fn reached_speed(&self) -> Option<f64> {
        self.meter.reached()
    }

    /// Advances everything by the real time since the last tick, `now`: `sim` (when there
    /// is one) at `speed` times real time, 0 while paused. Returns whether anything the
    /// screen shows changed.
    pub(crate) fn tick(&mut self, now: Instant, sim: Option<&mut Simulation>, speed: f64) -> bool {
        let real = now.saturating_duration_since(self.last_tick);
        self.last_tick = now;
        let clock_ms = self.clock.ms_at(now);
        let shown = self.meter.reached();
        let (stepped, groups_changed, retained, replication_ms) = match sim {
            Some(sim) => {
                // The simulation applies retention itself, on virtual time.
                self.advance(sim, real, speed);
                // Also time moved by a key (a single step, a released beat) since last tick.
                let stepped = sim.now_ms() != self.sim_seen_ms;
                self.sim_seen_ms = sim.now_ms();
                let foreign = sim.tick_foreign_groups(clock_ms);
                (stepped, foreign, false, sim.now_ms())
            }
            None => {
                let retained = self.enforce_retention(clock_ms);
                (
                    false,
                    self.broker.write().tick(clock_ms),
                    retained,
                    clock_ms,
                )
            }
        };
        let replicated = self.replicate(replication_ms);
        self.wake(stepped || replicated.high_watermark_moved, groups_changed);
        let traffic = self.traffic_changed(now);
        stepped
            || groups_changed
            || retained
            || replicated.changed
            || traffic
            || shown != self.meter.reached()
    }

    /// Replicates what network clients produced since the simulation's last tick (or, with
    /// no simulation, everything: nobody else replicates then), so their `acks=all`
    /// produces are answered promptly even while the simulation is paused. Time is the
    /// simulation's when there is one: replication's lag clock must be one clock. A second
    /// call at the same time changes nothing the simulation's own tick did not.
    fn replicate(&self, now_ms: i64) -> crate::broker::Replicated {
        if self.network.is_none() {
            return crate::broker::Replicated::default();
        }
        self.broker.write().replicate(now_ms)
    }

    /// Steps `sim` by `real` at `speed`, within the budget.
    fn advance(&mut self, sim: &mut Simulation, real: Duration, speed: f64) {
        if speed <= 0.0 || sim.held_at_beat() {
            self.carry_ms = 0.0;
            self.meter.reset();
            return;
        }
        let real_ms = real.as_secs_f64() * 1000.0;
        let total = self.carry_ms + real_ms * speed;
        let asked = total.floor();
        self.carry_ms = total - asked;
        // Saturating: a tick after a long suspension asks for more than can ever be done.
        let asked = asked as u64;
        let done = self.step_within_budget(sim, asked);
        self.meter.record(speed, real_ms, asked, done);
    }

    /// Steps `sim` by up to `asked_ms` in pieces, stopping once the budget is used; returns
    /// how much was done. The rest is dropped.
    fn step_within_budget(&mut self, sim: &mut Simulation, asked_ms: u64) -> u64 {
        let deadline = (self.timer)() + self.budget;
        let mut done = 0;
        while done < asked_ms && !sim.held_at_beat() {
            let piece = sim.step_size_for(RECORDS_PER_PIECE).min(asked_ms - done);
            sim.step(piece);
            done += piece;
            if (self.timer)() >= deadline {
                break;
            }
        }
        done
    }

    /// Retention on a broker without a simulation, about once a second of `clock_ms`.
    /// Returns whether it deleted anything.
    fn enforce_retention(&mut self, clock_ms: i64) -> bool {
        if clock_ms < self.next_retention_ms {
            return false;
        }
        self.next_retention_ms = clock_ms.saturating_add(RETENTION_CHECK_MS);
        self.broker.write().enforce_retention(clock_ms) > 0
    }

    /// Wakes the clients that wait for what changed: fetches for records (the simulation
    /// appended), joins and syncs for groups (a simulated member acted, a session expired).
    fn wake(&self, stepped: bool, groups_changed: bool) {
        let Some(net) = &self.network else { return };
        if stepped {
            net.appended.notify();
        }
        if stepped || groups_changed {
            net.groups.notify();
        }
    }

    /// Whether client traffic changed the screen: it does even while the simulation is
    /// paused, and rates roll once a second with no traffic at all.
    fn traffic_changed(&mut self, now: Instant) -> bool {
        let Some(net) = &self.network else {
            return false;
        };
        let activity = net.stats.activity();
        let moved = activity != self.last_activity;
        self.last_activity = activity;
        let rates_due = now.saturating_duration_since(self.last_rates) >= RATES_EVERY;
        if rates_due {
            self.last_rates = now;
        }
        moved || rates_due
    }
}
