//! OffsetFetch: a group's committed offsets, for the named partitions or all of them; from
//! v8 for several groups at once, and from v9 under a member's id and epoch.
//!
//! Offsets are returned as stored, sentinels (−1, −2) and offsets past the end included, as
//! Kafka returns them; clients read a negative offset as "no position".

use std::collections::BTreeMap;

use kafka_protocol::ResponseError;
use kafka_protocol::messages::TopicName;
use kafka_protocol::messages::offset_fetch_request::{OffsetFetchRequest, OffsetFetchRequestGroup};
use kafka_protocol::messages::offset_fetch_response::{
    OffsetFetchResponse, OffsetFetchResponseGroup, OffsetFetchResponsePartition,
    OffsetFetchResponsePartitions, OffsetFetchResponseTopic, OffsetFetchResponseTopics,
};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, str_bytes};
use crate::broker::{Broker, TopicPartition};
use crate::server::codec::Response;

fn partition(index: i32, offset: Option<i64>) -> OffsetFetchResponsePartition {
    OffsetFetchResponsePartition::default()
        .with_partition_index(index)
        .with_committed_offset(offset.unwrap_or(-1))
        .with_committed_leader_epoch(-1)
        .with_metadata(Some(StrBytes::default()))
}

fn partition_v8(index: i32, offset: Option<i64>) -> OffsetFetchResponsePartitions {
    OffsetFetchResponsePartitions::default()
        .with_partition_index(index)
        .with_committed_offset(offset.unwrap_or(-1))
        .with_committed_leader_epoch(-1)
        .with_metadata(Some(StrBytes::default()))
}

/// Partitions asked for, by topic; `None` asks for everything the group has committed.
type Wanted = Option<Vec<(TopicName, Vec<i32>)>>;

/// Committed offsets by topic: each partition with its offset, `None` where there is none.
type Committed = Vec<(TopicName, Vec<(i32, Option<i64>)>)>;

/// A group's committed offsets (`None` where it has none) for what was asked, by topic.
fn committed(broker: &Broker, group: &str, wanted: Wanted) -> Committed {
    let offsets = broker.group_offsets(group);
    match wanted {
        Some(topics) => topics
            .into_iter()
            .map(|(name, indexes)| {
                let partitions = indexes
                    .iter()
                    .map(|&p| {
                        let tp = u32::try_from(p)
                            .ok()
                            .map(|i| TopicPartition::new(name.to_string(), i));
                        let offset = tp.and_then(|tp| Some(offsets?.get(&tp)?.offset));
                        (p, offset)
                    })
                    .collect();
                (name, partitions)
            })
            .collect(),
        // Null topics (v2+): everything the group has committed.
        None => {
            let mut by_topic: BTreeMap<&str, Vec<(i32, Option<i64>)>> = BTreeMap::new();
            for (tp, c) in offsets.into_iter().flatten() {
                by_topic
                    .entry(&tp.topic)
                    .or_default()
                    .push((tp.partition as i32, Some(c.offset)));
            }
            by_topic
                .into_iter()
                .map(|(name, partitions)| (TopicName(str_bytes(name)), partitions))
                .collect()
        }
    }
}

/// One group of a batched (v8+) fetch. A member of a consumer-protocol group fetching
/// under its member id (v9) must be at its current epoch, as Kafka checks.
fn group_v8(broker: &Broker, g: OffsetFetchRequestGroup) -> OffsetFetchResponseGroup {
    let checked = broker.check_offset_fetch(&g.group_id, g.member_id.as_deref(), g.member_epoch);
    let response = OffsetFetchResponseGroup::default().with_group_id(g.group_id.clone());
    if let Err(e) = checked {
        return response.with_error_code(e.kafka_code());
    }
    let wanted = g.topics.map(|ts| {
        ts.into_iter()
            .map(|t| (t.name, t.partition_indexes))
            .collect()
    });
    let topics = committed(broker, &g.group_id, wanted)
        .into_iter()
        .map(|(name, partitions)| {
            OffsetFetchResponseTopics::default()
                .with_name(name)
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(p, o)| partition_v8(p, o))
                        .collect(),
                )
        })
        .collect();
    response.with_topics(topics)
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: OffsetFetchRequest) -> Response {
    let broker = ctx.broker.read();
    if ctx.version >= 8 {
        let groups = req
            .groups
            .into_iter()
            .map(|g| group_v8(&broker, g))
            .collect();
        return Response::OffsetFetch(OffsetFetchResponse::default().with_groups(groups));
    }
    let wanted = req.topics.map(|ts| {
        ts.into_iter()
            .map(|t| (t.name, t.partition_indexes))
            .collect()
    });
    let topics = committed(&broker, &req.group_id, wanted)
        .into_iter()
        .map(|(name, partitions)| {
            OffsetFetchResponseTopic::default()
                .with_name(name)
                .with_partitions(
                    partitions
                        .into_iter()
                        .map(|(p, o)| partition(p, o))
                        .collect(),
                )
        })
        .collect();
    Response::OffsetFetch(OffsetFetchResponse::default().with_topics(topics))
}

/// The top-level error and every group's (v8+ batches groups).
pub(super) fn error_response(req: OffsetFetchRequest, error: ResponseError) -> Response {
    let groups = req
        .groups
        .into_iter()
        .map(|g| {
            OffsetFetchResponseGroup::default()
                .with_group_id(g.group_id)
                .with_error_code(error.code())
        })
        .collect();
    Response::OffsetFetch(
        OffsetFetchResponse::default()
            .with_error_code(error.code())
            .with_groups(groups),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{Broker, NewRecord, SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequest, OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::offset_fetch_request::OffsetFetchRequestTopic;

    fn topic() -> TopicName {
        TopicName(StrBytes::from_static_str("t"))
    }

    #[test]
    fn commits_read_back_by_partition_and_in_full() {
        let mut b = Broker::new();
        b.create_topic("t", TopicConfig::new(2), 0).unwrap();
        for _ in 0..5 {
            b.append("t", 0, NewRecord::new(0, None, "v")).unwrap();
        }
        let broker = SharedBroker::new(b);
        let s = settings();
        let mut c = ctx(&broker, &s, 8);
        // A standalone consumer (no member, generation -1) commits 3 on p0, 9 (beyond the
        // log, stored as Kafka stores it) on p1, and on a partition that does not exist.
        let commit = OffsetCommitRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_generation_id_or_member_epoch(-1)
            .with_topics(vec![
                OffsetCommitRequestTopic::default()
                    .with_name(topic())
                    .with_partitions(
                        [(0, 3), (1, 9), (7, 0)]
                            .iter()
                            .map(|&(p, o)| {
                                OffsetCommitRequestPartition::default()
                                    .with_partition_index(p)
                                    .with_committed_offset(o)
                            })
                            .collect(),
                    ),
            ]);
        let Response::OffsetCommit(r) = reply(dispatch(&mut c, Request::OffsetCommit(commit)))
        else {
            panic!()
        };
        let codes: Vec<i16> = r.topics[0]
            .partitions
            .iter()
            .map(|p| p.error_code)
            .collect();
        assert_eq!(codes, [0, 0, 3]);

        let mut c = ctx(&broker, &s, 7);
        let fetch = OffsetFetchRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_topics(Some(vec![
                OffsetFetchRequestTopic::default()
                    .with_name(topic())
                    .with_partition_indexes(vec![0, 1]),
            ]));
        let Response::OffsetFetch(r) = reply(dispatch(&mut c, Request::OffsetFetch(fetch))) else {
            panic!()
        };
        let got: Vec<i64> = r.topics[0]
            .partitions
            .iter()
            .map(|p| p.committed_offset)
            .collect();
        assert_eq!(got, [3, 9]);

        let all = OffsetFetchRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_topics(None);
        let Response::OffsetFetch(r) = reply(dispatch(&mut c, Request::OffsetFetch(all))) else {
            panic!()
        };
        assert_eq!(r.topics.len(), 1);
        let all: Vec<(i32, i64)> = r.topics[0]
            .partitions
            .iter()
            .map(|p| (p.partition_index, p.committed_offset))
            .collect();
        assert_eq!(all, [(0, 3), (1, 9)]);
    }
}
