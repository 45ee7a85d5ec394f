//! Answers for a version the crate can read but we do not implement (beyond what ApiVersions
//! advertised): every error field the response has at that version says UNSUPPORTED_VERSION,
//! so a client that ignored our ranges gets a clear error instead of a hang or a disconnect.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::create_topics_response::{
    CreatableTopicResult, CreateTopicsResponse,
};
use kafka_protocol::messages::delete_topics_response::{
    DeletableTopicResult, DeleteTopicsResponse,
};
use kafka_protocol::messages::describe_groups_response::{DescribeGroupsResponse, DescribedGroup};
use kafka_protocol::messages::fetch_response::FetchResponse;
use kafka_protocol::messages::find_coordinator_response::{Coordinator, FindCoordinatorResponse};
use kafka_protocol::messages::heartbeat_response::HeartbeatResponse;
use kafka_protocol::messages::init_producer_id_response::InitProducerIdResponse;
use kafka_protocol::messages::join_group_response::JoinGroupResponse;
use kafka_protocol::messages::leave_group_response::LeaveGroupResponse;
use kafka_protocol::messages::list_groups_response::ListGroupsResponse;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse,
};
use kafka_protocol::messages::metadata_response::{MetadataResponse, MetadataResponseTopic};
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponse, OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponse, OffsetFetchResponseGroup,
};
use kafka_protocol::messages::produce_response::{
    PartitionProduceResponse, ProduceResponse, TopicProduceResponse,
};
use kafka_protocol::messages::sync_group_response::SyncGroupResponse;

use super::Outcome;
use crate::server::codec::{Request, Response};

const E: i16 = ResponseError::UnsupportedVersion.code();

/// The UNSUPPORTED_VERSION answer to `request`.
pub fn respond(request: Request) -> Outcome {
    let r = match request {
        Request::ApiVersions(_) | Request::ApiVersionsTooNew => {
            return Outcome::Reply(super::api_versions::too_new());
        }
        Request::Metadata(r) => Response::Metadata(
            MetadataResponse::default().with_topics(
                r.topics
                    .unwrap_or_default()
                    .into_iter()
                    .map(|t| {
                        MetadataResponseTopic::default()
                            .with_name(t.name)
                            .with_topic_id(t.topic_id)
                            .with_error_code(E)
                    })
                    .collect(),
            ),
        ),
        Request::Produce(r) => {
            if r.acks == 0 {
                return Outcome::NoReply;
            }
            Response::Produce(
                ProduceResponse::default().with_responses(
                    r.topic_data
                        .into_iter()
                        .map(|t| {
                            TopicProduceResponse::default()
                                .with_name(t.name)
                                .with_topic_id(t.topic_id)
                                .with_partition_responses(
                                    t.partition_data
                                        .iter()
                                        .map(|p| {
                                            PartitionProduceResponse::default()
                                                .with_index(p.index)
                                                .with_error_code(E)
                                                .with_base_offset(-1)
                                        })
                                        .collect(),
                                )
                        })
                        .collect(),
                ),
            )
        }
        // Every Fetch version the crate reads beyond ours has a top-level error code.
        Request::Fetch(_) => Response::Fetch(FetchResponse::default().with_error_code(E)),
        Request::ListOffsets(r) => Response::ListOffsets(
            ListOffsetsResponse::default().with_topics(
                r.topics
                    .into_iter()
                    .map(|t| {
                        ListOffsetsTopicResponse::default()
                            .with_partitions(
                                t.partitions
                                    .iter()
                                    .map(|p| {
                                        ListOffsetsPartitionResponse::default()
                                            .with_partition_index(p.partition_index)
                                            .with_error_code(E)
                                    })
                                    .collect(),
                            )
                            .with_name(t.name)
                    })
                    .collect(),
            ),
        ),
        Request::OffsetCommit(r) => Response::OffsetCommit(
            OffsetCommitResponse::default().with_topics(
                r.topics
                    .into_iter()
                    .map(|t| {
                        OffsetCommitResponseTopic::default()
                            .with_partitions(
                                t.partitions
                                    .iter()
                                    .map(|p| {
                                        OffsetCommitResponsePartition::default()
                                            .with_partition_index(p.partition_index)
                                            .with_error_code(E)
                                    })
                                    .collect(),
                            )
                            .with_name(t.name)
                            .with_topic_id(t.topic_id)
                    })
                    .collect(),
            ),
        ),
        Request::OffsetFetch(r) => Response::OffsetFetch(
            OffsetFetchResponse::default()
                .with_error_code(E)
                .with_groups(
                    r.groups
                        .into_iter()
                        .map(|g| {
                            OffsetFetchResponseGroup::default()
                                .with_group_id(g.group_id)
                                .with_error_code(E)
                        })
                        .collect(),
                ),
        ),
        Request::FindCoordinator(r) => Response::FindCoordinator(
            FindCoordinatorResponse::default()
                .with_error_code(E)
                .with_coordinators(
                    r.coordinator_keys
                        .into_iter()
                        .map(|k| Coordinator::default().with_key(k).with_error_code(E))
                        .collect(),
                ),
        ),
        Request::JoinGroup(_) => {
            Response::JoinGroup(JoinGroupResponse::default().with_error_code(E))
        }
        Request::SyncGroup(_) => {
            Response::SyncGroup(SyncGroupResponse::default().with_error_code(E))
        }
        Request::Heartbeat(_) => {
            Response::Heartbeat(HeartbeatResponse::default().with_error_code(E))
        }
        Request::LeaveGroup(_) => {
            Response::LeaveGroup(LeaveGroupResponse::default().with_error_code(E))
        }
        Request::CreateTopics(r) => Response::CreateTopics(
            CreateTopicsResponse::default().with_topics(
                r.topics
                    .into_iter()
                    .map(|t| {
                        CreatableTopicResult::default()
                            .with_name(t.name)
                            .with_error_code(E)
                    })
                    .collect(),
            ),
        ),
        Request::DeleteTopics(r) => Response::DeleteTopics(
            DeleteTopicsResponse::default().with_responses(
                r.topic_names
                    .into_iter()
                    .map(Some)
                    .chain(r.topics.into_iter().map(|t| t.name))
                    .map(|name| {
                        DeletableTopicResult::default()
                            .with_name(name)
                            .with_error_code(E)
                    })
                    .collect(),
            ),
        ),
        Request::DescribeGroups(r) => Response::DescribeGroups(
            DescribeGroupsResponse::default().with_groups(
                r.groups
                    .into_iter()
                    .map(|g| {
                        DescribedGroup::default()
                            .with_group_id(g)
                            .with_error_code(E)
                    })
                    .collect(),
            ),
        ),
        Request::ListGroups(_) => {
            Response::ListGroups(ListGroupsResponse::default().with_error_code(E))
        }
        Request::InitProducerId(_) => {
            Response::InitProducerId(InitProducerIdResponse::default().with_error_code(E))
        }
    };
    Outcome::Reply(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::SharedBroker;
    use crate::server::api::answer;
    use crate::server::api::testing::*;
    use crate::server::codec::{decode_request, encode_response};
    use bytes::{Bytes, BytesMut};
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};
    use kafka_protocol::messages::{
        ApiKey, ApiVersionsRequest, FetchRequest, ProduceRequest, RequestHeader, TopicName,
    };
    use kafka_protocol::protocol::{Decodable, Encodable, StrBytes};

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
