//! Produce: check each partition's batches and append them, as they are, at the
//! partition's leader.
//!
//! Batches are checked (and copied into buffers of their own) before the write lock is
//! taken, so the lock covers only giving them offsets. Nothing is decompressed: a
//! compressed batch is stored and served compressed. A partition whose data holds any bad
//! batch gets CORRUPT_MESSAGE and appends nothing; the other partitions keep theirs.
//! A broker that does not lead the partition answers NOT_LEADER_OR_FOLLOWER, an offline
//! partition LEADER_NOT_AVAILABLE, and `acks=all` with the ISR below `min.insync.replicas`
//! NOT_ENOUGH_REPLICAS (nothing appended). `acks=1` is answered at the append; `acks=all`
//! waits until the high watermark covers the batch (at once where the leader is alone in
//! sync), or answers REQUEST_TIMED_OUT after the request's timeout; acks=0 gets no response
//! at all.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::produce_request::ProduceRequest;
use kafka_protocol::messages::produce_response::{
    PartitionProduceResponse, ProduceResponse, TopicProduceResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::{Outcome, RequestContext, WaitKind, Waiter, ensure_topic, partition_index};
use crate::broker::{
    Acks, BrokerError, ProduceOptions, ProduceWait as Status, Produced, ProducedBatch, ProducerId,
};
use crate::server::codec::Response;

/// Every network client's records count in one tally: the wire tells clients what became
/// of their records itself, and one tally keeps the broker's bookkeeping bounded.
const NETWORK_PRODUCER: ProducerId = ProducerId(ProducerId::NETWORK_BASE);

/// An `acks=all` produce waiting for the high watermark to cover its batches.
#[derive(Debug)]
pub(super) struct ProduceWait {
    responses: Vec<TopicProduceResponse>,
    pending: Vec<Pending>,
}

/// One partition's batch not yet answered, and where its answer goes.
#[derive(Debug)]
struct Pending {
    topic: usize,
    slot: usize,
    partition: u32,
    produced: Produced,
}

impl ProduceWait {
    /// The response once every batch is acknowledged or failed.
    pub(super) fn poll(&mut self, ctx: &mut RequestContext<'_>) -> Option<Response> {
        let broker = ctx.broker.read();
        let responses = &mut self.responses;
        self.pending.retain(|p| {
            let t = &mut responses[p.topic];
            let (name, out) = (&t.name, &mut t.partition_responses[p.slot]);
            match broker.produce_status(name, p.partition, &p.produced) {
                Ok(Status::Waiting) => return true,
                Ok(Status::Acknowledged) => {
                    out.base_offset = p.produced.base_offset;
                    out.log_start_offset =
                        (broker.partition(name, p.partition)).map_or(-1, |l| l.log_start_offset());
                }
                Ok(Status::Failed(e)) | Err(e) => fail(out, &e),
            }
            false
        });
        drop(broker);
        self.pending.is_empty().then(|| self.response())
    }

    /// The response at the request's timeout: batches still waiting get REQUEST_TIMED_OUT.
    /// Their records stay in the log, as Kafka's do; the client may send them again.
    pub(super) fn timed_out(&mut self) -> Response {
        for p in self.pending.drain(..) {
            let out = &mut self.responses[p.topic].partition_responses[p.slot];
            out.error_code = ResponseError::RequestTimedOut.code();
        }
        self.response()
    }

    fn response(&mut self) -> Response {
        Response::Produce(
            ProduceResponse::default().with_responses(std::mem::take(&mut self.responses)),
        )
    }
}

fn fail(out: &mut PartitionProduceResponse, e: &BrokerError) {
    out.error_code = e.kafka_code();
    out.error_message = Some(StrBytes::from_string(e.to_string()));
}

/// One partition's part of a request, as it came.
struct Batch {
    index: i32,
    data: Option<bytes::Bytes>,
    acks: Acks,
}

/// Appends one partition's batches; returns its answer and, for `acks=all` not yet
/// acknowledged, the batches to wait for.
fn append(
    ctx: &mut RequestContext<'_>,
    topic: &str,
    batch: Batch,
) -> (PartitionProduceResponse, Option<(u32, Produced)>) {
    let mut resp = PartitionProduceResponse::default()
        .with_index(batch.index)
        .with_base_offset(-1)
        .with_log_append_time_ms(-1)
        .with_log_start_offset(-1);
    let partition = match ensure_topic(ctx, topic).and_then(|_| partition_index(topic, batch.index))
    {
        Ok(p) => p,
        Err(e) => {
            fail(&mut resp, &e);
            return (resp, None);
        }
    };
    let batches = match ProducedBatch::split(batch.data.as_deref().unwrap_or_default()) {
        Ok(b) => b,
        Err(e) => {
            resp.error_code = ResponseError::CorruptMessage.code();
            resp.error_message = Some(StrBytes::from_string(e.to_string()));
            return (resp, None);
        }
    };
    let count: u64 = batches.iter().map(|b| u64::from(b.info().records)).sum();
    let bytes: u64 = batches.iter().map(|b| b.len() as u64).sum();
    let options = ProduceOptions {
        acks: batch.acks,
        producer: NETWORK_PRODUCER,
        via: Some(ctx.broker_id),
    };
    let mut broker = ctx.broker.write();
    match broker.produce_batches(topic, partition, batches, options, ctx.now_ms) {
        Ok(produced) => {
            ctx.effects.produced_records += count;
            ctx.effects.produced_bytes += bytes;
            if batch.acks == Acks::All && !produced.acknowledged {
                return (resp, Some((partition, produced)));
            }
            let start = broker
                .partition(topic, partition)
                .map_or(0, |p| p.log_start_offset());
            (
                resp.with_base_offset(produced.base_offset)
                    .with_log_start_offset(start),
                None,
            )
        }
        Err(e) => {
            fail(&mut resp, &e);
            (resp, None)
        }
    }
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: ProduceRequest) -> Outcome {
    // Values other than 0 and -1 are taken as 1, as they always were here.
    let acks = Acks::from_kafka(req.acks).unwrap_or(Acks::Leader);
    let mut responses = Vec::with_capacity(req.topic_data.len());
    let mut pending = Vec::new();
    for (topic, t) in req.topic_data.into_iter().enumerate() {
        let mut partitions = Vec::with_capacity(t.partition_data.len());
        for (slot, p) in t.partition_data.into_iter().enumerate() {
            let batch = Batch {
                index: p.index,
                data: p.records,
                acks,
            };
            let (resp, waiting) = append(ctx, &t.name, batch);
            partitions.push(resp);
            if let Some((partition, produced)) = waiting {
                pending.push(Pending {
                    topic,
                    slot,
                    partition,
                    produced,
                });
            }
        }
        responses.push(
            TopicProduceResponse::default()
                .with_name(t.name)
                .with_partition_responses(partitions),
        );
    }
    if acks == Acks::None {
        return Outcome::NoReply;
    }
    let mut wait = ProduceWait { responses, pending };
    if wait.pending.is_empty() {
        return Outcome::Reply(wait.response());
    }
    Outcome::Wait(Waiter {
        kind: WaitKind::Produce(wait),
        deadline_ms: ctx.now_ms + i64::from(req.timeout_ms.max(0)),
    })
}

/// Every partition carries `error`, except that acks=0 still gets no response at all.
pub(super) fn error_response(req: ProduceRequest, error: ResponseError) -> Outcome {
    if req.acks == 0 {
        return Outcome::NoReply;
    }
    let responses = req
        .topic_data
        .into_iter()
        .map(|t| {
            let partitions = t
                .partition_data
                .iter()
                .map(|p| {
                    PartitionProduceResponse::default()
                        .with_index(p.index)
                        .with_error_code(error.code())
                        .with_base_offset(-1)
                })
                .collect();
            TopicProduceResponse::default()
                .with_name(t.name)
                .with_topic_id(t.topic_id)
                .with_partition_responses(partitions)
        })
        .collect();
    Outcome::Reply(Response::Produce(
        ProduceResponse::default().with_responses(responses),
    ))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::broker::{NewRecord, SharedBroker};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use bytes::Bytes;
    use kafka_protocol::messages::TopicName;
    use kafka_protocol::messages::produce_request::{PartitionProduceData, TopicProduceData};

    /// One batch of keyed `values`, as a client would send it.
    pub(crate) fn batch(values: &[&str]) -> Bytes {
        let mut log = crate::broker::PartitionLog::new();
        log.append_batch(
            values
                .iter()
                .map(|v| NewRecord::new(5, Some(Bytes::from_static(b"k")), v.to_string())),
        );
        let read = log.read_wire(0, usize::MAX, true).unwrap();
        Bytes::from(read.chunks.concat())
    }

    fn request(acks: i16, topic: &str, partition: i32, records: Bytes) -> ProduceRequest {
        ProduceRequest::default()
            .with_acks(acks)
            .with_topic_data(vec![
                TopicProduceData::default()
                    .with_name(TopicName(StrBytes::from_string(topic.to_string())))
                    .with_partition_data(vec![
                        PartitionProduceData::default()
                            .with_index(partition)
                            .with_records(Some(records)),
                    ]),
            ])
    }

    #[test]
    fn appends_and_reports_the_base_offset() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 9);
        for expected_base in [0, 2] {
            let Response::Produce(r) = reply(dispatch(
                &mut c,
                Request::Produce(request(1, "t", 1, batch(&["a", "b"]))),
            )) else {
                panic!("wrong response type");
            };
            let p = &r.responses[0].partition_responses[0];
            assert_eq!((p.error_code, p.base_offset), (0, expected_base));
        }
        assert_eq!(c.effects.produced_records, 4);
        let b = broker.read();
        let log = b.partition("t", 1).unwrap();
        assert_eq!(log.high_watermark(), 4);
        assert_eq!(log.get(3).unwrap().value().unwrap().as_ref(), b"b");
    }

    #[test]
    fn acks_zero_gets_no_response_but_still_appends() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 3);
        let out = dispatch(&mut c, Request::Produce(request(0, "t", 0, batch(&["x"]))));
        assert!(matches!(out, Outcome::NoReply));
        assert_eq!(broker.read().partition("t", 0).unwrap().high_watermark(), 1);
    }

    #[test]
    fn bad_partitions_and_corrupt_batches_lose_nothing_else() {
        let broker = SharedBroker::default();
        let s = settings();
        let mut c = ctx(&broker, &s, 9);
        let mut req = request(-1, "t", 0, batch(&["ok"]));
        let mut bad_partition = req.topic_data[0].partition_data[0].clone();
        bad_partition.index = 7;
        let mut corrupt = req.topic_data[0].partition_data[0].clone();
        corrupt.index = 1;
        corrupt.records = Some(Bytes::from_static(b"not a batch at all, clearly"));
        req.topic_data[0].partition_data.push(bad_partition);
        req.topic_data[0].partition_data.push(corrupt);
        let Response::Produce(r) = reply(dispatch(&mut c, Request::Produce(req))) else {
            panic!("wrong response type");
        };
        let codes: Vec<i16> = r.responses[0]
            .partition_responses
            .iter()
            .map(|p| p.error_code)
            .collect();
        assert_eq!(codes, [0, 3, 2]);
        assert_eq!(broker.read().partition("t", 0).unwrap().high_watermark(), 1);
        assert_eq!(broker.read().partition("t", 1).unwrap().high_watermark(), 0);
    }

    #[test]
    fn without_auto_create_an_unknown_topic_is_refused() {
        let broker = SharedBroker::default();
        let mut s = settings();
        s.auto_create_topics = false;
        let mut c = ctx(&broker, &s, 9);
        let Response::Produce(r) = reply(dispatch(
            &mut c,
            Request::Produce(request(1, "nope", 0, batch(&["x"]))),
        )) else {
            panic!("wrong response type");
        };
        assert_eq!(r.responses[0].partition_responses[0].error_code, 3);
        assert!(broker.read().topic("nope").is_none());
    }
}
