//! What replication and failover do to one partition: copy to followers, shrink and
//! expand the ISR, move the high watermark, elect, cut the log. The broker-wide walks are
//! in the parent module.

use std::collections::BTreeMap;

use super::Truncation;
use crate::broker::cluster::{BrokerId, Cluster};
use crate::broker::event::{EventKind, EventLog};
use crate::broker::partition::PartitionLog;
use crate::broker::produce::{ProducerId, ProducerTally, TallySink};
use crate::broker::replica::{ElectionKind, Progress, ReplicaSet};

/// What every partition's step shares: the brokers, the time, and where outcomes go.
pub(super) struct Ctx<'a> {
    pub cluster: &'a Cluster,
    pub events: &'a mut EventLog,
    pub tallies: &'a mut BTreeMap<ProducerId, ProducerTally>,
    pub acked_lost: &'a mut u64,
    pub cuts: &'a mut Vec<Truncation>,
    pub now: i64,
    /// Set when some high watermark moved forward: requests waiting on one may complete.
    pub hw_moved: bool,
}

/// One partition: its log and replicas. An offsets partition has an empty log and is
/// `quiet`: its changes are reported per group, as coordinator moves.
pub(super) struct Part<'a> {
    pub topic: &'a str,
    pub partition: u32,
    pub log: &'a mut PartitionLog,
    pub rs: &'a mut ReplicaSet,
    pub min_insync: u32,
    pub quiet: bool,
}

impl Part<'_> {
    fn event(&self, ctx: &mut Ctx<'_>, kind: EventKind) {
        if !self.quiet {
            ctx.events.push(ctx.now, kind);
        }
    }

    fn isr_event(&self, ctx: &mut Ctx<'_>, broker: BrokerId, expanded: bool) {
        let (topic, partition, isr) = (
            self.topic.to_string(),
            self.partition,
            self.rs.isr().to_vec(),
        );
        self.event(
            ctx,
            if expanded {
                EventKind::IsrExpanded {
                    topic,
                    partition,
                    broker,
                    isr,
                }
            } else {
                EventKind::IsrShrunk {
                    topic,
                    partition,
                    broker,
                    isr,
                }
            },
        );
    }

    /// Broker `gone` no longer serves (crashed, or stopped after handing over): it leaves
    /// the ISR, and a partition it led fails over, or goes offline.
    pub fn lose(&mut self, gone: BrokerId, ctx: &mut Ctx<'_>) {
        if !self.rs.replicas().contains(&gone) {
            return;
        }
        if self.rs.shrink_isr(gone) {
            self.isr_event(ctx, gone, false);
        }
        if self.rs.leader() == Some(gone) {
            self.fail_over(gone, ctx);
        }
        self.advance_hw(ctx);
    }

    /// The first live in-sync replica leads; with none, the first live replica if unclean
    /// election is on; else nobody.
    fn fail_over(&mut self, gone: BrokerId, ctx: &mut Ctx<'_>) {
        let cluster = ctx.cluster;
        let replicas = self.rs.replicas().iter().copied();
        if let Some(b) = (replicas.clone()).find(|&b| cluster.is_up(b) && self.rs.in_sync(b)) {
            return self.elect(b, ElectionKind::Clean, Some(gone), ctx);
        }
        if cluster.unclean_leader_election()
            && let Some(b) = replicas.clone().find(|&b| cluster.is_up(b))
        {
            return self.elect(b, ElectionKind::Unclean, Some(gone), ctx);
        }
        self.rs.go_offline();
        let isr = self.rs.isr().to_vec();
        self.event(
            ctx,
            EventKind::PartitionOffline {
                topic: self.topic.to_string(),
                partition: self.partition,
                isr,
            },
        );
    }

    /// Broker `back` serves again: an offline partition it is in sync for comes back with
    /// it (or, unclean election on, any offline partition it holds).
    pub fn back(&mut self, back: BrokerId, ctx: &mut Ctx<'_>) {
        if !self.rs.replicas().contains(&back) || !self.rs.is_offline() {
            return;
        }
        if self.rs.in_sync(back) {
            self.elect(back, ElectionKind::BackOnline, None, ctx);
        } else if ctx.cluster.unclean_leader_election() {
            self.elect(back, ElectionKind::Unclean, None, ctx);
        } else {
            return;
        }
        self.advance_hw(ctx);
    }

    /// Broker `leaving` shuts down: if it leads and another in-sync replica is alive, the
    /// followers catch up and that replica takes over, so nothing is cut. True if so.
    pub fn hand_over(&mut self, leaving: BrokerId, ctx: &mut Ctx<'_>) -> bool {
        if self.rs.leader() != Some(leaving) {
            return false;
        }
        let cluster = ctx.cluster;
        let stays = |b: BrokerId| b != leaving && cluster.is_up(b);
        let Some(next) =
            (self.rs.replicas().iter().copied()).find(|&b| stays(b) && self.rs.in_sync(b))
        else {
            return false;
        };
        let end = self.log.log_end_offset();
        let followers: Vec<BrokerId> = self
            .rs
            .isr()
            .iter()
            .copied()
            .filter(|&b| stays(b))
            .collect();
        for b in followers {
            self.rs.catch_up(b, end, ctx.now);
        }
        self.elect(next, ElectionKind::ControlledShutdown, Some(leaving), ctx);
        self.advance_hw(ctx);
        true
    }

    /// Makes `leader` lead: the log is cut to its end first, and an unclean leader is
    /// alone in sync.
    fn elect(
        &mut self,
        leader: BrokerId,
        kind: ElectionKind,
        previous: Option<BrokerId>,
        ctx: &mut Ctx<'_>,
    ) {
        let end = self.rs.log_end_offset(leader).unwrap_or(0);
        self.cut(end, ctx);
        if kind == ElectionKind::Unclean {
            self.rs.set_isr(vec![leader]);
        }
        let epoch = self.rs.elect(leader, kind);
        // The new leader's batches carry its epoch, so a client whose position came from
        // them asks where that epoch ended after the next election (KIP-320).
        if !ctx.cluster.is_lone() {
            self.log.set_leader_epoch(epoch);
        }
        self.event(
            ctx,
            EventKind::LeaderElected {
                topic: self.topic.to_string(),
                partition: self.partition,
                leader,
                epoch,
                previous,
                kind,
            },
        );
    }

    /// Cuts the log to `end`, counting the acknowledged records it loses.
    fn cut(&mut self, end: i64, ctx: &mut Ctx<'_>) {
        let old_end = self.log.log_end_offset();
        if end >= old_end {
            return;
        }
        let high_watermark_before = self.log.high_watermark();
        self.log.truncate_to(end);
        // Below `end` only if a client's batch there was too large to cut inside: it went
        // whole, and every replica comes back to where the log now ends.
        let end = self.log.log_end_offset();
        self.rs.cut_to(end, old_end);
        let mut sink = TallySink {
            tallies: ctx.tallies,
            topic: self.topic,
            partition: self.partition,
        };
        let acked_lost = self.rs.ledger.truncate(end, &mut sink);
        *ctx.acked_lost += acked_lost;
        self.event(
            ctx,
            EventKind::LogTruncated {
                topic: self.topic.to_string(),
                partition: self.partition,
                from: end,
                to: old_end,
                acked_lost,
            },
        );
        ctx.cuts.push(Truncation {
            topic: self.topic.to_string(),
            partition: self.partition,
            from: end,
            to: old_end,
            high_watermark_before,
            acked_lost,
        });
    }

    /// One replication step `elapsed_ms` after the last: followers copy, the ISR shrinks
    /// and grows, the preferred leader returns, the high watermark moves. Work is
    /// proportional to the replicas, never to the records.
    pub fn replicate(&mut self, elapsed_ms: i64, ctx: &mut Ctx<'_>) {
        let Some(leader) = self.rs.leader() else {
            return;
        };
        let (end, now) = (self.log.log_end_offset(), ctx.now);
        for (id, p) in self.rs.progress_mut() {
            match ctx.cluster.node(id) {
                _ if id == leader => p.caught_up_ms = now,
                Some(node) if node.is_up() => copy(p, end, node.slow_rate(), elapsed_ms, now),
                _ => {}
            }
        }
        let (cluster, lag_max) = (ctx.cluster, ctx.cluster.replica_lag_time_max_ms());
        let lagging = |rs: &ReplicaSet, b: BrokerId| {
            b != leader && rs.caught_up_ms(b).is_some_and(|t| now - t > lag_max)
        };
        loop {
            let found = self.rs.isr().iter().copied().find(|&b| lagging(self.rs, b));
            let Some(b) = found else { break };
            self.rs.shrink_isr(b);
            self.isr_event(ctx, b, false);
        }
        // Against the high watermark the ISR just left stands for: one that left must reach
        // what the others have before it counts as in sync again.
        let hw = self.rs.isr_min_leo().max(self.log.high_watermark());
        let rejoins = |rs: &ReplicaSet, b: BrokerId| {
            !rs.in_sync(b) && cluster.is_up(b) && rs.log_end_offset(b).is_some_and(|l| l >= hw)
        };
        loop {
            let found = self
                .rs
                .replicas()
                .iter()
                .copied()
                .find(|&b| rejoins(self.rs, b));
            let Some(b) = found else { break };
            self.rs.expand_isr(b, now);
            self.isr_event(ctx, b, true);
        }
        self.prefer(ctx);
        self.advance_hw(ctx);
        self.rs.ledger.trim(self.rs.min_leo());
    }

    /// Leadership returns to the first replica once it is back in sync with everything the
    /// leader has, so the move cuts nothing.
    fn prefer(&mut self, ctx: &mut Ctx<'_>) {
        let preferred = self.rs.preferred_leader();
        let previous = self.rs.leader();
        if previous == Some(preferred)
            || !self.rs.in_sync(preferred)
            || !ctx.cluster.is_up(preferred)
            || self.rs.log_end_offset(preferred) != Some(self.log.log_end_offset())
        {
            return;
        }
        self.elect(preferred, ElectionKind::Preferred, previous, ctx);
    }

    /// The high watermark becomes the smallest log end in the ISR (or follows the end when
    /// the leader is alone in sync), and `acks=all` records it passed are answered.
    pub fn advance_hw(&mut self, ctx: &mut Ctx<'_>) {
        if self.rs.is_offline() {
            self.log.set_hw_follows_end(false);
            return;
        }
        let before = self.log.high_watermark();
        if self.rs.leader_alone_in_sync() {
            self.log.set_hw_follows_end(true);
        } else {
            self.log.set_high_watermark(self.rs.isr_min_leo());
        }
        let hw = self.log.high_watermark();
        ctx.hw_moved |= hw > before;
        if self.rs.replicas().len() > 1 {
            let isr_ok = self.rs.isr().len() as u32 >= self.min_insync;
            let mut sink = TallySink {
                tallies: ctx.tallies,
                topic: self.topic,
                partition: self.partition,
            };
            self.rs.ledger.settle(hw, isr_ok, &mut sink);
        }
    }
}

/// A live follower copies toward `end`: all of it when healthy, at most `rate` records per
/// second when slow. Reaching the end refreshes its caught-up time.
fn copy(p: &mut Progress, end: i64, slow: Option<f64>, elapsed_ms: i64, now: i64) {
    match slow {
        None => p.leo = p.leo.max(end),
        Some(rate) => {
            p.carry += rate * elapsed_ms as f64 / 1000.0;
            let step = (p.carry.floor() as i64).clamp(0, (end - p.leo).max(0));
            p.leo += step;
            p.carry -= step as f64;
        }
    }
    if p.leo >= end {
        p.caught_up_ms = now;
        // Idle time is not banked: a slow follower never copies faster than its rate.
        p.carry = p.carry.min(1.0);
    }
}
