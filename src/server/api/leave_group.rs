//! LeaveGroup: a graceful exit, so the group rebalances without waiting for a session timeout.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::leave_group_request::LeaveGroupRequest;
use kafka_protocol::messages::leave_group_response::{LeaveGroupResponse, MemberResponse};

use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, check_instance};
use crate::server::codec::Response;
use crate::server::error_code::result_code;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: LeaveGroupRequest) -> Response {
    let mut broker = ctx.broker.write();
    ctx.effects.groups_changed = true;
    let group = &req.group_id;
    // A static member may be named by its instance id alone (an admin removing it), else
    // the member id must be the one its instance maps to.
    let mut leave = |member: &str, instance: Option<&StrBytes>| {
        let member = match instance {
            Some(i) if member.is_empty() => {
                broker.static_member_id(group, i).unwrap_or("").to_string()
            }
            _ => member.to_string(),
        };
        let left = check_instance(&broker, group, &member, instance)
            .and_then(|_| broker.leave_group(group, &member, ctx.now_ms));
        result_code(&left)
    };
    // v3 batches members, each with its own result; earlier versions name one member.
    let response = if ctx.version >= 3 {
        let members = req
            .members
            .into_iter()
            .map(|m| {
                let code = leave(&m.member_id, m.group_instance_id.as_ref());
                MemberResponse::default()
                    .with_member_id(m.member_id)
                    .with_group_instance_id(m.group_instance_id)
                    .with_error_code(code)
            })
            .collect();
        LeaveGroupResponse::default().with_members(members)
    } else {
        LeaveGroupResponse::default().with_error_code(leave(&req.member_id, None))
    };
    Response::LeaveGroup(response)
}

pub(super) fn error_response(_req: LeaveGroupRequest, error: ResponseError) -> Response {
    Response::LeaveGroup(LeaveGroupResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{JoinGroupRequest, JoinOutcome, SharedBroker};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::messages::leave_group_request::MemberIdentity;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn members_leave_one_by_one_or_in_a_batch() {
        let broker = SharedBroker::default();
        let mut ids = Vec::new();
        for _ in 0..2 {
            match broker
                .write()
                .join_group(JoinGroupRequest::consumer("g", "c", &[], "range"), 0)
                .unwrap()
            {
                JoinOutcome::Joined(j) => ids.push(j.member_id),
                JoinOutcome::Pending { member_id } => ids.push(member_id),
            }
        }
        let s = settings();
        let group = GroupId(StrBytes::from_static_str("g"));
        let mut c = ctx(&broker, &s, 1);
        let old = LeaveGroupRequest::default()
            .with_group_id(group.clone())
            .with_member_id(StrBytes::from_string(ids[0].clone()));
        let Response::LeaveGroup(r) = reply(dispatch(&mut c, Request::LeaveGroup(old))) else {
            panic!("wrong response type");
        };
        assert_eq!(r.error_code, 0);
        assert!(c.effects.groups_changed);

        let mut c = ctx(&broker, &s, 4);
        let batch = LeaveGroupRequest::default()
            .with_group_id(group)
            .with_members(
                [ids[1].as_str(), "ghost"]
                    .iter()
                    .map(|m| {
                        MemberIdentity::default()
                            .with_member_id(StrBytes::from_string(m.to_string()))
                    })
                    .collect(),
            );
        let Response::LeaveGroup(r) = reply(dispatch(&mut c, Request::LeaveGroup(batch))) else {
            panic!("wrong response type");
        };
        let codes: Vec<i16> = r.members.iter().map(|m| m.error_code).collect();
        assert_eq!(codes, [0, 25]);
        assert!(broker.read().group("g").unwrap().is_empty());
    }
}
