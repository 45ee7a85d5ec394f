//! OffsetCommit: store a group's committed offsets, checked partition by partition.

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
                            broker.commit_offsets(
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
