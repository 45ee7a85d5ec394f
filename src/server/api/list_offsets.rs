//! ListOffsets: earliest (-2), latest (-1), or the first offset at or after a timestamp.
//!
//! Only the partition's leader answers (NOT_LEADER_OR_FOLLOWER elsewhere), and every answer
//! stops at the high watermark ("latest" is the high watermark). In a cluster each answer
//! carries the leader epoch (v4+). Finding a timestamp inside a compressed batch
//! decompresses it, at most `max_decoded_bytes` of it; past that the batch's first offset
//! answers, the earliest the record could be.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::list_offsets_request::ListOffsetsRequest;
use kafka_protocol::messages::list_offsets_response::{
    ListOffsetsPartitionResponse, ListOffsetsResponse, ListOffsetsTopicResponse,
};

use super::{RequestContext, nodes, partition_index};
use crate::broker::OffsetSpec;
use crate::server::codec::Response;

const LATEST: i64 = -1;
const EARLIEST: i64 = -2;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: ListOffsetsRequest) -> Response {
    let broker = ctx.broker.read();
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    let out = ListOffsetsPartitionResponse::default()
                        .with_partition_index(p.partition_index);
                    let spec = match p.timestamp {
                        LATEST => OffsetSpec::Latest,
                        EARLIEST => OffsetSpec::Earliest,
                        ts if ts >= 0 => OffsetSpec::Timestamp(ts),
                        // -3 (max timestamp) and other special values are not implemented.
                        _ => return out.with_error_code(ResponseError::InvalidRequest.code()),
                    };
                    let found = partition_index(&t.name, p.partition_index).and_then(|i| {
                        let via = ctx.broker_id;
                        broker.check_leader_epoch(&t.name, i, via, p.current_leader_epoch)?;
                        let log = broker.partition(&t.name, i)?;
                        let found = match spec {
                            OffsetSpec::Timestamp(ts) => {
                                log.offset_for_timestamp(ts, ctx.settings.max_decoded_bytes)
                            }
                            _ => log.list_offset(spec).map(|o| (o, -1)),
                        };
                        Ok((i, found))
                    });
                    match found {
                        Err(e) => out.with_error_code(e.kafka_code()),
                        Ok((_, None)) => out,
                        Ok((i, Some((offset, timestamp)))) => {
                            let out = out.with_offset(offset).with_timestamp(timestamp);
                            match broker.replica_set(&t.name, i) {
                                // Leader epochs came with v4.
                                Ok(rs) if ctx.version >= 4 => {
                                    out.with_leader_epoch(nodes::leader_epoch(&broker, rs))
                                }
                                _ => out,
                            }
                        }
                    }
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    Response::ListOffsets(ListOffsetsResponse::default().with_topics(topics))
}

/// Every asked partition carries `error`.
pub(super) fn error_response(req: ListOffsetsRequest, error: ResponseError) -> Response {
    let topics = req
        .topics
        .into_iter()
        .map(|t| {
            let partitions = t
                .partitions
                .iter()
                .map(|p| {
                    ListOffsetsPartitionResponse::default()
                        .with_partition_index(p.partition_index)
                        .with_error_code(error.code())
                })
                .collect();
            ListOffsetsTopicResponse::default()
                .with_name(t.name)
                .with_partitions(partitions)
        })
        .collect();
    Response::ListOffsets(ListOffsetsResponse::default().with_topics(topics))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{Broker, NewRecord, SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::messages::list_offsets_request::{ListOffsetsPartition, ListOffsetsTopic};
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn earliest_latest_and_by_timestamp() {
        let mut b = Broker::new();
        b.create_topic("t", TopicConfig::new(1), 0).unwrap();
        for ts in [100, 200, 300] {
            b.append("t", 0, NewRecord::new(ts, None, "v")).unwrap();
        }
        let broker = SharedBroker::new(b);
        let asks = [
            (EARLIEST, 0),
            (LATEST, 0),
            (150, 0),
            (999, 0),
            (LATEST, 4),
            (-3, 0),
        ];
        let req = ListOffsetsRequest::default().with_topics(vec![
            ListOffsetsTopic::default()
                .with_name(TopicName(StrBytes::from_static_str("t")))
                .with_partitions(
                    asks.iter()
                        .map(|&(ts, p)| {
                            ListOffsetsPartition::default()
                                .with_partition_index(p)
                                .with_timestamp(ts)
                        })
                        .collect(),
                ),
        ]);
        let s = settings();
        let mut c = ctx(&broker, &s, 7);
        let Response::ListOffsets(r) = reply(dispatch(&mut c, Request::ListOffsets(req))) else {
            panic!("wrong response type");
        };
        let got: Vec<(i16, i64, i64)> = r.topics[0]
            .partitions
            .iter()
            .map(|p| (p.error_code, p.offset, p.timestamp))
            .collect();
        assert_eq!(
            got,
            [
                (0, 0, -1),
                (0, 3, -1),
                (0, 1, 200),
                (0, -1, -1),
                (3, -1, -1),
                (42, -1, -1)
            ]
        );
    }
}
