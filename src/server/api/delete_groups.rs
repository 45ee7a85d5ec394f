//! DeleteGroups: removes empty groups and their committed offsets.
//!
//! As in Kafka, a group with members is refused with NON_EMPTY_GROUP, and an unknown group
//! (an empty id included) with GROUP_ID_NOT_FOUND.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::delete_groups_request::DeleteGroupsRequest;
use kafka_protocol::messages::delete_groups_response::{
    DeletableGroupResult, DeleteGroupsResponse,
};

use super::RequestContext;
use crate::server::codec::Response;
use crate::server::error_code::result_code;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: DeleteGroupsRequest) -> Response {
    let mut broker = ctx.broker.write();
    let results = req
        .groups_names
        .into_iter()
        .map(|group| {
            let deleted = broker.delete_group(&group, ctx.now_ms);
            DeletableGroupResult::default()
                .with_group_id(group)
                .with_error_code(result_code(&deleted))
        })
        .collect();
    Response::DeleteGroups(DeleteGroupsResponse::default().with_results(results))
}

/// Every group carries `error`.
pub(super) fn error_response(req: DeleteGroupsRequest, error: ResponseError) -> Response {
    let results = req
        .groups_names
        .into_iter()
        .map(|group| {
            DeletableGroupResult::default()
                .with_group_id(group)
                .with_error_code(error.code())
        })
        .collect();
    Response::DeleteGroups(DeleteGroupsResponse::default().with_results(results))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{JoinGroupRequest, SharedBroker, TopicConfig, TopicPartition};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;
    use kafka_protocol::messages::GroupId;
    use kafka_protocol::protocol::StrBytes;

    #[test]
    fn deletes_empty_groups_and_refuses_the_others_as_kafka_does() {
        let broker = SharedBroker::default();
        {
            let mut b = broker.write();
            b.create_topic("t", TopicConfig::new(1), 0).unwrap();
            b.commit_offsets("idle", "", -1, &[(TopicPartition::new("t", 0), 0)], 0)
                .unwrap();
            b.join_group(JoinGroupRequest::consumer("busy", "c", &[], "range"), 0)
                .unwrap();
        }
        let s = settings();
        let mut c = ctx(&broker, &s, 2);
        let names = ["idle", "busy", "nope", ""];
        let req = DeleteGroupsRequest::default().with_groups_names(
            names
                .iter()
                .map(|n| GroupId(StrBytes::from_static_str(n)))
                .collect(),
        );
        let Response::DeleteGroups(r) = reply(dispatch(&mut c, Request::DeleteGroups(req))) else {
            panic!()
        };
        let got: Vec<(&str, i16)> = r
            .results
            .iter()
            .map(|g| (g.group_id.as_str(), g.error_code))
            .collect();
        assert_eq!(got, [("idle", 0), ("busy", 68), ("nope", 69), ("", 69)]);
        let b = broker.read();
        assert!(b.group("idle").is_none());
        assert!(b.group("busy").is_some());
    }
}
