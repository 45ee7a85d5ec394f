//! One simulated group member, driving the broker's real group protocol.
//!
//! Life cycle: JoinGroup (possibly waiting for the others) → SyncGroup (the leader asks the
//! broker to run the assignor; followers wait for the result) → Active: heartbeat, poll,
//! process, commit. A heartbeat answered with a rebalance sends the member back to
//! JoinGroup, so a rebalance takes as long as the members take to notice.

use crate::broker::{
    Broker, BrokerError, JoinGroupRequest, JoinOutcome, JoinResult, SyncAssignment, SyncOutcome,
    TopicPartition,
};
use bytes::Bytes;

use super::super::scenario::{AutoOffsetReset, CommitPolicy, GroupSpec};
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
}

impl MemberState {
    /// A lowercase word for the state, for display.
    pub fn label(self) -> &'static str {
        match self {
            MemberState::Joining => "joining",
            MemberState::Syncing => "syncing",
            MemberState::Active => "active",
            MemberState::Crashed => "crashed",
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
    /// Needs to send JoinGroup on its next tick.
    must_join: bool,
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
    /// Whether it holds its assignment for the group's current generation and will not
    /// rejoin on its own: the point where the invariants must hold exactly.
    pub(crate) fn is_settled(&self) -> bool {
        self.state == MemberState::Active && !self.must_join
    }

    fn heartbeat_interval(spec: &GroupSpec) -> i64 {
        (spec.session_timeout_ms / 3).clamp(1, MAX_HEARTBEAT_INTERVAL_MS)
    }

    /// One tick of `dt_ms`, ending at `env.now`. Returns records processed.
    pub(crate) fn tick(&mut self, env: &mut Env<'_>, dt_ms: i64, paused: bool) -> u64 {
        if self.state == MemberState::Crashed {
            return 0;
        }
        if self.must_join {
            self.join(env);
        }
        match self.state {
            MemberState::Joining => self.poll_join(env),
            MemberState::Syncing => self.poll_sync(env),
            _ => {}
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
                self.heartbeat(env);
            }
        }
        if self.must_join {
            self.join(env);
        }
        self.processed - before
    }

    fn heartbeat(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            return;
        };
        match env
            .broker
            .heartbeat(env.group, &id, self.generation, env.now)
        {
            Err(BrokerError::RebalanceInProgress(_))
            | Err(BrokerError::IllegalGeneration { .. }) => self.rebalance_noticed(env),
            Err(BrokerError::UnknownMemberId { .. }) => self.fenced(),
            _ => self.next_heartbeat_ms = env.now + Self::heartbeat_interval(env.spec),
        }
    }

    /// The group is rebalancing: rejoin. An eager member first gives up everything
    /// (committing first under auto-commit, as the Java client does); a cooperative one
    /// keeps working on what it owns.
    fn rebalance_noticed(&mut self, env: &mut Env<'_>) {
        if !env.spec.assignor.is_cooperative() {
            if matches!(env.spec.commit, CommitPolicy::Auto { .. }) {
                self.commit(env);
            }
            self.drop_all();
        }
        self.must_join = true;
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

    fn join(&mut self, env: &mut Env<'_>) {
        self.must_join = false;
        self.state = MemberState::Joining;
        let mut req = JoinGroupRequest::consumer(
            env.group,
            &self.client_id,
            &env.spec.topics,
            env.spec.assignor.protocol_name(),
        );
        req.member_id = self.member_id.clone();
        // Like a real consumer's subscription, the metadata names what the member owns. A
        // cooperative member that gave partitions up rejoins with a smaller list, and that
        // change is what makes the broker start the follow-up rebalance rather than hand
        // back the current generation.
        let owned: Vec<String> = self
            .owned
            .iter()
            .map(|o| env.tracks[o.part].tp.to_string())
            .collect();
        req.protocols[0].metadata = Bytes::from(owned.join(","));
        req.session_timeout_ms = env.spec.session_timeout_ms;
        req.rebalance_timeout_ms = req.rebalance_timeout_ms.max(env.spec.session_timeout_ms);
        match env.broker.join_group(req, env.now) {
            Ok(JoinOutcome::Joined(result)) => {
                self.member_id = Some(result.member_id.clone());
                self.joined(env, result);
            }
            Ok(JoinOutcome::Pending { member_id }) => self.member_id = Some(member_id),
            Err(BrokerError::UnknownMemberId { .. }) => {
                self.member_id = None;
                self.must_join = true;
            }
            // Anything else is retried on the next tick.
            Err(_) => self.must_join = true,
        }
    }

    fn poll_join(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            self.must_join = true;
            return;
        };
        if let Some(result) = env.broker.poll_join(env.group, &id) {
            self.joined(env, result);
        } else if env
            .broker
            .group(env.group)
            .is_none_or(|g| g.member(&id).is_none())
        {
            // Removed while waiting (the rebalance timed out on us): start over.
            self.fenced();
        }
    }

    fn joined(&mut self, env: &mut Env<'_>, result: JoinResult) {
        self.generation = result.generation;
        self.state = MemberState::Syncing;
        let request = if result.leader == result.member_id {
            SyncAssignment::Compute(env.spec.assignor)
        } else {
            SyncAssignment::Follower
        };
        match env.broker.sync_group(
            env.group,
            &result.member_id,
            self.generation,
            request,
            env.now,
        ) {
            Ok(SyncOutcome::Assigned(a)) => self.assigned(env, a.partitions),
            Ok(SyncOutcome::Pending) => {}
            Err(BrokerError::UnknownMemberId { .. }) => self.fenced(),
            Err(_) => self.rebalance_noticed(env),
        }
    }

    fn poll_sync(&mut self, env: &mut Env<'_>) {
        let Some(id) = self.member_id.clone() else {
            self.must_join = true;
            return;
        };
        match env.broker.poll_sync(env.group, &id, self.generation) {
            None => {}
            Some(Ok(a)) => self.assigned(env, a.partitions),
            Some(Err(BrokerError::UnknownMemberId { .. })) => self.fenced(),
            Some(Err(_)) => self.rebalance_noticed(env),
        }
    }

    /// Takes a new assignment. Partitions kept keep their positions; new ones start from
    /// the committed offset, or per `auto_offset_reset`. A cooperative member that had to
    /// give partitions up rejoins at once, so the follow-up rebalance can hand them out.
    fn assigned(&mut self, env: &mut Env<'_>, partitions: Vec<TopicPartition>) {
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
        }
        self.owned.sort_by_key(|o| o.part);
        self.state = MemberState::Active;
        // Heartbeat straight away: the session clock has run since the join request, and
        // a join that waited for a crashed member to expire may have used most of it.
        self.next_heartbeat_ms = env.now;
        if env.spec.assignor.is_cooperative() && !revoked.is_empty() {
            self.must_join = true;
        }
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

    /// A graceful leave: commits first under auto-commit (as `close()` does), then LeaveGroup.
    pub(crate) fn leave(&mut self, env: &mut Env<'_>, commit: bool) {
        if commit && matches!(env.spec.commit, CommitPolicy::Auto { .. }) {
            self.commit(env);
        }
        if let Some(id) = &self.member_id {
            // An unknown member has nothing left to leave.
            let _ = env.broker.leave_group(env.group, id, env.now);
        }
        self.drop_all();
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
