//! Groups of network clients share the simulation's broker but not its clock.

use minikafka::broker::{
    AssignorKind, GroupState, JoinGroupRequest, JoinOutcome, SyncAssignment, TopicPartition,
};
use minikafka::sim::{Scenario, Simulation};

/// A client-side member of group `ext` that joins at real time `now` and never heartbeats.
fn join_external(sim: &Simulation, now: i64) -> String {
    let topics = vec!["orders".to_string()];
    let mut req = JoinGroupRequest::consumer("ext", "kcat", &topics, "range");
    req.session_timeout_ms = 1_000;
    let mut b = sim.broker().write();
    let JoinOutcome::Joined(r) = b.join_group(req, now).unwrap() else {
        panic!("a lone member joins at once")
    };
    b.sync_group(
        "ext",
        &r.member_id,
        r.generation,
        SyncAssignment::Compute(AssignorKind::Range),
        now,
    )
    .unwrap();
    r.member_id
}

#[test]
fn simulated_time_does_not_expire_network_members() {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(1)).unwrap();
    let member = join_external(&sim, 0);
    // A minute of virtual time, even fast-forwarded, is not a minute of the client's time.
    sim.step(60_000);
    {
        let b = sim.broker().read();
        let g = b.group("ext").unwrap();
        assert!(g.member(&member).is_some());
        assert_eq!(g.state(), GroupState::Stable);
    }
    // On its own (real-time) clock the session does lapse.
    sim.tick_foreign_groups(999);
    assert!(
        sim.broker()
            .read()
            .group("ext")
            .unwrap()
            .member(&member)
            .is_some()
    );
    sim.tick_foreign_groups(1_001);
    assert!(
        sim.broker()
            .read()
            .group("ext")
            .unwrap()
            .member(&member)
            .is_none()
    );
    // The simulated groups were not touched by the foreign tick.
    let b = sim.broker().read();
    assert_eq!(b.group("billing").unwrap().state(), GroupState::Stable);
}

#[test]
fn network_groups_get_lag_history_and_a_rate_from_their_commits() {
    let mut sim = Simulation::new(Scenario::bundled("quickstart").unwrap(), Some(1)).unwrap();
    let member = join_external(&sim, 0);
    sim.step(5_000);
    let generation = sim.broker().read().group("ext").unwrap().generation();
    // Commit 10 records on partition 0 and let a sample pass.
    sim.broker()
        .write()
        .commit_offsets(
            "ext",
            &member,
            generation,
            &[(TopicPartition::new("orders", 0), 10)],
            5_000,
        )
        .unwrap();
    sim.step(1_000);
    let hw0 = sim
        .broker()
        .read()
        .partition("orders", 0)
        .unwrap()
        .high_watermark();
    let metrics = sim.metrics();
    let history = metrics
        .group_lag_history("ext")
        .expect("sampled like a simulated group");
    assert_eq!(history.len(), 6);
    assert_eq!(
        history.last(),
        Some(hw0 - 10),
        "lag counts only committed partitions: the others start at the end"
    );
    let rate = metrics.group_consume_rate("ext");
    assert!(
        (rate - 10.0).abs() < 1e-9,
        "10 records committed in one sampled second: {rate}"
    );
}
