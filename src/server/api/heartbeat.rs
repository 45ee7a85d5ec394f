//! Heartbeat: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to rejoin.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::heartbeat_request::HeartbeatRequest;
use kafka_protocol::messages::heartbeat_response::HeartbeatResponse;

use super::{RequestContext, check_instance};
use crate::server::codec::Response;
use crate::server::error_code::result_code;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: HeartbeatRequest) -> Response {
    let mut broker = ctx.broker.write();
    let instance = req.group_instance_id.as_ref();
    let result = check_instance(&broker, &req.group_id, &req.member_id, instance).and_then(|_| {
        broker.heartbeat(&req.group_id, &req.member_id, req.generation_id, ctx.now_ms)
    });
    Response::Heartbeat(HeartbeatResponse::default().with_error_code(result_code(&result)))
}

pub(super) fn error_response(_req: HeartbeatRequest, error: ResponseError) -> Response {
    Response::Heartbeat(HeartbeatResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{JoinGroupRequest, JoinOutcome, SharedBroker};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn known_members_pass_and_strangers_are_told() {
        let broker = SharedBroker::default();
        let JoinOutcome::Joined(j) = broker
            .write()
            .join_group(JoinGroupRequest::consumer("g", "c", &[], "range"), 0)
            .unwrap()
        else {
            panic!("a lone member joins at once");
        };
        let s = settings();
        let mut c = ctx(&broker, &s, 4);
        let beat = |member: &str, generation: i32| {
            HeartbeatRequest::default()
                .with_group_id(GroupId(StrBytes::from_static_str("g")))
                .with_member_id(StrBytes::from_string(member.to_string()))
                .with_generation_id(generation)
        };
        let code = |r: Response| match r {
            Response::Heartbeat(h) => h.error_code,
            other => panic!("wrong response type {other:?}"),
        };
        // Completing rebalance, stale generation, unknown member.
        let ok = code(reply(dispatch(
            &mut c,
            Request::Heartbeat(beat(&j.member_id, j.generation)),
        )));
        assert_eq!(ok, 0);
        let stale = code(reply(dispatch(
            &mut c,
            Request::Heartbeat(beat(&j.member_id, 99)),
        )));
        assert_eq!(stale, 22);
        let stranger = code(reply(dispatch(
            &mut c,
            Request::Heartbeat(beat("who", j.generation)),
        )));
        assert_eq!(stranger, 25);
    }
}
