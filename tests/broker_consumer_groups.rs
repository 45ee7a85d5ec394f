//! Consumer-protocol groups (KIP-848) and static membership, driven through the broker's
//! public API: epochs, revocation before assignment, leaving, fencing, timeouts, and
//! classic and consumer groups side by side.

use minikafka::broker::{
    Broker, BrokerError, ConsumerGroupConfig, ConsumerHeartbeat, GroupState, GroupType,
    HeartbeatReply, JoinGroupRequest, JoinOutcome, STATIC_LEAVE_EPOCH, SyncAssignment, SyncOutcome,
    TopicConfig, TopicPartition,
};

fn broker(partitions: u32) -> Broker {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(partitions), 0)
        .unwrap();
    b.set_consumer_group_config(
        "g",
        ConsumerGroupConfig {
            session_timeout_ms: 10_000,
            heartbeat_interval_ms: 1_000,
        },
    );
    b
}

fn topics() -> Vec<String> {
    vec!["t".to_string()]
}

fn join(b: &mut Broker, member: &str, now: i64) -> HeartbeatReply {
    b.consumer_group_heartbeat(ConsumerHeartbeat::join("g", member, &topics()), now)
        .unwrap()
}

/// A heartbeat at `epoch` reporting `owned` partitions.
fn beat(
    b: &mut Broker,
    member: &str,
    epoch: i32,
    owned: &[u32],
    now: i64,
) -> Result<HeartbeatReply, BrokerError> {
    b.consumer_group_heartbeat(
        ConsumerHeartbeat {
            group: "g".into(),
            member_id: member.into(),
            member_epoch: epoch,
            owned: Some(owned.iter().map(|&p| TopicPartition::new("t", p)).collect()),
            ..ConsumerHeartbeat::default()
        },
        now,
    )
}

fn parts(reply: &HeartbeatReply) -> Vec<u32> {
    reply
        .assignment
        .as_ref()
        .expect("an assignment in the reply")
        .iter()
        .map(|tp| tp.partition)
        .collect()
}

fn state(b: &Broker) -> GroupState {
    b.consumer_group("g").unwrap().state()
}

#[test]
fn a_newcomer_gets_partitions_only_after_their_owner_revoked_them() {
    let mut b = broker(4);
    let a = join(&mut b, "a", 0);
    assert_eq!((a.member_epoch, parts(&a)), (1, vec![0, 1, 2, 3]));
    assert_eq!(state(&b), GroupState::Stable);

    let n = join(&mut b, "n", 100);
    assert_eq!(n.member_epoch, 2);
    assert_eq!(
        parts(&n),
        Vec::<u32>::new(),
        "everything is still held by a"
    );
    assert_eq!(state(&b), GroupState::Reconciling);

    // a learns on its next heartbeat that it must give two up; its epoch stays at 1.
    let a = beat(&mut b, "a", 1, &[0, 1, 2, 3], 1_000).unwrap();
    assert_eq!((a.member_epoch, parts(&a).len()), (1, 2));
    let kept = parts(&a);
    let gone: Vec<u32> = (0..4).filter(|p| !kept.contains(p)).collect();
    // Until a reports them gone, n gets nothing.
    let n = beat(&mut b, "n", 2, &[], 1_100).unwrap();
    assert_eq!(n.assignment, None);
    assert_eq!(
        b.consumer_group("g")
            .unwrap()
            .member("n")
            .unwrap()
            .assigned()
            .len(),
        0
    );

    let a = beat(&mut b, "a", 1, &kept, 1_200).unwrap();
    assert_eq!(
        a.member_epoch, 2,
        "revocation done: a moves to the target epoch"
    );
    let n = beat(&mut b, "n", 2, &[], 1_300).unwrap();
    assert_eq!(parts(&n), gone);
    assert_eq!(state(&b), GroupState::Stable);
    assert_eq!(b.consumer_group("g").unwrap().rebalances(), 2);
    assert_eq!(b.group_type("g"), Some(GroupType::Consumer));
}

#[test]
fn a_leave_hands_the_partitions_to_the_others_and_moves_the_group_epoch() {
    let mut b = broker(2);
    join(&mut b, "a", 0);
    join(&mut b, "b", 0);
    let a = beat(&mut b, "a", 1, &[0, 1], 10).unwrap();
    let kept = parts(&a);
    beat(&mut b, "a", 1, &kept, 20).unwrap();
    beat(&mut b, "b", 2, &[], 30).unwrap();
    assert_eq!(state(&b), GroupState::Stable);

    let left = b
        .consumer_group_heartbeat(
            ConsumerHeartbeat {
                group: "g".into(),
                member_id: "b".into(),
                member_epoch: -1,
                ..ConsumerHeartbeat::default()
            },
            40,
        )
        .unwrap();
    assert_eq!(left.member_epoch, -1);
    assert_eq!(b.consumer_group("g").unwrap().group_epoch(), 3);
    assert_eq!(state(&b), GroupState::Assigning);
    let a = beat(&mut b, "a", 2, &kept, 50).unwrap();
    assert_eq!((a.member_epoch, parts(&a)), (3, vec![0, 1]));
}

#[test]
fn wrong_epochs_are_fenced_but_the_previous_one_with_less_is_forgiven() {
    let mut b = broker(2);
    join(&mut b, "a", 0);
    let e = beat(&mut b, "a", 5, &[0, 1], 10).unwrap_err();
    assert!(
        matches!(e, BrokerError::FencedMemberEpoch { current: 1, .. }),
        "{e}"
    );
    join(&mut b, "b", 20);
    let a = beat(&mut b, "a", 1, &[0, 1], 30).unwrap();
    let kept = parts(&a);
    beat(&mut b, "a", 1, &kept, 40).unwrap();
    // The reply moving a to epoch 2 was lost: epoch 1 with no more than it has is fine.
    beat(&mut b, "a", 1, &kept, 50).unwrap();
    let e = beat(&mut b, "a", 1, &[0, 1], 60).unwrap_err();
    assert!(matches!(e, BrokerError::FencedMemberEpoch { .. }), "{e}");
    let e = beat(&mut b, "ghost", 3, &[], 70).unwrap_err();
    assert!(matches!(e, BrokerError::UnknownMemberId { .. }), "{e}");
}

#[test]
fn a_silent_member_is_fenced_when_its_session_ends() {
    let mut b = broker(2);
    join(&mut b, "a", 0);
    join(&mut b, "b", 0);
    // a is asked to revoke and then goes silent; b keeps heartbeating.
    beat(&mut b, "a", 1, &[0, 1], 10).unwrap();
    for t in (1_000..=10_000).step_by(1_000) {
        beat(&mut b, "b", 2, &[], t).unwrap();
    }
    assert!(
        !b.tick(10_010),
        "the session runs 10 s from the last heartbeat"
    );
    assert!(b.tick(10_011));
    let g = b.consumer_group("g").unwrap();
    assert!(g.member("a").is_none() && g.member("b").is_some());
    let r = beat(&mut b, "b", 2, &[], 10_020).unwrap();
    assert_eq!(parts(&r), vec![0, 1]);
}

#[test]
fn a_member_that_never_revokes_is_fenced_after_its_rebalance_timeout() {
    let mut b = broker(2);
    let mut req = ConsumerHeartbeat::join("g", "r", &topics());
    req.rebalance_timeout_ms = Some(500);
    b.consumer_group_heartbeat(req, 0).unwrap();
    join(&mut b, "n", 0);
    // r heartbeats on time but keeps reporting both partitions.
    for t in [100, 300, 500] {
        beat(&mut b, "r", 1, &[0, 1], t).unwrap();
    }
    assert!(!b.tick(599));
    assert!(b.tick(600), "revocation asked at 100, timeout 500 ms");
    assert!(b.consumer_group("g").unwrap().member("r").is_none());
    let n = beat(&mut b, "n", 2, &[], 700).unwrap();
    assert_eq!(parts(&n), vec![0, 1]);
}

#[test]
fn a_static_member_back_within_its_session_keeps_its_partitions_with_no_new_epoch() {
    let mut b = broker(2);
    let mut first = ConsumerHeartbeat::join("g", "s-1", &topics());
    first.instance_id = Some("inst".into());
    b.consumer_group_heartbeat(first, 0).unwrap();
    join(&mut b, "d", 0);
    let s = b
        .consumer_group_heartbeat(
            ConsumerHeartbeat {
                group: "g".into(),
                member_id: "s-1".into(),
                member_epoch: 1,
                instance_id: Some("inst".into()),
                owned: Some(vec![
                    TopicPartition::new("t", 0),
                    TopicPartition::new("t", 1),
                ]),
                ..ConsumerHeartbeat::default()
            },
            10,
        )
        .unwrap();
    let mine = parts(&s);
    let owned: Vec<TopicPartition> = mine.iter().map(|&p| TopicPartition::new("t", p)).collect();
    b.consumer_group_heartbeat(
        ConsumerHeartbeat {
            group: "g".into(),
            member_id: "s-1".into(),
            member_epoch: 1,
            instance_id: Some("inst".into()),
            owned: Some(owned),
            ..ConsumerHeartbeat::default()
        },
        20,
    )
    .unwrap();
    beat(&mut b, "d", 2, &[], 30).unwrap();
    assert_eq!(state(&b), GroupState::Stable);
    let epoch = b.consumer_group("g").unwrap().group_epoch();

    // A new incarnation before the old one left: the instance id is not released yet.
    let mut again = ConsumerHeartbeat::join("g", "s-2", &topics());
    again.instance_id = Some("inst".into());
    let e = b.consumer_group_heartbeat(again.clone(), 40).unwrap_err();
    assert!(matches!(e, BrokerError::UnreleasedInstanceId { .. }), "{e}");

    let leave = ConsumerHeartbeat {
        group: "g".into(),
        member_id: "s-1".into(),
        member_epoch: STATIC_LEAVE_EPOCH,
        instance_id: Some("inst".into()),
        ..ConsumerHeartbeat::default()
    };
    assert_eq!(
        b.consumer_group_heartbeat(leave, 50).unwrap().member_epoch,
        STATIC_LEAVE_EPOCH
    );
    let back = b.consumer_group_heartbeat(again, 5_000).unwrap();
    assert_eq!(back.member_id, "s-2");
    assert_eq!(parts(&back), mine, "the same partitions, at once");
    let g = b.consumer_group("g").unwrap();
    assert_eq!(g.group_epoch(), epoch, "no new group epoch");
    assert_eq!(g.state(), GroupState::Stable);
    assert!(g.member("s-1").is_none());

    // The old incarnation is fenced by the instance id.
    let stale = ConsumerHeartbeat {
        group: "g".into(),
        member_id: "s-1".into(),
        member_epoch: 2,
        instance_id: Some("inst".into()),
        ..ConsumerHeartbeat::default()
    };
    let e = b.consumer_group_heartbeat(stale, 5_010).unwrap_err();
    assert!(matches!(e, BrokerError::FencedInstanceId { .. }), "{e}");
}

#[test]
fn a_static_member_away_past_its_session_is_replaced_by_a_rebalance() {
    let mut b = broker(2);
    let mut first = ConsumerHeartbeat::join("g", "s-1", &topics());
    first.instance_id = Some("inst".into());
    b.consumer_group_heartbeat(first, 0).unwrap();
    b.consumer_group_heartbeat(
        ConsumerHeartbeat {
            group: "g".into(),
            member_id: "s-1".into(),
            member_epoch: STATIC_LEAVE_EPOCH,
            instance_id: Some("inst".into()),
            ..ConsumerHeartbeat::default()
        },
        10,
    )
    .unwrap();
    assert!(b.tick(10_011));
    let g = b.consumer_group("g").unwrap();
    assert!(g.static_member("inst").is_none());
    assert_eq!(g.state(), GroupState::Empty);
    assert_eq!(g.group_epoch(), 2);
}

#[test]
fn one_id_one_protocol() {
    let mut b = broker(2);
    join(&mut b, "a", 0);
    let e = b
        .join_group(JoinGroupRequest::consumer("g", "c", &topics(), "range"), 0)
        .unwrap_err();
    assert!(
        matches!(e, BrokerError::InconsistentGroupProtocol { .. }),
        "{e}"
    );

    let JoinOutcome::Joined(j) = b
        .join_group(
            JoinGroupRequest::consumer("classic", "c", &topics(), "range"),
            0,
        )
        .unwrap()
    else {
        panic!("a lone member joins at once")
    };
    let e = b
        .consumer_group_heartbeat(ConsumerHeartbeat::join("classic", "x", &topics()), 0)
        .unwrap_err();
    assert!(matches!(e, BrokerError::NotAConsumerGroup(_)), "{e}");

    // Once empty, the classic group is taken over, and its offsets survive.
    b.sync_group(
        "classic",
        &j.member_id,
        j.generation,
        SyncAssignment::Follower,
        0,
    )
    .unwrap();
    b.append("t", 0, minikafka::broker::NewRecord::new(0, None, "v"))
        .unwrap();
    b.leave_group("classic", &j.member_id, 0).unwrap();
    b.commit_offsets("classic", "", -1, &[(TopicPartition::new("t", 0), 1)], 0)
        .unwrap();
    b.consumer_group_heartbeat(ConsumerHeartbeat::join("classic", "x", &topics()), 0)
        .unwrap();
    assert_eq!(b.group_type("classic"), Some(GroupType::Consumer));
    assert!(b.group("classic").is_none());
    assert_eq!(
        b.committed_offset("classic", &TopicPartition::new("t", 0)),
        Some(1)
    );
}

#[test]
fn commits_carry_the_member_epoch() {
    let mut b = broker(1);
    b.append("t", 0, minikafka::broker::NewRecord::new(0, None, "v"))
        .unwrap();
    let a = join(&mut b, "a", 0);
    let tp = TopicPartition::new("t", 0);
    b.commit_offsets("g", "a", a.member_epoch, &[(tp.clone(), 1)], 0)
        .unwrap();
    let e = b
        .commit_offsets("g", "a", a.member_epoch - 1, &[(tp.clone(), 1)], 0)
        .unwrap_err();
    assert!(matches!(e, BrokerError::StaleMemberEpoch { .. }), "{e}");
    let e = b
        .commit_offsets("g", "", -1, &[(tp.clone(), 0)], 0)
        .unwrap_err();
    assert!(matches!(e, BrokerError::UnknownMemberId { .. }), "{e}");
    assert!(b.check_offset_fetch("g", Some("a"), a.member_epoch).is_ok());
    assert!(b.check_offset_fetch("g", None, -1).is_ok());
    assert!(b.check_offset_fetch("g", Some("a"), 0).is_err());
}

#[test]
fn range_is_used_when_members_ask_for_it() {
    let mut b = broker(4);
    let mut req = ConsumerHeartbeat::join("g", "b", &topics());
    req.server_assignor = Some("range".into());
    b.consumer_group_heartbeat(req, 0).unwrap();
    let mut req = ConsumerHeartbeat::join("g", "a", &topics());
    req.server_assignor = Some("range".into());
    b.consumer_group_heartbeat(req, 0).unwrap();
    let g = b.consumer_group("g").unwrap();
    assert_eq!(g.assignor().name(), "range");
    let target: Vec<u32> = g.target("a").map(|tp| tp.partition).collect();
    assert_eq!(target, [0, 1], "ranges go in member id order");
    let mut bad = ConsumerHeartbeat::join("g", "c", &topics());
    bad.server_assignor = Some("sticky".into());
    let e = b.consumer_group_heartbeat(bad, 0).unwrap_err();
    assert!(matches!(e, BrokerError::UnsupportedAssignor(_)), "{e}");
}

#[test]
fn a_classic_static_member_back_within_its_session_rebalances_nobody() {
    let mut b = broker(2);
    let join = |b: &mut Broker, client: &str, instance: &str, now| {
        let mut req = JoinGroupRequest::consumer("cg", client, &topics(), "range");
        req.group_instance_id = Some(instance.to_string());
        b.join_group(req, now).unwrap()
    };
    let JoinOutcome::Joined(j) = join(&mut b, "c1", "i1", 0) else {
        panic!("a lone member joins at once")
    };
    let SyncOutcome::Assigned(mine) = b
        .sync_group(
            "cg",
            &j.member_id,
            j.generation,
            SyncAssignment::Compute(minikafka::broker::AssignorKind::Range),
            0,
        )
        .unwrap()
    else {
        panic!("the leader's sync completes")
    };
    // It restarts: a new process, no member id, the same instance id; no leave was sent.
    let JoinOutcome::Joined(again) = join(&mut b, "c1", "i1", 3_000) else {
        panic!("a known instance rejoins at once")
    };
    assert_ne!(again.member_id, j.member_id);
    assert_eq!(again.generation, j.generation, "no rebalance");
    let SyncOutcome::Assigned(back) = b
        .sync_group(
            "cg",
            &again.member_id,
            again.generation,
            SyncAssignment::Follower,
            3_000,
        )
        .unwrap()
    else {
        panic!("a Stable group answers a sync at once")
    };
    assert_eq!(back.partitions, mine.partitions);
    let e = b.check_static_member("cg", &j.member_id, "i1").unwrap_err();
    assert!(matches!(e, BrokerError::FencedInstanceId { .. }), "{e}");
    assert_eq!(b.group("cg").unwrap().rebalances(), 1);
}
