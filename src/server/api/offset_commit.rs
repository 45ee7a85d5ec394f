//! OffsetCommit: store a group's committed offsets, checked partition by partition.
//!
//! As in Kafka, any offset is stored once the group, member, generation and partition are
//! accepted: admin tools and kafkajs position a group with −1 (latest), −2 (earliest) or an
//! offset past the end.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_commit_request::OffsetCommitRequest;
use kafka_protocol::messages::offset_commit_response::{
    OffsetCommitResponse, OffsetCommitResponsePartition, OffsetCommitResponseTopic,
};

use super::{RequestContext, check_instance, partition_index};
use crate::broker::TopicPartition;
use crate::server::codec::Response;
use crate::server::error_code::result_code;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: OffsetCommitRequest) -> Response {
    let mut broker = ctx.broker.write();
    let instance = req.group_instance_id.as_ref();
    let fenced = check_instance(&broker, &req.group_id, &req.member_id, instance);
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    // One commit per partition so each gets its own error code; the member
                    // and generation check is repeated, which is cheap.
                    let result = fenced
                        .clone()
                        .and_then(|_| partition_index(&t.name, p.partition_index))
                        .and_then(|i| {
                            broker.commit_client_offsets(
                                &req.group_id,
                                &req.member_id,
                                req.generation_id_or_member_epoch,
                                &[(
                                    TopicPartition::new(t.name.to_string(), i),
                                    p.committed_offset,
                                )],
                                ctx.now_ms,
                            )
                        });
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(result_code(&result))
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    Response::OffsetCommit(OffsetCommitResponse::default().with_topics(topics))
}

/// Every partition carries `error`.
pub(super) fn error_response(req: OffsetCommitRequest, error: ResponseError) -> Response {
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    OffsetCommitResponsePartition::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(error.code())
                })
                .collect();
            OffsetCommitResponseTopic::default()
                .with_name(t.name)
                .with_topic_id(t.topic_id)
                .with_partitions(partitions)
        })
        .collect();
    Response::OffsetCommit(OffsetCommitResponse::default().with_topics(topics))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{
        AssignorKind, JoinGroupRequest, JoinOutcome, NewRecord, SharedBroker, SyncAssignment,
        TopicConfig,
    };
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::offset_commit_request::{
        OffsetCommitRequestPartition, OffsetCommitRequestTopic,
    };
    use kafka_protocol::messages::{GroupId, TopicName};
    use kafka_protocol::protocol::StrBytes;

    fn commit(group: &str, member: &str, generation: i32, offsets: &[(i32, i64)]) -> Request {
        let partitions = offsets
            .iter()
            .map(|&(p, o)| {
                OffsetCommitRequestPartition::default()
                    .with_partition_index(p)
                    .with_committed_offset(o)
            })
            .collect();
        Request::OffsetCommit(
            OffsetCommitRequest::default()
                .with_group_id(GroupId(StrBytes::from_string(group.to_string())))
                .with_member_id(StrBytes::from_string(member.to_string()))
                .with_generation_id_or_member_epoch(generation)
                .with_topics(vec![
                    OffsetCommitRequestTopic::default()
                        .with_name(TopicName(StrBytes::from_static_str("t")))
                        .with_partitions(partitions),
                ]),
        )
    }

    fn codes(r: Response) -> Vec<i16> {
        let Response::OffsetCommit(r) = r else {
            panic!("wrong response type {r:?}")
        };
        r.topics[0]
            .partitions
            .iter()
            .map(|p| p.error_code)
            .collect()
    }

    /// A member commits what a kafkajs `setOffsets` commits: the sentinels and an offset past
    /// the end; Kafka stores them all, and so do we.
    #[test]
    fn any_offset_from_an_accepted_committer_is_stored() {
        let broker = SharedBroker::default();
        let (member, generation) = {
            let mut b = broker.write();
            b.create_topic("t", TopicConfig::new(3), 0).unwrap();
            b.append("t", 0, NewRecord::new(0, None, "v")).unwrap();
            let topics = ["t".to_string()];
            let req = JoinGroupRequest::consumer("g", "c", &topics, "range");
            let JoinOutcome::Joined(j) = b.join_group(req, 0).unwrap() else {
                panic!("a lone member joins at once")
            };
            let compute = SyncAssignment::Compute(AssignorKind::Range);
            b.sync_group("g", &j.member_id, j.generation, compute, 0)
                .unwrap();
            (j.member_id, j.generation)
        };
        let s = settings();
        let mut c = ctx(&broker, &s, 8);
        let offsets = [(0, -2), (1, -1), (2, 100)];
        let r = reply(dispatch(&mut c, commit("g", &member, generation, &offsets)));
        assert_eq!(codes(r), [0, 0, 0]);
        let stored: Vec<i64> = broker
            .read()
            .group("g")
            .unwrap()
            .offsets()
            .values()
            .map(|c| c.offset)
            .collect();
        assert_eq!(stored, [-2, -1, 100]);

        // An admin may not commit while the group has members, as in Kafka.
        let r = reply(dispatch(&mut c, commit("g", "", -1, &[(0, 0)])));
        assert_eq!(codes(r), [25]);
        // A stale member is refused whatever it commits.
        let r = reply(dispatch(
            &mut c,
            commit("g", &member, generation + 1, &[(0, 0)]),
        ));
        assert_eq!(codes(r), [22]);
    }
}
