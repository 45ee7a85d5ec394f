//! Random and mutated response frames through the observer's decoding, without sockets:
//! whatever a broker (or something pretending to be one) answers, decoding fails cleanly or
//! yields a response, never a panic or an allocation sized by a length off the wire. The
//! record timestamp walk gets the same treatment.

#[path = "support/mutate.rs"]
mod mutate;

use bytes::{Bytes, BytesMut};
use kafka_protocol::messages::consumer_group_describe_response::DescribedGroup as NewGroup;
use kafka_protocol::messages::describe_groups_response::{DescribedGroup, DescribedGroupMember};
use kafka_protocol::messages::fetch_response::{FetchableTopicResponse, PartitionData};
use kafka_protocol::messages::list_groups_response::ListedGroup;
use kafka_protocol::messages::metadata_response::{
    MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::*;
use kafka_protocol::protocol::{Encodable, HeaderVersion, StrBytes};
use minikafka::server::observe::{
    MAX_RESPONSE_BYTES, ReadRequest, decode_response, response_len, timestamp_at,
};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use mutate::mutated;

/// A response frame (header and body, no length prefix) as a broker would send it.
fn frame<R: ReadRequest>(version: i16, body: &R::Response) -> Option<Vec<u8>> {
    let mut buf = BytesMut::new();
    let header_version = if R::API == ApiKey::ApiVersions {
        0
    } else {
        <R::Response as HeaderVersion>::header_version(version)
    };
    ResponseHeader::default()
        .with_correlation_id(1)
        .encode(&mut buf, header_version)
        .ok()?;
    body.encode(&mut buf, version).ok()?;
    Some(buf.to_vec())
}

fn s(v: &'static str) -> StrBytes {
    StrBytes::from_static_str(v)
}

fn records() -> Bytes {
    use kafka_protocol::records::*;
    let recs: Vec<Record> = (0..3)
        .map(|i| Record {
            transactional: false,
            control: false,
            delete_horizon: false,
            partition_leader_epoch: -1,
            producer_id: -1,
            producer_epoch: -1,
            timestamp_type: TimestampType::Creation,
            offset: 10 + i,
            sequence: i as i32,
            timestamp: 1_000 + i,
            key: None,
            value: Some(Bytes::from_static(b"value")),
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

/// Which API a seed frame answers, and at which version.
#[derive(Debug, Clone, Copy)]
struct Kind {
    api: ApiKey,
    version: i16,
}

fn seeds() -> Vec<(Kind, Vec<u8>)> {
    let mut out = Vec::new();
    let mut add = |api: ApiKey, version: i16, f: Option<Vec<u8>>| {
        out.extend(f.map(|f| (Kind { api, version }, f)));
    };
    for v in [0, 3] {
        let body = ApiVersionsResponse::default().with_api_keys(vec![Default::default()]);
        add(
            ApiKey::ApiVersions,
            v,
            frame::<ApiVersionsRequest>(v, &body),
        );
    }
    for v in [1, 12] {
        let body = MetadataResponse::default()
            .with_cluster_id(Some(s("c")))
            .with_topics(vec![
                MetadataResponseTopic::default()
                    .with_name(Some(TopicName(s("t"))))
                    .with_partitions(vec![
                        MetadataResponsePartition::default()
                            .with_replica_nodes(vec![BrokerId(1)])
                            .with_isr_nodes(vec![BrokerId(1)]),
                    ]),
            ]);
        add(ApiKey::Metadata, v, frame::<MetadataRequest>(v, &body));
    }
    for v in [1, 10] {
        add(
            ApiKey::ListOffsets,
            v,
            frame::<ListOffsetsRequest>(
                v,
                &ListOffsetsResponse::default().with_topics(vec![Default::default()]),
            ),
        );
    }
    for v in [0, 5] {
        let body = ListGroupsResponse::default()
            .with_groups(vec![ListedGroup::default().with_group_id(GroupId(s("g")))]);
        add(ApiKey::ListGroups, v, frame::<ListGroupsRequest>(v, &body));
    }
    for v in [0, 6] {
        let body = FindCoordinatorResponse::default().with_coordinators(vec![Default::default()]);
        add(
            ApiKey::FindCoordinator,
            v,
            frame::<FindCoordinatorRequest>(v, &body),
        );
    }
    for v in [0, 5] {
        let body = DescribeGroupsResponse::default().with_groups(vec![
            DescribedGroup::default().with_members(vec![
                DescribedGroupMember::default()
                    .with_member_assignment(Bytes::from_static(&[0, 0, 0, 0, 0, 1, 0, 1, b't'])),
            ]),
        ]);
        add(
            ApiKey::DescribeGroups,
            v,
            frame::<DescribeGroupsRequest>(v, &body),
        );
    }
    for v in [0, 1] {
        let body = ConsumerGroupDescribeResponse::default().with_groups(vec![
            NewGroup::default().with_members(vec![Default::default()]),
        ]);
        add(
            ApiKey::ConsumerGroupDescribe,
            v,
            frame::<ConsumerGroupDescribeRequest>(v, &body),
        );
    }
    for v in [1, 7, 9] {
        let body = if v >= 8 {
            OffsetFetchResponse::default().with_groups(vec![Default::default()])
        } else {
            OffsetFetchResponse::default().with_topics(vec![Default::default()])
        };
        add(
            ApiKey::OffsetFetch,
            v,
            frame::<OffsetFetchRequest>(v, &body),
        );
    }
    for v in [4, 12] {
        let body = FetchResponse::default().with_responses(vec![
            FetchableTopicResponse::default()
                .with_topic(TopicName(s("t")))
                .with_partitions(vec![PartitionData::default().with_records(Some(records()))]),
        ]);
        add(ApiKey::Fetch, v, frame::<FetchRequest>(v, &body));
    }
    for v in [0, 2] {
        add(
            ApiKey::SaslAuthenticate,
            v,
            frame::<SaslAuthenticateRequest>(v, &SaslAuthenticateResponse::default()),
        );
    }
    add(
        ApiKey::SaslHandshake,
        1,
        frame::<SaslHandshakeRequest>(1, &SaslHandshakeResponse::default()),
    );
    out
}

/// Decodes `bytes` as the answer `kind` names; the record bytes of a Fetch answer go
/// through the timestamp walk too. Returns whether decoding succeeded.
fn exercise(kind: Kind, bytes: &[u8]) -> bool {
    let f = Bytes::copy_from_slice(bytes);
    let v = kind.version;
    match kind.api {
        ApiKey::ApiVersions => decode_response::<ApiVersionsRequest>(f, v, 1).is_ok(),
        ApiKey::Metadata => decode_response::<MetadataRequest>(f, v, 1).is_ok(),
        ApiKey::ListOffsets => decode_response::<ListOffsetsRequest>(f, v, 1).is_ok(),
        ApiKey::ListGroups => decode_response::<ListGroupsRequest>(f, v, 1).is_ok(),
        ApiKey::FindCoordinator => decode_response::<FindCoordinatorRequest>(f, v, 1).is_ok(),
        ApiKey::DescribeGroups => decode_response::<DescribeGroupsRequest>(f, v, 1).is_ok(),
        ApiKey::ConsumerGroupDescribe => {
            decode_response::<ConsumerGroupDescribeRequest>(f, v, 1).is_ok()
        }
        ApiKey::OffsetFetch => decode_response::<OffsetFetchRequest>(f, v, 1).is_ok(),
        ApiKey::Fetch => match decode_response::<FetchRequest>(f, v, 1) {
            Ok(r) => {
                for p in r.responses.iter().flat_map(|t| &t.partitions) {
                    let _ = timestamp_at(p.records.as_deref().unwrap_or_default(), 11);
                }
                true
            }
            Err(_) => false,
        },
        ApiKey::SaslAuthenticate => decode_response::<SaslAuthenticateRequest>(f, v, 1).is_ok(),
        ApiKey::SaslHandshake => decode_response::<SaslHandshakeRequest>(f, v, 1).is_ok(),
        other => panic!("no seed for {other:?}"),
    }
}

#[test]
fn random_and_mutated_responses_never_panic() {
    let cases: u32 = std::env::var("FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seeds = seeds();
    assert!(seeds.len() >= 20, "a seed per read API and version bound");
    for (kind, f) in &seeds {
        assert!(exercise(*kind, f), "seed {kind:?} decodes");
    }
    let kinds: Vec<Kind> = seeds.iter().map(|(k, _)| *k).collect();
    let random = (
        prop::sample::select(kinds),
        prop::collection::vec(any::<u8>(), 0..96),
    );
    let strategy = prop_oneof![1 => random, 4 => mutated(seeds)];
    let mut runner = TestRunner::new(Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&strategy, |(kind, bytes)| {
            exercise(kind, &bytes);
            Ok(())
        })
        .expect("no response panics");
}

#[test]
fn random_record_bytes_never_panic_the_timestamp_walk() {
    let batch = records().to_vec();
    assert_eq!(timestamp_at(&batch, 11), Some(1_001));
    let strategy = prop_oneof![
        prop::collection::vec(any::<u8>(), 0..200),
        (any::<prop::sample::Index>(), any::<u8>()).prop_map(move |(at, b)| {
            let mut f = batch.clone();
            let i = at.index(f.len());
            f[i] = b;
            f
        }),
    ];
    let mut runner = TestRunner::new(Config {
        cases: 20_000,
        failure_persistence: None,
        ..Config::default()
    });
    runner
        .run(&(strategy, any::<i64>()), |(bytes, offset)| {
            let _ = timestamp_at(&bytes, offset);
            Ok(())
        })
        .expect("no record bytes panic");
}

#[test]
fn length_prefixes_are_bounded_before_reading() {
    assert!(response_len((i32::MAX).to_be_bytes(), MAX_RESPONSE_BYTES).is_err());
    assert!(response_len((-1i32).to_be_bytes(), MAX_RESPONSE_BYTES).is_err());
    assert_eq!(
        response_len(64i32.to_be_bytes(), MAX_RESPONSE_BYTES),
        Ok(64)
    );
}
