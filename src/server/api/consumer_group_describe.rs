//! ConsumerGroupDescribe (KIP-848): a consumer-protocol group's epochs, assignor and
//! members, each with its current and target assignment. A classic group, or an unknown
//! id, is GROUP_ID_NOT_FOUND, as Kafka answers (admin clients then ask DescribeGroups).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::TopicName;
use kafka_protocol::messages::consumer_group_describe_request::ConsumerGroupDescribeRequest;
use kafka_protocol::messages::consumer_group_describe_response::{
    Assignment, ConsumerGroupDescribeResponse, DescribedGroup, Member, TopicPartitions,
};
use kafka_protocol::protocol::StrBytes;

use super::consumer_group_heartbeat::by_topic_id;
use super::{RequestContext, str_bytes};
use crate::broker::{Broker, ConsumerGroup, ConsumerMember, TopicPartition};
use crate::server::codec::Response;

/// What Kafka answers in `authorized_operations` when they were not asked for.
const OPERATIONS_NOT_ASKED: i32 = i32::MIN;
/// The member type ConsumerGroupDescribe v1 reports for a consumer-protocol member.
const CONSUMER_MEMBER: i8 = 1;

fn assignment<'a>(
    broker: &Broker,
    parts: impl IntoIterator<Item = &'a TopicPartition>,
) -> Assignment {
    let topic_partitions = by_topic_id(broker, parts)
        .into_iter()
        .map(|(id, name, partitions)| {
            TopicPartitions::default()
                .with_topic_id(id)
                .with_topic_name(TopicName(str_bytes(&name)))
                .with_partitions(partitions)
        })
        .collect();
    Assignment::default().with_topic_partitions(topic_partitions)
}

fn member(broker: &Broker, g: &ConsumerGroup, m: &ConsumerMember) -> Member {
    Member::default()
        .with_member_id(str_bytes(m.id()))
        .with_instance_id(m.instance_id().map(str_bytes))
        .with_member_epoch(m.epoch())
        .with_client_id(str_bytes(m.client_id()))
        .with_client_host(StrBytes::default())
        .with_subscribed_topic_names(m.topics().iter().map(|t| TopicName(str_bytes(t))).collect())
        .with_assignment(assignment(broker, m.assigned()))
        .with_target_assignment(assignment(broker, g.target(m.id())))
        .with_member_type(CONSUMER_MEMBER)
}

fn describe(broker: &Broker, id: &str) -> DescribedGroup {
    let not_found = |message: String| {
        DescribedGroup::default()
            .with_error_code(ResponseError::GroupIdNotFound.code())
            .with_error_message(Some(StrBytes::from_string(message)))
            .with_authorized_operations(OPERATIONS_NOT_ASKED)
    };
    let Some(g) = broker.consumer_group(id) else {
        return if broker.group(id).is_some() {
            not_found(format!("Group {id} is not a consumer group."))
        } else {
            not_found(format!("Group {id} not found."))
        };
    };
    DescribedGroup::default()
        .with_group_state(StrBytes::from_static_str(g.state().name()))
        .with_group_epoch(g.group_epoch())
        .with_assignment_epoch(g.assignment_epoch())
        .with_assignor_name(StrBytes::from_static_str(g.assignor().name()))
        .with_members(g.members().map(|m| member(broker, g, m)).collect())
        .with_authorized_operations(OPERATIONS_NOT_ASKED)
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: ConsumerGroupDescribeRequest) -> Response {
    let broker = ctx.broker.read();
    let groups = req
        .group_ids
        .into_iter()
        .map(|id| describe(&broker, &id).with_group_id(id))
        .collect();
    Response::ConsumerGroupDescribe(ConsumerGroupDescribeResponse::default().with_groups(groups))
}

/// Every group carries `error`.
pub(super) fn error_response(req: ConsumerGroupDescribeRequest, error: ResponseError) -> Response {
    let groups = req
        .group_ids
        .into_iter()
        .map(|id| {
            DescribedGroup::default()
                .with_group_id(id)
                .with_error_code(error.code())
        })
        .collect();
    Response::ConsumerGroupDescribe(ConsumerGroupDescribeResponse::default().with_groups(groups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{ConsumerHeartbeat, JoinGroupRequest, SharedBroker, TopicConfig};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::GroupId;

    #[test]
    fn describes_consumer_groups_and_refuses_the_others() {
        let broker = SharedBroker::default();
        {
            let mut b = broker.write();
            b.create_topic("t", TopicConfig::new(2), 0).unwrap();
            let mut join = ConsumerHeartbeat::join("cg", "m1", &["t".to_string()]);
            join.instance_id = Some("i1".into());
            b.consumer_group_heartbeat(join, 0).unwrap();
            b.join_group(JoinGroupRequest::consumer("classic", "c", &[], "range"), 0)
                .unwrap();
        }
        let s = settings();
        let mut c = ctx(&broker, &s, 1);
        let ids = ["cg", "classic", "nope"].map(|g| GroupId(StrBytes::from_static_str(g)));
        let req = ConsumerGroupDescribeRequest::default().with_group_ids(ids.to_vec());
        let Response::ConsumerGroupDescribe(r) =
            reply(dispatch(&mut c, Request::ConsumerGroupDescribe(req)))
        else {
            panic!("wrong response type")
        };
        let g = &r.groups[0];
        assert_eq!((g.error_code, g.group_state.as_str()), (0, "Stable"));
        assert_eq!((g.group_epoch, g.assignment_epoch), (1, 1));
        assert_eq!(g.assignor_name.as_str(), "uniform");
        let m = &g.members[0];
        assert_eq!(m.instance_id.as_deref(), Some("i1"));
        let parts = &m.assignment.topic_partitions[0];
        assert_eq!(
            (parts.topic_name.as_str(), parts.partitions.clone()),
            ("t", vec![0, 1])
        );
        assert_eq!(m.target_assignment, m.assignment);
        for (g, message) in [
            (&r.groups[1], "Group classic is not a consumer group."),
            (&r.groups[2], "Group nope not found."),
        ] {
            assert_eq!(g.error_code, ResponseError::GroupIdNotFound.code());
            assert_eq!(g.error_message.as_deref(), Some(message));
        }
    }
}
