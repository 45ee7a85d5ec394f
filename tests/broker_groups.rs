//! The consumer group protocol and offsets, through the broker's public API.

use minikafka::broker::{
    AssignorKind, Broker, BrokerError, EventKind, GroupProtocol, GroupState, JoinGroupRequest,
    JoinOutcome, LeaveReason, MemberAssignment, NewRecord, ResetSpec, SyncAssignment, SyncOutcome,
    TopicConfig, TopicPartition,
};
use std::collections::BTreeMap;

fn topics(names: &[&str]) -> Vec<String> {
    names.iter().map(|s| s.to_string()).collect()
}

fn broker_with(topic: &str, partitions: u32, records: usize) -> Broker {
    let mut b = Broker::new();
    b.create_topic(topic, TopicConfig::new(partitions), 0)
        .unwrap();
    for p in 0..partitions {
        for i in 0..records {
            b.append(topic, p, NewRecord::new(i as i64, None, vec![0u8; 4]))
                .unwrap();
        }
    }
    b
}

fn join_new(b: &mut Broker, group: &str, client: &str, now: i64) -> JoinOutcome {
    let mut req = JoinGroupRequest::consumer(group, client, &topics(&["t"]), "range");
    req.session_timeout_ms = 1_000;
    req.rebalance_timeout_ms = 5_000;
    b.join_group(req, now).unwrap()
}

fn rejoin(b: &mut Broker, group: &str, member: &str, now: i64) -> JoinOutcome {
    let mut req = JoinGroupRequest::consumer(group, "c", &topics(&["t"]), "range");
    req.member_id = Some(member.to_string());
    req.session_timeout_ms = 1_000;
    req.rebalance_timeout_ms = 5_000;
    b.join_group(req, now).unwrap()
}

fn member_of(outcome: &JoinOutcome) -> String {
    match outcome {
        JoinOutcome::Joined(r) => r.member_id.clone(),
        JoinOutcome::Pending { member_id } => member_id.clone(),
    }
}

/// Drives every member through join and sync until the group is Stable.
fn settle(b: &mut Broker, group: &str, members: &[String], now: i64) -> i32 {
    let mut results = Vec::new();
    for m in members {
        if let JoinOutcome::Joined(r) = rejoin(b, group, m, now) {
            results.push(r);
        }
    }
    for m in members {
        if let Some(r) = b.poll_join(group, m) {
            results.push(r);
        }
    }
    assert_eq!(
        results.len(),
        members.len(),
        "every member gets exactly one join result"
    );
    let generation = results[0].generation;
    let leader = results[0].leader.clone();
    b.sync_group(
        group,
        &leader,
        generation,
        SyncAssignment::Compute(AssignorKind::Range),
        now,
    )
    .unwrap();
    assert_eq!(b.group(group).unwrap().state(), GroupState::Stable);
    generation
}

#[test]
fn a_lone_member_completes_the_rebalance_at_once() {
    let mut b = broker_with("t", 3, 0);
    let JoinOutcome::Joined(r) = join_new(&mut b, "g", "app", 0) else {
        panic!("expected an immediate join")
    };
    assert_eq!(r.generation, 1);
    assert_eq!(r.leader, r.member_id);
    assert_eq!(r.members.len(), 1, "the leader sees every member");
    assert_eq!(
        b.group("g").unwrap().state(),
        GroupState::CompletingRebalance
    );
    let out = b
        .sync_group(
            "g",
            &r.member_id,
            1,
            SyncAssignment::Compute(AssignorKind::Range),
            0,
        )
        .unwrap();
    let SyncOutcome::Assigned(a) = out else {
        panic!()
    };
    assert_eq!(a.partitions.len(), 3);
    assert_eq!(b.group("g").unwrap().state(), GroupState::Stable);
}

#[test]
fn a_second_member_triggers_a_rebalance_that_waits_for_everyone() {
    let mut b = broker_with("t", 4, 0);
    let first = member_of(&join_new(&mut b, "g", "c", 0));
    settle(&mut b, "g", std::slice::from_ref(&first), 0);

    let second = join_new(&mut b, "g", "c", 10);
    assert!(matches!(second, JoinOutcome::Pending { .. }));
    let second = member_of(&second);
    assert_eq!(
        b.group("g").unwrap().state(),
        GroupState::PreparingRebalance
    );

    // The first member learns of the rebalance from its heartbeat, then rejoins.
    let hb = b.heartbeat("g", &first, 1, 20);
    assert!(matches!(hb, Err(BrokerError::RebalanceInProgress(_))));
    let outcome = rejoin(&mut b, "g", &first, 30);
    let JoinOutcome::Joined(r) = outcome else {
        panic!("the last rejoin completes the round")
    };
    assert_eq!(r.generation, 2);
    let follower_result = b
        .poll_join("g", &second)
        .expect("second gets its result too");
    assert!(
        follower_result.members.is_empty(),
        "followers do not see the member list"
    );
    assert_eq!(
        b.poll_join("g", &second),
        None,
        "a result is handed out once"
    );

    // The follower's sync waits for the leader's.
    let leader = r.leader.clone();
    let follower = if leader == first { &second } else { &first };
    assert_eq!(
        b.sync_group("g", follower, 2, SyncAssignment::Follower, 40)
            .unwrap(),
        SyncOutcome::Pending
    );
    assert!(b.poll_sync("g", follower, 2).is_none());
    b.sync_group(
        "g",
        &leader,
        2,
        SyncAssignment::Compute(AssignorKind::Range),
        50,
    )
    .unwrap();
    let mine = b.poll_sync("g", follower, 2).unwrap().unwrap();
    assert_eq!(mine.partitions.len(), 2);
    assert_eq!(b.group("g").unwrap().state(), GroupState::Stable);
    assert!(b.heartbeat("g", &first, 2, 60).is_ok());
}

#[test]
fn the_leader_can_relay_its_own_assignment_bytes() {
    let mut b = broker_with("t", 2, 0);
    let JoinOutcome::Joined(r) = join_new(&mut b, "g", "c", 0) else {
        panic!()
    };
    let mut map = BTreeMap::new();
    map.insert(
        r.member_id.clone(),
        MemberAssignment {
            partitions: vec![TopicPartition::new("t", 1)],
            raw: bytes::Bytes::from_static(b"opaque"),
        },
    );
    let SyncOutcome::Assigned(a) = b
        .sync_group("g", &r.member_id, 1, SyncAssignment::Provided(map), 0)
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(a.raw.as_ref(), b"opaque");
    assert_eq!(
        b.group("g")
            .unwrap()
            .member(&r.member_id)
            .unwrap()
            .assignment(),
        &[TopicPartition::new("t", 1)]
    );
}

#[test]
fn member_id_required_flow() {
    let mut b = broker_with("t", 1, 0);
    let mut req = JoinGroupRequest::consumer("g", "app", &topics(&["t"]), "range");
    req.require_known_member_id = true;
    let err = b.join_group(req.clone(), 0).unwrap_err();
    let BrokerError::MemberIdRequired { member, .. } = err else {
        panic!("{err}")
    };
    assert_eq!(
        b.group("g").unwrap().members().len(),
        0,
        "not a member until it rejoins"
    );
    req.member_id = Some(member.clone());
    let JoinOutcome::Joined(r) = b.join_group(req, 1).unwrap() else {
        panic!()
    };
    assert_eq!(r.member_id, member);
}

#[test]
fn unknown_member_and_stale_generation_are_rejected() {
    let mut b = broker_with("t", 2, 5);
    let m = member_of(&join_new(&mut b, "g", "c", 0));
    let generation = settle(&mut b, "g", std::slice::from_ref(&m), 0);
    let tp = TopicPartition::new("t", 0);

    let err = b
        .commit_offsets("g", "nobody", generation, &[(tp.clone(), 1)], 0)
        .unwrap_err();
    assert!(matches!(err, BrokerError::UnknownMemberId { .. }));
    let err = b
        .commit_offsets("g", &m, generation - 1, &[(tp.clone(), 1)], 0)
        .unwrap_err();
    assert!(
        matches!(err, BrokerError::IllegalGeneration { given, current, .. } if given == generation - 1 && current == generation)
    );
    let err = b.heartbeat("g", &m, generation + 5, 0).unwrap_err();
    assert!(matches!(err, BrokerError::IllegalGeneration { .. }));
    let err = b.join_group(
        {
            let mut r = JoinGroupRequest::consumer("g", "c", &topics(&["t"]), "range");
            r.member_id = Some("ghost".into());
            r
        },
        0,
    );
    assert!(matches!(err, Err(BrokerError::UnknownMemberId { .. })));
    assert!(b.commit_offsets("g", &m, generation, &[(tp, 3)], 0).is_ok());
}

#[test]
fn commits_beyond_the_high_watermark_are_refused() {
    let mut b = broker_with("t", 1, 5);
    let m = member_of(&join_new(&mut b, "g", "c", 0));
    let generation = settle(&mut b, "g", std::slice::from_ref(&m), 0);
    let tp = TopicPartition::new("t", 0);
    assert!(
        b.commit_offsets("g", &m, generation, &[(tp.clone(), 5)], 0)
            .is_ok()
    );
    let err = b
        .commit_offsets("g", &m, generation, &[(tp.clone(), 6)], 0)
        .unwrap_err();
    assert!(matches!(
        err,
        BrokerError::OffsetOutOfRange { offset: 6, .. }
    ));
    let err = b
        .commit_offsets("g", &m, generation, &[(TopicPartition::new("t", 9), 0)], 0)
        .unwrap_err();
    assert!(matches!(err, BrokerError::UnknownPartition { .. }));
    assert_eq!(
        b.committed_offset("g", &tp),
        Some(5),
        "a refused commit changes nothing"
    );
}

#[test]
fn groups_keep_independent_offsets_and_lag() {
    let mut b = broker_with("t", 1, 10);
    let tp = TopicPartition::new("t", 0);
    b.commit_offsets("fast", "", -1, &[(tp.clone(), 10)], 0)
        .unwrap();
    b.commit_offsets("slow", "", -1, &[(tp.clone(), 2)], 0)
        .unwrap();
    assert_eq!(b.lag("fast", &tp), Some(0));
    assert_eq!(b.lag("slow", &tp), Some(8));
    assert_eq!(b.lag("never", &tp), None);
    b.append("t", 0, NewRecord::new(0, None, "x")).unwrap();
    assert_eq!(b.lag("fast", &tp), Some(1));
    // Reading is not consuming: both groups can still fetch everything.
    assert_eq!(b.fetch("t", 0, 0, 100, u64::MAX).unwrap().records.len(), 11);
}

#[test]
fn leaving_rebalances_at_once_and_the_last_leave_empties_the_group() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "c", 0));
    let c = member_of(&join_new(&mut b, "g", "c", 0));
    let generation = settle(&mut b, "g", &[a.clone(), c.clone()], 0);
    b.leave_group("g", &c, 10).unwrap();
    let g = b.group("g").unwrap();
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    let g2 = settle(&mut b, "g", std::slice::from_ref(&a), 20);
    assert!(g2 > generation);
    assert_eq!(
        b.group("g").unwrap().member(&a).unwrap().assignment().len(),
        2
    );
    b.leave_group("g", &a, 30).unwrap();
    assert_eq!(b.group("g").unwrap().state(), GroupState::Empty);
    assert!(matches!(
        b.leave_group("g", &a, 40),
        Err(BrokerError::UnknownMemberId { .. })
    ));
}

#[test]
fn a_silent_member_is_expelled_after_its_session_timeout() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "c", 0));
    let c = member_of(&join_new(&mut b, "g", "c", 0));
    let generation = settle(&mut b, "g", &[a.clone(), c.clone()], 0);
    // `a` keeps heartbeating; `c` has crashed.
    for t in (100..=1_000).step_by(100) {
        b.heartbeat("g", &a, generation, t).unwrap();
        b.tick(t);
    }
    assert_eq!(
        b.group("g").unwrap().members().len(),
        2,
        "not yet: exactly at the timeout"
    );
    b.heartbeat("g", &a, generation, 1_001).unwrap();
    b.tick(1_001);
    let g = b.group("g").unwrap();
    assert_eq!(g.members().len(), 1);
    assert_eq!(g.state(), GroupState::PreparingRebalance);
    assert!(b.events().iter().any(|e| matches!(&e.kind,
        EventKind::MemberRemoved { member, reason: LeaveReason::SessionExpired, .. } if *member == c)));
    settle(&mut b, "g", std::slice::from_ref(&a), 1_002);
    assert_eq!(
        b.group("g").unwrap().member(&a).unwrap().assignment().len(),
        2
    );
}

#[test]
fn members_that_do_not_rejoin_are_removed_at_the_rebalance_timeout() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "c", 0));
    let c = member_of(&join_new(&mut b, "g", "c", 0));
    settle(&mut b, "g", &[a.clone(), c.clone()], 0);
    let _ = join_new(&mut b, "g", "c", 100); // a third member starts a rebalance
    let _ = rejoin(&mut b, "g", &a, 200); // `a` rejoins, `c` never does (but keeps heartbeating)
    for t in (300..5_100).step_by(300) {
        let _ = b.heartbeat("g", &c, 1, t);
        b.tick(t);
    }
    b.tick(5_200);
    let g = b.group("g").unwrap();
    assert_eq!(g.state(), GroupState::CompletingRebalance);
    assert_eq!(g.members().len(), 2);
    assert!(g.member(&c).is_none());
    assert!(b.events().iter().any(|e| matches!(
        &e.kind,
        EventKind::MemberRemoved {
            reason: LeaveReason::RebalanceTimeout,
            ..
        }
    )));
}

#[test]
fn members_must_share_a_protocol() {
    let mut b = broker_with("t", 1, 0);
    join_new(&mut b, "g", "c", 0);
    let mut req = JoinGroupRequest::consumer("g", "d", &topics(&["t"]), "roundrobin");
    req.protocols = vec![GroupProtocol {
        name: "roundrobin".into(),
        metadata: bytes::Bytes::new(),
    }];
    let err = b.join_group(req, 0).unwrap_err();
    assert!(matches!(err, BrokerError::InconsistentGroupProtocol { .. }));
    assert_eq!(err.kafka_code(), 23);
}

#[test]
fn resets_are_refused_while_members_remain() {
    let mut b = broker_with("t", 2, 10);
    let m = member_of(&join_new(&mut b, "g", "c", 0));
    let generation = settle(&mut b, "g", std::slice::from_ref(&m), 0);
    b.commit_offsets("g", &m, generation, &[(TopicPartition::new("t", 0), 6)], 0)
        .unwrap();
    let err = b
        .reset_offsets("g", &topics(&["t"]), ResetSpec::Earliest, 0)
        .unwrap_err();
    assert!(matches!(err, BrokerError::GroupNotEmpty { members: 1, .. }));
    assert_eq!(err.kafka_code(), 68);
    b.leave_group("g", &m, 1).unwrap();

    let tp0 = TopicPartition::new("t", 0);
    let tp1 = TopicPartition::new("t", 1);
    b.reset_offsets("g", &topics(&["t"]), ResetSpec::ShiftBy(-4), 2)
        .unwrap();
    assert_eq!(b.committed_offset("g", &tp0), Some(2));
    assert_eq!(
        b.committed_offset("g", &tp1),
        Some(0),
        "no commit yet: shift from the log start"
    );
    b.reset_offsets("g", &topics(&["t"]), ResetSpec::Latest, 3)
        .unwrap();
    assert_eq!(b.lag("g", &tp0), Some(0));
    b.reset_offsets("g", &topics(&["t"]), ResetSpec::Earliest, 4)
        .unwrap();
    assert_eq!(b.lag("g", &tp0), Some(10));
    b.reset_offsets("g", &topics(&["t"]), ResetSpec::ToOffset(99), 5)
        .unwrap();
    assert_eq!(
        b.committed_offset("g", &tp0),
        Some(10),
        "clamped to the high watermark"
    );
    b.reset_offsets("g", &topics(&["t"]), ResetSpec::ToTimestamp(7), 6)
        .unwrap();
    assert_eq!(
        b.committed_offset("g", &tp0),
        Some(7),
        "record i has timestamp i"
    );
    assert!(
        b.events()
            .iter()
            .any(|e| matches!(e.kind, EventKind::OffsetsReset { .. }))
    );
}

#[test]
fn deleting_groups() {
    let mut b = broker_with("t", 1, 0);
    let m = member_of(&join_new(&mut b, "g", "c", 0));
    assert!(matches!(
        b.delete_group("g", 0),
        Err(BrokerError::GroupNotEmpty { .. })
    ));
    b.leave_group("g", &m, 0).unwrap();
    b.delete_group("g", 0).unwrap();
    assert!(b.group("g").is_none());
    assert!(matches!(
        b.delete_group("g", 0),
        Err(BrokerError::UnknownGroup(_))
    ));
}

#[test]
fn rebalance_events_carry_the_new_assignment() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "c", 0));
    settle(&mut b, "g", std::slice::from_ref(&a), 0);
    let completed: Vec<_> = b
        .events()
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::RebalanceCompleted {
                assignment,
                generation,
                ..
            } => Some((*generation, assignment.clone())),
            _ => None,
        })
        .collect();
    let (generation, assignment) = completed.last().unwrap();
    assert_eq!(*generation, b.group("g").unwrap().generation());
    assert_eq!(
        assignment[&a],
        vec![TopicPartition::new("t", 0), TopicPartition::new("t", 1)]
    );
}

#[test]
fn an_unchanged_follower_rejoining_a_stable_group_keeps_its_generation() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "c", 0));
    let c = member_of(&join_new(&mut b, "g", "c", 0));
    let generation = settle(&mut b, "g", &[a.clone(), c.clone()], 0);
    let leader = b.group("g").unwrap().leader().unwrap().to_string();
    let follower = if leader == a { &c } else { &a };
    let JoinOutcome::Joined(r) = rejoin(&mut b, "g", follower, 10) else {
        panic!()
    };
    assert_eq!(r.generation, generation);
    assert_eq!(b.group("g").unwrap().state(), GroupState::Stable);
    // The leader rejoining is how a real client asks for a new assignment.
    let _ = rejoin(&mut b, "g", &leader, 20);
    assert_eq!(
        b.group("g").unwrap().state(),
        GroupState::PreparingRebalance
    );
}

#[test]
fn completing_a_join_restarts_every_session() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "c", 0));
    let c = member_of(&join_new(&mut b, "g", "c", 0));
    settle(&mut b, "g", &[a.clone(), c.clone()], 0);
    // A third member arrives; `a` rejoins at once, `c` has crashed and never does.
    let newcomer = member_of(&join_new(&mut b, "g", "c", 100));
    let _ = rejoin(&mut b, "g", &a, 100);
    // The crashed member's session lapses at 1,001: the round completes without it.
    b.tick(1_001);
    let g = b.group("g").unwrap();
    assert!(g.member(&c).is_none());
    assert_eq!(g.state(), GroupState::CompletingRebalance);
    // The two who waited since t=100 get fresh sessions from the completion, not from t=100.
    b.tick(1_150);
    let g = b.group("g").unwrap();
    assert!(
        g.member(&a).is_some() && g.member(&newcomer).is_some(),
        "waiting in a join is not silence"
    );
}

#[test]
fn a_join_completed_but_not_yet_collected_stays_in_the_next_round() {
    // A parked JoinGroup's result is collected by its connection some time after the round
    // completes. If the leader starts another round in between, the parked member cannot
    // rejoin (its request is still open), so it must count as joined in the new round.
    let mut b = broker_with("t", 3, 0);
    let a = member_of(&join_new(&mut b, "g", "a", 0));
    settle(&mut b, "g", std::slice::from_ref(&a), 0);
    let parked = member_of(&join_new(&mut b, "g", "b", 10));
    let JoinOutcome::Joined(r) = rejoin(&mut b, "g", &a, 20) else {
        panic!("the leader's rejoin completes the round")
    };
    b.sync_group(
        "g",
        &a,
        r.generation,
        SyncAssignment::Compute(AssignorKind::Range),
        30,
    )
    .unwrap();
    // The leader asks for a new assignment before `parked` has read its result.
    let JoinOutcome::Joined(again) = rejoin(&mut b, "g", &a, 40) else {
        panic!("the parked member is still in the round, so the leader's rejoin completes it")
    };
    assert_eq!(again.generation, r.generation + 1);
    assert_eq!(again.members.len(), 2, "the leader sees the parked member");
    let theirs = b
        .poll_join("g", &parked)
        .expect("the parked join completes with the new round");
    assert_eq!(theirs.generation, again.generation);
    assert_eq!(
        b.group("g").unwrap().state(),
        GroupState::CompletingRebalance
    );
}

fn join_delayed(b: &mut Broker, member: Option<&str>, delay_ms: i64, now: i64) -> JoinOutcome {
    let mut req = JoinGroupRequest::consumer("g", "c", &topics(&["t"]), "range");
    req.member_id = member.map(str::to_string);
    req.session_timeout_ms = 10_000;
    req.rebalance_timeout_ms = 10_000;
    req.initial_rebalance_delay_ms = delay_ms;
    b.join_group(req, now).unwrap()
}

#[test]
fn an_empty_groups_first_rebalance_waits_for_more_members() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_delayed(&mut b, None, 3_000, 0));
    assert_eq!(
        b.group("g").unwrap().state(),
        GroupState::PreparingRebalance
    );
    assert!(!b.tick(2_999), "nothing happens before the delay");
    assert_eq!(b.poll_join("g", &a), None);
    // A newcomer restarts the wait.
    let c = member_of(&join_delayed(&mut b, None, 3_000, 2_000));
    assert!(!b.tick(4_999));
    assert!(b.tick(5_000), "the delay ended and the round completed");
    let (ra, rc) = (b.poll_join("g", &a).unwrap(), b.poll_join("g", &c).unwrap());
    assert_eq!(
        (ra.generation, rc.generation),
        (1, 1),
        "one rebalance for both"
    );
    assert_eq!(
        b.group("g").unwrap().state(),
        GroupState::CompletingRebalance
    );
}

#[test]
fn newcomers_extend_the_initial_delay_only_up_to_the_rebalance_timeout() {
    let mut b = broker_with("t", 2, 0);
    let first = member_of(&join_delayed(&mut b, None, 3_000, 0));
    for now in [2_000, 4_000, 6_000, 8_000] {
        join_delayed(&mut b, None, 3_000, now);
    }
    assert!(!b.tick(9_999));
    assert!(
        b.tick(10_000),
        "the first member's rebalance timeout caps the wait"
    );
    assert_eq!(b.poll_join("g", &first).unwrap().members.len(), 5);
}

#[test]
fn the_initial_delay_applies_only_to_a_group_that_was_empty() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_delayed(&mut b, None, 0, 0));
    settle(&mut b, "g", std::slice::from_ref(&a), 0);
    let c = join_delayed(&mut b, None, 3_000, 10);
    let JoinOutcome::Joined(r) = join_delayed(&mut b, Some(&a), 3_000, 20) else {
        panic!("a running group rebalances as soon as everyone has rejoined")
    };
    assert_eq!(r.generation, 2);
    assert!(b.poll_join("g", &member_of(&c)).is_some());
    // Once the group has emptied, the next first member waits again.
    for m in [a, member_of(&c)] {
        b.leave_group("g", &m, 30).unwrap();
    }
    let d = member_of(&join_delayed(&mut b, None, 3_000, 40));
    assert_eq!(b.poll_join("g", &d), None);
    assert!(b.tick(3_040));
    assert!(b.poll_join("g", &d).is_some());
}

#[test]
fn a_member_parked_in_a_sync_stays_alive_until_the_leader_syncs() {
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "c", 0));
    let c = member_of(&join_new(&mut b, "g", "c", 0));
    let mut results: Vec<_> = [&a, &c]
        .iter()
        .filter_map(|m| match rejoin(&mut b, "g", m, 10) {
            JoinOutcome::Joined(r) => Some(r),
            JoinOutcome::Pending { .. } => None,
        })
        .collect();
    results.extend([&a, &c].iter().filter_map(|m| b.poll_join("g", m)));
    let leader = results[0].leader.clone();
    let follower = if leader == a { &c } else { &a };
    let generation = results[0].generation;
    assert_eq!(
        b.sync_group("g", follower, generation, SyncAssignment::Follower, 100)
            .unwrap(),
        SyncOutcome::Pending
    );
    // The leader takes its time (heartbeating meanwhile); sessions are 1 s.
    for now in [900, 1_800, 2_700] {
        b.heartbeat("g", &leader, generation, now).unwrap();
        b.tick(now);
    }
    assert!(
        b.group("g").unwrap().member(follower).is_some(),
        "waiting on the leader is not silence"
    );
    b.sync_group(
        "g",
        &leader,
        generation,
        SyncAssignment::Compute(AssignorKind::Range),
        2_800,
    )
    .unwrap();
    assert!(b.poll_sync("g", follower, generation).unwrap().is_ok());
    // Its session runs from the moment the assignment was ready.
    b.tick(3_700);
    assert!(b.group("g").unwrap().member(follower).is_some());
    b.tick(3_801);
    assert!(b.group("g").unwrap().member(follower).is_none());
}

#[test]
fn a_members_phase_follows_the_rebalance_round() {
    use minikafka::broker::MemberPhase::{
        AwaitingJoin, AwaitingSync, JoinReady, Joined, NotYetRejoined,
    };
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "a", 0));
    settle(&mut b, "g", std::slice::from_ref(&a), 0);
    let phase = |b: &Broker, m: &str| b.group("g").unwrap().member(m).unwrap().phase();
    assert_eq!(phase(&b, &a), Joined);
    // A newcomer starts a round: it waits in its join, and `a` has not rejoined yet.
    let c = member_of(&join_new(&mut b, "g", "c", 10));
    assert_eq!(
        (phase(&b, &a), phase(&b, &c)),
        (NotYetRejoined, AwaitingJoin)
    );
    // `a` rejoins and completes the round: it has its answer, `c`'s waits to be collected.
    let JoinOutcome::Joined(ra) = rejoin(&mut b, "g", &a, 20) else {
        panic!("the last member to rejoin completes the round")
    };
    assert_eq!((phase(&b, &a), phase(&b, &c)), (Joined, JoinReady));
    let rc = b.poll_join("g", &c).expect("c's answer");
    assert_eq!(phase(&b, &c), Joined);
    // `c` syncs before the leader has assigned: it is parked, and alive, however long.
    b.sync_group("g", &c, rc.generation, SyncAssignment::Follower, 30)
        .unwrap();
    assert_eq!(phase(&b, &c), AwaitingSync);
    // Rejoining unchanged mid-sync hands back the generation and leaves it parked.
    let JoinOutcome::Joined(again) = rejoin(&mut b, "g", &c, 35) else {
        panic!("an unchanged rejoin mid-sync answers at once")
    };
    assert_eq!(again.generation, rc.generation);
    assert_eq!(phase(&b, &c), AwaitingSync);
    // Long past c's 1 s session; the leader keeps its own alive.
    b.heartbeat("g", &a, ra.generation, 9_000).unwrap();
    b.tick(9_500);
    assert_eq!(
        phase(&b, &c),
        AwaitingSync,
        "a parked member does not expire"
    );
    b.sync_group(
        "g",
        &a,
        ra.generation,
        SyncAssignment::Compute(AssignorKind::Range),
        9_500,
    )
    .unwrap();
    assert_eq!(phase(&b, &c), Joined, "the leader's assignment releases it");
}

#[test]
fn a_sync_before_collecting_the_join_answer_counts_as_collecting_it() {
    use minikafka::broker::MemberPhase::{AwaitingSync, JoinReady};
    let mut b = broker_with("t", 2, 0);
    let a = member_of(&join_new(&mut b, "g", "a", 0));
    settle(&mut b, "g", std::slice::from_ref(&a), 0);
    let c = member_of(&join_new(&mut b, "g", "c", 10));
    let JoinOutcome::Joined(ra) = rejoin(&mut b, "g", &a, 20) else {
        panic!("the last member to rejoin completes the round")
    };
    let phase = |b: &Broker, m: &str| b.group("g").unwrap().member(m).unwrap().phase();
    assert_eq!(phase(&b, &c), JoinReady);
    // Only a member that has the answer knows the generation; one that syncs has it.
    b.sync_group("g", &c, ra.generation, SyncAssignment::Follower, 30)
        .unwrap();
    assert_eq!(phase(&b, &c), AwaitingSync);
    assert_eq!(
        b.poll_join("g", &c),
        None,
        "the answer is not handed out again"
    );
}
