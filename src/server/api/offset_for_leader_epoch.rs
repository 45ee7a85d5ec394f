//! OffsetForLeaderEpoch: where a leader epoch ended, from the partition's epoch history.
//!
//! After a leader change a client (librdkafka, the Java consumer) asks the new leader where
//! the epoch of its position ended: a position past that end was cut by the election, and
//! the client resets it (KIP-320). Only the leader answers (NOT_LEADER_OR_FOLLOWER
//! elsewhere); a stale `current_leader_epoch` is FENCED_LEADER_EPOCH. An epoch older than
//! any remembered gets the undefined answer, epoch and offset -1.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_for_leader_epoch_request::{
    OffsetForLeaderEpochRequest, OffsetForLeaderPartition,
};
use kafka_protocol::messages::offset_for_leader_epoch_response::{
    EpochEndOffset, OffsetForLeaderEpochResponse, OffsetForLeaderTopicResult,
};

use super::{RequestContext, partition_index};
use crate::broker::Broker;
use crate::server::codec::Response;

fn end_of_epoch(
    ctx: &RequestContext<'_>,
    broker: &Broker,
    topic: &str,
    p: &OffsetForLeaderPartition,
) -> EpochEndOffset {
    let out = EpochEndOffset::default()
        .with_partition(p.partition)
        .with_leader_epoch(-1)
        .with_end_offset(-1);
    let found = partition_index(topic, p.partition).and_then(|index| {
        broker.check_leader_epoch(topic, index, ctx.broker_id, p.current_leader_epoch)?;
        broker.end_offset_for_epoch(topic, index, p.leader_epoch)
    });
    match found {
        Ok(Some((epoch, end))) => out.with_leader_epoch(epoch).with_end_offset(end),
        Ok(None) => out,
        Err(e) => out.with_error_code(e.kafka_code()),
    }
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: OffsetForLeaderEpochRequest) -> Response {
    let broker = ctx.broker.read();
    let topics = (req.topics.into_iter())
        .map(|t| {
            let partitions = (t.partitions.iter())
                .map(|p| end_of_epoch(ctx, &broker, &t.topic, p))
                .collect();
            OffsetForLeaderTopicResult::default()
                .with_topic(t.topic)
                .with_partitions(partitions)
        })
        .collect();
    Response::OffsetForLeaderEpoch(OffsetForLeaderEpochResponse::default().with_topics(topics))
}

/// Every asked partition carries `error`.
pub(super) fn error_response(req: OffsetForLeaderEpochRequest, error: ResponseError) -> Response {
    let topics = (req.topics.into_iter())
        .map(|t| {
            let partitions = (t.partitions.iter())
                .map(|p| {
                    EpochEndOffset::default()
                        .with_partition(p.partition)
                        .with_error_code(error.code())
                        .with_leader_epoch(-1)
                        .with_end_offset(-1)
                })
                .collect();
            OffsetForLeaderTopicResult::default()
                .with_topic(t.topic)
                .with_partitions(partitions)
        })
        .collect();
    Response::OffsetForLeaderEpoch(OffsetForLeaderEpochResponse::default().with_topics(topics))
}
