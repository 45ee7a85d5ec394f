//! What admin tools do to groups and topics, through the broker's public API: commits from
//! outside the group, offset deletion, growing topics, and where members connect from.

use minikafka::broker::{
    AssignorKind, Broker, BrokerError, GroupProtocol, GroupState, JoinGroupRequest, JoinOutcome,
    NewRecord, ResetSpec, SyncAssignment, TopicConfig, TopicPartition,
};

/// `t` with two partitions of five records each.
fn broker() -> Broker {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(2), 0).unwrap();
    for p in 0..2 {
        for i in 0..5 {
            b.append("t", p, NewRecord::new(i, None, "v")).unwrap();
        }
    }
    b
}

fn tp(p: u32) -> TopicPartition {
    TopicPartition::new("t", p)
}

/// A member of `group` subscribed to `topics`, joined and synced; its id and generation.
fn member(b: &mut Broker, group: &str, topics: &[&str]) -> (String, i32) {
    let topics: Vec<String> = topics.iter().map(|t| t.to_string()).collect();
    let req = JoinGroupRequest::consumer(group, "c", &topics, "range");
    let JoinOutcome::Joined(j) = b.join_group(req, 0).unwrap() else {
        panic!("a lone member joins at once")
    };
    let compute = SyncAssignment::Compute(AssignorKind::Range);
    b.sync_group(group, &j.member_id, j.generation, compute, 0)
        .unwrap();
    (j.member_id, j.generation)
}

fn stored(b: &Broker, group: &str) -> Vec<(u32, i64)> {
    b.group(group)
        .unwrap()
        .offsets()
        .iter()
        .map(|(tp, c)| (tp.partition, c.offset))
        .collect()
}

#[test]
fn an_admin_commit_to_an_empty_group_stores_what_kafka_stores() {
    let mut b = broker();
    // The sentinels -2 (earliest) and -1 (latest), and an offset past the end (5).
    b.commit_offsets("g", "", -1, &[(tp(0), -2), (tp(1), 9)], 0)
        .unwrap();
    assert_eq!(stored(&b, "g"), [(0, -2), (1, 9)]);
    b.commit_offsets("g", "", -1, &[(tp(0), -1)], 0).unwrap();
    assert_eq!(stored(&b, "g"), [(0, -1), (1, 9)]);
    // A partition that does not exist is still refused, and nothing of the commit is kept.
    let e = b
        .commit_offsets("g", "", -1, &[(tp(0), 3), (tp(7), 0)], 0)
        .unwrap_err();
    assert!(
        matches!(e, BrokerError::UnknownPartition { partition: 7, .. }),
        "{e}"
    );
    assert_eq!(stored(&b, "g"), [(0, -1), (1, 9)]);
}

#[test]
fn a_sentinel_is_no_position_and_past_the_end_is_negative_lag() {
    let mut b = broker();
    b.commit_offsets("g", "", -1, &[(tp(0), -2), (tp(1), 9)], 0)
        .unwrap();
    // As `kafka-consumer-groups --describe` shows them: `-` for -2, lag 5 - 9 = -4.
    assert_eq!(b.committed_offset("g", &tp(0)), None);
    assert_eq!(b.lag("g", &tp(0)), None);
    assert_eq!(b.committed_offset("g", &tp(1)), Some(9));
    assert_eq!(b.lag("g", &tp(1)), Some(-4));
    // Shifting from no position starts at the log start.
    let moved = b
        .reset_offsets("g", &["t".to_string()], ResetSpec::ShiftBy(2), 0)
        .unwrap();
    assert_eq!(moved, [(tp(0), 2), (tp(1), 5)]);
}

#[test]
fn a_member_commits_within_the_log_and_a_client_member_anything() {
    let mut b = broker();
    let (m, generation) = member(&mut b, "g", &["t"]);
    let e = b
        .commit_offsets("g", &m, generation, &[(tp(0), -2)], 0)
        .unwrap_err();
    assert!(matches!(e, BrokerError::OffsetOutOfRange { .. }), "{e}");
    let e = b
        .commit_offsets("g", &m, generation, &[(tp(0), 6)], 0)
        .unwrap_err();
    assert!(matches!(e, BrokerError::OffsetOutOfRange { .. }), "{e}");
    // Kafka's rule for network clients: kafkajs' setOffsets commits these as a member.
    b.commit_client_offsets("g", &m, generation, &[(tp(0), -2), (tp(1), 6)], 0)
        .unwrap();
    assert_eq!(stored(&b, "g"), [(0, -2), (1, 6)]);
    // The member and generation checks are the same for both.
    let e = b
        .commit_client_offsets("g", &m, generation + 1, &[(tp(0), 1)], 0)
        .unwrap_err();
    assert!(matches!(e, BrokerError::IllegalGeneration { .. }), "{e}");
    let e = b
        .commit_client_offsets("g", "", -1, &[(tp(0), 1)], 0)
        .unwrap_err();
    assert!(matches!(e, BrokerError::UnknownMemberId { .. }), "{e}");
}

#[test]
fn offsets_are_deleted_except_where_members_read() {
    let mut b = broker();
    b.create_topic("u", TopicConfig::new(1), 0).unwrap();
    let all = [(tp(0), 1), (tp(1), 2), (TopicPartition::new("u", 0), 0)];
    b.commit_offsets("g", "", -1, &all, 0).unwrap();

    let e = b.delete_offsets("nope", &[tp(0)]).unwrap_err();
    assert!(matches!(e, BrokerError::UnknownGroup(_)), "{e}");

    let results = b.delete_offsets("g", &[tp(0), tp(9)]).unwrap();
    assert!(results[0].is_ok());
    assert!(matches!(
        results[1],
        Err(BrokerError::UnknownPartition { .. })
    ));
    assert_eq!(b.committed_offset("g", &tp(0)), None);
    assert_eq!(b.committed_offset("g", &tp(1)), Some(2));

    member(&mut b, "g", &["t"]);
    let u0 = TopicPartition::new("u", 0);
    let results = b.delete_offsets("g", &[tp(1), u0.clone()]).unwrap();
    assert!(
        matches!(&results[0], Err(BrokerError::GroupSubscribedToTopic { topic, .. }) if topic == "t")
    );
    assert!(results[1].is_ok());
    assert_eq!(b.committed_offset("g", &tp(1)), Some(2));
    assert_eq!(b.committed_offset("g", &u0), None);
}

#[test]
fn a_group_of_other_clients_than_consumers_keeps_its_offsets_while_it_has_members() {
    let mut b = broker();
    b.commit_offsets("connect", "", -1, &[(tp(0), 1)], 0)
        .unwrap();
    let mut req = JoinGroupRequest::consumer("connect", "worker", &[], "sessioned");
    req.protocol_type = "connect".to_string();
    req.protocols = vec![GroupProtocol {
        name: "sessioned".to_string(),
        metadata: Default::default(),
    }];
    b.join_group(req, 0).unwrap();
    let e = b.delete_offsets("connect", &[tp(0)]).unwrap_err();
    assert!(matches!(e, BrokerError::GroupNotEmpty { .. }), "{e}");
}

#[test]
fn a_partition_count_is_checked_without_being_changed() {
    let mut b = broker();
    b.can_add_partitions("t", 3).unwrap();
    assert_eq!(b.topic("t").unwrap().partition_count(), 2);
    for total in [1, 2] {
        let e = b.can_add_partitions("t", total).unwrap_err();
        assert!(matches!(e, BrokerError::InvalidPartitions { .. }), "{e}");
    }
    let e = b.can_add_partitions("nope", 3).unwrap_err();
    assert!(matches!(e, BrokerError::UnknownTopic(_)), "{e}");
    b.add_partitions("t", 3, 0).unwrap();
    assert_eq!(b.topic("t").unwrap().partition_count(), 3);
}

#[test]
fn a_member_keeps_the_host_it_joined_from() {
    let mut b = broker();
    let mut req = JoinGroupRequest::consumer("g", "c", &[], "range");
    req.client_host = "/192.0.2.7".to_string();
    let JoinOutcome::Joined(j) = b.join_group(req, 0).unwrap() else {
        panic!("a lone member joins at once")
    };
    let g = b.group("g").unwrap();
    assert_eq!(g.member(&j.member_id).unwrap().client_host(), "/192.0.2.7");
    let simulated = member(&mut b, "h", &[]).0;
    assert_eq!(
        b.group("h")
            .unwrap()
            .member(&simulated)
            .unwrap()
            .client_host(),
        ""
    );
}

#[test]
fn a_group_reading_a_topic_that_grows_rebalances_onto_the_new_partitions() {
    let mut b = broker();
    let (m, generation) = member(&mut b, "g", &["t"]);
    member(&mut b, "other", &["elsewhere"]);
    b.add_partitions("t", 3, 0).unwrap();
    assert_eq!(
        b.group("g").unwrap().state(),
        GroupState::PreparingRebalance
    );
    assert_eq!(
        b.group("other").unwrap().state(),
        GroupState::Stable,
        "it reads another topic"
    );
    let e = b.heartbeat("g", &m, generation, 0).unwrap_err();
    assert!(matches!(e, BrokerError::RebalanceInProgress(_)), "{e}");
    let mut rejoin = JoinGroupRequest::consumer("g", "c", &["t".to_string()], "range");
    rejoin.member_id = Some(m.clone());
    let JoinOutcome::Joined(j) = b.join_group(rejoin, 0).unwrap() else {
        panic!("the only member completes the round")
    };
    let compute = SyncAssignment::Compute(AssignorKind::Range);
    b.sync_group("g", &m, j.generation, compute, 0).unwrap();
    let owned = b
        .group("g")
        .unwrap()
        .member(&m)
        .unwrap()
        .assignment()
        .to_vec();
    assert_eq!(owned, [tp(0), tp(1), tp(2)]);
}
