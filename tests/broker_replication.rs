//! The replicated cluster as Kafka behaves (docs/design.md, "Replication"): acks, the ISR,
//! the high watermark, elections clean and unclean, controlled shutdown, the coordinator.

use bytes::Bytes;
use minikafka::broker::{
    Acks, Broker, BrokerError, BrokerId, BrokerState, ClusterConfig, ElectionKind, EventKind,
    NewRecord, ProduceOptions, ProduceWait, ProducerId, TopicConfig, TopicPartition,
};

fn cluster(brokers: u32, unclean: bool) -> Broker {
    let mut config = ClusterConfig::new(brokers);
    config.unclean_leader_election = unclean;
    config.replica_lag_time_max_ms = 1_000;
    Broker::with_cluster(config).unwrap()
}

fn rec(i: i64) -> NewRecord {
    NewRecord::new(
        i,
        Some(Bytes::from(format!("k{i}"))),
        Bytes::from(vec![0u8; 8]),
    )
}

fn produce(b: &mut Broker, acks: Acks, producer: u32, n: i64, now: i64) -> ProduceWait {
    let options = ProduceOptions {
        acks,
        producer: ProducerId(producer),
        via: None,
    };
    let p = b.produce("t", 0, (0..n).map(rec), options, now).unwrap();
    if p.acknowledged {
        ProduceWait::Acknowledged
    } else {
        b.produce_status("t", 0, &p).unwrap()
    }
}

/// A topic `t` with one partition on three brokers, min.insync 2.
fn three(unclean: bool) -> Broker {
    let mut b = cluster(3, unclean);
    let config = TopicConfig::new(1).with_replication(3, 2);
    b.create_topic("t", config, 0).unwrap();
    b
}

fn leader(b: &Broker) -> BrokerId {
    b.partition_leader("t", 0).unwrap().expect("online")
}

/// The replicas of `t-0` in election order after the leader.
fn followers(b: &Broker) -> Vec<BrokerId> {
    let rs = b.replica_set("t", 0).unwrap();
    rs.replicas()
        .iter()
        .copied()
        .filter(|&r| r != leader(b))
        .collect()
}

fn hw(b: &Broker) -> i64 {
    b.partition("t", 0).unwrap().high_watermark()
}

fn leo(b: &Broker) -> i64 {
    b.partition("t", 0).unwrap().log_end_offset()
}

#[test]
fn acks_all_waits_for_the_high_watermark_and_readers_stop_there() {
    let mut b = three(false);
    let options = ProduceOptions {
        acks: Acks::All,
        producer: ProducerId(1),
        via: None,
    };
    let p = b.produce("t", 0, (0..5).map(rec), options, 0).unwrap();
    assert!(!p.acknowledged);
    assert_eq!(b.produce_status("t", 0, &p).unwrap(), ProduceWait::Waiting);
    assert_eq!((hw(&b), leo(&b)), (0, 5));
    assert!(b.fetch("t", 0, 0, 100, 1 << 20).unwrap().records.is_empty());
    assert!(
        b.fetch("t", 0, 1, 100, 1 << 20).is_err(),
        "past the high watermark"
    );
    assert!(b.replicate(10).high_watermark_moved);
    assert_eq!(hw(&b), 5);
    assert_eq!(
        b.produce_status("t", 0, &p).unwrap(),
        ProduceWait::Acknowledged
    );
    assert_eq!(b.fetch("t", 0, 0, 100, 1 << 20).unwrap().records.len(), 5);
    assert_eq!(b.producer_tally(ProducerId(1)).unwrap().acked, 5);
    // acks=1 is answered at once; acks=0 never.
    assert_eq!(
        produce(&mut b, Acks::Leader, 2, 3, 20),
        ProduceWait::Acknowledged
    );
    let options = ProduceOptions::new(Acks::None);
    assert!(
        !b.produce("t", 0, [rec(0)], options, 20)
            .unwrap()
            .acknowledged
    );
}

#[test]
fn a_produce_to_the_wrong_broker_is_not_leader() {
    let mut b = three(false);
    let wrong = followers(&b)[0];
    let options = ProduceOptions {
        acks: Acks::Leader,
        producer: ProducerId(1),
        via: Some(wrong),
    };
    let e = b.produce("t", 0, [rec(0)], options, 0).unwrap_err();
    assert!(matches!(e, BrokerError::NotLeaderOrFollower { .. }), "{e}");
    assert_eq!(e.kafka_code(), 6);
    assert_eq!(b.check_leader("t", 0, wrong).unwrap_err().kafka_code(), 6);
    b.check_leader("t", 0, leader(&b)).unwrap();
}

#[test]
fn a_stalled_follower_leaves_the_isr_after_the_lag_time_and_rejoins_when_healed() {
    let mut b = three(false);
    let slow = followers(&b)[0];
    b.slow_broker(slow, 0.0, 0).unwrap();
    produce(&mut b, Acks::Leader, 1, 10, 0);
    b.replicate(10);
    assert_eq!(hw(&b), 0, "the stalled follower holds the high watermark");
    assert!(b.replica_set("t", 0).unwrap().in_sync(slow));
    b.replicate(1_011);
    let rs = b.replica_set("t", 0).unwrap();
    assert!(!rs.in_sync(slow), "out after replica_lag_time_max_ms");
    assert_eq!(hw(&b), 10, "the rest of the ISR has everything");
    assert_eq!(b.under_replicated_partitions(), 1);
    b.heal_broker(slow, 1_020).unwrap();
    b.replicate(1_030);
    assert!(b.replica_set("t", 0).unwrap().in_sync(slow));
    assert_eq!(b.under_replicated_partitions(), 0);
    let events: Vec<_> = b.events().iter().map(|e| e.kind.to_string()).collect();
    assert!(
        events.iter().any(|e| e.contains("ISR shrinks")),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.contains("ISR expands")),
        "{events:?}"
    );
}

#[test]
fn a_slow_follower_copies_at_its_rate() {
    let mut b = three(false);
    let slow = followers(&b)[0];
    b.slow_broker(slow, 100.0, 0).unwrap();
    b.replicate(0);
    produce(&mut b, Acks::Leader, 1, 50, 0);
    b.replicate(100);
    let rs = b.replica_set("t", 0).unwrap();
    assert_eq!(rs.log_end_offset(slow), Some(10), "100/s for 100 ms");
}

#[test]
fn a_leader_crash_elects_an_in_sync_replica_and_loses_nothing_acknowledged_by_all() {
    let mut b = three(false);
    assert_eq!(produce(&mut b, Acks::All, 1, 20, 0), ProduceWait::Waiting);
    b.replicate(10);
    let old = leader(&b);
    let next = followers(&b)[0];
    let cuts = b.crash_broker(old, 20).unwrap();
    assert!(cuts.is_empty());
    let rs = b.replica_set("t", 0).unwrap();
    assert_eq!(rs.leader(), Some(next));
    assert_eq!(rs.leader_epoch(), 1);
    assert!(!rs.in_sync(old));
    assert_eq!((hw(&b), b.acked_lost()), (20, 0));
    assert_eq!(b.cluster().node(old).unwrap().state(), BrokerState::Down);
    let elected = b.events().iter().any(|e| {
        matches!(&e.kind, EventKind::LeaderElected { leader, epoch: 1, kind: ElectionKind::Clean, .. } if *leader == next)
    });
    assert!(elected);
    // Back, it catches up, rejoins, and leads again as the preferred replica.
    b.restart_broker(old, 30).unwrap();
    b.replicate(40);
    let rs = b.replica_set("t", 0).unwrap();
    assert_eq!(rs.isr().len(), 3);
    assert_eq!(rs.leader(), Some(rs.preferred_leader()));
    assert_eq!(rs.leader_epoch(), 2);
}

#[test]
fn acks_1_records_beyond_the_new_leaders_end_are_lost_and_counted() {
    let mut b = three(false);
    produce(&mut b, Acks::Leader, 7, 10, 0);
    b.replicate(10);
    let next = followers(&b)[0];
    b.slow_broker(next, 0.0, 10).unwrap();
    produce(&mut b, Acks::Leader, 7, 5, 20);
    b.replicate(30);
    assert!(
        b.replica_set("t", 0).unwrap().in_sync(next),
        "still within the lag time"
    );
    let cuts = b.crash_broker(leader(&b), 40).unwrap();
    assert_eq!(cuts.len(), 1);
    assert_eq!((cuts[0].from, cuts[0].to, cuts[0].acked_lost), (10, 15, 5));
    assert_eq!(leader(&b), next);
    assert_eq!(b.acked_lost(), 5);
    assert_eq!(b.producer_tally(ProducerId(7)).unwrap().acked_lost, 5);
    assert_eq!(leo(&b), 10);
    assert_eq!(hw(&b), 10, "the cut is above what readers saw");
}

#[test]
fn acks_all_records_cut_before_acknowledgement_go_back_to_their_producer() {
    let mut b = three(false);
    let next = followers(&b)[0];
    b.slow_broker(next, 0.0, 0).unwrap();
    assert_eq!(produce(&mut b, Acks::All, 3, 6, 0), ProduceWait::Waiting);
    b.replicate(10);
    let cuts = b.crash_broker(leader(&b), 20).unwrap();
    assert_eq!(cuts[0].acked_lost, 0);
    assert_eq!(b.acked_lost(), 0);
    let resend = b.take_resends(ProducerId(3));
    assert_eq!(resend, vec![(TopicPartition::new("t", 0), 6)]);
    assert!(b.take_resends(ProducerId(3)).is_empty(), "taken once");
}

#[test]
fn too_few_in_sync_replicas_refuse_acks_all_but_not_acks_1() {
    let mut b = three(false);
    let f = followers(&b);
    b.crash_broker(f[0], 0).unwrap();
    assert_eq!(produce(&mut b, Acks::All, 1, 1, 0), ProduceWait::Waiting);
    b.crash_broker(f[1], 10).unwrap();
    let options = ProduceOptions::new(Acks::All);
    let e = b.produce("t", 0, [rec(0)], options, 10).unwrap_err();
    assert!(
        matches!(
            e,
            BrokerError::NotEnoughReplicas {
                isr: 1,
                min_insync: 2,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.kafka_code(), 19);
    assert_eq!(
        produce(&mut b, Acks::Leader, 1, 1, 10),
        ProduceWait::Acknowledged
    );
    // Refusals make one event per second, counting the ones in between.
    for t in 0..50 {
        let _ = b.produce("t", 0, [rec(0)], options, 20 + t);
    }
    let refusals = (b.events().iter())
        .filter(|e| matches!(e.kind, EventKind::NotEnoughReplicas { .. }))
        .count();
    assert_eq!(refusals, 1);
}

#[test]
fn acks_all_appended_then_isr_below_min_is_not_enough_replicas_after_append() {
    let mut b = three(false);
    let f = followers(&b);
    b.slow_broker(f[0], 0.0, 0).unwrap();
    b.slow_broker(f[1], 0.0, 0).unwrap();
    let options = ProduceOptions {
        acks: Acks::All,
        producer: ProducerId(4),
        via: None,
    };
    let p = b.produce("t", 0, (0..3).map(rec), options, 0).unwrap();
    b.replicate(2_000);
    assert_eq!(hw(&b), 3, "the leader alone in sync");
    let status = b.produce_status("t", 0, &p).unwrap();
    assert!(matches!(
        status,
        ProduceWait::Failed(BrokerError::NotEnoughReplicasAfterAppend { .. })
    ));
    assert_eq!(b.take_resends(ProducerId(4)).len(), 1);
}

#[test]
fn with_no_in_sync_replica_alive_the_partition_is_offline_until_one_returns() {
    let mut b = three(false);
    produce(&mut b, Acks::All, 1, 4, 0);
    b.replicate(10);
    let f = followers(&b);
    let first = leader(&b);
    b.crash_broker(f[0], 20).unwrap();
    b.crash_broker(f[1], 20).unwrap();
    b.crash_broker(first, 30).unwrap();
    let rs = b.replica_set("t", 0).unwrap();
    assert!(rs.is_offline());
    assert_eq!(rs.isr(), [first], "Kafka keeps the last in-sync replica");
    assert_eq!(b.offline_partitions(), 1);
    let e = b
        .produce("t", 0, [rec(0)], ProduceOptions::new(Acks::Leader), 30)
        .unwrap_err();
    assert_eq!(e.kafka_code(), 5);
    // An out-of-sync replica's return changes nothing without unclean election.
    b.restart_broker(f[0], 40).unwrap();
    assert!(b.replica_set("t", 0).unwrap().is_offline());
    b.restart_broker(first, 50).unwrap();
    assert_eq!(leader(&b), first);
    assert_eq!((hw(&b), b.acked_lost()), (4, 0));
}

#[test]
fn an_unclean_election_cuts_acknowledged_records_and_reuses_their_offsets() {
    let mut b = three(true);
    produce(&mut b, Acks::All, 1, 10, 0);
    b.replicate(10);
    let f = followers(&b);
    let first = leader(&b);
    b.crash_broker(f[0], 20).unwrap();
    b.slow_broker(f[1], 0.0, 20).unwrap();
    produce(&mut b, Acks::Leader, 2, 5, 30);
    assert_eq!(produce(&mut b, Acks::All, 1, 5, 30), ProduceWait::Waiting);
    b.replicate(2_000);
    assert_eq!(b.replica_set("t", 0).unwrap().isr(), [first]);
    // The leader alone in sync with min.insync 2: the acks=all records were answered
    // NOT_ENOUGH_REPLICAS_AFTER_APPEND, so their producer sends them again.
    assert_eq!(b.take_resends(ProducerId(1)).len(), 1);
    let cuts = b.crash_broker(first, 2_030).unwrap();
    assert_eq!(leader(&b), f[1], "the only live replica, out of sync");
    assert_eq!((cuts[0].from, cuts[0].to), (10, 20));
    assert_eq!(cuts[0].high_watermark_before, 20);
    assert_eq!(hw(&b), 10, "the high watermark went back");
    assert_eq!(b.acked_lost(), 5, "the acks=1 records");
    assert_eq!(b.producer_tally(ProducerId(2)).unwrap().acked_lost, 5);
    assert!(b.take_resends(ProducerId(1)).is_empty(), "already answered");
    assert_eq!(b.unclean_elections(), 1);
    let rs = b.replica_set("t", 0).unwrap();
    assert_eq!(rs.isr(), [f[1]]);
    assert_eq!(rs.last_cut(), Some((10, 20)));
    // New records take the offsets the cut freed.
    let options = ProduceOptions::new(Acks::Leader);
    let again = b.produce("t", 0, [rec(0)], options, 2_040).unwrap();
    assert_eq!(again.base_offset, 10);
}

#[test]
fn an_unclean_election_below_a_commit_brings_the_commit_back() {
    let mut b = three(true);
    produce(&mut b, Acks::All, 1, 10, 0);
    b.replicate(10);
    let f = followers(&b);
    b.crash_broker(f[0], 20).unwrap();
    b.slow_broker(f[1], 0.0, 20).unwrap();
    produce(&mut b, Acks::All, 1, 10, 30);
    b.replicate(2_000);
    let tp = TopicPartition::new("t", 0);
    b.commit_offsets("g", "", -1, &[(tp.clone(), 18)], 2_000)
        .unwrap();
    b.crash_broker(leader(&b), 2_010).unwrap();
    assert_eq!(hw(&b), 10);
    assert_eq!(b.committed_offset("g", &tp), Some(10));
    assert_eq!(b.lag("g", &tp), Some(0));
}

#[test]
fn a_controlled_shutdown_moves_leadership_first_and_cuts_nothing() {
    let mut b = three(false);
    let slowest = followers(&b)[0];
    b.slow_broker(slowest, 0.0, 0).unwrap();
    produce(&mut b, Acks::Leader, 1, 10, 0);
    b.replicate(10);
    let old = leader(&b);
    let cuts = b.stop_broker(old, 20).unwrap();
    assert!(cuts.is_empty());
    assert_eq!(leader(&b), slowest, "caught up first, then took over");
    assert_eq!((leo(&b), b.acked_lost()), (10, 0));
    assert_eq!(b.cluster().node(old).unwrap().state(), BrokerState::Stopped);
    let stopped = b.events().iter().any(|e| {
        matches!(
            e.kind,
            EventKind::BrokerStopped {
                leaders_moved: 1,
                ..
            }
        )
    });
    assert!(stopped);
}

#[test]
fn the_coordinator_is_the_leader_of_the_groups_offsets_partition() {
    let mut b = cluster(3, false);
    let c = b.coordinator("billing").unwrap();
    let other = (1..=3).find(|&i| i != c).unwrap();
    let e = b.check_coordinator("billing", other).unwrap_err();
    assert_eq!(e.kafka_code(), 16);
    b.check_coordinator("billing", c).unwrap();
    b.crash_broker(c, 0).unwrap();
    let moved = b.coordinator("billing").unwrap();
    assert_ne!(moved, c);
    for id in (1..=3).filter(|&i| i != c) {
        b.crash_broker(id, 0).unwrap();
    }
    let e = b.coordinator("billing").unwrap_err();
    assert_eq!(e.kafka_code(), 15);
}

#[test]
fn committed_offsets_survive_the_coordinators_loss() {
    let mut b = three(false);
    produce(&mut b, Acks::All, 1, 10, 0);
    b.replicate(10);
    let tp = TopicPartition::new("t", 0);
    b.commit_offsets("g", "", -1, &[(tp.clone(), 7)], 10)
        .unwrap();
    let c = b.coordinator("g").unwrap();
    b.crash_broker(c, 20).unwrap();
    assert_eq!(b.committed_offset("g", &tp), Some(7));
}

#[test]
fn topic_creation_checks_the_replication_settings() {
    let mut b = cluster(3, false);
    let e = b
        .create_topic("t", TopicConfig::new(1).with_replication(4, 1), 0)
        .unwrap_err();
    assert_eq!(e.kafka_code(), 38, "{e}");
    let e = b
        .create_topic("t", TopicConfig::new(1).with_replication(2, 3), 0)
        .unwrap_err();
    assert_eq!(e.kafka_code(), 40, "{e}");
    b.crash_broker(3, 0).unwrap();
    let e = b
        .create_topic("t", TopicConfig::new(1).with_replication(3, 1), 0)
        .unwrap_err();
    assert!(e.to_string().contains("2 live broker"), "{e}");
    b.create_topic("t", TopicConfig::new(4).with_replication(2, 1), 0)
        .unwrap();
    for p in 0..4 {
        let rs = b.replica_set("t", p).unwrap();
        assert!(!rs.replicas().contains(&3), "only on live brokers");
    }
}

#[test]
fn operator_actions_on_a_broker_in_the_wrong_state_are_refused() {
    let mut b = cluster(2, false);
    assert!(b.restart_broker(1, 0).is_err());
    b.crash_broker(1, 0).unwrap();
    assert!(b.crash_broker(1, 0).is_err());
    assert!(b.stop_broker(1, 0).is_err());
    assert!(b.heal_broker(2, 0).is_err());
    assert!(b.slow_broker(2, f64::NAN, 0).is_err());
    let e = b.crash_broker(9, 0).unwrap_err();
    assert!(e.to_string().contains("brokers 1 to 2"), "{e}");
}

#[test]
fn one_broker_behaves_as_before() {
    let mut b = Broker::new();
    b.create_topic("t", TopicConfig::new(1), 0).unwrap();
    for i in 0..5 {
        assert_eq!(b.append("t", 0, rec(i)).unwrap(), i);
    }
    assert_eq!(
        (hw(&b), leo(&b)),
        (5, 5),
        "the high watermark moves with each append"
    );
    assert_eq!(b.cluster().brokers().len(), 1);
    assert_eq!(b.coordinator("any").unwrap(), 1);
    let r = b.replicate(10);
    assert!(!r.changed && !r.high_watermark_moved);
}

/// The partition leader epoch in the header of the stored batch holding `offset` of
/// partition `p` of `t`.
fn stored_epoch(b: &Broker, p: u32, offset: i64) -> i32 {
    let (read, _) = b.read_wire("t", p, offset, 1 << 20, true).unwrap();
    let header = &read.chunks[0];
    i32::from_be_bytes(header[12..16].try_into().unwrap())
}

#[test]
fn stored_batches_carry_the_epoch_of_the_leader_that_appended_them() {
    let mut b = three(false);
    produce(&mut b, Acks::All, 1, 5, 0);
    b.replicate(10);
    assert_eq!(stored_epoch(&b, 0, 0), 0);
    let old = leader(&b);
    b.crash_broker(old, 20).unwrap();
    assert_eq!(b.replica_set("t", 0).unwrap().leader_epoch(), 1);
    produce(&mut b, Acks::All, 1, 5, 30);
    b.replicate(40);
    assert_eq!(hw(&b), 10);
    assert_eq!(stored_epoch(&b, 0, 5), 1);
    assert_eq!(
        stored_epoch(&b, 0, 0),
        0,
        "a batch keeps the epoch it was written in"
    );
    // A partition added later starts at epoch 0, like a new topic's.
    b.restart_broker(old, 50).unwrap();
    b.add_partitions("t", 2, 60).unwrap();
    let options = ProduceOptions {
        acks: Acks::Leader,
        producer: ProducerId(1),
        via: None,
    };
    b.produce("t", 1, [rec(0)], options, 60).unwrap();
    b.replicate(70);
    assert_eq!(stored_epoch(&b, 1, 0), 0);

    // A lone broker tells clients no epoch, and its batches say none.
    let mut lone = Broker::default();
    lone.create_topic("t", TopicConfig::new(1), 0).unwrap();
    produce(&mut lone, Acks::Leader, 1, 3, 0);
    assert_eq!(stored_epoch(&lone, 0, 0), -1);
}
