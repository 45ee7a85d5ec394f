//! The handlers in a cluster: each broker answers only for what it leads or coordinates,
//! metadata names every broker and leader, and `acks=all` waits for the high watermark.

use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::metadata_request::MetadataRequest;
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::{ApiKey, GroupId, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::testing::*;
use super::*;
use crate::broker::{Broker, ClusterConfig, SharedBroker};
use crate::server::api::produce::tests::batch;
use crate::server::codec::{Request, Response};

const NOT_LEADER_OR_FOLLOWER: i16 = 6;
const REQUEST_TIMED_OUT: i16 = 7;
const NOT_COORDINATOR: i16 = 16;
const NOT_ENOUGH_REPLICAS: i16 = 19;
const LEADER_NOT_AVAILABLE: i16 = 5;
const FENCED_LEADER_EPOCH: i16 = 74;

/// Three brokers and topic `t`, one partition on all three, `min.insync.replicas` 2.
fn cluster() -> SharedBroker {
    let mut b = Broker::with_cluster(ClusterConfig::new(3)).unwrap();
    let config = TopicConfig::new(1).with_replication(3, 2);
    b.create_topic("t", config, 0).unwrap();
    SharedBroker::new(b)
}

fn leader(broker: &SharedBroker) -> BrokerId {
    broker.read().partition_leader("t", 0).unwrap().unwrap()
}

fn other_than(id: BrokerId) -> BrokerId {
    id % 3 + 1
}

fn produce(acks: i16) -> Request {
    Request::Produce(
        ProduceRequest::default()
            .with_acks(acks)
            .with_timeout_ms(5_000)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_static_str("t")))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(0)
                            .with_records(Some(batch(&["a", "b"]))),
                    ]),
            ]),
    )
}

fn produce_code(r: &Response) -> (i16, i64) {
    let Response::Produce(r) = r else {
        panic!("wrong response type {r:?}")
    };
    let p = &r.responses[0].partition_responses[0];
    (p.error_code, p.base_offset)
}

fn fetch(epoch: i32) -> Request {
    Request::Fetch(
        FetchRequest::default()
            .with_max_bytes(1 << 20)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(vec![
                        FetchPartition::default()
                            .with_partition(0)
                            .with_current_leader_epoch(epoch)
                            .with_partition_max_bytes(1 << 20),
                    ]),
            ]),
    )
}

fn fetch_code(r: &Response) -> i16 {
    let Response::Fetch(r) = r else {
        panic!("wrong response type {r:?}")
    };
    r.responses[0].partitions[0].error_code
}

/// Answers `request` as broker `via` would, at version `version`.
fn ask(broker: &SharedBroker, via: BrokerId, version: i16, request: Request) -> Outcome {
    let s = settings();
    let mut c = ctx(broker, &s, version);
    c.broker_id = via;
    let api_key = match &request {
        Request::Produce(_) => ApiKey::Produce,
        Request::Fetch(_) => ApiKey::Fetch,
        Request::ListOffsets(_) => ApiKey::ListOffsets,
        Request::Metadata(_) => ApiKey::Metadata,
        Request::Heartbeat(_) => ApiKey::Heartbeat,
        Request::FindCoordinator(_) => ApiKey::FindCoordinator,
        Request::OffsetFetch(_) => ApiKey::OffsetFetch,
        Request::OffsetForLeaderEpoch(_) => ApiKey::OffsetForLeaderEpoch,
        Request::CreateTopics(_) => ApiKey::CreateTopics,
        other => panic!("no key listed for {other:?}"),
    };
    let frame = Frame {
        api_key,
        version,
        correlation_id: 0,
        client_id: None,
        supported: true,
        body: request,
    };
    answer(&mut c, frame)
}

#[test]
fn only_the_leader_serves_produce_fetch_and_list_offsets() {
    let broker = cluster();
    let (l, other) = (leader(&broker), other_than(leader(&broker)));
    let r = reply(ask(&broker, other, 9, produce(1)));
    assert_eq!(produce_code(&r).0, NOT_LEADER_OR_FOLLOWER);
    assert_eq!(broker.read().partition("t", 0).unwrap().log_end_offset(), 0);
    let r = reply(ask(&broker, l, 9, produce(1)));
    assert_eq!(produce_code(&r), (0, 0));

    broker.write().replicate(0);
    assert_eq!(fetch_code(&reply(ask(&broker, other, 12, fetch(-1)))), 6);
    assert_eq!(fetch_code(&reply(ask(&broker, l, 12, fetch(-1)))), 0);

    let list = |via| {
        let req = ListOffsetsRequest::default().with_topics(vec![
            kafka_protocol::messages::list_offsets_request::ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(vec![
                    kafka_protocol::messages::list_offsets_request::ListOffsetsPartition::default()
                        .with_partition_index(0)
                        .with_timestamp(-1),
                ]),
        ]);
        let Response::ListOffsets(r) = reply(ask(&broker, via, 7, Request::ListOffsets(req)))
        else {
            panic!("wrong response type")
        };
        let p = r.topics[0].partitions[0].clone();
        (p.error_code, p.offset, p.leader_epoch)
    };
    assert_eq!(list(other).0, NOT_LEADER_OR_FOLLOWER);
    assert_eq!(
        list(l),
        (0, 2, 0),
        "latest is the high watermark, in epoch 0"
    );
}

#[test]
fn metadata_names_every_live_broker_and_each_partitions_replicas() {
    let broker = cluster();
    let l = leader(&broker);
    let meta = |b: &SharedBroker| {
        let Response::Metadata(r) = reply(ask(
            b,
            1,
            12,
            Request::Metadata(MetadataRequest::default().with_topics(None)),
        )) else {
            panic!("wrong response type")
        };
        r
    };
    let r = meta(&broker);
    let nodes: Vec<(i32, i32)> = r.brokers.iter().map(|b| (b.node_id.0, b.port)).collect();
    assert_eq!(nodes, [(1, 9092), (2, 9093), (3, 9094)]);
    let p = &r.topics[0].partitions[0];
    assert_eq!((p.leader_id.0, p.leader_epoch), (l, 0));
    assert_eq!((p.replica_nodes.len(), p.isr_nodes.len()), (3, 3));
    assert!(p.offline_replicas.is_empty());

    broker.write().crash_broker(l, 10).unwrap();
    let r = meta(&broker);
    assert_eq!(r.brokers.len(), 2, "a crashed broker is not listed");
    let p = &r.topics[0].partitions[0];
    assert_ne!(p.leader_id.0, l);
    assert_eq!(p.leader_epoch, 1);
    assert_eq!(p.isr_nodes.len(), 2);
    assert_eq!(p.offline_replicas, [kafka_protocol::messages::BrokerId(l)]);

    let survivors: Vec<BrokerId> = (1..=3).filter(|&b| b != l).collect();
    for b in survivors {
        broker.write().crash_broker(b, 20).unwrap();
    }
    broker.write().restart_broker(l, 30).unwrap();
    let r = meta(&broker);
    let p = &r.topics[0].partitions[0];
    assert_eq!(
        (p.error_code, p.leader_id.0),
        (LEADER_NOT_AVAILABLE, -1),
        "the broker that returned was out of the ISR: offline"
    );
}

#[test]
fn group_requests_to_another_broker_get_not_coordinator() {
    let broker = cluster();
    let coordinator = broker.read().coordinator("g").unwrap();
    let heartbeat = || {
        Request::Heartbeat(
            HeartbeatRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str("g")))
                .with_member_id(StrBytes::from_static_str("m")),
        )
    };
    let code = |o: Outcome| match reply(o) {
        Response::Heartbeat(r) => r.error_code,
        other => panic!("wrong response type {other:?}"),
    };
    assert_eq!(
        code(ask(&broker, other_than(coordinator), 4, heartbeat())),
        NOT_COORDINATOR
    );
    assert_ne!(
        code(ask(&broker, coordinator, 4, heartbeat())),
        NOT_COORDINATOR,
        "the coordinator itself answers (here: an unknown member)"
    );
    let find = FindCoordinatorRequest::default().with_key(StrBytes::from_static_str("g"));
    let Response::FindCoordinator(r) = reply(ask(
        &broker,
        other_than(coordinator),
        3,
        Request::FindCoordinator(find),
    )) else {
        panic!("wrong response type")
    };
    assert_eq!((r.error_code, r.node_id.0), (0, coordinator));
    assert_eq!(
        r.port,
        9091 + coordinator,
        "sent to the coordinator's own port"
    );
}

#[test]
fn offset_for_leader_epoch_answers_from_the_epoch_history() {
    let broker = cluster();
    let first = leader(&broker);
    reply(ask(&broker, first, 9, produce(1)));
    broker.write().replicate(0);
    broker.write().crash_broker(first, 10).unwrap();
    let second = leader(&broker);
    reply(ask(&broker, second, 9, produce(1)));
    let query = |via, current, epoch| {
        let req = OffsetForLeaderEpochRequest::default()
            .with_replica_id(kafka_protocol::messages::BrokerId(-1))
            .with_topics(vec![
                OffsetForLeaderTopic::default()
                    .with_topic(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(vec![
                        OffsetForLeaderPartition::default()
                            .with_partition(0)
                            .with_current_leader_epoch(current)
                            .with_leader_epoch(epoch),
                    ]),
            ]);
        let Response::OffsetForLeaderEpoch(r) =
            reply(ask(&broker, via, 4, Request::OffsetForLeaderEpoch(req)))
        else {
            panic!("wrong response type")
        };
        let p = r.topics[0].partitions[0].clone();
        (p.error_code, p.leader_epoch, p.end_offset)
    };
    assert_eq!(
        query(second, 1, 0),
        (0, 0, 2),
        "epoch 0 ended where epoch 1 began"
    );
    assert_eq!(
        query(second, 1, 1),
        (0, 1, 4),
        "the current epoch ends at the log end"
    );
    assert_eq!(query(second, 0, 1).0, FENCED_LEADER_EPOCH, "stale metadata");
    assert_eq!(query(other_than(second), 1, 1).0, NOT_LEADER_OR_FOLLOWER);
    assert_eq!(
        fetch_code(&reply(ask(&broker, second, 12, fetch(0)))),
        FENCED_LEADER_EPOCH
    );
}

#[test]
fn acks_all_waits_for_the_high_watermark_and_times_out_without_it() {
    let broker = cluster();
    let l = leader(&broker);
    let s = settings();
    let mut c = ctx(&broker, &s, 9);
    c.broker_id = l;
    let Outcome::Wait(mut waiter) = dispatch(&mut c, produce(-1)) else {
        panic!("acks=all waits for the followers")
    };
    assert_eq!(waiter.wakes_on(), Wake::HighWatermark);
    assert_eq!(waiter.deadline_ms(), c.now_ms + 5_000);
    assert!(
        waiter.poll(&mut c).is_none(),
        "the followers have not copied it yet"
    );
    assert!(broker.write().replicate(c.now_ms).high_watermark_moved);
    let r = waiter
        .poll(&mut c)
        .expect("answered once the high watermark covers it");
    assert_eq!(produce_code(&r), (0, 0));

    // Followers that copy nothing: the batch waits, and the deadline answers it.
    for b in (1..=3).filter(|&b| b != l) {
        broker.write().slow_broker(b, 0.0, c.now_ms).unwrap();
    }
    let Outcome::Wait(mut waiter) = dispatch(&mut c, produce(-1)) else {
        panic!("acks=all waits")
    };
    broker.write().replicate(c.now_ms + 10);
    assert!(waiter.poll(&mut c).is_none());
    assert_eq!(produce_code(&waiter.expire(&mut c)).0, REQUEST_TIMED_OUT);
    assert_eq!(
        broker.read().partition("t", 0).unwrap().log_end_offset(),
        4,
        "the timed-out batch stays in the log, as Kafka's does"
    );
}

#[test]
fn acks_all_is_refused_below_min_insync_replicas_and_acks_1_is_not() {
    let broker = cluster();
    let l = leader(&broker);
    for b in (1..=3).filter(|&b| b != l) {
        broker.write().crash_broker(b, 10).unwrap();
    }
    let r = reply(ask(&broker, l, 9, produce(-1)));
    assert_eq!(produce_code(&r).0, NOT_ENOUGH_REPLICAS);
    assert_eq!(broker.read().partition("t", 0).unwrap().log_end_offset(), 0);
    assert_eq!(produce_code(&reply(ask(&broker, l, 9, produce(1)))), (0, 0));
}

#[test]
fn a_lone_broker_answers_as_it_always_did() {
    let broker = SharedBroker::default();
    let r = reply(ask(&broker, 1, 9, produce(-1)));
    assert_eq!(produce_code(&r), (0, 0), "acks=all is answered at once");
    let Response::Metadata(m) = reply(ask(
        &broker,
        1,
        12,
        Request::Metadata(MetadataRequest::default().with_topics(None)),
    )) else {
        panic!("wrong response type")
    };
    assert_eq!(m.brokers.len(), 1);
    assert_eq!((m.brokers[0].node_id.0, m.brokers[0].port), (0, 9092));
    let p = &m.topics[0].partitions[0];
    assert_eq!((p.leader_id.0, p.leader_epoch), (0, -1));
    assert_eq!(m.controller_id.0, 0);
}

#[test]
fn create_topics_places_the_replicas_asked_for() {
    use kafka_protocol::messages::create_topics_request::{CreatableTopic, CreatableTopicConfig};
    let broker = cluster();
    let create = |name: &'static str, rf: i16| {
        let topic = CreatableTopic::default()
            .with_name(TopicName(StrBytes::from_static_str(name)))
            .with_num_partitions(2)
            .with_replication_factor(rf)
            .with_configs(vec![
                CreatableTopicConfig::default()
                    .with_name(StrBytes::from_static_str("min.insync.replicas"))
                    .with_value(Some(StrBytes::from_static_str("2"))),
            ]);
        let req = CreateTopicsRequest::default().with_topics(vec![topic]);
        let Response::CreateTopics(r) = reply(ask(&broker, 1, 7, Request::CreateTopics(req)))
        else {
            panic!("wrong response type")
        };
        (r.topics[0].error_code, r.topics[0].replication_factor)
    };
    assert_eq!(create("r3", 3), (0, 3));
    let b = broker.read();
    let rs = b.replica_set("r3", 1).unwrap();
    assert_eq!((rs.replicas().len(), rs.isr().len()), (3, 3));
    assert_eq!(b.topic("r3").unwrap().config().min_insync_replicas, 2);
    drop(b);
    assert_eq!(
        create("r4", 4).0,
        38,
        "INVALID_REPLICATION_FACTOR: three brokers"
    );
}

/// OffsetFetch v8+ names its groups in a list and leaves the old top-level id empty: the
/// coordinator check reads the list, so the coordinator answers and the others refuse.
#[test]
fn offset_fetch_v8_is_checked_against_its_groups_coordinator() {
    use kafka_protocol::messages::offset_fetch_request::{
        OffsetFetchRequest, OffsetFetchRequestGroup,
    };
    let broker = cluster();
    let coordinator = broker.read().coordinator("g").unwrap();
    let request = || {
        let group = OffsetFetchRequestGroup::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")));
        Request::OffsetFetch(OffsetFetchRequest::default().with_groups(vec![group]))
    };
    let codes = |o: Outcome| match reply(o) {
        Response::OffsetFetch(r) => (
            r.error_code,
            r.groups.iter().map(|g| g.error_code).collect::<Vec<_>>(),
        ),
        other => panic!("wrong response type {other:?}"),
    };
    assert_eq!(codes(ask(&broker, coordinator, 8, request())), (0, vec![0]));
    let (top, groups) = codes(ask(&broker, other_than(coordinator), 8, request()));
    assert_eq!((top, groups), (NOT_COORDINATOR, vec![NOT_COORDINATOR]));
}
