//! Lag three ways, and a verdict, for one consumer group: pure functions over a bounded
//! window of observations, with time passed in. The simulation feeds it its exact history
//! and an observer of a real cluster feeds it its polls; neither is known here.
//!
//! - **Records**: high watermark − committed offset (from the log start before a commit),
//!   what `kafka-consumer-groups.sh --describe` shows.
//! - **Time**: how old the oldest unprocessed record is. Exactly, from the timestamp of the
//!   record at the committed offset, when the caller could read it. Otherwise estimated as
//!   kafka-lag-exporter does: the (high watermark, time) samples say when the high
//!   watermark reached the committed offset, just before the record there was written,
//!   linearly between the two samples around it. An offset
//!   older than the oldest sample is placed by extrapolating back at the rate the log grew
//!   over the oldest stretch where it grew; if it never grew in the window, the oldest
//!   sample's time is used, which makes the estimate a lower bound.
//! - **ETA**: lag ÷ (consume rate − produce rate) when that is positive, otherwise none:
//!   the lag is not draining. With no lag, the ETA is zero.
//!
//! # The verdict
//!
//! Burrow's statuses and its evaluation rules (its wiki, "Consumer Lag Evaluation Rules",
//! and its evaluator), adapted to a source that polls. Burrow keeps a window of the
//! group's commits per partition, each with the lag when it arrived (the broker's last
//! known offset minus the committed offset, never below zero). A poller sees a commit as
//! a committed offset that moved between two polls, so [`PartitionLagHistory`] keeps two
//! rings of `window` entries: the polls, and those commits. For each partition, in
//! Burrow's order:
//!
//! 1. **ERR**: the committed offset is below the log start: retention deleted records
//!    before the group read them, and its next fetch is out of range.
//! 2. **OK** while the current lag is zero: nothing below applies.
//! 3. **STOP**: the time since the last commit is longer than the span from the first to
//!    the last commit in the window (Burrow's "the consumer stopped committing"), unless a
//!    high watermark in the poll window was at or below the last committed offset (it was
//!    caught up recently).
//! 4. **REWIND**: a committed offset in the window went backwards and has not come back
//!    to where it was. (Burrow checks only the first backward step; every one is checked
//!    here.)
//! 5. **STALL**: the committed offset has not moved over a full window of polls, the lag
//!    was above zero at every poll, and it has been still for longer than its commits in
//!    the window were ever apart. (Burrow finds a stall among commits of the same offset; a
//!    poller cannot see those, so it counts polls, and the last condition keeps a consumer
//!    that moves a partition in large, infrequent steps from looking stalled.)
//! 6. **OK** if any commit in the window arrived at zero lag (Burrow's first rule).
//! 7. **WARN**: the lag at the newest commit is at least the lag at the oldest one in the
//!    window and at the one before it: the consumer moves, but falls behind. (Burrow asks
//!    that the lag never fell at any commit in the window; one early dip, common when a
//!    consumer works through its partitions in batches, would then hide a consumer falling
//!    behind for a whole window. The newest step still decides at once when it drains.)
//!
//! STOP and WARN judge a trend, so they wait until the commit window is at least half
//! full (Burrow's `minimum-complete`), and STALL waits for a full window of polls.
//!
//! A group's status is its worst partition's, by [`Status::severity`]. Burrow folds STOP,
//! STALL and REWIND into ERR at group level; here the word stays, so it says what happened.

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

use finding::{Finding, Trend};

/// Burrow's default window: ten entries per partition.
pub const DEFAULT_WINDOW: usize = 10;

/// One observation of a partition for one group, at `at_ms` (wall or virtual time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagSample {
    /// When the sample was taken, in ms.
    pub at_ms: i64,
    /// The partition's log start then.
    pub log_start: i64,
    /// Its high watermark then.
    pub high_watermark: i64,
    /// The group's committed offset then, if any.
    pub committed: Option<i64>,
}

impl LagSample {
    /// Records the group has yet to process: from the committed offset, or from the log
    /// start before the first commit. A committed offset past the high watermark (the two
    /// were read at slightly different times) counts as no lag, as in Burrow.
    pub fn lag(&self) -> i64 {
        (self.high_watermark - self.committed.unwrap_or(self.log_start)).max(0)
    }
}

/// A commit as a poller sees it: the committed offset moved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct CommitPoint {
    at_ms: i64,
    offset: i64,
    /// The lag when it was seen, against the high watermark known before it.
    lag: i64,
}

/// A bounded window of samples for one (group, topic, partition), oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionLagHistory {
    /// How the verdict's reason names the partition, e.g. `orders/2`.
    label: String,
    window: usize,
    samples: VecDeque<LagSample>,
    commits: VecDeque<CommitPoint>,
}

impl PartitionLagHistory {
    /// An empty history keeping `window` samples and `window` commits (at least two of
    /// each, to have a rate). Burrow's default window is [`DEFAULT_WINDOW`].
    pub fn new(window: usize) -> Self {
        let window = window.max(2);
        PartitionLagHistory {
            label: "the partition".to_string(),
            window,
            samples: VecDeque::with_capacity(window),
            commits: VecDeque::with_capacity(window),
        }
    }

    /// An empty history whose verdicts name the partition as `topic/partition`.
    pub fn for_partition(topic: &str, partition: u32, window: usize) -> Self {
        PartitionLagHistory {
            label: format!("{topic}/{partition}"),
            ..Self::new(window)
        }
    }

    /// How the verdicts name the partition.
    pub fn label(&self) -> &str {
        &self.label
    }
    /// Samples (and commits) kept.
    pub fn window(&self) -> usize {
        self.window
    }
    /// Samples held, at most [`PartitionLagHistory::window`].
    pub fn len(&self) -> usize {
        self.samples.len()
    }
    /// Whether no sample was pushed yet.
    pub fn is_empty(&self) -> bool {
        self.samples.is_empty()
    }
    /// The samples held, oldest first.
    pub fn samples(&self) -> impl DoubleEndedIterator<Item = &LagSample> + ExactSizeIterator {
        self.samples.iter()
    }
    /// The newest sample.
    pub fn newest(&self) -> Option<&LagSample> {
        self.samples.back()
    }

    /// Adds a sample, dropping the oldest when the window is full. A sample no newer than
    /// the newest one is ignored: polls can arrive late, and time must move forward for
    /// rates and interpolation to mean anything.
    pub fn push(&mut self, s: LagSample) {
        let prev = self.samples.back().copied();
        if prev.is_some_and(|p| s.at_ms <= p.at_ms) {
            return;
        }
        if let Some(offset) = s.committed
            && prev.is_none_or(|p| p.committed != Some(offset))
        {
            // Burrow measures a commit's lag against the broker offset it last fetched,
            // which is older than the commit.
            let known_hw = prev.map_or(s.high_watermark, |p| p.high_watermark);
            push_bounded(
                &mut self.commits,
                self.window,
                CommitPoint {
                    at_ms: s.at_ms,
                    offset,
                    lag: (known_hw - offset).max(0),
                },
            );
        }
        push_bounded(&mut self.samples, self.window, s);
    }

    /// High watermark − committed (or − log start before a commit), at the newest sample.
    pub fn lag_records(&self) -> Option<i64> {
        self.newest().map(LagSample::lag)
    }

    /// How old the oldest unprocessed record is at the newest sample: `exact_ts` is the
    /// timestamp of the record at the committed offset when the caller could read it;
    /// otherwise interpolated from the (HW, time) history, as kafka-lag-exporter does
    /// (see the module docs). `None` with no sample, or with one sample and nothing exact.
    pub fn time_lag_ms(&self, exact_ts: Option<i64>) -> Option<i64> {
        let newest = self.newest()?;
        if newest.lag() == 0 {
            return Some(0);
        }
        if let Some(ts) = exact_ts {
            return Some((newest.at_ms - ts).max(0));
        }
        let target = newest.committed.unwrap_or(newest.log_start);
        let reached = self.time_hw_reached(target)?;
        Some((newest.at_ms as f64 - reached).round().max(0.0) as i64)
    }

    /// When the high watermark reached `offset`, in ms, from the samples: linear between
    /// the two around it, extrapolated back before the oldest.
    fn time_hw_reached(&self, offset: i64) -> Option<f64> {
        if self.samples.len() < 2 {
            return None;
        }
        let oldest = self.samples[0];
        if offset <= oldest.high_watermark {
            // Older than the window: back at the rate of the oldest stretch that grew.
            let grew = self
                .segments()
                .find(|(a, b)| b.high_watermark > a.high_watermark);
            return Some(match grew {
                Some((a, b)) => {
                    let per_ms =
                        (b.high_watermark - a.high_watermark) as f64 / (b.at_ms - a.at_ms) as f64;
                    oldest.at_ms as f64 - (oldest.high_watermark - offset) as f64 / per_ms
                }
                None => oldest.at_ms as f64,
            });
        }
        let (a, b) = self
            .segments()
            .find(|(a, b)| a.high_watermark < offset && offset <= b.high_watermark)?;
        let frac =
            (offset - a.high_watermark) as f64 / (b.high_watermark - a.high_watermark) as f64;
        Some(a.at_ms as f64 + frac * (b.at_ms - a.at_ms) as f64)
    }

    /// Consecutive pairs of samples, oldest first.
    fn segments(&self) -> impl Iterator<Item = (&LagSample, &LagSample)> {
        self.samples.iter().zip(self.samples.iter().skip(1))
    }

    /// Records per second the committed offset advanced over the window, from pairs of
    /// samples that both have one. A rewind counts as no progress rather than negative.
    pub fn consume_rate(&self) -> Option<f64> {
        let (mut records, mut ms) = (0i64, 0i64);
        for (a, b) in self.segments() {
            if let (Some(ca), Some(cb)) = (a.committed, b.committed) {
                records += (cb - ca).max(0);
                ms += b.at_ms - a.at_ms;
            }
        }
        (ms > 0).then(|| records as f64 * 1000.0 / ms as f64)
    }

    /// Records per second appended over the window, from the high watermarks.
    pub fn produce_rate(&self) -> Option<f64> {
        let (first, last) = (self.samples.front()?, self.samples.back()?);
        let ms = last.at_ms - first.at_ms;
        (ms > 0).then(|| (last.high_watermark - first.high_watermark) as f64 * 1000.0 / ms as f64)
    }

    /// This partition's status and the rule that decided it, at `now_ms` (see the module
    /// docs for the rules and their order).
    pub fn verdict(&self, now_ms: i64) -> Verdict {
        self.judge(now_ms).verdict(&self.label)
    }

    /// Which rule decides, with its numbers; the sentence is written only when wanted.
    fn judge(&self, now_ms: i64) -> Finding {
        let Some(newest) = self.newest().copied() else {
            return Finding::Unobserved;
        };
        let Some(committed) = newest.committed else {
            return Finding::NoCommit;
        };
        if committed < newest.log_start {
            return Finding::BelowLogStart {
                committed,
                log_start: newest.log_start,
            };
        }
        let lag = newest.lag();
        if lag == 0 {
            return Finding::CaughtUp;
        }
        self.stopped(now_ms, lag)
            .or_else(|| self.rewound(lag))
            .or_else(|| self.stalled(lag))
            .unwrap_or_else(|| self.trend(lag))
    }

    /// Commits needed before a trend is judged: half the window, as Burrow's
    /// `minimum-complete` would say.
    fn trend_min(&self) -> usize {
        self.window.div_ceil(2).max(2)
    }

    /// Rule 3: STOP.
    fn stopped(&self, now_ms: i64, lag: i64) -> Option<Finding> {
        if self.commits.len() < self.trend_min() {
            return None;
        }
        let (first, last) = (self.commits.front()?, self.commits.back()?);
        let since_ms = now_ms - last.at_ms;
        let span_ms = last.at_ms - first.at_ms;
        let recently_caught_up = self.samples.iter().any(|s| s.high_watermark <= last.offset);
        (since_ms > span_ms && !recently_caught_up).then_some(Finding::Stopped {
            since_ms,
            span_ms,
            commits: self.commits.len(),
            lag,
        })
    }

    /// Rule 4: REWIND. Burrow looks only at the first backward step in the window; every
    /// step is checked here, so a second rewind is not hidden by an earlier one that
    /// recovered.
    fn rewound(&self, lag: i64) -> Option<Finding> {
        let c = &self.commits;
        let i = (1..c.len()).rev().find(|&i| {
            c[i].offset < c[i - 1].offset
                && c.iter().skip(i).all(|later| later.offset < c[i - 1].offset)
        })?;
        Some(Finding::Rewound {
            from: c[i - 1].offset,
            to: c[i].offset,
            now: c.back()?.offset,
            lag,
        })
    }

    /// Rule 5: STALL, over a full window of polls.
    fn stalled(&self, lag: i64) -> Option<Finding> {
        if self.samples.len() < self.window {
            return None;
        }
        let first = self.samples.front()?;
        let unmoved = self.samples.iter().all(|s| s.committed == first.committed);
        let always_behind = self.samples.iter().all(|s| s.lag() > 0);
        let still_ms = self.samples.back()?.at_ms - self.commits.back()?.at_ms;
        let widest_gap_ms = self
            .commits
            .iter()
            .zip(self.commits.iter().skip(1))
            .map(|(a, b)| b.at_ms - a.at_ms)
            .max();
        (unmoved && always_behind && widest_gap_ms.is_none_or(|gap| still_ms > gap)).then_some(
            Finding::Stalled {
                still_ms,
                polls: self.samples.len(),
                widest_gap_ms,
                lag,
            },
        )
    }

    /// Rules 6 and 7: OK after a commit at zero lag, WARN when lag grew over the commits
    /// and did not fall at the newest, OK otherwise.
    fn trend(&self, lag: i64) -> Finding {
        let commits = self.commits.len();
        if commits < self.trend_min() {
            return Finding::Trend(Trend::TooFewCommits { commits, lag });
        }
        if self.commits.iter().any(|c| c.lag == 0) {
            return Finding::Trend(Trend::CommittedAtZero { lag });
        }
        let (from, prev, to) = (
            self.commits[0].lag,
            self.commits[commits - 2].lag,
            self.commits[commits - 1].lag,
        );
        Finding::Trend(if to < from {
            Trend::Fell { commits, from, to }
        } else if to < prev {
            Trend::FellAtNewest { from: prev, to }
        } else {
            Trend::Grew { commits, from, to }
        })
    }
}

fn push_bounded<T>(ring: &mut VecDeque<T>, capacity: usize, value: T) {
    if ring.len() == capacity {
        ring.pop_front();
    }
    ring.push_back(value);
}

/// Burrow's statuses, serialised upper-case as Burrow writes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum Status {
    #[default]
    #[serde(rename = "OK")]
    /// Committed offsets move and lag is not growing.
    Ok,
    #[serde(rename = "WARN")]
    /// Lag grew over the whole window while offsets moved.
    Warn,
    #[serde(rename = "STALL")]
    /// Offsets did not move while there was lag.
    Stall,
    #[serde(rename = "STOP")]
    /// Nothing was committed for longer than the window.
    Stop,
    #[serde(rename = "REWIND")]
    /// A committed offset went backwards.
    Rewind,
    #[serde(rename = "ERR")]
    /// The partition is in error: records lost, or committed before the log start.
    Err,
}

impl Status {
    /// The word, as in the report.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Stall => "STALL",
            Status::Stop => "STOP",
            Status::Rewind => "REWIND",
            Status::Err => "ERR",
        }
    }

    /// How much attention it needs, for picking a group's worst partition: a rewind is
    /// often deliberate (a replay), a stall may clear by itself, a stop needs someone to
    /// restart a consumer, and an error means records were lost.
    pub fn severity(self) -> u8 {
        match self {
            Status::Ok => 0,
            Status::Warn => 1,
            Status::Rewind => 2,
            Status::Stall => 3,
            Status::Stop => 4,
            Status::Err => 5,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A status and one sentence naming the rule that decided it, with its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Verdict {
    /// The status.
    pub status: Status,
    /// `STATUS: why`, with the numbers.
    pub reason: String,
}

impl Verdict {
    /// A verdict whose reason reads `STATUS: because`.
    pub fn new(status: Status, because: impl fmt::Display) -> Self {
        Verdict {
            status,
            reason: format!("{status}: {because}"),
        }
    }
}

/// A group's three measures and its verdict, from its partitions' histories.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupLag {
    /// Records, summed over the partitions.
    pub lag: i64,
    /// The oldest unprocessed record's age over the partitions; `None` when no partition
    /// could say.
    pub time_lag_ms: Option<i64>,
    /// When the lag will be gone at the current rates; `None` when it is not draining.
    pub eta_ms: Option<i64>,
    /// The worst partition's verdict.
    pub verdict: Verdict,
}

/// The group's measures at `now_ms`, from each partition's history and the timestamp of
/// the record at its committed offset where the caller could read it. The rates are the
/// partitions' summed, and the verdict is the worst partition's (by severity, then lag).
pub fn evaluate_group(parts: &[(&PartitionLagHistory, Option<i64>)], now_ms: i64) -> GroupLag {
    let lag: i64 = parts.iter().filter_map(|(h, _)| h.lag_records()).sum();
    let time_lag_ms = parts.iter().filter_map(|(h, ts)| h.time_lag_ms(*ts)).max();
    let consume: f64 = parts.iter().filter_map(|(h, _)| h.consume_rate()).sum();
    let produce: f64 = parts.iter().filter_map(|(h, _)| h.produce_rate()).sum();
    // Only the worst partition's sentence is written: a group may have thousands.
    let worst = parts
        .iter()
        .map(|(h, _)| (h, h.judge(now_ms)))
        .max_by_key(|(h, f)| (f.status().severity(), h.lag_records().unwrap_or(0)));
    let verdict = match worst {
        None => Verdict::new(Status::Ok, "no partition has been observed yet"),
        Some((h, f)) if f.status() != Status::Ok || parts.len() == 1 => f.verdict(&h.label),
        _ => Verdict::new(
            Status::Ok,
            format!("no rule fired on any of its {} partitions", parts.len()),
        ),
    };
    GroupLag {
        lag,
        time_lag_ms,
        eta_ms: eta_ms(lag, consume, produce),
        verdict,
    }
}

/// How long `lag` records take to drain at `consume_rate` against `produce_rate` (records
/// per second), in ms: `Some(0)` when there is nothing to drain, `None` when the
/// difference is not positive (the lag is not draining).
pub fn eta_ms(lag: i64, consume_rate: f64, produce_rate: f64) -> Option<i64> {
    if lag <= 0 {
        return Some(0);
    }
    let net = consume_rate - produce_rate;
    (net.is_finite() && net > 1e-9).then(|| (lag as f64 / net * 1000.0).round() as i64)
}

mod finding;
#[cfg(test)]
mod tests;
