//! Replication and failover across the cluster: [`Broker::replicate`] every tick, and the
//! operator's actions on brokers (crash, restart, controlled shutdown, slow, heal). The
//! rules are docs/design.md's "Replication"; what each does to one partition is in
//! [`part`].

mod part;

use super::Broker;
use super::cluster::{BrokerId, BrokerState};
use super::coordinator::{Leaders, OFFSETS_TOPIC};
use super::error::{BrokerError, Result};
use super::event::EventKind;
use super::partition::PartitionLog;
use part::{Ctx, Part};

/// An election's cut of a partition's log: offsets `from..to` are gone and will be given
/// to new records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Truncation {
    /// The topic cut.
    pub topic: String,
    /// The partition cut.
    pub partition: u32,
    /// The new log end.
    pub from: i64,
    /// The log end before the cut.
    pub to: i64,
    /// Readers had seen up to here: a cut below it (an unclean election) took records
    /// consumers may have read, and moved the high watermark back.
    pub high_watermark_before: i64,
    /// Acknowledged records in the cut.
    pub acked_lost: u64,
}

/// What one [`Broker::replicate`] changed, for whoever waits on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Replicated {
    /// Some high watermark moved forward: fetches and `acks=all` produces waiting on one
    /// may complete. (Where the leader is alone in sync, appends move it at once.)
    pub high_watermark_moved: bool,
    /// Something visible changed: the ISR, a leader, a coordinator (an event was logged).
    pub changed: bool,
}

impl Broker {
    /// Runs `step` on every partition, the offsets topic's too.
    fn for_each_part(
        &mut self,
        now: i64,
        cuts: &mut Vec<Truncation>,
        mut step: impl FnMut(&mut Part<'_>, &mut Ctx<'_>),
    ) -> bool {
        let mut ctx = Ctx {
            cluster: &self.cluster,
            events: &mut self.events,
            tallies: &mut self.producers,
            acked_lost: &mut self.acked_lost,
            cuts,
            now,
            hw_moved: false,
        };
        for topic in self.topics.values_mut() {
            let parts = topic.parts_mut();
            let pairs = parts.logs.iter_mut().zip(parts.replicas.iter_mut());
            for (i, (log, rs)) in pairs.enumerate() {
                let mut part = Part {
                    topic: parts.name,
                    partition: i as u32,
                    log,
                    rs,
                    min_insync: parts.config.min_insync_replicas,
                    quiet: false,
                };
                step(&mut part, &mut ctx);
            }
        }
        for (i, rs) in self.coordinators.sets.iter_mut().enumerate() {
            let mut empty = PartitionLog::new();
            let mut part = Part {
                topic: OFFSETS_TOPIC,
                partition: i as u32,
                log: &mut empty,
                rs,
                min_insync: 1,
                quiet: true,
            };
            step(&mut part, &mut ctx);
        }
        ctx.hw_moved
    }

    /// One replication step at `now`: live followers copy from their leaders (all of it,
    /// or at a slow broker's rate), followers behind for longer than
    /// `replica_lag_time_max_ms` leave the ISR, followers that reached the high watermark
    /// rejoin it, preferred leaders back in sync take over, high watermarks move and
    /// `acks=all` records they pass are acknowledged. Whoever drives time calls it every
    /// tick; it costs O(partitions × replicas) and allocates nothing unless something
    /// changes.
    pub fn replicate(&mut self, now: i64) -> Replicated {
        let elapsed = now - self.cluster.last_replicate_ms.unwrap_or(now);
        self.cluster.last_replicate_ms = Some(now);
        let (seq, coordinators) = (self.events.next_seq(), self.coordinators.leaders());
        let hw_moved = self.for_each_part(now, &mut Vec::new(), |part, ctx| {
            if part.rs.replicas().len() > 1 {
                part.replicate(elapsed.max(0), ctx);
            }
        });
        self.note_coordinator_moves(&coordinators, now);
        Replicated {
            high_watermark_moved: hw_moved,
            changed: self.events.next_seq() != seq,
        }
    }

    /// Broker `id` crashes: it leaves every ISR (unless it is the last member), and each
    /// partition it led elects the first live in-sync replica, goes offline, or (unclean
    /// election on) takes the first live replica and cuts the log to its end. Returns the
    /// cuts made.
    pub fn crash_broker(&mut self, id: BrokerId, now: i64) -> Result<Vec<Truncation>> {
        self.require_state(id, BrokerState::Up, "crash")?;
        let coordinators = self.coordinators.leaders();
        self.cluster.set_state(id, BrokerState::Down)?;
        self.events
            .push(now, EventKind::BrokerCrashed { broker: id });
        let mut cuts = Vec::new();
        self.for_each_part(now, &mut cuts, |part, ctx| part.lose(id, ctx));
        self.after_failover(&cuts, &coordinators, now);
        Ok(cuts)
    }

    /// Controlled shutdown of broker `id`: where another in-sync replica is alive, the
    /// followers catch up and leadership moves to it first, so nothing is cut and nothing
    /// goes offline; then the broker stops as if crashed.
    pub fn stop_broker(&mut self, id: BrokerId, now: i64) -> Result<Vec<Truncation>> {
        self.require_state(id, BrokerState::Up, "stop")?;
        let coordinators = self.coordinators.leaders();
        let mut cuts = Vec::new();
        let mut moved = 0;
        self.for_each_part(now, &mut cuts, |part, ctx| {
            if part.hand_over(id, ctx) && !part.quiet {
                moved += 1;
            }
        });
        self.cluster.set_state(id, BrokerState::Stopped)?;
        self.events.push(
            now,
            EventKind::BrokerStopped {
                broker: id,
                leaders_moved: moved,
            },
        );
        self.for_each_part(now, &mut cuts, |part, ctx| part.lose(id, ctx));
        self.after_failover(&cuts, &coordinators, now);
        Ok(cuts)
    }

    /// A crashed or stopped broker `id` comes back. Its replicas keep their (cut) log ends
    /// and catch up in the next replication steps; offline partitions it is in sync for
    /// come back with it as leader (any it holds, with unclean election on).
    pub fn restart_broker(&mut self, id: BrokerId, now: i64) -> Result<Vec<Truncation>> {
        let state = self.cluster.node_mut(id)?.state();
        if state == BrokerState::Up {
            return Err(conflict(id, state, "restart"));
        }
        let coordinators = self.coordinators.leaders();
        self.cluster.set_state(id, BrokerState::Up)?;
        self.events
            .push(now, EventKind::BrokerRestarted { broker: id });
        let mut cuts = Vec::new();
        self.for_each_part(now, &mut cuts, |part, ctx| part.back(id, ctx));
        self.after_failover(&cuts, &coordinators, now);
        Ok(cuts)
    }

    /// Broker `id`'s followers copy at most `rate` records per second (0 stalls them)
    /// until healed: they fall behind, and leave the ISR after `replica_lag_time_max_ms`.
    pub fn slow_broker(&mut self, id: BrokerId, rate: f64, now: i64) -> Result<()> {
        if !(rate.is_finite() && rate >= 0.0) {
            return Err(BrokerError::InvalidRequest(format!(
                "a slow broker's rate must be a number of records per second, not {rate}"
            )));
        }
        self.cluster.set_slow(id, Some(rate))?;
        self.events
            .push(now, EventKind::BrokerSlowed { broker: id, rate });
        Ok(())
    }

    /// Broker `id`'s followers copy at full speed again.
    pub fn heal_broker(&mut self, id: BrokerId, now: i64) -> Result<()> {
        if self.cluster.node_mut(id)?.slow_rate().is_none() {
            return Err(BrokerError::BrokerStateConflict {
                broker: id,
                state: "not slow",
                action: "heal",
            });
        }
        self.cluster.set_slow(id, None)?;
        self.events
            .push(now, EventKind::BrokerHealed { broker: id });
        Ok(())
    }

    fn require_state(
        &mut self,
        id: BrokerId,
        want: BrokerState,
        action: &'static str,
    ) -> Result<()> {
        let state = self.cluster.node_mut(id)?.state();
        if state != want {
            return Err(conflict(id, state, action));
        }
        Ok(())
    }

    /// After elections: committed offsets past a cut come back to the new end (what a
    /// consumer does on detecting the truncation, KIP-320), and groups whose coordinator
    /// moved hear of it.
    fn after_failover(&mut self, cuts: &[Truncation], coordinators: &Leaders, now: i64) {
        for cut in cuts.iter().filter(|c| c.from < c.high_watermark_before) {
            let tp = super::TopicPartition::new(cut.topic.clone(), cut.partition);
            for g in self.groups.values_mut() {
                if g.committed(&tp).is_some_and(|c| c > cut.from) {
                    g.store_offset(tp.clone(), cut.from, None, now);
                }
            }
        }
        self.note_coordinator_moves(coordinators, now);
    }
}

fn conflict(broker: BrokerId, state: BrokerState, action: &'static str) -> BrokerError {
    BrokerError::BrokerStateConflict {
        broker,
        state: state.label(),
        action,
    }
}
