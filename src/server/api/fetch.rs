//! Fetch: the stored batches of each requested partition, long-polling until `min_bytes`
//! are there. Only the partition's leader serves it: another broker answers
//! NOT_LEADER_OR_FOLLOWER, and a stale or unknown leader epoch is refused as KIP-320 says.
//! Batches stop at the high watermark. The answer names no current leader: Kafka fills that
//! field only from v16, beside the leader's endpoint, and a client told of a node its
//! metadata lacks can stall (kafka-python 3 does), so clients find the new leader in fresh
//! metadata instead.
//!
//! The limits are Kafka's (`ReplicaManager.readFromLog`): each partition reads at most its
//! `partition_max_bytes` and what is left of the response's `max_bytes`, both counted in
//! batch bytes; until a partition has returned something, its first batch goes whole even
//! past both, so a consumer always progresses; a batch cut at a limit is sent cut, and the
//! client skips it. A partition's records start at the batch holding the fetch offset, so
//! up to a batch's worth of records before it come too. Stored batches are sent as the
//! producer sent them, sliced rather than copied; only simulated records are encoded.
//! Fetch sessions (KIP-227) are not kept: the response's session id 0 tells clients to send
//! full fetches, which is what librdkafka always sends (session id 0, epoch −1).

use bytes::{Bytes, BytesMut};
use kafka_protocol::ResponseError;
use kafka_protocol::messages::fetch_request::{FetchPartition, FetchRequest};
use kafka_protocol::messages::fetch_response::{
    FetchResponse, FetchableTopicResponse, PartitionData,
};

use super::{Outcome, RequestContext, WaitKind, Waiter, partition_index};
use crate::broker::{BrokerError, WireRead};
use crate::server::codec::Response;

/// A fetch waiting for more data.
#[derive(Debug)]
pub(super) struct FetchWait {
    req: FetchRequest,
}

/// What a response holds so far.
struct Totals {
    /// Bytes the response may still take (`max_bytes` less what it holds).
    remaining: usize,
    /// Batch bytes in the response, compared with `min_bytes` as Kafka does.
    bytes: u64,
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
            remaining: usize::try_from(self.req.max_bytes).unwrap_or(0),
            bytes: 0,
            records: 0,
            errors: false,
        };
        let mut topics = Vec::with_capacity(self.req.topics.len());
        for t in &self.req.topics {
            let partitions = t
                .partitions
                .iter()
                .map(|p| read_partition(ctx, &t.topic, p, &mut totals))
                .collect();
            topics.push(
                FetchableTopicResponse::default()
                    .with_topic(t.topic.clone())
                    .with_partitions(partitions),
            );
        }
        Built {
            response: FetchResponse::default().with_responses(topics),
            totals,
        }
    }

    /// The response if `min_bytes` are available or an error must be reported.
    pub(super) fn poll(&mut self, ctx: &mut RequestContext<'_>) -> Option<Response> {
        let built = self.build(ctx);
        // min_bytes 0 (or less) answers at once, even with nothing to send.
        let enough = built.totals.bytes >= u64::try_from(self.req.min_bytes).unwrap_or(0);
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
    totals: &mut Totals,
) -> PartitionData {
    let out = PartitionData::default()
        .with_partition_index(p.partition)
        .with_aborted_transactions(None);
    let limit = totals
        .remaining
        .min(usize::try_from(p.partition_max_bytes).unwrap_or(0));
    // Until some partition has returned data, its first batch goes whole.
    let min_one = totals.bytes == 0;
    let read = partition_index(topic, p.partition).and_then(|index| {
        let broker = ctx.broker.read();
        broker.check_leader_epoch(topic, index, ctx.broker_id, p.current_leader_epoch)?;
        broker.read_wire(topic, index, p.fetch_offset, limit, min_one)
    });
    let (read, bounds) = match read {
        Ok(r) => r,
        Err(e) => {
            totals.errors = true;
            return refused(out, e);
        }
    };
    totals.remaining = totals.remaining.saturating_sub(read.bytes);
    totals.bytes += read.bytes as u64;
    totals.records += read.records;
    out.with_high_watermark(bounds.high_watermark)
        .with_last_stable_offset(bounds.high_watermark)
        .with_log_start_offset(bounds.log_start_offset)
        .with_records(Some(joined(read)))
}

/// The partition's bytes as the one buffer the response carries: the stored batch itself
/// when there is one chunk, a copy of them all otherwise.
fn joined(read: WireRead) -> Bytes {
    match <[Bytes; 1]>::try_from(read.chunks) {
        Ok([one]) => one,
        Err(chunks) => {
            let mut buf = BytesMut::with_capacity(read.bytes);
            for c in &chunks {
                buf.extend_from_slice(c);
            }
            buf.freeze()
        }
    }
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
    let mut wait = FetchWait { req };
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
        for p in 0..2 {
            for i in 0..records {
                b.append("t", p, NewRecord::new(i as i64, None, vec![b'x'; value]))
                    .unwrap();
            }
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

    /// The offsets of the whole batches in a partition's data; a cut batch at the end is
    /// skipped, as clients skip it.
    fn offsets(data: &PartitionData) -> Vec<i64> {
        let mut bytes: Bytes = data.records.clone().unwrap_or_default();
        let mut out = Vec::new();
        while bytes.len() >= 12 {
            let len = 12 + i32::from_be_bytes(bytes[8..12].try_into().unwrap()) as usize;
            if len > bytes.len() {
                break;
            }
            let mut batch = bytes.split_to(len);
            let set = RecordBatchDecoder::decode(&mut batch).unwrap();
            out.extend(set.records.into_iter().map(|r| r.offset));
        }
        out
    }

    fn data_len(data: &PartitionData) -> usize {
        data.records.as_ref().map_or(0, Bytes::len)
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
    fn limits_count_batch_bytes_as_kafka_does() {
        let broker = broker_with(10, 100);
        // Every record here is a batch of its own, all of one size.
        let one = fetch_now(&broker, request(&[(0, 0)], 1 << 20, 1, 1));
        let b = data_len(&one.responses[0].partitions[0]);
        assert!(b > 100, "a whole batch comes past the limit: {b}");
        // Two and a half batches: the third comes cut, and clients skip it.
        let cut = (2 * b + b / 2) as i32;
        let r = fetch_now(&broker, request(&[(0, 0)], 1 << 20, cut, 1));
        let p = &r.responses[0].partitions[0];
        assert_eq!(offsets(p), vec![0, 1]);
        assert_eq!(data_len(p), cut as usize);
        let r = fetch_now(&broker, request(&[(0, 0)], 3 * b as i32, 1 << 20, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![0, 1, 2]);
        // Both partitions asked; the response limit is spent on the first.
        let r = fetch_now(&broker, request(&[(0, 0), (1, 0)], b as i32, 1 << 20, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![0]);
        assert_eq!(data_len(&r.responses[0].partitions[1]), 0);
        // Only the first partition with data gets its first batch whole past the limits;
        // the next gets what is left, cut.
        let r = fetch_now(&broker, request(&[(0, 5), (1, 0)], 10, 10, 1));
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![5]);
        assert_eq!(data_len(&r.responses[0].partitions[1]), 0);
        let r = fetch_now(
            &broker,
            request(&[(0, 5), (1, 0)], b as i32 + 10, b as i32, 1),
        );
        assert_eq!(offsets(&r.responses[0].partitions[0]), vec![5]);
        assert_eq!(data_len(&r.responses[0].partitions[1]), 10);
        assert!(offsets(&r.responses[0].partitions[1]).is_empty());
    }

    #[test]
    fn stored_batches_are_served_from_the_batch_holding_the_offset() {
        let mut b = Broker::new();
        b.create_topic("t", TopicConfig::new(2), 0).unwrap();
        b.append_batch("t", 0, (0..5).map(|i| NewRecord::new(i, None, "v")))
            .unwrap();
        let broker = SharedBroker::new(b);
        let r = fetch_now(&broker, request(&[(0, 3)], 1 << 20, 1 << 20, 1));
        let p = &r.responses[0].partitions[0];
        assert_eq!(
            offsets(p),
            vec![0, 1, 2, 3, 4],
            "the whole batch, as Kafka sends it"
        );
        let stored = broker
            .read()
            .read_wire("t", 0, 0, usize::MAX, true)
            .unwrap()
            .0;
        assert_eq!(
            p.records.as_ref().unwrap().as_ptr(),
            stored.chunks[0].as_ptr(),
            "the stored bytes themselves, not a copy"
        );
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
