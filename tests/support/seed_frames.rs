//! Valid request frames of every supported API at its oldest and newest version (and the
//! crate's newest, to reach UNSUPPORTED_VERSION answers): the seeds that the fuzz and soak
//! tests mutate.

#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::create_partitions_request::{
    CreatePartitionsAssignment, CreatePartitionsTopic,
};
use kafka_protocol::messages::describe_configs_request::DescribeConfigsResource;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
use kafka_protocol::messages::join_group_request::JoinGroupRequestProtocol;
use kafka_protocol::messages::offset_delete_request::{
    OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
};
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderPartition, OffsetForLeaderTopic,
};
use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, StrBytes};
use minikafka::broker::{Broker, NewRecord, TopicConfig};
use minikafka::server::SUPPORTED_APIS as SUPPORTED;

pub fn frame<T: Encodable>(api: ApiKey, version: i16, body: &T) -> Option<Vec<u8>> {
    let mut buf = BytesMut::new();
    RequestHeader::default()
        .with_request_api_key(api as i16)
        .with_request_api_version(version)
        .with_correlation_id(1)
        .with_client_id(Some(StrBytes::from_static_str("fuzz")))
        .encode(&mut buf, api.request_header_version(version))
        .ok()?;
    body.encode(&mut buf, version).ok()?;
    Some(buf.to_vec())
}

fn name() -> TopicName {
    TopicName(StrBytes::from_static_str("t"))
}

pub fn batch() -> Bytes {
    let mut b = Broker::new();
    b.create_topic("x", TopicConfig::new(1), 0).unwrap();
    b.append(
        "x",
        0,
        NewRecord::new(1, Some(Bytes::from_static(b"k")), "value"),
    )
    .unwrap();
    let recs = b.fetch("x", 0, 0, 10, 1 << 20).unwrap().records;
    let wire: Vec<kafka_protocol::records::Record> = recs
        .iter()
        .map(|r| kafka_protocol::records::Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: kafka_protocol::records::TimestampType::Creation,
            offset: r.offset(),
            sequence: -1,
            timestamp: r.timestamp_ms(),
            key: r.key().cloned(),
            value: r.value().cloned(),
            headers: Default::default(),
        })
        .collect();
    let mut buf = BytesMut::new();
    kafka_protocol::records::RecordBatchEncoder::encode(
        &mut buf,
        wire.iter(),
        &kafka_protocol::records::RecordEncodeOptions {
            version: 2,
            compression: kafka_protocol::records::Compression::None,
        },
    )
    .unwrap();
    buf.freeze()
}

/// A topic's and the broker's configs, with synonyms and documentation.
fn describe_configs() -> DescribeConfigsRequest {
    let resource = |kind: i8, name: &'static str| {
        DescribeConfigsResource::default()
            .with_resource_type(kind)
            .with_resource_name(StrBytes::from_static_str(name))
    };
    DescribeConfigsRequest::default()
        .with_include_synonyms(true)
        .with_include_documentation(true)
        .with_resources(vec![resource(2, "t"), resource(4, "0")])
}

/// Valid frames of every supported API at its oldest and newest version, to mutate.
pub fn seeds() -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for &(api, min, max) in SUPPORTED {
        // The crate's newest version too, to reach the UNSUPPORTED_VERSION answers.
        for v in [min, max, api.valid_versions().max] {
            let f = match api {
                ApiKey::Produce => frame(
                    api,
                    v,
                    &ProduceRequest::default().with_acks(1).with_topic_data(vec![
                        TopicProduceData::default()
                            .with_name(name())
                            .with_partition_data(vec![
                                PartitionProduceData::default().with_records(Some(batch())),
                            ]),
                    ]),
                ),
                ApiKey::Fetch => frame(
                    api,
                    v,
                    &FetchRequest::default()
                        .with_max_bytes(1000)
                        .with_min_bytes(1)
                        .with_topics(vec![
                            FetchTopic::default()
                                .with_topic(name())
                                .with_partitions(vec![
                                    FetchPartition::default().with_partition_max_bytes(100),
                                ]),
                        ]),
                ),
                ApiKey::JoinGroup => frame(
                    api,
                    v,
                    &JoinGroupRequest::default()
                        .with_group_id(GroupId(StrBytes::from_static_str("g")))
                        .with_session_timeout_ms(1000)
                        .with_protocol_type(StrBytes::from_static_str("consumer"))
                        .with_protocols(vec![
                            JoinGroupRequestProtocol::default()
                                .with_name(StrBytes::from_static_str("range"))
                                .with_metadata(Bytes::from_static(&[0, 0, 0, 0, 0, 1, 0, 1, b't'])),
                        ]),
                ),
                ApiKey::Metadata => frame(api, v, &MetadataRequest::default()),
                ApiKey::ListOffsets => frame(api, v, &ListOffsetsRequest::default()),
                ApiKey::OffsetCommit => frame(api, v, &OffsetCommitRequest::default()),
                ApiKey::OffsetFetch => frame(api, v, &OffsetFetchRequest::default()),
                ApiKey::FindCoordinator => frame(api, v, &FindCoordinatorRequest::default()),
                ApiKey::Heartbeat => frame(api, v, &HeartbeatRequest::default()),
                ApiKey::LeaveGroup => frame(api, v, &LeaveGroupRequest::default()),
                ApiKey::SyncGroup => frame(api, v, &SyncGroupRequest::default()),
                ApiKey::DescribeGroups => frame(api, v, &DescribeGroupsRequest::default()),
                ApiKey::ListGroups => frame(api, v, &ListGroupsRequest::default()),
                ApiKey::ApiVersions => frame(api, v, &ApiVersionsRequest::default()),
                ApiKey::CreateTopics => frame(api, v, &CreateTopicsRequest::default()),
                ApiKey::DeleteTopics => frame(api, v, &DeleteTopicsRequest::default()),
                ApiKey::InitProducerId => frame(api, v, &InitProducerIdRequest::default()),
                ApiKey::DescribeConfigs => frame(api, v, &describe_configs()),
                ApiKey::CreatePartitions => frame(
                    api,
                    v,
                    &CreatePartitionsRequest::default().with_topics(vec![
                        CreatePartitionsTopic::default()
                            .with_name(name())
                            .with_count(3)
                            .with_assignments(Some(vec![
                                CreatePartitionsAssignment::default()
                                    .with_broker_ids(vec![BrokerId(0)]),
                            ])),
                    ]),
                ),
                ApiKey::DeleteGroups => frame(
                    api,
                    v,
                    &DeleteGroupsRequest::default()
                        .with_groups_names(vec![GroupId(StrBytes::from_static_str("g"))]),
                ),
                ApiKey::OffsetDelete => frame(
                    api,
                    v,
                    &OffsetDeleteRequest::default()
                        .with_group_id(GroupId(StrBytes::from_static_str("g")))
                        .with_topics(vec![
                            OffsetDeleteRequestTopic::default()
                                .with_name(name())
                                .with_partitions(vec![OffsetDeleteRequestPartition::default()]),
                        ]),
                ),
                ApiKey::DescribeCluster => frame(api, v, &DescribeClusterRequest::default()),
                ApiKey::OffsetForLeaderEpoch => frame(
                    api,
                    v,
                    &OffsetForLeaderEpochRequest::default().with_topics(vec![
                        OffsetForLeaderTopic::default()
                            .with_topic(name())
                            .with_partitions(vec![
                                OffsetForLeaderPartition::default().with_leader_epoch(0),
                            ]),
                    ]),
                ),
                _ => None,
            };
            out.extend(f);
        }
    }
    out
}
