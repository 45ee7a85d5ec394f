//! Request handlers, one file per API, run against the shared broker without any I/O.
//!
//! The table below is the one list of the APIs we speak. Adding an API is a handler file
//! with a `handle` and an `error_response` function, its `mod` line, and a table line; the
//! codec's types, the dispatch, the error answers and the ApiVersions listing follow.
//!
//! A handler either answers at once ([`Outcome::Reply`]), sends nothing (Produce with
//! acks=0), or returns a [`Waiter`] for a request that must wait for other clients: the
//! transport re-polls it whenever the signal it names fires, and expires it at its deadline.

pub mod api_versions;
mod consumer_group_describe;
mod consumer_group_heartbeat;
mod create_partitions;
mod create_topics;
mod delete_groups;
mod delete_topics;
mod describe_cluster;
mod describe_configs;
mod describe_groups;
mod fetch;
mod find_coordinator;
mod heartbeat;
mod init_producer_id;
mod join_group;
mod leave_group;
mod list_groups;
mod list_offsets;
mod metadata;
mod nodes;
mod offset_commit;
mod offset_delete;
mod offset_fetch;
mod offset_for_leader_epoch;
mod produce;
mod sync_group;
mod table;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::{
    ApiVersionsRequest, ApiVersionsResponse, ConsumerGroupDescribeRequest,
    ConsumerGroupDescribeResponse, ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponse,
    CreatePartitionsRequest, CreatePartitionsResponse, CreateTopicsRequest, CreateTopicsResponse,
    DeleteGroupsRequest, DeleteGroupsResponse, DeleteTopicsRequest, DeleteTopicsResponse,
    DescribeClusterRequest, DescribeClusterResponse, DescribeConfigsRequest,
    DescribeConfigsResponse, DescribeGroupsRequest, DescribeGroupsResponse, FetchRequest,
    FetchResponse, FindCoordinatorRequest, FindCoordinatorResponse, HeartbeatRequest,
    HeartbeatResponse, InitProducerIdRequest, InitProducerIdResponse, JoinGroupRequest,
    JoinGroupResponse, LeaveGroupRequest, LeaveGroupResponse, ListGroupsRequest,
    ListGroupsResponse, ListOffsetsRequest, ListOffsetsResponse, MetadataRequest, MetadataResponse,
    OffsetCommitRequest, OffsetCommitResponse, OffsetDeleteRequest, OffsetDeleteResponse,
    OffsetFetchRequest, OffsetFetchResponse, OffsetForLeaderEpochRequest,
    OffsetForLeaderEpochResponse, ProduceRequest, ProduceResponse, SyncGroupRequest,
    SyncGroupResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::codec::Frame;
use crate::broker::{Broker, BrokerError, BrokerId, SharedBroker, TopicConfig};

// What is made of each line: see `table`.
//
// Upper bounds stop where a version changes semantics we do not implement: Produce 13 and
// Fetch 13 name topics by id only, FindCoordinator 5 and DeleteTopics 6 move to ids and
// transactions. Metadata stays well above 4, which kafka-python needs to speak record batch
// v2. OffsetCommit 9 and OffsetFetch 9 carry a consumer-protocol member's epoch, which
// clients of that protocol (KIP-848) use. The admin APIs go as far as Kafka 4.1 does;
// DescribeConfigs starts at 1, as Kafka 4 does.
table::apis! {
    // ApiKey        request                   response                 handler           versions
    Produce:         ProduceRequest         => ProduceResponse,         produce,          3..=9;
    Fetch:           FetchRequest           => FetchResponse,           fetch,            4..=12;
    ListOffsets:     ListOffsetsRequest     => ListOffsetsResponse,     list_offsets,     1..=7;
    Metadata:        MetadataRequest        => MetadataResponse,        metadata,         0..=12;
    OffsetCommit:    OffsetCommitRequest    => OffsetCommitResponse,    offset_commit,    2..=9;
    OffsetFetch:     OffsetFetchRequest     => OffsetFetchResponse,     offset_fetch,     1..=9;
    FindCoordinator: FindCoordinatorRequest => FindCoordinatorResponse, find_coordinator, 0..=4;
    JoinGroup:       JoinGroupRequest       => JoinGroupResponse,       join_group,       0..=9;
    Heartbeat:       HeartbeatRequest       => HeartbeatResponse,       heartbeat,        0..=4;
    LeaveGroup:      LeaveGroupRequest      => LeaveGroupResponse,      leave_group,      0..=5;
    SyncGroup:       SyncGroupRequest       => SyncGroupResponse,       sync_group,       0..=5;
    DescribeGroups:  DescribeGroupsRequest  => DescribeGroupsResponse,  describe_groups,  0..=6;
    ListGroups:      ListGroupsRequest      => ListGroupsResponse,      list_groups,      0..=5;
    ApiVersions:     ApiVersionsRequest     => ApiVersionsResponse,     api_versions,     0..=3;
    CreateTopics:    CreateTopicsRequest    => CreateTopicsResponse,    create_topics,    2..=7;
    DeleteTopics:    DeleteTopicsRequest    => DeleteTopicsResponse,    delete_topics,    1..=5;
    InitProducerId:  InitProducerIdRequest  => InitProducerIdResponse,  init_producer_id, 0..=4;
    DescribeConfigs: DescribeConfigsRequest => DescribeConfigsResponse, describe_configs, 1..=4;
    CreatePartitions: CreatePartitionsRequest => CreatePartitionsResponse, create_partitions, 0..=3;
    DeleteGroups:    DeleteGroupsRequest    => DeleteGroupsResponse,    delete_groups,    0..=2;
    OffsetDelete:    OffsetDeleteRequest    => OffsetDeleteResponse,    offset_delete,    0..=0;
    DescribeCluster: DescribeClusterRequest => DescribeClusterResponse, describe_cluster, 0..=2;
    ConsumerGroupHeartbeat: ConsumerGroupHeartbeatRequest => ConsumerGroupHeartbeatResponse, consumer_group_heartbeat, 0..=1;
    ConsumerGroupDescribe:  ConsumerGroupDescribeRequest  => ConsumerGroupDescribeResponse,  consumer_group_describe,  0..=1;
    OffsetForLeaderEpoch: OffsetForLeaderEpochRequest => OffsetForLeaderEpochResponse, offset_for_leader_epoch, 2..=4;
}

/// What the handlers need to know about the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Create topics on first use.
    pub auto_create_topics: bool,
    /// Partitions of an auto-created topic.
    pub default_partitions: u32,
    /// The host and port clients are told to connect to (Metadata, FindCoordinator).
    pub host: String,
    /// The port clients are told to connect to.
    pub port: i32,
    /// See [`crate::broker::JoinGroupRequest::initial_rebalance_delay_ms`].
    pub initial_rebalance_delay_ms: i64,
    /// See [`crate::server::ServerConfig::max_decoded_bytes`].
    pub max_decoded_bytes: usize,
    /// Each broker's listening port, by broker id: in a cluster, Metadata and
    /// FindCoordinator send clients to the broker they need on its own port.
    pub ports: Vec<(BrokerId, i32)>,
}

/// What a request changed, for the signals and the client registry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Effects {
    /// Records appended.
    pub produced_records: u64,
    /// Bytes appended.
    pub produced_bytes: u64,
    /// Records returned to fetches.
    pub fetched_records: u64,
    /// Bytes returned to fetches.
    pub fetched_bytes: u64,
    /// Group membership or state changed: waiting joins and syncs should look again.
    pub groups_changed: bool,
}

/// One request's view of the world: the broker, the server's settings, the time, who asks
/// and at which version, and what answering changed.
#[derive(Debug)]
pub struct RequestContext<'a> {
    /// The broker the request acts on.
    pub broker: &'a SharedBroker,
    /// The server settings.
    pub settings: &'a Settings,
    /// Wall-clock milliseconds, the broker's time for network clients.
    pub now_ms: i64,
    /// The client's `client.id`.
    pub client_id: &'a str,
    /// Where the client connects from, spelt as Kafka reports it (`/127.0.0.1`, see `client_host` in this module).
    pub client_host: &'a str,
    /// The broker the connection reached: only the leader of a partition serves its
    /// produce and fetch requests, only a group's coordinator its group requests.
    pub broker_id: BrokerId,
    /// The request's API version.
    pub version: i16,
    /// What answering changed.
    pub effects: Effects,
}

/// A client's address as Kafka reports it in DescribeGroups: Java's `InetAddress` text with
/// no host name, `/127.0.0.1`, or `/0:0:0:0:0:0:0:1` (IPv6 written out in full, with no
/// brackets). An IPv4 address reached over IPv6 is written as IPv4, as Java does.
pub fn client_host(peer: std::net::SocketAddr) -> String {
    match peer.ip().to_canonical() {
        std::net::IpAddr::V4(ip) => format!("/{ip}"),
        std::net::IpAddr::V6(ip) => {
            let groups: Vec<String> = ip.segments().iter().map(|s| format!("{s:x}")).collect();
            format!("/{}", groups.join(":"))
        }
    }
}

/// Which change can complete a waiting request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wake {
    /// Records became readable (a Fetch).
    Appends,
    /// A high watermark moved (an `acks=all` Produce).
    HighWatermark,
    /// A group changed (JoinGroup, SyncGroup).
    Groups,
}

/// How a request was answered.
#[derive(Debug)]
pub enum Outcome {
    /// Send this response.
    Reply(Response),
    /// Produce with acks=0: the client expects no response at all.
    NoReply,
    /// Park the request until the waiter is woken or times out.
    Wait(Waiter),
}

impl From<Response> for Outcome {
    fn from(response: Response) -> Self {
        Outcome::Reply(response)
    }
}

#[derive(Debug)]
enum WaitKind {
    Produce(produce::ProduceWait),
    Fetch(fetch::FetchWait),
    Join(join_group::JoinWait),
    Sync(sync_group::SyncWait),
}

/// A request parked until another client acts (or its deadline passes).
#[derive(Debug)]
pub struct Waiter {
    kind: WaitKind,
    deadline_ms: i64,
}

impl Waiter {
    /// The signal whose change may complete this request.
    pub fn wakes_on(&self) -> Wake {
        match self.kind {
            WaitKind::Produce(_) => Wake::HighWatermark,
            WaitKind::Fetch(_) => Wake::Appends,
            WaitKind::Join(_) | WaitKind::Sync(_) => Wake::Groups,
        }
    }

    /// When to give up waiting, in the same wall-clock milliseconds as
    /// [`RequestContext::now_ms`].
    pub fn deadline_ms(&self) -> i64 {
        self.deadline_ms
    }

    /// The response, if the request can complete now.
    pub fn poll(&mut self, ctx: &mut RequestContext<'_>) -> Option<Response> {
        match &mut self.kind {
            WaitKind::Produce(w) => w.poll(ctx),
            WaitKind::Fetch(w) => w.poll(ctx),
            WaitKind::Join(w) => w.poll(ctx),
            WaitKind::Sync(w) => w.poll(ctx),
        }
    }

    /// The response once the deadline has passed.
    pub fn expire(mut self, ctx: &mut RequestContext<'_>) -> Response {
        match &mut self.kind {
            WaitKind::Produce(w) => w.poll(ctx).unwrap_or_else(|| w.timed_out()),
            WaitKind::Fetch(w) => w.complete(ctx),
            WaitKind::Join(w) => w.poll(ctx).unwrap_or_else(|| w.timed_out(ctx)),
            WaitKind::Sync(w) => w.poll(ctx).unwrap_or_else(|| w.timed_out()),
        }
    }
}

/// Answers a decoded frame: implemented versions are dispatched, and versions beyond what
/// ApiVersions advertised get UNSUPPORTED_VERSION in that version's own layout, so a client
/// that ignored our ranges gets a clear error instead of a hang or a disconnect.
pub fn answer(ctx: &mut RequestContext<'_>, frame: Frame) -> Outcome {
    if !frame.supported {
        return error_answer(frame.body, ResponseError::UnsupportedVersion);
    }
    if let Some(error) = misdirected(ctx, &frame.body) {
        return error_answer(frame.body, error);
    }
    dispatch(ctx, frame.body)
}

/// The group a request acts on, for the requests only its coordinator serves.
fn coordinated_group(request: &Request) -> Option<&str> {
    match request {
        Request::JoinGroup(r) => Some(&r.group_id),
        Request::SyncGroup(r) => Some(&r.group_id),
        Request::Heartbeat(r) => Some(&r.group_id),
        Request::LeaveGroup(r) => Some(&r.group_id),
        Request::OffsetCommit(r) => Some(&r.group_id),
        // From v8 the groups come as a list and the top-level id is empty; clients batch only
        // groups that share a coordinator, so the first names it.
        Request::OffsetFetch(r) if r.group_id.is_empty() => {
            r.groups.first().map(|g| g.group_id.as_str())
        }
        Request::OffsetFetch(r) => Some(&r.group_id),
        Request::OffsetDelete(r) => Some(&r.group_id),
        Request::ConsumerGroupHeartbeat(r) => Some(&r.group_id),
        _ => None,
    }
}

/// NOT_COORDINATOR for a group request that reached a broker other than the group's
/// coordinator (COORDINATOR_NOT_AVAILABLE while there is none), so the client looks the
/// coordinator up again, as it would with Kafka.
fn misdirected(ctx: &RequestContext<'_>, request: &Request) -> Option<ResponseError> {
    let group = coordinated_group(request)?;
    let broker = ctx.broker.read();
    match broker.check_coordinator(group, ctx.broker_id) {
        Ok(()) => None,
        Err(e) => Some(ResponseError::from(&e)),
    }
}

fn str_bytes(s: &str) -> StrBytes {
    StrBytes::from_string(s.to_string())
}

/// A protocol partition index as the broker's `u32`, or the error a client expects.
fn partition_index(topic: &str, index: i32) -> Result<u32, BrokerError> {
    u32::try_from(index).map_err(|_| BrokerError::UnknownPartition {
        topic: topic.to_string(),
        partition: u32::MAX,
    })
}

/// A classic group's request that names a static member's instance id: refused unless the
/// instance maps to `member` (FENCED_INSTANCE_ID for an older incarnation of that member).
fn check_instance(
    broker: &Broker,
    group: &str,
    member: &str,
    instance: Option<&StrBytes>,
) -> Result<(), BrokerError> {
    match instance {
        Some(i) if broker.group(group).is_some() => broker.check_static_member(group, member, i),
        _ => Ok(()),
    }
}

/// Creates `topic` on first use when allowed; otherwise a missing topic is `UnknownTopic`.
fn ensure_topic(ctx: &RequestContext<'_>, topic: &str) -> Result<(), BrokerError> {
    if ctx.broker.read().topic(topic).is_some() {
        return Ok(());
    }
    if !ctx.settings.auto_create_topics {
        return Err(BrokerError::UnknownTopic(topic.to_string()));
    }
    ctx.broker
        .write()
        .create_topic_if_not_exists(
            topic,
            TopicConfig::new(ctx.settings.default_partitions),
            ctx.now_ms,
        )
        .map(|_| ())
}

#[cfg(test)]
mod cluster_tests;

#[cfg(test)]
pub(crate) mod testing {
    //! A broker and context for handler unit tests.
    use super::*;

    pub fn settings() -> Settings {
        Settings {
            auto_create_topics: true,
            default_partitions: 3,
            host: "127.0.0.1".to_string(),
            port: 9092,
            initial_rebalance_delay_ms: 0,
            max_decoded_bytes: 1 << 20,
            ports: vec![(1, 9092), (2, 9093), (3, 9094)],
        }
    }

    pub fn ctx<'a>(
        broker: &'a SharedBroker,
        settings: &'a Settings,
        version: i16,
    ) -> RequestContext<'a> {
        RequestContext {
            broker,
            settings,
            now_ms: 1_000,
            client_id: "test-client",
            client_host: "/127.0.0.1",
            broker_id: 1,
            version,
            effects: Effects::default(),
        }
    }

    pub fn reply(outcome: Outcome) -> Response {
        match outcome {
            Outcome::Reply(r) => r,
            other => panic!("expected an immediate reply, got {other:?}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::testing::*;
    use super::*;
    use crate::server::codec::{decode_request, encode_response};
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::{ApiKey, RequestHeader, TopicName};
    use kafka_protocol::protocol::{Decodable, Encodable};

    fn frame<T: Encodable>(api: ApiKey, version: i16, body: &T) -> Bytes {
        let mut buf = BytesMut::new();
        RequestHeader::default()
            .with_request_api_key(api as i16)
            .with_request_api_version(version)
            .encode(&mut buf, api.request_header_version(version))
            .unwrap();
        body.encode(&mut buf, version).unwrap();
        buf.freeze()
    }

    /// Decodes, answers and encodes `raw`; returns the response body bytes after the header.
    fn round_trip(raw: Bytes) -> Option<(i16, Bytes)> {
        let f = decode_request(raw).unwrap();
        assert!(!f.supported);
        let (api, version) = (f.api_key, f.response_version());
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, f.version);
        let Outcome::Reply(r) = answer(&mut c, f) else {
            return None;
        };
        let mut out = BytesMut::new();
        encode_response(api, version, 0, &r, &mut out).expect("encodes at the asked version");
        let header_len = if api != ApiKey::ApiVersions && api.response_header_version(version) >= 1
        {
            5
        } else {
            4
        };
        Some((version, out.freeze().slice(4 + header_len..)))
    }

    #[test]
    fn client_hosts_are_written_as_java_writes_them() {
        let host = |addr: &str| client_host(addr.parse().unwrap());
        assert_eq!(host("127.0.0.1:5000"), "/127.0.0.1");
        assert_eq!(host("[::1]:5000"), "/0:0:0:0:0:0:0:1");
        assert_eq!(host("[fe80::1:abcd]:1"), "/fe80:0:0:0:0:0:1:abcd");
        assert_eq!(host("[::ffff:10.0.0.7]:1"), "/10.0.0.7");
    }

    #[test]
    fn newer_versions_get_unsupported_version_in_their_own_layout() {
        let produce = ProduceRequest::default().with_acks(1).with_topic_data(vec![
            TopicProduceData::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partition_data(vec![PartitionProduceData::default().with_index(2)]),
        ]);
        let (v, mut body) = round_trip(frame(ApiKey::Produce, 12, &produce)).unwrap();
        let r = ProduceResponse::decode(&mut body, v).unwrap();
        assert_eq!(r.responses[0].partition_responses[0].error_code, 35);
        assert_eq!(r.responses[0].partition_responses[0].index, 2);

        let (v, mut body) = round_trip(frame(ApiKey::Fetch, 16, &FetchRequest::default())).unwrap();
        assert_eq!(FetchResponse::decode(&mut body, v).unwrap().error_code, 35);

        // ApiVersions v4 is readable, but we answer as for any too-new ApiVersions: v0.
        let (v, mut body) = round_trip(frame(
            ApiKey::ApiVersions,
            4,
            &ApiVersionsRequest::default(),
        ))
        .unwrap();
        assert_eq!(v, 0);
        let r = kafka_protocol::messages::ApiVersionsResponse::decode(&mut body, 0).unwrap();
        assert_eq!(r.error_code, 35);
        assert!(!r.api_keys.is_empty());

        let silent = produce.with_acks(0);
        assert!(
            round_trip(frame(ApiKey::Produce, 12, &silent)).is_none(),
            "acks=0 stays silent"
        );
    }
}
