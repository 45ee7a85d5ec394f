//! ListGroups: every group of either protocol, optionally filtered by state (v4+) and by
//! type (v5+: classic or consumer).

use kafka_protocol::ResponseError;
use kafka_protocol::messages::GroupId;
use kafka_protocol::messages::list_groups_request::ListGroupsRequest;
use kafka_protocol::messages::list_groups_response::{ListGroupsResponse, ListedGroup};
use kafka_protocol::protocol::StrBytes;

use super::{RequestContext, str_bytes};
use crate::broker::{GroupState, GroupType};
use crate::server::codec::Response;

pub(super) fn handle(ctx: &mut RequestContext<'_>, req: ListGroupsRequest) -> Response {
    let broker = ctx.broker.read();
    // Both protocols share one id space; Kafka lists consumer-protocol groups with the
    // protocol type "consumer", like classic consumer groups, and tells them apart by type.
    let mut listed: Vec<(&str, &str, GroupState, GroupType)> = broker
        .groups()
        .map(|g| {
            let protocol_type = g.protocol_type().unwrap_or("");
            (g.name(), protocol_type, g.state(), GroupType::Classic)
        })
        .chain(
            broker
                .consumer_groups()
                .map(|g| (g.name(), "consumer", g.state(), GroupType::Consumer)),
        )
        .collect();
    listed.sort_by_key(|(name, ..)| *name);
    let wanted = |filter: &[StrBytes], value: &str| {
        filter.is_empty() || filter.iter().any(|s| s.eq_ignore_ascii_case(value))
    };
    let groups = listed
        .into_iter()
        .filter(|(_, _, state, kind)| {
            wanted(&req.states_filter, state.name()) && wanted(&req.types_filter, kind.name())
        })
        .map(|(name, protocol_type, state, kind)| {
            ListedGroup::default()
                .with_group_id(GroupId(str_bytes(name)))
                .with_protocol_type(str_bytes(protocol_type))
                .with_group_state(StrBytes::from_static_str(state.name()))
                .with_group_type(StrBytes::from_static_str(kind.name()))
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
    use crate::broker::{
        ConsumerHeartbeat, JoinGroupRequest, SharedBroker, TopicConfig, TopicPartition,
    };
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
    fn lists_consumer_protocol_groups_by_type() {
        let broker = SharedBroker::default();
        {
            let mut b = broker.write();
            b.join_group(JoinGroupRequest::consumer("classic", "c", &[], "range"), 0)
                .unwrap();
            b.consumer_group_heartbeat(ConsumerHeartbeat::join("modern", "m", &[]), 0)
                .unwrap();
        }
        let s = settings();
        let mut c = ctx(&broker, &s, 5);
        let list = |c: &mut RequestContext<'_>, types: Vec<&'static str>| {
            let req = ListGroupsRequest::default()
                .with_types_filter(types.into_iter().map(StrBytes::from_static_str).collect());
            match reply(dispatch(c, Request::ListGroups(req))) {
                Response::ListGroups(r) => r
                    .groups
                    .iter()
                    .map(|g| {
                        format!(
                            "{} {} {} {}",
                            g.group_id.as_str(),
                            g.protocol_type.as_str(),
                            g.group_state.as_str(),
                            g.group_type.as_str()
                        )
                    })
                    .collect::<Vec<_>>(),
                other => panic!("wrong response type {other:?}"),
            }
        };
        assert_eq!(
            list(&mut c, vec![]),
            [
                "classic consumer CompletingRebalance classic",
                "modern consumer Stable consumer"
            ]
        );
        assert_eq!(
            list(&mut c, vec!["Consumer"]),
            ["modern consumer Stable consumer"]
        );
    }
}
