//! One simulated group member: what it owns and processes, and the commits it makes.
//! How it gets its partitions is the group protocol's business:
//! - [`classic`]: JoinGroup (possibly waiting for the others) → SyncGroup (the leader asks
//!   the broker to run the assignor; followers wait for the result) → Active: heartbeat,
//!   poll, process, commit. A heartbeat answered with a rebalance sends the member back to
//!   JoinGroup, so a rebalance takes as long as the members take to notice.
//! - [`consumer_protocol`]: ConsumerGroupHeartbeat (KIP-848) on an interval the broker sets;
//!   each answer may take partitions away (given up at once, and acknowledged on the next
//!   tick) or hand new ones over, and nobody else stops.

mod classic;
mod consumer_protocol;

use crate::broker::{Broker, BrokerError, TopicPartition};

use super::super::scenario::{AutoOffsetReset, CommitPolicy, GroupSpec, RebalanceProtocol};
use super::tracking::PartTrack;

/// The longest gap between heartbeats, as the Java client's default (3 s).
const MAX_HEARTBEAT_INTERVAL_MS: i64 = 3_000;
/// Processing credit is kept in thousandths of a record so integer rates add up exactly.
const MILLI: f64 = 1000.0;

/// Where a member stands in the group protocol, as the UI shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberState {
    /// Sent JoinGroup (or about to); waiting for the rebalance to gather everyone.
    Joining,
    /// Joined; waiting for the leader's assignment.
    Syncing,
    /// Has its assignment: heartbeating, polling and processing.
    Active,
    /// Stopped dead: no heartbeats, no leave. The broker expels it after the session timeout.
    Crashed,
    /// Closed for a restart; it starts again (with the same instance id, if static) when its
    /// downtime is over.
    Restarting,
}

impl MemberState {
    /// A lowercase word for the state, for display.
    pub fn label(self) -> &'static str {
        match self {
            MemberState::Joining => "joining",
            MemberState::Syncing => "syncing",
            MemberState::Active => "active",
            MemberState::Crashed => "crashed",
            MemberState::Restarting => "restarting",
        }
    }
}

/// What a member's tick needs from its group.
pub(crate) struct Env<'a> {
    pub broker: &'a mut Broker,
    pub now: i64,
    pub group: &'a str,
    pub spec: &'a GroupSpec,
    pub tracks: &'a mut Vec<PartTrack>,
}

/// A partition the member owns, with its positions.
#[derive(Debug, Clone)]
struct Owned {
    /// Index into the group's tracks.
    part: usize,
    /// The next offset to fetch.
    fetch: i64,
    /// One past the last processed record: what a commit stores.
    done: i64,
    /// What this member last committed here (or found committed).
    committed: Option<i64>,
}

/// Records fetched by a poll and not processed yet.
#[derive(Debug, Clone, Copy)]
struct Segment {
    part: usize,
    from: i64,
    to: i64,
}

/// A simulated consumer in a group.
#[derive(Debug, Clone)]
pub struct MemberSim {
    client_id: String,
    member_id: Option<String>,
    state: MemberState,
    /// Needs to join on its next tick: JoinGroup, or a heartbeat with epoch 0.
    must_join: bool,
    /// The generation of its last join (classic) or its member epoch (consumer protocol):
    /// what its commits carry.
    generation: i32,
    owned: Vec<Owned>,
    batch: Vec<Segment>,
    batch_next: usize,
    round_robin: usize,
    credit: f64,
    next_heartbeat_ms: i64,
    last_auto_commit_ms: i64,
    since_commit: u64,
    processed: u64,
    /// Consumer protocol: how often the broker wants a heartbeat.
    heartbeat_interval_ms: i64,
    /// When this incarnation started: a restart takes the member that has run longest.
    started_ms: i64,
    /// While down for a restart: when it starts again.
    back_at_ms: Option<i64>,
}

impl MemberSim {
    pub(crate) fn new(client_id: String, now: i64) -> Self {
        MemberSim {
            client_id,
            member_id: None,
            state: MemberState::Joining,
            must_join: true,
            generation: -1,
            owned: Vec::new(),
            batch: Vec::new(),
            batch_next: 0,
            round_robin: 0,
            credit: 0.0,
            next_heartbeat_ms: now,
            last_auto_commit_ms: now,
            since_commit: 0,
            processed: 0,
            heartbeat_interval_ms: MAX_HEARTBEAT_INTERVAL_MS,
            started_ms: now,
            back_at_ms: None,
        }
    }

    /// The client id, as `billing-1`: stable for the member's life.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
    /// The id the broker gave it, once it has joined.
    pub fn member_id(&self) -> Option<&str> {
        self.member_id.as_deref()
    }
    /// Where the member stands in the group protocol.
    pub fn state(&self) -> MemberState {
        self.state
    }
    /// The generation of its last join.
    pub fn generation(&self) -> i32 {
        self.generation
    }
    /// Records this member has processed.
    pub fn processed(&self) -> u64 {
        self.processed
    }
    /// How many partitions it is working on right now.
    pub fn owned_count(&self) -> usize {
        self.owned.len()
    }
    pub(crate) fn owned_parts(&self) -> impl Iterator<Item = usize> + '_ {
        self.owned.iter().map(|o| o.part)
    }
    pub(crate) fn is_live(&self) -> bool {
        self.state != MemberState::Crashed
    }
    /// Live and not down for a restart: a member commands may stop, crash or restart.
    pub(crate) fn is_running(&self) -> bool {
        self.is_live() && self.state != MemberState::Restarting
    }
    /// When this incarnation started.
    pub(crate) fn started_ms(&self) -> i64 {
        self.started_ms
    }
    /// Whether it holds its assignment for the group's current generation and will not
    /// rejoin on its own: the point where the invariants must hold exactly.
    pub(crate) fn is_settled(&self) -> bool {
        self.state == MemberState::Active && !self.must_join
    }

    /// A classic member's heartbeat interval, and the one simulated consumer-protocol groups
    /// are configured with, so both protocols notice changes equally fast.
    pub(crate) fn heartbeat_interval(spec: &GroupSpec) -> i64 {
        (spec.session_timeout_ms / 3).clamp(1, MAX_HEARTBEAT_INTERVAL_MS)
    }

    /// One tick of `dt_ms`, ending at `env.now`. Returns records processed.
    pub(crate) fn tick(&mut self, env: &mut Env<'_>, dt_ms: i64, paused: bool) -> u64 {
        match self.state {
            MemberState::Crashed => return 0,
            MemberState::Restarting if self.back_at_ms.is_some_and(|t| env.now < t) => return 0,
            MemberState::Restarting => self.start_again(env.now),
            _ => {}
        }
        let consumer = matches!(env.spec.protocol, RebalanceProtocol::Consumer(_));
        if consumer {
            self.consumer_step(env);
        } else {
            self.classic_step(env);
        }
        let before = self.processed;
        if !paused {
            self.process(env, dt_ms);
        }
        if self.state == MemberState::Active {
            if let CommitPolicy::Auto { interval_ms } = env.spec.commit
                && env.now - self.last_auto_commit_ms >= interval_ms
            {
                self.last_auto_commit_ms = env.now;
                self.commit(env);
            }
            if env.now >= self.next_heartbeat_ms {
                if consumer {
                    self.consumer_heartbeat(env);
                } else {
                    self.heartbeat(env);
                }
            }
        }
        if self.must_join && !consumer {
            self.join(env);
        }
        self.processed - before
    }

    /// A new incarnation after a restart: no member id, nothing owned, joining from scratch.
    fn start_again(&mut self, now: i64) {
        self.state = MemberState::Joining;
        self.back_at_ms = None;
        self.member_id = None;
        self.must_join = true;
        self.generation = -1;
        self.started_ms = now;
        self.next_heartbeat_ms = now;
        self.last_auto_commit_ms = now;
    }

    /// `group.instance.id` when the group's members are static: the client id, which a
    /// restart keeps.
    fn instance_id(&self, spec: &GroupSpec) -> Option<String> {
        spec.static_members.then(|| self.client_id.clone())
    }

    /// The broker no longer knows this member (expelled): start over as a new member,
    /// without committing, since the broker would refuse.
    fn fenced(&mut self) {
        self.member_id = None;
        self.drop_all();
        self.must_join = true;
    }

    fn drop_all(&mut self) {
        self.owned.clear();
        self.batch.clear();
        self.batch_next = 0;
        self.credit = 0.0;
        self.since_commit = 0;
    }

    /// Takes a new assignment. Partitions kept keep their positions; new ones start from
    /// the committed offset, or per `auto_offset_reset`; partitions given up are committed
    /// first under auto-commit, as the Java client does. Returns (given up, taken) counts.
    fn take_partitions(
        &mut self,
        env: &mut Env<'_>,
        partitions: Vec<TopicPartition>,
    ) -> (usize, usize) {
        let mut wanted: Vec<usize> = partitions
            .into_iter()
            .map(|tp| track_index(env.tracks, tp))
            .collect();
        wanted.sort_unstable();
        let revoked: Vec<usize> = self
            .owned
            .iter()
            .map(|o| o.part)
            .filter(|p| wanted.binary_search(p).is_err())
            .collect();
        if !revoked.is_empty() {
            if matches!(env.spec.commit, CommitPolicy::Auto { .. }) {
                self.commit(env);
            }
            self.owned.retain(|o| !revoked.contains(&o.part));
            self.batch.retain(|s| !revoked.contains(&s.part));
            self.batch_next = 0;
        }
        let mut taken = 0;
        for part in wanted {
            if self.owned.iter().any(|o| o.part == part) {
                continue;
            }
            let committed = env.broker.committed_offset(env.group, &env.tracks[part].tp);
            let start = start_position(env, part, committed);
            self.owned.push(Owned {
                part,
                fetch: start,
                done: start,
                committed,
            });
            taken += 1;
        }
        self.owned.sort_by_key(|o| o.part);
        (revoked.len(), taken)
    }

    /// Fetches up to `max_poll_records` across owned partitions, starting from a rotating
    /// one so no partition starves.
    fn poll(&mut self, env: &mut Env<'_>) {
        if env.spec.commit == CommitPolicy::EveryPoll {
            self.commit(env);
        }
        self.batch.clear();
        self.batch_next = 0;
        let n = self.owned.len();
        if n == 0 {
            return;
        }
        let mut room = i64::from(env.spec.max_poll_records);
        for k in 0..n {
            let o = &mut self.owned[(self.round_robin + k) % n];
            let tp = &env.tracks[o.part].tp;
            let Some(t) = env.broker.topic(&tp.topic) else {
                continue;
            };
            // Fetches go to the leader: an offline partition stalls its consumer.
            let (Some(log), Some(false)) = (
                t.partition(tp.partition),
                t.replica_set(tp.partition).map(|r| r.is_offline()),
            ) else {
                continue;
            };
            let (start, hw) = (log.log_start_offset(), log.high_watermark());
            if o.fetch < start || o.fetch > hw {
                // Out of range: the records were deleted, or the log was replaced.
                o.fetch = match env.spec.auto_offset_reset {
                    AutoOffsetReset::Earliest => start,
                    AutoOffsetReset::Latest => hw,
                };
                o.done = o.fetch;
                env.tracks[o.part].reached(o.fetch);
            }
            let take = (hw - o.fetch).min(room);
            if take > 0 {
                self.batch.push(Segment {
                    part: o.part,
                    from: o.fetch,
                    to: o.fetch + take,
                });
                o.fetch += take;
                env.tracks[o.part].reached(o.fetch);
                room -= take;
                if room == 0 {
                    break;
                }
            }
        }
        self.round_robin = (self.round_robin + 1) % n;
    }

    fn process(&mut self, env: &mut Env<'_>, dt_ms: i64) {
        if self.owned.is_empty() {
            return;
        }
        self.credit += env.spec.process_rate * dt_ms as f64;
        loop {
            if self.batch_next >= self.batch.len() {
                self.poll(env);
                if self.batch.is_empty() {
                    // Nothing to do: idle time cannot be banked for later.
                    self.credit = 0.0;
                    return;
                }
            }
            let can = (self.credit / MILLI).floor() as i64;
            if can <= 0 {
                return;
            }
            let seg = &mut self.batch[self.batch_next];
            let mut n = can.min(seg.to - seg.from);
            if let CommitPolicy::EveryN(every) = env.spec.commit {
                let until_commit = every.saturating_sub(self.since_commit).max(1);
                n = n.min(i64::try_from(until_commit).unwrap_or(i64::MAX));
            }
            let (part, from) = (seg.part, seg.from);
            seg.from += n;
            if seg.from == seg.to {
                self.batch_next += 1;
            }
            env.tracks[part].processed(from, from + n);
            if let Some(o) = self.owned.iter_mut().find(|o| o.part == part) {
                o.done = from + n;
            }
            self.credit -= n as f64 * MILLI;
            self.processed += n as u64;
            self.since_commit = self.since_commit.saturating_add(n as u64);
            if let CommitPolicy::EveryN(every) = env.spec.commit
                && self.since_commit >= every
            {
                self.commit(env);
            }
        }
    }

    /// Commits what has been processed. Refused while the group completes a rebalance
    /// (retried later); a stale generation or unknown member means a rebalance to join.
    fn commit(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            return;
        };
        let offsets: Vec<(TopicPartition, i64)> = self
            .owned
            .iter()
            .filter(|o| o.committed != Some(o.done))
            .map(|o| (env.tracks[o.part].tp.clone(), o.done))
            .collect();
        if offsets.is_empty() {
            self.since_commit = 0;
            return;
        }
        match env
            .broker
            .commit_offsets(env.group, &id, self.generation, &offsets, env.now)
        {
            Ok(()) => {
                for o in &mut self.owned {
                    o.committed = Some(o.done);
                }
                self.since_commit = 0;
            }
            Err(BrokerError::IllegalGeneration { .. }) => self.must_join = true,
            Err(BrokerError::UnknownMemberId { .. }) => self.fenced(),
            Err(_) => {}
        }
    }

    /// The log of track `part` was cut back to `to`: positions past it come back, and
    /// fetched records past it are gone.
    pub(crate) fn truncated(&mut self, part: usize, to: i64) {
        for o in self.owned.iter_mut().filter(|o| o.part == part) {
            o.fetch = o.fetch.min(to);
            o.done = o.done.min(to);
            o.committed = o.committed.map(|c| c.min(to));
        }
        for seg in self.batch.iter_mut().filter(|s| s.part == part) {
            seg.to = seg.to.min(to);
            seg.from = seg.from.min(seg.to);
        }
    }

    /// Stops dead: nothing more is sent, and everything in flight is forgotten.
    pub(crate) fn crash(&mut self) {
        self.state = MemberState::Crashed;
        self.must_join = false;
        self.drop_all();
    }

    /// A graceful leave: commits first under auto-commit (as `close()` does), then leaves
    /// the group. A `permanent` leave (scaling down, or clearing the group for an offset
    /// reset) takes a static member out for good; a restart's `close()` does not, so a
    /// static member keeps its place for its session.
    pub(crate) fn leave(&mut self, env: &mut Env<'_>, commit: bool, permanent: bool) {
        if commit && matches!(env.spec.commit, CommitPolicy::Auto { .. }) {
            self.commit(env);
        }
        match env.spec.protocol {
            RebalanceProtocol::Classic(_) => self.classic_leave(env, permanent),
            RebalanceProtocol::Consumer(_) => self.consumer_leave(env, permanent),
        }
        self.drop_all();
    }

    /// Closes as for a restart and stays down for `downtime_ms`; it then starts again as a
    /// new incarnation (a new member id, the same instance id when static).
    pub(crate) fn restart(&mut self, env: &mut Env<'_>, downtime_ms: i64) {
        self.leave(env, true, false);
        self.state = MemberState::Restarting;
        self.must_join = false;
        self.back_at_ms = Some(env.now + downtime_ms);
    }
}

/// Where a member starts on a newly assigned partition.
fn start_position(env: &mut Env<'_>, part: usize, committed: Option<i64>) -> i64 {
    let tp = &env.tracks[part].tp;
    let (start, hw) = env
        .broker
        .partition(&tp.topic, tp.partition)
        .map_or((0, 0), |l| (l.log_start_offset(), l.high_watermark()));
    let track = &mut env.tracks[part];
    match committed {
        Some(c) if (start..=hw).contains(&c) => {
            if track.frontier.is_none() {
                track.reached(c);
            }
            c
        }
        _ => match env.spec.auto_offset_reset {
            AutoOffsetReset::Earliest => {
                if track.frontier.is_none() {
                    track.reached(start);
                }
                start
            }
            AutoOffsetReset::Latest => {
                track.reached(hw);
                hw
            }
        },
    }
}

/// The track for `tp`, added if the partition is new to the group. Tracks are never
/// reordered, so indices held by members stay valid.
pub(crate) fn track_index(tracks: &mut Vec<PartTrack>, tp: TopicPartition) -> usize {
    match tracks.iter().position(|t| t.tp == tp) {
        Some(i) => i,
        None => {
            tracks.push(PartTrack::new(tp));
            tracks.len() - 1
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::broker::{Broker, NewRecord, TopicConfig};
    use crate::sim::consumer::GroupSim;
    use crate::sim::scenario::{CommitPolicy, GroupSpec};

    #[test]
    fn commit_every_past_i64_max_neither_wraps_nor_loops() {
        let mut broker = Broker::new();
        broker.create_topic("t", TopicConfig::new(1), 0).unwrap();
        for i in 0..100 {
            broker.append("t", 0, NewRecord::new(i, None, "v")).unwrap();
        }
        for every in [u64::MAX, i64::MAX as u64 + 1] {
            let mut spec = GroupSpec::with_defaults("g", vec!["t".into()]);
            spec.commit = CommitPolicy::EveryN(every);
            spec.process_rate = 1_000.0;
            let mut group = GroupSim::new(spec, 0);
            let mut b = broker.clone();
            group.add_member(&mut b, 0);
            let processed: u64 = (1..=50).map(|t| group.tick(&mut b, t * 10, 10)).sum();
            assert_eq!(processed, 100, "commit_every = {every}");
        }
    }
}
