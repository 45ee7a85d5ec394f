//! OffsetDelete: removes a group's committed offsets on some partitions.
//!
//! As in Kafka: an unknown group fails the whole request (GROUP_ID_NOT_FOUND, no topics);
//! a partition that does not exist gets UNKNOWN_TOPIC_OR_PARTITION, and one whose topic a
//! member of the group still subscribes to GROUP_SUBSCRIBED_TO_TOPIC.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::offset_delete_request::OffsetDeleteRequest;
use kafka_protocol::messages::offset_delete_response::{
    OffsetDeleteResponse, OffsetDeleteResponsePartition, OffsetDeleteResponseTopic,
};

use super::{RequestContext, partition_index};
use crate::broker::{BrokerError, TopicPartition};
use crate::server::codec::Response;
use crate::server::error_code::result_code;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: OffsetDeleteRequest) -> Response {
    // A partition index no topic can have is refused here; the rest go to the broker.
    let asked: Vec<(usize, i32, Result<TopicPartition, BrokerError>)> = req
        .topics
        .iter()
        .enumerate()
        .flat_map(|(t, topic)| {
            topic.partitions.iter().map(move |p| {
                let tp = partition_index(&topic.name, p.partition_index)
                    .map(|i| TopicPartition::new(topic.name.to_string(), i));
                (t, p.partition_index, tp)
            })
        })
        .collect();
    let valid: Vec<TopicPartition> = asked
        .iter()
        .filter_map(|(_, _, tp)| tp.as_ref().ok().cloned())
        .collect();
    let deleted = ctx.broker.write().delete_offsets(&req.group_id, &valid);
    let mut results = match deleted {
        Ok(results) => results.into_iter(),
        Err(e) => return error_response(req, ResponseError::from(&e)),
    };
    let mut topics: Vec<OffsetDeleteResponseTopic> = req
        .topics
        .iter()
        .map(|t| OffsetDeleteResponseTopic::default().with_name(t.name.clone()))
        .collect();
    for (t, index, tp) in asked {
        let result = tp.and_then(|_| results.next().expect("one result per valid partition"));
        topics[t].partitions.push(
            OffsetDeleteResponsePartition::default()
                .with_partition_index(index)
                .with_error_code(result_code(&result)),
        );
    }
    Response::OffsetDelete(OffsetDeleteResponse::default().with_topics(topics))
}

/// The request fails as a whole: the error at the top and no topics, as Kafka answers.
pub(super) fn error_response(_req: OffsetDeleteRequest, error: ResponseError) -> Response {
    Response::OffsetDelete(OffsetDeleteResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{JoinGroupRequest, SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::offset_delete_request::{
        OffsetDeleteRequestPartition, OffsetDeleteRequestTopic,
    };
    use kafka_protocol::messages::{GroupId, TopicName};
    use kafka_protocol::protocol::StrBytes;

    fn request(group: &'static str, topics: &[(&'static str, &[i32])]) -> Request {
        Request::OffsetDelete(
            OffsetDeleteRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str(group)))
                .with_topics(
                    topics
                        .iter()
                        .map(|(name, parts)| {
                            OffsetDeleteRequestTopic::default()
                                .with_name(TopicName(StrBytes::from_static_str(name)))
                                .with_partitions(
                                    parts
                                        .iter()
                                        .map(|&p| {
                                            OffsetDeleteRequestPartition::default()
                                                .with_partition_index(p)
                                        })
                                        .collect(),
                                )
                        })
                        .collect(),
                ),
        )
    }

    fn codes(r: &OffsetDeleteResponse) -> Vec<(String, i32, i16)> {
        r.topics
            .iter()
            .flat_map(|t| {
                t.partitions
                    .iter()
                    .map(|p| (t.name.to_string(), p.partition_index, p.error_code))
            })
            .collect()
    }

    #[test]
    fn deletes_offsets_partition_by_partition_as_kafka_does() {
        let broker = SharedBroker::default();
        {
            let mut b = broker.write();
            b.create_topic("t", TopicConfig::new(2), 0).unwrap();
            b.create_topic("u", TopicConfig::new(1), 0).unwrap();
            let offsets = [
                (TopicPartition::new("t", 0), 0),
                (TopicPartition::new("t", 1), 0),
                (TopicPartition::new("u", 0), 0),
            ];
            b.commit_offsets("g", "", -1, &offsets, 0).unwrap();
            b.commit_offsets("busy", "", -1, &offsets, 0).unwrap();
            let subscribed = ["t".to_string()];
            b.join_group(
                JoinGroupRequest::consumer("busy", "c", &subscribed, "range"),
                0,
            )
            .unwrap();
        }
        let s = settings();
        let mut c = ctx(&broker, &s, 0);
        let Response::OffsetDelete(r) = reply(dispatch(
            &mut c,
            request("g", &[("t", &[0, 9, -1]), ("nope", &[0])]),
        )) else {
            panic!()
        };
        assert_eq!(r.error_code, 0);
        let expected = [
            ("t".to_string(), 0, 0),
            ("t".to_string(), 9, 3),
            ("t".to_string(), -1, 3),
            ("nope".to_string(), 0, 3),
        ];
        assert_eq!(codes(&r), expected);
        let b = broker.read();
        let left: Vec<String> = b
            .group("g")
            .unwrap()
            .offsets()
            .keys()
            .map(|tp| tp.to_string())
            .collect();
        assert_eq!(left, ["t-1", "u-0"]);
        drop(b);

        // A member still reads "t": its offsets stay; "u" is nobody's, so it goes.
        let Response::OffsetDelete(r) = reply(dispatch(
            &mut c,
            request("busy", &[("t", &[0]), ("u", &[0])]),
        )) else {
            panic!()
        };
        assert_eq!(
            codes(&r),
            [("t".to_string(), 0, 86), ("u".to_string(), 0, 0)]
        );

        let Response::OffsetDelete(r) = reply(dispatch(&mut c, request("nope", &[("t", &[0])])))
        else {
            panic!()
        };
        assert_eq!(r.error_code, 69);
        assert!(r.topics.is_empty());
    }
}
