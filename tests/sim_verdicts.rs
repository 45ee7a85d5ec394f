//! The verdicts tell the bundled scenarios' stories as their captions do, at each seed the
//! golden reports use: a slow group warns while it falls behind, a crash stalls a partition
//! until its next owner commits, a replay rewinds, and a group that retention overtakes is
//! in error until it catches up.

use minikafka::sim::{Scenario, Simulation, Status};

const SEEDS: [u64; 3] = [1, 7, 42];

/// The group's status after each simulated second: element `i` is at `i + 1` seconds.
fn statuses(scenario: &str, seed: u64, group: &str, secs: u64) -> Vec<Status> {
    let mut sim = Simulation::new(Scenario::bundled(scenario).unwrap(), Some(seed)).unwrap();
    (0..secs)
        .map(|_| {
            sim.step(1_000);
            sim.group_lag(group).unwrap().group.verdict.status
        })
        .collect()
}

/// The statuses from second `from` to second `to`, both included.
fn between(s: &[Status], from: usize, to: usize) -> &[Status] {
    &s[from - 1..to]
}

#[test]
fn slow_consumer_warns_while_it_falls_behind_and_not_once_it_drains() {
    for seed in SEEDS {
        let s = statuses("slow-consumer", seed, "reports", 120);
        // 40/s against 60/s: lag grows until a second member joins at 60 s.
        assert!(
            between(&s, 30, 62).iter().all(|st| *st == Status::Warn),
            "seed {seed}: {s:?}"
        );
        assert!(
            between(&s, 85, 120).iter().all(|st| *st == Status::Ok),
            "seed {seed}: {s:?}"
        );
        assert!(
            !s.iter()
                .any(|st| matches!(st, Status::Stop | Status::Rewind | Status::Err)),
            "seed {seed}: {s:?}"
        );
    }
}

#[test]
fn slow_consumer_has_no_eta_while_behind_and_one_while_draining() {
    let mut sim = Simulation::new(Scenario::bundled("slow-consumer").unwrap(), Some(7)).unwrap();
    sim.step(50_000);
    let behind = sim.group_lag("reports").unwrap().group;
    assert_eq!(behind.eta_ms, None, "{behind:?}");
    assert!(behind.time_lag_ms.unwrap() > 10_000, "{behind:?}");
    sim.step(40_000);
    let draining = sim.group_lag("reports").unwrap().group;
    // 80/s against 60/s: about lag / 20 seconds.
    let eta = draining.eta_ms.expect("draining");
    let expected = draining.lag * 1000 / 20;
    assert!(
        (expected / 2..expected * 2).contains(&eta),
        "{draining:?}, expected about {expected} ms"
    );
}

#[test]
fn at_least_once_stalls_a_partition_around_the_crash() {
    for seed in SEEDS {
        let s = statuses("at-least-once", seed, "charger", 60);
        // The member crashes at 17 s; its partition moves after the 5 s session timeout.
        assert!(
            between(&s, 1, 17).iter().all(|st| *st == Status::Ok),
            "seed {seed}: {s:?}"
        );
        assert!(
            between(&s, 18, 30)
                .iter()
                .any(|st| matches!(st, Status::Stall | Status::Stop)),
            "seed {seed}: {s:?}"
        );
        assert!(
            between(&s, 30, 60).iter().all(|st| *st == Status::Ok),
            "seed {seed}: {s:?}"
        );
    }
}

#[test]
fn replay_rewinds_after_the_reset_to_earliest_but_not_the_reset_to_latest() {
    for seed in SEEDS {
        let s = statuses("replay", seed, "search-index", 120);
        assert!(
            between(&s, 1, 40).iter().all(|st| *st == Status::Ok),
            "seed {seed}: {s:?}"
        );
        // Reset to earliest at 40 s: back to offset 0 until the group passes where it was.
        assert!(
            between(&s, 41, 50).iter().all(|st| *st == Status::Rewind),
            "seed {seed}: {s:?}"
        );
        // Reset to latest at 80 s moves forward: no rewind.
        assert!(
            between(&s, 60, 120).iter().all(|st| *st == Status::Ok),
            "seed {seed}: {s:?}"
        );
    }
}

#[test]
fn retention_puts_the_slow_group_in_error_until_it_catches_up() {
    for seed in SEEDS {
        let s = statuses("retention", seed, "archiver", 120);
        assert!(
            between(&s, 50, 90).iter().all(|st| *st == Status::Err),
            "seed {seed}: {s:?}"
        );
        // Sped up at 90 s, it passes the log start and catches up.
        assert!(
            between(&s, 100, 120).iter().all(|st| *st == Status::Ok),
            "seed {seed}: {s:?}"
        );
        let live = statuses("retention", seed, "live", 120);
        assert!(
            live.iter().all(|st| *st == Status::Ok),
            "seed {seed}: {live:?}"
        );
    }
}

#[test]
fn the_charted_time_lag_is_the_reported_one_at_each_sample() {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(42)).unwrap();
    for _ in 0..45 {
        sim.step(1_000);
        for name in ["billing", "analytics"] {
            let charted = sim.metrics().group_time_lag_history(name).unwrap().last();
            let reported = sim.group_lag(name).unwrap().group.time_lag_ms;
            assert_eq!(charted, reported, "{name} at {} ms", sim.now_ms());
        }
    }
    let window = sim
        .metrics()
        .lag_window(
            "analytics",
            &minikafka::broker::TopicPartition::new("orders", 0),
        )
        .unwrap();
    assert_eq!(window.len(), minikafka::sim::VERDICT_WINDOW);
}
