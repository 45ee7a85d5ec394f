//! Produce: check each partition's batches and append them as they are.
//!
//! Batches are checked (and copied into buffers of their own) before the write lock is
//! taken, so the lock covers only giving them offsets. Nothing is decompressed: a
//! compressed batch is stored and served compressed. A partition whose data holds any bad
//! batch gets CORRUPT_MESSAGE and appends nothing; the other partitions keep theirs.
//! With one replica, acks=1 and acks=-1 are the same; acks=0 gets no response at all.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::produce_request::ProduceRequest;
use kafka_protocol::messages::produce_response::{
    PartitionProduceResponse, ProduceResponse, TopicProduceResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::{Outcome, RequestContext, ensure_topic, partition_index};
use crate::broker::ProducedBatch;
use crate::server::codec::Response;

fn append(
    ctx: &mut RequestContext<'_>,
    topic: &str,
    index: i32,
    data: Option<bytes::Bytes>,
) -> PartitionProduceResponse {
    let resp = PartitionProduceResponse::default()
        .with_index(index)
        .with_base_offset(-1)
        .with_log_append_time_ms(-1)
        .with_log_start_offset(-1);
    let fail = |code: i16, message: String| {
        resp.clone()
            .with_error_code(code)
            .with_error_message(Some(StrBytes::from_string(message)))
    };
    let partition = match ensure_topic(ctx, topic).and_then(|_| partition_index(topic, index)) {
        Ok(p) => p,
        Err(e) => return fail(e.kafka_code(), e.to_string()),
    };
    let batches = match ProducedBatch::split(data.as_deref().unwrap_or_default()) {
        Ok(b) => b,
        Err(e) => return fail(ResponseError::CorruptMessage.code(), e.to_string()),
    };
    let count: u64 = batches.iter().map(|b| u64::from(b.info().records)).sum();
    let bytes: u64 = batches.iter().map(|b| b.len() as u64).sum();
    let mut broker = ctx.broker.write();
    match broker.append_produced(topic, partition, batches) {
        Ok(base) => {
            let start = broker
                .partition(topic, partition)
                .map_or(0, |p| p.log_start_offset());
            drop(broker);
            ctx.effects.produced_records += count;
            ctx.effects.produced_bytes += bytes;
            resp.with_base_offset(base).with_log_start_offset(start)
        }
        Err(e) => fail(e.kafka_code(), e.to_string()),
    }
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: ProduceRequest) -> Outcome {
    let mut responses = Vec::with_capacity(req.topic_data.len());
    for t in req.topic_data {
        let partitions = t
            .partition_data
            .into_iter()
            .map(|p| append(ctx, &t.name, p.index, p.records))
            .collect();
        responses.push(
            TopicProduceResponse::default()
                .with_name(t.name)
                .with_partition_responses(partitions),
        );
    }
    if req.acks == 0 {
        return Outcome::NoReply;
    }
    Outcome::Reply(Response::Produce(
        ProduceResponse::default().with_responses(responses),
    ))
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
mod tests {
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
