//! ListGroups: every group, optionally filtered by state (v4+) and by type (v5+).
//!
//! Every group here is a classic one (JoinGroup and SyncGroup), so each is listed with the
//! type `classic`, and a filter naming only other types lists nothing, as in Kafka.

use kafka_protocol::ResponseError;
use kafka_protocol::messages::GroupId;
use kafka_protocol::messages::list_groups_request::ListGroupsRequest;
use kafka_protocol::messages::list_groups_response::{ListGroupsResponse, ListedGroup};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, str_bytes};
use crate::server::codec::Response;

/// The type Kafka gives a group of the JoinGroup and SyncGroup protocol.
const CLASSIC: &str = "classic";

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: ListGroupsRequest) -> Response {
    let broker = ctx.broker.read();
    let wanted = |filter: &[StrBytes], value: &str| {
        filter.is_empty() || filter.iter().any(|f| f.eq_ignore_ascii_case(value))
    };
    let groups = broker
        .groups()
        .filter(|g| wanted(&req.states_filter, g.state().name()))
        .filter(|_| wanted(&req.types_filter, CLASSIC))
        .map(|g| {
            ListedGroup::default()
                .with_group_id(GroupId(str_bytes(g.name())))
                .with_protocol_type(str_bytes(g.protocol_type().unwrap_or("")))
                .with_group_state(StrBytes::from_static_str(g.state().name()))
                .with_group_type(StrBytes::from_static_str(CLASSIC))
        })
        .collect();
    Response::ListGroups(ListGroupsResponse::default().with_groups(groups))
}

pub(super) fn error_response(_req: ListGroupsRequest, error: ResponseError) -> Response {
    Response::ListGroups(ListGroupsResponse::default().with_error_code(error.code()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::broker::{JoinGroupRequest, SharedBroker, TopicConfig, TopicPartition};
    use crate::server::api::dispatch;
    use crate::server::api::testing::*;
    use crate::server::codec::Request;

    #[test]
    fn lists_groups_and_filters_by_state() {
        let broker = SharedBroker::default();
        {
            let mut b = broker.write();
            b.join_group(JoinGroupRequest::consumer("active", "c", &[], "range"), 0)
                .unwrap();
            b.create_topic("t", TopicConfig::new(1), 0).unwrap();
            b.commit_offsets("idle", "", -1, &[(TopicPartition::new("t", 0), 0)], 0)
                .unwrap();
        }
        let s = settings();
        let mut c = ctx(&broker, &s, 4);
        let list = |c: &mut RequestContext<'_>, filter: Vec<&'static str>| {
            let req = ListGroupsRequest::default()
                .with_states_filter(filter.into_iter().map(StrBytes::from_static_str).collect());
            match reply(dispatch(c, Request::ListGroups(req))) {
                Response::ListGroups(r) => r
                    .groups
                    .iter()
                    .map(|g| (g.group_id.to_string(), g.group_state.to_string()))
                    .collect::<Vec<_>>(),
                other => panic!("wrong response type {other:?}"),
            }
        };
        assert_eq!(
            list(&mut c, vec![]),
            [
                ("active".to_string(), "CompletingRebalance".to_string()),
                ("idle".to_string(), "Empty".to_string())
            ]
        );
        assert_eq!(
            list(&mut c, vec!["empty"]),
            [("idle".to_string(), "Empty".to_string())]
        );
    }

    #[test]
    fn every_group_is_classic_and_a_types_filter_applies() {
        let broker = SharedBroker::default();
        broker
            .write()
            .join_group(JoinGroupRequest::consumer("g", "c", &[], "range"), 0)
            .unwrap();
        let s = settings();
        let mut c = ctx(&broker, &s, 5);
        let list = |c: &mut RequestContext<'_>, types: Vec<&'static str>| {
            let req = ListGroupsRequest::default()
                .with_types_filter(types.into_iter().map(StrBytes::from_static_str).collect());
            match reply(dispatch(c, Request::ListGroups(req))) {
                Response::ListGroups(r) => r
                    .groups
                    .iter()
                    .map(|g| (g.group_id.to_string(), g.group_type.to_string()))
                    .collect::<Vec<_>>(),
                other => panic!("wrong response type {other:?}"),
            }
        };
        let classic = [("g".to_string(), "classic".to_string())];
        assert_eq!(list(&mut c, vec![]), classic);
        assert_eq!(list(&mut c, vec!["Classic", "consumer"]), classic);
        assert!(list(&mut c, vec!["consumer"]).is_empty());
    }
}
