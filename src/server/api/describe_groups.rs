//! DescribeGroups: state, protocol and members (with their relayed metadata and assignment).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::{
    DescribeGroupsResponse, DescribedGroup, DescribedGroupMember,
};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, str_bytes};
use crate::broker::Group;
use crate::server::codec::Response;

fn describe(g: &Group) -> DescribedGroup {
    let members = g
        .members()
        .map(|m| {
            let metadata = m
                .protocols()
                .iter()
                .find(|p| Some(p.name.as_str()) == g.protocol_name())
                .map(|p| p.metadata.clone())
                .unwrap_or_default();
            DescribedGroupMember::default()
                .with_member_id(str_bytes(m.id()))
                .with_client_id(str_bytes(m.client_id()))
                // The broker does not track member hosts; every client here is on this machine
                // or reached through it.
                .with_client_host(StrBytes::from_static_str(""))
                .with_member_metadata(metadata)
                .with_member_assignment(m.assignment_bytes().clone())
        })
        .collect();
    DescribedGroup::default()
        .with_group_state(StrBytes::from_static_str(g.state().name()))
        .with_protocol_type(str_bytes(g.protocol_type().unwrap_or("")))
        .with_protocol_data(str_bytes(g.protocol_name().unwrap_or("")))
        .with_members(members)
}

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: DescribeGroupsRequest) -> Response {
    let broker = ctx.broker.read();
    let groups = req
        .groups
        .into_iter()
        .map(|id| {
            // An unknown group is described as Dead with no members, as Kafka does.
            let described = broker.group(&id).map_or_else(
                || DescribedGroup::default().with_group_state(StrBytes::from_static_str("Dead")),
                describe,
            );
            described.with_group_id(id)
        })
        .collect();
    Response::DescribeGroups(DescribeGroupsResponse::default().with_groups(groups))
}

/// Every group carries `error`.
pub(super) fn error_response(req: DescribeGroupsRequest, error: ResponseError) -> Response {
    let groups = req
        .groups
        .into_iter()
        .map(|g| {
            DescribedGroup::default()
                .with_group_id(g)
                .with_error_code(error.code())
        })
        .collect();
    Response::DescribeGroups(DescribeGroupsResponse::default().with_groups(groups))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{JoinGroupRequest, SharedBroker};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::GroupId;

    #[test]
    fn describes_members_and_unknown_groups() {
        let broker = SharedBroker::default();
        broker
            .write()
            .join_group(JoinGroupRequest::consumer("g", "app", &[], "range"), 0)
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 5);
        let req = DescribeGroupsRequest::default().with_groups(vec![
            GroupId(StrBytes::from_static_str("g")),
            GroupId(StrBytes::from_static_str("nope")),
        ]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        let g = &r.groups[0];
        assert_eq!(g.group_state.as_str(), "CompletingRebalance");
        assert_eq!(g.protocol_type.as_str(), "consumer");
        assert_eq!(g.protocol_data.as_str(), "range");
        assert_eq!(g.members.len(), 1);
        assert_eq!(g.members[0].client_id.as_str(), "app");
        assert_eq!(r.groups[1].group_state.as_str(), "Dead");
        assert_eq!(r.groups[1].group_id.as_str(), "nope");
    }

    #[test]
    fn a_consumer_protocol_group_is_dead_to_describe_groups() {
        // As Kafka answers below v6: DescribeGroups knows only classic groups.
        let broker = SharedBroker::default();
        broker
            .write()
            .consumer_group_heartbeat(
                crate::broker::ConsumerHeartbeat::join("kip848", "m", &[]),
                0,
            )
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 5);
        let req = DescribeGroupsRequest::default()
            .with_groups(vec![GroupId(StrBytes::from_static_str("kip848"))]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        assert_eq!(r.groups[0].group_state.as_str(), "Dead");
        assert_eq!(r.groups[0].error_code, 0);
        assert!(r.groups[0].members.is_empty());
    }
}
