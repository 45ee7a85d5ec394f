//! One partition's replicas: which brokers hold it, who leads in which epoch, who is in
//! sync, and how far each replica's log reaches.
//!
//! Replicas hold no records. A partition's records live in one log, the leader's; a
//! follower is its log end offset (LEO), and its data is by construction the prefix of
//! that log up to its LEO. An election that cuts the log clamps every LEO to the new end at
//! once, which is where a returning replica would truncate to anyway (KIP-101). See
//! docs/design.md, "Replication".

mod ledger;

use super::cluster::BrokerId;

pub(crate) use ledger::{AckLedger, AckSink};

/// How a partition got its leader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ElectionKind {
    /// The leader's broker went; an in-sync replica took over and nothing acknowledged
    /// under `acks=all` was lost.
    Clean,
    /// No in-sync replica was alive and unclean election is on: an out-of-sync replica took
    /// over, and the log was cut to its end.
    Unclean,
    /// The first replica, back in sync, took leadership back.
    Preferred,
    /// The leader's broker is shutting down and handed leadership over first.
    ControlledShutdown,
    /// The partition was offline and an in-sync replica came back.
    BackOnline,
}

impl ElectionKind {
    /// A short phrase for the events pane.
    pub fn label(self) -> &'static str {
        match self {
            ElectionKind::Clean => "clean election",
            ElectionKind::Unclean => "UNCLEAN election",
            ElectionKind::Preferred => "preferred leader back",
            ElectionKind::ControlledShutdown => "controlled shutdown",
            ElectionKind::BackOnline => "back online",
        }
    }
}

/// Where an epoch's records start: the leader epoch cache of KIP-101, which answers
/// OffsetForLeaderEpoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EpochStart {
    /// The leader epoch.
    pub epoch: i32,
    /// Its first record's offset.
    pub start_offset: i64,
}

/// The most epochs a partition remembers; older ones go first.
const MAX_EPOCHS: usize = 256;

/// What a replica has copied and since when it has kept up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Progress {
    pub leo: i64,
    /// The last time its log end reached the leader's.
    pub caught_up_ms: i64,
    /// Records a slow follower has earned but not yet copied (fractions of one).
    pub carry: f64,
}

/// A partition's replicas. See the module docs.
#[derive(Debug, Clone)]
pub struct ReplicaSet {
    replicas: Vec<BrokerId>,
    progress: Vec<Progress>,
    leader: Option<BrokerId>,
    leader_epoch: i32,
    isr: Vec<BrokerId>,
    epochs: Vec<EpochStart>,
    pub(crate) ledger: AckLedger,
    unclean_elections: u32,
    last_cut: Option<(i64, i64)>,
    /// NOT_ENOUGH_REPLICAS refusals since the last event about them, and when it was.
    pub(crate) refusals_since_event: u64,
    pub(crate) last_refusal_event_ms: Option<i64>,
}

impl ReplicaSet {
    /// A new partition on `replicas` (all live), created at `now`: the first leads, every
    /// one is in sync.
    pub(crate) fn new(replicas: Vec<BrokerId>, now: i64) -> Self {
        let progress = vec![
            Progress {
                leo: 0,
                caught_up_ms: now,
                carry: 0.0,
            };
            replicas.len()
        ];
        ReplicaSet {
            leader: replicas.first().copied(),
            isr: replicas.clone(),
            progress,
            replicas,
            leader_epoch: 0,
            epochs: vec![EpochStart {
                epoch: 0,
                start_offset: 0,
            }],
            ledger: AckLedger::default(),
            unclean_elections: 0,
            last_cut: None,
            refusals_since_event: 0,
            last_refusal_event_ms: None,
        }
    }

    /// The brokers holding the partition, the preferred leader first.
    pub fn replicas(&self) -> &[BrokerId] {
        &self.replicas
    }
    /// The broker that leads, or `None` while the partition is offline.
    pub fn leader(&self) -> Option<BrokerId> {
        self.leader
    }
    /// Counts elections: 0 at creation, one more for each new leader.
    pub fn leader_epoch(&self) -> i32 {
        self.leader_epoch
    }
    /// The in-sync replicas: the leader and the followers that keep up, in the order they
    /// joined. Offline, it holds the last member, as Kafka keeps it.
    pub fn isr(&self) -> &[BrokerId] {
        &self.isr
    }
    /// The first replica, which leads whenever it is in sync.
    pub fn preferred_leader(&self) -> BrokerId {
        self.replicas[0]
    }
    /// Whether no broker leads: nothing can be produced or fetched.
    pub fn is_offline(&self) -> bool {
        self.leader.is_none()
    }
    /// Whether fewer replicas are in sync than exist.
    pub fn is_under_replicated(&self) -> bool {
        self.isr.len() < self.replicas.len()
    }
    /// Whether `broker` is in sync.
    pub fn in_sync(&self, broker: BrokerId) -> bool {
        self.isr.contains(&broker)
    }
    /// Replica `broker`'s log end offset; the leader's is the log's end.
    pub fn log_end_offset(&self, broker: BrokerId) -> Option<i64> {
        self.index(broker).map(|i| self.progress[i].leo)
    }
    /// The last time replica `broker` had everything the leader had.
    pub fn caught_up_ms(&self, broker: BrokerId) -> Option<i64> {
        self.index(broker).map(|i| self.progress[i].caught_up_ms)
    }
    /// Every epoch's start offset, oldest first (the newest few hundred).
    pub fn epochs(&self) -> &[EpochStart] {
        &self.epochs
    }
    /// Kafka's OffsetForLeaderEpoch: the largest epoch at most `epoch` and where it ended
    /// (the next epoch's start, or the log end for the current one); `None` when `epoch` is
    /// older than every epoch remembered.
    pub fn end_offset_for_epoch(&self, epoch: i32, log_end: i64) -> Option<(i32, i64)> {
        let i = self.epochs.partition_point(|e| e.epoch <= epoch);
        let found = self.epochs.get(i.checked_sub(1)?)?;
        let end = self.epochs.get(i).map_or(log_end, |next| next.start_offset);
        Some((found.epoch, end))
    }
    /// Unclean elections this partition went through.
    pub fn unclean_elections(&self) -> u32 {
        self.unclean_elections
    }
    /// The offsets the last election cut away, `from..to`: shown on the partition strip
    /// until new records fill them again.
    pub fn last_cut(&self) -> Option<(i64, i64)> {
        self.last_cut
    }

    /// Runs of records not yet on every replica that the broker tracks for counting
    /// acknowledged losses: this partition's bookkeeping memory, bounded by its log.
    pub fn unreplicated_runs(&self) -> usize {
        self.ledger.len()
    }

    fn index(&self, broker: BrokerId) -> Option<usize> {
        self.replicas.iter().position(|&b| b == broker)
    }

    pub(crate) fn progress_mut(&mut self) -> impl Iterator<Item = (BrokerId, &mut Progress)> {
        self.replicas.iter().copied().zip(self.progress.iter_mut())
    }

    /// Records that the leader appended up to `end`.
    #[inline]
    pub(crate) fn leader_appended(&mut self, end: i64) {
        if let Some(i) = self.leader.and_then(|l| self.index_fast(l)) {
            self.progress[i].leo = end;
        }
    }

    /// The leader is nearly always the first replica; look there before searching.
    #[inline]
    fn index_fast(&self, broker: BrokerId) -> Option<usize> {
        if self.replicas.first() == Some(&broker) {
            Some(0)
        } else {
            self.index(broker)
        }
    }

    /// The smallest log end over the in-sync replicas: the high watermark.
    pub(crate) fn isr_min_leo(&self) -> i64 {
        (self.isr.iter())
            .filter_map(|&b| self.log_end_offset(b))
            .min()
            .unwrap_or(0)
    }
    /// The smallest log end over every replica: records below it are on all of them.
    pub(crate) fn min_leo(&self) -> i64 {
        self.progress.iter().map(|p| p.leo).min().unwrap_or(0)
    }
    /// Whether the leader is alone in sync, so appends are committed at once.
    pub(crate) fn leader_alone_in_sync(&self) -> bool {
        self.leader.is_some() && self.isr.len() == 1
    }

    /// Takes `broker` out of the ISR, unless it is the last member. True if it left.
    pub(crate) fn shrink_isr(&mut self, broker: BrokerId) -> bool {
        if self.isr.len() <= 1 {
            return false;
        }
        let before = self.isr.len();
        self.isr.retain(|&b| b != broker);
        self.isr.len() < before
    }
    /// Adds `broker` to the ISR with a fresh lag allowance, so it does not flap back out.
    pub(crate) fn expand_isr(&mut self, broker: BrokerId, now: i64) {
        if !self.isr.contains(&broker) {
            self.isr.push(broker);
        }
        if let Some(i) = self.index(broker) {
            self.progress[i].caught_up_ms = now;
        }
    }
    /// Replaces the ISR (an unclean election leaves only the new leader).
    pub(crate) fn set_isr(&mut self, isr: Vec<BrokerId>) {
        self.isr = isr;
    }
    /// Brings replica `broker` level with `end` now (a controlled shutdown waits for it).
    pub(crate) fn catch_up(&mut self, broker: BrokerId, end: i64, now: i64) {
        if let Some(i) = self.index(broker) {
            self.progress[i].leo = end;
            self.progress[i].caught_up_ms = now;
            self.progress[i].carry = 0.0;
        }
    }

    /// Makes `leader` lead in the next epoch, which starts at its log end.
    pub(crate) fn elect(&mut self, leader: BrokerId, kind: ElectionKind) -> i32 {
        self.leader = Some(leader);
        self.leader_epoch += 1;
        if kind == ElectionKind::Unclean {
            self.unclean_elections += 1;
        }
        let start = self.log_end_offset(leader).unwrap_or(0);
        self.assign_epoch(self.leader_epoch, start);
        self.leader_epoch
    }
    /// No one leads: the partition is offline until an in-sync replica returns.
    pub(crate) fn go_offline(&mut self) {
        self.leader = None;
    }

    /// Kafka's `LeaderEpochFileCache.assign`: later entries that the new one overlaps go.
    fn assign_epoch(&mut self, epoch: i32, start_offset: i64) {
        self.epochs
            .retain(|e| e.epoch < epoch && e.start_offset < start_offset);
        self.epochs.push(EpochStart {
            epoch,
            start_offset,
        });
        if self.epochs.len() > MAX_EPOCHS {
            self.epochs.remove(0);
        }
    }

    /// The log was cut to `end`: no replica reaches past it any more.
    pub(crate) fn cut_to(&mut self, end: i64, old_end: i64) {
        for p in &mut self.progress {
            p.leo = p.leo.min(end);
        }
        self.epochs.retain(|e| e.start_offset <= end);
        if old_end > end {
            self.last_cut = Some((end, old_end));
        }
    }
    /// Retention moved the log start to `start`: a replica behind it resumes from there, as
    /// a Kafka follower does after OFFSET_OUT_OF_RANGE; older epochs are forgotten.
    pub(crate) fn log_start_moved(&mut self, start: i64) {
        for p in &mut self.progress {
            p.leo = p.leo.max(start);
        }
        let keep_from = self.epochs.partition_point(|e| e.start_offset <= start);
        if keep_from > 1 {
            self.epochs.drain(..keep_from - 1);
        }
        if self.last_cut.is_some_and(|(_, to)| to <= start) {
            self.last_cut = None;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_partition_is_led_by_its_first_replica_with_everyone_in_sync() {
        let r = ReplicaSet::new(vec![2, 3, 1], 0);
        assert_eq!(r.leader(), Some(2));
        assert_eq!(r.isr(), [2, 3, 1]);
        assert_eq!(r.leader_epoch(), 0);
        assert!(!r.is_under_replicated());
    }

    #[test]
    fn the_last_isr_member_stays() {
        let mut r = ReplicaSet::new(vec![1, 2], 0);
        assert!(r.shrink_isr(2));
        assert!(!r.shrink_isr(1));
        assert_eq!(r.isr(), [1]);
    }

    #[test]
    fn epochs_answer_offset_for_leader_epoch() {
        let mut r = ReplicaSet::new(vec![1, 2], 0);
        r.catch_up(2, 10, 0);
        assert_eq!(r.elect(2, ElectionKind::Clean), 1);
        r.catch_up(1, 25, 0);
        r.elect(1, ElectionKind::Preferred);
        assert_eq!(r.end_offset_for_epoch(0, 40), Some((0, 10)));
        assert_eq!(r.end_offset_for_epoch(1, 40), Some((1, 25)));
        assert_eq!(r.end_offset_for_epoch(2, 40), Some((2, 40)));
        assert_eq!(r.end_offset_for_epoch(9, 40), Some((2, 40)));
        // A cut below epoch 2's start forgets it.
        r.cut_to(20, 40);
        assert_eq!(r.epochs().last().unwrap().epoch, 1);
        assert_eq!(r.log_end_offset(1), Some(20));
        assert_eq!(r.last_cut(), Some((20, 40)));
    }

    #[test]
    fn an_election_without_new_records_replaces_the_epoch_entry() {
        let mut r = ReplicaSet::new(vec![1, 2], 0);
        r.elect(2, ElectionKind::Clean);
        r.elect(1, ElectionKind::Clean);
        assert_eq!(r.epochs().len(), 1, "{:?}", r.epochs());
        assert_eq!(r.epochs()[0].epoch, 2);
    }
}
