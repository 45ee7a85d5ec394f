//! Lag three ways (records, time, an ETA) and a verdict, from a window of samples per
//! partition. Pure: no I/O, time passed in. The simulation feeds it its exact history and
//! the observer its polls, so both show the same measures.
//!
//! The verdicts follow Burrow's evaluator: a rule fires only over a full window, because a
//! commit every few seconds looks stalled to a window of two polls.

use std::collections::VecDeque;
use std::fmt;

use serde::Serialize;

/// One observation of a partition for one group, at `at_ms` (wall or virtual time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LagSample {
    pub at_ms: i64,
    pub log_start: i64,
    pub high_watermark: i64,
    pub committed: Option<i64>,
}

impl LagSample {
    /// Where the group stands: its committed offset, or the log start before its first commit.
    fn position(&self) -> i64 {
        self.committed.unwrap_or(self.log_start)
    }

    fn lag(&self) -> i64 {
        (self.high_watermark - self.position()).max(0)
    }
}

/// A bounded window of samples for one (group, topic, partition), oldest first.
#[derive(Debug, Clone, PartialEq)]
pub struct PartitionLagHistory {
    window: usize,
    samples: VecDeque<LagSample>,
}

impl PartitionLagHistory {
    /// A history keeping the newest `window` samples (at least two, to have a rate).
    pub fn new(window: usize) -> Self {
        let window = window.max(2);
        PartitionLagHistory {
            window,
            samples: VecDeque::with_capacity(window),
        }
    }

    /// Adds the newest sample, dropping the oldest past the window.
    pub fn push(&mut self, s: LagSample) {
        if self.samples.len() == self.window {
            self.samples.pop_front();
        }
        self.samples.push_back(s);
    }

    /// The samples held, oldest first.
    pub fn samples(&self) -> impl ExactSizeIterator<Item = &LagSample> {
        self.samples.iter()
    }

    /// The newest sample.
    pub fn latest(&self) -> Option<&LagSample> {
        self.samples.back()
    }

    fn is_full(&self) -> bool {
        self.samples.len() == self.window
    }

    /// HW − committed (or from log start), at the newest sample.
    pub fn lag_records(&self) -> Option<i64> {
        self.latest().map(LagSample::lag)
    }

    /// How old the oldest unprocessed record is at the newest sample: `exact_ts` is the
    /// timestamp of the record at the committed offset when the caller could read it;
    /// otherwise interpolated from the (HW, time) history, as kafka-lag-exporter does.
    pub fn time_lag_ms(&self, exact_ts: Option<i64>) -> Option<i64> {
        let newest = self.latest()?;
        if newest.lag() == 0 {
            return Some(0);
        }
        if let Some(ts) = exact_ts {
            return Some((newest.at_ms - ts).max(0));
        }
        let produced_at = self.when_high_watermark_passed(newest.position())?;
        Some(((newest.at_ms as f64 - produced_at).round() as i64).max(0))
    }

    /// The time the high watermark passed `offset`: interpolated between the two samples
    /// around it, or extrapolated back at the window's produce rate when it is older.
    fn when_high_watermark_passed(&self, offset: i64) -> Option<f64> {
        let points: Vec<(f64, f64)> = self
            .samples
            .iter()
            .map(|s| (s.at_ms as f64, s.high_watermark as f64))
            .collect();
        let target = offset as f64;
        for pair in points.windows(2) {
            let ((t0, h0), (t1, h1)) = (pair[0], pair[1]);
            if h0 <= target && target < h1 {
                return Some(t0 + (target - h0) / (h1 - h0) * (t1 - t0));
            }
        }
        let (t0, h0) = *points.first()?;
        if target >= h0 {
            // Beyond the newest high watermark seen before now: produced just now.
            return points.last().map(|&(t, _)| t);
        }
        let rate = self.produce_rate()? / 1_000.0;
        (rate > 0.0).then(|| t0 - (h0 - target) / rate)
    }
}

/// The rates over the window, in records per second.
impl PartitionLagHistory {
    /// Records per second the group committed over the window.
    pub fn consume_rate(&self) -> Option<f64> {
        let committed: Vec<(i64, i64)> = self
            .samples
            .iter()
            .filter_map(|s| s.committed.map(|c| (s.at_ms, c)))
            .collect();
        rate(committed.first()?, committed.last()?)
    }

    /// Records per second produced (high watermark growth) over the window.
    pub fn produce_rate(&self) -> Option<f64> {
        let first = self.samples.front()?;
        let last = self.samples.back()?;
        rate(
            &(first.at_ms, first.high_watermark),
            &(last.at_ms, last.high_watermark),
        )
    }
}

fn rate(first: &(i64, i64), last: &(i64, i64)) -> Option<f64> {
    let dt = last.0 - first.0;
    (dt > 0).then(|| (last.1 - first.1) as f64 * 1_000.0 / dt as f64)
}

/// Burrow's statuses, from healthy to worst; serialised upper-case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Status {
    Ok,
    Warn,
    Stall,
    Stop,
    Rewind,
    Err,
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Ok => "OK",
            Status::Warn => "WARN",
            Status::Stall => "STALL",
            Status::Stop => "STOP",
            Status::Rewind => "REWIND",
            Status::Err => "ERR",
        })
    }
}

/// A status and the one sentence naming the rule that fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    pub status: Status,
    pub reason: String,
}

/// A group's three measures and its verdict, from its partitions' histories.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupLag {
    pub lag: i64,
    pub time_lag_ms: Option<i64>,
    pub eta_ms: Option<i64>,
    pub verdict: Verdict,
}

/// The group's measures: lag summed, time lag the oldest partition's, the ETA from the
/// summed rates, and the worst partition's verdict (the first such partition names it).
/// `_now_ms` is for rules that compare the last commit with the present (STOP).
pub fn evaluate_group(parts: &[(&PartitionLagHistory, Option<i64>)], _now_ms: i64) -> GroupLag {
    let lag = parts.iter().filter_map(|(h, _)| h.lag_records()).sum();
    let time_lag_ms = parts.iter().filter_map(|(h, ts)| h.time_lag_ms(*ts)).max();
    let consume: f64 = parts.iter().filter_map(|(h, _)| h.consume_rate()).sum();
    let produce: f64 = parts.iter().filter_map(|(h, _)| h.produce_rate()).sum();
    let draining = consume - produce;
    let eta_ms =
        (lag > 0 && draining > 0.0).then(|| (lag as f64 / draining * 1_000.0).round() as i64);
    let verdict = parts
        .iter()
        .filter_map(|(h, _)| partition_verdict(h))
        .max_by_key(|v| v.status)
        .unwrap_or_else(|| Verdict {
            status: Status::Ok,
            reason: "OK: no rule fired over the window".to_string(),
        });
    GroupLag {
        lag,
        time_lag_ms,
        eta_ms: if lag == 0 { Some(0) } else { eta_ms },
        verdict,
    }
}

/// The rule a partition's full window fires, if any.
fn partition_verdict(h: &PartitionLagHistory) -> Option<Verdict> {
    if !h.is_full() {
        return None;
    }
    let first = h.samples.front()?;
    let last = h.samples.back()?;
    let n = h.samples.len();
    let lag = last.lag();
    if lag > 0
        && last.committed.is_some()
        && h.samples.iter().all(|s| s.committed == last.committed)
    {
        return Some(Verdict {
            status: Status::Stall,
            reason: format!(
                "STALL: the committed offset has not moved for {n} polls while lag is {}",
                thousands(lag)
            ),
        });
    }
    let lags: Vec<i64> = h.samples.iter().map(LagSample::lag).collect();
    if lags.windows(2).all(|w| w[1] >= w[0]) && lag > first.lag() {
        return Some(Verdict {
            status: Status::Warn,
            reason: format!(
                "WARN: lag grew over all {n} polls, from {} to {}",
                thousands(first.lag()),
                thousands(lag)
            ),
        });
    }
    None
}

/// A count with thousands separators, as the reasons print them: 1240 → "1,240".
pub fn thousands(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if n < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(at_ms: i64, hw: i64, committed: Option<i64>) -> LagSample {
        LagSample {
            at_ms,
            log_start: 0,
            high_watermark: hw,
            committed,
        }
    }

    fn history(window: usize, samples: &[(i64, i64, Option<i64>)]) -> PartitionLagHistory {
        let mut h = PartitionLagHistory::new(window);
        for &(t, hw, c) in samples {
            h.push(sample(t, hw, c));
        }
        h
    }

    #[test]
    fn lag_counts_from_the_commit_or_the_log_start() {
        let h = history(10, &[(0, 100, Some(40))]);
        assert_eq!(h.lag_records(), Some(60));
        let mut h = PartitionLagHistory::new(10);
        h.push(LagSample {
            at_ms: 0,
            log_start: 30,
            high_watermark: 100,
            committed: None,
        });
        assert_eq!(h.lag_records(), Some(70));
        assert_eq!(PartitionLagHistory::new(10).lag_records(), None);
    }

    #[test]
    fn the_window_keeps_the_newest_samples() {
        let h = history(3, &[(0, 1, None), (1, 2, None), (2, 3, None), (3, 4, None)]);
        let at: Vec<i64> = h.samples().map(|s| s.at_ms).collect();
        assert_eq!(at, [1, 2, 3]);
    }

    #[test]
    fn time_lag_prefers_the_exact_timestamp() {
        let h = history(10, &[(10_000, 100, Some(50))]);
        assert_eq!(h.time_lag_ms(Some(7_500)), Some(2_500));
        assert_eq!(h.time_lag_ms(Some(20_000)), Some(0), "never negative");
        let caught_up = history(10, &[(10_000, 100, Some(100))]);
        assert_eq!(caught_up.time_lag_ms(None), Some(0));
    }

    #[test]
    fn time_lag_interpolates_where_the_high_watermark_passed_the_commit() {
        // 10 records a second: the HW passed 150 at t = 15 s.
        let h = history(10, &[(10_000, 100, Some(0)), (20_000, 200, Some(150))]);
        assert_eq!(h.time_lag_ms(None), Some(5_000));
        // Older than the window: extrapolated back at the window's rate (HW 50 at t = 5 s).
        let h = history(10, &[(10_000, 100, Some(0)), (20_000, 200, Some(50))]);
        assert_eq!(h.time_lag_ms(None), Some(15_000));
        // A single sample cannot say when an older record was written.
        assert_eq!(history(10, &[(0, 100, Some(5))]).time_lag_ms(None), None);
    }

    #[test]
    fn rates_come_from_the_ends_of_the_window() {
        let h = history(
            10,
            &[
                (0, 100, None),
                (1_000, 150, Some(10)),
                (3_000, 250, Some(70)),
            ],
        );
        assert_eq!(h.produce_rate(), Some(50.0));
        assert_eq!(h.consume_rate(), Some(30.0));
        assert_eq!(history(10, &[(0, 1, Some(1))]).consume_rate(), None);
    }

    #[test]
    fn eta_is_lag_over_the_draining_rate_or_none() {
        // Consumes 15/s, produces 10/s: 50 records of lag drain in 10 s.
        let h = history(10, &[(0, 0, Some(0)), (10_000, 100, Some(0))]);
        let draining = history(10, &[(0, 100, Some(0)), (10_000, 200, Some(150))]);
        let g = evaluate_group(&[(&draining, None)], 10_000);
        assert_eq!(g.lag, 50);
        assert_eq!(g.eta_ms, Some(10_000));
        let g = evaluate_group(&[(&h, None)], 10_000);
        assert_eq!(g.eta_ms, None, "not draining");
        assert_eq!(g.time_lag_ms, Some(10_000));
    }

    #[test]
    fn a_full_window_of_growing_lag_warns() {
        let h = history(
            3,
            &[(0, 100, Some(90)), (1, 200, Some(150)), (2, 300, Some(200))],
        );
        let g = evaluate_group(&[(&h, None)], 2);
        assert_eq!(g.verdict.status, Status::Warn);
        assert_eq!(
            g.verdict.reason,
            "WARN: lag grew over all 3 polls, from 10 to 100"
        );
        let partial = history(3, &[(0, 100, Some(90)), (1, 200, Some(150))]);
        assert_eq!(
            evaluate_group(&[(&partial, None)], 1).verdict.status,
            Status::Ok
        );
    }

    #[test]
    fn an_unmoving_commit_with_lag_stalls_and_the_worst_partition_wins() {
        let stalled = history(
            3,
            &[
                (0, 1300, Some(60)),
                (1, 1300, Some(60)),
                (2, 1300, Some(60)),
            ],
        );
        let fine = history(
            3,
            &[(0, 10, Some(10)), (1, 20, Some(20)), (2, 30, Some(30))],
        );
        let g = evaluate_group(&[(&fine, None), (&stalled, None)], 2);
        assert_eq!(g.verdict.status, Status::Stall);
        assert_eq!(
            g.verdict.reason,
            "STALL: the committed offset has not moved for 3 polls while lag is 1,240"
        );
        let g = evaluate_group(&[(&fine, None)], 2);
        assert_eq!(g.verdict.status, Status::Ok);
        assert_eq!(g.eta_ms, Some(0), "nothing to drain");
    }

    #[test]
    fn statuses_serialise_upper_case_and_thousands_group() {
        assert_eq!(serde_json::to_string(&Status::Stall).unwrap(), "\"STALL\"");
        assert_eq!(Status::Rewind.to_string(), "REWIND");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(thousands(-1_000), "-1,000");
        assert_eq!(thousands(999), "999");
    }
}
