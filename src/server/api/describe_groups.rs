//! DescribeGroups: state, protocol and members (with their relayed metadata and assignment).
//!
//! Filled as Kafka fills it: each member's client host (`/127.0.0.1`), the operations a
//! client may perform when it asks (v3+; with no authorizer, all of a group's), and for an
//! unknown group a Dead group, with GROUP_ID_NOT_FOUND and a message from v6.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::describe_groups_request::DescribeGroupsRequest;
use kafka_protocol::messages::describe_groups_response::{
    DescribeGroupsResponse, DescribedGroup, DescribedGroupMember,
};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, str_bytes};
use crate::broker::Group;
use crate::server::codec::Response;

/// What Kafka without an authorizer allows on a group, as a bit set of ACL operations:
/// READ (3), DELETE (6), DESCRIBE (8), DESCRIBE_CONFIGS (10) and ALTER_CONFIGS (11).
const GROUP_OPERATIONS: i32 = 1 << 3 | 1 << 6 | 1 << 8 | 1 << 10 | 1 << 11;

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
                .with_client_host(str_bytes(m.client_host()))
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
    let operations = if req.include_authorized_operations {
        GROUP_OPERATIONS
    } else {
        DescribedGroup::default().authorized_operations
    };
    let groups = req
        .groups
        .into_iter()
        .map(|id| {
            let described = match broker.group(&id) {
                Some(g) => describe(g).with_authorized_operations(operations),
                None => unknown(&id, ctx.version),
            };
            described.with_group_id(id)
        })
        .collect();
    Response::DescribeGroups(DescribeGroupsResponse::default().with_groups(groups))
}

/// An unknown group is described as Dead with no members, as Kafka does; from v6 with
/// GROUP_ID_NOT_FOUND too.
fn unknown(id: &str, version: i16) -> DescribedGroup {
    let dead = DescribedGroup::default().with_group_state(StrBytes::from_static_str("Dead"));
    if version < 6 {
        return dead;
    }
    dead.with_error_code(ResponseError::GroupIdNotFound.code())
        .with_error_message(Some(StrBytes::from_string(format!(
            "Group {id} not found."
        ))))
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
        let mut join = JoinGroupRequest::consumer("g", "app", &[], "range");
        join.client_host = "/10.1.2.3".to_string();
        broker.write().join_group(join, 0).unwrap();
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
        assert_eq!(g.members[0].client_host.as_str(), "/10.1.2.3");
        assert_eq!(g.authorized_operations, i32::MIN, "not asked for");
        assert_eq!(r.groups[1].group_state.as_str(), "Dead");
        assert_eq!(r.groups[1].group_id.as_str(), "nope");
        assert_eq!(
            r.groups[1].error_code, 0,
            "before v6 an unknown group is only Dead"
        );
    }

    #[test]
    fn v6_names_unknown_groups_and_operations_come_when_asked() {
        let broker = SharedBroker::default();
        broker
            .write()
            .join_group(JoinGroupRequest::consumer("g", "app", &[], "range"), 0)
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 6);
        let req = DescribeGroupsRequest::default()
            .with_include_authorized_operations(true)
            .with_groups(vec![
                GroupId(StrBytes::from_static_str("g")),
                GroupId(StrBytes::from_static_str("nope")),
            ]);
        let Response::DescribeGroups(r) = reply(dispatch(&mut c, Request::DescribeGroups(req)))
        else {
            panic!()
        };
        // Kafka 4.1 without an authorizer answers [3, 6, 8, 10, 11] for a group.
        assert_eq!(r.groups[0].authorized_operations, 3400);
        assert_eq!(r.groups[1].error_code, 69);
        assert_eq!(r.groups[1].group_state.as_str(), "Dead");
        assert_eq!(
            r.groups[1].error_message.as_deref(),
            Some("Group nope not found.")
        );
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
