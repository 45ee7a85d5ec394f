//! Fetch: records from each requested partition, long-polling until `min_bytes` are there.
//! Only the partition's leader serves it: another broker answers NOT_LEADER_OR_FOLLOWER,
//! and a stale or unknown leader epoch is refused as KIP-320 says. Records stop at the high
//! watermark. The answer names no current leader: Kafka fills that field only from v16,
//! beside the leader's endpoint, and a client told of a node its metadata lacks can stall
//! (kafka-python 3 does), so clients find the new leader in fresh metadata instead.
//!
//! Byte limits count record payloads (key, value, headers), as the broker's fetch does; the
//! first record of a response is always returned so a large record cannot stall a consumer.
//! Fetch sessions are not kept: the response's session id 0 tells clients to send full fetches.

use bytes::BytesMut;
use kafka_protocol::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchRequest};
use kafka_protocol::messages::fetch_response::{
    FetchResponse, FetchableTopicResponse, PartitionData,
};
use kafka_protocol::records::Record as WireRecord;

use super::{Outcome, RequestContext, WaitKind, Waiter, partition_index};
use crate::broker::{BrokerError, Record};
use crate::server::codec::Response;
use crate::server::records::encode_batch;

/// A fetch waiting for more data.
#[derive(Debug)]
pub(super) struct FetchWait {
    req: FetchRequest,
    scratch: Scratch,
}

/// Buffers reused from one look at the log to the next.
#[derive(Debug, Default)]
struct Scratch {
    records: Vec<Record>,
    wire: Vec<WireRecord>,
}

/// What a response holds so far.
struct Totals {
    /// Payload bytes the response may still take (`max_bytes` less what it holds).
    remaining: u64,
    /// Payload bytes, counted against the byte limits and in the client's stats.
    bytes: u64,
    /// Bytes on the wire, compared with `min_bytes` as Kafka does (so even records with
    /// empty payloads satisfy a waiting fetch).
    encoded: u64,
    records: u64,
    errors: bool,
}

struct Built {
    response: FetchResponse,
    totals: Totals,
}

impl FetchWait {
    fn build(&mut self, ctx: &RequestContext<'_>) -> Built {
        let mut totals = Totals {
            remaining: u64::try_from(self.req.max_bytes).unwrap_or(0),
            bytes: 0,
            encoded: 0,
            records: 0,
            errors: false,
        };
        let mut topics = Vec::with_capacity(self.req.topics.len());
        for t in &self.req.topics {
            let partitions = t
                .partitions
                .iter()
                .map(|p| read_partition(ctx, &t.topic, p, &mut self.scratch, &mut totals))
                .collect();
            topics.push(
                FetchableTopicResponse::default()
                    .with_topic(t.topic.clone())
                    .with_partitions(partitions),
            );
        }
        self.scratch.records.clear();
        Built {
            response: FetchResponse::default().with_responses(topics),
            totals,
        }
    }

    /// The response if `min_bytes` are available or an error must be reported.
    pub(super) fn poll(&mut self, ctx: &mut RequestContext<'_>) -> Option<Response> {
        let built = self.build(ctx);
        // min_bytes 0 (or less) answers at once, even with nothing to send.
        let enough = built.totals.encoded >= u64::try_from(self.req.min_bytes).unwrap_or(0);
        (enough || built.totals.errors).then(|| finish(ctx, built))
    }

    /// The response at the deadline: whatever is there, possibly nothing.
    pub(super) fn complete(&mut self, ctx: &mut RequestContext<'_>) -> Response {
        let built = self.build(ctx);
        finish(ctx, built)
    }
}

/// One partition's part of the response, within what the response may still take.
fn read_partition(
    ctx: &RequestContext<'_>,
    topic: &str,
    p: &FetchPartition,
    scratch: &mut Scratch,
    totals: &mut Totals,
) -> PartitionData {
    let out = PartitionData::default()
        .with_partition_index(p.partition)
        .with_aborted_transactions(None);
    scratch.records.clear();
    let limit = totals
        .remaining
        .min(u64::try_from(p.partition_max_bytes).unwrap_or(0));
    let fetched = partition_index(topic, p.partition).and_then(|index| {
        let broker = ctx.broker.read();
        broker.check_leader_epoch(topic, index, ctx.broker_id, p.current_leader_epoch)?;
        if limit == 0 && totals.bytes > 0 {
            // The response is full: report the bounds, read nothing.
            return broker.partition(topic, index).map(|l| l.bounds());
        }
        broker.fetch_into(
            topic,
            index,
            p.fetch_offset,
            usize::MAX,
            limit.max(1),
            &mut scratch.records,
        )
    });
    let bounds = match fetched {
        Ok(b) => b,
        Err(e) => {
            totals.errors = true;

            return refused(out, e);
        }
    };
    let bytes: u64 = scratch
        .records
        .iter()
        .map(|r| u64::from(r.size_bytes()))
        .sum();
    let mut buf = BytesMut::new();
    if let Err(reason) = encode_batch(&scratch.records, &mut buf, &mut scratch.wire) {
        // Our own records always encode; if not, say so rather than send garbage.
        totals.errors = true;
        debug_assert!(false, "encoding stored records failed: {reason}");
        return out
            .with_error_code(ResponseError::CorruptMessage.code())
            .with_high_watermark(bounds.high_watermark);
    }
    totals.remaining = totals.remaining.saturating_sub(bytes);
    totals.encoded += buf.len() as u64;
    totals.bytes += bytes;
    totals.records += scratch.records.len() as u64;
    out.with_high_watermark(bounds.high_watermark)
        .with_last_stable_offset(bounds.high_watermark)
        .with_log_start_offset(bounds.log_start_offset)
        .with_records(Some(buf.freeze()))
}

/// A partition the broker refused to read, with the log's bounds when it knows them.
fn refused(out: PartitionData, e: BrokerError) -> PartitionData {
    let out = out.with_error_code(e.kafka_code());
    match e {
        BrokerError::OffsetOutOfRange {
            log_start_offset,
            high_watermark,
            ..
        } => out
            .with_high_watermark(high_watermark)
            .with_last_stable_offset(high_watermark)
            .with_log_start_offset(log_start_offset),
        _ => out.with_high_watermark(-1),
    }
}

fn finish(ctx: &mut RequestContext<'_>, built: Built) -> Response {
    ctx.effects.fetched_records += built.totals.records;
    ctx.effects.fetched_bytes += built.totals.bytes;
    Response::Fetch(built.response)
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: FetchRequest) -> Outcome {
    let deadline_ms = ctx.now_ms + i64::from(req.max_wait_ms.max(0));
    let mut wait = FetchWait {
        req,
        scratch: Scratch::default(),
    };
    if let Some(response) = wait.poll(ctx) {
        return Outcome::Reply(response);
    }
    Outcome::Wait(Waiter {
        kind: WaitKind::Fetch(wait),
        deadline_ms,
    })
}

/// Only a top-level error: every Fetch version beyond ours has one, and per-partition errors
/// would need the topic ids those versions name topics by.
pub(super) fn error_response(_req: FetchRequest, error: ResponseError) -> Response {
    Response::Fetch(FetchResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{Broker, NewRecord, SharedBroker, TopicConfig};
    use crate::server::api::testing::*;
    use crate::server::api::{Wake, dispatch};
    use crate::server::codec::Request;
    use bytes::Bytes;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::messages::fetch_request::{FetchPartition, FetchTopic};
    use kafka_protocol::protocol::StrBytes;
    use kafka_protocol::records::RecordBatchDecoder;

    fn broker_with(records: usize, value: usize) -> SharedBroker {
        let mut b = Broker::new();
        b.create_topic("t", TopicConfig::new(2), 0).unwrap();
        for i in 0..records {
            b.append("t", 0, NewRecord::new(i as i64, None, vec![b'x'; value]))
                .unwrap();
        }
        SharedBroker::new(b)
    }

    fn request(
        parts: &[(i32, i64)],
        max_bytes: i32,
        part_max: i32,
        min_bytes: i32,
    ) -> FetchRequest {
        FetchRequest::default()
            .with_max_wait_ms(500)
            .with_min_bytes(min_bytes)
            .with_max_bytes(max_bytes)
            .with_topics(vec![
                FetchTopic::default()
                    .with_topic(TopicName(StrBytes::from_static_str("t")))
                    .with_partitions(
                        parts
                            .iter()
                            .map(|&(p, o)| {
                                FetchPartition::default()
                                    .with_partition(p)
                                    .with_fetch_offset(o)
                                    .with_partition_max_bytes(part_max)
                            })
                            .collect(),
                    ),
            ])
    }

    fn offsets(data: &PartitionData) -> Vec<i64> {
        let mut bytes: Bytes = data.records.clone().unwrap_or_default();
        RecordBatchDecoder::decode_all(&mut bytes)
            .unwrap()
            .into_iter()
            .flat_map(|s| s.records.into_iter().map(|r| r.offset))
            .collect()
    }

    fn fetch_now(broker: &SharedBroker, req: FetchRequest) -> FetchResponse {
        let s = settings();
        let mut c = ctx(broker, &s, 12);
        let Response::Fetch(r) = reply(dispatch(&mut c, Request::Fetch(req))) else {
            panic!("wrong response type");
        };
        r
    }

    #[test]
    fn returns_records_in_order_from_the_offset() {
        let broker = broker_with(10, 10);
        let r = fetch_now(&broker, request(&[(0, 4)], 1 << 20, 1 << 20, 1));
        let p = &r.responses[0].partitions[0];
        assert_eq!(p.high_watermark, 10);
        assert_eq!(offsets(p), (4..10).collect::<Vec<_>>());
    }

    #[test]
    fn respects_partition_and_response_byte_limits() {
        let broker = broker_with(10, 100);
        let r = fetch_now(&broker, request(&[(0, 0)], 1 << 20, 250, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![0, 1]);
        let r = fetch_now(&broker, request(&[(0, 0)], 350, 1 << 20, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![0, 1, 2]);
        // Both partitions asked; the response limit is spent on the first.
        let r = fetch_now(&broker, request(&[(0, 0), (1, 0)], 100, 1 << 20, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![0]);
        assert!(offsets(&r.responses[0].partitions[1]).is_empty());
        // A record larger than every limit still comes back alone, so consumers progress.
        let r = fetch_now(&broker, request(&[(0, 5)], 10, 10, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![5]);
    }

    #[test]
    fn out_of_range_and_unknown_partitions_answer_at_once() {
        let broker = broker_with(3, 1);
        let r = fetch_now(&broker, request(&[(0, 99), (5, 0)], 1 << 20, 1 << 20, 1000));
        let p = &r.responses[0].partitions;
        assert_eq!(p[0].error_code, 1);
        assert_eq!(p[0].high_watermark, 3);
        assert_eq!(p[1].error_code, 3);
    }

    #[test]
    fn waits_for_min_bytes_then_completes_after_an_append() {
        let broker = broker_with(0, 0);
        let s = settings();
        let mut c = ctx(&broker, &s, 12);
        let Outcome::Wait(mut w) = dispatch(
            &mut c,
            Request::Fetch(request(&[(0, 0)], 1 << 20, 1 << 20, 1)),
        ) else {
            panic!("an empty log must make the fetch wait");
        };
        assert_eq!(w.wakes_on(), Wake::Appends);
        assert_eq!(w.deadline_ms(), 1_500);
        assert!(w.poll(&mut c).is_none());
        broker
            .write()
            .append("t", 0, NewRecord::new(0, None, "hi"))
            .unwrap();
        let Some(Response::Fetch(r)) = w.poll(&mut c) else {
            panic!("the append must complete the fetch");
        };
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![0]);
        assert_eq!(c.effects.fetched_records, 1);
    }

    #[test]
    fn min_bytes_zero_answers_at_once_and_empty_records_satisfy_min_bytes() {
        let broker = broker_with(0, 0);
        let r = fetch_now(&broker, request(&[(0, 0)], 1 << 20, 1 << 20, 0));
        assert!(offsets(&r.responses[0].partitions[0]).is_empty());
        // A record with neither key nor value still completes a fetch waiting for 1 byte.
        let broker = broker_with(1, 0);
        let r = fetch_now(&broker, request(&[(0, 0)], 1 << 20, 1 << 20, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![0]);
    }

    #[test]
    fn at_the_deadline_answers_with_whatever_is_there() {
        let broker = broker_with(0, 0);
        let s = settings();
        let mut c = ctx(&broker, &s, 12);
        let Outcome::Wait(w) = dispatch(
            &mut c,
            Request::Fetch(request(&[(0, 0)], 1 << 20, 1 << 20, 1)),
        ) else {
            panic!("must wait");
        };
        let Response::Fetch(r) = w.expire(&mut c) else {
            panic!("wrong response type");
        };
        assert_eq!(r.responses[0].partitions[0].error_code, 0);
        assert!(offsets(&r.responses[0].partitions[0]).is_empty());
    }
}
