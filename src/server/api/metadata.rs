//! Metadata: the one broker, and every (or each named) topic with its partitions.
//! Naming a missing topic creates it when auto-creation is on, as Kafka's default does.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::metadata_request::MetadataRequest;
use kafka_protocol::messages::metadata_response::{
    MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, ensure_topic, str_bytes};
use crate::broker::Topic;
use crate::server::codec::Response;

/// The id of our only broker, which leads every partition and coordinates every group.
pub(super) const NODE_ID: i32 = 0;
/// What Metadata and DescribeCluster call the cluster.
pub(super) const CLUSTER_ID: &str = "minikafka";

fn describe(topic: &Topic) -> MetadataResponseTopic {
    let partitions = (0..topic.partition_count())
        .map(|p| {
            MetadataResponsePartition::default()
                .with_partition_index(p as i32)
                .with_leader_id(BrokerId(NODE_ID))
                // -1: no leader epochs, so clients skip epoch validation.
                .with_leader_epoch(-1)
                .with_replica_nodes(vec![BrokerId(NODE_ID)])
                .with_isr_nodes(vec![BrokerId(NODE_ID)])
        })
        .collect();
    MetadataResponseTopic::default()
        .with_name(Some(TopicName(str_bytes(topic.name()))))
        .with_topic_id(uuid::Uuid::from_bytes(topic.id()))
        .with_partitions(partitions)
}

fn missing(name: Option<TopicName>, error: ResponseError) -> MetadataResponseTopic {
    MetadataResponseTopic::default()
        .with_name(name)
        .with_error_code(error.code())
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: MetadataRequest) -> Response {
    // Before v4 there is no flag, and naming a topic always allowed creating it.
    let may_create = ctx.version < 4 || req.allow_auto_topic_creation;
    let mut topics = Vec::new();
    match req.topics {
        // v0 has no null: an empty list means every topic.
        Some(list) if !(list.is_empty() && ctx.version == 0) => {
            for t in list {
                let by_id = t.name.as_ref().is_none_or(|n| n.is_empty()) && !t.topic_id.is_nil();
                let Some(name) = t.name.filter(|_| !by_id) else {
                    // Named by id alone (v10+): consumer-protocol clients look up the
                    // topics of an assignment, which names them by id.
                    let broker = ctx.broker.read();
                    let id = *t.topic_id.as_bytes();
                    topics.push(match broker.topics().find(|topic| topic.id() == id) {
                        Some(topic) => describe(topic),
                        None => {
                            missing(None, ResponseError::UnknownTopicId).with_topic_id(t.topic_id)
                        }
                    });
                    continue;
                };
                let created = if may_create {
                    ensure_topic(ctx, &name)
                } else {
                    Ok(())
                };
                let broker = ctx.broker.read();
                match (created, broker.topic(&name)) {
                    (Err(e), _) => topics.push(missing(Some(name), ResponseError::from(&e))),
                    (Ok(()), Some(topic)) => topics.push(describe(topic)),
                    (Ok(()), None) => {
                        topics.push(missing(Some(name), ResponseError::UnknownTopicOrPartition))
                    }
                }
            }
        }
        _ => topics.extend(ctx.broker.read().topics().map(describe)),
    }
    Response::Metadata(
        MetadataResponse::default()
            .with_brokers(vec![
                MetadataResponseBroker::default()
                    .with_node_id(BrokerId(NODE_ID))
                    .with_host(str_bytes(&ctx.settings.host))
                    .with_port(ctx.settings.port),
            ])
            .with_cluster_id(Some(StrBytes::from_static_str(CLUSTER_ID)))
            .with_controller_id(BrokerId(NODE_ID))
            .with_topics(topics),
    )
}

/// Every named topic carries `error`.
pub(super) fn error_response(req: MetadataRequest, error: ResponseError) -> Response {
    let topics = req
        .topics
        .unwrap_or_default()
        .into_iter()
        .map(|t| missing(t.name, error).with_topic_id(t.topic_id))
        .collect();
    Response::Metadata(MetadataResponse::default().with_topics(topics))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{Broker, SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::metadata_request::MetadataRequestTopic;

    fn ask(broker: &SharedBroker, version: i16, req: MetadataRequest) -> MetadataResponse {
        let s = settings();
        let mut c = ctx(broker, &s, version);
        let Response::Metadata(r) = reply(dispatch(&mut c, Request::Metadata(req))) else {
            panic!("wrong response type");
        };
        r
    }

    fn named(names: &[&str]) -> Option<Vec<MetadataRequestTopic>> {
        Some(
            names
                .iter()
                .map(|n| MetadataRequestTopic::default().with_name(Some(TopicName(str_bytes(n)))))
                .collect(),
        )
    }

    #[test]
    fn lists_all_topics_and_the_broker() {
        let mut b = Broker::new();
        b.create_topic("a", TopicConfig::new(2), 0).unwrap();
        b.create_topic("b", TopicConfig::new(1), 0).unwrap();
        let broker = SharedBroker::new(b);
        let r = ask(&broker, 12, MetadataRequest::default().with_topics(None));
        assert_eq!(r.brokers.len(), 1);
        assert_eq!(r.brokers[0].port, 9092);
        let names: Vec<_> = r
            .topics
            .iter()
            .map(|t| t.name.as_deref().unwrap())
            .collect();
        assert_eq!(names, ["a", "b"]);
        assert_eq!(r.topics[0].partitions.len(), 2);
        let v0 = ask(
            &broker,
            0,
            MetadataRequest::default().with_topics(Some(vec![])),
        );
        assert_eq!(v0.topics.len(), 2, "an empty v0 list means all topics");
    }

    #[test]
    fn auto_creates_only_when_allowed() {
        let broker = SharedBroker::default();
        let r = ask(
            &broker,
            9,
            MetadataRequest::default()
                .with_topics(named(&["new"]))
                .with_allow_auto_topic_creation(false),
        );
        assert_eq!(r.topics[0].error_code, 3);
        assert!(broker.read().topic("new").is_none());
        let r = ask(
            &broker,
            9,
            MetadataRequest::default()
                .with_topics(named(&["new"]))
                .with_allow_auto_topic_creation(true),
        );
        assert_eq!(r.topics[0].error_code, 0);
        assert_eq!(r.topics[0].partitions.len(), 3, "default partitions");
    }

    #[test]
    fn a_bad_name_is_an_error_not_a_topic() {
        let broker = SharedBroker::default();
        let r = ask(
            &broker,
            4,
            MetadataRequest::default().with_topics(named(&["bad name!"])),
        );
        assert_eq!(r.topics[0].error_code, 17);
        assert_eq!(broker.read().topics().len(), 0);
    }

    #[test]
    fn topics_named_by_id_alone_are_found() {
        let mut b = Broker::new();
        b.create_topic("a", TopicConfig::new(2), 0).unwrap();
        let id = uuid::Uuid::from_bytes(b.topic("a").unwrap().id());
        let broker = SharedBroker::new(b);
        let by_id = |id| {
            MetadataRequestTopic::default()
                .with_name(None)
                .with_topic_id(id)
        };
        let r = ask(
            &broker,
            12,
            MetadataRequest::default().with_topics(Some(vec![by_id(id), by_id(uuid::Uuid::nil())])),
        );
        assert_eq!(r.topics[0].name.as_deref().map(|n| n.as_str()), Some("a"));
        assert_eq!(r.topics[0].partitions.len(), 2);
        assert_eq!(r.topics[1].error_code, ResponseError::UnknownTopicId.code());
    }
}
