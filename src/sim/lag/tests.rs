use proptest::prelude::*;

use super::finding::{Num, Secs};
use super::*;

fn sample(at_s: i64, hw: i64, committed: Option<i64>) -> LagSample {
    LagSample {
        at_ms: at_s * 1000,
        log_start: 0,
        high_watermark: hw,
        committed,
    }
}

/// A history of `window` fed `(seconds, high watermark, committed)` samples.
fn history(window: usize, samples: &[(i64, i64, i64)]) -> PartitionLagHistory {
    let mut h = PartitionLagHistory::for_partition("orders", 2, window);
    for &(t, hw, c) in samples {
        h.push(sample(t, hw, Some(c)));
    }
    h
}

#[test]
fn lag_in_records_counts_from_the_commit_or_the_log_start() {
    let mut h = PartitionLagHistory::new(4);
    assert_eq!(h.lag_records(), None);
    h.push(LagSample {
        at_ms: 0,
        log_start: 30,
        high_watermark: 100,
        committed: None,
    });
    assert_eq!(h.lag_records(), Some(70));
    h.push(sample(1, 120, Some(90)));
    assert_eq!(h.lag_records(), Some(30));
    // Read a moment apart, the committed offset can be past the high watermark.
    h.push(sample(2, 120, Some(125)));
    assert_eq!(h.lag_records(), Some(0));
}

#[test]
fn memory_stays_bounded_by_the_window() {
    let mut h = PartitionLagHistory::new(10);
    for t in 0..10_000 {
        h.push(sample(t, t * 3, Some(t * 2)));
    }
    assert_eq!(h.len(), 10);
    assert_eq!(h.commits.len(), 10);
    assert_eq!(h.samples().next().unwrap().at_ms, 9_990_000);
}

#[test]
fn a_sample_no_newer_than_the_last_is_ignored() {
    let mut h = history(4, &[(5, 100, 50)]);
    h.push(sample(5, 200, Some(60)));
    h.push(sample(4, 200, Some(60)));
    assert_eq!(h.len(), 1);
    assert_eq!(h.lag_records(), Some(50));
}

#[test]
fn time_lag_is_exact_when_the_record_was_read() {
    let h = history(4, &[(10, 100, 40), (20, 200, 50)]);
    // The record at offset 50 was written at 12.5 s; the newest sample is at 20 s.
    assert_eq!(h.time_lag_ms(Some(12_500)), Some(7_500));
    // A timestamp from the future (clock skew) is no lag, not negative lag.
    assert_eq!(h.time_lag_ms(Some(25_000)), Some(0));
}

#[test]
fn time_lag_is_zero_without_lag_whatever_the_timestamp() {
    let h = history(4, &[(10, 100, 100)]);
    assert_eq!(h.time_lag_ms(None), Some(0));
    assert_eq!(h.time_lag_ms(Some(0)), Some(0));
}

#[test]
fn time_lag_interpolates_between_the_samples_around_the_offset() {
    // HW 100 at 0 s, 200 at 10 s, 400 at 20 s.
    let base = [(0, 100, 0), (10, 200, 0)];
    // Committed 150: HW passed it halfway between 0 s and 10 s, so at 5 s; newest is 20 s.
    let h = history(4, &[base[0], base[1], (20, 400, 150)]);
    assert_eq!(h.time_lag_ms(None), Some(15_000));
    // Committed 300: halfway between 10 s and 20 s.
    let h = history(4, &[base[0], base[1], (20, 400, 300)]);
    assert_eq!(h.time_lag_ms(None), Some(5_000));
    // Committed 200: exactly the HW at 10 s.
    let h = history(4, &[base[0], base[1], (20, 400, 200)]);
    assert_eq!(h.time_lag_ms(None), Some(10_000));
}

#[test]
fn time_lag_extrapolates_back_at_the_oldest_growing_stretch() {
    // 10 records/s between 0 s and 10 s: offset 50 was reached 5 s before the oldest sample.
    let h = history(4, &[(0, 100, 0), (10, 200, 0), (20, 400, 50)]);
    assert_eq!(h.time_lag_ms(None), Some(25_000));
    // The oldest stretch is flat; the first that grew did so at 20/s: offset 60 is 40
    // records, 2 s, before the oldest sample at 0 s.
    let h = history(4, &[(0, 100, 0), (10, 100, 0), (20, 300, 60)]);
    assert_eq!(h.time_lag_ms(None), Some(22_000));
    // It never grew: the record is at least as old as the window.
    let h = history(4, &[(0, 100, 60), (10, 100, 60)]);
    assert_eq!(h.time_lag_ms(None), Some(10_000));
    // One sample gives no line to follow.
    let h = history(4, &[(0, 100, 60)]);
    assert_eq!(h.time_lag_ms(None), None);
}

#[test]
fn time_lag_before_a_commit_counts_from_the_log_start() {
    let mut h = PartitionLagHistory::new(4);
    for (t, hw) in [(0, 100), (10, 200)] {
        h.push(LagSample {
            at_ms: t * 1000,
            log_start: 50,
            high_watermark: hw,
            committed: None,
        });
    }
    // 10 records/s: the log start, 50 records before the oldest sample, is from -5 s.
    assert_eq!(h.time_lag_ms(None), Some(15_000));
}

#[test]
fn rates_come_from_the_offsets_and_a_rewind_is_no_progress() {
    let h = history(4, &[(0, 100, 50), (2, 140, 60), (4, 180, 90)]);
    assert_eq!(h.produce_rate(), Some(20.0));
    assert_eq!(h.consume_rate(), Some(10.0));
    let h = history(4, &[(0, 100, 50), (2, 140, 10), (4, 180, 30)]);
    assert_eq!(h.consume_rate(), Some(5.0));
    let h = history(4, &[(0, 100, 50)]);
    assert_eq!((h.produce_rate(), h.consume_rate()), (None, None));
}

#[test]
fn eta_divides_the_lag_by_the_net_rate() {
    assert_eq!(eta_ms(100, 30.0, 20.0), Some(10_000));
    assert_eq!(eta_ms(1_240, 40.0, 10.0), Some(41_333));
    assert_eq!(eta_ms(100, 20.0, 20.0), None);
    assert_eq!(eta_ms(100, 10.0, 20.0), None);
    assert_eq!(eta_ms(0, 0.0, 20.0), Some(0));
}

#[test]
fn ok_when_caught_up_or_not_yet_committed() {
    let v = history(4, &[(0, 100, 100)]).verdict(0);
    assert_eq!(v.status, Status::Ok);
    assert_eq!(v.reason, "OK: orders/2 is caught up (lag 0)");
    let mut h = PartitionLagHistory::for_partition("orders", 2, 4);
    h.push(sample(0, 100, None));
    assert_eq!(
        h.verdict(0).reason,
        "OK: orders/2 has no committed offset yet"
    );
    assert_eq!(
        PartitionLagHistory::new(4).verdict(0).reason,
        "OK: the partition has not been observed yet"
    );
}

#[test]
fn err_when_the_commit_is_below_the_log_start() {
    let mut h = PartitionLagHistory::for_partition("orders", 2, 4);
    h.push(LagSample {
        at_ms: 0,
        log_start: 1_500,
        high_watermark: 2_000,
        committed: Some(200),
    });
    let v = h.verdict(0);
    assert_eq!(v.status, Status::Err);
    assert_eq!(
        v.reason,
        "ERR: the committed offset of orders/2 (200) is below the log start (1,500): 1,300 \
         records were deleted before the group read them"
    );
}

#[test]
fn stop_when_no_commit_came_for_longer_than_the_commits_span() {
    // Commits at 0, 1 and 2 s (a 2 s span), then nothing while records keep coming.
    let mut samples = vec![(0, 100, 10), (1, 110, 20), (2, 120, 30)];
    samples.extend((3..=4).map(|t| (t, 100 + 10 * t, 30)));
    let mut h = history(4, &samples);
    let v = h.verdict(4_000);
    assert_eq!(
        v.status,
        Status::Ok,
        "2 s since the last commit is not more than 2 s"
    );
    for t in 5..=10 {
        h.push(sample(t, 100 + 10 * t, Some(30)));
    }
    let v = h.verdict(10_000);
    assert_eq!(v.status, Status::Stop);
    assert_eq!(
        v.reason,
        "STOP: no commit on orders/2 for 8 s, longer than the 2 s its last 3 commits span, \
         while lag is 170"
    );
}

#[test]
fn no_stop_when_the_consumer_was_caught_up_within_the_polls() {
    // The last commit caught up with the log at 2 s; records trickle in from 9 s.
    let mut h = history(
        4,
        &[
            (0, 25, 10),
            (1, 30, 20),
            (2, 30, 30),
            (8, 30, 30),
            (9, 31, 30),
        ],
    );
    assert_eq!(h.verdict(9_000).status, Status::Ok);
    h.push(sample(10, 32, Some(30)));
    h.push(sample(11, 33, Some(30)));
    assert_eq!(
        h.verdict(11_000).status,
        Status::Ok,
        "the poll at 8 s saw HW 30"
    );
    h.push(sample(12, 34, Some(30)));
    assert_eq!(h.verdict(12_000).status, Status::Stop);
}

#[test]
fn stall_when_the_offset_sits_still_for_a_full_window_of_polls() {
    // Commits 2 s apart span 6 s, so a few quiet polls are no STOP.
    let mut samples = vec![(0, 100, 10), (2, 200, 20), (4, 300, 30), (6, 400, 40)];
    samples.extend((7..=8).map(|t| (t, 400 + 10 * (t - 6), 40)));
    let mut h = history(4, &samples);
    let v = h.verdict(8_000);
    assert_ne!(v.status, Status::Stall, "the poll at 4 s is in the window");
    h.push(sample(9, 1_280, Some(40)));
    let v = h.verdict(9_000);
    assert_eq!(v.status, Status::Stall);
    assert_eq!(
        v.reason,
        "STALL: the committed offset of orders/2 has not moved for 3 s (4 polls), while its \
         commits were at most 2 s apart; lag is 1,240"
    );
    // Without commits to compare with, a full window of quiet polls is enough.
    let mut h = PartitionLagHistory::for_partition("orders", 2, 4);
    for t in 0..4 {
        h.push(sample(t, 100 + t, Some(40)));
    }
    assert_eq!(
        h.verdict(3_000).reason,
        "STALL: the committed offset of orders/2 has not moved for 3 s (4 polls); lag is 63"
    );
}

#[test]
fn no_stall_for_a_consumer_that_always_moves_in_long_strides() {
    // It moves every 6 s; five quiet polls are its usual pace, not a stall.
    let mut samples = vec![(0, 100, 10), (6, 200, 20), (12, 300, 30), (18, 400, 40)];
    samples.extend((19..=23).map(|t| (t, 400 + 10 * (t - 18), 40)));
    let mut h = history(4, &samples);
    assert_ne!(h.verdict(23_000).status, Status::Stall);
    h.push(sample(25, 470, Some(40)));
    assert_eq!(
        h.verdict(25_000).status,
        Status::Stall,
        "7 s still, strides of 6 s"
    );
}

#[test]
fn rewind_until_the_offset_is_back_where_it_was() {
    let h = history(
        4,
        &[(0, 300, 100), (1, 310, 200), (2, 320, 50), (3, 330, 80)],
    );
    let v = h.verdict(3_000);
    assert_eq!(v.status, Status::Rewind);
    assert_eq!(
        v.reason,
        "REWIND: the committed offset of orders/2 went back from 200 to 50 and has not caught \
         up (now 80) while lag is 250"
    );
    let mut h = h;
    h.push(sample(4, 340, Some(200)));
    assert_ne!(h.verdict(4_000).status, Status::Rewind);
}

#[test]
fn a_second_rewind_is_not_hidden_by_a_first_that_recovered() {
    let h = history(
        6,
        &[
            (0, 900, 100),
            (1, 900, 50),
            (2, 900, 150),
            (3, 900, 300),
            (4, 900, 200),
        ],
    );
    let v = h.verdict(4_000);
    assert_eq!(v.status, Status::Rewind);
    assert!(v.reason.contains("from 300 to 200"), "{}", v.reason);
}

#[test]
fn warn_when_lag_grew_over_the_window() {
    // HW grows 30/s, the offset 10/s; each commit's lag is against the HW polled before it.
    let h = history(
        4,
        &[
            (0, 100, 50),
            (1, 130, 60),
            (2, 160, 70),
            (3, 190, 80),
            (4, 220, 90),
        ],
    );
    let v = h.verdict(4_000);
    assert_eq!(v.status, Status::Warn);
    assert_eq!(
        v.reason,
        "WARN: lag on orders/2 grew over its last 4 commits, from 40 to 100, and did not fall \
         at the newest"
    );
}

#[test]
fn an_early_dip_does_not_hide_a_consumer_falling_behind() {
    // Lag at the commits: 40, 30, 60, 80, 100. Burrow's rule would call this OK.
    let h = history(5, &commits_at_lags(&[1, 40, 30, 60, 80, 100]));
    assert_eq!(h.verdict(5_000).status, Status::Warn);
    // And the newest commit falling decides at once: 40, 60, 80, 100, 90.
    let h = history(5, &commits_at_lags(&[1, 40, 60, 80, 100, 90]));
    let v = h.verdict(5_000);
    assert_eq!(v.status, Status::Ok);
    assert_eq!(
        v.reason,
        "OK: lag on orders/2 fell at its newest commit, from 100 to 90"
    );
}

#[test]
fn ok_when_lag_fell_or_a_commit_came_at_zero_lag() {
    let fell = history(
        4,
        &[(0, 100, 50), (1, 130, 60), (2, 160, 120), (3, 190, 150)],
    );
    let v = fell.verdict(3_000);
    assert_eq!(v.status, Status::Ok);
    assert_eq!(
        v.reason,
        "OK: lag on orders/2 fell over its last 4 commits, from 50 to 10"
    );
    let zero = history(4, &[(0, 100, 50), (1, 130, 100), (2, 160, 140)]);
    assert_eq!(
        zero.verdict(2_000).reason,
        "OK: orders/2 committed at zero lag within the window; lag is 20"
    );
    let young = history(4, &[(0, 100, 50)]);
    assert_eq!(
        young.verdict(0).reason,
        "OK: lag on orders/2 is 50; too few commits yet (1) to judge a trend"
    );
}

#[test]
fn a_group_takes_its_worst_partition_and_sums_the_rest() {
    let slow = history(
        4,
        &[
            (0, 100, 50),
            (1, 130, 60),
            (2, 160, 70),
            (3, 190, 80),
            (4, 220, 90),
        ],
    );
    let mut fine = PartitionLagHistory::for_partition("orders", 0, 4);
    for t in 0..5 {
        fine.push(sample(t, 100 + 10 * t, Some(100 + 10 * t)));
    }
    let g = evaluate_group(&[(&fine, None), (&slow, Some(1_000))], 4_000);
    assert_eq!(g.lag, 130);
    assert_eq!(g.time_lag_ms, Some(3_000));
    assert_eq!(g.verdict.status, Status::Warn);
    assert!(g.verdict.reason.contains("orders/2"));
    // Consumed 10 + 10 per second against 10 + 30 produced: not draining.
    assert_eq!(g.eta_ms, None);

    let g = evaluate_group(&[(&fine, None), (&fine, None)], 4_000);
    assert_eq!(g.verdict.status, Status::Ok);
    assert_eq!(
        g.verdict.reason,
        "OK: no rule fired on any of its 2 partitions"
    );
    assert_eq!(g.eta_ms, Some(0));
}

#[test]
fn a_group_drains_at_its_summed_rates() {
    // 20/s consumed against 10/s produced with 100 to go: 10 s.
    let h = history(4, &[(0, 200, 0), (10, 300, 200)]);
    let g = evaluate_group(&[(&h, None)], 10_000);
    assert_eq!(g.lag, 100);
    assert_eq!(g.eta_ms, Some(10_000));
}

#[test]
fn counts_and_spans_read_well() {
    assert_eq!(Num(0).to_string(), "0");
    assert_eq!(Num(999).to_string(), "999");
    assert_eq!(Num(1_240).to_string(), "1,240");
    assert_eq!(Num(-1_234_567).to_string(), "-1,234,567");
    assert_eq!(Secs(9_400).to_string(), "9 s");
    assert_eq!(Secs(125_000).to_string(), "2 min 05 s");
    assert_eq!(Secs(3_723_000).to_string(), "1 h 02 min");
}

#[test]
fn statuses_serialise_as_burrow_writes_them() {
    let all = [
        Status::Ok,
        Status::Warn,
        Status::Stall,
        Status::Stop,
        Status::Rewind,
        Status::Err,
    ];
    let json: Vec<String> = all
        .iter()
        .map(|s| serde_json::to_string(s).unwrap())
        .collect();
    assert_eq!(
        json,
        [
            "\"OK\"",
            "\"WARN\"",
            "\"STALL\"",
            "\"STOP\"",
            "\"REWIND\"",
            "\"ERR\""
        ]
    );
    for s in all {
        assert_eq!(format!("\"{s}\""), serde_json::to_string(&s).unwrap());
    }
}

/// Samples one second apart whose commits arrive at the given lags: the HW polled just
/// before each commit is the offset plus that lag. Offsets step by more than any lag so
/// the high watermark never goes down.
fn commits_at_lags(lags: &[i64]) -> Vec<(i64, i64, i64)> {
    let step = 1_000;
    let mut out = Vec::new();
    for (i, _) in lags.iter().enumerate() {
        let t = i as i64;
        let c = step * (t + 1);
        // The HW of this sample is what the next commit's lag is measured against.
        let next_lag = lags.get(i + 1).copied().unwrap_or(1);
        out.push((t, c + step + next_lag, c));
    }
    out
}

proptest! {
    #[test]
    fn lag_is_never_negative_and_memory_never_grows(
        points in prop::collection::vec((0i64..1_000, 0i64..1_000, prop::option::of(0i64..2_000)), 0..60),
        window in 1usize..16,
    ) {
        let mut h = PartitionLagHistory::new(window);
        let (mut t, mut hw) = (0, 0);
        for (dt, grow, committed) in points {
            t += dt;
            hw += grow;
            h.push(LagSample { at_ms: t, log_start: 0, high_watermark: hw, committed });
            prop_assert!(h.lag_records().unwrap() >= 0);
            prop_assert!(h.len() <= h.window() && h.commits.len() <= h.window());
            prop_assert!(h.time_lag_ms(None).is_none_or(|ms| ms >= 0));
        }
    }

    #[test]
    fn interpolation_is_exact_for_a_steady_producer(
        rate in 1i64..500,
        behind_ms in 0i64..30_000,
        window in 2usize..12,
    ) {
        // HW = rate × seconds; the committed offset is the HW `behind_ms` before the newest
        // sample, so its time lag is `behind_ms` (to the millisecond an offset stands for).
        let mut h = PartitionLagHistory::new(window);
        let newest_s = 60;
        let committed = rate * (newest_s * 1000 - behind_ms) / 1000;
        for t in (newest_s - window as i64 + 1)..=newest_s {
            h.push(sample(t, rate * t, Some(committed)));
        }
        let truth = newest_s * 1000 - committed * 1000 / rate;
        let got = h.time_lag_ms(None).unwrap();
        prop_assert!((got - truth).abs() <= 1, "got {got}, truth {truth}");
    }

    #[test]
    fn a_consumer_at_zero_lag_at_every_poll_is_ok(
        growth in prop::collection::vec(0i64..100, 1..40),
        window in 2usize..12,
    ) {
        let mut h = PartitionLagHistory::new(window);
        let mut hw = 0;
        for (t, g) in growth.iter().enumerate() {
            hw += g;
            h.push(sample(t as i64, hw, Some(hw)));
            prop_assert_eq!(h.verdict(t as i64 * 1000).status, Status::Ok);
        }
    }

    #[test]
    fn stop_fires_exactly_when_the_silence_outlasts_the_commits_span(
        gaps in prop::collection::vec(1i64..20, 2..8),
        window in 4usize..10,
    ) {
        // Commits at growing times, offsets moving, lag always above zero.
        let mut h = PartitionLagHistory::new(window);
        let (mut t, mut c) = (0i64, 0i64);
        h.push(sample(t, c + 1_000, Some(c)));
        for g in &gaps {
            t += g;
            c += 10;
            h.push(sample(t, c + 1_000, Some(c)));
        }
        let commits: Vec<_> = h.commits.iter().collect();
        let span = commits.last().unwrap().at_ms - commits[0].at_ms;
        let last = commits.last().unwrap().at_ms;
        if h.commits.len() >= h.trend_min() {
            prop_assert_ne!(h.verdict(last + span).status, Status::Stop);
            prop_assert_eq!(h.verdict(last + span + 1).status, Status::Stop);
        } else {
            prop_assert_ne!(h.verdict(last + span + 1).status, Status::Stop);
        }
    }

    #[test]
    fn stall_needs_a_full_window_unmoved_for_longer_than_any_stride(
        window in 3usize..12,
        stride in 1i64..4,
        quiet_pick in 0i64..1_000,
    ) {
        // `window` commits `stride` s apart, then quiet polls every second, never so many
        // that the silence outlasts the commits' span (that would be STOP).
        let mut h = PartitionLagHistory::new(window);
        for i in 0..window as i64 {
            h.push(sample(stride * i, 1_000 * (i + 1) + 500, Some(1_000 * (i + 1))));
        }
        let last = stride * (window as i64 - 1);
        let quiet = 1 + quiet_pick % last;
        let c = 1_000 * window as i64;
        for q in 1..=quiet {
            h.push(sample(last + q, c + 500 + q, Some(c)));
        }
        let status = h.verdict((last + quiet) * 1000).status;
        // The commit poll itself is the first of the unmoved polls.
        let full_window = quiet + 1 >= window as i64;
        prop_assert_eq!(status == Status::Stall, full_window && quiet > stride, "{:?}", status);
    }

    #[test]
    fn rewind_holds_until_the_offset_is_back(
        ups in prop::collection::vec(1i64..100, 1..4),
        back in 1i64..500,
        recover in prop::bool::ANY,
    ) {
        let mut h = PartitionLagHistory::new(8);
        let mut c = 1_000;
        let mut t = 0;
        h.push(sample(t, 100_000, Some(c)));
        for u in &ups {
            t += 1;
            c += u;
            h.push(sample(t, 100_000, Some(c)));
        }
        let peak = c;
        t += 1;
        h.push(sample(t, 100_000, Some(peak - back)));
        prop_assert_eq!(h.verdict(t * 1000).status, Status::Rewind);
        t += 1;
        let next = if recover { peak } else { peak - 1 };
        h.push(sample(t, 100_000, Some(next)));
        let rewound = h.verdict(t * 1000).status == Status::Rewind;
        prop_assert_eq!(rewound, !recover);
    }

    #[test]
    fn warn_exactly_when_lag_grew_over_the_window_and_not_at_the_newest(
        lags in prop::collection::vec(1i64..200, 5..12),
    ) {
        let window = lags.len() - 1;
        let h = history(window, &commits_at_lags(&lags));
        // The first sample's own commit has left the window; the rest are the lags given.
        let kept: Vec<i64> = h.commits.iter().map(|c| c.lag).collect();
        prop_assert_eq!(&kept[..], &lags[1..]);
        let n = kept.len();
        let grew = kept[n - 1] >= kept[0] && kept[n - 1] >= kept[n - 2];
        let status = h.verdict(h.newest().unwrap().at_ms).status;
        prop_assert_eq!(status == Status::Warn, grew, "{:?} {:?}", kept, status);
    }

    #[test]
    fn a_group_is_as_bad_as_its_worst_partition(
        lags in prop::collection::vec(prop::collection::vec(0i64..50, 3..6), 1..5),
    ) {
        let hs: Vec<_> = lags.iter().map(|l| history(l.len() - 1, &commits_at_lags(l))).collect();
        let parts: Vec<_> = hs.iter().map(|h| (h, None)).collect();
        let g = evaluate_group(&parts, 100_000);
        let worst = hs.iter().map(|h| h.verdict(100_000).status.severity()).max().unwrap();
        prop_assert_eq!(g.verdict.status.severity(), worst);
        prop_assert_eq!(g.lag, hs.iter().map(|h| h.lag_records().unwrap()).sum::<i64>());
    }
}
