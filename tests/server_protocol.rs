//! The server over real TCP, in-process: ordering, waiting, limits and bad input.

#[path = "support/wire_client.rs"]
mod wire_client;

use std::net::SocketAddr;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};
use kafka_protocol::records::{
    Compression, Record, RecordBatchDecoder, RecordBatchEncoder, RecordEncodeOptions, TimestampType,
};
use minikafka::broker::{
    JoinGroupRequest as BrokerJoin, JoinOutcome, NewRecord, SharedBroker, TopicConfig,
};
use minikafka::server::{Server, ServerConfig, ServerStats, WakeHandle};
use std::sync::Arc;
use tokio::io::AsyncWriteExt;
use tokio::sync::oneshot;
use wire_client::Client;

struct Running {
    addr: SocketAddr,
    broker: SharedBroker,
    stats: ServerStats,
    appended: WakeHandle,
    groups: WakeHandle,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    async fn start(config: ServerConfig) -> Running {
        Self::start_with(config, |s| s).await
    }

    async fn start_with(config: ServerConfig, adjust: impl FnOnce(Server) -> Server) -> Running {
        let broker = SharedBroker::default();
        let server = adjust(Server::bind(config, broker.clone()).await.expect("binds"));
        let (stop, stopped) = oneshot::channel::<()>();
        let (addr, stats, appended, groups) = (
            server.local_addr(),
            server.stats(),
            server.append_waker(),
            server.group_waker(),
        );
        let task = tokio::spawn(async move {
            server
                .run(async {
                    let _ = stopped.await;
                })
                .await
                .expect("runs");
        });
        Running {
            addr,
            broker,
            stats,
            appended,
            groups,
            stop: Some(stop),
            task,
        }
    }

    async fn stop(mut self) {
        let _ = self.stop.take().expect("once").send(());
        self.task.await.expect("the server task ends cleanly");
    }
}

fn config() -> ServerConfig {
    ServerConfig {
        listen: "127.0.0.1:0".parse().unwrap(),
        default_partitions: 1,
        ..ServerConfig::default()
    }
}

/// A raw client named `protocol-test`.
async fn connect(addr: SocketAddr) -> Client {
    Client::named(addr, "protocol-test").await
}

fn records(values: &[&str]) -> Bytes {
    let recs: Vec<Record> = values
        .iter()
        .enumerate()
        .map(|(i, v)| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: i as i64,
            sequence: i as i32,
            timestamp: 1,
            key: None,
            value: Some(Bytes::from(v.to_string())),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    RecordBatchEncoder::encode(
        &mut buf,
        recs.iter(),
        &RecordEncodeOptions {
            version: 2,
            compression: Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

fn produce(topic: &str, acks: i16, values: &[&str]) -> ProduceRequest {
    ProduceRequest::default()
        .with_acks(acks)
        .with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partition_data(vec![
                    PartitionProduceData::default()
                        .with_index(0)
                        .with_records(Some(records(values))),
                ]),
        ])
}

fn fetch(topic: &str, offset: i64, max_wait_ms: i32) -> FetchRequest {
    FetchRequest::default()
        .with_max_wait_ms(max_wait_ms)
        .with_min_bytes(1)
        .with_max_bytes(1 << 20)
        .with_topics(vec![
            FetchTopic::default()
                .with_topic(TopicName(StrBytes::from_string(topic.to_string())))
                .with_partitions(vec![
                    FetchPartition::default()
                        .with_partition(0)
                        .with_fetch_offset(offset)
                        .with_partition_max_bytes(1 << 20),
                ]),
        ])
}

fn fetched_values(r: &FetchResponse) -> Vec<String> {
    let mut bytes = r.responses[0].partitions[0]
        .records
        .clone()
        .unwrap_or_default();
    RecordBatchDecoder::decode_all(&mut bytes)
        .unwrap()
        .into_iter()
        .flat_map(|s| s.records)
        .map(|r| String::from_utf8(r.value.unwrap().to_vec()).unwrap())
        .collect()
}

async fn api_versions_ok(addr: SocketAddr) {
    let mut c = connect(addr).await;
    let r: ApiVersionsResponse = c
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;
    assert_eq!(r.error_code, 0);
}

#[tokio::test]
async fn a_waiting_fetch_is_woken_by_a_produce_on_another_connection() {
    let s = Running::start(config()).await;
    s.broker
        .write()
        .create_topic("t", TopicConfig::new(1), 0)
        .unwrap();
    let mut consumer = connect(s.addr).await;
    let mut producer = connect(s.addr).await;
    // A wait far longer than the test: only the append can end it with a record.
    let id = consumer
        .send(ApiKey::Fetch, 12, &fetch("t", 0, 60_000))
        .await;
    // The parked fetch blocks neither this connection's peer nor anyone else.
    let p: ProduceResponse = producer
        .call(ApiKey::Produce, 9, &produce("t", 1, &["hello"]))
        .await;
    assert_eq!(p.responses[0].partition_responses[0].error_code, 0);
    let (got, mut rest) = consumer.recv().await;
    assert_eq!(got, id);
    rest = rest.slice(1..);
    let r = FetchResponse::decode(&mut rest, 12).unwrap();
    assert_eq!(fetched_values(&r), ["hello"]);
    s.stop().await;
}

#[tokio::test]
async fn the_embedding_app_wakes_fetches_after_its_own_appends() {
    let s = Running::start(config()).await;
    s.broker
        .write()
        .create_topic("sim", TopicConfig::new(1), 0)
        .unwrap();
    let mut consumer = connect(s.addr).await;
    let id = consumer
        .send(ApiKey::Fetch, 11, &fetch("sim", 0, 60_000))
        .await;
    // Give the fetch time to park; if it has not yet, it sees the record on its first look.
    tokio::time::sleep(Duration::from_millis(50)).await;
    s.broker
        .write()
        .append("sim", 0, NewRecord::new(0, None, "from the simulation"))
        .unwrap();
    s.appended.notify();
    let (got, mut rest) = consumer.recv().await;
    assert_eq!(got, id);
    // v11 is not flexible: header v0, no tagged fields to skip.
    let r = FetchResponse::decode(&mut rest, 11).unwrap();
    assert_eq!(fetched_values(&r), ["from the simulation"]);
    s.stop().await;
}

#[tokio::test]
async fn pipelined_requests_are_answered_in_order_and_acks_zero_gets_nothing() {
    let s = Running::start(config()).await;
    let mut c = connect(s.addr).await;
    let a = c.send(ApiKey::Produce, 9, &produce("t", 0, &["x"])).await;
    let b = c
        .send(
            ApiKey::Metadata,
            12,
            &MetadataRequest::default().with_topics(None),
        )
        .await;
    let d = c
        .send(ApiKey::ApiVersions, 0, &ApiVersionsRequest::default())
        .await;
    let e = c.send(ApiKey::Produce, 9, &produce("t", 1, &["y"])).await;
    let mut order = Vec::new();
    for _ in 0..3 {
        order.push(c.recv().await.0);
    }
    assert_eq!(order, [b, d, e], "no response for acks=0 (request {a})");
    assert_eq!(
        s.broker.read().partition("t", 0).unwrap().high_watermark(),
        2
    );
    s.stop().await;
}

#[tokio::test]
async fn a_too_new_api_versions_gets_a_v0_error_listing_our_ranges() {
    let s = Running::start(config()).await;
    let mut c = connect(s.addr).await;
    let mut frame = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(ApiKey::ApiVersions as i16)
        .with_request_api_version(3)
        .with_correlation_id(5)
        .with_client_id(Some(StrBytes::from_static_str("future")))
        .encode(&mut frame, 2)
        .unwrap();
    ApiVersionsRequest::default().encode(&mut frame, 3).unwrap();
    frame[2..4].copy_from_slice(&77i16.to_be_bytes());
    c.send_raw(&frame).await;
    let (id, mut rest) = c.recv().await;
    assert_eq!(id, 5);
    let r = ApiVersionsResponse::decode(&mut rest, 0).unwrap();
    assert_eq!(r.error_code, 35);
    assert!(r.api_keys.iter().any(|k| k.api_key == ApiKey::Fetch as i16));
    s.stop().await;
}

#[tokio::test]
async fn bad_input_closes_only_its_own_connection() {
    let mut cfg = config();
    cfg.max_request_bytes = 1024;
    let s = Running::start(cfg).await;
    let mut bystander = connect(s.addr).await;
    let _: ApiVersionsResponse = bystander
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;

    // A length prefix over the limit: closed before the body is even sent.
    let mut big = connect(s.addr).await;
    big.stream
        .write_all(&(1_000_000i32).to_be_bytes())
        .await
        .unwrap();
    assert!(big.closed().await);

    // A negative length, an unknown API key, an unimplemented API, a garbage body.
    let mut negative = connect(s.addr).await;
    negative
        .stream
        .write_all(&(-4i32).to_be_bytes())
        .await
        .unwrap();
    assert!(negative.closed().await);
    for frame in [
        vec![0x7f, 0x7f, 0, 0, 0, 0, 0, 1, 0xff, 0xff],
        vec![0, 17, 0, 1, 0, 0, 0, 1, 0xff, 0xff],
        vec![0, 3, 0, 12, 0, 0, 0, 1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff],
    ] {
        let mut bad = connect(s.addr).await;
        bad.send_raw(&frame).await;
        assert!(
            bad.closed().await,
            "frame {frame:?} must close the connection"
        );
    }

    // A frame cut short by the client closing.
    let mut cut = connect(s.addr).await;
    cut.stream.write_all(&100i32.to_be_bytes()).await.unwrap();
    cut.stream.write_all(&[0u8; 10]).await.unwrap();
    drop(cut);

    // Everyone else is still served, on old and new connections.
    let r: MetadataResponse = bystander
        .call(
            ApiKey::Metadata,
            12,
            &MetadataRequest::default().with_topics(None),
        )
        .await;
    assert_eq!(r.brokers.len(), 1);
    api_versions_ok(s.addr).await;
    let log = s.stats.snapshot().log;
    assert!(
        log.iter()
            .any(|l| l.text.contains("exceeds the 1024-byte limit")),
        "{log:?}"
    );
    assert!(log.iter().any(|l| l.text.contains("malformed")), "{log:?}");
    while !s
        .stats
        .snapshot()
        .log
        .iter()
        .any(|l| l.text.contains("closed mid-request"))
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn connections_beyond_the_maximum_are_refused() {
    let mut cfg = config();
    cfg.max_connections = 1;
    let s = Running::start(cfg).await;
    let mut first = connect(s.addr).await;
    let _: ApiVersionsResponse = first
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;
    let mut second = connect(s.addr).await;
    assert!(second.closed().await);
    let _: ApiVersionsResponse = first
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;
    assert_eq!(s.stats.connections(), 1);
    drop(first);
    // Once the first leaves, a new one is welcome (the count drops when its task ends).
    loop {
        if s.stats.connections() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    api_versions_ok(s.addr).await;
    s.stop().await;
}

#[tokio::test]
async fn idle_connections_are_closed() {
    let mut cfg = config();
    cfg.idle_timeout = Duration::from_millis(100);
    let s = Running::start(cfg).await;
    let mut c = connect(s.addr).await;
    let _: ApiVersionsResponse = c
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;
    assert!(c.closed().await);
    assert!(
        s.stats
            .snapshot()
            .log
            .iter()
            .any(|l| l.text.contains("idle timeout"))
    );
    s.stop().await;
}

#[tokio::test]
async fn stats_track_clients_and_traffic() {
    let s = Running::start(config()).await;
    let mut c = connect(s.addr).await;
    let _: ProduceResponse = c
        .call(ApiKey::Produce, 9, &produce("t", 1, &["a", "b"]))
        .await;
    let _: FetchResponse = c.call(ApiKey::Fetch, 12, &fetch("t", 0, 0)).await;
    let snap = s.stats.snapshot();
    assert_eq!(snap.listen, s.addr);
    assert_eq!(snap.connections, 1);
    let client = &snap.clients[0];
    assert_eq!(client.client_id, "protocol-test");
    assert_eq!((client.produced_records, client.fetched_records), (2, 2));
    assert_eq!(client.requests, 2);
    s.stop().await;
}

#[tokio::test]
async fn shutdown_closes_open_connections() {
    let s = Running::start(config()).await;
    let stats = s.stats.clone();
    let mut c = connect(s.addr).await;
    let _: ApiVersionsResponse = c
        .call(ApiKey::ApiVersions, 3, &ApiVersionsRequest::default())
        .await;
    s.stop().await;
    assert!(c.closed().await);
    assert_eq!(stats.connections(), 0);
}

#[tokio::test]
async fn the_timer_expires_sessions_on_the_servers_clock() {
    // A clock ten seconds past the member's last heartbeat: the timer's tick expels it.
    let s = Running::start_with(config(), |server| {
        server.with_time_source(Arc::new(|| 10_000))
    })
    .await;
    let join = BrokerJoin {
        session_timeout_ms: 1_000,
        ..BrokerJoin::consumer("g", "sim", &[], "range")
    };
    s.broker.write().join_group(join, 0).unwrap();
    while !s.broker.read().group("g").unwrap().is_empty() {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    s.stop().await;
}

#[tokio::test]
async fn with_group_ticks_off_the_server_leaves_sessions_alone() {
    let mut cfg = config();
    cfg.tick_groups = false;
    let s = Running::start_with(cfg, |server| server.with_time_source(Arc::new(|| 10_000))).await;
    let join = BrokerJoin {
        session_timeout_ms: 1_000,
        ..BrokerJoin::consumer("g", "sim", &[], "range")
    };
    s.broker.write().join_group(join, 0).unwrap();
    // A request after several timer periods proves the timer ran; the member must remain.
    tokio::time::sleep(Duration::from_millis(300)).await;
    api_versions_ok(s.addr).await;
    assert_eq!(s.broker.read().group("g").unwrap().members().len(), 1);
    s.stop().await;
}

#[tokio::test]
async fn a_waiting_join_is_woken_by_the_embedding_apps_group_change() {
    let s = Running::start(config()).await;
    s.broker
        .write()
        .create_topic("t", TopicConfig::new(2), 0)
        .unwrap();
    let topics = vec!["t".to_string()];
    // On the server's clock (the wall clock), so its timer does not expire the member.
    let now = minikafka::server::wall_clock_ms();
    let JoinOutcome::Joined(sim) = s
        .broker
        .write()
        .join_group(BrokerJoin::consumer("g", "sim", &topics, "range"), now)
        .unwrap()
    else {
        panic!("a lone member joins at once");
    };
    // A network member joins with an hour-long rebalance timeout: only the simulated
    // member's rejoin can complete it, and the server learns of that only if told.
    let mut c = connect(s.addr).await;
    let join = JoinGroupRequest::default()
        .with_group_id(GroupId(StrBytes::from_static_str("g")))
        .with_session_timeout_ms(3_600_000)
        .with_rebalance_timeout_ms(3_600_000)
        .with_protocol_type(StrBytes::from_static_str("consumer"))
        .with_protocols(vec![
            join_group_request::JoinGroupRequestProtocol::default()
                .with_name(StrBytes::from_static_str("range")),
        ]);
    let id = c.send(ApiKey::JoinGroup, 3, &join).await;
    loop {
        let waiting = s.broker.read().group("g").unwrap().members().len() == 2;
        if waiting {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let rejoin = BrokerJoin {
        member_id: Some(sim.member_id.clone()),
        ..BrokerJoin::consumer("g", "sim", &topics, "range")
    };
    s.broker
        .write()
        .join_group(rejoin, minikafka::server::wall_clock_ms())
        .unwrap();
    s.groups.notify();
    let (got, mut rest) = c.recv().await;
    assert_eq!(got, id);
    let r = JoinGroupResponse::decode(&mut rest, 3).unwrap();
    assert_eq!(r.error_code, 0);
    assert_eq!(r.generation_id, sim.generation + 1);
    s.stop().await;
}

#[tokio::test]
async fn consumers_starting_together_share_the_first_rebalance() {
    let s = Running::start(ServerConfig {
        initial_rebalance_delay: Duration::from_millis(300),
        ..config()
    })
    .await;
    let join = JoinGroupRequest::default()
        .with_group_id(GroupId(StrBytes::from_static_str("g")))
        .with_session_timeout_ms(10_000)
        .with_rebalance_timeout_ms(10_000)
        .with_protocol_type(StrBytes::from_static_str("consumer"))
        .with_protocols(vec![
            join_group_request::JoinGroupRequestProtocol::default()
                .with_name(StrBytes::from_static_str("range")),
        ]);
    let (mut a, mut b) = (connect(s.addr).await, connect(s.addr).await);
    let started = std::time::Instant::now();
    let (ra, rb) = tokio::join!(
        a.call::<_, JoinGroupResponse>(ApiKey::JoinGroup, 3, &join),
        async {
            // The second consumer starts a little later, still within the delay.
            tokio::time::sleep(Duration::from_millis(100)).await;
            b.call::<_, JoinGroupResponse>(ApiKey::JoinGroup, 3, &join)
                .await
        }
    );
    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "the newcomer restarted the wait"
    );
    assert_eq!((ra.error_code, rb.error_code), (0, 0));
    assert_eq!((ra.generation_id, rb.generation_id), (1, 1));
    let leader = if ra.leader == ra.member_id { &ra } else { &rb };
    assert_eq!(
        leader.members.len(),
        2,
        "the leader assigns to both at once"
    );
    s.stop().await;
}

fn creatable(name: &str, partitions: i32) -> create_topics_request::CreatableTopic {
    create_topics_request::CreatableTopic::default()
        .with_name(TopicName(StrBytes::from_string(name.to_string())))
        .with_num_partitions(partitions)
        .with_replication_factor(1)
}

async fn create_topics(
    c: &mut Client,
    topics: Vec<create_topics_request::CreatableTopic>,
) -> Vec<i16> {
    let req = CreateTopicsRequest::default()
        .with_topics(topics)
        .with_timeout_ms(1_000);
    let r: CreateTopicsResponse = c.call(ApiKey::CreateTopics, 4, &req).await;
    r.topics.iter().map(|t| t.error_code).collect()
}

#[tokio::test]
async fn partition_counts_past_the_limits_are_invalid_partitions_and_the_server_goes_on() {
    const INVALID_PARTITIONS: i16 = 37;
    let s = Running::start(config()).await;
    let mut c = connect(s.addr).await;
    let codes = create_topics(
        &mut c,
        vec![
            creatable("huge", i32::MAX),
            creatable("wide", 10_001),
            creatable("fine", 10_000),
        ],
    )
    .await;
    assert_eq!(codes, [INVALID_PARTITIONS, INVALID_PARTITIONS, 0]);
    // Up to the per-broker total, then no further.
    let more: Vec<_> = (0..9)
        .map(|i| creatable(&format!("more-{i}"), 10_000))
        .collect();
    assert_eq!(create_topics(&mut c, more).await, [0; 9]);
    assert_eq!(
        create_topics(&mut c, vec![creatable("one-too-many", 1)]).await,
        [INVALID_PARTITIONS]
    );
    assert!(s.broker.read().topic("huge").is_none());
    api_versions_ok(s.addr).await;
    s.stop().await;

    // A default past the limit refuses the auto-created topic, not the process.
    let s = Running::start(ServerConfig {
        default_partitions: u32::MAX,
        ..config()
    })
    .await;
    let mut c = connect(s.addr).await;
    let req = MetadataRequest::default()
        .with_topics(Some(vec![
            metadata_request::MetadataRequestTopic::default()
                .with_name(Some(TopicName(StrBytes::from_static_str("auto")))),
        ]))
        .with_allow_auto_topic_creation(true);
    let r: MetadataResponse = c.call(ApiKey::Metadata, 9, &req).await;
    assert_eq!(r.topics[0].error_code, INVALID_PARTITIONS);
    api_versions_ok(s.addr).await;
    s.stop().await;
}
