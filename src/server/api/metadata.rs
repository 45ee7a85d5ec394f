//! Metadata: the brokers that serve, and every (or each named) topic with its partitions:
//! leader, leader epoch, replicas, in-sync replicas and replicas whose broker is down. An
//! offline partition has leader -1 and LEADER_NOT_AVAILABLE. Naming a missing topic creates
//! it when auto-creation is on, as Kafka's default does.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::metadata_request::MetadataRequest;
use kafka_protocol::messages::metadata_response::{
    MetadataResponse, MetadataResponseBroker, MetadataResponsePartition, MetadataResponseTopic,
};
use kafka_protocol::messages::{BrokerId, TopicName};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, ensure_topic, nodes, str_bytes};
use crate::broker::{Broker, ReplicaSet, Topic};
use crate::server::codec::Response;

/// What Metadata and DescribeCluster call the cluster.
pub(super) const CLUSTER_ID: &str = "minikafka";

fn describe_partition(broker: &Broker, index: u32, rs: &ReplicaSet) -> MetadataResponsePartition {
    let node = |id| nodes::node(broker, id);
    let leader = rs.leader().map_or(BrokerId(-1), node);
    let offline: Vec<BrokerId> = (rs.replicas().iter())
        .filter(|&&r| !broker.cluster().is_up(r))
        .map(|&r| node(r))
        .collect();
    let error = if rs.is_offline() {
        ResponseError::LeaderNotAvailable.code()
    } else {
        0
    };
    MetadataResponsePartition::default()
        .with_error_code(error)
        .with_partition_index(index as i32)
        .with_leader_id(leader)
        .with_leader_epoch(nodes::leader_epoch(broker, rs))
        .with_replica_nodes(rs.replicas().iter().map(|&r| node(r)).collect())
        .with_isr_nodes(rs.isr().iter().map(|&r| node(r)).collect())
        .with_offline_replicas(offline)
}

fn describe(broker: &Broker, topic: &Topic) -> MetadataResponseTopic {
    let partitions = (0..topic.partition_count())
        .filter_map(|p| Some(describe_partition(broker, p, topic.replica_set(p)?)))
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
                        Some(topic) => describe(&broker, topic),
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
                    (Ok(()), Some(topic)) => topics.push(describe(&broker, topic)),
                    (Ok(()), None) => {
                        topics.push(missing(Some(name), ResponseError::UnknownTopicOrPartition))
                    }
                }
            }
        }
        _ => {
            let broker = ctx.broker.read();
            topics.extend(broker.topics().map(|t| describe(&broker, t)));
        }
    }
    let broker = ctx.broker.read();
    Response::Metadata(
        MetadataResponse::default()
            .with_brokers(brokers(ctx, &broker))
            .with_cluster_id(Some(StrBytes::from_static_str(CLUSTER_ID)))
            .with_controller_id(nodes::controller(&broker))
            .with_topics(topics),
    )
}

/// The brokers that serve now, each on its own port; a down broker is left out, as
/// Kafka's metadata leaves out a broker that left.
fn brokers(ctx: &RequestContext<'_>, broker: &Broker) -> Vec<MetadataResponseBroker> {
    let lone = nodes::is_lone(broker);
    nodes::live(broker)
        .map(|(id, rack)| {
            MetadataResponseBroker::default()
                .with_node_id(nodes::node(broker, id))
                .with_host(str_bytes(&ctx.settings.host))
                .with_port(if lone {
                    ctx.settings.port
                } else {
                    nodes::port(ctx.settings, id)
                })
                .with_rack(rack.filter(|_| !lone).map(str_bytes))
        })
        .collect()
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
