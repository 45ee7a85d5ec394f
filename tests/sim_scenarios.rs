//! Every bundled scenario runs for ten simulated minutes. Debug builds check the docs/design.md
//! invariants after every step, so this is also the broad invariant test.

use minikafka::sim::{Scenario, Simulation};

const TEN_MINUTES_MS: u64 = 600_000;

fn run(name: &str) -> Simulation {
    let mut sim = Simulation::new(Scenario::bundled(name).unwrap(), None).unwrap();
    for _ in 0..TEN_MINUTES_MS / 1000 {
        sim.step(1000);
        sim.check_invariants().unwrap();
    }
    assert_eq!(sim.now_ms(), TEN_MINUTES_MS as i64);
    sim
}

/// Common expectations: records flowed, every beat fired and succeeded.
fn check_common(sim: &Simulation) {
    let r = sim.report();
    assert!(r.produced > 0, "{}: nothing produced", r.scenario);
    assert!(r.consumed > 0, "{}: nothing consumed", r.scenario);
    assert!(sim.next_beat().is_none(), "{}: beats left", r.scenario);
    for c in sim.captions() {
        assert!(
            c.ok,
            "{}: beat {} failed: {}",
            r.scenario, c.action, c.outcome
        );
    }
    assert_eq!(
        sim.captions().count(),
        sim.scenario().timeline.len(),
        "{}",
        r.scenario
    );
    assert_eq!(sim.metrics().samples(), 600);
}

#[test]
fn every_bundled_scenario_is_listed_and_valid() {
    let names: Vec<_> = Scenario::bundled_names().collect();
    for want in [
        "quickstart",
        "rebalance",
        "slow-consumer",
        "hot-key",
        "retention",
        "replay",
        "idle-consumers",
        "at-least-once",
        "bench",
        "rebalance-protocols",
    ] {
        assert!(names.contains(&want), "{want} missing");
    }
    for s in Scenario::bundled_all() {
        assert!(!s.description.is_empty(), "{} has no description", s.name);
        // Actions at the same moment make one beat, captioned once.
        for b in &s.timeline {
            let captioned =
                (s.timeline.iter()).any(|o| o.at_ms == b.at_ms && !o.caption.is_empty());
            assert!(
                captioned,
                "{}: the beat at {} ms has no caption",
                s.name, b.at_ms
            );
        }
    }
}

#[test]
fn quickstart_fast_group_keeps_up_and_slow_group_lags_then_drains() {
    let sim = run("quickstart");
    check_common(&sim);
    let r = sim.report();
    let billing = r.groups.iter().find(|g| g.name == "billing").unwrap();
    let analytics = r.groups.iter().find(|g| g.name == "analytics").unwrap();
    assert!(billing.total_lag < 50, "{}", billing.total_lag);
    assert_eq!(analytics.members.len(), 2);
    // Lag peaked while analytics had one member, then drained after the second joined.
    let hist = sim.metrics().group_lag_history("analytics").unwrap();
    let peak = hist.iter().max().unwrap();
    assert!(peak > 250, "peak lag {peak}");
    assert!(hist.last().unwrap() < peak / 4);
}

#[test]
fn rebalance_moves_partitions_and_ends_balanced() {
    let sim = run("rebalance");
    check_common(&sim);
    let r = sim.report();
    let g = &r.groups[0];
    assert_eq!(g.state, "Stable");
    // 2 start, +1, +1, -1, crash -1 (expelled), +1 = 3 members.
    assert_eq!(g.members.len(), 3);
    assert!(g.generation >= 6, "generation {}", g.generation);
    for m in &g.members {
        assert_eq!(m.assignment.len(), 2, "six partitions over three members");
    }
}

#[test]
fn slow_consumer_lag_builds_then_drains() {
    let sim = run("slow-consumer");
    check_common(&sim);
    let hist = sim.metrics().group_lag_history("reports").unwrap();
    let peak = hist.iter().max().unwrap();
    assert!(peak >= 1000, "peak {peak}");
    assert!(hist.last().unwrap() < 100);
}

#[test]
fn hot_key_makes_one_partition_hot() {
    let sim = run("hot-key");
    check_common(&sim);
    let r = sim.report();
    let hws: Vec<i64> = r.topics[0]
        .partitions
        .iter()
        .map(|p| p.high_watermark)
        .collect();
    let max = *hws.iter().max().unwrap();
    let min = *hws.iter().min().unwrap();
    assert!(max > 3 * min.max(1), "{hws:?}");
    // The hot partition's lag dominates, whatever the member count.
    let g = &r.groups[0];
    let worst = g.offsets.iter().map(|o| o.lag).max().unwrap();
    assert!(worst * 10 > g.total_lag * 9, "{:?}", g.offsets);
}

#[test]
fn retention_loses_records_for_the_slow_group_only() {
    let sim = run("retention");
    check_common(&sim);
    let archiver = sim.group("archiver").unwrap();
    let live = sim.group("live").unwrap();
    assert!(archiver.lost() > 0);
    assert_eq!(live.lost(), 0);
    let r = sim.report();
    assert!(
        r.topics[0]
            .partitions
            .iter()
            .all(|p| p.log_start_offset > 0)
    );
}

#[test]
fn replay_reads_history_again_without_duplicates() {
    let sim = run("replay");
    check_common(&sim);
    let g = sim.group("search-index").unwrap();
    assert_eq!(g.duplicates(), 0, "a replay is not a duplicate");
    // Everything was read once, then again from the start at 40 s.
    assert!(
        g.consumed() > sim.produced() + 700,
        "{} vs {}",
        g.consumed(),
        sim.produced()
    );
}

#[test]
fn idle_consumers_take_over_after_a_crash() {
    let sim = run("idle-consumers");
    check_common(&sim);
    let r = sim.report();
    let g = &r.groups[0];
    assert_eq!(g.members.len(), 3, "5 - crashed - left");
    let owning = g
        .members
        .iter()
        .filter(|m| !m.assignment.is_empty())
        .count();
    assert_eq!(owning, 3);
    assert!(g.total_lag < 50);
}

#[test]
fn at_least_once_shows_duplicates() {
    let sim = run("at-least-once");
    check_common(&sim);
    assert!(sim.group("charger").unwrap().duplicates() > 0);
}

#[test]
fn bench_runs_at_rate() {
    let sim = run("bench");
    check_common(&sim);
    assert_eq!(sim.produced(), 4 * 5000 * 600);
    for g in sim.groups() {
        assert!(g.consumed() + 1000 > sim.produced(), "{}", g.name());
    }
}
