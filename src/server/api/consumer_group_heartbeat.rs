//! ConsumerGroupHeartbeat (KIP-848): join, stay, reconcile and leave a consumer-protocol
//! group in one request. It is answered at once: revocations and new partitions travel in
//! the answers to later heartbeats, so nothing waits.
//!
//! Partitions travel by topic id on the wire and by name in the broker; unknown ids in a
//! member's report are dropped (the topic is gone, so the member cannot own it).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::consumer_group_heartbeat_request::ConsumerGroupHeartbeatRequest;
use kafka_protocol::messages::consumer_group_heartbeat_response::{
    Assignment, ConsumerGroupHeartbeatResponse, TopicPartitions,
};
use uuid::Uuid;

use super::{RequestContext, str_bytes};
use crate::broker::{Broker, BrokerError, ConsumerHeartbeat, HeartbeatReply, TopicPartition};
use crate::server::codec::Response;

/// The name of the topic with this id.
pub(super) fn topic_name(broker: &Broker, id: Uuid) -> Option<String> {
    broker
        .topics()
        .find(|t| t.id() == *id.as_bytes())
        .map(|t| t.name().to_string())
}

/// Partitions grouped by topic id, as the wire carries them; topics that no longer exist
/// are left out.
pub(super) fn by_topic_id<'a>(
    broker: &Broker,
    partitions: impl IntoIterator<Item = &'a TopicPartition>,
) -> Vec<(Uuid, String, Vec<i32>)> {
    let mut out: Vec<(Uuid, String, Vec<i32>)> = Vec::new();
    for tp in partitions {
        match out.last_mut() {
            Some((_, name, ps)) if *name == tp.topic => ps.push(tp.partition as i32),
            _ => {
                if let Some(t) = broker.topic(&tp.topic) {
                    let id = Uuid::from_bytes(t.id());
                    out.push((id, tp.topic.clone(), vec![tp.partition as i32]));
                }
            }
        }
    }
    out
}

fn heartbeat(ctx: &RequestContext<'_>, req: &ConsumerGroupHeartbeatRequest) -> ConsumerHeartbeat {
    let broker = ctx.broker.read();
    let owned = req.topic_partitions.as_ref().map(|topics| {
        topics
            .iter()
            .filter_map(|t| Some((topic_name(&broker, t.topic_id)?, &t.partitions)))
            .flat_map(|(name, ps)| {
                ps.iter()
                    .filter_map(|&p| u32::try_from(p).ok())
                    .map(move |p| TopicPartition::new(name.clone(), p))
            })
            .collect()
    });
    ConsumerHeartbeat {
        group: req.group_id.to_string(),
        member_id: req.member_id.to_string(),
        member_epoch: req.member_epoch,
        instance_id: req.instance_id.as_ref().map(|i| i.to_string()),
        rebalance_timeout_ms: (req.rebalance_timeout_ms >= 0)
            .then_some(i64::from(req.rebalance_timeout_ms)),
        subscribed_topics: req
            .subscribed_topic_names
            .as_ref()
            .map(|ts| ts.iter().map(|t| t.to_string()).collect()),
        server_assignor: req.server_assignor.as_ref().map(|a| a.to_string()),
        owned,
        client_id: ctx.client_id.to_string(),
    }
}

fn answer(ctx: &RequestContext<'_>, reply: HeartbeatReply) -> Response {
    let assignment = reply.assignment.map(|parts| {
        let broker = ctx.broker.read();
        let topic_partitions = by_topic_id(&broker, &parts)
            .into_iter()
            .map(|(id, _, partitions)| {
                TopicPartitions::default()
                    .with_topic_id(id)
                    .with_partitions(partitions)
            })
            .collect();
        Assignment::default().with_topic_partitions(topic_partitions)
    });
    Response::ConsumerGroupHeartbeat(
        ConsumerGroupHeartbeatResponse::default()
            .with_member_id(Some(str_bytes(&reply.member_id)))
            .with_member_epoch(reply.member_epoch)
            .with_heartbeat_interval_ms(
                i32::try_from(reply.heartbeat_interval_ms).unwrap_or(i32::MAX),
            )
            .with_assignment(assignment),
    )
}

fn failed(error: &BrokerError) -> Response {
    Response::ConsumerGroupHeartbeat(
        ConsumerGroupHeartbeatResponse::default()
            .with_error_code(error.kafka_code())
            .with_error_message(Some(str_bytes(&error.to_string()))),
    )
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: ConsumerGroupHeartbeatRequest) -> Response {
    if req
        .subscribed_topic_regex
        .as_ref()
        .is_some_and(|r| !r.is_empty())
    {
        return failed(&BrokerError::InvalidRequest(
            "subscribing by regular expression is not supported; name the topics".to_string(),
        ));
    }
    let beat = heartbeat(ctx, &req);
    let result = ctx
        .broker
        .write()
        .consumer_group_heartbeat(beat, ctx.now_ms);
    ctx.effects.groups_changed = true;
    match result {
        Ok(reply) => answer(ctx, reply),
        Err(e) => failed(&e),
    }
}

pub(super) fn error_response(
    _req: ConsumerGroupHeartbeatRequest,
    error: ResponseError,
) -> Response {
    Response::ConsumerGroupHeartbeat(
        ConsumerGroupHeartbeatResponse::default().with_error_code(error.code()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::consumer_group_heartbeat_request::TopicPartitions as Owned;
    use kafka_protocol::messages::{GroupId, TopicName};
    use kafka_protocol::protocol::StrBytes;

    fn send(
        broker: &SharedBroker,
        req: ConsumerGroupHeartbeatRequest,
    ) -> ConsumerGroupHeartbeatResponse {
        let s = settings();
        let mut c = ctx(broker, &s, 1);
        match reply(dispatch(&mut c, Request::ConsumerGroupHeartbeat(req))) {
            Response::ConsumerGroupHeartbeat(r) => r,
            other => panic!("wrong response type {other:?}"),
        }
    }

    fn joining(member: &str) -> ConsumerGroupHeartbeatRequest {
        ConsumerGroupHeartbeatRequest::default()
            .with_group_id(GroupId(StrBytes::from_static_str("g")))
            .with_member_id(StrBytes::from_string(member.to_string()))
            .with_member_epoch(0)
            .with_rebalance_timeout_ms(30_000)
            .with_subscribed_topic_names(Some(vec![TopicName(StrBytes::from_static_str("t"))]))
            .with_topic_partitions(Some(Vec::new()))
    }

    #[test]
    fn partitions_travel_by_topic_id_both_ways() {
        let broker = SharedBroker::default();
        broker
            .write()
            .create_topic("t", TopicConfig::new(2), 0)
            .unwrap();
        let id = Uuid::from_bytes(broker.read().topic("t").unwrap().id());
        let a = send(&broker, joining("a"));
        assert_eq!(a.error_code, 0);
        assert_eq!(a.member_epoch, 1);
        assert_eq!(a.heartbeat_interval_ms, 5_000);
        let got = a.assignment.unwrap().topic_partitions;
        assert_eq!(
            (got[0].topic_id, got[0].partitions.clone()),
            (id, vec![0, 1])
        );

        send(&broker, joining("b"));
        let owned = vec![
            Owned::default()
                .with_topic_id(id)
                .with_partitions(vec![0, 1]),
        ];
        let a = send(
            &broker,
            joining("a")
                .with_member_epoch(1)
                .with_rebalance_timeout_ms(-1)
                .with_subscribed_topic_names(None)
                .with_topic_partitions(Some(owned)),
        );
        let kept = &a.assignment.unwrap().topic_partitions[0];
        assert_eq!(kept.partitions.len(), 1, "one partition to give up");
    }

    #[test]
    fn errors_carry_kafka_codes_and_a_message() {
        let broker = SharedBroker::default();
        let r = send(&broker, joining("a").with_member_epoch(3));
        assert_eq!(r.error_code, ResponseError::GroupIdNotFound.code());
        let r = send(
            &broker,
            joining("a").with_server_assignor(Some("sticky".into())),
        );
        assert_eq!(r.error_code, ResponseError::UnsupportedAssignor.code());
        assert!(r.error_message.unwrap().contains("sticky"));
        let r = send(
            &broker,
            joining("a").with_subscribed_topic_regex(Some("t.*".into())),
        );
        assert_eq!(r.error_code, ResponseError::InvalidRequest.code());
    }
}
